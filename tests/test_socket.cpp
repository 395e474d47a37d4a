// Tests for <outlet/socket.hpp>: Socket, Shutdown and the free connect().
// Echo loops over TCP (127.0.0.1, ::1) and Unix stream sockets, a bulk
// transfer, concurrent clients, and every error path: refused and timed-out
// connects, timeouts, EINTR/EAGAIN (through the fault hook), SIGPIPE,
// close-on-exec, shutdown, move semantics and descriptor leaks.
#include "catch.hpp"
#include "test_support.hpp"

#include <outlet/outlet.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

// What users write by mistake finds no constructor at all: the private one
// that adopts a native handle takes a detail::AdoptHandle tag, so it is not
// a candidate (compile_fail/wrong_constructor_* checks the message).
static_assert(!std::is_constructible_v<outlet::Socket, const char*>);
static_assert(!std::is_constructible_v<outlet::Socket, int>);
static_assert(!std::is_constructible_v<outlet::Socket, outlet::native_handle_type>);
static_assert(!std::is_constructible_v<outlet::ServerSocket, int>);
static_assert(!std::is_constructible_v<outlet::ServerSocket, std::uint16_t>);
static_assert(!std::is_constructible_v<outlet::DatagramSocket, int>);
static_assert(!std::is_convertible_v<outlet::native_handle_type, outlet::Socket>);
static_assert(std::is_constructible_v<outlet::Socket, const outlet::Address&>);
static_assert(std::is_constructible_v<outlet::ServerSocket, const outlet::Address&>);

namespace {

using namespace std::chrono_literals;
using outlet::Address;
using outlet::Family;
using outlet::ServerSocket;
using outlet::Shutdown;
using outlet::Socket;
using outlet::detail::SysCall;
using outlet_test::arm_hook;
using outlet_test::Clock;
using outlet_test::close_on_exec;
using outlet_test::connected_pair;
using outlet_test::contains;
using outlet_test::counting_hook;
using outlet_test::handle_closed;
using outlet_test::hook_calls;
using outlet_test::Joiner;
using outlet_test::ms_since;
using outlet_test::Pair;
using outlet_test::pattern;
using outlet_test::refused_address;
using outlet_test::starts_with;
using outlet_test::Thrown;
using outlet_test::thrown_by;

// --- helpers ------------------------------------------------------------------

/// "" if the bytes match, else where they first differ (`offset` = position of got[0] in the stream).
std::string compare_bytes(const char* got, const char* want, std::size_t size, std::size_t offset = 0) {
  const auto mismatch = std::mismatch(got, got + size, want);
  if (mismatch.first == got + size) return "";
  return "byte " + std::to_string(offset + static_cast<std::size_t>(mismatch.first - got)) + " differs";
}

/// Thread-safe list of failures seen on helper threads (Catch's assertions
/// belong to the main thread); empty text means no failure.
class Failures {
public:
  void add(const std::string& what) {
    const std::lock_guard<std::mutex> lock(mutex_);
    text_ += what + "\n";
  }
  std::string text() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }

private:
  mutable std::mutex mutex_;
  std::string text_;
};

/// Echoes everything `connection` receives until the peer closes; returns the first error.
std::error_code echo(Socket& connection) {
  std::vector<char> buffer(64 * 1024);
  std::error_code ec;
  for (;;) {
    const std::size_t n = connection.receive(buffer.data(), buffer.size(), ec);
    if (ec || n == 0) return ec;
    connection.send_all(buffer.data(), n, ec);
    if (ec) return ec;
  }
}

/// An echo server on its own thread: accepts `clients` connections and
/// echoes each on a thread of its own. Declare it before its clients, so a
/// failing test closes the clients first and the echo threads end.
class EchoServer {
public:
  explicit EchoServer(const Address& local, int clients = 1)
      : listener_(local), address_(listener_.local_address()), thread_([this, clients] { run(clients); }) {}
  ~EchoServer() { finish(); }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  /// Where clients connect.
  const Address& address() const { return address_; }
  /// Waits until every connection ended; returns the failures seen ("" if none).
  std::string finish() {
    if (thread_.joinable()) thread_.join();
    return failures_.text();
  }

private:
  void run(int clients) {
    std::vector<std::thread> workers;
    for (int i = 0; i < clients; ++i) {
      std::error_code ec;
      Socket connection = listener_.accept(30s, ec);  // the limit only ends a failed test
      if (ec) {
        failures_.add("accept: " + ec.message());
        break;
      }
      workers.emplace_back([this, c = std::move(connection)]() mutable {
        if (const std::error_code e = echo(c)) failures_.add("echo: " + e.message());
      });
    }
    for (std::thread& w : workers) w.join();
  }

  ServerSocket listener_;
  Address address_;
  Failures failures_;
  std::thread thread_;
};

/// One round trip through an echo server, checked byte for byte; "" on
/// success. `style` picks the calls: bit 0 send() loop / send_all(), bit 1
/// receive() loop / receive_exact(), bit 2 pointer / string_view overloads.
std::string round_trip(Socket& s, const std::string& data, unsigned style) {
  const std::string where = "size " + std::to_string(data.size()) + " style " + std::to_string(style) + ": ";
  std::error_code ec;
  if ((style & 1U) == 0) {
    std::size_t sent = 0;
    while (sent < data.size()) {  // each send() moves at least one byte, or fails
      const std::size_t n = (style & 4U) != 0 ? s.send(std::string_view(data).substr(sent), ec)
                                              : s.send(data.data() + sent, data.size() - sent, ec);
      if (ec) return where + "send: " + ec.message();
      if (n == 0) return where + "send sent nothing";
      sent += n;
    }
  } else {
    const std::size_t sent =
        (style & 4U) != 0 ? s.send_all(std::string_view(data), ec) : s.send_all(data.data(), data.size(), ec);
    if (ec) return where + "send_all: " + ec.message();
    if (sent != data.size()) return where + "send_all sent " + std::to_string(sent);
  }
  std::string back(data.size(), '\0');
  if ((style & 2U) == 0) {
    std::size_t got = 0;
    while (got < back.size()) {  // each receive() moves at least one byte, or ends
      const std::size_t n = s.receive(back.data() + got, back.size() - got, ec);
      if (ec) return where + "receive: " + ec.message();
      if (n == 0) return where + "peer closed after " + std::to_string(got) + " bytes";
      got += n;
    }
  } else {
    const std::size_t got = s.receive_exact(back.data(), back.size(), ec);
    if (ec) return where + "receive_exact: " + ec.message();
    if (got != back.size()) return where + "receive_exact got " + std::to_string(got);
  }
  const std::string diff = compare_bytes(back.data(), data.data(), data.size());
  return diff.empty() ? diff : where + diff;
}

