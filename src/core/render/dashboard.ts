/**
 * The dashboard's view-model: shapes the rollups (rollup.ts, stats.ts, pulse.ts, diff.ts and
 * the store rollups) into plain JSON the webview draws as-is. Every number the dashboard shows
 * is computed here or in those modules; the webview adds no business logic.
 * Pure: no I/O, no vscode, never throws on odd input.
 */
import { DEFAULT_LATENCY_BUCKETS_MS, type Catalog } from '../read/catalog';
import { diffRuns, redactChange, type RunDiff, type SlowerEntry } from '../analyze/diff';
import { flowSpan, flowsDepthFirst } from './export';
import type {
  DashboardModel, DiffModel, DiffRow, FailureChangeView, FailuresPanel, FailureView, FlowRow, LatencyPanel, Loc, TimelineModel, TimelineRow,
} from './dashboardTypes';
import { FAILURE_DOMAINS, failureDomain, type FailureDomain, type Run, type TraceEvent } from '../model/types';
import { runCounts } from '../model/counts';
import { countEvents, flowRollupName, flowRollups, flowTrends, runsInTimeOrder, type FailureRef, type FlowRollup } from '../analyze/rollup';
import type { StoreReport } from '../read/sqlite/stores';
import { storePanels, telemetryPanels, type QueueSource } from './telemetry';
import { Redactor, stripControl, type RedactOptions } from './egress/redact';
import { runRedactor } from './egress/secrets';
import { bucketIndex } from '../analyze/stats';
import { previousRun, runsNewestFirst, runStatus, selectRun, runVerdictCounts } from '../analyze/queries';
import { isoTime } from '../model/time';
import { DEPTH_MARK, bump, record, safeStringify } from '../model/bounded';

export type * from './dashboardTypes';
/** Store panels live in telemetry.ts (one definition for the dashboard and the Telemetry view). */
export { storePanels };

/** Which runs the dashboard summarises. A string other than `latest`/`all` is a run id (or unique prefix). */
export type RunSelection = 'latest' | 'all' | string | { from: number; to: number };

/** What the dashboard reads: a TraceWorkspace's runs, catalog and path mapping, and store reports. */
export interface DashboardInputs {
  runs: readonly Run[];
  /** `TraceWorkspace.latestRun()?.id` (`.autodev/latest`, else the newest run). */
  latestRunId?: string;
  catalog?: Catalog;
  /** A trace file path → an absolute path on this machine, when it exists. */
  resolvePath?: (file: string) => string | undefined;
  /** `readStores` results; panels are shown only for stores that exist. */
  stores?: readonly StoreReport[];
  /** Grain/Assay queue envelopes (`TraceWorkspace.envelopes`): one telemetry panel per queue file. */
  envelopes?: readonly TraceEvent[];
  /** The workspace folder: queue panels are named relative to it. */
  root?: string;
  /** The discovered queue files (`TraceWorkspace.sources()` of kind `queue`): a queue shows even when none of its lines read. */
  queues?: readonly QueueSource[];
  /**
   * The redactor for every trace-derived text of the model (reasons, evidence, diff values, store
   * problems); default {@link dashboardRedactor}. Pass the same one to {@link sanitizeModel}.
   */
  redactor?: Redactor;
}

/** ra.yaml `privacy` of the catalog as redaction options (defaults without a catalog). */
export function privacyOptions(catalog: Catalog | undefined): RedactOptions {
  return catalog ? { redactKeys: catalog.ra.redactKeys, payloadLimit: catalog.ra.payloadLimit } : {};
}

/**
 * The dashboard's redactor: run-scoped over every run it can show (egress/secrets.ts — a value
 * redacted under a key anywhere in those runs is scrubbed from every string), with ra.yaml's
 * `redact_keys` and `payload_limit`. The same as `runsRedactor(runs, …)`, built from the per-run
 * cache of `runRedactor` so a live update does not walk every event of every run again.
 */
export function dashboardRedactor(inputs: Pick<DashboardInputs, 'runs' | 'catalog'>): Redactor {
  const opts = privacyOptions(inputs.catalog);
  const secrets = new Set<string>();
  for (const run of inputs.runs) for (const s of runRedactor(run, opts).options.knownSecrets ?? []) secrets.add(s);
  return new Redactor(secrets.size ? { ...opts, knownSecrets: secrets } : opts);
}

/** The redactor of a model build: the one passed in, else {@link dashboardRedactor} of `runs`. */
function redactorOf(inputs: DashboardInputs, runs: readonly Run[] = inputs.runs): Redactor {
  return inputs.redactor ?? dashboardRedactor({ runs, catalog: inputs.catalog });
}

