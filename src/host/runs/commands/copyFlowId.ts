// `flowlens.copyFlowId`: copy a flow's name and id.
import * as vscode from 'vscode';
import type { TraceServices } from '../../services';
import { toRunFlow, type ItemArg } from '../itemArg';

/** `flowlens.copyFlowId` — copies "name id" of a flow item (just the id when it has no name). */
export async function copyFlowId(services: TraceServices, item: ItemArg | undefined): Promise<void> {
  const a = toRunFlow(item);
  if (!a.flowId) return;
  const flow = services.findRun(a.runId, a.folderKey)?.run.flows.get(a.flowId);
  await vscode.env.clipboard.writeText(flow?.name ? `${flow.name} ${a.flowId}` : a.flowId);
}