/// Many round trips of sizes from 1 byte to 64 KiB through an echo server at `local`.
void echo_loop(const Address& local) {
  const std::size_t sizes[] = {1,    2,    3,    7,    64,   100,   511,   512,   1000,  1460,  1500, 2048,
                               4095, 4096, 4097, 8192, 9000, 16384, 32767, 32768, 50000, 65535, 65536};
  EchoServer server(local);
  Socket client(server.address());
  REQUIRE(client.peer_address() == server.address());
  unsigned round = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t size : sizes) {
      REQUIRE(round_trip(client, pattern(size, round), round % 8) == "");
      ++round;
    }
  }
  client.close();
  REQUIRE(server.finish() == "");
}

/// The outcome of connecting until a connect times out.
struct TimedOutConnect {
  std::error_code ec;        // timed_out if one did
  long long elapsed_ms = 0;  // how long that connect took
};

/// Fills a backlog-1 listener that never accepts until a connect with
/// `timeout` fails: Linux drops SYNs once the accept queue is full, so it
/// times out (see outlet_test::full_listen_queue_drops_connects); other
/// systems may refuse it instead. Bounded: at most 64 attempts, and an
/// empty ec if every one of them connected.
TimedOutConnect connect_until_timed_out(outlet::duration timeout) {
  ServerSocket server(Address::loopback(Family::ipv4, 0), 1);
  std::vector<Socket> queued;  // kept open so the queue stays full
  for (int attempt = 0; attempt < 64; ++attempt) {
    Socket s;
    std::error_code ec;
    const auto start = Clock::now();
    s.connect(server.local_address(), timeout, ec);
    if (ec) return {ec, ms_since(start)};
    queued.push_back(std::move(s));
  }
  return {};
}

/// Socket(family) is open but not connected: peer_address fails with not_connected.
void check_open_unconnected(Family family) {
  Socket s(family);
  REQUIRE(s.is_open());
  REQUIRE(static_cast<bool>(s));
  std::error_code ec;
  const Address peer = s.peer_address(ec);
  REQUIRE(ec == std::errc::not_connected);
  REQUIRE(peer.empty());
  REQUIRE(thrown_by([&] { (void)s.peer_address(); }).code == std::errc::not_connected);
}

/// Socket(peer), Socket(peer, timeout) and connect() on a closed and on an
/// open socket, to a server listening at `local`.
void check_connecting_constructors(const Address& local) {
  ServerSocket server(local);
  const Address at = server.local_address();

  const Socket a(at);
  REQUIRE(a.is_open());
  REQUIRE(a.peer_address() == at);

  const Socket b(at, 5s);
  REQUIRE(b.peer_address() == at);

  Socket c;  // connect() opens a socket of the peer's family
  c.connect(at);
  REQUIRE(c.is_open());
  REQUIRE(c.local_address().family() == at.family());
  REQUIRE(c.peer_address() == at);

  Socket d(at.family());  // connect() on an open socket keeps its handle
  const outlet::native_handle_type handle = d.native_handle();
  std::error_code ec = std::make_error_code(std::errc::io_error);
  d.connect(at, 5s, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(d.native_handle() == handle);
  REQUIRE(d.peer_address() == at);
  REQUIRE_FALSE(d.non_blocking());  // the timed connect restored blocking mode

  for (int i = 0; i < 4; ++i) {  // every one of them reached the listener
    Address peer;
    const Socket accepted = server.accept(peer, 5s);
    REQUIRE(accepted.is_open());
    REQUIRE(peer.family() == at.family());
  }
}

/// A connection through `local` whose peer has closed: sends fail with
/// broken_pipe or connection_reset, and none raises SIGPIPE (its default
/// action, set here, would kill the test).
void check_send_to_closed_peer(const Address& local) {
  const outlet_test::DefaultSigpipe sigpipe;
  REQUIRE(sigpipe.installed());
  Pair p = connected_pair(local);
  p.accepted.close();
  const std::string chunk(1024, 'x');
  std::error_code ec;
  for (int attempt = 0; attempt < 100000 && !ec; ++attempt) (void)p.client.send(chunk, ec);
  INFO("send: " << ec.message() << " (" << ec.value() << ")");
  REQUIRE((ec == std::errc::broken_pipe || ec == std::errc::connection_reset));
  ec.clear();
  p.client.send_all(chunk, ec);
  REQUIRE(ec);
}

}  // namespace

// --- echo loops ----------------------------------------------------------------

// TCP over IPv4 loopback: many round trips of 1 byte .. 64 KiB, every byte checked.
TEST_CASE("Socket echo loop over TCP 127.0.0.1", "[socket]") { echo_loop(Address::loopback(Family::ipv4, 0)); }

// TCP over IPv6 loopback.
TEST_CASE("Socket echo loop over TCP ::1", "[socket]") { echo_loop(Address::loopback(Family::ipv6, 0)); }

// Unix stream socket bound to a path.
TEST_CASE("Socket echo loop over a Unix stream path", "[socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const std::string path = outlet_test::unique_unix_path("echo");
  echo_loop(Address::unix_domain(path));
  REQUIRE_FALSE(outlet_test::file_exists(path));
}

// Unix stream socket in the Linux abstract namespace.
TEST_CASE("Socket echo loop over a Unix abstract name", "[socket]") {
  OUTLET_TEST_REQUIRE_ABSTRACT_UNIX_NAMES();
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  echo_loop(Address::unix_domain(outlet_test::unique_abstract_name("echo")));
}

