# ctest driver (cmake -P) for cxx14/needs_cpp17_error: compiles
# needs_cpp17.cpp with -std=c++14, which must fail, and the FIRST error the
# compiler reports must be outlet's own "outlet needs C++17 or newer" (not one
# of the errors about std::string_view that follow without it).
# Inputs: CXX_COMPILER, INCLUDE_DIR, SOURCE.
foreach(var CXX_COMPILER INCLUDE_DIR SOURCE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_cxx14.cmake: -D${var}=... is required")
  endif()
endforeach()

execute_process(COMMAND "${CXX_COMPILER}" -std=c++14 -fsyntax-only "-I${INCLUDE_DIR}" "${SOURCE}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "a C++14 translation unit including <outlet/outlet.hpp> compiled; it must fail:\n${out}")
endif()
string(REGEX MATCH "error:[^\n]*" first_error "${out}")
if(NOT first_error MATCHES "outlet needs C\\+\\+17 or newer")
  message(FATAL_ERROR "the first error is not outlet's C++17 message but '${first_error}':\n${out}")
endif()
message(STATUS "C++14 refused with: ${first_error}")
