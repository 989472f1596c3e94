import * as vscode from 'vscode';
import type { FlowlensServices } from '../services';
import { DASHBOARD_VIEW_TYPE, DashboardPanel, DashboardSerializer } from './panel';
import type { DashboardQuery } from './protocol';

/** Command id of "Flowlens: Open Dashboard" (package.json `contributes.commands`). */
export const OPEN_DASHBOARD = 'flowlens.openDashboard';

/** What `registerDashboard` hands back (tests use it). */
export interface DashboardApi {
  /** Opens (or reveals) the dashboard; an optional query selects runs / a flow. */
  open(query?: DashboardQuery): DashboardPanel;
  /** The open panel, if any. */
  readonly current: DashboardPanel | undefined;
}

/**
 * Registers the metrics dashboard: the `flowlens.openDashboard` command and the serializer that
 * brings the panel back after a window reload.
 */
export function registerDashboard(context: vscode.ExtensionContext, services: FlowlensServices): DashboardApi {
  const open = (query?: DashboardQuery): DashboardPanel => DashboardPanel.show(context, services, query);
  context.subscriptions.push(
    vscode.commands.registerCommand(OPEN_DASHBOARD, (arg?: unknown) => {
      // From the Runs view's context the argument is a tree node with a runId: open on that run.
      const runId = typeof arg === 'object' && arg !== null && typeof (arg as { runId?: unknown }).runId === 'string' ? (arg as { runId: string }).runId : undefined;
      open(runId ? { selection: { kind: 'run', runId } } : undefined);
    }),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, new DashboardSerializer(context, services)),
    { dispose: () => DashboardPanel.current?.dispose() },
  );
  return { open, get current() { return DashboardPanel.current; } };
}
