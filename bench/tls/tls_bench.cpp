// tls_bench: TLS client implementations side by side over loopback.
//
//   tls_bench [--workloads handshake,pingpong,bulk] [--impls plain,asio,outlet]
//             [--rounds R] [--warmup W] [--quick] [--scale F] [--json FILE]
//       Each round runs every implementation once per workload, the order
//       rotating from round to round; prints each run, then the medians and
//       their ratios to plain. Writes it all as JSON (--json, default
//       tls_results.json).
//   tls_bench once --impl I --workload W --iterations N
//       One run of exactly N operations, then "ops=N": what a callgrind
//       count of instructions per operation runs (bench/README.md).
//
// What is compared is the CLIENT side. The server is the same in every run:
// plain OpenSSL on a blocking descriptor, on a thread of this process, one
// connection at a time (so the client's cost and the server's add up to
// the time measured, and only the client differs between implementations).
//
// Workloads (every connection to 127.0.0.1, TCP_NODELAY on both ends):
//   handshake  connect, full TLS 1.3 handshake, close_notify both ways,
//              close: per second. The server issues no session tickets, so
//              no handshake can be resumed; the client verifies the chain
//              (a CA made at start-up, ECDSA P-256, signing a P-256 leaf for
//              "localhost") and the host name, and sends SNI.
//   pingpong   one connection; 64-byte message written, echoed back and
//              read in full: round trips per second.
//   bulk       one connection; 64 KiB writes, the server reads them all and
//              answers with one byte: MiB/s of application data.
//
// Implementations of the client:
//   plain   OpenSSL on a socket descriptor (SSL_set_fd), SSL_write/SSL_read
//           loops, as one would write it by hand.
//   asio    asio::ssl::stream<asio::ip::tcp::socket>, synchronous API
//           (handshake, asio::write, asio::read, shutdown). Built when
//           asio.hpp is found (Debian: libasio-dev).
//   outlet  outlet::tls::Stream. Built only with OUTLET_TLS_BENCH_HAS_OUTLET
//           and <outlet/tls.hpp> (see the slot below); otherwise listed as
//           "not built".
//
// SIGPIPE is ignored: OpenSSL's descriptor I/O uses write(), and a peer that
// has closed would otherwise end the process.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#if defined(OUTLET_TLS_BENCH_HAS_ASIO)
#include <asio.hpp>
#include <asio/ssl.hpp>
#endif  // OUTLET_TLS_BENCH_HAS_ASIO

// ---- The outlet slot ----------------------------------------------------------
// Defined (by bench/CMakeLists.txt, once the TLS layer is merged and
// tls_bench links outlet::tls) to build the outlet client below.
#if defined(OUTLET_TLS_BENCH_HAS_OUTLET) && defined(__has_include)
#if __has_include(<outlet/tls.hpp>)
#include <outlet/outlet.hpp>
#include <outlet/tls.hpp>
#define OUTLET_TLS_BENCH_OUTLET_BUILT 1
#endif
#endif
#ifndef OUTLET_TLS_BENCH_OUTLET_BUILT
#define OUTLET_TLS_BENCH_OUTLET_BUILT 0
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#ifndef OUTLET_BENCH_BUILD_TYPE  // set by bench/CMakeLists.txt
#define OUTLET_BENCH_BUILD_TYPE ""
#endif  // OUTLET_BENCH_BUILD_TYPE

namespace {

constexpr std::size_t message_size = 64;
constexpr std::size_t chunk_size = 64 * 1024;
constexpr unsigned run_time_limit_s = 120;
constexpr const char* server_name = "localhost";

[[noreturn]] void die(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "tls_bench: %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

void on_alarm(int) {
  static const char message[] = "tls_bench: time limit reached (a run hung)\n";
  (void)!::write(STDERR_FILENO, message, sizeof message - 1);
  ::_exit(3);
}

/// OpenSSL's error queue as text (emptied), after `what`.
std::string ssl_error(const std::string& what) {
  std::string text = what;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof buffer);
    text += ": ";
    text += buffer;
  }
  return text;
}

[[noreturn]] void throw_ssl(const std::string& what) { throw std::runtime_error(ssl_error(what)); }

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using CtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;

// --- Certificates, made at start-up ---------------------------------------------

struct Credentials {
  KeyPtr ca_key, leaf_key;
  CertPtr ca, leaf;
  std::string ca_pem, leaf_pem, leaf_key_pem;
};

