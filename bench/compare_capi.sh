#!/usr/bin/env bash
# The C layer's overhead: decode tokens/s through edgert_generate (capi_bench:
# sampling, detokenizing, the streaming callback) against edge-run --bench
# (the engine's loop alone) on the same model and threads, alternating, RUNS
# rounds, medians and their ratio.
#
#   bench/compare_capi.sh [BUILD_DIR] [PRESET:QUANT]    (default qwen2.5-0.5b:q8_0)
#   env: THREADS (2), GEN (64 tokens), RUNS (5), WORK (a temp folder)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
CASE="${2:-qwen2.5-0.5b:q8_0}"
THREADS="${THREADS:-2}"
GEN="${GEN:-64}"
RUNS="${RUNS:-5}"
WORK="${WORK:-$(mktemp -d)}"
TOKENIZER="${EDGERT_SHARED_DIR:-../shared}/data/tokenizer/qwen2.5/tokenizer.json"
mkdir -p "$WORK"
model="$WORK/${CASE/:/-}.etm"
[ -f "$model" ] || "$BUILD/tools/edge_convert/edge-convert" -q --random "${CASE%%:*}" --seed 1 --quant "${CASE##*:}" \
  --tokenizer "$TOKENIZER" --out "$model"
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
: >"$WORK/run.txt"
: >"$WORK/capi.txt"
for _ in $(seq "$RUNS"); do
  "$BUILD/tools/edge_run/edge-run" --model "$model" --bench --json --threads "$THREADS" --prompt-tokens 64 \
    --gen-tokens "$GEN" | sed -n 's/.*"decode_tokens_per_s":\([0-9.e+-]*\).*/\1/p' >>"$WORK/run.txt"
  "$BUILD/bench/capi_bench" "$model" "$THREADS" "$GEN" 1 | sed -n 's/.*"decode_tokens_per_s": \([0-9.e+-]*\).*/\1/p' \
    >>"$WORK/capi.txt"
done
run=$(median <"$WORK/run.txt")
capi=$(median <"$WORK/capi.txt")
echo "$CASE, $THREADS threads, $GEN decoded tokens, median of $RUNS (load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "edge-run --bench  $run tokens/s   (runs: $(tr '\n' ' ' <"$WORK/run.txt"))"
echo "C API             $capi tokens/s   (runs: $(tr '\n' ' ' <"$WORK/capi.txt"))"
awk -v a="$capi" -v b="$run" 'BEGIN {printf "C API / edge-run  %.3f\n", a / b}'
