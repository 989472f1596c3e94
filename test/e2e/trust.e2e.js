// Trust boundary in a real VS Code (issue 13, class 1: commands from trace text). A workspace
// whose trace has a failure whose `file` is a Markdown link to
// workbench.action.terminal.sendSequence ("touch <SENTINEL>\n", URL-encoded JSON args) and whose
// reason and flow name hold `[x](command:workbench.action.terminal.new)`. A terminal is opened
// first (sendSequence types into the active terminal: without one the attack does nothing, so
// the test could not fail), and a control proves that terminal runs what is typed into it.
// Then the failure is clicked in the Failures view: the file does not exist, so Flowlens says it
// cannot find it. Checked with real clicks: the toast holds no `command:` link; clicking every
// link and non-Flowlens button in it, and its message text, creates no SENTINEL and opens no
// terminal. "Nothing ran" is observed through an ordering barrier, not a sleep: after the clicks
// `touch <BARRIER>` is typed into the terminal; once BARRIER exists, anything sent to that
// terminal before it has run too. The failure's tooltip (hover) renders no command link either.
// Screenshots: test-results/screenshots/trust-cannot-find.png, trust-tooltip.png.
// @ts-check
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { test, openContainer, runCommand, screenshot, ROOT, row, until } = require('./lib');

/** @typedef {import('playwright-core').Page} Page */

const RUN = '20261206T120000Z-trust';
const CLASS = 'TRUST.LINK';
const STAMP = `${process.pid}-${Date.now()}`;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), `flowlens-trust-${STAMP}-`));
/** Created only if the trace's sendSequence link ran. */
const SENTINEL = path.join(TMP, 'SENTINEL');
/** Created by typing into the terminal ourselves: proves the terminal runs what it is sent. */
const CONTROL = path.join(TMP, 'CONTROL');
/** Typed after the clicks: once it exists, any earlier sendSequence has run. */
const BARRIER = path.join(TMP, 'BARRIER');

const sendSequence = `command:workbench.action.terminal.sendSequence?${encodeURIComponent(JSON.stringify({ text: `touch ${SENTINEL}\n` }))}`;
const FILE = `[Locate the file](${sendSequence})`;
const NEW_TERMINAL = '[x](command:workbench.action.terminal.new)';
const REASON = `vendor said ${NEW_TERMINAL} and [Locate the file](${sendSequence})`;
const FLOW = `trust/${NEW_TERMINAL}`;

/** A source folder (lib copies it per test) holding the one hostile run. */
function trustApp() {
  const dir = path.join(ROOT, '.ci', 'work', 'trust-src', 'trust-app');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, '.autodev'), { recursive: true });
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  let s = 0;
  const ev = (/** @type {string} */ type, /** @type {object} */ more) => JSON.stringify({ v: 1, event_type: type, run_id: RUN, timestamp: new Date(Date.UTC(2026, 11, 6, 12, 0, s++)).toISOString(), ...more });
  fs.writeFileSync(path.join(dir, '.autodev', 'trace.jsonl'), [
    ev('session_start', { app: 'trust-app' }),
    ev('flow_start', { flow: FLOW, flow_id: 't-1', step: 'fetch', file: FILE, line: 3 }),
    ev('failure', { flow: FLOW, flow_id: 't-1', step: 'fetch', failure_class: CLASS, severity: 'error', reason: REASON, evidence: { hint: NEW_TERMINAL }, file: FILE, line: 3, function: 'fetch', duration_ms: 5 }),
    ev('session_end', { status: 'failed' }),
  ].join('\n') + '\n');
  // Terminal tabs always shown, so a terminal the trace opened is a countable tab.
  fs.writeFileSync(path.join(dir, '.vscode', 'settings.json'), JSON.stringify({ 'terminal.integrated.tabs.hideCondition': 'never', 'terminal.integrated.tabs.enabled': true }, null, 1));
  return dir;
}

/**
 * Terminals open in the panel (the tabs list is always shown, see trustApp).
 * @param {Page} page
 */
function terminalCount(page) {
  return page.locator('.terminal-tabs-entry').count();
}

/**
 * Types a shell line into the active terminal (focused through the palette).
 * @param {Page} page
 * @param {string} line
 */
