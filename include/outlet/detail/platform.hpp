// outlet — the one place that tells POSIX from Windows, and that picks the
// Poller back end (epoll, kqueue or poll) for this platform.
//
// Everything below outlet::detail::sys is the contract each platform file
// fulfils. Portable code (socket_ops.hpp, address.hpp and the public
// classes) uses only these names; it never includes an OS header, calls the
// OS itself or spells errno / WSA*. tests/test_platform_contract.cpp takes
// the address of every name below with the type it must have, so the
// compiler checks this list on each platform.
//
//   types      native_handle, socklen, io_result, unix_sockaddr, io_vector,
//              message, pollfd_type, FileIdentity
//   constants  invalid_handle, shut_receive / shut_send / shut_both,
//              poll_in / poll_out / poll_err / poll_hup / poll_nval / poll_rdhup,
//              has_abstract_unix (Linux's "@name" namespace),
//              has_dont_wait_flag (send/recv can be told not to block per call),
//              has_message_batch (many datagrams per system call),
//              accept_inherits_non_blocking, stream_reuse_is_exclusive,
//              max_io_vectors, max_backlog, listener_reuse_option,
//              interface_name_size
//   listener   reuse_port_option, fast_open_option (-1 where there is none)
//   activation has_socket_activation, first_inherited_handle, process_id(),
//              environment_variable(), unset_environment_variable(),
//              set_close_on_exec()
//   errors     last_error(), set_last_error(e), os_category(), to_error_code(e),
//              err_interrupted, err_would_block, err_connect_aborted,
//              err_message_size, err_in_progress, connect_in_progress(e),
//              connect_backlog_full(e), resolve_error_message(code),
//              resolve_error_is_system(code)
//   one call   ensure_started(), open_socket(), accept_socket(), close_socket(),
//   each       set_blocking_mode(), connect_socket(), bind_socket(),
//              listen_socket(), shutdown_socket(), set_option(), get_option(),
//              local_name(), peer_name(), text_to_ip(), ip_to_text(),
//              resolve_name(), free_resolved(), interface_index(),
//              interface_name(), sleep_ms(), monotonic_ns()
//   data       send_some(), recv_some(), send_datagram(), recv_datagram(),
//              make_io_vector(), io_vector_data(), io_vector_size(),
//              send_vector(), recv_vector(), set_message(), message_length(),
//              message_name_length(), message_truncated(), send_messages(),
//              recv_messages()
//   waiting    poll_one(), poll_many(), wait_connect()
//   files      unix_path_identity(), remove_unix_path()
//   TCP stats  tcp_statistics(), tcp_statistics_call (detail::TcpStatistics)
//   datagram   has_receive_timestamps, control_buffer,
//   metadata   receive_timestamps_call, receive_destination_call,
//              set_receive_timestamps(), set_receive_destination(),
//              recv_with_metadata(), set_message_control(), message_metadata()
//              (detail::DatagramMetadata)
//   multicast  has_source_multicast, ipv4_multicast_value (IP_MULTICAST_TTL/LOOP's
//   and        type), change_membership(), set_multicast_interface(),
//   interfaces socket_family(), InterfaceEntry, interface_visitor, list_interfaces()
//   racing     max_connect_waits, wait_connects(), has_async_resolve,
//              lookups_can_time_out,
//              resolve_name_within(), resolve_name_in_thread(),
//              lookups_in_flight()
#ifndef OUTLET_DETAIL_PLATFORM_HPP
#define OUTLET_DETAIL_PLATFORM_HPP

#include <outlet/detail/abi.hpp>

#include <cstdint>
#include <type_traits>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace detail {
/// static_cast<To>(value) where To and From differ on this platform, and
/// value as it is where they are the same type (size_t and nfds_t, time_t and
/// int64_t...): no cast that -Wuseless-cast would report on one platform is
/// needed on another.
template <class To, class From>
constexpr To convert(From value) noexcept {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else {
    return static_cast<To>(value);
  }
}

// --- TCP statistics (issue #19) ------------------------------------------------
/// What sys::tcp_statistics() reads from the OS, in portable units. A field
/// this OS does not report stays `absent`; Socket::tcp_info() turns it into
/// an empty std::optional.
struct TcpStatistics {
  static constexpr std::uint64_t absent = UINT64_MAX;
  /// 0 closed, 1 listen, 2 syn_sent, 3 syn_received, 4 established,
  /// 5 fin_wait_1, 6 fin_wait_2, 7 close_wait, 8 closing, 9 last_ack,
  /// 10 time_wait (outlet::TcpState's order, RFC 793's states); -1 unknown.
  int state = -1;
  std::uint64_t rtt_us = absent;
  std::uint64_t rtt_variance_us = absent;
  std::uint64_t mss = absent;
  std::uint64_t congestion_window_segments = absent;
  std::uint64_t congestion_window_bytes = absent;
  std::uint64_t retransmitted_segments = absent;
  std::uint64_t retransmitted_bytes = absent;
  std::uint64_t bytes_acked = absent;
  std::uint64_t bytes_sent = absent;
  std::uint64_t bytes_received = absent;
  std::uint64_t segments_sent = absent;
  std::uint64_t segments_received = absent;
};

