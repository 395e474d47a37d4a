// batch_bench: many small datagrams per system call against one per call.
//
//   batch_bench [--rounds R] [--warmup W] [--burst B] [--bursts N] [--size S]
//               [--json FILE] [--quick]
//
// The workload is a burst ping-pong over 127.0.0.1: the client sends B
// datagrams of S bytes (default 32 x 64 B), the server receives all B and
// sends them back, the client receives all B; N bursts per run. A burst
// fits in the socket buffers, so nothing is dropped on loopback (a lost
// datagram would end the run with an error after 10 s, never a wrong rate).
// Every datagram's first and last byte are checked.
//
// Three ways, both sides the same in a run:
//   single       outlet: send_to / receive_from, one datagram per call
//   batch        outlet: send_batch / receive_batch (sendmmsg / recvmmsg on Linux)
//   plain-mmsg   plain Linux sendmmsg / recvmmsg, for reference (Linux only)
// Rounds alternate them, the order rotating each round; the summary gives
// each median rate in datagrams per second (one way: B x N per run) and the
// ratio of each median to single's.
#include <outlet/outlet.hpp>

#if defined(__linux__)
#include <sys/socket.h>
#endif

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  int rounds = 7;
  int warmup = 1;
  std::size_t burst = 32;
  int bursts = 20000;
  std::size_t size = 64;
  std::string json = "batch_results.json";
};

enum class Way { single, batch, plain_mmsg };

const char* name(Way w) {
  switch (w) {
    case Way::single: return "single";
    case Way::batch: return "batch";
    case Way::plain_mmsg: return "plain-mmsg";
  }
  return "?";
}

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

// The byte datagram `i` of a burst starts and ends with.
char mark(std::size_t i) { return static_cast<char>('A' + i % 26); }

// One side's buffers for a burst: B datagrams of `size` bytes to send, and
// B receive slots with room for more than `size` (a longer one would show).
struct Burst {
  Burst(std::size_t burst, std::size_t size)
      : out(burst, std::string(size, 'x')), in(burst, std::string(size + 64, '\0')) {
    for (std::size_t i = 0; i < burst; ++i) out[i].front() = out[i].back() = mark(i);
  }
  std::vector<std::string> out;
  std::vector<std::string> in;
};

void check(const std::string& data, std::size_t n, std::size_t size, std::size_t i) {
  if (n != size || data[0] != mark(i) || data[n - 1] != mark(i))
    fail("datagram " + std::to_string(i) + " of a burst came back wrong (" + std::to_string(n) + " bytes)");
}

// --- outlet, one per call ---------------------------------------------------------

void single_send(outlet::DatagramSocket& s, Burst& b, const outlet::Address& to) {
  for (const std::string& d : b.out) (void)s.send_to(d, to);
}
void single_receive(outlet::DatagramSocket& s, Burst& b, std::size_t size, outlet::Address& from) {
  for (std::size_t i = 0; i < b.in.size(); ++i) {
    const std::size_t n = s.receive_from(&b.in[i][0], b.in[i].size(), from);
    check(b.in[i], n, size, i);
  }
}

// --- outlet, batches --------------------------------------------------------------------

struct BatchState {
  BatchState(Burst& b, const outlet::Address& to) : out(b.out.size()), in(b.in.size()) {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = {outlet::ConstBuffer(b.out[i]), to};
    for (std::size_t i = 0; i < in.size(); ++i) in[i].buffer = outlet::MutableBuffer(&b.in[i][0], b.in[i].size());
  }
  std::vector<outlet::OutgoingDatagram> out;
  std::vector<outlet::IncomingDatagram> in;
};

void batch_send(outlet::DatagramSocket& s, BatchState& st) {
  std::size_t sent = 0;
  while (sent < st.out.size()) sent += s.send_batch(st.out.data() + sent, st.out.size() - sent);
}
void batch_receive(outlet::DatagramSocket& s, BatchState& st, Burst& b, std::size_t size) {
  std::size_t got = 0;
  while (got < st.in.size()) got += s.receive_batch(st.in.data() + got, st.in.size() - got);
  for (std::size_t i = 0; i < st.in.size(); ++i) check(b.in[i], st.in[i].received, size, i);
}

// --- plain sendmmsg / recvmmsg ------------------------------------------------------------

