#!/usr/bin/env bash
# edge-export's contract on the tiny random model with an adapter edge-tune
# made: a merged model gives the run-time adapter's logits; a merged GGUF
# read back by edge-convert gives the merged model's logits exactly; PEFT out
# and back in (edge-run --lora DIR, edge-tune --init-adapter DIR); GGUF LoRA
# and Ollama folders; and bad input refused in one line with nothing left:
# an adapter for another base, outputs that exist (unless --force), a write
# that fails because the file system is full (simulated with ulimit -f).
# usage: edge_export_test.sh BUILD_DIR SHARED_DIR SOURCE_DIR [EMULATOR...]
set -uo pipefail
BUILD="$1"
SHARED="$2"
SOURCE="$3"
CONVERT="$BUILD/tools/edge_convert/edge-convert"
TUNE="$BUILD/tools/edge_tune/edge-tune"
RUN="$BUILD/tools/edge_run/edge-run"
EXPORT="$BUILD/tools/edge_export/edge-export"
TOKENIZER="$SHARED/data/tokenizer/qwen2.5/tokenizer.json"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$(dirname "$0")/lib.sh"
EMULATOR="${*:4}"
emulate_tools CONVERT TUNE RUN EXPORT

"$CONVERT" -q --random tiny --seed 3 --quant f32 --tokenizer "$TOKENIZER" --out "$TMP/tiny.etm" >"$TMP/out" 2>&1 \
  && "$CONVERT" -q --random tiny --seed 4 --quant f32 --tokenizer "$TOKENIZER" --out "$TMP/other.etm" >"$TMP/out" 2>&1 \
  || { echo "FAIL cannot make the tiny models: $(cat "$TMP/out")"; exit 1; }
M="$TMP/tiny.etm"
head -4 "$SOURCE/data/dot_train.jsonl" >"$TMP/train.jsonl"
"$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/a.eta" --max-steps 2 --batch 2 --threads 2 --lr 5e-2 \
  >"$TMP/out" 2>"$TMP/err" || { echo "FAIL edge-tune: $(cat "$TMP/err")"; exit 1; }
rm -f "$TMP/a.eta.ckpt"
TOKENS=9707,1879,0,151644,872,198,42

# max |a - b| over two [T, vocab] f32 .npy files, and max |b|
npy_diff() {
  python3 - "$1" "$2" <<'PY'
import array, struct, sys
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<H", b[8:10])[0]
    a = array.array("f"); a.frombytes(b[10 + n:]); return a
a, b = load(sys.argv[1]), load(sys.argv[2])
assert len(a) == len(b)
print(max(abs(x - y) for x, y in zip(a, b)), max(abs(y) for y in b))
PY
}
logits() {  # logits MODEL OUT [edge-run options...]
  local model="$1" out="$2"
  shift 2
  "$RUN" --model "$model" --tokens "$TOKENS" --logits-out "$out" "$@" >"$TMP/out" 2>"$TMP/err" \
    || bad "edge-run $*: $(cat "$TMP/err")"
}

# --- merge: the run-time adapter's logits, within f32 rounding -----------------------
logits "$M" "$TMP/base.npy"
logits "$M" "$TMP/runtime.npy" --lora "$TMP/a.eta:0.75"
"$EXPORT" --model "$M" --lora "$TMP/a.eta:0.75" --merge --out "$TMP/merged.etm" --gguf "$TMP/merged.gguf" \
  >"$TMP/out" 2>"$TMP/err" && ok "--merge --out --gguf" || bad "--merge: $(cat "$TMP/err")"
logits "$TMP/merged.etm" "$TMP/merged.npy"
read -r diff scale < <(npy_diff "$TMP/merged.npy" "$TMP/runtime.npy")
read -r effect _ < <(npy_diff "$TMP/base.npy" "$TMP/runtime.npy")
python3 -c "import sys; d, s, e = map(float, sys.argv[1:]); sys.exit(0 if d <= 1e-5 * s and e > 100 * d else 1)" \
  "$diff" "$scale" "$effect" && ok "merged logits = run-time adapter's (max diff $diff, effect $effect)" \
  || bad "merged logits differ by $diff (logits up to $scale, adapter's effect $effect)"

# --- the merged GGUF, read back by edge-convert: the same logits, bit for bit --------------
"$CONVERT" -q --from "$TMP/merged.gguf" --out "$TMP/back.etm" >"$TMP/out" 2>"$TMP/err" || bad "convert back: $(cat "$TMP/err")"
logits "$TMP/back.etm" "$TMP/back.npy"
cmp -s "$TMP/back.npy" "$TMP/merged.npy" && ok "GGUF round trip gives the same logits" || bad "GGUF round trip: logits differ"
"$EXPORT" --model "$M" --lora "$TMP/a.eta" --merge --quant q8_0 --gguf "$TMP/merged-q8.gguf" >"$TMP/out" 2>"$TMP/err" \
  && ok "--merge --quant q8_0 --gguf" || bad "--quant q8_0: $(cat "$TMP/err")"

# --- PEFT out and back in -----------------------------------------------------------------
"$EXPORT" --model "$M" --lora "$TMP/a.eta" --peft "$TMP/peft" >"$TMP/out" 2>"$TMP/err" || bad "--peft: $(cat "$TMP/err")"
[ -f "$TMP/peft/adapter_model.safetensors" ] && [ -f "$TMP/peft/adapter_config.json" ] && ok "--peft writes the folder" \
  || bad "--peft folder: $(ls "$TMP/peft")"
