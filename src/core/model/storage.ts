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
 * flow's records (`link`/`next`), the flow's times (three doubles a flow) and where its chain
 * starts and ends (four integers a flow), off the JS heap: a flow object holds only its slot.
 */
import type { EventSeq, SourceLoc, TraceEvent } from './types';

/** Entries filled per step as the chains and flow times are reached (64-128 KB: a few pages). */
const FILL_CHUNK = 16384;

/** Where the events of runs are held; see the file comment. */
export abstract class EventStorage {
  /** Next record of the same flow (-1 = none): a flow's records are a chain, not an array. */
  private nexts = new Int32Array(16).fill(-1);
  /**
   * Entries of `nexts` (and below, `times`) written so far; the rest are fresh zeroed memory that
   * reads as unset. They are filled in chunks as they are reached ({@link FILL_CHUNK}): filled at
   * once, a 1M-line file's chains and a ~300k-flow run's times touch every page of 4-8 MB in one
   * piece (~10-20 ms of page faults on a VM), and that held the extension host's thread.
   */
  private nextsFilled = 16;
  /** Flow times (`started`, `ended`, `durationMs`; NaN = unset), three to a flow slot. */
  private times = new Float64Array(3 * 4).fill(NaN);
  private timesFilled = 3 * 4;
  /**
   * Flow chains, four to a flow slot: first record, last record, records held, the verdict
   * event's record (-1 = none).
   */
  private flowRefs = new Int32Array(4 * 4);
  /** Failing verdicts' failure classes by flow slot ({@link flowVerdictClass}). */
  private readonly verdictClasses = new Map<number, string | null>();
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

  /**
   * What record `ref` gives the run-scoped secret walk, as the cold index recorded it
   * (src/core/read/secretHint.ts): 0 nothing, 1 its event may hold a secret (or nobody looked), or
   * the part of its event that may, as JSON (walk that instead of decoding the event).
   */
  secretHint(_ref: number): 0 | 1 | string {
    return 1;
  }

  /**
   * The run-scoped secret walk over the records `refs[from, to)` (a run's events, in order), by
   * their hints ({@link secretHint}): `walk(k)` for each record whose event must be decoded (its
   * index in `refs`), `text(t)` once per distinct pruned text of the others; either returning
   * false stops the walk. Returns whether a record was not decoded.
   */
  secretWalk(_refs: Int32Array, from: number, to: number, walk: (k: number) => boolean, _text: (t: string) => boolean): boolean {
    for (let k = from; k < to; k++) if (!walk(k)) break;
    return false;
  }

  /** Close what the storage holds open (a file); later reads reopen it. */
  close(): void {
    // Nothing held open in memory.
  }

  /** Bytes held by the per-flow bookkeeping (for memory reports). */
  protected get chainBytes(): number {
    return this.nexts.byteLength + this.times.byteLength + this.flowRefs.byteLength;
  }

  /** Make room for `n` records in the chains. */
  protected reserveChains(n: number): void {
    if (n <= this.nexts.length) return;
    const nx = new Int32Array(n);
    nx.set(this.nexts.subarray(0, this.nextsFilled));
    this.nexts = nx;
  }

  /** Chain record `ref` after `prev` (records of one flow, in file order). */
  link(prev: number, ref: number): void {
    if (prev >= this.nexts.length) this.reserveChains(Math.max(prev + 1, Math.ceil(this.nexts.length * 1.5)));
    if (prev >= this.nextsFilled) {
      const to = Math.min(this.nexts.length, Math.max(prev + 1, this.nextsFilled + FILL_CHUNK));
      this.nexts.fill(-1, this.nextsFilled, to);
      this.nextsFilled = to;
    }
    this.nexts[prev] = ref;
  }

  /** The record after `ref` in its flow's chain, or -1. */
  next(ref: number): number {
    return ref < this.nextsFilled ? this.nexts[ref] : -1;
  }