async function typeInTerminal(page, line) {
  await runCommand(page, 'Terminal: Focus Terminal');
  await page.locator('.terminal-wrapper.active .xterm-helper-textarea, .xterm-helper-textarea').first().focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/**
 * What a rendered element offers as a link: every <a> (href and data-href), and anything with a
 * command: URL. Runs in the page (locator.evaluate).
 * @param {Element} root
 */
function linksIn(root) {
  /** @type {{tag: string, href: string, dataHref: string, text: string}[]} */
  const out = [];
  for (const el of root.querySelectorAll('a, [href], [data-href]')) {
    out.push({ tag: el.tagName.toLowerCase(), href: el.getAttribute('href') || '', dataHref: el.getAttribute('data-href') || '', text: (el.textContent || '').slice(0, 80) });
  }
  return out;
}

test('trust: a command: link in a trace never runs from the "cannot find" notification or a tooltip', { name: 'trust', timeoutMs: 240000, workspace: trustApp() }, async (page, ctx) => {
  // The attack's precondition: an open terminal that runs what it is sent (control).
  // Right after the window opens the terminal's commands may not be registered yet (seen once in
  // CI: no palette row in 15 s): ask again, up to three times.
  for (let attempt = 1; ; attempt++) {
    try {
      await runCommand(page, 'Terminal: Create New Terminal');
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
      await page.keyboard.press('Escape');
      console.log(`       no "Terminal: Create New Terminal" row yet (try ${attempt}); asking again`);
    }
  }
  await page.locator('.terminal-wrapper .xterm').first().waitFor({ timeout: 30000 });
  await typeInTerminal(page, `touch ${CONTROL}`);
  await until(() => fs.existsSync(CONTROL), { timeout: 30000, what: 'the control file typed into the terminal' });
  const terminalsBefore = await terminalCount(page);
  console.log(`       control: the terminal ran \`touch\` (${terminalsBefore} terminal tab(s))`);
  assert.ok(terminalsBefore >= 1, 'the terminal tab is listed (else "no new terminal" could not fail)');

  // The failure in the Failures view; its file does not exist → "cannot find" notification.
  await openContainer(page, 'Flowlens');
  const failure = row(page, 'Failures', CLASS);
  await failure.waitFor({ timeout: 60000 });
  await failure.click();
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /Flowlens/ }).first();
  await toast.waitFor({ timeout: 15000 });
  // Fully shown (the toast fades in) before it is read and photographed.
  await page.locator('.notifications-toasts .notification-toast.notification-fade-in-done', { hasText: /Flowlens/ }).first().waitFor({ timeout: 10000 });
  const message = toast.locator('.notification-list-item-message').first();
  const text = (await message.innerText()).trim();
  console.log(`       toast: ${JSON.stringify(text.slice(0, 300))}`);
  const shot = await screenshot(page, 'trust-cannot-find');
  console.log(`       screenshot ${path.relative(ROOT, shot)}`);

  const links = await toast.evaluate(linksIn);
  console.log(`       links in the toast: ${JSON.stringify(links)}`);
  const commandLinks = links.filter(l => /command:/i.test(l.href) || /command:/i.test(l.dataHref));
  const problems = [];
  if (commandLinks.length) problems.push(`the toast renders ${commandLinks.length} command: link(s): ${JSON.stringify(commandLinks)}`);

  // Click every link, then the message text, then every button that is not a Flowlens action
  // (Locate… opens a file dialog: it is the product's own action, not trace text).
  const anchors = toast.locator('.notification-list-item-message a');
  for (let i = (await anchors.count()) - 1; i >= 0; i--) {
    if (await anchors.nth(i).isVisible()) await anchors.nth(i).click({ timeout: 5000 }).catch(e => problems.push(`link ${i} not clickable: ${e.message.split('\n')[0]}`));
  }
  if (await message.isVisible()) await message.click({ position: { x: 4, y: 4 }, timeout: 5000 });
  // Locate… opens the OS file dialog (the user picks a file): not clicked. Any other button is,
  // and what it shows (e.g. a quick pick of the paths tried) must not offer a command link either.
  const buttons = toast.locator('.notification-list-item-buttons-container .monaco-button');
  const labels = (await buttons.allInnerTexts()).map(s => s.trim());
  const clickedButtons = [];
  for (const label of labels) {
    if (/^Locate/.test(label)) continue;
    const b = toast.locator('.notification-list-item-buttons-container .monaco-button', { hasText: label }).first();
    if (!(await b.isVisible())) continue;
    clickedButtons.push(label);
    await b.click({ timeout: 5000 });
    const qi = page.locator('.quick-input-widget');
    if (await qi.isVisible().catch(() => false) || await qi.waitFor({ timeout: 3000 }).then(() => true, () => false)) {
      await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 5000 }).catch(() => {});
      const rows = (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map(s => s.replace(/\s+/g, ' ').trim());
      console.log(`       "${label}" shows: ${JSON.stringify(rows.slice(0, 4))}`);
      await screenshot(page, 'trust-show-paths');
      const qiLinks = (await qi.evaluate(linksIn)).filter(l => /command:/i.test(l.href) || /command:/i.test(l.dataHref));
      if (qiLinks.length) problems.push(`"${label}" shows ${qiLinks.length} command: link(s): ${JSON.stringify(qiLinks)}`);
      // Click each row's text too (a row is not a link: nothing may run).
      const first = page.locator('.quick-input-list .monaco-list-row').first();
      if (await first.isVisible().catch(() => false)) await first.click({ timeout: 5000 }).catch(() => {});
      await page.keyboard.press('Escape');
    }
  }
  console.log(`       clicked ${links.length} link/button element(s), the message text, buttons ${JSON.stringify(clickedButtons)}`);
  await page.keyboard.press('Escape');

  // Barrier: what the terminal was sent before this line has run once BARRIER exists.
  await typeInTerminal(page, `touch ${BARRIER}`);
  await until(() => fs.existsSync(BARRIER), { timeout: 30000, what: 'the barrier file typed into the terminal' });
  const terminalsAfter = await terminalCount(page);
  console.log(`       after the clicks: SENTINEL ${fs.existsSync(SENTINEL) ? 'CREATED' : 'absent'}, ${terminalsAfter} terminal tab(s)`);
  if (fs.existsSync(SENTINEL)) problems.push(`a click in the toast ran the trace's sendSequence: ${SENTINEL} exists`);
  if (terminalsAfter !== terminalsBefore) problems.push(`a click in the toast opened a terminal: ${terminalsBefore} → ${terminalsAfter} tabs`);

  // The failure's tooltip: hover the row and read the rendered hover.
  await page.keyboard.press('Escape');
  await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 3000 }).catch(() => {});
  const again = row(page, 'Failures', CLASS);
  if (!(await again.isVisible())) await openContainer(page, 'Flowlens');
  await again.waitFor({ timeout: 15000 });
  const hover = page.locator('.monaco-hover').filter({ hasText: CLASS }).first();
  // The hover shows after a delay while the pointer rests on the row: rest there, poll, retry.
  for (let attempt = 1; ; attempt++) {
    const box = await again.boundingBox();
    if (!box) throw new Error('the failure row has no box (not rendered)');
    await page.mouse.move(box.x + 60, box.y + box.height / 2, { steps: 3 });
    if (await hover.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false)) break;
    if (attempt >= 4) throw new Error('the failure\'s tooltip did not show on hover');
    await page.mouse.move(700, 300);
  }
  const tipText = (await hover.innerText()).trim();
  console.log(`       tooltip: ${JSON.stringify(tipText.slice(0, 300))}`);
  const tipShot = await screenshot(page, 'trust-tooltip');
  console.log(`       screenshot ${path.relative(ROOT, tipShot)}`);
  const tipLinks = (await hover.evaluate(linksIn)).filter(l => /command:/i.test(l.href) || /command:/i.test(l.dataHref));
  if (tipLinks.length) problems.push(`the tooltip renders ${tipLinks.length} command: link(s): ${JSON.stringify(tipLinks)}`);
  assert.ok(tipText.includes(CLASS), 'the hover shown is the failure\'s tooltip');

  assert.deepStrictEqual(problems, [], problems.join(' | '));
  assert.deepStrictEqual(ctx.errors, [], 'no page error');
});