export interface DashboardOptions {
  /** Run shown in the timeline; default the newest selected run. */
  timelineRunId?: string;
  /** Runs to compare in the diff section (`a` = base). */
  diff?: { a: string; b: string };
  slowerThresholdPct?: number;
  /** Characters of evidence text per timeline row (default 400). */
  evidenceChars?: number;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The runs a selection stands for (oldest first), and how to name it. A string is read by the one
 * selector grammar of analyze/queries.ts (`latest`, `previous`, `all`, `@N`, a run id or a unique
 * prefix), as the CLI's `--run` and the chat's `run:` read it.
 */
export function selectRuns(inputs: DashboardInputs, selection: RunSelection): { runs: Run[]; sel: DashboardModel['selection'] } {
  const all = runsInTimeOrder(inputs.runs);
  const exact = typeof selection === 'string' && inputs.runs.some((r) => r.id === selection);
  if (selection === 'all' && !exact) return { runs: all, sel: { kind: 'all', label: `All runs (${all.length})`, runIds: all.map((r) => r.id) } };
  if (typeof selection === 'object' && selection !== null) {
    const { from, to } = selection;
    const runs = all.filter((r) => r.started !== undefined && r.started >= from && r.started <= to);
    return { runs, sel: { kind: 'window', label: `Runs from ${isoTime(from) ?? 'invalid time'} to ${isoTime(to) ?? 'invalid time'} (${runs.length})`, runIds: runs.map((r) => r.id), from, to } };
  }
  const run = selectRun(inputs.runs, String(selection), { latestId: inputs.latestRunId });
  if (!run) return { runs: [], sel: { kind: 'none', label: selection === 'latest' ? 'No runs' : `Run ${String(selection)} not found`, runIds: [] } };
  const kind = selection === 'latest' && !exact ? 'latest' : 'run';
  return { runs: [run], sel: { kind, label: kind === 'latest' ? `Latest run ${run.id}` : `Run ${run.id}`, runIds: [run.id] } };
}

function loc(inputs: DashboardInputs, file: string | undefined, line: number | undefined): Loc {
  if (!file) return {};
  let resolvedPath: string | undefined;
  try {
    resolvedPath = inputs.resolvePath?.(file);
  } catch {
    resolvedPath = undefined;
  }
  return { file, line, resolvedPath };
}

function failureView(inputs: DashboardInputs, f: FailureRef | undefined, red: Redactor): FailureView | undefined {
  if (!f) return undefined;
  return { runId: f.runId, flowId: f.flowId, verdict: f.verdict, failureClass: f.failureClass, reason: reasonText(f.reason, red), ts: f.ts, ...loc(inputs, f.file, f.line) };
}

const reasonText = (s: string | undefined, red: Redactor): string | undefined => (s === undefined ? undefined : red.string(s));

function topClasses(rec: Record<string, number>, n = 3): { failureClass: string; count: number }[] {
  return Object.entries(rec)
    .sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))
    .slice(0, n)
    .map(([failureClass, count]) => ({ failureClass, count }));
}

function flowRow(inputs: DashboardInputs, r: FlowRollup, red: Redactor): FlowRow {
  return {
    flow: r.flow,
    instances: r.instances,
    succeeded: r.succeeded,
    failed: r.failed,
    exceptions: r.exceptions,
    orphaned: r.orphaned,
    running: r.running,
    successRate: r.successRate,
    p50Ms: r.p50Ms,
    p95Ms: r.p95Ms,
    maxMs: r.maxMs,
    slaP95Ms: r.slaP95Ms,
    slaBreached: r.slaBreached,
    topFailureClasses: topClasses(r.failureClasses),
    lastFailure: failureView(inputs, r.lastFailure, red),
  };
}

/** Bucket labels: `≤ b ms` per bound, `> last ms` for the overflow bucket. */
export function bucketLabel(leMs: number | null, bounds: readonly number[]): string {
  return leMs === null ? `> ${bounds[bounds.length - 1]} ms` : `≤ ${leMs} ms`;
}

/** See {@link LatencyPanel.slaPosition}. */
export function slaPosition(bounds: readonly number[], slaMs: number): number {
  const i = bucketIndex(bounds, slaMs);
  if (i >= bounds.length) return i - 0.5;
  const lo = i === 0 ? 0 : bounds[i - 1];
  const hi = bounds[i];
  return i - 0.5 + (hi > lo ? Math.min(1, Math.max(0, (slaMs - lo) / (hi - lo))) : 1);
}

/**
 * Evidence as one string of at most `max` characters: redacted first (keys, values redacted
 * elsewhere in the run, credential shapes), then cut — a cut before redaction could keep the
 * start of a long secret whose `"key": "value"` pattern no longer matches once cut.
 */
