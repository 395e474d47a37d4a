// outlet — Poller: many sockets on one thread. Register sockets with an
// interest and a token, then wait() reports which are ready.
//
//   outlet::Poller poller;
//   poller.add(server, outlet::Interest::readable, 0);
//   for (;;) {
//     poller.wait();
//     for (const outlet::Event& e : poller.events()) { ... e.token() ... }
//   }
//
// Back ends, one file each behind detail/poller_contract.hpp: epoll on
// Linux, kqueue on macOS and the BSDs, WSAPoll on Windows, poll() elsewhere.
// Define OUTLET_FORCE_POLL to use poll() on every POSIX system.
#ifndef OUTLET_POLLER_HPP
#define OUTLET_POLLER_HPP

#include <outlet/detail/error_policy.hpp>
#include <outlet/detail/poller_contract.hpp>
#include <outlet/detail/socket_ops.hpp>
#include <outlet/error.hpp>
#include <outlet/socket_base.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <system_error>
#include <utility>
#include <vector>

// detail/platform.hpp chose the back end: exactly one of these is defined.
#if defined(OUTLET_DETAIL_POLLER_EPOLL)
#include <outlet/detail/poller_epoll.hpp>
#define OUTLET_DETAIL_POLLER_BACKEND EpollBackend
#elif defined(OUTLET_DETAIL_POLLER_KQUEUE)
#include <outlet/detail/poller_kqueue.hpp>
#define OUTLET_DETAIL_POLLER_BACKEND KqueueBackend
#elif defined(OUTLET_DETAIL_POLLER_POLL)
#include <outlet/detail/poller_poll.hpp>
#define OUTLET_DETAIL_POLLER_BACKEND PollBackend
#endif  // defined(OUTLET_DETAIL_POLLER_EPOLL)

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

namespace detail {
/// The back end this build uses (see poller_contract.hpp).
using PollerBackend = OUTLET_DETAIL_POLLER_BACKEND;
}  // namespace detail
#undef OUTLET_DETAIL_POLLER_BACKEND

/// Readiness polling for many handles on one thread: epoll, kqueue, WSAPoll
/// or poll(). Level-triggered: a handle is reported by every wait() while it
/// stays ready. Move-only; not thread-safe (one thread adds, waits, removes).
///
/// A registration belongs to the handle, not to the socket object: moving a
/// socket keeps it registered. Remove a socket before closing it. A handle
/// closed while registered stays registered until remove(), on every back
/// end: size() counts it, and a new socket that gets its number cannot be
/// added (file_exists) until the old number is removed. epoll and kqueue
/// report nothing for it; poll and WSAPoll report it with error().
class Poller {
public:
  /// wait()'s timeout: std::chrono::nanoseconds; any std::chrono duration converts.
  using duration = outlet::duration;

  /// An empty poller. The OS object (epoll_create1, kqueue) is created by
  /// the first add() or wait(), so this cannot fail.
  Poller() noexcept = default;
  /// The registrations move along; `other` is left empty.
  Poller(Poller&& other) noexcept
      : backend_(std::move(other.backend_)), events_(std::move(other.events_)), registered_(other.registered_) {
    other.backend_.close();
    other.events_.clear();
    other.registered_ = 0;
  }
  Poller& operator=(Poller&& other) noexcept {
    if (this != &other) {
      backend_ = std::move(other.backend_);
      events_ = std::move(other.events_);
      registered_ = other.registered_;
      other.backend_.close();
      other.events_.clear();
      other.registered_ = 0;
    }
    return *this;
  }
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  ~Poller() = default;

  /// Registers a socket (epoll_ctl ADD, kevent EV_ADD, or a new pollfd) for
  /// `interest`; wait() reports it with `token`. Fails with file_exists if
  /// its handle is registered already (also when an earlier socket with that
  /// number was closed without remove()), bad_file_descriptor if the socket
  /// is closed.
  void add(const BasicSocket& socket, Interest interest, std::uint64_t token);
  void add(const BasicSocket& socket, Interest interest, std::uint64_t token, std::error_code& ec) noexcept;
  /// The same for a handle outlet does not own.
  void add(native_handle_type handle, Interest interest, std::uint64_t token);
  void add(native_handle_type handle, Interest interest, std::uint64_t token, std::error_code& ec) noexcept;

