// compare_bench: what the three implementations (plain BSD calls, outlet,
// Asio's synchronous API) share: the workloads, the address of a peer, the
// message formats and the cheap checks, and the interface each
// implementation fills in (plain.cpp, outlet.cpp, asio.cpp).
//
// Each implementation owns both sides of a workload. The timed loop lives in
// its Client::run(), written with that implementation's own calls; main.cpp
// only sets up, times run(), and tears down.
#ifndef OUTLET_BENCH_COMPARE_WORKLOADS_HPP
#define OUTLET_BENCH_COMPARE_WORKLOADS_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace compare {

/// The workloads, by the names used on the command line and in the JSON.
/// udp is the connected client's ping-pong (send/receive, no address per
/// datagram); udp_server is the loop every UDP server runs, on both ends:
/// unconnected sockets, receive_from into an address, send_to that address.
enum class Workload { tcp4, tcp6, unix_stream, udp, udp_server, bulk, accept };

/// "tcp4", "tcp6", "unix", "udp", "udp-server", "bulk", "accept".
const char* workload_name(Workload w) noexcept;

/// udp and udp_server: the same server, echoing datagrams to their sender.
inline bool is_datagram(Workload w) noexcept { return w == Workload::udp || w == Workload::udp_server; }

/// tcp4, tcp6 and unix are the same ping-pong over different families.
inline bool is_ping_pong(Workload w) noexcept {
  return w == Workload::tcp4 || w == Workload::tcp6 || w == Workload::unix_stream;
}

/// Where a server listens, or which server a client talks to. Every
/// implementation turns it into its own address type; the text form is the
/// one of outlet::Address::to_string ("127.0.0.1:80", "[::1]:80", "unix:/p").
struct Target {
  enum class Kind { ipv4, ipv6, unix_path };
  Kind kind = Kind::ipv4;
  std::string ip;  // ipv4 / ipv6: numeric address, no brackets
  std::uint16_t port = 0;
  std::string path;  // unix_path

  std::string to_string() const;
  /// Parses the to_string() form; throws std::invalid_argument quoting the text.
  static Target parse(std::string_view text);
};

// --- Message formats and checks (the same in all three implementations) ----

/// Bytes in one ping-pong message, TCP or UDP.
inline constexpr std::size_t message_size = 64;
/// Buffer the UDP receivers offer: larger than a message, so a datagram of
/// the wrong size shows up as a wrong size rather than being cut to fit.
inline constexpr std::size_t datagram_buffer_size = 2048;
/// Bytes per send_all in the bulk workload, and the bulk receive buffer.
inline constexpr std::size_t chunk_size = 64 * 1024;

/// Writes round trip `i`'s marks into the first and last byte of a message,
/// so an echo of an earlier message, or a shifted stream, does not match.
inline void stamp(unsigned char* message, std::uint64_t i) noexcept {
  message[0] = static_cast<unsigned char>(i);
  message[message_size - 1] = static_cast<unsigned char>((i >> 8) ^ 0xa5U);
}

/// The cheap check of an echo: first and last byte as sent.
inline bool echo_matches(const unsigned char* sent, const unsigned char* echoed) noexcept {
  return sent[0] == echoed[0] && sent[message_size - 1] == echoed[message_size - 1];
}

/// The byte at `offset` in the bulk stream: the client sends the same chunk
/// over and over, so the stream repeats every chunk_size bytes.
inline unsigned char bulk_byte(std::uint64_t offset) noexcept {
  return static_cast<unsigned char>((offset % chunk_size) % 251U);
}

/// Fills one chunk_size chunk with the bulk pattern.
inline void fill_bulk_chunk(unsigned char* chunk) noexcept {
  for (std::size_t i = 0; i < chunk_size; ++i) chunk[i] = bulk_byte(i);
}

/// The bulk receiver's check of one piece of the stream, as it arrived:
/// its first and last byte against the pattern at the running offset.
inline bool bulk_piece_matches(const unsigned char* piece, std::size_t size, std::uint64_t offset) noexcept {
  return size == 0 || (piece[0] == bulk_byte(offset) && piece[size - 1] == bulk_byte(offset + size - 1));
}

/// The byte the bulk server sends back after EOF: the number of whole
/// chunks it received, modulo 256. It refuses a stream that is not a whole
/// number of chunks (throws), so the client checks this against its own count.
inline unsigned char bulk_reply(std::uint64_t received_chunks) noexcept {
  return static_cast<unsigned char>(received_chunks);
}

/// Throws std::runtime_error "data mismatch: <what> (operation <op>)".
[[noreturn]] void data_mismatch(const char* what, std::uint64_t op);

// --- The interface each implementation fills in --------------------------

/// The server side of one workload, listening (or bound, for UDP).
class Server {
public:
  virtual ~Server() = default;
  /// The bound address, with the real port.
  virtual Target local() const = 0;
  /// Serves `sessions` clients one after another, or for ever if 0.
  /// One session: ping-pong: accept, echo 64 B messages until EOF; udp and
  /// udp-server: receive_from, send_to the sender, until an empty datagram; bulk: accept, receive until EOF,
  /// send the 1-byte reply; accept: accept one connection and close it.
  virtual void serve(std::uint64_t sessions) = 0;
};

/// The client side: constructed connected (set-up, not timed).
class Client {
public:
  virtual ~Client() = default;
  /// The timed part: exactly n operations (round trips, connections, or
  /// 64 KiB chunks followed by shutdown and the 1-byte reply). Neither
  /// prints nor allocates per operation.
  virtual void run(std::uint64_t n) = 0;
  /// After run(), not timed: ends the session (udp, udp-server: the empty datagram).
  virtual void finish() {}
};

/// One implementation: its name and its two factories.
struct Implementation {
  const char* name;
  std::unique_ptr<Server> (*make_server)(Workload w, const Target& where);
  std::unique_ptr<Client> (*make_client)(Workload w, const Target& peer);
};

const Implementation& plain_implementation();
const Implementation& outlet_implementation();
const Implementation& asio_implementation();

/// ASIO_VERSION as "1.22.1" (asio.cpp, the only file that includes asio.hpp).
std::string asio_version();

}  // namespace compare

#endif  // OUTLET_BENCH_COMPARE_WORKLOADS_HPP
