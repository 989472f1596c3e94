/**
 * The memory-cap policy (`flowlens.maxEventsPerSource`, docs/decisions.md): after each read of a
 * source, keep it within the cap by summarising its runs oldest first; a run that may still be
 * written (no end yet, live by the rule of model/build.ts `isLive`) goes last.
 */
import { DEFAULT_LIVE_WINDOW_MS, isLive } from '../../model/build';
import type { Run } from '../../model/types';
import type { RunIdentity } from './identity';
import type { ReadState, SourceState } from './state';

/** Keep one source within `maxEventsPerSource` (after each read of it, never per event). */
export function capSource(s: ReadState, identity: RunIdentity, st: SourceState, now: number): void {
  const cap = s.opts.maxEventsPerSource;
  if (!cap || cap <= 0 || st.runIds.size < 2) return;
  const window = s.opts.liveWindowMs ?? DEFAULT_LIVE_WINDOW_MS;
  s.builder.capSource(st.runIds, st.src.file, (run) => {
    if (run.ended !== undefined) return false;
    return isLive(now, window, runMtime(s, identity, run), s.builder.lastEventTime(run));
  });
}

/**
 * When a run's source last changed, for "is it still running": the primary source's mtime; for a
 * run of a rolling file only the run appended last can still be live.
 */
export function runMtime(s: ReadState, identity: RunIdentity, run: Run): number | undefined {
  const st = s.states.get(run.primarySource);
  if (!st) return undefined;
  if (st.src.kind === 'trace-rolling' && identity.lastInRolling(st.src.file) !== run.id) return undefined;
  return st.mtime;
}
