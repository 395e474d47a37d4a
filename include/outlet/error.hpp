// outlet — error categories and the helpers that turn an error_code into
// an exception whose what() names the operation, the input and the cause:
//   connect 127.0.0.1:8080: Connection refused
//   Address::parse "1.2.3.4": has no ":port" (write ...): Invalid argument
#ifndef OUTLET_ERROR_HPP
#define OUTLET_ERROR_HPP

#include <outlet/detail/platform.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

namespace detail {

/// The category behind resolve_category(): getaddrinfo's EAI_* codes.
class ResolveCategory final : public std::error_category {
public:
  const char* name() const noexcept override { return "outlet.resolve"; }
  std::string message(int code) const override { return sys::resolve_error_message(code); }
};

}  // namespace detail

/// The category of name-resolution failures: values are getaddrinfo's
/// EAI_* codes and message() is gai_strerror's text.
const std::error_category& resolve_category() noexcept;

/// The category of every OS error outlet reports; values are the native
/// codes (errno, WSAGetLastError()) and compare equal to std::errc.
///
/// On POSIX and with MSVC's standard library this is std::system_category()
/// itself. MinGW-w64's libstdc++ maps no Winsock code to std::errc (there
/// `std::error_code(WSAECONNREFUSED, std::system_category()) ==
/// std::errc::connection_refused` is false), so on that runtime outlet uses
/// its own category, "outlet.system": same values, FormatMessage texts, and
/// the WSAE* to std::errc mapping added.
inline const std::error_category& system_category() noexcept { return detail::sys::os_category(); }

namespace detail {

/// The portable error for input outlet rejects before any OS call.
inline std::error_code invalid_argument() noexcept { return std::make_error_code(std::errc::invalid_argument); }

/// The last OS error, as a std::error_code in outlet::system_category().
inline std::error_code last_error_code() noexcept { return sys::to_error_code(sys::last_error()); }

/// A text built in place, for what() and Address::to_string(): a buffer on
/// the stack with room for any text outlet writes about itself (an
/// operation name, an address, two numbers), which moves to the heap only
/// for long user input quoted in an error. Cheaper to compile than
/// std::string arithmetic, and it allocates nothing in the common case.
class Text {
public:
  Text() noexcept { inline_[0] = '\0'; }
  Text(const Text& other) : Text() { add(other.data_, other.size_); }
  Text& operator=(const Text&) = delete;
  ~Text() {
    if (data_ != inline_) delete[] data_;
  }