  /// Changes a registered socket's interest and token (epoll_ctl MOD, ...).
  /// Fails with no_such_file_or_directory if it is not registered.
  void modify(const BasicSocket& socket, Interest interest, std::uint64_t token);
  void modify(const BasicSocket& socket, Interest interest, std::uint64_t token, std::error_code& ec) noexcept;
  void modify(native_handle_type handle, Interest interest, std::uint64_t token);
  void modify(native_handle_type handle, Interest interest, std::uint64_t token, std::error_code& ec) noexcept;

  /// Forgets a socket (epoll_ctl DEL, ...). Fails with
  /// no_such_file_or_directory if it is not registered.
  void remove(const BasicSocket& socket);
  void remove(const BasicSocket& socket, std::error_code& ec) noexcept;
  void remove(native_handle_type handle);
  void remove(native_handle_type handle, std::error_code& ec) noexcept;

  /// Waits until at least one registered handle is ready (epoll_wait,
  /// kevent, poll, WSAPoll), fills events() and returns how many there are.
  /// EINTR is retried with the time that is left. Waits with no limit.
  std::size_t wait();
  std::size_t wait(std::error_code& ec) noexcept;
  /// The same, for at most `timeout`: returns 0 when it passes (not an
  /// error); 0 checks once without waiting (README, "Timeouts"). A negative
  /// timeout is invalid_argument.
  std::size_t wait(duration timeout);
  std::size_t wait(duration timeout, std::error_code& ec) noexcept;

  /// The ready handles found by the last wait(). Valid until the next wait():
  /// add(), modify() and remove() may be called while looping over them.
  const std::vector<Event>& events() const noexcept { return events_; }
  /// How many handles are registered.
  std::size_t size() const noexcept { return registered_; }
  /// The back end in use: "epoll", "kqueue", "poll" or "WSAPoll".
  static constexpr const char* backend() noexcept { return detail::PollerBackend::name; }

private:
  std::error_code ensure_open() noexcept;
  std::error_code reserve_events() noexcept;
  std::size_t wait_until(const detail::Deadline& deadline, std::error_code& ec) noexcept;

  detail::PollerBackend backend_;
  std::vector<Event> events_;
  std::size_t registered_ = 0;
};

// ---------------------------------------------------------------------------
// Implementation: compiled once under OUTLET_SEPARATE_COMPILATION (detail/abi.hpp),
// in every translation unit otherwise
#if OUTLET_DETAIL_BODIES

OUTLET_DETAIL_DEF std::error_code Poller::ensure_open() noexcept {
  if (backend_.is_open()) return {};
  if (std::error_code ec = detail::sys::ensure_started()) return ec;
  return backend_.open();
}

OUTLET_DETAIL_DEF std::error_code Poller::reserve_events() noexcept {
  try {
    events_.reserve(backend_.reserve_hint());
  } catch (const std::bad_alloc&) {
    return std::make_error_code(std::errc::not_enough_memory);
  }
  return {};
}

OUTLET_DETAIL_DEF void Poller::add(native_handle_type handle, Interest interest, std::uint64_t token,
                                   std::error_code& ec) noexcept {
  if (handle == detail::sys::invalid_handle) {
    ec = detail::not_open();
    return;
  }
  if ((ec = ensure_open())) return;
  if ((ec = backend_.add(handle, static_cast<unsigned>(interest), token))) return;
  ++registered_;
}

OUTLET_DETAIL_DEF void Poller::add(native_handle_type handle, Interest interest, std::uint64_t token) {
  std::error_code ec;
  add(handle, interest, token, ec);
  if (ec == std::errc::file_exists) {
    detail::throw_error(ec,
                        "poller add (the handle is registered already: a socket closed without remove() "
                        "stays registered, and a new socket may get its number)");
  }
  detail::Throw{"poller add"}.check(ec);
}

OUTLET_DETAIL_DEF void Poller::add(const BasicSocket& socket, Interest interest, std::uint64_t token,
                                   std::error_code& ec) noexcept {
  add(socket.native_handle(), interest, token, ec);
}

OUTLET_DETAIL_DEF void Poller::add(const BasicSocket& socket, Interest interest, std::uint64_t token) {
  add(socket.native_handle(), interest, token);
}

