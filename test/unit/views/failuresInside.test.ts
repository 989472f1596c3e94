// Issue 16 (round 2) in the Runs view, on real fixtures under the bench's `vscode` stub:
// - a flow that succeeded but holds a failing child says "contains failures" with its own icon
//   (demo v1 run c4e8: premarket/prepare), and path groups show the worst state inside them
//   (demo 0.1 run d9f1);
// - an esper-lite run (test/fixtures/stores: no flows, 3 GOVERNOR_ROLLBACK events with severity
//   error) says how many failures it has and expands to its events, paged, the errors marked.
import '../../support/vscodeStub';
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { COMMANDS } from '../../../src/host/commands';
import { FlowTreeProvider, type TreeNode } from '../../../src/host/runs/runsView';
import { oneFolderServices } from '../../support/services';

async function treeOf(root: string): Promise<{ tree: FlowTreeProvider; ws: TraceWorkspace }> {
  const ws = new TraceWorkspace(path.resolve(root), { now: () => Date.UTC(2030, 0, 1), final: true });
  await ws.load();
  return { tree: new FlowTreeProvider(oneFolderServices(ws)), ws };
}

const icon = (item: { iconPath?: unknown }): { id: string; color?: { id: string } } => item.iconPath as { id: string; color?: { id: string } };

/** Every node under `node`, depth first (flows and groups only). */
function flowsUnder(tree: FlowTreeProvider, node: TreeNode, out: TreeNode[] = []): TreeNode[] {
  for (const k of tree.getChildren(node)) {
    if (k.kind !== 'flow' && k.kind !== 'group') continue;
    out.push(k);
    flowsUnder(tree, k, out);
  }
  return out;
}

describe('views: a failure marks every ancestor in the Runs view (issue 16)', () => {
  it('gives a succeeded parent of a failing child "contains failures" and a distinct icon', async () => {
    const { tree, ws } = await treeOf('test/fixtures/demo-app');
    const run = ws.getRun('20261119T190000Z-c4e8')!;
    const runNode = tree.getChildren(undefined).find((n) => n.kind === 'run' && n.runId === run.id)!;
    const nodes = flowsUnder(tree, runNode);
    const prepare = nodes.find((n) => n.kind === 'flow' && run.flows.get(n.flowId)?.name === 'premarket/prepare');
    assert.ok(prepare, 'premarket/prepare is in the tree');
    const item = tree.getTreeItem(prepare);
    assert.match(String(item.description), /^contains failures · /);
    assert.equal(icon(item).id, 'warning');
    assert.equal(icon(item).color?.id, 'testing.iconFailed');
    // Its own failure keeps the ✗ icon; a succeeded leaf keeps ✓ and says nothing more.
    for (const n of nodes) {
      if (n.kind !== 'flow') continue;
      const f = run.flows.get(n.flowId)!;
      const it = tree.getTreeItem(n);
      if (f.verdict === 'failed') assert.equal(icon(it).id, 'error');
      if (f.verdict === 'succeeded' && !f.children.length) {
        assert.equal(icon(it).id, 'pass');
        assert.doesNotMatch(String(it.description), /contains failures/);
      }
    }
    // Every ancestor on the path to a failure is marked (or failed itself).
    for (const f of run.flows.values()) {
      if (f.verdict !== 'failed' && f.verdict !== 'exception') continue;
      for (let p = f.parentId ? run.flows.get(f.parentId) : undefined; p; p = p.parentId ? run.flows.get(p.parentId) : undefined) {
        const n = tree.nodeFor('a', run.id, p.id);
        assert.ok(n && n.kind === 'flow' && n.flowId === p.id, p.id);
        const it = tree.getTreeItem(n);
        assert.ok(['warning', 'error', 'bug'].includes(icon(it).id), `${p.displayName}: ${icon(it).id}`);
      }
    }
  });

  it('colours path groups by the worst state inside and names it', async () => {
    const { tree, ws } = await treeOf('test/fixtures/demo-app');
    const run = ws.getRun('runs/20261120T140000Z-d9f1')!;
    assert.ok(run, 'the 0.1 run d9f1');
    const runNode = tree.getChildren(undefined).find((n) => n.kind === 'run' && n.runId === run.id)!;
    const groups = tree.getChildren(runNode).filter((n) => n.kind === 'group');
    assert.ok(groups.length > 0, 'the 0.1 run has path groups');
    let marked = 0;
    for (const g of groups) {
      const it = tree.getTreeItem(g);
      const kids = tree.getChildren(g).map((k) => (k.kind === 'flow' ? run.flows.get(k.flowId)! : undefined)).filter((f) => f !== undefined);
      const bad = kids.some((f) => f.verdict === 'failed' || f.verdict === 'exception');
      if (bad) {
        marked++;
        assert.match(String(it.description), /\d+ failed · \d+ flows?/);
        assert.ok(['testing.iconFailed', 'testing.iconErrored'].includes(String(icon(it).color?.id)));
      } else if (kids.every((f) => f.verdict === 'succeeded')) {
        assert.equal(icon(it).color, undefined);
      }
    }
    assert.ok(marked > 0, 'a group with a failure');
  });
});

