/**
 * Fuzzing the readers with seeded mutators (reproducible; docs/reliability.md):
 * - ≥ 10,000 mutated trace lines (bit flips, byte edits, truncation, deep nesting, huge strings,
 *   invalid UTF-8, wrong-typed values) from every dialect's fixtures, in files where known-good
 *   "sentinel" lines surround the bad ones, through JsonlTail (sync and async, small and large
 *   chunks) + detectDialect/normalizeEvent + RunBuilder, and a sample through TraceWorkspace:
 *   no exception, no hang (per-input time bound), every sentinel line still read.
 * - every key of every dialect given every wrong type, through normalizeEvent + RunBuilder.
 * - ≥ 1,000 mutated SQLite files (bit flips, truncation, zeroed pages, mutated/truncated -wal)
 *   from test/fixtures/stores and the demo-app run folders, through readStore.
 * `FLOWLENS_STRESS=1` multiplies the counts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { RunBuilder } from '../../../src/core/model/build';
import type { Dialect, Malformed } from '../../../src/core/model/types';
import { JsonlTail } from '../../../src/core/read/sources/jsonl';
import { detectDialect, normalizeEvent } from '../../../src/core/read/sources/normalize';
import { readStore } from '../../../src/core/read/sqlite/stores';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { FIXTURES, noHang, prng, randInt, size, startClock, tmpDir } from './helpers';

const PER_INPUT_MS = 2000;
const LINE_FILES = size(520, 2600); // × 20 mutated lines each
const LINES_PER_FILE = 20;
const DB_CASES = size(1000, 5000);

function readLines(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => {
      try {
        const v: unknown = JSON.parse(l);
        return typeof v === 'object' && v !== null && !Array.isArray(v);
      } catch {
        return false; // queue files may end with a cut-off line (§3)
      }
    });
}

function seedLines(): string[] {
  const files = [
    'demo-app/.autodev/trace.jsonl',
    'demo-app/runs/20261118T140000Z-a1c3/trace.jsonl',
    'demo-app/runs/20261122T140000Z-f5b0/trace.jsonl',
    'stores/telemetry_2026-11-20_080000/events.jsonl',
    'stores/.grain/telemetry_queue.jsonl',
    'stores/.assay/telemetry_queue.jsonl',
  ];
  const out: string[] = [];
  for (const f of files) out.push(...readLines(path.join(FIXTURES, f)).slice(0, 120));
  return out;
}

const WRONG_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  '',
  'x',
  '\u202e\u0000\u001b[31m',
  [],
  [1, 'a', null, { a: 1 }],
  {},
  { nested: { deeper: [1, 2, 3] } },
  'A'.repeat(100_000),
];

function deep(depth: number, obj: boolean): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = obj ? { k: v } : [v];
  return v;
}

/** Build a JSON text nested `depth` levels deep without recursion (JSON.stringify would recurse). */
function deepText(depth: number): string {
  return '['.repeat(depth) + '1' + ']'.repeat(depth);
}

