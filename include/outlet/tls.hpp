// outlet — TLS over outlet's sockets, secure by default (OpenSSL 3).
//
//   auto context = outlet::tls::Context::client();   // system CAs, TLS 1.2+
//   outlet::tls::Stream stream = outlet::tls::connect("example.com", 443, context, 5s);
//   stream.send_all("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
//
// Not included by <outlet/outlet.hpp>: include it yourself and link
// outlet::tls (CMake), which brings OpenSSL. docs/tls.md has the defaults,
// private CAs, mutual TLS, the Poller and every error.
#ifndef OUTLET_TLS_HPP
#define OUTLET_TLS_HPP

#include <outlet/detail/tls_openssl.hpp>
#include <outlet/poller.hpp>
#include <outlet/server_socket.hpp>
#include <outlet/socket.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace tls {

// --- errors ---------------------------------------------------------------------

/// What a TLS failure throws: a std::system_error whose code() is a
/// tls::errc (or an OS error such as connection_reset) and whose what()
/// names the operation, the peer, the error and the library's reason:
/// "tls handshake 127.0.0.1:4433: certificate verify failed: certificate has expired".
class Error : public std::system_error {
public:
  /// `context` is the part before the error's message, `detail` the reason after it (may be empty).
  Error(std::error_code ec, const std::string& context, const std::string& detail)
      : std::system_error(ec, context),
        what_(context + ": " + ec.message() + (detail.empty() ? "" : ": " + detail)),
        detail_(detail) {}
  /// The whole message.
  const char* what() const noexcept override { return what_.c_str(); }
  /// The TLS library's reason alone ("certificate has expired"), or "".
  const std::string& detail() const noexcept { return detail_; }

private:
  std::string what_;
  std::string detail_;
};

/// The oldest TLS version a context accepts.
enum class Version {
  tls1_2,  ///< TLS 1.2 (the default floor)
  tls1_3,  ///< TLS 1.3 only
};

// --- Context --------------------------------------------------------------------

class Stream;

/// Configuration shared by many connections: trusted CAs, own certificate,
/// ALPN, versions, session cache. Move-only; safe to share between threads
/// once configured (configure it before the first connection). Streams keep
/// what they need alive, so a Context may be destroyed before its Streams.
class Context {
public:
  /// A client context, secure without further calls: TLS 1.2 or later, the
  /// peer's chain verified against the system's CA store, the host name (or
  /// IP address) checked, SNI sent for names, no compression, no
  /// renegotiation, sessions cached per host and address for resumption.
  [[nodiscard]] static Context client();
  [[nodiscard]] static Context client(std::error_code& ec) noexcept;
  /// A server context with a certificate chain (PEM, leaf first) and its
  /// private key (PEM) from files; fails with key_mismatch if they do not
  /// belong together. Clients are not asked for certificates unless
  /// require_client_certificate() is called.
  [[nodiscard]] static Context server(std::string_view chain_file, std::string_view key_file);
  [[nodiscard]] static Context server(std::string_view chain_file, std::string_view key_file,
                                      std::error_code& ec) noexcept;
  /// server() with the chain and key as PEM text in memory.
  [[nodiscard]] static Context server_pem(std::string_view chain_pem, std::string_view key_pem);
  [[nodiscard]] static Context server_pem(std::string_view chain_pem, std::string_view key_pem,
                                          std::error_code& ec) noexcept;

  /// An empty context (is_open() false); assign one of the factories to it.
  Context() noexcept = default;
  Context(Context&&) noexcept = default;
  Context& operator=(Context&&) noexcept = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() = default;

  /// Trust the CA certificates in a PEM file. The first trust_ca_* call
  /// REPLACES the system store: from then on only the CAs given are trusted
  /// (a private CA should not have public CAs beside it). Later calls add;
  /// trust_system_store() adds the system's CAs back. On a server: the CAs
  /// client certificates must chain to.
  void trust_ca_file(std::string_view path);
  void trust_ca_file(std::string_view path, std::error_code& ec) noexcept;
  /// trust_ca_file() with PEM text in memory (one or more certificates).
  void trust_ca_pem(std::string_view pem);
  void trust_ca_pem(std::string_view pem, std::error_code& ec) noexcept;
  /// Trust the system's CA store (again, or on a server).
  void trust_system_store();
  void trust_system_store(std::error_code& ec) noexcept;

  /// This side's certificate chain and key from files: a client's for
  /// mutual TLS, or a server's replaced.
  void use_certificate_file(std::string_view chain_file, std::string_view key_file);
  void use_certificate_file(std::string_view chain_file, std::string_view key_file, std::error_code& ec) noexcept;
  /// use_certificate_file() with PEM text in memory.
  void use_certificate_pem(std::string_view chain_pem, std::string_view key_pem);
  void use_certificate_pem(std::string_view chain_pem, std::string_view key_pem, std::error_code& ec) noexcept;

  /// Server: ask every client for a certificate, and refuse the handshake
  /// without one or with one that does not chain to a trusted CA
  /// (trust_ca_file/pem). Clients always verify servers already.
  void require_client_certificate();

