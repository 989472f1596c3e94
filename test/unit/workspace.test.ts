import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { flowKey } from '../../src/core/model/build';
import type { FlowNode, Run, TraceEvent } from '../../src/core/model/types';
import { TraceWorkspace } from '../../src/core/read/workspace';
import { runNoteText } from '../../src/core/render/runNotes';

const DEMO = path.resolve('test/fixtures/demo-app');
const STORES = path.resolve('test/fixtures/stores');
/** Far after every fixture file's mtime: nothing is live unless a test says so. */
const LATER = Date.UTC(2030, 0, 1);
const RUN_IDS = [
  '20261118T140000Z-a1c3',
  '20261119T140000Z-b7d2',
  '20261119T190000Z-c4e8',
  '20261120T140000Z-d9f1',
  '20261121T140000Z-e2a6',
  '20261122T140000Z-f5b0',
];

function verdicts(run: Run | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of run?.flows.values() ?? []) out[f.verdict] = (out[f.verdict] ?? 0) + 1;
  return out;
}

function flow(run: Run | undefined, id: string): FlowNode {
  const f = run?.flows.get(id);
  assert.ok(f, `flow ${id} in ${run?.id}`);
  return f;
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-ws-'));
}

function copyDir(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

describe('workspace: the demo-app fixture', function () {
  this.timeout(20000);
  let ws: TraceWorkspace;
  before(async () => {
    ws = new TraceWorkspace(DEMO, { now: () => LATER, final: true });
    await ws.load();
  });

  it('has 12 runs: six v1 runs (rolling file deduplicated) and six 0.1 run folders, newest first', () => {
    // A 0.1 run starts 35 ms after its v1 twin (first event = the calendar checkpoint), so it sorts first.
    const expected = [...RUN_IDS].reverse().flatMap((id) => [`runs/${id}`, id]);
    assert.deepEqual(
      ws.runs().map((r) => r.id),
      expected,
    );
    assert.deepEqual(ws.malformed(), []);
    assert.deepEqual(ws.problems(), []);
  });

  it('shows each v1 run once, from its run folder, noting the rolling copy', () => {
    // Lines per run (each run's .autodev/runs/<id>/trace.jsonl; the rolling file is their concatenation).
    const lines: Record<string, number> = {
      '20261118T140000Z-a1c3': 44,
      '20261119T140000Z-b7d2': 28,
      '20261119T190000Z-c4e8': 40,
      '20261120T140000Z-d9f1': 35,
      '20261121T140000Z-e2a6': 42,
      '20261122T140000Z-f5b0': 5,
    };
    for (const id of RUN_IDS) {
      const run = ws.getRun(id);
      assert.ok(run);
      assert.equal(run.dialect, 'flowscribe-v1');
      assert.equal(run.primarySource, path.join(DEMO, '.autodev', 'runs', id, 'trace.jsonl'));
      assert.deepEqual(run.sources, [run.primarySource, path.join(DEMO, '.autodev', 'trace.jsonl')]);
      assert.equal(run.events.length, lines[id]);
      assert.deepEqual(run.notes.map(runNoteText), [`also in .autodev/trace.jsonl (${lines[id]} lines); showing .autodev/runs/${id}/trace.jsonl`]);
      assert.equal(run.app, 'trader');
      assert.equal(run.mode, 'dev');
      assert.deepEqual(run.tags, ['phase5', 'sim']);
      assert.equal(run.gitSha, '3f9c2ab');
    }
    const rolling = ws.sources().find((s) => s.kind === 'trace-rolling');
    assert.equal(rolling?.events, 194); // 44 + 28 + 40 + 35 + 42 + 5
  });

  it('run1 a1c3: ok, 13 flows all succeeded, premarket the root', () => {
    const run = ws.getRun('20261118T140000Z-a1c3');
    assert.equal(run?.status, 'ok');
    assert.equal(run?.flows.size, 13);
    assert.deepEqual(verdicts(run), { succeeded: 13 });
    assert.equal(run?.started, Date.UTC(2026, 10, 18, 9, 0, 0));
    assert.equal(run?.ended, Date.UTC(2026, 10, 18, 9, 0, 1, 520) + 0.999); // session_end at 09:00:01.520999Z
    assert.deepEqual(run?.roots.map((f) => f.id), ['f-0001']);
    // premarket parents fetch/indicators/agent ×3; each agent parents its orders flow.
    assert.deepEqual(flow(run, 'f-0001').children.map((f) => f.id), ['f-0002', 'f-0003', 'f-0004', 'f-0006', 'f-0007', 'f-0008', 'f-0010', 'f-0011', 'f-0012']);
    assert.deepEqual(flow(run, 'f-0004').children.map((f) => f.id), ['f-0005']);
    assert.equal(flow(run, 'f-0013').durationMs, 280); // NVDA ack_ms
  });

  it('run2 b7d2: failed; DATA.EMPTY on the NVDA fetch, KeyError in indicators for MSFT', () => {
    const run = ws.getRun('20261119T140000Z-b7d2');
    assert.equal(run?.status, 'failed');
    assert.equal(run?.flows.size, 8);
    assert.deepEqual(verdicts(run), { succeeded: 6, exception: 1, failed: 1 });
    const fetch = flow(run, 'f-0008');
    assert.equal(fetch.name, 'data/fetch/minute_candles');
    assert.equal(fetch.verdict, 'failed');
    assert.equal(fetch.verdictEvent?.failureClass, 'DATA.EMPTY');
    assert.equal(fetch.correlation.ticker, 'NVDA');
    assert.equal(fetch.durationMs, 690);
    assert.deepEqual(fetch.steps.map((s) => s.name), ['', 'request', 'validate']);
    const ind = flow(run, 'f-0007');
    assert.equal(ind.name, 'indicators/ema/compute');
    assert.equal(ind.verdict, 'exception');
    assert.equal(ind.verdictEvent?.exception?.type, 'KeyError');
    assert.deepEqual(ind.tags, ['MSFT']);
  });

  it('run3 c4e8: session_end ok although the NVDA decision failed (BUSINESS.NO_ACTION)', () => {
    const run = ws.getRun('20261119T190000Z-c4e8');
    assert.equal(run?.status, 'ok');
    assert.equal(run?.started, Date.UTC(2026, 10, 19, 14, 0, 0)); // offset_s 18000
    assert.equal(run?.flows.size, 12);
    assert.deepEqual(verdicts(run), { succeeded: 11, failed: 1 });
    assert.equal(flow(run, 'f-0012').verdictEvent?.failureClass, 'BUSINESS.NO_ACTION');
  });

  it('run4 d9f1: failed; AAPL order timed out, MSFT candles incomplete', () => {
    const run = ws.getRun('20261120T140000Z-d9f1');
    assert.equal(run?.status, 'failed');
    assert.equal(run?.flows.size, 10);
    assert.deepEqual(verdicts(run), { succeeded: 8, failed: 2 });
    assert.equal(flow(run, 'f-0005').verdictEvent?.failureClass, 'EXTERNAL.TIMEOUT');
    assert.equal(flow(run, 'f-0005').durationMs, 6000);
    assert.equal(flow(run, 'f-0006').verdictEvent?.failureClass, 'DATA.INCOMPLETE');
  });

  it('run5 e2a6: no session_end and not live → crashed; the open NVDA order is orphaned', () => {
    const run = ws.getRun('20261121T140000Z-e2a6');
    assert.equal(run?.status, 'crashed');
    assert.equal(run?.flows.size, 13);
    assert.deepEqual(verdicts(run), { succeeded: 12, orphaned: 1 });
    const open = flow(run, 'f-0013');
    assert.equal(open.verdict, 'orphaned');
    assert.equal(open.correlation.ticker, 'NVDA');
    assert.equal(run?.ended, Date.UTC(2026, 10, 21, 9, 0, 1, 320) + 0.999); // last event: the ack metric at 09:00:01.320999Z
  });

  it('run6 f5b0: market closed; .autodev/latest (a text file) points at it', () => {
    const run = ws.getRun('20261122T140000Z-f5b0');
    assert.equal(run?.status, 'failed');
    assert.deepEqual(verdicts(run), { failed: 1 });
    assert.equal(flow(run, 'f-0001').verdictEvent?.failureClass, 'BUSINESS.MARKET_CLOSED');
    assert.equal(ws.latestRunId, '20261122T140000Z-f5b0');
    assert.equal(ws.latestRun(), run);
    assert.equal(ws.getRun('latest'), run);
  });

  it('names 0.1 flows from summary.md; the crashed 0.1 run keeps short ids', () => {
    const statuses = RUN_IDS.map((id) => ws.getRun(`runs/${id}`)?.status);
    // 0.1 ends only by summary.md: c4e8 has a failure event, so it is failed (the v1 twin says ok).
    assert.deepEqual(statuses, ['ok', 'failed', 'failed', 'failed', 'crashed', 'failed']);
    const b7d2 = ws.getRun('runs/20261119T140000Z-b7d2');
    assert.equal(b7d2?.dialect, 'flowscribe-0.1');
    assert.equal(b7d2?.app, 'trader'); // "Session: trader"
    assert.deepEqual(
      [...(b7d2?.flows.values() ?? [])].map((f) => f.displayName),
      [
        'premarket/prepare',
        'data/fetch/minute_candles',
        'indicators/ema/compute',
        'agent/decision/evaluate',
        'orders/submit',
        'data/fetch/minute_candles',
        'indicators/ema/compute',
        'data/fetch/minute_candles',
      ],
    );
    assert.deepEqual(b7d2?.notes.map(runNoteText), ['flow names: recovered from summary.md (8 of 8)']);
    const nvda = [...(b7d2?.flows.values() ?? [])][7];
    assert.equal(nvda.verdict, 'failed');
    assert.equal(nvda.verdictEvent?.failureClass, 'DATA.EMPTY'); // evidence.cls
    assert.equal(b7d2?.events.at(0)?.runId, 'runs/20261119T140000Z-b7d2');

    const crashed = ws.getRun('runs/20261121T140000Z-e2a6');
    assert.equal(crashed?.flows.size, 13);
    assert.deepEqual(verdicts(crashed), { succeeded: 12, orphaned: 1 });
    const names = [...(crashed?.flows.values() ?? [])].map((f) => f.displayName);
    assert.deepEqual(names.slice(0, 2), ['1eed9878', '220d1984']);
    assert.equal(names[12], 'ae06ec82');
    assert.equal(crashed?.flows.get([...crashed.flows.keys()][12])?.verdict, 'orphaned');
    assert.deepEqual(crashed?.notes.map(runNoteText), ['flow names: no summary.md (the run crashed or is still running); flows shown by short id']);

    for (const id of ['20261118T140000Z-a1c3', '20261119T190000Z-c4e8', '20261120T140000Z-d9f1', '20261122T140000Z-f5b0']) {
      const run = ws.getRun(`runs/${id}`);
      assert.ok([...(run?.flows.values() ?? [])].every((f) => f.name !== undefined), id);
    }
    assert.equal(ws.getRun('runs/20261118T140000Z-a1c3')?.flows.size, 13);
  });

  it('maps the 0.1 absolute paths (/srv/trader-ci/...) onto the fixture', () => {
    const ev = ws.getRun('runs/20261119T140000Z-b7d2')?.events.at(0) as TraceEvent;
    assert.equal(ev.file, '/srv/trader-ci/trader/premarket.py');
    assert.equal(ws.pathMap.resolve(ev.file).path, path.join(DEMO, 'trader', 'premarket.py'));
    assert.deepEqual(
      ws.pathMap.mappings().map((m) => [m.from, m.to]),
      [['/srv/trader-ci', DEMO]],
    );
    // v1 paths are relative to the workspace.
    assert.equal(ws.pathMap.resolve('trader/indicators.py').path, path.join(DEMO, 'trader', 'indicators.py'));
  });

  it('lists every source, and does not read a trace.db beside its trace.jsonl', () => {
    const s = ws.sources();
    assert.equal(s.length, 7 + 6 * 3 - 1); // 6 v1 files + rolling; per 0.1 folder jsonl+db+summary, e2a6 has no summary
    assert.deepEqual(
      s.filter((x) => x.kind === 'trace-db').map((x) => x.skipped),
      new Array(6).fill('trace.jsonl in the same folder is read instead'),
    );
    assert.equal(ws.catalog?.problems.length, 0);
    assert.ok(ws.catalog?.flows.length);
  });

  it('resolves ids: exact and latest only (prefixes are analyze/queries.ts selectRun); unknown → undefined', () => {
    assert.equal(ws.getRun('20261120T140000Z-d9f1')?.id, '20261120T140000Z-d9f1');
    assert.equal(ws.getRun('20261120T'), undefined);
    assert.equal(ws.getRun('nope'), undefined);
  });
});

describe('workspace: stores fixture (envelopes, esper)', () => {
  it('collects Grain/Assay envelopes apart from runs and makes one esper run per telemetry folder', async () => {
    const ws = new TraceWorkspace(STORES, { now: () => LATER, final: true });
    await ws.load();
    // 193 and 49 lines, the last of each cut off mid-write.
    assert.equal(ws.envelopes.length, 192 + 48);
    assert.equal(ws.envelopes.filter((e) => e.source === 'grain').length, 192);
    assert.equal(ws.envelopes.filter((e) => e.source === 'assay').length, 48);
    assert.deepEqual(
      ws.malformed().map((m) => [path.relative(STORES, m.file), m.line]),
      [
        ['.assay/telemetry_queue.jsonl', 49],
        ['.grain/telemetry_queue.jsonl', 193],
      ],
    );
    assert.deepEqual(ws.runs().map((r) => r.id), ['telemetry_2026-11-20_080000']);
    const esper = ws.getRun('telemetry_2026-11-20_080000');
    assert.equal(esper?.dialect, 'esper');
    assert.equal(esper?.events.length, 120);
    assert.equal(esper?.flows.size, 0);
    // Not live, and 3 GOVERNOR_ROLLBACK events have severity error → failed.
    assert.equal(esper?.status, 'failed');
    assert.deepEqual(
      ws.sources().filter((s) => s.kind === 'sqlite').map((s) => [path.basename(s.file), s.skipped]),
      [
        ['brainstem.sqlite3', 'no SQLite reader registered'],
        ['pulse.db', 'no SQLite reader registered'],
        ['sovereignty_metrics.db', 'no SQLite reader registered'],
      ],
    );
  });

  it('live (final: false): a cut-off last line waits instead of being malformed', async () => {
    const ws = new TraceWorkspace(STORES, { now: () => LATER });
    await ws.load();
    assert.equal(ws.envelopes.length, 240);
    assert.deepEqual(ws.malformed(), []);
  });

  it('reads sources through a registered reader (the SQLite seam)', async () => {
    const seen: string[] = [];
    const ws = new TraceWorkspace(STORES, {
      now: () => LATER,
      readers: {
        sqlite: (src) =>
          path.basename(src.file) === 'pulse.db'
            ? {
                read: async (onEvent) => {
                  seen.push(src.file);
                  onEvent({ dialect: 'envelope', type: 'phase.close', source: 'pulse', tags: [], extra: {}, src: { file: src.file, line: 1 } });
                  return { malformed: [{ file: src.file, line: 2, reason: 'bad payload' }] };
                },
              }
            : undefined,
      },
    });
    await ws.load();
    assert.deepEqual(seen, [path.join(STORES, 'pulse.db')]);
    assert.equal(ws.envelopes.filter((e) => e.source === 'pulse').length, 1);
    assert.deepEqual(ws.malformed().filter((m) => m.file.endsWith('pulse.db')).map((m) => m.line), [2]);
    const info = ws.sources().find((s) => s.file.endsWith('brainstem.sqlite3'));
    assert.equal(info?.skipped, 'not recognised by its reader');
  });
});

/**
 * Dates a file's mtime to `ms` after 2026-11-19T09:00:00Z, the time of the {@link v1} lines in
 * it: a run is live only when its file AND its last event are recent (model/build.ts isLive), so
 * a test that plays "now" with a fake clock keeps the two clocks together.
 */
function stampAt(file: string, ms: number): void {
  const t = new Date(Date.UTC(2026, 10, 19, 9, 0, 0) + ms);
  fs.utimesSync(file, t, t);
}

/** A v1 line for run `run`; `ms` after 2026-11-19T09:00:00Z. */
function v1(run: string, ms: number, type: string, more: Record<string, unknown> = {}): string {
  const ts = new Date(Date.UTC(2026, 10, 19, 9, 0, 0) + ms).toISOString();
  return JSON.stringify({ v: 1, event_type: type, run_id: run, timestamp: ts, ...more }) + '\n';
}

describe('workspace: v1 layout in a temporary folder', function () {
  this.timeout(20000);
  let root: string;
  beforeEach(() => {
    root = tmpdir();
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('counts the six demo runs once (6, not 12), keeps runs that exist only in the rolling file, and follows a latest symlink', async () => {
    copyDir(path.join(DEMO, '.autodev'), path.join(root, '.autodev'));
    const extra = v1('20261123T140000Z-only', 0, 'session_start', { app: 'trader' }) + v1('20261123T140000Z-only', 5, 'session_end', { status: 'success' });
    fs.appendFileSync(path.join(root, '.autodev', 'trace.jsonl'), extra);
    fs.rmSync(path.join(root, '.autodev', 'latest'));
    fs.symlinkSync(path.join('runs', '20261119T140000Z-b7d2'), path.join(root, '.autodev', 'latest'));

    const ws = new TraceWorkspace(root, { now: () => LATER, final: true });
    await ws.load();
    const ids = ws.runs().map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    // 'only' starts at 2026-11-19T09:00:00Z like b7d2: the tie goes to the larger id.
    assert.deepEqual(ids, [
      '20261122T140000Z-f5b0',
      '20261121T140000Z-e2a6',
      '20261120T140000Z-d9f1',
      '20261119T190000Z-c4e8',
      '20261123T140000Z-only',
      '20261119T140000Z-b7d2',
      '20261118T140000Z-a1c3',
    ]);
    const only = ws.getRun('20261123T140000Z-only');
    assert.equal(only?.status, 'ok');
    assert.equal(only?.primarySource, path.join(root, '.autodev', 'trace.jsonl'));
    assert.deepEqual(only?.notes, []);
    assert.equal(ws.latestRun()?.id, '20261119T140000Z-b7d2');
  });

  it('a rolling-only run moves to its run folder when the folder appears', async () => {
    fs.mkdirSync(path.join(root, '.autodev'));
    const lines = v1('r1', 0, 'session_start') + v1('r1', 1, 'flow_start', { flow: 'a', flow_id: 'f1' });
    fs.writeFileSync(path.join(root, '.autodev', 'trace.jsonl'), lines);
    const ws = new TraceWorkspace(root, { now: () => LATER });
    await ws.load();
    assert.equal(ws.getRun('r1')?.primarySource, path.join(root, '.autodev', 'trace.jsonl'));

    fs.mkdirSync(path.join(root, '.autodev', 'runs', 'r1'), { recursive: true });
    fs.writeFileSync(path.join(root, '.autodev', 'runs', 'r1', 'trace.jsonl'), lines);
    const c = await ws.refresh();
    const run = ws.getRun('r1');
    assert.equal(run?.primarySource, path.join(root, '.autodev', 'runs', 'r1', 'trace.jsonl'));
    assert.equal(run?.events.length, 2);
    assert.deepEqual(run?.notes.map(runNoteText), ['also in .autodev/trace.jsonl (2 lines); showing .autodev/runs/r1/trace.jsonl']);
    assert.deepEqual([...c.runs], ['r1']);
    assert.deepEqual(c.added, []);
    assert.deepEqual(c.removed, []);
  });

  it('a deleted run folder falls back to the rolling copy', async () => {
    const runDir = path.join(root, '.autodev', 'runs', 'r1');
    fs.mkdirSync(runDir, { recursive: true });
    const lines = v1('r1', 0, 'flow_start', { flow_id: 'f1' }) + v1('r1', 3, 'success', { flow_id: 'f1' });
    fs.writeFileSync(path.join(root, '.autodev', 'trace.jsonl'), lines);
    fs.writeFileSync(path.join(runDir, 'trace.jsonl'), lines);
    const ws = new TraceWorkspace(root, { now: () => LATER });
    await ws.load();
    assert.equal(ws.getRun('r1')?.primarySource, path.join(runDir, 'trace.jsonl'));
    fs.rmSync(runDir, { recursive: true });
    await ws.refresh();
    const run = ws.getRun('r1');
    assert.equal(run?.primarySource, path.join(root, '.autodev', 'trace.jsonl'));
    assert.equal(run?.events.length, 2);
    assert.equal(run?.flows.get('f1')?.verdict, 'succeeded');
    assert.deepEqual(run?.notes, []);
  });

  it('a 0.1 folder named like a v1 run id gets its folder path as id', async () => {
    fs.mkdirSync(path.join(root, '.autodev'));
    fs.writeFileSync(path.join(root, '.autodev', 'trace.jsonl'), v1('X', 0, 'session_start') + v1('X', 1, 'session_end', { status: 'ok' }));
    fs.mkdirSync(path.join(root, 'runs', 'X'), { recursive: true });
    fs.copyFileSync(path.join(DEMO, 'runs', '20261122T140000Z-f5b0', 'trace.jsonl'), path.join(root, 'runs', 'X', 'trace.jsonl'));
    const ws = new TraceWorkspace(root, { now: () => LATER });
    await ws.load();
    assert.deepEqual(
      ws.runs().map((r) => [r.id, r.dialect, r.events.length]),
      [
        ['runs/X', 'flowscribe-0.1', 2], // 2026-11-22: newer
        ['X', 'flowscribe-v1', 2],
      ],
    );
  });

  it('incremental: appends to both files (one line split across two appends) update one run in place', async () => {
    const runDir = path.join(root, '.autodev', 'runs', 'r1');
    fs.mkdirSync(runDir, { recursive: true });
    const rolling = path.join(root, '.autodev', 'trace.jsonl');
    const perRun = path.join(runDir, 'trace.jsonl');
    const r0 = v1('r0', 0, 'session_start') + v1('r0', 10, 'session_end', { status: 'ok' });
    const start =
      v1('r1', 100, 'session_start', { app: 'trader' }) +
      v1('r1', 100, 'flow_start', { flow: 'data/fetch/minute_candles', flow_id: 'f-0001', correlation: { ticker: 'NVDA' } }) +
      v1('r1', 110, 'checkpoint', { flow: 'data/fetch/minute_candles', flow_id: 'f-0001', step: 'request' });
    fs.writeFileSync(rolling, r0 + start);
    fs.writeFileSync(perRun, start);
    for (const file of [rolling, perRun]) stampAt(file, 110);
    let now = fs.statSync(perRun).mtimeMs + 1000;
    const ws = new TraceWorkspace(root, { now: () => now });
    await ws.load();
    const run = ws.getRun('r1');
    const f = run?.flows.get('f-0001');
    assert.equal(run?.status, 'running');
    assert.equal(f?.verdict, 'running');
    assert.equal(ws.getRun('r0')?.status, 'ok');

    const failure = v1('r1', 800, 'failure', {
      flow: 'data/fetch/minute_candles',
      flow_id: 'f-0001',
      step: 'validate',
      failure_class: 'DATA.EMPTY',
      duration_ms: 700,
    });
    const cut = 40;
    for (const file of [perRun, rolling]) fs.appendFileSync(file, failure.slice(0, cut));
    let c = await ws.refresh();
    assert.equal(f?.verdict, 'running'); // the half line waits
    assert.deepEqual(ws.malformed(), []);
    for (const file of [perRun, rolling]) fs.appendFileSync(file, failure.slice(cut) + v1('r1', 800, 'session_end', { status: 'failed' }));
    now = fs.statSync(perRun).mtimeMs + 1000;
    c = await ws.refresh();

    assert.equal(ws.getRun('r1'), run); // updated in place
    assert.equal(run?.flows.get('f-0001'), f);
    assert.equal(f?.verdict, 'failed');
    assert.equal(f?.durationMs, 700);
    assert.equal(run?.status, 'failed');
    assert.deepEqual([...c.runs], ['r1']);
    assert.deepEqual([...c.flows], [flowKey('r1', 'f-0001')]);
    assert.deepEqual(c.added, []);
    assert.equal(run?.events.length, 5);
    assert.deepEqual(run?.notes.map(runNoteText), ['also in .autodev/trace.jsonl (5 lines); showing .autodev/runs/r1/trace.jsonl']);

    // Same answer as a from-scratch load.
    const fresh = new TraceWorkspace(root, { now: () => now });
    await fresh.load();
    assert.deepEqual(
      fresh.runs().map((r) => [r.id, r.status, r.events.length, r.flows.size, verdicts(r), r.notes]),
      ws.runs().map((r) => [r.id, r.status, r.events.length, r.flows.size, verdicts(r), r.notes]),
    );
    assert.equal(fresh.sources().find((s) => s.kind === 'trace-rolling')?.events, 2 + 5);

    // Nothing new: nothing changed.
    c = await ws.refresh();
    assert.equal(c.runs.size + c.flows.size + c.added.length + c.removed.length, 0);
  });

  it('property: any byte split of run2 appended to both files gives the from-scratch answer', async () => {
    const text = fs.readFileSync(path.join(DEMO, '.autodev', 'runs', '20261119T140000Z-b7d2', 'trace.jsonl'), 'utf8');
    const shape = (ws: TraceWorkspace): unknown =>
      ws.runs().map((r) => [r.id, r.status, r.events.length, [...r.flows.values()].map((f) => [f.id, f.verdict, f.steps.length, f.durationMs]), r.notes]);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 6 }), async (cuts) => {
        const dir = path.join(root, `p${n++}`);
        const runDir = path.join(dir, '.autodev', 'runs', '20261119T140000Z-b7d2');
        fs.mkdirSync(runDir, { recursive: true });
        const files = [path.join(runDir, 'trace.jsonl'), path.join(dir, '.autodev', 'trace.jsonl')];
        for (const f of files) fs.writeFileSync(f, '');
        const ws = new TraceWorkspace(dir, { now: () => LATER });
        await ws.load();
        const points = [0, ...[...cuts].sort((a, b) => a - b), text.length];
        for (let i = 1; i < points.length; i++) {
          for (const f of files) fs.appendFileSync(f, text.slice(points[i - 1], points[i]));
          await ws.refresh();
        }
        const fresh = new TraceWorkspace(dir, { now: () => LATER });
        await fresh.load();
        assert.deepEqual(shape(ws), shape(fresh));
        assert.equal(ws.getRun('20261119T140000Z-b7d2')?.events.length, 28);
        assert.deepEqual(ws.malformed(), []);
      }),
      { numRuns: 12 },
    );
  });

  it('a run without session_end turns from running to crashed when the live window passes', async () => {
    const runDir = path.join(root, '.autodev', 'runs', 'r1');
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'trace.jsonl'), v1('r1', 0, 'flow_start', { flow: 'a', flow_id: 'f1' }));
    stampAt(path.join(runDir, 'trace.jsonl'), 0);
    const mtime = fs.statSync(path.join(runDir, 'trace.jsonl')).mtimeMs;
    let now = mtime + 5 * 60 * 1000;
    const ws = new TraceWorkspace(root, { now: () => now });
    await ws.load();
    assert.equal(ws.getRun('r1')?.status, 'running');
    now = mtime + 11 * 60 * 1000;
    const c = await ws.refresh();
    assert.equal(ws.getRun('r1')?.status, 'crashed');
    assert.equal(ws.getRun('r1')?.flows.get('f1')?.verdict, 'orphaned');
    assert.deepEqual([...c.runs], ['r1']);
    assert.deepEqual([...c.flows], [flowKey('r1', 'f1')]);

    const short = new TraceWorkspace(root, { now: () => mtime + 2000, liveWindowMs: 1000 });
    await short.load();
    assert.equal(short.getRun('r1')?.status, 'crashed');
  });

  it('a truncated/replaced run file is re-read, and a deleted one removes its run', async () => {
    const runDir = path.join(root, '.autodev', 'runs', 'r1');
    fs.mkdirSync(runDir, { recursive: true });
    const file = path.join(runDir, 'trace.jsonl');
    fs.writeFileSync(file, v1('r1', 0, 'flow_start', { flow_id: 'f1' }) + v1('r1', 1, 'success', { flow_id: 'f1' }));
    const ws = new TraceWorkspace(root, { now: () => LATER });
    await ws.load();
    assert.equal(ws.getRun('r1')?.events.length, 2);
    fs.writeFileSync(file, v1('r1', 0, 'flow_start', { flow_id: 'f9' }));
    await ws.refresh();
    assert.deepEqual([...(ws.getRun('r1')?.flows.keys() ?? [])], ['f9']);
    assert.equal(ws.getRun('r1')?.events.length, 1);
    fs.rmSync(file);
    const c = await ws.refresh();
    assert.deepEqual(c.removed, ['r1']);
    assert.equal(ws.runs().length, 0);
  });

  it('refresh({rediscover: false}) tails known files only', async () => {
    const runDir = path.join(root, '.autodev', 'runs', 'r1');
    fs.mkdirSync(runDir, { recursive: true });
    const file = path.join(runDir, 'trace.jsonl');
    fs.writeFileSync(file, v1('r1', 0, 'flow_start', { flow_id: 'f1' }));
    const ws = new TraceWorkspace(root, { now: () => LATER });
    await ws.load();
    fs.appendFileSync(file, v1('r1', 1, 'success', { flow_id: 'f1' }));
    fs.mkdirSync(path.join(root, '.autodev', 'runs', 'r2'));
    fs.writeFileSync(path.join(root, '.autodev', 'runs', 'r2', 'trace.jsonl'), v1('r2', 0, 'session_start'));
    let c = await ws.refresh({ rediscover: false });
    assert.deepEqual([...c.runs], ['r1']);
    assert.equal(ws.getRun('r1')?.flows.get('f1')?.verdict, 'succeeded');
    assert.equal(ws.getRun('r2'), undefined);
    c = await ws.refresh();
    assert.deepEqual(c.added, ['r2']);
  });

  it('records malformed lines with file and line, on the run and the workspace', async () => {
    const runDir = path.join(root, '.autodev', 'runs', 'r1');
    fs.mkdirSync(runDir, { recursive: true });
    const file = path.join(runDir, 'trace.jsonl');
    fs.writeFileSync(file, v1('r1', 0, 'flow_start', { flow_id: 'f1' }) + '{oops\n[1,2]\n' + v1('r1', 1, 'success', { flow_id: 'f1' }) + '{"v": 1, "ev');
    const ws = new TraceWorkspace(root, { now: () => LATER, final: true });
    await ws.load();
    assert.deepEqual(ws.malformed().map((m) => m.line), [2, 3, 5]);
    assert.deepEqual(ws.getRun('r1')?.malformed.map((m) => [m.file, m.line]), [[file, 2], [file, 3], [file, 5]]);
    assert.equal(ws.getRun('r1')?.flows.get('f1')?.verdict, 'succeeded');
  });

  it('a live 0.1 run is running until its summary.md appears, then ended and named', async () => {
    const src = path.join(DEMO, 'runs', '20261119T140000Z-b7d2');
    const dir = path.join(root, 'runs', '20260101_120000');
    fs.mkdirSync(dir, { recursive: true });
    const lines = fs.readFileSync(path.join(src, 'trace.jsonl'), 'utf8').split('\n');
    fs.writeFileSync(path.join(dir, 'trace.jsonl'), lines.slice(0, 3).join('\n') + '\n'); // premarket (2 lines) + AAPL request
    stampAt(path.join(dir, 'trace.jsonl'), 1000); // the recording's own time (its lines are from 09:00:00.0xx)
    let now = fs.statSync(path.join(dir, 'trace.jsonl')).mtimeMs + 1000;
    const ws = new TraceWorkspace(root, { now: () => now });
    await ws.load();
    const run = ws.getRun('20260101_120000');
    assert.equal(run?.status, 'running');
    assert.deepEqual([...(run?.flows.values() ?? [])].map((f) => [f.displayName, f.verdict]), [
      ['09e07a9d', 'succeeded'],
      ['ee8e9c1e', 'running'],
    ]);

    fs.writeFileSync(path.join(dir, 'trace.jsonl'), lines.join('\n'));
    fs.copyFileSync(path.join(src, 'summary.md'), path.join(dir, 'summary.md'));
    now = fs.statSync(path.join(dir, 'trace.jsonl')).mtimeMs + 1000;
    const c = await ws.refresh();
    assert.equal(ws.getRun('20260101_120000'), run);
    assert.equal(run?.status, 'failed'); // ended (summary.md) with a failure and an exception
    assert.equal(run?.flows.size, 8);
    assert.equal([...(run?.flows.values() ?? [])][1].displayName, 'data/fetch/minute_candles');
    assert.deepEqual(run?.notes.map(runNoteText), ['flow names: recovered from summary.md (8 of 8)']);
    assert.deepEqual([...c.runs], ['20260101_120000']);
    assert.equal(c.flows.size, 8);
  });

  it('maxRunFolders: reads the newest run folders only and names the setting', async () => {
    const runs = path.join(root, '.autodev', 'runs');
    const ids = Array.from({ length: 30 }, (_, i) => `20261119T${String(i).padStart(2, '0')}0000Z-r${i}`);
    for (const [i, id] of ids.entries()) {
      fs.mkdirSync(path.join(runs, id), { recursive: true });
      fs.writeFileSync(path.join(runs, id, 'trace.jsonl'), v1(id, i * 1000, 'session_start', { app: 'a' }) + v1(id, i * 1000 + 5, 'session_end', { status: 'success' }));
    }
    const ws = new TraceWorkspace(root, { now: () => LATER, final: true, maxRunFolders: 10 });
    await ws.load();
    assert.deepEqual(ws.runs().map((r) => r.id), ids.slice(20).reverse());
    assert.deepEqual(ws.problems(), [`${runs}: 30 run folders; reading the newest 10 by name, 20 older not read (run folder limit 10; raise flowlens.maxRunFolders)`]);

    const all = new TraceWorkspace(root, { now: () => LATER, final: true });
    await all.load();
    assert.equal(all.runs().length, 30, 'default limit (5,000) reads all 30');
    assert.deepEqual(all.problems(), []);
  });

  it('never throws on a missing workspace folder', async () => {
    const ws = new TraceWorkspace(path.join(root, 'missing'));
    await ws.load();
    assert.deepEqual(ws.runs(), []);
    assert.equal(ws.problems().length, 1);
  });
});
