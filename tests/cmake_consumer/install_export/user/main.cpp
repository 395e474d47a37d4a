// With MSVC, outlet's #pragma comment(lib) would link ws2_32 whatever the
// package says; turn it off so the test proves outlet::outlet carries it.
#define OUTLET_NO_PRAGMA_LIB 1
#include <netapp.hpp>

#include <cstdio>

int main() {
  const std::string reply = netapp::echo_once("through netapp");
  std::printf("consumer: netapp echoed '%s' with outlet %s\n", reply.c_str(), OUTLET_VERSION_STRING);
  return reply == "through netapp" ? 0 : 1;
}