function evidenceText(e: TraceEvent | undefined, max: number, red: Redactor): string | undefined {
  if (!e || e.evidence === undefined) return undefined;
  // Redactor.value is depth-limited (checked before it descends); then a depth- and width-limited
  // stringify: evidence nested 100,000 deep must not overflow the stack.
  const v = red.value(e.evidence);
  const s = typeof v === 'string' ? v : safeStringify(v, undefined, { maxDepth: 16, maxItems: Math.max(8, max) });
  return s.length > max ? s.slice(0, Math.max(0, max - 1)) + '…' : s;
}

/** One run's flows as timeline rows: depth-first, children under their parent. */
export function buildTimeline(inputs: DashboardInputs, run: Run, opts: { flowFilter?: string; evidenceChars?: number } = {}): TimelineModel {
  const max = opts.evidenceChars ?? 400;
  const red = redactorOf(inputs, [run]);
  const order = flowsDepthFirst(run);
  let t0: number | undefined;
  const spans = order.map(({ flow }) => flowSpan(flow));
  for (const s of spans) if (s && (t0 === undefined || s.start < t0)) t0 = s.start;
  let spanMs = 0;
  const rows: TimelineRow[] = [];
  order.forEach(({ flow, depth }, i) => {
    const s = spans[i];
    if (s && t0 !== undefined) spanMs = Math.max(spanMs, s.end - t0);
    if (opts.flowFilter !== undefined && flowRollupName(flow) !== opts.flowFilter) return;
    const e = flow.verdictEvent;
    const last = e ?? flow.events.at(-1);
    rows.push({
      id: flow.id,
      name: flow.displayName,
      depth,
      parentId: flow.parentId,
      verdict: flow.verdict,
      startMs: s && t0 !== undefined ? s.start - t0 : undefined,
      // A flow that ended without a known duration (its verdict was its only timed event, no
      // duration_ms) has none: undefined, drawn as a tick and labelled "—" (issue 16), not "0 ms".
      durMs: s && (flow.durationMs !== undefined || flow.ended === undefined) ? s.end - s.start : undefined,
      failureClass: e?.failureClass,
      reason: reasonText(e?.reason ?? e?.exception?.message, red),
      evidence: evidenceText(e, max, red),
      step: last?.step,
      ...loc(inputs, last?.file, last?.line),
    });
  });
  return { runId: run.id, t0, spanMs, rows };
}

const fmtMs = (v: number | undefined): string => (v === undefined ? '—' : `${Math.round(v * 10) / 10} ms`);
const short = (v: unknown): string => {
  if (v === undefined) return '∅';
  const s = typeof v === 'string' ? v : safeStringify(v, undefined, { maxDepth: 16, maxItems: 120 });
  return s.length > 120 ? s.slice(0, 119) + '…' : s;
};

/** {@link diffRuns} flattened into rows for the diff table. */
export function buildDiff(inputs: DashboardInputs, a: Run, b: Run, opts: { flowFilter?: string; slowerThresholdPct?: number } = {}): DiffModel {
  const d: RunDiff = diffRuns(a, b, { slowerThresholdPct: opts.slowerThresholdPct });
  // ra.yaml's own redact_keys hide an evidence key's values; values redacted anywhere in either run are scrubbed.
  const red = redactorOf(inputs, [a, b]);
  const rows: DiffRow[] = [];
  const keep = (flow: string): boolean => opts.flowFilter === undefined || flow === opts.flowFilter;
  const sideText = (s: RunDiff['new'][number]['before']): string | undefined =>
    s && `${s.instances} × ${s.failing ? `${s.failing} failing${s.failureClass ? ` (${s.failureClass})` : ''}` : 'ok'}, p95 ${fmtMs(s.p95Ms)}`;
  const add = (category: DiffRow['category'], list: RunDiff['new']): void => {
    for (const e of list) {
      if (!keep(e.flow)) continue;
      const s = e.after ?? e.before;
      rows.push({
        category,
        flow: e.flow,
        before: sideText(e.before),
        after: sideText(e.after),
        changes:
          category === 'slower' && 'afterP95Ms' in e
            ? [`p95: ${fmtMs((e as SlowerEntry).beforeP95Ms)} → ${fmtMs((e as SlowerEntry).afterP95Ms)} (${Number.isFinite((e as SlowerEntry).changePct) ? `+${Math.round((e as SlowerEntry).changePct * 10) / 10}%` : 'from 0'})`]
            : e.changes.map((c) => redactChange(c, red)).map((c) => `${c.key}: ${short(c.before)} → ${short(c.after)}`),
        ...loc(inputs, s?.file, s?.line),
      });
    }
  };
  add('newly failing', d.newlyFailing);
  add('still failing', d.stillFailing);
  add('fixed', d.fixed);
  add('slower', d.slower);
  add('new', d.new);
  add('gone', d.gone);
  const counts = { new: 0, gone: 0, 'newly failing': 0, fixed: 0, 'still failing': 0, slower: 0 } as Record<DiffRow['category'], number>;
  for (const r of rows) counts[r.category]++;
  return { a: a.id, b: b.id, aDialect: a.dialect, bDialect: b.dialect, slowerThresholdPct: d.slowerThresholdPct, counts, rows };
}

