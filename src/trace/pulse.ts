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
import type { TraceEvent } from './model';

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
