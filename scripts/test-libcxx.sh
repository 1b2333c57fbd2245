#!/usr/bin/env bash
# Builds edge-rt with clang and LLVM's libc++ (the C++ library of macOS and
# of Android's NDK) and runs the unit tests: code that only libstdc++ accepts
# (std::from_chars on doubles, missing includes libstdc++ pulls in for free)
# fails here before it fails on a Mac. GoogleTest is compiled from Debian's
# sources (its prebuilt library is for libstdc++); the benchmarks are skipped.
# Needs clang, libc++-dev and libc++abi-dev (scripts/debian-packages.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build-libcxx}"
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="-stdlib=libc++" -DCMAKE_EXE_LINKER_FLAGS="-stdlib=libc++" \
  -DCMAKE_SHARED_LINKER_FLAGS="-stdlib=libc++" -DEDGERT_BUILD_BENCH=OFF -DEDGERT_GTEST_FROM_SOURCE=ON
cmake --build "$BUILD_DIR" -j2
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 -L unit "$@"
