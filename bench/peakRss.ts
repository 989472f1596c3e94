/**
 * Preloaded into a measured child (`node --require dist/bench/peakRss.js …`, bench/cli.ts): at
 * exit, writes `{maxRssKb, cpuMs}` (process.resourceUsage(): peak RSS, user + system CPU; worker
 * threads included) to the file named by FLOWLENS_BENCH_RSS_FILE.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.FLOWLENS_BENCH_RSS_FILE;
if (out) {
  process.on('exit', () => {
    try {
      const u = process.resourceUsage();
      writeFileSync(out, JSON.stringify({ maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
    } catch {
      // the bench reports the figure as missing
    }
  });
}
