// The second translation unit of test_portability: it includes outlet after
// the macros that break careless headers, so outlet's own code must compile
// under them. On Windows that is the real <windows.h> (function-like min and
// max, no NOMINMAX) with UNICODE defined; elsewhere, stand-ins for both.
//
// The standard headers come first: the C++ library is not written to
// survive a function-like min or max, only outlet is asked to. MinGW-w64's
// <windows.h> defines min and max only for C, so they are defined here as
// MSVC's <windows.h> would.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iosfwd>
#include <limits>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#if defined(_WIN32)
#if !defined(UNICODE)
#define UNICODE 1
#endif  // !defined(UNICODE)
// Without WIN32_LEAN_AND_MEAN, <windows.h> includes Winsock 1's <winsock.h>,
// which <winsock2.h> cannot follow; outlet's README says so.
#define WIN32_LEAN_AND_MEAN 1
#include <windows.h>
#else
#define UNICODE 1
#endif  // defined(_WIN32)
#if !defined(min)
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif  // !defined(min)
#if !defined(max)
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif  // !defined(max)

#include <outlet/outlet.hpp>

#include "test_portability_macros.hpp"

#if !defined(min) || !defined(max)
#error "this translation unit is meant to include outlet with min and max defined as macros"
#endif  // !defined(min) || !defined(max)

namespace outlet_macros_tu {

std::string echo_with_timeouts(std::string_view payload) {
  // Timed calls run the deadline code (the place a stray max() would be).
  outlet::ServerSocket server(outlet::Address::loopback(outlet::Family::ipv4, 0));
  outlet::Socket client(server.local_address(), std::chrono::seconds(30));
  outlet::Socket accepted = server.accept(std::chrono::seconds(30));
  client.set_send_timeout(std::chrono::seconds(30));
  accepted.set_receive_timeout(std::chrono::seconds(30));
  client.send_all(payload);
  std::string got(payload.size(), '\0');
  got.resize(accepted.receive_exact(&got[0], got.size()));
  return got;
}

int min_macro_result() { return min(3, 4); }

}  // namespace outlet_macros_tu
