// Flows in the Test Explorer: one test item per flow name (a tree split on '/'), and each folder's latest run published as a test run — verdicts as test states, failures as TestMessages with a location and a stack trace.
import * as vscode from 'vscode';
import type { Run, TraceEvent } from '../../core/model/types';
import { forEachFlow, type FlowFacts } from '../../core/model/flowFacts';
import { isFailing, runStatus } from '../../core/analyze/queries';
import type { Catalog } from '../../core/read/catalog';
import type { Redactor } from '../../core/render/egress/redact';
import { forLabel } from '../../core/render/egress/surfaces';
import { duration, failureSummary, safeJson } from '../format';
import { Disposable } from '../lifecycle';
import { zeroBasedLine } from '../open';
import { redactorFor } from '../redaction';
import type { TraceServices } from '../services';

/** The controller's id and label (the Testing view groups items under the label). */
export const TEST_CONTROLLER_ID = 'flowlens';
export const TEST_CONTROLLER_LABEL = 'Flowlens flows';

/** Flow names handled per turn of the event loop while items are built or results published (a 10,000-flow run never blocks the host). */
export const CHUNK = 500;
/** Failing instances of one flow name that get a message in one published run. */
const MESSAGES_PER_ITEM = 20;
/** Stack frames per message. */
const FRAMES_PER_MESSAGE = 50;

/** One test state as published, in plain data (what the extension's test API returns). */
export type FlowTestState = 'passed' | 'failed' | 'errored' | 'skipped' | 'started';

/** A published TestMessage, in plain data. */
export interface PublishedMessage {
  /** The message: plain text (never rendered as Markdown), every trace string through `forLabel`. */
  text: string;
  location?: { uri: string; line: number };
  stack: { label: string; uri?: string; line?: number }[];
}

/** What was published for one test item. */
export interface PublishedResult {
  state: FlowTestState;
  durationMs?: number;
  messages: PublishedMessage[];
}

/** One published test run: a folder's latest run. */
export interface PublishedRun {
  folderKey: string;
  runId: string;
  /** The TestRun's name (the run id, as a label). */
  name: string;
  /** Results by test item id (the flow name). */
  results: Map<string, PublishedResult>;
  /** The TestRun was ended (the trace run is no longer running). */
  ended: boolean;
}

/** A flow name's instances in a run, as its result reads them (walked from facts: no flow objects made). */
interface Group {
  name: string;
  /** The instances' verdicts' first letters, in order (the published signature). */
  verdicts: string;
  /** Sum of the finite durations; undefined when none has one. */
  durationMs?: number;
  /** The first {@link MESSAGES_PER_ITEM} failing instances (copies: the walk's cursor moves on). */
  failing: FlowFacts[];
  anyFailing: boolean;
  anyFailed: boolean;
  anyRunning: boolean;
  anySucceeded: boolean;
}

/**
 * The Flowlens test controller. Items: every flow name seen in a folder's runs or declared in its
 * flows.yaml, as a tree on '/', located at the flow's first traced line (else its first code_ref).
 * Results: each folder's latest run (analyze/queries.ts via services.latestRun) is published as a
 * TestRun named after the run id; a live run's TestRun stays open and is updated until the run
 * ends. The "Run" profile re-reads the traces from disk (Flowlens cannot run the traced app) and
 * publishes the latest run again. Every trace string goes through the egress policy.
 */
export class FlowTests extends Disposable {
  readonly controller: vscode.TestController;
  private readonly items = new Map<string, vscode.TestItem>();
  /** Item id → the uri it was created with ('' = none), to recreate it when a location appears. */
  private readonly itemUris = new Map<string, string>();
  /** Per folder: the last published run and its open TestRun. */
  private readonly published = new Map<string, PublishedRun & { signature: string; testRun?: vscode.TestRun }>();
  private queue: Promise<void> = Promise.resolve();
  private readonly slices: SliceStats = { slices: 0, longestMs: 0, totalMs: 0 };
  private sliceStart = 0;
  /** Item labels by flow name, for the redactor they were made with (forLabel costs ~40 µs a name). */
  private readonly labels = new Map<string, string>();
  private labelRed: Redactor | undefined;
  private pending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly emitter = this._register(new vscode.EventEmitter<PublishedRun>());
  /** Fires after a run's results were published (tests and other features wait on it). */
  readonly onDidPublish = this.emitter.event;

