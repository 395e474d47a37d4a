// Tests for vectored and batch I/O: ConstBuffer / MutableBuffer,
// Socket::send_vectored / send_all_vectored / receive_vectored /
// receive_exact_vectored, DatagramSocket's vectored calls, and
// DatagramSocket::send_batch / receive_batch. Built twice: with Linux's
// sendmmsg/recvmmsg and with OUTLET_NO_MESSAGE_BATCH (the portable loop).
#include <outlet/outlet.hpp>

#include "catch.hpp"
#include "test_support.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>
#if defined(__has_include)
#if __has_include(<version>)
#include <version>
#endif  // __has_include(<version>)
#endif  // defined(__has_include)
#if defined(__cpp_lib_span)
#include <span>
#endif  // defined(__cpp_lib_span)

using outlet::Address;
using outlet::ConstBuffer;
using outlet::DatagramSocket;
using outlet::Family;
using outlet::IncomingDatagram;
using outlet::MutableBuffer;
using outlet::OutgoingDatagram;
using outlet::Socket;
using outlet::detail::SysCall;
using outlet_test::arm_hook;
using outlet_test::connected_pair;
using outlet_test::counting_hook;
using outlet_test::hook_calls;
using outlet_test::Joiner;
using outlet_test::Pair;
using outlet_test::pattern;
using outlet_test::thrown_by;
using namespace std::chrono_literals;

namespace {

// A lost datagram or a stuck peer fails the test after this long instead of hanging it.
constexpr auto guard_timeout = std::chrono::seconds(10);

// Cuts `text` into pieces of 1, 2, ... `longest`, 1, 2, ... bytes (the last
// piece may be shorter) and returns views of them in order.
std::vector<ConstBuffer> cut(const std::string& text, std::size_t longest) {
  std::vector<ConstBuffer> pieces;
  std::size_t at = 0;
  for (std::size_t i = 0; at < text.size(); ++i) {
    const std::size_t want = i % longest + 1;
    const std::size_t n = want < text.size() - at ? want : text.size() - at;
    pieces.emplace_back(text.data() + at, n);
    at += n;
  }
  return pieces;
}

// Views of `store` cut the same way, to receive into.
std::vector<MutableBuffer> cut_mutable(std::string& store, std::size_t longest) {
  std::vector<MutableBuffer> pieces;
  for (const ConstBuffer& b : cut(store, longest))
    pieces.emplace_back(&store[static_cast<std::size_t>(static_cast<const char*>(b.data()) - store.data())], b.size());
  return pieces;
}

// Reads exactly `size` bytes from `socket` on another thread, into `out`.
std::thread read_all(Socket& socket, std::size_t size, std::string& out, std::error_code& ec) {
  out.assign(size, '\0');
  return std::thread([&socket, &out, &ec, size] {
    socket.set_receive_timeout(guard_timeout);
    const std::size_t got = socket.receive_exact(&out[0], size, ec);
    out.resize(got);
  });
}

// A bound loopback datagram socket with the guard timeout on receives.
DatagramSocket bound_udp() {
  DatagramSocket s(Address::loopback(Family::ipv4, 0));
  s.set_receive_timeout(guard_timeout);
  return s;
}

}  // namespace

// --- buffers --------------------------------------------------------------------

TEST_CASE("ConstBuffer and MutableBuffer view bytes without owning them", "[buffer]") {
  const ConstBuffer empty;
  REQUIRE(empty.data() == nullptr);
  REQUIRE(empty.size() == 0);

  const std::string text = "hello, world";
  const ConstBuffer whole(text);  // implicit from string_view
  REQUIRE(whole.data() == text.data());
  REQUIRE(whole.size() == text.size());
  const ConstBuffer part(text.data() + 7, 5);
  REQUIRE(std::string(static_cast<const char*>(part.data()), part.size()) == "world");
  const ConstBuffer literal = std::string_view("abc");
  REQUIRE(literal.size() == 3);

  char store[8] = {};
  const MutableBuffer writable(store, sizeof store);
  REQUIRE(writable.data() == store);
  REQUIRE(writable.size() == sizeof store);
  const ConstBuffer readable = writable;  // the same bytes, read-only
  REQUIRE(readable.data() == store);
  REQUIRE(readable.size() == sizeof store);
  REQUIRE(MutableBuffer().size() == 0);
  // No const char*: it has no size, and outlet measures nothing with strlen().
  STATIC_REQUIRE_FALSE(std::is_convertible_v<const char*, ConstBuffer>);
  STATIC_REQUIRE(std::is_convertible_v<std::string_view, ConstBuffer>);
  STATIC_REQUIRE(std::is_convertible_v<const std::string&, ConstBuffer>);
  STATIC_REQUIRE(std::is_convertible_v<MutableBuffer, ConstBuffer>);

  // An array of buffers is what the OS takes (iovec on POSIX): no copies.
  STATIC_REQUIRE(sizeof(ConstBuffer) == sizeof(outlet::detail::sys::io_vector));
  STATIC_REQUIRE(sizeof(MutableBuffer) == sizeof(outlet::detail::sys::io_vector));
  STATIC_REQUIRE(Socket::max_buffers() >= 16);
}

// What users list as a buffer converts implicitly, unambiguously, to the
// bytes they mean; a char pointer (no size) does not convert at all.
static_assert(std::is_convertible_v<const char (&)[5], ConstBuffer>);
static_assert(std::is_convertible_v<char (&)[5], ConstBuffer>);
static_assert(std::is_convertible_v<const std::string&, ConstBuffer>);
static_assert(std::is_convertible_v<std::string_view, ConstBuffer>);
static_assert(std::is_convertible_v<const std::vector<char>&, ConstBuffer>);
static_assert(std::is_convertible_v<const std::vector<unsigned char>&, ConstBuffer>);
static_assert(std::is_convertible_v<const std::vector<std::byte>&, ConstBuffer>);
static_assert(std::is_convertible_v<const std::array<char, 4>&, ConstBuffer>);
static_assert(std::is_convertible_v<const std::array<signed char, 4>&, ConstBuffer>);
static_assert(!std::is_constructible_v<ConstBuffer, const char*>);
static_assert(!std::is_constructible_v<ConstBuffer, char*>);
static_assert(!std::is_constructible_v<ConstBuffer, const std::vector<int>&>);
static_assert(!std::is_constructible_v<ConstBuffer, int>);
#if defined(__cpp_lib_span)
static_assert(std::is_convertible_v<std::span<const char>, ConstBuffer>);
static_assert(std::is_convertible_v<std::span<const std::byte>, ConstBuffer>);
#endif  // defined(__cpp_lib_span)

