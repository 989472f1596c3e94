// [attacker4] issue 15 round 4: runs fed by two indexed files — their flows are columns in the
// first file's storage, the second file's events are kept there as objects (verdicts, names and
// events of flows made by the first). Failures (verdict events from the other file), counts,
// status and every flow's events read through ColdCursor must be a plain read's; also with the
// real worker and after the flows are made.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { facts, LATER, tmpdir } from './round3Support';
import { failureFacts, flowId, hostile, J, T, useWasmScanner } from './round4Support';

const WORKER = path.resolve('dist/indexWorker.js');

async function open(root: string, index: WorkspaceOptions['index']): Promise<TraceWorkspace> {
  const ws = new TraceWorkspace(root, { now: () => LATER, final: true, index });
  await ws.load();
  return ws;
}

describe('[attacker4] round 4: runs fed by two indexed files, failures from columns', function () {
  this.timeout(120000);
  useWasmScanner();

  it('verdicts, names and new flows of file A\'s runs in file B', async () => {
    const root = tmpdir('r4two');
    const a = hostile(5000);
    const b: string[] = [];
    for (let i = 0; i < 5000; i += 2) {
      const run = i % 7 === 0 ? 'r2' : i % 13 === 0 ? 'r3' : 'r1';
      const base = { v: 1, run_id: run, flow_id: flowId(i) };
      if (i % 8 === 0) b.push(J({ ...base, event_type: 'success', timestamp: T(800000 + i) }));
      else if (i % 8 === 2) b.push(J({ ...base, event_type: 'exception', flow: 'fromB', timestamp: T(800000 + i), failure_class: 'InB' }));
      else if (i % 8 === 4) b.push(J({ ...base, event_type: 'checkpoint', flow: 'fromB', timestamp: T(800000 + i), step: 'b' }));
      else b.push(J({ ...base, event_type: 'failure', failure_class: 'InB2' }));
      if (i % 50 === 0) b.push(J({ v: 1, run_id: run, event_type: 'failure', failure_class: 'FlowlessB', timestamp: T(800000 + i) }));
    }
    for (const [dir, lines] of [['20261120T100000Z-aaaa', a], ['20261120T100001Z-bbbb', b]] as const) {
      fs.mkdirSync(path.join(root, 'runs', dir), { recursive: true });
      fs.writeFileSync(path.join(root, 'runs', dir, 'trace.jsonl'), lines.join('\n') + '\n');
    }
    const plain = await open(root, false);
    assert.ok(plain.runs().some((r) => r.sources.length === 2), `a run with two sources: ${J(plain.runs().map((r) => [r.id, r.sources.length]))}`);
    const want = failureFacts(plain);
    const wantFacts = facts(plain);
    for (const index of [
      { minBytes: 0, workers: 0 }, { minBytes: 0, workers: 1, workerScript: WORKER },
      // Made in slices at the end of each source's index, while the other source merges into the same runs.
      { minBytes: 0, workers: 2, workerScript: WORKER, makeFlows: true, batchRecords: 300 }, { minBytes: 0, workers: 0, makeFlows: true, batchRecords: 300 },
    ]) {
      const cold = await open(root, index);
      const inColumns = cold.runs().filter((r) => !cold.flowsMade(r.id)).map((r) => r.id);
      if (!('makeFlows' in index)) assert.ok(inColumns.length > 0, `workers ${index.workers}: some run in columns`);
      assert.deepEqual(failureFacts(cold), want, `workers ${index.workers}: from columns vs plain (in columns: ${inColumns.join(',')})`);
      assert.deepEqual(facts(cold), wantFacts, `workers ${index.workers}: rollups vs plain`);
      for (const r of cold.runs()) void r.roots;
      assert.deepEqual(failureFacts(cold), want, `workers ${index.workers}: from objects vs plain`);
    }
  });
});
