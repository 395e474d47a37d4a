// chat_server: a chat room. The first line a client sends is its nickname;
// every line after that goes to all the other clients as "<nick>: <line>".
//
//   chat_server                       listens on 127.0.0.1:7000
//   chat_server 127.0.0.1:0           port 0: the OS picks a free port
//   chat_server unix:/tmp/chat.sock   a Unix stream socket
//
// Try it with chat_client, or with `nc 127.0.0.1 7000`.
//
// What the server sends:  "* welcome, <nick>"   to a client that has joined
//                         "* <nick> joined"      to the others
//                         "<nick>: <line>"       a line, to the others
//                         "* <nick> left"        to the others
//
// One thread, one Poller, non-blocking sockets. A client that reads too
// slowly (or not at all) never holds up the rest: what it has not taken yet
// waits in its own output buffer, and once that passes 64 KiB the server
// hangs up on it.
#include <outlet/outlet.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <system_error>
#include <utility>

using namespace std::chrono_literals;

namespace {

constexpr std::size_t max_output = 64 * 1024;  // per client, before it is dropped
constexpr std::size_t max_line = 4096;         // longer lines are a protocol error

volatile std::sig_atomic_t stop_requested = 0;  // set by the signal handler

void request_stop(int) { stop_requested = 1; }

struct Client {
  outlet::Socket socket;
  std::uint64_t token = 0;         // how the Poller names this client in its events
  std::string nick;                // empty until the first line arrives
  std::string input;               // a partial line received so far
  std::string output;              // bytes the client has not taken yet
  bool watching_writable = false;  // whether the Poller waits for room to send
  bool closing = false;            // dropped: closed at the end of this turn
};

class ChatServer {
public:
  explicit ChatServer(outlet::ServerSocket listener) : listener_(std::move(listener)) {
    listener_.set_non_blocking(true);  // accept() fails with would_block when no one is waiting
    poller_.add(listener_, outlet::Interest::readable, listener_token);
  }

  // One turn of the loop: wait at most `tick`, then serve whatever is ready.
  void run_once(outlet::duration tick) {
    poller_.wait(tick);
    for (const outlet::Event& event : poller_.events()) {
      if (event.token() == listener_token) {
        accept_all();
        continue;
      }
      auto it = clients_.find(event.token());
      if (it == clients_.end()) continue;
      Client& c = it->second;
      // Errors and hang-ups show up as a failing (or empty) receive or send.
      if (event.writable() && !c.closing) flush(c);
      if ((event.readable() || event.error() || event.hangup()) && !c.closing) receive(c);
    }
    // Dropped clients are closed here, after the loop, so that a broadcast
    // can drop any client without pulling it out from under its caller.
    close_dropped();
  }

private:
  static constexpr std::uint64_t listener_token = 0;

  void accept_all() {
    for (;;) {
      std::error_code ec;
      outlet::Socket socket = listener_.accept(ec);
      if (ec == std::errc::operation_would_block) return;
      if (ec == std::errc::connection_aborted) continue;  // gone before we took it
      if (!ec) socket.set_non_blocking(true, ec);
      if (!ec) poller_.add(socket, outlet::Interest::readable, next_token_, ec);
      if (ec) {  // e.g. out of descriptors: try again next turn (tcp_echo_server pauses instead)
        std::cerr << "chat_server: accept: " << ec.message() << '\n';
        return;
      }
      Client& c = clients_[next_token_];
      c.socket = std::move(socket);
      c.token = next_token_++;
    }
  }

  // Reads what has arrived and handles each complete line.
  void receive(Client& c) {
    char buffer[4096];
    std::error_code ec;
    const std::size_t n = c.socket.receive(buffer, sizeof buffer, ec);
    if (ec == std::errc::operation_would_block) return;
    if (ec || n == 0) return drop(c);  // an error, or the client hung up
    c.input.append(buffer, n);
    std::size_t start = 0;
    for (std::size_t end; (end = c.input.find('\n', start)) != std::string::npos; start = end + 1) {
      std::string line = c.input.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();  // from telnet or Windows
      handle_line(c, line);
      if (c.closing) return;
    }
    c.input.erase(0, start);
    if (c.input.size() > max_line) drop(c);
  }

  void handle_line(Client& c, const std::string& line) {
    if (!c.nick.empty()) return broadcast(c, c.nick + ": " + line);
    if (line.empty()) return;  // no nickname yet: skip blank lines
    c.nick = line;
    send(c, "* welcome, " + c.nick);
    broadcast(c, "* " + c.nick + " joined");
  }

  // Queues a line for every client that has joined, except `from`.
  void broadcast(const Client& from, const std::string& line) {
    for (auto& entry : clients_) {
      Client& to = entry.second;
      if (&to != &from && !to.nick.empty()) send(to, line);
    }
  }

  // Queues one line for a client, and sends what its socket takes now.
  void send(Client& c, const std::string& line) {
    if (c.closing) return;
    if (c.output.size() + line.size() + 1 > max_output) {
      std::cerr << "chat_server: " << c.nick << " is not reading: disconnected\n";
      return drop(c);
    }
    c.output += line;
    c.output += '\n';
    flush(c);
  }

  // Sends what the socket takes. While bytes are left, the Poller watches
  // for room to send as well as for input.
  void flush(Client& c) {
    std::error_code ec;
    const std::size_t sent = c.socket.send(c.output, ec);
    if (ec && ec != std::errc::operation_would_block) return drop(c);
    c.output.erase(0, sent);
    const bool want_writable = !c.output.empty();
    if (want_writable == c.watching_writable) return;
    poller_.modify(c.socket, want_writable ? outlet::Interest::both : outlet::Interest::readable, c.token, ec);
    if (ec) return drop(c);
    c.watching_writable = want_writable;
  }

  // Marks a client for closing at the end of this turn; the others hear it left.
  void drop(Client& c) {
    if (c.closing) return;
    c.closing = true;
    if (!c.nick.empty()) broadcast(c, "* " + c.nick + " left");
  }

  void close_dropped() {
    for (auto it = clients_.begin(); it != clients_.end();) {
      if (!it->second.closing) {
        ++it;
        continue;
      }
      std::error_code ignored;  // out of the Poller first, then closed
      poller_.remove(it->second.socket, ignored);
      it = clients_.erase(it);  // the Socket's destructor closes it
    }
  }

  outlet::ServerSocket listener_;
  std::map<std::uint64_t, Client> clients_;  // by token
  outlet::Poller poller_;                    // declared after the sockets, so destroyed before them
  std::uint64_t next_token_ = 1;
};

}  // namespace

int main(int argc, char* argv[]) {
  if (argc > 2) {
    std::cerr << "usage: chat_server [address]   (default 127.0.0.1:7000)\n";
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
    std::cout << "listening on " << listener.local_address() << std::endl;  // endl flushes

    ChatServer server(std::move(listener));
    // Waking every 200 ms to look at the stop flag works on every OS.
    while (stop_requested == 0) server.run_once(200ms);
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';  // e.g. "bind 127.0.0.1:7000: Address already in use"
    return 1;
  }
  return 0;  // the destructors close every socket (and remove a unix: socket file)
}
