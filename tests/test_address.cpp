// Tests for <outlet/address.hpp>: Family, Address (factories, accessors,
// the native sockaddr, parse/to_string, comparisons, hashing) and resolve().
#include <outlet/address.hpp>
#include <outlet/datagram_socket.hpp>  // only to have the kernel bind the longest abstract name

#include "catch.hpp"
#include "test_support.hpp"  // skipping, and the abstract names only Linux has

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

using outlet::Address;
using outlet::Family;

namespace {

using UnixSockaddr = outlet::detail::sys::unix_sockaddr;
constexpr std::size_t unix_path_offset = offsetof(UnixSockaddr, sun_path);
constexpr std::size_t unix_path_capacity = sizeof(UnixSockaddr::sun_path);

bool contains(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }

/// Runs a throwing call that must reject its input; returns its what().
template <class Call>
std::string rejection(Call&& call) {
  try {
    (void)call();
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::invalid_argument);
    return e.what();
  }
  FAIL("expected std::system_error with std::errc::invalid_argument");
  return {};
}

/// Both forms of one factory reject `input`: the ec form sets
/// invalid_argument and returns an empty Address; the throwing form's what()
/// starts with `op`, quotes the input, says `why` and ends with the message.
template <class Throwing, class NoThrow>
void check_rejects(const char* op, std::string_view input, const char* why, Throwing&& throwing, NoThrow&& no_throw) {
  INFO("op: " << op << ", input: " << outlet::detail::quote(input));
  std::error_code ec = std::make_error_code(std::errc::io_error);
  const Address a = no_throw(ec);
  CHECK(ec == std::errc::invalid_argument);
  CHECK(a.empty());
  CHECK(a.native_size() == 0);
  const std::string what = rejection(throwing);
  INFO("what(): " << what);
  CHECK(what.rfind(std::string(op) + ' ', 0) == 0);
  CHECK(contains(what, outlet::detail::quote(input)));
  CHECK(contains(what, why));
  CHECK(contains(what, std::make_error_code(std::errc::invalid_argument).message()));
}

void check_parse_rejects(std::string_view text, const char* why) {
  check_rejects(
      "Address::parse", text, why, [&] { return Address::parse(text); },
      [&](std::error_code& ec) { return Address::parse(text, ec); });
}

void check_ipv4_rejects(std::string_view ip, const char* why) {
  check_rejects(
      "Address::ipv4", ip, why, [&] { return Address::ipv4(ip, 80); },
      [&](std::error_code& ec) { return Address::ipv4(ip, 80, ec); });
}

void check_ipv6_rejects(std::string_view ip, const char* why) {
  check_rejects(
      "Address::ipv6", ip, why, [&] { return Address::ipv6(ip, 80); },
      [&](std::error_code& ec) { return Address::ipv6(ip, 80, ec); });
}

void check_unix_rejects(std::string_view path, const char* why) {
  check_rejects(
      "Address::unix_domain", path, why, [&] { return Address::unix_domain(path); },
      [&](std::error_code& ec) { return Address::unix_domain(path, ec); });
}

/// The native sockaddr_in behind an IPv4 Address.
sockaddr_in native_in(const Address& a) {
  REQUIRE(a.native_size() == static_cast<socklen_t>(sizeof(sockaddr_in)));
  sockaddr_in sin{};
  std::memcpy(&sin, a.native(), sizeof sin);
  return sin;
}

/// The native sockaddr_in6 behind an IPv6 Address.
sockaddr_in6 native_in6(const Address& a) {
  REQUIRE(a.native_size() == static_cast<socklen_t>(sizeof(sockaddr_in6)));
  sockaddr_in6 sin6{};
  std::memcpy(&sin6, a.native(), sizeof sin6);
  return sin6;
}

/// The native Unix-domain sockaddr behind a unix_domain Address.
UnixSockaddr native_un(const Address& a) {
  REQUIRE(a.native_size() >= static_cast<socklen_t>(unix_path_offset));
  REQUIRE(a.native_size() <= static_cast<socklen_t>(sizeof(UnixSockaddr)));
  UnixSockaddr sun{};
  std::memcpy(&sun, a.native(), static_cast<std::size_t>(a.native_size()));
  return sun;
}

/// Whether the 16 address bytes are ::1 (true) or :: (false when `one` is false).
bool is_v6_zero_or_one(const in6_addr& addr, bool one) {
  for (int i = 0; i < 15; ++i) {
    if (addr.s6_addr[i] != 0) return false;
  }
  return addr.s6_addr[15] == (one ? 1 : 0);
}

/// "a" repeated to make a string of `n` bytes after `prefix`.
std::string padded(const std::string& prefix, std::size_t n) { return prefix + std::string(n - prefix.size(), 'a'); }

/// A spread of valid, pairwise distinct addresses of every family.
std::vector<Address> sample_addresses() {
  std::vector<Address> v = {
      Address::ipv4("0.0.0.0", 0),
      Address::ipv4("127.0.0.1", 1),
      Address::ipv4("127.0.0.1", 65535),
      Address::ipv4("9.0.0.1", 80),
      Address::ipv4("10.0.0.1", 80),
      Address::ipv4("192.168.1.1", 443),
      Address::ipv4("255.255.255.255", 65535),
      Address::ipv6("::", 0),
      Address::ipv6("::1", 80),
      Address::ipv6("::1", 65535),
      Address::ipv6("2001:db8::1", 443),
      Address::ipv6("::ffff:127.0.0.1", 80),
      Address::ipv6("fe80::1", 80),
      Address::ipv6("fe80::1%4000000", 80),
      Address::unix_domain("/tmp/outlet-sample.sock"),
      Address::unix_domain("/tmp/outlet-sample.sock2"),
      Address::unix_domain("relative.sock"),
      Address::unix_domain(""),
  };
#if defined(__linux__)
  v.push_back(Address::ipv6("fe80::1%lo", 80));
  v.push_back(Address::unix_domain("@outlet-sample"));
  v.push_back(Address::unix_domain("@outlet-sample2"));
#endif  // defined(__linux__)
  return v;
}

}  // namespace

