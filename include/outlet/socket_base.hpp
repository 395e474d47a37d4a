// outlet — BasicSocket: what Socket, ServerSocket and DatagramSocket share.
// One owned native handle, its blocking mode and timeouts, and the socket
// options every kind of socket has.
#ifndef OUTLET_SOCKET_BASE_HPP
#define OUTLET_SOCKET_BASE_HPP

#include <outlet/address.hpp>
#include <outlet/detail/error_policy.hpp>
#include <outlet/detail/socket_ops.hpp>
#include <outlet/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>
#include <system_error>
#include <type_traits>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

/// The OS's socket handle: int on POSIX, SOCKET on Windows.
using native_handle_type = detail::sys::native_handle;
/// Timeouts. Any std::chrono duration converts: 500ms, 2s. A timeout passed
/// to a call is "wait at most this long", and zero is "do not wait: try
/// once"; only the set_*_timeout setters read 0 as "no limit" (README,
/// "Timeouts").
using duration = std::chrono::nanoseconds;
/// listen()'s default backlog: SOMAXCONN (the OS clamps it to its limit).
inline constexpr int default_backlog = detail::sys::max_backlog;

namespace detail {
class BindableSocket;
/// Selects the private constructors that take ownership of a native handle
/// (used by adopt() and accept()). A tag keeps them out of overload
/// resolution for user code: `Socket s(7000)` or `ServerSocket s(7000)` is
/// "no matching constructor", not "private within this context".
struct AdoptHandle {
  explicit AdoptHandle() = default;
};
}  // namespace detail

/// The members every outlet socket has. Move-only; the destructor closes
/// the handle. Not used on its own: see Socket, ServerSocket, DatagramSocket.
class BasicSocket {
public:
  /// The OS handle: int on POSIX, SOCKET on Windows.
  using native_handle_type = outlet::native_handle_type;
  /// Timeouts: std::chrono::nanoseconds; any std::chrono duration converts.
  using duration = outlet::duration;

  BasicSocket(const BasicSocket&) = delete;
  BasicSocket& operator=(const BasicSocket&) = delete;

  /// True while this object owns a handle.
  bool is_open() const noexcept { return handle_ != detail::sys::invalid_handle; }
  /// Same as is_open().
  explicit operator bool() const noexcept { return is_open(); }
  /// The handle, still owned by this object.
  native_handle_type native_handle() const noexcept { return handle_; }
  /// Gives up ownership: returns the handle and leaves this object closed.
  /// The handle is in the blocking mode set_non_blocking() chose: if outlet
  /// had made it non-blocking for its own timed calls, it is made blocking
  /// again first.
  [[nodiscard]] native_handle_type release() noexcept;
  /// close() / closesocket(); a Unix-domain socket that bound a path also
  /// removes its socket file. Idempotent: closing a closed socket does nothing.
  void close();
  void close(std::error_code& ec) noexcept;

  /// getsockname(): the address this socket is bound to.
  [[nodiscard]] Address local_address() const;
  [[nodiscard]] Address local_address(std::error_code& ec) const noexcept;

  /// ioctl(FIONBIO): in non-blocking mode calls that cannot proceed fail with
  /// std::errc::operation_would_block instead of waiting.
  void set_non_blocking(bool on);
  void set_non_blocking(bool on, std::error_code& ec) noexcept;
  /// Whether set_non_blocking(true) is in effect.
  bool non_blocking() const noexcept { return non_blocking_; }

  /// poll() on this socket alone: true once a receive (or accept) would not
  /// block, false if `timeout` passes first (not an error). Zero checks once
  /// without waiting (README, "Timeouts"). EINTR is retried with the time
  /// left. For many sockets, use a Poller.
  [[nodiscard]] bool wait_readable(duration timeout) const;
  [[nodiscard]] bool wait_readable(duration timeout, std::error_code& ec) const noexcept;
  /// poll() (select() on Windows): true once a send would not block or a
  /// non-blocking connect has ended (Socket::finish_connect() says how),
  /// false if `timeout` passes first; zero checks once without waiting.
  [[nodiscard]] bool wait_writable(duration timeout) const;
  [[nodiscard]] bool wait_writable(duration timeout, std::error_code& ec) const noexcept;

