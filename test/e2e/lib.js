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
//
// Waits are on observable state, never on the clock: `until(predicate)` polls a condition,
// `settle(page|frame)` waits for painted frames with no CSS animation running, `unhover` for
// the hover to go, `stableBox` for a box that stopped moving. No fixed sleeps.
// @ts-check
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const cs = require('./codeserver');
const { launch, openWorkbench, waitForWorkbench } = require('./workbench');

const ROOT = cs.ROOT;
const DEMO = path.join(ROOT, 'examples', 'demo-app');
const SHOTS = process.env.FLOWLENS_SCREENSHOTS || path.join(ROOT, 'test-results', 'screenshots');
/**
 * The parts of package.json the tests read.
 * @typedef {object} PackageJson
 * @property {string} name
 * @property {string} publisher
 * @property {string} displayName
 * @property {{
 *   viewsContainers?: {activitybar?: {id: string, title: string}[]},
 *   views?: Record<string, {id: string, name: string, when?: string}[]>,
 *   commands?: {command: string, title: string, category?: string}[],
 *   walkthroughs?: {id: string, steps: {id: string, description: string, media: {image: string}}[]}[],
 * }} contributes
 */
/** @type {PackageJson} */
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').Frame} Frame */
/** @typedef {import('playwright-core').Locator} Locator */
/** @typedef {import('playwright-core').Browser} Browser */
/** @typedef {Awaited<ReturnType<typeof cs.start>>} Server */
/**
 * @typedef {object} TestOpts
 * @property {string} [name] slug for screenshots and the scratch workspace (default: the test name)
 * @property {{width: number, height: number}} [viewport]
 * @property {string} [workspace] folder copied as the test's workspace (default: the demo app)
 * @property {string} [devExt] load the extension from this folder (default: this repo)
 * @property {string} [vsix] install this .vsix instead (default: $E2E_VSIX)
 * @property {number} [timeoutMs]
 */
/**
 * @typedef {object} TestContext
 * @property {string} workspace the scratch workspace folder
 * @property {Server} server
 * @property {string} name
 * @property {'dev' | 'vsix'} mode
 * @property {string[]} errors page errors seen so far
 * @property {() => string} elapsed time since the workbench showed, e.g. "3.2s"
 * @property {number} workbenchSeconds
 */
/** @typedef {(page: Page, ctx: TestContext) => Promise<void>} TestFn */

/** @type {{name: string, opts: TestOpts, fn: TestFn}[]} */
const registered = [];
/**
 * Registers a UI test.
 * @overload
 * @param {string} name
 * @param {TestFn} fn
 * @returns {void}
 */
/**
 * @overload
 * @param {string} name
 * @param {TestOpts} opts
 * @param {TestFn} fn
 * @returns {void}
 */
/**
 * @param {string} name
 * @param {TestOpts | TestFn} opts
 * @param {TestFn} [fn]
 */
function test(name, opts, fn) {
  if (typeof opts === 'function') registered.push({ name, opts: {}, fn: opts });
  else if (fn) registered.push({ name, opts, fn });
  else throw new Error(`test "${name}" has no function`);
}

/**
 * Polls `predicate` (every `interval` ms) until it returns a truthy value, and returns that
 * value; throws "timed out after Ns waiting for <what>" after `timeout` ms. The one way to wait
 * for something outside the page (a file, a process) or a condition no locator expresses.
 * @template T
 * @param {() => T | Promise<T>} predicate
 * @param {{timeout?: number, interval?: number, what?: string}} [opts]
 * @returns {Promise<NonNullable<T>>}
 */
async function until(predicate, { timeout = 15000, interval = 100, what = 'a condition' } = {}) {
  const t0 = Date.now();
  for (;;) {
    const v = await predicate();
    if (v) return /** @type {NonNullable<T>} */ (v);
    if (Date.now() - t0 > timeout) throw new Error(`timed out after ${timeout / 1000}s waiting for ${what}`);
    await new Promise(r => setTimeout(r, interval));
  }
}

/**
 * Resolves once the page (or a frame, e.g. a webview) has painted two more animation frames and
 * no finite CSS animation or transition is running in it (a fade, a slide): what a screenshot
 * or a measurement needs after a change that renders on the next frame. Infinite animations
 * (spinners) are ignored. Gives up quietly after `timeout` ms (a running transition only spoils
 * a picture).
 * @param {Page | Frame} target
 * @param {{timeout?: number}} [opts]
 */
