// outlet — the TLS back end over OpenSSL 3: the only file that includes an
// OpenSSL header.
//
// <outlet/tls.hpp> speaks to a back end through two types and nothing else
// (a native SChannel back end on Windows would provide the same two):
//
//   TlsContextImpl   a configured context, shared (std::shared_ptr) by the
//                    public tls::Context and every Stream made from it:
//                    make_client(), make_server(), load_*(), trust_*(),
//                    set_alpn(), set_min_version(), require_client_cert(),
//                    disable_verification().
//   TlsEngine        one connection's TLS state machine: handshake(),
//                    read(), write(), shutdown() return TlsStep::done,
//                    want_read, want_write, closed (the peer's
//                    close_notify) or failed (error() and detail() say
//                    why). The engine does its socket I/O itself, on the
//                    handle set_handle() gave it, with outlet's own
//                    send/recv (no SIGPIPE, EINTR retried): never blocking,
//                    unless set_handle() said it may (a blocking stream
//                    with no deadline, where one blocking call is cheaper
//                    than a failed one, a poll() and a second one).
//
// Waiting, deadlines, non-blocking mode and the error policies live in
// tls.hpp, above this line.
#ifndef OUTLET_DETAIL_TLS_OPENSSL_HPP
#define OUTLET_DETAIL_TLS_OPENSSL_HPP

#include <outlet/detail/socket_ops.hpp>
#include <outlet/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#if OPENSSL_VERSION_MAJOR < 3
#error "outlet/tls.hpp needs OpenSSL 3 (Debian: libssl-dev)"
#endif  // OPENSSL_VERSION_MAJOR < 3

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace tls {

/// Why a TLS operation failed; values of tls::category().
enum class errc {
  certificate_verify_failed = 1,  ///< the peer's certificate chain did not verify (expired, untrusted, ...)
  hostname_mismatch,              ///< the certificate is valid, but not for the host name or IP asked for
  protocol_version,               ///< no TLS version both sides accept (outlet requires TLS 1.2 or later)
  peer_alert,                     ///< the peer ended the handshake or stream with an alert
  truncated,                      ///< the peer closed the connection without a close_notify
  handshake_failed,               ///< the handshake failed for another reason (no common cipher, bad message)
  protocol_error,                 ///< a malformed or unexpected record after the handshake
  certificate_required,           ///< a server that requires a client certificate got none
  invalid_certificate,            ///< a certificate, key or CA file/PEM that does not load
  key_mismatch,                   ///< the private key does not belong to the certificate
  library_error,                  ///< any other failure inside the TLS library
};

namespace detail {

/// The category behind tls::category().
class Category final : public std::error_category {
public:
  const char* name() const noexcept override { return "outlet.tls"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::certificate_verify_failed: return "certificate verify failed";
      case errc::hostname_mismatch: return "certificate does not match the host name";
      case errc::protocol_version: return "no TLS protocol version in common";
      case errc::peer_alert: return "peer sent an alert";
      case errc::truncated: return "stream truncated (closed without close_notify)";
      case errc::handshake_failed: return "handshake failed";
      case errc::protocol_error: return "TLS protocol error";
      case errc::certificate_required: return "peer sent no certificate";
      case errc::invalid_certificate: return "invalid certificate or key";
      case errc::key_mismatch: return "private key does not match the certificate";
      case errc::library_error: return "TLS library error";
    }
    return "unknown TLS error";
  }
};

}  // namespace detail

/// The category of TLS failures ("outlet.tls"); its values are tls::errc.
inline const std::error_category& category() noexcept {
  static const detail::Category instance;
  return instance;
}

/// std::error_code{e, tls::category()}: lets `ec == tls::errc::truncated` compile.
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

}  // namespace tls