  /// How long a receive (or accept) may wait; 0 = no limit (the meaning of
  /// SO_RCVTIMEO, unlike a timeout passed to a call: README, "Timeouts"). outlet enforces
  /// it with poll() before the call, as one deadline across EINTR retries
  /// and partial progress; expiry fails with std::errc::timed_out. A socket
  /// without timeouts makes no extra system call.
  void set_receive_timeout(duration timeout);
  void set_receive_timeout(duration timeout, std::error_code& ec) noexcept;
  /// The receive timeout set last; 0 = none. Makes no system call.
  duration receive_timeout() const noexcept { return receive_timeout_; }
  /// How long a send (or connect) may wait; 0 = no limit. As for receive.
  void set_send_timeout(duration timeout);
  void set_send_timeout(duration timeout, std::error_code& ec) noexcept;
  /// The send timeout set last; 0 = none. Makes no system call.
  duration send_timeout() const noexcept { return send_timeout_; }

  /// SO_REUSEADDR (SOL_SOCKET): a server can rebind its port at once while
  /// old connections linger in TIME_WAIT; datagram sockets may share a port.
  /// ServerSocket's address constructor sets it already. On Windows a stream
  /// socket uses SO_EXCLUSIVEADDRUSE instead (there SO_REUSEADDR would let
  /// another process take over the port); datagram sockets use SO_REUSEADDR.
  void set_reuse_address(bool on);
  void set_reuse_address(bool on, std::error_code& ec) noexcept;
  /// getsockopt(): reads SO_REUSEADDR (SO_EXCLUSIVEADDRUSE for a Windows stream socket).
  [[nodiscard]] bool reuse_address() const;
  [[nodiscard]] bool reuse_address(std::error_code& ec) const noexcept;

  /// IPV6_V6ONLY (IPPROTO_IPV6): whether an IPv6 socket refuses IPv4-mapped
  /// traffic. outlet's address constructors set it, so "[::]:80" means IPv6
  /// on every OS; set it false before bind() for one dual-stack socket.
  void set_v6_only(bool on);
  void set_v6_only(bool on, std::error_code& ec) noexcept;
  /// getsockopt(): reads IPV6_V6ONLY.
  [[nodiscard]] bool v6_only() const;
  [[nodiscard]] bool v6_only(std::error_code& ec) const noexcept;

  /// SO_RCVBUF (SOL_SOCKET). Linux reports back twice the size set.
  void set_receive_buffer_size(int size);
  void set_receive_buffer_size(int size, std::error_code& ec) noexcept;
  /// getsockopt(): reads SO_RCVBUF, as the OS reports it.
  [[nodiscard]] int receive_buffer_size() const;
  [[nodiscard]] int receive_buffer_size(std::error_code& ec) const noexcept;
  /// SO_SNDBUF (SOL_SOCKET). Linux reports back twice the size set.
  void set_send_buffer_size(int size);
  void set_send_buffer_size(int size, std::error_code& ec) noexcept;
  /// getsockopt(): reads SO_SNDBUF, as the OS reports it.
  [[nodiscard]] int send_buffer_size() const;
  [[nodiscard]] int send_buffer_size(std::error_code& ec) const noexcept;

  /// setsockopt(level, name) with a trivially copyable value: the escape hatch
  /// for options outlet has no method for.
  template <class T>
  void set_option(int level, int name, const T& value);
  template <class T>
  void set_option(int level, int name, const T& value, std::error_code& ec) noexcept;
  /// getsockopt(level, name) into a T (value-initialized first).
  template <class T>
  [[nodiscard]] T get_option(int level, int name) const;
  template <class T>
  [[nodiscard]] T get_option(int level, int name, std::error_code& ec) const noexcept;

protected:
  BasicSocket() noexcept = default;
  explicit BasicSocket(native_handle_type handle) noexcept : handle_(handle) {}
  BasicSocket(BasicSocket&& other) noexcept;
  BasicSocket& operator=(BasicSocket&& other) noexcept;
  ~BasicSocket();

