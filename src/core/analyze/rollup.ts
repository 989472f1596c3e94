/**
 * Rollups over runs: per flow name (outcomes, success rate, duration percentiles, SLA, failure
 * classes, first/last failure), event counts (type, severity, failure class, domain), latency
 * histograms on ra.yaml `latency_buckets_ms`, and run-to-run trends. Pulse rollups live in
 * `pulse.ts` (re-exported here).
 *
 * Rollups use exact nearest-rank percentiles (`stats.ts`), batch and live alike (a live refresh
 * rolls up the changed runs again). Event counts are counted once, by the run builder
 * (`run.counts`, model/counts.ts). Output is camelCase; the CLI maps it to snake_case.
 * Pure: no I/O, never throws on odd input.
 */
import { slaFor, DEFAULT_LATENCY_BUCKETS_MS, type Catalog } from '../read/catalog';
import type { EventCounts, FlowNode, Run, TraceEvent } from '../model/types';
import { failureClassOf, forEachFlow, type FlowFacts } from '../model/flowFacts';
import { bump, record } from '../model/bounded';
import { countEvents, emptyEventCounts, mergeCounts, runCounts } from '../model/counts';
import { DurationList, latencyHistogram, summarizeSorted, type HistogramBucket } from './stats';
import type { FailureRef, FlowRollup } from './flowRollup';
import { isFailing } from './queries';

export { pulseRollup, type PulseRollup } from '../model/pulse';

/** Rollup key of flows without a name (flowscribe 0.1 flows whose name was not recovered). */
export const UNNAMED_FLOW = '(unnamed)';

/** The rollup key of a flow: its name, else {@link UNNAMED_FLOW}. */
export function flowRollupName(flow: Pick<FlowNode, 'name'>): string {
  return flow.name ?? UNNAMED_FLOW;
}

export type { FailureRef, FlowRollup } from './flowRollup';

/** Options for the run rollups. */
export interface RollupOptions {
  /** For SLAs and the default latency buckets. */
  catalog?: Catalog;
  /** Histogram bounds; default the catalog's `latencyBucketsMs`, else the ra.yaml defaults. */
  bucketsMs?: readonly number[];
  /** false: no histogram (`histogram` is empty), for a caller that does not show one (the CLI's `flows`). */
  histograms?: boolean;
}

function bucketsOf(opts: RollupOptions): readonly number[] {
  return opts.bucketsMs ?? opts.catalog?.ra.latencyBucketsMs ?? DEFAULT_LATENCY_BUCKETS_MS;
}

function failureRef(flow: FlowFacts, name: string): FailureRef | undefined {
  if (!isFailing(flow.verdict)) return undefined;
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
  /** The first and last failing flows (kept: `add` may be given a cursor) and their verdict times. */
  private first?: FlowFacts;
  private firstTs?: number;
  private last?: FlowFacts;
  private lastTs?: number;

  constructor(readonly name: string) {}

  /** Count one instance (`flow` may be a cursor: what is kept of it is {@link FlowFacts.keep}'s). */
  add(flow: FlowFacts): void {
    this.instances++;
    const verdict = flow.verdict;
    switch (verdict) {
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
    if (!isFailing(verdict)) return;
    // The class as the builder read it (the verdict event is decoded only for the first and last
    // failure, in toRollup: decoding every failing flow's was most of a big run's rollup).
    const cls = failureClassOf(flow);
    if (cls) bump(this.failureClasses, cls);
    else this.unclassified++;
    // Ordered by verdict time (`ended` is the verdict event's time); equal times keep input order.
    // A failure without a time never displaces a timed one, and among untimed ones input order decides.
    const ts = flow.ended;
    const isFirst = !this.first || (ts !== undefined && (this.firstTs === undefined || ts < this.firstTs));
    const isLast = !this.last || (ts === undefined ? this.lastTs === undefined : this.lastTs === undefined || ts >= this.lastTs);
    if (!isFirst && !isLast) return;
    const kept = flow.keep ? flow.keep() : flow;
    if (isFirst) {
      this.first = kept;
      this.firstTs = ts;
    }
    if (isLast) {
      this.last = kept;
      this.lastTs = ts;
    }
  }

  toRollup(
    d: { count: number; p50Ms?: number; p95Ms?: number; maxMs?: number },
    histogram: HistogramBucket[],
    sla: number | undefined,
  ): FlowRollup {
    const settled = this.succeeded + this.failed + this.exceptions;
    // One failure that is both first and last is one reference.
    const first = this.first && failureRef(this.first, this.name);
    const last = this.last === this.first ? first : this.last && failureRef(this.last, this.name);
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
      firstFailure: first,
      lastFailure: last,
      histogram,
    };
    return r;
  }
}


