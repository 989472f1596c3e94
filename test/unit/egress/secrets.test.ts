/**
 * Run-scoped redaction (src/core/render/egress/secrets.ts): a value redacted anywhere in a run is
 * scrubbed from every string of that run's output — ask.md, summary.md, the flow-events and
 * failures texts, and Redactor.value of its events. Runs are built the way Flowlens builds them:
 * v1 JSON lines → normalizeEvent → RunBuilder.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildAskMd } from '../../../src/core/render/ask';
import { neutralizeLinks } from '../../../src/core/render/egress/surfaces';
import { buildCopilotInit, buildSummaryMd, failuresText, flowEventsText, runDiffText } from '../../../src/core/render/askArtifacts';
import { RunBuilder } from '../../../src/core/model/build';
import { isPlaceholderSecret, REDACTED } from '../../../src/core/render/egress/redact';
import { collectSecrets, runRedactor, runsRedactor } from '../../../src/core/render/egress/secrets';
import type { Run } from '../../../src/core/model/types';
import { normalizeEvent } from '../../../src/core/read/sources/normalize';

type Obj = Record<string, unknown>;
const RUN = '20261201T090000Z-s1';
let clock = 0;
const at = (): string => new Date(Date.parse('2026-12-01T09:00:00Z') + clock++ * 7).toISOString();

/** A small realistic v1 run: a root flow, a fetch that fails, an indicator that raises, metrics. */
function baseLines(): Obj[] {
  clock = 0;
  const e = (o: Obj): Obj => ({ v: 1, run_id: RUN, timestamp: at(), tags: [], file: 'trader/app.py', line: 10, function: 'main', thread: 'MainThread', ...o });
  return [
    e({ event_type: 'session_start', app: 'trader', mode: 'dev', git_sha: '3f9c2ab', host: 'devbox', pid: 1 }),
    e({ event_type: 'flow_start', flow: 'premarket/prepare', flow_id: 'f-1', correlation: { ticker: 'AAPL', date: '2026-12-01' } }),
    e({ event_type: 'checkpoint', flow: 'premarket/prepare', flow_id: 'f-1', step: 'configs', evidence: { configs: { broker: 'paper', qty: 10 } } }),
    e({ event_type: 'flow_start', flow: 'data/fetch/minute_candles', flow_id: 'f-2', parent_flow_id: 'f-1', correlation: { ticker: 'NVDA' } }),
    e({ event_type: 'metric', flow: 'data/fetch/minute_candles', flow_id: 'f-2', step: 'request', name: 'latency_ms', value: 150, unit: 'ms' }),
    e({ event_type: 'failure', flow: 'data/fetch/minute_candles', flow_id: 'f-2', step: 'validate', failure_class: 'DATA.EMPTY', severity: 'error', reason: 'vendor returned 0 rows for NVDA', evidence: { rows: 0, ticker: 'NVDA' }, duration_ms: 690 }),
    e({ event_type: 'flow_start', flow: 'indicators/ema/compute', flow_id: 'f-3', parent_flow_id: 'f-1' }),
    e({ event_type: 'exception', flow: 'indicators/ema/compute', flow_id: 'f-3', step: 'columns', failure_class: 'DATA.MISSING_COLUMN', severity: 'critical', reason: "KeyError: 'ema_21'", exception: { type: 'KeyError', message: "'ema_21'", stack: [{ file: 'trader/indicators.py', line: 22, function: 'compute' }] }, duration_ms: 40 }),
    e({ event_type: 'success', flow: 'premarket/prepare', flow_id: 'f-1', step: 'done', reason: 'prepared', duration_ms: 900 }),
    e({ event_type: 'session_end', status: 'failed', flows_started: 3, flows_ended: 3 }),
  ];
}

/** The builder of each run {@link build} made (a test grows a run as a live tail does). */
const builders = new WeakMap<Run, RunBuilder>();
function build(lines: Obj[]): Run {
  const b = new RunBuilder();
  lines.forEach((o, i) => b.add(normalizeEvent(JSON.parse(JSON.stringify(o)) as Obj, 'flowscribe-v1', { file: 't.jsonl', line: i + 1 })));
  b.finish({ now: Date.parse('2027-01-01T00:00:00Z'), hasEnded: () => true });
  const run = b.runs()[0];
  builders.set(run, b);
  return run;
}

/** Every output of a run that leaves Flowlens as text. */
function outputs(run: Run): string {
  const red = runRedactor(run);
  const parts = [buildAskMd(run, {}), buildAskMd(run, { flowId: 'f-2' }), buildSummaryMd(run, {}), failuresText([run], {}), buildCopilotInit({ runId: run.id, run })];
  for (const f of run.flows.values()) parts.push(flowEventsText(run, f.id, {}));
  for (const e of run.events) parts.push(JSON.stringify(red.value(e)));
  return parts.join('\n');
}

