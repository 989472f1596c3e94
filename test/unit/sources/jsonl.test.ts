import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { JsonlTail, type TailResult } from '../../../src/core/read/sources/jsonl';
import type { Malformed, SourceLoc } from '../../../src/core/model/types';

/** The repo root, found from the (bundled or source) test location. */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'test', 'fixtures'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}
const FIX = path.join(repoRoot(), 'test', 'fixtures');
const fixture = (...p: string[]): string => path.join(FIX, ...p);

interface Rec {
  obj: Record<string, unknown>;
  loc: SourceLoc;
}

function readAll(tail: JsonlTail, final = false): { recs: Rec[]; res: TailResult } {
  const recs: Rec[] = [];
  const res = tail.readSync((obj, loc) => recs.push({ obj, loc }), { final });
  return { recs, res };
}

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-jsonl-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
let seq = 0;
const tmpFile = (content: string | Buffer = ''): string => {
  const f = path.join(tmp, `t${seq++}.jsonl`);
  fs.writeFileSync(f, content);
  return f;
};

describe('JsonlTail on the shared fixtures', () => {
  it('reads all 194 lines of .autodev/trace.jsonl (v1), with 1-based lines and byte offsets', () => {
    const file = fixture('demo-app', '.autodev', 'trace.jsonl');
    const tail = new JsonlTail(file);
    const { recs, res } = readAll(tail);
    assert.equal(res.records, 194);
    assert.equal(recs.length, 194);
    assert.deepEqual(res.malformed, []);
    assert.equal(res.reset, false);
    assert.equal(res.pendingBytes, 0);
    assert.equal(res.bytesRead, 71428); // ls -l
    assert.equal(tail.offset, 71428);
    assert.equal(tail.lineNo, 194);
    assert.deepEqual(recs[0].loc, { file, line: 1, offset: 0 });
    assert.equal(recs[0].obj.event_type, 'session_start');
    // `head -1 trace.jsonl | wc -c` = 309 (line 1 plus its newline)
    assert.deepEqual(recs[1].loc, { file, line: 2, offset: 309 });
    assert.equal(recs[193].loc.line, 194);
  });

  it('gives the same records with a tiny chunk size (lines span many reads)', () => {
    const file = fixture('demo-app', '.autodev', 'trace.jsonl');
    const big = readAll(new JsonlTail(file)).recs;
    const small = readAll(new JsonlTail(file, { chunkBytes: 16 })).recs;
    assert.deepEqual(small, big);
  });

  it('reads every per-run v1 file and every 0.1 recording', () => {
    // wc -l of each file (every one ends with a newline)
    const expected: [string[], number][] = [
      [['demo-app', '.autodev', 'runs', '20261118T140000Z-a1c3', 'trace.jsonl'], 44],
      [['demo-app', '.autodev', 'runs', '20261119T140000Z-b7d2', 'trace.jsonl'], 28],
      [['demo-app', '.autodev', 'runs', '20261119T190000Z-c4e8', 'trace.jsonl'], 40],
      [['demo-app', '.autodev', 'runs', '20261120T140000Z-d9f1', 'trace.jsonl'], 35],
      [['demo-app', '.autodev', 'runs', '20261121T140000Z-e2a6', 'trace.jsonl'], 42],
      [['demo-app', '.autodev', 'runs', '20261122T140000Z-f5b0', 'trace.jsonl'], 5],
      [['demo-app', 'runs', '20261118T140000Z-a1c3', 'trace.jsonl'], 29],
      [['demo-app', 'runs', '20261119T140000Z-b7d2', 'trace.jsonl'], 18],
      [['demo-app', 'runs', '20261119T190000Z-c4e8', 'trace.jsonl'], 26],
      [['demo-app', 'runs', '20261120T140000Z-d9f1', 'trace.jsonl'], 23],
      [['demo-app', 'runs', '20261121T140000Z-e2a6', 'trace.jsonl'], 28],
      [['demo-app', 'runs', '20261122T140000Z-f5b0', 'trace.jsonl'], 2],
    ];
    for (const [p, n] of expected) {
      const { res } = readAll(new JsonlTail(fixture(...p)), true);
      assert.equal(res.records, n, p.join('/'));
      assert.deepEqual(res.malformed, [], p.join('/'));
    }
  });

  it('reads the esper telemetry (120 lines)', () => {
    const { res } = readAll(new JsonlTail(fixture('stores', 'telemetry_2026-11-20_080000', 'events.jsonl')), true);
    assert.equal(res.records, 120);
    assert.deepEqual(res.malformed, []);
  });

  it('holds back the Grain queue cut-off last line until final, then reports it on line 193', () => {
    const file = fixture('stores', '.grain', 'telemetry_queue.jsonl');
    const tail = new JsonlTail(file);
    const first = readAll(tail);
    // wc -l = 192 complete lines; `tail -n1 | wc -c` = 69 bytes without a newline
    assert.equal(first.res.records, 192);
    assert.deepEqual(first.res.malformed, []);
    assert.equal(first.res.pendingBytes, 69);
    assert.equal(tail.offset, 30167 - 69);
    // a second live read changes nothing
    const again = readAll(tail);
    assert.equal(again.res.records, 0);
    assert.deepEqual(again.res.malformed, []);
    assert.equal(again.res.pendingBytes, 69);
    const fin = readAll(tail, true);
    assert.equal(fin.res.records, 0);
    assert.equal(fin.res.malformed.length, 1);
    assert.equal(fin.res.malformed[0].line, 193);
    assert.equal(fin.res.malformed[0].file, file);
    assert.match(fin.res.malformed[0].reason, /^line cut off \(no newline at end of final file\)/);
    assert.equal(fin.res.pendingBytes, 0);
  });

  it('holds back the Assay queue cut-off line (48 complete lines)', () => {
    const { res } = readAll(new JsonlTail(fixture('stores', '.assay', 'telemetry_queue.jsonl')));
    assert.equal(res.records, 48);
    assert.deepEqual(res.malformed, []);
    assert.ok(res.pendingBytes > 0);
  });

  it('read() (async) gives the same result as readSync()', async () => {
    const file = fixture('stores', '.grain', 'telemetry_queue.jsonl');
    const recs: Rec[] = [];
    const res = await new JsonlTail(file, { chunkBytes: 100 }).read((obj, loc) => recs.push({ obj, loc }), { final: true });
    const sync = readAll(new JsonlTail(file), true);
    assert.deepEqual(recs, sync.recs);
    assert.deepEqual(res, sync.res);
    assert.equal(res.records, 192);
  });
});

