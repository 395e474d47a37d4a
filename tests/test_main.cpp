// outlet's test main, linked into every test executable (Catch2 v2 and v3),
// with a descriptor-leak check (issue #7): a listener counts the process's
// open descriptors (outlet_test::open_descriptor_count: /proc/self/fd on
// Linux, GetProcessHandleCount on Windows) when each TEST_CASE starts and
// when it ends, and main() counts them before and after the whole run. A
// case that ends with more open than it started with has leaked: the name,
// the two counts and (Linux) what each new descriptor is are printed, and
// the process exits non-zero even if every assertion passed.
//
// ctest runs each case in its own process (catch_discover_tests), and the
// leaks/<executable> tests run every case of an executable in one process;
// both go through this check. Where the count is unknown (Wine answers 0,
// macOS and the BSDs have no /proc/self/fd) the check prints
// "outlet-leak-check-skipped: " once per run and checks nothing.
//
// Catch2 v2 is header-only: CATCH_CONFIG_RUNNER compiles it here, once.
// Catch2 v3 is a compiled library: tests/CMakeLists.txt links Catch2::Catch2
// (not Catch2WithMain, whose main() this file replaces).
#if defined(OUTLET_CATCH2_V3)
#include <catch2/catch_session.hpp>
#include <catch2/catch_test_case_info.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif  // defined(OUTLET_CATCH2_V3)

#include "test_support.hpp"

#include <algorithm>
#include <cstddef>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <dirent.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#endif  // defined(__linux__)

namespace {

// --- what is open --------------------------------------------------------------

/// One open descriptor and what it refers to (readlink of /proc/self/fd/N).
struct OpenDescriptor {
  int fd = -1;
  std::string target;
  friend bool operator<(const OpenDescriptor& a, const OpenDescriptor& b) {
    return a.fd != b.fd ? a.fd < b.fd : a.target < b.target;
  }
};

/// The count (outlet_test::open_descriptor_count, <= 0 taken as unknown)
/// and, on Linux, every open descriptor and its target, sorted.
struct Snapshot {
  int count = -1;
  std::vector<OpenDescriptor> open;
  bool known() const { return count > 0; }
};

#if defined(__linux__)
/// "TCP", "UDP", "Unix stream", ... with the local and peer addresses, for a
/// socket descriptor; "" if the OS will not say.
std::string describe_socket(int fd) {
  int domain = 0;
  int type = 0;
  socklen_t size = sizeof domain;
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0) return {};
  size = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0) return {};
  std::string kind;
  if (domain == AF_UNIX) {
    kind = type == SOCK_STREAM ? "Unix stream" : type == SOCK_DGRAM ? "Unix datagram" : "Unix";
  } else if (domain == AF_INET || domain == AF_INET6) {
    kind = type == SOCK_STREAM ? "TCP" : type == SOCK_DGRAM ? "UDP" : "IP";
    kind += domain == AF_INET ? "/IPv4" : "/IPv6";
  } else {
    return "domain " + std::to_string(domain) + ", type " + std::to_string(type);
  }
  const auto address = [fd](bool peer) -> std::string {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    sockaddr* native = reinterpret_cast<sockaddr*>(&storage);
    if ((peer ? ::getpeername(fd, native, &length) : ::getsockname(fd, native, &length)) != 0) return "none";
    std::error_code ec;
    const outlet::Address a = outlet::Address::from_native(native, length, ec);
    if (ec || a.empty()) return "unnamed";
    return a.to_string();
  };
  return kind + ", local " + address(false) + ", peer " + address(true);
}
#endif  // defined(__linux__)

/// What is open now. Takes one descriptor of its own while it looks (the
/// directory's), which neither the count nor the list includes.
#if defined(OUTLET_TEST_LIBKQUEUE)
// libkqueue (the kqueue back end on Linux, in CI) frees a closed kqueue's
// descriptors on a thread of its own, some time after close(): this
// undocumented export waits until that thread has caught up, so that a
// count sees what a BSD kernel would. Not a loosening: anything left open
// after it is a leak.
extern "C" void libkqueue_drain_pending_close(void);
#endif  // defined(OUTLET_TEST_LIBKQUEUE)

Snapshot take_snapshot() {
#if defined(OUTLET_TEST_LIBKQUEUE)
  libkqueue_drain_pending_close();
#endif  // defined(OUTLET_TEST_LIBKQUEUE)
  Snapshot s;
  s.count = outlet_test::open_descriptor_count();
#if defined(__linux__)
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return s;
  const int own = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd == own) continue;
    char target[PATH_MAX];
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
    s.open.push_back({fd, n >= 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string("?")});
  }
  ::closedir(dir);
  std::sort(s.open.begin(), s.open.end());
#endif  // defined(__linux__)
  return s;
}

