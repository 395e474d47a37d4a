// outlet — ConstBuffer and MutableBuffer: one piece of a vectored send or
// receive (Socket::send_vectored, DatagramSocket::send_batch, ...).
#ifndef OUTLET_BUFFER_HPP
#define OUTLET_BUFFER_HPP

#include <outlet/detail/platform.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

namespace detail {
struct BufferAccess;
}  // namespace detail

/// A view of bytes to send: a pointer and a size, nothing owned. On POSIX
/// it is laid out as the OS's `iovec`, so an array of ConstBuffer goes to
/// sendmsg() with no copy. The bytes must outlive the call that uses them.
class ConstBuffer {
public:
  /// An empty buffer.
  ConstBuffer() noexcept : v_(detail::sys::make_io_vector(nullptr, 0)) {}
  /// The `size` bytes at `data`.
  ConstBuffer(const void* data, std::size_t size) noexcept : v_(detail::sys::make_io_vector(data, size)) {}
  /// The characters of `text`. These constructors are implicit, so a
  /// string or a string_view can be listed as it is:
  /// `socket.send_all_vectored({header, body})`. There is deliberately no
  /// `const char*` form, which would measure a char array with strlen():
  /// write a literal as `std::string_view("...")` or `"..."sv`.
  ConstBuffer(std::string_view text) noexcept : ConstBuffer(text.data(), text.size()) {}
  /// The characters of `text`.
  ConstBuffer(const std::string& text) noexcept : ConstBuffer(text.data(), text.size()) {}

  /// Where the bytes start.
  [[nodiscard]] const void* data() const noexcept { return detail::sys::io_vector_data(v_); }
  /// How many bytes.
  [[nodiscard]] std::size_t size() const noexcept { return detail::sys::io_vector_size(v_); }

private:
  friend struct detail::BufferAccess;
  detail::sys::io_vector v_;
};

/// A view of writable bytes to receive into: a pointer and a size, nothing
/// owned; laid out as `iovec` on POSIX, like ConstBuffer.
class MutableBuffer {
public:
  /// An empty buffer.
  MutableBuffer() noexcept : v_(detail::sys::make_io_vector(nullptr, 0)) {}
  /// The `size` bytes at `data`.
  MutableBuffer(void* data, std::size_t size) noexcept : v_(detail::sys::make_io_vector(data, size)) {}

  /// Where the bytes start.
  [[nodiscard]] void* data() const noexcept { return detail::sys::io_vector_data(v_); }
  /// How many bytes.
  [[nodiscard]] std::size_t size() const noexcept { return detail::sys::io_vector_size(v_); }
  /// The same bytes, read-only.
  operator ConstBuffer() const noexcept { return ConstBuffer(data(), size()); }

private:
  friend struct detail::BufferAccess;
  detail::sys::io_vector v_;
};

namespace detail {
/// How the I/O layer reaches the native array behind a list of buffers.
struct BufferAccess {
  static const sys::io_vector* native(const ConstBuffer* b) noexcept { return b != nullptr ? &b->v_ : nullptr; }
  static const sys::io_vector* native(const MutableBuffer* b) noexcept { return b != nullptr ? &b->v_ : nullptr; }
};
// An array of buffers is an array of io_vector: same size, member first.
static_assert(sizeof(ConstBuffer) == sizeof(sys::io_vector), "ConstBuffer must be exactly an io_vector");
static_assert(sizeof(MutableBuffer) == sizeof(sys::io_vector), "MutableBuffer must be exactly an io_vector");
static_assert(std::is_standard_layout_v<ConstBuffer> && std::is_standard_layout_v<MutableBuffer>,
              "buffers must be standard-layout so the io_vector sits at offset 0");
}  // namespace detail

}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_BUFFER_HPP
