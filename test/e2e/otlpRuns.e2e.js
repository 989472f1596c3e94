// Issue 18: OpenTelemetry traces in the editor as a person sees them — a folder holding only the OTLP
// fixtures (test/fixtures/otlp, laid out by test/integration/otlp/suite.js: Collector JSONL, Python
// json-file JSONL, an OTLP/JSON document, ConsoleSpanExporter output, a hostile file, and the source
// file the Python span points at). The Runs view lists the traces as runs with their service names;
// the ingest-worker trace expands to its spans with the failing `validate` span (ValueError), which
// the Failures view lists too; clicking it opens ingest/validate.py at line 12. The dashboard's
// OpenTelemetry button saves the timeline's run through the save dialog as <run>.otlp.json.
// Screenshots: test-results/screenshots/otlp-runs.png, otlp-dashboard-export.png.
// @ts-check
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const cs = require('./codeserver');
const { test, openContainer, screenshot, row, unhover, until, openDashboard, widenSidebar } = require('./lib');

/** A folder named like a real project, filled as the in-host OTLP suite fills its workspace. */
function otlpFolder() {
  const dir = path.join(cs.WORK, 'otlp-e2e-src', 'otel-traces');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  require('../integration/otlp/suite.js').prepare(dir);
  // The hostile file (7 malformed lines, a run of link-shaped names) is the in-host suite's business;
  // the picture shows what a user's Collector output looks like.
  fs.rmSync(path.join(dir, 'hostile.otlp.jsonl'));
  return dir;
}

test('otlp: OpenTelemetry traces in the Runs and Failures views', { name: 'otlp-runs', workspace: otlpFolder(), timeoutMs: 150000 }, async (page, ctx) => {
  await openContainer(page, 'Flowlens');
  // A wider sidebar, so run descriptions (service name, counts) are readable in the screenshot.
  await widenSidebar(page, 720);
  // The ingest-worker trace (Python json-file exporter): a run named by its trace id.
  const ingest = row(page, 'Runs', 'e6b1d2c3a4f5061728394a5b6c7d8e9f');
  await ingest.waitFor({ timeout: 60000 });
  const text = (await ingest.innerText()).replace(/\s+/g, ' ');
  console.log(`       ${ctx.elapsed()} run row: ${text}`);
  assert.match(text, /ingest-worker/);
  assert.match(text, /3 flows/);
  await row(page, 'Runs', /5b8efff798038103d269b633813fc60c.*checkout/).waitFor({ timeout: 10000 });
  // Expand it: the root span `ingest` (failed: validation failed), then its children.
  await ingest.click();
  const root = row(page, 'Runs', /ingest.*validation failed/);
  await root.waitFor({ timeout: 10000 });
  if ((await root.getAttribute('aria-expanded')) !== 'true') await root.locator('.monaco-tl-twistie').click();
  const validate = row(page, 'Runs', /validate.*ValueError/);
  await validate.waitFor({ timeout: 10000 });
  await row(page, 'Runs', 'parse_rows').waitFor({ timeout: 10000 });
  console.log(`       failing span row: ${(await validate.innerText()).replace(/\s+/g, ' ')}`);
  // The Failures view lists the same span's exception; a click opens ingest/validate.py at line 12.
  const failure = row(page, 'Failures', /ValueError.*row 17: price is negative/);
  await failure.waitFor({ timeout: 15000 });
  await failure.click();
  await page.locator('.tabs-container .tab', { hasText: 'validate.py' }).first().waitFor({ timeout: 15000 });
  await page.locator('.editor-instance .line-numbers.active-line-number', { hasText: /^12$/ }).first().waitFor({ timeout: 10000 });
  await unhover(page, 1100, 820);
  console.log(`       screenshot: ${await screenshot(page, 'otlp-runs')}`);
});

test('otlp: the dashboard\'s OpenTelemetry button saves the timeline run as OTLP/JSON', { name: 'otlp-dashboard', workspace: otlpFolder(), timeoutMs: 150000 }, async (page, ctx) => {
  const frame = await openDashboard(page);
  // The timeline shows the latest run: the checkout trace 0af7… (the Collector file).
  const button = frame.locator('#timeline button', { hasText: 'OpenTelemetry' });
  await button.waitFor({ timeout: 30000 });
  await button.scrollIntoViewIfNeeded();
  await button.click();
  // No flowlens.otel.endpoint: straight to the save dialog (the workbench's simple dialog), <run>.otlp.json in the folder.
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 15000 });
  // The simple dialog fills its input in steps (folder, then the default name).
  const value = await until(async () => { const v = await input.inputValue(); return /\.json$/.test(v) ? v : undefined; }, { timeout: 15000, what: 'the save dialog to propose a .json name' })
    .catch(async (e) => { throw new Error(`${e.message}; input: ${await input.inputValue()}`); });
  console.log(`       ${ctx.elapsed()} save dialog: ${value}`);
  assert.match(value, /0af7651916cd43dd8448eb211c80319c\.otlp\.json$/);
  await input.press('Enter');
  const file = path.join(ctx.workspace, '0af7651916cd43dd8448eb211c80319c.otlp.json');
  await until(() => fs.existsSync(file) && fs.statSync(file).size > 0, { timeout: 15000, what: `${file} to be written` });
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const spans = doc.resourceSpans.flatMap((/** @type {any} */ r) => r.scopeSpans.flatMap((/** @type {any} */ s) => s.spans));
  assert.strictEqual(spans.length, 2);
  assert.ok(spans.every((/** @type {any} */ s) => s.attributes.some((/** @type {any} */ a) => a.key === 'flowlens.run.id' && a.value.stringValue === '0af7651916cd43dd8448eb211c80319c')));
  // The dashboard says where it went, and the notification offers Open / Reveal.
  await frame.locator('.toolbar .status', { hasText: /Exported .*0af7651916cd43dd8448eb211c80319c\.otlp\.json/ }).waitFor({ timeout: 10000 });
  await page.locator('.notification-toast', { hasText: /exported run 0af7651916cd43dd8448eb211c80319c \(2 spans\) as OTLP\/JSON/ }).first().waitFor({ timeout: 10000 });
  await unhover(page, 1100, 820);
  console.log(`       screenshot: ${await screenshot(page, 'otlp-dashboard-export')}`);
});
