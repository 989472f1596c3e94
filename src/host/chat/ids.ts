/**
 * Ids of the AI hand-off feature other than commands (those are in src/host/commands.ts),
 * defined once. package.json `chatParticipants` and `languageModelTools` use the same strings;
 * test/integration/ai.test.ts checks that they agree.
 */

/** The `@flowlens` chat participant. */
export const PARTICIPANT_ID = 'flowlens.flowlens';

/** Language-model tool names (`contributes.languageModelTools[].name`). */
export const TOOLS = {
  runSummary: 'flowlens_runSummary',
  failures: 'flowlens_failures',
  flowEvents: 'flowlens_flowEvents',
  rollups: 'flowlens_rollups',
} as const;
