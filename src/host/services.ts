// The services every feature shares: one TraceWorkspace per folder, refresh by changed file, the change event, run lookup and the problem log.
import { sqliteReaders } from '../core/read/sqlite/readers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Run } from '../core/model/types';
import { selectRun } from '../core/analyze/queries';
import { TraceWorkspace, type FileChange, type WorkspaceChange, type WorkspaceIndexProgress, type WorkspaceOptions } from '../core/read/workspace';
import { affects, readConfig, RELOAD_KEYS } from './config';
import { CONTEXT, STATE_LOCATED_PREFIXES } from './constants';
import { forNotification } from '../core/render/egress/surfaces';
import { realInside } from '../core/read/ingress/safeFile';
import { Disposable } from './lifecycle';
import type { FlowlensLog } from './log';

/** A run together with the workspace folder it was read from. */
export interface RunRef {
  folderKey: string;
  run: Run;
}

/** What changed after a refresh; `structural` means runs were added or removed. */
export interface FlowlensChange {
  folderKey: string;
  runIds: string[];
  structural: boolean;
}

/** What a file path from a trace resolved to. */
export interface Resolved {
  uri?: vscode.Uri;
  tried: string[];
  /** The local path came from a Locate… answer (a file the user picked). */
  located?: boolean;
  /**
   * The real path of `uri` lies inside a workspace folder. Diagnostics, decorations and CodeLens
   * appear only on such files; opening any other asks first (open.ts).
   */
  inside?: boolean;
}

/**
 * The small surface other features (AI, dashboard) use: one TraceWorkspace per workspace folder,
 * an event after every (re)load or live refresh, and helpers over the newest run.
 */
export interface FlowlensServices {
  readonly workspaces: ReadonlyMap<string, TraceWorkspace>;
  readonly onDidChange: vscode.Event<FlowlensChange>;
  /** Settles when the first background load is done. */
  readonly ready: Promise<void>;
  readonly loading: boolean;
  folder(folderKey: string): vscode.WorkspaceFolder | undefined;
  /** All runs, newest first; grouped by folder order when there are several folders. */
  allRuns(): RunRef[];
  /** The newest run of one folder, or across all folders. */
  latestRun(folderKey?: string): RunRef | undefined;
  /** A run by the one selector grammar (analyze/queries.ts `selectRun`): id, `latest`, `previous`, `@N`, unique prefix. */
  findRun(runId: string, folderKey?: string): RunRef | undefined;
  /** Maps a trace's file path onto this machine (Locate… answers, settings, then suffix match). */
  resolveFile(folderKey: string, file: string): Resolved;
  /**
   * Re-read a folder (or every folder). `changed` = the file events a watcher saw (watch.ts):
   * known files are tailed without walking the folder; without it the folder is walked again.
   */
  refresh(folderKey?: string, changed?: readonly FileChange[]): Promise<void>;
  /** The Flowlens log (Output → Flowlens), where errors of Flowlens itself are written. */
  readonly log?: FlowlensLog;
  /**
   * A folder's telemetry changed without a run changing (Grain/Assay queue lines appended, a
   * source appeared or went): its folder key. The Telemetry view and the dashboard listen.
   */
  readonly onDidChangeTelemetry?: vscode.Event<string>;
}

/** A trace file at least this big gets a progress notification (with Cancel) while it is indexed. */
export const NOTIFY_INDEX_BYTES = 32 * 1024 * 1024;

/** Owns the TraceWorkspaces: creates them per folder, loads in the background, refreshes on demand. */
export class TraceServices extends Disposable implements FlowlensServices {
  private readonly map = new Map<string, TraceWorkspace>();
  private readonly folders = new Map<string, vscode.WorkspaceFolder>();
  private readonly emitter = this._register(new vscode.EventEmitter<FlowlensChange>());
  private readonly telemetryEmitter = this._register(new vscode.EventEmitter<string>());
  readonly onDidChangeTelemetry = this.telemetryEmitter.event;
  private pending = 0;
  /** Resolutions by folder + trace path; few distinct paths, looked up per flow and event. */
  private readonly resolved = new Map<string, Resolved>();
  private generation = 0;
  /** Cancels a folder's load (the Cancel button of the indexing notification). */
  private readonly aborts = new Map<string, AbortController>();
  /** Folders whose indexing was cancelled: shown as read so far, not refreshed until a reload. */
  private readonly stoppedKeys = new Set<string>();
  /** Open indexing notifications by folder + file. */
  private readonly notes = new Map<string, { folderKey: string; pct: number; report?: vscode.Progress<{ message?: string; increment?: number }>; end?: () => void }>();
  private readyResolve!: () => void;
  /** The current generation's loads (see {@link settled}). */
  private loads: Promise<unknown> = Promise.resolve();
  readonly onDidChange = this.emitter.event;
  readonly ready = new Promise<void>(r => (this.readyResolve = r));

