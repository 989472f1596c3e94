import * as vscode from 'vscode';
import { buildAskMd, fence } from '../../trace/ask';
import { failuresText, findFlows, flowEventsText, runDiffText } from '../../trace/askArtifacts';
import type { FlowlensServices, RunRef } from '../services';
import { askContext, previousRun, runOrLatest } from './context';
import { PARTICIPANT_ID } from './ids';
import { writeAskFiles } from './prompt';

/** Send a prompt to the request's model and stream the answer; false when no model answered. */
async function answer(request: vscode.ChatRequest, stream: vscode.ChatResponseStream, prompt: string, token: vscode.CancellationToken): Promise<boolean> {
  try {
    const res = await request.model.sendRequest([vscode.LanguageModelChatMessage.User(prompt)], {}, token);
    for await (const part of res.text) stream.markdown(part);
    return true;
  } catch (err) {
    stream.markdown(`\n\n*The language model could not answer (${err instanceof Error ? err.message : String(err)}).*`);
    return false;
  }
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
    if (!ref) {
      stream.markdown('No Flowlens runs in this workspace yet. Flowlens reads `.autodev/` (flowscribe v1) and `runs/*/trace.jsonl` (flowscribe 0.1).');
      return {};
    }
    const ctx = askContext(services, ref.folderKey);
    switch (request.command) {
      case 'failures': {
        stream.markdown(`Failures of run \`${ref.run.id.replace(/`/g, '')}\`:\n\n`);
        stream.markdown(fence(failuresText([ref.run], ctx)));
        return {};
      }
      case 'diff': {
        const prev = previousRun(services, ref);
        if (!prev) {
          stream.markdown('There is no earlier run to compare with.');
          return {};
        }
        stream.markdown(fence(runDiffText(prev, ref.run, ctx)));
        return {};
      }
      case 'flow': {
        const name = request.prompt.replace(/\brun[:=]\s*\S+/, '').trim();
        if (!name) {
          stream.markdown('Usage: `/flow <flow name or id>`, e.g. `/flow data/fetch/minute_candles`.');
          return {};
        }
        if (!findFlows(ref.run, name).length) {
          stream.markdown(fence(flowEventsText(ref.run, name, ctx)));
          return {};
        }
        stream.progress(`Focusing on ${name}…`);
        const files = await writeAskFiles(context, services, ref, name);
        stream.reference(files.ask);
        await answer(request, stream, buildAskMd(ref.run, { ...ctx, flowId: name }), token);
        return {};
      }
      default: {
        stream.progress(`Building the ask prompt for run ${ref.run.id}…`);
        const files = await writeAskFiles(context, services, ref);
        stream.reference(files.ask);
        const ask = buildAskMd(ref.run, ctx);
        const extra = request.command === 'ask' || !request.prompt.trim() ? '' : `\n\n## The user's question\n${fence(request.prompt)}`;
        await answer(request, stream, ask + extra, token);
        return {};
      }
    }
  };
  const participant = vscode.chat.createChatParticipant(PARTICIPANT_ID, handler);
  participant.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.svg');
  return participant;
}
