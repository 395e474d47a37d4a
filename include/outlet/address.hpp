// outlet — Family, Address (IPv4, IPv6, Unix-domain) and resolve().
#ifndef OUTLET_ADDRESS_HPP
#define OUTLET_ADDRESS_HPP

#include <outlet/error.hpp>

#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iosfwd>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

namespace detail {
struct AddressAccess;
}  // namespace detail

/// The address families outlet speaks: AF_INET, AF_INET6, AF_UNIX.
enum class Family {
  ipv4,        ///< AF_INET: an IPv4 address and a port.
  ipv6,        ///< AF_INET6: an IPv6 address, a port and a scope (zone) id.
  unix_domain  ///< AF_UNIX: a filesystem path, or (Linux) an abstract "@name".
};

/// A socket address: IPv4 or IPv6 with a port, or a Unix-domain path
/// (Linux's abstract namespace is written "@name"). A value type: copyable,
/// comparable, hashable. It holds the native sockaddr, so passing it to the
/// OS costs nothing.
class Address {
public:
  /// An empty address: empty() is true and family() matches no Family.
  Address() noexcept = default;

  /// An IPv4 address from dotted-quad text ("127.0.0.1"), via inet_pton.
  [[nodiscard]] static Address ipv4(std::string_view ip, std::uint16_t port);
  [[nodiscard]] static Address ipv4(std::string_view ip, std::uint16_t port, std::error_code& ec) noexcept;
  /// An IPv6 address from text ("::1", "fe80::1%eth0" with a scope), via inet_pton.
  [[nodiscard]] static Address ipv6(std::string_view ip, std::uint16_t port);
  [[nodiscard]] static Address ipv6(std::string_view ip, std::uint16_t port, std::error_code& ec) noexcept;
  /// A Unix-domain address: a filesystem path, or "@name" for Linux's
  /// abstract namespace; "" is the unnamed address.
  [[nodiscard]] static Address unix_domain(std::string_view path);
  [[nodiscard]] static Address unix_domain(std::string_view path, std::error_code& ec) noexcept;
  /// The wildcard address, 0.0.0.0 or ::, for binding on every interface.
  [[nodiscard]] static Address any(Family family, std::uint16_t port);
  [[nodiscard]] static Address any(Family family, std::uint16_t port, std::error_code& ec) noexcept;
  /// The loopback address, 127.0.0.1 or ::1.
  [[nodiscard]] static Address loopback(Family family, std::uint16_t port);
  [[nodiscard]] static Address loopback(Family family, std::uint16_t port, std::error_code& ec) noexcept;
  /// Parses what to_string() prints: "1.2.3.4:80", "[::1]:80",
  /// "[fe80::1%eth0]:80", "unix:/path", "unix:@name". Numeric only: use
  /// outlet::resolve() for host names.
  [[nodiscard]] static Address parse(std::string_view text);
  [[nodiscard]] static Address parse(std::string_view text, std::error_code& ec) noexcept;
  /// Copies a native sockaddr of `size` bytes (as accept/getsockname fill it).
  [[nodiscard]] static Address from_native(const sockaddr* address, socklen_t size);
  [[nodiscard]] static Address from_native(const sockaddr* address, socklen_t size, std::error_code& ec) noexcept;

  /// True for a default-constructed (or failed) Address.
  bool empty() const noexcept { return size_ == 0; }
  /// ipv4, ipv6 or unix_domain; for an empty address, none of them.
  Family family() const noexcept;
  /// The port in host byte order; 0 for unix_domain.
  std::uint16_t port() const noexcept;
  /// "127.0.0.1", "::1", "fe80::1%eth0" (inet_ntop); empty for unix_domain.
  std::string ip() const;
  /// The Unix-domain path ("@name" for abstract); empty for other families.
  std::string path() const;
  /// The inverse of parse(): "1.2.3.4:80", "[::1]:80", "unix:/path".
  std::string to_string() const;
  /// Whether this is an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast
  /// address: a group DatagramSocket::join_group() takes.
  bool is_multicast() const noexcept;
  /// A copy with the port replaced (unchanged for unix_domain).
  [[nodiscard]] Address with_port(std::uint16_t port) const noexcept;
  /// The native sockaddr, for passing to OS calls.
  const sockaddr* native() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  /// The length of native() in bytes; 0 when empty.
  socklen_t native_size() const noexcept { return size_; }

