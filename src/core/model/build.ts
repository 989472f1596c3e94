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
 *
 * A run the cold index makes during a load keeps its flows in columns while it is merged
 * ({@link ColdFlows}: no object, map entry or children array per flow; ids in an Int32Array table,
 * {@link FlowIds}; ids, names, correlations and tags in {@link Chunked} columns); the flow objects are
 * made from them when something reads `run.flows`/`run.roots` (in slices with
 * {@link RunBuilder.makeFlows}), and every reader sees the same Run/FlowNode model either way;
 * what only counts or lists reads the columns (flowFacts.ts).
 */
import { EventCounts, EventSeq, FlowNode, Malformed, putRunNote, Run, RunNote, RunStatus, TraceEvent, Verdict } from './types';
import { copyEventCounts, countInto, emptyEventCounts } from './counts';
import { correlationOf, EMPTY_CORRELATION, flowEventList, mergeCorrelation, StoredFlow, shortFlowId } from './flow';
import { EventList, MemoryEvents, type EventStorage } from './storage';
import { registerFlowColumns, unregisterFlowColumns, type FlowFacts } from './flowFacts';
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
    /**
     * The correlation as JSON text, when `correlation` is not given (the cold index: parsed only
     * when a flow's correlation is read, or when two different ones meet in a flow).
     */
    correlationText?: string;
  };


/**
 * A new {@link EventFields} object with every field set, in one order: every event reaches the
 * builder's per-event code (addItem, addToCold, addToFlow) in this one shape — the cold index's
 * reused fields object, a session record, or a copy of a whole event ({@link RunBuilder.add}, {@link copyEventFields}).
 * Events the plain reader made have shapes that follow their lines' keys; reaching the merge's
 * optimised code, each new one had it compiled again, and past four its property reads turned
 * megamorphic for every event (docs/decisions.md "Issue 15 round 7").
 */
export function newEventFields(dialect: EventFields['dialect']): EventFields {
  const f: EventFields = {
    dialect, type: '', ts: 0, runId: undefined, flow: undefined, flowId: undefined, parentFlowId: undefined, correlation: undefined, correlationText: undefined,
    tags: [], tagsKey: 0, severity: undefined, failureClass: undefined, durationMs: 0, app: undefined, mode: undefined, gitSha: undefined, host: undefined,
    status: undefined, src: undefined,
  };
  // The number fields start as a small integer, then undefined: "tagged" from the start (a field
  // that first held a small integer and then a time would change its representation in place,
  // and every optimised function that read it would be thrown away).
  f.ts = undefined;
  f.durationMs = undefined;
  f.tagsKey = undefined;
  return f;
}

/** Copy the fields the builder reads of `e` (a whole event, or fields) into `f` (a {@link newEventFields} object). */
export function copyEventFields(e: EventFields, f: EventFields): EventFields {
  f.dialect = e.dialect;
  f.type = e.type;
  f.ts = e.ts;
  f.runId = e.runId;
  f.flow = e.flow;
  f.flowId = e.flowId;
  f.parentFlowId = e.parentFlowId;
  f.correlation = e.correlation;
  f.correlationText = e.correlationText;
  f.tags = e.tags;
  f.tagsKey = e.tagsKey;
  f.severity = e.severity;
  f.failureClass = e.failureClass;
  f.durationMs = e.durationMs;
  f.app = e.app;
  f.mode = e.mode;
  f.gitSha = e.gitSha;
  f.host = e.host;
  f.status = e.status;
  f.src = e.src;
  return f;
}

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
  /** Changed flows of runs still in columns, as {@link flowKey}s (they have no node). */
  coldFlows: Set<string>;
  added: Set<string>;
  removed: Set<string>;
}

interface RunState {
  sessionEnd: EventFields | undefined;
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
  /**
   * The run's flows in columns while the cold index makes them (no flow objects yet): set for a
   * run the index made while flows are not tracked; undefined once the flows are made.
   */
  cold: ColdFlows | undefined;
  /** Events this run may hold in `events`: the cap, 0 once summarised. */
  limit: number;
  /** Events read and not held (beyond `limit`, or released by summarising). */
  notKept: number;
}

/**
 * Room for a run's next flow in columns that are full. A run holding most of its file's flows
 * takes the room the file's index reserved for them at once: doubling, the last growth of a
 * ~300k-flow run copied ~8 MB in one piece. (A function of its own: the hot `addToCold` keeps only
 * the test, whose first true comes early, so its optimised code never meets this branch new.)
 */
function reserveCold(c: ColdFlows, storage: EventStorage): void {
  if (c.n >= 4096 && c.n * 2 >= storage.flowSlotCount) c.reserve(c.n + storage.flowSlotCapacity - storage.flowSlotCount);
}

/**
 * A run with every field set, its optional ones undefined, in one order: a field added when an
 * event first gives it (`app` at a session start, `ended` at its end) made runs of many shapes,
 * and the merge's optimised code met a new one at each run's start and end.
 */
function newRun(
  id: string, dialect: Run['dialect'], sources: string[], primarySource: string, tags: string[], status: Run['status'], flows: Run['flows'], roots: FlowNode[],
  events: Run['events'], malformed: Run['malformed'], notes: Run['notes'], counts: Run['counts'],
): Run {
  return {
    id, dialect, sources, primarySource, app: undefined, mode: undefined, tags, gitSha: undefined, host: undefined, started: undefined, ended: undefined, status,
    endedBy: undefined, flows, roots, events, malformed, warnings: undefined, notes, cap: undefined, counts,
  };
}

/**
 * A run's state with every field set, in one order: one hidden class for every run (fields added
 * later — the columns, a session end — made the merge's optimised code meet new shapes and be
 * compiled again; docs/decisions.md "Issue 15 round 7").
 */
