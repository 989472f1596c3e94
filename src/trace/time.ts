/**
 * Timestamp parsing for every form in docs/formats.md (§1a naive ISO, §1b ISO/epoch, §2 SQLite
 * `created_at`, §3/§6 `+00:00` offsets). The model keeps epoch milliseconds UTC.
 */

/** Epoch values below this are seconds, at or above it milliseconds (1e11 s ≈ year 5138). */
const SECONDS_LIMIT = 1e11;

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
 */
export function parseTimestamp(v: unknown): number | undefined {
  if (typeof v === 'number') return fromEpoch(v);
  if (typeof v === 'string') return parseString(v);
  if (v instanceof Date) {
    const t = v.getTime();
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

function fromEpoch(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  return Math.abs(n) < SECONDS_LIMIT ? n * 1000 : n;
}

function parseString(raw: string): number | undefined {
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

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
