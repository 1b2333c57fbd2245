#!/usr/bin/env bash
# Guest instructions per operator of whole steps under qemu-aarch64, for every
# aarch64 kernel tier: one decode step, one 128-token prefill and one LoRA
# training step of MODEL (an .etm), single-threaded, counted per translated
# block by bench/qemu_insn_profile.c and mapped to operators by
# bench/insn_profile.py. Needs an aarch64 build with edge-run and train_bench
# (BUILD_DIR, default build-aarch64; scripts/install-cross-deps.sh).
#
#   bench/insn_steps.sh MODEL.etm OUT_DIR [TRAIN_SEQ]
#
# Tiers: scalar (EDGERT_KERNELS=scalar, QEMU_CPU=max), neon (cortex-a53),
# neondot (cortex-a76), neoni8mm (max). Each step is a difference of runs, so
# loading and setup cancel:
#   decode  = (prompt 128 + 9 decoded tokens − prompt 128 + 1 decoded) / 8
#   prefill = prompt 128 − prompt 1 (both with 0 decoded) + one decode step
#             (the 1-token prefill the difference removes, counted as a decode step)
#   train   = train_bench 2 steps − 1 step (--seq TRAIN_SEQ, default 128, rank 8, int8 backward)
# Writes OUT_DIR/{decode,prefill,train}.md (Markdown tables), the JSON and the
# profiles per tier (REUSE=1 makes the tables again from the kept profiles).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL="${1:?usage: bench/insn_steps.sh MODEL.etm OUT_DIR [TRAIN_SEQ]}"
OUT="${2:?usage: bench/insn_steps.sh MODEL.etm OUT_DIR [TRAIN_SEQ]}"
SEQ="${3:-128}"
BUILD_DIR="${BUILD_DIR:-build-aarch64}"
mkdir -p "$OUT"
plugin="$BUILD_DIR/qemu_insn_profile.so"
cc -shared -fPIC -O2 -Wall -Wextra -o "$plugin.new" bench/qemu_insn_profile.c && mv "$plugin.new" "$plugin"
run_bin="$BUILD_DIR/tools/edge_run/edge-run"
train_bin="$BUILD_DIR/bench/train_bench"
profile() {  # profile OUT.prof CPU KERNELS PROGRAM ARGS...: counts of one run
  local prof=$1 cpu=$2 kernels=$3
  shift 3
  if [ "${REUSE:-0}" = 1 ] && [ -s "$prof" ]; then return 0; fi  # REUSE=1: tables again from kept profiles
  EDGERT_INSN_PROFILE="$prof" EDGERT_KERNELS="$kernels" QEMU_CPU="$cpu" \
    qemu-aarch64 -L / -plugin "$plugin" "$@" > "$prof.log" 2>&1
}
ops() { python3 bench/insn_profile.py ops "$@"; }
for tier in ${TIERS:-scalar:max neon:cortex-a53 neondot:cortex-a76 neoni8mm:max}; do  # TIERS: a subset
  isa=${tier%%:*} cpu=${tier##*:}
  d="$OUT/$isa"
  mkdir -p "$d"
  echo "--- $isa (QEMU_CPU=$cpu)"
  bench=(--model "$MODEL" --bench --threads 1)
  profile "$d/p1.prof" "$cpu" "$isa" "$run_bin" "${bench[@]}" --prompt-tokens 1 --gen-tokens 0
  profile "$d/p128.prof" "$cpu" "$isa" "$run_bin" "${bench[@]}" --prompt-tokens 128 --gen-tokens 0
  profile "$d/g1.prof" "$cpu" "$isa" "$run_bin" "${bench[@]}" --prompt-tokens 128 --gen-tokens 1
  profile "$d/g9.prof" "$cpu" "$isa" "$run_bin" "${bench[@]}" --prompt-tokens 128 --gen-tokens 9
  ops "$run_bin" "$d/g9.prof" --minus "$d/g1.prof" --div 8 > "$d/decode.json"
  ops "$run_bin" "$d/p128.prof" --minus "$d/p1.prof" > "$d/prefill_less_one.json"
  python3 - "$d/prefill_less_one.json" "$d/decode.json" > "$d/prefill.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print(json.dumps({k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b)}, indent=1, ensure_ascii=False))
EOF
  train=(--model "$MODEL" --seq "$SEQ" --rank 8 --threads 1 --warmup 0)
  profile "$d/t1.prof" "$cpu" "$isa" "$train_bin" "${train[@]}" --steps 1
  profile "$d/t2.prof" "$cpu" "$isa" "$train_bin" "${train[@]}" --steps 2
  ops "$train_bin" "$d/t2.prof" --minus "$d/t1.prof" > "$d/train.json"
done
for step in decode prefill train; do
  [ -s "$OUT/scalar/$step.json" ] && [ -s "$OUT/neoni8mm/$step.json" ] || continue
  python3 bench/insn_profile.py table scalar="$OUT/scalar/$step.json" neon="$OUT/neon/$step.json" \
    neondot="$OUT/neondot/$step.json" neoni8mm="$OUT/neoni8mm/$step.json" > "$OUT/$step.md"
  echo "--- $step"
  cat "$OUT/$step.md"
done
