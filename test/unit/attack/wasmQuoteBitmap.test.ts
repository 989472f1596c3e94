// Adversarial tests of the WASM line scanner's quote-bitmap fast path (wasm/scanner/assembly/index.ts,
// prepass/strq; glue src/core/read/index/wasmScanner.ts) against the JS path (FLOWLENS_INDEX_SCANNER=js):
// every line the module reads must be one JSON.parse accepts without a warning, with the record the JS
// path gives — so whole scans (records, malformed, warnings, summary) must be equal both ways.
// Targets: a quote / backslash / `\"` / `\\"` / control / DEL / non-ASCII / invalid UTF-8 byte at every
// offset of a 32-byte block (and of the 57-64-bit bitmap window a string's end is read from), strings
// ending at and around block ends, lines ending at block ends, lines around the bitmap's 64 KiB span,
// CR/BOM/tab/whitespace variants, duplicate and `__proto__` keys, and random byte mutations.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { scanRange, type ScanBatch, type ScanSummary } from '../../../src/core/read/index/scan';
import { scannerTotals } from '../../../src/core/read/index/wasmScanner';
import { lineMayHoldSecret } from '../../../src/core/read/secretHint';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { workspaceDigest } from '../../support/plainModel';
import { records, withScanner, type Rec } from '../../support/scanRecords';

const WASM = path.resolve('dist/scanner.wasm');

interface Scan {
  recs: Rec[];
  malformed: unknown[];
  warnings: unknown[];
  hints: number[];
  summary: ScanSummary;
  read: number;
}

async function scanFile(file: string, mode: string, opts: { batchRecords?: number; chunkBytes?: number; maxLineBytes?: number; hints?: boolean } = {}): Promise<Scan> {
  return withScanner(mode, async () => {
    const before = scannerTotals.read;
    const batches: ScanBatch[] = [];
    const size = fs.statSync(file).size;
    const summary = await scanRange({ file, start: 0, end: size, final: true, ...opts }, (b) => batches.push(b));
    return { ...records(batches), summary, read: scannerTotals.read - before };
  });
}

/** Both paths over `lines` (one file): equal results; the module's hints are the prefilter's for the lines it read. Returns lines the module read. */
async function same(root: string, lines: Buffer[], what: string, opts: Parameters<typeof scanFile>[2] = {}): Promise<number> {
  const file = path.join(root, 'a.jsonl');
  const bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
  fs.writeFileSync(file, bytes);
  const js = await scanFile(file, 'js', opts);
  const wasm = await scanFile(file, WASM, { ...opts, hints: true });
  assert.deepEqual(wasm.summary, js.summary, `${what}: summary`);
  assert.deepEqual(wasm.malformed, js.malformed, `${what}: malformed`);
  assert.deepEqual(wasm.warnings, js.warnings, `${what}: warnings`);
  assert.equal(wasm.recs.length, js.recs.length, `${what}: records`);
  for (let i = 0; i < js.recs.length; i++) {
    const l = js.recs[i];
    assert.deepEqual(wasm.recs[i], l, `${what}: record ${i}: ${bytes.subarray(l.offset as number, (l.offset as number) + (l.len as number)).toString('latin1')}`);
    // A hint 0 is trusted by the secret walk: it must be the prefilter's verdict (never 0 for a flagged line).
    const h = wasm.hints[i];
    if (h === 0) assert.equal(lineMayHoldSecret(bytes, l.offset as number, (l.offset as number) + (l.len as number)), false, `${what}: hint 0 for a flagged line ${i}`);
  }
  return wasm.read;
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const cat = (...parts: (string | number[] | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? b(p) : Buffer.isBuffer(p) ? p : Buffer.from(p))));

