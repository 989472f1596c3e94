import * as vscode from 'vscode';
import { shouldWriteAsk } from '../../trace/ask';
import type { FlowlensServices } from '../services';
import { catalogOf } from './context';
import { writeAskFiles } from './prompt';

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
      if (before !== 'running' || ref.run.status === 'running' || !vscode.workspace.isTrusted) continue;
      const mode = catalogOf(services, change.folderKey)?.ra.askMd ?? 'on_failure';
      if (!shouldWriteAsk(mode, ref.run)) continue;
      try {
        const files = await writeAskFiles(context, services, ref);
        void vscode.window
          .showInformationMessage(`Flowlens: run ${ref.run.id} ended (${ref.run.status}); ask.md written.`, 'Open ask.md')
          .then((a) => (a ? vscode.window.showTextDocument(files.ask) : undefined));
      } catch (err) {
        void vscode.window.showWarningMessage(`Flowlens: could not write ask.md for run ${ref.run.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  });
}
