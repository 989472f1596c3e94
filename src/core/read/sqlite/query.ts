/**
 * Small query helpers over sql.js (prepared statements, always freed), each under the active
 * {@link SqlBudget}: rows per query, bytes of returned values per store read, bytes per value and
 * a deadline checked between rows. A value over the per-value cap is replaced by a marker (and
 * noted once per query); going over the rows, bytes or time budget throws a {@link BudgetExceeded}
 * that the store reader turns into a located problem. The time budget here only sees the gaps
 * between rows; a single step that never returns is stopped by the worker's wall clock
 * (src/core/read/sqlite/pool.ts).
 */
import type { Database } from './engine';

export type Row = (number | string | Uint8Array | null)[];

/** Budgets of one store read (all optional; {@link DEFAULT_BUDGET} fills the gaps). */
export interface SqlBudget {
  /** Rows one query may return (default 1,000,000). */
  maxRows?: number;
  /** Bytes of string/blob values all queries of one read may return together (default 256 MB). */
  maxBytes?: number;
  /** Bytes of one value; a longer value becomes a marker (default 16 MB). */
  maxValueBytes?: number;
  /** Wall-clock budget of one read in ms, from the start of the read (default 30 s). */
  timeMs?: number;
}

export const DEFAULT_BUDGET: Readonly<Required<SqlBudget>> = Object.freeze({
  maxRows: 1_000_000,
  maxBytes: 256 * 1024 * 1024,
  maxValueBytes: 16 * 1024 * 1024,
  timeMs: 30_000,
});

/** Thrown when a query goes over its budget; the store reader reports it as a located problem. */
export class BudgetExceeded extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetExceeded';
  }
}

/** The state of the budget of one read (set by {@link withBudget}). */
interface ActiveBudget {
  limits: Required<SqlBudget>;
  deadline: number;
  bytes: number;
  /** Notes about values replaced by a marker (one per query). */
  notes: string[];
}

let active: ActiveBudget | undefined;

/** Human size for budget messages. */
export function mbText(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round((n / (1024 * 1024)) * 10) / 10} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`;
}

/** Seconds for budget messages: `30 s`, `0.5 s`. */
export function secondsText(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Run `fn` (synchronous: every query of one store read) under `budget`. Returns its value and the
 * notes about values replaced by a marker. Nested calls keep the outer budget.
 */
export function withBudget<T>(budget: SqlBudget | undefined, fn: () => T, startedAt = Date.now()): { value: T; notes: string[] } {
  if (active) return { value: fn(), notes: [] };
  const limits = { ...DEFAULT_BUDGET, ...stripUndefined(budget ?? {}) };
  const b: ActiveBudget = { limits, deadline: startedAt + limits.timeMs, bytes: 0, notes: [] };
  active = b;
  try {
    return { value: fn(), notes: b.notes };
  } finally {
    active = undefined;
  }
}

function stripUndefined(b: SqlBudget): SqlBudget {
  const out: SqlBudget = {};
  for (const k of ['maxRows', 'maxBytes', 'maxValueBytes', 'timeMs'] as const) if (typeof b[k] === 'number' && b[k]! >= 0) out[k] = b[k];
  return out;
}

/** The marker that replaces a value over the per-value cap. */
export function valueMarker(bytes: number, cap: number): string {
  return `<value of ${mbText(bytes)} not read: over the ${mbText(cap)} limit per value>`;
}

/** The statement's FROM target, for messages (`events`, `raw_envelopes`, …). */
function tableOf(sql: string): string {
  const m = /\bFROM\s+("(?:[^"]|"")+"|[A-Za-z_][\w]*)/i.exec(sql);
  return m ? m[1].replace(/^"|"$/g, '').replace(/""/g, '"') : 'a query';
}

/** Check a row against the active budget; replaces over-long values in place. */
function charge(r: Row, n: number, sql: string, noted: { v: boolean }): void {
  const b = active;
  if (!b) return;
  if (n > b.limits.maxRows) throw new BudgetExceeded(`table ${tableOf(sql)}: more than ${b.limits.maxRows.toLocaleString('en-US')} rows; stopped`);
  for (let i = 0; i < r.length; i++) {
    const v = r[i];
    const len = typeof v === 'string' ? v.length : v instanceof Uint8Array ? v.byteLength : 0;
    if (len === 0) continue;
    if (len > b.limits.maxValueBytes) {
      r[i] = valueMarker(len, b.limits.maxValueBytes);
      if (!noted.v) {
        noted.v = true;
        b.notes.push(`table ${tableOf(sql)}: a value of ${mbText(len)} is over the ${mbText(b.limits.maxValueBytes)} limit per value; replaced by a marker`);
      }
      continue;
    }
    b.bytes += len;
  }
  if (b.bytes > b.limits.maxBytes) throw new BudgetExceeded(`table ${tableOf(sql)}: values add up to more than ${mbText(b.limits.maxBytes)}; stopped`);
  if ((n & 255) === 0 && Date.now() > b.deadline) throw new BudgetExceeded(`reading took longer than ${secondsText(b.limits.timeMs)}; stopped`);
}

/** All rows of `sql` as arrays. */
export function rows(db: Database, sql: string, params: (number | string | null)[] = []): Row[] {
  const st = db.prepare(sql);
  try {
    if (params.length) st.bind(params);
    const out: Row[] = [];
    const noted = { v: false };
    while (st.step()) {
      const r = st.get() as Row;
      charge(r, out.length + 1, sql, noted);
      out.push(r);
    }
    return out;
  } finally {
    st.free();
  }
}

/** Visit each row of `sql` without collecting them. */
export function each(db: Database, sql: string, fn: (r: Row) => void, params: (number | string | null)[] = []): void {
  const st = db.prepare(sql);
  try {
    if (params.length) st.bind(params);
    const noted = { v: false };
    let n = 0;
    while (st.step()) {
      const r = st.get() as Row;
      charge(r, ++n, sql, noted);
      fn(r);
    }
  } finally {
    st.free();
  }
}

export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
export const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : typeof v === 'string' ? v : String(v));