// 32 MiB through a TCP echo, checked byte for byte: one thread sends while
// this one receives, or the echo would stall once every buffer is full.
TEST_CASE("Socket bulk transfer of 32 MiB through a TCP echo", "[socket]") {
  const std::size_t total = 32u * 1024u * 1024u;
  const std::string data = pattern(total, 42);
  EchoServer server(Address::loopback(Family::ipv4, 0));
  Socket client(server.address());
  client.set_send_timeout(30s);  // only ends a failed test
  std::error_code send_error;
  std::size_t sent = 0;
  Joiner sender(std::thread([&] {
    // Chunks of varying size, so sends and receives do not line up.
    std::size_t chunk = 1000;
    while (sent < total && !send_error) {
      const std::size_t n = std::min(chunk, total - sent);
      sent += client.send_all(data.data() + sent, n, send_error);
      chunk = chunk * 3 % 300007 + 1;
    }
    if (!send_error) client.shutdown(Shutdown::send, send_error);
  }));
  std::vector<char> buffer(100 * 1000);
  std::size_t received = 0;
  std::string mismatch;
  std::error_code receive_error;
  while (received <= total) {  // bounded: every pass moves at least one byte or ends
    const std::size_t n = client.receive(buffer.data(), buffer.size(), receive_error);
    if (receive_error || n == 0) break;
    if (received + n > total) {
      mismatch = "received more than was sent";
      break;
    }
    if (mismatch.empty()) mismatch = compare_bytes(buffer.data(), data.data() + received, n, received);
    received += n;
  }
  sender.join();
  REQUIRE_FALSE(send_error);
  REQUIRE(sent == total);
  REQUIRE_FALSE(receive_error);
  REQUIRE(mismatch == "");
  REQUIRE(received == total);
  client.close();
  REQUIRE(server.finish() == "");
}

// 32 clients on their own threads against one server (a thread per
// connection), each making several verified round trips.
TEST_CASE("Socket 32 concurrent clients against one echo server", "[socket]") {
  constexpr int clients = 32;
  EchoServer server(Address::loopback(Family::ipv4, 0), clients);
  Failures failures;
  std::atomic<int> succeeded{0};
  {
    std::vector<std::thread> threads;
    for (int id = 0; id < clients; ++id) {
      threads.emplace_back([&, id] {
        std::error_code ec;
        Socket s;
        s.connect(server.address(), ec);
        if (ec) return failures.add("client " + std::to_string(id) + " connect: " + ec.message());
        for (unsigned round = 0; round < 8; ++round) {
          const std::size_t size = 1 + (static_cast<std::size_t>(id) * 7919 + round * 4099) % 20000;
          const std::string failure = round_trip(s, pattern(size, static_cast<std::uint64_t>(id) * 100 + round), round);
          if (!failure.empty()) return failures.add("client " + std::to_string(id) + ": " + failure);
        }
        ++succeeded;
      });
    }
    for (std::thread& t : threads) t.join();
  }
  REQUIRE(failures.text() == "");
  REQUIRE(succeeded == clients);
  REQUIRE(server.finish() == "");
}

// --- constructors and connect ----------------------------------------------------

// Socket() is closed; Socket(Family) is open but not connected.
TEST_CASE("Socket default and Family constructors", "[socket]") {
  const Socket closed;
  REQUIRE_FALSE(closed.is_open());
  REQUIRE_FALSE(static_cast<bool>(closed));
  REQUIRE(closed.native_handle() == outlet::detail::sys::invalid_handle);

  for (Family family : {Family::ipv4, Family::ipv6}) check_open_unconnected(family);
}

// Socket(Family::unix_domain) is open but not connected.
TEST_CASE("Socket Family constructor for a Unix stream socket", "[socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  check_open_unconnected(Family::unix_domain);
}

// Socket(peer), Socket(peer, timeout) and connect() on a closed or an open socket.
TEST_CASE("Socket connecting constructors and connect()", "[socket]") {
  check_connecting_constructors(Address::loopback(Family::ipv4, 0));
  check_connecting_constructors(Address::loopback(Family::ipv6, 0));
}

// The same over a Unix stream socket bound to a path.
TEST_CASE("Socket connecting constructors and connect() over a Unix path", "[socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  check_connecting_constructors(Address::unix_domain(outlet_test::unique_unix_path("ctor")));
}

// connect() to a port nobody listens on: connection_refused, in every form.
TEST_CASE("Socket connect refused", "[socket]") {
  ServerSocket holder;
  const Address target = refused_address(holder);
  const std::string prefix = "connect 127.0.0.1:" + std::to_string(target.port());

  std::error_code ec;
  Socket s;
  s.connect(target, ec);
  REQUIRE(ec == std::errc::connection_refused);

  Socket t;
  ec.clear();
  t.connect(target, 2s, ec);
  REQUIRE(ec == std::errc::connection_refused);

  const Thrown plain = thrown_by([&] { Socket u(target); });
  REQUIRE(plain.code == std::errc::connection_refused);
  REQUIRE(starts_with(plain.what, prefix));

  const Thrown timed = thrown_by([&] { Socket u(target, 2s); });
  REQUIRE(timed.code == std::errc::connection_refused);
  REQUIRE(starts_with(timed.what, prefix));

  const Thrown member = thrown_by([&] {
    Socket u;
    u.connect(target);
  });
  REQUIRE(member.code == std::errc::connection_refused);
  REQUIRE(starts_with(member.what, prefix));
}

// connect() with a deadline that expires fails with timed_out after about the deadline.
TEST_CASE("Socket connect with a deadline times out", "[socket]") {
  const TimedOutConnect result = connect_until_timed_out(200ms);
  // Only a peer that lets connects hang can make one time out on loopback.
  if (!outlet_test::full_listen_queue_drops_connects && (!result.ec || result.ec == std::errc::connection_refused))
    OUTLET_TEST_SKIP("this OS " + std::string(result.ec ? "refuses" : "queues") +
                     " connects to a full listen queue instead of letting them time out");
  REQUIRE(result.ec == std::errc::timed_out);
  REQUIRE(result.elapsed_ms >= 190);
  REQUIRE(result.elapsed_ms < 10000);

  // The throwing form says which address timed out.
  ServerSocket server(Address::loopback(Family::ipv4, 0), 1);
  std::vector<Socket> queued;
  Thrown error;
  for (int attempt = 0; attempt < 64 && !error.code; ++attempt) {
    error = thrown_by([&] { queued.emplace_back(server.local_address(), 200ms); });
  }
  REQUIRE(error.code == std::errc::timed_out);
  REQUIRE(starts_with(error.what, "connect " + server.local_address().to_string()));
}

// Negative connect timeouts are invalid arguments.
TEST_CASE("Socket connect with a negative timeout", "[socket]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  std::error_code ec;
  Socket s;
  s.connect(server.local_address(), -1ms, ec);
  REQUIRE(ec == std::errc::invalid_argument);
  // The throwing forms quote the timeout.
  const std::string expected =
      "connect " + server.local_address().to_string() + ": negative timeout (-1000000ns): " + ec.message();
  const Thrown constructing = thrown_by([&] { Socket t(server.local_address(), -1ms); });
  REQUIRE(constructing.code == std::errc::invalid_argument);
  REQUIRE(constructing.what == expected);
  REQUIRE(thrown_by([&] { s.connect(server.local_address(), -1ms); }).what == expected);
  REQUIRE(thrown_by([&] { s.connect(Address(), -1ms); }).what ==
          "connect <empty address>: negative timeout (-1000000ns): " + ec.message());
}

