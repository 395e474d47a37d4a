// outlet — the Winsock side of the sys:: contract in platform.hpp.
// The only file (with platform_posix.hpp) that includes Windows headers or
// spells WSA*. Winsock is started lazily, once, by the first socket or
// name lookup; users never call an init function.
#ifndef OUTLET_DETAIL_PLATFORM_WINDOWS_HPP
#define OUTLET_DETAIL_PLATFORM_WINDOWS_HPP
#if defined(OUTLET_PLATFORM_WINDOWS)  // selected by platform.hpp

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

#if defined(_MSC_VER) && !defined(OUTLET_NO_PRAGMA_LIB)
#pragma comment(lib, "ws2_32.lib")
#endif  // defined(_MSC_VER) && !defined(OUTLET_NO_PRAGMA_LIB)

#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace outlet::detail::sys {

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

inline constexpr bool has_abstract_unix = false;
inline constexpr bool accept_inherits_non_blocking = true;

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

inline int last_error() noexcept { return ::WSAGetLastError(); }
inline void set_last_error(int e) noexcept { ::WSASetLastError(e); }

/// A native Winsock error in std::system_category().
inline std::error_code to_error_code(int e) noexcept { return {e, std::system_category()}; }

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
inline native_handle open_socket(int family, int type, int protocol) noexcept {
  if (ensure_started()) return invalid_handle;
  return ::WSASocketW(family, type, protocol, nullptr, 0,
                      WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
}

/// accept(); the new socket inherits non-inheritability from the listener.
inline native_handle accept_socket(native_handle h, ::sockaddr* addr, socklen* len) noexcept {
  return ::accept(h, addr, len);
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

/// sendto(); `to` may be null on a connected socket.
inline io_result send_datagram(native_handle h, const void* data, std::size_t size,
                               const ::sockaddr* to, socklen to_len, bool) noexcept {
  return ::sendto(h, static_cast<const char*>(data), clamp_size(size), 0, to, to_len);
}

/// recvfrom(); Winsock fails a cut datagram with WSAEMSGSIZE after filling
/// the buffer, which is reported as truncation.
inline io_result recv_datagram(native_handle h, void* data, std::size_t size, ::sockaddr* from,
                               socklen* from_len, bool, bool& truncated) noexcept {
  int n = ::recvfrom(h, static_cast<char*>(data), clamp_size(size), 0, from, from_len);
  truncated = n == SOCKET_ERROR && ::WSAGetLastError() == WSAEMSGSIZE;
  return truncated ? clamp_size(size) : n;
}

/// Sleep().
inline void sleep_ms(int ms) noexcept { ::Sleep(static_cast<DWORD>(ms)); }

/// Winsock has no "backlog full, try again" from connect().
inline bool connect_backlog_full(int) noexcept { return false; }

/// WSAPoll on one socket. Returns >0 ready, 0 timed out, -1 error.
inline int poll_one(native_handle h, short events, int timeout_ms, short& revents) noexcept {
  ::WSAPOLLFD p{h, events, 0};
  int r = ::WSAPoll(&p, 1, timeout_ms);
  revents = p.revents;
  return r;
}

// --- Unix-domain socket files ----------------------------------------------

/// Whether bind() created a socket file (Windows keeps no inode to compare).
struct FileIdentity {
  bool valid = false;
};

/// GetFileAttributesA: whether a file exists at path.
inline FileIdentity unix_path_identity(const char* path) noexcept {
  DWORD attributes = ::GetFileAttributesA(path);
  return {attributes != INVALID_FILE_ATTRIBUTES};
}

/// DeleteFileA the socket file bind() created.
inline void remove_unix_path(const char* path, const FileIdentity& created) noexcept {
  if (created.valid) ::DeleteFileA(path);
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

}  // namespace outlet::detail::sys

#endif  // defined(OUTLET_PLATFORM_WINDOWS)
#endif  // OUTLET_DETAIL_PLATFORM_WINDOWS_HPP
