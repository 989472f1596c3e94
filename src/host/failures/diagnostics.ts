// The latest run's failures as diagnostics in the Problems panel, located at their file:line.
import * as vscode from 'vscode';
import type { Run } from '../../core/model/types';
import { runFailures } from '../../core/analyze/queries';
import { readConfig } from '../config';
import { DIAGNOSTIC_SOURCE } from '../constants';
import { forLabel } from '../../core/render/egress/surfaces';
import { diagnosticMessage } from '../format';
import { zeroBasedLine } from '../open';
import { Disposable } from '../lifecycle';
import { redactorFor } from '../redaction';
import type { TraceServices } from '../services';

/**
 * Problems panel: the failures of each folder's latest run as diagnostics at file:line. Cleared
 * when that run is gone or has no failures, or when `flowlens.diagnostics.enabled` is off.
 */
export class FailureDiagnostics extends Disposable {
  private readonly collection = this._register(vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE));

  constructor(private readonly services: TraceServices) {
    super();
    this._register(services.onDidChange(() => this.update()));
    this._register(vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('flowlens.diagnostics.enabled')) this.update(); }));
  }

  update(): void {
    this.collection.clear();
    if (!readConfig()['diagnostics.enabled']) return;
    const byFile = new Map<string, { uri: vscode.Uri; diags: vscode.Diagnostic[] }>();
    for (const folderKey of this.services.workspaces.keys()) {
      const ref = this.services.latestRun(folderKey);
      if (ref) this.add(folderKey, ref.run, byFile);
    }
    for (const { uri, diags } of byFile.values()) this.collection.set(uri, diags);
  }

  /**
   * Only files whose real path is inside a workspace folder get a diagnostic (a failure "at"
   * /etc/passwd or ../../.. puts nothing on that file); text is redacted with the run's redactor.
   */
  private add(folderKey: string, run: Run, byFile: Map<string, { uri: vscode.Uri; diags: vscode.Diagnostic[] }>): void {
    const red = redactorFor(this.services.workspaces.get(folderKey)?.catalog, run);
    // The run's failures as every surface lists them (analyze/queries.ts runFailures).
    for (const { flow: f, event: e } of runFailures(run)) {
      if (!e.file) continue;
      const at = this.services.resolveFile(folderKey, e.file);
      const uri = at.uri;
      if (!uri || !at.inside) continue;
      const z = zeroBasedLine(e.line);
      const range = new vscode.Range(z, 0, z, Number.MAX_SAFE_INTEGER);
      const d = new vscode.Diagnostic(range, forLabel(diagnosticMessage(f?.displayName ?? '(no flow)', e, run.id), red, 1000), vscode.DiagnosticSeverity.Error);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = forLabel(e.failureClass ?? (e.type === 'exception' ? e.exception?.type ?? 'exception' : 'failure'), red, 120);
      const related: vscode.DiagnosticRelatedInformation[] = [];
      for (const fr of (e.exception?.stack ?? []).slice(0, 100)) {
        if (!fr.file) continue;
        const fat = this.services.resolveFile(folderKey, fr.file);
        if (!fat.uri || !fat.inside) continue;
        const fz = zeroBasedLine(fr.line);
        // The frame at the diagnostic's own line would only repeat it in the hover.
        if (fat.uri.toString() === uri.toString() && fz === z) continue;
        related.push(new vscode.DiagnosticRelatedInformation(new vscode.Location(fat.uri, new vscode.Range(fz, 0, fz, 0)), forLabel(`at ${fr.function ?? '?'}`, red, 200)));
      }
      if (related.length) d.relatedInformation = related;
      const key = uri.toString();
      let entry = byFile.get(key);
      if (!entry) byFile.set(key, (entry = { uri, diags: [] }));
      entry.diags.push(d);
    }
  }
}