OUTLET_DETAIL_DEF void Poller::modify(native_handle_type handle, Interest interest, std::uint64_t token,
                                      std::error_code& ec) noexcept {
  if (handle == detail::sys::invalid_handle) {
    ec = detail::not_open();
    return;
  }
  ec = backend_.is_open() ? backend_.modify(handle, static_cast<unsigned>(interest), token)
                          : std::make_error_code(std::errc::no_such_file_or_directory);
}

OUTLET_DETAIL_DEF void Poller::modify(native_handle_type handle, Interest interest, std::uint64_t token) {
  std::error_code ec;
  modify(handle, interest, token, ec);
  detail::Throw{"poller modify"}.check(ec);
}

OUTLET_DETAIL_DEF void Poller::modify(const BasicSocket& socket, Interest interest, std::uint64_t token,
                                      std::error_code& ec) noexcept {
  modify(socket.native_handle(), interest, token, ec);
}

OUTLET_DETAIL_DEF void Poller::modify(const BasicSocket& socket, Interest interest, std::uint64_t token) {
  modify(socket.native_handle(), interest, token);
}

OUTLET_DETAIL_DEF void Poller::remove(native_handle_type handle, std::error_code& ec) noexcept {
  if (handle == detail::sys::invalid_handle) {
    ec = detail::not_open();
    return;
  }
  ec = backend_.is_open() ? backend_.remove(handle) : std::make_error_code(std::errc::no_such_file_or_directory);
  if (!ec) --registered_;
}

OUTLET_DETAIL_DEF void Poller::remove(native_handle_type handle) {
  std::error_code ec;
  remove(handle, ec);
  detail::Throw{"poller remove"}.check(ec);
}

OUTLET_DETAIL_DEF void Poller::remove(const BasicSocket& socket, std::error_code& ec) noexcept {
  remove(socket.native_handle(), ec);
}

OUTLET_DETAIL_DEF void Poller::remove(const BasicSocket& socket) { remove(socket.native_handle()); }

OUTLET_DETAIL_DEF std::size_t Poller::wait_until(const detail::Deadline& deadline, std::error_code& ec) noexcept {
  events_.clear();
  if ((ec = ensure_open())) return 0;
  // Here, not in add(): events() must stay put while a caller adds sockets
  // in its loop over them. Once the registrations stop growing, no wait allocates.
  if ((ec = reserve_events())) return 0;
  for (;;) {
    const int ms = deadline.poll_timeout_ms();
    const int n =
        detail::hook_fails(detail::SysCall::poll, detail::sys::invalid_handle) ? -1 : backend_.wait(ms, events_);
    if (n >= 0) {
      ec.clear();
      return events_.size();
    }
    const int e = detail::sys::last_error();
    if (e != detail::sys::err_interrupted) {
      ec = detail::sys::to_error_code(e);
      return 0;
    }
    events_.clear();
    if (deadline.expired()) {  // interrupted at the end: the time is up, nothing is ready
      ec.clear();
      return 0;
    }
  }
}

OUTLET_DETAIL_DEF std::size_t Poller::wait(std::error_code& ec) noexcept { return wait_until(detail::Deadline(), ec); }

OUTLET_DETAIL_DEF std::size_t Poller::wait() {
  std::error_code ec;
  const std::size_t n = wait(ec);
  detail::Throw{"poller wait"}.check(ec);
  return n;
}

OUTLET_DETAIL_DEF std::size_t Poller::wait(duration timeout, std::error_code& ec) noexcept {
  if (timeout.count() < 0) {
    ec = detail::invalid_argument();
    events_.clear();
    return 0;
  }
  return wait_until(detail::Deadline(timeout), ec);
}

OUTLET_DETAIL_DEF std::size_t Poller::wait(duration timeout) {
  if (timeout.count() < 0) {
    events_.clear();
    detail::throw_negative_timeout(detail::Text().add("poller wait"), timeout.count());
  }
  std::error_code ec;
  const std::size_t n = wait(timeout, ec);
  detail::Throw{"poller wait"}.check(ec);
  return n;
}

#endif  // OUTLET_DETAIL_BODIES
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_POLLER_HPP
