/**
 * Incremental run/flow model builder (formats.md §1b "Semantics").
 *
 * `add(event)` updates runs, flows, steps and verdicts in place — a live tail appends a batch of
 * lines and only the touched runs/flows change. `finish()` decides what depends on the clock and
 * on the file system (running vs crashed vs ended, running vs orphaned flows); `takeChanges()`
 * tells views which runs and flows to refresh.
 *
 * Every event a run holds is a record of the run's event storage (storage.ts): in memory for a
 * trace read line by line, the file itself for the cold index. The builder works on records and
 * never asks which storage it has; `run.events` and each flow's `events` read the storage.
 */
import { EventCounts, FlowNode, Malformed, putRunNote, Run, RunNote, RunStatus, TraceEvent, Verdict } from './types';
import { setOwn } from './bounded';
import { copyEventCounts, countInto, emptyEventCounts } from './counts';
import { StoredFlow, shortFlowId } from './flow';
import { EventList, MemoryEvents, type EventStorage } from './storage';
import { timestampProblem } from './time';

/**
 * The fields of an event the builder reads. A {@link TraceEvent} has them all; the parallel index
 * passes them without the rest of the event (see {@link RunBuilder.addIndexed}).
 */
export type EventFields = Pick<
  TraceEvent,
  'dialect' | 'type' | 'ts' | 'runId' | 'flow' | 'flowId' | 'parentFlowId' | 'correlation' | 'tags' | 'severity' | 'failureClass' | 'durationMs'
> &
  Partial<Pick<TraceEvent, 'app' | 'mode' | 'gitSha' | 'host' | 'status' | 'src'>> & {
    /** Interned key of `tags` (the index's). Unused by the builder: interned tag sets are compared by identity. */
    tagsKey?: number;
  };


/** Default live window: a run without an end whose source changed this recently is `running`. */
export const DEFAULT_LIVE_WINDOW_MS = 10 * 60 * 1000;

/**
 * Liveness — the one rule (docs/producing-traces.md "How Flowlens decides status", issue 16): a
 * run without an end is `running` only when BOTH its source was written within the live window
 * (`mtime`) AND its last event's own timestamp is within the window of `now`. A copy (git clone,
 * an artifact download, *Open Demo*) gives every file a fresh mtime, so the mtime alone would
 * make a year-old crash spin; the event's time alone would trust a clock that may be skewed, so
 * a timestamp in the future counts as `now`. A run whose events carry no timestamp at all is
 * judged by the mtime alone (nothing else is known). Unknown mtime = not live.
 */
export function isLive(now: number, windowMs: number, mtime: number | undefined, lastEventTs: number | undefined): boolean {
  if (mtime === undefined || now - mtime > windowMs) return false;
  if (lastEventTs === undefined || !Number.isFinite(lastEventTs)) return true;
  return now - Math.min(lastEventTs, now) <= windowMs;
}

/** Key of one flow across runs (flow ids like `f-0001` repeat in every run). */
export function flowKey(runId: string, flowId: string): string {
  return `${runId}\u0000${flowId}`;
}

/** Inverse of {@link flowKey}. */
export function parseFlowKey(key: string): { runId: string; flowId: string } {
  const i = key.indexOf('\u0000');
  return i < 0 ? { runId: '', flowId: key } : { runId: key.slice(0, i), flowId: key.slice(i + 1) };
}

/** A short form of a flow id for display: the first 8 characters of a uuid. */
export const shortId = shortFlowId;

/** Map a `session_end.status` string onto a run status; `undefined` when it is not recognised. */
export function mapSessionStatus(status: string | undefined): RunStatus | undefined {
  const s = (status ?? '').trim().toLowerCase();
  if (['ok', 'success', 'succeeded', 'successful', 'passed', 'pass', 'done', 'completed', 'complete', 'finished'].includes(s)) {
    return 'ok';
  }
  if (['failed', 'failure', 'fail', 'error', 'errored', 'errors'].includes(s)) return 'failed';
  if (['crashed', 'crash', 'aborted', 'abort', 'killed', 'interrupted', 'cancelled', 'canceled'].includes(s)) return 'crashed';
  if (s === 'running') return 'running';
  return undefined;
}

export interface RunBuilderOptions {
  /**
   * Events stored per run: the workspace passes `flowlens.maxEventsPerSource`, and summarises a
   * source's older runs ({@link RunBuilder.capSource}) so the source stays within it. Beyond it a
   * run keeps its first events, keeps counting (`run.counts`), and flows keep their first event and
   * verdict events (so verdicts stay right); `run.cap` and a note say so.
   */
  maxEventsPerRun?: number;
}

/** The setting the cap notes name (the builder itself has no settings; the workspace passes its value). */
export const CAP_SETTING = 'flowlens.maxEventsPerSource';

/** Inputs that `finish` needs from outside the event stream (injected so tests are deterministic). */
export interface FinishOptions {
  /** Current time, epoch ms. */
  now: number;
  /** Default {@link DEFAULT_LIVE_WINDOW_MS}. */
  liveWindowMs?: number;
  /** Last modification time (epoch ms) of the run's source(s); undefined = unknown (not live). */
  mtimeOf?: (run: Run) => number | undefined;
  /** flowscribe 0.1 runs: `true` when the run folder holds `summary.md` (the run ended, §1a). */
  hasEnded?: (run: Run) => boolean;
}

/** What changed since the last `takeChanges()`. `flows` holds {@link flowKey}s. */
export interface BuilderChanges {
  runs: Set<string>;
  flows: Set<string>;
  added: Set<string>;
  removed: Set<string>;
}

interface PendingChanges {
  runs: Set<string>;
  flows: Set<FlowNode>;
  added: Set<string>;
  removed: Set<string>;
}