  /// Same family, same address bytes, scope id and port (or the same Unix name).
  friend bool operator==(const Address& a, const Address& b) noexcept { return a.compare(b) == 0; }
  /// !(a == b).
  friend bool operator!=(const Address& a, const Address& b) noexcept { return a.compare(b) != 0; }
  /// A total order: empty, then IPv4, IPv6, Unix; within a family the address
  /// bytes (numeric order), then the scope id, then the port.
  friend bool operator<(const Address& a, const Address& b) noexcept { return a.compare(b) < 0; }
  /// b < a.
  friend bool operator>(const Address& a, const Address& b) noexcept { return a.compare(b) > 0; }
  /// !(b < a).
  friend bool operator<=(const Address& a, const Address& b) noexcept { return a.compare(b) <= 0; }
  /// !(a < b).
  friend bool operator>=(const Address& a, const Address& b) noexcept { return a.compare(b) >= 0; }

  /// A hash consistent with ==.
  std::size_t hash() const noexcept;

private:
  friend struct detail::AddressAccess;
  using unix_sockaddr = detail::sys::unix_sockaddr;
  static constexpr std::size_t unix_path_offset = offsetof(unix_sockaddr, sun_path);
  static constexpr std::size_t unix_path_capacity = sizeof(unix_sockaddr::sun_path);

  // Each setter fills an empty Address and returns nullptr, or returns why
  // the input was rejected (and leaves the Address empty).
  const char* set_ipv4(std::string_view ip, std::uint16_t port) noexcept;
  const char* set_ipv6(std::string_view ip, std::uint16_t port) noexcept;
  const char* set_unix(std::string_view path) noexcept;
  const char* set_any(Family family, std::uint16_t port, bool loopback) noexcept;
  const char* set_parsed(std::string_view text) noexcept;
  const char* set_native(const sockaddr* address, socklen_t size) noexcept;

  /// Appends to_string()'s text / ip()'s text to `out`.
  void write(detail::Text& out) const;
  void write_ip(detail::Text& out) const;

  int compare(const Address& other) const noexcept;
  int family_rank() const noexcept;
  bool is_unix() const noexcept { return size_ != 0 && storage_.ss_family == AF_UNIX; }
  std::size_t unix_name_size() const noexcept { return size_ - unix_path_offset; }
  const char* unix_name() const noexcept { return reinterpret_cast<const unix_sockaddr*>(&storage_)->sun_path; }

  template <class F>
  static Address make(const char* op, std::string_view input, F&& fill);
  template <class F>
  static Address make(std::error_code& ec, F&& fill) noexcept;

  sockaddr_storage storage_{};
  socklen_t size_ = 0;
};

static_assert(sizeof(sockaddr_storage) >= sizeof(detail::sys::unix_sockaddr),
              "sockaddr_storage must hold a Unix-domain address");

/// Writes a.to_string().
template <class CharT, class Traits>
std::basic_ostream<CharT, Traits>& operator<<(std::basic_ostream<CharT, Traits>& os, const Address& a) {
  const std::string text = a.to_string();
  return os << text.c_str();
}

/// Every address getaddrinfo() gives for host (a name or a numeric
/// literal, "[::1]" allowed), each with `port`, in the resolver's order.
[[nodiscard]] std::vector<Address> resolve(std::string_view host, std::uint16_t port);
[[nodiscard]] std::vector<Address> resolve(std::string_view host, std::uint16_t port, std::error_code& ec) noexcept;
/// resolve() that gives up with std::errc::timed_out once `timeout` has
/// passed (outlet::duration; docs/address.md, "Name resolution with a
/// deadline"): getaddrinfo_a() on glibc 2.34 and later, else getaddrinfo()
/// on a helper thread. A lookup cut short finishes in the background and
/// frees what it holds. A numeric address never waits; a zero timeout
/// therefore accepts only numeric addresses (a name fails with timed_out at
/// once). Negative: invalid_argument.
[[nodiscard]] std::vector<Address> resolve(std::string_view host, std::uint16_t port, std::chrono::nanoseconds timeout);
[[nodiscard]] std::vector<Address> resolve(std::string_view host, std::uint16_t port, std::chrono::nanoseconds timeout,
                                           std::error_code& ec) noexcept;

// ---------------------------------------------------------------------------
// Implementation: inline in every mode (fast paths, accessors, templates)

