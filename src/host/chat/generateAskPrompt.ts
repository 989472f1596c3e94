// `flowlens.generateAskPrompt`: write ask.md (+ summary.md and copilot_init.md unless
// flowlens.ask.writeOnlyAskMd) for a run, and say exactly what was written where.
import * as vscode from 'vscode';
import { describeWritten } from '../../core/render/askFiles';
import { forNotification } from '../../core/render/egress/surfaces';
import { announceWritten } from '../open';
import type { FlowlensServices } from '../services';
import { asArgs, pickRun, writeAskFiles, type AskFiles } from './prompt';

/** What the command returns: the written files and the message it showed (tests read it). */
export interface GeneratedAsk extends AskFiles {
  /** "Flowlens: wrote ask.md, summary.md and copilot_init.md to .autodev/ …" (already escaped). */
  message: string;
}

/** Options of {@link generateAskPrompt} that only callers inside the extension pass. */
export interface GenerateOptions {
  /** Show the "wrote … to …" message (default true; Ask Copilot gives its own feedback). */
  announce?: boolean;
}

/**
 * `flowlens.generateAskPrompt`: picks the run (args, or a quick pick), writes the ask files,
 * opens ask.md unless `open: false`, and shows one message naming every file and folder written,
 * with *Open ask.md* and *Reveal in Explorer* (open.ts announceWritten). Returns the written files (undefined when cancelled).
 */
export async function generateAskPrompt(context: vscode.ExtensionContext, services: FlowlensServices, raw: unknown, opts: GenerateOptions = {}): Promise<GeneratedAsk | undefined> {
  const args = asArgs(raw);
  const ref = await pickRun(services, args);
  if (!ref) return undefined;
  const files = await writeAskFiles(context, services, ref, args.flowId);
  // A refused or redirected write is said once (paths escaped: no link can form).
  if (files.problems.length > 0) void vscode.window.showWarningMessage(`Flowlens: ${forNotification(files.problems[0], undefined, 400)}${files.problems.length > 1 ? ` (and ${files.problems.length - 1} more)` : ''}`);
  const root = services.folder(ref.folderKey)?.uri;
  const message = `Flowlens: ${forNotification(describeWritten(files.written.map((u) => u.fsPath), root?.fsPath), undefined, 600)}.`;
  if (args.open !== false) await vscode.window.showTextDocument(files.ask, { preview: true });
  if (opts.announce !== false) void announceWritten(message, files.ask, root, 'Open ask.md');
  return { ...files, message };
}
