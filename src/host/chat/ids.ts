/**
 * Ids of the AI hand-off feature, defined once (docs/style.md habit 11). package.json
 * `contributes.commands`, `chatParticipants` and `languageModelTools` use the same strings;
 * test/integration/ai.test.ts checks that they agree.
 */
export const AI_COMMANDS = {
  /** Write ask.md (+ summary.md, copilot_init.md) for a run; args `{runId?, flowId?, folderKey?}`. */
  generateAskPrompt: 'flowlens.generateAskPrompt',
  /** Generate, then open Copilot Chat with ask.md attached (clipboard fallback). */
  askCopilot: 'flowlens.askCopilot',
} as const;

/** The `@flowlens` chat participant. */
export const PARTICIPANT_ID = 'flowlens.flowlens';

/** Language-model tool names (`contributes.languageModelTools[].name`). */
export const TOOLS = {
  runSummary: 'flowlens_runSummary',
  failures: 'flowlens_failures',
  flowEvents: 'flowlens_flowEvents',
  rollups: 'flowlens_rollups',
} as const;

/** VS Code's command that opens the chat view (absent when no chat is installed). */
export const CHAT_OPEN_COMMAND = 'workbench.action.chat.open';
