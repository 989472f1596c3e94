import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { diffRuns } from '../../src/core/analyze/diff';
import type { FlowNode, Run, TraceEvent, Verdict } from '../../src/core/model/types';
import { TraceWorkspace } from '../../src/core/read/workspace';

const DEMO = path.resolve('test/fixtures/demo-app');

function ev(type: string, over: Partial<TraceEvent> = {}): TraceEvent {
  return { dialect: 'flowscribe-v1', type, tags: [], extra: {}, src: { file: 't.jsonl', line: 1 }, ...over };
}

function run(id: string, flows: { id: string; name: string; verdict: Verdict; ms?: number; cls?: string; evidence?: unknown }[]): Run {
  const map = new Map<string, FlowNode>();
  for (const f of flows) {
    const verdictEvent = f.verdict === 'running' || f.verdict === 'orphaned' ? undefined : ev(f.verdict === 'succeeded' ? 'success' : f.verdict === 'failed' ? 'failure' : 'exception', { failureClass: f.cls, evidence: f.evidence });
    map.set(f.id, { id: f.id, name: f.name, displayName: f.name, runId: id, children: [], events: [], steps: [], verdict: f.verdict, verdictEvent, durationMs: f.ms, correlation: {}, tags: [] });
  }
  return { id, dialect: 'flowscribe-v1', sources: [], primarySource: '', tags: [], status: 'ok', flows: map, roots: [...map.values()], events: [], malformed: [], notes: [] };
}

describe('diffRuns over the demo fixture (scenarios/run*.json, worked out by hand)', () => {
  let ws: TraceWorkspace;
  const get = (id: string): Run => {
    const r = ws.getRun(id);
    assert.ok(r, id);
    return r;
  };

  before(async () => {
    ws = new TraceWorkspace(DEMO, { now: () => Date.parse('2030-01-01T00:00:00Z'), final: true });
    await ws.load({ final: true });
  });

  it('b7d2 vs a1c3: NVDA fetch came back empty, MSFT indicators raised; the fetch p95 went 210 → 690 ms', () => {
    const d = diffRuns(get('20261118T140000Z-a1c3'), get('20261119T140000Z-b7d2'), { slowerThresholdPct: 20 });
    assert.deepEqual(d.new, []);
    assert.deepEqual(d.gone, []);
    assert.deepEqual(d.newlyFailing.map((e) => e.flow), ['data/fetch/minute_candles', 'indicators/ema/compute']);
    assert.deepEqual(d.fixed, []);
    assert.deepEqual(d.stillFailing, []);
    // fetch p95: a1c3 [120,180,210] → 210; b7d2 [150,160,690] → 690. orders got faster (310 → 240).
    assert.deepEqual(d.slower.map((e) => [e.flow, e.beforeP95Ms, e.afterP95Ms]), [['data/fetch/minute_candles', 210, 690]]);
    assert.ok(Math.abs(d.slower[0].changePct - (480 / 210) * 100) < 1e-9);

    const fetch = d.newlyFailing[0];
    assert.equal(fetch.after?.flowId, 'f-0008');
    assert.equal(fetch.after?.failing, 1);
    assert.equal(fetch.after?.line, 15);
    // The last a1c3 instance (NVDA, f-0010) succeeded with {rows: 390, time_range}; the failing
    // b7d2 instance has {rows: 0, ticker: NVDA, http_status: 200}.
    assert.deepEqual(fetch.changes, [
      { key: 'verdict', before: 'succeeded', after: 'failed' },
      { key: 'failure_class', before: undefined, after: 'DATA.EMPTY' },
      { key: 'reason', before: 'rows >= 300', after: 'vendor returned 0 rows for NVDA' },
      { key: 'evidence.http_status', before: undefined, after: 200 },
      { key: 'evidence.rows', before: 390, after: 0 },
      { key: 'evidence.ticker', before: undefined, after: 'NVDA' },
      { key: 'evidence.time_range', before: ['09:30', '16:00'], after: undefined },
    ]);
    const ind = d.newlyFailing[1];
    assert.equal(ind.after?.verdict, 'exception');
    assert.equal(ind.after?.failureClass, 'DATA.MISSING_COLUMN');
  });

  it('d9f1 vs c4e8: the NO_ACTION decision is fixed; orders time out and MSFT is incomplete; orders p95 1800 → 6000', () => {
    const d = diffRuns(get('20261119T190000Z-c4e8'), get('20261120T140000Z-d9f1'));
    assert.equal(d.slowerThresholdPct, 20);
    assert.deepEqual(d.newlyFailing.map((e) => [e.flow, e.after?.failureClass]), [
      ['data/fetch/minute_candles', 'DATA.INCOMPLETE'],
      ['orders/submit', 'EXTERNAL.TIMEOUT'],
    ]);
    assert.deepEqual(d.fixed.map((e) => [e.flow, e.before?.failureClass, e.after?.verdict]), [['agent/decision/evaluate', 'BUSINESS.NO_ACTION', 'succeeded']]);
    assert.deepEqual(d.stillFailing, []);
    // fetch p95 went down (950 → 760); orders [400,1800] → [6000,240].
    assert.deepEqual(d.slower.map((e) => [e.flow, e.beforeP95Ms, e.afterP95Ms]), [['orders/submit', 1800, 6000]]);
  });

  it('f5b0 vs e2a6: the market was closed, so every flow but premarket is gone', () => {
    const d = diffRuns(get('20261121T140000Z-e2a6'), get('20261122T140000Z-f5b0'));
    assert.deepEqual(d.gone.map((e) => e.flow), ['agent/decision/evaluate', 'data/fetch/minute_candles', 'indicators/ema/compute', 'orders/submit']);
    assert.deepEqual(d.new, []);
    assert.deepEqual(d.newlyFailing.map((e) => [e.flow, e.after?.failureClass]), [['premarket/prepare', 'BUSINESS.MARKET_CLOSED']]);
    assert.deepEqual(d.fixed, []);
  });

  it('a run against itself has no differences', () => {
    const r = get('20261120T140000Z-d9f1');
    const d = diffRuns(r, r);
    assert.deepEqual([d.new, d.gone, d.newlyFailing, d.fixed, d.slower], [[], [], [], [], []]);
    assert.deepEqual(d.stillFailing.map((e) => [e.flow, e.changes]), [['data/fetch/minute_candles', []], ['orders/submit', []]]);
  });
});

