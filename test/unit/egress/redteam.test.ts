/**
 * Red-team findings of issue 13 (test/fixtures/hostile/redteam/README.md) fixed in the egress
 * modules, on runs built from v1 lines (normalizeEvent → RunBuilder):
 * - r1: a secret longer than 4,096 characters is scrubbed from every other string of the run
 *   (Literals matches long literals with one indexOf per occurrence: linear, hang-guarded here);
 * - r2: a `password` nested 100 and 5,000 deep is collected (no depth cut in the secret walk);
 * - r9: ask.md, summary.md, copilot_init.md and each LM tool text, rendered with markdown-it
 *   (raw HTML on, and again with linkify), hold no `<a href` with a non-fragment target, no
 *   `<img`, `<script`, `<iframe`, whatever link payload is in whatever field.
 */
import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { buildAskMd } from '../../../src/core/render/ask';
import { buildCopilotInit, buildSummaryMd, failuresText, flowEventsText, runSummaryText } from '../../../src/core/render/askArtifacts';
import { RunBuilder } from '../../../src/core/model/build';
import { Redactor, REDACTED } from '../../../src/core/render/egress/redact';
import { collectSecrets, runRedactor } from '../../../src/core/render/egress/secrets';
import { forPromptText, neutralizeLinks } from '../../../src/core/render/egress/surfaces';
import type { Run } from '../../../src/core/model/types';
import { normalizeEvent } from '../../../src/core/read/sources/normalize';

type Obj = Record<string, unknown>;
interface Md { render(s: string): string }
const MarkdownIt = createRequire(__filename)('markdown-it') as new (o?: Obj) => Md;

function build(rid: string, events: Obj[]): Run {
  const b = new RunBuilder();
  events.forEach((o, i) => {
    const e = { v: 1, run_id: rid, timestamp: new Date(Date.parse('2026-12-01T10:00:00Z') + i * 1000).toISOString(), ...o };
    b.add(normalizeEvent(JSON.parse(JSON.stringify(e)) as Obj, 'flowscribe-v1', { file: 't.jsonl', line: i + 1 }));
  });
  b.finish({ now: Date.parse('2027-01-01T00:00:00Z'), hasEnded: () => true });
  return b.runs()[0];
}

const fail = (flow: string, k: Obj): Obj[] => [
  { event_type: 'flow_start', flow, flow_id: flow },
  { event_type: 'failure', flow, flow_id: flow, failure_class: 'DATA.X', ...k },
];

/** Every text of a run that leaves Flowlens for a prompt, a file or the chat. */
function texts(run: Run): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ['ask.md', buildAskMd(run, {})],
    ['summary.md', buildSummaryMd(run, {})],
    ['copilot_init.md', buildCopilotInit({ runId: run.id, run })],
    ['runSummaryText', runSummaryText(run, {})],
    ['failuresText', failuresText([run], {})],
  ];
  for (const f of run.flows.values()) {
    out.push([`flowEventsText ${f.id}`, flowEventsText(run, f.id, {})]);
    if (f.name) out.push([`flowEventsText name`, flowEventsText(run, f.name, {})]);
  }
  out.push(['flowEventsText missing', flowEventsText(run, '<command:evil.missing>', {})]);
  return out;
}

describe('egress: red-team r1 (a secret longer than 4,096 characters)', () => {
  for (const len of [5000, 100_000]) {
    it(`scrubs a ${len}-character token from the reason, step and every text`, () => {
      const long = 'Zq01' + 'x'.repeat(len);
      const run = build('r1', fail('f', { reason: `bad token ${long}`, step: `s ${long} e`, evidence: { token: long } }));
      const red = runRedactor(run);
      assert.ok(!red.string(`bad token ${long}`).includes('Zq01'));
      assert.ok(!red.identifier(`bad token ${long}`).includes('Zq01'));
      assert.equal(new Redactor({ payloadLimit: 0, knownSecrets: [long] }).string(`a ${long} b ${long}`), `a ${REDACTED} b ${REDACTED}`);
      for (const [where, t] of texts(run)) assert.ok(!t.includes('Zq01'), `${where} leaks the long token`);
      assert.ok(!JSON.stringify(red.value(run.events)).includes('Zq01'));
    });
  }

  it('stays linear: long near-miss literals over a long repetitive text (hang guard, CPU time)', () => {
    const lits = ['a'.repeat(9999) + 'b', 'a'.repeat(5000) + 'c', 'a'.repeat(200) + 'd'];
    const red = new Redactor({ payloadLimit: 0, knownSecrets: lits });
    const t0 = process.cpuUsage();
    const s = 'a'.repeat(1_000_000);
    assert.equal(red.identifier(s), s);
    const used = process.cpuUsage(t0);
    // Comparing each position in full would be ~10^10 steps (minutes); linear is milliseconds.
    assert.ok(used.user + used.system < 10e6, `${(used.user + used.system) / 1e6} s CPU`);
    assert.equal(red.identifier(`x${lits[0]}y`), `x${REDACTED}y`);
  });
});

