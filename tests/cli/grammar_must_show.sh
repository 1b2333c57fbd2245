#!/usr/bin/env bash
# The grammar's must-show: on a random-weight model (which never chooses to
# stop), every generation with --grammar is a complete diagram the real parser
# accepts, and almost none without. edge-eval generates for N prompts (the
# bundled data sets' instructions) with and without --grammar, sampling at
# temperature 1; its verdicts are the real parsers' (Graphviz cgraph for DOT).
# Each output is also written as JSONL {"response": ...} for other checkers:
# for mermaid, the npm parser under node (tests/data_sets/node) re-checks the
# constrained outputs (skipped without node, but failed under CI=true). Mermaid
# is also generated once per diagram type (see below), N/8 prompts each.
#
# usage: grammar_must_show.sh BUILD_DIR SHARED_DIR SOURCE_DIR [PRESET] [N] [MAX_TOKENS] [FORMAT...]
#   PRESET: tiny (default; the real 151,936-token vocabulary on a toy width)
#           or qwen2.5-0.5b; N: prompts per format (default 200); MAX_TOKENS
#           default 48; FORMAT: dot (default) and/or mermaid.
# KEEP=DIR keeps the model and outputs in DIR; THREADS (default 1: a busy host
# makes 2 threads spin in the pool more than they compute on small models).
set -uo pipefail
BUILD="$1"
SHARED="$2"
SOURCE="$3"
PRESET="${4:-tiny}"
N="${5:-200}"
MAX_TOKENS="${6:-48}"
shift 6 2>/dev/null || shift $#
FORMATS=("$@")
[ ${#FORMATS[@]} -eq 0 ] && FORMATS=(dot)
CONVERT="$BUILD/tools/edge_convert/edge-convert"
EVAL="$BUILD/tools/edge_eval/edge-eval"
TOKENIZER="$SHARED/data/tokenizer/qwen2.5/tokenizer.json"
if [ -n "${KEEP:-}" ]; then TMP="$KEEP"; mkdir -p "$TMP"; else TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT; fi
. "$(dirname "$0")/lib.sh"

M="$TMP/$PRESET-q8_0.etm"
[ -f "$M" ] || "$CONVERT" -q --random "$PRESET" --seed 5 --quant q8_0 --tokenizer "$TOKENIZER" --out "$M" >"$TMP/out" 2>&1 \
  || { echo "FAIL cannot make the $PRESET model: $(cat "$TMP/out")"; exit 1; }

for format in "${FORMATS[@]}"; do
  cat "$SOURCE/data/${format}_train.jsonl" "$SOURCE/data/${format}_validation.jsonl" "$SOURCE/data/${format}_test.jsonl" \
    | head -n "$N" >"$TMP/$format-prompts.jsonl"
  have=$(wc -l <"$TMP/$format-prompts.jsonl")
  [ "$have" -eq "$N" ] || { bad "$format: only $have prompts in the data sets"; continue; }
  for mode in grammar free; do
    flag=(); [ "$mode" = grammar ] && flag=(--grammar)
    start=$(date +%s)
    if ! "$EVAL" --model "$M" --prompts "$TMP/$format-prompts.jsonl" --format "$format" "${flag[@]}" \
         --max-tokens "$MAX_TOKENS" --temperature 1 --seed 1 --threads "${THREADS:-1}" --json "$TMP/$format-$mode.json" \
         >"$TMP/$format-$mode.txt" 2>"$TMP/err"; then
      bad "$format $mode: edge-eval: $(tail -n 3 "$TMP/err")"
      continue
    fi
    python3 - "$TMP/$format-$mode.json" "$TMP/$format-$mode.jsonl" "$MAX_TOKENS" "$(( $(date +%s) - start ))" <<'PY' \
      >"$TMP/$format-$mode.count" || bad "$format $mode: unreadable --json"
import json, sys
j = json.load(open(sys.argv[1]))
items = j["items"]
valid = sum(1 for i in items if i["base"]["verdict"] == "valid")
tokens = [i["base"]["tokens"] for i in items]
with open(sys.argv[2], "w") as out:
    for i in items:
        out.write(json.dumps({"response": i["base"]["output"]}) + "\n")
print(valid, len(items), max(tokens))
for i in items:
    if i["base"]["verdict"] != "valid":
        print("  not valid:", i["base"]["verdict"], repr(i["base"]["output"][:160]), file=sys.stderr)
        break
print(f"{sys.argv[1].rsplit('/',1)[-1]}: {valid}/{len(items)} valid, at most {max(tokens)} of {sys.argv[3]} tokens, "
      f"{sys.argv[4]} s", file=sys.stderr)
PY
  done
  read -r gv gn gmax <"$TMP/$format-grammar.count" 2>/dev/null || { gv=0; gn=0; gmax=0; }
  read -r fv fn _ <"$TMP/$format-free.count" 2>/dev/null || { fv=0; fn=0; }
  echo "$format ($PRESET, $N prompts, max $MAX_TOKENS tokens): with --grammar $gv/$gn valid; without $fv/$fn"
  [ "$gn" -eq "$N" ] && [ "$gv" -eq "$gn" ] && [ "$gmax" -le "$MAX_TOKENS" ] \
    && ok "$format: every constrained generation is valid by the real parser" \
    || bad "$format: constrained generations valid $gv/$gn"
  [ "$fn" -eq "$N" ] && [ "$fv" -le $((N / 10)) ] && ok "$format: without the grammar almost none are ($fv/$fn)" \
    || bad "$format: unconstrained valid $fv/$fn"
  if [ "$format" = mermaid ]; then
    # Across the diagram types. A random model's own choice of type is nearly
    # always the same one, so each type is also generated under its own grammar:
    # mermaid.gbnf with root narrowed to that type, handed to edge-run as a file,
    # ceil(N/8) prompts each. Every output must be a complete diagram (edge-eval
    # --responses: the built-in grammar's verdict) and parse in npm mermaid.
    RUN="$BUILD/tools/edge_run/edge-run"
    per=$(( (N + 7) / 8 ))
    : >"$TMP/mermaid-types.jsonl"
    for rule in flowchart sequence class-diagram state-diagram er-diagram pie gantt mindmap; do
      sed "s/^root ::= .*/root ::= $rule \"\\\\n\"?/" "$SOURCE/runtime/grammar/grammars/mermaid.gbnf" >"$TMP/mermaid-$rule.gbnf"
      head -n "$per" "$TMP/mermaid-prompts.jsonl" >"$TMP/mermaid-$rule-prompts.jsonl"
      if "$RUN" --model "$M" --grammar "$TMP/mermaid-$rule.gbnf" --input "$TMP/mermaid-$rule-prompts.jsonl" \
           --output "$TMP/mermaid-$rule.json" --max-tokens "$MAX_TOKENS" --temperature 1 --seed 1 --threads 2 \
           >/dev/null 2>"$TMP/err"; then
        python3 -c 'import json, sys
for item in json.load(open(sys.argv[1])):
    print(json.dumps({"instruction": sys.argv[2], "response": item["generated_output"]}))' \
          "$TMP/mermaid-$rule.json" "$rule" >>"$TMP/mermaid-types.jsonl"
      else
        bad "mermaid $rule: edge-run: $(tail -n 3 "$TMP/err")"
      fi
    done
    if "$EVAL" --responses --prompts "$TMP/mermaid-types.jsonl" --format mermaid --json "$TMP/mermaid-types-eval.json" \
         >/dev/null 2>"$TMP/err"; then
      python3 - "$TMP/mermaid-types-eval.json" "$per" <<'PY' && ok "mermaid: every type's constrained generations are complete diagrams" \
        || bad "mermaid: per-type constrained generations not all valid"
import collections, json, sys
j = json.load(open(sys.argv[1]))
run = j["runs"][0]["name"]
by_type = collections.defaultdict(lambda: [0, 0])
for i in j["items"]:
    t = by_type[i["prompt"]]
    t[1] += 1
    t[0] += i[run]["verdict"] == "valid"
    if i[run]["verdict"] != "valid":
        print("  not valid:", i["prompt"], i[run]["verdict"], repr(i[run]["output"][:200]), file=sys.stderr)
print("mermaid per type (valid/generated):", ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in by_type.items()), file=sys.stderr)
assert len(by_type) == 8 and all(v[0] == v[1] == int(sys.argv[2]) for v in by_type.values())
PY
    else
      bad "mermaid per type: edge-eval --responses: $(tail -n 3 "$TMP/err")"
    fi
  fi
  if [ "$format" = mermaid ]; then
    node_check="$SOURCE/tests/data_sets/node/check_mermaid.mjs"
    if command -v node >/dev/null && [ -d "$SOURCE/tests/data_sets/node/node_modules/mermaid" ]; then
      node "$node_check" "$TMP/mermaid-grammar.jsonl" "$TMP/mermaid-types.jsonl" >"$TMP/node.txt" 2>&1 \
        && ok "mermaid: the npm parser accepts every constrained output ($(tail -n 1 "$TMP/node.txt"))" \
        || bad "mermaid: the npm parser refuses: $(head -n 3 "$TMP/node.txt")"
    else
      echo "*** node or mermaid missing: the constrained Mermaid outputs were not re-checked by npm mermaid"
      [ "${CI:-}" = true ] && bad "mermaid: npm mermaid is required under CI"
    fi
  fi
done
echo "passed $passed, failed $failed"
[ "$failed" -eq 0 ]