  /// ALPN protocols in order of preference ({"h2", "http/1.1"}). A client
  /// offers them; a server picks the first of its list that the client
  /// offered, and goes on without ALPN if none was (alpn() is then "").
  /// Each name is 1 to 255 bytes.
  void set_alpn(std::initializer_list<std::string_view> protocols);
  void set_alpn(std::initializer_list<std::string_view> protocols, std::error_code& ec) noexcept;
  void set_alpn(const std::vector<std::string>& protocols);
  void set_alpn(const std::vector<std::string>& protocols, std::error_code& ec) noexcept;

  /// The oldest TLS version accepted (default: TLS 1.2). Nothing older than
  /// TLS 1.2 can be chosen.
  void set_min_version(Version version);
  void set_min_version(Version version, std::error_code& ec) noexcept;

  /// INSECURE: stop verifying the peer's certificate and host name. Anyone
  /// on the path can then read and change the traffic. For tests against
  /// self-signed servers only; never in production.
  void disable_verification_insecure();

  /// Whether this context holds a configuration.
  bool is_open() const noexcept { return impl_ != nullptr; }
  /// Whether this is a server context.
  bool is_server() const noexcept { return impl_ != nullptr && impl_->server(); }
  /// Whether peers are verified: a client's default, a server's after
  /// require_client_certificate().
  bool verifies_peer() const noexcept { return impl_ != nullptr && impl_->verifies(); }

private:
  friend class Stream;
  explicit Context(std::shared_ptr<outlet::detail::TlsContextImpl> impl) noexcept : impl_(std::move(impl)) {}
  static Context make(bool server, std::string_view chain, std::string_view key, bool files, std::error_code& ec,
                      std::string& detail) noexcept;
  std::error_code alpn_impl(const std::string_view* names, std::size_t count) noexcept;
  std::shared_ptr<outlet::detail::TlsContextImpl> impl_;
};

// --- Stream ---------------------------------------------------------------------

/// A TLS connection over an outlet::Socket that it owns: the same shape as
/// Socket (send, send_all, receive, receive_exact; throwing and
/// std::error_code forms; the socket's send/receive timeouts as deadlines
/// over whole calls, across EINTR and partial records). Move-only. One
/// thread at a time per Stream.
///
/// Non-blocking: if the socket is non-blocking (set_non_blocking(true)),
/// handshake, send, receive and shutdown fail with
/// std::errc::operation_would_block instead of waiting, and wants() says
/// whether to wait for readable or writable before calling again (a send
/// that would block must be called again with the same data).
class Stream {
public:
  /// A stream that is not open.
  Stream() noexcept = default;
  /// A client stream on a connected socket: the certificate must be valid
  /// for `host`, a DNS name (also sent as SNI) or an IP literal ("127.0.0.1",
  /// "::1": checked against the certificate's IP addresses, no SNI). The
  /// handshake happens in handshake(), or in the first send or receive.
  Stream(Socket socket, Context& context, std::string_view host);
  Stream(Socket socket, Context& context, std::string_view host, std::error_code& ec) noexcept;
  /// A server stream on an accepted socket.
  Stream(Socket socket, Context& context);
  Stream(Socket socket, Context& context, std::error_code& ec) noexcept;

  Stream(Stream&&) noexcept = default;
  Stream& operator=(Stream&&) noexcept = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  /// Frees the TLS state and closes the socket, without close_notify (call
  /// shutdown() first for a clean close).
  ~Stream() = default;

  /// The TLS handshake, within the socket's receive timeout if one is set.
  void handshake();
  void handshake(std::error_code& ec) noexcept;
  /// The handshake within `timeout` (0: no limit); timed_out after it.
  void handshake(duration timeout);
  void handshake(duration timeout, std::error_code& ec) noexcept;

  /// Sends up to one TLS record (16 KiB) of `data`: returns how much was
  /// taken, which may be less than size (send_all() sends everything).
  [[nodiscard]] std::size_t send(const void* data, std::size_t size);
  [[nodiscard]] std::size_t send(const void* data, std::size_t size, std::error_code& ec) noexcept;
  [[nodiscard]] std::size_t send(std::string_view data);
  [[nodiscard]] std::size_t send(std::string_view data, std::error_code& ec) noexcept;
  /// send() until every byte is sent; the send timeout covers the whole call.
  void send_all(const void* data, std::size_t size);
  /// ec form: returns how many bytes were sent before an error.
  std::size_t send_all(const void* data, std::size_t size, std::error_code& ec) noexcept;
  void send_all(std::string_view data);
  std::size_t send_all(std::string_view data, std::error_code& ec) noexcept;