TEST_CASE("ConstBuffer from literals, char arrays, strings and byte containers sends the bytes meant",
          "[buffer][vectored]") {
  const ConstBuffer literal = "GET ";  // without the literal's NUL
  REQUIRE(literal.size() == 4);
  const char not_text[3] = {'a', 'b', 'c'};  // no NUL at the end: taken whole
  REQUIRE(ConstBuffer(not_text).size() == 3);
  char filled[4] = {'w', 'x', '\0', 'z'};  // a writable array: all of it
  REQUIRE(ConstBuffer(filled).size() == 4);
  const std::vector<char> chars = {'v', 'e', 'c'};
  const std::array<unsigned char, 2> bytes = {{'a', 'r'}};
  const std::vector<std::byte> raw = {std::byte{'b'}, std::byte{'y'}};
  const std::string text = "str";
  const std::string_view view = "view";

  Pair p = connected_pair();
  p.accepted.set_receive_timeout(guard_timeout);
  // The call from the issue, exactly as a user writes it.
  p.client.send_all_vectored({"GET ", "/ HTTP/1.0\r\n\r\n"});
  p.client.send_all_vectored({chars, bytes, raw, text, view, filled, not_text});
  const std::string expected =
      std::string("GET / HTTP/1.0\r\n\r\n") + "vecarbystrview" + std::string(filled, sizeof filled) + "abc";
  std::string got(expected.size(), '\0');
  const MutableBuffer into[] = {MutableBuffer(got.data(), got.size())};
  REQUIRE(p.accepted.receive_exact_vectored(into, 1) == expected.size());
  REQUIRE(got == expected);
}

// The README's "Vectored and batch I/O" snippet, line by line with the
// declarations it leaves out: it compiles and does what it says.
TEST_CASE("The README's vectored and batch snippet compiles and runs as shown", "[buffer][batch]") {
  Pair p = connected_pair();
  Socket& s = p.client;
  const std::string header = "header:", body = "body";
  s.send_all_vectored({header, body});
  char first[4] = {}, rest[7] = {};
  const MutableBuffer buffers[] = {MutableBuffer(first, sizeof first), MutableBuffer(rest, sizeof rest)};
  p.accepted.set_receive_timeout(guard_timeout);
  REQUIRE(p.accepted.receive_exact_vectored(buffers, 2) == header.size() + body.size());
  REQUIRE(std::string(first, 4) + std::string(rest, 7) == "header:body");

  DatagramSocket d(Address::loopback(Family::ipv4, 0));
  DatagramSocket peer(Address::loopback(Family::ipv4, 0));
  d.set_receive_timeout(guard_timeout);
  const Address to = peer.local_address();
  const std::string a = "first", b = "second";
  std::vector<OutgoingDatagram> out = {{ConstBuffer(a), to}, {ConstBuffer(b), to}};  // to: empty if connected
  std::size_t sent = d.send_batch(out.data(), out.size());
  REQUIRE(sent == 2);
  peer.send_to("back", d.local_address());
  std::vector<IncomingDatagram> in(64);
  std::vector<std::array<char, 16>> store(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) in[i].buffer = MutableBuffer(store[i].data(), store[i].size());
  std::size_t got = d.receive_batch(in.data(), in.size());
  REQUIRE(got == 1);
  REQUIRE(in[0].received == 4);
  REQUIRE(in[0].from == to);
  REQUIRE_FALSE(in[0].truncated);
}

