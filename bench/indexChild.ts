/**
 * Child process of bench.ts: loads the generated workspace through the real TraceWorkspace
 * (read + parse + model + rollups), reports its time and peak RSS, then times live-tail refreshes
 * and the view functions. Prints one JSON {@link ChildReport} on stdout.
 * Usage: node indexChild.js <root> <bigRunId> <seed> quick|full
 */
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { TraceWorkspace } from '../src/core/read/workspace';
import { buildAskMd } from '../src/core/render/ask';
import { slaFor } from '../src/core/read/catalog';
import type { Run } from '../src/core/model/types';
import { rollupRuns } from '../src/core/analyze/rollup';
import { runFailures, runStatus, runVerdictCounts } from '../src/core/analyze/queries';
import { forEachFlow } from '../src/core/model/flowFacts';
import { liveLines, runWithFlows } from './gen';
import { timeViews } from './views';
import type { BenchRow, ChildReport, IndexFigures } from './types';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * What the index must produce besides the model: per-flow rollups and event counts of every run;
 * and what the extension's views read of every run right after a load — the Runs view's rows and
 * the status bar (verdict counts, status), the Failures view and Problems panel (failures), the
 * Test Explorer (flow names) — through the same core calls. None of it makes flow objects: they
 * are made when a run's tree is opened (core/read/workspace/options.ts `makeFlows`).
 */
function rollupAll(ws: TraceWorkspace): number {
  let n = 0;
  const names = new Set<string>();
  for (const run of ws.runs()) {
    n += rollupRuns([run], { catalog: ws.catalog }).flows.length;
    runVerdictCounts(run);
    runStatus(run);
    n += runFailures(run).length;
    forEachFlow(run, (f) => {
      if (f.name) names.add(f.name);
    });
  }
  return n + names.size;
}

/** What a load-only child (`load` mode: the scale, load and huge rows) reports. */
export interface LoadReport extends IndexFigures {
  /** Peak RSS right after load (before the rollups); `maxRssKb` is after load + rollups. */
  loadRssKb: number;
  /** Progress reports seen, and the last one's bytes done / total and files. */
  progress: { reports: number; done: number; total: number; files: number };
  /** Runs summarised or capped by maxEventsPerSource, and the problems the workspace lists. */
  capped: number;
  problems: string[];
  notes: string[];
  /** Runs whose flow objects were made by the end (the rest are still the cold index's columns). */
  objectRuns: number;
  /** With `backgroundHints`: the hint pass after the load — stores hinted, ms from the report until done, peak RSS then. */
  hints?: { stores: number; ms: number; maxRssKb: number };
  /** With `cancelAt`: ms from abort() to the load's rejection, bytes done then, whether it rejected with AbortError. */
  cancel?: { ms: number; atBytes: number; abortError: boolean; runs: number };
}

/**
 * Load only (no live tail, no views): `node indexChild.js <root> - <seed> load '<json>'` with
 * `{ minBytes?, maxEventsPerSource?, cancelAt? }` (cancelAt: a first load is cancelled once that
 * fraction of the bytes is merged, then a second load reads everything).
 */
