/**
 * The parallel index: splits a JSONL file into newline-aligned byte ranges, scans each in a
 * worker thread (dist/indexWorker.js) and hands the batches to the caller in file order. Without
 * a worker script (unit tests, odd packaging) or with `workers: 0` the ranges are scanned on the
 * calling thread, yielding to the event loop between batches.
 */
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { sameShape, scanRange, splitRanges, type ScanBatch, type ScanSummary } from './scan';
import { attachHints, hintRecords } from '../secretHint';
import { acquireWorker, releaseWorker, type PooledWorker, type WorkerScan } from './workerPool';

/** Progress of an index: bytes of the file whose records were handed to the caller. */
export interface IndexProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
}

export interface ParallelIndexOptions {
  file: string;
  /** Index `[0, size)`; the last line counts only if it ends with a newline, unless `final`. */
  size: number;
  final: boolean;
  /**
   * Worker threads; default one less than the cores (at least 1, at most 7): the calling thread
   * merges the records into the model while the workers scan, so it needs a core of its own.
   * 0 = scan on the calling thread.
   */
  workers?: number;
  /** Path of the bundled worker (dist/indexWorker.js); default: looked up next to this bundle. */
  workerScript?: string;
  /**
   * Receives batches in file order. `strings` is the batch's string table (ids in the batch index
   * it); `lineBase` is the number of lines before the range.
   */
  onBatch: (batch: ScanBatch, strings: readonly string[], lineBase: number) => void | Promise<void>;
  onProgress?: (p: IndexProgress) => void;
  /** Records per batch (default the scanner's, 16,384); small values exercise back-pressure in tests. */
  batchRecords?: number;
  /** Stops the workers; the promise rejects with an `AbortError`. */
  signal?: AbortSignal;
  /** An OTLP JSON-Lines file: a record per event of each line's batch (see scan.ts). */
  otlp?: boolean;
  /** Give each batch its secret hints (`ScanBatch.hint`, src/core/read/secretHint.ts). */
  hints?: boolean;
  /** With `hints`: batches from a worker carry only what the hint pass reads (workerPool.ts `WorkerScan.hintsOnly`). */
  hintsOnly?: boolean;
  /** Workers lower their CPU priority (default true; threadPriority.ts). */
  background?: boolean;
}

/** The worker script if one can be found next to this bundle (dist/, or dist/bench/ → dist/). */
export function findWorkerScript(explicit?: string): string | undefined {
  const candidates = explicit ? [explicit] : [path.join(__dirname, 'indexWorker.js'), path.join(__dirname, '..', 'indexWorker.js')];
  return candidates.find((p) => fs.existsSync(p));
}

/** The error a cancelled read rejects with (`name === 'AbortError'`, as DOM's). */
export function abortError(): Error {
  const e = new Error('index cancelled');
  e.name = 'AbortError';
  return e;
}

/** Whether `e` is a cancellation (see {@link abortError}). */
export function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

/**
 * Batches the worker of the range being merged may have posted and not yet seen merged: a few
 * keep it busy while the calling thread merges.
 */
const IN_FLIGHT_BATCHES = 4;
/**
 * Batches (~1 MB each at 16,384 records) the workers of later ranges may hold between them while
 * an earlier range is merged. Ranges are merged in file order, so with only a few each, a later
 * worker would stall until the ranges before it were merged and the scan would not run in
 * parallel; without a bound, it would hold its whole output (hundreds of MB for a big trace).
 * Only matters with two or more workers (three or more cores by default).
 */
const LATER_RANGES_BATCHES = 48;

/**
 * The share of the file a calling thread that is not a UI thread (`background: false`: the CLI)
 * scans itself, first, while its worker starts and scans the rest. The worker is the slower side
 * (the scan, the secret hints) and its first batch comes ~0.1 s after the process starts; the
 * calling thread only merges, and idled until then and between batches. Measured on the 400k-line
 * CLI file (issue 15 item 3): 1/8 in round 5; 1/5 since the CLI's code cache let this thread start
 * sooner (docs/decisions.md "Issue 15 round 6").
 */
const LEAD_SHARE = 0.2;
/** Files smaller than this are not split for the calling thread (nothing to balance). */
const LEAD_MIN_BYTES = 16 << 20;

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Newline-aligned ranges: with `lead`, `[0, ~lead·size)` first, then the rest cut in `parts`. */
function rangesFor(file: string, size: number, parts: number, lead: number): { start: number; end: number }[] {
  if (lead <= 0) return splitRanges(file, size, parts);
  // Cut in 1/lead parts, the first is the lead; the rest are joined into `parts` ranges.
  const fine = splitRanges(file, size, Math.round(1 / lead));
  if (fine.length < 2) return fine;
  const rest = fine.slice(1);
  const out = [fine[0]];
  const per = Math.ceil(rest.length / parts);
  for (let i = 0; i < rest.length; i += per) out.push({ start: rest[i].start, end: rest[Math.min(rest.length, i + per) - 1].end });
  return out;
}