  /**
   * Make room for `n` flow slots: a file's index reserves what its first batch suggests, so the
   * slots do not double (a copy and NaN fill of ~7 MB in one piece for a run of ~300k flows).
   */
  reserveFlowSlots(n: number): void {
    if (n * 3 > this.times.length) {
      const t = new Float64Array(n * 3);
      t.set(this.times.subarray(0, this.timesFilled));
      this.times = t;
    }
    if (n * 4 > this.flowRefs.length) {
      const r = new Int32Array(n * 4);
      r.set(this.flowRefs);
      this.flowRefs = r;
    }
  }

  /** A slot for a new flow's times and chain (an empty chain, no verdict record). */
  newFlowSlot(): number {
    if ((this.flowSlots + 1) * 3 > this.times.length || (this.flowSlots + 1) * 4 > this.flowRefs.length) this.reserveFlowSlots(Math.max(4, this.flowSlots * 2));
    const slot = this.flowSlots++;
    this.setFlowChain(slot, -1, -1, 0);
    this.flowRefs[slot * 4 + 3] = -1;
    return slot;
  }

  /** Append record `ref` to the chain of flow slot `slot`. */
  flowPush(slot: number, ref: number): void {
    const b = slot * 4;
    const r = this.flowRefs;
    const tail = r[b + 1];
    if (tail >= 0) this.link(tail, ref);
    else r[b] = ref;
    r[b + 1] = ref;
    r[b + 2]++;
  }

  /** First record of a flow slot's chain (-1 = none). */
  flowHead(slot: number): number {
    return this.flowRefs[slot * 4];
  }

  /** Last record of a flow slot's chain (-1 = none). */
  flowTail(slot: number): number {
    return this.flowRefs[slot * 4 + 1];
  }

  /** Records in a flow slot's chain. */
  flowCount(slot: number): number {
    return this.flowRefs[slot * 4 + 2];
  }

  /** Set a flow slot's chain (empty: -1, -1, 0). */
  setFlowChain(slot: number, head: number, tail: number, count: number): void {
    const b = slot * 4;
    this.flowRefs[b] = head;
    this.flowRefs[b + 1] = tail;
    this.flowRefs[b + 2] = count;
  }

  /** The verdict event's record of a flow slot (-1 = none). */
  flowVerdictRef(slot: number): number {
    return this.flowRefs[slot * 4 + 3];
  }

  setFlowVerdictRef(slot: number, ref: number): void {
    this.flowRefs[slot * 4 + 3] = ref;
  }

  /**
   * The failure class of the failing verdict event of flow slot `slot` as the builder read it
   * (null: the event has none), so a rollup counts classes without decoding every failing flow's
   * verdict event again; undefined when not recorded (a restored index: read the event).
   */
  flowVerdictClass(slot: number): string | null | undefined {
    return this.verdictClasses.get(slot);
  }

  setFlowVerdictClass(slot: number, failureClass: string | undefined): void {
    this.verdictClasses.set(slot, failureClass ?? null);
  }

  /** Time `k` (0 started, 1 ended, 2 duration) of flow slot `slot`. */
  time(slot: number, k: number): number | undefined {
    const i = slot * 3 + k;
    if (i >= this.timesFilled) return undefined;
    const v = this.times[i];
    return v === v ? v : undefined;
  }

  /** Whether time `k` of flow slot `slot` is set. */
  hasTime(slot: number, k: number): boolean {
    const i = slot * 3 + k;
    if (i >= this.timesFilled) return false;
    const v = this.times[i];
    return v === v;
  }

  setTime(slot: number, k: number, v: number | undefined): void {
    const i = slot * 3 + k;
    if (i >= this.timesFilled) {
      if (v === undefined) return;
      const to = Math.min(this.times.length, Math.max(i + 1, this.timesFilled + FILL_CHUNK));
      this.times.fill(NaN, this.timesFilled, to);
      this.timesFilled = to;
    }
    this.times[i] = v ?? NaN;
  }

