// What test_portability_macros.cpp, compiled under hostile macros, exposes.
#ifndef OUTLET_TESTS_TEST_PORTABILITY_MACROS_HPP
#define OUTLET_TESTS_TEST_PORTABILITY_MACROS_HPP

#include <string>
#include <string_view>

namespace outlet_macros_tu {

/// A loopback TCP echo through timed connect, accept, send and receive.
std::string echo_with_timeouts(std::string_view payload);

/// min(3, 4) through that unit's min macro: proves the macro was in force.
int min_macro_result();

}  // namespace outlet_macros_tu

#endif  // OUTLET_TESTS_TEST_PORTABILITY_MACROS_HPP
