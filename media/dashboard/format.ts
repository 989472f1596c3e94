/** Text formats shared by the sections: durations, rates, times, run and code labels. Pure. */
import type { Loc } from './types';

export const fmtMs = (v: number | undefined | null): string => {
  if (v === undefined || v === null || !Number.isFinite(v)) return '–';
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${Math.round(v * 10) / 10} ms`;
};
export const fmtPct = (v: number | undefined): string => (v === undefined ? '–' : `${Math.round(v * 1000) / 10}%`);
export const fmtTime = (ms: number | undefined): string =>
  ms === undefined ? '' : Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : 'invalid time';
const baseName = (f: string): string => f.split(/[\\/]/).pop() ?? f;
/** Short axis label of a run id: `20261118T140000Z-a1c3` → `11-18 a1c3`. */
export const runLabel = (id: string): string => {
  const m = /^\d{4}(\d{2})(\d{2})T\d{6}Z?-(.+)$/.exec(id);
  return m ? `${m[1]}-${m[2]} ${m[3]}` : id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id;
};
export const locText = (l: Loc): string => (l.file ? `${baseName(l.file)}${l.line ? `:${l.line}` : ''}` : '');

/** Epoch ms → the value of an `<input type="datetime-local">` in local time ('' when out of range). */
export function toLocalInput(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15 - 86_400_000) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
