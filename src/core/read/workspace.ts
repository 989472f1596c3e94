/**
 * `TraceWorkspace`: everything Flowlens knows about one workspace folder — discovery, reading,
 * the run/flow model, 0.1 flow names, dedup of the rolling v1 file, envelopes, the catalog and
 * path mapping. The CLI and the views read the same object, so they give the same answers.
 *
 * Live use: `load()` once, then `refresh()` on file-change events; each refresh tails only what
 * was appended and returns which runs and flows changed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunBuilder, DEFAULT_LIVE_WINDOW_MS, type EventFields } from '../model/build';
import { openFileEvents } from './index/fileEvents';
import type { FileEvents } from '../model/storage';
import { indexFileParallel, type IndexProgress } from './index/parallel';
import { KIND_LIGHT, severityOf, type ScanBatch } from './index/scan';
import { loadCatalog, type Catalog } from './catalog';
import { discover, type DiscoveredSource, type Discovery, type SourceKind } from './discover';
import type { Dialect, Malformed, Run, TraceEvent } from '../model/types';
import { PathMapper } from './pathmap';
import { readText } from './ingress/safeFile';
import { JsonlTail } from './sources/jsonl';
import { detectDialect, normalizeEvent } from './sources/normalize';
import { parseSummaryMd, recoverFlowNames } from './summaryMd';

/** Result of one read of a non-JSONL source (the seam for SQLite readers, §2–§5). */
export interface SourceReadResult {
  /** The source was replaced/rewritten and re-read from the start: drop what it gave before. */
  reset?: boolean;
  malformed: Malformed[];
  error?: string;
}

/** An open source that can be read incrementally. */
export interface SourceHandle {
  read(onEvent: (event: TraceEvent) => void, opts: { final: boolean }): Promise<SourceReadResult>;
}

/**
 * Opens a reader for a discovered source; `undefined` = this source is not for it.
 * Registered per kind in {@link WorkspaceOptions.readers} (e.g. `trace-db`, `sqlite`).
 */
export type SourceReaderFactory = (source: DiscoveredSource) => SourceHandle | undefined;

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
  /** Readers for sources that are not JSONL, by kind (the SQLite seam). */
  readers?: Partial<Record<SourceKind, SourceReaderFactory>>;
  /** Discovery bounds. */
  maxDepth?: number;
  maxEntries?: number;
  /** Run folders (`…/runs/<id>/`) read in all, newest first (discover.ts; default 5,000). */
  maxRunFolders?: number;
  /** Environment for `RA_*` catalog overrides. */
  env?: Record<string, string | undefined>;
  /**
   * The parallel index (src/core/index): a JSONL source read from the start that is at least
   * `minBytes` long (default 32 MiB) is scanned by worker threads into compact records; its
   * events are parsed again from the file when read (`run.events`, `flow.events`). `false` = off.
   */
  index?: false | { minBytes?: number; workers?: number; workerScript?: string; onProgress?: (p: IndexProgress) => void };
}

/**
 * Longest stretch (ms) the index merges records before yielding to the event loop. Small, because
 * on two cores the worker and the GC's helper threads also preempt this thread, and a GC pause can
 * land inside a slice: 8 ms kept every event-loop stall of a 1M-line index under ~40 ms (20 ms let
 * them reach 50-65 ms); yielding costs microseconds.
 */
const INDEX_SLICE_MS = 8;

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

const MAX_MALFORMED_PER_SOURCE = 1000;

interface SourceState {
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
  /** Run id this source's folder stands for (0.1, esper), fixed once chosen. */
  folderRunId?: string;
  /** Runs that got events from this source. */
  runIds: Set<string>;
  /** Records of the parallel index (events parsed on demand). */
  store?: FileEvents;
}

function posix(p: string): string {
  return p.split(path.sep).join('/');
}

const AUTODEV_RUN = /(^|\/)\.autodev\/runs\/[^/]+\/trace\.jsonl$/;
const KIND_ORDER: SourceKind[] = ['trace-rolling', 'trace-run', 'esper', 'jsonl', 'trace-db', 'sqlite', 'queue', 'summary-md'];

function readOrder(src: DiscoveredSource): number {
  if (src.kind === 'trace-run' && AUTODEV_RUN.test(posix(src.file))) return -1;
  return KIND_ORDER.indexOf(src.kind);
}

