// outlet — DatagramSocket: UDP, or Unix datagram.
#ifndef OUTLET_DATAGRAM_SOCKET_HPP
#define OUTLET_DATAGRAM_SOCKET_HPP

#include <outlet/address.hpp>
#include <outlet/bind_options.hpp>
#include <outlet/buffer.hpp>
#include <outlet/network_interface.hpp>
#include <outlet/socket_base.hpp>

#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

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

/// What arrived with a datagram besides its bytes, from the OS's control
/// messages: DatagramSocket::receive_from() and receive_batch() with a
/// ReceiveMetadata fill it. A member stays empty unless its option is on
/// (set_receive_timestamps(), set_receive_destination()) and the OS
/// reported it for this datagram.
struct ReceiveMetadata {
  /// When the kernel received the datagram, on the system clock (both are
  /// CLOCK_REALTIME): SO_TIMESTAMPNS on Linux (nanoseconds), SO_TIMESTAMP
  /// on other POSIX systems (microseconds); never on Windows.
  std::optional<std::chrono::system_clock::time_point> timestamp{};
  /// The address the datagram was sent to: on a socket bound to 0.0.0.0 or
  /// ::, which of this host's addresses it was. Its port is 0 (the port is
  /// this socket's own: local_address().port()). A link-local IPv6 address
  /// carries the interface as its scope.
  std::optional<Address> destination{};
  /// The index of the interface the datagram arrived on (if_nametoindex's
  /// numbering).
  std::optional<unsigned> interface_index{};
  /// The OS had more control data than outlet's buffer holds, and dropped
  /// the rest (MSG_CTRUNC): a member above may be missing. outlet's buffer
  /// fits what its own options ask for; only options set through
  /// set_option() (IP_RECVTTL, ...) can fill it.
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
  /// socket() + the options + bind(): reuse address and port, IPv6-only, as
  /// BindOptions says (BindOptions{} does what the constructor above does).
  /// what() names the step that failed and the address.
  DatagramSocket(const Address& local, const BindOptions& options);
  /// Takes ownership of a native datagram socket (assumed blocking).
  [[nodiscard]] static DatagramSocket adopt(native_handle_type handle) noexcept;

  DatagramSocket(DatagramSocket&&) noexcept = default;
  DatagramSocket& operator=(DatagramSocket&&) noexcept = default;
  ~DatagramSocket() = default;

  /// bind(); opens a socket of local's family first if none is open.
  void bind(const Address& local);
  void bind(const Address& local, std::error_code& ec) noexcept;
  /// Sets the options, then bind(), as DatagramSocket(local, options) does;
  /// opens a socket of local's family first if none is open.
  void bind(const Address& local, const BindOptions& options);
  void bind(const Address& local, const BindOptions& options, std::error_code& ec) noexcept;
  /// connect(): sets the default destination for send() and receives only
  /// from that peer. Opens a socket of peer's family first if none is open.
  void connect(const Address& peer);
  void connect(const Address& peer, std::error_code& ec) noexcept;

  /// One sendto(): the whole datagram, or an error. On a socket that is not
  /// open (default-constructed, or closed) it first opens one of to's
  /// family, as bind() and connect() do: `DatagramSocket d; d.send_to("hi",
  /// to);` sends from a port the OS picks, and d can then receive the reply.
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
  /// As send_vectored(), to `to` (sendmsg() with msg_name). Opens a socket
  /// of to's family first if none is open, like send_to().
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
  /// Opens a socket of the first destination's family if none is open.
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

  /// One recvmsg() with a control buffer: the next datagram, its sender,
  /// and its metadata (what set_receive_timestamps() and
  /// set_receive_destination() turned on; empty members otherwise).
  /// A datagram longer than the buffer fails with message_size, as
  /// receive_from() does. WSARecvMsg() on Windows.
  [[nodiscard]] std::size_t receive_from(void* data, std::size_t size, Address& from, ReceiveMetadata& metadata);
  [[nodiscard]] std::size_t receive_from(void* data, std::size_t size, Address& from, ReceiveMetadata& metadata,
                                         std::error_code& ec) noexcept;
  /// As receive_batch(), and each filled slot's metadata in metadata[i]
  /// (an array of `count`): recvmmsg() with a control buffer per message on
  /// Linux, recvmsg() (WSARecvMsg() on Windows) per datagram elsewhere.
  [[nodiscard]] std::size_t receive_batch(IncomingDatagram* datagrams, ReceiveMetadata* metadata, std::size_t count);
  [[nodiscard]] std::size_t receive_batch(IncomingDatagram* datagrams, ReceiveMetadata* metadata, std::size_t count,
                                          std::error_code& ec) noexcept;
  /// SO_TIMESTAMPNS (SOL_SOCKET; SO_TIMESTAMP where there is no
  /// SO_TIMESTAMPNS): the kernel stamps each datagram with its receive time,
  /// which receive_from() and receive_batch() with ReceiveMetadata report.
  /// Windows: operation_not_supported.
  void set_receive_timestamps(bool on);
  void set_receive_timestamps(bool on, std::error_code& ec) noexcept;
  /// getsockname() for the family, then IP_PKTINFO (IPPROTO_IP) or
  /// IPV6_RECVPKTINFO (IPPROTO_IPV6); IP_RECVDSTADDR and IP_RECVIF on the
  /// BSDs; on Windows getsockopt(SO_PROTOCOL_INFOW), then IP_PKTINFO or
  /// IPV6_PKTINFO: each datagram's destination address and interface are
  /// reported in ReceiveMetadata. Unix sockets: operation_not_supported.
  void set_receive_destination(bool on);
  void set_receive_destination(bool on, std::error_code& ec) noexcept;

  /// SO_BROADCAST (SOL_SOCKET): allow sending to broadcast addresses.
  void set_broadcast(bool on);
  void set_broadcast(bool on, std::error_code& ec) noexcept;
  /// getsockopt(): reads SO_BROADCAST.
  [[nodiscard]] bool broadcast() const;
  [[nodiscard]] bool broadcast(std::error_code& ec) const noexcept;

