// Tests for <outlet/error.hpp> and the error model every call follows:
// resolve_category(), OS errors in outlet::system_category() that compare equal
// to portable conditions, timed_out vs operation_would_block, and the
// what() formats ("connect 127.0.0.1:1: ...", "accept: ...") built with
// detail::quote and detail::throw_error.
#include <outlet/outlet.hpp>

#include "catch.hpp"
#include "test_support.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <system_error>

#if !defined(_WIN32)
#include <cerrno>
#endif  // !defined(_WIN32)

using outlet::Address;
using outlet::Family;

namespace {

using outlet_test::connected_pair;
using outlet_test::Pair;
using outlet_test::refused_address;
using outlet_test::starts_with;
using outlet_test::Thrown;
using outlet_test::thrown_by;

/// How many send() calls the fault hook below has failed.
std::atomic<int> sends_failed{0};

/// A fault hook that fails every send() with ECONNRESET (WSAECONNRESET).
int fail_sends_with_reset(outlet::detail::SysCall call, outlet::native_handle_type) {
  if (call != outlet::detail::SysCall::send) return 0;
  ++sends_failed;
  return outlet_test::native_error::connection_reset;
}

}  // namespace

// --- resolve_category ------------------------------------------------------

// resolve_category() is one object, named "outlet.resolve", with gai_strerror's messages.
TEST_CASE("resolve_category is a single named category with EAI messages", "[error]") {
  const std::error_category& a = outlet::resolve_category();
  const std::error_category& b = outlet::resolve_category();
  CHECK(&a == &b);
  CHECK(a == b);
  CHECK(std::string(a.name()) == "outlet.resolve");
  CHECK(a != std::system_category());
  CHECK(a != std::generic_category());
  CHECK_FALSE(a.message(EAI_NONAME).empty());
  CHECK_FALSE(a.message(EAI_AGAIN).empty());
  CHECK(a.message(EAI_NONAME) != a.message(EAI_AGAIN));

  const std::error_code ec(EAI_NONAME, outlet::resolve_category());
  CHECK(ec.message() == a.message(EAI_NONAME));
  CHECK(ec.category() == outlet::resolve_category());
  CHECK(ec != std::error_code(EAI_NONAME, std::system_category()));
}

// --- OS errors: system_category, portable conditions -------------------------

// A refused connect is the native error in system_category, equal to connection_refused.
TEST_CASE("a refused connect reports connection_refused in system_category", "[error]") {
  outlet::ServerSocket holder;
  const Address target = refused_address(holder);
  REQUIRE(target.port() != 0);

  std::error_code ec;
  outlet::Socket client(Family::ipv4);
  client.connect(target, ec);
  CHECK(ec.category() == outlet::system_category());
  CHECK(ec == std::errc::connection_refused);
  CHECK(ec.value() == outlet_test::native_error::connection_refused);

  // The deadline form learns the result from SO_ERROR: the same error.
  outlet::Socket timed(Family::ipv4);
  timed.connect(target, std::chrono::seconds(10), ec);
  CHECK(ec.category() == outlet::system_category());
  CHECK(ec == std::errc::connection_refused);
}

// The throwing forms say "connect <address>: <message>".
TEST_CASE("a refused connect throws with the address in what()", "[error]") {
  outlet::ServerSocket holder;
  const Address target = refused_address(holder);
  REQUIRE(target.port() != 0);
  const std::string prefix = "connect " + target.to_string() + ": ";

  const Thrown member = thrown_by([&] {
    outlet::Socket client(Family::ipv4);
    client.connect(target);
  });
  REQUIRE(member.thrown);
  INFO("what(): " << member.what);
  CHECK(member.code == std::errc::connection_refused);
  CHECK(member.code.category() == outlet::system_category());
  CHECK(member.what == prefix + member.code.message());

  const Thrown constructor = thrown_by([&] { outlet::Socket client(target); });
  REQUIRE(constructor.thrown);
  CHECK(constructor.code == std::errc::connection_refused);
  CHECK(starts_with(constructor.what, prefix));

  const Thrown with_deadline = thrown_by([&] { outlet::Socket client(target, std::chrono::seconds(10)); });
  REQUIRE(with_deadline.thrown);
  CHECK(with_deadline.code == std::errc::connection_refused);
  CHECK(starts_with(with_deadline.what, prefix));

  // The free connect() names the host it was given and the port.
  const Thrown free_connect = thrown_by([&] { (void)outlet::connect("127.0.0.1", target.port()); });
  REQUIRE(free_connect.thrown);
  INFO("what(): " << free_connect.what);
  CHECK(free_connect.code == std::errc::connection_refused);
  CHECK(starts_with(free_connect.what, "connect \"127.0.0.1\" port " + std::to_string(target.port()) + ": "));
}