// --- IPv4 -------------------------------------------------------------------

// Address::ipv4 fills a sockaddr_in: family, network-order port, address.
TEST_CASE("Address::ipv4 builds a sockaddr_in", "[address]") {
  const Address a = Address::ipv4("127.0.0.1", 8080);
  CHECK_FALSE(a.empty());
  CHECK(a.family() == Family::ipv4);
  CHECK(a.port() == 8080);
  CHECK(a.ip() == "127.0.0.1");
  CHECK(a.path().empty());
  CHECK(a.to_string() == "127.0.0.1:8080");
  CHECK(a.native()->sa_family == AF_INET);
  const sockaddr_in sin = native_in(a);
  CHECK(sin.sin_family == AF_INET);
  CHECK(sin.sin_port == htons(8080));
  CHECK(sin.sin_addr.s_addr == htonl(0x7f000001));
}

// The extremes of address and port survive the trip through sockaddr_in.
TEST_CASE("Address::ipv4 accepts every address and port extreme", "[address]") {
  const Address low = Address::ipv4("0.0.0.0", 0);
  CHECK(low.port() == 0);
  CHECK(low.to_string() == "0.0.0.0:0");
  CHECK(native_in(low).sin_addr.s_addr == 0);
  const Address high = Address::ipv4("255.255.255.255", 65535);
  CHECK(high.port() == 65535);
  CHECK(high.to_string() == "255.255.255.255:65535");
  CHECK(native_in(high).sin_port == htons(65535));
  CHECK(native_in(high).sin_addr.s_addr == 0xffffffffu);
}

// The ec form clears a stale error on success.
TEST_CASE("Address::ipv4 ec form clears the error on success", "[address]") {
  std::error_code ec = std::make_error_code(std::errc::io_error);
  const Address a = Address::ipv4("10.1.2.3", 99, ec);
  CHECK_FALSE(ec);
  CHECK(a == Address::ipv4("10.1.2.3", 99));
}

// Malformed IPv4 text fails in both forms, quoting the input.
TEST_CASE("Address::ipv4 rejects malformed text", "[address]") {
  check_ipv4_rejects("", "not an IPv4 address");
  check_ipv4_rejects("256.0.0.1", "not an IPv4 address");
  check_ipv4_rejects("1.2.3", "not an IPv4 address");
  check_ipv4_rejects("1.2.3.4.5", "not an IPv4 address");
  check_ipv4_rejects(" 1.2.3.4", "not an IPv4 address");
  check_ipv4_rejects("1.2.3.4 ", "not an IPv4 address");
  check_ipv4_rejects("localhost", "not an IPv4 address");
  check_ipv4_rejects("1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16", "not an IPv4 address");
}

// An IPv6 literal given to ipv4() is named for what it is.
TEST_CASE("Address::ipv4 rejects an IPv6 literal and says so", "[address]") {
  check_ipv4_rejects("::1", "IPv6");
  check_ipv4_rejects("2001:db8::1", "IPv6");
  check_ipv4_rejects("::ffff:127.0.0.1", "IPv6");
}

// An embedded NUL is rejected, never treated as the end of the text.
TEST_CASE("Address::ipv4 rejects text with an embedded NUL", "[address]") {
  const std::string_view text("127.0.0.1\0junk", 14);
  check_ipv4_rejects(text, "NUL");
  const std::string what = rejection([&] { return Address::ipv4(text, 1); });
  CHECK(contains(what, "\"127.0.0.1\\x00junk\""));
}

// --- IPv6 -------------------------------------------------------------------

// Address::ipv6 fills a sockaddr_in6: family, network-order port, address, no scope.
TEST_CASE("Address::ipv6 builds a sockaddr_in6", "[address]") {
  const Address a = Address::ipv6("::1", 443);
  CHECK(a.family() == Family::ipv6);
  CHECK(a.port() == 443);
  CHECK(a.ip() == "::1");
  CHECK(a.path().empty());
  CHECK(a.to_string() == "[::1]:443");
  CHECK(a.native()->sa_family == AF_INET6);
  const sockaddr_in6 sin6 = native_in6(a);
  CHECK(sin6.sin6_family == AF_INET6);
  CHECK(sin6.sin6_port == htons(443));
  CHECK(is_v6_zero_or_one(sin6.sin6_addr, true));
  CHECK(sin6.sin6_scope_id == 0);
  CHECK(sin6.sin6_flowinfo == 0);

  const Address doc = Address::ipv6("2001:db8::ab:1", 65535);
  CHECK(doc.ip() == "2001:db8::ab:1");
  CHECK(doc.to_string() == "[2001:db8::ab:1]:65535");
  const sockaddr_in6 d = native_in6(doc);
  CHECK(d.sin6_addr.s6_addr[0] == 0x20);
  CHECK(d.sin6_addr.s6_addr[1] == 0x01);
  CHECK(d.sin6_addr.s6_addr[2] == 0x0d);
  CHECK(d.sin6_addr.s6_addr[3] == 0xb8);
  CHECK(d.sin6_addr.s6_addr[13] == 0xab);
  CHECK(d.sin6_addr.s6_addr[15] == 0x01);
}

// Text is canonicalised: every spelling of one address is one Address.
TEST_CASE("Address::ipv6 canonicalises the text", "[address]") {
  CHECK(Address::ipv6("0:0:0:0:0:0:0:1", 80) == Address::ipv6("::1", 80));
  CHECK(Address::ipv6("0:0:0:0:0:0:0:1", 80).ip() == "::1");
  CHECK(Address::ipv6("2001:DB8:0::1", 80).ip() == "2001:db8::1");
  CHECK(Address::ipv6("::ffff:127.0.0.1", 80).ip() == "::ffff:127.0.0.1");
  CHECK(Address::ipv6("::ffff:7f00:1", 80) == Address::ipv6("::ffff:127.0.0.1", 80));
}

