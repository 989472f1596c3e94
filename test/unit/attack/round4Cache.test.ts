// [attacker4] issue 15 round 4: the persisted index written while the runs are still in columns
// (chains and flow times filled lazily: storage.ts nextsFilled/timesFilled, chainSnapshot), restored,
// then appended to and reopened — failures, counts, status, rollups and every flow's facts must be
// a plain read's, past two FILL_CHUNKs of records (16384 each) and three of flow times (5461 slots each), with the
// file's flow slots reserved from the first batch (indexMerge.ts) and a run holding most of them
// (ColdFlows.reserve) while two others hold few.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { workspaceDigest } from '../../support/plainModel';
import { facts, openFile, tmpdir } from './round3Support';
import { failureFacts, hostile, useWasmScanner } from './round4Support';

const WORKER = path.resolve('dist/indexWorker.js');
const J = JSON.stringify;
const T = (ms: number): string => new Date(Date.UTC(2026, 10, 20, 10) + ms).toISOString();

/**
 * `n` flows: r1 most, r2/r3 few; runs of flows whose first event has no time (their time slots
 * are never written: they must read unset, not 0, after a snapshot/restore), verdicts with and
 * without durations, every 7th flow open. `from`: the first flow's number (an append goes on).
 */
function trace(n: number, from = 0, starts = true): string {
  const L: string[] = [];
  if (starts) for (const r of ['r1', 'r2', 'r3']) L.push(J({ v: 1, event_type: 'session_start', run_id: r, timestamp: T(0), app: 'a' }));
  for (let i = from; i < from + n; i++) {
    const run = i % 11 === 0 ? 'r2' : i % 23 === 0 ? 'r3' : 'r1';
    const id = i % 3 === 0 ? String(i) : `f${i}`;
    // Long stretches of untimed flows, and the last 7000 (> one FILL_CHUNK of times) with no time
    // at all: their time slots are never written (unfilled memory, which must read unset).
    const timed = i < from + n - 7000 && Math.floor(i / 3000) % 2 === 0;
    const base: Record<string, unknown> = { v: 1, run_id: run, flow_id: id };
    L.push(J({ ...base, event_type: 'flow_start', ...(i % 4 !== 0 ? { flow: `op${i % 6}` } : {}), ...(timed ? { timestamp: T(i) } : {}) }));
    if (i % 7 === 0) continue;
    if (i % 5 === 0) L.push(J({ ...base, event_type: 'failure', failure_class: `C${i % 3}`, ...(timed ? { timestamp: T(i + 5) } : {}) }));
    else if (i % 5 === 1) L.push(J({ ...base, event_type: 'exception', ...(timed ? { duration_ms: i % 9 } : {}), ...(timed && i % 2 ? { timestamp: T(i + 7) } : {}) }));
    else L.push(J({ ...base, event_type: 'success', ...(timed ? { timestamp: T(i + 3) } : {}) }));
  }
  return L.join('\n') + '\n';
}

describe('[attacker4] round 4: cache written from columns (lazily filled chains/times), restored, appended', function () {
  this.timeout(180000);
  useWasmScanner();

  for (const [label, index] of [
    ['same thread', { minBytes: 0, workers: 0, makeFlows: false }],
    ['index worker', { minBytes: 0, workers: 1, workerScript: WORKER, makeFlows: false }],
  ] as const) {
    it(`20k flows over 3 runs (${label}): cold+cache, warm, warm+append equal a plain read`, async () => {
      const root = tmpdir('r4c');
      const file = path.join(root, 'trace.jsonl');
      fs.writeFileSync(file, trace(20000));
      const cache = tmpdir('r4cache');
      const plain = await openFile(file, false);
      const want = failureFacts(plain.ws);
      const wantFacts = facts(plain.ws);
      const first = await openFile(file, index, cache);
      assert.deepEqual(first.ws.runs().filter((r) => first.ws.flowsMade(r.id)).map((r) => r.id), [], 'all runs in columns while the cache is written');
      assert.deepEqual(failureFacts(first.ws), want, 'cold (cache written from columns) vs plain');
      const warm = await openFile(file, index, cache);
      assert.ok(warm.notes.some((n) => n.includes(': restored ')), warm.notes.join('; '));
      assert.deepEqual(facts(warm.ws), wantFacts, 'warm rollups vs plain');
      assert.deepEqual(failureFacts(warm.ws), want, 'warm vs plain');
      assert.deepEqual(workspaceDigest(warm.ws), workspaceDigest(plain.ws), 'warm model vs plain');

      // Append (new flows of every run, verdicts of open flows), reopen: restored + the tail.
      const extra: string[] = [];
      for (let i = 7; i < 20000; i += 7 * 97) extra.push(J({ v: 1, run_id: i % 11 === 0 ? 'r2' : i % 23 === 0 ? 'r3' : 'r1', flow_id: i % 3 === 0 ? String(i) : `f${i}`, event_type: 'failure', failure_class: 'Appended', timestamp: T(90000000 + i) }));
      fs.appendFileSync(file, extra.join('\n') + '\n' + trace(5000, 20000, false));
      const plain2 = await openFile(file, false);
      const again = await openFile(file, index, cache);
      assert.ok(again.notes.some((n) => n.includes('bytes after them are read now')), again.notes.join('; '));
      assert.deepEqual(failureFacts(again.ws), failureFacts(plain2.ws), 'warm + append vs plain');
      assert.deepEqual(facts(again.ws), facts(plain2.ws), 'warm + append rollups vs plain');
      // A third open restores what the second wrote (after the append, from its state).
      const third = await openFile(file, index, cache);
      assert.deepEqual(failureFacts(third.ws), failureFacts(plain2.ws), 'restored again vs plain');
    });
  }

  it('runs in columns and runs made (a child of another run\'s flow) in one cache, restored, appended', async () => {
    const root = tmpdir('r4cm');
    const file = path.join(root, 'trace.jsonl');
    fs.writeFileSync(file, hostile(6000, 0, true, true).join('\n') + '\n');
    const cache = tmpdir('r4cmc');
    const index = { minBytes: 0, workers: 0, makeFlows: false } as const;
    const plain = await openFile(file, false);
    const first = await openFile(file, index, cache);
    const states = first.ws.runs().map((r) => first.ws.flowsMade(r.id));
    assert.ok(states.includes(true) && states.includes(false), `mixed: ${states.join(',')}`);
    assert.deepEqual(failureFacts(first.ws), failureFacts(plain.ws), 'cold mixed vs plain');
    const warm = await openFile(file, index, cache);
    assert.ok(warm.notes.some((n) => n.includes(': restored ')), warm.notes.join('; '));
    assert.deepEqual(failureFacts(warm.ws), failureFacts(plain.ws), 'warm mixed vs plain');
    fs.appendFileSync(file, hostile(1500, 6001, false, true).join('\n') + '\n');
    const plain2 = await openFile(file, false);
    const again = await openFile(file, index, cache);
    assert.deepEqual(failureFacts(again.ws), failureFacts(plain2.ws), 'warm mixed + append vs plain');
    assert.deepEqual(workspaceDigest(again.ws), workspaceDigest(plain2.ws), 'warm mixed + append model vs plain');
  });
});