namespace detail {

inline bool has_nul(std::string_view text) noexcept { return text.find('\0') != std::string_view::npos; }

/// Copies `text` into `buf` with a terminating NUL; false if it does not fit.
template <std::size_t N>
bool copy_c_string(std::string_view text, char (&buf)[N]) noexcept {
  if (text.size() >= N) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return true;
}

}  // namespace detail

inline Family Address::family() const noexcept {
  if (size_ == 0) return static_cast<Family>(-1);
  if (storage_.ss_family == AF_INET) return Family::ipv4;
  if (storage_.ss_family == AF_INET6) return Family::ipv6;
  return Family::unix_domain;
}

inline int Address::family_rank() const noexcept { return static_cast<int>(family()); }

inline std::uint16_t Address::port() const noexcept {
  if (size_ == 0) return 0;
  if (storage_.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (storage_.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

inline bool Address::is_multicast() const noexcept {
  if (size_ != 0 && storage_.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage_);
    return (reinterpret_cast<const unsigned char*>(&sin->sin_addr)[0] & 0xf0) == 0xe0;
  }
  if (size_ != 0 && storage_.ss_family == AF_INET6)
    return reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr.s6_addr[0] == 0xff;
  return false;
}

inline Address Address::with_port(std::uint16_t port) const noexcept {
  Address a = *this;
  if (size_ != 0 && storage_.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&a.storage_)->sin_port = htons(port);
  else if (size_ != 0 && storage_.ss_family == AF_INET6)
    reinterpret_cast<sockaddr_in6*>(&a.storage_)->sin6_port = htons(port);
  return a;
}

inline int Address::compare(const Address& other) const noexcept {
  const int ra = family_rank(), rb = other.family_rank();
  if (ra != rb) return ra < rb ? -1 : 1;
  if (size_ == 0) return 0;
  if (is_unix()) {
    const std::size_t na = unix_name_size(), nb = other.unix_name_size();
    const int c = std::memcmp(unix_name(), other.unix_name(), na < nb ? na : nb);
    if (c != 0) return c;
    return na == nb ? 0 : (na < nb ? -1 : 1);
  }
  // IP: the address bytes (network order sorts numerically), then scope, then port.
  if (storage_.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&storage_);
    const auto* b = reinterpret_cast<const sockaddr_in*>(&other.storage_);
    const int c = std::memcmp(&a->sin_addr, &b->sin_addr, sizeof a->sin_addr);
    if (c != 0) return c;
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&storage_);
    const auto* b = reinterpret_cast<const sockaddr_in6*>(&other.storage_);
    const int c = std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr);
    if (c != 0) return c;
    if (a->sin6_scope_id != b->sin6_scope_id) return a->sin6_scope_id < b->sin6_scope_id ? -1 : 1;
  }
  const std::uint16_t pa = port(), pb = other.port();
  return pa == pb ? 0 : (pa < pb ? -1 : 1);
}

inline std::size_t Address::hash() const noexcept {
  // FNV-1a over what == compares: the family, then the address bytes,
  // scope id and port (IP) or the name (Unix). Bytes == ignores, such as
  // sin_zero or BSD's sin_len, never reach the hash.
  std::uint64_t h = 1469598103934665603ULL;
  const auto mix = [&h](const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
      h ^= bytes[i];
      h *= 1099511628211ULL;
    }
  };
  const int rank = family_rank();
  mix(&rank, sizeof rank);
  if (size_ == 0) return detail::convert<std::size_t>(h);
  if (is_unix()) {
    mix(unix_name(), unix_name_size());
  } else if (storage_.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage_);
    mix(&sin->sin_addr, sizeof sin->sin_addr);
    mix(&sin->sin_port, sizeof sin->sin_port);
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
    mix(&sin6->sin6_addr, sizeof sin6->sin6_addr);
    mix(&sin6->sin6_scope_id, sizeof sin6->sin6_scope_id);
    mix(&sin6->sin6_port, sizeof sin6->sin6_port);
  }
  return detail::convert<std::size_t>(h);
}

namespace detail {

/// How the data calls let the OS write a peer's name straight into an
/// Address (recvfrom, accept), as plain code writes it into a
/// sockaddr_storage, instead of copying it in through from_native().
struct AddressAccess {
  /// Where the OS may write a name of up to `capacity` bytes.
  static sockaddr* storage(Address& a) noexcept { return reinterpret_cast<sockaddr*>(&a.storage_); }
  static constexpr socklen_t capacity = sizeof(sockaddr_storage);

  /// Appends a.to_string()'s text to `out`, for what().
  static void write(const Address& a, Text& out) { a.write(out); }

