// Tests for multicast on outlet/datagram_socket.hpp and for
// outlet/network_interface.hpp: joining and leaving groups (any-source and
// source-specific) with real traffic inside a network namespace each case
// makes for itself (IPv4 on its loopback, IPv6 over a veth pair), the
// multicast options read back, interface names and indexes, and bad input.
#include <outlet/outlet.hpp>

#include "catch.hpp"
#include "netns_support.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#if !defined(_WIN32)
#include <net/if.h>
#endif  // !defined(_WIN32)

using outlet::Address;
using outlet::DatagramSocket;
using outlet::Family;
using namespace std::chrono_literals;

namespace {

using outlet_test::Thrown;
using outlet_test::thrown_by;

// A lost datagram fails the test after this long instead of hanging it.
constexpr auto guard_timeout = std::chrono::seconds(10);
// How long a socket that must get nothing is watched, once a socket that
// shares its group has had the same datagram (the kernel hands a datagram
// to every member in one pass, so by then it would have arrived).
constexpr auto quiet_timeout = std::chrono::milliseconds(300);

// The namespace's loopback, up and able to multicast (a fresh namespace has
// it down and without IFF_MULTICAST).
const std::vector<std::string> loopback_setup = {"ip link set lo up", "ip link set lo multicast on"};

// Two interfaces joined by a virtual cable, each with a fixed link-local
// address (nodad: usable at once, no duplicate address detection).
const std::vector<std::string> veth_setup = {
    "ip link add name mcast0 type veth peer name mcast1", "ip link set mcast0 up", "ip link set mcast1 up",
    "ip -6 addr add fe80::a/64 dev mcast0 nodad", "ip -6 addr add fe80::b/64 dev mcast1 nodad"};

// The next datagram on `s` (which has a receive timeout), as text.
std::string receive_text(DatagramSocket& s, Address& from) {
  char buf[512];
  const std::size_t n = s.receive_from(buf, sizeof buf, from);
  return std::string(buf, n);
}

// Whether `s` gets the datagram `text` within quiet_timeout (anything else
// queued before it, such as a copy of an earlier datagram, is skipped).
bool receives_within_quiet_time(DatagramSocket& s, const std::string& text) {
  while (s.wait_readable(quiet_timeout)) {
    Address from;
    if (receive_text(s, from) == text) return true;
  }
  return false;
}

// A socket bound to the wildcard address of `family`, port 0 read back.
DatagramSocket bound_receiver(Family family) {
  DatagramSocket s(Address::any(family, 0));
  s.set_receive_timeout(guard_timeout);
  return s;
}

}  // namespace

// --- traffic, in a namespace of the case's own --------------------------------------------

TEST_CASE("IPv4 multicast on loopback: a joined socket receives, and after leaving it does not",
          "[multicast][multicast-netns]") {
  const std::string skip = outlet_test::run_in_new_network_namespace(loopback_setup, [] {
    const unsigned lo = outlet::interface_index("lo");
    DatagramSocket member(Family::ipv4);
    DatagramSocket witness(Family::ipv4);  // stays a member throughout, on the same port
    member.set_reuse_address(true);
    witness.set_reuse_address(true);
    member.bind(Address::any(Family::ipv4, 0));
    const std::uint16_t port = member.local_address().port();
    REQUIRE(port != 0);
    witness.bind(Address::any(Family::ipv4, port));
    member.set_receive_timeout(guard_timeout);
    witness.set_receive_timeout(guard_timeout);
    // Otherwise Linux hands the member the groups the witness joined too.
    outlet_test::receive_only_own_groups(member);

    const Address group = Address::ipv4("239.255.77.1", port);
    member.join_group(group, lo);
    witness.join_group(group, lo);
    DatagramSocket sender(Family::ipv4);
    sender.set_multicast_interface(Address::ipv4("127.0.0.1", 0));

    sender.send_to("joined", group);
    Address from;
    CHECK(receive_text(member, from) == "joined");
    CHECK(from.ip() == "127.0.0.1");
    CHECK(receive_text(witness, from) == "joined");

    member.leave_group(group, lo);
    sender.send_to("left", group);
    CHECK(receives_within_quiet_time(witness, "left"));       // it was sent and delivered...
    CHECK_FALSE(receives_within_quiet_time(member, "left"));  // ...but not to a socket that left
  });
  if (!skip.empty()) OUTLET_TEST_SKIP(skip);
}

