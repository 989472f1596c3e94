/**
 * SQLite sources for TraceWorkspace (its `readers` seam): a run folder's flowscribe `trace.db`
 * (formats.md §2) and any other store found in the workspace: a flowscribe sink and a generic
 * store mapped by the user become trace events. Pulse, sovereignty and brainstem stores keep their
 * own rollups (`readStores`: the `stores` command, the dashboard's store panels) and add no events:
 * a Pulse store holds the events it drained from the Grain/Assay queue files (its rows' `source`
 * says `drain:.grain/telemetry_queue.jsonl`), so adding them to the queue envelopes would count
 * every event twice. A database is re-read whole when its file or `-wal` changes
 * (`storeSignature`), and the workspace is told to drop what it had (`reset`).
 */
import type { SourceKind } from '../discover';
import type { Malformed } from '../../model/types';
import type { SourceHandle, SourceReaderFactory, SourceReadResult } from '../workspace/seam';
import type { StoreKind } from './detect';
import type { GenericMapping } from './generic';
import { storeSignature } from './open';
import type { SqlBudget } from './query';
import { readFlowscribeDb, readStore } from './stores';

export interface SqliteReaderOptions {
  /** Refuse databases larger than this (db + wal, bytes). Default 512 MB (`flowlens.sqlite.memoryCapMB`). */
  memoryCapBytes?: number;
  /** Generic mappings (`flowlens.sqlite.mappings`). */
  mappings?: readonly GenericMapping[];
  /** The workspace folder: a store (or its `-wal` / `-journal`) resolving outside it is not read. */
  root?: string;
  /** Row / byte / time budget of each read (defaults in query.ts: 30 s, 256 MB, …). */
  budget?: SqlBudget;
}

/** A handle that re-reads a database only when its signature changed. */
class DbHandle implements SourceHandle {
  private signature: string | undefined;

  constructor(
    private readonly file: string,
    private readonly load: () => Promise<{ events: import('../../model/types').TraceEvent[]; malformed: Malformed[]; error?: string }>,
  ) {}

  async read(onEvent: (e: import('../../model/types').TraceEvent) => void, _opts: { final: boolean }): Promise<SourceReadResult> {
    const sig = storeSignature(this.file);
    if (sig === this.signature) return { malformed: [] };
    const reset = this.signature !== undefined;
    this.signature = sig;
    const r = await this.load();
    for (const e of r.events) onEvent(e);
    return { reset, malformed: r.malformed, error: r.error };
  }
}

/** A store message without its leading `file: ` (the workspace names the file of a source's error itself). */
function unprefixed(file: string, message: string): string {
  return message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
}

/** Store kinds whose rows become workspace trace events (the others keep their own rollups). */
export const EVENT_KINDS: readonly StoreKind[] = ['flowscribe', 'flowscribe-legacy', 'generic'];

/** Reader factories for `TraceWorkspace({readers})`. */
export function sqliteReaders(opts: SqliteReaderOptions = {}): Partial<Record<SourceKind, SourceReaderFactory>> {
  // Every read runs in the SQLite worker (stores.ts → pool.ts), never on the workspace's thread.
  const open = { memoryCapBytes: opts.memoryCapBytes, root: opts.root, budget: opts.budget };
  return {
    'trace-db': (src) =>
      new DbHandle(src.file, async () => {
        const r = await readFlowscribeDb(src.file, open);
        // Events read before a budget stop are kept; the stop is the source's located problem.
        return { events: r.events, malformed: r.malformed, error: r.error ? unprefixed(src.file, r.error.message) : undefined };
      }),
    sqlite: (src) =>
      new DbHandle(src.file, async () => {
        // Events only for the kinds that give the workspace events: a Pulse store's rows would be
        // built as TraceEvents (its whole table) just to be dropped.
        // No Pulse / sovereignty / brainstem rollups here either: they add no events, and a big
        // store's rollup would cost seconds on every change (the stores view computes them).
        const rep = await readStore(src.file, { ...open, mappings: opts.mappings, includeEvents: EVENT_KINDS, rollups: false });
        const error = rep.problems.length > 0 ? rep.problems.map((p) => unprefixed(src.file, p.message)).join('; ') : undefined;
        const events = rep.kind !== undefined && EVENT_KINDS.includes(rep.kind) ? rep.events ?? [] : [];
        return { events, malformed: rep.malformed ?? [], error };
      }),
  };
}
