// Happy Eyeballs (RFC 8305) in outlet::connect(addresses) and
// outlet::connect(host, port), and name resolution with a deadline (issue
// #18). Loopback only: a black hole is an IPv6 listener whose accept queue
// is full, so that the kernel drops further SYNs (Linux); a refused address
// is a port bound but not listening.
//
// The resolver cases are hidden ("[.resolver]"): tests/resolver/run_isolated.sh
// runs them in private mount and network namespaces, where /etc/resolv.conf
// names 127.0.0.1, whose port 53 the test binds and never answers.
#include "catch.hpp"
#include "test_support.hpp"

#include <outlet/outlet.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

using namespace std::chrono_literals;
using outlet::Address;
using outlet::ConnectOptions;
using outlet::Family;
using outlet::ServerSocket;
using outlet::Socket;
using outlet_test::Clock;
using outlet_test::contains;
using outlet_test::ms_since;
using outlet_test::Thrown;
using outlet_test::thrown_by;

namespace {

/// A listener whose accept queue is full and never drained: connects to it
/// hang (the kernel drops their SYNs) until the caller gives up. `ready` is
/// false, with `why`, where none can be made (not Linux, no IPv6).
struct BlackHole {
  ServerSocket server;
  std::vector<Socket> queued;  // kept open so the queue stays full
  bool ready = false;
  std::string why;

  explicit BlackHole(Family family, std::uint16_t port = 0) {
    // Wine's sockets are Linux's: its Windows programs get black holes too.
    if (!outlet_test::full_listen_queue_drops_connects && !outlet_test::running_under_wine()) {
      why = "only Linux drops connects to a full listen queue (elsewhere they are refused or queued)";
      return;
    }
    std::error_code ec;
    server = ServerSocket(family);
    server.bind(Address::loopback(family, port), ec);
    if (!ec) server.listen(0, ec);
    if (ec) {
      why = "cannot listen on " + Address::loopback(family, port).to_string() + ": " + ec.message();
      return;
    }
    // Fill the queue until a connect hangs (one queued connection here;
    // other kernels may take a few more). Bounded.
    for (int attempt = 0; attempt < 16; ++attempt) {
      Socket s;
      s.connect(server.local_address(), 100ms, ec);
      if (ec == std::errc::timed_out) {
        ready = true;
        return;
      }
      if (ec) break;
      queued.push_back(std::move(s));
    }
    why = "connects to a full listen queue did not hang here: " + ec.message();
  }
  Address address() const { return server.local_address(); }
};

/// A TCP address of `family` where connect() is refused: the port is bound
/// by `holder`, which does not listen.
Address refused(ServerSocket& holder, Family family) {
  holder = ServerSocket(family);
  holder.bind(Address::loopback(family, 0));
  return holder.local_address();
}

/// Options with `delay` and `timeout`.
ConnectOptions options(outlet::duration delay, std::optional<outlet::duration> timeout = std::nullopt) {
  ConnectOptions o;
  o.attempt_delay = delay;
  o.timeout = timeout;
  return o;
}

/// Polls `done` every 10 ms for up to 15 s: whether it became true.
template <class Done>
bool eventually(Done done) {
  const auto end = Clock::now() + 15s;
  while (!done()) {
    if (Clock::now() > end) return false;
    outlet::detail::sys::sleep_ms(10);
  }
  return true;
}

/// The addresses of a connect_order() result, as text.
std::vector<std::string> texts(const std::vector<Address>& addresses) {
  std::vector<std::string> out;
  for (const Address& a : addresses) out.push_back(a.to_string());
  return out;
}

}  // namespace

// --- RFC 8305 section 4: the order ---------------------------------------------------

