// Issue 16, "Grain/Assay queues are invisible in the editor": on test/fixtures/queue-only (the
// Grain and Assay queue lines of test/fixtures/stores, nothing else) the telemetry panels, the
// dashboard model, the Telemetry view and CLI `metrics` all show the queue rollups.
import '../support/vscodeStub';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TraceWorkspace } from '../../src/core/read/workspace';
import { sqliteReaders } from '../../src/core/read/sqlite/readers';
import { pulseRollup } from '../../src/core/model/pulse';
import { buildDashboardModel } from '../../src/core/render/dashboard';
import { queuePanels, telemetryPanels } from '../../src/core/render/telemetry';
import { CONTEXT } from '../../src/host/constants';
import type { TraceServices } from '../../src/host/services';
import { TelemetryProvider, type TelemetryNode } from '../../src/host/telemetry/telemetryView';

const REPO = path.resolve(__dirname, '../../..');
const QUEUE_ONLY = path.join(REPO, 'test', 'fixtures', 'queue-only');
const GRAIN = path.join(QUEUE_ONLY, '.grain', 'telemetry_queue.jsonl');
const ASSAY = path.join(QUEUE_ONLY, '.assay', 'telemetry_queue.jsonl');

async function load(): Promise<TraceWorkspace> {
  const ws = new TraceWorkspace(QUEUE_ONLY, { final: true });
  await ws.load({ final: true });
  return ws;
}

function queues(ws: TraceWorkspace) {
  return ws.sources().filter((s) => s.kind === 'queue').map((s) => ({ file: s.file, malformed: s.malformed, error: s.error }));
}