  /** `controller` names another controller (VS Code allows one per id: tests use their own). */
  constructor(private readonly services: TraceServices, controller: { id: string; label: string } = { id: TEST_CONTROLLER_ID, label: TEST_CONTROLLER_LABEL }) {
    super();
    this.controller = this._register(vscode.tests.createTestController(controller.id, controller.label));
    this.controller.refreshHandler = async () => { await this.services.refresh(); await this.sync(true); };
    this._register(this.controller.createRunProfile('Re-read the latest run', vscode.TestRunProfileKind.Run, (req, token) => this.rerun(req, token), true));
    this._register(services.onDidChange(() => this.schedule()));
    this._register({ dispose: () => { if (this.timer) clearTimeout(this.timer); for (const p of this.published.values()) p.testRun?.end(); } });
    this.schedule(0);
  }

  /** The last published run of a folder (or of any folder, newest first). */
  lastPublished(folderKey?: string): PublishedRun | undefined {
    if (folderKey) return this.published.get(folderKey);
    return [...this.published.values()].sort((a, b) => (this.runOf(b)?.started ?? 0) - (this.runOf(a)?.started ?? 0))[0];
  }

  /** How the last syncs were sliced (the in-host test checks that no slice holds the host long). */
  get sliceStats(): Readonly<SliceStats> {
    return this.slices;
  }

  /** Ids of every test item (flow names and their '/' prefixes). */
  itemIds(): string[] {
    return [...this.items.keys()];
  }

  /** Settles when no build or publish is queued. */
  async idle(): Promise<void> {
    do {
      await this.queue;
      if (this.timer || this.pending) await new Promise(r => setTimeout(r, 20));
    } while (this.timer || this.pending);
  }

  private runOf(p: PublishedRun): Run | undefined {
    return this.services.workspaces.get(p.folderKey)?.runs().find(r => r.id === p.runId);
  }

