/**
 * What the round-4 attack tests share ([attacker4], test/unit/attack/round4*.test.ts): the
 * failures, verdict counts, status and every flow's facts as forEachFlow gives them (from the cold
 * index's columns, or from the flow objects), as plain data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
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


export const J = JSON.stringify;
/** A time `ms` after 2026-11-20 10:00 (ms precision, so durations differ). */
export const T = (ms: number): string => new Date(Date.UTC(2026, 10, 20, 10) + ms).toISOString();

/** Flow ids of many shapes: numbers, Object.prototype keys, uuids, long ids, short ids. */
export function flowId(i: number): string {
  switch (i % 11) {
    case 0:
      return String(i); // looks like a number
    case 1:
      return `${String(i).padStart(8, '0')}-1111-2222-3333-444444444444`; // a uuid (display: 8 chars)
    case 2:
      return `a-very-long-flow-identifier-${i}`; // > 12 chars (display: first 8)
    case 3:
      return i === 3 ? '__proto__' : i === 14 ? 'constructor' : i === 25 ? 'toString' : i === 36 ? 'hasOwnProperty' : `p${i}`;
    default:
      return `f${i}`;
  }
}

/**
 * `n` flows spread over runs r1 (most), r2 and r3 (interleaved), with events out of order: some
 * flows unnamed, some named on a later event, retried verdicts, verdicts without a time, stated and
 * measured durations, children of earlier flows, flowless failures and error events. The same flow
 * id shows up in two runs.
 */
export function hostile(n: number, seed = 0, withStart = true, hostileParents = false): string[] {
  const L: string[] = [];
  if (withStart) for (const r of ['r1', 'r2', 'r3']) L.push(J({ v: 1, event_type: 'session_start', run_id: r, timestamp: T(0), app: 'a' }));
  const lastOf = new Map<string, string>();
  for (let k = 0; k < n; k++) {
    const i = k + seed;
    const run = i % 7 === 0 ? 'r2' : i % 13 === 0 ? 'r3' : 'r1';
    const prev = lastOf.get(run);
    lastOf.set(run, flowId(i));
    const id = flowId(i);
    const named = i % 5 !== 0;
    const late = i % 17 === 0;
    const base: Record<string, unknown> = { v: 1, run_id: run, flow_id: id };
    const name = i % 3 === 0 ? 'constructor' : i % 29 === 0 ? '__proto__' : `svc/op${i % 9}`;
    const first: Record<string, unknown> = { ...base, event_type: 'flow_start', timestamp: T(i * 3) };
    if (named && !late) first.flow = name;
    // A child of its run's previous flow (the columns keep it), once in a while of another run's (not kept: made).
    if (i % 19 === 0 && prev !== undefined) first.parent_flow_id = prev;
    if (hostileParents && i % 1999 === 0 && k > 0) first.parent_flow_id = flowId(i - 1);
    L.push(J(first));
    if (late) L.push(J({ ...base, event_type: 'checkpoint', flow: name, timestamp: T(i * 3 + 1), step: 's' }));
    switch (i % 8) {
      case 0:
        L.push(J({ ...base, event_type: 'failure', timestamp: T(i * 3 + 2), failure_class: `C${i % 4}`, reason: 'r' }));
        break;
      case 1:
        L.push(J({ ...base, event_type: 'exception', timestamp: T(i * 3 + 2), exception: { type: 'E', message: 'm' } }));
        break;
      case 2:
        // Failed, then retried and succeeded: not a failure.
        L.push(J({ ...base, event_type: 'failure', timestamp: T(i * 3 + 1), failure_class: 'Retry' }));
        L.push(J({ ...base, event_type: 'success', timestamp: T(i * 3 + 2) }));
        break;
      case 3:
        // Succeeded, then failed: a failure; no time on the verdict.
        L.push(J({ ...base, event_type: 'success', timestamp: T(i * 3 + 1) }));
        L.push(J({ ...base, event_type: 'failure', failure_class: 'Late' }));
        break;
      case 4:
        L.push(J({ ...base, event_type: 'failure', timestamp: T(i * 3 + 2), duration_ms: i % 3 === 0 ? 0 : 12.5, severity: 'error' }));
        break;
      case 5:
        break; // open
      default:
        L.push(J({ ...base, event_type: 'success', timestamp: T(i * 3 + 2), duration_ms: 7 }));
    }
    if (i % 97 === 0) L.push(J({ v: 1, run_id: run, event_type: 'failure', timestamp: T(i * 3), failure_class: 'Flowless' }));
    if (i % 101 === 0) L.push(J({ v: 1, run_id: run, event_type: 'GOVERNOR_ROLLBACK', severity: 'error', timestamp: T(i * 3), message: 'rolled back' }));
  }
  return L;
}


/** In the calling describe: the same-thread index reads with the WASM scanner too (as the extension does). */
export function useWasmScanner(): void {
  const was = process.env.FLOWLENS_INDEX_SCANNER;
  const wasm = path.resolve('dist/scanner.wasm');
  before(() => {
    if (!fs.existsSync(wasm)) throw new Error(`${wasm} missing: npm run build`);
    process.env.FLOWLENS_INDEX_SCANNER = wasm;
  });
  after(() => {
    if (was === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
    else process.env.FLOWLENS_INDEX_SCANNER = was;
  });
}
