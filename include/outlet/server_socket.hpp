// outlet — ServerSocket: a listening stream socket (bind, listen, accept).
#ifndef OUTLET_SERVER_SOCKET_HPP
#define OUTLET_SERVER_SOCKET_HPP

#include <outlet/address.hpp>
#include <outlet/bind_options.hpp>
#include <outlet/socket.hpp>
#include <outlet/socket_base.hpp>

#include <system_error>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

/// A listening stream socket (TCP, or Unix stream). Move-only; the
/// destructor closes it, and a Unix-domain one removes the socket file its
/// bind() created.
class ServerSocket : public detail::BindableSocket {
public:
  /// A server socket that is not open.
  ServerSocket() noexcept = default;
  /// socket(family, SOCK_STREAM) only: set options, then bind() and listen().
  explicit ServerSocket(Family family);
  /// socket() + bind() + listen(). Sets SO_REUSEADDR first (SO_EXCLUSIVEADDRUSE
  /// on Windows) so a restarted server rebinds at once, and IPV6_V6ONLY for
  /// IPv6. Port 0 picks a free port: read it with local_address().port().
  explicit ServerSocket(const Address& local, int backlog = default_backlog);
  /// socket() + the options + bind() + listen(options.backlog), each option
  /// as ListenOptions says (reuse address and port, IPv6-only, TCP Fast
  /// Open). ListenOptions{} does what the constructor above does. what()
  /// names the step that failed and the address:
  /// "setsockopt(SO_REUSEPORT) 127.0.0.1:8080: Operation not supported".
  ServerSocket(const Address& local, const ListenOptions& options);
  /// Takes ownership of a native listening socket (assumed blocking).
  [[nodiscard]] static ServerSocket adopt(native_handle_type handle) noexcept;

  ServerSocket(ServerSocket&&) noexcept = default;
  ServerSocket& operator=(ServerSocket&&) noexcept = default;
  ~ServerSocket() = default;

  /// bind(); opens a socket of local's family first if none is open.
  void bind(const Address& local);
  void bind(const Address& local, std::error_code& ec) noexcept;
  /// listen().
  void listen(int backlog = default_backlog);
  void listen(int backlog, std::error_code& ec) noexcept;
  void listen(std::error_code& ec) noexcept { listen(default_backlog, ec); }
  /// Sets the options, then bind() and listen(options.backlog), as
  /// ServerSocket(local, options) does; opens a socket of local's family
  /// first if none is open (an open one keeps what was set on it before,
  /// except what the options set).
  void listen(const Address& local, const ListenOptions& options);
  void listen(const Address& local, const ListenOptions& options, std::error_code& ec) noexcept;

  /// accept() (accept4 with SOCK_CLOEXEC): the next connection, as a blocking
  /// Socket. Waits with no limit, or at most the receive timeout if one is set.
  [[nodiscard]] Socket accept();
  [[nodiscard]] Socket accept(std::error_code& ec) noexcept;
  /// accept(), also giving the client's address.
  [[nodiscard]] Socket accept(Address& peer);
  [[nodiscard]] Socket accept(Address& peer, std::error_code& ec) noexcept;
  /// poll() then accept(): fails with std::errc::timed_out after `timeout`
  /// (the receive timeout does not apply). Zero does not wait: it takes a
  /// connection already queued, or fails with timed_out at once (README,
  /// "Timeouts"). Negative: invalid_argument.
  [[nodiscard]] Socket accept(duration timeout);
  [[nodiscard]] Socket accept(duration timeout, std::error_code& ec) noexcept;
  [[nodiscard]] Socket accept(Address& peer, duration timeout);
  [[nodiscard]] Socket accept(Address& peer, duration timeout, std::error_code& ec) noexcept;

private:
  ServerSocket(detail::AdoptHandle, native_handle_type handle) noexcept : BindableSocket(handle) {}
  // accept()'s one body, given the error policy of the form that called it:
  // without a deadline, first the one accept() plain code makes; any
  // failure, and every timed accept, goes to the out-of-line general path.
  // `timeout`: the one passed to accept(), or nullptr for the untimed forms
  // (which wait at most the receive timeout).
  template <class P>
  Socket accept_with(Address* peer, const duration* timeout, P policy) noexcept(P::nothrow);
  template <class P>
  Socket accept_slow(Address* peer, const duration* timeout, int error_number, P policy) noexcept(P::nothrow);
  /// listen(local, options)'s body; `step` says which step failed.
  std::error_code listen_on(const Address& local, const ListenOptions& options, detail::BindStep& step) noexcept;
  /// The accepted handle as the blocking Socket every platform gives.
  std::error_code make_blocking(Socket& socket) const noexcept;
};

