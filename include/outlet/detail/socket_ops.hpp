// outlet — one portable function per OS call, each returning std::error_code.
// The public classes only delegate here (Asio's socket_ops layer); EINTR
// retries, deadlines and the test fault hook live here and nowhere else.
#ifndef OUTLET_DETAIL_SOCKET_OPS_HPP
#define OUTLET_DETAIL_SOCKET_OPS_HPP

#include <outlet/address.hpp>
#include <outlet/buffer.hpp>
#include <outlet/error.hpp>

#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <system_error>

#if !defined(__GNUC__)
#include <atomic>
#endif  // !defined(__GNUC__)

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace detail {

using handle = sys::native_handle;

// --- the fault hook ---------------------------------------------------------

/// The OS calls a FaultHook is asked about.
enum class SysCall {
  socket,
  accept,
  connect,
  bind,
  listen,
  send,
  receive,
  poll,
  close,
  option,
  name,
  shutdown,
  poller_control
};

/// A test seam, like the syscall hooks of Go's net package: when set, it is
/// asked before each OS call and returns 0 to let the call run, or a native
/// error code (EINTR, EAGAIN, ECONNRESET...) to fail it with instead. Set it
/// only while no other thread is inside outlet.
using FaultHook = int (*)(SysCall call, handle h);

#if defined(OUTLET_FAULT_HOOK)
/// The hook itself: compiled in only where OUTLET_FAULT_HOOK is defined
/// (outlet's own tests), so a user's send() is the plain call and nothing
/// more. The ABI namespace (detail/abi.hpp) tells the two builds apart.
inline FaultHook fault_hook = nullptr;

/// Asked before each OS call: true if the fault hook fails it, with the
/// hook's error as the last OS error (the caller then returns its failure
/// value without making the call).
inline bool hook_fails(SysCall which, handle h) noexcept {
  if (fault_hook == nullptr) return false;
  const int e = fault_hook(which, h);
  if (e == 0) return false;
  sys::set_last_error(e);
  return true;
}
#else
/// Without OUTLET_FAULT_HOOK there is no hook to ask: never fails a call.
constexpr bool hook_fails(SysCall, handle) noexcept { return false; }
#endif  // defined(OUTLET_FAULT_HOOK)

// --- deadlines --------------------------------------------------------------

/// A point on the monotonic clock (sys::monotonic_ns(), in nanoseconds) by
/// which a blocking operation must finish, or none. Retries after EINTR
/// wait only for what is left. Plain integers, not std::chrono: every
/// blocking call builds one, and this keeps chrono's templates out of them.
class Deadline {
public:
  Deadline() noexcept = default;
  explicit Deadline(std::chrono::nanoseconds timeout) noexcept : at_(sys::monotonic_ns() + capped(timeout.count())) {
    set_ = true;
  }
  bool is_set() const noexcept { return set_; }
  bool expired() const noexcept { return set_ && sys::monotonic_ns() >= at_; }
  /// poll()'s timeout: -1 for none, else the milliseconds left, rounded up
  /// so a wait never ends early; 0 once expired.
  int poll_timeout_ms() const noexcept {
    if (!set_) return -1;
    const std::int64_t left = at_ - sys::monotonic_ns();
    if (left <= 0) return 0;
    const std::int64_t ms = (left + 999000) / 1000000;  // + 999 µs, as the milliseconds poll() counts in
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
  }

private:
  /// Caps absurd timeouts (~100 years) so the addition cannot overflow.
  static std::int64_t capped(std::int64_t ns) noexcept {
    constexpr std::int64_t cap = std::int64_t{24 * 365 * 100} * 3600 * 1000000000;
    return ns < cap ? ns : cap;
  }
  std::int64_t at_ = 0;
  bool set_ = false;
};

/// A flag one thread may set while another reads it: std::atomic<bool>'s
/// load() and store(), sequentially consistent. GCC and Clang get them from
/// their __atomic builtins, so that no user of outlet parses <atomic>.
class AtomicFlag {
public:
  explicit AtomicFlag(bool value) noexcept : value_(value) {}
  AtomicFlag(const AtomicFlag&) = delete;
  AtomicFlag& operator=(const AtomicFlag&) = delete;
#if defined(__GNUC__)
  bool load() const noexcept { return __atomic_load_n(&value_, __ATOMIC_SEQ_CST); }
  void store(bool value) noexcept { __atomic_store_n(&value_, value, __ATOMIC_SEQ_CST); }

private:
  bool value_;
#else
  bool load() const noexcept { return value_.load(); }
  void store(bool value) noexcept { value_.store(value); }

private:
  std::atomic<bool> value_;
#endif  // defined(__GNUC__)
};

/// Where a blocking call learns, when the OS says "would block", whether
/// the handle is non-blocking only inside outlet (then it waits in poll()
/// and retries) or the user asked for non-blocking mode / an OS timeout
/// expired (then it reports that). Read at that moment, not before the
/// call: another thread may have switched the handle in between (a timed
/// send beside a plain receive). Null: never wait.
using WaitFlag = const AtomicFlag*;
inline bool waits(WaitFlag wait) noexcept { return wait != nullptr && wait->load(); }

/// The fast path of socket() and connect(): the one call, through the hook.
inline handle try_open(int family, int type) noexcept {
  if (hook_fails(SysCall::socket, sys::invalid_handle)) return sys::invalid_handle;
  return sys::open_socket(family, type, 0);
}
inline int try_connect(handle h, const Address& peer) noexcept {
  if (hook_fails(SysCall::connect, h)) return -1;
  return sys::connect_socket(h, peer.native(), peer.native_size());
}

inline std::error_code timed_out() noexcept { return std::make_error_code(std::errc::timed_out); }
inline std::error_code not_open() noexcept { return std::make_error_code(std::errc::bad_file_descriptor); }

/// One accept() (accept4 with SOCK_CLOEXEC where it exists), the client's
/// name written into `peer`'s own storage (peer == nullptr: not wanted).
/// The caller adopts the name (AddressAccess::adopt) if it succeeded.
OUTLET_DETAIL_INLINE handle try_accept(handle h, Address* peer, sys::socklen& len) noexcept {
  if (hook_fails(SysCall::accept, h)) return sys::invalid_handle;
  return sys::accept_socket(h, peer != nullptr ? AddressAccess::storage(*peer) : nullptr,
                            peer != nullptr ? &len : nullptr);
}

// --- the fast path -------------------------------------------------------------
// One attempt, exactly the call plain code makes (the fault hook still sees
// it): >= 0 is the result, -1 leaves the error in sys::last_error() for the
// general path (transfer's `error_number`), which handles EINTR, EWOULDBLOCK,
// deadlines and closed sockets. Used when no deadline applies.

OUTLET_DETAIL_INLINE sys::io_result try_send(handle h, const void* data, std::size_t size) noexcept {
  if (hook_fails(SysCall::send, h)) return -1;
  return sys::send_some(h, data, size, false);
}
OUTLET_DETAIL_INLINE sys::io_result try_receive(handle h, void* data, std::size_t size) noexcept {
  if (hook_fails(SysCall::receive, h)) return -1;
  return sys::recv_some(h, data, size, false);
}
OUTLET_DETAIL_INLINE sys::io_result try_send_datagram(handle h, const void* data, std::size_t size,
                                                      const Address* to) noexcept {
  if (hook_fails(SysCall::send, h)) return -1;
  return sys::send_datagram(h, data, size, to != nullptr ? to->native() : nullptr,
                            to != nullptr ? to->native_size() : 0, false);
}

/// One recvfrom() into `from`'s own storage, its name's length in `len`
/// (from == nullptr: no address wanted). The result is as
/// sys::recv_datagram() returns it; the caller adopts the name
/// (AddressAccess::adopt) once it knows the call succeeded.
OUTLET_DETAIL_INLINE sys::io_result try_receive_datagram(handle h, void* data, std::size_t size, Address* from,
                                                         sys::socklen& len, bool& truncated) noexcept {
  if (hook_fails(SysCall::receive, h)) return -1;
  return sys::recv_datagram(h, data, size, from != nullptr ? AddressAccess::storage(*from) : nullptr,
                            from != nullptr ? &len : nullptr, false, truncated);
}

/// The position in a list of buffers that calls consume in part: send_all
/// and receive_exact over buffers. Each call gets the caller's own array
/// from the current buffer on (no copy) or, in the middle of a buffer, a
/// short copy whose first entry starts where the last call stopped; the
/// caller's array is never changed.
template <class Buffer, class Byte>
class BufferCursor {
public:
  BufferCursor(const Buffer* buffers, std::size_t count) noexcept : buffers_(buffers), count_(count) { skip_empty(); }
  bool done() const noexcept { return index_ == count_; }
  /// The buffers for the next call, and how many.
  const sys::io_vector* next(std::size_t& count) noexcept {
    if (offset_ == 0) {
      count = count_ - index_;
      return BufferAccess::native(buffers_ + index_);
    }
    count = count_ - index_ < window_size ? count_ - index_ : window_size;
    const Buffer& first = buffers_[index_];
    window_[0] = Buffer(static_cast<Byte*>(first.data()) + offset_, first.size() - offset_);
    for (std::size_t i = 1; i < count; ++i) window_[i] = buffers_[index_ + i];
    return BufferAccess::native(window_);
  }
  /// Moves past `bytes` that a call moved.
  void consume(std::size_t bytes) noexcept {
    while (bytes > 0 && index_ < count_) {
      const std::size_t left = buffers_[index_].size() - offset_;
      if (bytes < left) {
        offset_ += bytes;
        return;
      }
      bytes -= left;
      ++index_;
      offset_ = 0;
    }
    skip_empty();
  }

private:
  static constexpr std::size_t window_size = 16;
  void skip_empty() noexcept {
    while (index_ < count_ && offset_ == 0 && buffers_[index_].size() == 0) ++index_;
  }
  const Buffer* buffers_;
  std::size_t count_;
  std::size_t index_ = 0;
  std::size_t offset_ = 0;
  Buffer window_[window_size];
};

/// The total size of a list of buffers (SIZE_MAX if it does not fit).
template <class Buffer>
inline std::size_t total_size(const Buffer* buffers, std::size_t count) noexcept {
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (buffers[i].size() > SIZE_MAX - total) return SIZE_MAX;
    total += buffers[i].size();
  }
  return total;
}

