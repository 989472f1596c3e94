/**
 * The bench's warm-reopen row (issue 15 item 2): the main bench workspace opened a second time, in a
 * fresh process, with the persisted index the first open wrote (src/core/read/index/persist.ts).
 * Ratio to the same run's JSON.parse-only pass; target ≤ 0.10. Each open is an indexChild.ts
 * `warm` child; the cache folder is a temporary one, removed after.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WarmOptions, WarmReport } from './indexChild';
import type { BenchRow } from './types';

function runWarmChild(root: string, o: WarmOptions): WarmReport {
  const child = path.join(__dirname, 'indexChild.js');
  const r = spawnSync(process.execPath, [child, root, '-', '0', 'warm', JSON.stringify(o)], {
    encoding: 'utf8', maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`warm child failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''})`);
  return JSON.parse(r.stdout) as WarmReport;
}

/** Open `root` cold (writing the cache), then `reps` times warm; the best warm open ÷ `baseMs`. */
export function benchWarm(root: string, baseMs: number, o: { quick: boolean; log: (s: string) => void; baseCpuMs?: number }): BenchRow[] {
  const name = 'warm reopen (persisted index)';
  const cache = mkdtempSync(path.join(os.tmpdir(), 'flowlens-bench-cache-'));
  try {
    const minBytes = o.quick ? 1 << 20 : undefined;
    const first = runWarmChild(root, { cache, phase: 'write', minBytes });
    const files = readdirSync(cache).filter((f) => f.endsWith('.flidx'));
    const bytes = files.reduce((n, f) => n + statSync(path.join(cache, f)).size, 0);
    o.log(`warm reopen: first open ${first.ms.toFixed(0)} ms, cache ${(bytes / 1e6).toFixed(1)} MB written ${first.writeMs.toFixed(0)} ms after it`);
    if (files.length === 0) return [{ name, measured: 'no cache written', pass: false, note: first.notes.join('; ') }];
    const warm: WarmReport[] = [];
    for (let k = 0; k < (o.quick ? 2 : 3); k++) {
      const w = runWarmChild(root, { cache, phase: 'read', minBytes });
      o.log(`warm reopen: ${w.ms.toFixed(0)} ms (CPU ${w.cpuMs.toFixed(0)} ms), flows + rollups ${w.flowsMs.toFixed(0)} ms more`);
      if (!w.notes.some((n) => n.includes(': restored '))) return [{ name, measured: 'cache not used', pass: false, note: w.notes.join('; ') }];
      warm.push(w);
    }
    const best = warm.reduce((a, b) => (b.ms < a.ms ? b : a));
    const ratio = best.ms / baseMs;
    return [{
      name, measured: best.ms, unit: 'ms', baseline: baseMs, ratio, target: 0.1, targetLabel: 'ratio ≤ 0.10', pass: ratio <= 0.1,
      note: `second load() + runs() in a fresh process from the first open's cache (best of ${warm.length}: ${warm.map((w) => w.ms.toFixed(0)).join(', ')} ms; CPU ${best.cpuMs.toFixed(0)} ms${o.baseCpuMs ? `, CPU ratio ${(best.cpuMs / o.baseCpuMs).toFixed(3)} to the pass's ${o.baseCpuMs.toFixed(0)} ms` : ''}); ` +
        `${best.runs} runs; the flows of every run, made on first use, + rollups: ${best.flowsMs.toFixed(0)} ms more; peak RSS ${(best.maxRssKb / 1024).toFixed(0)} MB; ` +
        `cold first open ${first.ms.toFixed(0)} ms, cache ${(bytes / 1e6).toFixed(1)} MB written ${first.writeMs.toFixed(0)} ms after it resolved`,
    }];
  } catch (e) {
    return [{ name, measured: 'crashed', pass: false, note: (e as Error).message }];
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
