// Helpers shared by outlet's tests: skipping what a platform cannot run,
// native error numbers, unique Unix-socket names (ctest runs test cases in
// parallel processes), handles, strings, timing, thrown errors, threads,
// connected sockets and fault hooks.
//
// The same test sources serve POSIX and Windows: platform #ifs belong here,
// behind a portable helper, rather than in the test files.
#ifndef OUTLET_TESTS_TEST_SUPPORT_HPP
#define OUTLET_TESTS_TEST_SUPPORT_HPP

#include <outlet/outlet.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#if !defined(_WIN32)
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#endif  // !defined(_WIN32)

// --- skipping -------------------------------------------------------------------

/// Ends the TEST_CASE body it is used in (use it there, not in a lambda or
/// a helper) after printing the marker tests/CMakeLists.txt gives ctest as
/// SKIP_REGULAR_EXPRESSION: ctest then reports the case as skipped, not
/// passed. `reason` is anything outlet_test::report_skip takes.
#define OUTLET_TEST_SKIP(reason)        \
  do {                                  \
    ::outlet_test::report_skip(reason); \
    return;                             \
  } while (false)

/// Skips the case unless this runtime opens AF_UNIX stream sockets (Wine
/// and Windows before 10 1803 do not). Every case that opens a Unix-domain
/// socket begins with this (or with the datagram form below).
#define OUTLET_TEST_REQUIRE_UNIX_SOCKETS()                                                       \
  do {                                                                                           \
    if (!::outlet_test::unix_sockets_available())                                                \
      OUTLET_TEST_SKIP("no AF_UNIX stream sockets here: " + ::outlet_test::unix_socket_error()); \
  } while (false)

/// Skips the case unless this runtime opens AF_UNIX datagram sockets too
/// (Windows has Unix-domain stream sockets only).
#define OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS()                                                         \
  do {                                                                                                      \
    OUTLET_TEST_REQUIRE_UNIX_SOCKETS();                                                                     \
    if (!::outlet_test::unix_datagram_sockets_available())                                                  \
      OUTLET_TEST_SKIP("no AF_UNIX datagram sockets here: " + ::outlet_test::unix_datagram_socket_error()); \
  } while (false)

/// Skips the case off Linux: only Linux has the abstract Unix namespace
/// ("@name"). Add the Unix socket requirement too if the case opens sockets.
#define OUTLET_TEST_REQUIRE_ABSTRACT_UNIX_NAMES()                                        \
  do {                                                                                   \
    if (!::outlet_test::has_abstract_unix_names)                                         \
      OUTLET_TEST_SKIP("Linux only: no abstract Unix namespace (\"@name\") on this OS"); \
  } while (false)

/// Skips the case (printing why) where "localhost" does not resolve: a
/// machine without /etc/hosts (a debootstrap chroot, some build sandboxes).
/// Cases that look up "localhost" begin with this, or use it just before the
/// lookup when what comes first needs no name lookup.
#define OUTLET_TEST_REQUIRE_LOCALHOST()                                                             \
  do {                                                                                              \
    if (!::outlet_test::localhost_resolves())                                                       \
      OUTLET_TEST_SKIP("\"localhost\" does not resolve here: " + ::outlet_test::localhost_error()); \
  } while (false)

/// Skips the case where outlet_test::open_descriptor_count() cannot count
/// (neither Linux's /proc/self/fd nor Windows's GetProcessHandleCount; Wine
/// answers 0).
#define OUTLET_TEST_REQUIRE_DESCRIPTOR_COUNT()                                               \
  do {                                                                                       \
    if (::outlet_test::open_descriptor_count() < 0)                                          \
      OUTLET_TEST_SKIP("this runtime cannot count a process's open descriptors or handles"); \
  } while (false)

