// The Test Explorer feature: registers the Flowlens test controller (flowTests.ts) while `flowlens.testExplorer.enabled` is on.
import * as vscode from 'vscode';
import { readConfig } from '../config';
import { registered, toDisposable, type Registered } from '../lifecycle';
import type { TraceServices } from '../services';
import { FlowTests } from './flowTests';

/** Handles of the Test Explorer feature (tests read what was published). */
export interface TestingApi {
  testing: {
    /** The controller's feature while the setting is on; undefined while it is off. */
    readonly tests: FlowTests | undefined;
  };
}

/**
 * Flows in the Test Explorer (issue 16 "Beyond"): a test controller whose items are the flow names
 * and whose runs are the latest runs read from disk. Turning `flowlens.testExplorer.enabled` off
 * disposes the controller (its items and results leave the Testing view); on creates it again.
 */
export function register(_context: vscode.ExtensionContext, services: TraceServices): Registered<TestingApi> {
  let tests: FlowTests | undefined;
  const apply = (): void => {
    const on = readConfig()['testExplorer.enabled'];
    if (on && !tests) tests = new FlowTests(services);
    else if (!on && tests) { tests.dispose(); tests = undefined; }
  };
  apply();
  const disposables: vscode.Disposable[] = [
    vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('flowlens.testExplorer.enabled')) apply(); }),
    toDisposable(() => { tests?.dispose(); tests = undefined; }),
  ];
  return registered(disposables, { testing: { get tests() { return tests; } } });
}