namespace detail {

/// What one engine step did.
enum class TlsStep { done, want_read, want_write, closed, failed };

/// std::error_code of a tls::errc, in tls::category().
inline std::error_code make_tls_error(tls::errc e) noexcept { return tls::make_error_code(e); }

namespace tls_openssl {

/// The socket a BIO reads and writes, and what its last call saw.
struct SocketIo {
  sys::native_handle handle = sys::invalid_handle;
  std::error_code error;  ///< an OS error from send/recv (connection reset, broken pipe)
  bool eof = false;       ///< recv() returned 0
  /// Whether send/recv may block: a blocking stream with no deadline, where
  /// one blocking call is what plain OpenSSL on a descriptor makes (a
  /// "don't wait" call would fail first and add a poll() and a second call).
  bool may_block = false;
};

/// Whether `h` is ready for `events` now (the platforms whose send/recv
/// cannot be told not to block per call poll first).
inline bool ready_now(sys::native_handle h, short events) noexcept {
  short revents = 0;
  return sys::poll_one(h, events, 0, revents) > 0;
}

inline int bio_write(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  auto* io = static_cast<SocketIo*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  *written = 0;
  for (;;) {
    if (!io->may_block && !sys::has_dont_wait_flag && !ready_now(io->handle, sys::poll_out)) {
      BIO_set_retry_write(bio);
      return 0;
    }
    const sys::io_result n = hook_fails(SysCall::send, io->handle)
                                 ? sys::io_result(-1)
                                 : sys::send_some(io->handle, data, size, !io->may_block);
    if (n >= 0) {
      *written = static_cast<std::size_t>(n);
      return 1;
    }
    const int e = sys::last_error();
    if (e == sys::err_interrupted) continue;
    if (e == sys::err_would_block) {
      BIO_set_retry_write(bio);
      return 0;
    }
    io->error = sys::to_error_code(e);
    return 0;
  }
}

inline int bio_read(BIO* bio, char* data, std::size_t size, std::size_t* got) {
  auto* io = static_cast<SocketIo*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  *got = 0;
  for (;;) {
    if (!io->may_block && !sys::has_dont_wait_flag && !ready_now(io->handle, sys::poll_in)) {
      BIO_set_retry_read(bio);
      return 0;
    }
    const sys::io_result n = hook_fails(SysCall::receive, io->handle)
                                 ? sys::io_result(-1)
                                 : sys::recv_some(io->handle, data, size, !io->may_block);
    if (n > 0) {
      *got = static_cast<std::size_t>(n);
      return 1;
    }
    if (n == 0) {
      io->eof = true;
      return 0;
    }
    const int e = sys::last_error();
    if (e == sys::err_interrupted) continue;
    if (e == sys::err_would_block) {
      BIO_set_retry_read(bio);
      return 0;
    }
    io->error = sys::to_error_code(e);
    return 0;
  }
}

inline long bio_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH: return 1;  // nothing is buffered here
    case BIO_CTRL_EOF: return static_cast<SocketIo*>(BIO_get_data(bio))->eof ? 1 : 0;
    default: return 0;
  }
}

inline int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}
inline int bio_destroy(BIO*) { return 1; }

/// The BIO type that does a stream's socket I/O: made once per process.
inline const BIO_METHOD* socket_bio_method() noexcept {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "outlet socket");
    if (m == nullptr) return m;
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    BIO_meth_set_destroy(m, bio_destroy);
    return m;
  }();
  return method;
}

/// OpenSSL's error queue for this thread, as an error and a reason text;
/// the queue is left empty.
struct QueueError {
  std::error_code error;
  std::string detail;
};
inline QueueError take_queue_error(tls::errc otherwise) {
  const unsigned long first = ERR_get_error();
  ERR_clear_error();
  QueueError out;
  if (first == 0) {
    out.error = make_tls_error(otherwise);
    return out;
  }
  if (ERR_GET_LIB(first) == ERR_LIB_SYS) {
    // fopen() and friends: the errno itself ("No such file or directory").
    out.error = std::error_code(ERR_GET_REASON(first), std::generic_category());
    return out;
  }
  const int reason = ERR_GET_REASON(first);
  if (reason == X509_R_KEY_VALUES_MISMATCH) {
    out.error = make_tls_error(tls::errc::key_mismatch);
  } else {
    out.error = make_tls_error(otherwise);
  }
  const char* text = ERR_reason_error_string(first);
  out.detail = text != nullptr ? text : "unknown OpenSSL error";
  return out;
}

/// A context: the SSL_CTX, what outlet adds (ALPN list, session cache) and
/// how it was configured.
class ContextImpl {
public:
  ContextImpl(const ContextImpl&) = delete;
  ContextImpl& operator=(const ContextImpl&) = delete;
  ~ContextImpl() {
    for (auto& entry : sessions_) SSL_SESSION_free(entry.second);
    SSL_CTX_free(ctx_);
  }

