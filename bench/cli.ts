/**
 * The CLI row (issue 15 item 3): `flowlens flows FILE --run all --json` on a 400k-line file (the
 * first 400,000 lines of the bench workspace's trace; quick mode: the whole small trace) as a whole
 * process, against a whole `node` process doing only the JSON.parse pass over the same file
 * (bench/jsonParseProcess.ts). Both run with bench/peakRss.ts preloaded (peak RSS and CPU at
 * exit), interleaved, best of five each in full mode (this VM's speed drifts; drift only adds —
 * with three, one full run in eight of round 8 caught every CLI run in a slow stretch: 1.05×).
 * The judged figure is the CLI's first run on the file (no index cache for it: a cold index, and
 * the cache written before the process exits) by a CLI that has run before on this machine (its
 * code cache, src/cli/codeCache.ts, exists: made by the `--no-cache` run just before it, which is
 * the first process in its cache folder); the note adds that `--no-cache` run and a warm run.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BenchRow } from './types';

export interface CliBenchOptions {
  quick: boolean;
  seed: number;
  dataDir: string;
  /** The bench workspace's trace (the 1M-line file in full mode). */
  file: string;
  log: (s: string) => void;
}

/** Lines of the CLI's file in full mode. */
const CLI_LINES = 400_000;

/** The first `lines` lines of `src` as `<dataDir>/cli-<seed>-<lines>/.autodev/trace.jsonl` (made once). */
function cutFile(src: string, lines: number, dir: string): string {
  const out = path.join(dir, '.autodev', 'trace.jsonl');
  const done = path.join(dir, 'source.json');
  const st = statSync(src);
  const stamp = JSON.stringify({ src, size: st.size, mtimeMs: st.mtimeMs, lines });
  if (existsSync(out) && existsSync(done) && readFileSync(done, 'utf8') === stamp) return out;
  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp`;
  const fin = openSync(src, 'r');
  const fout = openSync(tmp, 'w');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    let left = lines;
    let pos = 0;
    while (left > 0) {
      const n = readSync(fin, buf, 0, buf.length, pos);
      if (n <= 0) break;
      let end = n;
      for (let i = buf.indexOf(10); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) {
        if (--left === 0) {
          end = i + 1;
          break;
        }
      }
      writeSync(fout, buf, 0, end);
      pos += end;
    }
  } finally {
    closeSync(fin);
    closeSync(fout);
  }
  renameSync(tmp, out);
  writeFileSync(done, stamp);
  return out;
}

interface ProcRun {
  ms: number;
  cpuMs?: number;
  rssKb?: number;
  error?: string;
}

/** Run `node [--require peakRss.js] args…` once with `cache` as the CLI's index cache folder. */
function runProc(args: string[], env: NodeJS.ProcessEnv, cache: string): ProcRun {
  const rssFile = path.join(cache, `rss-${process.hrtime.bigint()}.json`);
  const preload = path.join(__dirname, 'peakRss.js');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', preload, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 16 << 20,
    env: { ...env, FLOWLENS_BENCH_RSS_FILE: rssFile, FLOWLENS_CACHE_DIR: cache, XDG_CACHE_HOME: cache, NO_COLOR: '1' },
  });
  const ms = performance.now() - t0;
  try {
    if (r.status !== 0) return { ms, error: `exit ${r.status}${r.signal ? ` ${r.signal}` : ''}: ${r.stderr.toString().split('\n')[0]}` };
    const m = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRssKb: number; cpuMs: number };
    return { ms, cpuMs: m.cpuMs, rssKb: m.maxRssKb };
  } catch {
    return { ms, error: 'no report from the preload' };
  } finally {
    rmSync(rssFile, { force: true });
  }
}

export function benchCli(o: CliBenchOptions): BenchRow[] {
  const repo = path.resolve(__dirname, '..', '..');
  const cli = path.join(repo, 'dist', 'cli.js');
  const baselineJs = path.join(__dirname, 'jsonParseProcess.js');
  const name = `CLI: flows FILE --run all --json, ${o.quick ? 'quick file' : '400k lines'}: whole process vs node JSON.parse process`;
  if (!existsSync(cli)) return [{ name, measured: 'not built', note: 'dist/cli.js missing: npm run build' }];
  const file = o.quick ? o.file : cutFile(o.file, CLI_LINES, path.join(o.dataDir, `cli-${o.seed}-${CLI_LINES}`));
  const mb = statSync(file).size / 1e6;
  o.log(`CLI row: ${file} (${mb.toFixed(0)} MB)`);
  const reps = o.quick ? 1 : 5;
  const base: ProcRun[] = [];
  const cliRuns: ProcRun[] = [];
  const warm: ProcRun[] = [];
  const noCache: ProcRun[] = [];
  const args = [cli, 'flows', file, '--run', 'all', '--json'];
  for (let k = 0; k < reps; k++) {
    const cache = mkdtempSync(path.join(tmpdir(), 'flowlens-bench-cli-'));
    try {
      base.push(runProc([baselineJs, file], process.env, cache));
      // The CLI's first process here, --no-cache: nothing cached at all (it writes the code cache
      // when it exits). Then a first run on the file: the index is cold and the process writes
      // its cache before it exits; then the same command again (warm).
      noCache.push(runProc([...args, '--no-cache'], process.env, cache));
      cliRuns.push(runProc(args, process.env, cache));
      warm.push(runProc(args, process.env, cache));
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
    o.log(`CLI row: node JSON.parse process ${base[k].ms.toFixed(0)} ms, CLI first run ${cliRuns[k].ms.toFixed(0)} ms${cliRuns[k].rssKb ? ` (peak RSS ${(cliRuns[k].rssKb! / 1024).toFixed(0)} MB)` : ''}, warm ${warm[k].ms.toFixed(0)} ms, --no-cache ${noCache[k].ms.toFixed(0)} ms`);
  }
  const failed = [...base, ...cliRuns, ...warm, ...noCache].find((r) => r.error !== undefined);
  if (failed) return [{ name, measured: 'error', pass: false, note: failed.error }];
  const best = (rs: ProcRun[]): ProcRun => rs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const b = best(base);
  const c = best(cliRuns);
  const ratio = c.ms / b.ms;
  const rssMb = Math.max(...[...cliRuns, ...warm, ...noCache].map((r) => r.rssKb ?? 0)) / 1024;
  const w = best(warm);
  const nc = best(noCache);
  const runs = (rs: ProcRun[]): string => rs.map((r) => r.ms.toFixed(0)).join(', ');
  return [
    {
      name, measured: c.ms, unit: 'ms', baseline: b.ms, ratio, target: 0.8, targetLabel: 'ratio ≤ 0.80', pass: ratio <= 0.8,
      note: `${mb.toFixed(0)} MB; best of ${reps}: CLI first run on the file — cold index, writes the index cache before exit; the CLI's code cache made by the run before — (${runs(cliRuns)} ms) ÷ node JSON.parse process (${runs(base)} ms); CPU ${c.cpuMs?.toFixed(0)} ms vs ${b.cpuMs?.toFixed(0)} ms. Same command --no-cache as the folder's first process (no code cache either): ${runs(noCache)} ms (ratio ${(nc.ms / b.ms).toFixed(2)}, CPU ${nc.cpuMs?.toFixed(0)} ms); again with the cache (warm): ${runs(warm)} ms (ratio ${(w.ms / b.ms).toFixed(2)})`,
    },
    { name: 'CLI: flows --json peak RSS (whole process)', measured: rssMb, unit: 'MB', target: 300, pass: rssMb <= 300, note: `the worst of its ${3 * reps} runs (first, warm, --no-cache); the node JSON.parse process: ${((b.rssKb ?? 0) / 1024).toFixed(0)} MB` },
  ];
}
