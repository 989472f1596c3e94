// Secret hints pruned by the WASM scanner from each flagged line's canonical form (issue 15 round
// 5: wasm/scanner canonLine, wasmScanner.ts canonPruned, scan.ts Growable.prune): a form is pruned
// once per scan and every line of that form takes its text; once the scan's table of forms is full
// the lines are left to the caller (secretHint.ts hintRecords). Either way each record ends with
// the hint and text the JS path gives it.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanRange, type ScanBatch } from '../../../src/core/read/index/scan';
import { attachHints, hintRecords } from '../../../src/core/read/secretHint';
import { withScanner } from '../../support/scanRecords';

const WASM = path.resolve('dist/scanner.wasm');

/** Each record's final hint and text (as the merge reads them), by line. */
async function finalHints(file: string, mode: string): Promise<{ scanned: ScanBatch[]; byLine: Map<number, [number, string | undefined]> }> {
  return withScanner(mode, async () => {
    const scanned: ScanBatch[] = [];
    await scanRange({ file, start: 0, end: fs.statSync(file).size, final: true, hints: true, batchRecords: 1000 }, (b) => {
      // What the scan gave, before the caller's pass (a copy: the pass below changes it).
      scanned.push({ ...b, hint: b.hint?.slice(), hintText: b.hintText?.slice(), strings: [...b.strings] });
      attachHints(b, hintRecords(file, b));
      scanned[scanned.length - 1].raws = [];
      (scanned as (ScanBatch & { final?: ScanBatch })[])[scanned.length - 1].final = b;
    });
    const byLine = new Map<number, [number, string | undefined]>();
    for (const s of scanned as (ScanBatch & { final: ScanBatch })[]) {
      const b = s.final;
      for (let i = 0; i < b.n; i++) {
        const h = b.hint ? b.hint[i] : 1;
        byLine.set(b.line[i], [h, h === 2 && b.hintText ? b.strings[b.hintText[i]] : undefined]);
      }
    }
    return { scanned, byLine };
  });
}

describe('index: secret hints pruned by the WASM scanner from canonical forms', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-canon-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const line = (i: number, evidence: unknown): string =>
    JSON.stringify({ v: 1, event_type: 'checkpoint', run_id: 'r1', flow: 'svc/op', flow_id: `f-${i}`, step: 's', timestamp: `2026-11-20T10:00:${String(i % 60).padStart(2, '0')}Z`, duration_ms: i, evidence });

  it('lines of a few forms: each form pruned once, every flagged line takes its text, the same hints as the JS path', async () => {
    const file = path.join(dir, 'few.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const k = i % 6;
      lines.push(line(i, k === 5 ? { n: i } : k === 4 ? { note: 'a token was here', n: i } : { api_key: `sv-${k}-hunter2hunter2`, n: i, ticker: `T${i}` }));
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const wasm = await finalHints(file, WASM);
    const js = await finalHints(file, 'js');
    assert.deepEqual([...wasm.byLine], [...js.byLine], 'final hints and texts by line');
    let pruned = 0;
    for (const b of wasm.scanned) {
      if (b.n === 0) continue;
      const texts = new Set<string>();
      for (let i = 0; i < b.n; i++) {
        const h = (b.hint as Uint8Array)[i];
        assert.notEqual(h, 1, `line ${b.line[i]}: pruned by the scan (its form is in the table)`);
        if (h === 2) {
          pruned++;
          texts.add(b.strings[(b.hintText as Int32Array)[i]]);
        }
      }
      const ids = new Set([...(b.hintText as Int32Array)].filter((x) => x >= 0));
      assert.equal(ids.size, texts.size, 'one string per pruned text in a batch');
    }
    assert.equal(pruned, 2500, 'the lines with an api_key or a `token` in a string');
    assert.equal(js.byLine.get(6)?.[0], 0, 'a line without a hit: 0');
  });

  it('more forms than the table holds: the lines after it filled are left to the caller, with the same final hints', async () => {
    const file = path.join(dir, 'many.jsonl');
    const lines: string[] = [];
    // Each secret value is kept as written in the form: 12,000 forms (the table holds 8,192).
    for (let i = 0; i < 12000; i++) lines.push(line(i, { api_key: `sv-${i}-hunter2hunter2` }));
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const wasm = await finalHints(file, WASM);
    const js = await finalHints(file, 'js');
    assert.deepEqual([...wasm.byLine], [...js.byLine], 'final hints and texts by line');
    const full = wasm.scanned.filter((b) => b.n > 0);
    const first = full[0];
    const last = full[full.length - 1];
    assert.ok([...(first.hint as Uint8Array)].every((h) => h === 2), 'the first lines: pruned by the scan');
    assert.ok([...(last.hint as Uint8Array)].every((h) => h === 1), 'the last lines: left to the caller');
    assert.ok([...js.byLine.values()].every(([h, t]) => h === 2 && t !== undefined && t.includes('hunter2')), 'every line gives its secret');
  });
});
