#!/usr/bin/env bash
# edge-eval's contract on the tiny random model: the table, --json with every
# output and verdict, --report, base against tuned (an adapter edge-tune made),
# --responses on the bundled DOT and Mermaid test splits, and bad input refused in one line
# naming the file and line, with nothing written.
# usage: edge_eval_test.sh BUILD_DIR SHARED_DIR SOURCE_DIR [EMULATOR...]
set -uo pipefail
BUILD="$1"
SHARED="$2"
SOURCE="$3"
CONVERT="$BUILD/tools/edge_convert/edge-convert"
TUNE="$BUILD/tools/edge_tune/edge-tune"
EVAL="$BUILD/tools/edge_eval/edge-eval"
TOKENIZER="$SHARED/data/tokenizer/qwen2.5/tokenizer.json"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$(dirname "$0")/lib.sh"
EMULATOR="${*:4}"
emulate_tools CONVERT TUNE EVAL

"$CONVERT" -q --random tiny --seed 3 --quant q8_0 --tokenizer "$TOKENIZER" --out "$TMP/tiny.etm" >"$TMP/out" 2>&1 \
  || { echo "FAIL cannot make the tiny model: $(cat "$TMP/out")"; exit 1; }
M="$TMP/tiny.etm"
DOT_TEST="$SOURCE/data/dot_test.jsonl"

# --- one model, table, JSON, report ----------------------------------------------------
if "$EVAL" --model "$M" --prompts "$DOT_TEST" --format dot --limit 3 --max-tokens 8 --threads 2 \
     --json "$TMP/one.json" --report "$TMP/one.html" >"$TMP/out" 2>"$TMP/err"; then
  ok "edge-eval runs"
else
  bad "edge-eval: $(cat "$TMP/err")"
fi
grep -q "^3 prompts, dot" "$TMP/out" && grep -q "^valid .*/3" "$TMP/out" && grep -q "^no diagram found" "$TMP/out" \
  && ok "one-column table" || bad "table: $(cat "$TMP/out")"
python3 - "$TMP/one.json" <<'PY' && ok "--json: every prompt with output and verdict" || bad "--json: $(head -c 600 "$TMP/one.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j["items"]) == 3 and [r["name"] for r in j["runs"]] == ["base"]
for item in j["items"]:
    assert item["prompt"] and item["reference"].startswith(("digraph", "graph", "strict"))
    assert item["base"]["verdict"] in ("valid", "syntax_error", "incomplete", "no_diagram")
    assert "output" in item["base"] and item["base"]["tokens"] <= 8
PY
grep -q "<h1>edge-eval report</h1>" "$TMP/one.html" && grep -q 'id="case-3"' "$TMP/one.html" \
  && ok "--report written" || bad "--report: $(head -c 300 "$TMP/one.html")"

# --- base against tuned: an adapter from two edge-tune steps -------------------------
head -4 "$SOURCE/data/dot_train.jsonl" >"$TMP/train.jsonl"
"$TUNE" --model "$M" --data "$TMP/train.jsonl" --out "$TMP/a.eta" --max-steps 2 --batch 2 --threads 2 --lr 1e-2 \
  --json-log "$TMP/log.jsonl" >"$TMP/out" 2>"$TMP/err" || bad "edge-tune: $(cat "$TMP/err")"
if "$EVAL" --model "$M" --lora "$TMP/a.eta" --compare-base --prompts "$DOT_TEST" --format dot --limit 2 --max-tokens 8 \
     --threads 2 --json "$TMP/two.json" --report "$TMP/two.html" --training-log "$TMP/log.jsonl" >"$TMP/out" 2>"$TMP/err"
then
  grep -q "base *tuned *difference" "$TMP/out" && grep -q "^two-proportion z = " "$TMP/out" \
    && grep -q "^McNemar" "$TMP/out" && ok "--compare-base: side by side with z and p" || bad "table: $(cat "$TMP/out")"
else
  bad "--compare-base: $(cat "$TMP/err")"
