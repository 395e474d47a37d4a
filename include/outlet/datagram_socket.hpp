// outlet — DatagramSocket: UDP, or Unix datagram.
#ifndef OUTLET_DATAGRAM_SOCKET_HPP
#define OUTLET_DATAGRAM_SOCKET_HPP

#include <outlet/address.hpp>
#include <outlet/buffer.hpp>
#include <outlet/socket_base.hpp>

#include <climits>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

/// One datagram for DatagramSocket::send_batch(): its bytes and where it goes.
struct OutgoingDatagram {
  /// The datagram's bytes.
  ConstBuffer buffer;
  /// The destination; leave it empty (Address()) on a connected socket.
  Address to;
};

/// One slot for DatagramSocket::receive_batch(): a buffer to fill, and
/// what arrived in it.
struct IncomingDatagram {
  /// Where the datagram's bytes go (set by the caller).
  MutableBuffer buffer;
  /// Out: how many bytes were stored in `buffer`.
  std::size_t received = 0;
  /// Out: who sent it.
  Address from;
  /// Out: the datagram was longer than `buffer`; only `received` bytes of
  /// it were kept and the rest is lost.
  bool truncated = false;
};

/// A datagram socket (UDP, or Unix datagram). Move-only; the destructor
/// closes it, and one bound to a Unix path removes the socket file.
///
/// A datagram longer than the buffer given to receive()/receive_from()
/// fills the buffer and fails with std::errc::message_size (EMSGSIZE): the
/// cut is never silent. The ec forms then return the buffer size.
class DatagramSocket : public detail::BindableSocket {
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
  [[nodiscard]] std::size_t receive_from(void* data, std::size_t size, Address& from, std::error_code& ec) noexcept;
  /// One send() to the connected peer.
  std::size_t send(const void* data, std::size_t size);
  std::size_t send(const void* data, std::size_t size, std::error_code& ec) noexcept;
  std::size_t send(std::string_view data);
  std::size_t send(std::string_view data, std::error_code& ec) noexcept;
  /// One recv(): the next datagram.
  [[nodiscard]] std::size_t receive(void* data, std::size_t size);
  [[nodiscard]] std::size_t receive(void* data, std::size_t size, std::error_code& ec) noexcept;

