#!/usr/bin/env bash
# Sanitizer builds, with clang:
#   scripts/sanitize.sh address [CTEST ARGS...]  ASan + UBSan build in build-asan, the whole ctest
#   scripts/sanitize.sh thread  [CTEST ARGS...]  TSan build in build-tsan, the trainer, worker and
#                                                window tests (the code that changes threads)
# Extra arguments go to ctest (e.g. -R '^Npz' to run some tests only). Any report fails the test
# that produced it: every sanitizer halts on its first error. LAYERLENS_SANITIZE_CMAKE_ARGS adds
# CMake options, e.g. "-DLAYERLENS_BUILD_UI=OFF" for the core and command-line tests without Qt
# (the CI variant: faster to build, no uninstrumented Qt).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-}"
shift || true
case "$mode" in
  address)
    build="${LAYERLENS_BUILD_DIR:-$root/build-asan}"
    sanitize="address;undefined"
    # The whole suite.
    select=()
    ;;
  thread)
    build="${LAYERLENS_BUILD_DIR:-$root/build-tsan}"
    sanitize="thread"
    # The trainer (observer callback, stop and pause flags), the training worker and the window
    # (QThread, queued snapshots, shutdown): the tests whose code crosses threads.
    select=(-R '^(Trainer\.|Ui\.|Window\.)')
    ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread [ctest arguments...]" >&2
    exit 2
    ;;
esac
[[ $# -gt 0 ]] && select=("$@")

"$root/scripts/install-deps.sh"
nice -n 10 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DLAYERLENS_SANITIZE="$sanitize" -DLAYERLENS_NATIVE=OFF \
  -DLAYERLENS_BUILD_TESTS=ON -DLAYERLENS_BUILD_BENCH=OFF ${LAYERLENS_SANITIZE_CMAKE_ARGS:-} >/dev/null
nice -n 10 cmake --build "$build" --parallel "$(nproc)"

# The UI tests' waits and time limits, scaled for the instrumented build.
if [[ $mode == thread ]]; then export LAYERLENS_TEST_SLOWDOWN=10; else export LAYERLENS_TEST_SLOWDOWN=4; fi
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:report_error_type=1"
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
# Qt, OpenCV and the other system libraries are not built with TSan. ignore_noninstrumented_modules
# makes TSan ignore the memory accesses and synchronisation inside them that it cannot see
# whole; what is left over from Qt is listed, with its reason, in scripts/tsan.supp. Our own frames
# are never suppressed. OpenMP: clang's runtime (libomp) tells TSan about its barriers through
# the Archer tool, so parallel regions are not reported as races.
archer="$(clang++ -print-file-name=libarcher.so)"
[[ -f $archer ]] || archer="/usr/lib/llvm-14/lib/libarcher.so"
export TSAN_OPTIONS="suppressions=$root/scripts/tsan.supp:ignore_noninstrumented_modules=1:halt_on_error=1:second_deadlock_stack=1:history_size=4"
if [[ $mode == thread ]]; then export OMP_TOOL_LIBRARIES="$archer"; fi

cd "$build"
nice -n 10 ctest --output-on-failure --timeout 1800 "${select[@]}"
