// Tests for <outlet/tls.hpp>: outlet's TLS stream against peers that are
// not outlet (openssl s_server/s_client, Python's ssl in tests/tls/
// tls_peer.py), with certificates made at test time (tls_test_support.hpp),
// and outlet against itself where both sides are outlet's business.
#include "catch.hpp"
#include "test_support.hpp"
#include "tls_test_support.hpp"

#include <outlet/outlet.hpp>
#include <outlet/tls.hpp>

#include <openssl/err.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using outlet::Address;
using outlet::Family;
using outlet::ServerSocket;
using outlet::Socket;
using outlet_test::contains;
using outlet_tls_test::Certificates;
using outlet_tls_test::Process;
using outlet_tls_test::python_peer;
using outlet_tls_test::read_port;
namespace tls = outlet::tls;

// How long a step whose length is not what a case tests may take before the
// case gives up (a connect, an accept, a handshake with a peer that answers, a
// close_notify exchange): long, because python3 and openssl start slowly on
// a loaded machine (CI saw an accept give up after 10 s with load above 10).
constexpr auto patience = 60s;

const Certificates& certs() { return Certificates::get(); }

/// A client context that trusts only the test CA.
tls::Context test_client() {
  tls::Context context = tls::Context::client();
  context.trust_ca_file(certs().ca());
  return context;
}

/// tls_peer.py as a server with certificate `name` (server, expired, ...).
std::vector<std::string> python_server(const std::string& name, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"server", "--cert", certs().path(name + ".pem"), "--key",
                                   certs().path(name + ".key")};
  args.insert(args.end(), more.begin(), more.end());
  return python_peer(args);
}

/// openssl s_server with certificate `name`, one connection, echoing lines reversed.
std::vector<std::string> openssl_server(const std::string& name, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"openssl",  "s_server",
                                   "-accept",  "127.0.0.1:0",
                                   "-naccept", "1",
                                   "-cert",    certs().path(name + ".pem"),
                                   "-key",     certs().path(name + ".key"),
                                   "-rev"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

/// tls::connect's error, and what() of its throwing form.
struct Failure {
  std::error_code ec;
  std::string what;
  std::string detail;
};
Failure connect_failure(const std::string& host, std::uint16_t port, tls::Context& context) {
  Failure f;
  tls::Stream stream = tls::connect(host, port, context, patience, f.ec);
  CHECK_FALSE(stream.is_open());
  try {
    (void)tls::connect(host, port, context, patience);
  } catch (const tls::Error& e) {
    f.what = e.what();
    f.detail = e.detail();
  }
  return f;
}

}  // namespace

TEST_CASE("the tls error category names every error and compares portably") {
  CHECK(std::string(tls::category().name()) == "outlet.tls");
  const std::error_code ec = tls::errc::truncated;
  CHECK(ec == tls::errc::truncated);
  CHECK(ec != tls::errc::peer_alert);
  CHECK(ec.category() == tls::category());
  for (int i = 1; i <= static_cast<int>(tls::errc::library_error); ++i) {
    CHECK(tls::category().message(i) != "unknown TLS error");
  }
  CHECK(tls::category().message(999) == "unknown TLS error");
}

TEST_CASE("a client verifies a Python server whose certificate chains to the trusted CA, and echoes") {
  Process server(python_server("server"));
  const std::uint16_t port = read_port(server);
  tls::Context context = test_client();
  tls::Stream stream = tls::connect("localhost", port, context, patience);
  CHECK(stream.handshake_done());
  CHECK(stream.protocol() == "TLSv1.3");
  CHECK(contains(stream.peer_certificate_subject(), "CN=localhost"));
  CHECK_FALSE(stream.cipher().empty());
  CHECK(stream.alpn().empty());
  const std::string message = "hello over TLS";
  stream.send_all(message);
  std::string echoed(message.size(), '\0');
  CHECK(stream.receive_exact(echoed.data(), echoed.size()) == message.size());
  CHECK(echoed == message);
  stream.shutdown(patience);
  CHECK(server.line() == "SNI localhost");
  CHECK(contains(server.line(), "HANDSHAKE_OK TLSv1.3"));
  CHECK(server.line_starting("RECEIVED") == "RECEIVED " + std::to_string(message.size()));
}

