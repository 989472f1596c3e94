// The cold index keeps a run's flows in columns while it merges (issue 15 round 2, "the merge":
// build.ts ColdFlows, made into flow objects on first use; correlations kept as JSON text until
// read). A run made from the index's storage while flows are not tracked takes that way; the same
// events through the plain builder must give the same model — every flow field, the tree, the
// roots, verdicts after finish(), a tail after the load (flows tracked again), summarising — also
// for the shapes the columns hand over to the flow objects mid-run (a child before its parent, a
// parent given after a flow's first event) and for correlations that meet in one flow.
import { strict as assert } from 'node:assert';
import { DEFAULT_LIVE_WINDOW_MS, FlowIds, RunBuilder, type EventFields } from '../../../src/core/model/build';
import { MemoryEvents } from '../../../src/core/model/storage';
import type { TraceEvent } from '../../../src/core/model/types';
import { plainRun } from '../../support/plainModel';
import { prng } from '../reliability/helpers';

const T0 = Date.UTC(2026, 11, 7, 0, 0, 0);

/** Random events of two runs: flows from a small pool, parents of every kind, correlations that meet. */
function randomTrace(seed: number, n: number, pending: boolean, flows = 40): TraceEvent[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const ids = Array.from({ length: flows }, (_, i) => `f-${i}`);
  const types = ['flow_start', 'checkpoint', 'metric', 'success', 'failure', 'exception', 'decision'];
  const corrs: (Record<string, unknown> | undefined)[] = [undefined, undefined, { ticker: 'A' }, { ticker: 'B', req: 1 }, { req: 2 }, {}, { ['__proto__']: 'x', a: 1 }];
  const out: TraceEvent[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const runId = r() < 0.8 ? 'r1' : 'r2';
    const flowId = pick(ids);
    const key = `${runId}/${flowId}`;
    const first = !seen.has(key);
    seen.add(key);
    let parentFlowId: string | undefined;
    const p = r();
    if (p < 0.5) {
      // A parent already made (usually), or — with `pending` — any id (one that comes later).
      const made = (flows > 100 ? ids.slice(Math.max(0, Number(flowId.slice(2)) - 50), Number(flowId.slice(2))) : ids).filter((id) => seen.has(`${runId}/${id}`) && id !== flowId);
      parentFlowId = pending || made.length === 0 ? (pending ? pick(ids) : undefined) : pick(made);
    } else if (p < 0.53) parentFlowId = flowId;
    // A parent given after a flow's first event only with `pending` (the columns hand over then).
    if (!first && !pending) parentFlowId = undefined;
    const type = first && r() < 0.7 ? 'flow_start' : pick(types);
    const at = r() < 0.1 ? undefined : T0 + i * 3 + (r() < 0.3 ? 0 : 1);
    const corr = pick(corrs);
    out.push({
      dialect: 'flowscribe-v1', type, ts: at, runId, flowId, flow: r() < 0.2 ? undefined : `name/${flowId.slice(2)}`, parentFlowId,
      tags: r() < 0.5 ? [] : [pick(['a', 'b', 'c'])], correlation: corr && { ...corr }, severity: r() < 0.1 ? 'error' : undefined,
      failureClass: type === 'failure' ? 'Data.Missing' : undefined, durationMs: type === 'success' && r() < 0.5 ? Math.floor(r() * 100) : undefined,
      extra: {}, src: { file: '/ws/t.jsonl', line: i + 1 },
    });
    if (i === Math.floor(n * 0.7) && r() < 0.5) out.push({ dialect: 'flowscribe-v1', type: 'session_end', ts: T0 + i * 3, runId: 'r2', status: 'ok', tags: [], extra: {}, src: { file: '/ws/t.jsonl', line: i + 1 } });
  }
  return out;
}

/** The fields the index gives the builder for an event (correlation as its JSON text). */
function indexedFields(e: TraceEvent): EventFields {
  const { correlation, ...rest } = e;
  return correlation === undefined ? rest : { ...rest, correlationText: JSON.stringify(correlation) };
}

const digest = (b: RunBuilder): unknown => b.runs().map(plainRun);

/** The same events through the plain builder and through the cold path (flows in columns). */
function both(events: TraceEvent[], textCorrelations: boolean): { plain: RunBuilder; cold: RunBuilder; storage: MemoryEvents } {
  const plain = new RunBuilder();
  const cold = new RunBuilder();
  cold.trackFlows = false;
  const storage = new MemoryEvents();
  for (const e of events) {
    plain.add(e);
    if (textCorrelations) cold.addIndexed(indexedFields(e), storage.keep(e), storage, e.runId ?? '(no run id)', e.src.file);
    else cold.add(e, undefined, undefined, storage);
  }
  return { plain, cold, storage };
}

