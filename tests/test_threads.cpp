// Tests for what docs/socket.md ("Ownership and threads") allows several
// threads to do with one outlet object at once: send on one thread while
// another receives on the same Socket (TCP and Unix stream, with and without
// timeouts), send_to() beside receive_from() on one DatagramSocket, two
// threads accepting on one ServerSocket, shutdown() ending a receive blocked
// on another thread, option calls beside data transfer, and the safe way to
// stop a thread that waits in Poller::wait(). Every case checks every byte or
// exact counts. The ci-tsan preset runs them under ThreadSanitizer.
//
// What the docs forbid (closing, moving or reconfiguring an object while
// another thread is inside a call on it; any Poller call beside wait()) is
// undefined behaviour and has no test here.
//
// Helper threads never use Catch's assertions (they belong to the main
// thread): they record what they saw, and the main thread checks it after
// joining them. No case sleeps to synchronise: threads wait on the blocking
// calls themselves, on futures or on condition variables. Most waits are
// bounded by `give_up`, which only ends a test that has failed already; an
// untimed receive or accept that a failure leaves waiting is woken by
// shutdown() on Linux (ctest's timeout ends it elsewhere).
#include "catch.hpp"
#include "test_support.hpp"

#include <outlet/outlet.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <future>
#include <iterator>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using outlet::Address;
using outlet::DatagramSocket;
using outlet::Event;
using outlet::Family;
using outlet::Interest;
using outlet::native_handle_type;
using outlet::Poller;
using outlet::ServerSocket;
using outlet::Shutdown;
using outlet::Socket;
using outlet::detail::SysCall;
using outlet_test::connected_pair;
using outlet_test::Joiner;
using outlet_test::Pair;
using outlet_test::pattern;

/// The limit on every wait in this file. Nothing here should come near it:
/// it only ends a test that has failed already.
constexpr auto give_up = 30s;

/// How many bytes each direction carries in the stream cases.
constexpr std::size_t stream_size = 4u * 1024u * 1024u;

// --- knowing that a thread is about to block --------------------------------------
//
// Some cases need one thread inside a blocking call before another thread
// acts. An Announcement installs outlet's fault hook (asked before every OS
// call, see detail/socket_ops.hpp) and lets every call run unchanged, but
// once `call` is made on `handle` it wakes wait(). A short gap remains
// between the hook and the OS call, so the other thread may act just before
// the call blocks rather than just after; each case checks a result that
// both orders must give.

namespace announce {
std::mutex mutex;
std::condition_variable changed;
bool announced = false;
std::atomic<SysCall> call{SysCall::receive};
std::atomic<native_handle_type> handle{outlet::detail::sys::invalid_handle};

int hook(SysCall c, native_handle_type h) {
  if (c != call.load() || h != handle.load()) return 0;
  const std::lock_guard<std::mutex> lock(mutex);
  announced = true;
  changed.notify_all();
  return 0;  // let the call run
}
}  // namespace announce

/// Create it before the threads it watches and let it go after joining them
/// (the fault hook may change only while no other thread is inside outlet).
class Announcement {
public:
  Announcement(SysCall call, native_handle_type handle) : hook_(install(call, handle)) {}
  Announcement(const Announcement&) = delete;
  Announcement& operator=(const Announcement&) = delete;

  /// Whether the call was announced within `give_up`.
  bool wait() {
    std::unique_lock<std::mutex> lock(announce::mutex);
    return announce::changed.wait_for(lock, give_up, [] { return announce::announced; });
  }

private:
  static outlet::detail::FaultHook install(SysCall call, native_handle_type handle) {
    const std::lock_guard<std::mutex> lock(announce::mutex);
    announce::announced = false;
    announce::call = call;
    announce::handle = handle;
    return announce::hook;
  }
  outlet_test::ScopedFaultHook hook_;
};

// --- one stream in each direction -----------------------------------------------------

/// What one helper thread saw: how many bytes it moved, and its first failure ("" if none).
struct Outcome {
  std::size_t bytes = 0;
  std::string error;
};

/// After a failure: shuts both ends of the connection down in both
/// directions, which wakes every thread of the case that is blocked in a
/// send or receive on either end (Linux), so that the case ends instead of
/// waiting for data that will never come.
void abandon(Socket& s, Socket& peer) {
  std::error_code ignored;
  s.shutdown(Shutdown::both, ignored);
  peer.shutdown(Shutdown::both, ignored);
}

