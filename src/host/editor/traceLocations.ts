// Failures and flow anchors of the latest runs by source file: what the decorations, CodeLens and code actions show for the open editor.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TraceEvent } from '../../core/model/types';
import { forEachFlow, type FlowFacts } from '../../core/model/flowFacts';
import { flowRollups, type FlowRollup } from '../../core/analyze/rollup';
import { runFailures } from '../../core/analyze/queries';
import { codeRefIndex, flowInfo } from './catalogInfo';
import { forLabel } from '../../core/render/egress/surfaces';
import { realInside } from '../../core/read/ingress/safeFile';
import { duration, failureSummary } from '../format';
import { zeroBasedLine } from '../open';
import { Disposable } from '../lifecycle';
import { redactorFor } from '../redaction';
import type { TraceServices } from '../services';

/** A failure of a latest run placed on a line of a local file (inside a workspace folder). */
export interface LineFailure {
  zeroBasedLine: number;
  /** The failure summary, redacted with the run's redactor, one plain line. */
  text: string;
  verdict: 'failed' | 'exception';
  folderKey: string;
  runId: string;
  /** The run id as shown (redacted, one plain line). */
  runLabel: string;
  flowId: string;
}

/** Per flow name, across all runs of a folder: the flow's rollup (analyze/flowRollup.ts) as a lens shows it. */
export interface FlowStats extends Pick<FlowRollup, 'instances' | 'p95Ms' | 'slaP95Ms'> {
  name: string;
  runs: number;
  /** Failed and exception instances. */
  failed: number;
  /** Newest instance, for "reveal". */
  latest: { folderKey: string; runId: string; flowId: string };
}

/** A CodeLens anchor: a flow traced at a line, or a flows.yaml code_ref (line 0). */
export interface LensAnchor {
  zeroBasedLine: number;
  stats: FlowStats;
  codeRef: boolean;
}

/**
 * File-keyed index for the editor features (decorations, CodeLens), rebuilt lazily after each
 * trace change so the editor providers never walk runs on every keystroke.
 */
export class TraceLocations extends Disposable {
  private failures: Map<string, LineFailure[]> | undefined;
  private lenses: Map<string, LensAnchor[]> | undefined;
  private readonly emitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.emitter.event;

  constructor(private readonly services: TraceServices) {
    super();
    this._register(services.onDidChange(() => {
      this.failures = undefined;
      this.lenses = undefined;
      this.emitter.fire();
    }));
  }

  failuresFor(uri: vscode.Uri): LineFailure[] {
    if (!this.failures) this.failures = this.buildFailures();
    return this.failures.get(uri.toString()) ?? [];
  }

  lensesFor(uri: vscode.Uri): LensAnchor[] {
    if (!this.lenses) this.lenses = this.buildLenses();
    return this.lenses.get(uri.toString()) ?? [];
  }

  private buildFailures(): Map<string, LineFailure[]> {
    const out = new Map<string, LineFailure[]>();
    for (const folderKey of this.services.workspaces.keys()) {
      const ref = this.services.latestRun(folderKey);
      if (!ref) continue;
      const red = redactorFor(this.services.workspaces.get(folderKey)?.catalog, ref.run);
      // The failures of the run as every surface lists them (analyze/queries.ts).
      for (const { flow: f, event: e } of runFailures(ref.run)) {
        if (!e.file) continue;
        const at = this.services.resolveFile(folderKey, e.file);
        const uri = at.uri;
        if (!uri || !at.inside) continue;
        const verdict = f ? (f.verdict === 'exception' ? 'exception' : 'failed') : e.type === 'exception' ? 'exception' : 'failed';
        const list = out.get(uri.toString()) ?? [];
        list.push({ zeroBasedLine: zeroBasedLine(e.line), text: forLabel(failureSummary(e), red, 1000), verdict, folderKey, runId: ref.run.id, runLabel: forLabel(ref.run.id, red), flowId: f?.id ?? '' });
        out.set(uri.toString(), list);
      }
    }
    return out;
  }

