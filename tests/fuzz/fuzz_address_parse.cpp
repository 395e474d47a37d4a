// libFuzzer target: Address::parse on arbitrary text. Accepted text must
// round-trip; rejected text must fail with invalid_argument in both forms,
// and the exception must name the operation.
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::error_code ec;
  const outlet::Address a = outlet::Address::parse(text, ec);
  if (!ec) {
    outlet_fuzz::check_round_trips(a);
    return 0;
  }
  outlet_fuzz::require(a.empty(), "a rejected parse returns an empty address");
  outlet_fuzz::require(ec == std::errc::invalid_argument, "parse fails with invalid_argument", ec.message());
  try {
    (void)outlet::Address::parse(text);
    outlet_fuzz::fail("the throwing parse accepts what the ec form rejected", std::string(text));
  } catch (const std::system_error& e) {
    outlet_fuzz::require(e.code() == std::errc::invalid_argument, "the throwing parse reports invalid_argument");
    outlet_fuzz::require(std::string_view(e.what()).substr(0, 15) == "Address::parse ", "what() names Address::parse",
                         e.what());
  }
  return 0;
}
