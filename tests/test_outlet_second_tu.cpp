// The second translation unit of the ODR test (see test_outlet.cpp): it
// includes <outlet/outlet.hpp> too, and reports the addresses of outlet's
// inline objects and runs a TCP echo, all compiled here.
#include <outlet/outlet.hpp>

#include "test_outlet_second_tu.hpp"

#include <chrono>
#include <cstddef>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

namespace outlet_second_tu {

const std::error_category* resolve_category_object() { return &outlet::resolve_category(); }

outlet::detail::FaultHook* fault_hook_variable() { return &outlet::detail::fault_hook; }

outlet::detail::FaultHook installed_fault_hook() { return outlet::detail::fault_hook; }

const char* version_string() { return OUTLET_VERSION_STRING; }

std::error_code resolve_error(int code) { return {code, outlet::resolve_category()}; }

std::string tcp_echo(const outlet::Address& listen_on, std::string_view payload) {
  // Generous limits only so a broken build fails instead of hanging.
  const std::chrono::seconds limit(30);
  outlet::ServerSocket server(listen_on);
  std::exception_ptr echo_error;
  // The echo side: read until the client shuts down its sending half, send everything back.
  std::thread echo([&] {
    try {
      outlet::Socket peer = server.accept(limit);
      peer.set_receive_timeout(limit);
      peer.set_send_timeout(limit);
      char buf[4096];
      for (;;) {
        const std::size_t n = peer.receive(buf, sizeof buf);
        if (n == 0) break;
        peer.send_all(buf, n);
      }
      peer.close();
    } catch (...) {
      echo_error = std::current_exception();
    }
  });
  std::string back;
  try {
    outlet::Socket client(server.local_address(), limit);
    client.set_receive_timeout(limit);
    client.set_send_timeout(limit);
    client.send_all(payload);
    client.shutdown(outlet::Shutdown::send);
    char buf[4096];
    for (;;) {
      const std::size_t n = client.receive(buf, sizeof buf);
      if (n == 0) break;
      back.append(buf, n);
    }
  } catch (...) {
    echo.join();  // bounded: its accept, sends and receives time out
    throw;
  }
  echo.join();
  if (echo_error) std::rethrow_exception(echo_error);
  return back;
}

}  // namespace outlet_second_tu
