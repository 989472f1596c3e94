// Issue 16 (round 2), in the real extension host on the demo workspace: malformed trace lines are
// listed in the Problems panel at their line of the trace file (collection 'flowlens-trace'), and
// a failure of an older run opens at its line carrying its note (drawn there by decorations.ts;
// the drawing itself is checked in test/unit/views/openedNote.test.ts).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { until } from '../support/until';
import type { ViewsApi } from '../../src/extension';
import type { FailureNode } from '../../src/host/failures/failuresView';

const EXTENSION_ID = 'flowlens.flowlens';

describe('issue16 failures everywhere', function () {
  this.timeout(60000);
  let api: ViewsApi;
  let root: string;

  before(async () => {
    api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as ViewsApi;
    await api.services.ready;
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  });

  it('lists malformed lines of a trace file in Problems at their lines, and forgets them when the file is fixed', async () => {
    const runs = fs.readdirSync(path.join(root, '.autodev', 'runs')).sort();
    const file = path.join(root, '.autodev', 'runs', runs[0], 'trace.jsonl');
    const original = fs.readFileSync(file);
    const lines = original.toString('utf8').split('\n').length - 1;
    const uri = vscode.Uri.file(file);
    const mine = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'flowlens-trace');
    assert.strictEqual(mine().length, 0, 'a clean file has none');
    fs.appendFileSync(file, '{"v": 1, "event_type": "checkpoint", oops\nnot json at all\n');
    try {
      const diags = await until(() => (mine().length >= 2 ? mine() : undefined), { timeout: 20000, what: 'malformed-line diagnostics on the trace file' });
      assert.deepStrictEqual(diags.map((d) => d.range.start.line).sort((a, b) => a - b), [lines, lines + 1]);
      for (const d of diags) {
        assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
        assert.match(d.message, /^Flowlens could not read this line: /);
        assert.ok(!d.message.includes('oops'), 'the reason does not quote the line');
      }
    } finally {
      fs.writeFileSync(file, original);
    }
    await until(() => mine().length === 0 || undefined, { timeout: 20000, what: 'diagnostics gone once the file is whole again' });
  });

  it('opens a failure of an older run at its line, with its note', async () => {
    const latest = api.services.latestRun()?.run.id;
    const p = api.failuresProvider;
    let target: { node: FailureNode; item: vscode.TreeItem } | undefined;
    for (const g of p.getChildren(undefined)) {
      for (const fold of p.getChildren(g)) {
        const kids = fold.kind === 'fold' && fold.fold.occurrences.length > 1 ? p.getChildren(fold) : [fold];
        for (const n of kids) {
          const runId = n.kind === 'occurrence' ? n.occ.runId : n.kind === 'fold' ? n.fold.occurrences[0].runId : undefined;
          const item = p.getTreeItem(n);
          const arg = item.command?.arguments?.[0] as { file?: string; note?: string } | undefined;
          if (runId && runId !== latest && arg?.file && !arg.file.endsWith('.jsonl')) { target = { node: n, item }; break; }
        }
        if (target) break;
      }
      if (target) break;
    }
    assert.ok(target, 'a located failure of an older run');
    const arg = target.item.command!.arguments![0] as { file: string; line: number; note: string };
    assert.match(arg.note, / \(run [^)]+\)$/);
    await vscode.commands.executeCommand(target.item.command!.command, ...target.item.command!.arguments!);
    const ed = await until(() => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.fsPath.endsWith(path.basename(arg.file)) ? e : undefined;
    }, { what: 'the failure opened' });
    assert.strictEqual(ed.selection.active.line, arg.line - 1);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
