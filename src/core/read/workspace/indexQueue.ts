/**
 * The cold index of several large files in one load or refresh (a workspace of many big run
 * folders): the scan of the next file starts while the current one is merged, so the workers of
 * independent sources run in parallel with the main thread's merge instead of one file after
 * another with the pipeline drained in between. Each file's batches are still merged on the main
 * thread in file order, and the files in read order: run identity, caps, cancel and "last verdict
 * wins" are those of a sequential read.
 *
 * Bounded: at most {@link PREFETCH_FILES} files are scanned ahead of the one being merged, each
 * holding at most {@link PREFETCH_BATCHES} batches (~1 MB each) besides its worker's in-flight
 * window; and the files share the worker budget one file gets (`index.workers`, default one less
 * than the cores): a file's workers count against it until its scan is done, not until its
 * batches are merged. On two cores (a budget of one worker) the next file's scan starts when the
 * current file's scan is done — its worker start-up and first batches overlap the merge of the
 * current file's last batches, and the merging thread keeps the other core; with more cores,
 * two files are scanned at once, each with half the budget.
 *
 * Memory: the pass stops indexing a file when the process has grown by `index.maxMemoryBytes`
 * (default 1 GiB) since the pass began; readSource then says what was not read.
 *
 * Progress (`index.onProgress`) covers the whole pass: bytes merged of every file it indexes over
 * their total, and files done of files.
 */
import type * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { abortError, findWorkerScript, indexFileParallel, type ParallelIndexOptions } from '../index/parallel';
import type { ScanBatch, ScanSummary } from '../index/scan';
import type { ReadState, SourceState } from './state';

/** What `indexSource` calls to scan a file (the parallel index, or a scan started ahead). */
export type ScanFn = (o: ParallelIndexOptions) => Promise<ScanSummary>;

/** Files scanned ahead of the one being merged. */
export const PREFETCH_FILES = 1;
/** Batches a file scanned ahead may hold before its worker waits (its worker's window comes on top). */
export const PREFETCH_BATCHES = 8;

/**
 * Default memory bound of one pass (`index.maxMemoryBytes`): how much the process's resident
 * memory may grow while the pass indexes. Beyond it the file being merged is read no further (what
 * was merged stays, the source's problem line says what was not read): a 5 GB trace opens within
 * 2 GB (issue 15; docs/decisions.md).
 */
export const DEFAULT_MAX_MEMORY_BYTES = 1024 ** 3;

/** Why a planned index stopped early: the memory bound (see {@link DEFAULT_MAX_MEMORY_BYTES}). */
export interface MemoryStop {
  /** Resident memory when it stopped, the process's at the start of the pass, the bound (bytes). */
  rss: number;
  rssAtStart: number;
  bound: number;
}

/** A planned cold index of one source: the stat it was planned with, and its scan. */
export interface PlannedIndex {
  stat: fs.Stats;
  scan: ScanFn;
  /** Set when the scan stopped at the memory bound (it then ends like a cancel: what merged stays). */
  stopped(): MemoryStop | undefined;
}

type Item = { b: ScanBatch; strings: readonly string[]; lineBase: number };

/** One file's scan, started ahead: its batches wait in a bounded queue until the merge takes them. */
class Prefetch {
  private readonly queue: Item[] = [];
  /** The scan finished (its workers are done; batches may still wait here). */
  done?: ScanSummary;
  private error?: unknown;
  private wakeConsumer?: () => void;
  private wakeProducer?: () => void;
  private readonly ctl = new AbortController();
  private readonly signal = this.ctl.signal;

