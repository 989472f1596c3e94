/**
 * One definition of each question every surface asks of the runs (issue 14, "one concept, one
 * definition"; the rules are in docs/decisions.md): which run a selector names
 * ({@link selectRuns}, {@link selectRun}), the run before a run ({@link previousRun}), the
 * failures of runs in one of two orders ({@link failures}), a run's flows counted by verdict
 * ({@link runVerdictCounts}), a run's status ({@link runStatus}) and the worst state inside a flow
 * or a set of flows ({@link worstInside}, {@link worstOf}). The CLI and its MCP tools, the
 * Runs and Failures views, the quick pick, the status bar, the decorations, CodeLens and Problems
 * panel, the chat participant, the LM tools, the dashboard view-model and ask.md call these and
 * nothing else for these answers; test/integration/surfaces.test.ts checks that they agree.
 * Pure; never throws.
 */
import { flowPreorder } from '../model/walk';
import type { FlowNode, Run, RunStatus, TraceEvent, Verdict } from '../model/types';
import { forEachFlow, type FlowFacts } from '../model/flowFacts';

// ---------------------------------------------------------------------------------------------
// Order

/**
 * Runs newest first: by start time (descending), then id (descending); runs without a start time
 * last. This is the order of every run list (Runs view, CLI `runs`, quick pick, dashboard).
 */
export function runsNewestFirst(runs: Iterable<Run>): Run[] {
  return [...runs].sort(newestFirst);
}