TEST_CASE("connect_order interleaves the families, the first address's family first", "[connect_race][order]") {
  const Address a6 = Address::parse("[2001:db8::1]:80"), b6 = Address::parse("[2001:db8::2]:80"),
                c6 = Address::parse("[2001:db8::3]:80");
  const Address a4 = Address::parse("192.0.2.1:80"), b4 = Address::parse("192.0.2.2:80");
  using V = std::vector<std::string>;

  // IPv6 first (the resolver's preference), then alternating, the rest of the longer family last.
  REQUIRE(texts(outlet::detail::connect_order({a6, b6, c6, a4, b4}, std::nullopt)) ==
          V{a6.to_string(), a4.to_string(), b6.to_string(), b4.to_string(), c6.to_string()});
  // IPv4 first when the list starts with IPv4; the order within a family is kept.
  REQUIRE(texts(outlet::detail::connect_order({b4, a6, a4, b6}, std::nullopt)) ==
          V{b4.to_string(), a6.to_string(), a4.to_string(), b6.to_string()});
  // first_family overrides the list's first family, when the list has it.
  REQUIRE(texts(outlet::detail::connect_order({a6, b6, a4}, Family::ipv4)) ==
          V{a4.to_string(), a6.to_string(), b6.to_string()});
  REQUIRE(texts(outlet::detail::connect_order({a6, b6}, Family::ipv4)) == V{a6.to_string(), b6.to_string()});
  // One family: unchanged. Duplicates stay (each is one attempt).
  REQUIRE(texts(outlet::detail::connect_order({b4, a4, b4}, std::nullopt)) ==
          V{b4.to_string(), a4.to_string(), b4.to_string()});
  REQUIRE(outlet::detail::connect_order({}, std::nullopt).empty());
}

// --- racing ------------------------------------------------------------------------

// The case: the IPv6 address is black-holed, the IPv4 one works.
// Racing connects over IPv4 after about one attempt delay; one address after
// the other waits out the IPv6 attempt's whole timeout first.
TEST_CASE("A black-holed IPv6 address: IPv4 wins after the attempt delay", "[connect_race]") {
  BlackHole hole(Family::ipv6);
  if (!hole.ready) OUTLET_TEST_SKIP(hole.why);
  ServerSocket v4(Address::loopback(Family::ipv4, 0));
  const std::vector<Address> list{hole.address(), v4.local_address()};
  const int before = outlet_test::open_descriptor_count();

  auto start = Clock::now();
  Socket raced = outlet::connect(list, options(250ms, 5s));
  const long long raced_ms = ms_since(start);
  REQUIRE(raced.peer_address() == v4.local_address());
  REQUIRE(raced_ms >= 240);                                                // the IPv6 attempt had its delay alone
  REQUIRE(raced_ms < 2000);                                                // not its whole timeout
  REQUIRE_FALSE(outlet_test::native_non_blocking(raced.native_handle()));  // back in blocking mode
  // The losing IPv6 attempt is closed: one new descriptor, the winner.
  if (before > 0) REQUIRE(outlet_test::open_descriptor_count() == before + 1);

  // The same through the ec form, with a shorter delay.
  std::error_code ec = std::make_error_code(std::errc::io_error);
  start = Clock::now();
  Socket quick = outlet::connect(list, options(50ms, 5s), ec);
  const long long quick_ms = ms_since(start);
  REQUIRE_FALSE(ec);
  REQUIRE(quick.peer_address() == v4.local_address());
  REQUIRE(quick_ms >= 45);
  REQUIRE(quick_ms < 1000);

  // One after the other (the old behaviour): the IPv6 attempt takes its
  // whole timeout before IPv4 is tried.
  start = Clock::now();
  Socket serial;
  for (const Address& a : list) {
    serial = Socket();
    serial.connect(a, 1s, ec);
    if (!ec) break;
  }
  const long long serial_ms = ms_since(start);
  REQUIRE_FALSE(ec);
  REQUIRE(serial_ms >= 990);
  std::cout << "black-holed [::1] first, then 127.0.0.1: racing (250 ms delay) connected in " << raced_ms
            << " ms, (50 ms delay) in " << quick_ms << " ms; one after the other with a 1 s timeout each: " << serial_ms
            << " ms" << std::endl;
  for (int i = 0; i < 3; ++i) REQUIRE(v4.accept(5s).is_open());
}

// A zero delay starts every attempt at once: the working address wins at
// once however many black holes come first.
TEST_CASE("A zero attempt delay starts every attempt at once", "[connect_race]") {
  BlackHole hole(Family::ipv6);
  if (!hole.ready) OUTLET_TEST_SKIP(hole.why);
  ServerSocket v4(Address::loopback(Family::ipv4, 0));
  ConnectOptions o = options(0ms, 5s);
  o.first_family = Family::ipv6;
  const auto start = Clock::now();
  Socket s = outlet::connect({hole.address(), hole.address(), hole.address(), v4.local_address()}, o);
  REQUIRE(ms_since(start) < 700);  // the default delay would take 750 ms (and slow runs, valgrind, need room)
  REQUIRE(s.peer_address() == v4.local_address());
  REQUIRE(v4.accept(5s).is_open());
}

