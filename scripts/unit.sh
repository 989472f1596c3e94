#!/usr/bin/env bash
# Build and run only the given unit test files (fast inner loop; unaffected by other broken tests).
# Usage: scripts/unit.sh test/unit/sources/jsonl.test.ts [more.test.ts ...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: scripts/unit.sh test/unit/....test.ts ..."; exit 2; }
outs=()
for f in "$@"; do
  rel=${f#test/unit/}; out="out/test/unit/${rel%.ts}.js"
  npx esbuild "$f" --bundle --platform=node --format=cjs --target=node20 --external:vscode \
    --sourcemap=inline --log-level=warning --outfile="$out"
  outs+=("$out")
done
mkdir -p dist && cp -n node_modules/sql.js/dist/sql-wasm.wasm dist/ 2>/dev/null || true
npx mocha --no-config --timeout 60000 "${outs[@]}"
