// Tests for outlet/datagram_socket.hpp: UDP and Unix datagram echo loops,
// truncation that is never silent, timeouts, EINTR retries, connect()
// filtering, constructors, socket files, options and closed sockets.
#include <outlet/outlet.hpp>

#include "catch.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

using outlet::Address;
using outlet::DatagramSocket;
using outlet::Family;
using namespace std::chrono_literals;

namespace {

using outlet_test::Joiner;
using outlet_test::Thrown;
using outlet_test::thrown_by;

// A lost datagram fails the test after this long instead of hanging it.
constexpr auto guard_timeout = std::chrono::seconds(10);

// The datagram sizes every echo loop sends, in turn.
constexpr std::size_t echo_sizes[] = {0, 1, 100, 1400, 8000, 60000};
constexpr int echo_rounds = 5;
constexpr int echo_count = echo_rounds * static_cast<int>(sizeof echo_sizes / sizeof echo_sizes[0]);

// `size` bytes that differ from one seed to the next.
std::string payload(std::size_t size, unsigned seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + seed * 29 + (i >> 8)) & 0xff);
  return s;
}

// Whether the first n bytes of buf are exactly `expected` (no 60 KB diff on failure).
bool same_bytes(const std::vector<char>& buf, std::size_t n, const std::string& expected) {
  return n == expected.size() && std::equal(expected.begin(), expected.end(), buf.begin());
}

// What the echo server thread saw (it must not use Catch assertions).
struct EchoLog {
  std::error_code ec;
  int echoed = 0;
  Address first_sender;
  bool one_sender = true;
};

// Server side: receive_from + send_to back, `count` times.
void echo_datagrams(DatagramSocket& server, int count, EchoLog& log) {
  std::vector<char> buf(65536);
  for (int i = 0; i < count; ++i) {
    Address from;
    const std::size_t n = server.receive_from(buf.data(), buf.size(), from, log.ec);
    if (log.ec) return;
    if (i == 0) log.first_sender = from;
    if (from != log.first_sender) log.one_sender = false;
    server.send_to(buf.data(), n, from, log.ec);
    if (log.ec) return;
    ++log.echoed;
  }
}

// Client side, unconnected: send_to + receive_from, each reply checked byte
// for byte and its sender checked to be the server.
void echo_unconnected(DatagramSocket& client, const Address& server_address) {
  std::vector<char> buf(65536);
  unsigned seed = 0;
  for (int round = 0; round < echo_rounds; ++round) {
    for (const std::size_t size : echo_sizes) {
      const std::string out = payload(size, ++seed);
      REQUIRE(client.send_to(out, server_address) == size);
      Address from;
      const std::size_t n = client.receive_from(buf.data(), buf.size(), from);
      REQUIRE(n == size);
      REQUIRE(same_bytes(buf, n, out));
      REQUIRE(from == server_address);
    }
  }
}

// Client side, connected: send + receive.
void echo_connected(DatagramSocket& client) {
  std::vector<char> buf(65536);
  unsigned seed = 100;
  for (int round = 0; round < echo_rounds; ++round) {
    for (const std::size_t size : echo_sizes) {
      const std::string out = payload(size, ++seed);
      REQUIRE(client.send(out) == size);
      const std::size_t n = client.receive(buf.data(), buf.size());
      REQUIRE(n == size);
      REQUIRE(same_bytes(buf, n, out));
    }
  }
}

// A server thread echoes while the client runs its loop; returns the server's log.
EchoLog run_echo(DatagramSocket& server, DatagramSocket& client, bool connected) {
  const Address server_address = server.local_address();
  if (connected) client.connect(server_address);  // opens the client if it is closed
  server.set_receive_timeout(guard_timeout);
  client.set_receive_timeout(guard_timeout);
  EchoLog log;
  Joiner thread(std::thread([&server, &log] { echo_datagrams(server, echo_count, log); }));
  if (connected) {
    echo_connected(client);
  } else {
    echo_unconnected(client, server_address);
  }
  thread.join();
  return log;
}

// The echo loop over IP: an unbound client (send_to) or a connected one.
void ip_echo(Family family, bool connected) {
  DatagramSocket server(Address::loopback(family, 0));
  REQUIRE(server.local_address().port() != 0);
  DatagramSocket client = connected ? DatagramSocket() : DatagramSocket(family);
  const EchoLog log = run_echo(server, client, connected);
  REQUIRE_FALSE(log.ec);
  REQUIRE(log.echoed == echo_count);
  REQUIRE(log.one_sender);
  // The server saw the client's (implicitly bound) port, from loopback.
  REQUIRE(log.first_sender.family() == family);
  REQUIRE(log.first_sender.ip() == Address::loopback(family, 0).ip());
  REQUIRE(log.first_sender.port() == client.local_address().port());
}

