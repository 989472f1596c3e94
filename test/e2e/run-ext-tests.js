// In-host integration tests: VS Code runs out/test/integration/index.js (extensionTestsPath)
// inside code-server's real extension host, on a scratch copy of examples/demo-app, with this
// repo loaded as the development extension. The exit code arrives through
// window.codeAutomationExit (the hook @vscode/test-web uses); results through $FLOWLENS_RESULTS.
//   node test/e2e/run-ext-tests.js          (FLOWLENS_GREP=pattern to run a subset, FLOWLENS_GREP_INVERT=1 to leave it out, VERBOSE=1 for host logs)
// FLOWLENS_TESTS_DIR=<dir> runs the separate suite test/integration/<dir>/ instead (its own
// index.ts; the default suite skips such folders); its optional suite.js exports
// {name, trust, settings, prepare(workspace)} for the code-server profile and the scratch workspace.
// @ts-check
'use strict';
const fs = require('fs');
const path = require('path');
const cs = require('./codeserver');
const { launch, openWorkbench } = require('./workbench');
const { scratchWorkspace, screenshot } = require('./lib');

const TIMEOUT = +(process.env.TEST_TIMEOUT_MS || 300000);
const SUITE_DIR = process.env.FLOWLENS_TESTS_DIR || '';
const TESTS = path.join(cs.ROOT, 'out', 'test', 'integration', SUITE_DIR, 'index');
const SUITE_JS = path.join(cs.ROOT, 'test', 'integration', SUITE_DIR, 'suite.js');
const suite = SUITE_DIR && fs.existsSync(SUITE_JS) ? require(SUITE_JS) : {};
const NAME = suite.name || (SUITE_DIR ? `integration-${SUITE_DIR}` : 'integration');

(async () => {
  const t0 = Date.now();
  if (!fs.existsSync(TESTS + '.js')) throw new Error(`${TESTS}.js is missing: run \`npm run build\` first`);
  const results = path.join(cs.WORK, `${NAME}-results.json`);
  fs.mkdirSync(cs.WORK, { recursive: true });
  fs.rmSync(results, { force: true });
  /** @type {Record<string, string>} */
  const env = { FLOWLENS_RESULTS: results };
  if (process.env.FLOWLENS_GREP) env.FLOWLENS_GREP = process.env.FLOWLENS_GREP;
  if (process.env.FLOWLENS_GREP_INVERT) env.FLOWLENS_GREP_INVERT = process.env.FLOWLENS_GREP_INVERT;
  // The main suite writes the activation timing here; `npm run bench` prints it (issue #7, target 6).
  if (!SUITE_DIR) env.FLOWLENS_ACTIVATION_REPORT = path.join(cs.ROOT, 'out', 'activation.json');
  const srv = await cs.start({ name: SUITE_DIR ? `it-${SUITE_DIR}` : 'it', env, trust: suite.trust, settings: suite.settings });
  const workspace = scratchWorkspace(NAME);
  if (suite.prepare) suite.prepare(workspace);
  const browser = await launch();
  /** @type {number | 'timeout' | undefined} */
  let code;
  /** @type {string[]} */
  const consoleLog = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    /** @type {(code: number) => void} */
    let done = () => {};
    /** @type {Promise<number>} */
    const exited = new Promise(r => (done = r));
    await page.exposeFunction('codeAutomationExit', (/** @type {number} */ c) => done(c));
    // The extension host's console (mocha's spec reporter included) is forwarded to the page's.
    page.on('console', m => {
      const line = `[${m.type()}] ${m.text().slice(0, 2000)}`;
      consoleLog.push(line);
      if (process.env.VERBOSE) console.log('   ' + line.slice(0, 500));
    });
    await openWorkbench(page, { port: srv.port, folder: workspace, devExt: cs.ROOT, testsPath: TESTS });
    code = await Promise.race([exited, new Promise(/** @param {(v: 'timeout') => void} r */ r => setTimeout(() => r('timeout'), TIMEOUT))]);
    if (code !== 0) await screenshot(page, `${NAME}-fail`).catch(() => {});
    fs.writeFileSync(path.join(cs.WORK, `${NAME}-console.log`), consoleLog.join('\n') + '\n');
  } finally {
    await browser.close().catch(() => {});
    await srv.stop();
  }
  let passed = 0, failed = 0;
  if (fs.existsSync(results)) {
    const r = JSON.parse(fs.readFileSync(results, 'utf8'));
    for (const t of r.passes) console.log('  ok  ', t);
    for (const f of r.failures) console.log('  FAIL', f.title, '\n       ' + f.err.split('\n').slice(0, 4).join('\n       '));
    passed = r.passes.length; failed = r.failures.length;
  } else {
    console.log(`  FAIL no results file: the host ${code === 'timeout' ? `did not finish within ${TIMEOUT / 1000}s` : `exited with ${code}`}` +
      ` (see ${path.join(cs.WORK, `${NAME}-console.log`)} and ${path.join(srv.dir, 'cs.log')})`);
  }
  if (code !== 0 && failed === 0) failed = 1;     // timeout or host crash after writing results
  if (passed === 0 && failed === 0) failed = 1;
  console.log(`${NAME}: ${passed} passed, ${failed} failed (${((Date.now() - t0) / 1000).toFixed(1)}s; host exit ${code})`);
  process.exit(failed ? 1 : 0);
})().catch(e => { console.error(e); console.log(`${NAME}: 0 passed, 1 failed`); process.exit(1); });
