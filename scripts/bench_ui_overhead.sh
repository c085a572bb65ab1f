#!/usr/bin/env bash
# How much the window slows training: LeNet-5 on MNIST, EPOCHS epochs, trained by the headless
# `layerlens train` and by the window under Xvfb (curves redrawn every REDRAW_MS), ROUNDS times
# each, alternating; prints the median images/s of both, the ratio of the medians and the median
# of each round's ratio (paired, so it is less sensitive to a noisy machine's drift).
# With BASELINE_EXE set (another build's layerlens), its window runs in the same rounds too, so a
# change is measured side by side with what it replaces.
# Usage: scripts/bench_ui_overhead.sh [DATA_DIR]   (env: EPOCHS=2 ROUNDS=3 REDRAW_MS=50 BASELINE_EXE=)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${1:-${LAYERLENS_DATA:-$root/../shared/data}}"
exe="${LAYERLENS_BUILD_DIR:-$root/build}/app/layerlens"
base="${BASELINE_EXE:-}"
epochs="${EPOCHS:-2}" rounds="${ROUNDS:-3}" redraw="${REDRAW_MS:-50}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
last_rate() { awk '/^epoch/ {v = $(NF-1)} END {print v}'; }
window() {
  xvfb-run -a -s "-screen 0 1440x900x24" "$1" --model lenet5 --data "$data" --epochs "$epochs" \
    --train --quit-when-done --redraw-ms "$redraw" 2>/dev/null | last_rate
}
cli=() gui=() old=() ratio=() oldratio=()
for ((i = 0; i < rounds; i++)); do
  c=$("$exe" train --model lenet5 --data "$data" --epochs "$epochs" --no-progress --out "$tmp/run" |
      last_rate)
  g=$(window "$exe")
  cli+=("$c") gui+=("$g") ratio+=("$(awk -v g="$g" -v c="$c" 'BEGIN {print g / c}')")
  line="round $((i + 1)): headless $c images/s, window $g images/s"
  if [[ -n "$base" ]]; then
    o=$(window "$base")
    old+=("$o") oldratio+=("$(awk -v o="$o" -v c="$c" 'BEGIN {print o / c}')")
    line+=", baseline window $o images/s"
  fi
  echo "$line" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
mc=$(median "${cli[@]}") mg=$(median "${gui[@]}") mr=$(median "${ratio[@]}")
awk -v c="$mc" -v g="$mg" -v r="$redraw" -v p="$mr" 'BEGIN {
  printf "LeNet-5 last-epoch images/s, medians: headless %.0f, window %.0f (curves redrawn every %d ms): window/headless %.3f (slowdown %.1f%%); median of the rounds'"'"' ratios %.3f (slowdown %.1f%%)\n", c, g, r, g / c, 100 * (1 - g / c), p, 100 * (1 - p) }'
if [[ -n "$base" ]]; then
  mo=$(median "${old[@]}") mor=$(median "${oldratio[@]}")
  awk -v c="$mc" -v o="$mo" -v p="$mor" 'BEGIN {
    printf "baseline window %.0f: baseline/headless %.3f (slowdown %.1f%%); median of the rounds'"'"' ratios %.3f (slowdown %.1f%%)\n", o, o / c, 100 * (1 - o / c), p, 100 * (1 - p) }'
fi
