/**
 * The `flowlens` CLI, run as a child process (the built dist/cli.js) on copies of the fixtures.
 * Expected values are worked out from the fixture traces and scenarios/*.json by hand.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyAged as copyAgedTo } from '../../support/aged';

const repo = path.resolve(__dirname, '../../../..');
const cli = path.join(repo, 'dist', 'cli.js');
const fixtures = path.join(repo, 'test', 'fixtures');

interface Res { code: number | null; out: string; err: string }

function run(args: string[], env: Record<string, string> = {}, cwd = repo): Res {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env }, timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function json(args: string[]): any {
  const r = run([...args, '--json']);
  assert.equal(r.code, 0, `exit ${r.code}: ${r.err}`);
  assert.equal(r.err, '');
  return JSON.parse(r.out);
}

/** Copy a fixture folder and age every file, so no run counts as live (written in the last minutes). */
const copyAged = (name: string): string => copyAgedTo(path.join(fixtures, name), `flowlens-cli-${name}`);

function oneLineError(r: Res, code: number): void {
  assert.equal(r.code, code, `stdout: ${r.out}\nstderr: ${r.err}`);
  assert.match(r.err, /^flowlens: .+\n$/, `stderr was: ${JSON.stringify(r.err)}`);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
}

const B7D2 = '20261119T140000Z-b7d2';
const C4E8 = '20261119T190000Z-c4e8';

