// outlet — OwnedHandle: one OS handle and the duty to close it (Rust's
// OwnedFd and OwnedSocket). Move-only; it closes once, quietly, through
// detail::close(), so the fault hook sees it and EINTR is never retried.
// A class that holds its handle in one gets its moves and destructor for
// free (`= default`), as the Poller's epoll and kqueue back ends do.
#ifndef OUTLET_DETAIL_OWNED_HANDLE_HPP
#define OUTLET_DETAIL_OWNED_HANDLE_HPP

#include <outlet/detail/socket_ops.hpp>

#include <utility>

namespace outlet {
inline namespace OUTLET_ABI_NAMESPACE {
namespace detail {

/// Owns one sys::native_handle: a socket, or on POSIX any descriptor (an
/// epoll or kqueue instance). Empty when it holds sys::invalid_handle.
class OwnedHandle {
public:
  /// Empty: owns nothing.
  OwnedHandle() noexcept = default;
  /// Takes ownership of `h`; sys::invalid_handle makes it empty.
  explicit OwnedHandle(handle h) noexcept : handle_(h) {}
  /// The handle moves along; `other` is left empty.
  OwnedHandle(OwnedHandle&& other) noexcept : handle_(other.release()) {}
  /// Closes the handle held, then takes `other`'s.
  OwnedHandle& operator=(OwnedHandle&& other) noexcept {
    reset(other.release());
    return *this;
  }
  /// Closes the handle held, if any.
  ~OwnedHandle() { reset(); }

  /// The handle, still owned here.
  handle get() const noexcept { return handle_; }
  /// Whether a handle is held.
  bool is_open() const noexcept { return handle_ != sys::invalid_handle; }
  /// Gives the handle up unclosed (the caller owns it now); leaves this empty.
  handle release() noexcept { return std::exchange(handle_, sys::invalid_handle); }
  /// close() on the handle held, if any, then holds `h`. A close error is
  /// dropped: the handle is gone either way ({fmt}'s rule for destructors).
  void reset(handle h = sys::invalid_handle) noexcept {
    const handle old = std::exchange(handle_, h);
    if (old != sys::invalid_handle) (void)detail::close(old);
  }

private:
  handle handle_ = sys::invalid_handle;
};

}  // namespace detail
}  // namespace OUTLET_ABI_NAMESPACE
}  // namespace outlet

#endif  // OUTLET_DETAIL_OWNED_HANDLE_HPP