namespace outlet_test {

/// Prints the skip marker and the reason on one line, flushed.
inline void report_skip(std::string_view reason) { std::cout << "outlet-test-skipped: " << reason << std::endl; }

// --- platform facts ---------------------------------------------------------------

/// Whether this is Linux, for cases about behaviour only Linux has.
#if defined(__linux__)
inline constexpr bool is_linux = true;
#else
inline constexpr bool is_linux = false;
#endif  // defined(__linux__)

/// Whether "@name" Unix addresses are Linux's abstract namespace here.
inline constexpr bool has_abstract_unix_names = is_linux;

/// Whether a connect() to a listener whose accept queue is full stays
/// pending until the caller gives up (Linux drops the SYNs). Elsewhere it
/// may be refused (Windows, BSD) or queued.
inline constexpr bool full_listen_queue_drops_connects = is_linux;

/// Whether SO_LINGER exists on datagram sockets (Winsock: stream sockets only).
#if defined(_WIN32)
inline constexpr bool datagram_sockets_have_linger = false;
#else
inline constexpr bool datagram_sockets_have_linger = true;
#endif  // defined(_WIN32)

/// Whether this Windows program runs under Wine (its ntdll exports
/// wine_get_version), for the few cases where Wine's Winsock answers
/// differently from Windows's. False on every other platform.
inline bool running_under_wine() {
#if defined(_WIN32)
  const HMODULE ntdll = ::GetModuleHandleA("ntdll.dll");
  return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
#else
  return false;
#endif  // defined(_WIN32)
}

/// Whether a receive after the peer's reset (RST) fails with
/// connection_reset, as on Linux, the BSDs and Windows. Wine's recv()
/// reports the end of the stream (0) instead.
inline bool receive_reports_reset() { return !running_under_wine(); }

/// Whether the OS tells a socket's blocking mode (Winsock's FIONBIO is write-only).
#if defined(_WIN32)
inline constexpr bool can_query_blocking_mode = false;
#else
inline constexpr bool can_query_blocking_mode = true;
#endif  // defined(_WIN32)

// --- native error numbers ------------------------------------------------------------

/// Native error numbers, for the fault hook (which fails a call with a
/// native number, as the OS would) and for checking ec.value(): errno
/// values on POSIX, WSAE* values on Windows. Spelled here rather than taken
/// from outlet::detail::sys, so that a wrong constant there shows up.
/// close_failure is an error close() can really report (EIO; WSAENETDOWN
/// from closesocket()), close_failure_condition its std::errc.
/// after_shutdown_receive is what a receive after shutdown(receive) fails
/// with: nothing on POSIX (it reads the end of the stream), WSAESHUTDOWN on
/// Windows.
namespace native_error {
#if defined(_WIN32)
inline constexpr int interrupted = WSAEINTR;
inline constexpr int would_block = WSAEWOULDBLOCK;
inline constexpr int connection_refused = WSAECONNREFUSED;
inline constexpr int connection_reset = WSAECONNRESET;
inline constexpr int connection_aborted = WSAECONNABORTED;
inline constexpr int close_failure = WSAENETDOWN;
inline constexpr std::errc close_failure_condition = std::errc::network_down;
inline constexpr int after_shutdown_receive = WSAESHUTDOWN;
#else
inline constexpr int interrupted = EINTR;
inline constexpr int would_block = EWOULDBLOCK;
inline constexpr int connection_refused = ECONNREFUSED;
inline constexpr int connection_reset = ECONNRESET;
inline constexpr int connection_aborted = ECONNABORTED;
inline constexpr int close_failure = EIO;
inline constexpr std::errc close_failure_condition = std::errc::io_error;
inline constexpr int after_shutdown_receive = 0;
#endif  // defined(_WIN32)
}  // namespace native_error

// --- unique names and files ---------------------------------------------------

/// A process id for names that must not clash between parallel test processes.
inline long process_id() {
#if defined(_WIN32)
  return static_cast<long>(::GetCurrentProcessId());
#else
  return static_cast<long>(::getpid());
#endif  // defined(_WIN32)
}

/// A fresh name for this process: "<tag>-<pid>-<n>".
inline std::string unique_name(const char* tag) {
  static std::atomic<int> counter{0};
  return std::string("outlet-") + tag + '-' + std::to_string(process_id()) + '-' + std::to_string(++counter);
}

/// A fresh Unix socket path in the temp directory (short enough for sun_path).
inline std::string unique_unix_path(const char* tag = "sock") {
#if defined(_WIN32)
  const char* dir = std::getenv("TEMP");
  if (dir == nullptr || *dir == '\0') dir = std::getenv("TMP");
  const char* fallback = ".";
#else
  const char* dir = std::getenv("TMPDIR");
  const char* fallback = "/tmp";
#endif  // defined(_WIN32)
  std::string base = dir != nullptr && *dir != '\0' ? dir : fallback;
  if (base.size() > 40) base = fallback;
  return base + '/' + unique_name(tag) + ".sock";
}

/// A fresh Linux abstract-namespace name, "@outlet-...".
inline std::string unique_abstract_name(const char* tag = "abstract") { return '@' + unique_name(tag); }

/// Whether a file exists at path.
inline bool file_exists(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f != nullptr) std::fclose(f);
#if defined(_WIN32)
  return f != nullptr;
#else
  return f != nullptr || ::access(path.c_str(), F_OK) == 0;
#endif  // defined(_WIN32)
}