// An IPv4-mapped IPv6 address stays IPv6: not equal to the IPv4 address.
TEST_CASE("Address::ipv6 keeps an IPv4-mapped address in the IPv6 family", "[address]") {
  const Address mapped = Address::ipv6("::ffff:127.0.0.1", 80);
  CHECK(mapped.family() == Family::ipv6);
  CHECK(mapped.to_string() == "[::ffff:127.0.0.1]:80");
  CHECK(mapped != Address::ipv4("127.0.0.1", 80));
  const sockaddr_in6 sin6 = native_in6(mapped);
  CHECK(sin6.sin6_addr.s6_addr[10] == 0xff);
  CHECK(sin6.sin6_addr.s6_addr[11] == 0xff);
  CHECK(sin6.sin6_addr.s6_addr[12] == 127);
  CHECK(sin6.sin6_addr.s6_addr[15] == 1);
}

// A numeric scope ("%<index>") goes to sin6_scope_id and back into the text.
TEST_CASE("Address::ipv6 takes a numeric scope id", "[address]") {
  // No machine has four million interfaces, so the number is printed as is.
  const Address a = Address::ipv6("fe80::1%4000000", 80);
  CHECK(native_in6(a).sin6_scope_id == 4000000u);
  CHECK(a.ip() == "fe80::1%4000000");
  CHECK(a.to_string() == "[fe80::1%4000000]:80");
  CHECK(a != Address::ipv6("fe80::1", 80));
  CHECK(Address::ipv6("fe80::1%4294967295", 1).port() == 1);
  CHECK(native_in6(Address::ipv6("fe80::1%4294967295", 1)).sin6_scope_id == 4294967295u);
}

// An interface name scope ("%lo") becomes its index and prints as the name.
TEST_CASE("Address::ipv6 takes the loopback interface name as scope", "[address]") {
  if (!outlet_test::is_linux) OUTLET_TEST_SKIP("Linux only: the loopback interface is named \"lo\" there");
  const unsigned lo = outlet::detail::sys::interface_index("lo");
  REQUIRE(lo != 0);
  const Address a = Address::ipv6("fe80::1%lo", 80);
  CHECK(native_in6(a).sin6_scope_id == lo);
  CHECK(a.ip() == "fe80::1%lo");
  CHECK(a.to_string() == "[fe80::1%lo]:80");
  CHECK(a == Address::ipv6("fe80::1%" + std::to_string(lo), 80));
}

// Malformed IPv6 text and bad scopes fail in both forms, quoting the input.
TEST_CASE("Address::ipv6 rejects malformed text and bad scopes", "[address]") {
  check_ipv6_rejects("", "not an IPv6 address");
  check_ipv6_rejects("::g", "not an IPv6 address");
  check_ipv6_rejects("1::2::3", "not an IPv6 address");
  check_ipv6_rejects("1:2:3:4:5:6:7:8:9", "not an IPv6 address");
  check_ipv6_rejects("[::1]", "not an IPv6 address");
  check_ipv6_rejects("fe80::1%", "empty scope");
  check_ipv6_rejects("fe80::1%no-such-if0", "unknown network interface");
  check_ipv6_rejects("fe80::1%4294967296", "out of range");
  check_ipv6_rejects(padded("fe80::1%", 200), "unknown network interface");
}

// An IPv4 literal given to ipv6() is named for what it is.
TEST_CASE("Address::ipv6 rejects an IPv4 literal and says so", "[address]") {
  check_ipv6_rejects("127.0.0.1", "IPv4");
  check_ipv6_rejects("0.0.0.0", "IPv4");
}

// An embedded NUL is rejected, never treated as the end of the text.
TEST_CASE("Address::ipv6 rejects text with an embedded NUL", "[address]") {
  const std::string_view text("::1\0::2", 7);
  check_ipv6_rejects(text, "NUL");
  const std::string what = rejection([&] { return Address::ipv6(text, 1); });
  CHECK(contains(what, "\"::1\\x00::2\""));
  check_ipv6_rejects(std::string_view("fe80::1%lo\0x", 12), "NUL");
}

// --- Unix domain -------------------------------------------------------------

// A path is stored NUL-terminated; native_size counts the NUL.
TEST_CASE("Address::unix_domain builds a sockaddr_un from a path", "[address]") {
  const std::string path = "/tmp/outlet-test.sock";
  const Address a = Address::unix_domain(path);
  CHECK(a.family() == Family::unix_domain);
  CHECK(a.port() == 0);
  CHECK(a.ip().empty());
  CHECK(a.path() == path);
  CHECK(a.to_string() == "unix:" + path);
  CHECK(a.native()->sa_family == AF_UNIX);
  CHECK(a.native_size() == static_cast<socklen_t>(unix_path_offset + path.size() + 1));
  const UnixSockaddr sun = native_un(a);
  CHECK(sun.sun_family == AF_UNIX);
  CHECK(std::string(sun.sun_path) == path);
  CHECK(sun.sun_path[path.size()] == '\0');

  const Address relative = Address::unix_domain("relative.sock");
  CHECK(relative.path() == "relative.sock");
  CHECK(relative.to_string() == "unix:relative.sock");
}

// "" is the unnamed address: the family alone, nothing of sun_path.
TEST_CASE("Address::unix_domain of an empty path is the unnamed address", "[address]") {
  const Address a = Address::unix_domain("");
  CHECK_FALSE(a.empty());
  CHECK(a.family() == Family::unix_domain);
  CHECK(a.path().empty());
  CHECK(a.to_string() == "unix:");
  CHECK(a.native_size() == static_cast<socklen_t>(unix_path_offset));
  CHECK(a.native()->sa_family == AF_UNIX);
  CHECK(a != Address{});
}

// sun_path holds a path of capacity - 1 bytes plus its NUL; one more is rejected, not truncated.
TEST_CASE("Address::unix_domain takes the longest path that fits and rejects one byte more", "[address]") {
  const std::string longest = padded("/tmp/", unix_path_capacity - 1);
  const Address a = Address::unix_domain(longest);
  CHECK(a.path() == longest);
  CHECK(a.native_size() == static_cast<socklen_t>(unix_path_offset + unix_path_capacity));
  const UnixSockaddr sun = native_un(a);
  CHECK(sun.sun_path[unix_path_capacity - 1] == '\0');
  CHECK(std::memcmp(sun.sun_path, longest.data(), longest.size()) == 0);

  const std::string too_long = padded("/tmp/", unix_path_capacity);
  check_unix_rejects(too_long, "too long");
  check_unix_rejects(padded("/tmp/", 4 * unix_path_capacity), "too long");
  check_parse_rejects("unix:" + too_long, "too long");
}

