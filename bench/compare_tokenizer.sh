#!/usr/bin/env bash
# Tokenizer encode throughput on the same 512 KB texts, back to back, one
# thread: edge-rt vs the JS implementation (@lenml/tokenizers under node) and
# vs Hugging Face tokenizers (its Rust library, called from node; the figure
# includes the node binding's overhead).
# usage: bench/compare_tokenizer.sh [BUILD_DIR]   (needs npm ci --prefix tests/tokenizer/node)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
TOKENIZER="${EDGERT_SHARED_DIR:-../shared}/data/tokenizer/qwen2.5/tokenizer.json"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BUILD/bench/tokenizer_bench" --write-texts "$TMP"
"$BUILD/bench/tokenizer_bench" --benchmark_format=json --benchmark_min_time=2 > "$TMP/ours.json" 2>/dev/null
for kind in prose code; do
  node tests/tokenizer/node/crosscheck.mjs --bench "$TOKENIZER" "$TMP/$kind.txt" > "$TMP/$kind.node.json"
  python3 - "$kind" "$TMP/ours.json" "$TMP/$kind.node.json" <<'PY'
import json, sys
kind, ours_path, node_path = sys.argv[1:]
name = "BM_EncodeProse" if kind == "prose" else "BM_EncodeCode"
ours = next(b for b in json.load(open(ours_path))["benchmarks"] if b["name"] == name)
node = json.load(open(node_path))
mb = ours["bytes_per_second"] / 1e6
js, hf = node["lenml_js"]["mb_per_s"], node["hf_rust_via_node"]["mb_per_s"]
print(f"{kind:6s} edge-rt {mb:7.2f} MB/s | @lenml/tokenizers {js:6.2f} MB/s ({mb / js:4.1f}x) | "
      f"HF tokenizers via node {hf:6.2f} MB/s ({mb / hf:4.1f}x)")
PY
done
