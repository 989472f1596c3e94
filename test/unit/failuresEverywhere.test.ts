// Issue 16 (round 2), in the core (src/core/analyze/queries.ts): a failure marks every ancestor
// (`worstInside`, `worstOf`) and an error-severity event outside any flow is a failure
// (`runFailures`/`failures`, `asFailureEvent`) — on real fixtures: the demo workspace's v1 run
// c4e8 (a succeeded premarket/prepare over a failing child) and the esper-lite telemetry folder of
// test/fixtures/stores (3 GOVERNOR_ROLLBACK events with severity error).
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Run } from '../../src/core/model/types';
import { failures, isFailing, runFailures, worstInside, worstOf } from '../../src/core/analyze/queries';
import { TraceWorkspace } from '../../src/core/read/workspace';
import { failuresText } from '../../src/core/render/askArtifacts';
import { buildAskMd } from '../../src/core/render/ask';

const DEMO = path.resolve('test/fixtures/demo-app');
const STORES = path.resolve('test/fixtures/stores');
const ESPER = 'telemetry_2026-11-20_080000';

async function load(root: string): Promise<TraceWorkspace> {
  const ws = new TraceWorkspace(root, { now: () => Date.UTC(2030, 0, 1), final: true });
  await ws.load();
  return ws;
}

describe('issue 16: a failure marks every ancestor (queries.worstInside)', () => {
  let run: Run;
  before(async () => {
    run = (await load(DEMO)).getRun('20261119T190000Z-c4e8') as Run;
    assert.equal(run.dialect, 'flowscribe-v1');
  });

  it('gives a succeeded flow with a failing descendant the failing state inside', () => {
    const parent = [...run.flows.values()].find((f) => f.name === 'premarket/prepare');
    assert.ok(parent, 'premarket/prepare');
    assert.equal(parent.verdict, 'succeeded');
    const inside = worstInside(run, parent);
    assert.ok(inside && isFailing(inside), `worst inside: ${inside}`);
    // The root of the run contains it too, whatever its own verdict.
    for (const root of run.roots) if (root !== parent && [...run.flows.values()].some((f) => f.parentId === root.id)) assert.ok(worstInside(run, root));
  });

  it('gives nothing inside a leaf, and the worst of a set includes the flows themselves', () => {
    const leaf = [...run.flows.values()].find((f) => !f.children.length);
    assert.ok(leaf);
    assert.equal(worstInside(run, leaf), undefined);
    assert.equal(worstOf(run, [leaf]), leaf.verdict);
    assert.ok(isFailing(worstOf(run, run.roots) ?? 'succeeded'), 'the roots contain the failure');
  });

  it('matches a plain recursive walk for every flow of every demo run', async () => {
    const ws = await load(DEMO);
    const rank = { succeeded: 0, running: 1, orphaned: 2, failed: 3, exception: 4 } as const;
    for (const r of ws.runs()) {
      for (const f of r.flows.values()) {
        let best = -1;
        const walk = (n: typeof f): void => { for (const c of n.children) { best = Math.max(best, rank[c.verdict]); walk(c); } };
        walk(f);
        const got = worstInside(r, f);
        assert.equal(got === undefined ? -1 : rank[got], best, `${r.id} ${f.id}`);
      }
    }
  });
});

describe('issue 16: error-severity events outside flows are failures (esper-lite)', () => {
  let run: Run;
  before(async () => {
    run = (await load(STORES)).getRun(ESPER) as Run;
    assert.equal(run.dialect, 'esper');
    assert.equal(run.flows.size, 0);
  });

  it('lists each GOVERNOR_ROLLBACK with its type as class and its message as reason', () => {
    const list = runFailures(run);
    assert.equal(list.length, 3);
    for (const f of list) {
      assert.equal(f.flow, undefined);
      assert.equal(f.event.type, 'GOVERNOR_ROLLBACK');
      assert.equal(f.event.failureClass, 'GOVERNOR_ROLLBACK');
      assert.equal(f.event.reason, 'governor rollback');
      assert.equal(f.event.severity, 'error');
      assert.ok(f.event.src.line > 0, 'located in the trace file');
    }
    // Stable: the same objects on a second ask (memoised per run version).
    assert.equal(runFailures(run)[0].event, list[0].event);
    assert.equal(failures([run]).length, 3);
  });

  it('reaches the LM tools and ask.md', () => {
    const text = failuresText([run]);
    assert.match(text, /^3 failure\(s\)/);
    assert.match(text, /"class":"GOVERNOR_ROLLBACK"/);
    assert.match(text, /"reason":"governor rollback"/);
    const md = buildAskMd(run);
    assert.match(md, /GOVERNOR_ROLLBACK/);
  });

  it('does not count warning events, nor error events of a flow (its verdict decides)', async () => {
    assert.ok(run.events.some((e) => e.severity === 'warning'));
    const demo = await load(DEMO);
    for (const r of demo.runs()) {
      for (const f of runFailures(r)) if (f.flow) assert.ok(isFailing(f.flow.verdict));
    }
  });
});

describe('issue 16: the counts short cut still holds with error severities', () => {
  it('does not walk a counted run whose error events are its failing verdicts', async () => {
    const run = (await load(DEMO)).getRun('20261119T140000Z-b7d2') as Run;
    const failing = [...run.flows.values()].filter((f) => isFailing(f.verdict));
    const errors = failing.filter((f) => f.verdictEvent?.severity === 'error' || f.verdictEvent?.severity === 'critical').length;
    const counts = { ...run.counts!, byType: { ...run.counts!.byType, failure: failing.filter((f) => f.verdict === 'failed').length, exception: failing.filter((f) => f.verdict === 'exception').length }, bySeverity: { error: errors } };
    const copy = Object.create(run, { counts: { value: counts }, events: { get: () => assert.fail('run.events read') } }) as Run;
    assert.equal(runFailures(copy).length, failing.length);
    // One more error event than the verdicts explain: the run is walked.
    const more = Object.create(run, { counts: { value: { ...counts, bySeverity: { error: errors + 1 } } }, events: { get: () => { throw new Error('walked'); } } }) as Run;
    assert.throws(() => runFailures(more), /walked/);
  });
});