  /// After the OS wrote `len` bytes into storage(a): makes `a` that address.
  /// An IPv4 or IPv6 name of the usual size is kept where it is (== and
  /// hash() read only its address, port and scope; the flow label, which
  /// to_string() cannot show, is cleared); anything else, and a Unix name
  /// in particular, goes through from_native() (empty if outlet cannot
  /// hold it; only an unbound Unix datagram sender leaves no name at all,
  /// and that is the unnamed Unix address).
  static void adopt(Address& a, socklen_t len) noexcept {
    const auto family = a.storage_.ss_family;
    if (family == AF_INET && len == static_cast<socklen_t>(sizeof(sockaddr_in))) {
      a.size_ = len;
    } else if (family == AF_INET6 && len == static_cast<socklen_t>(sizeof(sockaddr_in6))) {
      reinterpret_cast<sockaddr_in6*>(&a.storage_)->sin6_flowinfo = 0;
      a.size_ = len;
    } else {
      adopt_other(a, len);
    }
  }

  /// adopt(), where the name came from an AF_INET or AF_INET6 socket outlet
  /// opened (`ip_socket`): then it is always a whole sockaddr_in or
  /// sockaddr_in6, kept as the OS wrote it (the flow label too, which == and
  /// hash() ignore, as they ignore sin_zero).
  static void adopt(Address& a, socklen_t len, bool ip_socket) noexcept {
    if (ip_socket) {
      a.size_ = len;
    } else {
      adopt(a, len);
    }
  }

private:
  static void adopt_other(Address& a, socklen_t len) noexcept;
};

}  // namespace detail

namespace detail {

/// getaddrinfo() for host (brackets stripped); fills `out`. `timeout_ms`:
/// -1 waits as long as getaddrinfo() takes; otherwise a numeric address is
/// parsed at once and a name is looked up within that many milliseconds
/// (sys::resolve_name_within; 0: not at all), else timed_out.
std::error_code resolve_into(std::string_view host, std::uint16_t port, std::vector<Address>& out, int timeout_ms = -1);

}  // namespace detail

// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES

