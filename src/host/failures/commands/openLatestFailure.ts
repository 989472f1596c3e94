// `flowlens.openLatestFailure`: open the newest failure's file:line.
import * as vscode from 'vscode';
import { openLocation } from '../../open';
import type { TraceServices } from '../../services';
import type { FailuresProvider } from '../failuresView';

/** `flowlens.openLatestFailure` (Ctrl+Alt+Shift+J): opens the newest failure's file:line. */
export async function openLatestFailure(services: TraceServices, failures: FailuresProvider): Promise<unknown> {
  const occ = failures.newest();
  if (!occ?.event.file) return vscode.window.showInformationMessage('Flowlens: no failures in the traces of this workspace.');
  return openLocation(services, { folderKey: occ.folderKey, file: occ.event.file, line: occ.event.line });
}