TEST_CASE("an IP literal is checked against the certificate's IP addresses and sends no SNI") {
  SECTION("127.0.0.1") {
    Process server(python_server("server"));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    tls::Stream stream = tls::connect("127.0.0.1", port, context, patience);
    stream.send_all("x");
    char c = 0;
    CHECK(stream.receive(&c, 1) == 1);
    stream.shutdown(patience);
    CHECK(server.line() == "SNI -");
  }
  SECTION("::1") {
    Process server(python_server("server", {"--host", "::1"}));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    std::error_code ec;
    tls::Stream stream = tls::connect("::1", port, context, patience, ec);
    if (ec == std::errc::address_family_not_supported || ec == std::errc::address_not_available) {
      SUCCEED("no IPv6 here");
      return;
    }
    REQUIRE_FALSE(ec);
    CHECK(stream.protocol() == "TLSv1.3");
    stream.shutdown(patience);
    CHECK(server.line() == "SNI -");
  }
}

TEST_CASE("a certificate for another name fails with hostname_mismatch and sends no data") {
  SECTION("against openssl s_server") {
    Process server(openssl_server("other", {"-naccept", "2"}));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    const Failure f = connect_failure("localhost", port, context);
    CHECK(f.ec == tls::errc::hostname_mismatch);
    CHECK(contains(f.what, "tls handshake \"localhost\" 127.0.0.1:"));
    CHECK(contains(f.what, "hostname mismatch"));
  }
  SECTION("against Python, by IP address") {
    Process server(python_server("other"));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    std::error_code ec;
    tls::Stream stream = tls::connect("127.0.0.1", port, context, patience, ec);
    CHECK(ec == tls::errc::hostname_mismatch);
    CHECK(contains(server.line_starting("HANDSHAKE"), "HANDSHAKE_FAILED"));
    CHECK(server.line_starting("RAW_AFTER_FAILURE") == "RAW_AFTER_FAILURE 0");
  }
}

TEST_CASE("expired, self-signed and untrusted certificates fail with certificate_verify_failed") {
  struct Case {
    const char* name;
    const char* reason;
  };
  const Case cases[] = {{"expired", "certificate has expired"},
                        {"self", "self-signed certificate"},
                        {"untrusted", "unable to get local issuer certificate"}};
  for (const Case& c : cases) {
    INFO(c.name);
    {
      Process server(openssl_server(c.name, {"-naccept", "2"}));
      const std::uint16_t port = read_port(server);
      tls::Context context = test_client();
      const Failure f = connect_failure("localhost", port, context);
      CHECK(f.ec == tls::errc::certificate_verify_failed);
      CHECK(f.detail == c.reason);
      CHECK(contains(f.what, std::string("certificate verify failed: ") + c.reason));
    }
    {
      Process server(python_server(c.name));
      const std::uint16_t port = read_port(server);
      tls::Context context = test_client();
      std::error_code ec;
      tls::Stream stream = tls::connect("localhost", port, context, patience, ec);
      CHECK(ec == tls::errc::certificate_verify_failed);
      CHECK(contains(server.line_starting("HANDSHAKE"), "HANDSHAKE_FAILED"));
      CHECK(server.line_starting("RAW_AFTER_FAILURE") == "RAW_AFTER_FAILURE 0");
    }
  }
}

TEST_CASE("a default client context trusts the system store only, not the test CA") {
  Process server(python_server("server"));
  const std::uint16_t port = read_port(server);
  tls::Context context = tls::Context::client();
  std::error_code ec;
  tls::Stream stream = tls::connect("localhost", port, context, patience, ec);
  CHECK(ec == tls::errc::certificate_verify_failed);
}