// The cursor behind send_all_vectored / receive_exact_vectored, driven by
// hand: partial calls that stop at, inside and across buffer boundaries.
TEST_CASE("BufferCursor resumes in the middle of a buffer without touching the caller's array", "[buffer]") {
  const std::string a = "abcde", b = "", c = "fgh", d = "ijklmnop";
  const ConstBuffer list[] = {ConstBuffer(a), ConstBuffer(b), ConstBuffer(c), ConstBuffer(d)};
  outlet::detail::BufferCursor<ConstBuffer, const char> cursor(list, 4);

  // What the next call would send, as text.
  const auto next_text = [&cursor] {
    std::size_t n = 0;
    const outlet::detail::sys::io_vector* v = cursor.next(n);
    const auto* first = reinterpret_cast<const ConstBuffer*>(v);
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.append(static_cast<const char*>(first[i].data()), first[i].size());
    return s;
  };

  REQUIRE_FALSE(cursor.done());
  REQUIRE(next_text() == "abcdefghijklmnop");
  cursor.consume(3);  // inside "abcde"
  REQUIRE(next_text() == "defghijklmnop");
  cursor.consume(2);  // exactly the end of "abcde"; the empty buffer is skipped
  REQUIRE(next_text() == "fghijklmnop");
  cursor.consume(5);  // across "fgh" into "ijklmnop"
  REQUIRE(next_text() == "klmnop");
  cursor.consume(6);
  REQUIRE(cursor.done());

  // The caller's array is as it was.
  REQUIRE(list[0].data() == a.data());
  REQUIRE(list[0].size() == 5);
  REQUIRE(list[3].size() == 8);

  // Many buffers: a resumed call gets a short copy (at most 16 entries),
  // then the caller's own array again from the next whole buffer.
  std::string many_text;
  std::vector<ConstBuffer> many;
  for (int i = 0; i < 40; ++i) many_text += static_cast<char>('A' + i % 26);
  for (std::size_t i = 0; i < 40; ++i) many.emplace_back(many_text.data() + i, 1);
  many[0] = ConstBuffer(many_text.data(), 1);
  outlet::detail::BufferCursor<ConstBuffer, const char> long_cursor(many.data(), many.size());
  std::size_t n = 0;
  REQUIRE(long_cursor.next(n) == reinterpret_cast<const outlet::detail::sys::io_vector*>(many.data()));
  REQUIRE(n == 40);
  long_cursor.consume(3);  // whole buffers only: still the caller's array
  REQUIRE(long_cursor.next(n) == reinterpret_cast<const outlet::detail::sys::io_vector*>(many.data() + 3));
  REQUIRE(n == 37);
  // Two-byte buffers so a call can stop inside one.
  std::vector<ConstBuffer> pairs;
  for (std::size_t i = 0; i < 40; i += 2) pairs.emplace_back(many_text.data() + i, 2);
  outlet::detail::BufferCursor<ConstBuffer, const char> pair_cursor(pairs.data(), pairs.size());
  pair_cursor.consume(5);  // inside the third buffer
  const outlet::detail::sys::io_vector* v = pair_cursor.next(n);
  REQUIRE(v != reinterpret_cast<const outlet::detail::sys::io_vector*>(pairs.data() + 2));  // a copy
  REQUIRE(n == 16);
  const auto* window = reinterpret_cast<const ConstBuffer*>(v);
  REQUIRE(window[0].data() == many_text.data() + 5);
  REQUIRE(window[0].size() == 1);
  REQUIRE(window[15].data() == many_text.data() + 34);  // pairs[17]
  pair_cursor.consume(1 + 2 * 15);                      // to the end of the window
  REQUIRE(pair_cursor.next(n) == reinterpret_cast<const outlet::detail::sys::io_vector*>(pairs.data() + 18));
  REQUIRE(n == 2);
  pair_cursor.consume(4);
  REQUIRE(pair_cursor.done());

  // Only empty buffers: done from the start.
  const ConstBuffer empties[] = {ConstBuffer(), ConstBuffer()};
  REQUIRE(outlet::detail::BufferCursor<ConstBuffer, const char>(empties, 2).done());
  REQUIRE(outlet::detail::BufferCursor<ConstBuffer, const char>(nullptr, 0).done());
}

// --- Socket: vectored send and receive -------------------------------------------

TEST_CASE("Socket send_vectored gathers buffers in order, receive_vectored scatters them", "[socket][vectored]") {
  Pair p = connected_pair();
  p.accepted.set_receive_timeout(guard_timeout);
  const std::string head = "HEAD:", empty, body = "the body", tail = ":END";
  const ConstBuffer out[] = {ConstBuffer(head), ConstBuffer(empty), ConstBuffer(body), ConstBuffer(tail)};
  const std::size_t total = head.size() + body.size() + tail.size();
  std::error_code ec = outlet_test::stale_error();
  REQUIRE(p.client.send_vectored(out, 4, ec) == total);  // a few bytes on loopback: all in one call
  REQUIRE_FALSE(ec);

  char first[3] = {}, second[6] = {}, third[64] = {};
  const MutableBuffer in[] = {MutableBuffer(first, sizeof first), MutableBuffer(), MutableBuffer(second, sizeof second),
                              MutableBuffer(third, sizeof third)};
  REQUIRE(p.accepted.wait_readable(guard_timeout));
  const std::size_t n = p.accepted.receive_vectored(in, 4);
  REQUIRE(n == total);
  REQUIRE(std::string(first, 3) == "HEA");
  REQUIRE(std::string(second, 6) == "D:the ");
  REQUIRE(std::string(third, n - 9) == "body:END");

  // The initializer_list forms, and the throwing form.
  REQUIRE(p.client.send_vectored({std::string_view("ab"), std::string_view("cd")}) == 4);
  p.client.send_all_vectored({std::string_view("ef"), head});
  char got[16] = {};
  const MutableBuffer one[] = {MutableBuffer(got, 11)};
  REQUIRE(p.accepted.receive_exact_vectored(one, 1) == 11);
  REQUIRE(std::string(got, 11) == "abcdefHEAD:");
}

TEST_CASE("Socket send_all_vectored sends many small buffers, more than one call takes", "[socket][vectored]") {
  Pair p = connected_pair();
  // 3000 buffers of 1 to 7 bytes: more than IOV_MAX (1024 on Linux), so
  // several sendmsg() calls; the receiver must see every byte in order.
  const std::string text = pattern(12000, 11);
  const std::vector<ConstBuffer> pieces = cut(text, 7);
  REQUIRE(pieces.size() > 2 * Socket::max_buffers());

  std::string received;
  std::error_code read_ec;
  Joiner reader(read_all(p.accepted, text.size(), received, read_ec));
  std::error_code ec = outlet_test::stale_error();
  REQUIRE(p.client.send_all_vectored(pieces.data(), pieces.size(), ec) == text.size());
  REQUIRE_FALSE(ec);
  reader.join();
  REQUIRE_FALSE(read_ec);
  REQUIRE(received == text);
}

TEST_CASE("Socket send_vectored with more buffers than max_buffers() sends a prefix", "[socket][vectored]") {
  Pair p = connected_pair();
  const std::string text = pattern(3 * Socket::max_buffers(), 12);
  const std::vector<ConstBuffer> pieces = cut(text, 1);  // one byte each
  const std::size_t n = p.client.send_vectored(pieces.data(), pieces.size());
  REQUIRE(n > 0);
  REQUIRE(n <= Socket::max_buffers());
  std::string got(n, '\0');
  p.accepted.set_receive_timeout(guard_timeout);
  REQUIRE(p.accepted.receive_exact(&got[0], n) == n);
  REQUIRE(got == text.substr(0, n));
}

