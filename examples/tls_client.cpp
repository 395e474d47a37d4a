// tls_client: sends lines to a TLS echo server and prints what comes back.
//
//   tls_client localhost:4433 --ca ca.pem hello world   trusts only ca.pem; sends "hello\n", "world\n"
//   printf 'a\nb\n' | tls_client example.com:7443        the system's CAs; sends stdin's lines
//
// The server's certificate must be valid for the host given (a name, or an
// IP literal such as 127.0.0.1 or [::1]) and issued by a trusted CA. Prints
// the server's certificate subject, the protocol and the ALPN protocol (if
// any) on stderr, then the replies on stdout. Gives up when the server takes
// more than 5 s to connect and shake hands, or 2 s to answer.
#include <outlet/tls.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr const char* usage =
    "usage: tls_client <host:port> [--ca FILE] [words...]   (no words: send stdin's lines)\n"
    "  host: a name (localhost, example.com) or an IP address (127.0.0.1, [::1]); the server's\n"
    "        certificate must be valid for it\n"
    "  --ca FILE: trust only the CA certificates in FILE (PEM), not the system's\n";

// "localhost:4433", "127.0.0.1:4433", "[::1]:4433" -> host and port. Returns
// false (and says why, quoting the text) if it is not one of those.
bool parse_target(std::string_view text, std::string& host, std::uint16_t& port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    std::cerr << "tls_client: \"" << text << "\": expected host:port\n";
    return false;
  }
  std::string_view name = text.substr(0, colon);
  const std::string_view digits = text.substr(colon + 1);
  if (name.front() == '[') {
    if (name.back() != ']' || name.size() < 3) {
      std::cerr << "tls_client: \"" << text << "\": an IPv6 address needs its closing ']'\n";
      return false;
    }
    name = name.substr(1, name.size() - 2);
  } else if (name.find(':') != std::string_view::npos) {
    std::cerr << "tls_client: \"" << text << "\": put an IPv6 address in brackets, as [::1]:4433\n";
    return false;
  }
  unsigned long value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9' || value > 65535) {
      value = 65536;
      break;
    }
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (digits.empty() || value == 0 || value > 65535) {
    std::cerr << "tls_client: \"" << text << "\": the port must be a number from 1 to 65535\n";
    return false;
  }
  host.assign(name);
  port = static_cast<std::uint16_t>(value);
  return true;
}

// Sends one line and waits for the same number of bytes to come back. TLS,
// like TCP, is a byte stream: receive_exact() reads until it has them all.
bool echo_line(outlet::tls::Stream& stream, const std::string& line) {
  const std::string message = line + '\n';
  stream.send_all(message);
  std::string reply(message.size(), '\0');
  std::error_code ec;
  const std::size_t n = stream.receive_exact(&reply[0], reply.size(), ec);
  if (ec == std::errc::timed_out) {  // the receive timeout set in main()
    std::cerr << "tls_client: no reply within 2 s\n";
    return false;
  }
  if (ec) {  // e.g. truncated: the server closed without close_notify
    std::cerr << "tls_client: receive: " << ec.message()
              << (stream.error_detail().empty() ? "" : ": " + stream.error_detail()) << '\n';
    return false;
  }
  if (n < reply.size()) {
    std::cerr << "tls_client: the server closed the connection\n";
    return false;
  }
  std::cout << reply << std::flush;  // the reply ends with its '\n'
  return true;
}

}  // namespace

int main(int argc, char* argv[]) {
  const std::string_view first = argc > 1 ? argv[1] : "";
  if (first == "-h" || first == "--help") {
    std::cout << usage;
    return 0;
  }
  if (argc < 2) {
    std::cerr << usage;
    return 2;
  }
  std::string host;
  std::uint16_t port = 0;
  if (!parse_target(argv[1], host, port)) return 2;
  std::string ca_file;
  std::vector<std::string> words;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--ca") {
      if (i + 1 == argc) {
        std::cerr << "tls_client: --ca needs a file name\n" << usage;
        return 2;
      }
      ca_file = argv[++i];
    } else {
      words.emplace_back(arg);
    }
  }

  try {
    outlet::tls::Context context = outlet::tls::Context::client();  // verifies the chain and the host name
    if (!ca_file.empty()) context.trust_ca_file(ca_file);           // from now on only this CA is trusted
    // Connect and handshake within 5 s; a certificate that does not verify
    // throws tls::Error, whose what() says why ("certificate has expired").
    outlet::tls::Stream stream = outlet::tls::connect(host, port, context, 5s);
    std::cerr << "connected to " << stream.peer_certificate_subject() << " (" << stream.protocol()
              << (stream.alpn().empty() ? "" : ", ALPN " + stream.alpn()) << ")\n";
    stream.socket().set_receive_timeout(2s);  // a server that never answers: fail clearly
    if (!words.empty()) {
      for (const std::string& word : words)
        if (!echo_line(stream, word)) return 1;
    } else {
      for (std::string line; std::getline(std::cin, line);)
        if (!echo_line(stream, line)) return 1;
    }
    std::error_code ignored;  // the server may close without answering our close_notify
    stream.shutdown(1s, ignored);
  } catch (const std::system_error& e) {
    // e.g. "tls handshake "localhost" 127.0.0.1:4433: certificate verify failed: self-signed certificate"
    std::cerr << "tls_client: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
