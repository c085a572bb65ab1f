#!/usr/bin/env bash
# Configures and builds LayerLens into ${LAYERLENS_BUILD_DIR:-build}. Extra arguments go to CMake;
# LAYERLENS_BUILD_TARGET limits the build to one target (e.g. layerlens).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${LAYERLENS_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" --parallel "$(nproc)" ${LAYERLENS_BUILD_TARGET:+--target "$LAYERLENS_BUILD_TARGET"}
