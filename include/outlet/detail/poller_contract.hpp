// outlet — what every Poller back end does, and the types they share.
//
// A back end is a move-only class in outlet::detail with these members; the
// public Poller (poller.hpp) owns one and only delegates, keeping the
// deadline, the EINTR retries and the event buffer's size in one place.
// detail/platform.hpp picks the one this build uses, defining exactly one of
// OUTLET_DETAIL_POLLER_EPOLL, _KQUEUE, _POLL; each back-end file compiles
// only under its own macro.
//
//   static constexpr const char* name          "epoll", "kqueue", "poll", "WSAPoll"
//   std::error_code open() noexcept            create the OS object (none for poll),
//                                              starting with no registrations
//   bool is_open() const noexcept
//   void close() noexcept                      release it; registrations are gone
//   move construction and assignment           noexcept and defaulted; the source
//                                              is left closed (is_open() false),
//                                              and Poller close()s it to reset it
//   std::error_code add(h, interest, token)    register h; file_exists if it is already
//   std::error_code modify(h, interest, token) change h's interest and token;
//                                              no_such_file_or_directory if not registered
//   std::error_code remove(h)                  forget h; no_such_file_or_directory if unknown
//   std::size_t reserve_hint() const noexcept  how many events one wait can report
//   int wait(int timeout_ms, std::vector<Event>& out) noexcept
//       one OS wait (-1 = no limit). Appends the ready handles to `out`, whose
//       capacity the caller has made at least reserve_hint(): never allocates.
//       Returns the number appended, or -1 with the OS error in last_error()
//       (EINTR included: the caller retries with the time that is left).
//
// Readiness is level-triggered everywhere: a handle stays ready until the
// data is read or the buffer space used. Interest bits: interest_readable,
// interest_writable. Every back end reports errors and hang-ups whatever the
// interest (the OS does).
//
// A back end calls its own OS API directly (epoll_ctl, kevent; poll and
// WSAPoll through sys::poll_many), and nothing else of the OS but kqueue's
// fcntl(FD_CLOEXEC), which kqueue() cannot set itself. An OS object
// it creates lives in a detail::OwnedHandle (owned_handle.hpp), which closes
// it once through detail::close() and the fault hook, and errors are read
// with last_error_code() (sys::last_error, sys::to_error_code), never errno.
#ifndef OUTLET_DETAIL_POLLER_CONTRACT_HPP
#define OUTLET_DETAIL_POLLER_CONTRACT_HPP

#include <outlet/detail/platform.hpp>

#include <cstdint>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {

/// What a Poller watches a handle for.
enum class Interest : unsigned char {
  readable = 1,  ///< data to receive, a connection to accept, or end of stream
  writable = 2,  ///< room to send, or a non-blocking connect that has finished
  both = 3,      ///< readable | writable
};

/// Interest::readable | Interest::writable == Interest::both.
constexpr Interest operator|(Interest a, Interest b) noexcept {
  return static_cast<Interest>(static_cast<unsigned char>(a) | static_cast<unsigned char>(b));
}

/// One ready handle, as Poller::wait() reports it: the token it was
/// registered with and what it is ready for.
class Event {
public:
  /// Readiness bits; an Event may have several.
  enum Flags : unsigned char { in = 1, out = 2, err = 4, hup = 8 };

  constexpr Event(std::uint64_t token, unsigned flags) noexcept
      : token_(token), flags_(static_cast<unsigned char>(flags)) {}

  /// The token given to Poller::add() or modify() for this handle.
  constexpr std::uint64_t token() const noexcept { return token_; }
  /// A receive (or accept) will not block: data, a connection, or end of stream.
  constexpr bool readable() const noexcept { return (flags_ & in) != 0; }
  /// A send will not block, or a non-blocking connect has finished (either way:
  /// Socket::finish_connect() says how).
  constexpr bool writable() const noexcept { return (flags_ & out) != 0; }
  /// An error is pending on the handle (the next call reports it), or the
  /// handle was closed while registered (poll and WSAPoll back ends).
  constexpr bool error() const noexcept { return (flags_ & err) != 0; }
  /// The peer has closed the connection (or its sending side, where the OS
  /// says so): receive() returns what is left, then 0.
  constexpr bool hangup() const noexcept { return (flags_ & hup) != 0; }

private:
  std::uint64_t token_;
  unsigned char flags_;
};

namespace detail {

inline constexpr unsigned interest_readable = 1;
inline constexpr unsigned interest_writable = 2;

}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_DETAIL_POLLER_CONTRACT_HPP
