/**
 * Ids and constants of the editor experience other than commands (those are in commands.ts),
 * defined once (docs/style.md habit 11). package.json `contributes` uses the same strings;
 * test/integration/views.test.ts checks they agree.
 */

/** Activity-bar container and its views. */
export const VIEW_CONTAINER = 'flowlens';
export const VIEWS = {
  runs: 'flowlens.runs',
  failures: 'flowlens.failures',
  telemetry: 'flowlens.telemetry',
} as const;

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
  /** Some folder has Grain/Assay queues or SQLite stores (the Telemetry view shows; the Runs welcome says where they are). */
  hasTelemetry: 'flowlens.hasTelemetry',
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

/** workspaceState key: whether the Runs view follows the latest run. */
export const STATE_FOLLOW_LATEST = 'flowlens.followLatest';

/** Children shown per page before a "Show N more…" item. */
export const PAGE_SIZE = 200;
