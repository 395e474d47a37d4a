// outlet — the Winsock side of the sys:: contract in platform.hpp.
// The only file (with platform_posix.hpp) that includes Windows headers or
// spells WSA*. Winsock is started lazily, once, by the first socket or
// name lookup; users never call an init function.
#ifndef OUTLET_DETAIL_PLATFORM_WINDOWS_HPP
#define OUTLET_DETAIL_PLATFORM_WINDOWS_HPP
#if defined(OUTLET_PLATFORM_WINDOWS)  // selected by platform.hpp

// <winsock2.h> cannot follow Winsock 1's <winsock.h>, which <windows.h>
// pulls in unless WIN32_LEAN_AND_MEAN is defined.
#if defined(_WINSOCKAPI_) && !defined(_WINSOCK2API_)
#error \
    "outlet: <winsock.h> (Winsock 1) is already included, probably by <windows.h>; include <outlet/outlet.hpp> before <windows.h>, or define WIN32_LEAN_AND_MEAN before <windows.h>"
#endif  // defined(_WINSOCKAPI_) && !defined(_WINSOCK2API_)

// Keep <windows.h>'s min/max macros out of the user's code unless they
// asked for them before including outlet.
#if !defined(NOMINMAX)
#define NOMINMAX
#define OUTLET_DETAIL_UNDEF_NOMINMAX
#endif  // !defined(NOMINMAX)
#include <winsock2.h>
#include <ws2tcpip.h>
// WSARecvMsg's id and the WSA_CMSG_* macros (receive metadata).
#include <mswsock.h>
// Network interfaces (names, indexes, the adapter list) live in iphlpapi.
#include <iphlpapi.h>
#include <netioapi.h>
#if __has_include(<afunix.h>)
#include <afunix.h>
#define OUTLET_DETAIL_HAVE_AFUNIX 1
#endif  // __has_include(<afunix.h>)
#if defined(OUTLET_DETAIL_UNDEF_NOMINMAX)
#undef NOMINMAX
#undef OUTLET_DETAIL_UNDEF_NOMINMAX
#endif  // defined(OUTLET_DETAIL_UNDEF_NOMINMAX)

// WSAPoll, inet_ntop and IPV6_V6ONLY need Windows Vista's Winsock.
#if defined(_WIN32_WINNT) && _WIN32_WINNT < 0x0600
#error "outlet needs _WIN32_WINNT >= 0x0600 (Windows Vista or later); it is set lower"
#endif  // defined(_WIN32_WINNT) && _WIN32_WINNT < 0x0600

