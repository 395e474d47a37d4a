// compare_bench, implementation "asio": the same workloads written with
// standalone Asio's synchronous API: one io_context per side, blocking
// sockets (Asio's default), asio::read / asio::write / read_some, and the
// throwing forms, except where end of stream is the expected outcome (the
// error_code form then tells EOF from a failure, as in Asio's own blocking
// echo example).
#include "workloads.hpp"

#include <asio.hpp>

#include <memory>
#include <string>
#include <system_error>
#include <type_traits>

namespace compare {
namespace {

constexpr const char* impl_name = "asio";

using asio::ip::tcp;
using asio::ip::udp;
using unix_stream = asio::local::stream_protocol;

template <class Protocol>
typename Protocol::endpoint to_endpoint(const Target& t) {
  if constexpr (std::is_same_v<Protocol, unix_stream>) {
    return unix_stream::endpoint(t.path);
  } else {
    return typename Protocol::endpoint(asio::ip::make_address(t.ip), t.port);
  }
}

template <class Endpoint>
Target to_target(const Endpoint& e) {
  Target t;
  if constexpr (std::is_same_v<Endpoint, unix_stream::endpoint>) {
    t.kind = Target::Kind::unix_path;
    t.path = e.path();
  } else {
    t.kind = e.address().is_v4() ? Target::Kind::ipv4 : Target::Kind::ipv6;
    t.ip = e.address().to_string();
    t.port = e.port();
  }
  return t;
}

template <class Socket>
void set_no_delay_if_tcp(Socket& socket) {
  if constexpr (std::is_same_v<typename Socket::protocol_type, tcp>) socket.set_option(tcp::no_delay(true));
}

// --- Servers ---------------------------------------------------------------

template <class Protocol>
class StreamServer final : public Server {
public:
  StreamServer(Workload w, const Target& where) : workload_(w), acceptor_(io_, to_endpoint<Protocol>(where)) {}

  Target local() const override { return to_target(acceptor_.local_endpoint()); }

  void serve(std::uint64_t sessions) override {
    for (std::uint64_t s = 0; sessions == 0 || s < sessions; ++s) {
      auto connection = acceptor_.accept();
      if (workload_ == Workload::accept) continue;  // accepted; closing it is the whole session
      set_no_delay_if_tcp(connection);
      if (workload_ == Workload::bulk)
        bulk_session(connection);
      else
        echo_session(connection);
    }
  }

private:
  template <class Socket>
  void echo_session(Socket& connection) {
    unsigned char message[message_size];
    for (;;) {
      std::error_code ec;
      const std::size_t n = asio::read(connection, asio::buffer(message), ec);
      if (ec == asio::error::eof && n == 0) return;
      if (ec) throw std::system_error(ec, "read");
      asio::write(connection, asio::buffer(message));
    }
  }

  template <class Socket>
  void bulk_session(Socket& connection) {
    auto buffer = std::make_unique<unsigned char[]>(chunk_size);
    std::uint64_t offset = 0;
    for (;;) {
      std::error_code ec;
      const std::size_t n = connection.read_some(asio::buffer(buffer.get(), chunk_size), ec);
      if (ec == asio::error::eof) break;
      if (ec) throw std::system_error(ec, "read_some");
      if (!bulk_piece_matches(buffer.get(), n, offset)) data_mismatch("server: bulk byte", offset);
      offset += n;
    }
    if (offset % chunk_size != 0) data_mismatch("server: not a whole number of chunks", offset);
    const unsigned char reply = bulk_reply(offset / chunk_size);
    asio::write(connection, asio::buffer(&reply, 1));
  }

  Workload workload_;
  asio::io_context io_{1};
  typename Protocol::acceptor acceptor_;
};

class DatagramServer final : public Server {
public:
  explicit DatagramServer(const Target& where) : socket_(io_, to_endpoint<udp>(where)) {}

  Target local() const override { return to_target(socket_.local_endpoint()); }

  void serve(std::uint64_t sessions) override {
    unsigned char buffer[datagram_buffer_size];
    udp::endpoint from;
    for (std::uint64_t s = 0; sessions == 0 || s < sessions;) {
      const std::size_t n = socket_.receive_from(asio::buffer(buffer), from);
      if (n == 0) {  // the client's end-of-session datagram
        ++s;
        continue;
      }
      socket_.send_to(asio::buffer(buffer, n), from);
    }
  }

private:
  asio::io_context io_{1};
  udp::socket socket_;
};

// --- Clients ---------------------------------------------------------------

template <class Protocol>
class PingPongClient final : public Client {
public:
  explicit PingPongClient(const Target& peer) {
    socket_.connect(to_endpoint<Protocol>(peer));
    set_no_delay_if_tcp(socket_);
  }

  void run(std::uint64_t n) override {
    unsigned char message[message_size] = {};
    unsigned char echo[message_size];
    for (std::uint64_t i = 0; i < n; ++i) {
      stamp(message, i);
      asio::write(socket_, asio::buffer(message));
      asio::read(socket_, asio::buffer(echo));  // throws asio::error::eof if the peer closed early
      if (!echo_matches(message, echo)) data_mismatch("echo differs", i);
    }
  }

private:
  asio::io_context io_{1};
  typename Protocol::socket socket_{io_};
};

class DatagramClient final : public Client {
public:
  explicit DatagramClient(const Target& peer) { socket_.connect(to_endpoint<udp>(peer)); }

