/**
 * Issue 18 item 2, end to end: `flowlens export --format otlp --endpoint URL` against a REAL OTLP
 * receiver (autotel-devtools on Node 22, installed by `node scripts/otel-receiver.mjs install`,
 * which scripts/test-all.sh runs in its setup) started here on a free loopback port. What the
 * receiver stores (`GET /v1/traces`) has the run's spans with their parent links, statuses,
 * events and code attributes. A receiver that is not installed fails the test (never a skip).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { otlpSpanId, otlpTraceId } from '../../../src/core/render/otlp';
import { startReceiver, type Receiver, type StoredSpan } from '../../support/otelReceiver';

const repo = path.resolve(__dirname, '../../../..');
const cli = path.join(repo, 'dist', 'cli.js');
const DEMO = path.join(repo, 'test/fixtures/demo-app');
const B7D2 = '20261119T140000Z-b7d2';

function cliRun(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd: repo, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('OTLP export → a real receiver (autotel-devtools)', function () {
  this.timeout(120_000);
  let rx: Receiver;
  let spans: StoredSpan[];
  const byFlow = (id: string): StoredSpan => {
    const s = spans.find((x) => x.attributes['flowlens.flow.id'] === id);
    assert.ok(s, `${id} stored; stored: ${spans.map((x) => x.attributes['flowlens.flow.id']).join(',')}`);
    return s;
  };

  before(async () => {
    rx = await startReceiver();
    const r = await cliRun(['export', DEMO, '--run', B7D2, '--format', 'otlp', '--endpoint', rx.url]);
    assert.equal(r.code, 0, `${r.err}\n${rx.log()}`);
    assert.equal(r.out, `sent 8 span(s) of 1 run(s) to ${rx.url}/v1/traces (HTTP 200, 1 request(s))\n`);
    const traces = await rx.traces();
    const t = traces.find((x) => x.traceId === otlpTraceId(B7D2));
    assert.ok(t, `the run's trace is stored: ${traces.map((x) => x.traceId).join(',')}`);
    assert.equal(t.service, 'trader');
    spans = t.spans;
  });
  after(async () => {
    if (rx) await rx.stop();
  });

  it('stores one span per flow, named by the flow, with the stable ids', () => {
    assert.equal(spans.length, 8);
    assert.equal(byFlow('f-0008').name, 'data/fetch/minute_candles');
    assert.equal(byFlow('f-0008').spanId, otlpSpanId(B7D2, 'f-0008'));
  });

  it('parent links: every flow under premarket/prepare, orders/submit under the agent decision', () => {
    assert.equal(byFlow('f-0001').parentSpanId, undefined);
    for (const id of ['f-0002', 'f-0003', 'f-0004', 'f-0006', 'f-0007', 'f-0008']) assert.equal(byFlow(id).parentSpanId, byFlow('f-0001').spanId, id);
    assert.equal(byFlow('f-0005').parentSpanId, byFlow('f-0004').spanId);
  });

  it('statuses: OK for successes, ERROR with class and reason for the failure and the exception', () => {
    assert.equal(byFlow('f-0002').status.code, 'OK');
    assert.deepEqual(byFlow('f-0008').status, { code: 'ERROR', message: 'DATA.EMPTY: vendor returned 0 rows for NVDA' });
    assert.equal(byFlow('f-0007').status.code, 'ERROR');
    assert.equal(byFlow('f-0008').duration, 690);
  });

  it('events: the exception event, and checkpoints/metrics with their step', () => {
    const ex = byFlow('f-0007').events.find((e) => e.name === 'exception');
    assert.ok(ex);
    assert.equal(ex.attributes['exception.type'], 'KeyError');
    assert.equal(ex.attributes['exception.message'], "'ema_21'");
    assert.match(String(ex.attributes['exception.stacktrace']), /line 22, in <dictcomp>/);
    assert.deepEqual(byFlow('f-0008').events.map((e) => [e.name, e.attributes['flowlens.event.type']]), [['request', 'checkpoint'], ['request', 'metric']]);
  });

  it('code attributes and failure attributes on the span', () => {
    const a = byFlow('f-0008').attributes;
    assert.equal(a['code.file.path'], 'trader/data/fetcher.py');
    assert.equal(Number(a['code.line.number']), 15);
    assert.equal(a['code.function.name'], 'fetch_minute_candles');
    assert.equal(a['flowlens.failure.class'], 'DATA.EMPTY');
    assert.equal(a['flowlens.verdict'], 'failed');
  });

  it('a second export of the same run carries the same ids (a backend sees the same trace)', async () => {
    await rx.clear();
    const r = await cliRun(['export', DEMO, '--run', B7D2, '--format', 'otlp', '--endpoint', `${rx.url}/v1/traces`]);
    assert.equal(r.code, 0, r.err);
    const again = (await rx.traces()).find((x) => x.traceId === otlpTraceId(B7D2));
    assert.ok(again);
    assert.deepEqual(again.spans.map((s) => s.spanId).sort(), spans.map((s) => s.spanId).sort());
  });
});
