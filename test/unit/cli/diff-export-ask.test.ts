/**
 * `flowlens diff`, `export` and `ask`, run as a child process (the built dist/cli.js) on copies of
 * the fixtures and on a small two-run workspace written here. Expected values are worked out by
 * hand from the fixture traces (.autodev/runs/<id>/trace.jsonl verdict lines) and scenarios/*.json.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyAged as copyAgedTo } from '../../support/aged';
import { OWN_MARK, stripOwnMark } from '../../../src/core/read/ingress/safeWrite';

const repo = path.resolve(__dirname, '../../../..');
const cli = path.join(repo, 'dist', 'cli.js');
const fixtures = path.join(repo, 'test', 'fixtures');

interface Res { code: number | null; out: string; err: string }

function run(args: string[], env: Record<string, string> = {}): Res {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env }, timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ok(args: string[]): string {
  const r = run(args);
  assert.equal(r.code, 0, `exit ${r.code}: ${r.err}`);
  assert.equal(r.err, '');
  return r.out;
}

function json(args: string[]): any {
  return JSON.parse(ok([...args, '--json']));
}

function oneLineError(r: Res, code: number): void {
  assert.equal(r.code, code, `stdout: ${r.out}\nstderr: ${r.err}`);
  assert.match(r.err, /^flowlens: .+\n$/, `stderr was: ${JSON.stringify(r.err)}`);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  assert.equal(r.out, '');
}

/** Copy a fixture folder and age every file, so no run counts as live. */
const copyAged = (name: string): string => copyAgedTo(path.join(fixtures, name), `flowlens-cli2-${name}`);

const ESC = '\u001b';
const RLO = '\u202e';

/**
 * Two flowscribe v1 runs of one flow `pay/charge` in `.autodev/trace.jsonl`: run `r1` succeeds
 * (evidence token "tok-one", note "fine"), run `r2` fails with a credential in the reason, a
 * token in the evidence and terminal escapes in the evidence; run `r3-token=tok-three` (its id
 * holds a credential) succeeds again.
 */
function hostileWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-cli2-hostile-'));
  fs.mkdirSync(path.join(dir, '.autodev'));
  const line = (o: Record<string, unknown>) => JSON.stringify({ v: 1, ...o });
  const day = (run: string, t: string, verdict: Record<string, unknown>) => [
    line({ event_type: 'session_start', run_id: run, timestamp: `${t}:00.000Z`, app: 'shop' }),
    line({ event_type: 'flow_start', run_id: run, timestamp: `${t}:00.100Z`, flow: 'pay/charge', flow_id: 'f-1', file: 'shop/pay.py', line: 3 }),
    line({ run_id: run, flow: 'pay/charge', flow_id: 'f-1', file: 'shop/pay.py', line: 9, ...verdict }),
    line({ event_type: 'session_end', run_id: run, timestamp: `${t}:01.000Z`, status: verdict.event_type === 'success' ? 'ok' : 'failed' }),
  ];
  const lines = [
    ...day('r1', '2026-11-01T10:00', {
      event_type: 'success', timestamp: '2026-11-01T10:00:00.300Z', duration_ms: 200, reason: 'charged',
      evidence: { token: 'tok-one', note: 'fine' },
    }),
    ...day('r2', '2026-11-02T10:00', {
      event_type: 'failure', timestamp: '2026-11-02T10:00:00.400Z', duration_ms: 300, failure_class: 'EXTERNAL.DECLINED',
      reason: 'declined; password=hunter2', evidence: { token: 'tok-two', note: `${ESC}[31mred${RLO}txt` },
    }),
    // a run id holding a credential
    ...day('r3-token=tok-three', '2026-11-03T10:00', { event_type: 'success', timestamp: '2026-11-03T10:00:00.300Z', duration_ms: 250, reason: 'charged' }),
  ];
  fs.writeFileSync(path.join(dir, '.autodev', 'trace.jsonl'), lines.join('\n') + '\n');
  const old = new Date('2026-01-01T00:00:00Z');
  fs.utimesSync(path.join(dir, '.autodev', 'trace.jsonl'), old, old);
  return dir;
}

