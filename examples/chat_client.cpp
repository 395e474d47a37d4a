// chat_client: joins a chat_server room, sends stdin's lines, prints the room.
//
//   chat_client 127.0.0.1:7000 alice
//   chat_client unix:/tmp/chat.sock bob
//
// Sends the nickname as its first line, then every line typed. Prints every
// line the server sends. Ends when stdin ends (Ctrl+D; Ctrl+Z Enter on
// Windows) or when the server closes the connection.
//
// One connection needs no Poller: two threads share the socket, one only
// sending (stdin's lines), the other only receiving, which sockets allow.
#include <outlet/outlet.hpp>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

namespace {

constexpr const char* usage =
    "usage: chat_client <address> <nickname>\n"
    "  address: 127.0.0.1:7000, [::1]:7000 or unix:/tmp/chat.sock\n";

// Sends stdin's lines; at the end of stdin, tells the server we are done.
void send_stdin(outlet::Socket& socket) {
  try {
    for (std::string line; std::getline(std::cin, line);) socket.send_all(line + '\n');
    socket.shutdown(outlet::Shutdown::send);  // the server sees the end and hangs up
  } catch (const std::system_error& e) {
    std::cerr << "chat_client: " << e.what() << '\n';  // the receiving side reports the rest
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  const std::string_view first = argc > 1 ? argv[1] : "";
  if (first == "-h" || first == "--help") {
    std::cout << usage;
    return 0;
  }
  if (argc != 3) {
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

  // Outside the try block: nothing may close the socket while the stdin
  // thread holds it (see the end of main).
  outlet::Socket socket;
  try {
    socket.connect(server);  // socket + connect
    socket.send_all(std::string(argv[2]) + '\n');
    std::thread(send_stdin, std::ref(socket)).detach();

    // Print what arrives until the server closes the connection.
    char buffer[4096];
    for (std::size_t n; (n = socket.receive(buffer, sizeof buffer)) > 0;)
      std::cout.write(buffer, static_cast<std::streamsize>(n)).flush();
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';  // e.g. "connect 127.0.0.1:7000: Connection refused"
    std::exit(1);
  }
  // std::exit, not return: it ends the process without destroying `socket`,
  // which the stdin thread (perhaps still waiting for a line) refers to.
  std::exit(0);
}
