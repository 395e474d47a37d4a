// outlet — the bodies, for separate compilation.
//
// Header-only is the default: include what you use and nothing more. With
// OUTLET_SEPARATE_COMPILATION defined in every translation unit of a program,
// outlet's headers keep only declarations, class layouts, templates and the
// fast paths of the data calls, and exactly one translation unit compiles the
// rest by including this header first:
//
//   // outlet.cpp, built with -DOUTLET_SEPARATE_COMPILATION like every file
//   #include <outlet/src.hpp>
//
// In CMake (the README's "Compiling outlet once"):
//
//   target_compile_definitions(app PRIVATE OUTLET_SEPARATE_COMPILATION)
//   target_sources(app PRIVATE outlet.cpp)
//
// Each file that includes outlet then compiles faster. The data calls' fast
// paths are inline as before; the rest of outlet is a call into that file.
// Mixing the two modes in one program fails to link (detail/abi.hpp).
#ifndef OUTLET_SRC_HPP
#define OUTLET_SRC_HPP

#if !defined(OUTLET_SEPARATE_COMPILATION)
#error "<outlet/src.hpp> is for separate compilation: define OUTLET_SEPARATE_COMPILATION in every translation unit"
#endif  // !defined(OUTLET_SEPARATE_COMPILATION)

#if defined(OUTLET_DETAIL_ABI_HPP)
#error "include <outlet/src.hpp> before any other outlet header: those it follows were read without their bodies"
#endif  // defined(OUTLET_DETAIL_ABI_HPP)

#define OUTLET_DETAIL_SOURCE
#include <outlet/outlet.hpp>

#endif  // OUTLET_SRC_HPP
