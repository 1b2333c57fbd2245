#!/usr/bin/env bash
# Runs capi_threads_test on a tiny random model written by edge-convert.
# usage: capi_threads.sh BUILD_DIR SHARED_DIR TEST_BINARY
set -euo pipefail
BUILD="$1"
TOKENIZER="$2/data/tokenizer/qwen2.5/tokenizer.json"
WORK="$BUILD/capi-threads"
[ -f "$TOKENIZER" ] || { echo "missing $TOKENIZER (the shared/ data folder)"; exit 1; }
mkdir -p "$WORK"
"$BUILD/tools/edge_convert/edge-convert" -q --random tiny --seed 3 --quant q8_0 --tokenizer "$TOKENIZER" \
  --out "$WORK/tiny.etm" --force
"$3" "$WORK/tiny.etm"