describe('egress: red-team r2 (a secret nested deeper than 64)', () => {
  for (const depth of [100, 5000]) {
    it(`collects a password ${depth} deep and scrubs it from the step`, () => {
      let deep: Obj = { password: `Zq02deep${depth}` };
      for (let i = 0; i < depth; i++) deep = { k: deep };
      const found = new Set<string>();
      collectSecrets(deep, new Redactor(), found);
      assert.ok(found.has(`Zq02deep${depth}`));
      // A run keeps evidence as parsed (the parsers' depth mark applies to JSON text, not here).
      const run = build('r2', fail('f', { reason: 'deep', step: `used Zq02deep${depth}` }));
      const e = run.events.find((x) => x.type === 'failure')!;
      e.evidence = deep;
      const red = runRedactor(run);
      assert.equal(red.identifier(`used Zq02deep${depth}`), `used ${REDACTED}`);
    });
  }
});

describe('egress: red-team r9 (one link neutraliser; rendered output holds no live link)', () => {
  const PAYLOADS = [
    '<command:evil.autolink>',
    '[b][1]\n[1]: <command:evil.refdef>',
    '[c]\n\n[c]: command:evil.bare',
    '   [d]: https://evil.example/d "t"\n[d]',
    '> [e]: command:evil.quote\n> [e]',
    '<img src=x onerror=alert(9)>',
    '<script>alert(1)</script>',
    '<iframe src="command:evil.frame"></iframe>',
    '<a href="command:evil.a">x</a>',
    '[x](command:evil.inline)',
    '![i](https://evil.example/beacon.png)',
    '[x]( command:evil.space )',
    '<https://evil.example/auto>',
    '<mailto:a@evil.example>',
    'https://evil.example/bare and www.evil.example',
    'javascript:alert(1)',
    '[x][]\n\n[x]: <javascript:alert(1)>',
  ];
  /**
   * Render `md` with markdown-it: CommonMark with raw HTML on must produce no link but a fragment;
   * with GFM-style linkify on as well, a bare domain or e-mail address may become a web or mail
   * link, nothing else.
   */
  function check(where: string, md: string): void {
    for (const opts of [{ html: true }, { html: true, linkify: true }]) {
      const html = new MarkdownIt(opts).render(md);
      const lower = html.toLowerCase();
      for (const m of html.matchAll(/<a\s[^>]*href="([^"]*)"/gi)) {
        const ok = m[1].startsWith('#') || (opts.linkify === true && /^(?:https?:\/\/|mailto:)/i.test(m[1]));
        assert.ok(ok, `${where} (${JSON.stringify(opts)}): a link to ${m[1]}\n${html.slice(0, 3000)}`);
      }
      for (const tag of ['<img', '<script', '<iframe', '<object', '<embed', '<form', '<svg', '<a href="command', '<a href="javascript']) {
        assert.ok(!lower.includes(tag), `${where} (${JSON.stringify(opts)}): ${tag}\n${html.slice(0, 3000)}`);
      }
    }
  }

  it('neutralizeLinks breaks every payload (rendered alone, with raw HTML on)', () => {
    for (const p of PAYLOADS) {
      check(`neutralizeLinks ${JSON.stringify(p)}`, neutralizeLinks(p));
      check(`forPromptText multiline ${JSON.stringify(p)}`, forPromptText(p, new Redactor(), { multiline: true }));
      assert.equal(neutralizeLinks(neutralizeLinks(p)), neutralizeLinks(p), 'idempotent');
    }
  });

  it('keeps ordinary text readable: =>, >=, Python <module>, a footnote-free [x]', () => {
    assert.equal(neutralizeLinks('rows >= 300 => ok in <module> [x]'), 'rows >= 300 => ok in <module> [x]');
  });

  for (const field of ['reason', 'step', 'flow', 'evidence', 'exception', 'correlation', 'run id']) {
    it(`every payload in the ${field}: ask.md, summary.md, copilot_init.md and every LM tool text render link-free`, () => {
      const events: Obj[] = [];
      PAYLOADS.forEach((p, i) => {
        const flow = field === 'flow' ? p : `f${i}`;
        const k: Obj = { reason: field === 'reason' ? p : 'r' };
        if (field === 'step') k.step = p;
        if (field === 'evidence') k.evidence = { note: p, [p]: 1 };
        if (field === 'exception') Object.assign(k, { event_type: 'exception', exception: { type: 'E', message: p, stack: [{ file: p, line: 1, function: p }] } });
        if (field === 'correlation') k.correlation = { id: p };
        events.push({ event_type: 'flow_start', flow, flow_id: `id${i}`, ...(field === 'correlation' ? { correlation: { id: p } } : {}) });
        events.push({ event_type: 'failure', flow, flow_id: `id${i}`, failure_class: 'DATA.X', ...k });
      });
      const run = build(field === 'run id' ? PAYLOADS.join(' ') : 'r9', events);
      for (const [where, t] of texts(run)) check(`${field}: ${where}`, t);
    });
  }
});
