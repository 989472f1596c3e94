// Issue 16 ("a truthful editor", the partial polish): Ask Copilot always gives feedback,
// Generate Ask Prompt says what it wrote where and honours flowlens.ask.writeOnlyAskMd, and a
// decorated failure line offers "Ask Copilot about this failure". In the real extension host on
// the demo workspace (b7d2 v1: f-0008 fails DATA.EMPTY at trader/data/fetcher.py:15).
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { until } from '../support/until';
import { COMMANDS } from '../../src/host/commands';
import type { GeneratedAsk } from '../../src/host/chat/generateAskPrompt';
import type { FlowlensServices } from '../../src/host/services';
import type { ViewsApi } from '../../src/extension';

const EXTENSION_ID = 'flowlens.flowlens';

describe('issue16 polish', function () {
  this.timeout(60000);
  let services: FlowlensServices;
  let RUN: string;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    services = ((await ext.activate()) as { services: FlowlensServices }).services;
    await services.ready;
    const ref = services.allRuns().find((r) => r.run.id.includes('b7d2') && r.run.dialect === 'flowscribe-v1');
    assert.ok(ref, 'the v1 b7d2 run is loaded');
    RUN = ref.run.id;
  });

  it('askCopilot copies to the clipboard when no chat model answers (the chat-open command alone is not enough)', async () => {
    const models = typeof vscode.lm?.selectChatModels === 'function' ? await vscode.lm.selectChatModels() : [];
    await vscode.env.clipboard.writeText('before');
    const how = await vscode.commands.executeCommand<string>(COMMANDS.askCopilot, { runId: RUN });
    if (models.length > 0) return void assert.strictEqual(how, 'chat');
    assert.strictEqual(how, 'clipboard', 'no chat model: the prompt must be copied, not handed to an empty chat view');
    const clip = await vscode.env.clipboard.readText();
    assert.ok(clip.startsWith(`# Flowlens ask: run \`${RUN}\``), clip.slice(0, 80));
  });

  it('generateAskPrompt names every file it wrote and where', async () => {
    const files = (await vscode.commands.executeCommand(COMMANDS.generateAskPrompt, { runId: RUN, open: false })) as GeneratedAsk;
    const names = files.written.map((u) => path.basename(u.fsPath));
    assert.deepStrictEqual(names, ['ask.md', 'summary.md', 'copilot_init.md', 'ask.md', 'summary.md', 'copilot_init.md']);
    assert.strictEqual(files.message, `Flowlens: wrote ask.md, summary.md and copilot_init.md to .autodev/ and .autodev/runs/${RUN}/.`);
  });

  it('flowlens.ask.writeOnlyAskMd writes ask.md alone', async () => {
    const conf = vscode.workspace.getConfiguration('flowlens');
    await conf.update('ask.writeOnlyAskMd', true, vscode.ConfigurationTarget.Workspace);
    try {
      const files = (await vscode.commands.executeCommand(COMMANDS.generateAskPrompt, { runId: RUN, open: false })) as GeneratedAsk;
      assert.deepStrictEqual(files.written.map((u) => path.basename(u.fsPath)), ['ask.md', 'ask.md']);
      assert.strictEqual(files.message, `Flowlens: wrote ask.md to .autodev/ and .autodev/runs/${RUN}/.`);
    } finally {
      await conf.update('ask.writeOnlyAskMd', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('How to Produce Traces opens the shipped guide rendered', async () => {
    await vscode.commands.executeCommand(COMMANDS.openProducingTraces);
    const tab = (): vscode.Tab | undefined => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label.includes('producing-traces.md'));
    await until(() => tab() !== undefined, { what: 'a tab showing producing-traces.md' });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the Runs view says a filter is on, and Clear Filter clears it and failures-only', async () => {
    const api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as ViewsApi;
    assert.strictEqual(api.runsView.description, undefined);
    await vscode.commands.executeCommand(COMMANDS.filterRuns, 'fetch');
    assert.strictEqual(api.runsView.description, 'filtered: "fetch"');
    await vscode.commands.executeCommand(COMMANDS.showFailuresOnly);
    assert.strictEqual(api.runsView.description, 'filtered: "fetch" · failures only');
    await vscode.commands.executeCommand(COMMANDS.clearFilter);
    assert.strictEqual(api.runsView.description, undefined);
    assert.strictEqual(api.runsProvider.isFailuresOnly, false);
  });

  it('a Flowlens diagnostic says its failure class once (as the code, not again in the message)', async () => {
    const diags = await until(() => {
      const d = vscode.languages.getDiagnostics().flatMap(([, ds]) => ds).filter((x) => x.source === 'flowlens');
      return d.length ? d : undefined;
    }, { what: 'Flowlens diagnostics' });
    for (const d of diags) {
      const code = String(typeof d.code === 'object' ? d.code.value : d.code);
      assert.ok(!d.message.includes(code), `${d.message} repeats ${code}`);
      assert.match(d.message, / — .+ \(run [^)]+\)$/);
    }
  });
});
