import * as vscode from 'vscode';

/** Composition root: each feature registers itself (style.md habit 1). */
export function activate(_context: vscode.ExtensionContext): void {
  // Features are wired here as they land.
}

export function deactivate(): void {}
