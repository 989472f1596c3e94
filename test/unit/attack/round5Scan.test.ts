/**
 * Round 5 attack (issue 15 round 5, d0caa52): the secret hints a WASM scan ends with (the module's
 * canonical forms pruned once each in the scanning thread: scan.ts Growable.prune,
 * wasmScanner.ts canonPruned; the rest by the caller's hintRecords) must be, record by record,
 * the JS path's (FLOWLENS_INDEX_SCANNER=js: hintRecords → pruneLineFast) — hint and pruned text.
 * Attacked: hostile generated lines at small batch and chunk sizes (batch boundaries, lines cut
 * across input chunks), the canonical table's 1 MiB arena filling up with long forms, its 8,192
 * ids filling up mid-batch with forms seen before coming back after, and one scanner reused by a
 * second file (its table and canonPruned's memo must be forgotten together).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { scanRange, type ScanBatch } from '../../../src/core/read/index/scan';
import { attachHints, hintRecords } from '../../../src/core/read/secretHint';
import { records, withScanner } from '../../support/scanRecords';

const WASM = path.resolve('dist/scanner.wasm');

interface Final {
  /** By line: [final hint, text for a hint 2]. */
  byLine: Map<number, [number, string | undefined]>;
  /** Per record, the hint the scan itself gave (before the caller's pass). */
  scanHints: number[];
  recs: unknown[];
}

async function finalHints(file: string, mode: string, batchRecords: number, chunkBytes?: number): Promise<Final> {
  return withScanner(mode, async () => {
    const out: ScanBatch[] = [];
    const scanHints: number[] = [];
    await scanRange({ file, start: 0, end: fs.statSync(file).size, final: true, hints: true, batchRecords, chunkBytes }, (b) => {
      for (let i = 0; i < b.n; i++) scanHints.push(b.hint ? b.hint[i] : -1);
      attachHints(b, hintRecords(file, b));
      out.push(b);
    });
    const byLine = new Map<number, [number, string | undefined]>();
    for (const b of out) {
      for (let i = 0; i < b.n; i++) {
        const h = b.hint ? b.hint[i] : 1;
        byLine.set(b.line[i], [h, h === 2 && b.hintText ? b.strings[b.hintText[i]] : undefined]);
      }
    }
    const { recs } = records(out);
    return { byLine, scanHints, recs };
  });
}

/** WASM and JS agree on every record and its final hint/text; returns the WASM scan's own hints. */
async function agree(file: string, batchRecords: number, chunkBytes?: number): Promise<Final> {
  const w = await finalHints(file, WASM, batchRecords, chunkBytes);
  const j = await finalHints(file, 'js', batchRecords, chunkBytes);
  assert.deepEqual(w.recs, j.recs, 'records');
  const diff = [...j.byLine].filter(([ln, v]) => JSON.stringify(w.byLine.get(ln)) !== JSON.stringify(v));
  assert.deepEqual(diff.slice(0, 3).map(([ln, v]) => [ln, w.byLine.get(ln), v]), [], `final hints/texts by line (wasm, js): ${diff.length} differ`);
  assert.equal(w.byLine.size, j.byLine.size);
  return w;
}

const ts = (i: number): string => `2026-11-20T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`;

