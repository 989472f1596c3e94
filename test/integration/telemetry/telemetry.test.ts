// Issue 16, "Grain/Assay queues are invisible in the editor", in the real extension host on a
// queue-only workspace (suite.js: test/fixtures/queue-only — .grain/ 192 envelope events, .assay/
// 48, no flow trace): the Telemetry view lists both queues with their rollups and is visible, the
// Runs view has no run and its welcome says where the telemetry is (flowlens.hasTelemetry), and
// the dashboard shows the queue panels instead of "No runs yet".
import * as assert from 'assert';
import * as vscode from 'vscode';
import { until } from '../../support/until';
import { COMMANDS } from '../../../src/host/commands';
import type { ViewsApi } from '../../../src/extension';
import type { DashboardApi } from '../../../src/host/dashboard/register';

const EXTENSION_ID = 'flowlens.flowlens';

describe('telemetry: a queue-only workspace', function () {
  this.timeout(60000);
  let api: ViewsApi & { dashboard: DashboardApi };

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    api = (await ext.activate()) as ViewsApi & { dashboard: DashboardApi };
    await api.services.ready;
  });

  after(() => api.dashboard.current?.dispose());

  it('has no flow run, and the Telemetry view lists each queue with its rollups', async () => {
    assert.strictEqual(api.services.allRuns().length, 0);
    const tree = api.telemetryProvider;
    const roots = await until(() => {
      const r = tree.getChildren(undefined);
      return r.length === 2 && r;
    }, { what: () => `two queue nodes (have ${tree.getChildren(undefined).length})` });
    const items = roots.map((n) => tree.getTreeItem(n));
    assert.deepStrictEqual(items.map((i) => i.label), ['.assay/telemetry_queue.jsonl', '.grain/telemetry_queue.jsonl']);
    assert.strictEqual(items[0].description, 'Assay queue · 48 events');
    assert.strictEqual(items[1].description, 'Grain queue · 192 events');
    const kids = tree.getChildren(roots[1]);
    const byLabel = new Map(kids.map((n) => [String(tree.getTreeItem(n).label), n]));
    assert.strictEqual(tree.getTreeItem(byLabel.get('Events')!).description, '192');
    for (const t of ['Events by type', 'Events by source', 'Phases', 'Stop reasons', 'Unsupported versions']) assert.ok(byLabel.has(t), t);
    const assay = new Map(tree.getChildren(roots[0]).map((n) => [String(tree.getTreeItem(n).label), n]));
    assert.strictEqual(tree.getTreeItem(assay.get('Verification pass rate')!).description, '72.9% (35/48)');
    assert.ok(assay.has('Verification by target'));
    const unsupported = tree.getChildren(byLabel.get('Unsupported versions')!).map((n) => tree.getTreeItem(n));
    assert.deepStrictEqual(unsupported.map((i) => [i.label, i.description]), [['task.close', 'version 2 · count 1']]);
  });

  it('sets flowlens.hasTelemetry: the Telemetry view shows and the Runs view has no run (its welcome points to Telemetry)', async () => {
    assert.strictEqual(api.telemetryProvider.hasTelemetry, true);
    assert.deepStrictEqual(api.runsProvider.getChildren(undefined).filter((n) => n.kind === 'run'), []);
    // The view's `when` is flowlens.hasTelemetry: it can only become visible when the key is set.
    await vscode.commands.executeCommand(COMMANDS.showTelemetry);
    await until(() => api.telemetryView.visible, { what: 'the Telemetry view to be visible' });
  });

  it('the dashboard shows the queue panels, not "No runs yet"', async () => {
    const panel = api.dashboard.open();
    const model = await until(() => panel.lastModel, { timeout: 30000, what: 'the dashboard model' });
    assert.strictEqual(model.runs.length, 0);
    assert.deepStrictEqual(model.stores.map((s) => [s.name, s.kind, s.rows]), [
      ['.assay/telemetry_queue.jsonl', 'Assay queue', 48],
      ['.grain/telemetry_queue.jsonl', 'Grain queue', 192],
    ]);
  });
});
