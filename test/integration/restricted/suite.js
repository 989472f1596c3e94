// Restricted mode (Workspace Trust), run by `FLOWLENS_TESTS_DIR=restricted node test/e2e/run-ext-tests.js`:
// code-server keeps Workspace Trust on (no --disable-workspace-trust) and the user settings turn it
// on without a startup prompt, so the scratch copy of examples/demo-app opens UNTRUSTED. Its
// .vscode/settings.json names a trace outside the standard locations (flowlens.traceGlobs) and a
// path mapping to a folder outside the workspace (flowlens.pathMappings): neither may be honoured.
'use strict';
const fs = require('fs');
const path = require('path');

/** What restricted.test.ts reads back (kept in one place). */
const EXTRA_RUN = '20261123T000000Z-extra-glob';
const EXTRA_TRACE = 'logs/extra/flow-extra.jsonl';
const TRACE_GLOBS = ['logs/**/*.jsonl'];
const MAPPED_FROM = '/remote/app';
const OUTSIDE = '../outside-mapped';

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
  },
  EXTRA_RUN, EXTRA_TRACE, TRACE_GLOBS, MAPPED_FROM, OUTSIDE,
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
    }, null, 1));
  },
};
