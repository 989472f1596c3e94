/**
 * The CLI's index (issue 15 item 3): its worker scans at normal priority (`index.background:
 * false`; the extension's keeps nice 10, test/unit/index/parallel.test.ts) and hands the merge
 * secret hints with every batch, so the run-scoped redactor skips clean lines — through a real
 * worker (dist/indexWorker.js), not only the in-thread scan of the unit tests.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { findWorkerScript, indexFileParallel } from '../../../src/core/read/index/parallel';
import { drainWorkerPool } from '../../../src/core/read/index/workerPool';
import type { ScanBatch } from '../../../src/core/read/index/scan';
import { wantsIndexWorker } from '../../../src/cli/bin';
import { DEFAULT_INDEX_MIN_BYTES } from '../../../src/core/read/workspace/options';

const WORKER = path.resolve('dist/indexWorker.js');

function lines(n: number): string {
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const ts = new Date(Date.parse('2026-12-01T09:00:00Z') + k).toISOString();
    out.push(JSON.stringify({ v: 1, event_type: 'checkpoint', run_id: 'r1', timestamp: ts, flow: 'a/b', flow_id: `f-${k}`, evidence: k % 4 === 0 ? { token: '***REDACTED***' } : { rows: k } }));
  }
  return out.join('\n') + '\n';
}

describe('CLI fast path: the index worker', () => {
  it('keeps normal priority with background: false, and sends hints: clean lines 0, pre-redacted ones as pruned text', async function () {
    if (process.platform !== 'linux') this.skip();
    const script = findWorkerScript(WORKER);
    assert.ok(script, 'dist/indexWorker.js: run `npm run build` first');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-fastpath-'));
    try {
      const file = path.join(root, 't.jsonl');
      fs.writeFileSync(file, lines(20000));
      const niceOf = (task: string): number => {
        const stat = fs.readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      };
      const base = niceOf(String(process.pid));
      // Threads of earlier tests (idle pooled workers, workers still exiting) are not this scan's.
      const before = new Set(fs.readdirSync('/proc/self/task'));
      let seen: number[] | undefined;
      const batches: ScanBatch[] = [];
      await indexFileParallel({
        file, size: fs.statSync(file).size, final: true, workers: 1, workerScript: script, batchRecords: 1000, hints: true, background: false,
        onBatch: (b) => {
          batches.push(b);
          seen ??= fs.readdirSync('/proc/self/task').filter((t) => !before.has(t)).map((t) => { try { return niceOf(t); } catch { return NaN; } });
        },
      });
      assert.ok(seen, 'no batch arrived');
      assert.ok(seen.length > 0, 'the scan ran in a thread of its own');
      assert.ok(seen.every((v) => Number.isNaN(v) || v === base), `every thread at nice ${base}: ${JSON.stringify(seen)}`);
      let clean = 0;
      let text = 0;
      for (const b of batches) {
        assert.ok(b.hint && b.hint.length === b.n, 'every batch carries hints');
        for (let i = 0; i < b.n; i++) {
          if (b.hint[i] === 0) clean++;
          else if (b.hint[i] === 2) {
            text++;
            assert.equal(b.strings[b.hintText![i]], '{"evidence":{"token":"***REDACTED***"}}');
          }
        }
      }
      assert.equal(clean, 15000);
      assert.equal(text, 5000);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('CLI fast path: hints made by an idle parent (the default; FLOWLENS_INDEX_HINTS_ON_PARENT=0 turns it off)', () => {
  it('give the merge exactly the hints the worker gives', async function () {
    this.timeout(60_000);
    const script = findWorkerScript(WORKER);
    assert.ok(script, 'dist/indexWorker.js: run `npm run build` first');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-fastpath-'));
    const before = process.env.FLOWLENS_INDEX_HINTS_ON_PARENT;
    try {
      const file = path.join(root, 't.jsonl');
      fs.writeFileSync(file, lines(20000));
      const run = async (onParent: boolean): Promise<string[]> => {
        // A worker reads the variable when it is made: none may be left from another run.
        await drainWorkerPool();
        process.env.FLOWLENS_INDEX_HINTS_ON_PARENT = onParent ? '1' : '0';
        const out: string[] = [];
        await indexFileParallel({
          file, size: fs.statSync(file).size, final: true, workers: 1, workerScript: script, batchRecords: 1000, hints: true, background: false,
          onBatch: (b) => {
            for (let i = 0; i < b.n; i++) out.push(b.hint![i] === 2 ? b.strings[b.hintText![i]] : String(b.hint![i]));
          },
        });
        return out;
      };
      const worker = await run(false);
      const parent = await run(true);
      assert.equal(worker.length, 20000);
      assert.deepEqual(parent, worker);
      assert.equal(worker.filter((h) => h === '0').length, 15000);
    } finally {
      if (before === undefined) delete process.env.FLOWLENS_INDEX_HINTS_ON_PARENT;
      else process.env.FLOWLENS_INDEX_HINTS_ON_PARENT = before;
      await drainWorkerPool();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('CLI fast path: the bootstrap (dist/cli.js) starts the index worker first', () => {
  let root: string;
  let big: string;
  before(function () {
    this.timeout(60_000);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-bin-'));
    // A trace just over the index's threshold, in a workspace folder.
    big = path.join(root, 'ws', '.autodev', 'trace.jsonl');
    fs.mkdirSync(path.dirname(big), { recursive: true });
    const chunk = lines(20000);
    const fd = fs.openSync(big, 'w');
    let size = 0;
    for (let k = 0; size < DEFAULT_INDEX_MIN_BYTES + 1; k++) size += fs.writeSync(fd, chunk.replaceAll('"r1"', `"r${k}"`));
    fs.closeSync(fd);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('only for a reading command given a big trace file, or a folder whose trace is big', () => {
    assert.equal(wantsIndexWorker(['flows', big, '--run', 'all', '--json']), true);
    assert.equal(wantsIndexWorker(['runs', path.join(root, 'ws')]), true);
    assert.equal(wantsIndexWorker(['diff', 'a', 'b', path.join(root, 'ws')]), true);
    assert.equal(wantsIndexWorker(['stores', big]), false);
    assert.equal(wantsIndexWorker(['mcp', '--root', path.join(root, 'ws')]), false);
    assert.equal(wantsIndexWorker(['flows', root]), false);
    assert.equal(wantsIndexWorker(['flows', path.join(root, 'nothing')]), false);
    assert.equal(wantsIndexWorker([]), false);
  });

  it('the index uses that worker (one worker in all), and a warm run that needs none still exits', function () {
    this.timeout(120_000);
    // Counts the index workers the process makes (the bootstrap's and the index's share the module).
    const preload = path.join(root, 'count.js');
    fs.writeFileSync(preload, `const wt = require('node:worker_threads'); let n = 0; let early = 0; const W = wt.Worker;
wt.Worker = class extends W { constructor(...a) { if (String(a[0]).endsWith('indexWorker.js')) { n++; if (!Object.keys(require.cache).some((k) => k.endsWith('cliMain.js'))) early++; } super(...a); } };
process.on('exit', () => process.stderr.write('index workers: ' + n + ' ' + early + '\\n'));`);
    const cache = path.join(root, 'cache');
    const run = (): { out: string; workers: string } => {
      const r = spawnSync(process.execPath, ['--require', preload, path.resolve('dist/cli.js'), 'flows', big, '--run', 'all', '--json'], {
        encoding: 'utf8', env: { ...process.env, FLOWLENS_CACHE_DIR: cache, NO_COLOR: '1' }, timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      return { out: r.stdout, workers: (/index workers: (\d+ \d+)/.exec(r.stderr) ?? [])[1] ?? '?' };
    };
    const cold = run();
    // One index worker, made before the CLI's bundle was loaded: the bootstrap's, which the index took.
    assert.equal(cold.workers, '1 1');
    assert.ok(fs.readdirSync(cache).some((f) => f.endsWith('.flidx')), 'the cold run wrote the index cache');
    const warm = run();
    // The warm run restores the index: the worker the bootstrap started is not used, and does not hold the process.
    assert.equal(warm.workers, '1 1');
    assert.equal(warm.out, cold.out);
    assert.ok(JSON.parse(cold.out).flows.length > 0);
  });
});
