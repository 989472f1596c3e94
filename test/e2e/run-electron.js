// The same in-host suite under desktop VS Code via @vscode/test-electron (2.5.x runs on Node 20).
// It downloads VS Code from Microsoft's update server, so it cannot run in this project's CI
// (npm registry and Debian packages only); use it on a machine that can. `npm run build` first.
//   node test/e2e/run-electron.js            (VSCODE_VERSION=1.100.3 by default)
// @ts-check
'use strict';
const fs = require('fs');
const path = require('path');
const { runTests } = require('@vscode/test-electron');
const { scratchWorkspace } = require('./lib');
const { ROOT, WORK } = require('./codeserver');

(async () => {
  const results = path.join(WORK, 'integration-results-electron.json');
  fs.mkdirSync(WORK, { recursive: true });
  fs.rmSync(results, { force: true });
  process.env.FLOWLENS_RESULTS = results;
  const workspace = scratchWorkspace('electron');
  let code = 0;
  try {
    await runTests({
      version: process.env.VSCODE_VERSION || '1.100.3',
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(ROOT, 'out', 'test', 'integration', 'index'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome'],
      extensionTestsEnv: { FLOWLENS_RESULTS: results },
    });
  } catch (e) { console.error(String(e)); code = 1; }
  const r = fs.existsSync(results) ? JSON.parse(fs.readFileSync(results, 'utf8')) : { passes: [], failures: [{ title: 'no results' }] };
  console.log(`integration (electron): ${r.passes.length} passed, ${r.failures.length} failed`);
  process.exit(code || r.failures.length ? 1 : 0);
})().catch(e => { console.error(e); process.exit(1); });