/** One mutated line from a seed line (may contain anything but is kept to one line's worth). */
function mutateLine(r: () => number, seed: string): Buffer {
  const kind = randInt(r, 0, 11);
  let b = Buffer.from(seed, 'utf8');
  switch (kind) {
    case 0: {
      // bit flips
      const n = randInt(r, 1, 8);
      b = Buffer.from(b);
      for (let i = 0; i < n; i++) b[randInt(r, 0, b.length - 1)] ^= 1 << randInt(r, 0, 7);
      return b;
    }
    case 1:
      return b.subarray(0, randInt(r, 0, b.length - 1)); // truncation
    case 2: {
      // invalid UTF-8 inside and outside strings
      const bad = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xe2, 0x82])];
      const at = randInt(r, 0, b.length);
      return Buffer.concat([b.subarray(0, at), bad[randInt(r, 0, bad.length - 1)], b.subarray(at)]);
    }
    case 3: {
      // deep nesting as a value, as a line, or as an object chain
      const obj = JSON.parse(seed) as Record<string, unknown>;
      const d = randInt(r, 1, 3);
      if (d === 1) return Buffer.from(deepText(randInt(r, 1000, r() < 0.05 ? 100_000 : 10_000)));
      const keys = Object.keys(obj);
      const k = keys[randInt(r, 0, keys.length - 1)];
      const text = JSON.stringify({ ...obj, [k]: '__DEEP__' });
      const depth = randInt(r, 100, 20_000);
      const deepJson = d === 2 ? deepText(depth) : '{"k":'.repeat(depth) + '1' + '}'.repeat(depth);
      return Buffer.from(text.replace('"__DEEP__"', deepJson));
    }
    case 4: {
      // huge string in a random key
      const obj = JSON.parse(seed) as Record<string, unknown>;
      const keys = Object.keys(obj);
      obj[keys[randInt(r, 0, keys.length - 1)]] = 'Z'.repeat(randInt(r, 10_000, r() < 0.05 ? 2_000_000 : 200_000));
      return Buffer.from(JSON.stringify(obj));
    }
    case 5: {
      // wrong type for a random key
      const obj = JSON.parse(seed) as Record<string, unknown>;
      const keys = Object.keys(obj);
      obj[keys[randInt(r, 0, keys.length - 1)]] = WRONG_VALUES[randInt(r, 0, WRONG_VALUES.length - 2)];
      return Buffer.from(JSON.stringify(obj));
    }
    case 6: {
      // byte insertions / deletions of JSON punctuation
      const punct = '{}[]",:\\ntfe0-.';
      let s = b.toString('latin1');
      for (let i = randInt(r, 1, 5); i > 0; i--) {
        const at = randInt(r, 0, s.length);
        s = r() < 0.5 ? s.slice(0, at) + punct[randInt(r, 0, punct.length - 1)] + s.slice(at) : s.slice(0, at) + s.slice(at + 1);
      }
      return Buffer.from(s, 'latin1');
    }
    case 7:
      return Buffer.from(['null', '[]', '42', '"str"', 'true', '', '   ', '\r', '\ufeff{}', 'NaN', '{"a":NaN,"b":-Infinity}'][randInt(r, 0, 10)]);
    case 8: {
      // duplicate keys with conflicting types
      const obj = JSON.parse(seed) as Record<string, unknown>;
      const k = Object.keys(obj)[0];
      return Buffer.from(JSON.stringify(obj).replace(/}$/, `,"${k}":[{"x":1}]}`));
    }
    case 9: {
      // control characters, NUL and lone surrogates inside strings
      const obj = JSON.parse(seed) as Record<string, unknown>;
      for (const k of Object.keys(obj)) if (typeof obj[k] === 'string' && r() < 0.5) obj[k] = `${obj[k] as string}\u0000\u0007\ud800\u001b]8;;http://x\u0007`;
      return Buffer.from(JSON.stringify(obj));
    }
    case 10: {
      // the dialect marker changed: v1 ↔ 0.1 ↔ envelope ↔ esper shapes
      const obj = JSON.parse(seed) as Record<string, unknown>;
      const marks: Record<string, unknown>[] = [{ v: 2 }, { v: '1' }, { v: 1 }, { version: 99, payload: 7 }, { event_id: 5, seed_id: [] }, { run_id: {} }];
      return Buffer.from(JSON.stringify({ ...obj, ...marks[randInt(r, 0, marks.length - 1)] }));
    }
    default: {
      // random bytes
      const n = randInt(r, 1, 300);
      const out = Buffer.alloc(n);
      for (let i = 0; i < n; i++) out[i] = randInt(r, 0, 255);
      return out;
    }
  }
}

const sentinel = (file: number, i: number): string =>
  JSON.stringify({ v: 1, event_type: 'checkpoint', run_id: 'sentinel-run', timestamp: '2026-11-22T00:00:00Z', flow: 'fuzz/sentinel', flow_id: `s-${file}`, step: `s${i}`, sentinel: `${file}:${i}` });

function feed(builder: RunBuilder, obj: Record<string, unknown>, loc: { file: string; line: number }): void {
  const d: Dialect = detectDialect(obj) ?? 'generic';
  const ev = normalizeEvent(obj, d, loc);
  assert.ok(Array.isArray(ev.tags) && typeof ev.extra === 'object' && typeof ev.type === 'string');
  builder.add(ev, ev.runId ?? 'fuzz', loc.file);
}

