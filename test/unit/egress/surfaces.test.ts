// The egress functions themselves (src/core/render/egress/surfaces.ts), surface by surface, on
// generated hostile text: each property is what the surface must guarantee, checked against the
// surface's own rules (VS Code's notification link syntax, a real Markdown renderer), never
// against the function's own output.
import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { Redactor } from '../../../src/core/render/egress/redact';
import { fenced, forLabel, forMarkdown, forNotification, forPromptText, forTerminal } from '../../../src/core/render/egress/surfaces';

type Md = { render(s: string): string };
const MarkdownIt = createRequire(__filename)('markdown-it') as new (o?: Record<string, unknown>) => Md;
const md = new MarkdownIt({ html: true, linkify: true });

/** How VS Code finds links in a notification message (vs/base/common/linkedText.ts). */
const NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/;

const PAYLOADS = [
  '[Locate the file](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22id%5Cn%22%7D)',
  '[x](https://evil.example/a)', '[x](file:///etc/passwd)', '<command:workbench.action.terminal.new>',
  '[x]\u200b(command:a)', '[x]\u001b[0m(command:a)', '[x]\u2028(command:a)', '[1]: command:a\n[x][1]',
  '![i](https://evil.example/p.png)', '<img src=x onerror=alert(1)>', '<a href="command:a">x</a>',
  '$(terminal) run', 'javascript:alert(1)', '`code` **bold** _em_ # h',
];
const pieces = fc.oneof(fc.constantFrom(...PAYLOADS), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constantFrom('[', ']', '(', ')', '\\', '`', '<', '>', ':', '\n', '\u200b', '\u001b'));
const hostile = fc.array(pieces, { maxLength: 8 }).map((xs) => xs.join(''));
const SEED = { seed: 20261206, numRuns: 1500 };

describe('egress: surfaces.ts on generated hostile text', () => {
  it('forNotification: no notification link can form, no control character, within its cap', () => {
    fc.assert(fc.property(hostile, fc.integer({ min: 5, max: 400 }), (s, max) => {
      const out = forNotification(s, undefined, max);
      NOTIFICATION_LINK.lastIndex = 0;
      assert.ok(!NOTIFICATION_LINK.test(out), JSON.stringify(out));
      assert.ok(!out.includes('[') && !out.includes(']'), JSON.stringify(out));
      assert.ok(!CONTROL.test(out), JSON.stringify(out));
      assert.ok(out.length <= max, `${out.length} > ${max}`);
    }), SEED);
    // The issue's own example keeps a readable trace of the text.
    assert.equal(forNotification('[Locate](command:x)'), '⁅Locate⁆(command:x)');
  });

  it('forLabel: one line, no control character, no $(icon), within its cap', () => {
    fc.assert(fc.property(hostile, (s) => {
      const out = forLabel(s, undefined, 120);
      assert.ok(!/[\n\r\t]/.test(out) && !CONTROL.test(out), JSON.stringify(out));
      assert.ok(!out.includes('$('), JSON.stringify(out));
      assert.ok(out.length <= 120);
    }), SEED);
  });

  it('forMarkdown: rendered by a Markdown renderer, it yields no link, image, HTML element or code span', () => {
    fc.assert(fc.property(hostile, (s) => {
      const html = md.render(forMarkdown(s, undefined, { multiline: true }));
      assert.ok(!/<(a|img|script|iframe|code|em|strong|h\d)\b/i.test(html), `${JSON.stringify(s)} → ${html}`);
    }), SEED);
  });

  it('forPromptText and fenced: no link, image or HTML element outside the fence; the fence cannot be closed', () => {
    fc.assert(fc.property(hostile, (s) => {
      const html = md.render(forPromptText(s, undefined, { multiline: true }));
      assert.ok(!/<(img|script|iframe)\b/i.test(html), `${JSON.stringify(s)} → ${html}`);
      for (const m of html.matchAll(/<a href="([^"]*)"/g)) assert.match(m[1], /^(https?:\/\/|mailto:|#)/, `${JSON.stringify(s)} → ${html}`);
      assert.ok(!/href="(command|javascript|file):/i.test(html));
      const block = md.render(fenced(s + '\n```\n`````'));
      assert.equal((block.match(/<pre>/g) ?? []).length, 1, `${JSON.stringify(s)} → ${block}`);
    }), SEED);
  });

  it('forTerminal: no escape sequence or control character; with --no-redact the text is otherwise kept', () => {
    fc.assert(fc.property(hostile, (s) => {
      const out = forTerminal(s);
      assert.ok(!out.includes('\u001b') && !CONTROL.test(out) && !/[\n\r]/.test(out), JSON.stringify(out));
    }), SEED);
    assert.equal(forTerminal('password=hunter2x\u001b[31m ok', null), 'password=hunter2x ok');
    assert.equal(forTerminal('password=hunter2x ok'), 'password=[REDACTED] ok');
  });

  it('every surface redacts with the redactor it is given (a run-scoped secret)', () => {
    const red = new Redactor({ knownSecrets: ['Zq-s3cret-77'] });
    const s = 'login failed for Zq-s3cret-77 [x](command:a)';
    for (const out of [forLabel(s, red), forNotification(s, red), forMarkdown(s, red), forPromptText(s, red), forTerminal(s, red)]) {
      assert.ok(!out.includes('Zq-s3cret-77'), out);
    }
  });
});