  void run(std::uint64_t n) override {
    unsigned char message[message_size] = {};
    unsigned char echo[datagram_buffer_size];
    for (std::uint64_t i = 0; i < n; ++i) {
      stamp(message, i);
      if (socket_.send(asio::buffer(message)) != sizeof message) data_mismatch("datagram sent short", i);
      if (socket_.receive(asio::buffer(echo)) != sizeof message) data_mismatch("echo has the wrong size", i);
      if (!echo_matches(message, echo)) data_mismatch("echo differs", i);
    }
  }

  void finish() override {
    unsigned char none = 0;
    socket_.send(asio::buffer(&none, 0));
  }

private:
  asio::io_context io_{1};
  udp::socket socket_{io_};
};

/// The UDP server loop's client: an unconnected socket, send_to the server
/// and receive_from into an endpoint on every round trip.
class UnconnectedDatagramClient final : public Client {
public:
  explicit UnconnectedDatagramClient(const Target& peer) : peer_(to_endpoint<udp>(peer)) {
    socket_.open(peer_.protocol());
  }

  void run(std::uint64_t n) override {
    unsigned char message[message_size] = {};
    unsigned char echo[datagram_buffer_size];
    udp::endpoint from;
    for (std::uint64_t i = 0; i < n; ++i) {
      stamp(message, i);
      if (socket_.send_to(asio::buffer(message), peer_) != sizeof message) data_mismatch("datagram sent short", i);
      if (socket_.receive_from(asio::buffer(echo), from) != sizeof message) data_mismatch("echo has the wrong size", i);
      if (!echo_matches(message, echo)) data_mismatch("echo differs", i);
    }
  }

  void finish() override {
    unsigned char none = 0;
    socket_.send_to(asio::buffer(&none, 0), peer_);
  }

private:
  asio::io_context io_{1};
  udp::endpoint peer_;
  udp::socket socket_{io_};
};

template <class Protocol>
class BulkClient final : public Client {
public:
  explicit BulkClient(const Target& peer) : chunk_(std::make_unique<unsigned char[]>(chunk_size)) {
    socket_.connect(to_endpoint<Protocol>(peer));
    set_no_delay_if_tcp(socket_);
    fill_bulk_chunk(chunk_.get());
  }

  void run(std::uint64_t n) override {
    for (std::uint64_t i = 0; i < n; ++i) asio::write(socket_, asio::buffer(chunk_.get(), chunk_size));
    socket_.shutdown(Protocol::socket::shutdown_send);
    unsigned char reply = 0;
    asio::read(socket_, asio::buffer(&reply, 1));  // throws asio::error::eof if there is none
    if (reply != bulk_reply(n)) data_mismatch("server counted other chunks", n);
  }

private:
  asio::io_context io_{1};
  typename Protocol::socket socket_{io_};
  std::unique_ptr<unsigned char[]> chunk_;
};

/// A new connection per operation; no data flows, so no TCP_NODELAY.
template <class Protocol>
class AcceptClient final : public Client {
public:
  explicit AcceptClient(const Target& peer) : peer_(to_endpoint<Protocol>(peer)) {}

  void run(std::uint64_t n) override {
    for (std::uint64_t i = 0; i < n; ++i) {
      typename Protocol::socket socket(io_);
      socket.connect(peer_);
      unsigned char byte;
      std::error_code ec;
      socket.read_some(asio::buffer(&byte, 1), ec);
      if (!ec) data_mismatch("data instead of EOF", i);
      if (ec != asio::error::eof) throw std::system_error(ec, "read_some");
    }
  }

private:
  asio::io_context io_{1};
  typename Protocol::endpoint peer_;
};

template <template <class> class Stream>
std::unique_ptr<Client> make_stream_client(const Target& peer) {
  if (peer.kind == Target::Kind::unix_path) return std::make_unique<Stream<unix_stream>>(peer);
  return std::make_unique<Stream<tcp>>(peer);
}

std::unique_ptr<Server> make_server(Workload w, const Target& where) {
  if (is_datagram(w)) return std::make_unique<DatagramServer>(where);
  if (where.kind == Target::Kind::unix_path) return std::make_unique<StreamServer<unix_stream>>(w, where);
  return std::make_unique<StreamServer<tcp>>(w, where);
}

std::unique_ptr<Client> make_client(Workload w, const Target& peer) {
  switch (w) {
    case Workload::udp: return std::make_unique<DatagramClient>(peer);
    case Workload::udp_server: return std::make_unique<UnconnectedDatagramClient>(peer);
    case Workload::bulk: return make_stream_client<BulkClient>(peer);
    case Workload::accept: return make_stream_client<AcceptClient>(peer);
    default: return make_stream_client<PingPongClient>(peer);
  }
}

}  // namespace

const Implementation& asio_implementation() {
  static const Implementation impl{impl_name, make_server, make_client};
  return impl;
}

std::string asio_version() {
  return std::to_string(ASIO_VERSION / 100000) + "." + std::to_string(ASIO_VERSION / 100 % 1000) + "." +
         std::to_string(ASIO_VERSION % 100);
}

}  // namespace compare