// The free connect(host, port) resolves and connects, in every form.
TEST_CASE("Free connect() to a listening server", "[socket]") {
  ServerSocket v4(Address::loopback(Family::ipv4, 0));
  ServerSocket v6(Address::loopback(Family::ipv6, 0));
  const std::uint16_t port4 = v4.local_address().port();
  const std::uint16_t port6 = v6.local_address().port();

  const Socket a = outlet::connect("127.0.0.1", port4);
  REQUIRE(a.peer_address() == Address::loopback(Family::ipv4, port4));

  std::error_code ec = std::make_error_code(std::errc::io_error);
  const Socket c = outlet::connect("::1", port6, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(c.peer_address() == Address::loopback(Family::ipv6, port6));

  ec = std::make_error_code(std::errc::io_error);
  const Socket d = outlet::connect("[::1]", port6, 5s, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(d.peer_address() == Address::loopback(Family::ipv6, port6));

  // Each of them is a real connection the servers accept.
  REQUIRE(v4.accept(5s).is_open());
  for (int i = 0; i < 2; ++i) REQUIRE(v6.accept(5s).is_open());
}

// The free connect(host, port) tries each address a name resolves to.
TEST_CASE("Free connect() to localhost", "[socket]") {
  OUTLET_TEST_REQUIRE_LOCALHOST();
  ServerSocket v4(Address::loopback(Family::ipv4, 0));
  const std::uint16_t port4 = v4.local_address().port();
  // localhost may also resolve to ::1, where nothing listens on port4: the
  // next address is tried.
  const Socket b = outlet::connect("localhost", port4, 5s);
  REQUIRE(b.peer_address() == Address::loopback(Family::ipv4, port4));
  REQUIRE(v4.accept(5s).is_open());
}

// The free connect() reports refusal with the host quoted; bad input is invalid_argument.
TEST_CASE("Free connect() errors", "[socket]") {
  ServerSocket holder;
  const std::uint16_t port = refused_address(holder).port();

  std::error_code ec;
  Socket s = outlet::connect("127.0.0.1", port, ec);
  REQUIRE(ec == std::errc::connection_refused);
  REQUIRE_FALSE(s.is_open());

  ec.clear();
  s = outlet::connect("127.0.0.1", port, 2s, ec);
  REQUIRE(ec == std::errc::connection_refused);

  for (int with_timeout = 0; with_timeout < 2; ++with_timeout) {
    const Thrown e = thrown_by([&] {
      if (with_timeout != 0) {
        (void)outlet::connect("127.0.0.1", port, 2s);
      } else {
        (void)outlet::connect("127.0.0.1", port);
      }
    });
    REQUIRE(e.code == std::errc::connection_refused);
    REQUIRE(contains(e.what, "\"127.0.0.1\""));
    REQUIRE(contains(e.what, std::to_string(port)));
  }

  ec.clear();
  s = outlet::connect("127.0.0.1", port, -5ms, ec);
  REQUIRE(ec == std::errc::invalid_argument);
  const Thrown negative = thrown_by([&] { (void)outlet::connect("127.0.0.1", port, -5ms); });
  REQUIRE(negative.code == std::errc::invalid_argument);
  REQUIRE(negative.what == "connect \"127.0.0.1\" port " + std::to_string(port) +
                               ": negative timeout (-5000000ns): " + negative.code.message());

  ec.clear();
  s = outlet::connect("", port, ec);
  REQUIRE(ec == std::errc::invalid_argument);
  const Thrown empty = thrown_by([&] { (void)outlet::connect("", port); });
  REQUIRE(empty.code == std::errc::invalid_argument);
  REQUIRE(contains(empty.what, "\"\""));
}

// --- receive and send ------------------------------------------------------------

// receive() returns 0 once the peer closed; receive_exact() returns fewer
// bytes only then, without an error.
TEST_CASE("Socket receive after the peer closed", "[socket]") {
  Pair p = connected_pair();
  p.accepted.send_all(std::string_view("abc"));
  p.accepted.close();

  char buffer[10] = {};
  std::error_code ec = std::make_error_code(std::errc::io_error);
  REQUIRE(p.client.receive_exact(buffer, sizeof buffer, ec) == 3);
  REQUIRE_FALSE(ec);
  REQUIRE(std::string(buffer, 3) == "abc");
  REQUIRE(p.client.receive(buffer, sizeof buffer) == 0);
  REQUIRE(p.client.receive_exact(buffer, sizeof buffer) == 0);
}

// The same over a Unix stream socket.
TEST_CASE("Socket receive after the peer closed over a Unix stream", "[socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  char buffer[10] = {};
  Pair u = connected_pair(Address::unix_domain(outlet_test::unique_unix_path("eof")));
  u.accepted.send_all(std::string_view("xy"));
  u.accepted.close();
  REQUIRE(u.client.receive_exact(buffer, sizeof buffer) == 2);
  REQUIRE(std::string(buffer, 2) == "xy");
  REQUIRE(u.client.receive(buffer, sizeof buffer) == 0);
}

// A receive timeout fails receive() and receive_exact() with timed_out
// after about the timeout; the partial data is reported.
TEST_CASE("Socket receive timeout", "[socket]") {
  Pair p = connected_pair();
  p.client.set_receive_timeout(100ms);
  char buffer[10] = {};

  auto start = Clock::now();
  std::error_code ec;
  REQUIRE(p.client.receive(buffer, sizeof buffer, ec) == 0);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(ms_since(start) >= 90);
  REQUIRE(ms_since(start) < 5000);

  start = Clock::now();
  REQUIRE(thrown_by([&] { (void)p.client.receive(buffer, sizeof buffer); }).code == std::errc::timed_out);
  REQUIRE(ms_since(start) >= 90);
  REQUIRE(ms_since(start) < 5000);

  p.accepted.send_all(std::string_view("abc"));  // three of the ten bytes wanted
  start = Clock::now();
  ec.clear();
  REQUIRE(p.client.receive_exact(buffer, sizeof buffer, ec) == 3);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(std::string(buffer, 3) == "abc");
  REQUIRE(ms_since(start) >= 90);
  REQUIRE(ms_since(start) < 5000);

  start = Clock::now();
  const Thrown e = thrown_by([&] { (void)p.client.receive_exact(buffer, sizeof buffer); });
  REQUIRE(e.code == std::errc::timed_out);
  REQUIRE(ms_since(start) >= 90);
  REQUIRE(ms_since(start) < 5000);

  // The socket still works once data arrives.
  p.accepted.send_all(std::string_view("d"));
  REQUIRE(p.client.receive(buffer, sizeof buffer) == 1);
  REQUIRE(buffer[0] == 'd');
}

// A send timeout fails send_all() with timed_out once the peer stops
// reading; the ec form says how much was sent.
TEST_CASE("Socket send timeout", "[socket]") {
  ServerSocket server(Family::ipv4);
  server.set_receive_buffer_size(4096);  // accepted sockets inherit it
  server.bind(Address::loopback(Family::ipv4, 0));
  server.listen();
  Socket client(Family::ipv4);
  client.set_send_buffer_size(4096);
  client.connect(server.local_address());
  const Socket peer = server.accept();  // never reads

  client.set_send_timeout(100ms);
  const std::string data = pattern(16u * 1024u * 1024u, 7);
  std::error_code ec;
  auto start = Clock::now();
  const std::size_t sent = client.send_all(data.data(), data.size(), ec);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(sent > 0);
  REQUIRE(sent < data.size());
  REQUIRE(ms_since(start) >= 90);
  REQUIRE(ms_since(start) < 10000);

  start = Clock::now();
  const Thrown e = thrown_by([&] { client.send_all(std::string_view(data)); });
  REQUIRE(e.code == std::errc::timed_out);
  REQUIRE(contains(e.what, "bytes sent"));
  REQUIRE(ms_since(start) >= 90);
  REQUIRE(ms_since(start) < 10000);

  REQUIRE(thrown_by([&] { (void)client.send(data.data(), data.size()); }).code == std::errc::timed_out);
}

// --- EINTR, EAGAIN and non-blocking mode (through the fault hook) ---------------

// EINTR in every poll() (no data), or in every recv() (data waiting), does
// not stretch a deadline forever nor end it early.
TEST_CASE("Socket receive deadline holds across EINTR", "[socket]") {
  Pair p = connected_pair();
  p.client.set_receive_timeout(100ms);
  char buffer[16] = {};

  SECTION("every poll() interrupted") {
    arm_hook(SysCall::poll, p.client.native_handle(), INT_MAX, outlet_test::native_error::interrupted);
  }
  SECTION("data waiting, every recv() interrupted") {
    p.accepted.send_all(std::string_view("waiting"));
    arm_hook(SysCall::receive, p.client.native_handle(), INT_MAX, outlet_test::native_error::interrupted);
  }
  std::error_code ec;
  long long elapsed = 0;
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    const auto start = Clock::now();
    (void)p.client.receive(buffer, sizeof buffer, ec);
    elapsed = ms_since(start);
  }
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(hook_calls > 1);  // it was interrupted, and retried
  REQUIRE(elapsed >= 90);
  REQUIRE(elapsed < 5000);
}

// recv() interrupted three times is retried until the data comes through.
TEST_CASE("Socket receive retries EINTR", "[socket]") {
  Pair p = connected_pair();
  p.accepted.send_all(std::string_view("hello"));
  char buffer[16] = {};
  std::size_t n = 0;
  std::error_code ec;
  arm_hook(SysCall::receive, p.client.native_handle(), 3, outlet_test::native_error::interrupted);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    n = p.client.receive(buffer, sizeof buffer, ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(std::string(buffer, n) == "hello");
  REQUIRE(hook_calls == 4);
}

// send() interrupted twice is retried and the peer gets the data once.
TEST_CASE("Socket send retries EINTR", "[socket]") {
  Pair p = connected_pair();
  std::size_t n = 0;
  std::error_code ec;
  arm_hook(SysCall::send, p.client.native_handle(), 2, outlet_test::native_error::interrupted);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    n = p.client.send(std::string_view("hello"), ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(n == 5);
  REQUIRE(hook_calls == 3);
  p.client.shutdown(Shutdown::send);
  char buffer[16] = {};
  REQUIRE(p.accepted.receive_exact(buffer, sizeof buffer) == 5);
  REQUIRE(std::string(buffer, 5) == "hello");
}

// EAGAIN from a blocking socket can only be an OS timeout (timed_out); from
// a non-blocking one it is operation_would_block.
TEST_CASE("Socket receive reports EAGAIN by blocking mode", "[socket]") {
  Pair p = connected_pair();
  char buffer[16] = {};
  std::error_code ec;
  arm_hook(SysCall::receive, p.client.native_handle(), 1, outlet_test::native_error::would_block);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    (void)p.client.receive(buffer, sizeof buffer, ec);
  }
  REQUIRE(ec == std::errc::timed_out);

  p.client.set_non_blocking(true);
  arm_hook(SysCall::receive, p.client.native_handle(), 1, outlet_test::native_error::would_block);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    (void)p.client.receive(buffer, sizeof buffer, ec);
  }
  REQUIRE(ec == std::errc::operation_would_block);
  REQUIRE(hook_calls == 1);
}

// A non-blocking receive with nothing to read fails at once with
// operation_would_block, even with a receive timeout set.
TEST_CASE("Socket non-blocking receive", "[socket]") {
  Pair p = connected_pair();
  REQUIRE_FALSE(p.client.non_blocking());
  p.client.set_non_blocking(true);
  REQUIRE(p.client.non_blocking());
  p.client.set_receive_timeout(2s);  // must not turn would-block into a wait

  char buffer[16] = {};
  std::error_code ec;
  const auto start = Clock::now();
  REQUIRE(p.client.receive(buffer, sizeof buffer, ec) == 0);
  REQUIRE(ec == std::errc::operation_would_block);
  REQUIRE(p.client.receive_exact(buffer, sizeof buffer, ec) == 0);
  REQUIRE(ec == std::errc::operation_would_block);
  REQUIRE(thrown_by([&] { (void)p.client.receive(buffer, sizeof buffer); }).code == std::errc::operation_would_block);
  REQUIRE(ms_since(start) < 1000);

  p.client.set_non_blocking(false);
  REQUIRE_FALSE(p.client.non_blocking());
  p.accepted.send_all(std::string_view("z"));
  REQUIRE(p.client.receive(buffer, sizeof buffer) == 1);
}

// --- closed peers and inheritance ---------------------------------------------------

// Sending to a closed peer fails with broken_pipe / connection_reset and
// never raises SIGPIPE, whose default action would kill this process.
TEST_CASE("Socket send to a closed peer raises no SIGPIPE", "[socket]") {
  check_send_to_closed_peer(Address::loopback(Family::ipv4, 0));
}

// The same over a Unix stream socket.
TEST_CASE("Socket send to a closed Unix peer raises no SIGPIPE", "[socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  check_send_to_closed_peer(Address::unix_domain(outlet_test::unique_unix_path("pipe")));
}

// Every socket is created close-on-exec (on Windows: not inheritable):
// opened, connected and accepted ones.
TEST_CASE("Socket descriptors are close-on-exec", "[socket]") {
  for (Family family : {Family::ipv4, Family::ipv6}) {
    const Socket s(family);
    REQUIRE(close_on_exec(s.native_handle()));
  }
  for (const Address& local : {Address::loopback(Family::ipv4, 0), Address::loopback(Family::ipv6, 0)}) {
    const Pair p = connected_pair(local);
    REQUIRE(close_on_exec(p.client.native_handle()));
    REQUIRE(close_on_exec(p.accepted.native_handle()));
  }
  // Sockets opened by connect() itself, plain and with a deadline.
  const ServerSocket server(Address::loopback(Family::ipv4, 0));
  Socket plain;
  plain.connect(server.local_address());
  REQUIRE(close_on_exec(plain.native_handle()));
  Socket timed;
  timed.connect(server.local_address(), 5s);
  REQUIRE(close_on_exec(timed.native_handle()));
  const Socket free_connect = outlet::connect("127.0.0.1", server.local_address().port());
  REQUIRE(close_on_exec(free_connect.native_handle()));
}

// The same for Unix stream sockets: opened, connected and accepted.
TEST_CASE("Socket Unix descriptors are close-on-exec", "[socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  const Socket s(Family::unix_domain);
  REQUIRE(close_on_exec(s.native_handle()));
  const Pair p = connected_pair(Address::unix_domain(outlet_test::unique_unix_path("cloexec")));
  REQUIRE(close_on_exec(p.client.native_handle()));
  REQUIRE(close_on_exec(p.accepted.native_handle()));
}

// --- shutdown ----------------------------------------------------------------------

// shutdown(send) ends the peer's reading but this side can still receive.
TEST_CASE("Socket shutdown send", "[socket]") {
  Pair p = connected_pair();
  p.client.send_all(std::string_view("last"));
  p.client.shutdown(Shutdown::send);
  char buffer[16] = {};
  REQUIRE(p.accepted.receive_exact(buffer, sizeof buffer) == 4);
  REQUIRE(std::string(buffer, 4) == "last");
  REQUIRE(p.accepted.receive(buffer, sizeof buffer) == 0);

  p.accepted.send_all(std::string_view("reply"));
  REQUIRE(p.client.receive_exact(buffer, 5) == 5);
  REQUIRE(std::string(buffer, 5) == "reply");

  std::error_code ec;
  (void)p.client.send(std::string_view("more"), ec);
  REQUIRE(ec);  // sending is over
}

// shutdown(receive) and shutdown(both).
TEST_CASE("Socket shutdown receive and both", "[socket]") {
  char buffer[16] = {};
  {
    Pair p = connected_pair();
    p.client.shutdown(Shutdown::receive);
    // POSIX reads the end of the stream; Winsock fails with WSAESHUTDOWN instead.
    std::error_code ec = std::make_error_code(std::errc::io_error);
    REQUIRE(p.client.receive(buffer, sizeof buffer, ec) == 0);
    REQUIRE(ec.value() == outlet_test::native_error::after_shutdown_receive);
    p.client.send_all(std::string_view("still"));  // sending goes on
    REQUIRE(p.accepted.receive_exact(buffer, 5) == 5);
    REQUIRE(std::string(buffer, 5) == "still");
  }
  {
    Pair p = connected_pair();
    p.client.shutdown(Shutdown::both);
    REQUIRE(p.accepted.receive(buffer, sizeof buffer) == 0);
    std::error_code ec;
    (void)p.client.send(std::string_view("x"), ec);
    REQUIRE(ec);
    REQUIRE(p.client.is_open());  // the handle stays open
  }
  Socket closed;
  std::error_code ec;
  closed.shutdown(Shutdown::send, ec);
  REQUIRE(ec == std::errc::bad_file_descriptor);
  REQUIRE(thrown_by([&] { closed.shutdown(Shutdown::both); }).code == std::errc::bad_file_descriptor);
}

// shutdown(send) over a Unix stream socket: the peer sees the end, the reply still comes back.
TEST_CASE("Socket shutdown send over a Unix stream", "[socket]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  char buffer[16] = {};
  Pair p = connected_pair(Address::unix_domain(outlet_test::unique_unix_path("shut")));
  p.client.shutdown(Shutdown::send);
  REQUIRE(p.accepted.receive(buffer, sizeof buffer) == 0);
  p.accepted.send_all(std::string_view("ok"));
  REQUIRE(p.client.receive_exact(buffer, 2) == 2);
  REQUIRE(std::string(buffer, 2) == "ok");
}

// --- move semantics and closed sockets ------------------------------------------------

// A moved-from socket is closed; the new owner has the handle.
TEST_CASE("Socket move construction", "[socket]") {
  Pair p = connected_pair();
  const outlet::native_handle_type handle = p.client.native_handle();
  Socket moved(std::move(p.client));
  REQUIRE(moved.native_handle() == handle);
  REQUIRE(moved.is_open());
  REQUIRE_FALSE(p.client.is_open());  // NOLINT(bugprone-use-after-move): the point of the test
  REQUIRE_FALSE(static_cast<bool>(p.client));
  REQUIRE(p.client.native_handle() == outlet::detail::sys::invalid_handle);
  moved.send_all(std::string_view("m"));  // the new owner is the connection
  char c = 0;
  REQUIRE(p.accepted.receive(&c, 1) == 1);
  REQUIRE(c == 'm');
}

// Move assignment closes the handle it replaces; self-move-assignment is harmless.
TEST_CASE("Socket move assignment", "[socket]") {
  Socket a(Family::ipv4);
  Socket b(Family::ipv4);
  const outlet::native_handle_type a_handle = a.native_handle();
  const outlet::native_handle_type old_handle = b.native_handle();
  b = std::move(a);
  REQUIRE(handle_closed(old_handle));  // checked at once: no other thread opens sockets here
  REQUIRE(b.native_handle() == a_handle);
  REQUIRE(b.native_handle() != old_handle);
  REQUIRE_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move)

  Socket& alias = b;  // an alias keeps the compiler from flagging the self-move
  b = std::move(alias);
  REQUIRE(b.is_open());
  REQUIRE(b.native_handle() == a_handle);

  a = std::move(b);  // into a moved-from socket
  REQUIRE(a.native_handle() == a_handle);
  REQUIRE_FALSE(b.is_open());  // NOLINT(bugprone-use-after-move)

  Socket empty;
  a = std::move(empty);  // an open socket replaced by a closed one is closed
  REQUIRE_FALSE(a.is_open());
  REQUIRE(handle_closed(a_handle));
}

