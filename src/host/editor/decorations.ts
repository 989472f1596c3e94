// Inline notes at the lines where the latest run failed, and at the line of a failure just opened from any run, with a redacted hover.
import * as vscode from 'vscode';
import { readConfig } from '../config';
import type { TraceLocations } from './traceLocations';
import { forLabel, forMarkdown } from '../../core/render/egress/surfaces';
import { Disposable } from '../lifecycle';
import { safeMarkdown } from '../ui';

/** The failure note shown at a line just opened (see {@link FailureDecorations.showOpened}). */
export interface OpenedNote {
  /** `uri.toString()` of the document. */
  uri: string;
  zeroBasedLine: number;
  /** Already redacted by the surface that opened it; made one plain line here. */
  text: string;
}

/** The live {@link FailureDecorations} (one per extension host), for {@link noteOpenedFailure}. */
const live = new Set<FailureDecorations>();

/**
 * Shows `text` at the line of `editor` that a click on a failure just opened (open.ts), whatever
 * run the failure is from — only the latest run's failures are decorated otherwise (issue 16).
 */
export function noteOpenedFailure(editor: vscode.TextEditor, zeroBasedLine: number, text: string): void {
  for (const d of live) d.showOpened(editor, zeroBasedLine, text);
}

/** The decoration of a failure note: italic after-text in the failed colour, a mark in the overview ruler. */
function failureNoteType(): vscode.TextEditorDecorationType {
  return vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      overviewRulerColor: new vscode.ThemeColor('testing.iconFailed'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      after: {
        color: new vscode.ThemeColor('testing.iconFailed'),
        margin: '0 0 0 2em',
        fontStyle: 'italic',
      },
    });
}

/**
 * Inline after-text ("✗ DATA.EMPTY · vendor returned 0 rows") on lines where the latest run
 * failed, plus an overview-ruler mark. Toggle: `flowlens.decorations.enabled`. Also the note of
 * a failure opened from any run ({@link showOpened}), until the user edits the document, moves
 * the cursor off that line or opens another editor.
 */
export class FailureDecorations extends Disposable {
  private readonly openedType = this._register(failureNoteType());
  private opened: OpenedNote | undefined;
  private openedWatch: vscode.Disposable[] = [];
  private readonly type = this._register(failureNoteType());

  constructor(private readonly index: TraceLocations) {
    super();
    live.add(this);
    this._register({ dispose: () => { live.delete(this); this.clearOpened(false); } });
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
      if (!on || editor.document.uri.scheme !== 'file') { editor.setDecorations(this.type, []); editor.setDecorations(this.openedType, []); continue; }
      const opts: vscode.DecorationOptions[] = [];
      // The note of a failure just opened replaces the latest run's note at its line.
      const opened = this.opened?.uri === editor.document.uri.toString() ? this.opened : undefined;
      editor.setDecorations(this.openedType, opened ? [this.openedOption(opened)] : []);
      for (const f of this.index.failuresFor(editor.document.uri)) {
        if (f.zeroBasedLine >= editor.document.lineCount) continue;
        if (opened && opened.zeroBasedLine === f.zeroBasedLine) continue;
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

  /** The note of the failure opened last, while it is shown (tests read it). */
  get openedNote(): OpenedNote | undefined {
    return this.opened;
  }

  /** Shows `text` at a line of `editor` until the document changes, the cursor leaves the line or another editor is active. */
  showOpened(editor: vscode.TextEditor, zeroBasedLine: number, text: string): void {
    this.clearOpened(false);
    if (!readConfig()['decorations.enabled'] || editor.document.uri.scheme !== 'file') return this.updateAll();
    const uri = editor.document.uri.toString();
    this.opened = { uri, zeroBasedLine, text: forLabel(text, undefined, 200) };
    this.openedWatch = [
      vscode.window.onDidChangeActiveTextEditor((e) => { if (e && e.document.uri.toString() !== uri) this.clearOpened(); }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.uri.toString() === uri && e.selections.every((s) => s.active.line !== zeroBasedLine)) this.clearOpened();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.document.uri.toString() === uri && e.contentChanges.length) this.clearOpened(); }),
    ];
    this.updateAll();
  }

  private clearOpened(redraw = true): void {
    for (const d of this.openedWatch) d.dispose();
    this.openedWatch = [];
    if (!this.opened) return;
    this.opened = undefined;
    if (redraw && !this.isDisposed) this.updateAll();
  }

  private openedOption(n: OpenedNote): vscode.DecorationOptions {
    const hover = safeMarkdown();
    hover.appendMarkdown('**Flowlens** — ');
    hover.appendMarkdown(forMarkdown(n.text));
    return {
      range: new vscode.Range(n.zeroBasedLine, 0, n.zeroBasedLine, 0),
      hoverMessage: hover,
      renderOptions: { after: { contentText: `✗ ${forLabel(n.text, undefined, 120)}` } },
    };
  }
}
