// Tests for <outlet/poller.hpp>. Built twice: test_poller with the
// platform's back end and test_poller_forced_poll with OUTLET_FORCE_POLL.
#include <outlet/outlet.hpp>

#include "catch.hpp"
#include "test_support.hpp"

#include <string>

// The two executables really use different back ends.
TEST_CASE("Poller reports the back end this build selected", "[poller]") {
  const std::string name = outlet::Poller::backend();
#if defined(_WIN32)
  CHECK(name == "WSAPoll");
#elif defined(OUTLET_FORCE_POLL)
  CHECK(name == "poll");
#elif defined(__linux__)
  CHECK(name == "epoll");
#else
  CHECK((name == "kqueue" || name == "poll"));
#endif  // defined(_WIN32)
}