// release() gives up ownership: the handle outlives the Socket.
TEST_CASE("Socket release", "[socket]") {
  Pair p = connected_pair();
  outlet::native_handle_type handle = outlet::detail::sys::invalid_handle;
  {
    Socket owner = std::move(p.client);
    handle = owner.release();
    REQUIRE_FALSE(owner.is_open());
    REQUIRE(owner.native_handle() == outlet::detail::sys::invalid_handle);
  }
  REQUIRE(handle != outlet::detail::sys::invalid_handle);
  REQUIRE_FALSE(handle_closed(handle));  // still open after the owner is gone
  {
    Socket adopted = Socket::adopt(handle);  // closes it at the end of this scope
    adopted.send_all(std::string_view("r"));
    char c = 0;
    REQUIRE(p.accepted.receive(&c, 1) == 1);
    REQUIRE(c == 'r');
  }
  REQUIRE(handle_closed(handle));
}

namespace {

/// The operations of `s` whose ec form does not fail with bad_file_descriptor ("" if all do).
std::string ec_forms_not_failing_closed(Socket& s) {
  char buffer[4] = {};
  const std::vector<std::pair<const char*, std::function<void(std::error_code&)>>> ops = {
      {"send", [&](std::error_code& ec) { (void)s.send(buffer, sizeof buffer, ec); }},
      {"send(string_view)", [&](std::error_code& ec) { (void)s.send(std::string_view("x"), ec); }},
      {"send_all", [&](std::error_code& ec) { (void)s.send_all(buffer, sizeof buffer, ec); }},
      {"send_all(empty)", [&](std::error_code& ec) { (void)s.send_all(std::string_view(), ec); }},
      {"receive", [&](std::error_code& ec) { (void)s.receive(buffer, sizeof buffer, ec); }},
      {"receive_exact", [&](std::error_code& ec) { (void)s.receive_exact(buffer, sizeof buffer, ec); }},
      {"receive(0 bytes)", [&](std::error_code& ec) { (void)s.receive(buffer, 0, ec); }},
      {"receive_exact(0 bytes)", [&](std::error_code& ec) { (void)s.receive_exact(buffer, 0, ec); }},
      {"receive_exact_vectored(none)", [&](std::error_code& ec) { (void)s.receive_exact_vectored(nullptr, 0, ec); }},
      {"send_all_vectored(none)", [&](std::error_code& ec) { (void)s.send_all_vectored(nullptr, 0, ec); }},
      {"shutdown", [&](std::error_code& ec) { s.shutdown(Shutdown::both, ec); }},
      {"peer_address", [&](std::error_code& ec) { (void)s.peer_address(ec); }},
      {"local_address", [&](std::error_code& ec) { (void)s.local_address(ec); }},
      {"set_no_delay", [&](std::error_code& ec) { s.set_no_delay(true, ec); }},
      {"no_delay", [&](std::error_code& ec) { (void)s.no_delay(ec); }},
      {"set_keep_alive", [&](std::error_code& ec) { s.set_keep_alive(true, ec); }},
      {"set_non_blocking", [&](std::error_code& ec) { s.set_non_blocking(true, ec); }},
      {"set_receive_timeout", [&](std::error_code& ec) { s.set_receive_timeout(1s, ec); }},
      {"set_send_timeout", [&](std::error_code& ec) { s.set_send_timeout(1s, ec); }},
  };
  std::string failing;
  for (const auto& op : ops) {
    std::error_code ec;
    op.second(ec);
    if (ec != std::errc::bad_file_descriptor) failing += std::string(op.first) + " ";
  }
  return failing;
}

/// The operations of `s` whose throwing form does not throw bad_file_descriptor ("" if all do).
std::string throwing_forms_not_failing_closed(Socket& s) {
  char buffer[4] = {};
  const std::vector<std::pair<const char*, std::function<void()>>> ops = {
      {"send", [&] { (void)s.send(buffer, sizeof buffer); }},
      {"send_all", [&] { s.send_all(buffer, sizeof buffer); }},
      {"receive", [&] { (void)s.receive(buffer, sizeof buffer); }},
      {"receive_exact", [&] { (void)s.receive_exact(buffer, sizeof buffer); }},
      {"receive_exact(0 bytes)", [&] { (void)s.receive_exact(buffer, 0); }},
      {"receive_exact_vectored(none)", [&] { (void)s.receive_exact_vectored(nullptr, 0); }},
      {"shutdown", [&] { s.shutdown(Shutdown::send); }},
      {"peer_address", [&] { (void)s.peer_address(); }},
      {"local_address", [&] { (void)s.local_address(); }},
      {"set_no_delay", [&] { s.set_no_delay(true); }},
      {"set_keep_alive", [&] { s.set_keep_alive(true); }},
      {"set_non_blocking", [&] { s.set_non_blocking(true); }},
      {"set_receive_timeout", [&] { s.set_receive_timeout(1s); }},
      {"set_send_timeout", [&] { s.set_send_timeout(1s); }},
  };
  std::string failing;
  for (const auto& op : ops) {
    if (thrown_by(op.second).code != std::errc::bad_file_descriptor) failing += std::string(op.first) + " ";
  }
  return failing;
}

}  // namespace

