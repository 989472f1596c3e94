import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from './constants';
import type { TraceServices } from './services';

/** Argument of `flowlens.openLocation`: a file:line as written in a trace. `line` is 1-based. */
export interface LocationArg {
  folderKey: string;
  file: string;
  line?: number;
}

/** The `command` a tree item uses to open a trace location. */
export function openCommand(arg: LocationArg, title = 'Open Source'): vscode.Command {
  return { command: COMMANDS.openLocation, title, arguments: [arg] };
}

/** 1-based trace line → 0-based editor position at the edge (architecture.md conventions). */
export function zeroBasedLine(line: number | undefined, doc?: vscode.TextDocument): number {
  const z = Math.max(0, (line ?? 1) - 1);
  return doc ? Math.min(z, Math.max(0, doc.lineCount - 1)) : z;
}

/**
 * Opens the file at the line, revealed in the centre and selected. When the file cannot be
 * found, says which paths were tried and offers "Locate…"; the answer is remembered for this
 * workspace as a prefix mapping so every other event from that machine resolves too.
 */
export async function openLocation(services: TraceServices, arg: LocationArg): Promise<vscode.TextEditor | undefined> {
  if (!arg || typeof arg.file !== 'string') return undefined;
  const r = services.resolveFile(arg.folderKey, arg.file);
  let uri = r.uri;
  if (!uri) {
    const tried = r.tried.length ? r.tried.join(', ') : arg.file;
    const pick = await vscode.window.showWarningMessage(
      `Flowlens: cannot find ${arg.file} in this workspace (tried ${tried}).`, 'Locate…');
    if (pick !== 'Locate…') return undefined;
    const folder = services.folder(arg.folderKey);
    const chosen = await vscode.window.showOpenDialog({
      canSelectMany: false, canSelectFolders: false, openLabel: 'Use this file',
      defaultUri: folder?.uri, title: `Locate ${path.basename(arg.file)}`,
    });
    if (!chosen?.[0]) return undefined;
    uri = chosen[0];
    await services.rememberLocated(arg.file, uri.fsPath);
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const z = zeroBasedLine(arg.line, doc);
  const range = doc.lineAt(z).range;
  const editor = await vscode.window.showTextDocument(doc, { preview: true, selection: range });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
  return editor;
}
