#!/usr/bin/env bash
# Builds the fuzz targets of fuzz/ (clang, libFuzzer, ASan + UBSan) in build-fuzz, writes their
# seed corpora, runs every target for SECONDS (default 60) one after the other, and prints per
# target: executions, coverage (cov = edges, ft = features, from libFuzzer's final stats) and the
# finding. Exit 1 when any target found something; the inputs that did are kept in the findings
# folder it names (reproduce with: build-fuzz/fuzz/<target> <file>).
#
#   scripts/fuzz.sh [SECONDS]
#   LAYERLENS_FUZZ_TARGETS="fuzz_npz fuzz_tar" scripts/fuzz.sh 30   # some targets only
#   LAYERLENS_FUZZ_RUNS=1000000 scripts/fuzz.sh 3600  # a campaign: each target stops after a
#                                                      # million executions or an hour
#   LAYERLENS_FUZZ_KEEP_GOING=1 scripts/fuzz.sh 600   # go on after a finding (libFuzzer's fork
#                                                      # mode, one worker) to collect them all
#
# Each kept input is run once more to name its finding; the distinct ones are listed per target.
# The corpus each target grows is kept in build-fuzz/fuzz-corpus/<target> and reused next time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
build="${LAYERLENS_FUZZ_BUILD_DIR:-$root/build-fuzz}"

"$root/scripts/install-deps.sh"
nice -n 10 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DLAYERLENS_FUZZ=ON -DLAYERLENS_NATIVE=OFF \
  -DLAYERLENS_BUILD_UI=OFF -DLAYERLENS_BUILD_TESTS=OFF -DLAYERLENS_BUILD_BENCH=OFF >/dev/null
nice -n 10 cmake --build "$build" --target fuzz_all --parallel "$(nproc)"

seeds="$build/fuzz-seeds"
rm -rf "$seeds"
"$build/fuzz/fuzz_make_corpus" "$seeds"

stamp="$(date -u +%Y%m%d-%H%M%S)"
findings="$build/fuzz-findings/$stamp"
logs="$build/fuzz-logs/$stamp"
mkdir -p "$logs"
targets="${LAYERLENS_FUZZ_TARGETS:-$(cat "$build/fuzz-targets.txt")}"

# One thread: the core's OpenMP team would only add noise to a single-input fuzzer. Leaks are
# findings (libFuzzer's default), UBSan stops at the first report.
export OMP_NUM_THREADS=1
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The harnesses' scratch folders (llfuzz-*), in memory when /dev/shm is there (every input is
# written to files); removed after each target, as a target that aborts cannot remove its own.
if [[ -d /dev/shm && -w /dev/shm ]]; then
  export TMPDIR="/dev/shm/layerlens-fuzz-$$"
else
  export TMPDIR="$build/fuzz-tmp"
fi

limits=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=25)
keep_going=()
[[ -z "${LAYERLENS_FUZZ_RUNS:-}" ]] || limits+=(-runs="$LAYERLENS_FUZZ_RUNS")
if [[ "${LAYERLENS_FUZZ_KEEP_GOING:-0}" == 1 ]]; then
  keep_going=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
fi
# The most specific line of a log: our harness' own, a sanitizer's report, libFuzzer's verdict.
finding_of() {
  local line
  line="$(grep -a -m1 -E 'LLFUZZ FINDING|runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer|ERROR: libFuzzer|terminate called' "$1" || true)"
  line="$(sed -E -e 's/^==[0-9]+== ?(ERROR: )?//' -e 's/^LLFUZZ FINDING: //' \
    -e 's/0x[0-9a-f]+/0x…/g' -e 's|/[^ ]*/llfuzz-[^/]*/|…/|g' <<<"$line")"
  echo "${line:0:200}"
}

failed=0
printf '%-18s %12s %7s %7s  %s\n' target executions cov ft finding
for t in $targets; do
  corpus="$build/fuzz-corpus/$t"
  rm -rf "$TMPDIR"
  mkdir -p "$corpus" "$findings/$t" "$TMPDIR"
  log="$logs/$t.log"
  rc=0
  nice -n 10 "$build/fuzz/$t" "$corpus" "$seeds/$t" -max_total_time="$seconds" "${limits[@]}" \
    "${keep_going[@]}" -print_final_stats=1 -artifact_prefix="$findings/$t/" >"$log" 2>&1 || rc=$?
  execs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)"
  # Fork mode prints no final stats: its last status line "#N: cov: ..." counts all executions.
  [[ -n $execs ]] || execs="$(grep -oE '^#[0-9]+: cov:' "$log" | tail -1 | tr -dc 0-9 || true)"
  covft="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)"
  cov="$(awk '{print $2}' <<<"$covft")"
  ft="$(awk '{print $4}' <<<"$covft")"
  shopt -s nullglob
  kept=("$findings/$t"/crash-* "$findings/$t"/oom-* "$findings/$t"/leak-* "$findings/$t"/timeout-*)
  slow=("$findings/$t"/slow-unit-*)
  shopt -u nullglob
  note=""
  [[ ${#slow[@]} -eq 0 ]] || note=" (and ${#slow[@]} slow input(s), over 10 s, kept)"
  if [[ $rc -eq 0 && ${#kept[@]} -eq 0 ]]; then
    rmdir "$findings/$t" 2>/dev/null || true
    printf '%-18s %12s %7s %7s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "-$note"
    continue
  fi
  failed=1
  printf '%-18s %12s %7s %7s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "${#kept[@]} input(s) kept$note:"
  # Name each kept input's finding by running it once; list the distinct ones.
  for f in "${kept[@]}"; do
    nice -n 10 "$build/fuzz/$t" "${limits[@]}" "$f" >"$logs/$t-$(basename "$f").log" 2>&1 || true
    echo "$(finding_of "$logs/$t-$(basename "$f").log")  [$(basename "$f")]"
  done | sort -t'[' -k1,1 -u | sed 's/^/    /'
  [[ ${#kept[@]} -gt 0 ]] || echo "    exit code $rc without a kept input: see $log"
done
rm -rf "$TMPDIR"
echo "logs: $logs"
if [[ $failed -ne 0 ]]; then
  echo "fuzz: findings kept in $findings (reproduce: $build/fuzz/<target> <file>)"
  exit 1
fi
rmdir "$findings" 2>/dev/null || true
echo "fuzz: no findings"