TEST_CASE("IPv4 multicast: the outgoing interface by index works as by address", "[multicast][multicast-netns]") {
  const std::string skip = outlet_test::run_in_new_network_namespace(loopback_setup, [] {
    const unsigned lo = outlet::interface_index("lo");
    DatagramSocket member = bound_receiver(Family::ipv4);
    const Address group = Address::ipv4("239.255.77.2", member.local_address().port());
    member.join_group(group, lo);
    DatagramSocket sender(Family::ipv4);
    // No route covers 239.0.0.0/8 in this namespace: without an outgoing
    // interface the send fails, which shows the index is what routes it.
    std::error_code ec;
    sender.send_to("unrouted", group, ec);
    CHECK(ec == std::errc::network_unreachable);
    sender.set_multicast_interface(lo);
    sender.send_to("by index", group);
    Address from;
    CHECK(receive_text(member, from) == "by index");
  });
  if (!skip.empty()) OUTLET_TEST_SKIP(skip);
}

TEST_CASE("IPv4 source-specific multicast: only the chosen source's datagrams arrive", "[multicast][multicast-netns]") {
  if (!outlet::detail::sys::has_source_multicast) OUTLET_TEST_SKIP("this OS has no MCAST_JOIN_SOURCE_GROUP");
  const std::string skip = outlet_test::run_in_new_network_namespace(loopback_setup, [] {
    const unsigned lo = outlet::interface_index("lo");
    DatagramSocket member(Family::ipv4);
    DatagramSocket witness(Family::ipv4);  // any-source member of the same group and port
    member.set_reuse_address(true);
    witness.set_reuse_address(true);
    member.bind(Address::any(Family::ipv4, 0));
    const std::uint16_t port = member.local_address().port();
    witness.bind(Address::any(Family::ipv4, port));
    member.set_receive_timeout(guard_timeout);
    witness.set_receive_timeout(guard_timeout);
    // Otherwise Linux hands the member the groups the witness joined too.
    outlet_test::receive_only_own_groups(member);

    const Address group = Address::ipv4("232.1.77.1", port);  // the SSM range
    const Address chosen = Address::ipv4("127.0.0.1", 0);
    member.join_source_group(group, chosen, lo);
    witness.join_group(group, lo);
    DatagramSocket from_chosen(Address::ipv4("127.0.0.1", 0));
    DatagramSocket from_other(Address::ipv4("127.0.0.2", 0));
    from_chosen.set_multicast_interface(lo);
    from_other.set_multicast_interface(lo);

    from_other.send_to("other", group);
    CHECK(receives_within_quiet_time(witness, "other"));
    CHECK_FALSE(receives_within_quiet_time(member, "other"));
    from_chosen.send_to("chosen", group);
    Address from;
    CHECK(receive_text(member, from) == "chosen");
    CHECK(from.ip() == "127.0.0.1");

    member.leave_source_group(group, chosen, lo);
    from_chosen.send_to("after leaving", group);
    CHECK(receives_within_quiet_time(witness, "after leaving"));
    CHECK_FALSE(receives_within_quiet_time(member, "after leaving"));
    // Leaving twice is an error that names the group, the source and the interface.
    const Thrown t = thrown_by([&] { member.leave_source_group(group, chosen, lo); });
    CHECK(t.thrown);
    CHECK(t.what.find("leave_source_group 232.1.77.1 from 127.0.0.1 on interface " + std::to_string(lo) +
                      " (\"lo\")") != std::string::npos);
  });
  if (!skip.empty()) OUTLET_TEST_SKIP(skip);
}

