// `flowlens.openCodeRefs`: open a flow's flows.yaml code_refs.
import * as vscode from 'vscode';
import { openLocation } from '../../open';
import type { TraceServices } from '../../services';
import { toRunFlow, type ItemArg } from '../itemArg';

/** `flowlens.openCodeRefs` — opens every flows.yaml `code_refs` file of a flow item, at line 1. */
export async function openCodeRefs(services: TraceServices, item: ItemArg | undefined): Promise<unknown> {
  const a = toRunFlow(item);
  const ref = services.findRun(a.runId, a.folderKey);
  const flow = a.flowId ? ref?.run.flows.get(a.flowId) : undefined;
  const ws = ref && services.workspaces.get(ref.folderKey);
  const refs = (flow?.name && ws?.catalog?.flowsById.get(flow.name)?.codeRefs) || [];
  if (!ref || !refs.length) return vscode.window.showInformationMessage('Flowlens: flows.yaml lists no code_refs for this flow.');
  for (const r of refs) await openLocation(services, { folderKey: ref.folderKey, file: r, line: 1 });
  return undefined;
}
