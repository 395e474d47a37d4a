# vcpkg overlay port for outlet: builds the source tree this file sits in, with
# no download, so the port can be tried before a release exists:
#
#   vcpkg install outlet --overlay-ports=packaging/vcpkg/overlay-ports
#
# The steps after the source are the same as in ../../ports/outlet/portfile.cmake.
# vcpkg does not see edits to the source tree (a package's ABI hash covers the
# port's files only): `vcpkg remove outlet` before installing again.

# Headers only: nothing differs between debug and release, so build release once.
set(VCPKG_BUILD_TYPE release)

# This file is <source>/packaging/vcpkg/overlay-ports/outlet/portfile.cmake.
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)

# Stop early, and say why, if the port was copied away from the source tree or
# its vcpkg.json no longer says the version CMakeLists.txt's project() says.
set(outlet_cmakelists "${SOURCE_PATH}/CMakeLists.txt")
if(NOT EXISTS "${outlet_cmakelists}" OR NOT EXISTS "${SOURCE_PATH}/include/outlet/outlet.hpp")
    message(FATAL_ERROR
        "outlet overlay port: expected outlet's source tree at '${SOURCE_PATH}' "
        "(four levels above ${CMAKE_CURRENT_LIST_FILE}), but it has no CMakeLists.txt "
        "or include/outlet/outlet.hpp. Use the overlay port from inside outlet's checkout.")
endif()
file(READ "${outlet_cmakelists}" outlet_cmakelists_text)
if(NOT outlet_cmakelists_text MATCHES "project\\(outlet[ \t\r\n]+VERSION[ \t\r\n]+([0-9]+\\.[0-9]+\\.[0-9]+)")
    message(FATAL_ERROR "outlet overlay port: found no project(outlet VERSION x.y.z) in ${outlet_cmakelists}")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
    message(FATAL_ERROR
        "outlet overlay port: ${CMAKE_CURRENT_LIST_DIR}/vcpkg.json says version '${VERSION}', "
        "but ${outlet_cmakelists} says project(outlet VERSION ${CMAKE_MATCH_1}). Make them agree.")
endif()

# The tls feature: outlet's find_package(OpenSSL 3) must succeed (vcpkg's
# openssl), and gives the outlet_tls target; without the feature, OpenSSL is
# not looked for, so a system OpenSSL cannot slip TLS files into the package.
vcpkg_check_features(OUT_FEATURE_OPTIONS OUTLET_FEATURE_OPTIONS
    FEATURES
        tls CMAKE_REQUIRE_FIND_PACKAGE_OpenSSL
    INVERTED_FEATURES
        tls CMAKE_DISABLE_FIND_PACKAGE_OpenSSL
)

# Only the library and its install rules: no tests (they need Catch2), no
# examples, no benchmarks.
vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DOUTLET_BUILD_TESTS=OFF
        -DOUTLET_BUILD_EXAMPLES=OFF
        -DOUTLET_BUILD_BENCH=OFF
        -DOUTLET_INSTALL=ON
        ${OUTLET_FEATURE_OPTIONS}
    MAYBE_UNUSED_VARIABLES
        CMAKE_REQUIRE_FIND_PACKAGE_OpenSSL
        CMAKE_DISABLE_FIND_PACKAGE_OpenSSL
)
vcpkg_cmake_install()

# With the tls feature, outlet's build found vcpkg's OpenSSL and installed
# its TLS package files; without them the feature would install nothing.
if("tls" IN_LIST FEATURES AND NOT EXISTS "${CURRENT_PACKAGES_DIR}/share/cmake/outlet/outletTlsTargets.cmake")
    message(FATAL_ERROR "outlet: the tls feature is on, but outlet's install has no outletTlsTargets.cmake "
        "(outlet's CMakeLists.txt defined no outlet_tls target with OpenSSL 3 found)")
endif()

# outlet installs its CMake package to share/cmake/outlet (it is
# architecture-independent). vcpkg wants it in share/outlet: this moves it,
# drops the emptied share/cmake, and rewrites the relative prefix that
# outletTargets.cmake computes, which is one level shorter afterwards.
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/outlet)

# outlet.pc goes to share/pkgconfig, which vcpkg accepts only for .pc files
# without libraries. On Windows it says "Libs: -lws2_32 -liphlpapi", so it belongs in
# lib/pkgconfig there; its prefix (${pcfiledir}/../..) holds in both places.
# outlet-tls.pc (tls feature) goes with it: it requires outlet beside it.
if(VCPKG_TARGET_IS_WINDOWS AND EXISTS "${CURRENT_PACKAGES_DIR}/share/pkgconfig/outlet.pc")
    file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}/lib/pkgconfig")
    foreach(outlet_pc IN ITEMS outlet.pc outlet-tls.pc)
        if(EXISTS "${CURRENT_PACKAGES_DIR}/share/pkgconfig/${outlet_pc}")
            file(RENAME "${CURRENT_PACKAGES_DIR}/share/pkgconfig/${outlet_pc}"
                        "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/${outlet_pc}")
        endif()
    endforeach()
    file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/pkgconfig")
endif()
vcpkg_fixup_pkgconfig()

vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