// The echo loop over Unix datagram sockets bound to server_name / client_name.
void unix_echo(const std::string& server_name, const std::string& client_name, bool connected) {
  const Address server_address = Address::unix_domain(server_name);
  const Address client_address = Address::unix_domain(client_name);
  DatagramSocket server(server_address);
  // A Unix datagram client gets replies only at a name of its own.
  DatagramSocket client(client_address);
  REQUIRE(server.local_address() == server_address);
  REQUIRE(client.local_address() == client_address);
  const EchoLog log = run_echo(server, client, connected);
  REQUIRE_FALSE(log.ec);
  REQUIRE(log.echoed == echo_count);
  REQUIRE(log.one_sender);
  REQUIRE(log.first_sender == client_address);
}

// A 1000-byte datagram into a 100-byte buffer: message_size, never a silent cut.
void check_truncation(DatagramSocket& receiver, DatagramSocket& sender) {
  const Address to = receiver.local_address();
  const Address sender_address = sender.local_address();
  receiver.set_receive_timeout(guard_timeout);
  char small[100];

  // ec form of receive_from: the buffer is filled, the sender is known.
  const std::string first = payload(1000, 1);
  REQUIRE(sender.send_to(first, to) == 1000);
  Address from;
  std::error_code ec;
  const std::size_t n = receiver.receive_from(small, sizeof small, from, ec);
  REQUIRE(ec == std::errc::message_size);
  REQUIRE(n == sizeof small);
  REQUIRE(std::string(small, sizeof small) == first.substr(0, sizeof small));
  REQUIRE(from == sender_address);

  // Throwing form of receive_from: the message names the buffer size.
  REQUIRE(sender.send_to(payload(1000, 2), to) == 1000);
  Address from2;
  const auto error = thrown_by([&] { (void)receiver.receive_from(small, sizeof small, from2); });
  REQUIRE(error.code == std::errc::message_size);
  std::string message = error.what;
  const std::string sender_text = sender_address.to_string();  // its port may contain "100"
  for (std::size_t at = message.find(sender_text); at != std::string::npos; at = message.find(sender_text))
    message.erase(at, sender_text.size());
  REQUIRE(message.find("100") != std::string::npos);

  // receive() truncates the same way, in both forms.
  const std::string third = payload(1000, 3);
  REQUIRE(sender.send_to(third, to) == 1000);
  ec = std::make_error_code(std::errc::io_error);
  REQUIRE(receiver.receive(small, sizeof small, ec) == sizeof small);
  REQUIRE(ec == std::errc::message_size);
  REQUIRE(std::string(small, sizeof small) == third.substr(0, sizeof small));
  REQUIRE(sender.send_to(payload(1000, 4), to) == 1000);
  REQUIRE(thrown_by([&] { (void)receiver.receive(small, sizeof small); }).code == std::errc::message_size);

  // The next datagram arrives whole: nothing of the cut ones is left over.
  const std::string next = payload(50, 5);
  REQUIRE(sender.send_to(next, to) == next.size());
  std::vector<char> buf(100);
  Address from3;
  ec = std::make_error_code(std::errc::io_error);
  const std::size_t m = receiver.receive_from(buf.data(), buf.size(), from3, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(same_bytes(buf, m, next));
  REQUIRE(from3 == sender_address);
}

// Fault hook state: fail the first `receive_faults_left` receives on one handle with EINTR.
std::atomic<outlet::native_handle_type> receive_fault_handle{};
std::atomic<int> receive_faults_left{0};
std::atomic<int> receive_calls{0};

int interrupt_receives(outlet::detail::SysCall call, outlet::native_handle_type h) {
  if (call != outlet::detail::SysCall::receive || h != receive_fault_handle.load()) return 0;
  ++receive_calls;
  if (receive_faults_left.load() > 0) {
    --receive_faults_left;
    return outlet_test::native_error::interrupted;
  }
  return 0;
}

}  // namespace

// --- echo loops ---------------------------------------------------------------

// UDP over 127.0.0.1: send_to / receive_from, every size byte for byte.
TEST_CASE("UDP echo over 127.0.0.1 with send_to and receive_from", "[datagram_socket]") {
  ip_echo(Family::ipv4, false);
}

// UDP over ::1: send_to / receive_from.
TEST_CASE("UDP echo over ::1 with send_to and receive_from", "[datagram_socket]") { ip_echo(Family::ipv6, false); }

