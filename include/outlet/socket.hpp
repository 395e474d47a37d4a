// outlet — Socket: a connected stream (TCP, or Unix stream), and connect().
#ifndef OUTLET_SOCKET_HPP
#define OUTLET_SOCKET_HPP

#include <outlet/address.hpp>
#include <outlet/buffer.hpp>
#include <outlet/socket_base.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

/// Which direction shutdown() closes.
enum class Shutdown {
  receive,  ///< SHUT_RD (SD_RECEIVE on Windows): no more receiving.
  send,     ///< SHUT_WR (SD_SEND): no more sending; the peer reads end-of-stream.
  both      ///< SHUT_RDWR (SD_BOTH): neither.
};

/// A connected stream socket (TCP, or Unix stream). Move-only; the
/// destructor closes it.
class Socket : public BasicSocket {
public:
  /// A socket that is not open.
  Socket() noexcept = default;
  /// socket(family, SOCK_STREAM): open, not connected.
  explicit Socket(Family family);
  /// socket() + connect(): connected to `peer`.
  explicit Socket(const Address& peer);
  /// socket() + connect() within `timeout` (see connect(peer, timeout)).
  Socket(const Address& peer, duration timeout);
  /// Takes ownership of a native stream socket (assumed blocking).
  [[nodiscard]] static Socket adopt(native_handle_type handle) noexcept;

  Socket(Socket&&) noexcept = default;
  Socket& operator=(Socket&&) noexcept = default;
  ~Socket() = default;

  /// connect(); opens a socket of peer's family first if none is open. A
  /// send timeout, if set, limits how long it waits.
  void connect(const Address& peer);
  void connect(const Address& peer, std::error_code& ec) noexcept;
  /// connect() that fails with std::errc::timed_out after `timeout`: makes
  /// the socket non-blocking, connects, poll()s, reads SO_ERROR, and
  /// restores blocking mode.
  void connect(const Address& peer, duration timeout);
  void connect(const Address& peer, duration timeout, std::error_code& ec) noexcept;

  /// One send() (MSG_NOSIGNAL): returns how much was sent, which may be less
  /// than size (use send_all() to send everything).
  [[nodiscard]] std::size_t send(const void* data, std::size_t size);
  [[nodiscard]] std::size_t send(const void* data, std::size_t size, std::error_code& ec) noexcept;
  [[nodiscard]] std::size_t send(std::string_view data);
  [[nodiscard]] std::size_t send(std::string_view data, std::error_code& ec) noexcept;
  /// send() until every byte is sent; the send timeout covers the whole call.
  void send_all(const void* data, std::size_t size);
  /// ec form: returns how many bytes were sent before an error.
  std::size_t send_all(const void* data, std::size_t size, std::error_code& ec) noexcept;
  void send_all(std::string_view data);
  std::size_t send_all(std::string_view data, std::error_code& ec) noexcept;

  /// One recv(): returns how much arrived; 0 means the peer closed.
  [[nodiscard]] std::size_t receive(void* data, std::size_t size);
  [[nodiscard]] std::size_t receive(void* data, std::size_t size, std::error_code& ec) noexcept;
  /// recv() until `size` bytes arrived, or fewer only if the peer closed;
  /// the receive timeout covers the whole call.
  [[nodiscard]] std::size_t receive_exact(void* data, std::size_t size);
  [[nodiscard]] std::size_t receive_exact(void* data, std::size_t size, std::error_code& ec) noexcept;