// A taken port is address_in_use in system_category; what() names the address.
TEST_CASE("bind to a port in use reports address_in_use with the address", "[error]") {
  const outlet::ServerSocket first(Address::loopback(Family::ipv4, 0));
  const Address taken = first.local_address();

  outlet::ServerSocket second(Family::ipv4);
  std::error_code ec;
  second.bind(taken, ec);
  CHECK(ec.category() == outlet::system_category());
  CHECK(ec == std::errc::address_in_use);

  const Thrown t = thrown_by([&] { outlet::ServerSocket third(taken); });
  REQUIRE(t.thrown);
  INFO("what(): " << t.what);
  CHECK(t.code == std::errc::address_in_use);
  CHECK(starts_with(t.what, "bind " + taken.to_string() + ": "));
}

// An error the OS gives (here injected by the fault hook) keeps its native value.
TEST_CASE("an OS error from send keeps its native value in system_category", "[error]") {
  Pair p = connected_pair();
  sends_failed = 0;
  const outlet_test::ScopedFaultHook hook(fail_sends_with_reset);
  std::error_code ec;
  CHECK(p.client.send("x", ec) == 0);
  CHECK(ec.category() == outlet::system_category());
  CHECK(ec.value() == outlet_test::native_error::connection_reset);
  CHECK(ec == std::errc::connection_reset);

  const Thrown t = thrown_by([&] { (void)p.client.send("x"); });
  REQUIRE(t.thrown);
  CHECK(t.code == std::errc::connection_reset);
  CHECK(t.what == "send: " + t.code.message());
  CHECK(sends_failed == 2);
}

// EAGAIN and EWOULDBLOCK are one portable condition.
TEST_CASE("EAGAIN maps to operation_would_block in system_category", "[error]") {
#if defined(_WIN32)
  OUTLET_TEST_SKIP("POSIX only: Winsock has one would-block code (WSAEWOULDBLOCK) and no EAGAIN");
#else
  const std::error_code again = outlet::detail::sys::to_error_code(EAGAIN);
  CHECK(again.category() == outlet::system_category());
  CHECK(again == std::errc::operation_would_block);
  CHECK(again.value() == EWOULDBLOCK);
  CHECK(outlet::detail::sys::to_error_code(ECONNREFUSED) == std::errc::connection_refused);
#endif  // defined(_WIN32)
}

// --- timed_out vs operation_would_block ---------------------------------------

// accept with a deadline that passes fails with timed_out; what() says "accept: ".
TEST_CASE("accept with an expired deadline reports timed_out", "[error]") {
  outlet::ServerSocket server(Address::loopback(Family::ipv4, 0));
  std::error_code ec;
  const outlet::Socket none = server.accept(std::chrono::milliseconds(20), ec);
  CHECK_FALSE(none.is_open());
  CHECK(ec == std::errc::timed_out);
  CHECK(ec != std::errc::operation_would_block);

  const Thrown t = thrown_by([&] { (void)server.accept(std::chrono::milliseconds(20)); });
  REQUIRE(t.thrown);
  CHECK(t.code == std::errc::timed_out);
  CHECK(t.what == "accept: " + t.code.message());
}

