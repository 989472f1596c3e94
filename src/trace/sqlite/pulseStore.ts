/**
 * Pulse store adapter (formats.md §3, `events(id, event_type, version, timestamp, payload,
 * source, received_at)`): the {@link PulseRollup} computed in SQL, with the same counting rules
 * as `pulseRollup` in src/trace/pulse.ts (version > 1 unsupported, `""` phase bucket, ...).
 */
import type { TraceEvent } from '../model';
import { DEFAULT_RECENT, UNKNOWN_SOURCE, type PulseRollup, type PulsePhaseRollup, type PassRate } from '../pulse';
import { normalizeEvent } from '../sources/normalize';
import type { Database } from './engine';
import { ident, type TableInfo } from './detect';
import { rows, num, str } from './query';
import { dayExpr, msOf, tsMsExpr } from './sqlTime';

const SUPPORTED = `NOT (typeof(version) IN ('integer','real') AND version > 1)`;
const P = (path: string): string => `json_extract(CASE WHEN json_valid(payload) THEN payload END, '$.${path}')`;
const PT = (path: string): string => `json_type(CASE WHEN json_valid(payload) THEN payload END, '$.${path}')`;

/** The named SQL queries behind the Pulse rollup (also run by the bench on the sqlite3 CLI). */
export function pulseQueries(hasSource: boolean, recent = DEFAULT_RECENT): Record<string, string> {
  const src = hasSource ? 'source' : 'NULL';
  return {
    byType: `SELECT event_type, count(*) FROM events GROUP BY event_type`,
    bySource: `SELECT ${src}, count(*) FROM events GROUP BY 1`,
    unsupported: `SELECT event_type, version, count(*) FROM events WHERE NOT (${SUPPORTED}) GROUP BY event_type, version ORDER BY event_type, version`,
    phaseCloses: `SELECT ${P('phase')}, count(*), total(CASE WHEN ${PT('tasks_done')} IN ('integer','real') THEN ${P('tasks_done')} END), min(${tsMsExpr('timestamp')}), max(${tsMsExpr('timestamp')}) FROM events WHERE event_type = 'phase.close' AND ${SUPPORTED} AND ${PT('phase')} = 'text' GROUP BY 1`,
    taskCloses: `SELECT CASE WHEN ${PT('phase')} = 'text' THEN ${P('phase')} ELSE '' END, count(*) FROM events WHERE event_type = 'task.close' AND ${SUPPORTED} AND json_valid(payload) AND json_type(payload) = 'object' GROUP BY 1`,
    stopReasons: `SELECT ${P('stop_reason')}, count(*) FROM events WHERE event_type = 'workflow.next.stop_reason' AND ${SUPPORTED} AND ${PT('stop_reason')} = 'text' GROUP BY 1`,
    verification: `SELECT CASE WHEN ${PT('target')} = 'text' THEN ${P('target')} END, ${dayExpr('timestamp')}, count(*), sum(${PT('passed')} = 'true') FROM events WHERE event_type = 'verification.completed' AND ${SUPPORTED} AND ${PT('passed')} IN ('true','false') GROUP BY 1, 2`,
    recent: `SELECT id, event_type, version, timestamp, payload, ${src}, ${hasSource ? 'received_at' : 'NULL'} FROM events ORDER BY (${tsMsExpr('timestamp')}) IS NULL, ${tsMsExpr('timestamp')} DESC, id DESC LIMIT ${Math.max(0, Math.floor(recent))}`,
  };
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

/** All Pulse rollups of §3 for an open Pulse store, in SQL. */
export function pulseStoreRollup(db: Database, file: string, table: TableInfo | undefined, opts: { recent?: number } = {}): PulseRollup {
  const hasSource = !!table?.columns.includes('source');
  const q = pulseQueries(hasSource, opts.recent ?? DEFAULT_RECENT);
  const byType: Record<string, number> = {};
  let total = 0;
  for (const [t, n] of rows(db, q.byType)) {
    byType[str(t) ?? ''] = num(n);
    total += num(n);
  }
  const bySource: Record<string, number> = {};
  for (const [s, n] of rows(db, q.bySource)) {
    const k = str(s) ?? UNKNOWN_SOURCE;
    bySource[k] = (bySource[k] ?? 0) + num(n);
  }
  const unsupported = rows(db, q.unsupported).map(([t, v, n]) => ({ type: str(t) ?? '', version: num(v), count: num(n) }));
  const phases = new Map<string, PulsePhaseRollup>();
  const phase = (name: string): PulsePhaseRollup => {
    let p = phases.get(name);
    if (!p) phases.set(name, (p = { phase: name, closes: 0, tasksDone: 0, taskCloses: 0 }));
    return p;
  };
  for (const [name, closes, done, first, last] of rows(db, q.phaseCloses)) {
    const p = phase(str(name) ?? '');
    p.closes = num(closes);
    p.tasksDone = num(done);
    const f = msOf(first);
    const l = msOf(last);
    if (f !== undefined) p.firstClosedAt = f;
    if (l !== undefined) p.lastClosedAt = l;
  }
  for (const [name, n] of rows(db, q.taskCloses)) phase(str(name) ?? '').taskCloses = num(n);
  const stopReasons: Record<string, number> = {};
  for (const [s, n] of rows(db, q.stopReasons)) stopReasons[str(s) ?? ''] = num(n);
  let vt = 0;
  let vp = 0;
  const targets = new Map<string, [number, number]>();
  const days = new Map<string, [number, number]>();
  for (const [target, day, n, passed] of rows(db, q.verification)) {
    const t = num(n);
    const p = num(passed);
    vt += t;
    vp += p;
    if (target !== null) {
      const a = targets.get(String(target)) ?? [0, 0];
      targets.set(String(target), [a[0] + t, a[1] + p]);
    }
    if (day !== null) {
      const a = days.get(String(day)) ?? [0, 0];
      days.set(String(day), [a[0] + t, a[1] + p]);
    }
  }
  const byTarget: Record<string, PassRate> = {};
  for (const [k, [t, p]] of targets) byTarget[k] = rate(t, p);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const byDay = [...days].map(([day, [t, p]]) => ({ day, ...rate(t, p) })).sort((a, b) => cmp(a.day, b.day));
  const recent = rows(db, q.recent).reverse().map((r) => pulseRowEvent(file, r));
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
