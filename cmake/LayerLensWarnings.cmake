# Warnings for LayerLens' own targets only; third-party headers come in as SYSTEM includes.
function(layerlens_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports false "may be used uninitialized" warnings inside its own AVX-512 intrinsics
    # when Eigen is inlined with -march=native (GCC bug 105593); they drown real warnings.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()
