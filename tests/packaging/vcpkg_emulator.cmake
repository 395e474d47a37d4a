# AN EMULATION OF VCPKG, NOT VCPKG. vcpkg cannot be installed on outlet's
# machines, so this script runs one of outlet's portfiles with our own minimal
# stand-ins for the vcpkg helpers it calls, then checks the package the way
# vcpkg's post-build checks and a consumer would:
#
#   cmake -DPORT_DIR=<port folder> -DSOURCE=<outlet source tree> -DWORK=<scratch>
#         [-DTARGET_WINDOWS=ON] [-DKEEP_PLACEHOLDERS=ON] -P vcpkg_emulator.cmake
#
# What the stand-ins do is written from vcpkg's documented behaviour, reduced
# to what outlet's ports use:
#   vcpkg_from_github        "downloads" by copying SOURCE's files (git's list of
#                            tracked and unignored files, as a release archive
#                            would hold them); checks the arguments are given.
#   vcpkg_cmake_configure    configures SOURCE_PATH with CMAKE_INSTALL_PREFIX set to
#                            the package folder, release only when VCPKG_BUILD_TYPE
#                            is release (otherwise a debug tree under debug/ too).
#   vcpkg_cmake_install      builds the install target of each configured tree.
#   vcpkg_cmake_config_fixup moves CONFIG_PATH to share/<PACKAGE_NAME>, removes a
#                            parent folder named cmake, and rewrites the relative
#                            prefix computation for the new depth.
#   vcpkg_fixup_pkgconfig    makes .pc prefixes relative and asks pkg-config
#                            whether the file resolves inside the package.
#   vcpkg_install_copyright  writes share/<PORT>/copyright from FILE_LIST.
# Real vcpkg does more (ABI hashing, binary caching, the full post-build lint);
# passing here means the portfile's own logic and outlet's install rules fit
# together, not that vcpkg has accepted the port.
#
# The registry port stops at its placeholder repository; the emulator replaces
# the placeholder in a copy of the portfile unless KEEP_PLACEHOLDERS is ON
# (which check_packaging.py uses to see that stop happen).

cmake_minimum_required(VERSION 3.19)  # string(JSON)

foreach(required IN ITEMS PORT_DIR SOURCE WORK)
    if(NOT DEFINED ${required} OR "${${required}}" STREQUAL "")
        message(FATAL_ERROR "vcpkg_emulator: pass -D${required}=<path>")
    endif()
endforeach()
get_filename_component(PORT_DIR "${PORT_DIR}" ABSOLUTE)
get_filename_component(SOURCE "${SOURCE}" ABSOLUTE)
get_filename_component(WORK "${WORK}" ABSOLUTE)

set(z_emu_failures "")
function(z_emu_check condition_var what)
    if(${condition_var})
        message(STATUS "emulator: ok    ${what}")
    else()
        message(STATUS "emulator: FAIL  ${what} ${ARGN}")
        set_property(GLOBAL APPEND PROPERTY Z_EMU_FAILURES "${what} ${ARGN}")
    endif()
endfunction()

# --- What vcpkg defines before it runs a portfile -----------------------------
set(PORT outlet)
set(CURRENT_PORT_DIR "${PORT_DIR}")
file(READ "${PORT_DIR}/vcpkg.json" z_emu_manifest)
foreach(field IN ITEMS version version-semver version-string version-date)
    string(JSON z_emu_value ERROR_VARIABLE z_emu_error GET "${z_emu_manifest}" "${field}")
    if(NOT z_emu_error)
        set(VERSION "${z_emu_value}")
        break()
    endif()
endforeach()
if(NOT DEFINED VERSION)
    message(FATAL_ERROR "vcpkg_emulator: ${PORT_DIR}/vcpkg.json has no version field")
endif()

if(TARGET_WINDOWS)
    set(TARGET_TRIPLET x64-mingw-static)
    set(VCPKG_TARGET_IS_WINDOWS ON)
    set(VCPKG_TARGET_IS_MINGW ON)
    set(VCPKG_CMAKE_SYSTEM_NAME MinGW)
    set(z_emu_toolchain "${SOURCE}/cmake/toolchains/mingw-w64.cmake")
