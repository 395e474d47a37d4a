// Tests for <outlet/systemd.hpp>: socket activation without libsystemd.
// Each case sets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES itself and puts
// real sockets (or a pipe, or nothing) at descriptors 3, 4, ..., saving
// what the test runner had there and restoring it afterwards. The real
// systemd-socket-activate drives tcp_echo_server --systemd in
// tests/examples/test_examples.py (systemd mode). Windows has no such
// protocol: there listen_fds() finds none.
#include "catch.hpp"
#include "test_support.hpp"

#include <outlet/outlet.hpp>
#include <outlet/systemd.hpp>

#include <chrono>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#if !defined(_WIN32)
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#endif  // !defined(_WIN32)

namespace {

using namespace std::chrono_literals;
using outlet::Address;
using outlet::DatagramSocket;
using outlet::Family;
using outlet::ServerSocket;
using outlet::Socket;
using outlet::systemd::ListenSocket;
using outlet_test::close_on_exec;
using outlet_test::contains;
using outlet_test::thrown_by;

#if !defined(_WIN32)

/// Sets (or, for nullptr, unsets) the three variables for the life of the
/// object; unsets all three afterwards.
class ListenEnvironment {
public:
  ListenEnvironment(const char* pid, const char* fds, const char* names) {
    set("LISTEN_PID", pid);
    set("LISTEN_FDS", fds);
    set("LISTEN_FDNAMES", names);
  }
  ~ListenEnvironment() {
    for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) ::unsetenv(name);
  }
  ListenEnvironment(const ListenEnvironment&) = delete;
  ListenEnvironment& operator=(const ListenEnvironment&) = delete;

private:
  static void set(const char* name, const char* value) {
    if (value != nullptr) {
      REQUIRE(::setenv(name, value, 1) == 0);
    } else {
      ::unsetenv(name);
    }
  }
};

/// This process's id, as LISTEN_PID spells it.
std::string own_pid() { return std::to_string(::getpid()); }

/// The descriptor moved to a number >= 100 (the old one closed), so that
/// PassedDescriptors never writes over it while its owner still uses it.
int moved_high(int fd) {
  const int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 100);
  REQUIRE(high >= 0);
  ::close(fd);
  return high;
}

/// The socket, its descriptor moved to a number >= 100 (see above).
template <class S>
S moved_high(S socket) {
  return S::adopt(moved_high(socket.release()));
}

/// Puts copies of `sources` at descriptors 3, 4, ... (a source of -1: that
/// number left closed) as a service manager would, without close-on-exec.
/// Whatever was open there (the test runner's, or a source itself) is moved
/// aside first (to a descriptor >= 100) and put back, with its flags, when
/// the object goes.
class PassedDescriptors {
public:
  explicit PassedDescriptors(const std::vector<int>& sources) {
    // Copies out of the way first: a source may sit at a target number.
    std::vector<int> copies;
    for (int source : sources) copies.push_back(source >= 0 ? ::fcntl(source, F_DUPFD_CLOEXEC, 100) : -1);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      const int target = 3 + static_cast<int>(i);
      Saved saved{target, -1, ::fcntl(target, F_GETFD)};
      if (saved.flags != -1) saved.copy = ::fcntl(target, F_DUPFD_CLOEXEC, 100);
      saved_.push_back(saved);
      REQUIRE((saved.flags == -1 || saved.copy >= 0));
      if (copies[i] >= 0) {
        REQUIRE(::dup2(copies[i], target) == target);  // dup2: no close-on-exec, as passed
        ::close(copies[i]);
      } else {
        ::close(target);
      }
    }
  }
  ~PassedDescriptors() {
    for (const Saved& saved : saved_) {
      if (saved.copy < 0) {
        ::close(saved.target);  // ours (or already closed by the socket that took it)
        continue;
      }
      ::dup2(saved.copy, saved.target);
      ::fcntl(saved.target, F_SETFD, saved.flags);
      ::close(saved.copy);
    }
  }
  PassedDescriptors(const PassedDescriptors&) = delete;
  PassedDescriptors& operator=(const PassedDescriptors&) = delete;

