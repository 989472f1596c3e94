import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Verdict } from '../core/model/types';
import { FlowCodeLensProvider } from './editor/codeLens';
import { COMMANDS, CONTEXT, GENERATE_ASK_PROMPT, VIEWS } from './constants';
import { FailureDecorations } from './editor/decorations';
import { FailureDiagnostics } from './failures/diagnostics';
import { TraceLocations } from './editor/traceLocations';
import { FailuresProvider } from './failures/failuresView';
import { CatalogDiagnostics } from './editor/catalogDiagnostics';
import { problemsText, registerLog, type FlowlensLog } from './log';
import { createRunsView, FlowTreeProvider, type RunFilter, type TreeNode } from './runs/runsView';
import { openLocation, type LocationArg } from './open';
import { forNotification } from '../core/render/egress/surfaces';
import { TraceServices, type FlowlensServices } from './services';
import { RunStatusBar } from './statusBar/statusBar';
import { TraceWatcher } from './watch';

/** What `registerViews` hands back: the shared services plus handles tests and other features use. */
export interface ViewsApi {
  services: FlowlensServices;
  runsProvider: FlowTreeProvider;
  runsView: vscode.TreeView<TreeNode>;
  failuresProvider: FailuresProvider;
  statusBar: RunStatusBar;
  /** Output → Flowlens: problems found while reading traces. */
  log: FlowlensLog;
}

interface RevealArg { folderKey?: string; runId: string; flowId?: string }

/**
 * Registers the editor experience: Runs and Failures views, Problems, decorations, CodeLens,
 * status bar and live watching. Traces load in the background (never in `activate` itself).
 */
