/**
 * What the CLI asks of the trace core, as plain snake_case rows for `--json` (docs/cli.md).
 * Loading, counting, percentiles, validation and store reading all happen in `src/core`; this
 * module only selects runs, renames fields and converts times to ISO strings.
 */
import { sqliteReaders } from '../core/read/sqlite/readers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IndexCacheOptions } from '../core/read/index/persist';
import { forTerminal } from '../core/render/egress/surfaces';
import { loadCatalog, validateAgainstRuns, type Catalog, type Problem } from '../core/read/catalog';
import type { Malformed, Run, TraceEvent } from '../core/model/types';
import { PathMapper } from '../core/read/pathmap';
import { buildAskMd } from '../core/render/ask';
import { askContextFor, buildSummaryMd } from '../core/render/askArtifacts';
import { diffRuns, redactChange, type EvidenceChange, type FlowDiffEntry, type FlowSide } from '../core/analyze/diff';
import { redactChromeTrace, toChromeTrace, toMermaid } from '../core/render/export';
import { toOtlp, type OtlpTraceRequest } from '../core/render/otlp';
import pkg from '../../package.json';
import { REDACTED, Redactor, type RedactOptions } from '../core/render/egress/redact';
import { eventSecrets, runsRedactor } from '../core/render/egress/secrets';
import { eventCounts, flowRollups, latencyHistograms, pulseRollup, type FlowRollup, type PulseRollup } from '../core/analyze/rollup';
import { failures, runStatus, selectRuns as select, runVerdictCounts } from '../core/analyze/queries';
import { readStores } from '../core/read/sqlite/stores';
import { workspaceOf } from '../core/read/discover';
import { runNotesText } from '../core/render/runNotes';
import { TraceWorkspace } from '../core/read/workspace';
import { mermaidLabel, scrubDoc, storeScoped } from './egress';
import { CliError } from './errors';
import { iso, toJson } from './output';
import { DEPTH_MARK, MAX_VALUE_DEPTH, record, recordOf, setOwn } from '../core/model/bounded';
import { releaseWorker, type PooledWorker } from '../core/read/index/workerPool';
import { cliCacheDir } from './cacheDir';

/** Where bin.ts leaves the index worker it started (the same symbol as bin.ts's PREWARMED_WORKER). */
const PREWARMED_WORKER = Symbol.for('flowlens.cli.prewarmedIndexWorker');

/** The loaded PATH: a workspace folder or one file. */
export interface Loaded {
  /** The folder, or the file given. */
  root: string;
  /** Newest first. */
  runs: Run[];
  malformed: Malformed[];
  /** Source read errors and discovery problems (each names its file): a store over its row budget, an unreadable file. */
  problems: string[];
  envelopes: TraceEvent[];
  catalog: Catalog;
  /** Where ra.yaml/flows.yaml and source files are looked up (the folder, or the file's workspace). */
  base: string;
  pathMap: PathMapper;
  /** `.autodev/latest` target, when a folder names one. */
  latest?: Run;
}

/** PATH (default: cwd) made absolute; exit 1 when it does not exist. */
export function existing(p: string | undefined): string {
  const root = path.resolve(p ?? '.');
  if (!fs.existsSync(root)) throw new CliError(`no such file or directory: ${p ?? root}`);
  return root;
}

/**
 * Where the CLI keeps the persisted index of big traces (src/core/read/index/persist.ts;
 * docs/cli.md "Index cache"): the CLI's cache folder (cacheDir.ts), never inside the workspace.
 * `--no-cache` (`cache: false`) turns it off.
 */
export function cliIndexCache(env: NodeJS.ProcessEnv, cache = true): IndexCacheOptions | undefined {
  if (!cache) return undefined;
  const dir = cliCacheDir(env);
  if (dir === undefined) return undefined;
  // A cache that cannot be used or written is said once on stderr; the command goes on.
  // Eager: written while the command computes its output (no UI thread to keep free).
  return { dir, eager: true, log: (m) => { if (/not used|not written/.test(m)) process.stderr.write(`flowlens: ${forTerminal(m, undefined, 500)}\n`); } };
}

