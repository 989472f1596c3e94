/**
 * flowscribe SQLite sink adapter (formats.md §2): `events(id, event_type, event_data,
 * created_at)` where `event_data` is the same JSON object as a JSONL line, and the older layout
 * `timestamp, event_type, flow_id, step, tags, evidence, data` with Python-repr evidence/data.
 * Rows become the same TraceEvents as the JSONL reader gives; `src.line` is the rowid.
 */
import type { Dialect, Malformed, TraceEvent } from '../../model/types';
import { detectDialect, detectFileDialect, normalizeEvent } from '../sources/normalize';
import { jsonErrorDetail } from '../sources/jsonError';
import type { Database } from './engine';
import { ident, type TableInfo } from './detect';
import { parsePythonLiteral } from './pylit';
import { BudgetExceeded, each, num } from './query';
import { boundedCopy, MAX_VALUE_DEPTH } from '../../model/bounded';

export interface FlowscribeRows {
  events: TraceEvent[];
  malformed: Malformed[];
  /**
   * Why reading stopped before the last row (the row / byte / time budget, query.ts); the rows
   * read before that are kept in `events` / `malformed`.
   */
  stopped?: string;
}

const SENTINEL = '\u0000flowlens-sqlite:';

/**
 * True when `v` has objects/arrays nested deeper than `max` levels. Recursion is bounded by `max`
 * (checked before descending), so a value nested 100,000 deep costs at most `max` frames.
 */
function deeperThan(v: unknown, max: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (max <= 0) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null && typeof x === 'object' && deeperThan(x, max - 1)) return true;
    return false;
  }
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && typeof x === 'object' && deeperThan(x, max - 1)) return true;
  }
  return false;
}

/**
 * `v` with every object/array deeper than {@link MAX_VALUE_DEPTH} cut to `[depth limit]`
 * (bounded.ts `boundedCopy`); `v` itself when it is not that deep (no copy). A parsed row never
 * leaves the SQLite worker deeper than this: structured clone and every later walk recurse.
 */
export function cutDeep(v: unknown): unknown {
  return deeperThan(v, MAX_VALUE_DEPTH) ? boundedCopy(v, { maxDepth: MAX_VALUE_DEPTH }) : v;
}

/** Python's NaN / Infinity sentinels (as strings after the lenient rewrite) back to numbers; `v` is at most MAX_VALUE_DEPTH deep. */
function reviveSentinels(v: unknown): unknown {
  if (typeof v === 'string') return v.startsWith(SENTINEL) ? Number(v.slice(SENTINEL.length)) : v;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = reviveSentinels(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (typeof x === 'string' || (x !== null && typeof x === 'object')) {
      const y = reviveSentinels(x);
      if (y !== x) Object.defineProperty(o, k, { value: y, enumerable: true, writable: true, configurable: true });
    }
  }
  return v;
}

/**
 * JSON.parse, then (only on failure) again with Python's bare NaN / Infinity / -Infinity allowed
 * (§1a). Objects/arrays nested deeper than {@link MAX_VALUE_DEPTH} are cut to `[depth limit]`
 * (the row is kept, its deep evidence cut), so nothing deep crosses the worker's thread boundary.
 */