// Every operation on a closed or moved-from socket fails with bad_file_descriptor.
TEST_CASE("Socket operations on a closed socket", "[socket]") {
  Socket never_opened;
  REQUIRE(ec_forms_not_failing_closed(never_opened) == "");
  REQUIRE(throwing_forms_not_failing_closed(never_opened) == "");

  Pair p = connected_pair();
  const Socket new_owner(std::move(p.client));
  REQUIRE(ec_forms_not_failing_closed(p.client) == "");  // NOLINT(bugprone-use-after-move)
  REQUIRE(throwing_forms_not_failing_closed(p.client) == "");

  Socket closed(Family::ipv4);
  closed.close();
  REQUIRE(ec_forms_not_failing_closed(closed) == "");
  REQUIRE(throwing_forms_not_failing_closed(closed) == "");
  REQUIRE(new_owner.is_open());
}

// close() is idempotent, in both forms.
TEST_CASE("Socket close twice", "[socket]") {
  Socket s(Family::ipv4);
  REQUIRE_NOTHROW(s.close());
  REQUIRE_FALSE(s.is_open());
  REQUIRE_NOTHROW(s.close());
  std::error_code ec = std::make_error_code(std::errc::io_error);
  s.close(ec);
  REQUIRE_FALSE(ec);
}