/**
 * The index worker bin.ts started before this bundle was loaded (a big trace file on the command
 * line), put in the pool the index takes its workers from (workerPool.ts).
 */
function adoptPrewarmedWorker(): void {
  const g = globalThis as Record<symbol, unknown>;
  const w = g[PREWARMED_WORKER] as PooledWorker | undefined;
  if (!w) return;
  delete g[PREWARMED_WORKER];
  releaseWorker(w);
}

/** Load PATH (default: cwd). Exit 1 when it does not exist. `cache: false` = `--no-cache`. */
export async function open(p: string | undefined, o: { cache?: boolean } = {}): Promise<Loaded> {
  const root = existing(p);
  const st = fs.statSync(root);
  if (!st.isDirectory() && !st.isFile()) throw new CliError(`not a file or folder: ${p ?? root}`);
  // One pipeline for a folder and for one file: TraceWorkspace.forFile reads the file as it is
  // read with its folder (same run ids, dialects, 0.1 flow names, cold index for a big file).
  // trace.db run folders and stores are read like the extension reads them (sql.js, read-only).
  const base = st.isDirectory() ? root : workspaceOf(root);
  adoptPrewarmedWorker();
  // The cold index records which lines may hold a secret, so the run-scoped redactor
  // (redactorFor) decodes only those lines again, not every event (src/core/read/secretHint.ts);
  // its worker keeps normal priority (no UI thread to yield to: the scan is what the CLI waits on).
  // Flow objects are made only if a command reads them (`flows` reads the columns' rollups).
  const opts = { final: true, env: process.env, readers: sqliteReaders({ root: base }), index: { hints: true, background: false }, indexCache: cliIndexCache(process.env, o.cache) };
  const ws = st.isDirectory() ? new TraceWorkspace(root, opts) : TraceWorkspace.forFile(root, opts);
  await ws.load({ final: true });
  return {
    root, base, runs: ws.runs(), malformed: ws.malformed(), problems: ws.problems(), envelopes: ws.envelopes,
    catalog: ws.catalog ?? loadCatalog(base, { env: process.env }), pathMap: ws.pathMap, latest: ws.getRun('latest'),
  };
}

/**
 * Runs for `--run` (newest first), by the one selector grammar of src/core/analyze/queries.ts:
 * a run id, `all`, `latest`, `previous`, `@N` or a unique prefix. Exit 1 when none matches.
 */
export function selectRuns(ws: Loaded, sel: string): Run[] {
  const runs = ws.runs;
  const s = select(runs, sel, { latestId: ws.latest?.id });
  if (s.miss === undefined) return s.runs;
  if (!runs.length) throw new CliError(`no runs found in ${ws.root}`);
  if (sel === 'previous') throw new CliError(noPreviousMessage(ws));
  const known = runs.slice(0, 5).map(x => x.id).join(', ');
  throw new CliError(`${s.miss} in ${ws.root} (newest: ${known}${runs.length > 5 ? ', …' : ''})`);
}

export interface RunRow {
  id: string;
  status: string;
  started: string | null;
  ended: string | null;
  app: string | null;
  mode: string | null;
  dialect: string;
  sources: string[];
  flows: { total: number; succeeded: number; failed: number; exceptions: number; orphaned: number; running: number };
  /** Events read for the run (held in memory or not). */
  events: number;
  malformed: number;
  /** Lines kept with a located warning (e.g. `timestamp out of range`), listed in the document's `warnings`. */
  warnings: number;
  /** The run's events were released to keep its source within `flowlens.maxEventsPerSource`. */
  summarised: boolean;
  /** How the cap applies to the run; null when every event is held (see docs/cli.md). */
  capped: { mode: 'summarised' | 'capped'; events_kept: number; events_not_kept: number; limit: number } | null;
  /** How the run was read (dedup, 0.1 flow names, cap, …), in the words of core/render/runNotes.ts. */
  notes: string[];
}

