/**
 * The {@link FlowNode} the run builder makes, over the run's {@link EventStorage} (storage.ts):
 * the flow's records are a chain in the storage (`head` … `tail`, `count` long), its times live in
 * the storage's flow slots, and `events`, `steps` and `verdictEvent` read the storage when asked.
 *
 * Memory matters (a 1M-event trace has ~300k flows): no array per flow until someone reads its
 * events; `children`, `correlation` and `tags` start as shared frozen empties and are replaced,
 * never written to, when the builder adds to them (readers get them read-only).
 */
import type { EventSeq, FlowNode, StepNode, TraceEvent, Verdict } from './types';
import { EventList, type EventStorage } from './storage';

const NO_FLOWS: readonly FlowNode[] = Object.freeze([]);
const NO_TAGS: readonly string[] = Object.freeze([]);
const NO_CORRELATION: Readonly<Record<string, unknown>> = Object.freeze({});

/** A short form of a flow id for display: the first 8 characters of a uuid. */
export function shortFlowId(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id) ? id.slice(0, 8) : id.length > 12 ? id.slice(0, 8) : id;
}

/** A flow built by the run builder; every reader sees it as a {@link FlowNode}. */
export class StoredFlow implements FlowNode {
  id: string;
  name?: string;
  runId: string;
  parentId?: string = undefined;
  verdict: Verdict;
  correlation: Readonly<Record<string, unknown>> = NO_CORRELATION;
  tags: readonly string[] = NO_TAGS;
  readonly storage: EventStorage;
  /** This flow's slot in the storage's flow times. */
  private readonly slot: number;
  /** First and last record of the chain, and its length; the verdict event's record (-1 = none). */
  private head = -1;
  private tail = -1;
  private count = 0;
  private verdictRef = -1;
  private kids?: FlowNode[] = undefined;
  private declare display?: string;
  private declare list?: EventList;
  private declare stepsCache?: readonly StepNode[];
  private declare stepsFor?: EventList;

  constructor(storage: EventStorage, id: string, name: string | undefined, runId: string, verdict: Verdict) {
    this.storage = storage;
    this.id = id;
    this.name = name;
    this.runId = runId;
    this.verdict = verdict;
    this.slot = storage.newFlowSlot();
  }

  get started(): number | undefined {
    return this.storage.time(this.slot, 0);
  }

  set started(v: number | undefined) {
    this.storage.setTime(this.slot, 0, v);
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
    else if (c.length < 4) this.kids = [...c, child];
    else c.push(child);
  }

  /** Append the record of an event held by this flow. */
  push(ref: number): void {
    if (this.tail >= 0) this.storage.link(this.tail, ref);
    else this.head = ref;
    this.tail = ref;
    this.count++;
  }

  /** Records held, in order. */
  records(): number[] {
    const out: number[] = new Array<number>(this.count);
    for (let r = this.head, i = 0; r >= 0 && i < out.length; r = this.storage.next(r), i++) out[i] = r;
    return out;
  }

  /** The verdict event's record, -1 if none. */
  get verdictRecord(): number {
    return this.verdictRef;
  }

  set verdictRecord(ref: number) {
    this.verdictRef = ref;
  }

  get events(): EventSeq {
    let l = this.list;
    if (l === undefined || l.length !== this.count) {
      l = new EventList(this.storage, this.runId, true, this.count);
      for (let r = this.head, i = 0; r >= 0 && i < this.count; r = this.storage.next(r), i++) l.push(r);
      this.list = l;
    }
    return l;
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
    return this.verdictRef < 0 ? undefined : this.storage.event(this.verdictRef, this.runId);
  }

  /**
   * Release the held events (a summarised run): `events` and `steps` become empty; the verdict
   * event, timings, correlation, tags and children stay. Events added later start a new chain.
   */
  release(): void {
    this.head = this.tail = -1;
    this.count = 0;
    this.list = undefined;
    this.stepsCache = undefined;
    this.stepsFor = undefined;
  }

  toJSON(): Record<string, unknown> {
    return {
      id: this.id, name: this.name, displayName: this.displayName, runId: this.runId, parentId: this.parentId,
      children: this.children, events: this.events, steps: this.steps, verdict: this.verdict, verdictEvent: this.verdictEvent,
      started: this.started, ended: this.ended, durationMs: this.durationMs, correlation: this.correlation, tags: this.tags,
    };
  }
}
