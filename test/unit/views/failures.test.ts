// The Failures view's provider under the bench's `vscode` stub: the listing (groups, folds, order,
// which groups start expanded, paging) must be what one sort + fold of every failure gives, and
// per-run caches must follow change events.
import '../../support/vscodeStub';
import { strict as assert } from 'node:assert';
import type { FlowNode, Run, TraceEvent } from '../../../src/core/model/types';
import { PAGE_SIZE } from '../../../src/host/constants';
import { failureSummary } from '../../../src/host/format';
import {
  collectFailures,
  FailuresProvider,
  groupFailures,
  type FailureNode,
  type GroupBy,
  type Occurrence,
} from '../../../src/host/failures/failuresView';
import type { FlowlensChange, TraceServices } from '../../../src/host/services';

// ---- a reference: the listing as one stable sort of every failure, then one fold of them all ----

function refCollect(refs: { folderKey: string; run: Run }[]): Occurrence[] {
  const out: Occurrence[] = [];
  for (const { folderKey, run } of refs)
    for (const f of run.flows.values()) {
      if ((f.verdict !== 'failed' && f.verdict !== 'exception') || !f.verdictEvent) continue;
      out.push({ folderKey, runId: run.id, runStarted: run.started, flowId: f.id, flowName: f.displayName, event: f.verdictEvent });
    }
  return out.sort((a, b) => (b.runStarted ?? 0) - (a.runStarted ?? 0) || (b.event.ts ?? 0) - (a.event.ts ?? 0));
}

function refGroups(occs: Occurrence[], by: GroupBy, place: (o: Occurrence) => string): Map<string, { key: string; summary: string; occurrences: Occurrence[] }[]> {
  const groups = new Map<string, Map<string, { key: string; summary: string; occurrences: Occurrence[] }>>();
  for (const o of occs) {
    const e = o.event;
    const cls = e.failureClass ?? (e.type === 'exception' ? e.exception?.type ?? 'exception' : 'UNCLASSIFIED');
    const g = by === 'flow' ? o.flowName : cls;
    const summary = failureSummary(e);
    const key = `${o.flowName}\u0000${summary}\u0000${place(o)}:${e.line ?? ''}`;
    let folds = groups.get(g);
    if (!folds) groups.set(g, (folds = new Map()));
    let fold = folds.get(key);
    if (!fold) folds.set(key, (fold = { key, summary, occurrences: [] }));
    fold.occurrences.push(o);
  }
  return new Map([...groups].map(([g, f]) => [g, [...f.values()]]));
}

// ---- fixtures ----------------------------------------------------------------------------------

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRun(id: string, started: number | undefined, flows: number, r: () => number): Run {
  const run = { id, dialect: 'flowscribe-v1', sources: [], primarySource: '', tags: [], started, status: 'failed', flows: new Map(), roots: [], malformed: [], notes: [], events: [] } as unknown as Run;
  const classes = ['DATA.EMPTY', 'EXTERNAL.TIMEOUT', undefined];
  for (let i = 0; i < flows; i++) {
    const kind = r();
    const verdict = kind < 0.45 ? 'failed' : kind < 0.7 ? 'exception' : kind < 0.9 ? 'succeeded' : 'running';
    const name = `data/fetch/t${Math.floor(r() * 4)}`;
    // Few distinct times (ties), some untimed; a few reasons, files and lines, so folds repeat.
    const ts = r() < 0.1 ? undefined : 1_000 + Math.floor(r() * 20) * 10;
    const exc = verdict === 'exception' && r() < 0.8 ? { type: r() < 0.5 ? 'KeyError' : 'ValueError', message: `'k${Math.floor(r() * 3)}'`, stack: r() < 0.5 ? [{ file: 'a.py', line: 3, function: 'f' }] : [] } : undefined;
    const event = {
      dialect: 'flowscribe-v1', type: verdict === 'exception' ? 'exception' : verdict === 'failed' ? 'failure' : 'success', runId: id, ts, tags: [], extra: {},
      failureClass: classes[Math.floor(r() * 3)], reason: `reason ${Math.floor(r() * 3)}`, exception: exc,
      file: r() < 0.8 ? `trader/m${Math.floor(r() * 2)}.py` : undefined, line: 10 + Math.floor(r() * 2),
      evidence: { i }, correlation: { ticker: `T${i}` },
    } as unknown as TraceEvent;
    const flow = { id: `${id}-f${i}`, displayName: name, runId: id, children: [], events: [event], steps: [], verdict, verdictEvent: verdict === 'running' || r() < 0.05 ? undefined : event, correlation: {}, tags: [] } as unknown as FlowNode;
    run.flows.set(flow.id, flow);
  }
  return run;
}