describe('merge: flows in columns during the cold index give the plain model', () => {
  for (const pending of [false, true]) {
    for (const text of [false, true]) {
      it(`random traces (${pending ? 'children before parents, parents given late' : 'parents first'}; correlations as ${text ? 'JSON text' : 'objects'})`, () => {
        for (let seed = 1; seed <= 30; seed++) {
          const events = randomTrace(seed * 7919 + (pending ? 1 : 0), 300, pending);
          const { plain, cold, storage } = both(events, text);
          // finish() before any flow is read: the open flows' verdicts are set in the columns.
          const over = { now: T0 + DEFAULT_LIVE_WINDOW_MS * 10, mtimeOf: () => T0 };
          plain.finish(over);
          cold.finish(over);
          assert.deepEqual(digest(cold), digest(plain), `seed ${seed}`);
          // A tail after the load: flows tracked again, the same changes reported.
          plain.takeChanges();
          cold.takeChanges();
          cold.trackFlows = true;
          const tail = randomTrace(seed + 1000, 60, pending).map((e, i) => ({ ...e, src: { ...e.src, line: 10_000 + i } }));
          for (const e of tail) {
            plain.add(e);
            cold.add(e, undefined, undefined, storage);
          }
          const live = { now: T0 + 1, mtimeOf: () => T0 + 1 };
          plain.finish(live);
          cold.finish(live);
          const pc = plain.takeChanges();
          const cc = cold.takeChanges();
          assert.deepEqual([...cc.flows].sort(), [...pc.flows].sort(), `seed ${seed}: changed flows`);
          assert.deepEqual([...cc.runs].sort(), [...pc.runs].sort(), `seed ${seed}: changed runs`);
          assert.deepEqual(digest(cold), digest(plain), `seed ${seed}: after the tail`);
        }
      });
    }
  }

  it('a run still in columns answers size and has without its flows; a later finish while flows are tracked reports the open flows it settles', () => {
    const events = randomTrace(42, 200, false);
    const { plain, cold } = both(events, true);
    const live = { now: T0 + 600, mtimeOf: () => T0 + 600 };
    plain.finish(live);
    cold.finish(live);
    const run = cold.getRun('r1');
    const ref = plain.getRun('r1');
    assert.ok(run && ref);
    assert.equal(run.flows.size, ref.flows.size);
    for (const id of ref.flows.keys()) assert.ok(run.flows.has(id), id);
    assert.equal(run.flows.has('nope'), false);
    // The run is over now: open flows become orphaned and are reported, flows made or not.
    plain.takeChanges();
    cold.takeChanges();
    cold.trackFlows = true;
    const over = { now: T0 + DEFAULT_LIVE_WINDOW_MS * 10, mtimeOf: () => T0 };
    plain.finish(over);
    cold.finish(over);
    const pc = plain.takeChanges();
    const cc = cold.takeChanges();
    assert.ok(pc.flows.size > 0);
    assert.deepEqual([...cc.flows].sort(), [...pc.flows].sort());
    assert.deepEqual(digest(cold), digest(plain));
    assert.equal(run.flows.get(ref.roots[0].id), run.roots[0]);
  });

  it('summarising a run still in columns, and a map of its flows used as a plain Map afterwards', () => {
    const events = randomTrace(7, 400, false);
    const { plain, cold } = both(events, true);
    assert.equal(cold.flowsInColumns('r1'), true);
    for (const b of [plain, cold]) b.summarise('r1');
    // Summarised in columns: no flow object made for it (a big trace's cap summarises many runs).
    assert.equal(cold.flowsInColumns('r1'), true, 'summarising made the flow objects');
    assert.deepEqual(digest(cold), digest(plain));
    const flows = cold.getRun('r1')?.flows;
    const ref = plain.getRun('r1')?.flows;
    assert.ok(flows && ref);
    assert.deepEqual([...flows.keys()], [...ref.keys()]);
    assert.deepEqual([...flows.entries()].map(([k, f]) => [k, f.id]), [...ref.entries()].map(([k, f]) => [k, f.id]));
    const seen: string[] = [];
    flows.forEach((f, k) => seen.push(`${k}=${f.id}`));
    assert.deepEqual(seen, [...ref].map(([k, f]) => `${k}=${f.id}`));
    const first = [...ref.keys()][0];
    assert.equal(flows.delete(first), true);
    assert.equal(flows.has(first), false);
    assert.equal(flows.size, ref.size - 1);
    assert.deepEqual([...flows.keys()], [...ref.keys()].slice(1));
  });

  it('summarising a run whose flow objects are part made (makeFlows stopped mid-way): made and unmade flows let go alike', () => {
    const events = randomTrace(11, 12_000, false, 6000);
    const { plain, cold } = both(events, true);
    // A deadline already past: one slice of objects, then it stops.
    assert.equal(cold.makeFlows('r1', performance.now() - 1), false, 'part made');
    assert.equal(cold.flowsInColumns('r1'), true);
    for (const b of [plain, cold]) b.summarise('r1');
    assert.deepEqual(digest(cold), digest(plain));
  });

  it('flows made in slices after the load (makeFlows), with events, verdicts and new children arriving between slices and a first use mid-way', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const events = randomTrace(seed * 31, 12_000, false, 6000);
      const parts = [events.slice(0, 5000), events.slice(5000, 9000), events.slice(9000)];
      const plain = new RunBuilder();
      const cold = new RunBuilder();
      cold.trackFlows = false;
      const storage = new MemoryEvents();
      const feed = (list: TraceEvent[]): void => {
        for (const e of list) {
          plain.add(e);
          cold.addIndexed(indexedFields(e), storage.keep(e), storage, e.runId ?? '(no run id)', e.src.file);
        }
      };
      const past = (): number => performance.now() - 1; // one slice of ~1k flows per call
      feed(parts[0]);
      assert.equal(cold.makeFlows('r1', past()), false, `seed ${seed}: more than one slice`);
      // Slices until every object is made and the children are being set (~1k flows a slice).
      const slices = Math.ceil((cold.getRun('r1')?.flows.size ?? 0) / 1023);
      for (let i = 1; i < slices; i++) assert.equal(cold.makeFlows('r1', past()), false, `seed ${seed}: slice ${i}`);
      feed(parts[1]); // new children of flows whose children are set already
      assert.equal(cold.makeFlows('r1', past()), false);
      const over = { now: T0 + DEFAULT_LIVE_WINDOW_MS * 10, mtimeOf: () => T0 };
      plain.finish(over);
      cold.finish(over); // verdicts of open flows set while some objects are made
      feed(parts[2]);
      let calls = 0;
      while (!cold.makeFlows('r1', past())) calls++;
      assert.ok(calls > 2, `seed ${seed}: ${calls} slices`);
      // r2 is made on first use, mid-way through its slices.
      cold.makeFlows('r2', past());
      assert.equal(cold.makeFlows('nope', past()), true);
      assert.deepEqual(digest(cold), digest(plain), `seed ${seed}`);
    }
  });

  it('the id table: ids crafted to share one probe sequence make it give way to a Map, and every id is still found', () => {
    const seed = 12345;
    // 200 ids whose hash lands in slot 7 of a 1024-slot table (found by trying; the seed is known here only).
    const crowd: string[] = [];
    for (let i = 0; crowd.length < 200; i++) if ((FlowIds.hashOf(seed, `id-${i}`) & 1023) === 7) crowd.push(`id-${i}`);
    const t = new FlowIds(0, seed);
    for (const id of crowd.slice(0, 60)) assert.equal(t.add(id), crowd.indexOf(id));
    assert.equal(t.crowded, false);
    for (const id of crowd.slice(60)) {
      assert.equal(t.find(id), -1);
      t.add(id);
    }
    assert.equal(t.crowded, true);
    assert.equal(t.size, 200);
    crowd.forEach((id, o) => assert.equal(t.find(id), o));
    assert.equal(t.find('id-x'), -1);
    // A table that grows (no crowding) keeps every ordinal.
    const g = new FlowIds();
    for (let i = 0; i < 5000; i++) assert.equal(g.add(`g${i}`), i);
    for (let i = 0; i < 5000; i++) assert.equal(g.find(`g${i}`), i);
    assert.equal(g.crowded, false);
  });

  it('the id table while it grows: entries move a few per add, and every id is found at every step, none taken for another', () => {
    const t = new FlowIds(0, 777);
    const rnd = prng(99);
    let sawGrowing = 0;
    for (let i = 0; i < 50_000; i++) {
      assert.equal(t.find(`n${i}`), -1, `n${i} before its add`);
      assert.equal(t.add(`n${i}`), i);
      if (t.growing) sawGrowing++;
      // Any earlier id, the one just added, and one never added.
      const j = Math.floor(rnd() * (i + 1));
      assert.equal(t.find(`n${j}`), j);
      assert.equal(t.find(`n${i}`), i);
      assert.equal(t.find(`m${i}`), -1);
    }
    // It grew while being looked up (1024 slots → 131072), and finished each move; settle() ends one under way.
    assert.ok(sawGrowing > 1000, `adds while growing: ${sawGrowing}`);
    assert.equal(t.growing, false);
    assert.equal(t.crowded, false);
    for (let i = 0; i < 50_000; i++) assert.equal(t.find(`n${i}`), i);
    let n = 50_000;
    while (!t.growing) t.add(`n${n++}`);
    t.settle();
    assert.equal(t.growing, false);
    for (let i = 0; i < n; i++) assert.equal(t.find(`n${i}`), i);
  });

  it('many flows with ids built to look alike: every one found, none taken for another', () => {
    const b = new RunBuilder();
    b.trackFlows = false;
    const storage = new MemoryEvents();
    const ids: string[] = [];
    for (let i = 0; i < 20_000; i++) ids.push(i % 3 === 0 ? `f-${i}` : i % 3 === 1 ? `${'x'.repeat(i % 50)}${i}` : `é-${i}-\u{1F600}`);
    let line = 0;
    for (const id of ids) {
      const e: TraceEvent = { dialect: 'flowscribe-v1', type: 'flow_start', ts: T0, runId: 'r', flowId: id, tags: [], extra: {}, src: { file: '/f', line: ++line } };
      b.add(e, undefined, undefined, storage);
      b.add({ ...e, type: 'success', src: { file: '/f', line: ++line } }, undefined, undefined, storage);
    }
    const run = b.getRun('r');
    assert.ok(run);
    assert.equal(run.flows.size, ids.length);
    for (const id of ids) {
      const f = run.flows.get(id);
      assert.equal(f?.id, id);
      assert.equal(f?.events.length, 2);
      assert.equal(f?.verdict, 'succeeded');
    }
    assert.equal(run.flows.get('f-x'), undefined);
  });
  it('chains and flow times filled as they are reached: reserved room reads as unset, far writes land, snapshots and restores keep -1/NaN', () => {
    const s = new MemoryEvents();
    s.reserveFlowSlots(100_000);
    const slots: number[] = [];
    for (let i = 0; i < 60_000; i++) slots.push(s.newFlowSlot());
    // Far past the filled part: unset reads as unset, set reads back, the gap before it stays unset.
    assert.equal(s.time(59_999, 1), undefined);
    assert.equal(s.hasTime(59_999, 2), false);
    s.setTime(59_999, 2, 0);
    assert.equal(s.time(59_999, 2), 0, 'a duration of 0 is a time');
    assert.equal(s.hasTime(59_999, 2), true);
    assert.equal(s.time(59_998, 2), undefined);
    s.setTime(30_000, 0, 1_700_000_000_000.5);
    s.setTime(40_000, 1, undefined);
    assert.equal(s.time(30_000, 0), 1_700_000_000_000.5);
    assert.equal(s.time(40_000, 1), undefined);
    // Chains: a link far past what was filled; records between read as chain ends.
    s.link(70_000, 70_001);
    assert.equal(s.next(70_000), 70_001);
    assert.equal(s.next(69_999), -1);
    assert.equal(s.next(10), -1);
    assert.equal(s.next(1 << 30), -1);
    const snap = s.chainSnapshot(80_000);
    assert.equal(snap.flowSlots, 60_000);
    assert.equal(snap.nexts[70_000], 70_001);
    assert.equal(snap.nexts[69_999], -1);
    assert.equal(snap.nexts[79_999], -1);
    assert.ok(Number.isNaN(snap.times[59_998 * 3 + 2]) && Number.isNaN(snap.times[3]), 'unset times are NaN in the snapshot');
    assert.equal(snap.times[59_999 * 3 + 2], 0);
    assert.equal(snap.times[30_000 * 3], 1_700_000_000_000.5);
    // What a restored storage reads: the same answers.
    class Restored extends MemoryEvents {
      constructor() {
        super();
        this.restoreChains(snap);
      }
    }
    const r = new Restored();
    assert.equal(r.flowSlotCount, 60_000);
    assert.equal(r.time(59_999, 2), 0);
    assert.equal(r.time(59_998, 2), undefined);
    assert.equal(r.next(70_000), 70_001);
    assert.equal(r.next(69_999), -1);
    assert.equal(r.newFlowSlot(), 60_000, 'new slots after the restored ones');
    assert.equal(r.time(60_000, 0), undefined);
  });
});
