// The Failures view: the failures of every run, newest first (src/core/analyze/queries.ts), grouped by flow or class, folded by place, paged.
import * as vscode from 'vscode';
import type { Run, StackFrame, TraceEvent } from '../../core/model/types';
import { CONTEXT, ITEM, PAGE_SIZE } from '../constants';
import { failureSummary, oneLine, plural, relativeTime, safeJson, shortLoc } from '../format';
import { safeItem, appendJson, appendSafe, type TooltipText } from '../ui';
import { openCommand } from '../open';
import { onSettingsChange, readConfig } from '../config';
import { Disposable } from '../lifecycle';
import { redactorFor } from '../redaction';
import type { Redactor } from '../../core/render/egress/redact';
import type { TraceServices } from '../services';
import { forLabel } from '../../core/render/egress/surfaces';
import { orderFailuresBy, runFailures as failuresOfRun } from '../../core/analyze/queries';
import { appendField, safeMarkdown, verdictIcon } from '../ui';

/** One failed or exception verdict somewhere in the workspace. */
export interface Occurrence {
  folderKey: string;
  runId: string;
  runStarted?: number;
  flowId: string;
  flowName: string;
  event: TraceEvent;
}

/** Repeated failures with the same class, reason and place, folded into one row. */
export interface FoldedFailure {
  key: string;
  summary: string;
  occurrences: Occurrence[]; // newest run first
}

export type FailureNode =
  | { kind: 'group'; id: string; label: string; folds: FoldedFailure[]; expanded: boolean }
  /** Folds past a page of {@link PAGE_SIZE}: expanding it shows the next page (and another `more`). */
  | { kind: 'more'; id: string; folds: FoldedFailure[]; from: number; parent: FailureNode }
  | { kind: 'fold'; id: string; fold: FoldedFailure; groupBy: GroupBy; parent: FailureNode }
  | { kind: 'occurrence'; id: string; occ: Occurrence; parent: FailureNode }
  | { kind: 'frame'; id: string; folderKey: string; frame: StackFrame; parent: FailureNode };

export type GroupBy = 'flow' | 'class';

/**
 * Every failure of every run (src/core/analyze/queries.ts `failures`, order `newest`): newest run
 * first, runs sharing a start time merged by event time, newest event first.
 */
export function collectFailures(services: TraceServices, cache?: Map<string, RunFailures>): Occurrence[] {
  const refs = services.allRuns();
  if (!cache) return mergeRuns(refs.map(({ folderKey, run }) => ({ run, occs: runFailures(folderKey, run) })));
  // Reuse the rows of runs that did not change (same Run object) and forget runs that are gone.
  const seen = new Set<string>();
  const lists = refs.map(({ folderKey, run }) => {
    const k = `${folderKey}\u0000${run.id}`;
    seen.add(k);
    let c = cache.get(k);
    if (!c || c.run !== run) cache.set(k, (c = { run, occs: runFailures(folderKey, run) }));
    return c;
  });
  if (cache.size > seen.size) for (const k of cache.keys()) if (!seen.has(k)) cache.delete(k);
  return mergeRuns(lists);
}

/** The failure rows of one run, kept by the Failures view across refreshes. */
export interface RunFailures { run: Run; occs: Occurrence[] }

/** The failures of one run (queries.ts `runFailures`: failing flows' verdicts, then failures outside flows) as rows. */
export function runFailures(folderKey: string, run: Run): Occurrence[] {
  return failuresOfRun(run).map(({ flow, event }) => ({
    folderKey, runId: run.id, runStarted: run.started, flowId: flow?.id ?? '', flowName: flow?.displayName ?? NO_FLOW, event,
  }));
}

/** The group name of a failure outside any flow. */
const NO_FLOW = '(no flow)';