/**
 * Per-flow-name rollups over the given runs (one run, or all), sorted by flow name. Failures
 * are ordered by verdict time; runs are visited in time order so ties follow run order.
 */
export function flowRollups(runs: readonly Run[], opts: RollupOptions = {}): FlowRollup[] {
  const tallies = new Map<string, FlowTally>();
  const durations = new Map<string, DurationList>();
  for (const run of runsInTimeOrder(runs)) {
    forEachFlow(run, (flow) => {
      const name = flowRollupName(flow);
      let t = tallies.get(name);
      if (!t) {
        tallies.set(name, (t = new FlowTally(name)));
        durations.set(name, new DurationList());
      }
      t.add(flow);
      (durations.get(name) as DurationList).add(flow.durationMs);
    });
  }
  const buckets = bucketsOf(opts);
  return [...tallies.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => {
      const ds = (durations.get(t.name) as DurationList).sorted();
      const sla = opts.catalog ? slaFor(opts.catalog, t.name) : undefined;
      return t.toRollup(summarizeSorted(ds), opts.histograms === false ? [] : latencyHistogram(ds, buckets), sla);
    });
}

export type { EventCounts };
export { countEvents };

/** Counts per run (keyed by run id, every event read: `run.counts`) and over all of them. */
export function eventCounts(runs: readonly Run[]): { overall: EventCounts; byRun: Record<string, EventCounts> } {
  const overall = emptyEventCounts();
  const byRun: Record<string, EventCounts> = record();
  for (const run of runs) {
    const c = runCounts(run);
    byRun[run.id] = c;
    mergeCounts(overall, c);
  }
  return { overall, byRun };
}

/** One flow's latency histogram (the CLI's `latency[]` entry). */
export interface FlowHistogram {
  flow: string;
  buckets: HistogramBucket[];
}

/** Per-flow latency histograms of instance durations, sorted by flow name. */
export function latencyHistograms(runs: readonly Run[], opts: RollupOptions = {}): FlowHistogram[] {
  const durations = new Map<string, DurationList>();
  for (const run of runs) {
    forEachFlow(run, (flow) => {
      const name = flowRollupName(flow);
      let ds = durations.get(name);
      if (!ds) durations.set(name, (ds = new DurationList()));
      ds.add(flow.durationMs);
    });
  }
  const buckets = bucketsOf(opts);
  return [...durations.keys()].sort().map((flow) => ({ flow, buckets: latencyHistogram((durations.get(flow) as DurationList).sorted(), buckets) }));
}

/** One run's point on a flow's trend. */
export interface TrendPoint extends Pick<FlowRollup, 'instances' | 'succeeded' | 'failed' | 'exceptions' | 'successRate' | 'p50Ms' | 'p95Ms' | 'slaBreached'> {
  runId: string;
  /** Run start, epoch ms. */
  started?: number;
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
  // Per run, per flow name: the tally and the durations (one walk of each run's flows).
  const perRun = ordered.map((run) => {
    const byName = new Map<string, { t: FlowTally; ds: DurationList }>();
    forEachFlow(run, (f) => {
      const n = flowRollupName(f);
      let x = byName.get(n);
      if (!x) byName.set(n, (x = { t: new FlowTally(n), ds: new DurationList() }));
      x.t.add(f);
      x.ds.add(f.durationMs);
    });
    return byName;
  });
  const names = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort();
  return names.map((flow) => {
    const sla = opts.catalog ? slaFor(opts.catalog, flow) : undefined;
    const points = ordered.map((run, i): TrendPoint => {
      const x = perRun[i].get(flow);
      const r = (x?.t ?? new FlowTally(flow)).toRollup(summarizeSorted(x ? x.ds.sorted() : []), [], sla);
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


