// outlet — the POSIX side of the sys:: contract in platform.hpp.
// The only file (with platform_windows.hpp) that includes OS headers or
// spells errno. Each function is one OS call, or the fewest that give the
// behaviour outlet promises (close-on-exec, no SIGPIPE) where the OS lacks
// a one-call form.
#ifndef OUTLET_DETAIL_PLATFORM_POSIX_HPP
#define OUTLET_DETAIL_PLATFORM_POSIX_HPP
#if defined(OUTLET_PLATFORM_POSIX)  // selected by platform.hpp

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#if defined(__APPLE__)
// TCPS_*, the states TCP_CONNECTION_INFO reports.
#include <netinet/tcp_fsm.h>
#endif  // defined(__APPLE__)
#if !defined(IP_PKTINFO) && defined(IP_RECVIF)
// sockaddr_dl, which IP_RECVIF reports (the BSDs).
#include <net/if_dl.h>
#endif  // !defined(IP_PKTINFO) && defined(IP_RECVIF)

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <system_error>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace detail::sys {

using native_handle = int;
using socklen = ::socklen_t;
using io_result = ::ssize_t;
using unix_sockaddr = ::sockaddr_un;

inline constexpr native_handle invalid_handle = -1;

inline constexpr int shut_receive = SHUT_RD;
inline constexpr int shut_send = SHUT_WR;
inline constexpr int shut_both = SHUT_RDWR;

inline constexpr short poll_in = POLLIN;
inline constexpr short poll_out = POLLOUT;
inline constexpr short poll_err = POLLERR;
inline constexpr short poll_hup = POLLHUP;
inline constexpr short poll_nval = POLLNVAL;
#if defined(POLLRDHUP)
/// The peer shut down its sending side (Linux): reported as a hang-up, as epoll does.
inline constexpr short poll_rdhup = POLLRDHUP;
#else
inline constexpr short poll_rdhup = 0;
#endif  // defined(POLLRDHUP)

#if defined(__linux__)
inline constexpr bool has_abstract_unix = true;
#else
inline constexpr bool has_abstract_unix = false;
#endif  // defined(__linux__)

// Where accept4() exists the accepted socket never inherits O_NONBLOCK;
// plain accept() on BSD-derived systems (macOS) does inherit it.
#if defined(SOCK_CLOEXEC)
inline constexpr bool accept_inherits_non_blocking = false;
#else
inline constexpr bool accept_inherits_non_blocking = true;
#endif  // defined(SOCK_CLOEXEC)

// send()/recv() take MSG_DONTWAIT (or poll() has just said "ready"), so
// timed calls leave the handle's blocking mode alone.
inline constexpr bool has_dont_wait_flag = true;

// listen()'s default backlog: the system maximum (the kernel clamps it).
inline constexpr int max_backlog = SOMAXCONN;

// Servers rebind at once after a restart (TIME_WAIT) with SO_REUSEADDR.
inline constexpr int listener_reuse_option = SO_REUSEADDR;

// --- errors ---------------------------------------------------------------

inline constexpr int err_interrupted = EINTR;
inline constexpr int err_would_block = EWOULDBLOCK;
inline constexpr int err_connect_aborted = ECONNABORTED;
inline constexpr int err_message_size = EMSGSIZE;
inline constexpr int err_in_progress = EINPROGRESS;

inline int last_error() noexcept { return errno; }
inline void set_last_error(int e) noexcept { errno = e; }

/// POSIX's std::system_category() maps errno values to std::errc itself.
inline const std::error_category& os_category() noexcept { return std::system_category(); }

/// A native error in std::system_category(). EAGAIN is reported as
/// EWOULDBLOCK so one value compares equal to operation_would_block on
/// every POSIX system (they differ on a few).
inline std::error_code to_error_code(int e) noexcept {
  if (e == EAGAIN) e = EWOULDBLOCK;
  return {e, std::system_category()};
}

/// True when connect() on a non-blocking socket has started but not finished.
inline bool connect_in_progress(int e) noexcept { return e == EINPROGRESS; }

/// Nothing to start on POSIX.
inline std::error_code ensure_started() noexcept { return {}; }

// --- sockets --------------------------------------------------------------

#if !defined(SOCK_CLOEXEC) || defined(SO_NOSIGPIPE)
/// Marks a descriptor close-on-exec and SIGPIPE-free where socket()/accept()
/// cannot do it in the same call (macOS).
inline bool finish_new_socket(native_handle h) noexcept {
#if !defined(SOCK_CLOEXEC)
  if (::fcntl(h, F_SETFD, FD_CLOEXEC) != 0) return false;
#endif  // !defined(SOCK_CLOEXEC)
#if defined(SO_NOSIGPIPE)
  int one = 1;
  if (::setsockopt(h, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) != 0) return false;
#endif  // defined(SO_NOSIGPIPE)
  return true;
}
#define OUTLET_DETAIL_NEEDS_FINISH 1
#endif  // !defined(SOCK_CLOEXEC) || defined(SO_NOSIGPIPE)

/// socket(2), close-on-exec and without SIGPIPE.
inline native_handle open_socket(int family, int type, int protocol) noexcept {
#if defined(SOCK_CLOEXEC)
  native_handle h = ::socket(family, type | SOCK_CLOEXEC, protocol);
#else
  native_handle h = ::socket(family, type, protocol);
#endif  // defined(SOCK_CLOEXEC)
#if defined(OUTLET_DETAIL_NEEDS_FINISH)
  if (h >= 0 && !finish_new_socket(h)) {
    int e = errno;
    ::close(h);
    errno = e;
    return invalid_handle;
  }
#endif  // defined(OUTLET_DETAIL_NEEDS_FINISH)
  return h;
}

/// accept4(2) with SOCK_CLOEXEC where it exists, else accept(2) + fcntl.
inline native_handle accept_socket(native_handle h, ::sockaddr* addr, socklen* len) noexcept {
#if defined(SOCK_CLOEXEC)
  native_handle c = ::accept4(h, addr, len, SOCK_CLOEXEC);
#else
  native_handle c = ::accept(h, addr, len);
#endif  // defined(SOCK_CLOEXEC)
#if defined(OUTLET_DETAIL_NEEDS_FINISH)
  if (c >= 0 && !finish_new_socket(c)) {
    int e = errno;
    ::close(c);
    errno = e;
    return invalid_handle;
  }
#endif  // defined(OUTLET_DETAIL_NEEDS_FINISH)
  return c;
}
#undef OUTLET_DETAIL_NEEDS_FINISH

/// close(2). Returns 0 or -1 with errno set.
inline int close_socket(native_handle h) noexcept { return ::close(h); }

/// ioctl(FIONBIO): one call, where fcntl needs two.
inline int set_blocking_mode(native_handle h, bool non_blocking) noexcept {
  int value = non_blocking ? 1 : 0;
  return ::ioctl(h, FIONBIO, &value);
}

// MSG_NOSIGNAL keeps send() from raising SIGPIPE (macOS uses SO_NOSIGPIPE).
#if defined(MSG_NOSIGNAL)
inline constexpr int send_flags = MSG_NOSIGNAL;
#else
inline constexpr int send_flags = 0;
#endif  // defined(MSG_NOSIGNAL)

// MSG_DONTWAIT lets a timed call, after poll() said ready, never block past
// its deadline if the readiness was spurious.
#if defined(MSG_DONTWAIT)
inline constexpr int dont_wait_flag = MSG_DONTWAIT;
#else
inline constexpr int dont_wait_flag = 0;
#endif  // defined(MSG_DONTWAIT)

/// send(2) without SIGPIPE.
inline io_result send_some(native_handle h, const void* data, std::size_t size, bool dont_wait) noexcept {
  return ::send(h, data, size, send_flags | (dont_wait ? dont_wait_flag : 0));
}

/// recv(2).
inline io_result recv_some(native_handle h, void* data, std::size_t size, bool dont_wait) noexcept {
  return ::recv(h, data, size, dont_wait ? dont_wait_flag : 0);
}

/// sendto(2) without SIGPIPE; `to` may be null on a connected socket.
inline io_result send_datagram(native_handle h, const void* data, std::size_t size, const ::sockaddr* to,
                               socklen to_len, bool dont_wait) noexcept {
  return ::sendto(h, data, size, send_flags | (dont_wait ? dont_wait_flag : 0), to, to_len);
}

/// recvfrom(2) that also says whether the datagram was cut to fit `size`:
/// Linux reports the full length with MSG_TRUNC (and that is what it
/// returns then; only `size` bytes were stored); elsewhere recvmsg's
/// msg_flags carries MSG_TRUNC. Either way it is one system call.
inline io_result recv_datagram(native_handle h, void* data, std::size_t size, ::sockaddr* from, socklen* from_len,
                               bool dont_wait, bool& truncated) noexcept {
  const int flags = dont_wait ? dont_wait_flag : 0;
#if defined(__linux__)
  // The result is the datagram's full length: the caller, seeing it larger
  // than `size`, knows without a second test that it was cut.
  const io_result n = ::recvfrom(h, data, size, flags | MSG_TRUNC, from, from_len);
  truncated = n > 0 && static_cast<std::size_t>(n) > size;
  return n;
#else
  ::iovec iov{data, size};
  ::msghdr msg{};
  msg.msg_name = from;
  msg.msg_namelen = from_len ? *from_len : 0;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  io_result n = ::recvmsg(h, &msg, flags);
  if (from_len) *from_len = msg.msg_namelen;
  truncated = n >= 0 && (msg.msg_flags & MSG_TRUNC) != 0;
  return n;
#endif  // defined(__linux__)
}

// --- one line per OS call ----------------------------------------------------
// The calls portable code makes as they are (socket2's syscall!): 0 or -1
// with the error in last_error(), as the OS returns them.

/// connect(2).
inline int connect_socket(native_handle h, const ::sockaddr* to, socklen len) noexcept { return ::connect(h, to, len); }
/// bind(2).
inline int bind_socket(native_handle h, const ::sockaddr* local, socklen len) noexcept { return ::bind(h, local, len); }
/// listen(2).
inline int listen_socket(native_handle h, int backlog) noexcept { return ::listen(h, backlog); }
/// shutdown(2); `how` is shut_receive, shut_send or shut_both.
inline int shutdown_socket(native_handle h, int how) noexcept { return ::shutdown(h, how); }
/// setsockopt(2).
inline int set_option(native_handle h, int level, int name, const void* value, socklen size) noexcept {
  return ::setsockopt(h, level, name, value, size);
}
/// getsockopt(2); `size` is in/out.
inline int get_option(native_handle h, int level, int name, void* value, socklen* size) noexcept {
  return ::getsockopt(h, level, name, value, size);
}
/// getsockname(2).
inline int local_name(native_handle h, ::sockaddr* out, socklen* len) noexcept { return ::getsockname(h, out, len); }
/// getpeername(2).
inline int peer_name(native_handle h, ::sockaddr* out, socklen* len) noexcept { return ::getpeername(h, out, len); }
/// inet_pton(3): 1 parsed, 0 not an address of `family`.
inline int text_to_ip(int family, const char* text, void* out) noexcept { return ::inet_pton(family, text, out); }
/// inet_ntop(3): false if `size` is too small.
inline bool ip_to_text(int family, const void* ip, char* out, socklen size) noexcept {
  return ::inet_ntop(family, ip, out, size) != nullptr;
}
/// getaddrinfo(3): 0, or an EAI_* code.
inline int resolve_name(const char* host, const ::addrinfo* hints, ::addrinfo** out) noexcept {
  return ::getaddrinfo(host, nullptr, hints, out);
}
/// freeaddrinfo(3).
inline void free_resolved(::addrinfo* list) noexcept { ::freeaddrinfo(list); }

// A stream socket's "rebind at once" option is SO_REUSEADDR, like a
// datagram socket's "share the port" (Windows splits them).
inline constexpr bool stream_reuse_is_exclusive = false;

// --- vectored and batch I/O ---------------------------------------------------

/// One buffer of a vectored call. outlet's ConstBuffer and MutableBuffer
/// hold exactly this, so an array of them goes to sendmsg()/recvmsg() as
/// it is, with no copy.
using io_vector = ::iovec;
inline io_vector make_io_vector(const void* data, std::size_t size) noexcept { return {const_cast<void*>(data), size}; }
inline void* io_vector_data(const io_vector& v) noexcept { return v.iov_base; }
inline std::size_t io_vector_size(const io_vector& v) noexcept { return v.iov_len; }

/// The most buffers one sendmsg()/recvmsg() takes (IOV_MAX; POSIX
/// guarantees 16). A longer list is sent in part, and send_all loops.
#if defined(IOV_MAX)
inline constexpr std::size_t max_io_vectors = IOV_MAX;
#else
inline constexpr std::size_t max_io_vectors = 16;
#endif  // defined(IOV_MAX)

inline std::size_t io_vector_count(std::size_t count) noexcept {
  return count < max_io_vectors ? count : max_io_vectors;
}

/// sendmsg(2) over `count` buffers, without SIGPIPE; `to` may be null.
inline io_result send_vector(native_handle h, const io_vector* v, std::size_t count, const ::sockaddr* to,
                             socklen to_len, bool dont_wait) noexcept {
  ::msghdr msg{};
  msg.msg_name = const_cast<::sockaddr*>(to);
  msg.msg_namelen = to_len;
  msg.msg_iov = const_cast<io_vector*>(v);
  msg.msg_iovlen = convert<decltype(msg.msg_iovlen)>(io_vector_count(count));
  return ::sendmsg(h, &msg, send_flags | (dont_wait ? dont_wait_flag : 0));
}

/// recvmsg(2) into `count` buffers; `truncated` says a datagram did not fit.
inline io_result recv_vector(native_handle h, const io_vector* v, std::size_t count, ::sockaddr* from,
                             socklen* from_len, bool dont_wait, bool& truncated) noexcept {
  ::msghdr msg{};
  msg.msg_name = from;
  msg.msg_namelen = from_len != nullptr ? *from_len : 0;
  msg.msg_iov = const_cast<io_vector*>(v);
  msg.msg_iovlen = convert<decltype(msg.msg_iovlen)>(io_vector_count(count));
  const io_result n = ::recvmsg(h, &msg, dont_wait ? dont_wait_flag : 0);
  if (from_len != nullptr) *from_len = msg.msg_namelen;
  truncated = n >= 0 && (msg.msg_flags & MSG_TRUNC) != 0;
  return n;
}

// Linux sends and receives many datagrams per system call; elsewhere the
// portable layer loops over sendmsg()/recvmsg(). OUTLET_NO_MESSAGE_BATCH
// selects the loop on Linux too (the tests run both).
#if defined(__linux__) && defined(MSG_WAITFORONE) && !defined(OUTLET_NO_MESSAGE_BATCH)
inline constexpr bool has_message_batch = true;
using message = ::mmsghdr;

inline void set_message(message& m, const io_vector* v, std::size_t count, ::sockaddr* name,
                        socklen name_len) noexcept {
  m = message{};
  m.msg_hdr.msg_name = name;
  m.msg_hdr.msg_namelen = name_len;
  m.msg_hdr.msg_iov = const_cast<io_vector*>(v);
  m.msg_hdr.msg_iovlen = io_vector_count(count);
}
inline std::size_t message_length(const message& m) noexcept { return m.msg_len; }
inline socklen message_name_length(const message& m) noexcept { return m.msg_hdr.msg_namelen; }
inline bool message_truncated(const message& m) noexcept { return (m.msg_hdr.msg_flags & MSG_TRUNC) != 0; }

/// sendmmsg(2): returns how many datagrams went, or -1 if none did.
inline int send_messages(native_handle h, message* m, std::size_t count, bool dont_wait) noexcept {
  const unsigned n = count < 1024 ? static_cast<unsigned>(count) : 1024U;  // UIO_MAXIOV
  return ::sendmmsg(h, m, n, send_flags | (dont_wait ? dont_wait_flag : 0));
}
/// recvmmsg(2): waits for the first datagram (unless `dont_wait`), then
/// takes only what is already queued (MSG_WAITFORONE).
inline int recv_messages(native_handle h, message* m, std::size_t count, bool dont_wait) noexcept {
  const unsigned n = count < 1024 ? static_cast<unsigned>(count) : 1024U;
  return ::recvmmsg(h, m, n, MSG_WAITFORONE | (dont_wait ? dont_wait_flag : 0), nullptr);
}
#else
inline constexpr bool has_message_batch = false;
// Never called (has_message_batch is false); declared so portable code
// compiles the same everywhere.
struct message {};
inline void set_message(message&, const io_vector*, std::size_t, ::sockaddr*, socklen) noexcept {}
inline std::size_t message_length(const message&) noexcept { return 0; }
inline socklen message_name_length(const message&) noexcept { return 0; }
inline bool message_truncated(const message&) noexcept { return false; }
inline int send_messages(native_handle, message*, std::size_t, bool) noexcept { return -1; }
inline int recv_messages(native_handle, message*, std::size_t, bool) noexcept { return -1; }
#endif  // defined(__linux__) && defined(MSG_WAITFORONE) && !defined(OUTLET_NO_MESSAGE_BATCH)

/// Sleeps `ms` milliseconds: poll(2) with no descriptors (EINTR just ends it early).
inline void sleep_ms(int ms) noexcept { ::poll(nullptr, 0, ms); }

/// clock_gettime(CLOCK_MONOTONIC), in nanoseconds: the clock deadlines count on.
inline std::int64_t monotonic_ns() noexcept {
  ::timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return convert<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

/// EAGAIN from connect(2): a Unix-domain listener's backlog is full (Linux).
inline bool connect_backlog_full(int e) noexcept { return e == EAGAIN; }

/// poll(2) on one socket. Returns >0 ready, 0 timed out, -1 error.
inline int poll_one(native_handle h, short events, int timeout_ms, short& revents) noexcept {
  ::pollfd p{h, events, 0};
  int r = ::poll(&p, 1, timeout_ms);
  revents = p.revents;
  return r;
}

/// The element type of poll_many().
using pollfd_type = ::pollfd;

/// poll(2) on many sockets. Returns the number ready, 0 timed out, -1 error.
inline int poll_many(pollfd_type* fds, std::size_t count, int timeout_ms) noexcept {
  return ::poll(fds, convert<::nfds_t>(count), timeout_ms);
}

/// poll(2) for a connect() in progress: POLLOUT when it finished, either way.
/// Returns >0 finished (SO_ERROR says how), 0 timed out, -1 error.
inline int wait_connect(native_handle h, int timeout_ms) noexcept {
  short revents = 0;
  return poll_one(h, POLLOUT, timeout_ms, revents);
}

// --- Unix-domain socket files ----------------------------------------------

/// Which file a bound Unix socket created, and which process created it, so
/// close() removes only that file, and a forked child's copy removes nothing.
struct FileIdentity {
  ::dev_t device = 0;
  ::ino_t inode = 0;
  ::pid_t owner = 0;
  bool valid = false;
};

/// lstat(2) of a socket file; invalid if it is missing or not a socket.
inline FileIdentity unix_path_identity(const char* path) noexcept {
  struct ::stat st {};
  if (::lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode)) return {};
  return {st.st_dev, st.st_ino, ::getpid(), true};
}

/// unlink(2) the socket file, but only from the process that created it and
/// only if it is still the file it created.
inline void remove_unix_path(const char* path, const FileIdentity& created) noexcept {
  if (!created.valid || created.owner != ::getpid()) return;
  const FileIdentity now = unix_path_identity(path);
  if (now.valid && now.device == created.device && now.inode == created.inode) ::unlink(path);
}

// --- multicast and network interfaces (issue #19) ----------------------------

/// Whether source-specific multicast exists (MCAST_JOIN_SOURCE_GROUP).
#if defined(MCAST_JOIN_SOURCE_GROUP)
inline constexpr bool has_source_multicast = true;
#else
inline constexpr bool has_source_multicast = false;
#endif  // defined(MCAST_JOIN_SOURCE_GROUP)

/// The value IP_MULTICAST_TTL and IP_MULTICAST_LOOP take: an int on Linux,
/// a u_char on the BSDs and macOS (which refuse an int).
#if defined(__linux__)
using ipv4_multicast_value = int;
#else
using ipv4_multicast_value = unsigned char;
#endif  // defined(__linux__)

/// Copies a group or source address into a group_req field; the BSDs read
/// its length from the sockaddr itself (ss_len), so it is set there.
inline void copy_group_address(::sockaddr_storage& out, const ::sockaddr* address, socklen size) noexcept {
  std::memcpy(&out, address, size);
#if defined(SIN6_LEN)
  out.ss_len = static_cast<std::uint8_t>(size);
#endif  // defined(SIN6_LEN)
}

/// setsockopt(MCAST_JOIN_GROUP / MCAST_LEAVE_GROUP), or with a `source`
/// MCAST_JOIN_SOURCE_GROUP / MCAST_LEAVE_SOURCE_GROUP, at the group's level
/// (IPPROTO_IP or IPPROTO_IPV6), on interface `index` (0: the OS picks).
/// Where the MCAST_* options do not exist: IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP,
/// or IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP on the default interface only.
inline int change_membership(native_handle h, bool join, const ::sockaddr* group, socklen group_size,
                             const ::sockaddr* source, socklen source_size, unsigned index) noexcept {
  const int level = group->sa_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
#if defined(MCAST_JOIN_GROUP)
  if (source == nullptr) {
    ::group_req req{};
    req.gr_interface = index;
    copy_group_address(req.gr_group, group, group_size);
    return ::setsockopt(h, level, join ? MCAST_JOIN_GROUP : MCAST_LEAVE_GROUP, &req, sizeof req);
  }
#if defined(MCAST_JOIN_SOURCE_GROUP)
  ::group_source_req req{};
  req.gsr_interface = index;
  copy_group_address(req.gsr_group, group, group_size);
  copy_group_address(req.gsr_source, source, source_size);
  return ::setsockopt(h, level, join ? MCAST_JOIN_SOURCE_GROUP : MCAST_LEAVE_SOURCE_GROUP, &req, sizeof req);
#endif  // defined(MCAST_JOIN_SOURCE_GROUP)
#else
  if (source == nullptr && level == IPPROTO_IPV6) {
    ::ipv6_mreq req{};
    std::memcpy(&req.ipv6mr_multiaddr, &reinterpret_cast<const ::sockaddr_in6*>(group)->sin6_addr, 16);
    req.ipv6mr_interface = index;
    return ::setsockopt(h, level, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &req, sizeof req);
  }
  if (source == nullptr && index == 0) {
    ::ip_mreq req{};
    req.imr_multiaddr = reinterpret_cast<const ::sockaddr_in*>(group)->sin_addr;
    req.imr_interface.s_addr = htonl(INADDR_ANY);
    return ::setsockopt(h, level, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &req, sizeof req);
  }
#endif  // defined(MCAST_JOIN_GROUP)
  (void)source_size;
  errno = ENOPROTOOPT;
  return -1;
}

/// IPV6_MULTICAST_IF, or IP_MULTICAST_IF by index (an ip_mreqn on Linux
/// and FreeBSD; IP_MULTICAST_IFINDEX on macOS): the interface multicast
/// datagrams leave by; 0 resets it to the OS's choice.
inline int set_multicast_interface(native_handle h, int family, unsigned index) noexcept {
  if (family == AF_INET6) return ::setsockopt(h, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index);
#if defined(IP_MULTICAST_IFINDEX)
  return ::setsockopt(h, IPPROTO_IP, IP_MULTICAST_IFINDEX, &index, sizeof index);
#elif defined(__linux__) || defined(__FreeBSD__)
  ::ip_mreqn req{};
  req.imr_ifindex = static_cast<int>(index);
  return ::setsockopt(h, IPPROTO_IP, IP_MULTICAST_IF, &req, sizeof req);
#else
  errno = ENOPROTOOPT;
  return -1;
#endif  // defined(IP_MULTICAST_IFINDEX)
}

/// A socket's address family (AF_INET, AF_INET6...), or -1 with the error in
/// last_error(): getsockopt(SO_DOMAIN) on Linux, getsockname() elsewhere
/// (which names the family of an unbound socket too).
inline int socket_family(native_handle h) noexcept {
#if defined(SO_DOMAIN)
  int family = 0;
  socklen size = sizeof family;
  return ::getsockopt(h, SOL_SOCKET, SO_DOMAIN, &family, &size) == 0 ? family : -1;
#else
  ::sockaddr_storage name{};
  socklen size = sizeof name;
  return ::getsockname(h, reinterpret_cast<::sockaddr*>(&name), &size) == 0 ? name.ss_family : -1;
#endif  // defined(SO_DOMAIN)
}

/// One address of one network interface, as list_interfaces() reports it;
/// `address` is null (size 0) for an interface listed without an IP address.
struct InterfaceEntry {
  const char* name;
  unsigned index;
  const ::sockaddr* address;
  socklen address_size;
  bool up;
  bool loopback;
  bool multicast;
};

/// What list_interfaces() calls for each entry; false stops the listing.
using interface_visitor = bool (*)(void* context, const InterfaceEntry& entry) noexcept;

/// getifaddrs(3): calls visit() for each interface address (IPv4, IPv6, and
/// once with no address for an entry of another family, such as Linux's
/// AF_PACKET one), a labelled address ("eth0:1") under its interface's
/// name. Returns 0, or -1 with the error in last_error().
inline int list_interfaces(interface_visitor visit, void* context) noexcept {
  ::ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return -1;
  for (const ::ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    // Linux names an address with a label ("eth0:1") by the label, which
    // if_nametoindex() does not know: it belongs to the interface before ':'.
    char base[IF_NAMESIZE] = {};
    const char* name = i->ifa_name;
    const char* colon = std::strchr(name, ':');
    if (colon != nullptr && static_cast<std::size_t>(colon - name) < sizeof base) {
      std::memcpy(base, name, static_cast<std::size_t>(colon - name));
      name = base;
    }
    InterfaceEntry entry{name,
                         ::if_nametoindex(name),
                         nullptr,
                         0,
                         (i->ifa_flags & IFF_UP) != 0,
                         (i->ifa_flags & IFF_LOOPBACK) != 0,
                         (i->ifa_flags & IFF_MULTICAST) != 0};
    const int family = i->ifa_addr != nullptr ? i->ifa_addr->sa_family : AF_UNSPEC;
    if (family == AF_INET || family == AF_INET6) {
      entry.address = i->ifa_addr;
      entry.address_size = family == AF_INET ? sizeof(::sockaddr_in) : sizeof(::sockaddr_in6);
    }
    if (!visit(context, entry)) break;
  }
  ::freeifaddrs(list);
  return 0;
}

// --- names ----------------------------------------------------------------

/// if_nametoindex(3); 0 if there is no such interface.
inline unsigned interface_index(const char* name) noexcept { return ::if_nametoindex(name); }

/// if_indextoname(3) into buf (IF_NAMESIZE bytes); false if unknown.
inline constexpr std::size_t interface_name_size = IF_NAMESIZE;
inline bool interface_name(unsigned index, char* buf) noexcept { return ::if_indextoname(index, buf) != nullptr; }

/// gai_strerror(3).
inline const char* resolve_error_message(int code) noexcept { return ::gai_strerror(code); }

/// getaddrinfo's EAI_SYSTEM means "look in errno": that error is reported
/// in system_category instead.
inline bool resolve_error_is_system(int code) noexcept {
#if defined(EAI_SYSTEM)
  return code == EAI_SYSTEM;
#else
  (void)code;
  return false;
#endif  // defined(EAI_SYSTEM)
}

// --- listener options and socket activation (issue #19) ----------------------

/// SO_REUSEPORT (SOL_SOCKET) where the OS has it, else -1 (none). Linux
/// spreads connections (and datagrams) over the sockets sharing a port;
/// the BSDs and macOS let them share it, and deliver to the last bound.
#if defined(SO_REUSEPORT)
inline constexpr int reuse_port_option = SO_REUSEPORT;
#else
inline constexpr int reuse_port_option = -1;
#endif  // defined(SO_REUSEPORT)

/// TCP_FASTOPEN (IPPROTO_TCP) on Linux, whose value is the listener's queue
/// of pending Fast Open requests; -1 (none) elsewhere: macOS and the BSDs
/// spell a different option the same way (on/off, not a queue length).
#if defined(__linux__) && defined(TCP_FASTOPEN)
inline constexpr int fast_open_option = TCP_FASTOPEN;
#else
inline constexpr int fast_open_option = -1;
#endif  // defined(__linux__) && defined(TCP_FASTOPEN)

/// Whether a service manager can pass sockets as inherited descriptors
/// (systemd's LISTEN_FDS protocol, which other supervisors follow too).
inline constexpr bool has_socket_activation = true;
/// The first descriptor passed (SD_LISTEN_FDS_START).
inline constexpr native_handle first_inherited_handle = 3;

/// getpid(2).
inline long long process_id() noexcept { return static_cast<long long>(::getpid()); }
/// getenv(3): the variable's value, or nullptr if it is not set.
inline const char* environment_variable(const char* name) noexcept { return ::getenv(name); }
/// unsetenv(3).
inline void unset_environment_variable(const char* name) noexcept { (void)::unsetenv(name); }
/// fcntl(F_SETFD, FD_CLOEXEC): 0, or -1 (EBADF: no such descriptor).
inline int set_close_on_exec(native_handle h) noexcept { return ::fcntl(h, F_SETFD, FD_CLOEXEC); }
// --- TCP statistics (issue #19) ------------------------------------------------

#if defined(__linux__)
/// The kernel's struct tcp_info as far as Linux 4.19 (tcpi_bytes_retrans).
/// Spelled here because glibc's <netinet/tcp.h> stops at tcpi_total_retrans
/// and <linux/tcp.h>, which has the rest, cannot be included beside it (both
/// define struct tcphdr). The layout is kernel ABI, only ever appended to:
/// an older kernel fills less of it, and says how much in the length.
struct LinuxTcpInfo {
  std::uint8_t state, ca_state, retransmits, probes, backoff, options, wscale, flags;
  std::uint32_t rto, ato, snd_mss, rcv_mss;
  std::uint32_t unacked, sacked, lost, retrans, fackets;
  std::uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
  std::uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
  std::uint32_t rcv_rtt, rcv_space, total_retrans;
  std::uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;  // Linux 4.1
  std::uint32_t segs_out, segs_in;                                          // 4.2
  std::uint32_t notsent_bytes, min_rtt, data_segs_in, data_segs_out;
  std::uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
  std::uint32_t delivered, delivered_ce;
  std::uint64_t bytes_sent, bytes_retrans;  // 4.19
};
static_assert(offsetof(LinuxTcpInfo, rtt) == 68 && offsetof(LinuxTcpInfo, bytes_acked) == 120 &&
                  offsetof(LinuxTcpInfo, bytes_sent) == 200 && sizeof(LinuxTcpInfo) == 216,
              "LinuxTcpInfo must have the kernel's struct tcp_info layout");

/// Linux's TCP_* state numbers in outlet's order (TcpStatistics::state).
inline int portable_tcp_state(std::uint8_t s) noexcept {
  switch (s) {
    case TCP_CLOSE: return 0;
    case TCP_LISTEN: return 1;
    case TCP_SYN_SENT: return 2;
    case TCP_SYN_RECV: return 3;
    case TCP_ESTABLISHED: return 4;
    case TCP_FIN_WAIT1: return 5;
    case TCP_FIN_WAIT2: return 6;
    case TCP_CLOSE_WAIT: return 7;
    case TCP_CLOSING: return 8;
    case TCP_LAST_ACK: return 9;
    case TCP_TIME_WAIT: return 10;
    default: return -1;
  }
}

/// What tcp_info() names in errors.
inline constexpr const char* tcp_statistics_call = "getsockopt(TCP_INFO)";

/// getsockopt(IPPROTO_TCP, TCP_INFO). RTTs in microseconds; the congestion
/// window in segments; the byte and segment counters where the kernel is
/// new enough to fill them (the returned length says).
inline int tcp_statistics(native_handle h, detail::TcpStatistics& out) noexcept {
  LinuxTcpInfo info{};
  ::socklen_t len = sizeof info;
  if (::getsockopt(h, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return -1;
  const auto has = [len](std::size_t end) { return static_cast<std::size_t>(len) >= end; };
  out = detail::TcpStatistics{};
  out.state = portable_tcp_state(info.state);
  out.rtt_us = info.rtt;
  out.rtt_variance_us = info.rttvar;
  out.mss = info.snd_mss;
  out.congestion_window_segments = info.snd_cwnd;
  out.retransmitted_segments = info.total_retrans;
  if (has(offsetof(LinuxTcpInfo, segs_out))) {
    out.bytes_acked = info.bytes_acked;
    out.bytes_received = info.bytes_received;
  }
  if (has(offsetof(LinuxTcpInfo, notsent_bytes))) {
    out.segments_sent = info.segs_out;
    out.segments_received = info.segs_in;
  }
  if (has(sizeof info)) {
    out.bytes_sent = info.bytes_sent;
    out.retransmitted_bytes = info.bytes_retrans;
  }
  return 0;
}
#elif defined(__APPLE__) && defined(TCP_CONNECTION_INFO)
// Not compiled or run by outlet's CI (no macOS there): kept to the fields
// whose meaning Apple's headers state.

/// macOS's TCPS_* state numbers in outlet's order (TcpStatistics::state).
inline int portable_tcp_state(std::uint8_t s) noexcept {
  switch (s) {
    case TCPS_CLOSED: return 0;
    case TCPS_LISTEN: return 1;
    case TCPS_SYN_SENT: return 2;
    case TCPS_SYN_RECEIVED: return 3;
    case TCPS_ESTABLISHED: return 4;
    case TCPS_FIN_WAIT_1: return 5;
    case TCPS_FIN_WAIT_2: return 6;
    case TCPS_CLOSE_WAIT: return 7;
    case TCPS_CLOSING: return 8;
    case TCPS_LAST_ACK: return 9;
    case TCPS_TIME_WAIT: return 10;
    default: return -1;
  }
}

/// What tcp_info() names in errors.
inline constexpr const char* tcp_statistics_call = "getsockopt(TCP_CONNECTION_INFO)";

/// getsockopt(IPPROTO_TCP, TCP_CONNECTION_INFO). macOS reports RTTs in
/// milliseconds and the congestion window in bytes.
inline int tcp_statistics(native_handle h, detail::TcpStatistics& out) noexcept {
  ::tcp_connection_info info{};
  ::socklen_t len = sizeof info;
  if (::getsockopt(h, IPPROTO_TCP, TCP_CONNECTION_INFO, &info, &len) != 0) return -1;
  out = detail::TcpStatistics{};
  out.state = portable_tcp_state(info.tcpi_state);
  out.rtt_us = std::uint64_t{info.tcpi_srtt} * 1000;
  out.rtt_variance_us = std::uint64_t{info.tcpi_rttvar} * 1000;
  out.mss = info.tcpi_maxseg;
  out.congestion_window_bytes = info.tcpi_snd_cwnd;
  out.retransmitted_segments = info.tcpi_txretransmitpackets;
  out.retransmitted_bytes = info.tcpi_txretransmitbytes;
  out.bytes_sent = info.tcpi_txbytes;
  out.bytes_received = info.tcpi_rxbytes;
  out.segments_sent = info.tcpi_txpackets;
  out.segments_received = info.tcpi_rxpackets;
  return 0;
}
#else
/// What tcp_info() names in errors.
inline constexpr const char* tcp_statistics_call = "tcp_info";

/// No TCP statistics outlet knows how to read on this OS: fails with
/// EOPNOTSUPP (operation_not_supported).
inline int tcp_statistics(native_handle, detail::TcpStatistics&) noexcept {
  errno = EOPNOTSUPP;
  return -1;
}
#endif  // defined(__linux__)

// --- datagram receive metadata (issue #19) -------------------------------------
// recvmsg()'s control messages: the kernel's receive time, and the address
// and interface a datagram came in on.

/// SO_TIMESTAMPNS / SO_TIMESTAMP: kernel receive timestamps.
inline constexpr bool has_receive_timestamps = true;

// The receive time: Linux's SO_TIMESTAMPNS gives a timespec (nanoseconds),
// elsewhere SO_TIMESTAMP a timeval (microseconds). Both are CLOCK_REALTIME.
#if defined(SO_TIMESTAMPNS) && defined(SCM_TIMESTAMPNS)
using timestamp_type = ::timespec;
inline constexpr int timestamp_option = SO_TIMESTAMPNS;
inline constexpr int timestamp_message = SCM_TIMESTAMPNS;
inline constexpr const char* receive_timestamps_call = "setsockopt(SO_TIMESTAMPNS)";
inline std::int64_t timestamp_ns(const ::timespec& t) noexcept {
  return convert<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}
#else
using timestamp_type = ::timeval;
inline constexpr int timestamp_option = SO_TIMESTAMP;
inline constexpr int timestamp_message = SCM_TIMESTAMP;
inline constexpr const char* receive_timestamps_call = "setsockopt(SO_TIMESTAMP)";
inline std::int64_t timestamp_ns(const ::timeval& t) noexcept {
  return convert<std::int64_t>(t.tv_sec) * 1000000000 + convert<std::int64_t>(t.tv_usec) * 1000;
}
#endif  // defined(SO_TIMESTAMPNS) && defined(SCM_TIMESTAMPNS)

/// Copies a control message's payload into `out` if it is long enough.
template <class T>
inline bool control_payload(::cmsghdr* c, T& out) noexcept {
  if (c->cmsg_len < CMSG_LEN(sizeof out)) return false;
  std::memcpy(&out, CMSG_DATA(c), sizeof out);  // CMSG_DATA need not be aligned for T
  return true;
}

// IPv6: IPV6_RECVPKTINFO (RFC 3542) reports an in6_pktinfo as IPV6_PKTINFO;
// macOS without __APPLE_USE_RFC_3542 has only RFC 2292's IPV6_PKTINFO, which
// is set to ask for the same.
#if defined(IPV6_RECVPKTINFO)
inline constexpr int ipv6_destination_option = IPV6_RECVPKTINFO;
#else
inline constexpr int ipv6_destination_option = IPV6_PKTINFO;
#endif  // defined(IPV6_RECVPKTINFO)

// IPv4: IP_PKTINFO (Linux, macOS) reports an in_pktinfo; the BSDs report the
// address (IP_RECVDSTADDR, an in_addr) and the interface (IP_RECVIF, a
// sockaddr_dl) separately. The BSD branch is not compiled by outlet's CI.
#if defined(IP_PKTINFO)
inline constexpr const char* receive_destination_call = "setsockopt(IP_PKTINFO / IPV6_RECVPKTINFO)";
inline constexpr std::size_t ipv4_destination_space = CMSG_SPACE(sizeof(::in_pktinfo));
inline int set_ipv4_destination(native_handle h, int value) noexcept {
  return ::setsockopt(h, IPPROTO_IP, IP_PKTINFO, &value, sizeof value);
}
inline void read_ipv4_control(::cmsghdr* c, detail::DatagramMetadata& meta) noexcept {
  ::in_pktinfo info{};
  if (c->cmsg_type != IP_PKTINFO || !control_payload(c, info)) return;
  meta.destination_family = AF_INET;
  std::memcpy(meta.ip, &info.ipi_addr, 4);  // the header's destination (ipi_spec_dst is the reply source)
  meta.interface_index = convert<unsigned>(info.ipi_ifindex);
}
#elif defined(IP_RECVDSTADDR) && defined(IP_RECVIF)
inline constexpr const char* receive_destination_call = "setsockopt(IP_RECVDSTADDR + IP_RECVIF / IPV6_RECVPKTINFO)";
inline constexpr std::size_t ipv4_destination_space = CMSG_SPACE(sizeof(::in_addr)) + CMSG_SPACE(sizeof(::sockaddr_dl));
inline int set_ipv4_destination(native_handle h, int value) noexcept {
  if (::setsockopt(h, IPPROTO_IP, IP_RECVDSTADDR, &value, sizeof value) != 0) return -1;
  return ::setsockopt(h, IPPROTO_IP, IP_RECVIF, &value, sizeof value);
}
inline void read_ipv4_control(::cmsghdr* c, detail::DatagramMetadata& meta) noexcept {
  ::in_addr address{};
  ::sockaddr_dl link{};
  if (c->cmsg_type == IP_RECVDSTADDR && control_payload(c, address)) {
    meta.destination_family = AF_INET;
    std::memcpy(meta.ip, &address, 4);
  } else if (c->cmsg_type == IP_RECVIF && c->cmsg_len >= CMSG_LEN(offsetof(::sockaddr_dl, sdl_index) + 2)) {
    std::memcpy(&link, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0) < sizeof link ? c->cmsg_len - CMSG_LEN(0) : sizeof link);
    meta.interface_index = link.sdl_index;
  }
}
#else
inline constexpr const char* receive_destination_call = "set_receive_destination";
inline constexpr std::size_t ipv4_destination_space = 0;
inline int set_ipv4_destination(native_handle, int) noexcept {
  errno = EOPNOTSUPP;
  return -1;
}
inline void read_ipv4_control(::cmsghdr*, detail::DatagramMetadata&) noexcept {}
#endif  // defined(IP_PKTINFO)

/// Room for every control message outlet asks for: a timestamp and the
/// larger of the IPv4 and IPv6 destination reports. More (options set
/// through set_option) does not fit, and the OS says so with MSG_CTRUNC.
inline constexpr std::size_t control_size =
    CMSG_SPACE(sizeof(timestamp_type)) + (CMSG_SPACE(sizeof(::in6_pktinfo)) > ipv4_destination_space
                                              ? CMSG_SPACE(sizeof(::in6_pktinfo))
                                              : ipv4_destination_space);
/// recvmsg()'s control buffer, aligned for cmsghdr.
struct control_buffer {
  alignas(::cmsghdr) unsigned char bytes[control_size];
};

/// setsockopt(SOL_SOCKET, SO_TIMESTAMPNS) (SO_TIMESTAMP off Linux).
inline int set_receive_timestamps(native_handle h, bool on) noexcept {
  const int value = on ? 1 : 0;
  return ::setsockopt(h, SOL_SOCKET, timestamp_option, &value, sizeof value);
}

/// getsockname() for the socket's family, then IPV6_RECVPKTINFO (IPv6) or
/// IP_PKTINFO (IPv4; IP_RECVDSTADDR and IP_RECVIF on the BSDs). A socket of
/// another family fails with EOPNOTSUPP.
inline int set_receive_destination(native_handle h, bool on) noexcept {
  ::sockaddr_storage name{};
  ::socklen_t len = sizeof name;
  if (::getsockname(h, reinterpret_cast<::sockaddr*>(&name), &len) != 0) return -1;
  const int value = on ? 1 : 0;
  if (name.ss_family == AF_INET6) return ::setsockopt(h, IPPROTO_IPV6, ipv6_destination_option, &value, sizeof value);
  if (name.ss_family == AF_INET) return set_ipv4_destination(h, value);
  errno = EOPNOTSUPP;
  return -1;
}

/// The metadata in a received message's control data.
inline void read_metadata(::msghdr& msg, detail::DatagramMetadata& meta) noexcept {
  meta = detail::DatagramMetadata{};
  meta.control_truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
  for (::cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    timestamp_type time{};
    ::in6_pktinfo info6{};
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == timestamp_message && control_payload(c, time)) {
      meta.has_timestamp = true;
      meta.timestamp_ns = timestamp_ns(time);
    } else if (c->cmsg_level == IPPROTO_IP) {
      read_ipv4_control(c, meta);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO && control_payload(c, info6)) {
      meta.destination_family = AF_INET6;
      std::memcpy(meta.ip, &info6.ipi6_addr, 16);
      meta.interface_index = convert<unsigned>(info6.ipi6_ifindex);
    }
  }
}

/// recvmsg(2) with a control buffer: one datagram, who sent it, whether it
/// was cut to fit `size` (MSG_TRUNC), and its metadata.
inline io_result recv_with_metadata(native_handle h, void* data, std::size_t size, ::sockaddr* from, socklen* from_len,
                                    bool dont_wait, bool& truncated, detail::DatagramMetadata& meta) noexcept {
  ::iovec iov{data, size};
  control_buffer control;
  ::msghdr msg{};
  msg.msg_name = from;
  msg.msg_namelen = from_len != nullptr ? *from_len : 0;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  const io_result n = ::recvmsg(h, &msg, dont_wait ? dont_wait_flag : 0);
  if (n < 0) return n;
  if (from_len != nullptr) *from_len = msg.msg_namelen;
  truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  read_metadata(msg, meta);
  return n;
}

#if defined(__linux__) && defined(MSG_WAITFORONE) && !defined(OUTLET_NO_MESSAGE_BATCH)
/// Gives one batch entry (set_message() first) a control buffer.
inline void set_message_control(message& m, control_buffer& control) noexcept {
  m.msg_hdr.msg_control = control.bytes;
  m.msg_hdr.msg_controllen = sizeof control.bytes;
}
/// The metadata recvmmsg() left in one batch entry's control buffer.
inline void message_metadata(message& m, detail::DatagramMetadata& meta) noexcept { read_metadata(m.msg_hdr, meta); }
#else
// Never called (has_message_batch is false), as the batch calls above.
inline void set_message_control(message&, control_buffer&) noexcept {}
inline void message_metadata(message&, detail::DatagramMetadata& meta) noexcept { meta = detail::DatagramMetadata{}; }
#endif  // defined(__linux__) && defined(MSG_WAITFORONE) && !defined(OUTLET_NO_MESSAGE_BATCH)
// --- Happy Eyeballs: racing connects, and name lookups with a deadline (#18) ---

/// At most this many connects outlet::connect() keeps in progress at once
/// (Windows' select() takes at most FD_SETSIZE; kept the same here).
inline constexpr std::size_t max_connect_waits = 64;

/// poll(2) on connects in progress (each entry's events is poll_out): an
/// entry's revents is non-zero once its connect ended, either way
/// (SO_ERROR says how). Returns how many ended, 0 timed out, -1 error.
inline int wait_connects(pollfd_type* fds, std::size_t count, int timeout_ms) noexcept {
  return ::poll(fds, convert<::nfds_t>(count), timeout_ms);
}

/// A copy of `text` with malloc(), or nullptr.
inline char* copy_name(const char* text) noexcept {
  const std::size_t n = std::strlen(text) + 1;
  auto* copy = static_cast<char*>(std::malloc(n));
  if (copy != nullptr) std::memcpy(copy, text, n);
  return copy;
}

/// How many lookup blocks (ThreadLookup, AsyncLookup) exist: each counts
/// itself from construction to destruction, so a test can see that a lookup
/// cut short is freed once it ends.
inline long lookup_blocks = 0;
/// lookup_blocks, read atomically.
inline long lookups_in_flight() noexcept { return __atomic_load_n(&lookup_blocks, __ATOMIC_SEQ_CST); }
/// Counts one lookup block for its lifetime (see lookup_blocks).
struct LookupCount {
  LookupCount() noexcept { __atomic_add_fetch(&lookup_blocks, 1, __ATOMIC_SEQ_CST); }
  ~LookupCount() { __atomic_sub_fetch(&lookup_blocks, 1, __ATOMIC_SEQ_CST); }
  LookupCount(const LookupCount&) = delete;
  LookupCount& operator=(const LookupCount&) = delete;
};

// pthread_create() is in the C library itself on glibc 2.34 and later,
// musl, Bionic and Apple's libSystem; elsewhere (older glibc, the BSDs) it
// needs -pthread, which outlet does not ask its users for: there a lookup
// cannot be given a deadline (lookups_can_time_out is false).
#if defined(__APPLE__) || (defined(__linux__) && !defined(__GLIBC__)) || \
    (defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34)))