  /// send_all() of several buffers in order, as if they were one: they are
  /// gathered into full TLS records (16 KiB), so many small buffers cost
  /// one record, not one each. The send timeout covers the whole call. In
  /// non-blocking mode, after operation_would_block, call again with what
  /// is left (the ec form returns how many bytes were sent).
  void send_all_vectored(const ConstBuffer* buffers, std::size_t count);
  /// ec form: returns how many bytes were sent before an error.
  std::size_t send_all_vectored(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept;
  void send_all_vectored(std::initializer_list<ConstBuffer> buffers);
  std::size_t send_all_vectored(std::initializer_list<ConstBuffer> buffers, std::error_code& ec) noexcept;

  /// Receives what is available (at least one byte): 0 means the peer
  /// closed cleanly (close_notify); a close without it fails with
  /// tls::errc::truncated.
  [[nodiscard]] std::size_t receive(void* data, std::size_t size);
  [[nodiscard]] std::size_t receive(void* data, std::size_t size, std::error_code& ec) noexcept;
  /// receive() until `size` bytes arrived, or fewer only if the peer closed
  /// cleanly; the receive timeout covers the whole call.
  [[nodiscard]] std::size_t receive_exact(void* data, std::size_t size);
  [[nodiscard]] std::size_t receive_exact(void* data, std::size_t size, std::error_code& ec) noexcept;

  /// Sends close_notify and waits up to `timeout` (0: no limit) for the
  /// peer's; data that arrives first is dropped. Fails with timed_out if
  /// the peer's never comes, truncated if the peer closes without one. The
  /// socket stays open (close it, or destroy the stream).
  void shutdown(duration timeout);
  void shutdown(duration timeout, std::error_code& ec) noexcept;

  /// After operation_would_block: which readiness to wait for before the
  /// same call is made again (Interest::readable or Interest::writable).
  Interest wants() const noexcept { return wants_; }

  /// Whether this stream has a socket and TLS state.
  bool is_open() const noexcept { return engine_ != nullptr; }
  /// Whether the handshake has completed.
  bool handshake_done() const noexcept { return engine_ != nullptr && engine_->handshake_done(); }
  /// The peer certificate's subject, RFC 2253 ("CN=localhost"), or "" if
  /// the peer sent none.
  [[nodiscard]] std::string peer_certificate_subject() const;
  /// The negotiated protocol ("TLSv1.3", "TLSv1.2"), or "" before the handshake.
  [[nodiscard]] std::string protocol() const;
  /// The ALPN protocol agreed on, or "" if none.
  [[nodiscard]] std::string alpn() const;
  /// The cipher suite's name ("TLS_AES_256_GCM_SHA384"), or "".
  [[nodiscard]] std::string cipher() const;
  /// Whether the handshake resumed a cached session (client contexts cache
  /// one per host and address).
  bool session_reused() const noexcept { return engine_ != nullptr && engine_->session_reused(); }
  /// The TLS library's reason for the last failure ("certificate has
  /// expired", "alert from the peer: handshake failure"), or "": what the
  /// error_code forms cannot carry.
  const std::string& error_detail() const noexcept;

  /// The socket (for timeouts, non-blocking mode, a Poller). Do not send,
  /// receive, close or replace it while the stream uses it.
  Socket& socket() noexcept { return socket_; }
  /// The socket.
  const Socket& socket() const noexcept { return socket_; }

private:
  friend Stream accept(ServerSocket& server, Context& context, duration timeout, std::error_code& ec) noexcept;
  friend Stream connect(std::string_view host, std::uint16_t port, Context& context, duration timeout,
                        std::error_code& ec) noexcept;
  friend Stream connect(std::string_view host, std::uint16_t port, Context& context, duration timeout);
  friend Stream accept(ServerSocket& server, Context& context, duration timeout);

  std::error_code open(Socket socket, Context& context, bool server, std::string_view host) noexcept;
  /// Runs engine steps until one is done, waiting for the socket within
  /// `deadline` (or reporting would_block in non-blocking mode).
  template <class Step>
  std::error_code drive(Step&& step, const outlet::detail::Deadline& deadline) noexcept;
  std::error_code handshake_until(const outlet::detail::Deadline& deadline) noexcept;
  std::size_t send_some(const void* data, std::size_t size, const outlet::detail::Deadline& deadline,
                        std::error_code& ec) noexcept;
  std::size_t receive_some(void* data, std::size_t size, const outlet::detail::Deadline& deadline,
                           std::error_code& ec) noexcept;
  std::size_t send_all_impl(const void* data, std::size_t size, std::error_code& ec) noexcept;
  std::size_t send_all_vectored_impl(const ConstBuffer* buffers, std::size_t count, std::error_code& ec) noexcept;
  std::size_t receive_exact_impl(void* data, std::size_t size, std::error_code& ec) noexcept;
  outlet::detail::Deadline timeout_deadline(duration timeout) const noexcept;
  [[noreturn]] void throw_failure(const std::error_code& ec, const char* op) const;

  Socket socket_;
  std::unique_ptr<outlet::detail::TlsEngine> engine_;
  std::string host_;
  std::string detail_;
  Interest wants_ = Interest::readable;
};

/// outlet::connect(host, port) and a client handshake with the certificate
/// checked against `host`, all within `timeout` (0: no limit).
[[nodiscard]] Stream connect(std::string_view host, std::uint16_t port, Context& context, duration timeout);
[[nodiscard]] Stream connect(std::string_view host, std::uint16_t port, Context& context, duration timeout,
                             std::error_code& ec) noexcept;
/// server.accept() and a server handshake, within `timeout` (0: no limit).
/// A client that fails its handshake is closed and the error reported.
[[nodiscard]] Stream accept(ServerSocket& server, Context& context, duration timeout);
[[nodiscard]] Stream accept(ServerSocket& server, Context& context, duration timeout, std::error_code& ec) noexcept;

// ---------------------------------------------------------------------------
// Implementation

namespace detail {

inline std::string describe(const char* op, const std::string& path) {
  outlet::detail::Text text;
  text.add(op).add(' ').add_quoted(path);
  return std::string(text.c_str(), text.size());
}

/// Runs `body` (which may allocate), turning bad_alloc into an error.
template <class Body>
std::error_code guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return std::make_error_code(std::errc::not_enough_memory);
  }
}

}  // namespace detail

