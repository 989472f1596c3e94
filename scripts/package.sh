#!/usr/bin/env bash
# `npm run package`: the release artifacts, built from a staging copy so the dev build in dist/
# (source maps, tests) is left alone:
#   dist/flowlens-<version>.vsix   the extension (production bundles, whitelist .vscodeignore)
#   dist/flowlens-<version>.tgz    the command-line tool alone, for npx (bundled, no dependencies):
#                                  npx --package ./dist/flowlens-<version>.tgz flowlens runs PATH
# Fails when the .vsix is over 2 MB or ships source maps, TypeScript, tests or fixtures.
#   bash scripts/package.sh            build both, check them, print sizes and contents
#   bash scripts/package.sh --verify   also run the packed CLI through npx on examples/demo-app
#   bash scripts/package.sh --icon     re-render images/icon.png (128×128) from images/icon.svg
#                                      with headless chromium (apt-get install chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERIFY=0
for a in "$@"; do
  case $a in
    --verify) VERIFY=1 ;;
    --icon)
      html=$(mktemp --suffix=.html)
      { echo '<!doctype html><html><body style="margin:0;background:transparent">'; cat images/icon.svg; echo '</body></html>'; } > "$html"
      "${CHROMIUM:-chromium}" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --default-background-color=00000000 --window-size=128,128 \
        --screenshot="$ROOT/images/icon.png" "file://$html" 2>/dev/null
      rm -f "$html"; echo "package: wrote images/icon.png"; exit 0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done
say() { echo "package: $*"; }
[ -d node_modules ] || { say "node_modules is missing: run npm ci first"; exit 1; }

VERSION=$(node -p 'require("./package.json").version')
NAME=$(node -p 'require("./package.json").name')
# vsce rewrites the README's relative links against the repository; ours is not on GitHub.
REPO=$(node -p 'const r=require("./package.json").repository; (typeof r==="string"?r:r.url).replace(/^git\+/,"").replace(/\.git$/,"")')
VSIX=$ROOT/dist/$NAME-$VERSION.vsix
TGZ=$ROOT/dist/$NAME-$VERSION.tgz
STAGE=$ROOT/.ci/work/package
MAX_BYTES=$((2 * 1024 * 1024))

say "staging a production build in ${STAGE#$ROOT/}"
rm -rf "$STAGE"; mkdir -p "$STAGE/ext" "$STAGE/npm" "$ROOT/dist"
for f in src wasm media images examples prompts docs esbuild.mjs tsconfig.json package.json README.md LICENSE CHANGELOG.md .vscodeignore; do
  [ -e "$f" ] && cp -r "$f" "$STAGE/ext/"
done
ln -s "$ROOT/node_modules" "$STAGE/ext/node_modules"
(cd "$STAGE/ext" && node esbuild.mjs --production)

say "vsce package → ${VSIX#$ROOT/}"
rm -f "$VSIX"
(cd "$STAGE/ext" && "$ROOT/node_modules/.bin/vsce" package --no-dependencies --no-update-package-json \
  --baseContentUrl "$REPO/blob/HEAD" --baseImagesUrl "$REPO/raw/HEAD" -o "$VSIX" < /dev/null)

# What ships: nothing a user does not need (docs/style.md habit 14).
LIST=$(unzip -Z1 "$VSIX")
# The demo workspace (examples/demo-app) ships on purpose: Open Demo copies it (see .vscodeignore).
BAD=$(grep -v '^extension/examples/demo-app/' <<<"$LIST" | grep -E '\.map$|\.ts$|(^|/)(src|test|tests|fixtures|out|node_modules|bench|examples|scripts|\.ci)/|\.vsix$|\.tgz$' || true)
if [ -n "$BAD" ]; then say "the .vsix ships files it must not:"; sed 's/^/  /' <<<"$BAD"; exit 1; fi
for need in extension/package.json extension/dist/extension.js extension/dist/cli.js extension/dist/cliMain.js extension/dist/cliMcpSdk.js extension/dist/sql-wasm.wasm \
            extension/dist/indexWorker.js extension/dist/scanner.wasm \
            extension/images/icon.png extension/LICENSE.txt extension/CHANGELOG.md extension/readme.md; do
  grep -qxF "$need" <<<"$LIST" || grep -qixF "$need" <<<"$LIST" || { say "the .vsix lacks $need"; exit 1; }
