// The bodies, for the suite built in separate compilation
// (-DOUTLET_TEST_SEPARATE_COMPILATION=ON): each test executable compiles
// them once more, with its own configuration macros, in this file.
#include <outlet/src.hpp>
