/**
 * Pulse rollups over Grain / Assay / Pulse envelope events (formats.md §3).
 *
 * The SQLite engineer computes the same {@link PulseRollup} in SQL for the Pulse store; this
 * module is the reference implementation over already-normalised envelope {@link TraceEvent}s
 * (dialect `envelope`: `type`, `version`, `ts`, `payload`, `source`).
 *
 * Rules shared by both implementations:
 * - `total`, `byType`, `bySource` count every event, whatever its version.
 * - An event whose `version` is a number > 1 is *unsupported*: it is counted in `unsupported`
 *   (per type and version) and its payload is never read into phases, stop reasons or
 *   verification. An event without a version is read as version 1.
 * - A payload field with the wrong type is ignored for that figure (never throws).
 * - `phase.close` counts under `payload.phase`; `task.close` under `payload.phase` when the
 *   producer gives one, else under the `""` bucket (§3 payloads carry no phase on task.close).
 *   `workflow.next.stop_reason` does not create a phase entry.
 * - Events with no `source` count under {@link UNKNOWN_SOURCE}.
 */
import type { TraceEvent } from './types';
import { record } from './bounded';
import { isoDay } from './time';

/** `bySource` key for an event without a `source`. */
export const UNKNOWN_SOURCE = 'unknown';

/** Default number of events in {@link PulseRollup.recent}. */
export const DEFAULT_RECENT = 20;

/** One phase's figures. Phase `""` is a bucket like any other (§3). Times are epoch ms UTC. */
export interface PulsePhaseRollup {
  phase: string;
  /** Number of `phase.close` events. */
  closes: number;
  /** Sum of `phase.close` `payload.tasks_done`. */
  tasksDone: number;
  /** Number of `task.close` events attributed to this phase. */
  taskCloses: number;
  /** Earliest / latest `phase.close` time; undefined when the phase never closed. */
  firstClosedAt?: number;
  lastClosedAt?: number;
}

/** `verification.completed` outcome counts. `rate` = passed ÷ total, undefined when total is 0. */
export interface PassRate {
  total: number;
  passed: number;
  rate?: number;
}

/** Pass rate on one UTC day (`YYYY-MM-DD`). */
export interface DailyPassRate extends PassRate {
  day: string;
}

/** Events with an unsupported (future) envelope version, counted per type and version. */
export interface UnsupportedVersion {
  type: string;
  version: number;
  count: number;
}

/** Every Pulse rollup of formats.md §3. Records are plain objects keyed by the written name. */
export interface PulseRollup {
  /** Number of events read (all versions). */
  total: number;
  byType: Record<string, number>;
  bySource: Record<string, number>;
  /** Sorted by phase name (string order; `""` first). */
  phases: PulsePhaseRollup[];
  /** `workflow.next.stop_reason` `payload.stop_reason` → count. */
  stopReasons: Record<string, number>;
  verification: {
    overall: PassRate;
    byTarget: Record<string, PassRate>;
    /** Sorted by day; events without a time are left out of this series only. */
    byDay: DailyPassRate[];
  };
  /** Sorted by type, then version. */
  unsupported: UnsupportedVersion[];
  /** The last N events (by time, ties in input order), oldest first. */
  recent: TraceEvent[];
}

/** Options for {@link pulseRollup}. */
export interface PulseRollupOptions {
  /** How many events to keep in `recent` (default {@link DEFAULT_RECENT}). */
  recent?: number;
}

/** `rec` is a null-prototype record ({@link record}). */
function bump(rec: Record<string, number>, key: string, by = 1): void {
  rec[key] = (rec[key] ?? 0) + by;
}

