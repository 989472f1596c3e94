/**
 * The background hint pass (issue 15): the extension's cold index leaves the records without
 * secret hints (they would make the worker the index's critical path), so the first run-scoped
 * secret walk (render/egress/secrets.ts) would decode every event again on the host's thread.
 * After the load resolves, each source indexed (or restored) without hints is scanned again by the
 * index worker with hints on — the same scanner and prefilter the CLI uses (read/secretHint.ts) —
 * and the hints are attached to its records, matched by byte offset (and event index, OTLP) in
 * file order, in slices so the host is never held for long.
 *
 * Security: a hint 0 lets the walk skip a line, so hints are attached only when every record of
 * the store matched a scanned record exactly, in order, and every scanned record was used; any
 * mismatch, a replaced store or a new load leaves the store without hints (every event decoded:
 * correct, just slow). Never changes the model.
 */
import { FileEvents } from '../../model/storage';
import { indexFileParallel, isAbort } from '../index/parallel';
import { KIND_RAW, type ScanBatch } from '../index/scan';
import type { ReadState, SourceState } from './state';

/** Longest stretch (ms) the matching holds the thread before yielding (as the index merge). */
const SLICE_MS = 8;

interface HintJob {
  st: SourceState;
  store: FileEvents;
  /** Where the indexed (or restored) records end: just after the last indexed line. */
  end: number;
  otlp: boolean;
}

const jobs = new WeakMap<ReadState, HintJob[]>();

/**
 * Note that `st` was just indexed or restored up to `end` (its tail's resume point): its hint pass
 * runs after the load when `index.backgroundHints` is set and its records carry no hints.
 */
export function planHintPass(s: ReadState, st: SourceState, end: number, otlp: boolean): void {
  const idx = s.opts.index;
  if (!idx || !idx.backgroundHints || idx.hints) return;
  const store = st.store;
  if (!(store instanceof FileEvents) || store.hinted || end <= 0 || store.size === 0) return;
  let list = jobs.get(s);
  if (!list) jobs.set(s, (list = []));
  list.push({ st, store, end, otlp });
}

/**
 * Run the planned passes of `s`, one after another; `live()` false (a new load, the workspace
 * disposed) stops them. Resolves with the number of stores that got hints; never rejects.
 */
export async function runHintPasses(s: ReadState, live: () => boolean): Promise<number> {
  const list = jobs.get(s) ?? [];
  jobs.delete(s);
  let attached = 0;
  for (const j of list) {
    if (!live()) break;
    try {
      if (await hintPass(s, j, live)) attached++;
    } catch {
      // A failed scan leaves the store without hints.
    }
  }
  return attached;
}

const yieldNow = (): Promise<void> => new Promise((r) => setImmediate(r));

async function hintPass(s: ReadState, j: HintJob, live: () => boolean): Promise<boolean> {
  const idx = s.opts.index || {};
  const stale = (): boolean => !live() || j.st.store !== j.store;
  if (stale()) return false;
  const ctl = new AbortController();
  // The scanned light/session records, in file order.
  let cap = Math.max(1024, j.store.size);
  let offs = new Float64Array(cap);
  let subs = new Uint32Array(cap);
  let hs = new Uint8Array(cap);
  let ids = new Int32Array(cap);
  let n = 0;
  const texts: string[] = [];
  const textIds = new Map<string, number>();
  const onBatch = (b: ScanBatch, strings: readonly string[]): void => {
    if (stale()) {
      ctl.abort();
      return;
    }
    const { kind, offset, sub, hint, hintText } = b;
    for (let i = 0; i < b.n; i++) {
      if (kind[i] === KIND_RAW) continue; // (one compare, met by every record)
      if (n === cap) {
        cap = Math.ceil(cap * 1.5);
        const o = new Float64Array(cap);
        o.set(offs);
        offs = o;
        const u = new Uint32Array(cap);
        u.set(subs);
        subs = u;
        const h = new Uint8Array(cap);
        h.set(hs);
        hs = h;
        const d = new Int32Array(cap);
        d.set(ids);
        ids = d;
      }
      offs[n] = offset[i];
      subs[n] = sub[i];
      let h = hint === undefined ? 1 : hint[i];
      if (h === 2) {
        const t = hintText !== undefined && hintText[i] >= 0 ? strings[hintText[i]] : undefined;
        if (typeof t !== 'string') h = 1;
        else {
          let id = textIds.get(t);
          if (id === undefined) {
            id = texts.push(t) - 1;
            textIds.set(t, id);
          }
          ids[n] = id;
        }
      }
      hs[n] = h === 0 ? 0 : h === 2 ? 2 : 1;
      n++;
    }
  };
  let sum;
  try {
    sum = await indexFileParallel({
      file: j.st.src.file, size: j.end, final: false, workers: idx.workers, workerScript: idx.workerScript, signal: ctl.signal, onBatch,
      otlp: j.otlp, hints: true, hintsOnly: true, background: idx.background, batchRecords: idx.batchRecords,
    });
  } catch (e) {
    if (isAbort(e)) return false;
    throw e;
  }
  if (sum.end !== j.end || stale()) return false;
  // Match the store's records to the scanned ones, in slices: a record filed as an object
  // (offset -1) keeps hint 1; every other must be the next scanned record, exactly.
  const store = j.store;
  let outCap = Math.max(1024, store.size);
  let outH = new Uint8Array(outCap);
  let outI = new Int32Array(outCap);
  let ref = 0;
  let k = 0;
  for (;;) {
    const deadline = performance.now() + SLICE_MS;
    const size = store.size;
    if (size > outCap) {
      outCap = Math.ceil(size * 1.25);
      const h = new Uint8Array(outCap);
      h.set(outH);
      outH = h;
      const d = new Int32Array(outCap);
      d.set(outI);
      outI = d;
    }
    for (; ref < size; ref++) {
      if ((ref & 1023) === 1023 && performance.now() > deadline) break;
      const o = store.recordOffset(ref);
      if (o < 0) {
        outH[ref] = 1;
        continue;
      }
      if (k >= n || offs[k] !== o || subs[k] !== store.recordSub(ref)) return false;
      outH[ref] = hs[k];
      outI[ref] = ids[k];
      k++;
    }
    if (ref === store.size) break;
    await yieldNow();
    if (stale()) return false;
  }
  // Every scanned record must have been matched (no record of the file missing from the store).
  if (k !== n || stale()) return false;
  return store.setHints(ref, outH, outI, texts);
}