// MSVC users who copy the headers get ws2_32 and iphlpapi without touching the linker
// settings; define OUTLET_NO_PRAGMA_LIB to link it yourself.
#if defined(_MSC_VER) && !defined(OUTLET_NO_PRAGMA_LIB)
#pragma comment(lib, "ws2_32.lib")
#pragma comment(lib, "iphlpapi.lib")
#endif  // defined(_MSC_VER) && !defined(OUTLET_NO_PRAGMA_LIB)

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace detail::sys {

using native_handle = ::SOCKET;
using socklen = int;
using io_result = int;

#if defined(OUTLET_DETAIL_HAVE_AFUNIX)
using unix_sockaddr = ::sockaddr_un;
#else
struct unix_sockaddr {  // the layout <afunix.h> declares
  ::ADDRESS_FAMILY sun_family;
  char sun_path[108];
};
#endif  // defined(OUTLET_DETAIL_HAVE_AFUNIX)

inline constexpr native_handle invalid_handle = INVALID_SOCKET;

inline constexpr int shut_receive = SD_RECEIVE;
inline constexpr int shut_send = SD_SEND;
inline constexpr int shut_both = SD_BOTH;

inline constexpr short poll_in = POLLRDNORM;
inline constexpr short poll_out = POLLWRNORM;
inline constexpr short poll_err = POLLERR;
inline constexpr short poll_hup = POLLHUP;
inline constexpr short poll_nval = POLLNVAL;
inline constexpr short poll_rdhup = 0;  // WSAPoll reports POLLHUP only

inline constexpr bool has_abstract_unix = false;
inline constexpr bool accept_inherits_non_blocking = true;
// send()/recv() take no "don't wait" flag: a timed call needs the handle
// non-blocking (a blocking send() waits until all of its data is queued).
inline constexpr bool has_dont_wait_flag = false;

// listen()'s default backlog: SOMAXCONN asks Winsock for a reasonable maximum.
inline constexpr int max_backlog = SOMAXCONN;

// SO_REUSEADDR on Windows lets another process steal the port; servers
// take it exclusively instead (restarts still rebind at once).
inline constexpr int listener_reuse_option = SO_EXCLUSIVEADDRUSE;

// --- errors ---------------------------------------------------------------

inline constexpr int err_interrupted = WSAEINTR;
inline constexpr int err_would_block = WSAEWOULDBLOCK;
inline constexpr int err_connect_aborted = WSAECONNABORTED;
inline constexpr int err_message_size = WSAEMSGSIZE;
inline constexpr int err_in_progress = WSAEINPROGRESS;

inline int last_error() noexcept { return ::WSAGetLastError(); }
inline void set_last_error(int e) noexcept { ::WSASetLastError(e); }

#if defined(_MSVC_STL_VERSION)
/// MSVC's std::system_category() already maps WSAE* codes to std::errc.
inline const std::error_category& os_category() noexcept { return std::system_category(); }
#else
/// The std::errc condition a Winsock error corresponds to (0 if none), and
/// a short description for runtimes whose FormatMessage has none (Wine).
struct WinsockErrno {
  int wsa;
  std::errc condition;
  const char* text;
};

inline const WinsockErrno* find_winsock_errno(int code) noexcept {
  using E = std::errc;
  static const WinsockErrno table[] = {
      {WSAEINTR, E::interrupted, "Blocking call interrupted"},
      {WSAEBADF, E::bad_file_descriptor, "Bad file descriptor"},
      {WSAEACCES, E::permission_denied, "Permission denied"},
      {WSAEFAULT, E::bad_address, "Bad address"},
      {WSAEINVAL, E::invalid_argument, "Invalid argument"},
      {WSAEMFILE, E::too_many_files_open, "Too many open sockets"},
      {WSAEWOULDBLOCK, E::operation_would_block, "Operation would block"},
      {WSAEINPROGRESS, E::operation_in_progress, "Operation now in progress"},
      {WSAEALREADY, E::connection_already_in_progress, "Operation already in progress"},
      {WSAENOTSOCK, E::not_a_socket, "Not a socket"},
      {WSAEDESTADDRREQ, E::destination_address_required, "Destination address required"},
      {WSAEMSGSIZE, E::message_size, "Message too long"},
      {WSAEPROTOTYPE, E::wrong_protocol_type, "Protocol wrong type for socket"},
      {WSAENOPROTOOPT, E::no_protocol_option, "Protocol not available"},
      {WSAEPROTONOSUPPORT, E::protocol_not_supported, "Protocol not supported"},
      {WSAESOCKTNOSUPPORT, E::not_supported, "Socket type not supported"},
      {WSAEOPNOTSUPP, E::operation_not_supported, "Operation not supported"},
      {WSAEPFNOSUPPORT, E::address_family_not_supported, "Protocol family not supported"},
      {WSAEAFNOSUPPORT, E::address_family_not_supported, "Address family not supported"},
      {WSAEADDRINUSE, E::address_in_use, "Address already in use"},
      {WSAEADDRNOTAVAIL, E::address_not_available, "Cannot assign requested address"},
      {WSAENETDOWN, E::network_down, "Network is down"},
      {WSAENETUNREACH, E::network_unreachable, "Network is unreachable"},
      {WSAENETRESET, E::network_reset, "Network dropped connection on reset"},
      {WSAECONNABORTED, E::connection_aborted, "Software caused connection abort"},
      {WSAECONNRESET, E::connection_reset, "Connection reset by peer"},
      {WSAENOBUFS, E::no_buffer_space, "No buffer space available"},
      {WSAEISCONN, E::already_connected, "Socket is already connected"},
      {WSAENOTCONN, E::not_connected, "Socket is not connected"},
      {WSAESHUTDOWN, E::broken_pipe, "Cannot send after socket shutdown"},
      {WSAETIMEDOUT, E::timed_out, "Connection timed out"},
      {WSAECONNREFUSED, E::connection_refused, "Connection refused"},
      {WSAELOOP, E::too_many_symbolic_link_levels, "Too many levels of symbolic links"},
      {WSAENAMETOOLONG, E::filename_too_long, "File name too long"},
      {WSAEHOSTDOWN, E::host_unreachable, "Host is down"},
      {WSAEHOSTUNREACH, E::host_unreachable, "No route to host"},
  };
  for (const WinsockErrno& entry : table) {
    if (entry.wsa == code) return &entry;
  }
  return nullptr;
}

/// system_category() for Windows standard libraries that do not map WSAE*
/// codes to std::errc (MinGW-w64's libstdc++, libc++): values are the
/// native GetLastError()/WSAGetLastError() codes, messages come from
/// FormatMessage, and default_error_condition() adds the Winsock mapping
/// to the standard library's own.
class WinsockCategory final : public std::error_category {
public:
  const char* name() const noexcept override { return "outlet.system"; }

  std::error_condition default_error_condition(int code) const noexcept override {
    if (const WinsockErrno* entry = find_winsock_errno(code)) return entry->condition;
    const std::error_condition native = std::system_category().default_error_condition(code);
    if (native.category() == std::generic_category()) return native;
    return {code, *this};
  }

  std::string message(int code) const override {
    char* buffer = nullptr;
    const DWORD size =
        ::FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                         nullptr, static_cast<DWORD>(code), 0, reinterpret_cast<char*>(&buffer), 0, nullptr);
    std::string text(buffer != nullptr ? buffer : "", size);
    if (buffer != nullptr) ::LocalFree(buffer);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
      text.pop_back();
    }
    if (!text.empty()) return text;
    if (const WinsockErrno* entry = find_winsock_errno(code)) return entry->text;
    return "Unknown error " + std::to_string(code);
  }
};

inline const std::error_category& os_category() noexcept {
  static const WinsockCategory category;
  return category;
}
#endif  // defined(_MSVC_STL_VERSION)

/// A native Winsock or Windows error in os_category().
inline std::error_code to_error_code(int e) noexcept { return {e, os_category()}; }

/// A non-blocking connect() that has started reports WSAEWOULDBLOCK.
inline bool connect_in_progress(int e) noexcept { return e == WSAEWOULDBLOCK || e == WSAEINPROGRESS; }

/// WSAStartup once, on first use, thread-safe (a function-local static);
/// WSACleanup at exit.
inline std::error_code ensure_started() noexcept {
  struct Winsock {
    int error = 0;
    Winsock() noexcept {
      ::WSADATA data;
      error = ::WSAStartup(MAKEWORD(2, 2), &data);
    }
    ~Winsock() {
      if (error == 0) ::WSACleanup();
    }
  };
  static const Winsock winsock;
  return winsock.error == 0 ? std::error_code{} : to_error_code(winsock.error);
}

// --- sockets --------------------------------------------------------------

