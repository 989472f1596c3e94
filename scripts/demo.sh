#!/usr/bin/env bash
# `npm run demo`: Flowlens in a real VS Code (code-server) on the demo workspace, from a fresh clone.
# Installs what is missing (Debian packages, node_modules, code-server), builds, packages the .vsix,
# installs it into a local profile (.ci/work/demo), serves a scratch copy of examples/demo-app whose
# in-progress run is re-stamped to now and keeps growing, and runs until Ctrl-C.
#   PORT=9000 npm run demo             another port (default 8080)
#   DEMO_DESKTOP=1 npm run demo        desktop VS Code (`code` on PATH), extension loaded from source
#   npm run demo -- --check            start it, open it once headless, screenshot, exit 0 if it worked
# Env for tests: DEMO_VSIX=path (skip packaging), DEMO_SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CHECK=0
for a in "$@"; do
  case $a in
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
say() { echo "demo: $*"; }
mkdir -p .ci/work/logs

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
if [ "${DEMO_DESKTOP:-0}" != 1 ]; then
  if [ ! -x .ci/code-server/node_modules/.bin/code-server ]; then   # native modules build from source
    [ -e /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
    { command -v make && command -v g++; } >/dev/null || need_apt+=(build-essential)
  fi
  [ "$CHECK" = 1 ] && ! command -v chromium >/dev/null && [ -z "${CHROMIUM:-}" ] && need_apt+=(chromium)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing Debian packages: ${need_apt[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" > .ci/work/logs/demo-apt.log
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"; npm ci
fi

# A scratch copy, so the demo never edits the committed example; its live run is re-stamped to now.
WS_PARENT=$ROOT/.ci/work/demo-ws
WS=$WS_PARENT/demo-app
rm -rf "$WS_PARENT"; mkdir -p "$WS_PARENT"; cp -r examples/demo-app "$WS"
python3 scripts/make-demo.py refresh "$WS"

if [ "${DEMO_SKIP_BUILD:-0}" != 1 ]; then say "build"; npm run -s build; fi

if [ "${DEMO_DESKTOP:-0}" = 1 ] && command -v code >/dev/null; then
  say "opening desktop VS Code with the extension loaded from source"
  code --new-window --extensionDevelopmentPath="$ROOT" "$WS"
  exec python3 scripts/make-demo.py refresh "$WS" --follow 5
fi

say "code-server"
node test/e2e/codeserver.js install
VSIX=${DEMO_VSIX:-}
if [ -z "$VSIX" ]; then
  VSIX=$ROOT/.ci/work/flowlens-demo.vsix
  say "packaging $VSIX"
  ./node_modules/.bin/vsce package --no-dependencies -o "$VSIX" \
    --baseContentUrl https://example.invalid/flowlens/flowlens/blob/HEAD \
    --baseImagesUrl https://example.invalid/flowlens/flowlens/raw/HEAD < /dev/null > .ci/work/logs/demo-vsce.log 2>&1 \
    || { cat .ci/work/logs/demo-vsce.log; exit 1; }
fi

if [ "$CHECK" = 1 ]; then
  exec node test/e2e/demo-check.js "$WS" "$VSIX" "${PORT:-}"
fi

# Keep the in-progress run growing while the demo runs (one event every 5 s, never session_end).
python3 scripts/make-demo.py refresh "$WS" --follow 5 &
FOLLOWER=$!
trap 'kill $FOLLOWER 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
node test/e2e/codeserver.js serve demo "${PORT:-8080}" "$WS" "$VSIX"