describe('flowlens CLI', function () {
  this.timeout(60_000);
  let demo: string;
  let stores: string;
  let tmp: string;
  before(() => {
    assert.ok(fs.existsSync(cli), 'run `npm run build` first (dist/cli.js missing)');
    demo = copyAged('demo-app');
    stores = copyAged('stores');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-cli-'));
  });
  after(() => {
    for (const d of [demo, stores, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('usage', () => {
    it('--version prints the package version', () => {
      const r = run(['--version']);
      assert.equal(r.code, 0);
      const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string };
      assert.equal(r.out.trim(), pkg.version);
    });
    it('--help lists the commands and exits 0', () => {
      const r = run(['--help']);
      assert.equal(r.code, 0);
      for (const c of ['runs', 'flows', 'failures', 'metrics', 'validate', 'stores']) assert.match(r.out, new RegExp(`\\b${c}\\b`));
    });
    it('usage errors exit 2 with one line on stderr', () => {
      oneLineError(run(['bogus']), 2);
      oneLineError(run(['runs', demo, '--frobnicate']), 2);
      oneLineError(run(['flows', demo, '--run']), 2);
      oneLineError(run([]), 2);
    });
    it('a missing path or an unknown run exits 1 with one line on stderr', () => {
      oneLineError(run(['runs', path.join(tmp, 'does-not-exist')]), 1);
      oneLineError(run(['flows', demo, '--run', 'no-such-run']), 1);
      oneLineError(run(['failures', demo, '--run', 'no-such-run', '--json']), 1);
    });
  });

  describe('runs', () => {
    it('lists the v1 runs and the 0.1 runs newest first with flow counts (--json)', () => {
      const j = json(['runs', demo]);
      // The 0.1 runs (runs/<id>/) share the v1 run ids, so they are named by their folder path;
      // their first event is at 09:00:00.035 (no session_start), the v1 session_start at .000.
      const days = ['20261122T140000Z-f5b0', '20261121T140000Z-e2a6', '20261120T140000Z-d9f1', C4E8, B7D2, '20261118T140000Z-a1c3'];
      assert.deepEqual(j.runs.map((r: any) => r.id), days.flatMap(d => [`runs/${d}`, d]));
      // v1: session_end status (e2a6 has none: crashed); c4e8's session_end says ok over a failed
      // flow: failed, as every surface shows it (analyze/queries.ts runStatus, issue 16).
      // 0.1: summary.md present = ended, failed when a failure/exception event exists; e2a6 has no summary.md: crashed.
      assert.deepEqual(j.runs.map((r: any) => r.status), [
        'failed', 'failed', 'crashed', 'crashed', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'ok', 'ok',
      ]);
      const byId = new Map<string, any>(j.runs.map((r: any) => [r.id, r]));
      // b7d2: 8 flow_start; 6 success, 1 failure (f-0008), 1 exception (f-0007); 28 lines
      assert.deepEqual(byId.get(B7D2).flows, { total: 8, succeeded: 6, failed: 1, exceptions: 1, orphaned: 0, running: 0 });
      assert.equal(byId.get(B7D2).events, 28);
      assert.equal(byId.get(B7D2).app, 'trader');
      assert.equal(byId.get(B7D2).dialect, 'flowscribe-v1');
      assert.equal(byId.get(B7D2).started, '2026-11-19T09:00:00.000Z');
      assert.equal(byId.get(B7D2).ended, '2026-11-19T09:00:01.375Z');
      assert.equal(byId.get(B7D2).malformed, 0);
      // the same day from flowscribe 0.1: 18 lines, same 8 flows and verdicts
      assert.equal(byId.get(`runs/${B7D2}`).events, 18);
      assert.equal(byId.get(`runs/${B7D2}`).dialect, 'flowscribe-0.1');
      assert.deepEqual(byId.get(`runs/${B7D2}`).flows, { total: 8, succeeded: 6, failed: 1, exceptions: 1, orphaned: 0, running: 0 });
      // e2a6 crashed in orders for NVDA: 13 flows, 12 success, f-0013 has no verdict → orphaned
      assert.deepEqual(byId.get('20261121T140000Z-e2a6').flows, { total: 13, succeeded: 12, failed: 0, exceptions: 0, orphaned: 1, running: 0 });
      assert.equal(byId.get('20261121T140000Z-e2a6').ended, '2026-11-21T09:00:01.320Z'); // last event (metric ack)
      // f5b0 market closed: one flow, failed
      assert.deepEqual(byId.get('20261122T140000Z-f5b0').flows, { total: 1, succeeded: 0, failed: 1, exceptions: 0, orphaned: 0, running: 0 });
      assert.deepEqual(j.malformed, []);
    });
    it('reports the cut-off last lines of the Grain/Assay queues as malformed', () => {
      const j = json(['runs', stores]);
      // .grain: 193 lines, .assay: 49 lines; the last line of each stops mid-object
      assert.deepEqual(j.malformed.map((m: any) => [path.relative(stores, m.file), m.line]).sort(), [
        ['.assay/telemetry_queue.jsonl', 49], ['.grain/telemetry_queue.jsonl', 193],
      ]);
    });
    it('prints aligned, uncoloured columns when not a TTY', () => {
      const r = run(['runs', demo]);
      assert.equal(r.code, 0, r.err);
      assert.doesNotMatch(r.out, /\u001b/);
      const lines = r.out.trimEnd().split('\n');
      assert.match(lines[0], /^RUN\s+STATUS/);
      assert.equal(lines.filter(l => /^(runs\/)?2026/.test(l)).length, 12);
      const statusCol = lines[0].indexOf('STATUS');
      for (const l of lines.slice(1, 13)) assert.match(l.slice(statusCol), /^(ok|failed|crashed)\b/);
    });
    it('colours with FORCE_COLOR=1 and not with NO_COLOR', () => {
      assert.match(run(['runs', demo], { FORCE_COLOR: '1' }).out, /\u001b\[3\dm/);
      assert.doesNotMatch(run(['runs', demo], { NO_COLOR: '1' }).out, /\u001b/);
    });
    it('reads a single trace file given as PATH', () => {
      const j = json(['runs', path.join(demo, '.autodev', 'runs', B7D2, 'trace.jsonl')]);
      assert.equal(j.runs.length, 1);
      assert.equal(j.runs[0].id, B7D2);
      assert.deepEqual(j.runs[0].flows, { total: 8, succeeded: 6, failed: 1, exceptions: 1, orphaned: 0, running: 0 });
    });
    it('reads a single flowscribe 0.1 file, naming flows from the summary.md beside it', () => {
      const j = json(['flows', path.join(demo, 'runs', B7D2, 'trace.jsonl')]);
      // The same run id as when the folder is read: the v1 run folder .autodev/runs/<id>/ owns
      // the bare name, so the 0.1 run is runs/<id>; names from summary.md (same eight flows as the v1 run)
      assert.equal(j.run, `runs/${B7D2}`);
      const f = new Map<string, any>(j.flows.map((x: any) => [x.name, x]));
      assert.equal(f.get('data/fetch/minute_candles').instances, 3);
      assert.equal(f.get('data/fetch/minute_candles').failed, 1);
      assert.deepEqual(f.get('data/fetch/minute_candles').failure_classes, { 'DATA.EMPTY': 1 });
      assert.equal(f.get('indicators/ema/compute').exceptions, 1);
    });
  });

  describe('flows', () => {
    it('rolls up b7d2 per flow name', () => {
      const j = json(['flows', demo, '--run', B7D2]);
      assert.equal(j.run, B7D2);
      const f = new Map<string, any>(j.flows.map((x: any) => [x.name, x]));
      assert.deepEqual([...f.keys()].sort(), ['agent/decision/evaluate', 'data/fetch/minute_candles', 'indicators/ema/compute', 'orders/submit', 'premarket/prepare']);
      // fetch: AAPL 150 ok, MSFT 160 ok, NVDA 690 DATA.EMPTY
      const fetch = f.get('data/fetch/minute_candles');
      assert.equal(fetch.instances, 3);
      assert.equal(fetch.succeeded, 2);
      assert.equal(fetch.failed, 1);
      assert.equal(fetch.exceptions, 0);
      assert.ok(Math.abs(fetch.success_rate - 2 / 3) < 1e-3);
      assert.equal(fetch.p50_ms, 160);
      assert.equal(fetch.max_ms, 690);
      assert.equal(fetch.sla_p95_ms, 800); // ra.yaml sla_overrides
      assert.deepEqual(fetch.failure_classes, { 'DATA.EMPTY': 1 });
      const ind = f.get('indicators/ema/compute');
      assert.equal(ind.instances, 2);
      assert.equal(ind.exceptions, 1);
      assert.deepEqual(ind.failure_classes, { 'DATA.MISSING_COLUMN': 1 });
      assert.equal(ind.sla_p95_ms, null);
    });
    it('flags the orders/submit SLA breach in c4e8 (acks 400 and 1800 ms, SLA p95 1000 ms)', () => {
      const j = json(['flows', demo, '--run', C4E8]);
      const o = j.flows.find((x: any) => x.name === 'orders/submit');
      assert.equal(o.instances, 2);
      assert.equal(o.max_ms, 1800);
      assert.equal(o.sla_p95_ms, 1000);
      assert.equal(o.sla_breached, true);
      assert.ok(o.p95_ms > 1000);
    });
    it('defaults to the latest run', () => {
      const j = json(['flows', demo]);
      assert.equal(j.run, '20261122T140000Z-f5b0');
      assert.equal(j.flows.length, 1);
      assert.equal(j.flows[0].name, 'premarket/prepare');
      assert.deepEqual(j.flows[0].failure_classes, { 'BUSINESS.MARKET_CLOSED': 1 });
    });
  });

  describe('failures', () => {
    it('lists every failure of every run, oldest first (--run all)', () => {
      const j = json(['failures', demo, '--run', 'all']);
      const v1 = j.failures.filter((f: any) => !f.run.startsWith('runs/'));
      assert.deepEqual(v1.map((f: any) => `${f.run.slice(-4)} ${f.flow_id} ${f.event_type} ${f.failure_class}`), [
        'b7d2 f-0007 exception DATA.MISSING_COLUMN',
        'b7d2 f-0008 failure DATA.EMPTY',
        'c4e8 f-0012 failure BUSINESS.NO_ACTION',
        'd9f1 f-0005 failure EXTERNAL.TIMEOUT',
        'd9f1 f-0006 failure DATA.INCOMPLETE',
        'f5b0 f-0001 failure BUSINESS.MARKET_CLOSED',
      ]);
      // 0.1 traces: 2 + 1 + 2 + 1 failure/exception lines (b7d2, c4e8, d9f1, f5b0)
      assert.equal(j.failures.length - v1.length, 6);
      const times = j.failures.map((f: any) => f.timestamp);
      assert.deepEqual(times, [...times].sort(), 'oldest first');
      const e = v1[0];
      assert.equal(e.flow, 'indicators/ema/compute');
      assert.equal(e.step, 'columns');
      assert.equal(e.severity, 'critical');
      assert.equal(e.reason, "KeyError: 'ema_21'");
      assert.equal(e.file, 'trader/indicators.py');
      assert.equal(e.line, 22);
      assert.equal(e.resolved_file, path.join(demo, 'trader', 'indicators.py'));
      assert.equal(e.timestamp, '2026-11-19T09:00:00.685Z');
      assert.deepEqual(v1[1].evidence, { rows: 0, ticker: 'NVDA', http_status: 200 });
    });
    it('defaults to the latest run', () => {
      const j = json(['failures', demo]);
      assert.equal(j.failures.length, 1);
      assert.equal(j.failures[0].failure_class, 'BUSINESS.MARKET_CLOSED');
      assert.equal(j.failures[0].severity, 'warning');
    });
    it('redacts secrets in evidence unless --no-redact, and escapes control characters', () => {
      const f = path.join(tmp, 'evil.jsonl');
      const ev = (o: object) => JSON.stringify({ v: 1, run_id: 'r-evil', timestamp: '2026-11-20T10:00:00Z', ...o });
      fs.writeFileSync(f, [
        ev({ event_type: 'session_start', app: 'x' }),
        ev({ event_type: 'flow_start', flow: 'a/b', flow_id: 'f1' }),
        ev({ event_type: 'failure', flow: 'a/b', flow_id: 'f1', failure_class: 'DATA.X', severity: 'error',
          reason: 'bad \u001b[31mred\u001b[0m \u202eevil', evidence: { api_key: 'sk-live-DO-NOT-LEAK', rows: 0 } }),
        ev({ event_type: 'session_end', status: 'failed' }),
      ].join('\n') + '\n');
      const red = json(['failures', f]);
      assert.equal(red.failures.length, 1);
      assert.equal(red.failures[0].evidence.rows, 0);
      assert.notEqual(red.failures[0].evidence.api_key, 'sk-live-DO-NOT-LEAK');
      const raw = run(['failures', f, '--json', '--no-redact']);
      assert.equal(JSON.parse(raw.out).failures[0].evidence.api_key, 'sk-live-DO-NOT-LEAK');
      assert.doesNotMatch(raw.out, /[\u001b\u202e]/, 'JSON escapes control and bidi characters');
      // redacted: control characters are stripped by the redactor; never printed raw
      const human = run(['failures', f], { FORCE_COLOR: '0' });
      assert.equal(human.code, 0, human.err);
      assert.doesNotMatch(human.out, /[\u001b\u202e]/);
      assert.doesNotMatch(human.out, /sk-live-DO-NOT-LEAK/);
      // --no-redact: the text as written, with control characters shown escaped
      const rawHuman = run(['failures', f, '--no-redact'], { FORCE_COLOR: '0' });
      assert.doesNotMatch(rawHuman.out, /[\u001b\u202e]/);
      assert.match(rawHuman.out, /bad \\e\[31mred\\e\[0m \\u202eevil/);
    });
  });

  describe('metrics', () => {
    it('counts b7d2 events by type, severity, class and domain', () => {
      const j = json(['metrics', demo, '--run', B7D2]);
      assert.deepEqual(j.counts.by_type, { checkpoint: 5, exception: 1, failure: 1, flow_start: 8, metric: 5, session_end: 1, session_start: 1, success: 6 });
      assert.deepEqual(j.counts.by_severity, { critical: 1, error: 1 });
      assert.deepEqual(j.counts.by_failure_class, { 'DATA.EMPTY': 1, 'DATA.MISSING_COLUMN': 1 });
      assert.deepEqual(j.counts.by_domain, { DATA: 2 });
      // ra.yaml latency_buckets_ms [50, 200, 1000]; fetch verdicts 150, 160, 690
      const fetch = j.latency.find((h: any) => h.flow === 'data/fetch/minute_candles');
      assert.deepEqual(fetch.buckets, [{ le_ms: 50, count: 0 }, { le_ms: 200, count: 2 }, { le_ms: 1000, count: 1 }, { le_ms: null, count: 0 }]);
      assert.equal(j.pulse, null);
    });
    it('shows Pulse rollups when Grain/Assay queues exist', () => {
      const j = json(['metrics', stores]);
      assert.ok(j.pulse, 'pulse rollup present');
      // 192 complete lines in .grain + 48 in .assay (the cut-off last lines are malformed)
      assert.equal(j.pulse.total, 240);
      assert.equal(j.pulse.by_type['phase.close'], Number(fs.readFileSync(path.join(stores, '.grain/telemetry_queue.jsonl'), 'utf8').split('\n').filter(l => l.includes('"phase.close"') && l.endsWith('}')).length) + Number(fs.readFileSync(path.join(stores, '.assay/telemetry_queue.jsonl'), 'utf8').split('\n').filter(l => l.includes('"phase.close"') && l.endsWith('}')).length));
    });
  });

  describe('validate', () => {
    it('reports located catalog problems and exits 0 without errors', () => {
      const r = run(['validate', demo]);
      assert.equal(r.code, 0, r.err);
      // reports/eod/publish: code_refs trader/reports.py does not exist
      assert.match(r.out, /flows\.yaml:\d+:\d+: warning: .*trader\/reports\.py/);
    });
    it('exits 1 on a broken flows.yaml, with file:line:col', () => {
      const ws = path.join(tmp, 'broken');
      fs.mkdirSync(path.join(ws, '.autodev'), { recursive: true });
      fs.writeFileSync(path.join(ws, '.autodev', 'flows.yaml'), 'version: 1\nflows:\n  - id: "a"\n    sla: {p95_ms: [1\n');
      const r = run(['validate', ws]);
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.out, /flows\.yaml:\d+:\d+: error: /);
      const j = run(['validate', ws, '--json']);
      assert.equal(j.code, 1);
      assert.ok(JSON.parse(j.out).errors >= 1);
    });
  });

  describe('stores', () => {
    it('lists the SQLite stores with WAL applied (pulse.db: 240 rows, not 200)', () => {
      const j = json(['stores', stores]);
      const pulse = j.stores.find((s: any) => path.basename(s.path) === 'pulse.db');
      assert.ok(pulse, JSON.stringify(j.stores.map((s: any) => s.path)));
      assert.equal(pulse.kind, 'pulse');
      assert.equal(pulse.rows, 240);
      assert.equal(pulse.wal_applied, true);
      // size = main file + -wal on disk
      assert.equal(pulse.size_bytes, fs.statSync(path.join(stores, 'pulse.db')).size + fs.statSync(path.join(stores, 'pulse.db-wal')).size);
    });
  });
});
