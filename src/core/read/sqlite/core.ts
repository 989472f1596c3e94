/**
 * The synchronous core of reading one store, on whatever thread calls it: in production that is
 * the SQLite worker (src/core/read/sqlite/worker.ts, via pool.ts), never the extension host's own
 * thread. `readStoreInProcess` opens (WAL applied), detects the kind from the real tables only,
 * computes rollups under a row/byte/time budget ({@link SqlBudget}) and returns plain data
 * (structured-clone safe: no class instances, no functions). Never throws.
 */
import * as fs from 'node:fs';
import type { Malformed, TraceEvent } from '../../model/types';
import type { PulseRollup } from '../../model/pulse';
import { brainstemRollup, type BrainstemRollup } from './brainstem';
import { detectKind, EXPECTED_TABLES, isRealTable, listTables, mainTable, notATableMessage, type StoreKind, type TableInfo } from './detect';
import { readLegacyRows, readSinkRows } from './flowscribe';
import { checkMapping, mappingMatches, readMapped, type GenericMapping } from './generic';
import { engineError, openStore, storeSignature, type OpenOptions, type StoreError } from './open';
import { pulseStoreEvents, pulseStoreRollup } from './pulseStore';
import { BudgetExceeded, rows, withBudget, type Row, type SqlBudget } from './query';
import { sovereigntyRollup, type SovereigntyOptions, type SovereigntyRollup } from './sovereignty';

export interface FlowscribeRollup {
  events: number;
  malformed: number;
  byType: Record<string, number>;
  runs: string[];
  firstTs?: number;
  lastTs?: number;
}

/** Rollups of a store; exactly one member is set, matching `kind`. */
export interface StoreRollups {
  pulse?: PulseRollup;
  sovereignty?: SovereigntyRollup;
  brainstem?: BrainstemRollup;
  flowscribe?: FlowscribeRollup;
}

export interface StoreReport {
  path: string;
  /** Detected kind; undefined when the file could not be opened (see `problems`). */
  kind?: StoreKind;
  /** Rows of the main table (events / raw_envelopes / the mapped table; all tables for an unmapped generic store). */
  rows: number;
  walApplied: boolean;
  wal?: { framesApplied: number; framesIgnored: number; commits: number; reason?: string };
  /** Main file + `-wal` on disk. */
  sizeBytes: number;
  /** {@link storeSignature} at read time: re-read when it changes. */
  signature: string;
  /** Tables and views (`type`); views and virtual tables are listed, never read. */
  tables?: TableInfo[];
  rollups?: StoreRollups;
  /** Trace events (flowscribe sink, Pulse rows, mapped generic tables) when `includeEvents`. */
  events?: TraceEvent[];
  malformed?: Malformed[];
  /** The generic mapping used, if any. */
  mapping?: GenericMapping;
  problems: StoreError[];
}

export interface ReadStoreOptions extends OpenOptions {
  /** Generic mappings (setting `flowlens.sqlite.mappings`); the first matching one is used. */
  mappings?: readonly GenericMapping[];
  /**
   * Also return TraceEvents for sink / Pulse / mapped stores (default false); a list of kinds
   * returns them only for stores of those kinds (a 1M-row Pulse store is ~1M events).
   */
  includeEvents?: boolean | readonly StoreKind[];
  /**
   * Compute the Pulse / sovereignty / brainstem rollups (default true). The workspace reader turns
   * this off: those stores add no events, and a 1M-row Pulse rollup costs seconds of CPU on every
   * change of the file; the `stores` command and the dashboard's store panels compute them.
   */
  rollups?: boolean;
  /** At most this many events (newest kept) for mapped generic tables. */
  maxEvents?: number;
  /** Pulse `recent` size. */
  recent?: number;
  /** Sovereignty time window. */
  window?: SovereigntyOptions;
  /** Row / byte / time budget of the read (defaults: 1,000,000 rows per query, 256 MB, 16 MB per value, 30 s). */
  budget?: SqlBudget;
}

/** A null-prototype record: keys from store data can never reach Object.prototype. */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function flowscribeRollup(events: readonly TraceEvent[], malformed: number): FlowscribeRollup {
  const byType = dict<number>();
  const runs = new Set<string>();
  let firstTs: number | undefined;
  let lastTs: number | undefined;
  for (const e of events) {
    byType[e.type] = (byType[e.type] ?? 0) + 1;
    if (e.runId) runs.add(e.runId);
    if (e.ts !== undefined) {
      if (firstTs === undefined || e.ts < firstTs) firstTs = e.ts;
      if (lastTs === undefined || e.ts > lastTs) lastTs = e.ts;
    }
  }
  return { events: events.length, malformed, byType, runs: [...runs].sort(), firstTs, lastTs };
}