  /// A client context: TLS 1.2+, peer verification against the system
  /// store, no renegotiation, client session cache.
  static std::shared_ptr<ContextImpl> make(bool server, std::error_code& ec) {
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (ctx == nullptr) {
      ec = take_queue_error(tls::errc::library_error).error;
      return nullptr;
    }
    std::shared_ptr<ContextImpl> impl(new ContextImpl(ctx, server));
    SSL_CTX_set_app_data(ctx, impl.get());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (server) {
      static const unsigned char id[] = "outlet";
      SSL_CTX_set_session_id_context(ctx, id, sizeof id - 1);
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      SSL_CTX_set_alpn_select_cb(ctx, select_alpn, impl.get());
    } else {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        ec = take_queue_error(tls::errc::library_error).error;
        return nullptr;
      }
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
      SSL_CTX_sess_set_new_cb(ctx, new_session);
    }
    ERR_clear_error();
    ec.clear();
    return impl;
  }

  SSL_CTX* native() const noexcept { return ctx_; }
  bool server() const noexcept { return server_; }
  bool verifies() const noexcept { return verify_; }

  /// Certificate chain (leaf first) and its private key, from files.
  QueueError load_certificate_files(const std::string& chain, const std::string& key) {
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx_, chain.c_str()) != 1)
      return take_queue_error(tls::errc::invalid_certificate);
    if (SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1)
      return take_queue_error(tls::errc::invalid_certificate);
    return check_key();
  }

  /// Certificate chain (leaf first) and its private key, PEM in memory.
  QueueError load_certificate_pem(std::string_view chain, std::string_view key) {
    ERR_clear_error();
    BIO* bio = BIO_new_mem_buf(chain.data(), static_cast<int>(chain.size()));
    if (bio == nullptr) return take_queue_error(tls::errc::library_error);
    X509* leaf = PEM_read_bio_X509_AUX(bio, nullptr, nullptr, nullptr);
    bool ok = leaf != nullptr && SSL_CTX_use_certificate(ctx_, leaf) == 1;
    X509_free(leaf);
    if (ok) {
      ok = SSL_CTX_clear_chain_certs(ctx_) == 1;
      while (ok) {
        X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
        if (extra == nullptr) break;
        ok = SSL_CTX_add0_chain_cert(ctx_, extra) == 1;
        if (!ok) X509_free(extra);
      }
      if (ok) ERR_clear_error();  // the end of the PEM list
    }
    BIO_free(bio);
    if (!ok) return no_pem("no certificate in the chain PEM");
    bio = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
    if (bio == nullptr) return take_queue_error(tls::errc::library_error);
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    ok = pkey != nullptr && SSL_CTX_use_PrivateKey(ctx_, pkey) == 1;
    EVP_PKEY_free(pkey);
    if (!ok) return no_pem("no private key in the key PEM");
    return check_key();
  }

  /// Has OpenSSL parse each trusted certificate's extensions now, while the
  /// context is configured by one thread. OpenSSL 3.0 does it on first use
  /// and stores the results (the key identifiers) under a lock that its
  /// readers do not take, so two first handshakes at once race on them
  /// (ThreadSanitizer saw it).
  static void cache_extensions(X509_STORE* store) noexcept {
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
      if (X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i))) (void)X509_check_purpose(cert, -1, 0);
    }
  }

  /// Trust the CAs in a PEM file / PEM text. The first call replaces the
  /// system store (a private CA alone); later calls add to what is trusted.
  QueueError trust_file(const std::string& path) {
    ERR_clear_error();
    start_private_trust();
    X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
    const int n = X509_STORE_load_file(store, path.c_str());
    if (n != 1) return take_queue_error(tls::errc::invalid_certificate);
    cache_extensions(store);
    if (server_) {
      STACK_OF(X509_NAME)* names = SSL_CTX_get_client_CA_list(ctx_);
      if (names == nullptr) {
        SSL_CTX_set_client_CA_list(ctx_, sk_X509_NAME_new_null());
        names = SSL_CTX_get_client_CA_list(ctx_);
      }
      if (names != nullptr) SSL_add_file_cert_subjects_to_stack(names, path.c_str());
    }
    ERR_clear_error();
    return {};
  }
  QueueError trust_pem(std::string_view pem) {
    ERR_clear_error();
    start_private_trust();
    X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (bio == nullptr) return take_queue_error(tls::errc::library_error);
    int count = 0;
    for (;;) {
      X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
      if (cert == nullptr) break;
      ++count;
      const bool ok = X509_STORE_add_cert(store, cert) == 1;
      if (ok && server_) SSL_CTX_add_client_CA(ctx_, cert);
      X509_free(cert);
      if (!ok) {
        BIO_free(bio);
        return take_queue_error(tls::errc::invalid_certificate);
      }
    }
    BIO_free(bio);
    cache_extensions(store);
    ERR_clear_error();
    if (count == 0) return no_pem("no certificate in the CA PEM");
    return {};
  }
  /// Trust the system's CA store too (in addition to private CAs).
  QueueError trust_system() {
    ERR_clear_error();
    if (SSL_CTX_set_default_verify_paths(ctx_) != 1) return take_queue_error(tls::errc::library_error);
    return {};
  }

  void require_client_cert() noexcept {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    verify_ = true;
  }
  void disable_verification() noexcept {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    verify_ = false;
  }
  bool set_min_version(int version) noexcept { return SSL_CTX_set_min_proto_version(ctx_, version) == 1; }

  /// ALPN: the protocols in order of preference, in the wire format (each
  /// name preceded by its length). A client offers them; a server picks
  /// the first of its own list that the client offered.
  bool set_alpn(std::vector<unsigned char> wire) {
    alpn_ = std::move(wire);
    if (server_) return true;
    return SSL_CTX_set_alpn_protos(ctx_, alpn_.data(), static_cast<unsigned>(alpn_.size())) == 0;
  }

  /// Takes the cached session for `key` out of the cache (the caller owns
  /// the reference), or null. Taken, not shared: two connections resuming
  /// one SSL_SESSION at once race inside OpenSSL (ThreadSanitizer saw it),
  /// and RFC 8446 asks clients not to use a ticket twice. The connection's
  /// new session is cached again when the server sends it.
  SSL_SESSION* find_session(const std::string& key) {
    const std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(key);
    if (it == sessions_.end()) return nullptr;
    SSL_SESSION* taken = it->second;
    sessions_.erase(it);
    return taken;
  }

