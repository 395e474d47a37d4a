// Helpers shared by outlet's tests: unique Unix-socket names (ctest runs
// test cases in parallel processes), descriptors, strings, timing, thrown
// errors, threads, connected sockets and fault hooks.
#ifndef OUTLET_TESTS_TEST_SUPPORT_HPP
#define OUTLET_TESTS_TEST_SUPPORT_HPP

#include <outlet/outlet.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#if !defined(_WIN32)
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#endif  // !defined(_WIN32)

namespace outlet_test {

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
  const char* dir = std::getenv("TMPDIR");
  std::string base = dir != nullptr && *dir != '\0' ? dir : "/tmp";
  if (base.size() > 40) base = "/tmp";
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

// --- descriptors ----------------------------------------------------------------

/// The number of open descriptors in this process (Linux: /proc/self/fd); -1 if unknown.
inline int open_descriptor_count() {
#if defined(__linux__)
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (::readdir(dir) != nullptr) ++count;
  ::closedir(dir);
  return count - 3;  // ".", ".." and the directory's own descriptor
#else
  return -1;
#endif  // defined(__linux__)
}

#if !defined(_WIN32)
/// Whether fd is open and close-on-exec.
inline bool close_on_exec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  return flags != -1 && (flags & FD_CLOEXEC) != 0;
}
#endif  // !defined(_WIN32)

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

}  // namespace outlet_test

#endif  // OUTLET_TESTS_TEST_SUPPORT_HPP
