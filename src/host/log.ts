/**
 * The Flowlens log channel (Output → Flowlens): every problem found while reading a workspace
 * folder's traces — discovery notes (symlinks and FIFOs skipped, run folder limits), per-source
 * read errors (SQLite store problems, over-budget stops, file growth), malformed lines with
 * file:line, and ra.yaml / flows.yaml problems with file:line:col — written once each.
 *
 * Every line is plain text through {@link forTerminal} (control, bidi and escape characters
 * stripped, one line) with a redactor over the folder's runs and ra.yaml keys, so a secret that
 * appears in a malformed line's reason is scrubbed like everywhere else. A refresh that finds
 * the same problem does not log it again; at most {@link MAX_LINES_PER_REPORT} lines per folder
 * and refresh, then one "… N more" line.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Catalog } from '../core/read/catalog';
import { forTerminal } from '../core/render/egress/surfaces';
import type { Redactor } from '../core/render/egress/redact';
import type { TraceWorkspace } from '../core/read/workspace';
import { COMMANDS } from './commands';
import { redactorForRuns } from './redaction';

/** Lines written per folder and refresh before a "… N more" line. */
export const MAX_LINES_PER_REPORT = 200;
/** Characters per log line. */
const MAX_LINE = 2000;
/** Problem keys remembered per folder (for dedupe). */
const MAX_REMEMBERED = 50_000;

export type ProblemLevel = 'error' | 'warning' | 'info';

/** One problem of a folder: `key` identifies it across refreshes (raw text, never logged). */
export interface FolderProblem {
  key: string;
  level: ProblemLevel;
  text: string;
}

/** The part of a LogOutputChannel the log uses (tests pass a recorder). */
export interface LogSink {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  show(preserveFocus?: boolean): void;
  dispose(): void;
}

