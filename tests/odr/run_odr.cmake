# ctest driver for tests/odr (cmake -P): configures that project with the
# suite's compiler and generator, then
#   - builds and runs `same`: the control, proving the project itself is sound;
#   - builds and runs `same_separate`: the same in separate compilation
#     (OUTLET_SEPARATE_COMPILATION, the bodies in one more file);
#   - builds `mixed_poll`, `mixed_batch` and `mixed_separate` (header-only
#     main.cpp, separately compiled rest), which must FAIL, and fail at the
#     link, naming the function whose outlet types came from another
#     configuration's inline namespace (a compile error does not count).
# Inputs: SOURCE_DIR, BINARY_DIR, INCLUDE_DIR, GENERATOR, CXX_COMPILER, MAKE_PROGRAM.
foreach(var SOURCE_DIR BINARY_DIR INCLUDE_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_odr.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${BINARY_DIR}")
set(configure_args -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DOUTLET_INCLUDE_DIR=${INCLUDE_DIR}")
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" ${configure_args}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring tests/odr failed:\n${out}")
endif()

# The controls: one configuration links and runs, header-only and separately compiled.
foreach(target same same_separate)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" --target ${target}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the control `${target}` (one configuration) did not build:\n${out}")
  endif()
  # One variable per program: find_program() skips the search once its variable is set.
  find_program(${target}_program ${target} PATHS "${BINARY_DIR}" "${BINARY_DIR}/Debug" NO_DEFAULT_PATH)
  if(NOT ${target}_program)
    message(FATAL_ERROR "the control `${target}` built, but no program ${target} is in ${BINARY_DIR}")
  endif()
  execute_process(COMMAND "${${target}_program}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the control `${target}` built but failed (${rc}):\n${out}")
  endif()
  message(STATUS "${target} (one configuration, ${${target}_program}): ${out}")
endforeach()

# The mixtures: built (objects compile), then the link must fail on the
# function that takes the other configuration's types.
foreach(target mixed_poll mixed_batch mixed_separate)
  if(target STREQUAL "mixed_poll")
    set(objects uses_force_poll)
    set(symbol "poller_size")
  elseif(target STREQUAL "mixed_separate")
    set(objects uses_separate)
    set(symbol "poller_size")
  else()
    set(objects uses_no_batch)
    set(symbol "send_one")
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" --target ${objects}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${objects} did not even compile (the test needs a link failure):\n${out}")
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" --target ${target}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(FATAL_ERROR "${target} LINKED: two configurations mixed in one program without a word")
  endif()
  if(NOT out MATCHES "(undefined reference to|unresolved external symbol|Undefined symbols)[^\n]*${symbol}")
    message(FATAL_ERROR "${target} failed, but not with an unresolved ${symbol}:\n${out}")
  endif()
  string(REGEX MATCH "[^\n]*${symbol}[^\n]*" line "${out}")
  message(STATUS "${target} fails to link, as it must: ${line}")
endforeach()