function payloadOf(e: TraceEvent): Record<string, unknown> | undefined {
  const p = e.payload;
  return p !== null && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : undefined;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function addPass(r: PassRate, passed: boolean): void {
  r.total++;
  if (passed) r.passed++;
  r.rate = r.passed / r.total;
}

/** UTC day `YYYY-MM-DD` of an epoch-ms time; `"invalid time"` outside the Date range (total). */
export function utcDay(ms: number): string {
  return isoDay(ms) ?? 'invalid time';
}

/** True when the envelope version is one Flowlens can read (missing = 1). */
export function isSupportedVersion(version: number | undefined): boolean {
  return version === undefined || !(version > 1);
}

/**
 * All Pulse rollups of formats.md §3 over envelope events, in one pass plus a sort of `recent`.
 * Pure; never throws on odd payloads. See the module comment for the counting rules.
 */
export function pulseRollup(events: readonly TraceEvent[], opts: PulseRollupOptions = {}): PulseRollup {
  const recentN = Math.max(0, Math.floor(opts.recent ?? DEFAULT_RECENT));
  // Null-prototype records: types, sources, stop reasons and targets are trace data (`__proto__`).
  const byType: Record<string, number> = record();
  const bySource: Record<string, number> = record();
  const phases = new Map<string, PulsePhaseRollup>();
  const stopReasons: Record<string, number> = record();
  const overall: PassRate = { total: 0, passed: 0 };
  const byTarget: Record<string, PassRate> = record();
  const byDay = new Map<string, DailyPassRate>();
  const unsupported = new Map<string, UnsupportedVersion>();

  const phase = (name: string): PulsePhaseRollup => {
    let p = phases.get(name);
    if (!p) phases.set(name, (p = { phase: name, closes: 0, tasksDone: 0, taskCloses: 0 }));
    return p;
  };

  for (const e of events) {
    bump(byType, e.type);
    bump(bySource, e.source ?? UNKNOWN_SOURCE);
    if (!isSupportedVersion(e.version)) {
      const v = e.version as number;
      const k = `${e.type}\u0000${v}`;
      const u = unsupported.get(k);
      if (u) u.count++;
      else unsupported.set(k, { type: e.type, version: v, count: 1 });
      continue;
    }
    const p = payloadOf(e);
    if (!p) continue;
    switch (e.type) {
      case 'phase.close': {
        if (typeof p.phase !== 'string') break;
        const ph = phase(p.phase);
        ph.closes++;
        if (isCount(p.tasks_done)) ph.tasksDone += p.tasks_done;
        if (e.ts !== undefined) {
          if (ph.firstClosedAt === undefined || e.ts < ph.firstClosedAt) ph.firstClosedAt = e.ts;
          if (ph.lastClosedAt === undefined || e.ts > ph.lastClosedAt) ph.lastClosedAt = e.ts;
        }
        break;
      }
      case 'task.close':
        phase(typeof p.phase === 'string' ? p.phase : '').taskCloses++;
        break;
      case 'workflow.next.stop_reason':
        if (typeof p.stop_reason === 'string') bump(stopReasons, p.stop_reason);
        break;
      case 'verification.completed': {
        if (typeof p.passed !== 'boolean') break;
        addPass(overall, p.passed);
        if (typeof p.target === 'string') addPass((byTarget[p.target] ??= { total: 0, passed: 0 }), p.passed);
        if (e.ts !== undefined) {
          const day = utcDay(e.ts);
          let d = byDay.get(day);
          if (!d) byDay.set(day, (d = { day, total: 0, passed: 0 }));
          addPass(d, p.passed);
        }
        break;
      }
      default:
        break;
    }
  }

  const byTime = events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.ts ?? -Infinity) - (b.e.ts ?? -Infinity) || a.i - b.i);
  const recent = recentN === 0 ? [] : byTime.slice(-recentN).map((x) => x.e);

  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return {
    total: events.length,
    byType,
    bySource,
    phases: [...phases.values()].sort((a, b) => cmp(a.phase, b.phase)),
    stopReasons,
    verification: {
      overall,
      byTarget,
      byDay: [...byDay.values()].sort((a, b) => cmp(a.day, b.day)),
    },
    unsupported: [...unsupported.values()].sort((a, b) => cmp(a.type, b.type) || a.version - b.version),
    recent,
  };
}
