/**
 * Sovereignty metrics store adapter (formats.md §4): `events(timestamp, event_type, session_id,
 * metadata_json)` and `sessions(session_id, game, start_time, end_time)`.
 */
import type { Database } from './engine';
import { rows, num, str } from './query';
import { msOf, tsMsExpr } from './sqlTime';

export const SOVEREIGNTY_LAYERS = ['perception', 'decision', 'narration'] as const;
export type SovereigntyLayer = (typeof SOVEREIGNTY_LAYERS)[number];

/** Event types per layer: [sovereign, delegated] (§4). */
export const LAYER_TYPES: Record<SovereigntyLayer, [string, string]> = {
  perception: ['perception_cache_hit', 'perception_vlm_call'],
  decision: ['decision_rule_hit', 'decision_llm_call'],
  narration: ['narration_template', 'narration_llm'],
};

export interface LayerSovereignty {
  layer: SovereigntyLayer;
  sovereign: number;
  total: number;
  /** sovereign ÷ total × 100; undefined when the layer has no events in the window. */
  percent?: number;
}

export interface SovereigntySession {
  sessionId: string;
  game?: string;
  startTime?: string;
  endTime?: string;
  /** No `end_time`: still running (§4). */
  live: boolean;
  skillsCrystallized: number;
}

export interface SovereigntyRollup {
  /** Window in epoch ms; defaults to the first..last event time. `hours` is its length. */
  window: { fromMs?: number; toMs?: number; hours: number };
  events: number;
  layers: LayerSovereignty[];
  apiCalls: number;
  costUsd: number;
  /** costUsd ÷ window hours; undefined for an empty window. */
  costPerHour?: number;
  sessions: SovereigntySession[];
  liveSessions: string[];
}

export interface SovereigntyOptions {
  fromMs?: number;
  toMs?: number;
}

/** The named SQL queries of the sovereignty rollup; `?`-free so the bench can run them as text. */
export function sovereigntyQueries(opts: SovereigntyOptions = {}): Record<string, string> {
  const t = tsMsExpr('timestamp');
  const conds: string[] = [];
  if (opts.fromMs !== undefined) conds.push(`${t} >= ${Number(opts.fromMs)}`);
  if (opts.toMs !== undefined) conds.push(`${t} <= ${Number(opts.toMs)}`);
  const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
  return {
    byType: `SELECT event_type, count(*), total(CASE WHEN event_type = 'api_cost' AND json_valid(metadata_json) THEN json_extract(metadata_json, '$.usd') END), min(${t}), max(${t}) FROM events ${where} GROUP BY event_type`,
    sessions: `SELECT s.session_id, s.game, s.start_time, s.end_time, (SELECT count(*) FROM events e WHERE e.session_id = s.session_id AND e.event_type = 'skill_crystallized') FROM sessions s ORDER BY s.start_time, s.session_id`,
  };
}

/** Sovereignty % per layer, cost per hour, skills per session and live sessions (§4). */
export function sovereigntyRollup(db: Database, opts: SovereigntyOptions = {}): SovereigntyRollup {
  const q = sovereigntyQueries(opts);
  const counts = new Map<string, number>();
  let costUsd = 0;
  let events = 0;
  let minT: number | undefined;
  let maxT: number | undefined;
  for (const [type, n, usd, lo, hi] of rows(db, q.byType)) {
    counts.set(str(type) ?? '', num(n));
    events += num(n);
    costUsd += num(usd);
    const l = msOf(lo);
    const h = msOf(hi);
    if (l !== undefined && (minT === undefined || l < minT)) minT = l;
    if (h !== undefined && (maxT === undefined || h > maxT)) maxT = h;
  }
  const fromMs = opts.fromMs ?? minT;
  const toMs = opts.toMs ?? maxT;
  const hours = fromMs !== undefined && toMs !== undefined ? Math.max(0, toMs - fromMs) / 3_600_000 : 0;
  const layers = SOVEREIGNTY_LAYERS.map((layer): LayerSovereignty => {
    const [sov, del] = LAYER_TYPES[layer];
    const sovereign = counts.get(sov) ?? 0;
    const total = sovereign + (counts.get(del) ?? 0);
    return total > 0 ? { layer, sovereign, total, percent: (sovereign / total) * 100 } : { layer, sovereign, total };
  });
  const sessions = rows(db, q.sessions).map(([id, game, start, end, skills]): SovereigntySession => ({
    sessionId: str(id) ?? '',
    game: str(game),
    startTime: str(start),
    endTime: str(end) || undefined,
    live: end === null || end === '',
    skillsCrystallized: num(skills),
  }));
  return {
    window: { fromMs, toMs, hours },
    events,
    layers,
    apiCalls: counts.get('api_call') ?? 0,
    costUsd,
    costPerHour: hours > 0 ? costUsd / hours : undefined,
    sessions,
    liveSessions: sessions.filter((s) => s.live).map((s) => s.sessionId),
  };
}