/** Per-run lists (each from {@link runFailures}, in `allRuns` order) in the `newest` order of queries.ts. */
function mergeRuns(lists: { run: Run; occs: Occurrence[] }[]): Occurrence[] {
  return orderFailuresBy(lists.map((l) => l.occs), 'newest', (o) => o.runStarted, (o) => o.event.ts);
}

/** The group a failure falls in: its flow, or its class (exception type for unclassified exceptions). */
function groupOf(o: Occurrence, by: GroupBy): string {
  if (by === 'flow') return o.flowName;
  const e = o.event;
  return e.failureClass ?? (e.type === 'exception' ? e.exception?.type ?? 'exception' : 'UNCLASSIFIED');
}

/** Folds failures of one group (same flow, summary and place), in order of first appearance. */
function foldFailures(occs: readonly Occurrence[], place: (o: Occurrence) => string = o => o.event.file ?? ''): FoldedFailure[] {
  const folds = new Map<string, FoldedFailure>();
  for (const o of occs) {
    const e = o.event;
    const summary = failureSummary(e);
    const key = `${o.flowName}\u0000${summary}\u0000${place(o)}:${e.line ?? ''}`;
    let fold = folds.get(key);
    if (!fold) folds.set(key, (fold = { key, summary, occurrences: [] }));
    fold.occurrences.push(o);
  }
  return [...folds.values()];
}

/**
 * Folds repeated failures: same flow, class, reason and place. `place` maps a trace path to
 * where it resolves locally, so a v1 run (relative path) and a 0.1 run (absolute path from
 * another machine) that failed on the same line fold together.
 */
export function groupFailures(occs: Occurrence[], by: GroupBy, place: (o: Occurrence) => string = o => o.event.file ?? ''): Map<string, FoldedFailure[]> {
  const out = new Map<string, FoldedFailure[]>();
  for (const [g, list] of splitGroups(occs, by)) out.set(g, foldFailures(list, place));
  return out;
}

/** Failures by group, groups in order of first appearance, each keeping the input order. */
function splitGroups(occs: readonly Occurrence[], by: GroupBy): Map<string, Occurrence[]> {
  const groups = new Map<string, Occurrence[]>();
  let last: Occurrence[] | undefined;
  let lastKey: string | undefined;
  for (const o of occs) {
    const g = groupOf(o, by);
    if (g !== lastKey || !last) {
      last = groups.get(g);
      if (!last) groups.set(g, (last = []));
      lastKey = g;
    }
    last.push(o);
  }
  return groups;
}

/**
 * A group row. Its folds are built when first read (the row is expanded, or the listing needs
 * their count to decide which groups start expanded), so a listing of thousands of failures
 * folds only the groups it shows.
 */
class FailureGroup {
  readonly kind = 'group' as const;
  expanded = false;
  private folded?: FoldedFailure[];

  constructor(
    readonly id: string,
    readonly label: string,
    /** @internal The group's failures, newest first. */
    readonly occurrences: readonly Occurrence[],
    private readonly fold: (occs: readonly Occurrence[]) => FoldedFailure[],
  ) {}

  get folds(): FoldedFailure[] {
    return (this.folded ??= this.fold(this.occurrences));
  }
}

/** The Failures view: failures and exceptions grouped by flow or by failure class. */
export class FailuresProvider extends Disposable implements vscode.TreeDataProvider<FailureNode> {
  private readonly emitter = this._register(new vscode.EventEmitter<FailureNode | undefined | void>());
  readonly onDidChangeTreeData = this.emitter.event;
  private groupBy: GroupBy = 'flow';
  private cache: FailureNode[] | undefined;
  /** Per run (`folderKey\0runId`): its failures, newest first; dropped when the run changes. */
  private readonly runCache = new Map<string, RunFailures>();
  /** `flowlens.tooltips.showRawEvidence` (trust-aware, see config.ts). */
  private rawEvidence = readConfig()['tooltips.showRawEvidence'];

