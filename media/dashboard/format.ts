/** Text formats shared by the sections: durations, rates, times, run and code labels, axis ticks. Pure, no imports, no DOM. */

export const fmtMs = (v: number | undefined | null): string => {
  // Unknown is unknown (issue 16): "—", the way every surface shows a duration it does not know.
  if (v === undefined || v === null || !Number.isFinite(v)) return '—';
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${Math.round(v * 10) / 10} ms`;
};
export const fmtPct = (v: number | undefined): string => (v === undefined ? '–' : `${Math.round(v * 1000) / 10}%`);
const pad = (n: number): string => String(n).padStart(2, '0');
/** Epoch ms → local time a person reads, `2026-11-19 15:00:03` (the raw value goes in a tooltip). */
export const fmtTime = (ms: number | undefined): string => {
  if (ms === undefined) return '';
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return 'invalid time';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};
/** The exact UTC instant for a tooltip beside {@link fmtTime} (undefined when out of range). */
export const utcTitle = (ms: number | undefined): string | undefined =>
  ms !== undefined && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? `${new Date(ms).toISOString()} (UTC)` : undefined;
/** An ISO 8601 date-time with a zone (`2026-11-19T14:00:03.123456+00:00`, `…Z`), as found in store rows. */
const ISO_ZONED = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
/**
 * A table cell's text: an ISO date-time with a zone (microseconds and all) becomes local time
 * ({@link fmtTime}) with the raw value as its `title`; anything else is shown as it is.
 */
export function cellText(v: string | number | null | undefined): { text: string; title?: string } {
  if (typeof v !== 'string') return { text: v === null || v === undefined ? '' : String(v) };
  const m = ISO_ZONED.exec(v.trim());
  if (!m) return { text: v };
  const ms = Date.parse(`${m[1]}T${m[2]}${(m[3] ?? '').slice(0, 4)}${m[4]}`);
  return Number.isFinite(ms) ? { text: fmtTime(ms), title: v } : { text: v };
}
/**
 * Tick positions for a time axis of `spanMs`: a step of 1, 2 or 5 × 10^n ms giving at most
 * `maxTicks` intervals (so labels read 0, 100 ms, 200 ms … never 554.8 ms).
 */
export function niceTicks(spanMs: number, maxTicks = 6): number[] {
  if (!Number.isFinite(spanMs) || spanMs <= 0) return [0];
  const raw = spanMs / Math.max(1, maxTicks);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((x) => x >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let i = 0; i * step <= spanMs * (1 + 1e-9); i++) out.push(Math.round(i * step * 1e6) / 1e6);
  return out;
}
/** A path-like flow name cut after each `/`, for a `<wbr>` between the parts (`data/`, `fetch/`, `bars`). */
export function slashParts(name: string): string[] {
  return name.split(/(?<=\/)/).filter((p) => p !== '');
}
const baseName = (f: string): string => f.split(/[\\/]/).pop() ?? f;
/** Short axis label of a run id: `20261118T140000Z-a1c3` → `11-18 a1c3`. */
export const runLabel = (id: string): string => {
  const m = /^\d{4}(\d{2})(\d{2})T\d{6}Z?-(.+)$/.exec(id);
  return m ? `${m[1]}-${m[2]} ${m[3]}` : id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id;
};
/** `file.py:15` of a location (structurally a types.ts `Loc`: this module imports nothing, so Node tests can load it). */
export const locText = (l: { file?: string; line?: number }): string => (l.file ? `${baseName(l.file)}${l.line ? `:${l.line}` : ''}` : '');

/** Epoch ms → the value of an `<input type="datetime-local">` in local time ('' when out of range). */
export function toLocalInput(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15 - 86_400_000) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** A dialect as people say it: `flowscribe-0.1` → "flowscribe 0.1" (runs are compared like with like, issue 16). */
export const dialectName = (dialect: string | undefined): string => (dialect ?? 'unknown dialect').replace(/^flowscribe-/, 'flowscribe ');
