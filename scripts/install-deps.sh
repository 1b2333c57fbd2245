#!/usr/bin/env bash
# Installs everything edge-rt needs to build and test on Debian 12:
# the Debian packages in scripts/debian-packages.txt, and the npm packages the
# cross-checks run under node and the mermaid.js edge-eval compiles in. Run as
# root (or it uses sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2046
$SUDO apt-get install -y --no-install-recommends $(grep -v '^#' scripts/debian-packages.txt)
# Node.js runs the cross-checks against independent implementations. Use the
# machine's own when it has one (Debian's nodejs conflicts with other builds).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  $SUDO apt-get install -y --no-install-recommends nodejs npm
fi
for dir in tests/tokenizer/node tests/data_sets/node tests/export/node tools/edge_eval/web; do
  if [ -f "$dir/package-lock.json" ]; then npm ci --prefix "$dir" --no-audit --no-fund; fi
done