/// WSASocketW with WSA_FLAG_NO_HANDLE_INHERIT: the close-on-exec equivalent.
/// A UDP socket also gets SIO_UDP_CONNRESET turned off: otherwise an ICMP
/// "port unreachable" for any datagram it sent fails its next recvfrom()
/// with WSAECONNRESET, which POSIX never reports on an unconnected socket.
inline native_handle open_socket(int family, int type, int protocol) noexcept {
  if (ensure_started()) return invalid_handle;
  const native_handle h =
      ::WSASocketW(family, type, protocol, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (h != invalid_handle && type == SOCK_DGRAM && family != AF_UNIX) {
    BOOL report = FALSE;
    DWORD returned = 0;
    const DWORD udp_connreset = _WSAIOW(IOC_VENDOR, 12);  // SIO_UDP_CONNRESET (<mswsock.h>)
    (void)::WSAIoctl(h, udp_connreset, &report, sizeof report, nullptr, 0, &returned, nullptr, nullptr);
  }
  return h;
}

/// accept(), then SetHandleInformation so that child processes do not
/// inherit the connection (accept() has no WSA_FLAG_NO_HANDLE_INHERIT).
/// Layered providers can refuse it; the socket is usable either way.
inline native_handle accept_socket(native_handle h, ::sockaddr* addr, socklen* len) noexcept {
  const native_handle c = ::accept(h, addr, len);
  if (c != invalid_handle) (void)::SetHandleInformation(reinterpret_cast<HANDLE>(c), HANDLE_FLAG_INHERIT, 0);
  return c;
}

/// closesocket().
inline int close_socket(native_handle h) noexcept { return ::closesocket(h); }

/// ioctlsocket(FIONBIO).
inline int set_blocking_mode(native_handle h, bool non_blocking) noexcept {
  u_long value = non_blocking ? 1 : 0;
  return ::ioctlsocket(h, FIONBIO, &value);
}

// Winsock lengths are int: larger requests are sent or received in part
// (the callers loop), never truncated silently.
inline int clamp_size(std::size_t size) noexcept {
  return size > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(size);
}

/// send(). Winsock never raises SIGPIPE.
inline io_result send_some(native_handle h, const void* data, std::size_t size, bool) noexcept {
  return ::send(h, static_cast<const char*>(data), clamp_size(size), 0);
}

/// recv().
inline io_result recv_some(native_handle h, void* data, std::size_t size, bool) noexcept {
  return ::recv(h, static_cast<char*>(data), clamp_size(size), 0);
}

/// sendto(); `to` may be null on a connected socket. A datagram cannot be
/// split, so one longer than sendto()'s int length fails with WSAEMSGSIZE.
inline io_result send_datagram(native_handle h, const void* data, std::size_t size, const ::sockaddr* to,
                               socklen to_len, bool) noexcept {
  if (size > static_cast<std::size_t>(INT_MAX)) {
    ::WSASetLastError(WSAEMSGSIZE);
    return SOCKET_ERROR;
  }
  return ::sendto(h, static_cast<const char*>(data), static_cast<int>(size), 0, to, to_len);
}

/// recvfrom(); Winsock fails a cut datagram with WSAEMSGSIZE after filling
/// the buffer, which is reported as truncation.
inline io_result recv_datagram(native_handle h, void* data, std::size_t size, ::sockaddr* from, socklen* from_len, bool,
                               bool& truncated) noexcept {
  int n = ::recvfrom(h, static_cast<char*>(data), clamp_size(size), 0, from, from_len);
  truncated = n == SOCKET_ERROR && ::WSAGetLastError() == WSAEMSGSIZE;
  return truncated ? clamp_size(size) : n;
}

// --- one line per OS call ----------------------------------------------------
// The calls portable code makes as they are: 0 or SOCKET_ERROR (-1) with
// the error in last_error(). Winsock's option calls take char*.

/// connect().
inline int connect_socket(native_handle h, const ::sockaddr* to, socklen len) noexcept { return ::connect(h, to, len); }
/// bind().
inline int bind_socket(native_handle h, const ::sockaddr* local, socklen len) noexcept { return ::bind(h, local, len); }
/// listen().
inline int listen_socket(native_handle h, int backlog) noexcept { return ::listen(h, backlog); }
/// shutdown(); `how` is shut_receive, shut_send or shut_both.
inline int shutdown_socket(native_handle h, int how) noexcept { return ::shutdown(h, how); }
/// setsockopt().
inline int set_option(native_handle h, int level, int name, const void* value, socklen size) noexcept {
  return ::setsockopt(h, level, name, static_cast<const char*>(value), size);
}
/// getsockopt(); `size` is in/out.
inline int get_option(native_handle h, int level, int name, void* value, socklen* size) noexcept {
  return ::getsockopt(h, level, name, static_cast<char*>(value), size);
}
/// getsockname().
inline int local_name(native_handle h, ::sockaddr* out, socklen* len) noexcept { return ::getsockname(h, out, len); }
/// getpeername().
inline int peer_name(native_handle h, ::sockaddr* out, socklen* len) noexcept { return ::getpeername(h, out, len); }
/// inet_pton(): 1 parsed, 0 not an address of `family`.
inline int text_to_ip(int family, const char* text, void* out) noexcept { return ::inet_pton(family, text, out); }
/// inet_ntop(): false if `size` is too small.
inline bool ip_to_text(int family, const void* ip, char* out, socklen size) noexcept {
  return ::inet_ntop(family, const_cast<void*>(ip), out, static_cast<std::size_t>(size)) != nullptr;
}
/// getaddrinfo(): 0, or an EAI_* (WSA*) code.
inline int resolve_name(const char* host, const ::addrinfo* hints, ::addrinfo** out) noexcept {
  return ::getaddrinfo(host, nullptr, hints, out);
}
/// freeaddrinfo().
inline void free_resolved(::addrinfo* list) noexcept { ::freeaddrinfo(list); }

// SO_REUSEADDR on a Windows stream socket lets another socket take the port:
// its "rebind at once" is SO_EXCLUSIVEADDRUSE (listener_reuse_option), while
// a datagram socket's "share the port" is SO_REUSEADDR as on POSIX.
inline constexpr bool stream_reuse_is_exclusive = true;

// --- vectored and batch I/O ---------------------------------------------------

/// One buffer of a vectored call. WSABUF's length is a ULONG and a call
/// moves at most INT_MAX bytes, so outlet keeps size_t here and converts
/// (send_vector, recv_vector): a larger stream request moves in part, and
/// DatagramSocket refuses a datagram that large before it gets here.
/// `v` points at the first of an array of ConstBuffer / MutableBuffer,
/// each exactly one io_vector (static_asserts in buffer.hpp).
struct io_vector {
  void* data;
  std::size_t size;
};
inline io_vector make_io_vector(const void* data, std::size_t size) noexcept { return {const_cast<void*>(data), size}; }
inline void* io_vector_data(const io_vector& v) noexcept { return v.data; }
inline std::size_t io_vector_size(const io_vector& v) noexcept { return v.size; }

/// The most buffers one WSASend()/WSARecv() gets from outlet; a longer
/// list is sent in part, and send_all loops.
inline constexpr std::size_t max_io_vectors = 64;

/// Converts up to max_io_vectors buffers to WSABUFs, at most INT_MAX bytes
/// in all; returns how many WSABUFs it filled (at least one).
inline DWORD to_wsabufs(const io_vector* v, std::size_t count, ::WSABUF* out) noexcept {
  DWORD n = 0;
  std::size_t total = 0;
  while (n < count && n < max_io_vectors) {
    const std::size_t room = static_cast<std::size_t>(INT_MAX) - total;
    const std::size_t size = v[n].size < room ? v[n].size : room;
    out[n].len = static_cast<ULONG>(size);
    out[n].buf = static_cast<char*>(v[n].data);
    total += size;
    ++n;
    if (size == room) break;
  }
  if (n == 0) {  // no buffers: one empty one, as sendmsg() takes none
    out[0].len = 0;
    out[0].buf = nullptr;
    n = 1;
  }
  return n;
}

/// WSASendTo() over `count` buffers; `to` may be null on a connected socket.
inline io_result send_vector(native_handle h, const io_vector* v, std::size_t count, const ::sockaddr* to,
                             socklen to_len, bool) noexcept {
  ::WSABUF bufs[max_io_vectors];
  const DWORD n = to_wsabufs(v, count, bufs);
  DWORD sent = 0;
  if (::WSASendTo(h, bufs, n, &sent, 0, to, to != nullptr ? to_len : 0, nullptr, nullptr) == SOCKET_ERROR)
    return SOCKET_ERROR;
  return static_cast<io_result>(sent);
}

/// WSARecvFrom() into `count` buffers. A datagram that did not fit fills
/// them and fails with WSAEMSGSIZE, which is reported as truncation.
inline io_result recv_vector(native_handle h, const io_vector* v, std::size_t count, ::sockaddr* from,
                             socklen* from_len, bool, bool& truncated) noexcept {
  ::WSABUF bufs[max_io_vectors];
  const DWORD n = to_wsabufs(v, count, bufs);
  DWORD received = 0;
  DWORD flags = 0;
  truncated = false;
  if (::WSARecvFrom(h, bufs, n, &received, &flags, from, from_len, nullptr, nullptr) == SOCKET_ERROR) {
    if (::WSAGetLastError() != WSAEMSGSIZE) return SOCKET_ERROR;
    truncated = true;
    std::size_t total = 0;
    for (DWORD i = 0; i < n; ++i) total += bufs[i].len;
    return static_cast<io_result>(total);
  }
  return static_cast<io_result>(received);
}

/// Winsock has no sendmmsg()/recvmmsg(): the portable layer loops.
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

/// Sleep().
inline void sleep_ms(int ms) noexcept { ::Sleep(static_cast<DWORD>(ms)); }

/// QueryPerformanceCounter(), in nanoseconds: the clock deadlines count on.
inline std::int64_t monotonic_ns() noexcept {
  LARGE_INTEGER frequency, now;
  ::QueryPerformanceFrequency(&frequency);
  ::QueryPerformanceCounter(&now);
  // Whole seconds, then the rest, so that the multiplication cannot overflow.
  const std::int64_t f = frequency.QuadPart, t = now.QuadPart;
  return t / f * 1000000000 + t % f * 1000000000 / f;
}

/// Winsock has no "backlog full, try again" from connect().
inline bool connect_backlog_full(int) noexcept { return false; }

/// WSAPoll on one socket. Returns >0 ready, 0 timed out, -1 error.
inline int poll_one(native_handle h, short events, int timeout_ms, short& revents) noexcept {
  ::WSAPOLLFD p{h, events, 0};
  int r = ::WSAPoll(&p, 1, timeout_ms);
  revents = p.revents;
  return r;
}

/// The element type of poll_many().
using pollfd_type = ::WSAPOLLFD;

/// WSAPoll on many sockets. Returns the number ready, 0 timed out, -1 error.
/// WSAPoll rejects an empty set, which poll() accepts as a plain wait: do that.
inline int poll_many(pollfd_type* fds, std::size_t count, int timeout_ms) noexcept {
  if (count == 0) {
    ::Sleep(timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms));
    return 0;
  }
  return ::WSAPoll(fds, static_cast<ULONG>(count), timeout_ms);
}

