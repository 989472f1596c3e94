/**
 * Store kind by schema, never by file name (formats.md §2–§5).
 */
import type { Database } from './engine';

export type StoreKind =
  | 'flowscribe' // §2 events(id, event_type, event_data, created_at)
  | 'flowscribe-legacy' // §2 older layout: timestamp, event_type, flow_id, step, tags, evidence, data
  | 'pulse' // §3 events(event_type, version, timestamp, payload, ...)
  | 'sovereignty' // §4 events(timestamp, event_type, session_id, metadata_json) + sessions
  | 'brainstem' // §5 raw_envelopes, canonical_events, signatures, candidates
  | 'generic'; // anything else (listed, or mapped by a setting)

export interface TableInfo {
  name: string;
  /**
   * What sqlite_master says it is: a real `table`, a `view` or a `virtual` table (`CREATE VIRTUAL
   * TABLE`). Only real tables are ever counted or read: a view can run any query (an infinite
   * recursive CTE, a gigabyte `zeroblob`), a virtual table any module. Absent = table.
   */
  type?: 'table' | 'view' | 'virtual';
  columns: string[];
  /** Row count (`SELECT count(*)`), undefined if counting failed. */
  rows?: number;
  /** Why counting failed (a corrupt table). */
  error?: string;
}

/** Quote an identifier for SQL. */
export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** True for a real table (not a view, not a virtual table). */
export const isRealTable = (t: TableInfo): boolean => (t.type ?? 'table') === 'table';

/**
 * User tables and views with their columns (and row counts of the real tables when `count` is
 * set). Views and virtual tables are listed with their `type` and never queried: their columns
 * come from `PRAGMA table_info`, which compiles a view without running it.
 */
export function listTables(db: Database, count = false): TableInfo[] {
  const r = db.exec(
    "SELECT name, type, CASE WHEN type = 'table' AND upper(ltrim(coalesce(sql, ''))) LIKE 'CREATE VIRTUAL%' THEN 1 ELSE 0 END FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  const found = (r[0]?.values ?? []).map((v) => ({ name: String(v[0]), type: v[1] === 'view' ? ('view' as const) : v[2] === 1 ? ('virtual' as const) : ('table' as const) }));
  return found.map(({ name, type }) => {
    let columns: string[] = [];
    try {
      const cols = db.exec(`PRAGMA table_info(${ident(name)})`);
      columns = (cols[0]?.values ?? []).map((v) => String(v[1]));
    } catch (e) {
      // a view over a missing table, a virtual table of a module this engine lacks
      if (type === 'table') throw e;
    }
    const t: TableInfo = { name, columns };
    if (type !== 'table') {
      t.type = type;
      return t;
    }
    if (count) {
      try {
        t.rows = Number(db.exec(`SELECT count(*) FROM ${ident(name)}`)[0]?.values[0][0] ?? 0);
      } catch (e) {
        t.error = (e as Error).message;
      }
    }
    return t;
  });
}

const has = (t: TableInfo | undefined, ...cols: string[]): boolean =>
  !!t && cols.every((c) => t.columns.some((x) => x.toLowerCase() === c));

/** Table names a store kind is recognised by: a view or virtual table by one of these names is reported. */
export const EXPECTED_TABLES: ReadonlySet<string> = new Set(['events', 'sessions', 'raw_envelopes', 'canonical_events', 'signatures', 'candidates']);

/** `file: table X is a view, not read` for each view / virtual table named in `expected`. */
export function notATableMessage(file: string, t: TableInfo): string {
  return `${file}: table ${t.name} is ${t.type === 'view' ? 'a view' : 'a virtual table'}, not read`;
}

/** Decide the store kind from its real tables (views and virtual tables never count). */
export function detectKind(tables: readonly TableInfo[]): StoreKind {
  const byName = new Map(tables.filter(isRealTable).map((t) => [t.name.toLowerCase(), t]));
  const events = byName.get('events');
  if (has(byName.get('raw_envelopes'), 'status', 'message_raw') && (byName.has('canonical_events') || byName.has('signatures') || byName.has('candidates'))) {
    return 'brainstem';
  }
  if (has(events, 'event_type', 'event_data')) return 'flowscribe';
  if (has(events, 'timestamp', 'event_type', 'flow_id', 'step', 'evidence')) return 'flowscribe-legacy';
  if (has(events, 'event_type', 'version', 'timestamp', 'payload')) return 'pulse';
  if (has(events, 'timestamp', 'event_type', 'session_id', 'metadata_json') && has(byName.get('sessions'), 'session_id')) return 'sovereignty';
  return 'generic';
}

/** The main table of a detected kind (for located messages). */
export function mainTable(kind: StoreKind): string | undefined {
  return kind === 'brainstem' ? 'raw_envelopes' : kind === 'generic' ? undefined : 'events';
}
