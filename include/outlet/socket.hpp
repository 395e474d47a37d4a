// outlet — Socket: a connected stream (TCP, or Unix stream), and connect().
#ifndef OUTLET_SOCKET_HPP
#define OUTLET_SOCKET_HPP

#include <outlet/address.hpp>
#include <outlet/buffer.hpp>
#include <outlet/detail/owned_handle.hpp>
#include <outlet/socket_base.hpp>

#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

/// Which direction shutdown() closes.
enum class Shutdown {
  receive,  ///< SHUT_RD (SD_RECEIVE on Windows): no more receiving.
  send,     ///< SHUT_WR (SD_SEND): no more sending; the peer reads end-of-stream.
  both      ///< SHUT_RDWR (SD_BOTH): neither.
};

/// A TCP connection's state, as Socket::tcp_info() reports it (RFC 793's
/// states; every OS outlet reads them from has these).
enum class TcpState {
  closed,        ///< No connection (CLOSED).
  listen,        ///< Waiting for connections (LISTEN).
  syn_sent,      ///< Connecting: SYN sent, waiting for the SYN-ACK.
  syn_received,  ///< Being connected to: SYN received, SYN-ACK sent.
  established,   ///< Connected: data flows both ways.
  fin_wait_1,    ///< This end shut down sending; its FIN is not yet acknowledged.
  fin_wait_2,    ///< This end's FIN is acknowledged; waiting for the peer's.
  close_wait,    ///< The peer shut down sending; this end has not yet.
  closing,       ///< Both ends sent a FIN at once; waiting for the acknowledgement.
  last_ack,      ///< This end closed after the peer; waiting for its FIN's acknowledgement.
  time_wait,     ///< Closed; waiting out stray segments (2 MSL).
  unknown        ///< A state the OS reported that outlet does not know.
};

/// What the OS knows about a TCP connection: Socket::tcp_info(). A member
/// the OS does not report is an empty std::optional; which ones each OS
/// fills is in docs/socket.md ("TCP statistics"). Counters run from the
/// start of the connection.
struct TcpInfo {
  /// The connection's state.
  TcpState state = TcpState::unknown;
  /// The smoothed round-trip time (Linux, Windows: microseconds as measured;
  /// macOS: whole milliseconds).
  std::chrono::microseconds rtt{};
  /// The round-trip time's variance (Linux, macOS).
  std::optional<std::chrono::microseconds> rtt_variance{};
  /// The maximum segment size for sending, in bytes.
  std::optional<std::uint64_t> mss{};
  /// The congestion window in segments (Linux, whose unit this is).
  std::optional<std::uint64_t> congestion_window_segments{};
  /// The congestion window in bytes (macOS, Windows, whose unit this is).
  std::optional<std::uint64_t> congestion_window_bytes{};
  /// Segments retransmitted in all (Linux, macOS).
  std::optional<std::uint64_t> retransmitted_segments{};
  /// Bytes retransmitted in all (Linux 4.19+, macOS, Windows).
  std::optional<std::uint64_t> retransmitted_bytes{};
  /// Bytes of ours the peer has acknowledged (Linux 4.1+).
  std::optional<std::uint64_t> bytes_acked{};
  /// Bytes sent, retransmissions included on Linux (4.19+) and Windows,
  /// also on macOS.
  std::optional<std::uint64_t> bytes_sent{};
  /// Bytes received from the peer (Linux 4.1+, macOS, Windows).
  std::optional<std::uint64_t> bytes_received{};
  /// Segments sent (Linux 4.2+, macOS).
  std::optional<std::uint64_t> segments_sent{};
  /// Segments received (Linux 4.2+, macOS).
  std::optional<std::uint64_t> segments_received{};
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
  /// socket() + connect() within `timeout` (see connect(peer, timeout));
  /// zero tries once without waiting.
  Socket(const Address& peer, duration timeout);
  /// Takes ownership of a native stream socket (assumed blocking).
  [[nodiscard]] static Socket adopt(native_handle_type handle) noexcept;

  Socket(Socket&&) noexcept = default;
  Socket& operator=(Socket&&) noexcept = default;
  ~Socket() = default;

  /// connect(); opens a socket of peer's family first if none is open. Waits
  /// as long as the OS takes (no limit), or at most the send timeout if one
  /// is set.
  void connect(const Address& peer);
  void connect(const Address& peer, std::error_code& ec) noexcept;
  /// connect() that fails with std::errc::timed_out after `timeout`: makes
  /// the socket non-blocking, connects, poll()s, reads SO_ERROR, and
  /// restores blocking mode. Zero does not wait: it starts the connect and
  /// checks once whether it has finished (a Unix-domain or an already
  /// accepted connect has). A connect that timed out is still under way in
  /// the OS and the socket cannot be used again, so it is closed. The send
  /// timeout does not apply; negative: invalid_argument (README, "Timeouts").
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

