/**
 * The index merge hot loop: a large JSONL source read from the start is scanned by worker threads
 * (src/core/read/index/parallel.ts) into compact records, merged here into the run builder in file
 * order, a batch at a time, yielding between slices so the extension host is never blocked for
 * long. The tail then continues from where the index stopped.
 *
 * An OTLP JSON-Lines file (one export batch per line) is indexed the same way: a record per event
 * of a batch, decoded again from its line on demand (scan.ts, fileEvents.ts; issue 18).
 *
 * Moved verbatim from workspace.ts (issue 14); the file-backed event storage
 * (index/fileEvents.ts `openFileEvents`, model/storage.ts `FileEvents`) and
 * `RunBuilder.addIndexed` are the storage seam's (see docs/decisions.md).
 */
import { copyEventFields, newEventFields, type EventFields, type RunBuilder } from '../../model/build';
import type { Dialect } from '../../model/types';
import type { Malformed } from '../../model/types';
import { openFileEvents } from '../index/fileEvents';
import { indexFileParallel, isAbort, type ParallelIndexOptions } from '../index/parallel';
import { KIND_LIGHT, KIND_SESSION, severityOf, type ScanBatch, type ScanSummary, type SessionFields } from '../index/scan';
import type { JsonlTail } from '../sources/jsonl';
import { detectDialect, normalizeEvent } from '../sources/normalize';
import type { RunIdentity } from './identity';
import { defaultDialect, type ReadState, type SourceState } from './state';

/**
 * Longest stretch (ms) the index merges records before yielding to the event loop. Small, because
 * on two cores the worker and the GC's helper threads also preempt this thread, and a GC pause can
 * land inside a slice: 8 ms kept every event-loop stall of a 1M-line index under ~40 ms (20 ms let
 * them reach 50-65 ms); yielding costs microseconds.
 */
const INDEX_SLICE_MS = 8;

/** When the current merge slice ends (performance.now()): one budget for every batch and source merged back to back. */
let sliceEnd = 0;

/**
 * Make run `id`'s flow objects from the cold index's columns in slices of {@link INDEX_SLICE_MS},
 * yielding the thread between them: made in one go on first read, a run of ~300k flows holds the
 * thread ~150-200 ms. Stops early when `signal` aborts (what is made stays; a read makes the rest).
 */
export async function makeRunFlows(builder: RunBuilder, id: string, signal?: AbortSignal): Promise<void> {
  while (!signal?.aborted && !builder.makeFlows(id, performance.now() + INDEX_SLICE_MS)) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A session record's event (OTLP's run start or end): the record's fields, its correlation parsed
 * and its run fields, as a new object in the builder's one shape (the builder keeps a run's end).
 */
function sessionRecord(fields: EventFields, corrText: string | undefined, run: SessionFields): EventFields {
  const e = copyEventFields(fields, newEventFields(fields.dialect));
  e.correlation = corrText === undefined ? undefined : (JSON.parse(corrText) as Record<string, unknown>);
  e.correlationText = undefined;
  // The run fields the record gives (scan.ts sets only those it read, all fields of this shape).
  return Object.assign(e, run);
}

/** What the index read; the caller keeps the malformed lines and counts. */
export interface IndexResult {
  count: number;
  warnings: number;
  malformed: Malformed[];
  /** Cancelled (the read state's signal): what was merged is kept and the tail resumes after it. */
  aborted?: boolean;
}

/**
 * Read `st` (a JSONL source at offset 0, `size` bytes) with the parallel index. Sets the tail's
 * resume point and `st.pending`; never `final` (see readSource). `tail` is the source's JSONL
 * tail, or the lines tail of its OTLP handle (`otlp`: the lines are export batches).
 */
