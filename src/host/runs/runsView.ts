// The Runs view: folders, runs (status first), flows nested by parent (a parent over a failure says 'contains failures'), steps and events (a run without flows lists its events), with filters and paging.
import { flowPreorder } from '../../core/model/walk';
import * as vscode from 'vscode';
import type { FlowNode, Run, StepNode, TraceEvent, Verdict } from '../../core/model/types';
import { flowInfo } from '../editor/catalogInfo';
import { COMMANDS } from '../commands';
import { CONTEXT, ITEM, PAGE_SIZE, VIEWS } from '../constants';
import { duration, eventLabel, failureSummary, flowDuration, isFailure, oneLine, plural, runDescription, shortLoc } from '../format';
import { safeItem, appendSafe, type TooltipText } from '../ui';
import { openCommand } from '../open';
import { onSettingsChange, readConfig } from '../config';
import { Disposable } from '../lifecycle';
import { redactorFor } from '../redaction';
import type { Redactor } from '../../core/render/egress/redact';
import type { FlowlensChange, TraceServices } from '../services';
import { CONTAINS_FAILURES, containsFailuresIcon, eventIcon, eventTooltip, flowTooltip, groupIcon, runIcon, runTooltip, safeMarkdown, verdictIcon } from '../ui';
import { asFailureEvent, isErrorEvent, runFailures, worstInside, worstOf } from '../../core/analyze/queries';
import { runNoteText } from '../../core/render/runNotes';
import { forLabel } from '../../core/render/egress/surfaces';

/**
 * Tree elements are small, stable records (ids only); getTreeItem reads the current model, so a
 * live append only has to fire onDidChangeTreeData for the run that changed (docs/style.md habit 5).
 */
export type TreeNode =
  | { kind: 'folder'; id: string; folderKey: string; parent?: undefined }
  | { kind: 'run'; id: string; folderKey: string; runId: string; parent?: TreeNode }
  | { kind: 'group'; id: string; folderKey: string; runId: string; prefix: string; parent: TreeNode }
  | { kind: 'flow'; id: string; folderKey: string; runId: string; flowId: string; parent: TreeNode }
  | { kind: 'step'; id: string; folderKey: string; runId: string; flowId: string; index: number; parent: TreeNode }
  | { kind: 'event'; id: string; folderKey: string; runId: string; flowId: string; index: number; parent: TreeNode }
  /** An event of a run without flows (esper-lite telemetry, formats.md §6): `index` into `run.events`. */
  | { kind: 'runEvent'; id: string; folderKey: string; runId: string; index: number; parent: TreeNode }
  | { kind: 'more'; id: string; ownerId: string; remaining: number; parent?: TreeNode }
  /** The first child of a run whose events are not all held (`run.cap`, flowlens.maxEventsPerSource). */
  | { kind: 'cap'; id: string; folderKey: string; runId: string; parent: TreeNode }
  | { kind: 'message'; id: string; text: string; parent?: TreeNode };

/** Filter state of the Runs view. Empty = show everything. */
export interface RunFilter {
  text: string;
  statuses: Verdict[];
  tag: string;
}

const EMPTY_FILTER: RunFilter = { text: '', statuses: [], tag: '' };

/** Flows from which a run's tree is made in slices before it is shown (below, made on first read: ~5 ms per 10k). */
const MAKE_IN_SLICES_FROM = 20_000;

/** Id prefix of the "Reading N flows…" row of a run whose flows are being made. */
const MAKING_PREFIX = 'message:making:';

