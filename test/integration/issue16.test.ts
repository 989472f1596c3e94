// Issue 16 ("a truthful editor", the partial polish): Ask Copilot always gives feedback,
// Generate Ask Prompt says what it wrote where and honours flowlens.ask.writeOnlyAskMd, and a
// decorated failure line offers "Ask Copilot about this failure". In the real extension host on
// the demo workspace (b7d2 v1: f-0008 fails DATA.EMPTY at trader/data/fetcher.py:15).
import * as assert from 'assert';
import * as fs from 'fs';
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

  describe('with the b7d2 run as the latest (failures at trader/data/fetcher.py:15 and trader/indicators.py:22)', () => {
    let latestFile: string;
    let saved: string | undefined;
    let folderKey: string;
    let fetcher: vscode.Uri;

    before(async () => {
      const wsFolder = vscode.workspace.workspaceFolders![0];
      folderKey = wsFolder.uri.toString();
      fetcher = vscode.Uri.file(path.join(wsFolder.uri.fsPath, 'trader', 'data', 'fetcher.py'));
      // Problems, decorations and the code action show the folder's latest run: point .autodev/latest at b7d2.
      latestFile = path.join(wsFolder.uri.fsPath, '.autodev', 'latest');
      saved = fs.existsSync(latestFile) ? fs.readFileSync(latestFile, 'utf8') : undefined;
      fs.writeFileSync(latestFile, `runs/${RUN}`);
      // A full re-read: a refresh that only moves the latest pointer announces no changed run, so
      // Problems would keep the old latest run's diagnostics (noted in docs/decisions.md, issue 16).
      (services as unknown as { reload(): void }).reload();
      await until(() => (!services.loading && services.latestRun(folderKey)?.run.id === RUN) || undefined, { what: 'b7d2 as the latest run' });
    });

    after(async () => {
      if (saved === undefined) fs.rmSync(latestFile, { force: true });
      else fs.writeFileSync(latestFile, saved);
      (services as unknown as { reload(): void }).reload();
      await until(() => (!services.loading && services.latestRun(folderKey) !== undefined && services.latestRun(folderKey)?.run.id !== RUN) || undefined, { what: 'the live run as the latest again' });
    });

    it('a Flowlens diagnostic says its failure class once (as the code, not again in the message)', async () => {
      const diags = await until(() => {
        const d = vscode.languages.getDiagnostics(fetcher).filter((x) => x.source === 'flowlens');
        return d.length ? d : undefined;
      }, { what: 'Flowlens diagnostics on fetcher.py' });
      for (const d of diags) {
        const code = String(typeof d.code === 'object' ? d.code.value : d.code);
        assert.ok(!d.message.includes(code), `${d.message} repeats ${code}`);
        assert.match(d.message, / — .+ \(run [^)]+\)$/);
      }
    });

    it('offers "Ask Copilot about this failure" at the failure line, and it asks about that flow', async () => {
      await vscode.window.showTextDocument(fetcher);
      const line = new vscode.Range(14, 0, 14, 0);
      const actions = await until(async () => {
        const got = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', fetcher, line);
        const mine = (got ?? []).filter((a) => a.title.startsWith('Ask Copilot about this failure'));
        return mine.length ? mine : undefined;
      }, { what: 'the Ask Copilot code action on fetcher.py:15' });
      assert.strictEqual(actions.length, 1, actions.map((a) => a.title).join(' | '));
      const a = actions[0];
      assert.strictEqual(a.kind?.value, vscode.CodeActionKind.QuickFix.value);
      assert.strictEqual(a.command?.command, COMMANDS.askCopilot);
      const flow = [...services.findRun(RUN)!.run.flows.values()].find((f) => f.verdict === 'failed' && f.verdictEvent?.file?.endsWith('fetcher.py'));
      assert.deepStrictEqual(a.command?.arguments?.[0], { runId: RUN, flowId: flow?.id, folderKey });
      // No action on a line without a failure.
      const none = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', fetcher, new vscode.Range(0, 0, 0, 0));
      assert.ok(!(none ?? []).some((x) => x.title.startsWith('Ask Copilot about this failure')));
      // Running it asks about that flow (no chat model here: the flow's prompt is copied).
      const how = await vscode.commands.executeCommand<string>(a.command!.command, ...(a.command!.arguments ?? []));
      assert.ok(how === 'clipboard' || how === 'chat', String(how));
      if (how === 'clipboard') assert.match(await vscode.env.clipboard.readText(), /data\/fetch\/minute_candles/);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });
});
