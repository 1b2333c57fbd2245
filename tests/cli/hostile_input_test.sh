#!/usr/bin/env bash
# Issue 23: what a hostile but fair user found, one check per item, each
# refused in one line ("error: ...") with a non-zero exit, nothing crashed.
# usage: hostile_input_test.sh BUILD_DIR SHARED_DIR [EMULATOR...]
set -uo pipefail
BUILD="$1"
SHARED="$2"
CONVERT="$BUILD/tools/edge_convert/edge-convert"
RUN="$BUILD/tools/edge_run/edge-run"
TUNE="$BUILD/tools/edge_tune/edge-tune"
EVAL="$BUILD/tools/edge_eval/edge-eval"
EXPORT="$BUILD/tools/edge_export/edge-export"
TOKENIZER="$SHARED/data/tokenizer/qwen2.5/tokenizer.json"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$(dirname "$0")/lib.sh"
EMULATOR="${*:3}"
emulate_tools CONVERT RUN TUNE EVAL EXPORT

"$CONVERT" -q --random tiny --seed 3 --quant q8_0 --tokenizer "$TOKENIZER" --out "$TMP/tiny.etm" >"$TMP/out" 2>&1 \
  || { echo "FAIL cannot make the tiny model: $(cat "$TMP/out")"; exit 1; }
M="$TMP/tiny.etm"
for i in 1 2 3 4; do
  printf '{"instruction": "Graph %s.", "response": "digraph { n%s; }"}\n' $i $i
done >"$TMP/train.jsonl"

# --- 1. a long chain of grammar rules: no stack overflow ----------------------------
{
  echo 'root ::= r0'
  for k in $(seq 0 19999); do echo "r$k ::= r$((k + 1)) | \"x\""; done
  echo 'r20000 ::= "y"'
} >"$TMP/chain.gbnf"
"$RUN" --model "$M" --grammar "$TMP/chain.gbnf" --prompt hi --max-tokens 4 --threads 1 >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && { [ "$(cat "$TMP/out")" = x ] || [ "$(cat "$TMP/out")" = y ]; } \
  && ok "grammar with 20,000 chained rules" || bad "grammar with 20,000 chained rules (exit $rc: $(cat "$TMP/err"))"

# --- 2. thread counts far beyond the cores ---------------------------------------------
expect_error "edge-run --threads 100000" "--threads 100000: at most " "$RUN" --model "$M" --prompt hi --threads 100000
expect_error "edge-tune --threads 1000" "--threads 1000: at most " \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/t.eta" --threads 1000
expect_error "edge-eval --threads 1000" "--threads 1000: at most " \
  "$EVAL" --model "$M" --prompts "$TMP/train.jsonl" --format dot --threads 1000
no_leftovers "--threads refusals" tiny.etm train.jsonl chain.gbnf

# --- 3. non-finite learning rates and adapter scales; a step that goes non-finite ------
TUNE_ARGS=(--model "$M" --data "$TMP/train.jsonl" --system "S." --batch 2 --threads 2)
expect_error "edge-tune --lr inf" "--lr must be a positive finite number" "$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/inf.eta" --lr inf
expect_error "edge-tune --lr nan" "--lr must be a positive finite number" "$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/inf.eta" --lr nan
"$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/a.eta" --max-steps 1 >"$TMP/out" 2>"$TMP/err" && [ -f "$TMP/a.eta" ] \
  && ok "edge-tune makes an adapter" || bad "edge-tune: $(cat "$TMP/err")"
rm -f "$TMP/a.eta.ckpt"
# 1e30 is finite, but the first update makes the weights so large that the next loss is not.
if "$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/huge.eta" --lr 1e30 --max-steps 4 --save-every 1 --warmup-steps 0 \
  >"$TMP/out" 2>"$TMP/err"; then
  bad "a step with a non-finite loss stops training (exit 0)"
else
  tail -1 "$TMP/err" | grep -q "^error: step 2: the loss is not a finite number, so training stopped" \
    && ok "a step with a non-finite loss stops training" || bad "non-finite step: $(tail -1 "$TMP/err")"
