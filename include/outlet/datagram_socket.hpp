// outlet — DatagramSocket: UDP, or Unix datagram.
#ifndef OUTLET_DATAGRAM_SOCKET_HPP
#define OUTLET_DATAGRAM_SOCKET_HPP

#include <outlet/address.hpp>
#include <outlet/socket_base.hpp>

#include <cstddef>
#include <string_view>
#include <system_error>

namespace outlet {

/// A datagram socket (UDP, or Unix datagram). Move-only; the destructor
/// closes it, and one bound to a Unix path removes the socket file.
///
/// A datagram longer than the buffer given to receive()/receive_from()
/// fills the buffer and fails with std::errc::message_size (EMSGSIZE): the
/// cut is never silent. The ec forms then return the buffer size.
class DatagramSocket : public BasicSocket {
public:
  /// A datagram socket that is not open.
  DatagramSocket() noexcept = default;
  /// socket(family, SOCK_DGRAM): open, unbound.
  explicit DatagramSocket(Family family);
  /// socket() + bind() (IPV6_V6ONLY set for IPv6). Port 0 picks a free port.
  explicit DatagramSocket(const Address& local);
  /// Takes ownership of a native datagram socket (assumed blocking).
  [[nodiscard]] static DatagramSocket adopt(native_handle_type handle) noexcept;

  DatagramSocket(DatagramSocket&&) noexcept = default;
  DatagramSocket& operator=(DatagramSocket&&) noexcept = default;
  ~DatagramSocket() = default;

  /// bind(); opens a socket of local's family first if none is open.
  void bind(const Address& local);
  void bind(const Address& local, std::error_code& ec) noexcept;
  /// connect(): sets the default destination for send() and receives only
  /// from that peer. Opens a socket of peer's family first if none is open.
  void connect(const Address& peer);
  void connect(const Address& peer, std::error_code& ec) noexcept;

  /// One sendto(): the whole datagram, or an error.
  std::size_t send_to(const void* data, std::size_t size, const Address& to);
  std::size_t send_to(const void* data, std::size_t size, const Address& to, std::error_code& ec) noexcept;
  std::size_t send_to(std::string_view data, const Address& to);
  std::size_t send_to(std::string_view data, const Address& to, std::error_code& ec) noexcept;
  /// One recvfrom(): the next datagram and who sent it.
  [[nodiscard]] std::size_t receive_from(void* data, std::size_t size, Address& from);
  [[nodiscard]] std::size_t receive_from(void* data, std::size_t size, Address& from,
                                         std::error_code& ec) noexcept;
  /// One send() to the connected peer.
  std::size_t send(const void* data, std::size_t size);
  std::size_t send(const void* data, std::size_t size, std::error_code& ec) noexcept;
  std::size_t send(std::string_view data);
  std::size_t send(std::string_view data, std::error_code& ec) noexcept;
  /// One recv(): the next datagram.
  [[nodiscard]] std::size_t receive(void* data, std::size_t size);
  [[nodiscard]] std::size_t receive(void* data, std::size_t size, std::error_code& ec) noexcept;

