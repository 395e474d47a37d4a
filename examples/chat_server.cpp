// chat_server: a chat room. The first line a client sends is its nickname;
// every line after that goes to all the other clients as "<nick>: <line>".
//
//   chat_server                       listens on 127.0.0.1:7000
//   chat_server 127.0.0.1:0           port 0: the OS picks a free port
//   chat_server unix:/tmp/chat.sock   a Unix stream socket
//   chat_server unix:                 (Linux) an abstract name the kernel picks
//
// Try it with chat_client, or with `nc 127.0.0.1 7000`.
//
// What the server sends:  "* welcome, <nick>"   to a client that has joined
//                         "* <nick> joined"      to the others
//                         "<nick>: <line>"       a line, to the others
//                         "* <nick> left"        to the others
//                         "* line too long (limit 4096 bytes)"
//                                                to a client whose line is
//                                                longer, before hanging up
//
// One thread, one Poller, non-blocking sockets. A client that reads too
// slowly (or not at all) never holds up the rest: what it has not taken yet
// waits in its own output buffer, and once that passes 64 KiB the server
// hangs up on it. Out of descriptors, the server stops accepting for a
// second (or until a client leaves) instead of spinning on a listener that
// stays ready while accept() keeps failing.
#include <outlet/outlet.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

using namespace std::chrono_literals;

namespace {

constexpr std::size_t max_output = 64 * 1024;  // per client, before it is dropped
constexpr std::size_t max_line = 4096;         // bytes before the "\n" (or "\r\n"); longer: disconnected
constexpr auto accept_pause = 1s;              // how long accepting rests after accept() failed

constexpr const char* usage =
    "usage: chat_server [address]\n"
    "  address: 127.0.0.1:7000 (the default), [::1]:7000, port 0 for one the OS picks,\n"
    "           unix:/tmp/chat.sock, or unix: for an abstract name the kernel picks (Linux)\n";

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
    if (!accepting_ && std::chrono::steady_clock::now() >= resume_at_) resume_accepting();
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
      if (ec) return pause_accepting(ec);
      Client& c = clients_[next_token_];
      c.socket = std::move(socket);
      c.token = next_token_++;
    }
  }

  // Most likely out of descriptors (EMFILE). The client still waits in the
  // listen queue, so the listener stays ready: watching it would spin this
  // loop. Rest for a while; a client leaving frees a descriptor sooner.
  void pause_accepting(const std::error_code& ec) {
    std::cerr << "chat_server: accept: " << ec.message() << " (not accepting for up to 1 s)\n";
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
      if (line.size() > max_line) return reject_long_line(c);
      handle_line(c, line);
      if (c.closing) return;
    }
    c.input.erase(0, start);
    // No newline yet: the line is too long once it has more than max_line
    // bytes and a '\r' that may end it.
    if (c.input.size() > max_line + 1) reject_long_line(c);
  }

  // Says why, then hangs up: shutting down our sending side makes the end
  // of stream follow the reason, in order.
  void reject_long_line(Client& c) {
    send(c, "* line too long (limit " + std::to_string(max_line) + " bytes)");
    std::error_code ignored;  // the client may be gone already
    c.socket.shutdown(outlet::Shutdown::send, ignored);
    drop(c);
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
      it = clients_.erase(it);              // the Socket's destructor closes it
      if (!accepting_) resume_accepting();  // a descriptor is free again
    }
  }

  outlet::ServerSocket listener_;
  std::map<std::uint64_t, Client> clients_;  // by token
  outlet::Poller poller_;                    // declared after the sockets, so destroyed before them
  std::uint64_t next_token_ = 1;
  bool accepting_ = true;  // whether the Poller watches the listener
  std::chrono::steady_clock::time_point resume_at_;
};

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
