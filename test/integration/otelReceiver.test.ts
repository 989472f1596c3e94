// Issue 18 item 3 in the real extension host: receiving spans live. The test turns
// flowlens.otel.receiver.enabled on (port 0, maxBodyMB 1) in the scratch workspace, sends a trace
// with the REAL OpenTelemetry JS SDK (sdk-trace-base + exporter-trace-otlp-http, gzip) — a root
// span and a child with an ERROR status, an exception event and code attributes pointing at
// trader/data/fetcher.py:15 — and waits (no sleeps) for the run in api.services.allRuns() and the
// Runs view: running while the root is open, failed with the failure class and file:line once it
// ends. Then: a non-loopback Host is refused (403), an over-size body gets 413 and the dropped
// count rises, and turning the setting off closes the port (ECONNREFUSED). It cleans up after
// itself (settings and .flowlens/) so the suites after it see the demo runs only.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import * as vscode from 'vscode';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { FlowlensApi } from '../../src/extension';
import type { TreeNode } from '../../src/host/runs/runsView';
import { runStatus } from '../../src/core/analyze/queries';
import { until } from '../support/until';

const EXTENSION_ID = 'flowlens.flowlens';

type ExporterConfig = ConstructorParameters<typeof OTLPTraceExporter>[0];

function request(port: number, body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } }, res => {
      const chunks: Buffer[] = [];
      res.on('data', c => chunks.push(c as Buffer));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves with the connect error code ('' when something accepted the connection). */
function connectError(port: number): Promise<string> {
  return new Promise(resolve => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(''); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

describe('otel receiver: spans received live appear in the Runs view', function () {
  this.timeout(90000);
  let api: FlowlensApi;
  let root: string;
  let port: number;
  const cfg = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('flowlens');

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    api = (await ext.activate()) as FlowlensApi;
    await api.services.ready;
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    assert.strictEqual(api.otelReceiver.state().address, undefined, 'off by default');
    await cfg().update('otel.receiver.port', 0, vscode.ConfigurationTarget.Workspace);
    await cfg().update('otel.receiver.maxBodyMB', 1, vscode.ConfigurationTarget.Workspace);
    await cfg().update('otel.receiver.enabled', true, vscode.ConfigurationTarget.Workspace);
    const st = await until(() => api.otelReceiver.state().port !== undefined && api.otelReceiver.state(), { timeout: 20000, what: () => `the receiver to listen (${JSON.stringify(api.otelReceiver.state())})` });
    port = st.port!;
    assert.strictEqual(st.address, `127.0.0.1:${port}`);
    assert.strictEqual(st.folder, root);
  });

  after(async () => {
    for (const k of ['otel.receiver.enabled', 'otel.receiver.port', 'otel.receiver.maxBodyMB']) await cfg().update(k, undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(path.join(root, '.flowlens'), { recursive: true, force: true });
    // A deleted folder is one watcher event that matches no trace glob: walk the folder again.
    await api.services.refresh();
    await until(() => !api.services.allRuns().some(r => r.run.dialect === 'otlp'), { timeout: 20000, what: 'the received runs to go with their file' });
  });

  it('a trace sent by the OpenTelemetry JS SDK exporter appears as a run while it runs, then fails with class and file:line', async () => {
    const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, compression: 'gzip' } as ExporterConfig);
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('flowlens-integration');
    const rootSpan = tracer.startSpan('day/run');
    const traceId = rootSpan.spanContext().traceId;
    const child = tracer.startSpan('data/fetch/minute_candles', {
      attributes: { 'code.file.path': 'trader/data/fetcher.py', 'code.line.number': 15, 'code.function.name': 'fetch', symbol: 'NVDA' },
    }, trace.setSpan(context.active(), rootSpan));
    const err = new RangeError('vendor returned 0 rows for NVDA');
    child.recordException(err);
    child.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    child.end();
    await provider.forceFlush();

    // The child is in; the root span is still open: the run is listed, running, with the failure.
    const live = await until(() => api.services.allRuns().find(r => r.run.id === traceId), { timeout: 30000, what: () => `run ${traceId} in allRuns (receiver ${JSON.stringify(api.otelReceiver.state())})` });
    assert.strictEqual(live.run.dialect, 'otlp');
    assert.strictEqual(runStatus(live.run), 'running');

    rootSpan.end();
    await provider.forceFlush();
    await provider.shutdown();
    const ref = await until(() => {
      const r = api.services.allRuns().find(x => x.run.id === traceId);
      return r && r.run.flows.size === 2 && runStatus(r.run) === 'failed' && r;
    }, { timeout: 30000, what: 'the root span to end the run' });
    const flow = [...ref.run.flows.values()].find(f => f.name === 'data/fetch/minute_candles');
    assert.ok(flow?.verdictEvent, 'the child has a verdict');
    assert.strictEqual(flow.verdictEvent.type, 'exception');
    assert.strictEqual(flow.verdictEvent.failureClass, 'RangeError');
    assert.strictEqual(flow.verdictEvent.file, 'trader/data/fetcher.py');
    assert.strictEqual(flow.verdictEvent.line, 15);
    const resolved = api.services.resolveFile(ref.folderKey, flow.verdictEvent.file);
    assert.strictEqual(resolved.uri?.fsPath, path.join(root, 'trader', 'data', 'fetcher.py'));

    // The Runs view lists it, and its failing flow says RangeError.
    const node = await until(() => api.runsProvider.getChildren(undefined).find(n => n.kind === 'run' && n.runId === traceId), { what: 'the run in the Runs view' });
    const walk = (n: TreeNode, depth = 6): TreeNode[] => depth < 0 ? [] : api.runsProvider.getChildren(n).flatMap(c => [c, ...walk(c, depth - 1)]);
    const items = walk(node).filter(n => n.kind === 'flow').map(n => api.runsProvider.getTreeItem(n));
    assert.ok(items.some(i => /RangeError/.test(String(i.description))), items.map(i => `${String(typeof i.label === 'string' ? i.label : i.label?.label)} ${String(i.description)}`).join(' | '));

    const st = api.otelReceiver.state();
    assert.strictEqual(st.stats?.spans, 2);
    assert.ok(st.stats?.file && fs.existsSync(st.stats.file) && st.stats.file.startsWith(path.join(root, '.flowlens', 'otlp') + path.sep), String(st.stats?.file));
  });

  it('refuses a request whose Host is not loopback (DNS rebinding) and one from a web page (Origin)', async () => {
    const body = JSON.stringify({ resourceSpans: [] });
    const before = api.otelReceiver.state().stats?.batches;
    assert.strictEqual((await request(port, body, { 'Content-Type': 'application/json', Host: `rebind.attacker.example:${port}` })).status, 403);
    assert.strictEqual((await request(port, body, { 'Content-Type': 'application/json', Origin: 'http://attacker.example' })).status, 403);
    assert.strictEqual(api.otelReceiver.state().stats?.batches, before);
  });

  it('answers 413 to a body over flowlens.otel.receiver.maxBodyMB and counts it as dropped', async () => {
    const dropped = api.otelReceiver.state().stats?.droppedRequests ?? 0;
    const big = JSON.stringify({ resourceSpans: [], pad: 'x'.repeat(1024 * 1024 + 100) });
    const r = await request(port, big, { 'Content-Type': 'application/json' });
    assert.strictEqual(r.status, 413);
    assert.match(r.body, /maxBodyMB/);
    assert.strictEqual(api.otelReceiver.state().stats?.droppedRequests, dropped + 1);
  });

  it('stops listening when the setting turns off', async () => {
    await cfg().update('otel.receiver.enabled', false, vscode.ConfigurationTarget.Workspace);
    await until(() => api.otelReceiver.state().address === undefined, { what: 'the receiver to stop' });
    assert.strictEqual(await connectError(port), 'ECONNREFUSED');
  });
});