KeyPtr make_p256_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw_ssl("EVP_EC_gen(P-256)");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw_ssl(std::string("X509V3_EXT_conf_nid ") + value);
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) throw_ssl("X509_add_ext");
}

/// A certificate for `key` named `cn`, signed by `issuer_key` (self-signed
/// when issuer is null), valid from an hour ago for a day.
CertPtr make_certificate(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, long serial, bool ca) {
  CertPtr cert(X509_new());
  if (!cert) throw_ssl("X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  if (X509_set_pubkey(cert.get(), key) != 1) throw_ssl("X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) throw_ssl("X509_sign");
  return cert;
}

std::string to_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_X509(bio, cert) != 1) throw_ssl("PEM_write_bio_X509");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string to_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw_ssl("PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

Credentials make_credentials() {
  Credentials c;
  c.ca_key = make_p256_key();
  c.ca = make_certificate(c.ca_key.get(), "tls_bench CA", nullptr, c.ca_key.get(), 1, true);
  c.leaf_key = make_p256_key();
  c.leaf = make_certificate(c.leaf_key.get(), server_name, c.ca.get(), c.ca_key.get(), 2, false);
  c.ca_pem = to_pem(c.ca.get());
  c.leaf_pem = to_pem(c.leaf.get());
  c.leaf_key_pem = to_pem(c.leaf_key.get());
  return c;
}

const Credentials& credentials() {
  static const Credentials c = make_credentials();
  return c;
}

/// TLS 1.3 only, no session cache: the settings both sides share.
void common_settings(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1)
    throw_ssl("SSL_CTX_set_min/max_proto_version");
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

/// The server's context: the leaf certificate and key, no tickets.
CtxPtr make_server_context() {
  const Credentials& c = credentials();
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) throw_ssl("SSL_CTX_new(server)");
  common_settings(ctx.get());
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  if (SSL_CTX_use_certificate(ctx.get(), c.leaf.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), c.leaf_key.get()) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1)
    throw_ssl("server certificate");
  return ctx;
}

/// The plain client's context: the test CA trusted, the peer verified.
CtxPtr make_plain_client_context() {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw_ssl("SSL_CTX_new(client)");
  common_settings(ctx.get());
  if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), credentials().ca.get()) != 1)
    throw_ssl("X509_STORE_add_cert");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

// --- Descriptors -------------------------------------------------------------------

void set_no_delay(int fd) {
  const int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
    throw std::system_error(errno, std::system_category(), "setsockopt(TCP_NODELAY)");
}

class Fd {
public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

private:
  int fd_;
};

