import { strict as assert } from 'node:assert';
import { DEFAULT_LIVE_WINDOW_MS, RunBuilder, flowKey, mapSessionStatus, parseFlowKey, shortId } from '../../src/core/model/build';
import type { TraceEvent } from '../../src/core/model/types';
import { runNoteText } from '../../src/core/render/runNotes';

/** Data-keyed records are null-prototype objects (issue 13): compare their JSON shape. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const T0 = Date.UTC(2026, 10, 19, 9, 0, 0);
let line = 0;

/** A v1 event; `at` is milliseconds after T0. */
function ev(type: string, at: number | undefined, more: Partial<TraceEvent> = {}): TraceEvent {
  line++;
  return {
    dialect: 'flowscribe-v1',
    type,
    ts: at === undefined ? undefined : T0 + at,
    runId: 'r1',
    tags: [],
    extra: {},
    src: { file: '/ws/.autodev/runs/r1/trace.jsonl', line },
    ...more,
  };
}

/** The NVDA part of scenario run2 (b7d2): premarket parent, a fetch that fails, an exception. */
function run2Like(b: RunBuilder): void {
  b.add(ev('session_start', 0, { app: 'trader', mode: 'dev', tags: ['phase5', 'sim'], gitSha: '3f9c2ab', host: 'devbox' }));
  b.add(ev('flow_start', 0, { flow: 'premarket/prepare', flowId: 'f-0001' }));
  b.add(ev('checkpoint', 35, { flow: 'premarket/prepare', flowId: 'f-0001', step: 'calendar' }));
  b.add(ev('success', 47, { flow: 'premarket/prepare', flowId: 'f-0001', step: 'configs', durationMs: 47 }));
  b.add(ev('flow_start', 645, { flow: 'indicators/ema/compute', flowId: 'f-0007', parentFlowId: 'f-0001' }));
  b.add(ev('exception', 685, { flow: 'indicators/ema/compute', flowId: 'f-0007', step: 'columns', durationMs: 40 }));
  b.add(
    ev('flow_start', 685, {
      flow: 'data/fetch/minute_candles',
      flowId: 'f-0008',
      parentFlowId: 'f-0001',
      correlation: { ticker: 'NVDA', date: '2026-11-19' },
    }),
  );
  b.add(ev('checkpoint', 685, { flow: 'data/fetch/minute_candles', flowId: 'f-0008', step: 'request' }));
  b.add(ev('metric', 1375, { flow: 'data/fetch/minute_candles', flowId: 'f-0008', step: 'request' }));
  b.add(
    ev('failure', 1375, {
      flow: 'data/fetch/minute_candles',
      flowId: 'f-0008',
      step: 'validate',
      failureClass: 'DATA.EMPTY',
      durationMs: 690,
    }),
  );
}