// A non-blocking call that cannot proceed fails with operation_would_block.
TEST_CASE("non-blocking receive and accept report operation_would_block", "[error]") {
  Pair p = connected_pair();
  p.client.set_non_blocking(true);
  char buf[16];
  std::error_code ec;
  CHECK(p.client.receive(buf, sizeof buf, ec) == 0);
  CHECK(ec == std::errc::operation_would_block);
  CHECK(ec != std::errc::timed_out);
  CHECK(ec.category() == outlet::system_category());

  const Thrown t = thrown_by([&] { (void)p.client.receive(buf, sizeof buf); });
  REQUIRE(t.thrown);
  CHECK(t.code == std::errc::operation_would_block);
  CHECK(t.what == "receive: " + t.code.message());

  p.server.set_non_blocking(true);
  const outlet::Socket none = p.server.accept(ec);
  CHECK_FALSE(none.is_open());
  CHECK(ec == std::errc::operation_would_block);
}

// A blocking receive that runs out of time is timed_out, never a bare EAGAIN.
TEST_CASE("blocking receive past its timeout reports timed_out", "[error]") {
  Pair p = connected_pair();
  p.client.set_receive_timeout(std::chrono::milliseconds(20));
  char buf[16];
  std::error_code ec;
  CHECK(p.client.receive(buf, sizeof buf, ec) == 0);
  CHECK(ec == std::errc::timed_out);
  CHECK(ec != std::errc::operation_would_block);

  const Thrown t = thrown_by([&] { (void)p.client.receive(buf, sizeof buf); });
  REQUIRE(t.thrown);
  CHECK(t.code == std::errc::timed_out);
  CHECK(starts_with(t.what, "receive: "));

  // SO_RCVTIMEO set behind outlet's back makes recv() fail with EAGAIN
  // (WSAETIMEDOUT on Windows); on a blocking socket that too is reported
  // as timed_out.
  p.accepted.set_receive_timeout(std::chrono::nanoseconds::zero());
  p.accepted.set_option(SOL_SOCKET, SO_RCVTIMEO, outlet_test::native_timeout(std::chrono::milliseconds(20)));
  CHECK(p.accepted.receive(buf, sizeof buf, ec) == 0);
  CHECK(ec == std::errc::timed_out);
}

// --- what() formats -------------------------------------------------------------

// Operations on a closed socket name the operation and say the socket is not
// open, in words: "<op>: socket is not open: <message>".
TEST_CASE("errors on a closed socket name the operation in what()", "[error]") {
  outlet::Socket closed;
  outlet::ServerSocket closed_server;
  char buf[4];
  const Thrown on_send = thrown_by([&] { (void)closed.send("x"); });
  const Thrown on_receive = thrown_by([&] { (void)closed.receive(buf, sizeof buf); });
  const Thrown on_shutdown = thrown_by([&] { closed.shutdown(outlet::Shutdown::both); });
  const Thrown on_name = thrown_by([&] { (void)closed.local_address(); });
  const Thrown on_accept = thrown_by([&] { (void)closed_server.accept(); });
  const Thrown on_listen = thrown_by([&] { closed_server.listen(); });
  for (const Thrown* t : {&on_send, &on_receive, &on_shutdown, &on_name, &on_accept, &on_listen}) {
    REQUIRE(t->thrown);
    CHECK(t->code == std::errc::bad_file_descriptor);
  }
  CHECK(on_send.what == "send: socket is not open: " + on_send.code.message());
  CHECK(on_receive.what == "receive: socket is not open: " + on_receive.code.message());
  CHECK(on_shutdown.what == "shutdown: socket is not open: " + on_shutdown.code.message());
  CHECK(on_name.what == "getsockname: socket is not open: " + on_name.code.message());
  CHECK(on_accept.what == "accept: socket is not open: " + on_accept.code.message());
  CHECK(on_listen.what == "listen: socket is not open: " + on_listen.code.message());
}

// Bad input reads `<op> "<input>": <why>: <message>`, as in the API's example.
TEST_CASE("invalid input messages quote the input and say why before the message", "[error]") {
  const std::string invalid = std::make_error_code(std::errc::invalid_argument).message();
  const Thrown parse = thrown_by([] { (void)Address::parse("1.2.3.4"); });
  REQUIRE(parse.thrown);
  INFO("what(): " << parse.what);
  CHECK(parse.code == std::errc::invalid_argument);
  CHECK(starts_with(parse.what, "Address::parse \"1.2.3.4\": has no \":port\""));
  CHECK(parse.what.size() > invalid.size());
  CHECK(parse.what.compare(parse.what.size() - invalid.size() - 2, std::string::npos, ": " + invalid) == 0);

  const Thrown direct = thrown_by([] { outlet::detail::throw_invalid("op", std::string_view("a\0b", 3), "why"); });
  REQUIRE(direct.thrown);
  CHECK(direct.code == std::errc::invalid_argument);
  CHECK(direct.what == "op \"a\\x00b\": why: " + invalid);
}