// --- datagram receive metadata (issue #19) -----------------------------------
/// What one received datagram's control messages said, as
/// sys::recv_with_metadata() and sys::message_metadata() read them.
/// DatagramSocket turns it into an outlet::ReceiveMetadata.
struct DatagramMetadata {
  /// The kernel's receive time, nanoseconds since 1970 (CLOCK_REALTIME).
  bool has_timestamp = false;
  std::int64_t timestamp_ns = 0;
  /// The datagram's destination address: AF_INET (4 bytes of `ip`) or
  /// AF_INET6 (16); 0 if none was reported.
  int destination_family = 0;
  unsigned char ip[16] = {};
  /// The interface it arrived on; 0 if none was reported.
  unsigned interface_index = 0;
  /// MSG_CTRUNC: the OS had more control data than fitted, and dropped it.
  bool control_truncated = false;
};
}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

// Each platform file compiles only when this header selected it, so either
// one can be included anywhere (a no-op off its platform).
#if defined(_WIN32)
#define OUTLET_PLATFORM_WINDOWS 1
#include <outlet/detail/platform_windows.hpp>
#else
#define OUTLET_PLATFORM_POSIX 1
#include <outlet/detail/platform_posix.hpp>
#endif  // defined(_WIN32)

// The Poller back end (poller.hpp): exactly one of OUTLET_DETAIL_POLLER_EPOLL,
// _KQUEUE and _POLL is defined, here and nowhere else. The back-end files
// and poller.hpp test only these. OUTLET_FORCE_POLL picks poll() on any
// POSIX system; Windows always uses WSAPoll, which has poll()'s shape.
// OUTLET_FORCE_KQUEUE picks kqueue where the platform would not: on Linux
// with libkqueue, which is how this project's CI runs the kqueue back end.
#if defined(OUTLET_FORCE_POLL) && defined(OUTLET_FORCE_KQUEUE)
#error "outlet: define at most one of OUTLET_FORCE_POLL and OUTLET_FORCE_KQUEUE"
#endif
#if defined(OUTLET_PLATFORM_WINDOWS) && defined(OUTLET_FORCE_KQUEUE)
#error "outlet: OUTLET_FORCE_KQUEUE needs a POSIX system with <sys/event.h> (a BSD, macOS, or Linux with libkqueue)"
#endif
#if defined(OUTLET_PLATFORM_WINDOWS) || defined(OUTLET_FORCE_POLL)
#define OUTLET_DETAIL_POLLER_POLL 1
#elif defined(OUTLET_FORCE_KQUEUE)
#define OUTLET_DETAIL_POLLER_KQUEUE 1
#elif defined(__linux__)
#define OUTLET_DETAIL_POLLER_EPOLL 1
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || \
    defined(__DragonFly__)
#define OUTLET_DETAIL_POLLER_KQUEUE 1
#else
#define OUTLET_DETAIL_POLLER_POLL 1
#endif  // defined(OUTLET_PLATFORM_WINDOWS) || defined(OUTLET_FORCE_POLL)

// Marks what runs only when something went wrong: the general path of a
// data call (errors, EINTR, waits, deadlines) and building an exception;
// also what builds text (an address's to_string(), a message) and checks a
// foreign sockaddr, which never run in a data loop. Kept out of line, so the
// fast path around it stays as small as the plain call it wraps, and
// compiled for size, which in a header-only library also makes every
// translation unit that reaches it cheaper to compile (the echo server in
// bench/header_cost: 9% fewer compiler instructions at -O2).
// OUTLET_DETAIL_INLINE marks the fast path itself (the one system call plain
// code makes, and the test of its result): always inlined into the caller's
// loop, so it keeps its values in the caller's registers as plain code does,
// instead of saving and restoring them around a call.
#if defined(_MSC_VER) && !defined(__clang__)
#define OUTLET_DETAIL_COLD __declspec(noinline)
#define OUTLET_DETAIL_INLINE __forceinline
#else
#define OUTLET_DETAIL_COLD __attribute__((noinline, cold))
#define OUTLET_DETAIL_INLINE __attribute__((always_inline)) inline
#endif  // defined(_MSC_VER) && !defined(__clang__)

#endif  // OUTLET_DETAIL_PLATFORM_HPP