  /// One sendmsg() of a datagram made of several buffers, to the connected
  /// peer or to `to`: the whole datagram, or an error.
  std::size_t send_vectored(const ConstBuffer* buffers, std::size_t count);
  std::size_t send_vectored(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept;
  /// As send_vectored(), to `to` (sendmsg() with msg_name).
  std::size_t send_to_vectored(const ConstBuffer* buffers, std::size_t count, const Address& to);
  std::size_t send_to_vectored(const ConstBuffer* buffers, std::size_t count, const Address& to,
                               std::error_code& ec) noexcept;
  /// One recvmsg() that spreads the next datagram over the buffers in order.
  /// A datagram longer than all of them fails with message_size, like
  /// receive() (the ec forms return the bytes stored).
  [[nodiscard]] std::size_t receive_vectored(const MutableBuffer* buffers, std::size_t count);
  [[nodiscard]] std::size_t receive_vectored(const MutableBuffer* buffers, std::size_t count,
                                             std::error_code& ec) noexcept;
  /// As receive_vectored(), and stores the sender's address in `from`.
  [[nodiscard]] std::size_t receive_from_vectored(const MutableBuffer* buffers, std::size_t count, Address& from);
  [[nodiscard]] std::size_t receive_from_vectored(const MutableBuffer* buffers, std::size_t count, Address& from,
                                                  std::error_code& ec) noexcept;

  /// The most buffers one datagram is sent from or received into (IOV_MAX
  /// on POSIX, 64 on Windows); more fail with message_size, as the OS
  /// itself reports, before anything is sent or received.
  [[nodiscard]] static constexpr std::size_t max_buffers() noexcept { return detail::sys::max_io_vectors; }

  /// Sends datagrams[0..count) in order, as many per system call as the OS
  /// allows (sendmmsg() on Linux; one sendto() each elsewhere). Returns how
  /// many were sent. Fewer than `count` only when an error stopped the batch
  /// after at least one went: that error is not reported, and sending from
  /// datagrams[result] again reports it if it persists (a datagram too
  /// long, an unreachable destination). An error on the first datagram is
  /// reported (thrown, or in ec with 0 returned). The send timeout, if set,
  /// covers the whole call; on a non-blocking socket a full send queue
  /// ends the batch early, or fails with operation_would_block if nothing went.
  [[nodiscard]] std::size_t send_batch(const OutgoingDatagram* datagrams, std::size_t count);
  [[nodiscard]] std::size_t send_batch(const OutgoingDatagram* datagrams, std::size_t count,
                                       std::error_code& ec) noexcept;
  /// Waits for one datagram (within the receive timeout, if set), then
  /// takes every further datagram already queued, up to `count`, in as few
  /// system calls as the OS allows (recvmmsg() on Linux). Returns how many
  /// slots were filled; each says how many bytes it received, the sender,
  /// and whether the datagram was truncated (a long datagram is reported
  /// per slot, not as an error).
  [[nodiscard]] std::size_t receive_batch(IncomingDatagram* datagrams, std::size_t count);
  [[nodiscard]] std::size_t receive_batch(IncomingDatagram* datagrams, std::size_t count, std::error_code& ec) noexcept;

  /// SO_BROADCAST (SOL_SOCKET): allow sending to broadcast addresses.
  void set_broadcast(bool on);
  void set_broadcast(bool on, std::error_code& ec) noexcept;
  /// getsockopt(): reads SO_BROADCAST.
  [[nodiscard]] bool broadcast() const;
  [[nodiscard]] bool broadcast(std::error_code& ec) const noexcept;

private:
  explicit DatagramSocket(native_handle_type handle) noexcept : BindableSocket(handle) {}
  std::size_t send_impl(const void* data, std::size_t size, const Address* to, std::error_code& ec) noexcept;
  std::size_t receive_impl(void* data, std::size_t size, Address* from, std::error_code& ec) noexcept;
  // The fast path (see Socket): one sendto()/recvfrom() when no deadline
  // applies; `failed` gets the error for the general path, or stays 0.
  bool untimed_send() const noexcept { return send_timeout_.count() == 0 || non_blocking_; }
  bool untimed_receive() const noexcept { return receive_timeout_.count() == 0 || non_blocking_; }
  std::size_t send_general(const void* data, std::size_t size, const Address* to, int failed,
                           std::error_code& ec) noexcept;
  std::size_t receive_general(void* data, std::size_t size, Address* from, int failed, std::error_code& ec) noexcept;
  std::size_t send_or_throw(const void* data, std::size_t size, int failed);
  std::size_t receive_or_throw(void* data, std::size_t size, int failed);
  detail::sys::io_result try_receive(void* data, std::size_t size, Address* from, bool& truncated) noexcept;
  detail::sys::io_result try_receive_connected(void* data, std::size_t size, bool& truncated) noexcept {
    return detail::sys_call(detail::SysCall::receive, handle_, detail::sys::io_result(-1), [&] {
      return detail::sys::recv_datagram(handle_, data, size, nullptr, nullptr, false, truncated);
    });
  }
  std::size_t send_vector_impl(const ConstBuffer* buffers, std::size_t count, const Address* to,
                               std::error_code& ec) noexcept;
  std::size_t receive_vector_impl(const MutableBuffer* buffers, std::size_t count, Address* from,
                                  std::error_code& ec) noexcept;
  const detail::Deadline* receive_deadline(detail::Deadline& storage, std::error_code& ec) noexcept;
  const detail::Deadline* send_deadline(detail::Deadline& storage, std::error_code& ec) noexcept;
  [[noreturn]] void fail_receive(const std::error_code& ec, const char* op, std::size_t size,
                                 const Address* from) const;
};

// ---------------------------------------------------------------------------
// Implementation

inline DatagramSocket::DatagramSocket(Family family) {
  if (std::error_code ec = open(family, SOCK_DGRAM)) fail(ec, "socket");
}

inline DatagramSocket::DatagramSocket(const Address& local) {
  std::error_code ec = open(local.family(), SOCK_DGRAM);
  if (ec) fail(ec, "socket", local);
  if ((ec = prepare_bind(local, false))) fail(ec, "setsockopt", local);
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

inline OUTLET_DETAIL_SLOW_PATH std::size_t DatagramSocket::send_general(const void* data, std::size_t size,
                                                                        const Address* to, int failed,
                                                                        std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  std::size_t n = 0;
  if (untimed_send()) {
    n = detail::send_to(handle_, data, size, to, nullptr, waits_in_poll(), ec, failed);
  } else {
    const detail::Deadline deadline(send_timeout_);
    if ((ec = prepare_timed_io(&deadline))) return 0;
    n = detail::send_to(handle_, data, size, to, &deadline, waits_in_poll(), ec);
  }
  if (ec) ec = blocking_error(ec);
  return n;
}
inline std::size_t DatagramSocket::send_impl(const void* data, std::size_t size, const Address* to,
                                             std::error_code& ec) noexcept {
  int failed = 0;
  if (untimed_send()) {
    const detail::sys::io_result n = detail::try_send_datagram(handle_, data, size, to);
    if (n >= 0) {
      ec.clear();
      return static_cast<std::size_t>(n);
    }
    failed = detail::sys::last_error();
  }
  return send_general(data, size, to, failed, ec);
}

inline detail::sys::io_result DatagramSocket::try_receive(void* data, std::size_t size, Address* from,
                                                          bool& truncated) noexcept {
  if (from == nullptr) return try_receive_connected(data, size, truncated);
  sockaddr_storage storage;
  auto len = static_cast<detail::sys::socklen>(sizeof storage);
  const detail::sys::io_result n = detail::sys_call(detail::SysCall::receive, handle_, detail::sys::io_result(-1), [&] {
    return detail::sys::recv_datagram(handle_, data, size, reinterpret_cast<sockaddr*>(&storage), &len, false,
                                      truncated);
  });
  if (n >= 0) detail::store_sender(storage, len, *from);
  return n;
}
inline OUTLET_DETAIL_SLOW_PATH std::size_t DatagramSocket::receive_general(void* data, std::size_t size, Address* from,
                                                                           int failed, std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  std::size_t n = 0;
  if (untimed_receive()) {
    n = detail::receive_from(handle_, data, size, from, nullptr, waits_in_poll(), ec, failed);
  } else {
    const detail::Deadline deadline(receive_timeout_);
    if ((ec = prepare_timed_io(&deadline))) return 0;
    n = detail::receive_from(handle_, data, size, from, &deadline, waits_in_poll(), ec);
  }
  if (ec && ec != std::errc::message_size) ec = blocking_error(ec);
  return n;
}
inline std::size_t DatagramSocket::receive_impl(void* data, std::size_t size, Address* from,
                                                std::error_code& ec) noexcept {
  int failed = 0;
  if (untimed_receive()) {
    bool truncated = false;
    const detail::sys::io_result n = try_receive(data, size, from, truncated);
    if (n >= 0) {
      if (truncated)
        ec = detail::sys::to_error_code(detail::sys::err_message_size);
      else
        ec.clear();
      return static_cast<std::size_t>(n);
    }
    failed = detail::sys::last_error();
  }
  return receive_general(data, size, from, failed, ec);
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
  if (ec) fail_receive(ec, "receive_from", size, &from);
  return n;
}

inline std::size_t DatagramSocket::send(const void* data, std::size_t size, std::error_code& ec) noexcept {
  return send_impl(data, size, nullptr, ec);
}
inline std::size_t DatagramSocket::send(const void* data, std::size_t size) {
  int failed = 0;
  if (untimed_send()) {
    const detail::sys::io_result n = detail::try_send_datagram(handle_, data, size, nullptr);
    if (n >= 0) return static_cast<std::size_t>(n);
    failed = detail::sys::last_error();
  }
  return send_or_throw(data, size, failed);
}
inline OUTLET_DETAIL_SLOW_PATH std::size_t DatagramSocket::send_or_throw(const void* data, std::size_t size,
                                                                         int failed) {
  std::error_code ec;
  const std::size_t n = send_general(data, size, nullptr, failed, ec);
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
  int failed = 0;
  if (untimed_receive()) {
    bool truncated = false;
    const detail::sys::io_result r = try_receive_connected(data, size, truncated);
    if (r >= 0 && !truncated) return static_cast<std::size_t>(r);
    if (r >= 0) fail_receive(detail::sys::to_error_code(detail::sys::err_message_size), "receive", size, nullptr);
    failed = detail::sys::last_error();
  }
  return receive_or_throw(data, size, failed);
}
inline OUTLET_DETAIL_SLOW_PATH std::size_t DatagramSocket::receive_or_throw(void* data, std::size_t size, int failed) {
  std::error_code ec;
  const std::size_t n = receive_general(data, size, nullptr, failed, ec);
  if (ec) fail_receive(ec, "receive", size, nullptr);
  return n;
}

inline const detail::Deadline* DatagramSocket::send_deadline(detail::Deadline& storage, std::error_code& ec) noexcept {
  if (send_timeout_.count() == 0 || non_blocking_) return nullptr;
  storage = detail::Deadline(send_timeout_);
  ec = prepare_timed_io(&storage);
  return &storage;
}
inline const detail::Deadline* DatagramSocket::receive_deadline(detail::Deadline& storage,
                                                                std::error_code& ec) noexcept {
  if (receive_timeout_.count() == 0 || non_blocking_) return nullptr;
  storage = detail::Deadline(receive_timeout_);
  ec = prepare_timed_io(&storage);
  return &storage;
}
inline OUTLET_DETAIL_SLOW_PATH void DatagramSocket::fail_receive(const std::error_code& ec, const char* op,
                                                                 std::size_t size, const Address* from) const {
  if (ec == std::errc::message_size)
    detail::throw_error(ec, std::string(op) + (from != nullptr ? " " + from->to_string() : std::string()) +
                                ": datagram longer than the buffer space (" + std::to_string(size) + " bytes)");
  fail(ec, op);
}

inline std::size_t DatagramSocket::send_vector_impl(const ConstBuffer* buffers, std::size_t count, const Address* to,
                                                    std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  // A datagram cannot be sent in part: more buffers than one call takes,
  // or more bytes than any datagram holds, fail instead of being cut.
  if (count > detail::sys::max_io_vectors || detail::total_size(buffers, count) > static_cast<std::size_t>(INT_MAX)) {
    ec = detail::sys::to_error_code(detail::sys::err_message_size);
    return 0;
  }
  ec.clear();
  detail::Deadline storage;
  const detail::Deadline* deadline = send_deadline(storage, ec);
  if (ec) return 0;
  const std::size_t n =
      detail::send_vector(handle_, detail::BufferAccess::native(buffers), count, to, deadline, waits_in_poll(), ec);
  if (ec) ec = blocking_error(ec);
  return n;
}
inline std::size_t DatagramSocket::receive_vector_impl(const MutableBuffer* buffers, std::size_t count, Address* from,
                                                       std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  // Buffers the OS would never see would cut a datagram that fits them all.
  if (count > detail::sys::max_io_vectors) {
    ec = detail::sys::to_error_code(detail::sys::err_message_size);
    return 0;
  }
  ec.clear();
  detail::Deadline storage;
  const detail::Deadline* deadline = receive_deadline(storage, ec);
  if (ec) return 0;
  bool truncated = false;
  const std::size_t n = detail::receive_vector(handle_, detail::BufferAccess::native(buffers), count, from, deadline,
                                               waits_in_poll(), truncated, ec);
  if (ec) {
    ec = blocking_error(ec);
    return 0;
  }
  if (truncated) ec = detail::sys::to_error_code(detail::sys::err_message_size);
  return n;
}
inline std::size_t DatagramSocket::send_vectored(const ConstBuffer* buffers, std::size_t count,
                                                 std::error_code& ec) noexcept {
  return send_vector_impl(buffers, count, nullptr, ec);
}
inline std::size_t DatagramSocket::send_vectored(const ConstBuffer* buffers, std::size_t count) {
  std::error_code ec;
  const std::size_t n = send_vector_impl(buffers, count, nullptr, ec);
  if (ec) fail(ec, "send_vectored");
  return n;
}
inline std::size_t DatagramSocket::send_to_vectored(const ConstBuffer* buffers, std::size_t count, const Address& to,
                                                    std::error_code& ec) noexcept {
  return send_vector_impl(buffers, count, &to, ec);
}
inline std::size_t DatagramSocket::send_to_vectored(const ConstBuffer* buffers, std::size_t count, const Address& to) {
  std::error_code ec;
  const std::size_t n = send_vector_impl(buffers, count, &to, ec);
  if (ec) fail(ec, "send_to_vectored", to);
  return n;
}
inline std::size_t DatagramSocket::receive_vectored(const MutableBuffer* buffers, std::size_t count,
                                                    std::error_code& ec) noexcept {
  return receive_vector_impl(buffers, count, nullptr, ec);
}
inline std::size_t DatagramSocket::receive_vectored(const MutableBuffer* buffers, std::size_t count) {
  std::error_code ec;
  const std::size_t n = receive_vector_impl(buffers, count, nullptr, ec);
  if (ec) fail_receive(ec, "receive_vectored", detail::total_size(buffers, count), nullptr);
  return n;
}
inline std::size_t DatagramSocket::receive_from_vectored(const MutableBuffer* buffers, std::size_t count, Address& from,
                                                         std::error_code& ec) noexcept {
  return receive_vector_impl(buffers, count, &from, ec);
}
inline std::size_t DatagramSocket::receive_from_vectored(const MutableBuffer* buffers, std::size_t count,
                                                         Address& from) {
  std::error_code ec;
  const std::size_t n = receive_vector_impl(buffers, count, &from, ec);
  if (ec) fail_receive(ec, "receive_from_vectored", detail::total_size(buffers, count), &from);
  return n;
}

inline std::size_t DatagramSocket::send_batch(const OutgoingDatagram* datagrams, std::size_t count,
                                              std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  ec.clear();
  detail::Deadline storage;
  const detail::Deadline* deadline = send_deadline(storage, ec);
  if (ec) return 0;
  std::size_t sent = 0;
  std::error_code error;
  if (detail::sys::has_message_batch) {
    constexpr std::size_t chunk = 64;
    detail::sys::message messages[chunk];
    while (sent < count && !error) {
      const std::size_t n = count - sent < chunk ? count - sent : chunk;
      for (std::size_t i = 0; i < n; ++i) {
        const OutgoingDatagram& d = datagrams[sent + i];
        const detail::sys::socklen name_size = d.to.native_size();
        detail::sys::set_message(messages[i], detail::BufferAccess::native(&d.buffer), 1,
                                 name_size != 0 ? const_cast<sockaddr*>(d.to.native()) : nullptr, name_size);
      }
      sent += detail::transfer(
          handle_, detail::SysCall::send, detail::sys::poll_out, deadline, waits_in_poll(),
          [&](bool dont_wait) { return detail::sys::send_messages(handle_, messages, n, dont_wait); }, error);
    }
  } else {
    for (; sent < count; ++sent) {
      const OutgoingDatagram& d = datagrams[sent];
      (void)detail::send_to(handle_, d.buffer.data(), d.buffer.size(), d.to.native_size() != 0 ? &d.to : nullptr,
                            deadline, waits_in_poll(), error);
      if (error) break;
    }
  }
  if (error && sent == 0) ec = blocking_error(error);
  return sent;
}
inline std::size_t DatagramSocket::send_batch(const OutgoingDatagram* datagrams, std::size_t count) {
  std::error_code ec;
  const std::size_t n = send_batch(datagrams, count, ec);
  if (ec) {
    if (count > 0 && datagrams[0].to.native_size() != 0) fail(ec, "send_batch", datagrams[0].to);
    fail(ec, "send_batch");
  }
  return n;
}

inline std::size_t DatagramSocket::receive_batch(IncomingDatagram* datagrams, std::size_t count,
                                                 std::error_code& ec) noexcept {
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  ec.clear();
  detail::Deadline storage;
  const detail::Deadline* deadline = receive_deadline(storage, ec);
  if (ec || count == 0) return 0;
  std::size_t got = 0;
  std::error_code error;
  if (detail::sys::has_message_batch) {
    constexpr std::size_t chunk = 32;
    detail::sys::message messages[chunk];
    sockaddr_storage names[chunk];
    while (got < count) {
      const std::size_t n = count - got < chunk ? count - got : chunk;
      for (std::size_t i = 0; i < n; ++i)
        detail::sys::set_message(messages[i], detail::BufferAccess::native(&datagrams[got + i].buffer), 1,
                                 reinterpret_cast<sockaddr*>(&names[i]),
                                 static_cast<detail::sys::socklen>(sizeof names[i]));
      std::size_t done = 0;
      if (got == 0) {  // wait for the first (recvmmsg's MSG_WAITFORONE takes the rest queued)
        done = detail::transfer(
            handle_, detail::SysCall::receive, detail::sys::poll_in, deadline, waits_in_poll(),
            [&](bool dont_wait) { return detail::sys::recv_messages(handle_, messages, n, dont_wait); }, error);
        if (error) break;
      } else {  // only what is queued already; "nothing" or an error ends the batch
        const int r = detail::sys_call(detail::SysCall::receive, handle_, -1,
                                       [&] { return detail::sys::recv_messages(handle_, messages, n, true); });
        if (r <= 0) break;
        done = static_cast<std::size_t>(r);
      }
      for (std::size_t i = 0; i < done; ++i) {
        IncomingDatagram& d = datagrams[got + i];
        d.received = detail::sys::message_length(messages[i]);
        d.truncated = detail::sys::message_truncated(messages[i]);
        detail::store_sender(names[i], detail::sys::message_name_length(messages[i]), d.from);
      }
      got += done;
      if (done < n) break;
    }
  } else {
    // After the first datagram take only what is queued: MSG_DONTWAIT, or
    // where send/recv have no such flag (Windows) a handle outlet keeps
    // non-blocking, as for timed calls.
    if (!detail::sys::has_dont_wait_flag && count > 1 && (ec = keep_non_blocking())) return 0;
    for (; got < count; ++got) {
      IncomingDatagram& d = datagrams[got];
      const detail::sys::io_vector* v = detail::BufferAccess::native(&d.buffer);
      bool truncated = false;
      std::size_t n = 0;
      if (got == 0) {
        n = detail::receive_vector(handle_, v, 1, &d.from, deadline, waits_in_poll(), truncated, error);
        if (error) break;
      } else {
        sockaddr_storage name{};
        auto name_size = static_cast<detail::sys::socklen>(sizeof name);
        const detail::sys::io_result r =
            detail::sys_call(detail::SysCall::receive, handle_, detail::sys::io_result(-1), [&] {
              return detail::sys::recv_vector(handle_, v, 1, reinterpret_cast<sockaddr*>(&name), &name_size, true,
                                              truncated);
            });
        if (r < 0) break;  // nothing more queued, or an error the next call will report
        n = static_cast<std::size_t>(r);
        detail::store_sender(name, name_size, d.from);
      }
      d.received = n;
      d.truncated = truncated;
    }
  }
  if (error && got == 0) ec = blocking_error(error);
  return got;
}
inline std::size_t DatagramSocket::receive_batch(IncomingDatagram* datagrams, std::size_t count) {
  std::error_code ec;
  const std::size_t n = receive_batch(datagrams, count, ec);
  if (ec) fail(ec, "receive_batch");
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

}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_DATAGRAM_SOCKET_HPP
