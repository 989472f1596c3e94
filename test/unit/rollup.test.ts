import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { loadCatalog } from '../../src/core/read/catalog';
import type { FlowNode, Run, TraceEvent, Verdict } from '../../src/core/model/types';
import {
  countEvents,
  eventCounts,
  flowRollups,
  flowTrends,
  latencyHistograms,
  rollupRuns,
  runsInTimeOrder,
  UNNAMED_FLOW,
  type FlowRollup,
} from '../../src/core/analyze/rollup';
import { TraceWorkspace } from '../../src/core/read/workspace';

/** Data-keyed records are null-prototype objects (issue 13): compare their JSON shape. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const DEMO = path.resolve('test/fixtures/demo-app');
const catalog = loadCatalog(DEMO);

// ---- factories -------------------------------------------------------------------------------

function ev(type: string, over: Partial<TraceEvent> = {}): TraceEvent {
  return { dialect: 'flowscribe-v1', type, tags: [], extra: {}, src: { file: 't.jsonl', line: 1 }, ...over };
}

interface FlowSpecLite {
  name?: string;
  verdict: Verdict;
  ms?: number;
  cls?: string;
  reason?: string;
  file?: string;
  line?: number;
  ts?: number;
}

function flow(runId: string, id: string, f: FlowSpecLite): FlowNode {
  const settled = f.verdict === 'succeeded' || f.verdict === 'failed' || f.verdict === 'exception';
  const verdictType = f.verdict === 'succeeded' ? 'success' : f.verdict === 'failed' ? 'failure' : 'exception';
  const verdictEvent = settled
    ? ev(verdictType, { runId, flow: f.name, flowId: id, failureClass: f.cls, reason: f.reason, file: f.file, line: f.line, ts: f.ts, durationMs: f.ms })
    : undefined;
  return {
    id,
    name: f.name,
    displayName: f.name ?? id.slice(0, 8),
    runId,
    children: [],
    events: verdictEvent ? [verdictEvent] : [],
    steps: [],
    verdict: f.verdict,
    verdictEvent,
    ended: f.ts,
    durationMs: f.ms,
    correlation: {},
    tags: [],
  };
}

function run(id: string, started: number | undefined, flows: FlowSpecLite[], events: TraceEvent[] = []): Run {
  const nodes = flows.map((f, i) => flow(id, `f-${String(i + 1).padStart(4, '0')}`, f));
  return {
    id,
    dialect: 'flowscribe-v1',
    sources: [],
    primarySource: '',
    tags: [],
    started,
    status: 'ok',
    flows: new Map(nodes.map((n) => [n.id, n])),
    roots: nodes,
    events,
    malformed: [],
    notes: [],
  };
}

const T = (iso: string): number => Date.parse(iso);
const FETCH = 'data/fetch/minute_candles';
const ORDERS = 'orders/submit';
const ok = (name: string, ms: number): FlowSpecLite => ({ name, verdict: 'succeeded', ms });

/**
 * The six v1 runs of the demo app, reduced to the two flows with SLAs, as read by hand from
 * .autodev/trace.jsonl (grep the flow's verdict lines for duration_ms / failure_class).
 * Deliberately listed out of time order.
 */
