// Shared by outlet's fuzz targets: the invariants every accepted Address must
// keep, checked with abort() so libFuzzer reports the input that broke one.
#ifndef OUTLET_TESTS_FUZZ_CHECK_HPP
#define OUTLET_TESTS_FUZZ_CHECK_HPP

#include <outlet/outlet.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <system_error>

namespace outlet_fuzz {

[[noreturn]] inline void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, detail.c_str());
  std::abort();
}

inline void require(bool ok, const char* what, const std::string& detail = {}) {
  if (!ok) fail(what, detail);
}

// An accepted address prints as text that parses back to it, converts to a
// native sockaddr that converts back to it, and hashes like its copies.
inline void check_round_trips(const outlet::Address& a) {
  require(!a.empty(), "an accepted address is not empty");
  const std::string text = a.to_string();
  require(!text.empty(), "an accepted address prints as something", text);

  std::error_code ec;
  const outlet::Address parsed = outlet::Address::parse(text, ec);
  require(!ec, "to_string() output parses", text + ": " + ec.message());
  require(parsed == a, "parse(to_string()) == a", text + " came back as " + parsed.to_string());
  require(parsed.to_string() == text, "to_string() is stable", text);
  require(std::hash<outlet::Address>{}(parsed) == std::hash<outlet::Address>{}(a), "equal addresses hash alike", text);

  const outlet::Address native = outlet::Address::from_native(a.native(), a.native_size(), ec);
  require(!ec, "native() is accepted by from_native()", text + ": " + ec.message());
  require(native == a, "from_native(native()) == a", text + " came back as " + native.to_string());
  require(native.native_size() == a.native_size(), "native sizes match", text);

  require(!(a < a) && a <= a && a >= a, "ordering is reflexive", text);
  switch (a.family()) {
    case outlet::Family::unix_domain:
      require(a.port() == 0 && a.ip().empty(), "a Unix address has no port and no ip", text);
      require(text == "unix:" + a.path(), "a Unix address prints as unix:<path>", text);
      break;
    case outlet::Family::ipv4:
    case outlet::Family::ipv6:
      require(a.path().empty() && !a.ip().empty(), "an IP address has an ip and no path", text);
      require(a.with_port(static_cast<std::uint16_t>(a.port() ^ 1u)) != a, "with_port changes the port", text);
      require(a.with_port(a.port()) == a, "with_port(port()) is a no-op", text);
      break;
  }
}

}  // namespace outlet_fuzz

#endif  // OUTLET_TESTS_FUZZ_CHECK_HPP