/** Index a file; resolves with the line count and the offset just after the last line read. */
export async function indexFileParallel(opts: ParallelIndexOptions): Promise<ScanSummary> {
  const script = opts.workers === 0 ? undefined : findWorkerScript(opts.workerScript);
  const cores = Math.min(8, Math.max(1, availableParallelism()));
  const want = Math.max(1, opts.workers ?? cores - 1);
  // A calling thread with no UI scans the first part itself (LEAD_SHARE).
  const lead = script && opts.background === false && !opts.hintsOnly && opts.size >= LEAD_MIN_BYTES ? LEAD_SHARE : 0;
  // Where the last newline is: the ranges end there unless the file is final.
  const ranges = rangesFor(opts.file, opts.size, script ? want : 1, lead);
  if (ranges.length === 0) return { lines: 0, end: 0 };
  const lastFinal = opts.final;
  /** Ranges this thread scans: all without a worker, else the lead. */
  const here = (k: number): boolean => !script || (lead > 0 && k === 0 && ranges.length > 1);

  type Slot = { queue: ScanBatch[]; done?: ScanSummary; error?: Error; wake?: () => void };
  const slots: Slot[] = ranges.map(() => ({ queue: [] }));
  /** The workers scanning (pooled: workerPool.ts), by range, each with the listeners of this scan. */
  const workers: ({ w: PooledWorker; off: () => void } | undefined)[] = [];
  /** Workers whose scan ended cleanly go back to the pool; the others are terminated. */
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    for (let k = 0; k < workers.length; k++) {
      const at = workers[k];
      if (!at) continue;
      const { w, off } = at;
      off();
      const s = slots[k];
      if (s.done && !s.error && s.queue.length === 0) releaseWorker(w);
      else void w.worker.terminate();
    }
  };
  const onAbort = (): void => {
    for (const s of slots) s.error ??= abortError();
    stop();
    for (const s of slots) s.wake?.();
  };
  if (opts.signal?.aborted) throw abortError();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const wake = (s: Slot): void => {
    const w = s.wake;
    s.wake = undefined;
    w?.();
  };

  if (script) {
    const background = opts.background !== false;
    const later = ranges.length - (here(0) ? 2 : 1);
    ranges.forEach((r, k) => {
      if (here(k)) return;
      const pw = acquireWorker(script, background);
      const w = pw.worker;
      const s = slots[k];
      const onMessage = (m: { type: string; batch?: ScanBatch; summary?: ScanSummary; message?: string }): void => {
        if (m.type === 'batch' && m.batch) s.queue.push(m.batch);
        else if (m.type === 'done') s.done = m.summary;
        else if (m.type === 'error') s.error = new Error(m.message);
        wake(s);
      };
      const onError = (e: Error): void => {
        s.error ??= e;
        wake(s);
      };
      const onExit = (): void => {
        if (!s.done) s.error ??= new Error('index worker exited early');
        wake(s);
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      workers[k] = {
        w: pw,
        off: () => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        },
      };
      // The first range a worker scans is merged as it comes; later ones wait (their share of LATER_RANGES_BATCHES).
      const first = k === 0 || (k === 1 && here(0));
      const scan: WorkerScan = {
        file: opts.file, start: r.start, end: r.end, final: lastFinal && k === ranges.length - 1, batchRecords: opts.batchRecords, otlp: opts.otlp, hints: opts.hints, hintsOnly: opts.hints === true && opts.hintsOnly === true,
        window: first && !here(0) ? IN_FLIGHT_BATCHES : Math.max(IN_FLIGHT_BATCHES, Math.floor(LATER_RANGES_BATCHES / Math.max(1, later))),
      };
      w.postMessage({ type: 'scan', opts: scan });
    });
  }

  try {
    let lineBase = 0;
    let end = 0;
    for (let k = 0; k < ranges.length; k++) {
      const s = slots[k];
      const r = ranges[k];
      const consume = async (posted: ScanBatch): Promise<void> => {
        const b = sameShape(posted);
        // In a worker the hints come with the batch (unless it left them to this thread, which was
        // idle: hintsPending, worker.ts); scanned on this thread, they are made here.
        if (opts.hints && (here(k) || b.hintsPending)) {
          b.hintsPending = undefined;
          attachHints(b, hintRecords(opts.file, b, { otlp: opts.otlp }));
        }
        await opts.onBatch(b, b.strings, lineBase);
        if (b.n > 0) opts.onProgress?.({ file: opts.file, bytesDone: b.offset[b.n - 1] + b.len[b.n - 1] + 1, bytesTotal: opts.size });
      };
      if (here(k)) {
        const drain = async (): Promise<void> => {
          for (const b of s.queue.splice(0)) await consume(b);
          if (opts.signal?.aborted) throw abortError();
          await tick();
        };
        const sum = await scanRange(
          { file: opts.file, start: r.start, end: r.end, final: lastFinal && k === ranges.length - 1, batchRecords: opts.batchRecords, otlp: opts.otlp, hints: opts.hints },
          (b) => s.queue.push(b),
          drain,
        );
        await drain();
        s.done = sum;
      } else {
        for (;;) {
          if (s.error) throw s.error;
          const b = s.queue.shift();
          if (b) {
            await consume(b);
            if (!stopped) workers[k]?.w.worker.postMessage('ack');
            await tick();
            continue;
          }
          if (s.done) break;
          await new Promise<void>((res) => (s.wake = res));
        }
      }
      if (opts.signal?.aborted) throw abortError();
      const done = s.done as ScanSummary;
      lineBase += done.lines;
      end = done.end;
    }
    return { lines: lineBase, end };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    stop();
  }
}
