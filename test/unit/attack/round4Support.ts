/**
 * What the round-4 attack tests share ([attacker4], test/unit/attack/round4*.test.ts): the
 * failures, verdict counts, status and every flow's facts as forEachFlow gives them (from the cold
 * index's columns, or from the flow objects), as plain data.
 */
import type { TraceWorkspace } from '../../../src/core/read/workspace';
import { failures, runFailures, runStatus, runVerdictCounts } from '../../../src/core/analyze/queries';
import { forEachFlow } from '../../../src/core/model/flowFacts';
import type { Run, TraceEvent } from '../../../src/core/model/types';

const ev = (e: TraceEvent): unknown => ({ type: e.type, ts: e.ts, flowId: e.flowId, flow: e.flow, failureClass: e.failureClass, reason: e.reason, severity: e.severity, line: e.src?.line });

/** What the failures, counts, status and every flow's facts (walked, as the columns or objects give them) say. */
export function failureFacts(ws: TraceWorkspace): unknown {
  const runs = ws.runs();
  const per = runs.map((r: Run) => {
    const walked: unknown[] = [];
    forEachFlow(r, (f) => {
      walked.push([f.id, f.runId, f.name, f.displayName, f.verdict, f.started, f.ended, f.durationMs, f.verdictEvent && ev(f.verdictEvent), f.events.map(ev)]);
    });
    return {
      id: r.id,
      status: runStatus(r),
      counts: runVerdictCounts(r),
      walked,
      failures: runFailures(r).map((x) => ({
        run: x.run.id,
        flow: x.flow && { id: x.flow.id, runId: x.flow.runId, name: x.flow.name, displayName: x.flow.displayName, verdict: x.flow.verdict, started: x.flow.started, ended: x.flow.ended, durationMs: x.flow.durationMs },
        event: ev(x.event),
      })),
    };
  });
  const all = (o: 'oldest' | 'newest'): unknown => failures(runs, o).map((x) => [x.run.id, x.flow?.id, x.event.src?.line]);
  return { per, oldest: all('oldest'), newest: all('newest') };
}

