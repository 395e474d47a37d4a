// asio_echo_server: the reference side of the load benchmark (run_load.py).
// The idiomatic Asio echo server: one io_context run by one thread,
// async_accept, then per connection async_read_some -> async_write -> again.
//
//   asio_echo_server                  listens on 127.0.0.1:7000
//   asio_echo_server 127.0.0.1:0      port 0: the OS picks a free port
//   asio_echo_server [::1]:7000       IPv6
//
// The command line of examples/tcp_echo_server (TCP addresses only): prints
// "listening on <address>" (real port) first, serves until SIGINT/SIGTERM,
// then exits 0.
// Standalone Asio (Debian's libasio-dev): no Boost.
#include <asio.hpp>

#include <array>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace {

using asio::ip::tcp;

// Each connection owns its buffer (a read in flight writes into it); 1 KiB
// as in Asio's own echo example. The benchmark's messages are 64 B.
constexpr std::size_t buffer_size = 1024;

// One connection; it lives as long as an operation holds a shared_ptr to it.
class Session : public std::enable_shared_from_this<Session> {
public:
  explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}

  void start() { read(); }

private:
  void read() {
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](std::error_code ec, std::size_t n) {
      if (!ec) self->write(n);  // EOF or an error: drop the session
    });
  }

  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(buffer_.data(), n),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }

  tcp::socket socket_;
  std::array<char, buffer_size> buffer_{};
};

// Accepts forever; each new connection becomes a Session.
void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](std::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // the acceptor was closed: stopping
    if (ec) {
      std::cerr << "asio_echo_server: accept: " << ec.message() << '\n';
    } else {
      std::make_shared<Session>(std::move(socket))->start();
    }
    accept(acceptor);
  });
}

// "host:port" or "[v6host]:port" -> endpoint; throws std::system_error or
// std::invalid_argument / std::out_of_range on bad input.
tcp::endpoint parse_endpoint(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) throw std::invalid_argument("expected host:port");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const unsigned long port = std::stoul(text.substr(colon + 1));
  if (port > 65535) throw std::out_of_range("port");
  return {asio::ip::make_address(host), static_cast<std::uint16_t>(port)};
}

}  // namespace

int main(int argc, char* argv[]) {
  if (argc > 2) {
    std::cerr << "usage: asio_echo_server [host:port]   (default 127.0.0.1:7000)\n";
    return 2;
  }
  const std::string text = argc == 2 ? argv[1] : "127.0.0.1:7000";
  tcp::endpoint endpoint;
  try {
    endpoint = parse_endpoint(text);
  } catch (const std::exception& e) {
    std::cerr << "asio_echo_server: bad address '" << text << "': " << e.what() << '\n';
    return 2;
  }

  try {
    // Concurrency hint 1: only this thread runs the io_context, so Asio may
    // skip some locking. It is the fair setting against a one-thread server.
    asio::io_context io(1);
    tcp::acceptor acceptor(io, endpoint);  // open + SO_REUSEADDR + bind + listen(SOMAXCONN)

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code, int) {
      acceptor.close();
      io.stop();  // open sessions are destroyed with the io_context
    });

    std::cout << "listening on " << acceptor.local_endpoint() << std::endl;
    accept(acceptor);
    io.run();
  } catch (const std::system_error& e) {
    std::cerr << "asio_echo_server: " << e.what() << '\n';  // e.g. bind: Address already in use
    return 1;
  }
  return 0;
}