const B7D2 = '20261119T140000Z-b7d2';
const C4E8 = '20261119T190000Z-c4e8';
const E2A6 = '20261121T140000Z-e2a6';
const F5B0 = '20261122T140000Z-f5b0';
const A1C3 = '20261118T140000Z-a1c3';
const D9F1 = '20261120T140000Z-d9f1';

describe('flowlens diff / export / ask', function () {
  this.timeout(60_000);
  let demo: string;
  let hostile: string;
  let tmp: string;
  before(() => {
    assert.ok(fs.existsSync(cli), 'run `npm run build` first (dist/cli.js missing)');
    demo = copyAged('demo-app');
    hostile = hostileWorkspace();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-cli2-'));
  });
  after(() => {
    for (const d of [demo, hostile, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('usage', () => {
    it('--help lists diff, export and ask; each has its own --help', () => {
      const r = run(['--help']);
      assert.equal(r.code, 0);
      for (const c of ['diff', 'export', 'ask']) {
        assert.match(r.out, new RegExp(`\\n  ${c} \\[options\\]`));
        const h = run([c, '--help']);
        assert.equal(h.code, 0);
        assert.match(h.out, new RegExp(`^Usage: flowlens ${c} `));
      }
      assert.match(run(['ask', '--help']).out, /--budget <bytes>/);
      const ex = run(['export', '--help']).out;
      assert.match(ex, /"otlp"/);
      assert.match(ex, /--endpoint <url>/);
      assert.match(ex, /--timeout <ms>/);
    });
  });

  describe('diff', () => {
    it('b7d2 → c4e8: agent/decision/evaluate newly failing, fetch and ema fixed, fetch and orders slower', () => {
      const j = json(['diff', B7D2, C4E8, demo]);
      assert.equal(j.root, demo);
      assert.equal(j.a, B7D2);
      assert.equal(j.b, C4E8);
      assert.equal(j.threshold_pct, 20);
      // Same five flow names in both runs.
      assert.deepEqual(j.new, []);
      assert.deepEqual(j.gone, []);
      assert.deepEqual(j.still_failing, []);
      // c4e8 f-0012 fails (score 0.4 < 0.6); b7d2's only agent instance f-0004 succeeded.
      assert.deepEqual(j.newly_failing.map((e: any) => e.flow), ['agent/decision/evaluate']);
      const agent = j.newly_failing[0];
      assert.deepEqual(
        { i: agent.before.instances, f: agent.before.failing, id: agent.before.flow_id, v: agent.before.verdict },
        { i: 1, f: 0, id: 'f-0004', v: 'succeeded' },
      );
      assert.deepEqual(
        { i: agent.after.instances, f: agent.after.failing, id: agent.after.flow_id, v: agent.after.verdict, c: agent.after.failure_class, l: agent.after.line },
        { i: 3, f: 1, id: 'f-0012', v: 'failed', c: 'BUSINESS.NO_ACTION', l: 12 },
      );
      assert.equal(agent.after.resolved_file, path.join(demo, 'trader', 'agent.py'));
      assert.deepEqual(agent.after.evidence, { score: 0.4, threshold: 0.6 });
      assert.deepEqual(agent.changes, [
        { key: 'verdict', before: 'succeeded', after: 'failed' },
        { key: 'failure_class', before: null, after: 'BUSINESS.NO_ACTION' },
        { key: 'reason', before: 'action in {buy, sell, hold}', after: 'score 0.40 below threshold 0.60' },
        { key: 'evidence.action', before: 'sell', after: null },
        { key: 'evidence.score', before: 0.75, after: 0.4 },
        { key: 'evidence.threshold', before: null, after: 0.6 },
      ]);
      // b7d2 f-0008 (DATA.EMPTY) and f-0007 (exception) fail; every c4e8 instance succeeds.
      assert.deepEqual(j.fixed.map((e: any) => e.flow), ['data/fetch/minute_candles', 'indicators/ema/compute']);
      const fetch = j.fixed[0];
      assert.equal(fetch.before.flow_id, 'f-0008');
      assert.equal(fetch.after.flow_id, 'f-0010'); // no failing instance: the last one
      assert.deepEqual(fetch.changes.filter((c: any) => c.key.startsWith('evidence.')), [
        { key: 'evidence.http_status', before: 200, after: null },
        { key: 'evidence.rows', before: 0, after: 390 },
        { key: 'evidence.ticker', before: 'NVDA', after: null },
        { key: 'evidence.time_range', before: null, after: ['09:30', '16:00'] },
      ]);
      // p95 (nearest rank): fetch 150,160,690 → 690 vs 950,170,200 → 950 (+37.7%);
      // orders 240 vs 400,1800 → 1800 (+650%); agent 8 → 8, ema 40 → 40, premarket 47 → 47.
      assert.deepEqual(j.slower.map((e: any) => [e.flow, e.before_p95_ms, e.after_p95_ms]), [
        ['data/fetch/minute_candles', 690, 950],
        ['orders/submit', 240, 1800],
      ]);
      assert.ok(Math.abs(j.slower[0].change_pct - (260 / 690) * 100) < 1e-9);
      assert.equal(j.slower[1].change_pct, 650);
      assert.deepEqual(j.slower[1].changes, [{ key: 'evidence.order_id', before: 'ord-AAPL-01', after: 'ord-MSFT-01' }]);
    });

    it('--threshold moves the slower cut (40%: orders only; 700%: none)', () => {
      assert.deepEqual(json(['diff', B7D2, C4E8, demo, '--threshold', '40']).slower.map((e: any) => e.flow), ['orders/submit']);
      const j = json(['diff', B7D2, C4E8, demo, '--threshold', '700']);
      assert.equal(j.threshold_pct, 700);
      assert.deepEqual(j.slower, []);
    });

    it('a1c3 → d9f1: fetch (DATA.INCOMPLETE) and orders (EXTERNAL.TIMEOUT) newly failing and slower', () => {
      const j = json(['diff', A1C3, D9F1, demo]);
      assert.deepEqual(j.newly_failing.map((e: any) => [e.flow, e.after.failure_class]), [
        ['data/fetch/minute_candles', 'DATA.INCOMPLETE'],
        ['orders/submit', 'EXTERNAL.TIMEOUT'],
      ]);
      // fetch 120,180,210 → 210 vs 130,140,760 → 760; orders 230,310,280 → 310 vs 6000,240 → 6000
      assert.deepEqual(j.slower.map((e: any) => [e.flow, e.before_p95_ms, e.after_p95_ms]), [
        ['data/fetch/minute_candles', 210, 760],
        ['orders/submit', 310, 6000],
      ]);
    });

    it('previous latest: e2a6 → f5b0 (latest names f5b0; the 0.1 copies are skipped)', () => {
      const j = json(['diff', 'previous', 'latest', demo]);
      assert.equal(j.a, E2A6);
      assert.equal(j.b, F5B0);
      // f5b0 ran only premarket/prepare, which failed: market closed on a Sunday.
      assert.deepEqual(j.gone.map((e: any) => e.flow), ['agent/decision/evaluate', 'data/fetch/minute_candles', 'indicators/ema/compute', 'orders/submit']);
      assert.deepEqual(j.newly_failing.map((e: any) => [e.flow, e.after.failure_class, e.after.reason]), [
        ['premarket/prepare', 'BUSINESS.MARKET_CLOSED', 'market closed on 2026-11-22'],
      ]);
      // e2a6's premarket evidence holds configs.api_key: redacted (ra.yaml redact_keys) unless --no-redact.
      const cfg = j.newly_failing[0].changes.find((c: any) => c.key === 'evidence.configs');
      assert.equal(cfg.before.api_key, '[REDACTED]');
      assert.equal(cfg.after, null);
      const raw = JSON.parse(ok(['diff', 'previous', 'latest', demo, '--json', '--no-redact']));
      assert.equal(raw.newly_failing[0].changes.find((c: any) => c.key === 'evidence.configs').before.api_key, '***REDACTED***');
    });

    it('reads a single trace file given as PATH (.autodev/trace.jsonl holds the six v1 runs)', () => {
      const j = json(['diff', 'previous', 'latest', path.join(demo, '.autodev', 'trace.jsonl')]);
      assert.deepEqual([j.a, j.b], [E2A6, F5B0]);
      assert.equal(j.gone.length, 4);
    });

    it('prints readable sections with the evidence that changed', () => {
      const out = ok(['diff', B7D2, C4E8, demo]);
      const lines = out.split('\n');
      assert.equal(lines[0], `${B7D2} → ${C4E8}  (slower = p95 up more than 20%)`);
      assert.match(out, /\nNewly failing \(1\)\n  agent\/decision\/evaluate  1 instance\(s\), 0 failing → 3 instance\(s\), 1 failing  BUSINESS\.NO_ACTION  score 0\.40 below threshold 0\.60\n/);
      assert.ok(lines.includes(`    ${path.join(demo, 'trader', 'agent.py')}:12`));
      assert.ok(lines.includes('    evidence.score: 0.75 → 0.4'));
      assert.ok(lines.includes('    evidence.time_range: - → ["09:30","16:00"]'));
      assert.match(out, /\nFixed \(2\)\n  data\/fetch\/minute_candles  3 instance\(s\), 1 failing → 3 instance\(s\), 0 failing  was DATA\.EMPTY\n/);
      assert.ok(lines.includes('  orders/submit  p95 240 ms → 1.80 s (+650.0%)'));
      assert.ok(lines.includes('  data/fetch/minute_candles  p95 690 ms → 950 ms (+37.7%)'));
      assert.equal(lines.filter(l => l === '    evidence.rows: 0 → 390').length, 1, 'fetch evidence shown once (fixed), not again under slower');
      assert.equal(lines[lines.length - 2], '1 newly failing, 2 fixed, 0 still failing, 2 slower, 0 new, 0 gone');
      assert.doesNotMatch(out, /\u001b/, 'no colour when not a TTY');
    });

    it('colours section titles with FORCE_COLOR=1, each line closing its own colour', () => {
      const r = run(['diff', B7D2, C4E8, demo], { FORCE_COLOR: '1' });
      assert.equal(r.code, 0, r.err);
      assert.ok(r.out.split('\n').includes('\u001b[1m\u001b[31mNewly failing (1)\u001b[39m\u001b[22m'));
      assert.ok(r.out.split('\n').includes('    \u001b[2mevidence.score: 0.75 → 0.4\u001b[22m'));
      assert.doesNotMatch(run(['diff', B7D2, C4E8, demo], { NO_COLOR: '1' }).out, /\u001b/);
    });

    it('says so when nothing changed (a run against itself)', () => {
      const out = ok(['diff', B7D2, B7D2, demo]);
      assert.match(out, /no flow appeared, went away, started or stopped failing, or got slower \(2 still failing\)\n$/);
    });

    it('redacts secrets in JSON unless --no-redact, and escapes control characters in human output', () => {
      const j = json(['diff', 'r1', 'r2', hostile]);
      const e = j.newly_failing[0];
      assert.equal(e.flow, 'pay/charge');
      assert.doesNotMatch(JSON.stringify(j), /hunter2|tok-one|tok-two/);
      assert.deepEqual(e.changes.find((c: any) => c.key === 'evidence.token'), { key: 'evidence.token', before: '[REDACTED]', after: '[REDACTED]' });
      assert.equal(e.after.evidence.token, '[REDACTED]');
      const raw = JSON.parse(ok(['diff', 'r1', 'r2', hostile, '--json', '--no-redact']));
      assert.deepEqual(raw.newly_failing[0].changes.find((c: any) => c.key === 'evidence.token'), { key: 'evidence.token', before: 'tok-one', after: 'tok-two' });
      assert.equal(raw.newly_failing[0].after.reason, 'declined; password=hunter2');
      // Invisible characters are \u escapes in the JSON text (the value is unchanged).
      const rawText = ok(['diff', 'r1', 'r2', hostile, '--json', '--no-redact']);
      assert.ok(!rawText.includes(RLO) && rawText.includes('\\u202e'));
      // Redacted: the redactor strips control characters; --no-redact: printed escaped.
      const red = ok(['diff', 'r1', 'r2', hostile]);
      const raw2 = ok(['diff', 'r1', 'r2', hostile, '--no-redact']);
      for (const out of [red, raw2]) assert.ok(!out.includes(ESC) && !out.includes(RLO), `raw control characters in: ${out}`);
      assert.ok(red.split('\n').includes('    evidence.note: fine → redtxt'));
      assert.ok(red.split('\n').includes('    evidence.token: [REDACTED] → [REDACTED]'));
      assert.doesNotMatch(red, /hunter2|tok-/);
      assert.ok(raw2.split('\n').includes('    evidence.note: fine → \\e[31mred\\u202etxt'));
      assert.ok(raw2.split('\n').includes('    evidence.token: tok-one → tok-two'));
    });

    it('replaces credential-looking identifiers (a run id) in JSON and human output unless --no-redact', () => {
      const j = json(['diff', 'r2', 'r3', hostile]);
      assert.equal(j.b, 'r3-token=[REDACTED]');
      assert.deepEqual(j.fixed.map((e: any) => e.flow), ['pay/charge']);
      assert.equal(ok(['diff', 'r2', 'r3', hostile]).split('\n')[0], 'r2 → r3-token=[REDACTED]  (slower = p95 up more than 20%)');
      assert.equal(JSON.parse(ok(['diff', 'r2', 'r3', hostile, '--json', '--no-redact'])).b, 'r3-token=tok-three');
      // the same rule in runs --json, and in the Chrome export
      assert.deepEqual(json(['runs', hostile]).runs.map((r: any) => r.id), ['r3-token=[REDACTED]', 'r2', 'r1']);
      const t = JSON.parse(ok(['export', hostile, '--run', 'r3', '--format', 'chrome']));
      assert.equal(t.otherData.run_id, 'r3-token=[REDACTED]');
      assert.equal(t.traceEvents[0].args.name, 'r3-token=[REDACTED]');
      assert.doesNotMatch(JSON.stringify(t), /tok-three/);
    });

    it('errors: unknown run exit 1, missing run argument / bad threshold / --run all exit 2', () => {
      oneLineError(run(['diff', B7D2, 'no-such-run', demo]), 1);
      oneLineError(run(['diff', 'previous', 'latest', path.join(tmp, 'missing')]), 1);
      oneLineError(run(['diff', B7D2]), 2);
      oneLineError(run(['diff', B7D2, C4E8, demo, '--threshold', 'abc']), 2);
      oneLineError(run(['diff', B7D2, C4E8, demo, '--threshold', '-5']), 2);
      oneLineError(run(['diff', 'all', C4E8, demo]), 2);
    });

    it('previous is an error (exit 1) when the latest run is the first of its kind', () => {
      const only = path.join(tmp, 'one-run');
      fs.mkdirSync(path.join(only, '.autodev'), { recursive: true });
      const first = fs.readFileSync(path.join(hostile, '.autodev', 'trace.jsonl'), 'utf8').split('\n').slice(0, 4).join('\n') + '\n';
      fs.writeFileSync(path.join(only, '.autodev', 'trace.jsonl'), first);
      oneLineError(run(['diff', 'previous', 'latest', only]), 1);
    });
  });

  describe('export', () => {
    it('--format mermaid: b7d2 flow tree, one node per flow, parent edges, a class per verdict', () => {
      const out = ok(['export', demo, '--run', B7D2, '--format', 'mermaid']);
      const lines = out.trimEnd().split('\n');
      assert.equal(lines[0], 'flowchart TD');
      // 8 flows: f-0001 premarket is the root of f-0002/3/4/6/7/8; f-0005 orders is under f-0004 agent.
      const nodes = lines.filter(l => /^ {2}n\d+\["/.test(l));
      assert.equal(nodes.length, 8);
      assert.equal(nodes[0], '  n0["premarket/prepare - succeeded - 47 ms"]');
      assert.ok(nodes.includes('  n7["data/fetch/minute_candles - failed - 690 ms - DATA.EMPTY"]'));
      assert.ok(nodes.includes('  n6["indicators/ema/compute - exception - 40 ms - DATA.MISSING_COLUMN"]'));
      const edges = lines.filter(l => l.includes(' --> '));
      assert.equal(edges.length, 7);
      assert.equal(edges.filter(l => l.startsWith('  n0 --> ')).length, 6);
      assert.deepEqual(lines.filter(l => l.startsWith('  classDef ')).map(l => l.split(' ')[3]), ['succeeded', 'exception', 'failed']);
    });

    it('--format chrome: trace-event JSON, one complete event per flow, µs times', () => {
      const t = JSON.parse(ok(['export', demo, '--run', B7D2, '--format', 'chrome']));
      assert.equal(t.displayTimeUnit, 'ms');
      const meta = t.traceEvents.filter((e: any) => e.ph === 'M');
      assert.deepEqual(meta[0], { name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: B7D2 } });
      // one root flow (premarket/prepare) → one thread
      assert.deepEqual(meta.slice(1).map((e: any) => e.args.name), ['premarket/prepare']);
      const xs = t.traceEvents.filter((e: any) => e.ph === 'X');
      assert.equal(xs.length, 8);
      // f-0008: flow_start 09:00:00.685, failure after 690 ms
      const f8 = xs.find((e: any) => e.args.flow_id === 'f-0008');
      assert.equal(f8.ts, Date.parse('2026-11-19T09:00:00.685Z') * 1000);
      assert.equal(f8.dur, 690_000);
      assert.equal(f8.cat, 'failed');
      assert.deepEqual(f8.args, {
        flow_id: 'f-0008', verdict: 'failed', failure_class: 'DATA.EMPTY', reason: 'vendor returned 0 rows for NVDA',
        location: 'trader/data/fetcher.py:15', parent_flow_id: 'f-0001',
      });
    });

    it('defaults to the latest run (f5b0: one flow)', () => {
      const t = JSON.parse(ok(['export', demo, '--format', 'chrome']));
      assert.equal(t.otherData.run_id, F5B0);
      assert.deepEqual(t.traceEvents.filter((e: any) => e.ph === 'X').map((e: any) => e.name), ['premarket/prepare']);
    });

    it('redacts reasons in the Chrome trace unless --no-redact', () => {
      const red = ok(['export', hostile, '--run', 'r2', '--format', 'chrome']);
      assert.doesNotMatch(red, /hunter2/);
      assert.match(JSON.parse(red).traceEvents.find((e: any) => e.ph === 'X').args.reason, /^declined; password=\[REDACTED\]/);
      assert.match(ok(['export', hostile, '--run', 'r2', '--format', 'chrome', '--no-redact']), /password=hunter2/);
    });

    it('--out writes the file and prints one line', () => {
      const file = path.join(tmp, 'b7d2.mmd');
      const r = run(['export', demo, '--run', B7D2, '--format', 'mermaid', '--out', file]);
      assert.equal(r.code, 0, r.err);
      const text = fs.readFileSync(file, 'utf8');
      assert.equal(r.out, `wrote ${file} (${Buffer.byteLength(text)} bytes)\n`);
      assert.equal(text, ok(['export', demo, '--run', B7D2, '--format', 'mermaid']));
    });

    it('errors: --format missing or unknown exit 2, --run all exit 2, unknown run / unwritable --out exit 1', () => {
      oneLineError(run(['export', demo]), 2);
      oneLineError(run(['export', demo, '--format', 'svg']), 2);
      oneLineError(run(['export', demo, '--format', 'chrome', '--run', 'all']), 2);
      oneLineError(run(['export', demo, '--format', 'chrome', '--run', 'no-such-run']), 1);
      oneLineError(run(['export', demo, '--format', 'chrome', '--out', path.join(tmp, 'no-dir', 'x.json')]), 1);
    });
  });

  describe('ask', () => {
    it('prints ask.md for b7d2: both failures, within the default 12 KB budget, byte-identical twice', () => {
      const out = ok(['ask', demo, '--run', B7D2]);
      assert.ok(out.startsWith(`# Flowlens ask: run \`${B7D2}\`\n`));
      assert.ok(Buffer.byteLength(out) <= 12288);
      assert.match(out, /DATA\.MISSING_COLUMN/);
      assert.match(out, /DATA\.EMPTY/);
      assert.match(out, /flows: {3}8 \(6 succeeded, 1 failed, 1 exception, 0 orphaned, 0 running\)/);
      assert.equal(ok(['ask', demo, '--run', B7D2]), out);
    });

    it('--budget caps the size; --flow focuses on one flow (by id or name)', () => {
      assert.ok(Buffer.byteLength(ok(['ask', demo, '--run', B7D2, '--budget', '2000'])) <= 2000);
      // f-0008 (fetch, DATA.EMPTY) with its parent premarket/prepare: the ema exception is out of focus.
      // The sketch still shows the whole tree (focus marked); the issues are the focused flow's only.
      const issues = (md: string) => md.split('\n').filter(l => l.startsWith('### '));
      const f8 = ok(['ask', demo, '--run', B7D2, '--flow', 'f-0008']);
      assert.deepEqual(issues(f8), ['### 1. `data/fetch/minute_candles` failed']);
      assert.match(f8, /\(f-0008\) {2}◀ focus/);
      const ema = ok(['ask', demo, '--run', B7D2, '--flow', 'indicators/ema/compute']);
      assert.deepEqual(issues(ema), ['### 1. `indicators/ema/compute` raised an exception']);
      assert.deepEqual(issues(ok(['ask', demo, '--run', B7D2])).length, 2);
    });

    it('--summary prints summary.md for the run', () => {
      const out = ok(['ask', demo, '--run', B7D2, '--summary']);
      assert.ok(out.startsWith(`# Run \`${B7D2}\`: summary\n`));
      assert.match(out, /8 flow\(s\) started and 8 ended: 6 succeeded, 1 failed, 1 raised an exception, 0 orphaned, 0 still running\./);
      assert.match(out, /data\/fetch\/minute_candles: 3 run\(s\), 2 ok, 1 not ok; median 160 ms, max 690 ms/);
    });

    it('is redacted and free of control characters', () => {
      for (const args of [['ask', hostile, '--run', 'r2'], ['ask', hostile, '--run', 'r2', '--summary']]) {
        const out = ok(args);
        assert.doesNotMatch(out, /hunter2|tok-two/, args.join(' '));
        assert.ok(!out.includes(ESC) && !out.includes(RLO), args.join(' '));
      }
    });

    it('--out writes ask.md and prints one line', () => {
      const file = path.join(tmp, 'ask.md');
      const r = run(['ask', demo, '--run', B7D2, '--out', file]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `wrote ${file} (${fs.statSync(file).size} bytes)\n`);
      // The written file carries Flowlens's own-file mark (first line); the rest is the printed prompt.
      const written = fs.readFileSync(file, 'utf8');
      assert.ok(written.startsWith(`${OWN_MARK}\n`), 'ask.md written by the CLI starts with the own-file mark');
      assert.equal(stripOwnMark(written), ok(['ask', demo, '--run', B7D2]));
    });

    it('errors: unknown flow or run exit 1; bad --budget, --summary with --flow, --run all exit 2', () => {
      oneLineError(run(['ask', demo, '--run', B7D2, '--flow', 'no/such/flow']), 1);
      oneLineError(run(['ask', demo, '--run', 'no-such-run']), 1);
      oneLineError(run(['ask', demo, '--budget', '0']), 2);
      oneLineError(run(['ask', demo, '--budget', '12.5']), 2);
      oneLineError(run(['ask', demo, '--summary', '--flow', 'f-0001']), 2);
      oneLineError(run(['ask', demo, '--run', 'all']), 2);
      // a hostile --flow value is echoed escaped, still one line
      const r = run(['ask', demo, '--flow', `x${ESC}[2Jy\nz`]);
      oneLineError(r, 1);
      assert.ok(r.err.includes('x\\e[2Jy\\nz'));
    });
  });
});
