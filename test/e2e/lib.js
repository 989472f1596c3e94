// Reusable helpers for UI (e2e) tests against a real VS Code (code-server) in headless chromium.
//
// A test file is test/e2e/<name>.e2e.js:
//
//   const { test, runCommand, openContainer, treeItem, screenshot } = require('./lib');
//   test('runs view lists the demo runs', async (page, ctx) => {
//     await openContainer(page, 'Flowlens');
//     await treeItem(page, /20261118T140000Z/).waitFor();
//     await screenshot(page, 'runs-view');
//   });
//
// `node test/e2e/run-e2e.js [files...]` runs every registered test one after another, each on a
// fresh page and a fresh scratch copy of examples/demo-app (live run re-stamped to now), against
// one shared code-server. The extension is loaded from source (this repo) unless E2E_VSIX names a
// packaged .vsix, which is then installed into that code-server (what a user gets).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const cs = require('./codeserver');
const { launch, openWorkbench, waitForWorkbench } = require('./workbench');

const ROOT = cs.ROOT;
const DEMO = path.join(ROOT, 'examples', 'demo-app');
const SHOTS = process.env.FLOWLENS_SCREENSHOTS || path.join(ROOT, 'test-results', 'screenshots');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

const registered = [];
/** Registers a UI test. opts: {viewport, workspace, timeoutMs}. */
function test(name, opts, fn) {
  if (typeof opts === 'function') { fn = opts; opts = {}; }
  registered.push({ name, opts, fn });
}

let seq = 0;
/**
 * Copies a workspace (default examples/demo-app) to .ci/work/ws/<slug> and re-stamps its
 * in-progress run to now, so every test starts from the same, "live" data.
 */
function scratchWorkspace(slug, from = DEMO) {
  // The folder keeps the source's name (demo-app) so the workbench shows what a user would see.
  const dir = path.join(cs.WORK, 'ws', `${slug.replace(/[^\w.-]+/g, '-').slice(0, 40)}-${process.pid}-${++seq}`, path.basename(from));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.cpSync(from, dir, { recursive: true });
  if (fs.existsSync(path.join(dir, '.autodev', 'runs'))) {
    const r = spawnSync('python3', [path.join(ROOT, 'scripts', 'make-demo.py'), 'refresh', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error('make-demo.py refresh failed: ' + r.stderr);
  }
  return dir;
}

const servers = new Map();
let browser;
/** One code-server per mode (source or a given .vsix), started on first use, stopped on exit. */
async function server(vsix) {
  const key = vsix || 'dev';
  if (!servers.has(key)) servers.set(key, cs.start({ name: vsix ? 'e2e-vsix' : 'e2e-dev', vsix }));
  return servers.get(key);
}

/** Stops the shared browser and servers (the runner calls this; process exit does it too). */
async function shutdown() {
  if (browser) await browser.close().catch(() => {});
  browser = undefined;
  for (const s of servers.values()) await (await s.catch(() => null))?.stop();
  servers.clear();
}

/**
 * Opens a workbench on a scratch copy of `workspace` (default the demo app) and calls
 * fn(page, ctx). The extension comes from `devExt` (default: this repo) or an installed `vsix`
 * (default: $E2E_VSIX). On failure a screenshot <name>-fail.png is saved and the error rethrown.
 * ctx = {workspace, server, name, mode ('dev'|'vsix'), errors (page errors), elapsed() since the workbench showed}.
 */
async function withWorkbench(opts, fn) {
  const name = opts.name || 'workbench';
  const vsix = opts.vsix !== undefined ? opts.vsix : process.env.E2E_VSIX;
  // E2E_DEV_EXT: load the extension from another checkout (e.g. an older build, to see a test fail).
  const devExt = vsix ? undefined : (opts.devExt || process.env.E2E_DEV_EXT || ROOT);
  const srv = await server(vsix);
  const workspace = scratchWorkspace(name, opts.workspace || DEMO);
  browser = browser || await launch();
  const context = await browser.newContext({ viewport: opts.viewport || { width: 1400, height: 860 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  if (process.env.VERBOSE) page.on('console', m => console.log('   [page]', m.type(), m.text().slice(0, 300)));
  try {
    const tOpen = Date.now();
    await openWorkbench(page, { port: srv.port, folder: workspace, devExt });
    await waitForWorkbench(page);
    const t0 = Date.now();
    const workbenchSeconds = (t0 - tOpen) / 1000;
    const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
    return await fn(page, { workspace, server: srv, name, mode: vsix ? 'vsix' : 'dev', errors, elapsed, workbenchSeconds });
  } catch (e) {
    await screenshot(page, `${name}-fail`).catch(() => {});
    throw e;
  } finally {
    await context.close().catch(() => {});
  }
}

/** Saves test-results/screenshots/<name>.png and returns its path. */
async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The command palette's input box (opened with F1 if needed). */
async function palette(page, text) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // An editor that opens or takes focus just after F1 (a reveal finishing, a file opened by the
  // step before) can close the palette between "visible" and "fill": open it again, up to 3 times.
  for (let attempt = 1; ; attempt++) {
    if (!(await input.isVisible())) await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10000 });
    try {
      await input.fill(text, { timeout: 5000 });
      return input;
    } catch (e) {
      if (attempt >= 3) throw e;
      console.log(`       palette closed before "${text}" was typed; opening it again`);
    }
  }
}

/** Titles of the command palette entries matching `query` (e.g. 'Flowlens:'); closes the palette. */
async function paletteCommands(page, query, { timeoutMs = 15000 } = {}) {
  await palette(page, '>' + query);
  const rows = page.locator('.quick-input-list .monaco-list-row');
  try { await rows.first().waitFor({ timeout: timeoutMs }); } catch { /* no match */ }
  await page.waitForTimeout(300);     // the list filters asynchronously
  const labels = await page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
  await page.keyboard.press('Escape');
  return labels.map(s => s.trim());
}

/**
 * Runs a command by its palette title, e.g. runCommand(page, 'Flowlens: Refresh'). Accepts the
 * full "Category: Title" text; waits for the exact row so a prefix never runs the wrong one.
 */
async function runCommand(page, title, { timeoutMs = 15000 } = {}) {
  await palette(page, '>' + title);
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: title }) }).first();
  await row.waitFor({ timeout: timeoutMs });
  await row.click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
}

/** Clicks the activity-bar icon whose aria-label starts with `title` (e.g. 'Flowlens'). */
async function openContainer(page, title, { timeoutMs = 30000 } = {}) {
  const icon = page.locator(`.activitybar [aria-label^="${title}"]`).first();
  await icon.waitFor({ timeout: timeoutMs });
  const checked = await icon.getAttribute('aria-checked').catch(() => null);
  const expanded = await icon.getAttribute('aria-expanded').catch(() => null);
  if (checked !== 'true' && expanded !== 'true') await icon.click();
  return icon;
}

/** A tree item by accessible name (string: substring match; or RegExp). */
function treeItem(page, name) {
  return page.getByRole('treeitem', { name }).first();
}

/** A status bar item containing `text`. */
function statusBarItem(page, text) {
  return page.locator('.statusbar-item', { hasText: text }).first();
}

/** Notifications toasts' texts currently shown. */
async function notifications(page) {
  return (await page.locator('.notification-toast .notification-list-item-message').allInnerTexts()).map(s => s.trim());
}

module.exports = {
  ROOT, DEMO, SHOTS, PKG, registered, test, scratchWorkspace, withWorkbench, shutdown, screenshot,
  palette, paletteCommands, runCommand, openContainer, treeItem, statusBarItem, notifications,
};