  /// One sendmsg() (WSASendTo() on Windows) of several buffers in order, as
  /// if they were one: returns how many bytes were sent, which may be less
  /// than their total (use send_all_vectored()). At most max_buffers()
  /// buffers go in one call; the rest are left for the next.
  [[nodiscard]] std::size_t send_vectored(const ConstBuffer* buffers, std::size_t count);
  [[nodiscard]] std::size_t send_vectored(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept;
  [[nodiscard]] std::size_t send_vectored(std::initializer_list<ConstBuffer> buffers);
  [[nodiscard]] std::size_t send_vectored(std::initializer_list<ConstBuffer> buffers, std::error_code& ec) noexcept;
  /// sendmsg() until every byte of every buffer is sent, resuming a partial
  /// write in the middle of a buffer; the send timeout covers the whole call.
  /// The caller's array is not changed.
  void send_all_vectored(const ConstBuffer* buffers, std::size_t count);
  /// ec form: returns how many bytes were sent before an error.
  std::size_t send_all_vectored(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept;
  void send_all_vectored(std::initializer_list<ConstBuffer> buffers);
  std::size_t send_all_vectored(std::initializer_list<ConstBuffer> buffers, std::error_code& ec) noexcept;
  /// One recvmsg() (WSARecvFrom() on Windows) that fills the buffers in order:
  /// returns how many bytes arrived; 0 means the peer closed.
  [[nodiscard]] std::size_t receive_vectored(const MutableBuffer* buffers, std::size_t count);
  [[nodiscard]] std::size_t receive_vectored(const MutableBuffer* buffers, std::size_t count,
                                             std::error_code& ec) noexcept;
  /// recvmsg() until every buffer is full, or less only if the peer closed;
  /// the receive timeout covers the whole call.
  [[nodiscard]] std::size_t receive_exact_vectored(const MutableBuffer* buffers, std::size_t count);
  [[nodiscard]] std::size_t receive_exact_vectored(const MutableBuffer* buffers, std::size_t count,
                                                   std::error_code& ec) noexcept;
  /// The most buffers one vectored call passes to the OS (IOV_MAX on POSIX,
  /// 64 on Windows); send_all_vectored and receive_exact_vectored take any number.
  [[nodiscard]] static constexpr std::size_t max_buffers() noexcept { return detail::sys::max_io_vectors; }

  /// After a non-blocking connect() reported operation_in_progress and the
  /// socket became writable (Poller, wait_writable()): getsockopt(SO_ERROR),
  /// then getpeername(). Succeeds once connected; fails with how the connect
  /// ended (connection_refused, timed_out, ...), or with
  /// operation_in_progress while it is still going on. Asked again after a
  /// failure: not_connected on POSIX (SO_ERROR is read once), the same error
  /// on Windows.
  void finish_connect();
  void finish_connect(std::error_code& ec) noexcept;

  /// shutdown(): ends sending, receiving or both; the handle stays open.
  void shutdown(Shutdown how);
  void shutdown(Shutdown how, std::error_code& ec) noexcept;
  /// getpeername(): the address this socket is connected to.
  [[nodiscard]] Address peer_address() const;
  [[nodiscard]] Address peer_address(std::error_code& ec) const noexcept;

  /// TCP_NODELAY (IPPROTO_TCP): send small writes at once (no Nagle delay).
  void set_no_delay(bool on);
  void set_no_delay(bool on, std::error_code& ec) noexcept;
  /// getsockopt(): reads TCP_NODELAY.
  [[nodiscard]] bool no_delay() const;
  [[nodiscard]] bool no_delay(std::error_code& ec) const noexcept;
  /// SO_KEEPALIVE (SOL_SOCKET): probe an idle connection.
  void set_keep_alive(bool on);
  void set_keep_alive(bool on, std::error_code& ec) noexcept;
  /// getsockopt(): reads SO_KEEPALIVE.
  [[nodiscard]] bool keep_alive() const;
  [[nodiscard]] bool keep_alive(std::error_code& ec) const noexcept;

private:
  friend class ServerSocket;
  explicit Socket(native_handle_type handle) noexcept : BasicSocket(handle) {}
  void connect_until(const Address& peer, const detail::Deadline& deadline, std::error_code& ec,
                     int failed = 0) noexcept;
  /// The fast path of connect(): 0 connected; -1 not tried, or socket()
  /// failed (its error in `open_error`); else the connect() error, for
  /// connect_until.
  int try_open_and_connect(const Address& peer, int& open_error) noexcept;
  void connect_or_throw(const Address& peer, int failed, int open_error);
  std::size_t send_some(const void* data, std::size_t size, const detail::Deadline* deadline, std::error_code& ec,
                        int failed = 0) noexcept;
  std::size_t receive_some(void* data, std::size_t size, const detail::Deadline* deadline, std::error_code& ec,
                           int failed = 0) noexcept;
  /// Whether send/receive make their first attempt on the fast path (no
  /// deadline applies).
  bool untimed_send() const noexcept { return send_timeout_.count() == 0 || non_blocking_; }
  bool untimed_receive() const noexcept { return receive_timeout_.count() == 0 || non_blocking_; }
  std::size_t send_general(const void* data, std::size_t size, int failed, std::error_code& ec) noexcept;
  std::size_t send_all_general(const char* bytes, std::size_t size, int failed, std::error_code& ec) noexcept;
  std::size_t receive_general(void* data, std::size_t size, int failed, std::error_code& ec) noexcept;
  std::size_t receive_exact_general(char* bytes, std::size_t size, int failed, std::error_code& ec) noexcept;
  // The throwing forms' general paths: the above, then the exception.
  std::size_t send_or_throw(const void* data, std::size_t size, int failed);
  void send_all_or_throw(const char* bytes, std::size_t size, std::size_t sent, int failed);
  std::size_t receive_or_throw(void* data, std::size_t size, int failed);
  std::size_t receive_exact_or_throw(char* bytes, std::size_t size, std::size_t got, int failed);
  std::size_t send_vector_some(const detail::sys::io_vector* v, std::size_t count, const detail::Deadline* deadline,
                               std::error_code& ec) noexcept;
  std::size_t receive_vector_some(const detail::sys::io_vector* v, std::size_t count, const detail::Deadline* deadline,
                                  std::error_code& ec) noexcept;
};

/// Resolves host, then tries each address in turn until one connects, all
/// within one overall deadline (like Python's socket.create_connection).
/// Reports the first address's error if none connects.
[[nodiscard]] Socket connect(std::string_view host, std::uint16_t port);
[[nodiscard]] Socket connect(std::string_view host, std::uint16_t port, std::error_code& ec) noexcept;
[[nodiscard]] Socket connect(std::string_view host, std::uint16_t port, duration timeout);
[[nodiscard]] Socket connect(std::string_view host, std::uint16_t port, duration timeout, std::error_code& ec) noexcept;

// ---------------------------------------------------------------------------
// Implementation

inline Socket::Socket(Family family) {
  if (std::error_code ec = open(family, SOCK_STREAM)) fail(ec, "socket");
}

inline Socket::Socket(const Address& peer) { connect(peer); }

inline Socket::Socket(const Address& peer, duration timeout) { connect(peer, timeout); }

inline Socket Socket::adopt(native_handle_type handle) noexcept { return Socket(handle); }

inline void Socket::connect_until(const Address& peer, const detail::Deadline& deadline, std::error_code& ec,
                                  int failed) noexcept {
  if (!is_open() && (ec = open(peer.family(), SOCK_STREAM))) return;
  if (detail::waits(waits_in_poll()) && !deadline.is_set()) {
    // Non-blocking inside outlet (see keep_non_blocking): wait as long as it takes.
    ec = detail::connect(handle_, peer, detail::Deadline((duration::max)()), true, failed);
    return;
  }
  ec = detail::connect(handle_, peer, deadline, internal_non_blocking_.load(), failed);
}

inline int Socket::try_open_and_connect(const Address& peer, int& open_error) noexcept {
  // Only a fresh socket with nothing to wait for: socket() and connect(),
  // as plain code makes them. Anything else, or any failure, is left to
  // connect_until (with the connect() error, so nothing is tried twice).
  if (is_open() || send_timeout_.count() != 0 || peer.native_size() == 0) return -1;
  const int family = peer.native()->sa_family;
  if (family != AF_INET && family != AF_INET6 && family != AF_UNIX) return -1;
  handle_ = detail::try_open(family, SOCK_STREAM);
  if (handle_ == detail::sys::invalid_handle) {
    open_error = detail::sys::last_error();
    return -1;
  }
  if (detail::try_connect(handle_, peer) == 0) return 0;
  return detail::sys::last_error();
}

inline OUTLET_DETAIL_COLD void Socket::connect_or_throw(const Address& peer, int failed, int open_error) {
  if (open_error != 0) fail(detail::sys::to_error_code(open_error), "connect", peer);
  std::error_code ec;
  connect_until(peer, deadline_for(send_timeout_), ec, failed > 0 ? failed : 0);
  if (ec) fail(ec, "connect", peer);
}

inline void Socket::connect(const Address& peer, std::error_code& ec) noexcept {
  connect_until(peer, deadline_for(send_timeout_), ec);
}

inline void Socket::connect(const Address& peer) {
  int open_error = 0;
  const int r = try_open_and_connect(peer, open_error);
  if (r != 0) connect_or_throw(peer, r, open_error);
}

inline void Socket::connect(const Address& peer, duration timeout, std::error_code& ec) noexcept {
  if (timeout < duration::zero()) {
    ec = detail::invalid_argument();
    return;
  }
  connect_until(peer, deadline_for(timeout), ec);
}

inline void Socket::connect(const Address& peer, duration timeout) {
  if (timeout < duration::zero())
    detail::throw_negative_timeout("connect " + (peer.empty() ? std::string("<empty address>") : peer.to_string()),
                                   timeout.count());
  std::error_code ec;
  connect(peer, timeout, ec);
  if (ec) fail(ec, "connect", peer);
}

inline std::size_t Socket::send_some(const void* data, std::size_t size, const detail::Deadline* deadline,
                                     std::error_code& ec, int failed) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  if ((ec = prepare_timed_io(deadline))) return 0;
  const std::size_t n = detail::send(handle_, data, size, deadline, waits_in_poll(), ec, failed);
  if (ec) ec = blocking_error(ec);
  return n;
}
inline std::size_t Socket::receive_some(void* data, std::size_t size, const detail::Deadline* deadline,
                                        std::error_code& ec, int failed) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  if ((ec = prepare_timed_io(deadline))) return 0;
  const std::size_t n = detail::receive(handle_, data, size, deadline, waits_in_poll(), ec, failed);
  if (ec) ec = blocking_error(ec);
  return n;
}