describe('views: an esper-lite run in the Runs view (issue 16)', () => {
  it('says how many failures it has and expands to its events, the errors marked', async () => {
    const { tree } = await treeOf('test/fixtures/stores');
    const runNode = tree.getChildren(undefined).find((n) => n.kind === 'run' && n.runId === 'telemetry_2026-11-20_080000');
    assert.ok(runNode);
    const item = tree.getTreeItem(runNode);
    assert.match(String(item.description), /^3 failures · /);
    assert.match(String(item.description), / · 120 events$/);
    assert.notEqual(item.collapsibleState, 0, 'expandable');
    const kids = tree.getChildren(runNode);
    assert.equal(kids.length, 120);
    assert.ok(kids.every((k) => k.kind === 'runEvent'));
    const rollbacks = kids.map((k) => tree.getTreeItem(k)).filter((it) => String(it.label).startsWith('GOVERNOR_ROLLBACK'));
    assert.equal(rollbacks.length, 3);
    for (const it of rollbacks) {
      assert.equal(it.label, 'GOVERNOR_ROLLBACK · governor rollback');
      assert.match(String(it.description), /^error · \+/);
      assert.equal(icon(it).id, 'error');
      assert.equal(it.command?.command, COMMANDS.openLocation);
      const arg = (it.command?.arguments as { file: string; line: number }[])[0];
      assert.ok(arg.file.endsWith('events.jsonl') && arg.line > 0, 'opens its line in the trace file');
    }
  });

  it('pages the events of a run without flows', async () => {
    const { tree } = await treeOf('test/fixtures/stores');
    const runNode = tree.getChildren(undefined).find((n) => n.kind === 'run')!;
    const ws = (tree as unknown as { services: { workspaces: Map<string, TraceWorkspace> } }).services.workspaces.get('a')!;
    const run = ws.getRun('telemetry_2026-11-20_080000')!;
    // 120 events fit one page; a page of 50 shows 50 and a "Show more" row.
    const limits = (tree as unknown as { limits: Map<string, number> }).limits;
    limits.set(runNode.id, 50);
    const kids = tree.getChildren(runNode);
    assert.equal(kids.length, 51);
    assert.equal(kids[50].kind, 'more');
    assert.equal(tree.getTreeItem(kids[50]).description, `${run.events.length - 50} not shown`);
    tree.showMore(runNode.id);
    assert.equal(tree.getChildren(runNode).length, 120);
  });

  it('stays in the tree under "failures only"', async () => {
    const { tree } = await treeOf('test/fixtures/stores');
    tree.setFailuresOnly(true);
    assert.ok(tree.getChildren(undefined).some((n) => n.kind === 'run' && n.runId === 'telemetry_2026-11-20_080000'));
  });
});