describe('attack round 5: WASM canonical hints equal the JS path, record by record', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-r5scan-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hostile generated v1 lines at small batches and chunks (seeded)', async () => {
    const keys = ['api_key', 'X-Api-Key', 'x-p', 'note', 'evidence', 'data', 'correlation', 'tags', 'run_id', 'flow_id', 'step', 'duration_ms', 'line', 'reason', 'message', 'name', 'pw', 'tok', 'status'];
    const vals = fc.oneof(
      fc.constantFrom('hunter2hunter2', 'a token here', '***REDACTED***', 'x-pz', 'ok', '', 'Bearer zz', 'key=abc', 'https://u:p@h/x', 'plain').map((s) => JSON.stringify(s)),
      fc.constantFrom('0', '7', '007', '1.5', '-3', '1e2', 'true', 'null', '123456789012345678', '[]', '{}', '["pw",1]', '{"pw":"v1"}', '{"a":{"b":"token-z"},"c":1}', '{"n":1}', '[{"secret":"s3"}]'),
    );
    const member = fc.tuple(fc.constantFrom(...keys), vals, fc.constantFrom('', ' '));
    const line = fc.tuple(fc.array(member, { maxLength: 6 }), fc.nat(5), fc.constantFrom('checkpoint', 'flow_start', 'flow_end', 'error', 'metric'), fc.boolean()).map(([ms, k, type, spaced]) => {
      const sep = spaced ? ', ' : ',';
      const parts = [`"v":${spaced ? ' ' : ''}1`, `"event_type":"${type}"`, `"run_id":"r${k % 2}"`, `"flow":"svc/op"`, `"flow_id":"f-${k}"`, `"timestamp":"${ts(k)}"`];
      for (const [key, v, s] of ms) parts.push(`"${key}":${s}${v}`);
      return `{${parts.join(sep)}}`;
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 60 }), fc.constantFrom(3, 7, 64), fc.constantFrom(undefined, 257, 4096), async (lines, batch, chunk) => {
        const file = path.join(dir, `gen-${runs++}.jsonl`);
        fs.writeFileSync(file, lines.join('\n') + '\n');
        await agree(file, batch, chunk);
        fs.rmSync(file);
      }),
      { seed: 5151, numRuns: 60 * Number(process.env.ROUND5_X ?? 1) },
    );
  });

  it('long forms fill the 1 MiB arena: the rest left to the caller, earlier forms still found, same final hints', async () => {
    const file = path.join(dir, 'arena.jsonl');
    const lines: string[] = [];
    // 40 forms of ~40 KB: a message (kept as written in the form, no hit) makes each form long
    // and distinct, the secret is short (a long kept string makes pruneLine give up: hint 1 on both
    // paths). ~26 forms fit the arena.
    const big = (k: number, i: number): string => JSON.stringify({ v: 1, event_type: 'checkpoint', run_id: 'r1', flow: 'svc/op', flow_id: `f-${i}`, timestamp: ts(i), message: `${'x'.repeat(40000)}${k}`, evidence: { api_key: `sv-${k}-hunter2hunter2` } });
    const formOf = (i: number): number => (i < 40 ? i : i % 3 === 0 ? i % 40 : 39 - (i % 7));
    for (let i = 0; i < 200; i++) lines.push(big(formOf(i), i));
    fs.writeFileSync(file, lines.join('\n') + '\n');
    for (const batch of [1000, 16384]) {
      const w = await agree(file, batch);
      const h = w.scanHints;
      const fit = h.slice(0, 40).filter((x) => x === 2).length;
      assert.ok(fit >= 20 && fit <= 30, `~26 forms of 40 KB fit the arena (${fit})`);
      assert.ok(h.slice(0, fit).every((x) => x === 2) && h.slice(fit, 40).every((x) => x === 1), 'the first forms pruned by the scan, the rest left to the caller');
      // After the arena filled, a line of a form in the table still takes its text; of another, not.
      for (let i = 40; i < 200; i++) assert.equal(h[i], formOf(i) < fit ? 2 : 1, `line ${i + 1} (form ${formOf(i)})`);
    }
  });

  it('8,192 ids fill mid-batch; forms seen before come back after (batch 1000, 777)', async () => {
    const file = path.join(dir, 'ids.jsonl');
    const lines: string[] = [];
    // Short forms (~70 bytes: 8,192 of them fit the 1 MiB arena, so the id limit is the one hit).
    const ev = (k: number, i: number): string => `{"v":1,"event_type":"checkpoint","run_id":"r1","flow_id":"f-${i}","pw":"s${k}"}`;
    for (let i = 0; i < 8192 + 300; i++) lines.push(ev(i, i));
    // Forms seen before (in the table) and new ones (not), interleaved.
    for (let i = 0; i < 600; i++) lines.push(ev(i % 2 === 0 ? i * 13 : 100000 + i, 9000 + i));
    fs.writeFileSync(file, lines.join('\n') + '\n');
    for (const batch of [1000, 777]) {
      const w = await agree(file, batch);
      const h = w.scanHints;
      assert.ok(h.slice(0, 8192).every((x) => x === 2) && h.slice(8192, 8492).every((x) => x === 1), 'the table takes 8,192 forms');
      for (let i = 0; i < 600; i++) assert.equal(h[8492 + i], i % 2 === 0 ? 2 : 1, `line ${8493 + i}: a known form is found in the full table, a new one is not`);
    }
  });

  it('one scanner reused by a second file (same shape): its forms and their texts are that file\'s', async () => {
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.jsonl');
    // The same first forms' shapes, different secrets: form ids 0..k of file a and of file b hold different texts.
    const ev = (tag: string, k: number, i: number): string => `{"v":1,"event_type":"checkpoint","run_id":"r1","flow":"svc/op","flow_id":"f-${i}","timestamp":"${ts(i)}","evidence":{"api_key":"${tag}-${k}-hunter2"}}`;
    fs.writeFileSync(a, Array.from({ length: 50 }, (_, i) => ev('aaa', i % 5, i)).join('\n') + '\n');
    fs.writeFileSync(b, Array.from({ length: 50 }, (_, i) => ev('bbb', i % 5, i)).join('\n') + '\n');
    // Scans in this thread release their scanner for the next scan of the same shape.
    await finalHints(a, WASM, 64);
    const w = await finalHints(b, WASM, 64);
    const j = await finalHints(b, 'js', 64);
    assert.deepEqual([...w.byLine], [...j.byLine]);
    assert.ok([...w.byLine.values()].every(([h, t]) => h === 2 && t?.includes('bbb-') && !t.includes('aaa-')), 'file b\'s texts');
    assert.ok(w.scanHints.every((x) => x === 2), 'pruned by the (reused) scanner');
  });
});
