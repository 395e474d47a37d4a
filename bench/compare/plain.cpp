// compare_bench, implementation "plain": what a careful C++ programmer
// writes with the BSD calls directly. Blocking sockets created with
// SOCK_CLOEXEC, send(MSG_NOSIGNAL), loops for partial writes and reads,
// EINTR retried, every failure thrown as std::system_error with errno.
#include "workloads.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

namespace compare {
namespace {

constexpr const char* impl_name = "plain";

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::system_category(), what); }

/// Owns one descriptor; closes it once, ignoring the result (as close(2)
/// advises: never retry close on EINTR).
class Fd {
public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

private:
  int fd_;
};

int open_socket(int family, int type) {
  const int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  return fd;
}

/// A sockaddr of any family, with its length.
struct NativeAddress {
  sockaddr_storage storage{};
  socklen_t size = 0;
  int family() const noexcept { return storage.ss_family; }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
};

NativeAddress to_native(const Target& t) {
  NativeAddress a;
  if (t.kind == Target::Kind::unix_path) {
    auto* un = reinterpret_cast<sockaddr_un*>(&a.storage);
    if (t.path.size() >= sizeof un->sun_path) throw std::invalid_argument("Unix path too long: " + t.path);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, t.path.c_str(), t.path.size() + 1);
    a.size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + t.path.size() + 1);
  } else if (t.kind == Target::Kind::ipv4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(t.port);
    if (::inet_pton(AF_INET, t.ip.c_str(), &in->sin_addr) != 1)
      throw std::invalid_argument("not an IPv4 address: " + t.ip);
    a.size = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(t.port);
    if (::inet_pton(AF_INET6, t.ip.c_str(), &in6->sin6_addr) != 1)
      throw std::invalid_argument("not an IPv6 address: " + t.ip);
    a.size = sizeof(sockaddr_in6);
  }
  return a;
}

/// getsockname() as a Target.
Target local_target(int fd) {
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &size) != 0) throw_errno("getsockname");
  Target t;
  char text[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&storage);
    t.kind = Target::Kind::unix_path;
    t.path = un->sun_path;
  } else if (storage.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    t.kind = Target::Kind::ipv4;
    t.port = ntohs(in->sin_port);
    t.ip = ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
  } else {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    t.kind = Target::Kind::ipv6;
    t.port = ntohs(in6->sin6_port);
    t.ip = ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  }
  return t;
}

void set_no_delay(int fd) {
  const int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) throw_errno("setsockopt(TCP_NODELAY)");
}

void set_no_delay_if_tcp(int fd, int family) {
  if (family != AF_UNIX) set_no_delay(fd);
}

void connect_to(int fd, const NativeAddress& peer) {
  if (::connect(fd, peer.get(), peer.size) != 0) throw_errno("connect");
}

/// send() until every byte is gone.
void send_all(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("send");
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
}

/// One recv(), retried on EINTR; 0 means the peer closed.
std::size_t receive_some(int fd, void* data, std::size_t size) {
  for (;;) {
    const ssize_t n = ::recv(fd, data, size, 0);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw_errno("recv");
  }
}

/// recv() until `size` bytes arrived, or fewer only if the peer closed.
std::size_t receive_exact(int fd, void* data, std::size_t size) {
  auto* bytes = static_cast<unsigned char*>(data);
  std::size_t got = 0;
  while (got < size) {
    const std::size_t n = receive_some(fd, bytes + got, size - got);
    if (n == 0) break;
    got += n;
  }
  return got;
}

/// accept4() with SOCK_CLOEXEC, retried on EINTR.
int accept_one(int listener) {
  for (;;) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno != EINTR) throw_errno("accept");
  }
}

// --- Servers ---------------------------------------------------------------

