// The bodies for the separate-compilation builds of this project: the one
// translation unit that includes <outlet/src.hpp> (built with
// OUTLET_SEPARATE_COMPILATION, like every file it is linked with).
#include <outlet/src.hpp>