/// Sends `data` on `s` in chunks of varying size, alternating send() and
/// send_all(), then shutdown(send) so the peer reads the end of the stream;
/// if `may_end` is valid, not before it is ready. On failure it abandons the
/// connection (`s` and its `peer`).
Outcome send_stream(Socket& s, Socket& peer, const std::string& data, const std::shared_future<void>& may_end = {}) {
  static constexpr std::size_t chunks[] = {1, 1000, 65536, 7, 262144, 4096, 12345, 100000};
  Outcome out;
  std::error_code ec;
  for (std::size_t i = 0; out.bytes < data.size(); ++i) {
    const std::size_t chunk = std::min(chunks[i % std::size(chunks)], data.size() - out.bytes);
    std::size_t n = 0;
    if (i % 2 == 0) {
      n = s.send(data.data() + out.bytes, chunk, ec);
      if (!ec && n == 0) out.error = "send() sent nothing";
    } else {
      n = s.send_all(data.data() + out.bytes, chunk, ec);
    }
    out.bytes += n;
    if (ec) out.error = "send: " + ec.message();
    if (!out.error.empty()) {
      out.error += " after " + std::to_string(out.bytes) + " bytes";
      abandon(s, peer);
      return out;
    }
  }
  if (may_end.valid() && may_end.wait_for(give_up) != std::future_status::ready) {
    out.error = "waited too long to end the stream";
    abandon(s, peer);
    return out;
  }
  s.shutdown(Shutdown::send, ec);
  if (ec) out.error = "shutdown(send): " + ec.message();
  return out;
}

/// Receives on `s` until the end of the stream, alternating receive() and
/// receive_exact() with buffers of varying size, and compares every byte
/// with `expected`. On failure it abandons the connection.
Outcome receive_stream(Socket& s, Socket& peer, const std::string& expected) {
  static constexpr std::size_t chunks[] = {3, 65536, 1, 200000, 4096, 99999};
  std::vector<char> buffer(256 * 1024);
  Outcome out;
  std::error_code ec;
  for (std::size_t i = 0;; ++i) {
    const std::size_t chunk = chunks[i % std::size(chunks)];
    const std::size_t n = i % 3 == 2 ? s.receive_exact(buffer.data(), chunk, ec) : s.receive(buffer.data(), chunk, ec);
    if (ec) {
      out.error = "receive: " + ec.message();
    } else if (n == 0) {
      return out;  // the end of the stream
    } else if (out.bytes + n > expected.size()) {
      out.error = "received more than was sent";
    } else if (std::memcmp(buffer.data(), expected.data() + out.bytes, n) != 0) {
      const auto first = std::mismatch(buffer.data(), buffer.data() + n, expected.data() + out.bytes).first;
      out.error = "byte " + std::to_string(out.bytes + static_cast<std::size_t>(first - buffer.data())) + " differs";
    }
    if (!out.error.empty()) {
      out.error += " after " + std::to_string(out.bytes) + " bytes";
      abandon(s, peer);
      return out;
    }
    out.bytes += n;
  }
}

/// Both ends of a connection send `stream_size` bytes and receive the
/// other's at once, each end on two threads that share its Socket object:
/// one only sends, the other only receives. "" if both streams arrived
/// whole, byte for byte, and then ended; else what went wrong. If
/// `a_may_end` is valid, `a` ends its stream only once it is ready.
std::string full_duplex(Socket& a, Socket& b, const std::shared_future<void>& a_may_end = {}) {
  const std::string a_to_b = pattern(stream_size, 1);
  const std::string b_to_a = pattern(stream_size, 2);
  Outcome a_sent, a_received, b_sent, b_received;
  {
    Joiner a_sender(std::thread([&] { a_sent = send_stream(a, b, a_to_b, a_may_end); }));
    Joiner a_receiver(std::thread([&] { a_received = receive_stream(a, b, b_to_a); }));
    Joiner b_sender(std::thread([&] { b_sent = send_stream(b, a, b_to_a); }));
    Joiner b_receiver(std::thread([&] { b_received = receive_stream(b, a, a_to_b); }));
  }
  std::string failures;
  const auto check = [&](const char* who, const Outcome& o) {
    if (!o.error.empty())
      failures += std::string(who) + ": " + o.error + "\n";
    else if (o.bytes != stream_size)
      failures += std::string(who) + ": " + std::to_string(o.bytes) + " bytes\n";
  };
  check("a sender", a_sent);
  check("a receiver", a_received);
  check("b sender", b_sent);
  check("b receiver", b_received);
  return failures;
}

// --- Socket: sending and receiving at once ------------------------------------------------

// Full duplex over TCP: on each end one thread sends 4 MiB while another
// receives 4 MiB on the same Socket object, both ends at once, no timeouts.
TEST_CASE("one thread may send while another receives on the same TCP Socket, on both ends at once", "[threads]") {
  Pair p = connected_pair();
  REQUIRE(full_duplex(p.client, p.accepted) == "");
}

