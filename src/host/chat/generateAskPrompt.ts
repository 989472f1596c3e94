// `flowlens.generateAskPrompt`: write ask.md, summary.md and copilot_init.md for a run.
import * as vscode from 'vscode';
import { forNotification } from '../../core/render/egress/surfaces';
import type { FlowlensServices } from '../services';
import { asArgs, pickRun, writeAskFiles, type AskFiles } from './prompt';

/**
 * `flowlens.generateAskPrompt`: picks the run (args, or a quick pick), writes ask.md, summary.md
 * and copilot_init.md, and opens ask.md unless `open: false`. Returns the written files
 * (undefined when cancelled).
 */
export async function generateAskPrompt(context: vscode.ExtensionContext, services: FlowlensServices, raw: unknown): Promise<AskFiles | undefined> {
  const args = asArgs(raw);
  const ref = await pickRun(services, args);
  if (!ref) return undefined;
  const files = await writeAskFiles(context, services, ref, args.flowId);
  // A refused or redirected write is said once (paths escaped: no link can form).
  if (files.problems.length > 0) void vscode.window.showWarningMessage(`Flowlens: ${forNotification(files.problems[0], undefined, 400)}${files.problems.length > 1 ? ` (and ${files.problems.length - 1} more)` : ''}`);
  if (args.open !== false) await vscode.window.showTextDocument(files.ask, { preview: true });
  return files;
}