describe('JsonlTail on bad input (test/fixtures/bad)', () => {
  const bad = (name: string): string => fixture('bad', name);

  it('CRLF: strips the \\r, keeps offsets in bytes', () => {
    const file = bad('crlf.jsonl');
    const { recs, res } = readAll(new JsonlTail(file), true);
    assert.equal(res.records, 3);
    assert.deepEqual(res.malformed, []);
    assert.deepEqual(recs.map((r) => r.obj.event_type), ['flow_start', 'success', 'session_end']);
    // line 1 is 69 characters + \r\n
    assert.equal(recs[1].loc.offset, 71);
  });

  it('BOM: the first key is not polluted by U+FEFF', () => {
    const { recs, res } = readAll(new JsonlTail(bad('bom.jsonl')), true);
    assert.equal(res.records, 2);
    assert.deepEqual(res.malformed, []);
    assert.deepEqual(Object.keys(recs[0].obj), ['v', 'event_type', 'run_id']);
    assert.equal(recs[0].loc.offset, 0);
  });

  it('blank and whitespace-only lines are skipped silently but numbered', () => {
    const tail = new JsonlTail(bad('blank-lines.jsonl'));
    const { recs, res } = readAll(tail, true);
    assert.deepEqual(recs.map((r) => [r.obj.n, r.loc.line]), [[1, 2], [2, 6], [3, 8]]);
    assert.deepEqual(res.malformed, []);
    assert.equal(tail.lineNo, 9);
  });

  it('NaN / Infinity / -Infinity outside strings become numbers; inside strings stay text', () => {
    const { recs, res } = readAll(new JsonlTail(bad('nan-infinity.jsonl')), true);
    assert.equal(res.records, 3);
    const [a, b, c] = recs.map((r) => r.obj);
    assert.ok(Number.isNaN(a.value));
    assert.equal(a.hi, Infinity);
    assert.equal(a.lo, -Infinity);
    assert.ok(Array.isArray(a.list));
    const list = a.list as number[];
    assert.ok(Number.isNaN(list[0]));
    assert.equal(list[1], 1);
    assert.equal(list[2], -Infinity);
    assert.equal(b.text, 'NaN and Infinity inside a string stay text');
    assert.ok(Number.isNaN(b.x));
    assert.deepEqual(c, { plain: 1 });
    // `NaNa` is not a token: the line stays malformed, with JSON.parse's message
    assert.equal(res.malformed.length, 1);
    assert.equal(res.malformed[0].line, 4);
    assert.match(res.malformed[0].reason, /JSON/);
    assert.deepEqual(res.warnings.map((w) => w.line), [1, 2]);
  });

  it('invalid UTF-8: the line is kept with U+FFFD and listed in warnings', () => {
    const { recs, res } = readAll(new JsonlTail(bad('invalid-utf8.jsonl')), true);
    assert.equal(res.records, 3);
    assert.deepEqual(res.malformed, []);
    assert.equal(recs[0].obj.ok, 'café');
    assert.equal(recs[1].obj.msg, 'bad \uFFFD\uFFFD byte');
    assert.equal(recs[1].obj.n, 2);
    // line 3 holds a real, validly encoded U+FFFD: no warning
    assert.equal(recs[2].obj.ok, 'real \uFFFD replacement char');
    assert.equal(res.warnings.length, 1);
    assert.equal(res.warnings[0].line, 2);
    assert.match(res.warnings[0].reason, /invalid UTF-8/);
  });

  it('non-object lines are malformed with their kind', () => {
    const { recs, res } = readAll(new JsonlTail(bad('non-object.jsonl')), true);
    assert.deepEqual(recs.map((r) => r.loc.line), [6]);
    const file = bad('non-object.jsonl');
    const expected: Malformed[] = [
      { file, line: 1, reason: 'not a JSON object (array)' },
      { file, line: 2, reason: 'not a JSON object (number)' },
      { file, line: 3, reason: 'not a JSON object (string)' },
      { file, line: 4, reason: 'not a JSON object (null)' },
      { file, line: 5, reason: 'not a JSON object (boolean)' },
    ];
    assert.deepEqual(res.malformed, expected);
  });

  it('duplicate keys: the last one wins', () => {
    const { recs } = readAll(new JsonlTail(bad('duplicate-keys.jsonl')), true);
    assert.equal(recs.length, 1);
    assert.equal(recs[0].obj.step, 'second');
    assert.equal(recs[0].obj.n, 2);
  });

  it('syntax errors are located and explained; good lines around them survive', () => {
    const { recs, res } = readAll(new JsonlTail(bad('syntax-errors.jsonl')), true);
    assert.deepEqual(recs.map((r) => r.loc.line), [1, 6]);
    assert.deepEqual(res.malformed.map((m) => m.line), [2, 3, 4, 5]);
    for (const m of res.malformed) assert.match(m.reason, /JSON/);
  });

  it('a missing file is an error result, not a throw', async () => {
    const missing = path.join(tmp, 'nope.jsonl');
    const r1 = readAll(new JsonlTail(missing)).res;
    assert.equal(r1.error, 'file not found');
    assert.equal(r1.reset, false);
    assert.equal(r1.records, 0);
    const r2 = await new JsonlTail(missing).read(() => undefined);
    assert.equal(r2.error, 'file not found');
  });

  it('a directory is an error result', () => {
    const r = readAll(new JsonlTail(tmp)).res;
    assert.equal(r.error, 'not a regular file');
  });
});

