// src/core/analyze/queries.ts: the one definition of run selection, previous run, failures,
// verdict counts and run status — on the demo workspace (test/fixtures/demo-app: 6 flowscribe v1
// runs in .autodev/, their 6 flowscribe 0.1 twins in runs/, `.autodev/latest` naming f5b0) and on
// small hand-made runs for the edge cases the demo does not have.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { FlowNode, Run, TraceEvent, Verdict } from '../../src/core/model/types';
import { flowRollups } from '../../src/core/analyze/rollup';
import {
  failures,
  latestRun,
  orderFailures,
  previousRun,
  runFailures,
  runsNewestFirst,
  runStatus,
  selectRun,
  selectRuns,
  runVerdictCounts,
  type Failure,
} from '../../src/core/analyze/queries';
import { TraceWorkspace } from '../../src/core/read/workspace';
import { isFileBacked } from '../support/storage';

const DEMO = path.resolve('test/fixtures/demo-app');

// ---- factories -------------------------------------------------------------------------------

function ev(type: string, over: Partial<TraceEvent> = {}): TraceEvent {
  return { dialect: 'flowscribe-v1', type, tags: [], extra: {}, src: { file: 't.jsonl', line: 1 }, ...over };
}

function flow(runId: string, id: string, verdict: Verdict, ts?: number): FlowNode {
  const settled = verdict === 'succeeded' || verdict === 'failed' || verdict === 'exception';
  const type = verdict === 'succeeded' ? 'success' : verdict === 'failed' ? 'failure' : 'exception';
  const verdictEvent = settled ? ev(type, { runId, flowId: id, ts, reason: `${runId}/${id}` }) : undefined;
  return {
    id, name: id, displayName: id, runId, children: [], events: verdictEvent ? [verdictEvent] : [], steps: [],
    verdict, verdictEvent, ended: ts, correlation: {}, tags: [],
  } as unknown as FlowNode;
}

function run(id: string, started: number | undefined, flows: FlowNode[] = [], over: Partial<Run> = {}): Run {
  return {
    id, dialect: 'flowscribe-v1', sources: [], primarySource: '', tags: [], started, status: 'ok' as const,
    flows: new Map(flows.map((f) => [f.id, f])), roots: flows, events: flows.flatMap((f) => [...f.events]), malformed: [], notes: [], ...over,
  } as Run;
}

