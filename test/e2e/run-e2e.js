// Runs UI tests (test/e2e/*.e2e.js, or the files given) one after another against a real
// VS Code (code-server) in headless chromium; prints `e2e: N passed, N failed`.
//   node test/e2e/run-e2e.js                         extension loaded from source
//   E2E_VSIX=flowlens.vsix node test/e2e/run-e2e.js  extension installed from a packaged .vsix
//   E2E_GREP=smoke node test/e2e/run-e2e.js          only tests whose name contains "smoke"
// @ts-check
'use strict';
const fs = require('fs');
const path = require('path');
const lib = require('./lib');

const TEST_TIMEOUT = +(process.env.E2E_TEST_TIMEOUT_MS || 120000);
const LABEL = process.env.E2E_LABEL || (process.env.E2E_VSIX ? 'e2e (installed .vsix)' : 'e2e');

/**
 * @param {Promise<unknown>} promise
 * @param {number} ms
 * @param {string} what
 */
function withTimeout(promise, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  return Promise.race([promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000}s`)), ms); })]);
}

(async () => {
  const args = process.argv.slice(2);
  const files = args.length ? args.map(f => path.resolve(f))
    : fs.readdirSync(__dirname).filter(f => f.endsWith('.e2e.js')).sort().map(f => path.join(__dirname, f));
  for (const f of files) require(f);
  const grep = process.env.E2E_GREP;
  const tests = lib.registered.filter(t => !grep || t.name.includes(grep));
  let passed = 0, failed = 0;
  const t0 = Date.now();
  for (const t of tests) {
    const s = Date.now();
    const slug = t.opts.name || t.name;
    try {
      await withTimeout(lib.withWorkbench({ ...t.opts, name: slug }, t.fn), t.opts.timeoutMs || TEST_TIMEOUT, t.name);
      passed++;
      console.log(`  ok   ${t.name} (${((Date.now() - s) / 1000).toFixed(1)}s)`);
    } catch (e) {
      failed++;
      console.log(`  FAIL ${t.name} (${((Date.now() - s) / 1000).toFixed(1)}s)\n       ${String(e instanceof Error && e.stack || e).split('\n').slice(0, 6).join('\n       ')}`);
    }
  }
  await lib.shutdown();
  if (!tests.length) { console.log(`${LABEL}: no tests found`); failed++; }
  console.log(`${LABEL}: ${passed} passed, ${failed} failed (${((Date.now() - t0) / 1000).toFixed(1)}s; screenshots in ${path.relative(process.cwd(), lib.SHOTS) || '.'})`);
  process.exit(failed ? 1 : 0);
})().catch(async e => { console.error(e); await lib.shutdown(); console.log(`${LABEL}: 0 passed, 1 failed`); process.exit(1); });
