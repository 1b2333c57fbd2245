#!/usr/bin/env bash
# From a fresh clone to a working model: installs packages, builds, makes the
# bundled tiny model with the real Qwen2.5 tokenizer, inspects and runs it;
# then the main job: a LoRA adapter tuned on the bundled Mermaid data set and
# edge-eval on its test split, base against tuned, without and with the
# grammar, with an HTML report.
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
cmake --build build -j2 --target edge-convert edge-run edge-export edge-tune edge-eval
mkdir -p out
# out/ is this script's own: each run replaces what the last one wrote (--force).
build/tools/edge_convert/edge-convert --random tiny --seed 1 --quant q8_0 \
  --tokenizer "$TOKENIZER" --out out/tiny-q8_0.etm --force
build/tools/edge_convert/edge-convert --info out/tiny-q8_0.etm | head -12
build/tools/edge_convert/edge-convert --verify out/tiny-q8_0.etm
echo "token ids of 'Hello, world! 你好':"
build/tools/edge_run/edge-run --model out/tiny-q8_0.etm --tokenize --prompt 'Hello, world! 你好'
echo "generation (random weights, so expect gibberish):"
build/tools/edge_run/edge-run --model out/tiny-q8_0.etm --prompt 'Draw a flowchart of making tea.' --max-tokens 24 --seed 1 --temperature 0.7
build/tools/edge_run/edge-run --model out/tiny-q8_0.etm --bench --prompt-tokens 128 --gen-tokens 32

echo
echo "the main job: LoRA on data/mermaid_train.jsonl (20 steps), then edge-eval on data/mermaid_test.jsonl"
build/tools/edge_tune/edge-tune --model out/tiny-q8_0.etm --data data/mermaid_train.jsonl \
  --val data/mermaid_validation.jsonl --out out/tiny-mermaid.eta --max-steps 20 --batch 4 --lr 5e-3 \
  --schedule cosine --eval-every 10 --json-log out/tiny-mermaid.train.jsonl --force
echo "free decoding (a random model: almost nothing is a valid diagram):"
build/tools/edge_eval/edge-eval --model out/tiny-q8_0.etm --lora out/tiny-mermaid.eta --compare-base \
  --prompts data/mermaid_test.jsonl --format mermaid --max-tokens 96
echo "with the mermaid grammar (every output is a complete, valid diagram):"
build/tools/edge_eval/edge-eval --model out/tiny-q8_0.etm --lora out/tiny-mermaid.eta --compare-base \
  --prompts data/mermaid_test.jsonl --format mermaid --grammar --max-tokens 96 \
  --json out/mermaid-eval.json --report out/mermaid-report.html --training-log out/tiny-mermaid.train.jsonl --force
echo "report: out/mermaid-report.html (open it in a browser; it works offline)"