describe('queries on the demo workspace', () => {
  let runs: Run[];
  let latestId: string | undefined;
  const v1 = (suffix: string): Run => runs.find((r) => r.dialect === 'flowscribe-v1' && r.id.endsWith(suffix)) as Run;
  const old = (suffix: string): Run => runs.find((r) => r.dialect === 'flowscribe-0.1' && r.id.endsWith(suffix)) as Run;

  before(async () => {
    const ws = new TraceWorkspace(DEMO, { final: true });
    await ws.load({ final: true });
    runs = ws.runs();
    latestId = ws.latestRun()?.id;
    assert.equal(runs.length, 12);
  });

  it('lists runs newest first, as the workspace does', () => {
    assert.deepEqual(runsNewestFirst([...runs].reverse()).map((r) => r.id), runs.map((r) => r.id));
  });

  it('selects by one grammar: id, all, latest, previous, @N, unique prefix', () => {
    const sel = (s: string) => selectRuns(runs, s, { latestId });
    assert.equal(latestId, '20261122T140000Z-f5b0', '.autodev/latest');
    assert.deepEqual(sel('20261119T140000Z-b7d2').runs, [v1('b7d2')], 'an exact id');
    assert.deepEqual(sel('runs/20261119T140000Z-b7d2').runs, [old('b7d2')], 'an exact 0.1 id');
    assert.deepEqual(sel('all').runs.map((r) => r.id), runs.map((r) => r.id), 'all, newest first');
    assert.deepEqual(sel('latest').runs, [v1('f5b0')], 'latest = .autodev/latest');
    assert.deepEqual(selectRuns(runs, 'latest').runs, [runs[0]], 'without .autodev/latest: the newest');
    assert.deepEqual(sel('previous').runs, [v1('e2a6')], 'previous = the v1 run before latest, not its 0.1 twin');
    assert.deepEqual(sel('@0').runs, [runs[0]]);
    assert.deepEqual(sel('@3').runs, [runs[3]]);
    assert.match(sel('@12').miss ?? '', /no run '@12' \(12 runs\)/);
    assert.deepEqual(sel('20261120T140000Z-d').runs, [v1('d9f1')], 'a unique prefix');
    assert.deepEqual(sel('runs/20261118').runs, [old('a1c3')], 'a unique prefix of a 0.1 id');
    assert.match(sel('2026').miss ?? '', /ambiguous \(a prefix of 6 runs\)/);
    assert.match(sel('nope').miss ?? '', /^no run 'nope'$/);
    assert.match(sel('').miss ?? '', /no run given/);
    assert.equal(selectRun(runs, 'all'), undefined, 'all is not one run');
    assert.equal(selectRun(runs, '20261121'), v1('e2a6'));
  });

  it('an exact id wins over the words of the grammar', () => {
    const named = run('latest', 1), other = run('x', 2);
    assert.equal(selectRun([named, other], 'latest'), named);
    assert.deepEqual(selectRuns([run('all', 1), other], 'all').runs.map((r) => r.id), ['all']);
  });

  it('finds the previous run of the same dialect that started before', () => {
    assert.equal(previousRun(runs, v1('f5b0')), v1('e2a6'));
    assert.equal(previousRun(runs, v1('c4e8')), v1('b7d2'));
    assert.equal(previousRun(runs, old('c4e8')), old('b7d2'));
    assert.equal(previousRun(runs, v1('a1c3')), undefined, 'the first v1 run');
    assert.equal(previousRun(runs, old('a1c3')), undefined, 'the first 0.1 run (the v1 runs started before it are not its kind)');
    const loose = run('loose', undefined);
    assert.equal(previousRun([...runs, loose], loose), undefined, 'no start time, no previous');
    const tie = [run('a', 5), run('b', 5), run('c', 5)];
    assert.equal(previousRun(tie, tie[2])?.id, 'b', 'equal starts: the next smaller id');
    assert.equal(previousRun(tie, tie[0]), undefined);
  });

  it('lists failures: failing flows with their verdict events, oldest or newest first', () => {
    const all = failures(runs, 'oldest');
    // b7d2 2, c4e8 1, d9f1 2, f5b0 1 — in each dialect.
    assert.equal(all.length, 12);
    for (const f of all) assert.ok(f.flow && (f.flow.verdict === 'failed' || f.flow.verdict === 'exception') && f.event === f.run.flows.get(f.flow.id)?.verdictEvent);
    const ts = all.map((f) => f.event.ts as number);
    assert.deepEqual(ts, [...ts].sort((a, b) => a - b), 'oldest first');
    const newest = failures(runs, 'newest');
    assert.deepEqual(new Set(newest), new Set(all), 'the same failures');
    const starts = newest.map((f) => f.run.started as number);
    assert.deepEqual(starts, [...starts].sort((a, b) => b - a), 'newest run first');
    assert.deepEqual(failures([v1('b7d2')], 'newest').map((f) => f.flow?.id), ['f-0008', 'f-0007'], 'newest failure first within a run');
    assert.deepEqual(failures([v1('b7d2')], 'oldest').map((f) => f.flow?.id), ['f-0007', 'f-0008']);
    assert.deepEqual(failures([v1('a1c3'), v1('e2a6')]), [], 'an orphan is not a failure');
    assert.deepEqual(orderFailures(runs.map(runFailures), 'newest'), newest);
  });

  it('lists the same failures for file-backed runs (events decoded from the file when read)', async () => {
    const filed = new TraceWorkspace(DEMO, { index: { minBytes: 0, workers: 0 }, final: true });
    await filed.load({ final: true });
    assert.ok(filed.runs().some((r) => isFileBacked(r)), 'the demo was indexed');
    const key = (f: Failure) => `${f.run.id}|${f.flow?.id}|${f.event.type}|${f.event.ts}|${f.event.src?.line}|${f.event.reason ?? f.event.exception?.type}`;
    for (const order of ['oldest', 'newest'] as const) assert.deepEqual(failures(filed.runs(), order).map(key), failures(runs, order).map(key), order);
  });

  it('lists an indexed run\'s failures from its columns: the same flows as their objects say, and no flow object made', async () => {
    const filed = new TraceWorkspace(DEMO, { index: { minBytes: 0, workers: 0 }, final: true });
    await filed.load({ final: true });
    // The v1 runs: a 0.1 run's flows are made at load when their names are recovered from its
    // summary.md (read/workspace/flowNames.ts reads each flow's steps).
    const indexed = filed.runs().filter((r) => isFileBacked(r) && r.dialect === 'flowscribe-v1');
    assert.equal(indexed.length, 6, 'the demo\'s v1 runs were indexed');
    assert.ok(indexed.every((r) => !filed.flowsMade(r.id)), 'a load leaves indexed runs\' flows in columns (options.ts makeFlows)');
    const listed = failures(indexed, 'oldest');
    for (const r of indexed) {
      const plain = runs.find((x) => x.id === r.id) as Run;
      assert.deepEqual(runVerdictCounts(r), runVerdictCounts(plain), `${r.id}: verdict counts`);
      assert.equal(runStatus(r), runStatus(plain), `${r.id}: status`);
    }
    assert.ok(listed.filter((f) => f.flow).length >= 6, 'failing flows listed');
    assert.ok(indexed.every((r) => !filed.flowsMade(r.id)), 'failures, verdict counts and status make no flow object');
    const fields = (f: { id: string; runId: string; name?: string; displayName: string; verdict: Verdict; started?: number; ended?: number; durationMs?: number }) =>
      [f.id, f.runId, f.name, f.displayName, f.verdict, f.started, f.ended, f.durationMs];
    for (const f of listed) {
      if (!f.flow) continue;
      const obj = f.run.flows.get(f.flow.id);
      assert.ok(obj, `${f.flow.id}: its object`);
      assert.deepEqual(fields(f.flow), fields(obj), `${f.run.id}/${f.flow.id}: what the columns said is what the object says`);
      assert.deepEqual(f.event, obj.verdictEvent, `${f.flow.id}: the verdict event`);
    }
    assert.ok(indexed.some((r) => filed.flowsMade(r.id)), 'reading run.flows made them');
  });

  it('makes an indexed run\'s flows in slices on request (TraceWorkspace.makeFlows): the same tree as a read on first use', async () => {
    const open = async () => {
      const w = new TraceWorkspace(DEMO, { index: { minBytes: 0, workers: 0 }, final: true });
      await w.load({ final: true });
      return w;
    };
    const sliced = await open();
    const onRead = await open();
    const tree = (r: Run): unknown => r.roots.map(function walk(f: FlowNode): unknown {
      return [f.id, f.parentId, f.name, f.verdict, f.durationMs, f.events.length, f.children.map(walk)];
    });
    for (const r of sliced.runs()) {
      if (!isFileBacked(r) || r.dialect !== 'flowscribe-v1') continue;
      assert.equal(sliced.flowsMade(r.id), false, r.id);
      await sliced.makeFlows(r.id);
      assert.equal(sliced.flowsMade(r.id), true, `${r.id}: made`);
      const other = onRead.getRun(r.id) as Run;
      assert.deepEqual(tree(r), tree(other), `${r.id}: sliced = made on first read`);
      assert.ok(r.flows.size > 0 && r.roots.length > 0, `${r.id}: has flows`);
    }
  });

  it('counts verdicts as the rollups do', () => {
    assert.deepEqual(runVerdictCounts(v1('b7d2')), { total: 8, succeeded: 6, failed: 1, exceptions: 1, orphaned: 0, running: 0 });
    assert.deepEqual(runVerdictCounts(v1('e2a6')), { total: 13, succeeded: 12, failed: 0, exceptions: 0, orphaned: 1, running: 0 });
    for (const r of runs) {
      const sum = { total: 0, succeeded: 0, failed: 0, exceptions: 0, orphaned: 0, running: 0 };
      for (const f of flowRollups([r])) {
        sum.total += f.instances;
        sum.succeeded += f.succeeded;
        sum.failed += f.failed;
        sum.exceptions += f.exceptions;
        sum.orphaned += f.orphaned;
        sum.running += f.running;
      }
      assert.deepEqual(runVerdictCounts(r), sum, r.id);
    }
  });

  it('gives one status: a v1 run whose session_end says ok over a failed flow is failed (issue 16)', () => {
    const c4e8 = v1('c4e8');
    assert.equal(c4e8.status, 'ok', 'what the producer wrote');
    assert.equal(runStatus(c4e8), 'failed');
    assert.equal(runStatus(old('c4e8')), 'failed');
    assert.equal(runStatus(v1('a1c3')), 'ok');
    assert.equal(runStatus(v1('e2a6')), 'crashed');
    assert.equal(runStatus(v1('b7d2')), 'failed');
  });
});

