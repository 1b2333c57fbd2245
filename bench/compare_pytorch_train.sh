#!/usr/bin/env bash
# LoRA training speed: edge-rt (Q8_0 base, f32 base) beside PyTorch fp32 on CPU
# (gradient checkpointing off and on), same shapes, rank, targets, sequence
# length and threads, back to back in one run.
#
#   bench/compare_pytorch_train.sh [BUILD_DIR]
#   env: PRESET (qwen2.5-0.5b)  SEQ (512)  RANK (8)  THREADS (2)  STEPS (3)  WARMUP (1)
#        BUDGET (1.5GB: edge-tune's --budget for the Q8_0 job)  WORK (temp dir)
#        ISA (native; avx2: what an AVX2 laptop gets, on an AVX-512 host: edge-rt with
#             EDGERT_KERNELS=avx2, PyTorch with ATEN_CPU_CAPABILITY=avx2 and
#             OPENBLAS_CORETYPE=Haswell; avxvnni: an Alder Lake or later laptop,
#             edge-rt with EDGERT_KERNELS=avxvnni, PyTorch as for avx2, since
#             PyTorch's fp32 products have no AVX-VNNI tier)
#
# Random weights with the preset's exact shapes (edge-convert --random, seed 1);
# PyTorch reads the f32 file's weights (bench/pytorch_train.py). Every step: one
# sequence of SEQ random tokens, all positions counted, all seven targets,
# clipping at 1.0, one AdamW step. tokens/s over STEPS steps after WARMUP; peak
# RSS of each process from /usr/bin/time -f %M. The Q8_0 job runs twice: as
# edge-tune itself (--budget BUDGET, pre-tokenized random sequences, its JSON
# log's step times; the peak includes writing the adapter and checkpoint), and
# as bench/train_bench with the same plan, which prints where the time goes. PyTorch runs as the issue calibrated it: Debian's
# python3-torch 1.13 over OpenBLAS (libopenblas0-openmp) with its AVX-512
# kernels, a glibc allocator that keeps its memory, torch.set_num_threads.
# The host is shared and noisy: the load average is printed beside each figure.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
PRESET="${PRESET:-qwen2.5-0.5b}"; SEQ="${SEQ:-512}"; RANK="${RANK:-8}"; THREADS="${THREADS:-2}"
STEPS="${STEPS:-3}"; WARMUP="${WARMUP:-1}"; BUDGET="${BUDGET:-1.5GB}"; ISA="${ISA:-native}"
case "$ISA" in
  native) TORCH_ISA=avx512; BLAS_CORE=SkylakeX ;;
  avx2|avxvnni) TORCH_ISA=avx2; BLAS_CORE=Haswell; export EDGERT_KERNELS=$ISA ;;
  *) echo "error: ISA=$ISA: expected native, avx2 or avxvnni" >&2; exit 1 ;;
esac
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

echo "$PRESET, r=$RANK, all seven targets, sequence $SEQ, $THREADS threads, $STEPS steps after $WARMUP, ISA $ISA"
printf "%-28s %10s %10s %8s\n" system "tok/s" "peak MB" "load"
E=(--seq "$SEQ" --rank "$RANK" --threads "$THREADS" --steps "$STEPS" --warmup "$WARMUP")

# edge-tune on WARMUP + STEPS sequences of SEQ random tokens (labels = ids: every position counted).
python3 - "$WORK/tokens.jsonl" "$SEQ" $((WARMUP + STEPS)) <<'PY'
import json, random, sys
random.seed(1)
with open(sys.argv[1], "w") as f:
    for _ in range(int(sys.argv[3])):
        ids = [random.randrange(150000) for _ in range(int(sys.argv[2]))]
        f.write(json.dumps({"input_ids": ids, "labels": ids}) + "\n")
PY
rm -f "$WORK/edge-tune.jsonl"
load=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/time -f "%M" -o "$WORK/edge-tune.rss" "$BUILD/tools/edge_tune/edge-tune" --model "$WORK/$PRESET-q8_0.etm" \
  --data "$WORK/tokens.jsonl" --out "$WORK/edge-tune.eta" --force --budget "$BUDGET" --max-seq-len "$SEQ" --lora-r "$RANK" \
  --lora-alpha 16 --lora-dropout 0 --targets all --threads "$THREADS" --max-steps $((WARMUP + STEPS)) --no-shuffle \
  --lr 1e-4 --max-grad-norm 1.0 --json-log "$WORK/edge-tune.jsonl" > "$WORK/edge-tune.log" 2>&1
tps=$(python3 -c "
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]
print(round(sum(s['tokens'] for s in steps) / sum(s['seconds'] for s in steps), 2))" "$WORK/edge-tune.jsonl" "$WARMUP")
printf "%-28s %10s %10s %8s\n" "edge-tune-q8_0 ($BUDGET)" "$tps" "$(( $(cat "$WORK/edge-tune.rss") / 1024 ))" "$load"
run edge-q8_0 "$BUILD/bench/train_bench" --model "$WORK/$PRESET-q8_0.etm" "${E[@]}" --budget "$BUDGET"
run edge-f32 "$BUILD/bench/train_bench" --model "$WORK/$PRESET-f32.etm" "${E[@]}"
export OPENBLAS_CORETYPE=$BLAS_CORE ATEN_CPU_CAPABILITY=$TORCH_ISA
export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736
P=(/usr/bin/python3 bench/pytorch_train.py --model "$WORK/$PRESET-f32.etm" "${E[@]}")
run pytorch-fp32 "${P[@]}"
run pytorch-fp32-checkpointing "${P[@]}" --checkpointing
unset OPENBLAS_CORETYPE ATEN_CPU_CAPABILITY GLIBC_TUNABLES
echo "edge-rt Q8_0 plan for --budget $BUDGET: $(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['saved_layers'], 'layers kept, loss chunk', d['loss_rows'], 'rows, predicted peak', d['predicted_peak_bytes'] >> 20, 'MiB')" "$WORK/edge-q8_0.json")"
echo "edge-rt seconds per step by phase:"
for q in q8_0 f32; do echo "  $q: $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['phases_s_per_step'])" "$WORK/edge-$q.json")"; done
echo "(files in $WORK)"
