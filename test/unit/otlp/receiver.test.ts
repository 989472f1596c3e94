/**
 * Issue 18 item 3, the receiver's server (src/host/otelReceiver/server.ts) outside VS Code: the
 * REAL OpenTelemetry JS SDK (sdk-trace-base + exporter-trace-otlp-http, plain and gzip) sends to it
 * on loopback; what it writes is read back by the workspace reader as runs with flows, the failure
 * class and file:line. Refusals: a non-loopback Host (DNS rebinding), an Origin, protobuf, a wrong
 * path or method, invalid JSON, bodies over the cap (413, counted as dropped, before and after
 * gzip), rotation and the pure helpers.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { discover } from '../../../src/core/read/discover';
import { runStatus } from '../../../src/core/analyze/queries';
import { bodyKind, countSpans, isLoopbackAddress, isLoopbackHost, OtlpReceiver, RECEIVED_DIR, receivedName } from '../../../src/host/otelReceiver/server';

type ExporterConfig = ConstructorParameters<typeof OTLPTraceExporter>[0];

function post(port: number, body: Buffer | string, headers: Record<string, string>, p = '/v1/traces', method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } }, res => {
      const chunks: Buffer[] = [];
      res.on('data', c => chunks.push(c as Buffer));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends a root span and a failing child (exception event, code attributes) through the real SDK exporter. */
async function sendTrace(port: number, cfg: Partial<NonNullable<ExporterConfig>> = {}): Promise<string> {
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, ...cfg } as ExporterConfig);
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('flowlens-test');
  const root = tracer.startSpan('checkout');
  const child = tracer.startSpan('charge card', { attributes: { 'code.file.path': 'shop/pay.py', 'code.line.number': 42, 'code.function.name': 'charge' } }, trace.setSpan(context.active(), root));
  const err = new TypeError('card declined: insufficient funds');
  child.recordException(err);
  child.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  child.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return root.spanContext().traceId;
}