/// select() for a connect() in progress: writable when it succeeded, in the
/// "except" set when it failed. Not WSAPoll: before Windows 10 2004, WSAPoll
/// never reports a failed connect and waits out the whole timeout.
/// Returns >0 finished (SO_ERROR says how), 0 timed out, -1 error.
inline int wait_connect(native_handle h, int timeout_ms) noexcept {
  ::fd_set writable{};
  ::fd_set failed{};
  writable.fd_count = 1;
  writable.fd_array[0] = h;
  failed.fd_count = 1;
  failed.fd_array[0] = h;
  ::timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  return ::select(0, nullptr, &writable, &failed, timeout_ms < 0 ? nullptr : &tv);
}

// --- Unix-domain socket files ----------------------------------------------

/// Which file bind() created: its volume and file index, so close()
/// removes only that file and not one a later server put at the same path.
struct FileIdentity {
  bool valid = false;
  DWORD volume = 0;
  DWORD index_high = 0;
  DWORD index_low = 0;
};

/// CreateFileA (the reparse point itself, not its target) and
/// GetFileInformationByHandle: the identity of the file at path, if any.
inline FileIdentity unix_path_identity(const char* path) noexcept {
  const HANDLE file =
      ::CreateFileA(path, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                    OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (file == INVALID_HANDLE_VALUE) return {};
  FileIdentity id;
  ::BY_HANDLE_FILE_INFORMATION info{};
  if (::GetFileInformationByHandle(file, &info)) {
    id = {true, info.dwVolumeSerialNumber, info.nFileIndexHigh, info.nFileIndexLow};
  }
  ::CloseHandle(file);
  return id;
}

/// DeleteFileA the socket file bind() created, if it is still that file.
inline void remove_unix_path(const char* path, const FileIdentity& created) noexcept {
  if (!created.valid) return;
  const FileIdentity now = unix_path_identity(path);
  if (now.valid && now.volume == created.volume && now.index_high == created.index_high &&
      now.index_low == created.index_low) {
    ::DeleteFileA(path);
  }
}

// --- multicast and network interfaces (issue #19) ----------------------------

/// Windows Vista and later have source-specific multicast (MCAST_JOIN_SOURCE_GROUP).
inline constexpr bool has_source_multicast = true;

/// The value IP_MULTICAST_TTL and IP_MULTICAST_LOOP take: a DWORD.
using ipv4_multicast_value = DWORD;

/// The older options, for a Winsock without MCAST_JOIN_GROUP (Wine's):
/// IPV6_ADD_MEMBERSHIP, and IP_ADD_MEMBERSHIP / IP_ADD_SOURCE_MEMBERSHIP
/// with the interface index written as an address in 0.0.0.0/8 (network
/// byte order), which Winsock reads as an index.
inline int change_membership_by_mreq(native_handle h, bool join, const ::sockaddr* group, const ::sockaddr* source,
                                     unsigned index) noexcept {
  if (group->sa_family == AF_INET6) {
    if (source != nullptr) {
      ::WSASetLastError(WSAENOPROTOOPT);  // no IPv6 source filter without MCAST_JOIN_SOURCE_GROUP
      return SOCKET_ERROR;
    }
    ::ipv6_mreq req{};
    req.ipv6mr_multiaddr = reinterpret_cast<const ::sockaddr_in6*>(group)->sin6_addr;
    req.ipv6mr_interface = index;
    return ::setsockopt(h, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP,
                        reinterpret_cast<const char*>(&req), sizeof req);
  }
  if (source != nullptr) {
    ::ip_mreq_source req{};
    req.imr_multiaddr = reinterpret_cast<const ::sockaddr_in*>(group)->sin_addr;
    req.imr_sourceaddr = reinterpret_cast<const ::sockaddr_in*>(source)->sin_addr;
    req.imr_interface.s_addr = htonl(index);
    return ::setsockopt(h, IPPROTO_IP, join ? IP_ADD_SOURCE_MEMBERSHIP : IP_DROP_SOURCE_MEMBERSHIP,
                        reinterpret_cast<const char*>(&req), sizeof req);
  }
  ::ip_mreq req{};
  req.imr_multiaddr = reinterpret_cast<const ::sockaddr_in*>(group)->sin_addr;
  req.imr_interface.s_addr = htonl(index);
  return ::setsockopt(h, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, reinterpret_cast<const char*>(&req),
                      sizeof req);
}

/// setsockopt(MCAST_JOIN_GROUP / MCAST_LEAVE_GROUP), or with a `source`
/// MCAST_JOIN_SOURCE_GROUP / MCAST_LEAVE_SOURCE_GROUP, at the group's level
/// (IPPROTO_IP or IPPROTO_IPV6), on interface `index` (0: the OS picks).
/// A Winsock that refuses those options (WSAENOPROTOOPT: Wine) gets the
/// older ones (change_membership_by_mreq).
inline int change_membership(native_handle h, bool join, const ::sockaddr* group, socklen group_size,
                             const ::sockaddr* source, socklen source_size, unsigned index) noexcept {
  const int level = group->sa_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
  int r = 0;
  if (source == nullptr) {
    ::GROUP_REQ req{};
    req.gr_interface = index;
    std::memcpy(&req.gr_group, group, static_cast<std::size_t>(group_size));
    r = ::setsockopt(h, level, join ? MCAST_JOIN_GROUP : MCAST_LEAVE_GROUP, reinterpret_cast<const char*>(&req),
                     sizeof req);
  } else {
    ::GROUP_SOURCE_REQ req{};
    req.gsr_interface = index;
    std::memcpy(&req.gsr_group, group, static_cast<std::size_t>(group_size));
    std::memcpy(&req.gsr_source, source, static_cast<std::size_t>(source_size));
    r = ::setsockopt(h, level, join ? MCAST_JOIN_SOURCE_GROUP : MCAST_LEAVE_SOURCE_GROUP,
                     reinterpret_cast<const char*>(&req), sizeof req);
  }
  if (r == 0 || ::WSAGetLastError() != WSAENOPROTOOPT) return r;
  return change_membership_by_mreq(h, join, group, source, index);
}

/// IPV6_MULTICAST_IF, or IP_MULTICAST_IF with the index written as an
/// address in 0.0.0.0/8 (network byte order), which Winsock reads as an
/// interface index: the interface multicast datagrams leave by; 0 resets
/// it to the OS's choice.
inline int set_multicast_interface(native_handle h, int family, unsigned index) noexcept {
  const DWORD value = family == AF_INET6 ? index : htonl(index);
  return ::setsockopt(h, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
                      family == AF_INET6 ? IPV6_MULTICAST_IF : IP_MULTICAST_IF, reinterpret_cast<const char*>(&value),
                      sizeof value);
}

/// A socket's address family (AF_INET, AF_INET6...), or -1 with the error
/// in last_error(): getsockopt(SO_PROTOCOL_INFOW), as getsockname() fails
/// on an unbound socket.
inline int socket_family(native_handle h) noexcept {
  ::WSAPROTOCOL_INFOW info{};
  int size = sizeof info;
  if (::getsockopt(h, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info), &size) != 0) return -1;
  return info.iAddressFamily;
}

