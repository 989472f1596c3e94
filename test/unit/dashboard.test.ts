import { Redactor } from '../../src/core/render/egress/redact';
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { buildDashboardModel, restoreOriginals, sanitizeModel, slaPosition, storePanels, type DashboardInputs } from '../../src/core/render/dashboard';
import type { Run } from '../../src/core/model/types';
import { readStores } from '../../src/core/read/sqlite/stores';
import { TraceWorkspace } from '../../src/core/read/workspace';

/** Data-keyed records are null-prototype objects (issue 13): compare their JSON shape. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const DEMO = path.resolve('test/fixtures/demo-app');
const STORES = path.resolve('test/fixtures/stores');
const FETCH = 'data/fetch/minute_candles';

describe('dashboard model over the six v1 demo runs (worked out from scenarios/run*.json)', () => {
  let ws: TraceWorkspace;
  let inputs: DashboardInputs;

  before(async () => {
    ws = new TraceWorkspace(DEMO, { now: () => Date.parse('2030-01-01T00:00:00Z'), final: true });
    await ws.load({ final: true });
    // The 0.1 copies under runs/ repeat the same flows; the dashboard is checked on the v1 runs.
    const v1: Run[] = ws.runs().filter((r) => r.dialect === 'flowscribe-v1');
    assert.equal(v1.length, 6);
    inputs = { runs: v1, latestRunId: '20261122T140000Z-f5b0', catalog: ws.catalog, resolvePath: (f) => ws.pathMap.resolve(f).path };
  });

  it('all runs: the fetch row has 15 instances (15 flow_start lines), 2 failures, p50 170, p95 950 > SLA 800', () => {
    const m = buildDashboardModel(inputs, 'all');
    assert.equal(m.selection.kind, 'all');
    assert.equal(m.selection.runIds.length, 6);
    assert.deepEqual(m.flows.map((r) => r.flow), ['agent/decision/evaluate', FETCH, 'indicators/ema/compute', 'orders/submit', 'premarket/prepare']);
    const f = m.flows.find((r) => r.flow === FETCH);
    assert.ok(f);
    // Durations: 110 120 125 130 140 150 160 170 175 180 200 210 690 760 950 → nearest rank 8 and 15.
    assert.deepEqual([f.instances, f.succeeded, f.failed, f.exceptions], [15, 13, 2, 0]);
    assert.equal(f.successRate, 13 / 15);
    assert.deepEqual([f.p50Ms, f.p95Ms, f.maxMs, f.slaP95Ms, f.slaBreached], [170, 950, 950, 800, true]);
    assert.deepEqual(f.topFailureClasses, [{ failureClass: 'DATA.EMPTY', count: 1 }, { failureClass: 'DATA.INCOMPLETE', count: 1 }]);
    // The newest failure is d9f1's MSFT fetch at fetcher.py:19, which exists in the fixture.
    assert.equal(f.lastFailure?.runId, '20261120T140000Z-d9f1');
    assert.equal(f.lastFailure?.failureClass, 'DATA.INCOMPLETE');
    assert.equal(f.lastFailure?.file, 'trader/data/fetcher.py');
    assert.equal(f.lastFailure?.line, 19);
    assert.equal(f.lastFailure?.resolvedPath, path.join(DEMO, 'trader/data/fetcher.py'));
  });

  it('all runs: failures by class and domain, first vs latest', () => {
    const m = buildDashboardModel(inputs, 'all');
    // One each: DATA.EMPTY + DATA.MISSING_COLUMN (b7d2), BUSINESS.NO_ACTION (c4e8),
    // EXTERNAL.TIMEOUT + DATA.INCOMPLETE (d9f1), BUSINESS.MARKET_CLOSED (f5b0).
    assert.equal(m.failures.total, 6);
    assert.deepEqual(m.failures.byClass.map((c) => [c.failureClass, c.domain, c.count]), [
      ['BUSINESS.MARKET_CLOSED', 'BUSINESS', 1],
      ['BUSINESS.NO_ACTION', 'BUSINESS', 1],
      ['DATA.EMPTY', 'DATA', 1],
      ['DATA.INCOMPLETE', 'DATA', 1],
      ['DATA.MISSING_COLUMN', 'DATA', 1],
      ['EXTERNAL.TIMEOUT', 'EXTERNAL', 1],
    ]);
    assert.deepEqual(m.failures.byDomain, [
      { domain: 'SYSTEM', count: 0 },
      { domain: 'DATA', count: 3 },
      { domain: 'CONTRACT', count: 0 },
      { domain: 'EXTERNAL', count: 1 },
      { domain: 'BUSINESS', count: 2 },
    ]);
    const fetch = m.failures.firstLatest.find((x) => x.flow === FETCH);
    assert.deepEqual([fetch?.count, fetch?.first?.failureClass, fetch?.first?.runId, fetch?.latest?.failureClass], [2, 'DATA.EMPTY', '20261119T140000Z-b7d2', 'DATA.INCOMPLETE']);
    // The newest run (f5b0, market closed) against e2a6.
    const c = m.failures.changes;
    assert.deepEqual([c?.base, c?.current], ['20261121T140000Z-e2a6', '20261122T140000Z-f5b0']);
    assert.deepEqual(c?.newlyFailing.map((x) => [x.flow, x.failureClass, x.before, x.after]), [['premarket/prepare', 'BUSINESS.MARKET_CLOSED', 0, 1]]);
    assert.deepEqual([c?.fixed, c?.stillFailing], [[], []]);
  });

  it('all runs: the fetch histogram on ra.yaml buckets [50, 200, 1000] with the SLA line at 2.25', () => {
    const m = buildDashboardModel(inputs, 'all');
    assert.deepEqual(m.latency.bucketsMs, [50, 200, 1000]);
    const h = m.latency.flows.find((x) => x.flow === FETCH);
    assert.deepEqual(h?.buckets.map((b) => [b.label, b.count]), [['≤ 50 ms', 0], ['≤ 200 ms', 11], ['≤ 1000 ms', 4], ['> 1000 ms', 0]]);
    // 800 lies in (200, 1000]: bucket 2, three quarters of the way → 2 − 0.5 + 0.75.
    assert.equal(h?.slaPosition, 2.25);
    // p95 per run: a1c3 210, b7d2 690, c4e8 950, d9f1 760, e2a6 175, f5b0 none.
    assert.deepEqual(h?.trend.map((p) => p.p95Ms), [210, 690, 950, 760, 175, undefined]);
    assert.deepEqual(h?.trend.map((p) => p.slaBreached), [false, false, true, false, false, false]);
  });

  it('latest = f5b0: one flow, and its timeline has the one premarket row', () => {
    const m = buildDashboardModel(inputs, 'latest');
    assert.deepEqual([m.selection.kind, m.selection.runIds], ['latest', ['20261122T140000Z-f5b0']]);
    assert.deepEqual(m.flows.map((r) => [r.flow, r.failed, r.successRate]), [['premarket/prepare', 1, 0]]);
    assert.deepEqual(m.timeline?.rows.map((r) => [r.name, r.verdict, r.failureClass, r.durMs]), [['premarket/prepare', 'failed', 'BUSINESS.MARKET_CLOSED', 47]]);
    // The run selector lists every run, newest first.
    assert.deepEqual(m.runs.map((r) => r.id.slice(-4)), ['f5b0', 'e2a6', 'd9f1', 'c4e8', 'b7d2', 'a1c3']);
    assert.deepEqual(m.runs.map((r) => r.failing), [1, 0, 2, 1, 2, 0]);
  });

  it('one run (b7d2): event counts by type and severity, timeline nesting and times', () => {
    const m = buildDashboardModel(inputs, '20261119T140000Z-b7d2');
    // 28 lines: 8 flow_start, 6 success, 5 checkpoint, 5 metric, 1 failure, 1 exception, session start/end.
    assert.deepEqual(plain(m.events.runs), [{
      runId: '20261119T140000Z-b7d2', started: Date.parse('2026-11-19T09:00:00Z'), total: 28,
      byType: { session_start: 1, flow_start: 8, checkpoint: 5, success: 6, metric: 5, exception: 1, failure: 1, session_end: 1 },
      bySeverity: { critical: 1, error: 1 },
    }]);
    assert.deepEqual(m.events.severities, ['error', 'critical']);
    const t = m.timeline;
    assert.ok(t);
    assert.deepEqual(t.rows.map((r) => [r.id, r.depth]), [['f-0001', 0], ['f-0002', 1], ['f-0003', 1], ['f-0004', 1], ['f-0005', 2], ['f-0006', 1], ['f-0007', 1], ['f-0008', 1]]);
    // Run starts 09:00:00.000; the NVDA fetch starts at .685 and fails 690 ms later.
    assert.equal(t.spanMs, 1375);
    const nvda = t.rows[7];
    assert.deepEqual([nvda.startMs, nvda.durMs, nvda.verdict, nvda.reason, nvda.line], [685, 690, 'failed', 'vendor returned 0 rows for NVDA', 15]);
    assert.deepEqual(JSON.parse(nvda.evidence ?? ''), { rows: 0, ticker: 'NVDA', http_status: 200 });
    // Against a1c3: two flows newly failing, nothing fixed.
    assert.deepEqual(m.failures.changes?.newlyFailing.map((x) => x.flow), [FETCH, 'indicators/ema/compute']);
  });

  it('a flow filter narrows every section but the flows table', () => {
    const m = buildDashboardModel(inputs, '20261119T140000Z-b7d2', FETCH, { diff: { a: '20261118T140000Z-a1c3', b: '20261119T140000Z-b7d2' } });
    assert.equal(m.flowFilter, FETCH);
    assert.equal(m.flows.length, 5);
    assert.deepEqual(m.latency.flows.map((x) => x.flow), [FETCH]);
    assert.deepEqual(m.failures.byClass.map((c) => c.failureClass), ['DATA.EMPTY']);
    assert.deepEqual(m.timeline?.rows.map((r) => r.id), ['f-0002', 'f-0006', 'f-0008']);
    // Fetch events only: 3 flow_start, 3 checkpoint, 3 metric, 2 success, 1 failure.
    assert.equal(m.events.runs[0].total, 12);
    assert.deepEqual(m.diff?.rows.map((r) => [r.category, r.flow]), [['newly failing', FETCH], ['slower', FETCH]]);
    assert.ok(m.diff?.rows[0].changes.includes('evidence.rows: 390 → 0'));
    // p95 210 → 690 ms: +480/210 = +228.57…%.
    assert.deepEqual(m.diff?.rows[1].changes, ['p95: 210 ms → 690 ms (+228.6%)']);
    // An unknown flow name is ignored rather than emptying the page.
    assert.equal(buildDashboardModel(inputs, 'all', 'no/such/flow').flowFilter, undefined);
  });

  it('diff section d9f1 vs c4e8 counts every category', () => {
    const m = buildDashboardModel(inputs, 'all', undefined, { diff: { a: '20261119T190000Z-c4e8', b: '20261120T140000Z-d9f1' } });
    assert.deepEqual(m.diff?.counts, { new: 0, gone: 0, 'newly failing': 2, fixed: 1, 'still failing': 0, slower: 1 });
    assert.deepEqual(m.diff?.rows.map((r) => [r.category, r.flow]), [
      ['newly failing', FETCH], ['newly failing', 'orders/submit'], ['fixed', 'agent/decision/evaluate'], ['slower', 'orders/submit'],
    ]);
  });

  it('a time window keeps the runs that started inside it; an unknown run id selects nothing', () => {
    const m = buildDashboardModel(inputs, { from: Date.parse('2026-11-19T00:00:00Z'), to: Date.parse('2026-11-20T23:59:59Z') });
    assert.deepEqual(m.selection.runIds.map((id) => id.slice(-4)), ['b7d2', 'c4e8', 'd9f1']);
    // Fetch over those three runs: 9 instances, 2 failed.
    const f = m.flows.find((r) => r.flow === FETCH);
    assert.deepEqual([f?.instances, f?.failed], [9, 2]);
    const none = buildDashboardModel(inputs, 'zzzz');
    assert.deepEqual([none.selection.kind, none.flows, none.timeline], ['none', [], undefined]);
    // A unique prefix selects its run.
    assert.deepEqual(buildDashboardModel(inputs, '20261118').selection.runIds, ['20261118T140000Z-a1c3']);
  });

  it('no runs at all: an empty, well-formed model', () => {
    const m = buildDashboardModel({ runs: [] }, 'latest');
    assert.deepEqual([m.selection.kind, m.flows, m.runs, m.stores, m.failures.total], ['none', [], [], [], 0]);
  });
});

describe('dashboard: SLA position and store panels', () => {
  it('places the SLA inside its bucket', () => {
    assert.equal(slaPosition([50, 200, 1000], 50), 0.5);
    assert.equal(slaPosition([50, 200, 1000], 25), 0);
    assert.equal(slaPosition([50, 200, 1000], 1000), 2.5);
    assert.equal(slaPosition([50, 200, 1000], 5000), 2.5);
  });

  it('makes one panel per store of test/fixtures/stores', async () => {
    const reports = await readStores(STORES);
    const panels = storePanels(reports);
    const kinds = panels.map((p) => p.kind).sort();
    assert.ok(kinds.includes('pulse') && kinds.includes('sovereignty') && kinds.includes('brainstem'), kinds.join(','));
    for (const p of panels) {
      assert.ok(p.stats.length > 0, p.name);
      for (const t of p.tables) for (const row of t.rows) assert.equal(row.length, t.columns.length, `${p.name} ${t.title}`);
    }
    const sov = panels.find((p) => p.kind === 'sovereignty');
    assert.deepEqual(sov?.tables[0].columns, ['layer', 'sovereign', 'total', 'sovereign %']);
    assert.deepEqual(sov?.tables[0].rows.map((r) => r[0]), ['perception', 'decision', 'narration']);
  });
});

describe('dashboard: sanitizeModel / restoreOriginals (untrusted trace text in the webview)', () => {
  const red = new Redactor({});
  const SECRET = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
  const model = {
    runs: [{ id: `run-${SECRET}`, status: 'failed' }],
    flows: [{ name: 'data/\u001b[31mfetch\u202e', reason: 'x'.repeat(10_000), p95Ms: 950 }],
    byClass: { 'DATA.EMPTY\u200b': 2 },
  };

  it('removes credentials and control characters, caps length, keeps numbers', () => {
    const originals = new Map<string, string>();
    const safe = sanitizeModel(model, red, originals);
    const text = JSON.stringify(safe);
    assert.ok(!text.includes(SECRET), text.slice(0, 200));
    assert.ok(!/[\u001b\u202e\u200b]/.test(text), 'no ESC, bidi or zero-width character');
    assert.equal(safe.flows[0].name, 'data/fetch');
    assert.equal(safe.flows[0].reason.length, 500);
    assert.equal(safe.flows[0].p95Ms, 950);
    assert.deepEqual(Object.keys(safe.byClass), ['DATA.EMPTY']);
  });

  it('maps what the webview sends back to the ids the trace wrote', () => {
    const originals = new Map<string, string>();
    const safe = sanitizeModel(model, red, originals);
    const back = restoreOriginals({ type: 'query', query: { selection: { kind: 'run', runId: safe.runs[0].id }, flowFilter: safe.flows[0].name } }, originals);
    assert.equal(back.query.selection.runId, `run-${SECRET}`);
    assert.equal(back.query.flowFilter, 'data/\u001b[31mfetch\u202e');
  });
});
