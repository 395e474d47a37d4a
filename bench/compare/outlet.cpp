// compare_bench, implementation "outlet": the same workloads written with
// outlet's Socket, ServerSocket and DatagramSocket as a user would: blocking,
// no timeouts set, the throwing forms.
#include "workloads.hpp"

#include <outlet/outlet.hpp>

#include <memory>

namespace compare {
namespace {

constexpr const char* impl_name = "outlet";

outlet::Address to_address(const Target& t) {
  switch (t.kind) {
    case Target::Kind::ipv4: return outlet::Address::ipv4(t.ip, t.port);
    case Target::Kind::ipv6: return outlet::Address::ipv6(t.ip, t.port);
    case Target::Kind::unix_path: break;
  }
  return outlet::Address::unix_domain(t.path);
}

Target to_target(const outlet::Address& a) {
  Target t;
  if (a.family() == outlet::Family::unix_domain) {
    t.kind = Target::Kind::unix_path;
    t.path = a.path();
    return t;
  }
  t.kind = a.family() == outlet::Family::ipv4 ? Target::Kind::ipv4 : Target::Kind::ipv6;
  t.ip = a.ip();
  t.port = a.port();
  return t;
}

bool is_tcp(const outlet::Address& a) noexcept { return a.family() != outlet::Family::unix_domain; }

// --- Servers ---------------------------------------------------------------

class StreamServer final : public Server {
public:
  StreamServer(Workload w, const Target& where) : workload_(w), listener_(to_address(where)) {}

  Target local() const override { return to_target(listener_.local_address()); }

  void serve(std::uint64_t sessions) override {
    const bool tcp = is_tcp(listener_.local_address());
    for (std::uint64_t s = 0; sessions == 0 || s < sessions; ++s) {
      outlet::Socket connection = listener_.accept();
      if (workload_ == Workload::accept) continue;  // accepted; closing it is the whole session
      if (tcp) connection.set_no_delay(true);
      if (workload_ == Workload::bulk)
        bulk_session(connection);
      else
        echo_session(connection);
    }
  }

private:
  void echo_session(outlet::Socket& connection) {
    unsigned char message[message_size];
    for (;;) {
      const std::size_t n = connection.receive_exact(message, sizeof message);
      if (n == 0) return;
      if (n != sizeof message) data_mismatch("server: peer closed inside a message", 0);
      connection.send_all(message, sizeof message);
    }
  }

  void bulk_session(outlet::Socket& connection) {
    auto buffer = std::make_unique<unsigned char[]>(chunk_size);
    std::uint64_t offset = 0;
    for (;;) {
      const std::size_t n = connection.receive(buffer.get(), chunk_size);
      if (n == 0) break;
      if (!bulk_piece_matches(buffer.get(), n, offset)) data_mismatch("server: bulk byte", offset);
      offset += n;
    }
    if (offset % chunk_size != 0) data_mismatch("server: not a whole number of chunks", offset);
    const unsigned char reply = bulk_reply(offset / chunk_size);
    connection.send_all(&reply, 1);
  }

  Workload workload_;
  outlet::ServerSocket listener_;
};

class DatagramServer final : public Server {
public:
  explicit DatagramServer(const Target& where) : socket_(to_address(where)) {}

  Target local() const override { return to_target(socket_.local_address()); }

  void serve(std::uint64_t sessions) override {
    unsigned char buffer[datagram_buffer_size];
    outlet::Address from;
    for (std::uint64_t s = 0; sessions == 0 || s < sessions;) {
      const std::size_t n = socket_.receive_from(buffer, sizeof buffer, from);
      if (n == 0) {  // the client's end-of-session datagram
        ++s;
        continue;
      }
      socket_.send_to(buffer, n, from);
    }
  }

private:
  outlet::DatagramSocket socket_;
};

// --- Clients ---------------------------------------------------------------

/// Connected, with TCP_NODELAY on TCP; shared by the ping-pong and bulk clients.
outlet::Socket connect_stream(const Target& peer) {
  const outlet::Address address = to_address(peer);
  outlet::Socket socket(address);
  if (is_tcp(address)) socket.set_no_delay(true);
  return socket;
}

class PingPongClient final : public Client {
public:
  explicit PingPongClient(const Target& peer) : socket_(connect_stream(peer)) {}

