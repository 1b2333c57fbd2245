#!/usr/bin/env bash
# The HTML report in a real browser: edge-eval --responses writes reports
# (DOT: the bundled test split, valid and hostile outputs of every class, a loss
# curve; Mermaid: the bundled test split and broken diagrams, and 400 random
# diagrams drawn from the built-in mermaid grammar), then headless
# Chromium loads each from disk with the network off (check_report.py): every
# valid diagram drawn as an SVG, no console error, no request. Screenshots and
# reports are kept under BUILD/artifacts/edge_eval.
# usage: report_browser_test.sh BUILD_DIR SOURCE_DIR CHROMIUM
# Exit 77 (skipped) when Chromium is missing, but 1 under CI=true.
set -uo pipefail
BUILD="$1"
SOURCE="$2"
CHROMIUM="${3:-}"
EVAL="$BUILD/tools/edge_eval/edge-eval"
HERE="$(cd "$(dirname "$0")" && pwd)"
if [ -z "$CHROMIUM" ] || ! [ -x "$CHROMIUM" ]; then
  echo "*** chromium not found (apt-get install chromium): the report was NOT tested in a browser"
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi
OUT="$BUILD/artifacts/edge_eval"
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0

# A training log shaped like edge-tune --json-log's: 40 steps, evaluation every 10.
for s in $(seq 1 40); do
  extra=""
  [ $((s % 10)) -eq 0 ] && extra=", \"eval_loss\": $(awk "BEGIN { print 2.2 + 9 / ($s + 4) }")"
  echo "{\"step\": $s, \"total_steps\": 40, \"loss\": $(awk "BEGIN { print 2 + 10 / ($s + 3) + 0.1 * sin($s) }")$extra}"
done >"$TMP/log.jsonl"

check() {  # NAME: load OUT/NAME.html, screenshot to OUT/NAME.png
  if python3 "$HERE/check_report.py" "$CHROMIUM" "$OUT/$1.html" "$OUT/$1.png"; then
    echo "ok   $1 report renders in Chromium"
  else
    echo "FAIL $1 report"
    failed=1
  fi
}

cat "$SOURCE/data/dot_test.jsonl" "$HERE/dot_mixed.jsonl" >"$TMP/dot.jsonl"
if "$EVAL" --responses --prompts "$TMP/dot.jsonl" --format dot --training-log "$TMP/log.jsonl" --report "$OUT/dot.html" --force >/dev/null; then
  check dot
else
  echo "FAIL edge-eval could not write the DOT report"
  failed=1
fi

cat "$SOURCE/data/mermaid_test.jsonl" "$SOURCE/tests/data_sets/broken_mermaid.jsonl" >"$TMP/mermaid.jsonl"
if "$EVAL" --responses --prompts "$TMP/mermaid.jsonl" --format mermaid --report "$OUT/mermaid.html" --force >/dev/null 2>"$TMP/err"; then
  check mermaid
else
  echo "FAIL edge-eval could not write the Mermaid report: $(cat "$TMP/err")"
  failed=1
fi

# Random diagrams drawn from the built-in mermaid grammar: the grammar promises
# that whatever the constrained decoder writes is drawn, not only parsed.
NODE_DIR="$SOURCE/tests/data_sets/node"
if command -v node >/dev/null && [ -d "$NODE_DIR/node_modules/mermaid" ]; then
  if node "$NODE_DIR/sample_grammar.mjs" "$SOURCE/runtime/grammar/grammars/mermaid.gbnf" 400 7 "$TMP/samples.jsonl" >"$TMP/err" \
     && python3 -c 'import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    print(json.dumps({"instruction": "grammar sample, seed %d" % d["seed"], "response": d["diagram"]}))' \
          "$TMP/samples.jsonl" >"$TMP/samples_eval.jsonl" \
     && "$EVAL" --responses --prompts "$TMP/samples_eval.jsonl" --format mermaid --report "$OUT/mermaid_samples.html" --force \
          >/dev/null 2>>"$TMP/err"; then
    check mermaid_samples
  else
    echo "FAIL mermaid grammar samples: $(cat "$TMP/err")"
    failed=1
  fi
else
  echo "*** node or $NODE_DIR/node_modules missing: the mermaid grammar's samples were NOT drawn"
  [ "${CI:-}" = true ] && failed=1
fi
exit $failed
