// udp_echo_server: sends every datagram back to whoever sent it.
//
//   udp_echo_server                       bound to 127.0.0.1:7000
//   udp_echo_server 127.0.0.1:0           port 0: the OS picks a free port
//   udp_echo_server [::1]:7000            IPv6
//   udp_echo_server unix:/tmp/echo.sock   a Unix datagram socket
//   udp_echo_server unix:                 (Linux) an abstract name the kernel picks
//
// Prints "listening on <address>" first, then serves until Ctrl+C or SIGTERM.
// One socket serves every client: datagrams carry their sender's address.
// The loop has the shape of tcp_echo_server's (a Poller, a non-blocking
// socket), so more sockets can join it the same way.
#include <outlet/outlet.hpp>

#include <chrono>
#include <csignal>
#include <iostream>
#include <string_view>
#include <system_error>
#include <vector>

using namespace std::chrono_literals;

namespace {

// A signal handler may portably do little more than set a flag like this one.
volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

constexpr const char* usage =
    "usage: udp_echo_server [address]\n"
    "  address: 127.0.0.1:7000 (the default), [::1]:7000, port 0 for one the OS picks,\n"
    "           unix:/tmp/echo.sock, or unix: for an abstract name the kernel picks (Linux)\n";

// A Unix datagram client that bound no name of its own sends from the
// unnamed Unix address ("unix:"): a Unix address with an empty path.
// Nothing can be sent back to it.
bool cannot_reply_to(const outlet::Address& sender) {
  return sender.family() == outlet::Family::unix_domain && sender.path().empty();
}

// Echoes every datagram that has arrived, until none is left.
void echo_waiting(outlet::DatagramSocket& socket, std::vector<char>& buffer) {
  for (;;) {
    outlet::Address from;
    std::error_code ec;
    const std::size_t n = socket.receive_from(buffer.data(), buffer.size(), from, ec);
    if (ec == std::errc::operation_would_block) return;  // all taken
    if (ec) {
      // Not fatal: e.g. a datagram too big for the buffer (message_size), or
      // Windows reporting that an earlier reply found no one (connection_reset).
      std::cerr << "udp_echo_server: receive_from: " << ec.message() << '\n';
      continue;
    }
    if (cannot_reply_to(from)) {
      std::cerr << "udp_echo_server: a datagram from a sender with no address: cannot reply\n";
      continue;
    }
    // Non-blocking: if the send buffer is full, the reply is dropped, as the
    // network may drop any datagram. Waiting here would stall every client.
    socket.send_to(buffer.data(), n, from, ec);
    if (ec) std::cerr << "udp_echo_server: send_to " << from << ": " << ec.message() << '\n';
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  const std::string_view first = argc > 1 ? argv[1] : "";
  if (first == "-h" || first == "--help") {
    std::cout << usage;
    return 0;
  }
  if (argc > 2) {
    std::cerr << usage;
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
    outlet::DatagramSocket socket(address);  // socket + bind
    socket.set_non_blocking(true);
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    std::cout << "listening on " << socket.local_address() << std::endl;  // endl flushes

    outlet::Poller poller;
    poller.add(socket, outlet::Interest::readable, 0);
    std::vector<char> buffer(65536);  // room for the largest UDP datagram
    while (stop_requested == 0) {
      // Waking every 200 ms to look at the stop flag works on every OS.
      if (poller.wait(200ms) > 0) echo_waiting(socket, buffer);
    }
    poller.remove(socket);  // out of the Poller before the socket closes
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';  // e.g. "bind 127.0.0.1:7000: Address already in use"
    return 1;
  }
  return 0;  // the socket's destructor closes it (and removes a unix: socket file)
}
