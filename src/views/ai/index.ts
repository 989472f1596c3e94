import * as vscode from 'vscode';
import type { FlowlensServices } from '../services';
import { AI_COMMANDS } from './ids';
import { registerParticipant } from './participant';
import { askCopilot, generateAskPrompt } from './prompt';
import { registerTools } from './tools';

export { AI_COMMANDS, PARTICIPANT_ID, TOOLS } from './ids';

/**
 * The AI hand-off: `flowlens.generateAskPrompt`, `flowlens.askCopilot`, the `@flowlens` chat
 * participant and the Flowlens language-model tools. Prompts themselves are pure functions in
 * src/trace/ask.ts (style.md habit 12); this layer only picks runs, writes files and opens chat.
 * Chat/LM APIs are guarded so the commands still work where chat is unavailable.
 */
export function registerAi(context: vscode.ExtensionContext, services: FlowlensServices): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(AI_COMMANDS.generateAskPrompt, (args?: unknown) => generateAskPrompt(context, services, args)),
    vscode.commands.registerCommand(AI_COMMANDS.askCopilot, (args?: unknown) => askCopilot(context, services, args)),
  );
  // Why guarded: hosts without chat (e.g. some forks, code-server builds) may lack these namespaces.
  if (typeof vscode.chat?.createChatParticipant === 'function') {
    try {
      context.subscriptions.push(registerParticipant(context, services));
    } catch (err) {
      console.error('flowlens: chat participant not registered', err);
    }
  }
  if (typeof vscode.lm?.registerTool === 'function') {
    try {
      context.subscriptions.push(...registerTools(services));
    } catch (err) {
      console.error('flowlens: language-model tools not registered', err);
    }
  }
}
