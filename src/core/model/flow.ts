/**
 * The {@link FlowNode} the run builder makes, over the run's {@link EventStorage} (storage.ts):
 * the flow's records are a chain in the storage, and the chain's ends and length, its verdict
 * event's record and its times live in the storage's flow slot (typed arrays, off the JS heap);
 * `events`, `steps` and `verdictEvent` read the storage when asked.
 *
 * Memory matters (a 1M-event trace has ~300k flows): no array per flow until someone reads its
 * events; `children`, `correlation` and `tags` start as shared frozen empties and are replaced,
 * never written to, when the builder adds to them (readers get them read-only).
 */
import type { EventSeq, FlowNode, StepNode, TraceEvent, Verdict } from './types';
import { setOwn } from './bounded';
import { EventList, type EventStorage } from './storage';

const NO_FLOWS: readonly FlowNode[] = Object.freeze([]);
const NO_TAGS: readonly string[] = Object.freeze([]);
const NO_CORRELATION: Readonly<Record<string, unknown>> = Object.freeze({});
/** The correlation of a flow that has none (shared, frozen). */
export const EMPTY_CORRELATION = NO_CORRELATION;

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** No own enumerable key. */
function isEmptyRecord(o: Readonly<Record<string, unknown>>): boolean {
  for (const k in o) if (hasOwn(o, k)) return false;
  return true;
}

/**
 * A flow's correlation with the keys of an event's added (the first value of a key wins). The
 * flow's object is shared (the first event's, or the index's interned one) and never written to:
 * a new key makes a copy.
 */
export function mergeCorrelation(into: Readonly<Record<string, unknown>>, from: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (into === from) return into;
  let out: Record<string, unknown> | undefined;
  // Own enumerable keys in Object.keys order, without an array of them per event.
  for (const k in from) {
    if (!hasOwn(from, k) || hasOwn(into, k)) continue;
    if (out === undefined) {
      if (isEmptyRecord(into)) return from;
      out = { ...into };
    }
    setOwn(out, k, from[k]);
  }
  return out ?? into;
}

/**
 * The correlation of a flow whose only correlation so far is the JSON text `text` (the cold
 * index's, kept as text until read): what merging the parsed value into none gives.
 */
export function correlationOf(text: string): Readonly<Record<string, unknown>> {
  const v = JSON.parse(text) as Readonly<Record<string, unknown>> | null;
  return v ? mergeCorrelation(NO_CORRELATION, v) : NO_CORRELATION;
}

/** A short form of a flow id for display: the first 8 characters of a uuid. */
export function shortFlowId(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id) ? id.slice(0, 8) : id.length > 12 ? id.slice(0, 8) : id;
}

/** The events of the flow in storage slot `slot`, in order (a {@link StoredFlow}'s, or one still in the cold index's columns). */
export function flowEventList(s: EventStorage, slot: number, runId: string): EventList {
  const count = s.flowCount(slot);
  const l = new EventList(s, runId, true, count);
  for (let r = s.flowHead(slot), i = 0; r >= 0 && i < count; r = s.next(r), i++) l.push(r);
  return l;
}

/** A flow built by the run builder; every reader sees it as a {@link FlowNode}. */
export class StoredFlow implements FlowNode {
  id: string;
  name?: string;
  runId: string;
  parentId?: string = undefined;
  verdict: Verdict;
  /** The correlation, or its JSON text until it is first read (the cold index's: {@link correlationOf}). */
  private corr: Readonly<Record<string, unknown>> | string = NO_CORRELATION;
  tags: readonly string[] = NO_TAGS;
  readonly storage: EventStorage;
  /**
   * This flow's slot in the storage: its times, the first and last record of its chain and its
   * length, and its verdict event's record (no fields here: ~300k flows for 1M events).
   */
  private readonly slot: number;
  private kids?: FlowNode[] = undefined;
  private declare display?: string;
  private declare list?: EventList;
  private declare stepsCache?: readonly StepNode[];
  private declare stepsFor?: EventList;

  /** `slot`: a restored flow's (the persisted index); else a new one. */
  constructor(storage: EventStorage, id: string, name: string | undefined, runId: string, verdict: Verdict, slot?: number) {
    this.storage = storage;
    this.id = id;
    this.name = name;
    this.runId = runId;
    this.verdict = verdict;
    this.slot = slot ?? storage.newFlowSlot();
  }

  get correlation(): Readonly<Record<string, unknown>> {
    const c = this.corr;
    if (typeof c !== 'string') return c;
    const o = correlationOf(c);
    this.corr = o;
    return o;
  }

  set correlation(v: Readonly<Record<string, unknown>>) {
    this.corr = v;
  }

  get started(): number | undefined {
    return this.storage.time(this.slot, 0);
  }

  set started(v: number | undefined) {
    this.storage.setTime(this.slot, 0, v);
  }

  /** Whether `started` is set (no number read). */
  get hasStarted(): boolean {
    return this.storage.hasTime(this.slot, 0);
  }

  get ended(): number | undefined {
    return this.storage.time(this.slot, 1);
  }

  set ended(v: number | undefined) {
    this.storage.setTime(this.slot, 1, v);
  }

  get durationMs(): number | undefined {
    return this.storage.time(this.slot, 2);
  }

  set durationMs(v: number | undefined) {
    this.storage.setTime(this.slot, 2, v);
  }

  get displayName(): string {
    return this.display ?? this.name ?? shortFlowId(this.id);
  }

  set displayName(v: string) {
    this.display = v;
  }

