// Compiled with -std=c++14 by the ctest case compile_fail/needs_cpp17_error
// (tests/CMakeLists.txt): it must fail, and the first error must be
// outlet's "outlet needs C++17 or newer", not one about std::string_view.
#include <outlet/outlet.hpp>

int main() { return 0; }