#if defined(__linux__)
struct MmsgState {
  MmsgState(Burst& b, const outlet::Address& to)
      : out_iov(b.out.size()), in_iov(b.in.size()), out(b.out.size()), in(b.in.size()), names(b.in.size()) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      out_iov[i] = {&b.out[i][0], b.out[i].size()};
      out[i].msg_hdr.msg_iov = &out_iov[i];
      out[i].msg_hdr.msg_iovlen = 1;
      out[i].msg_hdr.msg_name = const_cast<sockaddr*>(to.native());
      out[i].msg_hdr.msg_namelen = to.native_size();
    }
    for (std::size_t i = 0; i < in.size(); ++i) in_iov[i] = {&b.in[i][0], b.in[i].size()};
  }
  std::vector<iovec> out_iov, in_iov;
  std::vector<mmsghdr> out, in;
  std::vector<sockaddr_storage> names;
};

void mmsg_send(int fd, MmsgState& st) {
  std::size_t sent = 0;
  while (sent < st.out.size()) {
    const int n = ::sendmmsg(fd, st.out.data() + sent, static_cast<unsigned>(st.out.size() - sent), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::system_category(), "sendmmsg");
    }
    sent += static_cast<std::size_t>(n);
  }
}
void mmsg_receive(int fd, MmsgState& st, Burst& b, std::size_t size) {
  std::size_t got = 0;
  while (got < st.in.size()) {
    for (std::size_t i = got; i < st.in.size(); ++i) {
      st.in[i].msg_hdr = msghdr{};
      st.in[i].msg_hdr.msg_iov = &st.in_iov[i];
      st.in[i].msg_hdr.msg_iovlen = 1;
      st.in[i].msg_hdr.msg_name = &st.names[i];
      st.in[i].msg_hdr.msg_namelen = sizeof st.names[i];
    }
    const int n =
        ::recvmmsg(fd, st.in.data() + got, static_cast<unsigned>(st.in.size() - got), MSG_WAITFORONE, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::system_category(), "recvmmsg");
    }
    got += static_cast<std::size_t>(n);
  }
  for (std::size_t i = 0; i < st.in.size(); ++i) check(b.in[i], st.in[i].msg_len, size, i);
}
#endif  // defined(__linux__)

// Ends the process if a run is not over within its limit: a lost datagram
// would otherwise block a receive for ever.
class Watchdog {
public:
  explicit Watchdog(std::chrono::seconds limit)
      : thread_([this, limit] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "batch_bench: a run took longer than %lld s (a datagram lost?)\n",
                         static_cast<long long>(limit.count()));
            std::fflush(stderr);
            std::_Exit(3);
          }
        }) {}
  ~Watchdog() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// --- one run -------------------------------------------------------------------------------