done
# Every image the walkthrough shows must be in the package.
for img in $(node -p 'const p=require("./package.json"); (p.contributes.walkthroughs||[]).flatMap(w=>w.steps).map(s=>s.media&&(s.media.image||s.media.markdown||s.media.svg)).filter(x=>typeof x==="string").join(" ")'); do
  grep -qxF "extension/$img" <<<"$LIST" || { say "walkthrough media $img is not in the .vsix"; exit 1; }
done
BYTES=$(stat -c %s "$VSIX")
unzip -l "$VSIX" | sed 's/^/  /'
say "$(basename "$VSIX"): $BYTES bytes ($((BYTES / 1024)) KB; limit $((MAX_BYTES / 1024)) KB), wasm $(unzip -l "$VSIX" extension/dist/sql-wasm.wasm | awk 'NR==4{print $1}') + $(unzip -l "$VSIX" extension/dist/scanner.wasm | awk 'NR==4{print $1}') bytes"
[ "$BYTES" -le "$MAX_BYTES" ] || { say "the .vsix is over 2 MB"; exit 1; }

# The CLI as an npm package: the bundle already contains its dependencies, so the tarball
# declares none and npx runs it without touching the registry.
say "npm pack (CLI) → ${TGZ#$ROOT/}"
mkdir -p "$STAGE/npm/dist"
# The CLI proper and the MCP SDK (dist/cli.js is a bootstrap that loads them: src/cli/bin.ts), and
# the index worker and its scanner: the CLI indexes large files with them (src/core/read/index).
cp "$STAGE/ext/dist/cli.js" "$STAGE/ext/dist/cliMain.js" "$STAGE/ext/dist/cliMcpSdk.js" "$STAGE/ext/dist/sql-wasm.wasm" "$STAGE/ext/dist/indexWorker.js" "$STAGE/ext/dist/scanner.wasm" "$STAGE/npm/dist/"
chmod +x "$STAGE/npm/dist/cli.js"
cp README.md LICENSE CHANGELOG.md "$STAGE/npm/"
node -e '
  const p = require("./package.json");
  const out = { name: p.name, version: p.version, description: p.description, license: p.license,
    repository: p.repository, homepage: p.homepage, bugs: p.bugs, keywords: p.keywords,
    engines: { node: p.engines.node }, bin: p.bin,
    files: ["dist/cli.js", "dist/cliMain.js", "dist/cliMcpSdk.js", "dist/sql-wasm.wasm", "dist/indexWorker.js", "dist/scanner.wasm", "README.md", "LICENSE", "CHANGELOG.md"] };
  require("fs").writeFileSync(process.argv[1], JSON.stringify(out, null, 2) + "\n");
' "$STAGE/npm/package.json"
rm -f "$TGZ"
(cd "$STAGE/npm" && npm pack --silent --pack-destination "$ROOT/dist" > /dev/null)
[ -f "$TGZ" ] || { say "npm pack made no $TGZ"; exit 1; }
head -c 40 "$STAGE/npm/dist/cli.js" | grep -q '^#!/usr/bin/env node' || { say "dist/cli.js has no shebang"; exit 1; }
tar -tzf "$TGZ" | sed 's/^/  /'
say "$(basename "$TGZ"): $(stat -c %s "$TGZ") bytes"

if [ "$VERIFY" = 1 ]; then
  say "npx --package ./dist/$(basename "$TGZ") flowlens runs examples/demo-app --json"
  out=$(cd "$ROOT" && npx --yes --package "./dist/$(basename "$TGZ")" flowlens runs examples/demo-app --json)
  node -e 'const r=JSON.parse(process.argv[1]); if(!r.runs||!r.runs.length) process.exit(1); console.log("package: npx CLI listed "+r.runs.length+" runs")' "$out"
fi
say "done: ${VSIX#$ROOT/}, ${TGZ#$ROOT/}"
