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
//   ..._separate                       OUTLET_SEPARATE_COMPILATION (the bodies
//                                      compiled once; see below)
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

// Separate compilation (as Asio's ASIO_SEPARATE_COMPILATION): with
// OUTLET_SEPARATE_COMPILATION defined in every translation unit, the headers
// keep only declarations, class layouts and the fast paths of the data calls
// (and templates); every other body is compiled once, in the one translation
// unit that includes <outlet/src.hpp>. A program then parses and compiles
// those bodies once instead of once per file that includes outlet.
//
// OUTLET_DETAIL_BODIES: whether this translation unit compiles those bodies
// (1 header-only, or in the unit that includes <outlet/src.hpp>; else 0).
// OUTLET_DETAIL_DEF: what begins such a body: `inline` header-only, so every
// unit may hold a copy; nothing in separate compilation, so the one unit
// that compiles it exports it.
#if defined(OUTLET_SEPARATE_COMPILATION)
#define OUTLET_DETAIL_ABI_SEPARATE _separate
#define OUTLET_DETAIL_DEF
#if defined(OUTLET_DETAIL_SOURCE)
#define OUTLET_DETAIL_BODIES 1
#else
#define OUTLET_DETAIL_BODIES 0
#endif  // defined(OUTLET_DETAIL_SOURCE)
#else
#define OUTLET_DETAIL_ABI_SEPARATE
#define OUTLET_DETAIL_DEF inline
#define OUTLET_DETAIL_BODIES 1
#endif  // defined(OUTLET_SEPARATE_COMPILATION)

#define OUTLET_DETAIL_ABI_PASTE(major, minor, patch, poller, batch, hook, separate) \
  v##major##_##minor##_##patch##poller##batch##hook##separate
#define OUTLET_DETAIL_ABI_NAME(major, minor, patch, poller, batch, hook, separate) \
  OUTLET_DETAIL_ABI_PASTE(major, minor, patch, poller, batch, hook, separate)

/// The inline namespace inside outlet that holds every declaration: the
/// version and configuration this translation unit was built with, e.g.
/// v0_1_0. Spell outlet::X in code; this name shows only in symbols and
/// link errors.
#define OUTLET_ABI_NAMESPACE                                                                                         \
  OUTLET_DETAIL_ABI_NAME(OUTLET_VERSION_MAJOR, OUTLET_VERSION_MINOR, OUTLET_VERSION_PATCH, OUTLET_DETAIL_ABI_POLLER, \
                         OUTLET_DETAIL_ABI_BATCH, OUTLET_DETAIL_ABI_HOOK, OUTLET_DETAIL_ABI_SEPARATE)

#endif  // OUTLET_DETAIL_ABI_HPP