private:
  ContextImpl(SSL_CTX* ctx, bool server) noexcept : ctx_(ctx), server_(server), verify_(!server) {}

  QueueError check_key() {
    if (SSL_CTX_check_private_key(ctx_) != 1) {
      QueueError e = take_queue_error(tls::errc::key_mismatch);
      e.error = make_tls_error(tls::errc::key_mismatch);
      return e;
    }
    ERR_clear_error();
    return {};
  }
  static QueueError no_pem(const char* what) {
    QueueError e = take_queue_error(tls::errc::invalid_certificate);
    if (e.error.category() != std::generic_category()) {
      e.error = make_tls_error(tls::errc::invalid_certificate);
      e.detail = e.detail.empty() ? what : std::string(what) + " (" + e.detail + ")";
    }
    return e;
  }
  void start_private_trust() {
    if (private_trust_) return;
    private_trust_ = true;
    SSL_CTX_set_cert_store(ctx_, X509_STORE_new());  // frees the old store
  }

  static int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* offered,
                         unsigned int offered_size, void* arg) {
    const auto* self = static_cast<const ContextImpl*>(arg);
    const std::vector<unsigned char>& ours = self->alpn_;
    for (std::size_t i = 0; i < ours.size(); i += 1u + ours[i]) {
      for (unsigned int j = 0; j < offered_size; j += 1u + offered[j]) {
        if (j + 1u + offered[j] > offered_size) break;  // malformed: OpenSSL checks, but stay inside
        if (offered[j] == ours[i] && std::memcmp(offered + j + 1, ours.data() + i + 1, ours[i]) == 0) {
          *out = offered + j + 1;
          *out_size = offered[j];
          return SSL_TLSEXT_ERR_OK;
        }
      }
    }
    return SSL_TLSEXT_ERR_NOACK;  // no protocol in common: go on without ALPN
  }

  static int new_session(SSL* ssl, SSL_SESSION* session);

  SSL_CTX* ctx_;
  bool server_;
  bool verify_;
  bool private_trust_ = false;
  std::vector<unsigned char> alpn_;
  std::mutex mutex_;
  std::map<std::string, SSL_SESSION*> sessions_;
  static constexpr std::size_t max_sessions = 256;

  friend class Engine;
};