TEST_CASE("disable_verification_insecure connects to a self-signed server") {
  Process server(openssl_server("self"));
  const std::uint16_t port = read_port(server);
  tls::Context context = tls::Context::client();
  context.disable_verification_insecure();
  CHECK_FALSE(context.verifies_peer());
  tls::Stream stream = tls::connect("localhost", port, context, patience);
  stream.send_all("abc\n");
  char reply[4] = {};
  CHECK(stream.receive_exact(reply, sizeof reply) == sizeof reply);
  CHECK(std::string(reply, 4) == "cba\n");
}

TEST_CASE("without verification a client stream may have no host name, and sends no SNI") {
  Process server(python_server("self"));
  const std::uint16_t port = read_port(server);
  tls::Context context = tls::Context::client();
  context.disable_verification_insecure();
  tls::Stream stream(Socket(Address::loopback(Family::ipv4, port)), context, "");
  CHECK(stream.send(std::string_view()) == 0);  // an empty send still does the handshake
  CHECK(stream.handshake_done());
  stream.handshake(patience);  // done already: nothing more
  CHECK(stream.protocol() == "TLSv1.3");
  stream.shutdown(patience);
  CHECK(server.line() == "SNI -");
}

TEST_CASE("a server limited to TLS 1.1 is refused with protocol_version") {
  SECTION("openssl s_server -tls1_1") {
    Process server(openssl_server("server", {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    std::error_code ec;
    tls::Stream stream = tls::connect("localhost", port, context, patience, ec);
    CHECK(ec == tls::errc::protocol_version);
  }
  SECTION("Python, TLS 1.0 to 1.1") {
    Process server(python_server("server", {"--max-version", "1.1"}));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    std::error_code ec;
    tls::Stream stream = tls::connect("localhost", port, context, patience, ec);
    CHECK(ec == tls::errc::protocol_version);
  }
  SECTION("a TLS 1.2 server and a client that requires 1.3") {
    Process server(openssl_server("server", {"-tls1_2"}));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    context.set_min_version(tls::Version::tls1_3);
    std::error_code ec;
    tls::Stream stream = tls::connect("localhost", port, context, patience, ec);
    CHECK(ec == tls::errc::protocol_version);
  }
}

TEST_CASE("ALPN: the client offers, the server picks") {
  SECTION("outlet client, Python server") {
    Process server(python_server("server", {"--alpn", "http/1.1"}));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    context.set_alpn({"h2", "http/1.1"});
    tls::Stream stream = tls::connect("localhost", port, context, patience);
    CHECK(stream.alpn() == "http/1.1");
    stream.shutdown(patience);
  }
  SECTION("outlet server, Python client") {
    ServerSocket listener(Address::loopback(Family::ipv4, 0));
    tls::Context context = tls::Context::server(certs().path("server.pem"), certs().path("server.key"));
    context.set_alpn({"h2", "http/1.1"});
    Process client(python_peer({"client", "--port", std::to_string(listener.local_address().port()), "--ca",
                                certs().ca(), "--alpn", "http/1.1,h2"}));
    tls::Stream stream = tls::accept(listener, context, patience);
    CHECK(stream.alpn() == "h2");
    char line[18] = {};
    REQUIRE(stream.receive_exact(line, sizeof line) == sizeof line);
    stream.send_all(line, sizeof line);
    CHECK(contains(client.line(), "ALPN h2"));
    CHECK(client.line() == "ECHO hello from python");
    stream.shutdown(patience);
  }
  SECTION("invalid protocol names are refused, quoted") {
    tls::Context context = tls::Context::client();
    try {
      context.set_alpn({"h2", ""});
      FAIL("no exception");
    } catch (const std::system_error& e) {
      CHECK(e.code() == std::errc::invalid_argument);
      CHECK(contains(e.what(), "tls::Context::set_alpn \"\""));
    }
  }
}

TEST_CASE("mutual TLS: accepted with a client certificate, refused without") {
  SECTION("outlet client with a certificate, Python server requiring one") {
    Process server(python_server("server", {"--ca", certs().ca(), "--require-client-cert"}));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    context.use_certificate_file(certs().path("client.pem"), certs().path("client.key"));
    tls::Stream stream = tls::connect("localhost", port, context, patience);
    stream.send_all("ping");
    char reply[4];
    CHECK(stream.receive_exact(reply, 4) == 4);
    stream.shutdown(patience);
    CHECK(contains(server.line_starting("HANDSHAKE"), "PEER outlet test client"));
  }
  SECTION("outlet client without a certificate: the server's certificate_required alert") {
    Process server(python_server("server", {"--ca", certs().ca(), "--require-client-cert"}));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    std::error_code ec;
    tls::Stream stream = tls::connect("localhost", port, context, patience, ec);
    // TLS 1.3: the client's handshake ends before the server has checked
    // its (empty) certificate; the refusal arrives as an alert.
    if (!ec) {
      char c;
      (void)stream.receive(&c, 1, ec);
    }
    CHECK(ec == tls::errc::certificate_required);
    CHECK(stream.error_detail() == "alert from the peer: certificate required (116)");
    CHECK(contains(server.line_starting("HANDSHAKE"), "HANDSHAKE_FAILED"));
  }
  SECTION("outlet server requiring one: Python client with and without") {
    ServerSocket listener(Address::loopback(Family::ipv4, 0));
    tls::Context context = tls::Context::server(certs().path("server.pem"), certs().path("server.key"));
    context.trust_ca_file(certs().ca());
    context.require_client_certificate();
    const std::string port = std::to_string(listener.local_address().port());
    {
      Process client(python_peer({"client", "--port", port, "--ca", certs().ca(), "--cert", certs().path("client.pem"),
                                  "--key", certs().path("client.key")}));
      tls::Stream stream = tls::accept(listener, context, patience);
      CHECK(stream.peer_certificate_subject() == "CN=outlet test client");
      char line[18];
      REQUIRE(stream.receive_exact(line, sizeof line) == sizeof line);
      stream.send_all(line, sizeof line);
      CHECK(client.line_starting("ECHO") == "ECHO hello from python");
      stream.shutdown(patience);
    }
    {
      Process client(python_peer({"client", "--port", port, "--ca", certs().ca()}));
      std::error_code ec;
      tls::Stream stream = tls::accept(listener, context, patience, ec);
      CHECK(ec == tls::errc::certificate_required);
      CHECK_FALSE(stream.is_open());
    }
    {  // a client certificate from a CA the server does not trust
      Process client(python_peer({"client", "--port", port, "--ca", certs().ca(), "--cert",
                                  certs().path("untrusted.pem"), "--key", certs().path("untrusted.key")}));
      std::error_code ec;
      tls::Stream stream = tls::accept(listener, context, patience, ec);
      CHECK(ec == tls::errc::certificate_verify_failed);
    }
  }
}

TEST_CASE("openssl s_client verifies an outlet server and echoes through it") {
  ServerSocket listener(Address::loopback(Family::ipv4, 0));
  tls::Context context = tls::Context::server_pem(certs().read("server.pem"), certs().read("server.key"));
  Process client({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(listener.local_address().port()),
                  "-CAfile", certs().ca(), "-servername", "localhost", "-verify_return_error", "-quiet"});
  client.write("ping from s_client\n");
  tls::Stream stream = tls::accept(listener, context, patience);
  char line[19];
  REQUIRE(stream.receive_exact(line, sizeof line) == sizeof line);
  CHECK(std::string(line, sizeof line) == "ping from s_client\n");
  stream.send_all("pong\n");
  CHECK(client.line() == "pong");
  stream.shutdown(patience);
  client.close_stdin();
  CHECK(client.wait() == 0);
}

TEST_CASE("a peer that closes without close_notify gives truncated, and one that sends it gives 0") {
  SECTION("without") {
    Process server(python_server("server", {"--mode", "truncate"}));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    tls::Stream stream = tls::connect("localhost", port, context, patience);
    char bye[3];
    REQUIRE(stream.receive_exact(bye, 3) == 3);
    std::error_code ec;
    char more;
    CHECK(stream.receive(&more, 1, ec) == 0);
    CHECK(ec == tls::errc::truncated);
    try {
      (void)stream.receive(&more, 1);
      FAIL("no exception");
    } catch (const tls::Error& e) {
      CHECK(contains(e.what(), "tls receive \"localhost\""));
    }
  }
  SECTION("with") {
    Process server(python_server("server", {"--mode", "close"}));
    const std::uint16_t port = read_port(server);
    tls::Context context = test_client();
    tls::Stream stream = tls::connect("localhost", port, context, patience);
    char bye[3];
    REQUIRE(stream.receive_exact(bye, 3) == 3);
    std::error_code ec;
    char c;
    CHECK(stream.receive(&c, 1, ec) == 0);
    CHECK_FALSE(ec);
  }
}

TEST_CASE("a listener that never answers makes the handshake time out on its deadline") {
  ServerSocket silent(Address::loopback(Family::ipv4, 0));  // never accepts: the kernel completes the connect
  tls::Context context = test_client();
  const auto start = outlet_test::Clock::now();
  std::error_code ec;
  tls::Stream stream = tls::connect("127.0.0.1", silent.local_address().port(), context, 300ms, ec);
  const long long ms = outlet_test::ms_since(start);
  CHECK(ec == std::errc::timed_out);
  CHECK(ms >= 290);
  CHECK(ms < 3000);

  // Stream::handshake(timeout) and a receive timeout, likewise.
  Socket socket(silent.local_address());
  tls::Stream second(std::move(socket), context, "localhost");
  const auto again = outlet_test::Clock::now();
  second.handshake(200ms, ec);
  CHECK(ec == std::errc::timed_out);
  CHECK(outlet_test::ms_since(again) >= 190);
}

TEST_CASE("a receive timeout holds on an established stream") {
  Process server(python_server("server", {"--mode", "silent"}));
  const std::uint16_t port = read_port(server);
  tls::Context context = test_client();
  tls::Stream stream = tls::connect("localhost", port, context, patience);
  stream.socket().set_receive_timeout(200ms);
  const auto start = outlet_test::Clock::now();
  char c;
  std::error_code ec;
  CHECK(stream.receive(&c, 1, ec) == 0);
  CHECK(ec == std::errc::timed_out);
  const long long ms = outlet_test::ms_since(start);
  CHECK(ms >= 190);
  CHECK(ms < 3000);
}

TEST_CASE("writing to a closed TLS peer fails without SIGPIPE") {
  // The default SIGPIPE action: a write through OpenSSL's own fd I/O would kill this process.
  REQUIRE(std::signal(SIGPIPE, SIG_DFL) != SIG_ERR);
  ServerSocket listener(Address::loopback(Family::ipv4, 0));
  tls::Context server_context = tls::Context::server(certs().path("server.pem"), certs().path("server.key"));
  std::thread server([&] {
    std::error_code ignored;
    tls::Stream stream = tls::accept(listener, server_context, patience, ignored);
    stream.socket().close(ignored);  // gone, no close_notify
  });
  tls::Context context = test_client();
  tls::Stream stream = tls::connect("localhost", listener.local_address().port(), context, patience);
  server.join();
  const std::string chunk(16384, 'x');
  std::error_code ec;
  for (int i = 0; i < 1000 && !ec; ++i) stream.send_all(chunk, ec);
  CHECK((ec == std::errc::broken_pipe || ec == std::errc::connection_reset));
}

TEST_CASE("a non-blocking client handshakes and echoes through a Poller, guided by wants()") {
  // The server accepts only after the client's first handshake call, so
  // that call must report operation_would_block.
  ServerSocket listener(Address::loopback(Family::ipv4, 0));
  tls::Context server_context = tls::Context::server(certs().path("server.pem"), certs().path("server.key"));
  const std::size_t total = 100000;
  tls::Context context = test_client();
  Socket socket(listener.local_address());
  socket.set_non_blocking(true);
  tls::Stream stream(std::move(socket), context, "localhost");
  std::error_code ec;
  stream.handshake(ec);
  REQUIRE(ec == std::errc::operation_would_block);
  CHECK(stream.wants() == outlet::Interest::readable);  // the ClientHello went out; now the answer
  std::atomic<bool> server_ok{false};
  std::thread server([&] {  // no Catch2 assertions off the main thread
    std::error_code server_ec;
    tls::Stream peer = tls::accept(listener, server_context, patience, server_ec);
    std::vector<char> buffer(total);
    if (!server_ec && peer.receive_exact(buffer.data(), buffer.size(), server_ec) == total) {
      peer.send_all(buffer.data(), buffer.size(), server_ec);
      server_ok = !server_ec;
    }
    peer.shutdown(patience, server_ec);
  });
  outlet::Poller poller;
  poller.add(stream.socket(), outlet::Interest::readable, 1);
  auto wait_for = [&](outlet::Interest interest) {
    poller.modify(stream.socket(), interest, 1);
    REQUIRE(poller.wait(patience) == 1);
  };
  int would_block = 1;
  for (;;) {
    wait_for(stream.wants());
    stream.handshake(ec);
    if (ec != std::errc::operation_would_block) break;
    ++would_block;
  }
  REQUIRE_FALSE(ec);
  CHECK(stream.handshake_done());
  const std::string message = outlet_test::pattern(total, 17);
  std::size_t sent = 0;
  std::string echoed;
  char buffer[16384];
  while (echoed.size() < message.size()) {
    bool progress = false;
    if (sent < message.size()) {
      const std::size_t n = stream.send(message.data() + sent, message.size() - sent, ec);
      if (!ec) {
        sent += n;
        progress = true;
      } else {
        REQUIRE(ec == std::errc::operation_would_block);
      }
    }
    const std::size_t got = stream.receive(buffer, sizeof buffer, ec);
    if (!ec) {
      REQUIRE(got > 0);
      echoed.append(buffer, got);
      progress = true;
    } else {
      REQUIRE(ec == std::errc::operation_would_block);
    }
    if (!progress) wait_for(sent < message.size() ? outlet::Interest::both : stream.wants());
  }
  CHECK(echoed == message);
  poller.remove(stream.socket());
  server.join();
  CHECK(server_ok);
}

TEST_CASE("outlet to outlet: a server in a thread, session resumption on the second connection") {
  ServerSocket listener(Address::loopback(Family::ipv4, 0));
  tls::Context server_context = tls::Context::server(certs().path("server.pem"), certs().path("server.key"));
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      tls::Stream stream = tls::accept(listener, server_context, patience);
      char buffer[5];
      if (stream.receive_exact(buffer, 5) == 5) stream.send_all(buffer, 5);
      std::error_code ec;
      stream.shutdown(patience, ec);
    }
  });
  tls::Context context = test_client();
  for (int i = 0; i < 2; ++i) {
    tls::Stream stream = tls::connect("localhost", listener.local_address().port(), context, patience);
    CHECK(stream.session_reused() == (i == 1));
    stream.send_all("hello");
    char reply[5];
    CHECK(stream.receive_exact(reply, 5) == 5);
    CHECK(std::string(reply, 5) == "hello");
    stream.shutdown(patience);
  }
  server.join();
}

