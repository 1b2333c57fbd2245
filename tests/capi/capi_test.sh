#!/usr/bin/env bash
# The C API as an application gets it: `cmake --install` into a prefix inside
# the build folder, then
#   - capi_test.c compiled as C99 with -Wall -Werror through pkg-config, run
#     against the shared library and linked again against the static one;
#   - the exported symbols: edgert_* only, SONAME libedgert.so.<ABI>;
#   - examples/ configured with find_package(edgert) and built.
# usage: capi_test.sh BUILD_DIR SHARED_DIR SOURCE_DIR
set -euo pipefail
BUILD="$1"
SHARED="$2"
SRC="$3"
CONVERT="$BUILD/tools/edge_convert/edge-convert"
TOKENIZER="$SHARED/data/tokenizer/qwen2.5/tokenizer.json"
PREFIX="$BUILD/capi-install"
WORK="$BUILD/capi-test"
CC="${CC:-cc}"
rm -rf "$PREFIX" "$WORK"
mkdir -p "$WORK"

cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log"
LIBDIR=$(dirname "$(find "$PREFIX" -name edgert.pc)")/..
export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
test -f "$PREFIX/include/edgert.h"
test -f "$LIBDIR/cmake/edgert/edgertConfig.cmake"

# Only edgert_* leaves the shared library, and its SONAME carries the ABI.
abi=$(sed -n 's/^#define EDGERT_ABI_VERSION \([0-9]*\)/\1/p' "$PREFIX/include/edgert.h")
soname=$(objdump -p "$LIBDIR/libedgert.so" | awk '/SONAME/ {print $2}')
[ "$soname" = "libedgert.so.$abi" ] || { echo "FAIL SONAME $soname, expected libedgert.so.$abi"; exit 1; }
others=$(nm -D --defined-only "$LIBDIR/libedgert.so" | awk '{print $3}' | grep -v '^edgert_' | grep -v '^EDGERT_' || true)
[ -z "$others" ] || { echo "FAIL exported beside edgert_*: $others"; exit 1; }
echo "ok   exports: $(nm -D --defined-only "$LIBDIR/libedgert.so" | grep -c ' edgert_') edgert_* symbols only, SONAME $soname"

# Two tiny random models: different seeds, so different bases for adapters.
"$CONVERT" -q --random tiny --seed 1 --quant q8_0 --tokenizer "$TOKENIZER" --out "$WORK/tiny.etm"
"$CONVERT" -q --random tiny --seed 2 --quant q8_0 --tokenizer "$TOKENIZER" --out "$WORK/other.etm"
for i in 1 2 3 4 5 6; do
  printf '{"instruction": "Graph %s to %s.", "response": "digraph { n%s -> n%s; }"}\n' $i $((i + 1)) $i $((i + 1))
done >"$WORK/train.jsonl"

# Applications get our include folder and nothing else (issue 23: a
# dependency's -DUTF8PROC_EXPORTS leaked into them).
cflags=$(pkg-config --cflags edgert)
case "$cflags" in *-D*) echo "FAIL pkg-config --cflags edgert defines macros: $cflags"; exit 1 ;; esac
echo "ok   pkg-config --cflags edgert: $cflags"
# C99, warnings as errors, through pkg-config: shared, then static.
# shellcheck disable=SC2046
"$CC" -std=c99 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags edgert) "$SRC/tests/capi/capi_test.c" \
  -o "$WORK/capi_test" $(pkg-config --libs edgert) -lm -Wl,-rpath,"$LIBDIR"
# shellcheck disable=SC2046
"$CC" -std=c99 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags edgert) "$SRC/tests/capi/capi_test.c" \
  -o "$WORK/capi_test_static" "$LIBDIR/libedgert.a" $(pkg-config --static --libs edgert | sed 's/-ledgert//') -lm
if ldd "$WORK/capi_test_static" | grep -q libedgert; then echo "FAIL the static test links libedgert.so"; exit 1; fi
echo "ok   capi_test.c builds as C99 -Wall -Werror via pkg-config (shared and static)"

"$WORK/capi_test" "$WORK/tiny.etm" "$WORK/other.etm" "$WORK/train.jsonl" "$WORK"
echo "ok   capi_test (shared)"
mkdir -p "$WORK/static"
"$WORK/capi_test_static" "$WORK/tiny.etm" "$WORK/other.etm" "$WORK/train.jsonl" "$WORK/static"
echo "ok   capi_test (static)"

# The examples, as a user builds them: find_package(edgert) from the prefix.
if [ -f "$SRC/examples/CMakeLists.txt" ]; then
  cmake -S "$SRC/examples" -B "$WORK/examples" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_C_FLAGS="-Werror" >"$WORK/examples.log"
  cmake --build "$WORK/examples" >>"$WORK/examples.log"
  echo "ok   examples build with find_package(edgert)"
fi
