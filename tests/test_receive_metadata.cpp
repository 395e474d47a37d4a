// Tests for datagram receive metadata (outlet/datagram_socket.hpp):
// DatagramSocket::set_receive_timestamps(), set_receive_destination(), and
// receive_from() / receive_batch() with ReceiveMetadata. Kernel receive
// times against the system clock, the destination address and interface of
// datagrams sent to 127.0.0.1, 127.0.0.2 and ::1, control data the OS had to
// drop, and the errors. Built twice, like test_vectored: with recvmmsg() and
// with OUTLET_NO_MESSAGE_BATCH (one recvmsg() per datagram).
#include <outlet/outlet.hpp>

#include "catch.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

using outlet::Address;
using outlet::DatagramSocket;
using outlet::Family;
using outlet::IncomingDatagram;
using outlet::ReceiveMetadata;
using namespace std::chrono_literals;

namespace {

using outlet_test::thrown_by;

// A lost datagram fails the test after this long instead of hanging it.
constexpr auto guard_timeout = std::chrono::seconds(10);

// Whether the OS stamps datagrams with their receive time (not Windows).
constexpr bool has_timestamps = outlet::detail::sys::has_receive_timestamps;

// Why receive timestamps cannot be turned on here, or "" if they can.
std::string timestamps_unavailable() {
  if (has_timestamps) return {};
  DatagramSocket probe(Address::loopback(Family::ipv4, 0));
  std::error_code ec;
  probe.set_receive_timestamps(true, ec);
  return std::string("no receive timestamps on this platform: ") + outlet::detail::sys::receive_timestamps_call +
         " fails with " + ec.message();
}

// Why destinations cannot be reported here, or "" if they can.
std::string destination_unavailable() {
  DatagramSocket probe(Address::loopback(Family::ipv4, 0));
  std::error_code ec;
  probe.set_receive_destination(true, ec);
  if (!ec) return {};
  return std::string("no receive destinations here: ") + outlet::detail::sys::receive_destination_call +
         " fails with " + ec.message();
}

// A receiver bound to `local` with destinations and (where the OS has them)
// timestamps on, and a guard timeout.
DatagramSocket metadata_receiver(const Address& local) {
  DatagramSocket receiver(local);
  receiver.set_receive_timeout(guard_timeout);
  if (has_timestamps) receiver.set_receive_timestamps(true);
  receiver.set_receive_destination(true);
  return receiver;
}

// The loopback interface's index ("lo" on Linux, "lo0" on macOS and the
// BSDs); 0 where outlet has no interface names (Windows).
unsigned loopback_index() {
  const unsigned lo = outlet::detail::sys::interface_index("lo");
  return lo != 0 ? lo : outlet::detail::sys::interface_index("lo0");
}

// Whether `index` is the loopback interface's, as far as this platform can tell.
bool is_loopback_index(const std::optional<unsigned>& index) {
  if (!index.has_value() || *index == 0) return false;
  return loopback_index() == 0 || *index == loopback_index();
}

// Sends `text` to `ip` at the receiver's port, receives it, and returns its metadata.
ReceiveMetadata round_trip(DatagramSocket& receiver, const std::string& ip, const std::string& text) {
  const Address to = Address::parse((ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" +
                                    std::to_string(receiver.local_address().port()));
  DatagramSocket sender(Address::loopback(to.family(), 0));
  (void)sender.send_to(text, to);
  std::vector<char> buf(64);
  Address from;
  ReceiveMetadata meta;
  const std::size_t n = receiver.receive_from(buf.data(), buf.size(), from, meta);
  REQUIRE(std::string(buf.data(), n) == text);
  REQUIRE(from == sender.local_address());
  return meta;
}

}  // namespace

TEST_CASE("a datagram's receive timestamp lies between the clock readings around it", "[metadata]") {
  const std::string why = timestamps_unavailable();
  if (!why.empty()) OUTLET_TEST_SKIP(why);
  DatagramSocket receiver = metadata_receiver(Address::loopback(Family::ipv4, 0));
  for (int i = 0; i < 3; ++i) {
    const auto before = std::chrono::system_clock::now();
    const ReceiveMetadata meta = round_trip(receiver, "127.0.0.1", "stamp " + std::to_string(i));
    const auto after = std::chrono::system_clock::now();
    REQUIRE(meta.timestamp.has_value());
    CHECK(before <= *meta.timestamp);
    CHECK(*meta.timestamp <= after);
    CHECK_FALSE(meta.truncated);
  }
}

TEST_CASE("the destination is the address a datagram was sent to, on lo", "[metadata]") {
  const std::string why = destination_unavailable();
  if (!why.empty()) OUTLET_TEST_SKIP(why);
  DatagramSocket receiver = metadata_receiver(Address::any(Family::ipv4, 0));
  for (const char* ip : {"127.0.0.2", "127.0.0.1", "127.0.0.2"}) {
    const ReceiveMetadata meta = round_trip(receiver, ip, std::string("to ") + ip);
    REQUIRE(meta.destination.has_value());
    CHECK(meta.destination->ip() == ip);
    CHECK(meta.destination->port() == 0);
    CHECK(is_loopback_index(meta.interface_index));
    CHECK(meta.timestamp.has_value() == has_timestamps);
    CHECK_FALSE(meta.truncated);
  }
}

TEST_CASE("the destination of a datagram sent to ::1 is ::1, on lo", "[metadata]") {
  const std::string why = destination_unavailable();
  if (!why.empty()) OUTLET_TEST_SKIP(why);
  std::error_code ec;
  DatagramSocket probe;
  probe.bind(Address::loopback(Family::ipv6, 0), ec);
  if (ec) OUTLET_TEST_SKIP("no IPv6 loopback here: " + ec.message());
  DatagramSocket receiver = metadata_receiver(Address::any(Family::ipv6, 0));
  const ReceiveMetadata meta = round_trip(receiver, "::1", "six");
  REQUIRE(meta.destination.has_value());
  CHECK(meta.destination->ip() == "::1");
  CHECK(meta.destination->family() == Family::ipv6);
  CHECK(is_loopback_index(meta.interface_index));
  CHECK(meta.timestamp.has_value() == has_timestamps);
}

TEST_CASE("without the options, receive_from with metadata receives the datagram and leaves the metadata empty",
          "[metadata]") {
  DatagramSocket receiver(Address::loopback(Family::ipv4, 0));
  receiver.set_receive_timeout(guard_timeout);
  ReceiveMetadata meta;
  meta.truncated = true;  // stale values from an earlier call must go
  meta.interface_index = 7;
  DatagramSocket sender(Address::loopback(Family::ipv4, 0));
  (void)sender.send_to("plain", receiver.local_address());
  char buf[16] = {};
  Address from;
  std::error_code ec = std::make_error_code(std::errc::io_error);
  const std::size_t n = receiver.receive_from(buf, sizeof buf, from, meta, ec);
  REQUIRE_FALSE(ec);
  CHECK(std::string(buf, n) == "plain");
  CHECK(from == sender.local_address());
  CHECK_FALSE(meta.timestamp.has_value());
  CHECK_FALSE(meta.destination.has_value());
  CHECK_FALSE(meta.interface_index.has_value());
  CHECK_FALSE(meta.truncated);
}

TEST_CASE("a datagram longer than the buffer fails with message_size, metadata and all", "[metadata]") {
  DatagramSocket receiver(Address::loopback(Family::ipv4, 0));
  receiver.set_receive_timeout(guard_timeout);
  DatagramSocket sender(Address::loopback(Family::ipv4, 0));
  (void)sender.send_to("0123456789", receiver.local_address());
  (void)sender.send_to("0123456789", receiver.local_address());
  char buf[4] = {};
  Address from;
  ReceiveMetadata meta;
  std::error_code ec;
  CHECK(receiver.receive_from(buf, sizeof buf, from, meta, ec) == sizeof buf);
  CHECK(ec == std::errc::message_size);
  CHECK(std::string(buf, sizeof buf) == "0123");
  const outlet_test::Thrown thrown = thrown_by([&] { (void)receiver.receive_from(buf, sizeof buf, from, meta); });
  CHECK(thrown.code == std::errc::message_size);
  CHECK(outlet_test::starts_with(thrown.what, "receive_from " + sender.local_address().to_string()));
}

#if defined(IP_RECVTTL) && defined(IP_RECVTOS) && !defined(_WIN32)
// POSIX only: Winsock may not report these two (Wine does not).
TEST_CASE("control data that did not fit is reported as truncated, not dropped silently", "[metadata]") {
  const std::string why = timestamps_unavailable();
  if (!why.empty()) OUTLET_TEST_SKIP(why);
  DatagramSocket receiver = metadata_receiver(Address::loopback(Family::ipv4, 0));
  // Two control messages more than outlet asks for (and sized its buffer for).
  receiver.set_option(IPPROTO_IP, IP_RECVTTL, 1);
  receiver.set_option(IPPROTO_IP, IP_RECVTOS, 1);
  const ReceiveMetadata meta = round_trip(receiver, "127.0.0.1", "crowded");
  CHECK(meta.truncated);
  // What did fit is still reported.
  CHECK(meta.timestamp.has_value());
}
#endif  // defined(IP_RECVTTL) && defined(IP_RECVTOS) && !defined(_WIN32)

TEST_CASE("receive_batch with metadata gives each datagram its own", "[metadata]") {
  const std::string why = destination_unavailable();
  if (!why.empty()) OUTLET_TEST_SKIP(why);
  DatagramSocket receiver = metadata_receiver(Address::any(Family::ipv4, 0));
  const std::uint16_t port = receiver.local_address().port();
  const std::vector<std::string> ips = {"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.1", "127.0.0.2"};
  DatagramSocket sender(Address::loopback(Family::ipv4, 0));
  const auto before = std::chrono::system_clock::now();
  for (const std::string& ip : ips) (void)sender.send_to(ip, Address::ipv4(ip, port));

  constexpr std::size_t slots = 8;
  std::vector<std::vector<char>> buffers(slots, std::vector<char>(64));
  std::size_t got = 0;
  std::vector<std::string> texts;
  std::vector<ReceiveMetadata> metas;
  while (got < ips.size()) {  // the batch takes what is queued: loop until all arrived
    IncomingDatagram in[slots];
    ReceiveMetadata meta[slots];
    for (std::size_t i = 0; i < slots; ++i) in[i].buffer = outlet::MutableBuffer(buffers[i].data(), buffers[i].size());
    const std::size_t n = receiver.receive_batch(in, meta, slots);
    REQUIRE(n > 0);
    for (std::size_t i = 0; i < n; ++i) {
      texts.emplace_back(buffers[i].data(), in[i].received);
      metas.push_back(meta[i]);
      CHECK(in[i].from == sender.local_address());
    }
    got += n;
  }
  const auto after = std::chrono::system_clock::now();
  REQUIRE(got == ips.size());
  // Loopback may deliver datagrams sent from different CPUs out of order:
  // each one's text is the address it was sent to, so its metadata is
  // checked against its own text, and the texts as a set against what was sent.
  std::vector<std::string> sorted_texts = texts, sorted_ips = ips;
  std::sort(sorted_texts.begin(), sorted_texts.end());
  std::sort(sorted_ips.begin(), sorted_ips.end());
  CHECK(sorted_texts == sorted_ips);
  for (std::size_t i = 0; i < metas.size(); ++i) {
    INFO("datagram " << i << ", sent to " << texts[i]);
    REQUIRE(metas[i].destination.has_value());
    CHECK(metas[i].destination->ip() == texts[i]);
    CHECK(is_loopback_index(metas[i].interface_index));
    REQUIRE(metas[i].timestamp.has_value() == has_timestamps);
    if (has_timestamps) {
      CHECK(before <= *metas[i].timestamp);
      CHECK(*metas[i].timestamp <= after);
    }
    CHECK_FALSE(metas[i].truncated);
  }
}

TEST_CASE("set_receive_destination on a Unix datagram socket fails with operation_not_supported", "[metadata]") {
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  const std::string why = destination_unavailable();
  if (!why.empty()) OUTLET_TEST_SKIP(why);
  DatagramSocket unix_socket(Address::unix_domain(outlet_test::unique_unix_path("meta")));
  std::error_code ec;
  unix_socket.set_receive_destination(true, ec);
  CHECK(ec == std::errc::operation_not_supported);
  const outlet_test::Thrown thrown = thrown_by([&] { unix_socket.set_receive_destination(true); });
  CHECK(thrown.code == std::errc::operation_not_supported);
  CHECK(thrown.what == std::string(outlet::detail::sys::receive_destination_call) + ": " + thrown.code.message());
}

TEST_CASE("where the OS gives no receive timestamps, set_receive_timestamps fails with operation_not_supported",
          "[metadata]") {
  if (has_timestamps) OUTLET_TEST_SKIP("this platform has receive timestamps: the other cases test them");
  DatagramSocket socket(Address::loopback(Family::ipv4, 0));
  std::error_code ec;
  socket.set_receive_timestamps(true, ec);
  CHECK(ec == std::errc::operation_not_supported);
  const outlet_test::Thrown thrown = thrown_by([&] { socket.set_receive_timestamps(true); });
  CHECK(thrown.what == std::string(outlet::detail::sys::receive_timestamps_call) + ": " + thrown.code.message());
}

TEST_CASE("receive metadata calls on a closed socket say it is not open", "[metadata]") {
  DatagramSocket closed;
  std::error_code ec;
  closed.set_receive_timestamps(true, ec);
  CHECK(ec == std::errc::bad_file_descriptor);
  closed.set_receive_destination(true, ec);
  CHECK(ec == std::errc::bad_file_descriptor);
  char buf[4];
  Address from;
  ReceiveMetadata meta;
  CHECK(closed.receive_from(buf, sizeof buf, from, meta, ec) == 0);
  CHECK(ec == std::errc::bad_file_descriptor);
  IncomingDatagram in[1];
  ReceiveMetadata metas[1];
  CHECK(closed.receive_batch(in, metas, 1, ec) == 0);
  CHECK(ec == std::errc::bad_file_descriptor);
  const outlet_test::Thrown thrown = thrown_by([&] { closed.set_receive_timestamps(true); });
  CHECK(thrown.what ==
        std::string(outlet::detail::sys::receive_timestamps_call) + ": socket is not open: " + thrown.code.message());
  CHECK(thrown_by([&] { (void)closed.receive_from(buf, sizeof buf, from, meta); }).what ==
        "receive_from: socket is not open: " + thrown.code.message());
}

TEST_CASE("receive_from with metadata waits no longer than the receive timeout", "[metadata]") {
  DatagramSocket receiver(Address::loopback(Family::ipv4, 0));
  receiver.set_receive_timeout(50ms);
  char buf[4];
  Address from;
  ReceiveMetadata meta;
  std::error_code ec;
  CHECK(receiver.receive_from(buf, sizeof buf, from, meta, ec) == 0);
  CHECK(ec == std::errc::timed_out);
}