  /** Coalesces bursts of changes (a live trace refreshes often) into one sync. */
  private schedule(delayMs = 150): void {
    if (this.isDisposed || this.timer) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.sync(false); }, delayMs);
  }

  /** Builds the items, then publishes each folder's latest run (serialised; a sync queued behind one runs once). */
  private sync(force: boolean, request?: vscode.TestRunRequest, token?: vscode.CancellationToken): Promise<void> {
    if (this.pending && !request && !force) return this.queue;
    this.pending = true;
    this.queue = this.queue.then(async () => {
      this.pending = false;
      if (this.isDisposed) return;
      this.sliceStart = performance.now();
      try {
        await this.buildItems();
        for (const folderKey of this.services.workspaces.keys()) {
          if (token?.isCancellationRequested) break;
          await this.publish(folderKey, force, request, token);
        }
        for (const key of [...this.published.keys()]) if (!this.services.workspaces.has(key)) this.forget(key);
      } catch (err) {
        this.services.log?.failed('Test Explorer', err);
      }
      this.endSlice();
    });
    return this.queue;
  }

  /** Ends the current slice of work and lets the event loop run (another slice starts when it resumes). */
  private async tick(): Promise<void> {
    this.endSlice();
    await new Promise(r => setImmediate(r));
    this.sliceStart = performance.now();
  }

  private endSlice(): void {
    const ms = performance.now() - this.sliceStart;
    this.slices.slices++;
    this.slices.totalMs += ms;
    this.slices.longestMs = Math.max(this.slices.longestMs, ms);
  }

  private forget(folderKey: string): void {
    this.published.get(folderKey)?.testRun?.end();
    this.published.delete(folderKey);
  }

  /** The "Run" profile: re-read the traces from disk, then publish the latest run again. */
  private async rerun(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    await this.services.refresh();
    if (token.isCancellationRequested) return;
    await this.sync(true, request, token);
  }

  /** Item id of a flow name: the name itself; prefixed with the folder's name when there are several folders. */
  private idFor(folderKey: string, name: string): string {
    if (this.services.workspaces.size <= 1) return name;
    return `${this.services.folder(folderKey)?.name ?? folderKey}/${name}`;
  }

  private async buildItems(): Promise<void> {
    const wanted = new Map<string, { folderKey: string; label: string; uri?: vscode.Uri; line?: number }>();
    let n = 0;
    for (const [folderKey, ws] of this.services.workspaces) {
      const catalog = ws.catalog;
      const latest = this.services.latestRun(folderKey)?.run;
      const red = redactorFor(catalog, latest);
      const names = new Set<string>();
      for (const run of ws.runs()) forEachFlow(run, (f) => {
        if (f.name) names.add(f.name);
      });
      for (const spec of catalog?.flows ?? []) if (typeof spec.id === 'string' && spec.id) names.add(spec.id);
      // Locations from the latest run's first instance of each name (one event decoded per name, only for a new item).
      const firstByName = new Map<string, FlowFacts>();
      if (latest) forEachFlow(latest, (f) => {
        if (f.name && !firstByName.has(f.name)) firstByName.set(f.name, f.keep?.() ?? f);
      });
      for (const name of names) {
        const id = this.idFor(folderKey, name);
        const known = this.items.get(id);
        let uri: vscode.Uri | undefined;
        let line: number | undefined;
        if (!known || !this.itemUris.get(id)) {
          const at = this.locate(folderKey, name, firstByName.get(name), catalog);
          uri = at?.uri;
          line = at?.line;
        }
        if (this.labelRed !== red) { this.labels.clear(); this.labelRed = red; }
        let label = this.labels.get(name);
        if (label === undefined) this.labels.set(name, (label = forLabel(name.split('/').pop() || name, red)));
        wanted.set(id, { folderKey, label, uri, line });
        if (++n % CHUNK === 0) await this.tick();
      }
    }
    // Leaves and their '/' prefixes.
    const all = new Map<string, { label: string; uri?: vscode.Uri; line?: number }>();
    for (const [id, w] of wanted) {
      if (++n % CHUNK === 0) await this.tick();
      const parts = id.split('/');
      for (let i = 1; i < parts.length; i++) {
        const pid = parts.slice(0, i).join('/');
        if (!all.has(pid) && !wanted.has(pid)) all.set(pid, { label: forLabel(parts[i - 1] || '/') });
      }
      all.set(id, w);
    }
    // Parents before children: bucket by depth (a comparator that splits ids cost 300 ms at 10,000 names).
    const byDepth: string[][] = [];
    for (const id of all.keys()) {
      let d = 0;
      for (let i = id.indexOf('/'); i >= 0; i = id.indexOf('/', i + 1)) d++;
      (byDepth[d] ??= []).push(id);
    }
    const ids = byDepth.flatMap(b => (b ?? []).sort());
    await this.tick();
    for (const id of ids) {
      const w = all.get(id)!;
      const existing = this.items.get(id);
      const uriKey = w.uri?.toString() ?? '';
      // An item keeps its uri for life: one that has no location yet is recreated once it has one (not when it holds children).
      if (existing && (this.itemUris.get(id) || !uriKey || existing.children.size > 0)) {
        if (existing.label !== w.label) existing.label = w.label;
        continue;
      }
      const item = this.controller.createTestItem(id, w.label, w.uri);
      if (w.uri) item.range = new vscode.Range(w.line ?? 0, 0, w.line ?? 0, 0);
      this.items.set(id, item);
      this.itemUris.set(id, uriKey);
      const slash = id.lastIndexOf('/');
      const parent = slash > 0 ? this.items.get(id.slice(0, slash)) : undefined;
      (parent ? parent.children : this.controller.items).add(item);
      if (++n % CHUNK === 0) await this.tick();
    }
    for (const id of [...this.items.keys()]) {
      if (all.has(id)) continue;
      const slash = id.lastIndexOf('/');
      const parent = slash > 0 ? this.items.get(id.slice(0, slash)) : undefined;
      (parent ? parent.children : this.controller.items).delete(id);
      this.items.delete(id);
      this.itemUris.delete(id);
    }
  }

  /** Where a flow name's code is: the first located event of its instance in the latest run, else its first flows.yaml code_ref (line 1). Only files inside the workspace. */
  private locate(folderKey: string, name: string, flow: FlowFacts | undefined, catalog: Catalog | undefined): { uri: vscode.Uri; line: number } | undefined {
    const first = flow?.events.at(0);
    const e = first?.file ? first : flow?.verdictEvent?.file ? flow.verdictEvent : undefined;
    if (e?.file) {
      const at = this.services.resolveFile(folderKey, e.file);
      if (at.uri && at.inside) return { uri: at.uri, line: zeroBasedLine(e.line) };
    }
    const ref = catalog?.flowsById.get(name)?.codeRefs?.[0];
    if (typeof ref === 'string' && ref) {
      const at = this.services.resolveFile(folderKey, ref);
      if (at.uri && at.inside) return { uri: at.uri, line: 0 };
    }
    return undefined;
  }

  /** Publishes a folder's latest run unless it was published unchanged (or `force`). */
  private async publish(folderKey: string, force: boolean, request?: vscode.TestRunRequest, token?: vscode.CancellationToken): Promise<void> {
    const ref = this.services.latestRun(folderKey);
    const prev = this.published.get(folderKey);
    if (!ref) {
      if (prev) this.forget(folderKey);
      return;
    }
    const run = ref.run;
    const ws = this.services.workspaces.get(folderKey);
    const red = redactorFor(ws?.catalog, run);
    const groups = groupByName(run);
    const live = runStatus(run) === 'running';
    const signature = `${run.id}\u0000${run.flows.size}\u0000${groups.map(g => g.verdicts).join(',')}\u0000${live}`;
    if (!force && !request && prev && prev.runId === run.id && prev.signature === signature) return;

    // A live run keeps its TestRun open; anything else starts a new one.
    let testRun = !request && prev?.runId === run.id ? prev.testRun : undefined;
    if (prev?.testRun && prev.testRun !== testRun) prev.testRun.end();
    const name = forLabel(run.id, red);
    testRun ??= this.controller.createTestRun(request ?? new vscode.TestRunRequest(), name, false);
    const entry: PublishedRun & { signature: string; testRun?: vscode.TestRun } = { folderKey, runId: run.id, name, results: new Map(), ended: false, signature, testRun };
    this.published.set(folderKey, entry);
    const include = request?.include?.length ? request.include.map(i => i.id) : undefined;
    const exclude = request?.exclude?.map(i => i.id) ?? [];
    const wanted = (id: string) => (!include || include.some(p => id === p || id.startsWith(`${p}/`))) && !exclude.some(p => id === p || id.startsWith(`${p}/`));

    let n = 0;
    for (const g of groups) {
      if (token?.isCancellationRequested || this.isDisposed) break;
      const id = this.idFor(folderKey, g.name);
      const item = this.items.get(id);
      if (!item || !wanted(id)) continue;
      const result = this.result(folderKey, run, g, red, live);
      entry.results.set(id, result);
      report(testRun, item, result);
      if (++n % CHUNK === 0) await this.tick();
    }
    if (!live || request || token?.isCancellationRequested) {
      testRun.end();
      entry.testRun = undefined;
      entry.ended = true;
    }
    this.emitter.fire(entry);
  }

  /** One flow name's result in a run: failed/errored over everything, then running, then passed, else skipped (orphaned). */
  private result(folderKey: string, run: Run, g: Group, red: Redactor, live: boolean): PublishedResult {
    const durationMs = g.durationMs;
    if (g.anyFailing) {
      const messages = g.failing.map(f => this.message(folderKey, run, f, red));
      const state: FlowTestState = g.anyFailed ? 'failed' : 'errored';
      return { state, durationMs, messages };
    }
    if (g.anyRunning) return { state: live ? 'started' : 'skipped', messages: [] };
    if (g.anySucceeded) return { state: 'passed', durationMs, messages: [] };
    return { state: 'skipped', messages: [] };
  }

  /**
   * A failing flow instance as a message: what failed (class · reason or exception), the flow, run
   * and step, the evidence; located at the verdict event's file:line; the stack from the verdict
   * (innermost) down the exception's frames. Plain text, not Markdown: the peek's title and
   * Copilot's *Fix Test Failure* read the message source, where Markdown escapes would show
   * (`DATA\.EMPTY`); each line is redacted and stripped by `forLabel`.
   */
  private message(folderKey: string, run: Run, f: FlowFacts, red: Redactor): PublishedMessage {
    const e = f.verdictEvent;
    const lines: string[] = [];
    lines.push(`${forLabel(e?.failureClass ?? (f.verdict === 'exception' ? 'exception' : 'failure'), red, 200)} · ${forLabel(reasonOf(e), red, 1000)}`);
    const where = [`flow ${forLabel(f.displayName, red, 200)} (${forLabel(f.id, red, 80)})`, `run ${forLabel(run.id, red, 120)}`];
    if (e?.step) where.push(`step ${forLabel(e.step, red, 120)}`);
    if (f.durationMs !== undefined) where.push(duration(f.durationMs));
    lines.push(where.join(' · '));
    if (e?.evidence !== undefined) lines.push(`evidence: ${forLabel(safeJson(red.value(e.evidence), 600), red, 800)}`);
    const location = e?.file ? this.place(folderKey, e.file, e.line) : undefined;
    const stack: PublishedMessage['stack'] = [];
    if (e) stack.push(this.frame(folderKey, `${e.function ?? f.displayName} (${e.type})`, e.file, e.line, red));
    for (const fr of [...(e?.exception?.stack ?? [])].reverse()) {
      if (stack.length >= FRAMES_PER_MESSAGE) break;
      if (e && fr.file === e.file && fr.line === e.line && fr.function === e.function) continue;
      stack.push(this.frame(folderKey, fr.function ?? '?', fr.file, fr.line, red));
    }
    return { text: lines.join('\n'), location, stack };
  }

  private place(folderKey: string, file: string, line: number | undefined): { uri: string; line: number } | undefined {
    const at = this.services.resolveFile(folderKey, file);
    return at.uri && at.inside ? { uri: at.uri.toString(), line: zeroBasedLine(line) } : undefined;
  }

  private frame(folderKey: string, label: string, file: string | undefined, line: number | undefined, red: Redactor): PublishedMessage['stack'][number] {
    const at = file ? this.place(folderKey, file, line) : undefined;
    const shown = file ? `${label} — ${file}${line !== undefined ? `:${line}` : ''}` : label;
    return { label: forLabel(at ? label : shown, red, 300), uri: at?.uri, line: at?.line };
  }
}