/// One connection's TLS state: an SSL over a BIO on the socket.
class Engine {
public:
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine() { SSL_free(ssl_); }  // frees the BIO too

  /// A client (`host` given) or server engine on `context`; null with `ec`
  /// set if OpenSSL cannot make one.
  static std::unique_ptr<Engine> make(std::shared_ptr<ContextImpl> context, bool server, std::string_view host,
                                      std::string session_key, std::error_code& ec) {
    ERR_clear_error();
    std::unique_ptr<Engine> engine(new Engine(std::move(context)));
    SSL* ssl = SSL_new(engine->context_->native());
    BIO* bio = ssl != nullptr ? BIO_new(socket_bio_method()) : nullptr;
    if (bio == nullptr) {
      SSL_free(ssl);
      ec = take_queue_error(tls::errc::library_error).error;
      return nullptr;
    }
    engine->ssl_ = ssl;
    BIO_set_data(bio, &engine->io_);
    SSL_set_bio(ssl, bio, bio);
    // Read what the socket holds, up to a whole record buffer, in one call:
    // without it OpenSSL reads each record's 5-byte header, then its body,
    // two system calls per record. OpenSSL only reads when it needs bytes,
    // so records it holds are handed out before anyone waits on the socket.
    SSL_set_read_ahead(ssl, 1);
    SSL_set_app_data(ssl, engine.get());
    if (server) {
      SSL_set_accept_state(ssl);
    } else {
      SSL_set_connect_state(ssl);
      if (!engine->set_peer_name(host)) {
        ec = take_queue_error(tls::errc::library_error).error;
        return nullptr;
      }
      engine->session_key_ = std::move(session_key);
      if (SSL_SESSION* cached = engine->context_->find_session(engine->session_key_)) {
        SSL_set_session(ssl, cached);
        SSL_SESSION_free(cached);
      }
    }
    ERR_clear_error();
    ec.clear();
    return engine;
  }

  /// The socket the next step does its I/O on.
  /// The socket the next steps use, and whether they may block in it.
  void set_handle(sys::native_handle h, bool may_block = false) noexcept {
    io_.handle = h;
    io_.may_block = may_block;
  }

  TlsStep handshake() {
    return run([&] { return SSL_do_handshake(ssl_); }, true);
  }
  TlsStep read(void* data, std::size_t size, std::size_t& got) {
    got = 0;
    return run([&] { return SSL_read_ex(ssl_, data, size, &got); }, !SSL_is_init_finished(ssl_));
  }
  TlsStep write(const void* data, std::size_t size, std::size_t& sent) {
    sent = 0;
    return run([&] { return SSL_write_ex(ssl_, data, size, &sent); }, !SSL_is_init_finished(ssl_));
  }
  /// Sends close_notify (once), then reads until the peer's arrives
  /// (application data that arrives first is dropped).
  TlsStep shutdown() {
    if (broken_ || !SSL_is_init_finished(ssl_)) return TlsStep::done;  // nothing to close cleanly
    if (!(SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) || SSL_want_write(ssl_)) {
      const TlsStep s = run([&] { return SSL_shutdown(ssl_) >= 0 ? 1 : -1; }, false);
      if (s != TlsStep::done) return s;
    }
    if (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) return TlsStep::done;
    char scratch[4096];
    for (;;) {
      std::size_t got = 0;
      const TlsStep s = run([&] { return SSL_read_ex(ssl_, scratch, sizeof scratch, &got); }, false);
      if (s == TlsStep::closed) return TlsStep::done;
      if (s != TlsStep::done) return s;
    }
  }

  bool handshake_done() const noexcept { return SSL_is_init_finished(ssl_) == 1; }
  bool broken() const noexcept { return broken_; }
  const std::error_code& error() const noexcept { return error_; }
  const std::string& detail() const noexcept { return detail_; }
  bool wants_write() const noexcept { return want_write_; }

