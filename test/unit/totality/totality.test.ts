/**
 * Issue 13 class 6 ("one bad value takes everything down"), the Totality requirement:
 * - a timestamp outside ±8.64e15 ms is unreadable: the event is kept and counted, the run gets a
 *   located warning (file:line, "timestamp out of range"), every other run is untouched — via
 *   TraceWorkspace (stream and index paths), the CLI (in process and dist/cli.js) and the
 *   formatters the views use (test/fixtures/hostile/totality, written by its generate.js);
 * - evidence, data, correlation and metric values nested 8,000 and 100,000 deep go through
 *   ask.md, summary.md, the tree's JSON (format.ts safeJson), CLI --json (redacted and not),
 *   exports, diff and the dashboard model without overflowing the stack, the rest of the run intact.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildAskMd } from '../../../src/core/render/ask';
import { buildSummaryMd } from '../../../src/core/render/askArtifacts';
import { boundedCopy, DEPTH_MARK, safeStringify } from '../../../src/core/model/bounded';
import { buildDashboardModel, buildTimeline, sanitizeModel } from '../../../src/core/render/dashboard';
import { diffRuns } from '../../../src/core/analyze/diff';
import { Redactor } from '../../../src/core/render/egress/redact';
import { toChromeTrace } from '../../../src/core/render/export';
import type { Run } from '../../../src/core/model/types';
import { utcDay } from '../../../src/core/model/pulse';
import { isoDay, isoTime, isValidTime, MAX_TIME_MS, parseTimestamp, timeText, timestampProblem, TimestampReader } from '../../../src/core/model/time';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { runCommand, type CommandName, type CommonOptions } from '../../../src/cli/commands';
import { iso, toJson } from '../../../src/cli/output';
import { relativeTime, runDescription, safeJson } from '../../../src/host/format';
import { runNoteText } from '../../../src/core/render/runNotes';

const REPO = path.resolve(__dirname, '../../../..');
const SOURCE = path.join(REPO, 'test/fixtures/hostile/totality');
/** The fixture copied into a temporary workspace's .autodev/ (test/fixtures/hostile is itself a workspace). */
const FIXTURE = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-totality-ws-'));
const TRACE = path.join(FIXTURE, '.autodev', 'trace.jsonl');
fs.mkdirSync(path.dirname(TRACE));
fs.copyFileSync(path.join(SOURCE, 'trace.jsonl'), TRACE);
const CLI = path.join(REPO, 'dist', 'cli.js');
const OUT_OF_RANGE: unknown[] = [1e16, -1e17, MAX_TIME_MS + 1, -MAX_TIME_MS - 1, 1e300, '1e16', '-1e17', '275760-09-14T00:00:00.001Z', '+275760-09-13T00:00:00Z', '-271821-04-19T00:00:00Z'];

async function cli(root: string, name: CommandName, opts: CommonOptions): Promise<string> {
  let out = '';
  let err = '';
  await runCommand(name, root, opts, { out: (s) => (out += s), err: (s) => (err += s) });
  assert.equal(err, '', `${name}: stderr`);
  return out;
}