const RUNS: Run[] = [
  run('20261120T140000Z-d9f1', T('2026-11-20T09:00:00Z'), [
    ok(FETCH, 130),
    { name: FETCH, verdict: 'failed', ms: 140, cls: 'DATA.INCOMPLETE', reason: 'only 250 of 390 rows', file: 'trader/data/fetcher.py', line: 19, ts: T('2026-11-20T09:00:06.365Z') },
    ok(FETCH, 760),
    { name: ORDERS, verdict: 'failed', ms: 6000, cls: 'EXTERNAL.TIMEOUT', ts: T('2026-11-20T09:00:06.225Z') },
    ok(ORDERS, 240),
  ]),
  run('20261118T140000Z-a1c3', T('2026-11-18T09:00:00Z'), [ok(FETCH, 120), ok(FETCH, 180), ok(FETCH, 210), ok(ORDERS, 230), ok(ORDERS, 310), ok(ORDERS, 280)]),
  run('20261119T140000Z-b7d2', T('2026-11-19T09:00:00Z'), [
    ok(FETCH, 150),
    ok(FETCH, 160),
    { name: FETCH, verdict: 'failed', ms: 690, cls: 'DATA.EMPTY', reason: 'vendor returned 0 rows for NVDA', file: 'trader/data/fetcher.py', line: 15, ts: T('2026-11-19T09:00:01.375Z') },
    ok(ORDERS, 240),
  ]),
  run('20261119T190000Z-c4e8', T('2026-11-19T14:00:00Z'), [ok(FETCH, 950), ok(FETCH, 170), ok(FETCH, 200), ok(ORDERS, 400), ok(ORDERS, 1800)]),
  // crashed run: its last orders/submit never got a verdict
  run('20261121T140000Z-e2a6', T('2026-11-21T09:00:00Z'), [ok(FETCH, 110), ok(FETCH, 125), ok(FETCH, 175), ok(ORDERS, 240), ok(ORDERS, 240), { name: ORDERS, verdict: 'orphaned' }]),
  run('20261122T140000Z-f5b0', T('2026-11-22T09:00:00Z'), []),
];

const byName = (rs: FlowRollup[], name: string): FlowRollup => {
  const r = rs.find((x) => x.flow === name);
  assert.ok(r, `no rollup for ${name}`);
  return r;
};

// ---- tests -----------------------------------------------------------------------------------

describe('rollup: per flow over the six demo runs (hand-built)', () => {
  const rs = flowRollups(RUNS, { catalog });

  it('data/fetch/minute_candles: outcomes, nearest-rank durations, SLA 800 breached', () => {
    const r = byName(rs, FETCH);
    // 15 flow_start lines for the flow (grep -c); 2 failures.
    assert.deepEqual([r.instances, r.succeeded, r.failed, r.exceptions, r.orphaned, r.running], [15, 13, 2, 0, 0, 0]);
    assert.equal(r.successRate, 13 / 15);
    // sorted: 110 120 125 130 140 150 160 170 175 180 200 210 690 760 950
    assert.equal(r.durationCount, 15);
    assert.equal(r.p50Ms, 170); // rank 8
    assert.equal(r.p95Ms, 950); // rank 15
    assert.equal(r.maxMs, 950);
    assert.equal(r.slaP95Ms, 800); // ra.yaml sla_overrides
    assert.equal(r.slaBreached, true);
    assert.deepEqual(plain(r.failureClasses), { 'DATA.EMPTY': 1, 'DATA.INCOMPLETE': 1 });
    assert.equal(r.unclassifiedFailures, 0);
    assert.deepEqual(r.firstFailure, {
      runId: '20261119T140000Z-b7d2',
      flowId: 'f-0003',
      flow: FETCH,
      verdict: 'failed',
      failureClass: 'DATA.EMPTY',
      reason: 'vendor returned 0 rows for NVDA',
      file: 'trader/data/fetcher.py',
      line: 15,
      ts: T('2026-11-19T09:00:01.375Z'),
    });
    assert.equal(r.lastFailure?.runId, '20261120T140000Z-d9f1');
    assert.equal(r.lastFailure?.failureClass, 'DATA.INCOMPLETE');
    assert.equal(r.lastFailure?.line, 19);
    assert.deepEqual(
      r.histogram.map((b) => [b.leMs, b.count]),
      [
        [50, 0],
        [200, 11],
        [1000, 4],
        [null, 0],
      ],
    );
  });

  it('orders/submit: the orphaned instance counts but has no duration; SLA 1000 breached', () => {
    const r = byName(rs, ORDERS);
    assert.deepEqual([r.instances, r.succeeded, r.failed, r.orphaned], [11, 9, 1, 1]);
    assert.equal(r.successRate, 9 / 10);
    // sorted: 230 240 240 240 240 280 310 400 1800 6000 (n = 10)
    assert.equal(r.durationCount, 10);
    assert.equal(r.p50Ms, 240); // rank 5
    assert.equal(r.p95Ms, 6000); // rank ceil(9.5) = 10
    assert.equal(r.slaP95Ms, 1000);
    assert.equal(r.slaBreached, true);
    assert.equal(r.firstFailure?.failureClass, 'EXTERNAL.TIMEOUT');
    assert.equal(r.firstFailure, r.lastFailure);
    assert.deepEqual(
      r.histogram.map((b) => b.count),
      [0, 0, 8, 2],
    );
  });

  it('sorts flows by name and needs no catalog', () => {
    const plain = flowRollups(RUNS);
    assert.deepEqual(
      plain.map((r) => r.flow),
      [FETCH, ORDERS],
    );
    assert.equal(plain[0].slaP95Ms, undefined);
    assert.equal(plain[0].slaBreached, false);
    // default buckets [50,100,250,500,1000,2500,5000] + overflow
    assert.equal(plain[0].histogram.length, 8);
  });

  it('rolls up one run', () => {
    const [r] = flowRollups([RUNS[2]], { catalog }).filter((x) => x.flow === FETCH);
    assert.deepEqual([r.instances, r.succeeded, r.failed, r.p50Ms, r.p95Ms, r.slaBreached], [3, 2, 1, 160, 690, false]);
  });
});

