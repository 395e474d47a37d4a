// outlet — the two error policies every fallible call is written against.
//
// Each operation has one body. Its two public forms differ only in the
// policy they hand it:
//
//   std::size_t send(const void* d, std::size_t n) { return send_with(d, n, detail::Throw{"send"}); }
//   std::size_t send(const void* d, std::size_t n, std::error_code& ec) noexcept {
//     return send_with(d, n, detail::Store{ec});
//   }
//
// Throw names the operation (and the address) for what(); Store clears or
// sets the caller's error_code. A body reports success with success(),
// failure with fail(ec) and passes an error_code it got from below through
// check(ec). A body is noexcept(P::nothrow), so the ec forms stay noexcept.
#ifndef OUTLET_DETAIL_ERROR_POLICY_HPP
#define OUTLET_DETAIL_ERROR_POLICY_HPP

#include <outlet/address.hpp>
#include <outlet/error.hpp>

#include <string>
#include <system_error>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace detail {

/// "<op> <address>", for what(); "<op> <empty address>" for an empty one.
Text describe_operation(const char* op, const Address* address);
/// "<op> (<done> of <total> bytes <verb>)": "send_all (3 of 10 bytes sent)".
Text describe_progress(const char* op, std::size_t done, std::size_t total, const char* verb);
/// "<op>[ <from>]: datagram longer than the buffer space (<size> bytes)".
Text describe_truncated(const char* op, const Address* from, std::size_t size);

/// The throwing forms' policy: success costs nothing; a failure throws
/// std::system_error whose what() reads "<op>: <message>" or
/// "<op> <address>: <message>" (Go's "dial tcp 10.0.0.1:80: connect: ...").
struct Throw {
  static constexpr bool nothrow = false;
  /// The operation, as what() names it: "connect", "setsockopt(SO_RCVBUF)".
  const char* op;
  /// The address the operation was given, if what() should show it.
  const Address* address = nullptr;

  void success() const noexcept {}
  /// Throws: what() is "<op>[ <address>]: <ec.message()>".
  [[noreturn]] void fail(const std::error_code& ec) const { throw_operation_error(ec, op, address); }
  /// Throws with a message only a failure needs to build ("send_all (3 of 10
  /// bytes sent)"): `describe(op)` returns the text before ": <message>".
  template <class Describe>
  [[noreturn]] void fail(const std::error_code& ec, Describe&& describe) const {
    throw_error(ec, describe(op));
  }
  /// Throws if `ec` holds an error.
  void check(const std::error_code& ec) const {
    if (ec) fail(ec);
  }
  /// check(ec), then `value`.
  template <class T>
  T check(T value, const std::error_code& ec) const {
    if (ec) fail(ec);
    return value;
  }
  /// check(ec) with fail(ec, describe), then `value`.
  template <class T, class Describe>
  T check(T value, const std::error_code& ec, Describe&& describe) const {
    if (ec) fail(ec, describe);
    return value;
  }

private:
  [[noreturn]] static void throw_operation_error(const std::error_code& ec, const char* op, const Address* address);
};

/// The error_code forms' policy: clears the caller's error_code on success,
/// stores the error on failure, never throws.
struct Store {
  static constexpr bool nothrow = true;
  /// The caller's error_code.
  std::error_code& ec;

  void success() const noexcept { ec.clear(); }
  void fail(const std::error_code& error) const noexcept { ec = error; }
  template <class Describe>
  void fail(const std::error_code& error, Describe&&) const noexcept {
    ec = error;
  }
  void check(const std::error_code& error) const noexcept { ec = error; }
  template <class T>
  T check(T value, const std::error_code& error) const noexcept {
    ec = error;
    return value;
  }
  template <class T, class Describe>
  T check(T value, const std::error_code& error, Describe&&) const noexcept {
    ec = error;
    return value;
  }
};

}  // namespace detail

// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES
namespace detail {

/// "<op> <address>", for what(); "<op> <empty address>" for an empty one.
OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text describe_operation(const char* op, const Address* address) {
  Text text;
  text.add(op);
  if (address == nullptr) return text;
  text.add(' ');
  if (address->empty()) {
    text.add("<empty address>");
  } else {
    AddressAccess::write(*address, text);
  }
  return text;
}

/// "<op> (<done> of <total> bytes <verb>)": "send_all (3 of 10 bytes sent)".
OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text describe_progress(const char* op, std::size_t done, std::size_t total,
                                                            const char* verb) {
  Text text;
  text.add(op).add(" (").add_unsigned(done).add(" of ").add_unsigned(total).add(" bytes ").add(verb).add(')');
  return text;
}

/// "<op>[ <from>]: datagram longer than the buffer space (<size> bytes)".
OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text describe_truncated(const char* op, const Address* from, std::size_t size) {
  Text text;
  text.add(op);
  if (from != nullptr) AddressAccess::write(*from, text.add(' '));
  text.add(": datagram longer than the buffer space (").add_unsigned(size).add(" bytes)");
  return text;
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF void Throw::throw_operation_error(const std::error_code& ec, const char* op,
                                                                       const Address* address) {
  throw_error(ec, describe_operation(op, address));
}

}  // namespace detail
#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_DETAIL_ERROR_POLICY_HPP
