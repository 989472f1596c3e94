/**
 * View-function timings on the real providers (src/host) under a `vscode` stub: what the Runs
 * view does when a run with 10,000 flows is expanded, and the Failures view with 10,000 failures.
 */
import '../test/support/vscodeStub';
import type { TraceWorkspace } from '../src/core/read/workspace';
import { FailuresProvider } from '../src/host/failures/failuresView';
import { FlowTreeProvider } from '../src/host/runs/runsView';
import type { TraceServices } from '../src/host/services';
import type { BenchRow } from './types';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function fakeServices(ws: TraceWorkspace): TraceServices {
  const key = 'bench';
  const services = {
    workspaces: new Map([[key, ws]]),
    allRuns: () => ws.runs().map(run => ({ folderKey: key, run })),
    findRun: (id: string) => {
      const run = ws.getRun(id);
      return run ? { folderKey: key, run } : undefined;
    },
    onDidChange: () => ({ dispose: () => undefined }),
    resolveFile: (_k: string, f: string) => {
      const p = ws.pathMap.resolve(f).path;
      return { uri: p ? { fsPath: p, toString: () => `file://${p}` } : undefined };
    },
    folder: () => ({ name: 'bench', uri: { fsPath: ws.root } }),
  };
  return services as unknown as TraceServices;
}

/** Time expanding a run (getChildren + getTreeItem of what is shown) and listing all failures. */
export function timeViews(ws: TraceWorkspace, flowsRun: string, failsRun: string): BenchRow[] {
  const services = fakeServices(ws);
  const rows: BenchRow[] = [];
  const reps = 7;
  {
    const times: number[] = [];
    let shown = 0;
    for (let i = 0; i < reps; i++) {
      const tree = new FlowTreeProvider(services);
      const t = performance.now();
      const runs = tree.getChildren(undefined);
      const runNode = runs.find(n => n.kind === 'run' && n.runId === flowsRun);
      if (!runNode) throw new Error(`run ${flowsRun} not in the tree`);
      // Expanding the run, then each path group it shows (flows without parents are grouped by prefix).
      shown = 0;
      for (const k of tree.getChildren(runNode)) {
        tree.getTreeItem(k);
        shown++;
        if (k.kind === 'group') for (const f of tree.getChildren(k)) {
          tree.getTreeItem(f);
          shown++;
        }
      }
      times.push(performance.now() - t);
      tree.dispose();
    }
    const m = median(times);
    rows.push({ name: `view: children of a run with ${ws.getRun(flowsRun)?.flows.size} flows (median of ${reps})`, measured: m, unit: 'ms', target: 50, pass: m <= 50,
      note: `FlowTreeProvider: getChildren(run) and of its groups + getTreeItem of the ${shown} nodes shown (paged), under a vscode stub` });
  }
  {
    const times: number[] = [];
    let n = 0;
    for (let i = 0; i < reps; i++) {
      const fp = new FailuresProvider(services);
      const t = performance.now();
      const groups = fp.getChildren(undefined);
      n = 0;
      // As the view does: children of the groups that start expanded (the rest start collapsed;
      // past a page, folds sit under a collapsed "N more failures…" node).
      for (const g of groups) {
        const gi = fp.getTreeItem(g);
        n++;
        if (gi.collapsibleState !== 2 /* Expanded */) continue;
        for (const f of fp.getChildren(g)) {
          fp.getTreeItem(f);
          n++;
        }
      }
      times.push(performance.now() - t);
      fp.dispose();
    }
    const m = median(times);
    rows.push({ name: `view: failures of a run with ${ws.getRun(failsRun)?.flows.size} failures (median of ${reps})`, measured: m, unit: 'ms', target: 50, pass: m <= 50,
      note: `FailuresProvider.getChildren (collect + group of all failures; fold of the groups that can start expanded, the rest fold when expanded) + getTreeItem of the ${n} rows shown (groups past a page of rows collapsed; paged), under a vscode stub` });
  }
  return rows;
}
