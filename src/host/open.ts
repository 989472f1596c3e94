// Where a click opens the editor: `flowlens.openLocation` and openLocation(), for every item, link and chart row.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BUILTIN_COMMANDS, COMMANDS } from './commands';
import { forLabel, forNotification } from '../core/render/egress/surfaces';
import { checkRegular, realInside } from '../core/read/ingress/safeFile';
import type { TraceServices } from './services';
import { noteOpenedFailure } from './editor/decorations';

/** Argument of `flowlens.openLocation`: a file:line as written in a trace. `line` is 1-based. */
export interface LocationArg {
  folderKey: string;
  file: string;
  line?: number;
  /**
   * The failure being opened, as one line already redacted with its run's redactor (the Failures
   * and Runs views): shown at the line once opened, whatever run it is from (issue 16:
   * decorations.ts `noteOpenedFailure`).
   */
  note?: string;
}

/** The `command` a tree item uses to open a trace location. */
export function openCommand(arg: LocationArg, title = 'Open Source'): vscode.Command {
  return { command: COMMANDS.openLocation, title, arguments: [arg] };
}

/**
 * Registers `flowlens.openLocation`: every click on a run event, a failure, a stack frame, a
 * CodeLens code_ref or a dashboard row that opens the editor goes through {@link openLocation}.
 */
export function registerOpenLocation(services: TraceServices): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.openLocation, (arg: LocationArg) => openLocation(services, arg));
}

/** 1-based trace line → 0-based editor position at the edge (architecture.md conventions). Total: any value. */
export function zeroBasedLine(line: number | undefined, doc?: vscode.TextDocument): number {
  const n = typeof line === 'number' && Number.isFinite(line) ? Math.floor(line) : 1;
  const z = Math.min(Math.max(0, n - 1), 0x7fffffff);
  return doc ? Math.min(z, Math.max(0, doc.lineCount - 1)) : z;
}

/**
 * The messages of {@link openLocation}. None holds trace text: a notification renders
 * `[label](command:…)` as a link that runs on click (issue 13, class 1), so the path from the
 * trace is shown only in the "Show Paths" quick pick, as plain text. In-host and UI tests match
 * these exact strings.
 */
export const OPEN_MESSAGES = {
  notFound: 'Flowlens: the file from the trace is not in this workspace.',
  outside: 'Flowlens: the file from the trace is outside this workspace. Open it anyway?',
  notRegular: 'Flowlens: the file from the trace is not a regular file, so Flowlens does not open it.',
  locate: 'Locate…',
  showPaths: 'Show Paths',
  open: 'Open',
} as const;

/** Folders a path may be opened from without asking. */
function workspaceRoots(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

/** True when the real path of `p` lies inside one of the workspace folders. */
export function insideWorkspace(p: string, roots: readonly string[] = workspaceRoots()): boolean {
  return roots.some((r) => realInside(r, p) !== undefined);
}

/**
 * Opens the file at the line, revealed in the centre and selected. When the file cannot be
 * found, says so (no trace text in the message) and offers "Locate…" and "Show Paths"; a Locate…
 * answer is remembered for this workspace as a prefix mapping so every other event from that
 * machine resolves too. A file outside every workspace folder is opened only after a modal "Open";
 * a FIFO, device, socket or directory never.
 */
export async function openLocation(services: TraceServices, arg: LocationArg): Promise<vscode.TextEditor | undefined> {
  if (!arg || typeof arg.file !== 'string') return undefined;
  const r = services.resolveFile(arg.folderKey, arg.file);
  let uri = r.uri;
  let userChosen = r.located === true;
  if (!uri) {
    const pick = await vscode.window.showWarningMessage(OPEN_MESSAGES.notFound, OPEN_MESSAGES.locate, OPEN_MESSAGES.showPaths);
    if (pick === OPEN_MESSAGES.showPaths) {
      await showTriedPaths(arg.file, r.tried);
      return undefined;
    }
    if (pick !== OPEN_MESSAGES.locate) return undefined;
    const folder = services.folder(arg.folderKey);
    const chosen = await vscode.window.showOpenDialog({
      canSelectMany: false, canSelectFolders: false, openLabel: 'Use this file',
      defaultUri: folder?.uri, title: `Locate ${forLabel(path.basename(arg.file), undefined, 120)}`,
    });
    if (!chosen?.[0]) return undefined;
    uri = chosen[0];
    userChosen = true;
    if (!isRegular(uri.fsPath)) {
      void vscode.window.showWarningMessage(OPEN_MESSAGES.notRegular);
      return undefined;
    }
    await services.rememberLocated(arg.file, uri.fsPath);
  }
  if (uri.scheme === 'file') {
    if (!isRegular(uri.fsPath)) {
      void vscode.window.showWarningMessage(OPEN_MESSAGES.notRegular);
      return undefined;
    }
    if (!userChosen && !insideWorkspace(uri.fsPath)) {
      const answer = await vscode.window.showWarningMessage(OPEN_MESSAGES.outside, { modal: true, detail: forNotification(uri.fsPath, undefined, 300) }, OPEN_MESSAGES.open);
      if (answer !== OPEN_MESSAGES.open) return undefined;
    }
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const z = zeroBasedLine(arg.line, doc);
  const range = doc.lineAt(z).range;
  const editor = await vscode.window.showTextDocument(doc, { preview: true, selection: range });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
  if (typeof arg.note === 'string' && arg.note) noteOpenedFailure(editor, z, arg.note);
  return editor;
}

/** A regular file (after following links): never a FIFO, device, socket or directory. */
function isRegular(p: string): boolean {
  return checkRegular(p, { allowOutside: true, maxBytes: Number.MAX_SAFE_INTEGER }).ok;
}

/** The path written in the trace and the local paths tried, as plain quick-pick rows. */
async function showTriedPaths(file: string, tried: readonly string[]): Promise<void> {
  const items: vscode.QuickPickItem[] = [
    { label: forLabel(file), description: 'path in the trace' },
    ...tried.filter((t) => t !== file).slice(0, 50).map((t) => ({ label: forLabel(t), description: 'tried, not found' })),
  ];
  await vscode.window.showQuickPick(items, { title: 'Flowlens: paths tried for the file from the trace', placeHolder: 'Use Locate… to pick the file on this machine' });
}

/** The buttons of {@link announceWritten}. */
export const WRITTEN_ACTIONS = { open: 'Open', reveal: 'Reveal in Explorer' } as const;

/**
 * A "Flowlens wrote X" notification with *Open* (or `openLabel`) and *Reveal in Explorer*: every
 * file Flowlens writes on request (dashboard exports, ask prompts) can be opened or found from the
 * message that announces it. `message` must already be safe for a notification (forNotification).
 */
export async function announceWritten(message: string, file: vscode.Uri, root: vscode.Uri | undefined, openLabel: string = WRITTEN_ACTIONS.open): Promise<void> {
  const action = await vscode.window.showInformationMessage(message, openLabel, WRITTEN_ACTIONS.reveal);
  if (action === openLabel) await vscode.window.showTextDocument(file);
  else if (action === WRITTEN_ACTIONS.reveal) await revealFile(file, root);
}

/** Reveal a file: the Explorer when it is inside `root` (the workspace folder), else the OS file manager. */
export async function revealFile(file: vscode.Uri, root: vscode.Uri | undefined): Promise<void> {
  const inside = root !== undefined && file.scheme === root.scheme && (file.path + '/').startsWith(root.path.replace(/\/?$/, '/'));
  await vscode.commands.executeCommand(inside ? BUILTIN_COMMANDS.revealInExplorer : BUILTIN_COMMANDS.revealFileInOS, file);
}
