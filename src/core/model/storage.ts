/**
 * The event-storage seam: where the events of a run live. The run builder files every event it
 * holds as a record of the run's {@link EventStorage} and keeps record numbers (4 bytes each) in
 * the run's {@link EventList} and in each flow's chain; it never asks which storage it has.
 *
 * - {@link MemoryEvents}: the events themselves, in an array (a trace read line by line).
 * - {@link FileEvents}: where each line is (byte offset, length, line number) in an indexed file;
 *   an event is decoded from the file when it is read (the cold index of a large JSONL file). A
 *   line that holds many events (an OTLP export batch) also records the event's index in it. The
 *   reader of byte ranges and the line decoder are injected by the read floor
 *   (src/core/read/index/fileEvents.ts), so the model does no I/O and knows no format.
 *
 * Both also keep what the builder needs per flow without an object per event: the chain of a
 * flow's records (`link`/`next`) and the flow's times (three doubles a flow, off the JS heap).
 */
import type { EventSeq, SourceLoc, TraceEvent } from './types';

/** Where the events of runs are held; see the file comment. */
export abstract class EventStorage {
  /** Next record of the same flow (-1 = none): a flow's records are a chain, not an array. */
  private nexts = new Int32Array(16).fill(-1);
  /** Flow times (`started`, `ended`, `durationMs`; NaN = unset), three to a flow slot. */
  private times = new Float64Array(3 * 4).fill(NaN);
  private flowSlots = 0;

  /** Records held. */
  abstract get size(): number;

  /**
   * The event of record `ref`. `runId` fills a missing run id of an event decoded again from its
   * line. With `cache` (a flow's lists) a decoded event stays the same object while anyone holds
   * it; without (a run's list, which may be walked end to end) a new one is not kept.
   */
  abstract event(ref: number, runId: string, cache?: boolean): TraceEvent;

  /** File an event object (one read whole, or from another storage); returns its record. */
  abstract keep(event: TraceEvent): number;

  /** Let go of a record's event when no list holds it any more (a summarised run). */
  abstract release(ref: number): void;

  /** Close what the storage holds open (a file); later reads reopen it. */
  close(): void {
    // Nothing held open in memory.
  }

  /** Bytes held by the per-flow bookkeeping (for memory reports). */
  protected get chainBytes(): number {
    return this.nexts.byteLength + this.times.byteLength;
  }

  /** Make room for `n` records in the chains. */
  protected reserveChains(n: number): void {
    if (n <= this.nexts.length) return;
    const nx = new Int32Array(n).fill(-1, this.nexts.length);
    nx.set(this.nexts);
    this.nexts = nx;
  }

  /** Chain record `ref` after `prev` (records of one flow, in file order). */
  link(prev: number, ref: number): void {
    if (prev >= this.nexts.length) this.reserveChains(Math.max(prev + 1, Math.ceil(this.nexts.length * 1.5)));
    this.nexts[prev] = ref;
  }

  /** The record after `ref` in its flow's chain, or -1. */
  next(ref: number): number {
    return ref < this.nexts.length ? this.nexts[ref] : -1;
  }

  /** A slot for a new flow's times. */
  newFlowSlot(): number {
    if ((this.flowSlots + 1) * 3 > this.times.length) {
      const t = new Float64Array(this.times.length * 2).fill(NaN, this.times.length);
      t.set(this.times);
      this.times = t;
    }
    return this.flowSlots++;
  }

  /** Time `k` (0 started, 1 ended, 2 duration) of flow slot `slot`. */
  time(slot: number, k: number): number | undefined {
    const v = this.times[slot * 3 + k];
    return v === v ? v : undefined;
  }

  setTime(slot: number, k: number, v: number | undefined): void {
    this.times[slot * 3 + k] = v ?? NaN;
  }
}

/** An event that cannot be read back (the file changed, a released record): kept, and says why. */
export function unreadableEvent(loc: SourceLoc, why: string): TraceEvent {
  return { dialect: 'flowscribe-v1', type: 'unknown', tags: [], extra: { flowlens_unreadable: why }, src: loc };
}

/** Events held as objects. */
export class MemoryEvents extends EventStorage {
  private readonly events: (TraceEvent | undefined)[] = [];

  get size(): number {
    return this.events.length;
  }

  event(ref: number): TraceEvent {
    return this.events[ref] ?? unreadableEvent({ file: '', line: 0 }, 'released from memory');
  }

