// outlet — the kqueue(2) Poller back end (macOS, FreeBSD, NetBSD, OpenBSD,
// DragonFly). See poller_contract.hpp. This project's CI builds and runs it
// on Linux over libkqueue (OUTLET_FORCE_KQUEUE); docs/poller.md lists what
// that cannot show about a real BSD kernel.
#ifndef OUTLET_DETAIL_POLLER_KQUEUE_HPP
#define OUTLET_DETAIL_POLLER_KQUEUE_HPP

#include <outlet/detail/poller_contract.hpp>

#if defined(OUTLET_DETAIL_POLLER_KQUEUE)  // selected by platform.hpp
#include <outlet/detail/owned_handle.hpp>
#include <outlet/detail/pod_array.hpp>
#include <outlet/detail/socket_ops.hpp>

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

/// One kqueue, and the registrations beside it: each handle's interest and
/// token, sorted by handle (as the poll back end keeps them). The kernel is
/// never asked whether a handle is registered (an EV_ADD probe would replace
/// the token the filter carries), and the token never travels in udata
/// (pointer-sized: 32 bits on a 32-bit BSD): wait() looks it up by handle.
/// Read and write readiness arrive as separate kevents; wait() merges a
/// handle's into one Event. Moving leaves the source closed; its
/// OwnedHandle closes the descriptor.
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
    table_.clear();
    (void)::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return room_for_events(1);  // kevent() with no room for events returns at once instead of waiting
  }
  bool is_open() const noexcept { return kq_.is_open(); }
  /// close() on the kqueue descriptor (the sockets stay open).
  void close() noexcept {
    kq_.reset();
    table_.clear();
  }

  /// EV_ADD for the wanted filters; file_exists if h is registered here.
  std::error_code add(int h, unsigned interest, std::uint64_t token) noexcept {
    const std::size_t i = position(h);
    if (i < table_.size() && table_[i].handle == h) return std::make_error_code(std::errc::file_exists);
    // Room first, so that nothing can fail once the kernel has the filters.
    if (std::error_code ec = room_for_events(2 * (table_.size() + 1))) return ec;
    if (!reserve(table_.size() + 1)) return out_of_memory();
    if (std::error_code ec = change_filters(h, 0, interest)) return ec;
    table_.insert(table_.begin() + static_cast<std::ptrdiff_t>(i), Registration{token, h, interest, 0, 0});
    return {};
  }
  /// EV_ADD / EV_DELETE so that exactly the wanted filters remain.
  std::error_code modify(int h, unsigned interest, std::uint64_t token) noexcept {
    const std::size_t i = find(h);
    if (i == table_.size()) return not_registered();
    if (std::error_code ec = change_filters(h, table_[i].interest, interest)) return ec;
    table_[i].interest = interest;
    table_[i].token = token;
    return {};
  }
  /// EV_DELETE for h's filters, and h forgotten. The kernel may have
  /// dropped them already (h was closed while registered): that is no error.
  std::error_code remove(int h) noexcept {
    const std::size_t i = find(h);
    if (i == table_.size()) return not_registered();
    (void)change_filters(h, table_[i].interest, 0);
    table_.erase(table_.begin() + static_cast<std::ptrdiff_t>(i));
    return {};
  }
  std::size_t reserve_hint() const noexcept { return ready_.size(); }

  /// kevent() for ready filters, one Event per handle.
  int wait(int timeout_ms, std::vector<Event>& out) noexcept {
    ::timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1000000L;
    const int n =
        ::kevent(kq_.get(), nullptr, 0, ready_.data(), static_cast<int>(ready_.size()), timeout_ms < 0 ? nullptr : &ts);
    if (n < 0) return -1;
    const std::size_t first = out.size();
    ++round_;
    for (int k = 0; k < n; ++k) {
      const struct ::kevent& e = ready_[static_cast<std::size_t>(k)];
      const std::size_t i = find(static_cast<int>(e.ident));
      if (i == table_.size()) continue;  // not registered here (any more)
      Registration& r = table_[i];
      const unsigned filter = e.filter == EVFILT_WRITE ? interest_writable : interest_readable;
      if ((r.interest & filter) == 0) continue;  // a filter a failed EV_DELETE left behind
      unsigned flags = filter == interest_writable ? Event::out : Event::in;
      if ((e.flags & EV_ERROR) != 0) flags |= Event::err;
      if ((e.flags & EV_EOF) != 0) flags |= e.fflags != 0 ? Event::err | Event::hup : Event::hup;
      if (r.round == round_) {  // its other filter came first: one Event with both
        out[r.slot] = Event(r.token, bits(out[r.slot]) | flags);
      } else {
        r.round = round_;
        r.slot = out.size();
        out.emplace_back(r.token, flags);
      }
    }
    return static_cast<int>(out.size() - first);
  }

