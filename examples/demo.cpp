// demo: a server and a client in one process, over TCP, UDP and a Unix
// stream socket, printing what each step did. Loopback only.
#include <outlet/outlet.hpp>

#include <chrono>
#include <exception>
#include <filesystem>
#include <future>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

using namespace std::chrono_literals;

namespace {

const std::string message = "hello";

// Echoes one message over a stream socket. TCP and Unix stream sockets
// differ only in their address; the code is the same.
void stream_echo(const char* label, outlet::ServerSocket server) {
  const outlet::Address address = server.local_address();  // the real port, if it was 0
  std::cout << label << ": listening on " << address << '\n';

  // std::async runs the server side on its own thread; get() waits for it
  // and rethrows anything it threw.
  auto served = std::async(std::launch::async, [&server] {
    outlet::Socket peer = server.accept(5s);  // a deadline, so a failed client cannot hang us
    peer.set_receive_timeout(5s);
    char buffer[256];
    // Echo until the client shuts down its sending side (receive returns 0).
    for (std::size_t n; (n = peer.receive(buffer, sizeof buffer)) > 0;) peer.send_all(buffer, n);
  });

  outlet::Socket client(address, 5s);  // connect, with a deadline
  client.set_receive_timeout(5s);
  client.send_all(message);
  client.shutdown(outlet::Shutdown::send);  // "that is all": the server's receive() returns 0
  std::string reply(message.size(), '\0');
  reply.resize(client.receive_exact(&reply[0], reply.size()));
  served.get();
  std::cout << label << ": sent \"" << message << "\", got back \"" << reply << "\"\n";
}

// Echoes one datagram: no connection, each datagram carries its sender.
void datagram_echo() {
  outlet::DatagramSocket server(outlet::Address::loopback(outlet::Family::ipv4, 0));
  server.set_receive_timeout(5s);
  const outlet::Address address = server.local_address();
  std::cout << "udp: bound to " << address << '\n';

  auto served = std::async(std::launch::async, [&server] {
    char buffer[256];
    outlet::Address from;
    const std::size_t n = server.receive_from(buffer, sizeof buffer, from);
    server.send_to(buffer, n, from);  // reply to whoever sent it
  });

  outlet::DatagramSocket client(outlet::Family::ipv4);
  client.set_receive_timeout(5s);  // UDP may drop datagrams: never wait forever
  client.send_to(message, address);
  char buffer[256];
  const std::size_t n = client.receive(buffer, sizeof buffer);
  served.get();
  std::cout << "udp: sent \"" << message << "\", got back \"" << std::string(buffer, n) << "\"\n";
}

// A fresh path in the temp directory (standard C++ has no getpid(), so the
// name is random).
std::string unique_socket_path() {
  std::random_device random;
  const std::string name = "outlet-demo-" + std::to_string(random()) + ".sock";
  return (std::filesystem::temp_directory_path() / name).string();
}

// The stream echo again, over a Unix-domain socket file.
void unix_echo() {
  outlet::ServerSocket server;
  try {
    // socket() on its own first: if that fails, this system has no Unix
    // sockets (Windows before 10 version 1803).
    server = outlet::ServerSocket(outlet::Family::unix_domain);
  } catch (const std::system_error& e) {
    std::cout << "unix: not supported here (" << e.what() << "), skipped\n";
    return;
  }
  const std::string path = unique_socket_path();
  server.bind(outlet::Address::unix_domain(path));
  server.listen();
  stream_echo("unix", std::move(server));  // closing the server removes its socket file

  std::error_code ec;
  std::cout << "unix: socket file removed on close: " << (std::filesystem::exists(path, ec) ? "no" : "yes") << '\n';
}

}  // namespace

int main(int argc, char* argv[]) {
  if (argc > 1) {  // "--help", or anything else
    const std::string_view first = argv[1];
    const bool help = first == "-h" || first == "--help";
    (help ? std::cout : std::cerr) << "usage: demo   (no arguments; loopback and the temp directory only)\n";
    return help ? 0 : 2;
  }
  try {
    stream_echo("tcp", outlet::ServerSocket(outlet::Address::loopback(outlet::Family::ipv4, 0)));
    datagram_echo();
    unix_echo();
  } catch (const std::exception& e) {
    std::cerr << "demo: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
