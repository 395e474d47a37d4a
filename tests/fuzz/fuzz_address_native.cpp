// libFuzzer target: Address::from_native on arbitrary bytes and lengths. The
// input is the sockaddr itself, in a heap block of exactly its size, so
// AddressSanitizer sees any read past the length the caller gave.
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The lengths a caller can pass: socklen_t is unsigned on POSIX and int on
  // Windows; either way anything above a few hundred bytes is just as foreign.
  if (size > 4096) return 0;
  std::unique_ptr<unsigned char[]> bytes(new unsigned char[size == 0 ? 1 : size]);
  if (size != 0) std::memcpy(bytes.get(), data, size);
  const auto* native = reinterpret_cast<const sockaddr*>(bytes.get());

  std::error_code ec;
  const outlet::Address a = outlet::Address::from_native(native, static_cast<socklen_t>(size), ec);
  if (ec) {
    outlet_fuzz::require(a.empty(), "a rejected sockaddr gives an empty address");
    outlet_fuzz::require(ec == std::errc::invalid_argument || ec == std::errc::address_family_not_supported,
                         "from_native fails with invalid_argument or address_family_not_supported", ec.message());
    return 0;
  }
  // The kept form is canonical: padding dropped, and a Unix path gets the
  // terminating NUL a kernel may leave out of the length, hence the + 1.
  outlet_fuzz::require(static_cast<std::size_t>(a.native_size()) <= size + 1,
                       "from_native keeps no more than it was given (and a NUL)");
  outlet_fuzz::check_round_trips(a);
  return 0;
}
