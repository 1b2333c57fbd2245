#!/usr/bin/env bash
# From a fresh clone to a working model: installs packages, builds, makes the
# bundled tiny model with the real Qwen2.5 tokenizer, inspects and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${EDGERT_SHARED_DIR:-../shared}"
TOKENIZER="$SHARED/data/tokenizer/qwen2.5/tokenizer.json"
if [ ! -f "$TOKENIZER" ]; then
  echo "error: $TOKENIZER not found: the Qwen2.5 tokenizer ships in ../shared beside the clone (set EDGERT_SHARED_DIR)" >&2
  exit 1
fi
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2 --target edge-convert edge-run edge-export
mkdir -p out
build/tools/edge_convert/edge-convert --random tiny --seed 1 --quant q8_0 \
  --tokenizer "$TOKENIZER" --out out/tiny-q8_0.etm
build/tools/edge_convert/edge-convert --info out/tiny-q8_0.etm | head -12
build/tools/edge_convert/edge-convert --verify out/tiny-q8_0.etm
echo "token ids of 'Hello, world! 你好':"
build/tools/edge_run/edge-run --model out/tiny-q8_0.etm --tokenize --prompt 'Hello, world! 你好'
echo "generation (random weights, so expect gibberish):"
build/tools/edge_run/edge-run --model out/tiny-q8_0.etm --prompt 'Draw a flowchart of making tea.' --max-tokens 24 --seed 1 --temperature 0.7
build/tools/edge_run/edge-run --model out/tiny-q8_0.etm --bench --prompt-tokens 128 --gen-tokens 32
