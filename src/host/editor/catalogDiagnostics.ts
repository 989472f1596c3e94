// ra.yaml and flows.yaml problems (file:line:col) as squiggles in the Problems panel.
import * as vscode from 'vscode';
import type { Catalog } from '../../core/read/catalog';
import { forLabel } from '../../core/render/egress/surfaces';
import type { Redactor } from '../../core/render/egress/redact';
import { realInside } from '../../core/read/ingress/safeFile';
import { DIAGNOSTIC_SOURCE } from '../constants';
import { Disposable } from '../lifecycle';
import { redactorFor } from '../redaction';
import type { TraceServices } from '../services';

/** A located ra.yaml / flows.yaml problem as the Problems panel shows it (0-based line/col). */
export interface ConfigDiagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning' | 'info';
}

/**
 * The catalog problems that have a line, as diagnostics on their file (only files whose real path
 * is inside `root`); messages are plain labels through the folder's redactor.
 */
export function configDiagnostics(root: string, catalog: Catalog | undefined, red: Redactor): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  for (const p of catalog?.problems ?? []) {
    if (p.line === undefined || p.file.startsWith('env:') || realInside(root, p.file) === undefined) continue;
    out.push({
      file: p.file,
      line: Math.max(0, Math.floor(p.line) - 1),
      col: Math.max(0, Math.floor(p.col ?? 1) - 1),
      message: forLabel(p.message, red, 1000),
      severity: p.severity,
    });
  }
  return out;
}

const SEVERITY = { error: 0, warning: 1, info: 2 } as const;

/** Problems panel entries for ra.yaml / flows.yaml, refreshed after every (re)load. */
export class CatalogDiagnostics extends Disposable {
  private readonly collection = this._register(vscode.languages.createDiagnosticCollection(`${DIAGNOSTIC_SOURCE}.config`));

  constructor(private readonly services: TraceServices) {
    super();
    this._register(services.onDidChange(() => this.update()));
  }

  update(): void {
    this.collection.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const ws of this.services.workspaces.values()) {
      for (const d of configDiagnostics(ws.root, ws.catalog, redactorFor(ws.catalog))) {
        const diag = new vscode.Diagnostic(new vscode.Range(d.line, d.col, d.line, Number.MAX_SAFE_INTEGER), d.message,
          SEVERITY[d.severity] as vscode.DiagnosticSeverity);
        diag.source = DIAGNOSTIC_SOURCE;
        const list = byFile.get(d.file) ?? [];
        list.push(diag);
        byFile.set(d.file, list);
      }
    }
    for (const [file, diags] of byFile) this.collection.set(vscode.Uri.file(file), diags);
  }
}
