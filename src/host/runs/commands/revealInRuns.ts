// `flowlens.revealInRuns`: select a run or flow in the Runs view.
import * as vscode from 'vscode';
import type { TraceServices } from '../../services';
import { toRunFlow, type ItemArg, type RunFlowArg } from '../itemArg';
import type { FlowTreeProvider, TreeNode } from '../runsView';

/** How long one reveal may take to show up as the view's selection before it is asked again. */
const SELECTION_WAIT_MS = 1500;
const ATTEMPTS = 3;

/**
 * `flowlens.revealInRuns` — selects and expands a run or flow in the Runs view (CodeLens clicks,
 * Failures items, other features). A run asked for while the traces are being (re)loaded is
 * looked up once the load is done; unknown runs are ignored (and logged).
 */
export async function revealInRuns(services: TraceServices, provider: FlowTreeProvider, view: vscode.TreeView<TreeNode>, arg: RunFlowArg | ItemArg | undefined): Promise<void> {
  const a = toRunFlow(arg);
  if (!a.runId) return;
  let ref = services.findRun(a.runId, a.folderKey);
  if (!ref && services.loading) {
    await services.settled();
    ref = services.findRun(a.runId, a.folderKey);
  }
  if (!ref) {
    services.log?.note(`Reveal in Runs: no run ${JSON.stringify(a.runId)} in this workspace`);
    return;
  }
  // A flow of a big indexed run whose objects are not made yet: made in slices first, not in one
  // block by the lookup below (core/read/workspace/options.ts `makeFlows`).
  const ws = services.workspaces.get(ref.folderKey);
  if (a.flowId && ws && !ws.flowsMade(ref.run.id)) await ws.makeFlows(ref.run.id);
  const node = provider.nodeFor(ref.folderKey, ref.run.id, a.flowId);
  if (node && !(await revealSelected(view, node))) services.log?.note(`Reveal in Runs: the view did not select ${node.id}`);
}

/**
 * Reveal `node` selected and focused, and make sure the selection arrived: VS Code drops a reveal
 * that races a refresh of the tree it is in (microsoft/vscode#96089, #192055: "wait until the
 * refresh is done" — which no API reports), so a reveal whose selection does not show up within
 * {@link SELECTION_WAIT_MS} is asked again, up to {@link ATTEMPTS} times.
 */
async function revealSelected(view: vscode.TreeView<TreeNode>, node: TreeNode): Promise<boolean> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const selected = selectionOf(view, node.id);
    try {
      await view.reveal(node, { select: true, focus: true, expand: true });
    } catch {
      // "Data tree node not found" while a refresh replaces the rows: ask again.
    }
    if (await selected) return true;
  }
  return false;
}

/** Resolves true once `view`'s selection holds the node `id`, false after {@link SELECTION_WAIT_MS}. */
function selectionOf(view: vscode.TreeView<TreeNode>, id: string): Promise<boolean> {
  const has = (): boolean => view.selection.some(n => n.id === id);
  return new Promise<boolean>(resolve => {
    const done = (v: boolean): void => {
      clearTimeout(timer);
      sub.dispose();
      resolve(v);
    };
    const timer = setTimeout(() => done(has()), SELECTION_WAIT_MS);
    const sub = view.onDidChangeSelection(() => { if (has()) done(true); });
  });
}
