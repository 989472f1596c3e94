import * as vscode from 'vscode';
import { registerViews, type ViewsApi } from './views';

/**
 * Composition root: each feature registers itself (style.md habit 1). The return value is the
 * extension's API (`FlowlensServices` under `services`) for tests and other extensions.
 */
export function activate(context: vscode.ExtensionContext): ViewsApi {
  const views = registerViews(context);
  return views;
}

export function deactivate(): void {}
