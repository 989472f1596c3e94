/**
 * Issue 18 item 1: OTLP files read as runs (collector JSON Lines, Python json-file JSON Lines, a
 * pretty-printed document, ConsoleSpanExporter output), hostile input, discovery and the CLI.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FlowNode, Run } from '../../../src/core/model/types';
import { discover } from '../../../src/core/read/discover';
import {
  anyValue,
  consoleSpanToEvents,
  nanosToMs,
  otlpBatchToEvents,
  otlpId,
  parseStacktrace,
  sniffOtlp,
  splitJsonValues,
} from '../../../src/core/read/sources/otlp';
import { TraceWorkspace } from '../../../src/core/read/workspace';

const repo = path.resolve(__dirname, '../../../..');
const FIX = path.join(repo, 'test', 'fixtures', 'otlp');
const NOW = Date.parse('2027-01-01T00:00:00Z');

async function read(file: string): Promise<TraceWorkspace> {
  const ws = TraceWorkspace.forFile(path.join(FIX, file), { final: true, now: () => NOW });
  await ws.load({ final: true });
  return ws;
}

function flow(run: Run, name: string): FlowNode {
  const f = [...run.flows.values()].find((x) => x.name === name);
  assert.ok(f, `flow ${name} in ${[...run.flows.values()].map((x) => x.name).join(', ')}`);
  return f;
}

const verdictEvent = (f: FlowNode) => f.verdictEvent ?? f.events.find((e) => ['success', 'failure', 'exception'].includes(e.type));

describe('OTLP reader (issue 18)', () => {
  describe('pure conversion', () => {
    it('ids: hex (0x, any case) and base64; all-zero and wrong lengths refused', () => {
      assert.equal(otlpId('5B8EFFF798038103D269B633813FC60C', 16), '5b8efff798038103d269b633813fc60c');
      assert.equal(otlpId('0x051581bf3cb55c13', 8), '051581bf3cb55c13');
      assert.equal(otlpId(Buffer.from('051581bf3cb55c13', 'hex').toString('base64'), 8), '051581bf3cb55c13');
      assert.equal(otlpId('0000000000000000', 8), undefined);
      assert.equal(otlpId('abc', 8), undefined);
      assert.equal(otlpId(42, 8), undefined);
    });
    it('nanosecond times: strings keep precision, numbers accepted, 0/huge/NaN refused', () => {
      assert.equal(nanosToMs('1765046400000000321'), 1765046400000.000321);
      assert.equal(nanosToMs(1765046400000000000), 1765046400000);
      assert.equal(nanosToMs('0'), undefined);
      assert.equal(nanosToMs('99999999999999999999999'), undefined);
      assert.equal(nanosToMs('NaN'), undefined);
      assert.equal(nanosToMs(-5), undefined);
    });
    it('AnyValue: intValue string or number, arrays, kvlists, __proto__ as a plain key', () => {
      assert.equal(anyValue({ intValue: '42' }), 42);
      assert.equal(anyValue({ intValue: 42 }), 42);
      assert.equal(anyValue({ intValue: '9223372036854775807' }), '9223372036854775807');
      assert.equal(anyValue({ doubleValue: 'NaN' }), 'NaN');
      assert.deepEqual(anyValue({ arrayValue: { values: [{ stringValue: 'a' }, { boolValue: true }] } }), ['a', true]);
      const kv = anyValue({ kvlistValue: { values: [{ key: '__proto__', value: { stringValue: 'x' } }] } }) as Record<string, unknown>;
      assert.equal(Object.getOwnPropertyDescriptor(kv, '__proto__')?.value, 'x');
      assert.equal(({} as Record<string, unknown>).x, undefined);
    });
    it('stack traces: Python innermost is the last frame, JavaScript/Java the first', () => {
      const py = parseStacktrace('Traceback (most recent call last):\n  File "/a.py", line 4, in run\n    f()\n  File "/b.py", line 9, in f\nValueError: x');
      assert.deepEqual(py.innermost, { file: '/b.py', line: 9, function: 'f' });
      assert.equal(py.stack.length, 2);
      const js = parseStacktrace('Error: x\n    at layout (/s/pdf.ts:120:11)\n    at /s/main.ts:3:1');
      assert.deepEqual(js.innermost, { file: '/s/pdf.ts', line: 120, function: 'layout' });
      assert.deepEqual(js.stack[1], { file: '/s/main.ts', line: 3 });
      const java = parseStacktrace('java.io.IOException: x\n\tat com.a.B.fetch(B.java:33)\n\tat com.a.Main.main(Main.java:5)');
      assert.deepEqual(java.innermost, { file: 'B.java', line: 33, function: 'com.a.B.fetch' });
    });
    it('sniffing: one batch per line is lines; pretty-printed documents and console spans are documents; other JSON is not OTLP', () => {
      assert.equal(sniffOtlp(fs.readFileSync(path.join(FIX, 'collector.otlp.jsonl'), 'utf8')), 'lines');
      assert.equal(sniffOtlp(fs.readFileSync(path.join(FIX, 'document.otlp.json'), 'utf8')), 'document');
      assert.equal(sniffOtlp(fs.readFileSync(path.join(FIX, 'otel', 'console-spans.json'), 'utf8')), 'document');
      assert.equal(sniffOtlp('{"v":1,"event_type":"flow_start","run_id":"r"}\n'), undefined);
      assert.equal(sniffOtlp(''), undefined);
    });
    it('splitting concatenated values: start lines, strings with braces, junk, an unfinished value', () => {
      const r = splitJsonValues('{\n "a": "}{"\n}\n{"b": 1}\noops\n{"c": [\n', 1);
      assert.deepEqual(r.values.map((v) => [v.line, v.junk === true]), [[1, false], [4, false], [5, true]]);
      assert.equal(r.restLine, 6);
    });
    it('a batch that is not an object, or has no resourceSpans, is one located problem', () => {
      for (const bad of [null, 7, [], { resourceMetrics: [] }, { resourceSpans: 'x' }]) {
        const r = otlpBatchToEvents(bad, { file: 'f', line: 3 });
        assert.equal(r.events.length, 0);
        assert.equal(r.problems.length, 1);
        assert.equal(r.problems[0].line, 3);
      }
      assert.match(otlpBatchToEvents({ resourceMetrics: [] }, { file: 'f', line: 1 }).problems[0].reason, /metrics/);
    });
    it('Flowlens attributes (the exporter) win: run id, flow id, name, verdict, class, reason, evidence; parents mapped in the batch', () => {
      const T = 'a'.repeat(32);
      const attr = (key: string, v: string) => ({ key, value: { stringValue: v } });
      const r = otlpBatchToEvents(
        {
          resourceSpans: [
            {
              resource: { attributes: [attr('service.name', 'demo')] },
              scopeSpans: [
                {
                  spans: [
                    { traceId: T, spanId: '1'.repeat(16), name: 'x', startTimeUnixNano: '1765046400000000000', endTimeUnixNano: '1765046400100000000', attributes: [attr('flowlens.run.id', 'run-1'), attr('flowlens.flow.id', 'f-1'), attr('flowlens.flow.name', 'data/fetch'), attr('flowlens.verdict', 'succeeded')], status: {} },
                    { traceId: T, spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), name: 'y', startTimeUnixNano: '1765046400010000000', endTimeUnixNano: '1765046400020000000', attributes: [attr('flowlens.run.id', 'run-1'), attr('flowlens.flow.id', 'f-2'), attr('flowlens.verdict', 'failed'), attr('flowlens.failure.class', 'DATA.MISSING'), attr('flowlens.reason', 'no rows'), attr('flowlens.evidence.ticker', 'AAPL')], status: { code: 2, message: 'no rows' } },
                  ],
                },
              ],
            },
          ],
        },
        { file: 'f', line: 1 },
      );
      const fail = r.events.find((e) => e.type === 'failure');
      assert.ok(fail);
      assert.equal(fail.runId, 'run-1');
      assert.equal(fail.flowId, 'f-2');
      assert.equal(fail.failureClass, 'DATA.MISSING');
      assert.equal(fail.reason, 'no rows');
      assert.deepEqual({ ...(fail.evidence as object) }, { ticker: 'AAPL' });
      const start2 = r.events.find((e) => e.type === 'flow_start' && e.flowId === 'f-2');
      assert.equal(start2?.parentFlowId, 'f-1');
      assert.equal(r.events.find((e) => e.flowId === 'f-1')?.flow, 'data/fetch');
      assert.equal(r.events[0].type, 'session_start');
      assert.equal(r.events[r.events.length - 1].type, 'session_end');
    });
  });

  describe('Collector file exporter (JSON Lines, one batch per line)', () => {
    it('two traces; the root span in a later batch links the earlier children; verdicts, classes, durations, file:line', async () => {
      const ws = await read('collector.otlp.jsonl');
      assert.deepEqual(ws.malformed(), []);
      const runs = ws.runs();
      assert.deepEqual(runs.map((r) => r.id).sort(), ['0af7651916cd43dd8448eb211c80319c', '5b8efff798038103d269b633813fc60c']);
      const a = ws.getRun('5b8efff798038103d269b633813fc60c') as Run;
      assert.equal(a.dialect, 'otlp');
      assert.equal(a.app, 'checkout');
      assert.equal(a.host, 'web-1');
      assert.equal(a.mode, 'staging');
      assert.equal(a.status, 'failed');
      assert.equal(a.started, Date.parse('2025-12-06T18:40:00.000Z'));
      assert.equal(a.ended, Date.parse('2025-12-06T18:40:01.300Z'));
      assert.deepEqual(a.roots.map((f) => f.name), ['POST /checkout']);
      const root = flow(a, 'POST /checkout');
      assert.equal(root.id, '051581bf3cb55c13');
      assert.deepEqual(root.children.map((c) => c.name).sort(), ['POST /charge', 'SELECT orders']);
      assert.equal(root.verdict, 'failed');
      assert.equal(root.durationMs, 1300);
      const rv = verdictEvent(root);
      assert.equal(rv?.failureClass, 'OTEL.ERROR');
      assert.equal(rv?.reason, 'charge failed');
      assert.equal(rv?.file, '/srv/checkout/handlers.go');
      assert.equal(rv?.line, 31);
      assert.equal(rv?.src.line, 2, 'located at the batch line');
      const charge = flow(a, 'POST /charge');
      assert.equal(charge.parentId, '051581bf3cb55c13');
      assert.equal(charge.verdict, 'exception');
      assert.equal(charge.durationMs, 1245.25);
      const cv = verdictEvent(charge);
      assert.equal(cv?.failureClass, '503', 'error.type wins over exception.type');
      assert.equal(cv?.reason, 'Post "https://payments.internal/charge": 503 Service Unavailable');
      assert.equal(cv?.exception?.type, '*url.Error');
      assert.equal(cv?.file, '/srv/checkout/pay/client.go');
      assert.equal(cv?.line, 142);
      assert.equal(cv?.src.line, 1);
      const retry = charge.events.find((e) => e.type === 'checkpoint');
      assert.equal(retry?.step, 'retry');
      assert.deepEqual({ ...(retry?.evidence as object) }, { attempt: 1, backoff: '250ms' });
      const sel = flow(a, 'SELECT orders');
      assert.equal(sel.verdict, 'succeeded');
      assert.equal(sel.durationMs, 28.5);
      assert.equal(sel.events.at(0)?.file, '/srv/checkout/store/orders.go');
      assert.equal(sel.events.at(0)?.line, 88);
      assert.equal(sel.events.at(0)?.function, 'store.(*Orders).Get');
      const b = ws.getRun('0af7651916cd43dd8448eb211c80319c') as Run;
      assert.equal(b.status, 'ok');
      assert.equal(flow(b, 'cache.get').parentId, 'b7ad6b7169203331');
      assert.equal(flow(b, 'GET /cart').durationMs, 20);
    });
  });

  describe('Python json-file exporter (intValue numbers, old code.* attributes)', () => {
    it('reads code.filepath/code.lineno, the exception class and the raise site', async () => {
      const ws = await read('python-json-file.otlp.jsonl');
      const run = ws.getRun('e6b1d2c3a4f5061728394a5b6c7d8e9f') as Run;
      assert.equal(run.app, 'ingest-worker');
      assert.equal(run.status, 'failed');
      assert.equal(flow(run, 'ingest').children.length, 2);
      const parse = flow(run, 'parse_rows');
      assert.equal(parse.verdict, 'succeeded');
      assert.equal(parse.durationMs, 200);
      assert.equal(parse.events.at(0)?.file, '/app/ingest/parse.py');
      assert.equal(parse.events.at(0)?.line, 57);
      const v = verdictEvent(flow(run, 'validate'));
      assert.equal(v?.type, 'exception');
      assert.equal(v?.failureClass, 'ValueError');
      assert.equal(v?.reason, 'row 17: price is negative');
      assert.equal(v?.file, '/app/ingest/validate.py');
      assert.equal(v?.line, 12, 'the span code attributes locate the verdict');
      assert.deepEqual(v?.exception?.stack.map((f) => f.line), [40, 19]);
      assert.equal(verdictEvent(flow(run, 'ingest'))?.reason, 'validation failed');
    });
  });

  describe('one pretty-printed OTLP/JSON document', () => {
    it('enum names for kind and status, JS stack, array and kvlist attributes', async () => {
      const ws = await read('document.otlp.json');
      assert.deepEqual(ws.malformed(), []);
      const run = ws.getRun('a1b2c3d4e5f60718293a4b5c6d7e8f90') as Run;
      assert.equal(run.app, 'report-job');
      assert.equal(run.status, 'ok', 'the root span is unset: the trace ended ok (surfaces show failed flows)');
      const pdf = flow(run, 'render pdf');
      assert.equal(pdf.verdict, 'exception');
      assert.equal(pdf.durationMs, 2300);
      const v = verdictEvent(pdf);
      assert.equal(v?.failureClass, 'RangeError');
      assert.equal(v?.file, 'src/pdf.ts');
      assert.equal(v?.line, 77);
      assert.equal(v?.src.line, 1);
      assert.equal(flow(run, 'build report').verdict, 'succeeded');
      const fetch = flow(run, 'fetch data');
      assert.equal(fetch.verdict, 'succeeded');
      const data = fetch.events.at(0)?.data as Record<string, unknown>;
      assert.deepEqual(data.tags, ['a', 2]);
      assert.deepEqual({ ...(data.query as object) }, { table: 'sales', limit: 100 });
      assert.equal(fetch.events.at(0)?.extra['otel.kind'], 'CLIENT');
    });
  });

  describe('Python ConsoleSpanExporter output (pretty-printed objects one after another)', () => {
    it('each span located at the line its object starts; 0x ids, ISO times, status names', async () => {
      const ws = await read(path.join('otel', 'console-spans.json'));
      assert.deepEqual(ws.malformed(), []);
      const run = ws.getRun('5b8aa5a2d2c872e8321cf37308d69df2') as Run;
      assert.equal(run.app, 'hello-cli');
      assert.equal(run.status, 'ok');
      assert.deepEqual(run.roots.map((f) => f.name), ['main']);
      const compute = flow(run, 'compute');
      assert.equal(compute.parentId, '6e0c63257de34c92');
      assert.equal(compute.verdict, 'exception');
      assert.equal(compute.durationMs, 2.5);
      const v = verdictEvent(compute);
      assert.equal(v?.failureClass, 'ZeroDivisionError');
      assert.equal(v?.reason, 'division by zero');
      assert.equal(v?.file, 'hello.py');
      assert.equal(v?.line, 14);
      assert.equal(v?.src.line, 1);
      const greet = flow(run, 'greet');
      assert.equal(greet.verdict, 'succeeded');
      const said = greet.events.find((e) => e.type === 'checkpoint');
      assert.equal(said?.step, 'said hello');
      assert.ok((said?.src.line ?? 0) > 1, 'the second object starts further down');
      assert.equal(flow(run, 'main').durationMs, 30);
    });
    it('a console span without ids is a problem, not an exception', () => {
      const r = consoleSpanToEvents({ name: 'x', context: { trace_id: '0x0', span_id: '0x1' } }, { file: 'c', line: 9 });
      assert.equal(r.events.length, 0);
      assert.equal(r.problems[0].line, 9);
    });
  });

  describe('hostile and malformed input', () => {
    it('bad lines and spans are reported with file and line; the rest still reads; text stays data', async () => {
      const ws = await read('hostile.otlp.jsonl');
      const file = path.join(FIX, 'hostile.otlp.jsonl');
      const bad = ws.malformed();
      assert.ok(bad.every((m) => m.file === file));
      const lines = [...new Set(bad.map((m) => m.line))];
      assert.deepEqual(lines, [2, 3, 4, 7]);
      assert.match(bad.find((m) => m.line === 2 && /no ids/.test(m.reason))?.reason ?? '', /no valid traceId/);
      assert.ok(bad.some((m) => m.line === 2 && /startTimeUnixNano 99999999999999999999999 is not a time/.test(m.reason)));
      assert.match(bad.find((m) => m.line === 4)?.reason ?? '', /metrics/);
      assert.match(bad.find((m) => m.line === 7)?.reason ?? '', /./);
      const src = ws.sources().find((x) => x.file === file);
      assert.equal(src?.dialect, 'otlp');
      assert.equal(src?.warnings, 1, 'the NaN token line is kept with a warning');
      const run = ws.getRun('1f2e3d4c5b6a79880123456789abcdef') as Run;
      assert.equal(run.app, 'hostile');
      const evil = [...run.flows.values()].find((f) => f.id === 'aaaaaaaaaaaaaaa1') as FlowNode;
      assert.equal(evil.name, '[run me](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%20-rf%20~%22%7D)');
      assert.equal(evil.parentId, 'aaaaaaaaaaaaaaa0', 'linked to the root read three lines later');
      const v = verdictEvent(evil);
      assert.equal(v?.reason, 'see [details](command:workbench.action.terminal.new) <script>alert(1)</script>');
      const ev = v?.evidence as Record<string, unknown>;
      assert.deepEqual(Object.keys(ev), ['__proto__', 'constructor', 'note']);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
      const huge = [...run.flows.values()].find((f) => f.name === 'huge time') as FlowNode;
      assert.equal(huge.started, undefined);
      assert.equal(huge.verdict, 'orphaned');
      assert.equal(flow(run, 'root').verdict, 'succeeded');
    });
  });

  describe('discovery and the CLI', () => {
    let tmp: string;
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-otlp-'));
      fs.cpSync(FIX, tmp, { recursive: true });
      fs.mkdirSync(path.join(tmp, 'otel', 'cfg'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'otel', 'collector-config.json'), '{"receivers": {"otlp": {}}}\n');
      fs.writeFileSync(path.join(tmp, 'package.json'), '{"name": "x"}\n');
      const old = new Date(Date.now() - 2 * 86400_000);
      for (const f of fs.readdirSync(tmp, { recursive: true }) as string[]) fs.utimesSync(path.join(tmp, f), old, old);
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('finds *.otlp.json(l) by name and JSON in an otel/ folder only when it holds traces', () => {
      const d = discover(tmp);
      const otlp = d.sources.filter((s) => s.kind === 'otlp').map((s) => path.relative(tmp, s.file)).sort();
      assert.deepEqual(otlp, ['collector.otlp.jsonl', 'document.otlp.json', 'hostile.otlp.jsonl', path.join('otel', 'console-spans.json'), 'python-json-file.otlp.jsonl']);
      assert.ok(!d.sources.some((s) => s.file.endsWith('collector-config.json') || s.file.endsWith('package.json')));
    });

    it('an OTLP file under any name opened by path (Open Trace File, CLI PATH) is sniffed', async () => {
      const plain = path.join(tmp, 'traces.jsonl');
      fs.copyFileSync(path.join(FIX, 'collector.otlp.jsonl'), plain);
      const ws = TraceWorkspace.forFile(plain, { final: true, now: () => NOW });
      await ws.load({ final: true });
      assert.equal(ws.runs().length, 2);
      assert.equal(ws.sources()[0].dialect, 'otlp');
      fs.rmSync(plain);
    });

    it('runs, flows and failures --json show the OTLP runs', function () {
      this.timeout(60_000);
      const cli = path.join(repo, 'dist', 'cli.js');
      assert.ok(fs.existsSync(cli), 'run `npm run build` first');
      const json = (args: string[]): any => {
        const r = spawnSync(process.execPath, [cli, ...args, '--json'], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout);
      };
      const runs = json(['runs', tmp]).runs as { id: string; app: string; dialect: string; status: string; malformed: number }[];
      assert.equal(runs.length, 6);
      assert.ok(runs.every((r) => r.dialect === 'otlp'));
      const checkout = runs.find((r) => r.id === '5b8efff798038103d269b633813fc60c');
      assert.equal(checkout?.app, 'checkout');
      assert.equal(checkout?.status, 'failed');
      const flows = json(['flows', tmp, '--run', '5b8efff7']);
      const text = JSON.stringify(flows);
      for (const n of ['POST /checkout', 'POST /charge', 'SELECT orders']) assert.ok(text.includes(n), n);
      const failures = json(['failures', tmp, '--run', '5b8efff7']);
      const ft = JSON.stringify(failures);
      assert.ok(ft.includes('OTEL.ERROR') && ft.includes('/srv/checkout/pay/client.go'), ft.slice(0, 400));
      const py = JSON.stringify(json(['failures', tmp, '--run', 'e6b1d2c3']));
      assert.ok(py.includes('ValueError') && py.includes('row 17: price is negative'));
    });
  });
});