describe('OTLP receiver (server, real OTel JS SDK exporter)', function () {
  this.timeout(20000);
  let root: string;
  let rx: OtlpReceiver;
  let port: number;

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-rx-'));
    rx = new OtlpReceiver({ root, port: 0, maxBodyBytes: 1024 * 1024 });
    port = await rx.start();
  });
  afterEach(async () => {
    await rx.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 only and writes each batch as one Collector-format line that the reader turns into a run', async () => {
    const traceId = await sendTrace(port);
    assert.equal(rx.stats.batches, 2, 'SimpleSpanProcessor: one request per span');
    assert.equal(rx.stats.spans, 2);
    const file = path.join(root, RECEIVED_DIR, receivedName(new Date(), 1));
    assert.equal(rx.stats.file, file);
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, 2);
    for (const l of lines) assert.ok(Array.isArray(JSON.parse(l).resourceSpans));
    assert.equal(fs.readFileSync(path.join(root, RECEIVED_DIR, '.gitignore'), 'utf8').split('\n')[1], '*');
    // Discovery finds it; the reader gives the run, the failing child with class, reason and file:line.
    assert.ok(discover(root).sources.some(s => s.file === file && s.kind === 'otlp'), 'discovered as an otlp source');
    const ws = new TraceWorkspace(root, { final: true });
    await ws.load();
    const run = ws.getRun(traceId);
    assert.ok(run, `run ${traceId} in ${ws.runs().map(r => r.id).join(', ')}`);
    assert.equal(run.flows.size, 2);
    const child = [...run.flows.values()].find(f => f.name === 'charge card');
    assert.ok(child);
    const v = child.verdictEvent;
    assert.equal(v?.type, 'exception');
    assert.equal(v?.failureClass, 'TypeError');
    assert.match(v?.reason ?? '', /card declined/);
    assert.equal(v?.file, 'shop/pay.py');
    assert.equal(v?.line, 42);
    assert.equal(runStatus(run), 'failed', 'the failing child fails the run');
  });

  it('accepts gzip from the SDK exporter (compression: gzip)', async () => {
    const traceId = await sendTrace(port, { compression: 'gzip' } as Partial<NonNullable<ExporterConfig>>);
    assert.equal(rx.stats.spans, 2);
    const text = fs.readFileSync(rx.stats.file!, 'utf8');
    assert.ok(text.includes(traceId));
  });

  it('refuses a non-loopback Host (DNS rebinding), an Origin, protobuf, other paths and methods, and bad bodies', async () => {
    const ok = JSON.stringify({ resourceSpans: [] });
    const json = { 'Content-Type': 'application/json' };
    assert.equal((await post(port, ok, { ...json, Host: 'attacker.example:4318' })).status, 403);
    assert.equal((await post(port, ok, { ...json, Host: '127.0.0.1.attacker.example' })).status, 403);
    assert.equal((await post(port, ok, { ...json, Origin: 'https://attacker.example' })).status, 403);
    const proto = await post(port, Buffer.from([1, 2, 3]), { 'Content-Type': 'application/x-protobuf' });
    assert.equal(proto.status, 415);
    assert.match(proto.body, /http\/json/);
    assert.equal((await post(port, ok, json, '/v1/metrics')).status, 404);
    assert.equal((await post(port, ok, json, '/v1/traces', 'PUT')).status, 405);
    assert.equal((await post(port, '{not json', json)).status, 400);
    assert.equal((await post(port, JSON.stringify({ resourceMetrics: [] }), json)).status, 400);
    assert.equal((await post(port, ok, { ...json, Host: `localhost:${port}` })).status, 200);
    assert.equal(rx.stats.droppedRequests, 0, 'refusals are not drops');
    assert.equal(fs.existsSync(path.join(root, RECEIVED_DIR)), false, 'an empty batch writes nothing');
  });

  it('answers 413 to a body over the cap (declared, streamed, or after gunzip) and counts it as dropped', async () => {
    const big = JSON.stringify({ resourceSpans: [], pad: 'x'.repeat(1024 * 1024 + 10) });
    const r = await post(port, big, { 'Content-Type': 'application/json' });
    assert.equal(r.status, 413);
    assert.equal(rx.stats.droppedRequests, 1);
    const bomb = zlib.gzipSync(Buffer.from(big));
    assert.ok(bomb.length < 1024 * 1024);
    assert.equal((await post(port, bomb, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' })).status, 413);
    assert.equal(rx.stats.droppedRequests, 2);
    // Still serving.
    await sendTrace(port);
    assert.equal(rx.stats.spans, 2);
  });

  it('a second receiver on the same port fails with EADDRINUSE and leaves nothing listening', async () => {
    const other = new OtlpReceiver({ root, port, maxBodyBytes: 1024 });
    await assert.rejects(other.start(), (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE');
    assert.equal(other.port, undefined);
  });
});

describe('OTLP receiver helpers', () => {
  it('isLoopbackHost', () => {
    for (const h of ['localhost', 'localhost:4318', '127.0.0.1', '127.0.0.1:4318', '127.1.2.3:1', '[::1]', '[::1]:4318', 'LOCALHOST:80', 'localhost.'])
      assert.equal(isLoopbackHost(h), true, h);
    for (const h of [undefined, '', 'example.com', 'example.com:4318', '127.0.0.1.nip.io', '0.0.0.0:4318', '10.0.0.1', '[::2]:4318', '127.0.0.256', 'localhost:4318:1', '[::1]x', 'localhost.example'])
      assert.equal(isLoopbackHost(h), false, String(h));
  });
  it('isLoopbackAddress', () => {
    assert.equal(isLoopbackAddress('127.0.0.1'), true);
    assert.equal(isLoopbackAddress('::ffff:127.0.0.1'), true);
    assert.equal(isLoopbackAddress('::1'), true);
    assert.equal(isLoopbackAddress('192.168.1.2'), false);
    assert.equal(isLoopbackAddress(undefined), false);
  });
  it('bodyKind', () => {
    assert.deepEqual(bodyKind('application/json; charset=utf-8', undefined), { ok: true, gzip: false });
    assert.deepEqual(bodyKind('application/json', 'gzip'), { ok: true, gzip: true });
    assert.equal(bodyKind('application/x-protobuf', undefined).ok, false);
    assert.equal(bodyKind('text/plain', undefined).ok, false);
    assert.equal(bodyKind('application/json', 'br').ok, false);
  });
  it('countSpans and receivedName', () => {
    assert.equal(countSpans({ resourceSpans: [{ scopeSpans: [{ spans: [{}, {}] }, { spans: [{}] }] }, {}] }), 3);
    assert.equal(countSpans({ resourceSpans: 'x' }), undefined);
    assert.equal(countSpans([]), undefined);
    const d = new Date('2026-12-06T23:59:00Z');
    assert.equal(receivedName(d, 1), 'received-2026-12-06.otlp.jsonl');
    assert.equal(receivedName(d, 3), 'received-2026-12-06-3.otlp.jsonl');
  });
});
