// The Flowlens language-model tools (runs, failures, flow events, rollups) that Copilot agent mode and the participant call; every result redacted with the run's secrets and ra.yaml keys.
import * as vscode from 'vscode';
import type { AskContext } from '../../core/render/ask';
import { failuresText, flowEventsText, rollupsText, runSummaryText } from '../../core/render/askArtifacts';
import type { Redactor } from '../../core/render/egress/redact';
import { forMarkdown, neutralizeLinks } from '../../core/render/egress/surfaces';
import { flowRollups } from '../../core/analyze/rollup';
import { redactorFor, redactorForRuns } from '../redaction';
import type { FlowlensServices, RunRef } from '../services';
import { askContext, catalogOf, runOrLatest, runsOf } from './context';
import { TOOLS } from './ids';

/** Input of every tool (each uses a subset); validated in {@link validate}. */
export interface ToolInput {
  runId?: string;
  flow?: string;
  limit?: number;
}

/**
 * Check an input object against the small schemas in package.json (VS Code validates too, but a
 * direct `invokeTool` caller or a future schema change must not reach the trace code unchecked).
 * Throws an Error whose message the model sees.
 */
export function validate(input: unknown, needFlow: boolean): ToolInput {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new Error('Input must be an object.');
  const o = input as Record<string, unknown>;
  const out: ToolInput = {};
  const str = (k: 'runId' | 'flow'): void => {
    const v = o[k];
    if (v === undefined) return;
    if (typeof v !== 'string' || v.length === 0 || v.length > 200) throw new Error(`"${k}" must be a non-empty string of at most 200 characters.`);
    out[k] = v;
  };
  str('runId');
  str('flow');
  if (o.limit !== undefined) {
    if (typeof o.limit !== 'number' || !Number.isInteger(o.limit) || o.limit < 1 || o.limit > 500) throw new Error('"limit" must be an integer from 1 to 500.');
    out.limit = o.limit;
  }
  if (needFlow && !out.flow) throw new Error('"flow" (a flow name or flow id) is required.');
  return out;
}

/**
 * Every tool result is redacted with the run-scoped redactor of the runs it is about, built with
 * the folder's own ra.yaml keys (`runRedactor(run, {redactKeys, payloadLimit})`): its known
 * secrets go into the AskContext the text builders redact with, and the finished text is scrubbed
 * once more (rollups are built without a context at all).
 */
interface Scoped {
  red: Redactor;
  ctx: AskContext;
}

function scoped(services: FlowlensServices, refs: readonly RunRef[], ctx: AskContext): Scoped {
  const folders = [...new Set(refs.map((r) => r.folderKey))];
  const red = refs.length === 1
    ? redactorFor(catalogOf(services, refs[0].folderKey), refs[0].run)
    : redactorForRuns(folders.map((k) => catalogOf(services, k)), refs.map((r) => r.run));
  const keys = new Set<string>([...(ctx.redactKeys ?? []), ...(red.options.redactKeys ?? [])]);
  return { red, ctx: { ...ctx, redactKeys: [...keys], knownSecrets: red.options.knownSecrets } };
}

// The texts are built link-free (askArtifacts.ts); the last scrub and neutraliser pass here is
// idempotent and keeps any future builder from handing the chat a live link (red-team r9).
const text = (red: Redactor, s: string): vscode.LanguageModelToolResult =>
  new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(neutralizeLinks(red.scrub(s)))]);

/** What the chat shows while a tool runs: inert Markdown (the model may have copied trace text into the input). */
function invocation(s: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(forMarkdown(s, undefined, { max: 300 }));
  md.isTrusted = false;
  md.supportHtml = false;
  md.supportThemeIcons = false;
  return md;
}

function needRun(services: FlowlensServices, input: ToolInput): RunRef {
  const ref = runOrLatest(services, input.runId);
  if (!ref) throw new Error(input.runId ? `No run ${JSON.stringify(input.runId.slice(0, 200))} in this workspace.` : 'No runs in this workspace.');
  return ref;
}

const runLabel = (input: ToolInput): string => (typeof input.runId === 'string' ? `run ${input.runId}` : 'the latest run');

/** Register the four Flowlens tools; ids match `contributes.languageModelTools`. */
export function registerTools(services: FlowlensServices): vscode.Disposable[] {
  const t = buildTools(services);
  return [
    vscode.lm.registerTool(TOOLS.runSummary, t.runSummary),
    vscode.lm.registerTool(TOOLS.failures, t.failures),
    vscode.lm.registerTool(TOOLS.flowEvents, t.flowEvents),
    vscode.lm.registerTool(TOOLS.rollups, t.rollups),
  ];
}

/** The four tools by their key in {@link TOOLS} (unit tests invoke them directly). */
export function buildTools(services: FlowlensServices): Record<keyof typeof TOOLS, vscode.LanguageModelTool<ToolInput>> {
  const summary: vscode.LanguageModelTool<ToolInput> = {
    prepareInvocation: (o) => ({ invocationMessage: invocation(`Reading the Flowlens summary of ${runLabel(o.input ?? {})}`) }),
    async invoke(o) {
      const input = validate(o.input, false);
      await services.ready;
      const ref = needRun(services, input);
      const { red, ctx } = scoped(services, [ref], askContext(services, ref.folderKey));
      return text(red, runSummaryText(ref.run, ctx));
    },
  };
  const failures: vscode.LanguageModelTool<ToolInput> = {
    prepareInvocation: (o) => ({ invocationMessage: invocation(`Listing failures of ${o.input?.runId ? runLabel(o.input) : 'all runs'}`) }),
    async invoke(o) {
      const input = validate(o.input, false);
      await services.ready;
      if (input.runId) {
        const ref = needRun(services, input);
        const { red, ctx } = scoped(services, [ref], askContext(services, ref.folderKey));
        return text(red, failuresText([ref.run], ctx, { limit: input.limit }));
      }
      const refs = runsOf(services);
      const key = refs[0]?.folderKey;
      const { red, ctx } = scoped(services, refs, key ? askContext(services, key) : {});
      return text(red, failuresText(refs.map((r) => r.run), ctx, { limit: input.limit }));
    },
  };
  const flowEvents: vscode.LanguageModelTool<ToolInput> = {
    prepareInvocation: (o) => ({ invocationMessage: invocation(`Reading events of flow ${typeof o.input?.flow === 'string' ? o.input.flow : '?'} in ${runLabel(o.input ?? {})}`) }),
    async invoke(o) {
      const input = validate(o.input, true);
      await services.ready;
      const ref = needRun(services, input);
      const { red, ctx } = scoped(services, [ref], askContext(services, ref.folderKey));
      return text(red, flowEventsText(ref.run, input.flow!, ctx, { limit: input.limit }));
    },
  };
  const rollups: vscode.LanguageModelTool<ToolInput> = {
    prepareInvocation: (o) => ({ invocationMessage: invocation(`Computing Flowlens rollups over ${o.input?.runId ? runLabel(o.input) : 'all runs'}`) }),
    async invoke(o) {
      const input = validate(o.input, false);
      await services.ready;
      const refs = input.runId ? [needRun(services, input)] : runsOf(services);
      const catalog = refs[0] ? catalogOf(services, refs[0].folderKey) : undefined;
      // rollupsText redacts with default rules only: the scoped redactor adds ra.yaml's keys and
      // every value redacted anywhere in these runs (issue 13: "flowlens_rollups ignores ra.yaml keys").
      const { red } = scoped(services, refs, {});
      return text(red, rollupsText(flowRollups(refs.map((r) => r.run), { catalog })));
    },
  };
  return { runSummary: summary, failures, flowEvents, rollups };
}
