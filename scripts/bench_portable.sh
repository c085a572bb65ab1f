#!/usr/bin/env bash
# The portable package's speed against the native build, side by side: for each preset, 3
# alternating repetitions of `layerlens bench` (3 one-second rounds, 2 threads) with the native
# binary, the portable one (its AVX-512 kernels on this CPU), the portable one with
# LAYERLENS_ISA=avx2 (what an AVX2 laptop runs: im2col + GEMM, Eigen's AVX2 copy) and with
# LAYERLENS_ISA=portable (the baseline alone); prints a Markdown table of medians and ratios to
# native.
#   scripts/bench_portable.sh [NATIVE_BINARY [PORTABLE_BINARY]]
# Defaults: build/app/layerlens and build-package/app/layerlens (scripts/package.sh builds it).
# MODELS="lenet5 vgg-cifar" limits the presets. Run it on a quiet machine: nothing else heavy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
native="${1:-$root/build/app/layerlens}"
portable="${2:-$root/build-package/app/layerlens}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for m in ${MODELS:-lenet5 mlp-cifar alexnet-mnist vgg-cifar resnet20-cifar mobilenet-cifar}; do
  for rep in 1 2 3; do
    for v in native portable avx2 baseline; do
      case $v in
        native) r=$("$native" bench --model "$m" --rounds 3 --seconds 1 --format json) ;;
        portable) r=$("$portable" bench --model "$m" --rounds 3 --seconds 1 --format json) ;;
        avx2) r=$(LAYERLENS_ISA=avx2 "$portable" bench --model "$m" --rounds 3 --seconds 1 \
                    --format json) ;;
        baseline) r=$(LAYERLENS_ISA=portable "$portable" bench --model "$m" --rounds 3 \
                        --seconds 1 --format json) ;;
      esac
      echo "{\"v\":\"$v\",\"r\":$r}" >>"$out"
    done
  done
done
python3 - "$out" <<'PY'
import collections, json, statistics as st, sys
d = collections.defaultdict(list)
models = []
for line in open(sys.argv[1]):
    j = json.loads(line)
    m = j["r"]["model"]
    if m not in models:
        models.append(m)
    d[(m, j["v"])].append((j["r"]["train_images_per_s"], j["r"]["infer_images_per_s"]))
variants = ("native", "portable", "avx2", "baseline")
print("| model | native train | package (ratio) | package, AVX2 (ratio) | package, baseline (ratio) "
      "| native infer | package (ratio) | AVX2 (ratio) | baseline (ratio) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for m in models:
    cells = []
    for k in (0, 1):
        v = {x: st.median(p[k] for p in d[(m, x)]) for x in variants}
        cells.append(f"{v['native']:,.0f}")
        cells += [f"{v[x]:,.0f} ({v[x] / v['native']:.2f})" for x in variants[1:]]
    print(f"| {m} | " + " | ".join(cells) + " |")
PY
