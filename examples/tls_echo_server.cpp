// tls_echo_server: sends back every byte each TLS client sends.
//
//   tls_echo_server --cert chain.pem --key key.pem                 listens on 127.0.0.1:4433
//   tls_echo_server --cert chain.pem --key key.pem 127.0.0.1:0     port 0: the OS picks a free port
//   tls_echo_server ... --handshake-timeout 5                     drop clients not through the handshake in 5 s
//
// chain.pem holds the server's certificate first, then any intermediate CA
// certificates; key.pem its private key. Prints "listening on <address>"
// first, then serves until Ctrl+C or SIGTERM. One thread serves every
// connection: a Poller says which sockets are ready, every socket is
// non-blocking, and every TLS call (handshake, receive, send) that would wait
// says instead which readiness it waits for (Stream::wants()). A client that
// fails its handshake, or has not finished it within the handshake timeout
// (10 s unless --handshake-timeout says otherwise), is dropped with one line
// on stderr: a client that connects and says nothing must not hold a
// descriptor for ever.
#include <outlet/tls.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <deque>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

using namespace std::chrono_literals;

namespace {

// A signal handler may portably do little more than set a flag like this one.
volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

constexpr auto accept_pause = 1s;  // how long accepting rests after accept() failed

constexpr const char* usage =
    "usage: tls_echo_server --cert CHAIN --key KEY [--handshake-timeout SECONDS] [address]\n"
    "  CHAIN: the server's certificate, then its intermediate CAs (PEM); KEY: its private key (PEM)\n"
    "  SECONDS: how long a client may take to finish its handshake (default 10, from 1 to 3600)\n"
    "  address: 127.0.0.1:4433 (the default), [::1]:4433, port 0 for one the OS picks,\n"
    "           unix:/tmp/echo.sock, or unix: for an abstract name the kernel picks (Linux)\n";

// One client. While `pending` holds bytes the client has not taken back yet,
// the connection sends them and reads nothing more: a client that sends
// without reading is slowed down instead of filling our memory. `pending`
// never holds more than one receive's worth (the buffer's 64 KiB).
struct Connection {
  outlet::tls::Stream stream;
  outlet::Address peer;  // for the error line; getpeername() fails once the client is gone
  std::uint64_t token;   // how the Poller names this connection in its events
  outlet::Interest watching = outlet::Interest::readable;
  std::string pending;
  std::chrono::steady_clock::time_point accepted_at;  // the handshake must end by accepted_at + the limit
};

class EchoServer {
public:
  EchoServer(outlet::ServerSocket listener, outlet::tls::Context& context, std::chrono::seconds handshake_limit)
      : listener_(std::move(listener)), context_(context), handshake_limit_(handshake_limit) {
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
      // Errors and hang-ups need no test of their own: the next TLS call
      // reports them, and serve() then says the connection is done.
      if (!serve(it->second)) close(it);
    }
    drop_slow_handshakes();
  }

private:
  static constexpr std::uint64_t listener_token = 0;

  // Accepts every waiting client. The handshake is not done here: it runs
  // inside the first receive() calls, as the client's messages arrive.
  void accept_all() {
    for (;;) {
      std::error_code ec;
      outlet::Address peer;
      outlet::Socket client = listener_.accept(peer, ec);
      if (ec == std::errc::operation_would_block) return;
      if (ec == std::errc::connection_aborted) continue;  // gone before we took it
      if (!ec) client.set_non_blocking(true, ec);
      outlet::tls::Stream stream;
      if (!ec) stream = outlet::tls::Stream(std::move(client), context_, ec);  // a server stream
      if (!ec) poller_.add(stream.socket(), outlet::Interest::readable, next_token_, ec);
      if (ec) return pause_accepting(ec);
      const auto now = std::chrono::steady_clock::now();
      connections_.emplace(next_token_,
                           Connection{std::move(stream), peer, next_token_, outlet::Interest::readable, {}, now});
      handshaking_.push_back(next_token_);
      ++next_token_;
    }
  }

  // Closes the connections whose handshake has taken longer than the limit.
  // Every connection has the same limit, so accept order is deadline order:
  // only the front of the queue needs looking at. Tokens of connections that
  // finished their handshake, or closed, are dropped as they reach the front.
  void drop_slow_handshakes() {
    const auto now = std::chrono::steady_clock::now();
    while (!handshaking_.empty()) {
      auto it = connections_.find(handshaking_.front());
      if (it != connections_.end() && !it->second.stream.handshake_done()) {
        if (now - it->second.accepted_at < handshake_limit_) return;  // the oldest still has time
        std::cerr << "tls_echo_server: handshake with " << it->second.peer << " timed out after "
                  << handshake_limit_.count() << " s\n";
        close(it);
      }
      handshaking_.pop_front();
    }
  }

