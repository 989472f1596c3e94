// [attacker3] round 3: one run fed by two indexed sources (the run's flows are columns in the
// first file's storage; the second file's events are read as objects and kept in it; its
// failures hit flows made by the first) — column rollups, the cache and a warm reopen vs plain.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { workspaceDigest } from '../../support/plainModel';
import { LATER, facts, tmpdir } from './round3Support';

async function open(root: string, index: WorkspaceOptions['index'], cache?: string): Promise<{ ws: TraceWorkspace; notes: string[] }> {
  const notes: string[] = [];
  const ws = new TraceWorkspace(root, { now: () => LATER, final: true, index, ...(cache ? { indexCache: { dir: cache, log: (m: string) => notes.push(m) } } : {}) });
  await ws.load();
  await ws.cacheWritten();
  return { ws, notes };
}

const J = JSON.stringify;
const T = (s: number): string => `2026-11-20T10:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}Z`;

describe('[attacker3] round 3: one run from two indexed sources', () => {
  it('flows made by file A in columns, verdicts and children from file B', async () => {
    const root = tmpdir('r3two');
    const cache = tmpdir('r3two-c');
    const a: string[] = [J({ v: 1, event_type: 'session_start', run_id: 'shared', timestamp: T(0) })];
    const b: string[] = [];
    for (let i = 0; i < 800; i++) {
      a.push(J({ v: 1, run_id: 'shared', event_type: 'flow_start', flow: `op${i % 3}`, flow_id: `f${i}`, timestamp: T(1 + (i % 100)), ...(i > 0 && i % 4 === 0 ? { parent_flow_id: `f${i - 1}` } : {}) }));
      if (i % 3 === 0) a.push(J({ v: 1, run_id: 'shared', event_type: 'failure', flow_id: `f${i}`, failure_class: 'InA', timestamp: T(2 + (i % 100)) }));
      if (i % 5 === 0) b.push(J({ v: 1, run_id: 'shared', event_type: i % 2 ? 'exception' : 'failure', flow_id: `f${i}`, ...(i % 3 ? { class: 'InB' } : {}), timestamp: T(3 + (i % 100)) }));
      if (i % 7 === 0) b.push(J({ v: 1, run_id: 'shared', event_type: 'success', flow_id: `f${i}`, timestamp: T(4 + (i % 100)) }));
      if (i % 11 === 0) b.push(J({ v: 1, run_id: 'shared', event_type: 'flow_start', flow: 'b', flow_id: `b${i}`, parent_flow_id: `f${i}`, timestamp: T(5) }));
      if (i % 13 === 0) b.push(J({ v: 1, run_id: 'other', event_type: 'failure', flow: 'o', flow_id: `f${i}`, failure_class: 'Other', timestamp: T(6) }));
    }
    for (const [dir, lines] of [['20261120T100000Z-aaaa', a], ['20261120T100001Z-bbbb', b]] as const) {
      fs.mkdirSync(path.join(root, 'runs', dir), { recursive: true });
      fs.writeFileSync(path.join(root, 'runs', dir, 'trace.jsonl'), lines.join('\n') + '\n');
    }
    const plain = await open(root, false);
    const want = facts(plain.ws);
    assert.ok(plain.ws.runs().some((r) => r.sources.length === 2), `a run with two sources: ${J(plain.ws.runs().map((r) => [r.id, r.sources]))}`);
    const cold = await open(root, { minBytes: 0, workers: 0, makeFlows: false }, cache);
    assert.deepEqual(facts(cold.ws), want, 'columns vs plain');
    const warm = await open(root, { minBytes: 0, workers: 0, makeFlows: false }, cache);
    assert.deepEqual(facts(warm.ws), want, `warm vs plain (${warm.notes.join('; ')})`);
    assert.deepEqual(workspaceDigest(cold.ws), workspaceDigest(plain.ws), 'cold model');
    assert.deepEqual(workspaceDigest(warm.ws), workspaceDigest(plain.ws), 'warm model');
  });
});
