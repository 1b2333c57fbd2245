#!/usr/bin/env bash
# edge-tune's contract: outputs (adapter, checkpoint, JSON log, PEFT folder),
# resume after Ctrl-C on the same losses, starting from an adapter, and every
# kind of bad input refused in one line without touching what was saved.
# usage: edge_tune_test.sh BUILD_DIR SHARED_DIR [EMULATOR...]
set -uo pipefail
BUILD="$1"
SHARED="$2"
CONVERT="$BUILD/tools/edge_convert/edge-convert"
TUNE="$BUILD/tools/edge_tune/edge-tune"
RUN="$BUILD/tools/edge_run/edge-run"
TOKENIZER="$SHARED/data/tokenizer/qwen2.5/tokenizer.json"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$(dirname "$0")/lib.sh"
EMULATOR="${*:3}"
emulate_tools CONVERT TUNE

for seed in 3 4; do
  "$CONVERT" -q --random tiny --seed $seed --quant q8_0 --tokenizer "$TOKENIZER" --out "$TMP/tiny$seed.etm" >"$TMP/out" 2>&1 \
    || { echo "FAIL cannot make the tiny model: $(cat "$TMP/out")"; exit 1; }
done
M="$TMP/tiny3.etm"
# Short DOT pairs (the tiny model's 151,936-row LM head makes every token
# cost): 6 examples, batch 2, so 3 steps an epoch.
for i in 1 2 3 4 5 6 7 8; do
  printf '{"instruction": "Graph %s to %s.", "response": "digraph { n%s -> n%s; }"}\n' $i $((i + 1)) $i $((i + 1))
done >"$TMP/all.jsonl"
head -6 "$TMP/all.jsonl" >"$TMP/train.jsonl"
tail -2 "$TMP/all.jsonl" >"$TMP/val.jsonl"
rm "$TMP/all.jsonl"
COMMON=(--model "$M" --data "$TMP/train.jsonl" --val "$TMP/val.jsonl" --system "Answer in DOT." --batch 2 --threads 2
        --eval-every 3)

# --- a whole run ------------------------------------------------------------------
if "$TUNE" "${COMMON[@]}" --epochs 2 --out "$TMP/a.eta" --json-log "$TMP/a.jsonl" --export-peft "$TMP/peft" >"$TMP/out" 2>"$TMP/err"; then
  ok "edge-tune runs"
else
  bad "edge-tune: $(cat "$TMP/err")"
fi
[ -s "$TMP/a.eta" ] && [ -s "$TMP/a.eta.ckpt" ] && ok "adapter and final checkpoint written" || bad "no adapter/checkpoint"
[ "$(wc -l <"$TMP/a.jsonl")" -eq 6 ] && grep -q '"eval_loss"' "$TMP/a.jsonl" && ok "--json-log: one object per step" \
  || bad "--json-log: $(cat "$TMP/a.jsonl")"
grep -q "^done after 6 steps" "$TMP/err" && grep -q "^eval loss" "$TMP/err" && ok "summary at the end" \
  || bad "summary: $(tail -4 "$TMP/err")"
grep -q 'base_model.model.model.layers.1.mlp.down_proj.lora_B.weight' "$TMP/peft/adapter_model.safetensors" \
  && grep -q '"peft_type": "LORA"' "$TMP/peft/adapter_config.json" && grep -q '"r": 8' "$TMP/peft/adapter_config.json" \
  && grep -q '"task_type": "CAUSAL_LM"' "$TMP/peft/adapter_config.json" && ok "--export-peft: PEFT names and config" \
  || bad "--export-peft: $(ls "$TMP/peft"; cat "$TMP/peft/adapter_config.json")"
losses() { python3 -c 'import json,sys; [print(o["step"], repr(o["loss"])) for o in map(json.loads, open(sys.argv[1]))]' "$1"; }