/** One run as a row; identifiers redacted unless `redact` is false. */
export function runRow(ws: Loaded, r: Run, opts: { redact: boolean }): RunRow {
  const id = identFor(ws, opts.redact);
  return {
    id: id(r.id), status: runStatus(r), started: iso(r.started), ended: iso(r.ended), app: nullable(id, r.app), mode: nullable(id, r.mode),
    dialect: r.dialect, sources: r.sources.map(id), flows: runVerdictCounts(r), events: r.counts?.total ?? r.events.length, malformed: r.malformed.length, warnings: r.warnings?.length ?? 0,
    summarised: r.cap?.mode === 'summarised',
    capped: r.cap ? { mode: r.cap.mode, events_kept: r.cap.kept, events_not_kept: r.cap.notKept, limit: r.cap.limit } : null,
    notes: runNotesText(r).map((n) => redactorFor(ws, opts.redact)?.string(n) ?? n),
  };
}

/** Malformed lines: the reason can quote the line (V8's JSON error does), so it is redacted too. */
/** Located warnings of the runs' kept lines (e.g. `timestamp out of range`), in run order. */
export function warnings(ws: Loaded, runs: readonly Run[], opts: { redact: boolean } = { redact: true }): { run: string; file: string; line: number; reason: string }[] {
  const red = redactorFor(ws, opts.redact);
  const id = identFor(ws, opts.redact);
  return runs.flatMap(r => (r.warnings ?? []).map(w => ({
    run: id(r.id), file: red ? red.identifier(w.file) : w.file, line: w.line, reason: red ? red.string(w.reason) : w.reason,
  })));
}

export function malformed(ws: Loaded, opts: { redact: boolean } = { redact: true }): { file: string; line: number; reason: string }[] {
  const red = redactorFor(ws, opts.redact);
  return ws.malformed.map(m => ({ file: red ? red.identifier(m.file) : m.file, line: m.line, reason: red ? red.string(m.reason) : m.reason }));
}

export interface FlowRow {
  name: string;
  instances: number;
  succeeded: number;
  failed: number;
  exceptions: number;
  orphaned: number;
  running: number;
  success_rate: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  max_ms: number | null;
  sla_p95_ms: number | null;
  sla_breached: boolean;
  failure_classes: Record<string, number>;
}

const num = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

function flowRow(f: FlowRollup, id: Ident): FlowRow {
  return {
    name: id(f.flow), instances: f.instances, succeeded: f.succeeded, failed: f.failed, exceptions: f.exceptions, orphaned: f.orphaned,
    running: f.running, success_rate: num(f.successRate), p50_ms: num(f.p50Ms), p95_ms: num(f.p95Ms), max_ms: num(f.maxMs),
    sla_p95_ms: num(f.slaP95Ms), sla_breached: f.slaBreached, failure_classes: recordOf(f.failureClasses),
  };
}

export function flowRows(ws: Loaded, runs: Run[], opts: { redact: boolean }): FlowRow[] {
  const id = identFor(ws, opts.redact);
  // A row has no histogram (docs/cli.md): none is made.
  return flowRollups(runs, { catalog: ws.catalog, histograms: false }).map(f => flowRow(f, id));
}

export interface FailureRow {
  run: string;
  flow: string | null;
  flow_id: string | null;
  step: string | null;
  event_type: string;
  failure_class: string | null;
  severity: string | null;
  reason: string | null;
  file: string | null;
  line: number | null;
  resolved_file: string | null;
  timestamp: string | null;
  evidence: unknown;
}

/**
 * The failures of the runs (src/core/analyze/queries.ts `failures`: failing flows' verdicts and
 * failure events outside flows), oldest first (events without a time last, in run and flow order).
 */
export function failureRows(ws: Loaded, runs: Run[], opts: { redact: boolean }): FailureRow[] {
  const red = redactorFor(ws, opts.redact);
  const id = identFor(ws, opts.redact);
  return failures(runs, 'oldest').map(({ run, flow, event: e }) => {
    const reason = e.reason ?? e.exception?.message;
    return {
      run: id(run.id),
      flow: nullable(id, e.flow ?? flow?.name),
      flow_id: nullable(id, e.flowId),
      step: nullable(id, e.step),
      event_type: e.type,
      failure_class: nullable(id, e.failureClass),
      severity: e.severity ?? null,
      reason: reason === undefined ? null : red ? red.string(reason) : reason,
      file: nullable(id, e.file),
      line: e.line ?? null,
      resolved_file: e.file ? nullable(id, ws.pathMap.resolve(e.file).path) : null,
      timestamp: iso(e.ts),
      evidence: e.evidence === undefined ? null : red ? red.value(e.evidence) : e.evidence,
    };
  });
}