// The same over a Unix stream socket.
TEST_CASE("one thread may send while another receives on the same Unix stream Socket, on both ends at once",
          "[threads]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  Pair p = connected_pair(Address::unix_domain(outlet_test::unique_unix_path("duplex")));
  REQUIRE(full_duplex(p.client, p.accepted) == "");
}

// With timeouts set (before the threads start), every call on one side of a
// Socket takes the timed path while the other side's calls stay plain, in
// every mix: a timed receive beside a plain send, a timed send beside a
// plain receive, and both timed. On Windows each timed call keeps the handle
// non-blocking inside outlet while the plain call on the other thread is
// blocking, so the plain call must wait in WSAPoll() instead of failing
// with operation_would_block.
void duplex_with_timeouts(const Address& local) {
  Pair p = connected_pair(local);
  SECTION("timed receive beside a plain send on one end, timed send beside a plain receive on the other") {
    p.client.set_receive_timeout(give_up);
    p.accepted.set_send_timeout(give_up);
  }
  SECTION("timed send beside a plain receive on one end, timed receive beside a plain send on the other") {
    p.client.set_send_timeout(give_up);
    p.accepted.set_receive_timeout(give_up);
  }
  SECTION("both calls timed on both ends") {
    for (Socket* s : {&p.client, &p.accepted}) {
      s->set_receive_timeout(give_up);
      s->set_send_timeout(give_up);
    }
  }
  REQUIRE(full_duplex(p.client, p.accepted) == "");
}

TEST_CASE("a timed call and a plain call may run at once on the same TCP Socket", "[threads]") {
  duplex_with_timeouts(Address::loopback(Family::ipv4, 0));
}

TEST_CASE("a timed call and a plain call may run at once on the same Unix stream Socket", "[threads]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  duplex_with_timeouts(Address::unix_domain(outlet_test::unique_unix_path("timed")));
}

// The order that matters on Windows, forced: a plain receive is already
// waiting (nothing has been sent to it) when another thread starts a timed
// send on the same Socket, which there makes the handle non-blocking. The
// receive must go on waiting and then get its data, every byte, not fail
// with operation_would_block; the later receives on the now non-blocking
// handle must wait too. On POSIX the timed send leaves the handle alone and
// this is the plain full-duplex case.
TEST_CASE("a plain receive that is already waiting still gets its data when a timed send starts on the same Socket",
          "[threads]") {
  Pair p = connected_pair();
  Socket& shared = p.accepted;  // plain receives and timed sends
  Socket& peer = p.client;
  shared.set_send_timeout(give_up);
  const std::string to_peer = pattern(stream_size, 3);
  const std::string to_shared = pattern(stream_size, 4);
  Outcome shared_received, shared_sent, peer_received, peer_sent;
  std::promise<void> peer_got_data;
  std::future<void> peer_may_send = peer_got_data.get_future();
  bool announced = false;
  {
    Announcement receiving(SysCall::receive, shared.native_handle());
    Joiner shared_receiver(std::thread([&] { shared_received = receive_stream(shared, peer, to_shared); }));
    announced = receiving.wait();
    // From here the receive above is waiting (or about to) for data that
    // the peer sends only once the timed send below has begun.
    Joiner shared_sender(std::thread([&] { shared_sent = send_stream(shared, peer, to_peer); }));
    Joiner peer_receiver(std::thread([&] {
      // The first bytes, then the rest: the peer starts sending once they came.
      char first[16];
      std::error_code ec;
      const std::size_t n = peer.receive_exact(first, sizeof first, ec);
      peer_got_data.set_value();
      if (ec || n != sizeof first || std::memcmp(first, to_peer.data(), n) != 0) {
        peer_received.error = "the first bytes: " + (ec ? ec.message() : std::to_string(n) + " bytes or wrong ones");
        abandon(peer, shared);
        return;
      }
      peer_received = receive_stream(peer, shared, to_peer.substr(n));
      peer_received.bytes += n;
    }));
    Joiner peer_sender(std::thread([&] {
      if (peer_may_send.wait_for(give_up) != std::future_status::ready) {
        peer_sent.error = "the timed send never delivered anything";
        abandon(peer, shared);
        return;
      }
      peer_sent = send_stream(peer, shared, to_shared);
    }));
  }
  REQUIRE(announced);
  REQUIRE(shared_received.error == "");
  REQUIRE(shared_received.bytes == stream_size);
  REQUIRE(shared_sent.error == "");
  REQUIRE(shared_sent.bytes == stream_size);
  REQUIRE(peer_received.error == "");
  REQUIRE(peer_received.bytes == stream_size);
  REQUIRE(peer_sent.error == "");
  REQUIRE(peer_sent.bytes == stream_size);
}

