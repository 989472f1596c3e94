// The dashboard webview panel: builds the redacted view-model (src/core/render/dashboard.ts) for the webview's queries, posts it, and runs its exports and open-location requests.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { buildDashboardModel, dashboardRedactor, privacyOptions, restoreOriginals, sanitizeModel, type DashboardInputs, type DashboardModel, type RunSelection } from '../../core/render/dashboard';
import { redactChromeTrace, toChromeTrace, toMermaid } from '../../core/render/export';
import { stripControl } from '../../core/render/egress/redact';
import { runRedactor } from '../../core/render/egress/secrets';
import { forLabel, forNotification } from '../../core/render/egress/surfaces';
import { COMMANDS } from '../commands';
import { disposeAll } from '../lifecycle';
import type { FlowlensServices } from '../services';
import { announceWritten } from '../open';
import { workspaceStores } from '../telemetry/workspaceStores';
import type { ExportOtlpResult } from '../otelExport/exportRun';
import { isDashboardQuery, isWebviewMessage, type DashboardPanelState, type DashboardQuery, type ExportFormat, type HostMessage, type SelectionMsg, type WebviewMessage } from './protocol';

/** The webview panel type (package.json `onWebviewPanel:` activation uses it). */
export const DASHBOARD_VIEW_TYPE = 'flowlens.dashboard';

/** Live updates are coalesced: at most one model per this many ms (well under a second). */
const UPDATE_DELAY_MS = 250;

function toSelection(s: SelectionMsg): RunSelection {
  switch (s.kind) {
    case 'run':
      return s.runId;
    case 'window':
      return { from: s.from, to: s.to };
    default:
      return s.kind;
  }
}

/**
 * The "Flowlens: Dashboard" webview panel: one per window. The host owns the query (selection,
 * flow filter, timeline run, diff), computes the model with `buildDashboardModel` and posts it
 * once the webview says `ready` — again after every live change of the traces.
 */
export class DashboardPanel implements vscode.Disposable {
  static current: DashboardPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  /** Sanitised string → what the trace said (see sanitizeModel), for messages from the webview. */
  private originals = new Map<string, string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private query: DashboardQuery;
  private posted = 0;
  private last: DashboardModel | undefined;