// ---------------------------------------------------------------------------
// Implementation: inline in every mode (fast paths, accessors, templates)

template <class P>
OUTLET_DETAIL_INLINE Socket ServerSocket::accept_with(Address* peer, const duration* timeout,
                                                      P policy) noexcept(P::nothrow) {
  if (timeout != nullptr || (receive_timeout_.count() != 0 && !non_blocking_))
    return accept_slow(peer, timeout, 0, policy);
  auto len = detail::AddressAccess::capacity;
  Socket socket(detail::AdoptHandle{}, detail::try_accept(handle_, peer, len));
  if (!socket.is_open()) return accept_slow(peer, timeout, detail::sys::last_error(), policy);
  socket.ip_ = ip_;
  if (peer != nullptr) detail::AddressAccess::adopt(*peer, len, ip_);
  if (detail::sys::accept_inherits_non_blocking && (non_blocking_ || internal_non_blocking_.load())) {
    if (std::error_code ec = make_blocking(socket)) return policy.check(Socket(), ec);
  }
  policy.success();
  return socket;
}

inline Socket ServerSocket::accept(std::error_code& ec) noexcept {
  return accept_with(nullptr, nullptr, detail::Store{ec});
}
inline Socket ServerSocket::accept() { return accept_with(nullptr, nullptr, detail::Throw{"accept"}); }
inline Socket ServerSocket::accept(Address& peer, std::error_code& ec) noexcept {
  return accept_with(&peer, nullptr, detail::Store{ec});
}
inline Socket ServerSocket::accept(Address& peer) { return accept_with(&peer, nullptr, detail::Throw{"accept"}); }
inline Socket ServerSocket::accept(duration timeout, std::error_code& ec) noexcept {
  return accept_with(nullptr, &timeout, detail::Store{ec});
}
inline Socket ServerSocket::accept(duration timeout) { return accept_with(nullptr, &timeout, detail::Throw{"accept"}); }
inline Socket ServerSocket::accept(Address& peer, duration timeout, std::error_code& ec) noexcept {
  return accept_with(&peer, &timeout, detail::Store{ec});
}
inline Socket ServerSocket::accept(Address& peer, duration timeout) {
  return accept_with(&peer, &timeout, detail::Throw{"accept"});
}

// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES

OUTLET_DETAIL_DEF ServerSocket::ServerSocket(Family family) {
  detail::Throw{"socket"}.check(open(family, SOCK_STREAM));
}

OUTLET_DETAIL_DEF ServerSocket::ServerSocket(const Address& local, int backlog) {
  detail::Throw{"socket", &local}.check(open(local.family(), SOCK_STREAM));
  detail::Throw{"setsockopt", &local}.check(prepare_bind(local, true));
  detail::check_bind(bind_address(local), local);
  detail::Throw{"listen", &local}.check(detail::listen(handle_, backlog));
}

OUTLET_DETAIL_DEF ServerSocket::ServerSocket(const Address& local, const ListenOptions& options) {
  listen(local, options);
}