export async function indexSource(
  s: ReadState, identity: RunIdentity, st: SourceState, size: number, tail: JsonlTail, otlp = false,
  /** The scan (the workspace's queue hands one started ahead, which reports progress; indexQueue.ts). */
  scan: (o: ParallelIndexOptions) => Promise<ScanSummary> = indexFileParallel,
): Promise<IndexResult> {
  const file = st.src.file;
  const idx = s.opts.index || {};
  st.store?.close();
  const store = openFileEvents(file, { otlp });
  /** The dialect of the light records. */
  const lightDialect: Dialect = otlp ? 'otlp' : 'flowscribe-v1';
  st.store = store;
  const malformed: Malformed[] = [];
  let warnings = 0;
  let count = 0;
  const fallback = defaultDialect(st.src.kind);
  const tagCache = s.tagSets;
  const builder = s.builder;
  /** The previous light record's run resolution (consecutive events of one run reuse it). */
  let lastRoute: { in: string | undefined; runId: string; skip: boolean; rolling?: { count: number } } | undefined;
  /** `identity.route` for a light record of the parallel index (a v1 event known by its fields). */
  const routeIndexed = (fields: EventFields, ref: number): void => {
    // Consecutive events of one run (the common case) reuse the previous resolution: the same
    // run, skip and rename decisions, with the rolling count kept exact.
    const last = lastRoute;
    if (last !== undefined && last.in === fields.runId) {
      if (last.rolling) last.rolling.count++;
      if (last.skip) return;
      builder.addIndexed(fields, ref, store, last.runId, file);
      return;
    }
    const r = identity.resolve(st, fields.dialect, fields.runId);
    const rolling = identity.rollingCount(st, r.runId);
    lastRoute = { in: fields.runId, runId: r.runId, skip: r.skip === true, rolling };
    if (r.skip) return;
    const run = builder.addIndexed(fields, ref, store, r.runId, file);
    identity.afterAdd(st, r.runId, run);
  };
  // One object, reused for every light record, in the builder's one shape for events
  // (model/build.ts newEventFields: its number fields "tagged" from the start — otherwise optimised
  // code for the loop below, which had seen only heap numbers stored there, deopted on the first
  // integral duration, and V8 re-optimised and deopted it hundreds of times per 1M lines).
  const fields = newEventFields(lightDialect) as EventFields & { tags: string[] };
  const noTags: string[] = [];
  // Per batch: tag sets by the batch's string id — `tagAt[id]` is 1 + the set's place in `tagSets`,
  // 0 = not looked up yet (typed: an array set at scattered ids turned sparse, and a new shape
  // for the loop's optimised code in every batch). Correlations go to the builder as their JSON
  // text (most are one flow's own, a request id: parsed when read).
  let tablesOf: readonly string[] | undefined;
  let tagAt = new Int32Array(0);
  const tagSets: { tags: string[]; id: number }[] = [];
  /** Raw records of the current batch merged so far. */
  let rawAt = 0;
  /** Where the merged batches end (offset just after the last record's line, lines consumed). */
  let mergedEnd = 0;
  let mergedLines = 0;
  // What `fields.ts` / `fields.durationMs` were last set from (NaN: undefined; NaN !== NaN, so a
  // record without one always stores undefined, which allocates nothing). In a typed array: a
  // number kept in a closure's variable is boxed, a new heap number per change.
  const prev = new Float64Array([NaN, NaN]);
  /** Set `fields` from record `i` of a light or session record's columns; returns its record in the store. */
  const fill = (b: ScanBatch, strings: readonly string[], i: number, line: number): number => {
    const h = b.hint === undefined ? 1 : b.hint[i];
    const ref = store.add(b.offset[i], b.len[i], line, b.sub[i], h, h === 2 && b.hintText !== undefined && b.hintText[i] >= 0 ? strings[b.hintText[i]] : undefined);
    fields.type = strings[b.type[i]];
    const r = b.run[i];
    fields.runId = r < 0 ? undefined : strings[r];
    const f = b.flow[i];
    fields.flow = f < 0 ? undefined : strings[f];
    const fi = b.flowId[i];
    fields.flowId = fi < 0 ? undefined : strings[fi];
    const p = b.parent[i];
    fields.parentFlowId = p < 0 ? undefined : strings[p];
    const fc = b.failureClass[i];
    fields.failureClass = fc < 0 ? undefined : strings[fc];
    fields.severity = severityOf(b.sev[i]);
    // A number stored into `fields` is a new heap number: store only a time that changed (events
    // written in the same millisecond are common).
    const ts = b.ts[i];
    if (ts !== prev[0]) {
      prev[0] = ts;
      fields.ts = ts === ts ? ts : undefined;
    }
    const d = b.dur[i];
    if (d !== prev[1]) {
      prev[1] = d;
      fields.durationMs = d === d ? d : undefined;
    }
    const tk = b.tags[i];
    if (tk < 0) {
      fields.tags = noTags;
      fields.tagsKey = undefined;
    } else {
      const at = tagAt[tk];
      let t: { tags: string[]; id: number };
      if (at === 0) {
        const key = strings[tk];
        const known = tagCache.get(key);
        if (known) t = known;
        else tagCache.set(key, (t = { tags: key.split('\u0001'), id: tagCache.size }));
        tagAt[tk] = tagSets.push(t);
      } else t = tagSets[at - 1];
      fields.tags = t.tags;
      fields.tagsKey = t.id;
    }
    // The correlation's JSON text: the builder parses it only when it must (a flow's correlation
    // is read, or two different ones meet in a flow), not per event.
    const ck = b.corr[i];
    fields.correlationText = ck < 0 ? undefined : strings[ck];
    return ref;
  };
  /**
   * Merge the light records `[from, n)` of a batch until `deadline` (performance.now()) or a record
   * of another kind; returns where it stopped. Synchronous and free of `await`, so the hot loop is
   * optimised as one function — and only light records: the rest ({@link mergeOther}) would meet
   * its optimised code as a path never taken before (a deopt and a recompile, ~60 ms of a compiler
   * thread, when the second run's first raw record came).
   */
  const mergeSlice = (b: ScanBatch, strings: readonly string[], lineBase: number, from: number, deadline: number): number => {
    const { n, kind, line: lines } = b;
    let i = from;
    for (; i < n; i++) {
      if ((i & 255) === 255 && performance.now() > deadline) break;
      if (kind[i] !== KIND_LIGHT) break;
      count++;
      if (st.dialect === undefined) st.dialect = lightDialect;
      routeIndexed(fields, fill(b, strings, i, lineBase + lines[i]));
    }
    return i;
  };
  /** Merge record `i` of a batch, a raw record (an object JSON.parse read) or a run's start or end (OTLP). */
  const mergeOther = (b: ScanBatch, strings: readonly string[], lineBase: number, i: number): void => {
    const line = lineBase + b.line[i];
    count++;
    if (b.kind[i] === KIND_SESSION) {
      if (st.dialect === undefined) st.dialect = lightDialect;
      const ref = fill(b, strings, i, line);
      // A run's start or end is kept by the builder (`sessionEnd`): its own object, with its
      // correlation parsed.
      routeIndexed(sessionRecord(fields, fields.correlationText, b.raws[rawAt++] as SessionFields), ref);
      return;
    }
    const obj = b.raws[rawAt++];
    const detected = detectDialect(obj);
    const dialect = detected ?? st.dialect ?? fallback;
    if (st.dialect === undefined && detected !== undefined) st.dialect = dialect;
    lastRoute = undefined;
    identity.route(st, normalizeEvent(obj, dialect, { file, line, offset: b.offset[i] }));
  };
  const onBatch = async (b: ScanBatch, strings: readonly string[], lineBase: number): Promise<void> => {
    /** The first batch: the file's records (and below, its flows) are sized from it (+10%). */
    let lines = 0;
    const slots0 = store.flowSlotCount;
    if (store.size === 0 && b.n > 0) {
      const bytes = b.offset[b.n - 1] + b.len[b.n - 1] - b.offset[0] + 1;
      lines = Math.ceil((size / Math.max(1, bytes / b.n)) * 1.1);
      store.reserve(lines);
    }
    if (strings !== tablesOf) {
      tablesOf = strings;
      tagAt = new Int32Array(strings.length);
      tagSets.length = 0;
    }
    rawAt = 0;
    for (let i = 0; i < b.n; ) {
      // Keep the extension host responsive: never hold the thread for long while merging. The
      // slice's end is shared by batches (and sources): a ~1 MB batch merges in ~3-4 ms, and the
      // batches the scan queued ahead are handed over back to back in microtasks — yielding only
      // inside a batch, a run of them held the thread 30-60 ms.
      if (performance.now() >= sliceEnd) {
        await new Promise<void>((r) => setImmediate(r));
        sliceEnd = performance.now() + INDEX_SLICE_MS;
      }
      i = mergeSlice(b, strings, lineBase, i, sliceEnd);
      if (i < b.n && b.kind[i] !== KIND_LIGHT) mergeOther(b, strings, lineBase, i++);
    }
    if (lines > 0) store.reserveFlowSlots(Math.min(lines, Math.ceil(((store.flowSlotCount - slots0) / b.n) * lines)));
    for (const m of b.malformed) malformed.push({ file, line: lineBase + m.line, reason: m.reason });
    warnings += b.warnings.length;
    // A batch ends at its last record (scan.ts): everything before that line's end is merged.
    if (b.n > 0) {
      mergedEnd = b.offset[b.n - 1] + b.len[b.n - 1] + 1;
      mergedLines = lineBase + b.line[b.n - 1];
    }
  };
  let sum: { end: number; lines: number };
  try {
    sum = await scan({
      file, size, final: false, workers: idx.workers, workerScript: idx.workerScript, signal: s.signal, onBatch, otlp, hints: idx.hints, background: idx.background,
    });
  } catch (e) {
    if (!isAbort(e)) throw e;
    // Cancelled between batches: keep what was merged; a later read continues after it.
    tail.resumeAt(mergedEnd, mergedLines);
    st.pending = size - mergedEnd;
    return { count, warnings, malformed, aborted: true };
  }
  tail.resumeAt(sum.end, sum.lines);
  st.pending = size - sum.end;
  // The flows of this source's runs stay in columns (model/build.ts ColdFlows) unless asked for:
  // whatever reads them makes them (TraceWorkspace.makeFlows does it in slices).
  if (idx.makeFlows === true) for (const id of st.runIds) await makeRunFlows(builder, id, s.signal);
  return { count, warnings, malformed };
}
