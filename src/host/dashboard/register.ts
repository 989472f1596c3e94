// The dashboard feature: registers `flowlens.openDashboard` and the panel serializer.
import * as vscode from 'vscode';
import { COMMANDS } from '../commands';
import { registered, toDisposable, type Registered } from '../lifecycle';
import type { FlowlensServices } from '../services';
import { DASHBOARD_VIEW_TYPE, DashboardPanel, DashboardSerializer } from './panel';
import type { DashboardQuery } from './protocol';

/** What the dashboard feature hands back (tests use it). */
export interface DashboardApi {
  /** Opens (or reveals) the dashboard; an optional query selects runs / a flow. */
  open(query?: DashboardQuery): DashboardPanel;
  /** The open panel, if any. */
  readonly current: DashboardPanel | undefined;
}

/**
 * The metrics dashboard (panel.ts, webview in media/dashboard/): `flowlens.openDashboard` and the
 * serializer that brings the panel back after a window reload.
 */
export function register(context: vscode.ExtensionContext, services: FlowlensServices): Registered<{ dashboard: DashboardApi }> {
  const open = (query?: DashboardQuery): DashboardPanel => DashboardPanel.show(context, services, query);
  const dashboard: DashboardApi = { open, get current() { return DashboardPanel.current; } };
  return registered([
    vscode.commands.registerCommand(COMMANDS.openDashboard, (arg?: unknown) => {
      // From the Runs view's context the argument is a tree node with a runId: open on that run.
      const runId = typeof arg === 'object' && arg !== null && typeof (arg as { runId?: unknown }).runId === 'string' ? (arg as { runId: string }).runId : undefined;
      open(runId ? { selection: { kind: 'run', runId } } : undefined);
    }),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, new DashboardSerializer(context, services)),
    toDisposable(() => DashboardPanel.current?.dispose()),
  ], { dashboard });
}
