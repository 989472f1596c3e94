// Issue 16, "Grain/Assay queues are invisible in the editor": what a person sees in a queue-only
// folder (a scratch copy of test/fixtures/queue-only): the Runs view's welcome points to the
// Telemetry view, which lists both queues and expands to their rollups; the dashboard shows the
// Telemetry section instead of "No runs yet". Screenshots: test-results/screenshots/telemetry-*.png.
// @ts-check
'use strict';
const assert = require('assert');
const path = require('path');
const { test, openContainer, screenshot, row, unhover, runCommandWhenRegistered, dashboardFrame, widenSidebar } = require('./lib');

const QUEUE_ONLY = path.join(__dirname, '..', 'fixtures', 'queue-only');

test('telemetry: a queue-only folder shows its queues in the sidebar and the dashboard', { name: 'telemetry', workspace: QUEUE_ONLY, timeoutMs: 120000 }, async (page) => {
  await openContainer(page, 'Flowlens');
  // Wider sidebar so descriptions are readable in the screenshot.
  await widenSidebar(page, 520);
  const grain = row(page, 'Telemetry', '.grain/telemetry_queue.jsonl');
  await grain.waitFor({ timeout: 45000 });
  assert.match(await grain.innerText(), /Grain queue · 192 events/);
  await row(page, 'Telemetry', '.assay/telemetry_queue.jsonl').waitFor({ timeout: 5000 });
  // The Runs view's welcome says where the data is (no "No flow traces found … reads … queues").
  const runsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) });
  await runsPane.getByText('No flow runs here', { exact: false }).waitFor({ timeout: 15000 });
  assert.strictEqual(await runsPane.getByText('No flow traces found', { exact: false }).count(), 0);
  // Room for the Telemetry view in the screenshot: collapse the (empty) Failures view.
  const failuresHeader = page.locator('.pane-header', { hasText: 'Failures' }).first();
  if ((await failuresHeader.getAttribute('aria-expanded')) === 'true') await failuresHeader.click();
  // Expand the Grain queue and its phases.
  await grain.click();
  const phases = row(page, 'Telemetry', 'Phases');
  await phases.waitFor({ timeout: 10000 });
  await phases.click();
  await row(page, 'Telemetry', 'tasks done 38').waitFor({ timeout: 10000 });
  await unhover(page, 1000, 820);
  const shot = await screenshot(page, 'telemetry-view');
  console.log(`       screenshot: ${shot}`);

  await runCommandWhenRegistered(page, 'Flowlens: Open Dashboard');
  const frame = await dashboardFrame(page);
  await frame.locator('#stores h3', { hasText: '.grain/telemetry_queue.jsonl' }).waitFor({ timeout: 30000 });
  await frame.getByText('No flow runs here').waitFor({ timeout: 10000 });
  assert.strictEqual(await frame.getByText('No runs yet').count(), 0);
  await unhover(page, 1000, 820);
  console.log(`       screenshot: ${await screenshot(page, 'telemetry-dashboard')}`);
});
