// outlet — systemd socket activation without libsystemd: the listening
// and datagram sockets a service manager opened for this process and
// passed as descriptors 3, 4, ... (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES;
// the protocol of sd_listen_fds(3)), as ServerSocket and DatagramSocket.
#ifndef OUTLET_SYSTEMD_HPP
#define OUTLET_SYSTEMD_HPP

#include <outlet/datagram_socket.hpp>
#include <outlet/error.hpp>
#include <outlet/server_socket.hpp>
#include <outlet/socket_base.hpp>

#include <climits>
#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace systemd {

/// One socket the service manager passed, and its name.
struct ListenSocket {
  /// The socket's name: its entry in LISTEN_FDNAMES (a unit's
  /// FileDescriptorName=, systemd-socket-activate's --fdname=), or
  /// "unknown" when that variable is not set, as sd_listen_fds_with_names()
  /// says. Several sockets may share a name (one unit listening on IPv4
  /// and IPv6, say).
  std::string name;
  /// The socket, owned (closed with it, unless taken): a ServerSocket for
  /// a listening stream socket (TCP, Unix stream), a DatagramSocket for a
  /// datagram socket (UDP, Unix datagram). Blocking, and close-on-exec.
  std::variant<ServerSocket, DatagramSocket> socket;
};

/// The sockets passed to this process, as sd_listen_fds() finds them, with
/// no libsystemd: reads LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, and
/// takes descriptors 3 to 3 + LISTEN_FDS - 1, each made close-on-exec
/// (fcntl(FD_CLOEXEC)) and blocking (ioctl(FIONBIO)), its kind read with
/// getsockopt(SO_TYPE) and getsockopt(SO_ACCEPTCONN).
///
/// None (an empty vector, not an error) when LISTEN_PID or LISTEN_FDS is
/// not set, when LISTEN_FDS is 0, or when LISTEN_PID names another process
/// (variables inherited from a parent that was activated), as systemd's
/// own library does. Fails, throwing std::system_error with what() quoting
/// the variable and its value, when a variable is malformed (not a number,
/// out of range, or LISTEN_FDNAMES naming more or fewer sockets than
/// LISTEN_FDS counts), and when a descriptor is not open, not a socket,
/// or neither a listening stream socket nor a datagram socket (a connected
/// socket from a unit with Accept=yes, a FIFO): then no descriptor is
/// closed or returned. `unset_environment`: unset the three variables
/// before returning, whatever the outcome, so that child processes do not
/// see them (sd_listen_fds(1)). getenv() and unsetenv() are not
/// thread-safe: call this at startup, before starting threads.
/// On Windows (no such protocol) there are never any: an empty vector.
[[nodiscard]] std::vector<ListenSocket> listen_fds(bool unset_environment = true);
[[nodiscard]] std::vector<ListenSocket> listen_fds(bool unset_environment, std::error_code& ec) noexcept;

/// Moves the first socket named `name` that is a listening stream socket
/// out of `sockets` (the entry keeps its name and a closed ServerSocket).
/// Fails with invalid_argument, quoting the name, if there is none: no
/// socket of that name, or only datagram sockets or ones already taken.
[[nodiscard]] ServerSocket take_server_socket(std::vector<ListenSocket>& sockets, std::string_view name);
[[nodiscard]] ServerSocket take_server_socket(std::vector<ListenSocket>& sockets, std::string_view name,
                                              std::error_code& ec) noexcept;
/// As take_server_socket(), for a datagram socket.
[[nodiscard]] DatagramSocket take_datagram_socket(std::vector<ListenSocket>& sockets, std::string_view name);
[[nodiscard]] DatagramSocket take_datagram_socket(std::vector<ListenSocket>& sockets, std::string_view name,
                                                  std::error_code& ec) noexcept;

}  // namespace systemd

// ---------------------------------------------------------------------------
// Implementation

