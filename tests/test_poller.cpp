// Tests for <outlet/poller.hpp>: the Poller (add, modify, remove, wait,
// events, move), level-triggered readiness of listeners, streams and
// datagram sockets, hang-ups, EINTR through the fault hook, non-blocking
// I/O and connect (Socket::finish_connect), wait_readable/wait_writable,
// and a single-threaded Poller echo server holding 300 connections.
//
// Built twice: test_poller with the platform's back end (epoll, kqueue,
// WSAPoll) and test_poller_forced_poll with OUTLET_FORCE_POLL (poll()).
#include <outlet/outlet.hpp>

#include "catch.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#if !defined(_WIN32)
#include <sys/resource.h>
#endif  // !defined(_WIN32)

namespace {

using namespace std::chrono_literals;
using outlet::Address;
using outlet::DatagramSocket;
using outlet::Event;
using outlet::Family;
using outlet::Interest;
using outlet::Poller;
using outlet::ServerSocket;
using outlet::Socket;
using outlet::detail::SysCall;
using outlet_test::arm_hook;
using outlet_test::Clock;
using outlet_test::connected_pair;
using outlet_test::counting_hook;
using outlet_test::hook_calls;
using outlet_test::ms_since;
using outlet_test::Pair;
using outlet_test::pattern;
using outlet_test::refused_address;
using outlet_test::stale_error;
using outlet_test::starts_with;
using outlet_test::Thrown;
using outlet_test::thrown_by;

// --- helpers ------------------------------------------------------------------

/// How long a wait for something that must happen may take: it only ends a failed test.
constexpr auto patience = 10s;

/// A 64-bit token or count as a size_t: one type on LP64 (a plain cast would
/// be -Wuseless-cast there), narrower on 32-bit systems.
template <class T>
constexpr std::size_t as_size(T n) noexcept {
  return static_cast<std::size_t>(n);
}

/// The native "invalid argument" error (EINVAL, WSAEINVAL), for failing a wait through the fault hook.
int native_invalid_argument() {
#if defined(_WIN32)
  return WSAEINVAL;
#else
  return EINVAL;
#endif  // defined(_WIN32)
}

/// A small deterministic generator for sizes (splitmix64).
class Random {
public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  /// A number in [low, high].
  std::size_t between(std::size_t low, std::size_t high) {
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return low + as_size(z % (high - low + 1));
  }

private:
  std::uint64_t state_;
};

/// The event the last wait() reported for `token`, or none.
std::optional<Event> event_for(const Poller& poller, std::uint64_t token) {
  for (const Event& e : poller.events()) {
    if (e.token() == token) return e;
  }
  return std::nullopt;
}

/// The tokens the last wait() reported, sorted.
std::vector<std::uint64_t> reported_tokens(const Poller& poller) {
  std::vector<std::uint64_t> tokens;
  for (const Event& e : poller.events()) tokens.push_back(e.token());
  std::sort(tokens.begin(), tokens.end());
  return tokens;
}

/// Waits until wait() reports `token` (other ready handles may be reported
/// first); its event, or none once `limit` passes.
std::optional<Event> wait_for_token(Poller& poller, std::uint64_t token, outlet::duration limit = patience) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return std::nullopt;
    poller.wait(std::chrono::duration_cast<outlet::duration>(left));
    if (std::optional<Event> e = event_for(poller, token)) return e;
  }
}

/// Raises the soft descriptor limit to the hard one if it is below `needed`
/// (POSIX; Windows has no such limit); whether `needed` descriptors fit.
bool ensure_descriptor_limit(std::size_t needed) {
#if defined(_WIN32)
  (void)needed;
  return true;
#else
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  const rlim_t want = needed;  // both unsigned; rlim_t is at least as wide
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < want) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  }
  return limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= want;
#endif  // defined(_WIN32)
}

}  // namespace

// --- the back end ----------------------------------------------------------------

// The two executables really use different back ends.
TEST_CASE("Poller reports the back end this build selected", "[poller]") {
  const std::string name = outlet::Poller::backend();
#if defined(_WIN32)
  CHECK(name == "WSAPoll");
#elif defined(OUTLET_FORCE_POLL)
  CHECK(name == "poll");
#elif defined(OUTLET_FORCE_KQUEUE)
  CHECK(name == "kqueue");
#elif defined(__linux__)
  CHECK(name == "epoll");
#else
  CHECK((name == "kqueue" || name == "poll"));
#endif  // defined(_WIN32)
}

// --- an empty poller ---------------------------------------------------------------

// A poller with nothing registered: wait(0) finds nothing, a timed wait
// finds nothing after the timeout, and a negative timeout is refused.
TEST_CASE("Poller with nothing registered", "[poller]") {
  Poller poller;
  REQUIRE(poller.size() == 0);
  REQUIRE(poller.events().empty());

  std::error_code ec = stale_error();
  REQUIRE(poller.wait(0ms, ec) == 0);
  REQUIRE_FALSE(ec);
  REQUIRE(poller.wait(0ms) == 0);
  REQUIRE(poller.events().empty());

  const auto start = Clock::now();
  REQUIRE(poller.wait(100ms) == 0);
  REQUIRE(ms_since(start) >= 100);
  REQUIRE(poller.events().empty());

  ec.clear();
  REQUIRE(poller.wait(-1ms, ec) == 0);
  REQUIRE(ec == std::errc::invalid_argument);
  const Thrown negative = thrown_by([&] { (void)poller.wait(-1ns); });
  REQUIRE(negative.code == std::errc::invalid_argument);
  REQUIRE(negative.what == "poller wait: negative timeout (-1ns): " + negative.code.message());
  REQUIRE(poller.size() == 0);
}

// --- add, modify and remove --------------------------------------------------------