// UDP over 127.0.0.1 with a connected client: send / receive.
TEST_CASE("UDP echo over 127.0.0.1 with a connected client", "[datagram_socket]") { ip_echo(Family::ipv4, true); }

// UDP over ::1 with a connected client.
TEST_CASE("UDP echo over ::1 with a connected client", "[datagram_socket]") { ip_echo(Family::ipv6, true); }

// Unix datagram sockets bound to paths.
TEST_CASE("Unix datagram echo between path-bound sockets", "[datagram_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  SECTION("send_to and receive_from") {
    unix_echo(outlet_test::unique_unix_path("dgsrv"), outlet_test::unique_unix_path("dgcli"), false);
  }
  SECTION("connected client") {
    unix_echo(outlet_test::unique_unix_path("dgsrv"), outlet_test::unique_unix_path("dgcli"), true);
  }
}

// An unbound Unix datagram client has no name: receive_from reports no
// address to reply to (Linux gives a zero-length sockaddr, so `from` is
// empty; an unnamed unix_domain address would do as well).
TEST_CASE("Unix datagram from an unbound client arrives from the unnamed address", "[datagram_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  const Address server_address = Address::unix_domain(outlet_test::unique_unix_path("dgsrv"));
  DatagramSocket server(server_address);
  server.set_receive_timeout(guard_timeout);
  DatagramSocket client(Family::unix_domain);
  REQUIRE(client.send_to("anonymous", server_address) == 9);
  char buf[32];
  const Address placeholder = Address::ipv4("1.2.3.4", 5);
  Address from = placeholder;
  const std::size_t n = server.receive_from(buf, sizeof buf, from);
  REQUIRE(std::string(buf, n) == "anonymous");
  REQUIRE(from != placeholder);  // overwritten, not left as it was
  REQUIRE(from == Address::unix_domain(""));
  REQUIRE(from.family() == Family::unix_domain);
  REQUIRE(from.path().empty());
  REQUIRE(from.to_string() == "unix:");
}

// Unix datagram sockets in the Linux abstract namespace ("@name").
TEST_CASE("Unix datagram echo between abstract-namespace sockets", "[datagram_socket]") {
  OUTLET_TEST_REQUIRE_ABSTRACT_UNIX_NAMES();
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  SECTION("send_to and receive_from") {
    unix_echo(outlet_test::unique_abstract_name("dgsrv"), outlet_test::unique_abstract_name("dgcli"), false);
  }
  SECTION("connected client") {
    unix_echo(outlet_test::unique_abstract_name("dgsrv"), outlet_test::unique_abstract_name("dgcli"), true);
  }
}

// --- received addresses ------------------------------------------------------------

// The sender's name is written straight into the Address: whatever it held
// before is replaced, and the result equals, orders and hashes like the same
// address built from text (hash() reads only what == compares).
TEST_CASE("receive_from fills the Address as a parsed one, hash included", "[datagram_socket]") {
  for (const Family family : {Family::ipv4, Family::ipv6}) {
    DatagramSocket receiver(Address::loopback(family, 0));
    receiver.set_receive_timeout(guard_timeout);
    DatagramSocket sender(Address::loopback(family, 0));
    const Address expected = Address::parse(sender.local_address().to_string());
    for (const Address& before : {Address(), Address::unix_domain("/tmp/x"), Address::ipv6("fe80::1%1", 9)}) {
      Address from = before;
      REQUIRE(sender.send_to("who", receiver.local_address()) == 3);
      char buf[8];
      REQUIRE(receiver.receive_from(buf, sizeof buf, from) == 3);
      CHECK(from == expected);
      CHECK_FALSE(from < expected);
      CHECK_FALSE(expected < from);
      CHECK(std::hash<Address>()(from) == std::hash<Address>()(expected));
      CHECK(from.to_string() == expected.to_string());
      CHECK(from.native_size() == expected.native_size());
    }
  }
}

// A handle outlet did not open (adopt) may be of any family: its senders'
// names go through from_native()'s checks instead, with the same result.
TEST_CASE("receive_from on an adopted handle fills the Address the same way", "[datagram_socket]") {
  DatagramSocket original(Address::loopback(Family::ipv4, 0));
  const Address receiver_address = original.local_address();
  DatagramSocket receiver = DatagramSocket::adopt(original.release());
  receiver.set_receive_timeout(guard_timeout);
  DatagramSocket sender(Address::loopback(Family::ipv4, 0));
  REQUIRE(sender.send_to("adopted", receiver_address) == 7);
  char buf[16];
  Address from = Address::unix_domain("/tmp/y");
  REQUIRE(receiver.receive_from(buf, sizeof buf, from) == 7);
  CHECK(from == sender.local_address());
  CHECK(std::hash<Address>()(from) == std::hash<Address>()(sender.local_address()));
}

