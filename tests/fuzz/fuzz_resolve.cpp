// libFuzzer target: outlet::resolve on arbitrary numeric text. Traffic must
// stay on this machine, so text that getaddrinfo(AI_NUMERICHOST) does not
// take as a numeric address is not passed to resolve() (a name would go to
// DNS); text with a NUL byte, and empty text, must be refused before any
// lookup. Every address resolve() returns must round-trip and carry the port.
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#if defined(_WIN32)
#include <ws2tcpip.h>
#else
#include <netdb.h>
#include <sys/socket.h>
#endif  // defined(_WIN32)

namespace {

// True when getaddrinfo reads `host` as a numeric address without looking
// anything up.
bool is_numeric_host(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (list != nullptr) freeaddrinfo(list);
  return rc == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto port = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);

  std::string_view host = text;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::error_code ec;
  if (host.empty() || host.find('\0') != std::string_view::npos) {
    const auto none = outlet::resolve(text, port, ec);
    outlet_fuzz::require(ec == std::errc::invalid_argument && none.empty(),
                         "empty or NUL-bearing host names are refused", ec.message());
    return 0;
  }
  if (!is_numeric_host(std::string(host))) return 0;

  const auto found = outlet::resolve(text, port, ec);
  outlet_fuzz::require(!ec, "a numeric host resolves", std::string(text) + ": " + ec.message());
  outlet_fuzz::require(!found.empty(), "a resolved numeric host gives an address", std::string(text));
  for (const outlet::Address& a : found) {
    outlet_fuzz::require(a.port() == port, "every result carries the port", a.to_string());
    outlet_fuzz::require(a.family() != outlet::Family::unix_domain, "resolve gives IP addresses", a.to_string());
    outlet_fuzz::check_round_trips(a);
  }
  return 0;
}
