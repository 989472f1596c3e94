/**
 * What the round-3 attack tests share ([attacker3], test/unit/attack/round3*.test.ts): temporary
 * folders removed after the run, a clock after every trace, one file opened with a given index and
 * cache, and the facts the CLI reads without making flow objects (model/flowFacts.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { flowRollups, flowTrends, latencyHistograms, rollupRuns } from '../../../src/core/analyze/rollup';
import { runStatus, runVerdictCounts } from '../../../src/core/analyze/queries';

/** "Now" for every workspace of these tests (no run is live). */
export const LATER = Date.UTC(2030, 0, 1);

const dirs: string[] = [];
after(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A temporary folder, removed after the run. */
export function tmpdir(p: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `flowlens-r3-${p}-`));
  dirs.push(d);
  return d;
}

/** Load one trace file (final) with `index` and, given a folder, the index cache there. */
export async function openFile(file: string, index: WorkspaceOptions['index'], cache?: string): Promise<{ ws: TraceWorkspace; notes: string[] }> {
  const notes: string[] = [];
  const ws = TraceWorkspace.forFile(file, {
    now: () => LATER,
    final: true,
    index,
    ...(cache ? { indexCache: { dir: cache, log: (m: string) => notes.push(m) } } : {}),
  });
  await ws.load();
  await ws.cacheWritten();
  return { ws, notes };
}

/**
 * What the CLI reads without making flow objects: rollups, per-run status, verdict counts and
 * rollups, trends, histograms (call it before anything makes the flows).
 */
export function facts(ws: TraceWorkspace): unknown {
  const runs = ws.runs();
  return {
    rollups: rollupRuns(runs),
    perRun: runs.map((r) => [r.id, r.status, r.cap, r.sources, runStatus(r), runVerdictCounts(r), r.flows.size, rollupRuns([r])]),
    flowRollups: flowRollups(runs),
    trends: flowTrends(runs),
    hist: latencyHistograms(runs),
  };
}