fi
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert [r["name"] for r in j["runs"]]==["base","tuned"]; assert "comparison" in j; assert all("base" in i and "tuned" in i for i in j["items"])' \
  "$TMP/two.json" && ok "--json holds base and tuned" || bad "--json (two runs): $(head -c 400 "$TMP/two.json")"
grep -q 'class="loss-curve"' "$TMP/two.html" && ok "--training-log: loss curve in the report" || bad "no loss curve"

# --- the data set's own responses -------------------------------------------------------
"$EVAL" --responses --prompts "$DOT_TEST" --format dot >"$TMP/out" 2>"$TMP/err" && grep -q "^valid *20/20  100.0%" "$TMP/out" \
  && ok "--responses: the bundled DOT test split is 20/20 valid" || bad "--responses: $(cat "$TMP/out" "$TMP/err")"

# --- Mermaid: verdicts from the built-in mermaid grammar ------------------------------------
MERMAID_TEST="$SOURCE/data/mermaid_test.jsonl"
"$EVAL" --responses --prompts "$MERMAID_TEST" --format mermaid >"$TMP/out" 2>"$TMP/err" && grep -q "^valid *20/20  100.0%" "$TMP/out" \
  && ok "--responses: the bundled Mermaid test split is 20/20 valid" || bad "--responses mermaid: $(cat "$TMP/out" "$TMP/err")"
{ head -2 "$MERMAID_TEST"
  echo '{"instruction": "a", "response": "flowchart LR\n    A --> (B"}'
  echo '{"instruction": "b", "response": "```mermaid\nsequenceDiagram\n    loop forever\n        A->>B: hi"}'
  echo '{"instruction": "c", "response": "I cannot draw."}'; } >"$TMP/mermaid_mixed.jsonl"
"$EVAL" --responses --prompts "$TMP/mermaid_mixed.jsonl" --format mermaid --json "$TMP/mermaid.json" >"$TMP/out" 2>"$TMP/err" \
  || bad "--responses mermaid (mixed): $(cat "$TMP/err")"
python3 - "$TMP/mermaid.json" <<'PY' && ok "--json mermaid: valid, syntax error with its line, incomplete, no diagram" || bad "--json mermaid: $(head -c 900 "$TMP/mermaid.json")"
import json, sys
j = json.load(open(sys.argv[1]))
run = j["runs"][0]["name"]
out = [i[run] for i in j["items"]]
got = [o["verdict"] for o in out]
assert got == ["valid", "valid", "syntax_error", "incomplete", "no_diagram"], got
assert out[2]["error"]["line"] == 2 and not out[2]["error"]["at_end"], out[2]
assert "unexpected '('" in out[2]["error"]["message"], out[2]
assert out[3]["error"]["at_end"], out[3]
PY
if "$EVAL" --model "$M" --prompts "$MERMAID_TEST" --format mermaid --limit 2 --max-tokens 8 --threads 2 >"$TMP/out" 2>"$TMP/err"; then
  ok "edge-eval --format mermaid generates and scores"
else
  bad "edge-eval --format mermaid: $(cat "$TMP/err")"
fi

# --- --checker mermaid-js: mermaid itself decides, the grammar's verdict beside it ----------
NODE_MODULES="$SOURCE/tests/data_sets/node/node_modules"
if command -v node >/dev/null && [ -d "$NODE_MODULES/mermaid" ] && [ -d "$NODE_MODULES/jsdom" ]; then
  if "$EVAL" --responses --prompts "$TMP/mermaid_mixed.jsonl" --format mermaid --checker mermaid-js \
       --node-modules "$NODE_MODULES" --json "$TMP/mermaid_js.json" >"$TMP/out" 2>"$TMP/err" \
     && grep -q "^checker: mermaid-js 11" "$TMP/out" && grep -q "same verdict" "$TMP/out" \
     && python3 - "$TMP/mermaid_js.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["checker"].startswith("mermaid-js "), j["checker"]
