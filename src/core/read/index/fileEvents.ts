/**
 * Runs and flows whose events stay in the file until someone asks for them. The parallel index
 * keeps, per event, only its byte offset, length and line (an {@link EventStore} record); a
 * {@link LazyRun} / {@link LazyFlowNode} holds record numbers, and `events`, `steps` and
 * `verdictEvent` parse the lines on access. They are ordinary {@link Run} / {@link FlowNode}s to
 * every reader: `run.events` is an array (a Proxy over the record numbers) whose elements are
 * parsed when read, so `length`, `slice(-50)`, `[i]` cost only what they touch.
 *
 * An event read twice from a flow's lists is the same object while anyone holds it (a weak
 * cache), so `flow.events.indexOf(e)` works; `run.events` reuses those objects but does not keep
 * new ones, so iterating a million-event run holds no more than the caller keeps.
 */
import * as fs from 'node:fs';
import type { Dialect, FlowNode, Malformed, Run, RunStatus, StepNode, TraceEvent, Verdict } from '../../model/types';
import type { EventCounts } from '../../model/types';
import { parseJsonLine } from '../sources/jsonl';
import { detectDialect, normalizeEvent } from '../sources/normalize';
import { openRegular } from '../ingress/safeFile';
import { bump, copyEventCounts, emptyEventCounts } from '../../model/bounded';

/** An event in a lazy list: a record number of the list's store, or an event object. */
export type EventItem = number | TraceEvent;

/** Per-event records of one indexed file: where each line is, so it can be parsed again. */
export class EventStore {
  readonly file: string;
  private offsets = new Float64Array(4096);
  private lens = new Uint32Array(4096);
  private lines = new Uint32Array(4096);
  /** Next record of the same flow (-1 = none): a flow's records are a chain, not an array. */
  private nexts = new Int32Array(4096);
  private n = 0;
  private readonly cache = new Map<number, WeakRef<TraceEvent>>();
  private readonly registry = new FinalizationRegistry<number>((ref) => {
    const w = this.cache.get(ref);
    if (w && w.deref() === undefined) this.cache.delete(ref);
  });
  private fd: number | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private buf = Buffer.allocUnsafe(64 * 1024);
  private bufPos = 0;
  private bufLen = 0;

  constructor(file: string) {
    this.file = file;
  }

  /** Records held. */
  get size(): number {
    return this.n;
  }

  /** Bytes held by the records (for memory reports). */
  get bytes(): number {
    return this.offsets.byteLength + this.lens.byteLength + this.lines.byteLength + this.nexts.byteLength + this.times.byteLength;
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
    const nx = new Int32Array(cap);
    nx.set(this.nexts.subarray(0, this.n));
    this.nexts = nx;
  }

  /** Add a record; returns its number. */
  add(offset: number, len: number, line: number): number {
    if (this.n === this.offsets.length) this.grow(Math.ceil(this.n * 1.5));
    const i = this.n++;
    this.offsets[i] = offset;
    this.lens[i] = len;
    this.lines[i] = line;
    this.nexts[i] = -1;
    return i;
  }

  /**
   * Times of this store's flows (`started`, `ended`, `durationMs`; NaN = unset), three to a flow.
   * Off the JS heap: as object fields they would be three boxed doubles a flow (~72 bytes).
   */
  private times = new Float64Array(3 * 1024).fill(NaN);
  private flowSlots = 0;

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

  /** Chain record `ref` after `prev` (records of one flow, in file order). */
  link(prev: number, ref: number): void {
    this.nexts[prev] = ref;
  }

  /** The record after `ref` in its flow's chain, or -1. */
  next(ref: number): number {
    return this.nexts[ref];
  }

  /** 1-based line and byte offset of a record. */
  loc(ref: number): { line: number; offset: number } {
    return { line: this.lines[ref], offset: this.offsets[ref] };
  }

  /**
   * The event of a record, parsed from the file. `runId` fills a missing run id. With `remember`
   * (flow lists) the object is cached while referenced, so reading it again gives the same object;
   * without (a run's list, which may be iterated end to end) a cached one is reused but a new one
   * is not kept, so a full pass does not hold every event.
   */
  get(ref: number, runId?: string, remember = true): TraceEvent {
    const hit = this.cache.size > 0 ? this.cache.get(ref)?.deref() : undefined;
    if (hit) return hit;
    const ev = this.load(ref);
    if (runId !== undefined && ev.runId !== runId) ev.runId = runId;
    if (!remember) return ev;
    this.cache.set(ref, new WeakRef(ev));
    this.registry.register(ev, ref);
    return ev;
  }

