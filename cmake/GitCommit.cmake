# Script mode (cmake -DSOURCE_DIR=... -DOUT=... -P GitCommit.cmake), run at every build: writes the
# checkout's commit, and whether it has local changes, into OUT as LAYERLENS_GIT_COMMIT, rewriting
# OUT only when that changes (so core/build_info.cpp recompiles only then). The commit was taken
# once at configure time, and `layerlens version` went on naming it after later commits.
# Only SOURCE_DIR's own repository: a tarball unpacked inside another checkout is not one.
execute_process(COMMAND git rev-parse --show-toplevel --short=12 HEAD
  WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE out OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET RESULT_VARIABLE rc)
set(commit "unknown (not built from a git checkout)")
if(rc EQUAL 0)
  string(REPLACE "\n" ";" out "${out}")
  list(LENGTH out count)
  if(count EQUAL 2)
    list(GET out 0 top)
    list(GET out 1 head)
    get_filename_component(top "${top}" REALPATH)
    get_filename_component(src "${SOURCE_DIR}" REALPATH)
    if(top STREQUAL src)
      set(commit "${head}")
      # Tracked files that differ from HEAD. `git status` with --no-optional-locks never rewrites
      # the index (`git diff` refreshes it, taking .git/index.lock: a commit made during a build
      # could then fail).
      execute_process(COMMAND git --no-optional-locks status --porcelain --untracked-files=no
        WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE changes ERROR_QUIET)
      if(changes)
        string(APPEND commit " (with local changes)")
      endif()
    endif()
  endif()
endif()
set(text "#define LAYERLENS_GIT_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
