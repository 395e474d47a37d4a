// discovery: find each other on the local network without a server, the
// way a LAN game lobby does. Announcers multicast their name to a group;
// listeners join the group and print each announcer the first time they
// hear it.
//
//   discovery announce alice                    every second, until stopped
//   discovery listen                            prints "seen alice at 192.168.1.7:50123"
//   discovery listen --count 2 --timeout 10     stops after two, or gives up after 10 s
//   discovery listen --group [ff02::4242]:4242 --interface eth0     over IPv6
#include <outlet/outlet.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

using namespace std::chrono_literals;

namespace {

constexpr const char* usage =
    "usage: discovery announce NAME [options]   multicast NAME to the group, every --interval\n"
    "       discovery listen [options]          print each announcer the first time it is heard\n"
    "options:\n"
    "  --group ADDRESS:PORT  the multicast group (default 239.255.42.99:4242; IPv6: [ff02::4242]:4242;\n"
    "                        listen: port 0 picks a free port and prints it)\n"
    "  --interface NAME      the network interface (\"eth0\"; default: the one the OS routes the group by)\n"
    "  --interval MS         announce: milliseconds between announcements (default 1000)\n"
    "  --count N             announce: stop after N announcements; listen: after N announcers\n"
    "  --timeout SECONDS     listen: stop after this long (exit status 1 if --count was not reached)\n";

// What an announcement looks like on the wire: this prefix, then the name.
constexpr std::string_view magic = "outlet-discovery 1 ";

struct Options {
  std::string mode;
  std::string name;
  outlet::Address group = outlet::Address::ipv4("239.255.42.99", 4242);
  std::string interface_name;
  unsigned interface_index = 0;  // 0: the OS chooses
  long interval_ms = 1000;
  long count = 0;    // 0: no limit
  long timeout = 0;  // seconds; 0: no limit
};

// A whole number in [min, max], or exits with status 2 naming the option.
long number(std::string_view option, const char* text, long min, long max) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < min || value > max) {
    std::cerr << "discovery: " << option << " wants a number from " << min << " to " << max << ", not \"" << text
              << "\"\n";
    std::exit(2);
  }
  return value;
}

// Parses the command line; exits with status 2 (usage on stderr) if it is wrong.
Options parse(int argc, char* argv[]) {
  Options o;
  int i = 1;
  if (i < argc) o.mode = argv[i++];
  if (o.mode == "announce" && i < argc && argv[i][0] != '-') o.name = argv[i++];
  if ((o.mode != "announce" && o.mode != "listen") || (o.mode == "announce" && o.name.empty())) {
    std::cerr << usage;
    std::exit(2);
  }
  for (; i < argc; ++i) {
    const std::string_view option = argv[i];
    if (i + 1 == argc) {
      std::cerr << "discovery: " << option << " needs a value\n" << usage;
      std::exit(2);
    }
    const char* value = argv[++i];
    if (option == "--group") {
      o.group = outlet::Address::parse(value);  // throws, quoting the text, if it is not an address
      if (!o.group.is_multicast()) {
        std::cerr << "discovery: --group \"" << value << "\" is not a multicast address (224.0.0.0/4, ff00::/8)\n";
        std::exit(2);
      }
    } else if (option == "--interface") {
      o.interface_name = value;
    } else if (option == "--interval") {
      o.interval_ms = number(option, value, 1, 3600000);
    } else if (option == "--count") {
      o.count = number(option, value, 1, 1000000);
    } else if (option == "--timeout") {
      o.timeout = number(option, value, 1, 86400);
    } else {
      std::cerr << "discovery: unknown option \"" << option << "\"\n" << usage;
      std::exit(2);
    }
  }
  return o;
}

// Sends "outlet-discovery 1 NAME" to the group every interval.
int announce(const Options& o) {
  outlet::DatagramSocket socket(o.group.family());
  // Which interface the announcements leave by, if not the OS's choice;
  // hops (TTL) stay at 1: they never cross a router.
  if (o.interface_index != 0) socket.set_multicast_interface(o.interface_index);
  const std::string message = std::string(magic) + o.name;
  std::cout << "announcing " << o.name << " to " << o.group << std::endl;
  for (long sent = 0; o.count == 0 || sent < o.count; ++sent) {
    if (sent > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o.interval_ms));
    socket.send_to(message, o.group);
  }
  return 0;
}

// Joins the group and prints each new announcer until --count or --timeout.
int listen(const Options& o) {
  outlet::DatagramSocket socket(o.group.family());
  // Several listeners on one host share the port.
  socket.set_reuse_address(true);
  socket.bind(outlet::Address::any(o.group.family(), o.group.port()));
  socket.join_group(o.group, o.interface_index);
  std::cout << "listening on " << o.group.with_port(socket.local_address().port()) << std::endl;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout);
  std::set<std::string> seen;
  char buf[512];
  while (o.count == 0 || static_cast<long>(seen.size()) < o.count) {
    if (o.timeout != 0) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= 0s || !socket.wait_readable(left)) break;
    }
    outlet::Address from;
    const std::size_t n = socket.receive_from(buf, sizeof buf, from);
    const std::string_view text(buf, n);
    if (text.substr(0, magic.size()) != magic) continue;  // not ours: someone else uses this group
    const std::string name(text.substr(magic.size()));
    if (seen.insert(name).second) std::cout << "seen " << name << " at " << from << std::endl;
  }
  if (o.count != 0 && static_cast<long>(seen.size()) < o.count) {
    std::cerr << "discovery: heard " << seen.size() << " of " << o.count << " announcers within " << o.timeout
              << " s\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
  const std::string_view first = argc > 1 ? argv[1] : "";
  if (first == "-h" || first == "--help") {
    std::cout << usage;
    return 0;
  }
  Options options;
  try {
    options = parse(argc, argv);
    if (!options.interface_name.empty()) options.interface_index = outlet::interface_index(options.interface_name);
  } catch (const std::system_error& e) {
    std::cerr << "discovery: " << e.what() << '\n';
    return 2;
  }
  try {
    return options.mode == "announce" ? announce(options) : listen(options);
  } catch (const std::system_error& e) {
    std::cerr << "discovery: " << e.what() << '\n';  // e.g. join_group "10.0.0.1": is not a multicast address
    return 1;
  }
}
