// A refresh after the load (src/core/model/build.ts addItem → addToCold): lines appended to an
// indexed run whose flows are still the cold index's columns go to the columns — no flow object is
// made (a big live run's first refresh made ~300k at once) — and the refresh still reports the
// run and each flow it changed, with counts and failures equal to a plain read of the whole file.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { flowKey } from '../../../src/core/model/build';
import { failures, runStatus, runVerdictCounts } from '../../../src/core/analyze/queries';
import { TraceWorkspace } from '../../../src/core/read/workspace';

// The run is live (its open flows running) only while its last event is recent, so its clock
// starts ten minutes before the test runs, not at a fixed date (a fixed one went stale an hour later).
const T0 = Date.now() - 10 * 60_000;
const RUN = `${new Date(T0).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-live`;
const J = JSON.stringify;
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const line = (o: Record<string, unknown>): string => J({ v: 1, run_id: RUN, ...o }) + '\n';

function head(): string {
  let out = line({ event_type: 'session_start', timestamp: at(0) });
  for (let i = 0; i < 300; i++) {
    const flow_id = `f-${i}`;
    out += line({ event_type: 'flow_start', flow: `op/${i % 4}`, flow_id, timestamp: at(1 + i) });
    // Every third flow stays open (no verdict yet); every seventh fails.
    if (i % 3 === 2) continue;
    out += i % 7 === 0
      ? line({ event_type: 'failure', flow_id, failure_class: 'DATA.EMPTY', reason: `no rows ${i}`, timestamp: at(2 + i) })
      : line({ event_type: 'success', flow_id, timestamp: at(2 + i) });
  }
  return out;
}

describe('a refresh of a run still in columns', () => {
  let dir = '';
  let file = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-coldrefresh-'));
    file = path.join(dir, 'trace.jsonl');
    fs.writeFileSync(file, head());
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const plain = async (): Promise<TraceWorkspace> => {
    const ws = TraceWorkspace.forFile(file, { index: false });
    await ws.load();
    return ws;
  };
  const same = async (ws: TraceWorkspace, label: string): Promise<void> => {
    const p = await plain();
    const run = ws.getRun(RUN);
    const ref = p.getRun(RUN);
    assert.ok(run && ref, label);
    assert.deepEqual(runVerdictCounts(run), runVerdictCounts(ref), `${label}: verdict counts`);
    assert.equal(runStatus(run), runStatus(ref), `${label}: status`);
    const key = (f: ReturnType<typeof failures>[number]) => [f.flow?.id, f.flow?.verdict, f.flow?.name, f.flow?.durationMs, f.event.failureClass, f.event.reason];
    assert.deepEqual(failures([run]).map(key), failures([ref]).map(key), `${label}: failures`);
  };

  it('takes appended verdicts, new flows and a session end into the columns and reports each changed flow', async () => {
    const ws = TraceWorkspace.forFile(file, { index: { minBytes: 0, workers: 0 } });
    await ws.load();
    assert.equal(ws.flowsMade(RUN), false, 'the load left the run in columns');
    assert.ok(runVerdictCounts(ws.getRun(RUN)!).running >= 99, 'a live run: its open flows are running');
    await same(ws, 'after the load');

    // Verdicts for two open flows, a failure over a success, a new flow with its verdict.
    fs.appendFileSync(file, line({ event_type: 'failure', flow_id: 'f-2', failure_class: 'EXTERNAL.TIMEOUT', reason: 'late', timestamp: at(400) })
      + line({ event_type: 'success', flow_id: 'f-5', timestamp: at(401) })
      + line({ event_type: 'failure', flow_id: 'f-1', failure_class: 'DATA.STALE', reason: 'stale', timestamp: at(402) })
      + line({ event_type: 'flow_start', flow: 'op/new', flow_id: 'n-1', timestamp: at(403) })
      + line({ event_type: 'exception', flow_id: 'n-1', reason: 'boom', timestamp: at(404) }));
    const c1 = await ws.refresh();
    assert.equal(ws.flowsMade(RUN), false, 'still in columns after the refresh');
    assert.ok(c1.runs.has(RUN), 'the run is reported changed');
    assert.deepEqual([...c1.flows].sort(), ['f-1', 'f-2', 'f-5', 'n-1'].map((f) => flowKey(RUN, f)).sort(), 'each changed flow is reported');
    await same(ws, 'after appended verdicts');

    // The run ends: its open flows become orphaned, each reported; still no flow object.
    fs.appendFileSync(file, line({ event_type: 'session_end', status: 'ok', timestamp: at(500) }));
    const c2 = await ws.refresh();
    assert.equal(ws.flowsMade(RUN), false, 'still in columns after the session end');
    const open = runVerdictCounts(ws.getRun(RUN)!).orphaned;
    assert.ok(open >= 90, `the open flows were orphaned (${open})`);
    assert.ok(c2.flows.size >= open, `each orphaned flow is reported (${c2.flows.size} for ${open})`);
    await same(ws, 'after the session end');

    // Reading the flows now makes them, and they say the same.
    const run = ws.getRun(RUN)!;
    assert.equal(run.flows.get('f-2')?.verdict, 'failed');
    assert.equal(run.flows.get('n-1')?.verdict, 'exception');
    assert.equal(ws.flowsMade(RUN), true);
    await same(ws, 'after the objects were made');
  });
});