describe('JsonlTail huge lines', () => {
  const TEN_MB = 10 * 1024 * 1024;
  let bigFile: string;
  let bigLine: string;
  before(() => {
    // {"big":"xxx…"} is 10 MiB long in total
    bigLine = '{"big":"' + 'x'.repeat(TEN_MB - 10) + '"}';
    bigFile = tmpFile(bigLine + '\n{"after": 1}\n');
  });

  it('accepts a 10 MB line under the default 64 MiB limit', () => {
    const { recs, res } = readAll(new JsonlTail(bigFile), true);
    assert.equal(res.records, 2);
    assert.equal((recs[0].obj.big as string).length, TEN_MB - 10);
    assert.deepEqual(recs[1].obj, { after: 1 });
    assert.equal(recs[1].loc.offset, TEN_MB + 1);
  });

  it('skips a line over maxLineBytes, reports its size, and keeps the next line', () => {
    const { recs, res } = readAll(new JsonlTail(bigFile, { maxLineBytes: 1024 * 1024, chunkBytes: 64 * 1024 }), true);
    assert.deepEqual(recs.map((r) => [r.obj, r.loc.line]), [[{ after: 1 }, 2]]);
    assert.equal(res.malformed.length, 1);
    assert.equal(res.malformed[0].line, 1);
    assert.equal(res.malformed[0].reason, `line too long: ${TEN_MB} bytes (limit ${1024 * 1024}); skipped`);
  });

  it('a too-long line in one chunk is also rejected', () => {
    const f = tmpFile('{"a": "' + 'y'.repeat(50) + '"}\n{"b": 1}\n');
    const { recs, res } = readAll(new JsonlTail(f, { maxLineBytes: 20 }), true);
    assert.deepEqual(recs.map((r) => r.obj), [{ b: 1 }]);
    assert.equal(res.malformed[0].reason, 'line too long: 59 bytes (limit 20); skipped');
  });

  it('a too-long line written across several appends is skipped once, then the tail continues', () => {
    const f = tmpFile('{"a": 1}\n');
    const tail = new JsonlTail(f, { maxLineBytes: 100, chunkBytes: 32 });
    assert.equal(readAll(tail).res.records, 1);
    fs.appendFileSync(f, '{"long": "' + 'z'.repeat(150));
    const mid = readAll(tail).res;
    assert.equal(mid.records, 0);
    assert.deepEqual(mid.malformed, []);
    assert.equal(mid.pendingBytes, 160);
    fs.appendFileSync(f, 'z'.repeat(40) + '"}\n{"b": 2}\n');
    const { recs, res } = readAll(tail);
    assert.deepEqual(res.malformed, [{ file: f, line: 2, reason: 'line too long: 202 bytes (limit 100); skipped' }]);
    assert.deepEqual(recs.map((r) => [r.obj, r.loc.line]), [[{ b: 2 }, 3]]);
    assert.equal(res.reset, false);
  });
});

