/**
 * SQLite work off the calling thread: every store read runs in a worker thread
 * (dist/sqliteWorker.js, src/core/read/sqlite/worker.ts) under a wall-clock budget and a heap limit,
 * so a store whose query never ends (a view that recurses forever, a pathological join) or wants
 * gigabytes can never freeze the extension host or the CLI: on timeout the worker is terminated
 * and the caller gets a located problem (`file: reading took longer than 30 s; stopped`).
 *
 * Workers are reused while idle (a few seconds, unref'd so they never keep a process alive) and
 * at most {@link MAX_WORKERS} run at once; a worker that read a big store is ended at once, so its
 * engine's heap goes with it. Results are plain data (structured clone); null-prototype records
 * come back as plain objects and are turned back into null-prototype ones here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { locateWasm } from './engine';
import { DEFAULT_MEMORY_CAP_MB, type StoreError } from './open';
import { DEFAULT_BUDGET, secondsText } from './query';

/** Workers reading at the same time; more reads wait for one (their time budget starts when they run). */
export const MAX_WORKERS = 2;
/** An idle worker is kept this long for the next read, then ended. */
export const IDLE_MS = 3000;
/** A worker that read a store bigger than this is ended right away (its engine heap grew with it). */
const KEEP_AFTER_BYTES = 64 * 1024 * 1024;
/** Heap headroom of a worker over the memory cap (MB): `resourceLimits.maxOldGenerationSizeMb`. */
export const HEAP_HEADROOM_MB = 256;

/** A job the worker runs: the op names an in-process reader of core.ts. */
export interface SqliteJob {
  op: 'readStore' | 'readFlowscribeDb' | 'query';
  file: string;
  /** `query` only: the statement. */
  sql?: string;
  /** ReadStoreOptions / OpenOptions: plain data only. */
  opts: Record<string, unknown>;
}

/** Message to the worker. */
export interface JobMessage extends SqliteJob {
  id: number;
  wasm?: string;
}

/** Message from the worker. */
export type JobReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

export interface WorkerRunOptions {
  /** The bundled worker; default {@link findSqliteWorker}. */
  workerScript?: string;
  /** Wall-clock budget in ms (default 30 s). */
  timeMs?: number;
  /** The memory cap of the read (bytes): the worker's heap limit is this + {@link HEAP_HEADROOM_MB}. */
  memoryCapBytes?: number;
}

export type WorkerResult = { ok: true; value: unknown } | { ok: false; error: StoreError };

/**
 * The worker script: next to this bundle (dist/extension.js, dist/cli.js → dist/sqliteWorker.js),
 * one folder up (dist/bench/), or, for the unit tests compiled to out/test/unit/…, the repository's
 * dist/. Never looked up from the current directory (a workspace could plant one there).
 */
