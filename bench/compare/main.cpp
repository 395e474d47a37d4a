// compare_bench: outlet against plain BSD calls and Asio's synchronous API,
// the same workloads side by side.
//
//   compare_bench [--workloads tcp4,tcp6,unix,udp,udp-server,bulk,accept] [--impls plain,outlet,asio]
//                 [--rounds R] [--warmup W] [--json FILE] [--quick] [--bulk-mib M] [--scale F]
//       In one process: per run, the server side on a thread and the client
//       on the main thread, both with the same implementation; only the
//       client's loop of N operations is timed. Each round runs every
//       implementation once, the order rotating from round to round.
//   compare_bench peer --workload W [--address ADDR] [--impl I]
//       The server side of W (implementation plain unless --impl), printing
//       "listening on <address>" first, until EOF on stdin or SIGTERM.
//   compare_bench client --impl I --workload W --peer ADDR --iterations N [--timeout-s T]
//       The client side of W for exactly N operations, then "ops=N".
//   compare_bench pair --impl I --workload W --iterations N [--timeout-s T]
//       Both sides of W in this process, as one in-process run does: the
//       server of I on a thread, the client of I on the main thread, for
//       exactly N operations, then "ops=N". What count.py counts as "both
//       ends"; nothing in it polls or spins, so under valgrind, which runs
//       one thread at a time, each side simply blocks in its system call.
//
// Options: --quick halves every N and runs 3 rounds + 1 warm-up (unless
// --rounds/--warmup are given); --bulk-mib sets the bulk run's size (256);
// --scale multiplies every N. --timeout-s (client, pair) ends a hung run
// (default 600 s, 0 = none); in-process, each run has 120 s.
//
// Linux: reads /proc/cpuinfo and uses accept4() (plain).
#include "workloads.hpp"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#ifndef OUTLET_BENCH_BUILD_TYPE  // set by bench/CMakeLists.txt
#define OUTLET_BENCH_BUILD_TYPE ""
#endif  // OUTLET_BENCH_BUILD_TYPE