/** The forms a leaked literal could take in an output (as is, JSON-escaped, markdown-neutralised). */
function forms(s: string): string[] {
  return [...new Set([s, JSON.stringify(s).slice(1, -1), neutralizeLinks(s), neutralizeLinks(JSON.stringify(s).slice(1, -1))])];
}

function assertAbsent(out: string, secret: string, where: string): void {
  for (const f of forms(secret)) assert.ok(!out.includes(f), `${where}: ${JSON.stringify(f)} leaked:\n${out.slice(Math.max(0, out.indexOf(f) - 300), out.indexOf(f) + 100)}`);
}

const SENSITIVE_KEYS = ['password', 'api_key', 'token', 'client_secret', 'db_passwd', 'Authorization', 'x-api-key', 'private_key'];

type Placement = 'reason' | 'step' | 'exception' | 'correlation' | 'metric' | 'sibling' | 'key' | 'flow' | 'tag' | 'extra' | 'data';
const PLACEMENTS: readonly Placement[] = ['reason', 'step', 'exception', 'correlation', 'metric', 'sibling', 'key', 'flow', 'tag', 'extra', 'data'];

/** The base run with `secret` under `key` in the checkpoint's evidence and again at `place`. */
function plant(secret: string, key: string, place: Placement, pre = 'x ', post = ' y'): Obj[] {
  const lines = baseLines();
  const cp = lines[2] as { evidence: Obj };
  cp.evidence = { ...cp.evidence, [key]: secret };
  const text = `${pre}${secret}${post}`;
  const fail = lines[5] as Obj;
  switch (place) {
    case 'reason':
      fail.reason = `login failed: ${text}`;
      break;
    case 'step':
      fail.step = text;
      break;
    case 'exception':
      (lines[7].exception as Obj).message = text;
      break;
    case 'correlation':
      (lines[3].correlation as Obj).request = text;
      break;
    case 'metric':
      lines[4].name = text;
      break;
    case 'sibling':
      fail.evidence = { ...(fail.evidence as Obj), note: text };
      break;
    case 'key':
      fail.evidence = { ...(fail.evidence as Obj), [text]: 1 };
      break;
    case 'flow':
      for (const l of lines) if (l.flow_id === 'f-3') l.flow = text;
      break;
    case 'tag':
      fail.tags = ['NVDA', text];
      break;
    case 'extra':
      fail.vendor_response = text;
      break;
    case 'data':
      lines[4].data = { body: text };
      break;
  }
  return lines;
}

