// Tests for <outlet/bind_options.hpp>: ListenOptions on ServerSocket and
// BindOptions on DatagramSocket. Reuse-port listeners sharing a port (and
// both getting connections), the address_in_use a port without it gives,
// IPv6-only on and off (an IPv4 client reaching "[::]" or not), the backlog
// and the TCP Fast Open queue read back from the kernel, and the errors,
// which name the step and the address. Under Wine (Winsock) reuse-port and
// Fast Open report operation_not_supported, as on Windows.
#include "catch.hpp"
#include "test_support.hpp"

#include <outlet/outlet.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>

namespace {

using namespace std::chrono_literals;
using outlet::Address;
using outlet::BindOptions;
using outlet::DatagramSocket;
using outlet::Family;
using outlet::ListenOptions;
using outlet::ServerSocket;
using outlet::Socket;
using outlet_test::contains;
using outlet_test::thrown_by;

namespace sys = outlet::detail::sys;

constexpr bool has_reuse_port = sys::reuse_port_option >= 0;
constexpr bool has_fast_open = sys::fast_open_option >= 0;

ListenOptions reuse_port_options() {
  ListenOptions options;
  options.reuse_port = true;
  return options;
}

Address loopback_port(std::uint16_t port) { return Address::loopback(Family::ipv4, port); }

}  // namespace

TEST_CASE("ListenOptions{} does what the address constructor does", "[bind_options]") {
  for (Family family : {Family::ipv4, Family::ipv6}) {
    ServerSocket listener(Address::loopback(family, 0), ListenOptions{});
    CHECK(listener.reuse_address());
    if (family == Family::ipv6) CHECK(listener.v6_only());
    Socket client(listener.local_address());
    Socket served = listener.accept(5s);
    CHECK(served.is_open());
  }
  ListenOptions off;
  off.reuse_address = false;
  ServerSocket listener(loopback_port(0), off);
  CHECK_FALSE(listener.reuse_address());
}

TEST_CASE("two reuse-port listeners share a port and both get connections", "[bind_options]") {
  if (!has_reuse_port) {
    // Windows: no SO_REUSEPORT, and saying so instead of ignoring it.
    std::error_code ec;
    ServerSocket listener;
    listener.listen(loopback_port(0), reuse_port_options(), ec);
    CHECK(ec == std::errc::operation_not_supported);
    const auto thrown = thrown_by([] { ServerSocket s(loopback_port(0), reuse_port_options()); });
    CHECK(thrown.code == std::errc::operation_not_supported);
    CHECK(contains(thrown.what, "setsockopt(SO_REUSEPORT) 127.0.0.1:0"));
    OUTLET_TEST_SKIP("no SO_REUSEPORT on this OS: reported as operation_not_supported, checked");
  }
  ServerSocket first(loopback_port(0), reuse_port_options());
  const Address address = first.local_address();
  ServerSocket second(address, reuse_port_options());
  REQUIRE(second.local_address() == address);

  outlet::Poller poller;
  first.set_non_blocking(true);
  second.set_non_blocking(true);
  poller.add(first, outlet::Interest::readable, 0);
  poller.add(second, outlet::Interest::readable, 1);
  // Linux hashes each client's address and port to pick the listener; the
  // BSDs give every connection to one of them. Each connect is accepted
  // before the next, so no listen queue fills.
  constexpr int connects = 300;
  int accepted[2] = {0, 0};
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (int i = 0; i < connects && std::chrono::steady_clock::now() < deadline; ++i) {
    Socket client(address);
    bool taken = false;
    while (!taken && std::chrono::steady_clock::now() < deadline) {
      poller.wait(5s);
      for (const outlet::Event& event : poller.events()) {
        ServerSocket& listener = event.token() == 0 ? first : second;
        std::error_code ec;
        Socket served = listener.accept(ec);
        if (ec == std::errc::operation_would_block) continue;
        REQUIRE_FALSE(ec);
        ++accepted[event.token()];
        taken = true;
        break;
      }
    }
    REQUIRE(taken);
  }
  INFO("first accepted " << accepted[0] << ", second " << accepted[1]);
  CHECK(accepted[0] + accepted[1] == connects);
  if (outlet_test::is_linux) {
    CHECK(accepted[0] >= 1);
    CHECK(accepted[1] >= 1);
  }
}

TEST_CASE("without reuse-port a second listener's bind fails with address_in_use, quoting the address",
          "[bind_options]") {
  ServerSocket first(loopback_port(0), ListenOptions{});
  const Address address = first.local_address();
  const auto thrown = thrown_by([&] { ServerSocket second(address, ListenOptions{}); });
  CHECK(thrown.code == std::errc::address_in_use);
  CHECK(outlet_test::starts_with(thrown.what, "bind " + address.to_string() + ": "));
  std::error_code ec;
  ServerSocket second;
  second.listen(address, ListenOptions{}, ec);
  CHECK(ec == std::errc::address_in_use);

  if (!has_reuse_port) return;
  // One side asking is not enough: both must set it.
  ServerSocket plain(loopback_port(0), ListenOptions{});
  ServerSocket late;
  late.listen(plain.local_address(), reuse_port_options(), ec);
  CHECK(ec == std::errc::address_in_use);
  ServerSocket sharing(loopback_port(0), reuse_port_options());
  ServerSocket refused;
  refused.listen(sharing.local_address(), ListenOptions{}, ec);
  CHECK(ec == std::errc::address_in_use);
}