  /** Opens the dashboard, or reveals the open one. */
  static show(context: vscode.ExtensionContext, services: FlowlensServices, query?: DashboardQuery): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      if (query) DashboardPanel.current.setQuery(query);
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Flowlens: Dashboard', vscode.ViewColumn.Active, DashboardPanel.options(context));
    return new DashboardPanel(panel, context, services, query);
  }

  /** Webview options: scripts on, local resources limited to dist/media and media. */
  static options(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'media'), vscode.Uri.joinPath(context.extensionUri, 'media')],
    };
  }

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly services: FlowlensServices,
    query?: DashboardQuery,
  ) {
    DashboardPanel.current = this;
    this.query = query ?? { selection: { kind: 'latest' } };
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.svg');
    panel.webview.options = DashboardPanel.options(context);
    panel.webview.html = this.html();
    panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m), null, this.disposables);
    // retainContextWhenHidden is false: a hidden webview is discarded and says `ready` again.
    panel.onDidChangeViewState(() => {
      if (!panel.visible) this.ready = false;
    }, null, this.disposables);
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    services.onDidChange(() => this.scheduleUpdate(), null, this.disposables);
    // Queue lines appended (no run changed): the telemetry panels follow (issue 16).
    services.onDidChangeTelemetry?.(() => this.scheduleUpdate(), null, this.disposables);
  }

  /** Current query (tests read it). */
  get currentQuery(): DashboardQuery {
    return this.query;
  }

  /** Models posted to the webview so far (tests wait on it instead of on the clock). */
  get modelsPosted(): number {
    return this.posted;
  }

  /** The model last posted to the webview, as sent (the cross-surface test compares it with the CLI, trees and chat). */
  get lastModel(): DashboardModel | undefined {
    return this.last;
  }

  setQuery(q: DashboardQuery): void {
    this.query = q;
    void this.postModel();
  }

  private scheduleUpdate(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.postModel();
    }, UPDATE_DELAY_MS);
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (!isWebviewMessage(raw)) return; // never trust the shape of what a webview sends
    // Ids in the message are the sanitised ones the webview was shown: map them back.
    const m: WebviewMessage = restoreOriginals(raw, this.originals);
    switch (m.type) {
      case 'ready':
        this.ready = true;
        await this.postModel();
        break;
      case 'query':
        this.query = m.query;
        await this.postModel();
        break;
      case 'refresh':
        await this.services.refresh();
        await this.postModel();
        break;
      case 'openLocation': {
        const folderKey = this.folderKey();
        if (folderKey) await vscode.commands.executeCommand(COMMANDS.openLocation, { folderKey, file: m.file, line: m.line });
        break;
      }
      case 'export':
        await this.exportRun(m.format, m.runId);
        break;
    }
  }

  /** The folder shown: the one with the newest run, else the first. */
  private folderKey(): string | undefined {
    return this.services.latestRun()?.folderKey ?? [...this.services.workspaces.keys()][0];
  }

  private async inputs(): Promise<{ inputs: DashboardInputs; folder?: string }> {
    const key = this.folderKey();
    const ws = key ? this.services.workspaces.get(key) : undefined;
    if (!key || !ws) return { inputs: { runs: [] } };
    const cache = new Map<string, string | undefined>();
    const resolvePath = (file: string): string | undefined => {
      if (!cache.has(file)) cache.set(file, this.services.resolveFile(key, file).uri?.fsPath);
      return cache.get(file);
    };
    // The folder's stores and queues, read once for the Telemetry view and the dashboard (issue 16).
    const stores = await workspaceStores(this.services, key, ws);
    const queues = ws.sources().filter((s) => s.kind === 'queue').map((s) => ({ file: s.file, malformed: s.malformed, error: s.error }));
    return {
      inputs: { runs: ws.runs(), latestRunId: ws.latestRun()?.id, catalog: ws.catalog, resolvePath, stores, envelopes: ws.envelopes, queues, root: ws.root },
      folder: this.services.folder(key)?.name,
    };
  }

  private async postModel(): Promise<void> {
    if (!this.ready) return;
    const { inputs, folder } = await this.inputs();
    const q = this.query;
    // One redactor for the model and its sanitising: run-scoped over every run shown, ra.yaml keys.
    const red = dashboardRedactor(inputs);
    const model = buildDashboardModel({ ...inputs, redactor: red }, toSelection(q.selection), q.flowFilter, { timelineRunId: q.timelineRunId, diff: q.diff });
    const live = model.selection.runIds.some((id) => model.runs.find((r) => r.id === id)?.status === 'running');
    // The model never changes the flow filter the user asked for except when the flow is gone.
    const query: DashboardQuery = { ...q, flowFilter: model.flowFilter };
    // Trace text is untrusted: no control characters, no credentials, bounded length in the webview.
    const originals = new Map<string, string>();
    const safe = sanitizeModel({ model, query, folder }, red, originals);
    this.originals = originals;
    await this.post({ type: 'model', model: safe.model, query: safe.query, folder: safe.folder, loading: this.services.loading, live });
    this.last = safe.model;
    this.posted++;
  }

  private post(msg: HostMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(msg);
  }

  private async exportRun(format: ExportFormat, runId: string): Promise<void> {
    const key = this.folderKey();
    const ref = this.services.findRun(runId, key);
    if (!ref) {
      await this.post({ type: 'error', message: `Run ${forLabel(runId)} is no longer in the traces.` });
      return;
    }
    if (format === 'otlp') {
      // One OTLP export for the Runs view, the palette and here (otelExport/exportRun.ts): file or endpoint.
      const r = await vscode.commands.executeCommand<ExportOtlpResult | undefined>(COMMANDS.exportOtlp, { runId: ref.run.id, folderKey: ref.folderKey });
      if (r) await this.post({ type: 'exported', format, path: r.kind === 'file' ? r.path : r.url });
      return;
    }
    const folder = this.services.folder(ref.folderKey)?.uri;
    const safe = runId.replace(/[^\w.-]+/g, '_');
    const name = format === 'chrome' ? `${safe}.trace.json` : `${safe}.mmd`;
    const target = await vscode.window.showSaveDialog({
      title: format === 'chrome' ? 'Export Chrome trace (open it in Perfetto)' : 'Export Mermaid flowchart',
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: format === 'chrome' ? { 'Chrome trace JSON': ['json'] } : { Mermaid: ['mmd', 'md'] },
    });
    if (!target) return;
    // Exports leave the editor: redact like ask.md and the CLI (ra.yaml privacy keys + credential shapes).
    // Run-scoped: a value redacted under a key anywhere in the run is scrubbed from every name and reason.
    const red = runRedactor(ref.run, privacyOptions(this.services.workspaces.get(ref.folderKey)?.catalog));
    const text = format === 'chrome' ? JSON.stringify(redactChromeTrace(toChromeTrace(ref.run), red)) : toMermaid(ref.run, { label: (t) => stripControl(red.identifier(stripControl(t))).replace(/\s+/g, ' ') });
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    await this.post({ type: 'exported', format, path: target.fsPath });
    // No trace text in a notification unless it cannot form a link (a run id `[x](command:…)`).
    void announceWritten(`Flowlens: exported ${forNotification(runId, red)} to ${forNotification(target.fsPath)}.`, target, folder);
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = crypto.randomBytes(18).toString('base64');
    const uri = (...p: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, ...p)).toString();
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('dist', 'media', 'codicon.css')}">
<link rel="stylesheet" href="${uri('media', 'dashboard.css')}">
<title>Flowlens: Dashboard</title>
</head>
<body>
<div id="root" data-flowlens="dashboard"></div>
<script nonce="${nonce}" src="${uri('dist', 'media', 'dashboard.js')}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.panel.dispose();
    disposeAll(this.disposables);
  }
}

/** Restores the dashboard after a window reload, with the query the webview had saved. */
export class DashboardSerializer implements vscode.WebviewPanelSerializer<DashboardPanelState> {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly services: FlowlensServices,
  ) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: DashboardPanelState | undefined): Promise<void> {
    const q = state?.query;
    DashboardPanel.current?.dispose();
    new DashboardPanel(panel, this.context, this.services, isDashboardQuery(q) ? q : undefined);
  }
}
