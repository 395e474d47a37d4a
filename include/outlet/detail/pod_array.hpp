// outlet — PodArray: a heap array of plain structs (an event buffer, a
// table indexed by handle number) whose resize() reports an allocation
// failure instead of throwing. The Poller back ends keep their buffers in
// one rather than in a std::vector, whose instantiation every translation
// that includes <outlet/outlet.hpp> would pay for each element type.
#ifndef OUTLET_DETAIL_POD_ARRAY_HPP
#define OUTLET_DETAIL_POD_ARRAY_HPP

#include <outlet/detail/abi.hpp>

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace detail {

/// Owns `size()` elements of a trivially copyable T. Move-only; a
/// moved-from array is empty.
template <class T>
class PodArray {
  static_assert(std::is_trivially_copyable<T>::value, "PodArray copies its elements with memcpy");

public:
  /// Empty: no elements, nothing allocated.
  PodArray() noexcept = default;
  /// Takes `other`'s elements; `other` is left empty.
  PodArray(PodArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  /// Frees the elements held, then takes `other`'s.
  PodArray& operator=(PodArray&& other) noexcept {
    if (this != &other) {
      delete[] data_;
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  PodArray(const PodArray&) = delete;
  PodArray& operator=(const PodArray&) = delete;
  /// Frees the elements.
  ~PodArray() { delete[] data_; }

  /// Makes the array `count` long, keeping the first min(count, size())
  /// elements and zeroing the rest. False, with the array unchanged, when
  /// the memory cannot be had.
  [[nodiscard]] bool resize(std::size_t count) noexcept {
    if (count == size_) return true;
    T* fresh = nullptr;
    if (count != 0) {
      fresh = new (std::nothrow) T[count]();
      if (fresh == nullptr) return false;
      const std::size_t kept = count < size_ ? count : size_;
      if (kept != 0) std::memcpy(fresh, data_, kept * sizeof(T));
    }
    delete[] data_;
    data_ = fresh;
    size_ = count;
    return true;
  }

  /// The first element (null when empty).
  T* data() noexcept { return data_; }
  /// The number of elements.
  std::size_t size() const noexcept { return size_; }
  /// Element `i` (i < size()).
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  /// Element `i` (i < size()).
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }

private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_DETAIL_POD_ARRAY_HPP
