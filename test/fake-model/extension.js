// Test-only extension: a deterministic fake chat model (vendor "flowlens-fake", model id
// "flowlens-fake-1") for the in-host chat-loop tests, with the stable LanguageModelChatProvider
// API (VS Code ≥ 1.104). Installed next to Flowlens in the in-host profile by
// test/e2e/codeserver.js when FLOWLENS_TEST_EXTENSIONS names this folder.
//
// Also the default chat participant the chat view needs before it sends anything (see activate).
// Proposed APIs (package.json enabledApiProposals; code-server starts with --enable-proposed-api
// for this extension, test/e2e/codeserver.js): defaultChatParticipant, chatProvider.
//
// Behaviour, per request:
//  - tools offered and no tool result yet in the conversation → one tool call: the Flowlens tool
//    that matches the question (rules in pickTool), with the run id and flow name from the prompt;
//  - a tool result present → a text answer built only from the tool results: the tool name and
//    the handles found in them (run ids, flow ids, file:line), then the first line of each result;
//  - no tools offered → a text answer saying so, quoting the prompt's first line.
// Gotcha: never await lm.selectChatModels() in activate(): it waits for this activation.
// @ts-check
'use strict';
const vscode = require('vscode');

const VENDOR = 'flowlens-fake';
const MODEL = {
  id: 'flowlens-fake-1', name: 'Flowlens fake model', family: 'flowlens-fake', version: '1',
  maxInputTokens: 1000000, maxOutputTokens: 100000, capabilities: { toolCalling: true },
  // Proposed (chatProvider, enabled for this test extension only): listed in the chat view's model
  // picker and picked by default there, so a request typed into the chat view runs on this model.
  isUserSelectable: true, isDefault: true,
};

/** @param {unknown} part */
const textOf = part => {
  const p = /** @type {{value?: unknown, content?: unknown[]}} */ (part);
  if (typeof p?.value === 'string') return p.value;
  if (Array.isArray(p?.content)) return p.content.map(textOf).join('');
  return '';
};
/** @param {unknown} part */
const isToolResult = part => !!part && typeof part === 'object' && 'callId' in part && 'content' in part;
/** @param {unknown} part */
const isToolCall = part => !!part && typeof part === 'object' && 'callId' in part && 'name' in part && 'input' in part;

/**
 * The question and the handles a prompt gives (the participant sends ask.md, optionally followed
 * by "## The user's question"; a direct caller may send just the question).
 * @param {string} prompt
 */