  /** Close the file (the source went away). Later reads reopen it. */
  close(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // a read-only descriptor
      }
    }
    this.fd = undefined;
    this.bufLen = 0;
  }

  private load(ref: number): TraceEvent {
    const offset = this.offsets[ref];
    const len = this.lens[ref];
    const line = this.lines[ref];
    const loc = { file: this.file, line, offset };
    try {
      if (this.fd === undefined) {
        // The ingress policy: a regular file only, opened non-blocking and without following a link.
        const o = openRegular(this.file, { kind: 'trace' });
        if (!o.ok) throw new Error(o.problem.message);
        this.fd = o.file.fd;
        // Keep the file open for a burst of reads (a view expanding a flow), not for ever.
        this.closeTimer = setTimeout(() => this.close(), 2000);
        this.closeTimer.unref?.();
      }
      // Read a block at a time: neighbouring events (a flow, a run's tail, an iteration) share it.
      if (offset < this.bufPos || offset + len > this.bufPos + this.bufLen) {
        if (this.buf.length < len) this.buf = Buffer.allocUnsafe(len);
        this.bufPos = offset;
        this.bufLen = fs.readSync(this.fd, this.buf, 0, this.buf.length, offset);
      }
      const at = offset - this.bufPos;
      const got = Math.min(len, this.bufLen - at);
      const r = got === len ? parseJsonLine(this.buf, at, at + len, offset, false, Infinity) : undefined;
      if (r?.value) return normalizeEvent(r.value, detectDialect(r.value) ?? 'flowscribe-v1', loc);
      return unreadable(loc, got === len ? (r?.error ?? 'blank line') : 'file changed since it was indexed');
    } catch (e) {
      return unreadable(loc, e instanceof Error ? e.message : String(e));
    }
  }
}

function unreadable(loc: { file: string; line: number; offset: number }, why: string): TraceEvent {
  return { dialect: 'flowscribe-v1', type: 'unknown', tags: [], extra: { flowlens_unreadable: why }, src: loc };
}

