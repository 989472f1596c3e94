/**
 * Rollups over runs: per flow name (outcomes, success rate, duration percentiles, SLA, failure
 * classes, first/last failure), event counts (type, severity, failure class, domain), latency
 * histograms on ra.yaml `latency_buckets_ms`, and run-to-run trends. Pulse rollups live in
 * `pulse.ts` (re-exported here).
 *
 * Batch rollups use exact nearest-rank percentiles (`stats.ts`). For the live path,
 * {@link FlowRollupAccumulator} absorbs settled flows one at a time with the bounded-error
 * sketch of {@link FlowStatsAccumulator}. Output is camelCase; the CLI maps it to snake_case.
 * Pure: no I/O, never throws on odd input.
 */
import { slaFor, DEFAULT_LATENCY_BUCKETS_MS, type Catalog } from '../read/catalog';
import { failureDomain, type EventCounts, type FlowNode, type Run, type TraceEvent } from '../model/types';
import { indexedEventCounts } from '../read/index/lazy';
import { bump, emptyEventCounts, record } from '../model/bounded';
import { bucketIndex, FlowStatsAccumulator, latencyHistogram, summarizeDurations, type HistogramBucket } from './stats';

export { pulseRollup, type PulseRollup } from '../model/pulse';

/** Rollup key of flows without a name (flowscribe 0.1 flows whose name was not recovered). */
export const UNNAMED_FLOW = '(unnamed)';

/** The rollup key of a flow: its name, else {@link UNNAMED_FLOW}. */
export function flowRollupName(flow: FlowNode): string {
  return flow.name ?? UNNAMED_FLOW;
}

/** A failed or exception flow instance, for "first/last failure". */
export interface FailureRef {
  runId: string;
  flowId: string;
  flow: string;
  verdict: 'failed' | 'exception';
  failureClass?: string;
  reason?: string;
  /** Source file and 1-based line as written in the verdict event. */
  file?: string;
  line?: number;
  /** Verdict time, epoch ms. */
  ts?: number;
}

/** Everything known about one flow name over a set of runs. */
export interface FlowRollup {
  flow: string;
  instances: number;
  succeeded: number;
  failed: number;
  exceptions: number;
  orphaned: number;
  running: number;
  /** succeeded ÷ (succeeded + failed + exceptions); undefined when that is 0. */
  successRate?: number;
  /** Number of instances with a duration (the percentiles' n). */
  durationCount: number;
  /** Nearest-rank percentiles of the instances' `durationMs`. */
  p50Ms?: number;
  p95Ms?: number;
  maxMs?: number;
  /** {@link slaFor}: ra.yaml `sla_overrides`, else flows.yaml `sla.p95_ms`. */
  slaP95Ms?: number;
  /** p95Ms > slaP95Ms (false when either is unknown). */
  slaBreached: boolean;
  /** Failure class → count, over failed and exception instances that give one. */
  failureClasses: Record<string, number>;
  /** Failed/exception instances without a failure class. */
  unclassifiedFailures: number;
  firstFailure?: FailureRef;
  lastFailure?: FailureRef;
  /** Durations in the latency buckets. */
  histogram: HistogramBucket[];
  /** True when percentiles come from the bounded-error sketch (live path), not exact ranks. */
  approximate?: boolean;
}

/** Options for the run rollups. */
export interface RollupOptions {
  /** For SLAs and the default latency buckets. */
  catalog?: Catalog;
  /** Histogram bounds; default the catalog's `latencyBucketsMs`, else the ra.yaml defaults. */
  bucketsMs?: readonly number[];
}

function bucketsOf(opts: RollupOptions): readonly number[] {
  return opts.bucketsMs ?? opts.catalog?.ra.latencyBucketsMs ?? DEFAULT_LATENCY_BUCKETS_MS;
}

function failureRef(flow: FlowNode, name: string): FailureRef | undefined {
  if (flow.verdict !== 'failed' && flow.verdict !== 'exception') return undefined;
  const e: TraceEvent | undefined = flow.verdictEvent;
  return {
    runId: flow.runId,
    flowId: flow.id,
    flow: name,
    verdict: flow.verdict,
    failureClass: e?.failureClass,
    reason: e?.reason ?? e?.exception?.message,
    file: e?.file,
    line: e?.line,
    ts: e?.ts ?? flow.ended,
  };
}

