// `flowlens.askCopilot`: generate the ask prompt and open chat with it, or copy it and say so.
import * as vscode from 'vscode';
import { runFailures } from '../../core/analyze/queries';
import { stripOwnMark } from '../../core/read/ingress/safeWrite';
import { BUILTIN_COMMANDS } from '../commands';
import type { FlowlensServices, RunRef } from '../services';
import { generateAskPrompt } from './generateAskPrompt';
import { asArgs, askQuery } from './prompt';

/** How long to wait for the language-model registry before deciding no chat model answers. */
const MODEL_WAIT_MS = 2000;

/**
 * Whether a chat provider can answer: the chat-open command exists *and* at least one chat model
 * is registered. Why both: `workbench.action.chat.open` exists in every recent VS Code (and
 * code-server) even with no chat extension, and then opens an empty view that never answers —
 * which looked like Ask Copilot doing nothing (issue 16).
 */
export async function chatAvailable(): Promise<boolean> {
  const commands = await vscode.commands.getCommands(true);
  if (!commands.includes(BUILTIN_COMMANDS.openChat)) return false;
  if (typeof vscode.lm?.selectChatModels !== 'function') return false;
  try {
    const models = await Promise.race([
      vscode.lm.selectChatModels(),
      new Promise<readonly vscode.LanguageModelChat[]>((resolve) => setTimeout(() => resolve([]), MODEL_WAIT_MS)),
    ]);
    return models.length > 0;
  } catch {
    return false;
  }
}

/**
 * The source file of the failure ask.md asks about: the run's first failure (of the flow, when
 * one is named) whose `file` resolves to a file *inside* a workspace folder. A trace path that
 * resolves outside the workspace is not attached: the trace does not choose what is handed to chat.
 */
export function failingSourceFile(services: FlowlensServices, ref: RunRef, flowId?: string): vscode.Uri | undefined {
  for (const f of runFailures(ref.run)) {
    if (flowId && f.flow?.id !== flowId) continue;
    if (!f.event.file) continue;
    const r = services.resolveFile(ref.folderKey, f.event.file);
    if (r.uri && r.inside) return r.uri;
  }
  return undefined;
}

/** What *Ask Copilot* did: the chat view (with the files it attached) or the clipboard. */
export type AskCopilotResult = 'chat' | 'clipboard' | undefined;

/** The `workbench.action.chat.open` argument of *Ask Copilot* (exported for tests). */
export interface ChatOpenArgs {
  query: string;
  isPartialQuery: true;
  /** Agent mode, so the model can call the Flowlens tools; a host without it keeps its mode. */
  mode: 'agent';
  /** ask.md, then the failing source file when there is one. VS Code ≥ 1.104 attaches them (1.100 ignores the option). */
  attachFiles: vscode.Uri[];
}

/** The chat-open argument for ask.md of `runId` and the failing source file, if any. */
export function chatOpenArgs(ask: vscode.Uri, runId: string, source?: vscode.Uri): ChatOpenArgs {
  return { query: askQuery(runId, source !== undefined), isPartialQuery: true, mode: 'agent', attachFiles: source ? [ask, source] : [ask] };
}

/**
 * `flowlens.askCopilot`: generate, then open chat — in agent mode, with ask.md and the failing
 * source file attached — when a chat provider is available; otherwise copy the prompt to the
 * clipboard and say so (with *Open ask.md*). Always some feedback: the chat view, or a message.
 */
export async function askCopilot(context: vscode.ExtensionContext, services: FlowlensServices, raw: unknown): Promise<AskCopilotResult> {
  const args = { ...asArgs(raw), open: false };
  const files = await generateAskPrompt(context, services, args, { announce: false });
  if (!files) return undefined;
  const ref = services.findRun(files.runId, args.folderKey);
  const source = ref ? failingSourceFile(services, ref, files.flowId) : undefined;
  const open = chatOpenArgs(files.ask, files.runId, source);
  if (await chatAvailable()) {
    try {
      // `attachFiles` and `mode` are options of the chat view's open action (IChatViewOpenOptions,
      // VS Code 1.104); the argument shape is not public API, so failures fall back to the clipboard.
      await vscode.commands.executeCommand(BUILTIN_COMMANDS.openChat, open);
      return 'chat';
    } catch {
      // fall through
    }
  }
  const text = stripOwnMark(new TextDecoder().decode(await vscode.workspace.fs.readFile(files.ask)));
  await vscode.env.clipboard.writeText(text);
  void vscode.window.showInformationMessage('Flowlens: no chat model is available, so the ask prompt was copied to the clipboard. Paste it into any assistant.', 'Open ask.md').then((a) => {
    if (a) void vscode.window.showTextDocument(files.ask);
  });
  return 'clipboard';
}
