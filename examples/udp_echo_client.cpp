// udp_echo_client: sends each word as one datagram and prints the reply.
//
//   udp_echo_client 127.0.0.1:7000 hello world
//   printf 'a\nb\n' | udp_echo_client unix:/tmp/echo.sock    sends stdin's lines
#include <outlet/outlet.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr const char* usage =
    "usage: udp_echo_client <address> [words...]   (no words: send stdin's lines)\n"
    "  address: 127.0.0.1:7000, [::1]:7000 or unix:/tmp/echo.sock\n";

// A Unix datagram socket has no address unless it binds one, and the server
// can only reply to an address. Linux has abstract names ("@name"), which
// leave no file behind, even when the client is stopped with Ctrl+C.
// Elsewhere the name is a file in the temp directory, removed when the
// socket closes. (Standard C++ has no getpid(), so the name is random.)
outlet::Address unique_client_address() {
  std::random_device random;
  const std::string name = "udp_echo_client-" + std::to_string(random()) + ".sock";
  std::error_code not_linux;
  const outlet::Address abstract = outlet::Address::unix_domain("@" + name, not_linux);
  if (!not_linux) return abstract;
  return outlet::Address::unix_domain((std::filesystem::temp_directory_path() / name).string());
}

// Sends one datagram and prints the one that comes back.
bool echo(outlet::DatagramSocket& socket, const std::string& message) {
  socket.send(message);
  std::vector<char> reply(65536);
  std::error_code ec;
  const std::size_t n = socket.receive(reply.data(), reply.size(), ec);
  if (ec == std::errc::timed_out) {
    // UDP does not retransmit: a lost datagram just never gets an answer.
    std::cerr << "udp_echo_client: no reply within 2 s\n";
    return false;
  }
  if (ec) throw std::system_error(ec, "receive");  // e.g. connection_refused: no server there
  std::cout << std::string(reply.data(), n) << '\n';
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
    std::cerr << e.what() << '\n';
    return 2;
  }

  try {
    outlet::DatagramSocket socket;
    if (server.family() == outlet::Family::unix_domain) socket.bind(unique_client_address());
    // connect() opens a socket of the server's family if none is open, sets
    // the destination for send() and drops datagrams from anyone else.
    socket.connect(server);
    socket.set_receive_timeout(2s);  // fail clearly instead of waiting forever

    if (argc > 2) {
      for (int i = 2; i < argc; ++i)
        if (!echo(socket, argv[i])) return 1;
    } else {
      for (std::string line; std::getline(std::cin, line);)
        if (!echo(socket, line)) return 1;
    }
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
