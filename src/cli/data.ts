/**
 * What the CLI asks of the trace core, as plain snake_case rows for `--json` (docs/cli.md).
 * Loading, counting, percentiles, validation and store reading all happen in `src/trace`; this
 * module only selects runs, renames fields and converts times to ISO strings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError } from './errors';
import { iso } from './output';
import type { Malformed, Run, TraceEvent } from '../trace/model';
import { readSingleFile } from './single';

/** The loaded PATH: a workspace folder or one file. */
export interface Loaded {
  root: string;
  runs: Run[];
  malformed: Malformed[];
  envelopes: TraceEvent[];
}

/** Load PATH (default: cwd). Exit 1 when it does not exist. */
export async function open(p: string | undefined): Promise<Loaded> {
  const root = path.resolve(p ?? '.');
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new CliError(`no such file or directory: ${p ?? root}`);
  }
  if (st.isDirectory()) throw new CliError('workspace folders are not supported yet');
  const s = readSingleFile(root);
  return { root, runs: s.runs, malformed: s.malformed, envelopes: s.envelopes };
}

/** Runs for `--run`: an id, `latest` (newest) or `all` (newest first). Exit 1 for an unknown id. */
export function selectRuns(ws: Loaded, sel: string): Run[] {
  const runs = [...ws.runs].sort((a, b) => (b.started ?? 0) - (a.started ?? 0));
  if (sel === 'all') return runs;
  if (sel === 'latest') {
    if (!runs.length) throw new CliError(`no runs found under ${ws.root}`);
    return [runs[0]];
  }
  const r = runs.find(x => x.id === sel);
  if (!r) throw new CliError(`no run '${sel}' (known: ${runs.slice(0, 5).map(x => x.id).join(', ')}${runs.length > 5 ? ', …' : ''})`);
  return [r];
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
  events: number;
  malformed: number;
}

export function runRow(r: Run): RunRow {
  return {
    id: r.id, status: r.status, started: iso(r.started), ended: iso(r.ended), app: r.app ?? null, mode: r.mode ?? null,
    dialect: r.dialect, sources: r.sources,
    flows: { total: r.flows.size, succeeded: 0, failed: 0, exceptions: 0, orphaned: 0, running: 0 },
    events: r.events.length, malformed: r.malformed.length,
  };
}

export function malformed(ws: Loaded): { file: string; line: number; reason: string }[] {
  return ws.malformed.map(m => ({ file: m.file, line: m.line, reason: m.reason }));
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

export function flowRows(_ws: Loaded, _runs: Run[]): FlowRow[] {
  return [];
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

export function failureRows(_ws: Loaded, _runs: Run[], _opts: { redact: boolean }): FailureRow[] {
  return [];
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
}

export function metrics(_ws: Loaded, _runs: Run[]): MetricsDoc {
  return { counts: { by_type: {}, by_severity: {}, by_failure_class: {}, by_domain: {} }, latency: [], pulse: null };
}

export interface ProblemRow {
  file: string;
  line: number | null;
  col: number | null;
  severity: 'error' | 'warning' | 'info';
  message: string;
}

export async function validate(_ws: Loaded): Promise<{ problems: ProblemRow[]; errors: number; warnings: number; infos: number }> {
  return { problems: [], errors: 0, warnings: 0, infos: 0 };
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

export async function stores(_ws: Loaded): Promise<StoreRow[]> {
  return [];
}
