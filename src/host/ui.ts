// Tree-item pieces shared by the Runs and Failures views: icons and descriptions for statuses and verdicts, redacted tooltips.
import * as vscode from 'vscode';
import type { FlowNode, Run, RunStatus, TraceEvent, Verdict } from '../core/model/types';
import { Redactor, stripControl } from '../core/render/egress/redact';
import { forLabel, forMarkdown } from '../core/render/egress/surfaces';
import { duration, failureSummary, plural, safeJson, shortLoc, UNKNOWN_DURATION } from './format';
import { runStatus, runVerdictCounts } from '../core/analyze/queries';
import { timeText } from '../core/model/time';
import { runNotesText } from '../core/render/runNotes';

/** Codicon + theme colour per verdict (colours follow the Testing view so themes agree). */
export function verdictIcon(v: Verdict): vscode.ThemeIcon {
  switch (v) {
    case 'succeeded': return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'failed': return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'exception': return new vscode.ThemeIcon('bug', new vscode.ThemeColor('testing.iconErrored'));
    case 'orphaned': return new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('charts.yellow'));
    case 'running': return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));
  }
}

/**
 * A flow whose own verdict is fine but that holds a failure further down (queries.ts
 * `worstInside`): a distinct outline icon in the failure colour — not the flow's own ✗ — like the
 * Testing view marks the parents of a failed test (issue 16).
 */
export function containsFailuresIcon(): vscode.ThemeIcon {
  return new vscode.ThemeIcon('warning', new vscode.ThemeColor('testing.iconFailed'));
}

/** The description words of {@link containsFailuresIcon}. */
export const CONTAINS_FAILURES = 'contains failures';

/** A path group's folder icon, coloured by the worst state inside it (queries.ts `worstOf`). */
export function groupIcon(worst: Verdict | undefined): vscode.ThemeIcon {
  switch (worst) {
    case 'failed': return new vscode.ThemeIcon('folder', new vscode.ThemeColor('testing.iconFailed'));
    case 'exception': return new vscode.ThemeIcon('folder', new vscode.ThemeColor('testing.iconErrored'));
    case 'orphaned': return new vscode.ThemeIcon('folder', new vscode.ThemeColor('charts.yellow'));
    case 'running': return new vscode.ThemeIcon('folder', new vscode.ThemeColor('charts.blue'));
    default: return new vscode.ThemeIcon('folder');
  }
}

export function runIcon(run: Run): vscode.ThemeIcon {
  // The one run status (analyze/queries.ts runStatus): the CLI, quick pick and dashboard say the same.
  const s: RunStatus = runStatus(run);
  if (s === 'running') return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));
  if (s === 'crashed') return new vscode.ThemeIcon('flame', new vscode.ThemeColor('testing.iconErrored'));
  if (s === 'failed') return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
  return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
}

export function eventIcon(e: TraceEvent): vscode.ThemeIcon {
  switch (e.type) {
    case 'failure': return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'exception': return new vscode.ThemeIcon('bug', new vscode.ThemeColor('testing.iconErrored'));
    case 'success': return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'flow_start': return new vscode.ThemeIcon('debug-start');
    case 'metric': return new vscode.ThemeIcon('dashboard');
    case 'checkpoint': return new vscode.ThemeIcon('circle-small-filled');
    case 'session_start': case 'session_end': return new vscode.ThemeIcon('record-small');
    default: return new vscode.ThemeIcon('circle-outline', new vscode.ThemeColor('disabledForeground'));
  }
}

/**
 * A MarkdownString for untrusted trace text: no command links, no HTML, no theme icons; text goes
 * through {@link forMarkdown} (redacted, control-stripped, every metacharacter escaped) and JSON
 * through a fence longer than any backtick run inside it.
 */
export function safeMarkdown(): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', false);
  md.isTrusted = false;
  md.supportHtml = false;
  md.supportThemeIcons = false;
  return md;
}

/** How a tooltip shows trace text: the run's redactor; `raw` = evidence/data unredacted (setting). */
export interface TooltipText {
  red: Redactor;
  /** `flowlens.tooltips.showRawEvidence`: evidence and data shown unredacted (still control-stripped, fenced). */
  raw?: boolean;
}

const DEFAULT_TEXT: TooltipText = { red: new Redactor() };

/** Trace text appended as inert Markdown (redacted, escaped). */
export function appendSafe(md: vscode.MarkdownString, value: unknown, red: Redactor = DEFAULT_TEXT.red, max = 2000): void {
  md.appendMarkdown(forMarkdown(value, red, { max }));
}