// Runs N bursts of one way; returns datagrams per second (one way).
double run(Way way, const Settings& s) {
  outlet::DatagramSocket server(outlet::Address::loopback(outlet::Family::ipv4, 0));
  outlet::DatagramSocket client(outlet::Address::loopback(outlet::Family::ipv4, 0));
  // No socket timeouts (a timed receive adds a poll() per call); a lost
  // datagram ends the process through the watchdog instead.
  const Watchdog watchdog(std::chrono::seconds(60));
  const outlet::Address server_address = server.local_address();
  const outlet::Address client_address = client.local_address();
  std::exception_ptr server_error;

  std::thread peer([&] {
    try {
      Burst b(s.burst, s.size);
      outlet::Address from;
      BatchState bs(b, client_address);
#if defined(__linux__)
      MmsgState ms(b, client_address);
#endif
      for (int i = 0; i < s.bursts; ++i) {
        if (way == Way::single) {
          single_receive(server, b, s.size, from);
          single_send(server, b, client_address);
        } else if (way == Way::batch) {
          batch_receive(server, bs, b, s.size);
          batch_send(server, bs);
#if defined(__linux__)
        } else {
          mmsg_receive(server.native_handle(), ms, b, s.size);
          mmsg_send(server.native_handle(), ms);
#endif
        }
      }
    } catch (...) {
      server_error = std::current_exception();
    }
  });

  Burst b(s.burst, s.size);
  outlet::Address from;
  BatchState bs(b, server_address);
#if defined(__linux__)
  MmsgState ms(b, server_address);
#endif
  const auto start = Clock::now();
  try {
    for (int i = 0; i < s.bursts; ++i) {
      if (way == Way::single) {
        single_send(client, b, server_address);
        single_receive(client, b, s.size, from);
      } else if (way == Way::batch) {
        batch_send(client, bs);
        batch_receive(client, bs, b, s.size);
#if defined(__linux__)
      } else {
        mmsg_send(client.native_handle(), ms);
        mmsg_receive(client.native_handle(), ms, b, s.size);
#endif
      }
    }
  } catch (const std::exception& e) {
    // The peer may wait for datagrams that will never come: end here.
    std::fprintf(stderr, "batch_bench: %s\n", e.what());
    std::fflush(stderr);
    std::_Exit(1);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  peer.join();
  if (server_error) std::rethrow_exception(server_error);
  return static_cast<double>(s.burst) * s.bursts / seconds;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string number(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

int usage(const char* why) {
  std::fprintf(stderr,
               "batch_bench: %s\nusage: batch_bench [--rounds R] [--warmup W] [--burst B] [--bursts N] "
               "[--size S] [--json FILE] [--quick]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    try {
      if (arg == "--rounds")
        s.rounds = std::stoi(value());
      else if (arg == "--warmup")
        s.warmup = std::stoi(value());
      else if (arg == "--burst")
        s.burst = static_cast<std::size_t>(std::stoul(value()));
      else if (arg == "--bursts")
        s.bursts = std::stoi(value());
      else if (arg == "--size")
        s.size = static_cast<std::size_t>(std::stoul(value()));
      else if (arg == "--json")
        s.json = value();
      else if (arg == "--quick") {
        s.rounds = 3;
        s.bursts = 4000;
      } else
        return usage(("unknown argument '" + arg + "'").c_str());
    } catch (const std::exception& e) {
      return usage(e.what());
    }
  }
  if (s.rounds < 1 || s.warmup < 0 || s.burst < 1 || s.burst > 1024 || s.bursts < 1 || s.size < 2 || s.size > 60000)
    return usage("out of range: rounds >= 1, warmup >= 0, 1 <= burst <= 1024, bursts >= 1, 2 <= size <= 60000");

  std::vector<Way> ways = {Way::single, Way::batch};
#if defined(__linux__)
  ways.push_back(Way::plain_mmsg);
#endif
  std::vector<std::vector<double>> rates(ways.size());
  std::printf(
      "batch: %zu datagrams of %zu B per burst, %d bursts per run over 127.0.0.1; %d warm-up + %d rounds, "
      "order rotating; sendmmsg/recvmmsg in outlet: %s\n",
      s.burst, s.size, s.bursts, s.warmup, s.rounds, outlet::detail::sys::has_message_batch ? "yes" : "no");
  std::printf("%-6s", "round");
  for (Way w : ways) std::printf(" %14s", name(w));
  std::printf("   (datagrams/s, one way)\n");
  try {
    for (int r = -s.warmup; r < s.rounds; ++r) {
      std::vector<double> row(ways.size());
      for (std::size_t k = 0; k < ways.size(); ++k) {
        const std::size_t j = (k + static_cast<std::size_t>(r + s.warmup)) % ways.size();
        row[j] = run(ways[j], s);
      }
      std::printf("%-6s", r < 0 ? "w" : std::to_string(r + 1).c_str());
      for (double x : row) std::printf(" %14s", number(x, 0).c_str());
      std::printf("\n");
      std::fflush(stdout);  // one line per round, as it happens
      if (r >= 0)
        for (std::size_t j = 0; j < ways.size(); ++j) rates[j].push_back(row[j]);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "batch_bench: %s\n", e.what());
    return 1;
  }

  const double base = median(rates[0]);
  std::ostringstream json;
  json << "{\n  \"burst\": " << s.burst << ",\n  \"size\": " << s.size << ",\n  \"bursts\": " << s.bursts
       << ",\n  \"rounds\": " << s.rounds
       << ",\n  \"message_batch\": " << (outlet::detail::sys::has_message_batch ? "true" : "false")
       << ",\n  \"ways\": {";
  std::printf("\nmedian          datagrams/s   ratio to single\n");
  for (std::size_t j = 0; j < ways.size(); ++j) {
    const double m = median(rates[j]);
    std::printf("%-14s %12s   %s\n", name(ways[j]), number(m, 0).c_str(), number(m / base, 3).c_str());
    json << (j ? "," : "") << "\n    \"" << name(ways[j]) << "\": {\"median\": " << number(m, 1)
         << ", \"ratio_to_single\": " << number(m / base, 4) << ", \"runs\": [";
    for (std::size_t i = 0; i < rates[j].size(); ++i) json << (i ? ", " : "") << number(rates[j][i], 1);
    json << "]}";
  }
  json << "\n  }\n}\n";
  std::ofstream(s.json) << json.str();
  std::printf("results written to %s\n", s.json.c_str());
  return 0;
}
