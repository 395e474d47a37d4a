// What outlet promises on every platform alike, tested with the same source
// on POSIX and on Windows (MinGW-w64 under Wine in CI):
//  - OS errors keep their native value (errno, WSAE*) and compare equal to
//    std::errc, whichever standard library maps what;
//  - Winsock starts by itself, from any thread;
//  - headers define no min/max macros and compile under <windows.h>'s;
//  - sockets are not inherited by child processes;
//  - a non-blocking connect says "in progress", a timed one learns a refusal
//    at once, and a UDP receive loop survives ICMP errors.
#include <outlet/outlet.hpp>

#if defined(min) || defined(max)
#error "including outlet defined a min or max macro"
#endif  // defined(min) || defined(max)

#include "catch.hpp"
#include "test_portability_macros.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#if !defined(_WIN32)
#include <cerrno>
#endif  // !defined(_WIN32)

using outlet::Address;
using outlet::Family;

namespace {

// The native value of an error: errno's name on POSIX, WSAGetLastError()'s on Windows.
#if defined(_WIN32)
#define OUTLET_TEST_NATIVE(posix, windows) windows
#else
#define OUTLET_TEST_NATIVE(posix, windows) posix
#endif  // defined(_WIN32)

struct NativeError {
  int code;
  std::errc condition;
  const char* name;
};

const NativeError native_errors[] = {
    {OUTLET_TEST_NATIVE(ECONNREFUSED, WSAECONNREFUSED), std::errc::connection_refused, "connection_refused"},
    {OUTLET_TEST_NATIVE(ETIMEDOUT, WSAETIMEDOUT), std::errc::timed_out, "timed_out"},
    {OUTLET_TEST_NATIVE(EWOULDBLOCK, WSAEWOULDBLOCK), std::errc::operation_would_block, "operation_would_block"},
    {OUTLET_TEST_NATIVE(EINPROGRESS, WSAEINPROGRESS), std::errc::operation_in_progress, "operation_in_progress"},
    {OUTLET_TEST_NATIVE(EADDRINUSE, WSAEADDRINUSE), std::errc::address_in_use, "address_in_use"},
    {OUTLET_TEST_NATIVE(EADDRNOTAVAIL, WSAEADDRNOTAVAIL), std::errc::address_not_available, "address_not_available"},
    {OUTLET_TEST_NATIVE(ECONNRESET, WSAECONNRESET), std::errc::connection_reset, "connection_reset"},
    {OUTLET_TEST_NATIVE(ECONNABORTED, WSAECONNABORTED), std::errc::connection_aborted, "connection_aborted"},
    {OUTLET_TEST_NATIVE(ENOTCONN, WSAENOTCONN), std::errc::not_connected, "not_connected"},
    {OUTLET_TEST_NATIVE(EISCONN, WSAEISCONN), std::errc::already_connected, "already_connected"},
    {OUTLET_TEST_NATIVE(EMFILE, WSAEMFILE), std::errc::too_many_files_open, "too_many_files_open"},
    {OUTLET_TEST_NATIVE(EMSGSIZE, WSAEMSGSIZE), std::errc::message_size, "message_size"},
    {OUTLET_TEST_NATIVE(ENETUNREACH, WSAENETUNREACH), std::errc::network_unreachable, "network_unreachable"},
    {OUTLET_TEST_NATIVE(EHOSTUNREACH, WSAEHOSTUNREACH), std::errc::host_unreachable, "host_unreachable"},
    {OUTLET_TEST_NATIVE(EAFNOSUPPORT, WSAEAFNOSUPPORT), std::errc::address_family_not_supported,
     "address_family_not_supported"},
    {OUTLET_TEST_NATIVE(ENOTSOCK, WSAENOTSOCK), std::errc::not_a_socket, "not_a_socket"},
    {OUTLET_TEST_NATIVE(ENOBUFS, WSAENOBUFS), std::errc::no_buffer_space, "no_buffer_space"},
    {OUTLET_TEST_NATIVE(EINTR, WSAEINTR), std::errc::interrupted, "interrupted"},
    {OUTLET_TEST_NATIVE(EINVAL, WSAEINVAL), std::errc::invalid_argument, "invalid_argument"},
    {OUTLET_TEST_NATIVE(EACCES, WSAEACCES), std::errc::permission_denied, "permission_denied"},
};

/// Whether a child process would inherit h (not close-on-exec; HANDLE_FLAG_INHERIT).
bool inheritable(outlet::native_handle_type h) {
#if defined(_WIN32)
  DWORD flags = 0;
  REQUIRE(::GetHandleInformation(reinterpret_cast<HANDLE>(h), &flags));
  return (flags & HANDLE_FLAG_INHERIT) != 0;
#else
  REQUIRE(::fcntl(h, F_GETFD) != -1);
  return !outlet_test::close_on_exec(h);
#endif  // defined(_WIN32)
}

}  // namespace

