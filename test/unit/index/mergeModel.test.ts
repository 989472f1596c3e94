// The index's main-thread merge made cheap (issue 15, "the merge"): the builder's shortcuts
// (open flows as a list walked lazily, parents found via the previous flows, flow chains and
// verdict records in the storage's typed arrays, correlations merged without key arrays, the run's
// newest time in a typed array) give exactly what the plain lookups gave, and the index of the
// bench generator's workspace, then a live tail of it, equals the plain read (model + rollups).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_LIVE_WINDOW_MS, RunBuilder, flowKey } from '../../../src/core/model/build';
import type { TraceEvent } from '../../../src/core/model/types';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { rollupRuns } from '../../../src/core/analyze/rollup';
import { ensureBenchData, liveLines } from '../../../bench/gen';
import { plainRun } from '../../support/plainModel';

const T0 = Date.UTC(2026, 10, 19, 9, 0, 0);
const LATER = Date.UTC(2030, 0, 1);
const WORKER = path.resolve('dist/indexWorker.js');
let line = 0;

function ev(type: string, at: number | undefined, more: Partial<TraceEvent> = {}): TraceEvent {
  line++;
  return { dialect: 'flowscribe-v1', type, ts: at === undefined ? undefined : T0 + at, runId: 'r1', tags: [], extra: {}, src: { file: '/ws/t.jsonl', line }, ...more };
}