// SSL_get_error() misreads a step that must wait as a failure when the
// thread's OpenSSL error queue holds something: outlet clears what other
// code left there before each step.
TEST_CASE("an OpenSSL error left in the queue by other code does not fail a stream") {
  ServerSocket listener(Address::loopback(Family::ipv4, 0));
  tls::Context server_context = tls::Context::server(certs().path("server.pem"), certs().path("server.key"));
  std::thread server([&] {
    std::error_code ec;
    tls::Stream stream = tls::accept(listener, server_context, patience, ec);
    char buffer[5];
    if (!ec && stream.receive_exact(buffer, 5, ec) == 5) stream.send_all(buffer, 5, ec);
    if (!ec) stream.shutdown(patience, ec);
  });
  tls::Context context = test_client();
  tls::Stream stream = tls::connect("localhost", listener.local_address().port(), context, patience);
  stream.socket().set_non_blocking(true);
  ERR_raise(ERR_LIB_USER, 1);  // what a careless library call might leave behind
  char reply[5];
  std::error_code ec;
  CHECK(stream.receive(reply, sizeof reply, ec) == 0);
  CHECK(ec == std::errc::operation_would_block);  // nothing was sent yet: not a TLS error
  stream.socket().set_non_blocking(false);
  ERR_raise(ERR_LIB_USER, 2);
  stream.send_all("hello");
  CHECK(stream.receive_exact(reply, 5) == 5);
  CHECK(std::string(reply, 5) == "hello");
  stream.shutdown(patience);
  server.join();
}