export function parseJsonLenient(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: cutDeep(JSON.parse(text)) };
  } catch {
    // Our wording, never V8's message: it quotes the text (a secret on a broken row would leak).
    if (!/NaN|Infinity/.test(text)) return { ok: false, error: jsonErrorDetail(text) };
    let out = '';
    let inStr = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inStr) {
        out += c;
        if (c === '\\') out += text[++i] ?? '';
        else if (c === '"') inStr = false;
        continue;
      }
      if (c === '"') {
        inStr = true;
        out += c;
        continue;
      }
      const m = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9));
      if (m) {
        out += JSON.stringify(SENTINEL + m[1]);
        i += m[1].length - 1;
        continue;
      }
      out += c;
    }
    try {
      // No reviver: V8 applies a reviver recursively (a deep value would overflow); cut first, then revive.
      return { ok: true, value: reviveSentinels(cutDeep(JSON.parse(out))) };
    } catch {
      return { ok: false, error: jsonErrorDetail(text) };
    }
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rows of the current sink layout: event_data JSON → TraceEvent via the shared normaliser. */
export function readSinkRows(db: Database, file: string): FlowscribeRows {
  const events: TraceEvent[] = [];
  const malformed: Malformed[] = [];
  const parsed: { obj: Record<string, unknown>; line: number }[] = [];
  const stopped = keepRead(() => each(db, `SELECT id, event_type, event_data FROM events ORDER BY id`, ([id, type, data]) => {
    const line = num(id);
    if (typeof data !== 'string') {
      malformed.push({ file, line, reason: `events row ${line}: event_data is ${data === null ? 'NULL' : typeof data}, not JSON text` });
      return;
    }
    const r = parseJsonLenient(data);
    if (!r.ok) {
      malformed.push({ file, line, reason: `events row ${line}: event_data is not valid JSON (${r.error})` });
      return;
    }
    if (!isObj(r.value)) {
      malformed.push({ file, line, reason: `events row ${line}: event_data is JSON ${Array.isArray(r.value) ? 'array' : typeof r.value}, not an object` });
      return;
    }
    const obj = r.value;
    if (obj.event_type === undefined && obj.type === undefined && typeof type === 'string') obj.event_type = type;
    parsed.push({ obj, line });
  }));
  const fileDialect: Dialect = detectFileDialect(parsed.slice(0, 20).map((p) => p.obj)) ?? 'generic';
  for (const { obj, line } of parsed) {
    events.push(normalizeEvent(obj, detectDialect(obj) ?? fileDialect, { file, line }));
  }
  return stopped === undefined ? { events, malformed } : { events, malformed, stopped: keptText(stopped, events.length + malformed.length) };
}

/**
 * Run a row loop; a {@link BudgetExceeded} (rows, bytes, time) ends it and is returned as the
 * reason, keeping what the loop collected so far (budget = stop reading more, not drop what was read).
 */
function keptText(stopped: string, n: number): string {
  return `${stopped}; the ${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'} read before that ${n === 1 ? 'is' : 'are'} kept`;
}

function keepRead(loop: () => void): string | undefined {
  try {
    loop();
    return undefined;
  } catch (e) {
    if (e instanceof BudgetExceeded) return e.message;
    throw e;
  }
}

/** A Python repr column: parsed when it is a plain literal, else the raw text (kept, never eval'd). */
export function pyValue(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (t === '') return v;
  const r = parsePythonLiteral(t);
  if (r.ok) return cutDeep(r.value);
  const j = parseJsonLenient(t);
  return j.ok ? j.value : v;
}

/** Rows of the older layout (§2): comma-joined tags, Python-repr evidence and data. */
export function readLegacyRows(db: Database, file: string, table: TableInfo): FlowscribeRows {
  const events: TraceEvent[] = [];
  const malformed: Malformed[] = [];
  const known = ['timestamp', 'event_type', 'flow_id', 'step', 'tags', 'evidence', 'data'];
  const cols = table.columns.filter((c) => c.toLowerCase() !== 'id' && c.toLowerCase() !== 'rowid');
  const stopped = keepRead(() => each(db, `SELECT rowid, ${cols.map(ident).join(', ')} FROM events ORDER BY rowid`, (r) => {
    const line = num(r[0]);
    const obj: Record<string, unknown> = Object.create(null); // keyed by column names (store data)
    cols.forEach((c, i) => {
      const v = r[i + 1];
      if (v === null || v === undefined) return;
      const k = c.toLowerCase();
      if (k === 'tags') obj.tags = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
      else if (k === 'evidence' || k === 'data') obj[k] = pyValue(v);
      else obj[known.includes(k) ? k : c] = v instanceof Uint8Array ? `<${v.length} bytes>` : v;
    });
    if (typeof obj.event_type !== 'string') {
      malformed.push({ file, line, reason: `events row ${line}: no event_type` });
      return;
    }
    events.push(normalizeEvent(obj, detectDialect(obj) ?? 'flowscribe-0.1', { file, line }));
  }));
  return stopped === undefined ? { events, malformed } : { events, malformed, stopped: keptText(stopped, events.length + malformed.length) };
}