describe('totality: timestamps outside the Date range (issue 13 class 6)', function () {
  this.timeout(60_000);
  after(() => fs.rmSync(FIXTURE, { recursive: true, force: true }));

  it('parseTimestamp: out of range is unreadable; the edges of the range are read', () => {
    for (const v of OUT_OF_RANGE) {
      assert.equal(parseTimestamp(v), undefined, String(v));
      assert.equal(new TimestampReader().read(v), undefined, String(v));
      assert.equal(timestampProblem(v), 'timestamp out of range', String(v));
    }
    assert.equal(parseTimestamp(MAX_TIME_MS), MAX_TIME_MS);
    assert.equal(parseTimestamp(-MAX_TIME_MS), -MAX_TIME_MS);
    assert.equal(parseTimestamp('8640000000000000'), MAX_TIME_MS);
    assert.equal(parseTimestamp(9.99e10), 9.99e13, 'seconds below 1e11 stay seconds');
    assert.equal(parseTimestamp(new Date(NaN)), undefined);
    // Readable values and plain garbage are not "out of range".
    for (const v of ['2026-11-20T10:00:00Z', 1e12, 'garbage', '', null, undefined, {}]) assert.equal(timestampProblem(v), undefined, String(v));
  });

  it('formatters are total: invalid or out-of-range times print as text, never throw', () => {
    for (const v of [1e16, -1e17, NaN, Infinity, -Infinity, MAX_TIME_MS + 1]) {
      assert.equal(isValidTime(v), false);
      assert.equal(isoTime(v), undefined);
      assert.equal(isoDay(v), undefined);
      assert.equal(timeText(v), 'invalid time');
      assert.equal(iso(v), null);
      assert.equal(utcDay(v), 'invalid time');
      assert.equal(relativeTime(v, Date.parse('2026-11-20T00:00:00Z')), 'invalid time');
    }
    assert.equal(timeText(undefined), '—');
    assert.equal(isoTime(MAX_TIME_MS), '+275760-09-13T00:00:00.000Z');
    assert.equal(boundedCopy(new Date(NaN)), 'invalid time');
    const runLike = { started: 1e16, flows: new Map(), status: 'ok', app: 'a' } as unknown as Run;
    assert.match(runDescription(runLike, Date.parse('2026-11-20T00:00:00Z')), /^invalid time · a · 0 flows$/);
    // The dashboard's time-window label with an out-of-range window.
    const m = buildDashboardModel({ runs: [] }, { from: 1e16, to: 2e16 });
    assert.match(m.selection.label, /invalid time/);
  });

  it('the committed fixture is what generate.js writes', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-totality-'));
    assert.equal(spawnSync(process.execPath, [path.join(SOURCE, 'generate.js'), tmp]).status, 0);
    assert.equal(fs.readFileSync(path.join(tmp, 'trace.jsonl'), 'utf8'), fs.readFileSync(path.join(SOURCE, 'trace.jsonl'), 'utf8'));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const mode of ['stream', 'index'] as const) {
    it(`TraceWorkspace (${mode} path): every run read, the bad run's lines kept, counted and warned at file:line`, async () => {
      const ws = new TraceWorkspace(FIXTURE, { final: true, now: () => Date.parse('2030-01-01T00:00:00Z'), index: mode === 'index' ? { minBytes: 0, workers: 0 } : false });
      await ws.load({ final: true });
      const runs = ws.runs();
      assert.deepEqual(runs.map((r) => r.id).sort(), ['bad', 'good-1', 'good-2', 'good-3']);
      for (const id of ['good-1', 'good-2', 'good-3']) {
        const r = runs.find((x) => x.id === id) as Run;
        assert.equal(r.warnings, undefined, id);
        assert.equal(r.started, Date.parse(`2026-11-2${Number(id.slice(-1)) - 1}T10:00:00Z`));
        assert.equal(r.status, id === 'good-2' ? 'failed' : 'ok');
      }
      const bad = runs.find((x) => x.id === 'bad') as Run;
      assert.equal(bad.counts?.total ?? bad.events.length, 6, 'every line of the run is counted');
      assert.equal(bad.events.length, 6);
      assert.deepEqual(bad.warnings?.map((w) => [w.file, w.line]), [[TRACE, 13], [TRACE, 15], [TRACE, 16], [TRACE, 17]]);
      for (const w of bad.warnings ?? []) assert.match(w.reason, /^timestamp out of range \(/);
      assert.ok(bad.notes.map(runNoteText).includes(`timestamp out of range: 4 lines kept without a time (first: ${TRACE}:13)`), bad.notes.map(runNoteText).join('\n'));
      assert.equal(bad.started, Date.parse('2026-11-23T10:00:01Z'), 'the first readable time');
      assert.equal(bad.ended, Date.parse('2026-11-23T10:00:03Z'));
      const flow = bad.flows.get('bad-f');
      assert.equal(flow?.verdict, 'failed');
      assert.equal(flow?.verdictEvent?.failureClass, 'SYSTEM.CLOCK');
      assert.equal(flow?.verdictEvent?.ts, undefined);
      assert.equal(flow?.verdictEvent?.tsRaw, -1e17);
      assert.equal(ws.malformed().length, 0);
      // Every surface of the bad run renders.
      assert.match(buildAskMd(bad, {}), /SYSTEM\\?\.CLOCK/);
      assert.match(buildSummaryMd(bad, {}), /timestamp out of range/);
      assert.doesNotThrow(() => toChromeTrace(bad));
      assert.doesNotThrow(() => JSON.stringify(sanitizeModel(buildDashboardModel({ runs }, 'all'), new Redactor(), new Map())));
      assert.doesNotThrow(() => buildTimeline({ runs }, bad));
      assert.doesNotThrow(() => diffRuns(runs[0], bad));
    });
  }

  it('CLI runs, failures, ask (in process): all good runs listed, the bad lines reported', async () => {
    const runs = JSON.parse(await cli(FIXTURE, 'runs', { json: true }));
    assert.deepEqual(runs.runs.map((r: { id: string }) => r.id), ['bad', 'good-3', 'good-2', 'good-1']);
    assert.equal(runs.runs[0].started, '2026-11-23T10:00:01.000Z');
    assert.equal(runs.runs[0].warnings, 4);
    assert.equal(runs.runs[0].events, 6);
    assert.deepEqual(runs.warnings.map((w: { run: string; line: number }) => [w.run, w.line]), [['bad', 13], ['bad', 15], ['bad', 16], ['bad', 17]]);
    const human = await cli(FIXTURE, 'runs', {});
    assert.match(human, /4 line\(s\) kept with a warning; first: .*trace\.jsonl:13: timestamp out of range/);
    const fails = JSON.parse(await cli(FIXTURE, 'failures', { json: true, run: 'all' }));
    assert.deepEqual(fails.failures.map((f: { run: string; timestamp: string | null }) => [f.run, f.timestamp]), [['good-2', '2026-11-21T10:00:02.000Z'], ['bad', null]]);
    const ask = await cli(FIXTURE, 'ask', { run: 'bad' });
    assert.match(ask, /SYSTEM\\?\.CLOCK/);
    assert.match(await cli(FIXTURE, 'ask', { run: 'bad', summary: true }), /timestamp out of range/);
  });

  it('dist/cli.js: runs, failures and ask exit 0 and never say "Invalid time value"', () => {
    for (const args of [['runs'], ['failures', '--run', 'all'], ['ask', '--run', 'bad'], ['metrics', '--json', '--run', 'all'], ['flows', '--run', 'all']]) {
      const r = spawnSync(process.execPath, [CLI, ...args, FIXTURE], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout + r.stderr, /Invalid time value|internal error/);
    }
  });
});

/** `{"a":{"a":…1…}}` nested `n` deep, as JSON text (built without recursion). */
const deepJson = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const deepArrayJson = (n: number): string => '['.repeat(n) + '"x"' + ']'.repeat(n);

/** A workspace with one run whose evidence, data, correlation and metric value are `n` deep. */
function deepWorkspace(n: number): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `flowlens-deep${n}-`));
  fs.mkdirSync(path.join(root, '.autodev'));
  const t = (s: number) => `"2026-11-20T10:00:0${s}.000000Z"`;
  const head = (type: string, s: number) => `{"v": 1, "run_id": "deep", "event_type": "${type}", "timestamp": ${t(s)}, "flow": "f/deep", "flow_id": "d1"`;
  const lines = [
    `{"v": 1, "run_id": "deep", "event_type": "session_start", "timestamp": ${t(0)}, "app": "app", "data": ${deepJson(n)}}`,
    `${head('flow_start', 1)}, "correlation": {"k": ${deepJson(n)}, "ticker": "AAPL"}}`,
    `${head('checkpoint', 2)}, "step": "s", "evidence": ${deepJson(n)}, "data": ${deepArrayJson(n)}}`,
    `${head('metric', 3)}, "metric": {"name": "m", "value": ${deepJson(n)}}}`,
    `${head('failure', 4)}, "failure_class": "DATA.DEEP", "reason": "deep evidence", "evidence": {"rows": 0, "deep": ${deepJson(n)}}}`,
    `{"v": 1, "run_id": "deep", "event_type": "flow_start", "timestamp": ${t(5)}, "flow": "f/ok", "flow_id": "d2"}`,
    `{"v": 1, "run_id": "deep", "event_type": "success", "timestamp": ${t(6)}, "flow": "f/ok", "flow_id": "d2"}`,
    `{"v": 1, "run_id": "deep", "event_type": "session_end", "timestamp": ${t(7)}, "status": "failed"}`,
  ];
  fs.writeFileSync(path.join(root, '.autodev', 'trace.jsonl'), lines.join('\n') + '\n');
  return root;
}

