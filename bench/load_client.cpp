// load_client: many concurrent connections against an echo server, every
// byte checked. One thread, one Poller, non-blocking sockets.
//
//   load_client <address> [--connections N] [--rounds M] [--size B] [--timeout-s T]
//
//   N  connections, all open at once (default 2000)
//   M  round trips per connection (default 10): each sends a B-byte message,
//      distinct per connection and round, and reads the echo back
//   B  message size in bytes (default 64)
//   T  limit for the whole run, connecting included (default 120 seconds)
//
// On success prints one line and exits 0:
//   connections=N rounds=M size=B round_trips=R seconds=S round_trips_per_second=X verified_bytes=V
// `seconds` is the echo phase only: from the first message sent, every
// connection being open, to the last echo verified. Any error, short or
// wrong echo, or timeout: a message on stderr and exit 1 (2 for bad usage).
#include <outlet/outlet.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#if !defined(_WIN32)
#include <sys/resource.h>
#endif  // !defined(_WIN32)

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  outlet::Address address;
  std::uint64_t connections = 2000;
  std::uint64_t rounds = 10;
  std::uint64_t size = 64;
  std::uint64_t timeout_s = 120;
};

// --- the messages ------------------------------------------------------------

// splitmix64's finaliser: a cheap, well-mixed 64-bit hash.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15u;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

// Bytes [offset, offset + size) of the message that connection `conn` sends
// in round `round`. Computed, not stored: any part can be made again to check
// an echo, whatever the message size.
void message_bytes(std::uint64_t conn, std::uint64_t round, std::size_t offset, std::size_t size, char* out) {
  const std::uint64_t seed = mix(mix(conn) ^ round);
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t k = offset + i;
    out[i] = static_cast<char>(mix(seed + k / 8) >> (8 * (k % 8)));
  }
}

// --- one connection ----------------------------------------------------------

struct Connection {
  outlet::Socket socket;
  std::uint64_t round = 0;  // the round in progress; == rounds when done
  std::size_t sent = 0;     // bytes of this round's message sent
  std::size_t checked = 0;  // bytes of its echo received and verified
  outlet::Interest interest = outlet::Interest::both;
};

class LoadClient {
public:
  explicit LoadClient(const Options& options) : options_(options), size_(static_cast<std::size_t>(options.size)) {}

  // Opens every connection (blocking connects, one after the other: on
  // loopback each completes in the kernel without waiting for the server).
  bool connect_all(Clock::time_point deadline) {
    connections_.resize(static_cast<std::size_t>(options_.connections));
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      outlet::Socket& s = connections_[i].socket;
      std::error_code ec;
      s.connect(options_.address, std::max(deadline - Clock::now(), Clock::duration(1)), ec);
      if (!ec) s.set_non_blocking(true, ec);
      if (!ec && options_.address.family() != outlet::Family::unix_domain) s.set_no_delay(true, ec);
      if (!ec) poller_.add(s, connections_[i].interest, i, ec);
      if (ec) return fail(i, "connect " + options_.address.to_string(), ec);
    }
    return true;
  }

  // Runs every connection's rounds at once until all are done.
  bool run(Clock::time_point deadline) {
    for (std::size_t i = 0; i < connections_.size(); ++i)
      if (!pump(i, false)) return false;
    while (finished_ < connections_.size()) {
      const auto left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) {
        std::cerr << "load_client: timed out after " << options_.timeout_s << " s with " << round_trips_ << " of "
                  << options_.connections * options_.rounds << " round trips done\n";
        return false;
      }
      std::error_code ec;
      poller_.wait(left, ec);
      if (ec) return fail(0, "poller wait", ec);
      for (const outlet::Event& event : poller_.events()) {
        // An error or hang-up is reported by the receive() that follows.
        const bool readable = event.readable() || event.error() || event.hangup();
        if (!pump(static_cast<std::size_t>(event.token()), readable)) return false;
      }
    }
    return true;
  }

  std::uint64_t round_trips() const { return round_trips_; }