export interface MetricsDoc {
  counts: { by_type: Record<string, number>; by_severity: Record<string, number>; by_failure_class: Record<string, number>; by_domain: Record<string, number> };
  latency: { flow: string; buckets: { le_ms: number | null; count: number }[] }[];
  pulse: PulseDoc | null;
}

export interface PulseDoc {
  total: number;
  by_type: Record<string, number>;
  by_source: Record<string, number>;
  phases: { phase: string; closes: number; tasks_done: number; task_closes: number; first_closed_at: string | null; last_closed_at: string | null }[];
  stop_reasons: Record<string, number>;
  verification: {
    overall: { total: number; passed: number; rate: number | null };
    by_target: Record<string, { total: number; passed: number; rate: number | null }>;
    by_day: { day: string; total: number; passed: number; rate: number | null }[];
  };
  unsupported: { type: string; version: number; count: number }[];
  recent: { type: string; timestamp: string | null; source: string | null }[];
}

export function metrics(ws: Loaded, runs: Run[], opts: { redact: boolean }): MetricsDoc {
  const id = identFor(ws, opts.redact);
  const c = eventCounts(runs).overall;
  const latency = latencyHistograms(runs, { catalog: ws.catalog }).map(h => ({
    flow: id(h.flow), buckets: h.buckets.map(b => ({ le_ms: b.leMs, count: b.count })),
  }));
  return {
    counts: { by_type: c.byType, by_severity: c.bySeverity, by_failure_class: c.byFailureClass, by_domain: c.byDomain as Record<string, number> },
    latency, pulse: ws.envelopes.length ? pulseDoc(pulseRollup(ws.envelopes)) : null,
  };
}

function pulseDoc(p: PulseRollup): PulseDoc {
  const rate = (r: { total: number; passed: number; rate?: number }) => ({ total: r.total, passed: r.passed, rate: num(r.rate) });
  return {
    total: p.total, by_type: p.byType, by_source: p.bySource,
    phases: p.phases.map(ph => ({
      phase: ph.phase, closes: ph.closes, tasks_done: ph.tasksDone, task_closes: ph.taskCloses,
      first_closed_at: iso(ph.firstClosedAt), last_closed_at: iso(ph.lastClosedAt),
    })),
    stop_reasons: p.stopReasons,
    verification: {
      overall: rate(p.verification.overall),
      by_target: recordOf(Object.entries(p.verification.byTarget).map(([k, v]) => [k, rate(v)] as const)),
      by_day: p.verification.byDay.map(d => ({ day: d.day, ...rate(d) })),
    },
    unsupported: p.unsupported.map(u => ({ type: u.type, version: u.version, count: u.count })),
    recent: p.recent.map(e => ({ type: e.type, timestamp: iso(e.ts), source: e.source ?? null })),
  };
}

export interface ProblemRow {
  file: string;
  line: number | null;
  col: number | null;
  severity: 'error' | 'warning' | 'info';
  message: string;
}

function problemRow(p: Problem): ProblemRow {
  return { file: p.file, line: p.line ?? null, col: p.col ?? null, severity: p.severity, message: p.message };
}

/** Catalog problems (ra.yaml / flows.yaml) plus the catalog checked against the traces. */
export async function validate(ws: Loaded, opts: { redact: boolean } = { redact: true }): Promise<{ problems: ProblemRow[]; errors: number; warnings: number; infos: number }> {
  const red = redactorFor(ws, opts.redact);
  const problems = [...ws.catalog.problems, ...validateAgainstRuns(ws.catalog, ws.runs, ws.base)].map(problemRow)
    .map(p => (red ? { ...p, file: red.identifier(p.file), message: red.string(p.message) } : p));
  const n = (s: ProblemRow['severity']) => problems.filter(p => p.severity === s).length;
  return { problems, errors: n('error'), warnings: n('warning'), infos: n('info') };
}

