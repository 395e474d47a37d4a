// outlet — BindOptions and ListenOptions: what a socket is told before
// bind(), in one place (reuse address, reuse port, IPv6-only; for a
// listener also the backlog and the TCP Fast Open queue).
#ifndef OUTLET_BIND_OPTIONS_HPP
#define OUTLET_BIND_OPTIONS_HPP

#include <outlet/address.hpp>
#include <outlet/error.hpp>
#include <outlet/socket_base.hpp>

#include <optional>
#include <string_view>
#include <system_error>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

/// The options a socket takes before bind(), set in this order, each with
/// one setsockopt(). DatagramSocket(local, options) and
/// DatagramSocket::bind(local, options) take these; ServerSocket takes
/// ListenOptions, which adds listen()'s. The defaults are what
/// DatagramSocket(const Address&) does.
struct BindOptions {
  /// SO_REUSEADDR (SOL_SOCKET), set or cleared, for an IP address (a Unix
  /// path has no such option: skipped). A listener rebinds its port at
  /// once while old connections linger in TIME_WAIT; datagram sockets that
  /// all set it share a port. On Windows a stream socket sets
  /// SO_EXCLUSIVEADDRUSE instead (Winsock's SO_REUSEADDR would let any
  /// socket take over the port), a datagram socket SO_REUSEADDR.
  /// Off here; ListenOptions turns it on.
  bool reuse_address = false;
  /// SO_REUSEPORT (SOL_SOCKET): several sockets, each setting it, bind the
  /// same address and port (Linux also asks that they belong to the same
  /// user). Linux spreads the incoming connections (or datagrams) over
  /// them, by a hash of the client's address and port: one listener per
  /// thread or process. The BSDs and macOS only let them share the port:
  /// each connection goes to one listener, unicast datagrams to the last
  /// socket bound (FreeBSD's SO_REUSEPORT_LB balances; set it with
  /// set_option()). Windows has no such option: true fails with
  /// std::errc::operation_not_supported there. False sets nothing (a new
  /// socket has it off).
  bool reuse_port = false;
  /// IPV6_V6ONLY (IPPROTO_IPV6), for an IPv6 address only: true (the
  /// default, as outlet's address constructors do) takes IPv6 alone, so
  /// "[::]:80" means the same on every OS; false makes one dual-stack
  /// socket that also takes IPv4 traffic, as IPv4-mapped addresses
  /// (::ffff:a.b.c.d); std::nullopt leaves the OS's default (Linux:
  /// net.ipv6.bindv6only, usually false; Windows and the BSDs: true).
  std::optional<bool> v6_only = true;
};

/// The options a listening ServerSocket takes: BindOptions, with
/// reuse_address on (what ServerSocket(const Address&) sets), plus
/// listen()'s backlog and the TCP Fast Open queue. For
/// ServerSocket(local, options) and ServerSocket::listen(local, options).
struct ListenOptions : BindOptions {
  /// The defaults: ServerSocket(const Address&)'s behaviour exactly.
  ListenOptions() noexcept { reuse_address = true; }
  /// listen()'s backlog: how many finished connections may wait to be
  /// accepted. The OS clamps it to its limit (Linux: net.core.somaxconn).
  int backlog = default_backlog;
  /// TCP_FASTOPEN (IPPROTO_TCP) on Linux: how many Fast Open requests
  /// (data in the SYN) may wait for the handshake to finish; 0 (the
  /// default) sets nothing. Clients need it enabled too (the
  /// net.ipv4.tcp_fastopen sysctl). Other systems spell a different option
  /// the same way: a positive value fails there with
  /// std::errc::operation_not_supported; negative values fail with
  /// invalid_argument.
  int fast_open_queue = 0;
};

namespace detail {

/// Which step of "options, bind, listen" failed, for what(): the operation,
/// and the value it was given where that helps ("backlog", 5).
struct BindStep {
  const char* op = "socket";
  const char* value_name = nullptr;
  long long value = 0;
};

}  // namespace detail
// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES

namespace detail {

/// "<op> <address>[ (<value name> <value>)]".
OUTLET_DETAIL_COLD OUTLET_DETAIL_DEF Text describe_step(const BindStep& step, const Address& local) {
  Text text = describe_operation(step.op, &local);
  if (step.value_name != nullptr) text.add(" (").add(step.value_name).add(' ').add_signed(step.value).add(')');
  return text;
}

/// Throws for `ec`, if set, naming the step that failed and the address
/// (bind's report adds its hint about a Unix socket file in the way).
OUTLET_DETAIL_DEF void check_step(const std::error_code& ec, const BindStep& step, const Address& local) {
  if (!ec) return;
  if (step.op == std::string_view("bind")) throw_bind_error(ec, local);
  throw_error(ec, describe_step(step, local));
}

/// What an option the OS does not have fails with.
OUTLET_DETAIL_DEF std::error_code not_supported() noexcept {
  return std::make_error_code(std::errc::operation_not_supported);
}

/// setsockopt() of an int option, naming it in `step` first.
OUTLET_DETAIL_DEF std::error_code set_int_option(handle h, int level, int name, int value, BindStep& step,
                                                 const char* op) noexcept {
  step = BindStep{op};
  return set_option(h, level, name, &value, sizeof value);
}

/// Sets BindOptions on `h`, a socket of `type` about to bind `local`;
/// `step` names the option that failed.
OUTLET_DETAIL_DEF std::error_code apply_bind_options(handle h, int type, const Address& local,
                                                     const BindOptions& options, BindStep& step) noexcept {
  const Family family = local.family();
  if (family == Family::ipv4 || family == Family::ipv6) {
    const bool exclusive = type == SOCK_STREAM && sys::stream_reuse_is_exclusive;
    const char* op = exclusive ? "setsockopt(SO_EXCLUSIVEADDRUSE)" : "setsockopt(SO_REUSEADDR)";
    const int name = type == SOCK_STREAM ? sys::listener_reuse_option : SO_REUSEADDR;
    if (std::error_code ec = set_int_option(h, SOL_SOCKET, name, options.reuse_address ? 1 : 0, step, op)) return ec;
  }
  if (options.reuse_port) {
    step = BindStep{"setsockopt(SO_REUSEPORT)"};
    if (sys::reuse_port_option < 0) return not_supported();
    if (std::error_code ec = set_int_option(h, SOL_SOCKET, sys::reuse_port_option, 1, step, step.op)) return ec;
  }
  if (family == Family::ipv6 && options.v6_only.has_value())
    return set_int_option(h, IPPROTO_IPV6, IPV6_V6ONLY, *options.v6_only ? 1 : 0, step, "setsockopt(IPV6_V6ONLY)");
  return {};
}

/// apply_bind_options(), then the Fast Open queue (ListenOptions).
OUTLET_DETAIL_DEF std::error_code apply_listen_options(handle h, const Address& local, const ListenOptions& options,
                                                       BindStep& step) noexcept {
  if (std::error_code ec = apply_bind_options(h, SOCK_STREAM, local, options, step)) return ec;
  if (options.fast_open_queue == 0) return {};
  step = BindStep{"setsockopt(TCP_FASTOPEN)", "queue length", options.fast_open_queue};
  if (options.fast_open_queue < 0) return invalid_argument();
  if (sys::fast_open_option < 0) return not_supported();
  const int queue = options.fast_open_queue;
  return set_option(h, IPPROTO_TCP, sys::fast_open_option, &queue, sizeof queue);
}

}  // namespace detail

#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_BIND_OPTIONS_HPP