TEST_CASE("IPv6 multicast over a veth pair: joined by interface index on one end, sent from the other",
          "[multicast][multicast-netns]") {
  const std::string skip = outlet_test::run_in_new_network_namespace(veth_setup, [] {
    const unsigned near_end = outlet::interface_index("mcast0");
    const unsigned far_end = outlet::interface_index("mcast1");
    REQUIRE(near_end != far_end);
    DatagramSocket member = bound_receiver(Family::ipv6);
    const std::uint16_t port = member.local_address().port();
    const Address group = Address::ipv6("ff02::6f75:746c", port);
    member.join_group(group, far_end);

    DatagramSocket sender(Address::ipv6("fe80::a%mcast0", 0));
    sender.set_multicast_interface(near_end);
    sender.set_multicast_loopback(false);  // only what crossed the cable counts
    sender.send_to("over the cable", group);
    Address from;
    CHECK(receive_text(member, from) == "over the cable");
    CHECK(from.ip() == "fe80::a%mcast1");  // it arrived on the far end

    member.leave_group(group, far_end);
    // A group's scope id stands for the interface: this joins on mcast1 again.
    member.join_group(Address::ipv6("ff02::6f75:746c%mcast1", port));
    sender.send_to("by scope", group);
    CHECK(receive_text(member, from) == "by scope");
    member.leave_group(Address::ipv6("ff02::6f75:746c%mcast1", port));
    sender.send_to("after leaving", group);
    CHECK_FALSE(member.wait_readable(quiet_timeout));
  });
  if (!skip.empty()) OUTLET_TEST_SKIP(skip);
}

TEST_CASE("interfaces() in a namespace lists exactly its interfaces, with their addresses and flags",
          "[multicast][multicast-netns][interfaces]") {
  // And an IPv4 address with a label ("mcast0:1"), which getifaddrs() names by the label.
  std::vector<std::string> setup = veth_setup;
  setup.push_back("ip addr add 10.77.0.1/24 dev mcast0 label mcast0:1");
  const std::string skip = outlet_test::run_in_new_network_namespace(setup, [] {
    const std::vector<outlet::NetworkInterface> list = outlet::interfaces();
    std::vector<std::string> names;
    for (const outlet::NetworkInterface& i : list) names.push_back(i.name);
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"lo", "mcast0", "mcast1"});
    for (const outlet::NetworkInterface& i : list) {
      CHECK(i.index == outlet::interface_index(i.name));
      if (i.name == "lo") {
        CHECK(i.loopback);
        CHECK_FALSE(i.up);  // a new namespace's loopback is down
      } else {
        CHECK(i.up);
        CHECK(i.multicast);
        CHECK_FALSE(i.loopback);
        const Address mine = Address::ipv6(i.name == "mcast0" ? "fe80::a%mcast0" : "fe80::b%mcast1", 0);
        CHECK(std::find(i.addresses.begin(), i.addresses.end(), mine) != i.addresses.end());
        const Address labelled = Address::ipv4("10.77.0.1", 0);
        CHECK((std::find(i.addresses.begin(), i.addresses.end(), labelled) != i.addresses.end()) ==
              (i.name == "mcast0"));
      }
    }
  });
  if (!skip.empty()) OUTLET_TEST_SKIP(skip);
}

// --- without traffic: what every platform (and Wine) runs -------------------------------------

TEST_CASE("interfaces() lists every interface once, each index matching interface_index()", "[interfaces]") {
  const std::vector<outlet::NetworkInterface> list = outlet::interfaces();
  REQUIRE_FALSE(list.empty());
  bool has_loopback = false;
  for (const outlet::NetworkInterface& i : list) {
    INFO(i.name);
    CHECK_FALSE(i.name.empty());
    CHECK(i.index != 0);
    CHECK(outlet::interface_index(i.name) == i.index);
    CHECK(outlet::interface_name(i.index) == i.name);
    for (const Address& a : i.addresses) {
      CHECK((a.family() == Family::ipv4 || a.family() == Family::ipv6));
      CHECK(a.port() == 0);
    }
    has_loopback = has_loopback || i.loopback;
    for (const outlet::NetworkInterface& j : list) CHECK((&i == &j || i.name != j.name));
  }
  CHECK(has_loopback);
  std::error_code ec = make_error_code(std::errc::io_error);
  CHECK(outlet::interfaces(ec).size() == list.size());
  CHECK_FALSE(ec);
}

TEST_CASE("interface_index(\"lo\") is if_nametoindex's answer", "[interfaces]") {
#if defined(_WIN32)
  OUTLET_TEST_SKIP("Linux and BSD name the loopback interface \"lo\" (or \"lo0\"); Windows does not");
#else
  const std::string lo = outlet_test::is_linux ? "lo" : "lo0";
  CHECK(outlet::interface_index(lo) == ::if_nametoindex(lo.c_str()));
  std::error_code ec = make_error_code(std::errc::io_error);
  CHECK(outlet::interface_index(lo, ec) == ::if_nametoindex(lo.c_str()));
  CHECK_FALSE(ec);
#endif  // defined(_WIN32)
}