// An embedded NUL is rejected, never treated as the end of the path.
TEST_CASE("Address::unix_domain rejects a path with an embedded NUL", "[address]") {
  const std::string_view path("/tmp/a\0b.sock", 13);
  check_unix_rejects(path, "NUL");
  const std::string what = rejection([&] { return Address::unix_domain(path); });
  CHECK(contains(what, "\"/tmp/a\\x00b.sock\""));
}

// "@name" is Linux's abstract namespace: a leading NUL and no trailing one.
TEST_CASE("Address::unix_domain maps @name to the abstract namespace", "[address]") {
  OUTLET_TEST_REQUIRE_ABSTRACT_UNIX_NAMES();
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();  // binds the longest name at the end
  const Address a = Address::unix_domain("@outlet-abstract");
  CHECK(a.family() == Family::unix_domain);
  CHECK(a.path() == "@outlet-abstract");
  CHECK(a.to_string() == "unix:@outlet-abstract");
  const std::string name = "outlet-abstract";
  CHECK(a.native_size() == static_cast<socklen_t>(unix_path_offset + 1 + name.size()));
  const UnixSockaddr sun = native_un(a);
  CHECK(sun.sun_family == AF_UNIX);
  CHECK(sun.sun_path[0] == '\0');
  CHECK(std::memcmp(sun.sun_path + 1, name.data(), name.size()) == 0);
  CHECK(a != Address::unix_domain("outlet-abstract"));
  CHECK(a != Address::unix_domain("/outlet-abstract"));

  // An abstract name has no terminating NUL: it may use all of sun_path
  // after the leading NUL, and one byte more is rejected whole.
  const std::string longest = padded("@", unix_path_capacity);
  CHECK(Address::unix_domain(longest).path() == longest);
  CHECK(Address::unix_domain(longest).native_size() == static_cast<socklen_t>(unix_path_offset + unix_path_capacity));
  check_unix_rejects(padded("@", unix_path_capacity + 1), "too long");
  // The kernel accepts the longest name, and local_address() reads it back.
  const std::string unique = "@outlet-max-" + std::to_string(outlet_test::process_id()) + '-';
  outlet::DatagramSocket bound(Address::unix_domain(padded(unique, unix_path_capacity)));
  CHECK(bound.local_address().path().size() == unix_path_capacity);
  check_unix_rejects(std::string_view("@abc\0def", 8), "NUL");
}

// Off Linux there is no abstract namespace, so "@name" is refused, not made a file.
TEST_CASE("Address::unix_domain refuses @name where there is no abstract namespace", "[address]") {
  if (outlet_test::has_abstract_unix_names) OUTLET_TEST_SKIP("Linux has the abstract namespace: \"@name\" is valid");
  check_unix_rejects("@outlet-abstract", "only Linux");
}

// --- any / loopback ------------------------------------------------------------

// any() and loopback() for both IP families are the usual wildcard and loopback addresses.
TEST_CASE("Address::any and Address::loopback for IPv4 and IPv6", "[address]") {
  const Address any4 = Address::any(Family::ipv4, 80);
  CHECK(any4 == Address::ipv4("0.0.0.0", 80));
  CHECK(any4.to_string() == "0.0.0.0:80");
  CHECK(native_in(any4).sin_addr.s_addr == htonl(0));

  const Address any6 = Address::any(Family::ipv6, 81);
  CHECK(any6 == Address::ipv6("::", 81));
  CHECK(any6.to_string() == "[::]:81");
  CHECK(is_v6_zero_or_one(native_in6(any6).sin6_addr, false));

  const Address lo4 = Address::loopback(Family::ipv4, 65535);
  CHECK(lo4 == Address::ipv4("127.0.0.1", 65535));
  CHECK(lo4.to_string() == "127.0.0.1:65535");
  CHECK(native_in(lo4).sin_port == htons(65535));

  const Address lo6 = Address::loopback(Family::ipv6, 0);
  CHECK(lo6 == Address::ipv6("::1", 0));
  CHECK(lo6.to_string() == "[::1]:0");
  CHECK(is_v6_zero_or_one(native_in6(lo6).sin6_addr, true));

  std::error_code ec = std::make_error_code(std::errc::io_error);
  CHECK(Address::any(Family::ipv6, 7, ec) == Address::ipv6("::", 7));
  CHECK_FALSE(ec);
  ec = std::make_error_code(std::errc::io_error);
  CHECK(Address::loopback(Family::ipv4, 7, ec) == Address::ipv4("127.0.0.1", 7));
  CHECK_FALSE(ec);
}

// Unix-domain sockets have no wildcard or loopback address.
TEST_CASE("Address::any and Address::loopback reject the Unix family", "[address]") {
  check_rejects(
      "Address::any", "unix_domain", "not an IP family", [] { return Address::any(Family::unix_domain, 80); },
      [](std::error_code& ec) { return Address::any(Family::unix_domain, 80, ec); });
  check_rejects(
      "Address::loopback", "unix_domain", "not an IP family", [] { return Address::loopback(Family::unix_domain, 80); },
      [](std::error_code& ec) { return Address::loopback(Family::unix_domain, 80, ec); });
}

// --- parse ----------------------------------------------------------------------

