// Tests for what a zero timeout means (README, "Timeouts"): every timeout
// passed as an argument is "wait at most this long", and zero is "do not
// wait: try once", for every timed call. The set_*_timeout setters keep
// 0 = no limit (tested in test_socket.cpp and test_datagram_socket.cpp).
//
// A call that wrongly waits would hang the test, so each case that can
// block arms a Watchdog: after a few seconds it unblocks the call (connects
// a client, drains a full listen queue), and the case then fails because
// the call returned something other than timed_out.
#include "catch.hpp"
#include "test_support.hpp"

#include <outlet/outlet.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using outlet::Address;
using outlet::Family;
using outlet::Poller;
using outlet::ServerSocket;
using outlet::Socket;
using outlet_test::Clock;
using outlet_test::ms_since;
using outlet_test::thrown_by;

/// Runs `rescue` on its own thread if it is not dismissed within `after`:
/// the way out of a call that blocks when it should not.
class Watchdog {
public:
  Watchdog(std::chrono::milliseconds after, std::function<void()> rescue)
      : rescue_(std::move(rescue)), thread_([this, after] { run(after); }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { dismiss(); }

  /// Stops the watchdog (before it fires, if it has not) and waits for it.
  void dismiss() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      dismissed_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  /// Whether the rescue ran: the call it guarded waited when it should not.
  bool fired() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return fired_;
  }

private:
  void run(std::chrono::milliseconds after) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, after, [this] { return dismissed_; })) return;
    fired_ = true;
    lock.unlock();
    rescue_();
  }

  std::function<void()> rescue_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool dismissed_ = false;
  bool fired_ = false;
  std::thread thread_;
};

// How long a call that must not wait may take on a loaded machine, and when
// the watchdog steps in.
constexpr auto prompt_ms = 2000;
constexpr auto rescue_after = std::chrono::milliseconds(4000);

/// A loopback listener whose accept queue is full, so that a further TCP
/// connect stays pending (Linux drops its SYNs): a black hole on loopback.
struct FullListener {
  ServerSocket server{Address::loopback(Family::ipv4, 0), 1};
  std::vector<Socket> queued;  // kept open so the queue stays full
  bool full = false;           // a connect with a deadline timed out

  FullListener() {
    for (int attempt = 0; attempt < 64 && !full; ++attempt) {
      Socket s;
      std::error_code ec;
      s.connect(server.local_address(), 300ms, ec);
      if (ec == std::errc::timed_out) full = true;
      if (!ec) queued.push_back(std::move(s));
    }
  }
  /// Takes every queued connection, so a pending connect gets in on its
  /// next SYN: what unblocks a connect that should not have waited.
  void drain() {
    std::error_code ec;
    for (int i = 0; i < 64; ++i) (void)server.accept(200ms, ec);
  }
};

}  // namespace

// accept(0ms) on a listener with no pending client fails with timed_out at
// once, in all four forms; with a client queued, it takes it.
TEST_CASE("accept with a zero timeout does not wait", "[timeouts][server_socket]") {
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  const Address at = server.local_address();
  std::vector<Socket> rescuers;
  Watchdog watchdog(rescue_after, [&] {
    for (int i = 0; i < 4; ++i) rescuers.emplace_back(at);  // one per accept below that waits
  });
  const auto start = Clock::now();
  std::error_code ec;
  Address peer;
  CHECK_FALSE(server.accept(0ms, ec).is_open());
  CHECK(ec == std::errc::timed_out);
  CHECK_FALSE(server.accept(peer, 0ms, ec).is_open());
  CHECK(ec == std::errc::timed_out);
  CHECK(thrown_by([&] { (void)server.accept(0ms); }).code == std::errc::timed_out);
  CHECK(thrown_by([&] { (void)server.accept(peer, 0ms); }).code == std::errc::timed_out);
  const long long elapsed = ms_since(start);
  watchdog.dismiss();
  REQUIRE_FALSE(watchdog.fired());
  CHECK(elapsed < prompt_ms);

  // A receive timeout does not turn a zero accept into a wait either.
  server.set_receive_timeout(30s);
  CHECK(thrown_by([&] { (void)server.accept(0ms); }).code == std::errc::timed_out);

  // With a connection queued, accept(0ms) takes it.
  const Socket client(at);
  REQUIRE(server.wait_readable(10s));
  const Socket accepted = server.accept(peer, 0ms);
  REQUIRE(accepted.is_open());
  CHECK(peer == client.local_address());
}

