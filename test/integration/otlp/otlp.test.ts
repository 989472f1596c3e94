// Issue 18 item 1 ("every view, the dashboard, ask.md, the CLI and the LM/MCP tools work on them
// unchanged") and item 2's editor action, in the real extension host on a workspace of OTLP files
// only (suite.js: test/fixtures/otlp — 6 traces from the Collector file exporter, Python's json-file
// exporter, an OTLP/JSON document, ConsoleSpanExporter output and a hostile file — plus
// ingest/validate.py): the Runs view lists the traces as runs with their service and verdicts, the
// Failures view shows the Python span's ValueError and opens ingest/validate.py:12, the status bar,
// the dashboard model, ask.md and the LM tools see the same runs as the CLI, and
// *Export Run as OpenTelemetry (OTLP)…* writes a file that reads back as the same run and sends the
// run to a real OTLP receiver (autotel-devtools, test/support/otelReceiver.ts).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { FlowlensApi } from '../../../src/extension';
import type { FailureNode } from '../../../src/host/failures/failuresView';
import type { TreeNode } from '../../../src/host/runs/runsView';
import type { GeneratedAsk } from '../../../src/host/chat/generateAskPrompt';
import type { ExportOtlpResult } from '../../../src/host/otelExport/exportRun';
import { COMMANDS } from '../../../src/host/commands';
import { TOOLS } from '../../../src/host/chat/ids';
import { otlpTraceId } from '../../../src/core/render/otlp';
import { until } from '../../support/until';
import { startReceiver, type Receiver } from '../../support/otelReceiver';
import { cliJson } from '../../support/cliJson';

const EXTENSION_ID = 'flowlens.flowlens';
/** The Python json-file fixture's trace: ingest-worker, `validate` raises ValueError at /app/ingest/validate.py:12. */
const INGEST = 'e6b1d2c3a4f5061728394a5b6c7d8e9f';
/** The Collector fixture's failing trace: checkout, `POST /charge` fails (payments returned 503). */
const CHECKOUT = '5b8efff798038103d269b633813fc60c';

interface CliRun { id: string; status: string; app: string | null; dialect: string; flows: { total: number; failed: number; exceptions: number } }
interface CliFailure { run: string; flow: string | null; failure_class: string | null; reason: string | null; file: string | null; line: number | null }

const label = (item: vscode.TreeItem): string => (typeof item.label === 'string' ? item.label : item.label?.label ?? '');

async function tool(name: string, input: object): Promise<string> {
  const res = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
  return res.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
}

