/**
 * What a rollup reads of each flow of a run, whether the run's flows are objects or still the cold
 * index's columns (model/build.ts `ColdFlows`, issue 15): {@link forEachFlow} walks them in
 * `run.flows` order either way, so reading a big run's rollups never makes its ~300k flow objects
 * (the CLI never makes them; the extension makes a run's when a view first shows its flows).
 *
 * The builder registers the column walk of each run it keeps in columns
 * ({@link registerFlowColumns}); every other run is walked through `run.flows`.
 */
import type { FlowNode, Run } from './types';

/** The fields of a flow a rollup reads (a {@link FlowNode} has them all). */
export type FlowFacts = Pick<FlowNode, 'id' | 'runId' | 'name' | 'verdict' | 'durationMs' | 'ended' | 'verdictEvent'>;

/** What {@link forEachFlow} calls per flow: true stops the walk. */
export type FlowVisit = (f: FlowFacts) => boolean | void;

/** Visits the flows of a run from its columns; false when the run's flows are objects by now. */
type ColumnWalk = (visit: FlowVisit) => boolean;

const walks = new WeakMap<Run, ColumnWalk>();

/** The builder: `run`'s flows are columns, walked by `walk` while it returns true. */
export function registerFlowColumns(run: Run, walk: ColumnWalk): void {
  walks.set(run, walk);
}

/**
 * Visit every flow of `run`, in `run.flows` order, until `visit` returns true, without making
 * flow objects that are not made yet. The object passed to `visit` may be one cursor moved from
 * flow to flow: read it inside `visit`, never keep it.
 */
export function forEachFlow(run: Run, visit: FlowVisit): void {
  const walk = walks.get(run);
  if (walk !== undefined) {
    if (walk(visit)) return;
    walks.delete(run);
  }
  for (const f of run.flows.values()) if (visit(f) === true) return;
}
