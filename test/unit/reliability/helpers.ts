/** Shared helpers for the reliability suite (docs/reliability.md). */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../../../..');
export const FIXTURES = path.join(REPO, 'test', 'fixtures');

/** `FLOWLENS_STRESS=1` (set by `npm run stress`) selects the large sizes. */
export const STRESS = process.env.FLOWLENS_STRESS === '1';

/** Pick the CI size or the stress size. */
export function size<T>(ci: T, stress: T): T {
  return STRESS ? stress : ci;
}

/** Every folder {@link tmpDir} made; removed when the process exits (the 5 GB cases left GBs behind). */
const made: string[] = [];
process.on('exit', () => {
  for (const d of made) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      // already gone, or busy: nothing more to do at exit
    }
  }
});

/** A fresh temporary folder, removed at the latest when the test process exits. */
export function tmpDir(prefix = 'flowlens-rel-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seedable PRNG so every test is reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** A child process speaking JSON lines on stdout. */
export class JsonProc {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly messages: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private buf = '';
  constructor(cmd: string, args: string[]) {
    this.proc = spawn(cmd, args);
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        try {
          this.messages.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.messages.push({ event: 'text', text: line });
        }
      }
    });
    this.proc.stderr.on('data', (d) => (this.stderr += String(d)));
    this.exited = new Promise((res) => this.proc.on('exit', (c) => res(c)));
  }
  take(event: string): Record<string, unknown> | undefined {
    const i = this.messages.findIndex((m) => m.event === event);
    return i < 0 ? undefined : this.messages.splice(i, 1)[0];
  }
  send(line: string): void {
    this.proc.stdin.write(line + '\n');
  }
  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

/** Growth of resident memory in MB while `fn` runs (peak sampled every 20 ms). */
export async function rssGrowthMB<T>(fn: () => Promise<T> | T): Promise<{ value: T; growthMB: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, growthMB: (peak - base) / (1024 * 1024) };
  } finally {
    clearInterval(timer);
  }
}

/**
 * A "no hang" bound that holds on a loaded machine: CPU time this process spent (user + system,
 * ms) since `start`, plus wall time. Use `const t = startClock()` … `assertNoHang(t, what)`.
 */
export function startClock(): { cpu: NodeJS.CpuUsage; wall: number } {
  return { cpu: process.cpuUsage(), wall: Date.now() };
}

/** CPU time ≤ `cpuMs` (default 2 s) and wall time ≤ `wallMs` (default 60 s, for blocking waits). */
export function noHang(t: { cpu: NodeJS.CpuUsage; wall: number }, what: string, cpuMs = 2000, wallMs = 60_000): void {
  const u = process.cpuUsage(t.cpu);
  const cpu = (u.user + u.system) / 1000;
  const wall = Date.now() - t.wall;
  if (cpu > cpuMs || wall > wallMs) throw new Error(`${what}: took ${cpu.toFixed(0)} ms CPU, ${wall} ms wall (bounds ${cpuMs} / ${wallMs} ms)`);
}