// --- truncation ---------------------------------------------------------------

// UDP: a datagram longer than the buffer is reported with message_size.
TEST_CASE("UDP datagram longer than the buffer fails with message_size", "[datagram_socket]") {
  DatagramSocket receiver(Address::loopback(Family::ipv4, 0));
  DatagramSocket sender(Address::loopback(Family::ipv4, 0));
  check_truncation(receiver, sender);
}

// Unix datagram: the same.
TEST_CASE("Unix datagram longer than the buffer fails with message_size", "[datagram_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  DatagramSocket receiver(Address::unix_domain(outlet_test::unique_unix_path("trrecv")));
  DatagramSocket sender(Address::unix_domain(outlet_test::unique_unix_path("trsend")));
  check_truncation(receiver, sender);
}

// --- timeouts, non-blocking mode, EINTR -------------------------------------------

// A receive timeout ends a wait with timed_out, no earlier than the timeout.
TEST_CASE("DatagramSocket receive timeout fails with timed_out", "[datagram_socket]") {
  DatagramSocket socket(Address::loopback(Family::ipv4, 0));
  socket.set_receive_timeout(100ms);
  char buf[16];
  Address from;

  SECTION("receive_from, ec form") {
    std::error_code ec;
    const auto start = std::chrono::steady_clock::now();
    const std::size_t n = socket.receive_from(buf, sizeof buf, from, ec);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(ec == std::errc::timed_out);
    REQUIRE(n == 0);
    REQUIRE(elapsed >= 100ms);
    REQUIRE(elapsed < 5s);
  }
  SECTION("receive, throwing form") {
    const auto start = std::chrono::steady_clock::now();
    const auto error = thrown_by([&] { (void)socket.receive(buf, sizeof buf); });
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(error.code == std::errc::timed_out);
    REQUIRE(elapsed >= 100ms);
    REQUIRE(elapsed < 5s);
  }
}

// Non-blocking mode fails at once with operation_would_block, even with a timeout set.
TEST_CASE("Non-blocking DatagramSocket receive with nothing queued would block", "[datagram_socket]") {
  DatagramSocket socket(Address::loopback(Family::ipv4, 0));
  socket.set_receive_timeout(2s);  // must not turn into a wait (or into timed_out)
  socket.set_non_blocking(true);
  char buf[16];
  Address from;
  std::error_code ec;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(socket.receive_from(buf, sizeof buf, from, ec) == 0);
  REQUIRE(ec == std::errc::operation_would_block);
  REQUIRE(socket.receive(buf, sizeof buf, ec) == 0);
  REQUIRE(ec == std::errc::operation_would_block);
  REQUIRE(thrown_by([&] { (void)socket.receive(buf, sizeof buf); }).code == std::errc::operation_would_block);
  REQUIRE(std::chrono::steady_clock::now() - start < 2s);
}

// EINTR from recvfrom() is retried until the datagram arrives.
TEST_CASE("DatagramSocket receive retries EINTR", "[datagram_socket]") {
  DatagramSocket receiver(Address::loopback(Family::ipv4, 0));
  DatagramSocket sender(Address::loopback(Family::ipv4, 0));
  receiver.set_receive_timeout(guard_timeout);  // a failed retry cannot hang the test
  REQUIRE(sender.send_to("after EINTR", receiver.local_address()) == 11);

  receive_fault_handle = receiver.native_handle();
  receive_faults_left = 3;
  receive_calls = 0;
  char buf[32];
  Address from;
  std::size_t n = 0;
  {
    const outlet_test::ScopedFaultHook hook(&interrupt_receives);
    SECTION("with a receive timeout") { n = receiver.receive_from(buf, sizeof buf, from); }
    SECTION("without a timeout") {
      receiver.set_receive_timeout(0s);
      std::error_code ec = std::make_error_code(std::errc::io_error);
      n = receiver.receive_from(buf, sizeof buf, from, ec);
      REQUIRE_FALSE(ec);
    }
  }
  REQUIRE(receive_faults_left == 0);
  REQUIRE(receive_calls == 4);  // three interrupted, then the real one
  REQUIRE(std::string(buf, n) == "after EINTR");
  REQUIRE(from == sender.local_address());
}

// --- connect() ----------------------------------------------------------------------