  std::string protocol() const { return handshake_done() ? SSL_get_version(ssl_) : ""; }
  std::string cipher() const {
    const char* name = handshake_done() ? SSL_get_cipher_name(ssl_) : nullptr;
    return name != nullptr ? name : "";
  }
  std::string alpn() const {
    const unsigned char* name = nullptr;
    unsigned int size = 0;
    SSL_get0_alpn_selected(ssl_, &name, &size);
    return name != nullptr ? std::string(reinterpret_cast<const char*>(name), size) : std::string();
  }
  bool session_reused() const noexcept { return SSL_session_reused(ssl_) == 1; }
  /// The peer certificate's subject, RFC 2253 ("CN=localhost,O=Test"), or "".
  std::string peer_subject() const {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (cert == nullptr) return {};
    std::string text;
    if (BIO* bio = BIO_new(BIO_s_mem())) {
      if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
        char* data = nullptr;
        const long size = BIO_get_mem_data(bio, &data);
        if (data != nullptr && size > 0) text.assign(data, static_cast<std::size_t>(size));
      }
      BIO_free(bio);
    }
    X509_free(cert);
    ERR_clear_error();
    return text;
  }

private:
  explicit Engine(std::shared_ptr<ContextImpl> context) noexcept : context_(std::move(context)) {}

  /// SNI for names only; the certificate must match the name, or the IP
  /// address for an IP literal ("127.0.0.1", "::1", "[::1]").
  bool set_peer_name(std::string_view host) {
    std::string name(host);
    if (name.size() > 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
    if (name.empty()) return true;  // only without verification (tls.hpp refuses it otherwise): no SNI
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1) return true;  // an IP literal: no SNI
    ERR_clear_error();
    if (context_->verifies()) {
      SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (SSL_set1_host(ssl_, name.c_str()) != 1) return false;
    }
    return SSL_set_tlsext_host_name(ssl_, name.c_str()) == 1;
  }

  /// An alert's name: OpenSSL 3.0 names only the alerts TLS 1.2 had.
  static const char* alert_name(int alert) noexcept {
    switch (alert) {
      case SSL_AD_MISSING_EXTENSION: return "missing extension";
      case SSL_AD_CERTIFICATE_REQUIRED: return "certificate required";
      case SSL_AD_NO_APPLICATION_PROTOCOL: return "no application protocol";
      default: return SSL_alert_desc_string_long(alert);
    }
  }

  template <class Call>
  TlsStep run(Call&& call, bool handshaking) {
    // SSL_get_error() needs an empty error queue; outlet empties it after
    // each failure, so only what other code left behind needs clearing
    // (a peek is cheaper than a clear of every slot).
    if (ERR_peek_error() != 0) ERR_clear_error();
    io_.error.clear();
    const int r = call();
    if (r > 0) return TlsStep::done;
    const int code = SSL_get_error(ssl_, r);
    switch (code) {
      case SSL_ERROR_WANT_READ: want_write_ = false; return TlsStep::want_read;
      case SSL_ERROR_WANT_WRITE: want_write_ = true; return TlsStep::want_write;
      case SSL_ERROR_ZERO_RETURN: ERR_clear_error(); return TlsStep::closed;
      default:
        fail(code, handshaking);
        ERR_clear_error();
        return TlsStep::failed;
    }
  }

  void fail(int code, bool handshaking) {
    broken_ = true;
    detail_.clear();
    const unsigned long first = ERR_peek_error();
    const int reason = ERR_GET_LIB(first) == ERR_LIB_SSL ? ERR_GET_REASON(first) : 0;
    const long verify = SSL_get_verify_result(ssl_);
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && verify != X509_V_OK) {
      const bool name = verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH ||
                        verify == X509_V_ERR_EMAIL_MISMATCH;
      error_ = make_tls_error(name ? tls::errc::hostname_mismatch : tls::errc::certificate_verify_failed);
      detail_ = X509_verify_cert_error_string(verify);
      return;
    }
    if (reason >= SSL_AD_REASON_OFFSET) {
      const int alert = reason - SSL_AD_REASON_OFFSET;
      tls::errc e = tls::errc::peer_alert;
      if (alert == SSL_AD_PROTOCOL_VERSION) e = tls::errc::protocol_version;
      if (alert == SSL_AD_CERTIFICATE_REQUIRED) e = tls::errc::certificate_required;
      error_ = make_tls_error(e);
      detail_ = std::string("alert from the peer: ") + alert_name(alert) + " (" + std::to_string(alert) + ")";
      return;
    }
    if (io_.error) {  // the socket failed: connection reset, broken pipe
      error_ = io_.error;
      return;
    }
    switch (reason) {
      case SSL_R_UNSUPPORTED_PROTOCOL:
      case SSL_R_NO_PROTOCOLS_AVAILABLE:
      case SSL_R_VERSION_TOO_LOW:
      case SSL_R_VERSION_TOO_HIGH:
      case SSL_R_UNSUPPORTED_SSL_VERSION: error_ = make_tls_error(tls::errc::protocol_version); break;
      case SSL_R_UNEXPECTED_EOF_WHILE_READING:
        error_ = make_tls_error(tls::errc::truncated);
        detail_ = handshaking ? "connection closed during the handshake" : "connection closed without close_notify";
        return;
      case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE: error_ = make_tls_error(tls::errc::certificate_required); break;
      default:
        if (first == 0 && (code == SSL_ERROR_SYSCALL || io_.eof)) {
          error_ = make_tls_error(tls::errc::truncated);
          detail_ = handshaking ? "connection closed during the handshake" : "connection closed without close_notify";
          return;
        }
        error_ = make_tls_error(handshaking ? tls::errc::handshake_failed : tls::errc::protocol_error);
        break;
    }
    if (first != 0) {
      const char* text = ERR_reason_error_string(first);
      detail_ = text != nullptr ? text : "unknown OpenSSL error";
    }
  }

  std::shared_ptr<ContextImpl> context_;
  SSL* ssl_ = nullptr;
  SocketIo io_;
  std::string session_key_;
  std::error_code error_;
  std::string detail_;
  bool broken_ = false;
  bool want_write_ = false;
  friend class ContextImpl;
};

