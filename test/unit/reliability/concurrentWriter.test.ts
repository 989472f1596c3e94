/**
 * A live writer appends sequence-numbered lines (test/stress/writer.js: ≥ 5,000 lines/s, random
 * write sizes so lines are split across writes) while a reader tails the file; midway the file
 * is rotated (renamed + recreated), later truncated in place. See docs/reliability.md.
 *
 * Accounting, so "every line exactly once" is checkable:
 * - JsonlTail follows the path. When it reports a reset after the rotation, the rotated-away
 *   file `<file>.1` is read to its end by a fresh JsonlTail, counting only lines after the last
 *   line the live tail had consumed (line numbers agree, the content is the same prefix). So
 *   every line of every generation must be seen exactly once, in file order.
 * - Truncation: the writer waits (copytruncate's copy step) until the reader has seen the
 *   generation's last line; lines written after a reader's last read and before a truncation are
 *   lost to any reader, so they are excluded by construction rather than tolerated.
 * - TraceWorkspace follows `.autodev/trace.jsonl` only (the rotated `.1` is not a trace by
 *   layout): at every refresh each run (`gen-<g>`) must hold a gapless, in-order, duplicate-free
 *   prefix of its generation, the previous generation's run must be gone after a reset, and at
 *   the end the workspace holds exactly the last generation.
 * `FLOWLENS_STRESS=1` (npm run stress) runs 10 s instead of 3 s.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JsonlTail } from '../../../src/core/read/sources/jsonl';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import type { Malformed } from '../../../src/core/model/types';
import { JsonProc, REPO, prng, randInt, size, sleep, tmpDir } from './helpers';

const WRITER = path.join(REPO, 'test', 'stress', 'writer.js');
const SECONDS = size(3, 10);
const RATE = 8000;

interface Gen {
  gen: number;
  file: string;
  first: number;
  last: number;
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

/** First difference between two arrays, for a readable failure. */
function firstDiff(a: number[], b: number[]): string {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `at index ${i}: got ${a[i]}, expected ${b[i]} (got ${a.length}, expected ${b.length})`;
  return 'equal';
}

