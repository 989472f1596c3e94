/**
 * Terminal output for the CLI: escaping of untrusted trace text, colour decisions, aligned
 * tables, JSON that is safe to print. Pure formatting; no trace logic.
 */

import { isoTime } from '../core/model/time';
import { boundedCopy } from '../core/model/bounded';

/**
 * Characters that can change what a terminal shows: C0 controls, DEL, C1 controls (incl. CSI
 * 0x9b), bidi overrides/isolates/marks, line/paragraph separators, zero-width joiners/BOM.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Escape control characters (ANSI escapes, bidi controls, newlines) so trace text prints as one inert line. */
export function esc(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? safeJson(v) : String(v);
  return s.replace(UNSAFE, ch => {
    switch (ch) {
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      case '\u001b': return '\\e';
      default: {
        const c = ch.charCodeAt(0);
        return c <= 0xff ? '\\x' + c.toString(16).padStart(2, '0') : '\\u' + c.toString(16).padStart(4, '0');
      }
    }
  });
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(boundedCopy(v)) ?? '';
  } catch {
    return '[unprintable]';
  }
}

/**
 * JSON.stringify with the same invisible/bidi characters escaped as `\uXXXX` (still valid JSON,
 * same values). The value is first copied with a depth limit ({@link boundedCopy}: deeper
 * levels print as `"[depth limit]"`), since `JSON.stringify` itself overflows the stack on
 * evidence nested ~10,000 deep; Maps print as objects, `__proto__` keys as keys.
 */
export function toJson(v: unknown): string {
  return (JSON.stringify(boundedCopy(v), null, 2) ?? 'null').replace(
    /[\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g,
    ch => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

/** ISO-8601 UTC string of an epoch-ms time, or null. */
export function iso(ms: number | undefined): string | null {
  return isoTime(ms) ?? null;
}

/** Whether to colour stdout: a TTY, unless NO_COLOR; FORCE_COLOR (not 0/false) forces it on. */
export function useColor(env: NodeJS.ProcessEnv = process.env, isTty = !!process.stdout.isTTY): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' ) return !['0', 'false', 'no'].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTty;
}

export type Colour = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold';
const CODES: Record<Colour, [number, number]> = {
  red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39], dim: [2, 22], bold: [1, 22],
};

/** A painter that colours only when enabled. */
export function painter(enabled: boolean): (c: Colour | undefined, s: string) => string {
  return (c, s) => (enabled && c && s ? `\u001b[${CODES[c][0]}m${s}\u001b[${CODES[c][1]}m` : s);
}

/** One table cell: text (escaped by the table) and an optional colour. */
export type Cell = string | number | null | undefined | { text: unknown; colour?: Colour };

/** Render rows as aligned columns; numbers right-aligned. Every cell is escaped. */
export function table(headers: string[], rows: Cell[][], paint: (c: Colour | undefined, s: string) => string): string {
  const text = (c: Cell): string => (c !== null && typeof c === 'object' ? esc(c.text) : esc(c));
  const colour = (c: Cell): Colour | undefined => (c !== null && typeof c === 'object' ? c.colour : undefined);
  const numeric = (c: Cell) => typeof c === 'number' || (c !== null && typeof c === 'object' && typeof c.text === 'number');
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => text(r[i]).length)));
  const numericCol = headers.map((_h, i) => rows.length > 0 && rows.every(r => numeric(r[i])));
  const lines = [headers.map((h, i) => paint('bold', numericCol[i] ? h.padStart(widths[i]) : i === headers.length - 1 ? h : h.padEnd(widths[i]))).join('  ').trimEnd()];
  for (const r of rows) {
    const cells = headers.map((_h, i) => {
      const t = text(r[i]);
      const last = i === headers.length - 1;
      const padded = numeric(r[i]) ? t.padStart(widths[i]) : last ? t : t.padEnd(widths[i]);
      return paint(colour(r[i]), padded);
    });
    lines.push(cells.join('  ').trimEnd());
  }
  return lines.join('\n') + '\n';
}

/** Milliseconds for humans: `850 ms`, `1.25 s`, `-` when unknown. */
export function ms(v: number | undefined | null): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '-';
  if (Math.abs(v) < 1000) return `${Math.round(v * 10) / 10} ms`;
  return `${(v / 1000).toFixed(2)} s`;
}

/** A percentage of a 0..1 rate, `-` when unknown. */
export function pct(v: number | undefined | null): string {
  return v === undefined || v === null || !Number.isFinite(v) ? '-' : `${(v * 100).toFixed(1)}%`;
}

/** Bytes for humans. */
export function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