// --- Unix-domain sockets available? ------------------------------------------------

/// Whether outlet could open a Unix-domain socket of one kind, and if not, why.
struct UnixProbe {
  bool available = false;
  std::string error;  // the error socket() failed with
};

/// Tries to open a `Probe` (Socket or DatagramSocket) for a Unix address.
/// Only socket() matters: connect() to a path that does not exist opens the
/// socket first and leaves it open, so is_open() tells the two failures apart.
template <class Probe>
UnixProbe probe_unix_socket() {
  std::error_code ec;
  Probe probe;
  probe.connect(outlet::Address::unix_domain(unique_unix_path("probe")), ec);
  if (probe.is_open()) return {true, {}};
  return {false, ec.message() + " (" + std::to_string(ec.value()) + ")"};
}

/// AF_UNIX stream sockets, tried once per process.
inline const UnixProbe& unix_stream_probe() {
  static const UnixProbe probe = probe_unix_socket<outlet::Socket>();
  return probe;
}

/// AF_UNIX datagram sockets, tried once per process.
inline const UnixProbe& unix_datagram_probe() {
  static const UnixProbe probe = probe_unix_socket<outlet::DatagramSocket>();
  return probe;
}

/// Whether this runtime opens AF_UNIX stream sockets (Wine: WSAEAFNOSUPPORT).
inline bool unix_sockets_available() { return unix_stream_probe().available; }
/// Why AF_UNIX stream sockets cannot be opened here ("" if they can).
inline const std::string& unix_socket_error() { return unix_stream_probe().error; }

/// Why outlet::resolve("localhost", 0) fails here, looked up once per
/// process ("" when it gives at least one address).
inline const std::string& localhost_error() {
  static const std::string error = [] {
    std::error_code ec;
    const bool found = !outlet::resolve("localhost", 0, ec).empty();
    if (ec) return ec.message();
    return std::string(found ? "" : "no addresses");
  }();
  return error;
}
/// Whether "localhost" resolves here (see OUTLET_TEST_REQUIRE_LOCALHOST).
inline bool localhost_resolves() { return localhost_error().empty(); }

/// Whether this runtime opens AF_UNIX datagram sockets (Windows: never).
inline bool unix_datagram_sockets_available() { return unix_datagram_probe().available; }
/// Why AF_UNIX datagram sockets cannot be opened here ("" if they can).
inline const std::string& unix_datagram_socket_error() { return unix_datagram_probe().error; }

// --- handles -----------------------------------------------------------------------

/// The number of open descriptors (Linux: /proc/self/fd) or handles
/// (Windows: GetProcessHandleCount) in this process; -1 if unknown.
inline int open_descriptor_count() {
#if defined(__linux__)
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (::readdir(dir) != nullptr) ++count;
  ::closedir(dir);
  return count - 3;  // ".", ".." and the directory's own descriptor
#elif defined(_WIN32)
  // Wine answers 0 (it does not count handles): a real process has some.
  DWORD count = 0;
  return ::GetProcessHandleCount(::GetCurrentProcess(), &count) && count > 0 ? static_cast<int>(count) : -1;
#else
  return -1;
#endif  // defined(__linux__)
}

/// closesocket() / close() on a raw handle the test owns; 0 on success.
inline int close_handle(outlet::native_handle_type h) {
#if defined(_WIN32)
  return ::closesocket(h);
#else
  return ::close(h);
#endif  // defined(_WIN32)
}