describe('queries on hand-made runs', () => {
  it('picks the newest run by start, runs without a start last', () => {
    const rs = [run('u', undefined), run('a', 1), run('b', 3), run('c', 3)];
    assert.deepEqual(runsNewestFirst(rs).map((r) => r.id), ['c', 'b', 'a', 'u']);
    assert.equal(latestRun(rs)?.id, 'c');
    assert.equal(latestRun(rs, 'a')?.id, 'a');
    assert.equal(latestRun(rs, 'gone')?.id, 'c');
    assert.equal(latestRun([]), undefined);
    assert.match(selectRuns([], 'latest').miss ?? '', /no runs/);
    assert.deepEqual(selectRuns([], 'all'), { runs: [] });
  });

  it('a retried flow that failed, then succeeded, is not a failure; a failure outside any flow is', () => {
    const retried = flow('r', 'f-1', 'succeeded', 20);
    const attempt = ev('failure', { runId: 'r', flowId: 'f-1', ts: 10, reason: 'first attempt' });
    (retried as unknown as { events: TraceEvent[] }).events = [attempt, ...retried.events];
    const loose = ev('exception', { runId: 'r', ts: 15, reason: 'outside' });
    const failed = flow('r', 'f-2', 'failed', 30);
    const r = run('r', 1, [retried, failed]);
    r.events = [attempt, loose, ...retried.events.slice(1), ...failed.events] as unknown as Run['events'];
    assert.deepEqual(runFailures(r).map((f) => f.event.reason), ['r/f-2', 'outside']);
    assert.deepEqual(failures([r], 'oldest').map((f) => f.event.reason), ['outside', 'r/f-2']);
    assert.equal(failures([r])[0].flow, undefined);
    assert.equal(runVerdictCounts(r).failed, 1);
  });

  it('orders untimed failures last, ties in input order', () => {
    const a = run('a', 1, [], { events: [ev('failure', { reason: 'a-untimed' }), ev('failure', { reason: 'a-30', ts: 30 }), ev('checkpoint', { ts: 1 }), ev('exception', { reason: 'a-10', ts: 10 })] });
    const b = run('b', 2, [], { events: [ev('failure', { reason: 'b-30', ts: 30 }), ev('success', { ts: 5 }), ev('exception', { reason: 'b-untimed' })] });
    assert.deepEqual(failures([a, b], 'oldest').map((x) => `${x.run.id}:${x.event.reason}`), ['a:a-10', 'a:a-30', 'b:b-30', 'a:a-untimed', 'b:b-untimed']);
    assert.deepEqual(failures([b, a], 'oldest').map((x) => x.event.reason), ['a-10', 'b-30', 'a-30', 'b-untimed', 'a-untimed']);
    assert.deepEqual(failures([a, b], 'newest').map((x) => x.event.reason), ['b-30', 'b-untimed', 'a-30', 'a-10', 'a-untimed']);
    assert.deepEqual(failures([]), []);
  });

  it('a run that keeps counts is not walked when its failing flows account for every failure event', () => {
    const f = flow('k', 'f-1', 'failed', 5);
    const r = run('k', 1, [f], { counts: { total: 1, byType: { failure: 1 }, bySeverity: {}, byFailureClass: {}, byDomain: {} } as unknown as Run['counts'] });
    Object.defineProperty(r, 'events', { get: () => assert.fail('run.events read') });
    assert.equal(runFailures(r).length, 1);
  });

  it('status: running and crashed as settled, failed when told or when a flow failed or raised', () => {
    assert.equal(runStatus(run('a', 1, [flow('a', 'f', 'failed')], { status: 'running' })), 'running');
    assert.equal(runStatus(run('a', 1, [flow('a', 'f', 'exception')], { status: 'crashed' })), 'crashed');
    assert.equal(runStatus(run('a', 1, [flow('a', 'f', 'exception')])), 'failed');
    assert.equal(runStatus(run('a', 1, [flow('a', 'f', 'orphaned')])), 'ok');
    assert.equal(runStatus(run('a', 1, [], { status: 'failed' })), 'failed', 'an esper run failed by its error events');
  });
});
