// Catch2 v2 is header-only and needs one translation unit that defines
// main(); tests/CMakeLists.txt builds this file once and links it into every
// test. Catch2 v3 ships main() in Catch2::Catch2WithMain, so under
// OUTLET_CATCH2_V3 this file compiles to nothing.
#if !defined(OUTLET_CATCH2_V3)
#define CATCH_CONFIG_MAIN
#include "catch.hpp"
#endif  // !defined(OUTLET_CATCH2_V3)
