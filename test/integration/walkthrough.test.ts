// The Getting Started walkthrough's buttons, pressed in the real extension host on the demo
// workspace: every `command:` link in a step names a registered command, and each one that can
// run inside the test window does what the step says. `flowlens.openDemo` opens a new window
// (it would replace this test host), so it is only checked to be registered.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ViewsApi } from '../../src/extension';
import { until } from '../support/until';

const EXTENSION_ID = 'flowlens.flowlens';

interface Step { id: string; description: string }

function stepCommands(pkg: { contributes: { walkthroughs: { steps: Step[] }[] } }): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of pkg.contributes.walkthroughs) {
    for (const s of w.steps) out.set(s.id, [...s.description.matchAll(/\(command:([\w.]+)[^)]*\)/g)].map((m) => m[1]));
  }
  return out;
}

/**
 * Runs a command that opens a quick pick / input box, then answers it with `answer` — repeatedly,
 * until the command settles: the picker appears only after the command's own awaits, and a fixed
 * delay is a race on a loaded machine.
 */
async function withPicker<T>(command: string, answer: string): Promise<T | undefined> {
  let settled = false;
  const pending = Promise.resolve(vscode.commands.executeCommand<T>(command)).finally(() => (settled = true));
  for (let i = 0; i < 50 && !settled; i++) {
    await new Promise((r) => setTimeout(r, 600));
    if (!settled) await vscode.commands.executeCommand(answer);
  }
  return pending;
}

describe('walkthrough buttons (in-host)', () => {
  let api: ViewsApi;
  let steps: Map<string, string[]>;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    api = (await ext.activate()) as ViewsApi;
    await api.services.ready;
    steps = stepCommands(JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.json'), 'utf8')));
  });

  it('has the six steps, each with at least one button naming a registered command', async () => {
    assert.deepStrictEqual([...steps.keys()], ['findTraces', 'exploreFlows', 'jumpToFailure', 'readDashboard', 'generateAsk', 'askCopilot']);
    const all = new Set(await vscode.commands.getCommands(true));
    for (const [id, cmds] of steps) {
      assert.ok(cmds.length > 0, `${id} has no button`);
      for (const c of cmds) assert.ok(all.has(c), `${id}: ${c} is not registered`);
    }
  });

  it('find traces: the Flowlens container and settings open', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.flowlens');
    // The workbench updates views and tabs asynchronously.
    await until(() => api.runsView.visible, { timeout: 10_000, what: 'the Runs view to be visible' });
    await vscode.commands.executeCommand('flowlens.openSettings');
  });

  it('explore flows: failures-only and follow-latest toggle, the filter asks for text', async () => {
    const before = api.runsProvider.getChildren(undefined).length;
    await vscode.commands.executeCommand('flowlens.showFailuresOnly');
    const failing = api.runsProvider.getChildren(undefined).length;
    await vscode.commands.executeCommand('flowlens.showAllFlows'); // the title button's other state
    assert.ok(failing < before, `failures only shows fewer runs (${failing} of ${before}): a1c3 has no failure`);
    await vscode.commands.executeCommand('flowlens.followLatestRun');
    await vscode.commands.executeCommand('flowlens.followLatestRun'); // restore
    await withPicker('flowlens.filterRuns', 'workbench.action.closeQuickOpen');
    assert.strictEqual(api.runsProvider.getChildren(undefined).length, before, 'a cancelled filter changes nothing');
  });

  it('jump to a failure: the latest failure opens at its line', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('flowlens.openLatestFailure');
    const ed = vscode.window.activeTextEditor;
    assert.ok(ed, 'an editor opened');
    // The newest run is the demo's live run (make-demo re-stamps it to "now"); its newest failure,
    // read from its trace file here, is where the editor must be. Without one, the newest failure
    // is f5b0's premarket/prepare (market closed) at trader/premarket.py:11.
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const runs = path.join(root, '.autodev', 'runs');
    const live = fs.readdirSync(runs).filter((d) => d.endsWith('-live')).sort().pop();
    const failures = live
      ? fs.readFileSync(path.join(runs, live, 'trace.jsonl'), 'utf8').split('\n').filter(Boolean)
        .map((l) => JSON.parse(l) as { event_type?: string; file?: string; line?: number })
        .filter((e) => (e.event_type === 'failure' || e.event_type === 'exception') && e.file)
      : [];
    const want = failures.length ? failures[failures.length - 1] : { file: 'trader/premarket.py', line: 11 };
    assert.ok(ed.document.uri.fsPath.endsWith(path.join(...(want.file as string).split('/'))), `${ed.document.uri.fsPath}, expected ${want.file}`);
    assert.strictEqual(ed.selection.active.line, (want.line as number) - 1);
    await vscode.commands.executeCommand('flowlens.showFailures');
  });

  it('read the dashboard: the panel opens', async () => {
    await vscode.commands.executeCommand('flowlens.openDashboard');
    const tabs = (): string[] => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
    await until(() => tabs().some((l) => l.includes('Dashboard')), { timeout: 10_000, what: () => `a Dashboard tab (tabs: ${tabs().join(', ')})` });
  });

  it('generate an ask prompt and hand it to Copilot: the run picker answers and ask.md is written', async () => {
    // An accept that lands while the picker is still filling closes it empty (undefined): press again.
    let files: { ask: vscode.Uri } | undefined;
    for (let i = 0; i < 3 && !files; i++) files = await withPicker<{ ask: vscode.Uri }>('flowlens.generateAskPrompt', 'workbench.action.acceptSelectedQuickOpenItem');
    assert.ok(files?.ask, 'ask.md written for the picked run');
    // Line 1 is Flowlens's own-file mark (an HTML comment), then the prompt.
    assert.ok(fs.readFileSync(files.ask.fsPath, 'utf8').split('\n')[1].startsWith('# Flowlens ask: run'));
    let how: string | undefined;
    for (let i = 0; i < 3 && !how; i++) how = await withPicker<string>('flowlens.askCopilot', 'workbench.action.acceptSelectedQuickOpenItem');
    assert.ok(how === 'chat' || how === 'clipboard', `askCopilot ended with ${how}`);
  });
});