  constructor(private readonly services: TraceServices) {
    super();
    this._register(services.onDidChange(change => {
      if (change.structural) this.runCache.clear();
      else for (const id of change.runIds) this.runCache.delete(`${change.folderKey}\u0000${id}`);
      this.cache = undefined;
      this.emitter.fire();
    }), onSettingsChange(['tooltips.showRawEvidence'], () => {
      this.rawEvidence = readConfig()['tooltips.showRawEvidence'];
      this.emitter.fire();
    }));
    void vscode.commands.executeCommand('setContext', CONTEXT.failuresGroupBy, this.groupBy);
  }


  get grouping(): GroupBy { return this.groupBy; }

  setGroupBy(by: GroupBy): void {
    this.groupBy = by;
    void vscode.commands.executeCommand('setContext', CONTEXT.failuresGroupBy, by);
    this.cache = undefined;
    this.emitter.fire();
  }

  refresh(): void {
    this.cache = undefined;
    this.runCache.clear();
    this.emitter.fire();
  }

  getParent(node: FailureNode): FailureNode | undefined {
    return node.kind === 'group' ? undefined : node.parent;
  }

  /** Every failure, newest run first ({@link collectFailures}), reusing the lists of unchanged runs. */
  private failures(): Occurrence[] {
    return collectFailures(this.services, this.runCache);
  }

  getChildren(node?: FailureNode): FailureNode[] {
    if (!node) {
      if (!this.cache) {
        // Few distinct files: resolve each once per listing, not once per failure.
        const places = new Map<string, string>();
        const place = (o: Occurrence): string => {
          const file = o.event.file;
          if (!file) return '';
          const k = `${o.folderKey}\u0000${file}`;
          let p = places.get(k);
          if (p === undefined) places.set(k, (p = this.services.resolveFile(o.folderKey, file).uri?.toString() ?? file));
          return p;
        };
        const fold = (occs: readonly Occurrence[]): FoldedFailure[] => foldFailures(occs, place);
        // Newest groups open until a page of rows is shown; the rest start collapsed, so a
        // workspace with thousands of failures opens the view without building every row. Only
        // the groups that can still open are folded here; the others fold when expanded.
        let rows = 0;
        const out: FailureNode[] = [];
        for (const [label, occs] of splitGroups(this.failures(), this.groupBy)) {
          const g = new FailureGroup(`g:${this.groupBy}:${label}`, label, occs, fold);
          g.expanded = rows < PAGE_SIZE;
          if (g.expanded) rows += Math.min(g.folds.length, PAGE_SIZE);
          out.push(g);
        }
        this.cache = out;
      }
      return this.cache;
    }
    if (node.kind === 'group') return this.page(node, node.folds, 0);
    if (node.kind === 'more') return this.page(node, node.folds, node.from);
    if (node.kind === 'fold') {
      const newest = node.fold.occurrences[0];
      const frames = newest.event.exception?.stack ?? [];
      const out: FailureNode[] = frames.map((frame, i) => ({ kind: 'frame', id: `${node.id}|frame:${i}`, folderKey: newest.folderKey, frame, parent: node }));
      if (node.fold.occurrences.length > 1)
        for (const occ of node.fold.occurrences) out.push({ kind: 'occurrence', id: `${node.id}|occ:${occ.folderKey}|${occ.runId}|${occ.flowId}`, occ, parent: node });
      return out;
    }
    return [];
  }

  /** Folds `from`..`from + PAGE_SIZE` of a group, then a `more` node for the rest. */
  private page(owner: FailureNode, folds: FoldedFailure[], from: number): FailureNode[] {
    const groupId = owner.kind === 'more' ? owner.id.slice(0, owner.id.lastIndexOf('|more:')) : owner.id;
    const end = Math.min(folds.length, from + PAGE_SIZE);
    const out: FailureNode[] = [];
    for (let i = from; i < end; i++) out.push({ kind: 'fold', id: `${groupId}|${folds[i].key}`, fold: folds[i], groupBy: this.groupBy, parent: owner });
    if (end < folds.length) out.push({ kind: 'more', id: `${groupId}|more:${end}`, folds, from: end, parent: owner });
    return out;
  }

