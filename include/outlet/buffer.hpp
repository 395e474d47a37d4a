// outlet — ConstBuffer and MutableBuffer: one piece of a vectored send or
// receive (Socket::send_vectored, DatagramSocket::send_batch, ...).
#ifndef OUTLET_BUFFER_HPP
#define OUTLET_BUFFER_HPP

#include <outlet/detail/platform.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

namespace detail {
struct BufferAccess;

/// The element types a ConstBuffer views as bytes.
template <class T>
inline constexpr bool is_byte_v = std::is_same_v<T, char> || std::is_same_v<T, unsigned char> ||
                                  std::is_same_v<T, signed char> || std::is_same_v<T, std::byte>;

/// Whether C has data() and size() and its data() points to bytes: a
/// std::vector, std::array or std::span of them. Text (anything that converts
/// to std::string_view) has ConstBuffer's own constructors instead.
template <class C, class = void>
struct IsByteContainer : std::false_type {};
template <class C>
struct IsByteContainer<
    C, std::void_t<decltype(std::declval<const C&>().data()), decltype(std::declval<const C&>().size())>>
    : std::bool_constant<
          std::is_pointer_v<decltype(std::declval<const C&>().data())> &&
          is_byte_v<std::remove_cv_t<std::remove_pointer_t<decltype(std::declval<const C&>().data())>>> &&
          !std::is_convertible_v<const C&, std::string_view>> {};
template <class C>
inline constexpr bool is_byte_container_v = IsByteContainer<C>::value;

/// Whether P is a pointer to char (const or not), which has no size.
template <class P>
inline constexpr bool is_char_pointer_v =
    std::is_pointer_v<P>&& std::is_same_v<std::remove_cv_t<std::remove_pointer_t<P>>, char>;
}  // namespace detail

/// A view of bytes to send: a pointer and a size, nothing owned. On POSIX
/// it is laid out as the OS's `iovec`, so an array of ConstBuffer goes to
/// sendmsg() with no copy. The bytes must outlive the call that uses them.
///
/// The constructors from text and byte containers are implicit, so they can
/// be listed as they are: `socket.send_all_vectored({"GET ", path, "\r\n"})`.
class ConstBuffer {
public:
  /// An empty buffer.
  ConstBuffer() noexcept : v_(detail::sys::make_io_vector(nullptr, 0)) {}
  /// The `size` bytes at `data`.
  ConstBuffer(const void* data, std::size_t size) noexcept : v_(detail::sys::make_io_vector(data, size)) {}
  /// The characters of `text`.
  ConstBuffer(std::string_view text) noexcept : ConstBuffer(text.data(), text.size()) {}
  /// The characters of `text`.
  ConstBuffer(const std::string& text) noexcept : ConstBuffer(text.data(), text.size()) {}
  /// A string literal (a const char array): its characters without the
  /// terminating NUL. A const char array that does not end in NUL is taken
  /// whole.
  template <std::size_t N>
  ConstBuffer(const char (&text)[N]) noexcept : ConstBuffer(text, text[N - 1] == '\0' ? N - 1 : N) {}
  /// A writable char array (a buffer filled at run time): all N bytes.
  template <std::size_t N>
  ConstBuffer(char (&bytes)[N]) noexcept : ConstBuffer(bytes, N) {}
  /// The bytes of a contiguous container of char, unsigned char, signed char
  /// or std::byte with data() and size(): std::vector, std::array, std::span.
  template <class Bytes, std::enable_if_t<detail::is_byte_container_v<Bytes>, int> = 0>
  ConstBuffer(const Bytes& bytes) noexcept : ConstBuffer(bytes.data(), bytes.size() * sizeof(*bytes.data())) {}
  /// Not available: a char pointer does not say how many bytes it points
  /// to (outlet measures nothing with strlen()). Write
  /// ConstBuffer(std::string_view(text)) for a NUL-terminated string, or
  /// ConstBuffer(text, size).
  template <class Pointer, std::enable_if_t<detail::is_char_pointer_v<Pointer>, int> = 0>
  ConstBuffer(const Pointer& text) = delete;  // no size: ConstBuffer(std::string_view(text)) or (text, size)

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
