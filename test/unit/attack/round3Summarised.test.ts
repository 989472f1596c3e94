// [attacker3] round 3: runs summarised / capped by maxEventsPerSource while their flows are
// columns (events released; the verdict event and the class recorded at merge time stay) —
// rollups/counts/status read from the columns, then the cache and its warm reopen, equal a plain read.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { workspaceDigest } from '../../support/plainModel';
import { LATER, facts, tmpdir } from './round3Support';

async function open(file: string, index: WorkspaceOptions['index'], max: number, cache?: string): Promise<TraceWorkspace> {
  const ws = TraceWorkspace.forFile(file, { now: () => LATER, final: true, index, maxEventsPerSource: max, ...(cache ? { indexCache: { dir: cache } } : {}) });
  await ws.load();
  await ws.cacheWritten();
  return ws;
}

const J = JSON.stringify;
const T = (s: number): string => `2026-11-20T1${Math.floor(s / 3600) % 10}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}Z`;

function trace(): string[] {
  const L: string[] = [];
  for (let r = 0; r < 4; r++) {
    const run = `r${r}`;
    L.push(J({ v: 1, event_type: 'session_start', run_id: run, timestamp: T(r * 1000) }));
    for (let i = 0; i < 700; i++) {
      const fid = `f${i}`;
      const t = r * 1000 + (i % 300);
      L.push(J({ v: 1, run_id: run, event_type: 'flow_start', flow: `op${i % 4}`, flow_id: fid, timestamp: T(t), ...(i > 3 && i % 2 ? { parent_flow_id: `f${i - 2}` } : {}) }));
      L.push(J({ v: 1, run_id: run, event_type: 'checkpoint', flow_id: fid, step: 's', timestamp: T(t) }));
      if (i % 5 === 0) L.push(J({ v: 1, run_id: run, event_type: 'failure', flow_id: fid, ...(i % 10 ? { failure_class: `C${i % 3}` } : { class: 'Al' }), timestamp: T(t + 1) }));
      else if (i % 5 === 1) L.push(J({ v: 1, run_id: run, event_type: 'exception', flow_id: fid, timestamp: i % 3 ? T(t) : undefined }));
      else if (i % 5 === 2) L.push(J({ v: 1, run_id: run, event_type: 'success', flow_id: fid, duration_ms: i % 7, timestamp: T(t + 2) }));
    }
    if (r < 3) L.push(J({ v: 1, event_type: 'session_end', run_id: run, timestamp: T(r * 1000 + 400) }));
  }
  return L;
}

describe('[attacker3] round 3: summarised and capped runs in columns', () => {
  for (const max of [1500, 4000]) {
    it(`maxEventsPerSource ${max}: columns, cache-writing and warm reads equal a plain read`, async () => {
      const root = tmpdir('t');
      const file = path.join(root, 'trace.jsonl');
      fs.writeFileSync(file, trace().join('\n') + '\n');
      const plain = await open(file, false, max);
      assert.ok(plain.runs().some((r) => r.cap !== undefined), 'some run is capped or summarised');
      const want = facts(plain);
      const wantModel = workspaceDigest(plain);
      const cache = tmpdir('c');
      const cold = await open(file, { minBytes: 0, workers: 0, makeFlows: false }, max, cache);
      assert.deepEqual(facts(cold), want, 'columns vs plain');
      const warm = await open(file, { minBytes: 0, workers: 0, makeFlows: false }, max, cache);
      assert.deepEqual(facts(warm), want, 'warm vs plain');
      assert.deepEqual(workspaceDigest(warm), wantModel, 'warm model');
      assert.deepEqual(workspaceDigest(cold), wantModel, 'cold model');
    });
  }
});