namespace compare {
namespace {

// --- Failing, and the time limit ---------------------------------------------

/// Prints the message and ends the process with status 1 at once: another
/// thread may be blocked in a socket call that will never return.
[[noreturn]] void die(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "compare_bench: %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

void on_alarm(int) {
  static const char message[] = "compare_bench: time limit reached (a run hung: lost datagram or stuck peer?)\n";
  (void)!::write(STDERR_FILENO, message, sizeof message - 1);
  ::_exit(3);
}

/// Arms SIGALRM: the process ends with status 3 if the limit passes first.
/// The sockets themselves have no timeouts (each implementation is measured
/// blocking, as it is usually written); this only keeps a hung run, such as
/// one that lost a datagram, from lasting for ever.
void arm_time_limit(unsigned seconds) {
  std::signal(SIGALRM, on_alarm);
  ::alarm(seconds);
}

// --- Workload names and sizes ------------------------------------------------

constexpr Workload all_workloads[] = {Workload::tcp4,       Workload::tcp6, Workload::unix_stream, Workload::udp,
                                      Workload::udp_server, Workload::bulk, Workload::accept};

Workload parse_workload(std::string_view name) {
  for (Workload w : all_workloads)
    if (name == workload_name(w)) return w;
  throw std::invalid_argument("unknown workload \"" + std::string(name) +
                              "\" (tcp4, tcp6, unix, udp, udp-server, bulk, accept)");
}

const Implementation& parse_impl(std::string_view name) {
  for (const Implementation* impl : {&plain_implementation(), &outlet_implementation(), &asio_implementation()})
    if (name == impl->name) return *impl;
  throw std::invalid_argument("unknown implementation \"" + std::string(name) + "\" (plain, outlet, asio)");
}

const char* unit_of(Workload w) {
  if (w == Workload::bulk) return "MiB/s";
  if (w == Workload::accept) return "connections/s";
  return "round trips/s";
}

std::string describe(Workload w, std::uint64_t n) {
  switch (w) {
    case Workload::tcp4: return "64 B ping-pong over TCP 127.0.0.1, " + std::to_string(n) + " round trips per run";
    case Workload::tcp6: return "64 B ping-pong over TCP ::1, " + std::to_string(n) + " round trips per run";
    case Workload::unix_stream:
      return "64 B ping-pong over a Unix stream socket, " + std::to_string(n) + " round trips per run";
    case Workload::udp:
      return "64 B UDP ping-pong over 127.0.0.1, connected client, " + std::to_string(n) + " round trips per run";
    case Workload::udp_server:
      return "64 B UDP ping-pong over 127.0.0.1, unconnected both ends (send_to / receive_from an address), " +
             std::to_string(n) + " round trips per run";
    case Workload::bulk:
      return "TCP 127.0.0.1, " + std::to_string(n * chunk_size >> 20) + " MiB in 64 KiB send_all calls per run";
    case Workload::accept: return "TCP 127.0.0.1 connect/accept/close, " + std::to_string(n) + " connections per run";
  }
  return {};
}

/// Operations per run, chosen so one run takes about 0.2 to 0.5 s on the
/// 2-CPU development machine.
std::uint64_t default_iterations(Workload w, std::uint64_t bulk_mib) {
  switch (w) {
    case Workload::tcp4:
    case Workload::tcp6: return 25000;
    case Workload::unix_stream: return 40000;
    case Workload::udp:
    case Workload::udp_server: return 30000;
    case Workload::bulk: return bulk_mib * (std::uint64_t{1} << 20) / chunk_size;
    case Workload::accept: return 6000;
  }
  return 0;
}

/// Does the address suit the workload? (tcp4 needs IPv4, udp an IP address, ...)
void check_family(Workload w, const Target& t) {
  bool ok = true;
  switch (w) {
    case Workload::tcp4: ok = t.kind == Target::Kind::ipv4; break;
    case Workload::tcp6: ok = t.kind == Target::Kind::ipv6; break;
    case Workload::unix_stream: ok = t.kind == Target::Kind::unix_path; break;
    case Workload::udp:
    case Workload::udp_server: ok = t.kind != Target::Kind::unix_path; break;
    case Workload::bulk:
    case Workload::accept: break;
  }
  if (!ok) throw std::invalid_argument("address " + t.to_string() + " does not suit workload " + workload_name(w));
}

/// A fresh directory for a Unix socket, removed with everything in it.
class TempDir {
public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/compare_bench.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::system_category(), "mkdtemp");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const noexcept { return path_; }

private:
  std::string path_;
};

/// The default listening address of a workload; `dir` is made for unix.
Target default_target(Workload w, std::unique_ptr<TempDir>& dir) {
  if (w == Workload::unix_stream) {
    dir = std::make_unique<TempDir>();
    return Target::parse("unix:" + dir->path() + "/s");
  }
  return Target::parse(w == Workload::tcp6 ? "[::1]:0" : "127.0.0.1:0");
}

std::vector<std::string> split(std::string_view list) {
  std::vector<std::string> items;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    items.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return items;
}

std::uint64_t parse_count(std::string_view option, std::string_view text) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(std::string(text), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || text.front() == '-')
    throw std::invalid_argument(std::string(option) + ": not a count: \"" + std::string(text) + "\"");
  return value;
}

// --- Machine facts -------------------------------------------------------------

struct Machine {
  std::string cpu_model = "unknown";
  long cpus_online = 0;
  int cpus_usable = 0;
  std::string kernel;
  std::string compiler;
  std::string asio;
  std::string build_type;
};

Machine machine_facts() {
  Machine m;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      m.cpu_model = line.substr(line.find(':') + 2);
      break;
    }
  }
  m.cpus_online = ::sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) m.cpus_usable = CPU_COUNT(&set);
  utsname u{};
  if (::uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
#if defined(__clang__)
  m.compiler = __VERSION__;  // "Debian Clang 14.0.6", say
#elif defined(__GNUC__)
  m.compiler = "g++ " __VERSION__;
#else
  m.compiler = "unknown compiler";
#endif  // compiler
  m.asio = asio_version();
  m.build_type = OUTLET_BENCH_BUILD_TYPE[0] != '\0' ? OUTLET_BENCH_BUILD_TYPE : "no CMAKE_BUILD_TYPE";
#if defined(__OPTIMIZE__)
  m.build_type += ", optimised";
#else
  m.build_type += ", not optimised";
#endif  // __OPTIMIZE__
#if defined(NDEBUG)
  m.build_type += ", NDEBUG";
#endif  // NDEBUG
  return m;
}

