import * as vscode from 'vscode';
import { failuresText, flowEventsText, rollupsText, runSummaryText } from '../../trace/askArtifacts';
import { flowRollups } from '../../trace/rollup';
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

const text = (s: string): vscode.LanguageModelToolResult => new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(s)]);

function needRun(services: FlowlensServices, input: ToolInput): RunRef {
  const ref = runOrLatest(services, input.runId);
  if (!ref) throw new Error(input.runId ? `No run ${JSON.stringify(input.runId)} in this workspace.` : 'No runs in this workspace.');
  return ref;
}

const runLabel = (input: ToolInput): string => (input.runId ? `run ${input.runId}` : 'the latest run');

/** Register the four Flowlens tools; ids match `contributes.languageModelTools`. */
export function registerTools(services: FlowlensServices): vscode.Disposable[] {
  const summary: vscode.LanguageModelTool<ToolInput> = {
    prepareInvocation: (o) => ({ invocationMessage: `Reading the Flowlens summary of ${runLabel(o.input ?? {})}` }),
    async invoke(o) {
      const input = validate(o.input, false);
      await services.ready;
      const ref = needRun(services, input);
      return text(runSummaryText(ref.run, askContext(services, ref.folderKey)));
    },
  };
  const failures: vscode.LanguageModelTool<ToolInput> = {
    prepareInvocation: (o) => ({ invocationMessage: `Listing failures of ${o.input?.runId ? `run ${o.input.runId}` : 'all runs'}` }),
    async invoke(o) {
      const input = validate(o.input, false);
      await services.ready;
      if (input.runId) {
        const ref = needRun(services, input);
        return text(failuresText([ref.run], askContext(services, ref.folderKey), { limit: input.limit }));
      }
      const refs = runsOf(services);
      const key = refs[0]?.folderKey;
      return text(failuresText(refs.map((r) => r.run), key ? askContext(services, key) : {}, { limit: input.limit }));
    },
  };
  const flowEvents: vscode.LanguageModelTool<ToolInput> = {
    prepareInvocation: (o) => ({ invocationMessage: `Reading events of flow ${o.input?.flow ?? '?'} in ${runLabel(o.input ?? {})}` }),
    async invoke(o) {
      const input = validate(o.input, true);
      await services.ready;
      const ref = needRun(services, input);
      return text(flowEventsText(ref.run, input.flow!, askContext(services, ref.folderKey), { limit: input.limit }));
    },
  };
  const rollups: vscode.LanguageModelTool<ToolInput> = {
    prepareInvocation: (o) => ({ invocationMessage: `Computing Flowlens rollups over ${o.input?.runId ? `run ${o.input.runId}` : 'all runs'}` }),
    async invoke(o) {
      const input = validate(o.input, false);
      await services.ready;
      const refs = input.runId ? [needRun(services, input)] : runsOf(services);
      const catalog = refs[0] ? catalogOf(services, refs[0].folderKey) : undefined;
      return text(rollupsText(flowRollups(refs.map((r) => r.run), { catalog })));
    },
  };
  return [
    vscode.lm.registerTool(TOOLS.runSummary, summary),
    vscode.lm.registerTool(TOOLS.failures, failures),
    vscode.lm.registerTool(TOOLS.flowEvents, flowEvents),
    vscode.lm.registerTool(TOOLS.rollups, rollups),
  ];
}