// add/modify/remove update size(), clear a stale ec on success, and accept
// native handles as well as sockets.
TEST_CASE("Poller add modify and remove", "[poller]") {
  Pair p = connected_pair();
  Poller poller;

  std::error_code ec = stale_error();
  poller.add(p.client, Interest::readable, 1, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(poller.size() == 1);
  poller.add(p.accepted.native_handle(), Interest::writable, 2);
  REQUIRE(poller.size() == 2);
  poller.add(p.server, Interest::readable, 3);
  REQUIRE(poller.size() == 3);

  ec = stale_error();
  poller.modify(p.client, Interest::both, 10, ec);
  REQUIRE_FALSE(ec);
  poller.modify(p.accepted.native_handle(), Interest::readable, 20);
  poller.modify(p.server, Interest::readable, 30);
  REQUIRE(poller.size() == 3);

  ec = stale_error();
  poller.remove(p.client, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(poller.size() == 2);
  poller.remove(p.accepted.native_handle());
  REQUIRE(poller.size() == 1);
  poller.remove(p.server);
  REQUIRE(poller.size() == 0);

  // Removed handles can be added again.
  poller.add(p.client, Interest::writable, 4);
  REQUIRE(poller.size() == 1);
  REQUIRE(wait_for_token(poller, 4).has_value());
}

// A refused second add() leaves the first registration as it was: its
// token and its interest. (kqueue's EV_ADD on an existing filter replaces
// the token it carries, so a back end that asked the kernel "is it there?"
// by adding again would lose it.)
TEST_CASE("Poller adding a registered socket keeps its token", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  poller.add(p.client, Interest::readable, 7);
  std::error_code ec;
  poller.add(p.client, Interest::both, 8, ec);
  REQUIRE(ec == std::errc::file_exists);
  REQUIRE(poller.size() == 1);

  // Writable all along, but only readability was asked for: nothing yet.
  REQUIRE(poller.wait(0ms) == 0);
  p.accepted.send_all(std::string_view("x"));
  REQUIRE(poller.wait(patience) == 1);
  CHECK(poller.events()[0].token() == 7);
  CHECK(poller.events()[0].readable());
  CHECK_FALSE(poller.events()[0].writable());
}

// The errors: adding twice is file_exists, modifying or removing what is not
// registered is no_such_file_or_directory, a closed socket is
// bad_file_descriptor; the throwing forms name the operation.
TEST_CASE("Poller add modify and remove errors", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  std::error_code ec;

  SECTION("before anything was ever added") {
    poller.modify(p.client, Interest::readable, 1, ec);
    REQUIRE(ec == std::errc::no_such_file_or_directory);
    poller.remove(p.client, ec);
    REQUIRE(ec == std::errc::no_such_file_or_directory);
    REQUIRE(poller.size() == 0);
  }
  SECTION("with another socket registered") {
    poller.add(p.client, Interest::readable, 1);

    poller.add(p.client, Interest::writable, 2, ec);
    REQUIRE(ec == std::errc::file_exists);
    poller.add(p.client.native_handle(), Interest::writable, 2, ec);
    REQUIRE(ec == std::errc::file_exists);
    const Thrown twice = thrown_by([&] { poller.add(p.client, Interest::readable, 1); });
    REQUIRE(twice.code == std::errc::file_exists);
    REQUIRE(starts_with(twice.what, "poller add"));
    REQUIRE(poller.size() == 1);

    poller.modify(p.accepted, Interest::readable, 3, ec);
    REQUIRE(ec == std::errc::no_such_file_or_directory);
    const Thrown modify = thrown_by([&] { poller.modify(p.accepted, Interest::readable, 3); });
    REQUIRE(modify.code == std::errc::no_such_file_or_directory);
    REQUIRE(starts_with(modify.what, "poller modify"));

    poller.remove(p.accepted, ec);
    REQUIRE(ec == std::errc::no_such_file_or_directory);
    const Thrown remove = thrown_by([&] { poller.remove(p.accepted.native_handle()); });
    REQUIRE(remove.code == std::errc::no_such_file_or_directory);
    REQUIRE(starts_with(remove.what, "poller remove"));
    REQUIRE(poller.size() == 1);

    // Removing twice: the second time it is not registered.
    poller.remove(p.client);
    poller.remove(p.client, ec);
    REQUIRE(ec == std::errc::no_such_file_or_directory);
    REQUIRE(poller.size() == 0);
  }
  SECTION("a closed socket") {
    Socket closed;
    poller.add(closed, Interest::readable, 1, ec);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    poller.modify(closed, Interest::readable, 1, ec);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    poller.remove(closed, ec);
    REQUIRE(ec == std::errc::bad_file_descriptor);

    const Thrown add = thrown_by([&] { poller.add(closed, Interest::readable, 1); });
    REQUIRE(add.code == std::errc::bad_file_descriptor);
    REQUIRE(starts_with(add.what, "poller add"));
    const Thrown modify = thrown_by([&] { poller.modify(closed, Interest::readable, 1); });
    REQUIRE(modify.code == std::errc::bad_file_descriptor);
    REQUIRE(starts_with(modify.what, "poller modify"));
    const Thrown remove = thrown_by([&] { poller.remove(closed); });
    REQUIRE(remove.code == std::errc::bad_file_descriptor);
    REQUIRE(starts_with(remove.what, "poller remove"));
    REQUIRE(poller.size() == 0);
  }
}

// A wait the OS fails reports the error (ec form) or throws "poller wait ...".
TEST_CASE("Poller wait reports an OS failure", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  poller.add(p.client, Interest::writable, 1);
  std::error_code ec;
  Thrown thrown;
  arm_hook(SysCall::poll, outlet::detail::sys::invalid_handle, 2, native_invalid_argument());
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    REQUIRE(poller.wait(patience, ec) == 0);
    thrown = thrown_by([&] { (void)poller.wait(); });
  }
  REQUIRE(ec == std::errc::invalid_argument);
  REQUIRE(thrown.code == std::errc::invalid_argument);
  REQUIRE(starts_with(thrown.what, "poller wait"));
  REQUIRE(hook_calls == 2);
  REQUIRE(poller.events().empty());

  // The next wait works again and clears the stale error.
  ec = stale_error();
  REQUIRE(poller.wait(patience, ec) == 1);
  REQUIRE_FALSE(ec);
}

// --- readiness ------------------------------------------------------------------------

// A listener is readable once a client is waiting to be accepted, and no longer after accept().
TEST_CASE("Poller reports a listener readable when a client connects", "[poller]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  Poller poller;
  const std::uint64_t token = 0xFEEDFACECAFEBEEFULL;
  poller.add(server, Interest::readable, token);
  REQUIRE(poller.wait(0ms) == 0);

  Socket client(server.local_address());
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == token);
  REQUIRE(poller.events()[0].readable());
  REQUIRE_FALSE(poller.events()[0].error());

  Socket accepted = server.accept();
  REQUIRE(accepted.is_open());
  REQUIRE(poller.wait(0ms) == 0);
}

// A connected socket is writable at once, readable only once data arrives,
// and (level-triggered) stays readable on every wait until the data is read.
TEST_CASE("Poller readiness of a connected socket is level-triggered", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  poller.add(p.client, Interest::writable, 1);
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == 1);
  REQUIRE(poller.events()[0].writable());
  REQUIRE_FALSE(poller.events()[0].readable());
  // Still writable: nothing was sent.
  REQUIRE(poller.wait(0ms) == 1);
  REQUIRE(poller.events()[0].writable());

  poller.modify(p.client, Interest::readable, 2);
  REQUIRE(poller.wait(0ms) == 0);

  p.accepted.send_all(std::string_view("level"));
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == 2);
  REQUIRE(poller.events()[0].readable());
  REQUIRE_FALSE(poller.events()[0].writable());
  REQUIRE_FALSE(poller.events()[0].hangup());
  // Not read yet: reported again, and again.
  for (int i = 0; i < 3; ++i) {
    REQUIRE(poller.wait(0ms) == 1);
    REQUIRE(poller.events()[0].token() == 2);
    REQUIRE(poller.events()[0].readable());
  }

  char buffer[16] = {};
  REQUIRE(p.client.receive_exact(buffer, 5) == 5);
  REQUIRE(std::string(buffer, 5) == "level");
  REQUIRE(poller.wait(0ms) == 0);
}

