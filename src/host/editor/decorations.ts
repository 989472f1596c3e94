// Inline notes at the lines where the latest run failed, with a redacted hover.
import * as vscode from 'vscode';
import { readConfig } from '../config';
import type { TraceLocations } from './traceLocations';
import { forLabel, forMarkdown } from '../../core/render/egress/surfaces';
import { Disposable } from '../lifecycle';
import { safeMarkdown } from '../ui';

/**
 * Inline after-text ("✗ DATA.EMPTY · vendor returned 0 rows") on lines where the latest run
 * failed, plus an overview-ruler mark. Toggle: `flowlens.decorations.enabled`.
 */
export class FailureDecorations extends Disposable {
  private readonly type = this._register(vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    overviewRulerColor: new vscode.ThemeColor('testing.iconFailed'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
    after: {
      color: new vscode.ThemeColor('testing.iconFailed'),
      margin: '0 0 0 2em',
      fontStyle: 'italic',
    },
  }));

  constructor(private readonly index: TraceLocations) {
    super();
    this._register(index.onDidChange(() => this.updateAll()));
    this._register(vscode.window.onDidChangeVisibleTextEditors(() => this.updateAll()));
    this._register(vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('flowlens.decorations.enabled') || e.affectsConfiguration('flowlens.diagnostics.enabled')) this.updateAll(); }));
    this.updateAll();
  }

  updateAll(): void {
    const config = readConfig();
    const on = config['decorations.enabled'];
    // With Problems on, the diagnostic at this line already says it in the hover: a second hover
    // with the same text was the "hover that repeats its message" of issue 16.
    const withHover = !config['diagnostics.enabled'];
    for (const editor of vscode.window.visibleTextEditors) {
      if (!on || editor.document.uri.scheme !== 'file') { editor.setDecorations(this.type, []); continue; }
      const opts: vscode.DecorationOptions[] = [];
      for (const f of this.index.failuresFor(editor.document.uri)) {
        if (f.zeroBasedLine >= editor.document.lineCount) continue;
        let hover: vscode.MarkdownString | undefined;
        if (withHover) {
          hover = safeMarkdown();
          hover.appendMarkdown('**Flowlens** — ');
          // f.text and f.runLabel are already redacted with the run's redactor (traceLocations.ts).
          hover.appendMarkdown(forMarkdown(`${f.verdict} in run ${f.runLabel}: ${f.text}`));
        }
        opts.push({
          range: new vscode.Range(f.zeroBasedLine, 0, f.zeroBasedLine, 0),
          hoverMessage: hover,
          renderOptions: { after: { contentText: `✗ ${forLabel(f.text, undefined, 90)}` } },
        });
      }
      editor.setDecorations(this.type, opts);
    }
  }
}
