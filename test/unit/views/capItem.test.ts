// The Runs view for a run over flowlens.maxEventsPerSource: "summarised" on the run, a first child
// row "N events not kept in memory" that opens the trace file, the note in the run's tooltip.
// Real data (the demo-app rolling file) through TraceWorkspace, under the bench's `vscode` stub.
import '../../support/vscodeStub';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { COMMANDS } from '../../../src/host/commands';
import { FlowTreeProvider, type TreeNode } from '../../../src/host/runs/runsView';
import { oneFolderServices } from '../../support/services';

const ROLLING = path.resolve('test/fixtures/demo-app/.autodev/trace.jsonl');
const OLDEST = '20261118T140000Z-a1c3';
const NEWEST = '20261122T140000Z-f5b0';

describe('views: a summarised run in the Runs view', () => {
  let tree: FlowTreeProvider;
  let file: string;
  before(async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-capitem-'));
    fs.mkdirSync(path.join(root, '.autodev'));
    file = path.join(root, '.autodev', 'trace.jsonl');
    fs.copyFileSync(ROLLING, file);
    const ws = new TraceWorkspace(root, { now: () => Date.UTC(2030, 0, 1), final: true, maxEventsPerSource: 100 });
    await ws.load();
    tree = new FlowTreeProvider(oneFolderServices(ws));
  });

  const runNode = (id: string): TreeNode => {
    const n = tree.getChildren(undefined).find((x) => x.kind === 'run' && x.runId === id);
    assert.ok(n, id);
    return n;
  };

  it('marks the run, lists a "not kept" row first that opens the trace file, and keeps its flows', () => {
    const node = runNode(OLDEST);
    const item = tree.getTreeItem(node);
    assert.match(String(item.description), / · summarised$/);
    // Tooltip text is Markdown-escaped (forMarkdown): read it back as the rendered text.
    const tip = (item.tooltip as { value: string }).value.replace(/\\(.)/g, '$1');
    assert.ok(tip.includes('- summarised: 44 events not kept in memory (flowlens.maxEventsPerSource = 100); flows, verdicts and counts are kept — open the trace file for the events'), tip);

    const kids = tree.getChildren(node);
    assert.equal(kids[0].kind, 'cap');
    assert.ok(kids.slice(1).every((k) => k.kind === 'flow' || k.kind === 'group'));
    assert.ok(kids.length > 1, 'flows are still listed');
    const row = tree.getTreeItem(kids[0]);
    assert.equal(row.label, '44 events not kept in memory');
    assert.equal(row.description, 'summarised · flowlens.maxEventsPerSource = 100 · open the trace file');
    assert.equal(row.command?.command, COMMANDS.openLocation);
    assert.deepEqual(row.command?.arguments, [{ folderKey: 'a', file }]);
  });

  it('leaves a run kept whole as it was', () => {
    const node = runNode(NEWEST);
    assert.doesNotMatch(String(tree.getTreeItem(node).description), /summarised|capped/);
    assert.ok(tree.getChildren(node).every((k) => k.kind !== 'cap'));
  });
});