/// Prints the descriptors open in `after` that were not (or were something
/// else) in `before`, one a line: "  fd 7 -> socket:[123] (TCP/IPv4, ...)".
void print_new_descriptors(std::ostream& out, const Snapshot& before, const Snapshot& after) {
  for (const OpenDescriptor& d : after.open) {
    if (std::binary_search(before.open.begin(), before.open.end(), d)) continue;
    out << "  fd " << d.fd << " -> " << d.target;
#if defined(__linux__)
    if (outlet_test::starts_with(d.target, "socket:")) {
      const std::string what = describe_socket(d.fd);
      if (!what.empty()) out << " (" << what << ')';
    }
#endif  // defined(__linux__)
    out << '\n';
  }
}

// --- the check -------------------------------------------------------------------

/// What the listener found, for main() to act on after the run.
struct LeakLog {
  bool unknown_reported = false;
  std::vector<std::string> leaking_cases;
};

LeakLog& leak_log() {
  static LeakLog log;
  return log;
}

constexpr const char* prefix = "outlet leak check: ";

/// Prints why nothing is checked, once per process, with the marker
/// tests/CMakeLists.txt gives the leaks/ tests as SKIP_REGULAR_EXPRESSION.
void report_unknown_count() {
  if (leak_log().unknown_reported) return;
  leak_log().unknown_reported = true;
  std::cout << "outlet-leak-check-skipped: this runtime cannot count the process's open descriptors "
               "or handles; no descriptor-leak check"
            << std::endl;
}

#if defined(OUTLET_CATCH2_V3)
using ListenerBase = Catch::EventListenerBase;
#else
using ListenerBase = Catch::TestEventListenerBase;
#endif  // defined(OUTLET_CATCH2_V3)

/// Counts the open descriptors when each test case starts and ends (once
/// per case, around all of its sections' runs).
class LeakListener : public ListenerBase {
public:
  using ListenerBase::ListenerBase;

  void testRunStarting(const Catch::TestRunInfo& info) override {
    ListenerBase::testRunStarting(info);
    if (!take_snapshot().known()) report_unknown_count();
  }

  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    ListenerBase::testCaseStarting(info);
    name_ = info.name;
    start_ = take_snapshot();
  }

  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    const Snapshot end = take_snapshot();
    if (start_.known() && end.known() && end.count > start_.count) {
      std::cout << std::flush;  // keep the order of the two streams in a shared log
      std::cerr << '\n'
                << prefix << "test case \"" << name_ << "\" leaked " << end.count - start_.count
                << " descriptor(s): " << start_.count << " open when it started, " << end.count << " when it ended\n";
      print_new_descriptors(std::cerr, start_, end);
      std::cerr << std::flush;
      leak_log().leaking_cases.push_back(name_);
    }
    ListenerBase::testCaseEnded(stats);
  }

private:
  std::string name_;
  Snapshot start_;
};

}  // namespace

CATCH_REGISTER_LISTENER(LeakListener)

int main(int argc, char* argv[]) {
  Catch::Session session;
  const int parse_error = session.applyCommandLine(argc, argv);
  if (parse_error != 0) return parse_error;
  // Under v2 this opens the -o/--out file now, so that the count before
  // the run includes it (the session keeps it open after run() returns).
  (void)session.config();

#if defined(_WIN32)
  // Winsock's WSAStartup, which outlet runs once per process on first use
  // and undoes at exit (detail::sys::ensure_started), opens handles of its
  // own: start it before counting, so that the first case is not blamed.
  (void)outlet::detail::sys::ensure_started();
#endif  // defined(_WIN32)

#if defined(OUTLET_TEST_LIBKQUEUE)
  // libkqueue opens two descriptors for the whole process (its monitoring
  // thread's) with the first kqueue: open and close one before counting,
  // so that the first case is not blamed for them.
  outlet::Poller().wait(std::chrono::milliseconds(0));
#endif  // defined(OUTLET_TEST_LIBKQUEUE)

  const Snapshot before = take_snapshot();
  const int result = session.run();
  const Snapshot after = take_snapshot();

  bool leaked = false;
  const std::vector<std::string>& cases = leak_log().leaking_cases;
  std::cout << std::flush;
  if (!cases.empty()) {
    leaked = true;
    std::cerr << '\n'
              << prefix << "FAILED: " << cases.size() << " test case(s) ended with more descriptors open "
              << "than they started with:\n";
    for (const std::string& name : cases) std::cerr << "  " << name << '\n';
  }
  if (before.known() && after.known() && after.count > before.count) {
    leaked = true;
    std::cerr << '\n'
              << prefix << "FAILED: the run leaked " << after.count - before.count << " descriptor(s): " << before.count
              << " open before Session::run, " << after.count << " after\n";
    print_new_descriptors(std::cerr, before, after);
  }
  if (!leaked) return result;
  std::cerr << prefix << "exiting with " << (result != 0 ? result : 1)
            << (result != 0 ? " (the assertions' own result)" : " although every assertion passed") << std::endl;
  return result != 0 ? result : 1;
}
