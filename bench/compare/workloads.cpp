// compare_bench: the shared pieces declared in workloads.hpp.
#include "workloads.hpp"

#include <charconv>
#include <stdexcept>
#include <string>
#include <system_error>

namespace compare {

const char* workload_name(Workload w) noexcept {
  switch (w) {
    case Workload::tcp4: return "tcp4";
    case Workload::tcp6: return "tcp6";
    case Workload::unix_stream: return "unix";
    case Workload::udp: return "udp";
    case Workload::udp_server: return "udp-server";
    case Workload::bulk: return "bulk";
    case Workload::accept: return "accept";
  }
  return "?";
}

std::string Target::to_string() const {
  switch (kind) {
    case Kind::ipv4: return ip + ":" + std::to_string(port);
    case Kind::ipv6: return "[" + ip + "]:" + std::to_string(port);
    case Kind::unix_path: return "unix:" + path;
  }
  return {};
}

Target Target::parse(std::string_view text) {
  const auto bad = [text](const char* why) {
    return std::invalid_argument("address \"" + std::string(text) + "\": " + why);
  };
  Target t;
  if (text.substr(0, 5) == "unix:") {
    t.kind = Kind::unix_path;
    t.path = std::string(text.substr(5));
    if (t.path.empty()) throw bad("empty Unix path");
    return t;
  }
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find("]:");
    if (close == std::string_view::npos) throw bad("expected [ipv6]:port");
    t.kind = Kind::ipv6;
    t.ip = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) throw bad("expected ipv4:port, [ipv6]:port or unix:path");
    t.kind = Kind::ipv4;
    t.ip = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (err != std::errc() || end != port_text.data() + port_text.size() || port > 65535 || t.ip.empty())
    throw bad("expected a port number 0..65535 after the address");
  t.port = static_cast<std::uint16_t>(port);
  return t;
}

void data_mismatch(const char* what, std::uint64_t op) {
  throw std::runtime_error(std::string("data mismatch: ") + what + " (operation " + std::to_string(op) + ")");
}

}  // namespace compare