async function loadOnly(root: string, o: { minBytes?: number; maxEventsPerSource?: number; cancelAt?: number; backgroundHints?: boolean }): Promise<void> {
  const progress = { reports: 0, done: 0, total: 0, files: 0 };
  let cancel: LoadReport['cancel'];
  if (o.cancelAt !== undefined) {
    const ac = new AbortController();
    let t = 0;
    let at = 0;
    const ws = new TraceWorkspace(root, { maxEventsPerSource: o.maxEventsPerSource, index: { minBytes: o.minBytes, backgroundHints: o.backgroundHints, onProgress: (p) => {
      if (t === 0 && p.allBytesDone >= p.allBytesTotal * (o.cancelAt as number)) {
        at = p.allBytesDone;
        t = performance.now();
        ac.abort();
      }
    } } });
    let abortError = false;
    try {
      await ws.load({ signal: ac.signal });
    } catch (e) {
      abortError = e instanceof Error && e.name === 'AbortError';
    }
    cancel = { ms: performance.now() - t, atBytes: at, abortError, runs: ws.runs().length };
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ws = new TraceWorkspace(root, { maxEventsPerSource: o.maxEventsPerSource, index: { minBytes: o.minBytes, backgroundHints: o.backgroundHints, onProgress: (p) => {
    progress.reports++;
    progress.done = p.allBytesDone;
    progress.total = p.allBytesTotal;
    progress.files = p.files;
  } } });
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  // FLOWLENS_BENCH_GAPS=1: print each event-loop stall over 100 ms with how far the index was.
  let last = performance.now();
  const gaps = process.env.FLOWLENS_BENCH_GAPS ? setInterval(() => {
    const now = performance.now();
    if (now - last > 100) process.stderr.write(`[gap] ${(now - last).toFixed(0)} ms at ${((now - t0) / 1000).toFixed(1)} s, index at ${progress.done}/${progress.total} bytes\n`);
    last = now;
  }, 5) : undefined;
  await ws.load();
  lag.disable();
  if (gaps) clearInterval(gaps);
  const loadRssKb = process.resourceUsage().maxRSS;
  rollupAll(ws);
  const indexMs = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const runs = ws.runs();
  const report: LoadReport = {
    indexMs, indexCpuMs: (c1.user + c1.system) / 1000, maxRssKb: process.resourceUsage().maxRSS, loadRssKb,
    blockMaxMs: lag.max / 1e6, blockP99Ms: lag.percentile(99) / 1e6, heapUsedMb: process.memoryUsage().heapUsed / 1024 / 1024,
    runs: runs.length, events: runs.reduce((n, r) => n + (r.counts?.total ?? r.events.length), 0), malformed: ws.malformed().length, progress,
    capped: runs.filter((r) => r.cap !== undefined).length, problems: ws.problems().slice(0, 5),
    notes: [...new Set(runs.flatMap((r) => r.notes.map((n) => n.kind)))], cancel, objectRuns: runs.filter((r) => ws.flowsMade(r.id)).length,
  };
  if (o.backgroundHints) {
    // The extension's secret-hint pass after the load (services.ts sets index.backgroundHints): its
    // worker and results, on top of the index, until it is done.
    const t = performance.now();
    const stores = await ws.hintsSettled();
    report.hints = { stores, ms: performance.now() - t, maxRssKb: process.resourceUsage().maxRSS };
  }
  process.stdout.write(JSON.stringify(report));
}

/** `warm` mode (bench/warm.ts): a load with the persisted index in `cache`. */
export interface WarmOptions {
  cache: string;
  /** `write`: the first load (cold), then the cache is written; `read`: a second load from it. */
  phase: 'write' | 'read';
  minBytes?: number;
}

/** What a `warm` child reports. */
export interface WarmReport {
  /** load() + runs(): what the Runs view needs. */
  ms: number;
  cpuMs: number;
  /** Then the flows of every run (made on first use) and their rollups. */
  flowsMs: number;
  /** `write`: ms from the load's end until the cache was written. */
  writeMs: number;
  runs: number;
  maxRssKb: number;
  notes: string[];
}

async function warmOnly(root: string, o: WarmOptions): Promise<void> {
  const notes: string[] = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ws = new TraceWorkspace(root, { index: { minBytes: o.minBytes }, indexCache: { dir: o.cache, log: (m) => notes.push(m) } });
  await ws.load();
  const runs = ws.runs().length;
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  await ws.cacheWritten();
  const t2 = performance.now();
  rollupAll(ws);
  const t3 = performance.now();
  const report: WarmReport = {
    ms: t1 - t0, cpuMs: (c1.user + c1.system) / 1000, writeMs: o.phase === 'write' ? t2 - t1 : 0, flowsMs: t3 - t2, runs,
    maxRssKb: process.resourceUsage().maxRSS, notes,
  };
  process.stdout.write(JSON.stringify(report));
}

async function main(): Promise<void> {
  const [root, bigRunId, seedArg, mode, opts] = process.argv.slice(2);
  if (mode === 'load') return loadOnly(root, JSON.parse(opts ?? '{}') as Parameters<typeof loadOnly>[1]);
  if (mode === 'warm') return warmOnly(root, JSON.parse(opts ?? '{}') as WarmOptions);
  const quick = mode === 'quick';
  const seed = Number(seedArg);
  // The live run lives in its own per-run file, created before the load and removed after.
  const liveId = '20261121T140000Z-live';
  const liveDir = path.join(root, '.autodev', 'runs', liveId);
  const liveFile = path.join(liveDir, 'trace.jsonl');
  mkdirSync(liveDir, { recursive: true });
  writeFileSync(liveFile, JSON.stringify({ v: 1, event_type: 'session_start', run_id: liveId, timestamp: '2026-11-21T14:00:00.000000Z', app: 'trader' }) + '\n');
  try {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const ws = new TraceWorkspace(root);
    // How long the event loop stalls while indexing (the extension host must stay responsive).
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    await ws.load();
    lag.disable();
    const blockMaxMs = lag.max / 1e6;
    const blockP99Ms = lag.percentile(99) / 1e6;
    rollupAll(ws);
    const indexMs = performance.now() - t0;
    const c1 = process.cpuUsage(c0);
    const indexCpuMs = (c1.user + c1.system) / 1000;
    const maxRssKb = process.resourceUsage().maxRSS;
    const heapUsedMb = process.memoryUsage().heapUsed / 1024 / 1024;
    const runs = ws.runs();
    const events = runs.reduce((n, r) => n + r.events.length, 0);
    const malformed = ws.malformed().length;

    // (3) live tail: 1,000 appended lines per repetition, refresh() + the rollups of the runs it
    // reports changed (exact percentiles and the runs' kept counts), as the views' live path does.
    const reps = quick ? 10 : 20;
    const all = liveLines(liveId, reps * 1000, seed + 1, Date.UTC(2026, 10, 21, 14));
    const times: number[] = [];
    const rollupTimes: number[] = [];
    for (let i = 0; i < reps; i++) {
      appendFileSync(liveFile, all.slice(i * 1000, (i + 1) * 1000).join(''));
      const t = performance.now();
      const change = await ws.refresh();
      const tr = performance.now();
      const changed = [...change.runs].map((id) => ws.getRun(id)).filter((r): r is Run => r !== undefined);
      for (const r of changed) rollupRuns([r], { catalog: ws.catalog });
      const end = performance.now();
      rollupTimes.push(end - tr);
      times.push(end - t);
      if (!change.runs.has(liveId)) throw new Error(`refresh() did not report the live run (changed: ${[...change.runs].join(', ')})`);
    }
    const liveEvents = ws.getRun(liveId)?.events.length ?? 0;
    const tail = {
      reps, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times),
      note: `workspace of ${events} events; live run has ${liveEvents} events after ${reps} appends; rollups of the changed runs (rollupRuns: exact percentiles, kept counts), median ${median(rollupTimes).toFixed(2)} ms of the total (the rest is refresh())`,
    };

    // (4) views
    const views: BenchRow[] = [];
    views.push(...(await viewBench()));
    const bigRun = ws.getRun(bigRunId);
    views.push(askBench(ws, bigRun));
    const report: ChildReport = { indexMs, indexCpuMs, maxRssKb, blockMaxMs, blockP99Ms, heapUsedMb, runs: runs.length, events, malformed, tail, views };
    process.stdout.write(JSON.stringify(report));
  } finally {
    rmSync(liveDir, { recursive: true, force: true });
  }
}

