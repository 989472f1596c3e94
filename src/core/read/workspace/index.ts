/**
 * `TraceWorkspace`: everything Flowlens knows about one workspace folder — or one trace file the
 * user named — read through one pipeline. The CLI and the views read the same object, so they
 * give the same answers.
 *
 * A thin orchestrator over one module per job:
 * - discovery.ts — which sources exist (the bounded walk, or one file) and opening/dropping them
 * - sources.ts — source lifecycle: tail a JSONL file or read a store, forget a vanished source
 * - identity.ts — run identity and dedup (run ids, the rolling file's copies, "also in" notes)
 * - indexMerge.ts — the parallel index's merge hot loop (large files)
 * - indexQueue.ts — several large files in one pass: the next scan runs ahead of the merge
 * - capPolicy.ts — the memory cap (`maxEventsPerSource`)
 * - flowNames.ts — 0.1 flow names from summary.md
 * - catalogReload.ts — ra.yaml / flows.yaml
 * - refreshPlan.ts — live refresh by file (what a watcher's events require)
 * - seam.ts — the reader seam for non-JSONL sources (SQLite); options.ts — the public shapes
 *
 * Live use: `load()` once, then `refresh({changed})` with the watcher's file events; each refresh
 * tails only what was appended (rediscovering only when the layout moved) and returns which runs
 * and flows changed.
 */
import * as path from 'node:path';
import { DEFAULT_LIVE_WINDOW_MS } from '../../model/build';
import type { Malformed, Run, TraceEvent } from '../../model/types';
import type { Catalog } from '../catalog';
import { workspaceOf, type Discovery } from '../discover';
import { abortError } from '../index/parallel';
import { writeIndexCaches } from '../index/persist';
import { drainWorkerPool } from '../index/workerPool';
import { runHintPasses } from './hintPass';
import { PathMapper } from '../pathmap';
import { capSource, runMtime } from './capPolicy';
import { CatalogReload } from './catalogReload';
import { discoverSources, syncSources } from './discovery';
import { FlowNameRecovery } from './flowNames';
import { makeRunFlows } from './indexMerge';
import { RunIdentity } from './identity';
import type { SourceInfo, WorkspaceChange, WorkspaceOptions } from './options';
import { planRefresh, type FileChange } from './refreshPlan';
import { inReadOrder, planIndex, readSource, sourceInfo, sourceProblems } from './sources';
import { ReadState } from './state';

export { DEFAULT_INDEX_MIN_BYTES, type SourceInfo, type WorkspaceChange, type WorkspaceIndexProgress, type WorkspaceOptions } from './options';
export type { SourceHandle, SourceReaderFactory, SourceReadResult } from './seam';
export { planRefresh, type FileChange, type RefreshPlan } from './refreshPlan';

/** What one refresh reads: everything (rediscovering or not), or what a watcher's events require. */
type Scope = { all: true; rediscover: boolean } | { all: false; read: ReadonlySet<string>; summaries: ReadonlySet<string>; catalog: boolean };

/**
 * All traces of one workspace folder (or of one file: {@link TraceWorkspace.forFile}). See
 * docs/architecture.md and the job modules above.
 */
export class TraceWorkspace {
  readonly root: string;
  readonly pathMap: PathMapper;
  /** Run id named by `.autodev/latest`, when present and inside the workspace. */
  latestRunId?: string;

  private readonly opts: WorkspaceOptions;
  private readonly now: () => number;
  /** The one file read (forFile), else undefined (the folder). */
  private readonly only?: string;
  private s: ReadState;
  private identity: RunIdentity;
  private names: FlowNameRecovery;
  private cat: CatalogReload;
  private discoveryProblems: string[] = [];
  private sorted?: Run[];
  private queue: Promise<unknown> = Promise.resolve();
  private cacheWrites: Promise<void> = Promise.resolve();
  /** The background hint passes (hintPass.ts) started after each load or refresh. */
  private hintPasses: Promise<number> = Promise.resolve(0);
  private disposed = false;

  constructor(root: string, opts: WorkspaceOptions = {}, only?: string) {
    this.root = path.resolve(root);
    this.opts = opts;
    this.only = only === undefined ? undefined : path.resolve(only);
    this.now = opts.now ?? Date.now;
    this.pathMap = new PathMapper(this.root, opts.pathMappings ?? {});
    this.s = new ReadState(this.root, opts);
    this.identity = new RunIdentity(this.s);
    this.names = new FlowNameRecovery(this.s);
    this.cat = new CatalogReload(this.root, opts.env);
  }

