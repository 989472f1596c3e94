/**
 * `npm run bench` (full, ~1M lines) and `npm run bench -- --quick` (~20k lines, targets shown
 * but not enforced). Every figure is measured in this run; failing targets print FAIL.
 *
 *   index     read + parse + model + rollups through the real TraceWorkspace, vs a JSON.parse-only pass
 *   peak RSS  of the index, in a child process (process.resourceUsage().maxRSS)
 *   live tail append 1,000 lines to the loaded workspace, time refresh() + rollups (median)
 *   views     children of a 10,000-flow run, failures of a 10,000-failure run, ask.md of the big run
 *   sqlite    bench/sqlite.ts (benchSqlite), and the .vsix size when dist/*.vsix exists
 *   scale     bench/scale.ts: the index with the other core busy, 20 run folders × 100k lines,
 *             and (`--huge`) a ~5 GB trace: Cancel latency, peak RSS, what the cap left out
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { jqPass, jsonParsePass, pythonPass } from './baseline';
import { ensureBenchData } from './gen';
import { benchFolders, benchHuge, benchUnderLoad } from './scale';
import { benchCli } from './cli';
import { benchWarm } from './warm';
import type { BenchRow, ChildReport } from './types';

export type { BenchRow };

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
/** The ~5 GB row at full size (bench/scale.ts benchHuge); quick mode runs it at a tiny size. */
const huge = argv.includes('--huge');
const seed = Number(argValue('--seed') ?? 1729);
const lines = Number(argValue('--lines') ?? (quick ? 20_000 : 1_000_000));
const repo = path.resolve(__dirname, '..', '..');
const dataDir = path.join(repo, 'bench', 'data');

