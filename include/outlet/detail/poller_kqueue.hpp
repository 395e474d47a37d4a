// outlet — the kqueue(2) Poller back end (macOS, FreeBSD, NetBSD, OpenBSD,
// DragonFly). See poller_contract.hpp. Not built in this project's CI, which
// runs on Linux: written to the man pages, compiled where kqueue exists.
#ifndef OUTLET_DETAIL_POLLER_KQUEUE_HPP
#define OUTLET_DETAIL_POLLER_KQUEUE_HPP

#include <outlet/detail/poller_contract.hpp>

#if defined(OUTLET_DETAIL_POLLER_KQUEUE)  // selected by platform.hpp
#include <outlet/detail/owned_handle.hpp>

#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <system_error>
#include <vector>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace detail {

/// One kqueue; a handle is one EVFILT_READ and/or one EVFILT_WRITE filter,
/// each carrying the token in udata. Read and write readiness arrive as
/// separate kevents, so one handle can appear twice in one wait's events.
/// Moving leaves the source closed; its OwnedHandle closes the descriptor.
class KqueueBackend {
public:
  static constexpr const char* name = "kqueue";

  KqueueBackend() noexcept = default;
  KqueueBackend(KqueueBackend&&) noexcept = default;
  KqueueBackend& operator=(KqueueBackend&&) noexcept = default;

  /// kqueue(), then close-on-exec (kqueue descriptors are not inherited by
  /// fork, but may be by exec on some systems).
  std::error_code open() noexcept {
    const int fd = ::kqueue();
    if (fd < 0) return last_error_code();
    kq_.reset(fd);
    registered_ = 0;
    (void)::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return grow(1);  // with no room for events, kevent() returns at once instead of waiting
  }
  bool is_open() const noexcept { return kq_.is_open(); }
  /// close() on the kqueue descriptor (the sockets stay open).
  void close() noexcept {
    kq_.reset();
    registered_ = 0;
  }

  /// kevent(EV_ADD) for the wanted filters. A handle already registered
  /// (either filter present) fails with file_exists.
  std::error_code add(int h, unsigned interest, std::uint64_t token) noexcept {
    if (registered(h)) return std::make_error_code(std::errc::file_exists);
    if (std::error_code ec = grow(2 * (registered_ + 1))) return ec;
    if (std::error_code ec = apply(h, interest, token)) return ec;
    ++registered_;
    return {};
  }
  /// kevent(EV_ADD / EV_DELETE) so that exactly the wanted filters remain.
  std::error_code modify(int h, unsigned interest, std::uint64_t token) noexcept {
    if (!registered(h)) return std::make_error_code(std::errc::no_such_file_or_directory);
    return apply(h, interest, token);
  }
  /// kevent(EV_DELETE) for both filters.
  std::error_code remove(int h) noexcept {
    if (!registered(h)) return std::make_error_code(std::errc::no_such_file_or_directory);
    (void)change(h, EVFILT_READ, EV_DELETE, 0);
    (void)change(h, EVFILT_WRITE, EV_DELETE, 0);
    --registered_;
    return {};
  }
  std::size_t reserve_hint() const noexcept { return ready_.size(); }

  /// kevent() for ready filters.
  int wait(int timeout_ms, std::vector<Event>& out) noexcept {
    ::timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1000000L;
    const int n =
        ::kevent(kq_.get(), nullptr, 0, ready_.data(), static_cast<int>(ready_.size()), timeout_ms < 0 ? nullptr : &ts);
    for (int i = 0; i < n; ++i) {
      const struct ::kevent& e = ready_[static_cast<std::size_t>(i)];
      unsigned flags = 0;
      if (e.filter == EVFILT_READ) flags |= Event::in;
      if (e.filter == EVFILT_WRITE) flags |= Event::out;
      if ((e.flags & EV_ERROR) != 0) flags |= Event::err;
      if ((e.flags & EV_EOF) != 0) flags |= e.fflags != 0 ? Event::err | Event::hup : Event::hup;
      out.emplace_back(static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(e.udata)), flags);
    }
    return n;
  }

private:
  /// Whether h has a filter here: EV_RECEIPT reports per change, without
  /// waiting; EV_ENABLE on a missing filter fails with ENOENT.
  bool registered(int h) noexcept { return probe(h, EVFILT_READ) || probe(h, EVFILT_WRITE); }
  bool probe(int h, short filter) noexcept {
    struct ::kevent change_event;
    struct ::kevent result;
    EV_SET(&change_event, h, filter, EV_ENABLE | EV_RECEIPT, 0, 0, nullptr);
    if (::kevent(kq_.get(), &change_event, 1, &result, 1, nullptr) != 1) return false;
    return (result.flags & EV_ERROR) != 0 && result.data == 0;
  }
  int change(int h, short filter, unsigned short flags, std::uint64_t token) noexcept {
    struct ::kevent e;
    EV_SET(&e, h, filter, flags, 0, 0, reinterpret_cast<void*>(static_cast<std::uintptr_t>(token)));
    return ::kevent(kq_.get(), &e, 1, nullptr, 0, nullptr);
  }
  std::error_code apply(int h, unsigned interest, std::uint64_t token) noexcept {
    const bool read = (interest & interest_readable) != 0;
    const bool write = (interest & interest_writable) != 0;
    if (std::error_code ec = apply_filter(h, EVFILT_READ, read, token)) return ec;
    return apply_filter(h, EVFILT_WRITE, write, token);
  }
  /// EV_ADD the filter if `wanted`, else EV_DELETE it; deleting one that is
  /// not there (ENOENT) is no error.
  std::error_code apply_filter(int h, short filter, bool wanted, std::uint64_t token) noexcept {
    if (change(h, filter, wanted ? EV_ADD : EV_DELETE, token) == 0) return {};
    const std::error_code ec = last_error_code();
    return !wanted && ec == std::errc::no_such_file_or_directory ? std::error_code{} : ec;
  }
  std::error_code grow(std::size_t count) noexcept {
    if (ready_.size() >= count) return {};
    try {
      ready_.resize(count < 64 ? 64 : count + count / 2);
    } catch (const std::bad_alloc&) {
      return std::make_error_code(std::errc::not_enough_memory);
    }
    return {};
  }

  OwnedHandle kq_;
  std::size_t registered_ = 0;
  std::vector<struct ::kevent> ready_;
};

}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // defined(OUTLET_DETAIL_POLLER_KQUEUE)
#endif  // OUTLET_DETAIL_POLLER_KQUEUE_HPP
