#!/usr/bin/env bash
# Instructions per call of every kernel variant: the portable stand-in for
# speed where the hardware is not at hand.
#   bench/insn_count.sh aarch64 [N]   scalar / neon / neondot / neoni8mm under qemu-aarch64,
#                                     counted by the plugin bench/qemu_insn_count.c
#                                     (needs scripts/install-cross-deps.sh)
#   bench/insn_count.sh x86 [N]       scalar / avx2 natively under callgrind
#                                     (valgrind has no AVX-512: avx512vnni is not counted)
# Each kernel runs N and 0 times in bench/kernels_insn; (difference) / N is its
# count per call. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH="${1:?usage: bench/insn_count.sh aarch64|x86 [N]}"
case "$ARCH" in
  aarch64)
    BUILD_DIR="${BUILD_DIR:-build-aarch64}"
    REPS="${2:-20}"
    ISAS=(scalar neon neondot neoni8mm)
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DEDGERT_BUILD_BENCH=ON >/dev/null
    plugin="$BUILD_DIR/qemu_insn_count.so"
    cc -shared -fPIC -O2 -Wall -Wextra -o "$plugin" bench/qemu_insn_count.c
    count() { QEMU_CPU=max qemu-aarch64 -L / -plugin "$plugin" "$BUILD_DIR/bench/kernels_insn" "$@" 2>&1 | sed -n 's/^insns //p'; }
    ;;
  x86)
    BUILD_DIR="${BUILD_DIR:-build}"
    REPS="${2:-3}"
    ISAS=(scalar avx2)
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGERT_BUILD_BENCH=ON >/dev/null
    count() {
      valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BUILD_DIR/bench/kernels_insn" "$@" 2>&1 |
        sed -n 's/^==[0-9]*== Collected : //p'
    }
    ;;
  *) echo "error: unknown architecture '$ARCH' (aarch64 or x86)" >&2; exit 2 ;;
esac
cmake --build "$BUILD_DIR" --target kernels_insn >/dev/null

header="| kernel (0.5B shape) |"
rule="|---|"
for isa in "${ISAS[@]}"; do header+=" $isa |"; rule+="---:|"; done
for isa in "${ISAS[@]:1}"; do header+=" scalar / $isa |"; rule+="---:|"; done
echo "$header"
echo "$rule"
for kernel in q8_0_gemv q4_0_gemv q8_0_gemm q4_0_gemm f32_gemm f16_gemm quantize_q8 rmsnorm rope softmax silu_mul \
              attend_f32 attend_f16; do
  row="| $kernel |"
  per=()
  for isa in "${ISAS[@]}"; do
    base=$(count "$isa" "$kernel" 0)
    full=$(count "$isa" "$kernel" "$REPS")
    per+=($(( (full - base) / REPS )))
    row+=" ${per[-1]} |"
  done
  for ((i = 1; i < ${#per[@]}; ++i)); do row+=" $(awk -v a="${per[0]}" -v b="${per[i]}" 'BEGIN { printf "%.1fx", a / b }') |"; done
  echo "$row"
done
