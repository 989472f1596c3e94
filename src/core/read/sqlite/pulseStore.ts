/**
 * Pulse store adapter (formats.md §3, `events(id, event_type, version, timestamp, payload,
 * source, received_at)`): the {@link PulseRollup} computed in SQL, with the same counting rules
 * as `pulseRollup` in src/core/model/pulse.ts (version > 1 unsupported, `""` phase bucket, ...).
 */
import type { TraceEvent } from '../../model/types';
import { DEFAULT_RECENT, UNKNOWN_SOURCE, type PulseRollup, type PulsePhaseRollup, type PassRate } from '../../model/pulse';
import { normalizeEvent } from '../sources/normalize';
import type { Database } from './engine';
import { ident, type TableInfo } from './detect';
import { rows, num, str, type Row } from './query';
import { dayExpr, msOf, tsMsExpr } from './sqlTime';

const SUPPORTED = `NOT (typeof(version) IN ('integer','real') AND version > 1)`;

/**
 * Rows per rollup chunk. The rollup's GROUP BY sorts every row it reads (SQLite has no hash
 * aggregate): over a whole 1M-row table that sort held ~70 MB of records in the in-memory temp
 * files, plus a copy each time one grew, on top of the database image. One rowid chunk at a time
 * bounds the sort at about this many rows (~10 MB); the groups are added up in JS.
 */
export const ROLLUP_CHUNK_ROWS = 100_000;

/** A rowid range `[from, to)`; an undefined end is open. */
export type RowidRange = [from: number | undefined, to: number | undefined];

/**
 * Split rowids `lo..hi` of a table of `n` rows into about `n / chunkRows` ranges of equal width
 * (dense for the AUTOINCREMENT ids Pulse writes). The first range is open below and the last open
 * above, so together they cover every row whatever its rowid. One open range when `n` fits in one
 * chunk or the rowids are not safe integers.
 */
export function rowidChunks(lo: unknown, hi: unknown, n: number, chunkRows = ROLLUP_CHUNK_ROWS): RowidRange[] {
  const whole: RowidRange[] = [[undefined, undefined]];
  if (typeof lo !== 'number' || typeof hi !== 'number' || !(n > chunkRows) || !(chunkRows >= 1)) return whole;
  const span = hi - lo + 1;
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || !Number.isSafeInteger(span) || span < 2) return whole;
  const k = Math.min(Math.ceil(n / chunkRows), span);
  const width = Math.ceil(span / k);
  const out: RowidRange[] = [];
  for (let i = 0; i < k; i++) {
    const from = i === 0 ? undefined : lo + i * width;
    const to = i === k - 1 ? undefined : lo + (i + 1) * width;
    if (from !== undefined && from > hi) break;
    out.push([from, to]);
  }
  if (out.length && out[out.length - 1][1] !== undefined) out[out.length - 1][1] = undefined;
  return out;
}

/**
 * The statements that find the rowid chunks of `events` (run before the chunked rollups; also
 * handed to the sqlite3 CLI by the bench). Separate statements so min/max each take one b-tree
 * seek and count(*) the smallest b-tree.
 */
export const PULSE_BOUNDS_SQL = ['SELECT min(rowid) FROM events', 'SELECT max(rowid) FROM events', 'SELECT count(*) FROM events'] as const;

/**
 * The named SQL queries behind the Pulse rollup (also run by the bench on the sqlite3 CLI):
 * one full scan for every count and payload figure, and a top-N for `recent`. Each row costs
 * at most two JSON look-ups (`->` gives the value as JSON text, decoded per group in JS);
 * `NOT INDEXED` because the (event_type, timestamp) index would turn a 40 % match into random
 * row lookups. Columns of `rollup`: type, source, unsupported version, payload-is-object
 * (task.close), key JSON (phase / stop reason / target), passed JSON, day, count, tasks done,
 * first and last phase close (ms). `guarded` skips payloads that are not JSON (slower; used
 * only when the fast query meets one). `range` limits `rollup` to one rowid chunk (see
 * {@link rowidChunks}); the groups of several chunks add up to those of the whole table.
 */
