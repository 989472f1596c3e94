/**
 * Reading SQLite stores for every surface: `readStore` (one file → a StoreReport with its kind,
 * rows, WAL status and rollups), `readStores` (a file or a folder, for `flowlens stores`),
 * `readFlowscribeDb` (a run folder's `trace.db` → TraceEvents) and a plain-text formatter.
 * Never throws: failures are located {@link StoreError}s in `problems`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Malformed, TraceEvent } from '../model';
import type { PulseRollup } from '../pulse';
import { brainstemRollup, type BrainstemRollup } from './brainstem';
import { detectKind, listTables, mainTable, type StoreKind, type TableInfo } from './detect';
import { readLegacyRows, readSinkRows } from './flowscribe';
import { checkMapping, mappingMatches, readMapped, type GenericMapping } from './generic';
import { engineError, formatBytes, openStore, storeSignature, type OpenOptions, type StoreError } from './open';
import { pulseStoreEvents, pulseStoreRollup } from './pulseStore';
import { sovereigntyRollup, type SovereigntyOptions, type SovereigntyRollup } from './sovereignty';
import { SQLITE_MAGIC } from './wal';

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
}

function flowscribeRollup(events: readonly TraceEvent[], malformed: number): FlowscribeRollup {
  const byType: Record<string, number> = {};
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

/** Read one store: open (WAL applied), detect its kind by schema, compute its rollups. */
export async function readStore(file: string, opts: ReadStoreOptions = {}): Promise<StoreReport> {
  const signature = storeSignature(file);
  const opened = await openStore(file, opts);
  if (!opened.ok) {
    let sizeBytes = 0;
    try {
      sizeBytes = fs.statSync(file).size;
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
    const tables = listTables(s.db, true);
    const broken = tables.filter((t) => t.error !== undefined);
    if (broken.length) {
      const qc = engineError(file, new Error(broken[0].error), s.db, broken[0].name);
      for (const t of broken) report.problems.push({ ...qc, table: t.name, message: t === broken[0] ? qc.message : `${file} (table ${t.name}): ${t.error}` });
    }
    const kind = detectKind(tables);
    report.kind = kind;
    report.tables = tables;
    table = mainTable(kind);
    const main = tables.find((t) => t.name === table);
    report.rows = main?.rows ?? 0;
    if (main?.error !== undefined) return report; // already reported, with quick_check
    switch (kind) {
      case 'flowscribe':
      case 'flowscribe-legacy': {
        const r = kind === 'flowscribe' ? readSinkRows(s.db, file) : readLegacyRows(s.db, file, main as TableInfo);
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
        const mapping = opts.mappings?.find((m) => mappingMatches(m, file));
        if (!mapping) {
          report.rows = tables.reduce((a, t) => a + (t.rows ?? 0), 0);
          break;
        }
        report.mapping = mapping;
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
  } catch (e) {
    report.problems.push(engineError(file, e, s.db, table));
  } finally {
    s.close();
  }
  return report;
}

/**
 * A run folder's flowscribe `trace.db` (§2) as TraceEvents, like the JSONL reader gives.
 * A file that cannot be read, or is not a flowscribe sink, gives no events and an `error`.
 */
export async function readFlowscribeDb(
  file: string,
  opts: OpenOptions = {},
): Promise<{ events: TraceEvent[]; malformed: Malformed[]; error?: StoreError }> {
  const opened = await openStore(file, opts);
  if (!opened.ok) return { events: [], malformed: [], error: opened.error };
  const s = opened.store;
  try {
    const tables = listTables(s.db);
    const kind = detectKind(tables);
    if (kind === 'flowscribe') return readSinkRows(s.db, file);
    if (kind === 'flowscribe-legacy') return readLegacyRows(s.db, file, tables.find((t) => t.name === 'events') as TableInfo);
    return {
      events: [],
      malformed: [],
      error: {
        file,
        kind: 'unrecognised-schema',
        message: `${file}: not a flowscribe sink (expected table events(id, event_type, event_data, created_at); found ${tables.map((t) => `${t.name}(${t.columns.join(', ')})`).join(', ') || 'no tables'})`,
      },
    };
  } catch (e) {
    return { events: [], malformed: [], error: engineError(file, e, s.db, 'events') };
  } finally {
    s.close();
  }
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'out', '.vscode-test']);

/** True when the first 16 bytes are the SQLite magic (cheap: reads 16 bytes). */
export function looksLikeSqlite(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(16);
    return fs.readSync(fd, b, 0, 16, 0) === 16 && b.equals(SQLITE_MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * SQLite stores under `root` (by header, plus files named *.db / *.sqlite / *.sqlite3 /
 * *.db3 that are not SQLite, so they are reported). Skips -wal/-shm/-journal, node_modules, .git.
 */
export function findStores(root: string, maxDepth = 6): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < maxDepth && !SKIP_DIRS.has(e.name)) walk(p, depth + 1);
      } else if (e.isFile()) {
        if (/-(wal|shm|journal)$/.test(e.name)) continue;
        if (/\.(db|sqlite|sqlite3|db3)$/i.test(e.name) || looksLikeSqlite(p)) out.push(p);
      }
    }
  };
  walk(root, 0);
  return out;
}

/** `flowlens stores [PATH]`: one report per store in a file or folder (default: cwd). */
export async function readStores(target: string, opts: ReadStoreOptions = {}): Promise<StoreReport[]> {
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
  const out: StoreReport[] = [];
  for (const f of files) out.push(await readStore(f, opts));
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
      for (const t of r.tables ?? []) lines.push(`  table ${t.name}: ${t.rows ?? '?'} rows (${t.columns.join(', ')})`);
    }
  }
  return lines.join('\n');
}