  void run(std::uint64_t n) override {
    unsigned char message[message_size] = {};
    unsigned char echo[message_size];
    for (std::uint64_t i = 0; i < n; ++i) {
      stamp(message, i);
      socket_.send_all(message, sizeof message);
      if (socket_.receive_exact(echo, sizeof echo) != sizeof echo) data_mismatch("peer closed early", i);
      if (!echo_matches(message, echo)) data_mismatch("echo differs", i);
    }
  }

private:
  outlet::Socket socket_;
};

class DatagramClient final : public Client {
public:
  explicit DatagramClient(const Target& peer) {
    const outlet::Address address = to_address(peer);
    socket_ = outlet::DatagramSocket(address.family());
    socket_.connect(address);
  }

  void run(std::uint64_t n) override {
    unsigned char message[message_size] = {};
    unsigned char echo[datagram_buffer_size];
    for (std::uint64_t i = 0; i < n; ++i) {
      stamp(message, i);
      if (socket_.send(message, sizeof message) != sizeof message) data_mismatch("datagram sent short", i);
      if (socket_.receive(echo, sizeof echo) != sizeof message) data_mismatch("echo has the wrong size", i);
      if (!echo_matches(message, echo)) data_mismatch("echo differs", i);
    }
  }

  void finish() override {
    const unsigned char none = 0;
    (void)socket_.send(&none, 0);
  }

private:
  outlet::DatagramSocket socket_;
};

/// The UDP server loop's client: an unconnected socket, send_to the server
/// and receive_from into an Address on every round trip.
class UnconnectedDatagramClient final : public Client {
public:
  explicit UnconnectedDatagramClient(const Target& peer) : peer_(to_address(peer)), socket_(peer_.family()) {}

  void run(std::uint64_t n) override {
    unsigned char message[message_size] = {};
    unsigned char echo[datagram_buffer_size];
    outlet::Address from;
    for (std::uint64_t i = 0; i < n; ++i) {
      stamp(message, i);
      if (socket_.send_to(message, sizeof message, peer_) != sizeof message) data_mismatch("datagram sent short", i);
      if (socket_.receive_from(echo, sizeof echo, from) != sizeof message) data_mismatch("echo has the wrong size", i);
      if (!echo_matches(message, echo)) data_mismatch("echo differs", i);
    }
  }

  void finish() override {
    const unsigned char none = 0;
    (void)socket_.send_to(&none, 0, peer_);
  }

private:
  outlet::Address peer_;
  outlet::DatagramSocket socket_;
};

class BulkClient final : public Client {
public:
  explicit BulkClient(const Target& peer)
      : socket_(connect_stream(peer)), chunk_(std::make_unique<unsigned char[]>(chunk_size)) {
    fill_bulk_chunk(chunk_.get());
  }

  void run(std::uint64_t n) override {
    for (std::uint64_t i = 0; i < n; ++i) socket_.send_all(chunk_.get(), chunk_size);
    socket_.shutdown(outlet::Shutdown::send);
    unsigned char reply = 0;
    if (socket_.receive_exact(&reply, 1) != 1) data_mismatch("no reply", n);
    if (reply != bulk_reply(n)) data_mismatch("server counted other chunks", n);
  }

private:
  outlet::Socket socket_;
  std::unique_ptr<unsigned char[]> chunk_;
};

/// A new connection per operation; no data flows, so no TCP_NODELAY.
class AcceptClient final : public Client {
public:
  explicit AcceptClient(const Target& peer) : peer_(to_address(peer)) {}

  void run(std::uint64_t n) override {
    for (std::uint64_t i = 0; i < n; ++i) {
      outlet::Socket socket(peer_);
      unsigned char byte;
      if (socket.receive(&byte, 1) != 0) data_mismatch("data instead of EOF", i);
    }
  }

private:
  outlet::Address peer_;
};

std::unique_ptr<Server> make_server(Workload w, const Target& where) {
  if (is_datagram(w)) return std::make_unique<DatagramServer>(where);
  return std::make_unique<StreamServer>(w, where);
}

std::unique_ptr<Client> make_client(Workload w, const Target& peer) {
  switch (w) {
    case Workload::udp: return std::make_unique<DatagramClient>(peer);
    case Workload::udp_server: return std::make_unique<UnconnectedDatagramClient>(peer);
    case Workload::bulk: return std::make_unique<BulkClient>(peer);
    case Workload::accept: return std::make_unique<AcceptClient>(peer);
    default: return std::make_unique<PingPongClient>(peer);
  }
}

}  // namespace

const Implementation& outlet_implementation() {
  static const Implementation impl{impl_name, make_server, make_client};
  return impl;
}

}  // namespace compare