// Calls that read or set socket options, or ask for addresses, only use
// the handle: a third thread may make them while two others move data on
// the same Socket. Each option reads back what this thread set last. The
// client ends its stream only after the 200 rounds, so that it is still
// connected (getpeername() works) for all of them.
TEST_CASE("options and addresses may be set and read on one thread while others transfer data on the same Socket",
          "[threads]") {
  Pair p = connected_pair();
  const Address client_local = p.client.local_address();
  const Address server_local = p.server.local_address();
  std::string option_failures;
  int rounds_done = 0;
  std::string transfer_failures;
  std::promise<void> options_done;
  const std::shared_future<void> client_may_end = options_done.get_future().share();
  {
    Joiner options(std::thread([&] {
      std::error_code ec;
      for (int round = 0; round < 200; ++round) {
        const bool on = round % 2 == 0;
        p.client.set_no_delay(on, ec);
        if (!ec && p.client.no_delay(ec) != on && !ec) option_failures += "no_delay read back wrong\n";
        if (!ec) p.client.set_keep_alive(on, ec);
        if (!ec && p.client.keep_alive(ec) != on && !ec) option_failures += "keep_alive read back wrong\n";
        if (!ec && p.client.local_address(ec) != client_local && !ec) option_failures += "local_address changed\n";
        if (!ec && p.client.peer_address(ec) != server_local && !ec) option_failures += "peer_address changed\n";
        if (!ec) (void)p.client.receive_buffer_size(ec);
        if (!ec && !p.client.is_open()) option_failures += "is_open() false\n";
        if (ec) {
          option_failures += "round " + std::to_string(round) + ": " + ec.message() + "\n";
          break;
        }
        if (!option_failures.empty()) break;
        ++rounds_done;
      }
      options_done.set_value();
    }));
    transfer_failures = full_duplex(p.client, p.accepted, client_may_end);
  }
  REQUIRE(option_failures == "");
  REQUIRE(rounds_done == 200);
  REQUIRE(transfer_failures == "");
}

// --- shutdown() ends a receive blocked on another thread --------------------------------

// Linux wakes a thread blocked in recv() when another thread shuts the
// socket down for receiving (SHUT_RD or SHUT_RDWR), and the receive reads
// the end of the stream. POSIX only promises that "subsequent" receives are
// disabled, and Windows documents no effect on a recv() already waiting
// (under Wine it goes on waiting), so the case runs on Linux only. It is the
// way to end such a thread before closing the socket: close() from another
// thread is not (see docs/socket.md).
constexpr const char* no_wake_promise = "Linux behaviour: POSIX and Windows do not promise to wake a waiting receive";

void shutdown_ends_blocked_receive(const Address& local) {
  Pair p = connected_pair(local);
  Shutdown how = Shutdown::receive;
  SECTION("Shutdown::receive") { how = Shutdown::receive; }
  SECTION("Shutdown::both") { how = Shutdown::both; }
  std::size_t received = 99;
  std::error_code receive_error = outlet_test::stale_error();
  std::error_code shutdown_error;
  std::error_code fallback_error;
  bool announced = false;
  {
    Announcement receiving(SysCall::receive, p.client.native_handle());
    Joiner receiver(std::thread([&] {
      char buffer[64];
      received = p.client.receive(buffer, sizeof buffer, receive_error);
    }));
    announced = receiving.wait();
    p.client.shutdown(how, shutdown_error);
    if (shutdown_error) p.accepted.shutdown(Shutdown::send, fallback_error);  // end the receive anyway
  }
  REQUIRE(announced);
  REQUIRE_FALSE(shutdown_error);
  REQUIRE_FALSE(receive_error);
  REQUIRE(received == 0);
  // The peer learns of it only for Shutdown::both (SHUT_RD sends nothing).
  if (how == Shutdown::both) {
    char byte = 0;
    REQUIRE(p.accepted.receive(&byte, 1) == 0);
  }
}

TEST_CASE("shutdown() on one thread ends a receive blocked on another thread with end-of-stream over TCP",
          "[threads]") {
  if (!outlet_test::is_linux) OUTLET_TEST_SKIP(no_wake_promise);
  shutdown_ends_blocked_receive(Address::loopback(Family::ipv4, 0));
}