export function findSqliteWorker(explicit?: string): string | undefined {
  if (explicit) return fs.existsSync(explicit) ? explicit : undefined;
  const candidates = [path.join(__dirname, 'sqliteWorker.js'), path.join(__dirname, '..', 'sqliteWorker.js')];
  const marker = `${path.sep}out${path.sep}test${path.sep}`;
  const at = __dirname.lastIndexOf(marker);
  if (at >= 0) candidates.push(path.join(__dirname.slice(0, at), 'dist', 'sqliteWorker.js'));
  return candidates.find((p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

interface Slot {
  worker: Worker;
  heapMb: number;
  idleTimer?: NodeJS.Timeout;
  busy: boolean;
}

const idle: Slot[] = [];
let running = 0;
const waiting: (() => void)[] = [];
let nextId = 1;

function endSlot(s: Slot): void {
  if (s.idleTimer) clearTimeout(s.idleTimer);
  const i = idle.indexOf(s);
  if (i >= 0) idle.splice(i, 1);
  void s.worker.terminate();
}

function acquireSlot(script: string, heapMb: number): Slot {
  const i = idle.findIndex((s) => s.heapMb === heapMb);
  if (i >= 0) {
    const s = idle.splice(i, 1)[0];
    if (s.idleTimer) clearTimeout(s.idleTimer);
    s.idleTimer = undefined;
    s.worker.ref();
    s.busy = true;
    return s;
  }
  const worker = new Worker(script, {
    // The JS heap of the read: the image's strings and the result. The engine's own heap is bounded
    // by the memory cap (file size) and PRAGMA hard_heap_limit.
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 16 },
    stdout: false,
    stderr: false,
  });
  const s: Slot = { worker, heapMb, busy: true };
  worker.on('error', () => undefined); // handled per job; keeps an idle worker's death quiet
  worker.on('exit', () => {
    const k = idle.indexOf(s);
    if (k >= 0) idle.splice(k, 1);
  });
  return s;
}

function releaseSlot(s: Slot, keep: boolean): void {
  s.busy = false;
  if (!keep || idle.length >= MAX_WORKERS) {
    endSlot(s);
    return;
  }
  s.worker.unref();
  s.idleTimer = setTimeout(() => endSlot(s), IDLE_MS);
  s.idleTimer.unref();
  idle.push(s);
}

async function turn(): Promise<void> {
  if (running < MAX_WORKERS) {
    running++;
    return;
  }
  await new Promise<void>((r) => waiting.push(r));
  running++;
}

function done(): void {
  running--;
  waiting.shift()?.();
}

function sizeOf(file: string): number {
  try {
    const a = fs.statSync(file).size;
    let b = 0;
    try {
      b = fs.statSync(file + '-wal').size;
    } catch {
      // no -wal
    }
    return a + b;
  } catch {
    return 0;
  }
}

/** Ends every idle worker now (tests; the extension's deactivate). */
export function endIdleWorkers(): void {
  for (const s of [...idle]) endSlot(s);
}

/** Workers alive right now (idle + running); for tests. */
export function workerCount(): { idle: number; running: number } {
  return { idle: idle.length, running };
}

/**
 * Run `job` in a worker under the wall-clock budget. Resolves (never rejects) with the value or a
 * located problem: over time, out of memory, or the worker failing.
 */
export async function runInWorker(script: string, job: SqliteJob, opts: WorkerRunOptions = {}): Promise<WorkerResult> {
  const timeMs = opts.timeMs ?? DEFAULT_BUDGET.timeMs;
  const capMb = Math.ceil((opts.memoryCapBytes ?? DEFAULT_MEMORY_CAP_MB * 1024 * 1024) / (1024 * 1024));
  const heapMb = capMb + HEAP_HEADROOM_MB;
  await turn();
  const slot = acquireSlot(script, heapMb);
  const id = nextId++;
  const file = job.file;
  const big = sizeOf(file) > KEEP_AFTER_BYTES;
  try {
    return await new Promise<WorkerResult>((resolve) => {
      const w = slot.worker;
      let settled = false;
      const finish = (r: WorkerResult, keep: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        w.off('messageerror', onMessageError);
        releaseSlot(slot, keep && !big);
        resolve(r);
      };
      const onMessage = (m: JobReply): void => {
        if (!m || m.id !== id) return;
        if (m.ok) finish({ ok: true, value: m.value }, true);
        else finish({ ok: false, error: { file, kind: 'io', message: `${file}: ${m.message}` } }, true);
      };
      const onError = (e: Error & { code?: string }): void => {
        const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory|heap limit/i.test(e.message);
        finish(
          {
            ok: false,
            error: oom
              ? { file, kind: 'over-budget', message: `${file}: reading needed more than ${heapMb} MB of memory; stopped` }
              : { file, kind: 'io', message: `${file}: the SQLite worker failed (${e.message})` },
          },
          false,
        );
      };
      // A reply that cannot be deserialised on this side: the worker runs one job at a time, so it
      // is this job's reply; the caller gets a located problem instead of waiting for the timeout.
      const onMessageError = (e: Error): void => {
        finish({ ok: false, error: { file, kind: 'io', message: `${file}: the SQLite worker's reply could not be read (${e?.message ?? 'messageerror'})` } }, false);
      };
      const onExit = (code: number): void => {
        finish({ ok: false, error: { file, kind: 'io', message: `${file}: the SQLite worker stopped (exit code ${code})` } }, false);
      };
      const timer = setTimeout(() => {
        finish({ ok: false, error: { file, kind: 'over-budget', message: `${file}: reading took longer than ${secondsText(timeMs)}; stopped` } }, false);
      }, timeMs);
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.on('messageerror', onMessageError);
      const msg: JobMessage = { ...job, id, wasm: locateWasm() };
      try {
        w.postMessage(msg);
      } catch (e) {
        finish({ ok: false, error: { file, kind: 'io', message: `${file}: cannot hand the read to the SQLite worker (${(e as Error).message})` } }, false);
      }
    });
  } finally {
    done();
  }
}