namespace detail {

/// Whether text is a numeric address of the other family (for messages).
OUTLET_DETAIL_DEF bool is_ip_literal(int family, std::string_view text) noexcept {
  char buf[INET6_ADDRSTRLEN];
  unsigned char bytes[16];
  return copy_c_string(text, buf) && sys::text_to_ip(family, buf, bytes) == 1;
}

/// Parses 1-5 decimal digits in [0, 65535].
OUTLET_DETAIL_DEF bool parse_port(std::string_view text, std::uint16_t& port) noexcept {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace detail

OUTLET_DETAIL_DEF const char* Address::set_ipv4(std::string_view ip, std::uint16_t port) noexcept {
  if (detail::has_nul(ip)) return "contains a NUL byte";
  char buf[INET_ADDRSTRLEN];
  sockaddr_in sin{};
  if (!detail::copy_c_string(ip, buf) || detail::sys::text_to_ip(AF_INET, buf, &sin.sin_addr) != 1)
    return detail::is_ip_literal(AF_INET6, ip) ? "is an IPv6 address, not IPv4" : "is not an IPv4 address";
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  std::memcpy(&storage_, &sin, sizeof sin);
  size_ = sizeof sin;
  return nullptr;
}

OUTLET_DETAIL_DEF const char* Address::set_ipv6(std::string_view ip, std::uint16_t port) noexcept {
  if (detail::has_nul(ip)) return "contains a NUL byte";
  sockaddr_in6 sin6{};
  const std::size_t percent = ip.find('%');
  const std::string_view host = ip.substr(0, percent);
  char buf[INET6_ADDRSTRLEN];
  if (!detail::copy_c_string(host, buf) || detail::sys::text_to_ip(AF_INET6, buf, &sin6.sin6_addr) != 1)
    return detail::is_ip_literal(AF_INET, host) ? "is an IPv4 address, not IPv6" : "is not an IPv6 address";
  if (percent != std::string_view::npos) {
    const std::string_view scope = ip.substr(percent + 1);
    if (scope.empty()) return "has an empty scope after '%'";
    std::uint64_t index = 0;
    bool numeric = scope.size() <= 10;
    for (char c : scope) {
      if (c < '0' || c > '9') numeric = false;
      if (numeric) index = index * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (numeric && index > 0xffffffffULL) return "has a scope id out of range";
    if (!numeric) {
      char name[64];
      if (!detail::copy_c_string(scope, name)) return "names an unknown network interface";
      index = detail::sys::interface_index(name);
      if (index == 0) return "names an unknown network interface";
    }
    sin6.sin6_scope_id = static_cast<decltype(sin6.sin6_scope_id)>(index);
  }
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  std::memcpy(&storage_, &sin6, sizeof sin6);
  size_ = sizeof sin6;
  return nullptr;
}

OUTLET_DETAIL_DEF const char* Address::set_unix(std::string_view path) noexcept {
  if (detail::has_nul(path)) return "contains a NUL byte";
  const bool abstract = !path.empty() && path.front() == '@';
  if (abstract && !detail::sys::has_abstract_unix) return "is an abstract Unix name (\"@...\"), which only Linux has";
  // A path needs its terminating NUL; an abstract name has a leading one.
  // A path needs room for its NUL; an abstract name's '@' becomes the leading NUL.
  if (path.size() + (abstract ? 0 : 1) > unix_path_capacity)
    return abstract ? "is too long for an abstract Unix name (it must fit in sun_path after a NUL)"
                    : "is too long for a Unix socket path (it must fit in sun_path with its NUL)";
  auto* sun = reinterpret_cast<unix_sockaddr*>(&storage_);
  sun->sun_family = AF_UNIX;
  if (abstract) {
    sun->sun_path[0] = '\0';
    std::memcpy(sun->sun_path + 1, path.data() + 1, path.size() - 1);
    size_ = static_cast<socklen_t>(unix_path_offset + path.size());
  } else if (path.empty()) {
    size_ = static_cast<socklen_t>(unix_path_offset);
  } else {
    std::memcpy(sun->sun_path, path.data(), path.size());
    size_ = static_cast<socklen_t>(unix_path_offset + path.size() + 1);
  }
  return nullptr;
}

OUTLET_DETAIL_DEF const char* Address::set_any(Family family, std::uint16_t port, bool loopback) noexcept {
  if (family == Family::ipv4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK : INADDR_ANY);
    std::memcpy(&storage_, &sin, sizeof sin);
    size_ = sizeof sin;
    return nullptr;
  }
  if (family == Family::ipv6) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    if (loopback) sin6.sin6_addr.s6_addr[15] = 1;
    std::memcpy(&storage_, &sin6, sizeof sin6);
    size_ = sizeof sin6;
    return nullptr;
  }
  return "is not an IP family (Unix-domain sockets have no wildcard or loopback address)";
}

OUTLET_DETAIL_DEF const char* Address::set_parsed(std::string_view text) noexcept {
  constexpr const char* no_port = "has no \":port\" (write \"1.2.3.4:80\", \"[::1]:80\" or \"unix:/path\")";
  constexpr const char* bad_port = "has a port that is not a number in 0-65535";
  if (detail::has_nul(text)) return "contains a NUL byte";
  constexpr std::string_view unix_prefix = "unix:";
  if (text.substr(0, unix_prefix.size()) == unix_prefix) return set_unix(text.substr(unix_prefix.size()));
  if (text.empty()) return "is empty";
  std::uint16_t port = 0;
  if (text.front() == '[') {  // "[IPv6]:port"
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return "has an unclosed '['";
    if (close + 1 == text.size()) return no_port;
    if (text[close + 1] != ':') return "has something other than \":port\" after ']'";
    if (!detail::parse_port(text.substr(close + 2), port)) return bad_port;
    return set_ipv6(text.substr(1, close - 1), port);
  }
  const std::size_t colon = text.find(':');  // "IPv4:port"
  if (colon == std::string_view::npos) return no_port;
  if (text.find(':', colon + 1) != std::string_view::npos)
    return "has an IPv6 address without brackets (write \"[::1]:80\")";
  if (!detail::parse_port(text.substr(colon + 1), port)) return bad_port;
  if (set_ipv4(text.substr(0, colon), port) != nullptr)
    return "is not a numeric address (use outlet::resolve for host names)";
  return nullptr;
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF const char* Address::set_native(const sockaddr* address, socklen_t size) noexcept {
  // (BSD puts sa_len first, so sa_family may not start at offset 0.)
  if (address == nullptr || size < static_cast<socklen_t>(offsetof(sockaddr, sa_family) + sizeof(address->sa_family)))
    return "is too short to hold an address family";
  // sa_family is read through memcpy: `address` may point into any buffer.
  decltype(address->sa_family) family{};
  std::memcpy(&family, reinterpret_cast<const char*>(address) + offsetof(sockaddr, sa_family), sizeof family);
  const auto length = static_cast<std::size_t>(size);
  if (family == AF_INET) {
    if (length < sizeof(sockaddr_in)) return "is too short for an IPv4 address";
    sockaddr_in in{};
    std::memcpy(&in, address, sizeof in);
    sockaddr_in sin{};  // canonical: no padding bytes from the source
    sin.sin_family = AF_INET;
    sin.sin_port = in.sin_port;
    sin.sin_addr = in.sin_addr;
    std::memcpy(&storage_, &sin, sizeof sin);
    size_ = sizeof sin;
    return nullptr;
  }
  if (family == AF_INET6) {
    if (length < sizeof(sockaddr_in6)) return "is too short for an IPv6 address";
    sockaddr_in6 in6{};
    std::memcpy(&in6, address, sizeof in6);
    sockaddr_in6 sin6{};  // canonical: flow label dropped, as to_string() cannot show it
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = in6.sin6_port;
    sin6.sin6_addr = in6.sin6_addr;
    sin6.sin6_scope_id = in6.sin6_scope_id;
    std::memcpy(&storage_, &sin6, sizeof sin6);
    size_ = sizeof sin6;
    return nullptr;
  }
  if (family == AF_UNIX) {
    if (length > sizeof(unix_sockaddr)) return "is longer than a Unix-domain address";
    const char* bytes = reinterpret_cast<const char*>(address) + unix_path_offset;
    const std::size_t n = length > unix_path_offset ? length - unix_path_offset : 0;
    if (n == 0) return set_unix({});
    if (bytes[0] == '\0') {
      if (!detail::sys::has_abstract_unix) return set_unix({});
      const std::string_view name(bytes + 1, n - 1);
      if (detail::has_nul(name)) return "is an abstract Unix name containing a NUL byte";
      char text[unix_path_capacity + 1];
      text[0] = '@';
      std::memcpy(text + 1, name.data(), name.size());
      return set_unix(std::string_view(text, name.size() + 1));
    }
    std::size_t len = 0;
    while (len < n && bytes[len] != '\0') ++len;
    if (len == unix_path_capacity) return "is a Unix path without its terminating NUL";
    return set_unix(std::string_view(bytes, len));
  }
  return "has an address family outlet does not support";
}

template <class F>
Address Address::make(const char* op, std::string_view input, F&& fill) {
  Address a;
  if (const char* why = fill(a)) detail::throw_invalid(op, input, why);
  return a;
}

template <class F>
Address Address::make(std::error_code& ec, F&& fill) noexcept {
  Address a;
  if (fill(a) != nullptr) {
    ec = detail::invalid_argument();
    return Address{};
  }
  ec.clear();
  return a;
}

OUTLET_DETAIL_DEF Address Address::ipv4(std::string_view ip, std::uint16_t port) {
  return make("Address::ipv4", ip, [&](Address& a) { return a.set_ipv4(ip, port); });
}
OUTLET_DETAIL_DEF Address Address::ipv4(std::string_view ip, std::uint16_t port, std::error_code& ec) noexcept {
  return make(ec, [&](Address& a) { return a.set_ipv4(ip, port); });
}
OUTLET_DETAIL_DEF Address Address::ipv6(std::string_view ip, std::uint16_t port) {
  return make("Address::ipv6", ip, [&](Address& a) { return a.set_ipv6(ip, port); });
}
OUTLET_DETAIL_DEF Address Address::ipv6(std::string_view ip, std::uint16_t port, std::error_code& ec) noexcept {
  return make(ec, [&](Address& a) { return a.set_ipv6(ip, port); });
}
OUTLET_DETAIL_DEF Address Address::unix_domain(std::string_view path) {
  return make("Address::unix_domain", path, [&](Address& a) { return a.set_unix(path); });
}
OUTLET_DETAIL_DEF Address Address::unix_domain(std::string_view path, std::error_code& ec) noexcept {
  return make(ec, [&](Address& a) { return a.set_unix(path); });
}
OUTLET_DETAIL_DEF Address Address::any(Family family, std::uint16_t port) {
  return make("Address::any", "unix_domain", [&](Address& a) { return a.set_any(family, port, false); });
}
OUTLET_DETAIL_DEF Address Address::any(Family family, std::uint16_t port, std::error_code& ec) noexcept {
  return make(ec, [&](Address& a) { return a.set_any(family, port, false); });
}
OUTLET_DETAIL_DEF Address Address::loopback(Family family, std::uint16_t port) {
  return make("Address::loopback", "unix_domain", [&](Address& a) { return a.set_any(family, port, true); });
}
OUTLET_DETAIL_DEF Address Address::loopback(Family family, std::uint16_t port, std::error_code& ec) noexcept {
  return make(ec, [&](Address& a) { return a.set_any(family, port, true); });
}
OUTLET_DETAIL_DEF Address Address::parse(std::string_view text) {
  return make("Address::parse", text, [&](Address& a) { return a.set_parsed(text); });
}
OUTLET_DETAIL_DEF Address Address::parse(std::string_view text, std::error_code& ec) noexcept {
  return make(ec, [&](Address& a) { return a.set_parsed(text); });
}
OUTLET_DETAIL_DEF Address Address::from_native(const sockaddr* address, socklen_t size) {
  Address a;
  if (const char* why = a.set_native(address, size))
    detail::throw_error(detail::invalid_argument(),
                        detail::Text().add("Address::from_native (").add_unsigned(size).add(" bytes): ").add(why));
  return a;
}
OUTLET_DETAIL_DEF Address Address::from_native(const sockaddr* address, socklen_t size, std::error_code& ec) noexcept {
  return make(ec, [&](Address& a) { return a.set_native(address, size); });
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF void Address::write_ip(detail::Text& out) const {
  char buf[INET6_ADDRSTRLEN + 1 + 16];
  if (size_ != 0 && storage_.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage_);
    if (detail::sys::ip_to_text(AF_INET, &sin->sin_addr, buf, sizeof buf)) out.add(buf);
    return;
  }
  if (size_ != 0 && storage_.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
    if (!detail::sys::ip_to_text(AF_INET6, &sin6->sin6_addr, buf, sizeof buf)) return;
    out.add(buf);
    if (sin6->sin6_scope_id != 0) {
      char name[detail::sys::interface_name_size + 1] = {};
      out.add('%');
      if (detail::sys::interface_name(sin6->sin6_scope_id, name)) {
        out.add(name);
      } else {
        out.add_unsigned(sin6->sin6_scope_id);
      }
    }
  }
}

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF void Address::write(detail::Text& out) const {
  if (size_ == 0) return;
  if (is_unix()) {
    out.add("unix:");
    const std::size_t n = unix_name_size();
    if (n == 0) return;
    const char* name = unix_name();
    if (name[0] == '\0') {
      out.add('@').add(name + 1, n - 1);
    } else {
      out.add(name, n - 1);  // drop the terminating NUL
    }
    return;
  }
  if (storage_.ss_family == AF_INET6) {
    write_ip(out.add('['));
    out.add("]:");
  } else {
    write_ip(out);
    out.add(':');
  }
  out.add_unsigned(port());
}

OUTLET_DETAIL_DEF std::string Address::ip() const {
  detail::Text text;
  write_ip(text);
  return std::string(text.c_str(), text.size());
}

OUTLET_DETAIL_DEF std::string Address::path() const {
  if (!is_unix()) return {};
  const std::size_t n = unix_name_size();
  if (n == 0) return {};
  const char* name = unix_name();
  if (name[0] == '\0') return '@' + std::string(name + 1, n - 1);
  return std::string(name, n - 1);  // drop the terminating NUL
}

OUTLET_DETAIL_DEF std::string Address::to_string() const {
  detail::Text text;
  write(text);
  return std::string(text.c_str(), text.size());
}

namespace detail {

OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF void AddressAccess::adopt_other(Address& a, socklen_t len) noexcept {
  sockaddr_storage copy;
  std::memcpy(&copy, &a.storage_, sizeof copy);
  if (len == 0) {
    copy.ss_family = AF_UNIX;
    len = static_cast<socklen_t>(Address::unix_path_offset);
  }
  std::error_code ignored;  // an address outlet cannot hold leaves `a` empty
  a = Address::from_native(reinterpret_cast<const sockaddr*>(&copy), len, ignored);
}

}  // namespace detail

// --- resolve ---------------------------------------------------------------

namespace detail {

/// The error getaddrinfo's return code stands for.
OUTLET_DETAIL_DEF std::error_code resolve_error(int code) noexcept {
  if (sys::resolve_error_is_system(code)) return last_error_code();
  return {code, resolve_category()};
}

OUTLET_DETAIL_DEF std::error_code resolve_into(std::string_view host, std::uint16_t port, std::vector<Address>& out,
                                               int timeout_ms) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || has_nul(host)) return invalid_argument();
  if (std::error_code ec = sys::ensure_started()) return ec;
  const std::string name(host);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  struct List {
    addrinfo* head = nullptr;
    ~List() {
      if (head != nullptr) sys::free_resolved(head);
    }
  } list;
  if (timeout_ms < 0) {
    if (int rc = sys::resolve_name(name.c_str(), &hints, &list.head)) return resolve_error(rc);
  } else {
    addrinfo numeric = hints;  // no lookup, so no wait
    numeric.ai_flags |= AI_NUMERICHOST;
    if (sys::resolve_name(name.c_str(), &numeric, &list.head) != 0) {
      list.head = nullptr;
      if (timeout_ms == 0) return std::make_error_code(std::errc::timed_out);
      bool timed_out = false;
      const int rc = sys::resolve_name_within(name.c_str(), &hints, &list.head, timeout_ms, timed_out);
      if (timed_out) return std::make_error_code(std::errc::timed_out);
      if (rc != 0) return resolve_error(rc);
    }
  }
  for (const addrinfo* ai = list.head; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    std::error_code bad;
    const Address a = Address::from_native(ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen), bad).with_port(port);
    bool seen = false;
    for (const Address& b : out) seen = seen || b == a;
    if (!bad && !seen) out.push_back(a);
  }
  if (out.empty()) return {EAI_NONAME, resolve_category()};
  return {};
}

}  // namespace detail