namespace detail {

/// How a decimal variable read.
enum class Decimal { number, not_a_number, too_large };

/// Digits only (no sign, no spaces), at most `max`.
inline Decimal parse_decimal(std::string_view text, long long max, long long& value) noexcept {
  if (text.empty()) return Decimal::not_a_number;
  value = 0;
  bool too_large = false;
  for (char c : text) {
    if (c < '0' || c > '9') return Decimal::not_a_number;
    const int digit = c - '0';
    if (value > (max - digit) / 10) too_large = true;
    if (!too_large) value = value * 10 + digit;
  }
  return too_large ? Decimal::too_large : Decimal::number;
}

/// The value of an environment variable, and whether it is set.
struct Variable {
  const char* name;
  std::string value;
  bool set;
};
inline Variable read_variable(const char* name) {
  const char* value = sys::environment_variable(name);
  return {name, value != nullptr ? value : "", value != nullptr};
}

/// Unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES when it goes, if asked.
struct UnsetListenEnvironment {
  bool unset;
  ~UnsetListenEnvironment() {
    if (!unset) return;
    for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) sys::unset_environment_variable(name);
  }
};

/// A malformed variable: `systemd: NAME="value": why`, into `why` if wanted.
inline std::error_code malformed(Text* why, const Variable& variable, const char* text) {
  if (why != nullptr) why->add("systemd: ").add(variable.name).add('=').add_quoted(variable.value).add(": ").add(text);
  return invalid_argument();
}

/// A descriptor that cannot be taken: `systemd: descriptor N ("name")[ why]`.
inline std::error_code bad_descriptor(Text* why, sys::native_handle h, const std::string& name, std::error_code ec,
                                      const char* text = nullptr) {
  if (why != nullptr) {
    why->add("systemd: descriptor ").add_signed(static_cast<long long>(h)).add(" (").add_quoted(name).add(')');
    if (text != nullptr) why->add(' ').add(text);
  }
  return ec;
}

/// Whether `h` is a listening stream socket (`listening`) or a datagram
/// socket; an error for anything else.
inline std::error_code classify_inherited(sys::native_handle h, const std::string& name, bool& listening, Text* why) {
  int type = 0;
  std::size_t size = sizeof type;
  if (std::error_code ec = get_option(h, SOL_SOCKET, SO_TYPE, &type, size)) return bad_descriptor(why, h, name, ec);
  int accepting = 0;
  size = sizeof accepting;
  if (type == SOCK_STREAM) {
    if (std::error_code ec = get_option(h, SOL_SOCKET, SO_ACCEPTCONN, &accepting, size))
      return bad_descriptor(why, h, name, ec);
  }
  listening = type == SOCK_STREAM && accepting != 0;
  if (type == SOCK_STREAM && !listening) {
    return bad_descriptor(why, h, name, invalid_argument(),
                          "is a connected stream socket, not a listening one (a unit with Accept=yes?)");
  }
  if (type != SOCK_STREAM && type != SOCK_DGRAM)
    return bad_descriptor(why, h, name, invalid_argument(), "is neither a stream nor a datagram socket");
  return {};
}

/// systemd::listen_fds()'s body: the sockets into `out`; on failure, what
/// went wrong into `why` (if not null) and no descriptor taken.
inline std::error_code read_listen_fds(bool unset_environment, std::vector<systemd::ListenSocket>& out, Text* why) {
  if (!sys::has_socket_activation) return {};
  const UnsetListenEnvironment unset{unset_environment};
  const Variable pid = read_variable("LISTEN_PID");
  const Variable count_text = read_variable("LISTEN_FDS");
  const Variable names_text = read_variable("LISTEN_FDNAMES");
  if (!pid.set) return {};
  long long value = 0;
  if (parse_decimal(pid.value, LLONG_MAX, value) != Decimal::number || value == 0)
    return malformed(why, pid, "not a process id");
  if (value != sys::process_id()) return {};  // meant for another process: not ours to take
  if (!count_text.set) return {};
  long long count = 0;
  const Decimal parsed = parse_decimal(count_text.value, INT_MAX - 3, count);
  if (parsed == Decimal::not_a_number) return malformed(why, count_text, "not a number of descriptors");
  if (parsed == Decimal::too_large) return malformed(why, count_text, "more descriptors than a process can have");
  if (count == 0) return {};

  std::vector<std::string> names;
  if (names_text.set) {
    std::size_t start = 0;
    for (std::size_t colon; (colon = names_text.value.find(':', start)) != std::string::npos; start = colon + 1)
      names.push_back(names_text.value.substr(start, colon - start));
    names.push_back(names_text.value.substr(start));
    if (names.size() != static_cast<std::size_t>(count)) {
      if (why != nullptr) {
        malformed(why, names_text, "names ");
        why->add_unsigned(names.size()).add(" sockets, but LISTEN_FDS=").add_quoted(count_text.value);
      }
      return invalid_argument();
    }
  } else {
    names.assign(static_cast<std::size_t>(count), "unknown");
  }

  // Every descriptor checked before any is adopted: on failure none is
  // closed (they stay the process's, as they came).
  std::vector<bool> listening(names.size());
  sys::native_handle h = sys::first_inherited_handle;
  for (std::size_t i = 0; i < names.size(); ++i, ++h) {
    if (sys::set_close_on_exec(h) != 0) return bad_descriptor(why, h, names[i], last_error_code());
    bool stream = false;
    if (std::error_code ec = classify_inherited(h, names[i], stream, why)) return ec;
    listening[i] = stream;
    if (std::error_code ec = set_non_blocking(h, false)) return bad_descriptor(why, h, names[i], ec);
  }
  out.reserve(names.size());  // the last step that can fail: adopting and moving below cannot
  h = sys::first_inherited_handle;
  for (std::size_t i = 0; i < names.size(); ++i, ++h) {
    if (listening[i]) {
      out.push_back({std::move(names[i]), ServerSocket::adopt(h)});
    } else {
      out.push_back({std::move(names[i]), DatagramSocket::adopt(h)});
    }
  }
  return {};
}

