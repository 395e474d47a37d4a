// Uses the installed outlet the way an application would: a listener on
// 127.0.0.1 (port 0: the OS picks one), a client connected to it, one byte
// each way. No thread is needed: the OS completes the connection into the
// listener's backlog before accept() is called.
#include <outlet/outlet.hpp>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>

int main() {
  try {
    outlet::ServerSocket server(outlet::Address::parse("127.0.0.1:0"));
    outlet::Socket client(server.local_address());
    outlet::Socket peer = server.accept(std::chrono::seconds(10));

    client.send_all("o");
    char request = 0;
    if (peer.receive_exact(&request, 1) != 1 || request != 'o') {
      std::cerr << "test_package: the server did not receive the byte the client sent\n";
      return EXIT_FAILURE;
    }
    peer.send_all("k");
    char reply = 0;
    if (client.receive_exact(&reply, 1) != 1 || reply != 'k') {
      std::cerr << "test_package: the client did not receive the server's reply\n";
      return EXIT_FAILURE;
    }

    std::cout << "outlet " << OUTLET_VERSION_STRING << ": sent '" << request << "' and got '" << reply << "' back over "
              << server.local_address() << "\n";
    return EXIT_SUCCESS;
  } catch (const std::exception& e) {
    std::cerr << "test_package: " << e.what() << "\n";
    return EXIT_FAILURE;
  }
}
