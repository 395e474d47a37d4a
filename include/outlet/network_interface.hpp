// outlet — NetworkInterface, interface_index() and interfaces(): the
// machine's network interfaces, by name and index, for multicast
// (DatagramSocket::join_group) and IPv6 scope ids.
#ifndef OUTLET_NETWORK_INTERFACE_HPP
#define OUTLET_NETWORK_INTERFACE_HPP

#include <outlet/address.hpp>
#include <outlet/error.hpp>

#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

/// One network interface, as interfaces() lists it.
struct NetworkInterface {
  /// Its name: "lo", "eth0"; on Windows the name if_nametoindex() takes
  /// ("loopback_0", "ethernet_32768"), not the adapter's friendly name.
  std::string name;
  /// Its index: what DatagramSocket::join_group() and
  /// set_multicast_interface() take, and an IPv6 address's scope id.
  unsigned index = 0;
  /// Its IPv4 and IPv6 addresses, each with port 0 (link-local IPv6 ones
  /// carry the interface as their scope id); empty if it has none.
  std::vector<Address> addresses;
  /// IFF_UP (Windows: the adapter's operational status is "up").
  bool up = false;
  /// IFF_LOOPBACK (Windows: a software loopback adapter).
  bool loopback = false;
  /// IFF_MULTICAST: the interface can send and receive multicast.
  bool multicast = false;
};

/// if_nametoindex(): the index of the interface called `name` ("lo",
/// "eth0"). An unknown name fails with std::errc::no_such_device; an
/// empty one, or one with a NUL byte, with invalid_argument. Errors quote
/// the name.
[[nodiscard]] unsigned interface_index(std::string_view name);
[[nodiscard]] unsigned interface_index(std::string_view name, std::error_code& ec) noexcept;

/// if_indextoname(): the name of the interface with `index`. An unknown
/// index fails with std::errc::no_such_device (what() quotes the index).
[[nodiscard]] std::string interface_name(unsigned index);
[[nodiscard]] std::string interface_name(unsigned index, std::error_code& ec) noexcept;

/// Every network interface with its index, IP addresses and flags, in the
/// order the OS lists them: getifaddrs() on POSIX, GetAdaptersAddresses()
/// on Windows.
[[nodiscard]] std::vector<NetworkInterface> interfaces();
[[nodiscard]] std::vector<NetworkInterface> interfaces(std::error_code& ec) noexcept;

// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES

namespace detail {

OUTLET_DETAIL_DEF std::error_code no_such_device() noexcept { return std::make_error_code(std::errc::no_such_device); }

/// Why `name` cannot name an interface (nullptr if it may), and its index
/// in `index` (0: no such interface).
OUTLET_DETAIL_DEF const char* find_interface(std::string_view name, unsigned& index) noexcept {
  index = 0;
  if (name.empty()) return "is an empty interface name";
  if (has_nul(name)) return "contains a NUL byte";
  char buf[sys::interface_name_size + 1];
  if (copy_c_string(name, buf)) index = sys::interface_index(buf);  // a longer name names nothing
  return nullptr;
}

/// Collects sys::list_interfaces()' entries into NetworkInterface values,
/// one per interface name.
struct InterfaceCollector {
  std::vector<NetworkInterface>* out;
  bool out_of_memory = false;

  static bool visit(void* context, const sys::InterfaceEntry& entry) noexcept {
    auto* self = static_cast<InterfaceCollector*>(context);
    try {
      self->add(entry);
      return true;
    } catch (const std::bad_alloc&) {
      self->out_of_memory = true;
      return false;
    }
  }

  void add(const sys::InterfaceEntry& entry) {
    NetworkInterface* found = nullptr;
    for (NetworkInterface& i : *out) {
      if (i.name == entry.name) found = &i;
    }
    if (found == nullptr) {
      out->push_back(NetworkInterface{entry.name, entry.index, {}, entry.up, entry.loopback, entry.multicast});
      found = &out->back();
    }
    if (entry.address == nullptr) return;
    std::error_code ignored;  // a name outlet cannot hold is left out
    const Address a = Address::from_native(entry.address, entry.address_size, ignored).with_port(0);
    if (!a.empty()) found->addresses.push_back(a);
  }
};

OUTLET_DETAIL_DEF std::error_code list_interfaces(std::vector<NetworkInterface>& out) noexcept {
  if (std::error_code ec = sys::ensure_started()) return ec;
  InterfaceCollector collector{&out};
  if (sys::list_interfaces(&InterfaceCollector::visit, &collector) != 0) return last_error_code();
  if (collector.out_of_memory) return std::make_error_code(std::errc::not_enough_memory);
  return {};
}

}  // namespace detail

OUTLET_DETAIL_DEF unsigned interface_index(std::string_view name, std::error_code& ec) noexcept {
  unsigned index = 0;
  if (detail::find_interface(name, index) != nullptr) {
    ec = detail::invalid_argument();
  } else {
    ec = index != 0 ? std::error_code{} : detail::no_such_device();
  }
  return index;
}
OUTLET_DETAIL_DEF unsigned interface_index(std::string_view name) {
  unsigned index = 0;
  if (const char* why = detail::find_interface(name, index)) detail::throw_invalid("interface_index", name, why);
  if (index == 0)
    detail::throw_error(detail::no_such_device(), detail::Text().add("interface_index ").add_quoted(name));
  return index;
}

OUTLET_DETAIL_DEF std::string interface_name(unsigned index, std::error_code& ec) noexcept {
  char buf[detail::sys::interface_name_size + 1] = {};
  if (index == 0 || !detail::sys::interface_name(index, buf)) {
    ec = detail::no_such_device();
    return {};
  }
  try {
    std::string name(buf);
    ec.clear();
    return name;
  } catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
    return {};
  }
}
OUTLET_DETAIL_DEF std::string interface_name(unsigned index) {
  std::error_code ec;
  std::string name = interface_name(index, ec);
  if (ec) detail::throw_error(ec, detail::Text().add("interface_name ").add_unsigned(index));
  return name;
}

OUTLET_DETAIL_DEF std::vector<NetworkInterface> interfaces(std::error_code& ec) noexcept {
  std::vector<NetworkInterface> out;
  ec = detail::list_interfaces(out);
  if (ec) out.clear();
  return out;
}
OUTLET_DETAIL_DEF std::vector<NetworkInterface> interfaces() {
  std::vector<NetworkInterface> out;
  detail::throw_if(detail::list_interfaces(out), "interfaces");
  return out;
}

#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_NETWORK_INTERFACE_HPP
