# ctest driver (cmake -P) for the compile_fail/ cases: compiles SOURCE with
# FLAGS (space-separated, e.g. "-std=c++17 -DCASE=2"), which must fail.
# The FIRST error the compiler reports must match EXPECT, and no line of the
# output may match REJECT (when given): the message a user sees first is the
# one that says what is wrong.
# Inputs: CXX_COMPILER, INCLUDE_DIR, SOURCE, FLAGS, EXPECT; optional REJECT.
foreach(var CXX_COMPILER INCLUDE_DIR SOURCE FLAGS EXPECT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_compile_fail.cmake: -D${var}=... is required")
  endif()
endforeach()

separate_arguments(flags UNIX_COMMAND "${FLAGS}")
execute_process(COMMAND "${CXX_COMPILER}" ${flags} -fsyntax-only "-I${INCLUDE_DIR}" "${SOURCE}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} (${FLAGS}) compiled; it must fail:\n${out}")
endif()
string(REGEX MATCH "error:[^\n]*" first_error "${out}")
if(NOT first_error MATCHES "${EXPECT}")
  message(FATAL_ERROR "the first error does not match '${EXPECT}' but is '${first_error}':\n${out}")
endif()
if(DEFINED REJECT AND NOT REJECT STREQUAL "" AND out MATCHES "${REJECT}")
  message(FATAL_ERROR "the compiler output mentions '${REJECT}':\n${out}")
endif()
message(STATUS "refused as expected: ${first_error}")