/** A read-through array over `items`: record numbers are parsed from `store` when read. */
export function lazyEventList(items: EventItem[], store: EventStore, runId: string, remember = true): TraceEvent[] {
  return new Proxy(items as unknown as TraceEvent[], {
    get(target, key, receiver) {
      if (typeof key === 'string') {
        const c = key.charCodeAt(0);
        if (c >= 48 && c <= 57) {
          const v = (target as unknown as EventItem[])[key as unknown as number];
          return typeof v === 'number' ? store.get(v, runId, remember) : v;
        }
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

/**
 * A growable list of event items kept off the JS heap: record numbers in an `Int32Array` (4 bytes
 * an event instead of an 8-byte array slot, and growth copies return to the OS instead of staying
 * in the V8 heap), event objects (session events, lines the index passed on whole) in a side array,
 * stored as `-(k + 1)`.
 */
export class ItemList {
  private refs: Int32Array;
  private objs: TraceEvent[] = [];
  length = 0;

  constructor(capacity = 16) {
    this.refs = new Int32Array(Math.max(1, capacity));
  }

  static from(items: readonly EventItem[]): ItemList {
    const l = new ItemList(items.length);
    for (const it of items) l.push(it);
    return l;
  }

  push(item: EventItem): void {
    if (this.length === this.refs.length) {
      const g = new Int32Array(Math.max(16, Math.ceil(this.length * 1.5)));
      g.set(this.refs);
      this.refs = g;
    }
    this.refs[this.length++] = typeof item === 'number' ? item : -this.objs.push(item);
  }

  at(i: number): EventItem {
    const r = this.refs[i];
    return r >= 0 ? r : this.objs[-r - 1];
  }

  toArray(): EventItem[] {
    const out = new Array<EventItem>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }
}

/**
 * A read-only array view of an {@link ItemList}: `length`, indexing, iteration and every Array
 * method work (the target is an empty array; the traps answer for the list), and record numbers
 * are parsed from `store` when read.
 */
export function itemListEvents(list: ItemList, store: EventStore, runId: string, remember: boolean): TraceEvent[] {
  const at = (i: number): TraceEvent | undefined => {
    if (!(i >= 0 && i < list.length)) return undefined;
    const v = list.at(i);
    return typeof v === 'number' ? store.get(v, runId, remember) : v;
  };
  const index = (key: string | symbol): number => {
    if (typeof key !== 'string') return -1;
    const c = key.charCodeAt(0);
    if (c < 48 || c > 57) return -1;
    const i = Number(key);
    return Number.isInteger(i) && String(i) === key ? i : -1;
  };
  return new Proxy([] as TraceEvent[], {
    get(target, key, receiver) {
      if (key === 'length') return list.length;
      const i = index(key);
      if (i >= 0) return at(i);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      const i = index(key);
      if (i >= 0) return i < list.length;
      return Reflect.has(target, key);
    },
    set() {
      return false;
    },
    ownKeys(target) {
      const keys: (string | symbol)[] = [];
      for (let i = 0; i < list.length; i++) keys.push(String(i));
      return [...keys, ...Reflect.ownKeys(target)];
    },
    getOwnPropertyDescriptor(target, key) {
      const i = index(key);
      if (i >= 0) return i < list.length ? { value: at(i), writable: false, enumerable: true, configurable: true } : undefined;
      if (key === 'length') return { value: list.length, writable: true, enumerable: false, configurable: false };
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
}

/** A {@link Run} built from an indexed file; `events` are parsed on access. */
export class LazyRun implements Run {
  id: string;
  dialect: Dialect;
  sources: string[];
  primarySource: string;
  app?: string;
  mode?: string;
  tags: string[] = [];
  gitSha?: string;
  host?: string;
  started?: number;
  ended?: number;
  status: RunStatus = 'running';
  flows = new Map<string, FlowNode>();
  roots: FlowNode[] = [];
  malformed: Malformed[] = [];
  notes: string[] = [];
  /** Event counts over the stored events, kept as they are added (no parsing needed). */
  readonly counts: EventCounts = emptyEventCounts();
  /** @internal The stored events, in file order. */
  items = new ItemList();
  readonly store: EventStore;
  private declare list?: TraceEvent[];

  constructor(id: string, dialect: Dialect, source: string, store: EventStore) {
    this.id = id;
    this.dialect = dialect;
    this.sources = [source];
    this.primarySource = source;
    this.store = store;
  }

  get events(): TraceEvent[] {
    return (this.list ??= itemListEvents(this.items, this.store, this.id, false));
  }

  set events(v: TraceEvent[]) {
    this.items = ItemList.from(v);
    this.list = undefined;
  }

  toJSON(): Record<string, unknown> {
    return { ...this, events: this.events, store: undefined, items: undefined, list: undefined, counts: undefined };
  }
}

/** Shared, frozen defaults of a {@link LazyFlowNode} (most flows have no children or correlation). */
export const NO_CHILDREN: FlowNode[] = Object.freeze([]) as unknown as FlowNode[];
export const NO_CORRELATION: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
export const NO_TAGS: string[] = Object.freeze([]) as unknown as string[];

/**
 * A {@link FlowNode} of a {@link LazyRun}; `events`, `steps` and `verdictEvent` are parsed on access.
 *
 * Memory matters here (a 1M-event trace has ~300k flows): the flow's records are a chain in the
 * {@link EventStore} (`head` … `tail`, `count` long) instead of an array; `children`,
 * `correlation` and `tags` start as shared frozen empties (the builder replaces them before
 * adding to them, see `shared`); `displayName` is computed unless set.
 */
export class LazyFlowNode implements FlowNode {
  id: string;
  name?: string;
  runId: string;
  parentId?: string = undefined;
  children: FlowNode[] = NO_CHILDREN;
  verdict: Verdict;
  correlation: Record<string, unknown> = NO_CORRELATION;
  tags: string[] = NO_TAGS;
  /** @internal The tag set (interned key) last merged into `tags`, to skip repeats. */
  lastTags = -1;
  /**
   * @internal Bits: 1 = `tags`, 2 = `correlation` are shared objects (interned, or the frozen
   * empties) — copied before the builder changes them. Readers must not modify them.
   */
  shared = 3;
  readonly store: EventStore;
  /** @internal This flow's slot in the store's flow times. */
  private readonly slot: number;
  /** @internal First and last record of the chain, and its length. */
  head = -1;
  tail = -1;
  count = 0;
  /** @internal Items once the flow holds an event object (a line the index passed on whole). */
  private declare array?: EventItem[];
  private verdictItem?: EventItem = undefined;
  private declare display?: string;
  private declare list?: TraceEvent[];
  private declare listFor?: number;
  private declare stepsCache?: StepNode[];
  private declare stepsFor?: number;

  constructor(store: EventStore, id: string, name: string | undefined, runId: string, verdict: Verdict) {
    this.store = store;
    this.id = id;
    this.name = name;
    this.runId = runId;
    this.verdict = verdict;
    this.slot = store.newFlowSlot();
  }

  get started(): number | undefined {
    return this.store.time(this.slot, 0);
  }

  set started(v: number | undefined) {
    this.store.setTime(this.slot, 0, v);
  }

  get ended(): number | undefined {
    return this.store.time(this.slot, 1);
  }

  set ended(v: number | undefined) {
    this.store.setTime(this.slot, 1, v);
  }

  get durationMs(): number | undefined {
    return this.store.time(this.slot, 2);
  }

  set durationMs(v: number | undefined) {
    this.store.setTime(this.slot, 2, v);
  }

  get displayName(): string {
    return this.display ?? this.name ?? shortFlowId(this.id);
  }

  set displayName(v: string) {
    this.display = v;
  }

  /** @internal Number of stored items. */
  get size(): number {
    return this.array ? this.array.length : this.count;
  }

  /** @internal The stored items in order (record numbers or event objects); a fresh array. */
  get items(): EventItem[] {
    if (this.array) return this.array;
    const out: EventItem[] = new Array<EventItem>(this.count);
    for (let r = this.head, i = 0; r >= 0 && i < out.length; r = this.store.next(r), i++) out[i] = r;
    return out;
  }

  set items(v: EventItem[]) {
    this.array = v;
    this.list = undefined;
    this.stepsCache = undefined;
  }

  /** @internal Append an item: a record of this flow's store is chained, anything else switches to an array. */
  push(item: EventItem): void {
    if (this.array === undefined && typeof item === 'number') {
      if (this.tail >= 0) this.store.link(this.tail, item);
      else this.head = item;
      this.tail = item;
      this.count++;
      return;
    }
    if (this.array === undefined) this.array = this.items;
    this.array.push(item);
  }

  get events(): TraceEvent[] {
    const n = this.size;
    if (this.list === undefined || this.listFor !== n) {
      this.list = lazyEventList(this.items, this.store, this.runId);
      this.listFor = n;
    }
    return this.list;
  }

  set events(v: TraceEvent[]) {
    this.items = v;
  }

  /** Consecutive events with the same `step`, as {@link RunBuilder} groups them. */
  get steps(): StepNode[] {
    const n = this.size;
    if (this.stepsCache && this.stepsFor === n) return this.stepsCache;
    const steps: StepNode[] = [];
    for (const e of this.events) {
      const name = e.step ?? '';
      const last = steps[steps.length - 1];
      if (last && last.name === name) last.events.push(e);
      else steps.push({ name, events: [e] });
    }
    this.stepsCache = steps;
    this.stepsFor = n;
    return steps;
  }

  set steps(v: StepNode[]) {
    this.stepsCache = v;
    this.stepsFor = this.size;
  }

  get verdictEvent(): TraceEvent | undefined {
    const v = this.verdictItem;
    return typeof v === 'number' ? this.store.get(v, this.runId) : v;
  }

  set verdictEvent(e: TraceEvent | undefined) {
    this.verdictItem = e;
  }

  /** @internal Set the verdict event without parsing it. */
  setVerdictItem(item: EventItem): void {
    this.verdictItem = item;
  }

  /**
   * @internal Release the stored events (a summarised run, see `RunCap`): `events` and `steps`
   * become empty; the verdict event, timings, correlation, tags and children stay. Events added
   * later are stored again from an empty chain.
   */
  release(): void {
    this.head = this.tail = -1;
    this.count = 0;
    this.array = undefined;
    this.list = undefined;
    this.stepsCache = undefined;
  }

  toJSON(): Record<string, unknown> {
    return {
      id: this.id, name: this.name, displayName: this.displayName, runId: this.runId, parentId: this.parentId,
      children: this.children, events: this.events, steps: this.steps, verdict: this.verdict, verdictEvent: this.verdictEvent,
      started: this.started, ended: this.ended, durationMs: this.durationMs, correlation: this.correlation, tags: this.tags,
    };
  }
}

/** A short form of a flow id for display: the first 8 characters of a uuid. */
export function shortFlowId(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id) ? id.slice(0, 8) : id.length > 12 ? id.slice(0, 8) : id;
}

const DOMAINS = new Set(['SYSTEM', 'DATA', 'CONTRACT', 'EXTERNAL', 'BUSINESS']);

/** Count one event into `c` exactly as rollup.ts `countEvents` does. */
export function countInto(c: EventCounts, type: string, severity: string | undefined, failureClass: string | undefined): void {
  c.total++;
  bump(c.byType, type);
  if (severity) bump(c.bySeverity, severity);
  if (failureClass) {
    bump(c.byFailureClass, failureClass);
    const d0 = failureClass.split('.', 1)[0].toUpperCase();
    bump(c.byDomain as Record<string, number>, DOMAINS.has(d0) ? d0 : 'OTHER');
  }
}

/** True for runs built by the parallel index (events parsed on access). */
export function isIndexedRun(run: Run): run is LazyRun {
  return run instanceof LazyRun;
}

/**
 * Event counts of a run without reading its events: an indexed run's, or a run's whose events are
 * not all held (`run.cap`, `run.counts` — counts of every event read, also those not kept);
 * `undefined` for other runs (count `run.events`). A copy.
 */
export function indexedEventCounts(run: Run): EventCounts | undefined {
  const c = run.counts;
  if (c === undefined) return undefined;
  return copyEventCounts(c);
}
