// Tests for <outlet/outlet.hpp>, the umbrella header: it alone is enough for
// the quick start, it carries consistent version macros, and two translation
// units that include it share one copy of every inline object (the {fmt}
// style ODR check; the other TU is test_outlet_second_tu.cpp).
#include <outlet/outlet.hpp>

#include "catch.hpp"
#include "test_outlet_second_tu.hpp"
#include "test_support.hpp"

#include <atomic>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace {

/// How many OS calls the counting hook below was asked about.
std::atomic<int> calls_seen{0};

/// A fault hook that fails nothing and counts every OS call.
int count_calls(outlet::detail::SysCall, outlet::native_handle_type) {
  ++calls_seen;
  return 0;
}

/// A payload whose every byte position matters.
std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

}  // namespace

// --- one program, one copy ------------------------------------------------------

// resolve_category() and the fault hook are the same objects in both TUs.
TEST_CASE("outlet's inline objects are shared by two translation units", "[outlet]") {
  CHECK(outlet_second_tu::resolve_category_object() == &outlet::resolve_category());
  CHECK(outlet_second_tu::fault_hook_variable() == &outlet::detail::fault_hook);

  const std::error_code there = outlet_second_tu::resolve_error(EAI_NONAME);
  CHECK(there.category() == outlet::resolve_category());
  CHECK(there == std::error_code(EAI_NONAME, outlet::resolve_category()));
  CHECK(there.message() == outlet::resolve_category().message(EAI_NONAME));
}

// A hook installed here is the one the other TU reads and calls.
TEST_CASE("a fault hook installed in one translation unit governs another", "[outlet]") {
  const outlet::detail::FaultHook before = outlet_second_tu::installed_fault_hook();
  CHECK(before == outlet::detail::fault_hook);
  calls_seen = 0;
  {
    const outlet_test::ScopedFaultHook hook(count_calls);
    CHECK(outlet_second_tu::installed_fault_hook() == &count_calls);
    const std::string payload = "counted";
    CHECK(outlet_second_tu::tcp_echo(outlet::Address::loopback(outlet::Family::ipv4, 0), payload) == payload);
  }
  // socket, bind, listen, accept, connect, send, receive, close... all seen.
  CHECK(calls_seen >= 8);
  CHECK(outlet_second_tu::installed_fault_hook() == before);
}

// The second TU's own sockets carry a TCP echo over IPv4 and IPv6 loopback.
TEST_CASE("the second translation unit runs a loopback TCP echo", "[outlet]") {
  const std::string payload = pattern(8 * 1024);
  CHECK(outlet_second_tu::tcp_echo(outlet::Address::loopback(outlet::Family::ipv4, 0), payload) == payload);
  CHECK(outlet_second_tu::tcp_echo(outlet::Address::loopback(outlet::Family::ipv6, 0), payload) == payload);
  CHECK(outlet_second_tu::tcp_echo(outlet::Address::parse("127.0.0.1:0"), "").empty());
}

// --- version -------------------------------------------------------------------

// OUTLET_VERSION_STRING is MAJOR.MINOR.PATCH, the same in both TUs.
TEST_CASE("the version macros agree with each other and across TUs", "[outlet]") {
  static_assert(OUTLET_VERSION_MAJOR >= 0 && OUTLET_VERSION_MINOR >= 0 && OUTLET_VERSION_PATCH >= 0,
                "version numbers are non-negative integers");
  const std::string joined = std::to_string(OUTLET_VERSION_MAJOR) + '.' + std::to_string(OUTLET_VERSION_MINOR) + '.' +
                             std::to_string(OUTLET_VERSION_PATCH);
  CHECK(std::string(OUTLET_VERSION_STRING) == joined);
  CHECK(std::strcmp(outlet_second_tu::version_string(), OUTLET_VERSION_STRING) == 0);
  CHECK(OUTLET_VERSION == OUTLET_VERSION_MAJOR * 10000 + OUTLET_VERSION_MINOR * 100 + OUTLET_VERSION_PATCH);
}

// tests/CMakeLists.txt passes project(VERSION) in as OUTLET_TEST_PROJECT_VERSION.
TEST_CASE("the version macros say project(VERSION) from CMakeLists.txt", "[outlet]") {
  CHECK(std::string(OUTLET_VERSION_STRING) == OUTLET_TEST_PROJECT_VERSION);
  static_assert(OUTLET_VERSION >= 0 && OUTLET_VERSION < 1000000, "OUTLET_VERSION packs three numbers");
#if OUTLET_VERSION < 100
#error "#if sees OUTLET_VERSION as the number it should be (0.1.0 is 100)"
#endif  // OUTLET_VERSION < 100
}

// --- the umbrella header is enough -------------------------------------------------

// Every public type and free function is reachable from <outlet/outlet.hpp>.
TEST_CASE("the umbrella header declares the whole public API", "[outlet]") {
  CHECK(std::is_base_of<outlet::BasicSocket, outlet::Socket>::value);
  CHECK(std::is_base_of<outlet::BasicSocket, outlet::ServerSocket>::value);
  CHECK(std::is_base_of<outlet::BasicSocket, outlet::DatagramSocket>::value);
  CHECK(std::is_nothrow_move_constructible<outlet::Socket>::value);
  CHECK_FALSE(std::is_copy_constructible<outlet::Socket>::value);
  CHECK_FALSE(std::is_copy_constructible<outlet::ServerSocket>::value);
  CHECK_FALSE(std::is_copy_constructible<outlet::DatagramSocket>::value);
  CHECK(std::is_copy_constructible<outlet::Address>::value);
  CHECK(outlet::default_backlog > 0);

  CHECK_FALSE(outlet::Socket().is_open());
  CHECK_FALSE(outlet::ServerSocket().is_open());
  CHECK_FALSE(outlet::DatagramSocket().is_open());
  const outlet::DatagramSocket udp(outlet::Address::loopback(outlet::Family::ipv4, 0));
  CHECK(udp.local_address().port() != 0);
  CHECK(outlet::resolve("127.0.0.1", 1).front() == outlet::Address::parse("127.0.0.1:1"));
  const outlet::Shutdown how = outlet::Shutdown::both;
  CHECK(how != outlet::Shutdown::send);
}

// The quick start: listen on loopback port 0, connect, send_all, receive_exact, close.
TEST_CASE("the quick-start flow works through the umbrella header alone", "[outlet]") {
  outlet::ServerSocket server(outlet::Address::loopback(outlet::Family::ipv4, 0));
  const outlet::Address where = server.local_address();
  REQUIRE(where.port() != 0);

  outlet::Socket client(where);
  outlet::Socket peer = server.accept();
  client.send_all("hello, outlet");

  char request[13];
  REQUIRE(peer.receive_exact(request, sizeof request) == sizeof request);
  CHECK(std::string(request, sizeof request) == "hello, outlet");
  peer.send_all(std::string_view(request, sizeof request));

  char reply[13];
  REQUIRE(client.receive_exact(reply, sizeof reply) == sizeof reply);
  CHECK(std::string(reply, sizeof reply) == "hello, outlet");
  CHECK(client.peer_address() == where);

  peer.close();
  char more[1];
  CHECK(client.receive(more, sizeof more) == 0);  // the peer closed
  client.close();
  server.close();
  CHECK_FALSE(client.is_open());
  CHECK_FALSE(peer.is_open());
  CHECK_FALSE(server.is_open());
}
