/**
 * What rollups, verdict counts, run status, failures, flow names, the Test Explorer's results and
 * CodeLens read of each flow of a run, from its flow objects or still from the cold index's columns
 * (issue 15). {@link forEachFlow} walks either (model/build.ts `ColdFlows`) in `run.flows` order,
 * so neither the CLI nor the extension's views make a big run's ~300k flow objects to answer them:
 * they are made when something reads `run.flows` or `run.roots` (a run's tree in the Runs view,
 * made in slices first: TraceWorkspace.makeFlows).
 *
 * The builder registers the column walk of each run it keeps in columns
 * ({@link registerFlowColumns}); every other run is walked through `run.flows`.
 */
import type { FlowNode, Run } from './types';

/** The fields of a flow a rollup reads (a {@link FlowNode} has them all). */
export type FlowFacts = Pick<FlowNode, 'id' | 'runId' | 'name' | 'displayName' | 'verdict' | 'started' | 'durationMs' | 'ended' | 'verdictEvent' | 'events'> & {
  /**
   * A failing flow's verdict event's failure class as the builder read it (null: none), without
   * decoding the event; undefined: not known here ({@link failureClassOf} reads the event).
   */
  readonly verdictClass?: string | null;
  /** A copy that stays on this flow (`visit` may be given one cursor moved from flow to flow). */
  keep?(): FlowFacts;
};

/** The failure class of a failing flow's verdict event. */
export function failureClassOf(f: FlowFacts): string | undefined {
  const c = f.verdictClass;
  return c === undefined ? f.verdictEvent?.failureClass : (c ?? undefined);
}

/** What {@link forEachFlow} calls per flow: true stops the walk. */
export type FlowVisit = (f: FlowFacts) => boolean | void;

/** Visits the flows of a run from its columns (registered until the run's flow objects are made). */
type ColumnWalk = (visit: FlowVisit) => void;

const walks = new WeakMap<Run, ColumnWalk>();

/** The builder: `run`'s flows are columns, walked by `walk` (until {@link unregisterFlowColumns}). */
export function registerFlowColumns(run: Run, walk: ColumnWalk): void {
  walks.set(run, walk);
}

/** The builder: `run`'s flows are objects now (the walk, and the columns it holds, are let go). */
export function unregisterFlowColumns(run: Run): void {
  walks.delete(run);
}

/**
 * Visit every flow of `run`, in `run.flows` order, until `visit` returns true, without making
 * flow objects that are not made yet. The object passed to `visit` may be one cursor moved from
 * flow to flow: read it inside `visit`, never keep it.
 */
export function forEachFlow(run: Run, visit: FlowVisit): void {
  const walk = walks.get(run);
  if (walk !== undefined) return walk(visit);
  // forEach, not an iterator: an iterator's result per flow (300k of them in a big run) is garbage
  // that grew the young generation — and the process's RSS — by ~14 MB on the first rollup.
  let stopped = false;
  run.flows.forEach((f) => {
    if (!stopped && visit(f) === true) stopped = true;
  });
}