function newRunState(storage: EventStorage, list: EventList, flows: Map<string, StoredFlow>, counts: EventCounts, limit: number, cold: ColdFlows | undefined): RunState {
  return {
    sessionEnd: undefined, lastTs: new Float64Array(1).fill(NaN), failures: 0, errors: 0, total: 0, storage, list, flows, counts, open: [], pendingChildren: new Map(), cold, limit, notKept: 0,
  };
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
  private changes: PendingChanges = { runs: new Set(), flows: new Set(), coldFlows: new Set(), added: new Set(), removed: new Set() };
  /**
   * What `add` passes on: the fields of the event it was given, copied ({@link newEventFields}).
   * Reused by every call: nothing `addItem` calls may add an event (it would overwrite the fields
   * its caller is still reading), and nothing may keep it (a run's end keeps the event itself).
   */
  private readonly scratch = newEventFields('flowscribe-v1');

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
  /** The same two for runs whose flows are columns (ordinals in `coldOf`; -1 = none). */
  private coldOf?: ColdFlows;
  private coldLast = -1;
  private coldParent = -1;
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
    return this.addItem(copyEventFields(event, this.scratch), -1, undefined, event, runId ?? event.runId ?? '(no run id)', source ?? event.src.file, storage);
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
    // A run the cold index makes (its events in the index's storage) while flows are not tracked
    // (a load) keeps its flows in columns.
    const run = last !== undefined && last.id === id ? last : this.ensureRun(id, event.dialect, source, storage, storage !== undefined && !this.trackFlows);
    let st = this.lastState as RunState;
    if (run !== last) {
      if (this.lazyRuns.size !== 0) this.materializeLazy(run); // a restored run: its flows first
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
      event = copyEventFields(full, this.scratch);
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
    } else if (full !== undefined && full.tsRaw !== undefined) this.checkTimestamp(run, full); // (the index's fields have no tsRaw: not read from them)
    const stored = st.list.length < st.limit;
    if (stored) {
      if (own < 0) own = st.storage.keep(full as TraceEvent);
      st.list.push(own);
    } else if (st.notKept++ === 0) this.capped.add(run);
    // Every event is counted, held or not.
    countInto(st.counts, event.type, event.severity, event.failureClass);

    // A run's start and end: once per run, so in functions of their own (not compiled into this
    // one's optimised code, which otherwise met their first run's arrays and shapes new).
    switch (event.type) {
      case 'session_start':
        this.sessionStart(run, event, ts);
        return run;
      case 'session_end':
        this.sessionEnd(run, st, event, full, ts);
        return run;
      default:
        break;
    }
    if (event.type === 'failure' || event.type === 'exception') st.failures++;
    if (event.severity === 'error' || event.severity === 'critical') st.errors++;

    const flowId = event.flowId ?? event.flow;
    if (flowId === undefined || flowId === '') return run;
    const cold = st.cold;
    if (cold !== undefined) {
      // Events after the load (a refresh) go to the columns too: a first appended line made a big
      // live run's ~300k flow objects at once (~150-200 ms), where nothing but its tree reads them.
      if (this.addToCold(run, st, cold, flowId, event, own, full, stored)) {
        if (this.trackFlows) this.changes.coldFlows.add(flowKey(run.id, flowId));
        return run;
      }
      this.materializeCold(run, st); // the flow objects' way from here on
    }
    this.addToFlow(run, st, flowId, event, own, full, stored);
    return run;
  }

  /** A run's `session_start`: the run's app, mode, commit, host, tags and start. */
  private sessionStart(run: Run, event: EventFields, ts: number | undefined): void {
    if (event.app !== undefined) run.app = event.app;
    if (event.mode !== undefined) run.mode = event.mode;
    if (event.gitSha !== undefined) run.gitSha = event.gitSha;
    if (event.host !== undefined) run.host = event.host;
    for (const t of event.tags) if (!run.tags.includes(t)) run.tags.push(t);
    if (ts !== undefined) run.started = ts;
  }

  /**
   * A run's `session_end`, kept (with its correlation as an object: the persisted index copies
   * it) — the whole event when there is one (`event` may be the builder's scratch copy of it).
   */
  private sessionEnd(run: Run, st: RunState, event: EventFields, full: TraceEvent | undefined, ts: number | undefined): void {
    st.sessionEnd = full ?? (event.correlationText !== undefined && event.correlation === undefined
      ? { ...event, correlation: (JSON.parse(event.correlationText) as Record<string, unknown> | null) ?? undefined, correlationText: undefined }
      : event);
    if (ts !== undefined) run.ended = ts;
    this.applyStatus(run, st, this.endedStatus(run, st));
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
    const cold = this.state.get(run)?.cold !== undefined; // no flow objects, so none among the changes
    this.byId.delete(id);
    this.state.delete(run);
    this.capped.delete(run);
    this.lastRun = this.lastState = this.lastFlow = this.lastParent = undefined;
    if (this.changes.added.has(id)) this.changes.added.delete(id);
    else this.changes.removed.add(id);
    this.changes.runs.delete(id);
    if (!cold) for (const f of run.flows.values()) this.changes.flows.delete(f);
    else for (const k of this.changes.coldFlows) if (parseFlowKey(k).runId === id) this.changes.coldFlows.delete(k);
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
        else run.endedBy = undefined; // (kept as a field: one shape for every run, newRun)
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
    const cs = this.state.get(run) as RunState;
    if (cs.cold !== undefined && !this.lazyRuns.has(run)) return this.summariseCold(run, cs, cs.cold);
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

  /**
   * {@link summarise} for a run whose flows are still columns, with the same effects and without
   * making its flow objects first: a 5 GB trace's cap summarised ~65 such runs, and their objects
   * took ~1 GB — far more than the events it released. The run's list and every flow's chain are
   * let go (the verdict records stay), as `StoredFlow.release` does; flows already made are
   * released as objects.
   */
  private summariseCold(run: Run, st: RunState, c: ColdFlows): number {
    const s = st.storage;
    const list = st.list;
    const released = list.length;
    st.limit = 0;
    st.notKept += released;
    const x = c.int;
    const verdicts = new Set<number>();
    for (let o = 0; o < c.n; o++) {
      const v = s.flowVerdictRef(x[o * CI]);
      if (v >= 0) verdicts.add(v);
    }
    for (let i = 0; i < list.length; i++) if (!verdicts.has(list.refAt(i))) s.release(list.refAt(i));
    list.clear();
    for (let o = 0; o < c.n; o++) {
      const made = o < c.madeN ? c.made?.[o] : undefined;
      if (made !== undefined) {
        for (const r of made.records()) if (!verdicts.has(r)) s.release(r);
        made.release();
        this.flowChanged(made);
        continue;
      }
      const slot = x[o * CI];
      for (let r = s.flowHead(slot); r >= 0; r = s.next(r)) if (!verdicts.has(r)) s.release(r);
      s.setFlowChain(slot, -1, -1, 0);
      if (this.trackFlows) this.changes.coldFlows.add(flowKey(run.id, c.ids.get(o)));
    }
    this.capped.add(run);
    this.changes.runs.add(run.id);
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
    return { runs: new Set(c.runs), flows: new Set([...[...c.flows].map((f) => flowKey(f.runId, f.id)), ...c.coldFlows]), added: new Set(c.added), removed: new Set(c.removed) };
  }

  /** Forget pending changes without reporting them (a fresh load has nothing to compare with). */
  clearChanges(): void {
    this.lastRun = this.lastState = this.lastFlow = this.lastParent = undefined;
    this.changes = { runs: new Set(), flows: new Set(), coldFlows: new Set(), added: new Set(), removed: new Set() };
  }

  /** Changes since the previous call (and reset). */
  takeChanges(): BuilderChanges {
    const c = this.peekChanges();
    this.lastRun = this.lastState = this.lastFlow = this.lastParent = undefined;
    this.changes = { runs: new Set(), flows: new Set(), coldFlows: new Set(), added: new Set(), removed: new Set() };
    return c;
  }

  private ensureRun(id: string, dialect: Run['dialect'], source: string, given: EventStorage | undefined, columns = false): Run {
    let run = this.byId.get(id);
    if (run) return run;
    const storage = given ?? new MemoryEvents();
    const list = new EventList(storage, id, false);
    const cold = columns ? new ColdFlows() : undefined;
    const flows = cold ? new FlowMap(cold.byId, 0, () => this.materializeCold(made, st)) : new Map<string, StoredFlow>();
    const counts = emptyEventCounts();
    run = newRun(id, dialect, [source], source, [], 'running', flows, [], list, [], [], counts);
    const made = run;
    const st = newRunState(storage, list, flows, counts, this.cap, cold);
    if (cold) {
      // Rollups read the columns while they are the run's flows (flowFacts.ts).
      const cursor = new ColdCursor(cold, storage, id);
      // Unregistered when the run's flow objects are made (materializeCold).
      registerFlowColumns(run, (visit) => {
        for (let o = 0; o < cold.n; o++) {
          cursor.o = o;
          if (visit(cursor) === true) return;
        }
      });
      // The roots are made with the flows, on first read.
      Object.defineProperty(run, 'roots', {
        configurable: true, enumerable: true,
        get: () => {
          this.materializeCold(made, st);
          return made.roots;
        },
        set: (v: FlowNode[]) => {
          this.materializeCold(made, st);
          made.roots = v;
        },
      });
    }
    this.byId.set(id, run);
    this.state.set(run, st);
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
    const cold = st.cold;
    if (cold !== undefined) {
      // Open flows in columns take the status's verdict there (each change reported as a key).
      this.coldStatus(run, cold, openVerdict === 'running' ? V_RUNNING : V_ORPHANED);
      return;
    }
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
    const corr = event.correlation ?? (event.correlationText !== undefined ? ((JSON.parse(event.correlationText) as Record<string, unknown> | null) ?? undefined) : undefined);
    if (corr) flow.correlation = mergeCorrelation(flow.correlation, corr);
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
      if (type !== 'success') st.storage.setFlowVerdictClass(flow.persistSlot, event.failureClass);
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

  /**
   * {@link addToFlow} for a run whose flows are columns (`st.cold`), the same rules without a flow
   * object; false (nothing changed) when the event needs the flow objects: a child whose parent is
   * not made yet (pending), or a parent given after a flow's first event.
   */
  private addToCold(run: Run, st: RunState, c: ColdFlows, flowId: string, event: EventFields, own: number, full: TraceEvent | undefined, stored: boolean): boolean {
    if (this.coldOf !== c) {
      this.coldOf = c;
      this.coldLast = this.coldParent = -1;
    }
    const x = c.int;
    const lf = this.coldLast;
    let o = lf >= 0 && c.ids.get(lf) === flowId ? lf : c.byId.find(flowId);
    const isNew = o < 0;
    const pid = event.parentFlowId;
    if (isNew) {
      let parent = -1;
      if (pid !== undefined && pid !== flowId) {
        // The parent is usually the previous flow or the previous new flow's parent: no lookup.
        const lp = this.coldParent;
        if (lf >= 0 && c.ids.get(lf) === pid) parent = lf;
        else if (lp >= 0 && c.ids.get(lp) === pid) parent = lp;
        else parent = c.byId.find(pid);
        if (parent < 0) return false;
        this.coldParent = parent;
      }
      const verdict = st.sessionEnd || run.status !== 'running' ? V_ORPHANED : V_RUNNING;
      const slot = st.storage.newFlowSlot();
      if (c.n === c.verdict.length) reserveCold(c, st.storage);
      o = c.add(flowId, event.flow, slot, verdict, parent);
    } else if (x[o * CI + 1] < 0 && pid !== undefined && pid !== flowId) return false;
    if (c.names.get(o) === undefined && event.flow !== undefined) {
      c.names.set(o, event.flow);
      c.named[o] = 1;
    }
    const s = st.storage;
    const slot = c.int[o * CI];
    const ts = event.ts;
    const hadStart = s.hasTime(slot, 0);
    if (!hadStart && ts !== undefined) s.setTime(slot, 0, ts);
    const corr = event.correlation;
    if (corr) {
      const was = c.corr.get(o);
      c.corr.set(o, mergeCorrelation(was === undefined ? EMPTY_CORRELATION : typeof was === 'string' ? correlationOf(was) : was, corr));
    } else {
      const text = event.correlationText;
      if (text !== undefined) {
        const was = c.corr.get(o);
        // Kept as text; the same text again adds no key. Two different ones are merged.
        if (was === undefined) c.corr.set(o, text);
        else if (was !== text) {
          const v = JSON.parse(text) as Record<string, unknown> | null;
          if (v) c.corr.set(o, mergeCorrelation(typeof was === 'string' ? correlationOf(was) : was, v));
        }
      }
    }
    const tags = event.tags;
    if (tags.length > 0) {
      const ft = c.tags.get(o);
      if (ft === undefined) c.tags.set(o, tags);
      else if (tags !== ft) c.tags.set(o, mergeTags(ft, tags));
    }
    const type = event.type;
    const isVerdict = type === 'success' || type === 'failure' || type === 'exception';
    if (stored || isNew || isVerdict) {
      if (own < 0) own = s.keep(full as TraceEvent);
      s.flowPush(slot, own);
    }
    if (isVerdict) {
      // As in addToFlow: the last verdict wins; the duration as stated, else measured (issue 16).
      c.verdict[o] = type === 'success' ? 0 : type === 'failure' ? 1 : 2;
      s.setFlowVerdictRef(slot, own);
      if (type !== 'success') s.setFlowVerdictClass(slot, event.failureClass);
      s.setTime(slot, 1, ts);
      const startedBefore = hadStart ? s.time(slot, 0) : undefined;
      s.setTime(slot, 2, event.durationMs ?? (ts !== undefined && startedBefore !== undefined && startedBefore < ts ? ts - startedBefore : undefined));
    }
    this.coldLast = o;
    if (o < c.madeN) this.refreshCold(c, o); // its object is made already (makeFlows under way)
    return true;
  }

  /**
   * {@link applyStatus} for the open flows of a run whose flows are columns: each takes `code`
   * there; while views track flows, each one changed is reported as a {@link flowKey}.
   */
  private coldStatus(run: Run, c: ColdFlows, code: number): void {
    const open = c.open;
    const v = c.verdict;
    let kept = 0;
    for (let i = 0; i < open.length; i++) {
      const o = open[i];
      const x = v[o];
      if (x !== V_RUNNING && x !== V_ORPHANED) continue; // got a verdict since: no longer open
      open[kept++] = o;
      if (x !== code) {
        v[o] = code;
        if (o < c.madeN) this.refreshCold(c, o);
        this.changes.runs.add(run.id);
        if (this.trackFlows) this.changes.coldFlows.add(flowKey(run.id, c.ids.get(o)));
      }
    }
    open.length = kept;
  }

  /**
   * Make the flow objects of a run whose flows are columns (no-op for any other run): on first
   * use of `run.flows` (but its size) or `run.roots`, or an event the columns do not take.
   */
  private materializeCold(run: Run, st: RunState): void {
    const c = st.cold;
    if (c === undefined) return;
    this.makeColdObjects(run, st, c, Infinity);
    this.linkCold(c, Infinity);
    c.byId.settle();
    st.cold = undefined;
    unregisterFlowColumns(run);
    if (this.coldOf === c) this.coldOf = undefined;
    const flows = c.made as StoredFlow[];
    const open = new Array<StoredFlow>(c.open.length);
    for (let i = 0; i < open.length; i++) open[i] = flows[c.open[i]];
    st.open = open;
    const roots = new Array<FlowNode>(c.roots.length);
    for (let i = 0; i < roots.length; i++) roots[i] = flows[c.roots[i]];
    (st.flows as FlowMap).made(flows, c.byId);
    Object.defineProperty(run, 'roots', { value: roots, writable: true, enumerable: true, configurable: true });
  }

  /**
   * Make the flow objects of columns `c` from `c.madeN` on, until `deadline` (performance.now());
   * true when all are made. Objects made stay right while the columns change meanwhile
   * ({@link refreshCold}); the tree, roots and open flows are linked by materializeCold.
   */
  private makeColdObjects(run: Run, st: RunState, c: ColdFlows, deadline: number): boolean {
    const made = (c.made ??= []);
    const n = c.n;
    const x = c.int;
    const storage = st.storage;
    const from = c.madeN;
    let o = from;
    for (; o < n; o++) {
      if ((o & 1023) === 1023 && o > from && performance.now() > deadline) break;
      const b = o * CI;
      const p = x[b + 1];
      const name = c.names.get(o);
      made.push(
        StoredFlow.fromColumns(storage, x[b], c.ids.get(o), name, run.id, VERDICT_CODES[c.verdict[o]], c.named[o] === 1 ? name : undefined, p >= 0 ? c.ids.get(p) : undefined, c.corr.get(o), c.tags.get(o)),
      );
    }
    c.madeN = o;
    return o === n;
  }

  /**
   * Give the flow objects of columns `c` (all made) their children, from `c.linkedN` on, until
   * `deadline`; true when done. A child added meanwhile (`c.links` changed) starts it over.
   */
  private linkCold(c: ColdFlows, deadline: number): boolean {
    if (c.linkedFor !== c.links) {
      c.linkedFor = c.links;
      c.linkedN = 0;
    }
    const flows = c.made as StoredFlow[];
    const x = c.int;
    const n = c.n;
    const from = c.linkedN;
    let o = from;
    for (; o < n; o++) {
      if ((o & 1023) === 1023 && o > from && performance.now() > deadline) break;
      const b = o * CI;
      const k = x[b + 5];
      if (k === 0) continue;
      // Exact size (a pushed-to array reserves room for 17: most flows have one or two children).
      const kids = new Array<FlowNode>(k);
      let m = 0;
      for (let j = x[b + 2]; j >= 0 && m < k; j = x[j * CI + 4]) kids[m++] = flows[j];
      kids.length = m;
      flows[o].takeChildren(kids);
    }
    c.linkedN = o;
    return o === n;
  }

  /** A flow object already made from columns `c` takes ordinal `o`'s columns again (they changed). */
  private refreshCold(c: ColdFlows, o: number): void {
    const f = (c.made as StoredFlow[])[o];
    const name = c.names.get(o);
    f.name = name;
    if (c.named[o] === 1 && name !== undefined) f.displayName = name;
    f.verdict = VERDICT_CODES[c.verdict[o]];
    const corr = c.corr.get(o);
    if (corr !== undefined) f.setCorrelation(corr);
    const tags = c.tags.get(o);
    if (tags !== undefined) f.tags = tags;
  }

  /**
   * Make the flows of run `id` if the cold index kept them in columns, until `deadline`
   * (performance.now()); true when they are made (or were not in columns). The caller yields
   * between calls: a run of ~300k flows is not made in one block of ~150 ms on first use.
   */
  /** Whether run `id`'s flows are still the cold index's columns (reading `run.flows` makes them at once; {@link makeFlows} in slices). */
  flowsInColumns(id: string): boolean {
    const run = this.byId.get(id);
    return run !== undefined && this.state.get(run)?.cold !== undefined;
  }

  makeFlows(id: string, deadline: number): boolean {
    const run = this.byId.get(id);
    const st = run && this.state.get(run);
    const c = st?.cold;
    if (run === undefined || st === undefined || c === undefined) return true;
    if (!this.makeColdObjects(run, st, c, deadline) || !this.linkCold(c, deadline)) return false;
    this.materializeCold(run, st); // the roots and the open flows
    return true;
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
    const t = new FlowTableWriter(slots);
    const seen = new Uint8Array(slots);
    /** Per slot: the flow object's children (runs whose flows are objects), for the second pass. */
    const objKids: (readonly FlowNode[] | undefined)[] = new Array<readonly FlowNode[] | undefined>(slots);
    /** Per slot: its ordinal + 1 in its run's columns (0: an object), and those runs' columns and string bases. */
    const coldOrd = new Int32Array(slots);
    const coldRuns: { c: ColdFlows; base: number }[] = [];
    const coldRunOf = new Int32Array(slots);
    // `pause`: the caller's yield every 4096 flows (the read state does not change meanwhile: the
    // load waits). Checked inline: an awaited call per flow costs a promise per flow.
    let k = 0;
    let runIndex = 0;
    for (const run of this.byId.values()) {
      if (!ids.has(run.id)) continue;
      this.materializeLazy(run);
      const st = this.state.get(run) as RunState;
      if (st.storage !== storage) return undefined;
      const c = st.cold;
      if (c !== undefined) {
        // Flows still in columns: written from them (no flow objects made; ids are the run's own
        // table in order, a parent is an ordinal, a correlation is kept as the text read).
        const x = c.int;
        markColdOpen(c, t.open);
        const base = t.strings.length;
        c.ids.appendTo(t.strings, c.n);
        const cr = coldRuns.push({ c, base }) - 1;
        // In chunks of SNAPSHOT_CHUNK flows, each a call of a small function: it is optimised
        // within a chunk or two (this whole function, compiled on stack replacement, took ~25 ms
        // of a one-shot CLI's ~80 ms snapshot to get there).
        for (let o = 0; o < c.n; o += SNAPSHOT_CHUNK) {
          if (pause) {
            const p = pause();
            if (p) await p;
          }
          if (!snapshotColdFlows(c, t, { seen, coldOrd, coldRunOf }, cr, base, runIndex, o, Math.min(c.n, o + SNAPSHOT_CHUNK))) return undefined;
        }
        runs.push(this.snapshotRun(run, st, c.roots.map((o) => x[o * CI])));
        runIndex++;
        continue;
      }
      for (const f of st.open) {
        const i = f.persistSlot;
        if (i >= 0 && i < slots) t.open[i] = 1;
      }
      for (const f of st.flows.values()) {
        if ((++k & 4095) === 0 && pause) {
          const p = pause();
          if (p) await p;
        }
        const i = f.persistSlot;
        if (i < 0 || i >= slots || seen[i] === 1) return undefined;
        seen[i] = 1;
        t.run[i] = runIndex;
        t.id[i] = t.str(f.id);
        t.name[i] = t.str(f.name);
        t.display[i] = t.str(f.persistDisplay);
        t.parent[i] = t.str(f.parentId);
        t.verdict[i] = verdictCode(f.verdict);
        t.corr[i] = t.correlation(f.correlation);
        t.tags[i] = t.tagList(f.tags.length === 0 ? undefined : f.tags);
        const kids = f.persistKids;
        objKids[i] = kids;
        t.kidsStart[i] = kids?.length ?? 0;
      }
      runs.push(this.snapshotRun(run, st, run.roots.map((f) => (f as StoredFlow).persistSlot)));
      runIndex++;
    }
    if (seen.indexOf(0) >= 0) return undefined;
    return snapshotKids(t, slots, coldOrd, coldRuns, coldRunOf, objKids) ? { runs, flows: t } : undefined;
  }

  /** One run's snapshot but its flows (snapshotRuns). */
  private snapshotRun(run: Run, st: RunState, roots: number[]): RunSnapshot {
    const plain = (m: Malformed[] | undefined): Malformed[] | undefined => m?.map((x) => ({ file: x.file, line: x.line, reason: x.reason }));
    const se = st.sessionEnd;
    return {
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
      roots,
      pending: [...st.pendingChildren].map(([parent, list]) => [parent, list.map((f) => f.persistSlot)]),
    };
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
      const flows = new FlowMap(undefined, batch.slots[ri].length, () => this.materializeRun(out[ri]));
      const roots: FlowNode[] = [];
      const run = newRun(p.id, p.dialect, [...p.sources], p.primarySource, [...p.tags], p.status, flows, roots, list, p.malformed, p.notes, p.counts);
      run.app = p.app;
      run.mode = p.mode;
      run.gitSha = p.gitSha;
      run.host = p.host;
      run.started = p.started;
      run.ended = p.ended;
      run.endedBy = p.endedBy;
      run.warnings = p.warnings;
      run.cap = p.cap;
      const st = newRunState(storage, list, flows, p.counts, r.limit, undefined);
      st.failures = r.failures;
      st.errors = r.errors;
      st.total = r.total;
      st.notKept = r.notKept;
      st.sessionEnd = r.sessionEnd;
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

  /** Make the flows of a run whose flows are columns or of a restored run (no-op for any other run). */
  private materializeRun(run: Run): void {
    const st = this.state.get(run);
    if (st?.cold !== undefined) this.materializeCold(run, st);
    this.materializeLazy(run);
  }

  /** Make the flows of a restored run (no-op for any other run). */
  private materializeLazy(run: Run): void {
    const lazy = this.lazyRuns.get(run);
    if (lazy === undefined) return;
    this.lazyRuns.delete(run);
    const { b, r } = lazy;
    const st = b.states[r];
    const c = (b.columns ??= b.snap.columns());
    const slots = b.slots[r];
    // The flows by slot (the batch's slot → its place in its run: `b.at`), and in `run.flows` order.
    const made = new Array<StoredFlow>(slots.length);
    const at = (b.at ??= placesOf(b.slots, b.snap.run.length));
    const byId = new FlowIds(slots.length);
    const list: StoredFlow[] = [];
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
      made[k] = f;
      // As Map.set would (a second flow of one id — only a forged cache — takes the first's place).
      const o = byId.find(f.id);
      if (o >= 0) list[o] = f;
      else list[byId.add(f.id)] = f;
      if (open) st.open.push(f);
    }
    // Slots were validated by the caller: each is a flow of this run (the batch's `run` column).
    const flowAt = (j: number): StoredFlow => made[at[j]];
    for (let k = 0; k < slots.length; k++) {
      const kids = c.kids[slots[k]];
      if (kids !== undefined) made[k].restoreChildren(kids.map(flowAt));
    }
    (st.flows as FlowMap).made(list, byId);
    const snapRun = b.snap.runs[r];
    const roots: FlowNode[] = snapRun.roots.map(flowAt);
    for (const [parent, kids] of snapRun.pending) st.pendingChildren.set(parent, kids.map(flowAt));
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
      this.materializeLazy(run);
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

/** Each flow slot's place among its run's flow slots. */
function placesOf(slots: readonly Int32Array[], n: number): Int32Array {
  const at = new Int32Array(n);
  for (const list of slots) for (let k = 0; k < list.length; k++) at[list[k]] = k;
  return at;
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
  /** Each flow slot's place among its run's (`slots[run][at[slot]] === slot`), made with the first run's flows. */
  at?: Int32Array;
  /** Runs of the batch whose flows are not made yet. */
  left: number;
  /** Open flows without a verdict per run, as restored: `running` ones, `orphaned` ones. */
  openRunning: Int32Array;
  openOrphaned: Int32Array;
}

/** The persisted runs of one source (RunBuilder.snapshotRuns; read back by restoreRuns). */
export interface RunsSnapshot {
  runs: RunSnapshot[];
  flows: FlowTable;
}

/**
 * Every flow of the persisted runs by flow slot, as the index cache writes them (persist.ts): one
 * Int32Array per field, strings as indices into `strings` (-1 = none), correlations as indices into
 * `correlations` (JSON texts), tags into `tagLists`, and the children of slot `i` at
 * `kids[kidsStart[i] .. kidsStart[i + 1])`.
 */
export type FlowTable = Omit<FlowTableWriter, 'str' | 'correlation' | 'tagList'>;

/**
 * Mark the open flows of the run in columns `c` in `open` (by slot). Its own function, as every
 * loop of snapshotRuns over flows: a long loop in that big async function had V8 compile all of it
 * on stack replacement (~60-80 ms of a compiler thread, on a one-shot CLI's two cores).
 */
function markColdOpen(c: ColdFlows, open: Uint8Array): void {
  const x = c.int;
  const slots = open.length;
  for (const o of c.open) {
    const i = x[o * CI];
    if (i >= 0 && i < slots) open[i] = 1;
  }
}

/** Flows of a run in columns written per call of {@link snapshotColdFlows}. */
const SNAPSHOT_CHUNK = 4096;

/**
 * Write flows `[from, to)` of the run in columns `c` (its flows' first string is `base`, its index
 * `runIndex`, its entry in coldRuns `cr`) into `t` (RunBuilder.snapshotRuns); false when a flow's
 * slot is out of range or taken twice (the snapshot cannot be made).
 */
function snapshotColdFlows(
  c: ColdFlows, t: FlowTableWriter, m: { seen: Uint8Array; coldOrd: Int32Array; coldRunOf: Int32Array }, cr: number, base: number, runIndex: number, from: number, to: number,
): boolean {
  const x = c.int;
  const { seen, coldOrd, coldRunOf } = m;
  const slots = seen.length;
  for (let o = from; o < to; o++) {
    const b = o * CI;
    const i = x[b];
    if (i < 0 || i >= slots || seen[i] === 1) return false;
    seen[i] = 1;
    t.run[i] = runIndex;
    t.id[i] = base + o;
    const name = t.str(c.names.get(o));
    t.name[i] = name;
    t.display[i] = c.named[o] === 1 ? name : -1;
    const p = x[b + 1];
    t.parent[i] = p >= 0 ? base + p : -1;
    t.verdict[i] = c.verdict[o];
    t.corr[i] = t.correlation(c.corr.get(o));
    t.tags[i] = t.tagList(c.tags.get(o));
    t.kidsStart[i] = x[b + 5];
    coldOrd[i] = o + 1;
    coldRunOf[i] = cr;
  }
  return true;
}

/**
 * The children of every slot (RunBuilder.snapshotRuns): the counts in `t.kidsStart` become
 * offsets, then each slot's list is filled, from its flow object or its run's columns. False when
 * a run's columns list fewer children than counted.
 */
function snapshotKids(
  t: FlowTableWriter, slots: number, coldOrd: Int32Array, coldRuns: readonly { c: ColdFlows }[], coldRunOf: Int32Array, objKids: readonly (readonly FlowNode[] | undefined)[],
): boolean {
  let total = 0;
  for (let i = 0; i < slots; i++) {
    const n = t.kidsStart[i];
    t.kidsStart[i] = total;
    total += n;
  }
  t.kidsStart[slots] = total;
  const kids = (t.kids = new Int32Array(total));
  for (let i = 0; i < slots; i++) {
    let at = t.kidsStart[i];
    const end = t.kidsStart[i + 1];
    if (at === end) continue;
    const o = coldOrd[i] - 1;
    if (o < 0) {
      for (const f of objKids[i] as readonly FlowNode[]) kids[at++] = (f as StoredFlow).persistSlot;
      continue;
    }
    const x = coldRuns[coldRunOf[i]].c.int;
    for (let j = x[o * CI + 2]; j >= 0 && at < end; j = x[j * CI + 4]) kids[at++] = x[j * CI];
    if (at !== end) return false;
  }
  return true;
}

/** Builds a {@link FlowTable} (RunBuilder.snapshotRuns): interns the strings, correlations and tag lists. */
class FlowTableWriter {
  run: Int32Array;
  id: Int32Array;
  name: Int32Array;
  display: Int32Array;
  parent: Int32Array;
  /** {@link VERDICT_CODES} index. */
  verdict: Uint8Array;
  /** 1 = in the run's list of open flows (`RunState.open`). */
  open: Uint8Array;
  corr: Int32Array;
  tags: Int32Array;
  kidsStart: Int32Array;
  kids = new Int32Array(0);
  strings: string[] = [];
  correlations: string[] = [];
  tagLists: (readonly string[])[] = [];
  private readonly strIndex = new Map<string, number>();
  private readonly corrIndex = new Map<Readonly<Record<string, unknown>> | string, number>();
  private readonly tagIndex = new Map<readonly string[], number>();

  constructor(n: number) {
    this.run = new Int32Array(n);
    this.id = new Int32Array(n);
    this.name = new Int32Array(n);
    this.display = new Int32Array(n);
    this.parent = new Int32Array(n);
    this.verdict = new Uint8Array(n);
    this.open = new Uint8Array(n);
    this.corr = new Int32Array(n);
    this.tags = new Int32Array(n);
    this.kidsStart = new Int32Array(n + 1);
  }

  str(v: string | undefined): number {
    if (v === undefined) return -1;
    let i = this.strIndex.get(v);
    if (i === undefined) {
      i = this.strings.push(v) - 1;
      this.strIndex.set(v, i);
    }
    return i;
  }

  /**
   * A flow's correlation (an object, or the JSON text of one as the cold index keeps it): -1 when
   * it has no key. A text is written as it is (JSON.parse of it is what the flow would read:
   * correlationOf) unless it may not be an object with keys — then it is parsed first.
   */
  correlation(co: Readonly<Record<string, unknown>> | string | undefined): number {
    if (co === undefined) return -1;
    let k = this.corrIndex.get(co);
    if (k !== undefined) return k;
    if (typeof co === 'string') {
      // `{"` first (as the index writes them, compact) is an object with a key; else the pattern.
      const keyed = (co.charCodeAt(0) === 0x7b && co.charCodeAt(1) === 0x22) || /^\s*\{\s*"/.test(co);
      k = keyed ? this.correlations.push(co) - 1 : this.correlation(correlationOf(co));
    } else k = isEmptyCorrelation(co) ? -1 : this.correlations.push(JSON.stringify(co)) - 1;
    this.corrIndex.set(co, k);
    return k;
  }

  tagList(t: readonly string[] | undefined): number {
    if (t === undefined) return -1;
    let k = this.tagIndex.get(t);
    if (k === undefined) this.tagIndex.set(t, (k = this.tagLists.push(t) - 1));
    return k;
  }
}

/** No own enumerable key (as Object.keys(o).length === 0, without the array). */
function isEmptyCorrelation(o: Readonly<Record<string, unknown>>): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return false;
  return true;
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


/** {@link VERDICT_CODES} of the verdicts an open flow has. */
const V_ORPHANED = 3;
const V_RUNNING = 4;

/**
 * Integers per flow in {@link ColdFlows.int}: the storage's flow slot, the parent's ordinal (-1 =
 * none), the first child's, the last child's, the next sibling's, and the number of children.
 */
const CI = 6;


/**
 * A column of values by ordinal in fixed chunks of {@link CHUNK} (a run's flow names,
 * correlations, tags): it grows by a chunk, never by copying — a JS array of ~300k entries grows
 * by copying its whole backing store, and three of them growing together held the thread 10-20 ms.
 */
export class Chunked<T> {
  // Both made in V8's "any value" element kind from the start: `[]` and `Array(n)` begin as small
  // integers and change hidden class at their first store — for the chunk list, at each run's first
  // flow, and for a chunk, every 4,096 flows — which threw away the merge's optimised code.
  private readonly chunks: T[][] = ([undefined] as unknown as T[][]).slice(0, 0);
  length = 0;

  get(o: number): T {
    return this.chunks[o >>> CHUNK_BITS][o & CHUNK_MASK];
  }

  set(o: number, v: T): void {
    this.chunks[o >>> CHUNK_BITS][o & CHUNK_MASK] = v;
  }

  *values(): Generator<T> {
    for (let o = 0; o < this.length; o++) yield this.get(o);
  }

  /** Append entries `[0, n)` to `out` (a chunk at a time). */
  appendTo(out: T[], n = this.length): void {
    for (let k = 0; k * CHUNK < n; k++) {
      const c = this.chunks[k];
      const end = Math.min(CHUNK, n - k * CHUNK);
      for (let j = 0; j < end; j++) out.push(c[j]);
    }
  }

  push(v: T): void {
    const o = this.length++;
    const k = o >>> CHUNK_BITS;
    if (k === this.chunks.length) this.chunks.push(new Array<T>(CHUNK).fill(undefined as T));
    this.chunks[k][o & CHUNK_MASK] = v;
  }
}

const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
/**
 * A run's flows while the cold index makes them (issue 15): columns by the flow's ordinal in the
 * run (the order they were made), no object per flow, no children arrays. The flows are made from
 * them on first use (RunBuilder.materializeCold); `byId` then stays the run's id → flow index
 * (ColdFlowMap). Only the common shapes are kept here: a child whose parent is not made yet, or a
 * parent given after a flow's first event, makes the run's flows first.
 */
class ColdFlows {
  n = 0;
  /** Flow id → ordinal (`byId.ids[o]`: the id of ordinal `o`). */
  readonly byId = new FlowIds();
  readonly ids = this.byId.ids;
  readonly names = new Chunked<string | undefined>();
  /** The correlation, or its JSON text while it is one event's (or one text's). */
  readonly corr = new Chunked<Readonly<Record<string, unknown>> | string | undefined>();
  readonly tags = new Chunked<readonly string[] | undefined>();
  int = new Int32Array(CI * 256);
  /** {@link VERDICT_CODES} index per ordinal. */
  verdict = new Uint8Array(256);
  /** 1: named after its first event (its display name is its name). */
  named = new Uint8Array(256);
  /** Ordinals of the root flows, in order. */
  readonly roots: number[] = [];
  /** Ordinals of the flows made without a verdict, in order (RunState.open). */
  open: number[] = [];
  /** Flow objects made so far (ordinals below `madeN`; RunBuilder.makeFlows, in slices). */
  made: StoredFlow[] | undefined;
  madeN = 0;
  /** Parent → child links made (a new child flow); the children of objects are set for ordinals below `linkedN` as of `linkedFor` links. */
  links = 0;
  linkedN = 0;
  linkedFor = -1;

  /** A new flow (a root when `parent` is -1, else its parent's last child); returns its ordinal. */
  /** Make room for `cap` flows. */
  reserve(cap: number): void {
    if (cap <= this.verdict.length) return;
    const int = new Int32Array(CI * cap);
    int.set(this.int);
    this.int = int;
    const v = new Uint8Array(cap);
    v.set(this.verdict);
    this.verdict = v;
    const nd = new Uint8Array(cap);
    nd.set(this.named);
    this.named = nd;
  }

  add(id: string, name: string | undefined, slot: number, verdict: number, parent: number): number {
    const o = this.byId.add(id);
    this.n++;
    if (o === this.verdict.length) this.reserve(o * 2);
    this.names.push(name);
    this.corr.push(undefined);
    this.tags.push(undefined);
    const x = this.int;
    const b = o * CI;
    x[b] = slot;
    x[b + 1] = parent;
    x[b + 2] = -1;
    x[b + 3] = -1;
    x[b + 4] = -1;
    x[b + 5] = 0;
    this.verdict[o] = verdict;
    if (parent < 0) this.roots.push(o);
    else {
      this.links++;
      const pb = parent * CI;
      const last = x[pb + 3];
      if (last < 0) x[pb + 2] = o;
      else x[last * CI + 4] = o;
      x[pb + 3] = o;
      x[pb + 5]++;
    }
    this.open.push(o);
    return o;
  }
}

/**
 * One flow of a run in columns as {@link FlowFacts}: ordinal `o`, read from the columns and the
 * storage's flow slot as the flow object made from them would read it (StoredFlow).
 */
class ColdCursor implements FlowFacts {
  o = 0;

  constructor(
    private readonly c: ColdFlows,
    private readonly storage: EventStorage,
    readonly runId: string,
  ) {}

  get id(): string {
    return this.c.ids.get(this.o);
  }

  get name(): string | undefined {
    return this.c.names.get(this.o);
  }

  get displayName(): string {
    return this.c.names.get(this.o) ?? shortFlowId(this.c.ids.get(this.o));
  }

  get verdict(): Verdict {
    return VERDICT_CODES[this.c.verdict[this.o]];
  }

  get started(): number | undefined {
    return this.storage.time(this.c.int[this.o * CI], 0);
  }

  /** The flow's events, in order (a new list per read: read once per flow). */
  get events(): EventSeq {
    return flowEventList(this.storage, this.c.int[this.o * CI], this.runId);
  }

  get durationMs(): number | undefined {
    return this.storage.time(this.c.int[this.o * CI], 2);
  }

  get ended(): number | undefined {
    return this.storage.time(this.c.int[this.o * CI], 1);
  }

  get verdictEvent(): TraceEvent | undefined {
    const ref = this.storage.flowVerdictRef(this.c.int[this.o * CI]);
    return ref < 0 ? undefined : this.storage.event(ref, this.runId);
  }

  get verdictClass(): string | null | undefined {
    return this.storage.flowVerdictClass(this.c.int[this.o * CI]);
  }

  keep(): FlowFacts {
    const k = new ColdCursor(this.c, this.storage, this.runId);
    k.o = this.o;
    return k;
  }
}

/**
 * Flow id → ordinal (the order the flows were made) of one run's flows in columns: an
 * open-addressing table of (hash, ordinal + 1) pairs in an Int32Array, off the JS heap — a new
 * flow costs one probe of one cache line, where a Map of ~300k flows costs a cold miss and then a
 * set. The hash is seeded per table; should ids still crowd one probe sequence (hostile input),
 * the table gives way to a Map.
 *
 * Growing moves the entries into the twice-as-large table a few at a time (each add moves
 * {@link MOVE_PER_ADD} slots; a lookup meanwhile tries the new table, then the old one; `settle`
 * moves the rest when the index is done with the table): moved in one go, the last growth of a ~300k-flow run held the extension host's thread 18–31 ms, the
 * longest blocks of a 1M-line index.
 */
export class FlowIds {
  /** Ids by ordinal. */
  readonly ids = new Chunked<string>();
  private t: Int32Array;
  private mask: number;
  /** The table before the last growth while its entries are being moved (undefined: none left). */
  private old: Int32Array | undefined;
  private oldMask = 0;
  /** Slots of `old` moved so far (in order). */
  private moved = 0;
  /** The fallback once a probe ran too long. */
  private map: Map<string, number> | undefined;

  /**
   * `expected`: ids to make room for (the table stays at most half full); `seed`: the hash's (tests
   * give one; else random).
   */
  constructor(
    expected = 0,
    private readonly seed = (Math.random() * 0x100000000) | 0,
  ) {
    let cap = 1024;
    while (cap < 2 * expected) cap *= 2;
    this.t = new Int32Array(2 * cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Whether the table gave way to a Map (a probe ran too long). */
  get crowded(): boolean {
    return this.map !== undefined;
  }

  /** Whether entries of the previous table are still being moved (tests). */
  get growing(): boolean {
    return this.old !== undefined;
  }

  /** The hash of `id` in a table seeded `seed`. */
  static hashOf(seed: number, id: string): number {
    let h = seed ^ id.length;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 12);
  }

  private hash(id: string): number {
    return FlowIds.hashOf(this.seed, id);
  }

  /** The ordinal of `id`, or -1. */
  find(id: string): number {
    if (this.map !== undefined) return this.map.get(id) ?? -1;
    const h = this.hash(id);
    let o = this.probe(this.t, this.mask, h, id);
    if (o === -1 && this.old !== undefined) o = this.probe(this.old, this.oldMask, h, id);
    if (o !== -2) return o;
    this.toMap();
    return this.map ? this.find(id) : -1;
  }

  /** The ordinal of `id` (hash `h`) in table `t`: -1 when absent, -2 when a probe ran too long. */
  private probe(t: Int32Array, mask: number, h: number, id: string): number {
    for (let i = h & mask, k = 0; ; i = (i + 1) & mask) {
      const o = t[2 * i + 1];
      if (o === 0) return -1;
      if (t[2 * i] === h && this.ids.get(o - 1) === id) return o - 1;
      if (++k > PROBE_LIMIT) return -2;
    }
  }

  /** Add `id` (not present); returns its ordinal. */
  add(id: string): number {
    const o = this.ids.length;
    this.ids.push(id);
    if (this.map !== undefined) {
      this.map.set(id, o);
      return o;
    }
    if (this.old !== undefined && !this.move(MOVE_PER_ADD)) return o;
    if (2 * this.ids.length > this.mask) this.grow();
    if (this.map === undefined && !this.put(this.hash(id), o + 1)) this.toMap();
    return o;
  }

  private put(h: number, v: number): boolean {
    const t = this.t;
    const mask = this.mask;
    for (let i = h & mask, k = 0; ; i = (i + 1) & mask) {
      if (t[2 * i + 1] === 0) {
        t[2 * i] = h;
        t[2 * i + 1] = v;
        return true;
      }
      if (++k > PROBE_LIMIT) return false;
    }
  }

  /** Start a table twice the size; the entries move over as ids are added ({@link move}). */
  private grow(): void {
    // Moving MOVE_PER_ADD (≥ 2) slots per add empties the old table long before the new one is
    // half full; should it not have (it cannot), the rest moves now.
    if (this.old !== undefined && !this.move(Infinity)) return;
    this.old = this.t;
    this.oldMask = this.mask;
    this.moved = 0;
    this.mask = this.mask * 2 + 1;
    this.t = new Int32Array(2 * (this.mask + 1));
  }

  /** Move up to `n` slots of the old table into the new one; false when the table gave way to a Map. */
  private move(n: number): boolean {
    const old = this.old as Int32Array;
    const slots = old.length >> 1;
    const end = Math.min(slots, this.moved + n);
    for (let i = this.moved; i < end; i++) {
      if (old[2 * i + 1] !== 0 && !this.put(old[2 * i], old[2 * i + 1])) {
        this.toMap();
        return false;
      }
    }
    this.moved = end;
    if (end === slots) this.old = undefined;
    return true;
  }

  /** Move what is left of a growth now (the cold index is done adding: the old table goes). */
  settle(): void {
    if (this.old !== undefined && this.map === undefined) this.move(Infinity);
  }

  private toMap(): void {
    const m = new Map<string, number>();
    for (let o = 0; o < this.ids.length; o++) m.set(this.ids.get(o), o);
    this.map = m;
    this.t = new Int32Array(0);
    this.old = undefined;
  }
}

/** Slots of a {@link FlowIds} table's previous table moved per add while it grows. */
const MOVE_PER_ADD = 32;

/** Longest probe sequence of a {@link FlowIds} table before it gives way to a Map. */
const PROBE_LIMIT = 64;

/**
 * `run.flows` of a run whose flows are made on first use: one the cold index kept in columns
 * ({@link ColdFlows}) or a restored one (RunBuilder.restoreRuns). Before they are made, `size`
 * (and for columns `has`) answer without them; any other use makes them first (`make`). Then it is
 * keyed by an id table over the array of flows (no map of every flow); `delete`/`clear` turn it
 * into a plain Map.
 */
class FlowMap extends Map<string, StoredFlow> {
  /** The flows in order, once made (undefined before, and once a plain Map). */
  private flows: StoredFlow[] | undefined;
  private plain = false;

  constructor(
    /** Their ids (the columns' table; a restored run's once made). */
    private byId: FlowIds | undefined,
    /** How many there are before they are made and without `byId`. */
    private readonly known: number,
    private make: (() => void) | undefined,
  ) {
    super();
  }

  /** The flows were made: `flows[o]` is the flow of id `byId.ids[o]`. */
  made(flows: StoredFlow[], byId: FlowIds): void {
    this.flows = flows;
    this.byId = byId;
    this.make = undefined;
  }

  /** The flows (made now if not yet), or undefined when a plain Map. */
  private ready(): StoredFlow[] | undefined {
    if (this.plain) return undefined;
    if (this.flows === undefined) {
      const m = this.make;
      this.make = undefined;
      m?.();
      if (this.flows === undefined) this.plain = true;
    }
    return this.flows;
  }

  private toPlain(): void {
    const flows = this.ready();
    const ids = this.byId;
    if (flows === undefined || ids === undefined) return;
    this.plain = true;
    this.flows = undefined;
    this.byId = undefined;
    for (let i = 0; i < flows.length; i++) super.set(ids.ids.get(i), flows[i]);
  }

  override get size(): number {
    if (this.plain) return super.size;
    return this.byId !== undefined ? this.byId.size : this.known;
  }

  override has(k: string): boolean {
    if (this.byId === undefined && this.ready() === undefined) return super.has(k);
    return (this.byId as FlowIds).find(k) >= 0;
  }

  override get(k: string): StoredFlow | undefined {
    const flows = this.ready();
    if (flows === undefined) return super.get(k);
    const i = (this.byId as FlowIds).find(k);
    return i < 0 ? undefined : flows[i];
  }

  override set(k: string, v: StoredFlow): this {
    const flows = this.ready();
    if (flows === undefined) return super.set(k, v);
    const ids = this.byId as FlowIds;
    const i = ids.find(k);
    if (i >= 0) flows[i] = v;
    else flows[ids.add(k)] = v;
    return this;
  }

  override delete(k: string): boolean {
    this.toPlain();
    return super.delete(k);
  }

  override clear(): void {
    this.toPlain();
    super.clear();
  }

  override forEach(fn: (v: StoredFlow, k: string, m: Map<string, StoredFlow>) => void, thisArg?: unknown): void {
    const flows = this.ready();
    if (flows === undefined) return super.forEach(fn, thisArg);
    const ids = (this.byId as FlowIds).ids;
    for (let i = 0; i < flows.length; i++) fn.call(thisArg, flows[i], ids.get(i), this);
  }

  override keys(): MapIterator<string> {
    const flows = this.ready();
    return flows === undefined ? super.keys() : ((this.byId as FlowIds).ids.values() as unknown as MapIterator<string>);
  }

  override values(): MapIterator<StoredFlow> {
    const flows = this.ready();
    return flows === undefined ? super.values() : (flows.values() as unknown as MapIterator<StoredFlow>);
  }

  override entries(): MapIterator<[string, StoredFlow]> {
    const flows = this.ready();
    if (flows === undefined) return super.entries();
    const ids = (this.byId as FlowIds).ids;
    function* pairs(list: StoredFlow[]): Generator<[string, StoredFlow]> {
      for (let i = 0; i < list.length; i++) yield [ids.get(i), list[i]];
    }
    return pairs(flows) as unknown as MapIterator<[string, StoredFlow]>;
  }

  override [Symbol.iterator](): MapIterator<[string, StoredFlow]> {
    return this.entries();
  }
}
