// Tests for Socket::tcp_info() (outlet/socket.hpp): the OS's TCP statistics
// after real traffic over 127.0.0.1, the states it reports, and the errors
// for sockets that have none (Unix stream, closed). In a file of their own
// so the statistics' platform differences stay in one place.
#include <outlet/outlet.hpp>

#include "catch.hpp"
#include "test_support.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using outlet::Address;
using outlet::Family;
using outlet::Socket;
using outlet::TcpInfo;
using outlet::TcpState;

namespace {

using outlet_test::Joiner;
using outlet_test::thrown_by;

constexpr std::size_t megabyte = 1024 * 1024;

// Why tcp_info() cannot be tested here, or "" if it can: under Wine,
// whose Winsock may lack SIO_TCP_INFO (Windows 10 1703's), the error it gives.
std::string tcp_info_unavailable(const Socket& socket) {
  std::error_code ec;
  (void)socket.tcp_info(ec);
  if (!ec || !outlet_test::running_under_wine()) return {};
  return std::string(outlet::detail::sys::tcp_statistics_call) + " fails under Wine: " + ec.message() + " (" +
         std::to_string(ec.value()) + ")";
}

}  // namespace

TEST_CASE("tcp_info after 1 MB over 127.0.0.1: established, an RTT, and every byte acknowledged", "[tcp_info]") {
  outlet_test::Pair p = outlet_test::connected_pair();
  const std::string why = tcp_info_unavailable(p.client);
  if (!why.empty()) OUTLET_TEST_SKIP(why);

  const std::string data(megabyte, 'x');
  std::error_code peer_error;
  std::size_t peer_got = 0;
  Joiner peer(std::thread([&] {
    std::vector<char> buf(megabyte);
    peer_got = p.accepted.receive_exact(buf.data(), buf.size(), peer_error);
    // A reply after reading it all: the segment that carries it acknowledges
    // the whole megabyte, so once the client has read the reply its TCP has
    // processed that acknowledgement.
    if (!peer_error) p.accepted.send_all("k", peer_error);
  }));
  p.client.send_all(data);
  char reply = 0;
  REQUIRE(p.client.receive_exact(&reply, 1) == 1);
  peer.join();
  REQUIRE_FALSE(peer_error);
  REQUIRE(peer_got == megabyte);

  const TcpInfo sender = p.client.tcp_info();
  CHECK(sender.state == TcpState::established);
  CHECK(sender.rtt > std::chrono::microseconds::zero());
  REQUIRE(sender.mss.has_value());
  CHECK(*sender.mss > 0);
  if (sender.bytes_sent) CHECK(*sender.bytes_sent >= megabyte);
  if (sender.bytes_acked) CHECK(*sender.bytes_acked >= megabyte);

  std::error_code ec = std::make_error_code(std::errc::io_error);
  const TcpInfo receiver = p.accepted.tcp_info(ec);
  REQUIRE_FALSE(ec);
  CHECK(receiver.state == TcpState::established);
  if (receiver.bytes_received) CHECK(*receiver.bytes_received >= megabyte);

  if (outlet_test::is_linux) {  // what Linux's TCP_INFO reports (4.1+: the byte counters)
    REQUIRE(sender.bytes_acked.has_value());
    REQUIRE(receiver.bytes_received.has_value());
    // Exactly the data (the counters are read from the right place): the
    // receiver got the megabyte, and the sender's acknowledged bytes are
    // the megabyte and at most its SYN.
    CHECK(*receiver.bytes_received == megabyte);
    CHECK(*sender.bytes_acked <= megabyte + 1);
    CHECK(sender.rtt_variance.has_value());
    CHECK(sender.congestion_window_segments.value_or(0) > 0);
    CHECK_FALSE(sender.congestion_window_bytes.has_value());
    CHECK(sender.retransmitted_segments.has_value());
    CHECK(sender.segments_sent.value_or(0) > 0);
  }
}

TEST_CASE("tcp_info reports the states a shutdown leads to", "[tcp_info]") {
  outlet_test::Pair p = outlet_test::connected_pair();
  const std::string why = tcp_info_unavailable(p.client);
  if (!why.empty()) OUTLET_TEST_SKIP(why);
  p.client.shutdown(outlet::Shutdown::send);
  char c = 0;
  REQUIRE(p.accepted.receive(&c, 1) == 0);  // the FIN arrived
  CHECK(p.accepted.tcp_info().state == TcpState::close_wait);
  // The client waits for the acknowledgement of its FIN, or has it already.
  const TcpState client = p.client.tcp_info().state;
  CHECK((client == TcpState::fin_wait_1 || client == TcpState::fin_wait_2));
}

TEST_CASE("tcp_info on a Unix stream socket fails with operation_not_supported, naming the call", "[tcp_info]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  outlet_test::Pair p = outlet_test::connected_pair(Address::unix_domain(outlet_test::unique_unix_path("tcpinfo")));
  std::error_code ec;
  const TcpInfo info = p.client.tcp_info(ec);
  CHECK(ec == std::errc::operation_not_supported);
  CHECK(info.state == TcpState::unknown);
  const outlet_test::Thrown thrown = thrown_by([&] { (void)p.client.tcp_info(); });
  CHECK(thrown.code == std::errc::operation_not_supported);
  CHECK(thrown.what == std::string(outlet::detail::sys::tcp_statistics_call) + ": " + thrown.code.message());
}

TEST_CASE("tcp_info on a closed socket says the socket is not open", "[tcp_info]") {
  Socket never_opened;
  std::error_code ec;
  (void)never_opened.tcp_info(ec);
  CHECK(ec == std::errc::bad_file_descriptor);
  outlet_test::Pair p = outlet_test::connected_pair();
  p.client.close();
  const outlet_test::Thrown thrown = thrown_by([&] { (void)p.client.tcp_info(); });
  CHECK(thrown.code == std::errc::bad_file_descriptor);
  CHECK(thrown.what ==
        std::string(outlet::detail::sys::tcp_statistics_call) + ": socket is not open: " + thrown.code.message());
}

TEST_CASE("tcp_info reports the OS call's failure", "[tcp_info]") {
  outlet_test::Pair p = outlet_test::connected_pair();
  outlet_test::ScopedFaultHook hook([](outlet::detail::SysCall call, outlet::native_handle_type) {
    return call == outlet::detail::SysCall::option ? outlet_test::native_error::connection_reset : 0;
  });
  std::error_code ec;
  const TcpInfo info = p.client.tcp_info(ec);
  CHECK(ec == std::errc::connection_reset);
  CHECK(info.state == TcpState::unknown);
  CHECK_FALSE(info.bytes_acked.has_value());
}
