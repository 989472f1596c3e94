/** The Telemetry view: one node per Grain/Assay queue and per SQLite store of each folder, expanding to its rollups (the panels of src/core/render/telemetry.ts, the same the dashboard draws). */
import * as vscode from 'vscode';
import type { StorePanel } from '../../core/render/dashboardTypes';
import { telemetryPanels } from '../../core/render/telemetry';
import { forLabel, forMarkdown } from '../../core/render/egress/surfaces';
import type { Redactor } from '../../core/render/egress/redact';
import { CONTEXT } from '../constants';
import { Disposable } from '../lifecycle';
import { redactorFor } from '../redaction';
import type { TraceServices } from '../services';
import { safeMarkdown } from '../ui';
import { workspaceStores } from './workspaceStores';

/** A node of the Telemetry view: plain records, labels made by getTreeItem. */
export type TelemetryNode =
  | { kind: 'folder'; id: string; folderKey: string }
  | { kind: 'panel'; id: string; folderKey: string; panel: StorePanel }
  | { kind: 'stat'; id: string; folderKey: string; label: string; value: string | number }
  | { kind: 'problem'; id: string; folderKey: string; text: string }
  | { kind: 'table'; id: string; folderKey: string; table: StorePanel['tables'][number] }
  | { kind: 'row'; id: string; folderKey: string; columns: string[]; row: (string | number)[] };

/** Rows listed per table before "… N more" (the dashboard shows 50). */
export const TABLE_ROWS = 50;

/** `.grain/telemetry_queue.jsonl` 192 events · Grain queue */
function panelDescription(p: StorePanel): string {
  const queue = p.kind.endsWith(' queue');
  const n = `${p.rows} ${queue ? (p.rows === 1 ? 'event' : 'events') : p.rows === 1 ? 'row' : 'rows'}`;
  return `${p.kind} · ${n}${p.problems.length ? ` · ${p.problems.length} problem${p.problems.length === 1 ? '' : 's'}` : ''}`;
}

function cell(v: string | number): string {
  return typeof v === 'number' ? String(v) : v;
}

/**
 * Telemetry of every folder: the queues (envelope events of `TraceWorkspace.envelopes`, one panel
 * per file) and the stores (workspaceStores.ts), as panels of src/core/render/telemetry.ts.
 * Sets {@link CONTEXT.hasTelemetry} (the view's `when` and the Runs view's welcome).
 */
export class TelemetryProvider extends Disposable implements vscode.TreeDataProvider<TelemetryNode> {
  private readonly emitter = this._register(new vscode.EventEmitter<TelemetryNode | undefined>());
  readonly onDidChangeTreeData = this.emitter.event;
  /** Panels per folder key, recomputed on every change (queue rollups are cheap; stores are cached). */
  private panels = new Map<string, StorePanel[]>();
  private computing: Promise<void> | undefined;
  /** The value last given to the {@link CONTEXT.hasTelemetry} context key (tests read it). */
  hasTelemetry = false;
  private again = false;

  constructor(private readonly services: TraceServices) {
    super();
    // Runs changing leave telemetry alone; a (re)load of a folder is structural.
    this._register(services.onDidChange((c) => { if (c.structural) void this.update(); }));
    if (services.onDidChangeTelemetry) this._register(services.onDidChangeTelemetry(() => void this.update()));
    void this.update();
  }

  /** Recompute the panels of every folder (coalesced: one computation at a time, one more after it). */
  update(): Promise<void> {
    if (this.computing) {
      this.again = true;
      return this.computing;
    }
    this.computing = (async () => {
      do {
        this.again = false;
        const next = new Map<string, StorePanel[]>();
        for (const [key, ws] of this.services.workspaces) {
          const stores = await workspaceStores(this.services, key, ws);
          const queues = ws.sources().filter((s) => s.kind === 'queue').map((s) => ({ file: s.file, malformed: s.malformed, error: s.error }));
          const panels = telemetryPanels(ws.envelopes, stores, { root: ws.root, queues, redactor: this.redactor(key) });
          if (panels.length) next.set(key, panels);
        }
        this.panels = next;
        this.hasTelemetry = next.size > 0;
        void vscode.commands.executeCommand('setContext', CONTEXT.hasTelemetry, this.hasTelemetry);
        this.emitter.fire(undefined);
      } while (this.again);
    })().finally(() => (this.computing = undefined));
    return this.computing;
  }

  /** Every panel shown, by folder key (tests read it). */
  allPanels(): ReadonlyMap<string, readonly StorePanel[]> {
    return this.panels;
  }

  private redactor(folderKey: string): Redactor {
    return redactorFor(this.services.workspaces.get(folderKey)?.catalog);
  }