describe('merge: the builder\'s shortcuts give what the plain lookups gave', () => {
  it('open flows follow the run until they get a verdict; one that got it since is left alone and not reported', () => {
    const b = new RunBuilder();
    for (const id of ['a', 'b', 'c', 'd']) b.add(ev('flow_start', 0, { flowId: id }));
    const mtime = T0 + 10;
    const live = { now: mtime, mtimeOf: () => mtime };
    const over = { now: mtime + DEFAULT_LIVE_WINDOW_MS + 1, mtimeOf: () => mtime };
    b.finish(live);
    const run = b.getRun('r1');
    const verdicts = (): string[] => ['a', 'b', 'c', 'd'].map((id) => run?.flows.get(id)?.verdict ?? '-');
    assert.deepEqual(verdicts(), ['running', 'running', 'running', 'running']);
    b.add(ev('success', 20, { flowId: 'b' }));
    b.add(ev('failure', 21, { flowId: 'd', failureClass: 'X.Y' }));
    b.takeChanges();
    b.finish(over);
    assert.deepEqual(verdicts(), ['orphaned', 'succeeded', 'orphaned', 'failed']);
    assert.deepEqual([...b.takeChanges().flows].sort(), [flowKey('r1', 'a'), flowKey('r1', 'c')]);
    // A flow that is orphaned and then gets a verdict keeps it; the others follow the run again
    // (`e`, made while the run was over, started orphaned).
    b.add(ev('success', 30, { flowId: 'a' }));
    b.add(ev('checkpoint', 31, { flowId: 'e' }));
    assert.equal(run?.flows.get('e')?.verdict, 'orphaned');
    b.takeChanges();
    b.finish({ now: T0 + 31, mtimeOf: () => T0 + 31 });
    assert.deepEqual([...verdicts(), run?.flows.get('e')?.verdict], ['succeeded', 'succeeded', 'running', 'failed', 'running']);
    assert.deepEqual([...b.takeChanges().flows].sort(), [flowKey('r1', 'c'), flowKey('r1', 'e')]);
    // session_end settles the open ones at once; a retried flow's last verdict wins.
    b.add(ev('failure', 40, { flowId: 'b' }));
    b.add(ev('session_end', 50, { status: 'ok' }));
    assert.deepEqual([...verdicts(), run?.flows.get('e')?.verdict], ['succeeded', 'failed', 'orphaned', 'failed', 'orphaned']);
    assert.equal(run?.flows.get('b')?.verdictEvent?.ts, T0 + 40);
    assert.equal(run?.flows.get('b')?.events.length, 3);
    assert.equal(run?.ended, T0 + 50);
  });

  it('parents: the previous flow, the previous child\'s parent, an older flow, a parent that comes later, one of another run', () => {
    const b = new RunBuilder();
    b.add(ev('flow_start', 0, { flowId: 'root' }));
    b.add(ev('flow_start', 1, { flowId: 'p1', parentFlowId: 'root' })); // the previous flow
    b.add(ev('flow_start', 2, { flowId: 'k1', parentFlowId: 'p1' })); // the previous flow
    b.add(ev('flow_start', 3, { flowId: 'k2', parentFlowId: 'p1' })); // the previous child's parent
    b.add(ev('flow_start', 4, { flowId: 'p2', parentFlowId: 'root' })); // an older flow
    b.add(ev('flow_start', 5, { flowId: 'early', parentFlowId: 'late' })); // before its parent
    b.add(ev('flow_start', 6, { flowId: 'x', parentFlowId: 'root', runId: 'r2' })); // same id, other run
    b.add(ev('flow_start', 7, { flowId: 'root', runId: 'r2' }));
    b.add(ev('flow_start', 8, { flowId: 'late', parentFlowId: 'root' }));
    b.add(ev('flow_start', 9, { flowId: 'self', parentFlowId: 'self' }));
    const r1 = b.getRun('r1');
    const kids = (id: string, run = r1): string[] => (run?.flows.get(id)?.children ?? []).map((f) => f.id);
    assert.deepEqual(kids('root'), ['p1', 'p2', 'late']);
    assert.deepEqual(kids('p1'), ['k1', 'k2']);
    assert.deepEqual(kids('late'), ['early']);
    assert.deepEqual(r1?.roots.map((f) => f.id), ['root', 'self']);
    assert.equal(r1?.flows.get('self')?.parentId, undefined);
    const r2 = b.getRun('r2');
    // r1's `root` (the previous new child's parent) is not r2's: x waits for r2's own.
    assert.deepEqual(kids('root', r2), ['x']);
    assert.deepEqual(r2?.roots.map((f) => f.id), ['root']);
    assert.deepEqual(kids('root'), ['p1', 'p2', 'late'], 'r1\'s root did not get x');
  });

  it('correlations merge in Object.keys order, the first value of a key wins, `__proto__` is a key, objects are shared until a key is new', () => {
    const b = new RunBuilder();
    const first = { b: 1, 2: 'two', a: 1 };
    b.add(ev('flow_start', 0, { flowId: 'f', correlation: first }));
    const flow = b.getRun('r1')?.flows.get('f');
    assert.equal(flow?.correlation, first, 'the first event\'s object');
    b.add(ev('checkpoint', 1, { flowId: 'f', correlation: { a: 9, b: 9 } }));
    assert.equal(flow?.correlation, first, 'no new key: the same object');
    const hostile = JSON.parse('{"__proto__": {"polluted": 1}, "c": 3, "1": "one"}') as Record<string, unknown>;
    b.add(ev('checkpoint', 2, { flowId: 'f', correlation: hostile }));
    assert.notEqual(flow?.correlation, first);
    assert.deepEqual(Object.keys(flow?.correlation ?? {}), ['1', '2', 'b', 'a', '__proto__', 'c']);
    assert.deepEqual(JSON.parse(JSON.stringify(flow?.correlation)), JSON.parse('{"1": "one", "2": "two", "b": 1, "a": 1, "__proto__": {"polluted": 1}, "c": 3}'));
    assert.equal(Object.getPrototypeOf(flow?.correlation), Object.prototype, '`__proto__` was copied as a key, not set as the prototype');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(first, { b: 1, 2: 'two', a: 1 }, 'the shared object is never written to');
    // An empty correlation first: the next one is taken as it is.
    b.add(ev('flow_start', 3, { flowId: 'g', correlation: {} }));
    const second = { k: 'v' };
    b.add(ev('checkpoint', 4, { flowId: 'g', correlation: second }));
    assert.equal(b.getRun('r1')?.flows.get('g')?.correlation, second);
  });

  it('times: a run\'s newest event time, a flow\'s start from its first timed event, a duration only from an earlier time', () => {
    const b = new RunBuilder();
    b.add(ev('flow_start', undefined, { flowId: 'f' }));
    b.add(ev('checkpoint', 50, { flowId: 'f' }));
    b.add(ev('checkpoint', 20, { flowId: 'f' })); // out of order: the newest stays 50
    b.add(ev('success', 50, { flowId: 'f' })); // same instant as the start: no interval measured
    b.add(ev('flow_start', 60, { flowId: 'g' }));
    b.add(ev('failure', 95, { flowId: 'g' }));
    const run = b.getRun('r1');
    const f = run?.flows.get('f');
    const g = run?.flows.get('g');
    assert.deepEqual([f?.started, f?.ended, f?.durationMs], [T0 + 50, T0 + 50, undefined]);
    assert.deepEqual([g?.started, g?.ended, g?.durationMs], [T0 + 60, T0 + 95, 35]);
    assert.equal(b.lastEventTime(run!), T0 + 95);
    const none = new RunBuilder();
    none.add(ev('log', undefined, { runId: 'r0' }));
    assert.equal(none.lastEventTime(none.getRun('r0')!), undefined);
    none.finish({ now: LATER, mtimeOf: () => LATER });
    assert.equal(none.getRun('r0')?.status, 'running', 'no timestamp at all: judged by the mtime alone');
  });

  it('a summarised run lets its flows\' chains go but keeps verdict events; later events start new chains', () => {
    const b = new RunBuilder({ maxEventsPerRun: 100 });
    b.add(ev('flow_start', 0, { flowId: 'f' }));
    b.add(ev('checkpoint', 1, { flowId: 'f' }));
    b.add(ev('success', 2, { flowId: 'f', durationMs: 2 }));
    b.summarise('r1');
    const f = b.getRun('r1')?.flows.get('f');
    assert.equal(f?.events.length, 0);
    assert.equal(f?.verdictEvent?.type, 'success');
    b.add(ev('failure', 3, { flowId: 'f' }));
    assert.deepEqual(f?.events.map((e) => e.type), ['failure']);
    assert.equal(f?.verdict, 'failed');
    assert.equal(f?.verdictEvent?.ts, T0 + 3);
  });
});