// The receives of one handle, counted by a fault hook that fails nothing.
std::atomic<outlet::native_handle_type> counted_handle{outlet::detail::sys::invalid_handle};
std::atomic<int> counted_receives{0};
int count_receives(outlet::detail::SysCall call, outlet::native_handle_type h) {
  if (call == outlet::detail::SysCall::receive && h == counted_handle.load()) ++counted_receives;
  return 0;
}

// Read-ahead: a record is read with one system call, not its 5-byte header
// first and then its body (what OpenSSL does on a descriptor by default, and
// so plain code: two receives per record).
TEST_CASE("a stream reads each small record with one receive, not two") {
  constexpr int rounds = 40;
  counted_handle = outlet::detail::sys::invalid_handle;
  // The hook is a plain global pointer: set it before the server thread
  // starts and reset it after that thread ends (TSan saw the race otherwise).
  // It counts nothing until counted_handle names the client's socket.
  const outlet_test::ScopedFaultHook hook(count_receives);
  ServerSocket listener(Address::loopback(Family::ipv4, 0));
  tls::Context server_context = tls::Context::server(certs().path("server.pem"), certs().path("server.key"));
  std::thread server([&] {
    std::error_code ec;
    tls::Stream stream = tls::accept(listener, server_context, patience, ec);
    char buffer[64];
    for (int i = 0; i <= rounds && !ec; ++i) {
      if (stream.receive_exact(buffer, sizeof buffer, ec) == sizeof buffer) stream.send_all(buffer, sizeof buffer, ec);
    }
    if (!ec) stream.shutdown(patience, ec);
  });
  tls::Context context = test_client();
  tls::Stream stream = tls::connect("localhost", listener.local_address().port(), context, patience);
  const std::string message(64, 'r');
  char reply[64];
  // One round first: TLS 1.3 servers send their session tickets after the
  // handshake, and the client reads them with the first reply.
  stream.send_all(message);
  REQUIRE(stream.receive_exact(reply, sizeof reply) == sizeof reply);
  counted_receives = 0;
  counted_handle = stream.socket().native_handle();
  for (int i = 0; i < rounds; ++i) {
    stream.send_all(message);
    REQUIRE(stream.receive_exact(reply, sizeof reply) == sizeof reply);
    REQUIRE(std::string(reply, sizeof reply) == message);
  }
  counted_handle = outlet::detail::sys::invalid_handle;
  // One reply is one record, sent in one segment on loopback: one receive
  // each (a little slack for a record the kernel hands over in two parts).
  CHECK(counted_receives.load() >= rounds);
  CHECK(counted_receives.load() <= rounds + rounds / 10);
  stream.shutdown(patience);
  server.join();
}

