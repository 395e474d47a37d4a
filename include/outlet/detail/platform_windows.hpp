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

// MSVC users who copy the headers get ws2_32 without touching the linker
// settings; define OUTLET_NO_PRAGMA_LIB to link it yourself.
#if defined(_MSC_VER) && !defined(OUTLET_NO_PRAGMA_LIB)
#pragma comment(lib, "ws2_32.lib")
#endif  // defined(_MSC_VER) && !defined(OUTLET_NO_PRAGMA_LIB)

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

// --- names ----------------------------------------------------------------

/// Numeric scope ids only: interface names need iphlpapi.
inline unsigned interface_index(const char*) noexcept { return 0; }
inline constexpr std::size_t interface_name_size = 16;
/// No interface names (see interface_index): scopes print as numbers.
inline bool interface_name(unsigned, char*) noexcept { return false; }

/// gai_strerrorA.
inline const char* resolve_error_message(int code) noexcept { return ::gai_strerrorA(code); }
inline bool resolve_error_is_system(int) noexcept { return false; }

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
