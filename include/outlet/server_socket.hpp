// outlet — ServerSocket: a listening stream socket (bind, listen, accept).
#ifndef OUTLET_SERVER_SOCKET_HPP
#define OUTLET_SERVER_SOCKET_HPP

#include <outlet/address.hpp>
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

  /// accept() (accept4 with SOCK_CLOEXEC): the next connection, as a blocking
  /// Socket. Waits at most the receive timeout, if one is set.
  [[nodiscard]] Socket accept();
  [[nodiscard]] Socket accept(std::error_code& ec) noexcept;
  /// accept(), also giving the client's address.
  [[nodiscard]] Socket accept(Address& peer);
  [[nodiscard]] Socket accept(Address& peer, std::error_code& ec) noexcept;
  /// poll() then accept(): fails with std::errc::timed_out after `timeout`.
  [[nodiscard]] Socket accept(duration timeout);
  [[nodiscard]] Socket accept(duration timeout, std::error_code& ec) noexcept;
  [[nodiscard]] Socket accept(Address& peer, duration timeout);
  [[nodiscard]] Socket accept(Address& peer, duration timeout, std::error_code& ec) noexcept;

private:
  explicit ServerSocket(native_handle_type handle) noexcept : BindableSocket(handle) {}
  Socket accept_until(Address* peer, duration timeout, std::error_code& ec) noexcept;
  Socket accept_or_throw(Address* peer, duration timeout);
};

// ---------------------------------------------------------------------------
// Implementation

inline ServerSocket::ServerSocket(Family family) {
  if (std::error_code ec = open(family, SOCK_STREAM)) fail(ec, "socket");
}

inline ServerSocket::ServerSocket(const Address& local, int backlog) {
  std::error_code ec = open(local.family(), SOCK_STREAM);
  if (ec) fail(ec, "socket", local);
  if ((ec = prepare_bind(local, true))) fail(ec, "setsockopt", local);
  if ((ec = bind_address(local))) fail(ec, "bind", local);
  if ((ec = detail::listen(handle_, backlog))) fail(ec, "listen", local);
}

inline ServerSocket ServerSocket::adopt(native_handle_type handle) noexcept { return ServerSocket(handle); }

inline void ServerSocket::bind(const Address& local, std::error_code& ec) noexcept {
  if (!is_open() && (ec = open(local.family(), SOCK_STREAM))) return;
  ec = bind_address(local);
}

inline void ServerSocket::bind(const Address& local) {
  std::error_code ec;
  bind(local, ec);
  if (ec) fail(ec, "bind", local);
}

inline void ServerSocket::listen(int backlog, std::error_code& ec) noexcept {
  ec = is_open() ? detail::listen(handle_, backlog) : detail::not_open();
}

inline void ServerSocket::listen(int backlog) {
  std::error_code ec;
  listen(backlog, ec);
  if (ec) fail(ec, "listen");
}

inline Socket ServerSocket::accept_until(Address* peer, duration timeout, std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return {};
  }
  if (timeout < duration::zero()) {
    ec = detail::invalid_argument();
    return {};
  }
  const detail::Deadline deadline = deadline_for(timeout.count() > 0 ? timeout : receive_timeout_);
  // accept() has no per-call "don't wait" flag, and another thread may take
  // the connection poll() saw: a timed accept needs a non-blocking handle.
  // It stays so (one ioctl, once); untimed accepts then wait in poll().
  if (deadline.is_set() && (ec = keep_non_blocking())) return {};
  Socket socket(detail::accept(handle_, peer, deadline.is_set() ? &deadline : nullptr, waits_in_poll(), ec));
  if (ec) {
    ec = blocking_error(ec);
    return {};
  }
  // Where accepted sockets inherit O_NONBLOCK (BSD accept(), Windows), give
  // the caller the blocking socket it gets everywhere else.
  if (detail::sys::accept_inherits_non_blocking && (non_blocking_ || internal_non_blocking_.load()))
    ec = detail::set_non_blocking(socket.handle_, false);
  return ec ? Socket() : std::move(socket);
}

inline Socket ServerSocket::accept_or_throw(Address* peer, duration timeout) {
  if (timeout < duration::zero() && is_open()) detail::throw_negative_timeout("accept", timeout.count());
  std::error_code ec;
  Socket socket = accept_until(peer, timeout, ec);
  if (ec) fail(ec, "accept");
  return socket;
}

inline Socket ServerSocket::accept(std::error_code& ec) noexcept { return accept_until(nullptr, {}, ec); }
inline Socket ServerSocket::accept() { return accept_or_throw(nullptr, {}); }
inline Socket ServerSocket::accept(Address& peer, std::error_code& ec) noexcept { return accept_until(&peer, {}, ec); }
inline Socket ServerSocket::accept(Address& peer) { return accept_or_throw(&peer, {}); }
inline Socket ServerSocket::accept(duration timeout, std::error_code& ec) noexcept {
  return accept_until(nullptr, timeout, ec);
}
inline Socket ServerSocket::accept(duration timeout) { return accept_or_throw(nullptr, timeout); }
inline Socket ServerSocket::accept(Address& peer, duration timeout, std::error_code& ec) noexcept {
  return accept_until(&peer, timeout, ec);
}
inline Socket ServerSocket::accept(Address& peer, duration timeout) { return accept_or_throw(&peer, timeout); }

}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_SERVER_SOCKET_HPP