TEST_CASE("shutdown() on one thread ends a receive blocked on another thread with end-of-stream over a Unix stream",
          "[threads]") {
  if (!outlet_test::is_linux) OUTLET_TEST_SKIP(no_wake_promise);
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  shutdown_ends_blocked_receive(Address::unix_domain(outlet_test::unique_unix_path("shutdown")));
}

// --- DatagramSocket: send_to() beside receive_from() -----------------------------------------

/// How far a datagram sender may run ahead of its receiver: a window that
/// fits in any receive buffer, so that no datagram is dropped on loopback.
class Window {
public:
  static constexpr std::size_t size = 16;
  /// Waits until datagram `index` may be sent; false if it gave up.
  bool wait_to_send(std::size_t index) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, give_up, [&] { return aborted_ || index < received_ + size; }) && !aborted_;
  }
  void received_one() {
    const std::lock_guard<std::mutex> lock(mutex_);
    ++received_;
    changed_.notify_all();
  }
  void abort() {
    const std::lock_guard<std::mutex> lock(mutex_);
    aborted_ = true;
    changed_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t received_ = 0;
  bool aborted_ = false;
};

constexpr std::size_t datagram_count = 2000;

/// Datagram `index` of a stream: its index in 4 bytes, then 1 to 1400 bytes
/// that depend on it and on `seed`.
std::string datagram(std::size_t index, unsigned seed) {
  std::string d(4 + 1 + (index * 97 + seed) % 1400, '\0');
  for (std::size_t i = 0; i < 4; ++i) d[i] = static_cast<char>((index >> (8 * i)) & 0xFF);
  for (std::size_t i = 4; i < d.size(); ++i) d[i] = static_cast<char>(index * 31 + i * 7 + seed);
  return d;
}

/// Sends datagram_count datagrams from `s` to `to`, keeping within `window`.
Outcome send_datagrams(DatagramSocket& s, const Address& to, unsigned seed, Window& window) {
  Outcome out;
  for (std::size_t i = 0; i < datagram_count; ++i) {
    if (!window.wait_to_send(i)) {
      out.error = "the receiver stopped at datagram " + std::to_string(i);
      return out;
    }
    const std::string d = datagram(i, seed);
    std::error_code ec;
    const std::size_t n = s.send_to(d, to, ec);
    if (ec || n != d.size()) {
      out.error = "send_to " + std::to_string(i) + ": " + (ec ? ec.message() : std::to_string(n) + " bytes");
      return out;
    }
    ++out.bytes;  // counts datagrams here
  }
  return out;
}

/// Receives datagram_count datagrams on `s`, each checked against its index
/// and sender; every index must come exactly once.
Outcome receive_datagrams(DatagramSocket& s, const Address& from_expected, unsigned seed, Window& window) {
  Outcome out;
  std::vector<bool> seen(datagram_count, false);
  std::vector<char> buffer(2048);
  for (std::size_t k = 0; k < datagram_count; ++k) {
    Address from;
    std::error_code ec;
    const std::size_t n = s.receive_from(buffer.data(), buffer.size(), from, ec);
    std::size_t index = datagram_count;
    if (!ec && n >= 4) {
      index = 0;
      for (std::size_t i = 0; i < 4; ++i)
        index |= static_cast<std::size_t>(static_cast<unsigned char>(buffer[i])) << (8 * i);
    }
    const std::string which = "datagram " + std::to_string(index);
    if (ec)
      out.error = "receive_from: " + ec.message();
    else if (index >= datagram_count || seen[index])
      out.error = "unexpected or repeated datagram";
    else if (datagram(index, seed) != std::string(buffer.data(), n))
      out.error = which + " differs";
    else if (from != from_expected)
      out.error = which + " from " + from.to_string();
    if (!out.error.empty()) {
      window.abort();
      return out;
    }
    seen[index] = true;
    ++out.bytes;  // counts datagrams here
    window.received_one();
  }
  return out;
}

