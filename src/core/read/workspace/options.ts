/** The public shapes of `TraceWorkspace`: its options, what a refresh changed, what a source gave. */
import type { Dialect } from '../../model/types';
import type { IndexProgress } from '../index/parallel';
import type { SourceKind } from '../discover';
import type { SourceReaderFactory } from './seam';
import type { IndexCacheOptions } from '../index/persist';

export interface WorkspaceOptions {
  /** Extra trace files, globs relative to the root (picomatch). */
  extraGlobs?: string[];
  /** User path mappings `{fromPrefix: toPrefix}`; they win over suffix matching. */
  pathMappings?: Record<string, string>;
  /** A run without an end whose source changed this recently is `running` (default 10 min). */
  liveWindowMs?: number;
  /** Clock (tests). Default `Date.now`. */
  now?: () => number;
  /**
   * Events held in memory per source (a trace file or store; setting `flowlens.maxEventsPerSource`).
   * After each read of a source whose runs hold more, its oldest runs are summarised (events
   * released; flows, verdicts and counts kept; `run.cap` and a note say so); a run that alone is
   * over it keeps its first events. Default unlimited. See docs/decisions.md.
   */
  maxEventsPerSource?: number;
  /**
   * Files are complete (CLI): a last line without newline is read, and reported malformed when
   * cut off. Live callers leave it false so a half-written line waits for its newline.
   */
  final?: boolean;
  /** Readers for sources that are not JSONL, by kind (the SQLite seam, ./seam.ts). */
  readers?: Partial<Record<SourceKind, SourceReaderFactory>>;
  /** Discovery bounds. */
  maxDepth?: number;
  maxEntries?: number;
  /** Run folders (`…/runs/<id>/`) read in all, newest first (discover.ts; default 5,000). */
  maxRunFolders?: number;
  /** Environment for `RA_*` catalog overrides. */
  env?: Record<string, string | undefined>;
  /**
   * The parallel index (src/core/read/index): a JSONL source read from the start that is at least
   * `minBytes` long (default 32 MiB) is scanned by worker threads into compact records; its
   * events are parsed again from the file when read (`run.events`, `flow.events`). `false` = off.
   */
  /**
   * The persisted index (src/core/read/index/persist.ts): where the cold index of a large file is
   * kept outside the workspace, so the next open restores it (and tails what was appended) instead
   * of reading the whole file again. Undefined = not kept.
   */
  indexCache?: IndexCacheOptions;
  index?: false | { minBytes?: number; workers?: number; workerScript?: string; onProgress?: (p: WorkspaceIndexProgress) => void; /** Records per scan batch (tests). */ batchRecords?: number;
    /**
     * How much the process's resident memory may grow while one load or refresh indexes (default
     * 1 GiB): past it, the file being indexed is read no further; what was read stays and the
     * source's problem line says what was not read (workspace/indexQueue.ts).
     */
    maxMemoryBytes?: number;
    /**
     * Record per line whether it may hold a secret (src/core/read/secretHint.ts), so the run-scoped
     * secret walk decodes only those lines again (the CLI sets it; it costs the workers a pass
     * over the bytes).
     */
    hints?: boolean;
    /**
     * After a load or refresh that indexed a source without hints (or restored an index without
     * them), scan it again in the background with hints on and attach them to its records
     * (workspace/hintPass.ts; `TraceWorkspace.hintsSettled()`). Default false; the extension sets it.
     */
    backgroundHints?: boolean;
    /**
     * Scan at a lower CPU priority (default true: the extension host's thread wins the CPU). The
     * CLI sets false: nothing waits on it but the scan itself.
     */
    background?: boolean;
    /**
     * Make the flow objects of every run the cold index kept in columns at the end of its source's
     * index, in slices (default false). Rollups, verdict counts, status, failures, flow names and
     * the Test Explorer's results read the columns (model/flowFacts.ts `forEachFlow`); whatever
     * reads `run.flows` or `run.roots` makes that run's flows on first use, and a view about to
     * show a big run's tree makes them in slices first (TraceWorkspace.makeFlows). Objects for
     * every run cost ~100 B per flow plus children arrays (~60 MB for 20 folders × 100k lines).
     */
    makeFlows?: boolean;
  };
}

/**
 * Progress of the cold index of one load or refresh: the file being merged (`file`, `bytesDone`
 * of `bytesTotal`) and the whole pass — every file it indexes (several run folders' traces are
 * scanned in parallel and merged one after another, src/core/read/workspace/indexQueue.ts).
 */
export interface WorkspaceIndexProgress extends IndexProgress {
  /** Bytes merged of all files of the pass, and their total size. */
  allBytesDone: number;
  allBytesTotal: number;
  /** Files the pass indexes, and how many of them are done. */
  files: number;
  filesDone: number;
}

/** Default size from which a JSONL source is read by the parallel index. */
export const DEFAULT_INDEX_MIN_BYTES = 32 * 1024 * 1024;

/** What one `refresh()` changed. Flow entries are `flowKey(runId, flowId)` (see build.ts). */
export interface WorkspaceChange {
  /** Runs whose content, status or notes changed (added ones included). */
  runs: Set<string>;
  flows: Set<string>;
  added: string[];
  removed: string[];
  /** Envelope events were added or dropped. */
  envelopes: boolean;
  /** Sources appeared or disappeared. */
  sources: boolean;
  /** ra.yaml / flows.yaml were re-read. */
  catalog: boolean;
}

/** One discovered source and how reading it went. */
export interface SourceInfo {
  file: string;
  kind: SourceKind;
  runHint?: string;
  producer?: string;
  dialect?: Dialect;
  /** Events read. */
  events: number;
  /** Malformed lines/rows. */
  malformed: number;
  /** Lines kept with a warning (invalid UTF-8, NaN tokens). */
  warnings: number;
  error?: string;
  /** Why a source is listed but not read (e.g. a `trace.db` beside its `trace.jsonl`). */
  skipped?: string;
}
