// Writes a run's ask artifacts automatically when a watched run really ends (session_end or summary.md), as ra.yaml `artifacts.ask_md` asks (always / on_failure / never); never on a timeout, never in an untrusted workspace.
import * as vscode from 'vscode';
import { shouldWriteAsk } from '../../core/render/ask';
import type { Run, RunStatus } from '../../core/model/types';
import type { FlowlensServices } from '../services';
import { catalogOf } from './context';
import { writeAskFiles } from './prompt';
import { forNotification } from '../../core/render/egress/surfaces';

/**
 * The trigger rule: a watched run went from `running` to a REAL end — its `session_end` was read,
 * or (flowscribe 0.1) its summary.md appeared. A run that merely stopped writing and passed the
 * liveness window (`crashed` without `session_end`) is a timeout, not an end: no automatic write.
 */
export function endedForAutoWrite(before: RunStatus | string | undefined, run: Pick<Run, 'status' | 'endedBy'>): boolean {
  return before === 'running' && run.status !== 'running' && (run.endedBy === 'session_end' || run.endedBy === 'summary');
}

/**
 * Honours `ra.yaml artifacts.ask_md` (always | on_failure | never) the way flowscribe does: the
 * prompt is written when a run ENDS. Flowlens only sees a run end while it is watching, so a run
 * that was already over when the workspace opened is not written automatically (the command
 * always works). Never writes into an untrusted workspace (see `outputDirs`).
 */
export function registerAutoWrite(context: vscode.ExtensionContext, services: FlowlensServices): vscode.Disposable {
  const status = new Map<string, string>();
  const key = (folderKey: string, runId: string): string => `${folderKey}\u0000${runId}`;
  const snapshot = (): void => {
    for (const ref of services.allRuns()) status.set(key(ref.folderKey, ref.run.id), ref.run.status);
  };
  void services.ready.then(snapshot);
  return services.onDidChange(async (change) => {
    for (const runId of change.runIds) {
      const ref = services.findRun(runId, change.folderKey);
      if (!ref) continue;
      const k = key(change.folderKey, runId);
      const before = status.get(k);
      status.set(k, ref.run.status);
      if (!endedForAutoWrite(before, ref.run) || !vscode.workspace.isTrusted) continue;
      const mode = catalogOf(services, change.folderKey)?.ra.askMd ?? 'on_failure';
      if (!shouldWriteAsk(mode, ref.run)) continue;
      try {
        const files = await writeAskFiles(context, services, ref);
        void vscode.window
          .showInformationMessage(`Flowlens: run ${forNotification(ref.run.id, undefined, 120)} ended (${ref.run.status}); ask.md written.`, 'Open ask.md')
          .then((a) => (a ? vscode.window.showTextDocument(files.ask) : undefined));
        // A write refused or redirected by the write policy (a link, a producer's own file): said once, located.
        if (files.problems.length > 0) void vscode.window.showWarningMessage(`Flowlens: ${forNotification(files.problems[0], undefined, 400)}${files.problems.length > 1 ? ` (and ${files.problems.length - 1} more)` : ''}`);
      } catch (err) {
        // The error may quote a path from the trace: no link can form (forNotification).
        void vscode.window.showWarningMessage(`Flowlens: could not write ask.md for run ${forNotification(ref.run.id, undefined, 120)}: ${forNotification(err instanceof Error ? err.message : String(err))}`);
      }
    }
  });
}