// Each data call below first tries the one system call plain code would
// make (detail::try_send / try_receive) when no deadline applies, and only
// on failure goes to the general path, which gets the error it failed
// with: no extra system call, and no error_code work on success.

inline OUTLET_DETAIL_COLD std::size_t Socket::send_general(const void* data, std::size_t size, int failed,
                                                           std::error_code& ec) noexcept {
  if (untimed_send()) return send_some(data, size, nullptr, ec, failed);
  const detail::Deadline deadline(send_timeout_);
  return send_some(data, size, &deadline, ec);
}
inline std::size_t Socket::send(const void* data, std::size_t size, std::error_code& ec) noexcept {
  int failed = 0;
  if (untimed_send()) {
    const detail::sys::io_result n = detail::try_send(handle_, data, size);
    if (n >= 0) {
      ec.clear();
      return static_cast<std::size_t>(n);
    }
    failed = detail::sys::last_error();
  }
  return send_general(data, size, failed, ec);
}
inline std::size_t Socket::send(const void* data, std::size_t size) {
  int failed = 0;
  if (untimed_send()) {
    const detail::sys::io_result n = detail::try_send(handle_, data, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    failed = detail::sys::last_error();
  }
  return send_or_throw(data, size, failed);
}
inline OUTLET_DETAIL_COLD std::size_t Socket::send_or_throw(const void* data, std::size_t size, int failed) {
  std::error_code ec;
  const std::size_t n = send_general(data, size, failed, ec);
  if (ec) fail(ec, "send");
  return n;
}
inline std::size_t Socket::send(std::string_view data, std::error_code& ec) noexcept {
  return send(data.data(), data.size(), ec);
}
inline std::size_t Socket::send(std::string_view data) { return send(data.data(), data.size()); }

inline OUTLET_DETAIL_COLD std::size_t Socket::send_all_general(const char* bytes, std::size_t size, int failed,
                                                               std::error_code& ec) noexcept {
  const detail::Deadline deadline = deadline_for(send_timeout_);
  std::size_t sent = 0;
  ec.clear();
  do {  // at least one send(), so an empty send_all still reports a closed socket
    sent += send_some(bytes + sent, size - sent, deadline.is_set() ? &deadline : nullptr, ec, failed);
    failed = 0;
  } while (!ec && sent < size);
  return sent;
}
// send_all and receive_exact spell their fast loops out in both forms: a
// shared helper taking `sent` and `failed` by reference measured 4 more
// instructions per round trip (callgrind, bench/count.py).
inline std::size_t Socket::send_all(const void* data, std::size_t size, std::error_code& ec) noexcept {
  const auto* bytes = static_cast<const char*>(data);
  std::size_t sent = 0;
  int failed = 0;
  if (untimed_send()) {
    for (;;) {
      const detail::sys::io_result n = detail::try_send(handle_, bytes + sent, size - sent);
      if (n < 0) {
        failed = detail::sys::last_error();
        break;
      }
      sent += static_cast<std::size_t>(n);
      if (sent == size) {
        ec.clear();
        return sent;
      }
    }
  }
  return sent + send_all_general(bytes + sent, size - sent, failed, ec);
}
inline void Socket::send_all(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  std::size_t sent = 0;
  int failed = 0;
  if (untimed_send()) {
    for (;;) {
      const detail::sys::io_result n = detail::try_send(handle_, bytes + sent, size - sent);
      if (n < 0) {
        failed = detail::sys::last_error();
        break;
      }
      sent += static_cast<std::size_t>(n);
      if (sent == size) return;
    }
  }
  send_all_or_throw(bytes, size, sent, failed);
}
inline OUTLET_DETAIL_COLD void Socket::send_all_or_throw(const char* bytes, std::size_t size, std::size_t sent,
                                                         int failed) {
  std::error_code ec;
  sent += send_all_general(bytes + sent, size - sent, failed, ec);
  if (ec) detail::throw_error(ec, "send_all (" + std::to_string(sent) + " of " + std::to_string(size) + " bytes sent)");
}
inline std::size_t Socket::send_all(std::string_view data, std::error_code& ec) noexcept {
  return send_all(data.data(), data.size(), ec);
}
inline void Socket::send_all(std::string_view data) { send_all(data.data(), data.size()); }

inline OUTLET_DETAIL_COLD std::size_t Socket::receive_general(void* data, std::size_t size, int failed,
                                                              std::error_code& ec) noexcept {
  if (untimed_receive()) return receive_some(data, size, nullptr, ec, failed);
  const detail::Deadline deadline(receive_timeout_);
  return receive_some(data, size, &deadline, ec);
}
inline std::size_t Socket::receive(void* data, std::size_t size, std::error_code& ec) noexcept {
  int failed = 0;
  if (untimed_receive()) {
    const detail::sys::io_result n = detail::try_receive(handle_, data, size);
    if (n >= 0) {
      ec.clear();
      return static_cast<std::size_t>(n);
    }
    failed = detail::sys::last_error();
  }
  return receive_general(data, size, failed, ec);
}
inline std::size_t Socket::receive(void* data, std::size_t size) {
  int failed = 0;
  if (untimed_receive()) {
    const detail::sys::io_result n = detail::try_receive(handle_, data, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    failed = detail::sys::last_error();
  }
  return receive_or_throw(data, size, failed);
}
inline OUTLET_DETAIL_COLD std::size_t Socket::receive_or_throw(void* data, std::size_t size, int failed) {
  std::error_code ec;
  const std::size_t n = receive_general(data, size, failed, ec);
  if (ec) fail(ec, "receive");
  return n;
}

inline OUTLET_DETAIL_COLD std::size_t Socket::receive_exact_general(char* bytes, std::size_t size, int failed,
                                                                    std::error_code& ec) noexcept {
  if (!is_open()) {  // even for zero bytes, as receive() says
    ec = detail::not_open();
    return 0;
  }
  const detail::Deadline deadline = deadline_for(receive_timeout_);
  std::size_t got = 0;
  ec.clear();
  while (got < size) {
    const std::size_t n = receive_some(bytes + got, size - got, deadline.is_set() ? &deadline : nullptr, ec, failed);
    failed = 0;
    if (ec || n == 0) break;
    got += n;
  }
  return got;
}
inline std::size_t Socket::receive_exact(void* data, std::size_t size, std::error_code& ec) noexcept {
  auto* bytes = static_cast<char*>(data);
  std::size_t got = 0;
  int failed = 0;
  if (untimed_receive()) {
    for (;;) {
      if (got == size) {
        if (size == 0 && !is_open()) break;  // closed: the general path says so
        ec.clear();
        return got;
      }
      const detail::sys::io_result n = detail::try_receive(handle_, bytes + got, size - got);
      if (n < 0) {
        failed = detail::sys::last_error();
        break;
      }
      if (n == 0) {  // the peer closed
        ec.clear();
        return got;
      }
      got += static_cast<std::size_t>(n);
    }
  }
  return got + receive_exact_general(bytes + got, size - got, failed, ec);
}
inline std::size_t Socket::receive_exact(void* data, std::size_t size) {
  auto* bytes = static_cast<char*>(data);
  std::size_t got = 0;
  int failed = 0;
  if (untimed_receive()) {
    for (;;) {
      if (got == size) {
        if (size == 0 && !is_open()) break;  // closed: the general path says so
        return got;
      }
      const detail::sys::io_result n = detail::try_receive(handle_, bytes + got, size - got);
      if (n < 0) {
        failed = detail::sys::last_error();
        break;
      }
      if (n == 0) return got;  // the peer closed
      got += static_cast<std::size_t>(n);
    }
  }
  return receive_exact_or_throw(bytes, size, got, failed);
}
inline OUTLET_DETAIL_COLD std::size_t Socket::receive_exact_or_throw(char* bytes, std::size_t size, std::size_t got,
                                                                     int failed) {
  std::error_code ec;
  got += receive_exact_general(bytes + got, size - got, failed, ec);
  if (ec)
    detail::throw_error(ec,
                        "receive_exact (" + std::to_string(got) + " of " + std::to_string(size) + " bytes received)");
  return got;
}
inline std::size_t Socket::send_vector_some(const detail::sys::io_vector* v, std::size_t count,
                                            const detail::Deadline* deadline, std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  if ((ec = prepare_timed_io(deadline))) return 0;
  const std::size_t n = detail::send_vector(handle_, v, count, nullptr, deadline, waits_in_poll(), ec);
  if (ec) ec = blocking_error(ec);
  return n;
}
inline std::size_t Socket::receive_vector_some(const detail::sys::io_vector* v, std::size_t count,
                                               const detail::Deadline* deadline, std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  if ((ec = prepare_timed_io(deadline))) return 0;
  bool truncated = false;  // a stream has no datagrams to cut
  const std::size_t n = detail::receive_vector(handle_, v, count, nullptr, deadline, waits_in_poll(), truncated, ec);
  if (ec) ec = blocking_error(ec);
  return n;
}
inline std::size_t Socket::send_vectored(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept {
  const detail::sys::io_vector* v = detail::BufferAccess::native(buffers);
  if (untimed_send()) return send_vector_some(v, count, nullptr, ec);
  const detail::Deadline deadline(send_timeout_);
  return send_vector_some(v, count, &deadline, ec);
}
inline std::size_t Socket::send_vectored(const ConstBuffer* buffers, std::size_t count) {
  std::error_code ec;
  const std::size_t n = send_vectored(buffers, count, ec);
  if (ec) fail(ec, "send_vectored");
  return n;
}
inline std::size_t Socket::send_vectored(std::initializer_list<ConstBuffer> buffers, std::error_code& ec) noexcept {
  return send_vectored(buffers.begin(), buffers.size(), ec);
}
inline std::size_t Socket::send_vectored(std::initializer_list<ConstBuffer> buffers) {
  return send_vectored(buffers.begin(), buffers.size());
}
inline std::size_t Socket::send_all_vectored(const ConstBuffer* buffers, std::size_t count,
                                             std::error_code& ec) noexcept {
  const detail::Deadline deadline = deadline_for(send_timeout_);
  detail::BufferCursor<ConstBuffer, const char> cursor(buffers, count);
  std::size_t sent = 0;
  ec.clear();
  do {  // at least one call, so an empty list still reports a closed socket
    std::size_t n = 0;
    const detail::sys::io_vector* v = cursor.next(n);
    const std::size_t done = send_vector_some(v, n, deadline.is_set() ? &deadline : nullptr, ec);
    cursor.consume(done);
    sent += done;
  } while (!ec && !cursor.done());
  return sent;
}
inline void Socket::send_all_vectored(const ConstBuffer* buffers, std::size_t count) {
  std::error_code ec;
  const std::size_t sent = send_all_vectored(buffers, count, ec);
  if (ec)
    detail::throw_error(ec, "send_all_vectored (" + std::to_string(sent) + " of " +
                                std::to_string(detail::total_size(buffers, count)) + " bytes sent)");
}
inline std::size_t Socket::send_all_vectored(std::initializer_list<ConstBuffer> buffers, std::error_code& ec) noexcept {
  return send_all_vectored(buffers.begin(), buffers.size(), ec);
}
inline void Socket::send_all_vectored(std::initializer_list<ConstBuffer> buffers) {
  send_all_vectored(buffers.begin(), buffers.size());
}
inline std::size_t Socket::receive_vectored(const MutableBuffer* buffers, std::size_t count,
                                            std::error_code& ec) noexcept {
  const detail::sys::io_vector* v = detail::BufferAccess::native(buffers);
  if (untimed_receive()) return receive_vector_some(v, count, nullptr, ec);
  const detail::Deadline deadline(receive_timeout_);
  return receive_vector_some(v, count, &deadline, ec);
}
inline std::size_t Socket::receive_vectored(const MutableBuffer* buffers, std::size_t count) {
  std::error_code ec;
  const std::size_t n = receive_vectored(buffers, count, ec);
  if (ec) fail(ec, "receive_vectored");
  return n;
}
inline std::size_t Socket::receive_exact_vectored(const MutableBuffer* buffers, std::size_t count,
                                                  std::error_code& ec) noexcept {
  const detail::Deadline deadline = deadline_for(receive_timeout_);
  detail::BufferCursor<MutableBuffer, char> cursor(buffers, count);
  std::size_t got = 0;
  ec = is_open() ? std::error_code() : detail::not_open();  // even for zero bytes
  while (!ec && !cursor.done()) {
    std::size_t n = 0;
    const detail::sys::io_vector* v = cursor.next(n);
    const std::size_t done = receive_vector_some(v, n, deadline.is_set() ? &deadline : nullptr, ec);
    if (ec || done == 0) break;
    cursor.consume(done);
    got += done;
  }
  return got;
}
inline std::size_t Socket::receive_exact_vectored(const MutableBuffer* buffers, std::size_t count) {
  std::error_code ec;
  const std::size_t n = receive_exact_vectored(buffers, count, ec);
  if (ec)
    detail::throw_error(ec, "receive_exact_vectored (" + std::to_string(n) + " of " +
                                std::to_string(detail::total_size(buffers, count)) + " bytes received)");
  return n;
}
inline void Socket::shutdown(Shutdown how, std::error_code& ec) noexcept {
  int native = detail::sys::shut_both;
  if (how == Shutdown::receive) native = detail::sys::shut_receive;
  if (how == Shutdown::send) native = detail::sys::shut_send;
  ec = is_open() ? detail::shutdown(handle_, native) : detail::not_open();
}

inline void Socket::shutdown(Shutdown how) {
  std::error_code ec;
  shutdown(how, ec);
  if (ec) fail(ec, "shutdown");
}

inline void Socket::finish_connect(std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return;
  }
  if ((ec = detail::pending_error(handle_))) return;
  (void)detail::socket_name(handle_, true, ec);
  if (ec != std::errc::not_connected) return;
  // No pending error and no peer: still connecting, unless the attempt has
  // ended (writable at once) and its error was read by an earlier call.
  const bool ended = !detail::wait_ready(handle_, detail::sys::poll_out, detail::Deadline(duration::zero()), true);
  if (!ended) ec = detail::sys::to_error_code(detail::sys::err_in_progress);
}

inline void Socket::finish_connect() {
  std::error_code ec;
  finish_connect(ec);
  if (ec) fail(ec, "connect");
}

inline Address Socket::peer_address(std::error_code& ec) const noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return {};
  }
  return detail::socket_name(handle_, true, ec);
}

