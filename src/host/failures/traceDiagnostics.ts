// Malformed trace lines as warnings in the Problems panel, each at its line of the trace file (file:line, reason), in the collection 'flowlens-trace'.
import * as vscode from 'vscode';
import type { Malformed } from '../../core/model/types';
import { forLabel } from '../../core/render/egress/surfaces';
import { Disposable } from '../lifecycle';
import { redactorFor } from '../redaction';
import type { TraceServices } from '../services';

/** The collection's name and the diagnostics' `source` (Problems can be filtered by it). */
export const TRACE_DIAGNOSTICS = 'flowlens-trace';

/** Lines listed per trace file; the rest are one summary diagnostic at the file's first line. */
export const MAX_TRACE_DIAGNOSTICS_PER_FILE = 500;

/** The code of a malformed-line diagnostic. */
export const MALFORMED_CODE = 'malformed line';

/**
 * Issue 16 ("malformed lines are only a count in a tooltip"): every malformed line the readers
 * kept (TraceWorkspace `malformed()`, itself capped per source) is a Warning at its line of the
 * trace file, so the Problems panel lists them as file:line + reason and a click opens the JSONL
 * at the line. At most {@link MAX_TRACE_DIAGNOSTICS_PER_FILE} per file, then one diagnostic that
 * says how many more the file has. The reason is Flowlens's own wording (sources/jsonError.ts),
 * still passed through the egress policy (forLabel, with the folder's redactor). Redrawn on every
 * trace change.
 */
export class TraceLineDiagnostics extends Disposable {
  private readonly collection = this._register(vscode.languages.createDiagnosticCollection(TRACE_DIAGNOSTICS));

  constructor(private readonly services: TraceServices) {
    super();
    this._register(services.onDidChange(() => this.update()));
    this.update();
  }

  /** Files with malformed lines now (tests read it). */
  get files(): number {
    let n = 0;
    this.collection.forEach(() => void n++);
    return n;
  }

  update(): void {
    const next = new Map<string, { uri: vscode.Uri; diags: vscode.Diagnostic[] }>();
    for (const ws of this.services.workspaces.values()) {
      let lines: Malformed[];
      let counts: Map<string, number>;
      let binary: Set<string>;
      try {
        lines = ws.malformed();
        const sources = ws.sources();
        counts = new Map(sources.map((s) => [s.file, s.malformed]));
        // A SQLite row has no line to show: its problems stay in the log.
        binary = new Set(sources.filter((s) => s.kind === 'trace-db' || s.kind === 'sqlite').map((s) => s.file));
      } catch {
        continue; // a folder being torn down: its problems are in the log
      }
      const red = redactorFor(ws.catalog);
      const byFile = new Map<string, Malformed[]>();
      for (const m of lines) {
        if (binary.has(m.file)) continue;
        let l = byFile.get(m.file);
        if (!l) byFile.set(m.file, (l = []));
        l.push(m);
      }
      for (const [file, list] of byFile) {
        const uri = vscode.Uri.file(file);
        const diags = list.slice(0, MAX_TRACE_DIAGNOSTICS_PER_FILE).map((m) => {
          const z = Math.max(0, Math.min(Math.floor(m.line) - 1, 0x7fffffff));
          const d = new vscode.Diagnostic(new vscode.Range(z, 0, z, Number.MAX_SAFE_INTEGER), forLabel(`Flowlens could not read this line: ${m.reason}`, red, 300), vscode.DiagnosticSeverity.Warning);
          d.source = TRACE_DIAGNOSTICS;
          d.code = MALFORMED_CODE;
          return d;
        });
        const total = Math.max(counts.get(file) ?? 0, list.length);
        if (total > diags.length) {
          const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), `${total - diags.length} more unreadable line(s) in this file are not listed (Flowlens lists the first ${diags.length}; all are counted in the Runs view and Output → Flowlens).`, vscode.DiagnosticSeverity.Warning);
          d.source = TRACE_DIAGNOSTICS;
          d.code = MALFORMED_CODE;
          diags.push(d);
        }
        next.set(uri.toString(), { uri, diags });
      }
    }
    this.collection.clear();
    for (const { uri, diags } of next.values()) this.collection.set(uri, diags);
  }
}