else()
    set(TARGET_TRIPLET x64-linux)
    set(VCPKG_TARGET_IS_LINUX ON)
    set(VCPKG_CMAKE_SYSTEM_NAME Linux)
    set(z_emu_toolchain "")
endif()
set(CURRENT_PACKAGES_DIR "${WORK}/packages/${PORT}_${TARGET_TRIPLET}")
set(CURRENT_BUILDTREES_DIR "${WORK}/buildtrees/${PORT}")
set(CURRENT_INSTALLED_DIR "${WORK}/installed/${TARGET_TRIPLET}")
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}")
file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}" "${CURRENT_INSTALLED_DIR}")

find_program(z_emu_ninja ninja)
if(z_emu_ninja)
    set(z_emu_generator Ninja)
else()
    set(z_emu_generator "Unix Makefiles")
endif()

# --- Stand-ins for the helpers ---------------------------------------------
function(vcpkg_from_github)
    cmake_parse_arguments(PARSE_ARGV 0 arg "" "OUT_SOURCE_PATH;REPO;REF;SHA512;HEAD_REF;GITHUB_HOST;AUTHORITY_TOKEN;FILE_DISAMBIGUATOR" "PATCHES")
    foreach(name IN ITEMS OUT_SOURCE_PATH REPO REF SHA512)
        if(NOT DEFINED arg_${name} OR "${arg_${name}}" STREQUAL "")
            message(FATAL_ERROR "vcpkg_from_github (emulated): ${name} is missing")
        endif()
    endforeach()
    if(NOT arg_REPO MATCHES "^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
        message(FATAL_ERROR "vcpkg_from_github (emulated): REPO '${arg_REPO}' is not <owner>/<name>")
    endif()
    message(STATUS "vcpkg_from_github (emulated): would download ${arg_REPO}@${arg_REF} "
        "(SHA512 ${arg_SHA512}); copying ${SOURCE} instead")
    string(REGEX REPLACE "[^A-Za-z0-9._-]" "-" ref_dir "${arg_REF}")
    set(dest "${CURRENT_BUILDTREES_DIR}/src/${ref_dir}")
    file(REMOVE_RECURSE "${dest}")
    execute_process(COMMAND git -C "${SOURCE}" ls-files --cached --others --exclude-standard
        OUTPUT_VARIABLE listing RESULT_VARIABLE git_result ERROR_QUIET)
    if(git_result EQUAL 0 AND NOT listing STREQUAL "")
        string(REPLACE ";" "\\;" listing "${listing}")
        string(REPLACE "\n" ";" listing "${listing}")
        foreach(rel IN LISTS listing)
            if(NOT rel STREQUAL "" AND EXISTS "${SOURCE}/${rel}" AND NOT IS_DIRECTORY "${SOURCE}/${rel}")
                get_filename_component(rel_dir "${rel}" DIRECTORY)
                file(COPY "${SOURCE}/${rel}" DESTINATION "${dest}/${rel_dir}")
            endif()
        endforeach()
    else()
        # Not a git checkout: the files outlet's install needs.
        file(COPY "${SOURCE}/CMakeLists.txt" "${SOURCE}/LICENSE" "${SOURCE}/cmake" "${SOURCE}/include"
            DESTINATION "${dest}")
    endif()
    set(${arg_OUT_SOURCE_PATH} "${dest}" PARENT_SCOPE)
endfunction()

function(vcpkg_cmake_configure)
    cmake_parse_arguments(PARSE_ARGV 0 arg "WINDOWS_USE_MSBUILD;NO_CHARSET_FLAG;DISABLE_PARALLEL_CONFIGURE"
        "SOURCE_PATH;LOGFILE_BASE;GENERATOR" "OPTIONS;OPTIONS_DEBUG;OPTIONS_RELEASE;MAYBE_UNUSED_VARIABLES")
    if(NOT IS_DIRECTORY "${arg_SOURCE_PATH}")
        message(FATAL_ERROR "vcpkg_cmake_configure (emulated): SOURCE_PATH '${arg_SOURCE_PATH}' is not a directory")
    endif()
    set(configs release)
    if(NOT VCPKG_BUILD_TYPE STREQUAL "release")
        list(APPEND configs debug)
    endif()
    set(common
        -G "${z_emu_generator}"
        "-DCMAKE_INSTALL_BINDIR:STRING=bin"
        "-DCMAKE_INSTALL_LIBDIR:STRING=lib"
        "-DFETCHCONTENT_FULLY_DISCONNECTED=ON"
        "-DCMAKE_EXPORT_NO_PACKAGE_REGISTRY=ON"
        "-DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON"
        "-DCMAKE_ERROR_ON_ABSOLUTE_INSTALL_DESTINATION=ON")
    if(z_emu_toolchain)
        list(APPEND common "-DCMAKE_TOOLCHAIN_FILE=${z_emu_toolchain}")
    endif()
    set(build_dirs "")
    foreach(config IN LISTS configs)
        if(config STREQUAL "release")
            set(dir "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel")
            set(prefix "${CURRENT_PACKAGES_DIR}")
            set(extra ${arg_OPTIONS_RELEASE} -DCMAKE_BUILD_TYPE=Release)
        else()
            set(dir "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-dbg")
            set(prefix "${CURRENT_PACKAGES_DIR}/debug")
            set(extra ${arg_OPTIONS_DEBUG} -DCMAKE_BUILD_TYPE=Debug)
        endif()
        message(STATUS "vcpkg_cmake_configure (emulated): ${config} in ${dir}")
        execute_process(
            COMMAND "${CMAKE_COMMAND}" -S "${arg_SOURCE_PATH}" -B "${dir}" ${common}
                "-DCMAKE_INSTALL_PREFIX=${prefix}" ${arg_OPTIONS} ${extra}
            RESULT_VARIABLE result OUTPUT_FILE "${dir}-config.log" ERROR_FILE "${dir}-config.err")
        if(NOT result EQUAL 0)
            file(READ "${dir}-config.err" err)
            message(FATAL_ERROR "vcpkg_cmake_configure (emulated): configuring ${config} failed:\n${err}")
        endif()
        list(APPEND build_dirs "${dir}")
    endforeach()
    set_property(GLOBAL PROPERTY Z_EMU_BUILD_DIRS "${build_dirs}")
endfunction()

function(vcpkg_cmake_install)
    get_property(build_dirs GLOBAL PROPERTY Z_EMU_BUILD_DIRS)
    if(build_dirs STREQUAL "")
        message(FATAL_ERROR "vcpkg_cmake_install (emulated): vcpkg_cmake_configure was not called")
    endif()
    foreach(dir IN LISTS build_dirs)
        execute_process(COMMAND "${CMAKE_COMMAND}" --build "${dir}" --target install
            RESULT_VARIABLE result OUTPUT_FILE "${dir}-install.log" ERROR_FILE "${dir}-install.err")
        if(NOT result EQUAL 0)
            file(READ "${dir}-install.err" err)
            message(FATAL_ERROR "vcpkg_cmake_install (emulated): install failed in ${dir}:\n${err}")
        endif()
    endforeach()
endfunction()

function(vcpkg_cmake_config_fixup)
    cmake_parse_arguments(PARSE_ARGV 0 arg "DO_NOT_DELETE_PARENT_CONFIG_PATH;NO_PREFIX_CORRECTION" "PACKAGE_NAME;CONFIG_PATH;TOOLS_PATH" "")
    if(NOT arg_PACKAGE_NAME)
        set(arg_PACKAGE_NAME "${PORT}")
    endif()
    if(NOT arg_CONFIG_PATH)
        set(arg_CONFIG_PATH "share/${arg_PACKAGE_NAME}")
    endif()
    set(target "${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME}")
    foreach(root IN ITEMS "${CURRENT_PACKAGES_DIR}" "${CURRENT_PACKAGES_DIR}/debug")
        set(from "${root}/${arg_CONFIG_PATH}")
        if(root STREQUAL "${CURRENT_PACKAGES_DIR}/debug" AND VCPKG_BUILD_TYPE STREQUAL "release")
            continue()
        endif()
        if(NOT IS_DIRECTORY "${from}")
            message(FATAL_ERROR "vcpkg_cmake_config_fixup (emulated): '${from}' does not exist.")
        endif()
        if(root STREQUAL "${CURRENT_PACKAGES_DIR}/debug")
            # Only *-debug.cmake target files survive from debug; outlet has none.
            file(REMOVE_RECURSE "${root}/share")
            continue()
        endif()
        if(NOT arg_CONFIG_PATH STREQUAL "share/${arg_PACKAGE_NAME}")
            file(GLOB files "${from}/*")
            file(COPY ${files} DESTINATION "${target}")
            file(REMOVE_RECURSE "${from}")
            get_filename_component(from_name "${from}" NAME)
            get_filename_component(from_parent "${from}" DIRECTORY)
            get_filename_component(parent_name "${from_parent}" NAME)
            string(TOLOWER "${parent_name}" parent_name)
            if(NOT arg_DO_NOT_DELETE_PARENT_CONFIG_PATH AND parent_name STREQUAL "cmake")
                file(REMOVE_RECURSE "${from_parent}")
            endif()
        endif()
    endforeach()
    # share/<name>/ is two levels below the prefix: rewrite the relative prefix
    # computations CMake generated for the old location.
    set(list_file_line [[get_filename_component(_IMPORT_PREFIX "${CMAKE_CURRENT_LIST_FILE}" PATH)]])
    set(up_line [[get_filename_component(_IMPORT_PREFIX "${_IMPORT_PREFIX}" PATH)]])
    # (CMake's regex engine reads \n in a pattern as "n": the whitespace class
    # is a quoted argument so that it holds the real characters.)
    set(list_file_re [[get_filename_component\(_IMPORT_PREFIX "\${CMAKE_CURRENT_LIST_FILE}" PATH\)]])
    set(up_re [[get_filename_component\(_IMPORT_PREFIX "\${_IMPORT_PREFIX}" PATH\)]])
    set(space_re "[ \t\r\n]*")
    file(GLOB_RECURSE cmake_files "${target}/*.cmake")
    foreach(file IN LISTS cmake_files)
        file(READ "${file}" contents)
        if(NOT arg_NO_PREFIX_CORRECTION)
            string(REGEX REPLACE "${list_file_re}(${space_re}${up_re})*"
                "${list_file_line}\n${up_line}\n${up_line}" contents "${contents}")
            string(REGEX REPLACE
                [[get_filename_component\(PACKAGE_PREFIX_DIR "\${CMAKE_CURRENT_LIST_DIR}/\.\./(\.\./)*" ABSOLUTE\)]]
                [[get_filename_component(PACKAGE_PREFIX_DIR "${CMAKE_CURRENT_LIST_DIR}/../../" ABSOLUTE)]]
                contents "${contents}")
        endif()
        string(REPLACE "${CURRENT_INSTALLED_DIR}" [[${_IMPORT_PREFIX}]] contents "${contents}")
        string(REPLACE "${CURRENT_PACKAGES_DIR}" [[${_IMPORT_PREFIX}]] contents "${contents}")
        file(WRITE "${file}" "${contents}")
    endforeach()
endfunction()

function(vcpkg_fixup_pkgconfig)
    cmake_parse_arguments(PARSE_ARGV 0 arg "SKIP_CHECK" "" "RELEASE_FILES;DEBUG_FILES;SYSTEM_LIBRARIES;SYSTEM_PACKAGES;IGNORE_FLAGS")
    file(GLOB_RECURSE pc_files "${CURRENT_PACKAGES_DIR}/*.pc")
    list(FILTER pc_files EXCLUDE REGEX "^${CURRENT_PACKAGES_DIR}/debug/")
    find_program(pkg_config NAMES pkg-config pkgconf)
    foreach(pc IN LISTS pc_files)
        get_filename_component(pc_dir "${pc}" DIRECTORY)
        file(RELATIVE_PATH up "${pc_dir}" "${CURRENT_PACKAGES_DIR}")
        string(REGEX REPLACE "/$" "" up "${up}")
        file(READ "${pc}" contents)
        string(REPLACE "${CURRENT_PACKAGES_DIR}" [[${prefix}]] contents "${contents}")
        string(REPLACE "${CURRENT_INSTALLED_DIR}" [[${prefix}]] contents "${contents}")
        string(REGEX REPLACE "(^|\n)prefix=[^\n]*" "\\1prefix=\${pcfiledir}/${up}" contents "${contents}")
        file(WRITE "${pc}" "${contents}")
        if(arg_SKIP_CHECK)
            continue()
        endif()
        if(NOT pkg_config)
            message(STATUS "vcpkg_fixup_pkgconfig (emulated): no pkg-config here; ${pc} not resolved")
            continue()
        endif()
        get_filename_component(name "${pc}" NAME_WE)
        set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
        execute_process(COMMAND "${pkg_config}" --cflags "${name}" RESULT_VARIABLE result
            OUTPUT_VARIABLE cflags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
        if(NOT result EQUAL 0)
            message(FATAL_ERROR "vcpkg_fixup_pkgconfig (emulated): pkg-config --cflags ${name} failed: ${err}")
        endif()
        string(REGEX REPLACE "^-I" "" include_dir "${cflags}")
        get_filename_component(include_dir "${include_dir}" REALPATH)
        get_filename_component(want "${CURRENT_PACKAGES_DIR}/include" REALPATH)
        if(NOT include_dir STREQUAL want)
            message(FATAL_ERROR "vcpkg_fixup_pkgconfig (emulated): ${pc} resolves its headers to "
                "'${include_dir}' (from '${cflags}'), not the package's '${want}'")
        endif()
    endforeach()
endfunction()

function(vcpkg_install_copyright)
    cmake_parse_arguments(PARSE_ARGV 0 arg "" "COMMENT" "FILE_LIST")
    if(NOT arg_FILE_LIST)
        message(FATAL_ERROR "vcpkg_install_copyright (emulated): FILE_LIST is empty")
    endif()
    set(out "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright")
    list(LENGTH arg_FILE_LIST count)
    if(count EQUAL 1 AND NOT arg_COMMENT)
        file(READ "${arg_FILE_LIST}" text)
    else()
        set(text "${arg_COMMENT}")
        foreach(f IN LISTS arg_FILE_LIST)
            get_filename_component(fname "${f}" NAME)
            file(READ "${f}" body)
            string(APPEND text "\n${fname}:\n\n${body}\n")
        endforeach()
    endif()
    file(WRITE "${out}" "${text}")
endfunction()

# --- Run the portfile -------------------------------------------------------
set(z_emu_portfile "${PORT_DIR}/portfile.cmake")
file(READ "${z_emu_portfile}" z_emu_text)
if(z_emu_text MATCHES "set\\(OUTLET_RELEASE_REPO \"[^\"]*[<>][^\"]*\"\\)" AND NOT KEEP_PLACEHOLDERS)
    # A copy with a stand-in repository name; usage and vcpkg.json come along
    # so ${CMAKE_CURRENT_LIST_DIR} finds them.
    set(z_emu_port_copy "${WORK}/port-copy/${PORT}")
    file(REMOVE_RECURSE "${z_emu_port_copy}")
    file(COPY "${PORT_DIR}/" DESTINATION "${z_emu_port_copy}")
    string(REGEX REPLACE "set\\(OUTLET_RELEASE_REPO \"[^\"]*\"\\)"
        "set(OUTLET_RELEASE_REPO \"emulated-owner/outlet\")" z_emu_text "${z_emu_text}")
    file(WRITE "${z_emu_port_copy}/portfile.cmake" "${z_emu_text}")
    set(z_emu_portfile "${z_emu_port_copy}/portfile.cmake")
    message(STATUS "emulator: running a copy with OUTLET_RELEASE_REPO=emulated-owner/outlet: ${z_emu_portfile}")
endif()
message(STATUS "emulator: running ${z_emu_portfile} for ${TARGET_TRIPLET}, version ${VERSION}")
include("${z_emu_portfile}")

# --- Check the package --------------------------------------------------------
set(P "${CURRENT_PACKAGES_DIR}")
file(GLOB_RECURSE z_emu_source_headers RELATIVE "${SOURCE}/include" "${SOURCE}/include/*.hpp")
file(GLOB_RECURSE z_emu_package_headers RELATIVE "${P}/include" "${P}/include/*.hpp")
list(SORT z_emu_source_headers)
list(SORT z_emu_package_headers)
set(c OFF)
if(EXISTS "${P}/include/outlet/outlet.hpp" AND z_emu_source_headers STREQUAL z_emu_package_headers)
    set(c ON)
endif()
z_emu_check(c "include/outlet/ holds outlet.hpp and every header of the source tree")

foreach(f IN ITEMS outletConfig.cmake outletConfigVersion.cmake outletTargets.cmake copyright usage)
    set(c OFF)
    if(EXISTS "${P}/share/outlet/${f}")
        set(c ON)
    endif()
    z_emu_check(c "share/outlet/${f} exists")
endforeach()

set(c ON)
if(EXISTS "${P}/share/cmake")
    set(c OFF)
endif()
z_emu_check(c "share/cmake/ is gone after vcpkg_cmake_config_fixup")

set(c ON)
if(EXISTS "${P}/debug")
    set(c OFF)
endif()
z_emu_check(c "no debug/ (release-only build)")

file(READ "${SOURCE}/LICENSE" z_emu_license)
set(c OFF)
if(EXISTS "${P}/share/outlet/copyright")
    file(READ "${P}/share/outlet/copyright" z_emu_copyright)
    if(z_emu_copyright STREQUAL z_emu_license)
        set(c ON)
    endif()
endif()
z_emu_check(c "share/outlet/copyright is LICENSE")

set(c OFF)
if(EXISTS "${P}/share/outlet/usage")
    file(READ "${P}/share/outlet/usage" z_emu_usage_installed)
    file(READ "${PORT_DIR}/usage" z_emu_usage)
    if(z_emu_usage_installed STREQUAL z_emu_usage)
        set(c ON)
    endif()
endif()
z_emu_check(c "share/outlet/usage is the port's usage file")

# vcpkg's rule: a .pc in share/pkgconfig must have no Libs; others go to lib/pkgconfig.
file(GLOB_RECURSE z_emu_pcs RELATIVE "${P}" "${P}/*.pc")
if(TARGET_WINDOWS)
    set(z_emu_want_pc "lib/pkgconfig/outlet.pc")
else()
    set(z_emu_want_pc "share/pkgconfig/outlet.pc")
endif()
set(c OFF)
if(z_emu_pcs STREQUAL z_emu_want_pc)
    set(c ON)
endif()
z_emu_check(c "the only .pc file is ${z_emu_want_pc}" "(found: ${z_emu_pcs})")
foreach(pc IN LISTS z_emu_pcs)
    file(STRINGS "${P}/${pc}" z_emu_libs REGEX "^Libs(\\.private)?:[ \t]*[^ \t]")
    set(c ON)
    if(pc MATCHES "^share/pkgconfig/" AND z_emu_libs)
        set(c OFF)
    elseif(NOT pc MATCHES "^(share|lib)/pkgconfig/")
        set(c OFF)
    endif()
    z_emu_check(c "${pc} is where vcpkg allows it" "(Libs lines: ${z_emu_libs})")
endforeach()

# vcpkg's rule: no absolute paths into its folders in text files.
file(GLOB_RECURSE z_emu_text_files "${P}/*.cmake" "${P}/*.pc" "${P}/*.hpp")
set(z_emu_absolute "")
foreach(f IN LISTS z_emu_text_files)
    file(READ "${f}" z_emu_body)
    foreach(dir IN ITEMS "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}" "${CURRENT_INSTALLED_DIR}" "${SOURCE}")
        string(FIND "${z_emu_body}" "${dir}" z_emu_at)
        if(NOT z_emu_at EQUAL -1)
            list(APPEND z_emu_absolute "${f} has ${dir}")
        endif()
    endforeach()
endforeach()
set(c OFF)
if(z_emu_absolute STREQUAL "")
    set(c ON)
endif()
z_emu_check(c "no absolute build paths in .cmake/.pc/.hpp files" "(${z_emu_absolute})")

# vcpkg's rule: no empty folders.
file(GLOB_RECURSE z_emu_dirs LIST_DIRECTORIES true "${P}/*")
set(z_emu_empty "")
foreach(d IN LISTS z_emu_dirs)
    if(IS_DIRECTORY "${d}")
        file(GLOB z_emu_entries "${d}/*")
        if(z_emu_entries STREQUAL "")
            list(APPEND z_emu_empty "${d}")
        endif()
    endif()
endforeach()
set(c OFF)
if(z_emu_empty STREQUAL "")
    set(c ON)
endif()
z_emu_check(c "no empty folders in the package" "(${z_emu_empty})")

# A consumer: test_package/ against the package, the way vcpkg's toolchain
# points find_package at an installed tree.
set(z_emu_consumer "${WORK}/consumer")
file(REMOVE_RECURSE "${z_emu_consumer}")
set(z_emu_consumer_args -S "${SOURCE}/test_package" -B "${z_emu_consumer}" -G "${z_emu_generator}")
if(TARGET_WINDOWS)
    # The MinGW toolchain confines find_package to its sysroot; name the
    # package folder directly instead.
    list(APPEND z_emu_consumer_args "-DCMAKE_TOOLCHAIN_FILE=${z_emu_toolchain}" "-Doutlet_DIR=${P}/share/outlet")
else()
    list(APPEND z_emu_consumer_args "-DCMAKE_PREFIX_PATH=${P}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" ${z_emu_consumer_args}
    RESULT_VARIABLE z_emu_result OUTPUT_VARIABLE z_emu_out ERROR_VARIABLE z_emu_err)
set(c OFF)
if(z_emu_result EQUAL 0)
    set(c ON)
endif()
z_emu_check(c "test_package configures against the package (find_package(outlet CONFIG REQUIRED))" "${z_emu_err}")
if(c)
    execute_process(COMMAND "${CMAKE_COMMAND}" --build "${z_emu_consumer}"
        RESULT_VARIABLE z_emu_result OUTPUT_VARIABLE z_emu_out ERROR_VARIABLE z_emu_err)
    set(c OFF)
    if(z_emu_result EQUAL 0)
        set(c ON)
    endif()
    z_emu_check(c "test_package builds and links against outlet::outlet" "${z_emu_out}${z_emu_err}")
    if(c AND NOT TARGET_WINDOWS)
        execute_process(COMMAND "${z_emu_consumer}/test_package" TIMEOUT 60
            RESULT_VARIABLE z_emu_result OUTPUT_VARIABLE z_emu_out ERROR_VARIABLE z_emu_err)
        set(c OFF)
        if(z_emu_result EQUAL 0 AND z_emu_out MATCHES "^outlet ${VERSION}:")
            set(c ON)
        endif()
        string(STRIP "${z_emu_out}" z_emu_out)
        z_emu_check(c "test_package runs and prints version ${VERSION}" "(exit ${z_emu_result}: ${z_emu_out}${z_emu_err})")
    endif()
endif()

get_property(z_emu_failures GLOBAL PROPERTY Z_EMU_FAILURES)
if(z_emu_failures)
    list(LENGTH z_emu_failures z_emu_count)
    message(FATAL_ERROR "vcpkg_emulator: ${z_emu_count} package check(s) failed for ${PORT_DIR}")
endif()
message(STATUS "vcpkg_emulator: every package check passed for ${PORT_DIR} (${TARGET_TRIPLET})")