function parsePrompt(prompt) {
  const q = /## The user's question\s*\n([\s\S]*)$/.exec(prompt);
  const question = (q ? q[1] : prompt.split('\n')[0]).replace(/```\w*/g, '').trim();
  const runId = /\brun[:=\s]+`?([0-9A-Za-z][\w.:-]*)`?/.exec(question)?.[1] ?? /^# Flowlens ask: run `([^`]+)`/m.exec(prompt)?.[1];
  const flow = /\bflow[:=\s]+`?([\w./-]+)`?/.exec(question)?.[1] ?? /Focus: flow `([^`]+)`/.exec(prompt)?.[1];
  return { question, runId, flow };
}

/**
 * The Flowlens tool for a question (first rule that matches):
 * a flow named → flow events; slow/latency/p95/SLA/rollup → rollups; fail/error/why/broke/crash → failures; else the run summary.
 * @param {readonly vscode.LanguageModelChatTool[]} tools
 * @param {{question: string, runId?: string, flow?: string}} p
 */
function pickTool(tools, p) {
  const has = (/** @type {string} */ n) => tools.some(t => t.name === n);
  const run = p.runId ? { runId: p.runId } : {};
  if (p.flow && has('flowlens_flowEvents')) return { name: 'flowlens_flowEvents', input: { ...run, flow: p.flow } };
  if (/\b(slow|latency|p95|sla|rollups?)\b/i.test(p.question) && has('flowlens_rollups')) return { name: 'flowlens_rollups', input: run };
  if (/\b(fail\w*|errors?|why|broke\w*|crash\w*)\b/i.test(p.question) && has('flowlens_failures')) return { name: 'flowlens_failures', input: run };
  if (has('flowlens_runSummary')) return { name: 'flowlens_runSummary', input: run };
  const any = tools.find(t => t.name.startsWith('flowlens_'));
  return any ? { name: any.name, input: run } : undefined;
}

/**
 * Handles quoted in an answer: run ids, flow ids, file:line (deduplicated, in order).
 * @param {string} text
 */
function handles(text) {
  const runs = new Set(text.match(/\b\d{8}T\d{6}Z-[0-9a-z]+\b/g) ?? []);
  const flows = new Set([...text.matchAll(/"flow_id"\s*:\s*"([^"]{1,80})"/g)].map(m => m[1]));
  for (const m of text.match(/\bf-\d{3,}\b/g) ?? []) flows.add(m);
  const at = new Set(text.match(/[\w][\w./-]*\.\w+:\d+/g) ?? []);
  return { runs: [...runs], flows: [...flows], at: [...at] };
}

/** @type {vscode.LanguageModelChatProvider} */
const provider = {
  provideLanguageModelChatInformation: () => [MODEL],
  async provideLanguageModelChatResponse(_model, messages, options, progress) {
    const parts = messages.flatMap(m => [...m.content]);
    const calls = new Map(parts.filter(isToolCall).map(p => {
      const c = /** @type {vscode.LanguageModelToolCallPart} */ (p);
      return [c.callId, c.name];
    }));
    const results = parts.filter(isToolResult);
    const prompt = messages.filter(m => m.role === vscode.LanguageModelChatMessageRole.User)
      .map(m => m.content.filter(p => !isToolResult(p)).map(textOf).join('')).join('\n');
    const tools = options.tools ?? [];
    if (results.length === 0 && tools.length > 0) {
      const pick = pickTool(tools, parsePrompt(prompt));
      if (pick) {
        progress.report(new vscode.LanguageModelToolCallPart(`fake-call-${Date.now()}`, pick.name, pick.input));
        return;
      }
    }
    if (results.length === 0) {
      progress.report(new vscode.LanguageModelTextPart(`Fake model: no tool was offered. Prompt: ${prompt.split('\n')[0].slice(0, 200)}`));
      return;
    }
    for (const r of results) {
      const callId = /** @type {{callId: string}} */ (r).callId;
      const text = textOf(r);
      const h = handles(text);
      progress.report(new vscode.LanguageModelTextPart(
        `From ${calls.get(callId) ?? 'a tool'}: runs ${h.runs.join(', ') || '-'}; flows ${h.flows.slice(0, 20).join(', ') || '-'};` +
        ` at ${h.at.slice(0, 20).join(', ') || '-'}.\n` +
        `First line of the result: ${text.split('\n').find(l => l.trim())?.slice(0, 300) ?? '(empty)'}\n`));
    }
  },
  async provideTokenCount(_model, text) {
    return Math.ceil((typeof text === 'string' ? text : text.content.map(textOf).join('')).length / 4);
  },
};

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  context.subscriptions.push(vscode.lm.registerLanguageModelChatProvider(VENDOR, provider));
  // The chat view sends nothing until a *default* participant exists (VS Code 1.104 waits for
  // one; Copilot provides it in real use). This one (proposed defaultChatParticipant, test
  // extension only) only answers requests not addressed to a participant; `@flowlens …` goes to
  // Flowlens.
  const fallback = vscode.chat.createChatParticipant('flowlens-test.default', (request, _ctx, stream) => {
    stream.markdown(`Fake default participant: no participant was named. Prompt: ${request.prompt.slice(0, 200)}`);
  });
  context.subscriptions.push(fallback);
  return { VENDOR, MODEL_ID: MODEL.id, pickTool, parsePrompt, handles };
}

module.exports = { activate, deactivate() {} };