TEST_CASE("interface_index and interface_name reject unknown and malformed input, quoting it", "[interfaces]") {
  Thrown t = thrown_by([] { (void)outlet::interface_index("no-such-if0"); });
  CHECK(t.code == std::errc::no_such_device);
  CHECK(t.what.find("interface_index \"no-such-if0\"") != std::string::npos);
  std::error_code ec;
  CHECK(outlet::interface_index("no-such-if0", ec) == 0);
  CHECK(ec == std::errc::no_such_device);

  t = thrown_by([] { (void)outlet::interface_index(""); });
  CHECK(t.code == std::errc::invalid_argument);
  CHECK(t.what.find("interface_index \"\": is an empty interface name") != std::string::npos);
  t = thrown_by([] { (void)outlet::interface_index(std::string_view("lo\0x", 4)); });
  CHECK(t.code == std::errc::invalid_argument);
  CHECK(t.what.find("interface_index \"lo\\x00x\": contains a NUL byte") != std::string::npos);
  CHECK(outlet::interface_index(std::string(300, 'x'), ec) == 0);  // longer than any name: none has it
  CHECK(ec == std::errc::no_such_device);

  t = thrown_by([] { (void)outlet::interface_name(4000000); });
  CHECK(t.code == std::errc::no_such_device);
  CHECK(t.what.find("interface_name 4000000") != std::string::npos);
  CHECK(outlet::interface_name(0, ec).empty());
  CHECK(ec == std::errc::no_such_device);
}

TEST_CASE("join_group rejects a group that is not multicast, quoting it, before any system call", "[multicast]") {
  DatagramSocket s(Address::loopback(Family::ipv4, 0));
  Thrown t = thrown_by([&] { s.join_group(Address::ipv4("10.1.2.3", 5000)); });
  CHECK(t.code == std::errc::invalid_argument);
  CHECK(t.what.find("join_group \"10.1.2.3\": is not a multicast address") != std::string::npos);
  t = thrown_by([&] { s.leave_group(Address::ipv6("2001:db8::1", 0), 1); });
  CHECK(t.code == std::errc::invalid_argument);
  CHECK(t.what.find("leave_group \"2001:db8::1\": is not a multicast address") != std::string::npos);
  t = thrown_by([&] { s.join_group(Address()); });
  CHECK(t.code == std::errc::invalid_argument);
  t = thrown_by([&] { s.join_source_group(Address::ipv4("232.1.1.1", 0), Address::ipv6("::1", 0)); });
  CHECK(t.code == std::errc::invalid_argument);
  CHECK(t.what.find("join_source_group \"232.1.1.1\" from \"::1\": and its source are not of one address family") !=
        std::string::npos);
  t = thrown_by([&] { s.join_source_group(Address::ipv4("232.1.1.1", 0), Address::ipv4("239.1.1.1", 0)); });
  CHECK(t.what.find("has a multicast address as its source") != std::string::npos);
  std::error_code ec;
  s.join_group(Address::ipv4("192.168.0.1", 0), 0, ec);
  CHECK(ec == std::errc::invalid_argument);
  // A hook that fails every option call: none was made for bad input,
  // while a good group reaches setsockopt().
  outlet_test::ScopedFaultHook hook([](outlet::detail::SysCall call, outlet::native_handle_type) {
    return call == outlet::detail::SysCall::option ? outlet_test::native_error::close_failure : 0;
  });
  s.join_group(Address::ipv4("192.168.0.1", 0), 0, ec);
  CHECK(ec == std::errc::invalid_argument);
  s.join_group(Address::ipv4("239.255.0.1", 0), 0, ec);
  CHECK(ec.value() == outlet_test::native_error::close_failure);
}

TEST_CASE("join_group errors name the group and the interface", "[multicast]") {
  DatagramSocket s(Address::loopback(Family::ipv4, 0));
  // An index no interface has.
  const Thrown t = thrown_by([&] { s.join_group(Address::ipv4("239.255.0.1", 0), 4000000); });
  CHECK(t.thrown);
  CHECK(t.what.find("join_group 239.255.0.1 on interface 4000000") != std::string::npos);
  DatagramSocket closed;
  const Thrown n = thrown_by([&] { closed.join_group(Address::ipv4("239.255.0.1", 0)); });
  CHECK(n.what.find("join_group 239.255.0.1 on the default interface: socket is not open") != std::string::npos);
}