/// A lookup with a deadline gives up on time here.
inline constexpr bool lookups_can_time_out = true;

/// A getaddrinfo() on a thread of its own (pthread_create), which the
/// caller waits for at most timeout_ms. What the lookup uses (the name, the
/// hints, the result) lives in this block on the heap, shared by the caller
/// and the thread and freed by whichever lets go last, so a caller that gave
/// up leaves the thread nothing dangling.
struct ThreadLookup {
  LookupCount counted{};
  ::pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  ::pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
  bool done = false;
  int references = 2;  // the caller and the thread
  int result = 0;      // getaddrinfo's return code
  ::addrinfo hints{};
  ::addrinfo* list = nullptr;
  char* name = nullptr;

  ThreadLookup() = default;
  ThreadLookup(const ThreadLookup&) = delete;
  ThreadLookup& operator=(const ThreadLookup&) = delete;
  ~ThreadLookup() {
    if (list != nullptr) ::freeaddrinfo(list);
    std::free(name);
    ::pthread_cond_destroy(&finished);
    ::pthread_mutex_destroy(&mutex);
  }
  /// Drops one reference (under the mutex); the last one deletes the block.
  void release() noexcept {
    ::pthread_mutex_lock(&mutex);
    const bool last = --references == 0;
    ::pthread_mutex_unlock(&mutex);
    if (last) delete this;
  }
  static void* run(void* arg) noexcept {
    auto* self = static_cast<ThreadLookup*>(arg);
    ::addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(self->name, nullptr, &self->hints, &found);
    ::pthread_mutex_lock(&self->mutex);
    self->result = rc;
    self->list = rc == 0 ? found : nullptr;
    self->done = true;
    ::pthread_cond_signal(&self->finished);
    ::pthread_mutex_unlock(&self->mutex);
    self->release();
    return nullptr;
  }
};

