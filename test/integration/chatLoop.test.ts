// The chat loop, proven end to end in the real extension host (issue 17 item 3): a test-only
// extension (test/fake-model, installed next to Flowlens when FLOWLENS_TEST_EXTENSIONS names it —
// the `chat-loop` tier of scripts/test-all.sh, on code-server 4.104 = VS Code 1.104) registers a
// deterministic chat model with the stable LanguageModelChatProvider API. It asks for the Flowlens
// tool that matches the prompt when tools are offered and answers from the tool result, quoting
// its handles (run id, flow id, file:line). Facts of the demo workspace (see ai.test.ts):
//   b7d2 (v1): NVDA fetch f-0008 fails DATA.EMPTY at trader/data/fetcher.py:15; MSFT indicators
//   f-0007 raise KeyError 'ema_21' (DATA.MISSING_COLUMN) at trader/indicators.py:22;
//   c4e8 (v1, the next run): agent/decision/evaluate newly fails (BUSINESS.NO_ACTION,
//   trader/agent.py:12), data/fetch/minute_candles is fixed.
// Also here: the MCP server definition the extension offers (VS Code ≥ 1.101), started for real.
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { FlowlensApi } from '../../src/extension';
import { chatOpenArgs, failingSourceFile } from '../../src/host/chat/askCopilot';
import { TOOLS } from '../../src/host/chat/ids';
import { MAX_TOOL_ROUNDS } from '../../src/host/chat/participant';

const EXTENSION_ID = 'flowlens.flowlens';
const FAKE_VENDOR = 'flowlens-fake';
const SECRETS = ['sk-live-DO-NOT-LEAK', 'tok-123456', 'hunter2', 'DE89-3704-0044-0532-0130-00'];
const WANT_FAKE = (process.env.FLOWLENS_TEST_EXTENSIONS ?? '').includes('fake-model');

