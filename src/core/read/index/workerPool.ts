/**
 * Index workers kept for the next scan (issue 15, item 5): a workspace of many big run folders
 * indexes them one after another, and a fresh worker per file paid its start-up every time
 * (thread, bundle, WebAssembly compile: 60–100 ms per file on the 2-core VM, on the critical
 * path of a 20-folder load). A worker whose scan ended cleanly waits here for the next one; idle
 * workers are terminated after {@link IDLE_MS}, and a workspace's load ends by terminating them
 * (workspace/index.ts: what a worker's scans grew is not held through the reads after a load).
 *
 * Only a worker that finished its scan (its `done` was received, every batch acknowledged) is
 * returned; one that failed, was cancelled or is still scanning is terminated instead. Workers are
 * kept per script and thread priority, at most {@link MAX_IDLE} in all.
 */
import { Worker } from 'node:worker_threads';
import type { ScanOptions } from './scan';

/** What one scan is given (a `{ type: 'scan', opts }` message): the range, the parent's window. */
export type WorkerScan = ScanOptions & {
  window?: number;
  /**
   * Post only what the secret-hint pass reads (workspace/hintPass.ts): each record's place, kind
   * and hints, and the hint texts as the batch's string table — not the parsed lines, the other
   * fields or their strings, which the main thread would deserialise only to drop.
   */
  hintsOnly?: boolean;
};

/** How long an idle worker waits for the next scan before it is terminated. */
export const IDLE_MS = 3000;
/** Idle workers kept at most (one per core the index uses on small machines). */
export const MAX_IDLE = 4;

/** A worker of the pool and the key it was made for. */
export interface PooledWorker {
  readonly worker: Worker;
  readonly key: string;
}

interface Idle {
  w: PooledWorker;
  timer: NodeJS.Timeout;
}

const idle: Idle[] = [];
let made = 0;
let reused = 0;

const keyOf = (script: string, background: boolean): string => `${background ? 'bg' : 'fg'}\u0000${script}`;

/**
 * A worker running `script` (it scans each `{ type: 'scan' }` message it gets: worker.ts), an
 * idle one when there is one.
 */
export function acquireWorker(script: string, background: boolean): PooledWorker {
  const key = keyOf(script, background);
  const at = idle.findIndex((i) => i.w.key === key);
  if (at >= 0) {
    const [i] = idle.splice(at, 1);
    clearTimeout(i.timer);
    i.w.worker.removeAllListeners('exit');
    // It keeps the process alive again while it works.
    i.w.worker.ref();
    reused++;
    return i.w;
  }
  made++;
  const worker = new Worker(script, {
    workerData: { background },
    // A small young generation keeps each worker's garbage (parsed lines) from inflating RSS.
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
  });
  return { worker, key };
}

/** Give back a worker whose scan ended cleanly; it is terminated if the pool is full. */
export function releaseWorker(w: PooledWorker): void {
  if (idle.length >= MAX_IDLE) {
    void w.worker.terminate();
    return;
  }
  const entry: Idle = {
    w,
    timer: setTimeout(() => {
      const at = idle.indexOf(entry);
      if (at >= 0) idle.splice(at, 1);
      void w.worker.terminate();
    }, IDLE_MS),
  };
  // Neither the timer nor the idle thread keeps the process alive (the CLI exits when done).
  entry.timer.unref?.();
  w.worker.unref();
  // A worker that dies while idle is dropped.
  w.worker.once('exit', () => {
    const at = idle.indexOf(entry);
    if (at >= 0) {
      idle.splice(at, 1);
      clearTimeout(entry.timer);
    }
  });
  idle.push(entry);
}

/** Terminate every idle worker (tests; an extension deactivating). */
export async function drainWorkerPool(): Promise<void> {
  const all = idle.splice(0);
  for (const i of all) clearTimeout(i.timer);
  await Promise.all(all.map((i) => i.w.worker.terminate()));
}

/** Workers made and reused so far, and how many are idle now (tests, the bench). */
export function workerPoolStats(): { made: number; reused: number; idle: number } {
  return { made, reused, idle: idle.length };
}