// --- Context ----------------------------------------------------------------------

inline Context Context::make(bool server, std::string_view chain, std::string_view key, bool files, std::error_code& ec,
                             std::string& detail) noexcept {
  std::shared_ptr<outlet::detail::TlsContextImpl> impl;
  ec = detail::guarded([&]() -> std::error_code {
    std::error_code error;
    impl = outlet::detail::TlsContextImpl::make(server, error);
    if (error || !server) return error;
    const auto loaded = files ? impl->load_certificate_files(std::string(chain), std::string(key))
                              : impl->load_certificate_pem(chain, key);
    detail = loaded.detail;
    return loaded.error;
  });
  if (ec) return Context();
  return Context(std::move(impl));
}

inline Context Context::client(std::error_code& ec) noexcept {
  std::string detail;
  return make(false, {}, {}, false, ec, detail);
}
inline Context Context::client() {
  std::error_code ec;
  std::string detail;
  Context context = make(false, {}, {}, false, ec, detail);
  if (ec) throw Error(ec, "tls::Context::client", detail);
  return context;
}
inline Context Context::server(std::string_view chain_file, std::string_view key_file, std::error_code& ec) noexcept {
  std::string detail;
  return make(true, chain_file, key_file, true, ec, detail);
}
inline Context Context::server(std::string_view chain_file, std::string_view key_file) {
  std::error_code ec;
  std::string detail;
  Context context = make(true, chain_file, key_file, true, ec, detail);
  if (ec) {
    throw Error(ec,
                "tls::Context::server " + detail::describe("chain", std::string(chain_file)) + " " +
                    detail::describe("key", std::string(key_file)),
                detail);
  }
  return context;
}
inline Context Context::server_pem(std::string_view chain_pem, std::string_view key_pem, std::error_code& ec) noexcept {
  std::string detail;
  return make(true, chain_pem, key_pem, false, ec, detail);
}
inline Context Context::server_pem(std::string_view chain_pem, std::string_view key_pem) {
  std::error_code ec;
  std::string detail;
  Context context = make(true, chain_pem, key_pem, false, ec, detail);
  if (ec) throw Error(ec, "tls::Context::server_pem", detail);
  return context;
}

namespace detail {
inline std::error_code not_configured() noexcept { return std::make_error_code(std::errc::invalid_argument); }
}  // namespace detail

inline void Context::trust_ca_file(std::string_view path, std::error_code& ec) noexcept {
  if (!impl_) {
    ec = detail::not_configured();
    return;
  }
  ec = detail::guarded([&] { return impl_->trust_file(std::string(path)).error; });
}
inline void Context::trust_ca_file(std::string_view path) {
  if (!impl_) outlet::detail::throw_invalid("tls::Context::trust_ca_file", path, "empty context");
  const auto r = impl_->trust_file(std::string(path));
  if (r.error) throw Error(r.error, detail::describe("tls::Context::trust_ca_file", std::string(path)), r.detail);
}
inline void Context::trust_ca_pem(std::string_view pem, std::error_code& ec) noexcept {
  if (!impl_) {
    ec = detail::not_configured();
    return;
  }
  ec = detail::guarded([&] { return impl_->trust_pem(pem).error; });
}
inline void Context::trust_ca_pem(std::string_view pem) {
  if (!impl_) outlet::detail::throw_invalid("tls::Context::trust_ca_pem", "", "empty context");
  const auto r = impl_->trust_pem(pem);
  if (r.error) throw Error(r.error, "tls::Context::trust_ca_pem", r.detail);
}
inline void Context::trust_system_store(std::error_code& ec) noexcept {
  ec = impl_ ? detail::guarded([&] { return impl_->trust_system().error; }) : detail::not_configured();
}
inline void Context::trust_system_store() {
  std::error_code ec;
  trust_system_store(ec);
  if (ec) throw Error(ec, "tls::Context::trust_system_store", "");
}
inline void Context::use_certificate_file(std::string_view chain_file, std::string_view key_file,
                                          std::error_code& ec) noexcept {
  if (!impl_) {
    ec = detail::not_configured();
    return;
  }
  ec = detail::guarded(
      [&] { return impl_->load_certificate_files(std::string(chain_file), std::string(key_file)).error; });
}
inline void Context::use_certificate_file(std::string_view chain_file, std::string_view key_file) {
  if (!impl_) outlet::detail::throw_invalid("tls::Context::use_certificate_file", chain_file, "empty context");
  const auto r = impl_->load_certificate_files(std::string(chain_file), std::string(key_file));
  if (r.error) {
    throw Error(r.error,
                "tls::Context::use_certificate_file " + detail::describe("chain", std::string(chain_file)) + " " +
                    detail::describe("key", std::string(key_file)),
                r.detail);
  }
}
inline void Context::use_certificate_pem(std::string_view chain_pem, std::string_view key_pem,
                                         std::error_code& ec) noexcept {
  if (!impl_) {
    ec = detail::not_configured();
    return;
  }
  ec = detail::guarded([&] { return impl_->load_certificate_pem(chain_pem, key_pem).error; });
}
inline void Context::use_certificate_pem(std::string_view chain_pem, std::string_view key_pem) {
  if (!impl_) outlet::detail::throw_invalid("tls::Context::use_certificate_pem", "", "empty context");
  const auto r = impl_->load_certificate_pem(chain_pem, key_pem);
  if (r.error) throw Error(r.error, "tls::Context::use_certificate_pem", r.detail);
}
inline void Context::require_client_certificate() {
  if (!impl_ || !impl_->server())
    outlet::detail::throw_invalid("tls::Context::require_client_certificate", "", "not a server context");
  impl_->require_client_cert();
}
inline void Context::disable_verification_insecure() {
  if (!impl_) outlet::detail::throw_invalid("tls::Context::disable_verification_insecure", "", "empty context");
  impl_->disable_verification();
}