/// One address of one network interface, as list_interfaces() reports it;
/// `address` is null (size 0) for an interface without an IP address.
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

/// GetAdaptersAddresses() (iphlpapi): calls visit() for each unicast
/// address of each adapter (once with no address for an adapter that has
/// none), named as if_nametoindex() knows it (ConvertInterfaceLuidToNameA).
/// Returns 0, or -1 with the error in last_error().
inline int list_interfaces(interface_visitor visit, void* context) noexcept {
  const ULONG flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER;
  ULONG size = 16 * 1024;
  ::IP_ADAPTER_ADDRESSES* list = nullptr;
  ULONG rc = ERROR_BUFFER_OVERFLOW;
  // The list can grow between the call that sizes it and the next: retry.
  for (int attempt = 0; attempt < 4 && rc == ERROR_BUFFER_OVERFLOW; ++attempt) {
    std::free(list);
    list = static_cast<::IP_ADAPTER_ADDRESSES*>(std::malloc(size));
    if (list == nullptr) {
      rc = ERROR_NOT_ENOUGH_MEMORY;
      break;
    }
    rc = ::GetAdaptersAddresses(AF_UNSPEC, flags, nullptr, list, &size);
  }
  if (rc != ERROR_SUCCESS && rc != ERROR_NO_DATA) {
    std::free(list);
    ::WSASetLastError(static_cast<int>(rc));
    return -1;
  }
  bool more = true;
  for (const ::IP_ADAPTER_ADDRESSES* a = rc == ERROR_SUCCESS ? list : nullptr; a != nullptr && more; a = a->Next) {
    char name[IF_NAMESIZE + 1] = {};
    if (::ConvertInterfaceLuidToNameA(&a->Luid, name, sizeof name) != NO_ERROR) {
      std::snprintf(name, sizeof name, "%s", a->AdapterName);
    }
    InterfaceEntry entry{name,
                         a->IfIndex != 0 ? static_cast<unsigned>(a->IfIndex) : static_cast<unsigned>(a->Ipv6IfIndex),
                         nullptr,
                         0,
                         a->OperStatus == IfOperStatusUp,
                         a->IfType == IF_TYPE_SOFTWARE_LOOPBACK,
                         (a->Flags & IP_ADAPTER_NO_MULTICAST) == 0};
    if (a->FirstUnicastAddress == nullptr) more = visit(context, entry);
    for (const ::IP_ADAPTER_UNICAST_ADDRESS* u = a->FirstUnicastAddress; u != nullptr && more; u = u->Next) {
      entry.address = u->Address.lpSockaddr;
      entry.address_size = u->Address.iSockaddrLength;
      more = visit(context, entry);
    }
  }
  std::free(list);
  return 0;
}