TEST_CASE("multicast options read back what was set, on IPv4 and IPv6 sockets", "[multicast]") {
  for (Family family : {Family::ipv4, Family::ipv6}) {
    INFO((family == Family::ipv4 ? "IPv4" : "IPv6"));
    DatagramSocket s(family);  // unbound: the options follow the socket's family all the same
    CHECK(s.multicast_hops() == 1);
    s.set_multicast_hops(7);
    CHECK(s.multicast_hops() == 7);
    s.set_multicast_hops(0);
    CHECK(s.multicast_hops() == 0);
    s.set_multicast_hops(255);
    CHECK(s.multicast_hops() == 255);
    CHECK(s.multicast_loopback());
    s.set_multicast_loopback(false);
    CHECK_FALSE(s.multicast_loopback());
    s.set_multicast_loopback(true);
    CHECK(s.multicast_loopback());
    std::error_code ec;
    s.set_multicast_hops(256, ec);
    CHECK(ec == std::errc::invalid_argument);
    CHECK(s.multicast_hops() == 255);  // unchanged
    const Thrown t = thrown_by([&] { s.set_multicast_hops(-1); });
    CHECK(t.code == std::errc::invalid_argument);
    CHECK(t.what.find("set_multicast_hops(-1): not in 0-255") != std::string::npos);
  }
}

TEST_CASE("set_multicast_interface takes an index, or an IPv4 socket an address", "[multicast]") {
  DatagramSocket v4(Family::ipv4);
  v4.set_multicast_interface(Address::ipv4("127.0.0.1", 0));
  v4.set_multicast_interface(0u);  // back to the OS's choice
  std::error_code ec;
  v4.set_multicast_interface(Address::ipv6("::1", 0), ec);
  CHECK(ec == std::errc::invalid_argument);
  const Thrown t = thrown_by([&] { v4.set_multicast_interface(Address::ipv6("::1", 0)); });
  CHECK(t.what.find("set_multicast_interface \"::1\": is not an IPv4 address") != std::string::npos);
  const Thrown bad = thrown_by([&] { v4.set_multicast_interface(4000000u); });
  CHECK(bad.thrown);
  CHECK(bad.what.find("set_multicast_interface interface 4000000") != std::string::npos);

  DatagramSocket v6(Family::ipv6);
  // The loopback interface, which has IPv6 everywhere: the first one listed
  // may not (under Wine this failed once in about ten runs).
  unsigned loopback = 0;
  for (const outlet::NetworkInterface& i : outlet::interfaces())
    if (i.loopback && loopback == 0) loopback = i.index;
  REQUIRE(loopback != 0);
  v6.set_multicast_interface(loopback, ec);
  CHECK_FALSE(ec);
  v6.set_multicast_interface(0u);

  DatagramSocket closed;
  closed.set_multicast_hops(1, ec);
  CHECK(outlet::detail::is_not_open(ec));
}

TEST_CASE("An IPv6 socket joins and leaves a group on the loopback interface", "[multicast]") {
  // No traffic: joining only tells the loopback interface to accept the group.
  unsigned loopback = 0;
  for (const outlet::NetworkInterface& i : outlet::interfaces())
    if (i.loopback && loopback == 0) loopback = i.index;
  REQUIRE(loopback != 0);
  DatagramSocket s(Address::any(Family::ipv6, 0));
  const Address group = Address::ipv6("ff02::6f75:746c:1", 0);
  s.join_group(group, loopback);
  std::error_code ec;
  s.join_group(group, loopback, ec);  // twice on one interface: the OS refuses
  CHECK(ec);
  s.leave_group(group, loopback);
  const Thrown t = thrown_by([&] { s.leave_group(group, loopback); });  // no longer a member
  CHECK(t.thrown);
  CHECK(t.what.find("leave_group ff02::6f75:746c:1 on interface " + std::to_string(loopback) + " (\"" +
                    outlet::interface_name(loopback) + "\")") != std::string::npos);
}
