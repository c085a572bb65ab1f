#!/usr/bin/env bash
# README command 1: install what is missing, build, run the main job.
# Until the desktop window exists, the main job is `layerlens demo`: every layer's hand-written
# backward checked against numerical differentiation, LeNet-5's parameter counts, and one batch
# overfitted.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" -DLAYERLENS_BUILD_TESTS=OFF
exec "${LAYERLENS_BUILD_DIR:-$root/build}/app/layerlens" demo "$@"
