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
#include <unordered_map>
#include <vector>

namespace outlet::detail {

/// The registrations live here: one pollfd per handle (what poll() takes),
/// the tokens beside them, and a map from handle to position so that
/// modify and remove do not search. remove() moves the last entry into the
/// gap.
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
    index_.clear();
    open_ = false;
  }

  std::error_code add(sys::native_handle h, unsigned interest, std::uint64_t token) noexcept {
    if (index_.count(h) != 0) return std::make_error_code(std::errc::file_exists);
    sys::pollfd_type p{};
    p.fd = h;
    p.events = events_for(interest);
    // push_back grows geometrically; undo the parts done if memory runs out.
    try {
      fds_.push_back(p);
    } catch (const std::bad_alloc&) {
      return std::make_error_code(std::errc::not_enough_memory);
    }
    try {
      tokens_.push_back(token);
      index_.emplace(h, fds_.size() - 1);
    } catch (const std::bad_alloc&) {
      fds_.pop_back();
      if (tokens_.size() > fds_.size()) tokens_.pop_back();
      return std::make_error_code(std::errc::not_enough_memory);
    }
    return {};
  }

  std::error_code modify(sys::native_handle h, unsigned interest, std::uint64_t token) noexcept {
    const auto found = index_.find(h);
    if (found == index_.end()) return std::make_error_code(std::errc::no_such_file_or_directory);
    fds_[found->second].events = events_for(interest);
    tokens_[found->second] = token;
    return {};
  }

  std::error_code remove(sys::native_handle h) noexcept {
    const auto found = index_.find(h);
    if (found == index_.end()) return std::make_error_code(std::errc::no_such_file_or_directory);
    const std::size_t gap = found->second;
    index_.erase(found);
    const std::size_t last = fds_.size() - 1;
    if (gap != last) {
      fds_[gap] = fds_[last];
      tokens_[gap] = tokens_[last];
      index_[fds_[gap].fd] = gap;
    }
    fds_.pop_back();
    tokens_.pop_back();
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
  static short events_for(unsigned interest) noexcept {
    short events = 0;
    if ((interest & interest_readable) != 0) events = static_cast<short>(events | sys::poll_in | sys::poll_rdhup);
    if ((interest & interest_writable) != 0) events = static_cast<short>(events | sys::poll_out);
    return events;
  }

  std::vector<sys::pollfd_type> fds_;
  std::vector<std::uint64_t> tokens_;
  std::unordered_map<sys::native_handle, std::size_t> index_;
  bool open_ = false;
};

}  // namespace outlet::detail

#endif  // defined(OUTLET_DETAIL_POLLER_POLL)
#endif  // OUTLET_DETAIL_POLLER_POLL_HPP