  /**
   * `log` (Output → Flowlens) receives every problem of a folder after each load and refresh
   * (src/host/log.ts); the Runs view and status bar show its count.
   */
  constructor(private readonly context: vscode.ExtensionContext, readonly log?: FlowlensLog) {
    super();
    this._register(
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.reload()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.reload()),
      vscode.workspace.onDidChangeConfiguration(e => { if (affects(e, RELOAD_KEYS)) this.reload(); }),
    );
  }

  get workspaces(): ReadonlyMap<string, TraceWorkspace> { return this.map; }
  get loading(): boolean { return this.pending > 0; }

  folder(folderKey: string): vscode.WorkspaceFolder | undefined { return this.folders.get(folderKey); }

  /** Where the cold index of a large trace is kept (extension storage; index/persist.ts); the in-host test reads it. */
  get indexCacheDir(): string | undefined {
    return this.context.globalStorageUri ? path.join(this.context.globalStorageUri.fsPath, 'index-cache') : undefined;
  }

  /** (Re)creates one TraceWorkspace per folder and loads them in the background. */
  reload(): void {
    const gen = ++this.generation;
    this.resolved.clear();
    const old = [...this.map.keys()];
    // The replaced workspaces' background work (secret-hint passes) stops: their models go away.
    for (const ws of this.map.values()) ws.dispose();
    this.map.clear();
    this.folders.clear();
    for (const key of old) this.emitter.fire({ folderKey: key, runIds: [], structural: true });
    const folders = vscode.workspace.workspaceFolders ?? [];
    const loads: Promise<void>[] = [];
    for (const c of this.aborts.values()) c.abort();
    this.aborts.clear();
    this.stoppedKeys.clear();
    void vscode.commands.executeCommand('setContext', CONTEXT.indexStopped, false);
    for (const key of [...this.notes.keys()]) this.endNote(key);
    this.log?.retain(folders.map(f => f.uri.toString()));
    for (const f of folders) {
      if (f.uri.scheme !== 'file') continue;
      const key = f.uri.toString();
      const ws = new TraceWorkspace(f.uri.fsPath, this.options(f, key));
      const abort = new AbortController();
      this.aborts.set(key, abort);
      this.map.set(key, ws);
      this.folders.set(key, f);
      const settle = (): void => {
        if (this.aborts.get(key) === abort) this.aborts.delete(key);
        for (const [id, n] of this.notes) if (n.folderKey === key) this.endNote(id);
      };
      loads.push(this.track(ws.load({ signal: abort.signal })).then(
        () => {
          settle();
          if (gen !== this.generation) return;
          this.log?.report(key, f.name, ws);
          this.emitter.fire({ folderKey: key, runIds: [], structural: true });
        },
        err => {
          settle();
          if (gen !== this.generation) return;
          if (err instanceof Error && err.name === 'AbortError') {
            this.log?.report(key, f.name, ws);
            // Keep what was read; stop refreshing this folder until the user asks for a reload.
            this.stoppedKeys.add(key);
            this.updateContext();
            this.emitter.fire({ folderKey: key, runIds: [], structural: true });
            const what = ws.runs().length > 0 ? 'showing what was read so far' : 'no run was read yet';
            void vscode.window.showInformationMessage(
              `Flowlens stopped indexing ${forNotification(f.name)}: ${what}. Run "Flowlens: Refresh Traces" to read everything.`,
              'Read Everything',
            ).then(a => { if (a && this.stoppedKeys.has(key)) this.reload(); });
          } else {
            this.log?.failed(f.name, err);
            this.log?.report(key, f.name, ws);
          }
        }));
    }
    this.loads = Promise.allSettled(loads);
    void Promise.all(loads).then(() => { if (gen === this.generation) this.readyResolve(); });
    if (!loads.length) { this.readyResolve(); this.updateContext(); }
  }

  /**
   * Settles when the loads under way are done (at once when none is): a reload started meanwhile
   * is waited for too. For actions on a run that may be between reload and load (reveal).
   */
  async settled(): Promise<void> {
    for (let seen: Promise<unknown> | undefined; seen !== this.loads; ) {
      seen = this.loads;
      await seen;
    }
  }

  /** Folders whose indexing was cancelled (see {@link cancelIndexing}). */
  get stopped(): ReadonlySet<string> { return this.stoppedKeys; }

  /** Stop indexing a folder (or every folder): what was read so far stays visible. */
  cancelIndexing(folderKey?: string): void {
    for (const [key, c] of this.aborts) if (!folderKey || key === folderKey) c.abort();
  }

  private onIndexProgress(folderKey: string, folder: vscode.WorkspaceFolder, p: WorkspaceIndexProgress): void {
    // Several large files in one pass (many big run folders): one notification over all of them.
    const many = p.files > 1;
    const done = many ? p.allBytesDone : p.bytesDone;
    const total = many ? p.allBytesTotal : p.bytesTotal;
    if (total < NOTIFY_INDEX_BYTES) return;
    const id = `${folderKey}\u0000${many ? '*' : p.file}`;
    let n = this.notes.get(id);
    if (!n) {
      if (done >= total) return;
      const note: { folderKey: string; pct: number; report?: vscode.Progress<{ message?: string; increment?: number }>; end?: () => void } = { folderKey, pct: 0 };
      n = note;
      this.notes.set(id, note);
      const rel = path.relative(folder.uri.fsPath, p.file) || path.basename(p.file);
      const mb = (total / 1024 / 1024).toFixed(0);
      const what = many ? `${p.files} trace files in ${forNotification(folder.name)}` : forNotification(rel);
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Flowlens: indexing ${what} (${mb} MB)`, cancellable: true },
        (progress, token) => {
          note.report = progress;
          token.onCancellationRequested(() => this.cancelIndexing(folderKey));
          return new Promise<void>(res => {
            if (!this.notes.has(id)) res();
            else note.end = res;
          });
        });
    }
    const pct = Math.min(100, Math.floor((done / total) * 100));
    if (pct > n.pct) {
      n.report?.report({ increment: pct - n.pct, message: many ? `${pct}% (${p.filesDone} of ${p.files} files)` : `${pct}%` });
      n.pct = pct;
    }
    if (done >= total) this.endNote(id);
  }

  private endNote(id: string): void {
    const n = this.notes.get(id);
    if (!n) return;
    this.notes.delete(id);
    n.end?.();
  }

  private options(f: vscode.WorkspaceFolder, key: string): WorkspaceOptions {
    const c = readConfig(f);
    return {
      // Big traces: a progress notification with Cancel (the status bar shows "reading traces").
      index: { onProgress: p => this.onIndexProgress(key, f, p), backgroundHints: true },
      // Their cold index is kept in extension storage (never in the workspace; Restricted Mode
      // too: docs/security.md), so the next window opens them from it (index/persist.ts).
      indexCache: this.indexCacheDir ? { dir: this.indexCacheDir, log: m => this.log?.note(m) } : undefined,
      extraGlobs: [...c.traceGlobs, ...c.extraStores],
      pathMappings: c.pathMappings,
      liveWindowMs: c.liveWindowMinutes * 60_000,
      maxEventsPerSource: c.maxEventsPerSource,
      maxRunFolders: Number.isFinite(c.maxRunFolders) ? Math.max(1, Math.floor(c.maxRunFolders)) : undefined,
      // trace.db run folders and workspace stores, read with sql.js (issue 3).
      readers: sqliteReaders({ memoryCapBytes: c['sqlite.memoryCapMB'] * 1024 * 1024, mappings: c['sqlite.mappings'], root: f.uri.fsPath }),
    };
  }

  /** Counts in-flight loads so the status bar and welcome views can show "loading". */
  private track<T>(p: Promise<T>): Promise<T> {
    this.pending++;
    this.updateContext();
    const done = () => { this.pending--; this.updateContext(); };
    if (this.pending === 1) {
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Flowlens: reading traces' },
        () => this.ready);
    }
    return p.then(v => { done(); return v; }, e => { done(); throw e; });
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', CONTEXT.loading, this.loading);
    void vscode.commands.executeCommand('setContext', CONTEXT.hasTraces, this.allRuns().length > 0);
    void vscode.commands.executeCommand('setContext', CONTEXT.indexStopped, this.stoppedKeys.size > 0);
  }

  async refresh(folderKey?: string, changed?: readonly FileChange[]): Promise<void> {
    const keys = folderKey ? [folderKey] : [...this.map.keys()];
    await Promise.all(keys.map(async key => {
      const ws = this.map.get(key);
      // A folder whose indexing was cancelled is not re-read behind the user's back.
      if (!ws || this.stoppedKeys.has(key)) return;
      const gen = this.generation;
      let raw: WorkspaceChange;
      try {
        raw = await ws.refresh({ changed: folderKey ? changed : undefined });
      } catch (err) {
        if (gen === this.generation) this.log?.failed(this.folders.get(key)?.name ?? key, err);
        return;
      }
      if (gen !== this.generation || this.map.get(key) !== ws) return;
      this.log?.report(key, this.folders.get(key)?.name ?? key, ws);
      const change = normalizeChange(key, raw);
      if (change.structural) this.resolved.clear();
      this.updateContext();
      if (change.structural || change.runIds.length) this.emitter.fire(change);
      if (raw.envelopes || raw.sources) this.telemetryEmitter.fire(key);
    }));
  }

  allRuns(): RunRef[] {
    const out: RunRef[] = [];
    for (const [folderKey, ws] of this.map) for (const run of ws.runs()) out.push({ folderKey, run });
    return out;
  }

  latestRun(folderKey?: string): RunRef | undefined {
    let best: RunRef | undefined;
    for (const [key, ws] of this.map) {
      if (folderKey && key !== folderKey) continue;
      const run = ws.latestRun();
      if (run && (!best || (run.started ?? 0) > (best.run.started ?? 0))) best = { folderKey: key, run };
    }
    return best;
  }

  /**
   * A run by the selector grammar of src/core/analyze/queries.ts (`selectRun`: a run id, `latest`,
   * `previous`, `@N` or a unique prefix), in one folder or across folders: an exact id is taken
   * from the first folder that has it; `latest` is the newest folder's latest; anything else must
   * name one run in exactly one folder.
   */
  findRun(runId: string, folderKey?: string): RunRef | undefined {
    const hits: RunRef[] = [];
    for (const [key, ws] of this.map) {
      if (folderKey && key !== folderKey) continue;
      const run = selectRun(ws.runs(), runId, { latestId: ws.latestRun()?.id });
      if (!run) continue;
      if (run.id === runId) return { folderKey: key, run };
      hits.push({ folderKey: key, run });
    }
    if (runId === 'latest' && hits.length > 1) return this.latestRun(folderKey);
    return hits.length === 1 ? hits[0] : undefined;
  }

  resolveFile(folderKey: string, file: string): Resolved {
    const key = `${folderKey}\u0000${file}`;
    let r = this.resolved.get(key);
    if (!r) {
      if (this.resolved.size > 10_000) this.resolved.clear();
      r = this.resolveUncached(folderKey, file);
      if (r.uri) r.inside = this.isInsideWorkspace(r.uri.fsPath);
      this.resolved.set(key, r);
    }
    return r;
  }

  /** True when the real path of `p` lies inside one of the workspace folders. */
  isInsideWorkspace(p: string): boolean {
    for (const f of this.folders.values()) if (realInside(f.uri.fsPath, p) !== undefined) return true;
    return false;
  }

  private resolveUncached(folderKey: string, file: string): Resolved {
    const folder = this.folders.get(folderKey);
    const tried: string[] = [];
    const located = this.context.workspaceState.get<Record<string, string>>(STATE_LOCATED_PREFIXES) ?? {};
    for (const [from, to] of Object.entries(located)) {
      if (typeof to !== 'string') continue;
      if (file.startsWith(from)) {
        const p = to + file.slice(from.length);
        tried.push(p);
        if (exists(p)) return { uri: vscode.Uri.file(p), tried, located: true };
      }
    }
    if (folder && !path.isAbsolute(file)) {
      const p = path.join(folder.uri.fsPath, file);
      tried.push(p);
      if (exists(p)) return { uri: vscode.Uri.file(p), tried };
    }
    const ws = this.map.get(folderKey);
    if (ws) {
      const r = ws.pathMap.resolve(file);
      tried.push(...r.tried.filter(t => !tried.includes(t)));
      if (r.path) return { uri: vscode.Uri.file(path.isAbsolute(r.path) || !folder ? r.path : path.join(folder.uri.fsPath, r.path)), tried };
    }
    if (path.isAbsolute(file)) {
      if (!tried.includes(file)) tried.push(file);
      if (exists(file)) return { uri: vscode.Uri.file(file), tried };
    }
    return { tried };
  }

  /** Remembers "trace prefix → local prefix" from a Locate… answer (per workspace). */
  async rememberLocated(traceFile: string, localFile: string): Promise<void> {
    const a = traceFile.split(/[\\/]/);
    const b = localFile.split(/[\\/]/);
    let n = 0;
    while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
    const from = a.slice(0, a.length - n).join('/');
    const to = b.slice(0, b.length - n).join('/');
    const located: Record<string, string> = Object.assign(Object.create(null), this.context.workspaceState.get<Record<string, string>>(STATE_LOCATED_PREFIXES) ?? {});
    located[n ? from : traceFile] = n ? to : localFile;
    await this.context.workspaceState.update(STATE_LOCATED_PREFIXES, located);
    this.resolved.clear();
  }

  override dispose(): void {
    this.generation++;
    super.dispose();
    for (const ws of this.map.values()) ws.dispose();
    this.map.clear();
  }
}

function exists(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** What the views need from a refresh: changed run ids, and whether the run list or catalog moved. */
export function normalizeChange(folderKey: string, c: WorkspaceChange): FlowlensChange {
  return {
    folderKey,
    runIds: [...new Set([...c.runs, ...c.added, ...c.removed])],
    structural: c.added.length > 0 || c.removed.length > 0 || c.catalog || c.sources,
  };
}