// --- names ----------------------------------------------------------------

/// if_nametoindex() (iphlpapi); 0 if there is no such interface. Names are
/// the ones ConvertInterfaceLuidToNameA gives ("loopback_0", "ethernet_32768").
inline unsigned interface_index(const char* name) noexcept { return ::if_nametoindex(name); }
/// if_indextoname() (iphlpapi) into buf (IF_NAMESIZE bytes); false if unknown.
inline constexpr std::size_t interface_name_size = IF_NAMESIZE;
inline bool interface_name(unsigned index, char* buf) noexcept { return ::if_indextoname(index, buf) != nullptr; }

/// gai_strerrorA.
inline const char* resolve_error_message(int code) noexcept { return ::gai_strerrorA(code); }
inline bool resolve_error_is_system(int) noexcept { return false; }

// --- listener options and socket activation (issue #19) ----------------------

/// Winsock has no SO_REUSEPORT: its SO_REUSEADDR lets any socket take over
/// a bound port (see listener_reuse_option), which is not port sharing.
inline constexpr int reuse_port_option = -1;
/// Not wired on Windows (its TCP_FASTOPEN is an on/off switch, not a queue).
inline constexpr int fast_open_option = -1;

/// No service manager passes sockets as numbered descriptors here.
inline constexpr bool has_socket_activation = false;
/// None (see has_socket_activation).
inline constexpr native_handle first_inherited_handle = invalid_handle;

/// GetCurrentProcessId().
inline long long process_id() noexcept { return static_cast<long long>(::GetCurrentProcessId()); }
/// Never consulted (has_socket_activation is false): nullptr.
inline const char* environment_variable(const char*) noexcept { return nullptr; }
/// Nothing to unset (see environment_variable).
inline void unset_environment_variable(const char*) noexcept {}
/// SetHandleInformation(): no HANDLE_FLAG_INHERIT, Windows's close-on-exec.
inline int set_close_on_exec(native_handle h) noexcept {
  return ::SetHandleInformation(reinterpret_cast<HANDLE>(h), HANDLE_FLAG_INHERIT, 0) ? 0 : -1;
}

// --- TCP statistics (issue #19) ------------------------------------------------

/// TCP_INFO_v0 (<mstcpip.h>, Windows 10 1703), spelled here because the SDKs
/// declare it only when NTDDI_VERSION targets that release, which outlet
/// does not ask its users to set.
struct TcpInfoV0 {
  DWORD state;  // TCPSTATE: CLOSED, LISTEN, SYN_SENT, ... TIME_WAIT, as outlet orders them
  ULONG mss;
  ULONG64 connection_time_ms;
  BOOLEAN timestamps_enabled;
  ULONG rtt_us, min_rtt_us, bytes_in_flight, cwnd, snd_wnd, rcv_wnd, rcv_buf;
  ULONG64 bytes_out, bytes_in;
  ULONG bytes_reordered, bytes_retrans, fast_retrans, dup_acks_in, timeout_episodes;
  UCHAR syn_retrans;
};
static_assert(sizeof(TcpInfoV0) == 88, "TcpInfoV0 must have TCP_INFO_v0's layout");

/// What tcp_info() names in errors.
inline constexpr const char* tcp_statistics_call = "WSAIoctl(SIO_TCP_INFO)";

/// WSAIoctl(SIO_TCP_INFO), version 0 (Windows 10 1703 and later; older
/// Windows fail with WSAEOPNOTSUPP or WSAEINVAL). RTT in microseconds, the
/// congestion window in bytes; no RTT variance, acked bytes or segment counts.
inline int tcp_statistics(native_handle h, detail::TcpStatistics& out) noexcept {
  const DWORD sio_tcp_info = _WSAIORW(IOC_VENDOR, 39);  // SIO_TCP_INFO (<mstcpip.h>)
  DWORD version = 0;
  TcpInfoV0 info{};
  DWORD returned = 0;
  if (::WSAIoctl(h, sio_tcp_info, &version, sizeof version, &info, sizeof info, &returned, nullptr, nullptr) != 0)
    return SOCKET_ERROR;
  if (returned < sizeof info) {  // a provider that answered without filling it in
    ::WSASetLastError(WSAEOPNOTSUPP);
    return SOCKET_ERROR;
  }
  out = detail::TcpStatistics{};
  out.state = info.state <= 10 ? static_cast<int>(info.state) : -1;
  out.rtt_us = info.rtt_us;
  out.mss = info.mss;
  out.congestion_window_bytes = info.cwnd;
  out.retransmitted_bytes = info.bytes_retrans;
  out.bytes_sent = info.bytes_out;
  out.bytes_received = info.bytes_in;
  return 0;
}

// --- datagram receive metadata (issue #19) -------------------------------------
// WSARecvMsg (an extension function, loaded once through WSAIoctl) reports a
// datagram's destination and interface as IP_PKTINFO / IPV6_PKTINFO control
// messages. Receive timestamps would need SIO_TIMESTAMPING (Windows 10 2004+,
// a different model): set_receive_timestamps() fails with WSAEOPNOTSUPP.

/// No kernel receive timestamps (see above).
inline constexpr bool has_receive_timestamps = false;
/// What set_receive_timestamps() names in errors.
inline constexpr const char* receive_timestamps_call = "set_receive_timestamps";
/// What set_receive_destination() names in errors.
inline constexpr const char* receive_destination_call = "setsockopt(IP_PKTINFO / IPV6_PKTINFO)";