// Attempts that are found connected by the same wait: the earliest in the
// order wins (on loopback both handshakes finish before the first wait).
TEST_CASE("Of attempts connected at once, the earliest in order wins", "[connect_race]") {
  ServerSocket first(Address::loopback(Family::ipv4, 0));
  ServerSocket second(Address::loopback(Family::ipv4, 0));
  for (int round = 0; round < 5; ++round) {
    Socket s = outlet::connect({first.local_address(), second.local_address()}, options(0ms, 5s));
    REQUIRE(s.peer_address() == first.local_address());
    REQUIRE(first.accept(5s).is_open());
    std::error_code ec;
    (void)second.accept(0ms, ec);  // the loser's connection, if it reached the queue (closed since)
  }
}

// A refused address does not hold the next attempt back for the delay.
TEST_CASE("An attempt that fails starts the next one at once", "[connect_race]") {
  ServerSocket holder6, holder4;
  const Address refused6 = refused(holder6, Family::ipv6);
  const Address refused4 = refused(holder4, Family::ipv4);
  ServerSocket v4(Address::loopback(Family::ipv4, 0));
  const auto start = Clock::now();
  // A 5 s delay: only a failure can start the next attempt in time.
  Socket s = outlet::connect({refused6, refused4, v4.local_address()}, options(5s, 20s));
  const long long elapsed = ms_since(start);
  REQUIRE(s.peer_address() == v4.local_address());
  REQUIRE(elapsed < 2500);
  REQUIRE(v4.accept(5s).is_open());
}

// The same while an earlier attempt is still running (black-holed): the
// refused one's failure, which poll() reports, starts the next attempt then,
// not a whole delay after the refused one started.
TEST_CASE("A failure while another attempt runs starts the next one at once", "[connect_race]") {
  BlackHole hole(Family::ipv6);
  if (!hole.ready) OUTLET_TEST_SKIP(hole.why);
  ServerSocket holder;
  const Address refused6 = refused(holder, Family::ipv6);
  ServerSocket v6(Address::loopback(Family::ipv6, 0));
  const auto start = Clock::now();
  // One family, so the order is as given: the black hole at 0, the refused
  // address at 500 ms, the working one as soon as that fails (else at 1000 ms).
  Socket s = outlet::connect({hole.address(), refused6, v6.local_address()}, options(500ms, 10s));
  const long long elapsed = ms_since(start);
  REQUIRE(s.peer_address() == v6.local_address());
  REQUIRE(elapsed >= 490);
  REQUIRE(elapsed < 900);
  REQUIRE(v6.accept(5s).is_open());
}

// Every address fails: the first one's error, and what() names each with its error.
TEST_CASE("When every attempt fails, the first error, with every address in what()", "[connect_race]") {
  ServerSocket holder6, holder4a, holder4b;
  const Address refused6 = refused(holder6, Family::ipv6);
  const Address refused4a = refused(holder4a, Family::ipv4);
  const Address refused4b = refused(holder4b, Family::ipv4);
  const std::vector<Address> list{refused4a, refused4b, refused6};

  std::error_code ec;
  Socket s = outlet::connect(list, ConnectOptions(), ec);
  REQUIRE(ec == std::errc::connection_refused);
  REQUIRE_FALSE(s.is_open());

  const Thrown e = thrown_by([&] { (void)outlet::connect(list, options(5s, 20s)); });
  REQUIRE(e.code == std::errc::connection_refused);
  INFO(e.what);
  // In the order tried: IPv4 (the first family), IPv6, IPv4.
  const std::string refusal = ec.message();
  REQUIRE(e.what == "connect 3 addresses (tried " + refused4a.to_string() + ": " + refusal + "; " +
                        refused6.to_string() + ": " + refusal + "; " + refused4b.to_string() + ": " + refusal +
                        "): " + refusal);

  // One address: the message of Socket::connect.
  const Thrown one = thrown_by([&] { (void)outlet::connect({refused4a}); });
  REQUIRE(one.what == "connect " + refused4a.to_string() + ": " + refusal);
}

