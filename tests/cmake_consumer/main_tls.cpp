// The program the TLS consumer checks build (find_package(outlet COMPONENTS
// tls) and pkg-config outlet-tls): it needs outlet's headers, OpenSSL 3's
// headers and both OpenSSL libraries, all of which outlet::tls (or
// `pkg-config --cflags --libs outlet-tls`) must provide. It makes a TLS
// client context (libssl) and a SHA-256 digest (libcrypto), then a TCP round
// trip over loopback with outlet.
#define OUTLET_NO_PRAGMA_LIB 1
#include <outlet/outlet.hpp>
#include <outlet/tls.hpp>  // includes OpenSSL's headers itself

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include <cstdio>
#include <cstring>

int main() {
  if (OpenSSL_version_num() < 0x30000000L) {
    std::printf("consumer: linked OpenSSL %s, expected 3 or later\n", OpenSSL_version(OPENSSL_VERSION));
    return 1;
  }
  outlet::tls::Context context = outlet::tls::Context::client();  // libssl, and the system trust store
  if (!context.is_open() || !context.verifies_peer()) {
    std::puts("consumer: tls::Context::client() is not a verifying client context");
    return 1;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest("abc", 3, digest, &digest_size, EVP_sha256(), nullptr) != 1 || digest_size != 32 ||
      digest[0] != 0xba || digest[31] != 0xad) {
    std::puts("consumer: SHA-256 of \"abc\" is wrong");
    return 1;
  }

  outlet::ServerSocket server(outlet::Address::loopback(outlet::Family::ipv4, 0));
  outlet::Socket client(server.local_address());
  outlet::Socket accepted = server.accept();
  client.send_all("ping");
  char reply[4] = {};
  if (accepted.receive_exact(reply, sizeof reply) != sizeof reply || std::memcmp(reply, "ping", 4) != 0) {
    std::puts("consumer: the round trip lost data");
    return 1;
  }
  std::printf("consumer: outlet %s with %s round trip ok on %s\n", OUTLET_VERSION_STRING,
              OpenSSL_version(OPENSSL_VERSION), server.local_address().to_string().c_str());
  return 0;
}