export interface StoreRow {
  path: string;
  kind: string;
  rows: number;
  wal_applied: boolean;
  size_bytes: number;
  rollups: unknown;
  problems: ProblemRow[];
}

/** camelCase keys → snake_case, epoch-ms times (`…At`, `…Ts`, `ts`) → ISO strings; for store rollups. */
function snake(v: unknown, key = '', depth = 0): unknown {
  if (typeof v === 'number' && /(?:At|Ts|^ts|Time)$/.test(key)) return iso(v);
  if (v === null || typeof v !== 'object' || v instanceof Map || v instanceof Set) return v;
  // Checked before descending (store values are data): deeper levels are cut, never recursed into.
  if (depth >= MAX_VALUE_DEPTH) return DEPTH_MARK;
  if (Array.isArray(v)) return v.map(x => snake(x, '', depth + 1));
  const out = record<unknown>();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === undefined) continue;
    setOwn(out, k.replace(/[A-Z]/g, c => '_' + c.toLowerCase()), snake(x, k, depth + 1));
  }
  return out;
}

/**
 * SQLite stores under the folder (or the file given), read through src/core/read/sqlite/stores.ts;
 * every row scrubbed with `red` ({@link storeRedactor} of the root, undefined for `--no-redact`).
 */
export async function stores(root: string, red: Redactor | undefined): Promise<StoreRow[]> {
  // In a worker under a time/row/byte budget; a folder is the root every store must resolve inside.
  const reports = await readStores(root);
  return reports.map(r => ({
    path: r.path,
    kind: r.kind ?? 'unreadable',
    rows: r.rows,
    wal_applied: r.walApplied,
    size_bytes: r.sizeBytes,
    rollups: r.rollups?.pulse ? { pulse: pulseDoc(r.rollups.pulse) } : snake(r.rollups ?? {}),
    problems: r.problems.map(p => ({ file: p.file, line: null, col: null, severity: 'error' as const, message: `${p.table ? `table ${p.table}: ` : ''}${p.message}` })),
    // Store-scoped: a value redacted in one row is scrubbed from every string of the report (r10).
  })).map((row, i) => scrubDoc(row, red && storeScoped(reports[i], red)));
}

/**
 * The redactor for store output: the default rules plus ra.yaml `privacy` of the workspace the
 * stores are in (a store is not a run: no value-based secrets). Strings are not cut (store
 * rollups are bounded by the store reader).
 */
export function storeRedactor(root: string): Redactor {
  let base = root;
  try {
    base = fs.statSync(root).isDirectory() ? root : workspaceOf(root);
  } catch {
    base = path.dirname(root);
  }
  return new Redactor({ ...privacyOptions(loadCatalog(base, { env: process.env })), payloadLimit: 0 });
}

/** Maps an identifier (run id, app, mode, flow, step, file) for output. */
export type Ident = (s: string) => string;

/**
 * Identifiers as written, unless they hold credential-looking text, which is replaced by
 * `[REDACTED]` (Redactor.identifier); as written for `--no-redact`.
 */
export function identFor(ws: Loaded, redact: boolean): Ident {
  const red = redactorFor(ws, redact);
  return red ? s => red.identifier(s) : s => s;
}

const nullable = (id: Ident, s: string | undefined): string | null => (s === undefined ? null : id(s));

/** ra.yaml `privacy` as redaction options. */
export function privacyOptions(catalog: Catalog): RedactOptions {
  return { redactKeys: catalog.ra.redactKeys, payloadLimit: catalog.ra.payloadLimit };
}

const redactors = new WeakMap<Loaded, Redactor>();

/**
 * The one redactor for everything a command prints about the loaded traces, or undefined for
 * `--no-redact`: run-scoped over every run loaded (egress/secrets.ts `runsRedactor`: a value
 * redacted under a key anywhere — also in a Pulse envelope — is scrubbed from every string),
 * with ra.yaml `privacy` (redact_keys, payload_limit). Built once per load.
 */
