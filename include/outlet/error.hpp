// outlet — error categories and the helpers that turn an error_code into
// an exception whose what() names the operation, the input and the cause:
//   connect 127.0.0.1:8080: Connection refused
//   Address::parse "1.2.3.4": has no ":port" (write ...): Invalid argument
#ifndef OUTLET_ERROR_HPP
#define OUTLET_ERROR_HPP

#include <outlet/detail/platform.hpp>

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

/// "<call>(<a>, <b>)", for what(): "getsockopt(6, 1)".
inline std::string describe_call(const char* call, long long a, long long b) {
  return std::string(call) + '(' + std::to_string(a) + ", " + std::to_string(b) + ')';
}
/// "<call>(<a>, <b>)", for what(): "setsockopt(SO_RCVBUF, -1)".
inline std::string describe_call(const char* call, const char* a, long long b) {
  return std::string(call) + '(' + a + ", " + std::to_string(b) + ')';
}
/// "<op>: negative timeout (<n>ns)", for what().
inline std::string describe_negative_timeout(const std::string& op, long long nanoseconds) {
  return op + ": negative timeout (" + std::to_string(nanoseconds) + "ns)";
}

/// Throws std::system_error(ec) with what() = "<context>: <ec.message()>".
[[noreturn]] OUTLET_DETAIL_COLD inline void throw_error(const std::error_code& ec, const std::string& context) {
  throw std::system_error(ec, context);
}

/// Throws invalid_argument for bad input: `<op> "<input>": <why>`.
[[noreturn]] OUTLET_DETAIL_COLD inline void throw_invalid(const char* op, std::string_view input, const char* why) {
  throw_error(invalid_argument(), std::string(op) + ' ' + quote(input) + ": " + why);
}

/// Throws invalid_argument for a negative timeout, quoting it:
/// "<context>: negative timeout (-5000000ns): Invalid argument".
[[noreturn]] OUTLET_DETAIL_COLD inline void throw_negative_timeout(const std::string& context, long long nanoseconds) {
  throw_error(invalid_argument(), describe_negative_timeout(context, nanoseconds));
}

/// Throws if ec holds an error; the context names the operation.
inline void throw_if(const std::error_code& ec, const char* op) {
  if (ec) throw_error(ec, op);
}

}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_ERROR_HPP
