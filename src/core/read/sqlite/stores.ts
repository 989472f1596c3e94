/**
 * Reading SQLite stores for every surface: `readStore` (one file → a StoreReport with its kind,
 * rows, WAL status and rollups), `readStores` (a file or a folder, for `flowlens stores`),
 * `readFlowscribeDb` (a run folder's `trace.db` → TraceEvents) and a plain-text formatter.
 * Never throws: failures are located {@link StoreError}s in `problems`.
 *
 * `readStore` and `readFlowscribeDb` run the read in a worker thread (pool.ts) under a wall-clock
 * budget (default 30 s; `budget.timeMs`) and the row/byte budget of query.ts, so a hostile store
 * cannot block the calling thread. `inProcess: true` (tests only) reads on the calling thread.
 */
import * as fs from 'node:fs';
import { dict, queryStoreInProcess, readFlowscribeDbInProcess, readStoreInProcess, type FlowscribeDbResult, type QueryResult, type ReadStoreOptions, type StoreReport } from './core';
import { formatBytes, storeSignature, type OpenOptions } from './open';
import { findSqliteWorker, runInWorker } from './pool';
import type { SqlBudget } from './query';
import { discover } from '../discover';

export type { FlowscribeRollup, StoreRollups, StoreReport, ReadStoreOptions, FlowscribeDbResult, QueryResult } from './core';

/** Where a read runs: in a worker (default) or, for unit tests of the core, on the calling thread. */
export interface WorkerChoice {
  /** Read on the calling thread (no time budget between rows … a stuck step blocks it). Tests only. */
  inProcess?: boolean;
  /** The bundled worker script (default: found next to this bundle, see pool.findSqliteWorker). */
  workerScript?: string;
}

/** Plain-data options for the worker (no functions, no class instances). */
function jobOpts(opts: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) if (k !== 'inProcess' && k !== 'workerScript' && typeof v !== 'function' && v !== undefined) out[k] = v;
  return out;
}

/** A record that came back through structured clone, as a null-prototype record again. */
function revive<T>(rec: Record<string, T> | undefined, deep = false): Record<string, T> | undefined {
  if (!rec || typeof rec !== 'object') return rec;
  const out = dict<T>();
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    out[k] = (deep ? revive(v as unknown as Record<string, unknown>) : v) as T;
  }
  return out;
}

function reviveReport(r: StoreReport): StoreReport {
  const ro = r.rollups;
  if (ro?.pulse) {
    ro.pulse.byType = revive(ro.pulse.byType)!;
    ro.pulse.bySource = revive(ro.pulse.bySource)!;
    ro.pulse.stopReasons = revive(ro.pulse.stopReasons)!;
    ro.pulse.verification.byTarget = revive(ro.pulse.verification.byTarget)!;
  }
  if (ro?.brainstem) {
    ro.brainstem.byStatus = revive(ro.brainstem.byStatus)!;
    ro.brainstem.bySource = revive(ro.brainstem.bySource)!;
    ro.brainstem.bySourceStatus = revive(ro.brainstem.bySourceStatus, true)!;
  }
  if (ro?.flowscribe) ro.flowscribe.byType = revive(ro.flowscribe.byType)!;
  return r;
}

/** Read one store (in a worker): open (WAL applied), detect its kind by schema, compute its rollups. */
export async function readStore(file: string, opts: ReadStoreOptions & WorkerChoice = {}): Promise<StoreReport> {
  const script = opts.inProcess ? undefined : findSqliteWorker(opts.workerScript);
  if (!script) return readStoreInProcess(file, opts);
  const r = await runInWorker(script, { op: 'readStore', file, opts: jobOpts(opts) }, { timeMs: opts.budget?.timeMs, memoryCapBytes: opts.memoryCapBytes });
  if (r.ok) return reviveReport(r.value as StoreReport);
  let sizeBytes = 0;
  try {
    const st = fs.statSync(file);
    if (st.isFile()) sizeBytes = st.size;
  } catch {
    // reported in problems
  }
  return { path: file, rows: 0, walApplied: false, sizeBytes, signature: storeSignature(file), problems: [r.error] };
}

/**
 * A run folder's flowscribe `trace.db` (§2) as TraceEvents (read in a worker), like the JSONL
 * reader gives. A file that cannot be read, or is not a flowscribe sink, gives no events and an `error`.
 */
export async function readFlowscribeDb(file: string, opts: OpenOptions & { budget?: SqlBudget } & WorkerChoice = {}): Promise<FlowscribeDbResult> {
  const script = opts.inProcess ? undefined : findSqliteWorker(opts.workerScript);
  if (!script) return readFlowscribeDbInProcess(file, opts);
  const r = await runInWorker(script, { op: 'readFlowscribeDb', file, opts: jobOpts(opts) }, { timeMs: opts.budget?.timeMs, memoryCapBytes: opts.memoryCapBytes });
  if (r.ok) return r.value as FlowscribeDbResult;
  return { events: [], malformed: [], error: r.error };
}

/** One read-only statement on a store, in the worker, its rows under the budget (tools and tests). */
export async function queryStore(file: string, sql: string, opts: OpenOptions & { budget?: SqlBudget } & WorkerChoice = {}): Promise<QueryResult> {
  const script = opts.inProcess ? undefined : findSqliteWorker(opts.workerScript);
  if (!script) return queryStoreInProcess(file, sql, opts);
  const r = await runInWorker(script, { op: 'query', file, sql, opts: jobOpts(opts) }, { timeMs: opts.budget?.timeMs, memoryCapBytes: opts.memoryCapBytes });
  return r.ok ? (r.value as QueryResult) : { rows: [], problems: [r.error] };
}

