/**
 * Every id the editor experience contributes, defined once (docs/style.md habit 11). package.json
 * `contributes` uses the same strings; test/integration/views.test.ts checks they agree.
 */

/** Activity-bar container and its views. */
export const VIEW_CONTAINER = 'flowlens';
export const VIEWS = {
  runs: 'flowlens.runs',
  failures: 'flowlens.failures',
} as const;

/** Commands: `flowlens.<verb><Noun>`. `internal` ones are hidden from the command palette. */
export const COMMANDS = {
  refreshRuns: 'flowlens.refreshRuns',
  filterRuns: 'flowlens.filterRuns',
  clearFilter: 'flowlens.clearFilter',
  showFailuresOnly: 'flowlens.showFailuresOnly',
  showAllFlows: 'flowlens.showAllFlows',
  followLatestRun: 'flowlens.followLatestRun',
  unfollowLatestRun: 'flowlens.unfollowLatestRun',
  groupFailuresByClass: 'flowlens.groupFailuresByClass',
  groupFailuresByFlow: 'flowlens.groupFailuresByFlow',
  showFailures: 'flowlens.showFailures',
  openLatestFailure: 'flowlens.openLatestFailure',
  openDemo: 'flowlens.openDemo',
  openSettings: 'flowlens.openSettings',
  /** Reveals Output → Flowlens (problems found while reading traces). */
  showLog: 'flowlens.showLog',
  // internal (item clicks and context menus)
  openLocation: 'flowlens.openLocation',
  showMoreItems: 'flowlens.showMoreItems',
  copyFlowId: 'flowlens.copyFlowId',
  copyRunId: 'flowlens.copyRunId',
  openCodeRefs: 'flowlens.openCodeRefs',
  askAboutFlow: 'flowlens.askAboutFlow',
  askAboutRun: 'flowlens.askAboutRun',
  revealInRuns: 'flowlens.revealInRuns',
} as const;

/** Commands only reachable from items and menus (hidden from the palette). */
export const INTERNAL_COMMANDS: readonly string[] = [
  COMMANDS.openLocation, COMMANDS.showMoreItems, COMMANDS.copyFlowId, COMMANDS.copyRunId,
  COMMANDS.openCodeRefs, COMMANDS.askAboutFlow, COMMANDS.askAboutRun, COMMANDS.revealInRuns,
];

/** Implemented by the AI feature (src/host/chat); called with `{runId, flowId?}`. */
export const GENERATE_ASK_PROMPT = 'flowlens.generateAskPrompt';

/** `when`-clause context keys set by the views. */
export const CONTEXT = {
  hasTraces: 'flowlens.hasTraces',
  loading: 'flowlens.loading',
  /** Indexing of some folder was cancelled: what is shown is partial. */
  indexStopped: 'flowlens.indexStopped',
  /** Reading traces found problems (written to the Flowlens log). */
  hasProblems: 'flowlens.hasProblems',
  failuresOnly: 'flowlens.failuresOnly',
  filterActive: 'flowlens.filterActive',
  followLatest: 'flowlens.followLatest',
  failuresGroupBy: 'flowlens.failuresGroupBy',
} as const;

/** `contextValue`s of tree items (menus match them with regexes in package.json). */
export const ITEM = {
  folder: 'folder',
  run: 'run',
  flow: 'flow',
  flowWithRefs: 'flow.refs',
  group: 'group',
  step: 'step',
  event: 'event',
  eventWithLoc: 'event.loc',
  failure: 'failure',
  frame: 'frame',
  more: 'more',
  message: 'message',
} as const;

/** Diagnostic source shown in the Problems panel. */
export const DIAGNOSTIC_SOURCE = 'flowlens';

/** workspaceState key holding the prefix mappings the user gave through "Locate…". */
export const STATE_LOCATED_PREFIXES = 'flowlens.locatedPrefixes';

/** Children shown per page before a "Show N more…" item. */
export const PAGE_SIZE = 200;
