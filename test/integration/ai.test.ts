// The AI hand-off in the real extension host, on the demo workspace (a copy of
// test/fixtures/demo-app). Expectations read by hand from the traces:
//   b7d2 (2026-11-19): NVDA fetch f-0008 fails DATA.EMPTY "vendor returned 0 rows for NVDA" at
//   trader/data/fetcher.py:15; MSFT indicators f-0007 raise KeyError 'ema_21'
//   (DATA.MISSING_COLUMN) at trader/indicators.py:22. The traces hold planted secrets that must
//   never come out: sk-live-DO-NOT-LEAK, tok-123456, hunter2, DE89-3704-0044-0532-0130-00.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AiApi } from '../../src/host/chat/register';
import { COMMANDS } from '../../src/host/commands';
import { PARTICIPANT_ID, TOOLS } from '../../src/host/chat/ids';
import type { AskFiles } from '../../src/host/chat/prompt';
import type { FlowlensServices } from '../../src/host/services';
import { OWN_MARK, stripOwnMark } from '../../src/core/read/ingress/safeWrite';

const EXTENSION_ID = 'flowlens.flowlens';
const SECRETS = ['sk-live-DO-NOT-LEAK', 'tok-123456', 'hunter2', 'DE89-3704-0044-0532-0130-00'];