logits "$M" "$TMP/peft.npy" --lora "$TMP/peft:0.75"
cmp -s "$TMP/peft.npy" "$TMP/runtime.npy" && ok "edge-run --lora PEFT_DIR = --lora A.eta" || bad "PEFT adapter logits differ"
"$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/b.eta" --init-adapter "$TMP/peft" --max-steps 1 --batch 2 \
  --threads 2 >"$TMP/out" 2>"$TMP/err" && ok "edge-tune --init-adapter PEFT_DIR" || bad "--init-adapter PEFT: $(cat "$TMP/err")"
rm -f "$TMP/b.eta" "$TMP/b.eta.ckpt"

# --- GGUF LoRA and Ollama ----------------------------------------------------------------------
"$EXPORT" --model "$M" --lora "$TMP/a.eta" --gguf-lora "$TMP/a.gguf" >"$TMP/out" 2>"$TMP/err" \
  && [ "$(head -c 4 "$TMP/a.gguf")" = "GGUF" ] && ok "--gguf-lora" || bad "--gguf-lora: $(cat "$TMP/err")"
"$EXPORT" --model "$M" --lora "$TMP/a.eta" --ollama "$TMP/ollama" >"$TMP/out" 2>"$TMP/err" || bad "--ollama: $(cat "$TMP/err")"
grep -q '^FROM ./model.gguf$' "$TMP/ollama/Modelfile" && grep -q '^ADAPTER ./adapter.gguf$' "$TMP/ollama/Modelfile" \
  && grep -q '^PARAMETER stop "<|im_end|>"$' "$TMP/ollama/Modelfile" && [ -f "$TMP/ollama/model.gguf" ] \
  && [ -f "$TMP/ollama/adapter.gguf" ] && ok "--ollama: Modelfile, model and adapter" || bad "--ollama: $(ls "$TMP/ollama")"
"$EXPORT" --model "$M" --lora "$TMP/a.eta" --merge --ollama "$TMP/ollama-merged" >"$TMP/out" 2>"$TMP/err" \
  && ! grep -q ADAPTER "$TMP/ollama-merged/Modelfile" && [ ! -e "$TMP/ollama-merged/adapter.gguf" ] \
  && ok "--ollama --merge: one merged GGUF" || bad "--ollama --merge: $(cat "$TMP/err")"
ls "$TMP/ollama-merged" | grep -q merge- && bad "--ollama --merge left its scratch model" || ok "no scratch model left"

# --- bad input --------------------------------------------------------------------------------
expect_error "adapter for another base" "adapter was trained for another base model" \
  "$EXPORT" --model "$TMP/other.etm" --lora "$TMP/a.eta" --merge --out "$TMP/x.etm"
expect_error "GGUF LoRA for another base" "adapter was trained for another base model" \
  "$EXPORT" --model "$TMP/other.etm" --lora "$TMP/a.eta" --gguf-lora "$TMP/x.gguf"
expect_error "existing --out" "merged.etm: exists (pass --force" \
  "$EXPORT" --model "$M" --lora "$TMP/a.eta" --merge --out "$TMP/merged.etm"
expect_error "existing --peft" "adapter_model.safetensors: exists" "$EXPORT" --model "$M" --lora "$TMP/a.eta" --peft "$TMP/peft"
expect_error "existing --ollama" "Modelfile: exists" "$EXPORT" --model "$M" --lora "$TMP/a.eta" --ollama "$TMP/ollama"
"$EXPORT" --model "$M" --lora "$TMP/a.eta" --merge --out "$TMP/merged.etm" --force >"$TMP/out" 2>"$TMP/err" \
  && ok "--force replaces" || bad "--force: $(cat "$TMP/err")"
expect_error "--lora into --out without --merge" "pass --merge" "$EXPORT" --model "$M" --lora "$TMP/a.eta" --out "$TMP/x.etm"
expect_error "--merge without --lora" "--merge needs" "$EXPORT" --model "$M" --merge --out "$TMP/x.etm"
expect_error "nothing to write" "nothing to write" "$EXPORT" --model "$M"
expect_error "two adapters for --peft" "exactly one --lora" \
  "$EXPORT" --model "$M" --lora "$TMP/a.eta" --lora "$TMP/a.eta" --peft "$TMP/x"
expect_error "bad --quant" "expected one of" "$EXPORT" --model "$M" --quant q3 --gguf "$TMP/x.gguf"
# A full disk: writes beyond 2 MB fail (EFBIG; SIGXFSZ ignored as a full disk raises none).
(ulimit -f 2048; trap '' XFSZ; exec "$EXPORT" --model "$M" --lora "$TMP/a.eta" --merge --out "$TMP/full.etm") \
  >"$TMP/out" 2>"$TMP/err"
[ $? -ne 0 ] && grep -q "^error: .*full.etm.*write failed" "$TMP/err" && ok "a failing write is an error" \
  || bad "full disk: $(cat "$TMP/err")"
(ulimit -f 2048; trap '' XFSZ; exec "$EXPORT" --model "$M" --gguf "$TMP/full.gguf") >"$TMP/out" 2>"$TMP/err"
[ $? -ne 0 ] && grep -q "^error: .*full.gguf.*write failed" "$TMP/err" && ok "a failing GGUF write is an error" \
  || bad "full disk (GGUF): $(cat "$TMP/err")"
no_leftovers "failed exports" tiny.etm other.etm train.jsonl a.eta base.npy runtime.npy merged.etm merged.gguf merged.npy \
  back.etm back.npy merged-q8.gguf peft peft.npy a.gguf ollama ollama-merged

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
