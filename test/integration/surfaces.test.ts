// Issue 14 ("numbers from the CLI, trees, dashboard and chat agree because they call the same
// functions") and issue 16 ("status disagrees between surfaces"): on the demo workspace of the
// in-host suite (a scratch copy of examples/demo-app: 6 flowscribe v1 runs, their 6 flowscribe 0.1
// twins, one live v1 run; times refreshed to today by make-demo.py, so no id is written here), the
// same run selection, previous run, failures, p95 and run status from
//   - the CLI's `--json` (node dist/cli.js, a separate process reading the same folder),
//   - the Runs view's and the Failures view's tree items, the status bar and the CodeLens,
//   - the dashboard's model as posted to its webview,
//   - the chat's run lookup (`@flowlens run:<selector>`, `/diff`) and the LM tools' results.
// All of them answer through src/core/analyze/queries.ts and stats.ts.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import type { FlowlensApi } from '../../src/extension';
import type { FailureNode } from '../../src/host/failures/failuresView';
import type { TreeNode } from '../../src/host/runs/runsView';
import type { DashboardModel } from '../../src/core/render/dashboard';
import type { DashboardQuery } from '../../src/host/dashboard/protocol';
import { TOOLS } from '../../src/host/chat/ids';
import { previousRun as chatPreviousRun } from '../../src/host/chat/context';
import { duration } from '../../src/host/format';
import { until } from '../support/until';
import { cliJson } from '../support/cliJson';

const EXTENSION_ID = 'flowlens.flowlens';

interface CliRun { id: string; status: string; dialect: string; flows: { total: number; failed: number; exceptions: number } }

async function tool(name: string, input: object): Promise<string> {
  const res = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
  return res.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
}

function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : item.label?.label ?? '';
}

