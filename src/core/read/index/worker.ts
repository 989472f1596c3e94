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
    const parentHints = opts.hints === true && !opts.hintsOnly && data.background === false && !opts.otlp && process.env.FLOWLENS_INDEX_HINTS_ON_PARENT !== '0';
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
        if (opts.hintsOnly) {
          const b = hintsOnly(batch);
          const keep = [b.offset, b.len, b.line, b.sub, b.kind].map((a) => a.buffer as ArrayBuffer);
          if (b.hint) keep.push(b.hint.buffer as ArrayBuffer);
          if (b.hintText) keep.push(b.hintText.buffer as ArrayBuffer);
          port.postMessage({ type: 'batch', batch: b }, [...new Set(keep)]);
          return;
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

const NO_I32 = new Int32Array(0);
const NO_F64 = new Float64Array(0);
const NO_U8 = new Uint8Array(0);

/**
 * `b` as the hint pass reads it (workerPool.ts `WorkerScan.hintsOnly`): records' offsets, lengths,
 * lines, subs, kinds and hints; `strings` holds only the hint texts (`hintText` renumbered); the
 * other fields, the parsed lines and their strings are left here.
 */
export function hintsOnly(b: ScanBatch): ScanBatch {
  const strings: string[] = [];
  let hintText = b.hintText;
  if (hintText !== undefined) {
    const at = new Map<number, number>();
    const out = new Int32Array(b.n);
    for (let i = 0; i < b.n; i++) {
      const id = hintText[i];
      if (id < 0) {
        out[i] = -1;
        continue;
      }
      let k = at.get(id);
      if (k === undefined) at.set(id, (k = strings.push(b.strings[id]) - 1));
      out[i] = k;
    }
    hintText = out;
  }
  return {
    ...b,
    type: NO_I32, run: NO_I32, flow: NO_I32, flowId: NO_I32, parent: NO_I32, step: NO_I32, failureClass: NO_I32, tags: NO_I32, corr: NO_I32,
    ts: NO_F64, dur: NO_F64, sev: NO_U8, hintText, raws: [], strings,
  };
}
