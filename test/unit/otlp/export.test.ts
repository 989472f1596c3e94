/**
 * Issue 18 item 2: runs as OTLP/JSON (src/core/render/otlp.ts) on the demo app's b7d2 run (nested
 * flows, a failure, an exception): stable ids, parent links, statuses, events, code attributes,
 * batching; and `flowlens export --format otlp` on the hostile secrets workspace (nothing secret
 * leaves unless --no-redact).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chunkOtlp, otlpSpanCount, otlpSpanId, otlpTraceId, toOtlp, unixNano, type OtlpKeyValue, type OtlpSpan } from '../../../src/core/render/otlp';
import { runsRedactor } from '../../../src/core/render/egress/secrets';
import type { Run } from '../../../src/core/model/types';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { needles, type Secrets } from '../hostileSecrets';

const repo = path.resolve(__dirname, '../../../..');
const DEMO = path.join(repo, 'test/fixtures/demo-app');
const B7D2 = '20261119T140000Z-b7d2';
const cli = path.join(repo, 'dist', 'cli.js');

function attr(list: OtlpKeyValue[], key: string): unknown {
  const kv = list.find((a) => a.key === key);
  if (!kv) return undefined;
  const v = kv.value as Record<string, unknown>;
  return v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue ?? v.arrayValue;
}

describe('OTLP export: the renderer on b7d2', () => {
  let run: Run;
  let spans: OtlpSpan[];
  const byFlow = (id: string): OtlpSpan => {
    const s = spans.find((x) => attr(x.attributes, 'flowlens.flow.id') === id);
    assert.ok(s, id);
    return s;
  };
  before(async () => {
    const ws = new TraceWorkspace(DEMO, { now: () => Date.parse('2030-01-01T00:00:00Z'), final: true });
    await ws.load({ final: true });
    run = ws.getRun(B7D2) as Run;
    assert.ok(run);
    spans = toOtlp([run], { redactor: runsRedactor([run]) }).resourceSpans[0].scopeSpans[0].spans;
  });

  it('one resource per run (service.name = app), one span per flow, all in the run\'s trace', () => {
    const req = toOtlp([run], { redactor: runsRedactor([run]), version: '9.9.9' });
    assert.equal(req.resourceSpans.length, 1);
    const rs = req.resourceSpans[0];
    assert.equal(attr(rs.resource.attributes, 'service.name'), 'trader');
    assert.equal(attr(rs.resource.attributes, 'flowlens.run.id'), B7D2);
    assert.deepEqual(rs.scopeSpans[0].scope, { name: 'flowlens', version: '9.9.9' });
    assert.equal(spans.length, 8);
    assert.ok(spans.every((s) => s.traceId === otlpTraceId(B7D2) && /^[0-9a-f]{32}$/.test(s.traceId) && /^[0-9a-f]{16}$/.test(s.spanId) && s.kind === 1));
    assert.equal(new Set(spans.map((s) => s.spanId)).size, 8);
  });

  it('ids are stable: the same run renders byte-identical JSON twice; documented derivation', () => {
    const a = JSON.stringify(toOtlp([run], { redactor: runsRedactor([run]) }));
    const b = JSON.stringify(toOtlp([run], { redactor: runsRedactor([run]) }));
    assert.equal(a, b);
    // sha256('flowlens:trace:' + run id)[0..16) and sha256('flowlens:span:' + run id + NUL + flow id)[0..8)
    assert.equal(otlpTraceId(B7D2), crypto.createHash('sha256').update(`flowlens:trace:${B7D2}`).digest('hex').slice(0, 32));
    assert.equal(otlpSpanId(B7D2, 'f-0008'), crypto.createHash('sha256').update(`flowlens:span:${B7D2}\u0000f-0008`).digest('hex').slice(0, 16));
    assert.equal(byFlow('f-0008').spanId, otlpSpanId(B7D2, 'f-0008'));
  });

  it('parent links follow the flow tree; the root has none', () => {
    assert.equal(byFlow('f-0001').parentSpanId, undefined);
    for (const id of ['f-0002', 'f-0003', 'f-0004', 'f-0006', 'f-0007', 'f-0008']) assert.equal(byFlow(id).parentSpanId, otlpSpanId(B7D2, 'f-0001'), id);
    assert.equal(byFlow('f-0005').parentSpanId, otlpSpanId(B7D2, 'f-0004'));
  });

  it('verdicts as status: success → 1, failure and exception → 2 with class: reason', () => {
    assert.deepEqual(byFlow('f-0002').status, { code: 1 });
    assert.deepEqual(byFlow('f-0008').status, { code: 2, message: 'DATA.EMPTY: vendor returned 0 rows for NVDA' });
    assert.deepEqual(byFlow('f-0007').status, { code: 2, message: "DATA.MISSING_COLUMN: KeyError: 'ema_21'" });
  });

  it('times in unix nanoseconds (decimal strings): the NVDA fetch lasts its 690 ms', () => {
    const s = byFlow('f-0008');
    assert.equal(s.startTimeUnixNano, unixNano(Date.parse('2026-11-19T09:00:00.685Z')));
    assert.equal(s.startTimeUnixNano, '1795078800685000000');
    assert.equal(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano), 690_000_000n);
    assert.equal(unixNano(1.5), '1500000');
  });

  it('failure class, reason, evidence and file:line as attributes', () => {
    const a = byFlow('f-0008').attributes;
    assert.equal(attr(a, 'flowlens.verdict'), 'failed');
    assert.equal(attr(a, 'flowlens.flow.name'), 'data/fetch/minute_candles');
    assert.equal(attr(a, 'flowlens.failure.class'), 'DATA.EMPTY');
    assert.equal(attr(a, 'flowlens.reason'), 'vendor returned 0 rows for NVDA');
    assert.equal(attr(a, 'flowlens.evidence.rows'), '0');
    assert.equal(attr(a, 'flowlens.evidence.ticker'), 'NVDA');
    assert.equal(attr(a, 'code.file.path'), 'trader/data/fetcher.py');
    assert.equal(attr(a, 'code.line.number'), '15');
    assert.equal(attr(a, 'code.function.name'), 'fetch_minute_candles');
    assert.equal(byFlow('f-0008').name, 'data/fetch/minute_candles');
  });

  it('an exception verdict becomes an exception event with type, message and stack trace', () => {
    const s = byFlow('f-0007');
    const ex = s.events.filter((e) => e.name === 'exception');
    assert.equal(ex.length, 1);
    assert.equal(attr(ex[0].attributes, 'exception.type'), 'KeyError');
    assert.equal(attr(ex[0].attributes, 'exception.message'), "'ema_21'");
    assert.match(String(attr(ex[0].attributes, 'exception.stacktrace')), /File "trader\/indicators\.py", line 22, in <dictcomp>\nKeyError: 'ema_21'$/);
    assert.equal(attr(ex[0].attributes, 'code.line.number'), '22');
    assert.equal(ex[0].timeUnixNano, s.endTimeUnixNano);
  });

  it('steps, checkpoints and metrics as span events (not flow_start or the verdict), with their place and evidence', () => {
    const s = byFlow('f-0008');
    assert.deepEqual(s.events.map((e) => [e.name, attr(e.attributes, 'flowlens.event.type')]), [['request', 'checkpoint'], ['request', 'metric']]);
    const cp = s.events[0];
    assert.equal(attr(cp.attributes, 'code.file.path'), 'trader/data/fetcher.py');
    assert.equal(typeof attr(cp.attributes, 'code.line.number'), 'string');
    assert.ok(BigInt(cp.timeUnixNano) >= BigInt(s.startTimeUnixNano));
    const metric = s.events[1];
    assert.ok(attr(metric.attributes, 'flowlens.metric.name'));
  });

  it('sensitive evidence keys are redacted; --no-redact (no redactor) keeps them', () => {
    const all = JSON.stringify(toOtlp([run], { redactor: runsRedactor([run]) }));
    assert.ok(!/tok-123456|hunter2/.test(all), 'no token or password in the redacted export');
    const ev = spans.flatMap((s) => s.events).flatMap((e) => e.attributes).find((a) => a.key === 'flowlens.evidence.password');
    assert.deepEqual(ev?.value, { stringValue: '[REDACTED]' });
  });

  it('size-bounded: long text is cut, events past the cap are counted as dropped', () => {
    const req = toOtlp([run], { maxValueChars: 10, maxEvents: 1 });
    const s = req.resourceSpans[0].scopeSpans[0].spans.find((x) => attr(x.attributes, 'flowlens.flow.id') === 'f-0008') as OtlpSpan;
    assert.equal(String(attr(s.attributes, 'flowlens.reason')).length, 10);
    assert.equal(s.events.length, 1);
    assert.equal(s.droppedEventsCount, 1);
  });

  it('batches keep each span with its resource and scope', () => {
    const req = toOtlp([run, run], {});
    assert.equal(otlpSpanCount(req), 16);
    const parts = chunkOtlp(req, 5);
    assert.deepEqual(parts.map(otlpSpanCount), [5, 5, 5, 1]);
    assert.ok(parts.every((p) => p.resourceSpans.every((rs) => attr(rs.resource.attributes, 'service.name') === 'trader')));
    assert.deepEqual(chunkOtlp({ resourceSpans: [] }, 5), [{ resourceSpans: [] }]);
  });
});

describe('OTLP export: flowlens export --format otlp', function () {
  this.timeout(120_000);
  let ws: string;
  let tmp: string;
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  before(() => {
    assert.ok(fs.existsSync(cli), 'run `npm run build` first (dist/cli.js missing)');
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-otlp-secrets-'));
    const r = spawnSync('python3', [path.join(repo, 'test/fixtures/hostile/secrets/make.py'), ws], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-otlp-out-'));
  });
  after(() => {
    for (const d of [ws, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('writes OTLP/JSON to stdout and --out; the same run gives the same file', () => {
    const a = run(['export', DEMO, '--run', B7D2, '--format', 'otlp']);
    assert.equal(a.status, 0, a.stderr);
    const req = JSON.parse(a.stdout);
    assert.equal(req.resourceSpans[0].scopeSpans[0].spans.length, 8);
    const file = path.join(tmp, 'b7d2.otlp.json');
    const b = run(['export', DEMO, '--run', B7D2, '--format', 'otlp', '--out', file]);
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, /^wrote .*b7d2\.otlp\.json \(\d+ bytes\)\n$/);
    assert.equal(fs.readFileSync(file, 'utf8'), a.stdout);
  });

  it('--run all exports every run, one resource each', () => {
    const r = run(['export', DEMO, '--run', 'all', '--format', 'otlp']);
    assert.equal(r.status, 0, r.stderr);
    const req = JSON.parse(r.stdout);
    assert.ok(req.resourceSpans.length >= 6, String(req.resourceSpans.length));
    assert.equal(new Set(req.resourceSpans.map((rs: { scopeSpans: { spans: { traceId: string }[] }[] }) => rs.scopeSpans[0].spans[0]?.traceId)).size, req.resourceSpans.length);
  });

  it('usage errors exit 2 with one line', () => {
    for (const args of [
      ['export', DEMO, '--format', 'chrome', '--endpoint', 'http://127.0.0.1:4318'],
      ['export', DEMO, '--format', 'otlp', '--endpoint', 'ftp://x'],
      ['export', DEMO, '--format', 'otlp', '--endpoint', 'http://127.0.0.1:4318', '--out', path.join(tmp, 'x.json')],
      ['export', DEMO, '--format', 'otlp', '--timeout', '5'],
    ]) {
      const r = run(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^flowlens: [^\n]+\n$/);
    }
  });

  it('a receiver that is not there: exit 1, one clear line naming the URL', () => {
    const r = run(['export', DEMO, '--format', 'otlp', '--endpoint', 'http://user:pw@127.0.0.1:9/base', '--timeout', '3000']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^flowlens: cannot send to http:\/\/127\.0\.0\.1:9\/base\/v1\/traces: \S+/);
    assert.ok(!r.stderr.includes('pw'), 'no credentials of the URL in the message');
  });

  it('hostile secrets: no secret in the OTLP export of every run; --no-redact shows them', () => {
    const secrets = JSON.parse(fs.readFileSync(path.join(ws, 'secrets.json'), 'utf8')) as Secrets;
    const list = needles({ run: secrets.run, store: {} });
    const r = run(['export', ws, '--run', 'all', '--format', 'otlp']);
    assert.equal(r.status, 0, r.stderr);
    const found = list.filter((n) => (r.stdout + r.stderr).includes(n));
    assert.deepEqual(found, [], `leaks: ${found.join(' | ')}`);
    const req = JSON.parse(r.stdout);
    assert.ok(otlpSpanCount(req) >= 4);
    assert.match(r.stdout, /\[REDACTED\]/);
    const raw = run(['export', ws, '--run', 'all', '--format', 'otlp', '--no-redact']);
    assert.equal(raw.status, 0, raw.stderr);
    assert.ok(list.some((n) => raw.stdout.includes(n)), '--no-redact keeps the trace as written');
  });
});
