// Fuzz target: arbitrary bytes as the peer's side of a TLS handshake, and
// of an established TLS stream.
//
// The first byte picks what outlet plays (its value modulo 3): 0, a client
// (verifying, as Context::client() does) reading the bytes as a server's
// flight; 1, a server (with a key and self-signed certificate made once, in
// memory) reading them as a ClientHello; 2, a client whose handshake with a
// real outlet server (in a thread) has finished, reading the bytes as the
// records that follow. The bytes go into one end of a Unix
// socketpair, which is then shut for writing; outlet's stream owns the other
// end. Whatever the bytes, the handshake must end (done or an error, never a
// hang past its deadline), with an error_code that is set on failure, and
// nothing may crash or leak (the fuzz build runs under ASan and UBSan).
#include <outlet/tls.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>
#include <thread>

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

std::string to_pem(EVP_PKEY* key, X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (cert != nullptr) PEM_write_bio_X509(bio, cert);
  if (key != nullptr) PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return text;
}

/// A server context with an EC P-256 key and a self-signed certificate for
/// localhost, made once.
outlet::tls::Context& server_context() {
  static outlet::tls::Context context = [] {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (key == nullptr || cert == nullptr) fail("key or certificate");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    if (X509_sign(cert, key, EVP_sha256()) == 0) fail("X509_sign");
    outlet::tls::Context made = outlet::tls::Context::server_pem(to_pem(nullptr, cert), to_pem(key, nullptr));
    X509_free(cert);
    EVP_PKEY_free(key);
    return made;
  }();
  return context;
}

outlet::tls::Context& client_context() {
  static outlet::tls::Context context = outlet::tls::Context::client();
  return context;
}

}  // namespace

namespace {

/// Writes what fits of `data` into `h` without waiting, then shuts it for writing.
void feed(int h, const std::uint8_t* data, std::size_t size) {
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = ::send(h, data + written, size - written, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  ::shutdown(h, SHUT_WR);
}

void fuzz_handshake(int mine, int theirs, bool server, const std::uint8_t* data, std::size_t size) {
  feed(theirs, data, size);
  outlet::Socket socket = outlet::Socket::adopt(mine);
  std::error_code ec;
  outlet::tls::Stream stream = server ? outlet::tls::Stream(std::move(socket), server_context(), ec)
                                      : outlet::tls::Stream(std::move(socket), client_context(), "localhost", ec);
  if (ec) fail("making the stream");
  stream.handshake(std::chrono::seconds(5), ec);
  if (ec == std::errc::timed_out) fail("the handshake waited for bytes that cannot come");
  if (!ec && !stream.handshake_done()) fail("success without a finished handshake");
  if (!ec) {  // cannot happen for a verifying client; a server may in theory
    char buffer[256];
    (void)stream.receive(buffer, sizeof buffer, ec);
  }
}

/// A real handshake between an outlet client (not verifying: the server's
/// certificate is made up) and an outlet server, then raw bytes from the
/// server's socket as if they were records.
void fuzz_established(int mine, int theirs, const std::uint8_t* data, std::size_t size) {
  static outlet::tls::Context trusting = [] {
    outlet::tls::Context context = outlet::tls::Context::client();
    context.disable_verification_insecure();
    return context;
  }();
  outlet::tls::Stream peer;
  std::error_code peer_ec;
  std::thread server([&] {
    peer = outlet::tls::Stream(outlet::Socket::adopt(theirs), server_context(), peer_ec);
    if (!peer_ec) peer.handshake(std::chrono::seconds(5), peer_ec);
  });
  std::error_code ec;
  outlet::tls::Stream stream(outlet::Socket::adopt(mine), trusting, "localhost", ec);
  if (!ec) stream.handshake(std::chrono::seconds(5), ec);
  server.join();
  if (ec || peer_ec) fail("the handshake between two outlet streams failed");
  feed(peer.socket().native_handle(), data, size);
  stream.socket().set_receive_timeout(std::chrono::seconds(5));
  char buffer[4096];
  for (int i = 0; i < 1000; ++i) {  // each call consumes at least one record, or ends
    const std::size_t n = stream.receive(buffer, sizeof buffer, ec);
    if (ec == std::errc::timed_out) fail("a receive waited for bytes that cannot come");
    if (ec || n == 0) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 3;
  ++data;
  --size;
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) fail("socketpair");
  if (mode == 2) {
    fuzz_established(pair[0], pair[1], data, size);  // both ends owned by streams
  } else {
    fuzz_handshake(pair[0], pair[1], mode == 1, data, size);
    ::close(pair[1]);
  }
  return 0;
}
