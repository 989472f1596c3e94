/**
 * A focused measure of the index's main-thread merge (issue 15, "the merge"): loads a workspace
 * through the real TraceWorkspace with the parallel index, and reports the load's wall time,
 * process CPU, the MAIN THREAD's busy time (event-loop utilisation: the merge and whatever else
 * runs on it, the workers excluded), the rollups, peak RSS, the longest event-loop block, and
 * optionally a sha256 digest of the whole model and rollups (to check a change keeps them).
 * `firstUseMs`/`firstUseMaxMs`: the flows and roots of every run read once after the load (made
 * then for a run whose flows the cold index kept in columns), all runs and the longest one run.
 * Usage: node --expose-gc dist/bench/mergeChild.js <root> [digest] [replay]
 * `replay`: the worker is bench/replayWorker.ts, which scans its range before posting anything,
 * so from the first batch on the merge alone sets the pace (`mergeWallMs`, `mergeCpuMs`: wall
 * time and main-thread CPU from the first batch merged to the load's end), as with a scanner much
 * faster than JSON.parse. `mainCpuMs`: the main thread's CPU for the whole load + rollups.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { TraceWorkspace } from '../src/core/read/workspace';
import { rollupRuns } from '../src/core/analyze/rollup';
import type { FlowNode, Run } from '../src/core/model/types';

/** A digest of the model's shape: runs, flows (tree, verdicts, times, tags, correlation, record counts) and the rollups. */
export function modelDigest(ws: TraceWorkspace): string {
  const h = createHash('sha256');
  const flow = (f: FlowNode): string =>
    JSON.stringify([f.id, f.name, f.displayName, f.runId, f.parentId, f.children.map((c) => c.id), f.events.length, f.verdict, f.verdictEvent?.type, f.verdictEvent?.src.line, f.started, f.ended, f.durationMs, f.correlation, f.tags]);
  for (const r of ws.runs() as Run[]) {
    h.update(JSON.stringify([r.id, r.dialect, r.sources, r.primarySource, r.app, r.mode, r.tags, r.gitSha, r.host, r.started, r.ended, r.endedBy, r.status, r.counts, r.roots.map((f) => f.id), r.events.length, r.malformed, r.notes, r.warnings, r.cap]));
    const last = r.events.at(-1);
    h.update(JSON.stringify([r.events.at(0)?.src, last?.src, last?.type]));
    for (const f of r.flows.values()) h.update(flow(f));
    h.update(JSON.stringify(rollupRuns([r], { catalog: ws.catalog })));
  }
  return h.digest('hex');
}

/** CPU time (ms) of this process's main thread so far (Linux: /proc; undefined elsewhere). */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const root = args[0];
  const digest = args.includes('digest');
  const replay = args.includes('replay');
  let firstBatch: number | undefined;
  let firstBatchCpu: number | undefined;
  // FL_ALLOC_PROFILE=file: a sampling profile of what the main thread allocates while loading,
  // including what the GC collected (where the garbage comes from).
  const allocOut = process.env.FL_ALLOC_PROFILE;
  const session = allocOut ? new inspector.Session() : undefined;
  const post = (m: string, p?: object): Promise<unknown> => new Promise((res, rej) => session?.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
  if (session) {
    session.connect();
    // FL_ALLOC_LIVE=1: only what is still alive at the end of the load (what the GC had to keep).
    const all = process.env.FL_ALLOC_LIVE !== '1';
    await post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: all, includeObjectsCollectedByMinorGC: all });
  }
  const m0 = mainThreadCpuMs();
  const c0 = process.cpuUsage();
  const e0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const ws = new TraceWorkspace(root, {
    index: { workerScript: replay ? path.join(__dirname, 'replayWorker.js') : undefined, onProgress: () => {
      if (firstBatch !== undefined) return;
      firstBatch = performance.now();
      firstBatchCpu = mainThreadCpuMs();
    } },
  });
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  await ws.load();
  lag.disable();
  if (session && allocOut) {
    const r = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
    writeFileSync(allocOut, JSON.stringify(r.profile));
  }
  const loadMs = performance.now() - t0;
  const loadCpu = mainThreadCpuMs();
  const elu = performance.eventLoopUtilization(e0);
  // The flows of each run, made on first use (a run the cold index kept in columns: build.ts
  // ColdFlows): the longest one run's first use took, and all of them.
  let firstUseMaxMs = 0;
  const tf = performance.now();
  for (const run of ws.runs()) {
    const t = performance.now();
    if (run.roots.length >= 0) run.flows.values().next();
    firstUseMaxMs = Math.max(firstUseMaxMs, performance.now() - t);
  }
  const firstUseMs = performance.now() - tf;
  const t1 = performance.now();
  for (const run of ws.runs()) rollupRuns([run], { catalog: ws.catalog });
  const rollupMs = performance.now() - t1;
  const c1 = process.cpuUsage(c0);
  const m1 = mainThreadCpuMs();
  const out: Record<string, unknown> = {
    loadMs: Math.round(loadMs), firstUseMs: Math.round(firstUseMs), firstUseMaxMs: Math.round(firstUseMaxMs), mergeWallMs: firstBatch === undefined ? undefined : Math.round(t0 + loadMs - firstBatch), indexMs: Math.round(loadMs + firstUseMs + rollupMs), rollupMs: Math.round(rollupMs),
    cpuMs: Math.round((c1.user + c1.system) / 1000), mainActiveMs: Math.round(elu.active), mainCpuMs: m0 === undefined || m1 === undefined ? undefined : m1 - m0,
    mergeCpuMs: firstBatchCpu === undefined || loadCpu === undefined ? undefined : loadCpu - firstBatchCpu, mainIdleMs: Math.round(elu.idle),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), blockMaxMs: Math.round(lag.max / 1e6), events: ws.runs().reduce((n, r) => n + r.events.length, 0),
  };
  if (digest) out.digest = modelDigest(ws);
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (require.main === module)
  main().catch((e: unknown) => {
    process.stderr.write(`mergeChild: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