out = [i["responses"] for i in j["items"]]
assert [o["verdict"] for o in out] == ["valid", "valid", "syntax_error", "incomplete", "no_diagram"], out
assert [o.get("grammar_verdict") for o in out] == ["valid", "valid", "syntax_error", "incomplete", "no_diagram"], out
assert out[2]["error"]["message"].startswith("mermaid: "), out[2]
PY
  then
    ok "edge-eval --checker mermaid-js: mermaid's verdicts, the grammar's beside them"
  else
    bad "edge-eval --checker mermaid-js: $(cat "$TMP/err" "$TMP/out")"
  fi
else
  echo "*** node or $NODE_MODULES (mermaid, jsdom) missing: --checker mermaid-js NOT tested"
  [ "${CI:-}" = true ] && bad "--checker mermaid-js is required under CI"
fi
expect_error "--checker mermaid-js without the modules" "no mermaid in $TMP/none" \
  "$EVAL" --responses --prompts "$MERMAID_TEST" --format mermaid --checker mermaid-js --node-modules "$TMP/none"
expect_error "--checker mermaid-js on DOT" "--checker mermaid-js checks --format mermaid" \
  "$EVAL" --responses --prompts "$DOT_TEST" --format dot --checker mermaid-js
expect_error "unknown checker" "--checker graphviz: grammar or mermaid-js" \
  "$EVAL" --responses --prompts "$DOT_TEST" --format dot --checker graphviz

# --- bad input -----------------------------------------------------------------------------
{ head -1 "$DOT_TEST"; echo '{"instruction": "x", '; } >"$TMP/broken.jsonl"
expect_error "prompt line that does not parse" "broken.jsonl: line 2: not valid JSON" \
  "$EVAL" --model "$M" --prompts "$TMP/broken.jsonl" --format dot --json "$TMP/x.json"
printf '{"instruction": "x"}\n{"text": "y"}\n' >"$TMP/nokey.jsonl"
expect_error "prompt line without a prompt" "nokey.jsonl: line 2: object has none of" \
  "$EVAL" --model "$M" --prompts "$TMP/nokey.jsonl" --format dot
expect_error "unknown format" "unknown diagram format 'svg'" "$EVAL" --model "$M" --prompts "$DOT_TEST" --format svg
expect_error "--compare-base without --lora" "--compare-base needs --lora" \
  "$EVAL" --model "$M" --prompts "$DOT_TEST" --format dot --compare-base
expect_error "no model" "--model is required" "$EVAL" --prompts "$DOT_TEST" --format dot
expect_error "--responses with a model" "takes no --model" "$EVAL" --responses --model "$M" --prompts "$DOT_TEST" --format dot
head -1 "$TMP/nokey.jsonl" >"$TMP/noresponse.jsonl"
expect_error "--responses without responses" "noresponse.jsonl: item 1: --responses needs a 'response'" \
  "$EVAL" --responses --prompts "$TMP/noresponse.jsonl" --format dot
printf '{"step": 1, "loss": 2.0}\n{"step": 2}\n' >"$TMP/badlog.jsonl"
expect_error "training log line without a loss" "badlog.jsonl: line 2: expected an object with numbers 'step' and 'loss'" \
  "$EVAL" --model "$M" --prompts "$DOT_TEST" --format dot --training-log "$TMP/badlog.jsonl" --report "$TMP/x.html"
expect_error "missing prompt file" "missing.jsonl: cannot open" "$EVAL" --model "$M" --prompts "$TMP/missing.jsonl" --format dot
expect_error "missing model" "nothing.etm" "$EVAL" --model "$TMP/nothing.etm" --prompts "$DOT_TEST" --format dot --limit 1
expect_error "report into a missing folder" "nowhere" \
  "$EVAL" --responses --prompts "$DOT_TEST" --format dot --report "$TMP/nowhere/r.html"
no_leftovers "failed runs" tiny.etm one.json one.html train.jsonl a.eta a.eta.ckpt log.jsonl two.json two.html \
  broken.jsonl nokey.jsonl noresponse.jsonl badlog.jsonl mermaid_mixed.jsonl mermaid.json mermaid_js.json

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
