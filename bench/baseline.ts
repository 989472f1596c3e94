/**
 * Baselines the index is compared against: a single-threaded JSON.parse-only pass over the same
 * lines (chunked read, split on '\n', JSON.parse each), and the same pass in jq and Python.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';

/** Read `file` in chunks, split lines, JSON.parse each; returns lines parsed and elapsed ms. */
export function jsonParsePass(file: string, chunkBytes = 4 << 20): { lines: number; ms: number } {
  const t0 = performance.now();
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(chunkBytes);
  let carry = '';
  let lines = 0;
  let sink = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, null);
      if (n <= 0) break;
      // Cut at the last newline so a multi-byte character is never split across chunks.
      const lastNl = buf.lastIndexOf(10, n - 1);
      let text: string;
      if (lastNl < 0) {
        carry += buf.toString('utf8', 0, n);
        continue;
      } else {
        text = carry + buf.toString('utf8', 0, lastNl);
        carry = buf.toString('utf8', lastNl + 1, n);
      }
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        const line = nl < 0 ? text.slice(start) : text.slice(start, nl);
        if (line.length) {
          const o = JSON.parse(line) as Record<string, unknown>;
          if (o) sink++;
          lines++;
        }
        if (nl < 0) break;
        start = nl + 1;
      }
    }
    if (carry.trim()) {
      JSON.parse(carry);
      lines++;
    }
  } finally {
    closeSync(fd);
  }
  void sink;
  return { lines, ms: performance.now() - t0 };
}

/** Time an external command; undefined (with why) when it is not installed or fails. */
export function timeExternal(cmd: string, args: string[], timeoutMs = 0): { ms?: number; note?: string } {
  const probe = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  if (probe.error) return { note: `${cmd} not installed` };
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 20, timeout: timeoutMs || undefined, killSignal: 'SIGKILL' });
  const elapsed = performance.now() - t0;
  if (r.signal === 'SIGKILL' && timeoutMs) return { note: `${cmd} stopped after ${timeoutMs / 1000} s (time limit of the bench)` };
  if (r.error || r.status !== 0) return { note: `${cmd} failed: ${(r.error?.message ?? r.stderr.toString()).split('\n')[0]}` };
  return { ms: elapsed };
}

/** `jq -c . file > /dev/null`. */
export function jqPass(file: string, timeoutMs = 0): { ms?: number; note?: string } {
  return timeExternal('jq', ['-c', '.', file], timeoutMs);
}

/** A Python `json.loads` loop over the lines. */
export function pythonPass(file: string, timeoutMs = 0): { ms?: number; note?: string } {
  return timeExternal('python3', ['-c', 'import json,sys\nwith open(sys.argv[1],"rb") as f:\n  for l in f:\n    if l.strip(): json.loads(l)', file], timeoutMs);
}
