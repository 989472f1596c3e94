// Plain JSON snapshots of the model (runs, flows, events) for equality tests that compare two
// ways of reading the same trace (the cold index against the plain read, OTLP and flowscribe).
import type { FlowNode, Run, TraceEvent } from '../../src/core/model/types';
import { rollupRuns } from '../../src/core/analyze/rollup';
import type { TraceWorkspace } from '../../src/core/read/workspace';

export const plainEvent = (e: TraceEvent): unknown => JSON.parse(JSON.stringify(e));

export function plainFlow(f: FlowNode): unknown {
  return {
    id: f.id, name: f.name, displayName: f.displayName, runId: f.runId, parentId: f.parentId,
    children: f.children.map((c) => c.id), events: f.events.map(plainEvent),
    steps: f.steps.map((s) => ({ name: s.name, events: s.events.map(plainEvent) })),
    verdict: f.verdict, verdictEvent: f.verdictEvent && plainEvent(f.verdictEvent),
    started: f.started, ended: f.ended, durationMs: f.durationMs, correlation: f.correlation, tags: f.tags,
  };
}

export function plainRun(r: Run): unknown {
  return {
    id: r.id, dialect: r.dialect, sources: r.sources, primarySource: r.primarySource, app: r.app, mode: r.mode,
    tags: r.tags, gitSha: r.gitSha, host: r.host, started: r.started, ended: r.ended, endedBy: r.endedBy, status: r.status,
    counts: r.counts, flows: [...r.flows.values()].map(plainFlow), roots: r.roots.map((f) => f.id), events: r.events.map(plainEvent),
    malformed: r.malformed, notes: r.notes, warnings: r.warnings,
  };
}

/**
 * Everything a surface can see of a workspace, as plain data: runs (flows, events read back),
 * rollups, malformed lines, problems, sources and envelopes. Two reads of the same traces (cold
 * index and plain read, WASM and JS scanner, restored and cold) must give equal digests.
 */
export function workspaceDigest(ws: TraceWorkspace): unknown {
  return {
    runs: ws.runs().map(plainRun),
    rollups: ws.runs().map((r) => rollupRuns([r])),
    malformed: ws.malformed(),
    problems: ws.problems(),
    sources: ws.sources(),
    envelopes: ws.envelopes.map(plainEvent),
  };
}