describe('build: RunBuilder', () => {
  it('builds a run with flows, parent links, steps and verdicts', () => {
    const b = new RunBuilder();
    run2Like(b);
    b.add(ev('session_end', 1375, { status: 'failed' }));
    b.finish({ now: T0 });
    const run = b.getRun('r1');
    assert.ok(run);
    assert.equal(run.status, 'failed');
    assert.equal(run.app, 'trader');
    assert.equal(run.mode, 'dev');
    assert.deepEqual(run.tags, ['phase5', 'sim']);
    assert.equal(run.gitSha, '3f9c2ab');
    assert.equal(run.started, T0);
    assert.equal(run.ended, T0 + 1375);
    assert.equal(run.events.length, 11);
    assert.deepEqual([...run.flows.keys()], ['f-0001', 'f-0007', 'f-0008']);
    assert.deepEqual(run.roots.map((f) => f.id), ['f-0001']);
    const pre = run.flows.get('f-0001');
    assert.ok(pre);
    assert.deepEqual(pre.children.map((f) => f.id), ['f-0007', 'f-0008']);
    assert.equal(pre.verdict, 'succeeded');
    assert.equal(pre.durationMs, 47);
    // flow_start has no step: it forms the '' step; then calendar, configs.
    assert.deepEqual(pre.steps.map((s) => [s.name, s.events.length]), [['', 1], ['calendar', 1], ['configs', 1]]);
    const ind = run.flows.get('f-0007');
    assert.equal(ind?.verdict, 'exception');
    assert.equal(ind?.parentId, 'f-0001');
    const fetch = run.flows.get('f-0008');
    assert.ok(fetch);
    assert.equal(fetch.verdict, 'failed');
    assert.equal(fetch.verdictEvent?.failureClass, 'DATA.EMPTY');
    assert.equal(fetch.started, T0 + 685);
    assert.equal(fetch.ended, T0 + 1375);
    assert.equal(fetch.durationMs, 690);
    assert.deepEqual(fetch.correlation, { ticker: 'NVDA', date: '2026-11-19' });
    // request (checkpoint, metric) are consecutive: one step of two events.
    assert.deepEqual(fetch.steps.map((s) => [s.name, s.events.length]), [['', 1], ['request', 2], ['validate', 1]]);
    assert.equal(fetch.displayName, 'data/fetch/minute_candles');
  });

  it('uses verdict time minus first event time when the verdict has no duration_ms', () => {
    const b = new RunBuilder();
    b.add(ev('checkpoint', 100, { flowId: 'a', flow: 'x' }));
    b.add(ev('success', 350, { flowId: 'a', flow: 'x' }));
    assert.equal(b.getRun('r1')?.flows.get('a')?.durationMs, 250);
  });

  it('links a child that appears before its parent, and groups non-consecutive steps separately', () => {
    const b = new RunBuilder();
    b.add(ev('checkpoint', 1, { flowId: 'child', parentFlowId: 'parent', step: 'a' }));
    b.add(ev('checkpoint', 2, { flowId: 'child', step: 'b' }));
    b.add(ev('checkpoint', 3, { flowId: 'child', step: 'a' }));
    const run = b.getRun('r1');
    assert.deepEqual(run?.roots.map((f) => f.id), ['child']);
    b.add(ev('flow_start', 4, { flowId: 'parent' }));
    assert.deepEqual(run?.roots.map((f) => f.id), ['parent']);
    assert.deepEqual(run?.flows.get('parent')?.children.map((f) => f.id), ['child']);
    assert.deepEqual(run?.flows.get('child')?.steps.map((s) => s.name), ['a', 'b', 'a']);
    // A flow without a name shows a short id.
    assert.equal(run?.flows.get('child')?.displayName, 'child');
  });

  it('does not build a parent cycle', () => {
    const b = new RunBuilder();
    b.add(ev('checkpoint', 1, { flowId: 'a', parentFlowId: 'b' }));
    b.add(ev('checkpoint', 2, { flowId: 'b', parentFlowId: 'a' }));
    const run = b.getRun('r1');
    // b joins its parent a; a's own parent link (to b) would close a loop, so a stays a root.
    assert.deepEqual(run?.flows.get('a')?.children.map((f) => f.id), ['b']);
    assert.deepEqual(run?.flows.get('b')?.children, []);
    assert.deepEqual(run?.roots.map((f) => f.id), ['a']);
  });

  it('keeps unknown event types in the run, the flow and its steps', () => {
    const b = new RunBuilder();
    b.add(ev('heartbeat', 1, { flowId: 'a', step: 's' }));
    b.add(ev('custom_note', 2));
    const run = b.getRun('r1');
    assert.deepEqual(run?.events.map((e) => e.type), ['heartbeat', 'custom_note']);
    assert.equal(run?.flows.get('a')?.steps[0].events[0].type, 'heartbeat');
  });

  it('maps session_end status strings', () => {
    assert.equal(mapSessionStatus('ok'), 'ok');
    assert.equal(mapSessionStatus('Success'), 'ok');
    assert.equal(mapSessionStatus('failed'), 'failed');
    assert.equal(mapSessionStatus('error'), 'failed');
    assert.equal(mapSessionStatus('crashed'), 'crashed');
    assert.equal(mapSessionStatus('banana'), undefined);
    assert.equal(mapSessionStatus(undefined), undefined);
  });

  it('reads an unrecognised session_end status from the failures, with a note', () => {
    const b = new RunBuilder();
    b.add(ev('failure', 1, { flowId: 'a' }));
    b.add(ev('session_end', 2, { status: 'banana' }));
    b.finish({ now: T0 });
    const run = b.getRun('r1');
    assert.equal(run?.status, 'failed');
    assert.deepEqual(run?.notes.map(runNoteText), ['session_end status "banana" not recognised; shown as failed']);
  });

  it('session_end ends the run: flows without a verdict are orphaned', () => {
    const b = new RunBuilder();
    b.add(ev('flow_start', 0, { flowId: 'a' }));
    b.add(ev('session_end', 5, { status: 'ok' }));
    b.finish({ now: T0 + 10, mtimeOf: () => T0 + 10 });
    assert.equal(b.getRun('r1')?.status, 'ok');
    assert.equal(b.getRun('r1')?.flows.get('a')?.verdict, 'orphaned');
  });

  it('without session_end: running inside the live window, crashed outside it', () => {
    const b = new RunBuilder();
    b.add(ev('flow_start', 0, { flowId: 'a' }));
    b.add(ev('success', 10, { flowId: 'a' }));
    b.add(ev('flow_start', 20, { flowId: 'b' }));
    const mtime = T0 + 20;
    b.finish({ now: mtime + DEFAULT_LIVE_WINDOW_MS, mtimeOf: () => mtime });
    const run = b.getRun('r1');
    assert.equal(run?.status, 'running');
    assert.equal(run?.ended, undefined);
    assert.equal(run?.flows.get('a')?.verdict, 'succeeded');
    assert.equal(run?.flows.get('b')?.verdict, 'running');
    b.takeChanges();

    b.finish({ now: mtime + DEFAULT_LIVE_WINDOW_MS + 1, mtimeOf: () => mtime });
    assert.equal(run?.status, 'crashed');
    assert.equal(run?.ended, T0 + 20);
    assert.equal(run?.flows.get('b')?.verdict, 'orphaned');
    const c = b.takeChanges();
    assert.deepEqual([...c.runs], ['r1']);
    assert.deepEqual([...c.flows], [flowKey('r1', 'b')]);

    // A custom window; unknown mtime is never live.
    b.finish({ now: mtime + 5000, liveWindowMs: 5000, mtimeOf: () => mtime });
    assert.equal(run?.status, 'running');
    b.finish({ now: mtime });
    assert.equal(run?.status, 'crashed');
  });

  it('flowscribe 0.1 runs end with summary.md (ok/failed), else crash', () => {
    const mk = (id: string, failing: boolean): TraceEvent[] => [
      ev('checkpoint', 0, { dialect: 'flowscribe-0.1', runId: undefined, flowId: `${id}-5ea46328-05a3-429b-a799` }),
      ev(failing ? 'failure' : 'success', 12, { dialect: 'flowscribe-0.1', runId: undefined, flowId: `${id}-5ea46328-05a3-429b-a799` }),
    ];
    const b = new RunBuilder();
    for (const e of mk('a', false)) b.add(e, 'ok-run');
    for (const e of mk('b', true)) b.add(e, 'failed-run');
    for (const e of mk('c', false)) b.add(e, 'crashed-run');
    b.add(ev('checkpoint', 0, { dialect: 'flowscribe-0.1', runId: undefined, flowId: '94add0bb-0bfd-48a5-808b-1eb3a0a90ce9' }), 'crashed-run');
    b.finish({ now: T0 + 1e9, mtimeOf: () => T0, hasEnded: (r) => r.id !== 'crashed-run' });
    assert.equal(b.getRun('ok-run')?.status, 'ok');
    assert.equal(b.getRun('ok-run')?.ended, T0 + 12);
    assert.equal(b.getRun('failed-run')?.status, 'failed');
    const crashed = b.getRun('crashed-run');
    assert.equal(crashed?.status, 'crashed');
    assert.equal(crashed?.dialect, 'flowscribe-0.1');
    const open = crashed?.flows.get('94add0bb-0bfd-48a5-808b-1eb3a0a90ce9');
    assert.equal(open?.verdict, 'orphaned');
    assert.equal(open?.displayName, '94add0bb');
  });

  it('esper runs: running while live, else failed on error/critical events, else ok', () => {
    const b = new RunBuilder();
    b.add(ev('EPOCH_COMPLETED', 0, { dialect: 'esper', runId: undefined, severity: 'info' }), 'telemetry_a');
    b.add(ev('GOVERNOR_ROLLBACK', 0, { dialect: 'esper', runId: undefined, severity: 'critical' }), 'telemetry_b');
    b.finish({ now: T0 + 1e9, mtimeOf: () => T0 });
    assert.equal(b.getRun('telemetry_a')?.status, 'ok');
    assert.equal(b.getRun('telemetry_b')?.status, 'failed');
    assert.equal(b.getRun('telemetry_a')?.flows.size, 0);
    b.finish({ now: T0 + 1, mtimeOf: () => T0 });
    assert.equal(b.getRun('telemetry_a')?.status, 'running');
  });

  it('reports only the runs and flows touched since the last takeChanges', () => {
    const b = new RunBuilder();
    b.add(ev('flow_start', 0, { flowId: 'f-1' }));
    b.add(ev('flow_start', 0, { flowId: 'f-1', runId: 'r2' }));
    b.add(ev('flow_start', 0, { flowId: 'f-2', runId: 'r2' }));
    b.finish({ now: T0, mtimeOf: () => T0 });
    const first = b.takeChanges();
    assert.deepEqual([...first.added].sort(), ['r1', 'r2']);
    assert.equal(first.flows.size, 3);

    const f2 = b.getRun('r2')?.flows.get('f-2');
    assert.equal(f2?.verdict, 'running');
    b.add(ev('failure', 30, { flowId: 'f-2', runId: 'r2', failureClass: 'DATA.EMPTY' }));
    b.finish({ now: T0 + 30, mtimeOf: () => T0 + 30 });
    const c = b.takeChanges();
    assert.deepEqual([...c.runs], ['r2']);
    assert.deepEqual([...c.flows], [flowKey('r2', 'f-2')]);
    assert.equal(c.added.size, 0);
    assert.equal(f2?.verdict, 'failed');
    // The same object was updated in place.
    assert.equal(b.getRun('r2')?.flows.get('f-2'), f2);
    assert.deepEqual(parseFlowKey(flowKey('r2', 'f-2')), { runId: 'r2', flowId: 'f-2' });

    assert.equal(b.removeRun('r1'), true);
    assert.deepEqual([...b.takeChanges().removed], ['r1']);
    assert.equal(b.getRun('r1'), undefined);
  });

  it('caps stored events per run but keeps verdicts', () => {
    const b = new RunBuilder({ maxEventsPerRun: 3 });
    b.add(ev('flow_start', 0, { flowId: 'a' }));
    b.add(ev('checkpoint', 1, { flowId: 'a', step: 's' }));
    b.add(ev('checkpoint', 2, { flowId: 'a', step: 's' }));
    b.add(ev('checkpoint', 3, { flowId: 'a', step: 's' }));
    b.add(ev('failure', 4, { flowId: 'a', step: 't' }));
    const run = b.getRun('r1');
    assert.equal(run?.events.length, 3);
    assert.equal(run?.flows.get('a')?.verdict, 'failed');
    assert.deepEqual(run?.flows.get('a')?.events.map((e) => e.type), ['flow_start', 'checkpoint', 'checkpoint', 'failure']);
    // Notes and run.cap are settled in a batch (finish), not per event.
    assert.deepEqual(run?.notes, []);
    b.finish({ now: T0 + 1e9 });
    assert.deepEqual(run?.cap, { mode: 'capped', total: 5, kept: 3, notKept: 2, limit: 3 });
    assert.deepEqual(run?.notes.map(runNoteText), [
      'capped: the first 3 of 5 events are kept in memory, 2 not (flowlens.maxEventsPerSource = 3); flows keep their verdicts and counts cover every event — open the trace file for the rest',
    ]);
    // Counts cover every event, not only the held ones.
    assert.equal(run?.counts?.total, 5);
    assert.deepEqual(plain(run?.counts?.byType), { flow_start: 1, checkpoint: 3, failure: 1 });
  });

  it('capSource summarises the oldest runs first, a running run last, never the last one', () => {
    const b = new RunBuilder({ maxEventsPerRun: 4 });
    const src = '/ws/.autodev/trace.jsonl';
    const add = (runId: string, at: number, n: number) => {
      for (let i = 0; i < n; i++) b.add(ev(i === 0 ? 'flow_start' : i === n - 1 ? 'success' : 'checkpoint', at + i, { runId, flowId: 'a', src: { file: src, line: ++line } }));
    };
    add('old', 0, 3);
    add('live', 10, 3); // started before 'new' but still being written: summarised after it
    add('new', 20, 3);
    assert.deepEqual(b.capSource(['old', 'live', 'new'], src, (r) => r.id === 'live'), ['old', 'new']);
    assert.equal(b.getRun('live')?.events.length, 3);
    const old = b.getRun('old');
    assert.equal(old?.events.length, 0);
    assert.equal(old?.flows.get('a')?.verdict, 'succeeded');
    assert.equal(old?.flows.get('a')?.verdictEvent?.type, 'success');
    assert.equal(old?.counts?.total, 3);
    assert.deepEqual(old?.notes.map(runNoteText), ['summarised: 3 events not kept in memory (flowlens.maxEventsPerSource = 4); flows, verdicts and counts are kept — open the trace file for the events']);
    // Later events of a summarised run are counted, not held; the note follows at the next finish.
    b.add(ev('checkpoint', 5, { runId: 'old', flowId: 'a', src: { file: src, line: ++line } }));
    assert.equal(old?.events.length, 0);
    assert.equal(old?.counts?.total, 4);
    b.finish({ now: T0 + 1e9 });
    assert.deepEqual(old?.cap, { mode: 'summarised', total: 4, kept: 0, notKept: 4, limit: 4 });
    // Within the cap: nothing more.
    assert.deepEqual(b.capSource(['old', 'live', 'new'], src, () => false), []);
  });

  it('shortens uuids to 8 characters', () => {
    assert.equal(shortId('5ea46328-05a3-429b-a799-a4800858a104'), '5ea46328');
    assert.equal(shortId('f-0001'), 'f-0001');
  });
});