/// Whether h names no open socket (POSIX: fcntl fails with EBADF; Windows:
/// getsockopt fails with WSAENOTSOCK). Check at once after the close: the
/// number may be reused by the next socket opened.
inline bool handle_closed(outlet::native_handle_type h) {
#if defined(_WIN32)
  int type = 0;
  int size = static_cast<int>(sizeof type);
  return ::getsockopt(h, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &size) == SOCKET_ERROR &&
         ::WSAGetLastError() == WSAENOTSOCK;
#else
  errno = 0;
  return ::fcntl(h, F_GETFD) == -1 && errno == EBADF;
#endif  // defined(_WIN32)
}

/// Whether h is open and kept from child processes: close-on-exec on POSIX,
/// not inheritable (no HANDLE_FLAG_INHERIT) on Windows.
inline bool close_on_exec(outlet::native_handle_type h) {
#if defined(_WIN32)
  DWORD flags = 0;
  return ::GetHandleInformation(reinterpret_cast<HANDLE>(h), &flags) && (flags & HANDLE_FLAG_INHERIT) == 0;
#else
  const int flags = ::fcntl(h, F_GETFD);
  return flags != -1 && (flags & FD_CLOEXEC) != 0;
#endif  // defined(_WIN32)
}

/// Whether the OS has h in non-blocking mode (O_NONBLOCK). Only meaningful
/// where can_query_blocking_mode; false elsewhere.
inline bool native_non_blocking(outlet::native_handle_type h) {
#if defined(_WIN32)
  (void)h;
  return false;
#else
  const int flags = ::fcntl(h, F_GETFL);
  return flags != -1 && (flags & O_NONBLOCK) != 0;
#endif  // defined(_WIN32)
}