inline Address Socket::peer_address() const {
  std::error_code ec;
  Address a = peer_address(ec);
  if (ec) fail(ec, "getpeername");
  return a;
}

inline void Socket::set_no_delay(bool on, std::error_code& ec) noexcept {
  set_option(IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0, ec);
}
inline void Socket::set_no_delay(bool on) {
  std::error_code ec;
  set_no_delay(on, ec);
  if (ec) fail(ec, "setsockopt(TCP_NODELAY)");
}
inline bool Socket::no_delay(std::error_code& ec) const noexcept {
  return get_option<int>(IPPROTO_TCP, TCP_NODELAY, ec) != 0;
}
inline bool Socket::no_delay() const {
  std::error_code ec;
  const bool on = no_delay(ec);
  if (ec) fail(ec, "getsockopt(TCP_NODELAY)");
  return on;
}

inline void Socket::set_keep_alive(bool on, std::error_code& ec) noexcept {
  set_option(SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0, ec);
}
inline void Socket::set_keep_alive(bool on) {
  std::error_code ec;
  set_keep_alive(on, ec);
  if (ec) fail(ec, "setsockopt(SO_KEEPALIVE)");
}
inline bool Socket::keep_alive(std::error_code& ec) const noexcept {
  return get_option<int>(SOL_SOCKET, SO_KEEPALIVE, ec) != 0;
}
inline bool Socket::keep_alive() const {
  std::error_code ec;
  const bool on = keep_alive(ec);
  if (ec) fail(ec, "getsockopt(SO_KEEPALIVE)");
  return on;
}