/** A budget error, or an engine error (quick_check), as a located problem. */
function queryProblem(file: string, e: unknown, db: Parameters<typeof engineError>[2], table?: string): StoreError {
  if (e instanceof BudgetExceeded) return { file, table, kind: 'over-budget', message: `${file}: ${e.message}` };
  const msg = (e as Error)?.message ?? String(e);
  if (/out of memory/i.test(msg)) {
    return { file, table, kind: 'over-budget', message: `${file}${table ? ` (table ${table})` : ''}: a query needed more memory than SQLite is given; stopped` };
  }
  return engineError(file, e, db, table);
}

/** Read one store in this thread: open (WAL applied), detect its kind by schema, compute its rollups. */
export async function readStoreInProcess(file: string, opts: ReadStoreOptions = {}): Promise<StoreReport> {
  const started = Date.now();
  const signature = storeSignature(file);
  const opened = await openStore(file, opts);
  if (!opened.ok) {
    let sizeBytes = 0;
    try {
      const st = fs.statSync(file);
      if (st.isFile()) sizeBytes = st.size;
    } catch {
      // reported in problems
    }
    return { path: file, rows: 0, walApplied: false, sizeBytes, signature, problems: [opened.error] };
  }
  const s = opened.store;
  const report: StoreReport = {
    path: file,
    rows: 0,
    walApplied: s.walApplied,
    wal: s.wal,
    sizeBytes: s.sizeBytes,
    signature,
    problems: [],
  };
  let table: string | undefined;
  const wantEvents = (k: StoreKind): boolean => opts.includeEvents === true || (Array.isArray(opts.includeEvents) && opts.includeEvents.includes(k));
  try {
    const { notes } = withBudget(
      opts.budget,
      () => {
        const all = listTables(s.db, true);
        report.tables = all;
        const tables = all.filter(isRealTable);
        const broken = tables.filter((t) => t.error !== undefined);
        if (broken.length) {
          const qc = engineError(file, new Error(broken[0].error), s.db, broken[0].name);
          for (const t of broken) report.problems.push({ ...qc, table: t.name, message: t === broken[0] ? qc.message : `${file} (table ${t.name}): ${t.error}` });
        }
        const mapping = opts.mappings?.find((m) => mappingMatches(m, file));
        for (const t of all) {
          if (isRealTable(t)) continue;
          const expected = EXPECTED_TABLES.has(t.name.toLowerCase()) || (mapping !== undefined && mapping.table.toLowerCase() === t.name.toLowerCase());
          if (expected) report.problems.push({ file, table: t.name, kind: 'not-a-table', message: notATableMessage(file, t) });
        }
        const kind = detectKind(tables);
        report.kind = kind;
        table = mainTable(kind);
        const main = tables.find((t) => t.name === table);
        report.rows = main?.rows ?? 0;
        if (main?.error !== undefined) return; // already reported, with quick_check
        switch (kind) {
          case 'flowscribe':
          case 'flowscribe-legacy': {
            const r = kind === 'flowscribe' ? readSinkRows(s.db, file) : readLegacyRows(s.db, file, main as TableInfo);
            if (r.stopped !== undefined) report.problems.push({ file, table: 'events', kind: 'over-budget', message: `${file}: ${r.stopped}` });
            report.rollups = { flowscribe: flowscribeRollup(r.events, r.malformed.length) };
            report.malformed = r.malformed;
            if (wantEvents(kind)) report.events = r.events;
            break;
          }
          case 'pulse':
            if (opts.rollups !== false) report.rollups = { pulse: pulseStoreRollup(s.db, file, main, { recent: opts.recent }) };
            if (wantEvents(kind)) report.events = pulseStoreEvents(s.db, file, main);
            break;
          case 'sovereignty':
            if (opts.rollups !== false) report.rollups = { sovereignty: sovereigntyRollup(s.db, opts.window) };
            break;
          case 'brainstem':
            if (opts.rollups !== false) report.rollups = { brainstem: brainstemRollup(s.db, tables) };
            break;
          case 'generic': {
            if (!mapping) {
              report.rows = tables.reduce((a, t) => a + (t.rows ?? 0), 0);
              break;
            }
            report.mapping = mapping;
            const view = all.find((x) => !isRealTable(x) && x.name.toLowerCase() === mapping.table.toLowerCase());
            if (view) break; // reported above: a view is never read
            const bad = checkMapping(file, mapping, tables);
            if (bad) {
              report.problems.push(bad);
              break;
            }
            const t = tables.find((x) => x.name.toLowerCase() === mapping.table.toLowerCase()) as TableInfo;
            table = t.name;
            report.rows = t.rows ?? 0;
            const r = readMapped(s.db, file, mapping, t, opts.maxEvents);
            report.malformed = r.malformed;
            if (wantEvents(kind)) report.events = r.events;
            break;
          }
        }
      },
      started,
    );
    for (const n of notes) report.problems.push({ file, kind: 'over-budget', message: `${file}: ${n}` });
  } catch (e) {
    report.problems.push(queryProblem(file, e, s.db, table));
  } finally {
    s.close();
  }
  return report;
}

