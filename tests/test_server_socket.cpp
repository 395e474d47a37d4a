// Tests for <outlet/server_socket.hpp>: ServerSocket. Construction and
// options, rebinding a restarted server's port, every accept() form with
// and without deadlines, EINTR/ECONNABORTED retries (through the fault
// hook), the Unix socket file's lifetime, and errors on closed servers.
#include "catch.hpp"
#include "test_support.hpp"

#include <outlet/outlet.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#if !defined(_WIN32)
#include <sys/wait.h>
#include <unistd.h>
#endif  // !defined(_WIN32)

namespace {

using namespace std::chrono_literals;
using outlet::Address;
using outlet::Family;
using outlet::ServerSocket;
using outlet::Socket;
using outlet::detail::SysCall;
using outlet_test::arm_hook;
using outlet_test::Clock;
using outlet_test::close_on_exec;
using outlet_test::counting_hook;
using outlet_test::hook_calls;
using outlet_test::ms_since;
using outlet_test::starts_with;
using outlet_test::Thrown;
using outlet_test::thrown_by;

// --- helpers ------------------------------------------------------------------

/// "" if a byte goes from `client` to `served` and back, else what went wrong.
std::string exchange(Socket& client, Socket& served) {
  char c = 0;
  client.send_all(std::string_view("?"));
  if (served.receive(&c, 1) != 1 || c != '?') return "server did not get the byte";
  served.send_all(std::string_view("!"));
  if (client.receive(&c, 1) != 1 || c != '!') return "client did not get the reply";
  return "";
}

/// Connects a client to `server`, accepts it and checks a byte goes both ways; "" on success.
std::string serves_a_client(ServerSocket& server) {
  Socket client(server.local_address());
  Socket served = server.accept(5s);
  return exchange(client, served);
}

/// accept(), accept(peer), accept(timeout) and accept(peer, timeout) on a
/// server at `local` each return a connected, blocking socket; peer is the
/// client's address.
void check_accept_forms(const Address& local) {
  ServerSocket server(local);
  {
    Socket client(server.local_address());
    Socket served = server.accept();
    REQUIRE_FALSE(served.non_blocking());
    REQUIRE(served.local_address() == server.local_address());
    REQUIRE(exchange(client, served) == "");
  }
  {
    Socket client(server.local_address());
    Address peer;
    Socket served = server.accept(peer);
    REQUIRE(peer == client.local_address());
    REQUIRE(exchange(client, served) == "");
  }
  {
    Socket client(server.local_address());
    std::error_code ec = std::make_error_code(std::errc::io_error);
    Socket served = server.accept(5s, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(exchange(client, served) == "");
  }
  {
    Socket client(server.local_address());
    Address peer;
    Socket served = server.accept(peer, 5s);
    REQUIRE(peer == client.local_address());
    REQUIRE(served.peer_address() == client.local_address());
    REQUIRE(exchange(client, served) == "");
  }
  {
    Socket client(server.local_address());
    Address peer;
    std::error_code ec = std::make_error_code(std::errc::io_error);
    Socket served = server.accept(peer, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(peer == client.local_address());
    REQUIRE(exchange(client, served) == "");
  }
}

}  // namespace

// --- construction -------------------------------------------------------------------

// ServerSocket() is closed.
TEST_CASE("ServerSocket default constructor", "[server_socket]") {
  const ServerSocket s;
  REQUIRE_FALSE(s.is_open());
  REQUIRE_FALSE(static_cast<bool>(s));
  REQUIRE(s.native_handle() == outlet::detail::sys::invalid_handle);
}

// ServerSocket(Family): set options, then bind() and listen().
TEST_CASE("ServerSocket Family constructor then bind and listen", "[server_socket]") {
  for (Family family : {Family::ipv4, Family::ipv6}) {
    ServerSocket s(family);
    REQUIRE(s.is_open());
    s.set_reuse_address(true);
    REQUIRE(s.reuse_address());
    s.set_reuse_address(false);
    REQUIRE_FALSE(s.reuse_address());
    s.set_reuse_address(true);
    s.bind(Address::loopback(family, 0));
    s.listen();
    REQUIRE(s.local_address().family() == family);
    REQUIRE(s.local_address().port() != 0);
    REQUIRE(serves_a_client(s) == "");
  }

  ServerSocket d;  // bind() opens a socket of the address's family
  d.bind(Address::loopback(Family::ipv6, 0));
  REQUIRE(d.is_open());
  std::error_code ec = std::make_error_code(std::errc::io_error);
  d.listen(ec);
  REQUIRE_FALSE(ec);
  REQUIRE(d.local_address().family() == Family::ipv6);
  REQUIRE(serves_a_client(d) == "");
}

// ServerSocket(Family::unix_domain), then bind() to a path and listen().
TEST_CASE("ServerSocket Family constructor then bind and listen on a Unix path", "[server_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string path = outlet_test::unique_unix_path("family");
  ServerSocket u(Family::unix_domain);
  u.bind(Address::unix_domain(path));
  u.listen(4);
  REQUIRE(u.local_address() == Address::unix_domain(path));
  REQUIRE(serves_a_client(u) == "");
  u.close();
  REQUIRE_FALSE(outlet_test::file_exists(path));
}

// ServerSocket(addr) binds and listens: port 0 reads back the real port;
// SO_REUSEADDR (Windows: SO_EXCLUSIVEADDRUSE) is on for IP, IPV6_V6ONLY for IPv6.
TEST_CASE("ServerSocket address constructor", "[server_socket]") {
  ServerSocket v4(Address::loopback(Family::ipv4, 0));
  REQUIRE(v4.local_address().ip() == "127.0.0.1");
  REQUIRE(v4.local_address().port() != 0);
  REQUIRE(v4.reuse_address());
  REQUIRE(serves_a_client(v4) == "");

  ServerSocket v6(Address::loopback(Family::ipv6, 0));
  REQUIRE(v6.local_address().ip() == "::1");
  REQUIRE(v6.local_address().port() != 0);
  REQUIRE(v6.reuse_address());
  REQUIRE(v6.v6_only());
  REQUIRE(serves_a_client(v6) == "");

  ServerSocket backlog(Address::loopback(Family::ipv4, 0), 1);
  REQUIRE(serves_a_client(backlog) == "");
}

// ServerSocket(unix address) binds and listens at a path (and on Linux at an abstract name).
TEST_CASE("ServerSocket address constructor for Unix addresses", "[server_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string path = outlet_test::unique_unix_path("addr");
  ServerSocket unix_path(Address::unix_domain(path));
  REQUIRE(unix_path.local_address() == Address::unix_domain(path));
  REQUIRE(unix_path.local_address().path() == path);
  REQUIRE(outlet_test::file_exists(path));
  REQUIRE(serves_a_client(unix_path) == "");

  if (outlet_test::has_abstract_unix_names) {
    const std::string name = outlet_test::unique_abstract_name("addr");
    ServerSocket abstract(Address::unix_domain(name));
    REQUIRE(abstract.local_address().path() == name);
    REQUIRE(serves_a_client(abstract) == "");
  }
}

// A restarted server rebinds its port at once, though the connection it
// closed first left a TIME_WAIT behind on its side.
TEST_CASE("ServerSocket restarted server rebinds its port", "[server_socket]") {
  ServerSocket first(Address::loopback(Family::ipv4, 0));
  const std::uint16_t port = first.local_address().port();
  {
    Socket client(first.local_address());
    Socket served = first.accept(5s);
    REQUIRE(exchange(client, served) == "");
    served.close();  // the server side closes first
    char c = 0;
    REQUIRE(client.receive(&c, 1) == 0);  // its FIN arrived
  }
  first.close();

  ServerSocket second(Address::loopback(Family::ipv4, port));
  REQUIRE(second.local_address().port() == port);
  REQUIRE(serves_a_client(second) == "");
}

// bind() to a port another server listens on fails with address_in_use,
// and the message names the address.
TEST_CASE("ServerSocket bind to a port in use", "[server_socket]") {
  const ServerSocket first(Address::loopback(Family::ipv4, 0));
  const Address taken = first.local_address();
  const std::string prefix = "bind 127.0.0.1:" + std::to_string(taken.port());

  ServerSocket second(Family::ipv4);
  std::error_code ec;
  second.bind(taken, ec);
  REQUIRE(ec == std::errc::address_in_use);

  const Thrown member = thrown_by([&] { second.bind(taken); });
  REQUIRE(member.code == std::errc::address_in_use);
  REQUIRE(starts_with(member.what, prefix));

  const Thrown ctor = thrown_by([&] { ServerSocket third(taken); });
  REQUIRE(ctor.code == std::errc::address_in_use);
  REQUIRE(starts_with(ctor.what, prefix));
}

// --- accept ----------------------------------------------------------------------------

// accept(), accept(peer), accept(timeout) and accept(peer, timeout) each
// return a connected, blocking socket; peer is the client's address.
TEST_CASE("ServerSocket accept forms", "[server_socket]") {
  check_accept_forms(Address::loopback(Family::ipv4, 0));
  check_accept_forms(Address::loopback(Family::ipv6, 0));
}

// The same on a Unix stream server bound to a path.
TEST_CASE("ServerSocket accept forms on a Unix path", "[server_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  check_accept_forms(Address::unix_domain(outlet_test::unique_unix_path("accept")));
}

// accept(timeout) with no client fails with timed_out after about the timeout.
TEST_CASE("ServerSocket accept timeout", "[server_socket]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  std::error_code ec;
  auto start = Clock::now();
  const Socket none = server.accept(100ms, ec);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE_FALSE(none.is_open());
  REQUIRE(ms_since(start) >= 90);
  REQUIRE(ms_since(start) < 5000);

  Address peer;
  start = Clock::now();
  (void)server.accept(peer, 100ms, ec);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(ms_since(start) >= 90);
  REQUIRE(ms_since(start) < 5000);

  start = Clock::now();
  const Thrown e = thrown_by([&] { (void)server.accept(100ms); });
  REQUIRE(e.code == std::errc::timed_out);
  REQUIRE(starts_with(e.what, "accept"));
  REQUIRE(ms_since(start) >= 90);
  REQUIRE(ms_since(start) < 5000);

  REQUIRE(thrown_by([&] { (void)server.accept(peer, 100ms); }).code == std::errc::timed_out);
  REQUIRE(serves_a_client(server) == "");  // still listening afterwards
}

// The receive timeout limits a plain accept(); an explicit timeout overrides it.
TEST_CASE("ServerSocket receive timeout applies to accept", "[server_socket]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  server.set_receive_timeout(100ms);
  std::error_code ec;
  auto start = Clock::now();
  (void)server.accept(ec);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(ms_since(start) >= 90);
  REQUIRE(ms_since(start) < 5000);

  start = Clock::now();
  REQUIRE(thrown_by([&] { (void)server.accept(); }).code == std::errc::timed_out);
  REQUIRE(ms_since(start) >= 90);

  start = Clock::now();
  (void)server.accept(300ms, ec);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(ms_since(start) >= 290);
  REQUIRE(ms_since(start) < 5000);
}

// A non-blocking accept() with no client fails at once with
// operation_would_block, never timed_out, whatever the timeout.
TEST_CASE("ServerSocket non-blocking accept", "[server_socket]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  server.set_non_blocking(true);
  REQUIRE(server.non_blocking());
  server.set_receive_timeout(2s);
  std::error_code ec;
  const auto start = Clock::now();
  (void)server.accept(ec);
  REQUIRE(ec == std::errc::operation_would_block);
  (void)server.accept(2s, ec);
  REQUIRE(ec == std::errc::operation_would_block);
  REQUIRE(thrown_by([&] { (void)server.accept(); }).code == std::errc::operation_would_block);
  REQUIRE(ms_since(start) < 1000);

  // With a client queued (poll() says so), it accepts a blocking socket
  // (Winsock's accept() would hand on the listener's non-blocking mode).
  Socket client(server.local_address());
  REQUIRE(outlet_test::wait_readable(server.native_handle(), 5000));
  Socket served = server.accept(ec);
  REQUIRE_FALSE(ec);
  REQUIRE_FALSE(served.non_blocking());
  if (outlet_test::can_query_blocking_mode) REQUIRE_FALSE(outlet_test::native_non_blocking(served.native_handle()));
  REQUIRE(exchange(client, served) == "");
}

// accept() interrupted twice (EINTR) is retried and the client accepted.
TEST_CASE("ServerSocket accept retries EINTR", "[server_socket]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  Socket client(server.local_address());  // queued before accept() starts
  std::error_code ec;
  Socket served;
  arm_hook(SysCall::accept, server.native_handle(), 2, outlet_test::native_error::interrupted);
  SECTION("without a deadline") {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    served = server.accept(ec);
  }
  SECTION("with a deadline") {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    served = server.accept(5s, ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(hook_calls == 3);
  REQUIRE(exchange(client, served) == "");
}

// accept() failing with ECONNABORTED (a client gave up while queued) is retried.
TEST_CASE("ServerSocket accept retries ECONNABORTED", "[server_socket]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  Socket client(server.local_address());
  std::error_code ec;
  Socket served;
  arm_hook(SysCall::accept, server.native_handle(), 1, outlet_test::native_error::connection_aborted);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    served = server.accept(ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(hook_calls == 2);
  REQUIRE(exchange(client, served) == "");
}

// --- the Unix socket file -----------------------------------------------------------------

// The socket file exists while the server is open, and is gone after
// close() and after destruction.
TEST_CASE("ServerSocket removes its Unix socket file", "[server_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string path = outlet_test::unique_unix_path("file");
  ServerSocket closed(Address::unix_domain(path));
  REQUIRE(outlet_test::file_exists(path));
  closed.close();
  REQUIRE_FALSE(outlet_test::file_exists(path));

  {
    const ServerSocket destroyed(Address::unix_domain(path));
    REQUIRE(outlet_test::file_exists(path));
  }
  REQUIRE_FALSE(outlet_test::file_exists(path));

  {
    ServerSocket manual(Family::unix_domain);
    manual.bind(Address::unix_domain(path));
    REQUIRE(outlet_test::file_exists(path));
  }
  REQUIRE_FALSE(outlet_test::file_exists(path));
}

// A socket file left behind (a server killed before it could remove it)
// makes bind fail with address_in_use; what() says that the file exists and
// what to do, for the address constructors and bind() of both kinds of
// socket. A path in use with no file (an abstract name) gets no such hint.
TEST_CASE("bind on a Unix path whose socket file exists hints at the stale file", "[server_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string path = outlet_test::unique_unix_path("stale");
  const Address at = Address::unix_domain(path);
  {
    ServerSocket killed(at);
    // release() gives the handle up without removing the file, as a
    // killed process would leave it; the adopting Socket closes it.
    const Socket handle = Socket::adopt(killed.release());
    REQUIRE(handle.is_open());
  }
  REQUIRE(outlet_test::file_exists(path));
  const std::string hint = " (the socket file exists: left by a server that did not remove it? remove it first)";
  const std::string expected =
      "bind " + at.to_string() + hint + ": " + std::make_error_code(std::errc::address_in_use).message();

  const Thrown constructing = thrown_by([&] { ServerSocket again(at); });
  REQUIRE(constructing.code == std::errc::address_in_use);
  REQUIRE(constructing.what == expected);
  ServerSocket manual(Family::unix_domain);
  REQUIRE(thrown_by([&] { manual.bind(at); }).what == expected);
  std::error_code ec;
  manual.bind(at, ec);  // the error_code form: the code alone
  REQUIRE(ec == std::errc::address_in_use);
  if (outlet_test::unix_datagram_sockets_available()) {
    REQUIRE(thrown_by([&] { outlet::DatagramSocket d(at); }).what == expected);
    outlet::DatagramSocket d;
    REQUIRE(thrown_by([&] { d.bind(at); }).what == expected);
  }
  REQUIRE(std::remove(path.c_str()) == 0);  // the remedy the hint gives
  REQUIRE(ServerSocket(at).is_open());

  if (outlet_test::has_abstract_unix_names) {
    const Address abstract = Address::unix_domain("@" + outlet_test::unique_unix_path("stale-abstract").substr(1));
    const ServerSocket holder(abstract);
    const Thrown in_use = thrown_by([&] { ServerSocket second(abstract); });
    REQUIRE(in_use.code == std::errc::address_in_use);
    REQUIRE_FALSE(outlet_test::contains(in_use.what, "socket file exists"));
  }
}

// A moved server removes the file once, when its last owner closes.
TEST_CASE("ServerSocket moved Unix server removes its file once", "[server_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string path = outlet_test::unique_unix_path("move");
  ServerSocket a(Address::unix_domain(path));
  ServerSocket b(std::move(a));
  a.close();  // NOLINT(bugprone-use-after-move): closing the moved-from one does nothing
  REQUIRE(outlet_test::file_exists(path));
  ServerSocket c;
  c = std::move(b);
  REQUIRE(outlet_test::file_exists(path));
  REQUIRE(serves_a_client(c) == "");
  c.close();
  REQUIRE_FALSE(outlet_test::file_exists(path));

  // A new server at the path is not disturbed by the moved-from ones.
  ServerSocket d(Address::unix_domain(path));
  a = ServerSocket();
  b = ServerSocket();  // NOLINT(bugprone-use-after-move)
  c.close();
  REQUIRE(outlet_test::file_exists(path));
  REQUIRE(serves_a_client(d) == "");
}

// release() gives up the file too: it stays after the handle is closed.
TEST_CASE("ServerSocket release leaves the Unix socket file", "[server_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string path = outlet_test::unique_unix_path("release");
  outlet::native_handle_type handle = outlet::detail::sys::invalid_handle;
  {
    ServerSocket s(Address::unix_domain(path));
    handle = s.release();
    REQUIRE_FALSE(s.is_open());
  }
  REQUIRE(handle != outlet::detail::sys::invalid_handle);
  REQUIRE(outlet_test::file_exists(path));
  {
    ServerSocket adopted = ServerSocket::adopt(handle);  // closes the handle, knows no file
    REQUIRE(serves_a_client(adopted) == "");
  }
  REQUIRE(outlet_test::file_exists(path));
  REQUIRE(std::remove(path.c_str()) == 0);
}

// If another server's socket file replaced ours, closing ours leaves it alone.
TEST_CASE("ServerSocket close keeps a replacing server's file", "[server_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string path = outlet_test::unique_unix_path("replace");
  ServerSocket a(Address::unix_domain(path));
  REQUIRE(std::remove(path.c_str()) == 0);     // someone removes A's file ...
  ServerSocket b(Address::unix_domain(path));  // ... and B binds the path
  a.close();
  REQUIRE(outlet_test::file_exists(path));
  REQUIRE(serves_a_client(b) == "");
  b.close();
  REQUIRE_FALSE(outlet_test::file_exists(path));
}

// Binding a path a server still uses fails with address_in_use and leaves
// that server's file in place.
TEST_CASE("ServerSocket bind to a Unix path in use", "[server_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string path = outlet_test::unique_unix_path("inuse");
  ServerSocket first(Address::unix_domain(path));
  {
    ServerSocket second(Family::unix_domain);
    std::error_code ec;
    second.bind(Address::unix_domain(path), ec);
    REQUIRE(ec == std::errc::address_in_use);
    const Thrown e = thrown_by([&] { ServerSocket third(Address::unix_domain(path)); });
    REQUIRE(e.code == std::errc::address_in_use);
    REQUIRE(starts_with(e.what, "bind unix:" + path));
  }
  REQUIRE(outlet_test::file_exists(path));
  REQUIRE(serves_a_client(first) == "");
}

// An abstract name creates no file, and is free again once the server closes.
TEST_CASE("ServerSocket abstract names leave no file", "[server_socket]") {
  OUTLET_TEST_REQUIRE_ABSTRACT_UNIX_NAMES();
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string name = outlet_test::unique_abstract_name("nofile");
  ServerSocket s(Address::unix_domain(name));
  REQUIRE_FALSE(outlet_test::file_exists(name));
  REQUIRE_FALSE(outlet_test::file_exists(name.substr(1)));
  REQUIRE(serves_a_client(s) == "");
  s.close();
  REQUIRE_FALSE(outlet_test::file_exists(name));
  const ServerSocket again(Address::unix_domain(name));
  REQUIRE(again.local_address().path() == name);
}

// --- closed servers and bad input --------------------------------------------------------

// accept() and listen() on a closed or moved-from server fail with bad_file_descriptor.
TEST_CASE("ServerSocket operations on a closed server", "[server_socket]") {
  ServerSocket never_opened;
  ServerSocket live(Address::loopback(Family::ipv4, 0));
  ServerSocket new_owner(std::move(live));
  ServerSocket closed(Address::loopback(Family::ipv4, 0));
  closed.close();
  REQUIRE_NOTHROW(closed.close());
  for (ServerSocket* s : {&never_opened, &live, &closed}) {
    Address peer;
    std::error_code ec;
    (void)s->accept(ec);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    (void)s->accept(peer, ec);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    (void)s->accept(1s, ec);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    (void)s->accept(peer, 1s, ec);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    s->listen(ec);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    (void)s->local_address(ec);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    REQUIRE(thrown_by([&] { (void)s->accept(); }).code == std::errc::bad_file_descriptor);
    REQUIRE(thrown_by([&] { (void)s->accept(peer); }).code == std::errc::bad_file_descriptor);
    REQUIRE(thrown_by([&] { (void)s->accept(1s); }).code == std::errc::bad_file_descriptor);
    REQUIRE(thrown_by([&] { s->listen(); }).code == std::errc::bad_file_descriptor);
  }
  REQUIRE(serves_a_client(new_owner) == "");
}

// A negative accept timeout is an invalid argument.
TEST_CASE("ServerSocket negative accept timeout", "[server_socket]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  Address peer;
  std::error_code ec;
  (void)server.accept(-1ms, ec);
  REQUIRE(ec == std::errc::invalid_argument);
  (void)server.accept(peer, -1ms, ec);
  REQUIRE(ec == std::errc::invalid_argument);
  const Thrown negative = thrown_by([&] { (void)server.accept(-1ms); });
  REQUIRE(negative.code == std::errc::invalid_argument);
  REQUIRE(negative.what == "accept: negative timeout (-1000000ns): " + negative.code.message());
  REQUIRE(thrown_by([&] { (void)server.accept(peer, -2ms); }).what ==
          "accept: negative timeout (-2000000ns): " + negative.code.message());
  REQUIRE(serves_a_client(server) == "");
  // Closed is reported first, as in the ec form.
  ServerSocket closed;
  REQUIRE(thrown_by([&] { (void)closed.accept(-1ms); }).code == std::errc::bad_file_descriptor);
}

// The listening socket is close-on-exec (on Windows: not inheritable), however it was made.
TEST_CASE("ServerSocket listening socket is close-on-exec", "[server_socket]") {
  for (const Address& local : {Address::loopback(Family::ipv4, 0), Address::loopback(Family::ipv6, 0)}) {
    const ServerSocket s(local);
    REQUIRE(close_on_exec(s.native_handle()));
  }
  ServerSocket manual(Family::ipv4);
  REQUIRE(close_on_exec(manual.native_handle()));
  ServerSocket lazy;
  lazy.bind(Address::loopback(Family::ipv4, 0));
  REQUIRE(close_on_exec(lazy.native_handle()));
}

// The same for a Unix stream listener.
TEST_CASE("ServerSocket Unix listening socket is close-on-exec", "[server_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const ServerSocket s(Address::unix_domain(outlet_test::unique_unix_path("cloexec")));
  REQUIRE(close_on_exec(s.native_handle()));
  ServerSocket manual(Family::unix_domain);
  REQUIRE(close_on_exec(manual.native_handle()));
}

// Another thread may take the connection poll() saw; the fault hook plays
// that thread by accepting it first, right before outlet's own accept().
namespace {
std::atomic<outlet::native_handle_type> steal_from{outlet::detail::sys::invalid_handle};
std::atomic<outlet::native_handle_type> stolen{outlet::detail::sys::invalid_handle};
int steal_connection(SysCall call, outlet::native_handle_type h) {
  if (call == SysCall::accept && h == steal_from.load()) {
    steal_from = outlet::detail::sys::invalid_handle;
    stolen = ::accept(h, nullptr, nullptr);
  }
  return 0;
}
}  // namespace

// A timed accept whose connection is taken between poll() and accept()
// still ends at its deadline (it never blocks in accept()).
TEST_CASE("ServerSocket timed accept never blocks past its deadline", "[server_socket]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  Socket client(server.local_address());
  std::error_code ec;
  const auto start = Clock::now();
  {
    outlet_test::ScopedFaultHook hook(steal_connection);
    steal_from = server.native_handle();
    (void)server.accept(300ms, ec);
  }
  const long long elapsed = ms_since(start);
  const outlet::native_handle_type taken = stolen.exchange(outlet::detail::sys::invalid_handle);
  REQUIRE(taken != outlet::detail::sys::invalid_handle);
  REQUIRE(outlet_test::close_handle(taken) == 0);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(elapsed >= 290);
  REQUIRE(elapsed < 5000);
  // The caller's view is unchanged: still a blocking server socket.
  REQUIRE_FALSE(server.non_blocking());
  REQUIRE(serves_a_client(server) == "");
}

// After a timed accept, a plain accept() still waits for its client: an
// EWOULDBLOCK (forced here) waits in poll() instead of failing.
TEST_CASE("ServerSocket plain accept waits after a timed accept", "[server_socket]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  std::error_code ec;
  (void)server.accept(10ms, ec);
  REQUIRE(ec == std::errc::timed_out);
  Socket client(server.local_address());
  arm_hook(SysCall::accept, server.native_handle(), 1, outlet_test::native_error::would_block);
  Socket served;
  {
    outlet_test::ScopedFaultHook hook(counting_hook);
    served = server.accept(ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(hook_calls.load() == 2);
  REQUIRE(served.peer_address() == client.local_address());
}

// A forked child closing its copy of a Unix server leaves the parent's socket
// file alone (the pre-fork server pattern); the parent's close removes it.
TEST_CASE("ServerSocket socket file survives a forked child's close", "[server_socket]") {
#if defined(_WIN32)
  OUTLET_TEST_SKIP("POSIX only: fork()");
#else
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string path = outlet_test::unique_unix_path("fork");
  ServerSocket server(Address::unix_domain(path));
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::error_code ignored;
    server.close(ignored);
    ::_exit(outlet_test::file_exists(path) ? 0 : 1);
  }
  int status = -1;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(outlet_test::file_exists(path));
  REQUIRE(serves_a_client(server) == "");
  server.close();
  REQUIRE_FALSE(outlet_test::file_exists(path));
#endif  // defined(_WIN32)
}
