// A quick fix at a decorated failure line: "Ask Copilot about this failure" (issue 16 "Beyond").
import * as vscode from 'vscode';
import { COMMANDS } from '../commands';
import { DIAGNOSTIC_SOURCE } from '../constants';
import type { AskArgs } from '../chat/prompt';
import type { LineFailure, TraceLocations } from './traceLocations';

/** The action's title (tests and the README name it). */
export const ASK_ACTION_TITLE = 'Ask Copilot about this failure';

/**
 * Offers *Ask Copilot about this failure* on every line the latest run failed at (the lines the
 * inline decorations and Problems mark, from the same index): it runs `flowlens.askCopilot` with
 * that failure's run, flow and folder, so chat opens with a flow-focused ask file attached (or the
 * prompt is copied, with a message). A quick fix, so it is in the light bulb and in the Problems
 * hover of the Flowlens diagnostic it resolves.
 */
export class FailureCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly index: TraceLocations) {}

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (doc.uri.scheme !== 'file') return [];
    if (context.only && !vscode.CodeActionKind.QuickFix.intersects(context.only)) return [];
    const at = this.index.failuresFor(doc.uri).filter((f) => f.zeroBasedLine >= range.start.line && f.zeroBasedLine <= range.end.line);
    // One action per failing flow (a line may carry several); named by the failure when there are several.
    const seen = new Set<string>();
    const unique = at.filter((f) => {
      const k = `${f.folderKey}\n${f.runId}\n${f.flowId}`;
      return !seen.has(k) && seen.add(k);
    });
    return unique.map((f) => this.action(f, unique.length > 1, context));
  }

  private action(f: LineFailure, named: boolean, context: vscode.CodeActionContext): vscode.CodeAction {
    // f.text is already redacted and one line (traceLocations.ts, forLabel).
    const title = named ? `${ASK_ACTION_TITLE}: ${f.text.length > 60 ? `${f.text.slice(0, 59)}…` : f.text}` : ASK_ACTION_TITLE;
    const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    const args: AskArgs = { runId: f.runId, flowId: f.flowId || undefined, folderKey: f.folderKey };
    a.command = { command: COMMANDS.askCopilot, title, arguments: [args] };
    a.diagnostics = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && d.range.start.line === f.zeroBasedLine);
    return a;
  }
}