/** Runs in time order: by `started` (runs without a start last), then id. */
export function runsInTimeOrder(runs: readonly Run[]): Run[] {
  return [...runs].sort((a, b) => {
    const sa = a.started ?? Infinity;
    const sb = b.started ?? Infinity;
    return sa !== sb ? (sa < sb ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** Per-name working state shared by the batch and incremental rollups. */
class FlowTally {
  instances = 0;
  succeeded = 0;
  failed = 0;
  exceptions = 0;
  orphaned = 0;
  running = 0;
  /** By class (null-prototype: class names are trace data). */
  failureClasses: Record<string, number> = record();
  unclassified = 0;
  first?: FailureRef;
  last?: FailureRef;

  constructor(readonly name: string) {}

  /** Count one instance. */
  add(flow: FlowNode): void {
    this.instances++;
    switch (flow.verdict) {
      case 'succeeded':
        this.succeeded++;
        break;
      case 'failed':
        this.failed++;
        break;
      case 'exception':
        this.exceptions++;
        break;
      case 'orphaned':
        this.orphaned++;
        break;
      case 'running':
        this.running++;
        break;
    }
    const ref = failureRef(flow, this.name);
    if (!ref) return;
    if (ref.failureClass) bump(this.failureClasses, ref.failureClass);
    else this.unclassified++;
    // Ordered by verdict time; equal times keep input order. A failure without a time never
    // displaces a timed one, and among untimed ones input order decides.
    const f = this.first;
    if (!f || (ref.ts !== undefined && (f.ts === undefined || ref.ts < f.ts))) this.first = ref;
    const l = this.last;
    if (!l || (ref.ts === undefined ? l.ts === undefined : l.ts === undefined || ref.ts >= l.ts)) this.last = ref;
  }

  toRollup(
    d: { count: number; p50Ms?: number; p95Ms?: number; maxMs?: number },
    histogram: HistogramBucket[],
    sla: number | undefined,
  ): FlowRollup {
    const settled = this.succeeded + this.failed + this.exceptions;
    const r: FlowRollup = {
      flow: this.name,
      instances: this.instances,
      succeeded: this.succeeded,
      failed: this.failed,
      exceptions: this.exceptions,
      orphaned: this.orphaned,
      running: this.running,
      successRate: settled ? this.succeeded / settled : undefined,
      durationCount: d.count,
      p50Ms: d.p50Ms,
      p95Ms: d.p95Ms,
      maxMs: d.maxMs,
      slaP95Ms: sla,
      slaBreached: sla !== undefined && d.p95Ms !== undefined && d.p95Ms > sla,
      failureClasses: this.failureClasses,
      unclassifiedFailures: this.unclassified,
      firstFailure: this.first,
      lastFailure: this.last,
      histogram,
    };
    return r;
  }
}

function hasDuration(f: FlowNode): f is FlowNode & { durationMs: number } {
  return typeof f.durationMs === 'number' && Number.isFinite(f.durationMs);
}

/**
 * Per-flow-name rollups over the given runs (one run, or all), sorted by flow name. Failures
 * are ordered by verdict time; runs are visited in time order so ties follow run order.
 */
export function flowRollups(runs: readonly Run[], opts: RollupOptions = {}): FlowRollup[] {
  const tallies = new Map<string, FlowTally>();
  const durations = new Map<string, number[]>();
  for (const run of runsInTimeOrder(runs)) {
    for (const flow of run.flows.values()) {
      const name = flowRollupName(flow);
      let t = tallies.get(name);
      if (!t) {
        tallies.set(name, (t = new FlowTally(name)));
        durations.set(name, []);
      }
      t.add(flow);
      if (hasDuration(flow)) (durations.get(name) as number[]).push(flow.durationMs);
    }
  }
  const buckets = bucketsOf(opts);
  return [...tallies.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => {
      const ds = durations.get(t.name) as number[];
      const sla = opts.catalog ? slaFor(opts.catalog, t.name) : undefined;
      return t.toRollup(summarizeDurations(ds), latencyHistogram(ds, buckets), sla);
    });
}

export type { EventCounts };

const emptyCounts = emptyEventCounts;

function addEvent(c: EventCounts, e: TraceEvent): void {
  c.total++;
  bump(c.byType, e.type);
  if (e.severity) bump(c.bySeverity, e.severity);
  if (e.failureClass) {
    bump(c.byFailureClass, e.failureClass);
    bump(c.byDomain as Record<string, number>, failureDomain(e.failureClass));
  }
}

/** Counts over any events. */
export function countEvents(events: Iterable<TraceEvent>): EventCounts {
  const c = emptyCounts();
  for (const e of events) addEvent(c, e);
  return c;
}

/** Counts per run (keyed by run id) and over all the runs' stored events. */
export function eventCounts(runs: readonly Run[]): { overall: EventCounts; byRun: Record<string, EventCounts> } {
  const overall = emptyCounts();
  const byRun: Record<string, EventCounts> = record();
  for (const run of runs) {
    // An indexed (large) run keeps its counts as it is read: walking run.events would re-parse
    // every line from the file.
    const indexed = indexedEventCounts(run);
    if (indexed) {
      byRun[run.id] = indexed;
      mergeCounts(overall, indexed);
      continue;
    }
    const c = (byRun[run.id] ??= emptyCounts());
    for (const e of run.events) {
      addEvent(c, e);
      addEvent(overall, e);
    }
  }
  return { overall, byRun };
}

/** Adds `from` into `into` (every field). */
function mergeCounts(into: EventCounts, from: EventCounts): void {
  into.total += from.total;
  for (const k of ['byType', 'bySeverity', 'byFailureClass', 'byDomain'] as const) {
    const dst = into[k] as Record<string, number>;
    for (const [key, n] of Object.entries(from[k] as Record<string, number>)) bump(dst, key, n);
  }
}

/** One flow's latency histogram (the CLI's `latency[]` entry). */
export interface FlowHistogram {
  flow: string;
  buckets: HistogramBucket[];
}

/** Per-flow latency histograms of instance durations, sorted by flow name. */
export function latencyHistograms(runs: readonly Run[], opts: RollupOptions = {}): FlowHistogram[] {
  const durations = new Map<string, number[]>();
  for (const run of runs) {
    for (const flow of run.flows.values()) {
      const name = flowRollupName(flow);
      let ds = durations.get(name);
      if (!ds) durations.set(name, (ds = []));
      if (hasDuration(flow)) ds.push(flow.durationMs);
    }
  }
  const buckets = bucketsOf(opts);
  return [...durations.keys()].sort().map((flow) => ({ flow, buckets: latencyHistogram(durations.get(flow) as number[], buckets) }));
}

/** One run's point on a flow's trend. */
export interface TrendPoint {
  runId: string;
  /** Run start, epoch ms. */
  started?: number;
  instances: number;
  succeeded: number;
  failed: number;
  exceptions: number;
  successRate?: number;
  p50Ms?: number;
  p95Ms?: number;
  slaBreached: boolean;
}

/** A flow's run-to-run trend; `points` has one entry per run, in run time order. */
export interface FlowTrend {
  flow: string;
  slaP95Ms?: number;
  points: TrendPoint[];
}

/**
 * Run-to-run trend per flow name: for every run (time order, see {@link runsInTimeOrder}) the
 * flow's instances, success rate and nearest-rank p50/p95. A run where the flow did not occur
 * is a point with `instances: 0` and no rates, so series stay aligned across flows.
 */
export function flowTrends(runs: readonly Run[], opts: RollupOptions = {}): FlowTrend[] {
  const ordered = runsInTimeOrder(runs);
  const perRun = ordered.map((run) => {
    const byName = new Map<string, FlowNode[]>();
    for (const f of run.flows.values()) {
      const n = flowRollupName(f);
      const list = byName.get(n);
      if (list) list.push(f);
      else byName.set(n, [f]);
    }
    return byName;
  });
  const names = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort();
  return names.map((flow) => {
    const sla = opts.catalog ? slaFor(opts.catalog, flow) : undefined;
    const points = ordered.map((run, i): TrendPoint => {
      const t = new FlowTally(flow);
      const ds: number[] = [];
      for (const f of perRun[i].get(flow) ?? []) {
        t.add(f);
        if (hasDuration(f)) ds.push(f.durationMs);
      }
      const r = t.toRollup(summarizeDurations(ds), [], sla);
      return {
        runId: run.id,
        started: run.started,
        instances: r.instances,
        succeeded: r.succeeded,
        failed: r.failed,
        exceptions: r.exceptions,
        successRate: r.successRate,
        p50Ms: r.p50Ms,
        p95Ms: r.p95Ms,
        slaBreached: r.slaBreached,
      };
    });
    return { flow, slaP95Ms: sla, points };
  });
}

/** The batch rollup the CLI and dashboard read. */
export interface RunsRollup {
  runCount: number;
  flows: FlowRollup[];
  counts: EventCounts;
  countsByRun: Record<string, EventCounts>;
}

/** Flow rollups (with histograms) and event counts over the given runs. */
export function rollupRuns(runs: readonly Run[], opts: RollupOptions = {}): RunsRollup {
  const { overall, byRun } = eventCounts(runs);
  return { runCount: runs.length, flows: flowRollups(runs, opts), counts: overall, countsByRun: byRun };
}

/**
 * Incremental per-flow rollups for the live path. Call {@link add} once per flow instance when
 * it settles (or to count a running/orphaned one; do not add the same instance twice). `add`
 * is O(1) amortised (no re-sorting); {@link rollups} reads percentiles from
 * {@link FlowStatsAccumulator} (relative error ≤ its α, default 1%) and marks them `approximate`.
 */
export class FlowRollupAccumulator {
  private readonly tallies = new Map<string, { t: FlowTally; d: FlowStatsAccumulator; h: number[] }>();
  private readonly buckets: readonly number[];

  constructor(private readonly opts: RollupOptions & { relativeError?: number } = {}) {
    this.buckets = bucketsOf(opts);
  }

  add(flow: FlowNode): void {
    const name = flowRollupName(flow);
    let s = this.tallies.get(name);
    if (!s) this.tallies.set(name, (s = { t: new FlowTally(name), d: new FlowStatsAccumulator(this.opts.relativeError), h: new Array<number>(this.buckets.length + 1).fill(0) }));
    s.t.add(flow);
    if (hasDuration(flow)) {
      s.d.add(flow.durationMs);
      s.h[bucketIndex(this.buckets, flow.durationMs)]++;
    }
  }

  /** Current rollups, sorted by flow name. */
  rollups(): FlowRollup[] {
    return [...this.tallies.values()]
      .sort((a, b) => (a.t.name < b.t.name ? -1 : a.t.name > b.t.name ? 1 : 0))
      .map(({ t, d, h }) => {
        const sla = this.opts.catalog ? slaFor(this.opts.catalog, t.name) : undefined;
        const hist = h.map((count, i) => ({ leMs: i < this.buckets.length ? this.buckets[i] : null, count }));
        return { ...t.toRollup(d.summary(), hist, sla), approximate: true };
      });
  }
}

/**
 * Live rollups of one run for the tail path: {@link absorb} after each refresh adds the flows
 * that settled since the last call to a {@link FlowRollupAccumulator} (p50/p95 within its relative
 * error α, default 1%, marked `approximate`; no re-sorting) and counts only the appended events.
 * A flow is counted once, with the verdict it first settled with; running flows are not counted
 * until they settle. If the run's events shrink (a source was re-read), the counts start over.
 */
export class LiveRunRollup {
  private acc: FlowRollupAccumulator;
  private readonly settled = new Set<string>();
  private counted = 0;
  private counts = emptyCounts();

  constructor(private readonly opts: RollupOptions & { relativeError?: number } = {}) {
    this.acc = new FlowRollupAccumulator(opts);
  }

  /** Absorb what changed: `flowIds` = ids of the run's flows that changed (default: every flow). */
  absorb(run: Run, flowIds?: Iterable<string>): void {
    const events = run.events;
    if (events.length < this.counted) {
      this.acc = new FlowRollupAccumulator(this.opts);
      this.settled.clear();
      this.counted = 0;
      this.counts = emptyCounts();
      flowIds = undefined;
    }
    for (const id of flowIds ?? run.flows.keys()) {
      if (this.settled.has(id)) continue;
      const f = run.flows.get(id);
      if (!f || f.verdict === 'running') continue;
      this.settled.add(id);
      this.acc.add(f);
    }
    const indexed = indexedEventCounts(run);
    if (indexed) this.counts = indexed;
    else for (let i = this.counted; i < events.length; i++) addEvent(this.counts, events[i]);
    this.counted = events.length;
  }

  /** Current per-flow rollups (approximate percentiles), sorted by flow name. */
  rollups(): FlowRollup[] {
    return this.acc.rollups();
  }

  /** Event counts of the events absorbed so far. */
  eventCounts(): EventCounts {
    return this.counts;
  }
}
