/**
 * Runs and flows whose events stay in the file until someone asks for them. The parallel index
 * keeps, per event, only its byte offset, length and line (an {@link EventStore} record); a
 * {@link LazyRun} / {@link LazyFlowNode} holds record numbers, and `events`, `steps` and
 * `verdictEvent` parse the lines on access. They are ordinary {@link Run} / {@link FlowNode}s to
 * every reader: `run.events` is an array (a Proxy over the record numbers) whose elements are
 * parsed when read, so `length`, `slice(-50)`, `[i]` cost only what they touch.
 *
 * An event read twice is the same object while anyone holds it (a weak cache), so
 * `flow.events.indexOf(e)` keeps working across lists.
 */
import * as fs from 'node:fs';
import type { Dialect, FlowNode, Malformed, Run, RunStatus, StepNode, TraceEvent, Verdict } from '../model';
import type { EventCounts } from '../rollup';
import { parseJsonLine } from '../sources/jsonl';
import { detectDialect, normalizeEvent } from '../sources/normalize';

/** An event in a lazy list: a record number of the list's store, or an event object. */
export type EventItem = number | TraceEvent;

/** Per-event records of one indexed file: where each line is, so it can be parsed again. */
export class EventStore {
  readonly file: string;
  private offsets = new Float64Array(4096);
  private lens = new Uint32Array(4096);
  private lines = new Uint32Array(4096);
  private n = 0;
  private readonly cache = new Map<number, WeakRef<TraceEvent>>();
  private readonly registry = new FinalizationRegistry<number>((ref) => {
    const w = this.cache.get(ref);
    if (w && w.deref() === undefined) this.cache.delete(ref);
  });
  private fd: number | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private buf = Buffer.allocUnsafe(64 * 1024);

  constructor(file: string) {
    this.file = file;
  }

  /** Records held. */
  get size(): number {
    return this.n;
  }

  /** Bytes held by the records (for memory reports). */
  get bytes(): number {
    return this.offsets.byteLength + this.lens.byteLength + this.lines.byteLength;
  }

  /** Add a record; returns its number. */
  add(offset: number, len: number, line: number): number {
    if (this.n === this.offsets.length) {
      const cap = this.n * 2;
      const o = new Float64Array(cap);
      o.set(this.offsets);
      this.offsets = o;
      const l = new Uint32Array(cap);
      l.set(this.lens);
      this.lens = l;
      const ln = new Uint32Array(cap);
      ln.set(this.lines);
      this.lines = ln;
    }
    const i = this.n++;
    this.offsets[i] = offset;
    this.lens[i] = len;
    this.lines[i] = line;
    return i;
  }

  /** 1-based line and byte offset of a record. */
  loc(ref: number): { line: number; offset: number } {
    return { line: this.lines[ref], offset: this.offsets[ref] };
  }

  /** The event of a record, parsed from the file (cached while referenced). `runId` fills a missing run id. */
  get(ref: number, runId?: string): TraceEvent {
    const hit = this.cache.get(ref)?.deref();
    if (hit) return hit;
    const ev = this.load(ref);
    if (runId !== undefined && ev.runId !== runId) ev.runId = runId;
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
  }