for (const depth of [8_000, 100_000]) {
  describe(`totality: evidence nested ${depth.toLocaleString('en-US')} deep (issue 13 class 6)`, function () {
    this.timeout(120_000);
    let root: string;
    let run: Run;
    let runs: Run[];

    before(async () => {
      root = deepWorkspace(depth);
      const ws = new TraceWorkspace(root, { final: true, now: () => Date.parse('2030-01-01T00:00:00Z') });
      await ws.load({ final: true });
      runs = ws.runs();
      assert.equal(runs.length, 1);
      run = runs[0];
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it('the run is read whole: 8 events, 2 flows, the failure and its shallow evidence intact', () => {
      assert.equal(run.events.length, 8);
      assert.equal(run.flows.size, 2);
      assert.equal(run.flows.get('d1')?.verdict, 'failed');
      assert.equal(run.flows.get('d2')?.verdict, 'succeeded');
      assert.equal(run.flows.get('d1')?.correlation.ticker, 'AAPL');
      assert.equal((run.flows.get('d1')?.verdictEvent?.evidence as { rows: number }).rows, 0);
    });

    it('ask.md and summary.md: built, the failure listed, the deep value cut at a depth marker', () => {
      const md = buildAskMd(run, {});
      assert.match(md, /DATA\\?\.DEEP/);
      assert.match(md, /deep evidence/);
      assert.match(md, /depth limit/);
      assert.ok(md.length < 64 * 1024);
      assert.match(buildSummaryMd(run, {}), /DATA\\?\.DEEP/);
    });

    it("the run's tree JSON (format.ts safeJson) and bounded copies: no throw, depth marker, bounded size", () => {
      for (const e of run.events) {
        const s = safeJson(e.evidence ?? e.data ?? e.metric);
        assert.ok(s.length <= 1200 + 20);
      }
      const ev = run.flows.get('d1')?.verdictEvent?.evidence;
      assert.match(safeJson(ev, 100_000), /"rows": 0/);
      assert.match(safeJson(ev, 100_000), /\[depth limit\]/);
      assert.match(safeStringify(ev), /\[depth limit\]/);
      assert.equal(JSON.parse(toJson(ev)).rows, 0);
      let v: unknown = boundedCopy(JSON.parse(deepJson(depth)), { maxDepth: 5 });
      for (let i = 0; i < 5; i++) v = (v as { a: unknown }).a;
      assert.equal(v, DEPTH_MARK);
    });

    it('CLI --json (in process; redacted and --no-redact), ask and export: no throw, the rest intact', async () => {
      for (const redact of [true, false]) {
        const fails = JSON.parse(await cli(root, 'failures', { json: true, redact, run: 'all' }));
        assert.equal(fails.failures.length, 1);
        assert.equal(fails.failures[0].failure_class, 'DATA.DEEP');
        assert.equal(fails.failures[0].evidence.rows, 0);
        assert.match(JSON.stringify(fails.failures[0].evidence), /depth limit/);
        const runsDoc = JSON.parse(await cli(root, 'runs', { json: true, redact }));
        assert.equal(runsDoc.runs[0].events, 8);
        const flows = JSON.parse(await cli(root, 'flows', { json: true, redact, run: 'all' }));
        assert.deepEqual(flows.flows.map((f: { name: string }) => f.name), ['f/deep', 'f/ok']);
        const metrics = JSON.parse(await cli(root, 'metrics', { json: true, redact, run: 'all' }));
        assert.equal(metrics.counts.by_type.failure, 1);
        const chrome = JSON.parse(await cli(root, 'export', { format: 'chrome', redact, run: 'deep' }));
        assert.ok(chrome.traceEvents.length >= 3);
      }
      assert.match(await cli(root, 'ask', { run: 'deep' }), /DATA\\?\.DEEP/);
    });

    it('dist/cli.js failures --json --no-redact and ask: exit 0, no stack overflow', () => {
      for (const args of [['failures', '--json', '--no-redact'], ['ask'], ['runs', '--json']]) {
        const r = spawnSync(process.execPath, [CLI, ...args, root], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /call stack|internal error/);
      }
    });

    it('dashboard model, timeline and diff: built, sanitised for the webview, deep values cut', () => {
      const m = buildDashboardModel({ runs }, 'all');
      const posted = JSON.stringify(sanitizeModel(m, new Redactor(), new Map()));
      assert.match(posted, /DATA\.DEEP/);
      const t = buildTimeline({ runs }, run);
      assert.equal(t.rows.length, 2);
      assert.match(t.rows[0].evidence ?? '', /"rows":0/);
      // sanitizeModel itself cuts a value nested deeper than its limit, never passes it on raw.
      const cut = JSON.stringify(sanitizeModel({ v: JSON.parse(deepJson(depth)) }, new Redactor(), new Map()));
      assert.match(cut, /depth limit/);
      const other = { ...run, id: 'other', flows: new Map([...run.flows].map(([k, f]) => [k, { ...f, verdictEvent: f.verdictEvent && { ...f.verdictEvent, evidence: { rows: 1, deep: JSON.parse(deepJson(depth)) } } }])) } as Run;
      const d = diffRuns(run, other);
      assert.deepEqual(d.stillFailing.find((e) => e.flow === 'f/deep')?.changes.map((c) => c.key), ['evidence.rows']);
      assert.doesNotThrow(() => toJson(d));
    });

    it('the parallel index path reads the same run (correlation key depth-limited, no overflow)', async () => {
      const ws = new TraceWorkspace(root, { final: true, now: () => Date.parse('2030-01-01T00:00:00Z'), index: { minBytes: 0, workers: 0 } });
      await ws.load({ final: true });
      const r = ws.runs()[0];
      assert.equal(r.counts?.total ?? r.events.length, 8);
      assert.equal(r.flows.get('d1')?.verdict, 'failed');
      assert.equal(r.flows.get('d1')?.correlation.ticker, 'AAPL');
      assert.match(buildAskMd(r, {}), /DATA\\?\.DEEP/);
    });
  });
}