  getTreeItem(node: FailureNode): vscode.TreeItem {
    return safeItem(this.buildItem(node), this.nodeRedactor(node));
  }

  /**
   * What a click on a failure opens: its file:line, with the failure's note shown there whatever
   * run it is from (open.ts `note`, issue 16); a failure the trace does not locate (an esper-lite
   * GOVERNOR_ROLLBACK) opens its own line of the trace file.
   */
  private openFailure(o: Occurrence): vscode.Command | undefined {
    const e = o.event;
    const note = forLabel(`${failureSummary(e)} — ${o.flowName} (run ${o.runId})`, this.redactor(o.folderKey, o.runId), 300);
    if (e.file) return openCommand({ folderKey: o.folderKey, file: e.file, line: e.line, note });
    // Only a JSONL line can be opened (a SQLite row has no line; hand-made events no source).
    if (typeof e.src?.file !== 'string' || !/\.jsonl?$/i.test(e.src.file)) return undefined;
    return openCommand({ folderKey: o.folderKey, file: e.src.file, line: e.src.line, note }, 'Open Trace Line');
  }

  /** The run-scoped redactor (the folder's ra.yaml keys) of a run, or the folder's when it is gone. */
  private redactor(folderKey: string, runId?: string): Redactor {
    const ws = this.services.workspaces.get(folderKey);
    const run = runId === undefined ? undefined : this.runCache.get(`${folderKey}\u0000${runId}`)?.run ?? ws?.getRun(runId);
    return redactorFor(ws?.catalog, run && run.id === runId ? run : undefined);
  }

  /** A row shows its newest occurrence: that run's redactor. Groups name a flow or class. */
  private nodeRedactor(node: FailureNode): Redactor {
    switch (node.kind) {
      case 'fold': return this.redactor(node.fold.occurrences[0].folderKey, node.fold.occurrences[0].runId);
      case 'occurrence': return this.redactor(node.occ.folderKey, node.occ.runId);
      case 'frame': {
        let p: FailureNode | undefined = node.parent;
        while (p && p.kind !== 'fold') p = p.kind === 'group' ? undefined : p.parent;
        return p?.kind === 'fold' ? this.nodeRedactor(p) : this.redactor(node.folderKey);
      }
      default: {
        const first = node.kind === 'group' && node instanceof FailureGroup ? node.occurrences[0] : node.folds[0]?.occurrences[0];
        return first ? this.redactor(first.folderKey, first.runId) : redactorFor(undefined);
      }
    }
  }

