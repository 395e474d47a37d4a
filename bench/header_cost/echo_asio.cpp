// Minimal TCP echo server with standalone Asio's synchronous API, for
// bench/header_cost.py. Binds 127.0.0.1:0, prints "listening on
// 127.0.0.1:<port>", accepts one client and echoes until it closes.
// echo_plain.cpp and echo_outlet.cpp do the same with BSD calls and outlet.
#include <asio.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <system_error>

int main() {
  asio::io_context io;
  asio::ip::tcp::acceptor listener(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::string line = "listening on 127.0.0.1:" + std::to_string(listener.local_endpoint().port()) + "\n";
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
  asio::ip::tcp::socket client = listener.accept();
  const auto start = std::chrono::steady_clock::now();
  char buffer[4096];
  std::size_t total = 0;
  for (;;) {
    std::error_code ec;
    std::size_t n = client.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::eof) break;
    if (ec) throw std::system_error(ec, "read_some");
    asio::write(client, asio::buffer(buffer, n));
    total += n;
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::fprintf(stderr, "echoed %zu bytes in %.3f s\n", total, took.count());
}