class StreamServer final : public Server {
public:
  StreamServer(Workload w, const Target& where) : workload_(w), listener_(open_socket(family_of(where), SOCK_STREAM)) {
    const NativeAddress local = to_native(where);
    const int on = 1;
    if (::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
      throw_errno("setsockopt(SO_REUSEADDR)");
    if (::bind(listener_.get(), local.get(), local.size) != 0) throw_errno("bind");
    if (::listen(listener_.get(), SOMAXCONN) != 0) throw_errno("listen");
    family_ = local.family();
  }

  Target local() const override { return local_target(listener_.get()); }

  void serve(std::uint64_t sessions) override {
    for (std::uint64_t s = 0; sessions == 0 || s < sessions; ++s) {
      const Fd connection(accept_one(listener_.get()));
      if (workload_ == Workload::accept) continue;  // accepted; closing it is the whole session
      set_no_delay_if_tcp(connection.get(), family_);
      if (workload_ == Workload::bulk)
        bulk_session(connection.get());
      else
        echo_session(connection.get());
    }
  }

private:
  static int family_of(const Target& t) {
    if (t.kind == Target::Kind::unix_path) return AF_UNIX;
    return t.kind == Target::Kind::ipv4 ? AF_INET : AF_INET6;
  }

  void echo_session(int fd) {
    unsigned char message[message_size];
    for (;;) {
      const std::size_t n = receive_exact(fd, message, sizeof message);
      if (n == 0) return;
      if (n != sizeof message) data_mismatch("server: peer closed inside a message", 0);
      send_all(fd, message, sizeof message);
    }
  }

  void bulk_session(int fd) {
    auto buffer = std::make_unique<unsigned char[]>(chunk_size);
    std::uint64_t offset = 0;
    for (;;) {
      const std::size_t n = receive_some(fd, buffer.get(), chunk_size);
      if (n == 0) break;
      if (!bulk_piece_matches(buffer.get(), n, offset)) data_mismatch("server: bulk byte", offset);
      offset += n;
    }
    if (offset % chunk_size != 0) data_mismatch("server: not a whole number of chunks", offset);
    const unsigned char reply = bulk_reply(offset / chunk_size);
    send_all(fd, &reply, 1);
  }

  Workload workload_;
  Fd listener_;
  int family_ = AF_UNSPEC;
};

class DatagramServer final : public Server {
public:
  explicit DatagramServer(const Target& where)
      : socket_(open_socket(where.kind == Target::Kind::ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM)) {
    const NativeAddress local = to_native(where);
    if (::bind(socket_.get(), local.get(), local.size) != 0) throw_errno("bind");
  }

  Target local() const override { return local_target(socket_.get()); }

  void serve(std::uint64_t sessions) override {
    unsigned char buffer[datagram_buffer_size];
    sockaddr_storage from;  // filled by recvfrom; only its first from_size bytes are read
    for (std::uint64_t s = 0; sessions == 0 || s < sessions;) {
      socklen_t from_size = sizeof from;
      const ssize_t n =
          ::recvfrom(socket_.get(), buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &from_size);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("recvfrom");
      }
      if (n == 0) {  // the client's end-of-session datagram
        ++s;
        continue;
      }
      if (::sendto(socket_.get(), buffer, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from),
                   from_size) != n)
        throw_errno("sendto");
    }
  }

private:
  Fd socket_;
};

// --- Clients ---------------------------------------------------------------

class PingPongClient final : public Client {
public:
  explicit PingPongClient(const Target& peer) : socket_(connect_stream(peer)) {}

  void run(std::uint64_t n) override {
    unsigned char message[message_size] = {};
    unsigned char echo[message_size];
    for (std::uint64_t i = 0; i < n; ++i) {
      stamp(message, i);
      send_all(socket_.get(), message, sizeof message);
      if (receive_exact(socket_.get(), echo, sizeof echo) != sizeof echo) data_mismatch("peer closed early", i);
      if (!echo_matches(message, echo)) data_mismatch("echo differs", i);
    }
  }

  /// socket() + connect() + TCP_NODELAY; shared with the bulk client.
  static int connect_stream(const Target& peer) {
    const NativeAddress address = to_native(peer);
    const int fd = open_socket(address.family(), SOCK_STREAM);
    try {
      connect_to(fd, address);
      set_no_delay_if_tcp(fd, address.family());
    } catch (...) {
      ::close(fd);
      throw;
    }
    return fd;
  }

private:
  Fd socket_;
};

class DatagramClient final : public Client {
public:
  explicit DatagramClient(const Target& peer) : socket_(open_datagram(peer)) {}

  void run(std::uint64_t n) override {
    unsigned char message[message_size] = {};
    unsigned char echo[datagram_buffer_size];
    for (std::uint64_t i = 0; i < n; ++i) {
      stamp(message, i);
      if (send_datagram(message, sizeof message) != sizeof message) data_mismatch("datagram sent short", i);
      if (receive_some(socket_.get(), echo, sizeof echo) != sizeof message) data_mismatch("echo has the wrong size", i);
      if (!echo_matches(message, echo)) data_mismatch("echo differs", i);
    }
  }