// --- connect(host, port) --------------------------------------------------

namespace detail {

/// Tries each resolved address in turn until one connects, within one
/// deadline; `first_error` is the first address's error.
inline Socket connect_any(std::string_view host, std::uint16_t port, duration timeout, std::error_code& ec) {
  // The deadline starts before the lookup (getaddrinfo itself cannot be
  // cut short, but its time counts).
  const Deadline deadline = timeout.count() > 0 ? Deadline(timeout) : Deadline();
  const std::vector<Address> addresses = resolve(host, port, ec);
  if (ec) return {};
  std::error_code first_error;
  for (const Address& address : addresses) {
    Socket socket;
    if (deadline.is_set()) {
      const int ms = deadline.poll_timeout_ms();
      if (ms == 0) {
        ec = first_error ? first_error : timed_out();
        return {};
      }
      socket.connect(address, std::chrono::milliseconds(ms), ec);
    } else {
      socket.connect(address, ec);
    }
    if (!ec) return socket;
    if (!first_error) first_error = ec;
  }
  ec = first_error;
  return {};
}

}  // namespace detail

inline Socket connect(std::string_view host, std::uint16_t port, duration timeout, std::error_code& ec) noexcept {
  if (timeout < duration::zero()) {
    ec = detail::invalid_argument();
    return {};
  }
  try {
    return detail::connect_any(host, port, timeout, ec);
  } catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
    return {};
  }
}

inline Socket connect(std::string_view host, std::uint16_t port, std::error_code& ec) noexcept {
  return connect(host, port, duration::zero(), ec);
}

inline Socket connect(std::string_view host, std::uint16_t port, duration timeout) {
  if (timeout < duration::zero())
    detail::throw_negative_timeout("connect " + detail::quote(host) + " port " + std::to_string(port), timeout.count());
  std::error_code ec;
  Socket socket = detail::connect_any(host, port, timeout, ec);
  if (ec == std::errc::invalid_argument) (void)resolve(host, port);  // throws, quoting the host
  if (ec) detail::throw_error(ec, "connect " + detail::quote(host) + " port " + std::to_string(port));
  return socket;
}

inline Socket connect(std::string_view host, std::uint16_t port) { return connect(host, port, duration::zero()); }

}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_SOCKET_HPP