OUTLET_DETAIL_DEF std::error_code ServerSocket::listen_on(const Address& local, const ListenOptions& options,
                                                          detail::BindStep& step) noexcept {
  if (!is_open()) {
    if (std::error_code ec = open(local.family(), SOCK_STREAM)) return ec;
  }
  if (std::error_code ec = detail::apply_listen_options(handle_, local, options, step)) return ec;
  step = detail::BindStep{"bind"};
  if (std::error_code ec = bind_address(local)) return ec;
  step = detail::BindStep{"listen", "backlog", options.backlog};
  return detail::listen(handle_, options.backlog);
}
OUTLET_DETAIL_DEF void ServerSocket::listen(const Address& local, const ListenOptions& options,
                                            std::error_code& ec) noexcept {
  detail::BindStep step;
  ec = listen_on(local, options, step);
}
OUTLET_DETAIL_DEF void ServerSocket::listen(const Address& local, const ListenOptions& options) {
  detail::BindStep step;
  detail::check_step(listen_on(local, options, step), step, local);
}

OUTLET_DETAIL_DEF ServerSocket ServerSocket::adopt(native_handle_type handle) noexcept {
  return ServerSocket(detail::AdoptHandle{}, handle);
}

OUTLET_DETAIL_DEF void ServerSocket::bind(const Address& local, std::error_code& ec) noexcept {
  detail::Store{ec}.check(bind_or_open(local, SOCK_STREAM));
}
OUTLET_DETAIL_DEF void ServerSocket::bind(const Address& local) {
  detail::check_bind(bind_or_open(local, SOCK_STREAM), local);
}

OUTLET_DETAIL_DEF void ServerSocket::listen(int backlog, std::error_code& ec) noexcept {
  ec = is_open() ? detail::listen(handle_, backlog) : detail::not_open();
}
OUTLET_DETAIL_DEF void ServerSocket::listen(int backlog) {
  detail::Throw{"listen"}.check(is_open() ? detail::listen(handle_, backlog) : detail::not_open());
}

template <class P>
OUTLET_DETAIL_COLD Socket ServerSocket::accept_slow(Address* peer, const duration* timeout, int error_number,
                                                    P policy) noexcept(P::nothrow) {
  if (!is_open()) return policy.check(Socket(), detail::not_open());
  if (timeout != nullptr && timeout->count() < 0) {
    return policy.check(Socket(), detail::invalid_argument(),
                        [&](const char* op) { return detail::describe_negative_timeout(op, timeout->count()); });
  }
  const detail::Deadline deadline =
      timeout != nullptr ? deadline_for_argument(*timeout) : deadline_for(receive_timeout_);
  // accept() has no per-call "don't wait" flag, and another thread may take
  // the connection poll() saw: a timed accept needs a non-blocking handle.
  // It stays so (one ioctl, once); untimed accepts then wait in poll().
  std::error_code ec;
  if (deadline.is_set() && (ec = keep_non_blocking())) return policy.check(Socket(), ec);
  Socket socket(detail::AdoptHandle{}, detail::accept(handle_, peer, deadline.is_set() ? &deadline : nullptr,
                                                      waits_in_poll(), ip_, ec, deadline.is_set() ? 0 : error_number));
  if (ec) return policy.check(Socket(), blocking_error(ec));
  socket.ip_ = ip_;
  if (detail::sys::accept_inherits_non_blocking && (non_blocking_ || internal_non_blocking_.load()))
    ec = make_blocking(socket);
  return policy.check(ec ? Socket() : std::move(socket), ec);
}

OUTLET_DETAIL_DEF std::error_code ServerSocket::make_blocking(Socket& socket) const noexcept {
  // Where accepted sockets inherit O_NONBLOCK (BSD accept(), Windows), give
  // the caller the blocking socket it gets everywhere else.
  return detail::set_non_blocking(socket.handle_, false);
}

#if defined(OUTLET_SEPARATE_COMPILATION)
// The slow path the inline fast path calls, for both error policies.
template Socket ServerSocket::accept_slow(Address*, const duration*, int, detail::Throw);
template Socket ServerSocket::accept_slow(Address*, const duration*, int, detail::Store);
#endif  // defined(OUTLET_SEPARATE_COMPILATION)

#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_SERVER_SOCKET_HPP
