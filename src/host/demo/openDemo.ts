// `flowlens.openDemo`: open a fresh copy of the bundled demo workspace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { forNotification } from '../../core/render/egress/surfaces';
import { BUILTIN_COMMANDS } from '../commands';

/**
 * `flowlens.openDemo` — the demo ships inside the extension (examples/demo-app, ~25 KB packed).
 * Opens a fresh copy in global storage in a new window: the installed extension folder may be
 * read-only and must stay pristine.
 */
export async function openDemo(context: vscode.ExtensionContext): Promise<unknown> {
  const demo = vscode.Uri.joinPath(context.extensionUri, 'examples', 'demo-app');
  if (!fs.existsSync(demo.fsPath)) return vscode.window.showInformationMessage('Flowlens: this build has no bundled demo (examples/demo-app).');
  const copy = vscode.Uri.joinPath(context.globalStorageUri, 'demo-app');
  try {
    fs.rmSync(copy.fsPath, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(copy.fsPath), { recursive: true });
    fs.cpSync(demo.fsPath, copy.fsPath, { recursive: true, verbatimSymlinks: true });
  } catch (err) {
    return vscode.window.showErrorMessage(`Flowlens: could not copy the demo to ${forNotification(copy.fsPath, undefined, 300)}: ${forNotification(err instanceof Error ? err.message : String(err))}`);
  }
  return vscode.commands.executeCommand(BUILTIN_COMMANDS.openFolder, copy, { forceNewWindow: true });
}