/**
 * All traces of one workspace folder. See docs/architecture.md.
 *
 * Run identity: v1 → `run_id`; flowscribe 0.1 → the run folder name (`runs/<id>/`), or the folder
 * path relative to the root when that name is already a v1 run id or another folder's name;
 * esper-lite → the `telemetry_*` folder name; other JSONL → `run_id`, else the file path.
 * Grain/Assay envelopes are not runs: they are collected in {@link TraceWorkspace.envelopes}.
 */
export class TraceWorkspace {
  readonly root: string;
  readonly pathMap: PathMapper;
  /** Grain/Assay (and any other envelope-dialect) events, `source` = producer (§3). */
  envelopes: TraceEvent[] = [];
  /** ra.yaml + flows.yaml (formats.md §1c); loaded by `load()`, re-read when they change. */
  catalog?: Catalog;
  /** Run id named by `.autodev/latest`, when present and inside the workspace. */
  latestRunId?: string;

  private readonly opts: WorkspaceOptions;
  private readonly now: () => number;
  private builder: RunBuilder;
  private states = new Map<string, SourceState>();
  private discoveryProblems: string[] = [];
  /** Run ids that have a `.autodev/runs/<id>/` file (or came from one): the rolling copy is skipped. */
  private folderRunIds = new Set<string>();
  /** Lines per run seen in the rolling file(s), for dedup notes. */
  private rollingCounts = new Map<string, { file: string; count: number }>();
  /** Last run appended to each rolling file: only that one can still be live. */
  private rollingLast = new Map<string, string>();
  private summaryMtimes = new Map<string, number | undefined>();
  private catalogSig = '';
  private sorted?: Run[];
  private queue: Promise<unknown> = Promise.resolve();
  private envelopesChanged = false;
  /** Runs whose "also in the rolling file" note needs updating after this read. */
  private readonly dupDirty = new Set<string>();
  private signal?: AbortSignal;
  /** Tag sets seen by the parallel index, with workspace-wide ids (see EventFields.tagsKey). */
  private readonly tagSets = new Map<string, { tags: string[]; id: number }>();
  /** The previous light record's run resolution while indexing (see routeIndexed). */
  private lastRoute?: { st: SourceState; in: string | undefined; runId: string; skip: boolean; rolling?: { count: number } };

  constructor(root: string, opts: WorkspaceOptions = {}) {
    this.root = path.resolve(root);
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.pathMap = new PathMapper(this.root, opts.pathMappings ?? {});
    this.builder = new RunBuilder({ maxEventsPerRun: opts.maxEventsPerSource });
  }

