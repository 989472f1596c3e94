// [attacker3] round 3: runs kept in columns (makeFlows false) then refreshed with an appended tail
// (session ends turning open flows orphaned, new verdicts with aliased classes on column flows,
// a child before its parent mid-tail) — the column rollups/counts/status read before any flow
// object is made must equal a plain read of the whole file, with and without the index cache.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { forEachFlow } from '../../../src/core/model/flowFacts';
import { workspaceDigest } from '../../support/plainModel';
import { LATER, facts, tmpdir } from './round3Support';

async function open(file: string, index: WorkspaceOptions['index'], final: boolean, cache?: string): Promise<TraceWorkspace> {
  const ws = TraceWorkspace.forFile(file, {
    now: () => LATER,
    final,
    index,
    ...(cache ? { indexCache: { dir: cache } } : {}),
  });
  await ws.load();
  await ws.cacheWritten();
  return ws;
}

function columnRuns(ws: TraceWorkspace): string[] {
  const out: string[] = [];
  for (const run of ws.runs()) forEachFlow(run, (f) => (typeof f.keep === 'function' && out.push(run.id), true));
  return out;
}

const J = JSON.stringify;
const T = (s: number): string => `2026-11-20T10:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}Z`;

function head(): string[] {
  const L: string[] = [];
  for (const r of ['r1', 'r2']) L.push(J({ v: 1, event_type: 'session_start', run_id: r, timestamp: T(0) }));
  for (let i = 0; i < 1200; i++) {
    const r = i % 2 ? 'r2' : 'r1';
    const fid = `f${i >> 1}`;
    L.push(J({ v: 1, run_id: r, event_type: 'flow_start', flow: `op${i % 5}`, flow_id: fid, timestamp: T(1 + (i % 50)), ...(i > 10 && i % 3 === 0 ? { parent_flow_id: `f${(i >> 1) - 3}` } : {}) }));
    if (i % 4 === 0) L.push(J({ v: 1, run_id: r, event_type: 'failure', flow_id: fid, timestamp: T(2 + (i % 50)), failure_class: `C${i % 3}` }));
    else if (i % 4 === 1) L.push(J({ v: 1, run_id: r, event_type: 'success', flow_id: fid, timestamp: T(2 + (i % 50)) }));
  }
  return L;
}

function tail(): string[] {
  const L: string[] = [];
  // New verdicts on flows in columns: fail→succeed, succeed→fail with an alias, open→exception.
  for (let k = 0; k < 100; k++) {
    L.push(J({ v: 1, run_id: 'r1', event_type: 'success', flow_id: `f${k * 2}`, timestamp: T(100) }));
    L.push(J({ v: 1, run_id: 'r2', event_type: 'failure', flow_id: `f${k * 2 + 1}`, class: 'TailAlias', timestamp: T(100) }));
    L.push(J({ v: 1, run_id: 'r2', event_type: 'exception', flow_id: `f${k * 2 + 2}`, error_class: 'TailErr', timestamp: T(100) }));
  }
  for (let k = 0; k < 50; k++) L.push(J({ v: 1, run_id: 'r1', event_type: 'flow_start', flow: 'new', flow_id: `n${k}`, parent_flow_id: `f${k}`, timestamp: T(101) }));
  L.push(J({ v: 1, run_id: 'r1', event_type: 'session_end', timestamp: T(102), status: 'ok' }));
  L.push(J({ v: 1, run_id: 'r2', event_type: 'flow_start', flow: 'kid', flow_id: 'kid', parent_flow_id: 'later', timestamp: T(103) }));
  L.push(J({ v: 1, run_id: 'r2', event_type: 'failure', flow: 'kid', flow_id: 'kid', failure_class: 'K', timestamp: T(104) }));
  L.push(J({ v: 1, run_id: 'r2', event_type: 'flow_start', flow: 'later', flow_id: 'later', timestamp: T(105) }));
  return L;
}

describe('[attacker3] round 3: runs in columns refreshed with an appended tail', () => {
  for (const final of [true, false]) {
    for (const cached of [false, true]) {
      it(`final ${final}, cache ${cached}: facts before flows are made equal a plain read of the whole file`, async () => {
        const root = tmpdir('t');
        const file = path.join(root, 'trace.jsonl');
        fs.writeFileSync(file, head().join('\n') + '\n');
        const cache = cached ? tmpdir('c') : undefined;
        const ws = await open(file, { minBytes: 0, workers: 0, makeFlows: false }, final, cache);
        assert.ok(columnRuns(ws).length === 2, `both runs in columns after the load (${columnRuns(ws).join(',')})`);
        fs.appendFileSync(file, tail().join('\n') + '\n');
        await ws.refresh();
        const plain = await open(file, false, final);
        assert.deepEqual(facts(ws), facts(plain), 'refreshed columns vs plain');
        assert.deepEqual(workspaceDigest(ws), workspaceDigest(plain), 'model');
        if (cache) {
          await ws.cacheWritten();
          const warm = await open(file, { minBytes: 0, workers: 0, makeFlows: false }, final, cache);
          assert.deepEqual(facts(warm), facts(plain), 'warm after the tail vs plain');
          assert.deepEqual(workspaceDigest(warm), workspaceDigest(plain), 'warm model');
        }
      });
    }
  }
});