// modify() changes what is reported: readable only, writable only, both.
TEST_CASE("Poller modify switches between readable and writable", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  poller.add(p.client, Interest::readable, 1);
  REQUIRE(poller.wait(0ms) == 0);

  poller.modify(p.client, Interest::writable, 2);
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == 2);
  REQUIRE(poller.events()[0].writable());

  p.accepted.send_all(std::string_view("data"));
  poller.modify(p.client, Interest::readable, 3);
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == 3);
  REQUIRE(poller.events()[0].readable());
  REQUIRE_FALSE(poller.events()[0].writable());

  // Data is waiting, but only writability is asked for.
  poller.modify(p.client, Interest::writable, 4);
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == 4);
  REQUIRE(poller.events()[0].writable());
  REQUIRE_FALSE(poller.events()[0].readable());

  // Both: one event with both flags.
  poller.modify(p.client, Interest::readable | Interest::writable, 5);
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == 5);
  REQUIRE(poller.events()[0].readable());
  REQUIRE(poller.events()[0].writable());

  // And back to readable: after the data is read, nothing.
  poller.modify(p.client, Interest::readable, 6);
  char buffer[8] = {};
  REQUIRE(p.client.receive_exact(buffer, 4) == 4);
  REQUIRE(poller.wait(0ms) == 0);
}

// Removed sockets are not reported any more; the others still are.
TEST_CASE("Poller stops reporting removed sockets", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  poller.add(p.client, Interest::writable, 1);
  poller.add(p.accepted, Interest::writable, 2);
  REQUIRE(poller.wait(patience) == 2);
  REQUIRE(reported_tokens(poller) == std::vector<std::uint64_t>{1, 2});

  poller.remove(p.client);
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == 2);

  poller.remove(p.accepted);
  REQUIRE(poller.size() == 0);
  REQUIRE(poller.wait(0ms) == 0);
  REQUIRE(poller.events().empty());
}

// Tokens come back exactly, the full 64 bits; several ready sockets are
// reported by one wait; modify() changes a token.
TEST_CASE("Poller tokens round-trip and one wait reports several sockets", "[poller]") {
  const std::vector<std::uint64_t> tokens = {0,
                                             1,
                                             0xFFFFFFFFFFFFFFFFULL,
                                             0x8000000000000000ULL,
                                             0x123456789ABCDEF0ULL,
                                             0x00000001FFFFFFFFULL,
                                             0xFFFFFFFF00000000ULL,
                                             42};
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  std::vector<Socket> clients;
  std::vector<Socket> accepted;
  Poller poller;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    clients.emplace_back(server.local_address());
    accepted.push_back(server.accept());
    accepted.back().send_all(std::string_view("x"));
    REQUIRE(clients.back().wait_readable(patience));  // the data has arrived
    poller.add(clients.back(), Interest::readable, tokens[i]);
  }
  REQUIRE(poller.size() == tokens.size());

  std::vector<std::uint64_t> sorted = tokens;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(poller.wait(patience) == tokens.size());
  REQUIRE(reported_tokens(poller) == sorted);
  for (const Event& e : poller.events()) REQUIRE(e.readable());

  // New tokens through modify().
  for (std::size_t i = 0; i < tokens.size(); ++i) poller.modify(clients[i], Interest::readable, ~tokens[i]);
  std::vector<std::uint64_t> inverted;
  for (std::uint64_t t : tokens) inverted.push_back(~t);
  std::sort(inverted.begin(), inverted.end());
  REQUIRE(poller.wait(patience) == tokens.size());
  REQUIRE(reported_tokens(poller) == inverted);
}

// Adds, modifies and removes out of handle order (the poll back end keeps
// its registrations sorted by handle): each handle keeps its own token,
// and what was removed is gone while its neighbours stay. Every third
// socket has a datagram waiting, so a token that slid to a neighbouring
// handle would be reported wrongly.
TEST_CASE("Poller keeps each token with its handle whatever the order", "[poller]") {
  std::vector<DatagramSocket> sockets;
  DatagramSocket sender(Family::ipv4);
  for (std::size_t i = 0; i < 40; ++i) {
    sockets.emplace_back(Address::loopback(Family::ipv4, 0));
    if (i % 3 == 0) REQUIRE(sender.send_to(std::string_view("x"), sockets.back().local_address()) == 1);
  }
  for (std::size_t i = 0; i < sockets.size(); i += 3) REQUIRE(sockets[i].wait_readable(patience));

  Poller poller;
  for (std::size_t i = sockets.size(); i-- > 0;) poller.add(sockets[i], Interest::readable, i);  // highest first
  for (std::size_t i = 0; i < sockets.size(); i += 2) poller.remove(sockets[i]);
  for (std::size_t i = sockets.size(); i-- > 0;) {  // highest first
    if (i % 2 == 1) poller.modify(sockets[i], Interest::readable, 1000 + i);
  }
  for (std::size_t i = 0; i < sockets.size(); i += 6) poller.add(sockets[i], Interest::readable, 2000 + i);
  REQUIRE(poller.size() == 20 + 7);

  std::error_code ec;
  poller.add(sockets[1], Interest::readable, 1, ec);
  REQUIRE(ec == std::errc::file_exists);
  poller.modify(sockets[2], Interest::readable, 2, ec);
  REQUIRE(ec == std::errc::no_such_file_or_directory);

  // Readable: every third socket; registered with 1000 + i (odd i) or 2000 + i (i a multiple of 6).
  std::vector<std::uint64_t> expected;
  for (std::size_t i = 0; i < sockets.size(); i += 3) expected.push_back(i % 2 == 1 ? 1000 + i : 2000 + i);
  std::sort(expected.begin(), expected.end());
  REQUIRE(poller.wait(patience) == expected.size());
  REQUIRE(reported_tokens(poller) == expected);
}

// The peer closes: the socket turns readable, receive() returns 0, and
// hangup() is set at once on Linux by both back ends (EPOLLRDHUP,
// POLLRDHUP); elsewhere poll() may say so only once both directions close.
TEST_CASE("Poller reports a peer that closed", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  poller.add(p.client, Interest::readable, 7);
  REQUIRE(poller.wait(0ms) == 0);

  p.accepted.close();
  REQUIRE(poller.wait(patience) == 1);
  const Event closed = poller.events()[0];
  REQUIRE(closed.token() == 7);
  REQUIRE(closed.readable());
  INFO("back end " << Poller::backend() << ": hangup() after the peer closed = " << closed.hangup());
  if (outlet_test::is_linux) REQUIRE(closed.hangup());

  char buffer[8] = {};
  REQUIRE(p.client.receive(buffer, sizeof buffer) == 0);
  // End of stream stays readable (level-triggered).
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].readable());

  // Closed both ways now: a hang-up for every back end on Linux.
  p.client.shutdown(outlet::Shutdown::send);
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].readable());
  if (outlet_test::is_linux) REQUIRE(poller.events()[0].hangup());
}