interface RunState {
  sessionEnd?: EventFields;
  /**
   * `[0]`: the newest event time (NaN = none; read it with {@link lastTsOf}). A typed array, not a
   * number field: storing each event's time into an object field made a heap number per event.
   */
  lastTs: Float64Array;
  /** failure + exception events seen. */
  failures: number;
  /** esper events with severity error/critical. */
  errors: number;
  total: number;
  /** Where the run's events are held, and the run's list of them (`run.events`). */
  storage: EventStorage;
  list: EventList;
  /** `run.flows`, typed as the builder made them. */
  flows: Map<string, StoredFlow>;
  /** `run.counts`: every event read, held or not. */
  counts: EventCounts;
  /**
   * Flows that had no verdict when last looked at (in the order they were made): a flow is open
   * while its verdict is `running` or `orphaned`. Flows that got a verdict since are dropped when
   * the list is walked ({@link RunBuilder.applyStatus}), not one by one (no set per flow).
   */
  open: StoredFlow[];
  pendingChildren: Map<string, StoredFlow[]>;
  /** Events this run may hold in `events`: the cap, 0 once summarised. */
  limit: number;
  /** Events read and not held (beyond `limit`, or released by summarising). */
  notKept: number;
}

/**
 * A flow's correlation with the keys of an event's added (the first value of a key wins). The
 * flow's object is shared (the first event's, or the index's interned one) and never written to:
 * a new key makes a copy.
 */
