#!/usr/bin/env bash
# Issue 23: what a hostile but fair user found, one check per item, each
# refused in one line ("error: ...") with a non-zero exit, nothing crashed.
# usage: hostile_input_test.sh BUILD_DIR SHARED_DIR [EMULATOR...]
set -uo pipefail
BUILD="$1"
SHARED="$2"
CONVERT="$BUILD/tools/edge_convert/edge-convert"
RUN="$BUILD/tools/edge_run/edge-run"
TUNE="$BUILD/tools/edge_tune/edge-tune"
EVAL="$BUILD/tools/edge_eval/edge-eval"
TOKENIZER="$SHARED/data/tokenizer/qwen2.5/tokenizer.json"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$(dirname "$0")/lib.sh"
EMULATOR="${*:3}"
emulate_tools CONVERT RUN TUNE EVAL

"$CONVERT" -q --random tiny --seed 3 --quant q8_0 --tokenizer "$TOKENIZER" --out "$TMP/tiny.etm" >"$TMP/out" 2>&1 \
  || { echo "FAIL cannot make the tiny model: $(cat "$TMP/out")"; exit 1; }
M="$TMP/tiny.etm"
for i in 1 2 3 4; do
  printf '{"instruction": "Graph %s.", "response": "digraph { n%s; }"}\n' $i $i
done >"$TMP/train.jsonl"

# --- 1. a long chain of grammar rules: no stack overflow ----------------------------
{
  echo 'root ::= r0'
  for k in $(seq 0 19999); do echo "r$k ::= r$((k + 1)) | \"x\""; done
  echo 'r20000 ::= "y"'
} >"$TMP/chain.gbnf"
"$RUN" --model "$M" --grammar "$TMP/chain.gbnf" --prompt hi --max-tokens 4 --threads 1 >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && { [ "$(cat "$TMP/out")" = x ] || [ "$(cat "$TMP/out")" = y ]; } \
  && ok "grammar with 20,000 chained rules" || bad "grammar with 20,000 chained rules (exit $rc: $(cat "$TMP/err"))"

# --- 2. thread counts far beyond the cores ---------------------------------------------
expect_error "edge-run --threads 100000" "--threads 100000: at most " "$RUN" --model "$M" --prompt hi --threads 100000
expect_error "edge-tune --threads 1000" "--threads 1000: at most " \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/t.eta" --threads 1000
expect_error "edge-eval --threads 1000" "--threads 1000: at most " \
  "$EVAL" --model "$M" --prompts "$TMP/train.jsonl" --format dot --threads 1000
no_leftovers "--threads refusals" tiny.etm train.jsonl chain.gbnf

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