// The deadline covers the whole race: black holes only, timed_out on time,
// every attempt closed; addresses never reached are reported as not tried.
TEST_CASE("The deadline holds when no attempt ends", "[connect_race]") {
  BlackHole hole(Family::ipv6);
  if (!hole.ready) OUTLET_TEST_SKIP(hole.why);
  ServerSocket v4(Address::loopback(Family::ipv4, 0));
  const int before = outlet_test::open_descriptor_count();
  const auto start = Clock::now();
  const Thrown e = thrown_by([&] {
    (void)outlet::connect({hole.address(), hole.address(), v4.local_address()}, options(400ms, 300ms));
  });
  const long long elapsed = ms_since(start);
  REQUIRE(e.code == std::errc::timed_out);
  REQUIRE(elapsed >= 290);
  REQUIRE(elapsed < 2000);
  INFO(e.what);
  REQUIRE(contains(e.what, "(tried " + hole.address().to_string() + ": "));
  REQUIRE(contains(e.what, "; 2 not tried)"));
  if (before > 0) REQUIRE(outlet_test::open_descriptor_count() == before);

  // A zero timeout: every attempt starts, one check, timed_out at once.
  std::error_code ec;
  const auto zero_start = Clock::now();
  Socket s = outlet::connect({hole.address(), hole.address()}, options(250ms, 0s), ec);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE_FALSE(s.is_open());
  REQUIRE(ms_since(zero_start) < 700);  // less than the 250 ms delay twice over, with room for slow runs
}

// Bad input: clear errors that say what was wrong.
TEST_CASE("connect(addresses) rejects bad input", "[connect_race]") {
  std::error_code ec;
  REQUIRE_FALSE(outlet::connect(std::vector<Address>{}, ConnectOptions(), ec).is_open());
  REQUIRE(ec == std::errc::invalid_argument);
  Thrown e = thrown_by([] { (void)outlet::connect(std::vector<Address>{}); });
  REQUIRE(e.code == std::errc::invalid_argument);
  REQUIRE(e.what == "connect: an empty address list: " + e.code.message());

  const Address good = Address::loopback(Family::ipv4, 9);
  e = thrown_by([&] { (void)outlet::connect({good, Address()}); });
  REQUIRE(e.code == std::errc::invalid_argument);
  REQUIRE(e.what == "connect: address 2 of 2 is empty: " + e.code.message());

  e = thrown_by([&] { (void)outlet::connect({good}, options(-1ms)); });
  REQUIRE(e.code == std::errc::invalid_argument);
  REQUIRE(e.what == "connect: negative attempt_delay (-1000000ns): " + e.code.message());
  e = thrown_by([&] { (void)outlet::connect({good}, options(1ms, -2ms)); });
  REQUIRE(e.what == "connect: negative timeout (-2000000ns): " + e.code.message());
  e = thrown_by([&] { (void)outlet::connect("127.0.0.1", 9, options(-1ms)); });
  REQUIRE(e.what == "connect \"127.0.0.1\" port 9: negative attempt_delay (-1000000ns): " + e.code.message());
  REQUIRE_FALSE(outlet::connect("127.0.0.1", 9, options(1ms, -2ms), ec).is_open());
  REQUIRE(ec == std::errc::invalid_argument);
}