  /** Flow slots the times have room for (a run's columns reserve their share: build.ts ColdFlows). */
  get flowSlotCapacity(): number {
    return Math.floor(this.times.length / 3);
  }

  // --- The persisted index (src/core/read/index/persist.ts): chains and flow times, copied. ---

  /** A copy of the chains of records `[0, records)` and of the flow times (they change later). */
  chainSnapshot(records: number): ChainSnapshot {
    const nexts = new Int32Array(records).fill(-1);
    nexts.set(this.nexts.subarray(0, Math.min(records, this.nextsFilled)));
    const times = new Float64Array(this.flowSlots * 3).fill(NaN);
    times.set(this.times.subarray(0, Math.min(times.length, this.timesFilled)));
    return { nexts, times, flowRefs: this.flowRefs.slice(0, this.flowSlots * 4), flowSlots: this.flowSlots };
  }

  /**
   * Take restored chains, flow times and flow chains (validated by the caller: every record number
   * is -1 or a record). Their flow slots stay taken: the restored flows are made with theirs.
   */
  protected restoreChains(c: ChainSnapshot): void {
    // Taken as they are (views of the cache file's bytes, not copies); they grow by copy when full.
    if (c.nexts.length >= 16) this.nexts = c.nexts;
    else {
      this.nexts = new Int32Array(16).fill(-1);
      this.nexts.set(c.nexts);
    }
    this.nextsFilled = this.nexts.length;
    if (c.flowSlots >= 4) {
      this.times = c.times;
      this.flowRefs = c.flowRefs;
    } else {
      this.times = new Float64Array(3 * 4).fill(NaN);
      this.times.set(c.times);
      this.flowRefs.set(c.flowRefs);
    }
    this.timesFilled = this.times.length;
    this.flowSlots = c.flowSlots;
  }

  /** Flow slots taken. */
  get flowSlotCount(): number {
    return this.flowSlots;
  }
}