  keep(event: TraceEvent): number {
    return this.events.push(event) - 1;
  }

  release(ref: number): void {
    this.events[ref] = undefined;
  }
}

/** Reads byte ranges of one file (injected into {@link FileEvents}). */
export interface ByteRangeReader {
  /**
   * Up to `len` bytes of the file from `offset` (fewer when the file is now shorter); the view is
   * valid until the next call. Throws on an I/O error (the message is shown in the event).
   */
  read(offset: number, len: number): Uint8Array;
  close(): void;
}

/**
 * Decodes one line (its bytes, without the newline) into an event, or says why it cannot. `sub`
 * is the event's index among the line's events (0 but for a line holding many, e.g. OTLP).
 */
export type LineDecoder = (line: Uint8Array, loc: Required<SourceLoc>, sub: number) => TraceEvent | string;

/** Events of one indexed file: where each line is, decoded again when read. */
export class FileEvents extends EventStorage {
  readonly file: string;
  private offsets = new Float64Array(4096);
  /** A line's length, or for an object record (offset -1) its index in `objs`. */
  private lens = new Uint32Array(4096);
  private lines = new Uint32Array(4096);
  /** The event's index within its line; allocated by the first record with one (OTLP batches). */
  private subs: Uint32Array | undefined;
  private n = 0;
  /** Events filed as objects (lines the index passed on whole, or from another storage). */
  private readonly objs: (TraceEvent | undefined)[] = [];
  private readonly cache = new Map<number, WeakRef<TraceEvent>>();
  private readonly registry = new FinalizationRegistry<number>((ref) => {
    const w = this.cache.get(ref);
    if (w && w.deref() === undefined) this.cache.delete(ref);
  });

  constructor(file: string, private readonly reader: ByteRangeReader, private readonly decode: LineDecoder) {
    super();
    this.file = file;
    this.reserveChains(4096);
  }

  get size(): number {
    return this.n;
  }

  /** Bytes held by the records (for memory reports). */
  get bytes(): number {
    return this.offsets.byteLength + this.lens.byteLength + this.lines.byteLength + (this.subs?.byteLength ?? 0) + this.chainBytes;
  }

  /** Make room for `total` records (avoids doubling past what a file needs). */
  reserve(total: number): void {
    if (total <= this.offsets.length) return;
    this.grow(total);
  }

  private grow(cap: number): void {
    const o = new Float64Array(cap);
    o.set(this.offsets.subarray(0, this.n));
    this.offsets = o;
    const l = new Uint32Array(cap);
    l.set(this.lens.subarray(0, this.n));
    this.lens = l;
    const ln = new Uint32Array(cap);
    ln.set(this.lines.subarray(0, this.n));
    this.lines = ln;
    if (this.subs) {
      const sb = new Uint32Array(cap);
      sb.set(this.subs.subarray(0, this.n));
      this.subs = sb;
    }
    this.reserveChains(cap);
  }

  /** Add the record of a line (of its event `sub`, for a line holding many); returns its number. */
  add(offset: number, len: number, line: number, sub = 0): number {
    if (this.n === this.offsets.length) this.grow(Math.ceil(this.n * 1.5));
    const i = this.n++;
    this.offsets[i] = offset;
    this.lens[i] = len;
    this.lines[i] = line;
    if (sub !== 0 || this.subs) (this.subs ??= new Uint32Array(this.offsets.length))[i] = sub;
    return i;
  }

  keep(event: TraceEvent): number {
    return this.add(-1, this.objs.push(event) - 1, event.src.line);
  }

  release(ref: number): void {
    if (this.offsets[ref] < 0) this.objs[this.lens[ref]] = undefined;
  }

  /** 1-based line and byte offset of a record (offset -1: an event filed as an object). */
  loc(ref: number): { line: number; offset: number } {
    return { line: this.lines[ref], offset: this.offsets[ref] };
  }

  event(ref: number, runId: string, cache = true): TraceEvent {
    if (this.offsets[ref] < 0) return this.objs[this.lens[ref]] ?? unreadableEvent({ file: this.file, line: this.lines[ref] }, 'released from memory');
    const hit = this.cache.size > 0 ? this.cache.get(ref)?.deref() : undefined;
    if (hit) return hit;
    const ev = this.load(ref);
    if (ev.runId !== runId) ev.runId = runId;
    if (!cache) return ev;
    this.cache.set(ref, new WeakRef(ev));
    this.registry.register(ev, ref);
    return ev;
  }

