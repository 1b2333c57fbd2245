#!/usr/bin/env bash
# The GGUF files edge-export writes, read by an independent parser
# (@huggingface/gguf under node, tests/export/node/check_gguf.mjs): a base
# model, merged models (f32, Q8_0, Q4_0 blocks) and a GGUF LoRA, every key,
# tensor name, type, shape, offset and the bytes; and a damaged file must fail.
# usage: gguf_crosscheck.sh BUILD_DIR SHARED_DIR SOURCE_DIR NODE
set -uo pipefail
BUILD="$1"
SHARED="$2"
SOURCE="$3"
NODE="$4"
CONVERT="$BUILD/tools/edge_convert/edge-convert"
TUNE="$BUILD/tools/edge_tune/edge-tune"
EXPORT="$BUILD/tools/edge_export/edge-export"
CHECK="$SOURCE/tests/export/node/check_gguf.mjs"
TOKENIZER="$SHARED/data/tokenizer/qwen2.5/tokenizer.json"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$SOURCE/tests/cli/lib.sh"

"$CONVERT" -q --random tiny --seed 3 --quant q8_0 --tokenizer "$TOKENIZER" --out "$TMP/tiny.etm" >"$TMP/out" 2>&1 \
  || { echo "FAIL cannot make the tiny model: $(cat "$TMP/out")"; exit 1; }
head -2 "$SOURCE/data/dot_train.jsonl" >"$TMP/train.jsonl"
"$TUNE" --model "$TMP/tiny.etm" --data "$TMP/train.jsonl" --out "$TMP/a.eta" --max-steps 1 --batch 2 --threads 2 \
  --lr 5e-2 --lora-r 4 --targets q_proj,v_proj,down_proj >"$TMP/out" 2>&1 || { echo "FAIL edge-tune: $(cat "$TMP/out")"; exit 1; }

check_model() {  # check_model NAME ETM GGUF
  "$CONVERT" --info "$2" --json >"$TMP/$1.json" 2>"$TMP/err" || { bad "$1: --info: $(cat "$TMP/err")"; return; }
  if "$NODE" "$CHECK" model "$TMP/$1.json" "$TOKENIZER" "$3" >"$TMP/out" 2>&1; then ok "$(sed "s/^ok *//" "$TMP/out")"
  else bad "$1: $(cat "$TMP/out")"; fi
}
export_or_fail() {  # export_or_fail NAME ARGS...
  local name="$1"
  shift
  "$EXPORT" --model "$TMP/tiny.etm" "$@" >"$TMP/out" 2>"$TMP/err" || bad "$name: edge-export: $(cat "$TMP/err")"
}

export_or_fail base --gguf "$TMP/base.gguf"
check_model base_q8_0 "$TMP/tiny.etm" "$TMP/base.gguf"
for q in f32 q8_0 q4_0; do
  export_or_fail "merged $q" --lora "$TMP/a.eta" --merge --quant "$q" --out "$TMP/m-$q.etm" --gguf "$TMP/m-$q.gguf"
  check_model "merged_$q" "$TMP/m-$q.etm" "$TMP/m-$q.gguf"
done
export_or_fail lora --lora "$TMP/a.eta:0.5" --gguf-lora "$TMP/a.gguf" --peft "$TMP/peft"
if "$NODE" "$CHECK" lora "$TMP/peft" "$TMP/a.gguf" >"$TMP/out" 2>&1; then ok "$(sed "s/^ok *//" "$TMP/out")"
else bad "GGUF LoRA: $(cat "$TMP/out")"; fi

# The checker must notice: one byte of tensor data changed, and a metadata value.
cp "$TMP/a.gguf" "$TMP/bad.gguf"
size=$(stat -c %s "$TMP/bad.gguf")
printf '\x7f' | dd of="$TMP/bad.gguf" bs=1 seek=$((size - 8)) conv=notrunc status=none
"$NODE" "$CHECK" lora "$TMP/peft" "$TMP/bad.gguf" >"$TMP/out" 2>&1 && bad "damaged tensor bytes not noticed" \
  || { grep -q "bytes differ" "$TMP/out" && ok "damaged tensor bytes noticed" || bad "damaged bytes: $(cat "$TMP/out")"; }
cp "$TMP/base.gguf" "$TMP/bad.gguf"
python3 - "$TMP/bad.gguf" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.find(b"qwen2.block_count")
b[i + len("qwen2.block_count") + 4] ^= 1  # the u32 value after the type
open(p, "wb").write(b)
PY
"$NODE" "$CHECK" model "$TMP/base_q8_0.json" "$TOKENIZER" "$TMP/bad.gguf" >"$TMP/out" 2>&1 && bad "damaged metadata not noticed" \
  || { grep -q "qwen2.block_count: got" "$TMP/out" && ok "damaged metadata noticed" || bad "damaged metadata: $(cat "$TMP/out")"; }

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
