#!/usr/bin/env bash
# The aarch64 build and its tests under qemu-user, on an x86-64 Debian 12 host
# (scripts/install-cross-deps.sh installs the cross toolchain, qemu and the
# arm64 libraries). One cross build; the tests then run on a CPU model with
# dotprod (the neondot kernels), on one without (the plain NEON kernels) and
# on qemu's `max` (ARMv8.6+ with i8mm: the neoni8mm GEMMs), and edge-run
# --bench runs on the tiny model under each.
# Only what the tests need is built (no benchmarks, no fuzzers).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build-aarch64}"
SHARED="${EDGERT_SHARED_DIR:-../shared}"
JOBS="${JOBS:-2}"
# Cortex-A76: ARMv8.2 with dotprod. Cortex-A53: ARMv8.0, NEON only. max: every
# feature qemu emulates, i8mm included (qemu 7.2 has no Neoverse N2 / A710 model).
CPUS="${EDGERT_QEMU_CPUS:-cortex-a76 cortex-a53 max}"
start=$(date +%s)
step() { echo "--- $1 ($(( $(date +%s) - start )) s)"; }

step "configure and build"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DEDGERT_BUILD_BENCH=OFF
cmake --build "$BUILD_DIR" -j"$JOBS"

# CI gives this stage about 7 minutes on 2 cores. The first CPU model runs
# the unit and CLI tests but those that cost minutes under qemu: the
# 0.5B-shaped golden test (streams 2 GB of f32 weights), edge_tune_test
# (trains) and the grammar must-shows (600 generations; the grammar engine has
# no CPU-specific code); their kernels are covered by the kernel and tiny golden tests.
# The other models run only what depends on the CPU model: the kernel tests
# (every variant against the reference) and the golden tests; under `max`
# only the matmul and golden tests (i8mm changes nothing else).
# EDGERT_QEMU_FULL=1 runs everything under every model.
FIRST_TESTS=(-L 'unit|cli' -E 'Golden\.Qwen05BShaped|edge_tune_test|grammar_must_show')
OTHER_TESTS=(-L unit -R '^(Matmul|MatmulTransposed|PackTransposedQ8|LowRank|RowOps|Attention|Quantize|DispatchCoverage|Golden)'
             -E 'Golden\.Qwen05BShaped')
I8MM_TESTS=(-L unit -R '^(Matmul\.|DispatchCoverage|Golden)' -E 'Golden\.Qwen05BShaped')
if [ "${EDGERT_QEMU_FULL:-0}" = 1 ]; then FIRST_TESTS=(-L 'unit|cli'); OTHER_TESTS=("${FIRST_TESTS[@]}"); I8MM_TESTS=("${FIRST_TESTS[@]}"); fi

run() { QEMU_CPU="$1" qemu-aarch64 -L / "${@:2}"; }
model="$BUILD_DIR/tiny-q8_0.etm"
for cpu in $CPUS; do
  step "tests under qemu-aarch64, QEMU_CPU=$cpu"
  run "$cpu" "$BUILD_DIR/tests/kernels/kernels_matmul_test" --gtest_filter=Matmul.DispatchesOnce | grep -E "dispatched|note"
  if [ "$cpu" = "${CPUS%% *}" ]; then tests=("${FIRST_TESTS[@]}");
  elif [ "$cpu" = max ]; then tests=("${I8MM_TESTS[@]}");
  else tests=("${OTHER_TESTS[@]}"); fi
  QEMU_CPU="$cpu" ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$JOBS" "${tests[@]}"
  step "edge-run --bench on the tiny model, QEMU_CPU=$cpu"
  if [ ! -f "$model" ]; then
    run "$cpu" "$BUILD_DIR/tools/edge_convert/edge-convert" --random tiny --seed 1 --quant q8_0 \
      --tokenizer "$SHARED/data/tokenizer/qwen2.5/tokenizer.json" --out "$model"
    run "$cpu" "$BUILD_DIR/tools/edge_convert/edge-convert" --verify "$model"
  fi
  run "$cpu" "$BUILD_DIR/tools/edge_run/edge-run" --model "$model" --bench --prompt-tokens 64 --gen-tokens 16 --threads 2
done
step "aarch64 done"