function services(refs: { folderKey: string; run: Run }[]): TraceServices & { fire(c: FlowlensChange): void; refs: { folderKey: string; run: Run }[] } {
  const listeners: ((c: FlowlensChange) => void)[] = [];
  const s = {
    refs,
    allRuns: () => s.refs.slice(),
    workspaces: new Map(),
    onDidChange: (l: (c: FlowlensChange) => void) => {
      listeners.push(l);
      return { dispose: () => undefined };
    },
    fire: (c: FlowlensChange) => { for (const l of listeners) l(c); },
    resolveFile: (_k: string, f: string) => (f.endsWith('m1.py') ? { uri: { toString: () => 'file:///ws/trader/m1.py' } } : { uri: undefined }),
  };
  return s as unknown as TraceServices & { fire(c: FlowlensChange): void; refs: { folderKey: string; run: Run }[] };
}

const placeOf = (svc: TraceServices) => (o: Occurrence): string => {
  const f = o.event.file;
  return f ? svc.resolveFile(o.folderKey, f).uri?.toString() ?? f : '';
};

/** The whole tree as plain data: every node's id, kind and tree item (the groups' folds paged). */
function dump(fp: FailuresProvider): unknown[] {
  const out: unknown[] = [];
  const walk = (node: FailureNode | undefined, depth: number): void => {
    for (const c of fp.getChildren(node)) {
      const item = fp.getTreeItem(c) as unknown as Record<string, unknown>;
      out.push({ depth, id: c.id, kind: c.kind, label: item.label, description: item.description, state: item.collapsibleState, tooltip: (item.tooltip as { value?: string } | undefined)?.value, command: JSON.stringify(item.command), icon: JSON.stringify(item.iconPath) });
      if (c.kind !== 'frame' && c.kind !== 'occurrence') walk(c, depth + 1);
    }
  };
  walk(undefined, 0);
  return out;
}