  /// The connection's TCP statistics, in one OS call: getsockopt(TCP_INFO)
  /// on Linux, getsockopt(TCP_CONNECTION_INFO) on macOS, WSAIoctl(SIO_TCP_INFO)
  /// on Windows 10 1703+. Fails with operation_not_supported on a Unix
  /// socket and where the OS has no such call; what() names the call.
  [[nodiscard]] TcpInfo tcp_info() const;
  [[nodiscard]] TcpInfo tcp_info(std::error_code& ec) const noexcept;

private:
  friend class ServerSocket;
  Socket(detail::AdoptHandle, native_handle_type handle) noexcept : BasicSocket(handle) {}
  // Each call's one body, given the error policy of the form that called it
  // (detail::Throw or detail::Store). The data calls and connect() first make
  // the one system call plain code makes, when no deadline applies; any
  // failure, and every timed call, goes to the out-of-line general path with
  // the error the first attempt failed with (0 if it made none).
  template <class P>
  std::size_t send_with(const void* data, std::size_t size, P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t receive_with(void* data, std::size_t size, P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t send_all_with(const void* data, std::size_t size, P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t receive_exact_with(void* data, std::size_t size, P policy) noexcept(P::nothrow);
  template <class P>
  void connect_with(const Address& peer, P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t send_slow(const void* data, std::size_t size, int error_number, P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t receive_slow(void* data, std::size_t size, int error_number, P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t send_all_slow(const char* bytes, std::size_t size, std::size_t sent, int error_number,
                            P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t receive_exact_slow(char* bytes, std::size_t size, std::size_t got, int error_number,
                                 P policy) noexcept(P::nothrow);
  template <class P>
  void connect_slow(const Address& peer, int error_number, P policy) noexcept(P::nothrow);
  /// connect() within `deadline` (none: as long as the OS takes), opening a
  /// socket of peer's family first if none is open; `error_number`: the
  /// fast path's connect() already failed with it.
  std::error_code connect_until(const Address& peer, const detail::Deadline& deadline, int error_number = 0) noexcept;
  /// The general path of one send()/recv(): closed socket, deadline, EINTR,
  /// waiting where outlet keeps the handle non-blocking.
  std::size_t send_some(const void* data, std::size_t size, const detail::Deadline* deadline, std::error_code& ec,
                        int error_number = 0) noexcept;
  std::size_t receive_some(void* data, std::size_t size, const detail::Deadline* deadline, std::error_code& ec,
                           int error_number = 0) noexcept;
  /// Whether send/receive make their first attempt on the fast path (no
  /// deadline applies).
  bool untimed_send() const noexcept { return send_timeout_.count() == 0 || non_blocking_; }
  bool untimed_receive() const noexcept { return receive_timeout_.count() == 0 || non_blocking_; }
  std::size_t send_vector_some(const detail::sys::io_vector* v, std::size_t count, const detail::Deadline* deadline,
                               std::error_code& ec) noexcept;
  std::size_t receive_vector_some(const detail::sys::io_vector* v, std::size_t count, const detail::Deadline* deadline,
                                  std::error_code& ec) noexcept;
  std::size_t send_vectored_impl(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept;
  std::size_t send_all_vectored_impl(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept;
  std::size_t receive_vectored_impl(const MutableBuffer* buffers, std::size_t count, std::error_code& ec) noexcept;
  std::size_t receive_exact_vectored_impl(const MutableBuffer* buffers, std::size_t count,
                                          std::error_code& ec) noexcept;
  std::error_code shutdown_impl(Shutdown how) noexcept;
  std::error_code finish_connect_impl() noexcept;
  /// connect(peer, timeout)'s body: closes the socket if the connect timed out.
  std::error_code connect_within(const Address& peer, duration timeout) noexcept;
};

/// How the free connect() functions race a host's addresses (RFC 8305,
/// "Happy Eyeballs v2"; docs/connect.md). The defaults suit most clients.
struct ConnectOptions {
  /// How long an attempt runs alone before the next address is tried beside
  /// it (RFC 8305's "Connection Attempt Delay"; 250 ms, as it recommends).
  /// An attempt that fails starts the next one at once. Zero starts every
  /// attempt at once; negative: invalid_argument.
  duration attempt_delay = std::chrono::milliseconds(250);
  /// One deadline for the whole call, the name lookup included; none (the
  /// default): no limit, each attempt waits as long as the OS takes. Zero:
  /// do not wait (start every attempt and check once; only numeric hosts).
  /// Negative: invalid_argument.
  std::optional<duration> timeout{};
  /// The family tried first; none (the default): the family of the first
  /// address, which is the resolver's preference (RFC 6724).
  std::optional<Family> first_family{};
};

/// Connects to the first of `addresses` that answers, racing them as RFC
/// 8305 says: sorted with the families interleaved (detail::connect_order),
/// the next attempt started every options.attempt_delay, or at once when one
/// fails, all of them non-blocking under one deadline. The first to connect
/// wins and the others are closed. If none connects: the first address's
/// error (in the sorted order), and what() lists every address tried with
/// its error. An empty list, or an empty Address in it: invalid_argument.
[[nodiscard]] Socket connect(const std::vector<Address>& addresses, const ConnectOptions& options = {});
[[nodiscard]] Socket connect(const std::vector<Address>& addresses, const ConnectOptions& options,
                             std::error_code& ec) noexcept;

/// Resolves host (within the deadline, if one is set: resolve(host, port,
/// timeout)), then connects to its addresses as connect(addresses, options)
/// does. Without a timeout, each attempt waits as long as the OS takes; a
/// zero timeout starts an attempt to each address and checks once (README,
/// "Timeouts"); the attempts are 250 ms apart (ConnectOptions).
[[nodiscard]] Socket connect(std::string_view host, std::uint16_t port);
[[nodiscard]] Socket connect(std::string_view host, std::uint16_t port, std::error_code& ec) noexcept;
[[nodiscard]] Socket connect(std::string_view host, std::uint16_t port, duration timeout);
[[nodiscard]] Socket connect(std::string_view host, std::uint16_t port, duration timeout, std::error_code& ec) noexcept;
/// connect(host, port) with every setting of ConnectOptions.
[[nodiscard]] Socket connect(std::string_view host, std::uint16_t port, const ConnectOptions& options);
[[nodiscard]] Socket connect(std::string_view host, std::uint16_t port, const ConnectOptions& options,
                             std::error_code& ec) noexcept;

// ---------------------------------------------------------------------------
// Implementation: inline in every mode (fast paths, accessors, templates)

// --- send and receive ---------------------------------------------------------

template <class P>
OUTLET_DETAIL_INLINE std::size_t Socket::send_with(const void* data, std::size_t size, P policy) noexcept(P::nothrow) {
  if (!untimed_send()) return send_slow(data, size, 0, policy);
  const detail::sys::io_result n = detail::try_send(handle_, data, size);
  if (n < 0) return send_slow(data, size, detail::sys::last_error(), policy);
  policy.success();
  return static_cast<std::size_t>(n);
}

template <class P>
OUTLET_DETAIL_INLINE std::size_t Socket::receive_with(void* data, std::size_t size, P policy) noexcept(P::nothrow) {
  if (!untimed_receive()) return receive_slow(data, size, 0, policy);
  const detail::sys::io_result n = detail::try_receive(handle_, data, size);
  if (n < 0) return receive_slow(data, size, detail::sys::last_error(), policy);
  policy.success();
  return static_cast<std::size_t>(n);
}

template <class P>
OUTLET_DETAIL_INLINE std::size_t Socket::send_all_with(const void* data, std::size_t size,
                                                       P policy) noexcept(P::nothrow) {
  const auto* bytes = static_cast<const char*>(data);
  if (!untimed_send()) return send_all_slow(bytes, size, 0, 0, policy);
  std::size_t sent = 0;
  for (;;) {
    const detail::sys::io_result n = detail::try_send(handle_, bytes + sent, size - sent);
    if (n < 0) return send_all_slow(bytes, size, sent, detail::sys::last_error(), policy);
    sent += static_cast<std::size_t>(n);
    if (sent == size) break;
  }
  policy.success();
  return sent;
}

template <class P>
OUTLET_DETAIL_INLINE std::size_t Socket::receive_exact_with(void* data, std::size_t size,
                                                            P policy) noexcept(P::nothrow) {
  auto* bytes = static_cast<char*>(data);
  if (!untimed_receive() || size == 0) return receive_exact_slow(bytes, size, 0, 0, policy);
  std::size_t got = 0;
  for (;;) {
    const detail::sys::io_result n = detail::try_receive(handle_, bytes + got, size - got);
    if (n < 0) return receive_exact_slow(bytes, size, got, detail::sys::last_error(), policy);
    if (n == 0) break;  // the peer closed
    got += static_cast<std::size_t>(n);
    if (got == size) break;
  }
  policy.success();
  return got;
}

OUTLET_DETAIL_INLINE std::size_t Socket::send(const void* data, std::size_t size, std::error_code& ec) noexcept {
  return send_with(data, size, detail::Store{ec});
}
OUTLET_DETAIL_INLINE std::size_t Socket::send(const void* data, std::size_t size) {
  return send_with(data, size, detail::Throw{"send"});
}
OUTLET_DETAIL_INLINE std::size_t Socket::send(std::string_view data, std::error_code& ec) noexcept {
  return send_with(data.data(), data.size(), detail::Store{ec});
}
OUTLET_DETAIL_INLINE std::size_t Socket::send(std::string_view data) {
  return send_with(data.data(), data.size(), detail::Throw{"send"});
}
OUTLET_DETAIL_INLINE std::size_t Socket::send_all(const void* data, std::size_t size, std::error_code& ec) noexcept {
  return send_all_with(data, size, detail::Store{ec});
}
OUTLET_DETAIL_INLINE void Socket::send_all(const void* data, std::size_t size) {
  (void)send_all_with(data, size, detail::Throw{"send_all"});
}
OUTLET_DETAIL_INLINE std::size_t Socket::send_all(std::string_view data, std::error_code& ec) noexcept {
  return send_all_with(data.data(), data.size(), detail::Store{ec});
}
OUTLET_DETAIL_INLINE void Socket::send_all(std::string_view data) {
  (void)send_all_with(data.data(), data.size(), detail::Throw{"send_all"});
}
OUTLET_DETAIL_INLINE std::size_t Socket::receive(void* data, std::size_t size, std::error_code& ec) noexcept {
  return receive_with(data, size, detail::Store{ec});
}
OUTLET_DETAIL_INLINE std::size_t Socket::receive(void* data, std::size_t size) {
  return receive_with(data, size, detail::Throw{"receive"});
}
OUTLET_DETAIL_INLINE std::size_t Socket::receive_exact(void* data, std::size_t size, std::error_code& ec) noexcept {
  return receive_exact_with(data, size, detail::Store{ec});
}
OUTLET_DETAIL_INLINE std::size_t Socket::receive_exact(void* data, std::size_t size) {
  return receive_exact_with(data, size, detail::Throw{"receive_exact"});
}

namespace detail {
/// `connect "<host>" port <port>`, for what().
Text describe_connect(std::string_view host, std::uint16_t port);
/// RFC 8305 section 4's order: the families interleaved, one address of
/// each in turn, starting with `first_family` if the list has it (see the body).
std::vector<Address> connect_order(const std::vector<Address>& addresses, const std::optional<Family>& first_family);
}  // namespace detail

// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES

OUTLET_DETAIL_DEF Socket::Socket(Family family) { detail::Throw{"socket"}.check(open(family, SOCK_STREAM)); }

OUTLET_DETAIL_DEF Socket::Socket(const Address& peer) { connect_with(peer, detail::Throw{"connect", &peer}); }

OUTLET_DETAIL_DEF Socket::Socket(const Address& peer, duration timeout) { connect(peer, timeout); }

OUTLET_DETAIL_DEF Socket Socket::adopt(native_handle_type handle) noexcept {
  return Socket(detail::AdoptHandle{}, handle);
}

// --- connect ------------------------------------------------------------------

template <class P>
OUTLET_DETAIL_INLINE void Socket::connect_with(const Address& peer, P policy) noexcept(P::nothrow) {
  // Only a fresh socket with nothing to wait for takes the fast path:
  // socket() and connect(), as plain code makes them.
  const int family = peer.native_size() != 0 ? peer.native()->sa_family : AF_UNSPEC;
  if (is_open() || send_timeout_.count() != 0 || (family != AF_INET && family != AF_INET6 && family != AF_UNIX))
    return connect_slow(peer, 0, policy);
  handle_ = detail::try_open(family, SOCK_STREAM);
  if (handle_ == detail::sys::invalid_handle) return connect_slow(peer, -1, policy);
  ip_ = family != AF_UNIX;
  if (detail::try_connect(handle_, peer) != 0) return connect_slow(peer, detail::sys::last_error(), policy);
  policy.success();
}

template <class P>
OUTLET_DETAIL_COLD void Socket::connect_slow(const Address& peer, int error_number, P policy) noexcept(P::nothrow) {
  // -1: the fast path's socket() failed, with the error still in last_error().
  if (error_number == -1) return policy.fail(detail::last_error_code());
  policy.check(connect_until(peer, deadline_for(send_timeout_), error_number));
}

OUTLET_DETAIL_DEF std::error_code Socket::connect_until(const Address& peer, const detail::Deadline& deadline,
                                                        int error_number) noexcept {
  if (!is_open()) {
    if (std::error_code ec = open(peer.family(), SOCK_STREAM)) return ec;
  }
  if (detail::waits(waits_in_poll()) && !deadline.is_set()) {
    // Non-blocking inside outlet (see keep_non_blocking): wait as long as it takes.
    return detail::connect(handle_, peer, detail::Deadline((duration::max)()), true, error_number);
  }
  return detail::connect(handle_, peer, deadline, internal_non_blocking_.load(), error_number);
}

OUTLET_DETAIL_DEF void Socket::connect(const Address& peer, std::error_code& ec) noexcept {
  connect_with(peer, detail::Store{ec});
}
OUTLET_DETAIL_DEF void Socket::connect(const Address& peer) { connect_with(peer, detail::Throw{"connect", &peer}); }

OUTLET_DETAIL_DEF std::error_code Socket::connect_within(const Address& peer, duration timeout) noexcept {
  const std::error_code ec = connect_until(peer, deadline_for_argument(timeout));
  if (ec == std::errc::timed_out) {
    // The OS goes on connecting; a socket with a connect under way takes no
    // other, so it is of no further use.
    std::error_code ignored;
    close(ignored);
  }
  return ec;
}
OUTLET_DETAIL_DEF void Socket::connect(const Address& peer, duration timeout, std::error_code& ec) noexcept {
  ec = timeout.count() < 0 ? detail::invalid_argument() : connect_within(peer, timeout);
}
OUTLET_DETAIL_DEF void Socket::connect(const Address& peer, duration timeout) {
  const detail::Throw policy{"connect", &peer};
  if (timeout.count() < 0) {
    policy.fail(detail::invalid_argument(), [&](const char* op) {
      return detail::describe_negative_timeout(detail::describe_operation(op, &peer), timeout.count());
    });
  }
  policy.check(connect_within(peer, timeout));
}

OUTLET_DETAIL_DEF std::size_t Socket::send_some(const void* data, std::size_t size, const detail::Deadline* deadline,
                                                std::error_code& ec, int error_number) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  if ((ec = prepare_timed_io(deadline))) return 0;
  const std::size_t n = detail::send(handle_, data, size, deadline, waits_in_poll(), ec, error_number);
  if (ec) ec = blocking_error(ec);
  return n;
}
OUTLET_DETAIL_DEF std::size_t Socket::receive_some(void* data, std::size_t size, const detail::Deadline* deadline,
                                                   std::error_code& ec, int error_number) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  if ((ec = prepare_timed_io(deadline))) return 0;
  const std::size_t n = detail::receive(handle_, data, size, deadline, waits_in_poll(), ec, error_number);
  if (ec) ec = blocking_error(ec);
  return n;
}

template <class P>
OUTLET_DETAIL_COLD std::size_t Socket::send_slow(const void* data, std::size_t size, int error_number,
                                                 P policy) noexcept(P::nothrow) {
  std::error_code ec;
  const detail::Deadline deadline = deadline_for(send_timeout_);
  const std::size_t n = send_some(data, size, deadline.is_set() ? &deadline : nullptr, ec, error_number);
  return policy.check(n, ec);
}

template <class P>
OUTLET_DETAIL_COLD std::size_t Socket::receive_slow(void* data, std::size_t size, int error_number,
                                                    P policy) noexcept(P::nothrow) {
  std::error_code ec;
  const detail::Deadline deadline = deadline_for(receive_timeout_);
  const std::size_t n = receive_some(data, size, deadline.is_set() ? &deadline : nullptr, ec, error_number);
  return policy.check(n, ec);
}

template <class P>
OUTLET_DETAIL_COLD std::size_t Socket::send_all_slow(const char* bytes, std::size_t size, std::size_t sent,
                                                     int error_number, P policy) noexcept(P::nothrow) {
  const detail::Deadline deadline = deadline_for(send_timeout_);
  std::error_code ec;
  do {  // at least one send(), so an empty send_all still reports a closed socket
    sent += send_some(bytes + sent, size - sent, deadline.is_set() ? &deadline : nullptr, ec, error_number);
    error_number = 0;
  } while (!ec && sent < size);
  if (ec) {
    policy.fail(ec, [&](const char* op) { return detail::describe_progress(op, sent, size, "sent"); });
  } else {
    policy.success();
  }
  return sent;
}

template <class P>
OUTLET_DETAIL_COLD std::size_t Socket::receive_exact_slow(char* bytes, std::size_t size, std::size_t got,
                                                          int error_number, P policy) noexcept(P::nothrow) {
  // Closed: an error even for zero bytes, as receive() says.
  std::error_code ec = is_open() ? std::error_code() : detail::not_open();
  const detail::Deadline deadline = deadline_for(receive_timeout_);
  while (!ec && got < size) {
    const std::size_t n =
        receive_some(bytes + got, size - got, deadline.is_set() ? &deadline : nullptr, ec, error_number);
    error_number = 0;
    if (ec || n == 0) break;
    got += n;
  }
  if (ec) {
    policy.fail(ec, [&](const char* op) { return detail::describe_progress(op, got, size, "received"); });
  } else {
    policy.success();
  }
  return got;
}

#if defined(OUTLET_SEPARATE_COMPILATION)
// The slow paths the inline fast paths call, for both error policies.
template std::size_t Socket::send_slow(const void*, std::size_t, int, detail::Throw);
template std::size_t Socket::send_slow(const void*, std::size_t, int, detail::Store);
template std::size_t Socket::receive_slow(void*, std::size_t, int, detail::Throw);
template std::size_t Socket::receive_slow(void*, std::size_t, int, detail::Store);
template std::size_t Socket::send_all_slow(const char*, std::size_t, std::size_t, int, detail::Throw);
template std::size_t Socket::send_all_slow(const char*, std::size_t, std::size_t, int, detail::Store);
template std::size_t Socket::receive_exact_slow(char*, std::size_t, std::size_t, int, detail::Throw);
template std::size_t Socket::receive_exact_slow(char*, std::size_t, std::size_t, int, detail::Store);
#endif  // defined(OUTLET_SEPARATE_COMPILATION)

// --- vectored -------------------------------------------------------------------

OUTLET_DETAIL_DEF std::size_t Socket::send_vector_some(const detail::sys::io_vector* v, std::size_t count,
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
OUTLET_DETAIL_DEF std::size_t Socket::receive_vector_some(const detail::sys::io_vector* v, std::size_t count,
                                                          const detail::Deadline* deadline,
                                                          std::error_code& ec) noexcept {
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
OUTLET_DETAIL_DEF std::size_t Socket::send_vectored_impl(const ConstBuffer* buffers, std::size_t count,
                                                         std::error_code& ec) noexcept {
  const detail::Deadline deadline = deadline_for(send_timeout_);
  return send_vector_some(detail::BufferAccess::native(buffers), count, deadline.is_set() ? &deadline : nullptr, ec);
}
OUTLET_DETAIL_DEF std::size_t Socket::send_all_vectored_impl(const ConstBuffer* buffers, std::size_t count,
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
OUTLET_DETAIL_DEF std::size_t Socket::receive_vectored_impl(const MutableBuffer* buffers, std::size_t count,
                                                            std::error_code& ec) noexcept {
  const detail::Deadline deadline = deadline_for(receive_timeout_);
  return receive_vector_some(detail::BufferAccess::native(buffers), count, deadline.is_set() ? &deadline : nullptr, ec);
}
OUTLET_DETAIL_DEF std::size_t Socket::receive_exact_vectored_impl(const MutableBuffer* buffers, std::size_t count,
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

OUTLET_DETAIL_DEF std::size_t Socket::send_vectored(const ConstBuffer* buffers, std::size_t count,
                                                    std::error_code& ec) noexcept {
  return send_vectored_impl(buffers, count, ec);
}
OUTLET_DETAIL_DEF std::size_t Socket::send_vectored(const ConstBuffer* buffers, std::size_t count) {
  std::error_code ec;
  return detail::Throw{"send_vectored"}.check(send_vectored_impl(buffers, count, ec), ec);
}
OUTLET_DETAIL_DEF std::size_t Socket::send_vectored(std::initializer_list<ConstBuffer> buffers,
                                                    std::error_code& ec) noexcept {
  return send_vectored_impl(buffers.begin(), buffers.size(), ec);
}
OUTLET_DETAIL_DEF std::size_t Socket::send_vectored(std::initializer_list<ConstBuffer> buffers) {
  return send_vectored(buffers.begin(), buffers.size());
}
OUTLET_DETAIL_DEF std::size_t Socket::send_all_vectored(const ConstBuffer* buffers, std::size_t count,
                                                        std::error_code& ec) noexcept {
  return send_all_vectored_impl(buffers, count, ec);
}
OUTLET_DETAIL_DEF void Socket::send_all_vectored(const ConstBuffer* buffers, std::size_t count) {
  std::error_code ec;
  const std::size_t sent = send_all_vectored_impl(buffers, count, ec);
  if (ec) {
    detail::throw_error(
        ec, detail::describe_progress("send_all_vectored", sent, detail::total_size(buffers, count), "sent"));
  }
}
OUTLET_DETAIL_DEF std::size_t Socket::send_all_vectored(std::initializer_list<ConstBuffer> buffers,
                                                        std::error_code& ec) noexcept {
  return send_all_vectored_impl(buffers.begin(), buffers.size(), ec);
}
OUTLET_DETAIL_DEF void Socket::send_all_vectored(std::initializer_list<ConstBuffer> buffers) {
  send_all_vectored(buffers.begin(), buffers.size());
}
OUTLET_DETAIL_DEF std::size_t Socket::receive_vectored(const MutableBuffer* buffers, std::size_t count,
                                                       std::error_code& ec) noexcept {
  return receive_vectored_impl(buffers, count, ec);
}
OUTLET_DETAIL_DEF std::size_t Socket::receive_vectored(const MutableBuffer* buffers, std::size_t count) {
  std::error_code ec;
  return detail::Throw{"receive_vectored"}.check(receive_vectored_impl(buffers, count, ec), ec);
}
OUTLET_DETAIL_DEF std::size_t Socket::receive_exact_vectored(const MutableBuffer* buffers, std::size_t count,
                                                             std::error_code& ec) noexcept {
  return receive_exact_vectored_impl(buffers, count, ec);
}
OUTLET_DETAIL_DEF std::size_t Socket::receive_exact_vectored(const MutableBuffer* buffers, std::size_t count) {
  std::error_code ec;
  const std::size_t n = receive_exact_vectored_impl(buffers, count, ec);
  if (ec) {
    detail::throw_error(
        ec, detail::describe_progress("receive_exact_vectored", n, detail::total_size(buffers, count), "received"));
  }
  return n;
}

// --- the rest -------------------------------------------------------------------

OUTLET_DETAIL_DEF std::error_code Socket::shutdown_impl(Shutdown how) noexcept {
  int native = detail::sys::shut_both;
  if (how == Shutdown::receive) native = detail::sys::shut_receive;
  if (how == Shutdown::send) native = detail::sys::shut_send;
  return is_open() ? detail::shutdown(handle_, native) : detail::not_open();
}
OUTLET_DETAIL_DEF void Socket::shutdown(Shutdown how, std::error_code& ec) noexcept {
  detail::Store{ec}.check(shutdown_impl(how));
}
OUTLET_DETAIL_DEF void Socket::shutdown(Shutdown how) { detail::Throw{"shutdown"}.check(shutdown_impl(how)); }

OUTLET_DETAIL_DEF std::error_code Socket::finish_connect_impl() noexcept {
  if (!is_open()) return detail::not_open();
  if (std::error_code ec = detail::pending_error(handle_)) return ec;
  std::error_code ec;
  (void)detail::socket_name(handle_, true, ec);
  if (ec != std::errc::not_connected) return ec;
  // No pending error and no peer: still connecting, unless the attempt has
  // ended (writable at once) and its error was read by an earlier call.
  const bool ended = !detail::wait_ready(handle_, detail::sys::poll_out, detail::Deadline(duration::zero()), true);
  return ended ? ec : detail::sys::to_error_code(detail::sys::err_in_progress);
}
OUTLET_DETAIL_DEF void Socket::finish_connect(std::error_code& ec) noexcept {
  detail::Store{ec}.check(finish_connect_impl());
}
OUTLET_DETAIL_DEF void Socket::finish_connect() { detail::Throw{"connect"}.check(finish_connect_impl()); }

OUTLET_DETAIL_DEF Address Socket::peer_address(std::error_code& ec) const noexcept {
  return is_open() ? detail::socket_name(handle_, true, ec) : detail::Store{ec}.check(Address(), detail::not_open());
}
OUTLET_DETAIL_DEF Address Socket::peer_address() const {
  std::error_code ec;
  return detail::Throw{"getpeername"}.check(peer_address(ec), ec);
}

OUTLET_DETAIL_DEF void Socket::set_no_delay(bool on, std::error_code& ec) noexcept {
  detail::Store{ec}.check(set_flag(IPPROTO_TCP, TCP_NODELAY, on));
}
OUTLET_DETAIL_DEF void Socket::set_no_delay(bool on) {
  detail::Throw{"setsockopt(TCP_NODELAY)"}.check(set_flag(IPPROTO_TCP, TCP_NODELAY, on));
}
OUTLET_DETAIL_DEF bool Socket::no_delay(std::error_code& ec) const noexcept {
  return flag(IPPROTO_TCP, TCP_NODELAY, detail::Store{ec});
}
OUTLET_DETAIL_DEF bool Socket::no_delay() const {
  return flag(IPPROTO_TCP, TCP_NODELAY, detail::Throw{"getsockopt(TCP_NODELAY)"});
}

OUTLET_DETAIL_DEF void Socket::set_keep_alive(bool on, std::error_code& ec) noexcept {
  detail::Store{ec}.check(set_flag(SOL_SOCKET, SO_KEEPALIVE, on));
}
OUTLET_DETAIL_DEF void Socket::set_keep_alive(bool on) {
  detail::Throw{"setsockopt(SO_KEEPALIVE)"}.check(set_flag(SOL_SOCKET, SO_KEEPALIVE, on));
}
OUTLET_DETAIL_DEF bool Socket::keep_alive(std::error_code& ec) const noexcept {
  return flag(SOL_SOCKET, SO_KEEPALIVE, detail::Store{ec});
}
OUTLET_DETAIL_DEF bool Socket::keep_alive() const {
  return flag(SOL_SOCKET, SO_KEEPALIVE, detail::Throw{"getsockopt(SO_KEEPALIVE)"});
}

namespace detail {
/// A TcpStatistics field as an optional: empty where the OS lacks it.
OUTLET_DETAIL_DEF std::optional<std::uint64_t> reported(std::uint64_t value) noexcept {
  return value == TcpStatistics::absent ? std::nullopt : std::optional<std::uint64_t>(value);
}
/// Socket::tcp_info()'s portable half: the OS's figures as a TcpInfo.
OUTLET_DETAIL_DEF TcpInfo to_tcp_info(const TcpStatistics& s) noexcept {
  TcpInfo info;
  info.state = s.state >= 0 && s.state <= static_cast<int>(TcpState::time_wait) ? static_cast<TcpState>(s.state)
                                                                                : TcpState::unknown;
  info.rtt = std::chrono::microseconds(s.rtt_us == TcpStatistics::absent ? 0 : s.rtt_us);
  if (s.rtt_variance_us != TcpStatistics::absent) info.rtt_variance = std::chrono::microseconds(s.rtt_variance_us);
  info.mss = reported(s.mss);
  info.congestion_window_segments = reported(s.congestion_window_segments);
  info.congestion_window_bytes = reported(s.congestion_window_bytes);
  info.retransmitted_segments = reported(s.retransmitted_segments);
  info.retransmitted_bytes = reported(s.retransmitted_bytes);
  info.bytes_acked = reported(s.bytes_acked);
  info.bytes_sent = reported(s.bytes_sent);
  info.bytes_received = reported(s.bytes_received);
  info.segments_sent = reported(s.segments_sent);
  info.segments_received = reported(s.segments_received);
  return info;
}
}  // namespace detail

OUTLET_DETAIL_DEF TcpInfo Socket::tcp_info(std::error_code& ec) const noexcept {
  detail::TcpStatistics stats;
  ec = is_open() ? detail::tcp_statistics(handle_, stats) : detail::not_open();
  return ec ? TcpInfo{} : detail::to_tcp_info(stats);
}
OUTLET_DETAIL_DEF TcpInfo Socket::tcp_info() const {
  std::error_code ec;
  TcpInfo info = tcp_info(ec);
  return detail::Throw{detail::sys::tcp_statistics_call}.check(info, ec);
}

// --- connect(host, port) and connect(addresses): Happy Eyeballs ----------------

namespace detail {

/// RFC 8305 section 4's order: the families interleaved, one address of
/// each in turn ("First Address Family Count" 1), starting with
/// `first_family` if the list has it, else with the first address's family;
/// within a family, the order given (the resolver's, RFC 6724). No list of
/// lists: a cursor per family (there are at most three) walks `addresses`.
OUTLET_DETAIL_DEF std::vector<Address> connect_order(const std::vector<Address>& addresses,
                                                     const std::optional<Family>& first_family) {
  constexpr std::size_t max_families = 3;  // Family's enumerators
  Family families[max_families] = {};      // in the order they are first seen
  std::size_t cursor[max_families] = {};   // where each family's next address is looked for
  std::size_t family_count = 0;
  const auto note = [&](Family family) {
    for (std::size_t f = 0; f < family_count; ++f) {
      if (families[f] == family) return;
    }
    if (family_count < max_families) families[family_count++] = family;
  };
  if (first_family) {
    for (const Address& a : addresses) {
      if (a.family() == *first_family) {
        note(*first_family);
        break;
      }
    }
  }
  for (const Address& a : addresses) note(a.family());
  std::vector<Address> order;
  order.reserve(addresses.size());
  while (order.size() < addresses.size()) {
    for (std::size_t f = 0; f < family_count; ++f) {
      std::size_t& i = cursor[f];
      while (i < addresses.size() && addresses[i].family() != families[f]) ++i;
      if (i < addresses.size()) order.push_back(addresses[i++]);
    }
  }
  return order;
}

/// One address of a race: its socket while its attempt runs, and the error
/// the attempt ended with (none for one never tried, or still running).
struct Attempt {
  OwnedHandle handle{};
  std::error_code error{};
};

/// What a race did with each address, in connect_order's order, for what().
struct ConnectReport {
  std::vector<Address> order{};
  std::vector<Attempt> attempts{};  // one per address of order
  std::size_t tried = 0;

  /// The first error, in order; timed_out if none was recorded.
  std::error_code first_error() const noexcept {
    for (const Attempt& a : attempts) {
      if (a.error) return a.error;
    }
    return timed_out();
  }
  /// Appends " (tried A: error; B: error; N not tried)" when more than one
  /// address was in the race (with one, the context names it already).
  void describe(Text& text) const {
    if (order.size() < 2) return;
    text.add(" (tried ");
    for (std::size_t i = 0; i < tried; ++i) {
      if (i != 0) text.add("; ");
      AddressAccess::write(order[i], text);
      const std::error_code& e = attempts[i].error;
      const std::string message = e ? e.message() : std::string("not finished");
      text.add(": ").add(message.c_str(), message.size());
    }
    if (tried < order.size()) text.add(tried == 0 ? "" : "; ").add_unsigned(order.size() - tried).add(" not tried");
    text.add(')');
  }
};

/// Starts a non-blocking connect() to `peer` on a new socket: the socket
/// once connected or connecting (`connected` says which), else empty with
/// the error in `ec`.
OUTLET_DETAIL_DEF OwnedHandle start_connect(const Address& peer, bool& connected, std::error_code& ec) noexcept {
  connected = false;
  OwnedHandle h(open(peer.native()->sa_family, SOCK_STREAM, ec));
  if (ec) return {};
  if ((ec = set_non_blocking(h.get(), true))) return {};
  if (try_connect(h.get(), peer) == 0) {
    connected = true;
    return h;
  }
  const int e = sys::last_error();
  // EINTR: the connect goes on in the background, as one in progress does.
  if (sys::connect_in_progress(e) || e == sys::err_interrupted) return h;
  ec = sys::to_error_code(e);
  return {};
}

/// The winner: back in blocking mode, owned by a Socket.
OUTLET_DETAIL_DEF Socket finish_winner(OwnedHandle& h, std::error_code& ec) noexcept {
  if ((ec = set_non_blocking(h.get(), false))) return {};
  return Socket::adopt(h.release());
}

/// race_connect()'s body; the attempts still running when it returns are
/// the caller's to close.
OUTLET_DETAIL_DEF Socket race_attempts(ConnectReport& report, duration attempt_delay, const Deadline& deadline,
                                       bool try_once, std::error_code& ec) {
  const std::vector<Address>& order = report.order;
  std::vector<Attempt>& attempts = report.attempts;
  std::size_t running = 0;
  sys::pollfd_type fds[sys::max_connect_waits];  // the running attempts' sockets, and
  std::size_t which[sys::max_connect_waits];     // the attempt each belongs to
  const std::int64_t delay_ns = attempt_delay.count();
  std::int64_t next_start = sys::monotonic_ns();
  for (;;) {
    // Start each attempt that is due: the first at once, the next after the
    // delay or as soon as none is running.
    while (report.tried < order.size() && running < sys::max_connect_waits && (try_once || !deadline.expired()) &&
           (try_once || running == 0 || sys::monotonic_ns() >= next_start)) {
      const std::size_t i = report.tried++;
      bool connected = false;
      attempts[i].handle = start_connect(order[i], connected, attempts[i].error);
      if (connected) return finish_winner(attempts[i].handle, ec);
      if (attempts[i].error) continue;  // failed at once: the next one starts now
      ++running;
      next_start = sys::monotonic_ns() + delay_ns;
    }
    if (running == 0) {
      ec = report.first_error();  // every attempt failed, or the time ran out
      return {};
    }
    // Wait for an attempt to end, the deadline, or the next attempt's time.
    int ms = try_once ? 0 : deadline.poll_timeout_ms();
    if (!try_once && report.tried < order.size() && running < sys::max_connect_waits) {
      const std::int64_t left = next_start - sys::monotonic_ns();
      const std::int64_t until_next = left <= 0 ? 0 : (left + 999999) / 1000000;
      if (ms < 0 || until_next < ms) ms = static_cast<int>(until_next < INT_MAX ? until_next : INT_MAX);
    }
    std::size_t count = 0;
    for (std::size_t i = 0; i < report.tried; ++i) {
      if (!attempts[i].handle.is_open()) continue;
      fds[count] = sys::pollfd_type{attempts[i].handle.get(), sys::poll_out, 0};
      which[count++] = i;
    }
    const int r = hook_fails(SysCall::poll, fds[0].fd) ? -1 : sys::wait_connects(fds, count, ms);
    if (r < 0 && sys::last_error() != sys::err_interrupted) {
      ec = last_error_code();
      return {};
    }
    // Of the attempts that ended, the earliest in order wins.
    for (std::size_t k = 0; r > 0 && k < count; ++k) {
      if (fds[k].revents == 0) continue;
      Attempt& a = attempts[which[k]];
      std::error_code e = pending_error(a.handle.get());
      if (!e) (void)socket_name(a.handle.get(), true, e);  // connected: it has a peer
      if (!e) return finish_winner(a.handle, ec);
      a.error = e;
      a.handle.reset();
      --running;
      next_start = sys::monotonic_ns();  // one failed: the next starts now
    }
    if (try_once || deadline.expired()) {
      for (std::size_t k = 0; k < count; ++k) {
        Attempt& a = attempts[which[k]];
        if (!a.handle.is_open()) continue;
        a.error = timed_out();
        a.handle.reset();
      }
      running = 0;
      if (try_once && report.tried < order.size()) continue;  // more than max_connect_waits addresses
      ec = report.first_error();
      return {};
    }
  }
}

/// The race itself (see connect(addresses, options)) over report.order,
/// which is already sorted. `try_once`: a zero timeout (every attempt starts
/// at once, and one check). Losers are closed on the way out.
OUTLET_DETAIL_DEF Socket race_connect(ConnectReport& report, duration attempt_delay, const Deadline& deadline,
                                      bool try_once, std::error_code& ec) {
  report.attempts.clear();
  report.attempts.resize(report.order.size());
  Socket winner = race_attempts(report, attempt_delay, deadline, try_once, ec);
  for (Attempt& a : report.attempts) a.handle.reset();
  return winner;
}

/// Checks the list and the options, sorts, and races: connect(addresses)'s
/// body, under the caller's deadline.
OUTLET_DETAIL_DEF Socket connect_list(const std::vector<Address>& addresses, const ConnectOptions& options,
                                      const Deadline& deadline, ConnectReport& report, std::error_code& ec) {
  report = ConnectReport();
  if (addresses.empty() || options.attempt_delay.count() < 0 || (options.timeout && options.timeout->count() < 0)) {
    ec = invalid_argument();
    return {};
  }
  for (const Address& a : addresses) {
    if (a.empty()) {
      ec = invalid_argument();
      return {};
    }
  }
  report.order = connect_order(addresses, options.first_family);
  const bool try_once = options.timeout && options.timeout->count() == 0;
  return race_connect(report, options.attempt_delay, deadline, try_once, ec);
}

/// `connect "<host>" port <port>`, for what().
OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text describe_connect(std::string_view host, std::uint16_t port) {
  Text text;
  text.add("connect ").add_quoted(host).add(" port ").add_unsigned(port);
  return text;
}

/// connect(host, port, options)'s body: the lookup and the race share the
/// deadline. `report` says what the race did, for what().
OUTLET_DETAIL_DEF Socket connect_host(std::string_view host, std::uint16_t port, const ConnectOptions& options,
                                      ConnectReport& report, std::error_code& ec) {
  if (options.attempt_delay.count() < 0 || (options.timeout && options.timeout->count() < 0)) {
    ec = invalid_argument();
    return {};
  }
  const Deadline deadline = options.timeout ? Deadline(*options.timeout) : Deadline();
  std::vector<Address> addresses;
  if ((ec = resolve_into(host, port, addresses, deadline.poll_timeout_ms()))) return {};
  return connect_list(addresses, options, deadline, report, ec);
}

/// The throwing connect(host, port, ...)'s body.
OUTLET_DETAIL_DEF Socket connect_host_or_throw(std::string_view host, std::uint16_t port,
                                               const ConnectOptions& options) {
  ConnectReport report;
  std::error_code ec;
  Socket socket = connect_host(host, port, options, report, ec);
  if (!ec) return socket;
  if (options.attempt_delay.count() < 0) {
    throw_error(ec, describe_connect(host, port)
                        .add(": negative attempt_delay (")
                        .add_signed(options.attempt_delay.count())
                        .add("ns)"));
  }
  if (options.timeout && options.timeout->count() < 0)
    throw_negative_timeout(describe_connect(host, port), options.timeout->count());
  if (ec == std::errc::invalid_argument && report.order.empty()) (void)resolve(host, port);  // throws, quoting the host
  Text text = describe_connect(host, port);
  if (report.order.empty()) text.add(" (looking up the name)");
  report.describe(text);
  throw_error(ec, text);
}

/// The throwing connect(addresses, options)'s body.
OUTLET_DETAIL_DEF Socket connect_list_or_throw(const std::vector<Address>& addresses, const ConnectOptions& options) {
  ConnectReport report;
  std::error_code ec;
  const Deadline deadline = options.timeout ? Deadline(*options.timeout) : Deadline();
  Socket socket = connect_list(addresses, options, deadline, report, ec);
  if (!ec) return socket;
  Text text;
  text.add("connect");
  if (addresses.empty()) throw_error(ec, text.add(": an empty address list"));
  if (options.attempt_delay.count() < 0) {
    throw_error(ec, text.add(": negative attempt_delay (").add_signed(options.attempt_delay.count()).add("ns)"));
  }
  if (options.timeout && options.timeout->count() < 0) throw_negative_timeout(text, options.timeout->count());
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (addresses[i].empty()) {
      throw_error(
          ec, text.add(": address ").add_unsigned(i + 1).add(" of ").add_unsigned(addresses.size()).add(" is empty"));
    }
  }
  if (report.order.size() == 1) {
    AddressAccess::write(report.order.front(), text.add(' '));
  } else {
    text.add(' ').add_unsigned(report.order.size()).add(" addresses");
    report.describe(text);
  }
  throw_error(ec, text);
}

/// Runs `body` for an ec form: std::bad_alloc becomes not_enough_memory.
template <class F>
Socket connect_noexcept(std::error_code& ec, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
    return {};
  }
}

}  // namespace detail

OUTLET_DETAIL_DEF Socket connect(const std::vector<Address>& addresses, const ConnectOptions& options,
                                 std::error_code& ec) noexcept {
  return detail::connect_noexcept(ec, [&] {
    detail::ConnectReport report;
    const detail::Deadline deadline =
        options.timeout && options.timeout->count() >= 0 ? detail::Deadline(*options.timeout) : detail::Deadline();
    return detail::connect_list(addresses, options, deadline, report, ec);
  });
}

OUTLET_DETAIL_DEF Socket connect(const std::vector<Address>& addresses, const ConnectOptions& options) {
  return detail::connect_list_or_throw(addresses, options);
}

OUTLET_DETAIL_DEF Socket connect(std::string_view host, std::uint16_t port, const ConnectOptions& options,
                                 std::error_code& ec) noexcept {
  return detail::connect_noexcept(ec, [&] {
    detail::ConnectReport report;
    return detail::connect_host(host, port, options, report, ec);
  });
}

OUTLET_DETAIL_DEF Socket connect(std::string_view host, std::uint16_t port, const ConnectOptions& options) {
  return detail::connect_host_or_throw(host, port, options);
}

OUTLET_DETAIL_DEF Socket connect(std::string_view host, std::uint16_t port, duration timeout,
                                 std::error_code& ec) noexcept {
  ConnectOptions options;
  options.timeout = timeout;
  return connect(host, port, options, ec);
}

OUTLET_DETAIL_DEF Socket connect(std::string_view host, std::uint16_t port, std::error_code& ec) noexcept {
  return connect(host, port, ConnectOptions(), ec);
}

OUTLET_DETAIL_DEF Socket connect(std::string_view host, std::uint16_t port, duration timeout) {
  ConnectOptions options;
  options.timeout = timeout;
  return detail::connect_host_or_throw(host, port, options);
}

OUTLET_DETAIL_DEF Socket connect(std::string_view host, std::uint16_t port) {
  return detail::connect_host_or_throw(host, port, ConnectOptions());
}

#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_SOCKET_HPP