describe('merge: the index of the bench generator\'s workspace and its live tail equal the plain read (model + rollups)', function () {
  this.timeout(300000);

  function digest(ws: TraceWorkspace): unknown {
    return { runs: ws.runs().map(plainRun), rollups: ws.runs().map((r) => rollupRuns([r], { catalog: ws.catalog })), malformed: ws.malformed() };
  }

  for (const workers of [0, 1]) {
    it(`${workers ? 'worker' : 'in-thread'} scan, small batches, then appended lines tailed into the indexed runs and flows`, async function () {
      if (workers && !fs.existsSync(WORKER)) assert.fail(`${WORKER} is missing: npm run build`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-merge-'));
      try {
        const { root, file, meta } = ensureBenchData(dir, 12000, 1729);
        const index: WorkspaceOptions['index'] = { minBytes: 0, workers, workerScript: workers ? WORKER : undefined, batchRecords: 700 };
        const ws = new TraceWorkspace(root, { now: () => LATER, index });
        await ws.load();
        const plain = new TraceWorkspace(root, { now: () => LATER, index: false });
        await plain.load();
        assert.equal(ws.runs().length, meta.runs.length);
        assert.deepEqual(digest(ws), digest(plain), 'after the load');
        // The big run goes on: its open flows get events and verdicts, new flows start.
        const big = meta.runs[meta.runs.length - 1].id;
        fs.appendFileSync(file, liveLines(big, 600, 7, Date.UTC(2026, 10, 20, 18)).join(''));
        await ws.refresh();
        const again = new TraceWorkspace(root, { now: () => LATER, index: false });
        await again.load();
        assert.ok((ws.getRun(big)?.events.length ?? 0) > (plain.getRun(big)?.events.length ?? 0));
        assert.deepEqual(digest(ws), digest(again), 'after the tail');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
