/**
 * Run identity and dedup: which run an event belongs to.
 *
 * v1 → `run_id`; flowscribe 0.1 → the run folder name (`runs/<id>/`), or the folder path relative
 * to the root when that name is already a v1 run id or another folder's name; esper-lite → the
 * `telemetry_*` folder name; other JSONL → `run_id`, else the file path. A v1 run that has its own
 * folder (`.autodev/runs/<id>/`) is shown from there: its copy in the rolling file is skipped and
 * noted ("also in"). Grain/Assay envelopes are not runs: they go to `ReadState.envelopes`.
 */
import * as path from 'node:path';
import { putRunNote, type Dialect, type Run, type TraceEvent } from '../../model/types';
import type { ReadState, SourceState } from './state';

/** The identity bookkeeping of one source's read (the persisted index). */
export interface IdentitySnapshot {
  /** Rolling file: lines per run id, in first-seen order. */
  rolling: [string, number][];
  /** Rolling file: the run appended last. */
  last: string | null;
  /** v1 run folder's file: the run ids it claimed. */
  claimed: string[];
}

export class RunIdentity {
  /** Run ids that have a `.autodev/runs/<id>/` file (or came from one): the rolling copy is skipped. */
  private readonly folderRunIds = new Set<string>();
  /** Lines per run seen in the rolling file(s), for dedup notes. */
  private readonly rollingCounts = new Map<string, { file: string; count: number }>();
  /** Last run appended to each rolling file: only that one can still be live. */
  private readonly rollingLast = new Map<string, string>();
  /** Runs whose "also in the rolling file" note needs updating after this read. */
  private readonly dupDirty = new Set<string>();

  constructor(private readonly s: ReadState) {}

  /** Send one event to its run (or to the envelopes). */
  route(st: SourceState, ev: TraceEvent): void {
    if (ev.dialect === 'envelope') {
      if (ev.source === undefined && st.src.producer) ev.source = st.src.producer;
      this.s.envelopes.push(ev);
      this.s.envelopesChanged = true;
      return;
    }
    const r = this.resolve(st, ev.dialect, ev.runId);
    if (ev.runId === undefined || r.renamed) ev.runId = r.runId;
    if (r.skip) return;
    const run = this.s.builder.add(ev, r.runId, st.src.file, st.store);
    this.afterAdd(st, r.runId, run);
  }

  /**
   * The run an event of `st` goes to; `skip` = it is the rolling copy of a run read from its own
   * folder; `renamed` = another producer owns the id, so the run is `<id>@<file>`.
   */
  resolve(st: SourceState, dialect: Dialect, evRunId: string | undefined): { runId: string; skip?: boolean; renamed?: boolean } {
    const file = st.src.file;
    const builder = this.s.builder;
    let runId: string;
    if (dialect === 'flowscribe-0.1' || dialect === 'esper') {
      runId = this.folderRunId(st);
    } else {
      runId = evRunId ?? (st.src.runHint !== undefined ? this.folderRunId(st) : this.s.rel(file));
    }
    if (st.src.kind === 'trace-rolling') {
      let c = this.rollingCounts.get(runId);
      if (!c) this.rollingCounts.set(runId, (c = { file, count: 0 }));
      c.count++;
      this.rollingLast.set(file, runId);
      if (this.folderRunIds.has(runId)) {
        this.dupDirty.add(runId);
        return { runId, skip: true };
      }
    } else if (st.src.kind === 'trace-run' && dialect === 'flowscribe-v1') {
      this.claim(runId);
    }
    let existing = builder.getRun(runId);
    let renamed = false;
    if (existing && existing.dialect !== dialect && existing.primarySource !== file) {
      // Another producer already owns this id (e.g. a 0.1 folder named like a v1 run that exists
      // only in the rolling file): keep the two apart rather than mixing their events.
      runId = `${runId}@${this.s.rel(file)}`;
      renamed = true;
      existing = builder.getRun(runId);
    }
    if (existing && existing.primarySource !== file && !existing.sources.includes(file)) existing.sources.push(file);
    return { runId, renamed };
  }

  /** The rolling-file line count of a run, shared with the index merge (it counts runs of lines at once). */
  rollingCount(st: SourceState, runId: string): { count: number } | undefined {
    return st.src.kind === 'trace-rolling' ? this.rollingCounts.get(runId) : undefined;
  }

  /** Bookkeeping after `st` added an event to `run`. */
  afterAdd(st: SourceState, runId: string, run: Run): void {
    st.runIds.add(runId);
    if (st.src.kind === 'trace-run' && this.rollingCounts.has(runId) && run.primarySource === st.src.file) this.dupDirty.add(runId);
  }