export class FlowTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly emitter = this._register(new vscode.EventEmitter<TreeNode | undefined | void>());
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly filterEmitter = this._register(new vscode.EventEmitter<void>());
  /** The filter or failures-only changed (register.ts shows it as the view's description). */
  readonly onDidChangeFilter = this.filterEmitter.event;
  private readonly nodes = new Map<string, TreeNode>();
  private readonly limits = new Map<string, number>();
  private readonly visibleCache = new Map<string, Set<string> | null>();
  /** Runs whose flows are being made in slices ({@link makeFlowsFirst}), by run key. */
  private readonly making = new Set<string>();
  /** Flows that match the filter themselves (the rest of `visibleCache` are their ancestors). */
  private readonly matchCache = new Map<string, Set<string>>();
  private filter: RunFilter = EMPTY_FILTER;
  private failuresOnly = false;
  /** `flowlens.tooltips.showRawEvidence` (trust-aware, see config.ts). */
  private rawEvidence = readConfig()['tooltips.showRawEvidence'];

  constructor(private readonly services: TraceServices) {
    super();
    this._register(
      services.onDidChange(c => this.onChange(c)),
      onSettingsChange(['tooltips.showRawEvidence'], () => {
        this.rawEvidence = readConfig()['tooltips.showRawEvidence'];
        this.emitter.fire();
      }),
    );
  }

  /** The run-scoped redactor (ra.yaml keys of the folder) for everything shown about a run. */
  private redactor(folderKey: string, runId?: string): Redactor {
    const catalog = this.services.workspaces.get(folderKey)?.catalog;
    return redactorFor(catalog, runId !== undefined ? this.run(folderKey, runId) : undefined);
  }

  private tooltipText(folderKey: string, runId: string): TooltipText {
    return { red: this.redactor(folderKey, runId), raw: this.rawEvidence };
  }


  // ---- state -------------------------------------------------------------------------------

  get currentFilter(): RunFilter { return this.filter; }
  get isFailuresOnly(): boolean { return this.failuresOnly; }

  setFilter(f: RunFilter): void {
    this.filter = { text: f.text.trim(), statuses: [...f.statuses], tag: f.tag.trim() };
    void vscode.commands.executeCommand('setContext', CONTEXT.filterActive, this.filterActive());
    this.visibleCache.clear();
    this.emitter.fire();
    this.filterEmitter.fire();
  }

  setFailuresOnly(on: boolean): void {
    this.failuresOnly = on;
    void vscode.commands.executeCommand('setContext', CONTEXT.failuresOnly, on);
    this.visibleCache.clear();
    this.emitter.fire();
    this.filterEmitter.fire();
  }

  private filterActive(): boolean {
    return !!(this.filter.text || this.filter.statuses.length || this.filter.tag);
  }

  /** Shows the next page of children under a "Show N more…" item's owner. */
  showMore(ownerId: string): void {
    this.limits.set(ownerId, (this.limits.get(ownerId) ?? PAGE_SIZE) + PAGE_SIZE);
    const owner = this.nodes.get(ownerId);
    this.emitter.fire(owner && owner.kind !== 'message' ? owner : undefined);
  }

  private onChange(c: FlowlensChange): void {
    if (c.structural || this.filterActive() || this.failuresOnly) {
      for (const id of c.runIds) this.visibleCache.delete(this.runKey(c.folderKey, id));
      if (c.structural) this.visibleCache.clear();
      this.emitter.fire();
      return;
    }
    for (const runId of c.runIds) {
      this.visibleCache.delete(this.runKey(c.folderKey, runId));
      // Only the run element that changed; a run never rendered has nothing to refresh.
      const node = this.nodes.get(this.runNodeId(c.folderKey, runId));
      if (node) this.emitter.fire(node);
    }
  }

  // ---- identities --------------------------------------------------------------------------

  private intern<T extends TreeNode>(node: T): T {
    const old = this.nodes.get(node.id);
    if (old && old.kind === node.kind) {
      if ('remaining' in old && 'remaining' in node) old.remaining = node.remaining;
      return old as T;
    }
    this.nodes.set(node.id, node);
    return node;
  }

  private runKey(folderKey: string, runId: string): string { return `${folderKey}\u0000${runId}`; }
  runNodeId(folderKey: string, runId: string): string { return `run:${folderKey}|${runId}`; }
  flowNodeId(folderKey: string, runId: string, flowId: string): string { return `flow:${folderKey}|${runId}|${flowId}`; }

  // ---- model access ------------------------------------------------------------------------

  /** The run of a tree node: its exact id (a node of a removed run finds nothing, never a namesake by prefix). */
  private run(folderKey: string, runId: string): Run | undefined {
    const run = this.services.workspaces.get(folderKey)?.getRun(runId);
    return run?.id === runId ? run : undefined;
  }

  private flow(n: { folderKey: string; runId: string; flowId: string }): FlowNode | undefined {
    return this.run(n.folderKey, n.runId)?.flows.get(n.flowId);
  }

  private info(folderKey: string, name?: string) {
    return flowInfo(this.services.workspaces.get(folderKey)?.catalog, name);
  }

  /** Flow ids visible under the current filter (null = no filter). */
  private visible(folderKey: string, run: Run): Set<string> | null {
    if (!this.filterActive() && !this.failuresOnly) return null;
    const key = this.runKey(folderKey, run.id);
    const cached = this.visibleCache.get(key);
    if (cached !== undefined) return cached;
    // A big indexed run's flows are made in slices first (the filter walks its tree); until then
    // it is shown unfiltered, and refreshed once they are made.
    if (this.makingFlows(folderKey, run)) return null;
    const text = this.filter.text.toLowerCase();
    const tag = this.filter.tag.toLowerCase();
    const matches = (f: FlowNode) => {
      // "Failures only" keeps what needs attention: failed, exception, and orphaned (crashed runs).
      if (this.failuresOnly && !isFailure(f.verdict) && f.verdict !== 'orphaned') return false;
      if (this.filter.statuses.length && !this.filter.statuses.includes(f.verdict)) return false;
      if (tag && !f.tags.some(t => t.toLowerCase() === tag) && !run.tags.some(t => t.toLowerCase() === tag)) return false;
      if (text) {
        const hay = [f.name, f.displayName, f.id, f.verdictEvent?.failureClass, f.verdictEvent?.reason,
          ...Object.values(f.correlation ?? {}).map(v => String(v))].join('\n').toLowerCase();
        if (!hay.includes(text)) return false;
      }
      return true;
    };
    const out = new Set<string>();
    const self = new Set<string>();
    // Pre-order, then children before parents (src/core/model/walk.ts: no recursion).
    const { order, parentAt } = flowPreorder(run.roots);
    const hit = order.map(matches);
    for (let i = 0; i < order.length; i++) if (hit[i]) self.add(order[i].id);
    const any = [...hit];
    for (let i = order.length - 1; i >= 0; i--) {
      if (!any[i]) continue;
      out.add(order[i].id);
      if (parentAt[i] >= 0) any[parentAt[i]] = true;
    }
    this.visibleCache.set(key, out);
    this.matchCache.set(key, self);
    return out;
  }

  // ---- TreeDataProvider --------------------------------------------------------------------

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.roots();
    switch (node.kind) {
      case 'folder': return this.runNodes(node.folderKey, node);
      case 'run': return this.runChildren(node);
      case 'group': {
        const run = this.run(node.folderKey, node.runId);
        if (!run) return [];
        const vis = this.visible(node.folderKey, run);
        const flows = run.roots.filter(f => groupKey(f) === node.prefix && (!vis || vis.has(f.id)));
        return this.page(node, flows.map(f => this.flowNode(node.folderKey, run.id, f.id, node)));
      }
      case 'flow': return this.flowChildren(node);
      case 'step': {
        const f = this.flow(node);
        const step = f?.steps[node.index];
        if (!f || !step) return [];
        return this.page(node, step.events.map(e => this.eventNode(node, f, e)));
      }
      default: return [];
    }
  }

  /**
   * A big indexed run's flows are still the cold index's columns (core/read/workspace/options.ts
   * `makeFlows`): its tree is not read (that would make ~300k flow objects in one block) but made
   * in slices first, with a "Reading N flows…" row meanwhile; the run's node refreshes when done.
   */
  private makeFlowsFirst(node: Extract<TreeNode, { kind: 'run' }>, run: Run): TreeNode | undefined {
    if (!this.makingFlows(node.folderKey, run)) return undefined;
    return this.intern<TreeNode>({ kind: 'message', id: `${MAKING_PREFIX}${node.id}`, text: `Reading ${run.flows.size.toLocaleString('en-US')} flows…`, parent: node });
  }

  /**
   * Whether `run` is a big indexed run whose flow objects are not made yet; if so they are being
   * made in slices (started here once), and the view refreshes when they are.
   */
  private makingFlows(folderKey: string, run: Run): boolean {
    const ws = this.services.workspaces.get(folderKey);
    if (!ws || ws.flowsMade(run.id) || run.flows.size < MAKE_IN_SLICES_FROM) return false;
    const key = this.runKey(folderKey, run.id);
    if (!this.making.has(key)) {
      this.making.add(key);
      const done = () => {
        this.making.delete(key);
        this.visibleCache.delete(key);
        this.matchCache.delete(key);
        if (this.isDisposed) return;
        const node = this.nodes.get(this.runNodeId(folderKey, run.id));
        // Filtered, the run's row itself may come or go: the whole tree; else the run's children.
        this.emitter.fire(this.filterActive() || this.failuresOnly || !node ? undefined : node);
      };
      // Should making them fail, the refresh reads them at once (first use makes what is left).
      ws.makeFlows(run.id).then(done, done);
    }
    return true;
  }

  private roots(): TreeNode[] {
    const keys = [...this.services.workspaces.keys()];
    if (keys.length > 1) {
      return keys.map(folderKey => this.intern({ kind: 'folder', id: `folder:${folderKey}`, folderKey }));
    }
    if (!keys.length) return [];
    const runs = this.runNodes(keys[0]);
    if (!runs.length && (this.filterActive() || this.failuresOnly) && this.services.allRuns().length) {
      return [this.intern({ kind: 'message', id: 'message:nomatch', text: this.failuresOnly && !this.filterActive() ? 'No failures in any run' : 'No runs match the filter' })];
    }
    return runs;
  }

  private runNodes(folderKey: string, parent?: TreeNode): TreeNode[] {
    const ws = this.services.workspaces.get(folderKey);
    if (!ws) return [];
    const runs = ws.runs().filter(r => {
      const vis = this.visible(folderKey, r);
      // A run without flows (esper-lite) has no flow to match: under "failures only" it stays when
      // it has failures (error-severity events, queries.ts runFailures).
      return !vis || vis.size > 0 || (!r.flows.size && this.failuresOnly && !this.filterActive() && runFailures(r).length > 0);
    });
    const owner = parent ?? { id: `root:${folderKey}` };
    const nodes = runs.map(r => this.intern<TreeNode>({ kind: 'run', id: this.runNodeId(folderKey, r.id), folderKey, runId: r.id, parent }));
    return this.page(owner, nodes);
  }

  private runChildren(node: Extract<TreeNode, { kind: 'run' }>): TreeNode[] {
    const run = this.run(node.folderKey, node.runId);
    if (!run) return [];
    if (!run.flows.size && run.events.length) return this.runEventNodes(node, run);
    const making = this.makeFlowsFirst(node, run);
    if (making) return [making];
    const vis = this.visible(node.folderKey, run);
    const roots = run.roots.filter(f => !vis || vis.has(f.id));
    // Path grouping where flows have no parent link (flowscribe 0.1): flows sharing the first
    // path segment with at least one other root go under a group node.
    const counts = new Map<string, number>();
    for (const f of roots) { const k = groupKey(f); if (k) counts.set(k, (counts.get(k) ?? 0) + 1); }
    const out: TreeNode[] = [];
    const seen = new Set<string>();
    const grouping = roots.length > 3;
    for (const f of roots) {
      const k = groupKey(f);
      if (grouping && k && (counts.get(k) ?? 0) > 1) {
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(this.intern({ kind: 'group', id: `group:${node.folderKey}|${run.id}|${k}`, folderKey: node.folderKey, runId: run.id, prefix: k, parent: node }));
      } else {
        out.push(this.flowNode(node.folderKey, run.id, f.id, node));
      }
    }
    const paged = this.page(node, out);
    if (!run.cap) return paged;
    return [this.intern<TreeNode>({ kind: 'cap', id: `cap:${node.folderKey}|${run.id}`, folderKey: node.folderKey, runId: run.id, parent: node }), ...paged];
  }

  private flowChildren(node: Extract<TreeNode, { kind: 'flow' }>): TreeNode[] {
    const f = this.flow(node);
    if (!f) return [];
    const run = this.run(node.folderKey, node.runId);
    const vis = run ? this.visible(node.folderKey, run) : null;
    const out: TreeNode[] = f.children.filter(c => !vis || vis.has(c.id)).map(c => this.flowNode(node.folderKey, node.runId, c.id, node));
    // Under a filter, a flow shown only as the ancestor of a match keeps its structure, not its events.
    if (vis && run && !this.matchCache.get(this.runKey(node.folderKey, run.id))?.has(f.id)) return this.page(node, out);
    f.steps.forEach((s, i) => {
      if (!s.name || s.events.length === 1) {
        for (const e of s.events) out.push(this.eventNode(node, f, e));
      } else {
        out.push(this.intern({ kind: 'step', id: `step:${node.folderKey}|${node.runId}|${f.id}|${i}`, folderKey: node.folderKey, runId: node.runId, flowId: f.id, index: i, parent: node }));
      }
    });
    if (!f.steps.length) for (const e of f.events) out.push(this.eventNode(node, f, e));
    return this.page(node, out);
  }

  private flowNode(folderKey: string, runId: string, flowId: string, parent: TreeNode): TreeNode {
    return this.intern({ kind: 'flow', id: this.flowNodeId(folderKey, runId, flowId), folderKey, runId, flowId, parent });
  }

  private eventNode(parent: { id: string; folderKey: string; runId: string; flowId: string } & TreeNode, f: FlowNode, e: TraceEvent): TreeNode {
    const index = f.events.indexOf(e);
    return this.intern({ kind: 'event', id: `event:${parent.folderKey}|${parent.runId}|${f.id}|${index}`, folderKey: parent.folderKey, runId: parent.runId, flowId: f.id, index, parent });
  }

  /**
   * The events of a run without flows (esper-lite telemetry), paged like every list: only the
   * nodes of the page shown are made (a telemetry file can hold millions of events).
   */
  private runEventNodes(node: Extract<TreeNode, { kind: 'run' }>, run: Run): TreeNode[] {
    const limit = this.limits.get(node.id) ?? PAGE_SIZE;
    const n = run.events.length;
    const out: TreeNode[] = [];
    for (let i = 0; i < Math.min(n, limit); i++) {
      out.push(this.intern<TreeNode>({ kind: 'runEvent', id: `revent:${node.folderKey}|${run.id}|${i}`, folderKey: node.folderKey, runId: run.id, index: i, parent: node }));
    }
    if (n > limit) out.push(this.intern<TreeNode>({ kind: 'more', id: `more:${node.id}`, ownerId: node.id, remaining: n - limit, parent: node }));
    const cap = run.cap ? [this.intern<TreeNode>({ kind: 'cap', id: `cap:${node.folderKey}|${run.id}`, folderKey: node.folderKey, runId: run.id, parent: node })] : [];
    return [...cap, ...out];
  }

  /** First PAGE_SIZE children (more after "Show more"), then a "Show N more…" item. */
  private page(owner: { id: string }, all: TreeNode[]): TreeNode[] {
    const limit = this.limits.get(owner.id) ?? PAGE_SIZE;
    if (all.length <= limit) return all;
    const more = this.intern<TreeNode>({ kind: 'more', id: `more:${owner.id}`, ownerId: owner.id, remaining: all.length - limit, parent: this.nodes.get(owner.id) });
    return [...all.slice(0, limit), more];
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const red = 'runId' in node ? this.redactor(node.folderKey, node.runId) : 'folderKey' in node ? this.redactor(node.folderKey) : undefined;
    return safeItem(this.buildItem(node), red);
  }

  private buildItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const folder = this.services.folder(node.folderKey);
        const item = new vscode.TreeItem(folder?.name ?? node.folderKey, vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.iconPath = vscode.ThemeIcon.Folder;
        item.resourceUri = folder?.uri;
        item.description = plural(this.services.workspaces.get(node.folderKey)?.runs().length ?? 0, 'run');
        item.contextValue = ITEM.folder;
        return item;
      }
      case 'run': return this.runItem(node);
      case 'cap': return this.capItem(node);
      case 'group': return this.groupItem(node);
      case 'flow': return this.flowItem(node);
      case 'step': return this.stepItem(node);
      case 'event': return this.eventItem(node);
      case 'runEvent': return this.runEventItem(node);
      case 'more': {
        const n = Math.min(PAGE_SIZE, node.remaining);
        const item = new vscode.TreeItem(`Show ${n} more…`, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = `${node.remaining} not shown`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.command = { command: COMMANDS.showMoreItems, title: 'Show more', arguments: [node.ownerId] };
        item.contextValue = ITEM.more;
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        // "Reading N flows…" (makeFlowsFirst) spins while it lasts; other messages inform.
        item.iconPath = new vscode.ThemeIcon(node.id.startsWith(MAKING_PREFIX) ? 'loading~spin' : 'info');
        item.contextValue = ITEM.message;
        return item;
      }
    }
  }

  private runItem(node: Extract<TreeNode, { kind: 'run' }>): vscode.TreeItem {
    const run = this.run(node.folderKey, node.runId);
    const item = new vscode.TreeItem(node.runId, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.contextValue = ITEM.run;
    if (!run) return item;
    let description = runDescription(run);
    if (!run.flows.size && run.events.length) {
      // A run without flows (esper-lite): its failures and events, not "0 flows".
      const bad = runFailures(run).length;
      description = [bad ? plural(bad, 'failure') : '', description.replace(/ · 0 flows$/, ''), plural(run.counts?.total ?? run.events.length, 'event')].filter(Boolean).join(' · ');
    }
    item.description = description + (run.cap ? ` · ${run.cap.mode}` : '');
    item.iconPath = runIcon(run);
    item.tooltip = runTooltip(run, this.redactor(node.folderKey, node.runId));
    if (!run.flows.size && !run.cap && !run.events.length) item.collapsibleState = vscode.TreeItemCollapsibleState.None;
    return item;
  }

  /** "N events not kept in memory": what flowlens.maxEventsPerSource left out; opens the trace file. */
  private capItem(node: Extract<TreeNode, { kind: 'cap' }>): vscode.TreeItem {
    const run = this.run(node.folderKey, node.runId);
    const cap = run?.cap;
    const item = new vscode.TreeItem(cap ? `${fmtCount(cap.notKept)} event${cap.notKept === 1 ? '' : 's'} not kept in memory` : 'all events kept', vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.iconPath = new vscode.ThemeIcon('info');
    item.contextValue = ITEM.message;
    if (!run || !cap) return item;
    item.description = `${cap.mode === 'summarised' ? 'summarised' : `first ${fmtCount(cap.kept)} kept`} · flowlens.maxEventsPerSource = ${fmtCount(cap.limit)} · open the trace file`;
    const md = safeMarkdown();
    appendSafe(md, runNoteText({ kind: 'cap', cap }), this.redactor(node.folderKey, node.runId));
    item.tooltip = md;
    item.command = openCommand({ folderKey: node.folderKey, file: run.primarySource }, 'Open Trace File');
    return item;
  }

  private groupItem(node: Extract<TreeNode, { kind: 'group' }>): vscode.TreeItem {
    const run = this.run(node.folderKey, node.runId);
    const flows = run?.roots.filter(f => groupKey(f) === node.prefix) ?? [];
    const item = new vscode.TreeItem(`${node.prefix}/`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    const failed = flows.filter(f => isFailure(f.verdict)).length;
    // The worst state inside the group, its flows' descendants included (queries.ts worstOf).
    const worst = run ? worstOf(run, flows) : undefined;
    const inside = !failed && worst && isFailure(worst) ? CONTAINS_FAILURES : worst === 'orphaned' ? 'contains orphaned' : worst === 'running' ? 'running' : '';
    item.description = [failed ? `${failed} failed` : inside, plural(flows.length, 'flow')].filter(Boolean).join(' · ');
    item.iconPath = groupIcon(worst);
    if (worst && isFailure(worst)) item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
    item.contextValue = ITEM.group;
    return item;
  }

  private flowItem(node: Extract<TreeNode, { kind: 'flow' }>): vscode.TreeItem {
    const f = this.flow(node);
    const item = new vscode.TreeItem(f?.displayName ?? node.flowId, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    if (!f) return item;
    const info = this.info(node.folderKey, f.name);
    const corr = correlationHint(f);
    const parts = [corr, flowDuration(f, info.slaP95Ms)];
    if (isFailure(f.verdict)) parts.push(failureSummary(f.verdictEvent));
    else if (f.verdict !== 'succeeded') parts.push(f.verdict);
    // A failure marks every ancestor (issue 16): a flow that is fine itself but holds a failed or
    // raising descendant says so first, with its own icon (queries.ts worstInside).
    const run = this.run(node.folderKey, node.runId);
    const inside = run && !isFailure(f.verdict) ? worstInside(run, f) : undefined;
    const containsFailures = inside !== undefined && isFailure(inside);
    if (containsFailures) parts.unshift(CONTAINS_FAILURES);
    item.description = oneLine(parts.filter(Boolean).join(' · '), 120);
    item.iconPath = containsFailures ? containsFailuresIcon() : verdictIcon(f.verdict);
    item.tooltip = flowTooltip(f, info.description, info.slaP95Ms, this.tooltipText(node.folderKey, node.runId));
    item.contextValue = info.codeRefs.length ? ITEM.flowWithRefs : ITEM.flow;
    const loc = f.verdictEvent?.file ? f.verdictEvent : f.events.find(e => e.file);
    if (loc?.file) {
      // A failing flow opens its failure with the failure's note at the line (issue 16).
      const note = isFailure(f.verdict) && loc === f.verdictEvent ? this.failureNote(node.folderKey, node.runId, f.displayName, loc) : undefined;
      item.command = openCommand({ folderKey: node.folderKey, file: loc.file, line: loc.line, ...(note ? { note } : {}) });
    }
    if (!f.children.length && !f.events.length) item.collapsibleState = vscode.TreeItemCollapsibleState.None;
    return item;
  }

  private stepItem(node: Extract<TreeNode, { kind: 'step' }>): vscode.TreeItem {
    const f = this.flow(node);
    const step: StepNode | undefined = f?.steps[node.index];
    const item = new vscode.TreeItem(step?.name ?? '(step)', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.contextValue = ITEM.step;
    item.iconPath = new vscode.ThemeIcon('list-tree');
    if (step) {
      const bad = step.events.find(e => e.type === 'failure' || e.type === 'exception');
      if (bad) item.iconPath = eventIcon(bad);
      item.description = [plural(step.events.length, 'event'), step.events.map(e => e.type).filter((t, i, a) => a.indexOf(t) === i).join(', ')].join(' · ');
    }
    return item;
  }

  private eventItem(node: Extract<TreeNode, { kind: 'event' }>): vscode.TreeItem {
    const f = this.flow(node);
    const e = f?.events.at(node.index);
    const item = new vscode.TreeItem(e ? oneLine(eventLabel(e), 100) : '(event)', vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.contextValue = ITEM.event;
    if (!e || !f) return item;
    const rel = f.started !== undefined && e.ts !== undefined ? `+${duration(e.ts - f.started)}` : '';
    item.description = [shortLoc(e.file, e.line), rel].filter(Boolean).join(' · ');
    item.iconPath = eventIcon(e);
    item.tooltip = eventTooltip(e, this.tooltipText(node.folderKey, node.runId));
    if (e.file) {
      const note = e.type === 'failure' || e.type === 'exception' ? this.failureNote(node.folderKey, node.runId, f.displayName, e) : undefined;
      item.command = openCommand({ folderKey: node.folderKey, file: e.file, line: e.line, ...(note ? { note } : {}) });
      item.contextValue = ITEM.eventWithLoc;
    }
    return item;
  }

  /** The note shown at the line a failure opens (open.ts `note`): its summary, flow and run, redacted. */
  private failureNote(folderKey: string, runId: string, flowLabel: string, e: TraceEvent): string {
    return forLabel(`${failureSummary(e)} — ${flowLabel} (run ${runId})`, this.redactor(folderKey, runId), 300);
  }

  /** An event of a run without flows: its type and message; an error-severity event as the failure it is. */
  private runEventItem(node: Extract<TreeNode, { kind: 'runEvent' }>): vscode.TreeItem {
    const run = this.run(node.folderKey, node.runId);
    const raw = run?.events.at(node.index);
    const e = raw ? asFailureEvent(raw) : undefined;
    const label = e ? (e.message && e.type !== 'failure' && e.type !== 'exception' ? `${e.type} · ${e.message}` : eventLabel(e)) : '(event)';
    const item = new vscode.TreeItem(oneLine(label, 100), vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.contextValue = ITEM.event;
    if (!run || !e || !raw) return item;
    const rel = run.started !== undefined && e.ts !== undefined ? `+${duration(e.ts - run.started)}` : '';
    item.description = [e.severity && e.severity !== 'info' && e.severity !== 'debug' ? e.severity : '', shortLoc(e.file, e.line), rel].filter(Boolean).join(' · ');
    item.iconPath = isErrorEvent(raw) ? verdictIcon('failed') : e.severity === 'warning' ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.yellow')) : eventIcon(e);
    item.tooltip = eventTooltip(e, this.tooltipText(node.folderKey, node.runId));
    const note = isErrorEvent(raw) ? this.failureNote(node.folderKey, node.runId, '(no flow)', e) : undefined;
    // Where it happened when the event says so, else its line in the trace file (JSONL only: a SQLite row has no line).
    const at = e.file ? { file: e.file, line: e.line } : /\.jsonl?$/i.test(e.src.file) ? { file: e.src.file, line: e.src.line } : undefined;
    if (at) item.command = openCommand({ folderKey: node.folderKey, ...at, ...(note ? { note } : {}) }, e.file ? 'Open Source' : 'Open Trace Line');
    return item;
  }

  // ---- reveal ------------------------------------------------------------------------------

  /** Builds (and interns) the path to a run or flow so TreeView.reveal can find it. */
  nodeFor(folderKey: string, runId: string, flowId?: string): TreeNode | undefined {
    const top = this.getChildren(undefined);
    const runs = top[0]?.kind === 'folder' ? this.getChildren(top.find(n => n.kind === 'folder' && n.folderKey === folderKey)) : top;
    const runNode = runs.find(n => n.kind === 'run' && n.runId === runId && n.folderKey === folderKey);
    if (!runNode || !flowId) return runNode;
    const run = this.run(folderKey, runId);
    const chain: FlowNode[] = [];
    for (let f = run?.flows.get(flowId); f; f = f.parentId ? run?.flows.get(f.parentId) : undefined) {
      chain.unshift(f);
      if (chain.length > 256) break;
    }
    let current: TreeNode = runNode;
    for (const f of chain) {
      let kids = this.getChildren(current);
      let next = kids.find(n => n.kind === 'flow' && n.flowId === f.id);
      if (!next) {
        const group = kids.find(n => n.kind === 'group' && n.prefix === groupKey(f));
        if (group) { kids = this.getChildren(group); next = kids.find(n => n.kind === 'flow' && n.flowId === f.id); }
      }
      if (!next) return current;
      current = next;
    }
    return current;
  }
}

function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** First path segment of a flow name ("data" for data/fetch/minute_candles); '' when unnamed. */
function groupKey(f: FlowNode): string {
  if (!f.name) return '';
  const i = f.name.indexOf('/');
  return i > 0 ? f.name.slice(0, i) : f.name;
}

/** A short hint that tells sibling instances of one flow apart: correlation values except dates. */
function correlationHint(f: FlowNode): string {
  const vals: string[] = [];
  for (const [k, v] of Object.entries(f.correlation ?? {})) {
    if (k === 'date' || typeof v === 'object') continue;
    const s = String(v);
    if (/^\d{4}-\d{2}-\d{2}/.test(s) || s.length > 24) continue;
    vals.push(s);
    break;
  }
  if (!vals.length && f.tags.length === 1 && f.tags[0].length <= 12 && !f.tags[0].includes(':')) vals.push(f.tags[0]);
  return vals.join(' ');
}

/** Registers the Runs view with reveal support; returns the tree view for other features. */
export function createRunsView(provider: FlowTreeProvider): vscode.TreeView<TreeNode> {
  return vscode.window.createTreeView(VIEWS.runs, { treeDataProvider: provider, showCollapseAll: true });
}