/// getaddrinfo(3) on a helper thread, waited for at most `timeout_ms`
/// (-1: no limit): 0 or an EAI_* code, with `timed_out` set (and the code
/// meaningless) if the time ran out first. The thread then finishes the
/// lookup on its own and frees what it holds. outlet uses it where glibc's
/// getaddrinfo_a() is missing; it exists on every POSIX system so that the
/// tests can run it anywhere.
inline int resolve_name_in_thread(const char* host, const ::addrinfo* hints, ::addrinfo** out, int timeout_ms,
                                  bool& timed_out) noexcept {
  timed_out = false;
  *out = nullptr;
  auto* lookup = new (std::nothrow) ThreadLookup;
  if (lookup == nullptr) return EAI_MEMORY;
  lookup->hints = *hints;
  lookup->name = copy_name(host);
  if (lookup->name == nullptr) {
    delete lookup;
    return EAI_MEMORY;
  }
  ::pthread_attr_t attr;
  int e = ::pthread_attr_init(&attr);
  if (e == 0) {
    (void)::pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    ::pthread_t thread;
    e = ::pthread_create(&thread, &attr, &ThreadLookup::run, lookup);
    ::pthread_attr_destroy(&attr);
  }
  if (e != 0) {
    delete lookup;
    errno = e;
    return EAI_SYSTEM;
  }
  ::timespec end{};
  if (timeout_ms >= 0) {
    ::clock_gettime(CLOCK_REALTIME, &end);
    end.tv_sec += timeout_ms / 1000;
    end.tv_nsec += static_cast<long>(timeout_ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
      end.tv_sec += 1;
      end.tv_nsec -= 1000000000L;
    }
  }
  int rc = 0;
  ::pthread_mutex_lock(&lookup->mutex);
  while (!lookup->done) {
    if (timeout_ms < 0) {
      ::pthread_cond_wait(&lookup->finished, &lookup->mutex);
    } else if (::pthread_cond_timedwait(&lookup->finished, &lookup->mutex, &end) == ETIMEDOUT) {
      break;
    }
  }
  if (lookup->done) {
    rc = lookup->result;
    *out = lookup->list;
    lookup->list = nullptr;
  } else {
    timed_out = true;
  }
  ::pthread_mutex_unlock(&lookup->mutex);
  lookup->release();
  return rc;
}

