# Install.IntoATemporaryPrefix: `cmake --install` into PREFIX, then the installed files are there
# and the installed binary runs `help`, `version` and `summary`.
# -DBUILD=build folder -DPREFIX=prefix -DUI=ON|OFF
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
set(files bin/layerlens share/man/man1/layerlens.1.gz share/bash-completion/completions/layerlens
          share/doc/layerlens/copyright)
if(UI)
  list(APPEND files share/applications/io.github.layerlens.LayerLens.desktop
       share/metainfo/io.github.layerlens.LayerLens.metainfo.xml
       share/icons/hicolor/scalable/apps/layerlens.svg share/mime/packages/layerlens.xml)
  foreach(s 16 22 24 32 48 64 128 256)
    list(APPEND files share/icons/hicolor/${s}x${s}/apps/layerlens.png)
  endforeach()
endif()
foreach(f ${files})
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
  file(SIZE ${PREFIX}/${f} size)
  if(size EQUAL 0)
    message(FATAL_ERROR "installed empty: ${f}")
  endif()
endforeach()
foreach(args "help" "version" "summary;--model;lenet5")
  execute_process(COMMAND ${PREFIX}/bin/layerlens ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "installed layerlens ${args}: exit ${rc}: ${err}")
  endif()
  message(STATUS "layerlens ${args}: ${out}")
endforeach()
string(FIND "${out}" "c1        Conv2d     6×28×28      156" at)
if(at EQUAL -1)
  message(FATAL_ERROR "summary does not show LeNet-5's c1 (156 parameters): ${out}")
endif()
