// `@flowlens …` through the real chat view (issue 17 item 3): the request is typed into VS Code's
// chat input, the chat service routes it to the Flowlens participant, and the answer rendered in
// the chat view holds the trace's handles (run id, flow id, file:line). Screenshots in
// test-results/screenshots/chat-*.png.
//
// Needs the test-only fake model extension (test/fake-model: a deterministic chat model and the
// default participant without which the chat view sends nothing) installed next to Flowlens, and
// VS Code ≥ 1.104 — the `chat-ui` tier of scripts/test-all.sh:
//   FLOWLENS_TEST_EXTENSIONS=test/fake-model node test/e2e/run-e2e.js test/e2e/chat.e2e.js
// Without the fake model (the plain e2e tier) this file registers no test.
// @ts-check
'use strict';
const assert = require('assert');
const cs = require('./codeserver');
const { test, runCommand, screenshot, statusBarItem, until, settle, unhover } = require('./lib');

/** @typedef {import('playwright-core').Page} Page */

/** The v1 run of the demo workspace with the NVDA fetch failure (see chatLoop.test.ts). */
const RUN = '20261119T140000Z-b7d2';
const WANT_FAKE = (process.env.FLOWLENS_TEST_EXTENSIONS || '').includes('fake-model');
const [major, minor] = cs.vscodeVersion().split('.').map(Number);
const CHAT_VIEW_OK = major > 1 || minor >= 104;

/**
 * Types `text` into the chat view's input and sends it. The input is a Monaco editor; a suggest
 * widget (participants, slash commands) may open while typing, so it is closed before Enter.
 * @param {Page} page
 * @param {string} text
 */
async function send(page, text) {
  const input = page.locator('.interactive-input-part .monaco-editor').first();
  await input.waitFor({ timeout: 30000 });
  await input.click();
  await page.keyboard.type(text);
  await until(async () => (await input.innerText()).replace(/\s+/g, ' ').includes(text), { timeout: 10000, what: 'the typed request in the chat input' });
  const suggest = page.locator('.interactive-input-part .suggest-widget.visible, .monaco-editor .suggest-widget.visible');
  if (await suggest.count()) {
    await page.keyboard.press('Escape');
    await suggest.first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  }
  await page.keyboard.press('Enter');
}

/**
 * The text of the newest chat response once it holds every string in `needles` (the answer
 * streams; a response that stops short of them fails with its text).
 * @param {Page} page
 * @param {string[]} needles
 */
async function answer(page, needles, timeout = 60000) {
  const responses = page.locator('.interactive-item-container.interactive-response');
  let last = '';
  try {
    await until(async () => {
      const n = await responses.count();
      if (!n) return false;
      last = await responses.nth(n - 1).innerText();
      return needles.every(s => last.includes(s));
    }, { timeout, interval: 250, what: `a chat answer with ${needles.join(', ')}` });
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : e}; the last answer was:\n${last.slice(0, 2000)}`);
  }
  return last;
}

if (WANT_FAKE && CHAT_VIEW_OK) {
  test('chat view: @flowlens answers from the traces, with run ids, flow ids and file:line', {
    name: 'chat', viewport: { width: 1400, height: 900 }, timeoutMs: 180000,
  }, async (page) => {
    // Flowlens is active once its status bar item shows the runs; the chat view opens from the
    // palette ("Chat: Open Chat" is hidden without Copilot's setup; the view's focus command is not).
    await statusBarItem(page, /Flowlens|\d+ flows/).waitFor({ timeout: 60000 });
    await runCommand(page, 'Chat: Focus on Chat View');
    await page.locator('.interactive-session').first().waitFor({ timeout: 30000 });
    await screenshot(page, 'chat-view-opened');

    // 1. /failures: the participant prints the flowlens_failures listing (no model involved).
    await send(page, `@flowlens /failures run:${RUN}`);
    const failures = await answer(page, [RUN, 'f-0008', 'DATA.EMPTY', 'trader/data/fetcher.py:15', 'f-0007', 'trader/indicators.py:22']);
    assert.doesNotMatch(failures, /sk-live-DO-NOT-LEAK|hunter2/, 'no secret in the answer');
    await unhover(page, 1390, 890);
    await settle(page);
    const shot1 = await screenshot(page, 'chat-flowlens-failures');
    console.log(`       /failures answered in the chat view: ${shot1}`);

    // 2. A free question: the participant offers the Flowlens tools to the chat's model (the fake
    // model, picked by default), which calls flowlens_failures through lm.invokeTool and answers
    // with the handles it read — the whole loop through the chat view.
    await send(page, `@flowlens run:${RUN} why did the NVDA fetch fail?`);
    const why = await answer(page, ['From flowlens_failures', RUN, 'f-0008', 'trader/data/fetcher.py:15']);
    assert.doesNotMatch(why, /sk-live-DO-NOT-LEAK|hunter2/, 'no secret in the answer');
    await unhover(page, 1390, 890);
    await settle(page);
    const shot2 = await screenshot(page, 'chat-flowlens-question');
    console.log(`       the free question answered by the fake model from the tool: ${shot2}`);
  });
} else {
  console.log(`  (chat.e2e.js: no test — ${WANT_FAKE ? `VS Code ${cs.vscodeVersion()} < 1.104` : 'FLOWLENS_TEST_EXTENSIONS does not name test/fake-model (tier chat-ui)'})`);
}
