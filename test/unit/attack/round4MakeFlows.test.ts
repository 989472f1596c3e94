// [attacker4] issue 15 round 4: TraceWorkspace.makeFlows (flow objects made in slices, yielding)
// racing what else runs after a load: the index cache's write (snapshotRuns reads the columns and
// yields every 4096 flows), a refresh that appends, an abort halfway (objects made for some
// ordinals, the rest still columns, forEachFlow still walking columns). Every state must answer
// failures, counts, status and rollups as a plain read, and the cache it wrote must restore to it.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { workspaceDigest } from '../../support/plainModel';
import { facts, LATER, tmpdir } from './round3Support';
import { failureFacts, hostile, useWasmScanner } from './round4Support';

const WORKER = path.resolve('dist/indexWorker.js');

function ws(file: string, index: WorkspaceOptions['index'], cache?: string, notes?: string[]): TraceWorkspace {
  return TraceWorkspace.forFile(file, { now: () => LATER, index, ...(cache ? { indexCache: { dir: cache, log: (m: string) => notes?.push(m) } } : {}) });
}

describe('[attacker4] round 4: makeFlows in slices racing the cache write, a refresh, an abort', function () {
  this.timeout(120000);
  useWasmScanner();

  for (const index of [{ minBytes: 0, workers: 0 }, { minBytes: 0, workers: 1, workerScript: WORKER }] as const) {
    it(`workers ${index.workers}: makeFlows started as the load resolves, while the cache is written; then a warm reopen`, async () => {
      const file = path.join(tmpdir('r4mf'), 'trace.jsonl');
      fs.writeFileSync(file, hostile(12000).join('\n') + '\n');
      const plain = ws(file, false);
      await plain.load();
      const want = failureFacts(plain);
      const wantFacts = facts(plain);
      const wantModel = workspaceDigest(plain);
      const cache = tmpdir('r4mfc');
      const a = ws(file, index, cache);
      await a.load();
      const ids = a.runs().map((r) => r.id);
      const making = Promise.all(ids.map((id) => a.makeFlows(id)));
      // Read while both are under way (columns for some, objects for others).
      assert.deepEqual(failureFacts(a), want, 'while making');
      await Promise.all([making, a.cacheWritten()]);
      for (const id of ids) assert.equal(a.flowsMade(id), true, `${id} made`);
      assert.deepEqual(failureFacts(a), want, 'made');
      assert.deepEqual(facts(a), wantFacts, 'made: rollups');
      const notes: string[] = [];
      const warm = ws(file, index, cache, notes);
      await warm.load();
      assert.ok(notes.some((n) => n.includes(': restored ')), notes.join('; '));
      assert.deepEqual(failureFacts(warm), want, 'warm vs plain');
      assert.deepEqual(workspaceDigest(warm), wantModel, 'warm model vs plain');
    });
  }

  it('an abort halfway: some objects made, the columns still walked; then a refresh appends and the rest are made', async () => {
    const file = path.join(tmpdir('r4mfa'), 'trace.jsonl');
    fs.writeFileSync(file, hostile(12000).join('\n') + '\n');
    const a = ws(file, { minBytes: 0, workers: 0 });
    await a.load();
    const plain = ws(file, false);
    await plain.load();
    const ctl = new AbortController();
    const id = 'r1';
    // A clock that runs fast during the first (synchronous) slice: it ends after ~2k flows.
    const now = performance.now.bind(performance);
    let fake = now();
    performance.now = () => (fake += 5);
    let p: Promise<void>;
    try {
      p = a.makeFlows(id, ctl.signal);
    } finally {
      performance.now = now;
    }
    ctl.abort();
    await p;
    assert.equal(a.flowsMade(id), false, 'aborted before all were made (the test needs a partial state: make the trace bigger)');
    assert.deepEqual(failureFacts(a), failureFacts(plain), 'partly made, walked as columns');
    fs.appendFileSync(file, hostile(2000, 12001, false).join('\n') + '\n');
    await a.refresh();
    await plain.refresh();
    assert.deepEqual(failureFacts(a), failureFacts(plain), 'after a refresh');
    assert.deepEqual(workspaceDigest(a), workspaceDigest(plain), 'model after a refresh');
  });
});
