/**
 * SQL expressions shared by the adapters, written for both sql.js and the sqlite3 CLI
 * (the bench runs the same text on both), so only functions from SQLite ≥ 3.38.
 */
import { ident } from './detect';

/**
 * Epoch milliseconds of a timestamp column: numbers are epoch seconds or ms by magnitude,
 * text goes through `julianday` (ISO with `Z`/offset or naive = UTC, formats.md §1b).
 */
export function tsMsExpr(col: string): string {
  const c = ident(col);
  return `(CASE WHEN typeof(${c}) IN ('integer','real') THEN (CASE WHEN abs(${c}) < 100000000000 THEN ${c} * 1000.0 ELSE ${c} * 1.0 END) ELSE (julianday(${c}) - 2440587.5) * 86400000.0 END)`;
}

/** UTC day `YYYY-MM-DD` of a timestamp column, NULL when unreadable. */
export function dayExpr(col: string): string {
  const c = ident(col);
  return `(CASE WHEN typeof(${c}) IN ('integer','real') THEN date(CASE WHEN abs(${c}) < 100000000000 THEN ${c} ELSE ${c} / 1000.0 END, 'unixepoch') ELSE date(${c}) END)`;
}

/** Round a SQL epoch-ms double to an integer ms (julianday carries ~50 µs of float noise). */
export function msOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : undefined;
}
