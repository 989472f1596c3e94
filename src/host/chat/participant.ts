// The `@flowlens` chat participant: its slash commands (/ask, /failures, /flow, /diff) and free questions, answered with the Flowlens tools and redacted, escaped trace text.
import * as vscode from 'vscode';
import { buildAskMd, fence, type AskContext } from '../../core/render/ask';
import { failuresText, findFlows, flowEventsText, runDiffText } from '../../core/render/askArtifacts';
import type { Redactor } from '../../core/render/egress/redact';
import { forMarkdown } from '../../core/render/egress/surfaces';
import { redactorFor, redactorForRuns } from '../redaction';
import type { FlowlensServices, RunRef } from '../services';
import { askContext, catalogOf, previousRun, runOrLatest } from './context';
import { PARTICIPANT_ID } from './ids';
import { writeAskFiles } from './prompt';

/**
 * A chat response part: Markdown that is never trusted (no command links run, no HTML, no theme
 * icons). Trace text inside it is either {@link forMarkdown}-escaped or fenced.
 */
export function chatMarkdown(value: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(value);
  md.isTrusted = false;
  md.supportHtml = false;
  md.supportThemeIcons = false;
  return md;
}

/** "Failures of run <id>:" with the run id escaped so no link, emphasis or code span can form. */
export function failuresHeader(runId: string, red?: Redactor): string {
  return `Failures of run ${forMarkdown(runId, red, { max: 200 })}:\n\n`;
}

/** Tool-calling rounds the participant allows per request before it stops asking the model for more. */
export const MAX_TOOL_ROUNDS = 5;

/** The Flowlens language-model tools (`contributes.languageModelTools`, tagged `flowlens`) offered to the model. */
function flowlensTools(): vscode.LanguageModelChatTool[] {
  const all = typeof vscode.lm?.tools === 'object' ? vscode.lm.tools : [];
  return all.filter((t) => t.name.startsWith('flowlens_') && t.tags.includes('flowlens'))
    .map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }));
}

/**
 * Send a prompt to the request's model with the Flowlens tools and stream the answer: a
 * tool-calling loop — each round the model may call Flowlens tools (invoked through
 * `vscode.lm.invokeTool` with the request's invocation token, so the chat shows them), their
 * results go back to it, until it answers in text or {@link MAX_TOOL_ROUNDS} rounds are used (the
 * last round offers no tools, so it must answer). Only Flowlens tools are run; any other name gets
 * an error result. False when no model answered.
 */
async function answer(request: vscode.ChatRequest, stream: vscode.ChatResponseStream, prompt: string, token: vscode.CancellationToken, red: Redactor): Promise<boolean> {
  try {
    const tools = flowlensTools();
    const offered = new Set(tools.map((t) => t.name));
    const messages: vscode.LanguageModelChatMessage[] = [vscode.LanguageModelChatMessage.User(prompt)];
    for (let round = 0; round <= MAX_TOOL_ROUNDS; round++) {
      const last = round === MAX_TOOL_ROUNDS;
      const res = await request.model.sendRequest(messages, last || !tools.length ? {} : { tools }, token);
      const calls: vscode.LanguageModelToolCallPart[] = [];
      const said: vscode.LanguageModelTextPart[] = [];
      // The model's answer is Markdown, but it read trace text: never trusted, so a link it was
      // talked into writing cannot run a command.
      for await (const part of res.stream) {
        if (part instanceof vscode.LanguageModelTextPart) { said.push(part); stream.markdown(chatMarkdown(part.value)); }
        else if (part instanceof vscode.LanguageModelToolCallPart) calls.push(part);
      }
      if (!calls.length || last || token.isCancellationRequested) return true;
      messages.push(vscode.LanguageModelChatMessage.Assistant([...said, ...calls]));
      const results: vscode.LanguageModelToolResultPart[] = [];
      for (const call of calls) {
        let content: (vscode.LanguageModelTextPart | vscode.LanguageModelPromptTsxPart | unknown)[];
        try {
          if (!offered.has(call.name)) throw new Error(`Only the Flowlens tools can be called here, not ${JSON.stringify(call.name.slice(0, 100))}.`);
          content = (await vscode.lm.invokeTool(call.name, { input: call.input, toolInvocationToken: request.toolInvocationToken }, token)).content;
        } catch (err) {
          content = [new vscode.LanguageModelTextPart(`Error: ${red.scrub(err instanceof Error ? err.message : String(err))}`)];
        }
        results.push(new vscode.LanguageModelToolResultPart(call.callId, content));
      }
      messages.push(vscode.LanguageModelChatMessage.User(results));
    }
    return true;
  } catch (err) {
    stream.markdown(chatMarkdown(`\n\n*The language model could not answer (${forMarkdown(err instanceof Error ? err.message : String(err), red, { max: 300 })}).*`));
    return false;
  }
}

