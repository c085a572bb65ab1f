# The IsaObjects test: the object files compiled for an instruction set the build's target does
# not have (core/layers/direct_conv_isa.h) must define no weak functions — code the linker keeps
# one copy of for the whole program, which could then be the AVX-512 one — except those whose
# names mention a namespace only these objects have (RENAMED: Eigen's, renamed by the files
# that include it, core/isa_kernels.h); and they must define, between them, the entry points
# the portable part uses (so a wrong object list cannot pass).
#   cmake -DNM=... -DOBJECTS="a.o;b.o" -DEXPECT="forward3;backwardWeights3" [-DRENAMED="NsA;NsB"]
#         -P check_isa_objects.cmake
if(NOT OBJECTS)
  message(FATAL_ERROR "IsaObjects: no object files given")
endif()
set(_failed FALSE)
set(_renamed 0)
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
    # std::bad_alloc's constructor (clang's sanitizer builds leave it out of line where Eigen
    # throws it) stores one pointer, its vtable's: no vector instruction in it either.
    if(line MATCHES "^[0-9a-fA-F]* [Ww] (.*)$" AND NOT CMAKE_MATCH_1 STREQUAL "__clang_call_terminate"
       AND NOT CMAKE_MATCH_1 STREQUAL "std::bad_alloc::bad_alloc()")
      set(_name "${CMAKE_MATCH_1}")
      set(_own FALSE)
      foreach(ns IN LISTS RENAMED)
        if(_name MATCHES "(^|[^A-Za-z0-9_])${ns}::")
          set(_own TRUE)
        endif()
      endforeach()
      if(NOT _own)
        message(SEND_ERROR "IsaObjects: ${obj} defines the shared symbol ${_name}")
        set(_failed TRUE)
      else()
        math(EXPR _renamed "${_renamed}+1")
      endif()
    endif()
  endforeach()
  string(APPEND _all "${_syms}")
endforeach()
foreach(entry IN LISTS EXPECT)
  # A function (T, then its name and parameters) or a constant (R or D, the name alone).
  if(NOT _all MATCHES " T [^\n]*${entry}\\(" AND NOT _all MATCHES " [RD] [^\n]*${entry}\n")
    message(SEND_ERROR "IsaObjects: none of the objects defines ${entry}")
    set(_failed TRUE)
  endif()
endforeach()
if(_failed)
  message(FATAL_ERROR "IsaObjects: failed")
endif()
message(STATUS "IsaObjects: ${OBJECTS}: no shared symbols (${_renamed} in the renamed namespaces ${RENAMED}); defines ${EXPECT}")