/// A client's new session (TLS 1.3: each ticket): cached under the engine's
/// host and address, replacing the one before.
inline int ContextImpl::new_session(SSL* ssl, SSL_SESSION* session) {
  auto* engine = static_cast<Engine*>(SSL_get_app_data(ssl));
  auto* self = static_cast<ContextImpl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (engine == nullptr || self == nullptr || engine->session_key_.empty()) return 0;
  // The cache keeps a copy: `session` stays this connection's own, and
  // OpenSSL may still read or replace it here while another thread resumes
  // from the cached one (ThreadSanitizer saw that race when they were one
  // object). Returning 0 leaves `session` to OpenSSL.
  SSL_SESSION* copy = SSL_SESSION_dup(session);
  if (copy == nullptr) return 0;
  try {
    const std::lock_guard<std::mutex> lock(self->mutex_);
    auto it = self->sessions_.find(engine->session_key_);
    if (it != self->sessions_.end()) {
      SSL_SESSION_free(it->second);
      it->second = copy;
      return 0;
    }
    if (self->sessions_.size() >= max_sessions) {  // simple bound: forget the oldest key (alphabetically first)
      SSL_SESSION_free(self->sessions_.begin()->second);
      self->sessions_.erase(self->sessions_.begin());
    }
    self->sessions_.emplace(engine->session_key_, copy);
    return 0;
  } catch (...) {
    SSL_SESSION_free(copy);
    return 0;
  }
}

}  // namespace tls_openssl

/// The back end tls.hpp uses (see the top of this file).
using TlsContextImpl = tls_openssl::ContextImpl;
using TlsEngine = tls_openssl::Engine;

/// The back end's TLS version constants.
inline constexpr int tls_version_1_2 = TLS1_2_VERSION;
inline constexpr int tls_version_1_3 = TLS1_3_VERSION;

}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

namespace std {
/// tls::errc converts to std::error_code (ec == outlet::tls::errc::truncated).
template <>
struct is_error_code_enum<outlet::tls::errc> : true_type {};
}  // namespace std

#endif  // OUTLET_DETAIL_TLS_OPENSSL_HPP
