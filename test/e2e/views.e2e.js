// What a person sees: the Flowlens container on the demo workspace, a failing run expanded, a
// failure clicked open at its source line, the status bar, a palette command, Problems and the
// editor decorations. Screenshots of each view land in test-results/screenshots/views-*.png.
// @ts-check
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { test, openContainer, runCommand, screenshot, statusBarItem, row, settle, unhover: unhoverAt, widenSidebar } = require('./lib');

/** @typedef {import('playwright-core').Page} Page */

/**
 * Moves the mouse off the trees so no hover tooltip covers a screenshot.
 * @param {Page} page
 */
function unhover(page) {
  return unhoverAt(page, 1000, 820);
}

/**
 * Scrolls the (virtualised) tree of `view` until a row with `text` is rendered.
 * @param {Page} page
 * @param {string} view
 * @param {string | RegExp} text
 */
async function scrollTo(page, view, text, tries = 20) {
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: view }) });
  const target = row(page, view, text);
  for (let i = 0; i < tries; i++) {
    if (await target.isVisible()) return target;
    const box = await pane.locator('.monaco-list').first().boundingBox();
    if (!box) break;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 120);
    await settle(page);       // the list renders the scrolled rows on the next frame
  }
  // A loaded machine can render the expanded rows late: poll for them (not a sleep).
  await target.waitFor({ timeout: 15000 });
  return target;
}

/**
 * @param {Page} page
 * @param {string} view
 */
async function rowTexts(page, view) {
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: view }) });
  return (await pane.locator('.monaco-list-row').allInnerTexts()).map(s => s.replace(/\s+/g, ' ').trim());
}

/**
 * Appends a failure for the live run's open MSFT fetch, as the traced app would.
 * @param {string} workspace
 */
function failLiveRun(workspace) {
  const runs = path.join(workspace, '.autodev', 'runs');
  const id = fs.readdirSync(runs).find(n => n.endsWith('-live'));
  if (!id) throw new Error(`no live run in ${runs}`);
  const line = JSON.stringify({
    v: 1, event_type: 'failure', run_id: id, timestamp: new Date().toISOString(), flow: 'data/fetch/minute_candles',
    flow_id: 'f-0006', step: 'validate', tags: ['MSFT'], failure_class: 'DATA.EMPTY', severity: 'error',
    reason: 'vendor returned 0 rows for MSFT', evidence: { rows: 0, ticker: 'MSFT', http_status: 200 }, duration_ms: 182,
    file: 'trader/data/fetcher.py', line: 15, function: 'fetch_minute_candles',
  }) + '\n';
  fs.appendFileSync(path.join(runs, id, 'trace.jsonl'), line);
  fs.appendFileSync(path.join(workspace, '.autodev', 'trace.jsonl'), line);
  return id;
}