# --- Ctrl-C, then --resume: the same losses -----------------------------------------
"$TUNE" "${COMMON[@]}" --epochs 2 --out "$TMP/b.eta" --json-log "$TMP/b.jsonl" >"$TMP/out" 2>"$TMP/err_b" &
pid=$!
for _ in $(seq 200); do [ -s "$TMP/b.jsonl" ] && break; sleep 0.05; done
kill -INT $pid
wait $pid
code=$?
if [ $code -eq 130 ] && grep -q "checkpoint at step" "$TMP/err_b" && [ ! -e "$TMP/b.eta" ]; then
  ok "Ctrl-C saves a checkpoint and exits 130"
else
  bad "Ctrl-C: exit $code, $(cat "$TMP/err_b")"
fi
"$TUNE" "${COMMON[@]}" --epochs 2 --out "$TMP/b.eta" --json-log "$TMP/b.jsonl" --resume "$TMP/b.eta.ckpt" >"$TMP/out" 2>"$TMP/err"
[ $? -eq 0 ] && [ "$(losses "$TMP/b.jsonl")" = "$(losses "$TMP/a.jsonl")" ] && cmp -s "$TMP/a.eta" "$TMP/b.eta" \
  && ok "--resume continues on the same losses and ends on the same adapter" \
  || bad "--resume: $(cat "$TMP/err"); $(losses "$TMP/b.jsonl") vs $(losses "$TMP/a.jsonl")"

# --- starting from an adapter ---------------------------------------------------------
"$TUNE" "${COMMON[@]}" --max-steps 1 --out "$TMP/c.eta" --init-adapter "$TMP/peft" >"$TMP/out" 2>"$TMP/err" \
  && ok "--init-adapter PEFT_DIR" || bad "--init-adapter PEFT: $(cat "$TMP/err")"
"$TUNE" "${COMMON[@]}" --max-steps 1 --out "$TMP/c.eta" --force --init-adapter "$TMP/a.eta" >"$TMP/out" 2>"$TMP/err" \
  && ok "--init-adapter ADAPTER.eta" || bad "--init-adapter eta: $(cat "$TMP/err")"
expect_error "--lora-r against the initial adapter's" "--lora-r 4 conflicts with --init-adapter" \
  "$TUNE" "${COMMON[@]}" --out "$TMP/x.eta" --init-adapter "$TMP/a.eta" --lora-r 4

# --- edge-run --lora: applied beside the weights --------------------------------------
logits() { "$RUN" --model "$M" --tokens 9707,1879,0 --logits-out "$TMP/$1.npy" "${@:2}" >"$TMP/out" 2>&1; }
logits base && logits lora --lora "$TMP/a.eta" && logits off --lora "$TMP/a.eta:0" \
  && logits two --lora "$TMP/a.eta:0.5" --lora "$TMP/b.eta:0.5" \
  && ! cmp -s "$TMP/base.npy" "$TMP/lora.npy" && cmp -s "$TMP/base.npy" "$TMP/off.npy" \
  && ok "edge-run --lora A.eta[:SCALE] (several) changes the logits; scale 0 leaves them" \
  || bad "edge-run --lora: $(cat "$TMP/out")"
rm -f "$TMP"/{base,lora,off,two}.npy
expect_error "edge-run --lora for another base" "trained for another base model" \
  "$RUN" --model "$TMP/tiny4.etm" --lora "$TMP/a.eta" --prompt hi --max-tokens 1

# --- bad input: one line, nothing saved lost -----------------------------------------
sum_before=$(md5sum "$TMP/a.eta" "$TMP/a.eta.ckpt")
{ head -2 "$TMP/train.jsonl"; echo '{"instruction": "x", "response": '; tail -1 "$TMP/train.jsonl"; } >"$TMP/broken.jsonl"
expect_error "malformed line names file and line" "broken.jsonl: line 3: not valid JSON" \
  "$TUNE" --model "$M" --data "$TMP/broken.jsonl" --out "$TMP/x.eta" --max-steps 1