// Two UDP sockets, and on each one thread send_to()s 2000 datagrams to the
// other while another thread receive_from()s the other's 2000 on the same
// object. Every datagram arrives once, whole, from the right sender. The
// sections repeat this with timed receives beside plain sends, and with
// timed sends beside plain receives (on Windows a timed call makes the
// handle non-blocking inside outlet under the plain call).
TEST_CASE("one thread may send_to() while another receive_from()s on the same DatagramSocket, both ways at once",
          "[threads]") {
  DatagramSocket a(Address::loopback(Family::ipv4, 0));
  DatagramSocket b(Address::loopback(Family::ipv4, 0));
  // A lost datagram must fail the case, not hang it: an OS-level receive
  // timeout (SO_RCVTIMEO, behind outlet's back) bounds even the plain
  // receives, which outlet then reports as timed_out.
  for (DatagramSocket* s : {&a, &b}) s->set_option(SOL_SOCKET, SO_RCVTIMEO, outlet_test::native_timeout(give_up));
  SECTION("plain calls") {}
  SECTION("timed receives beside plain sends") {
    a.set_receive_timeout(give_up);
    b.set_receive_timeout(give_up);
  }
  SECTION("timed sends beside plain receives") {
    a.set_send_timeout(give_up);
    b.set_send_timeout(give_up);
  }
  const Address a_address = a.local_address();
  const Address b_address = b.local_address();
  Window a_to_b, b_to_a;
  Outcome a_sent, a_received, b_sent, b_received;
  {
    Joiner a_sender(std::thread([&] { a_sent = send_datagrams(a, b_address, 11, a_to_b); }));
    Joiner a_receiver(std::thread([&] { a_received = receive_datagrams(a, b_address, 22, b_to_a); }));
    Joiner b_sender(std::thread([&] { b_sent = send_datagrams(b, a_address, 22, b_to_a); }));
    Joiner b_receiver(std::thread([&] { b_received = receive_datagrams(b, a_address, 11, a_to_b); }));
  }
  REQUIRE(a_sent.error == "");
  REQUIRE(a_received.error == "");
  REQUIRE(b_sent.error == "");
  REQUIRE(b_received.error == "");
  REQUIRE(a_sent.bytes == datagram_count);
  REQUIRE(a_received.bytes == datagram_count);
  REQUIRE(b_sent.bytes == datagram_count);
  REQUIRE(b_received.bytes == datagram_count);
}

// --- ServerSocket: two threads accepting ----------------------------------------------------

/// What one accepting thread saw: the ids of the clients it accepted and
/// how many stop markers it read.
struct Accepted {
  std::vector<std::uint32_t> ids;
  int stops = 0;
  std::string error;
};

constexpr std::uint32_t stop_marker = 0xFFFFFFFFu;

/// Accepts on `server` (with a timeout or without) and reads each client's
/// 4-byte id, until it reads a stop marker.
void accept_until_stopped(ServerSocket& server, bool timed, Accepted& out) {
  for (;;) {
    std::error_code ec;
    Socket c = timed ? server.accept(give_up, ec) : server.accept(ec);
    if (ec) {
      out.error = std::string(timed ? "timed" : "plain") + " accept: " + ec.message();
      return;
    }
    unsigned char id[4] = {};
    if (c.receive_exact(id, sizeof id, ec) != sizeof id || ec) {
      out.error = "reading a client's id: " + (ec ? ec.message() : std::string("it closed"));
      return;
    }
    const std::uint32_t value = static_cast<std::uint32_t>(id[0]) | static_cast<std::uint32_t>(id[1]) << 8 |
                                static_cast<std::uint32_t>(id[2]) << 16 | static_cast<std::uint32_t>(id[3]) << 24;
    if (value == stop_marker) {
      ++out.stops;
      return;
    }
    out.ids.push_back(value);
  }
}

/// Connects a client to `to` and sends it `id`; the error, if any.
std::string connect_client(const Address& to, std::uint32_t id, std::vector<Socket>& clients) {
  std::error_code ec;
  Socket c;
  c.connect(to, ec);
  const unsigned char bytes[4] = {static_cast<unsigned char>(id), static_cast<unsigned char>(id >> 8),
                                  static_cast<unsigned char>(id >> 16), static_cast<unsigned char>(id >> 24)};
  if (!ec) c.send_all(bytes, sizeof bytes, ec);
  if (ec) return "client " + std::to_string(id) + ": " + ec.message() + "\n";
  clients.push_back(std::move(c));
  return "";
}

