// Restricted mode (Workspace Trust), run by `FLOWLENS_TESTS_DIR=restricted node test/e2e/run-ext-tests.js`:
// code-server keeps Workspace Trust on (no --disable-workspace-trust) and the user settings turn it
// on without a startup prompt, so the scratch copy of examples/demo-app opens UNTRUSTED. Its
// .vscode/settings.json names a trace outside the standard locations (flowlens.traceGlobs) and a
// path mapping to a folder outside the workspace (flowlens.pathMappings): neither may be honoured.
// Issue 13 (trust boundary) makes the workspace hostile too: a run folder that is a symlink to a
// directory OUTSIDE the workspace holding a valid trace (OUTSIDE_RUN), `.autodev/ra.yaml` a
// symlink to /dev/zero, a run whose trace.jsonl is a FIFO, a 100 MB (sparse) `flows.yaml`, a run
// whose evidence holds a password that its reason repeats, and settings that raise every limit
// (SQLite memory cap, run folders, events per source, live window) and reveal raw evidence in
// tooltips. Before code-server opens it, prepare() records every file's size and mtime (the
// workspace and the outside folders) in BEFORE_FILE, so the test can prove nothing was written.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

/** What restricted.test.ts reads back (kept in one place). */
const EXTRA_RUN = '20261123T000000Z-extra-glob';
const EXTRA_TRACE = 'logs/extra/flow-extra.jsonl';
const TRACE_GLOBS = ['logs/**/*.jsonl'];
const MAPPED_FROM = '/remote/app';
const OUTSIDE = '../outside-mapped';

/** The run reachable only through a symlinked run folder that leaves the workspace. */
const OUTSIDE_RUN = '20261123T010000Z-outside-symlink';
/** Beside the workspace (outside it): holds OUTSIDE_RUN's real folder. */
const OUTSIDE_ROOT = '../outside-run';
/** A run whose trace.jsonl is a FIFO (no writer: a blocking open or read would never return). */
const FIFO_RUN = '20261123T020000Z-fifo';
/** A standard run whose evidence holds PASSWORD under `password`, repeated in its reason. */
const SECRET_RUN = '20261123T030000Z-secret';
const PASSWORD = 'Rz9-restricted-pa55!word';
const FLOWS_YAML_BYTES = 100 * 1024 * 1024;
/** The port the untrusted workspace (and the user settings) ask the OTLP receiver to listen on: nothing may. */
const OTLP_PORT = 47318;
/** Where the untrusted workspace (and the user settings) ask the editor's OTLP export to send runs (flowlens.otel.endpoint): nothing may be sent. */
const OTLP_SINK_PORT = 47319;
/** What the workspace's .vscode/settings.json raises or reveals (all restricted settings). */
const RAISED = {
  'flowlens.sqlite.memoryCapMB': 65536,
  'flowlens.maxRunFolders': 10000000,
  'flowlens.maxEventsPerSource': 1000000000,
  'flowlens.liveWindowMinutes': 1000000,
  'flowlens.tooltips.showRawEvidence': true,
  'flowlens.otel.receiver.enabled': true,
  'flowlens.otel.receiver.port': OTLP_PORT,
  'flowlens.otel.endpoint': `http://127.0.0.1:${OTLP_SINK_PORT}`,
};
/** Snapshot taken by prepare(), next to the workspace. */
const BEFORE_FILE = '../restricted-before.json';

/** Every entry under `dir` (symlinks and FIFOs not followed) → "size:mtimeMs:kind". */
function snapshot(dir, out = {}) {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    const st = fs.lstatSync(p);
    if (d.isDirectory()) snapshot(p, out);
    else out[p] = `${st.size}:${st.mtimeMs}:${st.isSymbolicLink() ? 'link' : st.isFIFO() ? 'fifo' : 'file'}`;
  }
  return out;
}

/** The folders whose files must not change: the workspace and the folders beside it. */
function watchedDirs(workspace) {
  return [workspace, path.resolve(workspace, OUTSIDE_ROOT), path.resolve(workspace, OUTSIDE)];
}

function runLine(run, type, s, more) {
  return JSON.stringify({ v: 1, event_type: type, run_id: run, timestamp: new Date(Date.UTC(2026, 10, 23, 1, 0, s)).toISOString(), ...more });
}

function line(type, s, more) {
  return JSON.stringify({ v: 1, event_type: type, run_id: EXTRA_RUN, timestamp: new Date(Date.UTC(2026, 10, 23, 0, 0, s)).toISOString(), ...more });
}

