// With MSVC, outlet's #pragma comment(lib) would link ws2_32 whatever the
// package says; turn it off so the test proves outlet::outlet carries it.
#define OUTLET_NO_PRAGMA_LIB 1
#include "netapp.hpp"

namespace netapp {
std::string echo_once(const std::string& text) {
  outlet::ServerSocket server(outlet::Address::loopback(outlet::Family::ipv4, 0));
  outlet::Socket client(server.local_address());
  outlet::Socket accepted = server.accept();
  client.send_all(text);
  std::string received(text.size(), '\0');
  received.resize(accepted.receive_exact(&received[0], received.size()));
  return received;
}
}  // namespace netapp