  get children(): readonly FlowNode[] {
    return this.kids ?? NO_FLOWS;
  }

  /**
   * Append a child. Small lists are replaced by an exact-size copy (a pushed-to array reserves
   * room for 17), so the many parents with 1–3 children stay small.
   */
  addChild(child: FlowNode): void {
    const c = this.kids;
    if (c === undefined) this.kids = [child];
    else if (c.length === 1) this.kids = [c[0], child];
    else if (c.length === 2) this.kids = [c[0], c[1], child];
    else if (c.length === 3) this.kids = [c[0], c[1], c[2], child];
    else c.push(child);
  }

  /** Append the record of an event held by this flow. */
  push(ref: number): void {
    this.storage.flowPush(this.slot, ref);
  }

  /** Records held, in order. */
  records(): number[] {
    const s = this.storage;
    const out: number[] = new Array<number>(s.flowCount(this.slot));
    for (let r = s.flowHead(this.slot), i = 0; r >= 0 && i < out.length; r = s.next(r), i++) out[i] = r;
    return out;
  }

  /** The verdict event's record, -1 if none. */
  get verdictRecord(): number {
    return this.storage.flowVerdictRef(this.slot);
  }

  set verdictRecord(ref: number) {
    this.storage.setFlowVerdictRef(this.slot, ref);
  }

  get events(): EventSeq {
    const l = this.list;
    if (l !== undefined && l.length === this.storage.flowCount(this.slot)) return l;
    return (this.list = flowEventList(this.storage, this.slot, this.runId));
  }

  /** Consecutive events with the same `step`. */
  get steps(): readonly StepNode[] {
    const l = this.events;
    if (this.stepsCache !== undefined && this.stepsFor === this.list) return this.stepsCache;
    const steps: { name: string; events: TraceEvent[] }[] = [];
    for (const e of l) {
      const name = e.step ?? '';
      const last = steps[steps.length - 1];
      if (last && last.name === name) last.events.push(e);
      else steps.push({ name, events: [e] });
    }
    this.stepsCache = steps;
    this.stepsFor = this.list;
    return steps;
  }

  get verdictEvent(): TraceEvent | undefined {
    const ref = this.storage.flowVerdictRef(this.slot);
    return ref < 0 ? undefined : this.storage.event(ref, this.runId);
  }

  /** The failing verdict event's failure class as the builder read it (flowFacts.ts `FlowFacts`). */
  get verdictClass(): string | null | undefined {
    return this.storage.flowVerdictClass(this.slot);
  }

  /**
   * Release the held events (a summarised run): `events` and `steps` become empty; the verdict
   * event, timings, correlation, tags and children stay. Events added later start a new chain.
   */
  release(): void {
    this.storage.setFlowChain(this.slot, -1, -1, 0);
    this.list = undefined;
    this.stepsCache = undefined;
    this.stepsFor = undefined;
  }

  // --- The persisted index (src/core/read/index/persist.ts). ---

  /**
   * A flow restored from its persisted state, in its slot (the storage's chains and times were
   * restored with it); children are set by the caller once the run's flows exist.
   */
  static restore(storage: EventStorage, slot: number, id: string, name: string | undefined, runId: string, verdict: Verdict, display: string | undefined): StoredFlow {
    const f = new StoredFlow(storage, id, name, runId, verdict, slot);
    if (display !== undefined) f.display = display;
    return f;
  }

  /** Set the children of a restored flow (a copy of the list is kept). */
  restoreChildren(kids: readonly FlowNode[]): void {
    this.kids = kids.length === 0 ? undefined : [...kids];
  }

  /**
   * A flow of the cold index made from its columns (RunBuilder's `ColdFlows`): `corr` is the
   * correlation or its JSON text (parsed when first read); `kids` is taken as it is (non-empty).
   */
  static fromColumns(
    storage: EventStorage, slot: number, id: string, name: string | undefined, runId: string, verdict: Verdict, display: string | undefined,
    parentId: string | undefined, corr: Readonly<Record<string, unknown>> | string | undefined, tags: readonly string[] | undefined,
  ): StoredFlow {
    const f = new StoredFlow(storage, id, name, runId, verdict, slot);
    if (display !== undefined) f.display = display;
    if (parentId !== undefined) f.parentId = parentId;
    if (corr !== undefined) f.corr = corr;
    if (tags !== undefined) f.tags = tags;
    return f;
  }

  /** Set the correlation, or its JSON text (parsed when first read). */
  setCorrelation(corr: Readonly<Record<string, unknown>> | string): void {
    this.corr = corr;
  }

  /** Take `kids` (non-empty, not shared) as the children of a flow made from columns. */
  takeChildren(kids: FlowNode[]): void {
    this.kids = kids;
  }

  /** A display name set apart from `name` (the persisted index). */
  get persistDisplay(): string | undefined {
    return this.display;
  }

  /** The children list as it is (the persisted index copies it). */
  get persistKids(): readonly FlowNode[] | undefined {
    return this.kids;
  }

  /** This flow's slot (the persisted index keys flows by it). */
  get persistSlot(): number {
    return this.slot;
  }

  toJSON(): Record<string, unknown> {
    return {
      id: this.id, name: this.name, displayName: this.displayName, runId: this.runId, parentId: this.parentId,
      children: this.children, events: this.events, steps: this.steps, verdict: this.verdict, verdictEvent: this.verdictEvent,
      started: this.started, ended: this.ended, durationMs: this.durationMs, correlation: this.correlation, tags: this.tags,
    };
  }
}