describe('reliability: concurrent writer', function () {
  this.timeout((SECONDS + 60) * 1000);

  for (const seed of [11, 29]) {
    it(`JsonlTail sees every line exactly once across rotation and truncation (seed ${seed}, ${SECONDS} s)`, async () => {
      const dir = tmpDir();
      const file = path.join(dir, 'trace.jsonl');
      const rnd = prng(seed);
      const writer = new JsonProc(process.execPath, [WRITER, file, String(SECONDS), String(seed), String(RATE)]);
      try {
        const tail = new JsonlTail(file, { chunkBytes: 64 * 1024 });
        /** Seqs per generation, in the order the reader got them. */
        const byGen = new Map<number, number[]>();
        const malformed: Malformed[] = [];
        const warnings: Malformed[] = [];
        const errors = new Set<string>();
        let resets = 0;
        let drained = false;
        let truncReq: { gen: number; last: number } | undefined;
        let lastSeen = -1;
        const onRecord = (o: Record<string, unknown>): void => {
          assert.equal(typeof o.seq, 'number', `record without seq: ${JSON.stringify(o).slice(0, 200)}`);
          assert.equal(o.run_id, `gen-${o.gen as number}`);
          const g = o.gen as number;
          const arr = byGen.get(g) ?? [];
          arr.push(o.seq as number);
          byGen.set(g, arr);
          lastSeen = o.seq as number;
        };
        let reads = 0;
        for (;;) {
          const exited = writer.proc.exitCode !== null;
          const prevLine = tail.lineNo;
          const r = await tail.read(onRecord, { final: exited });
          reads++;
          malformed.push(...r.malformed);
          warnings.push(...r.warnings);
          if (r.error) errors.add(r.error);
          if (r.reset) {
            resets++;
            const rotated = file + '.1';
            if (!drained && fs.existsSync(rotated)) {
              // The rest of the rotated-away generation, after the last line the live tail read.
              const old = new JsonlTail(rotated);
              const rr = old.readSync(
                (o, loc) => {
                  if (loc.line > prevLine) onRecord(o);
                },
                { final: true },
              );
              malformed.push(...rr.malformed.filter((m) => m.line > prevLine));
              drained = true;
            }
          }
          const req = writer.take('truncate-request');
          if (req) truncReq = { gen: req.gen as number, last: req.last as number };
          if (truncReq && lastSeen >= truncReq.last) {
            writer.send('go');
            truncReq = undefined;
          }
          if (exited) break;
          await sleep(randInt(rnd, 0, 12));
        }
        assert.equal(await writer.exited, 0, writer.stderr);
        const done = writer.take('done');
        assert.ok(done, 'writer reported done');
        const gens = done.gens as Gen[];
        const total = done.lines as number;
        const rate = total / (done.seconds as number);
        assert.ok(rate >= 5000, `writer rate ${rate.toFixed(0)} lines/s (want ≥ 5000)`);
        assert.equal(gens.length, 3, 'three generations: original, after rotation, after truncation');
        assert.deepEqual(malformed, [], 'no line reported malformed');
        assert.deepEqual(warnings, [], 'no line kept with a warning');
        const unexpected = [...errors].filter((e) => e !== 'file not found');
        assert.deepEqual(unexpected, [], 'only the rename window may show "file not found"');
        assert.equal(resets, 2, 'one reset at the rotation, one at the truncation');
        assert.ok(drained, 'the rotated file was drained');
        let seen = 0;
        for (const g of gens) {
          const got = byGen.get(g.gen) ?? [];
          const want = range(g.first, g.last);
          assert.ok(got.length === want.length && got.every((v, i) => v === want[i]), `generation ${g.gen}: ${firstDiff(got, want)}`);
          seen += got.length;
        }
        assert.equal(seen, total, 'no invented lines');
        assert.ok(reads > 20, `the reader polled while the writer wrote (${reads} reads)`);
      } finally {
        writer.kill();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it(`TraceWorkspace.refresh() holds a gapless prefix of the live generation at every refresh (${SECONDS} s)`, async () => {
    const root = tmpDir('flowlens-rel-ws-');
    const autodev = path.join(root, '.autodev');
    fs.mkdirSync(autodev);
    const file = path.join(autodev, 'trace.jsonl');
    const seed = 7;
    const rnd = prng(seed);
    const writer = new JsonProc(process.execPath, [WRITER, file, String(SECONDS), String(seed), String(RATE)]);
    try {
      const ws = new TraceWorkspace(root, { now: () => Date.now() });
      await ws.load();
      let truncReq: { gen: number; last: number } | undefined;
      /** Highest generation seen in a run so far: an older run must not come back. */
      let maxGen = -1;
      /** First seq of each generation as the reader learned it (gen 0 starts at 0). */
      const firstOf = new Map<number, number>([[0, 0]]);
      let refreshes = 0;
      const check = (): number => {
        const runs = ws.runs();
        assert.deepEqual(ws.malformed(), [], 'no malformed lines');
        let last = -1;
        for (const run of runs) {
          const m = /^gen-(\d+)$/.exec(run.id);
          assert.ok(m, `unexpected run ${run.id}`);
          const g = Number(m[1]);
          assert.ok(g >= maxGen, `run gen-${g} reappeared after gen-${maxGen}`);
          const seqs = run.events.map((e) => e.extra.seq as number);
          const first = seqs[0];
          if (firstOf.has(g)) assert.equal(first, firstOf.get(g), `gen-${g} starts at its first line`);
          else firstOf.set(g, first);
          for (let i = 1; i < seqs.length; i++) {
            if (seqs[i] !== seqs[i - 1] + 1) assert.fail(`gen-${g}: seq ${seqs[i]} after ${seqs[i - 1]} (refresh ${refreshes})`);
          }
          last = Math.max(last, seqs[seqs.length - 1]);
        }
        if (runs.length > 0) {
          assert.equal(runs.length, 1, `one generation at a time, got ${runs.map((r) => r.id).join(', ')}`);
          maxGen = Math.max(maxGen, Number(runs[0].id.slice(4)));
        }
        return last;
      };
      for (;;) {
        const exited = writer.proc.exitCode !== null;
        await ws.refresh({ final: exited });
        refreshes++;
        const last = check();
        const req = writer.take('truncate-request');
        if (req) truncReq = { gen: req.gen as number, last: req.last as number };
        if (truncReq && last >= truncReq.last) {
          writer.send('go');
          truncReq = undefined;
        }
        const rot = writer.take('rotate');
        if (rot) firstOf.set((rot.gen as number) + 1, (rot.last as number) + 1);
        if (exited) break;
        await sleep(randInt(rnd, 0, 20));
      }
      assert.equal(await writer.exited, 0, writer.stderr);
      const done = writer.take('done');
      assert.ok(done);
      const gens = done.gens as Gen[];
      const lastGen = gens[gens.length - 1];
      const runs = ws.runs();
      assert.deepEqual(
        runs.map((r) => r.id),
        [`gen-${lastGen.gen}`],
      );
      const seqs = runs[0].events.map((e) => e.extra.seq as number);
      const want = range(lastGen.first, lastGen.last);
      assert.ok(seqs.length === want.length && seqs.every((v, i) => v === want[i]), firstDiff(seqs, want));
      assert.deepEqual(ws.malformed(), []);
      assert.deepEqual(
        ws.problems().filter((p) => !/file not found/.test(p)),
        [],
      );
      assert.ok(refreshes > 20, `refreshed while the writer wrote (${refreshes})`);
    } finally {
      writer.kill();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