function noSecrets(text: string, where: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${s} leaked in ${where}`);
}

const textOf = (parts: readonly unknown[]): string =>
  parts.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');

async function invoke(name: string, input: object): Promise<string> {
  const res = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
  return textOf(res.content);
}

function includesAll(text: string, needles: string[], where: string): void {
  for (const n of needles) assert.ok(text.includes(n), `${where} should include ${JSON.stringify(n)}:\n${text.slice(0, 1500)}`);
}

describe('chat loop (fake model, VS Code ≥ 1.104)', function () {
  this.timeout(60000);
  let api: FlowlensApi;
  let model: vscode.LanguageModelChat;
  /** The v1 b7d2 run and the v1 c4e8 run after it. */
  let RUN: string;
  let NEXT: string;

  before(async function () {
    // Never skipped: the integration-1.104 tier installs the fake model; the 1.100 tier leaves this
    // suite out by name (FLOWLENS_GREP_INVERT in scripts/test-all.sh).
    assert.ok(WANT_FAKE, 'FLOWLENS_TEST_EXTENSIONS must name test/fake-model (the integration-1.104 tier sets it; VS Code ≥ 1.104)');
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    api = (await ext.activate()) as FlowlensApi;
    await api.services.ready;
    const v1 = (id: string) => api.services.allRuns().find((r) => r.run.id.includes(id) && r.run.dialect === 'flowscribe-v1');
    RUN = v1('b7d2')!.run.id;
    NEXT = v1('c4e8')!.run.id;
    assert.ok(RUN && NEXT, 'the v1 b7d2 and c4e8 runs are loaded');
    assert.ok(vscode.extensions.getExtension('flowlens-test.fake-model'), 'test/fake-model is installed in this profile');
    const models = await vscode.lm.selectChatModels({ vendor: FAKE_VENDOR });
    assert.strictEqual(models.length, 1, `one fake model, got ${JSON.stringify(models.map((m) => m.id))}`);
    model = models[0];
  });

  it('every Flowlens LM tool answers through vscode.lm.invokeTool with the real trace facts', async () => {
    const live = new Set(vscode.lm.tools.map((t) => t.name));
    for (const t of Object.values(TOOLS)) assert.ok(live.has(t), `${t} not in vscode.lm.tools`);
    const results: Record<string, string> = {
      [TOOLS.runSummary]: await invoke(TOOLS.runSummary, { runId: RUN }),
      [TOOLS.failures]: await invoke(TOOLS.failures, { runId: RUN }),
      [TOOLS.flowEvents]: await invoke(TOOLS.flowEvents, { runId: RUN, flow: 'data/fetch/minute_candles' }),
      [TOOLS.rollups]: await invoke(TOOLS.rollups, {}),
    };
    assert.deepStrictEqual(Object.keys(results).sort(), Object.values(TOOLS).sort(), 'every tool was invoked');
    includesAll(results[TOOLS.runSummary], [RUN, 'DATA.EMPTY', 'vendor returned 0 rows for NVDA'], 'runSummary');
    includesAll(results[TOOLS.failures], [RUN, 'f-0008', 'DATA.EMPTY', 'trader/data/fetcher.py:15', 'f-0007', 'DATA.MISSING_COLUMN', 'trader/indicators.py:22'], 'failures');
    includesAll(results[TOOLS.flowEvents], ['f-0008', 'vendor returned 0 rows for NVDA', 'trader/data/fetcher.py:15'], 'flowEvents');
    includesAll(results[TOOLS.rollups], ['data/fetch/minute_candles', 'indicators/ema/compute', 'p95'], 'rollups');
    for (const [name, text] of Object.entries(results)) noSecrets(text, name);
    // A bad input is the tool's error, seen by the model, not a crash.
    await assert.rejects(invoke(TOOLS.flowEvents, { runId: RUN }), /"flow"/);
  });

  it('the fake model asks for a Flowlens tool and answers from its result (lm.sendRequest → lm.invokeTool → answer)', async () => {
    const tools = vscode.lm.tools.filter((t) => t.name.startsWith('flowlens_'));
    const ask = vscode.LanguageModelChatMessage.User(`run:${RUN} why did the NVDA fetch fail?`);
    const first = await model.sendRequest([ask], { tools }, new vscode.CancellationTokenSource().token);
    const calls: vscode.LanguageModelToolCallPart[] = [];
    for await (const p of first.stream) if (p instanceof vscode.LanguageModelToolCallPart) calls.push(p);
    assert.strictEqual(calls.length, 1);
    assert.strictEqual(calls[0].name, TOOLS.failures);
    assert.deepStrictEqual(calls[0].input, { runId: RUN });
    const result = await vscode.lm.invokeTool(calls[0].name, { input: calls[0].input, toolInvocationToken: undefined });
    const second = await model.sendRequest([
      ask,
      vscode.LanguageModelChatMessage.Assistant([calls[0]]),
      vscode.LanguageModelChatMessage.User([new vscode.LanguageModelToolResultPart(calls[0].callId, result.content)]),
    ], { tools }, new vscode.CancellationTokenSource().token);
    let answer = '';
    for await (const t of second.text) answer += t;
    includesAll(answer, [`From ${TOOLS.failures}`, RUN, 'f-0008', 'f-0007', 'trader/data/fetcher.py:15', 'trader/indicators.py:22'], 'the answer');
  });

  /** Calls the @flowlens participant's handler (what the chat view calls) with the fake model selected. */
  async function chat(command: string | undefined, prompt: string, withModel: vscode.LanguageModelChat = model): Promise<string> {
    const handler = api.ai.participant?.requestHandler;
    assert.ok(handler, 'the @flowlens participant is registered');
    const parts: string[] = [];
    const stream = new Proxy({} as Record<string, unknown>, {
      get: (_t, name: string) => (...args: unknown[]) => {
        const v = args[0];
        if (name === 'markdown') parts.push(v instanceof vscode.MarkdownString ? v.value : String(v));
      },
    }) as unknown as vscode.ChatResponseStream;
    const request = { prompt, command, references: [], toolReferences: [], toolInvocationToken: undefined, model: withModel } as unknown as vscode.ChatRequest;
    await handler(request, { history: [] } as unknown as vscode.ChatContext, stream, new vscode.CancellationTokenSource().token);
    const text = parts.join('');
    noSecrets(text, `@flowlens ${command ? '/' + command : ''} ${prompt}`);
    return text;
  }

  it('@flowlens /ask: the model reads the run summary tool and answers with its handles', async () => {
    const text = await chat('ask', `run:${RUN}`);
    includesAll(text, [`From ${TOOLS.runSummary}`, RUN, 'trader/data/fetcher.py:15'], '/ask');
  });

  it('@flowlens free question: the model calls the failures tool and cites run, flow ids and file:line', async () => {
    const text = await chat(undefined, `run:${RUN} why did the NVDA fetch fail?`);
    includesAll(text, [`From ${TOOLS.failures}`, RUN, 'f-0008', 'trader/data/fetcher.py:15', 'f-0007', 'trader/indicators.py:22'], 'free question');
  });

  it('@flowlens /flow: the model reads the flow\'s events through the tool', async () => {
    const text = await chat('flow', `run:${RUN} data/fetch/minute_candles`);
    includesAll(text, [`From ${TOOLS.flowEvents}`, 'f-0008', 'trader/data/fetcher.py:15'], '/flow');
  });

  it('@flowlens /failures: the listing is the flowlens_failures tool result (no model needed)', async () => {
    const text = await chat('failures', `run:${RUN}`);
    const tool = await invoke(TOOLS.failures, { runId: RUN });
    for (const line of tool.split('\n').filter((l) => l.trim())) assert.ok(text.includes(line), `/failures lacks the tool line ${line}`);
    includesAll(text, ['f-0008', 'trader/data/fetcher.py:15'], '/failures');
  });

  it('@flowlens /diff: the run against the one before it; every changed flow with its handles (run, flow id, file:line, time; no model needed)', async () => {
    const text = await chat('diff', `run:${NEXT}`);
    includesAll(text, [`${RUN} (failed) → ${NEXT} (failed)`, 'agent/decision/evaluate', 'new BUSINESS.NO_ACTION', 'data/fetch/minute_candles', 'gone DATA.EMPTY'], '/diff');
    // Each claim carries its evidence (issue 17 item 5): the instance that newly fails and the
    // one that no longer does, by run id, flow id and the source line that reported it.
    includesAll(text, [
      `now: run ${NEXT} flow f-0012 failed BUSINESS.NO_ACTION at trader/agent.py:12 (`,
      `was: run ${RUN} flow f-0008 failed DATA.EMPTY at trader/data/fetcher.py:15 (`,
      `was: run ${RUN} flow f-0007 exception DATA.MISSING_COLUMN at trader/indicators.py:22 (`,
      `flow ids: run ${RUN} f-0005; run ${NEXT} f-0005, f-0009`,
    ], '/diff handles');
    // Every changed flow line is followed by at least one handle line.
    const lines = text.split('\n');
    lines.forEach((l, i) => {
      if (/^[\w./-]+: \d+→\d+ instance\(s\)/.test(l)) assert.match(lines[i + 1] ?? '', /^ {2}(was|now|flow ids): run /, `no handle under ${l}`);
    });
  });

  it('Ask Copilot opens chat in agent mode with ask.md and the failing source file attached (issue 17 item 4)', async () => {
    const ref = api.services.findRun(RUN);
    assert.ok(ref, 'the b7d2 run');
    // The flow's failure, and the run's first failure: source files inside the workspace.
    const flowSource = failingSourceFile(api.services, ref, 'f-0008');
    assert.ok(flowSource?.path.endsWith('/trader/data/fetcher.py'), String(flowSource));
    const runSource = failingSourceFile(api.services, ref);
    assert.match(String(runSource?.path), /\/trader\/(indicators|data\/fetcher)\.py$/);
    const ask = vscode.Uri.file('/tmp/ask.md');
    const args = chatOpenArgs(ask, RUN, flowSource);
    assert.strictEqual(args.mode, 'agent');
    assert.strictEqual(args.isPartialQuery, true);
    assert.deepStrictEqual(args.attachFiles.map(String), [String(ask), String(flowSource)]);
    assert.match(args.query, new RegExp(`ask file and the failing source file for run ${RUN}:`));
    assert.deepStrictEqual(chatOpenArgs(ask, RUN).attachFiles.map(String), [String(ask)], 'no source: ask.md alone');
    // With a chat model (the fake one) the command opens the chat view with those options
    // (VS Code 1.104 accepts attachFiles and mode) instead of copying to the clipboard.
    const result = await vscode.commands.executeCommand('flowlens.askCopilot', { runId: RUN, flowId: 'f-0008' });
    assert.strictEqual(result, 'chat');
  });

  it(`the participant's tool loop stops after ${MAX_TOOL_ROUNDS} rounds and runs only Flowlens tools`, async () => {
    const requests: { tools: number; lastUser: string }[] = [];
    const greedy = {
      ...model,
      sendRequest: async (messages: vscode.LanguageModelChatMessage[], options?: vscode.LanguageModelChatRequestOptions) => {
        const last = messages[messages.length - 1];
        requests.push({
          tools: options?.tools?.length ?? 0,
          lastUser: last.content.map((p) => (p instanceof vscode.LanguageModelToolResultPart ? textOf(p.content) : '')).join(''),
        });
        const n = requests.length;
        return {
          text: (async function* () { /* none */ })(),
          stream: (async function* () {
            yield n % 2 ? new vscode.LanguageModelToolCallPart(`c${n}`, 'evil_writeFile', { path: '/etc/passwd' })
              : new vscode.LanguageModelToolCallPart(`c${n}`, TOOLS.runSummary, { runId: RUN });
          })(),
        };
      },
    } as unknown as vscode.LanguageModelChat;
    await chat(undefined, `run:${RUN} loop forever`, greedy);
    assert.strictEqual(requests.length, MAX_TOOL_ROUNDS + 1, 'rounds');
    assert.ok(requests.slice(0, -1).every((r) => r.tools === Object.keys(TOOLS).length), 'the Flowlens tools are offered');
    assert.strictEqual(requests[requests.length - 1].tools, 0, 'the last round offers no tools');
    assert.match(requests[1].lastUser, /Only the Flowlens tools can be called here/);
    assert.ok(requests[2].lastUser.includes(RUN), 'a Flowlens tool result went back to the model');
  });

  it('the extension offers `flowlens mcp` for the folder as an MCP server definition, and that server answers list_runs', async () => {
    assert.ok(api.mcp.registered, 'registerMcpServerDefinitionProvider took the provider');
    const defs = api.mcp.provider!.provideMcpServerDefinitions();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    assert.strictEqual(defs.length, 1);
    const def = defs[0];
    const Ctor = (vscode as unknown as { McpStdioServerDefinition: new (...a: never[]) => object }).McpStdioServerDefinition;
    assert.ok(def instanceof Ctor, 'a vscode.McpStdioServerDefinition');
    assert.strictEqual(def.command, process.execPath);
    assert.deepStrictEqual(def.args.slice(1), ['mcp', '--root', folder]);
    assert.ok(def.args[0].endsWith('dist/cli.js') && fs.existsSync(def.args[0]), def.args[0]);
    const transport = new StdioClientTransport({
      command: def.command, args: def.args, cwd: def.cwd?.fsPath,
      env: { ...(process.env as Record<string, string>), ...(def.env as Record<string, string>) }, stderr: 'pipe',
    });
    const client = new Client({ name: 'flowlens-chat-loop-test', version: '0.0.0' });
    await client.connect(transport);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      includesAll(tools.join(' '), ['list_runs', 'failures', 'flow_events'], 'tools/list');
      const res = await client.callTool({ name: 'list_runs', arguments: {} });
      const text = (res.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('');
      includesAll(text, [RUN, NEXT], 'list_runs');
      noSecrets(text, 'list_runs');
    } finally {
      await client.close();
    }
  });
});
