// [attacker4] issue 15 round 4: odd flow names and ids (empty, missing, numbers, null, booleans,
// whitespace, surrogate pairs cut by the display name's 8 characters, the name only) read from the
// columns (ColdCursor name/displayName/id) as from flow objects and a plain read.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { facts, LATER, tmpdir } from './round3Support';
import { failureFacts, J, T, useWasmScanner } from './round4Support';

const WORKER = path.resolve('dist/indexWorker.js');

async function open(file: string, index: WorkspaceOptions['index']): Promise<TraceWorkspace> {
  const ws = TraceWorkspace.forFile(file, { now: () => LATER, final: true, index });
  await ws.load();
  return ws;
}

describe('[attacker4] round 4: odd flow names and ids from columns', function () {
  this.timeout(60000);
  useWasmScanner();

  it('empty/missing/non-string names and ids, whitespace, surrogate pairs, name as id', async () => {
    const L = [J({ v: 1, event_type: 'session_start', run_id: 'r1', timestamp: T(0), app: 'a' })];
    const shapes: Record<string, unknown>[] = [
      { flow: '', flow_id: 'e1' },
      { flow_id: '', flow: 'emptyId' },
      { flow: 'nameOnly' },
      { flow: 'nameOnly2', flow_id: null },
      { flow_id: 123 },
      { flow_id: 12.5, flow: 7 },
      { flow_id: true, flow: false },
      { flow_id: 'w1', flow: null },
      { flow_id: ' ', flow: ' ' },
      { flow_id: '\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}x' }, // 11 UTF-16 units, cut at 8 by the display? (not > 12)
      { flow_id: 'abcdefg\u{1F600}\u{1F600}\u{1F600}' }, // 13 units: display cut inside a surrogate pair
      { flow_id: 'DEADBEEF-1234-5678-9abc-def012345678' },
      { flow_id: 'deadbeef-12345678' },
      { flow_id: 'x'.repeat(5000), flow: 'long' },
      { flow_id: '__proto__', flow: '__proto__' },
      { flow_id: 'valueOf' },
    ];
    shapes.forEach((s, k) => {
      L.push(J({ v: 1, run_id: 'r1', event_type: 'flow_start', timestamp: T(k * 10), ...s }));
      L.push(J({ v: 1, run_id: 'r1', event_type: k % 2 ? 'failure' : 'exception', timestamp: T(k * 10 + 3), failure_class: `K${k}`, ...s }));
    });
    // A second name for a flow that had none, and one for a flow that had one.
    L.push(J({ v: 1, run_id: 'r1', event_type: 'checkpoint', timestamp: T(500), flow_id: 'valueOf', flow: 'lateName' }));
    L.push(J({ v: 1, run_id: 'r1', event_type: 'checkpoint', timestamp: T(501), flow_id: 'e1', flow: 'second' }));
    const file = path.join(tmpdir('r4odd'), 'trace.jsonl');
    fs.writeFileSync(file, L.join('\n') + '\n');
    const plain = await open(file, false);
    const want = failureFacts(plain);
    const wantFacts = facts(plain);
    for (const index of [{ minBytes: 0, workers: 0 }, { minBytes: 0, workers: 1, workerScript: WORKER }]) {
      const cold = await open(file, index);
      assert.equal(cold.flowsMade('r1'), false, 'in columns');
      assert.deepEqual(failureFacts(cold), want, `workers ${index.workers}: from columns vs plain`);
      assert.deepEqual(facts(cold), wantFacts, `workers ${index.workers}: rollups from columns vs plain`);
      void cold.runs()[0].roots;
      assert.deepEqual(failureFacts(cold), want, `workers ${index.workers}: from objects vs plain`);
    }
  });
});