/** The chains and flow times of a storage (the persisted index). */
export interface ChainSnapshot {
  /** `next` of each record (-1 = none). */
  nexts: Int32Array<ArrayBuffer>;
  /** Three times per flow slot (NaN = unset). */
  times: Float64Array<ArrayBuffer>;
  /** Four record numbers per flow slot: first, last, count, verdict event (-1 = none). */
  flowRefs: Int32Array<ArrayBuffer>;
  flowSlots: number;
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
  /**
   * Secret hints (see {@link EventStorage.secretHint}): 0, 1, or 2 = walk the text `hintTexts[hintIds[ref]]`;
   * allocated by the first record that is not 1.
   */
  private hints: Uint8Array | undefined;
  private hintIds: Int32Array | undefined;
  private hintTexts: string[] = [];
  private hintIndex = new Map<string, number>();
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
    return this.offsets.byteLength + this.lens.byteLength + this.lines.byteLength + (this.subs?.byteLength ?? 0) + (this.hints?.byteLength ?? 0) + this.chainBytes;
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
    if (this.hints) {
      const h = new Uint8Array(cap).fill(1);
      h.set(this.hints.subarray(0, this.n));
      this.hints = h;
    }
    if (this.hintIds) {
      const h = new Int32Array(cap);
      h.set(this.hintIds.subarray(0, this.n));
      this.hintIds = h;
    }
    this.reserveChains(cap);
  }

  /**
   * Add the record of a line (of its event `sub`, for a line holding many); returns its number.
   * `hint`: 0 the line gives the secret walk nothing, 2 it gives what `hintText` gives (see
   * {@link EventStorage.secretHint}), else 1.
   */
  add(offset: number, len: number, line: number, sub = 0, hint = 1, hintText?: string): number {
    if (this.n === this.offsets.length) this.grow(Math.ceil(this.n * 1.5));
    const i = this.n++;
    this.offsets[i] = offset;
    this.lens[i] = len;
    this.lines[i] = line;
    if (sub !== 0 || this.subs) (this.subs ??= new Uint32Array(this.offsets.length))[i] = sub;
    const h = hint === 0 ? 0 : hint === 2 && hintText !== undefined ? 2 : 1;
    if (h !== 1 || this.hints) (this.hints ??= new Uint8Array(this.offsets.length).fill(1))[i] = h;
    if (h === 2) {
      let id = this.hintIndex.get(hintText as string);
      if (id === undefined) {
        id = this.hintTexts.push(hintText as string) - 1;
        this.hintIndex.set(hintText as string, id);
      }
      (this.hintIds ??= new Int32Array(this.offsets.length))[i] = id;
    }
    return i;
  }

  override secretHint(ref: number): 0 | 1 | string {
    const h = this.hints === undefined ? 1 : this.hints[ref];
    if (h === 2) return this.hintTexts[(this.hintIds as Int32Array)[ref]];
    return h === 0 ? 0 : 1;
  }

  /** {@link EventStorage.secretWalk} from the hint columns: each text once, by its id (a 400k-record run holds a few thousand). */
  override secretWalk(refs: Int32Array, from: number, to: number, walk: (k: number) => boolean, text: (t: string) => boolean): boolean {
    const hints = this.hints;
    if (hints === undefined) return super.secretWalk(refs, from, to, walk, text);
    const ids = this.hintIds;
    const texts = this.hintTexts;
    const seen = new Uint8Array(texts.length);
    let skipped = false;
    for (let k = from; k < to; k++) {
      const ref = refs[k];
      const h = hints[ref];
      if (h === 1) {
        if (!walk(k)) break;
        continue;
      }
      skipped = true;
      if (h === 2 && ids !== undefined) {
        const id = ids[ref];
        if (seen[id] === 0) {
          seen[id] = 1;
          if (!text(texts[id])) break;
        }
      }
    }
    return skipped;
  }

  // --- The background hint pass (src/core/read/workspace/hintPass.ts). ---

  /** Whether the records carry secret hints (absent: every record is decoded by the secret walk). */
  get hinted(): boolean {
    return this.hints !== undefined;
  }

  /** The byte offset of record `ref` (-1: an event filed as an object). */
  recordOffset(ref: number): number {
    return this.offsets[ref];
  }

  /** The event's index within its line of record `ref` (0 but for OTLP batches). */
  recordSub(ref: number): number {
    return this.subs ? this.subs[ref] : 0;
  }

  /**
   * Attach hints made after the index (one per record, `n` = the records now; `ids[ref]` indexes
   * `texts` for a hint 2). Only a store without hints takes them; returns whether it did.
   */
  setHints(n: number, hints: Uint8Array, ids: Int32Array, texts: readonly string[]): boolean {
    if (this.hints !== undefined || n !== this.n || hints.length < n || ids.length < n) return false;
    const cap = this.offsets.length;
    const h = new Uint8Array(cap).fill(1);
    const hi = new Int32Array(cap);
    for (let i = 0; i < n; i++) {
      const v = hints[i];
      const id = ids[i];
      if (v === 0) h[i] = 0;
      else if (v === 2 && id >= 0 && id < texts.length && typeof texts[id] === 'string') {
        h[i] = 2;
        hi[i] = id;
      }
    }
    this.hintTexts = [...texts];
    this.hintIndex = new Map();
    this.hintTexts.forEach((t, k) => this.hintIndex.set(t, k));
    this.hintIds = hi;
    this.hints = h;
    return true;
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

  // --- The persisted index (src/core/read/index/persist.ts). ---

  /**
   * The records as they are now: views of the record arrays (records are only appended, and a
   * grown array is a copy, so the views stay right), the events filed as objects by record, and a
   * copy of the chains and flow times.
   */
  snapshot(): FileEventsSnapshot {
    const n = this.n;
    const objects: { ref: number; event: TraceEvent | undefined }[] = [];
    for (let i = 0; i < n; i++) if (this.offsets[i] < 0) objects.push({ ref: i, event: this.objs[this.lens[i]] });
    return {
      n,
      offsets: this.offsets.subarray(0, n),
      lens: this.lens.subarray(0, n),
      lines: this.lines.subarray(0, n),
      subs: this.subs?.subarray(0, n),
      hints: this.hints?.subarray(0, n),
      hintIds: this.hintIds?.subarray(0, n),
      hintTexts: this.hintTexts,
      objects,
      chains: this.chainSnapshot(n),
    };
  }

  /**
   * Records restored (validated by the caller), taking the arrays (no copy): `objects` are the
   * events filed as objects, by record (their `offsets` entry is set to -1 and their `lens` entry to
   * their place here).
   */
  static restore(file: string, reader: ByteRangeReader, decode: LineDecoder, snap: FileEventsSnapshot): FileEvents {
    const f = new FileEvents(file, reader, decode);
    const n = snap.n;
    if (n >= 16) {
      // Taken as they are (views of the cache file's bytes); the first record added grows them.
      f.offsets = snap.offsets;
      f.lens = snap.lens;
      f.lines = snap.lines;
      f.subs = snap.subs;
    } else {
      f.offsets.set(snap.offsets);
      f.lens.set(snap.lens);
      f.lines.set(snap.lines);
      if (snap.subs) (f.subs = new Uint32Array(f.offsets.length)).set(snap.subs);
    }
    const cap = f.offsets.length;
    if (snap.hints && snap.hints.length === n) {
      f.hints = new Uint8Array(cap).fill(1);
      f.hints.set(snap.hints);
      const texts = snap.hintTexts ?? [];
      const ids = snap.hintIds && snap.hintIds.length === n ? snap.hintIds : undefined;
      // A text hint without its text (or out of range) is walked as the event (1).
      for (let i = 0; i < n; i++) if (f.hints[i] === 2 && (ids === undefined || !(ids[i] >= 0 && ids[i] < texts.length) || typeof texts[ids[i]] !== 'string')) f.hints[i] = 1;
      if (ids) {
        f.hintIds = new Int32Array(cap);
        f.hintIds.set(ids);
      }
      f.hintTexts = texts.map((t) => (typeof t === 'string' ? t : ''));
      f.hintTexts.forEach((t, k) => f.hintIndex.set(t, k));
    }
    for (const o of snap.objects) {
      f.offsets[o.ref] = -1;
      f.lens[o.ref] = f.objs.push(o.event) - 1;
    }
    f.n = n;
    f.restoreChains(snap.chains);
    return f;
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

/** The records of a {@link FileEvents} (the persisted index). */
export interface FileEventsSnapshot {
  n: number;
  offsets: Float64Array<ArrayBuffer>;
  lens: Uint32Array<ArrayBuffer>;
  lines: Uint32Array<ArrayBuffer>;
  subs: Uint32Array | undefined;
  /** Secret hints (see FileEvents.add); absent = every record may hold one. */
  hints?: Uint8Array;
  /** For a hint 2, the index of its text in `hintTexts`. */
  hintIds?: Int32Array;
  hintTexts?: string[];
  /** Records filed as event objects (offset -1). */
  objects: { ref: number; event: TraceEvent | undefined }[];
  chains: ChainSnapshot;
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

  /** {@link EventStorage.secretWalk} over events `[from, to)` of this list (`walk` gets the event's index). */
  secretWalk(from: number, to: number, walk: (i: number) => boolean, text: (t: string) => boolean): boolean {
    return this.storage.secretWalk(this.refs, from, Math.min(to, this.n), walk, text);
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

  /** The records, as a view (the persisted index; valid until the next `clear`). */
  refsView(): Int32Array {
    return this.refs.subarray(0, this.n);
  }

  /**
   * A list of restored records (the persisted index; validated by the caller), taking `refs` as it
   * is (a view of the cache's bytes; the first push past it grows it by copy).
   */
  static restore(storage: EventStorage, runId: string, cache: boolean, refs: Int32Array): EventList {
    const l = new EventList(storage, runId, cache, 1);
    if (refs.length > 0) l.refs = refs;
    l.n = refs.length;
    return l;
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
