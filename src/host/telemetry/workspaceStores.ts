/** The SQLite stores of one workspace folder, read once per change for every editor surface (the Telemetry view and the dashboard): the stores its TraceWorkspace discovered, read in the SQLite worker under the folder's flowlens.sqlite.* settings. */
import type { TraceWorkspace } from '../../core/read/workspace';
import { storeSignature } from '../../core/read/sqlite/open';
import { readStore, type StoreReport } from '../../core/read/sqlite/stores';
import { readConfig } from '../config';
import type { FlowlensServices } from '../services';

/**
 * Store kinds shown as telemetry. A flowscribe sink is a run (read by the workspace, shown in
 * Runs); an unreadable store (no kind) is shown with its problem.
 */
export const TELEMETRY_STORE_KINDS: ReadonlySet<string> = new Set(['pulse', 'sovereignty', 'brainstem', 'generic']);

interface Cached {
  key: string;
  reports: Promise<StoreReport[]>;
}

const cache = new WeakMap<TraceWorkspace, Cached>();

/**
 * The telemetry stores of `ws` (folder `folderKey`), in path order. Cached per workspace by the
 * list of its SQLite sources and their signatures (file + `-wal` size and mtime), so the view and
 * the dashboard share one read and a store is read again only when it changed.
 */
export function workspaceStores(services: Pick<FlowlensServices, 'folder'>, folderKey: string, ws: TraceWorkspace): Promise<StoreReport[]> {
  const files = ws.sources().filter((x) => x.kind === 'sqlite').map((x) => x.file).sort();
  const key = files.map((f) => `${f}\0${storeSignature(f)}`).join('\n');
  const hit = cache.get(ws);
  if (hit && hit.key === key) return hit.reports;
  const reports = (async () => {
    const folder = services.folder(folderKey);
    const c = folder ? readConfig(folder) : undefined;
    const opts = { root: ws.root, memoryCapBytes: c ? c['sqlite.memoryCapMB'] * 1024 * 1024 : undefined, mappings: c?.['sqlite.mappings'] };
    const out: StoreReport[] = [];
    for (const file of files) {
      // In the SQLite worker (never this thread), inside the workspace folder only.
      const r = await readStore(file, opts);
      if (r.kind === undefined ? r.problems.length > 0 : TELEMETRY_STORE_KINDS.has(r.kind)) out.push(r);
    }
    return out;
  })().catch(() => [] as StoreReport[]);
  cache.set(ws, { key, reports });
  return reports;
}
