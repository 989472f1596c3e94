#!/usr/bin/env node
/**
 * A seedable JSONL writer that behaves like a busy traced app, for the concurrent-writer tests
 * (test/unit/reliability/concurrentWriter.test.ts, test/stress/stress.js).
 *
 * Usage: node writer.js <file> <seconds> <seed> [linesPerSecond=8000]
 *
 * It appends flowscribe v1 lines `{"v":1,"run_id":"gen-<g>",...,"seq":<n>,"gen":<g>}` with a
 * sequence number that never restarts (generation `g` changes at rotation and truncation), in
 * writes of random size, so lines are routinely split across writes and a reader sees partial
 * last lines. Timeline:
 *   - at 1/3 of the time: ROTATION — the writer completes its current line, renames
 *     `<file>` to `<file>.1` and creates a new `<file>` (new inode; Python RotatingFileHandler).
 *   - at 2/3 of the time: TRUNCATION in place (copytruncate) — the writer completes its current
 *     line, prints `{"event":"truncate-request","gen":g,"last":seq}` on stdout and waits for a
 *     line on stdin; then truncates the file to 0 bytes and continues (same inode, O_APPEND).
 *     The wait stands for logrotate's copy step: lines written after the reader's last read and
 *     before a truncation are lost to every reader by construction, so the test lets the reader
 *     catch up first and can then require every line to be seen exactly once.
 * Protocol (stdout, one JSON object per line): `rotate`, `truncate-request`, `truncated`, and a
 * final `done` with `gens: [{gen, file, first, last}]` (seq ranges per generation; `file` is
 * where that generation's lines ended up).
 */
'use strict';
const fs = require('node:fs');

const [file, secondsArg, seedArg, rateArg] = process.argv.slice(2);
if (!file || !secondsArg) {
  process.stderr.write('usage: node writer.js <file> <seconds> <seed> [linesPerSecond]\n');
  process.exit(2);
}
const seconds = Number(secondsArg);
const rate = Number(rateArg ?? 8000);
let seed = Number(seedArg ?? 1) >>> 0;

/** mulberry32: small, fast, seedable. */
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const TYPES = ['flow_start', 'checkpoint', 'checkpoint', 'success', 'failure', 'metric'];
const ALPHA = 'abcdefghijklmnopqrstuvwxyz0123456789 é✓"\\';

let gen = 0;
let seq = 0;
const gens = [{ gen: 0, file, first: 0, last: -1 }];
let fd = fs.openSync(file, 'a');
/** Bytes generated but not yet written (the tail of a line split across writes). */
let pending = Buffer.alloc(0);

function makeLine() {
  const n = seq++;
  gens[gens.length - 1].last = n;
  let pad = '';
  const padLen = randInt(0, 120);
  for (let i = 0; i < padLen; i++) pad += ALPHA[randInt(0, ALPHA.length - 1)];
  const ev = {
    v: 1,
    run_id: `gen-${gen}`,
    event_type: TYPES[n % TYPES.length],
    timestamp: new Date(Date.UTC(2026, 10, 22, 0, 0, 0) + n).toISOString(),
    flow: 'stress/writer',
    flow_id: `f${Math.floor(n / 6)}`,
    step: `s${n}`,
    seq: n,
    gen,
    evidence: { pad },
  };
  return JSON.stringify(ev) + '\n';
}

/** Write `pending` in random pieces; keep a random remainder back unless `all`. */
function flush(all) {
  let off = 0;
  const keep = all ? 0 : randInt(0, Math.min(200, pending.length));
  while (pending.length - off > keep) {
    const n = Math.min(randInt(1, 4096), pending.length - off - keep);
    off += fs.writeSync(fd, pending, off, n);
  }
  pending = pending.subarray(off);
}

function newGen(newFile) {
  gen++;
  gens.push({ gen, file: newFile, first: seq, last: seq - 1 });
}

const start = Date.now();
const rotateAt = start + (seconds * 1000) / 3;
const truncateAt = start + (seconds * 2000) / 3;
let rotated = false;
let truncated = false;
let written = 0;
/** Time spent waiting for the reader before the truncation (not writing). */
let paused = 0;
const stdinLines = [];
let stdinWaiter;
process.stdin.setEncoding('utf8');
let stdinBuf = '';
process.stdin.on('data', (d) => {
  stdinBuf += d;
  let i;
  while ((i = stdinBuf.indexOf('\n')) >= 0) {
    stdinLines.push(stdinBuf.slice(0, i));
    stdinBuf = stdinBuf.slice(i + 1);
    if (stdinWaiter) {
      const w = stdinWaiter;
      stdinWaiter = undefined;
      w();
    }
  }
});
const waitStdin = () => (stdinLines.length > 0 ? Promise.resolve() : new Promise((r) => (stdinWaiter = r)));

async function main() {
  const tickMs = 5;
  for (;;) {
    const now = Date.now();
    if (now - start >= seconds * 1000) break;
    if (!rotated && now >= rotateAt) {
      flush(true);
      fs.closeSync(fd);
      fs.renameSync(file, file + '.1');
      gens[gens.length - 1].file = file + '.1';
      say({ event: 'rotate', gen, last: seq - 1 });
      newGen(file);
      fd = fs.openSync(file, 'a');
      rotated = true;
    }
    if (rotated && !truncated && now >= truncateAt) {
      flush(true);
      say({ event: 'truncate-request', gen, last: seq - 1 });
      const pauseStart = Date.now();
      await waitStdin();
      // No catch-up burst after the pause: a burst larger than the old offset would make the
      // truncation detectable only by the newline probe, which this test is not about.
      paused += Date.now() - pauseStart;
      stdinLines.shift();
      fs.ftruncateSync(fd, 0);
      newGen(file);
      say({ event: 'truncated', gen });
      truncated = true;
    }
    // Keep the average rate: generate what the clock says is due.
    const due = Math.floor(((Date.now() - start - paused) / 1000) * rate) - written;
    if (due > 0) {
      const lines = [];
      for (let i = 0; i < due; i++) lines.push(makeLine());
      written += due;
      pending = Buffer.concat([pending, Buffer.from(lines.join(''), 'utf8')]);
      flush(false);
    }
    await new Promise((r) => setTimeout(r, randInt(0, tickMs)));
  }
  flush(true);
  fs.closeSync(fd);
  say({ event: 'done', lines: seq, seconds: (Date.now() - start - paused) / 1000, paused: paused / 1000, gens });
  process.stdin.pause();
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
