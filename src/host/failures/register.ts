// The Failures feature: registers the Failures view, failure diagnostics, malformed-line diagnostics and their commands.
import * as vscode from 'vscode';
import { COMMANDS } from '../commands';
import { VIEWS } from '../constants';
import { registered, type Registered } from '../lifecycle';
import type { TraceServices } from '../services';
import { openLatestFailure } from './commands/openLatestFailure';
import { FailureDiagnostics } from './diagnostics';
import { FailuresProvider } from './failuresView';
import { TraceLineDiagnostics } from './traceDiagnostics';

/** Handles of the Failures feature (tests use them). */
export interface FailuresApi {
  failuresProvider: FailuresProvider;
}

/**
 * The Failures view (failuresView.ts), the failures of each latest run in the Problems panel
 * (diagnostics.ts), malformed trace lines in the Problems panel (traceDiagnostics.ts), grouping, and "open the latest failure". A click on a failure opens the
 * editor through open.ts (`flowlens.openLocation`).
 */
export function register(_context: vscode.ExtensionContext, services: TraceServices): Registered<FailuresApi> {
  const failuresProvider = new FailuresProvider(services);
  const disposables: vscode.Disposable[] = [
    failuresProvider,
    vscode.window.createTreeView(VIEWS.failures, { treeDataProvider: failuresProvider, showCollapseAll: true }),
    new FailureDiagnostics(services),
    new TraceLineDiagnostics(services),
    vscode.commands.registerCommand(COMMANDS.groupFailuresByClass, () => failuresProvider.setGroupBy('class')),
    vscode.commands.registerCommand(COMMANDS.groupFailuresByFlow, () => failuresProvider.setGroupBy('flow')),
    vscode.commands.registerCommand(COMMANDS.showFailures, () => vscode.commands.executeCommand(`${VIEWS.failures}.focus`)),
    vscode.commands.registerCommand(COMMANDS.openLatestFailure, () => openLatestFailure(services, failuresProvider)),
  ];
  return registered(disposables, { failuresProvider });
}
