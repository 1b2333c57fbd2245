#!/usr/bin/env bash
# Decode speed when other programs keep the cores busy (a laptop running a
# browser and a build beside the job): edge-run --bench at 1 thread and at the
# default thread count, on a quiet machine and beside HOGS busy processes
# (pure CPU loops, one per hog), back to back. With several threads a decode
# step's ~150 fork-joins each wait for every worker to check in; under load the
# session measures that and runs decode steps on the calling thread
# (runtime/model/decode_threads.h), so the default should stay at or above the
# 1-thread figure there and at the multi-thread figure on a quiet machine.
#
#   bench/decode_under_load.sh [BUILD_DIR]
#   env: MODEL (a .etm; default: the 0.5B Q8_0 shape with random weights, made
#        here), HOGS (2 x the CPUs), THREADS (2), RUNS (2)
# Needs only coreutils and the project's tools.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
HOGS="${HOGS:-$(( 2 * $(nproc) ))}"; THREADS="${THREADS:-2}"; RUNS="${RUNS:-2}"
TOKENIZER="${EDGERT_SHARED_DIR:-../shared}/data/tokenizer/qwen2.5/tokenizer.json"
WORK="$(mktemp -d)"
hogs=()
cleanup() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
MODEL="${MODEL:-$WORK/qwen2.5-0.5b-q8_0.etm}"
[ -f "$MODEL" ] || "$BUILD/tools/edge_convert/edge-convert" -q --random qwen2.5-0.5b --seed 1 --quant q8_0 \
  --tokenizer "$TOKENIZER" --out "$MODEL" >/dev/null

decode() {  # threads -> tokens/s
  "$BUILD/tools/edge_run/edge-run" --model "$MODEL" --prompt hi --bench --threads "$1" --json \
    | python3 -c "import json,sys; print(json.load(sys.stdin)['decode_tokens_per_s'])"
}

printf "%-8s %-10s %12s %8s\n" load threads "decode tok/s" loadavg
for phase in quiet busy; do
  if [ "$phase" = busy ]; then
    for _ in $(seq "$HOGS"); do (while :; do :; done) & hogs+=($!); done
    sleep 5
  fi
  for r in $(seq "$RUNS"); do
    for t in 1 "$THREADS"; do
      printf "%-8s %-10s %12s %8s\n" "$phase" "$t" "$(decode "$t")" "$(cut -d' ' -f1 /proc/loadavg)"
    done
  done
done