// Two threads accept on one ServerSocket, one with a timeout and one
// without, while 64 clients connect: every client is accepted exactly once,
// by one of them. The plain accept is already waiting when the timed one
// starts (which makes the listener non-blocking inside outlet, as a timed
// accept does everywhere); it must go on accepting, waiting in poll() once
// it meets "would block". Each thread stops at the first of two stop
// markers it reads, so both end whichever takes which connection.
TEST_CASE("two threads may accept on the same ServerSocket, one timed and one not, and each client is accepted once",
          "[threads]") {
  constexpr std::uint32_t clients = 64;
  ServerSocket server(Address::loopback(Family::ipv4, 0));
  const Address where = server.local_address();
  Accepted plain, timed;
  std::vector<Socket> connected;  // kept open until both threads are done
  std::string connect_failures;
  bool announced = false;
  {
    Announcement accepting(SysCall::accept, server.native_handle());
    Joiner plain_thread(std::thread([&] { accept_until_stopped(server, false, plain); }));
    announced = accepting.wait();
    Joiner timed_thread(std::thread([&] { accept_until_stopped(server, true, timed); }));
    for (std::uint32_t id = 0; id < clients; ++id) connect_failures += connect_client(where, id, connected);
    // Always, so that both threads end.
    for (int i = 0; i < 2; ++i) connect_failures += connect_client(where, stop_marker, connected);
  }
  REQUIRE(announced);
  REQUIRE(connect_failures == "");
  REQUIRE(plain.error == "");
  REQUIRE(timed.error == "");
  REQUIRE(plain.stops == 1);
  REQUIRE(timed.stops == 1);
  std::vector<std::uint32_t> all = plain.ids;
  all.insert(all.end(), timed.ids.begin(), timed.ids.end());
  std::sort(all.begin(), all.end());
  std::vector<std::uint32_t> expected(clients);
  for (std::uint32_t id = 0; id < clients; ++id) expected[id] = id;
  REQUIRE(all == expected);  // each exactly once
}

// --- Poller: stopping a thread that waits ---------------------------------------------------

/// What the Poller thread saw.
struct WaiterResult {
  std::size_t echoed = 0;             // bytes echoed on the connection
  int wake_ups = 0;                   // wait()s that reported the wake-up token
  std::size_t last_wait_events = 0;   // events the last wait() reported
  std::uint64_t last_wait_token = 0;  // the token of its first event
  std::size_t size_after_remove = 99;
  bool closed = false;
  std::string error;
};

constexpr std::uint64_t connection_token = 7;
constexpr std::uint64_t wake_token = 42;

/// The thread that owns a Poller: echoes what arrives on `connection` until
/// one byte arrives on the wake-up socket it bound at `wake_at` and
/// registered. Then it removes both sockets from its Poller and closes them
/// itself. `ready` gets the wake-up socket's address (empty on failure).
void serve_until_woken(Socket connection, const Address& wake_at, std::promise<Address>& ready, WaiterResult& out) {
  std::error_code ec;
  Poller poller;
  DatagramSocket wake;
  wake.bind(wake_at, ec);
  if (!ec) poller.add(connection, Interest::readable, connection_token, ec);
  if (!ec) poller.add(wake, Interest::readable, wake_token, ec);
  if (ec) {
    out.error = "setting up: " + ec.message();
    ready.set_value(Address());
    return;
  }
  ready.set_value(wake.local_address());
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    const std::size_t n = poller.wait(give_up, ec);
    if (ec || n == 0) {
      out.error = ec ? "wait: " + ec.message() : "wait gave up: nobody woke it";
      return;
    }
    bool woken = false;
    for (const Event& e : poller.events()) {
      if (e.token() == wake_token) {
        woken = true;
      } else if (e.token() == connection_token) {
        const std::size_t got = connection.receive(buffer.data(), buffer.size(), ec);
        if (!ec && got == 0) out.error = "the peer closed before the wake-up";
        if (!ec && got > 0) connection.send_all(buffer.data(), got, ec);
        if (ec) out.error = "echo: " + ec.message();
        if (!out.error.empty()) return;
        out.echoed += got;
      } else {
        out.error = "unknown token " + std::to_string(e.token());
        return;
      }
    }
    if (!woken) continue;
    ++out.wake_ups;
    out.last_wait_events = n;
    out.last_wait_token = poller.events().front().token();
    char byte = 0;
    Address from;
    const std::size_t got = wake.receive_from(&byte, 1, from, ec);
    if (ec || got != 1 || byte != 'w') {
      out.error = "the wake-up byte: " + (ec ? ec.message() : std::to_string(got) + " bytes");
      return;
    }
    // This thread owns the Poller and the sockets: it takes them apart.
    poller.remove(connection, ec);
    if (!ec) poller.remove(wake, ec);
    out.size_after_remove = poller.size();
    if (!ec) connection.close(ec);
    if (!ec) wake.close(ec);
    if (ec) out.error = "taking apart: " + ec.message();
    out.closed = !connection.is_open() && !wake.is_open();
    return;
  }
}

// The documented way for one thread to stop another that waits in
// Poller::wait(): the waiting thread registers a wake-up socket of its own;
// the other thread sends one byte to it (from a socket of its own: the two
// threads share no outlet object); wait() returns with the wake-up token
// alone, and the waiting thread removes and closes its sockets itself.
// Before that, the Poller thread echoes 100 messages, so the wake-up comes
// to a Poller in use.
constexpr int echo_messages = 100;