describe('diffRuns on hand-built runs', () => {
  it('a new failing flow is both new and newly failing; a gone failing flow is not fixed', () => {
    const a = run('a', [{ id: '1', name: 'x', verdict: 'failed', cls: 'DATA.EMPTY' }]);
    const b = run('b', [{ id: '2', name: 'y', verdict: 'exception', cls: 'SYSTEM.OOM' }]);
    const d = diffRuns(a, b);
    assert.deepEqual(d.new.map((e) => e.flow), ['y']);
    assert.deepEqual(d.newlyFailing.map((e) => e.flow), ['y']);
    assert.deepEqual(d.gone.map((e) => e.flow), ['x']);
    assert.deepEqual(d.fixed, []);
  });

  it('slower uses the threshold strictly: +20% is not slower at 20, +21% is', () => {
    const a = run('a', [{ id: '1', name: 'x', verdict: 'succeeded', ms: 100 }, { id: '2', name: 'z', verdict: 'succeeded', ms: 100 }]);
    const b = run('b', [{ id: '1', name: 'x', verdict: 'succeeded', ms: 120 }, { id: '2', name: 'z', verdict: 'succeeded', ms: 121 }]);
    assert.deepEqual(diffRuns(a, b, { slowerThresholdPct: 20 }).slower.map((e) => e.flow), ['z']);
    assert.deepEqual(diffRuns(a, b, { slowerThresholdPct: 0 }).slower.map((e) => e.flow), ['x', 'z']);
  });

  it('compares non-object evidence as a whole', () => {
    const a = run('a', [{ id: '1', name: 'x', verdict: 'failed', evidence: 'old' }]);
    const b = run('b', [{ id: '1', name: 'x', verdict: 'failed', evidence: 'new' }]);
    assert.deepEqual(diffRuns(a, b).stillFailing[0].changes, [{ key: 'evidence', before: 'old', after: 'new' }]);
  });
});
