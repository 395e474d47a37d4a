// A private network for a test case: a thread that moves into a new Linux
// network namespace (unshare(CLONE_NEWNET)), sets it up with `ip` commands
// (loopback up, a veth pair...) and runs the case's body there. Sockets the
// body opens belong to that namespace, so multicast and link-local traffic
// never leaves it, while the rest of the process (other cases, when one
// process runs them all) stays in the machine's own namespace.
//
// Where that cannot happen (not Linux, Wine, no CAP_SYS_ADMIN, no `ip`
// command, no veth driver) run_in_new_network_namespace() returns the reason,
// and the case skips with it.
#ifndef OUTLET_TESTS_NETNS_SUPPORT_HPP
#define OUTLET_TESTS_NETNS_SUPPORT_HPP

#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#endif  // defined(__linux__)

namespace outlet_test {

#if defined(__linux__)
/// Runs `command` through the shell; "" if it succeeded, else what it printed.
inline std::string run_command(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return "popen: " + std::string(std::strerror(errno));
  std::string output;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  const int status = ::pclose(pipe);
  if (status == 0) return {};
  return "`" + command + "` failed (status " + std::to_string(status) + "): " + output;
}
#endif  // defined(__linux__)

/// Linux's IP_MULTICAST_ALL off: `s` then receives only the groups it joined
/// itself, not every group any socket on the host joined on its port (the
/// BSDs' and Windows' behaviour). No-op elsewhere.
template <class Socket>
void receive_only_own_groups(Socket& s) {
#if defined(IP_MULTICAST_ALL)
  s.set_option(IPPROTO_IP, IP_MULTICAST_ALL, 0);
#else
  (void)s;
#endif  // defined(IP_MULTICAST_ALL)
}

/// On a new thread: unshare(CLONE_NEWNET), run each of `setup` (shell
/// commands, `ip` ones, run in the new namespace), then `body`. Returns ""
/// once body has run (an exception it throws, a failed REQUIRE included, is
/// rethrown here), or the reason the namespace could not be made, for
/// OUTLET_TEST_SKIP. The namespace goes away with the thread and the
/// body's sockets.
inline std::string run_in_new_network_namespace(const std::vector<std::string>& setup,
                                                const std::function<void()>& body) {
#if defined(__linux__)
  if (!run_command("command -v ip").empty()) return "no `ip` command here (Debian: apt-get install iproute2)";
  std::string reason;
  std::exception_ptr failure;
  std::thread thread([&] {
    // Only this thread (and the processes it starts) enters the namespace.
    if (::unshare(CLONE_NEWNET) != 0) {
      reason = "unshare(CLONE_NEWNET) is not permitted here: " + std::string(std::strerror(errno));
      return;
    }
    for (const std::string& command : setup) {
      reason = run_command(command);
      if (!reason.empty()) return;
    }
    try {
      body();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  thread.join();
  if (failure) std::rethrow_exception(failure);
  return reason;
#else
  (void)setup;
  (void)body;
  return "Linux network namespaces only (unshare(CLONE_NEWNET)); not on this OS or under Wine";
#endif  // defined(__linux__)
}

}  // namespace outlet_test

#endif  // OUTLET_TESTS_NETNS_SUPPORT_HPP