describe('egress: run-scoped secrets (secrets.ts)', () => {
  it('scrubs a value redacted under a key from every other field of the run, in every output', () => {
    const secret = 'hunter2-Sup3r!';
    for (const place of PLACEMENTS) {
      const run = build(plant(secret, 'password', place));
      const out = outputs(run);
      assertAbsent(out, secret, place);
      assert.ok(out.includes(REDACTED), place);
    }
  });

  it('collects values found by the key=value pattern in free text and scrubs their reuse', () => {
    const lines = baseLines();
    lines[5].reason = 'login failed password=hunter2x';
    lines[7].step = 'retry-hunter2x';
    (lines[7].exception as Obj).message = "connect(user='bob', passwd='p@ss word')";
    lines[8].reason = 'after p@ss word rotation';
    lines[3].correlation = { dsn: 'postgres://:pgS3cret@db/prod' };
    lines[4].name = 'pgS3cret.latency';
    const run = build(lines);
    const out = outputs(run);
    for (const s of ['hunter2x', 'p@ss word', 'pgS3cret']) assertAbsent(out, s, s);
    assert.match(out, /retry-\[REDACTED\]/);
    // Ordinary text of the same run survives.
    assert.match(out, /vendor|premarket\/prepare/);
    assert.ok(out.includes('indicators/ema/compute'));
  });

  it('finds secrets in shapes (argv lists, mysql -p, b-reprs, URL passwords, => hashes) anywhere in a run', () => {
    const red = runRedactor(build(baseLines()));
    const found = new Set<string>();
    collectSecrets(
      {
        argv: ['mysql', '-u', 'root', '-pMyS3cretPw'],
        cmd: "['deploy', '--token', 'tok-ABC-123']",
        repr: "{'password': b'byt3sPw!'}",
        ruby: ':password => "rubyPw99"',
        url: 'redis://:r3disPw@cache:6379',
        note: 'nothing here',
      },
      red,
      found,
    );
    for (const s of ['MyS3cretPw', 'tok-ABC-123', 'byt3sPw!', 'rubyPw99', 'r3disPw']) assert.ok(found.has(s), `${s} not found in ${[...found].join(', ')}`);
    assert.ok(!found.has('nothing here'));
  });

  it('does not turn placeholders, counts or short values into run-wide secrets', () => {
    const lines = baseLines();
    (lines[2] as { evidence: Obj }).evidence = { auth: 'none', token_count: 1500, password: '***', pin: 'abc' };
    lines[5].reason = 'none of 1500 rows; abc';
    const out = outputs(build(lines));
    assert.ok(out.includes('none of 1500 rows; abc'), 'placeholders and counts stay readable elsewhere');
  });

  it('walks a run once per options and only the new events when it grows; several runs together', () => {
    const lines = plant('Zq9-secret-77', 'api_key', 'sibling');
    const run = build(lines);
    const a = runRedactor(run);
    assert.equal(runRedactor(run), a, 'cached');
    assert.notEqual(runRedactor(run, { redactKeys: ['ticker'] }), a, 'per options');
    // The run grows (a live tail): the new event's secret is found, the old ones kept.
    builders.get(run)?.add(normalizeEvent({ v: 1, event_type: 'checkpoint', run_id: RUN, timestamp: at(), flow_id: 'f-1', evidence: { token: 'late-T0ken-99' } }, 'flowscribe-v1', { file: 't.jsonl', line: 99 }));
    const b = runRedactor(run);
    assert.notEqual(b, a);
    assert.equal(b.string('x late-T0ken-99 Zq9-secret-77 y'), `x ${REDACTED} ${REDACTED} y`);
    const other = build(plant('0ther-Run-S3cret', 'password', 'reason'));
    const both = runsRedactor([run, other]);
    assert.equal(both.string('Zq9-secret-77 / 0ther-Run-S3cret'), `${REDACTED} / ${REDACTED}`);
    assert.doesNotMatch(runDiffText(run, other, {}), /0ther-Run-S3cret|Zq9-secret-77/);
  });

  it('scrubs thousands of distinct secrets in linear time (no regex alternation of literals)', () => {
    const lines = baseLines();
    for (let i = 0; i < 5000; i++) lines.splice(3, 0, { v: 1, event_type: 'checkpoint', run_id: RUN, timestamp: at(), flow_id: 'f-1', evidence: { token: `tok-${i}-${(i * 7919).toString(36)}x` } });
    const run = build(lines);
    const red = runRedactor(run);
    assert.equal(red.knownCount >= 5000, true);
    const text = Array.from({ length: 200 }, (_, i) => `row ${i} tok-${i * 3}-${(i * 3 * 7919).toString(36)}x ok`).join('\n');
    const out = red.string(text.slice(0, 400));
    assert.doesNotMatch(out, /tok-\d+-/);
    assert.equal(red.scrub('plain text without any of them'), 'plain text without any of them');
  });

  describe('property: for any secret placed under a key and again in any field, no output contains it', () => {
    const ALPHA = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ...'!#$%&()*+,-./:;<=>?@[]^_{|}~\'"`\\'];
    const secretArb = fc.string({ unit: fc.constantFrom(...ALPHA), minLength: 8, maxLength: 40 });
    const baseline = outputs(build(plant('QQQQ-neutral-QQQQ', 'password', 'reason')));

    it('ask.md, summary.md, flow events, failures and Redactor.value of the events', () => {
      fc.assert(
        fc.property(
          secretArb,
          fc.constantFrom(...SENSITIVE_KEYS),
          fc.constantFrom(...PLACEMENTS),
          fc.string({ maxLength: 12 }),
          fc.string({ maxLength: 12 }),
          (secret, key, place, pre, post) => {
            // Not a secret by policy (a mask, a placeholder word), or text the template itself prints.
            fc.pre(!isPlaceholderSecret(secret.trim()) && secret.trim() === secret);
            fc.pre(!baseline.includes(secret) && !`${REDACTED}`.includes(secret) && !SENSITIVE_KEYS.some((k) => k.includes(secret)));
            const out = outputs(build(plant(secret, key, place, pre, post)));
            for (const f of forms(secret)) if (out.includes(f)) return false;
            return true;
          },
        ),
        { numRuns: 300, seed: 1729 },
      );
    });
  });
});

describe('egress: run-scoped secrets, encoded forms', () => {
  it('scrubs a secret reused URL-encoded or JSON-escaped elsewhere in the run', () => {
    const lines = baseLines();
    (lines[2] as { evidence: Obj }).evidence = { password: 'p@ss w"rd/9' };
    lines[5].reason = 'GET /login?u=bob&p=p%40ss%20w%22rd%2F9 failed';
    (lines[7].exception as Obj).message = 'payload {"pw": "p@ss w\\"rd/9"}';
    const out = outputs(build(lines));
    for (const f of ['p%40ss%20w%22rd%2F9', 'p@ss w\\"rd/9', 'p@ss w"rd/9']) assert.ok(!out.includes(f), f);
  });
});