/**
 * The whole dashboard for a selection of runs. `flowFilter` (a flow name) narrows every section
 * but the flows table, which always lists every flow of the selection.
 */
export function buildDashboardModel(inputs: DashboardInputs, selection: RunSelection, flowFilter?: string, opts: DashboardOptions = {}): DashboardModel {
  // One redactor for the whole model: run-scoped over every run the dashboard can show.
  const red = redactorOf(inputs);
  inputs = { ...inputs, redactor: red };
  const { runs, sel } = selectRuns(inputs, selection);
  const allOrdered = runsInTimeOrder(inputs.runs);
  const ro = { catalog: inputs.catalog };
  const bounds = [...(inputs.catalog?.ra.latencyBucketsMs ?? DEFAULT_LATENCY_BUCKETS_MS)];
  const rollups = flowRollups(runs, ro);
  const filter = flowFilter !== undefined && rollups.some((r) => r.flow === flowFilter) ? flowFilter : undefined;
  const keep = (flow: string): boolean => filter === undefined || flow === filter;

  // Latency: histograms of the selection, p95 trend over the selection (≥ 2 runs) or all runs.
  const trendRuns = runs.length >= 2 ? runs : allOrdered;
  const trends = new Map(flowTrends(trendRuns, ro).map((t) => [t.flow, t]));
  const latency: LatencyPanel[] = rollups.filter((r) => keep(r.flow)).map((r) => ({
    flow: r.flow,
    buckets: r.histogram.map((b) => ({ label: bucketLabel(b.leMs, bounds), leMs: b.leMs, count: b.count })),
    p95Ms: r.p95Ms,
    slaP95Ms: r.slaP95Ms,
    slaBreached: r.slaBreached,
    slaPosition: r.slaP95Ms === undefined ? undefined : slaPosition(bounds, r.slaP95Ms),
    trend: (trends.get(r.flow)?.points ?? []).map((p) => ({ runId: p.runId, started: p.started, instances: p.instances, p50Ms: p.p50Ms, p95Ms: p.p95Ms, slaBreached: p.slaBreached })),
  }));

  // Failures by class and domain (from the rollups' failure classes).
  const kept = rollups.filter((r) => keep(r.flow));
  const classCounts: Record<string, number> = record();
  let unclassified = 0;
  for (const r of kept) {
    for (const [c, n] of Object.entries(r.failureClasses)) bump(classCounts, c, n);
    unclassified += r.unclassifiedFailures;
  }
  const byClass = Object.entries(classCounts)
    .sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))
    .map(([failureClass, count]) => ({ failureClass, domain: failureDomain(failureClass), count }));
  const domainCounts = new Map<FailureDomain, number>(FAILURE_DOMAINS.map((d) => [d, 0]));
  for (const c of byClass) domainCounts.set(c.domain, (domainCounts.get(c.domain) ?? 0) + c.count);
  const byDomain = [...domainCounts].filter(([d, n]) => d !== 'OTHER' || n > 0).map(([domain, count]) => ({ domain, count }));
  const firstLatest = kept
    .filter((r) => r.failed + r.exceptions > 0)
    .map((r) => ({ flow: r.flow, count: r.failed + r.exceptions, first: failureView(inputs, r.firstFailure, red), latest: failureView(inputs, r.lastFailure, red) }));

  // New / fixed / still failing: the newest selected run against the run before it (queries.ts
  // previousRun: same dialect — a 0.1 recording is not compared with its v1 twin).
  let changes: FailuresPanel['changes'];
  const current = runs[runs.length - 1];
  const base = current ? previousRun(inputs.runs, current) : undefined;
  if (current && base) {
    const d = diffRuns(base, current, { slowerThresholdPct: opts.slowerThresholdPct });
    const view = (list: RunDiff['new']): FailureChangeView[] =>
      list.filter((e) => keep(e.flow)).map((e) => {
        const s = e.after && e.after.failing ? e.after : e.before ?? e.after;
        return { flow: e.flow, failureClass: s?.failureClass, reason: reasonText(s?.reason, red), before: e.before?.failing ?? 0, after: e.after?.failing ?? 0, ...loc(inputs, s?.file, s?.line) };
      });
    changes = { base: base.id, current: current.id, dialect: current.dialect, newlyFailing: view(d.newlyFailing), fixed: view(d.fixed), stillFailing: view(d.stillFailing) };
  }

  // Event counts by type and severity, per run.
  const types = new Set<string>();
  const severities = new Set<string>();
  const eventRuns = runs.map((run) => {
    // The run's counts cover every event read, also those not held (a capped or summarised run).
    const c = filter === undefined ? runCounts(run) : countEvents(run.events.filter((e) => e.flow === filter));
    for (const t of Object.keys(c.byType)) types.add(t);
    for (const s of Object.keys(c.bySeverity)) severities.add(s);
    return { runId: run.id, started: run.started, total: c.total, byType: c.byType, bySeverity: c.bySeverity };
  });
  const sevOrder = ['debug', 'info', 'warning', 'error', 'critical'];

  // Timeline: one run (asked for, else the newest selected).
  const tRun = (opts.timelineRunId !== undefined ? inputs.runs.find((r) => r.id === opts.timelineRunId) : undefined) ?? current;
  const timeline = tRun ? buildTimeline(inputs, tRun, { flowFilter: filter, evidenceChars: opts.evidenceChars }) : undefined;

  let diff: DiffModel | undefined;
  if (opts.diff) {
    const a = inputs.runs.find((r) => r.id === opts.diff?.a);
    const b = inputs.runs.find((r) => r.id === opts.diff?.b);
    if (a && b) diff = buildDiff(inputs, a, b, { flowFilter: filter, slowerThresholdPct: opts.slowerThresholdPct });
  }

  return {
    selection: sel,
    runs: runsNewestFirst(inputs.runs).map((r) => {
      const c = runVerdictCounts(r);
      return { id: r.id, started: r.started, status: runStatus(r), app: r.app, dialect: r.dialect, flows: c.total, failing: c.failed + c.exceptions };
    }),
    flowFilter: filter,
    flows: rollups.map((r) => flowRow(inputs, r, red)),
    latency: { bucketsMs: bounds, flows: latency },
    failures: { total: byClass.reduce((n, c) => n + c.count, 0) + unclassified, unclassified, byClass, byDomain, firstLatest, changes },
    events: {
      types: [...types].sort(),
      severities: [...severities].sort((a, b) => sevOrder.indexOf(a) - sevOrder.indexOf(b) || cmp(a, b)),
      runs: eventRuns,
    },
    timeline,
    diff,
    stores: telemetryPanels(inputs.envelopes ?? [], inputs.stores ?? [], { root: inputs.root, queues: inputs.queues, redactor: red }),
  };
}

