/**
 * One definition of each question every surface asks of the runs (issue 14, "one concept, one
 * definition"; the rules are in docs/decisions.md): which run a selector names
 * ({@link selectRuns}, {@link selectRun}), the run before a run ({@link previousRun}), the
 * failures of runs in one of two orders ({@link failures}), a run's flows counted by verdict
 * ({@link verdictCounts}) and a run's status ({@link runStatus}). The CLI and its MCP tools, the
 * Runs and Failures views, the quick pick, the status bar, the decorations, CodeLens and Problems
 * panel, the chat participant, the LM tools, the dashboard view-model and ask.md call these and
 * nothing else for these answers; test/integration/surfaces.test.ts checks that they agree.
 * Pure; never throws.
 */
import type { FlowNode, Run, RunStatus, TraceEvent, Verdict } from '../model/types';

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

/** One failure: a flow whose verdict is failed/exception, or a failure/exception event outside any flow. */
export interface Failure {
  run: Run;
  /** The failing flow; undefined for an event outside any flow. */
  flow?: FlowNode;
  /** The flow's verdict event, or the flowless event. */
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
 * The failures of one run in flow order: every flow whose (last) verdict is `failed` or
 * `exception`, with its verdict event — a retried flow that failed and then succeeded is not a
 * failure, as in the Runs view — then every `failure`/`exception` event that belongs to no flow
 * of the run. The flowless scan stops once the run's kept counts say every such event was seen.
 */
export function runFailures(run: Run): Failure[] {
  const out: Failure[] = [];
  let failing = 0;
  for (const flow of run.flows.values()) {
    if (!isFailing(flow.verdict)) continue;
    failing++;
    const event = flow.verdictEvent;
    if (event) out.push({ run, flow, event });
  }
  // Events outside flows. A run that keeps counts (indexed, capped) says how many failure and
  // exception events it has: none beyond its failing flows' verdicts means no walk (walking an
  // indexed run's events parses its file), and the walk stops once all of them were seen.
  const c = run.counts;
  const typed = c ? (c.byType.failure ?? 0) + (c.byType.exception ?? 0) : Infinity;
  if (typed > failing) {
    let seen = 0;
    for (const event of run.events) {
      if (event.type !== 'failure' && event.type !== 'exception') continue;
      if (event.flowId === undefined || !run.flows.has(event.flowId)) out.push({ run, event });
      if (++seen >= typed) break;
    }
  }
  return out;
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

/** Flows counted by verdict (a run's: `verdictCounts(run.flows.values())`). */
export function verdictCounts(flows: Iterable<FlowNode>): VerdictCounts {
  const c: VerdictCounts = { total: 0, succeeded: 0, failed: 0, exceptions: 0, orphaned: 0, running: 0 };
  for (const f of flows) {
    c.total++;
    switch (f.verdict) {
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
  return c;
}

/**
 * The status every surface shows for a run (issue 16): `running` and `crashed` as the reader
 * settled them (liveness); otherwise `failed` when the producer said so **or any flow failed or
 * raised** (a v1 `session_end` with status ok over a failed flow is not ok), else `ok`.
 */
export function runStatus(run: Run): RunStatus {
  const s = run.status;
  if (s === 'running' || s === 'crashed' || s === 'failed') return s;
  for (const f of run.flows.values()) if (isFailing(f.verdict)) return 'failed';
  return 'ok';
}
