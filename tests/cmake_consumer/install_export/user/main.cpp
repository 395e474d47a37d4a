#include <netapp.hpp>

#include <cstdio>

int main() {
  const std::string reply = netapp::echo_once("through netapp");
  std::printf("consumer: netapp echoed '%s' with outlet %s\n", reply.c_str(), OUTLET_VERSION_STRING);
  return reply == "through netapp" ? 0 : 1;
}
