// Compiled by the ctest case warnings/strict_headers (GCC, tests/CMakeLists.txt)
// with the strictest warnings users commonly turn on, -Werror included:
// outlet's headers must stay clean under -Wuseless-cast and -Weffc++, in
// every configuration (the case runs once per -D set).
#include <outlet/outlet.hpp>
#include <outlet/systemd.hpp>  // opt-in, not in the umbrella header

int main() { return 0; }
