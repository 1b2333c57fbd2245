#!/usr/bin/env bash
# Tokenizer encode throughput, edge-rt vs the JS implementation
# (@lenml/tokenizers under node), on the same 1 MB texts, back to back.
# usage: bench/compare_tokenizer.sh [BUILD_DIR]   (needs npm ci --prefix tests/tokenizer/node)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
TOKENIZER="${EDGERT_SHARED_DIR:-../shared}/data/tokenizer/qwen2.5/tokenizer.json"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BUILD/bench/tokenizer_bench" --write-texts "$TMP"
ours=$("$BUILD/bench/tokenizer_bench" --benchmark_format=json --benchmark_min_time=2 2>/dev/null)
for kind in prose code; do
  js=$(node tests/tokenizer/node/crosscheck.mjs --bench "$TOKENIZER" "$TMP/$kind.txt")
  name=$([ "$kind" = prose ] && echo BM_EncodeProse || echo BM_EncodeCode)
  python3 - "$kind" "$name" "$js" <<PY
import json, sys
kind, name, js = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
ours = next(b for b in json.loads('''$ours''')["benchmarks"] if b["name"] == name)
mb = ours["bytes_per_second"] / 1e6
print(f"{kind:6s} edge-rt {mb:8.2f} MB/s   js {js['mb_per_s']:7.2f} MB/s   ratio {mb / js['mb_per_s']:5.1f}x")
PY
done