// A connected socket receives only from its peer.
TEST_CASE("Connected DatagramSocket ignores datagrams from other senders", "[datagram_socket]") {
  DatagramSocket socket(Address::loopback(Family::ipv4, 0));
  DatagramSocket peer(Address::loopback(Family::ipv4, 0));
  DatagramSocket stranger(Address::loopback(Family::ipv4, 0));
  socket.connect(peer.local_address());
  socket.set_receive_timeout(guard_timeout);

  REQUIRE(stranger.send_to("from the stranger", socket.local_address()) == 17);
  REQUIRE(peer.send_to("from the peer", socket.local_address()) == 13);
  char buf[64];
  Address from;
  const std::size_t n = socket.receive_from(buf, sizeof buf, from);
  REQUIRE(std::string(buf, n) == "from the peer");
  REQUIRE(from == peer.local_address());

  // The stranger's datagram was dropped, not queued behind.
  socket.set_non_blocking(true);
  std::error_code ec;
  REQUIRE(socket.receive(buf, sizeof buf, ec) == 0);
  REQUIRE(ec == std::errc::operation_would_block);

  // send() goes to the peer.
  socket.set_non_blocking(false);
  REQUIRE(socket.send("reply") == 5);
  peer.set_receive_timeout(guard_timeout);
  const std::size_t m = peer.receive_from(buf, sizeof buf, from);
  REQUIRE(std::string(buf, m) == "reply");
  REQUIRE(from == socket.local_address());
}

// send() without a connected peer fails (EDESTADDRREQ on Linux).
TEST_CASE("DatagramSocket send without connect fails", "[datagram_socket]") {
  DatagramSocket socket(Address::loopback(Family::ipv4, 0));
  std::error_code ec;
  REQUIRE(socket.send("nowhere", ec) == 0);
  REQUIRE(ec);
  REQUIRE(ec.category() == outlet::system_category());
#if defined(__linux__)
  REQUIRE(ec == std::errc::destination_address_required);
#endif  // defined(__linux__)
  const auto error = thrown_by([&] { socket.send("nowhere"); });
  REQUIRE(error.code == ec);
  REQUIRE(error.what.find("send") != std::string::npos);
}

// --- constructors, bind(), connect() on a closed socket ----------------------------

// DatagramSocket() is not open.
TEST_CASE("DatagramSocket default constructor is closed", "[datagram_socket]") {
  const DatagramSocket socket;
  REQUIRE_FALSE(socket.is_open());
  REQUIRE_FALSE(static_cast<bool>(socket));
}

// DatagramSocket(Family) is open and unbound until it sends.
TEST_CASE("DatagramSocket(Family) opens an unbound socket", "[datagram_socket]") {
  for (const Family family : {Family::ipv4, Family::ipv6}) {
    DatagramSocket socket(family);
    REQUIRE(socket.is_open());
    REQUIRE(socket.get_option<int>(SOL_SOCKET, SO_TYPE) == SOCK_DGRAM);
#if defined(__linux__)
    // Linux reports an unbound socket as the wildcard address, port 0.
    REQUIRE(socket.local_address().family() == family);
    REQUIRE(socket.local_address().port() == 0);
#endif  // defined(__linux__)
    // Sending binds it to an ephemeral port.
    DatagramSocket sink(Address::loopback(family, 0));
    REQUIRE(socket.send_to("x", sink.local_address()) == 1);
    REQUIRE(socket.local_address().port() != 0);
  }
}

// DatagramSocket(Family::unix_domain) is open and has no name.
TEST_CASE("DatagramSocket(Family) opens an unbound Unix socket", "[datagram_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  const DatagramSocket unix_socket(Family::unix_domain);
  REQUIRE(unix_socket.is_open());
  REQUIRE(unix_socket.get_option<int>(SOL_SOCKET, SO_TYPE) == SOCK_DGRAM);
  REQUIRE(unix_socket.local_address().family() == Family::unix_domain);
  REQUIRE(unix_socket.local_address().path().empty());
}

// DatagramSocket(Address) binds: port 0 becomes a real port; IPv6 is V6ONLY.
TEST_CASE("DatagramSocket(Address) binds to the address", "[datagram_socket]") {
  const DatagramSocket v4(Address::loopback(Family::ipv4, 0));
  REQUIRE(v4.is_open());
  REQUIRE(v4.local_address().ip() == "127.0.0.1");
  REQUIRE(v4.local_address().port() != 0);
  REQUIRE(v4.local_address() == Address::loopback(Family::ipv4, v4.local_address().port()));

  const DatagramSocket v6(Address::loopback(Family::ipv6, 0));
  REQUIRE(v6.local_address() == Address::loopback(Family::ipv6, v6.local_address().port()));
  REQUIRE(v6.local_address().port() != 0);
  REQUIRE(v6.v6_only());

  const DatagramSocket any6(Address::any(Family::ipv6, 0));
  REQUIRE(any6.v6_only());
}

