#!/usr/bin/env bash
# LoRA training speed: edge-rt (Q8_0 base, f32 base) beside PyTorch fp32 on CPU
# (gradient checkpointing off and on), same shapes, rank, targets, sequence
# length and threads, back to back in one run.
#
#   bench/compare_pytorch_train.sh [BUILD_DIR]
#   env: PRESET (qwen2.5-0.5b)  SEQ (512)  RANK (8)  THREADS (2)  STEPS (3)  WARMUP (1)  WORK (temp dir)
#
# Random weights with the preset's exact shapes (edge-convert --random, seed 1);
# PyTorch reads the f32 file's weights (bench/pytorch_train.py). Every step: one
# sequence of SEQ random tokens, all positions counted, all seven targets,
# clipping at 1.0, one AdamW step. tokens/s over STEPS steps after WARMUP; peak
# RSS of each process from /usr/bin/time -f %M. edge-rt also prints where its
# time goes per step. PyTorch runs as the issue calibrated it: Debian's
# python3-torch 1.13 over OpenBLAS (libopenblas0-openmp) with its AVX-512
# kernels, a glibc allocator that keeps its memory, torch.set_num_threads.
# The host is shared and noisy: the load average is printed beside each figure.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
PRESET="${PRESET:-qwen2.5-0.5b}"; SEQ="${SEQ:-512}"; RANK="${RANK:-8}"; THREADS="${THREADS:-2}"
STEPS="${STEPS:-3}"; WARMUP="${WARMUP:-1}"
TOKENIZER="${EDGERT_SHARED_DIR:-../shared}/data/tokenizer/qwen2.5/tokenizer.json"
WORK="${WORK:-$(mktemp -d)}"
for q in q8_0 f32; do
  [ -f "$WORK/$PRESET-$q.etm" ] || "$BUILD/tools/edge_convert/edge-convert" -q --random "$PRESET" --seed 1 --quant "$q" \
    --tokenizer "$TOKENIZER" --out "$WORK/$PRESET-$q.etm" >/dev/null
done

# run NAME COMMAND...: prints "NAME tok/s peak-MB load" and keeps the JSON line.
run() {
  local name=$1; shift
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%M" -o "$WORK/$name.rss" "$@" > "$WORK/$name.json" 2> "$WORK/$name.log"
  local tps; tps=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['tokens_per_s'])" "$WORK/$name.json")
  printf "%-28s %10s %10s %8s\n" "$name" "$tps" "$(( $(cat "$WORK/$name.rss") / 1024 ))" "$load"
}

echo "$PRESET, r=$RANK, all seven targets, sequence $SEQ, $THREADS threads, $STEPS steps after $WARMUP"
printf "%-28s %10s %10s %8s\n" system "tok/s" "peak MB" "load"
E=(--seq "$SEQ" --rank "$RANK" --threads "$THREADS" --steps "$STEPS" --warmup "$WARMUP")
run edge-q8_0 "$BUILD/bench/train_bench" --model "$WORK/$PRESET-q8_0.etm" "${E[@]}"
run edge-f32 "$BUILD/bench/train_bench" --model "$WORK/$PRESET-f32.etm" "${E[@]}"
export OPENBLAS_CORETYPE=SkylakeX ATEN_CPU_CAPABILITY=avx512
export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736
P=(/usr/bin/python3 bench/pytorch_train.py --model "$WORK/$PRESET-f32.etm" "${E[@]}")
run pytorch-fp32 "${P[@]}"
run pytorch-fp32-checkpointing "${P[@]}" --checkpointing
unset OPENBLAS_CORETYPE ATEN_CPU_CAPABILITY GLIBC_TUNABLES
echo "edge-rt seconds per step by phase:"
for q in q8_0 f32; do echo "  $q: $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['phases_s_per_step'])" "$WORK/edge-$q.json")"; done
echo "(files in $WORK)"