// Every documented form parses to the address its factory builds.
TEST_CASE("Address::parse accepts every documented form", "[address]") {
  CHECK(Address::parse("1.2.3.4:80") == Address::ipv4("1.2.3.4", 80));
  CHECK(Address::parse("0.0.0.0:0") == Address::any(Family::ipv4, 0));
  CHECK(Address::parse("255.255.255.255:65535") == Address::ipv4("255.255.255.255", 65535));
  CHECK(Address::parse("[::1]:80") == Address::loopback(Family::ipv6, 80));
  CHECK(Address::parse("[::]:0") == Address::any(Family::ipv6, 0));
  CHECK(Address::parse("[2001:db8::1]:443") == Address::ipv6("2001:db8::1", 443));
  CHECK(Address::parse("[::ffff:127.0.0.1]:80") == Address::ipv6("::ffff:127.0.0.1", 80));
  CHECK(Address::parse("[fe80::1%4000000]:80") == Address::ipv6("fe80::1%4000000", 80));
  CHECK(Address::parse("unix:/tmp/x.sock") == Address::unix_domain("/tmp/x.sock"));
  CHECK(Address::parse("unix:relative.sock") == Address::unix_domain("relative.sock"));
  CHECK(Address::parse("unix:") == Address::unix_domain(""));
#if defined(__linux__)
  CHECK(Address::parse("[fe80::1%lo]:80") == Address::ipv6("fe80::1%lo", 80));
  CHECK(Address::parse("unix:@name") == Address::unix_domain("@name"));
#endif  // defined(__linux__)

  std::error_code ec = std::make_error_code(std::errc::io_error);
  CHECK(Address::parse("[::1]:9", ec) == Address::ipv6("::1", 9));
  CHECK_FALSE(ec);
}

// The invariant: parse(a.to_string()) == a, and canonical text reads back unchanged.
TEST_CASE("Address::parse inverts to_string over a sample of addresses", "[address]") {
  for (const Address& a : sample_addresses()) {
    INFO("address: " << a.to_string());
    std::error_code ec;
    const Address back = Address::parse(a.to_string(), ec);
    CHECK_FALSE(ec);
    CHECK(back == a);
    CHECK(back.to_string() == a.to_string());
    CHECK(back.native_size() == a.native_size());
  }
  const char* canonical[] = {"0.0.0.0:0",           "127.0.0.1:65535",    "[::1]:0",
                             "[::]:65535",          "[2001:db8::1]:8080", "[::ffff:10.0.0.1]:1",
                             "[fe80::1%4000000]:2", "unix:/tmp/a.sock",   "unix:"};
  for (const char* text : canonical) {
    INFO("text: " << text);
    CHECK(Address::parse(text).to_string() == text);
  }
}

// Malformed text: each fault fails with invalid_argument and a message that names it.
TEST_CASE("Address::parse rejects malformed text", "[address]") {
  check_parse_rejects("", "empty");
  check_parse_rejects("garbage", "port");
  check_parse_rejects("1.2.3.4", ":port");
  check_parse_rejects("1.2.3.4:", "port");
  check_parse_rejects("1.2.3.4:65536", "0-65535");
  check_parse_rejects("1.2.3.4:99999", "0-65535");
  check_parse_rejects("1.2.3.4:123456", "0-65535");
  check_parse_rejects("1.2.3.4:-1", "0-65535");
  check_parse_rejects("1.2.3.4:+80", "0-65535");
  check_parse_rejects("1.2.3.4: 80", "0-65535");
  check_parse_rejects("1.2.3.4:80x", "0-65535");
  check_parse_rejects("[::1]:", "0-65535");
  check_parse_rejects("[::1]:65536", "0-65535");
  check_parse_rejects("256.1.1.1:80", "numeric");
  check_parse_rejects("1.2.3:80", "numeric");
}

// IPv6 needs brackets, and a '[' must be closed.
TEST_CASE("Address::parse rejects IPv6 without brackets and an unclosed bracket", "[address]") {
  check_parse_rejects("::1:80", "without brackets");
  check_parse_rejects("2001:db8::1:443", "without brackets");
  check_parse_rejects("::1", "without brackets");
  check_parse_rejects("[::1:80", "unclosed");
  check_parse_rejects("[:80", "unclosed");
  check_parse_rejects("[1.2.3.4]:80", "is an IPv4 address, not IPv6");
  check_parse_rejects("[]:80", "is not an IPv6 address");
  check_parse_rejects("[fe80::1%no-such-if0]:80", "unknown network interface");
  check_parse_rejects("[fe80::1%]:80", "empty scope");
  check_parse_rejects("[::1]", "no \":port\"");
  check_parse_rejects("[::1]x80", "after ']'");
}

// Host names are not parsed; the message points to resolve().
TEST_CASE("Address::parse rejects host names with a hint to resolve", "[address]") {
  check_parse_rejects("localhost:80", "outlet::resolve");
  check_parse_rejects("example.com:443", "outlet::resolve");
}

// An embedded NUL is rejected; unprintable bytes appear escaped in what().
TEST_CASE("Address::parse rejects an embedded NUL and escapes unprintable bytes", "[address]") {
  const std::string_view with_nul("1.2.3.4\0:80", 11);
  check_parse_rejects(with_nul, "NUL");
  CHECK(contains(rejection([&] { return Address::parse(with_nul); }), "\"1.2.3.4\\x00:80\""));
  check_parse_rejects(std::string_view("unix:/tmp/a\0b", 13), "NUL");
  check_parse_rejects(std::string_view("1.2.3.4:80\0", 11), "NUL");

  const std::string newline = rejection([] { return Address::parse("1.2.3.4\n:80"); });
  CHECK(contains(newline, "\"1.2.3.4\\x0a:80\""));
  const std::string quote = rejection([] { return Address::parse("\"x\":80"); });
  CHECK(contains(quote, "\"\\\"x\\\":80\""));
}

// --- from_native ------------------------------------------------------------------

