// Minimal TCP echo server with outlet, for bench/header_cost.py.
// Binds 127.0.0.1:0, prints "listening on 127.0.0.1:<port>", accepts one
// client and echoes until it closes. echo_plain.cpp and echo_asio.cpp do
// the same with BSD calls and with Asio's synchronous API.
#include <outlet/outlet.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <system_error>

int main() {
  outlet::ServerSocket listener(outlet::Address::loopback(outlet::Family::ipv4, 0));
  std::string line = "listening on " + listener.local_address().to_string() + "\n";
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
  outlet::Socket client = listener.accept();
  const auto start = std::chrono::steady_clock::now();
  char buffer[4096];
  std::size_t total = 0;
  for (std::size_t n; (n = client.receive(buffer, sizeof buffer)) != 0; total += n) {
    client.send_all(buffer, n);
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::fprintf(stderr, "echoed %zu bytes in %.3f s\n", total, took.count());
}
