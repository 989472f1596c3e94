// The AI hand-off feature: registers the ask commands, the @flowlens participant and the LM tools.
import * as vscode from 'vscode';
import { COMMANDS } from '../commands';
import { registered, type Registered } from '../lifecycle';
import type { FlowlensServices } from '../services';
import { askCopilot } from './askCopilot';
import { registerAutoWrite } from './autoWrite';
import { generateAskPrompt } from './generateAskPrompt';
import { TOOLS } from './ids';
import { registerParticipant } from './participant';
import { registerTools } from './tools';

/** Handles for tests and other features (what got registered in this host). */
export interface AiApi {
  participant?: vscode.ChatParticipant;
  /** Names of the language-model tools registered. */
  tools: string[];
}

/**
 * The AI hand-off: `flowlens.generateAskPrompt` (generateAskPrompt.ts), `flowlens.askCopilot`
 * (askCopilot.ts), ask.md written when a run ends (autoWrite.ts), the `@flowlens` chat
 * participant and the Flowlens language-model tools. Prompts themselves are pure functions in
 * src/core/render/ask.ts; this layer only picks runs, writes files and opens chat. Chat/LM APIs
 * are guarded so the commands still work where chat is unavailable.
 */
export function register(context: vscode.ExtensionContext, services: FlowlensServices): Registered<{ ai: AiApi }> {
  const ai: AiApi = { tools: [] };
  const disposables: vscode.Disposable[] = [
    vscode.commands.registerCommand(COMMANDS.generateAskPrompt, (args?: unknown) => generateAskPrompt(context, services, args)),
    vscode.commands.registerCommand(COMMANDS.askCopilot, (args?: unknown) => askCopilot(context, services, args)),
    registerAutoWrite(context, services),
  ];
  // Why guarded: hosts without chat (e.g. some forks, code-server builds) may lack these namespaces.
  if (typeof vscode.chat?.createChatParticipant === 'function') {
    try {
      ai.participant = registerParticipant(context, services);
      disposables.push(ai.participant);
    } catch (err) {
      services.log?.error('the @flowlens chat participant could not be registered', err);
    }
  }
  if (typeof vscode.lm?.registerTool === 'function') {
    try {
      disposables.push(...registerTools(services));
      ai.tools = Object.values(TOOLS);
    } catch (err) {
      services.log?.error('the Flowlens language-model tools could not be registered', err);
    }
  }
  return registered(disposables, { ai });
}
