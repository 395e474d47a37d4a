// What test_outlet_second_tu.cpp, a second translation unit that includes
// <outlet/outlet.hpp>, reports about its view of outlet. test_outlet.cpp
// compares it with its own: one program, one copy of every inline object.
#ifndef OUTLET_TESTS_TEST_OUTLET_SECOND_TU_HPP
#define OUTLET_TESTS_TEST_OUTLET_SECOND_TU_HPP

#include <outlet/outlet.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace outlet_second_tu {

/// &outlet::resolve_category() as the second TU sees it.
const std::error_category* resolve_category_object();
/// &outlet::detail::fault_hook as the second TU sees it.
outlet::detail::FaultHook* fault_hook_variable();
/// The fault hook currently installed, read in the second TU.
outlet::detail::FaultHook installed_fault_hook();
/// OUTLET_VERSION_STRING as the second TU was compiled with it.
const char* version_string();
/// An error code made in the second TU with resolve_category().
std::error_code resolve_error(int code);
/// Echoes `payload` over a real TCP connection on `listen_on` (a loopback
/// address, port 0): the listener, client and echo thread all live in the
/// second TU. The client sends everything before reading, so keep the
/// payload small (a few KiB). Returns what came back.
std::string tcp_echo(const outlet::Address& listen_on, std::string_view payload);

}  // namespace outlet_second_tu

#endif  // OUTLET_TESTS_TEST_OUTLET_SECOND_TU_HPP
