// The shared OTLP/HTTP sender (src/core/render/otlpSend.ts) that the CLI's `export --endpoint` and the
// editor's *Export Run as OpenTelemetry* both use: endpoint → traces URL, the URL shown without
// credentials, credentials in the URL sent as Basic authorization (fetch refuses them in the URL)
// and never quoted in an error, batches of 500 spans. A loopback server records what arrives.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OtlpSendError, sendOtlp, shownUrl, tracesUrl } from '../../../src/core/render/otlpSend';
import type { OtlpTraceRequest } from '../../../src/core/render/otlp';

interface Seen { url: string; headers: http.IncomingHttpHeaders; spans: number }

function request(spans: number): OtlpTraceRequest {
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [{
        scope: { name: 'flowlens' },
        spans: Array.from({ length: spans }, (_, i) => ({
          traceId: '0'.repeat(31) + '1', spanId: i.toString(16).padStart(16, '0'), name: `s${i}`, kind: 1 as const,
          startTimeUnixNano: '1', endTimeUnixNano: '2', attributes: [], events: [], status: { code: 1 as const },
        })),
      }],
    }],
  };
}

describe('otlp: the shared OTLP/HTTP sender', () => {
  let server: http.Server;
  let base: string;
  const seen: Seen[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const j = JSON.parse(body) as OtlpTraceRequest;
        seen.push({ url: req.url ?? '', headers: req.headers, spans: j.resourceSpans.reduce((n, r) => n + r.scopeSpans.reduce((m, s) => m + s.spans.length, 0), 0) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => (seen.length = 0));

  it('an endpoint becomes its /v1/traces URL; a full traces URL is kept; a non-http one is a usage error naming the setting', () => {
    assert.equal(tracesUrl('http://c:4318').href, 'http://c:4318/v1/traces');
    assert.equal(tracesUrl('https://c/otlp/').href, 'https://c/otlp/v1/traces');
    assert.equal(tracesUrl('http://c:4318/v1/traces').href, 'http://c:4318/v1/traces');
    assert.throws(() => tracesUrl('ftp://c', 'flowlens.otel.endpoint'), (e: unknown) => e instanceof OtlpSendError && e.usage && /^flowlens\.otel\.endpoint must be an http\(s\) URL/.test(e.message));
    assert.throws(() => tracesUrl('not a url'), (e: unknown) => e instanceof OtlpSendError && e.usage);
    assert.equal(shownUrl(new URL('https://u:key@c:1/v1/traces?api_key=k#x')), 'https://c:1/v1/traces');
  });

  it('sends in batches of 500 spans and counts them', async () => {
    const r = await sendOtlp(request(1201), tracesUrl(base));
    assert.deepEqual(seen.map((s) => [s.url, s.spans]), [['/v1/traces', 500], ['/v1/traces', 500], ['/v1/traces', 201]]);
    assert.deepEqual({ spans: r.spans, rejected: r.rejected, requests: r.requests, status: r.status, shown: r.shown }, { spans: 1201, rejected: 0, requests: 3, status: 200, shown: `${base}/v1/traces` });
  });

  it('credentials in the URL go as Basic authorization, not in the request line; headers from the caller are kept', async () => {
    const url = tracesUrl(base.replace('http://', 'http://team:s%3Acret@'));
    await sendOtlp(request(1), url, { headers: { 'x-honeycomb-team': 'abc' } });
    assert.equal(seen[0].url, '/v1/traces');
    assert.equal(seen[0].headers.authorization, `Basic ${Buffer.from('team:s:cret').toString('base64')}`);
    assert.equal(seen[0].headers['x-honeycomb-team'], 'abc');
  });

  it('a dead endpoint fails with the URL shown without its credentials', async () => {
    const url = tracesUrl('http://team:hunter2secret@127.0.0.1:9');
    await assert.rejects(sendOtlp(request(1), url, { timeoutMs: 5000 }), (e: unknown) => {
      assert.ok(e instanceof OtlpSendError && !e.usage);
      assert.match(e.message, /^cannot send to http:\/\/127\.0\.0\.1:9\/v1\/traces: /);
      assert.ok(!e.message.includes('hunter2'), e.message);
      return true;
    });
  });
});