/** The reason of a failing verdict, without its class (the message's bold lead says that). */
function reasonOf(e: TraceEvent | undefined): string {
  if (!e) return 'no verdict event';
  if (e.type === 'exception' && e.exception) return [e.exception.type, e.exception.message].filter(Boolean).join(': ') || failureSummary(e);
  return e.reason ?? e.message ?? failureSummary(e);
}

/** Named flows of a run grouped by name, in first-seen order (unnamed flows have no stable item). */
function groupByName(run: Run): Group[] {
  const m = new Map<string, Group>();
  forEachFlow(run, (f) => {
    if (!f.name) return;
    let g = m.get(f.name);
    if (!g) m.set(f.name, (g = { name: f.name, verdicts: '', failing: [], anyFailing: false, anyFailed: false, anyRunning: false, anySucceeded: false }));
    const v = f.verdict;
    g.verdicts += v[0];
    const d = f.durationMs;
    if (d !== undefined && Number.isFinite(d)) g.durationMs = (g.durationMs ?? 0) + d;
    if (isFailing(v)) {
      g.anyFailing = true;
      if (v === 'failed') g.anyFailed = true;
      if (g.failing.length < MESSAGES_PER_ITEM) g.failing.push(f.keep?.() ?? f);
    } else if (v === 'running') g.anyRunning = true;
    else if (v === 'succeeded') g.anySucceeded = true;
  });
  return [...m.values()];
}

