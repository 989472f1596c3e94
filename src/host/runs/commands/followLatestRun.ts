// `flowlens.followLatestRun` / `flowlens.unfollowLatestRun`: reveal the newest run as it appears.
import * as vscode from 'vscode';
import { BUILTIN_COMMANDS } from '../../commands';
import { CONTEXT, STATE_FOLLOW_LATEST } from '../../constants';
import { Disposable } from '../../lifecycle';
import type { TraceServices } from '../../services';
import type { FlowTreeProvider, TreeNode } from '../runsView';

/**
 * `flowlens.followLatestRun` / `flowlens.unfollowLatestRun`: while on, the newest run is revealed
 * and expanded in the Runs view whenever one appears. Remembered per workspace.
 */
export class FollowLatestRun extends Disposable {
  private on = false;
  /** `folderKey|runId` of the run revealed last. */
  private last: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly services: TraceServices,
    private readonly provider: FlowTreeProvider,
    private readonly view: vscode.TreeView<TreeNode>,
  ) {
    super();
    // On the refresh event itself: the Runs view's own onDidChange listener was registered first
    // (runs/register.ts creates the provider before this), so it has taken the change in.
    this._register(services.onDidChange(() => this.reveal()));
    this.set(context.workspaceState.get<boolean>(STATE_FOLLOW_LATEST, false));
  }

  get following(): boolean {
    return this.on;
  }

  set(on: boolean): void {
    this.on = on;
    this.last = undefined;
    void vscode.commands.executeCommand(BUILTIN_COMMANDS.setContext, CONTEXT.followLatest, on);
    void this.context.workspaceState.update(STATE_FOLLOW_LATEST, on);
    this.reveal();
  }

  private reveal(): void {
    const latest = this.services.latestRun();
    if (!this.on || !latest) return;
    const key = `${latest.folderKey}|${latest.run.id}`;
    if (key === this.last && this.view.visible) return;
    this.last = key;
    const node = this.provider.nodeFor(latest.folderKey, latest.run.id);
    if (node) void Promise.resolve(this.view.reveal(node, { select: true, focus: false, expand: 2 })).catch(() => undefined);
  }
}
