// outlet — the ODR boundary: everything outlet declares lives in an inline
// namespace whose name encodes the version and every configuration macro
// that changes a layout or a function body:
//
//   outlet::v0_1_0                     the default
//   outlet::v0_1_0_force_poll          OUTLET_FORCE_POLL (the poll() back end)
//   outlet::v0_1_0_no_batch            OUTLET_NO_MESSAGE_BATCH (no sendmmsg/recvmmsg)
//   outlet::v0_1_0_force_poll_no_batch both
//   outlet::v0_1_0_force_kqueue        OUTLET_FORCE_KQUEUE (kqueue where the
//                                      platform would pick another back end)
//   ..._fault_hook                     OUTLET_FAULT_HOOK (the test seam compiled in)
//
// Users still write outlet::Socket. But two translation units built with
// different settings (or two libraries embedding different outlet versions)
// now name different types and functions, so passing a Poller from one to
// the other fails to link ("undefined reference to ...outlet::v0_1_0::...")
// instead of silently disagreeing about its size ({fmt} does the same).
#ifndef OUTLET_DETAIL_ABI_HPP
#define OUTLET_DETAIL_ABI_HPP

// Every outlet header reaches this one before any code, so an older
// standard gets this one message first, not a screenful about string_view.
// MSVC keeps __cplusplus at 199711L unless /Zc:__cplusplus; _MSVC_LANG
// holds the standard it compiles.
#if defined(_MSVC_LANG)
#define OUTLET_DETAIL_CPLUSPLUS _MSVC_LANG
#else
#define OUTLET_DETAIL_CPLUSPLUS __cplusplus
#endif  // defined(_MSVC_LANG)
#if OUTLET_DETAIL_CPLUSPLUS < 201703L
#error "outlet needs C++17 or newer: compile with -std=c++17 (GCC, Clang) or /std:c++17 (MSVC)"
#endif  // OUTLET_DETAIL_CPLUSPLUS < 201703L

#include <outlet/version.hpp>

#if defined(OUTLET_FORCE_POLL)
#define OUTLET_DETAIL_ABI_POLLER _force_poll
#elif defined(OUTLET_FORCE_KQUEUE)
#define OUTLET_DETAIL_ABI_POLLER _force_kqueue
#else
#define OUTLET_DETAIL_ABI_POLLER
#endif  // defined(OUTLET_FORCE_POLL)

#if defined(OUTLET_NO_MESSAGE_BATCH)
#define OUTLET_DETAIL_ABI_BATCH _no_batch
#else
#define OUTLET_DETAIL_ABI_BATCH
#endif  // defined(OUTLET_NO_MESSAGE_BATCH)

#if defined(OUTLET_FAULT_HOOK)
#define OUTLET_DETAIL_ABI_HOOK _fault_hook
#else
#define OUTLET_DETAIL_ABI_HOOK
#endif  // defined(OUTLET_FAULT_HOOK)

#define OUTLET_DETAIL_ABI_PASTE(major, minor, patch, poller, batch, hook) \
  v##major##_##minor##_##patch##poller##batch##hook
#define OUTLET_DETAIL_ABI_NAME(major, minor, patch, poller, batch, hook) \
  OUTLET_DETAIL_ABI_PASTE(major, minor, patch, poller, batch, hook)

/// The inline namespace inside outlet that holds every declaration: the
/// version and configuration this translation unit was built with, e.g.
/// v0_1_0. Spell outlet::X in code; this name shows only in symbols and
/// link errors.
#define OUTLET_ABI_NAMESPACE                                                                                         \
  OUTLET_DETAIL_ABI_NAME(OUTLET_VERSION_MAJOR, OUTLET_VERSION_MINOR, OUTLET_VERSION_PATCH, OUTLET_DETAIL_ABI_POLLER, \
                         OUTLET_DETAIL_ABI_BATCH, OUTLET_DETAIL_ABI_HOOK)

#endif  // OUTLET_DETAIL_ABI_HPP