/** Puts one result on the TestRun. */
function report(testRun: vscode.TestRun, item: vscode.TestItem, r: PublishedResult): void {
  switch (r.state) {
    case 'passed': return testRun.passed(item, r.durationMs);
    case 'skipped': return testRun.skipped(item);
    case 'started': return testRun.started(item);
    default: {
      const messages = r.messages.map(toTestMessage);
      return r.state === 'failed' ? testRun.failed(item, messages, r.durationMs) : testRun.errored(item, messages, r.durationMs);
    }
  }
}

function toTestMessage(m: PublishedMessage): vscode.TestMessage {
  const msg = new vscode.TestMessage(m.text);
  if (m.location) msg.location = new vscode.Location(vscode.Uri.parse(m.location.uri), new vscode.Position(m.location.line, 0));
  msg.stackTrace = m.stack.map(s => new vscode.TestMessageStackFrame(s.label, s.uri ? vscode.Uri.parse(s.uri) : undefined, s.uri ? new vscode.Position(s.line ?? 0, 0) : undefined));
  return msg;
}

/** How long a slice of work held the extension host's thread before yielding. */
export interface SliceStats {
  /** Turns of the event loop the work was split into. */
  slices: number;
  /** The longest one, in ms. */
  longestMs: number;
  /** All of them, in ms. */
  totalMs: number;
}