  private buildItem(node: FailureNode): vscode.TreeItem {
    switch (node.kind) {
      case 'group': {
        const occs = node instanceof FailureGroup ? node.occurrences : node.folds.flatMap(f => f.occurrences);
        const item = new vscode.TreeItem(node.label, node.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        item.description = `${plural(occs.length, 'failure')} · ${plural(countRuns(occs), 'run')}`;
        item.iconPath = new vscode.ThemeIcon(this.groupBy === 'flow' ? 'symbol-event' : 'tag');
        item.contextValue = ITEM.group;
        return item;
      }
      case 'fold': {
        const occ = node.fold.occurrences;
        const newest = occ[0];
        const e = newest.event;
        // Grouped by class, the group already names the class: the row says what happened.
        const cls = e.failureClass;
        const what = node.groupBy === 'class' && cls && node.fold.summary.startsWith(cls + ' · ') ? node.fold.summary.slice(cls.length + 3) : node.fold.summary;
        const label = `${what}${occ.length > 1 ? ` ×${occ.length}` : ''}`;
        const hasKids = (e.exception?.stack.length ?? 0) > 0 || occ.length > 1;
        const item = new vscode.TreeItem(oneLine(label, 120), hasKids ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        const where = shortLoc(e.file, e.line);
        const parts = node.groupBy === 'class' ? [newest.flowName, where] : [where];
        parts.push(occ.length > 1 ? `latest ${relativeTime(newest.runStarted)}` : relativeTime(newest.runStarted));
        item.description = parts.filter(Boolean).join(' · ');
        item.iconPath = verdictIcon(e.type === 'exception' ? 'exception' : 'failed');
        item.tooltip = failureTooltip(node.fold, { red: this.nodeRedactor(node), raw: this.rawEvidence });
        item.contextValue = ITEM.failure;
        item.command = this.openFailure(newest);
        return item;
      }
      case 'more': {
        const rest = node.folds.length - node.from;
        const item = new vscode.TreeItem(`${plural(rest, 'more failure')}…`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        item.description = `expand for the next ${Math.min(PAGE_SIZE, rest)}`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = ITEM.more;
        return item;
      }
      case 'occurrence': {
        const o = node.occ;
        const item = new vscode.TreeItem(o.runId, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = [relativeTime(o.runStarted), correlationOf(o)].filter(Boolean).join(' · ');
        item.iconPath = new vscode.ThemeIcon('history');
        item.contextValue = ITEM.failure;
        item.command = this.openFailure(o);
        return item;
      }
      case 'frame': {
        const fr = node.frame;
        const item = new vscode.TreeItem(fr.function ?? '(frame)', vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = shortLoc(fr.file, fr.line);
        item.iconPath = new vscode.ThemeIcon('debug-stackframe');
        item.contextValue = ITEM.frame;
        const md = safeMarkdown();
        appendSafe(md, `${fr.file ?? '?'}:${fr.line ?? '?'}${fr.function ? ' in ' + fr.function : ''}`, this.nodeRedactor(node));
        item.tooltip = md;
        if (fr.file) item.command = openCommand({ folderKey: node.folderKey, file: fr.file, line: fr.line });
        return item;
      }
    }
  }

  /** The newest failure (for "Open Latest Failure"). */
  newest(): Occurrence | undefined {
    return this.failures()[0];
  }
}

/** Distinct runs among failures (of one folder's runs, as run ids are shown). */
function countRuns(occs: readonly Occurrence[]): number {
  const runs = new Set<string>();
  let last: string | undefined;
  for (const o of occs) if (o.runId !== last) runs.add((last = o.runId));
  return runs.size;
}

function correlationOf(o: Occurrence): string {
  const c = o.event.correlation ?? {};
  return Object.entries(c).filter(([k, v]) => k !== 'date' && typeof v !== 'object').map(([, v]) => String(v)).slice(0, 2).join(' ');
}

function failureTooltip(fold: FoldedFailure, t: TooltipText): vscode.MarkdownString {
  const red = t.red;
  const o = fold.occurrences[0];
  const e = o.event;
  const md = safeMarkdown();
  md.appendMarkdown('**');
  appendSafe(md, o.flowName, red, 300);
  md.appendMarkdown('** — ');
  appendSafe(md, e.type, red, 100);
  md.appendMarkdown('\n\n');
  if (e.failureClass) appendField(md, 'class', e.failureClass, red);
  if (e.reason) appendField(md, 'reason', e.reason, red);
  if (e.exception) appendField(md, 'exception', [e.exception.type, e.exception.message].filter(Boolean).join(': '), red);
  if (e.file) appendField(md, 'at', `${e.file}:${e.line ?? '?'}`, red);
  appendField(md, 'seen', `${plural(fold.occurrences.length, 'time')} in ${plural(new Set(fold.occurrences.map(x => x.runId)).size, 'run')}; newest ${o.runId}`, red);
  if (e.correlation && Object.keys(e.correlation).length) appendField(md, 'correlation', safeJson(red.value(e.correlation), 200).replace(/\s+/g, ' '), red);
  if (e.evidence !== undefined) appendJson(md, 'evidence', e.evidence, t);
  return md;
}