// A sockaddr_in with junk in sin_zero equals the canonical Address.
TEST_CASE("Address::from_native copies a sockaddr_in and drops the padding", "[address]") {
  sockaddr_in sin{};
  std::memset(&sin, 0xab, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(4242);
  sin.sin_addr.s_addr = htonl(0x0a010203);
  const Address a = Address::from_native(reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
  const Address expected = Address::ipv4("10.1.2.3", 4242);
  CHECK(a == expected);
  CHECK(std::hash<Address>{}(a) == std::hash<Address>{}(expected));
  CHECK(a.native_size() == static_cast<socklen_t>(sizeof(sockaddr_in)));
  CHECK(std::memcmp(a.native(), expected.native(), sizeof(sockaddr_in)) == 0);

  // A longer buffer (a whole sockaddr_storage) is fine too.
  sockaddr_storage storage{};
  std::memcpy(&storage, &sin, sizeof sin);
  CHECK(Address::from_native(reinterpret_cast<const sockaddr*>(&storage), sizeof storage) == expected);
}

// A sockaddr_in6 with a flow label equals the canonical Address; the scope is kept.
TEST_CASE("Address::from_native copies a sockaddr_in6 and drops the flow label", "[address]") {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(4242);
  sin6.sin6_flowinfo = htonl(0x000abcde);
  sin6.sin6_addr.s6_addr[0] = 0xfe;
  sin6.sin6_addr.s6_addr[1] = 0x80;
  sin6.sin6_addr.s6_addr[15] = 0x01;
  const Address unscoped = Address::from_native(reinterpret_cast<const sockaddr*>(&sin6), sizeof sin6);
  CHECK(unscoped == Address::ipv6("fe80::1", 4242));
  CHECK(std::hash<Address>{}(unscoped) == std::hash<Address>{}(Address::ipv6("fe80::1", 4242)));
  CHECK(native_in6(unscoped).sin6_flowinfo == 0);

  sin6.sin6_scope_id = 4000000;
  const Address scoped = Address::from_native(reinterpret_cast<const sockaddr*>(&sin6), sizeof sin6);
  CHECK(scoped == Address::ipv6("fe80::1%4000000", 4242));
  CHECK(scoped != unscoped);
}

// A Unix path is read up to its NUL, whether or not the length counts the NUL.
TEST_CASE("Address::from_native reads a Unix path with or without its NUL", "[address]") {
  const std::string path = "/tmp/outlet-native.sock";
  UnixSockaddr sun{};
  std::memset(&sun, 0x5a, sizeof sun);  // junk after the path must not matter
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  const auto* sa = reinterpret_cast<const sockaddr*>(&sun);
  const Address expected = Address::unix_domain(path);

  const Address with_nul = Address::from_native(sa, static_cast<socklen_t>(unix_path_offset + path.size() + 1));
  const Address without_nul = Address::from_native(sa, static_cast<socklen_t>(unix_path_offset + path.size()));
  const Address whole = Address::from_native(sa, static_cast<socklen_t>(sizeof sun));
  CHECK(with_nul == expected);
  CHECK(without_nul == expected);
  CHECK(whole == expected);
  CHECK(without_nul.path() == path);
  CHECK(without_nul.native_size() == expected.native_size());
  CHECK(std::hash<Address>{}(whole) == std::hash<Address>{}(expected));

  // The longest path, with no room left for a NUL, is still whole.
  const std::string longest = padded("/tmp/", unix_path_capacity - 1);
  std::memcpy(sun.sun_path, longest.data(), longest.size());
  CHECK(Address::from_native(sa, static_cast<socklen_t>(unix_path_offset + longest.size())).path() == longest);

  // sun_path full to the last byte has no NUL at all: rejected, not truncated.
  std::memset(sun.sun_path, 'a', unix_path_capacity);
  std::error_code ec;
  CHECK(Address::from_native(sa, static_cast<socklen_t>(sizeof sun), ec).empty());
  CHECK(ec == std::errc::invalid_argument);
}

// A length that stops at sun_path is the unnamed address.
TEST_CASE("Address::from_native reads the unnamed Unix address", "[address]") {
  UnixSockaddr sun{};
  sun.sun_family = AF_UNIX;
  const Address a =
      Address::from_native(reinterpret_cast<const sockaddr*>(&sun), static_cast<socklen_t>(unix_path_offset));
  CHECK(a == Address::unix_domain(""));
  CHECK(a.path().empty());
  CHECK(a.to_string() == "unix:");
}

// A leading NUL in sun_path is an abstract name, read to the given length.
TEST_CASE("Address::from_native reads a Linux abstract name", "[address]") {
  OUTLET_TEST_REQUIRE_ABSTRACT_UNIX_NAMES();
  const std::string name = "outlet-native-abstract";
  UnixSockaddr sun{};
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path + 1, name.data(), name.size());
  const Address a = Address::from_native(reinterpret_cast<const sockaddr*>(&sun),
                                         static_cast<socklen_t>(unix_path_offset + 1 + name.size()));
  CHECK(a == Address::unix_domain("@" + name));
  CHECK(a.path() == "@" + name);
}

// Null, too short, too long and unknown-family input fails in both forms.
TEST_CASE("Address::from_native rejects null and short and unsupported input", "[address]") {
  sockaddr_storage storage{};
  const auto* sa = reinterpret_cast<const sockaddr*>(&storage);
  auto check = [](const sockaddr* p, socklen_t size) {
    INFO("size: " << size);
    std::error_code ec;
    CHECK(Address::from_native(p, size, ec).empty());
    CHECK(ec == std::errc::invalid_argument);
    const std::string what = rejection([&] { return Address::from_native(p, size); });
    CHECK(what.rfind("Address::from_native", 0) == 0);
  };
  check(nullptr, 0);
  check(nullptr, static_cast<socklen_t>(sizeof storage));
  check(sa, 0);
  check(sa, 1);

  storage.ss_family = AF_INET;
  check(sa, static_cast<socklen_t>(sizeof(sockaddr_in) - 1));
  check(sa, static_cast<socklen_t>(offsetof(sockaddr_in, sin_addr)));
  storage.ss_family = AF_INET6;
  check(sa, static_cast<socklen_t>(sizeof(sockaddr_in6) - 1));
  check(sa, static_cast<socklen_t>(sizeof(sockaddr_in)));
  storage.ss_family = AF_UNIX;
  check(sa, static_cast<socklen_t>(sizeof(UnixSockaddr) + 1));
  storage.ss_family = AF_UNSPEC;
  check(sa, static_cast<socklen_t>(sizeof storage));
}

// Every Address reads back from its own native() bytes unchanged.
TEST_CASE("Address::from_native inverts native over a sample of addresses", "[address]") {
  for (const Address& a : sample_addresses()) {
    INFO("address: " << a.to_string());
    std::error_code ec = std::make_error_code(std::errc::io_error);
    const Address back = Address::from_native(a.native(), a.native_size(), ec);
    CHECK_FALSE(ec);
    CHECK(back == a);
    CHECK(back.native_size() == a.native_size());
  }
}

// --- comparisons, hashing, copies, streaming ---------------------------------------

// == and != agree, and distinct addresses compare unequal.
TEST_CASE("Address equality distinguishes every sample address", "[address]") {
  const std::vector<Address> sample = sample_addresses();
  for (std::size_t i = 0; i < sample.size(); ++i) {
    for (std::size_t j = 0; j < sample.size(); ++j) {
      INFO(sample[i].to_string() << " vs " << sample[j].to_string());
      CHECK((sample[i] == sample[j]) == (i == j));
      CHECK((sample[i] != sample[j]) == (i != j));
    }
  }
  // Same address, different port; same port, different address; same bytes, different family.
  CHECK(Address::ipv4("1.2.3.4", 80) != Address::ipv4("1.2.3.4", 81));
  CHECK(Address::ipv4("1.2.3.4", 80) != Address::ipv4("1.2.3.5", 80));
  CHECK(Address::ipv6("::1", 80) != Address::ipv6("::1%4000000", 80));
  CHECK(Address::unix_domain("/a") != Address::unix_domain("/a/"));
}

// < is a strict weak order consistent with ==.
TEST_CASE("Address ordering is a strict total order over a sample", "[address]") {
  const std::vector<Address> sample = sample_addresses();
  const std::size_t n = sample.size();
  int violations = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Address& a = sample[i];
    if (a < a || a > a || !(a <= a) || !(a >= a)) ++violations;
    for (std::size_t j = 0; j < n; ++j) {
      const Address& b = sample[j];
      const int relations = (a < b ? 1 : 0) + (b < a ? 1 : 0) + (a == b ? 1 : 0);
      if (relations != 1) ++violations;
      if ((a > b) != (b < a) || (a <= b) != !(b < a) || (a >= b) != !(a < b)) ++violations;
      for (std::size_t k = 0; k < n; ++k) {
        if (a < b && b < sample[k] && !(a < sample[k])) ++violations;
      }
    }
  }
  CHECK(violations == 0);

  // IPv4 sorts by the numeric address first, then by port.
  CHECK(Address::ipv4("9.0.0.1", 80) < Address::ipv4("10.0.0.1", 80));
  CHECK(Address::ipv4("1.2.3.4", 443) < Address::ipv4("1.2.3.5", 80));
  CHECK(Address::ipv4("1.2.3.4", 80) < Address::ipv4("1.2.3.4", 443));
}

