#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the main job: the LayerLens window
# training LeNet-5 on MNIST (curves, layers, costs). The data directory comes from
# LAYERLENS_DATA, else ../shared/data beside the project; extra arguments go to `layerlens`
# (e.g. --epochs 10, --data DIR, --model vgg-cifar --dataset cifar10).
#
# Without a display (a server, CI) the window runs under xvfb-run for one epoch, prints the
# epoch lines, writes screenshots of its three tabs to runs/screenshots/ and exits.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
# Only the executable is built; the build directory's options are left as they are, so running
# this after the test command does not switch the tests off in the shared build directory.
LAYERLENS_BUILD_TARGET=layerlens "$root/scripts/build.sh"
if [[ -z "${LAYERLENS_DATA:-}" && -d "$root/../shared/data" ]]; then
  export LAYERLENS_DATA="$root/../shared/data"
fi
exe="${LAYERLENS_BUILD_DIR:-$root/build}/app/layerlens"
if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  exec "$exe" --model lenet5 --dataset mnist --train "$@"
fi
echo "run.sh: no display; running the window under xvfb-run (screenshots in runs/screenshots/)" >&2
mkdir -p "$root/runs/screenshots"
exec xvfb-run -a -s "-screen 0 1440x900x24" "$exe" --model lenet5 --dataset mnist --epochs 1 --train \
  --screenshots "$root/runs/screenshots" --quit-when-done "$@"