function noSecrets(text: string, where: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${s} leaked in ${where}`);
}

async function read(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

async function invoke(name: string, input: object): Promise<string> {
  const res = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
  return res.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
}

describe('ai', function () {
  this.timeout(60000);
  let api: { services: FlowlensServices; ai?: AiApi };
  /** The v1 b7d2 run (its 0.1 twin may carry the same folder name, so pick by dialect). */
  let RUN: string;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    api = (await ext.activate()) as typeof api;
    await api.services.ready;
    const ref = api.services.allRuns().find((r) => r.run.id.includes('b7d2') && r.run.dialect === 'flowscribe-v1');
    assert.ok(ref, 'the v1 b7d2 run is loaded');
    RUN = ref.run.id;
  });

  it('declares and registers its commands, participant and tools', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const pkg = JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.json'), 'utf8'));
    const declared = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of [COMMANDS.generateAskPrompt, COMMANDS.askCopilot]) {
      assert.ok(declared.has(c), `${c} missing from package.json`);
      assert.ok(registered.has(c), `${c} not registered`);
    }
    assert.deepStrictEqual(pkg.contributes.chatParticipants.map((p: { id: string }) => p.id), [PARTICIPANT_ID]);
    assert.deepStrictEqual(
      pkg.contributes.chatParticipants[0].commands.map((c: { name: string }) => c.name),
      ['ask', 'failures', 'flow', 'diff'],
    );
    const toolNames = pkg.contributes.languageModelTools.map((t: { name: string }) => t.name).sort();
    assert.deepStrictEqual(toolNames, Object.values(TOOLS).sort());
    const live = new Set(vscode.lm.tools.map((t) => t.name));
    for (const t of Object.values(TOOLS)) assert.ok(live.has(t), `${t} not in vscode.lm.tools`);
    assert.strictEqual(api.ai?.participant?.id, PARTICIPANT_ID, 'activate() should export { ai } with the participant');
  });

  it('generateAskPrompt writes a redacted ask.md, summary.md and copilot_init.md for a run', async () => {
    const files = (await vscode.commands.executeCommand(COMMANDS.generateAskPrompt, { runId: RUN, open: false })) as AskFiles;
    assert.ok(files?.ask, 'the command returns the written files');
    const written = await read(files.ask);
    // Flowlens marks the files it writes (never replaces a file without the mark: issue 13).
    assert.ok(written.startsWith(`${OWN_MARK}\n`), written.slice(0, 80));
    const ask = stripOwnMark(written);
    assert.ok(ask.startsWith(`# Flowlens ask: run \`${RUN}\``), ask.slice(0, 80));
    for (const h of ['## Goal', '## Run', '## Flow sketch', '## Top issues', '## SLA breaches', '## Trace excerpt', '## The ask']) assert.ok(ask.includes(`\n${h}\n`), h);
    assert.ok(ask.includes('reason:      vendor returned 0 rows for NVDA'));
    assert.ok(ask.includes('at:          trader/data/fetcher.py:15'));
    assert.ok(Buffer.byteLength(ask) <= 12288);
    noSecrets(ask, 'ask.md');
    noSecrets(await read(files.summary), 'summary.md');
    assert.ok(stripOwnMark(await read(files.copilotInit)).startsWith('# Using Flowlens files with Copilot'));
    // Issue: written to .autodev/ask.md and to the run folder (same bytes).
    assert.ok(files.ask.fsPath.endsWith(`${path.sep}.autodev${path.sep}ask.md`), files.ask.fsPath);
    const runCopy = vscode.Uri.file(path.join(path.dirname(files.ask.fsPath), 'runs', RUN, 'ask.md'));
    assert.strictEqual(await read(runCopy), written, 'the run folder holds the same ask.md');
  });

  it('generateAskPrompt focuses on one flow when given flowId', async () => {
    const files = (await vscode.commands.executeCommand(COMMANDS.generateAskPrompt, { runId: RUN, flowId: 'f-0008', open: false })) as AskFiles;
    const ask = await read(files.ask);
    assert.ok(ask.includes('`data/fetch/minute_candles` failed'));
    assert.ok(!ask.includes('### 1. `indicators/ema/compute`'), 'other flows\' issues are left out');
  });

  it('never writes a planted secret for any run, in either dialect', async () => {
    const runs = api.services.allRuns();
    assert.ok(runs.some((r) => r.run.dialect === 'flowscribe-0.1'), 'the 0.1 runs are loaded');
    for (const r of runs) {
      const files = (await vscode.commands.executeCommand(COMMANDS.generateAskPrompt, { runId: r.run.id, folderKey: r.folderKey, open: false })) as AskFiles;
      noSecrets(await read(files.ask), `ask.md of ${r.run.id}`);
      noSecrets(await read(files.summary), `summary.md of ${r.run.id}`);
    }
  });

  it('askCopilot opens chat with the file, or copies the prompt and says so', async () => {
    const how = await vscode.commands.executeCommand<string>(COMMANDS.askCopilot, { runId: RUN });
    assert.ok(how === 'chat' || how === 'clipboard', String(how));
    if (how === 'clipboard') {
      const clip = await vscode.env.clipboard.readText();
      assert.ok(clip.startsWith(`# Flowlens ask: run \`${RUN}\``));
      noSecrets(clip, 'clipboard');
    }
  });

  it('tool: run summary', async () => {
    const out = await invoke(TOOLS.runSummary, { runId: RUN });
    assert.ok(out.includes('8 flow(s) started and 8 ended: 6 succeeded, 1 failed, 1 raised an exception'), out.slice(0, 400));
    noSecrets(out, TOOLS.runSummary);
  });

  it('tool: failures', async () => {
    const out = await invoke(TOOLS.failures, { runId: RUN });
    const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    // Newest failure first, as the Failures view lists them (analyze/queries.ts failures 'newest').
    assert.deepStrictEqual(lines.map((l) => [l.flow_id, l.class, l.at]), [
      ['f-0008', 'DATA.EMPTY', 'trader/data/fetcher.py:15'],
      ['f-0007', 'DATA.MISSING_COLUMN', 'trader/indicators.py:22'],
    ]);
    noSecrets(await invoke(TOOLS.failures, {}), TOOLS.failures);
  });

  it('tool: flow events (redacted, capped)', async () => {
    const out = await invoke(TOOLS.flowEvents, { runId: RUN, flow: 'orders/submit' });
    assert.ok(out.includes('"password":"[REDACTED]"') && out.includes('"account_number":"[REDACTED]"'), out);
    noSecrets(out, TOOLS.flowEvents);
    const capped = await invoke(TOOLS.flowEvents, { runId: RUN, flow: 'data/fetch/minute_candles', limit: 2 });
    assert.strictEqual(capped.split('\n').filter((l) => l.startsWith('{')).length, 2);
  });

  it('tool: rollups', async () => {
    const out = await invoke(TOOLS.rollups, { runId: RUN });
    assert.ok(out.includes('data/fetch/minute_candles: 3 instance(s), 2 ok, 1 failed'), out);
  });

  it('tools reject invalid input', async () => {
    await assert.rejects(invoke(TOOLS.flowEvents, { runId: RUN }));
    await assert.rejects(invoke(TOOLS.failures, { limit: 0 }));
  });
});
