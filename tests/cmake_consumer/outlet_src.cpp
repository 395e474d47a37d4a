// outlet's bodies for the consumer built in separate compilation
// (find_package/CMakeLists.txt: consumer_separate), from the installed headers.
#include <outlet/src.hpp>