async function settle(target, { timeout = 5000 } = {}) {
  await target.evaluate((timeout) => new Promise((resolve) => {
    const t0 = performance.now();
    const check = () => {
      const running = document.getAnimations().filter(a => a.playState === 'running' &&
        a.effect?.getTiming().iterations !== Infinity);
      if (!running.length || performance.now() - t0 > timeout) resolve(undefined);
      else void Promise.race([Promise.all(running.map(a => a.finished.catch(() => undefined))),
        new Promise(r => setTimeout(r, timeout))]).then(() => requestAnimationFrame(check));
    };
    requestAnimationFrame(() => requestAnimationFrame(check));
  }), timeout);
}

/** Hovers and tooltips of the workbench that cover what a screenshot is meant to show. */
const HOVERS = '.monaco-hover:not(.hidden), .workbench-hover-container, .context-view .monaco-hover';

/**
 * Moves the mouse to (x, y), where nothing shows a hover, and waits until no hover or tooltip is
 * visible and its fade has ended (for screenshots).
 * @param {Page} page
 */
async function unhover(page, x = 900, y = 600) {
  await page.mouse.move(x, y);
  await page.locator(HOVERS).filter({ visible: true }).first().waitFor({ state: 'hidden', timeout: 5000 })
    .catch(() => { /* a hover left over spoils only the picture */ });
  await settle(page);
}

/**
 * The bounding box of `locator` once it has stopped moving (the same in two reads a frame or
 * more apart), e.g. after a scroll or a layout change, before it is used for mouse coordinates.
 * @param {Locator} locator
 * @param {{timeout?: number}} [opts]
 */
async function stableBox(locator, { timeout = 10000 } = {}) {
  /** @type {string | undefined} */
  let prev;
  return until(async () => {
    const box = await locator.boundingBox();
    const key = JSON.stringify(box);
    const same = box && key === prev;
    prev = key;
    return same ? box : null;
  }, { timeout, interval: 50, what: 'a box that stops moving' });
}

let seq = 0;
/**
 * Copies a workspace (default examples/demo-app) to .ci/work/ws/<slug> and re-stamps its
 * in-progress run to now, so every test starts from the same, "live" data.
 * @param {string} slug
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

/** @type {Map<string, Promise<Server>>} */
const servers = new Map();
/** @type {Browser | undefined} */
let browser;
/**
 * One code-server per mode (source or a given .vsix), started on first use, stopped on exit.
 * @param {string} [vsix]
 * @returns {Promise<Server>}
 */
async function server(vsix) {
  const key = vsix || 'dev';
  let srv = servers.get(key);
  if (!srv) servers.set(key, srv = cs.start({ name: vsix ? 'e2e-vsix' : 'e2e-dev', vsix }));
  return srv;
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
 * @param {TestOpts} opts
 * @param {TestFn} fn
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
  /** @type {string[]} */
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

/**
 * Saves test-results/screenshots/<name>.png and returns its path.
 * @param {Page} page
 * @param {string} name
 */
async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * The command palette's input box (opened with F1 if needed), with `text` typed into it.
 * @param {Page} page
 * @param {string} text
 */
async function palette(page, text) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // An editor that opens or takes focus just after F1 (a reveal finishing, a file opened by the
  // step before) can close the palette between "visible" and "fill", and a busy workbench can drop
  // the F1 itself (seen in CI: the palette never opened): open it again, up to 3 times.
  for (let attempt = 1; ; attempt++) {
    if (!(await input.isVisible())) await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 10000 });
      await input.fill(text, { timeout: 5000 });
      return input;
    } catch (e) {
      if (attempt >= 3) throw e;
      console.log(`       the palette was not open for "${text}" (try ${attempt}); opening it again`);
    }
  }
}

/**
 * Titles of the command palette entries matching `query` (e.g. 'Flowlens:'); closes the palette.
 * @param {Page} page
 * @param {string} query
 */
