/** The Telemetry feature: registers the Telemetry view (Grain/Assay queues and SQLite stores with their rollups) under the Flowlens sidebar. */
import * as vscode from 'vscode';
import { COMMANDS } from '../commands';
import { VIEWS } from '../constants';
import { registered, type Registered } from '../lifecycle';
import type { TraceServices } from '../services';
import { TelemetryProvider, type TelemetryNode } from './telemetryView';

/** Handles of the Telemetry feature (tests use them). */
export interface TelemetryApi {
  telemetryProvider: TelemetryProvider;
  telemetryView: vscode.TreeView<TelemetryNode>;
}

/**
 * The Telemetry view (telemetryView.ts). It also sets `flowlens.hasTelemetry`, which shows the
 * view and makes the Runs view's welcome say where a queue-only folder's data is.
 */
export function register(_context: vscode.ExtensionContext, services: TraceServices): Registered<TelemetryApi> {
  const telemetryProvider = new TelemetryProvider(services);
  const telemetryView = vscode.window.createTreeView(VIEWS.telemetry, { treeDataProvider: telemetryProvider, showCollapseAll: true });
  const disposables: vscode.Disposable[] = [
    telemetryProvider,
    telemetryView,
    vscode.commands.registerCommand(COMMANDS.showTelemetry, () => vscode.commands.executeCommand(`${VIEWS.telemetry}.focus`)),
  ];
  return registered(disposables, { telemetryProvider, telemetryView });
}