describe('reliability: fuzzing', function () {
  this.timeout(600_000);
  let dir: string;
  before(() => {
    dir = tmpDir('flowlens-rel-fuzz-');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`${LINE_FILES * LINES_PER_FILE} mutated lines in ${LINE_FILES} files: no crash, no hang, good lines around bad ones all read`, async () => {
    const seeds = seedLines();
    const r = prng(20261122);
    let mutated = 0;
    let malformedTotal = 0;
    let viaWorkspace = 0;
    for (let f = 0; f < LINE_FILES; f++) {
      const parts: Buffer[] = [];
      const sentinels = new Set<string>();
      for (let i = 0; i < LINES_PER_FILE; i++) {
        parts.push(Buffer.from(sentinel(f, i) + '\n'));
        sentinels.add(`${f}:${i}`);
        parts.push(mutateLine(r, seeds[randInt(r, 0, seeds.length - 1)]), Buffer.from(r() < 0.1 ? '\r\n' : '\n'));
        mutated++;
      }
      parts.push(Buffer.from(sentinel(f, LINES_PER_FILE) + '\n'));
      sentinels.add(`${f}:${LINES_PER_FILE}`);
      const file = path.join(dir, `f${f % 8}.jsonl`);
      fs.writeFileSync(file, Buffer.concat(parts));

      const t0 = startClock();
      const builder = new RunBuilder({ maxEventsPerRun: 10_000 });
      const got = new Set<string>();
      const tail = new JsonlTail(file, { chunkBytes: [16, 100, 4096, 1 << 20][f % 4], maxLineBytes: f % 3 === 0 ? 64 * 1024 : undefined });
      const onRecord = (obj: Record<string, unknown>, loc: { file: string; line: number }): void => {
        if (obj.run_id === 'sentinel-run' && typeof obj.sentinel === 'string') got.add(obj.sentinel);
        feed(builder, obj, loc);
      };
      const res = f % 2 === 0 ? tail.readSync(onRecord, { final: true }) : await tail.read(onRecord, { final: true });
      assert.equal(res.error, undefined);
      for (const m of res.malformed) assert.ok(m.line > 0 && m.reason.length > 0 && m.reason.length < 400, JSON.stringify(m).slice(0, 300));
      malformedTotal += res.malformed.length;
      builder.finish({ now: Date.parse('2026-11-22T01:00:00Z') });
      const missing = [...sentinels].filter((s) => !got.has(s));
      assert.deepEqual(missing, [], `file ${f}: good lines lost around bad ones`);
      const run = builder.getRun('sentinel-run');
      assert.ok(run && run.events.filter((e) => e.extra.sentinel !== undefined).length >= sentinels.size);

      if (f % 26 === 0) {
        // The same file as a workspace's rolling trace.
        const root = path.join(dir, `ws${f}`);
        fs.mkdirSync(path.join(root, '.autodev'), { recursive: true });
        fs.copyFileSync(file, path.join(root, '.autodev', 'trace.jsonl'));
        const ws = new TraceWorkspace(root, { final: true, now: () => Date.parse('2026-11-22T01:00:00Z') });
        await ws.load();
        const wr = ws.getRun('sentinel-run');
        assert.ok(wr, `file ${f}: sentinel run in the workspace`);
        const ids = new Set(wr.events.map((e) => e.extra.sentinel));
        assert.deepEqual([...sentinels].filter((s) => !ids.has(s)), [], `file ${f}: workspace lost good lines`);
        const mal: Malformed[] = ws.malformed();
        assert.ok(mal.every((m) => m.file.endsWith('trace.jsonl') && m.line > 0));
        fs.rmSync(root, { recursive: true, force: true });
        viaWorkspace++;
      }
      noHang(t0, `file ${f} (${LINES_PER_FILE} mutated lines)`, PER_INPUT_MS * LINES_PER_FILE);
    }
    assert.ok(mutated >= size(10_000, 50_000));
    assert.ok(malformedTotal > mutated / 10, `mutations were mostly rejected or kept: ${malformedTotal} malformed`);
    console.log(`      ${mutated} mutated lines, ${malformedTotal} reported malformed, ${viaWorkspace} files also through TraceWorkspace`);
  });

  it('every key of every dialect with every wrong type: normalizeEvent + RunBuilder never throw', () => {
    const seeds = seedLines().map((l) => JSON.parse(l) as Record<string, unknown>);
    // One object per dialect, with the union of keys seen in its fixtures and the documented aliases.
    const byDialect = new Map<string, Record<string, unknown>>();
    for (const o of seeds) {
      const d = detectDialect(o) ?? 'generic';
      byDialect.set(d, { ...(byDialect.get(d) ?? {}), ...o });
    }
    const aliases = ['type', 'session_id', 'ts', 'time', 'flow_name', 'parent_flow_id', 'parent', 'caused_by', 'correlation', 'func', 'thread', 'tags', 'severity', 'failure_class', 'class', 'error_class', 'reason', 'message', 'duration_ms', 'latency_ms', 'elapsed_ms', 'name', 'value', 'unit', 'exception', 'status', 'flows_started', 'flows_ended', 'app', 'mode', 'git_sha', 'host', 'pid', 'payload', 'version', 'source'];
    const values = [...WRONG_VALUES, deep(5000, true), deep(5000, false), NaN, Infinity, { stack: 'not-an-array' }, { stack: [null, 1, { line: 'x' }] }];
    let cases = 0;
    for (const [d, base] of byDialect) {
      const keys = new Set([...Object.keys(base), ...aliases]);
      const builder = new RunBuilder();
      for (const k of keys) {
        for (const v of values) {
          const obj = { ...base, [k]: v };
          const t0 = startClock();
          feed(builder, obj, { file: `${d}.jsonl`, line: ++cases });
          noHang(t0, `${d} key ${k}`);
        }
      }
      builder.finish({ now: Date.parse('2026-11-22T01:00:00Z') });
    }
    assert.ok(byDialect.size >= 4, `dialects: ${[...byDialect.keys()].join(', ')}`);
    assert.ok(cases > 1500, `${cases} cases`);
  });

  it('fast-check: arbitrary objects over the known keys never make normalizeEvent throw', () => {
    const keys = ['v', 'event_type', 'type', 'run_id', 'session_id', 'timestamp', 'ts', 'flow', 'flow_id', 'parent_flow_id', 'step', 'file', 'line', 'function', 'tags', 'severity', 'failure_class', 'reason', 'evidence', 'data', 'duration_ms', 'exception', 'version', 'payload', 'event_id', 'seed_id', 'message', 'metric', 'name', 'value', 'unit', '__proto__', 'constructor'];
    const builder = new RunBuilder();
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 12 }), fc.constantFrom<Dialect>('flowscribe-v1', 'flowscribe-0.1', 'envelope', 'esper', 'generic'), (obj, d) => {
        const ev = normalizeEvent(obj as Record<string, unknown>, detectDialect(obj) ?? d, { file: 'fc.jsonl', line: 1 });
        builder.add(ev, ev.runId ?? 'fc');
        return Array.isArray(ev.tags) && (ev.ts === undefined || Number.isFinite(ev.ts));
      }),
      { seed: 424242, numRuns: size(3000, 30000) },
    );
    builder.finish({ now: 0 });
  });

  it(`${DB_CASES} mutated SQLite files and -wal files through readStore: no exception, no hang, located problems`, async () => {
    const seedsDb = [
      'stores/pulse.db',
      'stores/sovereignty_metrics.db',
      'stores/brainstem.sqlite3',
      ...fs.readdirSync(path.join(FIXTURES, 'demo-app/runs')).map((d) => `demo-app/runs/${d}/trace.db`),
    ].map((p) => path.join(FIXTURES, p));
    const r = prng(777);
    const kinds = new Map<string, number>();
    let opened = 0;
    const dbDir = path.join(dir, 'db');
    fs.mkdirSync(dbDir);
    for (let i = 0; i < DB_CASES; i++) {
      const src = seedsDb[i % seedsDb.length];
      let bytes = Buffer.from(fs.readFileSync(src));
      let wal = fs.existsSync(src + '-wal') ? Buffer.from(fs.readFileSync(src + '-wal')) : undefined;
      const m = randInt(r, 0, 6);
      const target = wal && m >= 5 ? 'wal' : 'db';
      const flip = (b: Buffer, lo: number, hi: number, n: number): void => {
        for (let k = 0; k < n; k++) b[randInt(r, lo, Math.min(hi, b.length - 1))] ^= 1 << randInt(r, 0, 7);
      };
      if (target === 'wal' && wal) {
        if (m === 5) flip(wal, 0, wal.length - 1, randInt(r, 1, 16));
        else wal = wal.subarray(0, randInt(r, 0, wal.length - 1));
      } else if (m === 0) flip(bytes, 0, 99, randInt(r, 1, 4)); // header
      else if (m === 1) flip(bytes, 100, bytes.length - 1, randInt(r, 1, 32)); // pages
      else if (m === 2) bytes = bytes.subarray(0, randInt(r, 0, bytes.length - 1)); // truncation
      else if (m === 3) {
        const ps = bytes.readUInt16BE(16) || 4096;
        const page = randInt(r, 1, Math.max(1, Math.floor(bytes.length / ps) - 1));
        bytes.fill(randInt(r, 0, 1) ? 0 : 0xff, page * ps, Math.min(bytes.length, (page + 1) * ps));
      } else {
        flip(bytes, 0, bytes.length - 1, randInt(r, 64, 512)); // heavy damage
      }
      const name = path.join(dbDir, `case${i % 4}${path.extname(src)}`);
      fs.writeFileSync(name, bytes);
      if (wal) fs.writeFileSync(name + '-wal', wal);
      else fs.rmSync(name + '-wal', { force: true });
      const t0 = startClock();
      let report;
      try {
        report = await readStore(name, { includeEvents: true, retries: 0 });
      } catch (e) {
        assert.fail(`case ${i} (${path.basename(src)}, mutation ${m}): readStore threw ${(e as Error).stack}`);
      }
      noHang(t0, `case ${i} (${path.basename(src)}, mutation ${m})`);
      for (const p of report.problems) {
        assert.ok(p.message.includes(name), `problem names its file: ${p.message}`);
        kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
      }
      if (report.problems.length === 0) opened++;
      for (const mm of report.malformed ?? []) assert.ok(mm.file === name && mm.reason.length > 0);
    }
    console.log(`      ${DB_CASES} damaged stores: ${opened} read without problems; problems by kind ${JSON.stringify(Object.fromEntries(kinds))}`);
  });
});
