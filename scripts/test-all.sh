#!/usr/bin/env bash
# `npm test`: every test tier, ending with one aggregate line `N passed, N failed`.
# Installs what is missing first (Debian packages, node_modules, code-server in .ci/code-server).
# Exits non-zero if any tier failed or could not run (a skip for a missing tool is a failure).
#   TIERS="unit integration" npm test     run only some tiers (names as printed below)
set -uo pipefail
{ # the whole script is parsed before it runs, so editing it mid-run cannot break a run
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/.ci/work
LOGS=$WORK/logs${FLOWLENS_CODE_SERVER:+-cs-$FLOWLENS_CODE_SERVER}   # per code-server pin when one is chosen (issue 17)
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
mkdir -p "$LOGS"
T_START=$(date +%s)
TOTAL_PASSED=0 TOTAL_FAILED=0
SUMMARY=()

step() { echo; echo "=== [$(date +%T)] $*"; }
want() { [ -z "${TIERS:-}" ] || [[ " $TIERS " == *" $1 "* ]]; }
record() {  # record NAME PASSED FAILED SECONDS [NOTE]
  TOTAL_PASSED=$((TOTAL_PASSED + $2)); TOTAL_FAILED=$((TOTAL_FAILED + $3))
  local line; line=$(printf '%-16s %3d passed, %d failed  %4ss %s' "$1" "$2" "$3" "$4" "${5:-}")
  SUMMARY+=("$line")
  if [ "$3" -gt 0 ]; then echo "!!! $1 FAILED ($3) — log: ${LOGS#$ROOT/}/$1.log"; fi
}

# tier NAME CMD...: runs CMD (time-limited), logs it, and counts its tests. A runner that prints
# "N passed, N failed" (ours) or mocha's "N passing"/"N failing" is counted per test; any other
# command counts as one check. A non-zero exit always counts as at least one failure.
tier() {
  local name=$1; shift
  want "$name" || return 0
  step "$name: $*"
  local log=$LOGS/$name.log t0=$SECONDS rc
  # Time limits keep a hung tier from stalling CI (a CPU-bound loop defeats mocha's own timeout).
  local limit=${TIER_TIMEOUT:-}
  [ -n "$limit" ] || limit=900
  timeout --kill-after=15 "$limit" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  local p f line
  line=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  if [ -n "$line" ]; then
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
  elif grep -Eq '^ *[0-9]+ passing' "$log"; then
    p=$(grep -Eo '^ *[0-9]+ passing' "$log" | tail -1 | tr -dc 0-9)
    f=$(grep -Eo '^ *[0-9]+ failing' "$log" | tail -1 | tr -dc 0-9); f=${f:-0}
  elif [ "$rc" -ne 0 ] && grep -q '✔' "$log"; then   # mocha cut short (timeout): count what it reported
    p=$(grep -c '✔' "$log"); f=$(grep -Ec '^ +[0-9]+\) ' "$log")
  elif [ "$rc" -eq 0 ]; then p=1 f=0
  else p=0 f=1
  fi
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  [ "$rc" -eq 124 ] && echo "!!! $name timed out after ${limit}s"
  echo "$name: $p passed, $f failed"
  record "$name" "$p" "$f" $((SECONDS - t0))
  return "$rc"
}

missing() {  # missing NAME WHY: a tier that cannot run is a failure, loudly
  echo "!!! $1 could not run: $2"
  echo "$1: 0 passed, 1 failed"
  record "$1" 0 1 0 "(could not run: $2)"
}

finish() {
  step "summary ($(( $(date +%s) - T_START ))s)"
  printf '  %s\n' "${SUMMARY[@]}"
  echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
  [ "$TOTAL_FAILED" -eq 0 ]
  exit $?
}

# ---------------------------------------------------------------- setup (installs what is missing)
step "setup"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }
need_apt=()
command -v chromium >/dev/null || [ -n "${CHROMIUM:-}" ] || need_apt+=(chromium)
if [ ! -x .ci/code-server/node_modules/.bin/code-server ]; then   # native modules build from source
  [ -e /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
  { command -v make && command -v g++; } >/dev/null || need_apt+=(build-essential)
fi
# Issue 17: the integration-1.104 and chat-ui tiers run on code-server 4.104.0 (VS Code 1.104) + Node 22 from npm,
# installed beside the default one (.ci/code-server-4.104, .ci/node22); it needs Debian's rg.
if { want integration-1.104 || want chat-ui; } && [ ! -x .ci/code-server-4.104/node_modules/.bin/code-server ]; then
  command -v rg >/dev/null || need_apt+=(ripgrep)
  [ -e /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
  { command -v make && command -v g++; } >/dev/null || need_apt+=(build-essential)
fi
command -v sqlite3 >/dev/null || need_apt+=(sqlite3)
command -v jq >/dev/null || need_apt+=(jq)
command -v python3 >/dev/null || need_apt+=(python3)
command -v curl >/dev/null || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "apt-get install ${need_apt[*]}"
  if ! { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"; } > "$LOGS/apt.log" 2>&1; then
    tail -20 "$LOGS/apt.log"; echo "!!! setup: could not install ${need_apt[*]} (need root or passwordless sudo)"
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "npm ci"; npm ci || { missing setup "npm ci failed"; finish; }
fi
[ -x .ci/code-server/node_modules/.bin/code-server ] || echo "installing code-server into .ci/code-server (first run only; a few minutes)"
node test/e2e/codeserver.js install > "$LOGS/code-server-install.log" 2>&1
cs_rc=$?
tail -1 "$LOGS/code-server-install.log"
[ $cs_rc -eq 0 ] || tail -45 "$LOGS/code-server-install.log"
[ $cs_rc -eq 0 ] || CS_MISSING="code-server install failed (see ${LOGS#$ROOT/}/code-server-install.log)"
if want integration-1.104 || want chat-ui; then
  [ -x .ci/code-server-4.104/node_modules/.bin/code-server ] || echo "installing code-server 4.104 + Node 22 into .ci/code-server-4.104, .ci/node22 (first run only; a few minutes)"
  FLOWLENS_CODE_SERVER=4.104 node test/e2e/codeserver.js install > "$LOGS/code-server-4.104-install.log" 2>&1
  cs_rc=$?
  tail -1 "$LOGS/code-server-4.104-install.log"
  [ $cs_rc -eq 0 ] || tail -45 "$LOGS/code-server-4.104-install.log"
  [ $cs_rc -eq 0 ] || CS104_MISSING="code-server 4.104 install failed (see ${LOGS#$ROOT/}/code-server-4.104-install.log)"
fi
# Issue 18: a real OTLP receiver for the unit tier's OTLP export tests (and integration-otlp's send) — autotel-devtools (npm, pinned in
# .ci/otel-receiver) on Node 22 from npm (.ci/node22). A test that finds it missing fails, never skips.
if want unit || want integration-otlp; then
  node scripts/otel-receiver.mjs install > "$LOGS/otel-receiver-install.log" 2>&1 \
    || { tail -20 "$LOGS/otel-receiver-install.log"; echo "!!! setup: the OTLP receiver could not be installed (the unit tier's OTLP tests will fail)"; }
  tail -1 "$LOGS/otel-receiver-install.log"
fi
HAVE_CHROMIUM=1; command -v "${CHROMIUM:-chromium}" >/dev/null || HAVE_CHROMIUM=0

# ---------------------------------------------------------------- build and static checks
if want build && ! tier build npm run -s build; then
  echo "!!! build failed: later tiers would test stale output; stopping"; finish
fi
# Issue 15: the committed index scanner (wasm/scanner/scanner.wasm) must be what its source builds to.
tier wasm node scripts/build-wasm.mjs --check
tier typecheck npx tsc --noEmit -p .
if [ -n "$(find media -name '*.ts' ! -name '*.d.ts' 2>/dev/null | head -1)" ]; then
  tier typecheck-media npx tsc --noEmit -p media
fi
tier typecheck-e2e npx tsc -p test/e2e
tier lint npm run -s lint
# The README settings table is generated from package.json: fail when it is stale (issue 9).
tier docs node scripts/settings-table.mjs --check

# ---------------------------------------------------------------- Node tiers
tier unit npx mocha
# Packaged before the bench, which reports the size of dist/*.vsix. The release artifact itself
# (`npm run package`, scripts/package.sh: production bundles from a staging copy, the .vsix
# whitelist, over 2 MB or shipping sources/maps/tests = failure), so the .vsix the e2e-vsix and
# demo tiers install is the one a user installs. (Until issue 15 round 9 this was a `vsce package`
# of the dev build: unminified, 2.02 MB, not what ships.)
VSIX=$ROOT/dist/flowlens-$(node -p 'require("./package.json").version').vsix
if want package || want e2e-vsix || want demo; then
  rm -f "$VSIX" "$ROOT/dist/flowlens.vsix"
  tier package bash scripts/package.sh
  [ -f "$VSIX" ] && echo "packaged: ${VSIX#$ROOT/} ($(du -k "$VSIX" | cut -f1) KB)"
fi
if [ -f dist/bench/bench.js ]; then
  tier bench npm run -s bench -- --quick
elif want bench && [ -n "$(find bench -name '*.ts' 2>/dev/null | head -1)" ]; then
  missing bench "bench/ has sources but the build made no dist/bench/bench.js"
fi

# ---------------------------------------------------------------- real VS Code tiers
vscode_tier() {  # vscode_tier NAME CMD...: needs code-server and chromium
  want "$1" || return 0
  if [ -n "${CS_MISSING:-}" ]; then missing "$1" "$CS_MISSING"; return; fi
  if [ "$HAVE_CHROMIUM" -eq 0 ]; then missing "$1" "chromium is not installed"; return; fi
  tier "$@"
}
# The in-host suite on VS Code 1.100 (the minimum engines.vscode): everything but the chat loop,
# which needs 1.104's language-model provider API and runs in integration-1.104 below.
FLOWLENS_GREP='^chat loop ' FLOWLENS_GREP_INVERT=1 vscode_tier integration node test/e2e/run-ext-tests.js
# Restricted mode: Workspace Trust on, the workspace untrusted (test/integration/restricted/suite.js).
FLOWLENS_TESTS_DIR=restricted vscode_tier integration-restricted node test/e2e/run-ext-tests.js
# Issue 16: a queue-only workspace (test/integration/telemetry/suite.js): the Telemetry view, the Runs welcome, the dashboard.
FLOWLENS_TESTS_DIR=telemetry vscode_tier integration-telemetry node test/e2e/run-ext-tests.js
# Issue 18: a workspace of OTLP files only (test/integration/otlp/suite.js): every view, the dashboard, ask.md and
# the LM tools on OpenTelemetry traces, and the editor's OTLP export (a file read back; a send to the real receiver).
FLOWLENS_TESTS_DIR=otlp vscode_tier integration-otlp node test/e2e/run-ext-tests.js
vscode_tier e2e node test/e2e/run-e2e.js
# Issue 17: the whole in-host suite again on VS Code 1.104 (code-server 4.104 + Node 22; the
# default pin is 1.100), with the fake model (test/fake-model) installed next to Flowlens, so the
# chat loop (test/integration/chatLoop.test.ts: prompt → participant → tool call → lm.invokeTool →
# answer) runs beside every other in-host test on the newer VS Code.
if want integration-1.104; then
  if [ -n "${CS104_MISSING:-}" ]; then missing integration-1.104 "$CS104_MISSING"
  else FLOWLENS_CODE_SERVER=4.104 FLOWLENS_TEST_EXTENSIONS=test/fake-model TEST_TIMEOUT_MS=600000 \
    vscode_tier integration-1.104 node test/e2e/run-ext-tests.js
  fi
fi
# Issue 17: `@flowlens …` typed into the real chat view, answered and screenshot (test/e2e/chat.e2e.js),
# with the fake model and its default participant installed (proposed APIs for that test extension only).
if want chat-ui; then
  if [ -n "${CS104_MISSING:-}" ]; then missing chat-ui "$CS104_MISSING"
  else FLOWLENS_CODE_SERVER=4.104 FLOWLENS_TEST_EXTENSIONS=test/fake-model E2E_LABEL=chat-ui \
    vscode_tier chat-ui node test/e2e/run-e2e.js test/e2e/chat.e2e.js
  fi
fi

if [ -f "$VSIX" ]; then
  E2E_VSIX=$VSIX vscode_tier e2e-vsix node test/e2e/run-e2e.js test/e2e/smoke.e2e.js
  DEMO_VSIX=$VSIX DEMO_SKIP_BUILD=1 vscode_tier demo bash scripts/demo.sh --check
else
  want e2e-vsix && missing e2e-vsix "no .vsix was packaged"
  want demo && missing demo "no .vsix was packaged"
fi

finish
}