/** What {@link sanitizeModel} needs of a redactor (src/core/redact.ts `Redactor` fits). */
export interface TextScrubber {
  identifier(s: string): string;
}

/**
 * Every string of a webview message made safe to show: control, bidi and zero-width characters
 * removed, credential-looking text replaced (`identifier`), and capped at `maxChars` — trace text
 * is untrusted and must not leak secrets into the dashboard (issue "Reliability and security").
 * `originals` maps each changed string back to what the trace said, so ids the webview sends
 * back (a run, a flow filter, a file) still find their run. Object keys are sanitised too.
 */
export function sanitizeModel<T>(value: T, red: TextScrubber, originals: Map<string, string>, maxChars = 500): T {
  const text = (s: string): string => {
    let t = red.identifier(stripControl(s));
    if (t.length > maxChars) t = `${t.slice(0, maxChars - 1)}…`;
    if (t !== s) originals.set(t, s);
    return t;
  };
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object') return v;
    // Checked before descending: a value nested deeper is cut, never passed on raw.
    if (depth > 64) return DEPTH_MARK;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out = record<unknown>();
    for (const [k, x] of Object.entries(v)) out[text(k)] = walk(x, depth + 1);
    return out;
  };
  return walk(value, 0) as T;
}

/** The inverse of {@link sanitizeModel} for what the webview sends back. */
export function restoreOriginals<T>(value: T, originals: ReadonlyMap<string, string>): T {
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return originals.get(v) ?? v;
    if (v === null || typeof v !== 'object') return v;
    if (depth > 64) return DEPTH_MARK;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out = record<unknown>();
    for (const [k, x] of Object.entries(v)) out[k] = walk(x, depth + 1);
    return out;
  };
  return walk(value, 0) as T;
}
