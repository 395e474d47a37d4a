// outlet — the library's version (kept equal to project(VERSION) in CMakeLists.txt).
#ifndef OUTLET_VERSION_HPP
#define OUTLET_VERSION_HPP

#define OUTLET_VERSION_MAJOR 0
#define OUTLET_VERSION_MINOR 1
#define OUTLET_VERSION_PATCH 0
#define OUTLET_VERSION_STRING "0.1.0"

#endif  // OUTLET_VERSION_HPP
