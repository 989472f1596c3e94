// A TraceServices stand-in for unit tests of one view: one folder ('a') holding one loaded workspace.
import type { TraceWorkspace } from '../../src/core/read/workspace';
import type { TraceServices } from '../../src/host/services';

/** Services over `ws` as folder `a`: its runs, no run lookup, no change events; `extra` adds or replaces members. */
export function oneFolderServices(ws: TraceWorkspace, extra: Record<string, unknown> = {}): TraceServices {
  return {
    workspaces: new Map([['a', ws]]),
    onDidChange: () => ({ dispose: () => undefined }),
    findRun: () => undefined,
    folder: () => undefined,
    allRuns: () => ws.runs().map((run) => ({ folderKey: 'a', run })),
    ...extra,
  } as unknown as TraceServices;
}
