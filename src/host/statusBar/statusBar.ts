// The status-bar item: the latest run's health (running, ok, N failed, crashed) with a tooltip of its counts and problems; renders once per change.
import * as vscode from 'vscode';
import { COMMANDS } from '../commands';
import { plural, relativeTime } from '../format';
import { runFailures, runStatus, runVerdictCounts } from '../../core/analyze/queries';
import type { TraceServices } from '../services';
import { appendField, appendSafe, safeMarkdown } from '../ui';
import { forLabel } from '../../core/render/egress/surfaces';
import { Disposable } from '../lifecycle';
import { redactorFor } from '../redaction';
import { problemsText } from '../log';

/**
 * The one owner of Flowlens's status bar item (docs/style.md habit 9): health of the latest run,
 * rendered from the model after every change; hidden when the workspace has no traces.
 */
export class RunStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('flowlens.status', vscode.StatusBarAlignment.Left, 50));
  private shown = false;
  private queued = false;
  /** How often the item was drawn (tests: one render per change). */
  renders = 0;

  constructor(private readonly services: TraceServices) {
    super();
    this.item.name = 'Flowlens';
    this.item.command = COMMANDS.showFailures;
    // A refresh reports its problems to the log (a count event) and then announces the change, in
    // the same turn: both ask for a render, and the item is drawn once.
    this._register(services.onDidChange(() => this.requestRender()));
    if (services.log) this._register(services.log.onDidChangeCount(() => this.requestRender()));
    this.render();
  }

  /** Render once at the end of the current turn, however many changes asked for it. */
  requestRender(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      if (!this.isDisposed) this.render();
    });
  }

  /** Re-reads the model; also called while the first load is in progress. */
  render(): void {
    this.renders++;
    const latest = this.services.latestRun();
    const problems = this.services.log?.count() ?? 0;
    if (!latest) {
      this.item.command = COMMANDS.showFailures;
      if (this.services.stopped.size > 0 && !this.services.loading) {
        this.item.command = COMMANDS.refreshRuns;
        this.show('$(warning) partial · no run read', 'Flowlens: indexing was cancelled before a run was read. Click to read everything (Flowlens: Refresh Traces).');
      } else if (this.services.loading) {
        this.show('$(sync~spin) Flowlens', 'Flowlens: reading traces…');
      } else if (problems > 0) {
        // Click shows the log: why the files found gave no run.
        this.item.command = COMMANDS.showLog;
        this.show(`$(warning) no run · ${problemsText(problems)}`, `Flowlens found no runs. ${problemsText(problems)} — click to Show Log.`);
      } else if ([...this.services.workspaces.values()].some(ws => safeSources(ws).some(isTelemetry))) {
        // Telemetry queues and stores have no runs; the Telemetry view shows them (issue 16).
        this.item.command = COMMANDS.showTelemetry;
        this.show('$(pulse) Flowlens: telemetry', 'Flowlens: no flow runs here; the Grain/Assay telemetry queues and SQLite stores are in the Telemetry view. Click to show it.');
      } else if ([...this.services.workspaces.values()].some(ws => safeSources(ws).length > 0)) {
        this.show('$(circle-slash) no trace', 'Flowlens found trace files but no runs in them.');
      } else {
        this.item.hide();
        this.shown = false;
      }
      return;
    }
    const { run } = latest;
    // Counts and status as every surface shows them (analyze/queries.ts).
    const c = runVerdictCounts(run);
    const status = runStatus(run);
    // Failures outside any flow (error-severity events, e.g. esper-lite's GOVERNOR_ROLLBACK) count
    // like failed flows: the one failures definition (queries.ts runFailures) says which.
    const outside = c.failed + c.exceptions > 0 || status !== 'failed' ? 0 : runFailures(run).filter(f => f.flow === undefined).length;
    const bad = c.failed + c.exceptions + outside;
    let text: string;
    // A failing item says whose it is (issue 16): "1 failed" alone, among other extensions' items, reads like a test or build result.
    if (outside) text = `$(error) Flowlens: ${plural(outside, 'failure')}${status === 'running' ? ' · running' : ''}`;
    else if (bad) text = `$(error) Flowlens: ${bad} failed${status === 'running' ? ' · running' : ''}`;
    else if (status === 'running') text = `$(sync~spin) running · ${plural(c.total, 'flow')}`;
    else if (status === 'crashed') text = `$(flame) Flowlens: crashed`;
    else if (status === 'failed') text = `$(error) Flowlens: failed · ${plural(c.total, 'flow')}`;
    else text = `$(pass) ${plural(c.total, 'flow')}`;
    const red = redactorFor(this.services.workspaces.get(latest.folderKey)?.catalog, run);
    const md = safeMarkdown();
    md.appendMarkdown('**Flowlens — latest run** ');
    appendSafe(md, run.id, red, 200);
    md.appendMarkdown('\n\n');
    appendField(md, 'status', `${status}, ${relativeTime(run.started)}`, red);
    if (run.app || run.mode) appendField(md, 'app', [run.app, run.mode].filter(Boolean).join(' · '), red);
    appendField(md, 'flows', `${c.total}: ${c.succeeded} succeeded, ${c.failed} failed, ${plural(c.exceptions, 'exception')}, ${c.orphaned} orphaned${c.running ? `, ${c.running} running` : ''}`);
    appendField(md, 'runs in workspace', String(this.services.allRuns().length));
    if (problems > 0) md.appendMarkdown(`\n**${problemsText(problems)}** — Show Log: run "Flowlens: Show Log" (Output → Flowlens).\n`);
    if (this.services.stopped.size > 0) {
      // A cancelled index: what is shown is partial until the user reads everything again.
      text = `$(warning) partial · ${text}`;
      md.appendMarkdown('\n**Indexing was cancelled**: runs show what was read so far. Click to read everything (Flowlens: Refresh Traces).');
      this.item.command = COMMANDS.refreshRuns;
    } else {
      md.appendMarkdown('\nClick to show failures.');
      this.item.command = COMMANDS.showFailures;
    }
    this.show(text, md);
    this.item.accessibilityInformation = { label: `Flowlens latest run ${forLabel(run.id, red, 200)}: ${text.replace(/\$\([^)]*\)\s*/g, '').replace('Flowlens: ', '')}` };
  }

  /** What the item shows now (tests read it). */
  get text(): string { return this.item.text; }
  get visible(): boolean { return this.shown; }

  private show(text: string, tooltip: string | vscode.MarkdownString): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.show();
    this.shown = true;
  }

}

/** A telemetry source: a Grain/Assay queue or a SQLite store (they hold no runs). */
function isTelemetry(s: { kind?: string }): boolean {
  return s.kind === 'queue' || s.kind === 'sqlite';
}

function safeSources(ws: { sources(): { kind?: string }[] }): { kind?: string }[] {
  try {
    return ws.sources();
  } catch {
    return [];
  }
}