// A datagram socket is readable once a datagram arrives, and not after it is read.
TEST_CASE("Poller reports a datagram socket readable", "[poller]") {
  DatagramSocket receiver(Address::loopback(Family::ipv4, 0));
  DatagramSocket sender(Family::ipv4);
  Poller poller;
  poller.add(receiver, Interest::readable, 9);
  REQUIRE(poller.wait(0ms) == 0);

  REQUIRE(sender.send_to(std::string_view("ping"), receiver.local_address()) == 4);
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == 9);
  REQUIRE(poller.events()[0].readable());

  char buffer[16] = {};
  REQUIRE(receiver.receive(buffer, sizeof buffer) == 4);
  REQUIRE(std::string(buffer, 4) == "ping");
  REQUIRE(poller.wait(0ms) == 0);

  // A datagram socket is writable at once.
  poller.modify(receiver, Interest::writable, 10);
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == 10);
  REQUIRE(poller.events()[0].writable());
}

// A socket closed without remove() stays registered in the Poller, the same
// on every back end: size() counts it, a new socket that gets its number
// cannot be added (file_exists, and what() says why), remove() of the old
// number succeeds and frees it. Only what wait() reports differs: epoll and
// kqueue drop the closed handle, poll and WSAPoll report it with error().
TEST_CASE("Poller and a socket closed while registered", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  poller.add(p.client, Interest::writable, 1);
  DatagramSocket doomed(Family::ipv4);
  const outlet::native_handle_type stale = doomed.native_handle();
  poller.add(doomed, Interest::readable, 5);
  REQUIRE(poller.wait(patience) == 1);
  doomed.close();

  std::error_code ec;
  poller.wait(patience, ec);
  INFO("back end " << Poller::backend() << ": wait after the close -> " << ec.message());
  REQUIRE_FALSE(ec);
  const std::optional<Event> live = event_for(poller, 1);
  REQUIRE(live.has_value());
  REQUIRE(live->writable());
  const std::optional<Event> gone = event_for(poller, 5);
  const std::string backend = Poller::backend();
  if (backend == "epoll" || backend == "kqueue") {
    REQUIRE_FALSE(gone.has_value());
  } else {
    REQUIRE(gone.has_value());
    REQUIRE(gone->error());
  }
  REQUIRE(poller.size() == 2);

  // The lowest free number: the closed socket's, on POSIX (Windows handles
  // are not reused in order, so there this part checks nothing).
  DatagramSocket reused(Family::ipv4);
  if (reused.native_handle() == stale) {
    poller.add(reused, Interest::readable, 6, ec);
    REQUIRE(ec == std::errc::file_exists);
    const Thrown again = thrown_by([&] { poller.add(reused, Interest::readable, 6); });
    REQUIRE(again.code == std::errc::file_exists);
    INFO("what(): " << again.what);
    REQUIRE(starts_with(again.what, "poller add"));
    REQUIRE(again.what.find("remove()") != std::string::npos);
    REQUIRE(poller.size() == 2);
  }

  poller.remove(stale, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(poller.size() == 1);
  if (reused.native_handle() == stale) {
    poller.add(reused, Interest::writable, 7);
    REQUIRE(poller.size() == 2);
    REQUIRE(wait_for_token(poller, 7).has_value());
    poller.remove(reused);
  }
  REQUIRE(poller.wait(patience) == 1);
  REQUIRE(poller.events()[0].token() == 1);
}

namespace {
// State for failing_nth_control, the hook of the next test case.
std::atomic<int> control_calls{0};
std::atomic<int> control_to_fail{0};
int failing_nth_control(SysCall call, outlet::native_handle_type) {
  if (call != SysCall::poller_control) return 0;
  return ++control_calls == control_to_fail.load() ? native_invalid_argument() : 0;
}
}  // namespace

// An add() the OS refuses part-way (kqueue adds its read and write filters
// one at a time) leaves nothing registered: the same socket can then be
// added, and nothing is reported for it meanwhile. Each OS call of the add
// is failed in turn, until the add makes fewer calls than that and succeeds.
TEST_CASE("Poller add that fails part-way leaves nothing registered", "[poller]") {
  Pair p = connected_pair();
  p.accepted.send_all(std::string_view("x"));  // readable and writable
  for (int nth = 1;; ++nth) {
    INFO("failing OS call " << nth << " of the add (" << Poller::backend() << ")");
    Poller poller;
    std::error_code ec;
    control_calls = 0;
    control_to_fail = nth;
    {
      const outlet_test::ScopedFaultHook hook(failing_nth_control);
      poller.add(p.client, Interest::both, 9, ec);
    }
    if (!ec) {  // fewer calls than nth: the add went through
      REQUIRE(control_calls.load() < nth);
      REQUIRE(poller.size() == 1);
      REQUIRE(poller.wait(patience) == 1);
      break;
    }
    REQUIRE(ec == std::errc::invalid_argument);
    REQUIRE(poller.size() == 0);
    // No filter left behind in the kernel either: one would end the wait
    // early (this is no sleep: the wait must last its whole timeout).
    const auto start = Clock::now();
    REQUIRE(poller.wait(100ms) == 0);
    REQUIRE(ms_since(start) >= 100);
    poller.add(p.client, Interest::readable, 10);
    REQUIRE(poller.wait(patience) == 1);
    REQUIRE(poller.events()[0].token() == 10);
    REQUIRE_FALSE(poller.events()[0].writable());
    REQUIRE(nth < 4);
  }
}

// events() holds the last wait's events until the next wait: add() and
// remove() between the two (a server accepting while it walks the events)
// neither move nor change them, however many sockets are added.
TEST_CASE("Poller add and remove leave events intact", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  poller.add(p.client, Interest::writable, 1);
  REQUIRE(poller.wait(patience) == 1);
  const Event* first = poller.events().data();

  std::vector<DatagramSocket> more;
  for (std::uint64_t token = 2; token < 202; ++token) {
    more.emplace_back(Family::ipv4);
    poller.add(more.back(), Interest::readable, token);
  }
  poller.remove(more.front());
  REQUIRE(poller.size() == 200);
  INFO("back end " << Poller::backend() << ": events() moved by add()");
  CHECK(poller.events().data() == first);
  REQUIRE(poller.events().size() == 1);
  REQUIRE(poller.events()[0].token() == 1);
  REQUIRE(poller.events()[0].writable());
}

// --- moving a poller ---------------------------------------------------------------

// Moving keeps the registrations; the moved-from poller is empty and usable.
TEST_CASE("Poller move construction and assignment", "[poller]") {
  Pair p = connected_pair();
  Poller a;
  a.add(p.client, Interest::writable, 11);
  REQUIRE(a.wait(patience) == 1);

  Poller b(std::move(a));
  REQUIRE(a.size() == 0);  // NOLINT(bugprone-use-after-move): moved-from is specified empty
  REQUIRE(a.events().empty());
  REQUIRE(b.size() == 1);
  REQUIRE(b.events().size() == 1);  // the last wait's events moved along
  REQUIRE(b.wait(patience) == 1);
  REQUIRE(b.events()[0].token() == 11);
  REQUIRE(a.wait(0ms) == 0);

  // The moved-from poller works again, and independently.
  a.add(p.client, Interest::writable, 12);
  REQUIRE(a.size() == 1);
  REQUIRE(a.wait(patience) == 1);
  REQUIRE(a.events()[0].token() == 12);
  a.remove(p.client);
  REQUIRE(b.wait(patience) == 1);
  REQUIRE(b.events()[0].token() == 11);

  // Assignment drops the target's registrations and takes the source's.
  Poller c;
  c.add(p.accepted, Interest::writable, 13);
  c = std::move(b);
  REQUIRE(b.size() == 0);  // NOLINT(bugprone-use-after-move)
  REQUIRE(c.size() == 1);
  REQUIRE(c.wait(patience) == 1);
  REQUIRE(c.events()[0].token() == 11);
  REQUIRE(b.wait(0ms) == 0);
  // The accepted socket is no longer c's: it can be added afresh.
  c.add(p.accepted, Interest::writable, 14);
  REQUIRE(c.size() == 2);
  REQUIRE(c.wait(patience) == 2);
  REQUIRE(reported_tokens(c) == std::vector<std::uint64_t>{11, 14});
  c.remove(p.client);
  c.remove(p.accepted);
  REQUIRE(c.size() == 0);
}

// --- EINTR ------------------------------------------------------------------------------

// wait() retries a wait interrupted by a signal (EINTR, through the fault
// hook) and still reports the ready socket.
TEST_CASE("Poller wait retries EINTR", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  poller.add(p.client, Interest::writable, 21);
  std::size_t n = 0;
  std::error_code ec = stale_error();

  arm_hook(SysCall::poll, outlet::detail::sys::invalid_handle, 3, outlet::detail::sys::err_interrupted);
  SECTION("without a timeout") {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    n = poller.wait();
    ec.clear();
  }
  SECTION("without a timeout, ec form") {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    n = poller.wait(ec);
  }
  SECTION("with a timeout") {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    n = poller.wait(patience, ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(hook_calls == 4);  // three interrupted, one real
  REQUIRE(n == 1);
  REQUIRE(poller.events().size() == 1);
  REQUIRE(poller.events()[0].token() == 21);
  REQUIRE(poller.events()[0].writable());
}

// A timed wait that is interrupted keeps its deadline: it returns 0 (no
// error) no earlier than the timeout, whether interrupted a few times or on
// every attempt.
TEST_CASE("Poller wait holds its deadline across EINTR", "[poller]") {
  Pair p = connected_pair();
  Poller poller;
  poller.add(p.client, Interest::readable, 22);  // nothing to read: never ready

  int failures = 0;
  SECTION("three interruptions") { failures = 3; }
  SECTION("every attempt interrupted") { failures = INT_MAX; }
  arm_hook(SysCall::poll, outlet::detail::sys::invalid_handle, failures, outlet::detail::sys::err_interrupted);
  std::error_code ec = stale_error();
  std::size_t n = 1;
  long long elapsed = 0;
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    const auto start = Clock::now();
    n = poller.wait(150ms, ec);
    elapsed = ms_since(start);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(n == 0);
  REQUIRE(poller.events().empty());
  REQUIRE(hook_calls >= 4);
  REQUIRE(elapsed >= 150);
}

// --- non-blocking I/O -----------------------------------------------------------------

// Non-blocking receive, accept and datagram receive with nothing to do fail
// with operation_would_block; the Poller says when to retry.
TEST_CASE("Poller with non-blocking receive and accept", "[poller]") {
  Pair p = connected_pair();
  p.client.set_non_blocking(true);
  char buffer[16] = {};
  std::error_code ec;
  REQUIRE(p.client.receive(buffer, sizeof buffer, ec) == 0);
  REQUIRE(ec == std::errc::operation_would_block);

  Poller poller;
  poller.add(p.client, Interest::readable, 1);
  p.accepted.send_all(std::string_view("now"));
  REQUIRE(wait_for_token(poller, 1).has_value());
  REQUIRE(p.client.receive(buffer, sizeof buffer, ec) == 3);
  REQUIRE_FALSE(ec);
  REQUIRE(std::string(buffer, 3) == "now");
  REQUIRE(p.client.receive(buffer, sizeof buffer, ec) == 0);
  REQUIRE(ec == std::errc::operation_would_block);

  // accept() with no client waiting.
  p.server.set_non_blocking(true);
  Socket none = p.server.accept(ec);
  REQUIRE(ec == std::errc::operation_would_block);
  REQUIRE_FALSE(none.is_open());
  poller.add(p.server, Interest::readable, 2);
  Socket second(p.server.local_address());
  REQUIRE(wait_for_token(poller, 2).has_value());
  Socket accepted = p.server.accept(ec);
  REQUIRE_FALSE(ec);
  REQUIRE(accepted.is_open());
  REQUIRE(accepted.peer_address() == second.local_address());
  REQUIRE(p.server.accept(ec).is_open() == false);
  REQUIRE(ec == std::errc::operation_would_block);

  // A datagram socket with nothing queued.
  DatagramSocket udp(Address::loopback(Family::ipv4, 0));
  udp.set_non_blocking(true);
  Address from;
  REQUIRE(udp.receive_from(buffer, sizeof buffer, from, ec) == 0);
  REQUIRE(ec == std::errc::operation_would_block);
  REQUIRE(udp.receive(buffer, sizeof buffer, ec) == 0);
  REQUIRE(ec == std::errc::operation_would_block);
}

// A non-blocking sender fills the buffers until send() fails with
// operation_would_block; the Poller then does not report it writable, and
// does again once the peer has drained what was sent (every byte intact).
TEST_CASE("Poller reports writable again after a full send buffer drains", "[poller]") {
  Pair p = connected_pair();
  p.client.set_send_buffer_size(16 * 1024);  // small buffers: full sooner
  p.accepted.set_receive_buffer_size(16 * 1024);
  p.client.set_non_blocking(true);
  Poller poller;
  poller.add(p.client, Interest::writable, 1);

  const std::string stream = pattern(64 * 1024 * 1024, 7);  // far more than fits in the buffers
  std::size_t sent = 0;
  bool full = false;
  // Fill until would-block, then ask the Poller; ACKs may free a little room
  // after the first would-block, so fill again until it agrees it is full.
  for (int round = 0; round < 100 && !full; ++round) {
    std::error_code ec;
    while (sent < stream.size()) {
      const std::size_t chunk = std::min<std::size_t>(64 * 1024, stream.size() - sent);
      const std::size_t n = p.client.send(stream.data() + sent, chunk, ec);
      if (ec) break;
      REQUIRE(n > 0);
      sent += n;
    }
    REQUIRE(ec == std::errc::operation_would_block);
    full = poller.wait(0ms) == 0;
  }
  REQUIRE(full);
  REQUIRE(sent > 0);
  REQUIRE(sent < stream.size());

  // The peer drains everything that was sent.
  std::string got(sent, '\0');
  REQUIRE(p.accepted.receive_exact(&got[0], sent) == sent);
  REQUIRE(got == stream.substr(0, sent));

  const std::optional<Event> again = wait_for_token(poller, 1);
  REQUIRE(again.has_value());
  REQUIRE(again->writable());
  std::error_code ec;
  REQUIRE(p.client.send(stream.data() + sent, 1000, ec) == 1000);
  REQUIRE_FALSE(ec);
}

// --- non-blocking connect -------------------------------------------------------------

// A non-blocking connect() reports operation_in_progress (or succeeds at
// once); the Poller reports the socket writable, finish_connect() succeeds,
// and data flows both ways.
TEST_CASE("Poller non-blocking connect succeeds", "[poller]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  Socket s(Family::ipv4);
  s.set_non_blocking(true);
  std::error_code ec;
  s.connect(server.local_address(), ec);
  INFO("connect: " << ec.message());
  REQUIRE((!ec || ec == std::errc::operation_in_progress));

  Poller poller;
  poller.add(s, Interest::writable, 31);
  const std::optional<Event> done = wait_for_token(poller, 31);
  REQUIRE(done.has_value());
  REQUIRE(done->writable());
  REQUIRE_FALSE(done->error());
  ec = stale_error();
  s.finish_connect(ec);
  REQUIRE_FALSE(ec);
  s.finish_connect();  // again: still connected
  REQUIRE(s.peer_address() == server.local_address());

  Socket accepted = server.accept();
  REQUIRE(s.send(std::string_view("hello"), ec) == 5);
  REQUIRE_FALSE(ec);
  char buffer[16] = {};
  REQUIRE(accepted.receive_exact(buffer, 5) == 5);
  REQUIRE(std::string(buffer, 5) == "hello");

  accepted.send_all(std::string_view("world"));
  poller.modify(s, Interest::readable, 32);
  REQUIRE(wait_for_token(poller, 32).has_value());
  REQUIRE(s.receive(buffer, sizeof buffer, ec) == 5);
  REQUIRE_FALSE(ec);
  REQUIRE(std::string(buffer, 5) == "world");
}

// A non-blocking connect to a port that is bound but not listening: the
// Poller reports the socket (writable and/or error) and finish_connect()
// fails with connection_refused, in both forms.
TEST_CASE("Poller non-blocking connect refused", "[poller]") {
  ServerSocket holder;
  const Address target = refused_address(holder);
  Poller poller;
  for (int form = 0; form < 2; ++form) {
    Socket s(Family::ipv4);
    s.set_non_blocking(true);
    std::error_code ec;
    s.connect(target, ec);
    INFO("connect: " << ec.message());
    if (ec == std::errc::connection_refused) continue;  // refused at once: nothing to wait for
    REQUIRE(ec == std::errc::operation_in_progress);

    const auto token = static_cast<std::uint64_t>(40 + form);
    poller.add(s, Interest::writable, token);
    const std::optional<Event> ended = wait_for_token(poller, token);
    REQUIRE(ended.has_value());
    INFO("event: writable " << ended->writable() << ", error " << ended->error() << ", hangup " << ended->hangup());
    REQUIRE((ended->writable() || ended->error()));
    if (form == 0) {
      s.finish_connect(ec);
      REQUIRE(ec == std::errc::connection_refused);
      // Asked again, the connect has still ended unconnected: POSIX read the
      // error once (not_connected now), Winsock keeps reporting it.
      s.finish_connect(ec);
      REQUIRE((ec == std::errc::not_connected || ec == std::errc::connection_refused));
    } else {
      const Thrown thrown = thrown_by([&] { s.finish_connect(); });
      REQUIRE(thrown.code == std::errc::connection_refused);
      REQUIRE(starts_with(thrown.what, "connect"));
    }
    poller.remove(s);
  }
  REQUIRE(poller.size() == 0);
}

// While a connect is still under way (Linux drops SYNs to a full listen
// queue), the Poller reports nothing and finish_connect() says
// operation_in_progress; once there is room, it completes.
TEST_CASE("Poller non-blocking connect still in progress", "[poller]") {
  if (!outlet_test::full_listen_queue_drops_connects)
    OUTLET_TEST_SKIP("only Linux keeps a connect to a full listen queue pending");
  ServerSocket server(Address::loopback(Family::ipv4, 0), 1);
  std::vector<Socket> queued;
  Socket pending;
  for (int attempt = 0; attempt < 16 && !pending.is_open(); ++attempt) {
    Socket s(Family::ipv4);
    s.set_non_blocking(true);
    std::error_code ec;
    s.connect(server.local_address(), ec);
    REQUIRE((!ec || ec == std::errc::operation_in_progress));
    if (s.wait_writable(300ms)) {
      s.finish_connect();
      queued.push_back(std::move(s));
    } else {
      pending = std::move(s);
    }
  }
  REQUIRE(pending.is_open());
  REQUIRE_FALSE(queued.empty());

  Poller poller;
  poller.add(pending, Interest::writable, 50);
  REQUIRE(poller.wait(100ms) == 0);
  std::error_code ec;
  pending.finish_connect(ec);
  REQUIRE(ec == std::errc::operation_in_progress);

  // Make room: the client's next SYN gets through.
  std::vector<Socket> accepted;
  for (std::size_t i = 0; i < queued.size(); ++i) accepted.push_back(server.accept());
  const std::optional<Event> done = wait_for_token(poller, 50, 30s);
  REQUIRE(done.has_value());
  REQUIRE(done->writable());
  pending.finish_connect(ec);
  REQUIRE_FALSE(ec);
  REQUIRE(server.accept(patience).is_open());
}

// finish_connect() on a socket that is not open: bad_file_descriptor.
TEST_CASE("Poller finish_connect on a closed socket", "[poller]") {
  Socket closed;
  std::error_code ec;
  closed.finish_connect(ec);
  REQUIRE(ec == std::errc::bad_file_descriptor);
  const Thrown thrown = thrown_by([&] { closed.finish_connect(); });
  REQUIRE(thrown.code == std::errc::bad_file_descriptor);
  REQUIRE(starts_with(thrown.what, "connect"));
}

// --- wait_readable and wait_writable ----------------------------------------------------

// One socket without a Poller: true once ready, false (no error) after the
// timeout, invalid_argument for a negative timeout, bad_file_descriptor closed.
TEST_CASE("Poller wait_readable and wait_writable on single sockets", "[poller]") {
  Pair p = connected_pair();
  std::error_code ec = stale_error();
  REQUIRE(p.client.wait_writable(patience, ec));
  REQUIRE_FALSE(ec);
  REQUIRE(p.client.wait_writable(patience));

  ec = stale_error();
  REQUIRE_FALSE(p.client.wait_readable(0ms, ec));
  REQUIRE_FALSE(ec);
  const auto start = Clock::now();
  ec = stale_error();
  REQUIRE_FALSE(p.client.wait_readable(100ms, ec));
  REQUIRE_FALSE(ec);
  REQUIRE(ms_since(start) >= 100);
  REQUIRE_FALSE(p.client.wait_readable(10ms));

  p.accepted.send_all(std::string_view("r"));
  REQUIRE(p.client.wait_readable(patience, ec));
  REQUIRE_FALSE(ec);
  REQUIRE(p.client.wait_readable(0ms));  // level: still there

  // A listener is readable when a client waits to be accepted.
  REQUIRE_FALSE(p.server.wait_readable(0ms));
  Socket second(p.server.local_address());
  REQUIRE(p.server.wait_readable(patience));

  // A datagram socket, when a datagram waits.
  DatagramSocket udp(Address::loopback(Family::ipv4, 0));
  REQUIRE_FALSE(udp.wait_readable(0ms));
  DatagramSocket sender(Family::ipv4);
  REQUIRE(sender.send_to(std::string_view("d"), udp.local_address()) == 1);
  REQUIRE(udp.wait_readable(patience));

  REQUIRE_FALSE(p.client.wait_readable(-1ms, ec));
  REQUIRE(ec == std::errc::invalid_argument);
  REQUIRE_FALSE(p.client.wait_writable(-1ms, ec));
  REQUIRE(ec == std::errc::invalid_argument);
  const Thrown readable = thrown_by([&] { (void)p.client.wait_readable(-1ms); });
  REQUIRE(readable.code == std::errc::invalid_argument);
  REQUIRE(readable.what == "wait_readable: negative timeout (-1000000ns): " + readable.code.message());
  const Thrown writable = thrown_by([&] { (void)p.client.wait_writable(-1ms); });
  REQUIRE(writable.code == std::errc::invalid_argument);
  REQUIRE(writable.what == "wait_writable: negative timeout (-1000000ns): " + writable.code.message());

  Socket closed;
  REQUIRE_FALSE(closed.wait_readable(1s, ec));
  REQUIRE(ec == std::errc::bad_file_descriptor);
  REQUIRE_FALSE(closed.wait_writable(1s, ec));
  REQUIRE(ec == std::errc::bad_file_descriptor);
  REQUIRE(thrown_by([&] { (void)closed.wait_readable(1s); }).code == std::errc::bad_file_descriptor);
}

// --- 300 concurrent connections -------------------------------------------------------

namespace {

/// How many client connections the echo test holds open at once.
constexpr std::size_t echo_clients = 300;

/// One connection of the Poller echo server.
struct EchoConnection {
  Socket socket;
  std::string pending;   // received and not yet echoed
  std::size_t sent = 0;  // how much of `pending` went back
  Interest interest = Interest::readable;
  bool peer_closed = false;
  bool open = true;
};

/// What the echo server saw; `failures` is empty if all went well.
struct EchoStats {
  std::string failures;
  std::size_t accepted = 0;
  std::size_t peak_open = 0;
  std::size_t echoed = 0;
};

/// Sends what `c` has pending until done or the socket is full; false on an error.
bool flush(EchoConnection& c, std::string& failures) {
  while (c.sent < c.pending.size()) {
    std::error_code ec;
    const std::size_t n = c.socket.send(c.pending.data() + c.sent, c.pending.size() - c.sent, ec);
    if (ec == std::errc::operation_would_block) return true;
    if (ec) {
      failures += "server send: " + ec.message() + "\n";
      return false;
    }
    c.sent += n;
  }
  c.pending.clear();
  c.sent = 0;
  return true;
}

/// Handles one event for `c`: echoes what is pending, reads more only when
/// nothing is (so a slow reader holds its writer back), and sets the
/// interest to match. Returns false once the connection is finished.
bool serve(Poller& poller, EchoConnection& c, std::uint64_t token, std::vector<char>& buffer, EchoStats& stats) {
  if (!flush(c, stats.failures)) return false;
  while (c.pending.empty() && !c.peer_closed) {
    std::error_code ec;
    const std::size_t n = c.socket.receive(buffer.data(), buffer.size(), ec);
    if (ec == std::errc::operation_would_block) break;
    if (ec) {
      stats.failures += "server receive: " + ec.message() + "\n";
      return false;
    }
    if (n == 0) {
      c.peer_closed = true;
      break;
    }
    stats.echoed += n;
    c.pending.assign(buffer.data(), n);
    if (!flush(c, stats.failures)) return false;
  }
  if (c.peer_closed && c.pending.empty()) return false;
  const Interest wanted = c.pending.empty() ? Interest::readable : Interest::writable;
  if (wanted != c.interest) {
    std::error_code ec;
    poller.modify(c.socket, wanted, token, ec);
    if (ec) {
      stats.failures += "server modify: " + ec.message() + "\n";
      return false;
    }
    c.interest = wanted;
  }
  return true;
}

/// Accepts every client waiting on `listener` and registers it with token = its index + 1.
void accept_all(ServerSocket& listener, Poller& poller, std::vector<EchoConnection>& connections, std::size_t& open,
                EchoStats& stats) {
  for (;;) {
    std::error_code ec;
    Socket s = listener.accept(ec);
    if (ec == std::errc::operation_would_block) return;
    if (!ec) s.set_non_blocking(true, ec);
    if (!ec) poller.add(s, Interest::readable, connections.size() + 1, ec);
    if (ec) {
      stats.failures += "server accept: " + ec.message() + "\n";
      return;
    }
    connections.emplace_back();
    connections.back().socket = std::move(s);
    ++stats.accepted;
    stats.peak_open = std::max(stats.peak_open, ++open);
  }
}

/// A single-threaded Poller echo server: runs until `expected` clients came
/// and went, `stop` is set, or `deadline` passes (a failure).
EchoStats run_echo_server(ServerSocket& listener, std::size_t expected, Clock::time_point deadline,
                          const std::atomic<bool>& stop) {
  EchoStats stats;
  Poller poller;
  std::vector<EchoConnection> connections;
  std::vector<char> buffer(16 * 1024);
  std::size_t open = 0;
  std::error_code ec;
  listener.set_non_blocking(true, ec);
  if (!ec) poller.add(listener, Interest::readable, 0, ec);
  if (ec) {
    stats.failures += "server setup: " + ec.message() + "\n";
    return stats;
  }
  while (stats.accepted < expected || open > 0) {
    if (stop || Clock::now() >= deadline) {
      stats.failures +=
          "server gave up with " + std::to_string(stats.accepted) + " accepted and " + std::to_string(open) + " open\n";
      break;
    }
    poller.wait(100ms, ec);
    if (ec) {
      stats.failures += "server wait: " + ec.message() + "\n";
      break;
    }
    // By index, each event copied: an add() (accept) may move events() today
    // (see "Poller add and remove leave events intact").
    for (std::size_t i = 0; i < poller.events().size(); ++i) {
      const Event event = poller.events()[i];
      if (event.token() == 0) {
        accept_all(listener, poller, connections, open, stats);
        continue;
      }
      EchoConnection& c = connections[as_size(event.token() - 1)];
      if (!c.open || serve(poller, c, event.token(), buffer, stats)) continue;
      poller.remove(c.socket, ec);
      if (ec) stats.failures += "server remove: " + ec.message() + "\n";
      c.socket.close(ec);
      c.open = false;
      --open;
    }
  }
  return stats;
}

/// One client of the echo test.
struct EchoClient {
  Socket socket;
  std::string payload;
  std::string received;
  std::size_t sent = 0;
  Interest interest = Interest::writable;
  bool connected = false;
  bool done = false;
};

/// Handles one event for client `c`: finishes the connect, sends one piece,
/// reads what came back, verifies it when complete. Returns an error text,
/// or "" if all is well.
std::string drive(Poller& poller, EchoClient& c, std::uint64_t token, const Event& event, Random& random,
                  std::vector<char>& buffer) {
  std::error_code ec;
  const std::string who = "client " + std::to_string(token) + ": ";
  if (!c.connected) {
    if (!event.writable() && !event.error()) return "";
    c.socket.finish_connect(ec);
    if (ec) return who + "finish_connect: " + ec.message();
    c.connected = true;
  }
  if (event.writable() && c.sent < c.payload.size()) {
    const std::size_t piece = std::min(random.between(1, 1500), c.payload.size() - c.sent);
    const std::size_t n = c.socket.send(c.payload.data() + c.sent, piece, ec);
    if (ec && ec != std::errc::operation_would_block) return who + "send: " + ec.message();
    c.sent += n;
  }
  for (;;) {
    const std::size_t n = c.socket.receive(buffer.data(), buffer.size(), ec);
    if (ec == std::errc::operation_would_block) break;
    if (ec) return who + "receive: " + ec.message();
    if (n == 0) return who + "the server closed after " + std::to_string(c.received.size()) + " bytes";
    c.received.append(buffer.data(), n);
  }
  if (c.received.size() > c.sent) return who + "got more back than it sent";
  if (c.received.size() == c.payload.size()) {
    if (c.received != c.payload) {
      const auto diff = std::mismatch(c.received.begin(), c.received.end(), c.payload.begin());
      return who + "byte " + std::to_string(diff.first - c.received.begin()) + " differs";
    }
    c.done = true;
    poller.remove(c.socket, ec);  // stays open until every client is done
    return ec ? who + "remove: " + ec.message() : "";
  }
  const Interest wanted = c.sent < c.payload.size() ? Interest::both : Interest::readable;
  if (wanted != c.interest) {
    poller.modify(c.socket, wanted, token, ec);
    if (ec) return who + "modify: " + ec.message();
    c.interest = wanted;
  }
  return "";
}

/// Stops the echo server and joins its thread when the test leaves, even by a failed REQUIRE.
class ServerThread {
public:
  ServerThread(std::atomic<bool>& stop, std::thread thread) : stop_(stop), thread_(std::move(thread)) {}
  ~ServerThread() { join(); }
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;
  /// Waits for the server to finish by itself.
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  /// Tells the server to give up, then waits for it.
  void stop() {
    stop_ = true;
    join();
  }

private:
  std::atomic<bool>& stop_;
  std::thread thread_;
};

}  // namespace

// A single-threaded Poller echo server holds 300 concurrent connections
// driven by one client thread with its own Poller: every client connects
// without blocking, sends a distinct pseudo-random payload of a few KB in
// pieces, and checks every byte that comes back; all stay open until all are
// done, so the server really holds 300 at once. Bounded by a 60 s deadline.
TEST_CASE("Poller echo server with 300 concurrent connections", "[poller]") {
  REQUIRE(ensure_descriptor_limit(2 * echo_clients + 64));
  const auto deadline = Clock::now() + 60s;
  ServerSocket listener(Address::loopback(Family::ipv4, 0));
  const Address address = listener.local_address();

  std::atomic<bool> stop{false};
  EchoStats stats;
  ServerThread server(stop, std::thread([&] { stats = run_echo_server(listener, echo_clients, deadline, stop); }));

  Random random(2024);
  std::vector<EchoClient> clients(echo_clients);
  std::size_t total = 0;
  Poller poller;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    EchoClient& c = clients[i];
    c.payload = pattern(random.between(2 * 1024, 8 * 1024), i + 1);
    total += c.payload.size();
    c.socket = Socket(Family::ipv4);
    c.socket.set_non_blocking(true);
    std::error_code ec;
    c.socket.connect(address, ec);
    INFO("client " << i << " connect: " << ec.message());
    REQUIRE((!ec || ec == std::errc::operation_in_progress));
    poller.add(c.socket, Interest::writable, i);
  }

  std::string failures;
  std::size_t done = 0;
  std::vector<char> buffer(16 * 1024);
  while (done < clients.size() && failures.empty()) {
    if (Clock::now() >= deadline) {
      failures = "clients gave up after 60 s with " + std::to_string(done) + " done";
      break;
    }
    std::error_code ec;
    poller.wait(100ms, ec);
    if (ec) {
      failures = "client wait: " + ec.message();
      break;
    }
    for (std::size_t i = 0; i < poller.events().size(); ++i) {
      const Event event = poller.events()[i];
      EchoClient& c = clients[as_size(event.token())];
      if (c.done) continue;
      failures += drive(poller, c, event.token(), event, random, buffer);
      if (c.done) ++done;
    }
  }
  if (!failures.empty()) server.stop();
  REQUIRE(failures == "");
  REQUIRE(done == echo_clients);
  REQUIRE(poller.size() == 0);

  clients.clear();  // every client closes: the server sees them go and ends
  server.join();
  REQUIRE(stats.failures == "");
  REQUIRE(stats.accepted == echo_clients);
  REQUIRE(stats.peak_open == echo_clients);
  REQUIRE(stats.echoed == total);
}
