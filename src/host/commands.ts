/**
 * Every command id Flowlens contributes, defined once (after Error Lens's `CommandId` enum).
 * package.json `contributes.commands`, its menus, keybinding, welcome views and walkthrough links
 * use the same strings: test/unit/commandIds.test.ts checks that they match this object exactly
 * and that each id is registered once under src/host. The comment on each id names the file
 * that implements it.
 *
 * Pure (no `vscode` import), so the CLI-free unit test can read it.
 */
export const COMMANDS = {
  // Runs view (src/host/runs/)
  /** runs/register.ts — re-read every folder (a reload after a cancelled index). */
  refreshRuns: 'flowlens.refreshRuns',
  /** runs/commands/filterRuns.ts */
  filterRuns: 'flowlens.filterRuns',
  /** runs/register.ts */
  clearFilter: 'flowlens.clearFilter',
  /** runs/register.ts */
  showFailuresOnly: 'flowlens.showFailuresOnly',
  /** runs/register.ts */
  showAllFlows: 'flowlens.showAllFlows',
  /** runs/commands/followLatestRun.ts */
  followLatestRun: 'flowlens.followLatestRun',
  /** runs/commands/followLatestRun.ts */
  unfollowLatestRun: 'flowlens.unfollowLatestRun',
  // Failures view (src/host/failures/)
  /** failures/register.ts */
  groupFailuresByClass: 'flowlens.groupFailuresByClass',
  /** failures/register.ts */
  groupFailuresByFlow: 'flowlens.groupFailuresByFlow',
  /** failures/register.ts — focuses the Failures view (status bar click). */
  showFailures: 'flowlens.showFailures',
  /** telemetry/register.ts — focuses the Telemetry view (the Runs view's welcome in a queue-only folder). */
  showTelemetry: 'flowlens.showTelemetry',
  /** failures/commands/openLatestFailure.ts */
  openLatestFailure: 'flowlens.openLatestFailure',
  // Dashboard (src/host/dashboard/)
  /** dashboard/register.ts */
  openDashboard: 'flowlens.openDashboard',
  // AI hand-off (src/host/chat/)
  /** chat/generateAskPrompt.ts — write ask.md (+ summary.md, copilot_init.md); args `{runId?, flowId?, folderKey?, open?}`. */
  generateAskPrompt: 'flowlens.generateAskPrompt',
  /** chat/askCopilot.ts — generate, then open Copilot Chat with ask.md attached (clipboard fallback). */
  askCopilot: 'flowlens.askCopilot',
  // Getting started (src/host/demo/)
  /** demo/openDemo.ts */
  openDemo: 'flowlens.openDemo',
  /** demo/register.ts */
  openSettings: 'flowlens.openSettings',
  /** demo/register.ts — docs/producing-traces.md (shipped in the .vsix) in the Markdown preview. */
  openProducingTraces: 'flowlens.openProducingTraces',
  // The host itself (src/host/log.ts)
  /** log.ts — reveals Output → Flowlens (problems found while reading traces). */
  showLog: 'flowlens.showLog',
  // Receiving spans live (src/host/otelReceiver/)
  /** otelReceiver/register.ts — starts or stops the OTLP/HTTP receiver for this window (never in Restricted Mode). */
  toggleOtlpReceiver: 'flowlens.toggleOtlpReceiver',
  // Sending runs to OpenTelemetry (src/host/otelExport/)
  /** otelExport/exportRun.ts — a run as OTLP/JSON: save a file, or POST to flowlens.otel.endpoint; args `{runId?, folderKey?, to?, file?}` or a Runs item. */
  exportOtlp: 'flowlens.exportOtlp',

  // Internal: item clicks and context menus (hidden from the palette, see INTERNAL_COMMANDS).
  /** open.ts — the one place a click on a run event, failure, frame or chart opens the editor. */
  openLocation: 'flowlens.openLocation',
  /** runs/register.ts — the "Show N more…" item. */
  showMoreItems: 'flowlens.showMoreItems',
  /** runs/commands/copyFlowId.ts */
  copyFlowId: 'flowlens.copyFlowId',
  /** runs/register.ts */
  copyRunId: 'flowlens.copyRunId',
  /** runs/commands/openCodeRefs.ts */
  openCodeRefs: 'flowlens.openCodeRefs',
  /** runs/register.ts — hands the item to generateAskPrompt. */
  askAboutFlow: 'flowlens.askAboutFlow',
  /** runs/register.ts — hands the item to generateAskPrompt. */
  askAboutRun: 'flowlens.askAboutRun',
  /** runs/commands/revealInRuns.ts — CodeLens clicks and other features. */
  revealInRuns: 'flowlens.revealInRuns',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** Commands only reachable from items and menus (hidden from the command palette). */
export const INTERNAL_COMMANDS: readonly CommandId[] = [
  COMMANDS.openLocation, COMMANDS.showMoreItems, COMMANDS.copyFlowId, COMMANDS.copyRunId,
  COMMANDS.openCodeRefs, COMMANDS.askAboutFlow, COMMANDS.askAboutRun, COMMANDS.revealInRuns,
];

/** VS Code's own commands that Flowlens runs (not ours to register). */
export const BUILTIN_COMMANDS = {
  /** Opens the chat view (absent when no chat is installed). */
  openChat: 'workbench.action.chat.open',
  openSettings: 'workbench.action.openSettings',
  openFolder: 'vscode.openFolder',
  setContext: 'setContext',
  /** Selects a file in the Explorer view (workspace files). */
  revealInExplorer: 'revealInExplorer',
  /** Shows a file in the OS file manager (files outside the workspace). */
  revealFileInOS: 'revealFileInOS',
  /** The built-in Markdown extension's preview. */
  markdownPreview: 'markdown.showPreview',
} as const;
