// Helpers shared by outlet's tests: unique Unix-socket names (ctest runs
// test cases in parallel processes), descriptor counting, and a scoped
// fault hook.
#ifndef OUTLET_TESTS_TEST_SUPPORT_HPP
#define OUTLET_TESTS_TEST_SUPPORT_HPP

#include <outlet/outlet.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#if !defined(_WIN32)
#include <dirent.h>
#include <unistd.h>
#endif  // !defined(_WIN32)

namespace outlet_test {

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

}  // namespace outlet_test

#endif  // OUTLET_TESTS_TEST_SUPPORT_HPP
