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

/** Send a prompt to the request's model and stream the answer; false when no model answered. */
async function answer(request: vscode.ChatRequest, stream: vscode.ChatResponseStream, prompt: string, token: vscode.CancellationToken, red: Redactor): Promise<boolean> {
  try {
    const res = await request.model.sendRequest([vscode.LanguageModelChatMessage.User(prompt)], {}, token);
    // The model's answer is Markdown, but it read trace text: never trusted, so a link it was
    // talked into writing cannot run a command.
    for await (const part of res.text) stream.markdown(chatMarkdown(part));
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
