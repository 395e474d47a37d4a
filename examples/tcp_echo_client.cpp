// tcp_echo_client: sends lines to an echo server and prints what comes back.
//
//   tcp_echo_client 127.0.0.1:7000 hello world      sends "hello\n", "world\n"
//   printf 'a\nb\n' | tcp_echo_client unix:/tmp/echo.sock    sends stdin's lines
//
// Gives up when the server takes more than 2 s to connect or to answer.
#include <outlet/outlet.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>

using namespace std::chrono_literals;

namespace {

constexpr const char* usage =
    "usage: tcp_echo_client <address> [words...]   (no words: send stdin's lines)\n"
    "  address: 127.0.0.1:7000, [::1]:7000 or unix:/tmp/echo.sock\n";

// Sends one line and waits for the same number of bytes to come back.
// TCP is a byte stream, not messages: the reply may arrive in pieces, and
// receive_exact() keeps reading until it has all of them.
bool echo_line(outlet::Socket& socket, const std::string& line) {
  const std::string message = line + '\n';
  socket.send_all(message);
  std::string reply(message.size(), '\0');
  std::error_code ec;
  const std::size_t n = socket.receive_exact(&reply[0], reply.size(), ec);
  if (ec == std::errc::timed_out) {  // the receive timeout set in main()
    std::cerr << "tcp_echo_client: no reply within 2 s\n";
    return false;
  }
  if (ec) throw std::system_error(ec, "receive");  // e.g. connection_reset
  if (n < reply.size()) {
    std::cerr << "tcp_echo_client: the server closed the connection\n";
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
  outlet::Address server;
  try {
    server = outlet::Address::parse(argv[1]);
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';  // quotes the bad text and says what is wrong
    return 2;
  }

  try {
    outlet::Socket socket(server, 2s);  // socket + connect, giving up after 2 s
    socket.set_receive_timeout(2s);     // a server that never answers: fail clearly instead of waiting forever
    if (argc > 2) {
      for (int i = 2; i < argc; ++i)
        if (!echo_line(socket, argv[i])) return 1;
    } else {
      for (std::string line; std::getline(std::cin, line);)
        if (!echo_line(socket, line)) return 1;
    }
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';  // e.g. "connect 127.0.0.1:7000: Connection refused"
    return 1;
  }
  return 0;
}