describe('rollup: edge cases', () => {
  it('leaves the success rate undefined when nothing settled; unnamed flows share a bucket', () => {
    const rs = flowRollups([run('r', 1, [{ name: 'a', verdict: 'running' }, { name: 'a', verdict: 'orphaned' }, { verdict: 'succeeded', ms: 5 }, { verdict: 'failed' }])]);
    const a = byName(rs, 'a');
    assert.equal(a.successRate, undefined);
    assert.equal(a.p95Ms, undefined);
    assert.equal(a.durationCount, 0);
    assert.deepEqual([a.running, a.orphaned], [1, 1]);
    const u = byName(rs, UNNAMED_FLOW);
    assert.deepEqual([u.instances, u.succeeded, u.failed, u.successRate, u.unclassifiedFailures], [2, 1, 1, 0.5, 1]);
  });

  it('counts exceptions in the rate denominator and takes the reason from the exception', () => {
    const r = run('r', 1, [ok('x', 10), { name: 'x', verdict: 'exception', ms: 20 }]);
    const x = [...r.flows.values()][1];
    (x.verdictEvent as TraceEvent).exception = { type: 'KeyError', message: "KeyError: 'ema_21'", stack: [] };
    const [roll] = flowRollups([r]);
    assert.equal(roll.exceptions, 1);
    assert.equal(roll.successRate, 0.5);
    assert.equal(roll.lastFailure?.verdict, 'exception');
    assert.equal(roll.lastFailure?.reason, "KeyError: 'ema_21'");
  });

  it('is not breached at p95 == SLA', () => {
    const c = loadCatalog(DEMO);
    const [r] = flowRollups([run('r', 1, [ok(FETCH, 800)])], { catalog: c });
    assert.equal(r.p95Ms, 800);
    assert.equal(r.slaBreached, false);
  });

  it('returns nothing for no runs', () => {
    assert.deepEqual(flowRollups([]), []);
    assert.deepEqual(flowTrends([]), []);
    assert.deepEqual(plain(rollupRuns([]).counts), { total: 0, byType: {}, bySeverity: {}, byFailureClass: {}, byDomain: {} });
  });
});

