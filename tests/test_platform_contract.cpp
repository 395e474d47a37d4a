// The sys:: contract of include/outlet/detail/platform.hpp, checked by the
// compiler: every name portable code may use, with the exact type each
// platform file (platform_posix.hpp, platform_windows.hpp) must give it.
// A name missing, overloaded, renamed or of another type fails this build,
// on Linux and in the MinGW-w64 build alike. Adding a sys:: name means
// adding it here and to the list in platform.hpp.
#include <outlet/outlet.hpp>

#include "catch.hpp"

#include <cstddef>
#include <cstdint>
#include <system_error>
#include <type_traits>

namespace {

namespace sys = outlet::detail::sys;

using handle = sys::native_handle;
using socklen = sys::socklen;
using io_result = sys::io_result;
using io_vector = sys::io_vector;

// A function: its address has exactly this type (noexcept included).
#define OUTLET_CONTRACT_CALL(name, ...)                                 \
  static_assert(std::is_same<decltype(&sys::name), __VA_ARGS__>::value, \
                "sys::" #name " does not have the contract's type")
// A constant: declared `inline constexpr` with exactly this type.
#define OUTLET_CONTRACT_CONSTANT(name, ...)                                  \
  static_assert(std::is_same<decltype(sys::name), const __VA_ARGS__>::value, \
                "sys::" #name " does not have the contract's type")

// --- types ---------------------------------------------------------------------
static_assert(std::is_integral<handle>::value || std::is_pointer<handle>::value, "native_handle is a handle value");
static_assert(std::is_integral<socklen>::value, "socklen is an integer (socklen_t, int)");
static_assert(std::is_integral<io_result>::value && std::is_signed<io_result>::value, "io_result holds -1");
static_assert(std::is_trivially_copyable<io_vector>::value, "io_vector is the OS's buffer descriptor");
static_assert(std::is_trivially_copyable<sys::message>::value, "message is the OS's batch entry");
static_assert(std::is_trivially_copyable<sys::pollfd_type>::value, "pollfd_type is the OS's pollfd");
static_assert(std::is_trivially_copyable<sys::FileIdentity>::value, "FileIdentity is a value");
static_assert(sizeof(sys::unix_sockaddr) > sizeof(sys::unix_sockaddr::sun_path), "unix_sockaddr has a sun_path");

// --- constants ------------------------------------------------------------------
OUTLET_CONTRACT_CONSTANT(invalid_handle, handle);
OUTLET_CONTRACT_CONSTANT(shut_receive, int);
OUTLET_CONTRACT_CONSTANT(shut_send, int);
OUTLET_CONTRACT_CONSTANT(shut_both, int);
OUTLET_CONTRACT_CONSTANT(poll_in, short);
OUTLET_CONTRACT_CONSTANT(poll_out, short);
OUTLET_CONTRACT_CONSTANT(poll_err, short);
OUTLET_CONTRACT_CONSTANT(poll_hup, short);
OUTLET_CONTRACT_CONSTANT(poll_nval, short);
OUTLET_CONTRACT_CONSTANT(poll_rdhup, short);
OUTLET_CONTRACT_CONSTANT(has_abstract_unix, bool);
OUTLET_CONTRACT_CONSTANT(has_dont_wait_flag, bool);
OUTLET_CONTRACT_CONSTANT(has_message_batch, bool);
OUTLET_CONTRACT_CONSTANT(accept_inherits_non_blocking, bool);
OUTLET_CONTRACT_CONSTANT(stream_reuse_is_exclusive, bool);
OUTLET_CONTRACT_CONSTANT(max_io_vectors, std::size_t);
OUTLET_CONTRACT_CONSTANT(max_backlog, int);
OUTLET_CONTRACT_CONSTANT(listener_reuse_option, int);
OUTLET_CONTRACT_CONSTANT(interface_name_size, std::size_t);
OUTLET_CONTRACT_CONSTANT(err_interrupted, int);
OUTLET_CONTRACT_CONSTANT(err_would_block, int);
OUTLET_CONTRACT_CONSTANT(err_connect_aborted, int);
OUTLET_CONTRACT_CONSTANT(err_message_size, int);
OUTLET_CONTRACT_CONSTANT(err_in_progress, int);

// --- errors -----------------------------------------------------------------------
OUTLET_CONTRACT_CALL(last_error, int (*)() noexcept);
OUTLET_CONTRACT_CALL(set_last_error, void (*)(int) noexcept);
OUTLET_CONTRACT_CALL(os_category, const std::error_category& (*)() noexcept);
OUTLET_CONTRACT_CALL(to_error_code, std::error_code (*)(int) noexcept);
OUTLET_CONTRACT_CALL(connect_in_progress, bool (*)(int) noexcept);
OUTLET_CONTRACT_CALL(connect_backlog_full, bool (*)(int) noexcept);
OUTLET_CONTRACT_CALL(resolve_error_message, const char* (*)(int) noexcept);
OUTLET_CONTRACT_CALL(resolve_error_is_system, bool (*)(int) noexcept);

// --- sockets ------------------------------------------------------------------------
OUTLET_CONTRACT_CALL(ensure_started, std::error_code (*)() noexcept);
OUTLET_CONTRACT_CALL(open_socket, handle (*)(int, int, int) noexcept);
OUTLET_CONTRACT_CALL(accept_socket, handle (*)(handle, sockaddr*, socklen*) noexcept);
OUTLET_CONTRACT_CALL(close_socket, int (*)(handle) noexcept);
OUTLET_CONTRACT_CALL(set_blocking_mode, int (*)(handle, bool) noexcept);
OUTLET_CONTRACT_CALL(connect_socket, int (*)(handle, const sockaddr*, socklen) noexcept);
OUTLET_CONTRACT_CALL(bind_socket, int (*)(handle, const sockaddr*, socklen) noexcept);
OUTLET_CONTRACT_CALL(listen_socket, int (*)(handle, int) noexcept);
OUTLET_CONTRACT_CALL(shutdown_socket, int (*)(handle, int) noexcept);
OUTLET_CONTRACT_CALL(set_option, int (*)(handle, int, int, const void*, socklen) noexcept);
OUTLET_CONTRACT_CALL(get_option, int (*)(handle, int, int, void*, socklen*) noexcept);
OUTLET_CONTRACT_CALL(local_name, int (*)(handle, sockaddr*, socklen*) noexcept);
OUTLET_CONTRACT_CALL(peer_name, int (*)(handle, sockaddr*, socklen*) noexcept);

// --- data ------------------------------------------------------------------------------
OUTLET_CONTRACT_CALL(send_some, io_result (*)(handle, const void*, std::size_t, bool) noexcept);
OUTLET_CONTRACT_CALL(recv_some, io_result (*)(handle, void*, std::size_t, bool) noexcept);
OUTLET_CONTRACT_CALL(send_datagram,
                     io_result (*)(handle, const void*, std::size_t, const sockaddr*, socklen, bool) noexcept);
OUTLET_CONTRACT_CALL(recv_datagram,
                     io_result (*)(handle, void*, std::size_t, sockaddr*, socklen*, bool, bool&) noexcept);
OUTLET_CONTRACT_CALL(make_io_vector, io_vector (*)(const void*, std::size_t) noexcept);
OUTLET_CONTRACT_CALL(io_vector_data, void* (*)(const io_vector&) noexcept);
OUTLET_CONTRACT_CALL(io_vector_size, std::size_t (*)(const io_vector&) noexcept);
OUTLET_CONTRACT_CALL(send_vector,
                     io_result (*)(handle, const io_vector*, std::size_t, const sockaddr*, socklen, bool) noexcept);
OUTLET_CONTRACT_CALL(recv_vector,
                     io_result (*)(handle, const io_vector*, std::size_t, sockaddr*, socklen*, bool, bool&) noexcept);
OUTLET_CONTRACT_CALL(set_message, void (*)(sys::message&, const io_vector*, std::size_t, sockaddr*, socklen) noexcept);
OUTLET_CONTRACT_CALL(message_length, std::size_t (*)(const sys::message&) noexcept);
OUTLET_CONTRACT_CALL(message_name_length, socklen (*)(const sys::message&) noexcept);
OUTLET_CONTRACT_CALL(message_truncated, bool (*)(const sys::message&) noexcept);
OUTLET_CONTRACT_CALL(send_messages, int (*)(handle, sys::message*, std::size_t, bool) noexcept);
OUTLET_CONTRACT_CALL(recv_messages, int (*)(handle, sys::message*, std::size_t, bool) noexcept);

// --- waiting -----------------------------------------------------------------------------
OUTLET_CONTRACT_CALL(poll_one, int (*)(handle, short, int, short&) noexcept);
OUTLET_CONTRACT_CALL(poll_many, int (*)(sys::pollfd_type*, std::size_t, int) noexcept);
OUTLET_CONTRACT_CALL(wait_connect, int (*)(handle, int) noexcept);
OUTLET_CONTRACT_CALL(sleep_ms, void (*)(int) noexcept);
OUTLET_CONTRACT_CALL(monotonic_ns, std::int64_t (*)() noexcept);

// --- files and names ---------------------------------------------------------------------
OUTLET_CONTRACT_CALL(unix_path_identity, sys::FileIdentity (*)(const char*) noexcept);
OUTLET_CONTRACT_CALL(remove_unix_path, void (*)(const char*, const sys::FileIdentity&) noexcept);
OUTLET_CONTRACT_CALL(interface_index, unsigned (*)(const char*) noexcept);
OUTLET_CONTRACT_CALL(interface_name, bool (*)(unsigned, char*) noexcept);
OUTLET_CONTRACT_CALL(text_to_ip, int (*)(int, const char*, void*) noexcept);
OUTLET_CONTRACT_CALL(ip_to_text, bool (*)(int, const void*, char*, socklen) noexcept);
OUTLET_CONTRACT_CALL(resolve_name, int (*)(const char*, const addrinfo*, addrinfo**) noexcept);
OUTLET_CONTRACT_CALL(free_resolved, void (*)(addrinfo*) noexcept);

// --- listener options and socket activation (issue #19) ---------------------------------
OUTLET_CONTRACT_CONSTANT(reuse_port_option, int);
OUTLET_CONTRACT_CONSTANT(fast_open_option, int);
OUTLET_CONTRACT_CONSTANT(has_socket_activation, bool);
OUTLET_CONTRACT_CONSTANT(first_inherited_handle, handle);
OUTLET_CONTRACT_CALL(process_id, long long (*)() noexcept);
OUTLET_CONTRACT_CALL(environment_variable, const char* (*)(const char*) noexcept);
OUTLET_CONTRACT_CALL(unset_environment_variable, void (*)(const char*) noexcept);
OUTLET_CONTRACT_CALL(set_close_on_exec, int (*)(handle) noexcept);
// --- TCP statistics ------------------------------------------------------------------------
OUTLET_CONTRACT_CALL(tcp_statistics, int (*)(handle, outlet::detail::TcpStatistics&) noexcept);
using text = const char*;
OUTLET_CONTRACT_CONSTANT(tcp_statistics_call, text);

// --- datagram receive metadata ------------------------------------------------------------
OUTLET_CONTRACT_CONSTANT(has_receive_timestamps, bool);
OUTLET_CONTRACT_CONSTANT(receive_timestamps_call, text);
OUTLET_CONTRACT_CONSTANT(receive_destination_call, text);
static_assert(std::is_trivially_copyable<sys::control_buffer>::value, "control_buffer is bytes");
OUTLET_CONTRACT_CALL(set_receive_timestamps, int (*)(handle, bool) noexcept);
OUTLET_CONTRACT_CALL(set_receive_destination, int (*)(handle, bool) noexcept);
OUTLET_CONTRACT_CALL(recv_with_metadata, io_result (*)(handle, void*, std::size_t, sockaddr*, socklen*, bool, bool&,
                                                       outlet::detail::DatagramMetadata&) noexcept);
OUTLET_CONTRACT_CALL(set_message_control, void (*)(sys::message&, sys::control_buffer&) noexcept);
OUTLET_CONTRACT_CALL(message_metadata, void (*)(sys::message&, outlet::detail::DatagramMetadata&) noexcept);
// --- multicast and network interfaces -------------------------------------------------------
OUTLET_CONTRACT_CONSTANT(has_source_multicast, bool);
static_assert(std::is_integral<sys::ipv4_multicast_value>::value, "ipv4_multicast_value is IP_MULTICAST_TTL's type");
OUTLET_CONTRACT_CALL(change_membership,
                     int (*)(handle, bool, const sockaddr*, socklen, const sockaddr*, socklen, unsigned) noexcept);
OUTLET_CONTRACT_CALL(set_multicast_interface, int (*)(handle, int, unsigned) noexcept);
OUTLET_CONTRACT_CALL(socket_family, int (*)(handle) noexcept);
static_assert(std::is_trivially_copyable<sys::InterfaceEntry>::value, "InterfaceEntry is a value");
static_assert(std::is_same<sys::interface_visitor, bool (*)(void*, const sys::InterfaceEntry&) noexcept>::value,
              "interface_visitor is the contract's callback");
OUTLET_CONTRACT_CALL(list_interfaces, int (*)(sys::interface_visitor, void*) noexcept);
// --- Happy Eyeballs: racing connects, and name lookups with a deadline (#18) ------------
OUTLET_CONTRACT_CONSTANT(max_connect_waits, std::size_t);
OUTLET_CONTRACT_CONSTANT(has_async_resolve, bool);
OUTLET_CONTRACT_CONSTANT(lookups_can_time_out, bool);
OUTLET_CONTRACT_CALL(wait_connects, int (*)(sys::pollfd_type*, std::size_t, int) noexcept);
OUTLET_CONTRACT_CALL(resolve_name_within, int (*)(const char*, const addrinfo*, addrinfo**, int, bool&) noexcept);
OUTLET_CONTRACT_CALL(resolve_name_in_thread, int (*)(const char*, const addrinfo*, addrinfo**, int, bool&) noexcept);
OUTLET_CONTRACT_CALL(lookups_in_flight, long (*)() noexcept);

#undef OUTLET_CONTRACT_CALL
#undef OUTLET_CONTRACT_CONSTANT

}  // namespace

TEST_CASE("sys:: one-line calls behave as the OS calls they wrap", "[platform]") {
  // The types are checked above, at compile time; here a few calls run.
  REQUIRE(sys::ensure_started() == std::error_code());
  const handle h = sys::open_socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(h != sys::invalid_handle);
  const outlet::Address loopback = outlet::Address::loopback(outlet::Family::ipv4, 0);
  CHECK(sys::bind_socket(h, loopback.native(), loopback.native_size()) == 0);
  sockaddr_storage name{};
  auto len = static_cast<socklen>(sizeof name);
  REQUIRE(sys::local_name(h, reinterpret_cast<sockaddr*>(&name), &len) == 0);
  const outlet::Address bound = outlet::Address::from_native(reinterpret_cast<sockaddr*>(&name), len);
  CHECK(bound.ip() == "127.0.0.1");
  CHECK(bound.port() != 0);
  len = static_cast<socklen>(sizeof name);
  CHECK(sys::peer_name(h, reinterpret_cast<sockaddr*>(&name), &len) != 0);  // not connected
  CHECK(sys::to_error_code(sys::last_error()) == std::errc::not_connected);
  int type = 0;
  auto size = static_cast<socklen>(sizeof type);
  CHECK(sys::get_option(h, SOL_SOCKET, SO_TYPE, &type, &size) == 0);
  CHECK(type == SOCK_DGRAM);
  unsigned char ip[4] = {};
  CHECK(sys::text_to_ip(AF_INET, "10.1.2.3", ip) == 1);
  CHECK(ip[3] == 3);
  CHECK(sys::text_to_ip(AF_INET, "10.1.2", ip) == 0);
  char text[16] = {};
  CHECK(sys::ip_to_text(AF_INET, ip, text, static_cast<socklen>(sizeof text)));
  CHECK(std::string(text) == "10.1.2.3");
  CHECK_FALSE(sys::ip_to_text(AF_INET, ip, text, 4));  // too small
  CHECK(sys::close_socket(h) == 0);
}