inline std::error_code Context::alpn_impl(const std::string_view* names, std::size_t count) noexcept {
  if (!impl_) return detail::not_configured();
  return detail::guarded([&]() -> std::error_code {
    std::vector<unsigned char> wire;
    for (std::size_t i = 0; i < count; ++i) {
      if (names[i].empty() || names[i].size() > 255) return std::make_error_code(std::errc::invalid_argument);
      wire.push_back(static_cast<unsigned char>(names[i].size()));
      wire.insert(wire.end(), names[i].begin(), names[i].end());
    }
    if (!impl_->set_alpn(std::move(wire))) return make_error_code(errc::library_error);
    return {};
  });
}
inline void Context::set_alpn(std::initializer_list<std::string_view> protocols, std::error_code& ec) noexcept {
  ec = alpn_impl(protocols.begin(), protocols.size());
}
inline void Context::set_alpn(std::initializer_list<std::string_view> protocols) {
  for (std::string_view name : protocols) {
    if (name.empty() || name.size() > 255)
      outlet::detail::throw_invalid("tls::Context::set_alpn", name, "a protocol name is 1 to 255 bytes");
  }
  std::error_code ec = alpn_impl(protocols.begin(), protocols.size());
  if (ec) throw Error(ec, "tls::Context::set_alpn", "");
}
inline void Context::set_alpn(const std::vector<std::string>& protocols, std::error_code& ec) noexcept {
  ec = detail::guarded([&] {
    const std::vector<std::string_view> names(protocols.begin(), protocols.end());
    return alpn_impl(names.data(), names.size());
  });
}
inline void Context::set_alpn(const std::vector<std::string>& protocols) {
  const std::vector<std::string_view> names(protocols.begin(), protocols.end());
  for (std::string_view name : names) {
    if (name.empty() || name.size() > 255)
      outlet::detail::throw_invalid("tls::Context::set_alpn", name, "a protocol name is 1 to 255 bytes");
  }
  std::error_code ec = alpn_impl(names.data(), names.size());
  if (ec) throw Error(ec, "tls::Context::set_alpn", "");
}
inline void Context::set_min_version(Version version, std::error_code& ec) noexcept {
  if (!impl_) {
    ec = detail::not_configured();
    return;
  }
  const int v = version == Version::tls1_3 ? outlet::detail::tls_version_1_3 : outlet::detail::tls_version_1_2;
  ec = impl_->set_min_version(v) ? std::error_code() : make_error_code(errc::library_error);
}
inline void Context::set_min_version(Version version) {
  std::error_code ec;
  set_min_version(version, ec);
  if (ec) throw Error(ec, "tls::Context::set_min_version", "");
}

// --- Stream -----------------------------------------------------------------------

