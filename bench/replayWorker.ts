/**
 * A stand-in for the index worker (src/core/read/index/worker.ts) that scans its whole range
 * BEFORE posting anything, then posts the batches as fast as the merge acknowledges them: an
 * infinitely fast scanner, so the main thread's merge is all that is left to measure
 * (bench/mergeChild.ts `replay`). Same messages and back-pressure as the real worker.
 */
import { parentPort } from 'node:worker_threads';
import { scanRange, type ScanBatch } from '../src/core/read/index/scan';
import type { WorkerScan } from '../src/core/read/index/workerPool';

const port = parentPort;
if (port) {
  // Made by the pool (src/core/read/index/workerPool.ts): one `{ type: 'scan', opts }` at a time.
  let window = Infinity;
  let batches: ScanBatch[] = [];
  let inFlight = 0;
  let next = 0;
  let summary: unknown;
  const transfer = (b: ScanBatch): ArrayBuffer[] =>
    [b.offset, b.len, b.line, b.sub, b.kind, b.type, b.run, b.flow, b.flowId, b.parent, b.step, b.failureClass, b.tags, b.corr, b.ts, b.dur, b.sev].map(
      (a) => a.buffer as ArrayBuffer,
    );
  const pump = (): void => {
    while (inFlight < window && next < batches.length) {
      const b = batches[next++];
      inFlight++;
      // Columns may share one buffer (the WASM scanner's batches): each buffer listed once.
      port.postMessage({ type: 'batch', batch: b }, [...new Set(transfer(b))]);
    }
    if (next === batches.length && summary !== undefined) {
      port.postMessage({ type: 'done', summary });
      summary = undefined;
    }
  };
  const scan = (opts: WorkerScan): void => {
    window = Math.max(1, opts.window ?? Infinity);
    batches = [];
    inFlight = 0;
    next = 0;
    summary = undefined;
    scanRange(opts, (b) => batches.push(b), () => undefined).then(
      (s) => {
        summary = s;
        pump();
      },
      (e: unknown) => port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
  };
  port.on('message', (m: unknown) => {
    if (m === 'ack') {
      inFlight--;
      pump();
    } else if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'scan') scan((m as { opts: WorkerScan }).opts);
  });
}