// Socket(peer, 0s) and connect(peer, 0s) start the connect and check once:
// to a listener that lets the connect hang they fail with timed_out at once.
TEST_CASE("connect and Socket(peer, timeout) with a zero timeout do not wait", "[timeouts][socket]") {
  FullListener listener;
  if (!listener.full) OUTLET_TEST_SKIP("this OS refuses or queues connects to a full listen queue, so none can hang");
  const Address at = listener.server.local_address();
  Watchdog watchdog(rescue_after, [&] { listener.drain(); });
  const auto start = Clock::now();

  const outlet_test::Thrown constructing = thrown_by([&] { Socket s(at, 0s); });
  CHECK(constructing.code == std::errc::timed_out);
  CHECK(outlet_test::starts_with(constructing.what, "connect " + at.to_string()));

  Socket s;
  std::error_code ec;
  s.connect(at, 0s, ec);
  CHECK(ec == std::errc::timed_out);
  CHECK_FALSE(s.is_open());  // a connect that did not finish leaves no half-open socket

  Socket t(Family::ipv4);
  CHECK(thrown_by([&] { t.connect(at, 0s); }).code == std::errc::timed_out);
  CHECK_FALSE(t.is_open());

  const long long elapsed = ms_since(start);
  watchdog.dismiss();
  REQUIRE_FALSE(watchdog.fired());
  CHECK(elapsed < prompt_ms);
}

// A zero timeout is one try, not a failure: a Unix-domain connect finishes
// in the connect() call itself, so connect(path, 0s) succeeds.
TEST_CASE("connect with a zero timeout succeeds when the connect completes at once", "[timeouts][socket][unix]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  ServerSocket server(Address::unix_domain(outlet_test::unique_unix_path("zero")));
  const Socket client(server.local_address(), 0s);
  REQUIRE(client.is_open());
  REQUIRE(server.accept(10s).is_open());
}

// The free connect(host, port, 0s) tries each address once without waiting.
TEST_CASE("free connect(host, port) with a zero timeout does not wait", "[timeouts][socket]") {
  FullListener listener;
  if (!listener.full) OUTLET_TEST_SKIP("this OS refuses or queues connects to a full listen queue, so none can hang");
  const std::uint16_t port = listener.server.local_address().port();
  Watchdog watchdog(rescue_after, [&] { listener.drain(); });
  const auto start = Clock::now();

  std::error_code ec;
  CHECK_FALSE(outlet::connect("127.0.0.1", port, 0s, ec).is_open());
  CHECK(ec == std::errc::timed_out);
  const outlet_test::Thrown thrown = thrown_by([&] { (void)outlet::connect("127.0.0.1", port, 0s); });
  CHECK(thrown.code == std::errc::timed_out);
  CHECK(outlet_test::contains(thrown.what, "\"127.0.0.1\""));

  const long long elapsed = ms_since(start);
  watchdog.dismiss();
  REQUIRE_FALSE(watchdog.fired());
  CHECK(elapsed < prompt_ms);
}

// wait_readable(0ms) / wait_writable(0ms) check once: false when not ready,
// true when ready, without waiting.
TEST_CASE("wait_readable and wait_writable with a zero timeout do not wait", "[timeouts][socket_base]") {
  outlet_test::Pair p = outlet_test::connected_pair();
  Watchdog watchdog(rescue_after, [&] { (void)p.client.send("x"); });
  const auto start = Clock::now();
  std::error_code ec = std::make_error_code(std::errc::io_error);
  CHECK_FALSE(p.accepted.wait_readable(0ms, ec));
  CHECK_FALSE(ec);
  CHECK_FALSE(p.accepted.wait_readable(0ms));
  const long long elapsed = ms_since(start);
  watchdog.dismiss();
  REQUIRE_FALSE(watchdog.fired());
  CHECK(elapsed < prompt_ms);

  CHECK(p.accepted.wait_writable(0ms, ec));  // an empty send queue: ready now
  CHECK_FALSE(ec);
  CHECK(p.accepted.wait_writable(0ms));
  REQUIRE(p.client.send("x") == 1);
  REQUIRE(p.accepted.wait_readable(10s));
  CHECK(p.accepted.wait_readable(0ms));  // still ready: the byte is not read
}

// Poller::wait(0ms) checks once: 0 when nothing is ready, without waiting.
TEST_CASE("Poller::wait with a zero timeout does not wait", "[timeouts][poller]") {
  outlet_test::Pair p = outlet_test::connected_pair();
  Poller poller;
  poller.add(p.accepted, outlet::Interest::readable, 7);
  Watchdog watchdog(rescue_after, [&] { (void)p.client.send("x"); });
  const auto start = Clock::now();
  std::error_code ec = std::make_error_code(std::errc::io_error);
  CHECK(poller.wait(0ms, ec) == 0);
  CHECK_FALSE(ec);
  CHECK(poller.wait(0ms) == 0);
  const long long elapsed = ms_since(start);
  watchdog.dismiss();
  REQUIRE_FALSE(watchdog.fired());
  CHECK(elapsed < prompt_ms);

  REQUIRE(p.client.send("x") == 1);
  REQUIRE(p.accepted.wait_readable(10s));
  CHECK(poller.wait(0ms) == 1);
  poller.remove(p.accepted);
}