// throw_error and throw_if put the context before the error's message.
TEST_CASE("detail::throw_error and throw_if format context then message", "[error]") {
  const std::error_code refused = std::make_error_code(std::errc::connection_refused);
  const Thrown t = thrown_by([&] { outlet::detail::throw_error(refused, "connect 127.0.0.1:1"); });
  REQUIRE(t.thrown);
  CHECK(t.code == refused);
  CHECK(t.what == "connect 127.0.0.1:1: " + refused.message());

  CHECK_NOTHROW(outlet::detail::throw_if(std::error_code{}, "never"));
  const Thrown u = thrown_by([&] { outlet::detail::throw_if(refused, "accept"); });
  REQUIRE(u.thrown);
  CHECK(u.code == refused);
  CHECK(u.what == "accept: " + refused.message());
}

// quote() wraps in double quotes and escapes quotes, backslashes and unprintable bytes.
TEST_CASE("detail::quote escapes quotes and backslashes and control bytes", "[error]") {
  using outlet::detail::quote;
  CHECK(quote("") == "\"\"");
  CHECK(quote("abc") == "\"abc\"");
  CHECK(quote("1.2.3.4:80") == "\"1.2.3.4:80\"");
  CHECK(quote(" ~") == "\" ~\"");
  CHECK(quote("a\"b") == "\"a\\\"b\"");
  CHECK(quote("a\\b") == "\"a\\\\b\"");
  CHECK(quote(std::string_view("a\0b", 3)) == "\"a\\x00b\"");
  CHECK(quote(std::string_view("\0", 1)) == "\"\\x00\"");
  CHECK(quote("\n\t\r") == "\"\\x0a\\x09\\x0d\"");
  CHECK(quote("\x1f\x7f") == "\"\\x1f\\x7f\"");
  // Bytes above 0x7f (UTF-8) pass through unchanged.
  CHECK(quote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  // The whole input is kept, however long.
  const std::string long_text(1000, 'x');
  CHECK(quote(long_text).size() == long_text.size() + 2);
}

// detail::Text, which builds every message and to_string(), starts on the
// stack and moves to the heap for long input without losing a character.
TEST_CASE("detail::Text keeps every character as it grows past its inline buffer", "[error]") {
  outlet::detail::Text text;
  std::string expected;
  for (int i = 0; i < 300; ++i) {  // crosses the inline capacity one step at a time
    text.add_unsigned(static_cast<unsigned>(i)).add(',');
    expected += std::to_string(i) + ',';
    REQUIRE(text.size() == expected.size());
  }
  CHECK(std::string(text.c_str(), text.size()) == expected);
  CHECK(std::char_traits<char>::length(text.c_str()) == expected.size());  // NUL-terminated

  const outlet::detail::Text copy(text);  // a heap Text copies into its own buffer
  CHECK(std::string(copy.c_str(), copy.size()) == expected);
  CHECK(copy.c_str() != text.c_str());

  outlet::detail::Text quoted;
  const std::string input = std::string(400, '"') + std::string(1, '\0');
  quoted.add("op ").add_quoted(input).add_signed(-12);
  const std::string escaped = "op \"" + std::string(800, '\0') + "\\x00\"-12";
  std::string want = escaped;
  for (std::size_t i = 4; i < 804; i += 2) want.replace(i, 2, "\\\"");
  CHECK(std::string(quoted.c_str(), quoted.size()) == want);

  // A long input in an error message is quoted in full.
  const std::string host(600, 'h');
  const Thrown t = thrown_by([&] { outlet::detail::throw_invalid("resolve", host, "is too long"); });
  REQUIRE(t.thrown);
  CHECK(t.what.find('"' + host + "\": is too long") == std::string("resolve ").size());
}