  /// SO_BROADCAST (SOL_SOCKET): allow sending to broadcast addresses.
  void set_broadcast(bool on);
  void set_broadcast(bool on, std::error_code& ec) noexcept;
  [[nodiscard]] bool broadcast() const;
  [[nodiscard]] bool broadcast(std::error_code& ec) const noexcept;

private:
  explicit DatagramSocket(native_handle_type handle) noexcept : BasicSocket(handle) {}
  std::size_t send_impl(const void* data, std::size_t size, const Address* to, std::error_code& ec) noexcept;
  std::size_t receive_impl(void* data, std::size_t size, Address* from, std::error_code& ec) noexcept;
};

// ---------------------------------------------------------------------------
// Implementation

inline DatagramSocket::DatagramSocket(Family family) {
  if (std::error_code ec = open(family, SOCK_DGRAM)) fail(ec, "socket");
}

inline DatagramSocket::DatagramSocket(const Address& local) {
  std::error_code ec = open(local.family(), SOCK_DGRAM);
  if (ec) fail(ec, "socket");
  if ((ec = prepare_bind(local, false))) fail(ec, "setsockopt");
  if ((ec = bind_address(local))) fail(ec, "bind", local);
}

inline DatagramSocket DatagramSocket::adopt(native_handle_type handle) noexcept { return DatagramSocket(handle); }

inline void DatagramSocket::bind(const Address& local, std::error_code& ec) noexcept {
  if (!is_open() && (ec = open(local.family(), SOCK_DGRAM))) return;
  ec = bind_address(local);
}

inline void DatagramSocket::bind(const Address& local) {
  std::error_code ec;
  bind(local, ec);
  if (ec) fail(ec, "bind", local);
}

inline void DatagramSocket::connect(const Address& peer, std::error_code& ec) noexcept {
  if (!is_open() && (ec = open(peer.family(), SOCK_DGRAM))) return;
  ec = detail::connect(handle_, peer, detail::Deadline());
}

inline void DatagramSocket::connect(const Address& peer) {
  std::error_code ec;
  connect(peer, ec);
  if (ec) fail(ec, "connect", peer);
}

inline std::size_t DatagramSocket::send_impl(const void* data, std::size_t size, const Address* to,
                                             std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  std::size_t n = 0;
  if (send_timeout_.count() == 0 || non_blocking_) {
    n = detail::send_to(handle_, data, size, to, nullptr, waits_in_poll(), ec);
  } else {
    const detail::Deadline deadline(send_timeout_);
    if ((ec = prepare_timed_io(&deadline))) return 0;
    n = detail::send_to(handle_, data, size, to, &deadline, waits_in_poll(), ec);
  }
  if (ec) ec = blocking_error(ec);
  return n;
}

inline std::size_t DatagramSocket::receive_impl(void* data, std::size_t size, Address* from,
                                                std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  std::size_t n = 0;
  if (receive_timeout_.count() == 0 || non_blocking_) {
    n = detail::receive_from(handle_, data, size, from, nullptr, waits_in_poll(), ec);
  } else {
    const detail::Deadline deadline(receive_timeout_);
    if ((ec = prepare_timed_io(&deadline))) return 0;
    n = detail::receive_from(handle_, data, size, from, &deadline, waits_in_poll(), ec);
  }
  if (ec) ec = blocking_error(ec);
  return n;
}

inline std::size_t DatagramSocket::send_to(const void* data, std::size_t size, const Address& to,
                                           std::error_code& ec) noexcept {
  return send_impl(data, size, &to, ec);
}
inline std::size_t DatagramSocket::send_to(const void* data, std::size_t size, const Address& to) {
  std::error_code ec;
  const std::size_t n = send_impl(data, size, &to, ec);
  if (ec) fail(ec, "send_to", to);
  return n;
}
inline std::size_t DatagramSocket::send_to(std::string_view data, const Address& to, std::error_code& ec) noexcept {
  return send_impl(data.data(), data.size(), &to, ec);
}
inline std::size_t DatagramSocket::send_to(std::string_view data, const Address& to) {
  return send_to(data.data(), data.size(), to);
}

inline std::size_t DatagramSocket::receive_from(void* data, std::size_t size, Address& from,
                                                std::error_code& ec) noexcept {
  return receive_impl(data, size, &from, ec);
}
inline std::size_t DatagramSocket::receive_from(void* data, std::size_t size, Address& from) {
  std::error_code ec;
  const std::size_t n = receive_impl(data, size, &from, ec);
  if (ec == std::errc::message_size)
    detail::throw_error(ec, "receive_from " + from.to_string() + ": datagram longer than the " +
                                std::to_string(size) + "-byte buffer");
  if (ec) fail(ec, "receive_from");
  return n;
}

inline std::size_t DatagramSocket::send(const void* data, std::size_t size, std::error_code& ec) noexcept {
  return send_impl(data, size, nullptr, ec);
}
inline std::size_t DatagramSocket::send(const void* data, std::size_t size) {
  std::error_code ec;
  const std::size_t n = send_impl(data, size, nullptr, ec);
  if (ec) fail(ec, "send");
  return n;
}
inline std::size_t DatagramSocket::send(std::string_view data, std::error_code& ec) noexcept {
  return send_impl(data.data(), data.size(), nullptr, ec);
}
inline std::size_t DatagramSocket::send(std::string_view data) { return send(data.data(), data.size()); }

inline std::size_t DatagramSocket::receive(void* data, std::size_t size, std::error_code& ec) noexcept {
  return receive_impl(data, size, nullptr, ec);
}
inline std::size_t DatagramSocket::receive(void* data, std::size_t size) {
  std::error_code ec;
  const std::size_t n = receive_impl(data, size, nullptr, ec);
  if (ec == std::errc::message_size)
    detail::throw_error(ec, "receive: datagram longer than the " + std::to_string(size) + "-byte buffer");
  if (ec) fail(ec, "receive");
  return n;
}

inline void DatagramSocket::set_broadcast(bool on, std::error_code& ec) noexcept {
  set_option(SOL_SOCKET, SO_BROADCAST, on ? 1 : 0, ec);
}
inline void DatagramSocket::set_broadcast(bool on) {
  std::error_code ec;
  set_broadcast(on, ec);
  if (ec) fail(ec, "setsockopt(SO_BROADCAST)");
}
inline bool DatagramSocket::broadcast(std::error_code& ec) const noexcept {
  return get_option<int>(SOL_SOCKET, SO_BROADCAST, ec) != 0;
}
inline bool DatagramSocket::broadcast() const {
  std::error_code ec;
  const bool on = broadcast(ec);
  if (ec) fail(ec, "getsockopt(SO_BROADCAST)");
  return on;
}

}  // namespace outlet

#endif  // OUTLET_DATAGRAM_SOCKET_HPP