  private load(ref: number): TraceEvent {
    const offset = this.offsets[ref];
    const len = this.lens[ref];
    const line = this.lines[ref];
    const loc = { file: this.file, line, offset };
    try {
      if (this.fd === undefined) {
        this.fd = fs.openSync(this.file, 'r');
        // Keep the file open for a burst of reads (a view expanding a flow), not for ever.
        this.closeTimer = setTimeout(() => this.close(), 2000);
        this.closeTimer.unref?.();
      }
      if (this.buf.length < len) this.buf = Buffer.allocUnsafe(len);
      const got = fs.readSync(this.fd, this.buf, 0, len, offset);
      const r = got === len ? parseJsonLine(this.buf, 0, len, offset, false, Infinity) : undefined;
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
export function lazyEventList(items: EventItem[], store: EventStore, runId: string): TraceEvent[] {
  return new Proxy(items as unknown as TraceEvent[], {
    get(target, key, receiver) {
      if (typeof key === 'string') {
        const c = key.charCodeAt(0);
        if (c >= 48 && c <= 57) {
          const v = (target as unknown as EventItem[])[key as unknown as number];
          return typeof v === 'number' ? store.get(v, runId) : v;
        }
      }
      return Reflect.get(target, key, receiver);
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
  readonly counts: EventCounts = { total: 0, byType: {}, bySeverity: {}, byFailureClass: {}, byDomain: {} };
  /** @internal The stored events, in file order. */
  items: EventItem[] = [];
  readonly store: EventStore;
  private list?: TraceEvent[];

  constructor(id: string, dialect: Dialect, source: string, store: EventStore) {
    this.id = id;
    this.dialect = dialect;
    this.sources = [source];
    this.primarySource = source;
    this.store = store;
  }

  get events(): TraceEvent[] {
    return (this.list ??= lazyEventList(this.items, this.store, this.id));
  }

  set events(v: TraceEvent[]) {
    this.items = v;
    this.list = undefined;
  }

  toJSON(): Record<string, unknown> {
    return { ...this, events: this.events, store: undefined, items: undefined, list: undefined, counts: undefined };
  }
}

/** A {@link FlowNode} of a {@link LazyRun}; `events`, `steps` and `verdictEvent` are parsed on access. */
export class LazyFlowNode implements FlowNode {
  id: string;
  name?: string;
  displayName: string;
  runId: string;
  parentId?: string;
  children: FlowNode[] = [];
  verdict: Verdict;
  started?: number;
  ended?: number;
  durationMs?: number;
  correlation: Record<string, unknown> = {};
  tags: string[] = [];
  /** @internal */
  items: EventItem[] = [];
  /** @internal The tag set (interned key) last merged into `tags`, to skip repeats. */
  lastTags = -1;
  readonly store: EventStore;
  private verdictItem?: EventItem;
  private list?: TraceEvent[];
  private stepsCache?: StepNode[];
  private stepsFor = -1;

  constructor(store: EventStore, id: string, name: string | undefined, displayName: string, runId: string, verdict: Verdict) {
    this.store = store;
    this.id = id;
    this.name = name;
    this.displayName = displayName;
    this.runId = runId;
    this.verdict = verdict;
  }

  get events(): TraceEvent[] {
    return (this.list ??= lazyEventList(this.items, this.store, this.runId));
  }

  set events(v: TraceEvent[]) {
    this.items = v;
    this.list = undefined;
    this.stepsCache = undefined;
  }

  /** Consecutive events with the same `step`, as {@link RunBuilder} groups them. */
  get steps(): StepNode[] {
    if (this.stepsCache && this.stepsFor === this.items.length) return this.stepsCache;
    const steps: StepNode[] = [];
    for (const e of this.events) {
      const name = e.step ?? '';
      const last = steps[steps.length - 1];
      if (last && last.name === name) last.events.push(e);
      else steps.push({ name, events: [e] });
    }
    this.stepsCache = steps;
    this.stepsFor = this.items.length;
    return steps;
  }

  set steps(v: StepNode[]) {
    this.stepsCache = v;
    this.stepsFor = this.items.length;
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

  toJSON(): Record<string, unknown> {
    return {
      id: this.id, name: this.name, displayName: this.displayName, runId: this.runId, parentId: this.parentId,
      children: this.children, events: this.events, steps: this.steps, verdict: this.verdict, verdictEvent: this.verdictEvent,
      started: this.started, ended: this.ended, durationMs: this.durationMs, correlation: this.correlation, tags: this.tags,
    };
  }
}

const DOMAINS = new Set(['SYSTEM', 'DATA', 'CONTRACT', 'EXTERNAL', 'BUSINESS']);

/** Count one event into `c` exactly as rollup.ts `countEvents` does. */
export function countInto(c: EventCounts, type: string, severity: string | undefined, failureClass: string | undefined): void {
  c.total++;
  c.byType[type] = (c.byType[type] ?? 0) + 1;
  if (severity) c.bySeverity[severity] = (c.bySeverity[severity] ?? 0) + 1;
  if (failureClass) {
    c.byFailureClass[failureClass] = (c.byFailureClass[failureClass] ?? 0) + 1;
    const d0 = failureClass.split('.', 1)[0].toUpperCase();
    const d = (DOMAINS.has(d0) ? d0 : 'OTHER') as keyof EventCounts['byDomain'];
    c.byDomain[d] = (c.byDomain[d] ?? 0) + 1;
  }
}

/** True for runs built by the parallel index (events parsed on access). */
export function isIndexedRun(run: Run): run is LazyRun {
  return run instanceof LazyRun;
}

/**
 * Event counts of a run without reading its events when it was indexed (same result as
 * `countEvents(run.events)`); `undefined` for other runs.
 */
export function indexedEventCounts(run: Run): EventCounts | undefined {
  if (!(run instanceof LazyRun)) return undefined;
  const c = run.counts;
  return { total: c.total, byType: { ...c.byType }, bySeverity: { ...c.bySeverity }, byFailureClass: { ...c.byFailureClass }, byDomain: { ...c.byDomain } };
}