// --- options -------------------------------------------------------------------------

// TCP_NODELAY and SO_KEEPALIVE round trip; timeouts read back as set.
TEST_CASE("Socket options", "[socket]") {
  Pair p = connected_pair();
  Socket& s = p.client;
  s.set_no_delay(true);
  REQUIRE(s.no_delay());
  s.set_no_delay(false);
  REQUIRE_FALSE(s.no_delay());
  s.set_keep_alive(true);
  REQUIRE(s.keep_alive());
  s.set_keep_alive(false);
  REQUIRE_FALSE(s.keep_alive());

  REQUIRE(s.receive_timeout() == outlet::duration::zero());
  REQUIRE(s.send_timeout() == outlet::duration::zero());
  s.set_receive_timeout(250ms);
  s.set_send_timeout(3s);
  REQUIRE(s.receive_timeout() == outlet::duration(250ms));
  REQUIRE(s.send_timeout() == outlet::duration(3s));
  s.set_receive_timeout(outlet::duration::zero());
  REQUIRE(s.receive_timeout() == outlet::duration::zero());
  REQUIRE(s.send_timeout() == outlet::duration(3s));
}

// A negative timeout is an invalid argument, quoted in the message, and changes nothing.
TEST_CASE("Socket negative timeouts", "[socket]") {
  Socket s(Family::ipv4);
  s.set_receive_timeout(1s);
  s.set_send_timeout(2s);
  std::error_code ec;
  s.set_receive_timeout(-5ms, ec);
  REQUIRE(ec == std::errc::invalid_argument);
  s.set_send_timeout(-5ms, ec);
  REQUIRE(ec == std::errc::invalid_argument);

  const Thrown r = thrown_by([&] { s.set_receive_timeout(-5ms); });
  REQUIRE(r.code == std::errc::invalid_argument);
  REQUIRE(contains(r.what, "-5000000"));
  const Thrown w = thrown_by([&] { s.set_send_timeout(-7ms); });
  REQUIRE(w.code == std::errc::invalid_argument);
  REQUIRE(contains(w.what, "-7000000"));

  REQUIRE(s.receive_timeout() == outlet::duration(1s));
  REQUIRE(s.send_timeout() == outlet::duration(2s));
}

