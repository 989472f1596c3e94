// `flowlens.askCopilot`: generate the ask prompt and open Copilot Chat with it.
import * as vscode from 'vscode';
import { stripOwnMark } from '../../core/read/ingress/safeWrite';
import { BUILTIN_COMMANDS } from '../commands';
import type { FlowlensServices } from '../services';
import { generateAskPrompt } from './generateAskPrompt';
import { asArgs, askQuery } from './prompt';

/**
 * `flowlens.askCopilot`: generate, then open Copilot Chat with ask.md attached when the chat
 * command exists; otherwise copy the prompt to the clipboard and say so.
 */
export async function askCopilot(context: vscode.ExtensionContext, services: FlowlensServices, raw: unknown): Promise<'chat' | 'clipboard' | undefined> {
  const args = { ...asArgs(raw), open: false };
  const files = await generateAskPrompt(context, services, args);
  if (!files) return undefined;
  const commands = await vscode.commands.getCommands(true);
  const query = askQuery(files.runId);
  if (commands.includes(BUILTIN_COMMANDS.openChat)) {
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
  void vscode.window.showInformationMessage('Flowlens: Copilot Chat is not available, so the ask prompt was copied to the clipboard.', 'Open ask.md').then((a) => {
    if (a) void vscode.window.showTextDocument(files.ask);
  });
  return 'clipboard';
}