describe('telemetry: a queue-only folder (test/fixtures/queue-only)', () => {
  let ws: TraceWorkspace;
  before(async () => {
    ws = await load();
  });

  it('has no runs and 240 envelope events from two queues', () => {
    assert.equal(ws.runs().length, 0);
    assert.equal(ws.envelopes.length, 240);
    assert.deepEqual(queues(ws).map((q) => q.file).sort(), [ASSAY, GRAIN]);
  });

  it('makes one panel per queue with its Pulse rollups (by type, by source, phases, stop reasons, verification, unsupported)', () => {
    const panels = queuePanels(ws.envelopes, { root: ws.root, queues: queues(ws) });
    assert.deepEqual(panels.map((p) => [p.name, p.kind, p.rows]), [
      ['.assay/telemetry_queue.jsonl', 'Assay queue', 48],
      ['.grain/telemetry_queue.jsonl', 'Grain queue', 192],
    ]);
    const grain = panels[1];
    const own = pulseRollup(ws.envelopes.filter((e) => e.src.file === GRAIN));
    assert.equal(grain.stats.find((s) => s.label === 'Events')?.value, own.total);
    const table = (title: string) => grain.tables.find((t) => t.title === title);
    assert.deepEqual(Object.fromEntries(table('Events by type')!.rows.map(([k, v]) => [k, v])), { ...own.byType });
    assert.deepEqual(table('Events by source')!.rows, [['grain', 192]]);
    assert.deepEqual(table('Phases')!.rows.map((r) => r[0]), own.phases.map((p) => (p.phase === '' ? '""' : p.phase)));
    assert.ok(table('Stop reasons')!.rows.length > 0);
    assert.deepEqual(table('Unsupported versions')!.rows, [['task.close', 2, 1]]);
    // The final read of a queue whose writer stopped mid-line: located as a problem of that queue.
    assert.deepEqual(grain.problems, ['1 malformed line(s)']);
    for (const p of panels) for (const t of p.tables) for (const row of t.rows) assert.equal(row.length, t.columns.length, `${p.name} ${t.title}`);
  });

  it('the dashboard model has the queue panels although there is no run (was: "No runs yet", no panel)', () => {
    const model = buildDashboardModel({ runs: [], envelopes: ws.envelopes, queues: queues(ws), root: ws.root }, 'latest');
    assert.equal(model.runs.length, 0);
    assert.deepEqual(model.stores.map((s) => s.kind), ['Assay queue', 'Grain queue']);
    assert.deepEqual(model.stores, telemetryPanels(ws.envelopes, [], { root: ws.root, queues: queues(ws) }));
  });

  it('the Telemetry view lists each queue and expands it to its rollups, and sets flowlens.hasTelemetry', async () => {
    const contexts: [string, unknown][] = [];
    const commands = vscode.commands as unknown as { executeCommand: (...a: unknown[]) => Promise<unknown> };
    const before = commands.executeCommand;
    commands.executeCommand = async (cmd: unknown, key: unknown, value: unknown) => {
      if (cmd === 'setContext') contexts.push([key as string, value]);
      return undefined;
    };
    try {
      const svc = {
        workspaces: new Map([['a', ws]]),
        onDidChange: () => ({ dispose: () => undefined }),
        folder: () => undefined,
      };
      const tree = new TelemetryProvider(svc as unknown as TraceServices);
      await tree.update();
      assert.deepEqual(contexts.at(-1), [CONTEXT.hasTelemetry, true]);
      const roots = tree.getChildren(undefined);
      const items = roots.map((n) => tree.getTreeItem(n));
      assert.deepEqual(items.map((i) => i.label), ['.assay/telemetry_queue.jsonl', '.grain/telemetry_queue.jsonl']);
      assert.match(String(items[1].description), /^Grain queue · 192 events/);
      const kids = tree.getChildren(roots[1]);
      const label = (n: TelemetryNode) => String(tree.getTreeItem(n).label);
      const events = kids.find((n) => label(n) === 'Events');
      assert.equal(tree.getTreeItem(events!).description, '192');
      assert.deepEqual(kids.filter((n) => n.kind === 'table').map(label), ['Events by type', 'Events by source', 'Phases', 'Stop reasons', 'Unsupported versions']);
      // The Assay queue carries the verification.completed events.
      const assay = tree.getChildren(roots[0]);
      assert.equal(tree.getTreeItem(assay.find((n) => label(n) === 'Verification pass rate')!).description, '72.9% (35/48)');
      assert.ok(assay.some((n) => n.kind === 'table' && label(n) === 'Verification by target'));
      const phases = kids.find((n) => n.kind === 'table' && label(n) === 'Phases')!;
      const row = tree.getTreeItem(tree.getChildren(phases).find((n) => label(n) === '31')!);
      assert.match(String(row.description), /^closes 5 · tasks done 38 · task closes 0$/);
      tree.dispose();
    } finally {
      commands.executeCommand = before;
    }
  });

  it('CLI `metrics` exits 0 with the queue rollups (was: exit 1, "no runs found")', function () {
    this.timeout(60_000);
    const cli = path.join(REPO, 'dist', 'cli.js');
    const j = spawnSync(process.execPath, [cli, 'metrics', QUEUE_ONLY, '--json'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(j.status, 0, j.stderr);
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.run, null);
    assert.equal(doc.pulse.total, 240);
    assert.deepEqual(doc.pulse.by_source, { assay: 48, grain: 192 });
    assert.deepEqual(doc.pulse.unsupported, [{ type: 'task.close', version: 2, count: 1 }]);
    const h = spawnSync(process.execPath, [cli, 'metrics', QUEUE_ONLY], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, /telemetry queues only/);
    assert.match(h.stdout, /Pulse \(240 queued envelope events\)/);
    // A --run that names a run still has to find one.
    const r = spawnSync(process.execPath, [cli, 'metrics', QUEUE_ONLY, '--run', 'latest'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
  });
});

describe('telemetry: the Telemetry view on test/fixtures/stores (queues and stores together)', () => {
  it('lists the two queues first, then the Pulse, sovereignty and brainstem stores with their rollups', async function () {
    this.timeout(60_000);
    const root = path.join(REPO, 'test', 'fixtures', 'stores');
    const ws = new TraceWorkspace(root, { final: true, readers: sqliteReaders({ root }) });
    await ws.load({ final: true });
    const svc = { workspaces: new Map([['s', ws]]), onDidChange: () => ({ dispose: () => undefined }), folder: () => undefined };
    const tree = new TelemetryProvider(svc as unknown as TraceServices);
    await tree.update();
    const panels = tree.allPanels().get('s') ?? [];
    assert.deepEqual(panels.map((p) => [p.name, p.kind]), [
      ['.assay/telemetry_queue.jsonl', 'Assay queue'],
      ['.grain/telemetry_queue.jsonl', 'Grain queue'],
      ['brainstem.sqlite3', 'brainstem'],
      ['pulse.db', 'pulse'],
      ['sovereignty_metrics.db', 'sovereignty'],
    ]);
    // The Pulse store holds the drained queue events with its WAL applied (formats.md §3: 240, not 200).
    const pulse = panels.find((p) => p.kind === 'pulse')!;
    assert.equal(pulse.stats.find((x) => x.label === 'Events')?.value, 240);
    assert.ok(pulse.tables.some((t) => t.title === 'Tables'));
    const item = tree.getTreeItem(tree.getChildren(undefined).find((n) => n.kind === 'panel' && n.panel.kind === 'sovereignty')!);
    assert.match(String(item.description), /^sovereignty · \d+ rows$/);
    tree.dispose();
  });
});