// connect(host, port, options): the host's addresses race the same way.
TEST_CASE("connect(host, port, options) connects and reports like connect(host, port)", "[connect_race]") {
  ServerSocket v6(Address::loopback(Family::ipv6, 0));
  std::error_code ec = std::make_error_code(std::errc::io_error);
  Socket s = outlet::connect("::1", v6.local_address().port(), options(100ms, 5s), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(s.peer_address() == v6.local_address());
  REQUIRE(v6.accept(5s).is_open());

  ServerSocket holder;
  const Address gone = refused(holder, Family::ipv4);
  const Thrown e = thrown_by([&] { (void)outlet::connect("127.0.0.1", gone.port(), options(100ms)); });
  REQUIRE(e.code == std::errc::connection_refused);
  REQUIRE(e.what == "connect \"127.0.0.1\" port " + std::to_string(gone.port()) + ": " + e.code.message());
}

// --- resolve with a deadline ----------------------------------------------------------------

// Numeric addresses never wait, so even a zero timeout resolves them; a
// name with a zero timeout cannot, and fails with timed_out at once.
TEST_CASE("resolve with a timeout: numeric addresses, zero, negative", "[connect_race][resolve]") {
  std::error_code ec;
  std::vector<Address> r = outlet::resolve("127.0.0.1", 80, 0s, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(r == std::vector<Address>{Address::parse("127.0.0.1:80")});
  REQUIRE(outlet::resolve("[::1]", 81, 5s) == std::vector<Address>{Address::parse("[::1]:81")});

  r = outlet::resolve("localhost", 80, 0s, ec);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(r.empty());
  const Thrown zero = thrown_by([] { (void)outlet::resolve("localhost", 80, 0s); });
  REQUIRE(zero.code == std::errc::timed_out);
  REQUIRE(zero.what == "resolve \"localhost\": " + zero.code.message());

  const Thrown negative = thrown_by([] { (void)outlet::resolve("localhost", 80, -1ns); });
  REQUIRE(negative.code == std::errc::invalid_argument);
  REQUIRE(negative.what == "resolve \"localhost\": negative timeout (-1ns): " + negative.code.message());
  REQUIRE(outlet::resolve("", 80, 1s, ec).empty());
  REQUIRE(ec == std::errc::invalid_argument);
}

// A name the resolver answers (from /etc/hosts) within the deadline: the
// same addresses as the plain lookup, through both the platform's way and
// the helper thread; nothing is left behind.
TEST_CASE("resolve with a timeout finds what resolve finds", "[connect_race][resolve]") {
  OUTLET_TEST_REQUIRE_LOCALHOST();
  const std::vector<Address> plain = outlet::resolve("localhost", 443);
  REQUIRE(outlet::resolve("localhost", 443, 10s) == plain);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  bool timed_out = true;
  REQUIRE(outlet::detail::sys::resolve_name_in_thread("localhost", &hints, &list, 10000, timed_out) == 0);
  REQUIRE_FALSE(timed_out);
  REQUIRE(list != nullptr);
  outlet::detail::sys::free_resolved(list);
  REQUIRE(eventually([] { return outlet::detail::sys::lookups_in_flight() == 0; }));
}

namespace {

/// Whether this process sees the isolated resolver setup
/// (tests/resolver/run_isolated.sh): /etc/resolv.conf naming only
/// 127.0.0.1; "" if so, else why not.
std::string isolated_resolver_missing() {
  std::ifstream in("/etc/resolv.conf");
  std::stringstream text;
  text << in.rdbuf();
  if (!contains(text.str(), "outlet-test-resolver")) {
    return "/etc/resolv.conf is the machine's own: run through tests/resolver/run_isolated.sh";
  }
  return {};
}

/// The name the silent server is asked for (in no hosts file).
constexpr const char* unanswered_name = "unanswered.outlet.test";

}  // namespace

// A DNS server on 127.0.0.1 that never answers: the lookup gives up at the
// deadline, and the lookup's block is freed once the resolver itself gives
// up (resolv.conf: timeout:1 attempts:1), with no descriptor left open.
TEST_CASE("resolve gives up at the deadline when the DNS server never answers", "[.resolver]") {
  const std::string missing = isolated_resolver_missing();
  if (!missing.empty()) OUTLET_TEST_SKIP(missing);
  if (!outlet::detail::sys::lookups_can_time_out)
    OUTLET_TEST_SKIP("lookups cannot be given a deadline here (no threads in the C library)");
  std::error_code ec;
  outlet::DatagramSocket silent(Family::ipv4);
  silent.bind(Address::parse("127.0.0.1:53"), ec);  // bound, never read
  if (ec) OUTLET_TEST_SKIP("cannot bind 127.0.0.1:53 for the silent DNS server: " + ec.message());
  const int before = outlet_test::open_descriptor_count();

  // The platform's way (getaddrinfo_a on glibc) and the helper thread.
  for (int way = 0; way < 2; ++way) {
    INFO("way " << way);
    const auto start = Clock::now();
    std::vector<Address> r;
    if (way == 0) {
      r = outlet::resolve(unanswered_name, 80, 300ms, ec);
    } else {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* list = nullptr;
      bool timed_out = false;
      (void)outlet::detail::sys::resolve_name_in_thread(unanswered_name, &hints, &list, 300, timed_out);
      REQUIRE(list == nullptr);
      ec = timed_out ? std::make_error_code(std::errc::timed_out) : std::error_code();
    }
    const long long elapsed = ms_since(start);
    REQUIRE(ec == std::errc::timed_out);
    REQUIRE(r.empty());
    REQUIRE(elapsed >= 290);
    REQUIRE(elapsed < 900);  // the resolver itself waits 1 s per query
    // Freed once the resolver gives up, nothing left open.
    REQUIRE(eventually([] { return outlet::detail::sys::lookups_in_flight() == 0; }));
    if (before > 0) REQUIRE(eventually([&] { return outlet_test::open_descriptor_count() == before; }));
  }

  // connect(host, port, timeout): the deadline covers the lookup.
  const auto start = Clock::now();
  const Thrown e = thrown_by([] { (void)outlet::connect(unanswered_name, 80, 400ms); });
  REQUIRE(e.code == std::errc::timed_out);
  REQUIRE(e.what ==
          std::string("connect \"") + unanswered_name + "\" port 80 (looking up the name): " + e.code.message());
  const long long elapsed = ms_since(start);
  REQUIRE(elapsed >= 390);
  REQUIRE(elapsed < 1000);
  REQUIRE(eventually([] { return outlet::detail::sys::lookups_in_flight() == 0; }));
}

// localhost resolves to ::1 first and to 127.0.0.1 (the hosts file of
// run_isolated.sh); ::1's port is black-holed. connect("localhost", port)
// gets through on IPv4 after one attempt delay, not after the IPv6
// attempt's timeout: the POCO and websocketpp reports in issue #18.
TEST_CASE("connect(\"localhost\", port) with a black-holed ::1", "[.resolver]") {
  const std::string missing = isolated_resolver_missing();
  if (!missing.empty()) OUTLET_TEST_SKIP(missing);
  const std::vector<Address> addresses = outlet::resolve("localhost", 1);
  if (addresses.size() < 2 || addresses.front().family() != Family::ipv6)
    OUTLET_TEST_SKIP("localhost does not resolve to ::1 first, then 127.0.0.1, here");
  // The same port on both: bind IPv4 to the black hole's port.
  std::optional<BlackHole> hole;
  ServerSocket v4;
  for (int attempt = 0; attempt < 10 && !v4.is_open(); ++attempt) {
    hole.emplace(Family::ipv6);
    if (!hole->ready) OUTLET_TEST_SKIP(hole->why);
    std::error_code ec;
    v4 = ServerSocket(Family::ipv4);
    v4.bind(Address::loopback(Family::ipv4, hole->address().port()), ec);
    if (!ec) v4.listen(ec);
    if (ec) v4 = ServerSocket();
  }
  REQUIRE(v4.is_open());
  const std::uint16_t port = v4.local_address().port();

  auto start = Clock::now();
  Socket s = outlet::connect("localhost", port, 5s);
  const long long raced_ms = ms_since(start);
  REQUIRE(s.peer_address() == v4.local_address());
  REQUIRE(raced_ms >= 240);
  REQUIRE(raced_ms < 2000);
  REQUIRE(v4.accept(5s).is_open());

  // What connect(host, port, 2s) did before racing: each address in turn
  // within the one deadline, so ::1 takes all of it and 127.0.0.1 none.
  start = Clock::now();
  const outlet::detail::Deadline deadline(2s);
  std::error_code ec;
  Socket serial;
  for (const Address& a : outlet::resolve("localhost", port)) {
    const int ms = deadline.poll_timeout_ms();
    if (ms == 0) break;
    serial = Socket();
    serial.connect(a, std::chrono::milliseconds(ms), ec);
    if (!ec) break;
  }
  const long long serial_ms = ms_since(start);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(serial_ms >= 1990);
  std::cout << "connect(\"localhost\", port) with ::1 black-holed: racing (250 ms delay) connected in " << raced_ms
            << " ms; one address after the other with a 2 s timeout failed with timed_out after " << serial_ms << " ms"
            << std::endl;
}