fi
[ ! -e "$TMP/huge.eta" ] && ok "no adapter written after a non-finite step" || bad "huge.eta was written"
# The checkpoint of step 1 is the last good one: it loads, and step 2 fails the same way again.
"$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/huge.eta" --resume "$TMP/huge.eta.ckpt" --lr 1e30 --max-steps 4 --save-every 1 \
  --warmup-steps 0 >"$TMP/out" 2>"$TMP/err"
tail -1 "$TMP/err" | grep -q "^error: step 2: the loss is not a finite number" \
  && ok "the last good checkpoint still loads" || bad "checkpoint after a non-finite step: $(tail -1 "$TMP/err")"
rm -f "$TMP"/huge*
for scale in nan inf -inf 1e39; do
  expect_error "edge-run --lora a.eta:$scale" "--lora $TMP/a.eta:$scale: the scale must be a finite number" \
    "$RUN" --model "$M" --lora "$TMP/a.eta:$scale" --prompt hi --max-tokens 2 --threads 1
done

# --- 4. adapters with a checksum: a flipped byte of a weight is refused -------------------
size=$(stat -c %s "$TMP/a.eta")
cp "$TMP/a.eta" "$TMP/flipped.eta"
printf '\x7f' | dd of="$TMP/flipped.eta" bs=1 seek=$((size / 2)) conv=notrunc status=none
expect_error "edge-run --lora with a flipped byte" "flipped.eta: checksum mismatch" \
  "$RUN" --model "$M" --lora "$TMP/flipped.eta" --prompt hi --max-tokens 2 --threads 1
expect_error "--verify: an adapter with a flipped byte" "flipped.eta: checksum mismatch" "$CONVERT" --verify "$TMP/flipped.eta"
"$CONVERT" --verify "$TMP/a.eta" >"$TMP/out" 2>&1 && grep -q "a.eta: LoRA adapter, rank 8, .* every check passed" "$TMP/out" \
  && ok "--verify an adapter" || bad "--verify a.eta: $(cat "$TMP/out")"
rm -f "$TMP/flipped.eta"

# --- 5. the header has a checksum: --verify and loading agree on a flipped metadata byte --
"$CONVERT" --verify "$M" >"$TMP/out" 2>&1 && grep -q "header checksum matches" "$TMP/out" \
  && ok "--verify checks the header" || bad "--verify: $(cat "$TMP/out")"
at=$(grep -boa "You are Qwen" "$M" | head -1 | cut -d: -f1)
cp "$M" "$TMP/flipped.etm"
printf 'y' | dd of="$TMP/flipped.etm" bs=1 seek="$at" conv=notrunc status=none
expect_error "--verify: a flipped byte in the system prompt" "flipped.etm: header checksum mismatch" \
  "$CONVERT" --verify "$TMP/flipped.etm"
expect_error "edge-run: a flipped byte in the system prompt" "flipped.etm: header checksum mismatch" \
  "$RUN" --model "$TMP/flipped.etm" --prompt hi -n 1 --threads 1
rm -f "$TMP/flipped.etm"

# --- 6. a token budget too small for the grammar is refused; a cut-short text is said ---
expect_error "--grammar mermaid -n 4" "--max-tokens 4: too few tokens for the grammar grammars/mermaid.gbnf: its shortest text is" \
  "$RUN" --model "$M" --grammar mermaid -n 4 --prompt hi --threads 1
echo 'root ::= (("a"{1000}){1000}){1000}' >"$TMP/huge.gbnf"
expect_error "a grammar whose shortest text is 10^9 bytes" "its shortest text is 1000000000 bytes" \
  "$RUN" --model "$M" --grammar "$TMP/huge.gbnf" --prompt hi --threads 1
echo 'root ::= "x"{50}' >"$TMP/fifty.gbnf"
"$RUN" --model "$M" --grammar "$TMP/fifty.gbnf" --raw --prompt a --context 8 -n 100 --threads 1 >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -ne 0 ] && grep -q "^error: the output is not a complete text of the grammar $TMP/fifty.gbnf: generation stopped (context full)" "$TMP/err" \
  && ok "a constrained text cut short by the context is reported" || bad "cut short by the context (exit $rc: $(cat "$TMP/err"))"
rm -f "$TMP/huge.gbnf" "$TMP/fifty.gbnf"