  /** A v1 run folder `.autodev/runs/<id>/` stands for `id`: its rolling copy is skipped from now on. */
  claim(id: string): void {
    if (this.folderRunIds.has(id)) return;
    this.folderRunIds.add(id);
    // Built from the rolling file before its folder appeared: rebuild from the folder.
    const run = this.s.builder.getRun(id);
    if (run && this.s.states.get(run.primarySource)?.src.kind === 'trace-rolling') this.s.builder.removeRun(id);
  }

  /**
   * A run folder vanished: its copy in the rolling file (if any) must be shown again. Returns the
   * rolling source to re-read from the start (the caller drops and restarts it).
   */
  release(id: string, st: SourceState): SourceState | undefined {
    if (st.src.kind !== 'trace-run' || !this.folderRunIds.has(id)) return undefined;
    this.folderRunIds.delete(id);
    const count = this.rollingCounts.get(id);
    const rolling = count && this.s.states.get(count.file);
    return rolling && rolling.tail ? rolling : undefined;
  }

  /** A rolling file was dropped: forget its counts. */
  forgetRolling(file: string): void {
    for (const [id, c] of [...this.rollingCounts]) if (c.file === file) this.rollingCounts.delete(id);
    this.rollingLast.delete(file);
  }

  /** The run last appended to a rolling file (only that one can still be live). */
  lastInRolling(file: string): string | undefined {
    return this.rollingLast.get(file);
  }

  /** Update the "also in the rolling file" notes of the runs that need it. */
  noteDuplicates(): void {
    for (const id of this.dupDirty) this.noteDuplicate(id);
    this.dupDirty.clear();
  }

  private noteDuplicate(runId: string): void {
    const run = this.s.builder.getRun(runId);
    const c = this.rollingCounts.get(runId);
    if (!run || !c) return;
    if (!run.sources.includes(c.file)) run.sources.push(c.file);
    if (putRunNote(run, { kind: 'also-in', file: this.s.rel(c.file), lines: c.count, shown: this.s.rel(run.primarySource) })) this.s.builder.touch(runId);
  }

  // --- The persisted index (src/core/read/index/persist.ts). ---

  /**
   * What reading `st` from the start left here: for a rolling file, the lines per run id it saw
   * (skipped copies included) and its last run; for a v1 run folder's file, the ids it claimed.
   */
  persistState(st: SourceState): IdentitySnapshot {
    const file = st.src.file;
    const rolling: [string, number][] = [];
    if (st.src.kind === 'trace-rolling') for (const [id, c] of this.rollingCounts) if (c.file === file) rolling.push([id, c.count]);
    const claimed = st.src.kind === 'trace-run' ? [...st.runIds].filter((id) => this.folderRunIds.has(id)) : [];
    return { rolling, last: this.rollingLast.get(file) ?? null, claimed };
  }

  /**
   * Whether reading `st` from the start now would route its events as the persisted read did: no
   * run it made or saw exists yet (from another file), and of a rolling file's runs exactly those
   * claimed by a run folder now are the ones it skipped.
   */
  canRestore(st: SourceState, p: IdentitySnapshot, runIds: readonly string[]): boolean {
    const builder = this.s.builder;
    for (const id of runIds) if (builder.getRun(id) || this.rollingCounts.has(id)) return false;
    if (st.src.kind !== 'trace-rolling') return p.rolling.length === 0;
    const own = new Set(runIds);
    for (const [id] of p.rolling) {
      // A skipped copy's run is its folder's (it exists); claimed now ⇔ skipped then.
      if (this.rollingCounts.has(id) || this.folderRunIds.has(id) === own.has(id)) return false;
    }
    return true;
  }

  /** Take back what {@link persistState} recorded (after {@link canRestore}). */
  restorePersisted(st: SourceState, p: IdentitySnapshot): void {
    const file = st.src.file;
    for (const id of p.claimed) this.claim(id);
    if (st.src.kind !== 'trace-rolling') return;
    for (const [id, count] of p.rolling) {
      this.rollingCounts.set(id, { file, count });
      if (this.folderRunIds.has(id)) this.dupDirty.add(id);
    }
    if (p.last !== null) this.rollingLast.set(file, p.last);
  }

  /**
   * Run id for a folder-defined run (0.1 `runs/<id>/`, esper `telemetry_*`): the folder name,
   * unless a v1 run folder or another source already stands for that name — then the folder path
   * relative to the root, so both runs stay visible and distinct.
   */
  private folderRunId(st: SourceState): string {
    if (st.folderRunId !== undefined) return st.folderRunId;
    const dir = path.dirname(st.src.file);
    const name = st.src.runHint ?? path.basename(dir);
    let taken = this.folderRunIds.has(name);
    if (!taken) {
      for (const other of this.s.states.values()) {
        if (other === st || other.folderRunId !== name) continue;
        taken = true;
        break;
      }
    }
    const existing = this.s.builder.getRun(name);
    if (existing && existing.primarySource !== st.src.file) taken = true;
    st.folderRunId = taken ? this.s.rel(dir) || name : name;
    return st.folderRunId;
  }
}
