// Three big run folders (~70 MB trace.jsonl each, all ≥ 32 MiB) in a fresh workspace: one load
// indexes the three, and Flowlens shows ONE progress notification over all of them (issue 15:
// "Flowlens: indexing 3 trace files in <folder> (X MB)" with "P% (k of 3 files)" and a Cancel
// button) instead of one per file. It goes away by itself when the index is done, nothing is
// partial, and the Runs view lists the three runs (beside the demo's two small runs the scratch copy needs).
// @ts-check
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const cs = require('./codeserver');
const { test, openContainer, screenshot, notifications, unhover, until, writeBigTrace } = require('./lib');

const RUNS = ['20261122T090000Z-alpha', '20261122T100000Z-beta', '20261122T110000Z-gamma'];

/** A workspace with the three run folders .autodev/runs/<id>/trace.jsonl. */
function manyWorkspace() {
  const dir = path.join(cs.WORK, 'ws', `indexing-many-${process.pid}`, 'big-runs');
  fs.rmSync(dir, { recursive: true, force: true });
  const sizes = RUNS.map((run, i) =>
    writeBigTrace(path.join(dir, '.autodev', 'runs', run, 'trace.jsonl'), run, Date.UTC(2026, 10, 22, 9 + i), 80_000));
  for (const s of sizes) assert.ok(s >= 32 * 1024 * 1024, `trace of ${s} bytes is under the 32 MiB notification threshold`);
  // lib.js re-stamps a scratch workspace that has .autodev/runs as the demo (scripts/make-demo.py
  // refresh), which needs the demo's template run and an aggregate trace: it adds a small live run.
  // Both small runs are far under the index threshold, so the notification counts the 3 big ones.
  const template = path.join(cs.ROOT, 'examples', 'demo-app', '.autodev', 'runs', '20261118T140000Z-a1c3');
  fs.cpSync(template, path.join(dir, '.autodev', 'runs', path.basename(template)), { recursive: true });
  fs.writeFileSync(path.join(dir, '.autodev', 'trace.jsonl'), '');
  return { dir, mb: sizes.map(s => s / 1024 / 1024) };
}

const many = manyWorkspace();
// The generated folder and the test's scratch copy of it are ~120 MB each: removed on exit.
const scratch = new Set([path.dirname(many.dir)]);
process.on('exit', () => { for (const d of scratch) fs.rmSync(d, { recursive: true, force: true }); });

test('indexing: three big run folders show ONE progress notification "(k of 3 files)"', { workspace: many.dir, timeoutMs: 240000 }, async (page, ctx) => {
  scratch.add(path.dirname(ctx.workspace));
  console.log(`       workspace traces: ${many.mb.map(m => m.toFixed(0)).join(' + ')} MB`);
  const toast = page.locator('.notification-toast', { hasText: 'Flowlens: indexing' });
  // The progress message comes with the first percent: wait for it, not just the title.
  const progress = toast.filter({ hasText: /\(\d of 3 files\)/ }).first();
  await progress.waitFor({ timeout: 60000 });
  const text = (await progress.innerText()).replace(/\s+/g, ' ');
  console.log(`       ${ctx.elapsed()} toast: "${text}"`);
  assert.match(text, /Flowlens: indexing 3 trace files in big-runs \(\d+ MB\)/, text);
  assert.match(text, /\d+% \([0-3] of 3 files\)/, text);
  const mb = Number(/\((\d+) MB\)/.exec(text)?.[1]);
  const total = many.mb.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(mb - total) <= 1, `title says ${mb} MB, the three traces are ${total.toFixed(1)} MB`);
  // One notification over the three files, not one per file.
  assert.strictEqual(await toast.count(), 1, 'expected one indexing notification, got: ' + (await notifications(page)).join(' | '));
  assert.ok(await progress.getByRole('button', { name: 'Cancel' }).isVisible(), 'the notification has no Cancel button');
  await screenshot(page, 'indexing-many-files');

  // Let it finish: record the progress messages on the way (file counts never go down), and the
  // notification goes away by itself.
  /** @type {string[]} */
  const seen = [];
  await until(async () => {
    const t = await toast.first().innerText({ timeout: 500 }).catch(() => '');
    const m = /(\d+)% \((\d) of 3 files\)/.exec(t);
    if (m && seen[seen.length - 1] !== m[0]) seen.push(m[0]);
    return (await toast.count()) === 0;
  }, { timeout: 180000, interval: 100, what: 'the indexing notification to go away' });
  console.log(`       ${ctx.elapsed()} done; progress seen: ${seen.join(' → ')}`);
  const counts = seen.map(s => Number(/\((\d) of/.exec(s)?.[1]));
  const pcts = seen.map(s => Number(/^(\d+)%/.exec(s)?.[1]));
  for (let i = 1; i < seen.length; i++) {
    assert.ok(counts[i] >= counts[i - 1] && pcts[i] >= pcts[i - 1], 'progress went backwards: ' + seen.join(' → '));
  }
  const after = (await notifications(page)).filter(m => /Flowlens/.test(m));
  assert.deepStrictEqual(after, [], 'unexpected Flowlens notifications: ' + after.join(' | '));
  assert.strictEqual(await page.locator('.statusbar-item', { hasText: 'partial' }).count(), 0, 'the status bar says partial');

  // The Runs view lists the three runs.
  await openContainer(page, 'Flowlens');
  for (const run of RUNS) {
    await page.locator('.sidebar .monaco-list-row', { hasText: run }).first().waitFor({ timeout: 30000 });
  }
  await unhover(page, 900, 600);
  await screenshot(page, 'indexing-many-done');
});
