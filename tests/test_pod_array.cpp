// Tests for outlet/detail/pod_array.hpp: PodArray keeps what it has across
// resize(), zeroes what it adds, moves its elements along, and reports an
// allocation it cannot make instead of throwing.
#include <outlet/detail/pod_array.hpp>

#include "catch.hpp"
#include "test_support.hpp"

#include <cstddef>
#include <cstdint>
#include <utility>

using outlet::detail::PodArray;

namespace {

struct Pair {
  std::uint32_t a;
  std::uint64_t b;
};

/// Whether a sanitizer's allocator runs this test: it stops the process on
/// an impossible allocation instead of returning null, as plain new does.
constexpr bool sanitized() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
  return true;
#else
  return false;
#endif  // __has_feature(address_sanitizer) || ...
#else
  return false;
#endif  // defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
}

}  // namespace

// Empty by default; growing zeroes the new elements and keeps the old ones.
TEST_CASE("PodArray grows, keeping its elements and zeroing new ones", "[pod_array]") {
  PodArray<Pair> array;
  REQUIRE(array.size() == 0);
  REQUIRE(array.data() == nullptr);

  REQUIRE(array.resize(3));
  REQUIRE(array.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(array[i].a == 0);
    CHECK(array[i].b == 0);
    array[i] = Pair{static_cast<std::uint32_t>(i + 1), 100 + i};
  }

  REQUIRE(array.resize(70));
  REQUIRE(array.size() == 70);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(array[i].a == i + 1);
    CHECK(array[i].b == 100 + i);
  }
  for (std::size_t i = 3; i < 70; ++i) {
    CHECK(array[i].a == 0);
    CHECK(array[i].b == 0);
  }
}

// Shrinking keeps the front; shrinking to nothing frees everything.
TEST_CASE("PodArray shrinks, keeping the front", "[pod_array]") {
  PodArray<unsigned char> bytes;
  REQUIRE(bytes.resize(10));
  for (std::size_t i = 0; i < 10; ++i) bytes[i] = static_cast<unsigned char>(i * 3);
  REQUIRE(bytes.resize(4));
  REQUIRE(bytes.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) CHECK(bytes[i] == i * 3);
  REQUIRE(bytes.resize(6));
  CHECK(bytes[3] == 9);
  CHECK(bytes[4] == 0);  // zeroed again, not the old 12
  CHECK(bytes[5] == 0);
  REQUIRE(bytes.resize(0));
  CHECK(bytes.size() == 0);
  CHECK(bytes.data() == nullptr);
  const PodArray<unsigned char>& view = bytes;
  REQUIRE(bytes.resize(1));
  CHECK(view[0] == 0);
}

// Moves hand the elements over and leave the source empty.
TEST_CASE("PodArray moves its elements along", "[pod_array]") {
  PodArray<int> first;
  REQUIRE(first.resize(5));
  first[4] = 42;
  int* const elements = first.data();

  PodArray<int> second(std::move(first));
  CHECK(first.size() == 0);  // NOLINT(bugprone-use-after-move): a moved-from PodArray is empty
  CHECK(first.data() == nullptr);
  REQUIRE(second.size() == 5);
  CHECK(second.data() == elements);
  CHECK(second[4] == 42);

  PodArray<int> third;
  REQUIRE(third.resize(2));
  third = std::move(second);
  CHECK(second.size() == 0);  // NOLINT(bugprone-use-after-move)
  REQUIRE(third.size() == 5);
  CHECK(third[4] == 42);

  PodArray<int>& same = third;
  third = std::move(same);  // self-move keeps the elements
  REQUIRE(third.size() == 5);
  CHECK(third[4] == 42);
}

// An allocation that cannot be made is reported, and the array is as it was.
TEST_CASE("PodArray reports an allocation it cannot make", "[pod_array]") {
  if (sanitized()) {
    OUTLET_TEST_SKIP("a sanitizer's allocator stops the process on an impossible allocation instead of returning null");
  }
  PodArray<std::uint64_t> array;
  REQUIRE(array.resize(2));
  array[1] = 7;
  // 2^62 bytes: more than any machine has, well short of overflowing size_t.
  const std::size_t impossible = (std::size_t{1} << (sizeof(std::size_t) * 8 - 2)) / sizeof(std::uint64_t);
  CHECK_FALSE(array.resize(impossible));
  REQUIRE(array.size() == 2);
  CHECK(array[1] == 7);
}