// sort + unique over a sample with duplicates leaves each address once.
TEST_CASE("Address sorts and deduplicates with std::sort and std::unique", "[address]") {
  const std::vector<Address> sample = sample_addresses();
  std::vector<Address> v = sample;
  for (const Address& a : sample) v.push_back(Address::parse(a.to_string()));
  std::reverse(v.begin(), v.end());
  std::sort(v.begin(), v.end());
  CHECK(std::is_sorted(v.begin(), v.end()));
  v.erase(std::unique(v.begin(), v.end()), v.end());
  CHECK(v.size() == sample.size());
  for (const Address& a : sample) CHECK(std::binary_search(v.begin(), v.end(), a));
}

// std::hash agrees with ==, so an unordered_set drops duplicates built any way.
TEST_CASE("Address hashing is consistent with equality", "[address]") {
  const std::vector<Address> sample = sample_addresses();
  std::unordered_set<Address> set(sample.begin(), sample.end());
  CHECK(set.size() == sample.size());
  for (const Address& a : sample) {
    const Address parsed = Address::parse(a.to_string());
    const Address native = Address::from_native(a.native(), a.native_size());
    CHECK(std::hash<Address>{}(parsed) == std::hash<Address>{}(a));
    CHECK(std::hash<Address>{}(native) == std::hash<Address>{}(a));
    CHECK(a.hash() == std::hash<Address>{}(a));
    set.insert(parsed);
    set.insert(native);
  }
  CHECK(set.size() == sample.size());
  set.insert(Address{});
  set.insert(Address{});
  CHECK(set.size() == sample.size() + 1);
}

// A default Address is empty: no family, no text, no bytes, equal to every other empty one.
TEST_CASE("Address default-constructed is empty", "[address]") {
  const Address a;
  CHECK(a.empty());
  CHECK(a.family() != Family::ipv4);
  CHECK(a.family() != Family::ipv6);
  CHECK(a.family() != Family::unix_domain);
  CHECK(a.port() == 0);
  CHECK(a.ip().empty());
  CHECK(a.path().empty());
  CHECK(a.to_string().empty());
  CHECK(a.native_size() == 0);
  CHECK(a == Address{});
  CHECK_FALSE(a != Address{});
  CHECK_FALSE(a < Address{});
  CHECK(a.with_port(80).empty());
  CHECK(std::hash<Address>{}(a) == std::hash<Address>{}(Address{}));
  for (const Address& b : sample_addresses()) {
    CHECK(a != b);
    CHECK((a < b || b < a));
  }
  std::error_code ec;
  CHECK(Address::parse("nonsense", ec) == a);
}

// Copies are equal and independent.
TEST_CASE("Address copies are equal and independent", "[address]") {
  const Address original = Address::ipv6("2001:db8::7", 7000);
  Address copy(original);
  CHECK(copy == original);
  CHECK(copy.to_string() == original.to_string());
  Address assigned = Address::unix_domain("/tmp/other");
  assigned = original;
  CHECK(assigned == original);
  copy = copy.with_port(7001);
  CHECK(copy.port() == 7001);
  CHECK(original.port() == 7000);
  CHECK(copy != original);
}

// operator<< writes exactly to_string().
TEST_CASE("Address operator<< writes to_string", "[address]") {
  for (const Address& a : sample_addresses()) {
    std::ostringstream out;
    out << a;
    CHECK(out.str() == a.to_string());
  }
  std::ostringstream empty;
  empty << '<' << Address{} << '>';
  CHECK(empty.str() == "<>");
}

