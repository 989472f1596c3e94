import * as vscode from 'vscode';
import { disposeAll } from './lifecycle';
import type { TraceServices } from './services';

/**
 * What to watch under each workspace folder: trace files, run folders, `latest`, the YAML
 * catalogs and SQLite stores with their -wal/-journal files (formats.md §1–§6).
 */
export const WATCH_GLOB =
  '**/{*.jsonl,latest,ra.yaml,flows.yaml,summary.md,*.db,*.db-wal,*.db-journal,*.sqlite,*.sqlite-wal,*.sqlite3,*.sqlite3-wal,runs/*,telemetry_*}';

const DEBOUNCE_MS = 300;
/** How often a folder with a running run is re-read with no file event (running → crashed). */
const LIVE_TICK_MS = 30_000;

/**
 * One RelativePattern watcher per workspace folder (docs/style.md habit 10); create, change and
 * delete feed one debounced `refresh()` of that folder's TraceWorkspace.
 */
export class TraceWatcher implements vscode.Disposable {
  private watchers: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly sub: vscode.Disposable;

  private readonly tick: NodeJS.Timeout;

  constructor(private readonly services: TraceServices) {
    this.sub = vscode.workspace.onDidChangeWorkspaceFolders(() => this.rewatch());
    this.rewatch();
    // A run that stops writing without session_end turns from running to crashed once the live
    // window passes: no file event announces that, so folders with a running run are re-read.
    this.tick = setInterval(() => {
      for (const [key, ws] of services.workspaces) if (ws.runs().some(r => r.status === 'running')) this.schedule(key);
    }, LIVE_TICK_MS);
  }

  private rewatch(): void {
    disposeAll(this.watchers);
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const key = folder.uri.toString();
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, WATCH_GLOB));
      const poke = () => this.schedule(key);
      this.watchers.push(w, w.onDidCreate(poke), w.onDidChange(poke), w.onDidDelete(poke));
    }
  }

  /** Debounced; a change that arrives during a refresh triggers one more afterwards. */
  schedule(folderKey: string): void {
    clearTimeout(this.timers.get(folderKey));
    this.timers.set(folderKey, setTimeout(() => {
      this.timers.delete(folderKey);
      if (this.running.has(folderKey)) { this.again.add(folderKey); return; }
      const p = this.services.refresh(folderKey).finally(() => {
        this.running.delete(folderKey);
        if (this.again.delete(folderKey)) this.schedule(folderKey);
      });
      this.running.set(folderKey, p);
    }, DEBOUNCE_MS));
  }

  dispose(): void {
    clearInterval(this.tick);
    this.sub.dispose();
    disposeAll(this.watchers);
    for (const t of this.timers.values()) clearTimeout(t);
  }
}