  getChildren(node?: TelemetryNode): TelemetryNode[] {
    if (!node) {
      if (this.panels.size > 1) return [...this.panels.keys()].map((folderKey) => ({ kind: 'folder', id: `f:${folderKey}`, folderKey }));
      const [key] = [...this.panels.keys()];
      return key ? this.panelNodes(key) : [];
    }
    switch (node.kind) {
      case 'folder':
        return this.panelNodes(node.folderKey);
      case 'panel': {
        const p = node.panel;
        const base = node.id;
        return [
          ...p.problems.map((text, i): TelemetryNode => ({ kind: 'problem', id: `${base}/p${i}`, folderKey: node.folderKey, text })),
          ...p.stats.map((s, i): TelemetryNode => ({ kind: 'stat', id: `${base}/s${i}`, folderKey: node.folderKey, label: s.label, value: s.value })),
          ...p.tables.map((t, i): TelemetryNode => ({ kind: 'table', id: `${base}/t${i}`, folderKey: node.folderKey, table: t })),
        ];
      }
      case 'table': {
        const rows = node.table.rows.slice(0, TABLE_ROWS).map((row, i): TelemetryNode => ({ kind: 'row', id: `${node.id}/r${i}`, folderKey: node.folderKey, columns: node.table.columns, row }));
        const more = node.table.rows.length - TABLE_ROWS;
        if (more > 0) rows.push({ kind: 'stat', id: `${node.id}/more`, folderKey: node.folderKey, label: `… ${more} more`, value: 'open the dashboard for all' });
        return rows;
      }
      default:
        return [];
    }
  }

  private panelNodes(folderKey: string): TelemetryNode[] {
    return (this.panels.get(folderKey) ?? []).map((panel) => ({ kind: 'panel', id: `${folderKey}#${panel.path}`, folderKey, panel }));
  }

  getTreeItem(node: TelemetryNode): vscode.TreeItem {
    const red = this.redactor(node.folderKey);
    const C = vscode.TreeItemCollapsibleState;
    switch (node.kind) {
      case 'folder': {
        const name = this.services.folder(node.folderKey)?.name ?? node.folderKey;
        const item = new vscode.TreeItem(forLabel(name, red), C.Expanded);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('root-folder');
        return item;
      }
      case 'panel': {
        const p = node.panel;
        const item = new vscode.TreeItem(forLabel(p.name, red), C.Collapsed);
        item.id = node.id;
        item.description = forLabel(panelDescription(p), red);
        item.iconPath = new vscode.ThemeIcon(p.problems.length ? 'warning' : p.kind.endsWith(' queue') ? 'pulse' : 'database');
        item.contextValue = p.kind.endsWith(' queue') ? 'telemetry.queue' : 'telemetry.store';
        const md = safeMarkdown();
        md.appendMarkdown(`**${forMarkdown(p.name, red)}** — ${forMarkdown(panelDescription(p), red)}\n\n`);
        md.appendMarkdown(`${forMarkdown(p.path, red)}\n\n`);
        for (const s of p.stats) md.appendMarkdown(`- ${forMarkdown(s.label, red)}: ${forMarkdown(cell(s.value), red)}\n`);
        for (const x of p.problems) md.appendMarkdown(`\n⚠ ${forMarkdown(x, red)}\n`);
        item.tooltip = md;
        return item;
      }
      case 'stat': {
        const item = new vscode.TreeItem(forLabel(node.label, red), C.None);
        item.id = node.id;
        item.description = forLabel(cell(node.value), red);
        return item;
      }
      case 'problem': {
        const item = new vscode.TreeItem(forLabel(node.text, red), C.None);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('warning');
        const md = safeMarkdown();
        md.appendMarkdown(forMarkdown(node.text, red));
        item.tooltip = md;
        return item;
      }
      case 'table': {
        const t = node.table;
        const item = new vscode.TreeItem(forLabel(t.title, red), C.Collapsed);
        item.id = node.id;
        item.description = `${t.rows.length}`;
        item.iconPath = new vscode.ThemeIcon('list-unordered');
        return item;
      }
      case 'row': {
        const [first, ...rest] = node.row;
        const item = new vscode.TreeItem(forLabel(cell(first ?? ''), red), C.None);
        item.id = node.id;
        // Two columns (key, count): the count; more: "closes 3 · tasks done 12 · …".
        item.description = forLabel(node.columns.length === 2 ? cell(rest[0] ?? '') : rest.map((v, i) => `${node.columns[i + 1]} ${cell(v)}`).join(' · '), red);
        const md = safeMarkdown();
        node.row.forEach((v, i) => md.appendMarkdown(`- ${forMarkdown(node.columns[i] ?? '', red)}: ${forMarkdown(cell(v), red)}\n`));
        item.tooltip = md;
        return item;
      }
    }
  }
}