export function redactorFor(ws: Loaded, redact: boolean): Redactor | undefined {
  if (!redact) return undefined;
  let red = redactors.get(ws);
  if (!red) {
    const opts = privacyOptions(ws.catalog);
    const envelopeSecrets = new Set<string>();
    const base = new Redactor(opts);
    for (const e of ws.envelopes) eventSecrets(e, base, envelopeSecrets);
    red = runsRedactor(ws.runs, envelopeSecrets.size ? { ...opts, knownSecrets: envelopeSecrets } : opts);
    redactors.set(ws, red);
  }
  return red;
}

/**
 * Why `previous` selects nothing, in words (issue 16 "compare like with like"): runs are only
 * compared with runs of the same dialect (queries.ts previousRun), so say which run is latest,
 * its kind, and which runs of another kind exist — with the command that compares them anyway.
 */
function noPreviousMessage(ws: Loaded): string {
  const runs = ws.runs;
  const latest = select(runs, 'latest', { latestId: ws.latest?.id }).runs[0];
  if (!latest) return `no runs found in ${ws.root}`;
  const others = runs.filter(r => r !== latest && r.dialect !== latest.dialect);
  const head = `the latest run ${latest.id} (${dialectName(latest.dialect)}) has no earlier run of the same kind, and runs are compared like with like`;
  if (!others.length) return `${head}; it is the only run in ${ws.root}`;
  const listed = others.slice(0, 3).map(r => `${r.id} (${dialectName(r.dialect)})`).join(', ');
  return `${head}; runs of another kind: ${listed}${others.length > 3 ? `, … (${others.length})` : ''} — to compare across kinds, name both: flowlens diff ${others[0].id} ${latest.id}`;
}

/** A dialect as people say it: `flowscribe-0.1` → "flowscribe 0.1". */
export function dialectName(dialect: string): string {
  return dialect.replace(/^flowscribe-/, 'flowscribe ');
}

/** One run by the selector grammar ({@link selectRuns}; `previous` = the run before latest, same dialect). Exit 1 when none. */
export function selectOneRun(ws: Loaded, sel: string): Run {
  if (sel === 'all' && !ws.runs.some(r => r.id === 'all')) throw new CliError(`this command compares or reads one run; '--run all' is not supported`, 2);
  return selectRuns(ws, sel)[0];
}

export interface FlowSideRow {
  instances: number;
  failing: number;
  p95_ms: number | null;
  flow_id: string;
  verdict: string;
  failure_class: string | null;
  reason: string | null;
  file: string | null;
  line: number | null;
  resolved_file: string | null;
  evidence: unknown;
}

export interface DiffEntryRow {
  flow: string;
  before: FlowSideRow | null;
  after: FlowSideRow | null;
  changes: { key: string; before: unknown; after: unknown }[];
}

export interface DiffDoc {
  a: string;
  b: string;
  /** The dialects of `a` and `b` (`flowscribe-v1`, `flowscribe-0.1`, …): a diff says what it compared. */
  a_dialect: string;
  b_dialect: string;
  same_dialect: boolean;
  threshold_pct: number;
  new: DiffEntryRow[];
  gone: DiffEntryRow[];
  newly_failing: DiffEntryRow[];
  fixed: DiffEntryRow[];
  still_failing: DiffEntryRow[];
  slower: (DiffEntryRow & { before_p95_ms: number; after_p95_ms: number; change_pct: number | null })[];
}

