// `flowlens.askCopilot`: generate the ask prompt and open chat with it, or copy it and say so.
import * as vscode from 'vscode';
import { stripOwnMark } from '../../core/read/ingress/safeWrite';
import { BUILTIN_COMMANDS } from '../commands';
import type { FlowlensServices } from '../services';
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
 * `flowlens.askCopilot`: generate, then open chat with ask.md attached when a chat provider is
 * available; otherwise copy the prompt to the clipboard and say so (with *Open ask.md*). Always
 * some feedback: the chat view, or a message.
 */
export async function askCopilot(context: vscode.ExtensionContext, services: FlowlensServices, raw: unknown): Promise<'chat' | 'clipboard' | undefined> {
  const args = { ...asArgs(raw), open: false };
  const files = await generateAskPrompt(context, services, args, { announce: false });
  if (!files) return undefined;
  const query = askQuery(files.runId);
  if (await chatAvailable()) {
    try {
      // `attachFiles` is accepted by the chat view's open action (IChatViewOpenOptions); the
      // argument shape is not public API, so failures fall back to the clipboard.
      await vscode.commands.executeCommand(BUILTIN_COMMANDS.openChat, { query, isPartialQuery: true, attachFiles: [files.ask] });
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