private:
  struct Saved {
    int target;
    int copy;
    int flags;
  };
  std::vector<Saved> saved_;
};

/// A pipe at descriptors >= 100, both ends closed when it goes.
struct Pipe {
  int ends[2] = {-1, -1};
  Pipe() {
    REQUIRE(::pipe(ends) == 0);
    ends[0] = moved_high(ends[0]);
    ends[1] = moved_high(ends[1]);
  }
  ~Pipe() {
    ::close(ends[0]);
    ::close(ends[1]);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
};

/// Whether a descriptor is open.
bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

#endif  // !defined(_WIN32)

}  // namespace

TEST_CASE("listen_fds takes the passed sockets by name, close-on-exec and blocking", "[systemd]") {
#if defined(_WIN32)
  CHECK(outlet::systemd::listen_fds().empty());
  OUTLET_TEST_SKIP("no socket activation on Windows: listen_fds() finds none, checked");
#else
  ServerSocket listener = moved_high(ServerSocket(Address::loopback(Family::ipv4, 0)));
  DatagramSocket datagram = moved_high(DatagramSocket(Address::loopback(Family::ipv4, 0)));
  listener.set_non_blocking(true);  // as NonBlocking=yes passes them: shared with the copy
  PassedDescriptors passed({listener.native_handle(), datagram.native_handle()});
  const ListenEnvironment environment(own_pid().c_str(), "2", "web:dns");
  REQUIRE_FALSE(close_on_exec(3));

  std::vector<ListenSocket> sockets = outlet::systemd::listen_fds();
  CHECK(::getenv("LISTEN_PID") == nullptr);
  CHECK(::getenv("LISTEN_FDS") == nullptr);
  CHECK(::getenv("LISTEN_FDNAMES") == nullptr);
  REQUIRE(sockets.size() == 2);
  CHECK(sockets[0].name == "web");
  CHECK(sockets[1].name == "dns");
  CHECK(std::holds_alternative<ServerSocket>(sockets[0].socket));
  CHECK(std::holds_alternative<DatagramSocket>(sockets[1].socket));
  CHECK(close_on_exec(3));
  CHECK(close_on_exec(4));
  CHECK_FALSE(outlet_test::native_non_blocking(3));

  ServerSocket web = outlet::systemd::take_server_socket(sockets, "web");
  CHECK(web.native_handle() == 3);
  CHECK(web.local_address() == listener.local_address());
  Socket client(listener.local_address());
  Socket served = web.accept(5s);
  client.send_all(std::string_view("hi"));
  char text[2] = {};
  CHECK(served.receive_exact(text, 2) == 2);

  DatagramSocket dns = outlet::systemd::take_datagram_socket(sockets, "dns");
  CHECK(dns.native_handle() == 4);
  DatagramSocket sender(Family::ipv4);
  sender.send_to("q", datagram.local_address());
  Address from;
  dns.set_receive_timeout(5s);
  CHECK(dns.receive_from(text, sizeof text, from) == 1);
  CHECK(from.port() == sender.local_address().port());

  // Taken already, the wrong kind, and a name nobody passed.
  auto thrown = thrown_by([&] { (void)outlet::systemd::take_server_socket(sockets, "web"); });
  CHECK(thrown.code == std::errc::invalid_argument);
  CHECK(contains(thrown.what,
                 "systemd::take_server_socket \"web\": the sockets of that name are not listening "
                 "stream sockets, or were taken already"));
  thrown = thrown_by([&] { (void)outlet::systemd::take_server_socket(sockets, "dns"); });
  CHECK(contains(thrown.what, "take_server_socket \"dns\": the sockets of that name are not"));
  thrown = thrown_by([&] { (void)outlet::systemd::take_datagram_socket(sockets, "ntp"); });
  CHECK(contains(thrown.what,
                 "systemd::take_datagram_socket \"ntp\": no socket of that name was passed (names: \"web\", \"dns\")"));
  std::error_code ec;
  CHECK_FALSE(outlet::systemd::take_server_socket(sockets, "ntp", ec).is_open());
  CHECK(ec == std::errc::invalid_argument);
#endif  // defined(_WIN32)
}