/** What can sit inside a JSON string's bytes (as raw bytes), and whether JSON.parse takes it without a warning. */
const INSIDE: [string, Buffer, boolean][] = [
  ['escaped quote', b('\\"'), true],
  ['escaped backslash', b('\\\\'), true],
  ['escaped backslash, escaped quote', b('\\\\\\"'), true],
  ['\\n', b('\\n'), true],
  ['\\u0022', b('\\u0022'), true],
  ['\\u005c', b('\\u005C'), true],
  ['bad escape \\x', b('\\x'), false],
  ['bad \\u12', b('\\u12'), false],
  ['DEL', Buffer.from([0x7f]), true],
  ['é', b('é'), true],
  ['😀', b('😀'), true],
  ['U+2028', b('\u2028'), true],
  ['tab', Buffer.from([0x09]), false],
  ['NUL', Buffer.from([0x00]), false],
  ['CR', Buffer.from([0x0d]), false],
  ['0x1f', Buffer.from([0x1f]), false],
  ['lone 0x80', Buffer.from([0x80]), false],
  ['C0 AF', Buffer.from([0xc0, 0xaf]), false],
  ['ED A0 80', Buffer.from([0xed, 0xa0, 0x80]), false],
  ['F4 90 80 80', Buffer.from([0xf4, 0x90, 0x80, 0x80]), false],
  ['truncated E2 82', Buffer.from([0xe2, 0x82]), false],
  ['0xff', Buffer.from([0xff]), false],
];

