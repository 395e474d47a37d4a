// tcp_echo_server: sends back every byte each client sends.
//
//   tcp_echo_server                       listens on 127.0.0.1:7000
//   tcp_echo_server 127.0.0.1:0           port 0: the OS picks a free port
//   tcp_echo_server [::1]:7000            IPv6
//   tcp_echo_server unix:/tmp/echo.sock   a Unix stream socket
//   tcp_echo_server unix:                 (Linux) an abstract name the kernel picks
//   tcp_echo_server --systemd             the listening socket systemd passed
//   tcp_echo_server --systemd=echo        the one named "echo" (FileDescriptorName=)
//
// Socket activation: systemd (or, to try it, `systemd-socket-activate -l
// 127.0.0.1:7000 --fdname=echo tcp_echo_server --systemd=echo`) opens the
// listening socket and starts the server when the first client comes.
//
// Prints "listening on <address>" first, then serves until Ctrl+C or
// SIGTERM. One thread serves every connection: a Poller says which sockets
// are ready, and every socket is non-blocking, so no call ever waits.
#include <outlet/outlet.hpp>
#include <outlet/systemd.hpp>  // --systemd: sockets passed by a service manager

#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

using namespace std::chrono_literals;

namespace {

// A signal handler may portably do little more than set a flag like this one.
volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

constexpr auto accept_pause = 1s;  // how long accepting rests after accept() failed

constexpr const char* usage =
    "usage: tcp_echo_server [address]\n"
    "       tcp_echo_server --systemd[=NAME]\n"
    "  address: 127.0.0.1:7000 (the default), [::1]:7000, port 0 for one the OS picks,\n"
    "           unix:/tmp/echo.sock, or unix: for an abstract name the kernel picks (Linux)\n"
    "  --systemd: serve the listening socket systemd passed (socket activation),\n"
    "             the one named NAME if given (FileDescriptorName=, --fdname=)\n";

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
    poller_.wait(tick);
    if (!accepting_ && std::chrono::steady_clock::now() >= resume_at_) resume_accepting();
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
      if (ec) return pause_accepting(ec);
      connections_.emplace(next_token_, Connection{std::move(client), next_token_, {}});
      ++next_token_;
    }
  }

  // Most likely out of descriptors (EMFILE). The client still waits in the
  // listen queue, so the listener stays ready: watching it would spin this
  // loop. Rest for a while; a connection closing frees a descriptor sooner.
  void pause_accepting(const std::error_code& ec) {
    std::cerr << "tcp_echo_server: accept: " << ec.message() << " (not accepting for up to 1 s)\n";
    std::error_code ignored;  // fails only when a resume failed and it is not registered
    poller_.remove(listener_, ignored);
    accepting_ = false;
    resume_at_ = std::chrono::steady_clock::now() + accept_pause;
  }

  void resume_accepting() {
    std::error_code ec;
    poller_.add(listener_, outlet::Interest::readable, listener_token, ec);
    if (ec) return pause_accepting(ec);
    accepting_ = true;
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
    connections_.erase(it);               // the Socket's destructor closes it
    if (!accepting_) resume_accepting();  // a descriptor is free again
  }

  outlet::ServerSocket listener_;
  std::unordered_map<std::uint64_t, Connection> connections_;  // by token
  outlet::Poller poller_;                                      // declared after the sockets, so destroyed before them
  std::uint64_t next_token_ = 1;
  bool accepting_ = true;  // whether the Poller watches the listener
  std::chrono::steady_clock::time_point resume_at_;
  char buffer_[65536];  // every connection receives into this one buffer
};

// The listening socket systemd passed (LISTEN_FDS): the one named `name`,
// or without a name the first listening one.
outlet::ServerSocket from_systemd(std::string_view option) {
  std::vector<outlet::systemd::ListenSocket> sockets = outlet::systemd::listen_fds();
  const std::size_t equals = option.find('=');
  if (equals != std::string_view::npos) return outlet::systemd::take_server_socket(sockets, option.substr(equals + 1));
  for (outlet::systemd::ListenSocket& passed : sockets) {
    if (auto* listener = std::get_if<outlet::ServerSocket>(&passed.socket)) return std::move(*listener);
  }
  throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                          "--systemd: systemd passed no listening socket (LISTEN_PID, LISTEN_FDS)");
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
  const bool systemd = first == "--systemd" || first.rfind("--systemd=", 0) == 0;
  outlet::Address address;
  try {
    if (!systemd) address = outlet::Address::parse(argc == 2 ? argv[1] : "127.0.0.1:7000");
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }

  try {
    // socket + bind + listen, or the socket systemd made that way for us
    outlet::ServerSocket listener = systemd ? from_systemd(first) : outlet::ServerSocket(address);
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