"$TUNE" --model "$M" --data "$TMP/broken.jsonl" --out "$TMP/d.eta" --max-steps 1 --skip-bad-lines >"$TMP/out" 2>"$TMP/err" \
  && grep -q "1 bad records skipped" "$TMP/err" && ok "--skip-bad-lines goes on and counts" || bad "--skip-bad-lines: $(cat "$TMP/err")"
: >"$TMP/empty.jsonl"
expect_error "empty data set" "empty.jsonl: empty data set" "$TUNE" --model "$M" --data "$TMP/empty.jsonl" --out "$TMP/x.eta"
expect_error "--max-seq-len beyond the context" "longer than" \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/x.eta" --max-seq-len 5000
expect_error "nothing left within --max-seq-len" "empty data set" \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/x.eta" --max-seq-len 16
expect_error "adapter for another base" "trained for another base model" \
  "$TUNE" --model "$TMP/tiny4.etm" --data "$TMP/train.jsonl" --out "$TMP/e.eta" --init-adapter "$TMP/a.eta"
expect_error "checkpoint from another run" "checkpoint comes from another run" \
  "$TUNE" "${COMMON[@]}" --epochs 2 --lr 2e-3 --out "$TMP/a.eta" --force --resume "$TMP/a.eta.ckpt"
expect_error "checkpoint for another base" "another base model" \
  "$TUNE" --model "$TMP/tiny4.etm" --data "$TMP/train.jsonl" --out "$TMP/e.eta" --resume "$TMP/a.eta.ckpt"
expect_error "--out in a missing folder" "does not exist" \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/nowhere/x.eta"
expect_error "unknown target" "unknown LoRA target 'lm_head'" \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/e.eta" --targets lm_head
expect_error "--val with --val-split" "excludes" \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --val "$TMP/val.jsonl" --val-split 0.1 --out "$TMP/e.eta"
# --- the memory plan and the budget -------------------------------------------------
"$TUNE" --model "$M" --data "$TMP/train.jsonl" --budget 2GB --plan >"$TMP/out" 2>"$TMP/err" \
  && grep -q "^predicted peak" "$TMP/out" && grep -q "^LM-head loss chunk" "$TMP/out" && [ ! -s "$TMP/err" ] \
  && ok "--plan prints the plan and runs nothing" || bad "--plan: $(cat "$TMP/out" "$TMP/err")"
"$TUNE" --model "$M" --data "$TMP/train.jsonl" --budget 2GB --plan --json >"$TMP/out" 2>"$TMP/err" \
  && python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert 0 < j['predicted_peak_bytes'] <= 2e9 and j['loss_rows'] == 128" "$TMP/out" \
  && ok "--plan --json" || bad "--plan --json: $(cat "$TMP/out" "$TMP/err")"
# Refused before any data is read: the data file does not even exist.
expect_error "a budget too small is refused up front, naming the minimum" "is too small for this training job" \
  "$TUNE" --model "$M" --data "$TMP/missing.jsonl" --out "$TMP/e.eta" --budget 1MB
minimum=$(sed -n 's/.*use --budget \([0-9]*MiB\).*/\1/p' "$TMP/err")
"$TUNE" --model "$M" --data "$TMP/train.jsonl" --budget "$minimum" --plan >"$TMP/out" 2>"$TMP/err" \
  && ok "the named minimum ($minimum) plans" || bad "--budget $minimum: $(cat "$TMP/err")"
expect_error "--json without --plan" "--json needs --plan" \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/e.eta" --json

[ "$(md5sum "$TMP/a.eta" "$TMP/a.eta.ckpt")" = "$sum_before" ] && ok "failed runs leave saved files as they were" \
  || bad "a failed run changed a.eta or its checkpoint"
no_leftovers "failed runs" tiny3.etm tiny4.etm train.jsonl val.jsonl a.eta a.eta.ckpt a.jsonl peft b.eta b.eta.ckpt \
  b.jsonl c.eta c.eta.ckpt broken.jsonl d.eta d.eta.ckpt empty.jsonl err_b

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