std::vector<double> load_average() {
  double l[3] = {};
  if (::getloadavg(l, 3) != 3) return {};
  return {l[0], l[1], l[2]};
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

/// A rate with thousands separators; one decimal for MiB/s.
std::string format_rate(double value, Workload w) {
  std::string digits = fixed(value, w == Workload::bulk ? 1 : 0);
  const std::size_t point = digits.find('.');
  std::size_t end = point == std::string::npos ? digits.size() : point;
  while (end > 3) {
    end -= 3;
    digits.insert(end, ",");
  }
  return digits;
}

// --- The in-process comparison ---------------------------------------------------

struct Options {
  std::vector<Workload> workloads{std::begin(all_workloads), std::end(all_workloads)};
  std::vector<const Implementation*> impls{&plain_implementation(), &outlet_implementation(), &asio_implementation()};
  std::uint64_t rounds = 7;
  std::uint64_t warmup = 1;
  bool rounds_given = false;
  bool warmup_given = false;
  bool quick = false;
  std::uint64_t bulk_mib = 256;
  double scale = 1.0;
  std::string json = "compare_results.json";
};

constexpr unsigned run_time_limit_s = 120;

struct Run {
  std::uint64_t round;  // within the warm-up rounds or within the measured ones
  bool warmup;
  std::size_t position;  // 0 = first in its round
  std::string impl;
  double seconds;
  double rate;
};

/// One run: server (thread) and client (this thread) of one implementation;
/// only client->run(n) is timed. Any failure ends the process, and so does
/// the time limit (seconds, 0 = none). The in-process comparison and the
/// `pair` subcommand both run this.
double run_once(const Implementation& impl, Workload w, std::uint64_t n, unsigned limit_s = run_time_limit_s) {
  const std::string what = std::string(impl.name) + " " + workload_name(w);
  try {
    std::unique_ptr<TempDir> dir;
    const Target where = default_target(w, dir);
    if (limit_s > 0) arm_time_limit(limit_s);
    std::unique_ptr<Server> server = impl.make_server(w, where);
    const Target at = server->local();
    const std::uint64_t sessions = w == Workload::accept ? n : 1;
    std::thread server_thread([&server, sessions, &what] {
      try {
        server->serve(sessions);
      } catch (const std::exception& e) {
        die(what + " server: " + e.what());
      }
    });
    std::unique_ptr<Client> client = impl.make_client(w, at);
    const auto start = std::chrono::steady_clock::now();
    client->run(n);
    const auto stop = std::chrono::steady_clock::now();
    client->finish();
    client.reset();
    server_thread.join();
    ::alarm(0);
    return std::chrono::duration<double>(stop - start).count();
  } catch (const std::exception& e) {
    die(what + " client: " + e.what());
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

struct Summary {
  std::string impl;
  std::vector<double> rates;  // measured rounds, in round order
  double median = 0, min = 0, max = 0;
  double ratio = 0;               // median / baseline's median
  double median_round_ratio = 0;  // median over rounds of rate / baseline's rate in that round
};

struct WorkloadResult {
  Workload workload;
  std::uint64_t n;
  std::vector<Run> runs;
  std::vector<Summary> summaries;
};

WorkloadResult compare_workload(const Options& o, Workload w, std::uint64_t n) {
  WorkloadResult result{w, n, {}, {}};
  const std::size_t m = o.impls.size();
  std::printf("\n%s: %s\n", workload_name(w), describe(w, n).c_str());
  std::printf("  %-6s", "round");
  for (const Implementation* impl : o.impls) std::printf("%16s", impl->name);
  std::printf("   (%s; the order rotates each round)\n", unit_of(w));
  std::vector<std::vector<double>> rates(m);
  for (std::uint64_t r = 0; r < o.warmup + o.rounds; ++r) {
    const bool warm = r < o.warmup;
    const std::uint64_t round = warm ? r : r - o.warmup;
    std::vector<double> row(m);
    for (std::size_t k = 0; k < m; ++k) {
      const std::size_t i = (round + k) % m;
      const double seconds = run_once(*o.impls[i], w, n);
      const double ops = w == Workload::bulk ? static_cast<double>(n * chunk_size) / (1 << 20) : static_cast<double>(n);
      row[i] = ops / seconds;
      result.runs.push_back(Run{round, warm, k, o.impls[i]->name, seconds, row[i]});
    }
    std::printf("  %-6s", warm ? ("w" + std::to_string(round + 1)).c_str() : std::to_string(round + 1).c_str());
    for (std::size_t i = 0; i < m; ++i) {
      std::printf("%16s", format_rate(row[i], w).c_str());
      if (!warm) rates[i].push_back(row[i]);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  // The baseline: plain if it ran, else the first implementation listed.
  std::size_t base = 0;
  for (std::size_t i = 0; i < m; ++i)
    if (std::string_view(o.impls[i]->name) == "plain") base = i;
  const double base_median = median(rates[base]);
  std::printf("  %-8s%20s  %26s  %10s  %12s\n", "impl", (std::string("median ") + unit_of(w)).c_str(), "(min .. max)",
              (std::string("ratio/") + o.impls[base]->name).c_str(), "round ratio");
  for (std::size_t i = 0; i < m; ++i) {
    Summary s;
    s.impl = o.impls[i]->name;
    s.rates = rates[i];
    s.median = median(rates[i]);
    s.min = *std::min_element(rates[i].begin(), rates[i].end());
    s.max = *std::max_element(rates[i].begin(), rates[i].end());
    s.ratio = s.median / base_median;
    std::vector<double> per_round;
    for (std::size_t r = 0; r < rates[i].size(); ++r) per_round.push_back(rates[i][r] / rates[base][r]);
    s.median_round_ratio = median(per_round);
    const std::string range = "(" + format_rate(s.min, w) + " .. " + format_rate(s.max, w) + ")";
    std::printf("  %-8s%20s  %26s  %10s  %12s\n", s.impl.c_str(), format_rate(s.median, w).c_str(), range.c_str(),
                fixed(s.ratio, 3).c_str(), fixed(s.median_round_ratio, 3).c_str());
    result.summaries.push_back(std::move(s));
  }
  std::fflush(stdout);
  return result;
}

// --- JSON --------------------------------------------------------------------

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

std::string numbers(const std::vector<double>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + number(v[i]);
  return out + "]";
}

void write_json(const Options& o, const Machine& m, const std::vector<double>& load_before,
                const std::vector<double>& load_after, const std::vector<WorkloadResult>& results) {
  std::ostringstream j;
  j << "{\n  \"benchmark\": \"compare_bench\",\n  \"settings\": {\n    \"workloads\": [";
  for (std::size_t i = 0; i < o.workloads.size(); ++i) j << (i ? ", " : "") << quoted(workload_name(o.workloads[i]));
  j << "],\n    \"impls\": [";
  for (std::size_t i = 0; i < o.impls.size(); ++i) j << (i ? ", " : "") << quoted(o.impls[i]->name);
  j << "],\n    \"rounds\": " << o.rounds << ",\n    \"warmup\": " << o.warmup
    << ",\n    \"quick\": " << (o.quick ? "true" : "false") << ",\n    \"scale\": " << number(o.scale)
    << ",\n    \"bulk_mib\": " << o.bulk_mib << ",\n    \"message_bytes\": " << message_size
    << ",\n    \"bulk_chunk_bytes\": " << chunk_size << ",\n    \"order\": \"rotates each round\"\n  },\n";
  j << "  \"machine\": {\n    \"cpu_model\": " << quoted(m.cpu_model) << ",\n    \"cpus_online\": " << m.cpus_online
    << ",\n    \"cpus_usable\": " << m.cpus_usable << ",\n    \"kernel\": " << quoted(m.kernel)
    << ",\n    \"compiler\": " << quoted(m.compiler) << ",\n    \"asio_version\": " << quoted(m.asio)
    << ",\n    \"build_type\": " << quoted(m.build_type) << ",\n    \"load_average_before\": " << numbers(load_before)
    << ",\n    \"load_average_after\": " << numbers(load_after) << "\n  },\n  \"results\": [";
  for (std::size_t k = 0; k < results.size(); ++k) {
    const WorkloadResult& r = results[k];
    j << (k ? "," : "") << "\n    {\n      \"workload\": " << quoted(workload_name(r.workload))
      << ",\n      \"description\": " << quoted(describe(r.workload, r.n))
      << ",\n      \"unit\": " << quoted(unit_of(r.workload)) << ",\n      \"operations_per_run\": " << r.n
      << ",\n      \"runs\": [";
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const Run& run = r.runs[i];
      j << (i ? "," : "") << "\n        {\"warmup\": " << (run.warmup ? "true" : "false")
        << ", \"round\": " << run.round + 1 << ", \"position\": " << run.position + 1
        << ", \"impl\": " << quoted(run.impl) << ", \"seconds\": " << number(run.seconds)
        << ", \"rate\": " << number(run.rate) << "}";
    }
    j << "\n      ],\n      \"summary\": [";
    for (std::size_t i = 0; i < r.summaries.size(); ++i) {
      const Summary& s = r.summaries[i];
      j << (i ? "," : "") << "\n        {\"impl\": " << quoted(s.impl) << ", \"median\": " << number(s.median)
        << ", \"min\": " << number(s.min) << ", \"max\": " << number(s.max)
        << ", \"ratio_of_medians\": " << number(s.ratio) << ", \"median_round_ratio\": " << number(s.median_round_ratio)
        << ", \"rates\": " << numbers(s.rates) << "}";
    }
    j << "\n      ]\n    }";
  }
  j << "\n  ]\n}\n";
  std::ofstream file(o.json);
  file << j.str();
  file.close();
  if (!file) die("cannot write " + o.json);
}

std::string load_text(const std::vector<double>& l) {
  if (l.size() != 3) return "unknown";
  return fixed(l[0], 2) + " " + fixed(l[1], 2) + " " + fixed(l[2], 2);
}

int compare_main(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    if (a == "--workloads") {
      o.workloads.clear();
      for (const std::string& name : split(value())) o.workloads.push_back(parse_workload(name));
    } else if (a == "--impls") {
      o.impls.clear();
      for (const std::string& name : split(value())) o.impls.push_back(&parse_impl(name));
    } else if (a == "--rounds") {
      o.rounds = parse_count(a, value());
      o.rounds_given = true;
    } else if (a == "--warmup") {
      o.warmup = parse_count(a, value());
      o.warmup_given = true;
    } else if (a == "--json") {
      o.json = value();
    } else if (a == "--quick") {
      o.quick = true;
    } else if (a == "--bulk-mib") {
      o.bulk_mib = parse_count(a, value());
    } else if (a == "--scale") {
      o.scale = std::stod(value());
    } else {
      throw std::invalid_argument("unknown option " + a + " (see the comment at the top of bench/compare/main.cpp)");
    }
  }
  if (o.workloads.empty() || o.impls.empty()) throw std::invalid_argument("nothing to run");
  if (o.rounds < 1) throw std::invalid_argument("--rounds must be at least 1");
  if (!(o.scale > 0)) throw std::invalid_argument("--scale must be positive");
  if (o.quick) {  // half the operations, 3 rounds + 1 warm-up, unless given
    if (!o.rounds_given) o.rounds = 3;
    if (!o.warmup_given) o.warmup = 1;
  }

  const Machine m = machine_facts();
  const std::vector<double> load_before = load_average();
  std::printf("compare_bench: plain BSD calls, outlet, Asio (synchronous); server thread + client thread per run\n");
  std::printf("machine: %s; %ld CPUs online, %d usable; %s; %s; Asio %s; %s; load average %s\n", m.cpu_model.c_str(),
              m.cpus_online, m.cpus_usable, m.kernel.c_str(), m.compiler.c_str(), m.asio.c_str(), m.build_type.c_str(),
              load_text(load_before).c_str());
  std::printf("settings: %llu measured rounds + %llu warm-up%s; rates are per run, timed on the client\n",
              static_cast<unsigned long long>(o.rounds), static_cast<unsigned long long>(o.warmup),
              o.quick ? "; --quick (half the operations)" : "");
  std::fflush(stdout);

  const auto start = std::chrono::steady_clock::now();
  std::vector<WorkloadResult> results;
  for (Workload w : o.workloads) {
    double n = static_cast<double>(default_iterations(w, o.bulk_mib)) * o.scale;
    if (o.quick) n /= 2;
    results.push_back(compare_workload(o, w, std::max<std::uint64_t>(1, static_cast<std::uint64_t>(n))));
  }
  const std::vector<double> load_after = load_average();
  write_json(o, m, load_before, load_after, results);
  std::printf("\nload average now %s; %.0f s in all; every run written to %s\n", load_text(load_after).c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), o.json.c_str());
  return 0;
}

// --- peer: the server side alone ------------------------------------------------

// What to remove when the peer ends (set before the handlers are installed;
// the handlers only read them, with async-signal-safe calls).
char peer_socket_path[4096];
char peer_dir[4096];

[[noreturn]] void peer_exit(int status) {
  if (peer_socket_path[0] != '\0') ::unlink(peer_socket_path);
  if (peer_dir[0] != '\0') ::rmdir(peer_dir);
  ::_exit(status);
}

void on_peer_signal(int) { peer_exit(0); }

int peer_main(const std::vector<std::string>& args) {
  std::string workload, address;
  const Implementation* impl = &plain_implementation();
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i + 1 >= args.size()) throw std::invalid_argument(args[i] + " needs a value");
    if (args[i] == "--workload")
      workload = args[++i];
    else if (args[i] == "--address")
      address = args[++i];
    else if (args[i] == "--impl")
      impl = &parse_impl(args[++i]);
    else
      throw std::invalid_argument("peer: unknown option " + args[i]);
  }
  if (workload.empty()) throw std::invalid_argument("peer: --workload is required");
  const Workload w = parse_workload(workload);
  std::unique_ptr<TempDir> dir;
  const Target where = address.empty() ? default_target(w, dir) : Target::parse(address);
  check_family(w, where);
  std::unique_ptr<Server> server = impl->make_server(w, where);
  const Target local = server->local();
  if (local.kind == Target::Kind::unix_path)
    std::snprintf(peer_socket_path, sizeof peer_socket_path, "%s", local.path.c_str());
  if (dir) std::snprintf(peer_dir, sizeof peer_dir, "%s", dir->path().c_str());

  struct sigaction action {};
  action.sa_handler = on_peer_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  // End of stdin ends the peer too (its parent closed the pipe, or died).
  std::thread([] {
    char buffer[256];
    for (;;) {
      const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (n == 0 || (n < 0 && errno != EINTR)) peer_exit(0);
    }
  }).detach();

  std::printf("listening on %s\n", local.to_string().c_str());
  std::fflush(stdout);
  try {
    server->serve(0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_bench: peer: %s %s server: %s\n", impl->name, workload_name(w), e.what());
    peer_exit(1);
  }
  peer_exit(0);
}

// --- client: the client side alone ---------------------------------------------

int client_main(const std::vector<std::string>& args) {
  std::string impl_name, workload, peer, iterations;
  std::uint64_t timeout_s = 600;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i + 1 >= args.size()) throw std::invalid_argument(args[i] + " needs a value");
    if (args[i] == "--impl")
      impl_name = args[++i];
    else if (args[i] == "--workload")
      workload = args[++i];
    else if (args[i] == "--peer")
      peer = args[++i];
    else if (args[i] == "--iterations")
      iterations = args[++i];
    else if (args[i] == "--timeout-s")
      timeout_s = parse_count(args[i], args[i + 1]), ++i;
    else
      throw std::invalid_argument("client: unknown option " + args[i]);
  }
  if (impl_name.empty() || workload.empty() || peer.empty() || iterations.empty())
    throw std::invalid_argument("client: --impl, --workload, --peer and --iterations are required");
  const Implementation& impl = parse_impl(impl_name);
  const Workload w = parse_workload(workload);
  const Target target = Target::parse(peer);
  check_family(w, target);
  const std::uint64_t n = parse_count("--iterations", iterations);
  if (timeout_s > 0) arm_time_limit(static_cast<unsigned>(std::min<std::uint64_t>(timeout_s, 1u << 30)));
  try {
    std::unique_ptr<Client> client = impl.make_client(w, target);
    client->run(n);
    client->finish();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(impl.name) + " " + workload_name(w) + " client: " + e.what());
  }
  std::printf("ops=%llu\n", static_cast<unsigned long long>(n));
  return 0;
}

