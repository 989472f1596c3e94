/**
 * Issue 18, attacked: hostile OTLP files, receiver bodies and collector answers that the first
 * round did not try (docs/security.md "OpenTelemetry (issue 18) — attacked"). Each test failed
 * before its fix.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { otlpBatchToEvents } from '../../../src/core/read/sources/otlp';
import { toOtlp } from '../../../src/core/render/otlp';
import { postOtlp } from '../../../src/core/render/otlpSend';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { OtlpReceiver } from '../../../src/host/otelReceiver/server';

const T = '0123456789abcdef0123456789abcdef';
const loc = { file: 'x.otlp.json', line: 1 };
const batch = (spans: object[]): object => ({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
const span = (extra: object = {}): object => ({ traceId: T, spanId: '00000000000000aa', name: 's', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000001000000000', ...extra });

function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port })));
}

describe('OTLP attacked (issue 18)', function () {
  this.timeout(60_000);

  describe('reader', () => {
    it('a 5 MB span name is cut (names are identifiers: redacting them is linear in their length, on every surface)', () => {
      const r = otlpBatchToEvents(batch([span({ name: 'x'.repeat(5_000_000), attributes: [{ key: 'flowlens.failure.class', value: { stringValue: 'C'.repeat(1_000_000) } }], status: { code: 2 } })]), loc);
      for (const e of r.events) {
        assert.ok((e.flow ?? '').length <= 4096, `flow name of ${e.flow?.length} chars`);
        assert.ok((e.failureClass ?? '').length <= 4096, `class of ${e.failureClass?.length} chars`);
      }
      assert.ok(r.problems.some((p) => /cut/.test(p.reason)), JSON.stringify(r.problems));
    });

    it('a span ending before it starts is read as ending at its start, with a problem; its run is not "crashed"', async () => {
      const r = otlpBatchToEvents(batch([span({ startTimeUnixNano: '1700000009000000000' })]), loc);
      assert.deepEqual(r.events.map((e) => e.type), ['session_start', 'flow_start', 'success', 'session_end']);
      assert.ok(r.problems.some((p) => /before/.test(p.reason)), JSON.stringify(r.problems));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-attack-'));
      try {
        const f = path.join(dir, 'a.otlp.json');
        fs.writeFileSync(f, JSON.stringify(batch([span({ startTimeUnixNano: '1700000009000000000' })])));
        const ws = TraceWorkspace.forFile(f, { final: true });
        await ws.load({ final: true });
        assert.equal(ws.runs()[0].status, 'ok');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a span id repeated in one batch is a located problem (the repeat still reads into the same flow)', () => {
      const r = otlpBatchToEvents(batch([span({ name: 'first' }), span({ name: 'second' })]), loc);
      const dup = r.problems.filter((p) => /appears twice/.test(p.reason));
      assert.equal(dup.length, 1, JSON.stringify(r.problems));
      assert.equal(dup[0].line, loc.line);
      assert.match(dup[0].reason, /spans\[1\]/);
      const once = otlpBatchToEvents(batch([span({ name: 'first' })]), loc);
      assert.deepEqual(once.problems.filter((p) => /appears twice/.test(p.reason)), []);
    });

    it('parent cycles (A↔B, self-parent), prototype keys and 100,000-deep kvlists end and pollute nothing', () => {
      let v: object = { stringValue: 'leaf' };
      for (let i = 0; i < 100_000; i++) v = { kvlistValue: { values: [{ key: '__proto__', value: v }] } };
      const r = otlpBatchToEvents(batch([
        span({ spanId: '000000000000000a', parentSpanId: '000000000000000b', name: '__proto__', attributes: [{ key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } } }, { key: 'deep', value: v }] }),
        span({ spanId: '000000000000000b', parentSpanId: '000000000000000a', name: 'constructor' }),
        span({ spanId: '000000000000000c', parentSpanId: '000000000000000c' }),
      ]), loc);
      assert.equal(r.spans, 3);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  });

  describe('exporter', () => {
    it('a verdict with duration_ms 1e300 or a negative one never gives a negative or 300-digit startTimeUnixNano', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-attack-'));
      try {
        const f = path.join(dir, 'trace.jsonl');
        const ev = (o: object): string => JSON.stringify({ v: 1, run_id: 'R1', ...o });
        fs.writeFileSync(f, [
          ev({ event_type: 'session_start', timestamp: '2026-11-18T09:00:00.000000Z' }),
          ev({ event_type: 'flow_start', timestamp: '2026-11-18T09:00:00.000000Z', flow: 'a', flow_id: 'f1' }),
          ev({ event_type: 'failure', timestamp: '2026-11-18T09:00:01.000000Z', flow: 'a', flow_id: 'f1', class: 'X', duration_ms: 1e300 }),
          ev({ event_type: 'flow_start', timestamp: '2026-11-18T09:00:00.000000Z', flow: 'b', flow_id: 'f2' }),
          ev({ event_type: 'success', timestamp: '2026-11-18T09:00:01.000000Z', flow: 'b', flow_id: 'f2', duration_ms: -1e15 }),
        ].join('\n') + '\n');
        const ws = TraceWorkspace.forFile(f, { final: true });
        await ws.load({ final: true });
        const spans = toOtlp(ws.runs()).resourceSpans[0].scopeSpans[0].spans;
        assert.equal(spans.length, 2);
        for (const s of spans) {
          assert.match(s.startTimeUnixNano, /^\d{1,20}$/, s.startTimeUnixNano.slice(0, 40));
          assert.match(s.endTimeUnixNano, /^\d{1,20}$/);
          assert.ok(BigInt(s.startTimeUnixNano) <= BigInt(s.endTimeUnixNano));
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('sender', () => {
    it('an endless answer from the collector is not buffered: the send ends long before its timeout', async () => {
      let sent = 0;
      const { server, port } = await listen((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          const chunk = Buffer.alloc(1 << 16, 97);
          const pump = (): void => {
            while (!res.destroyed && sent < 16_384) {
              sent++;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
        });
      });
      try {
        const t0 = Date.now();
        await assert.rejects(postOtlp(new URL(`http://127.0.0.1:${port}/v1/traces`), '{}', { timeoutMs: 30_000 }), /HTTP 500 [^:]*: aaaa/);
        assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
        assert.ok(sent < 4096, `${sent} × 64 KiB of the answer were sent (read)`);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('an answer that echoes the URL password or a header value does not carry it into the message', async () => {
      const { server, port } = await listen((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(401, { 'content-type': 'text/plain' });
          res.end(`bad credentials ${Buffer.from(String(req.headers.authorization).slice(6), 'base64').toString()} ${String(req.headers['x-api-key'])} ${String(req.headers.authorization)}`);
        });
      });
      try {
        await assert.rejects(postOtlp(new URL(`http://bob:Pa55-word-9@127.0.0.1:${port}/v1/traces`), '{}', { timeoutMs: 5000, headers: { 'x-api-key': 'key-0123456789' } }), (e: Error) => {
          assert.match(e.message, /HTTP 401/);
          for (const s of ['Pa55-word-9', 'key-0123456789', Buffer.from('bob:Pa55-word-9').toString('base64')]) assert.ok(!e.message.includes(s), e.message);
          return true;
        });
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  });

  describe('receiver', () => {
    let root: string;
    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-attack-rcv-'));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it('gzip bodies count their uncompressed size against the shared buffer (60 × 10 KB bombs of 10 MB each)', async () => {
      const r = new OtlpReceiver({ root, port: 0, maxBodyBytes: 10 * 1024 * 1024 });
      const port = await r.start();
      try {
        // Valid OTLP that is never written (no spans): only memory is at stake.
        const gz = zlib.gzipSync(JSON.stringify({ resourceSpans: [], pad: 'x'.repeat(10 * 1024 * 1024 - 100) }));
        const post = (): Promise<number> => new Promise((resolve) => {
          const q = http.request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length } }, (rs) => {
            rs.resume();
            rs.on('end', () => resolve(rs.statusCode ?? 0));
          });
          q.on('error', () => resolve(-1));
          q.end(gz);
        });
        const codes = await Promise.all(Array.from({ length: 60 }, post));
        assert.ok(codes.includes(503), `codes ${codes.join(',')}`);
        assert.ok(codes.includes(200));
      } finally {
        await r.stop();
      }
    });

    it('idle connections are bounded (slowloris): beyond the limit new sockets are closed at once', async () => {
      const r = new OtlpReceiver({ root, port: 0, maxBodyBytes: 1024 * 1024 });
      const port = await r.start();
      const socks: net.Socket[] = [];
      try {
        let closed = 0;
        await Promise.all(Array.from({ length: 300 }, () => new Promise<void>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => {
            s.write('POST /v1/traces HTTP/1.1\r\nHost: localhost\r\n');
            resolve();
          });
          s.on('close', () => closed++);
          s.on('error', () => resolve());
          socks.push(s);
        })));
        await new Promise((res) => setTimeout(res, 500));
        assert.ok(closed >= 100, `${closed} of 300 slow connections closed`);
      } finally {
        for (const s of socks) s.destroy();
        await r.stop();
      }
    });
  });
});
