/**
 * Round 5 attack (issue 15 round 5, d0caa52 + a40de81): a file of 16 MiB or more indexed with
 * hints and background: false (the CLI) is scanned in two ranges — the first eighth by this
 * thread's WASM scanner, the rest by the worker's — each with its own table of canonical forms,
 * and here each table fills (more than 8,192 forms in each range), so lines are pruned by both
 * scanners and by both callers. The run-scoped redactors must know exactly the secrets of a plain
 * read (per run and over all runs), and a probe of every kind of secret must come out scrubbed.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Run } from '../../../src/core/model/types';
import { indexFileParallel } from '../../../src/core/read/index/parallel';
import { scannerTotals } from '../../../src/core/read/index/wasmScanner';
import { runRedactor, runsRedactor } from '../../../src/core/render/egress/secrets';
import { tmpdir } from './round3Support';
import { lines, openFile, withWasmScanner, WORKER } from './round5Support';


const known = (runs: readonly Run[]): string[] => [...((runsRedactor(runs).options.knownSecrets ?? []) as Iterable<string>)].sort();
const perRun = (runs: readonly Run[]): [string, string[]][] => runs.map((r) => [r.id, [...((runRedactor(r).options.knownSecrets ?? []) as Iterable<string>)].sort()]);


describe('attack round 5: lead range (this thread) + worker range, each table of forms full', function () {
  this.timeout(120000);
  withWasmScanner();

  it('17 MiB, 3 of 4 lines a form of their own: same secrets as a plain read', async () => {
    const file = path.join(tmpdir('r5lead'), 'trace.jsonl');
    const parts: string[] = [];
    let bytes = 0;
    let n = 0;
    while (bytes < 17 * 2 ** 20) {
      const chunk = lines(n, n + 10000, 3).join('\n') + '\n';
      parts.push(chunk);
      bytes += chunk.length;
      n += 10000;
    }
    fs.writeFileSync(file, parts.join(''));
    // Two ranges: this thread's first, then the worker's; this thread's scanner reads lines.
    const before = scannerTotals.read;
    const bases = new Set<number>();
    const index = { minBytes: 0, workers: 1, workerScript: WORKER, hints: true, background: false };
    await indexFileParallel({ file, size: fs.statSync(file).size, final: true, workers: 1, workerScript: WORKER, background: false, hints: true, onBatch: (_b, _s, lineBase) => void bases.add(lineBase) });
    assert.ok(bases.has(0) && bases.size === 2, `two ranges: line bases ${[...bases].join(', ')}`);
    const lead = scannerTotals.read - before;
    // The lead's ~1/8 of the lines, 3 in 4 of them a form of their own: more than the table holds.
    assert.ok(lead > (8192 * 4) / 3, `this thread's scanner read ${lead} lines`);
    const ws = await openFile(file, index);
    const plain = await openFile(file, false);
    const want = known(plain.runs());
    for (const s of ['Zq5own0', `Zq5own${n - 4}`, `Zq5own${Math.floor(n / 16) * 4}`, 'Zq5shared0', 'Zq5dash3', 'Zq5flag2', 'Zq5dupB1', 'Zq5vv3', 'Zq5deep3', 'Zq5url3', 'Zq5corr6']) {
      assert.ok(want.includes(s), `${s} is a secret of the plain read`);
    }
    assert.deepEqual(perRun(ws.runs()), perRun(plain.runs()), 'per-run secrets');
    assert.deepEqual(known(ws.runs()), want, "all runs' secrets");
    const probe = ['Zq5own1', `Zq5own${n - 3}`, 'Zq5shared2', 'Zq5dash10', 'Zq5flag4', 'Zq5dupB2', 'Zq5vv6', 'Zq5deep2', 'Zq5url5', 'Zq5corr7', 'Zq5esc"1'].join(' ');
    const out = runsRedactor(ws.runs()).string(probe);
    assert.equal(out, runsRedactor(plain.runs()).string(probe));
    assert.ok(!out.includes('Zq5'), `every secret scrubbed: ${out}`);
    ws.dispose();
    plain.dispose();
  });
});
