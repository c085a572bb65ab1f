#!/usr/bin/env bash
# README command 2: install what is missing, build with tests, run every test with ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" -DLAYERLENS_BUILD_TESTS=ON
cd "${LAYERLENS_BUILD_DIR:-$root/build}"
ctest --output-on-failure --parallel 2 --timeout 900