// --- descriptor leaks ----------------------------------------------------------------

// Creating, connecting, moving, failing to connect and destroying many
// sockets leaves the process with the descriptors it started with.
TEST_CASE("Socket leaks no descriptors", "[socket]") {
  OUTLET_TEST_REQUIRE_DESCRIPTOR_COUNT();
  const int before = outlet_test::open_descriptor_count();
  REQUIRE(before > 0);
  {
    ServerSocket server(Address::loopback(Family::ipv4, 0));
    std::vector<Socket> clients;
    std::vector<Socket> accepted;
    for (int i = 0; i < 16; ++i) {
      clients.emplace_back(server.local_address());
      accepted.push_back(server.accept());
    }
    for (std::size_t i = 0; i + 1 < clients.size(); i += 2) clients[i] = std::move(clients[i + 1]);
    Socket moved(std::move(accepted.back()));
    accepted.back() = Socket(Family::ipv6);
    accepted.front() = std::move(moved);

    ServerSocket holder;
    const Address refused = refused_address(holder);
    for (int i = 0; i < 8; ++i) {
      std::error_code ec;
      Socket s;
      s.connect(refused, ec);
      REQUIRE(ec == std::errc::connection_refused);
      REQUIRE(thrown_by([&] { Socket t(refused); }).code == std::errc::connection_refused);
      REQUIRE(thrown_by([&] { Socket t(refused, 1s); }).code == std::errc::connection_refused);
      REQUIRE(thrown_by([&] { (void)outlet::connect("127.0.0.1", refused.port()); }).code ==
              std::errc::connection_refused);
    }
    // Connects given up at their deadline (where the OS lets them hang).
    const TimedOutConnect given_up = connect_until_timed_out(100ms);
    if (outlet_test::full_listen_queue_drops_connects) {
      REQUIRE(given_up.ec == std::errc::timed_out);
    } else {
      REQUIRE((!given_up.ec || given_up.ec == std::errc::timed_out || given_up.ec == std::errc::connection_refused));
    }

    Socket released(Family::ipv4);
    const Socket readopted = Socket::adopt(released.release());
    REQUIRE(readopted.is_open());
    REQUIRE(outlet_test::open_descriptor_count() > before);
  }
  REQUIRE(outlet_test::open_descriptor_count() == before);
}

// A Unix listener whose queue is full makes connect() fail with EAGAIN on
// Linux; with a deadline outlet retries until it, then reports timed_out.
TEST_CASE("Socket connect to a full Unix listen queue times out", "[socket]") {
  if (!outlet_test::is_linux) OUTLET_TEST_SKIP("Linux only: connect() to a full Unix listen queue fails with EAGAIN");
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  ServerSocket server(Address::unix_domain(outlet_test::unique_unix_path("full")), 1);
  const Address target = server.local_address();
  std::vector<Socket> queued;
  std::error_code ec;
  long long elapsed = 0;
  for (int i = 0; i < 64 && !ec; ++i) {
    Socket s;
    const auto start = Clock::now();
    s.connect(target, 200ms, ec);
    elapsed = ms_since(start);
    if (!ec) queued.push_back(std::move(s));
  }
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(elapsed >= 190);
  REQUIRE(elapsed < 5000);
  REQUIRE_FALSE(queued.empty());
}
