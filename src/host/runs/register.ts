// The Runs feature: registers the Runs view (runsView.ts) and its commands.
import * as vscode from 'vscode';
import { BUILTIN_COMMANDS, COMMANDS } from '../commands';
import { CONTEXT } from '../constants';
import { registered, type Registered } from '../lifecycle';
import { filterDescription } from '../format';
import { problemsText } from '../log';
import type { TraceServices } from '../services';
import { copyFlowId } from './commands/copyFlowId';
import { filterRuns } from './commands/filterRuns';
import { FollowLatestRun } from './commands/followLatestRun';
import { openCodeRefs } from './commands/openCodeRefs';
import { revealInRuns } from './commands/revealInRuns';
import { toRunFlow, type ItemArg } from './itemArg';
import { createRunsView, FlowTreeProvider, type RunFilter, type TreeNode } from './runsView';

/** Handles of the Runs feature (tests and other features use them). */
export interface RunsApi {
  runsProvider: FlowTreeProvider;
  runsView: vscode.TreeView<TreeNode>;
}

/**
 * The Runs view (runsView.ts) and its commands: refresh, filter, failures only, follow latest,
 * reveal, copy ids, code refs, "ask about" (hands over to the AI feature's generateAskPrompt).
 */
export function register(context: vscode.ExtensionContext, services: TraceServices): Registered<RunsApi> {
  const runsProvider = new FlowTreeProvider(services);
  const runsView = createRunsView(runsProvider);
  const follow = new FollowLatestRun(context, services, runsProvider, runsView);
  const ask = (item: ItemArg | undefined, withFlow: boolean) => {
    const a = toRunFlow(item);
    return vscode.commands.executeCommand(COMMANDS.generateAskPrompt, withFlow ? { runId: a.runId, flowId: a.flowId } : { runId: a.runId });
  };
  // Problems reading traces: counted in the view's message (no trace text), listed in the log.
  const showProblems = () => {
    const n = services.log?.count() ?? 0;
    runsView.message = n ? `${problemsText(n)} — Show Log: run "Flowlens: Show Log"` : undefined;
    void vscode.commands.executeCommand(BUILTIN_COMMANDS.setContext, CONTEXT.hasProblems, n > 0);
  };
  // A filter on is said beside the view's title (Clear Filter sits in the toolbar meanwhile).
  const showFilter = () => {
    runsView.description = filterDescription(runsProvider.currentFilter, runsProvider.isFailuresOnly);
  };
  void vscode.commands.executeCommand(BUILTIN_COMMANDS.setContext, CONTEXT.failuresOnly, false);
  void vscode.commands.executeCommand(BUILTIN_COMMANDS.setContext, CONTEXT.filterActive, false);

  const disposables: vscode.Disposable[] = [
    runsProvider, runsView, follow,
    runsProvider.onDidChangeFilter(showFilter),
    ...(services.log ? [services.log.onDidChangeCount(showProblems)] : []),
    // After a cancelled index, Refresh reads everything again (a plain refresh skips stopped folders).
    vscode.commands.registerCommand(COMMANDS.refreshRuns, () => (services.stopped.size > 0 ? services.reload() : services.refresh())),
    vscode.commands.registerCommand(COMMANDS.filterRuns, (arg?: Partial<RunFilter> | string) => filterRuns(runsProvider, arg)),
    // Clears everything that hides flows: the filter and failures-only.
    vscode.commands.registerCommand(COMMANDS.clearFilter, () => {
      runsProvider.setFilter({ text: '', statuses: [], tag: '' });
      if (runsProvider.isFailuresOnly) runsProvider.setFailuresOnly(false);
    }),
    vscode.commands.registerCommand(COMMANDS.showFailuresOnly, () => runsProvider.setFailuresOnly(true)),
    vscode.commands.registerCommand(COMMANDS.showAllFlows, () => runsProvider.setFailuresOnly(false)),
    vscode.commands.registerCommand(COMMANDS.followLatestRun, () => follow.set(true)),
    vscode.commands.registerCommand(COMMANDS.unfollowLatestRun, () => follow.set(false)),
    vscode.commands.registerCommand(COMMANDS.showMoreItems, (ownerId: string) => runsProvider.showMore(ownerId)),
    vscode.commands.registerCommand(COMMANDS.revealInRuns, (arg?: ItemArg) => revealInRuns(services, runsProvider, runsView, arg)),
    vscode.commands.registerCommand(COMMANDS.copyFlowId, (item?: ItemArg) => copyFlowId(services, item)),
    vscode.commands.registerCommand(COMMANDS.copyRunId, async (item?: ItemArg) => {
      const a = toRunFlow(item);
      if (a.runId) await vscode.env.clipboard.writeText(a.runId);
    }),
    vscode.commands.registerCommand(COMMANDS.openCodeRefs, (item?: ItemArg) => openCodeRefs(services, item)),
    vscode.commands.registerCommand(COMMANDS.askAboutFlow, (item?: ItemArg) => ask(item, true)),
    vscode.commands.registerCommand(COMMANDS.askAboutRun, (item?: ItemArg) => ask(item, false)),
  ];
  return registered(disposables, { runsProvider, runsView });
}