  constructor(
    readonly file: string,
    readonly size: number,
    otlp: boolean,
    workers: number | undefined,
    workerScript: string | undefined,
    batchRecords: number | undefined,
    parent: AbortSignal,
    hints: boolean | undefined,
    background: boolean | undefined,
    /** Called once when the scan ends (done, failed or stopped): its workers no longer count. */
    ended: () => void,
  ) {
    const signal = this.signal;
    const onParent = (): void => this.ctl.abort();
    if (parent.aborted) this.ctl.abort();
    else parent.addEventListener('abort', onParent, { once: true });
    signal.addEventListener('abort', () => {
      parent.removeEventListener('abort', onParent);
      this.wake();
    }, { once: true });
    indexFileParallel({
      file, size, final: false, workers, workerScript, otlp, signal, batchRecords, hints, background,
      onBatch: async (b, strings, lineBase) => {
        this.queue.push({ b, strings, lineBase });
        this.wakeC();
        while (this.queue.length >= PREFETCH_BATCHES && !signal.aborted) await new Promise<void>((r) => (this.wakeProducer = r));
      },
    }).then(
      (sum) => {
        this.done = sum;
        this.wakeC();
        ended();
      },
      (e: unknown) => {
        this.error = e;
        this.wakeC();
        ended();
      },
    );
  }

  private wakeC(): void {
    const w = this.wakeConsumer;
    this.wakeConsumer = undefined;
    w?.();
  }

  private wake(): void {
    this.wakeC();
    const p = this.wakeProducer;
    this.wakeProducer = undefined;
    p?.();
  }

  /** Stop the scan (its workers exit; what it holds is let go). */
  stop(): void {
    this.ctl.abort();
  }

  /** Hand the batches to `onBatch` in file order as they come; resolves with the scan's summary. */
  async replay(onBatch: ParallelIndexOptions['onBatch'], merged: (b: ScanBatch) => boolean): Promise<ScanSummary> {
    for (;;) {
      if (this.signal.aborted) throw abortError();
      const x = this.queue.shift();
      if (x) {
        const p = this.wakeProducer;
        this.wakeProducer = undefined;
        p?.();
        await onBatch(x.b, x.strings, x.lineBase);
        // false: stop here (the memory bound); the caller keeps what was merged, as after a cancel.
        if (!merged(x.b)) throw abortError();
        continue;
      }
      if (this.error !== undefined) throw this.error;
      if (this.done) return this.done;
      await new Promise<void>((r) => (this.wakeConsumer = r));
    }
  }
}

/**
 * The cold-index files of one pass over the sources, in read order, with their scans started
 * ahead. `close()` stops what was not merged (always call it, e.g. in `finally`).
 */
export class IndexQueue {
  private readonly planned = new Map<SourceState, { k: number; stat: fs.Stats; size: number; otlp: boolean; scan?: Prefetch; settled?: boolean; stop?: MemoryStop }>();
  /** Resident memory at the start of the pass, and how much it may grow (index.maxMemoryBytes). */
  private readonly rss0 = process.memoryUsage.rss();
  private readonly bound: number;
  private readonly order: SourceState[] = [];
  private readonly ctl = new AbortController();
  private next = 0;
  /** Files started and not yet merged; of them, files whose scan is still running. */
  private open = 0;
  private scanning = 0;
  /** Merges waiting for their file's scan to start. */
  private waiting: (() => void)[] = [];
  /** Files whose scans may run at once (the worker budget over the workers per file). */
  private readonly maxScanning: number;
  private readonly ahead: number;
  private readonly perFile: number | undefined;
  private readonly script: string | undefined;
  private readonly total: number;
  private doneBytes = 0;
  private filesDone = 0;
  private readonly unlink: () => void;

  /**
   * `plan`: the sources this pass reads through the cold index, in read order, with the stat the
   * decision was made on (readSource uses that stat, so the decision and the scanned size agree).
   */
  constructor(
    private readonly s: ReadState,
    plan: readonly { st: SourceState; stat: fs.Stats; otlp: boolean }[],
  ) {
    const idx = s.opts.index || {};
    this.script = idx.workers === 0 ? undefined : findWorkerScript(idx.workerScript);
    this.bound = idx.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    // Without worker threads the scan runs on this thread: nothing to overlap.
    this.ahead = this.script && plan.length > 1 ? PREFETCH_FILES : 0;
    const cores = Math.min(8, Math.max(1, availableParallelism()));
    const budget = Math.max(1, idx.workers ?? cores - 1);
    this.maxScanning = this.ahead > 0 ? Math.min(1 + this.ahead, budget) : 1;
    this.perFile = idx.workers === 0 ? 0 : this.ahead > 0 ? Math.max(1, Math.floor(budget / this.maxScanning)) : idx.workers;
    let total = 0;
    plan.forEach((p, k) => {
      this.planned.set(p.st, { k, stat: p.stat, size: p.stat.size, otlp: p.otlp });
      this.order.push(p.st);
      total += p.stat.size;
    });
    this.total = total;
    const outer = s.signal;
    const onAbort = (): void => {
      this.ctl.abort();
      this.pump();
    };
    if (outer?.aborted) this.ctl.abort();
    outer?.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => outer?.removeEventListener('abort', onAbort);
    this.pump();
  }

