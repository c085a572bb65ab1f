#!/usr/bin/env bash
# README command 1: install what is missing, build, run the main job — for now, headless training
# of LeNet-5 on MNIST for one epoch, printing the test accuracy. The data directory comes from
# LAYERLENS_DATA, else ../shared/data beside the project; extra arguments go to `layerlens train`
# (e.g. --epochs 10 or --data DIR).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
# Only the executable is built; the build directory's options are left as they are, so running
# this after the test command does not switch the tests off in the shared build directory.
LAYERLENS_BUILD_TARGET=layerlens "$root/scripts/build.sh"
if [[ -z "${LAYERLENS_DATA:-}" && -d "$root/../shared/data" ]]; then
  export LAYERLENS_DATA="$root/../shared/data"
fi
exec "${LAYERLENS_BUILD_DIR:-$root/build}/app/layerlens" train --model lenet5 --dataset mnist --epochs 1 "$@"
