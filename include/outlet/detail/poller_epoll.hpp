// outlet — the epoll(7) Poller back end (Linux). See poller_contract.hpp.
#ifndef OUTLET_DETAIL_POLLER_EPOLL_HPP
#define OUTLET_DETAIL_POLLER_EPOLL_HPP

#include <outlet/detail/poller_contract.hpp>

#if defined(OUTLET_DETAIL_POLLER_EPOLL)  // selected by platform.hpp
#include <outlet/detail/owned_handle.hpp>
#include <outlet/detail/pod_array.hpp>
#include <outlet/detail/socket_ops.hpp>

#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <system_error>
#include <vector>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace detail {

/// One epoll instance; the kernel keeps the registrations and the token
/// (epoll_event::data.u64), so add/modify/remove are one epoll_ctl each.
/// Beside it, one byte per handle number says which are registered, so that
/// a handle closed while registered (which epoll drops by itself) stays
/// registered here until remove(), as on every other back end.
/// Moving leaves the source closed; its OwnedHandle closes the descriptor.
class EpollBackend {
public:
  static constexpr const char* name = "epoll";

  EpollBackend() noexcept = default;
  EpollBackend(EpollBackend&&) noexcept = default;
  EpollBackend& operator=(EpollBackend&&) noexcept = default;

  /// epoll_create1(EPOLL_CLOEXEC).
  std::error_code open() noexcept {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) return last_error_code();
    epoll_.reset(fd);
    forget_all();
    return grow(1);  // epoll_wait wants room for one event even with nothing registered
  }
  bool is_open() const noexcept { return epoll_.is_open(); }
  /// close() on the epoll descriptor (the sockets stay open).
  void close() noexcept {
    epoll_.reset();
    forget_all();
  }

  /// epoll_ctl(EPOLL_CTL_ADD); file_exists if h is registered here.
  std::error_code add(int h, unsigned interest, std::uint64_t token) noexcept {
    if (is_registered(h)) return std::make_error_code(std::errc::file_exists);
    if (std::error_code ec = grow(registered_ + 1)) return ec;
    if (!make_room(h)) return std::make_error_code(std::errc::not_enough_memory);
    if (std::error_code ec = control(EPOLL_CTL_ADD, h, interest, token)) return ec;
    by_handle_[static_cast<std::size_t>(h)] = 1;
    ++registered_;
    return {};
  }
  /// epoll_ctl(EPOLL_CTL_MOD).
  std::error_code modify(int h, unsigned interest, std::uint64_t token) noexcept {
    if (!is_registered(h)) return std::make_error_code(std::errc::no_such_file_or_directory);
    return control(EPOLL_CTL_MOD, h, interest, token);
  }
  /// epoll_ctl(EPOLL_CTL_DEL), and h forgotten. The kernel may have dropped
  /// it already (h was closed while registered: EBADF, or ENOENT once the
  /// number is reused): that is no error.
  std::error_code remove(int h) noexcept {
    if (!is_registered(h)) return std::make_error_code(std::errc::no_such_file_or_directory);
    ::epoll_event unused{};  // kernels before 2.6.9 want a non-null pointer
    if (hook_fails(SysCall::poller_control, h) || ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, h, &unused) != 0) {
      const std::error_code ec = last_error_code();
      if (ec != std::errc::bad_file_descriptor && ec != std::errc::no_such_file_or_directory) return ec;
    }
    by_handle_[static_cast<std::size_t>(h)] = 0;
    --registered_;
    return {};
  }
  std::size_t reserve_hint() const noexcept { return ready_.size(); }

  /// epoll_wait() into the reserved buffer.
  int wait(int timeout_ms, std::vector<Event>& out) noexcept {
    const int n = ::epoll_wait(epoll_.get(), ready_.data(), static_cast<int>(ready_.size()), timeout_ms);
    for (int i = 0; i < n; ++i) {
      const auto& e = ready_[static_cast<std::size_t>(i)];
      unsigned flags = 0;
      if ((e.events & EPOLLIN) != 0) flags |= Event::in;
      if ((e.events & EPOLLOUT) != 0) flags |= Event::out;
      if ((e.events & EPOLLERR) != 0) flags |= Event::err;
      if ((e.events & (EPOLLHUP | EPOLLRDHUP)) != 0) flags |= Event::hup | Event::in;
      // epoll_event is packed on x86-64: copy the token out, never bind a
      // reference to the misaligned member.
      const std::uint64_t token = e.data.u64;
      out.emplace_back(token, flags);
    }
    return n;
  }

private:
  std::error_code control(int op, int h, unsigned interest, std::uint64_t token) noexcept {
    if (hook_fails(SysCall::poller_control, h)) return last_error_code();
    ::epoll_event e{};
    e.events = 0;
    if ((interest & interest_readable) != 0) e.events |= EPOLLIN | EPOLLRDHUP;
    if ((interest & interest_writable) != 0) e.events |= EPOLLOUT;
    e.data.u64 = token;
    return ::epoll_ctl(epoll_.get(), op, h, &e) == 0 ? std::error_code{} : last_error_code();
  }

  /// Room for one event per registered handle, so one wait sees them all.
  std::error_code grow(std::size_t count) noexcept {
    if (ready_.size() >= count || ready_.resize(count < 64 ? 64 : count + count / 2)) return {};
    return std::make_error_code(std::errc::not_enough_memory);
  }

  bool is_registered(int h) const noexcept {
    return h >= 0 && static_cast<std::size_t>(h) < by_handle_.size() && by_handle_[static_cast<std::size_t>(h)] != 0;
  }
  /// by_handle_ long enough to hold h.
  bool make_room(int h) noexcept {
    const auto needed = static_cast<std::size_t>(h) + 1;
    return h < 0 || by_handle_.size() >= needed || by_handle_.resize(needed < 64 ? 64 : needed + needed / 2);
  }
  void forget_all() noexcept {
    (void)by_handle_.resize(0);  // shrinking to nothing cannot fail
    registered_ = 0;
  }

  OwnedHandle epoll_;
  PodArray<unsigned char> by_handle_;  // 1 where the handle number is registered
  std::size_t registered_ = 0;
  PodArray<::epoll_event> ready_;
};

}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // defined(OUTLET_DETAIL_POLLER_EPOLL)
#endif  // OUTLET_DETAIL_POLLER_EPOLL_HPP