  void finish() override {
    const unsigned char none = 0;
    (void)send_datagram(&none, 0);
  }

private:
  static int open_datagram(const Target& peer) {
    const NativeAddress address = to_native(peer);
    const int fd = open_socket(address.family(), SOCK_DGRAM);
    if (::connect(fd, address.get(), address.size) != 0) {
      const int error = errno;
      ::close(fd);
      throw std::system_error(error, std::system_category(), "connect");
    }
    return fd;
  }

  /// One send() of a whole datagram, retried on EINTR.
  std::size_t send_datagram(const void* data, std::size_t size) {
    for (;;) {
      const ssize_t n = ::send(socket_.get(), data, size, MSG_NOSIGNAL);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) throw_errno("send");
    }
  }

  Fd socket_;
};

/// The UDP server loop's client: an unconnected socket (bound by the kernel
/// on the first sendto), the server's address given on every datagram and
/// the sender's read back on every reply.
class UnconnectedDatagramClient final : public Client {
public:
  explicit UnconnectedDatagramClient(const Target& peer)
      : peer_(to_native(peer)), socket_(open_socket(peer_.family(), SOCK_DGRAM)) {}

  void run(std::uint64_t n) override {
    unsigned char message[message_size] = {};
    unsigned char echo[datagram_buffer_size];
    sockaddr_storage from;
    for (std::uint64_t i = 0; i < n; ++i) {
      stamp(message, i);
      if (send_datagram(message, sizeof message) != sizeof message) data_mismatch("datagram sent short", i);
      socklen_t from_size = sizeof from;
      if (receive_from(echo, sizeof echo, from, from_size) != sizeof message)
        data_mismatch("echo has the wrong size", i);
      if (!echo_matches(message, echo)) data_mismatch("echo differs", i);
    }
  }

  void finish() override {
    const unsigned char none = 0;
    (void)send_datagram(&none, 0);
  }

private:
  /// One sendto() of a whole datagram to the peer, retried on EINTR.
  std::size_t send_datagram(const void* data, std::size_t size) {
    for (;;) {
      const ssize_t n = ::sendto(socket_.get(), data, size, 0, peer_.get(), peer_.size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) throw_errno("sendto");
    }
  }

  /// One recvfrom(), retried on EINTR.
  std::size_t receive_from(void* data, std::size_t size, sockaddr_storage& from, socklen_t& from_size) {
    for (;;) {
      const ssize_t n = ::recvfrom(socket_.get(), data, size, 0, reinterpret_cast<sockaddr*>(&from), &from_size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) throw_errno("recvfrom");
    }
  }

  NativeAddress peer_;
  Fd socket_;
};

class BulkClient final : public Client {
public:
  explicit BulkClient(const Target& peer)
      : socket_(PingPongClient::connect_stream(peer)), chunk_(std::make_unique<unsigned char[]>(chunk_size)) {
    fill_bulk_chunk(chunk_.get());
  }

  void run(std::uint64_t n) override {
    for (std::uint64_t i = 0; i < n; ++i) send_all(socket_.get(), chunk_.get(), chunk_size);
    if (::shutdown(socket_.get(), SHUT_WR) != 0) throw_errno("shutdown");
    unsigned char reply = 0;
    if (receive_exact(socket_.get(), &reply, 1) != 1) data_mismatch("no reply", n);
    if (reply != bulk_reply(n)) data_mismatch("server counted other chunks", n);
  }

private:
  Fd socket_;
  std::unique_ptr<unsigned char[]> chunk_;
};

/// A new connection per operation; no data flows, so no TCP_NODELAY.
class AcceptClient final : public Client {
public:
  explicit AcceptClient(const Target& peer) : peer_(to_native(peer)) {}

  void run(std::uint64_t n) override {
    for (std::uint64_t i = 0; i < n; ++i) {
      const Fd socket(open_socket(peer_.family(), SOCK_STREAM));
      connect_to(socket.get(), peer_);
      unsigned char byte;
      if (receive_some(socket.get(), &byte, 1) != 0) data_mismatch("data instead of EOF", i);
    }
  }

private:
  NativeAddress peer_;
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

const Implementation& plain_implementation() {
  static const Implementation impl{impl_name, make_server, make_client};
  return impl;
}

}  // namespace compare
