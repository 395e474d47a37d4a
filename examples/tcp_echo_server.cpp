// tcp_echo_server: sends back every byte each client sends.
//
//   tcp_echo_server                       listens on 127.0.0.1:7000
//   tcp_echo_server 127.0.0.1:0           port 0: the OS picks a free port
//   tcp_echo_server [::1]:7000            IPv6
//   tcp_echo_server unix:/tmp/echo.sock   a Unix stream socket
//
// Prints "listening on <address>" first, then serves until Ctrl+C or
// SIGTERM. One thread per connection keeps the code short; it is fine for
// a few clients, not for thousands.
#include <outlet/outlet.hpp>

#include <chrono>
#include <csignal>
#include <exception>
#include <iostream>
#include <system_error>
#include <thread>

using namespace std::chrono_literals;

namespace {

// A signal handler may portably do little more than set a flag like this one.
volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

// Echoes one connection until the client closes it.
void serve(outlet::Socket client) {
  try {
    char buffer[4096];
    for (;;) {
      const std::size_t n = client.receive(buffer, sizeof buffer);
      if (n == 0) return;  // the client closed its side
      client.send_all(buffer, n);
    }
  } catch (const std::exception& e) {
    // A client that resets the connection must not take the server down.
    std::cerr << "tcp_echo_server: " << e.what() << '\n';
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  if (argc > 2) {
    std::cerr << "usage: tcp_echo_server [address]   (default 127.0.0.1:7000)\n";
    return 2;
  }
  outlet::Address address;
  try {
    address = outlet::Address::parse(argc == 2 ? argv[1] : "127.0.0.1:7000");
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }

  try {
    outlet::ServerSocket server(address);  // socket + bind + listen
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    // The real address (with the port the OS picked); endl flushes, so a
    // script reading our output sees the line at once.
    std::cout << "listening on " << server.local_address() << std::endl;

    while (stop_requested == 0) {
      std::error_code ec;
      // A short timeout wakes the loop regularly to look at the stop flag.
      outlet::Socket client = server.accept(200ms, ec);
      if (ec == std::errc::timed_out) continue;
      if (ec) {
        std::cerr << "tcp_echo_server: accept: " << ec.message() << '\n';
        std::this_thread::sleep_for(100ms);  // e.g. out of descriptors: let some close
        continue;
      }
      try {
        std::thread(serve, std::move(client)).detach();
      } catch (const std::system_error& e) {  // out of threads: drop this client, keep serving
        std::cerr << "tcp_echo_server: " << e.what() << '\n';
      }
    }
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';  // e.g. "bind 127.0.0.1:7000: Address already in use"
    return 1;
  }
  return 0;  // the server's destructor closes it (and removes a unix: socket file)
}
