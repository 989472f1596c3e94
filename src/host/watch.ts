// File watching: collects created, changed and deleted trace files per folder and hands them to services.refresh, debounced.
import * as vscode from 'vscode';
import { disposeAll } from './lifecycle';
import type { FileChange } from '../core/read/workspace';
import type { TraceServices } from './services';

/**
 * What to watch under each workspace folder: trace files, run folders, `latest`, the YAML
 * catalogs and SQLite stores with their -wal/-journal files (formats.md §1–§6), and OpenTelemetry
 * output (docs/otel.md "Reading OTLP": `*.otlp.json`, `*.ndjson`, JSON files in `otel/`-like folders).
 */
export const WATCH_GLOB =
  '**/{*.jsonl,*.otlp.json,*.ndjson,otel/*.json,otlp/*.json,.otel/*.json,opentelemetry/*.json,latest,ra.yaml,flows.yaml,summary.md,*.db,*.db-wal,*.db-journal,*.sqlite,*.sqlite-wal,*.sqlite3,*.sqlite3-wal,runs/*,telemetry_*}';

const DEBOUNCE_MS = 300;
/** How often a folder with a running run is re-read with no file event (running → crashed). */
const LIVE_TICK_MS = 30_000;

/**
 * One RelativePattern watcher per workspace folder (docs/style.md habit 10); create, change and
 * delete feed one debounced `refresh()` of that folder's TraceWorkspace, with the files that
 * changed: known files are tailed without walking the folder again; a create or delete (a new run
 * folder, a vanished source) or `.autodev/latest` walks it; ra.yaml/flows.yaml reload the catalog
 * only (src/core/read/workspace/refreshPlan.ts).
 */
export class TraceWatcher implements vscode.Disposable {
  private watchers: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  /** File events per folder not yet handed to a refresh. */
  private readonly pending = new Map<string, PendingChanges>();
  private readonly sub: vscode.Disposable;

  private readonly tick: NodeJS.Timeout;

  constructor(private readonly services: TraceServices) {
    this.sub = vscode.workspace.onDidChangeWorkspaceFolders(() => this.rewatch());
    this.rewatch();
    // A run that stops writing without session_end turns from running to crashed once the live
    // window passes: no file event announces that, so folders with a running run are refreshed
    // with no file changes (statuses are settled, nothing is read or walked).
    this.tick = setInterval(() => {
      for (const [key, ws] of services.workspaces) if (ws.runs().some(r => r.status === 'running')) this.schedule(key);
    }, LIVE_TICK_MS);
  }

  private rewatch(): void {
    disposeAll(this.watchers);
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const key = folder.uri.toString();
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, WATCH_GLOB));
      const on = (kind: FileChange['kind']) => (uri: vscode.Uri) => this.schedule(key, uri.scheme === 'file' ? { kind, file: uri.fsPath } : undefined);
      this.watchers.push(w, w.onDidCreate(on('create')), w.onDidChange(on('change')), w.onDidDelete(on('delete')));
    }
  }

  /**
   * Debounced; `change` is added to the folder's pending events (none: only settle statuses). A
   * change that arrives during a refresh triggers one more afterwards, with the events seen since.
   */
  schedule(folderKey: string, change?: FileChange): void {
    let p = this.pending.get(folderKey);
    if (!p) this.pending.set(folderKey, (p = new PendingChanges()));
    if (change) p.add(change);
    clearTimeout(this.timers.get(folderKey));
    this.timers.set(folderKey, setTimeout(() => {
      this.timers.delete(folderKey);
      if (this.running.has(folderKey)) return; // the running refresh schedules the next one
      const changes = this.pending.get(folderKey)?.take() ?? [];
      this.pending.delete(folderKey);
      const run = this.services.refresh(folderKey, changes).finally(() => {
        this.running.delete(folderKey);
        if (this.pending.has(folderKey)) this.schedule(folderKey);
      });
      this.running.set(folderKey, run);
    }, DEBOUNCE_MS));
  }

  dispose(): void {
    clearInterval(this.tick);
    this.sub.dispose();
    disposeAll(this.watchers);
    for (const t of this.timers.values()) clearTimeout(t);
  }
}

/** A folder's file events between two refreshes, one per file (a create or delete outranks a change). */
export class PendingChanges {
  private readonly byFile = new Map<string, FileChange['kind']>();

  add(c: FileChange): void {
    const had = this.byFile.get(c.file);
    if (had === undefined || had === 'change') this.byFile.set(c.file, c.kind);
    else if (had !== c.kind && c.kind !== 'change') this.byFile.set(c.file, 'delete'); // created then deleted (or back): let discovery decide
  }

  take(): FileChange[] {
    const out = [...this.byFile].map(([file, kind]) => ({ file, kind }));
    this.byFile.clear();
    return out;
  }
}