/// A listener on 127.0.0.1, port chosen by the system.
Fd make_listener(std::uint16_t& port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw std::system_error(errno, std::system_category(), "socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd.get(), 128) != 0)
    throw std::system_error(errno, std::system_category(), "bind/listen 127.0.0.1:0");
  socklen_t len = sizeof a;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::system_error(errno, std::system_category(), "getsockname");
  port = ntohs(a.sin_port);
  return fd;
}

Fd connect_loopback(std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw std::system_error(errno, std::system_category(), "socket");
  set_no_delay(fd.get());
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::system_error(errno, std::system_category(), "connect 127.0.0.1:" + std::to_string(port));
  return fd;
}

// --- Plain OpenSSL helpers (the server, and the plain client) --------------------------

using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;

void write_all(SSL* ssl, const void* data, std::size_t size) {
  // A blocking descriptor and no SSL_MODE_ENABLE_PARTIAL_WRITE: SSL_write
  // returns only when everything is written.
  const int n = SSL_write(ssl, data, static_cast<int>(size));
  if (n <= 0 || static_cast<std::size_t>(n) != size) throw_ssl("SSL_write");
}

/// Reads exactly `size` bytes; false on close_notify before any byte.
bool read_exact(SSL* ssl, void* data, std::size_t size) {
  auto* p = static_cast<unsigned char*>(data);
  std::size_t got = 0;
  while (got < size) {
    const int n = SSL_read(ssl, p + got, static_cast<int>(size - got));
    if (n <= 0) {
      if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN && got == 0) return false;
      throw_ssl("SSL_read");
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

/// close_notify sent, and the peer's awaited.
void close_both_ways(SSL* ssl) {
  int r = SSL_shutdown(ssl);
  if (r == 0) r = SSL_shutdown(ssl);
  if (r != 1) throw_ssl("SSL_shutdown");
}

// --- The server: plain OpenSSL, on a thread, one connection at a time ------------------

enum class Workload { handshake, pingpong, bulk };
constexpr Workload all_workloads[] = {Workload::handshake, Workload::pingpong, Workload::bulk};

const char* workload_name(Workload w) {
  switch (w) {
    case Workload::handshake: return "handshake";
    case Workload::pingpong: return "pingpong";
    case Workload::bulk: return "bulk";
  }
  return "?";
}

/// Serves `n` operations of `w` on `listener`.
void serve(SSL_CTX* ctx, int listener, Workload w, std::uint64_t n) {
  const std::uint64_t connections = w == Workload::handshake ? n : 1;
  std::vector<unsigned char> buffer(chunk_size);
  for (std::uint64_t i = 0; i < connections; ++i) {
    Fd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (fd.get() < 0) throw std::system_error(errno, std::system_category(), "accept4");
    set_no_delay(fd.get());
    SslPtr ssl(SSL_new(ctx));
    if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) throw_ssl("SSL_new/SSL_set_fd (server)");
    if (SSL_accept(ssl.get()) != 1) throw_ssl("SSL_accept");
    if (w == Workload::pingpong) {
      // Echo each message back as it came.
      for (;;) {
        const int got = SSL_read(ssl.get(), buffer.data(), static_cast<int>(buffer.size()));
        if (got <= 0) {
          if (SSL_get_error(ssl.get(), got) == SSL_ERROR_ZERO_RETURN) break;
          throw_ssl("SSL_read (server)");
        }
        write_all(ssl.get(), buffer.data(), static_cast<std::size_t>(got));
      }
    } else if (w == Workload::bulk) {
      const std::uint64_t total = n * chunk_size;
      std::uint64_t got = 0;
      while (got < total) {
        const int r = SSL_read(ssl.get(), buffer.data(), static_cast<int>(buffer.size()));
        if (r <= 0) throw_ssl("SSL_read (server, bulk: " + std::to_string(got) + " of " + std::to_string(total) + ")");
        got += static_cast<std::uint64_t>(r);
      }
      const unsigned char ack = 1;
      write_all(ssl.get(), &ack, 1);
      if (SSL_read(ssl.get(), buffer.data(), 1) > 0) throw std::runtime_error("bulk: data after the last chunk");
    } else {
      // The client's close_notify ends it.
      if (SSL_read(ssl.get(), buffer.data(), 1) > 0) throw std::runtime_error("handshake: unexpected data");
    }
    // Answer the client's close_notify (the clients wait for it).
    if (SSL_shutdown(ssl.get()) < 0) throw_ssl("SSL_shutdown (server)");
  }
}

// --- Client implementations ---------------------------------------------------------------

struct Client {
  const char* name;
  bool built;
  const char* not_built_reason;
  /// Runs n operations of w against 127.0.0.1:port.
  void (*run)(Workload w, std::uint16_t port, std::uint64_t n);
};

// plain: OpenSSL on a descriptor.
void plain_run(Workload w, std::uint16_t port, std::uint64_t n) {
  static const CtxPtr ctx = make_plain_client_context();
  auto open = [&](Fd& fd) {
    fd = connect_loopback(port);
    SslPtr ssl(SSL_new(ctx.get()));
    if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) throw_ssl("SSL_new/SSL_set_fd");
    if (SSL_set_tlsext_host_name(ssl.get(), server_name) != 1 || SSL_set1_host(ssl.get(), server_name) != 1)
      throw_ssl("SNI / SSL_set1_host");
    if (SSL_connect(ssl.get()) != 1) {
      const long v = SSL_get_verify_result(ssl.get());
      throw_ssl(std::string("SSL_connect (verify: ") + X509_verify_cert_error_string(v) + ")");
    }
    return ssl;
  };
  if (w == Workload::handshake) {
    for (std::uint64_t i = 0; i < n; ++i) {
      Fd fd;
      SslPtr ssl = open(fd);
      close_both_ways(ssl.get());
    }
    return;
  }
  Fd fd;
  SslPtr ssl = open(fd);
  if (w == Workload::pingpong) {
    unsigned char out[message_size], in[message_size];
    std::memset(out, 'p', sizeof out);
    for (std::uint64_t i = 0; i < n; ++i) {
      out[0] = static_cast<unsigned char>(i);
      write_all(ssl.get(), out, sizeof out);
      if (!read_exact(ssl.get(), in, sizeof in) || std::memcmp(in, out, sizeof in) != 0)
        throw std::runtime_error("pingpong: the echo differs");
    }
  } else {
    std::vector<unsigned char> chunk(chunk_size, 'b');
    for (std::uint64_t i = 0; i < n; ++i) write_all(ssl.get(), chunk.data(), chunk.size());
    unsigned char ack = 0;
    if (!read_exact(ssl.get(), &ack, 1) || ack != 1) throw std::runtime_error("bulk: no acknowledgement");
  }
  close_both_ways(ssl.get());
}

#if defined(OUTLET_TLS_BENCH_HAS_ASIO)
// asio: ssl::stream<tcp::socket>, synchronous. The same checks as plain:
// the test CA, verify_peer, SSL_set1_host and SNI (Asio has no call for
// either: the native handle is how Asio's own examples do SNI; Asio's
// host_name_verification callback would add work per certificate).
void asio_run(Workload w, std::uint16_t port, std::uint64_t n) {
  static asio::io_context io;
  static asio::ssl::context ctx = [] {
    asio::ssl::context c(asio::ssl::context::tls_client);
    common_settings(c.native_handle());
    c.add_certificate_authority(asio::buffer(credentials().ca_pem));
    c.set_verify_mode(asio::ssl::verify_peer);
    return c;
  }();
  const asio::ip::tcp::endpoint at(asio::ip::address_v4::loopback(), port);
  using Stream = asio::ssl::stream<asio::ip::tcp::socket>;
  auto open = [&]() {
    auto s = std::make_unique<Stream>(io, ctx);
    s->lowest_layer().connect(at);
    s->lowest_layer().set_option(asio::ip::tcp::no_delay(true));
    if (SSL_set_tlsext_host_name(s->native_handle(), server_name) != 1 ||
        SSL_set1_host(s->native_handle(), server_name) != 1)
      throw_ssl("SNI / SSL_set1_host (asio)");
    s->handshake(asio::ssl::stream_base::client);
    return s;
  };
  if (w == Workload::handshake) {
    for (std::uint64_t i = 0; i < n; ++i) {
      auto s = open();
      s->shutdown();
    }
    return;
  }
  auto s = open();
  if (w == Workload::pingpong) {
    unsigned char out[message_size], in[message_size];
    std::memset(out, 'p', sizeof out);
    for (std::uint64_t i = 0; i < n; ++i) {
      out[0] = static_cast<unsigned char>(i);
      asio::write(*s, asio::buffer(out));
      asio::read(*s, asio::buffer(in));
      if (std::memcmp(in, out, sizeof in) != 0) throw std::runtime_error("pingpong: the echo differs");
    }
  } else {
    std::vector<unsigned char> chunk(chunk_size, 'b');
    for (std::uint64_t i = 0; i < n; ++i) asio::write(*s, asio::buffer(chunk));
    unsigned char ack = 0;
    asio::read(*s, asio::buffer(&ack, 1));
    if (ack != 1) throw std::runtime_error("bulk: no acknowledgement");
  }
  s->shutdown();
}
constexpr Client asio_client{"asio", true, "", asio_run};
#else
constexpr Client asio_client{"asio", false, "asio.hpp not found at configure time (Debian: libasio-dev)", nullptr};
#endif  // OUTLET_TLS_BENCH_HAS_ASIO

// ==== SLOT: the outlet client ==========================================================
// Built only with OUTLET_TLS_BENCH_HAS_OUTLET defined and <outlet/tls.hpp>
// present. Written against the draft tls.hpp of issue #17 (Context::client,
// trust_ca_pem, set_min_version, Stream(Socket, Context&, host), handshake,
// send_all, receive_exact, shutdown); check it against the merged header.
// It must do what plain_run does: same settings, same checks, same calls.
#if OUTLET_TLS_BENCH_OUTLET_BUILT
void outlet_run(Workload w, std::uint16_t port, std::uint64_t n) {
  namespace tls = outlet::tls;
  static tls::Context ctx = [] {
    tls::Context c = tls::Context::client();
    c.trust_ca_pem(credentials().ca_pem);
    c.set_min_version(tls::Version::tls1_3);
    return c;
  }();
  const outlet::Address at = outlet::Address::loopback(outlet::Family::ipv4, port);
  auto open = [&]() {
    outlet::Socket socket(at);
    socket.set_no_delay(true);
    tls::Stream s(std::move(socket), ctx, server_name);
    s.handshake();
    return s;
  };
  if (w == Workload::handshake) {
    for (std::uint64_t i = 0; i < n; ++i) {
      tls::Stream s = open();
      s.shutdown(outlet::duration::zero());
    }
    return;
  }
  tls::Stream s = open();
  if (w == Workload::pingpong) {
    unsigned char out[message_size], in[message_size];
    std::memset(out, 'p', sizeof out);
    for (std::uint64_t i = 0; i < n; ++i) {
      out[0] = static_cast<unsigned char>(i);
      s.send_all(out, sizeof out);
      if (s.receive_exact(in, sizeof in) != sizeof in || std::memcmp(in, out, sizeof in) != 0)
        throw std::runtime_error("pingpong: the echo differs");
    }
  } else {
    std::vector<unsigned char> chunk(chunk_size, 'b');
    for (std::uint64_t i = 0; i < n; ++i) s.send_all(chunk.data(), chunk.size());
    unsigned char ack = 0;
    if (s.receive_exact(&ack, 1) != 1 || ack != 1) throw std::runtime_error("bulk: no acknowledgement");
  }
  s.shutdown(outlet::duration::zero());
}
constexpr Client outlet_client{"outlet", true, "", outlet_run};
#else
constexpr Client outlet_client{
    "outlet", false, "not built (needs <outlet/tls.hpp> and OUTLET_TLS_BENCH_HAS_OUTLET: see bench/tls/)", nullptr};
#endif  // OUTLET_TLS_BENCH_OUTLET_BUILT
// ==== end of the SLOT ====================================================================

constexpr Client plain_client{"plain", true, "", plain_run};
constexpr const Client* all_clients[] = {&plain_client, &asio_client, &outlet_client};

// --- Runs ----------------------------------------------------------------------------------

/// One run: a fresh listener and server thread, the client's n operations
/// timed (connect to last byte), seconds returned.
double run_once(const Client& client, Workload w, std::uint64_t n) {
  static const CtxPtr server_ctx = make_server_context();
  const std::string what = std::string(client.name) + " " + workload_name(w);
  ::alarm(run_time_limit_s);
  std::uint16_t port = 0;
  Fd listener = make_listener(port);
  std::thread server([&] {
    try {
      serve(server_ctx.get(), listener.get(), w, n);
    } catch (const std::exception& e) {
      die(what + " server: " + e.what());
    }
  });
  double seconds = 0;
  try {
    const auto start = std::chrono::steady_clock::now();
    client.run(w, port, n);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } catch (const std::exception& e) {
    die(what + " client: " + e.what());
  }
  server.join();
  ::alarm(0);
  return seconds;
}

const char* unit_of(Workload w) {
  switch (w) {
    case Workload::handshake: return "handshakes/s";
    case Workload::pingpong: return "round trips/s";
    case Workload::bulk: return "MiB/s";
  }
  return "";
}

double rate_of(Workload w, std::uint64_t n, double seconds) {
  const double ops = static_cast<double>(n) / seconds;
  return w == Workload::bulk ? ops * static_cast<double>(chunk_size) / (1024.0 * 1024.0) : ops;
}

std::string describe(Workload w, std::uint64_t n) {
  switch (w) {
    case Workload::handshake:
      return "TCP 127.0.0.1 connect + full TLS 1.3 handshake (ECDSA P-256 chain verified, host name checked, SNI) + "
             "close_notify both ways, " +
             std::to_string(n) + " per run";
    case Workload::pingpong:
      return "64 B ping-pong over one TLS 1.3 connection, " + std::to_string(n) + " round trips per run";
    case Workload::bulk:
      return "TLS 1.3, " + std::to_string(n * chunk_size >> 20) + " MiB in 64 KiB writes per run, one-byte answer";
  }
  return {};
}

std::uint64_t default_iterations(Workload w) {
  switch (w) {
    case Workload::handshake: return 400;
    case Workload::pingpong: return 20000;
    case Workload::bulk: return 4096;  // 256 MiB
  }
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

std::string fixed(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

std::string number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<std::string> split(std::string_view list) {
  std::vector<std::string> items;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    items.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return items;
}

Workload parse_workload(std::string_view name) {
  for (Workload w : all_workloads)
    if (name == workload_name(w)) return w;
  throw std::invalid_argument("unknown workload \"" + std::string(name) + "\" (handshake, pingpong, bulk)");
}

const Client& parse_client(std::string_view name) {
  for (const Client* c : all_clients)
    if (name == c->name) return *c;
  throw std::invalid_argument("unknown implementation \"" + std::string(name) + "\" (plain, asio, outlet)");
}

std::uint64_t parse_count(std::string_view option, std::string_view text) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(std::string(text), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v == 0)
    throw std::invalid_argument(std::string(option) + ": not a positive count: \"" + std::string(text) + "\"");
  return v;
}

struct Run {
  int round;  // -1 for warm-up
  std::string impl;
  double seconds, rate;
};

struct Summary {
  std::string impl;
  double median = 0, min = 0, max = 0, ratio = 0, median_round_ratio = 0;
  std::vector<double> rates;
};

struct Result {
  Workload workload;
  std::uint64_t n;
  std::vector<Run> runs;
  std::vector<Summary> summary;
};

struct Options {
  std::vector<Workload> workloads{std::begin(all_workloads), std::end(all_workloads)};
  std::vector<const Client*> clients{std::begin(all_clients), std::end(all_clients)};
  int rounds = 5, warmup = 1;
  bool rounds_given = false, warmup_given = false, quick = false;
  double scale = 1;
  std::string json = "tls_results.json";
};

std::string machine_json() {
  std::string cpu = "unknown";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  std::string kernel = "unknown";
  utsname u{};
  if (::uname(&u) == 0) kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
#if defined(__clang__)
  const std::string compiler = __VERSION__;
#elif defined(__GNUC__)
  const std::string compiler = "g++ " __VERSION__;
#else
  const std::string compiler = "unknown compiler";
#endif
#if defined(OUTLET_TLS_BENCH_HAS_ASIO)
  const std::string asio = std::to_string(ASIO_VERSION / 100000) + "." + std::to_string(ASIO_VERSION / 100 % 1000) +
                           "." + std::to_string(ASIO_VERSION % 100);
#else
  const std::string asio = "not built";
#endif
  std::string build = OUTLET_BENCH_BUILD_TYPE[0] != '\0' ? OUTLET_BENCH_BUILD_TYPE : "no CMAKE_BUILD_TYPE";
#if defined(__OPTIMIZE__)
  build += ", optimised";
#else
  build += ", not optimised";
#endif
  std::ostringstream j;
  j << "{\n    \"cpu_model\": " << quoted(cpu) << ",\n    \"cpus_online\": " << ::sysconf(_SC_NPROCESSORS_ONLN)
    << ",\n    \"kernel\": " << quoted(kernel) << ",\n    \"compiler\": " << quoted(compiler)
    << ",\n    \"openssl_version\": " << quoted(OpenSSL_version(OPENSSL_VERSION))
    << ",\n    \"asio_version\": " << quoted(asio) << ",\n    \"build_type\": " << quoted(build) << "\n  }";
  return j.str();
}

// The 1-, 5- and 15-minute load averages, or "null" where getloadavg fails:
// the timings mean little when the machine is busy, so the JSON says how busy.
std::string load_average_json() {
  double l[3] = {0, 0, 0};
  if (::getloadavg(l, 3) != 3) return "null";
  return "[" + number(l[0]) + ", " + number(l[1]) + ", " + number(l[2]) + "]";
}

void write_json(const Options& o, const std::vector<Result>& results, const std::vector<std::string>& not_built,
                const std::string& load_before) {
  std::ostringstream j;
  j << "{\n  \"benchmark\": \"tls_bench\",\n  \"settings\": {\n    \"workloads\": [";
  for (std::size_t i = 0; i < o.workloads.size(); ++i) j << (i ? ", " : "") << quoted(workload_name(o.workloads[i]));
  j << "],\n    \"impls\": [";
  for (std::size_t i = 0; i < o.clients.size(); ++i) j << (i ? ", " : "") << quoted(o.clients[i]->name);
  j << "],\n    \"not_built\": [";
  for (std::size_t i = 0; i < not_built.size(); ++i) j << (i ? ", " : "") << quoted(not_built[i]);
  j << "],\n    \"rounds\": " << o.rounds << ",\n    \"warmup\": " << o.warmup
    << ",\n    \"quick\": " << (o.quick ? "true" : "false") << ",\n    \"scale\": " << number(o.scale)
    << ",\n    \"message_bytes\": " << message_size << ",\n    \"bulk_chunk_bytes\": " << chunk_size
    << ",\n    \"server\": \"plain OpenSSL on a thread of the same process\""
    << ",\n    \"order\": \"rotates each round\"\n  },\n  \"machine\": " << machine_json()
    << ",\n  \"load_average_before\": " << load_before << ",\n  \"load_average_after\": " << load_average_json()
    << ",\n  \"results\": [";
  for (std::size_t k = 0; k < results.size(); ++k) {
    const Result& r = results[k];
    j << (k ? "," : "") << "\n    {\n      \"workload\": " << quoted(workload_name(r.workload))
      << ",\n      \"description\": " << quoted(describe(r.workload, r.n))
      << ",\n      \"unit\": " << quoted(unit_of(r.workload)) << ",\n      \"operations_per_run\": " << r.n
      << ",\n      \"runs\": [";
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const Run& run = r.runs[i];
      j << (i ? "," : "") << "\n        {\"warmup\": " << (run.round < 0 ? "true" : "false")
        << ", \"round\": " << run.round + 1 << ", \"impl\": " << quoted(run.impl)
        << ", \"seconds\": " << number(run.seconds) << ", \"rate\": " << number(run.rate) << "}";
    }
    j << "\n      ],\n      \"summary\": [";
    for (std::size_t i = 0; i < r.summary.size(); ++i) {
      const Summary& s = r.summary[i];
      j << (i ? "," : "") << "\n        {\"impl\": " << quoted(s.impl) << ", \"median\": " << number(s.median)
        << ", \"min\": " << number(s.min) << ", \"max\": " << number(s.max)
        << ", \"ratio_of_medians\": " << number(s.ratio) << ", \"median_round_ratio\": " << number(s.median_round_ratio)
        << ", \"rates\": [";
      for (std::size_t m = 0; m < s.rates.size(); ++m) j << (m ? ", " : "") << number(s.rates[m]);
      j << "]}";
    }
    j << "\n      ]\n    }";
  }
  j << "\n  ]\n}\n";
  std::ofstream file(o.json);
  file << j.str();
  file.close();
  if (!file) die("cannot write " + o.json);
  std::printf("\nwrote %s\n", o.json.c_str());
}

Result measure(const Options& o, Workload w) {
  Result r{w,
           std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<double>(default_iterations(w)) * o.scale *
                                                                 (o.quick ? 0.5 : 1.0))),
           {},
           {}};
  const std::size_t k = o.clients.size();
  std::printf("\n%s: %s\n  %-6s", workload_name(w), describe(w, r.n).c_str(), "round");
  for (const Client* c : o.clients) std::printf("%16s", c->name);
  std::printf("   (%s; the order rotates each round)\n", unit_of(w));
  std::vector<std::vector<double>> rates(k);
  for (int round = -o.warmup; round < o.rounds; ++round) {
    std::vector<double> row(k);
    const std::size_t shift = static_cast<std::size_t>(round + o.warmup) % k;
    for (std::size_t p = 0; p < k; ++p) {
      const std::size_t i = (p + shift) % k;
      const double seconds = run_once(*o.clients[i], w, r.n);
      row[i] = rate_of(w, r.n, seconds);
      r.runs.push_back({round < 0 ? -1 : round, o.clients[i]->name, seconds, row[i]});
    }
    const std::string label = round < 0 ? "w" + std::to_string(round + o.warmup + 1) : std::to_string(round + 1);
    std::printf("  %-6s", label.c_str());
    for (std::size_t i = 0; i < k; ++i) std::printf("%16s", fixed(row[i], w == Workload::bulk ? 1 : 0).c_str());
    std::printf("\n");
    std::fflush(stdout);
    if (round >= 0)
      for (std::size_t i = 0; i < k; ++i) rates[i].push_back(row[i]);
  }
  std::size_t base = 0;
  for (std::size_t i = 0; i < k; ++i)
    if (std::string_view(o.clients[i]->name) == "plain") base = i;
  const double base_median = median(rates[base]);
  std::printf("  %-8s%20s  %22s  %12s  %12s\n", "impl", (std::string("median ") + unit_of(w)).c_str(), "(min .. max)",
              "ratio/plain", "round ratio");
  for (std::size_t i = 0; i < k; ++i) {
    Summary s;
    s.impl = o.clients[i]->name;
    s.rates = rates[i];
    s.median = median(rates[i]);
    s.min = *std::min_element(rates[i].begin(), rates[i].end());
    s.max = *std::max_element(rates[i].begin(), rates[i].end());
    s.ratio = s.median / base_median;
    std::vector<double> per_round;
    for (std::size_t m = 0; m < rates[i].size(); ++m) per_round.push_back(rates[i][m] / rates[base][m]);
    s.median_round_ratio = median(per_round);
    const int d = w == Workload::bulk ? 1 : 0;
    const std::string range = "(" + fixed(s.min, d) + " .. " + fixed(s.max, d) + ")";
    std::printf("  %-8s%20s  %22s  %12s  %12s\n", s.impl.c_str(), fixed(s.median, d).c_str(), range.c_str(),
                fixed(s.ratio, 3).c_str(), fixed(s.median_round_ratio, 3).c_str());
    r.summary.push_back(std::move(s));
  }
  return r;
}