/** {@link diffRuns} of run `b` against base run `a`, snake_case, evidence redacted unless `redact` is false. */
export function diff(ws: Loaded, a: Run, b: Run, opts: { thresholdPct?: number; redact: boolean }): DiffDoc {
  const red = redactorFor(ws, opts.redact);
  const id = identFor(ws, opts.redact);
  const val = (v: unknown): unknown => (v === undefined ? null : red ? red.value(v) : v);
  const str = (v: string | undefined): string | null => (v === undefined ? null : red ? red.string(v) : v);
  const sideRow = (s: FlowSide | undefined): FlowSideRow | null => s ? {
    instances: s.instances, failing: s.failing, p95_ms: num(s.p95Ms), flow_id: id(s.flowId), verdict: s.verdict,
    failure_class: nullable(id, s.failureClass), reason: str(s.reason), file: nullable(id, s.file), line: s.line ?? null,
    resolved_file: s.file ? nullable(id, ws.pathMap.resolve(s.file).path) : null, evidence: val(s.evidence),
  } : null;
  const change = (c: EvidenceChange): DiffEntryRow['changes'][number] => {
    // An evidence key named like a secret (ra.yaml redact_keys) hides both values (diff.ts redactChange).
    const r = red ? redactChange(c, red) : c;
    return { key: r.key, before: r.before === undefined ? null : r.before, after: r.after === undefined ? null : r.after };
  };
  const entry = (e: FlowDiffEntry): DiffEntryRow => ({ flow: id(e.flow), before: sideRow(e.before), after: sideRow(e.after), changes: e.changes.map(change) });
  const d = diffRuns(a, b, { slowerThresholdPct: opts.thresholdPct });
  return {
    a: id(d.a), b: id(d.b), a_dialect: a.dialect, b_dialect: b.dialect, same_dialect: a.dialect === b.dialect, threshold_pct: d.slowerThresholdPct,
    new: d.new.map(entry), gone: d.gone.map(entry), newly_failing: d.newlyFailing.map(entry), fixed: d.fixed.map(entry),
    still_failing: d.stillFailing.map(entry),
    slower: d.slower.map(e => ({ ...entry(e), before_p95_ms: e.beforeP95Ms, after_p95_ms: e.afterP95Ms, change_pct: num(e.changePct) })),
  };
}

/**
 * One run exported for other tools: Chrome trace-event JSON (reasons redacted, credential-looking
 * names replaced, unless `redact` is false) or a Mermaid flowchart (labels are entity-escaped by
 * export.ts and carry no reasons; credential-looking names replaced unless `redact` is false;
 * control, bidi and zero-width characters stripped either way).
 */
export function exportRun(ws: Loaded, run: Run, format: 'chrome' | 'mermaid', opts: { redact: boolean }): string {
  const red = redactorFor(ws, opts.redact);
  if (format === 'mermaid') return toMermaid(run, { label: (t) => mermaidLabel(t, red) });
  const trace = toChromeTrace(run);
  return toJson(red ? scrubDoc(redactChromeTrace(trace, red), red) : trace) + '\n';
}

/**
 * Runs as an OTLP/JSON `ExportTraceServiceRequest` (src/core/render/otlp.ts `toOtlp`): every
 * string through the command's run-scoped redactor (names and paths as identifiers, reasons,
 * messages and evidence as values), unless `redact` is false; size-bounded either way.
 */
export function exportOtlp(ws: Loaded, runs: readonly Run[], opts: { redact: boolean }): OtlpTraceRequest {
  return toOtlp(runs, { redactor: redactorFor(ws, opts.redact), version: (pkg as { version?: string }).version });
}

/** The flow a `--flow` value names in the run: a flow id, else a flow name. Exit 1 when neither. */
export function checkFlow(run: Run, ref: string): void {
  if (run.flows.has(ref)) return;
  for (const f of run.flows.values()) if (f.name === ref) return;
  throw new CliError(`no flow '${ref}' in run ${run.id} (give a flow id or a flow name)`);
}

/** ask.md (or summary.md) of a run: redacted, deterministic; ask.md capped at `budgetBytes`. */
export function askText(ws: Loaded, run: Run, opts: { flow?: string; budgetBytes?: number; summary?: boolean }): string {
  const red = redactorFor(ws, true) as Redactor;
  const ctx = askContextFor(ws.catalog, { root: ws.base, resolve: f => ws.pathMap.resolve(f), flowId: opts.flow, budgetBytes: opts.budgetBytes });
  // Value-based redaction inside ask.md / summary.md: every value redacted anywhere in the runs.
  const known = [...(red.options.knownSecrets ?? [])];
  if (known.length) ctx.knownSecrets = [...new Set([...(ctx.knownSecrets ?? []), ...known])];
  const text = opts.summary ? buildSummaryMd(run, ctx) : buildAskMd(run, ctx);
  return scrubKnown(text, known);
}

/** Every literal of `secrets` (4+ characters, longest first) in `text` replaced by `[REDACTED]`. */
function scrubKnown(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter(x => x.length >= 4).sort((a, b) => b.length - a.length)) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}
