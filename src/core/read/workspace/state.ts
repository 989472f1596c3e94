/**
 * The state every job of the workspace shares: the run builder, the open sources (one
 * {@link SourceState} per discovered file) and the envelope events. Created afresh by each load.
 */
import * as path from 'node:path';
import { RunBuilder } from '../../model/build';
import type { Dialect, Malformed, TraceEvent } from '../../model/types';
import type { DiscoveredSource } from '../discover';
import type { FileEvents } from '../../model/storage';
import type { JsonlTail } from '../sources/jsonl';
import type { WorkspaceOptions } from './options';
import type { SourceHandle } from './seam';

/** One discovered source while it is read. */
export interface SourceState {
  src: DiscoveredSource;
  tail?: JsonlTail;
  handle?: SourceHandle;
  skipped?: string;
  dialect?: Dialect;
  events: number;
  malformed: Malformed[];
  malformedCount: number;
  warnings: number;
  error?: string;
  size?: number;
  mtime?: number;
  ino?: number;
  pending: number;
  /** A cancelled index stopped part way: the next read continues after what it merged. */
  cancelled?: boolean;
  /**
   * The index stopped at the memory bound (index.maxMemoryBytes): the source is not read further
   * until the next load; `error` says what was not read.
   */
  stopped?: boolean;
  /** Run id this source's folder stands for (0.1, esper), fixed once chosen. */
  folderRunId?: string;
  /** Runs that got events from this source. */
  runIds: Set<string>;
  /** Records of the parallel index (events parsed on demand). */
  store?: FileEvents;
}

export class ReadState {
  readonly builder: RunBuilder;
  /** Open sources by absolute path. */
  readonly states = new Map<string, SourceState>();
  /** Grain/Assay (and any other envelope-dialect) events, `source` = producer (§3). */
  envelopes: TraceEvent[] = [];
  envelopesChanged = false;
  /** Tag sets seen by the parallel index, with workspace-wide ids (see EventFields.tagsKey). */
  readonly tagSets = new Map<string, { tags: string[]; id: number }>();
  /** Cancels the parallel index of the current load. */
  signal?: AbortSignal;

  constructor(
    readonly root: string,
    readonly opts: WorkspaceOptions,
  ) {
    this.builder = new RunBuilder({ maxEventsPerRun: opts.maxEventsPerSource });
  }

  /** `file` relative to the root, with `/` separators. */
  rel(file: string): string {
    return posix(path.relative(this.root, file));
  }

  /** The open sources sorted by path. */
  ordered(): SourceState[] {
    return [...this.states.values()].sort((a, b) => (a.src.file < b.src.file ? -1 : a.src.file > b.src.file ? 1 : 0));
  }
}

export function posix(p: string): string {
  return p.split(path.sep).join('/');
}

/** The dialect a source's place in the layout implies, for lines that do not say. */
export function defaultDialect(kind: DiscoveredSource['kind']): Dialect {
  switch (kind) {
    case 'trace-rolling':
    case 'trace-run':
      return 'flowscribe-v1';
    case 'queue':
      return 'envelope';
    case 'esper':
      return 'esper';
    case 'otlp':
      return 'otlp';
    default:
      return 'generic';
  }
}