/**
 * SQLite stores under `root`: the workspace discovery's own (src/core/read/discover.ts — `sqlite`
 * stores and flowscribe `trace.db` sinks, by name, with its skipped folders and bounds), so the
 * CLI's `stores` lists exactly what the editor's Telemetry view and dashboard read (issue 14: one
 * definition). Path order.
 */
export function findStores(root: string): string[] {
  return discover(root)
    .sources.filter((s) => s.kind === 'sqlite' || s.kind === 'trace-db')
    .map((s) => s.file)
    .sort();
}

/**
 * `flowlens stores [PATH]`: one report per store in a file or folder (default: cwd). For a folder,
 * it is the root every store (and side file) must resolve inside, unless `opts.root` says otherwise.
 */
export async function readStores(target: string, opts: ReadStoreOptions & WorkerChoice = {}): Promise<StoreReport[]> {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(target);
  } catch {
    st = undefined;
  }
  if (!st) {
    return [{ path: target, rows: 0, walApplied: false, sizeBytes: 0, signature: '-|-', problems: [{ file: target, kind: 'io', message: `${target}: no such file or folder` }] }];
  }
  const files = st.isDirectory() ? findStores(target) : [target];
  const o = st.isDirectory() && opts.root === undefined ? { ...opts, root: target } : opts;
  const out: StoreReport[] = [];
  for (const f of files) out.push(await readStore(f, o));
  return out;
}

const pct = (n: number | undefined): string => (n === undefined ? '–' : `${n.toFixed(1)}%`);
const top = (rec: Record<string, number>, n = 6): string =>
  Object.entries(rec)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([k, v]) => `${k || '""'} ${v}`)
    .join(', ');

/** Plain-text rendering of store reports for the CLI (`--json` prints the reports instead). */
export function formatStoreReports(reports: readonly StoreReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const wal = r.walApplied ? `WAL applied (${r.wal?.framesApplied} frames${r.wal?.framesIgnored ? `, ${r.wal.framesIgnored} ignored` : ''})` : 'WAL: no';
    lines.push(`${r.path}  ${r.kind ?? 'unreadable'}  ${r.rows} rows  ${wal}  ${formatBytes(r.sizeBytes)}`);
    for (const p of r.problems) lines.push(`  ! ${p.kind}: ${p.message}`);
    const ro = r.rollups;
    if (ro?.pulse) {
      const p = ro.pulse;
      lines.push(`  by type: ${top(p.byType)}`);
      lines.push(`  by source: ${top(p.bySource)}`);
      for (const ph of p.phases) lines.push(`  phase ${JSON.stringify(ph.phase)}: ${ph.closes} closes, ${ph.tasksDone} tasks done, ${ph.taskCloses} task closes`);
      lines.push(`  stop reasons: ${top(p.stopReasons)}`);
      const v = p.verification.overall;
      lines.push(`  verification: ${v.passed}/${v.total} passed (${pct(v.rate === undefined ? undefined : v.rate * 100)})`);
      for (const u of p.unsupported) lines.push(`  unsupported: ${u.type} v${u.version} ×${u.count}`);
    }
    if (ro?.sovereignty) {
      const s = ro.sovereignty;
      lines.push(`  sovereignty: ${s.layers.map((l) => `${l.layer} ${pct(l.percent)} (${l.sovereign}/${l.total})`).join(', ')}`);
      lines.push(`  cost: $${s.costUsd.toFixed(4)} over ${s.window.hours.toFixed(2)} h = $${(s.costPerHour ?? 0).toFixed(4)}/h; ${s.apiCalls} api calls`);
      lines.push(`  sessions: ${s.sessions.map((x) => `${x.sessionId}${x.live ? ' (live)' : ''} skills ${x.skillsCrystallized}`).join(', ')}`);
    }
    if (ro?.brainstem) {
      const b = ro.brainstem;
      lines.push(`  by status: ${top(b.byStatus)}; by source: ${top(b.bySource)}`);
      for (const f of b.failureReasons) lines.push(`  failures: ${f.status} ×${f.count}: ${f.reason ?? '(no reason)'}`);
      for (const g of b.topSignatures.slice(0, 5)) lines.push(`  signature ${g.key ?? g.id}: ${g.occurrences}`);
      lines.push(`  candidates: ${b.candidatesByBand.map((c) => `${c.band} ${c.count}`).join(', ') || 'none'}`);
    }
    if (ro?.flowscribe) {
      const f = ro.flowscribe;
      lines.push(`  flowscribe events: ${f.events} (${f.malformed} malformed); ${top(f.byType)}`);
    }
    if (r.kind === 'generic' && !r.mapping) {
      for (const t of r.tables ?? []) {
        if (t.type === 'view' || t.type === 'virtual') lines.push(`  ${t.type === 'view' ? 'view' : 'virtual table'} ${t.name}: not read`);
        else lines.push(`  table ${t.name}: ${t.rows ?? '?'} rows (${t.columns.join(', ')})`);
      }
    }
  }
  return lines.join('\n');
}
