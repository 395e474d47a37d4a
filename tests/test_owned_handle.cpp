// Tests for outlet/detail/owned_handle.hpp: OwnedHandle owns one handle,
// moves it along, closes it exactly once through the fault hook (quietly,
// never retrying), and gives it up unclosed on release().
#include <outlet/detail/owned_handle.hpp>

#include "catch.hpp"
#include "test_support.hpp"

#include <climits>
#include <system_error>
#include <utility>

using outlet::detail::OwnedHandle;

namespace {

using outlet::detail::SysCall;
using outlet_test::arm_hook;
using outlet_test::close_handle;
using outlet_test::counting_hook;
using outlet_test::handle_closed;
using outlet_test::hook_calls;
using outlet_test::hook_handle;

constexpr outlet::native_handle_type invalid = outlet::detail::sys::invalid_handle;

/// A fresh UDP socket for an OwnedHandle to own.
outlet::native_handle_type open_handle() {
  std::error_code ec;
  const outlet::native_handle_type h = outlet::detail::open(AF_INET, SOCK_DGRAM, ec);
  REQUIRE_FALSE(ec);
  return h;
}

}  // namespace

// Empty by default; owning a handle means closing it once, through the hook.
TEST_CASE("OwnedHandle closes what it owns once", "[owned_handle]") {
  const OwnedHandle empty;
  REQUIRE_FALSE(empty.is_open());
  REQUIRE(empty.get() == invalid);
  REQUIRE_FALSE(OwnedHandle(invalid).is_open());

  const outlet::native_handle_type h = open_handle();
  arm_hook(SysCall::close, h, 0, 0);  // count the close() calls of h, fail none
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    {
      const OwnedHandle owned(h);
      REQUIRE(owned.is_open());
      REQUIRE(owned.get() == h);
    }
    REQUIRE(hook_calls == 1);
    REQUIRE(handle_closed(h));
  }
  hook_handle = invalid;
}

// Moving hands the handle over and leaves the source empty; assignment
// closes the target's old handle first; neither closes the moved handle.
TEST_CASE("OwnedHandle move construction and assignment", "[owned_handle]") {
  const outlet::native_handle_type a = open_handle();
  const outlet::native_handle_type b = open_handle();
  arm_hook(SysCall::close, a, 0, 0);
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    OwnedHandle first(a);
    OwnedHandle second(std::move(first));
    REQUIRE_FALSE(first.is_open());  // NOLINT(bugprone-use-after-move): moved-from is specified empty
    REQUIRE(second.get() == a);

    OwnedHandle third(b);
    third = std::move(second);
    REQUIRE(handle_closed(b));
    REQUIRE_FALSE(second.is_open());  // NOLINT(bugprone-use-after-move)
    REQUIRE(third.get() == a);

    OwnedHandle& alias = third;
    third = std::move(alias);  // self-assignment keeps the handle
    REQUIRE(third.get() == a);
    REQUIRE(hook_calls == 0);

    third = OwnedHandle();
    REQUIRE(hook_calls == 1);
    REQUIRE(handle_closed(a));
  }
  hook_handle = invalid;
}

// release() gives the handle up unclosed; reset() closes and takes another.
TEST_CASE("OwnedHandle release and reset", "[owned_handle]") {
  const outlet::native_handle_type h = open_handle();
  {
    OwnedHandle owned(h);
    REQUIRE(owned.release() == h);
    REQUIRE_FALSE(owned.is_open());
  }
  REQUIRE_FALSE(handle_closed(h));

  OwnedHandle owned;
  owned.reset(h);
  REQUIRE(owned.get() == h);
  owned.reset();
  REQUIRE_FALSE(owned.is_open());
  REQUIRE(handle_closed(h));
}

// A failing close() is dropped, not retried, and the handle counts as gone.
TEST_CASE("OwnedHandle closes quietly and never retries", "[owned_handle]") {
  const outlet::native_handle_type h = open_handle();
  arm_hook(SysCall::close, h, INT_MAX, outlet_test::native_error::close_failure);  // every close() of h fails
  {
    const outlet_test::ScopedFaultHook hook(counting_hook);
    OwnedHandle owned(h);
    owned.reset();
    REQUIRE_FALSE(owned.is_open());
    owned.reset();  // empty now: nothing to close again
  }
  hook_handle = invalid;
  REQUIRE(hook_calls == 1);
  REQUIRE(close_handle(h) == 0);  // the hook skipped the real close()
}
