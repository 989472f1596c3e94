/**
 * Timestamp parsing for every form in docs/formats.md (§1a naive ISO, §1b ISO/epoch, §2 SQLite
 * `created_at`, §3/§6 `+00:00` offsets). The model keeps epoch milliseconds UTC.
 */

/** Epoch values below this are seconds, at or above it milliseconds (1e11 s ≈ year 5138). */
const SECONDS_LIMIT = 1e11;

/**
 * The JS Date range: ±8.64e15 ms (±100,000,000 days) around 1970. A time outside it cannot be
 * a `Date` (`toISOString` throws "Invalid time value"), so it is an unreadable timestamp.
 */
export const MAX_TIME_MS = 8.64e15;

/** Why a located per-line warning is recorded for a timestamp that parses outside the Date range. */
export const TIMESTAMP_OUT_OF_RANGE = 'timestamp out of range';

/** `ms` is a finite epoch-ms time inside the Date range (formatting it cannot throw). */
export function isValidTime(ms: unknown): ms is number {
  return typeof ms === 'number' && ms >= -MAX_TIME_MS && ms <= MAX_TIME_MS;
}

/** ISO-8601 UTC text of an epoch-ms time; `undefined` when absent, not finite or out of range. Total. */
export function isoTime(ms: number | undefined | null): string | undefined {
  return isValidTime(ms) ? new Date(ms).toISOString() : undefined;
}

/**
 * ISO-8601 UTC text for display: `fallback` ("invalid time") for a time that cannot be shown,
 * `missing` (default "—") when there is none. Total: never throws.
 */
export function timeText(ms: number | undefined | null, fallback = 'invalid time', missing = '—'): string {
  if (ms === undefined || ms === null) return missing;
  return isoTime(ms) ?? fallback;
}

/** The UTC day (`YYYY-MM-DD`) of a time, or `undefined` when it cannot be shown. Total. */
export function isoDay(ms: number | undefined | null): string | undefined {
  return isoTime(ms)?.slice(0, 10);
}

/** A number, or numeric/ISO-looking text, with a far-out year (5+ digits): out of range, not garbage. */
const EXPANDED_YEAR_RE = /^\s*[+-]?\d{5,}-\d{2}-\d{2}/;

/**
 * {@link TIMESTAMP_OUT_OF_RANGE} when `v` is a timestamp of a readable form whose value lies
 * outside ±{@link MAX_TIME_MS} (an epoch number like `1e16` or `-1e17`, or an ISO date with a
 * 5+ digit year like `275760-09-14T00:00:00.001Z`); else `undefined`. Only worth calling when
 * {@link parseTimestamp} gave `undefined`.
 */
export function timestampProblem(v: unknown): string | undefined {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const s = v.trim();
    if (NUMERIC_RE.test(s)) n = Number(s);
    else if (EXPANDED_YEAR_RE.test(s)) return TIMESTAMP_OUT_OF_RANGE;
  }
  if (n === undefined || !Number.isFinite(n)) return undefined;
  const ms = Math.abs(n) < SECONDS_LIMIT ? n * 1000 : n;
  return isValidTime(ms) ? undefined : TIMESTAMP_OUT_OF_RANGE;
}

// YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)fraction]]][Z|±HH[:MM]]
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const NUMERIC_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a trace timestamp into epoch milliseconds UTC, or `undefined` when it is absent or
 * unreadable.
 *
 * Accepted: ISO 8601 with `Z` or an offset (`+00:00`, `+0000`, `+00`), naive ISO (read as UTC,
 * as flowscribe 0.1 writes it), `T` or space separator (`YYYY-MM-DD HH:MM:SS`, SQLite
 * `created_at`), an optional fraction of 1–9 digits, a bare date (midnight UTC), epoch seconds or
 * milliseconds as a number or numeric string (`< 1e11` → seconds), and a `Date`.
 * Sub-millisecond precision is kept down to microseconds as a fractional millisecond
 * (`…00.214999Z` → `…214.999`); digits beyond microseconds are dropped.
 * A value outside the Date range (±{@link MAX_TIME_MS}: `1e16`, `-1e17`, year 275760) is
 * unreadable (`undefined`); {@link timestampProblem} says so for a located warning.
 */
export function parseTimestamp(v: unknown): number | undefined {
  let t: number | undefined;
  if (typeof v === 'number') return fromEpoch(v);
  if (typeof v === 'string') t = parseString(v);
  else if (v instanceof Date) t = v.getTime();
  return isValidTime(t) ? t : undefined;
}

function fromEpoch(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  const ms = Math.abs(n) < SECONDS_LIMIT ? n * 1000 : n;
  return ms >= -MAX_TIME_MS && ms <= MAX_TIME_MS ? ms : undefined;
}

