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
import { findWorkerScript, indexFileParallel } from '../../../src/core/read/index/parallel';
import type { ScanBatch } from '../../../src/core/read/index/scan';

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