  /// Appends `size` characters from `data`.
  Text& add(const char* data, std::size_t size);
  /// Appends a NUL-terminated string.
  Text& add(const char* text) { return add(text, std::char_traits<char>::length(text)); }
  /// Appends one character.
  Text& add(char c) { return add(&c, 1); }
  /// Appends `n` in decimal.
  Text& add_unsigned(unsigned long long n);
  /// Appends `n` in decimal, with a '-' if negative.
  Text& add_signed(long long n);
  /// Appends `text` in double quotes, with quotes, backslashes and
  /// unprintable bytes escaped, so an error message shows exactly what was
  /// given, however long.
  Text& add_quoted(std::string_view text);
  /// The text, NUL-terminated.
  const char* c_str() const noexcept { return data_; }
  /// Its length.
  std::size_t size() const noexcept { return size_; }

private:
  /// Makes room for `more` characters: at least doubles, on the heap.
  void grow(std::size_t more);
  char* data_ = inline_;
  std::size_t size_ = 0;
  std::size_t capacity_ = sizeof inline_ - 1;  // characters, not counting the NUL
  char inline_[256];
};

/// `text` in double quotes, escaped as Text::add_quoted() does.
std::string quote(std::string_view text);
/// "<call>(<a>, <b>)", for what(): "getsockopt(6, 1)".
Text describe_call(const char* call, long long a, long long b);
/// "<call>(<a>, <b>)", for what(): "setsockopt(SO_RCVBUF, -1)".
Text describe_call(const char* call, const char* a, long long b);
/// "<op>: negative timeout (<n>ns)", for what().
Text describe_negative_timeout(const Text& op, long long nanoseconds);
/// "<op>: negative timeout (<n>ns)", for what().
Text describe_negative_timeout(const char* op, long long nanoseconds);

/// Whether `ec` is outlet's own "this object has no handle" (EBADF in the
/// generic category, from detail::not_open(); the OS's own EBADF is in
/// sys::os_category()).
inline bool is_not_open(const std::error_code& ec) noexcept {
  return ec.category() == std::generic_category() && ec.value() == static_cast<int>(std::errc::bad_file_descriptor);
}

/// Throws std::system_error(ec) with what() = "<context>: <ec.message()>",
/// or "<context>: socket is not open: <ec.message()>" for is_not_open(ec).
[[noreturn]] void throw_error(const std::error_code& ec, const char* context);
/// throw_error() with a context built in a Text.
[[noreturn]] void throw_error(const std::error_code& ec, const Text& context);
/// Throws invalid_argument for bad input: `<op> "<input>": <why>`.
[[noreturn]] void throw_invalid(const char* op, std::string_view input, const char* why);
/// Throws invalid_argument for a negative timeout, quoting it:
/// "<context>: negative timeout (-5000000ns): Invalid argument".
[[noreturn]] void throw_negative_timeout(const Text& context, long long nanoseconds);

/// Throws if ec holds an error; the context names the operation.
inline void throw_if(const std::error_code& ec, const char* op) {
  if (ec) throw_error(ec, op);
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES

OUTLET_DETAIL_DEF const std::error_category& resolve_category() noexcept {
  static const detail::ResolveCategory category;
  return category;
}

namespace detail {

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text& Text::add(const char* data, std::size_t size) {
  if (size > capacity_ - size_) grow(size);
  std::char_traits<char>::copy(data_ + size_, data, size);
  size_ += size;
  data_[size_] = '\0';
  return *this;
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text& Text::add_unsigned(unsigned long long n) {
  char digits[20];
  std::size_t i = sizeof digits;
  do {
    digits[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  return add(digits + i, sizeof digits - i);
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text& Text::add_signed(long long n) {
  if (n >= 0) return add_unsigned(static_cast<unsigned long long>(n));
  add('-');
  return add_unsigned(0ULL - static_cast<unsigned long long>(n));
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text& Text::add_quoted(std::string_view text) {
  static const char hex[] = "0123456789abcdef";
  add('"');
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      const char escaped[] = {'\\', c};
      add(escaped, 2);
    } else if (u < 0x20 || u == 0x7f) {
      const char escaped[] = {'\\', 'x', hex[u >> 4], hex[u & 0xf]};
      add(escaped, 4);
    } else {
      add(c);
    }
  }
  return add('"');
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF void Text::grow(std::size_t more) {
  std::size_t capacity = 2 * capacity_;
  if (capacity - size_ < more) capacity = size_ + more;
  char* bigger = new char[capacity + 1];
  std::char_traits<char>::copy(bigger, data_, size_ + 1);
  if (data_ != inline_) delete[] data_;
  data_ = bigger;
  capacity_ = capacity;
}

OUTLET_DETAIL_DEF std::string quote(std::string_view text) {
  Text quoted;
  quoted.add_quoted(text);
  return std::string(quoted.c_str(), quoted.size());
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text describe_call(const char* call, long long a, long long b) {
  Text text;
  text.add(call).add('(').add_signed(a).add(", ").add_signed(b).add(')');
  return text;
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text describe_call(const char* call, const char* a, long long b) {
  Text text;
  text.add(call).add('(').add(a).add(", ").add_signed(b).add(')');
  return text;
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text describe_negative_timeout(const Text& op, long long nanoseconds) {
  Text text = op;
  text.add(": negative timeout (").add_signed(nanoseconds).add("ns)");
  return text;
}

OUTLET_DETAIL_DEF Text describe_negative_timeout(const char* op, long long nanoseconds) {
  return describe_negative_timeout(Text().add(op), nanoseconds);
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF void throw_error(const std::error_code& ec, const char* context) {
  Text text;  // one throw below: each would build its own system_error
  if (is_not_open(ec)) context = text.add(context).add(": socket is not open").c_str();
  throw std::system_error(ec, context);
}

OUTLET_DETAIL_DEF void throw_error(const std::error_code& ec, const Text& context) { throw_error(ec, context.c_str()); }

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF void throw_invalid(const char* op, std::string_view input, const char* why) {
  throw_error(invalid_argument(), Text().add(op).add(' ').add_quoted(input).add(": ").add(why));
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF void throw_negative_timeout(const Text& context, long long nanoseconds) {
  throw_error(invalid_argument(), describe_negative_timeout(context, nanoseconds));
}

}  // namespace detail

#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_ERROR_HPP