int main_compare(const std::vector<std::string_view>& args) {
  Options o;
  bool impls_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= args.size()) throw std::invalid_argument(std::string(a) + " needs a value");
      return args[++i];
    };
    if (a == "--workloads") {
      o.workloads.clear();
      for (const std::string& name : split(value())) o.workloads.push_back(parse_workload(name));
    } else if (a == "--impls") {
      o.clients.clear();
      impls_given = true;
      for (const std::string& name : split(value())) o.clients.push_back(&parse_client(name));
    } else if (a == "--rounds") {
      o.rounds = static_cast<int>(parse_count(a, value()));
      o.rounds_given = true;
    } else if (a == "--warmup") {
      const std::string_view v = value();
      o.warmup = v == "0" ? 0 : static_cast<int>(parse_count(a, v));
      o.warmup_given = true;
    } else if (a == "--quick") {
      o.quick = true;
    } else if (a == "--scale") {
      const std::string text(value());
      char* end = nullptr;
      o.scale = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(o.scale > 0))
        throw std::invalid_argument("--scale: not a positive number: \"" + text + "\"");
    } else if (a == "--json") {
      o.json = std::string(value());
    } else {
      throw std::invalid_argument("unknown option \"" + std::string(a) + "\" (see the top of bench/tls/tls_bench.cpp)");
    }
  }
  if (o.quick && !o.rounds_given) o.rounds = 3;
  if (o.quick && !o.warmup_given) o.warmup = 1;
  if (o.workloads.empty() || o.clients.empty()) throw std::invalid_argument("nothing to run");
  std::vector<std::string> not_built;
  std::vector<const Client*> built;
  for (const Client* c : o.clients) {
    if (c->built) {
      built.push_back(c);
    } else {
      if (impls_given) throw std::invalid_argument(std::string(c->name) + ": " + c->not_built_reason);
      not_built.push_back(c->name);
      std::printf("%s: %s\n", c->name, c->not_built_reason);
    }
  }
  o.clients = built;
  if (std::find(o.clients.begin(), o.clients.end(), &plain_client) == o.clients.end())
    throw std::invalid_argument("--impls must include plain (the ratios are to plain)");
  const std::string load_before = load_average_json();
  std::printf("tls_bench: %s; server: plain OpenSSL on a thread; %d rounds + %d warm-up; load average %s\n",
              OpenSSL_version(OPENSSL_VERSION), o.rounds, o.warmup, load_before.c_str());
  std::vector<Result> results;
  for (Workload w : o.workloads) results.push_back(measure(o, w));
  write_json(o, results, not_built, load_before);
  return 0;
}