  /**
   * One trace file, read as it is read when its folder is: the same kind by its place in the
   * layout, the same run ids (a 0.1 run named like a v1 run folder is `runs/<id>`), the same
   * dialect detection and 0.1 flow names, the parallel index for a large file. The root is the
   * workspace the file belongs to (nearest ancestor with `.autodev/`, else its folder): its
   * ra.yaml/flows.yaml and path mapping apply. The file itself may lie outside it (a link).
   */
  static forFile(file: string, opts: WorkspaceOptions = {}): TraceWorkspace {
    return new TraceWorkspace(workspaceOf(file), opts, file);
  }

  /** Grain/Assay (and any other envelope-dialect) events, `source` = producer (§3). */
  get envelopes(): TraceEvent[] {
    return this.s.envelopes;
  }

  /** ra.yaml + flows.yaml (formats.md §1c); loaded by `load()`, re-read when they change. */
  get catalog(): Catalog | undefined {
    return this.cat.catalog;
  }

  /**
   * Discover and read everything (from scratch). Large JSONL sources go through the parallel
   * index (see {@link WorkspaceOptions.index}); `signal` cancels it (the promise rejects with an
   * `AbortError`).
   */
  async load(opts: { final?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    await this.serial(async () => {
      this.s = new ReadState(this.root, this.opts);
      this.s.signal = opts.signal;
      this.identity = new RunIdentity(this.s);
      this.names = new FlowNameRecovery(this.s);
      this.cat = new CatalogReload(this.root, this.opts.env);
      this.sorted = undefined;
      try {
        await this.update(opts.final ?? this.opts.final ?? false, { all: true, rediscover: true }, false);
      } finally {
        this.s.signal = undefined;
        this.sorted = undefined;
      }
      // The persisted index of what this load indexed cold, written once the load resolved (eager:
      // started now, its file written while the caller goes on; IndexCacheOptions.eager).
      const s = this.s;
      this.cacheWrites = this.opts.indexCache?.eager ? writeIndexCaches(s) : new Promise<void>((r) => setImmediate(r)).then(() => writeIndexCaches(s));
      // The index's last worker is not kept idle past the load: it holds what its scans grew
      // (its WebAssembly memory and heap, ~10-20 MB) through exactly the reads that follow a load
      // (views, rollups, failure lists: the 20-folder load's peak RSS 292-296 → 269-279 MB). The
      // next scan (the hint pass, a new big file) starts a fresh one.
      void drainWorkerPool();
      this.startHints(s);
    });
  }

  /**
   * The secret hints of sources the last load or refresh indexed without them
   * (WorkspaceOptions.index.backgroundHints): resolves, with how many stores got hints, once those
   * background passes are done or stopped; never rejects.
   */
  hintsSettled(): Promise<number> {
    return this.hintPasses;
  }

  /** Stop the background work (hint passes); the model stays as it is. */
  dispose(): void {
    this.disposed = true;
  }

  /** Start the hint passes planned by the last read of `s`, after the cache writes and earlier passes. */
  private startHints(s: ReadState): void {
    const live = (): boolean => !this.disposed && this.s === s;
    const before = this.hintPasses;
    this.hintPasses = Promise.all([before, this.cacheWrites]).then(([k]) => runHintPasses(s, live).then((m) => k + m)).catch(() => 0);
  }

  /** The persisted index's writes of the last load (WorkspaceOptions.indexCache); never rejects. */
  cacheWritten(): Promise<void> {
    return this.cacheWrites;
  }

  /**
   * Read what was appended; returns what changed.
   * - `changed`: the file events a watcher reported since the last refresh. Known files are tailed
   *   without rediscovery; the folder is walked again only when the layout moved (a create or
   *   delete); a catalog file reloads the catalog only (see refreshPlan.ts). `[]` reads nothing
   *   and only settles statuses (a running run times out to crashed).
   * - without `changed`: re-discover first (a bounded walk; `rediscover: false` skips it) and
   *   look at every known source.
   */
  refresh(opts: { final?: boolean; rediscover?: boolean; changed?: readonly FileChange[] } = {}): Promise<WorkspaceChange> {
    return this.serial(() => {
      const final = opts.final ?? this.opts.final ?? false;
      const s = this.s;
      const hints = <T>(p: Promise<T>): Promise<T> => p.finally(() => this.startHints(s));
      if (opts.changed === undefined) return hints(this.update(final, { all: true, rediscover: opts.rediscover ?? true }));
      const plan = planRefresh(this.root, opts.changed, (f) => this.s.states.get(f)?.src.kind);
      if (plan.rediscover) return hints(this.update(final, { all: true, rediscover: true }));
      return hints(this.update(final, { all: false, read: new Set(plan.read), summaries: new Set(plan.summaries), catalog: plan.catalog }));
    });
  }

  /** Runs, newest first (by start time, then id, both descending). */
  runs(): Run[] {
    if (!this.sorted) {
      this.sorted = this.s.builder.runs().sort((a, b) => {
        const sa = a.started ?? -Infinity;
        const sb = b.started ?? -Infinity;
        if (sa !== sb) return sb - sa;
        return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
      });
    }
    return [...this.sorted];
  }

  /**
   * A run by its exact id; `latest` = the `.autodev/latest` target if that run exists, else the
   * newest run. Selecting by prefix, `previous` or `@N` is src/core/analyze/queries.ts (`selectRun`).
   */
  getRun(idOrLatest: string): Run | undefined {
    const builder = this.s.builder;
    const exact = builder.getRun(idOrLatest);
    if (exact) return exact;
    if (idOrLatest !== 'latest') return undefined;
    return (this.latestRunId !== undefined ? builder.getRun(this.latestRunId) : undefined) ?? this.runs()[0];
  }

  /** Whether run `id`'s flow objects are made (false while the cold index keeps them in columns). */
  flowsMade(id: string): boolean {
    return !this.s.builder.flowsInColumns(id);
  }

  /**
   * Make run `id`'s flow objects in slices, yielding the thread between them, so a view about to
   * show a big indexed run's tree does not make ~300k flows in one block on its first read.
   */
  makeFlows(id: string, signal?: AbortSignal): Promise<void> {
    return makeRunFlows(this.s.builder, id, signal);
  }

  latestRun(): Run | undefined {
    return this.getRun('latest');
  }

  /** Every malformed line of every source, by file then line. */
  malformed(): Malformed[] {
    const out: Malformed[] = [];
    for (const st of this.s.ordered()) out.push(...st.malformed);
    return out;
  }

  /** Discovery problems and source read errors, each naming its file. */
  problems(): string[] {
    const out = [...this.discoveryProblems];
    for (const st of this.s.ordered()) out.push(...sourceProblems(st));
    return out;
  }

  /** Every discovered source, sorted by path. */
  sources(): SourceInfo[] {
    return this.s.ordered().map(sourceInfo);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async update(final: boolean, scope: Scope, report = true): Promise<WorkspaceChange> {
    const s = this.s;
    // A load reports nothing: don't track hundreds of thousands of changed flows.
    s.builder.trackFlows = report;
    const latestBefore = this.latestRunId;
    let d: Discovery;
    if (scope.all && (scope.rediscover || s.states.size === 0)) {
      d = discoverSources(s, this.only);
      this.discoveryProblems = d.problems;
      this.latestRunId = d.latestRunId;
    } else {
      d = { sources: [...s.states.values()].map((st) => st.src), latestRunId: this.latestRunId, problems: this.discoveryProblems };
    }
    const catalogChanged = scope.all || scope.catalog ? this.cat.reload() : false;
    const sourcesChanged = syncSources(s, this.identity, d, this.only);

    const now = this.now();
    // Cancelled (load's signal): stop reading, but settle what was read so it shows (runs,
    // statuses, counts), then reject with the AbortError.
    let aborted = false;
    const toRead = inReadOrder(s.states.values()).filter((st) => scope.all || scope.read.has(st.src.file));
    // The large files of this pass are scanned ahead of their merge (bounded; indexQueue.ts).
    const queue = await planIndex(s, toRead, final);
    try {
      for (const st of toRead) {
        if (s.signal?.aborted) {
          aborted = true;
          break;
        }
        aborted = (await readSource(s, this.identity, st, final, queue.take(st))) === 'cancelled';
        queue.settle(st);
        capSource(s, this.identity, st, now);
        if (aborted) break;
      }
    } finally {
      queue.close();
    }
    this.identity.noteDuplicates();

    this.names.recover(d.sources, scope.all ? undefined : scope.summaries);
    s.builder.finish({
      now: this.now(),
      liveWindowMs: this.opts.liveWindowMs ?? DEFAULT_LIVE_WINDOW_MS,
      mtimeOf: (run) => runMtime(s, this.identity, run),
      hasEnded: (run) => this.names.summaryFor(run) !== undefined,
    });

    // A load reports nothing: skip making a key per flow (there may be hundreds of thousands).
    if (!report) s.builder.clearChanges();
    const c = s.builder.takeChanges();
    // `.autodev/latest` moved: the run it named and the one it names now count as changed, so
    // what shows the latest run (Problems, decorations, status bar) follows without a reload.
    if (report && this.latestRunId !== latestBefore) {
      for (const id of [latestBefore, this.latestRunId]) if (id !== undefined && s.builder.getRun(id)) c.runs.add(id);
    }
    if (!report) this.sorted = undefined;
    if (c.runs.size > 0 || c.added.size > 0 || c.removed.size > 0) this.sorted = undefined;
    if (aborted) throw abortError();
    const envelopes = s.envelopesChanged;
    s.envelopesChanged = false;
    return {
      runs: c.runs,
      flows: c.flows,
      added: [...c.added],
      removed: [...c.removed],
      envelopes,
      sources: sourcesChanged,
      catalog: catalogChanged,
    };
  }
}
