/**
 * The seam between the workspace and readers of sources that are not JSONL (the SQLite readers of
 * src/core/read/sqlite/readers.ts, formats.md §2–§5): a reader opens a discovered source and
 * hands its events to the workspace a read at a time.
 */
import type { DiscoveredSource } from '../discover';
import type { Malformed, TraceEvent } from '../../model/types';

/** Result of one read of a non-JSONL source. */
export interface SourceReadResult {
  /** The source was replaced/rewritten and re-read from the start: drop what it gave before. */
  reset?: boolean;
  malformed: Malformed[];
  /** Rows/lines kept with a warning (e.g. invalid UTF-8, NaN tokens); counted in the source's warnings. */
  warnings?: Malformed[];
  error?: string;
}

/** An open source that can be read incrementally. */
export interface SourceHandle {
  read(onEvent: (event: TraceEvent) => void, opts: { final: boolean }): Promise<SourceReadResult>;
}

/**
 * Opens a reader for a discovered source; `undefined` = this source is not for it.
 * Registered per kind in `WorkspaceOptions.readers` (e.g. `trace-db`, `sqlite`).
 */
export type SourceReaderFactory = (source: DiscoveredSource) => SourceHandle | undefined;
