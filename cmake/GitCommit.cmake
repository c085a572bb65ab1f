# Script mode (cmake -DSOURCE_DIR=... -DOUT=... -P GitCommit.cmake), run at every build: writes the
# checkout's commit, and whether it has local changes, into OUT as LAYERLENS_GIT_COMMIT, rewriting
# OUT only when that changes (so core/build_info.cpp recompiles only then). The commit was taken
# once at configure time, and `layerlens version` went on naming it after later commits.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY "${SOURCE_DIR}"
  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT commit)
  set(commit "unknown (not built from a git checkout)")
else()
  execute_process(COMMAND git diff --quiet HEAD -- WORKING_DIRECTORY "${SOURCE_DIR}"
    RESULT_VARIABLE dirty ERROR_QUIET)
  if(dirty EQUAL 1)
    string(APPEND commit " (with local changes)")
  endif()
endif()
set(text "#define LAYERLENS_GIT_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