/** Children of a run with 10,000 flows; failures of a run with 10,000 failures (views.ts). */
async function viewBench(): Promise<BenchRow[]> {
  const dir = path.join(os.tmpdir(), `flowlens-bench-views-${process.pid}`);
  try {
    mkdirSync(path.join(dir, '.autodev', 'runs', 'r-flows'), { recursive: true });
    mkdirSync(path.join(dir, '.autodev', 'runs', 'r-fails'), { recursive: true });
    writeFileSync(path.join(dir, '.autodev', 'runs', 'r-flows', 'trace.jsonl'), runWithFlows('r-flows', 10_000));
    writeFileSync(path.join(dir, '.autodev', 'runs', 'r-fails', 'trace.jsonl'), runWithFlows('r-fails', 10_000, 10_000));
    const ws = new TraceWorkspace(dir, { final: true });
    await ws.load({ final: true });
    return timeViews(ws, 'r-flows', 'r-fails');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ask.md (src/core/render/ask.ts buildAskMd) for the big run, with the catalog's redaction and SLAs. */
function askBench(ws: TraceWorkspace, run: Run | undefined): BenchRow {
  if (!run) return { name: 'ask.md for the big run', measured: 'big run missing', pass: false };
  const cat = ws.catalog;
  const ctx = {
    redactKeys: cat?.ra.redactKeys, payloadLimit: cat?.ra.payloadLimit,
    resolvePath: (f: string) => ws.pathMap.resolve(f).path,
    slaP95Ms: cat ? (name: string) => slaFor(cat, name) : undefined,
  };
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    bytes = Buffer.byteLength(buildAskMd(run, ctx));
    times.push(performance.now() - t);
  }
  const m = median(times);
  return { name: `ask.md for a ${run.events.length}-event run (median of 3)`, measured: m, unit: 'ms', target: 300, pass: m <= 300,
    note: `${bytes} bytes; ${run.flows.size} flows` };
}
main().catch((e: unknown) => {
  process.stderr.write(`indexChild: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
