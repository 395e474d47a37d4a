# Cross-compile outlet's tests and examples for 64-bit Windows with
# MinGW-w64 (Debian: g++-mingw-w64-x86-64-posix) and run them under Wine
# (Debian: wine64). Used by the `windows` preset:
#
#   cmake --workflow --preset windows
#
# The -posix compilers are named explicitly: the plain names may pick the
# win32 thread model, which has no std::thread or std::mutex.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(OUTLET_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${OUTLET_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${OUTLET_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${OUTLET_MINGW_TRIPLET}-windres)

# Look for libraries and headers in the MinGW sysroot only, never in the
# host's /usr/include (glibc headers break a MinGW compile).
set(CMAKE_FIND_ROOT_PATH /usr/${OUTLET_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Fully static executables: with only -static-libgcc -static-libstdc++ the
# program still imports libwinpthread-1.dll, and Wine exits (53) without a word.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# ctest, and catch_discover_tests at build time, run the .exe files through
# Wine. The wrapper keeps one headless wineserver (and its prefix) per build
# directory; see wine-run.sh.
set(CMAKE_CROSSCOMPILING_EMULATOR
  "${CMAKE_CURRENT_LIST_DIR}/wine-run.sh;${CMAKE_BINARY_DIR}/wineprefix")
