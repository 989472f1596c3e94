// The editor experience in the real extension host, on a scratch copy of examples/demo-app
// (the 12 fixture runs — 6 flowscribe v1 in .autodev/, 6 flowscribe 0.1 in runs/ — plus one
// in-progress v1 run "<ts>-live"). Expectations come from test/fixtures/demo-app/scenarios/*.json
// and the traces read by hand:
//   b7d2 (2026-11-19): NVDA fetch fails DATA.EMPTY "vendor returned 0 rows for NVDA" at
//   trader/data/fetcher.py:15; MSFT indicators raise KeyError 'ema_21' (DATA.MISSING_COLUMN) at
//   trader/indicators.py:22.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { FailureNode } from '../../src/host/failures/failuresView';
import type { TreeNode } from '../../src/host/runs/runsView';
import type { ViewsApi } from '../../src/extension';
import { COMMANDS, INTERNAL_COMMANDS } from '../../src/host/commands';
import { VIEWS } from '../../src/host/constants';
import { until } from '../support/until';

const EXTENSION_ID = 'flowlens.flowlens';

function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : item.label?.label ?? '';
}

describe('views', function () {
  this.timeout(60000);
  let api: ViewsApi;
  let root: string;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    api = (await ext.activate()) as ViewsApi;
    await api.services.ready;
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  });

  /** Every descendant of `node` in the Runs view (forcing all pages). */
  function walk(node: TreeNode | undefined, depth = 8): TreeNode[] {
    if (depth < 0) return [];
    const out: TreeNode[] = [];
    for (const c of api.runsProvider.getChildren(node)) { out.push(c); out.push(...walk(c, depth - 1)); }
    return out;
  }

  function runNode(match: (id: string) => boolean): TreeNode {
    const n = api.runsProvider.getChildren(undefined).find(x => x.kind === 'run' && match(x.runId));
    assert.ok(n, 'run not in tree: ' + api.runsProvider.getChildren(undefined).map(x => x.id).join(', '));
    return n;
  }

  it('exports its services and registers exactly the command ids of commands.ts', async () => {
    assert.ok(api?.services, 'activate() should return the views API');
    const all = new Set(await vscode.commands.getCommands(true));
    const missing = Object.values(COMMANDS).filter(c => !all.has(c));
    assert.deepStrictEqual(missing, []);
    // No Flowlens command outside commands.ts (view commands like flowlens.runs.focus have two dots).
    const ours = new Set<string>(Object.values(COMMANDS));
    const extra = [...all].filter(c => /^flowlens\.[A-Za-z]+$/.test(c) && !ours.has(c) && !Object.values(VIEWS).includes(c as never));
    assert.deepStrictEqual(extra, []);
    const pkg = JSON.parse(fs.readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'package.json'), 'utf8'));
    const declared = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
    for (const c of Object.values(COMMANDS)) assert.ok(declared.has(c), `${c} missing from package.json`);
    const hidden = new Set(pkg.contributes.menus.commandPalette.filter((m: { when: string }) => m.when === 'false').map((m: { command: string }) => m.command));
    for (const c of INTERNAL_COMMANDS) assert.ok(hidden.has(c), `${c} should be hidden from the palette`);
    const views = pkg.contributes.views.flowlens.map((v: { id: string }) => v.id);
    assert.ok(views.includes(VIEWS.runs) && views.includes(VIEWS.failures));
  });

  it('lists every run newest first: 6 v1 + 6 flowscribe 0.1 + the live one', () => {
    const runs = api.services.allRuns();
    const v1 = runs.filter(r => r.run.dialect === 'flowscribe-v1');
    const old = runs.filter(r => r.run.dialect === 'flowscribe-0.1');
    assert.strictEqual(old.length, 6, 'flowscribe 0.1 runs: ' + old.map(r => r.run.id).join(', '));
    assert.strictEqual(v1.length, 7, 'v1 runs (6 + live): ' + v1.map(r => r.run.id).join(', '));
    const nodes = api.runsProvider.getChildren(undefined);
    assert.strictEqual(nodes.length, runs.length);
    const started = runs.map(r => r.run.started ?? 0);
    assert.deepStrictEqual(started, [...started].sort((a, b) => b - a), 'newest first');
    const live = runs.find(r => r.run.id.endsWith('-live'));
    assert.ok(live, 'the in-progress run is listed');
    assert.strictEqual(live.run.status, 'running');
  });

  it('shows the b7d2 run with its DATA.EMPTY failure and KeyError exception', () => {
    const ref = api.services.allRuns().find(r => r.run.id.includes('b7d2') && r.run.dialect === 'flowscribe-v1');
    assert.ok(ref);
    const node = runNode(id => id === ref.run.id);
    const item = api.runsProvider.getTreeItem(node);
    assert.match(String(item.description), /^1 failed · 1 exception · [^·]+ · trader · dev · 8 flows$/, 'status first (issue 16)');
    const items = walk(node).filter(n => n.kind === 'flow').map(n => api.runsProvider.getTreeItem(n));
    const empty = items.find(i => /DATA\.EMPTY · vendor returned 0 rows for NVDA/.test(String(i.description)));
    assert.ok(empty, 'DATA.EMPTY flow: ' + items.map(i => `${label(i)} ${i.description}`).join(' | '));
    assert.strictEqual(label(empty), 'data/fetch/minute_candles');
    assert.match(String(empty.description), /^NVDA/);
    const exc = items.find(i => /KeyError/.test(String(i.description)));
    assert.ok(exc, 'KeyError flow');
    assert.strictEqual(label(exc), 'indicators/ema/compute');
    assert.strictEqual((exc.iconPath as vscode.ThemeIcon).id, 'bug');
    // Tooltips carry trace data: never trusted, no HTML.
    const tip = empty.tooltip as vscode.MarkdownString;
    assert.ok(tip instanceof vscode.MarkdownString);
    assert.ok(!tip.isTrusted && !tip.supportHtml);
    // appendText escapes: spaces become &nbsp;, markdown characters get a backslash.
    assert.match(tip.value.replace(/&nbsp;/g, ' '), /vendor returned 0 rows for NVDA/);
    assert.match(tip.value, /minute\\_candles/);
    // Every event with file:line opens it, like failures do.
    const events = walk(node).filter(n => n.kind === 'event').map(n => api.runsProvider.getTreeItem(n));
    assert.ok(events.length > 20);
    for (const e of events) assert.strictEqual(e.command?.command, COMMANDS.openLocation, `${label(e)} opens its source`);
    // The flow's SLA (800 ms p95): NVDA took 690 ms in b7d2, under the SLA.
    assert.match(String(empty.description), /690 ms/);
  });

  it('shows flowscribe 0.1 runs with recovered names and failures', () => {
    const ref = api.services.allRuns().find(r => r.run.id.includes('b7d2') && r.run.dialect === 'flowscribe-0.1');
    assert.ok(ref, '0.1 b7d2 run');
    const flows = walk(runNode(id => id === ref.run.id)).filter(n => n.kind === 'flow').map(n => api.runsProvider.getTreeItem(n));
    assert.ok(flows.some(i => /DATA\.EMPTY/.test(String(i.description))), flows.map(i => `${label(i)} ${i.description}`).join(' | '));
  });

  it('folds repeated failures in the Failures view and opens the source line', async () => {
    api.failuresProvider.setGroupBy('flow');
    const groups = api.failuresProvider.getChildren(undefined);
    const fetch = groups.find(g => api.failuresProvider.getTreeItem(g).label === 'data/fetch/minute_candles');
    assert.ok(fetch, 'group for data/fetch/minute_candles: ' + groups.map(g => api.failuresProvider.getTreeItem(g).label).join(', '));
    const folds = api.failuresProvider.getChildren(fetch);
    const empty = folds.map(f => ({ f, item: api.failuresProvider.getTreeItem(f) }))
      .find(x => /^DATA\.EMPTY · vendor returned 0 rows for NVDA ×2$/.test(label(x.item)));
    assert.ok(empty, 'folded DATA.EMPTY (v1 + 0.1 run): ' + folds.map(f => label(api.failuresProvider.getTreeItem(f))).join(' | '));
    const cmd = empty.item.command!;
    assert.strictEqual(cmd.command, COMMANDS.openLocation);
    await vscode.commands.executeCommand(cmd.command, ...(cmd.arguments ?? []));
    const ed = await until(() => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.fsPath.endsWith(path.join('trader', 'data', 'fetcher.py')) ? e : undefined;
    }, { what: 'editor on fetcher.py' });
    assert.strictEqual(ed.document.uri.fsPath, path.join(root, 'trader', 'data', 'fetcher.py'));
    assert.strictEqual(ed.selection.start.line, 14, 'line 15 (1-based) is selected');
    assert.match(ed.document.lineAt(14).text, /DATA\.EMPTY/);
  });

  it('expands exceptions to their stack frames and groups by class', () => {
    api.failuresProvider.setGroupBy('class');
    const groups = api.failuresProvider.getChildren(undefined);
    const cls = groups.find(g => api.failuresProvider.getTreeItem(g).label === 'DATA.MISSING_COLUMN');
    assert.ok(cls, 'class group DATA.MISSING_COLUMN');
    const fold = api.failuresProvider.getChildren(cls)[0] as FailureNode;
    assert.match(label(api.failuresProvider.getTreeItem(fold)), /KeyError/);
    const frames = api.failuresProvider.getChildren(fold).filter(n => n.kind === 'frame');
    assert.ok(frames.length >= 2, 'stack frames');
    assert.strictEqual(api.failuresProvider.getTreeItem(frames[0]).description, 'indicators.py:22');
    api.failuresProvider.setGroupBy('flow');
  });

  it('maps absolute paths from another machine (flowscribe 0.1) onto the workspace', () => {
    const r = api.services.resolveFile(vscode.workspace.workspaceFolders![0].uri.toString(), '/srv/trader-ci/trader/orders.py');
    assert.strictEqual(r.uri?.fsPath, path.join(root, 'trader', 'orders.py'));
    const missing = api.services.resolveFile(vscode.workspace.workspaceFolders![0].uri.toString(), '/nowhere/at/all/xyz_missing.py');
    assert.strictEqual(missing.uri, undefined);
    assert.ok(missing.tried.length > 0, 'reports the paths it tried');
  });

  it('filters: failures only, and text', async () => {
    await vscode.commands.executeCommand(COMMANDS.showFailuresOnly);
    try {
      const runs = api.runsProvider.getChildren(undefined).filter(n => n.kind === 'run');
      assert.ok(runs.length > 0 && runs.length < api.services.allRuns().length);
      for (const r of runs) {
        const flows = walk(r).filter(n => n.kind === 'flow').map(n => api.runsProvider.getTreeItem(n));
        // failed, exception, or orphaned (a crashed run such as e2a6)
        assert.ok(flows.some(f => ['error', 'bug', 'debug-disconnect'].includes((f.iconPath as vscode.ThemeIcon).id)), `run ${r.id} has a failure`);
      }
    } finally {
      await vscode.commands.executeCommand(COMMANDS.showAllFlows);
    }
    await vscode.commands.executeCommand(COMMANDS.filterRuns, { text: 'EXTERNAL.TIMEOUT' });
    const shown = api.runsProvider.getChildren(undefined).filter(n => n.kind === 'run').map(n => n.kind === 'run' ? n.runId : '');
    assert.ok(shown.length >= 1 && shown.every(id => id.includes('d9f1')), 'only d9f1 runs: ' + shown.join(', '));
    await vscode.commands.executeCommand(COMMANDS.filterRuns, 'status:exception tag:MSFT');
    const exc = api.runsProvider.getChildren(undefined).filter(n => n.kind === 'run');
    assert.ok(exc.length >= 1, 'runs with an MSFT exception');
    for (const r of exc) {
      const flows = walk(r).filter(n => n.kind === 'flow').map(n => api.runsProvider.getTreeItem(n));
      assert.ok(flows.some(f => (f.iconPath as vscode.ThemeIcon).id === 'bug'), `run ${r.id} shows the exception`);
    }
    await vscode.commands.executeCommand(COMMANDS.clearFilter);
    assert.strictEqual(api.runsProvider.getChildren(undefined).length, api.services.allRuns().length);
  });

  it('reveals a flow in the Runs view (getParent chain)', async () => {
    await vscode.commands.executeCommand(`${VIEWS.runs}.focus`);
    // Reveal needs a shown view (a view hidden by an earlier test's focus change ignores it).
    await until(() => api.runsView.visible || undefined, { what: 'the Runs view shown' });
    const ref = api.services.allRuns().find(r => r.run.id.includes('b7d2') && r.run.dialect === 'flowscribe-v1')!;
    const flow = [...ref.run.flows.values()].find(f => f.verdict === 'exception')!;
    await vscode.commands.executeCommand(COMMANDS.revealInRuns, { runId: ref.run.id, flowId: flow.id });
    const node = api.runsProvider.nodeFor(ref.folderKey, ref.run.id, flow.id);
    await until(() => api.runsView.selection.length > 0 || undefined,
      { what: `selection (node ${node?.id}, view visible ${api.runsView.visible}, loading ${api.services.loading})` });
    const sel = api.runsView.selection[0];
    assert.strictEqual(sel.kind, 'flow');
    assert.strictEqual(sel.kind === 'flow' && sel.flowId, flow.id);
  });

  it('shows the latest run in the status bar and updates it, the tree and Problems when the trace grows', async () => {
    const live = api.services.latestRun();
    assert.ok(live && live.run.id.endsWith('-live'), 'latest is the live run');
    assert.match(api.statusBar.text, /\$\(sync~spin\) running/);
    assert.ok(api.statusBar.visible);
    const before = api.runsProvider.getTreeItem(runNode(id => id === live.run.id));
    assert.doesNotMatch(String(before.description), /failed/);
    const runDir = path.join(root, '.autodev', 'runs', live.run.id);
    const open = [...live.run.flows.values()].find(f => f.verdict === 'running' && f.name === 'data/fetch/minute_candles');
    assert.ok(open, 'the MSFT fetch is still open in the live run');
    const line = JSON.stringify({
      v: 1, event_type: 'failure', run_id: live.run.id, timestamp: new Date().toISOString(), flow: 'data/fetch/minute_candles',
      flow_id: open.id, step: 'validate', tags: ['MSFT'], failure_class: 'DATA.EMPTY', severity: 'error',
      reason: 'vendor returned 0 rows for MSFT', evidence: { rows: 0, ticker: 'MSFT' }, duration_ms: 181,
      file: 'trader/data/fetcher.py', line: 15, function: 'fetch_minute_candles',
    }) + '\n';
    fs.appendFileSync(path.join(runDir, 'trace.jsonl'), line);
    fs.appendFileSync(path.join(root, '.autodev', 'trace.jsonl'), line);
    // The watcher (debounced) refreshes the workspace: no reload, no command.
    await until(() => /\$\(error\) Flowlens: 1 failed/.test(api.statusBar.text) || undefined, { timeout: 20000, what: 'status bar shows the failure' });
    const after = api.runsProvider.getTreeItem(runNode(id => id === live.run.id));
    assert.match(String(after.description), /1 failed/);
    const uri = vscode.Uri.file(path.join(root, 'trader', 'data', 'fetcher.py'));
    const diags = await until(() => {
      const d = vscode.languages.getDiagnostics(uri).filter(x => x.source === 'flowlens');
      return d.length ? d : undefined;
    }, { what: 'diagnostic on fetcher.py' });
    assert.strictEqual(diags[0].range.start.line, 14);
    assert.strictEqual(diags[0].severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(String(typeof diags[0].code === 'object' ? diags[0].code.value : diags[0].code), 'DATA.EMPTY');
    assert.match(diags[0].message, /vendor returned 0 rows for MSFT/);
  });

  it('turns diagnostics off with flowlens.diagnostics.enabled', async () => {
    const cfg = vscode.workspace.getConfiguration('flowlens');
    await cfg.update('diagnostics.enabled', false, vscode.ConfigurationTarget.Workspace);
    const uri = vscode.Uri.file(path.join(root, 'trader', 'data', 'fetcher.py'));
    await until(() => vscode.languages.getDiagnostics(uri).filter(x => x.source === 'flowlens').length === 0 || undefined, { what: 'diagnostics cleared' });
    await cfg.update('diagnostics.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    await until(() => vscode.languages.getDiagnostics(uri).filter(x => x.source === 'flowlens').length > 0 || undefined, { what: 'diagnostics back' });
  });

  it('puts CodeLens above traced lines and code_refs targets', async () => {
    const uri = vscode.Uri.file(path.join(root, 'trader', 'orders.py'));
    await vscode.window.showTextDocument(uri);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const titles = lenses.map(l => l.command?.title ?? '');
    assert.ok(titles.some(t => /orders\/submit · \d+ instances in \d+ runs · \d+ failed · p95/.test(t)), titles.join(' | '));
    assert.ok(lenses.some(l => l.range.start.line === 0), 'line-1 lens from flows.yaml code_refs');
  });

  it('remembers a Locate… answer per workspace', async () => {
    const key = vscode.workspace.workspaceFolders![0].uri.toString();
    const trace = '/opt/other-box/renamed/order_submit_v0.py';
    assert.strictEqual(api.services.resolveFile(key, trace).uri, undefined);
    const local = path.join(root, 'trader', 'orders.py');
    await (api.services as unknown as { rememberLocated(a: string, b: string): Promise<void> }).rememberLocated(trace, local);
    assert.strictEqual(api.services.resolveFile(key, trace).uri?.fsPath, local);
  });

  it('pages a large run ("Show 200 more…") and follows the newest run as it appears', async () => {
    await vscode.commands.executeCommand(COMMANDS.followLatestRun);
    const id = '20270101T000000Z-big';
    const dir = path.join(root, '.autodev', 'runs', id);
    fs.mkdirSync(dir, { recursive: true });
    const t0 = Date.parse('2027-01-01T00:00:00Z');
    const ev = (i: number, o: Record<string, unknown>) => JSON.stringify({ v: 1, run_id: id, timestamp: new Date(t0 + i).toISOString(), file: 'trader/agent.py', line: 7, ...o });
    const lines = [ev(0, { event_type: 'session_start', app: 'trader', mode: 'bulk' })];
    for (let i = 0; i < 450; i++) {
      lines.push(ev(i + 1, { event_type: 'flow_start', flow: `bulk${i}/work`, flow_id: `b-${i}` }));
      lines.push(ev(i + 2, { event_type: 'success', flow: `bulk${i}/work`, flow_id: `b-${i}`, step: 'done', duration_ms: 1 }));
    }
    lines.push(ev(1000, { event_type: 'session_end', status: 'ok', flows_started: 450, flows_ended: 450 }));
    fs.writeFileSync(path.join(dir, 'trace.jsonl'), lines.join('\n') + '\n');
    fs.writeFileSync(path.join(root, '.autodev', 'latest'), `runs/${id}`);
    await until(() => api.services.findRun(id), { timeout: 20000, what: 'the new run' });
    await until(() => api.services.latestRun()?.run.id === id || undefined, { timeout: 20000, what: 'the new run is latest' });
    const node = runNode(x => x === id);
    let kids = api.runsProvider.getChildren(node);
    assert.strictEqual(kids.length, 201);
    const more = kids[200];
    assert.strictEqual(more.kind, 'more');
    assert.strictEqual(label(api.runsProvider.getTreeItem(more)), 'Show 200 more…');
    const cmd = api.runsProvider.getTreeItem(more).command!;
    await vscode.commands.executeCommand(cmd.command, ...(cmd.arguments ?? []));
    kids = api.runsProvider.getChildren(node);
    assert.strictEqual(kids.length, 401);
    await vscode.commands.executeCommand(cmd.command, ...(cmd.arguments ?? []));
    assert.strictEqual(api.runsProvider.getChildren(node).length, 450);
    // Stable identities: the same run element before and after a refresh.
    assert.strictEqual(runNode(x => x === id), node);
    // Follow latest: the new run is revealed and selected.
    await vscode.commands.executeCommand(`${VIEWS.runs}.focus`);
    await until(() => {
      const sel = api.runsView.selection[0];
      return (sel?.kind === 'run' && sel.runId === id) || undefined;
    }, { timeout: 20000, what: 'follow selects the newest run' });
    assert.match(api.statusBar.text, /\$\(pass\) 450 flows/);
    await vscode.commands.executeCommand(COMMANDS.unfollowLatestRun);
  });

  it('counts a new problem reading traces once (Runs view message, Flowlens log) and Show Log reveals the log', async () => {
    const before = api.log.count();
    const dir = path.join(root, '.autodev', 'runs', '20200101T000000Z-broken');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'trace.jsonl'), '{"v":1, "password": "hunter2-Sekrit" broken\n');
    await api.services.refresh();
    await until(() => api.log.count() === before + 1 || undefined, { timeout: 20000, what: 'the problem is counted' });
    assert.match(api.runsView.message ?? '', new RegExp(`^${before + 1} problems? reading traces — Show Log`));
    assert.ok(!(api.runsView.message ?? '').includes('hunter2'));
    await api.services.refresh();
    assert.strictEqual(api.log.count(), before + 1, 'the same problem is counted once');
    await vscode.commands.executeCommand(COMMANDS.showLog);
  });
});