describe('rollup: event counts', () => {
  const events = [
    ev('flow_start'),
    ev('checkpoint', { severity: 'info' }),
    ev('failure', { severity: 'error', failureClass: 'DATA.EMPTY' }),
    ev('failure', { severity: 'error', failureClass: 'data.INCOMPLETE' }),
    ev('exception', { severity: 'critical', failureClass: 'WEIRD.THING' }),
    ev('exception', { severity: 'critical' }),
    ev('custom_type'),
  ];

  it('counts by type, severity, class and domain (unknown domains under OTHER)', () => {
    assert.deepEqual(plain(countEvents(events)), {
      total: 7,
      byType: { flow_start: 1, checkpoint: 1, failure: 2, exception: 2, custom_type: 1 },
      bySeverity: { info: 1, error: 2, critical: 2 },
      byFailureClass: { 'DATA.EMPTY': 1, 'data.INCOMPLETE': 1, 'WEIRD.THING': 1 },
      byDomain: { DATA: 2, OTHER: 1 },
    });
  });

  it('counts per run and over all', () => {
    const runs = [run('a', 1, [], events.slice(0, 3)), run('b', 2, [], events.slice(3))];
    const { overall, byRun } = eventCounts(runs);
    assert.equal(overall.total, 7);
    assert.deepEqual(plain(byRun.a.byType), { flow_start: 1, checkpoint: 1, failure: 1 });
    assert.deepEqual(plain(byRun.b.byDomain), { DATA: 1, OTHER: 1 });
    const all = rollupRuns(runs);
    assert.equal(all.runCount, 2);
    assert.deepEqual(all.counts, overall);
    assert.deepEqual(all.countsByRun, byRun);
  });
});

describe('rollup: histograms and trends', () => {
  it('gives per-flow histograms on the catalog buckets', () => {
    const hs = latencyHistograms(RUNS, { catalog });
    assert.deepEqual(
      hs.map((h) => [h.flow, h.buckets.map((b) => b.count)]),
      [
        [FETCH, [0, 11, 4, 0]],
        [ORDERS, [0, 0, 8, 2]],
      ],
    );
    assert.deepEqual(
      latencyHistograms(RUNS, { bucketsMs: [1000] }).map((h) => h.buckets.map((b) => b.count)),
      [
        [15, 0],
        [8, 2],
      ],
    );
  });

  it('orders runs by start time (runs without a start last)', () => {
    const rs = runsInTimeOrder([run('z', undefined, []), ...RUNS]);
    assert.deepEqual(
      rs.map((r) => r.id.slice(-4)),
      ['a1c3', 'b7d2', 'c4e8', 'd9f1', 'e2a6', 'f5b0', 'z'],
    );
  });

  it('gives a run-to-run trend per flow, one point per run in time order', () => {
    const [fetch, orders] = flowTrends(RUNS, { catalog });
    assert.equal(fetch.flow, FETCH);
    assert.equal(fetch.slaP95Ms, 800);
    // per run (time order): a1c3 120 180 210 | b7d2 150 160 690(failed) | c4e8 950 170 200 |
    // d9f1 130 140(failed) 760 | e2a6 110 125 175 | f5b0 none
    assert.deepEqual(
      fetch.points.map((p) => [p.runId.slice(-4), p.instances, p.successRate, p.p50Ms, p.p95Ms, p.slaBreached]),
      [
        ['a1c3', 3, 1, 180, 210, false],
        ['b7d2', 3, 2 / 3, 160, 690, false],
        ['c4e8', 3, 1, 200, 950, true],
        ['d9f1', 3, 2 / 3, 140, 760, false],
        ['e2a6', 3, 1, 125, 175, false],
        ['f5b0', 0, undefined, undefined, undefined, false],
      ],
    );
    assert.equal(fetch.points[0].started, T('2026-11-18T09:00:00Z'));
    // orders per run: a1c3 230 310 280 | b7d2 240 | c4e8 400 1800 | d9f1 6000(failed) 240 | e2a6 240 240 +orphan
    assert.deepEqual(
      orders.points.map((p) => [p.instances, p.successRate, p.p95Ms, p.slaBreached]),
      [
        [3, 1, 310, false],
        [1, 1, 240, false],
        [2, 1, 1800, true],
        [2, 0.5, 6000, true],
        [3, 1, 240, false],
        [0, undefined, undefined, false],
      ],
    );
  });
});