/** A path relative to the folder root when it lies inside, else as is. */
function relTo(root: string, file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(root, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
}

/** Replaces a leading absolute path inside the root (problem strings start with their file). */
function relLeading(root: string, s: string): string {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return s.startsWith(prefix) ? s.slice(prefix.length) : s;
}

/**
 * Every problem of a folder, in a stable order: discovery notes and source errors, skipped
 * sources, malformed lines (file:line), run warnings (file:line), catalog problems (file:line:col).
 * Never throws.
 */
export function folderProblems(ws: TraceWorkspace): FolderProblem[] {
  const out: FolderProblem[] = [];
  const root = ws.root;
  const safe = <T>(f: () => T[]): T[] => {
    try { return f(); } catch { return []; }
  };
  for (const p of safe(() => ws.problems())) out.push({ key: `p\u0000${p}`, level: 'warning', text: relLeading(root, p) });
  for (const s of safe(() => ws.sources())) {
    if (s.skipped) out.push({ key: `s\u0000${s.file}\u0000${s.skipped}`, level: 'info', text: `${relTo(root, s.file)}: ${s.skipped}` });
  }
  for (const m of safe(() => ws.malformed())) {
    out.push({ key: `m\u0000${m.file}\u0000${m.line}\u0000${m.reason}`, level: 'warning', text: `${relTo(root, m.file)}:${m.line}: malformed: ${m.reason}` });
  }
  // Located warnings on runs (timestamps out of range: the event is kept without a time).
  for (const run of safe(() => ws.runs())) {
    for (const m of run.warnings ?? []) {
      out.push({ key: `w\u0000${m.file}\u0000${m.line}\u0000${m.reason}`, level: 'warning', text: `${relTo(root, m.file)}:${m.line}: ${m.reason}` });
    }
  }
  out.push(...catalogProblems(root, ws.catalog));
  return out;
}

function catalogProblems(root: string, catalog: Catalog | undefined): FolderProblem[] {
  const out: FolderProblem[] = [];
  for (const p of catalog?.problems ?? []) {
    const at = p.line !== undefined ? `:${p.line}${p.col !== undefined ? `:${p.col}` : ''}` : '';
    const text = `${relTo(root, p.file)}${at}: ${p.message}`;
    out.push({ key: `c\u0000${p.file}\u0000${p.line ?? ''}\u0000${p.col ?? ''}\u0000${p.message}`, level: p.severity, text });
  }
  return out;
}

/**
 * Owns the log channel and what was logged. {@link report} after each load or refresh of a folder;
 * {@link count} is what the Runs view and status bar show ("N problems reading traces").
 */
export class FlowlensLog implements vscode.Disposable {
  private readonly logged = new Map<string, Set<string>>();
  private readonly counts = new Map<string, number>();
  private readonly emitter = new vscode.EventEmitter<void>();
  /** Fires when a folder's problem count changed. */
  readonly onDidChangeCount = this.emitter.event;

  constructor(readonly sink: LogSink) {}

  /**
   * Logs the folder's problems not logged before (at most {@link MAX_LINES_PER_REPORT}, then a
   * "… N more" line) and returns how many new problems there were.
   */
  report(folderKey: string, folderName: string, ws: TraceWorkspace): number {
    let problems: FolderProblem[];
    let red: Redactor;
    try {
      problems = folderProblems(ws);
      red = redactorForRuns([ws.catalog], ws.runs());
    } catch (err) {
      this.sink.error(forTerminal(`${folderName}: could not list the problems: ${err instanceof Error ? err.message : String(err)}`, undefined, MAX_LINE));
      return 0;
    }
    const before = this.logged.get(folderKey) ?? new Set<string>();
    const now = new Set<string>();
    let written = 0;
    let fresh = 0;
    const name = forTerminal(folderName, red, 200);
    // Counted (Runs view, status bar): warnings and errors. Notes (a skipped duplicate source, a
    // disabled flow not seen) are logged but do not make a healthy workspace say "problems".
    let counted = 0;
    for (const p of problems) {
      if (now.has(p.key)) continue;
      now.add(p.key);
      if (p.level !== 'info') counted++;
      if (before.has(p.key)) continue;
      fresh++;
      if (written >= MAX_LINES_PER_REPORT) continue;
      written++;
      const line = forTerminal(`[${name}] ${p.text}`, red, MAX_LINE);
      if (p.level === 'error') this.sink.error(line);
      else if (p.level === 'warning') this.sink.warn(line);
      else this.sink.info(line);
    }
    if (fresh > written) {
      this.sink.warn(forTerminal(`[${name}] … ${fresh - written} more problem${fresh - written === 1 ? '' : 's'} not logged (limit ${MAX_LINES_PER_REPORT} per refresh; the CLI lists them all: flowlens runs)`, red, MAX_LINE));
    }
    // Remember what is current: a problem that went away and comes back is logged again.
    this.logged.set(folderKey, now.size > MAX_REMEMBERED ? new Set([...now].slice(0, MAX_REMEMBERED)) : now);
    const prev = this.counts.get(folderKey);
    this.counts.set(folderKey, counted);
    if (prev !== counted) this.emitter.fire();
    return fresh;
  }

  /** An error of Flowlens itself (a feature that could not start): logged every time. */
  error(message: string, err?: unknown): void {
    const why = err === undefined ? '' : `: ${err instanceof Error ? err.message : String(err)}`;
    this.sink.error(forTerminal(`${message}${why}`, undefined, MAX_LINE));
  }

  /** Something a user action could not do and says nowhere else (an unknown run to reveal). */
  note(message: string): void {
    this.sink.info(forTerminal(message, undefined, MAX_LINE));
  }

  /** A load that failed as a whole (not one file): logged every time, with the folder's name. */
  failed(folderName: string, err: unknown): void {
    this.sink.error(forTerminal(`[${folderName}] could not read traces: ${err instanceof Error ? err.message : String(err)}`, undefined, MAX_LINE));
  }

  /** Forget folders no longer open (after a reload); their problems are not counted. */
  retain(folderKeys: Iterable<string>): void {
    const keep = new Set(folderKeys);
    let changed = false;
    for (const k of [...this.counts.keys()]) if (!keep.has(k)) { this.counts.delete(k); this.logged.delete(k); changed = true; }
    if (changed) this.emitter.fire();
  }

  /** Problems found at the last read of one folder, or of all. */
  count(folderKey?: string): number {
    if (folderKey !== undefined) return this.counts.get(folderKey) ?? 0;
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  show(): void {
    this.sink.show(true);
  }

  dispose(): void {
    this.emitter.dispose();
    this.sink.dispose();
  }
}

/** "N problems reading traces" (no trace text). */
export function problemsText(n: number): string {
  return `${n} problem${n === 1 ? '' : 's'} reading traces`;
}

/**
 * Creates the Output channel `Flowlens` (a LogOutputChannel) and registers `flowlens.showLog`;
 * both are disposed with the extension.
 */
export function registerLog(context: vscode.ExtensionContext): FlowlensLog {
  const log = new FlowlensLog(vscode.window.createOutputChannel('Flowlens', { log: true }));
  context.subscriptions.push(log, vscode.commands.registerCommand(COMMANDS.showLog, () => log.show()));
  return log;
}
