/**
 * Worker-thread entry of the parallel index (bundled to dist/indexWorker.js by esbuild.mjs).
 * Scans the byte range given in `workerData` ({@link ScanOptions}) and posts
 * `{type: 'batch', batch}` messages (typed arrays transferred, not copied), then
 * `{type: 'done', summary}` or `{type: 'error', message}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scanRange, type ScanBatch, type ScanOptions } from './index/scan';

const port = parentPort;
if (port) {
  const opts = workerData as ScanOptions;
  const transfer = (b: ScanBatch): ArrayBuffer[] =>
    [b.offset, b.len, b.line, b.kind, b.type, b.run, b.flow, b.flowId, b.parent, b.step, b.failureClass, b.tags, b.corr, b.ts, b.dur, b.sev].map(
      (a) => a.buffer as ArrayBuffer,
    );
  scanRange(opts, (batch) => port.postMessage({ type: 'batch', batch }, transfer(batch))).then(
    (summary) => port.postMessage({ type: 'done', summary }),
    (e: unknown) => port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
}
