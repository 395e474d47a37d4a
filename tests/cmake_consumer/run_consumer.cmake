# Runs one consumer check for ctest: cmake -DMODE=... [-D...] -P run_consumer.cmake
#
#   MODE=install          remove PREFIX, then cmake --install BUILD_DIR --prefix PREFIX;
#                         the TLS package files (outletTlsTargets*.cmake, outlet-tls.pc)
#                         must be there when EXPECT_TLS=ON, and absent otherwise
#   MODE=project          configure SOURCE_DIR into BINARY_DIR, build, run the program;
#                         with PREFIX, find outlet there (RELOCATE=ON: in a copy of
#                         PREFIX made elsewhere, to prove the package is relocatable)
#   MODE=configure-fails  configuring SOURCE_DIR must fail, its output matching EXPECT_REGEX
#   MODE=install-export   build and install install_export/netapp (outlet found in
#                         PREFIX, or built from OUTLET_SOURCE_DIR when VENDORED=ON),
#                         then build install_export/user against what it installed
#   MODE=vendored-install build and install SOURCE_DIR (which add_subdirectory()s outlet from
#                         OUTLET_SOURCE_DIR) into BINARY_DIR/prefix; its program must be
#                         there, and outlet's files only when EXPECT_OUTLET_FILES=ON
#   MODE=pkg-config       compile main.cpp with `pkg-config --cflags --libs outlet`, from
#                         a copy of PREFIX made elsewhere (the .pc file is relocatable);
#                         PACKAGE and SOURCE (in SOURCE_DIR) name another .pc file and
#                         program, EXPECT_LIBS (space-separated) flags --libs must give
#   MODE=readme-project   the ```cmake block after README's "<!-- MARKER" line, written
#                         as BINARY_DIR/src/CMakeLists.txt beside a copy of SOURCE_FILE,
#                         then configured against PREFIX, built and run as in MODE=project
#
# A project's program is called `consumer` (PROGRAM overrides), and must print
# a line matching SUCCESS_REGEX (default: "consumer: ... ok").
#
# PROJECT_ARGS_1, _2, _3: extra arguments for configuring the project.
#
# Always: GENERATOR, CXX_COMPILER (and MAKE_PROGRAM, CONFIG when set) describe
# the toolchain outlet itself was configured with.
cmake_minimum_required(VERSION 3.14)

function(fail)
  string(JOIN "" _text ${ARGN})
  message(FATAL_ERROR "consumer check (${MODE}): ${_text}")
endfunction()

# Runs one command (each step at most 240 s; ctest allows the test 300 s).
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out TIMEOUT 240)
  message("---- ${what}\n${_out}")
  if(NOT _rc STREQUAL "0")
    list(JOIN ARGN " " _command)
    fail("${what} failed (${_rc}): ${_command}")
  endif()
  set(step_output "${_out}" PARENT_SCOPE)
endfunction()