async function paletteCommands(page, query, { timeoutMs = 15000 } = {}) {
  await palette(page, '>' + query);
  const rows = page.locator('.quick-input-list .monaco-list-row');
  try { await rows.first().waitFor({ timeout: timeoutMs }); } catch { /* no match */ }
  // The list filters asynchronously: read it once it reads the same twice in a row.
  const labelsNow = () => page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
  /** @type {string | undefined} */
  let prev;
  const labels = await until(async () => {
    const now = await labelsNow();
    const same = JSON.stringify(now) === prev;
    prev = JSON.stringify(now);
    return same ? now : null;
  }, { timeout: 5000, what: 'the command palette list to stop changing' });
  await page.keyboard.press('Escape');
  return labels.map(s => s.trim());
}

/**
 * Runs a command by its palette title, e.g. runCommand(page, 'Flowlens: Refresh'). Accepts the
 * full "Category: Title" text; waits for the exact row so a prefix never runs the wrong one.
 * @param {Page} page
 * @param {string} title
 */
async function runCommand(page, title, { timeoutMs = 15000 } = {}) {
  await palette(page, '>' + title);
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: title }) }).first();
  await row.waitFor({ timeout: timeoutMs });
  await row.click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
}

/**
 * Runs a command that may not be registered yet (right after the window opens, before the
 * extension has activated): the open palette does not list commands registered after it opened,
 * so each try opens it afresh and waits `attemptMs` for the row, until `timeoutMs` has passed.
 * @param {Page} page
 * @param {string} title
 */
async function runCommandWhenRegistered(page, title, { timeoutMs = 60000, attemptMs = 5000 } = {}) {
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await runCommand(page, title, { timeoutMs: attemptMs });
      return;
    } catch (e) {
      await page.keyboard.press('Escape');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
      if (Date.now() - t0 > timeoutMs) throw e;
      console.log(`       no "${title}" row yet (try ${attempt}); asking again`);
    }
  }
}

/**
 * Clicks the activity-bar icon whose aria-label starts with `title` (e.g. 'Flowlens').
 * @param {Page} page
 * @param {string} title
 */
async function openContainer(page, title, { timeoutMs = 30000 } = {}) {
  const icon = page.locator(`.activitybar [aria-label^="${title}"]`).first();
  await icon.waitFor({ timeout: timeoutMs });
  const checked = await icon.getAttribute('aria-checked').catch(() => null);
  const expanded = await icon.getAttribute('aria-expanded').catch(() => null);
  if (checked !== 'true' && expanded !== 'true') await icon.click();
  return icon;
}

/**
 * A tree item by accessible name (string: substring match; or RegExp).
 * @param {Page} page
 * @param {string | RegExp} name
 */
function treeItem(page, name) {
  return page.getByRole('treeitem', { name }).first();
}

/**
 * A status bar item containing `text`.
 * @param {Page} page
 * @param {string | RegExp} text
 */
function statusBarItem(page, text) {
  return page.locator('.statusbar-item', { hasText: text }).first();
}

/**
 * Notifications toasts' texts currently shown.
 * @param {Page} page
 */
async function notifications(page) {
  return (await page.locator('.notification-toast .notification-list-item-message').allInnerTexts()).map(s => s.trim());
}

/**
 * A row of the tree under the view pane titled `view` whose text contains `text`.
 * @param {Page} page
 * @param {string} view
 * @param {string | RegExp} text
 */
function row(page, view, text) {
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: view }) });
  return pane.locator('.monaco-list-row', { hasText: text }).first();
}

/**
 * The dashboard webview's document: an iframe (active-frame) inside the webview's iframe.
 * @param {Page} page
 * @returns {Promise<Frame>}
 */
async function dashboardFrame(page, { timeoutMs = 30000 } = {}) {
  return until(async () => {
    for (const f of page.frames()) {
      if (await f.locator('#root[data-flowlens="dashboard"]').count().catch(() => 0)) return f;
    }
    return undefined;
  }, { timeout: timeoutMs, interval: 250, what: 'the dashboard webview frame' });
}

/**
 * Runs "Flowlens: Open Dashboard" (once the extension has registered it) and returns the
 * webview's frame once its flows table is shown.
 * @param {Page} page
 */
async function openDashboard(page) {
  await runCommandWhenRegistered(page, 'Flowlens: Open Dashboard');
  const frame = await dashboardFrame(page);
  await frame.locator('table.flows-table').waitFor({ timeout: 30000 });
  return frame;
}