TEST_CASE("bad certificate files and keys are refused with what they were") {
  SECTION("a missing file, quoted") {
    try {
      (void)tls::Context::server("/nonexistent/chain.pem", "/nonexistent/key.pem");
      FAIL("no exception");
    } catch (const std::system_error& e) {
      CHECK(e.code() == std::errc::no_such_file_or_directory);
      CHECK(contains(e.what(), "\"/nonexistent/chain.pem\""));
    }
  }
  SECTION("a key that belongs to another certificate") {
    std::error_code ec;
    tls::Context context = tls::Context::server(certs().path("server.pem"), certs().path("other.key"), ec);
    CHECK(ec == tls::errc::key_mismatch);
    CHECK_FALSE(context.is_open());
  }
  SECTION("PEM text that holds no certificate") {
    std::error_code ec;
    tls::Context context = tls::Context::server_pem("not a certificate", certs().read("server.key"), ec);
    CHECK(ec == tls::errc::invalid_certificate);
    tls::Context client = tls::Context::client();
    client.trust_ca_pem("nothing here", ec);
    CHECK(ec == tls::errc::invalid_certificate);
  }
  SECTION("a client stream needs a host name to verify") {
    ServerSocket listener(Address::loopback(Family::ipv4, 0));
    tls::Context context = tls::Context::client();
    std::error_code ec;
    tls::Stream stream(Socket(listener.local_address()), context, "", ec);
    CHECK(ec == std::errc::invalid_argument);
    CHECK(contains(stream.error_detail(), "no host name"));
  }
}

