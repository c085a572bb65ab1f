# The IsaObjects test: the object files compiled for an instruction set the build's target does
# not have (core/layers/direct_conv_isa.h) must define no weak functions — code the linker keeps
# one copy of for the whole program, which could then be the AVX-512 one — and
# must define, between them, the entry points the portable part calls (so a wrong object list
# cannot pass).
#   cmake -DNM=... -DOBJECTS="a.o;b.o" -DEXPECT="forward3;backwardWeights3" -P check_isa_objects.cmake
if(NOT OBJECTS)
  message(FATAL_ERROR "IsaObjects: no object files given")
endif()
set(_failed FALSE)
foreach(obj IN LISTS OBJECTS)
  execute_process(COMMAND ${NM} --defined-only -C ${obj} OUTPUT_VARIABLE _syms RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "IsaObjects: ${NM} failed on ${obj}")
  endif()
  string(REPLACE "\n" ";" _lines "${_syms}")
  foreach(line IN LISTS _lines)
    # "address type name": W/w are weak functions, code the linker keeps one copy of. Weak
    # objects (V/v: type_info of function types that UBSan's checks emit, the exception
    # personality's DW.ref pointer) are data, the same bytes in every file: not instructions.
    # __clang_call_terminate is clang's own helper for an exception leaving an OpenMP region
    # (__cxa_begin_catch, then std::terminate): two calls, no vector instruction in it.
    if(line MATCHES "^[0-9a-fA-F]* [Ww] (.*)$" AND NOT CMAKE_MATCH_1 STREQUAL "__clang_call_terminate")
      message(SEND_ERROR "IsaObjects: ${obj} defines the shared symbol ${CMAKE_MATCH_1}")
      set(_failed TRUE)
    endif()
  endforeach()
  string(APPEND _all "${_syms}")
endforeach()
foreach(entry IN LISTS EXPECT)
  if(NOT _all MATCHES " T [^\n]*${entry}\\(")
    message(SEND_ERROR "IsaObjects: none of the objects defines ${entry}")
    set(_failed TRUE)
  endif()
endforeach()
if(_failed)
  message(FATAL_ERROR "IsaObjects: failed")
endif()
message(STATUS "IsaObjects: ${OBJECTS}: no shared symbols; defines ${EXPECT}")