inline std::error_code Stream::open(Socket socket, Context& context, bool server, std::string_view host) noexcept {
  socket_ = std::move(socket);
  if (!context.impl_ || context.is_server() != server || !socket_.is_open()) {
    detail_ = !socket_.is_open() ? "the socket is not open"
              : !context.impl_   ? "the context is empty"
              : server           ? "a server stream needs a server context"
                                 : "a client stream needs a client context";
    return !socket_.is_open() ? outlet::detail::not_open() : std::make_error_code(std::errc::invalid_argument);
  }
  if (!server && context.verifies_peer() && host.empty()) {
    detail_ = "no host name to verify the certificate against";
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (host.find('\0') != std::string_view::npos) {
    detail_ = "host name contains a NUL byte";
    return std::make_error_code(std::errc::invalid_argument);
  }
  return detail::guarded([&]() -> std::error_code {
    host_.assign(host.data(), host.size());
    std::string key;
    if (!server) {
      std::error_code ignored;
      const Address peer = socket_.peer_address(ignored);
      key = host_ + '|' + (ignored ? std::string() : peer.to_string());
    }
    std::error_code ec;
    engine_ = outlet::detail::TlsEngine::make(context.impl_, server, host_, std::move(key), ec);
    return ec;
  });
}

inline Stream::Stream(Socket socket, Context& context, std::string_view host, std::error_code& ec) noexcept {
  ec = open(std::move(socket), context, false, host);
}
inline Stream::Stream(Socket socket, Context& context, std::string_view host) {
  if (std::error_code ec = open(std::move(socket), context, false, host)) {
    outlet::detail::Text text;
    text.add("tls::Stream ").add_quoted(host);
    throw Error(ec, text.c_str(), detail_);
  }
}
inline Stream::Stream(Socket socket, Context& context, std::error_code& ec) noexcept {
  ec = open(std::move(socket), context, true, {});
}
inline Stream::Stream(Socket socket, Context& context) {
  if (std::error_code ec = open(std::move(socket), context, true, {})) throw Error(ec, "tls::Stream", detail_);
}

inline outlet::detail::Deadline Stream::timeout_deadline(duration timeout) const noexcept {
  return timeout.count() > 0 && !socket_.non_blocking() ? outlet::detail::Deadline(timeout)
                                                        : outlet::detail::Deadline();
}

template <class Step>
std::error_code Stream::drive(Step&& step, const outlet::detail::Deadline& deadline) noexcept {
  if (!engine_) return outlet::detail::not_open();
  if (!socket_.is_open()) return outlet::detail::not_open();
  for (;;) {
    // Blocking, with no deadline: let the engine's send/recv block, as
    // plain OpenSSL on a descriptor does. Otherwise they never block, and
    // a step that cannot go on is waited for here, within the deadline.
    engine_->set_handle(socket_.native_handle(), !socket_.non_blocking() && !deadline.is_set());
    outlet::detail::TlsStep s;
    try {
      s = step();
    } catch (const std::bad_alloc&) {
      return std::make_error_code(std::errc::not_enough_memory);
    }
    switch (s) {
      case outlet::detail::TlsStep::done:
      case outlet::detail::TlsStep::closed: return {};
      case outlet::detail::TlsStep::failed: try { detail_ = engine_->detail();
        } catch (...) {
          detail_.clear();
        }
        return engine_->error();
      case outlet::detail::TlsStep::want_read:
      case outlet::detail::TlsStep::want_write: {
        const bool write = s == outlet::detail::TlsStep::want_write;
        wants_ = write ? Interest::writable : Interest::readable;
        if (socket_.non_blocking()) return std::make_error_code(std::errc::operation_would_block);
        if (deadline.expired()) return outlet::detail::timed_out();
        const short events = write ? outlet::detail::sys::poll_out : outlet::detail::sys::poll_in;
        if (std::error_code ec = outlet::detail::wait_ready(socket_.native_handle(), events, deadline)) return ec;
        break;
      }
    }
  }
}

inline std::error_code Stream::handshake_until(const outlet::detail::Deadline& deadline) noexcept {
  detail_.clear();
  const std::error_code ec = drive([&] { return engine_->handshake(); }, deadline);
  if (!ec && !engine_->handshake_done()) {  // a close_notify in the middle of the handshake
    detail_ = "connection closed during the handshake";
    return make_error_code(errc::truncated);
  }
  return ec;
}

inline void Stream::handshake(duration timeout, std::error_code& ec) noexcept {
  ec = timeout.count() < 0 ? std::make_error_code(std::errc::invalid_argument)
                           : handshake_until(timeout_deadline(timeout));
}
inline void Stream::handshake(duration timeout) {
  if (timeout.count() < 0)
    outlet::detail::throw_negative_timeout(outlet::detail::Text().add("tls handshake"), timeout.count());
  if (std::error_code ec = handshake_until(timeout_deadline(timeout))) throw_failure(ec, "tls handshake");
}
inline void Stream::handshake(std::error_code& ec) noexcept {
  ec = handshake_until(timeout_deadline(socket_.receive_timeout()));
}
inline void Stream::handshake() {
  if (std::error_code ec = handshake_until(timeout_deadline(socket_.receive_timeout())))
    throw_failure(ec, "tls handshake");
}

inline std::size_t Stream::send_some(const void* data, std::size_t size, const outlet::detail::Deadline& deadline,
                                     std::error_code& ec) noexcept {
  detail_.clear();
  std::size_t sent = 0;
  if (size == 0) {  // OpenSSL refuses empty writes: only the handshake, if it is still to come
    ec = engine_ && engine_->handshake_done() ? std::error_code() : handshake_until(deadline);
    return 0;
  }
  ec = drive([&] { return engine_->write(data, size, sent); }, deadline);
  return ec ? 0 : sent;
}
inline std::size_t Stream::receive_some(void* data, std::size_t size, const outlet::detail::Deadline& deadline,
                                        std::error_code& ec) noexcept {
  detail_.clear();
  std::size_t got = 0;
  if (size == 0) {  // nothing to read into: only the handshake, if it is still to come
    ec = engine_ && engine_->handshake_done() ? std::error_code() : handshake_until(deadline);
    return 0;
  }
  ec = drive([&] { return engine_->read(data, size, got); }, deadline);
  return ec ? 0 : got;
}

inline std::size_t Stream::send(const void* data, std::size_t size, std::error_code& ec) noexcept {
  return send_some(data, size, timeout_deadline(socket_.send_timeout()), ec);
}
inline std::size_t Stream::send(const void* data, std::size_t size) {
  std::error_code ec;
  const std::size_t n = send(data, size, ec);
  if (ec) throw_failure(ec, "tls send");
  return n;
}
inline std::size_t Stream::send(std::string_view data, std::error_code& ec) noexcept {
  return send(data.data(), data.size(), ec);
}
inline std::size_t Stream::send(std::string_view data) { return send(data.data(), data.size()); }

inline std::size_t Stream::send_all_impl(const void* data, std::size_t size, std::error_code& ec) noexcept {
  const outlet::detail::Deadline deadline = timeout_deadline(socket_.send_timeout());
  const auto* bytes = static_cast<const char*>(data);
  std::size_t sent = 0;
  ec.clear();
  do {
    sent += send_some(bytes + sent, size - sent, deadline, ec);
  } while (!ec && sent < size);
  return sent;
}
inline std::size_t Stream::send_all(const void* data, std::size_t size, std::error_code& ec) noexcept {
  return send_all_impl(data, size, ec);
}
inline void Stream::send_all(const void* data, std::size_t size) {
  std::error_code ec;
  const std::size_t sent = send_all_impl(data, size, ec);
  if (ec) {
    const outlet::detail::Text op = outlet::detail::describe_progress("tls send_all", sent, size, "sent");
    throw_failure(ec, op.c_str());
  }
}
inline std::size_t Stream::send_all(std::string_view data, std::error_code& ec) noexcept {
  return send_all_impl(data.data(), data.size(), ec);
}
inline void Stream::send_all(std::string_view data) { send_all(data.data(), data.size()); }

inline std::size_t Stream::send_all_vectored_impl(const ConstBuffer* buffers, std::size_t count,
                                                  std::error_code& ec) noexcept {
  const outlet::detail::Deadline deadline = timeout_deadline(socket_.send_timeout());
  char record[16384];  // one full TLS record's worth of plaintext
  std::size_t sent = 0;
  std::size_t i = 0;       // the buffer to gather from next
  std::size_t offset = 0;  // and where in it
  ec.clear();
  for (;;) {
    std::size_t n = 0;
    while (i < count && n < sizeof record) {
      const std::size_t take = std::min(buffers[i].size() - offset, sizeof record - n);
      if (take != 0) std::memcpy(record + n, static_cast<const char*>(buffers[i].data()) + offset, take);
      n += take;
      offset += take;
      if (offset == buffers[i].size()) {
        ++i;
        offset = 0;
      }
    }
    if (n == 0) return sent;
    for (std::size_t done = 0; done < n;) {
      done += send_some(record + done, n - done, deadline, ec);
      if (ec) return sent + done;
    }
    sent += n;
  }
}
inline std::size_t Stream::send_all_vectored(const ConstBuffer* buffers, std::size_t count,
                                             std::error_code& ec) noexcept {
  return send_all_vectored_impl(buffers, count, ec);
}
inline void Stream::send_all_vectored(const ConstBuffer* buffers, std::size_t count) {
  std::error_code ec;
  const std::size_t sent = send_all_vectored_impl(buffers, count, ec);
  if (ec) {
    const outlet::detail::Text op = outlet::detail::describe_progress(
        "tls send_all_vectored", sent, outlet::detail::total_size(buffers, count), "sent");
    throw_failure(ec, op.c_str());
  }
}
inline std::size_t Stream::send_all_vectored(std::initializer_list<ConstBuffer> buffers, std::error_code& ec) noexcept {
  return send_all_vectored_impl(buffers.begin(), buffers.size(), ec);
}
inline void Stream::send_all_vectored(std::initializer_list<ConstBuffer> buffers) {
  send_all_vectored(buffers.begin(), buffers.size());
}

inline std::size_t Stream::receive(void* data, std::size_t size, std::error_code& ec) noexcept {
  return receive_some(data, size, timeout_deadline(socket_.receive_timeout()), ec);
}
inline std::size_t Stream::receive(void* data, std::size_t size) {
  std::error_code ec;
  const std::size_t n = receive(data, size, ec);
  if (ec) throw_failure(ec, "tls receive");
  return n;
}
inline std::size_t Stream::receive_exact_impl(void* data, std::size_t size, std::error_code& ec) noexcept {
  const outlet::detail::Deadline deadline = timeout_deadline(socket_.receive_timeout());
  auto* bytes = static_cast<char*>(data);
  std::size_t got = 0;
  ec.clear();
  while (got < size) {
    const std::size_t n = receive_some(bytes + got, size - got, deadline, ec);
    if (ec || n == 0) break;
    got += n;
  }
  return got;
}
inline std::size_t Stream::receive_exact(void* data, std::size_t size, std::error_code& ec) noexcept {
  return receive_exact_impl(data, size, ec);
}
inline std::size_t Stream::receive_exact(void* data, std::size_t size) {
  std::error_code ec;
  const std::size_t got = receive_exact_impl(data, size, ec);
  if (ec) {
    const outlet::detail::Text op = outlet::detail::describe_progress("tls receive_exact", got, size, "received");
    throw_failure(ec, op.c_str());
  }
  return got;
}

inline void Stream::shutdown(duration timeout, std::error_code& ec) noexcept {
  if (timeout.count() < 0) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return;
  }
  detail_.clear();
  ec = drive([&] { return engine_->shutdown(); }, timeout_deadline(timeout));
}
inline void Stream::shutdown(duration timeout) {
  if (timeout.count() < 0)
    outlet::detail::throw_negative_timeout(outlet::detail::Text().add("tls shutdown"), timeout.count());
  std::error_code ec;
  shutdown(timeout, ec);
  if (ec) throw_failure(ec, "tls shutdown");
}

