/**
 * Incremental run/flow model builder (formats.md §1b "Semantics").
 *
 * `add(event)` updates runs, flows, steps and verdicts in place — a live tail appends a batch of
 * lines and only the touched runs/flows change. `finish()` decides what depends on the clock and
 * on the file system (running vs crashed vs ended, running vs orphaned flows); `takeChanges()`
 * tells views which runs and flows to refresh.
 */
import { EventStore, LazyFlowNode, LazyRun, NO_CHILDREN, countInto, shortFlowId, type EventItem } from '../read/index/lazy';
import { FlowNode, Malformed, Run, RunStatus, TraceEvent, VERDICT_TYPES, Verdict } from './types';
import type { EventCounts } from '../analyze/rollup';
import { emptyEventCounts, setOwn } from './bounded';
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
    /** Interned key of `tags` (the index's), to skip merging a tag set already merged. */
    tagsKey?: number;
  };

const SHARED_TAGS = 1;
const SHARED_CORRELATION = 2;

/** Default live window: a run without an end whose source changed this recently is `running`. */
export const DEFAULT_LIVE_WINDOW_MS = 10 * 60 * 1000;

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
  lastTs?: number;
  /** failure + exception events seen. */
  failures: number;
  /** esper events with severity error/critical. */
  errors: number;
  total: number;
  open: Set<FlowNode>;
  pendingChildren: Map<string, FlowNode[]>;
  /** Events this run may hold in `events`: the cap, 0 once summarised. */
  limit: number;
  /** Events read and not held (beyond `limit`, or released by summarising). */
  notKept: number;
}

/**
 * Append `child` to `parent.children`. Small lists are replaced by an exact-size copy (a pushed-to
 * array reserves room for 17), so the ~150k parents of a big trace with 1–3 children stay small;
 * the shared empty list of an indexed flow is never written to.
 */