describe('Failures view', () => {
  const r = rng(7);
  const refs = [
    { folderKey: 'a', run: makeRun('r1', 5_000, 300, r) },
    { folderKey: 'a', run: makeRun('r2', 9_000, 200, r) },
    { folderKey: 'a', run: makeRun('r3', 5_000, 250, r) }, // same start as r1: interleaves by time
    { folderKey: 'b', run: makeRun('r4', undefined, 120, r) },
    { folderKey: 'b', run: makeRun('r5', 5_000, 0, r) },
    { folderKey: 'b', run: makeRun('r2', 9_000, 40, r) }, // same id in another folder
  ];

  it('collects failures in the order of one stable sort by run start, then time', () => {
    const svc = services(refs);
    const got = collectFailures(svc);
    const want = refCollect(refs);
    assert.equal(got.length, want.length);
    got.forEach((o, i) => assert.deepEqual(o, want[i], `#${i}`));
  });

  for (const by of ['flow', 'class'] as GroupBy[]) {
    it(`groups and folds as one fold of every failure (by ${by})`, () => {
      const svc = services(refs);
      const want = refGroups(refCollect(refs), by, placeOf(svc));
      const got = groupFailures(collectFailures(svc), by, placeOf(svc));
      assert.deepEqual([...got.keys()], [...want.keys()]);
      for (const [g, folds] of want) assert.deepEqual(got.get(g), folds, g);

      const fp = new FailuresProvider(svc);
      fp.setGroupBy(by);
      const groups = fp.getChildren(undefined);
      assert.deepEqual(groups.map(n => n.id), [...want.keys()].map(g => `g:${by}:${g}`));
      let rows = 0;
      for (const n of groups) {
        assert.equal(n.kind, 'group');
        if (n.kind !== 'group') continue;
        const folds = want.get(n.label) ?? [];
        assert.equal(n.expanded, rows < PAGE_SIZE, n.label);
        if (n.expanded) rows += Math.min(folds.length, PAGE_SIZE);
        const item = fp.getTreeItem(n);
        const occ = folds.reduce((s, f) => s + f.occurrences.length, 0);
        const runs = new Set(folds.flatMap(f => f.occurrences.map(o => o.runId))).size;
        assert.equal(item.description, `${occ} failure${occ === 1 ? '' : 's'} · ${runs} run${runs === 1 ? '' : 's'}`);
        assert.deepEqual(n.folds, folds, n.label);
        const kids = fp.getChildren(n);
        assert.deepEqual(kids.filter(k => k.kind === 'fold').map(k => k.kind === 'fold' && k.fold.key), folds.slice(0, PAGE_SIZE).map(f => f.key));
      }
      fp.dispose();
    });
  }

  it('pages a group of more than a page of folds behind "N more failures…"', () => {
    const big = makeRun('big', 1, 0, r);
    for (let i = 0; i < PAGE_SIZE * 2 + 5; i++) {
      const event = { dialect: 'flowscribe-v1', type: 'failure', runId: 'big', ts: i, tags: [], extra: {}, failureClass: 'DATA.EMPTY', reason: `empty ${i}`, file: 'x.py', line: 1 } as unknown as TraceEvent;
      big.flows.set(`f${i}`, { id: `f${i}`, displayName: 'one/flow', runId: 'big', children: [], events: [event], steps: [], verdict: 'failed', verdictEvent: event, correlation: {}, tags: [] } as unknown as FlowNode);
    }
    const fp = new FailuresProvider(services([{ folderKey: 'a', run: big }]));
    const [g] = fp.getChildren(undefined);
    const page1 = fp.getChildren(g);
    assert.equal(page1.length, PAGE_SIZE + 1);
    const more = page1[PAGE_SIZE];
    assert.equal(more.kind, 'more');
    assert.equal(fp.getTreeItem(more).label, `${PAGE_SIZE + 5} more failures…`);
    const page2 = fp.getChildren(more);
    assert.equal(fp.getTreeItem(page2[PAGE_SIZE]).label, '5 more failures…');
    assert.equal(fp.getTreeItem(page1[0]).label, `DATA.EMPTY · empty ${PAGE_SIZE * 2 + 4}`, 'newest first');
  });

  it('the whole tree is the same when listed again and after grouping back and forth', () => {
    const svc = services(refs);
    const fp = new FailuresProvider(svc);
    const first = dump(fp);
    assert.ok(first.length > 100);
    fp.setGroupBy('class');
    const byClass = dump(fp);
    fp.setGroupBy('flow');
    assert.deepEqual(dump(fp), first);
    fp.setGroupBy('class');
    assert.deepEqual(dump(fp), byClass);
    const fresh = new FailuresProvider(svc);
    fresh.setGroupBy('class');
    assert.deepEqual(dump(fresh), byClass);
  });

  it('follows change events: a changed run is read again, others are kept', () => {
    const local = [{ folderKey: 'a', run: makeRun('x1', 1_000, 50, r) }, { folderKey: 'a', run: makeRun('x2', 2_000, 50, r) }];
    const svc = services(local);
    const fp = new FailuresProvider(svc);
    const before = fp.newest();
    assert.equal(before?.runId, 'x2');
    // A new failure in x1 that is newer than anything else there.
    const event = { dialect: 'flowscribe-v1', type: 'failure', runId: 'x1', ts: 99_999, tags: [], extra: {}, reason: 'late' } as unknown as TraceEvent;
    local[0].run.flows.set('late', { id: 'late', displayName: 'late/flow', runId: 'x1', children: [], events: [event], steps: [], verdict: 'failed', verdictEvent: event, correlation: {}, tags: [] } as unknown as FlowNode);
    let fired = 0;
    fp.onDidChangeTreeData(() => fired++);
    svc.fire({ folderKey: 'a', runIds: ['x1'], structural: false });
    assert.equal(fired, 1);
    assert.ok(fp.getChildren(undefined).some(g => g.kind === 'group' && g.label === 'late/flow'));
    assert.deepEqual(collectFailures(svc), refCollect(local));
    // x1 started before x2: x2's newest failure is still the newest.
    assert.equal(fp.newest()?.runId, 'x2');
    // A run removed (structural change) disappears.
    svc.refs = [local[0]];
    svc.fire({ folderKey: 'a', runIds: [], structural: true });
    assert.equal(fp.newest()?.runId, 'x1');
    assert.equal(fp.newest()?.event.reason, 'late');
    // refresh() reads everything again.
    local[0].run.flows.delete('late');
    fp.refresh();
    assert.notEqual(fp.newest()?.event.reason, 'late');
  });
});

describe('failureSummary', () => {
  const ex = (failureClass: string | undefined, type: string, message: string): TraceEvent => ({
    dialect: 'otlp', type: 'exception', tags: [], extra: {}, src: { file: 'x', line: 1 }, failureClass, exception: { type, message, stack: [] },
  } as TraceEvent);
  it('names an exception type once when it is also the class (OTLP)', () => {
    assert.equal(failureSummary(ex('ValueError', 'ValueError', 'row 17: price is negative')), 'ValueError · row 17: price is negative');
    assert.equal(failureSummary(ex(undefined, 'KeyError', "'close'")), "KeyError: 'close'");
    assert.equal(failureSummary(ex('DATA.BAD', 'KeyError', "'close'")), "DATA.BAD · KeyError: 'close'");
  });
});