  /**
   * Discover and read everything (from scratch). Large JSONL sources go through the parallel
   * index (see {@link WorkspaceOptions.index}); `signal` cancels it (the promise rejects with an
   * `AbortError`).
   */
  async load(opts: { final?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    this.signal = opts.signal;
    await this.serial(async () => {
      this.builder = new RunBuilder({ maxEventsPerRun: this.opts.maxEventsPerSource });
      this.states = new Map();
      this.envelopes = [];
      this.folderRunIds = new Set();
      this.rollingCounts = new Map();
      this.rollingLast = new Map();
      this.summaryMtimes = new Map();
      this.catalogSig = '';
      this.sorted = undefined;
      try {
        await this.update(opts.final ?? this.opts.final ?? false, true, false);
      } finally {
        this.signal = undefined;
      }
    });
  }

  /** Re-discover and read what was appended; returns what changed. */
  /**
   * Read what was appended; returns what changed. By default it re-discovers first (a bounded
   * walk); pass `rediscover: false` when a watcher only reported changes to known files.
   */
  refresh(opts: { final?: boolean; rediscover?: boolean } = {}): Promise<WorkspaceChange> {
    return this.serial(() => this.update(opts.final ?? this.opts.final ?? false, opts.rediscover ?? true));
  }

  /** Runs, newest first (by start time, then id, both descending). */
  runs(): Run[] {
    if (!this.sorted) {
      this.sorted = this.builder.runs().sort((a, b) => {
        const sa = a.started ?? -Infinity;
        const sb = b.started ?? -Infinity;
        if (sa !== sb) return sb - sa;
        return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
      });
    }
    return [...this.sorted];
  }

  /**
   * A run by id; `latest` = the `.autodev/latest` target if that run exists, else the newest run.
   * An id that matches no run exactly may be a unique prefix of one.
   */
  getRun(idOrLatest: string): Run | undefined {
    const exact = this.builder.getRun(idOrLatest);
    if (exact) return exact;
    if (idOrLatest === 'latest') {
      return (this.latestRunId !== undefined ? this.builder.getRun(this.latestRunId) : undefined) ?? this.runs()[0];
    }
    if (idOrLatest === '') return undefined;
    const matches = this.builder.runs().filter((r) => r.id.startsWith(idOrLatest));
    return matches.length === 1 ? matches[0] : undefined;
  }

  latestRun(): Run | undefined {
    return this.getRun('latest');
  }

  /** Every malformed line of every source, by file then line. */
  malformed(): Malformed[] {
    const out: Malformed[] = [];
    for (const st of this.orderedStates()) out.push(...st.malformed);
    return out;
  }

  /** Discovery problems and source read errors, each naming its file. */
  problems(): string[] {
    const out = [...this.discoveryProblems];
    for (const st of this.orderedStates()) {
      if (st.error) out.push(`${st.src.file}: ${st.error}`);
      if (st.malformedCount > st.malformed.length) {
        out.push(`${st.src.file}: ${st.malformedCount} malformed lines; the first ${st.malformed.length} are listed`);
      }
    }
    return out;
  }

  /** Every discovered source, sorted by path. */
  sources(): SourceInfo[] {
    return [...this.states.values()]
      .sort((a, b) => (a.src.file < b.src.file ? -1 : a.src.file > b.src.file ? 1 : 0))
      .map((st) => ({
        file: st.src.file,
        kind: st.src.kind,
        runHint: st.src.runHint,
        producer: st.src.producer,
        dialect: st.dialect,
        events: st.events,
        malformed: st.malformedCount,
        warnings: st.warnings,
        error: st.error,
        skipped: st.skipped,
      }));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private orderedStates(): SourceState[] {
    return [...this.states.values()].sort((a, b) => (a.src.file < b.src.file ? -1 : a.src.file > b.src.file ? 1 : 0));
  }

  private rel(file: string): string {
    return posix(path.relative(this.root, file));
  }

  private async update(final: boolean, rediscover = true, report = true): Promise<WorkspaceChange> {
    // A load reports nothing: don't track hundreds of thousands of changed flows.
    this.builder.trackFlows = report;
    let d: Discovery;
    if (rediscover || this.states.size === 0) {
      d = discover(this.root, { extraGlobs: this.opts.extraGlobs, maxDepth: this.opts.maxDepth, maxEntries: this.opts.maxEntries, maxRunFolders: this.opts.maxRunFolders });
      this.discoveryProblems = d.problems;
      this.latestRunId = d.latestRunId;
    } else {
      d = { sources: [...this.states.values()].map((st) => st.src), latestRunId: this.latestRunId, problems: this.discoveryProblems };
    }
    const catalogChanged = this.reloadCatalog();

    // Sources that disappeared.
    const found = new Set(d.sources.map((s) => s.file));
    let sourcesChanged = false;
    for (const [file, st] of [...this.states]) {
      if (found.has(file)) continue;
      sourcesChanged = true;
      this.states.delete(file);
      this.dropSource(st);
    }
    // New sources.
    for (const src of d.sources) {
      if (this.states.has(src.file)) continue;
      sourcesChanged = true;
      this.states.set(src.file, this.openSource(src, d.sources));
    }
    for (const src of d.sources) {
      if (src.kind === 'trace-run' && AUTODEV_RUN.test(posix(src.file)) && src.runHint) {
        this.claimFolderRun(src.runHint);
      }
    }

    // v1 run folders first (so their rolling copies are recognised), then the rolling file (so
    // v1 ids are claimed before 0.1/esper folder names), then the rest.
    const states = [...this.states.values()].sort((a, b) => readOrder(a.src) - readOrder(b.src) || (a.src.file < b.src.file ? -1 : 1));
    for (const st of states) {
      await this.readSource(st, final);
      this.capSource(st);
    }
    for (const id of this.dupDirty) this.noteDuplicate(id);
    this.dupDirty.clear();

    this.recoverNames(d.sources);
    this.builder.finish({
      now: this.now(),
      liveWindowMs: this.opts.liveWindowMs ?? DEFAULT_LIVE_WINDOW_MS,
      mtimeOf: (run) => this.mtimeOf(run),
      hasEnded: (run) => this.summaryFor(run) !== undefined,
    });

    // A load reports nothing: skip making a key per flow (there may be hundreds of thousands).
    if (!report) this.builder.clearChanges();
    const c = this.builder.takeChanges();
    if (!report) this.sorted = undefined;
    if (c.runs.size > 0 || c.added.size > 0 || c.removed.size > 0) this.sorted = undefined;
    const envelopes = this.envelopesChanged;
    this.envelopesChanged = false;
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

  private reloadCatalog(): boolean {
    const files = ['.autodev/ra.yaml', '.autodev/flows.yaml', 'ra.yaml', 'flows.yaml'].map((f) => path.join(this.root, f));
    const sig = files
      .map((f) => {
        try {
          const st = fs.statSync(f);
          return `${st.mtimeMs}:${st.size}`;
        } catch {
          return '-';
        }
      })
      .join('|');
    if (sig === this.catalogSig && this.catalog) return false;
    this.catalogSig = sig;
    this.catalog = loadCatalog(this.root, { env: this.opts.env });
    return true;
  }

  private openSource(src: DiscoveredSource, all: DiscoveredSource[]): SourceState {
    const st: SourceState = { src, events: 0, malformed: [], malformedCount: 0, warnings: 0, pending: 0, runIds: new Set() };
    const factory = this.opts.readers?.[src.kind];
    switch (src.kind) {
      case 'trace-rolling':
      case 'trace-run':
      case 'queue':
      case 'esper':
      case 'jsonl':
        st.tail = new JsonlTail(src.file, { root: this.root });
        break;
      case 'summary-md':
        break; // read for 0.1 flow names, not events
      case 'trace-db': {
        const jsonl = path.join(path.dirname(src.file), 'trace.jsonl');
        if (all.some((s) => s.file === jsonl)) st.skipped = 'trace.jsonl in the same folder is read instead';
        else if (factory) st.handle = factory(src);
        else st.skipped = 'no SQLite reader registered';
        break;
      }
      case 'sqlite':
        if (factory) st.handle = factory(src);
        else st.skipped = 'no SQLite reader registered';
        break;
    }
    if (factory && !st.handle && !st.tail && !st.skipped) st.skipped = 'not recognised by its reader';
    return st;
  }

  /** Forget everything a source contributed (it vanished or was replaced). */
  private dropSource(st: SourceState): void {
    const file = st.src.file;
    for (const id of st.runIds) {
      const run = this.builder.getRun(id);
      if (!run) continue;
      if (run.primarySource === file) {
        this.builder.removeRun(id);
        this.folderRunIdsRelease(id, st);
      } else if (run.sources.includes(file)) {
        run.sources = run.sources.filter((s) => s !== file);
        run.notes = run.notes.filter((n) => !n.startsWith(`also in ${this.rel(file)} `));
        this.builder.touch(id);
      }
    }
    st.runIds.clear();
    if (st.src.kind === 'trace-rolling') {
      for (const [id, c] of [...this.rollingCounts]) if (c.file === file) this.rollingCounts.delete(id);
      this.rollingLast.delete(file);
    }
    const before = this.envelopes.length;
    this.envelopes = this.envelopes.filter((e) => e.src.file !== file);
    if (this.envelopes.length !== before) this.envelopesChanged = true;
  }

  /** A run folder vanished: its copy in the rolling file (if any) must be shown again. */
  private folderRunIdsRelease(id: string, st: SourceState): void {
    if (st.src.kind !== 'trace-run' || !this.folderRunIds.has(id)) return;
    this.folderRunIds.delete(id);
    const count = this.rollingCounts.get(id);
    const rolling = count && this.states.get(count.file);
    if (rolling?.tail) {
      // Re-read the rolling file from the start; runs it already owns are rebuilt identically.
      rolling.tail.restart();
      this.dropSource(rolling);
      rolling.events = 0;
      rolling.malformed = [];
      rolling.malformedCount = 0;
      rolling.size = undefined;
    }
  }

  private claimFolderRun(id: string): void {
    if (this.folderRunIds.has(id)) return;
    this.folderRunIds.add(id);
    // Built from the rolling file before its folder appeared: rebuild from the folder.
    const run = this.builder.getRun(id);
    if (run && this.states.get(run.primarySource)?.src.kind === 'trace-rolling') this.builder.removeRun(id);
  }

  private async readSource(st: SourceState, final: boolean): Promise<void> {
    if (!st.tail && !st.handle) return;
    let stat: fs.Stats | undefined;
    try {
      stat = await fs.promises.stat(st.src.file);
    } catch {
      stat = undefined;
    }
    if (stat && st.size === stat.size && st.mtime === stat.mtimeMs && st.ino === stat.ino && !(final && st.pending > 0)) return;
    if (stat) {
      st.size = stat.size;
      st.mtime = stat.mtimeMs;
      st.ino = stat.ino;
    }
    const events: TraceEvent[] = [];
    let reset = false;
    let malformed: Malformed[] = [];
    const idx = this.opts.index;
    if (st.tail && stat && idx !== false && st.tail.offset === 0 && st.tail.lineNo === 0 && stat.size >= (idx?.minBytes ?? DEFAULT_INDEX_MIN_BYTES)) {
      // Never `final` here: a last line without a newline may still be being written (a file growing
      // while it is read); the final tail read below decides, up to the size seen at the start.
      await this.indexSource(st, stat.size, false);
      if (!(final && st.pending > 0)) {
        if (final) await this.noteGrowth(st, stat.size);
        return;
      }
    }
    if (st.tail) {
      const r = await st.tail.read(
        (obj, loc) => {
          const dialect = detectDialect(obj) ?? st.dialect ?? defaultDialect(st.src.kind);
          if (st.dialect === undefined && detectDialect(obj) !== undefined) st.dialect = dialect;
          events.push(normalizeEvent(obj, dialect, loc));
        },
        // A one-shot (final) read stops at the size seen when it started; the live tail follows.
        final && stat ? { final, upTo: stat.size } : { final },
      );
      reset = r.reset;
      malformed = r.malformed;
      st.pending = r.pendingBytes;
      st.error = r.error;
      if (final && stat && r.error === undefined) await this.noteGrowth(st, stat.size);
      if (reset) st.warnings = 0;
      st.warnings += r.warnings.length;
    } else if (st.handle) {
      try {
        const r = await st.handle.read((ev) => events.push(ev), { final });
        reset = r.reset === true;
        malformed = r.malformed;
        st.error = r.error;
      } catch (e) {
        st.error = `cannot read: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (reset) {
      this.dropSource(st);
      st.events = 0;
      st.malformed = [];
      st.malformedCount = 0;
      st.store?.close();
      st.store = undefined;
    }
    for (const ev of events) this.route(st, ev);
    st.events += events.length;
    if (malformed.length > 0) {
      st.malformedCount += malformed.length;
      const room = MAX_MALFORMED_PER_SOURCE - st.malformed.length;
      const kept = room > 0 ? malformed.slice(0, room) : [];
      st.malformed.push(...kept);
      const owner = this.sourceRunId(st);
      if (owner !== undefined) for (const m of kept) this.builder.addMalformed(owner, m);
    }
  }

  /** The run a per-run source stands for (to attach its malformed lines). */
  private sourceRunId(st: SourceState): string | undefined {
    if (st.src.kind === 'trace-rolling' || st.src.kind === 'queue' || st.src.kind === 'sqlite') return undefined;
    if (st.runIds.size === 1) return [...st.runIds][0];
    return st.folderRunId ?? st.src.runHint;
  }

  private route(st: SourceState, ev: TraceEvent): void {
    if (ev.dialect === 'envelope') {
      if (ev.source === undefined && st.src.producer) ev.source = st.src.producer;
      this.envelopes.push(ev);
      this.envelopesChanged = true;
      return;
    }
    const r = this.resolveRun(st, ev.dialect, ev.runId);
    if (ev.runId === undefined || r.renamed) ev.runId = r.runId;
    if (r.skip) return;
    const run = this.builder.add(ev, r.runId, st.src.file, st.store);
    this.afterAdd(st, r.runId, run);
  }

  /** `route` for a light record of the parallel index (a v1 event known by its fields). */
  private routeIndexed(st: SourceState, fields: EventFields, ref: number, store: FileEvents): void {
    // Consecutive events of one run (the common case) reuse the previous resolution: the same
    // run, skip and rename decisions, with the rolling count kept exact.
    const last = this.lastRoute;
    if (last !== undefined && last.st === st && last.in === fields.runId) {
      if (last.rolling) last.rolling.count++;
      if (last.skip) return;
      this.builder.addIndexed(fields, ref, store, last.runId, st.src.file);
      return;
    }
    const r = this.resolveRun(st, fields.dialect, fields.runId);
    const rolling = st.src.kind === 'trace-rolling' ? this.rollingCounts.get(r.runId) : undefined;
    this.lastRoute = { st, in: fields.runId, runId: r.runId, skip: r.skip === true, rolling };
    if (r.skip) return;
    const run = this.builder.addIndexed(fields, ref, store, r.runId, st.src.file);
    this.afterAdd(st, r.runId, run);
  }

  /**
   * The run an event of `st` goes to; `skip` = it is the rolling copy of a run read from its own
   * folder; `renamed` = another producer owns the id, so the run is `<id>@<file>`.
   */
  private resolveRun(st: SourceState, dialect: Dialect, evRunId: string | undefined): { runId: string; skip?: boolean; renamed?: boolean } {
    const file = st.src.file;
    let runId: string;
    if (dialect === 'flowscribe-0.1' || dialect === 'esper') {
      runId = this.folderRunId(st);
    } else {
      runId = evRunId ?? (st.src.runHint !== undefined ? this.folderRunId(st) : this.rel(file));
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
      this.claimFolderRun(runId);
    }
    let existing = this.builder.getRun(runId);
    let renamed = false;
    if (existing && existing.dialect !== dialect && existing.primarySource !== file) {
      // Another producer already owns this id (e.g. a 0.1 folder named like a v1 run that exists
      // only in the rolling file): keep the two apart rather than mixing their events.
      runId = `${runId}@${this.rel(file)}`;
      renamed = true;
      existing = this.builder.getRun(runId);
    }
    if (existing && existing.primarySource !== file && !existing.sources.includes(file)) existing.sources.push(file);
    return { runId, renamed };
  }

  /**
   * Keep one source within `maxEventsPerSource` (after each read of it, never per event): its runs
   * (those it is the primary source of) are summarised oldest first; a run that may still be
   * written (no end yet, its file changed within the live window) goes last.
   */
  private capSource(st: SourceState): void {
    const cap = this.opts.maxEventsPerSource;
    if (!cap || cap <= 0 || st.runIds.size < 2) return;
    const now = this.now();
    const window = this.opts.liveWindowMs ?? DEFAULT_LIVE_WINDOW_MS;
    this.builder.capSource(st.runIds, st.src.file, (run) => {
      if (run.ended !== undefined) return false;
      const mtime = this.mtimeOf(run);
      return mtime !== undefined && now - mtime <= window;
    });
  }

  private afterAdd(st: SourceState, runId: string, run: Run): void {
    st.runIds.add(runId);
    if (st.src.kind === 'trace-run' && this.rollingCounts.has(runId) && run.primarySource === st.src.file) this.dupDirty.add(runId);
  }

  /**
   * After a one-shot (final) read up to `size`: when the file is larger now, say so as the
   * source's located problem (the bytes after `size` were not read; a later refresh reads them).
   */
  private async noteGrowth(st: SourceState, size: number): Promise<void> {
    let now: number | undefined;
    try {
      now = (await fs.promises.stat(st.src.file)).size;
    } catch {
      now = undefined;
    }
    if (now !== undefined && now > size) {
      const n = now - size;
      st.error = `file grew while being read; ${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'} appended after the read started (at ${size.toLocaleString('en-US')} bytes) not read`;
    }
  }

  /**
   * Read a large JSONL source from the start with the parallel index: worker threads parse byte
   * ranges into compact records, merged here in file order a batch at a time (yielding between
   * batches, so the extension host is never blocked for long). The tail then continues from
   * where the index stopped.
   */
  private async indexSource(st: SourceState, size: number, final: boolean): Promise<void> {
    const tail = st.tail as JsonlTail;
    const file = st.src.file;
    const idx = this.opts.index || {};
    st.store?.close();
    const store = openFileEvents(file);
    st.store = store;
    const malformed: Malformed[] = [];
    let warnings = 0;
    let count = 0;
    const fallback = defaultDialect(st.src.kind);
    const tagCache = this.tagSets;
    const corrCache = new Map<string, Record<string, unknown>>();
    // The number fields start as a small integer, then undefined: their representation is
    // "tagged" from the start. Otherwise optimised code for the loop below, which had seen only
    // heap numbers stored there, deopts on the first integral duration (a small integer read from
    // a Float64Array), and V8 re-optimised and deopted it hundreds of times per 1M lines (~3 s of
    // background compile CPU on top of the index).
    const fields: EventFields & { tags: string[] } = { dialect: 'flowscribe-v1', type: '', tags: [], ts: 0, durationMs: 0 };
    fields.ts = undefined;
    fields.durationMs = undefined;
    const noTags: string[] = [];
    // Per batch: tag sets and correlations by the batch's string id (an array index, not a hash).
    let tablesOf: readonly string[] | undefined;
    let tagById: ({ tags: string[]; id: number } | undefined)[] = [];
    let corrById: (Record<string, unknown> | undefined)[] = [];
    /** Raw records of the current batch merged so far. */
    let rawAt = 0;
    /**
     * Merge records `[from, n)` of a batch until `deadline` (performance.now()); returns where it
     * stopped. Synchronous and free of `await`, so the hot loop is optimised as one function.
     */
    const mergeSlice = (b: ScanBatch, strings: readonly string[], lineBase: number, from: number, deadline: number): number => {
      const { n, kind, line: lines, offset: offsets, len, type, run, flow, flowId, parent, failureClass, sev, ts: tss, dur, tags, corr, raws } = b;
      let raw = rawAt;
      let i = from;
      for (; i < n; i++) {
        if ((i & 1023) === 1023 && performance.now() > deadline) break;
        const line = lineBase + lines[i];
        const offset = offsets[i];
        count++;
        if (kind[i] !== KIND_LIGHT) {
          const obj = raws[raw++];
          const detected = detectDialect(obj);
          const dialect = detected ?? st.dialect ?? fallback;
          if (st.dialect === undefined && detected !== undefined) st.dialect = dialect;
          this.lastRoute = undefined;
          this.route(st, normalizeEvent(obj, dialect, { file, line, offset }));
          continue;
        }
        if (st.dialect === undefined) st.dialect = 'flowscribe-v1';
        const ref = store.add(offset, len[i], line);
        fields.type = strings[type[i]];
        const r = run[i];
        fields.runId = r < 0 ? undefined : strings[r];
        const f = flow[i];
        fields.flow = f < 0 ? undefined : strings[f];
        const fi = flowId[i];
        fields.flowId = fi < 0 ? undefined : strings[fi];
        const p = parent[i];
        fields.parentFlowId = p < 0 ? undefined : strings[p];
        const fc = failureClass[i];
        fields.failureClass = fc < 0 ? undefined : strings[fc];
        fields.severity = severityOf(sev[i]);
        const ts = tss[i];
        fields.ts = ts === ts ? ts : undefined;
        const d = dur[i];
        fields.durationMs = d === d ? d : undefined;
        const tk = tags[i];
        if (tk < 0) {
          fields.tags = noTags;
          fields.tagsKey = undefined;
        } else {
          let t = tagById[tk];
          if (t === undefined) {
            const key = strings[tk];
            t = tagCache.get(key);
            if (!t) tagCache.set(key, (t = { tags: key.split('\u0001'), id: tagCache.size }));
            tagById[tk] = t;
          }
          fields.tags = t.tags;
          fields.tagsKey = t.id;
        }
        const ck = corr[i];
        if (ck < 0) fields.correlation = undefined;
        else {
          let c = corrById[ck];
          if (c === undefined) {
            const key = strings[ck];
            c = corrCache.get(key);
            if (!c) corrCache.set(key, (c = JSON.parse(key) as Record<string, unknown>));
            corrById[ck] = c;
          }
          fields.correlation = c;
        }
        this.routeIndexed(st, fields, ref, store);
      }
      rawAt = raw;
      return i;
    };
    const onBatch = async (b: ScanBatch, strings: readonly string[], lineBase: number): Promise<void> => {
      if (store.size === 0 && b.n > 0) {
        // Size the records from the first batch's average line length (+10%).
        const bytes = b.offset[b.n - 1] + b.len[b.n - 1] - b.offset[0] + 1;
        store.reserve(Math.ceil((size / Math.max(1, bytes / b.n)) * 1.1));
      }
      if (strings !== tablesOf) {
        tablesOf = strings;
        tagById = [];
        corrById = [];
      }
      rawAt = 0;
      for (let i = 0; i < b.n; ) {
        // Keep the extension host responsive: never hold the thread for long while merging.
        i = mergeSlice(b, strings, lineBase, i, performance.now() + INDEX_SLICE_MS);
        if (i < b.n) await new Promise<void>((r) => setImmediate(r));
      }
      for (const m of b.malformed) malformed.push({ file, line: lineBase + m.line, reason: m.reason });
      warnings += b.warnings.length;
    };
    this.lastRoute = undefined;
    let sum: { lines: number; end: number };
    try {
      sum = await indexFileParallel({
        file, size, final, workers: idx.workers, workerScript: idx.workerScript, onProgress: idx.onProgress, signal: this.signal, onBatch,
      });
    } finally {
      this.lastRoute = undefined;
    }
    tail.resumeAt(sum.end, sum.lines);
    st.pending = size - sum.end;
    st.error = undefined;
    st.warnings += warnings;
    st.events += count;
    if (malformed.length > 0) {
      st.malformedCount += malformed.length;
      const room = MAX_MALFORMED_PER_SOURCE - st.malformed.length;
      const kept = room > 0 ? malformed.slice(0, room) : [];
      st.malformed.push(...kept);
      const owner = this.sourceRunId(st);
      if (owner !== undefined) for (const m of kept) this.builder.addMalformed(owner, m);
    }
  }

  private noteDuplicate(runId: string): void {
    const run = this.builder.getRun(runId);
    const c = this.rollingCounts.get(runId);
    if (!run || !c) return;
    if (!run.sources.includes(c.file)) run.sources.push(c.file);
    const prefix = `also in ${this.rel(c.file)} `;
    const text = `${prefix}(${c.count} line${c.count === 1 ? '' : 's'}); showing ${this.rel(run.primarySource)}`;
    const i = run.notes.findIndex((n) => n.startsWith(prefix));
    if (i >= 0) {
      if (run.notes[i] === text) return;
      run.notes[i] = text;
    } else run.notes.push(text);
    this.builder.touch(runId);
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
      for (const other of this.states.values()) {
        if (other === st || other.folderRunId !== name) continue;
        taken = true;
        break;
      }
    }
    const existing = this.builder.getRun(name);
    if (existing && existing.primarySource !== st.src.file) taken = true;
    st.folderRunId = taken ? this.rel(dir) || name : name;
    return st.folderRunId;
  }

  private mtimeOf(run: Run): number | undefined {
    const st = this.states.get(run.primarySource);
    if (!st) return undefined;
    if (st.src.kind === 'trace-rolling' && this.rollingLast.get(st.src.file) !== run.id) return undefined;
    return st.mtime;
  }

  private summaryFor(run: Run): string | undefined {
    if (run.dialect !== 'flowscribe-0.1') return undefined;
    const file = path.join(path.dirname(run.primarySource), 'summary.md');
    return this.states.get(file)?.src.kind === 'summary-md' ? file : undefined;
  }

  /** Name 0.1 flows from summary.md (§1a) for runs that changed or whose summary changed. */
  private recoverNames(discovered: DiscoveredSource[]): void {
    const summaries = new Map<string, DiscoveredSource>();
    for (const s of discovered) if (s.kind === 'summary-md') summaries.set(path.dirname(s.file), s);
    const changedRuns = this.builder.peekChangedRuns();
    for (const run of this.builder.runs()) {
      if (run.dialect !== 'flowscribe-0.1') continue;
      const summary = summaries.get(path.dirname(run.primarySource));
      let mtime: number | undefined;
      if (summary) {
        try {
          mtime = fs.statSync(summary.file).mtimeMs;
        } catch {
          mtime = undefined;
        }
      }
      const key = run.id;
      const changed = changedRuns.has(run.id) || this.summaryMtimes.get(key) !== mtime || !this.summaryMtimes.has(key);
      if (!changed) continue;
      this.summaryMtimes.set(key, mtime);
      this.nameFlows(run, summary?.file);
    }
  }

  private nameFlows(run: Run, summaryFile: string | undefined): void {
    const prefix = 'flow names: ';
    let text: string;
    if (!summaryFile) {
      text = `${prefix}no summary.md (the run crashed or is still running); flows shown by short id`;
    } else {
      // The ingress policy: a regular file inside the workspace, at most the summary cap.
      const read = readText(summaryFile, { root: this.root, kind: 'summary' });
      const md = read.ok ? read.text : '';
      if (!read.ok && read.problem.reason !== 'missing') {
        const note = `summary.md ${read.problem.message.slice(read.problem.file.length + 2)}`;
        if (!run.notes.includes(note)) run.notes.push(note);
      }
      const parsed = parseSummaryMd(md);
      if (parsed.app && !run.app) run.app = parsed.app;
      const flows = [...run.flows.values()].map((f) => ({ id: f.id, events: f.events.map((e) => ({ type: e.type, step: e.step })) }));
      const r = recoverFlowNames(flows, parsed.flows);
      this.builder.setFlowNames(run.id, r.names);
      const named = flows.length - r.unmatched.length;
      text =
        r.unmatched.length === 0
          ? `${prefix}recovered from summary.md (${named} of ${flows.length})`
          : `${prefix}recovered from summary.md for ${named} of ${flows.length}; ${r.unmatched.length} not found there, shown by short id`;
    }
    const i = run.notes.findIndex((n) => n.startsWith(prefix));
    if (i >= 0) {
      if (run.notes[i] === text) return;
      run.notes[i] = text;
    } else run.notes.push(text);
    this.builder.touch(run.id);
  }
}

function defaultDialect(kind: SourceKind): Dialect {
  switch (kind) {
    case 'trace-rolling':
    case 'trace-run':
      return 'flowscribe-v1';
    case 'queue':
      return 'envelope';
    case 'esper':
      return 'esper';
    default:
      return 'generic';
  }
}
