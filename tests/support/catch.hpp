// Catch2 shim: the tests include "catch.hpp" and get the same macros from
// Catch2 v3 (built with OUTLET_CATCH2_V3=1, see tests/CMakeLists.txt) and
// from Catch2 v2 (Debian 12's single header <catch2/catch.hpp>).
#ifndef OUTLET_TESTS_SUPPORT_CATCH_HPP
#define OUTLET_TESTS_SUPPORT_CATCH_HPP

#include <string>

#if defined(OUTLET_CATCH2_V3)
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#else
#include <catch2/catch.hpp>
#endif  // defined(OUTLET_CATCH2_V3)

namespace outlet_test {

/// Matches a string that contains `needle`: Catch2 v3 calls this matcher
/// ContainsSubstring, v2 calls it Contains. Use with REQUIRE_THAT.
inline auto contains_substring(const std::string& needle) {
#if defined(OUTLET_CATCH2_V3)
  return Catch::Matchers::ContainsSubstring(needle);
#else
  return Catch::Matchers::Contains(needle);
#endif  // defined(OUTLET_CATCH2_V3)
}

}  // namespace outlet_test

#endif  // OUTLET_TESTS_SUPPORT_CATCH_HPP
