// outlet — the poll(2) Poller back end: any POSIX system, and Windows
// (WSAPoll has poll's shape). See poller_contract.hpp. OUTLET_FORCE_POLL
// selects it on Linux and the BSDs too, so CI tests it.
#ifndef OUTLET_DETAIL_POLLER_POLL_HPP
#define OUTLET_DETAIL_POLLER_POLL_HPP

#include <outlet/detail/poller_contract.hpp>

#if defined(OUTLET_DETAIL_POLLER_POLL)  // selected by platform.hpp
#include <cstddef>
#include <cstdint>
#include <new>
#include <system_error>
#include <vector>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace detail {

/// The registrations live here: one pollfd per handle (what poll() takes)
/// and the tokens beside them, both sorted by handle, so add, modify and
/// remove find a handle by binary search, with no map beside them. add()
/// and remove() shift the entries after the one they touch (a pollfd and a
/// token each: microseconds for thousands of handles, and nothing when
/// handles arrive in increasing order, as new descriptors usually do).
class PollBackend {
public:
#if defined(OUTLET_PLATFORM_WINDOWS)
  static constexpr const char* name = "WSAPoll";
#else
  static constexpr const char* name = "poll";
#endif  // defined(OUTLET_PLATFORM_WINDOWS)

  /// Nothing to create: poll() keeps no state in the kernel.
  std::error_code open() noexcept {
    open_ = true;
    return {};
  }
  bool is_open() const noexcept { return open_; }
  void close() noexcept {
    fds_.clear();
    tokens_.clear();
    open_ = false;
  }

  /// A new pollfd, in handle order.
  std::error_code add(sys::native_handle h, unsigned interest, std::uint64_t token) noexcept {
    const std::size_t i = position(h);
    if (i < fds_.size() && fds_[i].fd == h) return std::make_error_code(std::errc::file_exists);
    sys::pollfd_type p{};
    p.fd = h;
    p.events = events_for(interest);
    if (!insert_at(fds_, i, p)) return out_of_memory();
    if (!insert_at(tokens_, i, token)) {
      fds_.erase(fds_.begin() + static_cast<std::ptrdiff_t>(i));  // undo the half done
      return out_of_memory();
    }
    return {};
  }

  std::error_code modify(sys::native_handle h, unsigned interest, std::uint64_t token) noexcept {
    const std::size_t i = find(h);
    if (i == fds_.size()) return not_registered();
    fds_[i].events = events_for(interest);
    tokens_[i] = token;
    return {};
  }

  std::error_code remove(sys::native_handle h) noexcept {
    const std::size_t i = find(h);
    if (i == fds_.size()) return not_registered();
    fds_.erase(fds_.begin() + static_cast<std::ptrdiff_t>(i));
    tokens_.erase(tokens_.begin() + static_cast<std::ptrdiff_t>(i));
    return {};
  }

  std::size_t reserve_hint() const noexcept { return fds_.capacity(); }

  /// poll() / WSAPoll() over every registration.
  int wait(int timeout_ms, std::vector<Event>& out) noexcept {
    const int n = sys::poll_many(fds_.data(), fds_.size(), timeout_ms);
    if (n < 0) return -1;
    // Scan even when n == 0: WSAPoll can flag POLLNVAL on a closed handle
    // among open ones and still return 0.
    int reported = 0;
    for (std::size_t i = 0; i < fds_.size(); ++i) {
      const short r = fds_[i].revents;
      if (r == 0) continue;
      unsigned flags = 0;
      if ((r & sys::poll_in) != 0) flags |= Event::in;
      if ((r & sys::poll_out) != 0) flags |= Event::out;
      if ((r & (sys::poll_err | sys::poll_nval)) != 0) flags |= Event::err;
      if ((r & (sys::poll_hup | sys::poll_rdhup)) != 0) flags |= Event::hup | Event::in;
      out.emplace_back(tokens_[i], flags);
      ++reported;
    }
    return reported;
  }

private:
  /// Where h is, or would be inserted: the first entry whose handle is not less.
  std::size_t position(sys::native_handle h) const noexcept {
    std::size_t low = 0;
    std::size_t high = fds_.size();
    while (low < high) {
      const std::size_t middle = low + (high - low) / 2;
      if (fds_[middle].fd < h) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }
  /// h's entry, or fds_.size() if h is not registered.
  std::size_t find(sys::native_handle h) const noexcept {
    const std::size_t i = position(h);
    return i < fds_.size() && fds_[i].fd == h ? i : fds_.size();
  }

  /// vector::insert, reporting an allocation failure instead of throwing
  /// (the vector is then unchanged).
  template <class T>
  static bool insert_at(std::vector<T>& v, std::size_t i, const T& value) noexcept {
    try {
      v.insert(v.begin() + static_cast<std::ptrdiff_t>(i), value);
    } catch (const std::bad_alloc&) {
      return false;
    }
    return true;
  }
  static std::error_code out_of_memory() noexcept { return std::make_error_code(std::errc::not_enough_memory); }
  static std::error_code not_registered() noexcept {
    return std::make_error_code(std::errc::no_such_file_or_directory);
  }

  static short events_for(unsigned interest) noexcept {
    short events = 0;
    if ((interest & interest_readable) != 0) events = static_cast<short>(events | sys::poll_in | sys::poll_rdhup);
    if ((interest & interest_writable) != 0) events = static_cast<short>(events | sys::poll_out);
    return events;
  }

  std::vector<sys::pollfd_type> fds_;
  std::vector<std::uint64_t> tokens_;
  bool open_ = false;
};

}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // defined(OUTLET_DETAIL_POLLER_POLL)
#endif  // OUTLET_DETAIL_POLLER_POLL_HPP
