/**
 * What a Runs or Failures item hands to a command from its context menu (or what another feature
 * passes): a run, or a flow of a run. One reading of those shapes for every command that takes one.
 */

/** A run, or a flow in a run. `folderKey` is absent when the caller only knows the run id. */
export interface RunFlowArg {
  folderKey?: string;
  runId: string;
  flowId?: string;
}

/** Tree elements of both views, or a plain `{runId, flowId}` from another feature (CodeLens, tests). */
export type ItemArg = {
  folderKey?: string;
  runId?: string;
  flowId?: string;
  occ?: { folderKey: string; runId: string; flowId: string };
  fold?: { occurrences: { folderKey: string; runId: string; flowId: string }[] };
};

/** The run (and flow) an item stands for; `runId` is '' when there is none. */
export function toRunFlow(n: RunFlowArg | ItemArg | undefined): RunFlowArg {
  if (!n) return { runId: '' };
  const o = n as ItemArg;
  if (o.occ) return { folderKey: o.occ.folderKey, runId: o.occ.runId, flowId: o.occ.flowId };
  if (o.fold) {
    const x = o.fold.occurrences[0];
    return { folderKey: x.folderKey, runId: x.runId, flowId: x.flowId };
  }
  return { folderKey: o.folderKey, runId: o.runId ?? '', flowId: o.flowId };
}