  // --- multicast (docs/datagram-socket.md, "Multicast") ---

  /// MCAST_JOIN_GROUP (IPPROTO_IP or IPPROTO_IPV6, after the group's
  /// family): receive the datagrams sent to `group` (its port is ignored:
  /// they arrive at the port this socket is bound to) on the interface with
  /// index `interface_index` (see outlet::interface_index()). 0 lets the OS
  /// choose by its routes, or, for an IPv6 group with a scope id
  /// ("ff02::1%eth0"), uses that interface. Where the OS lacks
  /// MCAST_JOIN_GROUP: IPV6_JOIN_GROUP, or IP_ADD_MEMBERSHIP on interface 0
  /// only. A `group` that is not a multicast address (224.0.0.0/4,
  /// ff00::/8) fails with invalid_argument; what() quotes the group and
  /// the interface.
  void join_group(const Address& group, unsigned interface_index = 0);
  void join_group(const Address& group, unsigned interface_index, std::error_code& ec) noexcept;
  /// MCAST_LEAVE_GROUP: leaves a group joined with join_group() on the same
  /// interface (closing the socket leaves every group too).
  void leave_group(const Address& group, unsigned interface_index = 0);
  void leave_group(const Address& group, unsigned interface_index, std::error_code& ec) noexcept;
  /// MCAST_JOIN_SOURCE_GROUP: source-specific multicast (RFC 4607), only
  /// the datagrams `source` sends to `group` (both of one family; SSM
  /// groups are 232.0.0.0/8 and ff3x::/32). Where the OS has no SSM it
  /// fails with no_protocol_option.
  void join_source_group(const Address& group, const Address& source, unsigned interface_index = 0);
  void join_source_group(const Address& group, const Address& source, unsigned interface_index,
                         std::error_code& ec) noexcept;
  /// MCAST_LEAVE_SOURCE_GROUP: undoes join_source_group().
  void leave_source_group(const Address& group, const Address& source, unsigned interface_index = 0);
  void leave_source_group(const Address& group, const Address& source, unsigned interface_index,
                          std::error_code& ec) noexcept;