// with_port replaces only the port; Unix and empty addresses are unchanged.
TEST_CASE("Address::with_port replaces only the port", "[address]") {
  const Address v4 = Address::ipv4("10.0.0.1", 1).with_port(65535);
  CHECK(v4 == Address::ipv4("10.0.0.1", 65535));
  const Address v6 = Address::ipv6("fe80::1%4000000", 1).with_port(0);
  CHECK(v6 == Address::ipv6("fe80::1%4000000", 0));
  CHECK(v6.ip() == "fe80::1%4000000");
  const Address path = Address::unix_domain("/tmp/p");
  CHECK(path.with_port(80) == path);
  CHECK(path.with_port(80).port() == 0);
}

// --- resolve -------------------------------------------------------------------------

// A numeric IPv4 host resolves to exactly itself with the port.
TEST_CASE("resolve of a numeric IPv4 host gives exactly that address", "[address]") {
  const std::vector<Address> v = outlet::resolve("127.0.0.1", 8080);
  REQUIRE(v.size() == 1);
  CHECK(v[0] == Address::ipv4("127.0.0.1", 8080));

  std::error_code ec = std::make_error_code(std::errc::io_error);
  const std::vector<Address> w = outlet::resolve("127.0.0.1", 0, ec);
  CHECK_FALSE(ec);
  REQUIRE(w.size() == 1);
  CHECK(w[0] == Address::ipv4("127.0.0.1", 0));
}

// An IPv6 literal resolves with or without brackets.
TEST_CASE("resolve of an IPv6 literal accepts brackets", "[address]") {
  const std::vector<Address> bracketed = outlet::resolve("[::1]", 443);
  REQUIRE(bracketed.size() == 1);
  CHECK(bracketed[0] == Address::ipv6("::1", 443));
  const std::vector<Address> bare = outlet::resolve("::1", 443);
  REQUIRE(bare.size() == 1);
  CHECK(bare[0] == bracketed[0]);
}

// "localhost" gives only loopback addresses, each once, each with the port.
TEST_CASE("resolve of localhost gives loopback addresses with the port", "[address]") {
  OUTLET_TEST_REQUIRE_LOCALHOST();
  const std::vector<Address> v = outlet::resolve("localhost", 1234);
  REQUIRE_FALSE(v.empty());
  for (const Address& a : v) {
    INFO("address: " << a.to_string());
    CHECK(a.port() == 1234);
    const bool loopback4 = a.family() == Family::ipv4 && a.ip().rfind("127.", 0) == 0;
    const bool loopback6 = a == Address::loopback(Family::ipv6, 1234);
    CHECK((loopback4 || loopback6));
  }
  std::vector<Address> unique = v;
  std::sort(unique.begin(), unique.end());
  CHECK(std::unique(unique.begin(), unique.end()) == unique.end());
}

// An empty host or one with a NUL is bad input, not a lookup failure.
TEST_CASE("resolve rejects an empty host and an embedded NUL", "[address]") {
  const std::string_view with_nul("local\0host", 10);
  for (std::string_view host : {std::string_view(""), std::string_view("[]"), with_nul}) {
    INFO("host: " << outlet::detail::quote(host));
    std::error_code ec;
    CHECK(outlet::resolve(host, 80, ec).empty());
    CHECK(ec == std::errc::invalid_argument);
    const std::string what = rejection([&] { return outlet::resolve(host, 80); });
    CHECK(what.rfind("resolve " + outlet::detail::quote(host), 0) == 0);
  }
  CHECK(contains(rejection([] { return outlet::resolve("", 80); }), "empty"));
  CHECK(contains(rejection([] { return outlet::resolve("[]", 80); }), "empty"));
  CHECK(contains(rejection([&] { return outlet::resolve(with_nul, 80); }), "\"local\\x00host\""));
}

// A name under the reserved .invalid TLD fails in resolve_category, quoting the host.
TEST_CASE("resolve of an unknown host fails in resolve_category", "[address]") {
  const std::string host = "no-such-host.invalid";
  std::error_code ec;
  const std::vector<Address> v = outlet::resolve(host, 80, ec);
  CHECK(v.empty());
  REQUIRE(ec);
  CHECK(ec.category() == outlet::resolve_category());
  CHECK_FALSE(ec.message().empty());
  CHECK_FALSE(std::string(outlet::resolve_category().name()).empty());

  try {
    (void)outlet::resolve(host, 80);
    FAIL("resolve of a .invalid name did not throw");
  } catch (const std::system_error& e) {
    const std::string what = e.what();
    INFO("what(): " << what);
    CHECK(e.code().category() == outlet::resolve_category());
    CHECK(what.rfind("resolve \"no-such-host.invalid\"", 0) == 0);
  }
}

// is_multicast(): 224.0.0.0/4 and ff00::/8, nothing else.
TEST_CASE("Address::is_multicast knows the IPv4 and IPv6 multicast ranges", "[address]") {
  CHECK(Address::ipv4("224.0.0.1", 0).is_multicast());
  CHECK(Address::ipv4("239.255.255.255", 80).is_multicast());
  CHECK(Address::ipv4("232.1.1.1", 0).is_multicast());
  CHECK_FALSE(Address::ipv4("223.255.255.255", 0).is_multicast());
  CHECK_FALSE(Address::ipv4("240.0.0.1", 0).is_multicast());
  CHECK_FALSE(Address::ipv4("127.0.0.1", 0).is_multicast());
  CHECK(Address::ipv6("ff02::1", 0).is_multicast());
  CHECK(Address::ipv6("ff3e::8000:1", 0).is_multicast());
  CHECK_FALSE(Address::ipv6("fe80::1", 0).is_multicast());
  CHECK_FALSE(Address::ipv6("::ffff:224.0.0.1", 0).is_multicast());
  CHECK_FALSE(Address().is_multicast());
  CHECK_FALSE(Address::unix_domain("/tmp/x").is_multicast());
}