export function registerViews(context: vscode.ExtensionContext): ViewsApi {
  const log = registerLog(context);
  const services = new TraceServices(context, log);
  const runsProvider = new FlowTreeProvider(services);
  const runsView = createRunsView(runsProvider);
  const failuresProvider = new FailuresProvider(services);
  const failuresView = vscode.window.createTreeView(VIEWS.failures, { treeDataProvider: failuresProvider, showCollapseAll: true });
  const statusBar = new RunStatusBar(services);
  const index = new TraceLocations(services);
  const codeLens = new FlowCodeLensProvider(index);
  context.subscriptions.push(
    services, runsProvider, runsView, failuresProvider, failuresView, statusBar, index, codeLens,
    new FailureDiagnostics(services),
    new CatalogDiagnostics(services),
    new FailureDecorations(index),
    new TraceWatcher(services),
    vscode.languages.registerCodeLensProvider({ scheme: 'file' }, codeLens),
  );

  // Follow latest run: reveal and expand the newest run whenever one appears.
  let follow = false;
  let lastLatest: string | undefined;
  const followLatest = () => {
    const latest = services.latestRun();
    if (!follow || !latest) return;
    const key = `${latest.folderKey}|${latest.run.id}`;
    if (key === lastLatest && runsView.visible) return;
    lastLatest = key;
    const node = runsProvider.nodeFor(latest.folderKey, latest.run.id);
    if (node) void Promise.resolve(runsView.reveal(node, { select: true, focus: false, expand: 2 })).catch(() => undefined);
  };
  context.subscriptions.push(services.onDidChange(() => { statusBar.render(); setTimeout(followLatest, 50); }));
  // Problems reading traces: counted in the Runs view and status bar, listed in the log (no trace text here).
  const showProblems = () => {
    const n = log.count();
    runsView.message = n ? `${problemsText(n)} — Show Log: run "Flowlens: Show Log"` : undefined;
    void vscode.commands.executeCommand('setContext', CONTEXT.hasProblems, n > 0);
    statusBar.render();
  };
  context.subscriptions.push(log.onDidChangeCount(showProblems));
  const setFollow = (on: boolean) => {
    follow = on;
    lastLatest = undefined;
    void vscode.commands.executeCommand('setContext', CONTEXT.followLatest, on);
    void context.workspaceState.update('flowlens.followLatest', on);
    followLatest();
  };

  const reveal = async (arg: RevealArg) => {
    if (!arg?.runId) return;
    const ref = services.findRun(arg.runId, arg.folderKey);
    if (!ref) return;
    const node = runsProvider.nodeFor(ref.folderKey, ref.run.id, arg.flowId);
    if (node) await runsView.reveal(node, { select: true, focus: true, expand: true });
  };

  const reg = (id: string, fn: (...args: any[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  // After a cancelled index, Refresh reads everything again (a plain refresh skips stopped folders).
  reg(COMMANDS.refreshRuns, () => (services.stopped.size > 0 ? services.reload() : services.refresh()));
  reg(COMMANDS.openLocation, (arg: LocationArg) => openLocation(services, arg));
  reg(COMMANDS.showMoreItems, (ownerId: string) => runsProvider.showMore(ownerId));
  reg(COMMANDS.showFailuresOnly, () => runsProvider.setFailuresOnly(true));
  reg(COMMANDS.showAllFlows, () => runsProvider.setFailuresOnly(false));
  reg(COMMANDS.followLatestRun, () => setFollow(true));
  reg(COMMANDS.unfollowLatestRun, () => setFollow(false));
  reg(COMMANDS.groupFailuresByClass, () => failuresProvider.setGroupBy('class'));
  reg(COMMANDS.groupFailuresByFlow, () => failuresProvider.setGroupBy('flow'));
  reg(COMMANDS.showFailures, () => vscode.commands.executeCommand(`${VIEWS.failures}.focus`));
  reg(COMMANDS.filterRuns, (arg?: Partial<RunFilter> | string) => filterRuns(runsProvider, arg));
  reg(COMMANDS.clearFilter, () => runsProvider.setFilter({ text: '', statuses: [], tag: '' }));
  reg(COMMANDS.revealInRuns, (arg: RevealArg | TreeNodeLike) => reveal(toReveal(arg)));
  reg(COMMANDS.openLatestFailure, async () => {
    const occ = failuresProvider.newest();
    if (!occ?.event.file) return vscode.window.showInformationMessage('Flowlens: no failures in the traces of this workspace.');
    return openLocation(services, { folderKey: occ.folderKey, file: occ.event.file, line: occ.event.line });
  });
  reg(COMMANDS.copyFlowId, async (n: TreeNodeLike) => {
    const a = toReveal(n);
    const flow = a.flowId ? services.findRun(a.runId, a.folderKey)?.run.flows.get(a.flowId) : undefined;
    if (a.flowId) await vscode.env.clipboard.writeText(flow?.name ? `${flow.name} ${a.flowId}` : a.flowId);
  });
  reg(COMMANDS.copyRunId, async (n: TreeNodeLike) => { const a = toReveal(n); if (a.runId) await vscode.env.clipboard.writeText(a.runId); });
  reg(COMMANDS.openCodeRefs, async (n: TreeNodeLike) => {
    const a = toReveal(n);
    const ref = services.findRun(a.runId, a.folderKey);
    const flow = a.flowId ? ref?.run.flows.get(a.flowId) : undefined;
    const ws = ref && services.workspaces.get(ref.folderKey);
    const refs = (flow?.name && ws?.catalog?.flowsById.get(flow.name)?.codeRefs) || [];
    if (!ref || !refs.length) return vscode.window.showInformationMessage('Flowlens: flows.yaml lists no code_refs for this flow.');
    for (const r of refs) await openLocation(services, { folderKey: ref.folderKey, file: r, line: 1 });
    return undefined;
  });
  reg(COMMANDS.askAboutFlow, (n: TreeNodeLike) => { const a = toReveal(n); return vscode.commands.executeCommand(GENERATE_ASK_PROMPT, { runId: a.runId, flowId: a.flowId }); });
  reg(COMMANDS.askAboutRun, (n: TreeNodeLike) => { const a = toReveal(n); return vscode.commands.executeCommand(GENERATE_ASK_PROMPT, { runId: a.runId }); });
  reg(COMMANDS.openSettings, () => vscode.commands.executeCommand('workbench.action.openSettings', '@ext:flowlens.flowlens'));
  reg(COMMANDS.openDemo, async () => {
    // The demo ships inside the extension (examples/demo-app, ~25 KB packed). Open a fresh copy
    // in global storage: the installed extension folder may be read-only and must stay pristine.
    const demo = vscode.Uri.joinPath(context.extensionUri, 'examples', 'demo-app');
    if (!fs.existsSync(demo.fsPath)) return vscode.window.showInformationMessage('Flowlens: this build has no bundled demo (examples/demo-app).');
    const copy = vscode.Uri.joinPath(context.globalStorageUri, 'demo-app');
    try {
      fs.rmSync(copy.fsPath, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(copy.fsPath), { recursive: true });
      fs.cpSync(demo.fsPath, copy.fsPath, { recursive: true, verbatimSymlinks: true });
    } catch (err) {
      return vscode.window.showErrorMessage(`Flowlens: could not copy the demo to ${forNotification(copy.fsPath, undefined, 300)}: ${forNotification(err instanceof Error ? err.message : String(err))}`);
    }
    return vscode.commands.executeCommand('vscode.openFolder', copy, { forceNewWindow: true });
  });

  void vscode.commands.executeCommand('setContext', CONTEXT.failuresOnly, false);
  void vscode.commands.executeCommand('setContext', CONTEXT.filterActive, false);
  setFollow(context.workspaceState.get<boolean>('flowlens.followLatest', false));
  // Reading traces never happens inside activate(): discovery and parsing start on the next
  // turn of the event loop, with progress in the status bar.
  statusBar.render();
  const start = setTimeout(() => { services.reload(); statusBar.render(); }, 0);
  context.subscriptions.push({ dispose: () => clearTimeout(start) });
  return { services, runsProvider, runsView, failuresProvider, statusBar, log };
}

/** Tree elements of both views, or a plain `{runId, flowId}` from another feature. */
type TreeNodeLike = { folderKey?: string; runId?: string; flowId?: string; occ?: { folderKey: string; runId: string; flowId: string }; fold?: { occurrences: { folderKey: string; runId: string; flowId: string }[] } };

function toReveal(n: RevealArg | TreeNodeLike | undefined): RevealArg {
  if (!n) return { runId: '' };
  const o = n as TreeNodeLike;
  if (o.occ) return { folderKey: o.occ.folderKey, runId: o.occ.runId, flowId: o.occ.flowId };
  if (o.fold) { const x = o.fold.occurrences[0]; return { folderKey: x.folderKey, runId: x.runId, flowId: x.flowId }; }
  return { folderKey: o.folderKey, runId: o.runId ?? '', flowId: o.flowId };
}

const STATUSES: Verdict[] = ['succeeded', 'failed', 'exception', 'orphaned', 'running'];

/**
 * Filter box: free text plus `status:failed` / `tag:AAPL` tokens. A programmatic caller may pass
 * a RunFilter (tests) or the text directly.
 */
async function filterRuns(provider: FlowTreeProvider, arg?: Partial<RunFilter> | string): Promise<void> {
  if (arg && typeof arg === 'object') {
    provider.setFilter({ text: arg.text ?? '', statuses: arg.statuses ?? [], tag: arg.tag ?? '' });
    return;
  }
  const cur = provider.currentFilter;
  const value = typeof arg === 'string' ? arg : await vscode.window.showInputBox({
    title: 'Filter flows',
    prompt: 'Text matches flow name, id, failure class, reason and correlation. Add status:failed|exception|orphaned|running|succeeded or tag:NAME.',
    placeHolder: 'e.g. DATA.EMPTY status:failed tag:NVDA',
    value: [cur.text, ...cur.statuses.map(s => `status:${s}`), cur.tag ? `tag:${cur.tag}` : ''].filter(Boolean).join(' '),
  });
  if (value === undefined) return;
  provider.setFilter(parseFilter(value));
}

export function parseFilter(value: string): RunFilter {
  const words: string[] = [];
  const statuses: Verdict[] = [];
  let tag = '';
  for (const w of value.split(/\s+/).filter(Boolean)) {
    const m = /^(status|tag):(.*)$/i.exec(w);
    if (m && m[1].toLowerCase() === 'status') {
      for (const s of m[2].split(',')) {
        const v = STATUSES.find(x => x.startsWith(s.toLowerCase()) && s);
        if (v) statuses.push(v);
      }
    } else if (m) tag = m[2];
    else words.push(w);
  }
  return { text: words.join(' '), statuses, tag };
}
