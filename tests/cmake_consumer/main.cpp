// The program every consumer project builds: a TCP round trip over loopback,
// which needs the headers, C++17 and (on Windows) ws2_32 from outlet::outlet.
// With MSVC, outlet's #pragma comment(lib) would link ws2_32 whatever the
// package says; turn it off so the test proves outlet::outlet carries it.
#define OUTLET_NO_PRAGMA_LIB 1
#include <outlet/outlet.hpp>

#include <cstdio>
#include <cstring>
#include <string>

int main() {
  outlet::ServerSocket server(outlet::Address::loopback(outlet::Family::ipv4, 0));
  outlet::Socket client(server.local_address());
  outlet::Socket accepted = server.accept();
  client.send_all("ping");
  char reply[4] = {};
  if (accepted.receive_exact(reply, sizeof reply) != sizeof reply || std::memcmp(reply, "ping", 4) != 0) {
    std::puts("consumer: the round trip lost data");
    return 1;
  }
#ifdef CONSUMER_EXPECTED_VERSION
  // The version the CMake package reported must be the one the headers say.
  if (std::string(OUTLET_VERSION_STRING) != CONSUMER_EXPECTED_VERSION) {
    std::printf("consumer: headers say %s, the package said %s\n", OUTLET_VERSION_STRING, CONSUMER_EXPECTED_VERSION);
    return 1;
  }
#endif  // CONSUMER_EXPECTED_VERSION
  std::printf("consumer: outlet %s round trip ok on %s\n", OUTLET_VERSION_STRING,
              server.local_address().to_string().c_str());
  return 0;
}