  /// socket() of `type` for `family`, replacing (closing) any open handle.
  std::error_code open(Family family, int type) noexcept;
  /// setsockopt() of a boolean option (an int 0 or 1).
  std::error_code set_flag(int level, int name, bool on) noexcept;
  /// getsockopt() of a boolean option, reported through `policy`.
  template <class P>
  bool flag(int level, int name, P policy) const noexcept(P::nothrow);
  /// EWOULDBLOCK on a blocking socket can only mean an OS-level timeout
  /// (SO_RCVTIMEO set through the native handle): report it as timed_out.
  std::error_code blocking_error(std::error_code ec) const noexcept;
  /// Makes the handle non-blocking at the OS level and keeps it so, once,
  /// for calls that must not block past a deadline but cannot say so per
  /// call: accept() everywhere, send()/recv() on Windows. The blocking calls
  /// that follow wait in poll() instead (waits_in_poll()).
  std::error_code keep_non_blocking() noexcept {
    if (non_blocking_ || internal_non_blocking_.load()) return {};
    // The flag goes up first: a call on another thread that sees "would
    // block" from now on must also see the flag, and wait instead of failing.
    internal_non_blocking_.store(true);
    if (std::error_code ec = detail::set_non_blocking(handle_, true)) {
      internal_non_blocking_.store(false);
      return ec;
    }
    return {};
  }
  /// For a timed send or receive: keep_non_blocking() where the platform
  /// has no per-call "don't wait" flag.
  std::error_code prepare_timed_io(const detail::Deadline* deadline) noexcept {
    if (detail::sys::has_dont_wait_flag || deadline == nullptr) return {};
    return keep_non_blocking();
  }
  /// Whether a blocking call must wait in poll() because the handle is
  /// non-blocking only inside outlet.
  detail::WaitFlag waits_in_poll() const noexcept { return non_blocking_ ? nullptr : &internal_non_blocking_; }
  /// A deadline for a blocking call from a set_*_timeout value (0 = no
  /// limit: no deadline); none in non-blocking mode.
  detail::Deadline deadline_for(duration timeout) const noexcept {
    return timeout.count() > 0 && !non_blocking_ ? detail::Deadline(timeout) : detail::Deadline();
  }
  /// A deadline for a blocking call from a timeout passed as an argument:
  /// zero is a deadline that has already passed, so the call tries once
  /// without waiting. None in non-blocking mode (which never waits).
  detail::Deadline deadline_for_argument(duration timeout) const noexcept {
    return non_blocking_ ? detail::Deadline() : detail::Deadline(timeout);
  }

  // A socket is its handle, four flags and two timeouts: 24 bytes on
  // 64-bit systems. What only a bound Unix listener or datagram socket
  // needs (its socket file) lives in detail::BindableSocket.
  native_handle_type handle_ = detail::sys::invalid_handle;
  bool non_blocking_ = false;
  /// This is a detail::BindableSocket whose bind() created a Unix socket
  /// file: close() removes it.
  bool owns_file_ = false;
  /// outlet opened this handle as AF_INET or AF_INET6, so the OS names its
  /// peers with a whole sockaddr_in or sockaddr_in6, which an Address holds
  /// as it is (detail::AddressAccess::adopt_ip). False for a Unix socket
  /// and for a handle given to adopt(), whose family outlet never checked.
  bool ip_ = false;
  /// The handle is non-blocking at the OS level although non_blocking_ may
  /// be false: set by keep_non_blocking() (a timed accept; on Windows, a
  /// timed send or receive).
  /// Atomic: one thread's timed call may set it while another blocks.
  detail::AtomicFlag internal_non_blocking_{false};
  duration receive_timeout_{};
  duration send_timeout_{};

private:
  // The bodies of the public calls above, each written once: the throwing
  // and the error_code form differ only in the policy (detail::Throw or
  // detail::Store, see detail/error_policy.hpp) or in how they report the
  // error_code a body returns.
  std::error_code close_handle() noexcept;
  std::error_code change_blocking(bool on) noexcept;
  template <class P>
  bool wait_for(bool writable, duration timeout, P policy) const noexcept(P::nothrow);
  template <class P>
  void set_timeout(duration& slot, duration timeout, P policy) noexcept(P::nothrow);
  std::error_code set_reuse_flag(bool on) noexcept;
  template <class P>
  bool reuse_flag(P policy) const noexcept(P::nothrow);
  template <class P>
  void set_buffer_size(int name, int size, P policy) noexcept(P::nothrow);
  /// The option behind set_reuse_address()/reuse_address() for this socket.
  int reuse_option(std::error_code& ec) const noexcept;
  void reset() noexcept;
  /// Removes the socket file a bind() created (owns_file_ is set).
  void remove_file() noexcept;
};