module.exports = {
  name: 'integration-restricted',
  trust: true,
  settings: {
    'security.workspace.trust.enabled': true,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'always',
    'security.workspace.trust.untrustedFiles': 'open',
    // The user asks for the receiver too: Restricted Mode still never starts it.
    'flowlens.otel.receiver.enabled': true,
    'flowlens.otel.receiver.port': OTLP_PORT,
    // …and an endpoint for the OTLP export: Restricted Mode never sends there.
    'flowlens.otel.endpoint': `http://127.0.0.1:${OTLP_SINK_PORT}`,
  },
  EXTRA_RUN, EXTRA_TRACE, TRACE_GLOBS, MAPPED_FROM, OUTSIDE,
  OUTSIDE_RUN, OUTSIDE_ROOT, FIFO_RUN, SECRET_RUN, PASSWORD, FLOWS_YAML_BYTES, RAISED, BEFORE_FILE, OTLP_PORT, OTLP_SINK_PORT,
  snapshot, watchedDirs,
  prepare(workspace) {
    const extra = path.join(workspace, EXTRA_TRACE);
    fs.mkdirSync(path.dirname(extra), { recursive: true });
    fs.writeFileSync(extra, [
      line('session_start', 0, { app: 'extra' }),
      line('flow_start', 1, { flow: 'extra/only-by-glob', flow_id: 'x-1', file: 'only_mapped.py', line: 1 }),
      line('failure', 2, { flow: 'extra/only-by-glob', flow_id: 'x-1', failure_class: 'DATA.EXTRA', reason: 'read only through flowlens.traceGlobs', file: `${MAPPED_FROM}/only_mapped.py`, line: 1 }),
      line('session_end', 3, { status: 'failed' }),
    ].join('\n') + '\n');
    const outside = path.resolve(workspace, OUTSIDE);
    fs.mkdirSync(outside, { recursive: true });
    fs.writeFileSync(path.join(outside, 'only_mapped.py'), 'def only_mapped():\n    pass\n');
    fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({
      'flowlens.traceGlobs': TRACE_GLOBS,
      'flowlens.pathMappings': { [MAPPED_FROM]: OUTSIDE },
      ...RAISED,
    }, null, 1));

    const runs = path.join(workspace, '.autodev', 'runs');
    // A valid run outside the workspace, reachable only through a symlinked run folder.
    const outsideRun = path.join(path.resolve(workspace, OUTSIDE_ROOT), '.autodev', 'runs', OUTSIDE_RUN);
    fs.rmSync(path.resolve(workspace, OUTSIDE_ROOT), { recursive: true, force: true });
    fs.mkdirSync(outsideRun, { recursive: true });
    fs.writeFileSync(path.join(outsideRun, 'trace.jsonl'), [
      runLine(OUTSIDE_RUN, 'session_start', 0, { app: 'outside' }),
      runLine(OUTSIDE_RUN, 'flow_start', 1, { flow: 'outside/only-through-symlink', flow_id: 'o-1' }),
      runLine(OUTSIDE_RUN, 'failure', 2, { flow: 'outside/only-through-symlink', flow_id: 'o-1', failure_class: 'DATA.OUTSIDE', reason: 'read through a symlink that leaves the workspace' }),
      runLine(OUTSIDE_RUN, 'session_end', 3, { status: 'failed' }),
    ].join('\n') + '\n');
    fs.symlinkSync(outsideRun, path.join(runs, OUTSIDE_RUN));
    // ra.yaml → /dev/zero (endless), a FIFO trace, a 100 MB flows.yaml (valid start, sparse rest).
    fs.rmSync(path.join(workspace, '.autodev', 'ra.yaml'), { force: true });
    fs.symlinkSync('/dev/zero', path.join(workspace, '.autodev', 'ra.yaml'));
    fs.mkdirSync(path.join(runs, FIFO_RUN), { recursive: true });
    const mk = spawnSync('mkfifo', [path.join(runs, FIFO_RUN, 'trace.jsonl')], { encoding: 'utf8' });
    if (mk.status !== 0) throw new Error(`mkfifo failed: ${mk.stderr}`);
    const flowsYaml = path.join(workspace, '.autodev', 'flows.yaml');
    fs.writeFileSync(flowsYaml, 'version: 1\nflows:\n  - name: data/fetch/minute_candles\n');
    fs.truncateSync(flowsYaml, FLOWS_YAML_BYTES);
    // A standard run with a password in evidence, repeated in the reason (tooltips stay redacted).
    fs.mkdirSync(path.join(runs, SECRET_RUN), { recursive: true });
    fs.writeFileSync(path.join(runs, SECRET_RUN, 'trace.jsonl'), [
      runLine(SECRET_RUN, 'session_start', 0, { app: 'secret' }),
      runLine(SECRET_RUN, 'flow_start', 1, { flow: 'auth/login', flow_id: 's-1' }),
      runLine(SECRET_RUN, 'failure', 2, { flow: 'auth/login', flow_id: 's-1', failure_class: 'AUTH.DENIED', reason: `login failed with ${PASSWORD}`, evidence: { user: 'bob', password: PASSWORD } }),
      runLine(SECRET_RUN, 'session_end', 3, { status: 'failed' }),
    ].join('\n') + '\n');

    const before = {};
    for (const d of watchedDirs(workspace)) snapshot(d, before);
    fs.writeFileSync(path.resolve(workspace, BEFORE_FILE), JSON.stringify(before, null, 1));
  },
};
