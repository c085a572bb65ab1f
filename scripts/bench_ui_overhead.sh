#!/usr/bin/env bash
# How much the window slows training: LeNet-5 on MNIST, EPOCHS epochs, trained by the headless
# `layerlens train` and by the window under Xvfb (curves redrawn every REDRAW_MS), ROUNDS times
# each, alternating; prints the median images/s of both and the ratio.
# Usage: scripts/bench_ui_overhead.sh [DATA_DIR]   (env: EPOCHS=2 ROUNDS=3 REDRAW_MS=50)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${1:-${LAYERLENS_DATA:-$root/../shared/data}}"
exe="${LAYERLENS_BUILD_DIR:-$root/build}/app/layerlens"
epochs="${EPOCHS:-2}" rounds="${ROUNDS:-3}" redraw="${REDRAW_MS:-50}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cli=() gui=()
for ((i = 0; i < rounds; i++)); do
  c=$("$exe" train --model lenet5 --data "$data" --epochs "$epochs" --no-progress --out "$tmp/run" |
      awk '/^epoch/ {v = $(NF-1)} END {print v}')
  g=$(xvfb-run -a -s "-screen 0 1440x900x24" "$exe" --model lenet5 --data "$data" --epochs "$epochs" \
        --train --quit-when-done --redraw-ms "$redraw" 2>/dev/null |
      awk '/^epoch/ {v = $(NF-1)} END {print v}')
  cli+=("$c") gui+=("$g")
  echo "round $((i + 1)): headless $c images/s, window $g images/s" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
mc=$(median "${cli[@]}") mg=$(median "${gui[@]}")
awk -v c="$mc" -v g="$mg" -v r="$redraw" 'BEGIN {
  printf "LeNet-5 last-epoch images/s, medians: headless %.0f, window %.0f (curves redrawn every %d ms): window/headless %.3f (slowdown %.1f%%)\n", c, g, r, g / c, 100 * (1 - g / c) }'