/// Backs off before retrying something the OS keeps refusing for now (a full
/// Unix listen queue, readiness that keeps turning out false): 1, 2, 4 ...
/// 64 ms, never past the deadline. Without it such a retry would spin.
void back_off(const Deadline& deadline, int attempt) noexcept;

/// poll(): waits until h is ready for `events` or the deadline passes,
/// retrying EINTR with the time that is left. `connecting`: waits for a
/// connect() in progress to end instead (sys::wait_connect).
std::error_code wait_ready(handle h, short events, const Deadline& deadline, bool connecting = false) noexcept;

/// socket(): close-on-exec, SIGPIPE-free.
handle open(int family, int type, std::error_code& ec) noexcept;

/// close(). Never retried: after EINTR the descriptor is already gone.
std::error_code close(handle h) noexcept;

/// ioctl(FIONBIO) / ioctlsocket(FIONBIO).
std::error_code set_non_blocking(handle h, bool on) noexcept;

/// setsockopt().
std::error_code set_option(handle h, int level, int name, const void* value, std::size_t size) noexcept;

/// getsockopt(); `size` is in/out.
std::error_code get_option(handle h, int level, int name, void* value, std::size_t& size) noexcept;

/// getsockopt(SO_ERROR): the pending error, e.g. how a connect() ended.
std::error_code pending_error(handle h) noexcept;