function addChild(parent: FlowNode, child: FlowNode): void {
  const c = parent.children;
  if (c === NO_CHILDREN || c.length < 4) parent.children = c.length === 0 ? [child] : [...c, child];
  else c.push(child);
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
  private lastFlow?: FlowNode;
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
  add(event: TraceEvent, runId?: string, source?: string, store?: EventStore): Run {
    return this.addItem(event, event, runId ?? event.runId ?? '(no run id)', source ?? event.src.file, store);
  }

  /**
   * Add one event known by its fields and its record in `store` (the parallel index): the run is
   * a {@link LazyRun} whose events are parsed from the file when read. Same semantics as `add`.
   */
  addIndexed(fields: EventFields, ref: number, store: EventStore, runId: string, source: string): Run {
    return this.addItem(fields, ref, runId, source, store);
  }

  private addItem(event: EventFields, item: EventItem, id: string, source: string, store: EventStore | undefined): Run {
    const last = this.lastRun;
    const run = last !== undefined && last.id === id ? last : this.ensureRun(id, event.dialect, source, store);
    const lazy = run instanceof LazyRun;
    if (!lazy && typeof item === 'number') {
      // An indexed event for a run built from objects (another source made it): parse it now.
      const full = (store as EventStore).get(item, id);
      item = full;
      event = full;
    }
    let st = this.lastState as RunState;
    if (run !== last) {
      st = this.state.get(run) as RunState;
      this.lastRun = run;
      this.lastState = st;
      this.changes.runs.add(id);
    }
    st.total++;
    const ts = event.ts;
    if (ts !== undefined) {
      if (run.started === undefined) run.started = ts;
      if (st.lastTs === undefined || ts > st.lastTs) st.lastTs = ts;
    } else if ((event as Partial<TraceEvent>).tsRaw !== undefined) this.checkTimestamp(run, event as TraceEvent);
    const stored = (lazy ? run.items.length : run.events.length) < st.limit;
    if (stored) {
      if (lazy) run.items.push(item);
      else run.events.push(item as TraceEvent);
    } else if (st.notKept++ === 0 || !lazy) this.notKept(run, event, lazy);
    // An indexed run counts every event, held or not (plain runs count in notKept once capped).
    if (lazy) countInto(run.counts, event.type, event.severity, event.failureClass);

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
    this.addToFlow(run, st, flowId, event, item, stored);
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
    const text = `${why}: ${n} line${n === 1 ? '' : 's'} kept without a time (first: ${first.file}:${first.line})`;
    const i = run.notes.findIndex((x) => x.startsWith(`${why}: `));
    if (i >= 0) run.notes[i] = text;
    else run.notes.push(text);
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

  /** Add a note to a run unless it is already there. */
  note(runId: string, text: string): void {
    const run = this.byId.get(runId);
    if (!run || run.notes.includes(text)) return;
    run.notes.push(text);
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
    this.lastRun = this.lastState = this.lastFlow = undefined;
    if (this.changes.added.has(id)) this.changes.added.delete(id);
    else this.changes.removed.add(id);
    this.changes.runs.delete(id);
    for (const f of run.flows.values()) this.changes.flows.delete(f);
    return true;
  }

  /**
   * Settle statuses that depend on time and files: a run without `session_end` is `running` when
   * its source changed within the live window, else `crashed` (0.1 runs with `summary.md` ended;
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
        const mtime = opts.mtimeOf?.(run);
        const live = mtime !== undefined && opts.now - mtime <= window;
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
        const ended = status === 'running' ? undefined : st.lastTs;
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

  /** Events a run holds in `events` now. */
  storedEvents(run: Run): number {
    return run instanceof LazyRun ? run.items.length : run.events.length;
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
    const st = this.state.get(run) as RunState;
    const released = this.storedEvents(run);
    if (!(run instanceof LazyRun) && run.counts === undefined) run.counts = countAll(run.events);
    st.limit = 0;
    st.notKept += released;
    run.events = [];
    for (const f of run.flows.values()) {
      if (f instanceof LazyFlowNode) f.release();
      else {
        f.events = [];
        f.steps = [];
      }
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
    this.lastRun = this.lastState = this.lastFlow = undefined;
    this.changes = { runs: new Set(), flows: new Set(), added: new Set(), removed: new Set() };
  }

  /** Changes since the previous call (and reset). */
  takeChanges(): BuilderChanges {
    const c = this.peekChanges();
    this.lastRun = this.lastState = this.lastFlow = undefined;
    this.changes = { runs: new Set(), flows: new Set(), added: new Set(), removed: new Set() };
    return c;
  }

  private ensureRun(id: string, dialect: Run['dialect'], source: string, store?: EventStore): Run {
    let run = this.byId.get(id);
    if (run) return run;
    run = store ? new LazyRun(id, dialect, source, store) : {
      id,
      dialect,
      sources: [source],
      primarySource: source,
      tags: [],
      status: 'running',
      flows: new Map(),
      roots: [],
      events: [],
      malformed: [],
      notes: [],
    };
    this.byId.set(id, run);
    this.state.set(run, { failures: 0, errors: 0, total: 0, open: new Set(), pendingChildren: new Map(), limit: this.cap, notKept: 0 });
    // Removed and re-created in one batch (a source was reset): report it as changed.
    if (!this.changes.removed.delete(id)) this.changes.added.add(id);
    return run;
  }

  private endedStatus(run: Run, st: RunState): RunStatus {
    const raw = st.sessionEnd?.status;
    const mapped = mapSessionStatus(raw);
    if (mapped && mapped !== 'running') return mapped;
    const fallback: RunStatus = st.failures > 0 ? 'failed' : 'ok';
    const text = `session_end status ${JSON.stringify(raw ?? null)} not recognised; shown as ${fallback}`;
    if (!run.notes.some((n) => n.startsWith('session_end status '))) run.notes.push(text);
    return fallback;
  }

  private applyStatus(run: Run, st: RunState, status: RunStatus): void {
    if (run.status !== status) {
      run.status = status;
      this.changes.runs.add(run.id);
    }
    const openVerdict: Verdict = status === 'running' ? 'running' : 'orphaned';
    for (const flow of st.open) {
      if (flow.verdict !== openVerdict) {
        flow.verdict = openVerdict;
        this.flowChanged(flow);
        this.changes.runs.add(run.id);
      }
    }
  }

  private addToFlow(run: Run, st: RunState, flowId: string, event: EventFields, item: EventItem, stored: boolean): void {
    const lf = this.lastFlow;
    let flow = lf !== undefined && lf.id === flowId && lf.runId === run.id ? lf : run.flows.get(flowId);
    const isNew = !flow;
    if (!flow) {
      const verdict: Verdict = st.sessionEnd || run.status !== 'running' ? 'orphaned' : 'running';
      flow = run instanceof LazyRun ? new LazyFlowNode(run.store, flowId, event.flow, run.id, verdict) : {
        id: flowId,
        name: event.flow,
        displayName: event.flow ?? shortId(flowId),
        runId: run.id,
        children: [],
        events: [],
        steps: [],
        verdict,
        correlation: {},
        tags: [],
      };
      run.flows.set(flowId, flow);
      st.open.add(flow);
      const parentId = event.parentFlowId !== flowId ? event.parentFlowId : undefined;
      const parent = parentId !== undefined ? run.flows.get(parentId) : undefined;
      if (parent) {
        // The common case (parent started first): append without touching `roots`.
        flow.parentId = parentId;
        addChild(parent, flow);
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
        for (const child of waiting) this.attach(run, flow, child);
      }
    }
    if (flow.parentId === undefined && event.parentFlowId !== undefined && event.parentFlowId !== flowId) {
      flow.parentId = event.parentFlowId;
      const parent = run.flows.get(event.parentFlowId);
      if (parent) this.attach(run, parent, flow);
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
    if (flow.started === undefined && event.ts !== undefined) flow.started = event.ts;
    const lazyFlow = flow instanceof LazyFlowNode ? flow : undefined;
    if (event.correlation) {
      if (lazyFlow && isNew && typeof item === 'number') {
        // Indexed: the first correlation is shared with other flows (interned) until it changes.
        flow.correlation = event.correlation;
        lazyFlow.shared |= SHARED_CORRELATION;
      } else {
        for (const [k, v] of Object.entries(event.correlation)) {
          if (Object.prototype.hasOwnProperty.call(flow.correlation, k)) continue;
          if (lazyFlow && lazyFlow.shared & SHARED_CORRELATION) {
            flow.correlation = { ...flow.correlation };
            lazyFlow.shared &= ~SHARED_CORRELATION;
          }
          setOwn(flow.correlation, k, v);
        }
      }
    }
    if (lazyFlow) {
      if (event.tagsKey === undefined || lazyFlow.lastTags !== event.tagsKey) {
        if (event.tagsKey !== undefined && lazyFlow.lastTags === -1 && flow.tags.length === 0) {
          // Indexed: tag sets are interned; share the first until another one adds a tag.
          flow.tags = event.tags;
          lazyFlow.shared |= SHARED_TAGS;
        } else {
          for (const t of event.tags) {
            if (flow.tags.includes(t)) continue;
            if (lazyFlow.shared & SHARED_TAGS) {
              flow.tags = [...flow.tags];
              lazyFlow.shared &= ~SHARED_TAGS;
            }
            flow.tags.push(t);
          }
        }
        if (event.tagsKey !== undefined) lazyFlow.lastTags = event.tagsKey;
      }
    } else for (const t of event.tags) if (!flow.tags.includes(t)) flow.tags.push(t);

    const isVerdict = VERDICT_TYPES.has(event.type);
    if (lazyFlow) {
      if (stored || isNew || isVerdict) lazyFlow.push(item);
    } else if (stored || isNew || isVerdict) {
      const event = item as TraceEvent;
      flow.events.push(event);
      const stepName = event.step ?? '';
      const last = flow.steps[flow.steps.length - 1];
      if (last && last.name === stepName) last.events.push(event);
      else flow.steps.push({ name: stepName, events: [event] });
    }
    if (isVerdict) {
      // The last verdict wins (a retried flow may fail, then succeed).
      flow.verdict = verdictOf(event.type);
      if (lazyFlow) lazyFlow.setVerdictItem(item);
      else flow.verdictEvent = item as TraceEvent;
      flow.ended = event.ts;
      flow.durationMs =
        event.durationMs ?? (event.ts !== undefined && flow.started !== undefined ? event.ts - flow.started : undefined);
      st.open.delete(flow);
    }
    this.flowChanged(flow);
    this.lastFlow = flow;
  }

  /** Make `child` a child of `parent` (and no longer a root); refuses to create a cycle. */
  private attach(run: Run, parent: FlowNode, child: FlowNode): void {
    const seen = new Set<FlowNode>();
    for (let p: FlowNode | undefined = parent; p && !seen.has(p); p = p.parentId ? run.flows.get(p.parentId) : undefined) {
      if (p === child) return;
      seen.add(p);
    }
    if (!parent.children.includes(child)) addChild(parent, child);
    const i = run.roots.indexOf(child);
    if (i >= 0) run.roots.splice(i, 1);
    this.flowChanged(parent);
  }

  /**
   * An event beyond the run's limit: called for the first one (the run becomes capped; a plain
   * run starts keeping counts) and for every one of a plain run (counted here; indexed runs count
   * every event in addItem). No note is written per event: {@link settleCaps} does it in a batch.
   */
  private notKept(run: Run, event: EventFields, lazy: boolean): void {
    if (lazy) {
      this.capped.add(run);
      return;
    }
    let c = run.counts;
    if (c === undefined) {
      // Every earlier event is held (this is the first one beyond the limit).
      this.capped.add(run);
      c = run.counts = countAll(run.events);
    }
    countInto(c, event.type, event.severity, event.failureClass);
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
    const text = capNote(run.cap);
    const i = run.notes.findIndex((n) => n.startsWith('summarised: ') || n.startsWith('capped: '));
    if (i >= 0) run.notes[i] = text;
    else run.notes.push(text);
    this.changes.runs.add(run.id);
  }
}

/** Located warnings listed per run (more are counted in the run's note). */
const MAX_WARNINGS_PER_RUN = 1000;

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** The run note for a {@link Run.cap}. */
export function capNote(c: NonNullable<Run['cap']>): string {
  const setting = `${CAP_SETTING} = ${fmt(c.limit)}`;
  return c.mode === 'summarised'
    ? `summarised: ${fmt(c.notKept)} event${c.notKept === 1 ? '' : 's'} not kept in memory (${setting}); flows, verdicts and counts are kept — open the trace file for the events`
    : `capped: the first ${fmt(c.kept)} of ${fmt(c.total)} events are kept in memory, ${fmt(c.notKept)} not (${setting}); flows keep their verdicts and counts cover every event — open the trace file for the rest`;
}

function countAll(events: readonly TraceEvent[]): EventCounts {
  const c: EventCounts = emptyEventCounts();
  for (const e of events) countInto(c, e.type, e.severity, e.failureClass);
  return c;
}