export function pulseQueries(
  hasSource: boolean,
  recent = DEFAULT_RECENT,
  guarded = false,
  hasReceivedAt = hasSource,
  range: RowidRange = [undefined, undefined],
): Record<string, string> {
  const src = hasSource ? 'source' : 'NULL';
  const bounds = [range[0] !== undefined ? `rowid >= ${range[0]}` : '', range[1] !== undefined ? `rowid < ${range[1]}` : ''].filter(Boolean);
  const where = bounds.length ? ` WHERE ${bounds.join(' AND ')}` : '';
  const J = guarded ? '(CASE WHEN json_valid(payload) THEN payload END)' : 'payload';
  const ts = tsMsExpr('timestamp');
  const ws = "' ' || char(9, 10, 13)";
  return {
    rollup: `SELECT t, s, uv, o, a, pb, d, count(*),
  total(CASE WHEN substr(td, 1, 1) IN ('-','0','1','2','3','4','5','6','7','8','9') THEN CAST(td AS REAL) END), min(ms), max(ms)
FROM (SELECT event_type AS t, ${src} AS s,
    CASE WHEN NOT ${SUPPORTED} THEN version END AS uv,
    CASE WHEN event_type = 'task.close' AND ${SUPPORTED} THEN ${guarded ? 'json_valid(payload) AND ' : ''}substr(ltrim(payload, ${ws}), 1, 1) = '{' END AS o,
    CASE WHEN ${SUPPORTED} THEN CASE event_type
      WHEN 'phase.close' THEN ${J} -> '$.phase'
      WHEN 'task.close' THEN ${J} -> '$.phase'
      WHEN 'workflow.next.stop_reason' THEN ${J} -> '$.stop_reason'
      WHEN 'verification.completed' THEN ${J} -> '$.target' END END AS a,
    CASE WHEN event_type = 'verification.completed' AND ${SUPPORTED} THEN ${J} -> '$.passed' END AS pb,
    CASE WHEN event_type = 'phase.close' AND ${SUPPORTED} THEN ${J} -> '$.tasks_done' END AS td,
    CASE WHEN event_type = 'verification.completed' AND ${SUPPORTED} THEN ${dayExpr('timestamp')} END AS d,
    CASE WHEN event_type = 'phase.close' AND ${SUPPORTED} THEN ${ts} END AS ms
  FROM events NOT INDEXED${where} LIMIT -1)
GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    recent: `SELECT id, event_type, version, timestamp, payload, ${src}, ${hasReceivedAt ? 'received_at' : 'NULL'} FROM events ORDER BY coalesce(${ts}, -1e300) DESC, id DESC LIMIT ${Math.max(0, Math.floor(recent))}`,
  };
}

/** A JSON string value written as JSON text (from `->`), else undefined. */
function jsonString(v: unknown): string | undefined {
  if (typeof v !== 'string' || v[0] !== '"') return undefined;
  try {
    const s: unknown = JSON.parse(v);
    return typeof s === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

function rate(total: number, passed: number): PassRate {
  return total > 0 ? { total, passed, rate: passed / total } : { total, passed };
}

/** One Pulse row as an envelope TraceEvent (formats.md §3) via the shared normaliser; `src.line` is the rowid. */
export function pulseRowEvent(file: string, r: unknown[]): TraceEvent {
  const [id, type, version, timestamp, payloadText, source, receivedAt] = r;
  let payload: unknown = payloadText;
  if (typeof payloadText === 'string') {
    try {
      payload = JSON.parse(payloadText);
    } catch {
      payload = payloadText;
    }
  }
  const obj: Record<string, unknown> = { event_type: type, version, timestamp, payload };
  if (source !== null && source !== undefined) obj.source = source;
  if (receivedAt !== null && receivedAt !== undefined) obj.received_at = receivedAt;
  return normalizeEvent(obj, 'envelope', { file, line: num(id) });
}

/**
 * The rowid chunks {@link pulseStoreRollup} reads `events` in. One open range (the whole table)
 * for a small table, and whenever `rowid` is not the table's own (a view, a WITHOUT ROWID table,
 * a column named rowid) or cannot be read: the rollup then fails or succeeds as one query would.
 */
export function pulseRollupChunks(db: Database, table: TableInfo | undefined, chunkRows = ROLLUP_CHUNK_ROWS): RowidRange[] {
  const whole: RowidRange[] = [[undefined, undefined]];
  if (!table || table.columns.some((c) => c.toLowerCase() === 'rowid')) return whole;
  try {
    const n = table.rows ?? num(rows(db, PULSE_BOUNDS_SQL[2])[0]?.[0]);
    if (!(n > chunkRows)) return whole;
    return rowidChunks(rows(db, PULSE_BOUNDS_SQL[0])[0]?.[0], rows(db, PULSE_BOUNDS_SQL[1])[0]?.[0], n, chunkRows);
  } catch {
    return whole;
  }
}

/**
 * Run `fn` with `PRAGMA temp_store = MEMORY`, then restore the previous setting. The GROUP BY
 * sorter then keeps a chunk's records in the WASM heap instead of spilling them into MEMFS temp
 * files, which are JS arrays that grow by copying (old and new copy alive at once). The heap
 * keeps what it grew to, so this is only used where the sort is bounded (one chunk).
 */
function withMemoryTemp<T>(db: Database, fn: () => T): T {
  let prev: unknown;
  try {
    prev = db.exec('PRAGMA temp_store')[0]?.values[0]?.[0];
    db.exec('PRAGMA temp_store = MEMORY');
  } catch {
    prev = undefined;
  }
  try {
    return fn();
  } finally {
    if (typeof prev === 'number') {
      try {
        db.exec(`PRAGMA temp_store = ${Math.trunc(prev)}`);
      } catch {
        // the setting only affects temp storage of this in-memory copy
      }
    }
  }
}

/**
 * All Pulse rollups of §3 for an open Pulse store, in SQL: the rollup query once per rowid chunk
 * of `opts.chunkRows` rows ({@link ROLLUP_CHUNK_ROWS}), its groups added up here.
 */
export function pulseStoreRollup(
  db: Database,
  file: string,
  table: TableInfo | undefined,
  opts: { recent?: number; chunkRows?: number } = {},
): PulseRollup {
  const hasSource = !!table?.columns.includes('source');
  const hasReceived = !!table?.columns.includes('received_at');
  const recentN = opts.recent ?? DEFAULT_RECENT;
  let guarded = false;
  const all: Row[] = [];
  withMemoryTemp(db, () => {
    for (const range of pulseRollupChunks(db, table, opts.chunkRows)) {
      let part: Row[];
      try {
        part = rows(db, pulseQueries(hasSource, recentN, guarded, hasReceived, range).rollup);
      } catch (e) {
        if (guarded || !/JSON/i.test((e as Error).message)) throw e;
        guarded = true; // some payload is not JSON: skip it, like pulseRollup (and stay careful for later chunks)
        part = rows(db, pulseQueries(hasSource, recentN, true, hasReceived, range).rollup);
      }
      for (const r of part) all.push(r);
    }
  });
  // Keys are store data (an event type or source may be "__proto__"): null-prototype records.
  const byType: Record<string, number> = Object.create(null);
  const bySource: Record<string, number> = Object.create(null);
  const unsup = new Map<string, { type: string; version: number; count: number }>();
  const phases = new Map<string, PulsePhaseRollup>();
  const phase = (name: string): PulsePhaseRollup => {
    let p = phases.get(name);
    if (!p) phases.set(name, (p = { phase: name, closes: 0, tasksDone: 0, taskCloses: 0 }));
    return p;
  };
  const stopReasons: Record<string, number> = Object.create(null);
  let total = 0;
  let vt = 0;
  let vp = 0;
  const targets = new Map<string, [number, number]>();
  const days = new Map<string, [number, number]>();
  const add = (m: Map<string, [number, number]>, k: string, t: number, p: number): void => {
    const a = m.get(k) ?? [0, 0];
    m.set(k, [a[0] + t, a[1] + p]);
  };
  for (const [t, s, v, o, a, pb, day, n, done, first, last] of all) {
    const type = str(t) ?? '';
    const c = num(n);
    total += c;
    byType[type] = (byType[type] ?? 0) + c;
    const sk = str(s) ?? UNKNOWN_SOURCE;
    bySource[sk] = (bySource[sk] ?? 0) + c;
    if (typeof v === 'number') {
      const uk = `${type}\u0000${v}`;
      const u = unsup.get(uk);
      if (u) u.count += c;
      else unsup.set(uk, { type, version: v, count: c });
      continue;
    }
    const key = jsonString(a);
    switch (type) {
      case 'phase.close': {
        if (key === undefined) break;
        const p = phase(key);
        p.closes += c;
        p.tasksDone += num(done);
        const f = msOf(first);
        const l = msOf(last);
        if (f !== undefined && (p.firstClosedAt === undefined || f < p.firstClosedAt)) p.firstClosedAt = f;
        if (l !== undefined && (p.lastClosedAt === undefined || l > p.lastClosedAt)) p.lastClosedAt = l;
        break;
      }
      case 'task.close':
        if (o === 1) phase(key ?? '').taskCloses += c;
        break;
      case 'workflow.next.stop_reason':
        if (key !== undefined) stopReasons[key] = (stopReasons[key] ?? 0) + c;
        break;
      case 'verification.completed': {
        if (pb !== 'true' && pb !== 'false') break;
        const p = pb === 'true' ? c : 0;
        vt += c;
        vp += p;
        if (key !== undefined) add(targets, key, c, p);
        if (day !== null) add(days, String(day), c, p);
        break;
      }
      default:
        break;
    }
  }
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const unsupported = [...unsup.values()].sort((a, b) => cmp(a.type, b.type) || a.version - b.version);
  const byTarget: Record<string, PassRate> = Object.create(null);
  for (const [k, [t, p]] of targets) byTarget[k] = rate(t, p);
  const byDay = [...days].map(([day, [t, p]]) => ({ day, ...rate(t, p) })).sort((a, b) => cmp(a.day, b.day));
  const recent = rows(db, pulseQueries(hasSource, recentN, false, hasReceived).recent).reverse().map((r) => pulseRowEvent(file, r));
  return {
    total,
    byType,
    bySource,
    phases: [...phases.values()].sort((a, b) => cmp(a.phase, b.phase)),
    stopReasons,
    verification: { overall: rate(vt, vp), byTarget, byDay },
    unsupported,
    recent,
  };
}

/** Every row of a Pulse store as envelope TraceEvents, in rowid order. */
export function pulseStoreEvents(db: Database, file: string, table: TableInfo | undefined): TraceEvent[] {
  const hasSource = !!table?.columns.includes('source');
  const cols = `id, event_type, version, timestamp, payload, ${hasSource ? 'source' : 'NULL'}, ${table?.columns.includes('received_at') ? 'received_at' : 'NULL'}`;
  return rows(db, `SELECT ${cols} FROM ${ident('events')} ORDER BY id`).map((r) => pulseRowEvent(file, r));
}
