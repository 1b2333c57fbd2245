#!/usr/bin/env bash
# edge-rt against llama.cpp on the same weights, same threads, back to back.
#
#   LLAMA_BENCH=/path/to/llama-bench bench/compare_llamacpp.sh [BUILD_DIR] [CASES...]
#
# A case is PRESET:QUANT (default: qwen2.5-0.5b:q8_0 qwen2.5-0.5b:q4_0 qwen2.5-1.5b:q4_0).
# For each: random weights with the preset's exact shapes -> .etm -> GGUF
# (edge-export) -> .etm again through edge-convert --from (the path a user
# with a GGUF takes); llama-bench runs the GGUF (pp512, tg128), edge-run
# --bench the .etm (512-token prefill, 128 decoded tokens), three runs each,
# medians, then the ratio. The host is shared and noisy: only back-to-back
# figures compare. Needs a llama.cpp build (not part of this project). In a
# KVM guest that advertises AMX without enabling it (the Xeon host of
# 2026-12-02), a -march=native build (GGML_NATIVE) dies with SIGILL in
# ggml's AMX kernels: build with -DGGML_NATIVE=OFF -DGGML_AVX512=ON
# -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AVX512_VBMI=ON (AMX off).
#
# What an AVX2 laptop gets, on an AVX-512 host: EDGERT_KERNELS=avx2 in the
# environment (edge-run then runs its AVX2 tier) and LLAMA_BENCH built with
# -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF.
# An Alder Lake or later laptop (AVX-VNNI, no AVX-512): EDGERT_KERNELS=avxvnni
# and the same llama.cpp build plus -DGGML_AVX_VNNI=ON (what -march=native
# gives it there).
#
# Distance to the memory wall, per case: the bytes of weights one decoded
# token reads (every tensor; the embedding counts once, as the tied LM head,
# or not at all beside an untied one: decoding gathers one row of it), times
# edge's decode tokens/s = the weight GB/s it streams, beside the machine's
# read bandwidth with the same threads, measured right after
# (build/bench/kernels_bench MemoryRead/1GB, median of 3).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
shift || true
CASES=("$@")
[ ${#CASES[@]} -eq 0 ] && CASES=(qwen2.5-0.5b:q8_0 qwen2.5-0.5b:q4_0 qwen2.5-1.5b:q4_0)
LLAMA_BENCH="${LLAMA_BENCH:-llama-bench}"
THREADS="${THREADS:-2}"
TOKENIZER="${EDGERT_SHARED_DIR:-../shared}/data/tokenizer/qwen2.5/tokenizer.json"
WORK="${WORK:-$(mktemp -d)}"
command -v "$LLAMA_BENCH" >/dev/null || { echo "error: llama-bench not found (set LLAMA_BENCH)" >&2; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf "%-22s %10s %10s %7s | %10s %10s %7s | %8s %8s %8s %6s\n" case "pp llama" "pp edge" ratio "tg llama" "tg edge" ratio \
  "GB/token" "wt GB/s" "read" "of bw"
for c in "${CASES[@]}"; do
  preset=${c%%:*}; quant=${c##*:}
  base="$WORK/$preset-$quant"
  [ -f "$base.gguf" ] || {
    "$BUILD/tools/edge_convert/edge-convert" -q --random "$preset" --seed 1 --quant "$quant" --tokenizer "$TOKENIZER" --out "$base.src.etm" >/dev/null
    "$BUILD/tools/edge_export/edge-export" -m "$base.src.etm" --gguf "$base.gguf" --force >/dev/null
    "$BUILD/tools/edge_convert/edge-convert" -q --from "$base.gguf" --out "$base.etm" >/dev/null
    rm -f "$base.src.etm"
  }
  lj=$("$LLAMA_BENCH" -m "$base.gguf" -t "$THREADS" -p 512 -n 128 -r 3 -o json 2>/dev/null)
  lpp=$(echo "$lj" | python3 -c "import json,sys; r=json.load(sys.stdin); print(next(x['avg_ts'] for x in r if x['n_prompt']>0))")
  ltg=$(echo "$lj" | python3 -c "import json,sys; r=json.load(sys.stdin); print(next(x['avg_ts'] for x in r if x['n_gen']>0))")
  pp=(); tg=()
  for _ in 1 2 3; do
    j=$("$BUILD/tools/edge_run/edge-run" -m "$base.etm" --bench --prompt-tokens 512 --gen-tokens 128 --threads "$THREADS" --json)
    pp+=("$(echo "$j" | python3 -c "import json,sys; print(json.load(sys.stdin)['prefill_tokens_per_s'])")")
    tg+=("$(echo "$j" | python3 -c "import json,sys; print(json.load(sys.stdin)['decode_tokens_per_s'])")")
  done
  epp=$(printf "%s\n" "${pp[@]}" | median); etg=$(printf "%s\n" "${tg[@]}" | median)
  gb_token=$("$BUILD/tools/edge_convert/edge-convert" --info "$base.etm" --json | python3 -c "
import json, sys
t = {x['name']: x['size'] for x in json.load(sys.stdin)['tensors']}
untied = 'lm_head.weight' in t
print(sum(v for k, v in t.items() if not (untied and k == 'model.embed_tokens.weight')) / 1e9)")
  read=$("$BUILD/bench/kernels_bench" --benchmark_filter="MemoryRead/1GB/$THREADS/" --benchmark_repetitions=3 \
    --benchmark_format=json 2>/dev/null | python3 -c "
import json, sys
print(next(b['GB/s'] for b in json.load(sys.stdin)['benchmarks'] if b.get('aggregate_name') == 'median'))")
  printf "%-22s %10.1f %10.1f %6.2fx | %10.1f %10.1f %6.2fx | %8.3f %8.1f %8.1f %5.0f%%\n" "$c" "$lpp" "$epp" \
    "$(python3 -c "print($epp/$lpp)")" "$ltg" "$etg" "$(python3 -c "print($etg/$ltg)")" \
    "$gb_token" "$(python3 -c "print($gb_token*$etg)")" "$read" "$(python3 -c "print(100*$gb_token*$etg/$read)")"
done
