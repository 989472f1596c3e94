/**
 * Generic SQLite stores: any other file can be mapped onto trace events by a setting
 * (table, timestamp column, type column, optional run/session, message, file/line and JSON
 * payload columns) and is then shown as TraceEvents with dialect `generic`.
 */
import picomatch from 'picomatch';
import type { Malformed, TraceEvent } from '../../model/types';
import { parseTimestamp } from '../../model/time';
import type { Database } from './engine';
import { ident, type TableInfo } from './detect';
import type { StoreError } from './open';
import { each, num } from './query';

/** A user mapping of one table onto trace events (setting `flowlens.sqlite.mappings`). */
export interface GenericMapping {
  /** Glob matched against the store's path (forward slashes) or its base name; absent = any file. */
  match?: string;
  table: string;
  timestamp: string;
  type: string;
  run?: string;
  session?: string;
  message?: string;
  file?: string;
  line?: string;
  /** JSON text column, parsed into `payload`/`data`. */
  payload?: string;
}

/** True when `mapping` applies to the store at `path`. */
export function mappingMatches(mapping: GenericMapping, path: string): boolean {
  if (!mapping.match) return true;
  const p = path.replace(/\\/g, '/');
  const base = p.slice(p.lastIndexOf('/') + 1);
  const m = picomatch(mapping.match, { dot: true });
  return m(p) || m(base);
}

/** The mapped columns that are missing from the table, or a table-level error. */
export function checkMapping(file: string, mapping: GenericMapping, tables: readonly TableInfo[]): StoreError | undefined {
  const t = tables.find((x) => x.name === mapping.table) ?? tables.find((x) => x.name.toLowerCase() === mapping.table.toLowerCase());
  if (t && (t.type ?? 'table') !== 'table') {
    return { file, table: t.name, kind: 'not-a-table', message: `${file}: table ${t.name} is ${t.type === 'view' ? 'a view' : 'a virtual table'}, not read` };
  }
  if (!t) {
    return { file, table: mapping.table, kind: 'unrecognised-schema', message: `${file}: mapped table "${mapping.table}" does not exist (tables: ${tables.map((x) => x.name).join(', ') || 'none'})` };
  }
  const wanted = [mapping.timestamp, mapping.type, mapping.run, mapping.session, mapping.message, mapping.file, mapping.line, mapping.payload].filter(
    (c): c is string => typeof c === 'string' && c.length > 0,
  );
  const missing = wanted.filter((c) => !t.columns.some((x) => x.toLowerCase() === c.toLowerCase()));
  if (missing.length) {
    return { file, table: t.name, kind: 'unrecognised-schema', message: `${file}: table "${t.name}" has no column ${missing.map((m) => `"${m}"`).join(', ')} (columns: ${t.columns.join(', ')})` };
  }
  return undefined;
}

/** Read a mapped table as generic TraceEvents (`src.line` = rowid), up to `limit` rows (newest kept). */
export function readMapped(db: Database, file: string, mapping: GenericMapping, table: TableInfo, limit?: number): { events: TraceEvent[]; malformed: Malformed[] } {
  const events: TraceEvent[] = [];
  const malformed: Malformed[] = [];
  const mapped = new Set(
    [mapping.timestamp, mapping.type, mapping.run, mapping.session, mapping.message, mapping.file, mapping.line, mapping.payload]
      .filter((c): c is string => !!c)
      .map((c) => c.toLowerCase()),
  );
  const cols = table.columns;
  const idx = (c: string | undefined): number => (c ? cols.findIndex((x) => x.toLowerCase() === c.toLowerCase()) : -1);
  const iTs = idx(mapping.timestamp);
  const iType = idx(mapping.type);
  const iRun = idx(mapping.run);
  const iSess = idx(mapping.session);
  const iMsg = idx(mapping.message);
  const iFile = idx(mapping.file);
  const iLine = idx(mapping.line);
  const iPay = idx(mapping.payload);
  const order = limit !== undefined ? `ORDER BY rowid DESC LIMIT ${Math.max(0, Math.floor(limit))}` : 'ORDER BY rowid';
  const sql = `SELECT * FROM (SELECT rowid AS "__flowlens_rowid", ${cols.map(ident).join(', ')} FROM ${ident(table.name)} ${order}) ORDER BY "__flowlens_rowid"`;
  each(db, sql, (r) => {
    const line = num(r[0]);
    const v = (i: number): unknown => (i >= 0 ? r[i + 1] : undefined);
    const type = v(iType);
    if (type === null || type === undefined || type === '') {
      malformed.push({ file, line, reason: `${table.name} row ${line}: no ${mapping.type}` });
      return;
    }
    const tsRaw = v(iTs);
    const ev: TraceEvent = {
      dialect: 'generic',
      type: String(type),
      ts: parseTimestamp(tsRaw),
      tsRaw: typeof tsRaw === 'string' || typeof tsRaw === 'number' ? tsRaw : undefined,
      tags: [],
      extra: Object.create(null) as Record<string, unknown>, // keyed by column names (store data)
      src: { file, line },
    };
    const run = v(iRun) ?? v(iSess);
    if (run !== null && run !== undefined) ev.runId = String(run);
    const msg = v(iMsg);
    if (msg !== null && msg !== undefined) ev.message = String(msg);
    const f = v(iFile);
    if (typeof f === 'string') ev.file = f;
    const ln = v(iLine);
    if (typeof ln === 'number' && Number.isInteger(ln)) ev.line = ln;
    else if (typeof ln === 'string' && /^\d+$/.test(ln)) ev.line = Number(ln);
    const pay = v(iPay);
    if (typeof pay === 'string') {
      try {
        ev.payload = JSON.parse(pay);
      } catch {
        ev.payload = pay; // not JSON: kept as written
      }
      ev.data = ev.payload;
    } else if (pay !== null && pay !== undefined) {
      ev.payload = pay;
    }
    cols.forEach((c, i) => {
      if (mapped.has(c.toLowerCase())) return;
      const x = r[i + 1];
      if (x !== null && x !== undefined) ev.extra[c] = x instanceof Uint8Array ? `<${x.length} bytes>` : x;
    });
    events.push(ev);
  });
  return { events, malformed };
}