/// The connection's TCP statistics (sys::tcp_statistics: TCP_INFO,
/// TCP_CONNECTION_INFO or SIO_TCP_INFO).
std::error_code tcp_statistics(handle h, TcpStatistics& out) noexcept;

/// sys::change_membership(): joins or leaves `group` (from `source` only,
/// if one is given) on interface `index`.
std::error_code change_membership(handle h, bool join, const Address& group, const Address* source,
                                  unsigned index) noexcept;

/// sys::set_multicast_interface(): IP_MULTICAST_IF / IPV6_MULTICAST_IF by index.
std::error_code set_multicast_interface(handle h, int family, unsigned index) noexcept;

/// sys::socket_family(): the socket's address family, in `family`.
std::error_code socket_family(handle h, int& family) noexcept;

/// bind(). An empty Address is bad input on every platform (Winsock would
/// say WSAEFAULT).
std::error_code bind(handle h, const Address& local) noexcept;

/// listen().
std::error_code listen(handle h, int backlog) noexcept;

/// shutdown().
std::error_code shutdown(handle h, int how) noexcept;

/// getsockname() (peer == false) or getpeername() (peer == true).
Address socket_name(handle h, bool peer, std::error_code& ec) noexcept;

/// connect(), finished within `deadline` if one is set: the socket is made
/// non-blocking for the attempt, poll() (select() on Windows) waits for it,
/// SO_ERROR says how it ended, and blocking mode is restored. An
/// interrupted blocking connect() goes on in the background, so after EINTR
/// it is waited for, not retried. A full Unix listen queue (EAGAIN) is
/// retried, backing off, until the deadline. Without a deadline, a
/// non-blocking socket's connect that has started fails with
/// operation_in_progress on every platform (Winsock says WSAEWOULDBLOCK).
std::error_code connect_once(handle h, const Address& peer, const Deadline& deadline, int error_number = 0) noexcept;