/** Comparator of {@link runsNewestFirst}. */
export function newestFirst(a: Run, b: Run): number {
  const sa = a.started ?? -Infinity;
  const sb = b.started ?? -Infinity;
  if (sa !== sb) return sb - sa;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The newest run: `latestId` when it names one of `runs` (`.autodev/latest`), else the first of {@link runsNewestFirst}. */
export function latestRun(runs: readonly Run[], latestId?: string): Run | undefined {
  if (latestId !== undefined) {
    for (const r of runs) if (r.id === latestId) return r;
  }
  let best: Run | undefined;
  for (const r of runs) if (!best || newestFirst(r, best) < 0) best = r;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Previous run

/**
 * The run before `run`: among `runs` of the **same dialect** (a flowscribe 0.1 recording is never
 * compared with its v1 twin of the same day), the newest one that **started before** it (equal
 * start times: the smaller id). Undefined when `run` has no start time, or none is earlier.
 * `run` need not be among `runs`.
 */
export function previousRun(runs: readonly Run[], run: Run): Run | undefined {
  if (run.started === undefined) return undefined;
  let best: Run | undefined;
  for (const r of runs) {
    if (r === run || r.dialect !== run.dialect || r.started === undefined) continue;
    if (newestFirst(r, run) <= 0) continue; // not older than `run`
    if (!best || newestFirst(r, best) < 0) best = r;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Selection

/** Options of {@link selectRuns}. */
export interface SelectOptions {
  /** The run `latest` names when present (`.autodev/latest`); else the newest run. */
  latestId?: string;
}

/** What a selector named: the runs (newest first), or why none. */
export interface Selected {
  runs: Run[];
  /** Set when no run matched: a sentence naming the selector (trace text: escape it at the edge). */
  miss?: string;
}

/** Words of the selector grammar (see {@link selectRuns}). */
export const SELECTOR_HELP = "'latest', 'previous', 'all', '@N' (N-th newest, @0 = newest), a run id or a unique prefix of one";

/**
 * The runs a selector names — one grammar for the CLI `--run`/`--compare`, the chat's `run:`,
 * the LM tools' `runId`, the dashboard and the commands that take a run id:
 * 1. a run id, exactly (always wins, so a run named `latest` or `@1` is still reachable);
 * 2. `all`: every run, newest first;
 * 3. `latest`: {@link latestRun};
 * 4. `previous`: {@link previousRun} of `latest`;
 * 5. `@N`: the N-th run of {@link runsNewestFirst}, `@0` being the newest;
 * 6. else a prefix of exactly one run id.
 * An empty selector names nothing.
 */
export function selectRuns(runs: readonly Run[], selector: string, opts: SelectOptions = {}): Selected {
  for (const r of runs) if (r.id === selector) return { runs: [r] };
  if (selector === 'all') return { runs: runsNewestFirst(runs) };
  if (!runs.length) return { runs: [], miss: 'no runs' };
  if (selector === 'latest' || selector === 'previous') {
    const latest = latestRun(runs, opts.latestId) as Run;
    if (selector === 'latest') return { runs: [latest] };
    const prev = previousRun(runs, latest);
    return prev ? { runs: [prev] } : { runs: [], miss: `no run before the latest run '${latest.id}' of the same dialect (${latest.dialect})` };
  }
  const at = /^@(\d{1,6})$/.exec(selector);
  if (at) {
    const r = runsNewestFirst(runs)[Number(at[1])];
    return r ? { runs: [r] } : { runs: [], miss: `no run '${selector}' (${runs.length} run${runs.length === 1 ? '' : 's'})` };
  }
  if (selector === '') return { runs: [], miss: 'no run given' };
  const hits = runs.filter((r) => r.id.startsWith(selector));
  if (hits.length === 1) return { runs: hits };
  return { runs: [], miss: hits.length > 1 ? `run '${selector}' is ambiguous (a prefix of ${hits.length} runs)` : `no run '${selector}'` };
}

/** The one run a selector names (see {@link selectRuns}); `all` names one run only when there is one. */
export function selectRun(runs: readonly Run[], selector: string, opts: SelectOptions = {}): Run | undefined {
  const s = selectRuns(runs, selector, opts);
  return s.runs.length === 1 ? s.runs[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Failures

/**
 * One failure: a flow whose verdict is failed/exception, or — outside any flow — a
 * failure/exception event or an error-severity event ({@link isErrorEvent}).
 */
export interface Failure {
  run: Run;
  /**
   * The failing flow; undefined for an event outside any flow. The flow object when the run's
   * flows are made, else what the cold index's columns say of it then (no flow object is made:
   * listing a big run's failures does not make its ~300k flows; `run.flows.get(flow.id)` does).
   */
  flow?: FailingFlow;
  /**
   * The flow's verdict event, or the flowless event. An error-severity event is given as
   * {@link asFailureEvent} makes it: its class from its code or type, its reason from its message.
   */
  event: TraceEvent;
}

/**
 * `oldest`: by event time, oldest first (untimed last), ties in run order then flow order — the
 * CLI's `failures`, ask.md. `newest`: newest run first ({@link newestFirst}), runs that share a
 * start time merged; within that, newest event first (untimed last) — the Failures view, the LM
 * tools and `@flowlens /failures`.
 */
export type FailureOrder = 'oldest' | 'newest';

/** A failing verdict: `failed` or `exception` (an orphaned or running flow has not failed). */
export function isFailing(v: Verdict): v is 'failed' | 'exception' {
  return v === 'failed' || v === 'exception';
}

/**
 * An error-severity event (`severity` error or critical, after `parseSeverity`: `err`, `fatal`,
 * `crit` … in any case) that is not a verdict type: e.g. esper-lite's `GOVERNOR_ROLLBACK`
 * (formats.md §6). Outside any flow it is a failure (issue 16); inside a flow the flow's verdict
 * decides.
 */
export function isErrorEvent(e: TraceEvent): boolean {
  return (e.severity === 'error' || e.severity === 'critical') && e.type !== 'failure' && e.type !== 'exception' && e.type !== 'success';
}

const asFailure = new WeakMap<TraceEvent, TraceEvent>();

/**
 * The event as a failure every surface can show: an {@link isErrorEvent} gets a class (its
 * `failure_class`, else a string `code`, else its type: `GOVERNOR_ROLLBACK`) and a reason (its
 * reason, else its `message`, else a string `data.reason`); the same object for the same event.
 * Any other event is returned as it is.
 */
export function asFailureEvent(e: TraceEvent): TraceEvent {
  if (!isErrorEvent(e)) return e;
  let out = asFailure.get(e);
  if (!out) {
    const code = typeof e.extra.code === 'string' && e.extra.code ? e.extra.code : undefined;
    const data = e.data as Record<string, unknown> | null | undefined;
    const dataReason = data && typeof data === 'object' && typeof data.reason === 'string' ? data.reason : undefined;
    out = { ...e, failureClass: e.failureClass ?? code ?? e.type, reason: e.reason ?? e.message ?? dataReason };
    asFailure.set(e, out);
  }
  return out;
}

/** A run's version as far as these queries can tell: it changes whenever an event is read or the reader settles the run. */
function runStamp(run: Run): string {
  return `${run.status}|${run.flows.size}|${run.counts?.total ?? run.events.length}`;
}

const failuresMemo = new WeakMap<Run, { stamp: string; list: Failure[] }>();

/**
 * The failures of one run in flow order: every flow whose (last) verdict is `failed` or
 * `exception`, with its verdict event — a retried flow that failed and then succeeded is not a
 * failure, as in the Runs view — then every `failure`/`exception` event and every error-severity
 * event ({@link isErrorEvent}, as {@link asFailureEvent}) that belongs to no flow of the run. The
 * flowless scan stops once the run's kept counts say every such event was seen. Memoised per run
 * version; the list is shared: do not change it.
 */
export function runFailures(run: Run): Failure[] {
  const stamp = runStamp(run);
  const memo = failuresMemo.get(run);
  if (memo && memo.stamp === stamp) return memo.list;
  const list = computeRunFailures(run);
  failuresMemo.set(run, { stamp, list });
  return list;
}

function computeRunFailures(run: Run): Failure[] {
  const out: Failure[] = [];
  let failing = 0;
  /** Failing verdict events with an error severity: the usual error events of a flowscribe run. */
  let errorVerdicts = 0;
  forEachFlow(run, (f) => {
    if (!isFailing(f.verdict)) return;
    failing++;
    const event = f.verdictEvent;
    if (event) out.push({ run, flow: f.keep === undefined ? f : failingFlow(f), event });
    if (event?.severity === 'error' || event?.severity === 'critical') errorVerdicts++;
  });
  // Events outside flows. A run that keeps counts (indexed, capped) says how many failure,
  // exception and error-severity events it has: none beyond its failing flows' verdicts (their
  // number, and their number with an error severity) means no walk (walking an indexed run's
  // events parses its file), and the walk stops once all of them were seen (an event both typed
  // and error-severity is counted twice there: the walk may only go further than needed).
  const c = run.counts;
  const typed = c ? (c.byType.failure ?? 0) + (c.byType.exception ?? 0) : Infinity;
  const errors = c ? (c.bySeverity.error ?? 0) + (c.bySeverity.critical ?? 0) : Infinity;
  if (typed > failing || errors > errorVerdicts) {
    const total = typed + errors;
    let seen = 0;
    for (const event of run.events) {
      const isTyped = event.type === 'failure' || event.type === 'exception';
      const isError = !isTyped && isErrorEvent(event);
      if (!isTyped && !isError && event.severity !== 'error' && event.severity !== 'critical') continue;
      if ((isTyped || isError) && (event.flowId === undefined || !run.flows.has(event.flowId))) out.push({ run, event: asFailureEvent(event) });
      if (++seen >= total) break;
    }
  }
  return out;
}

/** What a failure says of its flow ({@link Failure.flow}). */
export type FailingFlow = Pick<FlowFacts, 'id' | 'runId' | 'name' | 'displayName' | 'verdict' | 'started' | 'ended' | 'durationMs'>;

/** The fields of a column cursor's flow, copied (the cursor moves on). */
function failingFlow(f: FlowFacts): FailingFlow {
  return { id: f.id, runId: f.runId, name: f.name, displayName: f.displayName, verdict: f.verdict, started: f.started, ended: f.ended, durationMs: f.durationMs };
}

/** Failures of the runs (see {@link runFailures}) in one order. */
export function failures(runs: readonly Run[], order: FailureOrder = 'oldest'): Failure[] {
  return orderFailures(runs.map(runFailures), order);
}

/**
 * Per-run failure lists (each from {@link runFailures}, e.g. cached by a view) put in `order`.
 * `oldest`: lists in the order given. `newest`: runs newest first.
 */
export function orderFailures(perRun: readonly (readonly Failure[])[], order: FailureOrder): Failure[] {
  return orderFailuresBy(perRun, order, (f) => f.run.started, (f) => f.event.ts);
}

/**
 * {@link orderFailures} for a surface's own rows (e.g. the Failures view's occurrences, which
 * carry a folder): `runStarted` and `ts` read a row's run start and event time.
 */
export function orderFailuresBy<T>(
  perRun: readonly (readonly T[])[],
  order: FailureOrder,
  runStarted: (x: T) => number | undefined,
  ts: (x: T) => number | undefined,
): T[] {
  const tagged: { x: T; i: number; s: number; t: number }[] = [];
  let i = 0;
  for (const list of perRun) for (const x of list) tagged.push({ x, i: i++, s: runStarted(x) ?? -Infinity, t: ts(x) ?? NaN });
  if (order === 'oldest') {
    // Untimed last; equal times (and untimed ones) keep input order.
    tagged.sort((a, b) => (Number.isNaN(a.t) ? Infinity : a.t) - (Number.isNaN(b.t) ? Infinity : b.t) || a.i - b.i);
  } else {
    tagged.sort((a, b) => {
      if (a.s !== b.s) return b.s - a.s;
      return (Number.isNaN(b.t) ? -Infinity : b.t) - (Number.isNaN(a.t) ? -Infinity : a.t) || a.i - b.i;
    });
  }
  return tagged.map((e) => e.x);
}

// ---------------------------------------------------------------------------------------------
// Verdict counts and status

/** Flow instances by verdict; `total` = every instance. */
export interface VerdictCounts {
  total: number;
  succeeded: number;
  failed: number;
  exceptions: number;
  orphaned: number;
  running: number;
}

/** A run's flows counted by verdict (read from the cold index's columns while the flows are columns). */
export function runVerdictCounts(run: Run): VerdictCounts {
  const c: VerdictCounts = { total: 0, succeeded: 0, failed: 0, exceptions: 0, orphaned: 0, running: 0 };
  forEachFlow(run, (f) => countVerdict(c, f.verdict));
  return c;
}

function countVerdict(c: VerdictCounts, v: Verdict): void {
  c.total++;
  switch (v) {
    case 'succeeded':
      c.succeeded++;
      break;
    case 'failed':
      c.failed++;
      break;
    case 'exception':
      c.exceptions++;
      break;
    case 'orphaned':
      c.orphaned++;
      break;
    case 'running':
      c.running++;
      break;
  }
}

/**
 * The status every surface shows for a run (issue 16): `running` and `crashed` as the reader
 * settled them (liveness); otherwise `failed` when the producer said so **or any flow failed or
 * raised** (a v1 `session_end` with status ok over a failed flow is not ok), else `ok`.
 */
export function runStatus(run: Run): RunStatus {
  const s = run.status;
  if (s === 'running' || s === 'crashed' || s === 'failed') return s;
  let failing = false;
  forEachFlow(run, (f) => (failing = isFailing(f.verdict)));
  return failing ? 'failed' : 'ok';
}

// ---------------------------------------------------------------------------------------------
// Worst state inside

/** How bad a verdict is, for {@link worstInside}: exception > failed > orphaned > running > succeeded. */
const VERDICT_RANK: Record<Verdict, number> = { succeeded: 0, running: 1, orphaned: 2, failed: 3, exception: 4 };

/** The worse of two verdicts (undefined = none). */
export function worseVerdict(a: Verdict | undefined, b: Verdict | undefined): Verdict | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return VERDICT_RANK[b] > VERDICT_RANK[a] ? b : a;
}

const worstMemo = new WeakMap<Run, { stamp: string; inside: Map<FlowNode, Verdict> }>();

/**
 * The worst verdict among a flow's descendants (children, their children, …), not counting the
 * flow itself; undefined for a flow without children. Like the Testing view and Jaeger, a failure
 * marks every ancestor: the Runs view shows a flow whose own verdict is fine but whose worst
 * inside {@link isFailing} as "contains failures" (issue 16). Computed for the whole run at once
 * (iteratively: a parent chain 100,000 flows deep does not overflow the stack) and memoised per
 * run version.
 */
export function worstInside(run: Run, flow: FlowNode): Verdict | undefined {
  const stamp = runStamp(run);
  let memo = worstMemo.get(run);
  if (!memo || memo.stamp !== stamp) {
    memo = { stamp, inside: computeWorstInside(run) };
    worstMemo.set(run, memo);
  }
  return memo.inside.get(flow);
}

/** The worst state of a set of flows and everything inside them (a path group of the Runs view); undefined for none. */
export function worstOf(run: Run, flows: Iterable<FlowNode>): Verdict | undefined {
  let worst: Verdict | undefined;
  for (const f of flows) worst = worseVerdict(worseVerdict(worst, f.verdict), worstInside(run, f));
  return worst;
}

function computeWorstInside(run: Run): Map<FlowNode, Verdict> {
  // Children before parents: walk the pre-order backwards.
  const { order, parentAt } = flowPreorder(run.roots);
  const inside = new Map<FlowNode, Verdict>();
  for (let i = order.length - 1; i >= 0; i--) {
    const p = parentAt[i];
    if (p < 0) continue;
    const f = order[i];
    const w = worseVerdict(f.verdict, inside.get(f)) as Verdict;
    const parent = order[p];
    inside.set(parent, worseVerdict(inside.get(parent), w) as Verdict);
  }
  return inside;
}