// --- errors ---------------------------------------------------------------------

// Each native socket error, in outlet::system_category(), is its std::errc.
TEST_CASE("native socket errors compare equal to their std::errc", "[portability]") {
  for (const NativeError& native : native_errors) {
    INFO(native.name << " (native " << native.code << ")");
    const std::error_code ec(native.code, outlet::system_category());
    CHECK(ec == native.condition);
    CHECK(ec.default_error_condition() == std::make_error_condition(native.condition));
    CHECK(ec.value() == native.code);
    CHECK(ec != std::errc::io_error);
    CHECK_FALSE(ec.message().empty());
    // outlet's own errors use exactly this category.
    const std::error_code reported = outlet::detail::sys::to_error_code(native.code);
    CHECK(reported.category() == outlet::system_category());
    CHECK(reported == native.condition);
  }
}

// The category is one object; on POSIX it is std::system_category() itself.
TEST_CASE("outlet::system_category is one object that names itself", "[portability]") {
  CHECK(&outlet::system_category() == &outlet::system_category());
  CHECK(outlet::system_category() != outlet::resolve_category());
  const std::string name = outlet::system_category().name();
#if defined(_WIN32) && !defined(_MSVC_STL_VERSION)
  CHECK(name == "outlet.system");
  // Windows errors outside Winsock keep the standard library's own mapping.
  CHECK(std::error_code(ERROR_ACCESS_DENIED, outlet::system_category()) == std::errc::permission_denied);
  // An unknown code stays in the category, with a message that names it.
  const std::error_code unknown(0x7ffffff0, outlet::system_category());
  CHECK(unknown.default_error_condition().category() == outlet::system_category());
  CHECK_FALSE(unknown.message().empty());
#else
  CHECK(outlet::system_category() == std::system_category());
  CHECK(name == std::system_category().name());
#endif  // defined(_WIN32) && !defined(_MSVC_STL_VERSION)
}

// --- start-up ------------------------------------------------------------------