// DatagramSocket(Address) on a busy port throws, naming the address.
TEST_CASE("DatagramSocket(Address) on a port in use throws", "[datagram_socket]") {
  const DatagramSocket first(Address::loopback(Family::ipv4, 0));
  const Address taken = first.local_address();
  const auto error = thrown_by([&] { const DatagramSocket second(taken); });
  REQUIRE(error.code == std::errc::address_in_use);
  REQUIRE(error.what.find(taken.to_string()) != std::string::npos);
}

// bind() and connect() on a closed socket open one of the address's family.
TEST_CASE("DatagramSocket bind and connect open a socket when closed", "[datagram_socket]") {
  SECTION("bind, IPv4") {
    DatagramSocket socket;
    socket.bind(Address::loopback(Family::ipv4, 0));
    REQUIRE(socket.is_open());
    REQUIRE(socket.local_address().family() == Family::ipv4);
    REQUIRE(socket.local_address().port() != 0);
  }
  SECTION("bind, IPv6, ec form") {
    DatagramSocket socket;
    std::error_code ec = std::make_error_code(std::errc::io_error);
    socket.bind(Address::loopback(Family::ipv6, 0), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(socket.local_address().family() == Family::ipv6);
    REQUIRE(socket.local_address().port() != 0);
  }
  SECTION("connect, IPv6") {
    const DatagramSocket peer(Address::loopback(Family::ipv6, 0));
    DatagramSocket socket;
    socket.connect(peer.local_address());
    REQUIRE(socket.is_open());
    REQUIRE(socket.local_address().family() == Family::ipv6);
    REQUIRE(socket.local_address().ip() == "::1");
  }
  SECTION("connect, IPv4, ec form") {
    const DatagramSocket peer(Address::loopback(Family::ipv4, 0));
    DatagramSocket socket;
    std::error_code ec = std::make_error_code(std::errc::io_error);
    socket.connect(peer.local_address(), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(socket.local_address().ip() == "127.0.0.1");
  }
}

// --- Unix socket files ------------------------------------------------------------------

// A path-bound Unix datagram socket removes its file on close() and in its destructor.
TEST_CASE("Unix DatagramSocket removes its socket file on close and destruction", "[datagram_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  SECTION("close()") {
    const std::string path = outlet_test::unique_unix_path("dgfile");
    DatagramSocket socket(Address::unix_domain(path));
    REQUIRE(outlet_test::file_exists(path));
    socket.close();
    REQUIRE_FALSE(outlet_test::file_exists(path));
  }
  SECTION("destructor") {
    const std::string path = outlet_test::unique_unix_path("dgfile");
    {
      const DatagramSocket socket(Address::unix_domain(path));
      REQUIRE(outlet_test::file_exists(path));
    }
    REQUIRE_FALSE(outlet_test::file_exists(path));
  }
  SECTION("bind() on a closed socket, then a move") {
    const std::string path = outlet_test::unique_unix_path("dgfile");
    DatagramSocket socket;
    socket.bind(Address::unix_domain(path));
    REQUIRE(outlet_test::file_exists(path));
    DatagramSocket moved(std::move(socket));
    socket.close();  // the moved-from object no longer owns the file
    REQUIRE(outlet_test::file_exists(path));
    moved.close();
    REQUIRE_FALSE(outlet_test::file_exists(path));
  }
}

// --- options ----------------------------------------------------------------------------

// set_broadcast / broadcast round trip (SO_BROADCAST); no traffic leaves loopback.
TEST_CASE("DatagramSocket broadcast option round trip", "[datagram_socket]") {
  DatagramSocket socket(Family::ipv4);
  REQUIRE_FALSE(socket.broadcast());
  socket.set_broadcast(true);
  REQUIRE(socket.broadcast());
  std::error_code ec = std::make_error_code(std::errc::io_error);
  socket.set_broadcast(false, ec);
  REQUIRE_FALSE(ec);
  ec = std::make_error_code(std::errc::io_error);
  REQUIRE_FALSE(socket.broadcast(ec));
  REQUIRE_FALSE(ec);
}

// --- closed and moved-from sockets --------------------------------------------------------

// Every I/O call on a closed DatagramSocket fails with bad_file_descriptor, in both forms.
// (bind(), connect() and the sends to an address are the exception by design:
// they open a new socket, see the next case.)
TEST_CASE("Closed or moved-from DatagramSocket fails with bad_file_descriptor", "[datagram_socket]") {
  DatagramSocket socket;
  SECTION("default-constructed") {}
  SECTION("closed") {
    socket = DatagramSocket(Address::loopback(Family::ipv4, 0));
    socket.close();
  }
  SECTION("moved-from") {
    socket = DatagramSocket(Address::loopback(Family::ipv4, 0));
    const DatagramSocket owner(std::move(socket));
    REQUIRE(owner.is_open());
  }
  REQUIRE_FALSE(socket.is_open());
  const auto bad = std::errc::bad_file_descriptor;
  char buf[8] = {};  // initialized: the sends below still reach sendto(), which memcheck checks
  Address from;
  std::error_code ec;

  REQUIRE(socket.receive_from(buf, sizeof buf, from, ec) == 0);
  REQUIRE(ec == bad);
  REQUIRE(socket.send("x", ec) == 0);
  REQUIRE(ec == bad);
  REQUIRE(socket.send(buf, sizeof buf, ec) == 0);
  REQUIRE(ec == bad);
  REQUIRE(socket.receive(buf, sizeof buf, ec) == 0);
  REQUIRE(ec == bad);
  socket.set_broadcast(true, ec);
  REQUIRE(ec == bad);
  REQUIRE_FALSE(socket.broadcast(ec));
  REQUIRE(ec == bad);
  (void)socket.local_address(ec);
  REQUIRE(ec == bad);

  REQUIRE(thrown_by([&] { (void)socket.receive_from(buf, sizeof buf, from); }).code == bad);
  REQUIRE(thrown_by([&] { socket.send("x"); }).code == bad);
  REQUIRE(thrown_by([&] { socket.send(buf, sizeof buf); }).code == bad);
  REQUIRE(thrown_by([&] { (void)socket.receive(buf, sizeof buf); }).code == bad);
  REQUIRE(thrown_by([&] { socket.set_broadcast(true); }).code == bad);
  REQUIRE(thrown_by([&] { (void)socket.broadcast(); }).code == bad);
  REQUIRE(thrown_by([&] { (void)socket.local_address(); }).code == bad);
  // The message says what is wrong in words, not only "Bad file descriptor".
  const Thrown on_timeout = thrown_by([&] { socket.set_receive_timeout(1s); });
  REQUIRE(on_timeout.code == bad);
  REQUIRE(on_timeout.what == "set_receive_timeout: socket is not open: " + on_timeout.code.message());
  REQUIRE(thrown_by([&] { socket.send("x"); }).what == "send: socket is not open: " + on_timeout.code.message());
  REQUIRE_FALSE(socket.is_open());
}

// A send to an address on a DatagramSocket that is not open (default-
// constructed, closed, moved-from) opens one of the destination's family
// first, as Python's sendto() on a fresh socket works: the OS picks the
// port, and the socket can receive the reply.
TEST_CASE("DatagramSocket send_to, send_to_vectored and send_batch open a socket when none is open",
          "[datagram_socket]") {
  for (const Family family : {Family::ipv4, Family::ipv6}) {
    INFO("family " << (family == Family::ipv4 ? "ipv4" : "ipv6"));
    DatagramSocket peer(Address::loopback(family, 0));
    peer.set_receive_timeout(10s);
    const Address to = peer.local_address();
    char buf[16] = {};
    Address from;

    DatagramSocket fresh;
    REQUIRE(fresh.send_to("ping", to) == 4);
    REQUIRE(fresh.is_open());
    REQUIRE(fresh.local_address().family() == family);
    REQUIRE(peer.receive_from(buf, sizeof buf, from) == 4);
    REQUIRE(from.port() == fresh.local_address().port());
    REQUIRE(peer.send_to("pong", from) == 4);
    fresh.set_receive_timeout(10s);
    REQUIRE(fresh.receive(buf, sizeof buf) == 4);
    REQUIRE(std::string(buf, 4) == "pong");

    fresh.close();  // closed: the next send opens a new socket again
    std::error_code ec = std::make_error_code(std::errc::io_error);
    REQUIRE(fresh.send_to("x", to, ec) == 1);
    REQUIRE_FALSE(ec);
    REQUIRE(peer.receive_from(buf, sizeof buf, from) == 1);

    DatagramSocket vectored;
    const outlet::ConstBuffer parts[] = {outlet::ConstBuffer("ab"), outlet::ConstBuffer("cd")};
    REQUIRE(vectored.send_to_vectored(parts, 2, to) == 4);
    REQUIRE(peer.receive_from(buf, sizeof buf, from) == 4);
    REQUIRE(from.port() == vectored.local_address().port());

    DatagramSocket batch;
    const outlet::OutgoingDatagram out[] = {{outlet::ConstBuffer("one"), to}, {outlet::ConstBuffer("two"), to}};
    REQUIRE(batch.send_batch(out, 2) == 2);
    REQUIRE(peer.receive_from(buf, sizeof buf, from) == 3);
    REQUIRE(from.port() == batch.local_address().port());
    REQUIRE(peer.receive_from(buf, sizeof buf, from) == 3);
  }
  // Without a destination there is nothing to open: "not open", in words.
  DatagramSocket none;
  const Thrown unnamed = thrown_by([&] { (void)none.send_to("x", Address()); });
  REQUIRE(unnamed.code == std::errc::bad_file_descriptor);
  REQUIRE(outlet_test::contains(unnamed.what, "socket is not open"));
  REQUIRE_FALSE(none.is_open());
}

// --- close-on-exec ---------------------------------------------------------------------------

// Every way of opening a DatagramSocket sets FD_CLOEXEC (on Windows: no
// HANDLE_FLAG_INHERIT), so child processes never inherit it.
TEST_CASE("DatagramSocket is created close-on-exec", "[datagram_socket]") {
  const auto cloexec = [](const DatagramSocket& s) { return outlet_test::close_on_exec(s.native_handle()); };
  REQUIRE(cloexec(DatagramSocket(Family::ipv4)));
  REQUIRE(cloexec(DatagramSocket(Family::ipv6)));
  REQUIRE(cloexec(DatagramSocket(Address::loopback(Family::ipv4, 0))));
  REQUIRE(cloexec(DatagramSocket(Address::loopback(Family::ipv6, 0))));
  DatagramSocket bound;
  bound.bind(Address::loopback(Family::ipv4, 0));
  REQUIRE(cloexec(bound));
  const DatagramSocket peer(Address::loopback(Family::ipv4, 0));
  DatagramSocket connected;
  connected.connect(peer.local_address());
  REQUIRE(cloexec(connected));
}

// The same for Unix datagram sockets, unnamed and path-bound.
TEST_CASE("Unix DatagramSocket is created close-on-exec", "[datagram_socket]") {
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  const auto cloexec = [](const DatagramSocket& s) { return outlet_test::close_on_exec(s.native_handle()); };
  REQUIRE(cloexec(DatagramSocket(Family::unix_domain)));
  REQUIRE(cloexec(DatagramSocket(Address::unix_domain(outlet_test::unique_unix_path("dgexec")))));
  DatagramSocket bound;
  bound.bind(Address::unix_domain(outlet_test::unique_unix_path("dgexec")));
  REQUIRE(cloexec(bound));
}

namespace {
std::atomic<int> polls_seen{0};
int count_polls(outlet::detail::SysCall call, outlet::native_handle_type) {
  if (call == outlet::detail::SysCall::poll) ++polls_seen;
  return 0;
}
}  // namespace

// An unbound Unix datagram sender to a full receiver: poll() keeps saying
// "writable" while sendto() keeps failing with EWOULDBLOCK (Linux). A timed
// send backs off instead of spinning on poll(), and still ends at its deadline.
TEST_CASE("DatagramSocket timed send to a full Unix receiver backs off", "[datagram_socket]") {
  if (!outlet_test::is_linux) OUTLET_TEST_SKIP("Linux only: a full Unix datagram receiver that poll() calls writable");
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  const Address to = Address::unix_domain(outlet_test::unique_unix_path("full"));
  DatagramSocket receiver(to);
  DatagramSocket sender(Family::unix_domain);
  sender.set_non_blocking(true);
  std::error_code ec;
  for (int i = 0; i < 100000 && !ec; ++i) (void)sender.send_to("x", to, ec);
  REQUIRE(ec == std::errc::operation_would_block);
  sender.set_non_blocking(false);
  sender.set_send_timeout(300ms);
  polls_seen = 0;
  const auto start = std::chrono::steady_clock::now();
  {
    outlet_test::ScopedFaultHook hook(count_polls);
    (void)sender.send_to("x", to, ec);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(elapsed >= 290ms);
  REQUIRE(elapsed < 5s);
  // 1 + 2 + 4 ... 64 ms steps: a few dozen polls at most, not a busy loop.
  REQUIRE(polls_seen.load() > 0);
  REQUIRE(polls_seen.load() < 100);
}