/// take_server_socket() / take_datagram_socket(): the first open `Wanted`
/// named `name`, or an error (described in `why`, if not null).
template <class Wanted>
Wanted take_inherited(std::vector<systemd::ListenSocket>& sockets, std::string_view name, const char* op,
                      const char* kind, std::error_code& ec, Text* why) {
  bool named = false;
  for (systemd::ListenSocket& s : sockets) {
    if (s.name != name) continue;
    named = true;
    Wanted* socket = std::get_if<Wanted>(&s.socket);
    if (socket != nullptr && socket->is_open()) {
      ec.clear();
      return std::move(*socket);
    }
  }
  ec = invalid_argument();
  if (why == nullptr) return Wanted();
  why->add(op).add(' ').add_quoted(name).add(": ");
  if (named) {
    why->add("the sockets of that name are not ").add(kind).add("s, or were taken already");
    return Wanted();
  }
  why->add("no socket of that name was passed (");
  if (sockets.empty()) why->add("none were");
  for (std::size_t i = 0; i < sockets.size(); ++i) why->add(i == 0 ? "names: " : ", ").add_quoted(sockets[i].name);
  why->add(')');
  return Wanted();
}

}  // namespace detail

namespace systemd {

inline std::vector<ListenSocket> listen_fds(bool unset_environment, std::error_code& ec) noexcept {
  std::vector<ListenSocket> out;
  try {
    ec = detail::read_listen_fds(unset_environment, out, nullptr);
  } catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  return out;
}

inline std::vector<ListenSocket> listen_fds(bool unset_environment) {
  std::vector<ListenSocket> out;
  detail::Text why;
  if (std::error_code ec = detail::read_listen_fds(unset_environment, out, &why)) detail::throw_error(ec, why);
  return out;
}

inline ServerSocket take_server_socket(std::vector<ListenSocket>& sockets, std::string_view name) {
  std::error_code ec;
  detail::Text why;
  ServerSocket socket = detail::take_inherited<ServerSocket>(sockets, name, "systemd::take_server_socket",
                                                             "listening stream socket", ec, &why);
  if (ec) detail::throw_error(ec, why);
  return socket;
}
inline ServerSocket take_server_socket(std::vector<ListenSocket>& sockets, std::string_view name,
                                       std::error_code& ec) noexcept {
  return detail::take_inherited<ServerSocket>(sockets, name, nullptr, nullptr, ec, nullptr);
}

inline DatagramSocket take_datagram_socket(std::vector<ListenSocket>& sockets, std::string_view name) {
  std::error_code ec;
  detail::Text why;
  DatagramSocket socket = detail::take_inherited<DatagramSocket>(sockets, name, "systemd::take_datagram_socket",
                                                                 "datagram socket", ec, &why);
  if (ec) detail::throw_error(ec, why);
  return socket;
}
inline DatagramSocket take_datagram_socket(std::vector<ListenSocket>& sockets, std::string_view name,
                                           std::error_code& ec) noexcept {
  return detail::take_inherited<DatagramSocket>(sockets, name, nullptr, nullptr, ec, nullptr);
}

}  // namespace systemd
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_SYSTEMD_HPP