set(_toolchain -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
if(MAKE_PROGRAM)
  list(APPEND _toolchain "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(NOT CONFIG)
  set(CONFIG Release)
endif()
list(APPEND _toolchain "-DCMAKE_BUILD_TYPE=${CONFIG}")
if(NOT PROGRAM)
  set(PROGRAM consumer)
endif()
if(NOT SUCCESS_REGEX)
  set(SUCCESS_REGEX "consumer: .* ok|consumer: netapp echoed")
endif()

# Configures, builds and runs one project whose program is called `consumer`.
function(build_and_run source binary)
  file(REMOVE_RECURSE "${binary}")
  run_step("configure ${source}" "${CMAKE_COMMAND}" -S "${source}" -B "${binary}" ${_toolchain} ${ARGN})
  run_step("build" "${CMAKE_COMMAND}" --build "${binary}" --config "${CONFIG}")
  find_program(_program "${PROGRAM}" PATHS "${binary}" "${binary}/${CONFIG}" NO_DEFAULT_PATH)
  if(NOT _program)
    fail("no program '${PROGRAM}' was built in ${binary}")
  endif()
  run_step("run" "${_program}")
  if(NOT step_output MATCHES "${SUCCESS_REGEX}")
    fail("the program ran but printed no line matching '${SUCCESS_REGEX}': ${step_output}")
  endif()
  unset(_program CACHE)
endfunction()

# Copies an installed prefix to a new place, so nothing can lean on the old path.
function(copy_prefix from to)
  file(REMOVE_RECURSE "${to}")
  file(MAKE_DIRECTORY "${to}")
  file(GLOB _entries "${from}/*")
  file(COPY ${_entries} DESTINATION "${to}")
endfunction()

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  run_step("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" --config "${CONFIG}")
  foreach(_file include/outlet/outlet.hpp include/outlet/version.hpp share/cmake/outlet/outletConfig.cmake
                share/cmake/outlet/outletConfigVersion.cmake share/cmake/outlet/outletTargets.cmake
                share/pkgconfig/outlet.pc)
    if(NOT EXISTS "${PREFIX}/${_file}")
      fail("cmake --install put no ${_file} in ${PREFIX}")
    endif()
  endforeach()
  file(GLOB_RECURSE _installed RELATIVE "${PREFIX}" "${PREFIX}/*")
  foreach(_file IN LISTS _installed)
    if(NOT _file MATCHES "^(include/outlet/|share/cmake/outlet/|share/pkgconfig/outlet(-tls)?\\.pc$)")
      fail("cmake --install put an unexpected file in the prefix: ${_file}")
    endif()
  endforeach()
  set(_tls_files share/pkgconfig/outlet-tls.pc share/cmake/outlet/outletTlsTargets.cmake)
  foreach(_file IN LISTS _tls_files)
    if(EXPECT_TLS AND NOT EXISTS "${PREFIX}/${_file}")
      fail("outlet was built with its TLS layer (target outlet_tls), but cmake --install put no ${_file} in ${PREFIX}")
    elseif(NOT EXPECT_TLS AND EXISTS "${PREFIX}/${_file}")
      fail("outlet was built without its TLS layer, but cmake --install put ${_file} in ${PREFIX}")
    endif()
  endforeach()
  list(LENGTH _installed _count)
  message("installed ${_count} files into ${PREFIX}")

elseif(MODE STREQUAL "project")
  set(_prefix_args "")
  if(PREFIX)
    if(RELOCATE)
      copy_prefix("${PREFIX}" "${BINARY_DIR}-moved-prefix")
      set(PREFIX "${BINARY_DIR}-moved-prefix")
    endif()
    set(_prefix_args "-DCMAKE_PREFIX_PATH=${PREFIX}" "-DOUTLET_EXPECTED_PREFIX=${PREFIX}")
  endif()
  build_and_run("${SOURCE_DIR}" "${BINARY_DIR}" ${_prefix_args} ${PROJECT_ARGS_1} ${PROJECT_ARGS_2} ${PROJECT_ARGS_3})

elseif(MODE STREQUAL "configure-fails")
  file(REMOVE_RECURSE "${BINARY_DIR}")
  execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" ${_toolchain}
                          ${PROJECT_ARGS_1} ${PROJECT_ARGS_2} ${PROJECT_ARGS_3}
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  message("---- configure ${SOURCE_DIR} (expected to fail)\n${_out}")
  if(_rc STREQUAL "0")
    fail("configuring succeeded, but it had to be refused")
  endif()
  if(NOT _out MATCHES "${EXPECT_REGEX}")
    fail("configuring failed, but not for the expected reason (no match for '${EXPECT_REGEX}')")
  endif()

elseif(MODE STREQUAL "install-export")
  set(_netapp_prefix "${BINARY_DIR}/netapp-prefix")
  file(REMOVE_RECURSE "${BINARY_DIR}" "${_netapp_prefix}")
  if(VENDORED)
    set(_netapp_args -DNETAPP_VENDORED_OUTLET=ON "-DOUTLET_SOURCE_DIR=${OUTLET_SOURCE_DIR}")
    set(_user_prefix_path "${_netapp_prefix}")
  else()
    set(_netapp_args -DNETAPP_VENDORED_OUTLET=OFF "-DCMAKE_PREFIX_PATH=${PREFIX}")
    set(_user_prefix_path "${_netapp_prefix}")
    # netapp's package finds outlet through find_dependency(); the user names
    # outlet's prefix the way a shell would, in the environment.
    set(ENV{CMAKE_PREFIX_PATH} "${PREFIX}")
  endif()
  run_step("configure netapp" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/netapp" -B "${BINARY_DIR}/netapp"
           ${_toolchain} ${_netapp_args})
  run_step("build netapp" "${CMAKE_COMMAND}" --build "${BINARY_DIR}/netapp" --config "${CONFIG}")
  run_step("install netapp" "${CMAKE_COMMAND}" --install "${BINARY_DIR}/netapp" --prefix "${_netapp_prefix}"
           --config "${CONFIG}")
  if(VENDORED AND NOT EXISTS "${_netapp_prefix}/share/cmake/outlet/outletConfig.cmake")
    fail("netapp's install did not install the outlet it built as a subdirectory")
  endif()
  build_and_run("${SOURCE_DIR}/user" "${BINARY_DIR}/user" "-DCMAKE_PREFIX_PATH=${_user_prefix_path}")

elseif(MODE STREQUAL "vendored-install")
  set(_prefix "${BINARY_DIR}/prefix")
  file(REMOVE_RECURSE "${BINARY_DIR}")
  run_step("configure ${SOURCE_DIR}" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}/build" ${_toolchain}
           "-DOUTLET_SOURCE_DIR=${OUTLET_SOURCE_DIR}" ${PROJECT_ARGS_1})
  run_step("build" "${CMAKE_COMMAND}" --build "${BINARY_DIR}/build" --config "${CONFIG}")
  run_step("install" "${CMAKE_COMMAND}" --install "${BINARY_DIR}/build" --prefix "${_prefix}" --config "${CONFIG}")
  file(GLOB_RECURSE _installed RELATIVE "${_prefix}" "${_prefix}/*")
  message("installed: ${_installed}")
  if(NOT _installed MATCHES "(^|;)bin/consumer(\\.exe)?(;|$)")
    fail("the parent project's install has no bin/consumer, only: ${_installed}")
  endif()
  set(_outlet_files "")
  foreach(_file IN LISTS _installed)
    if(_file MATCHES "outlet")
      list(APPEND _outlet_files "${_file}")
    endif()
  endforeach()
  if(EXPECT_OUTLET_FILES)
    foreach(_file include/outlet/outlet.hpp share/cmake/outlet/outletConfig.cmake share/pkgconfig/outlet.pc)
      if(NOT EXISTS "${_prefix}/${_file}")
        fail("asked for with OUTLET_INSTALL=ON, outlet installed no ${_file} with its parent")
      endif()
    endforeach()
  elseif(_outlet_files)
    fail("installing the parent project installed outlet's files too: ${_outlet_files}")
  endif()

elseif(MODE STREQUAL "pkg-config")
  find_program(_pkg_config NAMES pkg-config pkgconf)
  if(CXX_COMPILER_ID STREQUAL "MSVC" OR CXX_COMPILER_FRONTEND STREQUAL "MSVC")
    # The compile line below is GCC-style; pkg-config's flags are too.
    message("outlet-test-skipped: pkg-config flags are for GCC-style compilers, not ${CXX_COMPILER}")
    return()
  endif()
  if(NOT _pkg_config)
    # ctest reports this as skipped (SKIP_REGULAR_EXPRESSION), not passed.
    message("outlet-test-skipped: no pkg-config or pkgconf on PATH (Debian: apt-get install pkgconf)")
    return()
  endif()
  file(REMOVE_RECURSE "${BINARY_DIR}")
  copy_prefix("${PREFIX}" "${BINARY_DIR}-moved-prefix")
  set(PREFIX "${BINARY_DIR}-moved-prefix")
  set(ENV{PKG_CONFIG_PATH} "${PREFIX}/share/pkgconfig")
  if(NOT PACKAGE)
    set(PACKAGE outlet)
  endif()
  if(NOT SOURCE)
    set(SOURCE main.cpp)
  endif()
  run_step("pkg-config --modversion ${PACKAGE}" "${_pkg_config}" --modversion ${PACKAGE})
  string(STRIP "${step_output}" _version)
  if(NOT _version STREQUAL EXPECTED_VERSION)
    fail("pkg-config says ${PACKAGE} is '${_version}', expected '${EXPECTED_VERSION}'")
  endif()
  run_step("pkg-config --cflags --libs ${PACKAGE}" "${_pkg_config}" --cflags --libs ${PACKAGE})
  string(STRIP "${step_output}" _flags)
  separate_arguments(_flags UNIX_COMMAND "${_flags}")
  separate_arguments(_expect_libs UNIX_COMMAND "${EXPECT_LIBS}")
  foreach(_flag IN LISTS _expect_libs)
    if(NOT _flag IN_LIST _flags)
      fail("pkg-config --cflags --libs ${PACKAGE} gives no ${_flag}: ${_flags}")
    endif()
  endforeach()
  set(_include_dir "")
  foreach(_flag IN LISTS _flags)
    if(_flag MATCHES "^-I(.+)$")
      get_filename_component(_include_dir "${CMAKE_MATCH_1}" REALPATH)
    endif()
  endforeach()
  get_filename_component(_expected_include "${PREFIX}/include" REALPATH)
  if(NOT _include_dir STREQUAL _expected_include)
    fail("pkg-config --cflags gives include directory '${_include_dir}', expected '${_expected_include}'")
  endif()
  file(MAKE_DIRECTORY "${BINARY_DIR}")
  run_step("compile with the pkg-config flags" "${CXX_COMPILER}" -std=c++17 "${SOURCE_DIR}/${SOURCE}" ${_flags}
           -o "${BINARY_DIR}/consumer")
  run_step("run" "${BINARY_DIR}/consumer")
  if(NOT step_output MATCHES "consumer: .* ok")
    fail("the program ran but did not report success: ${step_output}")
  endif()

elseif(MODE STREQUAL "readme-project")
  file(READ "${README}" _readme)
  string(FIND "${_readme}" "<!-- ${MARKER}" _at)
  if(_at EQUAL -1)
    fail("${README} has no '<!-- ${MARKER}' line")
  endif()
  string(SUBSTRING "${_readme}" ${_at} -1 _readme)
  string(FIND "${_readme}" "```cmake\n" _at)
  if(_at EQUAL -1)
    fail("no ```cmake block after '<!-- ${MARKER}' in ${README}")
  endif()
  math(EXPR _at "${_at} + 9")
  string(SUBSTRING "${_readme}" ${_at} -1 _readme)
  string(FIND "${_readme}" "```" _end)
  string(SUBSTRING "${_readme}" 0 ${_end} _cmakelists)
  file(REMOVE_RECURSE "${BINARY_DIR}")
  file(WRITE "${BINARY_DIR}/src/CMakeLists.txt" "${_cmakelists}")
  file(COPY "${SOURCE_FILE}" DESTINATION "${BINARY_DIR}/src")
  message("---- the CMakeLists.txt from ${README}\n${_cmakelists}")
  build_and_run("${BINARY_DIR}/src" "${BINARY_DIR}/build" "-DCMAKE_PREFIX_PATH=${PREFIX}")

else()
  fail("unknown MODE '${MODE}'")
endif()
