// Flows in the Test Explorer, as a person sees them: the demo's b7d2 run made the latest, the
// Testing view lists the flows as a tree (data › fetch › minute_candles) with the failure's state,
// and "Go to Next Test Failure" opens the peek at trader/data/fetcher.py:15 with the message and
// the stack built from the trace. Screenshots: test-results/screenshots/testing-*.png.
// @ts-check
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { test, openContainer, screenshot, unhover } = require('./lib');

/** @typedef {import('playwright-core').Page} Page */

/**
 * The Test Explorer's row whose text contains `label` (the sidebar shows the Testing container).
 * @param {Page} page
 * @param {string} label
 */
function testRow(page, label) {
  // The labels used here are unique as substrings among the rows shown (data, fetch, minute_candles, indicators, ema, compute).
  return page.locator('.part.sidebar .monaco-list-row', { hasText: label }).first();
}

/**
 * Expands the Test Explorer's row labelled `label` (if it is collapsed).
 * @param {Page} page
 * @param {string} label
 */
async function expand(page, label) {
  const r = testRow(page, label);
  await r.waitFor({ timeout: 30000 });
  console.log(`       row ${JSON.stringify((await r.innerText()).replace(/\s+/g, ' '))} aria-label=${JSON.stringify(await r.getAttribute('aria-label'))}`);
  if ((await r.getAttribute('aria-expanded')) === 'false') await r.locator('.monaco-tl-twistie').click();
  return r;
}

test('testing: flows in the Test Explorer, a failure peeked at its line', { name: 'testing', timeoutMs: 180000 }, async (page, ctx) => {
  // The b7d2 run (v1) becomes the latest: the controller publishes it (the watcher sees the pointer move).
  const runs = path.join(ctx.workspace, '.autodev', 'runs');
  const b7d2 = fs.readdirSync(runs).find(n => n.endsWith('-b7d2'));
  assert.ok(b7d2, 'the demo has the b7d2 run');
  fs.writeFileSync(path.join(ctx.workspace, '.autodev', 'latest'), `runs/${b7d2}`);

  await openContainer(page, 'Testing');
  await expand(page, 'data');
  await expand(page, 'fetch');
  const leaf = testRow(page, 'minute_candles');
  await leaf.waitFor({ timeout: 30000 });
  // The failed state shows as the row's icon (codicon testing-failed-icon) once b7d2 is published.
  await leaf.locator('.codicon-testing-failed-icon').waitFor({ timeout: 45000 });
  await expand(page, 'indicators');
  await expand(page, 'ema');
  await testRow(page, 'compute').locator('[class*="codicon-testing-error-icon"], [class*="codicon-testing-failed-icon"]').first().waitFor({ timeout: 15000 });
  await unhover(page, 1000, 820);
  const tree = await screenshot(page, 'testing-explorer');
  console.log(`       screenshot ${tree}`);

  // A click on a failed test opens the peek at its failure (the workbench's tryPeekError): fetcher.py, line 15, message and stack.
  await leaf.click();
  await page.locator('.tab.active', { hasText: 'fetcher.py' }).waitFor({ timeout: 15000 });
  const peek = page.locator('.editor-group-container.active .peekview-widget').first();
  await peek.waitFor({ timeout: 15000 });
  const text = (await peek.innerText()).replace(/\s+/g, ' ');
  console.log(`       peek: ${text.slice(0, 200)}`);
  assert.match(text, /DATA\.EMPTY/);
  const activeLine = page.locator('.editor-group-container.active .line-numbers.active-line-number').first();
  const lineNo = (await activeLine.innerText()).trim();
  console.log(`       failure at line ${lineNo}`);
  assert.strictEqual(lineNo, '15');
  await unhover(page, 1000, 820);
  await screenshot(page, 'testing-peek');
});
