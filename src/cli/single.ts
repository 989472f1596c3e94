/**
 * A single trace file given as PATH: read with the same trace-core pieces the workspace uses
 * (JsonlTail → detectFileDialect/normalizeEvent → RunBuilder), without folder discovery.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunBuilder } from '../core/model/build';
import type { Dialect, Malformed, Run, SourceLoc, TraceEvent } from '../core/model/types';
import { checkRegular, readText } from '../core/read/ingress/safeFile';
import { JsonlTail } from '../core/read/sources/jsonl';
import { detectFileDialect, normalizeEvent } from '../core/read/sources/normalize';
import { parseSummaryMd, recoverFlowNames } from '../core/read/summaryMd';

/** Runs, malformed lines and envelope events read from one file. */
export interface SingleFile {
  runs: Run[];
  malformed: Malformed[];
  /** Located problems of the read (the file grew while being read). */
  problems: string[];
  envelopes: TraceEvent[];
}

/** Read one JSONL trace file completely. Never throws on bad content. */
export function readSingleFile(file: string, now = Date.now()): SingleFile {
  const builder = new RunBuilder();
  const envelopes: TraceEvent[] = [];
  const folderRun = path.basename(path.dirname(file));
  let dialect: Dialect | undefined;
  const pending: [Record<string, unknown>, SourceLoc][] = [];
  const add = (obj: Record<string, unknown>, loc: SourceLoc) => {
    const ev = normalizeEvent(obj, dialect as Dialect, loc);
    if (ev.dialect === 'envelope') envelopes.push(ev);
    else builder.add(ev, ev.runId ?? folderRun, file);
  };
  const flush = () => {
    dialect = detectFileDialect(pending.map(p => p[0])) ?? 'generic';
    for (const [o, l] of pending) add(o, l);
    pending.length = 0;
  };
  // The user named this file: it may lie anywhere, but it is still opened under the ingress policy
  // (a regular file only, non-blocking, no-follow).
  const tail = new JsonlTail(file, { allowOutside: true });
  const res = tail.readSync((obj, loc) => {
    if (dialect) return add(obj, loc);
    pending.push([obj, loc]);
    if (pending.length >= 20) flush();
  }, { final: true });
  if (!dialect) flush();
  const malformed = [...res.malformed];
  if (res.error) malformed.push({ file, line: 0, reason: res.error });
  const problems: string[] = [];
  if (res.grewBytes !== undefined) {
    problems.push(`${file}: file grew while being read; ${res.grewBytes.toLocaleString('en-US')} byte${res.grewBytes === 1 ? '' : 's'} appended after the read started (at ${res.size.toLocaleString('en-US')} bytes) not read`);
  }
  const runs = builder.runs();
  const mtime = statMtime(file);
  const summaryFile = path.join(path.dirname(file), 'summary.md');
  // summary.md beside it must be a regular file in that same folder (not a link leading elsewhere).
  const summaryOpts = { root: path.dirname(file), kind: 'summary' as const };
  const ended = checkRegular(summaryFile, { ...summaryOpts, maxBytes: Number.POSITIVE_INFINITY }).ok;
  builder.finish({ now, mtimeOf: () => mtime, hasEnded: () => ended });
  // flowscribe 0.1 lines carry no flow name: recover names from summary.md beside it (§1a).
  if (ended) {
    for (const run of runs.filter(r => r.dialect === 'flowscribe-0.1')) {
      try {
        const read = readText(summaryFile, summaryOpts);
        if (!read.ok) throw new Error(read.problem.message);
        const parsed = parseSummaryMd(read.text);
        if (parsed.app && !run.app) run.app = parsed.app;
        const flows = [...run.flows.values()].map(f => ({ id: f.id, events: f.events.map(e => ({ type: e.type, step: e.step })) }));
        builder.setFlowNames(run.id, recoverFlowNames(flows, parsed.flows).names);
      } catch {
        // names stay short ids
      }
    }
  }
  for (const m of malformed) if (runs.length === 1) builder.addMalformed(runs[0].id, m);
  return { runs, malformed, problems, envelopes };
}

function statMtime(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}