/// Room for the one control message outlet asks for, the larger IPv6 kind:
/// a WSACMSGHDR and an IN6_PKTINFO, rounded up to the header's alignment.
/// More (options set through set_option) does not fit: MSG_CTRUNC.
struct control_buffer {
  alignas(::WSACMSGHDR) unsigned char bytes[(sizeof(::WSACMSGHDR) + sizeof(::IN6_PKTINFO) + alignof(::WSACMSGHDR) - 1) /
                                            alignof(::WSACMSGHDR) * alignof(::WSACMSGHDR)];
};

/// Not supported: fails with WSAEOPNOTSUPP.
inline int set_receive_timestamps(native_handle, bool) noexcept {
  ::WSASetLastError(WSAEOPNOTSUPP);
  return SOCKET_ERROR;
}

/// getsockopt(SO_PROTOCOL_INFOW) for the family (getsockname() fails on an
/// unbound socket), then setsockopt(IP_PKTINFO) or setsockopt(IPV6_PKTINFO).
/// Another family fails with WSAEOPNOTSUPP.
inline int set_receive_destination(native_handle h, bool on) noexcept {
  ::WSAPROTOCOL_INFOW info{};
  int len = sizeof info;
  if (::getsockopt(h, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info), &len) != 0) return SOCKET_ERROR;
  const DWORD value = on ? 1 : 0;
  const char* bytes = reinterpret_cast<const char*>(&value);
  if (info.iAddressFamily == AF_INET6) return ::setsockopt(h, IPPROTO_IPV6, IPV6_PKTINFO, bytes, sizeof value);
  if (info.iAddressFamily == AF_INET) return ::setsockopt(h, IPPROTO_IP, IP_PKTINFO, bytes, sizeof value);
  ::WSASetLastError(WSAEOPNOTSUPP);
  return SOCKET_ERROR;
}

/// WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG), or null.
inline LPFN_WSARECVMSG load_recv_msg(native_handle h) noexcept {
  ::GUID id = WSAID_WSARECVMSG;
  LPFN_WSARECVMSG function = nullptr;
  DWORD returned = 0;
  if (::WSAIoctl(h, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &function, sizeof function, &returned, nullptr,
                 nullptr) != 0)
    return nullptr;
  return function;
}

/// The metadata in a received message's control data.
inline void read_metadata(::WSAMSG& msg, detail::DatagramMetadata& meta) noexcept {
  meta = detail::DatagramMetadata{};
  meta.control_truncated = (msg.dwFlags & MSG_CTRUNC) != 0;
  for (::WSACMSGHDR* c = WSA_CMSG_FIRSTHDR(&msg); c != nullptr; c = WSA_CMSG_NXTHDR(&msg, c)) {
    ::IN_PKTINFO info{};
    ::IN6_PKTINFO info6{};
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && c->cmsg_len >= WSA_CMSG_LEN(sizeof info)) {
      std::memcpy(&info, WSA_CMSG_DATA(c), sizeof info);
      meta.destination_family = AF_INET;
      std::memcpy(meta.ip, &info.ipi_addr, 4);
      meta.interface_index = convert<unsigned>(info.ipi_ifindex);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               c->cmsg_len >= WSA_CMSG_LEN(sizeof info6)) {
      std::memcpy(&info6, WSA_CMSG_DATA(c), sizeof info6);
      meta.destination_family = AF_INET6;
      std::memcpy(meta.ip, &info6.ipi6_addr, 16);
      meta.interface_index = convert<unsigned>(info6.ipi6_ifindex);
    }
  }
}

/// WSARecvMsg with a control buffer: one datagram, who sent it, whether it
/// was cut to fit `size` (WSAEMSGSIZE after filling the buffer, as
/// recvfrom()), and its metadata. Where the provider has no WSARecvMsg, a
/// recvfrom() with empty metadata.
inline io_result recv_with_metadata(native_handle h, void* data, std::size_t size, ::sockaddr* from, socklen* from_len,
                                    bool dont_wait, bool& truncated, detail::DatagramMetadata& meta) noexcept {
  meta = detail::DatagramMetadata{};
  static const LPFN_WSARECVMSG recv_msg = load_recv_msg(h);
  if (recv_msg == nullptr) return recv_datagram(h, data, size, from, from_len, dont_wait, truncated);
  ::WSABUF buffer{static_cast<ULONG>(clamp_size(size)), static_cast<char*>(data)};
  control_buffer control;
  ::WSAMSG msg{};
  msg.name = from;
  msg.namelen = from_len != nullptr ? *from_len : 0;
  msg.lpBuffers = &buffer;
  msg.dwBufferCount = 1;
  msg.Control.buf = reinterpret_cast<char*>(control.bytes);
  msg.Control.len = sizeof control.bytes;
  DWORD received = 0;
  truncated = false;
  if (recv_msg(h, &msg, &received, nullptr, nullptr) == SOCKET_ERROR) {
    if (::WSAGetLastError() != WSAEMSGSIZE) return SOCKET_ERROR;
    truncated = true;
    received = buffer.len;
  }
  if (from_len != nullptr) *from_len = msg.namelen;
  if ((msg.dwFlags & MSG_TRUNC) != 0) truncated = true;
  read_metadata(msg, meta);
  return static_cast<io_result>(received);
}

// Never called (has_message_batch is false), as the batch calls above.
inline void set_message_control(message&, control_buffer&) noexcept {}
inline void message_metadata(message&, detail::DatagramMetadata& meta) noexcept { meta = detail::DatagramMetadata{}; }

// --- Happy Eyeballs: racing connects, and name lookups with a deadline (#18) ---

/// At most this many connects outlet::connect() keeps in progress at once:
/// wait_connects() puts them all in one select() set (FD_SETSIZE entries).
inline constexpr std::size_t max_connect_waits = FD_SETSIZE < 64 ? FD_SETSIZE : 64;