function argValue(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function log(s: string): void {
  process.stderr.write(`[bench] ${s}\n`);
}

const fmt = (v: number | string | undefined, unit = ''): string =>
  v === undefined ? '-' : typeof v === 'string' ? v : `${v >= 100 ? Math.round(v) : Math.round(v * 100) / 100}${unit ? ' ' + unit : ''}`;

function printRows(rows: BenchRow[]): void {
  const cells = rows.map(r => [
    r.name,
    fmt(r.measured, r.unit),
    fmt(r.baseline, r.unit),
    r.ratio === undefined ? '-' : r.ratio.toFixed(2),
    r.targetLabel ?? (typeof r.target === 'number' ? `≤ ${fmt(r.target, r.unit)}` : r.target ?? '-'),
    r.pass === undefined ? 'info' : quick ? (r.pass ? 'pass (quick)' : 'fail (quick)') : r.pass ? 'PASS' : 'FAIL',
  ]);
  const head = ['name', 'measured', 'baseline', 'ratio', 'target', 'result'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map(c => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(w[i])).join(' | ');
  process.stdout.write(line(head) + '\n' + w.map(n => '-'.repeat(n)).join('-|-') + '\n');
  for (let i = 0; i < rows.length; i++) {
    process.stdout.write(line(cells[i]) + '\n');
    if (rows[i].note) process.stdout.write(`    note: ${rows[i].note}\n`);
  }
}

/** Run the index (and live tail + view timings) in a child so its peak RSS is its own. */
function runChild(root: string, big: string): ChildReport {
  const child = path.join(__dirname, 'indexChild.js');
  const r = spawnSync(process.execPath, ['--expose-gc', child, root, big, String(seed), quick ? 'quick' : 'full'], {
    encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`index child failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''})`);
  return JSON.parse(r.stdout) as ChildReport;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const rows: BenchRow[] = [];
  log(`${quick ? 'quick' : 'full'} mode: ${lines} lines, seed ${seed}; node ${process.version}, ${availableParallelism()} cpus`);
  const { root, file, meta } = ensureBenchData(dataDir, lines, seed, log);
  const big = meta.runs[meta.runs.length - 1];
  log(`data: ${file} (${(meta.bytes / 1e6).toFixed(0)} MB, ${meta.lines} lines, ${meta.runs.length} runs)`);

  // (1) baseline: JSON.parse-only pass, and the index (in a child). This machine's speed drifts
  // (a shared VM: the same pass takes 1.3-2.7 s from one minute to the next), and drift only ever
  // adds time, so in full mode both are measured more than once, interleaved, and the ratio is
  // best index ÷ best baseline; peak RSS and the event-loop block are the worst child's.
  if (quick) jsonParsePass(file); // warm the page cache (full mode: the data was just generated or read)
  const basePass = () => {
    const cpu0 = process.cpuUsage();
    const b = jsonParsePass(file);
    const cpu1 = process.cpuUsage(cpu0);
    log(`JSON.parse pass: ${b.ms.toFixed(0)} ms`);
    return { ...b, cpuMs: (cpu1.user + cpu1.system) / 1000 };
  };
  const bases = [basePass()];
  const children: ChildReport[] = [];
  let childError: string | undefined;
  for (let k = 0; k < (quick ? 1 : 2) && childError === undefined; k++) {
    try {
      const c = runChild(root, big.id);
      log(`index: ${c.indexMs.toFixed(0)} ms, ${c.events} events, peak RSS ${(c.maxRssKb / 1024).toFixed(0)} MB, longest block ${c.blockMaxMs.toFixed(0)} ms`);
      children.push(c);
    } catch (e) {
      childError = (e as Error).message;
      log(childError);
    }
    if (!quick) bases.push(basePass());
  }
  const base = bases.reduce((a, b) => (b.ms < a.ms ? b : a));
  const fastest = children.length ? children.reduce((a, b) => (b.indexMs < a.indexMs ? b : a)) : undefined;
  const child: ChildReport | undefined = fastest && {
    ...fastest,
    maxRssKb: Math.max(...children.map((c) => c.maxRssKb)),
    blockMaxMs: Math.max(...children.map((c) => c.blockMaxMs)),
    blockP99Ms: Math.max(...children.map((c) => c.blockP99Ms)),
  };
  if (childError !== undefined) {
    for (const name of ['index (read+parse+model+rollups)', 'index peak RSS (child process)', 'live tail', 'views / ask.md'])
      rows.push({ name, measured: 'crashed', pass: false, note: childError });
  } else if (child) {
    const runsNote = children.length > 1
      ? `best of ${children.length} index runs (${children.map((c) => c.indexMs.toFixed(0)).join(', ')} ms) ÷ best of ${bases.length} baseline passes (${bases.map((b) => b.ms.toFixed(0)).join(', ')} ms); `
      : '';
    rows.push({ name: `index ${meta.lines} lines (read+parse+model+rollups)`, measured: child.indexMs, unit: 'ms', baseline: base.ms,
      ratio: child.indexMs / base.ms, target: 0.5, targetLabel: 'ratio ≤ 0.50', pass: child.indexMs / base.ms <= 0.5,
      note: `ratio = index ÷ single-threaded JSON.parse-only pass; ${runsNote}${Math.round(meta.lines / (child.indexMs / 1000))} lines/s vs ${Math.round(base.lines / (base.ms / 1000))} lines/s; CPU ${child.indexCpuMs.toFixed(0)} ms vs ${base.cpuMs.toFixed(0)} ms; ${child.runs} runs, ${child.events} events, ${child.malformed} malformed` });
  }
  const extTimeout = quick ? 60_000 : 100_000;
  const jq = jqPass(file, extTimeout);
  rows.push({ name: 'jq -c . > /dev/null (same file)', measured: jq.ms ?? 'skipped', unit: 'ms', baseline: base.ms,
    ratio: jq.ms === undefined ? undefined : jq.ms / base.ms, note: jq.note });
  const py = pythonPass(file, extTimeout);
  rows.push({ name: 'python3 json.loads loop (same file)', measured: py.ms ?? 'skipped', unit: 'ms', baseline: base.ms,
    ratio: py.ms === undefined ? undefined : py.ms / base.ms, note: py.note });

  if (child && childError === undefined) {
    // (2) peak RSS
    const rssMb = child.maxRssKb / 1024;
    rows.push({ name: 'index peak RSS (child process)', measured: rssMb, unit: 'MB', target: 300, pass: rssMb <= 300,
      note: `maxRSS after load + rollups, before live tail (the worst of ${children.length} run(s)); heap used ${child.heapUsedMb.toFixed(0)} MB` });
    // the extension host stays responsive while indexing
    rows.push({ name: 'longest event-loop block while indexing (load())', measured: child.blockMaxMs, unit: 'ms', target: 50, pass: child.blockMaxMs <= 50,
      note: `monitorEventLoopDelay over the whole load (the worst of ${children.length} run(s)); p99 ${child.blockP99Ms.toFixed(1)} ms; merging yields every 8 ms; GC pauses and this VM's scheduling included` });
    // (3) live tail
    rows.push({ name: `live tail: append 1,000 lines, refresh() + rollups (median of ${child.tail.reps})`, measured: child.tail.medianMs, unit: 'ms',
      target: 20, pass: child.tail.medianMs <= 20, note: `min ${child.tail.minMs.toFixed(1)} ms, max ${child.tail.maxMs.toFixed(1)} ms; ${child.tail.note}` });
    // (4) views
    rows.push(...child.views);
  }

  // (4b) load and scale (bench/scale.ts): the index with the other core busy, 20 run folders ×
  // 100k lines, and (--huge; tiny in quick mode) a ~5 GB trace
  const scaleOpts = { quick, huge, keepHuge: argv.includes('--keep-huge'), seed, dataDir, log };
  rows.push(...benchUnderLoad(root, meta.lines, base.ms, scaleOpts));
  rows.push(...benchFolders(scaleOpts));
  // (4c) warm reopen (bench/warm.ts): the second open of the workspace from the persisted index
  rows.push(...benchWarm(root, base.ms, { quick, log, baseCpuMs: base.cpuMs }));
  // (4d) the CLI (bench/cli.ts): `flows FILE --run all --json` on 400k lines as a whole process
  rows.push(...benchCli({ quick, seed, dataDir, file, log }));
  if (huge || quick) rows.push(...benchHuge(scaleOpts, lines));
  else rows.push({ name: 'open a ~5 GB trace', measured: 'not run', note: 'opt-in: `npm run bench -- --huge` (writes a 5.2 GB file to bench/data and deletes it after; ~10 min)' });

  // (5) SQLite + .vsix
  const sqliteJs = path.join(__dirname, 'sqlite.js');
  if (existsSync(sqliteJs)) {
    try {
      const mod = createRequire(__filename)(sqliteJs) as { benchSqlite?: (o: { quick: boolean; log: (s: string) => void }) => Promise<BenchRow[]> | BenchRow[] };
      // benchSqlite's `target` bounds the ratio (measured ÷ baseline), not the measured value.
      if (typeof mod.benchSqlite === 'function')
        rows.push(...(await mod.benchSqlite({ quick, log })).map(r => ({ ...r, targetLabel: typeof r.target === 'number' ? `ratio ≤ ${r.target.toFixed(2)}` : undefined })));
      else rows.push({ name: 'sqlite', measured: 'not built yet', note: 'bench/sqlite.ts has no benchSqlite export' });
    } catch (e) {
      rows.push({ name: 'sqlite', measured: 'error', pass: false, note: (e as Error).message.split('\n')[0] });
    }
  } else rows.push({ name: 'sqlite', measured: 'not built yet', note: 'bench/sqlite.ts missing' });
  // (6) activation, as the in-host suite measured it (test/integration/activation.test.ts)
  const act = path.join(repo, 'out', 'activation.json');
  if (existsSync(act)) {
    const a = JSON.parse(readFileSync(act, 'utf8')) as { loadMs: number; activateMs: number; totalMs: number; vscode: string; at: string };
    rows.push({ name: 'activation before any trace is read (in-host suite)', measured: a.totalMs, unit: 'ms', target: 50, pass: a.totalMs <= 50,
      note: `bundle ${a.loadMs.toFixed(1)} ms + activate() ${a.activateMs.toFixed(1)} ms in VS Code ${a.vscode} (code-server), measured ${a.at} by the last in-host run (npm test)` });
  } else rows.push({ name: 'activation (in-host suite)', measured: 'not measured', note: 'out/activation.json is written by the in-host suite: run `npm test` (or TIERS=integration npm test) first' });
  const distDir = path.join(repo, 'dist');
  const vsix = existsSync(distDir) ? readdirSync(distDir).filter(f => f.endsWith('.vsix')) : [];
  if (vsix.length) {
    for (const v of vsix) {
      const mb = statSync(path.join(distDir, v)).size / 1024 / 1024;
      rows.push({ name: `.vsix size (${v})`, measured: mb, unit: 'MB', target: 2, pass: mb <= 2 });
    }
  } else rows.push({ name: '.vsix size', measured: 'no dist/*.vsix', note: 'run the packaging step first' });

  printRows(rows);
  const judged = rows.filter(r => r.pass !== undefined);
  const passed = judged.filter(r => r.pass).length;
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  // Quick mode (CI smoke) only proves the bench runs: its figures at ~20k lines say nothing about
  // the targets, so it must not read as test failures ("N passed, N failed" is what CI counts).
  if (quick) process.stdout.write(`bench (quick): ${passed} of ${judged.length} targets met at smoke size (not enforced) in ${secs} s\n`);
  else process.stdout.write(`bench: ${passed} passed, ${judged.length - passed} failed in ${secs} s\n`);
  return quick || judged.every(r => r.pass) ? 0 : 1;
}


main().then(code => {
  process.exitCode = code;
}, (e: unknown) => {
  process.stderr.write(`bench: crashed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