  // Most likely out of descriptors (EMFILE). The client still waits in the
  // listen queue, so the listener stays ready: watching it would spin this
  // loop. Rest for a while; a connection closing frees a descriptor sooner.
  void pause_accepting(const std::error_code& ec) {
    std::cerr << "tls_echo_server: accept: " << ec.message() << " (not accepting for up to 1 s)\n";
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

  // Sends what is pending, receives, and repeats until a call would block;
  // then waits for what that call wants. TLS decrypts whole records, so after
  // a receive more bytes may wait inside the stream while the socket is not
  // readable: stopping before would_block could leave them there unseen.
  // Returns false when the connection is finished: closed by the client, or
  // failed.
  bool serve(Connection& c) {
    for (;;) {
      std::error_code ec;
      if (!c.pending.empty()) {
        // After would_block, send() is called again with the same bytes first.
        const std::size_t sent = c.stream.send(c.pending, ec);
        if (ec == std::errc::operation_would_block) return watch(c, c.stream.wants());
        if (ec) return false;  // the client is gone (reset, broken pipe)
        c.pending.erase(0, sent);
        continue;
      }
      const bool was_handshaking = !c.stream.handshake_done();
      const std::size_t n = c.stream.receive(buffer_, sizeof buffer_, ec);
      if (ec == std::errc::operation_would_block) return watch(c, c.stream.wants());
      if (ec) {
        if (was_handshaking) report_handshake_failure(c, ec);
        return false;  // after the handshake: the client left without close_notify, or sent garbage
      }
      if (n == 0) {  // the client's close_notify: it is done
        // Answer with ours, once: the socket is non-blocking, so this never
        // waits, and a client that does not wait for it loses nothing.
        c.stream.shutdown(outlet::duration::zero(), ec);
        return false;
      }
      c.pending.assign(buffer_, n);
    }
  }

  // Waits for `interest` next, telling the Poller only when it changes.
  bool watch(Connection& c, outlet::Interest interest) {
    if (interest == c.watching) return true;
    std::error_code ec;
    poller_.modify(c.stream.socket(), interest, c.token, ec);
    if (ec) return false;
    c.watching = interest;
    return true;
  }

  static void report_handshake_failure(const Connection& c, const std::error_code& ec) {
    const std::string& detail = c.stream.error_detail();
    std::cerr << "tls_echo_server: handshake with " << c.peer << " failed: " << ec.message()
              << (detail.empty() ? "" : ": " + detail) << '\n';
  }

  // Takes a connection out of the Poller first, then closes it: a closed
  // handle's number may be reused by the next accept(). No close_notify is
  // sent: the client has left already, or failed.
  void close(std::unordered_map<std::uint64_t, Connection>::iterator it) {
    std::error_code ignored;  // the client may be gone already; closing is all that is left
    poller_.remove(it->second.stream.socket(), ignored);
    connections_.erase(it);               // the Stream's destructor frees its TLS state and closes the socket
    if (!accepting_) resume_accepting();  // a descriptor is free again
  }

  outlet::ServerSocket listener_;
  outlet::tls::Context& context_;
  std::chrono::seconds handshake_limit_;
  std::deque<std::uint64_t> handshaking_;                      // tokens in accept order; see drop_slow_handshakes()
  std::unordered_map<std::uint64_t, Connection> connections_;  // by token
  outlet::Poller poller_;                                      // declared after the sockets, so destroyed before them
  std::uint64_t next_token_ = 1;
  bool accepting_ = true;  // whether the Poller watches the listener
  std::chrono::steady_clock::time_point resume_at_;
  char buffer_[65536];  // every connection receives into this one buffer
};

}  // namespace

int main(int argc, char* argv[]) {
  const std::string_view first = argc > 1 ? argv[1] : "";
  if (first == "-h" || first == "--help") {
    std::cout << usage;
    return 0;
  }
  std::string cert;
  std::string key;
  std::string address_text = "127.0.0.1:4433";
  bool address_given = false;
  std::chrono::seconds handshake_limit = 10s;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--cert" || arg == "--key") && i + 1 < argc) {
      (arg == "--cert" ? cert : key) = argv[++i];
    } else if (arg == "--handshake-timeout" && i + 1 < argc) {
      const std::string_view text = argv[++i];
      // Digits only, at most four of them: no sign, no spaces, no overflow.
      bool valid = !text.empty() && text.size() <= 4;
      long seconds = 0;
      for (const char ch : text) {
        valid = valid && ch >= '0' && ch <= '9';
        if (valid) seconds = seconds * 10 + (ch - '0');
      }
      if (!valid || seconds < 1 || seconds > 3600) {
        std::cerr << "tls_echo_server: --handshake-timeout \"" << text
                  << "\": not a whole number of seconds from 1 to 3600\n"
                  << usage;
        return 2;
      }
      handshake_limit = std::chrono::seconds(seconds);
    } else if (!address_given && !arg.empty() && arg.front() != '-') {
      address_text = argv[i];
      address_given = true;
    } else {
      std::cerr << "tls_echo_server: unexpected argument \"" << arg << "\"\n" << usage;
      return 2;
    }
  }
  if (cert.empty() || key.empty()) {
    std::cerr << "tls_echo_server: --cert and --key are required\n" << usage;
    return 2;
  }
  outlet::Address address;
  try {
    address = outlet::Address::parse(address_text);
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';  // quotes the bad text and says what is wrong
    return 2;
  }

  try {
    // Loads the chain and the key and checks that they belong together.
    outlet::tls::Context context = outlet::tls::Context::server(cert, key);
    outlet::ServerSocket listener(address);  // socket + bind + listen
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    // The real address (with the port the OS picked); endl flushes, so a
    // script reading our output sees the line at once.
    std::cout << "listening on " << listener.local_address() << std::endl;

    EchoServer server(std::move(listener), context, handshake_limit);
    // Waking every 200 ms to look at the stop flag works on every OS
    // (Windows has no signal that interrupts a wait).
    while (stop_requested == 0) server.run_once(200ms);
  } catch (const std::system_error& e) {
    // e.g. "bind 127.0.0.1:4433: Address already in use", or a certificate that does not load
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;  // the destructors close every socket (and remove a unix: socket file)
}