# --- 7. a temporary file left by a kill is removed by the next save of the same path -----
"$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/b.eta" --max-steps 1 >"$TMP/out" 2>"$TMP/err" || bad "edge-tune b.eta: $(cat "$TMP/err")"
head -c 4096 /dev/urandom >"$TMP/b.eta.ckpt.tmp-AbC123"
head -c 4096 /dev/urandom >"$TMP/b.eta.tmp-XyZ789"
"$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/b.eta" --max-steps 1 --force >"$TMP/out" 2>"$TMP/err" \
  || bad "edge-tune again: $(cat "$TMP/err")"
[ ! -e "$TMP/b.eta.ckpt.tmp-AbC123" ] && [ ! -e "$TMP/b.eta.tmp-XyZ789" ] \
  && ok "stale temporaries removed by the next run" || bad "stale temporaries left: $(ls "$TMP")"
rm -f "$TMP"/b.eta*

# --- 9. a FIFO, a folder or a device as an input is refused, not read (a FIFO blocked forever) --
mkfifo "$TMP/fifo"
expect_error "--model FIFO" "fifo: not a regular file (a FIFO" "$RUN" --model "$TMP/fifo" --prompt hi
expect_error "--lora FIFO" "fifo: not a regular file (a FIFO" "$RUN" --model "$M" --lora "$TMP/fifo" --prompt hi -n 1 --threads 1
expect_error "--data FIFO" "fifo: not a regular file (a FIFO" "$TUNE" --model "$M" --data "$TMP/fifo" --out "$TMP/f.eta"
expect_error "--input FIFO" "fifo: not a regular file (a FIFO" "$RUN" --model "$M" --input "$TMP/fifo" --output "$TMP/o.json"
expect_error "--data a folder" "$TMP: not a regular file (a folder)" "$TUNE" --model "$M" --data "$TMP" --out "$TMP/f.eta"
expect_error "--model /dev/zero" "/dev/zero: not a regular file (a device)" "$RUN" --model /dev/zero --prompt hi
rm -f "$TMP/fifo"

# --- 10. messages that say what was wrong ----------------------------------------------------
expect_error "--budget 1e30" "--budget: size '1e30': too large" "$RUN" --model "$M" --prompt hi --budget 1e30
expect_error "--budget 0.5" "--budget: size '0.5': less than one byte" "$RUN" --model "$M" --prompt hi --budget 0.5

expect_error "--max-tokens abc" "--max-tokens: expected a whole number, got 'abc'" "$RUN" --model "$M" --prompt hi --max-tokens abc
[ "$(wc -c <"$TMP/err")" -lt 200 ] && ok "--max-tokens abc: a short message" || bad "--max-tokens abc: $(cat "$TMP/err")"
expect_error "--seed -1" "--seed: expected a whole number from 0 to 2^64-1, got '-1'" "$RUN" --model "$M" --prompt hi --seed -1
expect_error "--batch 0" "--batch: expected 1 or more, got 0" "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/z.eta" --batch 0
expect_error "edge-run --budget ''" "--budget: expected a value, got ''" "$RUN" --model "$M" --prompt hi --budget ''
expect_error "edge-tune --budget ''" "--budget: expected a value, got ''" \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/z.eta" --budget ''
expect_error "edge-tune --seed -1" "--seed: expected a whole number from 0 to 2^64-1, got '-1'" \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/z.eta" --seed -1
no_leftovers "refused options" tiny.etm train.jsonl chain.gbnf a.eta a.eta.ckpt