/** The AskContext of a run with the run-scoped redactor's secrets (values redacted anywhere in the run). */
function scopedContext(services: FlowlensServices, refs: readonly RunRef[], base: AskContext): { red: Redactor; ctx: AskContext } {
  const red = refs.length === 1
    ? redactorFor(catalogOf(services, refs[0].folderKey), refs[0].run)
    : redactorForRuns([...new Set(refs.map((r) => r.folderKey))].map((k) => catalogOf(services, k)), refs.map((r) => r.run));
  return { red, ctx: { ...base, knownSecrets: red.options.knownSecrets } };
}

/** Run id given in the prompt (`run:<id>`), else the latest. */
function runFrom(services: FlowlensServices, prompt: string): RunRef | undefined {
  const m = /\brun[:=]\s*(\S+)/.exec(prompt);
  return runOrLatest(services, m?.[1]);
}

/**
 * `@flowlens`: `/ask` answers the latest run's ask.md; `/failures` lists failures; `/flow <name>`
 * focuses one flow; `/diff` compares the latest run with the one before. Trace text shown in the
 * chat is fenced (see ask.ts) so it renders as data.
 */
export function registerParticipant(context: vscode.ExtensionContext, services: FlowlensServices): vscode.ChatParticipant {
  const handler: vscode.ChatRequestHandler = async (request, _chat, stream, token) => {
    await services.ready;
    const ref = runFrom(services, request.prompt);
    const say = (text: string): void => stream.markdown(chatMarkdown(text));
    if (!ref) {
      say('No Flowlens runs in this workspace yet. Flowlens reads `.autodev/` (flowscribe v1) and `runs/*/trace.jsonl` (flowscribe 0.1).');
      return {};
    }
    const { red, ctx } = scopedContext(services, [ref], askContext(services, ref.folderKey));
    switch (request.command) {
      case 'failures': {
        say(failuresHeader(ref.run.id, red));
        say(fence(red.scrub(failuresText([ref.run], ctx))));
        return {};
      }
      case 'diff': {
        const prev = previousRun(services, ref);
        if (!prev) {
          say('There is no earlier run to compare with.');
          return {};
        }
        const both = scopedContext(services, [{ folderKey: ref.folderKey, run: prev }, ref], ctx);
        say(fence(both.red.scrub(runDiffText(prev, ref.run, both.ctx))));
        return {};
      }
      case 'flow': {
        const name = request.prompt.replace(/\brun[:=]\s*\S+/, '').trim();
        if (!name) {
          say('Usage: `/flow <flow name or id>`, e.g. `/flow data/fetch/minute_candles`.');
          return {};
        }
        if (!findFlows(ref.run, name).length) {
          say(fence(red.scrub(flowEventsText(ref.run, name, ctx))));
          return {};
        }
        stream.progress('Focusing on the flow…');
        const files = await writeAskFiles(context, services, ref, name);
        stream.reference(files.ask);
        await answer(request, stream, buildAskMd(ref.run, { ...ctx, flowId: name }), token, red);
        return {};
      }
      default: {
        stream.progress('Building the ask prompt for the run…');
        const files = await writeAskFiles(context, services, ref);
        stream.reference(files.ask);
        const ask = buildAskMd(ref.run, ctx);
        const extra = request.command === 'ask' || !request.prompt.trim() ? '' : `\n\n## The user's question\n${fence(request.prompt)}`;
        await answer(request, stream, ask + extra, token, red);
        return {};
      }
    }
  };
  const participant = vscode.chat.createChatParticipant(PARTICIPANT_ID, handler);
  participant.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.svg');
  return participant;
}
