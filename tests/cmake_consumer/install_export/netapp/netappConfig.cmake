include(CMakeFindDependencyMacro)
find_dependency(outlet CONFIG)
include("${CMAKE_CURRENT_LIST_DIR}/netappTargets.cmake")
