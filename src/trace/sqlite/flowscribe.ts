/**
 * flowscribe SQLite sink adapter (formats.md §2): `events(id, event_type, event_data,
 * created_at)` where `event_data` is the same JSON object as a JSONL line, and the older layout
 * `timestamp, event_type, flow_id, step, tags, evidence, data` with Python-repr evidence/data.
 * Rows become the same TraceEvents as the JSONL reader gives; `src.line` is the rowid.
 */
import type { Dialect, Malformed, TraceEvent } from '../model';
import { detectDialect, detectFileDialect, normalizeEvent } from '../sources/normalize';
import { jsonErrorDetail } from '../sources/jsonError';
import type { Database } from './engine';
import { ident, type TableInfo } from './detect';
import { parsePythonLiteral } from './pylit';
import { each, num } from './query';

export interface FlowscribeRows {
  events: TraceEvent[];
  malformed: Malformed[];
}

const SENTINEL = '\u0000flowlens-sqlite:';

/** JSON.parse, then (only on failure) again with Python's bare NaN / Infinity / -Infinity allowed (§1a). */
export function parseJsonLenient(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
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
      const value = JSON.parse(out, (_k, v) =>
        typeof v === 'string' && v.startsWith(SENTINEL) ? Number(v.slice(SENTINEL.length)) : v,
      );
      return { ok: true, value };
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
  each(db, `SELECT id, event_type, event_data FROM events ORDER BY id`, ([id, type, data]) => {
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
  });
  const fileDialect: Dialect = detectFileDialect(parsed.slice(0, 20).map((p) => p.obj)) ?? 'generic';
  for (const { obj, line } of parsed) {
    events.push(normalizeEvent(obj, detectDialect(obj) ?? fileDialect, { file, line }));
  }
  return { events, malformed };
}

/** A Python repr column: parsed when it is a plain literal, else the raw text (kept, never eval'd). */
export function pyValue(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (t === '') return v;
  const r = parsePythonLiteral(t);
  if (r.ok) return r.value;
  const j = parseJsonLenient(t);
  return j.ok ? j.value : v;
}

/** Rows of the older layout (§2): comma-joined tags, Python-repr evidence and data. */
export function readLegacyRows(db: Database, file: string, table: TableInfo): FlowscribeRows {
  const events: TraceEvent[] = [];
  const malformed: Malformed[] = [];
  const known = ['timestamp', 'event_type', 'flow_id', 'step', 'tags', 'evidence', 'data'];
  const cols = table.columns.filter((c) => c.toLowerCase() !== 'id' && c.toLowerCase() !== 'rowid');
  each(db, `SELECT rowid, ${cols.map(ident).join(', ')} FROM events ORDER BY rowid`, (r) => {
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
  });
  return { events, malformed };
}