test('views: runs, failures, jump to code, status bar, palette, problems', { name: 'views', timeoutMs: 180000 }, async (page, ctx) => {
  await openContainer(page, 'Flowlens');
  await widenSidebar(page, 560);
  // Runs view: the newest run first, then the fixture runs with their counts.
  const live = row(page, 'Runs', '-live');
  await live.waitFor({ timeout: 45000 });
  const runs = await rowTexts(page, 'Runs');
  console.log(`       runs view: ${runs.length} rows; first: ${runs[0]}`);
  assert.ok(runs.length >= 5, 'runs are listed');
  // Both dialects of the b7d2 run are there (the tree is virtualised: scroll to them).
  await scrollTo(page, 'Runs', /runs\/20261119T140000Z-b7d2/);

  // Expand the failing b7d2 run (v1) and its premarket root flow.
  const b7d2 = row(page, 'Runs', /20261119T140000Z-b7d2.*trader · dev/);
  await b7d2.click();
  const prep = row(page, 'Runs', 'premarket/prepare');
  await prep.waitFor({ timeout: 10000 });
  await prep.locator('.monaco-tl-twistie').click();
  await scrollTo(page, 'Runs', 'vendor returned 0 rows for NVDA');
  await unhover(page);
  await screenshot(page, 'views-runs');

  // Failures view: click the folded DATA.EMPTY failure → fetcher.py opens at line 15.
  const fold = row(page, 'Failures', 'DATA.EMPTY · vendor returned 0 rows for NVDA');
  await fold.waitFor({ timeout: 15000 });
  await fold.click();
  await page.locator('.tab.active', { hasText: 'fetcher.py' }).waitFor({ timeout: 15000 });
  const activeLine = page.locator('.editor-group-container.active .line-numbers.active-line-number').first();
  await activeLine.waitFor({ timeout: 10000 });
  const lineNo = (await activeLine.innerText()).trim();
  console.log(`       clicked failure → fetcher.py, active line ${lineNo}`);
  assert.strictEqual(lineNo, '15');
  // CodeLens renders asynchronously (the inline failure note only comes with the live failure below).
  const editor = page.locator('.editor-group-container.active');
  await editor.locator('.codelens-decoration').first().waitFor({ state: 'attached', timeout: 15000 });
  await unhover(page);
  await screenshot(page, 'views-failure-opened');

  // Status bar: health of the latest (live, running) run; it turns red when the app appends a failure.
  const sb = statusBarItem(page, 'running');
  await sb.waitFor({ timeout: 10000 });
  const sbText = (await sb.innerText()).trim();
  console.log(`       status bar: ${JSON.stringify(sbText)}`);
  assert.match(sbText, /running/);
  failLiveRun(ctx.workspace);
  const failed = statusBarItem(page, '1 failed');
  await failed.waitFor({ timeout: 15000 });
  console.log(`       status bar after a live failure: ${JSON.stringify((await failed.innerText()).trim())}`);
  // The inline decoration (CSS ::after, so not DOM text) sits after the line's end: wrap lines
  // so the screenshot shows it.
  await runCommand(page, 'View: Toggle Word Wrap');
  // The note is an `after` decoration of the latest run's failure lines (CSS content, not text).
  await editor.locator('.view-line [class*="TextEditorDecorationType"]').first().waitFor({ state: 'attached', timeout: 15000 });
  await unhover(page);      // settles too: the editor lays out the wrapped lines on the next frame
  await screenshot(page, 'views-live-failure');

  // A command from the palette: regroup failures by class.
  await runCommand(page, 'Flowlens: Group Failures by Class');
  await row(page, 'Failures', 'DATA.MISSING_COLUMN').waitFor({ timeout: 10000 });
  const kerr = await scrollTo(page, 'Failures', /KeyError: 'ema_21'.*indicators\.py:22/);
  await kerr.click();
  // The click opens indicators.py and the editor takes the focus (a key press would race it):
  // once it has, expand the exception's stack frames with the twistie.
  await page.locator('.tab.active', { hasText: 'indicators.py' }).waitFor({ timeout: 15000 });
  if ((await kerr.getAttribute('aria-expanded')) !== 'true') await kerr.locator('.monaco-tl-twistie').click();
  await scrollTo(page, 'Failures', '<dictcomp>');
  await unhover(page);
  await screenshot(page, 'views-failures-by-class');

  // Failures only + Problems panel.
  await runCommand(page, 'Flowlens: Show Failures Only');
  // The Runs view's title then offers the way back (its `flowlens.failuresOnly` context key is set).
  await page.locator('.pane-header .action-label[aria-label^="Show All Flows"]').first().waitFor({ state: 'attached', timeout: 10000 });
  await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)').catch(() => runCommand(page, 'View: Toggle Problems (Errors, Warnings, Infos)'));
  await page.locator('.markers-panel .monaco-list-row').first().waitFor({ timeout: 10000 });
  await unhover(page);
  await screenshot(page, 'views-problems');
});

test('views: welcome view when the workspace has no traces', { name: 'views-welcome', workspace: emptyWorkspace() }, async (page) => {
  await openContainer(page, 'Flowlens');
  const welcome = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) }).locator('.welcome-view-content');
  await welcome.waitFor({ timeout: 30000 });
  const text = (await welcome.innerText()).replace(/\s+/g, ' ');
  console.log(`       welcome: ${text.slice(0, 100)}…`);
  assert.match(text, /No flow traces found/);
  await page.locator('.welcome-view-content a, .welcome-view-content .monaco-button', { hasText: 'Open Demo' }).first().waitFor();
  assert.strictEqual(await statusBarItem(page, 'Flowlens').isVisible(), false, 'no status bar item without traces');
  await unhover(page);
  await screenshot(page, 'views-welcome');
});

/** A folder with a README and no trace (created once per run under the OS temp dir). */
function emptyWorkspace() {
  const dir = path.join(require('os').tmpdir(), `flowlens-empty-${process.pid}`, 'no-traces');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'README.md'), '# An app without Flowlens traces\n');
  return dir;
}
