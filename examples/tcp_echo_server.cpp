// tcp_echo_server: sends back every byte each client sends.
//
//   tcp_echo_server                       listens on 127.0.0.1:7000
//   tcp_echo_server 127.0.0.1:0           port 0: the OS picks a free port
//   tcp_echo_server [::1]:7000            IPv6
//   tcp_echo_server unix:/tmp/echo.sock   a Unix stream socket
//
// Prints "listening on <address>" first, then serves until Ctrl+C or
// SIGTERM. One thread serves every connection: a Poller says which sockets
// are ready, and every socket is non-blocking, so no call ever waits.
#include <outlet/outlet.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <string>
#include <system_error>
#include <utility>
#include <unordered_map>

using namespace std::chrono_literals;

namespace {

// A signal handler may portably do little more than set a flag like this one.
volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

// One client. While `pending` holds bytes the client has not taken back yet,
// the connection waits to be writable and reads nothing more: a client that
// sends without reading is slowed down instead of filling our memory.
struct Connection {
  outlet::Socket socket;
  std::uint64_t token;  // how the Poller names this connection in its events
  std::string pending;
};

class EchoServer {
public:
  explicit EchoServer(outlet::ServerSocket listener) : listener_(std::move(listener)) {
    listener_.set_non_blocking(true);  // accept() fails with would_block when no one is waiting
    poller_.add(listener_, outlet::Interest::readable, listener_token);
  }

  // One turn of the loop: wait at most `tick`, then serve whatever is ready.
  void run_once(outlet::duration tick) {
    if (poller_.wait(tick) == 0) resume_accepting();  // a quiet moment: try again
    for (const outlet::Event& event : poller_.events()) {
      if (event.token() == listener_token) {
        accept_all();
        continue;
      }
      auto it = connections_.find(event.token());
      if (it == connections_.end()) continue;  // closed earlier in this turn
      // Errors and hang-ups need no test of their own: the next receive()
      // or send() reports them, and serve() then says the connection is done.
      if (!serve(it->second)) close(it);
    }
  }

private:
  static constexpr std::uint64_t listener_token = 0;

  // Accepts every waiting client: level-triggered readiness would report the
  // rest again, but taking them all now saves a wait() per connection.
  void accept_all() {
    for (;;) {
      std::error_code ec;
      outlet::Socket client = listener_.accept(ec);
      if (ec == std::errc::operation_would_block) return;
      if (ec == std::errc::connection_aborted) continue;  // gone before we took it
      if (!ec) client.set_non_blocking(true, ec);
      if (!ec) poller_.add(client, outlet::Interest::readable, next_token_, ec);
      if (ec) {
        // Most likely out of descriptors. The listener would stay ready and
        // spin this loop: stop watching it for a while (resume_accepting).
        std::cerr << "tcp_echo_server: accept: " << ec.message() << '\n';
        poller_.remove(listener_);
        accepting_ = false;
        return;
      }
      connections_.emplace(next_token_, Connection{std::move(client), next_token_, {}});
      ++next_token_;
    }
  }

  void resume_accepting() {
    if (accepting_) return;
    std::error_code ec;
    poller_.add(listener_, outlet::Interest::readable, listener_token, ec);
    accepting_ = !ec;
  }

  // Receives (when nothing is pending) and sends back what it can. Returns
  // false when the connection is finished: closed by the client, or failed.
  bool serve(Connection& c) {
    std::error_code ec;
    const bool was_sending = !c.pending.empty();
    if (!was_sending) {
      const std::size_t n = c.socket.receive(buffer_, sizeof buffer_, ec);
      if (ec == std::errc::operation_would_block) return true;
      if (ec || n == 0) return false;  // an error, or the client closed its side
      c.pending.assign(buffer_, n);
    }
    const std::size_t sent = c.socket.send(c.pending, ec);
    if (ec && ec != std::errc::operation_would_block) return false;
    c.pending.erase(0, sent);
    // Watch for room to send while bytes are pending, for data otherwise.
    const bool sending = !c.pending.empty();
    if (sending != was_sending) {
      poller_.modify(c.socket, sending ? outlet::Interest::writable : outlet::Interest::readable, c.token, ec);
      if (ec) return false;
    }
    return true;
  }

  // Takes a connection out of the Poller first, then closes it: a closed
  // handle's number may be reused by the next accept().
  void close(std::unordered_map<std::uint64_t, Connection>::iterator it) {
    std::error_code ignored;  // the client may be gone already; closing is all that is left
    poller_.remove(it->second.socket, ignored);
    connections_.erase(it);  // the Socket's destructor closes it
    resume_accepting();      // a descriptor is free again
  }

  outlet::ServerSocket listener_;
  std::unordered_map<std::uint64_t, Connection> connections_;  // by token
  outlet::Poller poller_;                                      // declared after the sockets, so destroyed before them
  std::uint64_t next_token_ = 1;
  bool accepting_ = true;
  char buffer_[65536];  // every connection receives into this one buffer
};

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
    outlet::ServerSocket listener(address);  // socket + bind + listen
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    // The real address (with the port the OS picked); endl flushes, so a
    // script reading our output sees the line at once.
    std::cout << "listening on " << listener.local_address() << std::endl;

    EchoServer server(std::move(listener));
    // Waking every 200 ms to look at the stop flag works on every OS
    // (Windows has no signal that interrupts a wait).
    while (stop_requested == 0) server.run_once(200ms);
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';  // e.g. "bind 127.0.0.1:7000: Address already in use"
    return 1;
  }
  return 0;  // the destructors close every socket (and remove a unix: socket file)
}