  override close(): void {
    this.reader.close();
  }

  private load(ref: number): TraceEvent {
    const loc = { file: this.file, line: this.lines[ref], offset: this.offsets[ref] };
    const len = this.lens[ref];
    try {
      const bytes = this.reader.read(loc.offset, len);
      if (bytes.length < len) return unreadableEvent(loc, 'file changed since it was indexed');
      const r = this.decode(bytes, loc, this.subs ? this.subs[ref] : 0);
      return typeof r === 'string' ? unreadableEvent(loc, r) : r;
    } catch (e) {
      return unreadableEvent(loc, e instanceof Error ? e.message : String(e));
    }
  }
}

/**
 * A read-only list of records of one storage, read as events: a run's `events`, or a flow's.
 * Only what is touched is decoded (`length`, `at(-1)`, `slice(-50)` cost what they read).
 */
export class EventList implements EventSeq {
  private refs: Int32Array;
  private n = 0;

  constructor(readonly storage: EventStorage, private readonly runId: string, private readonly cache: boolean, capacity = 16) {
    this.refs = new Int32Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.n;
  }

  /** Append a record (the run builder). */
  push(ref: number): void {
    if (this.n === this.refs.length) {
      const g = new Int32Array(Math.max(16, Math.ceil(this.n * 1.5)));
      g.set(this.refs);
      this.refs = g;
    }
    this.refs[this.n++] = ref;
  }

  /** Empty the list (the run builder, summarising a run). */
  clear(): void {
    this.n = 0;
    this.refs = new Int32Array(16);
  }

  /** The record at `i`. */
  refAt(i: number): number {
    return this.refs[i];
  }

  at(i: number): TraceEvent | undefined {
    const k = i < 0 ? i + this.n : i;
    return k >= 0 && k < this.n ? this.storage.event(this.refs[k], this.runId, this.cache) : undefined;
  }

  *[Symbol.iterator](): Iterator<TraceEvent> {
    for (let i = 0; i < this.n; i++) yield this.storage.event(this.refs[i], this.runId, this.cache);
  }

  slice(start = 0, end = this.n): TraceEvent[] {
    const n = this.n;
    const a = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
    const b = end < 0 ? Math.max(0, n + end) : Math.min(end, n);
    const out: TraceEvent[] = [];
    for (let i = a; i < b; i++) out.push(this.storage.event(this.refs[i], this.runId, this.cache));
    return out;
  }

  filter(pred: (e: TraceEvent, i: number) => unknown): TraceEvent[] {
    const out: TraceEvent[] = [];
    for (let i = 0; i < this.n; i++) {
      const e = this.storage.event(this.refs[i], this.runId, this.cache);
      if (pred(e, i)) out.push(e);
    }
    return out;
  }

  findIndex(pred: (e: TraceEvent, i: number) => unknown): number {
    for (let i = 0; i < this.n; i++) if (pred(this.storage.event(this.refs[i], this.runId, this.cache), i)) return i;
    return -1;
  }

  find(pred: (e: TraceEvent, i: number) => unknown): TraceEvent | undefined {
    for (let i = 0; i < this.n; i++) {
      const e = this.storage.event(this.refs[i], this.runId, this.cache);
      if (pred(e, i)) return e;
    }
    return undefined;
  }

  some(pred: (e: TraceEvent, i: number) => unknown): boolean {
    return this.findIndex(pred) >= 0;
  }

  every(pred: (e: TraceEvent, i: number) => unknown): boolean {
    return this.findIndex((e, i) => !pred(e, i)) < 0;
  }

  map<U>(fn: (e: TraceEvent, i: number) => U): U[] {
    const out = new Array<U>(this.n);
    for (let i = 0; i < this.n; i++) out[i] = fn(this.storage.event(this.refs[i], this.runId, this.cache), i);
    return out;
  }

  forEach(fn: (e: TraceEvent, i: number) => void): void {
    for (let i = 0; i < this.n; i++) fn(this.storage.event(this.refs[i], this.runId, this.cache), i);
  }

  indexOf(e: TraceEvent): number {
    return this.findIndex((x) => x === e);
  }

  includes(e: TraceEvent): boolean {
    return this.indexOf(e) >= 0;
  }

  toJSON(): TraceEvent[] {
    return this.slice();
  }
}