describe('otlp: a workspace of OpenTelemetry files only', function () {
  this.timeout(120000);
  let api: FlowlensApi;
  let root: string;
  let cliJs: string;
  let tmp: string;

  /** `flowlens <args> <dir> --json` (the CLI reads the same files with the same reader). */
  function cli<T>(args: string[], dir = root): T {
    return cliJson<T>(cliJs, args, dir);
  }

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    api = (await ext.activate()) as FlowlensApi;
    await api.services.ready;
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    cliJs = path.join(ext.extensionPath, 'dist', 'cli.js');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-otlp-'));
    await until(() => api.services.allRuns().length >= 6, { timeout: 30000, what: () => `6 OTLP runs (have ${api.services.allRuns().map((r) => r.run.id).join(', ')})` });
  });

  after(async () => {
    api.dashboard.current?.dispose();
    await vscode.workspace.getConfiguration('flowlens').update('otel.endpoint', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the Runs view lists every trace as a run (newest first, like the CLI) with its verdicts; a run opens to its spans as flows', async () => {
    const { runs } = cli<{ runs: CliRun[] }>(['runs']);
    assert.strictEqual(runs.length, 6, runs.map((r) => r.id).join(', '));
    assert.ok(runs.every((r) => r.dialect === 'otlp'), runs.map((r) => r.dialect).join(', '));
    const nodes = api.runsProvider.getChildren(undefined).filter((n): n is Extract<TreeNode, { kind: 'run' }> => n.kind === 'run');
    assert.deepStrictEqual(nodes.map((n) => n.runId), runs.map((r) => r.id), 'the same runs in the same order');
    const icon: Record<string, string> = { ok: 'pass', failed: 'error', crashed: 'flame', running: 'sync~spin' };
    for (const [i, r] of runs.entries()) {
      const item = api.runsProvider.getTreeItem(nodes[i]);
      assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, icon[r.status], `${r.id}: ${r.status}`);
      const text = `${label(item)} ${String(item.description ?? '')} ${typeof item.tooltip === 'string' ? item.tooltip : item.tooltip?.value ?? ''}`;
      assert.ok(text.includes(`${r.flows.total} flow`), `${r.id}: ${text}`);
      if (r.app) assert.ok(text.includes(r.app), `${r.id}: the service name ${r.app} in ${text}`);
    }
    // The ingest-worker trace opens to its spans: ingest (root) → parse, validate.
    const ingest = nodes.find((n) => n.runId === INGEST)!;
    const flows: string[] = [];
    const walk = (n: TreeNode, depth: number): void => {
      for (const c of api.runsProvider.getChildren(n)) {
        if (c.kind === 'flow' || c.kind === 'group') {
          const it = api.runsProvider.getTreeItem(c);
          flows.push(`${'  '.repeat(depth)}${label(it)} · ${String(it.description ?? '')} · ${(it.iconPath as vscode.ThemeIcon | undefined)?.id ?? ''}`);
          if (depth < 4) walk(c, depth + 1);
        }
      }
    };
    walk(ingest, 0);
    assert.ok(flows.some((f) => /^ingest\b/.test(f) && /error/.test(f)), flows.join('\n'));
    assert.ok(flows.some((f) => /^\s+validate\b/.test(f)), flows.join('\n'));
    assert.ok(flows.some((f) => /^\s+parse_rows\b/.test(f)), flows.join('\n'));
  });

  it('the Failures view shows the failing spans with their class; a click opens ingest/validate.py at line 12', async () => {
    const cliFailures = cli<{ failures: CliFailure[] }>(['failures', '--run', 'all']).failures;
    api.failuresProvider.setGroupBy('class');
    const groups = api.failuresProvider.getChildren(undefined);
    const classes = groups.map((g) => String(api.failuresProvider.getTreeItem(g).label));
    for (const c of new Set(cliFailures.map((f) => f.failure_class).filter((c): c is string => !!c))) assert.ok(classes.includes(c), `class ${c} in ${classes.join(', ')}`);
    const ve = groups.find((g) => api.failuresProvider.getTreeItem(g).label === 'ValueError')!;
    const fold = api.failuresProvider.getChildren(ve)[0] as FailureNode;
    const item = api.failuresProvider.getTreeItem(fold);
    assert.match(label(item), /row 17: price is negative/);
    const cmd = item.command!;
    assert.strictEqual(cmd.command, COMMANDS.openLocation);
    await vscode.commands.executeCommand(cmd.command, ...(cmd.arguments ?? []));
    const ed = await until(() => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.fsPath.endsWith(path.join('ingest', 'validate.py')) ? e : undefined;
    }, { what: () => `an editor on ingest/validate.py (active: ${vscode.window.activeTextEditor?.document.uri.fsPath})` });
    assert.strictEqual(ed.document.uri.fsPath, path.join(root, 'ingest', 'validate.py'));
    assert.strictEqual(ed.selection.start.line, 11, 'line 12 (1-based) is selected');
    assert.match(ed.document.lineAt(11).text, /def validate/);
  });

  it('the status bar shows the latest trace (checkout, ok)', async () => {
    const latest = cli<{ runs: CliRun[] }>(['runs', '--run', 'latest']).runs[0];
    assert.strictEqual(latest.status, 'ok');
    await until(() => api.statusBar.text.includes('$(pass)') && api.statusBar.text.includes(`${latest.flows.total} flow`), { what: () => `status bar: ${api.statusBar.text}` });
  });

  it('the dashboard model has the OTLP runs, their services and the failing flows of a run', async () => {
    api.dashboard.current?.dispose();
    const panel = api.dashboard.open({ selection: { kind: 'run', runId: INGEST } });
    const model = await until(() => panel.modelsPosted > 0 && panel.lastModel, { timeout: 30000, what: 'the dashboard model' });
    const { runs } = cli<{ runs: CliRun[] }>(['runs']);
    assert.deepStrictEqual(model.runs.map((r) => [r.id, r.status, r.app, r.dialect, r.flows, r.failing]),
      runs.map((r) => [r.id, r.status, r.app ?? undefined, 'otlp', r.flows.total, r.flows.failed + r.flows.exceptions]));
    assert.deepStrictEqual(model.selection.runIds, [INGEST]);
    assert.deepStrictEqual(model.flows.map((f) => f.flow).sort(), ['ingest', 'parse_rows', 'validate']);
    assert.deepStrictEqual(model.failures.byClass.map((c) => c.failureClass).sort(), ['OTEL.ERROR', 'ValueError']);
    assert.strictEqual(model.timeline?.runId, INGEST);
  });

  it('ask.md of an OTLP run names the failing span, its class, reason and file:line', async () => {
    const r = await vscode.commands.executeCommand<GeneratedAsk | undefined>(COMMANDS.generateAskPrompt, { runId: INGEST, open: false });
    assert.ok(r, 'ask files written');
    const text = fs.readFileSync(r.ask.fsPath, 'utf8');
    for (const s of [INGEST, 'ingest-worker', 'validate', 'ValueError', 'row 17: price is negative', 'validate.py:12']) assert.ok(text.includes(s), `ask.md has ${s}:\n${text.slice(0, 3000)}`);
  });

  it('the LM tools (run summary, failures) answer about the OTLP runs', async () => {
    const summary = await tool(TOOLS.runSummary, { runId: CHECKOUT });
    for (const s of [CHECKOUT, 'checkout', 'POST /charge']) assert.ok(summary.includes(s), `runSummary has ${s}: ${summary.slice(0, 2000)}`);
    const failures = await tool(TOOLS.failures, { runId: INGEST });
    for (const s of ['ValueError', 'row 17: price is negative', 'validate.py']) assert.ok(failures.includes(s), `failures has ${s}: ${failures.slice(0, 2000)}`);
  });

  it('Export Run as OpenTelemetry (OTLP)… writes a file that the reader reads back as the same run', async () => {
    const file = path.join(tmp, 'out', 'export.otlp.json');
    fs.mkdirSync(path.dirname(file));
    const r = await vscode.commands.executeCommand<ExportOtlpResult | undefined>(COMMANDS.exportOtlp, { runId: INGEST, to: 'file', file });
    assert.ok(r && r.kind === 'file', JSON.stringify(r));
    assert.strictEqual(r.path, file);
    assert.strictEqual(r.spans, 3);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
    assert.strictEqual(doc.resourceSpans[0].scopeSpans[0].spans[0].traceId, otlpTraceId(INGEST));
    const back = cli<{ runs: CliRun[] }>(['runs'], path.dirname(file)).runs;
    const orig = cli<{ runs: CliRun[] }>(['runs', '--run', INGEST]).runs;
    assert.deepStrictEqual(back.map((x) => [x.id, x.status, x.app, x.flows]), orig.map((x) => [x.id, x.status, x.app, x.flows]));
    const key = (f: CliFailure): string => [f.flow, f.failure_class, f.reason, f.file, f.line].join('|');
    const failuresBack = cli<{ failures: CliFailure[] }>(['failures', '--run', 'all'], path.dirname(file)).failures.map(key).sort();
    const failuresOrig = cli<{ failures: CliFailure[] }>(['failures', '--run', INGEST]).failures.map(key).sort();
    assert.deepStrictEqual(failuresBack, failuresOrig);
  });

  it('with flowlens.otel.endpoint set it sends the run to a real OTLP receiver; a dead endpoint fails with no result', async () => {
    let rx: Receiver | undefined;
    try {
      rx = await startReceiver();
      await vscode.workspace.getConfiguration('flowlens').update('otel.endpoint', rx.url, vscode.ConfigurationTarget.Global);
      const r = await vscode.commands.executeCommand<ExportOtlpResult | undefined>(COMMANDS.exportOtlp, { runId: CHECKOUT, to: 'send' });
      assert.ok(r && r.kind === 'sent', JSON.stringify(r));
      assert.strictEqual(r.url, `${rx.url}/v1/traces`);
      assert.strictEqual(r.rejected, 0);
      const traces = await until(async () => {
        const t = (await rx!.traces()).find((x) => x.traceId === otlpTraceId(CHECKOUT));
        return t && t.spans.length === r.spans ? t : undefined;
      }, { timeout: 20000, what: 'the receiver to store the checkout trace' });
      assert.strictEqual(traces.service, 'checkout');
      const charge = traces.spans.find((s) => s.name === 'POST /charge');
      assert.ok(charge, traces.spans.map((s) => s.name).join(', '));
      assert.strictEqual(charge.attributes['flowlens.run.id'], CHECKOUT);
      // Nothing listens on port 9 of loopback: the command shows the error and returns nothing.
      await vscode.workspace.getConfiguration('flowlens').update('otel.endpoint', 'http://user:secret@127.0.0.1:9', vscode.ConfigurationTarget.Global);
      const dead = await vscode.commands.executeCommand<ExportOtlpResult | undefined>(COMMANDS.exportOtlp, { runId: CHECKOUT, to: 'send' });
      assert.strictEqual(dead, undefined);
    } finally {
      await rx?.stop();
    }
  });
});
