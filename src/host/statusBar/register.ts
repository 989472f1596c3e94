// The status bar feature: registers the one Flowlens status bar item.
import type * as vscode from 'vscode';
import { registered, type Registered } from '../lifecycle';
import type { TraceServices } from '../services';
import { RunStatusBar } from './statusBar';

/** Handles of the status bar feature (tests read what it shows). */
export interface StatusBarApi {
  statusBar: RunStatusBar;
}

/** The status bar item (statusBar.ts): health of the latest run, problems reading traces. */
export function register(_context: vscode.ExtensionContext, services: TraceServices): Registered<StatusBarApi> {
  const statusBar = new RunStatusBar(services);
  const disposables: vscode.Disposable[] = [statusBar];
  return registered(disposables, { statusBar });
}