/// connect(), finished within `deadline` if one is set (see connect_once).
/// `stay_non_blocking`: the handle is non-blocking already and stays so.
/// `error_number`: as in connect_once (only without a deadline).
std::error_code connect(handle h, const Address& peer, const Deadline& deadline, bool stay_non_blocking = false,
                        int error_number = 0) noexcept;

/// accept(), the general path. With a deadline, poll() waits for a pending
/// connection first. EINTR and ECONNABORTED (a client that gave up while
/// queued) are retried. `wait` says the caller blocks although the handle
/// is non-blocking (so that no timed accept can block when another thread
/// took the connection poll() saw): then EWOULDBLOCK waits in poll() too.
/// `ip_socket`: as for AddressAccess::adopt. `error_number`: the fast
/// path's accept() already failed with it (without a deadline).
handle accept(handle h, Address* peer, const Deadline* deadline, WaitFlag wait, bool ip_socket, std::error_code& ec,
              int error_number = 0) noexcept;

/// send(), never raising SIGPIPE.
std::size_t send(handle h, const void* data, std::size_t size, const Deadline* deadline, WaitFlag wait,
                 std::error_code& ec, int error_number = 0) noexcept;

/// recv().
std::size_t receive(handle h, void* data, std::size_t size, const Deadline* deadline, WaitFlag wait,
                    std::error_code& ec, int error_number = 0) noexcept;

/// sendto() (to == nullptr: the connected peer).
std::size_t send_to(handle h, const void* data, std::size_t size, const Address* to, const Deadline* deadline,
                    WaitFlag wait, std::error_code& ec, int error_number = 0) noexcept;

/// recvfrom() (from == nullptr: the address is not wanted). A datagram
/// longer than `size` fills the buffer and fails with EMSGSIZE
/// (message_size): nothing is cut off silently.
std::size_t receive_from(handle h, void* data, std::size_t size, Address* from, const Deadline* deadline, WaitFlag wait,
                         std::error_code& ec, int error_number = 0) noexcept;

/// sendmsg() over `count` buffers (to == nullptr: the connected peer).
std::size_t send_vector(handle h, const sys::io_vector* v, std::size_t count, const Address* to,
                        const Deadline* deadline, WaitFlag wait, std::error_code& ec) noexcept;

/// recvmsg() into `count` buffers (from == nullptr: the address is not
/// wanted). `truncated`: a datagram did not fit; the caller reports it.
std::size_t receive_vector(handle h, const sys::io_vector* v, std::size_t count, Address* from,
                           const Deadline* deadline, WaitFlag wait, bool& truncated, std::error_code& ec) noexcept;