  /** Files planned. */
  get files(): number {
    return this.order.length;
  }

  /**
   * Start scans up to the bounds: the file being merged and {@link PREFETCH_FILES} after it, with
   * at most `maxScanning` scans running.
   */
  private pump(): void {
    while (this.next < this.order.length && this.open < 1 + this.ahead && this.scanning < this.maxScanning && !this.ctl.signal.aborted) {
      const p = this.planned.get(this.order[this.next++]);
      if (!p || p.settled) continue;
      const idx = this.s.opts.index || {};
      this.open++;
      this.scanning++;
      let ended = false;
      p.scan = new Prefetch(this.order[p.k].src.file, p.size, p.otlp, this.perFile, idx.workerScript, idx.batchRecords, this.ctl.signal, idx.hints, idx.background, () => {
        if (ended) return;
        ended = true;
        this.scanning--;
        this.pump();
      });
    }
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }

  /** The planned cold index of `st` (undefined: not planned; read it as usual). */
  take(st: SourceState): PlannedIndex | undefined {
    const p = this.planned.get(st);
    if (!p || p.settled) return undefined;
    const onProgress = this.s.opts.index ? this.s.opts.index.onProgress : undefined;
    const scan: ScanFn = async (o) => {
      // The files before this one were settled (the caller settles every source it reads); the
      // scan of this one starts as soon as the one before it has ended (the worker budget).
      this.pump();
      while (!p.scan) {
        if (this.ctl.signal.aborted) throw abortError();
        await new Promise<void>((r) => this.waiting.push(r));
      }
      const file = o.file;
      const report = (bytesDone: number): void =>
        onProgress?.({ file, bytesDone, bytesTotal: p.size, allBytesDone: this.doneBytes + bytesDone, allBytesTotal: this.total, files: this.order.length, filesDone: this.filesDone });
      const sum = await p.scan.replay(o.onBatch, (b) => {
        if (b.n > 0) report(b.offset[b.n - 1] + b.len[b.n - 1] + 1);
        // The memory bound: checked after each merged batch (a ~1 MB step; rss() is a cheap call).
        const rss = process.memoryUsage.rss();
        if (rss - this.rss0 > this.bound) {
          p.stop = { rss, rssAtStart: this.rss0, bound: this.bound };
          p.scan?.stop();
          return false;
        }
        return true;
      });
      this.settle(st);
      return sum;
    };
    return { stat: p.stat, scan, stopped: () => p.stop };
  }

  /** `st` was read (or skipped): its scan, when not merged, is stopped; the next one may start. */
  settle(st: SourceState): void {
    const p = this.planned.get(st);
    if (!p || p.settled) return;
    p.settled = true;
    if (p.scan) {
      this.open--;
      p.scan.stop();
    }
    this.doneBytes += p.size;
    this.filesDone++;
    const onProgress = this.s.opts.index ? this.s.opts.index.onProgress : undefined;
    if (p.scan && !this.ctl.signal.aborted)
      onProgress?.({ file: st.src.file, bytesDone: p.size, bytesTotal: p.size, allBytesDone: this.doneBytes, allBytesTotal: this.total, files: this.order.length, filesDone: this.filesDone });
    this.pump();
  }

  /** Stop every scan still under way (the pass ended, was cancelled or failed). */
  close(): void {
    this.unlink();
    this.ctl.abort();
    this.pump();
  }
}
