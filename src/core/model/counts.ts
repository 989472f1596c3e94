/**
 * Event counts: the one definition of how an event is counted (by type, severity, failure class
 * and its domain). The run builder keeps a run's counts as events are added (`run.counts`), and
 * the rollups count any list of events with the same function.
 */
import { failureDomain, type EventCounts, type Run } from './types';
import { bump, record } from './bounded';

export type { EventCounts };

/** Empty {@link EventCounts} whose records have no prototype (types, classes are trace data). */
export function emptyEventCounts(): EventCounts {
  return { total: 0, byType: record(), bySeverity: record(), byFailureClass: record(), byDomain: record() };
}

/** A copy of {@link EventCounts} (null-prototype records). */
export function copyEventCounts(c: EventCounts): EventCounts {
  const out = emptyEventCounts();
  mergeCounts(out, c);
  return out;
}

/** Count one event (by its type, severity and failure class) into `c`. */
export function countInto(c: EventCounts, type: string, severity: string | undefined, failureClass: string | undefined): void {
  c.total++;
  bump(c.byType, type);
  if (severity) bump(c.bySeverity, severity);
  if (failureClass) {
    bump(c.byFailureClass, failureClass);
    bump(c.byDomain as Record<string, number>, failureDomain(failureClass));
  }
}

/** Counts over any events. */
export function countEvents(events: Iterable<{ type: string; severity?: string; failureClass?: string }>): EventCounts {
  const c = emptyEventCounts();
  for (const e of events) countInto(c, e.type, e.severity, e.failureClass);
  return c;
}

/** Adds `from` into `into` (every field). */
export function mergeCounts(into: EventCounts, from: EventCounts): void {
  into.total += from.total;
  for (const k of ['byType', 'bySeverity', 'byFailureClass', 'byDomain'] as const) {
    const dst = into[k] as Record<string, number>;
    for (const [key, n] of Object.entries(from[k] as Record<string, number>)) bump(dst, key, n);
  }
}

/**
 * A run's counts (a copy): every event read for it, held or not, as the run builder counted them;
 * for a run made by hand without `counts`, its `events` counted.
 */
export function runCounts(run: Pick<Run, 'counts' | 'events'>): EventCounts {
  return run.counts ? copyEventCounts(run.counts) : countEvents(run.events);
}