/// recvmsg() with a control buffer (sys::recv_with_metadata): as
/// receive_vector() for one buffer, and the datagram's metadata in `meta`
/// (cleared first). `truncated`: the datagram did not fit; the caller reports it.
std::size_t receive_with_metadata(handle h, void* data, std::size_t size, Address* from, DatagramMetadata& meta,
                                  const Deadline* deadline, WaitFlag wait, bool& truncated,
                                  std::error_code& ec) noexcept;

/// setsockopt() of a receive-metadata option: sys::set_receive_timestamps
/// or sys::set_receive_destination.
std::error_code set_receive_metadata(handle h, int (*set)(handle, bool) noexcept, bool on) noexcept;

}  // namespace detail
// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES

namespace detail {

OUTLET_DETAIL_DEF void back_off(const Deadline& deadline, int attempt) noexcept {
  const int step = 1 << (attempt < 6 ? attempt : 6);
  const int left = deadline.poll_timeout_ms();
  sys::sleep_ms(left >= 0 && left < step ? left : step);
}

OUTLET_DETAIL_DEF std::error_code wait_ready(handle h, short events, const Deadline& deadline,
                                             bool connecting) noexcept {
  for (;;) {
    short revents = 0;
    const int ms = deadline.poll_timeout_ms();
    const int r = hook_fails(SysCall::poll, h) ? -1
                  : connecting                 ? sys::wait_connect(h, ms)
                                               : sys::poll_one(h, events, ms, revents);
    if (r > 0) return {};  // ready, or an error the next call will report
    if (r == 0) {
      if (!deadline.is_set() || !deadline.expired()) continue;  // woke early: wait for the rest
      return timed_out();
    }
    const int e = sys::last_error();
    if (e != sys::err_interrupted) return sys::to_error_code(e);
    if (deadline.expired()) return timed_out();
  }
}

// --- lifetime ----------------------------------------------------------------

OUTLET_DETAIL_DEF handle open(int family, int type, std::error_code& ec) noexcept {
  handle h = try_open(family, type);
  ec = h == sys::invalid_handle ? last_error_code() : std::error_code{};
  return h;
}

OUTLET_DETAIL_DEF std::error_code close(handle h) noexcept {
  const int r = hook_fails(SysCall::close, h) ? -1 : sys::close_socket(h);
  if (r == 0) return {};
  const int e = sys::last_error();
  return e == sys::err_interrupted ? std::error_code{} : sys::to_error_code(e);
}

OUTLET_DETAIL_DEF std::error_code set_non_blocking(handle h, bool on) noexcept {
  const int r = hook_fails(SysCall::option, h) ? -1 : sys::set_blocking_mode(h, on);
  return r == 0 ? std::error_code{} : last_error_code();
}

// --- options -----------------------------------------------------------------

OUTLET_DETAIL_DEF std::error_code set_option(handle h, int level, int name, const void* value,
                                             std::size_t size) noexcept {
  const int r =
      hook_fails(SysCall::option, h) ? -1 : sys::set_option(h, level, name, value, static_cast<sys::socklen>(size));
  return r == 0 ? std::error_code{} : last_error_code();
}

OUTLET_DETAIL_DEF std::error_code get_option(handle h, int level, int name, void* value, std::size_t& size) noexcept {
  auto len = static_cast<sys::socklen>(size);
  const int r = hook_fails(SysCall::option, h) ? -1 : sys::get_option(h, level, name, value, &len);
  if (r != 0) return last_error_code();
  size = static_cast<std::size_t>(len);
  return {};
}

OUTLET_DETAIL_DEF std::error_code pending_error(handle h) noexcept {
  int value = 0;
  std::size_t size = sizeof value;
  if (std::error_code ec = get_option(h, SOL_SOCKET, SO_ERROR, &value, size)) return ec;
  return value == 0 ? std::error_code{} : sys::to_error_code(value);
}

OUTLET_DETAIL_DEF std::error_code tcp_statistics(handle h, TcpStatistics& out) noexcept {
  const int r = hook_fails(SysCall::option, h) ? -1 : sys::tcp_statistics(h, out);
  return r == 0 ? std::error_code{} : last_error_code();
}

// --- multicast (issue #19) ----------------------------------------------------------

OUTLET_DETAIL_DEF std::error_code change_membership(handle h, bool join, const Address& group, const Address* source,
                                                    unsigned index) noexcept {
  const int r = hook_fails(SysCall::option, h)
                    ? -1
                    : sys::change_membership(h, join, group.native(), group.native_size(),
                                             source != nullptr ? source->native() : nullptr,
                                             source != nullptr ? source->native_size() : 0, index);
  return r == 0 ? std::error_code{} : last_error_code();
}

OUTLET_DETAIL_DEF std::error_code set_multicast_interface(handle h, int family, unsigned index) noexcept {
  const int r = hook_fails(SysCall::option, h) ? -1 : sys::set_multicast_interface(h, family, index);
  return r == 0 ? std::error_code{} : last_error_code();
}

OUTLET_DETAIL_DEF std::error_code socket_family(handle h, int& family) noexcept {
  family = hook_fails(SysCall::name, h) ? -1 : sys::socket_family(h);
  return family != -1 ? std::error_code{} : last_error_code();
}

// --- addresses -----------------------------------------------------------------

OUTLET_DETAIL_DEF std::error_code bind(handle h, const Address& local) noexcept {
  if (local.empty()) return invalid_argument();
  const int r = hook_fails(SysCall::bind, h) ? -1 : sys::bind_socket(h, local.native(), local.native_size());
  return r == 0 ? std::error_code{} : last_error_code();
}

OUTLET_DETAIL_DEF std::error_code listen(handle h, int backlog) noexcept {
  const int r = hook_fails(SysCall::listen, h) ? -1 : sys::listen_socket(h, backlog);
  return r == 0 ? std::error_code{} : last_error_code();
}

OUTLET_DETAIL_DEF std::error_code shutdown(handle h, int how) noexcept {
  const int r = hook_fails(SysCall::shutdown, h) ? -1 : sys::shutdown_socket(h, how);
  return r == 0 ? std::error_code{} : last_error_code();
}

OUTLET_DETAIL_DEF Address socket_name(handle h, bool peer, std::error_code& ec) noexcept {
  sockaddr_storage storage{};
  auto len = static_cast<sys::socklen>(sizeof storage);
  auto* sa = reinterpret_cast<sockaddr*>(&storage);
  const int r = hook_fails(SysCall::name, h) ? -1 : peer ? sys::peer_name(h, sa, &len) : sys::local_name(h, sa, &len);
  if (r != 0) {
    ec = last_error_code();
    return {};
  }
  return Address::from_native(sa, len, ec);
}

// --- connect / accept ---------------------------------------------------------

OUTLET_DETAIL_DEF std::error_code connect_once(handle h, const Address& peer, const Deadline& deadline,
                                               int error_number) noexcept {
  for (int attempt = 0;; ++attempt) {
    int e = error_number;  // the fast path's first attempt failed with this
    error_number = 0;
    if (e == 0) {
      if (try_connect(h, peer) == 0) return {};
      e = sys::last_error();
    }
    if (deadline.is_set() && sys::connect_backlog_full(e)) {  // a Unix listener's queue is full: try again
      if (deadline.expired()) return timed_out();
      back_off(deadline, attempt);
      continue;
    }
    const bool pending = e == sys::err_interrupted || (deadline.is_set() && sys::connect_in_progress(e));
    if (!pending) return sys::to_error_code(sys::connect_in_progress(e) ? sys::err_in_progress : e);
    if (std::error_code ec = wait_ready(h, sys::poll_out, deadline, true)) return ec;
    return pending_error(h);
  }
}

OUTLET_DETAIL_DEF std::error_code connect(handle h, const Address& peer, const Deadline& deadline,
                                          bool stay_non_blocking, int error_number) noexcept {
  if (peer.empty()) return invalid_argument();  // as bind(); reached only after the fast path error_number
  if (deadline.is_set() && !stay_non_blocking) {
    if (std::error_code ec = set_non_blocking(h, true)) return ec;
  }
  std::error_code ec = connect_once(h, peer, deadline, error_number);
  if (deadline.is_set() && !stay_non_blocking) {
    const std::error_code restore = set_non_blocking(h, false);
    if (!ec) ec = restore;
  }
  return ec;
}

OUTLET_DETAIL_DEF handle accept(handle h, Address* peer, const Deadline* deadline, WaitFlag wait, bool ip_socket,
                                std::error_code& ec, int error_number) noexcept {
  for (;;) {
    int e = error_number;  // the fast path's first attempt failed with this
    error_number = 0;
    if (e == 0) {
      if (deadline != nullptr) {
        if ((ec = wait_ready(h, sys::poll_in, *deadline))) return sys::invalid_handle;
      }
      auto len = AddressAccess::capacity;  // the client's name goes straight into `peer`
      const handle c = try_accept(h, peer, len);
      if (c != sys::invalid_handle) {
        ec.clear();
        if (peer != nullptr) AddressAccess::adopt(*peer, len, ip_socket);
        return c;
      }
      e = sys::last_error();
    }
    const bool would_block = e == sys::err_would_block;
    const bool retry = e == sys::err_interrupted || e == sys::err_connect_aborted ||
                       (would_block && (deadline != nullptr || waits(wait)));
    if (!retry) {
      ec = sys::to_error_code(e);
      return sys::invalid_handle;
    }
    if (would_block && deadline == nullptr && (ec = wait_ready(h, sys::poll_in, Deadline())))
      return sys::invalid_handle;
    if (deadline != nullptr && deadline->expired()) {
      ec = timed_out();
      return sys::invalid_handle;
    }
  }
}

// --- data ------------------------------------------------------------------------

/// One I/O call, `io(dont_wait)`, retried after EINTR. With a deadline,
/// poll() first waits for `events`, and a spurious wake-up (EWOULDBLOCK)
/// waits again. `wait` says the caller blocks although the handle is
/// non-blocking (kept so for timed calls where send/recv have no "don't
/// wait" flag): then EWOULDBLOCK waits in poll() too.
/// `error_number`: the fast path (try_send, try_receive) already made the first
/// attempt, without a deadline, and it failed with this native error; the
/// loop starts by handling it instead of calling again.
template <class Io>
OUTLET_DETAIL_DEF std::size_t transfer(handle h, SysCall which, short events, const Deadline* deadline, WaitFlag wait,
                                       Io&& io, std::error_code& ec, int error_number = 0) noexcept {
  for (int spurious = 0;; ++spurious) {
    int e = error_number;
    error_number = 0;
    if (e == 0) {
      if (deadline != nullptr) {
        // poll() may keep saying "ready" while the call keeps failing with
        // EWOULDBLOCK (a Unix datagram receiver with a full queue): back off.
        if (spurious > 1) back_off(*deadline, spurious - 2);
        if ((ec = wait_ready(h, events, *deadline))) return 0;
      }
      const sys::io_result n = hook_fails(which, h) ? sys::io_result(-1) : io(deadline != nullptr);
      if (n >= 0) {
        ec.clear();
        return static_cast<std::size_t>(n);
      }
      e = sys::last_error();
    }
    const bool would_block = e == sys::err_would_block;
    const bool retry = e == sys::err_interrupted || (would_block && (deadline != nullptr || waits(wait)));
    if (!retry) {
      ec = sys::to_error_code(e);
      return 0;
    }
    if (would_block && deadline == nullptr && (ec = wait_ready(h, events, Deadline()))) return 0;
    if (deadline != nullptr && deadline->expired()) {
      ec = timed_out();
      return 0;
    }
  }
}

OUTLET_DETAIL_DEF std::size_t send(handle h, const void* data, std::size_t size, const Deadline* deadline,
                                   WaitFlag wait, std::error_code& ec, int error_number) noexcept {
  return transfer(
      h, SysCall::send, sys::poll_out, deadline, wait,
      [&](bool dont_wait) { return sys::send_some(h, data, size, dont_wait); }, ec, error_number);
}

OUTLET_DETAIL_DEF std::size_t receive(handle h, void* data, std::size_t size, const Deadline* deadline, WaitFlag wait,
                                      std::error_code& ec, int error_number) noexcept {
  return transfer(
      h, SysCall::receive, sys::poll_in, deadline, wait,
      [&](bool dont_wait) { return sys::recv_some(h, data, size, dont_wait); }, ec, error_number);
}

OUTLET_DETAIL_DEF std::size_t send_to(handle h, const void* data, std::size_t size, const Address* to,
                                      const Deadline* deadline, WaitFlag wait, std::error_code& ec,
                                      int error_number) noexcept {
  const sockaddr* sa = to != nullptr ? to->native() : nullptr;
  const sys::socklen len = to != nullptr ? to->native_size() : 0;
  return transfer(
      h, SysCall::send, sys::poll_out, deadline, wait,
      [&](bool dont_wait) { return sys::send_datagram(h, data, size, sa, len, dont_wait); }, ec, error_number);
}

OUTLET_DETAIL_DEF std::size_t receive_from(handle h, void* data, std::size_t size, Address* from,
                                           const Deadline* deadline, WaitFlag wait, std::error_code& ec,
                                           int error_number) noexcept {
  auto len = AddressAccess::capacity;  // the sender's name goes straight into `from`
  sockaddr* sa = from != nullptr ? AddressAccess::storage(*from) : nullptr;
  bool truncated = false;
  const std::size_t n = transfer(
      h, SysCall::receive, sys::poll_in, deadline, wait,
      [&](bool dont_wait) {
        return sys::recv_datagram(h, data, size, sa, from != nullptr ? &len : nullptr, dont_wait, truncated);
      },
      ec, error_number);
  if (ec) return 0;
  if (from != nullptr) AddressAccess::adopt(*from, len);
  if (truncated) ec = sys::to_error_code(sys::err_message_size);
  return n;
}

OUTLET_DETAIL_DEF std::size_t send_vector(handle h, const sys::io_vector* v, std::size_t count, const Address* to,
                                          const Deadline* deadline, WaitFlag wait, std::error_code& ec) noexcept {
  const sockaddr* sa = to != nullptr ? to->native() : nullptr;
  const sys::socklen len = to != nullptr ? to->native_size() : 0;
  return transfer(
      h, SysCall::send, sys::poll_out, deadline, wait,
      [&](bool dont_wait) { return sys::send_vector(h, v, count, sa, len, dont_wait); }, ec);
}

OUTLET_DETAIL_DEF std::size_t receive_vector(handle h, const sys::io_vector* v, std::size_t count, Address* from,
                                             const Deadline* deadline, WaitFlag wait, bool& truncated,
                                             std::error_code& ec) noexcept {
  auto len = AddressAccess::capacity;  // the sender's name goes straight into `from`
  sockaddr* sa = from != nullptr ? AddressAccess::storage(*from) : nullptr;
  truncated = false;
  const std::size_t n = transfer(
      h, SysCall::receive, sys::poll_in, deadline, wait,
      [&](bool dont_wait) {
        return sys::recv_vector(h, v, count, sa, from != nullptr ? &len : nullptr, dont_wait, truncated);
      },
      ec);
  if (!ec && from != nullptr) AddressAccess::adopt(*from, len);
  return n;
}

OUTLET_DETAIL_DEF std::size_t receive_with_metadata(handle h, void* data, std::size_t size, Address* from,
                                                    DatagramMetadata& meta, const Deadline* deadline, WaitFlag wait,
                                                    bool& truncated, std::error_code& ec) noexcept {
  auto len = AddressAccess::capacity;  // the sender's name goes straight into `from`
  sockaddr* sa = from != nullptr ? AddressAccess::storage(*from) : nullptr;
  truncated = false;
  meta = DatagramMetadata{};
  const std::size_t n = transfer(
      h, SysCall::receive, sys::poll_in, deadline, wait,
      [&](bool dont_wait) {
        return sys::recv_with_metadata(h, data, size, sa, from != nullptr ? &len : nullptr, dont_wait, truncated, meta);
      },
      ec);
  if (!ec && from != nullptr) AddressAccess::adopt(*from, len);
  return n;
}

OUTLET_DETAIL_DEF std::error_code set_receive_metadata(handle h, int (*set)(handle, bool) noexcept, bool on) noexcept {
  const int r = hook_fails(SysCall::option, h) ? -1 : set(h, on);
  return r == 0 ? std::error_code{} : last_error_code();
}

}  // namespace detail

#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_DETAIL_SOCKET_OPS_HPP