TEST_CASE("contexts shared between threads: concurrent handshakes and echoes, one Stream per thread") {
  ServerSocket listener(Address::loopback(Family::ipv4, 0));
  tls::Context server_context = tls::Context::server(certs().path("server.pem"), certs().path("server.key"));
  tls::Context client_context = test_client();
  constexpr int clients = 4;
  constexpr int rounds = 3;
  std::atomic<int> echoed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&] {  // a server thread per connection, all on one context
      for (int r = 0; r < rounds; ++r) {
        std::error_code ec;
        tls::Stream stream = tls::accept(listener, server_context, patience, ec);
        if (ec) continue;
        char buffer[64];
        const std::size_t n = stream.receive_exact(buffer, sizeof buffer, ec);
        if (!ec && n == sizeof buffer) stream.send_all(buffer, n, ec);
        stream.shutdown(patience, ec);
      }
    });
  }
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      for (int r = 0; r < rounds; ++r) {
        std::error_code ec;
        tls::Stream stream = tls::connect("localhost", listener.local_address().port(), client_context, patience, ec);
        if (ec) continue;
        const std::string message = outlet_test::pattern(64, static_cast<std::uint64_t>(i * 10 + r));
        std::string reply(64, '\0');
        stream.send_all(message, ec);
        if (!ec && stream.receive_exact(reply.data(), reply.size(), ec) == 64 && reply == message) ++echoed;
        stream.shutdown(patience, ec);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(echoed.load() == clients * rounds);
}