// With a send timeout each sendmsg() is told not to block (MSG_DONTWAIT on
// Linux, a non-blocking handle elsewhere), so a small send buffer and a
// slow reader give partial writes that stop inside a buffer; send_all must
// resume each at the right byte.
TEST_CASE("Socket send_all_vectored finishes partial vectored writes", "[socket][vectored]") {
  Pair p = connected_pair();
  // A small send buffer only: a tiny receive window on loopback stalls on
  // delayed ACKs (about 200 ms a step).
  p.client.set_send_buffer_size(4096);
  p.client.set_send_timeout(guard_timeout);
  // 7 buffers of odd sizes, 3 MiB in all: far more than the socket buffers.
  const std::string a = pattern(1000003, 1), b = pattern(17, 2), c = pattern(555555, 3), d, e = pattern(1, 4),
                    f = pattern(1500007, 5), g = pattern(99, 6);
  const ConstBuffer list[] = {ConstBuffer(a), ConstBuffer(b), ConstBuffer(c), ConstBuffer(d),
                              ConstBuffer(e), ConstBuffer(f), ConstBuffer(g)};
  const std::string all = a + b + c + d + e + f + g;

  std::string received;
  std::error_code read_ec;
  std::error_code ec;
  std::size_t sent = 0;
  arm_hook(SysCall::send, p.client.native_handle(), 0, 0);  // count the send calls, fail none
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    Joiner reader(read_all(p.accepted, all.size(), received, read_ec));
    sent = p.client.send_all_vectored(list, 7, ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(sent == all.size());
  REQUIRE_FALSE(read_ec);
  REQUIRE(received.size() == all.size());
  REQUIRE(received == all);
  REQUIRE(hook_calls > 1);  // it really was written in parts
  // The caller's array is unchanged.
  REQUIRE(list[0].data() == a.data());
  REQUIRE(list[0].size() == a.size());
  REQUIRE(list[5].size() == f.size());
}

TEST_CASE("Socket send_vectored on a full non-blocking socket is partial, then would_block", "[socket][vectored]") {
  Pair p = connected_pair();
  p.client.set_send_buffer_size(4096);
  p.accepted.set_receive_buffer_size(4096);
  p.client.set_non_blocking(true);
  const std::string big = pattern(4 * 1024 * 1024, 9);
  const ConstBuffer list[] = {ConstBuffer(big.data(), big.size() / 2),
                              ConstBuffer(big.data() + big.size() / 2, big.size() - big.size() / 2)};
  std::error_code ec;
  const std::size_t first = p.client.send_vectored(list, 2, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(first > 0);
  REQUIRE(first < big.size());
  // Keep going until the kernel takes no more: would_block, never timed_out.
  std::size_t n = first;
  for (int i = 0; i < 1000 && !ec; ++i) {
    const ConstBuffer rest[] = {ConstBuffer(big.data() + n, big.size() - n)};
    n += p.client.send_vectored(rest, 1, ec);
  }
  REQUIRE(ec == std::errc::operation_would_block);
  REQUIRE(n < big.size());
}

TEST_CASE("Socket receive_exact_vectored fills every buffer, or stops at EOF", "[socket][vectored]") {
  Pair p = connected_pair();
  p.client.set_receive_timeout(guard_timeout);
  const std::string text = pattern(100000, 21);
  std::string store(text.size(), '\0');
  const std::vector<MutableBuffer> pieces = cut_mutable(store, 13);

  SECTION("all of it, sent in parts from another thread") {
    Joiner writer(std::thread([&] {
      std::error_code ignored;
      for (std::size_t at = 0; at < text.size(); at += 999)
        p.accepted.send_all(text.data() + at, text.size() - at < 999 ? text.size() - at : 999, ignored);
    }));
    REQUIRE(p.client.receive_exact_vectored(pieces.data(), pieces.size()) == text.size());
    REQUIRE(store == text);
  }
  SECTION("the peer closes early: fewer bytes, no error") {
    p.accepted.send_all(text.data(), 5000);
    p.accepted.close();
    std::error_code ec = outlet_test::stale_error();
    REQUIRE(p.client.receive_exact_vectored(pieces.data(), pieces.size(), ec) == 5000);
    REQUIRE_FALSE(ec);
    REQUIRE(store.compare(0, 5000, text, 0, 5000) == 0);
  }
  SECTION("the receive timeout covers the whole call") {
    p.client.set_receive_timeout(150ms);
    p.accepted.send_all(text.data(), 10);
    std::error_code ec;
    const auto start = outlet_test::Clock::now();
    REQUIRE(p.client.receive_exact_vectored(pieces.data(), pieces.size(), ec) == 10);
    REQUIRE(ec == std::errc::timed_out);
    REQUIRE(outlet_test::ms_since(start) >= 140);
    const auto t = thrown_by([&] { (void)p.client.receive_exact_vectored(pieces.data(), pieces.size()); });
    REQUIRE(t.code == std::errc::timed_out);
    REQUIRE(outlet_test::contains(t.what, "receive_exact_vectored (0 of 100000 bytes received)"));
  }
}

TEST_CASE("Socket vectored calls retry EINTR", "[socket][vectored]") {
  Pair p = connected_pair();
  const std::string x = "interrupted ", y = "but delivered";
  const ConstBuffer list[] = {ConstBuffer(x), ConstBuffer(y)};
  std::error_code ec;
  std::size_t sent = 0;
  arm_hook(SysCall::send, p.client.native_handle(), 2, outlet_test::native_error::interrupted);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    sent = p.client.send_all_vectored(list, 2, ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(sent == x.size() + y.size());
  REQUIRE(hook_calls == 3);

  char a[5] = {}, b[32] = {};
  const MutableBuffer in[] = {MutableBuffer(a, sizeof a), MutableBuffer(b, sizeof b)};
  REQUIRE(p.accepted.wait_readable(guard_timeout));
  std::size_t n = 0;
  arm_hook(SysCall::receive, p.accepted.native_handle(), 3, outlet_test::native_error::interrupted);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    n = p.accepted.receive_vectored(in, 2, ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(n == sent);
  REQUIRE(std::string(a, 5) + std::string(b, n - 5) == x + y);
  REQUIRE(hook_calls == 4);
}

TEST_CASE("Socket vectored calls report errors", "[socket][vectored]") {
  const std::string text = "data";
  const ConstBuffer out[] = {ConstBuffer(text)};
  char store[8];
  const MutableBuffer in[] = {MutableBuffer(store, sizeof store)};

  SECTION("a socket that is not open") {
    Socket closed;
    std::error_code ec;
    REQUIRE(closed.send_vectored(out, 1, ec) == 0);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    REQUIRE(closed.send_all_vectored(out, 1, ec) == 0);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    REQUIRE(closed.send_all_vectored(nullptr, 0, ec) == 0);  // nothing to send still needs a socket
    REQUIRE(ec == std::errc::bad_file_descriptor);
    REQUIRE(closed.receive_vectored(in, 1, ec) == 0);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    REQUIRE(closed.receive_exact_vectored(in, 1, ec) == 0);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    REQUIRE(thrown_by([&] { (void)closed.send_vectored(out, 1); }).code == std::errc::bad_file_descriptor);
    REQUIRE(thrown_by([&] { (void)closed.receive_vectored(in, 1); }).code == std::errc::bad_file_descriptor);
  }
  SECTION("a peer that is gone: an error, never SIGPIPE") {
    const outlet_test::DefaultSigpipe sigpipe;
    REQUIRE(sigpipe.installed());
    Pair p = connected_pair();
    p.accepted.close();
    // Small writes, as a blocking Winsock send of megabytes may wait to queue them all.
    const std::string half(512, 'x');
    const ConstBuffer list[] = {ConstBuffer(half), ConstBuffer(half)};
    std::error_code ec;
    for (int i = 0; i < 100000 && !ec; ++i) (void)p.client.send_all_vectored(list, 2, ec);
    INFO("send_all_vectored: " << ec.message() << " (" << ec.value() << ")");
    REQUIRE((ec == std::errc::broken_pipe || ec == std::errc::connection_reset));
    const auto t = thrown_by([&] { p.client.send_all_vectored(list, 2); });
    REQUIRE(t.thrown);
    REQUIRE(outlet_test::contains(t.what, "send_all_vectored ("));
    REQUIRE(outlet_test::contains(t.what, "of 1024 bytes sent)"));
  }
  SECTION("non-blocking with nothing to read: would_block") {
    Pair p = connected_pair();
    p.client.set_non_blocking(true);
    std::error_code ec;
    REQUIRE(p.client.receive_vectored(in, 1, ec) == 0);
    REQUIRE(ec == std::errc::operation_would_block);
  }
}

TEST_CASE("Socket vectored I/O over a Unix stream socket", "[socket][vectored][unix]") {
  OUTLET_TEST_REQUIRE_UNIX_SOCKETS();
  Pair p = connected_pair(Address::unix_domain(outlet_test::unique_unix_path("vec")));
  const std::string text = pattern(50000, 31);
  const std::vector<ConstBuffer> pieces = cut(text, 5);
  std::string received;
  std::error_code read_ec;
  {
    Joiner reader(read_all(p.accepted, text.size(), received, read_ec));
    p.client.send_all_vectored(pieces.data(), pieces.size());
  }
  REQUIRE_FALSE(read_ec);
  REQUIRE(received == text);
}

// --- DatagramSocket: vectored ------------------------------------------------------

TEST_CASE("DatagramSocket vectored: one datagram from several buffers, scattered on receive", "[datagram][vectored]") {
  DatagramSocket receiver = bound_udp();
  DatagramSocket sender = bound_udp();
  const std::string header = "HDR1", payload = pattern(1000, 41);
  const ConstBuffer out[] = {ConstBuffer(header), ConstBuffer(), ConstBuffer(payload)};
  REQUIRE(sender.send_to_vectored(out, 3, receiver.local_address()) == header.size() + payload.size());

  char h[4] = {};
  std::string body(2000, '\0');
  const MutableBuffer in[] = {MutableBuffer(h, sizeof h), MutableBuffer(&body[0], body.size())};
  Address from;
  const std::size_t n = receiver.receive_from_vectored(in, 2, from);
  REQUIRE(n == header.size() + payload.size());
  REQUIRE(from == sender.local_address());
  REQUIRE(std::string(h, 4) == header);
  REQUIRE(body.compare(0, payload.size(), payload) == 0);

  // Connected: send_vectored / receive_vectored.
  sender.connect(receiver.local_address());
  REQUIRE(sender.send_vectored(out, 3) == header.size() + payload.size());
  std::error_code ec = outlet_test::stale_error();
  REQUIRE(receiver.receive_vectored(in, 2, ec) == header.size() + payload.size());
  REQUIRE_FALSE(ec);
  REQUIRE(std::string(h, 4) == header);
}

TEST_CASE("DatagramSocket vectored: a datagram longer than the buffers is reported, never cut silently",
          "[datagram][vectored]") {
  DatagramSocket receiver = bound_udp();
  DatagramSocket sender = bound_udp();
  const std::string big = pattern(300, 51);
  char a[100] = {}, b[50] = {};
  const MutableBuffer in[] = {MutableBuffer(a, sizeof a), MutableBuffer(b, sizeof b)};

  (void)sender.send_to(big, receiver.local_address());
  std::error_code ec;
  Address from;
  REQUIRE(receiver.receive_from_vectored(in, 2, from, ec) == 150);  // the bytes stored
  REQUIRE(ec == std::errc::message_size);
  REQUIRE(std::string(a, 100) == big.substr(0, 100));
  REQUIRE(std::string(b, 50) == big.substr(100, 50));

  (void)sender.send_to(big, receiver.local_address());
  const auto t = thrown_by([&] { (void)receiver.receive_from_vectored(in, 2, from); });
  REQUIRE(t.code == std::errc::message_size);
  REQUIRE(outlet_test::contains(t.what, "datagram longer than the buffer space (150 bytes)"));
  REQUIRE(outlet_test::contains(t.what, sender.local_address().to_string()));

  // Sending: more buffers than one datagram call takes fails, it is not cut.
  const std::vector<ConstBuffer> many(DatagramSocket::max_buffers() + 1, ConstBuffer(big.data(), 1));
  REQUIRE(sender.send_to_vectored(many.data(), many.size(), receiver.local_address(), ec) == 0);
  REQUIRE(ec == std::errc::message_size);
}

// --- DatagramSocket: batches ------------------------------------------------------------

TEST_CASE("DatagramSocket send_batch / receive_batch move many datagrams, each whole and in order",
          "[datagram][batch]") {
  DatagramSocket receiver = bound_udp();
  DatagramSocket sender = bound_udp();
  // 200 datagrams: more than one sendmmsg()/recvmmsg() chunk (64 / 32).
  constexpr std::size_t count = 200;
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < count; ++i) texts.push_back(pattern(i % 97, 100 + i));  // sizes 0..96
  std::vector<OutgoingDatagram> out;
  for (const std::string& t : texts) out.push_back({ConstBuffer(t), receiver.local_address()});

  std::error_code ec = outlet_test::stale_error();
  REQUIRE(sender.send_batch(out.data(), out.size(), ec) == count);
  REQUIRE_FALSE(ec);

  std::vector<std::string> stores(count, std::string(128, '\0'));
  std::vector<IncomingDatagram> in(count);
  for (std::size_t i = 0; i < count; ++i) in[i].buffer = MutableBuffer(&stores[i][0], stores[i].size());
  std::size_t got = 0;
  int calls = 0;
  while (got < count && calls < 1000) {
    got += receiver.receive_batch(in.data() + got, count - got);
    ++calls;
  }
  REQUIRE(got == count);
  for (std::size_t i = 0; i < count; ++i) {
    INFO("datagram " << i);
    REQUIRE(in[i].received == texts[i].size());
    REQUIRE(stores[i].compare(0, in[i].received, texts[i]) == 0);
    REQUIRE_FALSE(in[i].truncated);
    REQUIRE(in[i].from == sender.local_address());
  }
}

TEST_CASE("DatagramSocket batches use one system call per chunk where the OS has sendmmsg", "[datagram][batch]") {
  DatagramSocket receiver = bound_udp();
  DatagramSocket sender = bound_udp();
  const std::string text = "same";
  const std::vector<OutgoingDatagram> out(64, OutgoingDatagram{ConstBuffer(text), receiver.local_address()});
  std::size_t sent = 0;
  arm_hook(SysCall::send, sender.native_handle(), 0, 0);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    sent = sender.send_batch(out.data(), out.size());
  }
  REQUIRE(sent == 64);
  REQUIRE(hook_calls == (outlet::detail::sys::has_message_batch ? 1 : 64));

  // All 64 are queued now: one receive_batch takes them (recvmmsg: 2 calls
  // of 32; the loop: one recvmsg each).
  std::vector<std::string> stores(64, std::string(16, '\0'));
  std::vector<IncomingDatagram> in(64);
  for (std::size_t i = 0; i < 64; ++i) in[i].buffer = MutableBuffer(&stores[i][0], 16);
  REQUIRE(receiver.wait_readable(guard_timeout));
  std::size_t got = 0;
  arm_hook(SysCall::receive, receiver.native_handle(), 0, 0);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    got = receiver.receive_batch(in.data(), in.size());
  }
  REQUIRE(got == 64);
  REQUIRE(hook_calls == (outlet::detail::sys::has_message_batch ? 2 : 64));
  REQUIRE(stores[63].substr(0, in[63].received) == text);
}

TEST_CASE("DatagramSocket receive_batch returns what is queued without waiting to fill every slot",
          "[datagram][batch]") {
  DatagramSocket receiver = bound_udp();
  DatagramSocket sender = bound_udp();
  (void)sender.send_to(std::string_view("only one"), receiver.local_address());
  char a[32], b[32], c[32];
  IncomingDatagram in[3];
  in[0].buffer = MutableBuffer(a, sizeof a);
  in[1].buffer = MutableBuffer(b, sizeof b);
  in[2].buffer = MutableBuffer(c, sizeof c);
  REQUIRE(receiver.receive_batch(in, 3) == 1);
  REQUIRE(std::string(a, in[0].received) == "only one");
  REQUIRE(in[0].from == sender.local_address());
}

TEST_CASE("DatagramSocket receive_batch reports truncation per datagram", "[datagram][batch]") {
  DatagramSocket receiver = bound_udp();
  DatagramSocket sender = bound_udp();
  const std::string small = "ten bytes!", large = pattern(100, 61), last = "after";
  const OutgoingDatagram out[] = {{ConstBuffer(small), receiver.local_address()},
                                  {ConstBuffer(large), receiver.local_address()},
                                  {ConstBuffer(last), receiver.local_address()}};
  REQUIRE(sender.send_batch(out, 3) == 3);
  std::string stores[3] = {std::string(50, '\0'), std::string(50, '\0'), std::string(50, '\0')};
  IncomingDatagram in[3];
  for (int i = 0; i < 3; ++i) in[i].buffer = MutableBuffer(&stores[i][0], 50);
  std::size_t got = 0;
  for (int calls = 0; got < 3 && calls < 10; ++calls) got += receiver.receive_batch(in + got, 3 - got);
  REQUIRE(got == 3);
  REQUIRE(in[0].received == small.size());
  REQUIRE_FALSE(in[0].truncated);
  REQUIRE(in[1].received == 50);  // cut to the buffer, and said so
  REQUIRE(in[1].truncated);
  REQUIRE(stores[1] == large.substr(0, 50));
  REQUIRE(in[2].received == last.size());
  REQUIRE_FALSE(in[2].truncated);
  REQUIRE(stores[2].substr(0, 5) == last);
}

TEST_CASE("DatagramSocket send_batch to several destinations, and on a connected socket", "[datagram][batch]") {
  DatagramSocket one = bound_udp();
  DatagramSocket two = bound_udp();
  DatagramSocket sender = bound_udp();
  const std::string x = "to one", y = "to two";
  const OutgoingDatagram out[] = {{ConstBuffer(x), one.local_address()}, {ConstBuffer(y), two.local_address()}};
  REQUIRE(sender.send_batch(out, 2) == 2);
  char buf[16];
  REQUIRE(std::string(buf, one.receive(buf, sizeof buf)) == x);
  REQUIRE(std::string(buf, two.receive(buf, sizeof buf)) == y);

  sender.connect(one.local_address());
  const OutgoingDatagram connected[] = {{ConstBuffer(x), Address()}, {ConstBuffer(y), Address()}};
  REQUIRE(sender.send_batch(connected, 2) == 2);
  REQUIRE(std::string(buf, one.receive(buf, sizeof buf)) == x);
  REQUIRE(std::string(buf, one.receive(buf, sizeof buf)) == y);
}

TEST_CASE("DatagramSocket batches report errors", "[datagram][batch]") {
  DatagramSocket receiver = bound_udp();
  DatagramSocket sender = bound_udp();
  const std::string ok = "fits", huge(70000, 'x');  // larger than any UDP datagram
  std::error_code ec;

  SECTION("nothing to do") {
    ec = outlet_test::stale_error();
    REQUIRE(sender.send_batch(nullptr, 0, ec) == 0);
    REQUIRE_FALSE(ec);
    ec = outlet_test::stale_error();
    REQUIRE(receiver.receive_batch(nullptr, 0, ec) == 0);
    REQUIRE_FALSE(ec);
  }
  SECTION("an error on the first datagram is reported") {
    const OutgoingDatagram out[] = {{ConstBuffer(huge), receiver.local_address()},
                                    {ConstBuffer(ok), receiver.local_address()}};
    REQUIRE(sender.send_batch(out, 2, ec) == 0);
    REQUIRE(ec == std::errc::message_size);
    const auto t = thrown_by([&] { (void)sender.send_batch(out, 2); });
    REQUIRE(t.code == std::errc::message_size);
    REQUIRE(outlet_test::contains(t.what, "send_batch " + receiver.local_address().to_string()));
  }
  SECTION("an error later ends the batch there; sending from there meets it") {
    const OutgoingDatagram out[] = {{ConstBuffer(ok), receiver.local_address()},
                                    {ConstBuffer(ok), receiver.local_address()},
                                    {ConstBuffer(huge), receiver.local_address()},
                                    {ConstBuffer(ok), receiver.local_address()}};
    ec = outlet_test::stale_error();
    REQUIRE(sender.send_batch(out, 4, ec) == 2);
    REQUIRE_FALSE(ec);
    REQUIRE(sender.send_batch(out + 2, 2, ec) == 0);
    REQUIRE(ec == std::errc::message_size);
  }
  SECTION("the receive timeout: timed_out, nothing filled") {
    receiver.set_receive_timeout(100ms);
    char a[8];
    IncomingDatagram in[2];
    in[0].buffer = MutableBuffer(a, sizeof a);
    in[1].buffer = MutableBuffer(a, sizeof a);
    const auto start = outlet_test::Clock::now();
    REQUIRE(receiver.receive_batch(in, 2, ec) == 0);
    REQUIRE(ec == std::errc::timed_out);
    REQUIRE(outlet_test::ms_since(start) >= 90);
    REQUIRE(thrown_by([&] { (void)receiver.receive_batch(in, 2); }).code == std::errc::timed_out);
  }
  SECTION("non-blocking with nothing queued: would_block") {
    receiver.set_non_blocking(true);
    char a[8];
    IncomingDatagram in[1];
    in[0].buffer = MutableBuffer(a, sizeof a);
    REQUIRE(receiver.receive_batch(in, 1, ec) == 0);
    REQUIRE(ec == std::errc::operation_would_block);
  }
  SECTION("a socket that is not open") {
    // receive_batch has nothing to open a socket for; send_batch to an
    // address opens one (test_datagram_socket.cpp), without one it cannot.
    DatagramSocket closed;
    const OutgoingDatagram out[] = {{ConstBuffer(ok), Address()}};
    IncomingDatagram in[1];
    REQUIRE(closed.send_batch(out, 1, ec) == 0);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    REQUIRE(closed.receive_batch(in, 1, ec) == 0);
    REQUIRE(ec == std::errc::bad_file_descriptor);
    REQUIRE(thrown_by([&] { (void)closed.send_batch(out, 1); }).code == std::errc::bad_file_descriptor);
    REQUIRE_FALSE(closed.is_open());
  }
}

TEST_CASE("DatagramSocket receive_batch retries EINTR before the first datagram", "[datagram][batch]") {
  DatagramSocket receiver = bound_udp();
  DatagramSocket sender = bound_udp();
  (void)sender.send_to(std::string_view("through"), receiver.local_address());
  REQUIRE(receiver.wait_readable(guard_timeout));
  char a[16];
  IncomingDatagram in[1];
  in[0].buffer = MutableBuffer(a, sizeof a);
  std::size_t got = 0;
  std::error_code ec;
  arm_hook(SysCall::receive, receiver.native_handle(), 2, outlet_test::native_error::interrupted);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    got = receiver.receive_batch(in, 1, ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(got == 1);
  REQUIRE(std::string(a, in[0].received) == "through");
  REQUIRE(hook_calls == 3);
}

TEST_CASE("DatagramSocket batches over Unix datagram sockets carry each sender's path", "[datagram][batch][unix]") {
  OUTLET_TEST_REQUIRE_UNIX_DATAGRAM_SOCKETS();
  DatagramSocket receiver(Address::unix_domain(outlet_test::unique_unix_path("batch-r")));
  DatagramSocket sender(Address::unix_domain(outlet_test::unique_unix_path("batch-s")));
  receiver.set_receive_timeout(guard_timeout);
  const std::string x = "first", y = "second";
  const OutgoingDatagram out[] = {{ConstBuffer(x), receiver.local_address()},
                                  {ConstBuffer(y), receiver.local_address()}};
  REQUIRE(sender.send_batch(out, 2) == 2);
  char a[16], b[16];
  IncomingDatagram in[2];
  in[0].buffer = MutableBuffer(a, sizeof a);
  in[1].buffer = MutableBuffer(b, sizeof b);
  std::size_t got = 0;
  for (int calls = 0; got < 2 && calls < 10; ++calls) got += receiver.receive_batch(in + got, 2 - got);
  REQUIRE(got == 2);
  REQUIRE(std::string(a, in[0].received) == x);
  REQUIRE(std::string(b, in[1].received) == y);
  REQUIRE(in[0].from == sender.local_address());
  REQUIRE(in[1].from == sender.local_address());
}

TEST_CASE("Socket send_all_vectored: the send timeout covers the whole call", "[socket][vectored]") {
  Pair p = connected_pair();
  p.client.set_send_buffer_size(4096);
  p.client.set_send_timeout(200ms);
  // Nobody reads: the buffers fill and the deadline passes part-way.
  const std::string big = pattern(8 * 1024 * 1024, 71);
  const ConstBuffer list[] = {ConstBuffer(big.data(), 3), ConstBuffer(big.data() + 3, big.size() - 3)};
  std::error_code ec;
  const auto start = outlet_test::Clock::now();
  const std::size_t sent = p.client.send_all_vectored(list, 2, ec);
  REQUIRE(ec == std::errc::timed_out);
  REQUIRE(sent > 0);
  REQUIRE(sent < big.size());
  REQUIRE(outlet_test::ms_since(start) >= 190);
  REQUIRE(outlet_test::ms_since(start) < 5000);
}

TEST_CASE("DatagramSocket vectored ec forms clear a stale error when they succeed", "[datagram][vectored]") {
  // No timeouts here: the untimed path must clear ec too.
  DatagramSocket receiver(Address::loopback(Family::ipv4, 0));
  DatagramSocket sender(Address::loopback(Family::ipv4, 0));
  const std::string text = "fresh";
  const ConstBuffer out[] = {ConstBuffer(text)};
  char store[16] = {};
  const MutableBuffer in[] = {MutableBuffer(store, sizeof store)};
  Address from;

  std::error_code ec = outlet_test::stale_error();
  REQUIRE(sender.send_to_vectored(out, 1, receiver.local_address(), ec) == text.size());
  REQUIRE_FALSE(ec);
  ec = outlet_test::stale_error();
  REQUIRE(receiver.receive_from_vectored(in, 1, from, ec) == text.size());
  REQUIRE_FALSE(ec);
  REQUIRE(from == sender.local_address());

  sender.connect(receiver.local_address());
  ec = outlet_test::stale_error();
  REQUIRE(sender.send_vectored(out, 1, ec) == text.size());
  REQUIRE_FALSE(ec);
  ec = outlet_test::stale_error();
  REQUIRE(receiver.receive_vectored(in, 1, ec) == text.size());
  REQUIRE_FALSE(ec);
  REQUIRE(std::string(store, text.size()) == text);
}

TEST_CASE("DatagramSocket receive into more buffers than max_buffers() fails before receiving",
          "[datagram][vectored]") {
  DatagramSocket receiver = bound_udp();
  DatagramSocket sender = bound_udp();
  const std::string text = pattern(200, 81);
  (void)sender.send_to(text, receiver.local_address());
  std::string store(DatagramSocket::max_buffers() + 1, '\0');
  std::vector<MutableBuffer> in;
  for (std::size_t i = 0; i < store.size(); ++i) in.emplace_back(&store[i], 1);
  std::error_code ec;
  REQUIRE(receiver.receive_vectored(in.data(), in.size(), ec) == 0);
  REQUIRE(ec == std::errc::message_size);
  // The datagram is still there, whole.
  char whole[512];
  REQUIRE(std::string(whole, receiver.receive(whole, sizeof whole)) == text);
}

TEST_CASE("DatagramSocket send_batch retries EINTR and still sends every datagram once", "[datagram][batch]") {
  DatagramSocket receiver = bound_udp();
  DatagramSocket sender = bound_udp();
  std::vector<std::string> texts;
  for (int i = 0; i < 10; ++i) texts.push_back("datagram " + std::to_string(i));
  std::vector<OutgoingDatagram> out;
  for (const std::string& t : texts) out.push_back({ConstBuffer(t), receiver.local_address()});
  std::size_t sent = 0;
  std::error_code ec;
  arm_hook(SysCall::send, sender.native_handle(), 2, outlet_test::native_error::interrupted);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    sent = sender.send_batch(out.data(), out.size(), ec);
  }
  REQUIRE_FALSE(ec);
  REQUIRE(sent == 10);
  REQUIRE(hook_calls == (outlet::detail::sys::has_message_batch ? 3 : 12));
  char buf[32];
  for (const std::string& t : texts) REQUIRE(std::string(buf, receiver.receive(buf, sizeof buf)) == t);
}

TEST_CASE("DatagramSocket batches over IPv6 loopback", "[datagram][batch]") {
  DatagramSocket receiver(Address::loopback(Family::ipv6, 0));
  DatagramSocket sender(Address::loopback(Family::ipv6, 0));
  receiver.set_receive_timeout(guard_timeout);
  const std::string x = "six", y = "over ::1";
  const OutgoingDatagram out[] = {{ConstBuffer(x), receiver.local_address()},
                                  {ConstBuffer(y), receiver.local_address()}};
  REQUIRE(sender.send_batch(out, 2) == 2);
  char a[16], b[16];
  IncomingDatagram in[2];
  in[0].buffer = MutableBuffer(a, sizeof a);
  in[1].buffer = MutableBuffer(b, sizeof b);
  std::size_t got = 0;
  for (int calls = 0; got < 2 && calls < 10; ++calls) got += receiver.receive_batch(in + got, 2 - got);
  REQUIRE(got == 2);
  REQUIRE(std::string(a, in[0].received) == x);
  REQUIRE(std::string(b, in[1].received) == y);
  REQUIRE(in[0].from == sender.local_address());
  REQUIRE(in[0].from.family() == Family::ipv6);
}