  /// IP_MULTICAST_IF / IPV6_MULTICAST_IF by index (after the socket's
  /// family): the interface this socket's multicast datagrams leave by; 0
  /// gives the choice back to the OS's routes.
  void set_multicast_interface(unsigned interface_index);
  void set_multicast_interface(unsigned interface_index, std::error_code& ec) noexcept;
  /// IP_MULTICAST_IF by one of the interface's IPv4 addresses (IPv4
  /// sockets; another family fails with invalid_argument).
  void set_multicast_interface(const Address& interface_address);
  void set_multicast_interface(const Address& interface_address, std::error_code& ec) noexcept;
  /// IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP: whether this host's own
  /// members of a group get the datagrams this socket sends to it (on by
  /// default). Winsock applies it on the receiving socket instead.
  void set_multicast_loopback(bool on);
  void set_multicast_loopback(bool on, std::error_code& ec) noexcept;
  /// getsockopt(): reads IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP.
  [[nodiscard]] bool multicast_loopback() const;
  [[nodiscard]] bool multicast_loopback(std::error_code& ec) const noexcept;
  /// IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS: how many routers (0-255) this
  /// socket's multicast datagrams may cross; the default, 1, keeps them on
  /// the local network. Outside 0-255 fails with invalid_argument.
  void set_multicast_hops(int hops);
  void set_multicast_hops(int hops, std::error_code& ec) noexcept;
  /// getsockopt(): reads IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS.
  [[nodiscard]] int multicast_hops() const;
  [[nodiscard]] int multicast_hops(std::error_code& ec) const noexcept;

private:
  DatagramSocket(detail::AdoptHandle, native_handle_type handle) noexcept : BindableSocket(handle) {}
  // Each call's one body, given the error policy of the form that called it
  // (detail::Throw or detail::Store). The data calls first make the one
  // system call plain code makes, when no deadline applies; any failure,
  // and every timed call, goes to the out-of-line general path with the
  // error the first attempt failed with (0 if it made none).
  template <class P>
  std::size_t send_with(const void* data, std::size_t size, const Address* to, P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t receive_with(void* data, std::size_t size, Address* from, P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t send_slow(const void* data, std::size_t size, const Address* to, int error_number,
                        P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t receive_slow(void* data, std::size_t size, Address* from, int error_number,
                           P policy) noexcept(P::nothrow);
  template <class P>
  std::size_t receive_rest(detail::sys::io_result n, void* data, std::size_t size, Address* from, socklen_t len,
                           P policy) noexcept(P::nothrow);
  template <class P>
  static std::size_t truncated(std::size_t size, const Address* from, P policy) noexcept(P::nothrow);
  bool untimed_send() const noexcept { return send_timeout_.count() == 0 || non_blocking_; }
  bool untimed_receive() const noexcept { return receive_timeout_.count() == 0 || non_blocking_; }
  std::error_code connect_or_open(const Address& peer) noexcept;
  /// bind(local, options)'s body; `step` says which step failed.
  std::error_code bind_with(const Address& local, const BindOptions& options, detail::BindStep& step) noexcept;
  /// What a send to `to` does on a socket that is not open: opens one of
  /// to's family (Python's sendto on a fresh socket works too). Without a
  /// destination (a connected send), or with an empty one: "not open".
  std::error_code open_for(const Address* to) noexcept;
  std::size_t send_vector_impl(const ConstBuffer* buffers, std::size_t count, const Address* to,
                               std::error_code& ec) noexcept;
  std::size_t receive_vector_impl(const MutableBuffer* buffers, std::size_t count, Address* from,
                                  std::error_code& ec) noexcept;
  std::size_t send_batch_impl(const OutgoingDatagram* datagrams, std::size_t count, std::error_code& ec) noexcept;
  /// receive_batch()'s body; with_metadata: also each slot's metadata
  /// (compiled separately, so the plain batch is the code it always was).
  template <bool with_metadata>
  std::size_t receive_batch_impl(IncomingDatagram* datagrams, ReceiveMetadata* metadata, std::size_t count,
                                 std::error_code& ec) noexcept;
  std::size_t receive_metadata_impl(void* data, std::size_t size, Address& from, ReceiveMetadata& metadata,
                                    std::error_code& ec) noexcept;
  std::error_code set_metadata_option(int (*set)(native_handle_type, bool) noexcept, bool on) noexcept;
  const detail::Deadline* receive_deadline(detail::Deadline& storage, std::error_code& ec) noexcept;
  const detail::Deadline* send_deadline(detail::Deadline& storage, std::error_code& ec) noexcept;
  // Multicast: one body each for join/leave (any-source or source-specific)
  // and for the options that take the socket's family.
  template <class P>
  void membership_with(bool join, const Address& group, const Address* source, unsigned interface_index,
                       P policy) noexcept(P::nothrow);
  template <class P>
  void multicast_interface_with(unsigned interface_index, P policy) noexcept(P::nothrow);
  template <class P>
  void multicast_address_with(const Address& interface_address, P policy) noexcept(P::nothrow);
  /// The level and option of a multicast option for this socket's family.
  std::error_code multicast_option(int ipv4_name, int ipv6_name, int& level, int& name) const noexcept;
  template <class P>
  void set_multicast_value(int ipv4_name, int ipv6_name, int value, P policy) noexcept(P::nothrow);
  template <class P>
  int multicast_value(int ipv4_name, int ipv6_name, P policy) const noexcept(P::nothrow);
};

// ---------------------------------------------------------------------------
// Implementation: inline in every mode (fast paths, accessors, templates)

// --- send and receive: one body each ----------------------------------------

template <class P>
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::send_with(const void* data, std::size_t size, const Address* to,
                                                           P policy) noexcept(P::nothrow) {
  if (!untimed_send()) return send_slow(data, size, to, 0, policy);
  const detail::sys::io_result n = detail::try_send_datagram(handle_, data, size, to);
  if (n < 0) return send_slow(data, size, to, detail::sys::last_error(), policy);
  policy.success();
  return static_cast<std::size_t>(n);
}

template <class P>
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::receive_with(void* data, std::size_t size, Address* from,
                                                              P policy) noexcept(P::nothrow) {
  if (!untimed_receive()) return receive_slow(data, size, from, 0, policy);
  bool cut = false;
  auto len = detail::AddressAccess::capacity;
  const detail::sys::io_result n = detail::try_receive_datagram(handle_, data, size, from, len, cut);
  // One test for "an error" (n < 0 is a huge size_t) and, where the OS
  // reports a datagram's full length (Linux), "longer than the buffer".
  if (static_cast<std::size_t>(n) > size || cut) return receive_rest(n, data, size, from, len, policy);
  if (from != nullptr) detail::AddressAccess::adopt(*from, len, ip_);
  policy.success();
  return static_cast<std::size_t>(n);
}

OUTLET_DETAIL_INLINE std::size_t DatagramSocket::send_to(const void* data, std::size_t size, const Address& to,
                                                         std::error_code& ec) noexcept {
  return send_with(data, size, &to, detail::Store{ec});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::send_to(const void* data, std::size_t size, const Address& to) {
  return send_with(data, size, &to, detail::Throw{"send_to", &to});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::send_to(std::string_view data, const Address& to,
                                                         std::error_code& ec) noexcept {
  return send_with(data.data(), data.size(), &to, detail::Store{ec});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::send_to(std::string_view data, const Address& to) {
  return send_with(data.data(), data.size(), &to, detail::Throw{"send_to", &to});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::receive_from(void* data, std::size_t size, Address& from,
                                                              std::error_code& ec) noexcept {
  return receive_with(data, size, &from, detail::Store{ec});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::receive_from(void* data, std::size_t size, Address& from) {
  return receive_with(data, size, &from, detail::Throw{"receive_from"});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::send(const void* data, std::size_t size,
                                                      std::error_code& ec) noexcept {
  return send_with(data, size, nullptr, detail::Store{ec});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::send(const void* data, std::size_t size) {
  return send_with(data, size, nullptr, detail::Throw{"send"});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::send(std::string_view data, std::error_code& ec) noexcept {
  return send_with(data.data(), data.size(), nullptr, detail::Store{ec});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::send(std::string_view data) {
  return send_with(data.data(), data.size(), nullptr, detail::Throw{"send"});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::receive(void* data, std::size_t size, std::error_code& ec) noexcept {
  return receive_with(data, size, nullptr, detail::Store{ec});
}
OUTLET_DETAIL_INLINE std::size_t DatagramSocket::receive(void* data, std::size_t size) {
  return receive_with(data, size, nullptr, detail::Throw{"receive"});
}

// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES

namespace detail {
/// The OS's metadata for one datagram (sys::recv_with_metadata,
/// sys::message_metadata) as a ReceiveMetadata.
OUTLET_DETAIL_DEF void to_receive_metadata(const DatagramMetadata& raw, ReceiveMetadata& out) noexcept {
  out = ReceiveMetadata{};
  out.truncated = raw.control_truncated;
  if (raw.has_timestamp) {
    out.timestamp = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(raw.timestamp_ns)));
  }
  if (raw.interface_index != 0) out.interface_index = raw.interface_index;
  std::error_code ec;
  Address destination;
  if (raw.destination_family == AF_INET) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    std::memcpy(&sin.sin_addr, raw.ip, 4);
    destination = Address::from_native(reinterpret_cast<const sockaddr*>(&sin), sizeof sin, ec);
  } else if (raw.destination_family == AF_INET6) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    std::memcpy(&sin6.sin6_addr, raw.ip, 16);
    // fe80::/10 means nothing without its interface: give it as the scope.
    if (raw.ip[0] == 0xfe && (raw.ip[1] & 0xc0) == 0x80)
      sin6.sin6_scope_id = static_cast<decltype(sin6.sin6_scope_id)>(raw.interface_index);
    destination = Address::from_native(reinterpret_cast<const sockaddr*>(&sin6), sizeof sin6, ec);
  }
  if (raw.destination_family != 0 && !ec) out.destination = destination;
}
}  // namespace detail

OUTLET_DETAIL_DEF DatagramSocket::DatagramSocket(Family family) {
  detail::Throw{"socket"}.check(open(family, SOCK_DGRAM));
}

OUTLET_DETAIL_DEF DatagramSocket::DatagramSocket(const Address& local) {
  detail::Throw{"socket", &local}.check(open(local.family(), SOCK_DGRAM));
  detail::Throw{"setsockopt", &local}.check(prepare_bind(local, false));
  detail::check_bind(bind_address(local), local);
}

OUTLET_DETAIL_DEF DatagramSocket::DatagramSocket(const Address& local, const BindOptions& options) {
  bind(local, options);
}

OUTLET_DETAIL_DEF std::error_code DatagramSocket::bind_with(const Address& local, const BindOptions& options,
                                                            detail::BindStep& step) noexcept {
  if (!is_open()) {
    if (std::error_code ec = open(local.family(), SOCK_DGRAM)) return ec;
  }
  if (std::error_code ec = detail::apply_bind_options(handle_, SOCK_DGRAM, local, options, step)) return ec;
  step = detail::BindStep{"bind"};
  return bind_address(local);
}
OUTLET_DETAIL_DEF void DatagramSocket::bind(const Address& local, const BindOptions& options,
                                            std::error_code& ec) noexcept {
  detail::BindStep step;
  ec = bind_with(local, options, step);
}
OUTLET_DETAIL_DEF void DatagramSocket::bind(const Address& local, const BindOptions& options) {
  detail::BindStep step;
  detail::check_step(bind_with(local, options, step), step, local);
}

OUTLET_DETAIL_DEF DatagramSocket DatagramSocket::adopt(native_handle_type handle) noexcept {
  return DatagramSocket(detail::AdoptHandle{}, handle);
}

OUTLET_DETAIL_DEF void DatagramSocket::bind(const Address& local, std::error_code& ec) noexcept {
  detail::Store{ec}.check(bind_or_open(local, SOCK_DGRAM));
}
OUTLET_DETAIL_DEF void DatagramSocket::bind(const Address& local) {
  detail::check_bind(bind_or_open(local, SOCK_DGRAM), local);
}

OUTLET_DETAIL_DEF std::error_code DatagramSocket::connect_or_open(const Address& peer) noexcept {
  if (!is_open()) {
    if (std::error_code ec = open(peer.family(), SOCK_DGRAM)) return ec;
  }
  return detail::connect(handle_, peer, detail::Deadline());
}
OUTLET_DETAIL_DEF std::error_code DatagramSocket::open_for(const Address* to) noexcept {
  if (is_open()) return {};
  if (to == nullptr || to->empty()) return detail::not_open();
  return open(to->family(), SOCK_DGRAM);
}
OUTLET_DETAIL_DEF void DatagramSocket::connect(const Address& peer, std::error_code& ec) noexcept {
  detail::Store{ec}.check(connect_or_open(peer));
}
OUTLET_DETAIL_DEF void DatagramSocket::connect(const Address& peer) {
  detail::Throw{"connect", &peer}.check(connect_or_open(peer));
}

template <class P>
OUTLET_DETAIL_COLD std::size_t DatagramSocket::send_slow(const void* data, std::size_t size, const Address* to,
                                                         int error_number, P policy) noexcept(P::nothrow) {
  if (!is_open()) {
    if (std::error_code ec = open_for(to)) return policy.check(std::size_t{0}, ec);
    error_number = 0;  // the failed attempt was on no socket: make the call now
  }
  std::error_code ec;
  detail::Deadline storage;
  const detail::Deadline* deadline = send_deadline(storage, ec);
  if (ec) return policy.check(std::size_t{0}, ec);
  const std::size_t n = detail::send_to(handle_, data, size, to, deadline, waits_in_poll(), ec, error_number);
  return policy.check(n, blocking_error(ec));
}

template <class P>
OUTLET_DETAIL_COLD std::size_t DatagramSocket::receive_rest(detail::sys::io_result n, void* data, std::size_t size,
                                                            Address* from, socklen_t len,
                                                            P policy) noexcept(P::nothrow) {
  if (n < 0) return receive_slow(data, size, from, detail::sys::last_error(), policy);
  if (from != nullptr) detail::AddressAccess::adopt(*from, len, ip_);
  return truncated(size, from, policy);
}

template <class P>
OUTLET_DETAIL_COLD std::size_t DatagramSocket::receive_slow(void* data, std::size_t size, Address* from,
                                                            int error_number, P policy) noexcept(P::nothrow) {
  if (!is_open()) return policy.check(std::size_t{0}, detail::not_open());
  std::error_code ec;
  detail::Deadline storage;
  const detail::Deadline* deadline = receive_deadline(storage, ec);
  if (ec) return policy.check(std::size_t{0}, ec);
  const std::size_t n = detail::receive_from(handle_, data, size, from, deadline, waits_in_poll(), ec, error_number);
  if (ec == std::errc::message_size) return truncated(size, from, policy);
  return policy.check(n, blocking_error(ec));
}

template <class P>
OUTLET_DETAIL_COLD std::size_t DatagramSocket::truncated(std::size_t size, const Address* from,
                                                         P policy) noexcept(P::nothrow) {
  // Never silent: the buffer holds the datagram's first `size` bytes.
  policy.fail(detail::sys::to_error_code(detail::sys::err_message_size),
              [&](const char* op) { return detail::describe_truncated(op, from, size); });
  return size;
}

#if defined(OUTLET_SEPARATE_COMPILATION)
// The slow paths the inline fast paths call, for both error policies.
template std::size_t DatagramSocket::send_slow(const void*, std::size_t, const Address*, int, detail::Throw);
template std::size_t DatagramSocket::send_slow(const void*, std::size_t, const Address*, int, detail::Store);
template std::size_t DatagramSocket::receive_rest(detail::sys::io_result, void*, std::size_t, Address*, socklen_t,
                                                  detail::Throw);
template std::size_t DatagramSocket::receive_rest(detail::sys::io_result, void*, std::size_t, Address*, socklen_t,
                                                  detail::Store);
template std::size_t DatagramSocket::receive_slow(void*, std::size_t, Address*, int, detail::Throw);
template std::size_t DatagramSocket::receive_slow(void*, std::size_t, Address*, int, detail::Store);
#endif  // defined(OUTLET_SEPARATE_COMPILATION)

OUTLET_DETAIL_DEF const detail::Deadline* DatagramSocket::send_deadline(detail::Deadline& storage,
                                                                        std::error_code& ec) noexcept {
  if (send_timeout_.count() == 0 || non_blocking_) return nullptr;
  storage = detail::Deadline(send_timeout_);
  ec = prepare_timed_io(&storage);
  return &storage;
}
OUTLET_DETAIL_DEF const detail::Deadline* DatagramSocket::receive_deadline(detail::Deadline& storage,
                                                                           std::error_code& ec) noexcept {
  if (receive_timeout_.count() == 0 || non_blocking_) return nullptr;
  storage = detail::Deadline(receive_timeout_);
  ec = prepare_timed_io(&storage);
  return &storage;
}

OUTLET_DETAIL_DEF std::size_t DatagramSocket::send_vector_impl(const ConstBuffer* buffers, std::size_t count,
                                                               const Address* to, std::error_code& ec) noexcept {
  if ((ec = open_for(to))) return 0;
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
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_vector_impl(const MutableBuffer* buffers, std::size_t count,
                                                                  Address* from, std::error_code& ec) noexcept {
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
OUTLET_DETAIL_DEF std::size_t DatagramSocket::send_vectored(const ConstBuffer* buffers, std::size_t count,
                                                            std::error_code& ec) noexcept {
  return send_vector_impl(buffers, count, nullptr, ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::send_vectored(const ConstBuffer* buffers, std::size_t count) {
  std::error_code ec;
  return detail::Throw{"send_vectored"}.check(send_vector_impl(buffers, count, nullptr, ec), ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::send_to_vectored(const ConstBuffer* buffers, std::size_t count,
                                                               const Address& to, std::error_code& ec) noexcept {
  return send_vector_impl(buffers, count, &to, ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::send_to_vectored(const ConstBuffer* buffers, std::size_t count,
                                                               const Address& to) {
  std::error_code ec;
  return detail::Throw{"send_to_vectored", &to}.check(send_vector_impl(buffers, count, &to, ec), ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_vectored(const MutableBuffer* buffers, std::size_t count,
                                                               std::error_code& ec) noexcept {
  return receive_vector_impl(buffers, count, nullptr, ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_vectored(const MutableBuffer* buffers, std::size_t count) {
  std::error_code ec;
  const std::size_t n = receive_vector_impl(buffers, count, nullptr, ec);
  if (ec == std::errc::message_size)
    return truncated(detail::total_size(buffers, count), nullptr, detail::Throw{"receive_vectored"});
  return detail::Throw{"receive_vectored"}.check(n, ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_from_vectored(const MutableBuffer* buffers, std::size_t count,
                                                                    Address& from, std::error_code& ec) noexcept {
  return receive_vector_impl(buffers, count, &from, ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_from_vectored(const MutableBuffer* buffers, std::size_t count,
                                                                    Address& from) {
  std::error_code ec;
  const std::size_t n = receive_vector_impl(buffers, count, &from, ec);
  if (ec == std::errc::message_size)
    return truncated(detail::total_size(buffers, count), &from, detail::Throw{"receive_from_vectored"});
  return detail::Throw{"receive_from_vectored"}.check(n, ec);
}

OUTLET_DETAIL_DEF std::size_t DatagramSocket::send_batch_impl(const OutgoingDatagram* datagrams, std::size_t count,
                                                              std::error_code& ec) noexcept {
  if ((ec = open_for(count > 0 ? &datagrams[0].to : nullptr))) return 0;
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
OUTLET_DETAIL_DEF std::size_t DatagramSocket::send_batch(const OutgoingDatagram* datagrams, std::size_t count,
                                                         std::error_code& ec) noexcept {
  return send_batch_impl(datagrams, count, ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::send_batch(const OutgoingDatagram* datagrams, std::size_t count) {
  std::error_code ec;
  const std::size_t n = send_batch_impl(datagrams, count, ec);
  // The first datagram's destination, if it has one: the error is its.
  const Address* to = count > 0 && !datagrams[0].to.empty() ? &datagrams[0].to : nullptr;
  return detail::Throw{"send_batch", to}.check(n, ec);
}

template <bool with_metadata>
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_batch_impl(IncomingDatagram* datagrams,
                                                                 [[maybe_unused]] ReceiveMetadata* metadata,
                                                                 std::size_t count, std::error_code& ec) noexcept {
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
    [[maybe_unused]] std::conditional_t<with_metadata, detail::sys::control_buffer[chunk], char> controls;
    while (got < count) {
      const std::size_t n = count - got < chunk ? count - got : chunk;
      for (std::size_t i = 0; i < n; ++i) {
        detail::sys::set_message(messages[i], detail::BufferAccess::native(&datagrams[got + i].buffer), 1,
                                 detail::AddressAccess::storage(datagrams[got + i].from),
                                 detail::AddressAccess::capacity);
        if constexpr (with_metadata) detail::sys::set_message_control(messages[i], controls[i]);
      }
      std::size_t done = 0;
      if (got == 0) {  // wait for the first (recvmmsg's MSG_WAITFORONE takes the rest queued)
        done = detail::transfer(
            handle_, detail::SysCall::receive, detail::sys::poll_in, deadline, waits_in_poll(),
            [&](bool dont_wait) { return detail::sys::recv_messages(handle_, messages, n, dont_wait); }, error);
        if (error) break;
      } else {  // only what is queued already; "nothing" or an error ends the batch
        const int r = detail::hook_fails(detail::SysCall::receive, handle_)
                          ? -1
                          : detail::sys::recv_messages(handle_, messages, n, true);
        if (r <= 0) break;
        done = static_cast<std::size_t>(r);
      }
      for (std::size_t i = 0; i < done; ++i) {
        IncomingDatagram& d = datagrams[got + i];
        d.received = detail::sys::message_length(messages[i]);
        d.truncated = detail::sys::message_truncated(messages[i]);
        detail::AddressAccess::adopt(d.from, detail::sys::message_name_length(messages[i]));
        if constexpr (with_metadata) {
          detail::DatagramMetadata raw;
          detail::sys::message_metadata(messages[i], raw);
          detail::to_receive_metadata(raw, metadata[got + i]);
        }
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
      [[maybe_unused]] std::conditional_t<with_metadata, detail::DatagramMetadata, char> raw;
      bool truncated = false;
      std::size_t n = 0;
      if (got == 0) {
        if constexpr (with_metadata) {
          n = detail::receive_with_metadata(handle_, d.buffer.data(), d.buffer.size(), &d.from, raw, deadline,
                                            waits_in_poll(), truncated, error);
        } else {
          n = detail::receive_vector(handle_, v, 1, &d.from, deadline, waits_in_poll(), truncated, error);
        }
        if (error) break;
      } else {
        auto name_size = detail::AddressAccess::capacity;
        sockaddr* name = detail::AddressAccess::storage(d.from);
        detail::sys::io_result r = -1;
        if (!detail::hook_fails(detail::SysCall::receive, handle_)) {
          if constexpr (with_metadata) {
            r = detail::sys::recv_with_metadata(handle_, d.buffer.data(), d.buffer.size(), name, &name_size, true,
                                                truncated, raw);
          } else {
            r = detail::sys::recv_vector(handle_, v, 1, name, &name_size, true, truncated);
          }
        }
        if (r < 0) break;  // nothing more queued, or an error the next call will report
        n = static_cast<std::size_t>(r);
        detail::AddressAccess::adopt(d.from, name_size);
      }
      d.received = n;
      d.truncated = truncated;
      if constexpr (with_metadata) detail::to_receive_metadata(raw, metadata[got]);
    }
  }
  if (error && got == 0) ec = blocking_error(error);
  return got;
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_batch(IncomingDatagram* datagrams, std::size_t count,
                                                            std::error_code& ec) noexcept {
  return receive_batch_impl<false>(datagrams, nullptr, count, ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_batch(IncomingDatagram* datagrams, std::size_t count) {
  std::error_code ec;
  return detail::Throw{"receive_batch"}.check(receive_batch_impl<false>(datagrams, nullptr, count, ec), ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_batch(IncomingDatagram* datagrams, ReceiveMetadata* metadata,
                                                            std::size_t count, std::error_code& ec) noexcept {
  return receive_batch_impl<true>(datagrams, metadata, count, ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_batch(IncomingDatagram* datagrams, ReceiveMetadata* metadata,
                                                            std::size_t count) {
  std::error_code ec;
  return detail::Throw{"receive_batch"}.check(receive_batch_impl<true>(datagrams, metadata, count, ec), ec);
}

// --- receive metadata -------------------------------------------------------------

OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_metadata_impl(void* data, std::size_t size, Address& from,
                                                                    ReceiveMetadata& metadata,
                                                                    std::error_code& ec) noexcept {
  metadata = ReceiveMetadata{};
  if (!is_open()) {
    ec = detail::not_open();
    return 0;
  }
  ec.clear();
  detail::Deadline storage;
  const detail::Deadline* deadline = receive_deadline(storage, ec);
  if (ec) return 0;
  detail::DatagramMetadata raw;
  bool truncated = false;
  const std::size_t n =
      detail::receive_with_metadata(handle_, data, size, &from, raw, deadline, waits_in_poll(), truncated, ec);
  if (ec) {
    ec = blocking_error(ec);
    return 0;
  }
  detail::to_receive_metadata(raw, metadata);
  if (truncated) ec = detail::sys::to_error_code(detail::sys::err_message_size);
  return n;
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_from(void* data, std::size_t size, Address& from,
                                                           ReceiveMetadata& metadata, std::error_code& ec) noexcept {
  return receive_metadata_impl(data, size, from, metadata, ec);
}
OUTLET_DETAIL_DEF std::size_t DatagramSocket::receive_from(void* data, std::size_t size, Address& from,
                                                           ReceiveMetadata& metadata) {
  std::error_code ec;
  const std::size_t n = receive_metadata_impl(data, size, from, metadata, ec);
  if (ec == std::errc::message_size) return truncated(size, &from, detail::Throw{"receive_from"});
  return detail::Throw{"receive_from"}.check(n, ec);
}

OUTLET_DETAIL_DEF std::error_code DatagramSocket::set_metadata_option(int (*set)(native_handle_type, bool) noexcept,
                                                                      bool on) noexcept {
  return is_open() ? detail::set_receive_metadata(handle_, set, on) : detail::not_open();
}
OUTLET_DETAIL_DEF void DatagramSocket::set_receive_timestamps(bool on, std::error_code& ec) noexcept {
  detail::Store{ec}.check(set_metadata_option(&detail::sys::set_receive_timestamps, on));
}
OUTLET_DETAIL_DEF void DatagramSocket::set_receive_timestamps(bool on) {
  detail::Throw{detail::sys::receive_timestamps_call}.check(
      set_metadata_option(&detail::sys::set_receive_timestamps, on));
}
OUTLET_DETAIL_DEF void DatagramSocket::set_receive_destination(bool on, std::error_code& ec) noexcept {
  detail::Store{ec}.check(set_metadata_option(&detail::sys::set_receive_destination, on));
}
OUTLET_DETAIL_DEF void DatagramSocket::set_receive_destination(bool on) {
  detail::Throw{detail::sys::receive_destination_call}.check(
      set_metadata_option(&detail::sys::set_receive_destination, on));
}

OUTLET_DETAIL_DEF void DatagramSocket::set_broadcast(bool on, std::error_code& ec) noexcept {
  detail::Store{ec}.check(set_flag(SOL_SOCKET, SO_BROADCAST, on));
}
OUTLET_DETAIL_DEF void DatagramSocket::set_broadcast(bool on) {
  detail::Throw{"setsockopt(SO_BROADCAST)"}.check(set_flag(SOL_SOCKET, SO_BROADCAST, on));
}
OUTLET_DETAIL_DEF bool DatagramSocket::broadcast(std::error_code& ec) const noexcept {
  return flag(SOL_SOCKET, SO_BROADCAST, detail::Store{ec});
}
OUTLET_DETAIL_DEF bool DatagramSocket::broadcast() const {
  return flag(SOL_SOCKET, SO_BROADCAST, detail::Throw{"getsockopt(SO_BROADCAST)"});
}

// --- multicast ----------------------------------------------------------------

namespace detail {

/// Why a group (and source) cannot be joined, or nullptr.
OUTLET_DETAIL_DEF const char* multicast_problem(const Address& group, const Address* source) noexcept {
  if (!group.is_multicast()) return "is not a multicast address (IPv4 224.0.0.0/4, IPv6 ff00::/8)";
  if (source == nullptr) return nullptr;
  if (source->family() != group.family()) return "and its source are not of one address family";
  if (source->is_multicast()) return "has a multicast address as its source";
  return nullptr;
}

/// The interface join_group() uses: the index given, or an IPv6 group's scope id.
OUTLET_DETAIL_DEF unsigned group_interface(const Address& group, unsigned index) noexcept {
  if (index != 0 || group.family() != Family::ipv6) return index;
  return convert<unsigned>(reinterpret_cast<const sockaddr_in6*>(group.native())->sin6_scope_id);
}

/// Appends "interface 1 (\"lo\")", or "the default interface" for 0.
OUTLET_DETAIL_DEF void describe_interface(Text& text, unsigned index) {
  if (index == 0) {
    text.add("the default interface");
    return;
  }
  text.add("interface ").add_unsigned(index);
  char name[sys::interface_name_size + 1] = {};
  if (sys::interface_name(index, name)) text.add(" (").add_quoted(name).add(')');
}

/// "<op> <group>[ from <source>] on interface 1 (\"lo\")", for what().
OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text describe_membership(const char* op, const Address& group,
                                                              const Address* source, unsigned index) {
  Text text;
  text.add(op).add(' ').add(group.ip().c_str());
  if (source != nullptr) text.add(" from ").add(source->ip().c_str());
  describe_interface(text.add(" on "), index);
  return text;
}

/// An address as rejected input shows it: the IP alone, else to_string().
OUTLET_DETAIL_DEF std::string input_text(const Address& a) {
  return a.family() == Family::ipv4 || a.family() == Family::ipv6 ? a.ip() : a.to_string();
}

/// `<op> "<address>"[ from "<source>"]: <why>`, for rejected input.
OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text describe_bad_group(const char* op, const Address& group,
                                                             const Address* source, const char* why) {
  Text text;
  text.add(op).add(' ').add_quoted(input_text(group));
  if (source != nullptr) text.add(" from ").add_quoted(input_text(*source));
  text.add(": ").add(why);
  return text;
}

}  // namespace detail

template <class P>
void DatagramSocket::membership_with(bool join, const Address& group, const Address* source, unsigned interface_index,
                                     P policy) noexcept(P::nothrow) {
  if (const char* why = detail::multicast_problem(group, source))
    return policy.fail(detail::invalid_argument(),
                       [&](const char* op) { return detail::describe_bad_group(op, group, source, why); });
  const unsigned index = detail::group_interface(group, interface_index);
  const std::error_code ec =
      is_open() ? detail::change_membership(handle_, join, group, source, index) : detail::not_open();
  if (ec) return policy.fail(ec, [&](const char* op) { return detail::describe_membership(op, group, source, index); });
  policy.success();
}
OUTLET_DETAIL_DEF void DatagramSocket::join_group(const Address& group, unsigned interface_index,
                                                  std::error_code& ec) noexcept {
  membership_with(true, group, nullptr, interface_index, detail::Store{ec});
}
OUTLET_DETAIL_DEF void DatagramSocket::join_group(const Address& group, unsigned interface_index) {
  membership_with(true, group, nullptr, interface_index, detail::Throw{"join_group"});
}
OUTLET_DETAIL_DEF void DatagramSocket::leave_group(const Address& group, unsigned interface_index,
                                                   std::error_code& ec) noexcept {
  membership_with(false, group, nullptr, interface_index, detail::Store{ec});
}
OUTLET_DETAIL_DEF void DatagramSocket::leave_group(const Address& group, unsigned interface_index) {
  membership_with(false, group, nullptr, interface_index, detail::Throw{"leave_group"});
}
OUTLET_DETAIL_DEF void DatagramSocket::join_source_group(const Address& group, const Address& source,
                                                         unsigned interface_index, std::error_code& ec) noexcept {
  membership_with(true, group, &source, interface_index, detail::Store{ec});
}
OUTLET_DETAIL_DEF void DatagramSocket::join_source_group(const Address& group, const Address& source,
                                                         unsigned interface_index) {
  membership_with(true, group, &source, interface_index, detail::Throw{"join_source_group"});
}
OUTLET_DETAIL_DEF void DatagramSocket::leave_source_group(const Address& group, const Address& source,
                                                          unsigned interface_index, std::error_code& ec) noexcept {
  membership_with(false, group, &source, interface_index, detail::Store{ec});
}
OUTLET_DETAIL_DEF void DatagramSocket::leave_source_group(const Address& group, const Address& source,
                                                          unsigned interface_index) {
  membership_with(false, group, &source, interface_index, detail::Throw{"leave_source_group"});
}

OUTLET_DETAIL_DEF std::error_code DatagramSocket::multicast_option(int ipv4_name, int ipv6_name, int& level,
                                                                   int& name) const noexcept {
  if (!is_open()) return detail::not_open();
  int family = 0;
  if (std::error_code ec = detail::socket_family(handle_, family)) return ec;
  if (family != AF_INET && family != AF_INET6) return std::make_error_code(std::errc::address_family_not_supported);
  level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
  name = family == AF_INET ? ipv4_name : ipv6_name;
  return {};
}

template <class P>
void DatagramSocket::multicast_interface_with(unsigned interface_index, P policy) noexcept(P::nothrow) {
  int level = 0, name = 0;
  std::error_code ec = multicast_option(IP_MULTICAST_IF, IPV6_MULTICAST_IF, level, name);
  if (!ec) ec = detail::set_multicast_interface(handle_, level == IPPROTO_IP ? AF_INET : AF_INET6, interface_index);
  if (ec)
    return policy.fail(ec, [&](const char* op) {
      detail::Text text;
      detail::describe_interface(text.add(op).add(' '), interface_index);
      return text;
    });
  policy.success();
}
OUTLET_DETAIL_DEF void DatagramSocket::set_multicast_interface(unsigned interface_index, std::error_code& ec) noexcept {
  multicast_interface_with(interface_index, detail::Store{ec});
}
OUTLET_DETAIL_DEF void DatagramSocket::set_multicast_interface(unsigned interface_index) {
  multicast_interface_with(interface_index, detail::Throw{"set_multicast_interface"});
}

template <class P>
void DatagramSocket::multicast_address_with(const Address& interface_address, P policy) noexcept(P::nothrow) {
  if (interface_address.family() != Family::ipv4)
    return policy.fail(detail::invalid_argument(), [&](const char* op) {
      return detail::describe_bad_group(op, interface_address, nullptr,
                                        "is not an IPv4 address (choose an IPv6 socket's interface by index)");
    });
  const auto& ip = reinterpret_cast<const sockaddr_in*>(interface_address.native())->sin_addr;
  const std::error_code ec =
      is_open() ? detail::set_option(handle_, IPPROTO_IP, IP_MULTICAST_IF, &ip, sizeof ip) : detail::not_open();
  if (ec)
    return policy.fail(
        ec, [&](const char* op) { return detail::Text().add(op).add(' ').add(interface_address.ip().c_str()); });
  policy.success();
}
OUTLET_DETAIL_DEF void DatagramSocket::set_multicast_interface(const Address& interface_address,
                                                               std::error_code& ec) noexcept {
  multicast_address_with(interface_address, detail::Store{ec});
}
OUTLET_DETAIL_DEF void DatagramSocket::set_multicast_interface(const Address& interface_address) {
  multicast_address_with(interface_address, detail::Throw{"set_multicast_interface"});
}

template <class P>
void DatagramSocket::set_multicast_value(int ipv4_name, int ipv6_name, int value, P policy) noexcept(P::nothrow) {
  int level = 0, name = 0;
  std::error_code ec = multicast_option(ipv4_name, ipv6_name, level, name);
  if (!ec && level == IPPROTO_IP) {
    // IP_MULTICAST_TTL and IP_MULTICAST_LOOP take a u_char on the BSDs.
    const auto v = detail::convert<detail::sys::ipv4_multicast_value>(value);
    ec = detail::set_option(handle_, level, name, &v, sizeof v);
  } else if (!ec) {
    ec = detail::set_option(handle_, level, name, &value, sizeof value);
  }
  policy.check(ec);
}
template <class P>
int DatagramSocket::multicast_value(int ipv4_name, int ipv6_name, P policy) const noexcept(P::nothrow) {
  int level = 0, name = 0;
  std::error_code ec = multicast_option(ipv4_name, ipv6_name, level, name);
  if (ec) return policy.check(0, ec);
  if (level == IPPROTO_IP) {
    detail::sys::ipv4_multicast_value v = 0;
    std::size_t size = sizeof v;
    ec = detail::get_option(handle_, level, name, &v, size);
    return policy.check(detail::convert<int>(v), ec);
  }
  int value = 0;
  std::size_t size = sizeof value;
  ec = detail::get_option(handle_, level, name, &value, size);
  return policy.check(value, ec);
}

OUTLET_DETAIL_DEF void DatagramSocket::set_multicast_loopback(bool on, std::error_code& ec) noexcept {
  set_multicast_value(IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP, on ? 1 : 0, detail::Store{ec});
}
OUTLET_DETAIL_DEF void DatagramSocket::set_multicast_loopback(bool on) {
  set_multicast_value(IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP, on ? 1 : 0,
                      detail::Throw{"setsockopt(IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP)"});
}
OUTLET_DETAIL_DEF bool DatagramSocket::multicast_loopback(std::error_code& ec) const noexcept {
  return multicast_value(IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP, detail::Store{ec}) != 0;
}
OUTLET_DETAIL_DEF bool DatagramSocket::multicast_loopback() const {
  return multicast_value(IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP,
                         detail::Throw{"getsockopt(IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP)"}) != 0;
}

OUTLET_DETAIL_DEF void DatagramSocket::set_multicast_hops(int hops, std::error_code& ec) noexcept {
  if (hops < 0 || hops > 255) {
    ec = detail::invalid_argument();
    return;
  }
  set_multicast_value(IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS, hops, detail::Store{ec});
}
OUTLET_DETAIL_DEF void DatagramSocket::set_multicast_hops(int hops) {
  if (hops < 0 || hops > 255)
    detail::throw_error(detail::invalid_argument(),
                        detail::Text().add("set_multicast_hops(").add_signed(hops).add("): not in 0-255"));
  set_multicast_value(IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS, hops,
                      detail::Throw{"setsockopt(IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS)"});
}
OUTLET_DETAIL_DEF int DatagramSocket::multicast_hops(std::error_code& ec) const noexcept {
  return multicast_value(IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS, detail::Store{ec});
}
OUTLET_DETAIL_DEF int DatagramSocket::multicast_hops() const {
  return multicast_value(IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS,
                         detail::Throw{"getsockopt(IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS)"});
}

#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_DATAGRAM_SOCKET_HPP