describe('rollup: end to end over test/fixtures/demo-app (TraceWorkspace)', () => {
  let v1: Run[] = [];
  let ws: TraceWorkspace;

  before(async () => {
    // A clock long after the fixture was written: the run without session_end is crashed, not live.
    ws = new TraceWorkspace(DEMO, { now: () => Date.parse('2030-01-01T00:00:00Z'), final: true });
    await ws.load({ final: true });
    // The 0.1 copies under runs/ repeat the same flows; roll up the six v1 runs.
    v1 = ws.runs().filter((r) => r.dialect === 'flowscribe-v1');
  });

  it('finds the six v1 runs', () => {
    assert.equal(v1.length, 6);
  });

  it('rolls up every flow as counted by hand from .autodev/trace.jsonl', () => {
    const rs = flowRollups(v1, { catalog: ws.catalog });
    // flow_start / success / failure|exception lines per flow (grep -c)
    assert.deepEqual(
      rs.map((r) => [r.flow, r.instances, r.succeeded, r.failed, r.exceptions, r.orphaned]),
      [
        ['agent/decision/evaluate', 12, 11, 1, 0, 0],
        [FETCH, 15, 13, 2, 0, 0],
        ['indicators/ema/compute', 13, 12, 0, 1, 0],
        [ORDERS, 11, 9, 1, 0, 1],
        ['premarket/prepare', 6, 5, 1, 0, 0],
      ],
    );
    const fetch = byName(rs, FETCH);
    assert.deepEqual([fetch.p50Ms, fetch.p95Ms, fetch.maxMs, fetch.slaP95Ms, fetch.slaBreached], [170, 950, 950, 800, true]);
    assert.deepEqual(plain(fetch.failureClasses), { 'DATA.EMPTY': 1, 'DATA.INCOMPLETE': 1 });
    assert.equal(fetch.firstFailure?.runId, '20261119T140000Z-b7d2');
    assert.equal(fetch.firstFailure?.flowId, 'f-0008');
    assert.equal(fetch.lastFailure?.runId, '20261120T140000Z-d9f1');
    assert.equal(fetch.lastFailure?.flowId, 'f-0006');
    const orders = byName(rs, ORDERS);
    assert.deepEqual([orders.p50Ms, orders.p95Ms, orders.slaP95Ms, orders.slaBreached], [240, 6000, 1000, true]);
    const ind = byName(rs, 'indicators/ema/compute');
    assert.equal(ind.lastFailure?.verdict, 'exception');
    assert.equal(ind.lastFailure?.failureClass, 'DATA.MISSING_COLUMN');
  });

  it('counts events by type, severity, class and domain', () => {
    const { overall } = eventCounts(v1);
    // grep -o '"event_type": ...' | sort | uniq -c over .autodev/trace.jsonl (194 lines)
    assert.equal(overall.total, 194);
    assert.deepEqual(plain(overall.byType), { session_start: 6, flow_start: 57, checkpoint: 32, metric: 38, success: 50, failure: 5, exception: 1, session_end: 5 });
    assert.deepEqual(plain(overall.bySeverity), { warning: 3, error: 2, critical: 1 }); // "warn" ×3 normalised
    assert.deepEqual(plain(overall.byDomain), { BUSINESS: 2, DATA: 3, EXTERNAL: 1 });
    assert.equal(Object.keys(overall.byFailureClass).length, 6);
  });
});

// Run flow counts, failure events and the previous run moved with their definitions to
// src/core/analyze/queries.ts: test/unit/queries.test.ts.