export function appendCode(md: vscode.MarkdownString, text: string, lang = 'json'): void {
  const clean = stripControl(text).replace(/\r/g, '');
  const longest = Math.max(2, ...(clean.match(/`+/g) ?? []).map(s => s.length));
  const fence = '`'.repeat(longest + 1);
  md.appendMarkdown(`\n${fence}${lang}\n`);
  // Inside a fenced block Markdown is not interpreted; the fence cannot be closed by the content.
  md.appendMarkdown(clean);
  md.appendMarkdown(`\n${fence}\n`);
}

/** A JSON block of trace data (evidence, data): redacted unless `raw`; bounded either way. */
export function appendJson(md: vscode.MarkdownString, title: string, value: unknown, t: TooltipText): void {
  md.appendMarkdown(`\n**${title}**${t.raw ? ' (unredacted: flowlens.tooltips.showRawEvidence)' : ''}\n`);
  appendCode(md, safeJson(t.raw ? value : t.red.value(value)));
}

/** Bold label + escaped, redacted value on its own line. */
export function appendField(md: vscode.MarkdownString, label: string, value: string, red: Redactor = DEFAULT_TEXT.red): void {
  md.appendMarkdown(`**${label}:** `);
  appendSafe(md, value, red);
  md.appendMarkdown('  \n');
}

export function flowTooltip(flow: FlowNode, description?: string, slaP95Ms?: number, t: TooltipText = DEFAULT_TEXT): vscode.MarkdownString {
  const red = t.red;
  const md = safeMarkdown();
  md.appendMarkdown('**');
  appendSafe(md, flow.name ?? flow.displayName, red, 300);
  md.appendMarkdown('** — ');
  appendSafe(md, flow.verdict, red);
  md.appendMarkdown('\n\n');
  if (description) { appendSafe(md, description, red); md.appendMarkdown('\n\n'); }
  appendField(md, 'flow id', flow.id, red);
  if (flow.durationMs !== undefined)
    appendField(md, 'duration', duration(flow.durationMs) + (slaP95Ms !== undefined ? ` (SLA p95 ${slaP95Ms} ms)` : ''), red);
  else if (flow.verdict !== 'running' && flow.verdict !== 'orphaned')
    appendField(md, 'duration', `${UNKNOWN_DURATION} (unknown: no duration_ms, and no event of the flow before its verdict's time)`, red);
  const v = flow.verdictEvent;
  if (v) {
    const s = failureSummary(v);
    if (flow.verdict !== 'succeeded' && s) appendField(md, 'reason', s, red);
    else if (v.reason) appendField(md, 'reason', v.reason, red);
    if (v.file) appendField(md, 'at', shortLoc(v.file, v.line), red);
  }
  const corr = Object.entries(flow.correlation ?? {});
  if (corr.length) appendField(md, 'correlation', safeJson(red.value(flow.correlation), 200).replace(/\s+/g, ' '), red);
  if (flow.tags.length) appendField(md, 'tags', flow.tags.join(', '), red);
  if (v?.evidence !== undefined) appendJson(md, 'evidence', v.evidence, t);
  return md;
}

export function eventTooltip(e: TraceEvent, t: TooltipText = DEFAULT_TEXT): vscode.MarkdownString {
  const red = t.red;
  const md = safeMarkdown();
  md.appendMarkdown('**');
  appendSafe(md, e.type, red, 100);
  md.appendMarkdown('**');
  if (e.step) { md.appendMarkdown(' · '); appendSafe(md, e.step, red, 300); }
  md.appendMarkdown('\n\n');
  if (e.tsRaw !== undefined) appendField(md, 'time', String(e.tsRaw), red);
  if (e.failureClass) appendField(md, 'class', e.failureClass, red);
  if (e.reason) appendField(md, 'reason', e.reason, red);
  if (e.exception) appendField(md, 'exception', [e.exception.type, e.exception.message].filter(Boolean).join(': '), red);
  if (e.durationMs !== undefined) appendField(md, 'duration', duration(e.durationMs), red);
  if (e.file) appendField(md, 'at', `${e.file}${e.line !== undefined ? ':' + e.line : ''}${e.function ? ' in ' + e.function : ''}`, red);
  if (e.correlation && Object.keys(e.correlation).length) appendField(md, 'correlation', safeJson(red.value(e.correlation), 200).replace(/\s+/g, ' '), red);
  if (e.evidence !== undefined) appendJson(md, 'evidence', e.evidence, t);
  if (e.data !== undefined && !(typeof e.data === 'object' && e.data && Object.keys(e.data).length === 0)) appendJson(md, 'data', e.data, t);
  appendField(md, 'source', `${e.src.file}:${e.src.line}`, red);
  return md;
}

export function runTooltip(run: Run, red: Redactor = DEFAULT_TEXT.red): vscode.MarkdownString {
  const md = safeMarkdown();
  const c = runVerdictCounts(run);
  md.appendMarkdown('**run** ');
  appendSafe(md, run.id, red, 300);
  md.appendMarkdown('\n\n');
  appendField(md, 'status', runStatus(run), red);
  if (run.started !== undefined) appendField(md, 'started', timeText(run.started), red);
  if (run.started !== undefined && run.ended !== undefined) appendField(md, 'took', duration(run.ended - run.started), red);
  if (run.app) appendField(md, 'app', run.app, red);
  if (run.mode) appendField(md, 'mode', run.mode, red);
  if (run.tags.length) appendField(md, 'tags', run.tags.join(', '), red);
  if (run.gitSha) appendField(md, 'git', run.gitSha, red);
  if (run.host) appendField(md, 'host', run.host, red);
  appendField(md, 'flows', `${c.total} — ${c.succeeded} succeeded, ${c.failed} failed, ${plural(c.exceptions, 'exception')}, ${c.orphaned} orphaned${c.running ? `, ${c.running} running` : ''}`, red);
  appendField(md, 'source', run.primarySource, red);
  if (run.malformed.length) appendField(md, 'unreadable lines', `${run.malformed.length} — each listed in the Problems panel at its line (source flowlens-trace)`, red);
  // The run's notes in their one wording (the cap note first: it says why events are missing).
  for (const n of runNotesText(run).slice(0, 5)) { md.appendMarkdown('- '); appendSafe(md, n, red); md.appendMarkdown('\n'); }
  return md;
}

/**
 * Applies {@link forLabel} (redacted with `red`, control-stripped, one line, no `$(icon)`) to an
 * item's label and description, at the edge, for every tree.
 */
export function safeItem<T extends vscode.TreeItem>(item: T, red?: Redactor): T {
  if (typeof item.label === 'string') item.label = forLabel(item.label, red, 1000);
  else if (item.label) item.label = { ...item.label, label: forLabel(item.label.label, red, 1000), highlights: undefined };
  if (typeof item.description === 'string') item.description = forLabel(item.description, red, 1000);
  return item;
}