/// Waits up to timeout_ms for h to be readable (poll / WSAPoll); whether it is.
inline bool wait_readable(outlet::native_handle_type h, int timeout_ms) {
#if defined(_WIN32)
  ::WSAPOLLFD p{h, POLLRDNORM, 0};
  return ::WSAPoll(&p, 1, timeout_ms) == 1;
#else
  ::pollfd p{h, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
#endif  // defined(_WIN32)
}

/// The value SO_RCVTIMEO / SO_SNDTIMEO take natively: a timeval on POSIX,
/// DWORD milliseconds on Windows (for setting them behind outlet's back).
#if defined(_WIN32)
using NativeTimeout = DWORD;
#else
using NativeTimeout = timeval;
#endif  // defined(_WIN32)

inline NativeTimeout native_timeout(std::chrono::milliseconds timeout) {
#if defined(_WIN32)
  return static_cast<DWORD>(timeout.count());
#else
  timeval tv{};
  tv.tv_sec = outlet::detail::convert<decltype(tv.tv_sec)>(timeout.count() / 1000);
  tv.tv_usec = outlet::detail::convert<decltype(tv.tv_usec)>(timeout.count() % 1000 * 1000);
  return tv;
#endif  // defined(_WIN32)
}

/// SIGPIPE's default action (terminate) for one scope, so that a send()
/// that raised it would kill the test; restored after. Windows has no
/// SIGPIPE: there this does nothing.
class DefaultSigpipe {
public:
#if defined(_WIN32)
  DefaultSigpipe() = default;
  /// Whether the default action is in place.
  bool installed() const { return true; }
#else
  DefaultSigpipe() : previous_(std::signal(SIGPIPE, SIG_DFL)) {}
  ~DefaultSigpipe() {
    if (previous_ != SIG_ERR) std::signal(SIGPIPE, previous_);
  }
  /// Whether the default action is in place.
  bool installed() const { return previous_ != SIG_ERR; }
#endif  // defined(_WIN32)
  DefaultSigpipe(const DefaultSigpipe&) = delete;
  DefaultSigpipe& operator=(const DefaultSigpipe&) = delete;

private:
#if !defined(_WIN32)
  void (*previous_)(int);
#endif  // !defined(_WIN32)
};

// --- strings --------------------------------------------------------------------

/// Whether `text` contains `needle`.
inline bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

/// Whether `text` begins with `prefix`.
inline bool starts_with(std::string_view text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

// --- time -----------------------------------------------------------------------

/// The clock the tests time calls with.
using Clock = std::chrono::steady_clock;

/// Milliseconds since `start`.
inline long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// --- thrown errors ----------------------------------------------------------------

/// What a call threw: its code and what(), or thrown == false (and an empty code) if nothing.
struct Thrown {
  std::error_code code;
  std::string what;
  bool thrown = false;
};

/// Runs f, which should throw std::system_error, and returns what it threw.
template <class F>
Thrown thrown_by(F&& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return Thrown{e.code(), e.what(), true};
  }
  return Thrown{std::error_code(), "(nothing was thrown)", false};
}

// --- threads ----------------------------------------------------------------------

/// Joins a thread when it goes out of scope, so a failed REQUIRE unwinds cleanly.
class Joiner {
public:
  explicit Joiner(std::thread thread) : thread_(std::move(thread)) {}
  ~Joiner() { join(); }
  Joiner(const Joiner&) = delete;
  Joiner& operator=(const Joiner&) = delete;
  void join() {
    if (thread_.joinable()) thread_.join();
  }

private:
  std::thread thread_;
};

// --- connected sockets --------------------------------------------------------------

/// A listener, a client connected to it, and the accepted end.
struct Pair {
  outlet::ServerSocket server;
  outlet::Socket client;
  outlet::Socket accepted;
};

/// A connected pair through a listener at `local` (port 0 / a fresh path).
inline Pair connected_pair(const outlet::Address& local = outlet::Address::loopback(outlet::Family::ipv4, 0)) {
  Pair p;
  p.server = outlet::ServerSocket(local);
  p.client = outlet::Socket(p.server.local_address());
  p.accepted = p.server.accept();
  return p;
}

/// A TCP address where connect() is refused: a socket bound to the port but
/// not listening holds it, so nothing else can take it while `holder` lives.
inline outlet::Address refused_address(outlet::ServerSocket& holder) {
  holder = outlet::ServerSocket(outlet::Family::ipv4);
  holder.bind(outlet::Address::loopback(outlet::Family::ipv4, 0));
  return holder.local_address();
}

// --- fault hooks ----------------------------------------------------------------------

/// Installs outlet::detail::fault_hook for one scope. Install it before
/// starting threads and let it go after joining them.
class ScopedFaultHook {
public:
  explicit ScopedFaultHook(outlet::detail::FaultHook hook) : previous_(outlet::detail::fault_hook) {
    outlet::detail::fault_hook = hook;
  }
  ~ScopedFaultHook() { outlet::detail::fault_hook = previous_; }
  ScopedFaultHook(const ScopedFaultHook&) = delete;
  ScopedFaultHook& operator=(const ScopedFaultHook&) = delete;

private:
  outlet::detail::FaultHook previous_;
};

// State for counting_hook (a hook is a plain function pointer); set it with arm_hook.
/// The handle whose calls counting_hook fails.
inline std::atomic<outlet::native_handle_type> hook_handle{outlet::detail::sys::invalid_handle};
/// The call counting_hook fails.
inline std::atomic<outlet::detail::SysCall> hook_call{outlet::detail::SysCall::receive};
/// How many of the matching calls to fail.
inline std::atomic<int> hook_failures{0};
/// The native error they fail with.
inline std::atomic<int> hook_error{0};
/// The matching calls seen.
inline std::atomic<int> hook_calls{0};

/// Fails the first hook_failures calls of hook_call on hook_handle with hook_error.
inline int counting_hook(outlet::detail::SysCall call, outlet::native_handle_type h) {
  if (call != hook_call.load() || h != hook_handle.load()) return 0;
  const int n = ++hook_calls;
  return n <= hook_failures.load() ? hook_error.load() : 0;
}

/// Sets up counting_hook's state (call before installing it).
inline void arm_hook(outlet::detail::SysCall call, outlet::native_handle_type h, int failures, int error) {
  hook_call = call;
  hook_handle = h;
  hook_failures = failures;
  hook_error = error;
  hook_calls = 0;
}

// --- data ------------------------------------------------------------------------

/// An error that no successful ec call leaves behind: set ec to it first to
/// show that an ec form clears it on success.
inline std::error_code stale_error() { return std::make_error_code(std::errc::io_error); }

/// Deterministic pseudo-random bytes (xorshift64*); another seed, other bytes.
inline std::string pattern(std::size_t size, std::uint64_t seed) {
  std::string out(size, '\0');
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (char& c : out) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c = static_cast<char>((x * 0x2545F4914F6CDD1DULL) >> 56);
  }
  return out;
}

}  // namespace outlet_test

#endif  // OUTLET_TESTS_TEST_SUPPORT_HPP