namespace detail {

/// A Unix socket file a bind() created, removed by close(). A fixed buffer:
/// recording it allocates nothing (bind's ec form is noexcept).
struct BoundFile {
  char path[sizeof(sys::unix_sockaddr::sun_path) + 1] = {};
  sys::FileIdentity identity{};
};

/// What ServerSocket and DatagramSocket add to BasicSocket: bind(), and the
/// Unix socket file that bind() created, which close() and the destructor
/// remove. A Socket never binds a path, so it does not carry the ~140 bytes.
class BindableSocket : public BasicSocket {
protected:
  BindableSocket() noexcept : file_() {}
  explicit BindableSocket(native_handle_type h) noexcept : BasicSocket(h), file_() {}
  BindableSocket(BindableSocket&&) noexcept = default;
  BindableSocket& operator=(BindableSocket&&) noexcept = default;
  /// Removes the socket file first, so no client finds a path nobody
  /// serves; ~BasicSocket then closes the handle.
  ~BindableSocket() {
    if (owns_file_) sys::remove_unix_path(file_.path, file_.identity);
  }

  /// bind(); remembers a Unix socket file it creates, for close() to remove.
  std::error_code bind_address(const Address& local) noexcept;
  /// bind_address(), after opening a socket of local's family and `type`
  /// if none is open (what the public bind() does).
  std::error_code bind_or_open(const Address& local, int type) noexcept {
    if (!is_open()) {
      if (std::error_code ec = open(local.family(), type)) return ec;
    }
    return bind_address(local);
  }
  /// The options outlet's address constructors set before bind().
  std::error_code prepare_bind(const Address& local, bool listener) noexcept;

private:
  friend class outlet::BasicSocket;  // remove_file(), from close()
  BoundFile file_;
};

/// Whether `local` is a Unix path (not an abstract "@name", not unnamed)
/// whose socket file exists.
bool unix_file_exists(const Address& local) noexcept;

/// bind()'s throwing report, "bind <address>: <message>". A Unix path in use
/// because its socket file exists (a server killed before it could remove
/// it, or one still running) gets a hint, since the OS's message alone
/// ("Address already in use") does not say that a file is in the way.
[[noreturn]] void throw_bind_error(const std::error_code& ec, const Address& local);

inline void check_bind(const std::error_code& ec, const Address& local) {
  if (ec) throw_bind_error(ec, local);
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Implementation: inline in every mode (fast paths, accessors, templates)

inline BasicSocket::BasicSocket(BasicSocket&& other) noexcept
    : handle_(other.handle_),
      non_blocking_(other.non_blocking_),
      owns_file_(other.owns_file_),
      ip_(other.ip_),
      internal_non_blocking_(other.internal_non_blocking_.load()),
      receive_timeout_(other.receive_timeout_),
      send_timeout_(other.send_timeout_) {
  other.reset();
}

inline BasicSocket& BasicSocket::operator=(BasicSocket&& other) noexcept {
  if (this != &other) {
    std::error_code ignored;  // like the destructor: the old handle closes quietly
    close(ignored);
    handle_ = other.handle_;
    non_blocking_ = other.non_blocking_;
    receive_timeout_ = other.receive_timeout_;
    send_timeout_ = other.send_timeout_;
    owns_file_ = other.owns_file_;
    ip_ = other.ip_;
    internal_non_blocking_.store(other.internal_non_blocking_.load());
    other.reset();
  }
  return *this;
}

inline BasicSocket::~BasicSocket() {
  // Close once, quietly ({fmt}'s rule), and nothing more: the object is gone.
  if (!is_open()) return;
  if (!detail::hook_fails(detail::SysCall::close, handle_)) (void)detail::sys::close_socket(handle_);
}

inline void BasicSocket::reset() noexcept {
  handle_ = detail::sys::invalid_handle;
  non_blocking_ = false;
  receive_timeout_ = duration::zero();
  send_timeout_ = duration::zero();
  owns_file_ = false;
  ip_ = false;
  internal_non_blocking_.store(false);
}

template <class T>
void BasicSocket::set_option(int level, int name, const T& value, std::error_code& ec) noexcept {
  static_assert(std::is_trivially_copyable<T>::value, "socket option values are copied as bytes");
  ec = is_open() ? detail::set_option(handle_, level, name, &value, sizeof value) : detail::not_open();
}

template <class T>
void BasicSocket::set_option(int level, int name, const T& value) {
  std::error_code ec;
  set_option(level, name, value, ec);
  if (ec) detail::throw_error(ec, detail::describe_call("setsockopt", level, name));
}

template <class T>
T BasicSocket::get_option(int level, int name, std::error_code& ec) const noexcept {
  static_assert(std::is_trivially_copyable<T>::value, "socket option values are copied as bytes");
  T value{};
  std::size_t size = sizeof value;
  ec = is_open() ? detail::get_option(handle_, level, name, &value, size) : detail::not_open();
  return ec ? T{} : value;
}

template <class T>
T BasicSocket::get_option(int level, int name) const {
  std::error_code ec;
  T value = get_option<T>(level, name, ec);
  if (ec) detail::throw_error(ec, detail::describe_call("getsockopt", level, name));
  return value;
}

// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES

namespace detail {

OUTLET_DETAIL_DEF bool unix_file_exists(const Address& local) noexcept {
  const std::size_t offset = offsetof(sys::unix_sockaddr, sun_path);
  const auto size = static_cast<std::size_t>(local.native_size());
  if (local.family() != Family::unix_domain || size <= offset || size - offset >= sizeof(BoundFile::path)) return false;
  const char* name = reinterpret_cast<const sys::unix_sockaddr*>(local.native())->sun_path;
  if (name[0] == '\0') return false;
  char path[sizeof(BoundFile::path)] = {};
  std::memcpy(path, name, size - offset);
  return sys::unix_path_identity(path).valid;
}

[[noreturn]] OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF void throw_bind_error(const std::error_code& ec,
                                                                        const Address& local) {
  Text text = describe_operation("bind", &local);
  if (ec == std::errc::address_in_use && unix_file_exists(local)) {
    text.add(" (the socket file exists: left by a server that did not remove it? remove it first)");
  }
  throw_error(ec, text);
}

}  // namespace detail

OUTLET_DETAIL_DEF native_handle_type BasicSocket::release() noexcept {
  const native_handle_type h = handle_;
  // Non-blocking only inside outlet (a timed accept; a timed send or receive
  // on Windows): the new owner expects the blocking handle it never changed.
  // Should the ioctl fail, the handle is still the caller's, as it is.
  if (is_open() && !non_blocking_ && internal_non_blocking_.load()) (void)detail::set_non_blocking(h, false);
  reset();
  return h;
}

OUTLET_DETAIL_DEF std::error_code BasicSocket::close_handle() noexcept {
  if (!is_open()) return {};
  // Remove the socket file first, so no client finds a path nobody serves.
  if (owns_file_) remove_file();
  const std::error_code ec = detail::close(handle_);
  reset();
  return ec;
}
OUTLET_DETAIL_DEF void BasicSocket::close(std::error_code& ec) noexcept { detail::Store{ec}.check(close_handle()); }
OUTLET_DETAIL_DEF void BasicSocket::close() { detail::Throw{"close"}.check(close_handle()); }

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF void BasicSocket::remove_file() noexcept {
  // owns_file_ is set only by BindableSocket::bind_address(): this object is one.
  const auto& file = static_cast<detail::BindableSocket*>(this)->file_;
  detail::sys::remove_unix_path(file.path, file.identity);
}

OUTLET_DETAIL_DEF Address BasicSocket::local_address(std::error_code& ec) const noexcept {
  return is_open() ? detail::socket_name(handle_, false, ec) : detail::Store{ec}.check(Address(), detail::not_open());
}
OUTLET_DETAIL_DEF Address BasicSocket::local_address() const {
  std::error_code ec;
  return detail::Throw{"getsockname"}.check(local_address(ec), ec);
}

OUTLET_DETAIL_DEF std::error_code BasicSocket::change_blocking(bool on) noexcept {
  if (!is_open()) return detail::not_open();
  // A handle outlet keeps non-blocking for its own timed calls stays so.
  const std::error_code ec =
      on || !internal_non_blocking_.load() ? detail::set_non_blocking(handle_, on) : std::error_code{};
  if (!ec) non_blocking_ = on;
  return ec;
}
OUTLET_DETAIL_DEF void BasicSocket::set_non_blocking(bool on, std::error_code& ec) noexcept {
  detail::Store{ec}.check(change_blocking(on));
}
OUTLET_DETAIL_DEF void BasicSocket::set_non_blocking(bool on) {
  detail::Throw{"set_non_blocking"}.check(change_blocking(on));
}

template <class P>
bool BasicSocket::wait_for(bool writable, duration timeout, P policy) const noexcept(P::nothrow) {
  if (!is_open()) return policy.check(false, detail::not_open());
  if (timeout.count() < 0)
    return policy.check(false, detail::invalid_argument(),
                        [&](const char* op) { return detail::describe_negative_timeout(op, timeout.count()); });
  const std::error_code ec = detail::wait_ready(handle_, writable ? detail::sys::poll_out : detail::sys::poll_in,
                                                detail::Deadline(timeout), writable);
  if (ec == std::errc::timed_out) {  // not an error here: the answer is "no"
    policy.success();
    return false;
  }
  return policy.check(!ec, ec);
}
OUTLET_DETAIL_DEF bool BasicSocket::wait_readable(duration timeout, std::error_code& ec) const noexcept {
  return wait_for(false, timeout, detail::Store{ec});
}
OUTLET_DETAIL_DEF bool BasicSocket::wait_readable(duration timeout) const {
  return wait_for(false, timeout, detail::Throw{"wait_readable"});
}
OUTLET_DETAIL_DEF bool BasicSocket::wait_writable(duration timeout, std::error_code& ec) const noexcept {
  return wait_for(true, timeout, detail::Store{ec});
}
OUTLET_DETAIL_DEF bool BasicSocket::wait_writable(duration timeout) const {
  return wait_for(true, timeout, detail::Throw{"wait_writable"});
}

template <class P>
void BasicSocket::set_timeout(duration& slot, duration timeout, P policy) noexcept(P::nothrow) {
  if (!is_open()) return policy.fail(detail::not_open());
  if (timeout.count() < 0)
    return policy.fail(detail::invalid_argument(),
                       [&](const char* op) { return detail::describe_negative_timeout(op, timeout.count()); });
  slot = timeout;
  policy.success();
}
OUTLET_DETAIL_DEF void BasicSocket::set_receive_timeout(duration timeout, std::error_code& ec) noexcept {
  set_timeout(receive_timeout_, timeout, detail::Store{ec});
}
OUTLET_DETAIL_DEF void BasicSocket::set_receive_timeout(duration timeout) {
  set_timeout(receive_timeout_, timeout, detail::Throw{"set_receive_timeout"});
}
OUTLET_DETAIL_DEF void BasicSocket::set_send_timeout(duration timeout, std::error_code& ec) noexcept {
  set_timeout(send_timeout_, timeout, detail::Store{ec});
}
OUTLET_DETAIL_DEF void BasicSocket::set_send_timeout(duration timeout) {
  set_timeout(send_timeout_, timeout, detail::Throw{"set_send_timeout"});
}

OUTLET_DETAIL_DEF std::error_code BasicSocket::set_flag(int level, int name, bool on) noexcept {
  const int value = on ? 1 : 0;
  if (!is_open()) return detail::not_open();
  return detail::set_option(handle_, level, name, &value, sizeof value);
}

template <class P>
bool BasicSocket::flag(int level, int name, P policy) const noexcept(P::nothrow) {
  std::error_code ec;
  return policy.check(get_option<int>(level, name, ec) != 0, ec);
}

OUTLET_DETAIL_DEF int BasicSocket::reuse_option(std::error_code& ec) const noexcept {
  ec.clear();
  if constexpr (!detail::sys::stream_reuse_is_exclusive) return SO_REUSEADDR;
  // Windows: a stream socket's "rebind at once" is SO_EXCLUSIVEADDRUSE (its
  // SO_REUSEADDR lets another socket take the port); a datagram socket's
  // "share the port" is SO_REUSEADDR, as on POSIX.
  const int type = is_open() ? get_option<int>(SOL_SOCKET, SO_TYPE, ec) : 0;
  return type == SOCK_DGRAM ? SO_REUSEADDR : detail::sys::listener_reuse_option;
}

OUTLET_DETAIL_DEF std::error_code BasicSocket::set_reuse_flag(bool on) noexcept {
  std::error_code ec;
  const int option = reuse_option(ec);
  return ec ? ec : set_flag(SOL_SOCKET, option, on);
}
OUTLET_DETAIL_DEF void BasicSocket::set_reuse_address(bool on, std::error_code& ec) noexcept {
  detail::Store{ec}.check(set_reuse_flag(on));
}
OUTLET_DETAIL_DEF void BasicSocket::set_reuse_address(bool on) {
  detail::Throw{"setsockopt(SO_REUSEADDR)"}.check(set_reuse_flag(on));
}
template <class P>
bool BasicSocket::reuse_flag(P policy) const noexcept(P::nothrow) {
  std::error_code ec;
  const int option = reuse_option(ec);
  return ec ? policy.check(false, ec) : flag(SOL_SOCKET, option, policy);
}
OUTLET_DETAIL_DEF bool BasicSocket::reuse_address(std::error_code& ec) const noexcept {
  return reuse_flag(detail::Store{ec});
}
OUTLET_DETAIL_DEF bool BasicSocket::reuse_address() const {
  return reuse_flag(detail::Throw{"getsockopt(SO_REUSEADDR)"});
}

OUTLET_DETAIL_DEF void BasicSocket::set_v6_only(bool on, std::error_code& ec) noexcept {
  detail::Store{ec}.check(set_flag(IPPROTO_IPV6, IPV6_V6ONLY, on));
}
OUTLET_DETAIL_DEF void BasicSocket::set_v6_only(bool on) {
  detail::Throw{"setsockopt(IPV6_V6ONLY)"}.check(set_flag(IPPROTO_IPV6, IPV6_V6ONLY, on));
}
OUTLET_DETAIL_DEF bool BasicSocket::v6_only(std::error_code& ec) const noexcept {
  return flag(IPPROTO_IPV6, IPV6_V6ONLY, detail::Store{ec});
}
OUTLET_DETAIL_DEF bool BasicSocket::v6_only() const {
  return flag(IPPROTO_IPV6, IPV6_V6ONLY, detail::Throw{"getsockopt(IPV6_V6ONLY)"});
}

template <class P>
void BasicSocket::set_buffer_size(int name, int size, P policy) noexcept(P::nothrow) {
  std::error_code ec = size < 0 ? detail::invalid_argument() : std::error_code{};
  if (!ec) set_option(SOL_SOCKET, name, size, ec);
  if (ec) return policy.fail(ec, [&](const char* option) { return detail::describe_call("setsockopt", option, size); });
  policy.success();
}
OUTLET_DETAIL_DEF void BasicSocket::set_receive_buffer_size(int size, std::error_code& ec) noexcept {
  set_buffer_size(SO_RCVBUF, size, detail::Store{ec});
}
OUTLET_DETAIL_DEF void BasicSocket::set_receive_buffer_size(int size) {
  set_buffer_size(SO_RCVBUF, size, detail::Throw{"SO_RCVBUF"});
}
OUTLET_DETAIL_DEF int BasicSocket::receive_buffer_size(std::error_code& ec) const noexcept {
  return get_option<int>(SOL_SOCKET, SO_RCVBUF, ec);
}
OUTLET_DETAIL_DEF int BasicSocket::receive_buffer_size() const { return get_option<int>(SOL_SOCKET, SO_RCVBUF); }

OUTLET_DETAIL_DEF void BasicSocket::set_send_buffer_size(int size, std::error_code& ec) noexcept {
  set_buffer_size(SO_SNDBUF, size, detail::Store{ec});
}
OUTLET_DETAIL_DEF void BasicSocket::set_send_buffer_size(int size) {
  set_buffer_size(SO_SNDBUF, size, detail::Throw{"SO_SNDBUF"});
}
OUTLET_DETAIL_DEF int BasicSocket::send_buffer_size(std::error_code& ec) const noexcept {
  return get_option<int>(SOL_SOCKET, SO_SNDBUF, ec);
}
OUTLET_DETAIL_DEF int BasicSocket::send_buffer_size() const { return get_option<int>(SOL_SOCKET, SO_SNDBUF); }

OUTLET_DETAIL_DEF std::error_code BasicSocket::open(Family family, int type) noexcept {
  std::error_code ec;
  if (is_open()) close(ec);
  int af = AF_UNIX;
  if (family == Family::ipv4) af = AF_INET;
  if (family == Family::ipv6) af = AF_INET6;
  if (family != Family::ipv4 && family != Family::ipv6 && family != Family::unix_domain)
    return detail::invalid_argument();
  handle_ = detail::open(af, type, ec);
  ip_ = !ec && family != Family::unix_domain;
  return ec;
}

OUTLET_DETAIL_DEF std::error_code detail::BindableSocket::prepare_bind(const Address& local, bool listener) noexcept {
  const Family family = local.family();
  if (listener && family != Family::unix_domain) {
    if (std::error_code ec = set_flag(SOL_SOCKET, detail::sys::listener_reuse_option, true)) return ec;
  }
  if (family == Family::ipv6) return set_flag(IPPROTO_IPV6, IPV6_V6ONLY, true);
  return {};
}

OUTLET_DETAIL_DEF std::error_code detail::BindableSocket::bind_address(const Address& local) noexcept {
  if (!is_open()) return detail::not_open();
  if (std::error_code ec = detail::bind(handle_, local)) return ec;
  // A Unix path (not an abstract "@name", not unnamed) now names a new file.
  const std::size_t offset = offsetof(detail::sys::unix_sockaddr, sun_path);
  const auto size = static_cast<std::size_t>(local.native_size());
  const char* name = reinterpret_cast<const detail::sys::unix_sockaddr*>(local.native())->sun_path;
  if (local.family() == Family::unix_domain && size > offset && name[0] != '\0') {
    std::memcpy(file_.path, name, size - offset);  // with its NUL
    file_.identity = detail::sys::unix_path_identity(file_.path);
    owns_file_ = true;
  }
  return {};
}

OUTLET_DETAIL_DEF std::error_code BasicSocket::blocking_error(std::error_code ec) const noexcept {
  if (!non_blocking_ && ec == std::errc::operation_would_block) return detail::timed_out();
  return ec;
}

#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_SOCKET_BASE_HPP