#else
/// No threads without -pthread here: a lookup cannot be given a deadline.
inline constexpr bool lookups_can_time_out = false;

/// getaddrinfo(3) as it is: without threads in the C library, the time it
/// takes cannot be limited, and `timed_out` is never set.
inline int resolve_name_in_thread(const char* host, const ::addrinfo* hints, ::addrinfo** out, int timeout_ms,
                                  bool& timed_out) noexcept {
  (void)timeout_ms;
  timed_out = false;
  return ::getaddrinfo(host, nullptr, hints, out);
}
#endif  // defined(__APPLE__) || ...

// ThreadSanitizer does not know the worker threads glibc starts for
// getaddrinfo_a() (libc creates them without going through the interceptor),
// and the first one to allocate crashes the program (clang 14, glibc 2.36):
// a TSan build uses the helper thread instead.
#if defined(__SANITIZE_THREAD__)
#define OUTLET_DETAIL_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OUTLET_DETAIL_THREAD_SANITIZER 1
#endif  // __has_feature(thread_sanitizer)
#endif  // defined(__SANITIZE_THREAD__)

#if defined(GAI_NOWAIT) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34)) && \
    !defined(OUTLET_DETAIL_THREAD_SANITIZER)
/// glibc 2.34 and later have getaddrinfo_a() in libc itself (before, it
/// needs -lanl, so older glibc uses the helper thread).
inline constexpr bool has_async_resolve = true;

