// Minimal TCP echo server with BSD calls, for bench/header_cost.py.
// Binds 127.0.0.1:0, prints "listening on 127.0.0.1:<port>", accepts one
// client and echoes until it closes. echo_outlet.cpp and echo_asio.cpp do
// the same with outlet and with Asio's synchronous API.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <system_error>

static void check(long result, const char* what) {
  if (result < 0) throw std::system_error(errno, std::system_category(), what);
}

int main() {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(listener, "socket");
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof local;
  check(::bind(listener, reinterpret_cast<sockaddr*>(&local), sizeof local), "bind");
  check(::listen(listener, SOMAXCONN), "listen");
  check(::getsockname(listener, reinterpret_cast<sockaddr*>(&local), &size), "getsockname");
  std::string line = "listening on 127.0.0.1:" + std::to_string(ntohs(local.sin_port)) + "\n";
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
  int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  check(client, "accept");
  const auto start = std::chrono::steady_clock::now();
  char buffer[4096];
  std::size_t total = 0;
  for (ssize_t n; (n = ::recv(client, buffer, sizeof buffer, 0)) != 0; total += static_cast<std::size_t>(n)) {
    check(n, "recv");
    for (ssize_t sent = 0, m; sent < n; sent += m) {  // send() may take part of it
      m = ::send(client, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
      check(m, "send");
    }
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::fprintf(stderr, "echoed %zu bytes in %.3f s\n", total, took.count());
  ::close(client);
  ::close(listener);
}
