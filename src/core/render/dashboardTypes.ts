/**
 * The dashboard's view-model types: plain JSON shared by the host (src/core/render/dashboard.ts
 * builds it) and the webview (media/dashboard/ draws it, through
 * src/host/dashboard/protocol.ts). Types only; imports nothing but model/types.ts and
 * analyze/flowRollup.ts (types too), so the webview's DOM-only type check can read it.
 */
import type { FailureDomain, RunStatus, Verdict } from '../model/types';
import type { FlowRollup } from '../analyze/flowRollup';

/** A run in the run selector. */
export interface RunOption {
  id: string;
  started?: number;
  status: RunStatus;
  app?: string;
  /** `flowscribe-v1`, `flowscribe-0.1`, … — runs are compared like with like (issue 16). */
  dialect: string;
  flows: number;
  failing: number;
}

/** A source location with the path it resolved to on this machine. */
export interface Loc {
  file?: string;
  /** 1-based. */
  line?: number;
  resolvedPath?: string;
}

export interface FailureView extends Loc {
  runId: string;
  flowId: string;
  verdict: 'failed' | 'exception';
  failureClass?: string;
  reason?: string;
  ts?: number;
}

/** A row of the flows table: the flow's rollup (analyze/flowRollup.ts, defined once) without its lists. */
export interface FlowRow
  extends Pick<FlowRollup, 'flow' | 'instances' | 'succeeded' | 'failed' | 'exceptions' | 'orphaned' | 'running' | 'successRate' | 'p50Ms' | 'p95Ms' | 'maxMs' | 'slaP95Ms' | 'slaBreached'> {
  /** Up to three, most frequent first (ties by name). */
  topFailureClasses: { failureClass: string; count: number }[];
  lastFailure?: FailureView;
}

export interface LatencyBucketView {
  /** `≤ 50 ms`, …, `> 1000 ms`. */
  label: string;
  leMs: number | null;
  count: number;
}

export interface TrendPointView {
  runId: string;
  started?: number;
  instances: number;
  p50Ms?: number;
  p95Ms?: number;
  slaBreached: boolean;
}

export interface LatencyPanel {
  flow: string;
  buckets: LatencyBucketView[];
  p95Ms?: number;
  slaP95Ms?: number;
  slaBreached: boolean;
  /**
   * Where the SLA falls on the histogram's category axis: bucket i is centred on i and spans
   * [i − 0.5, i + 0.5]; the SLA is placed linearly inside its bucket (overflow: its left edge).
   */
  slaPosition?: number;
  /** p95 per run, time order (the selection when it has ≥ 2 runs, else every run). */
  trend: TrendPointView[];
}

export interface FailureChangeView extends Loc {
  flow: string;
  failureClass?: string;
  reason?: string;
  /** Failing instances in the base / current run. */
  before: number;
  after: number;
}

export interface FailuresPanel {
  total: number;
  unclassified: number;
  byClass: { failureClass: string; domain: FailureDomain; count: number }[];
  /** The five domains always, plus OTHER when it occurs. */
  byDomain: { domain: FailureDomain; count: number }[];
  /** Flows with failures: first and latest failure over the selection. */
  firstLatest: { flow: string; count: number; first?: FailureView; latest?: FailureView }[];
  /** The newest selected run against the run before it (time order). */
  changes?: { base: string; current: string; /** Both runs' dialect (the base is the previous run of the same one). */ dialect: string; newlyFailing: FailureChangeView[]; fixed: FailureChangeView[]; stillFailing: FailureChangeView[] };
}

export interface EventsPanel {
  types: string[];
  severities: string[];
  /** One point per selected run, time order. */
  runs: { runId: string; started?: number; total: number; byType: Record<string, number>; bySeverity: Record<string, number> }[];
}

export interface TimelineRow extends Loc {
  id: string;
  name: string;
  depth: number;
  parentId?: string;
  verdict: Verdict;
  /** ms from the timeline's start; undefined when the flow has no time. */
  startMs?: number;
  durMs?: number;
  failureClass?: string;
  reason?: string;
  /** Verdict evidence as JSON text, cut to `evidenceChars`. */
  evidence?: string;
  step?: string;
}

export interface TimelineModel {
  runId: string;
  /** Epoch ms of the earliest flow start. */
  t0?: number;
  spanMs: number;
  rows: TimelineRow[];
}

export interface StorePanel {
  path: string;
  name: string;
  kind: string;
  rows: number;
  problems: string[];
  stats: { label: string; value: string | number }[];
  tables: { title: string; columns: string[]; rows: (string | number)[][] }[];
}

/** The diff section: {@link RunDiff} flattened into rows. */
export interface DiffRow extends Loc {
  category: 'new' | 'gone' | 'newly failing' | 'fixed' | 'still failing' | 'slower';
  flow: string;
  before?: string;
  after?: string;
  /** `key: before → after` per changed verdict field or evidence key. */
  changes: string[];
}

export interface DiffModel {
  a: string;
  b: string;
  /** The dialects of `a` and `b`: the section says what it compared, and when the kinds differ. */
  aDialect: string;
  bDialect: string;
  slowerThresholdPct: number;
  counts: Record<DiffRow['category'], number>;
  rows: DiffRow[];
}

export interface DashboardModel {
  selection: { kind: 'latest' | 'all' | 'run' | 'window' | 'none'; label: string; runIds: string[]; from?: number; to?: number };
  /** Every run, newest first, for the selectors. */
  runs: RunOption[];
  flowFilter?: string;
  flows: FlowRow[];
  latency: { bucketsMs: number[]; flows: LatencyPanel[] };
  failures: FailuresPanel;
  events: EventsPanel;
  timeline?: TimelineModel;
  diff?: DiffModel;
  stores: StorePanel[];
}
