// `flowlens.revealInRuns`: select a run or flow in the Runs view.
import type * as vscode from 'vscode';
import type { TraceServices } from '../../services';
import { toRunFlow, type ItemArg, type RunFlowArg } from '../itemArg';
import type { FlowTreeProvider, TreeNode } from '../runsView';

/**
 * `flowlens.revealInRuns` — selects and expands a run or flow in the Runs view (CodeLens clicks,
 * Failures items, other features). Unknown runs are ignored.
 */
export async function revealInRuns(services: TraceServices, provider: FlowTreeProvider, view: vscode.TreeView<TreeNode>, arg: RunFlowArg | ItemArg | undefined): Promise<void> {
  const a = toRunFlow(arg);
  if (!a.runId) return;
  const ref = services.findRun(a.runId, a.folderKey);
  if (!ref) return;
  const node = provider.nodeFor(ref.folderKey, ref.run.id, a.flowId);
  if (node) await view.reveal(node, { select: true, focus: true, expand: true });
}