function mergeCorrelation(into: Readonly<Record<string, unknown>>, from: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
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

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** No own enumerable key. */
function isEmptyRecord(o: Readonly<Record<string, unknown>>): boolean {
  for (const k in o) if (hasOwn(o, k)) return false;
  return true;
}

/** A flow's tags with an event's added; shared like {@link mergeCorrelation}. */
function mergeTags(into: readonly string[], from: readonly string[]): readonly string[] {
  if (into.length === 0) return from;
  let out: string[] | undefined;
  for (const t of from) if (!into.includes(t)) (out ??= [...into]).push(t);
  return out ?? into;
}

/** The newest event time of a run's state, undefined when none had one. */
function lastTsOf(st: RunState): number | undefined {
  const v = st.lastTs[0];
  return v === v ? v : undefined;
}

function verdictOf(type: string): Verdict {
  return type === 'success' ? 'succeeded' : type === 'failure' ? 'failed' : 'exception';
}

/**
 * Builds {@link Run}s from {@link TraceEvent}s, incrementally.
 * Run identity is the caller's: `add(event, runId)` (the workspace passes the folder name for
 * 0.1 and esper runs), else `event.runId`.
 */
export class RunBuilder {
  private readonly byId = new Map<string, Run>();
  private readonly state = new Map<Run, RunState>();
  private readonly cap: number;
  /** Runs with events not held (capped or summarised): their `cap` and note are settled in batches. */
  private readonly capped = new Set<Run>();
  /** Changed flows are kept as nodes (no key strings per event); keys are made in takeChanges. */
  private changes: PendingChanges = { runs: new Set(), flows: new Set(), added: new Set(), removed: new Set() };

  /**
   * Track which flows changed (default). A fresh load reports nothing, so it turns this off:
   * a set of every flow of a big trace costs memory and time for nobody.
   */
  trackFlows = true;
  /** The run and state of the previous event (events of one run come in long stretches). */
  private lastRun?: Run;
  private lastState?: RunState;
  /** The flow of the previous event (a flow's events are usually close together). */
  private lastFlow?: StoredFlow;
  /** The parent of the previous new child flow (siblings usually follow each other). */
  private lastParent?: StoredFlow;
  /** Restored runs whose flows are made on first use (the persisted index: {@link restoreRuns}). */
  private readonly lazyRuns = new Map<Run, { b: LazyFlows; r: number }>();
  /** Warnings per run (also those beyond {@link MAX_WARNINGS_PER_RUN}, which are not listed). */
  private readonly warningCounts = new WeakMap<Run, number>();

  constructor(opts: RunBuilderOptions = {}) {
    this.cap = opts.maxEventsPerRun && opts.maxEventsPerRun > 0 ? opts.maxEventsPerRun : Infinity;
  }

  private flowChanged(flow: FlowNode): void {
    if (this.trackFlows) this.changes.flows.add(flow);
  }

  /** Runs in the order they were first seen. */
  runs(): Run[] {
    return [...this.byId.values()];
  }

  getRun(id: string): Run | undefined {
    return this.byId.get(id);
  }

  /**
   * Add one event. `runId` overrides `event.runId`; `source` is the file it came from (defaults
   * to `event.src.file`). Returns the run it went to.
   */
  add(event: TraceEvent, runId?: string, source?: string, storage?: EventStorage): Run {
    return this.addItem(event, -1, undefined, event, runId ?? event.runId ?? '(no run id)', source ?? event.src.file, storage);
  }

  /**
   * Add one event known by its fields and its record `ref` in `storage` (the cold index's
   * {@link import('./storage').FileEvents}): a new run keeps its events there. Same semantics as `add`.
   */
  addIndexed(fields: EventFields, ref: number, storage: EventStorage, runId: string, source: string): Run {
    return this.addItem(fields, ref, storage, undefined, runId, source, storage);
  }

  /**
   * One event: its fields, and either its record `ref` in `from` or the event object `full`.
   * A new run keeps its events in `storage` (else in memory).
   */
  private addItem(event: EventFields, ref: number, from: EventStorage | undefined, full: TraceEvent | undefined, id: string, source: string, storage: EventStorage | undefined): Run {
    const last = this.lastRun;
    const run = last !== undefined && last.id === id ? last : this.ensureRun(id, event.dialect, source, storage);
    let st = this.lastState as RunState;
    if (run !== last) {
      if (this.lazyRuns.size !== 0) this.materializeRun(run); // a restored run: its flows first
      st = this.state.get(run) as RunState;
      this.lastRun = run;
      this.lastState = st;
      this.changes.runs.add(id);
    }
    // The event's record in the run's storage (-1 = not filed yet: filed when a list holds it).
    let own = from === st.storage ? ref : -1;
    if (own < 0 && full === undefined && from !== undefined) {
      // A record of another storage (another source made the run): read the event now.
      full = from.event(ref, id);
      event = full;
    }
    st.total++;
    const ts = event.ts;
    if (ts !== undefined) {
      const last = st.lastTs;
      const prev = last[0];
      if (prev !== prev) {
        // The run's first timed event (a run has a start once it has a newest time).
        if (run.started === undefined) run.started = ts;
        last[0] = ts;
      } else if (ts > prev) last[0] = ts;
    } else if ((event as Partial<TraceEvent>).tsRaw !== undefined) this.checkTimestamp(run, event as TraceEvent);
    const stored = st.list.length < st.limit;
    if (stored) {
      if (own < 0) own = st.storage.keep(full as TraceEvent);
      st.list.push(own);
    } else if (st.notKept++ === 0) this.capped.add(run);
    // Every event is counted, held or not.
    countInto(st.counts, event.type, event.severity, event.failureClass);

    switch (event.type) {
      case 'session_start':
        if (event.app !== undefined) run.app = event.app;
        if (event.mode !== undefined) run.mode = event.mode;
        if (event.gitSha !== undefined) run.gitSha = event.gitSha;
        if (event.host !== undefined) run.host = event.host;
        for (const t of event.tags) if (!run.tags.includes(t)) run.tags.push(t);
        if (ts !== undefined) run.started = ts;
        return run;
      case 'session_end':
        st.sessionEnd = event;
        if (ts !== undefined) run.ended = ts;
        this.applyStatus(run, st, this.endedStatus(run, st));
        return run;
      default:
        break;
    }
    if (event.type === 'failure' || event.type === 'exception') st.failures++;
    if (event.severity === 'error' || event.severity === 'critical') st.errors++;

    const flowId = event.flowId ?? event.flow;
    if (flowId === undefined || flowId === '') return run;
    this.addToFlow(run, st, flowId, event, own, full, stored);
    return run;
  }

  /**
   * An event whose timestamp was written but not read: a value outside the Date range (`1e16`)
   * is kept and counted without a time, with a located warning on the run (and one run note).
   */
  private checkTimestamp(run: Run, event: TraceEvent): void {
    const why = timestampProblem(event.tsRaw);
    if (why === undefined) return;
    const list = (run.warnings ??= []);
    const n = (this.warningCounts.get(run) ?? 0) + 1;
    this.warningCounts.set(run, n);
    if (list.length < MAX_WARNINGS_PER_RUN) list.push({ file: event.src.file, line: event.src.line, reason: `${why} (${String(event.tsRaw).slice(0, 40)}); the event is kept without a time` });
    const first = list[0];
    putRunNote(run, { kind: 'timestamp', problem: why, lines: n, first: { file: first.file, line: first.line } });
    this.changes.runs.add(run.id);
  }

  /** Record a malformed line that belongs to a run (per-run files). */
  addMalformed(runId: string, m: Malformed): void {
    const run = this.byId.get(runId);
    if (!run) return;
    run.malformed.push(m);
    this.changes.runs.add(runId);
  }

  /** Name flows after the fact (0.1 names recovered from summary.md). */
  setFlowNames(runId: string, names: Map<string, string>): void {
    const run = this.byId.get(runId);
    if (!run) return;
    for (const [flowId, name] of names) {
      const flow = run.flows.get(flowId);
      if (!flow || flow.name === name) continue;
      flow.name = name;
      flow.displayName = name;
      this.flowChanged(flow);
      this.changes.runs.add(runId);
    }
  }

  /** Put a note on a run (replacing the one it stands in for: `putRunNote`). */
  note(runId: string, note: RunNote): void {
    const run = this.byId.get(runId);
    if (!run || !putRunNote(run, note)) return;
    this.changes.runs.add(runId);
  }

  /** Report a run as changed (the caller edited its notes or sources). */
  touch(runId: string): void {
    if (this.byId.has(runId)) this.changes.runs.add(runId);
  }

  /** Drop a run entirely (its source was truncated, replaced, or deleted). */
  removeRun(id: string): boolean {
    const run = this.byId.get(id);
    if (!run) return false;
    this.byId.delete(id);
    this.state.delete(run);
    this.capped.delete(run);
    this.lastRun = this.lastState = this.lastFlow = this.lastParent = undefined;
    if (this.changes.added.has(id)) this.changes.added.delete(id);
    else this.changes.removed.add(id);
    this.changes.runs.delete(id);
    for (const f of run.flows.values()) this.changes.flows.delete(f);
    return true;
  }

  /**
   * Settle statuses that depend on time and files: a run without `session_end` is `running` when
   * its source changed within the live window and so did its last event's own time
   * ({@link isLive}), else `crashed` (0.1 runs with `summary.md` ended;
   * esper runs never crash, see below). Flows without a verdict follow:
   * `running` in a running run, else `orphaned`. Only real changes are reported.
   *
   * esper-lite runs (§6) have no session or flows: `running` while live, else `failed` if any
   * event has severity error/critical, else `ok`.
   */
  finish(opts: FinishOptions): void {
    const window = opts.liveWindowMs ?? DEFAULT_LIVE_WINDOW_MS;
    for (const run of this.byId.values()) {
      const st = this.state.get(run) as RunState;
      let status: RunStatus;
      let endedBy: Run['endedBy'];
      if (st.sessionEnd) {
        status = this.endedStatus(run, st);
        endedBy = 'session_end';
      } else {
        const live = isLive(opts.now, window, opts.mtimeOf?.(run), lastTsOf(st));
        if (run.dialect === 'flowscribe-0.1' && opts.hasEnded?.(run)) {
          status = st.failures > 0 ? 'failed' : 'ok';
          endedBy = 'summary';
        } else if (live) {
          status = 'running';
        } else if (run.dialect === 'esper') {
          status = st.errors > 0 ? 'failed' : 'ok';
        } else {
          status = 'crashed';
        }
        const ended = status === 'running' ? undefined : lastTsOf(st);
        if (run.ended !== ended) {
          run.ended = ended;
          this.changes.runs.add(run.id);
        }
      }
      if (run.endedBy !== endedBy) {
        if (endedBy) run.endedBy = endedBy;
        else delete run.endedBy;
        this.changes.runs.add(run.id);
      }
      this.applyStatus(run, st, status);
    }
    this.settleCaps();
  }

  /** The newest event timestamp of a run (epoch ms), for {@link isLive}; undefined when none has one. */
  lastEventTime(run: Run): number | undefined {
    const st = this.state.get(run);
    return st && lastTsOf(st);
  }

  /** Events a run holds in `events` now. */
  storedEvents(run: Run): number {
    return this.state.get(run)?.list.length ?? run.events.length;
  }

  /**
   * Keep the runs of one source within the cap (events per source): while the runs whose primary
   * source is `source` (among `ids`) hold more events than the cap, summarise the oldest — by
   * start time, runs for which `running` is true last, then id — never the last of that order
   * (the newest run is kept whole, or its first events when it alone is over the cap). Called
   * after each read of a source, not per event. Returns the ids summarised, oldest first.
   */
  capSource(ids: Iterable<string>, source: string, running: (run: Run) => boolean): string[] {
    if (this.cap === Infinity) return [];
    const runs: { run: Run; live: number; started: number }[] = [];
    let total = 0;
    for (const id of ids) {
      const run = this.byId.get(id);
      if (!run || run.primarySource !== source) continue;
      const st = this.state.get(run) as RunState;
      if (st.limit === 0) continue;
      total += this.storedEvents(run);
      runs.push({ run, live: running(run) ? 1 : 0, started: run.started ?? -Infinity });
    }
    if (total <= this.cap || runs.length < 2) return [];
    runs.sort((a, b) => a.live - b.live || a.started - b.started || (a.run.id < b.run.id ? -1 : a.run.id > b.run.id ? 1 : 0));
    const out: string[] = [];
    for (let i = 0; i < runs.length - 1 && total > this.cap; i++) {
      total -= this.summarise(runs[i].run.id);
      out.push(runs[i].run.id);
    }
    return out;
  }

  /**
   * Summarise a run: release its held events (`events` becomes empty; flows release theirs but
   * keep verdict, verdict event, timings, correlation, tags and tree), keep its counts
   * (`run.counts`), mark it (`run.cap`, a note). Later events of the run are counted, not held
   * (flows still keep their first and verdict events). Returns the number of events released.
   */
  summarise(id: string): number {
    const run = this.byId.get(id);
    if (!run) return 0;
    this.materializeRun(run);
    const st = this.state.get(run) as RunState;
    const list = st.list;
    const released = list.length;
    st.limit = 0;
    st.notKept += released;
    // Records no list holds any more are let go (the verdict events stay).
    const verdicts = new Set<number>();
    for (const f of st.flows.values()) if (f.verdictRecord >= 0) verdicts.add(f.verdictRecord);
    for (let i = 0; i < list.length; i++) if (!verdicts.has(list.refAt(i))) st.storage.release(list.refAt(i));
    list.clear();
    for (const f of st.flows.values()) {
      for (const r of f.records()) if (!verdicts.has(r)) st.storage.release(r);
      f.release();
      this.flowChanged(f);
    }
    this.capped.add(run);
    this.changes.runs.add(id);
    this.settleCap(run, st);
    return released;
  }

  /** Ids of the runs changed so far (cheaper than {@link peekChanges}: no flow keys). */
  peekChangedRuns(): ReadonlySet<string> {
    return this.changes.runs;
  }

  /** Changes so far, without resetting them. */
  peekChanges(): BuilderChanges {
    const c = this.changes;
    return { runs: new Set(c.runs), flows: new Set([...c.flows].map((f) => flowKey(f.runId, f.id))), added: new Set(c.added), removed: new Set(c.removed) };
  }

  /** Forget pending changes without reporting them (a fresh load has nothing to compare with). */
  clearChanges(): void {
    this.lastRun = this.lastState = this.lastFlow = this.lastParent = undefined;
    this.changes = { runs: new Set(), flows: new Set(), added: new Set(), removed: new Set() };
  }

  /** Changes since the previous call (and reset). */
  takeChanges(): BuilderChanges {
    const c = this.peekChanges();
    this.lastRun = this.lastState = this.lastFlow = this.lastParent = undefined;
    this.changes = { runs: new Set(), flows: new Set(), added: new Set(), removed: new Set() };
    return c;
  }

  private ensureRun(id: string, dialect: Run['dialect'], source: string, given: EventStorage | undefined): Run {
    let run = this.byId.get(id);
    if (run) return run;
    const storage = given ?? new MemoryEvents();
    const list = new EventList(storage, id, false);
    const flows = new Map<string, StoredFlow>();
    const counts = emptyEventCounts();
    run = {
      id,
      dialect,
      sources: [source],
      primarySource: source,
      tags: [],
      status: 'running',
      flows,
      roots: [],
      events: list,
      malformed: [],
      notes: [],
      counts,
    };
    this.byId.set(id, run);
    this.state.set(run, { lastTs: new Float64Array(1).fill(NaN), failures: 0, errors: 0, total: 0, storage, list, flows, counts, open: [], pendingChildren: new Map(), limit: this.cap, notKept: 0 });
    // Removed and re-created in one batch (a source was reset): report it as changed.
    if (!this.changes.removed.delete(id)) this.changes.added.add(id);
    return run;
  }

  private endedStatus(run: Run, st: RunState): RunStatus {
    const raw = st.sessionEnd?.status;
    const mapped = mapSessionStatus(raw);
    if (mapped && mapped !== 'running') return mapped;
    const fallback: RunStatus = st.failures > 0 ? 'failed' : 'ok';
    if (!run.notes.some((n) => n.kind === 'session-status')) run.notes.push({ kind: 'session-status', raw: raw ?? null, shownAs: fallback });
    return fallback;
  }

  private applyStatus(run: Run, st: RunState, status: RunStatus): void {
    if (run.status !== status) {
      run.status = status;
      this.changes.runs.add(run.id);
    }
    const openVerdict: Verdict = status === 'running' ? 'running' : 'orphaned';
    if (this.lazyRuns.size !== 0 && this.deferOpen(run, openVerdict)) return; // a restored run's flows are not made yet
    const open = st.open;
    let kept = 0;
    for (let i = 0; i < open.length; i++) {
      const flow = open[i];
      const v = flow.verdict;
      if (v !== 'running' && v !== 'orphaned') continue; // got a verdict since: no longer open
      open[kept++] = flow;
      if (v !== openVerdict) {
        flow.verdict = openVerdict;
        this.flowChanged(flow);
        this.changes.runs.add(run.id);
      }
    }
    open.length = kept;
  }

  private addToFlow(run: Run, st: RunState, flowId: string, event: EventFields, own: number, full: TraceEvent | undefined, stored: boolean): void {
    const ts = event.ts;
    const lf = this.lastFlow;
    let flow = lf !== undefined && lf.id === flowId && lf.runId === run.id ? lf : st.flows.get(flowId);
    const isNew = !flow;
    if (!flow) {
      const verdict: Verdict = st.sessionEnd || run.status !== 'running' ? 'orphaned' : 'running';
      flow = new StoredFlow(st.storage, flowId, event.flow, run.id, verdict);
      st.flows.set(flowId, flow);
      st.open.push(flow);
      const parentId = event.parentFlowId !== flowId ? event.parentFlowId : undefined;
      let parent: StoredFlow | undefined;
      if (parentId !== undefined) {
        // The parent is usually the previous flow or the previous new flow's parent: no lookup.
        const lp = this.lastParent;
        if (lf !== undefined && lf.id === parentId && lf.runId === run.id) parent = lf;
        else if (lp !== undefined && lp.id === parentId && lp.runId === run.id) parent = lp;
        else parent = st.flows.get(parentId);
        this.lastParent = parent;
      }
      if (parent) {
        // The common case (parent started first): append without touching `roots`.
        flow.parentId = parentId;
        parent.addChild(flow);
        this.flowChanged(parent);
      } else {
        run.roots.push(flow);
        if (parentId !== undefined) {
          flow.parentId = parentId;
          const list = st.pendingChildren.get(parentId) ?? [];
          list.push(flow);
          st.pendingChildren.set(parentId, list);
        }
      }
      const waiting = st.pendingChildren.get(flowId);
      if (waiting) {
        st.pendingChildren.delete(flowId);
        for (const child of waiting) this.attach(run, st, flow, child);
      }
    }
    if (flow.parentId === undefined && event.parentFlowId !== undefined && event.parentFlowId !== flowId) {
      flow.parentId = event.parentFlowId;
      const parent = st.flows.get(event.parentFlowId);
      if (parent) this.attach(run, st, parent, flow);
      else {
        const list = st.pendingChildren.get(event.parentFlowId) ?? [];
        list.push(flow);
        st.pendingChildren.set(event.parentFlowId, list);
      }
    }
    if (flow.name === undefined && event.flow !== undefined) {
      flow.name = event.flow;
      flow.displayName = event.flow;
    }
    // Whether the flow had a time before this event (read as a flag: no number boxed per event).
    const hadStart = flow.hasStarted;
    if (!hadStart && ts !== undefined) flow.started = ts;
    if (event.correlation) flow.correlation = mergeCorrelation(flow.correlation, event.correlation);
    const tags = event.tags;
    if (tags.length > 0 && tags !== flow.tags) flow.tags = mergeTags(flow.tags, tags);

    const type = event.type;
    const isVerdict = type === 'success' || type === 'failure' || type === 'exception'; // VERDICT_TYPES, without a set lookup
    if (stored || isNew || isVerdict) {
      if (own < 0) own = st.storage.keep(full as TraceEvent);
      flow.push(own);
    }
    if (isVerdict) {
      // The last verdict wins (a retried flow may fail, then succeed).
      flow.verdict = verdictOf(event.type);
      flow.verdictRecord = own;
      flow.ended = ts;
      // Unknown is unknown, not zero (issue 16): without `duration_ms` the duration is the verdict's
      // time minus an EARLIER time of the flow. A flow whose timed events all share the verdict's
      // instant (flowscribe 0.1 writes many: a lone verdict, or a metric and its verdict in one
      // millisecond; 0.1 has no flow_start) measured no interval — a 0 would pull p50 to 0 and make
      // trends zig-zag. Every surface shows it as "—" and percentiles skip it. A stated 0 is kept.
      const startedBefore = hadStart ? flow.started : undefined;
      flow.durationMs = event.durationMs ?? (ts !== undefined && startedBefore !== undefined && startedBefore < ts ? ts - startedBefore : undefined);
      // No longer open: dropped from `st.open` when it is next walked.
    }
    this.flowChanged(flow);
    this.lastFlow = flow;
  }

  /** Make `child` a child of `parent` (and no longer a root); refuses to create a cycle. */
  private attach(run: Run, st: RunState, parent: StoredFlow, child: StoredFlow): void {
    const seen = new Set<FlowNode>();
    for (let p: StoredFlow | undefined = parent; p && !seen.has(p); p = p.parentId ? st.flows.get(p.parentId) : undefined) {
      if (p === child) return;
      seen.add(p);
    }
    if (!parent.children.includes(child)) parent.addChild(child);
    const i = run.roots.indexOf(child);
    if (i >= 0) run.roots.splice(i, 1);
    this.flowChanged(parent);
  }

  // --- The persisted index (src/core/read/index/persist.ts): runs and their builder state. ---

  /** The storage a run's events are held in (the persisted index checks it is the source's). */
  runStorage(id: string): EventStorage | undefined {
    const run = this.byId.get(id);
    return run ? this.state.get(run)?.storage : undefined;
  }

  /**
   * The runs `ids` (in the order the builder made them) with everything the builder knows of them,
   * copied or as views that later events do not change — or undefined when they cannot be persisted
   * on their own: a run holds events of another storage than `storage`, or `storage` has a flow of
   * a run not among them. The flows' chains and times are the storage's (FileEvents.snapshot).
   */
  async snapshotRuns(ids: ReadonlySet<string>, storage: EventStorage, pause?: () => Promise<void> | undefined): Promise<RunsSnapshot | undefined> {
    const runs: RunSnapshot[] = [];
    const slots = storage.flowSlotCount;
    const flows = emptyFlowColumns(slots);
    const seen = new Uint8Array(slots);
    let runIndex = 0;
    for (const run of this.byId.values()) {
      if (!ids.has(run.id)) continue;
      this.materializeRun(run);
      const st = this.state.get(run) as RunState;
      if (st.storage !== storage) return undefined;
      for (const f of st.open) {
        const i = f.persistSlot;
        if (i >= 0 && i < slots) flows.open[i] = 1;
      }
      // Cheap per flow (this runs when the index completes): references, codes; the correlation's
      // emptiness and the strings are looked at when the cache is written.
      let k = 0;
      for (const f of st.flows.values()) {
        // `pause`: the caller's yield (the read state does not change meanwhile: the load waits).
        if ((++k & 4095) === 0 && pause) {
          const p = pause();
          if (p) await p;
        }
        const i = f.persistSlot;
        if (i < 0 || i >= slots || seen[i] === 1) return undefined;
        seen[i] = 1;
        flows.run[i] = runIndex;
        flows.id[i] = f.id;
        flows.name[i] = f.name;
        flows.display[i] = f.persistDisplay;
        flows.parent[i] = f.parentId;
        flows.verdict[i] = verdictCode(f.verdict);
        flows.correlation[i] = f.correlation;
        flows.tags[i] = f.tags.length === 0 ? undefined : f.tags;
        const kids = f.persistKids;
        if (kids !== undefined) {
          const list = new Array<number>(kids.length);
          for (let j = 0; j < kids.length; j++) list[j] = (kids[j] as StoredFlow).persistSlot;
          flows.kids[i] = list;
        }
      }
      const plain = (m: Malformed[] | undefined): Malformed[] | undefined => m?.map((x) => ({ file: x.file, line: x.line, reason: x.reason }));
      const se = st.sessionEnd;
      runs.push({
        run: {
          id: run.id, dialect: run.dialect, sources: [...run.sources], primarySource: run.primarySource, app: run.app, mode: run.mode,
          tags: [...run.tags], gitSha: run.gitSha, host: run.host, started: run.started, ended: run.ended, status: run.status,
          endedBy: run.endedBy, malformed: plain(run.malformed) ?? [], warnings: plain(run.warnings),
          notes: JSON.parse(JSON.stringify(run.notes)) as RunNote[], cap: run.cap ? { ...run.cap } : undefined,
          counts: copyEventCounts(st.counts),
        },
        sessionEnd: se && {
          dialect: se.dialect, type: se.type, ts: se.ts, runId: se.runId, flow: se.flow, flowId: se.flowId, parentFlowId: se.parentFlowId,
          correlation: se.correlation, tags: [...se.tags], severity: se.severity, failureClass: se.failureClass, durationMs: se.durationMs,
          app: se.app, mode: se.mode, gitSha: se.gitSha, host: se.host, status: se.status,
        },
        lastTs: lastTsOf(st), failures: st.failures, errors: st.errors, total: st.total, limit: st.limit, notKept: st.notKept,
        capped: this.capped.has(run), warningCount: this.warningCounts.get(run),
        refs: st.list.refsView(),
        roots: run.roots.map((f) => (f as StoredFlow).persistSlot),
        pending: [...st.pendingChildren].map(([parent, list]) => [parent, list.map((f) => f.persistSlot)]),
      });
      runIndex++;
    }
    for (let i = 0; i < slots; i++) if (seen[i] === 0) return undefined;
    return { runs, flows };
  }

  /**
   * Add persisted runs (validated by the caller: every index in range, no id taken) with their
   * events in `storage` (a restored FileEvents: its flow slots are the flows'). A run's flows are
   * made when first used (`run.flows`, `run.roots`, an event added, summarised), so a restored
   * workspace shows its runs without making a few hundred thousand flow objects first.
   */
  restoreRuns(snap: RestoreRuns, storage: EventStorage): Run[] {
    const out: Run[] = [];
    const batch: LazyFlows = {
      snap, storage, runs: [], states: [], slots: [], pendingVerdict: [], columns: undefined, left: snap.runs.length,
      openRunning: new Int32Array(snap.runs.length), openOrphaned: new Int32Array(snap.runs.length),
    };
    const counts = new Int32Array(snap.runs.length);
    const running = VERDICT_CODES.indexOf('running');
    const orphaned = VERDICT_CODES.indexOf('orphaned');
    for (let i = 0; i < snap.run.length; i++) {
      const r = snap.run[i];
      counts[r]++;
      if (snap.open[i] === 1 && snap.verdict[i] === running) batch.openRunning[r]++;
      else if (snap.open[i] === 1 && snap.verdict[i] === orphaned) batch.openOrphaned[r]++;
    }
    for (let r = 0; r < snap.runs.length; r++) batch.slots.push(new Int32Array(counts[r]));
    counts.fill(0);
    for (let i = 0; i < snap.run.length; i++) batch.slots[snap.run[i]][counts[snap.run[i]]++] = i;
    for (const r of snap.runs) {
      const p = r.run;
      const list = EventList.restore(storage, p.id, false, r.refs);
      const ri = out.length;
      const flows = new LazyFlowMap(batch.slots[ri].length, () => this.materializeRun(out[ri]));
      const roots: FlowNode[] = [];
      const run: Run = {
        id: p.id, dialect: p.dialect, sources: [...p.sources], primarySource: p.primarySource, tags: [...p.tags], status: p.status,
        flows, roots, events: list, malformed: p.malformed, notes: p.notes, counts: p.counts,
      };
      if (p.app !== undefined) run.app = p.app;
      if (p.mode !== undefined) run.mode = p.mode;
      if (p.gitSha !== undefined) run.gitSha = p.gitSha;
      if (p.host !== undefined) run.host = p.host;
      if (p.started !== undefined) run.started = p.started;
      if (p.ended !== undefined) run.ended = p.ended;
      if (p.endedBy !== undefined) run.endedBy = p.endedBy;
      if (p.warnings !== undefined) run.warnings = p.warnings;
      if (p.cap !== undefined) run.cap = p.cap;
      const st: RunState = {
        lastTs: new Float64Array(1).fill(NaN), failures: r.failures, errors: r.errors, total: r.total, storage, list, flows, counts: p.counts, open: [], pendingChildren: new Map(),
        limit: r.limit, notKept: r.notKept,
      };
      if (r.sessionEnd !== undefined) st.sessionEnd = r.sessionEnd;
      if (r.lastTs !== undefined) st.lastTs[0] = r.lastTs;
      // The flows and roots are made on first read (`run.flows.size` is known without them).
      Object.defineProperty(run, 'roots', {
        configurable: true, enumerable: true,
        get: () => {
          this.materializeRun(run);
          return roots;
        },
        set: (v: unknown) => {
          this.materializeRun(run);
          Object.defineProperty(run, 'roots', { value: v, writable: true, enumerable: true, configurable: true });
        },
      });
      this.byId.set(p.id, run);
      this.state.set(run, st);
      this.lazyRuns.set(run, { b: batch, r: batch.runs.length });
      batch.runs.push(run);
      batch.states.push(st);
      batch.pendingVerdict.push(undefined);
      if (r.capped) this.capped.add(run);
      if (r.warningCount !== undefined) this.warningCounts.set(run, r.warningCount);
      if (!this.changes.removed.delete(p.id)) this.changes.added.add(p.id);
      this.changes.runs.add(p.id);
      out.push(run);
    }
    this.lastRun = this.lastState = this.lastFlow = this.lastParent = undefined;
    return out;
  }

  /** Make the flows of a restored run (no-op for any other run). */
  private materializeRun(run: Run): void {
    const lazy = this.lazyRuns.get(run);
    if (lazy === undefined) return;
    this.lazyRuns.delete(run);
    const { b, r } = lazy;
    const st = b.states[r];
    (st.flows as LazyFlowMap).disarm();
    const c = (b.columns ??= b.snap.columns());
    const slots = b.slots[r];
    const made = new Map<number, StoredFlow>();
    const pv = b.pendingVerdict[r];
    for (let k = 0; k < slots.length; k++) {
      const i = slots[k];
      const open = c.open[i] === 1;
      const v = VERDICT_CODES[c.verdict[i]];
      // An open flow that got no verdict since takes the one applyStatus set meanwhile.
      const f = StoredFlow.restore(b.storage, i, c.id[i], c.name[i], run.id, open && pv !== undefined && (v === 'running' || v === 'orphaned') ? pv : v, c.display[i]);
      const parent = c.parent[i];
      if (parent !== undefined) f.parentId = parent;
      const corr = c.correlation[i];
      if (corr !== undefined) f.correlation = corr;
      const tags = c.tags[i];
      if (tags !== undefined) f.tags = tags;
      made.set(i, f);
      st.flows.set(f.id, f);
      if (open) st.open.push(f);
    }
    for (const [i, f] of made) {
      const kids = c.kids[i];
      if (kids !== undefined) f.restoreChildren(kids.map((j) => made.get(j) as StoredFlow));
    }
    const snapRun = b.snap.runs[r];
    const roots: FlowNode[] = snapRun.roots.map((j) => made.get(j) as StoredFlow);
    for (const [parent, list] of snapRun.pending) st.pendingChildren.set(parent, list.map((j) => made.get(j) as StoredFlow));
    Object.defineProperty(run, 'roots', { value: roots, writable: true, enumerable: true, configurable: true });
    if (--b.left === 0) b.columns = undefined;
  }

  /**
   * `applyStatus` for a restored run whose flows are not made yet: the open flows' verdict is kept
   * aside (applied when they are made) unless views track flow changes and it changes — then the
   * flows are made and the caller goes on. True when nothing is left to do.
   */
  private deferOpen(run: Run, verdict: Verdict): boolean {
    const lazy = this.lazyRuns.get(run);
    if (lazy === undefined) return false;
    const { b, r } = lazy;
    const pv = b.pendingVerdict[r];
    const changes = pv !== undefined ? pv !== verdict : verdict === 'running' ? b.openOrphaned[r] > 0 : b.openRunning[r] > 0;
    if (!changes) return true;
    if (this.trackFlows) {
      this.materializeRun(run);
      return false;
    }
    b.pendingVerdict[r] = verdict;
    this.changes.runs.add(run.id);
    return true;
  }

  /** Bring `run.cap` and the cap note of every capped run up to date (after a read, in `finish`). */
  settleCaps(): void {
    for (const run of this.capped) this.settleCap(run, this.state.get(run) as RunState);
  }

  private settleCap(run: Run, st: RunState): void {
    const kept = this.storedEvents(run);
    const c = run.cap;
    const mode = st.limit === 0 ? 'summarised' : 'capped';
    if (c && c.mode === mode && c.total === st.total && c.kept === kept) return;
    run.cap = { mode, total: st.total, kept, notKept: st.total - kept, limit: this.cap };
    putRunNote(run, { kind: 'cap', cap: { ...run.cap } });
    this.changes.runs.add(run.id);
  }
}

/** Located warnings listed per run (more are counted in the run's note). */
const MAX_WARNINGS_PER_RUN = 1000;

/** Verdicts by their code in the persisted index (the order is part of its format). */
export const VERDICT_CODES: readonly Verdict[] = ['succeeded', 'failed', 'exception', 'orphaned', 'running'];

function verdictCode(v: Verdict): number {
  switch (v) {
    case 'succeeded':
      return 0;
    case 'failed':
      return 1;
    case 'exception':
      return 2;
    case 'orphaned':
      return 3;
    default:
      return 4;
  }
}

/** The persisted state of one run (RunBuilder.snapshotRuns). */
export interface RunSnapshot {
  /** The run's own fields (copied; `flows`, `roots` and `events` are below). */
  run: Omit<Run, 'flows' | 'roots' | 'events' | 'counts'> & { counts: EventCounts };
  sessionEnd?: EventFields;
  lastTs?: number;
  failures: number;
  errors: number;
  total: number;
  /** Events the run may hold (Infinity = no cap). */
  limit: number;
  notKept: number;
  capped: boolean;
  warningCount?: number;
  /** `run.events`: records of the storage. */
  refs: Int32Array;
  /** Root flows, by flow slot. */
  roots: number[];
  /** Children waiting for their parent: parent id → flow slots. */
  pending: [string, number[]][];
}

/** Every flow of the persisted runs, by flow slot (one column per field). */
export interface FlowColumns {
  /** Index of the flow's run in {@link RunsSnapshot.runs}. */
  run: Int32Array;
  id: string[];
  name: (string | undefined)[];
  /** A display name set apart from `name` (0.1 names), else undefined. */
  display: (string | undefined)[];
  parent: (string | undefined)[];
  /** {@link VERDICT_CODES} index. */
  verdict: Uint8Array;
  /** 1 = in the run's list of open flows (`RunState.open`). */
  open: Uint8Array;
  /** undefined (or an empty object: the shared empty one) = none. */
  correlation: (Readonly<Record<string, unknown>> | undefined)[];
  tags: (readonly string[] | undefined)[];
  /** Children by flow slot, in order; undefined = none. */
  kids: (number[] | undefined)[];
}

/**
 * What {@link RunBuilder.restoreRuns} takes: the runs, the few flow columns it needs before the
 * flows are made, and the rest of the columns on demand (made once, when the first run's flows are).
 */
export interface RestoreRuns {
  runs: RunSnapshot[];
  run: Int32Array;
  open: Uint8Array;
  verdict: Uint8Array;
  columns: () => FlowColumns;
}

/**
 * A restored run's flows (RunBuilder.restoreRuns) before they are made: `size` is known; any other
 * use makes them first (`make`), then it is a plain Map.
 */
class LazyFlowMap extends Map<string, StoredFlow> {
  constructor(
    private readonly known: number,
    private make: (() => void) | undefined,
  ) {
    super();
  }

  /** The flows are being made: from now on a plain Map. */
  disarm(): void {
    this.make = undefined;
  }

  private ready(): void {
    const m = this.make;
    if (m === undefined) return;
    this.make = undefined;
    m();
  }

  override get size(): number {
    return this.make !== undefined ? this.known : super.size;
  }

  override get(k: string): StoredFlow | undefined {
    this.ready();
    return super.get(k);
  }

  override has(k: string): boolean {
    this.ready();
    return super.has(k);
  }

  override set(k: string, v: StoredFlow): this {
    this.ready();
    return super.set(k, v);
  }

  override delete(k: string): boolean {
    this.ready();
    return super.delete(k);
  }

  override clear(): void {
    this.ready();
    super.clear();
  }

  override forEach(fn: (v: StoredFlow, k: string, m: Map<string, StoredFlow>) => void, thisArg?: unknown): void {
    this.ready();
    super.forEach(fn, thisArg);
  }

  override keys(): MapIterator<string> {
    this.ready();
    return super.keys();
  }

  override values(): MapIterator<StoredFlow> {
    this.ready();
    return super.values();
  }

  override entries(): MapIterator<[string, StoredFlow]> {
    this.ready();
    return super.entries();
  }

  override [Symbol.iterator](): MapIterator<[string, StoredFlow]> {
    this.ready();
    return super[Symbol.iterator]();
  }
}

/** Restored runs whose flows are not made yet (one batch per restored source). */
interface LazyFlows {
  snap: RestoreRuns;
  storage: EventStorage;
  runs: Run[];
  states: RunState[];
  /** Flow slots of each run, in order. */
  slots: Int32Array[];
  /** The open flows' verdict set by `applyStatus` meanwhile. */
  pendingVerdict: (Verdict | undefined)[];
  columns: FlowColumns | undefined;
  /** Runs of the batch whose flows are not made yet. */
  left: number;
  /** Open flows without a verdict per run, as restored: `running` ones, `orphaned` ones. */
  openRunning: Int32Array;
  openOrphaned: Int32Array;
}

/** The persisted runs of one source (RunBuilder.snapshotRuns / restoreRuns). */
export interface RunsSnapshot {
  runs: RunSnapshot[];
  flows: FlowColumns;
}

/** Columns for `n` flows. */
export function emptyFlowColumns(n: number): FlowColumns {
  return {
    run: new Int32Array(n), id: new Array<string>(n), name: new Array<string | undefined>(n), display: new Array<string | undefined>(n),
    parent: new Array<string | undefined>(n), verdict: new Uint8Array(n), open: new Uint8Array(n),
    correlation: new Array<Readonly<Record<string, unknown>> | undefined>(n), tags: new Array<readonly string[] | undefined>(n),
    kids: new Array<number[] | undefined>(n),
  };
}

