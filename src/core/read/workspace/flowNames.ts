/**
 * flowscribe 0.1 flow-name recovery (formats.md §1a): 0.1 lines carry no flow name; the
 * `summary.md` beside the run's trace names them. Also decides whether a 0.1 run ended (its
 * summary.md exists).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { putRunNote, type Run, type RunNote } from '../../model/types';
import type { DiscoveredSource } from '../discover';
import { readText } from '../ingress/safeFile';
import { parseSummaryMd, recoverFlowNames } from '../summaryMd';
import type { ReadState } from './state';

export class FlowNameRecovery {
  /** summary.md mtime last used per run (undefined = none). */
  private readonly summaryMtimes = new Map<string, number | undefined>();

  constructor(private readonly s: ReadState) {}

  /** The summary.md of a 0.1 run, when it is a discovered source (its presence means the run ended). */
  summaryFor(run: Run): string | undefined {
    if (run.dialect !== 'flowscribe-0.1') return undefined;
    const file = path.join(path.dirname(run.primarySource), 'summary.md');
    return this.s.states.get(file)?.src.kind === 'summary-md' ? file : undefined;
  }

  /**
   * Name 0.1 flows from summary.md for runs that changed or whose summary changed. `summaries`
   * = summary.md files a watcher reported as changed: with it, only changed runs and the runs of
   * those files are looked at (no stat of every summary); without it, every 0.1 run's summary is
   * stat'ed.
   */
  recover(discovered: readonly DiscoveredSource[], summaries?: ReadonlySet<string>): void {
    const byDir = new Map<string, DiscoveredSource>();
    for (const x of discovered) if (x.kind === 'summary-md') byDir.set(path.dirname(x.file), x);
    const changedRuns = this.s.builder.peekChangedRuns();
    for (const run of this.s.builder.runs()) {
      if (run.dialect !== 'flowscribe-0.1') continue;
      const summary = byDir.get(path.dirname(run.primarySource));
      if (summaries && !changedRuns.has(run.id) && this.summaryMtimes.has(run.id) && !(summary && summaries.has(summary.file))) continue;
      let mtime: number | undefined;
      if (summary) {
        try {
          mtime = fs.statSync(summary.file).mtimeMs;
        } catch {
          mtime = undefined;
        }
      }
      const key = run.id;
      const changed = changedRuns.has(run.id) || this.summaryMtimes.get(key) !== mtime || !this.summaryMtimes.has(key);
      if (!changed) continue;
      this.summaryMtimes.set(key, mtime);
      this.nameFlows(run, summary?.file);
    }
  }

  private nameFlows(run: Run, summaryFile: string | undefined): void {
    const builder = this.s.builder;
    let note: RunNote;
    if (!summaryFile) {
      note = { kind: 'flow-names', summary: false, named: 0, total: 0 };
    } else {
      // The ingress policy: a regular file inside the workspace, at most the summary cap.
      const read = readText(summaryFile, { root: this.s.root, kind: 'summary' });
      const md = read.ok ? read.text : '';
      if (!read.ok && read.problem.reason !== 'missing') {
        putRunNote(run, { kind: 'summary-unreadable', reason: read.problem.message.slice(read.problem.file.length + 2) });
      }
      const parsed = parseSummaryMd(md);
      if (parsed.app && !run.app) run.app = parsed.app;
      const flows = [...run.flows.values()].map((f) => ({ id: f.id, events: f.events.map((e) => ({ type: e.type, step: e.step })) }));
      const r = recoverFlowNames(flows, parsed.flows);
      builder.setFlowNames(run.id, r.names);
      note = { kind: 'flow-names', summary: true, named: flows.length - r.unmatched.length, total: flows.length };
    }
    if (putRunNote(run, note)) builder.touch(run.id);
  }
}
