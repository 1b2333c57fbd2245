# tests/cli/lib.sh: what the CLI test scripts share. Sourced after TMP is set.
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

# expect_error NAME PATTERN CMD...: non-zero exit, stderr one line "error: ...PATTERN..."
expect_error() {
  local name="$1" pattern="$2"
  shift 2
  local err
  if "$@" >"$TMP/out" 2>"$TMP/err"; then bad "$name (exit 0)"; return; fi
  err=$(cat "$TMP/err")
  if [ "$(wc -l <"$TMP/err")" -ne 1 ]; then bad "$name (stderr not one line: $err)"; return; fi
  case "$err" in
    "error: "*"$pattern"*) ok "$name" ;;
    *) bad "$name (stderr: $err; expected error: ...$pattern...)" ;;
  esac
}

# no_leftovers NAME: the temp dir holds only the files named after NAME
no_leftovers() {
  local name="$1"
  shift
  local extra
  extra=$(ls "$TMP" | grep -v -x -e out -e err "${@/#/-e}" || true)
  if [ -n "$extra" ]; then bad "$name (left behind: $extra)"; else ok "$name leaves nothing behind"; fi
}


# emulate_tools VAR...: in a cross build the test scripts get the emulator
# (CMAKE_CROSSCOMPILING_EMULATOR, e.g. "qemu-aarch64 -L /") as their arguments
# after BUILD and SHARED, in $EMULATOR; then each tool named by VAR is
# replaced by a wrapper that runs it under the emulator. The wrappers live in
# the build folder, one folder per script (ctest runs the scripts in parallel).
emulate_tools() {
  [ -n "${EMULATOR:-}" ] || return 0
  local dir var
  dir="$BUILD/emulated-tools/$(basename "$0" .sh)"
  mkdir -p "$dir"
  for var in "$@"; do
    printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$EMULATOR" "${!var}" >"$dir/$var"
    chmod +x "$dir/$var"
    printf -v "$var" '%s' "$dir/$var"
  done
}