/**
 * Records the view state a webview saves (`vscode.setState`). VS Code's webview host frame
 * (webview/browser/pre/index.html) forwards it to the workbench as a `do-update-state` message
 * on a MessagePort; the host frame's MessagePort.prototype.postMessage is wrapped to see it.
 * Returns a function giving the states recorded so far, newest last, as the JSON text the
 * webview saved.
 * @param {Frame} frame the webview's document (see dashboardFrame)
 * @returns {Promise<() => Promise<string[]>>}
 */
async function recordWebviewStates(frame) {
  const host = frame.parentFrame();
  if (!host) throw new Error('the webview frame has no host frame');
  await host.evaluate(() => {
    const w = /** @type {Window & {__flowlensStates?: string[]}} */ (window);
    if (w.__flowlensStates) return;
    const states = w.__flowlensStates = /** @type {string[]} */ ([]);
    const post = MessagePort.prototype.postMessage;
    /** @type {(this: MessagePort, message: any, ...rest: any[]) => void} */
    const recording = function (message, ...rest) {
      if (message && message.channel === 'do-update-state') states.push(String(message.data));
      return post.apply(this, /** @type {any} */ ([message, ...rest]));
    };
    MessagePort.prototype.postMessage = recording;
  });
  return () => host.evaluate(() => /** @type {Window & {__flowlensStates?: string[]}} */ (window).__flowlensStates || []);
}

/**
 * Drags the sidebar's edge so run and flow descriptions are readable.
 * @param {Page} page
 * @param {number} width
 */
async function widenSidebar(page, width) {
  const side = await page.locator('.part.sidebar').boundingBox();
  if (!side || side.width >= width) return;
  const x = side.x + side.width, y = side.y + side.height / 2;
  await page.mouse.move(x - 1, y);
  await page.mouse.down();
  await page.mouse.move(side.x + width, y, { steps: 8 });
  await page.mouse.up();
}

/**
 * A v1 trace of `flows` flows (flow_start, checkpoint, success|failure) for run `run`: ~800 bytes a
 * flow (the lines of indexing.e2e.js and indexingMany.e2e.js).
 * @param {string} file
 * @param {string} run
 * @param {number} t0
 * @param {number} flows
 */
function writeBigTrace(file, run, t0, flows) {
  const iso = (/** @type {number} */ ms) => new Date(ms).toISOString().replace('Z', '000Z');
  const line = (/** @type {object} */ o) => JSON.stringify(o).replace(/,"/g, ', "').replace(/":/g, '": ') + '\n';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, line({ v: 1, event_type: 'session_start', run_id: run, timestamp: iso(t0), app: 'trader', mode: 'bench' }));
  const tickers = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG'];
  let chunk = '';
  for (let i = 0; i < flows; i++) {
    const t = t0 + i * 10;
    const id = `f-${String(i).padStart(7, '0')}`;
    const ticker = tickers[i % tickers.length];
    const base = { v: 1, run_id: run, flow: 'data/fetch/minute_candles', flow_id: id, tags: [ticker] };
    chunk += line({ ...base, event_type: 'flow_start', timestamp: iso(t), correlation: { ticker }, file: 'trader/data/fetcher.py', line: 7 });
    chunk += line({ ...base, event_type: 'checkpoint', timestamp: iso(t + 2), step: 'request', evidence: { ticker, rows_requested: 390 }, file: 'trader/data/fetcher.py', line: 9 });
    chunk += i % 50 === 7
      ? line({ ...base, event_type: 'failure', timestamp: iso(t + 5), step: 'validate', failure_class: 'DATA.EMPTY', reason: `vendor returned 0 rows for ${ticker}`, duration_ms: 5, file: 'trader/data/fetcher.py', line: 15 })
      : line({ ...base, event_type: 'success', timestamp: iso(t + 5), step: 'validate', reason: 'rows >= 300', evidence: { rows: 390 }, duration_ms: 5, file: 'trader/data/fetcher.py', line: 22 });
    if (chunk.length > 4 << 20) { fs.appendFileSync(file, chunk); chunk = ''; }
  }
  fs.appendFileSync(file, chunk);
  return fs.statSync(file).size;
}

module.exports = {
  ROOT, DEMO, SHOTS, PKG, registered, test, scratchWorkspace, withWorkbench, shutdown, screenshot,
  until, settle, unhover, stableBox,
  palette, paletteCommands, runCommand, runCommandWhenRegistered, openContainer, treeItem, statusBarItem, notifications,
  row, dashboardFrame, openDashboard, recordWebviewStates, widenSidebar, writeBigTrace,
};
