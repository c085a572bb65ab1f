#!/usr/bin/env bash
# Kills `layerlens train` (SIGKILL) at ROUNDS random moments (default 100) and opens every run
# folder it leaves with the code the window uses; prints the tally. Needs a build with tests
# (bash scripts/test.sh, or scripts/build.sh -DLAYERLENS_BUILD_TESTS=ON).
#   bash scripts/kill_test.sh [ROUNDS] [SEED]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${LAYERLENS_BUILD_DIR:-$root/build}/tests/test_app"
[[ -x "$bin" ]] || { echo "kill_test.sh: $bin not found; build with tests first" >&2; exit 2; }
LAYERLENS_KILL_ROUNDS="${1:-100}" LAYERLENS_KILL_SEED="${2:-$RANDOM}" OMP_NUM_THREADS=1 \
  exec "$bin" --gtest_filter='KillTrain.*'