  private buildLenses(): Map<string, LensAnchor[]> {
    const out = new Map<string, LensAnchor[]>();
    const push = (uri: vscode.Uri, a: LensAnchor) => {
      const list = out.get(uri.toString()) ?? [];
      if (!list.some(x => x.zeroBasedLine === a.zeroBasedLine && x.stats.name === a.stats.name)) list.push(a);
      out.set(uri.toString(), list);
    };
    for (const [folderKey, ws] of this.services.workspaces) {
      const stats = new Map<string, FlowStats & { runIds: Set<string> }>();
      const starts = new Map<string, { uri: vscode.Uri; line?: number; isStart: boolean }>();
      const runs = ws.runs();
      for (const run of runs) {
        forEachFlow(run, (f) => {
          if (!f.name) return;
          let s = stats.get(f.name);
          if (!s) {
            s = { name: f.name, runs: 0, instances: 0, failed: 0, runIds: new Set(), latest: { folderKey, runId: run.id, flowId: f.id },
              slaP95Ms: flowInfo(ws.catalog, f.name).slaP95Ms };
            stats.set(f.name, s);
          }
          s.instances++;
          s.runIds.add(run.id);
          const at = firstLocated(f);
          if (!at?.file) return;
          // One anchor per flow name and file: a v1 flow_start wins over the first event of a
          // 0.1 flow (which has no flow_start), so the lens sits where the flow begins.
          const where = this.services.resolveFile(folderKey, at.file);
          const uri = where.uri;
          if (!uri || !where.inside) return;
          const key = `${f.name}\u0000${uri.toString()}`;
          const prev = starts.get(key);
          const isStart = at.type === 'flow_start';
          if (!prev || (isStart && !prev.isStart) || (isStart === prev.isStart && (at.line ?? 0) < (prev.line ?? 0)))
            starts.set(key, { uri, line: at.line, isStart });
        });
      }
      // Latency and failure counts come from the shared rollup, so the lens agrees with the CLI
      // and the dashboard; run counts are per distinct run.
      const rollups = new Map(flowRollups(runs, { catalog: ws.catalog }).map(r => [r.flow, r]));
      for (const s of stats.values()) {
        s.runs = s.runIds.size;
        const r = rollups.get(s.name);
        if (r) {
          s.p95Ms = r.p95Ms;
          s.slaP95Ms = r.slaP95Ms;
          s.failed = r.failed + r.exceptions;
        }
      }
      for (const [key, at] of starts) {
        const s = stats.get(key.split('\u0000')[0]);
        if (s) push(at.uri, { zeroBasedLine: zeroBasedLine(at.line), stats: s, codeRef: false });
      }
      const folder = this.services.folder(folderKey);
      if (!folder) continue;
      for (const [ref, ids] of codeRefIndex(ws.catalog)) {
        // A code_ref is a path from flows.yaml: only files really inside this folder get a lens.
        const real = typeof ref === 'string' && !path.isAbsolute(ref) ? realInside(folder.uri.fsPath, ref) : undefined;
        if (!real) continue;
        const uri = vscode.Uri.joinPath(folder.uri, ref);
        for (const id of ids) {
          const s = stats.get(id) ?? { name: id, runs: 0, instances: 0, failed: 0, latest: { folderKey, runId: '', flowId: '' }, slaP95Ms: flowInfo(ws.catalog, id).slaP95Ms };
          push(uri, { zeroBasedLine: 0, stats: s, codeRef: true });
        }
      }
    }
    return out;
  }
}

function firstLocated(f: FlowFacts): TraceEvent | undefined {
  return f.events.find(e => e.type === 'flow_start' && e.file) ?? f.events.find(e => e.file);
}

/**
 * "orders/submit · 17 instances in 4 runs · 1 failed · p95 1.8 s ▲ SLA 1000": counts named for
 * what they count (issue 16) — the dashboard's column is "Instances" too, and "failed" counts
 * instances.
 */
export function lensTitle(s: FlowStats): string {
  const parts = [s.name];
  if (!s.instances) return `${s.name} · not traced yet`;
  parts.push(`${s.instances} instance${s.instances === 1 ? '' : 's'} in ${s.runs} run${s.runs === 1 ? '' : 's'}`);
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.p95Ms !== undefined) {
    let p = `p95 ${duration(s.p95Ms)}`;
    if (s.slaP95Ms !== undefined && s.p95Ms > s.slaP95Ms) p += ` ▲ SLA ${s.slaP95Ms}`;
    parts.push(p);
  }
  return parts.join(' · ');
}