describe('attack: WASM scanner quote-bitmap fast path vs the JS path', function () {
  this.timeout(120000);
  let root = '';
  before(() => {
    assert.ok(fs.existsSync(WASM), `${WASM} is missing: npm run build`);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-attack-qb-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('an odd sequence at every offset 0..95 of a line, in a light field, a skipped field, a key, a correlation and tags', async () => {
    const lines: Buffer[] = [];
    let sure = 0;
    for (let pad = 0; pad < 96; pad++) {
      const a = 'a'.repeat(pad);
      for (const [, bytes, ok] of INSIDE) {
        lines.push(cat('{"v":1,"event_type":"x","note":"', a, bytes, '","flow":"', a, 'z"}'));
        if (ok) sure++;
        lines.push(cat('{"v":1,"event_type":"x","flow":"', a, bytes, '","step":"s"}'));
        lines.push(cat('{"v":1,"', a, bytes, '":1,"event_type":"x","run_id":"r"}'));
        lines.push(cat('{"v":1,"event_type":"x","correlation":{"k":"', a, bytes, '","n":1}}'));
        lines.push(cat('{"v":1,"event_type":"x","tags":["', a, '","', bytes, a, '"]}'));
        lines.push(cat('{"v":1,"event_type":"x","tags":"', a, ',', bytes, '"}'));
        // the odd bytes just before the line's end (the string closes right after them)
        lines.push(cat('{"v": 1, "event_type": "x", "e": "', a, bytes, '"}'));
      }
      // a string's closing quote at every offset, a long plain string (past the bitmap window of 57-64 bits)
      lines.push(b(`{"v":1,"event_type":"${a}x","flow":"${'f'.repeat(pad * 3)}","step":"${a}"}`));
      // `\"` with the backslash as the last byte of a 32-byte block and the quote as the first of the next
      const head = '{"v":1,"event_type":"x","note":"';
      const fill = 'q'.repeat((64 + 31 - head.length - (pad % 32)) % 32 + pad);
      lines.push(b(`${head}${fill}\\"tail","flow":"f"}`));
      lines.push(b(`${head}${fill}\\\\","flow":"f"}`));
      lines.push(b(`${head}${fill}\\\\\\"","flow":"f"}`));
      // unterminated strings and a quote as the line's last byte
      lines.push(b(`{"v":1,"event_type":"x","flow":"${a}`));
      lines.push(b(`{"v":1,"event_type":"x","flow":"${a}"`));
      lines.push(b(`{"v":1,"event_type":"x","flow":"${a}"}"`));
    }
    const read = await same(root, lines, 'offsets');
    assert.ok(read >= sure, `the module read ${read} lines (${sure} sure)`);
    await same(root, lines, 'offsets, small chunks and batches', { chunkBytes: 97, batchRecords: 3 });
  });

  it('lines ending at and around every block end, alone and packed (line starts at every alignment)', async () => {
    const lines: Buffer[] = [];
    for (let len = 24; len <= 140; len++) {
      const head = '{"v":1,"event_type":"x","flow":"';
      lines.push(b(head + 'q'.repeat(Math.max(0, len - head.length - 2)) + '"}'));
      // the closing quote as the line's last string byte before `}` and trailing spaces
      lines.push(b(head + 'q'.repeat(Math.max(0, len - head.length - 4)) + '"}  '));
      // a key whose closing quote is the last byte of a block
      lines.push(b('{"v":1,"' + 'k'.repeat(Math.max(1, len - 30)) + '":"","event_type":"x"}'));
    }
    const read = await same(root, lines, 'line ends');
    assert.equal(read, lines.length, 'every such line is one the module reads');
    await same(root, lines, 'line ends, chunk 200', { chunkBytes: 200 });
    // a line limit among these lengths (the module reads a line, then finds it too long), and an
    // input smaller than most lines (they go through the JS buffer, then back to the module)
    for (const maxLineBytes of [63, 64, 65, 96, 100]) await same(root, lines, `line ends, line limit ${maxLineBytes}`, { maxLineBytes });
    await same(root, lines, 'line ends, chunk 64', { chunkBytes: 64, batchRecords: 4 });
  });

  it('lines around the quote bitmap span (64 KiB): newline and last quote at 65534..65538', async () => {
    const lines: Buffer[] = [];
    for (let len = 65530; len <= 65540; len++) {
      const head = '{"v":1,"event_type":"x","flow":"a","note":"';
      const tailA = '"}';
      lines.push(b(head + 'n'.repeat(len - head.length - tailA.length) + tailA));
      // the field the module reads last, its quotes near the span's end
      const head2 = '{"v":1,"event_type":"x","note":"';
      const tail2 = '","flow":"abc"}';
      lines.push(b(head2 + 'n'.repeat(len - head2.length - tail2.length) + tail2));
      // an escape past the span (the line is not clean, read by the byte-checking path)
      lines.push(b(head2 + 'n'.repeat(len - head2.length - tail2.length - 2) + '\\"' + tail2));
    }
    for (const l of lines) assert.ok(l.length >= 65530 && l.length <= 65540);
    const read = await same(root, lines, 'span');
    assert.ok(read >= lines.length - 1, `read ${read}`);
    await same(root, lines, 'span, chunk 40000', { chunkBytes: 40000 });
  });

  it('CR, BOM, tabs, form feed, NBSP, leading/trailing whitespace, duplicate and __proto__ keys', async () => {
    const base = '{"v":1,"event_type":"x","run_id":"r","flow":"a/b","step":"s","tags":["t"],"correlation":{"k":1}}';
    const lines: Buffer[] = [
      cat([0xef, 0xbb, 0xbf], base), // BOM on line 1 only
      b(base + '\r'),
      b(base.replace(',"run_id"', ',\r"run_id"')),
      b(base.replace(',"run_id"', ',\t"run_id"')),
      b(base.replace(',"run_id"', ',\f"run_id"')),
      cat('{"v":1,"event_type":"x",', [0xc2, 0xa0], '"run_id":"r"}'),
      b(' ' + base),
      b('\t' + base),
      b(base + ' \t '),
      cat([0xef, 0xbb, 0xbf], base), // BOM not on line 1
      b('{"v":1,"event_type":"x","__proto__":{"flow":"p"},"flow":"f"}'),
      b('{"v":1,"event_type":"x","correlation":{"__proto__":1,"constructor":2}}'),
      b('{"v":1,"event_type":"x","flow":"a","flow":"b"}'),
      b('{"v":1,"event_type":"x","note":1,"note":2,"flow":"c"}'),
      b('{"v":1,"event_type":"x","correlation":{"a":{"b":1},"a":2}}'),
      b('{"v":1,"event_type":"x","correlation":{"a":{"b":1,"c":{"b":2}}}}'),
      b('{"v":1,"event_type":"x","correlation":{"":1,"-1":2,"1a":3}}'),
      b('{"v":1,"event_type":"x","tags":["a\\"b"]}'),
      b('{"v":1,"event_type":"x","tags":"a\\\\,b"}'),
      b('{"v":1,"event_type":"x","severity":"  error  "}'),
      b('{"v":1,"event_type":"x","severity":"error\u007f"}'),
      b('{"v":1,"event_type":"x","timestamp":"2026-11-16T14:00:00Z","timestamp":"2026-11-16T15:00:00Z"}'),
      b('{"v":1,"event_type":"x","v":1}'),
      b('{"v":1,"event_type":"x"}{"v":1,"event_type":"y"}'),
      b('{"v":1,"event_type":"x"} x'),
      b('{"v":1,"event_type":"x","e":"\u0000"}'),
      b('{"v":1,"event_type":"x","e":"a"  ,  "flow"  :  "b"  }'),
      b('{"v":1,"event_type":"x","duration_ms":NaN,"flow":"x"}'),
      b('{"v":1,"event_type":"x","e":[Infinity],"flow":"x"}'),
      b('{"v":1,"event_type":"x","e":-Infinity}'),
    ];
    await same(root, lines, 'whitespace and keys');
  });

  it('timestamps and durations from a grammar around the forms the module reads (its 19-byte prefix cache across neighbouring lines)', async () => {
    const d2 = (lo: number, hi: number): fc.Arbitrary<string> => fc.integer({ min: lo, max: hi }).map((x) => String(x).padStart(2, '0'));
    const ts = fc
      .record({
        y: fc.oneof(fc.constantFrom('2026', '2024', '2000', '1900', '0000', '9999', '1969'), fc.integer({ min: 0, max: 9999 }).map((x) => String(x).padStart(4, '0'))),
        mo: fc.oneof({ weight: 12, arbitrary: d2(1, 12) }, { weight: 1, arbitrary: fc.constantFrom('00', '13', '02', '1a') }),
        d: fc.oneof({ weight: 6, arbitrary: d2(1, 28) }, { weight: 1, arbitrary: fc.constantFrom('29', '30', '31', '00', '32') }),
        sep: fc.constantFrom('T', 'T', 'T', 'T', 'T', ' ', 't', 'X'),
        h: fc.oneof({ weight: 12, arbitrary: d2(0, 23) }, { weight: 1, arbitrary: fc.constantFrom('24', '99') }),
        mi: fc.oneof({ weight: 12, arbitrary: d2(0, 59) }, { weight: 1, arbitrary: fc.constantFrom('60') }),
        se: fc.oneof({ weight: 12, arbitrary: d2(0, 59) }, { weight: 1, arbitrary: fc.constantFrom('60', '5') }),
        frac: fc.oneof(fc.constant(''), fc.tuple(fc.constantFrom('.', '.', ','), fc.string({ unit: fc.constantFrom('0', '1', '5', '9'), maxLength: 11 })).map(([a, b]) => a + b)),
        zone: fc.constantFrom('Z', 'Z', 'Z', 'Z', 'Z', 'Z', 'Z', 'Z', 'z', '', '', '+00:00', '-00:00', '+05:30', '-0530', '+05', '+23:59', '+24:00', '+01:60', '+1', '+01:', '+01:0', '+01:000', 'ZZ', ' Z', 'Z '),
      })
      .map((t) => `${t.y}-${t.mo}-${t.d}${t.sep}${t.h}:${t.mi}:${t.se}${t.frac}${t.zone}`);
    const dur = fc.oneof(
      fc.integer({ min: -1e6, max: 1e12 }).map(String),
      fc.integer({ min: 0, max: 1e6 }).map(String),
      fc.tuple(fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9'), minLength: 1, maxLength: 9 }), fc.string({ unit: fc.constantFrom('0', '1', '5', '9'), maxLength: 9 }), fc.constantFrom('', 'e5', 'E-3', 'e+22', 'e23', 'e-22', 'e-23', 'e0', 'E00022'))
        .map(([a, b, e]) => `${a.replace(/^0+(?=\d)/, '')}${b ? '.' + b : ''}${e}`),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)),
    );
    const lines = fc.sample(fc.tuple(ts, dur, fc.boolean()), { numRuns: 4000, seed: Number(process.env.ATTACK_SEED ?? 77) }).map(([t, d, neg]) => b(`{"v":1,"event_type":"x","timestamp":${JSON.stringify(t)},"duration_ms":${neg && !d.startsWith('-') ? '-' : ''}${d}}`));
    // neighbours sharing a prefix: each line again with another fraction and zone
    const more = lines.slice(0, 1000).map((l) => Buffer.from(l.toString().replace(/("timestamp":"[^"]{19})[^"]*"/, '$1.25Z"')));
    const read = await same(root, [...lines, ...more], 'timestamps and durations', { chunkBytes: 4096 });
    assert.ok(read > 150, `read ${read}`);
  });

  it('the index worker (its arena decoded once when ASCII) gives the plain read\'s model for hostile flow/step/tag strings', async () => {
    const dir = fs.mkdtempSync(path.join(root, 'ws-'));
    const lines: Buffer[] = [];
    const odd = ['\u007f', 'é', '😀', '\u2028', '\\"', '\\\\', '\\u0041', '"', ''];
    let k = 0;
    // one odd string after the other: most batches (50 records) hold only ASCII strings (the worker
    // decodes their arena once and slices it), some mix in the JS path's strings (escapes)
    for (const o of odd) {
      for (let pad = 0; pad < 40; pad++) {
        const a = 'a'.repeat(pad);
        const run = `r${k % 3}`;
        const text = (x: string): string => (x === '"' ? '\\"' : x);
        const flow = `f/${a}${text(o)}`;
        const ts = new Date(Date.parse('2026-12-07T01:00:00Z') + k * 1000).toISOString();
        lines.push(b(`{"v":1,"event_type":"flow_start","run_id":"${run}","timestamp":"${ts}","flow":"${flow}","flow_id":"id-${k}","step":"${text(o)}${a}","tags":["${a}","${text(o)}"],"correlation":{"k${text(o)}":"${a}${text(o)}"}}`));
        lines.push(b(`{"v":1,"event_type":"success","run_id":"${run}","timestamp":"${ts}","flow":"${flow}","flow_id":"id-${k}","duration_ms":${k % 50}}`));
        k++;
      }
    }
    fs.writeFileSync(path.join(dir, 'trace.jsonl'), Buffer.concat(lines.flatMap((l) => [l, b('\n')])));
    const load = async (index: false | Record<string, unknown>, mode: string | undefined): Promise<unknown> => {
      const before = process.env.FLOWLENS_INDEX_SCANNER;
      if (mode === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
      else process.env.FLOWLENS_INDEX_SCANNER = mode;
      try {
        const ws = TraceWorkspace.forFile(path.join(dir, 'trace.jsonl'), { final: true, now: () => Date.UTC(2030, 0, 1), index: index as WorkspaceOptions['index'] });
        await ws.load();
        return workspaceDigest(ws);
      } finally {
        if (before === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
        else process.env.FLOWLENS_INDEX_SCANNER = before;
      }
    };
    const want = await load(false, 'js');
    const runs = (want as { runs: unknown[] }).runs;
    assert.equal(runs.length, 3, JSON.stringify(want).slice(0, 300));
    const before = scannerTotals.read;
    assert.deepEqual(await load({ minBytes: 0, workers: 0, batchRecords: 50 }, WASM), want, 'WASM, same thread');
    assert.ok(scannerTotals.read - before > 300, `the module read ${scannerTotals.read - before} lines`);
    const worker = path.resolve('dist/indexWorker.js');
    assert.ok(fs.existsSync(worker), `${worker} is missing: npm run build`);
    assert.deepEqual(await load({ minBytes: 0, workers: 1, workerScript: worker, batchRecords: 50 }, undefined), want, 'WASM, index worker');
  });

  it('a batch whose strings outgrow the module\'s arena (4 MiB) ends early and the next batch goes on, with JS-path lines between', async () => {
    const lines: Buffer[] = [];
    for (let i = 0; i < 12000; i++) {
      const u = `${i}`.padStart(6, '0');
      const big = `${u}${'x'.repeat(180)}${u}`;
      if (i % 997 === 0) lines.push(b(`{"v":1,"event_type":"x","flow":"esc\\u0041${big}","step":"${big}"}`));
      else lines.push(b(`{"v":1,"event_type":"x","run_id":"r${i % 5}","flow":"f${big}","flow_id":"${big}","step":"s${big}","tags":["${u}","t"],"correlation":{"k":"${big}"}}`));
    }
    const read = await same(root, lines, 'arena full');
    assert.ok(read > 11000, `read ${read}`);
  });

  it('property: random v1 lines with quotes/backslashes/odd bytes spliced in at random places', async () => {
    const chars = fc.constantFrom('a', ' ', ',', ':', '"', '\\', '\\"', '\\\\', '\\\\"', '{', '}', '[', ']', '-', '1', 'é', '\u007f', '\t', '\r', '\u0001', '\uFFFD', '😀');
    const odd = fc.array(chars, { maxLength: 6 }).map((a) => a.join(''));
    const str = fc.oneof({ weight: 30, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', '-', '/', ' ', 'Z', '0'), maxLength: 70 }) }, { weight: 1, arbitrary: odd });
    const json = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, str, fc.integer(), fc.constantFrom(true, null, 1.5), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(str, tie('v'), { maxKeys: 3 })),
    })).v;
    const event = fc.record(
      {
        v: fc.constant(1),
        event_type: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('checkpoint', 'failure') }, { weight: 1, arbitrary: str }),
        run_id: str, flow: str, flow_id: str, parent_flow_id: str, step: str, failure_class: str,
        tags: fc.oneof(fc.array(str, { maxLength: 3 }), str),
        correlation: fc.dictionary(fc.string({ unit: fc.constantFrom('k', 'e', 'y'), minLength: 1, maxLength: 4 }), fc.oneof(str, fc.integer({ min: -1e9, max: 1e9 })), { maxKeys: 3 }),
        severity: fc.constantFrom('error', ' Warn ', 'x'),
        timestamp: fc.integer({ min: 0, max: 4e12 }).map((ms) => new Date(ms).toISOString()),
        duration_ms: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 1e6 }) }, { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
        note: json,
      },
      { requiredKeys: ['v', 'event_type'] },
    );
    // splice: raw text inserted at a byte offset of the serialised line (often breaking it)
    const line = fc.tuple(event, fc.boolean(), fc.option(fc.tuple(fc.nat(), odd), { freq: 3 }), fc.nat(40)).map(([e, py, splice, pad]) => {
      let text = py ? JSON.stringify(e, null, 1).replace(/\n */g, ' ') : JSON.stringify(e);
      // shift the line by `pad` bytes (an extra member first): every block alignment
      text = `{"pad":"${'p'.repeat(pad)}",` + text.slice(1);
      let buf = b(text);
      if (splice) {
        const at = splice[0] % buf.length;
        buf = cat(buf.subarray(0, at), splice[1].replace(/\n/g, ' '), buf.subarray(at));
      }
      return buf;
    });
    let read = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), async (lines) => {
        total += lines.length;
        read += await same(root, lines, 'property', { batchRecords: 9 });
      }),
      { numRuns: Number(process.env.ATTACK_RUNS ?? 350), seed: Number(process.env.ATTACK_SEED ?? 4242) },
    );
    assert.ok(read > total / 4, `the module read ${read} of ${total} lines`);
  });
});
