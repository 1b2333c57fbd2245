#!/usr/bin/env bash
# The HTML report in a real browser: edge-eval --responses writes reports
# (DOT: the bundled test split, valid and hostile outputs of every class, a loss
# curve; Mermaid: the bundled test split and broken diagrams), then headless
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
if "$EVAL" --responses --prompts "$TMP/dot.jsonl" --format dot --training-log "$TMP/log.jsonl" --report "$OUT/dot.html" >/dev/null; then
  check dot
else
  echo "FAIL edge-eval could not write the DOT report"
  failed=1
fi

cat "$SOURCE/data/mermaid_test.jsonl" "$SOURCE/tests/data_sets/broken_mermaid.jsonl" >"$TMP/mermaid.jsonl"
if "$EVAL" --responses --prompts "$TMP/mermaid.jsonl" --format mermaid --report "$OUT/mermaid.html" >/dev/null 2>"$TMP/err"; then
  check mermaid
else
  echo "FAIL edge-eval could not write the Mermaid report: $(cat "$TMP/err")"
  failed=1
fi
exit $failed