export interface FlowscribeDbResult {
  events: TraceEvent[];
  malformed: Malformed[];
  error?: StoreError;
}

/**
 * A run folder's flowscribe `trace.db` (§2) as TraceEvents, in this thread. A file that cannot be
 * read, or is not a flowscribe sink (an `events` view is not read), gives no events and an `error`.
 */
export async function readFlowscribeDbInProcess(file: string, opts: OpenOptions & { budget?: SqlBudget } = {}): Promise<FlowscribeDbResult> {
  const started = Date.now();
  const opened = await openStore(file, opts);
  if (!opened.ok) return { events: [], malformed: [], error: opened.error };
  const s = opened.store;
  try {
    const { value, notes } = withBudget(
      opts.budget,
      (): FlowscribeDbResult => {
        const all = listTables(s.db);
        const view = all.find((t) => !isRealTable(t) && t.name.toLowerCase() === 'events');
        if (view) return { events: [], malformed: [], error: { file, table: view.name, kind: 'not-a-table', message: notATableMessage(file, view) } };
        const tables = all.filter(isRealTable);
        const kind = detectKind(tables);
        if (kind === 'flowscribe' || kind === 'flowscribe-legacy') {
          // Over the budget, the rows read so far are kept and the stop is the located error.
          const r = kind === 'flowscribe' ? readSinkRows(s.db, file) : readLegacyRows(s.db, file, tables.find((t) => t.name === 'events') as TableInfo);
          const out: FlowscribeDbResult = { events: r.events, malformed: r.malformed };
          if (r.stopped !== undefined) out.error = { file, table: 'events', kind: 'over-budget', message: `${file}: ${r.stopped}` };
          return out;
        }
        return {
          events: [],
          malformed: [],
          error: {
            file,
            kind: 'unrecognised-schema',
            message: `${file}: not a flowscribe sink (expected table events(id, event_type, event_data, created_at); found ${tables.map((t) => `${t.name}(${t.columns.join(', ')})`).join(', ') || 'no tables'})`,
          },
        };
      },
      started,
    );
    if (notes.length && !value.error) value.error = { file, table: 'events', kind: 'over-budget', message: `${file}: ${notes.join('; ')}` };
    else if (notes.length && value.error) value.error = { ...value.error, message: `${value.error.message}; ${notes.join('; ')}` };
    return value;
  } catch (e) {
    return { events: [], malformed: [], error: queryProblem(file, e, s.db, 'events') };
  } finally {
    s.close();
  }
}

export interface QueryResult {
  rows: Row[];
  problems: StoreError[];
}

/**
 * One read-only statement on a store (opened like {@link readStoreInProcess}), its rows under the
 * budget. For tools and tests; the adapters use their own queries.
 */
export async function queryStoreInProcess(file: string, sql: string, opts: OpenOptions & { budget?: SqlBudget } = {}): Promise<QueryResult> {
  const started = Date.now();
  const opened = await openStore(file, opts);
  if (!opened.ok) return { rows: [], problems: [opened.error] };
  const s = opened.store;
  try {
    const { value, notes } = withBudget(opts.budget, () => rows(s.db, sql), started);
    return { rows: value, problems: notes.map((n) => ({ file, kind: 'over-budget' as const, message: `${file}: ${n}` })) };
  } catch (e) {
    return { rows: [], problems: [queryProblem(file, e, s.db)] };
  } finally {
    s.close();
  }
}