function parseString(raw: string): number | undefined {
  const fast = fastIso(raw);
  if (fast !== null) return fast;
  const s = raw.trim();
  if (s.length === 0) return undefined;
  const m = ISO_RE.exec(s);
  if (!m) return NUMERIC_RE.test(s) ? fromEpoch(Number(s)) : undefined;
  const year = +m[1];
  const month = +m[2];
  const day = +m[3];
  const hour = m[4] === undefined ? 0 : +m[4];
  const minute = m[5] === undefined ? 0 : +m[5];
  const second = m[6] === undefined ? 0 : +m[6];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC maps years 0–99 onto 1900–1999; set the year explicitly.
  if (year < 100) {
    const d = new Date(ms);
    d.setUTCFullYear(year);
    ms = d.getTime();
  }
  if (m[7] !== undefined) {
    const micros = +(m[7] + '00000').slice(0, 6);
    ms += Math.floor(micros / 1000) + (micros % 1000) / 1000;
  }
  if (m[9] !== undefined) {
    const offHours = +m[10];
    const offMinutes = m[11] === undefined ? 0 : +m[11];
    if (offHours > 23 || offMinutes > 59) return undefined;
    const offset = (offHours * 60 + offMinutes) * 60_000;
    ms += m[9] === '-' ? offset : -offset;
  }
  return ms;
}

/** Value of the ASCII digit at `i`, or -1. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function two(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Hot path for the forms traces actually write (`YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z|±HH[:MM]]`),
 * without a regex or a Date: `undefined` when invalid, `null` when another form (use the regex).
 */
function fastIso(s: string): number | undefined | null {
  const n = s.length;
  if (n < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) {
    return null;
  }
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 32 && sep !== 116) return null;
  const y1 = two(s, 0);
  const y2 = two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  if (y1 < 0 || y2 < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return null;
  const year = y1 * 100 + y2;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let i = 19;
  let micros = 0;
  const f = s.charCodeAt(i);
  if (f === 46 || f === 44) {
    let k = 0;
    i++;
    for (let d = digit(s, i); d >= 0; d = digit(s, ++i)) {
      if (k < 6) micros = micros * 10 + d;
      k++;
    }
    if (k === 0 || k > 9) return null;
    for (let p = Math.min(k, 6); p < 6; p++) micros *= 10;
  }
  let offset = 0;
  if (i < n) {
    const z = s.charCodeAt(i);
    if ((z === 90 || z === 122) && i + 1 === n) {
      i++;
    } else if (z === 43 || z === 45) {
      const oh = two(s, i + 1);
      if (oh < 0) return null;
      let om = 0;
      let j = i + 3;
      if (j < n) {
        if (s.charCodeAt(j) === 58) j++;
        om = two(s, j);
        if (om < 0 || j + 2 !== n) return null;
      } else if (j !== n) {
        return null;
      }
      if (oh > 23 || om > 59) return undefined;
      offset = (oh * 60 + om) * 60_000 * (z === 45 ? -1 : 1);
      i = n;
    } else {
      return null;
    }
  }
  if (i !== n) return null;
  const ms = ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 - offset;
  return micros === 0 ? ms : ms + Math.floor(micros / 1000) + (micros % 1000) / 1000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * {@link parseTimestamp} for a stream of timestamps in which neighbours share their second (a
 * trace's lines): `YYYY-MM-DDTHH:MM:SS.f{1,9}Z` reuses the epoch of the last prefix it parsed and
 * adds the fraction as `fastIso` does, so the answer is exactly `parseTimestamp`'s. Anything else
 * goes to `parseTimestamp`.
 */
export class TimestampReader {
  private prefix = '';
  private base = 0;

  read(v: unknown): number | undefined {
    if (typeof v !== 'string') return typeof v === 'number' ? parseTimestamp(v) : undefined;
    const n = v.length;
    if (n < 22 || n > 30 || v.charCodeAt(19) !== 46 || v.charCodeAt(n - 1) !== 90) return parseTimestamp(v);
    if (this.prefix === '' || !v.startsWith(this.prefix)) {
      const p = v.slice(0, 19);
      const base = fastIso(p + 'Z');
      if (typeof base !== 'number') return parseTimestamp(v);
      this.prefix = p;
      this.base = base;
    }
    let micros = 0;
    for (let j = 20, k = 0; j < n - 1; j++, k++) {
      const d = v.charCodeAt(j) - 48;
      if (d < 0 || d > 9) return parseTimestamp(v);
      if (k < 6) micros = micros * 10 + d;
    }
    for (let k = Math.min(n - 21, 6); k < 6; k++) micros *= 10;
    const ms = this.base;
    return micros === 0 ? ms : ms + Math.floor(micros / 1000) + (micros % 1000) / 1000;
  }
}