describe('surfaces agree (one definition per concept)', function () {
  this.timeout(120000);
  let api: FlowlensApi;
  let root: string;
  let cliJs: string;

  /** `flowlens <args> <root> --json`, parsed (test/support/cliJson.ts). */
  function cli<T>(args: string[]): T {
    return cliJson<T>(cliJs, args, root);
  }

  /** Opens a fresh dashboard on `query` and resolves with the model it posts to its webview. */
  async function dashboardModel(query: DashboardQuery): Promise<DashboardModel> {
    api.dashboard.current?.dispose();
    const panel = api.dashboard.open(query);
    return until(() => panel.modelsPosted > 0 && panel.lastModel, { timeout: 30000, what: 'the dashboard to post its model' });
  }

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    api = (await ext.activate()) as FlowlensApi;
    await api.services.ready;
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    cliJs = path.join(ext.extensionPath, 'dist', 'cli.js');
    // Both sides read the folder as it is now.
    await api.services.refresh();
  });

  after(() => api.dashboard.current?.dispose());

  it('run status and verdict counts: `flowlens runs`, the Runs view, the dashboard run list and the status bar', async () => {
    const { runs } = cli<{ runs: CliRun[] }>(['runs']);
    assert.ok(runs.length >= 12, `runs: ${runs.map((r) => r.id).join(', ')}`);
    // issue 16: a v1 run whose session_end says ok over a failed flow reads failed everywhere.
    assert.ok(runs.some((r) => r.dialect === 'flowscribe-v1' && r.id.endsWith('c4e8') && r.status === 'failed'), 'c4e8 (v1) is failed in the CLI');
    const icon: Record<string, string> = { ok: 'pass', failed: 'error', crashed: 'flame', running: 'sync~spin' };
    const nodes = api.runsProvider.getChildren(undefined).filter((n): n is Extract<TreeNode, { kind: 'run' }> => n.kind === 'run');
    assert.deepStrictEqual(nodes.map((n) => n.runId), runs.map((r) => r.id), 'the same runs, newest first');
    for (const [i, r] of runs.entries()) {
      const item = api.runsProvider.getTreeItem(nodes[i]);
      assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, icon[r.status], `${r.id}: icon for ${r.status}`);
      const desc = String(item.description ?? '');
      assert.ok(desc.includes(`${r.flows.total} flow`), `${r.id}: ${desc}`);
      assert.strictEqual(desc.includes(`${r.flows.failed} failed`), r.flows.failed > 0, `${r.id}: ${desc}`);
      assert.strictEqual(/\d+ exceptions?/.test(desc), r.flows.exceptions > 0, `${r.id}: ${desc}`);
    }
    const model = await dashboardModel({ selection: { kind: 'latest' } });
    assert.deepStrictEqual(
      model.runs.map((r) => [r.id, r.status, r.flows, r.failing]),
      runs.map((r) => [r.id, r.status, r.flows.total, r.flows.failed + r.flows.exceptions]),
    );
    // The status bar shows the latest run.
    const latest = cli<{ runs: CliRun[] }>(['runs', '--run', 'latest']).runs[0];
    const bad = latest.flows.failed + latest.flows.exceptions;
    const text = api.statusBar.text;
    if (bad) assert.ok(text.includes(`${bad} failed`), text);
    else if (latest.status === 'running') assert.ok(text.includes('running'), text);
    else assert.ok(text.includes(latest.status === 'ok' ? '$(pass)' : latest.status === 'crashed' ? 'crashed' : 'failed'), `${latest.status}: ${text}`);
  });

  it('run selection: `--run <sel>`, the chat/LM tools lookup and the dashboard name the same run', async () => {
    const { runs } = cli<{ runs: CliRun[] }>(['runs']);
    const ids = runs.map((r) => r.id);
    const unique = (id: string): string => {
      for (let n = 1; n <= id.length; n++) if (ids.filter((x) => x.startsWith(id.slice(0, n))).length === 1) return id.slice(0, n);
      return id;
    };
    const v1 = runs.find((r) => r.dialect === 'flowscribe-v1' && r.id.endsWith('b7d2')) as CliRun;
    const old = runs.find((r) => r.dialect === 'flowscribe-0.1' && r.id.endsWith('d9f1')) as CliRun;
    const selectors = ['latest', 'previous', '@0', '@3', v1.id, unique(v1.id), unique(old.id)];
    assert.ok(unique(v1.id).length < v1.id.length, 'a real prefix');
    for (const sel of selectors) {
      const want = cli<{ run: string }>(['flows', '--run', sel]).run;
      assert.ok(ids.includes(want), `${sel} → ${want}`);
      // `@flowlens run:<sel>` and every LM tool's `runId` go through services.findRun.
      assert.strictEqual(api.services.findRun(sel)?.run.id, want, `findRun(${sel})`);
      const summary = await tool(TOOLS.runSummary, { runId: sel });
      assert.ok(summary.includes(want), `LM run summary of ${sel} names ${want}`);
      const model = await dashboardModel({ selection: { kind: 'run', runId: sel } });
      assert.deepStrictEqual(model.selection.runIds, [want], `dashboard ${sel}`);
    }
  });

  it('previous run: `flowlens diff`, `@flowlens /diff`, `run:previous` and the dashboard compare the same two runs', async () => {
    const d = cli<{ a: string; b: string }>(['diff', 'previous', 'latest']);
    const latest = api.services.findRun('latest');
    assert.ok(latest);
    assert.strictEqual(latest.run.id, d.b);
    assert.strictEqual(chatPreviousRun(api.services, latest)?.id, d.a, '/diff');
    assert.strictEqual(api.services.findRun('previous')?.run.id, d.a, 'run:previous');
    const model = await dashboardModel({ selection: { kind: 'latest' } });
    assert.strictEqual(model.failures.changes?.current, d.b);
    assert.strictEqual(model.failures.changes?.base, d.a, 'the dashboard compares the latest run with the same previous run');
    const dialect = (id: string) => api.services.findRun(id)?.run.dialect;
    assert.strictEqual(dialect(d.a), dialect(d.b), 'like with like');
  });

  it('failures: `flowlens failures`, the Failures view, the LM failures tool and the dashboard list the same failures', async () => {
    const { failures } = cli<{ failures: { run: string; flow_id: string | null; timestamp: string | null }[] }>(['failures', '--run', 'all']);
    assert.ok(failures.length >= 12, `${failures.length} failures`);
    const want = failures.map((f) => `${f.run}|${f.flow_id ?? ''}`).sort();
    // The Failures view: every group, every page of folds, every occurrence of a fold.
    const seen: string[] = [];
    const walk = (node: FailureNode | undefined): void => {
      for (const c of api.failuresProvider.getChildren(node)) {
        assert.ok(label(api.failuresProvider.getTreeItem(c)) !== undefined);
        if (c.kind === 'fold') for (const o of c.fold.occurrences) seen.push(`${o.runId}|${o.flowId}`);
        else if (c.kind === 'group' || c.kind === 'more') walk(c);
      }
    };
    walk(undefined);
    assert.deepStrictEqual(seen.sort(), want, 'Failures view');
    const text = await tool(TOOLS.failures, { limit: 500 });
    const lines = text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { run: string; flow_id: string | null });
    assert.deepStrictEqual(lines.map((l) => `${l.run}|${l.flow_id ?? ''}`).sort(), want, 'LM failures tool');
    // Order 'newest' in the view and the tool: the first line is the view's newest failure.
    const newest = api.failuresProvider.newest();
    assert.strictEqual(`${lines[0].run}|${lines[0].flow_id}`, `${newest?.runId}|${newest?.flowId}`);
    // Order 'oldest' in the CLI: by event time.
    const ts = failures.map((f) => (f.timestamp ? Date.parse(f.timestamp) : Infinity));
    assert.deepStrictEqual(ts, [...ts].sort((a, b) => a - b));
    const model = await dashboardModel({ selection: { kind: 'all' } });
    assert.strictEqual(model.failures.total, failures.length, 'dashboard failures total');
  });

  it('p95: `flowlens flows`, the dashboard, the LM rollups tool and the CodeLens show the same p95 per flow', async () => {
    const { flows } = cli<{ flows: { name: string; p95_ms: number | null }[] }>(['flows', '--run', 'all']);
    const want = new Map(flows.map((f) => [f.name, f.p95_ms ?? undefined]));
    assert.ok([...want.values()].filter((v) => v !== undefined).length >= 5);
    const model = await dashboardModel({ selection: { kind: 'all' } });
    assert.deepStrictEqual(new Map(model.flows.map((f) => [f.flow, f.p95Ms])), want, 'dashboard flows table');
    const text = await tool(TOOLS.rollups, {});
    for (const [name, p95] of want) {
      const line = text.split('\n').find((l) => l.startsWith(`${name}: `));
      assert.ok(line, `LM rollups line for ${name}`);
      assert.strictEqual(/ p95 ([\d.]+) ms/.exec(line)?.[1], p95 === undefined ? undefined : String(p95), line);
    }
    // The CodeLens over trader/data/fetcher.py (data/fetch/minute_candles is traced there).
    const file = vscode.Uri.file(path.join(root, 'trader', 'data', 'fetcher.py'));
    await vscode.workspace.openTextDocument(file);
    const lenses = await until(async () => {
      const ls = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', file, 100);
      return ls?.some((l) => l.command?.title.includes('data/fetch/minute_candles')) && ls;
    }, { timeout: 30000, what: 'the CodeLens on fetcher.py' });
    let checked = 0;
    for (const l of lenses) {
      const title = (l.command?.title ?? '').replace(/^\$\([\w-]+\)\s*/, '');
      const name = [...want.keys()].find((n) => title.startsWith(`${n} · `));
      const p95 = name === undefined ? undefined : want.get(name);
      if (p95 === undefined) continue;
      assert.ok(title.includes(`p95 ${duration(p95)}`), `${title} vs p95 ${p95} ms`);
      checked++;
    }
    assert.ok(checked > 0, 'a lens with a p95');
  });
});