// --- pair: both sides in one process, for counting -------------------------------

int pair_main(const std::vector<std::string>& args) {
  std::string impl_name, workload, iterations;
  std::uint64_t timeout_s = 600;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i + 1 >= args.size()) throw std::invalid_argument(args[i] + " needs a value");
    if (args[i] == "--impl")
      impl_name = args[++i];
    else if (args[i] == "--workload")
      workload = args[++i];
    else if (args[i] == "--iterations")
      iterations = args[++i];
    else if (args[i] == "--timeout-s")
      timeout_s = parse_count(args[i], args[i + 1]), ++i;
    else
      throw std::invalid_argument("pair: unknown option " + args[i]);
  }
  if (impl_name.empty() || workload.empty() || iterations.empty())
    throw std::invalid_argument("pair: --impl, --workload and --iterations are required");
  const Implementation& impl = parse_impl(impl_name);
  const Workload w = parse_workload(workload);
  const std::uint64_t n = parse_count("--iterations", iterations);
  if (n == 0) throw std::invalid_argument("pair: --iterations must be at least 1");
  (void)run_once(impl, w, n, static_cast<unsigned>(std::min<std::uint64_t>(timeout_s, 1u << 30)));
  std::printf("ops=%llu\n", static_cast<unsigned long long>(n));
  return 0;
}

}  // namespace
}  // namespace compare

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (!args.empty() && args[0] == "peer") return compare::peer_main({args.begin() + 1, args.end()});
    if (!args.empty() && args[0] == "client") return compare::client_main({args.begin() + 1, args.end()});
    if (!args.empty() && args[0] == "pair") return compare::pair_main({args.begin() + 1, args.end()});
    return compare::compare_main(args);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "compare_bench: %s\n", e.what());
    return 1;
  }
}