#if !defined(_WIN32)

TEST_CASE("listen_fds: no LISTEN_FDNAMES names each \"unknown\"; unset_environment false keeps the variables",
          "[systemd]") {
  ServerSocket a = moved_high(ServerSocket(Address::loopback(Family::ipv4, 0)));
  ServerSocket b = moved_high(ServerSocket(Address::loopback(Family::ipv6, 0)));
  PassedDescriptors passed({a.native_handle(), b.native_handle()});
  const std::string pid = own_pid();
  const ListenEnvironment environment(pid.c_str(), "2", nullptr);
  std::error_code ec;
  std::vector<ListenSocket> sockets = outlet::systemd::listen_fds(false, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(sockets.size() == 2);
  CHECK(sockets[0].name == "unknown");
  CHECK(sockets[1].name == "unknown");
  CHECK(::getenv("LISTEN_PID") == pid);
  CHECK(::getenv("LISTEN_FDS") == std::string("2"));
  // Two of one name: taken in order.
  CHECK(outlet::systemd::take_server_socket(sockets, "unknown").local_address() == a.local_address());
  CHECK(outlet::systemd::take_server_socket(sockets, "unknown").local_address() == b.local_address());
}

TEST_CASE("listen_fds: another process's LISTEN_PID, or no variables, is none and not an error", "[systemd]") {
  ServerSocket listener = moved_high(ServerSocket(Address::loopback(Family::ipv4, 0)));
  PassedDescriptors passed({listener.native_handle()});
  const std::string other = std::to_string(::getpid() + 1);
  for (const char* pid : {other.c_str(), static_cast<const char*>(nullptr)}) {
    INFO("LISTEN_PID " << (pid != nullptr ? pid : "unset"));
    const ListenEnvironment environment(pid, "1", "web");
    std::error_code ec = std::make_error_code(std::errc::io_error);
    CHECK(outlet::systemd::listen_fds(true, ec).empty());
    CHECK_FALSE(ec);
    CHECK(::getenv("LISTEN_FDS") == nullptr);  // unset all the same, as sd_listen_fds(1) does
    CHECK_FALSE(close_on_exec(3));             // not touched
  }
  const ListenEnvironment environment(own_pid().c_str(), nullptr, nullptr);
  CHECK(outlet::systemd::listen_fds().empty());
  const ListenEnvironment zero(own_pid().c_str(), "0", nullptr);
  CHECK(outlet::systemd::listen_fds().empty());
}

TEST_CASE("listen_fds: malformed variables are errors that quote them, and no descriptor is taken", "[systemd]") {
  ServerSocket listener = moved_high(ServerSocket(Address::loopback(Family::ipv4, 0)));
  PassedDescriptors passed({listener.native_handle(), listener.native_handle()});
  const std::string pid = own_pid();
  struct Case {
    const char* pid;
    const char* fds;
    const char* names;
    std::string what;
  };
  const Case cases[] = {
      {"abc", "1", nullptr, "systemd: LISTEN_PID=\"abc\": not a process id"},
      {"", "1", nullptr, "systemd: LISTEN_PID=\"\": not a process id"},
      {"0", "1", nullptr, "systemd: LISTEN_PID=\"0\": not a process id"},
      {"-1", "1", nullptr, "systemd: LISTEN_PID=\"-1\": not a process id"},
      {"99999999999999999999999", "1", nullptr, "systemd: LISTEN_PID=\"99999999999999999999999\": not a process id"},
      {pid.c_str(), "x1", nullptr, "systemd: LISTEN_FDS=\"x1\": not a number of descriptors"},
      {pid.c_str(), " 1", nullptr, "systemd: LISTEN_FDS=\" 1\": not a number of descriptors"},
      {pid.c_str(), "-1", nullptr, "systemd: LISTEN_FDS=\"-1\": not a number of descriptors"},
      {pid.c_str(), "2147483645", nullptr,
       "systemd: LISTEN_FDS=\"2147483645\": more descriptors than a process can have"},
      {pid.c_str(), "18446744073709551617", nullptr,
       "systemd: LISTEN_FDS=\"18446744073709551617\": more descriptors than a process can have"},
      {pid.c_str(), "2", "web", "systemd: LISTEN_FDNAMES=\"web\": names 1 sockets, but LISTEN_FDS=\"2\""},
      {pid.c_str(), "1", "web:dns", "systemd: LISTEN_FDNAMES=\"web:dns\": names 2 sockets, but LISTEN_FDS=\"1\""},
      {pid.c_str(), "2", "a\nb", "systemd: LISTEN_FDNAMES=\"a\\x0ab\": names 1 sockets"},  // quoted, escaped
  };
  for (const Case& c : cases) {
    INFO(c.what);
    {
      const ListenEnvironment environment(c.pid, c.fds, c.names);
      const auto thrown = thrown_by([] { (void)outlet::systemd::listen_fds(); });
      CHECK(thrown.code == std::errc::invalid_argument);
      CHECK(outlet_test::starts_with(thrown.what, c.what));
      CHECK(::getenv("LISTEN_PID") == nullptr);
    }
    const ListenEnvironment environment(c.pid, c.fds, c.names);
    std::error_code ec;
    CHECK(outlet::systemd::listen_fds(false, ec).empty());
    CHECK(ec == std::errc::invalid_argument);
    CHECK(::getenv("LISTEN_FDS") != nullptr);
    CHECK(is_open(3));
    CHECK_FALSE(close_on_exec(3));
  }
}

TEST_CASE("listen_fds: a descriptor that is closed, not a socket, or a connection is an error naming it", "[systemd]") {
  const std::string pid = own_pid();
  SECTION("closed") {
    PassedDescriptors passed({-1});
    const ListenEnvironment environment(pid.c_str(), "1", "web");
    const auto thrown = thrown_by([] { (void)outlet::systemd::listen_fds(); });
    CHECK(thrown.code == std::errc::bad_file_descriptor);
    CHECK(outlet_test::starts_with(thrown.what, "systemd: descriptor 3 (\"web\"): "));
  }
  SECTION("a pipe") {
    const Pipe pipe;
    PassedDescriptors passed({pipe.ends[0]});
    const ListenEnvironment environment(pid.c_str(), "1", "fifo");
    const auto thrown = thrown_by([] { (void)outlet::systemd::listen_fds(); });
    CHECK(thrown.code == std::errc::not_a_socket);
    CHECK(outlet_test::starts_with(thrown.what, "systemd: descriptor 3 (\"fifo\"): "));
    CHECK(is_open(3));
  }
  SECTION("a connected socket, second") {
    ServerSocket listener = moved_high(ServerSocket(Address::loopback(Family::ipv4, 0)));
    Socket client = moved_high(Socket(listener.local_address()));
    PassedDescriptors passed({listener.native_handle(), client.native_handle()});
    const ListenEnvironment environment(pid.c_str(), "2", "web:conn");
    const auto thrown = thrown_by([] { (void)outlet::systemd::listen_fds(); });
    CHECK(thrown.code == std::errc::invalid_argument);
    CHECK(thrown.what ==
          "systemd: descriptor 4 (\"conn\") is a connected stream socket, not a listening one (a unit with "
          "Accept=yes?): " +
              thrown.code.message());
    CHECK(is_open(3));  // the listener before it was not taken either
    CHECK(is_open(4));
  }
}

#endif  // !defined(_WIN32)