TEST_CASE("v6_only: true refuses IPv4 clients on [::], false takes them as IPv4-mapped", "[bind_options]") {
  ListenOptions options;
  options.v6_only = true;
  ServerSocket only6(Address::any(Family::ipv6, 0), options);
  CHECK(only6.v6_only());
  std::error_code ec;
  // The IPv4 side of the port is not taken: nothing listens there.
  Socket refused;
  refused.connect(loopback_port(only6.local_address().port()), 5s, ec);
  CHECK(ec);

  options.v6_only = false;
  ServerSocket dual(Address::any(Family::ipv6, 0), options);
  CHECK_FALSE(dual.v6_only());
  const std::uint16_t port = dual.local_address().port();
  for (const char* text : {"127.0.0.1", "[::ffff:127.0.0.1]"}) {
    INFO(text);
    const Address to = Address::parse(std::string(text) + ":" + std::to_string(port));
    Socket client(to.family());
    // An IPv6 client reaches a mapped address only if it is dual-stack
    // itself (Windows' default is IPv6-only).
    if (to.family() == Family::ipv6) client.set_v6_only(false);
    client.connect(to, 5s);
    Address peer;
    Socket served = dual.accept(peer, 5s);
    CHECK(peer.family() == Family::ipv6);
    CHECK(peer.ip() == "::ffff:127.0.0.1");
  }

  // std::nullopt: whatever a fresh IPv6 socket has.
  const bool os_default = DatagramSocket(Family::ipv6).v6_only();
  options.v6_only = std::nullopt;
  ServerSocket as_os(Address::any(Family::ipv6, 0), options);
  CHECK(as_os.v6_only() == os_default);
}

TEST_CASE("the backlog goes to listen()", "[bind_options]") {
  for (int backlog : {3, 7}) {
    ListenOptions options;
    options.backlog = backlog;
    ServerSocket listener(loopback_port(0), options);
#if defined(__linux__)
    // A Linux listener's TCP_INFO reports its backlog in tcpi_sacked.
    const auto info = listener.get_option<::tcp_info>(IPPROTO_TCP, TCP_INFO);
    CHECK(info.tcpi_sacked == static_cast<unsigned>(backlog));
#else
    Socket client(listener.local_address());
    CHECK(listener.accept(5s).is_open());
#endif  // defined(__linux__)
  }
  if (!outlet_test::is_linux) OUTLET_TEST_SKIP("only Linux reports a listener's backlog (TCP_INFO): listened only");
}

TEST_CASE("fast_open_queue sets TCP_FASTOPEN on Linux, and is refused elsewhere", "[bind_options]") {
  ListenOptions options;
  options.fast_open_queue = -1;
  auto thrown = thrown_by([&] { ServerSocket s(loopback_port(0), options); });
  CHECK(thrown.code == std::errc::invalid_argument);
  CHECK(thrown.what == "setsockopt(TCP_FASTOPEN) 127.0.0.1:0 (queue length -1): " + thrown.code.message());

  options.fast_open_queue = 5;
  if (!has_fast_open) {
    thrown = thrown_by([&] { ServerSocket s(loopback_port(0), options); });
    CHECK(thrown.code == std::errc::operation_not_supported);
    CHECK(contains(thrown.what, "setsockopt(TCP_FASTOPEN) 127.0.0.1:0 (queue length 5)"));
    OUTLET_TEST_SKIP("TCP_FASTOPEN's queue is Linux's: reported as operation_not_supported, checked");
  }
  ServerSocket with(loopback_port(0), options);
  CHECK(with.get_option<int>(IPPROTO_TCP, sys::fast_open_option) == 5);
  ServerSocket without(loopback_port(0), ListenOptions{});
  CHECK(without.get_option<int>(IPPROTO_TCP, sys::fast_open_option) == 0);
}

TEST_CASE("listen(local, options) on an open socket keeps what was set, and a closed one opens", "[bind_options]") {
  ServerSocket listener(Family::ipv6);
  listener.set_receive_buffer_size(1 << 16);
  const int buffer = listener.receive_buffer_size();
  ListenOptions options;
  options.v6_only = false;
  // "[::]": Linux turns IPV6_V6ONLY on when a socket binds one IPv6 address.
  listener.listen(Address::any(Family::ipv6, 0), options);
  CHECK(listener.receive_buffer_size() == buffer);
  CHECK_FALSE(listener.v6_only());
  Socket client(Address::loopback(Family::ipv4, listener.local_address().port()));
  CHECK(listener.accept(5s).is_open());
}

TEST_CASE("DatagramSocket: BindOptions share a port with reuse_address or reuse_port", "[bind_options]") {
  DatagramSocket first(loopback_port(0), BindOptions{});
  CHECK_FALSE(first.reuse_address());
  const Address address = first.local_address();
  auto thrown = thrown_by([&] { DatagramSocket second(address, BindOptions{}); });
  CHECK(thrown.code == std::errc::address_in_use);
  CHECK(outlet_test::starts_with(thrown.what, "bind " + address.to_string() + ": "));

  BindOptions reuse;
  reuse.reuse_address = true;
  DatagramSocket a(loopback_port(0), reuse);
  CHECK(a.reuse_address());
  DatagramSocket b;
  b.bind(a.local_address(), reuse);
  CHECK(b.local_address() == a.local_address());

  BindOptions ipv6;
  ipv6.v6_only = false;
  DatagramSocket dual(Address::any(Family::ipv6, 0), ipv6);
  CHECK_FALSE(dual.v6_only());

  BindOptions port;
  port.reuse_port = true;
  std::error_code ec;
  DatagramSocket c;
  c.bind(loopback_port(0), port, ec);
  if (!has_reuse_port) {
    CHECK(ec == std::errc::operation_not_supported);
    OUTLET_TEST_SKIP("no SO_REUSEPORT on this OS: reported as operation_not_supported, checked");
  }
  REQUIRE_FALSE(ec);
  DatagramSocket d(c.local_address(), port);
  CHECK(d.local_address() == c.local_address());
}