private:
  /// One registered handle.
  struct Registration {
    std::uint64_t token;
    int handle;
    unsigned interest;
    std::uint64_t round;  // the last wait() that reported it,
    std::size_t slot;     // and where in that wait's events
  };

  /// Where h is, or would be inserted: the first entry whose handle is not less.
  std::size_t position(int h) const noexcept {
    std::size_t low = 0;
    std::size_t high = table_.size();
    while (low < high) {
      const std::size_t middle = low + (high - low) / 2;
      if (table_[middle].handle < h) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }
  /// h's entry, or table_.size() if h is not registered.
  std::size_t find(int h) const noexcept {
    const std::size_t i = position(h);
    return i < table_.size() && table_[i].handle == h ? i : table_.size();
  }

  /// Adds the filters `after` has and `before` lacks, then deletes those
  /// `before` has and `after` lacks. If an add fails, the filters this call
  /// added are deleted again: the kernel is left as it was, and the error
  /// returned. A failed delete is ignored (the kernel drops a closed
  /// handle's filters itself, and wait() skips a filter not asked for).
  std::error_code change_filters(int h, unsigned before, unsigned after) noexcept {
    const unsigned added = after & ~before;
    const unsigned dropped = before & ~after;
    if ((added & interest_readable) != 0 && change(h, EVFILT_READ, EV_ADD) != 0) return last_error_code();
    if ((added & interest_writable) != 0 && change(h, EVFILT_WRITE, EV_ADD) != 0) {
      const std::error_code ec = last_error_code();
      if ((added & interest_readable) != 0) (void)change(h, EVFILT_READ, EV_DELETE);
      return ec;
    }
    if ((dropped & interest_readable) != 0) (void)change(h, EVFILT_READ, EV_DELETE);
    if ((dropped & interest_writable) != 0) (void)change(h, EVFILT_WRITE, EV_DELETE);
    return {};
  }
  /// One kevent() change, level-triggered, nothing in udata.
  int change(int h, short filter, unsigned short flags) noexcept {
    if (hook_fails(SysCall::poller_control, h)) return -1;
    struct ::kevent e;
    EV_SET(&e, static_cast<std::uintptr_t>(static_cast<unsigned>(h)), filter, flags, 0, 0, nullptr);
    return ::kevent(kq_.get(), &e, 1, nullptr, 0, nullptr);
  }

  /// An Event's flags, to merge a second filter's into it.
  static unsigned bits(const Event& e) noexcept {
    return (e.readable() ? unsigned{Event::in} : 0U) | (e.writable() ? unsigned{Event::out} : 0U) |
           (e.error() ? unsigned{Event::err} : 0U) | (e.hangup() ? unsigned{Event::hup} : 0U);
  }
  /// Room for `count` kevents in one wait.
  std::error_code room_for_events(std::size_t count) noexcept {
    if (ready_.size() >= count || ready_.resize(count < 64 ? 64 : count + count / 2)) return {};
    return out_of_memory();
  }
  /// Room for `count` registrations, so that the insert after the kernel
  /// call cannot fail.
  bool reserve(std::size_t count) noexcept {
    try {
      table_.reserve(count);
    } catch (const std::bad_alloc&) {
      return false;
    }
    return true;
  }
  static std::error_code out_of_memory() noexcept { return std::make_error_code(std::errc::not_enough_memory); }
  static std::error_code not_registered() noexcept {
    return std::make_error_code(std::errc::no_such_file_or_directory);
  }

  OwnedHandle kq_;
  std::vector<Registration> table_;
  PodArray<struct ::kevent> ready_;
  std::uint64_t round_ = 0;
};

}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // defined(OUTLET_DETAIL_POLLER_KQUEUE)
#endif  // OUTLET_DETAIL_POLLER_KQUEUE_HPP
