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

/** User tables with their columns (and row counts when `count` is set). */
export function listTables(db: Database, count = false): TableInfo[] {
  const r = db.exec("SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name");
  const names = (r[0]?.values ?? []).map((v) => String(v[0]));
  return names.map((name) => {
    const cols = db.exec(`PRAGMA table_info(${ident(name)})`);
    const columns = (cols[0]?.values ?? []).map((v) => String(v[1]));
    const t: TableInfo = { name, columns };
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

/** Decide the store kind from its tables. */
export function detectKind(tables: readonly TableInfo[]): StoreKind {
  const byName = new Map(tables.map((t) => [t.name.toLowerCase(), t]));
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