/// The size of echo message `i`: 1 to 5000 bytes.
std::size_t echo_size(int i) { return 1 + static_cast<std::size_t>(i) * 331 % 5000; }

void wake_a_waiting_poller(const Address& wake_at, Family waker_family) {
  Pair p = connected_pair();
  std::promise<Address> ready;
  std::future<Address> wake_address = ready.get_future();
  WaiterResult result;
  std::string echo_failures;
  bool woke = false;
  {
    Joiner waiter(std::thread([&, connection = std::move(p.accepted)]() mutable {
      serve_until_woken(std::move(connection), wake_at, ready, result);
    }));
    if (wake_address.wait_for(give_up) == std::future_status::ready) {
      const Address to = wake_address.get();
      std::error_code ec;
      for (int i = 0; i < echo_messages && to != Address() && echo_failures.empty(); ++i) {
        const std::string message = pattern(echo_size(i), static_cast<std::uint64_t>(i));
        std::string echo(message.size(), '\0');
        p.client.send_all(message, ec);
        if (!ec) (void)p.client.receive_exact(echo.data(), echo.size(), ec);
        if (ec || echo != message)
          echo_failures = "message " + std::to_string(i) + ": " + (ec ? ec.message() : std::string("differs"));
      }
      if (to != Address()) {
        DatagramSocket waker(waker_family);
        woke = waker.send_to(std::string_view("w"), to, ec) == 1 && !ec;
      }
    }
  }
  REQUIRE(result.error == "");
  REQUIRE(echo_failures == "");
  REQUIRE(woke);
  REQUIRE(result.wake_ups == 1);
  REQUIRE(result.last_wait_events == 1);  // the wake-up alone: the connection was idle
  REQUIRE(result.last_wait_token == wake_token);
  REQUIRE(result.size_after_remove == 0);
  REQUIRE(result.closed);
  std::size_t expected_echo = 0;
  for (int i = 0; i < echo_messages; ++i) expected_echo += echo_size(i);
  REQUIRE(result.echoed == expected_echo);
  char byte = 0;
  REQUIRE(p.client.receive(&byte, 1) == 0);  // the Poller thread closed its end
}

TEST_CASE("a thread in Poller::wait() is woken by one byte another thread sends to its UDP wake-up socket",
          "[threads]") {
  wake_a_waiting_poller(Address::loopback(Family::ipv4, 0), Family::ipv4);
}

TEST_CASE("a thread in Poller::wait() is woken by one byte another thread sends to its Unix datagram wake-up socket",
          "[threads]") {
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  wake_a_waiting_poller(Address::unix_domain(outlet_test::unique_unix_path("wake")), Family::unix_domain);
}

// --- objects that are not shared ---------------------------------------------------------------

// Threads that share no outlet object need no locking at all: four threads,
// each with its own listener, connection and Poller, echo 200 messages each
// at the same time, every byte checked.
TEST_CASE("threads that each use their own sockets and their own Poller need no locking", "[threads]") {
  constexpr int threads = 4;
  std::vector<std::string> failures(threads);
  {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([t, &failure = failures[static_cast<std::size_t>(t)]] {
        try {
          Pair p = connected_pair();
          Poller poller;
          poller.add(p.accepted, Interest::readable, 1);
          std::vector<char> buffer(8192);
          for (int i = 0; i < 200; ++i) {
            const std::string message =
                pattern(1 + static_cast<std::size_t>(i * 13 + t) % 4000, static_cast<std::uint64_t>(t * 1000 + i));
            p.client.send_all(message);
            std::size_t echoed = 0;
            while (echoed < message.size()) {  // bounded: each pass moves bytes or throws
              if (poller.wait(give_up) != 1 || poller.events().front().token() != 1) {
                failure = "wait: no single event for the connection";
                return;
              }
              const std::size_t n = p.accepted.receive(buffer.data(), buffer.size());
              if (n == 0) {
                failure = "the client closed";
                return;
              }
              p.accepted.send_all(buffer.data(), n);
              echoed += n;
            }
            std::string echo(message.size(), '\0');
            if (p.client.receive_exact(echo.data(), echo.size()) != echo.size() || echo != message) {
              failure = "message " + std::to_string(i) + " came back wrong";
              return;
            }
          }
          poller.remove(p.accepted);
        } catch (const std::system_error& e) {
          failure = e.what();
        }
      });
    }
    for (std::thread& th : pool) th.join();
  }
  for (int t = 0; t < threads; ++t) {
    INFO("thread " << t);
    REQUIRE(failures[static_cast<std::size_t>(t)] == "");
  }
}

}  // namespace