inline std::string Stream::peer_certificate_subject() const { return engine_ ? engine_->peer_subject() : ""; }
inline std::string Stream::protocol() const { return engine_ ? engine_->protocol() : ""; }
inline std::string Stream::alpn() const { return engine_ ? engine_->alpn() : ""; }
inline std::string Stream::cipher() const { return engine_ ? engine_->cipher() : ""; }
inline const std::string& Stream::error_detail() const noexcept { return detail_; }

inline void Stream::throw_failure(const std::error_code& ec, const char* op) const {
  std::string context = op;
  std::error_code ignored;
  const Address peer = socket_.is_open() ? socket_.peer_address(ignored) : Address();
  if (!host_.empty()) context += ' ' + outlet::detail::quote(host_);
  if (!ignored && !peer.empty()) context += ' ' + peer.to_string();
  throw Error(ec, context, detail_);
}

// --- connect and accept -------------------------------------------------------------

namespace detail {
inline duration left(const outlet::detail::Deadline& deadline) noexcept {
  if (!deadline.is_set()) return duration::zero();
  const int ms = deadline.poll_timeout_ms();
  return std::chrono::milliseconds(ms > 0 ? ms : 1);
}
}  // namespace detail

inline Stream connect(std::string_view host, std::uint16_t port, Context& context, duration timeout,
                      std::error_code& ec) noexcept {
  if (timeout.count() < 0) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return {};
  }
  const outlet::detail::Deadline deadline =
      timeout.count() > 0 ? outlet::detail::Deadline(timeout) : outlet::detail::Deadline();
  Socket socket = outlet::connect(host, port, detail::left(deadline), ec);
  if (ec) return {};
  Stream stream(std::move(socket), context, host, ec);
  if (ec) return {};
  if ((ec = stream.handshake_until(deadline))) return {};
  return stream;
}

