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
inline const std::error_category& resolve_category() noexcept {
  static const detail::ResolveCategory category;
  return category;
}

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

/// `text` in double quotes, with quotes, backslashes and unprintable bytes
/// escaped, so an error message shows exactly what was given.
inline std::string quote(std::string_view text) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

/// A short text built in place, for what() and Address::to_string(): a
/// fixed buffer with room for the longest text outlet writes into one (an
/// operation name, an address, two numbers), so that building it allocates
/// nothing and instantiates no std::string arithmetic. Text that does not
/// fit (a bug: outlet never writes that much) is cut and ends in "...".
class Text {
public:
  /// The most characters a Text holds.
  static constexpr std::size_t capacity = 255;

  Text() noexcept { text_[0] = '\0'; }
  /// Appends `size` characters from `data`.
  Text& add(const char* data, std::size_t size) noexcept {
    if (size > capacity - size_) return add_cut(data);
    std::char_traits<char>::copy(text_ + size_, data, size);
    size_ += size;
    text_[size_] = '\0';
    return *this;
  }
  /// Appends a NUL-terminated string.
  Text& add(const char* text) noexcept { return add(text, std::char_traits<char>::length(text)); }
  /// Appends one character.
  Text& add(char c) noexcept { return add(&c, 1); }
  /// Appends `n` in decimal.
  Text& add_unsigned(unsigned long long n) noexcept {
    char digits[20];
    std::size_t i = sizeof digits;
    do {
      digits[--i] = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n != 0);
    return add(digits + i, sizeof digits - i);
  }
  /// Appends `n` in decimal, with a '-' if negative.
  Text& add_signed(long long n) noexcept {
    if (n >= 0) return add_unsigned(static_cast<unsigned long long>(n));
    add('-');
    return add_unsigned(0ULL - static_cast<unsigned long long>(n));
  }
  /// The text, NUL-terminated.
  const char* c_str() const noexcept { return text_; }
  /// Its length.
  std::size_t size() const noexcept { return size_; }

private:
  OUTLET_DETAIL_COLD Text& add_cut(const char* data) noexcept {
    while (size_ < capacity) text_[size_++] = *data++;
    for (std::size_t i = capacity - 3; i < capacity; ++i) text_[i] = '.';
    text_[size_] = '\0';
    return *this;
  }
  char text_[capacity + 1];
  std::size_t size_ = 0;
};

/// "<call>(<a>, <b>)", for what(): "getsockopt(6, 1)".
OUTLET_DETAIL_COLD inline Text describe_call(const char* call, long long a, long long b) {
  Text text;
  text.add(call).add('(').add_signed(a).add(", ").add_signed(b).add(')');
  return text;
}
/// "<call>(<a>, <b>)", for what(): "setsockopt(SO_RCVBUF, -1)".
OUTLET_DETAIL_COLD inline Text describe_call(const char* call, const char* a, long long b) {
  Text text;
  text.add(call).add('(').add(a).add(", ").add_signed(b).add(')');
  return text;
}
/// "<op>: negative timeout (<n>ns)", for what().
OUTLET_DETAIL_COLD inline Text describe_negative_timeout(const Text& op, long long nanoseconds) {
  Text text = op;
  text.add(": negative timeout (").add_signed(nanoseconds).add("ns)");
  return text;
}
/// "<op>: negative timeout (<n>ns)", for what().
inline Text describe_negative_timeout(const char* op, long long nanoseconds) {
  return describe_negative_timeout(Text().add(op), nanoseconds);
}

/// Throws std::system_error(ec) with what() = "<context>: <ec.message()>".
[[noreturn]] OUTLET_DETAIL_COLD inline void throw_error(const std::error_code& ec, const char* context) {
  throw std::system_error(ec, context);
}
/// throw_error() with a context of any length (one that quotes the user's input).
[[noreturn]] inline void throw_error(const std::error_code& ec, const std::string& context) {
  throw_error(ec, context.c_str());
}
/// throw_error() with a context built in a Text.
[[noreturn]] inline void throw_error(const std::error_code& ec, const Text& context) {
  throw_error(ec, context.c_str());
}

/// Throws invalid_argument for bad input: `<op> "<input>": <why>`.
[[noreturn]] OUTLET_DETAIL_COLD inline void throw_invalid(const char* op, std::string_view input, const char* why) {
  std::string text = op;
  text += ' ';
  text += quote(input);
  text += ": ";
  text += why;
  throw_error(invalid_argument(), text);
}

/// Throws invalid_argument for a negative timeout, quoting it:
/// "<context>: negative timeout (-5000000ns): Invalid argument".
[[noreturn]] OUTLET_DETAIL_COLD inline void throw_negative_timeout(const std::string& context, long long nanoseconds) {
  std::string text = context;
  text += ": negative timeout (";
  text += Text().add_signed(nanoseconds).c_str();
  text += "ns)";
  throw_error(invalid_argument(), text);
}

/// Throws if ec holds an error; the context names the operation.
inline void throw_if(const std::error_code& ec, const char* op) {
  if (ec) throw_error(ec, op);
}

}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_ERROR_HPP