/// select() on connects in progress (at most max_connect_waits): an entry's
/// revents becomes POLLWRNORM when its connect succeeded and POLLERR when it
/// failed (the "except" set). Not WSAPoll, for the reason wait_connect()
/// gives. Returns how many ended, 0 timed out, -1 error.
inline int wait_connects(pollfd_type* fds, std::size_t count, int timeout_ms) noexcept {
  ::fd_set writable{};
  ::fd_set failed{};
  const std::size_t n = count < max_connect_waits ? count : max_connect_waits;
  for (std::size_t i = 0; i < n; ++i) {
    writable.fd_array[i] = fds[i].fd;
    failed.fd_array[i] = fds[i].fd;
    fds[i].revents = 0;
  }
  writable.fd_count = static_cast<u_int>(n);
  failed.fd_count = static_cast<u_int>(n);
  ::timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  const int r = ::select(0, nullptr, &writable, &failed, timeout_ms < 0 ? nullptr : &tv);
  if (r <= 0) return r;
  int ended = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (FD_ISSET(fds[i].fd, &writable)) fds[i].revents |= POLLWRNORM;
    if (FD_ISSET(fds[i].fd, &failed)) fds[i].revents |= POLLERR;
    if (fds[i].revents != 0) ++ended;
  }
  return ended;
}

/// Windows has no getaddrinfo_a(); GetAddrInfoExW's timeout needs
/// overlapped mode and GetAddrInfoExCancel, which MinGW-w64 does not
/// declare: a lookup with a deadline runs on a helper thread.
inline constexpr bool has_async_resolve = false;
/// A lookup with a deadline gives up on time (on its helper thread).
inline constexpr bool lookups_can_time_out = true;

/// How many lookup blocks (ThreadLookup) exist: each counts itself from
/// construction to destruction, so a test can see that a lookup cut short
/// is freed once it ends.
inline volatile LONG lookup_blocks = 0;
/// lookup_blocks, read atomically.
inline long lookups_in_flight() noexcept { return ::InterlockedCompareExchange(&lookup_blocks, 0, 0); }
/// Counts one lookup block for its lifetime (see lookup_blocks).
struct LookupCount {
  LookupCount() noexcept { ::InterlockedIncrement(&lookup_blocks); }
  ~LookupCount() { ::InterlockedDecrement(&lookup_blocks); }
  LookupCount(const LookupCount&) = delete;
  LookupCount& operator=(const LookupCount&) = delete;
};

/// A getaddrinfo() on a thread of its own (CreateThread), which the caller
/// waits for at most timeout_ms. What the lookup uses lives in this block on
/// the heap, shared by the caller and the thread and freed by whichever lets
/// go last, so a caller that gave up leaves the thread nothing dangling.
struct ThreadLookup {
  LookupCount counted{};
  ::CRITICAL_SECTION lock{};
  ::CONDITION_VARIABLE finished = CONDITION_VARIABLE_INIT;
  bool done = false;
  int references = 2;  // the caller and the thread
  int result = 0;      // getaddrinfo's return code
  ::addrinfo hints{};
  ::addrinfo* list = nullptr;
  std::string name{};

  ThreadLookup() noexcept { ::InitializeCriticalSection(&lock); }
  ThreadLookup(const ThreadLookup&) = delete;
  ThreadLookup& operator=(const ThreadLookup&) = delete;
  ~ThreadLookup() {
    if (list != nullptr) ::freeaddrinfo(list);
    ::DeleteCriticalSection(&lock);
  }
  /// Drops one reference (under the lock); the last one deletes the block.
  void release() noexcept {
    ::EnterCriticalSection(&lock);
    const bool last = --references == 0;
    ::LeaveCriticalSection(&lock);
    if (last) delete this;
  }
  static DWORD WINAPI run(LPVOID arg) noexcept {
    auto* self = static_cast<ThreadLookup*>(arg);
    ::addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(self->name.c_str(), nullptr, &self->hints, &found);
    ::EnterCriticalSection(&self->lock);
    self->result = rc;
    self->list = rc == 0 ? found : nullptr;
    self->done = true;
    ::WakeConditionVariable(&self->finished);
    ::LeaveCriticalSection(&self->lock);
    self->release();
    return 0;
  }
};

/// getaddrinfo() on a helper thread, waited for at most `timeout_ms` (-1: no
/// limit): 0 or an EAI_* code, with `timed_out` set (and the code
/// meaningless) if the time ran out first. The thread then finishes the
/// lookup on its own and frees what it holds.
inline int resolve_name_in_thread(const char* host, const ::addrinfo* hints, ::addrinfo** out, int timeout_ms,
                                  bool& timed_out) noexcept {
  timed_out = false;
  *out = nullptr;
  ThreadLookup* lookup = nullptr;
  try {
    lookup = new ThreadLookup;
    lookup->name = host;
  } catch (...) {
    delete lookup;
    return EAI_MEMORY;
  }
  lookup->hints = *hints;
  const HANDLE thread = ::CreateThread(nullptr, 0, &ThreadLookup::run, lookup, 0, nullptr);
  if (thread == nullptr) {
    const DWORD e = ::GetLastError();
    delete lookup;
    return static_cast<int>(e);
  }
  ::CloseHandle(thread);  // detached: the block, not the handle, ties the two together
  const ULONGLONG start = ::GetTickCount64();
  int rc = 0;
  ::EnterCriticalSection(&lookup->lock);
  while (!lookup->done) {
    DWORD wait = INFINITE;
    if (timeout_ms >= 0) {
      const ULONGLONG spent = ::GetTickCount64() - start;
      if (spent >= static_cast<ULONGLONG>(timeout_ms)) break;
      wait = static_cast<DWORD>(static_cast<ULONGLONG>(timeout_ms) - spent);
    }
    (void)::SleepConditionVariableCS(&lookup->finished, &lookup->lock, wait);
  }
  if (lookup->done) {
    rc = lookup->result;
    *out = lookup->list;
    lookup->list = nullptr;
  } else {
    timed_out = true;
  }
  ::LeaveCriticalSection(&lookup->lock);
  lookup->release();
  return rc;
}

/// getaddrinfo() waited for at most `timeout_ms` (see resolve_name_in_thread).
inline int resolve_name_within(const char* host, const ::addrinfo* hints, ::addrinfo** out, int timeout_ms,
                               bool& timed_out) noexcept {
  return resolve_name_in_thread(host, hints, out, timeout_ms, timed_out);
}

}  // namespace detail::sys
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // defined(OUTLET_PLATFORM_WINDOWS)
#endif  // OUTLET_DETAIL_PLATFORM_WINDOWS_HPP
