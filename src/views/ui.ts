import * as vscode from 'vscode';
import type { FlowNode, Run, RunStatus, TraceEvent, Verdict } from '../trace/model';
import { duration, failureSummary, runCounts, safeJson, shortLoc, plainText } from './format';

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

export function runIcon(run: Run): vscode.ThemeIcon {
  const s: RunStatus = run.status;
  if (s === 'running') return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));
  if (s === 'crashed') return new vscode.ThemeIcon('flame', new vscode.ThemeColor('testing.iconErrored'));
  const c = runCounts(run);
  if (s === 'failed' || c.failed || c.exceptions) return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
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
 * A MarkdownString for untrusted trace text: no command links, no HTML; text goes through
 * appendText (escaped) and JSON through a fence longer than any backtick run inside it.
 */
export function safeMarkdown(): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', false);
  md.isTrusted = false;
  md.supportHtml = false;
  md.supportThemeIcons = false;
  return md;
}

export function appendCode(md: vscode.MarkdownString, text: string, lang = 'json'): void {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map(s => s.length));
  const fence = '`'.repeat(longest + 1);
  md.appendMarkdown(`\n${fence}${lang}\n`);
  // Inside a fenced block Markdown is not interpreted; the fence cannot be closed by the content.
  md.appendMarkdown(text.replace(/\r/g, ''));
  md.appendMarkdown(`\n${fence}\n`);
}

/** Bold label + escaped value on its own line. */
export function appendField(md: vscode.MarkdownString, label: string, value: string): void {
  md.appendMarkdown(`**${label}:** `);
  md.appendText(value);
  md.appendMarkdown('  \n');
}

export function flowTooltip(flow: FlowNode, description?: string, slaP95Ms?: number): vscode.MarkdownString {
  const md = safeMarkdown();
  md.appendMarkdown('**');
  md.appendText(flow.name ?? flow.displayName);
  md.appendMarkdown('** — ');
  md.appendText(flow.verdict);
  md.appendMarkdown('\n\n');
  if (description) { md.appendText(description); md.appendMarkdown('\n\n'); }
  appendField(md, 'flow id', flow.id);
  if (flow.durationMs !== undefined)
    appendField(md, 'duration', duration(flow.durationMs) + (slaP95Ms !== undefined ? ` (SLA p95 ${slaP95Ms} ms)` : ''));
  const v = flow.verdictEvent;
  if (v) {
    const s = failureSummary(v);
    if (flow.verdict !== 'succeeded' && s) appendField(md, 'reason', s);
    else if (v.reason) appendField(md, 'reason', v.reason);
    if (v.file) appendField(md, 'at', shortLoc(v.file, v.line));
  }
  const corr = Object.entries(flow.correlation ?? {});
  if (corr.length) appendField(md, 'correlation', corr.map(([k, x]) => `${k}=${typeof x === 'string' ? x : safeJson(x, 80)}`).join(', '));
  if (flow.tags.length) appendField(md, 'tags', flow.tags.join(', '));
  if (v?.evidence !== undefined) {
    md.appendMarkdown('\n**evidence**\n');
    appendCode(md, safeJson(v.evidence));
  }
  return md;
}

export function eventTooltip(e: TraceEvent): vscode.MarkdownString {
  const md = safeMarkdown();
  md.appendMarkdown('**');
  md.appendText(e.type);
  md.appendMarkdown('**');
  if (e.step) { md.appendMarkdown(' · '); md.appendText(e.step); }
  md.appendMarkdown('\n\n');
  if (e.tsRaw !== undefined) appendField(md, 'time', String(e.tsRaw));
  if (e.failureClass) appendField(md, 'class', e.failureClass);
  if (e.reason) appendField(md, 'reason', e.reason);
  if (e.exception) appendField(md, 'exception', [e.exception.type, e.exception.message].filter(Boolean).join(': '));
  if (e.durationMs !== undefined) appendField(md, 'duration', duration(e.durationMs));
  if (e.file) appendField(md, 'at', `${e.file}${e.line !== undefined ? ':' + e.line : ''}${e.function ? ' in ' + e.function : ''}`);
  if (e.correlation && Object.keys(e.correlation).length) appendField(md, 'correlation', safeJson(e.correlation, 200).replace(/\s+/g, ' '));
  if (e.evidence !== undefined) { md.appendMarkdown('\n**evidence**\n'); appendCode(md, safeJson(e.evidence)); }
  if (e.data !== undefined && !(typeof e.data === 'object' && e.data && Object.keys(e.data).length === 0)) {
    md.appendMarkdown('\n**data**\n');
    appendCode(md, safeJson(e.data));
  }
  appendField(md, 'source', `${e.src.file}:${e.src.line}`);
  return md;
}

export function runTooltip(run: Run): vscode.MarkdownString {
  const md = safeMarkdown();
  const c = runCounts(run);
  md.appendMarkdown('**run** ');
  md.appendText(run.id);
  md.appendMarkdown('\n\n');
  appendField(md, 'status', run.status);
  if (run.started !== undefined) appendField(md, 'started', new Date(run.started).toISOString());
  if (run.started !== undefined && run.ended !== undefined) appendField(md, 'took', duration(run.ended - run.started));
  if (run.app) appendField(md, 'app', run.app);
  if (run.mode) appendField(md, 'mode', run.mode);
  if (run.tags.length) appendField(md, 'tags', run.tags.join(', '));
  if (run.gitSha) appendField(md, 'git', run.gitSha);
  if (run.host) appendField(md, 'host', run.host);
  appendField(md, 'flows', `${c.flows} — ${c.succeeded} succeeded, ${c.failed} failed, ${c.exceptions} exceptions, ${c.orphaned} orphaned${c.running ? `, ${c.running} running` : ''}`);
  appendField(md, 'source', run.primarySource);
  if (run.malformed.length) appendField(md, 'unreadable lines', String(run.malformed.length));
  // The cap note (flowlens.maxEventsPerSource) first: it says why events are missing.
  const capFirst = (n: string) => (n.startsWith('summarised: ') || n.startsWith('capped: ') ? 0 : 1);
  const notes = run.cap ? [...run.notes].sort((a, b) => capFirst(a) - capFirst(b)) : run.notes;
  for (const n of notes.slice(0, 5)) { md.appendMarkdown('- '); md.appendText(n); md.appendMarkdown('\n'); }
  return md;
}

/** Applies `plainText` (format.ts) to an item's label and description, at the edge, for every tree. */
export function safeItem<T extends vscode.TreeItem>(item: T): T {
  if (typeof item.label === 'string') item.label = plainText(item.label);
  else if (item.label) item.label = { ...item.label, label: plainText(item.label.label), highlights: undefined };
  if (typeof item.description === 'string') item.description = plainText(item.description);
  return item;
}
