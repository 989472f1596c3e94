// [attacker4] issue 15 round 4: runs in columns whose events are capped or summarised
// (maxEventsPerSource) answer failures, verdict counts, status and every flow's facts as a plain
// read does, and the catalog check (catalog.ts validateAgainstRuns, now over forEachFlow) sees the
// same flow names — including names that are Object.prototype keys — without making flows.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { catalogOf, parseFlows, defaultRa, validateAgainstRuns } from '../../../src/core/read/catalog';
import { facts, LATER, tmpdir } from './round3Support';
import { failureFacts, hostile, J, T, useWasmScanner } from './round4Support';

const WORKER = path.resolve('dist/indexWorker.js');

async function open(file: string, index: WorkspaceOptions['index'], maxEventsPerSource?: number): Promise<TraceWorkspace> {
  const ws = TraceWorkspace.forFile(file, { now: () => LATER, final: true, index, ...(maxEventsPerSource !== undefined ? { maxEventsPerSource } : {}) });
  await ws.load();
  return ws;
}

const FLOWS = `version: 1
flows:
  - id: "constructor"
    enabled: true
  - id: "__proto__"
    enabled: true
  - id: "svc/op1"
    enabled: true
  - id: "named/never"
    enabled: true
  - id: "toString"
    enabled: false
  - id: "hasOwnProperty"
    enabled: true
`;

describe('[attacker4] round 4: capped/summarised runs in columns; the catalog check over columns', function () {
  this.timeout(120000);
  useWasmScanner();

  for (const cap of [1500, 6000]) {
    it(`maxEventsPerSource ${cap}: failures, counts, status, rollups vs a plain read`, async () => {
      const file = path.join(tmpdir('r4cap'), 'trace.jsonl');
      // r1 ends early (oldest: summarised first), then the hostile flows of r1..r3.
      const L = [J({ v: 1, event_type: 'session_start', run_id: 'r0', timestamp: T(0), app: 'a' })];
      for (let i = 0; i < 800; i++) L.push(J({ v: 1, run_id: 'r0', event_type: i % 9 === 0 ? 'failure' : 'success', flow: 'old', flow_id: `o${i}`, timestamp: T(i) }));
      L.push(J({ v: 1, run_id: 'r0', event_type: 'session_end', timestamp: T(900), status: 'ok' }));
      L.push(...hostile(4000));
      fs.writeFileSync(file, L.join('\n') + '\n');
      const plain = await open(file, false, cap);
      const want = failureFacts(plain);
      const wantFacts = facts(plain);
      assert.ok(plain.runs().some((r) => r.cap !== undefined), 'some run is capped or summarised');
      for (const index of [{ minBytes: 0, workers: 0 }, { minBytes: 0, workers: 1, workerScript: WORKER }]) {
        const cold = await open(file, index, cap);
        // Summarising makes a run's flows (docs/decisions.md); a capped run stays in columns.
        assert.ok(cold.runs().some((r) => !cold.flowsMade(r.id)), `cap ${cap}: some run in columns: ${cold.runs().map((r) => `${r.id}:${r.cap?.mode}:${cold.flowsMade(r.id)}`).join(' ')}`);
        assert.deepEqual(failureFacts(cold), want, `cap ${cap} workers ${index.workers}: failures etc. vs plain`);
        assert.deepEqual(facts(cold), wantFacts, `cap ${cap} workers ${index.workers}: rollups vs plain`);
      }
    });
  }

  it('validateAgainstRuns from columns: the same problems as from flow objects and a plain read', async () => {
    const root = tmpdir('r4cat');
    const file = path.join(root, 'trace.jsonl');
    const L = hostile(3000);
    L.push(J({ v: 1, run_id: 'r2', event_type: 'success', flow: 'hasOwnProperty', flow_id: 'h1', timestamp: T(5) }));
    fs.writeFileSync(file, L.join('\n') + '\n');
    const flows = parseFlows(FLOWS, path.join(root, 'flows.yaml'));
    const catalog = catalogOf(root, defaultRa(), flows);
    const plain = await open(file, false);
    const want = validateAgainstRuns(catalog, plain.runs(), root, () => true);
    assert.ok(want.some((p) => p.message.includes('named/never')), JSON.stringify(want));
    assert.ok(!want.some((p) => p.message.includes('"constructor"') || p.message.includes('"__proto__"') || p.message.includes('"hasOwnProperty"')), JSON.stringify(want));
    const cold = await open(file, { minBytes: 0, workers: 0 });
    const inColumns = cold.runs().filter((r) => !cold.flowsMade(r.id)).map((r) => r.id);
    assert.ok(inColumns.length > 0, 'runs in columns');
    assert.deepEqual(validateAgainstRuns(catalog, cold.runs(), root, () => true), want, 'from columns');
    assert.deepEqual(cold.runs().filter((r) => !cold.flowsMade(r.id)).map((r) => r.id), inColumns, 'no flow made by the check');
    for (const r of cold.runs()) void r.roots;
    assert.deepEqual(validateAgainstRuns(catalog, cold.runs(), root, () => true), want, 'from objects');
  });
});