TEST_CASE("send_all_vectored gathers buffers into records, in order") {
  Process server(python_server("server"));
  const std::uint16_t port = read_port(server);
  tls::Context context = test_client();
  tls::Stream stream = tls::connect("localhost", port, context, patience);
  const std::string big = outlet_test::pattern(40000, 3);
  using namespace std::string_view_literals;
  std::vector<outlet::ConstBuffer> buffers = {outlet::ConstBuffer("head:"sv), outlet::ConstBuffer(), big,
                                              outlet::ConstBuffer(":tail"sv)};
  for (int i = 0; i < 300; ++i) buffers.emplace_back("x"sv);  // many small buffers
  stream.send_all_vectored(buffers.data(), buffers.size());
  const std::string expected = "head:" + big + ":tail" + std::string(300, 'x');
  std::string echoed(expected.size(), '\0');
  REQUIRE(stream.receive_exact(echoed.data(), echoed.size()) == expected.size());
  CHECK(echoed == expected);
  std::error_code ec;
  CHECK(stream.send_all_vectored({outlet::ConstBuffer("a"sv), outlet::ConstBuffer("b"sv)}, ec) == 2);
  CHECK_FALSE(ec);
  stream.shutdown(patience);
  CHECK(server.line_starting("RECEIVED") == "RECEIVED " + std::to_string(expected.size() + 2));
}