OUTLET_DETAIL_DEF std::vector<Address> resolve(std::string_view host, std::uint16_t port,
                                               std::error_code& ec) noexcept {
  std::vector<Address> out;
  try {
    ec = detail::resolve_into(host, port, out);
  } catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  if (ec) out.clear();
  return out;
}

namespace detail {

/// The throwing resolve()'s body (timeout_ms as for resolve_into).
OUTLET_DETAIL_DEF std::vector<Address> resolve_or_throw(std::string_view host, std::uint16_t port, int timeout_ms) {
  std::vector<Address> out;
  std::error_code ec = resolve_into(host, port, out, timeout_ms);
  // Only outlet's own checks are reported as bad input: an OS error that
  // happens to be EINVAL (EAI_SYSTEM) is passed on as it is.
  if (ec && has_nul(host)) throw_invalid("resolve", host, "contains a NUL byte");
  if (ec && (host.empty() || host == "[]")) throw_invalid("resolve", host, "is an empty host name");
  if (ec) throw_error(ec, Text().add("resolve ").add_quoted(host));
  return out;
}

/// A timeout as resolve_into's milliseconds, rounded up (a wait never ends
/// early) and capped; -1 if negative.
OUTLET_DETAIL_DEF int resolve_timeout_ms(std::chrono::nanoseconds timeout) noexcept {
  if (timeout.count() < 0) return -1;
  const std::int64_t ms = (timeout.count() + 999999) / 1000000;
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace detail

OUTLET_DETAIL_DEF std::vector<Address> resolve(std::string_view host, std::uint16_t port) {
  return detail::resolve_or_throw(host, port, -1);
}

OUTLET_DETAIL_DEF std::vector<Address> resolve(std::string_view host, std::uint16_t port,
                                               std::chrono::nanoseconds timeout, std::error_code& ec) noexcept {
  std::vector<Address> out;
  if (timeout.count() < 0) {
    ec = detail::invalid_argument();
    return out;
  }
  try {
    ec = detail::resolve_into(host, port, out, detail::resolve_timeout_ms(timeout));
  } catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  if (ec) out.clear();
  return out;
}

OUTLET_DETAIL_DEF std::vector<Address> resolve(std::string_view host, std::uint16_t port,
                                               std::chrono::nanoseconds timeout) {
  if (timeout.count() < 0)
    detail::throw_negative_timeout(detail::Text().add("resolve ").add_quoted(host), timeout.count());
  return detail::resolve_or_throw(host, port, detail::resolve_timeout_ms(timeout));
}

#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

namespace std {
/// std::hash<outlet::Address>, consistent with ==.
template <>
struct hash<outlet::Address> {
  std::size_t operator()(const outlet::Address& a) const noexcept { return a.hash(); }
};
}  // namespace std

#endif  // OUTLET_ADDRESS_HPP
