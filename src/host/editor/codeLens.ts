// CodeLens above each flow's code: its name, how often it ran and failed, and its p95 against the SLA.
import * as vscode from 'vscode';
import { readConfig } from '../config';
import { COMMANDS } from '../commands';
import { lensTitle, type TraceLocations } from './traceLocations';
import { forLabel } from '../../core/render/egress/surfaces';
import { Disposable } from '../lifecycle';

/**
 * CodeLens above traced lines (where a flow starts) and on line 1 of flows.yaml `code_refs`
 * targets: "orders/submit · 3 runs · 1 failed · p95 1.8 s ▲ SLA 1000". Click reveals the newest
 * instance in the Runs view. Toggle: `flowlens.codeLens.enabled`.
 */
export class FlowCodeLensProvider extends Disposable implements vscode.CodeLensProvider {
  private readonly emitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.emitter.event;

  constructor(private readonly index: TraceLocations) {
    super();
    this._register(index.onDidChange(() => this.emitter.fire()));
    this._register(vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('flowlens.codeLens.enabled')) this.emitter.fire(); }));
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!readConfig()['codeLens.enabled']) return [];
    return this.index.lensesFor(doc.uri)
      .filter(a => a.zeroBasedLine < doc.lineCount)
      .sort((a, b) => a.zeroBasedLine - b.zeroBasedLine || Number(b.codeRef) - Number(a.codeRef))
      .map(a => new vscode.CodeLens(new vscode.Range(a.zeroBasedLine, 0, a.zeroBasedLine, 0), {
        // Trace text must not inject `$(icon)` syntax or control characters into the title (forLabel).
        title: `$(pulse) ${forLabel(lensTitle(a.stats))}`,
        tooltip: forLabel(a.codeRef ? `Listed in flows.yaml code_refs for ${a.stats.name}` : `Flow ${a.stats.name} is traced here`),
        command: COMMANDS.revealInRuns,
        arguments: [a.stats.latest],
      }));
  }
}