# --- 11. in --chat, a message too long for the context is refused and the chat goes on -----
{
  for i in $(seq 1 200); do printf 'word%s ' "$i"; done
  echo
  echo 'hi'
} >"$TMP/chat.txt"
echo hi | "$RUN" --model "$M" --chat --context 64 -n 2 --threads 1 >"$TMP/hi.out" 2>&1
"$RUN" --model "$M" --chat --context 64 -n 2 --threads 1 <"$TMP/chat.txt" >"$TMP/out" 2>"$TMP/err"
rc=$?
# The answer to "hi" is the one a chat of "hi" alone gets: the refused message left no trace.
[ $rc -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "^error: message 1: .* tokens do not fit the 64 context positions left; not sent" "$TMP/err" \
  && [ -s "$TMP/out" ] && cmp -s "$TMP/out" "$TMP/hi.out" \
  && ok "--chat: an over-long message is refused, the next one answered" \
  || bad "--chat over-long message (exit $rc, stderr: $(cat "$TMP/err"), stdout: $(cat "$TMP/out"))"
rm -f "$TMP/chat.txt" "$TMP/hi.out"

# --- 8. an output that is also an input is refused before any work; a missing folder too ---
printf '{"prompt": "hi"}\n' >"$TMP/in.jsonl"
cp "$TMP/in.jsonl" "$TMP/in.copy"
expect_error "--input x --output x" "--output $TMP/./in.jsonl: is also an input" \
  "$RUN" --model "$M" --input "$TMP/in.jsonl" --output "$TMP/./in.jsonl" -n 1 --threads 1
cmp -s "$TMP/in.jsonl" "$TMP/in.copy" && ok "the input is left as it was" || bad "the input was changed"
expect_error "edge-tune --out DATA" "--out $TMP/train.jsonl: is also an input" \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/train.jsonl"
expect_error "edge-tune --json-log in a missing folder" "--json-log $TMP/nowhere/log.jsonl: folder $TMP/nowhere does not exist" \
  "$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/z.eta" --json-log "$TMP/nowhere/log.jsonl"
expect_error "edge-eval --report PROMPTS" "--report $TMP/train.jsonl: is also an input" \
  "$EVAL" --responses --prompts "$TMP/train.jsonl" --format dot --report "$TMP/train.jsonl"
expect_error "edge-run --output in a missing folder" "folder $TMP/nowhere does not exist" \
  "$RUN" --model "$M" --input "$TMP/in.jsonl" --output "$TMP/nowhere/o.json" -n 1 --threads 1
expect_error "--force does not allow writing over an input" "--output $TMP/in.jsonl: is also an input" \
  "$RUN" --model "$M" --input "$TMP/in.jsonl" --output "$TMP/in.jsonl" -n 1 --threads 1 --force
cmp -s "$TMP/in.jsonl" "$TMP/in.copy" && ok "the input is left as it was with --force" || bad "the input was changed by --force"
rm -f "$TMP/in.jsonl" "$TMP/in.copy"

# An existing output is refused without --force by every tool, naming the file and the flag.
echo keep >"$TMP/old"
expect_error "edge-convert --out an existing file" "--out $TMP/old: exists (pass --force to replace it)" \
  "$CONVERT" -q --random tiny --tokenizer "$TOKENIZER" --out "$TMP/old"
expect_error "edge-tune --out an existing file" "--out $TMP/old: exists (pass --force to replace it)" \
  "$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/old" --max-steps 1
expect_error "edge-tune --json-log an existing file" "--json-log $TMP/old: exists (pass --force to replace it)" \
  "$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/new.eta" --max-steps 1 --json-log "$TMP/old"
expect_error "edge-run --output an existing file" "--output $TMP/old: exists (pass --force to replace it)" \
  "$RUN" --model "$M" --input "$TMP/train.jsonl" --output "$TMP/old" -n 1 --threads 1
expect_error "edge-run --logits-out an existing file" "--logits-out $TMP/old: exists (pass --force to replace it)" \
  "$RUN" --model "$M" --tokens 1,2 --logits-out "$TMP/old" --threads 1
expect_error "edge-eval --report an existing file" "--report $TMP/old: exists (pass --force to replace it)" \
  "$EVAL" --responses --prompts "$TMP/train.jsonl" --format dot --report "$TMP/old"
expect_error "edge-eval --json an existing file" "--json $TMP/old: exists (pass --force to replace it)" \
  "$EVAL" --responses --prompts "$TMP/train.jsonl" --format dot --json "$TMP/old"
[ "$(cat "$TMP/old")" = keep ] && ok "the existing output is left as it was" || bad "the existing output was changed"
"$RUN" --model "$M" --tokens 1,2 --logits-out "$TMP/old" --threads 1 --force >"$TMP/out" 2>"$TMP/err" \
  && [ "$(head -c 6 "$TMP/old" | tail -c 5)" = NUMPY ] && ok "--force replaces an existing output" \
  || bad "--force: $(cat "$TMP/err")"
rm -f "$TMP/old"
# A new run does not silently replace an earlier run's checkpoint; --resume continues it.
"$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/c.eta" --max-steps 2 --save-every 1 >"$TMP/out" 2>"$TMP/err" || bad "edge-tune c.eta: $(cat "$TMP/err")"
rm -f "$TMP/c.eta"
cp "$TMP/c.eta.ckpt" "$TMP/c.copy"
expect_error "edge-tune over an earlier run's checkpoint" \
  "the checkpoint $TMP/c.eta.ckpt: exists, from an earlier run (continue it with --resume $TMP/c.eta.ckpt, or pass --force to start over)" \
  "$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/c.eta" --max-steps 2
cmp -s "$TMP/c.eta.ckpt" "$TMP/c.copy" && ok "the earlier checkpoint is kept" || bad "the earlier checkpoint was changed"
"$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/c.eta" --max-steps 2 --resume "$TMP/c.eta.ckpt" >"$TMP/out" 2>"$TMP/err" \
  && [ -f "$TMP/c.eta" ] && ok "--resume continues over its own checkpoint" || bad "--resume: $(cat "$TMP/err")"
rm -f "$TMP"/c.*

# --- found by tests/hostile/cli_fuzz.py --------------------------------------------------------
# A folder name longer than the OS allows: std::filesystem's throwing calls aborted the tool.
long=$(printf 'x%.0s' $(seq 1 5000))
"$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/p.eta" --max-steps 1 >/dev/null 2>&1 || bad "edge-tune p.eta"
expect_error "edge-export --ollama with a 5000-byte name" "File name too long" \
  "$EXPORT" --model "$M" --lora "$TMP/p.eta" --ollama "$long"
expect_error "edge-export --lora with a 5000-byte name" "$long" "$EXPORT" --model "$M" --lora "$long" --gguf-lora "$TMP/g.gguf"
! grep -q "internal error" "$TMP/err" && ok "--lora with a 5000-byte name: not an internal error" || bad "--lora 5000 bytes: $(cut -c1-200 "$TMP/err")"
expect_error "edge-tune --export-peft with a 5000-byte name" "File name too long" \
  "$TUNE" "${TUNE_ARGS[@]}" --out "$TMP/q.eta" --max-steps 1 --export-peft "$long"
rm -f "$TMP"/p.eta* "$TMP"/q.eta*
# Every other input read by name refuses a FIFO too (these blocked forever; `timeout` turns a
# regression into a failure instead of a hung test).
mkfifo "$TMP/fifo"
expect_error "--tokenizer FIFO" "fifo: not a regular file (a FIFO" \
  timeout 60 "$CONVERT" --random tiny --tokenizer "$TMP/fifo" --out "$TMP/f.etm"
expect_error "--random FIFO" "fifo: not a regular file (a FIFO" \
  timeout 60 "$CONVERT" --random "$TMP/fifo" --tokenizer "$TOKENIZER" --out "$TMP/f.etm"
expect_error "--from FIFO" "fifo: not a regular file (a FIFO" timeout 60 "$CONVERT" --from "$TMP/fifo" --out "$TMP/f.etm"
expect_error "--grammar FIFO" "fifo: not a regular file (a FIFO" \
  timeout 60 "$RUN" --model "$M" --grammar "$TMP/fifo" --prompt hi -n 1 --threads 1
expect_error "--training-log FIFO" "fifo: not a regular file (a FIFO" \
  timeout 60 "$EVAL" --responses --prompts "$TMP/train.jsonl" --format dot --training-log "$TMP/fifo" --report "$TMP/r.html"
# An output that is a device or a FIFO is refused even with --force: the atomic write renames a
# regular file into place, which replaced /dev/null itself when run as root (found by the fuzzer).
expect_error "--logits-out FIFO --force" "fifo: not a regular file (a device, FIFO or socket)" \
  "$RUN" --model "$M" --tokens 1,2 --logits-out "$TMP/fifo" --threads 1 --force
[ -p "$TMP/fifo" ] && ok "the FIFO given as an output is still a FIFO" || bad "the FIFO output was replaced"
rm -f "$TMP/fifo"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
