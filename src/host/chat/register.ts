import * as vscode from 'vscode';
import type { FlowlensServices } from '../services';
import { AI_COMMANDS, TOOLS } from './ids';
import { registerParticipant } from './participant';
import { askCopilot, generateAskPrompt } from './prompt';
import { registerTools } from './tools';
import { registerAutoWrite } from './autoWrite';

export { AI_COMMANDS, PARTICIPANT_ID, TOOLS } from './ids';

/**
 * The AI hand-off: `flowlens.generateAskPrompt`, `flowlens.askCopilot`, the `@flowlens` chat
 * participant and the Flowlens language-model tools. Prompts themselves are pure functions in
 * src/core/render/ask.ts (docs/style.md habit 12); this layer only picks runs, writes files and opens chat.
 * Chat/LM APIs are guarded so the commands still work where chat is unavailable.
 */
/** Handles for tests and other features (what got registered in this host). */
export interface AiApi {
  participant?: vscode.ChatParticipant;
  /** Names of the language-model tools registered. */
  tools: string[];
}

export function registerAi(context: vscode.ExtensionContext, services: FlowlensServices): AiApi {
  const api: AiApi = { tools: [] };
  context.subscriptions.push(
    vscode.commands.registerCommand(AI_COMMANDS.generateAskPrompt, (args?: unknown) => generateAskPrompt(context, services, args)),
    vscode.commands.registerCommand(AI_COMMANDS.askCopilot, (args?: unknown) => askCopilot(context, services, args)),
    registerAutoWrite(context, services),
  );
  // Why guarded: hosts without chat (e.g. some forks, code-server builds) may lack these namespaces.
  if (typeof vscode.chat?.createChatParticipant === 'function') {
    try {
      api.participant = registerParticipant(context, services);
      context.subscriptions.push(api.participant);
    } catch (err) {
      services.log?.error('the @flowlens chat participant could not be registered', err);
    }
  }
  if (typeof vscode.lm?.registerTool === 'function') {
    try {
      context.subscriptions.push(...registerTools(services));
      api.tools = Object.values(TOOLS);
    } catch (err) {
      services.log?.error('the Flowlens language-model tools could not be registered', err);
    }
  }
  return api;
}