describe('JsonlTail live tail', () => {
  it('a partial last line is held back, then yields exactly one record when completed', () => {
    const f = tmpFile('{"a": 1}\n{"b": ');
    const tail = new JsonlTail(f);
    const r1 = readAll(tail);
    assert.deepEqual(r1.recs.map((r) => r.obj), [{ a: 1 }]);
    assert.deepEqual(r1.res.malformed, []);
    assert.equal(r1.res.pendingBytes, 6);
    assert.equal(tail.offset, 9);
    fs.appendFileSync(f, '2}\n');
    const r2 = readAll(tail);
    assert.deepEqual(r2.recs, [{ obj: { b: 2 }, loc: { file: f, line: 2, offset: 9 } }]);
    assert.deepEqual(r2.res.malformed, []);
    assert.equal(r2.res.reset, false);
    assert.equal(r2.res.bytesRead, 9);
  });

  it('final accepts a valid last line without a newline', () => {
    const f = tmpFile('{"a": 1}\n{"b": 2}');
    const tail = new JsonlTail(f);
    assert.equal(readAll(tail).res.records, 1);
    const fin = readAll(tail, true);
    assert.deepEqual(fin.recs.map((r) => [r.obj, r.loc.line]), [[{ b: 2 }, 2]]);
    assert.deepEqual(fin.res.malformed, []);
  });

  it('appends across several reads produce every line exactly once', async () => {
    const f = tmpFile();
    const tail = new JsonlTail(f, { chunkBytes: 16 });
    const seen: number[] = [];
    const onRecord = (o: Record<string, unknown>, loc: SourceLoc): void => {
      assert.equal(loc.line, o.i);
      seen.push(o.i as number);
    };
    let i = 1;
    for (let round = 0; round < 5; round++) {
      let chunk = '';
      for (let k = 0; k <= round; k++) chunk += JSON.stringify({ i: i++, pad: 'p'.repeat(round * 7) }) + '\n';
      fs.appendFileSync(f, chunk);
      const res = round % 2 ? await tail.read(onRecord) : tail.readSync(onRecord);
      assert.equal(res.reset, false);
      assert.equal(res.records, round + 1);
    }
    assert.deepEqual(seen, Array.from({ length: 15 }, (_, k) => k + 1));
    assert.equal(tail.lineNo, 15);
  });

  it('truncation: the file shrinks below the offset → reset and re-read from the start', () => {
    const f = tmpFile('{"a": 1}\n{"a": 2}\n{"a": 3}\n');
    const tail = new JsonlTail(f);
    assert.equal(readAll(tail).res.records, 3);
    fs.truncateSync(f, 0);
    fs.appendFileSync(f, '{"x": 1}\n');
    const { recs, res } = readAll(tail);
    assert.equal(res.reset, true);
    assert.deepEqual(recs, [{ obj: { x: 1 }, loc: { file: f, line: 1, offset: 0 } }]);
    assert.equal(res.bytesRead, 9);
    // and tails normally afterwards
    fs.appendFileSync(f, '{"x": 2}\n');
    const next = readAll(tail);
    assert.equal(next.res.reset, false);
    assert.deepEqual(next.recs.map((r) => [r.obj, r.loc.line]), [[{ x: 2 }, 2]]);
  });

  it('rewritten in place and longer than before (same inode) → reset when the old line end moved', () => {
    const f = tmpFile('{"a": 1}\n');
    const tail = new JsonlTail(f);
    assert.equal(readAll(tail).res.records, 1);
    fs.writeFileSync(f, '{"rewritten": true}\n{"b": 2}\n');
    const { recs, res } = readAll(tail);
    assert.equal(res.reset, true);
    assert.deepEqual(recs.map((r) => r.obj), [{ rewritten: true }, { b: 2 }]);
  });

  it('replacement: rename + recreate (new inode) → reset even when the new file is longer', () => {
    const f = tmpFile('{"old": 1}\n');
    const tail = new JsonlTail(f);
    assert.equal(readAll(tail).res.records, 1);
    fs.renameSync(f, f + '.1');
    fs.writeFileSync(f, '{"new": 1}\n{"new": 2}\n{"new": 3}\n');
    const { recs, res } = readAll(tail);
    assert.equal(res.reset, true);
    assert.deepEqual(recs.map((r) => r.obj.new), [1, 2, 3]);
    assert.equal(recs[0].loc.line, 1);
  });

  it('a file that disappears reports an error and resumes with a reset when it comes back', () => {
    const f = tmpFile('{"a": 1}\n');
    const tail = new JsonlTail(f);
    assert.equal(readAll(tail).res.records, 1);
    fs.renameSync(f, f + '.gone');
    assert.equal(readAll(tail).res.error, 'file not found');
    fs.writeFileSync(f, '{"a": 2}\n');
    const back = readAll(tail);
    assert.equal(back.res.reset, true);
    assert.deepEqual(back.recs.map((r) => r.obj), [{ a: 2 }]);
  });

  it('overlapping read() calls are queued: every line once, in order', async () => {
    const f = tmpFile('{"i": 1}\n{"i": 2}\n');
    const tail = new JsonlTail(f, { chunkBytes: 16 });
    const seen: unknown[] = [];
    const on = (o: Record<string, unknown>): void => void seen.push(o.i);
    const p1 = tail.read(on);
    fs.appendFileSync(f, '{"i": 3}\n');
    const p2 = tail.read(on);
    const [r1, r2] = await Promise.all([p1, p2]);
    assert.equal(r1.records + r2.records, 3);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('an exception from onRecord propagates; the next read starts at that line again', () => {
    const f = tmpFile('{"i": 1}\n{"i": 2}\n{"i": 3}\n');
    const tail = new JsonlTail(f);
    const seen: unknown[] = [];
    assert.throws(
      () =>
        tail.readSync((o) => {
          if (o.i === 2) throw new Error('consumer bug');
          seen.push(o.i);
        }),
      /consumer bug/,
    );
    assert.equal(tail.offset, 9);
    assert.equal(tail.lineNo, 1);
    const { recs } = readAll(tail);
    assert.deepEqual(recs.map((r) => [r.obj.i, r.loc.line]), [[2, 2], [3, 3]]);
    assert.deepEqual(seen, [1]);
  });

  it('restart() re-reads from the start without reporting a reset', () => {
    const f = tmpFile('{"a": 1}\n');
    const tail = new JsonlTail(f);
    readAll(tail);
    tail.restart();
    const { res } = readAll(tail);
    assert.equal(res.reset, false);
    assert.equal(res.records, 1);
  });
});

describe('JsonlTail property: split appends read the same as one read', () => {
  const text = (a: fc.Arbitrary<string>): fc.Arbitrary<Buffer> => a.map((t) => Buffer.from(t, 'utf8'));
  const lineArb: fc.Arbitrary<Buffer> = fc.oneof(
    { weight: 6, arbitrary: text(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).map((o) => JSON.stringify(o))) },
    { weight: 1, arbitrary: text(fc.constantFrom('', '   ', '[1,2]', '{"x": NaN}', '{"x": -Infinity}', '{broken', '"s"', '{"u": "ü€𝄞"}')) },
    { weight: 1, arbitrary: text(fc.string({ maxLength: 12 })) },
    // raw bytes: invalid UTF-8, stray \r, a BOM...
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u.filter((b) => b !== 0x0a))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }).map((u) => Buffer.concat([Buffer.from('{"b": "'), Buffer.from(u.filter((b) => b >= 0x80)), Buffer.from('"}')])) },
  );
  const caseArb = fc.record({
    lines: fc.array(lineArb, { maxLength: 12 }),
    crlf: fc.boolean(),
    trailingNewline: fc.boolean(),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
    chunkBytes: fc.constantFrom(16, 37, 4096),
    maxLineBytes: fc.constantFrom(24, 1 << 20),
  });

  it('holds for random lines and random byte boundaries', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const nl = c.crlf ? '\r\n' : '\n';
        const parts: Buffer[] = [];
        c.lines.forEach((l, k) => {
          if (k > 0) parts.push(Buffer.from(nl));
          parts.push(l);
        });
        if (c.trailingNewline && c.lines.length) parts.push(Buffer.from(nl));
        const bytes = Buffer.concat(parts);
        const opts = { chunkBytes: c.chunkBytes, maxLineBytes: c.maxLineBytes };

        const whole = tmpFile(bytes);
        const one = readAll(new JsonlTail(whole, opts), true);

        const f = tmpFile();
        const tail = new JsonlTail(f, opts);
        const recs: Rec[] = [];
        const malformed: Malformed[] = [];
        const warnings: Malformed[] = [];
        const points = [...new Set(c.cuts.map((x) => (bytes.length ? x % (bytes.length + 1) : 0)))].sort((a, b) => a - b);
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          fs.appendFileSync(f, bytes.subarray(prev, p));
          prev = p;
          const res = tail.readSync((obj, loc) => recs.push({ obj, loc: { ...loc, file: whole } }), {
            final: p === bytes.length,
          });
          assert.equal(res.reset, false);
          malformed.push(...res.malformed.map((m) => ({ ...m, file: whole })));
          warnings.push(...res.warnings.map((m) => ({ ...m, file: whole })));
        }
        assert.deepEqual(recs, one.recs);
        assert.deepEqual(malformed, one.res.malformed);
        assert.deepEqual(warnings, one.res.warnings);
        fs.rmSync(whole);
        fs.rmSync(f);
      }),
      { numRuns: 150 },
    );
  });
});
