/**
 * Worker-thread entry of the parallel index (bundled to dist/indexWorker.js by esbuild.mjs).
 Made by the pool
 * (workerPool.ts), it scans the byte range of each `{ type: 'scan', opts }` message it gets
 * ({@link WorkerScan}), one at a time, so the next file of a load reuses it: it posts
 * `{type: 'batch', batch}` messages (typed arrays transferred, not copied), then
 * `{type: 'done', summary}` or `{type: 'error', message}`.
 *
 * Back-pressure: at most `window` batches are in flight; the parent posts `'ack'` for each batch
 * it has merged. Ranges are merged in file order, so without this a later range would queue its
 * whole output in memory while the main thread is still merging an earlier one.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { scanRange, type ScanBatch } from './scan';
import { lowerThreadPriority } from '../threadPriority';
import { attachHints, hintRecords } from '../secretHint';
import type { WorkerScan } from './workerPool';

const port = parentPort;
if (port) {
  const data = workerData as { background?: boolean };
  if (data.background !== false) lowerThreadPriority();
  let window = Infinity;
  let inFlight = 0;
  let resume: (() => void) | undefined;
  const transfer = (b: ScanBatch): ArrayBuffer[] =>
    [b.offset, b.len, b.line, b.sub, b.kind, b.type, b.run, b.flow, b.flowId, b.parent, b.step, b.failureClass, b.tags, b.corr, b.ts, b.dur, b.sev].map(
      (a) => a.buffer as ArrayBuffer,
    );
  const scan = (opts: WorkerScan): void => {
    window = Math.max(1, opts.window ?? Infinity);
    inFlight = 0;
    resume = undefined;
    // On (FLOWLENS_INDEX_HINTS_ON_PARENT=0 turns it off). Measured on the 400k-line CLI file: while
    // the CLI made flow objects at the end of the load it gained nothing (the main thread was the
    // critical path); since the CLI makes none (model/flowFacts.ts), a quiet VM's interleaved first
    // runs went from 1.29-1.68 s (median 1.38) to 1.20-1.53 s (median 1.285).
    const parentHints = opts.hints === true && data.background === false && !opts.otlp && process.env.FLOWLENS_INDEX_HINTS_ON_PARENT !== '0';
    scanRange(
      opts,
      (batch) => {
        inFlight++;
        // Secret hints (src/core/read/secretHint.ts); the scan's prefilter verdicts, if it made them, are kept.
        // Re-reading, parsing and pruning the flagged lines is a quarter of this thread's work. A
        // parent that is not a UI thread (background: false: the CLI) and has merged every batch
        // before this one is idle, waiting for it: it makes them itself (parallel.ts).
        if (opts.hints) {
          // The acknowledgements that arrived while this batch was scanned, read now (the loop of
          // this thread has not turned since), so `inFlight` says whether the parent is idle.
          if (parentHints) {
            for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
              const msg: unknown = m.message;
              // Anything else (the pool posts no scan during one) waits for this thread's next turn.
              if (msg === 'ack') onMessage(msg);
              else setImmediate(() => onMessage(msg));
            }
          }
          if (parentHints && inFlight === 1) batch.hintsPending = true;
          else attachHints(batch, hintRecords(opts.file, batch, { otlp: opts.otlp }));
        }
        const list = transfer(batch);
        if (batch.hint) list.push(batch.hint.buffer as ArrayBuffer);
        if (batch.hintText) list.push(batch.hintText.buffer as ArrayBuffer);
        // Columns may share one buffer (the WASM scanner's batches): each buffer is listed once.
        port.postMessage({ type: 'batch', batch }, [...new Set(list)]);
      },
      () => (inFlight >= window ? new Promise<void>((r) => (resume = r)) : undefined),
    ).then(
      (summary) => port.postMessage({ type: 'done', summary }),
      (e: unknown) => port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
  };
  const onMessage = (m: unknown): void => {
    if (m === 'ack') {
      inFlight--;
      if (resume && inFlight < window) {
        const r = resume;
        resume = undefined;
        r();
      }
    } else if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'scan') {
      scan((m as { opts: WorkerScan }).opts);
    }
  };
  port.on('message', onMessage);
}
