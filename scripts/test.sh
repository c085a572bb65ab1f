#!/usr/bin/env bash
# README command 2: install what is missing, build with tests, run every test with ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" -DLAYERLENS_BUILD_TESTS=ON
cd "${LAYERLENS_BUILD_DIR:-$root/build}"
ctest --output-on-failure --parallel 2 --timeout 900
# Opt-in (CI turns it on): a short smoke of every fuzz target (20 s each; clang build in
# build-fuzz, about 6 minutes in all on 2 cores).
if [[ "${LAYERLENS_FUZZ_SMOKE:-0}" == 1 ]]; then
  "$root/scripts/fuzz.sh" "${LAYERLENS_FUZZ_SMOKE_SECONDS:-20}"
fi