inline Stream connect(std::string_view host, std::uint16_t port, Context& context, duration timeout) {
  if (timeout.count() < 0)
    outlet::detail::throw_negative_timeout(outlet::detail::describe_connect(host, port), timeout.count());
  const outlet::detail::Deadline deadline =
      timeout.count() > 0 ? outlet::detail::Deadline(timeout) : outlet::detail::Deadline();
  Stream stream(outlet::connect(host, port, detail::left(deadline)), context, host);
  if (std::error_code ec = stream.handshake_until(deadline)) stream.throw_failure(ec, "tls handshake");
  return stream;
}

inline Stream accept(ServerSocket& server, Context& context, duration timeout, std::error_code& ec) noexcept {
  if (timeout.count() < 0) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return {};
  }
  const outlet::detail::Deadline deadline =
      timeout.count() > 0 ? outlet::detail::Deadline(timeout) : outlet::detail::Deadline();
  Socket socket = server.accept(detail::left(deadline), ec);
  if (ec) return {};
  Stream stream(std::move(socket), context, ec);
  if (ec) return {};
  if ((ec = stream.handshake_until(deadline))) return {};
  return stream;
}

inline Stream accept(ServerSocket& server, Context& context, duration timeout) {
  if (timeout.count() < 0)
    outlet::detail::throw_negative_timeout(outlet::detail::Text().add("tls accept"), timeout.count());
  const outlet::detail::Deadline deadline =
      timeout.count() > 0 ? outlet::detail::Deadline(timeout) : outlet::detail::Deadline();
  Stream stream(server.accept(detail::left(deadline)), context);
  if (std::error_code ec = stream.handshake_until(deadline)) stream.throw_failure(ec, "tls accept");
  return stream;
}

}  // namespace tls

}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_TLS_HPP