int main_once(const std::vector<std::string_view>& args) {
  const Client* client = nullptr;
  Workload w = Workload::pingpong;
  std::uint64_t n = 0;
  bool have_workload = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (i + 1 >= args.size()) throw std::invalid_argument(std::string(a) + " needs a value");
    const std::string_view v = args[++i];
    if (a == "--impl") {
      client = &parse_client(v);
    } else if (a == "--workload") {
      w = parse_workload(v);
      have_workload = true;
    } else if (a == "--iterations") {
      n = parse_count(a, v);
    } else {
      throw std::invalid_argument("once: unknown option \"" + std::string(a) + "\"");
    }
  }
  if (client == nullptr || !have_workload || n == 0)
    throw std::invalid_argument("once needs --impl, --workload and --iterations");
  if (!client->built) throw std::invalid_argument(std::string(client->name) + ": " + client->not_built_reason);
  run_once(*client, w, n);
  std::printf("ops=%llu\n", static_cast<unsigned long long>(n));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGALRM, on_alarm);
  std::vector<std::string_view> args(argv + 1, argv + argc);
  try {
    credentials();  // the certificates, made before anything is timed
    if (!args.empty() && args[0] == "once") return main_once({args.begin() + 1, args.end()});
    return main_compare(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tls_bench: %s\n", e.what());
    return 2;
  }
}
