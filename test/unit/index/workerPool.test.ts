import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { abortError, findWorkerScript, indexFileParallel, isAbort } from '../../../src/core/read/index/parallel';
import { drainWorkerPool, workerPoolStats } from '../../../src/core/read/index/workerPool';
import type { ScanBatch } from '../../../src/core/read/index/scan';
import { TraceWorkspace } from '../../../src/core/read/workspace';

const WORKER = path.resolve('dist/indexWorker.js');

/** `lines` v1 lines of one run whose ids carry `tag` (so two files' records differ). */
function trace(tag: string, lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    out.push(JSON.stringify({ v: 1, event_type: i % 5 === 4 ? 'success' : 'checkpoint', run_id: `${tag}-run`, flow: `f/${i % 7}`, flow_id: `${tag}-${Math.floor(i / 5)}`, timestamp: `2026-12-01T10:00:${String(i % 60).padStart(2, '0')}Z` }));
  }
  return out.join('\n') + '\n';
}

/** What a scan hands over, as plain data: every record's offset, type and flow id. */
async function scanAll(file: string, script: string, signal?: AbortSignal, onFirst?: () => void): Promise<string[]> {
  const seen: string[] = [];
  await indexFileParallel({
    file, size: fs.statSync(file).size, final: true, workers: 1, workerScript: script, batchRecords: 500, signal,
    onBatch: (b: ScanBatch, strings) => {
      for (let i = 0; i < b.n; i++) seen.push(`${b.offset[i]}:${strings[b.type[i]]}:${b.flowId[i] < 0 ? '' : strings[b.flowId[i]]}`);
      onFirst?.();
    },
  });
  return seen;
}

describe('index: workers are reused across files (workerPool.ts)', function () {
  this.timeout(60000);
  let root: string;
  let script: string;

  before(() => {
    const s = findWorkerScript(WORKER);
    assert.ok(s, 'dist/indexWorker.js: run `npm run build` first');
    script = s;
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-pool-'));
  });
  after(async () => {
    await drainWorkerPool();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the next file is scanned by the worker the previous one used, with the same records as a fresh worker', async () => {
    await drainWorkerPool();
    const a = path.join(root, 'a.jsonl');
    const b = path.join(root, 'b.jsonl');
    fs.writeFileSync(a, trace('a', 3000));
    fs.writeFileSync(b, trace('b', 2000));
    const s0 = workerPoolStats();
    const first = await scanAll(a, script);
    const s1 = workerPoolStats();
    assert.equal(s1.made - s0.made, 1, 'a worker is made for the first file');
    assert.equal(s1.idle, 1, 'and waits for the next scan');
    const second = await scanAll(b, script);
    const s2 = workerPoolStats();
    assert.equal(s2.made, s1.made, 'no new worker for the second file');
    assert.equal(s2.reused - s1.reused, 1);
    assert.equal(second.length, 2000);
    assert.ok(second.every((r) => r.includes(':b-')), 'the second file\'s records, not the first one\'s');
    // A fresh worker gives exactly the same records for both files.
    await drainWorkerPool();
    assert.deepEqual(await scanAll(a, script), first);
    await drainWorkerPool();
    assert.deepEqual(await scanAll(b, script), second);
  });

  it('a cancelled scan\'s worker is terminated, not reused; the next scan gets a new one and reads everything', async () => {
    await drainWorkerPool();
    const a = path.join(root, 'c.jsonl');
    fs.writeFileSync(a, trace('c', 20000));
    const ctl = new AbortController();
    const s0 = workerPoolStats();
    await assert.rejects(scanAll(a, script, ctl.signal, () => ctl.abort()), (e: unknown) => isAbort(e));
    assert.equal(workerPoolStats().idle, 0, 'nothing idle after a cancel');
    const all = await scanAll(a, script);
    assert.equal(all.length, 20000);
    assert.equal(workerPoolStats().made - s0.made, 2, 'a second worker was made');
  });

  it('a workspace load keeps no idle worker after it; its hint pass starts a fresh one and still hints every store', async () => {
    await drainWorkerPool();
    const ws = path.join(root, 'ws');
    for (const k of ['r1', 'r2']) {
      fs.mkdirSync(path.join(ws, 'runs', k, '.autodev'), { recursive: true });
      fs.writeFileSync(path.join(ws, 'runs', k, '.autodev', 'trace.jsonl'), trace(k, 3000));
    }
    const s0 = workerPoolStats();
    const w = new TraceWorkspace(ws, { index: { minBytes: 0, workers: 1, workerScript: script, backgroundHints: true } });
    await w.load();
    const s1 = workerPoolStats();
    assert.equal(s1.made - s0.made, 1, 'one worker for both files');
    assert.equal(s1.reused - s0.reused, 1, 'the second file reused it');
    assert.equal(s1.idle, 0, 'none kept idle once the load resolved');
    assert.equal(await w.hintsSettled(), 2, 'both stores hinted');
    assert.equal(workerPoolStats().made - s1.made, 1, 'the hint pass made its own');
    assert.equal(w.runs().reduce((n, r) => n + (r.counts?.total ?? 0), 0), 6000);
    w.dispose();
  });

  it('a failed merge (onBatch throws) with the scan still running: the worker is terminated', async () => {
    await drainWorkerPool();
    const a = path.join(root, 'd.jsonl');
    fs.writeFileSync(a, trace('d', 20000));
    await assert.rejects(
      indexFileParallel({ file: a, size: fs.statSync(a).size, final: true, workers: 1, workerScript: script, batchRecords: 500, onBatch: () => { throw abortError(); } }),
      (e: unknown) => isAbort(e),
    );
    assert.equal(workerPoolStats().idle, 0);
  });
});