private:
  // Moves one connection on as far as it goes without waiting: sends what
  // is left of its message, receives and checks what has come back (when
  // `readable`: the Poller said so), and starts the next round when the echo
  // is complete.
  bool pump(std::size_t i, bool readable) {
    Connection& c = connections_[i];
    if (c.round == options_.rounds) return true;  // finished already
    while (c.round < options_.rounds) {
      std::error_code ec;
      if (c.sent < size_) {
        const std::size_t n = std::min(size_ - c.sent, sizeof out_);
        message_bytes(i, c.round, c.sent, n, out_);
        c.sent += c.socket.send(out_, n, ec);
        if (ec && ec != std::errc::operation_would_block) return fail(i, "send", ec);
      }
      if (!readable) return watch(i, c);  // saves a receive() that would find nothing
      const std::size_t n = c.socket.receive(in_, std::min(size_ - c.checked, sizeof in_), ec);
      if (ec == std::errc::operation_would_block) return watch(i, c);
      if (ec) return fail(i, "receive", ec);
      if (n == 0) return fail(i, "the server closed the connection", {});
      message_bytes(i, c.round, c.checked, n, out_);
      if (std::memcmp(in_, out_, n) != 0) return mismatch(i, c, n);
      c.checked += n;
      if (c.checked == size_) {  // a round trip is complete: on to the next round
        ++round_trips_;
        ++c.round;
        c.sent = c.checked = 0;
        readable = false;  // nothing more can come before the next message is sent
      }
    }
    ++finished_;
    std::error_code ec;
    poller_.remove(c.socket, ec);  // it stays connected until the end
    return ec ? fail(i, "poller remove", ec) : true;
  }

  // Watches for room to send while some of the message is unsent, for the
  // echo either way (reading while sending: a large message fills both
  // directions' buffers, and the server stops reading until we do).
  bool watch(std::size_t i, Connection& c) {
    const outlet::Interest want = c.sent < size_ ? outlet::Interest::both : outlet::Interest::readable;
    if (want == c.interest) return true;
    std::error_code ec;
    poller_.modify(c.socket, want, i, ec);
    if (ec) return fail(i, "poller modify", ec);
    c.interest = want;
    return true;
  }

  bool mismatch(std::size_t i, const Connection& c, std::size_t n) {
    std::size_t k = 0;
    while (in_[k] == out_[k]) ++k;
    std::cerr << "load_client: connection " << i << ", round " << c.round << ": echo byte " << c.checked + k << " is "
              << static_cast<int>(static_cast<unsigned char>(in_[k])) << ", expected "
              << static_cast<int>(static_cast<unsigned char>(out_[k])) << " (" << n << " bytes in this read)\n";
    return false;
  }

  bool fail(std::size_t i, const std::string& what, const std::error_code& ec) {
    std::cerr << "load_client: connection " << i << ": " << what;
    if (ec) std::cerr << ": " << ec.message();
    std::cerr << " (" << round_trips_ << " round trips done)\n";
    return false;
  }

  Options options_;
  std::size_t size_;
  std::vector<Connection> connections_;  // the Poller token is the index
  outlet::Poller poller_;                // declared after the sockets: destroyed first
  std::size_t finished_ = 0;
  std::uint64_t round_trips_ = 0;
  char out_[65536];  // a piece of a message: to send, or to check an echo against
  char in_[65536];   // a piece of an echo
};

// --- setup -------------------------------------------------------------------

// Every connection is a descriptor: raise the soft limit to the hard one.
bool raise_descriptor_limit(std::uint64_t connections) {
#if !defined(_WIN32)
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return true;  // nothing known: let connect() say
  const rlim_t wanted = static_cast<rlim_t>(connections + 32);
  if (limit.rlim_cur < limit.rlim_max && limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    // macOS refuses RLIM_INFINITY (more than OPEN_MAX): then ask for what is needed.
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) raised.rlim_cur = std::min(wanted, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    std::cerr << "load_client: " << connections << " connections need about " << wanted
              << " descriptors, and the limit is " << limit.rlim_cur << " (see ulimit -n)\n";
    return false;
  }
#else
  (void)connections;  // Windows has no per-process socket limit to raise
#endif  // !defined(_WIN32)
  return true;
}

bool parse_number(const char* text, std::uint64_t& out) {
  char* end = nullptr;
  if (text == nullptr || *text < '0' || *text > '9') return false;
  out = std::strtoull(text, &end, 10);
  return *end == '\0' && out > 0;
}

bool parse_options(int argc, char* argv[], Options& o) {
  if (argc < 2) return false;
  try {
    o.address = outlet::Address::parse(argv[1]);
  } catch (const std::system_error& e) {
    std::cerr << e.what() << '\n';
    return false;
  }
  for (int i = 2; i < argc; ++i) {
    std::string name = argv[i];
    const char* value = nullptr;
    if (const std::size_t eq = name.find('='); eq != std::string::npos) {  // --size=64
      value = argv[i] + eq + 1;
      name.resize(eq);
    } else if (i + 1 < argc) {  // --size 64
      value = argv[++i];
    }
    std::uint64_t* slot = name == "--connections" ? &o.connections
                          : name == "--rounds"    ? &o.rounds
                          : name == "--size"      ? &o.size
                          : name == "--timeout-s" ? &o.timeout_s
                                                  : nullptr;
    if (slot == nullptr || !parse_number(value, *slot)) {
      std::cerr << "load_client: bad option " << argv[i] << " (a name and a positive number)\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char* argv[]) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    std::cerr << "usage: load_client <address> [--connections N=2000] [--rounds M=10] [--size B=64] "
                 "[--timeout-s T=120]\n";
    return 2;
  }
  if (!raise_descriptor_limit(options.connections)) return 1;

  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(options.timeout_s);
  auto client = std::make_unique<LoadClient>(options);  // on the heap: it holds two 64 KiB buffers
  if (!client->connect_all(deadline)) return 1;
  const Clock::time_point start = Clock::now();
  if (!client->run(deadline)) return 1;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const std::uint64_t trips = client->round_trips();
  std::printf(
      "connections=%llu rounds=%llu size=%llu round_trips=%llu seconds=%.3f round_trips_per_second=%.0f "
      "verified_bytes=%llu\n",
      static_cast<unsigned long long>(options.connections), static_cast<unsigned long long>(options.rounds),
      static_cast<unsigned long long>(options.size), static_cast<unsigned long long>(trips), seconds,
      static_cast<double>(trips) / seconds, static_cast<unsigned long long>(trips * options.size));
  return 0;
}
