# vcpkg port for outlet, a header-only C++17 socket library (registry form:
# downloads a tagged release). The overlay variant in
# ../../overlay-ports/outlet builds the local checkout instead.

# ---------------------------------------------------------------------------
# RELEASE STEP: fill in these three values when outlet is tagged and published.
#   OUTLET_RELEASE_REPO    "<github-owner>/<repository>" as vcpkg_from_github takes it.
#   OUTLET_RELEASE_REF     the tag of this version (${VERSION} comes from vcpkg.json).
#   OUTLET_RELEASE_SHA512  the SHA512 of GitHub's archive of that tag. Leave it 0
#                          for the first `vcpkg install`: vcpkg then stops and
#                          prints the actual hash, which goes here.
# The placeholder repository cannot be a GitHub name (it has angle brackets),
# so nothing is downloaded until the release step has filled it in.
# ---------------------------------------------------------------------------
set(OUTLET_RELEASE_REPO "<github-owner>/outlet")
set(OUTLET_RELEASE_REF "v${VERSION}")
set(OUTLET_RELEASE_SHA512 0)

if(OUTLET_RELEASE_REPO MATCHES "[<>]")
    message(FATAL_ERROR
        "outlet's vcpkg port has no release repository yet: OUTLET_RELEASE_REPO is "
        "'${OUTLET_RELEASE_REPO}' in ${CMAKE_CURRENT_LIST_FILE}. To build the local "
        "source tree, use the overlay port: vcpkg install outlet "
        "--overlay-ports=packaging/vcpkg/overlay-ports")
endif()

# Headers only: nothing differs between debug and release, so build release once.
set(VCPKG_BUILD_TYPE release)

vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO "${OUTLET_RELEASE_REPO}"
    REF "${OUTLET_RELEASE_REF}"
    SHA512 ${OUTLET_RELEASE_SHA512}
    HEAD_REF main
)

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