/// One getaddrinfo_a() request and what it points at, on the heap: glibc's
/// resolver threads read it until the lookup ends.
struct AsyncLookup {
  LookupCount counted{};
  ::gaicb request{};
  ::addrinfo hints{};
  char* name = nullptr;

  AsyncLookup() = default;
  AsyncLookup(const AsyncLookup&) = delete;
  AsyncLookup& operator=(const AsyncLookup&) = delete;
  ~AsyncLookup() {
    if (request.ar_result != nullptr) ::freeaddrinfo(request.ar_result);
    std::free(name);
  }
  /// Waits for a request nobody waits for any more, then deletes it: the
  /// body of the thread that takes over one gai_cancel() could not stop.
  static void* reap(void* arg) noexcept {
    auto* self = static_cast<AsyncLookup*>(arg);
    const ::gaicb* list[1] = {&self->request};
    while (::gai_error(&self->request) == EAI_INPROGRESS) (void)::gai_suspend(list, 1, nullptr);
    delete self;
    return nullptr;
  }
};

/// getaddrinfo_a(3) (GAI_NOWAIT), then gai_suspend(3) until it ends or
/// `timeout_ms` pass (-1: no limit): 0 or an EAI_* code, with `timed_out`
/// set if the time ran out first. A request still queued is taken back with
/// gai_cancel(3); one already running cannot be, so a detached thread waits
/// for it and frees it (if that thread cannot start, the block is left
/// allocated rather than freed while glibc still uses it).
inline int resolve_name_within(const char* host, const ::addrinfo* hints, ::addrinfo** out, int timeout_ms,
                               bool& timed_out) noexcept {
  timed_out = false;
  *out = nullptr;
  auto* lookup = new (std::nothrow) AsyncLookup;
  if (lookup == nullptr) return EAI_MEMORY;
  lookup->hints = *hints;
  lookup->name = copy_name(host);
  if (lookup->name == nullptr) {
    delete lookup;
    return EAI_MEMORY;
  }
  lookup->request.ar_name = lookup->name;
  lookup->request.ar_request = &lookup->hints;
  ::gaicb* requests[1] = {&lookup->request};
  const int started = ::getaddrinfo_a(GAI_NOWAIT, requests, 1, nullptr);
  if (started != 0 && ::gai_error(&lookup->request) != EAI_INPROGRESS) {
    // Not queued (EAI_AGAIN, EAI_MEMORY, EAI_SYSTEM): glibc holds nothing.
    delete lookup;
    return started;
  }
  const std::int64_t end = monotonic_ns() + std::int64_t{timeout_ms} * 1000000;
  const ::gaicb* waiting[1] = {&lookup->request};
  int rc = ::gai_error(&lookup->request);
  while (rc == EAI_INPROGRESS) {
    ::timespec left{};
    if (timeout_ms >= 0) {
      const std::int64_t ns = end - monotonic_ns();
      if (ns <= 0) break;
      left.tv_sec = convert<::time_t>(ns / 1000000000);
      left.tv_nsec = convert<long>(ns % 1000000000);
    }
    (void)::gai_suspend(waiting, 1, timeout_ms >= 0 ? &left : nullptr);  // ends early on EAI_INTR: loop
    rc = ::gai_error(&lookup->request);
  }
  if (rc == EAI_INPROGRESS) {
    const int cancelled = ::gai_cancel(&lookup->request);
    if (cancelled == EAI_NOTCANCELED) {
      timed_out = true;
      ::pthread_attr_t attr;
      if (::pthread_attr_init(&attr) == 0) {
        (void)::pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        ::pthread_t thread;
        (void)::pthread_create(&thread, &attr, &AsyncLookup::reap, lookup);  // fails: left allocated
        ::pthread_attr_destroy(&attr);
      }
      return 0;
    }
    rc = ::gai_error(&lookup->request);
    if (cancelled == EAI_CANCELED || rc == EAI_CANCELED) {  // never ran: glibc holds nothing
      timed_out = true;
      delete lookup;
      return 0;
    }
    // EAI_ALLDONE: it ended just now; use what it found.
  }
  if (rc == 0) {
    *out = lookup->request.ar_result;
    lookup->request.ar_result = nullptr;
  }
  delete lookup;
  return rc;
}
#else
/// No getaddrinfo_a() here (or only with -lanl): the helper thread, where
/// there are threads without -pthread.
inline constexpr bool has_async_resolve = false;

/// getaddrinfo(3) waited for at most `timeout_ms` (see resolve_name_in_thread).
inline int resolve_name_within(const char* host, const ::addrinfo* hints, ::addrinfo** out, int timeout_ms,
                               bool& timed_out) noexcept {
  return resolve_name_in_thread(host, hints, out, timeout_ms, timed_out);
}
#endif  // defined(GAI_NOWAIT) && defined(__GLIBC__) && ... && !defined(OUTLET_DETAIL_THREAD_SANITIZER)

}  // namespace detail::sys
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // defined(OUTLET_PLATFORM_POSIX)
#endif  // OUTLET_DETAIL_PLATFORM_POSIX_HPP