// ctest runs each case in a fresh process, so these are the process's first
// sockets: Winsock starts once, under whichever thread gets there first.
TEST_CASE("the first sockets of a process may open on many threads at once", "[portability]") {
  constexpr int threads = 8;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<int> opened{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      std::error_code ec;
      outlet::DatagramSocket socket(Family::ipv4);
      socket.bind(Address::loopback(Family::ipv4, 0), ec);
      if (!ec && socket.is_open()) ++opened;
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go = true;
  for (std::thread& t : pool) t.join();
  CHECK(opened.load() == threads);
  // Name lookup works too without any set-up call.
  OUTLET_TEST_REQUIRE_LOCALHOST();
  CHECK_FALSE(outlet::resolve("localhost", 80).empty());
}

// --- header hygiene ---------------------------------------------------------------

// test_portability_macros.cpp includes outlet under function-like min/max
// macros (<windows.h>'s on Windows) and UNICODE, and still runs timed calls.
TEST_CASE("outlet compiles and works under min and max macros and UNICODE", "[portability]") {
  CHECK(outlet_macros_tu::min_macro_result() == 3);
  CHECK(outlet_macros_tu::echo_with_timeouts("hygiene") == "hygiene");
  // And this unit, which included outlet first, has no such macros at all:
  CHECK((std::min)(1, 2) == 1);
  CHECK(std::max(1, 2) == 2);
}

// --- inheritance -------------------------------------------------------------------

// Every handle outlet opens, accepts or connects is close-on-exec / not inheritable.
TEST_CASE("sockets outlet opens or accepts are not inherited by child processes", "[portability]") {
  outlet_test::Pair p = outlet_test::connected_pair();
  CHECK_FALSE(inheritable(p.server.native_handle()));
  CHECK_FALSE(inheritable(p.client.native_handle()));
  CHECK_FALSE(inheritable(p.accepted.native_handle()));
  const outlet::DatagramSocket udp(Address::loopback(Family::ipv4, 0));
  CHECK_FALSE(inheritable(udp.native_handle()));
  // A timed accept goes through the non-blocking path: the same holds.
  outlet::Socket second(p.server.local_address());
  const outlet::Socket timed = p.server.accept(std::chrono::seconds(30));
  REQUIRE(timed.is_open());
  CHECK_FALSE(inheritable(timed.native_handle()));
}

// --- connect ---------------------------------------------------------------------------

// A non-blocking connect that has started says operation_in_progress (Winsock's
// WSAEWOULDBLOCK is reported as such), never operation_would_block.
TEST_CASE("a non-blocking connect reports operation_in_progress", "[portability]") {
  outlet::ServerSocket server(Address::loopback(Family::ipv4, 0));
  outlet::Socket client(Family::ipv4);
  client.set_non_blocking(true);
  std::error_code ec;
  client.connect(server.local_address(), ec);
  INFO("connect: " << ec.message());
  CHECK((!ec || ec == std::errc::operation_in_progress));
  CHECK(ec != std::errc::operation_would_block);

  // The connection completes: accept it, then talk over it.
  outlet::Socket accepted = server.accept(std::chrono::seconds(30));
  REQUIRE(accepted.is_open());
  client.set_non_blocking(false);
  client.set_send_timeout(std::chrono::seconds(30));
  client.send_all("done");
  accepted.set_receive_timeout(std::chrono::seconds(30));
  char buf[4];
  REQUIRE(accepted.receive_exact(buf, sizeof buf) == sizeof buf);
  CHECK(std::string(buf, sizeof buf) == "done");
}

// A refused connect with a long deadline fails with connection_refused long
// before the deadline (Windows's WSAPoll before 10 2004 would wait it out).
TEST_CASE("a timed connect learns a refusal without waiting out the deadline", "[portability]") {
  outlet::ServerSocket holder;
  const Address target = outlet_test::refused_address(holder);
  const auto start = outlet_test::Clock::now();
  std::error_code ec;
  outlet::Socket client(Family::ipv4);
  client.connect(target, std::chrono::seconds(60), ec);
  CHECK(ec == std::errc::connection_refused);
  CHECK(outlet_test::ms_since(start) < 30000);
}

// --- datagrams ---------------------------------------------------------------------------

// An ICMP "port unreachable" for a datagram sent to nobody does not break
// an unconnected socket's next receive (Windows reports WSAECONNRESET
// there unless SIO_UDP_CONNRESET is off; POSIX never does).
TEST_CASE("an unconnected UDP socket keeps receiving after sending to a closed port", "[portability]") {
  Address closed;
  {
    const outlet::DatagramSocket gone(Address::loopback(Family::ipv4, 0));
    closed = gone.local_address();
  }
  outlet::DatagramSocket receiver(Address::loopback(Family::ipv4, 0));
  receiver.set_receive_timeout(std::chrono::seconds(30));
  CHECK(receiver.send_to("nobody", closed) == 6);

  outlet::DatagramSocket sender(Address::loopback(Family::ipv4, 0));
  CHECK(sender.send_to("hello", receiver.local_address()) == 5);
  char buf[16];
  Address from;
  std::error_code ec;
  const std::size_t n = receiver.receive_from(buf, sizeof buf, from, ec);
  INFO("receive_from: " << ec.message());
  REQUIRE_FALSE(ec);
  CHECK(std::string(buf, n) == "hello");
  CHECK(from == sender.local_address());
}
