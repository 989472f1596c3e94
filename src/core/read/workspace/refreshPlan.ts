/**
 * Live refresh by file: what a refresh must do for the file events a watcher reported. Pure (no
 * I/O), so the rules are tested on their own (test/unit/refreshPlan.test.ts).
 *
 * - a change to a known source (or its SQLite `-wal`/`-journal`) → tail that source only;
 * - a change to a 0.1 run's `summary.md` → re-name that run's flows only;
 * - `ra.yaml` / `flows.yaml` (either place) → reload the catalog only;
 * - a create of something unknown or a delete (a new run folder, a new or vanished trace file or
 *   store), or any event on `.autodev/latest` → rediscover (the bounded walk), then read;
 * - a create of a known source (replaced in place) → tail it (the tail detects the new file);
 * - a change to a file discovery does not list → nothing (it is not a source).
 */
import * as path from 'node:path';
import { CATALOG_FILES } from './catalogReload';

/** One file event as a watcher reports it. */
export interface FileChange {
  /** Absolute path. */
  file: string;
  kind: 'create' | 'change' | 'delete';
}

export interface RefreshPlan {
  /** Walk the folder again (sources may have appeared or vanished). */
  rediscover: boolean;
  /** Re-read ra.yaml / flows.yaml. */
  catalog: boolean;
  /** Known sources to tail (absolute paths), when not rediscovering. */
  read: string[];
  /** summary.md files whose runs' flow names are recovered again. */
  summaries: string[];
}

const SIDE_FILE = /-(wal|journal|shm)$/;

/**
 * Plan a refresh of the folder `root` for `changes`. `known(file)` = the kind of a source the
 * workspace reads (`summary-md` for a 0.1 summary), undefined when it is not a source.
 */
export function planRefresh(root: string, changes: readonly FileChange[], known: (file: string) => string | undefined): RefreshPlan {
  const plan: RefreshPlan = { rediscover: false, catalog: false, read: [], summaries: [] };
  const catalog = new Set(CATALOG_FILES.map((f) => path.join(root, f)));
  const read = new Set<string>();
  const summaries = new Set<string>();
  for (const c of changes) {
    const file = path.resolve(c.file);
    if (catalog.has(file)) {
      plan.catalog = true;
      continue;
    }
    // A SQLite side file stands for its database.
    const side = SIDE_FILE.test(file) ? file.replace(SIDE_FILE, '') : undefined;
    const kind = known(file);
    if (side !== undefined && kind === undefined) {
      if (known(side) !== undefined) read.add(side);
      // A side file appearing or vanishing changes nothing about which sources exist.
      continue;
    }
    // `.autodev/latest` names the latest run: read again by discovery whenever it moves.
    const isLatest = path.basename(file) === 'latest' && path.basename(path.dirname(file)) === '.autodev';
    if (isLatest || c.kind === 'delete' || (c.kind === 'create' && kind === undefined)) {
      // A new run folder, a new or vanished source: the layout moved.
      plan.rediscover = true;
      continue;
    }
    // A change to a file that is not a source; a create of a known one is a replacement the tail detects.
    if (kind === undefined) continue;
    if (kind === 'summary-md') summaries.add(file);
    else read.add(file);
  }
  plan.read = [...read].sort();
  plan.summaries = [...summaries].sort();
  return plan;
}
