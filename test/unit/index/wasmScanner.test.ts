// The index's WebAssembly line scanner (issue 15; wasm/scanner, src/core/read/index/wasmScanner.ts)
// against the JS path it stands in for: for every line it accepts, JSON.parse accepts it and the
// JS path gives the same record; every other line is the JS path's, so whole scans are equal.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { KIND_LIGHT, scanRange, type ScanBatch, type ScanSummary } from '../../../src/core/read/index/scan';
import { openScanner, scannerTotals, SCAN_DONE, SCAN_UNSURE, type WasmScanner } from '../../../src/core/read/index/wasmScanner';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { ensureBenchData } from '../../../bench/gen';
import { workspaceDigest } from '../../support/plainModel';
import { records, withScanner, type Rec } from '../../support/scanRecords';
import { canonicalLine, lineMayHoldSecret, pruneLine } from '../../../src/core/read/secretHint';

/** The module as it ships (npm run build copies wasm/scanner/scanner.wasm there). */
const WASM = path.resolve('dist/scanner.wasm');
const WORKER = path.resolve('dist/indexWorker.js');
const LATER = Date.UTC(2030, 0, 1);

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-wasm-'));
}

interface Scan {
  recs: Rec[];
  malformed: unknown[];
  warnings: unknown[];
  summary: ScanSummary;
  /** Lines the module read itself (0 for the JS path). */
  read: number;
}

async function scanFile(file: string, mode: string, opts: { batchRecords?: number; chunkBytes?: number; maxLineBytes?: number; final?: boolean } = {}): Promise<Scan> {
  return withScanner(mode, async () => {
    const before = scannerTotals.read;
    const batches: ScanBatch[] = [];
    const size = fs.statSync(file).size;
    const summary = await scanRange({ file, start: 0, end: size, final: opts.final ?? true, ...opts }, (b) => batches.push(b));
    return { ...records(batches), summary, read: scannerTotals.read - before };
  });
}

/** Both paths over one file: equal results; returns how many lines the module read. */
async function sameBothWays(file: string, opts: Parameters<typeof scanFile>[2] = {}, what = file): Promise<number> {
  const js = await scanFile(file, 'js', opts);
  const wasm = await scanFile(file, WASM, opts);
  assert.equal(js.read, 0);
  assert.deepEqual(wasm.summary, js.summary, `${what}: summary`);
  assert.deepEqual(wasm.malformed, js.malformed, `${what}: malformed`);
  assert.deepEqual(wasm.warnings, js.warnings, `${what}: warnings`);
  assert.equal(wasm.recs.length, js.recs.length, `${what}: records`);
  for (let i = 0; i < js.recs.length; i++) assert.deepEqual(wasm.recs[i], js.recs[i], `${what}: record ${i} (line ${String(js.recs[i].line)})`);
  return wasm.read;
}

let direct: WasmScanner | undefined;

/** The module's own verdict on one line: its record, or 'unsure' (handed back to JSON.parse; or blank). */
function verdict(line: Buffer): Rec | 'unsure' {
  if (!direct) direct = withEnv(WASM, () => openScanner(4, 1 << 20));
  const w = direct as WasmScanner;
  assert.ok(line.length + 1 <= w.input.length);
  line.copy(w.input, 0);
  w.input[line.length] = 10;
  const st = w.scan(0, line.length + 1, 0, 0, 0, 64 * 1024 * 1024);
  if (st === SCAN_DONE && w.n === 0) {
    assert.equal(line.length, 0, 'only a blank line gives no record');
    w.take();
    return 'unsure';
  }
  if (st === SCAN_UNSURE) {
    assert.equal(w.pos, 0);
    assert.equal(w.end, line.length);
    w.take();
    return 'unsure';
  }
  assert.equal(st, SCAN_DONE);
  assert.equal(w.n, 1);
  const c = w.columns;
  const strings = w.take();
  const s = (k: number): string | undefined => (k < 0 ? undefined : strings[k]);
  return {
    offset: c.offset[0], len: c.len[0], line: c.line[0], sub: c.sub[0], kind: c.kind[0], type: s(c.type[0]), run: s(c.run[0]), flow: s(c.flow[0]),
    flowId: s(c.flowId[0]), parent: s(c.parent[0]), step: s(c.step[0]), failureClass: s(c.failureClass[0]), tags: s(c.tags[0]), corr: s(c.corr[0]),
    ts: c.ts[0], dur: c.dur[0], sev: c.sev[0],
  };
}

function withEnv<T>(mode: string, f: () => T): T {
  const before = process.env.FLOWLENS_INDEX_SCANNER;
  process.env.FLOWLENS_INDEX_SCANNER = mode;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
    else process.env.FLOWLENS_INDEX_SCANNER = before;
  }
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const cat = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? b(p) : Buffer.from(p))));

const BASE = {
  v: 1, event_type: 'checkpoint', run_id: 'r1', timestamp: '2026-11-16T14:00:00.036000Z', flow: 'data/fetch', flow_id: 'f-0000001',
  parent_flow_id: 'f-0000000', step: 'request', tags: ['AAPL'], correlation: { ticker: 'AAPL', date: '2026-11-16', n: 3 }, duration_ms: 47,
  severity: 'Warn', failure_class: 'DATA.EMPTY', evidence: { rows: [1, 2.5, { x: null }], note: 'é "quoted" \\ back' }, file: 'x.py', line: 7,
};
/** Python's json.dumps separators, as flowscribe writes (bench/gen.ts pyDumps). */
function py(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return '[' + v.map(py).join(', ') + ']';
  return '{' + Object.entries(v as Rec).filter(([, x]) => x !== undefined).map(([k, x]) => JSON.stringify(k) + ': ' + py(x)).join(', ') + '}';
}
const with_ = (o: Rec): string => py({ ...BASE, ...o });
const without = (...keys: string[]): string => py(Object.fromEntries(Object.entries(BASE).filter(([k]) => !keys.includes(k))));

/** Lines the module must read itself (canonical v1 events in their usual forms). */
const SURE: [string, Buffer][] = [
  ['python separators', b(py(BASE))],
  ['compact', b(JSON.stringify(BASE))],
  ['tabs and spaces around tokens', b('{ "v" :1 ,\t"event_type":\t"x" , "run_id" : "r" }  \t')],
  ['minimal', b('{"v":1,"event_type":"log"}')],
  ['no timestamp', b(without('timestamp'))],
  ['timestamp null', b(with_({ timestamp: null }))],
  ['timestamp an object', b(with_({ timestamp: { a: 1 } }))],
  ['timestamp +02:00', b(with_({ timestamp: '2026-11-16T14:00:00.123456+02:00' }))],
  ['timestamp -0530', b(with_({ timestamp: '2026-11-16T14:00:00-0530' }))],
  ['timestamp +05', b(with_({ timestamp: '2026-11-16T14:00:00.5+05' }))],
  ['timestamp -00:00', b(with_({ timestamp: '2026-11-16T00:00:00-00:00' }))],
  ['timestamp no fraction', b(with_({ timestamp: '2026-11-16T14:00:00Z' }))],
  ['timestamp naive', b(with_({ timestamp: '2026-11-16T14:00:00.25' }))],
  ['timestamp 9 digits', b(with_({ timestamp: '2026-11-16T14:00:00.123456789Z' }))],
  ['timestamp comma', b(with_({ timestamp: '2026-11-16T14:00:00,5Z' }))],
  ['timestamp space, z', b(with_({ timestamp: '2026-11-16 14:00:00.000001z' }))],
  ['timestamp 1 digit fraction', b(with_({ timestamp: '1999-12-31T23:59:59.9Z' }))],
  ['timestamp leap day', b(with_({ timestamp: '2024-02-29T12:00:00.000Z' }))],
  ['timestamp year 0000', b(with_({ timestamp: '0000-03-01T00:00:00.000Z' }))],
  ['timestamp year 0000 Jan', b(with_({ timestamp: '0000-01-01T00:00:00Z' }))],
  ['timestamp year 0001 Jan', b(with_({ timestamp: '0001-01-01T00:00:00.999999Z' }))],
  ['timestamp year 9999', b(with_({ timestamp: '9999-12-31T23:59:59.999999Z' }))],
  ['timestamp 1969', b(with_({ timestamp: '1969-12-31T23:59:59.999Z' }))],
  // the usual form (6 digits, Z) is read 8 bytes at a time
  ...['000000', '000001', '999999', '100000', '010203', '090807', '500000'].map((f): [string, Buffer] => [`timestamp .${f}Z`, b(with_({ timestamp: `2026-11-16T14:00:00.${f}Z` }))]),
  ['timestamp 1969 6 digits', b(with_({ timestamp: '1969-12-31T23:59:59.999999Z' }))],
  ['timestamp 5 digits', b(with_({ timestamp: '2026-11-16T14:00:00.12345Z' }))],
  ['timestamp 7 digits', b(with_({ timestamp: '2026-11-16T14:00:00.1234567Z' }))],
  ['tags string', b(with_({ tags: ' a, b ,,c ,' }))],
  ['tags empty string', b(with_({ tags: '' }))],
  ['tags []', b(with_({ tags: [] }))],
  ['tags booleans', b(with_({ tags: [true, 'x', false] }))],
  ['tags with null', b(with_({ tags: [null, 'a'] }))],
  ['tags with object', b(with_({ tags: ['a', { b: 1 }] }))],
  ['tags object', b(with_({ tags: { a: 1 } }))],
  ['tags null', b(with_({ tags: null }))],
  ['tags several', b(with_({ tags: ['mode:bench', 'AAPL', 'é', ''] }))],
  ['correlation null', b(with_({ correlation: null }))],
  ['correlation []', b(with_({ correlation: [1, 2] }))],
  ['correlation string', b(with_({ correlation: 'x' }))],
  ['correlation {}', b(with_({ correlation: {} }))],
  ['correlation nested', b(with_({ correlation: { a: { b: [1, 'x', true, null, -5, 0, [], {}] }, c: 'é€😀' } }))],
  ['correlation __proto__', b('{"v":1,"event_type":"x","correlation":{"__proto__":{"a":1},"b":2}}')],
  ['correlation 15-digit integer', b(with_({ correlation: { n: 123456789012345, m: -999999999999999 } }))],
  ['duration 0.5', b(with_({ duration_ms: 0.5 }))],
  ['duration -0', b('{"v":1,"event_type":"x","duration_ms":-0}')],
  ['duration -0.0', b('{"v":1,"event_type":"x","duration_ms":-0.0}')],
  ['duration 1e3', b('{"v":1,"event_type":"x","duration_ms":1e3}')],
  ['duration 1.25E-2', b('{"v":1,"event_type":"x","duration_ms":1.25E-2}')],
  ['duration 0.1', b('{"v":1,"event_type":"x","duration_ms":0.1}')],
  ['duration 12.345678901234', b('{"v":1,"event_type":"x","duration_ms":12.345678901234}')],
  ['duration 999999999999999', b('{"v":1,"event_type":"x","duration_ms":999999999999999}')],
  ['duration 3e22', b('{"v":1,"event_type":"x","duration_ms":3e22}')],
  ['duration 7e-22', b('{"v":1,"event_type":"x","duration_ms":7e-22}')],
  ['duration a string', b(with_({ duration_ms: '47' }))],
  ['duration null', b(with_({ duration_ms: null }))],
  ['severity " ERROR "', b(with_({ severity: ' ERROR ' }))],
  ['severity fatal', b(with_({ severity: 'fatal' }))],
  ['severity notice', b(with_({ severity: 'NoTiCe' }))],
  ['severity trace', b(with_({ severity: 'trace' }))],
  ['severity crit', b(with_({ severity: 'crit' }))],
  ['severity err', b(with_({ severity: 'err' }))],
  ['severity warning', b(with_({ severity: 'warning' }))],
  ['severity debug', b(with_({ severity: 'debug' }))],
  ['severity info', b(with_({ severity: 'info' }))],
  ['severity critical', b(with_({ severity: 'critical' }))],
  ['severity unknown', b(with_({ severity: 'nope' }))],
  ['severity empty', b(with_({ severity: '' }))],
  ['severity a number', b(with_({ severity: 5 }))],
  ['severity null', b(with_({ severity: null }))],
  ['flow a number', b(with_({ flow: 5 }))],
  ['flow null', b(with_({ flow: null }))],
  ['failure_class a number', b(with_({ failure_class: 3 }))],
  ['run_id null', b(with_({ run_id: null }))],
  ['run_id true', b(with_({ run_id: true }))],
  ['flow_id an object', b(with_({ flow_id: { a: 1 } }))],
  ['step an array', b(with_({ step: ['a'] }))],
  ['empty ids', b(with_({ run_id: '', flow_id: '', parent_flow_id: '', step: '', flow: '' }))],
  ['non-ASCII flow', b(with_({ flow: 'données/é€/😀' }))],
  ['DEL and U+FFFD in strings', b(with_({ flow: 'a\u007fb\uFFFD', note: '\u2028\u2029' }))],
  ['duplicate non-field key', b('{"v":1,"event_type":"x","evidence":1,"evidence":{"a":2}}')],
  ['escapes outside the fields', b('{"v":1,"event_type":"x","evidence":"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t\\ud800","other":"\\uDBFF\\uDFFF"}')],
  ['nesting 59 deep elsewhere', b('{"v":1,"event_type":"x","e":' + '['.repeat(58) + ']'.repeat(58) + '}')],
  ['numbers elsewhere', b('{"v":1,"event_type":"x","a":[0,-0,1.5e300,1E-400,123456789012345678901234567890,-1.0e+2]}')],
  ['non-ASCII key elsewhere', b('{"v":1,"event_type":"x","ключ":"значение"}')],
  ['a long line', b(with_({ evidence: 'x'.repeat(200_000) }))],
];

/** Damaged and unusual lines: the module may hand any of them back; whatever it reads must be right. */
const DAMAGED: [string, Buffer][] = [];
{
  const add = (what: string, line: Buffer | string): number => DAMAGED.push([what, typeof line === 'string' ? b(line) : line]);
  const good = py(BASE);
  for (const cut of [1, 2, 5, 10, 30, 60, 100, good.length - 30, good.length - 2, good.length - 1]) add(`truncated at ${cut}`, good.slice(0, cut));
  add('trailing garbage', good + 'x');
  add('two objects', good + ' {}');
  add('trailing comma', '{"v":1,"event_type":"x",}');
  add('missing colon', '{"v":1,"event_type" "x"}');
  add('missing comma', '{"v":1 "event_type":"x"}');
  add('single quotes', "{'v':1,'event_type':'x'}");
  add('unquoted key', '{v:1,"event_type":"x"}');
  for (const n of ['01', '1.', '.5', '+1', '-', '1e', '1e+', '-01', '0x10', '1.5.2', '--1'])
    add(`bad number ${n}`, `{"v":1,"event_type":"x","duration_ms":${n}}`);
  for (const n of ['01', '1.', '.5', '-'])
    add(`bad number ${n} elsewhere`, `{"v":1,"event_type":"x","e":[${n}]}`);
  for (const l of ['tru', 'nul', 'fals', 'True', 'NULL', 'nulll', 'truex'])
    add(`bad literal ${l}`, `{"v":1,"event_type":"x","e":${l}}`);
  add('NaN', '{"v":1,"event_type":"x","duration_ms":NaN}');
  add('Infinity elsewhere', '{"v":1,"event_type":"x","e":[Infinity,-Infinity]}');
  for (const e of ['\\x', '\\u12G4', '\\u12', '\\U0041', '\\', '\\a', "\\'"])
    add(`bad escape ${e}`, `{"v":1,"event_type":"x","e":"a${e}b"}`);
  add('escape in flow', '{"v":1,"event_type":"x","flow":"a\\/b"}');
  add('escape in run_id', '{"v":1,"event_type":"x","run_id":"\\u0072"}');
  add('escape in event_type', '{"v":1,"event_type":"\\u0073ession_start","run_id":"r"}');
  add('escape in tags', '{"v":1,"event_type":"x","tags":["a\\u0001b"]}');
  add('escape in correlation', '{"v":1,"event_type":"x","correlation":{"a":"\\u00e9"}}');
  add('escape in a correlation key', '{"v":1,"event_type":"x","correlation":{"\\u0061":1}}');
  add('escape in timestamp', '{"v":1,"event_type":"x","timestamp":"2026-11-16T14:00:00\\u002e5Z"}');
  add('escape in severity', '{"v":1,"event_type":"x","severity":"\\u0065rror"}');
  add('alias key by escape', '{"v":1,"event_type":"x","flo\\u0077":"a"}');
  add('v by escape', '{"\\u0076":1,"event_type":"x"}');
  add('lone surrogate escape in flow', '{"v":1,"event_type":"x","flow":"\\ud800"}');
  const bad: [string, number[]][] = [
    ['lone continuation', [0x80]], ['C0 overlong', [0xc0, 0xaf]], ['C1 overlong', [0xc1, 0xbf]], ['E0 overlong', [0xe0, 0x80, 0xaf]],
    ['surrogate ED A0 80', [0xed, 0xa0, 0x80]], ['surrogate ED BF BF', [0xed, 0xbf, 0xbf]], ['F0 overlong', [0xf0, 0x80, 0x80, 0xaf]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]], ['F5', [0xf5, 0x80, 0x80, 0x80]], ['FF', [0xff]], ['truncated 2-byte', [0xc3]],
    ['truncated 3-byte', [0xe2, 0x82]], ['truncated 4-byte', [0xf0, 0x9f, 0x98]], ['bad continuation', [0xc3, 0x28]],
  ];
  for (const [what, bytes] of bad) {
    add(`invalid UTF-8 (${what}) in flow`, cat('{"v":1,"event_type":"x","flow":"a', bytes, 'b"}'));
    add(`invalid UTF-8 (${what}) elsewhere`, cat('{"v":1,"event_type":"x","e":"a', bytes, '"}'));
    add(`invalid UTF-8 (${what}) in a key`, cat('{"v":1,"event_type":"x","k', bytes, '":1}'));
    add(`invalid UTF-8 (${what}) at the end`, cat('{"v":1,"event_type":"x","e":"', bytes));
  }
  add('valid 4-byte at the limit U+10FFFF', cat('{"v":1,"event_type":"x","flow":"', [0xf4, 0x8f, 0xbf, 0xbf], '"}'));
  add('raw bytes outside strings', cat('{"v":1,"event_type":"x",', [0xc3, 0xa9], ':1}'));
  for (const c of [0x00, 0x01, 0x09, 0x0d, 0x1f]) add(`control 0x${c.toString(16)} in a string`, cat('{"v":1,"event_type":"x","flow":"a', [c], 'b"}'));
  add('CR at the end', good + '\r');
  add('CR in the middle', '{"v":1,\r"event_type":"x"}');
  add('form feed as space', '{"v":1,\f"event_type":"x"}');
  add('NBSP as space', cat('{"v":1,', [0xc2, 0xa0], '"event_type":"x"}'));
  add('BOM', cat([0xef, 0xbb, 0xbf], good));
  add('leading space', ' ' + good);
  add('whitespace only', '  \t ');
  add('empty', '');
  for (const l of ['[1, 2]', '"string"', '123', 'null', 'true', '{}', '{"v":1}', '{"event_type":"x"}'])
    add(`not an event: ${l}`, l);
  add('deep 61', '{"v":1,"event_type":"x","e":' + '['.repeat(61) + ']'.repeat(61) + '}');
  add('deep 100 objects', '{"v":1,"event_type":"x","e":' + '{"a":'.repeat(100) + '1' + '}'.repeat(100) + '}');
  add('deep 10000', '{"v":1,"event_type":"x","e":' + '['.repeat(10000) + ']'.repeat(10000) + '}');
  add('deep correlation 70', '{"v":1,"event_type":"x","correlation":' + '{"a":'.repeat(70) + '1' + '}'.repeat(70) + '}');
  add('unbalanced', '{"v":1,"event_type":"x","e":[1,2}');
  add('unbalanced 2', '{"v":1,"event_type":"x","e":{"a":1]}');
  for (const k of ['v', 'event_type', 'run_id', 'flow', 'flow_id', 'parent_flow_id', 'step', 'failure_class', 'tags', 'correlation', 'duration_ms', 'severity', 'timestamp'])
    add(`duplicate ${k}`, `{"v":1,"event_type":"x","${k}":"1","${k}":"2"}`);
  add('duplicate key in correlation', '{"v":1,"event_type":"x","correlation":{"a":1,"b":2,"a":3}}');
  add('duplicate nested key in correlation', '{"v":1,"event_type":"x","correlation":{"a":{"b":1,"b":2}}}');
  add('same key in sibling correlation objects', '{"v":1,"event_type":"x","correlation":{"a":{"b":1},"c":{"b":2},"b":3}}');
  add('index key in correlation', '{"v":1,"event_type":"x","correlation":{"b":1,"0":2,"12":3}}');
  add('index-like key 01 in correlation', '{"v":1,"event_type":"x","correlation":{"b":1,"01":2}}');
  add('many keys in correlation', '{"v":1,"event_type":"x","correlation":{' + Array.from({ length: 80 }, (_, i) => `"k${i}":${i}`).join(',') + '}}');
  add('whitespace in correlation', '{"v":1,"event_type":"x","correlation": { "a" : [ 1 , 2 ] , "b" : { } } }');
  for (const n of ['-0', '1.5', '1e2', '1E2', '1.0', '1234567890123456', '-1234567890123456', '0.1'])
    add(`number ${n} in correlation`, `{"v":1,"event_type":"x","correlation":{"a":${n}}}`);
  for (const k of ['run_id', 'flow_id', 'parent_flow_id', 'step'])
    for (const n of ['7', '-1', '1.5', '-0', '1e2', '123456789012345678'])
      add(`number ${k} ${n}`, `{"v":1,"event_type":"x","${k}":${n}}`);
  add('number tag', '{"v":1,"event_type":"x","tags":[1,"a"]}');
  add('number tag after null', '{"v":1,"event_type":"x","tags":[null,1]}');
  add('number tags', '{"v":1,"event_type":"x","tags":5}');
  for (const n of ['1e400', '-1e400', '123456789012345678', '1e23', '0.1e-30', '4.9e-324', '1.7976931348623157e308', '9007199254740993', '0.30000000000000004'])
    add(`duration ${n}`, `{"v":1,"event_type":"x","duration_ms":${n}}`);
  for (const ts of [
    '2026-02-30T00:00:00Z', '2026-11-16', '2026-11-16T25:00:00Z', '2026-11-16T14:60:00Z', '2026-11-16T14:00:60Z', '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z', '2026-11-00T00:00:00Z', '2025-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '1763632800', '1763632800.5',
    '2026-11-16T14:00:00.1234567891Z', '2026-11-16T14:00:00.Z', '+002026-11-16T14:00:00Z', '2026-11-16T14:00:00+24:00', '2026-11-16T14:00:00+23:60',
    '2026-11-16T14:00:00 Z', '2026-11-16T14:00:00Z ', ' 2026-11-16T14:00:00Z', '2026-11-16t14:00:00Z', '2026-11-16T14:00', '2026-11-16T14:00:00+0', '2026-11-16T14:00:00+01:', '2026-11-16T14:00:00+01:0',
    '2026-11-16T14:00:00+01:000', '2026-11-16T14:00:00+1', '2026-11-16T14:00:00ZZ', '2026-11-16T14:00:00.5+01:00Z', '275760-09-14T00:00:00.001Z', '2026-11-16X14:00:00Z',
    '', 'now', '2026/11/16 14:00:00', '2026-11-16T14:00:00.123456789+01:00', '2026-1-16T14:00:00Z',
    // not digits where the usual form has them
    '2026-11-16T14:00:00.12a456Z', '2026-11-16T14:00:00.12:456Z', '2026-11-16T14:00:00.12/456Z', '2026-11-16T14:00:00.12345?Z', '2026-11-16T14:00:00. 23456Z',
    '2026-11-16T14:00:00.123456X', '2026-11-16T14:00:00,12345 Z', '2026-11-16T14:00:00.\u00b23456Z',
  ])
    add(`timestamp ${JSON.stringify(ts)}`, `{"v":1,"event_type":"x","timestamp":${JSON.stringify(ts)}}`);
  for (const n of ['1763632800', '1763632800123', '1e16', '-1e17', '0', '1.5', 'true', '[]'])
    add(`timestamp ${n}`, `{"v":1,"event_type":"x","timestamp":${n}}`);
  for (const v of ['2', '"1"', '1.0', '1e0', '10', 'null', '-1', '01'])
    add(`v ${v}`, `{"v":${v},"event_type":"x","run_id":"r"}`);
  add('no v, v1 by its fields', '{"event_type":"x","run_id":"r","timestamp":"2026-11-16T14:00:00Z"}');
  add('flowscribe 0.1', '{"event_type":"flow_start","flow_id":"f","step":"s","evidence":{},"timestamp":"2026-11-16T14:00:00"}');
  add('envelope', '{"event_type":"x","version":1,"timestamp":"2026-11-16T14:00:00Z","payload":{}}');
  add('session_start', '{"v":1,"event_type":"session_start","run_id":"r","timestamp":"2026-11-16T14:00:00Z","app":"a"}');
  add('session_end', '{"v":1,"event_type":"session_end","run_id":"r","status":"ok"}');
  add('session_starts', '{"v":1,"event_type":"session_starts","run_id":"r"}');
  add('session_en', '{"v":1,"event_type":"session_en","run_id":"r"}');
  for (const k of ['type', 'ts', 'time', 'session_id', 'flow_name', 'parent', 'class', 'error_class', 'latency_ms', 'elapsed_ms'])
    add(`alias ${k}`, `{"v":1,"event_type":"x","${k}":"a"}`);
  add('alias type alone', '{"v":1,"type":"checkpoint","run_id":"r"}');
  add('event_type empty', '{"v":1,"event_type":"","run_id":"r"}');
  add('event_type missing', '{"v":1,"run_id":"r"}');
  add('event_type a number', '{"v":1,"event_type":5,"run_id":"r"}');
  add('event_type null', '{"v":1,"event_type":null,"run_id":"r"}');
  add('severity NBSP', cat('{"v":1,"event_type":"x","severity":"', [0xc2, 0xa0], 'error"}'));
  add('severity fullwidth', '{"v":1,"event_type":"x","severity":"ｅｒｒｏｒ"}');
  add('severity Kelvin', '{"v":1,"event_type":"x","severity":"\u212Arit"}');
  add('severity tab escape', '{"v":1,"event_type":"x","severity":"\\terror"}');
  add('tags string non-ASCII', '{"v":1,"event_type":"x","tags":"a,\u00a0b, é"}');
  add('tags string escape', '{"v":1,"event_type":"x","tags":"a,\\tb"}');
  add('tags array of arrays', '{"v":1,"event_type":"x","tags":[["a"]]}');
  add('tags unterminated', '{"v":1,"event_type":"x","tags":["a",]}');
  add('tags missing comma', '{"v":1,"event_type":"x","tags":["a" "b"]}');
  add('flow too long for the table', with_({ flow: 'f'.repeat(70_000) }));
  add('many tags', with_({ tags: Array.from({ length: 20_000 }, (_, i) => `tag-${i}`) }));
}

describe('index: the WebAssembly line scanner (issue 15)', function () {
  this.timeout(120000);

  before(() => {
    assert.ok(fs.existsSync(WASM), `${WASM} is missing: npm run build copies it from wasm/scanner/scanner.wasm`);
  });

  it('reads every canonical line itself, with the record the JS path gives', async () => {
    const root = tmpdir();
    try {
      for (const [what, line] of SURE) {
        const v = verdict(line);
        assert.notEqual(v, 'unsure', `${what}: the scanner should read it`);
        const file = path.join(root, 'one.jsonl');
        fs.writeFileSync(file, Buffer.concat([line, b('\n')]));
        const js = await scanFile(file, 'js');
        assert.deepEqual(js.malformed, [], what);
        assert.deepEqual(js.warnings, [], what);
        assert.equal(js.recs.length, 1, what);
        assert.deepEqual(v, js.recs[0], what);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a damaged-line corpus: whatever the scanner reads, JSON.parse accepts and the JS path reads the same; whole scans are equal', async () => {
    const root = tmpdir();
    try {
      let read = 0;
      for (const [what, line] of DAMAGED) {
        const v = verdict(line);
        const file = path.join(root, 'one.jsonl');
        fs.writeFileSync(file, Buffer.concat([line, b('\n')]));
        if (v !== 'unsure') {
          read++;
          const js = await scanFile(file, 'js');
          assert.deepEqual(js.malformed, [], `${what}: the scanner read a line JSON.parse rejects`);
          assert.deepEqual(js.warnings, [], `${what}: the scanner read a line the JS path warns about`);
          assert.equal(js.recs.length, 1, what);
          assert.deepEqual(v, js.recs[0], what);
        }
        await sameBothWays(file, {}, what);
      }
      // The corpus as one file (BOM first: only there is it one), in both paths.
      const all = path.join(root, 'all.jsonl');
      const lines = [cat([0xef, 0xbb, 0xbf], py(BASE)), ...SURE.map((x) => x[1]), ...DAMAGED.map((x) => x[1])];
      fs.writeFileSync(all, Buffer.concat(lines.flatMap((l) => [l, b('\n')])));
      const n = await sameBothWays(all, {}, 'the whole corpus');
      assert.ok(n >= SURE.length, `the scanner read ${n} lines of the corpus`);
      // Some damaged lines are fine JSON the scanner is sure about (valid U+10FFFF, whitespace...).
      assert.ok(read > 0 && read < DAMAGED.length / 4, `the scanner read ${read} of ${DAMAGED.length} damaged lines`);
      // Small batches, a small input (lines longer than it go through the JS buffer and back),
      // a small line limit, and a file cut off without a newline.
      await sameBothWays(all, { batchRecords: 3, chunkBytes: 4096 }, 'small batches and chunks');
      await sameBothWays(all, { maxLineBytes: 150 }, 'line limit 150');
      await sameBothWays(all, { chunkBytes: 64, maxLineBytes: 100_000 }, 'chunk 64');
      const cut = path.join(root, 'cut.jsonl');
      fs.writeFileSync(cut, Buffer.concat([...lines.slice(0, 40).flatMap((l) => [l, b('\n')]), b(py(BASE))]));
      for (const final of [true, false]) await sameBothWays(cut, { final }, `cut off, final ${final}`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a stretch of lines it hands back goes to the JS path alone, and the scanner takes over again after it', async () => {
    const root = tmpdir();
    try {
      const file = path.join(root, 'mixed.jsonl');
      const other = (i: number): string => JSON.stringify({ event_type: 'log', run_id: 'r', flow_id: `f-${i}`, timestamp: '2026-11-16T14:00:00Z' }); // v1 by its fields, no "v"
      const v1 = (i: number): string => JSON.stringify({ v: 1, event_type: 'log', run_id: 'r', flow_id: `f-${i}`, timestamp: '2026-11-16T14:00:00Z' });
      const lines = [...Array.from({ length: 3000 }, (_, i) => other(i)), ...Array.from({ length: 3000 }, (_, i) => v1(i)), ...Array.from({ length: 500 }, (_, i) => other(i))];
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const before = scannerTotals.handedBack;
      const read = await sameBothWays(file, { chunkBytes: 4096, batchRecords: 50 }, 'mixed');
      const handedBack = scannerTotals.handedBack - before;
      assert.ok(read > 2000, `the scanner read ${read} of the 3000 v1 lines`);
      assert.ok(handedBack < 1000, `it handed back ${handedBack} of the 3500 other lines (the rest went to the JS path directly)`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('property: v1-like lines with random mutations, no disagreement with the JS path', async () => {
    const root = tmpdir();
    const file = path.join(root, 'p.jsonl');
    let read = 0;
    let clean = 0;
    try {
      const chars = fc.constantFrom('a', 'Z', '0', ' ', ',', ':', '"', '\\', '/', '{', '}', '[', ']', '-', '.', 'é', '€', '😀', '\u2028', '\u0001', '\t', '\uFFFD', '\ud800');
      const odd = fc.array(chars, { maxLength: 8 }).map((a) => a.join(''));
      const str = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('a', 'run-1', 'données', 'x y', '', 'AAPL', 'f-0000001') }, { weight: 1, arbitrary: odd });
      /** Mostly the usual values, sometimes anything. */
      const usually = <T, U>(a: fc.Arbitrary<T>, b: fc.Arbitrary<U>): fc.Arbitrary<T | U> => fc.oneof({ weight: 8, arbitrary: a }, { weight: 1, arbitrary: b });
      const num = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ noNaN: true }), fc.constantFrom(0, -0, 1e21, 5e-324, 0.1, 123456789012345, 2 ** 53 + 2));
      const scalar = fc.oneof(str, num, fc.boolean(), fc.constant(null));
      const json = fc.letrec((tie) => ({
        v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(str, tie('v'), { maxKeys: 3 })),
      })).v;
      const ts = fc.oneof(
        fc.integer({ min: -62135596800000, max: 253402300799999 }).map((ms) => new Date(ms).toISOString()),
        fc.integer({ min: 0, max: 4e12 }).map((ms) => new Date(ms).toISOString().replace('Z', '000Z')),
        fc.integer({ min: 0, max: 4e12 }).map((ms) => new Date(ms).toISOString().replace('Z', '+05:30')),
        fc.constantFrom('2026-02-29T00:00:00Z', '2026-11-16', 'x', '2026-11-16T14:00:00.1234567891Z'),
        num,
        json,
      );
      const field = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 3 });
      const event = fc.record({
        v: usually(fc.constant(1), json),
        event_type: usually(fc.constantFrom('flow_start', 'checkpoint', 'success', 'failure', 'session_start', 'session_end', ''), json),
        run_id: field(usually(fc.constantFrom('r1', 'r2'), fc.oneof(str, num))),
        timestamp: field(usually(ts, json)),
        flow: field(usually(fc.constantFrom('a/b', 'données'), fc.oneof(str, num))),
        flow_id: field(usually(fc.constantFrom('f-1', 'f-2', 'f-3'), fc.oneof(str, num))),
        parent_flow_id: field(usually(fc.constantFrom('f-1', 'f-2'), str)),
        step: field(usually(str, fc.oneof(num, json))),
        failure_class: field(usually(fc.constantFrom('DATA.EMPTY'), fc.oneof(str, json))),
        tags: field(usually(fc.array(usually(str, fc.oneof(fc.boolean(), fc.integer())), { maxLength: 3 }), fc.oneof(str, json))),
        correlation: field(usually(fc.dictionary(str, scalar, { maxKeys: 4 }), json)),
        duration_ms: field(usually(num, json)),
        severity: field(usually(fc.constantFrom('error', ' Warn ', 'FATAL', 'x'), fc.oneof(str, json))),
        evidence: field(json),
        file: field(usually(str, json)),
        function: field(usually(str, num)),
        thread: field(str),
        line: field(usually(num, json)),
        type: fc.oneof({ weight: 20, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant('checkpoint') }),
      }, { requiredKeys: ['v', 'event_type'] });
      const mutation = fc.oneof(
        { weight: 6, arbitrary: fc.constant({ kind: 'none' as const, at: 0, byte: 0 }) },
        { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('flip' as const, 'insert' as const, 'delete' as const, 'cut' as const, 'dup' as const), at: fc.nat(), byte: fc.nat(255) }) },
      );
      const mutate = (line: Buffer, m: { kind: string; at: number; byte: number }): Buffer => {
        if (m.kind === 'none' || line.length === 0) return line;
        const at = m.at % line.length;
        if (m.kind === 'flip') return Buffer.concat([line.subarray(0, at), Buffer.from([m.byte === 10 ? 32 : m.byte]), line.subarray(at + 1)]);
        if (m.kind === 'insert') return Buffer.concat([line.subarray(0, at), Buffer.from([m.byte === 10 ? 0x5c : m.byte]), line.subarray(at)]);
        if (m.kind === 'delete') return Buffer.concat([line.subarray(0, at), line.subarray(at + 1)]);
        if (m.kind === 'cut') return line.subarray(0, at);
        // a duplicate member: the text after the first comma again, before the closing brace
        const c = line.indexOf(44);
        return c < 0 ? line : Buffer.concat([line.subarray(0, line.length - 1), Buffer.from(','), line.subarray(c + 1)]);
      };
      const style = fc.constantFrom('py', 'compact');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(event, style, mutation), { minLength: 1, maxLength: 25 }), async (evs) => {
          const lines = evs.map(([e, st, m]) => {
            const text = st === 'py' ? py(e) : JSON.stringify(e);
            if (m.kind === 'none') clean++;
            return mutate(Buffer.from(text, 'utf8'), m);
          });
          fs.writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, b('\n')])));
          read += await sameBothWays(file, { batchRecords: 7 }, 'property');
        }),
        { numRuns: 150, seed: 1729 },
      );
      // The property would hold for a scanner that reads nothing: it must have read lines.
      assert.ok(read > clean / 10, `the scanner read ${read} lines (${clean} unmutated)`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a thread reuses its scanner for the next scan of the same shape, also after a scan that stopped mid-batch', async () => {
    const root = tmpdir();
    try {
      const a = withEnv(WASM, () => openScanner(16, 4096)) as WasmScanner;
      a.release();
      assert.equal(withEnv(WASM, () => openScanner(16, 4096)), a, 'the released scanner is reused');
      assert.notEqual(withEnv(WASM, () => openScanner(16, 4096)), a, 'a scanner in use is not handed out twice');
      a.release();
      assert.notEqual(withEnv(WASM, () => openScanner(16, 8192)), a, 'another input size: a new one');
      const file = path.join(root, 'a.jsonl');
      fs.writeFileSync(file, Array.from({ length: 40 }, (_, i) => with_({ flow_id: `f-${i}`, step: `s${i % 7}` })).join('\n') + '\n');
      // A scan whose consumer throws at its second batch leaves a batch half made ...
      await assert.rejects(
        withScanner(WASM, async () => {
          let k = 0;
          await scanRange({ file, start: 0, end: fs.statSync(file).size, final: true, batchRecords: 16 }, () => {
            if (++k === 2) throw new Error('stop');
          });
        }),
        /stop/,
      );
      // ... and the next scans (the same shape: the same scanner) are still the JS path's.
      const other = path.join(root, 'b.jsonl');
      fs.writeFileSync(other, Array.from({ length: 40 }, (_, i) => with_({ flow_id: `g-${i}`, run_id: `r${i % 3}` })).join('\n') + '\n');
      assert.equal(await sameBothWays(other, { batchRecords: 16 }, 'after a stopped scan'), 40);
      assert.equal(await sameBothWays(file, { batchRecords: 16 }, 'again'), 40);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('the clean-line fast path (quote bitmap, 32-byte blocks): an odd byte at every position of a block, line ends at block boundaries, input ending mid-block', async () => {
    // The scanner looks at each line 32 bytes at a time first: a line with no `\\`, control
    // or non-ASCII byte before its newline has its strings' ends found from a quote bitmap;
    // any other line, and any string past the bitmap's reach, takes the byte-checking path.
    const root = tmpdir();
    try {
      const lines: Buffer[] = [];
      /** Sure lines: each must be read by the module itself, with the JS path's record. */
      const sure: Buffer[] = [];
      const odd: [string, string, boolean][] = [
        // what, its text inside a JSON string, whether the line stays one the module reads when it is in a skipped field
        ['escape', '\\n', true],
        ['escaped quote', '\\"', true],
        ['unicode escape', '\\u00e9', true],
        ['non-ASCII', 'é', true],
        ['4-byte UTF-8', '😀', true],
        ['raw tab', '\t', false],
        ['raw control', '\u0001', false],
        ['DEL', '\u007f', true],
      ];
      for (let pad = 0; pad < 70; pad++) {
        const a = 'a'.repeat(pad);
        // plain lines whose strings end at every offset of a block (and past 56 bytes: the bitmap's reach)
        for (const longer of [0, 60, 130]) {
          const l = b(`{"v": 1, "event_type": "x${a}", "flow": "${'f'.repeat(longer)}${a}", "step": "s", "note": "${a}${'n'.repeat(longer)}"}`);
          lines.push(l);
          sure.push(l);
        }
        for (const [, text, skippedOk] of odd) {
          // in a field the scanner skips, and in a light field (where an escape sends the line to JSON.parse)
          const skipped = b(`{"v": 1, "event_type": "x", "note": "${a}${text}b", "flow": "${a}z"}`);
          lines.push(skipped);
          if (skippedOk) sure.push(skipped);
          lines.push(b(`{"v": 1, "event_type": "x", "flow": "${a}${text}", "step": "${a}"}`));
          lines.push(b(`{"v": 1, "${a}${text}": 1, "event_type": "x"}`));
        }
        // a string left open at the line's end: the next line's quotes must not close it
        lines.push(b(`{"v": 1, "event_type": "x", "note": "${a}`));
        lines.push(b(`{"v": 1, "event_type": "x", "flow": "${a}", "step": "`));
      }
      // newlines at and around the block boundaries (line lengths 29..100)
      for (let len = 29; len <= 100; len++) {
        const head = '{"v": 1, "event_type": "x", "flow": "';
        const l = b(head + 'q'.repeat(Math.max(0, len - head.length - 2)) + '"}');
        lines.push(l);
        sure.push(l);
      }
      for (const l of sure) assert.notEqual(verdict(l), 'unsure', `the scanner should read ${l.toString()}`);
      for (const l of lines) {
        const v = verdict(l);
        if (v === 'unsure') continue;
        const file = path.join(root, 'one.jsonl');
        fs.writeFileSync(file, Buffer.concat([l, b('\n')]));
        const js = await scanFile(file, 'js');
        assert.deepEqual(js.malformed, [], `the scanner read a line JSON.parse rejects: ${l.toString()}`);
        assert.deepEqual(js.warnings, [], l.toString());
        assert.deepEqual(v, js.recs[0], l.toString());
      }
      const file = path.join(root, 'blocks.jsonl');
      fs.writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, b('\n')])));
      const read = await sameBothWays(file, {}, 'blocks');
      assert.ok(read >= sure.length, `the scanner read ${read} lines`);
      // Small inputs: lines end at and near the input region's end, the stale bytes after them differ.
      for (const chunkBytes of [97, 128, 200, 333, 1024]) await sameBothWays(file, { chunkBytes, batchRecords: 5 }, `blocks, chunk ${chunkBytes}`);
      // The file ends mid-block without a newline.
      for (let cut = 1; cut < 40; cut += 3) {
        const f = path.join(root, 'cut.jsonl');
        fs.writeFileSync(f, Buffer.concat([...lines.slice(0, 20).flatMap((l) => [l, b('\n')]), sure[sure.length - 1].subarray(0, sure[sure.length - 1].length - cut)]));
        for (const final of [true, false]) await sameBothWays(f, { final }, `cut ${cut}, final ${final}`);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('index: secret hints from the WebAssembly scanner (secretHint.ts prefilter)', function () {
  this.timeout(60000);

  async function hinted(file: string, mode: string, batchRecords?: number): Promise<ScanBatch[]> {
    return withScanner(mode, async () => {
      const batches: ScanBatch[] = [];
      await scanRange({ file, start: 0, end: fs.statSync(file).size, final: true, hints: true, batchRecords }, (x) => batches.push(x));
      return batches;
    });
  }

  it('each line it reads gets the prefilter verdict, pruned by its canonical form; the lines JSON.parse reads get 1 (the caller decides); no hints without it', async () => {
    const root = tmpdir();
    try {
      const file = path.join(root, 'h.jsonl');
      const secretish = [
        with_({ evidence: { password: 'x' } }), with_({ evidence: { api_key: '***' } }), with_({ step: 'Pass' }), with_({ evidence: ['mysql', '-pX'] }),
        with_({ reason: 'see https://x' }), with_({ flow: 'é' }), with_({ evidence: { 'a.t.o.k.e.n': 1 } }), with_({ evidence: { tok_en: 1 } }),
      ];
      // A word at every place of a long line (the scanner reads a line of 64+ bytes as two chains,
      // the first going on into the second half), in lines of several lengths.
      for (const word of ['pass_word', 'ApI.kEy', '-p', '-P', 'tok-en', 'sig', 'pw']) {
        for (let k = 0; k <= 120; k += 3) secretish.push(py({ v: 1, event_type: 'x', evidence: 'y'.repeat(k) + word + 'z'.repeat(120 - k) }));
        for (const n of [230, 333, 600]) for (let k = 0; k <= n; k += word.length > 3 ? 1 : 2) secretish.push(py({ v: 1, event_type: 'x', evidence: 'y'.repeat(k) + word + 'z'.repeat(n - k) }));
        // In file, function and thread values (events carry them on every line), beside clean ones.
        for (const key of ['file', 'function', 'thread']) {
          for (let k = 0; k <= 70; k += 7) secretish.push(py({ v: 1, event_type: 'x', file: 'a.py', [key]: 'y'.repeat(k) + word + 'z'.repeat(70 - k), line: 3, thread: 'T' }));
        }
      }
      const lines = [...SURE.map((x) => x[1]), ...secretish.map(b), ...DAMAGED.map((x) => x[1])];
      const bytes = Buffer.concat(lines.flatMap((l) => [l, b('\n')]));
      fs.writeFileSync(file, bytes);
      let zeros = 0;
      let pruned = 0;
      let scannerRead = 0;
      for (const batch of await hinted(file, WASM, 5)) {
        const hint = batch.hint;
        assert.ok(hint !== undefined && hint.length === batch.n);
        for (let i = 0; i < batch.n; i++) {
          const s = batch.offset[i];
          const e = s + batch.len[i];
          const may = lineMayHoldSecret(bytes, s, e);
          const h: number = hint[i];
          if (h === 0) zeros++;
          if (batch.line[i] <= SURE.length + secretish.length) {
            // The scanner reads these lines itself: the prefilter's verdict, and a flagged line
            // with a canonical form (secretHint.ts canonLine) is pruned as pruneLine prunes it —
            // or left to the caller (1) once the scan's table of canonical forms is full.
            scannerRead++;
            const canonical = may && canonicalLine(bytes.toString('latin1', s, e)) !== undefined;
            const want = !may ? '' : canonical ? pruneLine(bytes, s, e, s) : undefined;
            if (h !== 1 || !may) assert.equal(h, want === undefined ? 1 : want === '' ? 0 : 2, `line ${batch.line[i]}`);
            if (h === 2) {
              pruned++;
              assert.equal(batch.strings[(batch.hintText as Int32Array)[i]], want, `line ${batch.line[i]}: its pruned text`);
            }
          } else {
            assert.ok(h === 1 || !may, `line ${batch.line[i]}: hint 0 for a line the prefilter flags`);
            if (batch.kind[i] !== KIND_LIGHT) assert.equal(h, 1);
          }
        }
      }
      assert.equal(scannerRead, SURE.length + secretish.length);
      assert.ok(zeros >= 20, `${zeros} clean lines`);
      assert.ok(pruned >= 100, `${pruned} lines pruned by the scanner`);
      for (const batch of await hinted(file, 'js')) assert.equal(batch.hint, undefined, 'the JS path leaves hints to the caller');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
  it('a line\'s light members are not read again for its hint: a word in a light value flags every line holding that value (its verdict kept per string), one between or around them still flags its line', async () => {
    const root = tmpdir();
    try {
      // Every member of CLEAN is clean, so a line's verdict comes from the one value changed.
      const CLEAN = {
        v: 1, event_type: 'checkpoint', run_id: 'r1', timestamp: '2026-11-16T14:00:00.036000Z', flow: 'data/fetch', flow_id: 'f-0000001',
        parent_flow_id: 'f-0000000', step: 'request', tags: ['AAPL'], duration_ms: 47, failure_class: 'DATA.EMPTY', file: 'x.py', line: 7,
      };
      // [line, what the prefilter says of it]
      const cases: [string, boolean][] = [
        [py(CLEAN), false],
        [JSON.stringify(CLEAN), false],
        [py({ ...CLEAN, timestamp: '2026-11-16 14:00:00+05:00', duration_ms: -1.5e-3 }), false],
        [py({ ...CLEAN, step: 'ok-' }), false], // `-` before the value's closing quote: not `-p`
        [py({ ...CLEAN, evidence: { note: 'x-' }, flow: 'p' }), false], // `-` before a gap's end, `p` after it
        [py({ ...CLEAN, evidence: { api_key: 'k' } }), true], // a word between light members
        [py({ v: 1, password: 'a', event_type: 'x' }), true], // between the first two
        [py({ ...CLEAN, thread: 'https://u:hunter2@db/x' }), true], // after the last one
        [py({ ...CLEAN, line: 1e21, function: 'f', thread: 'T' }), false], // `line` a number with an exponent (1e+21)
        [py({ ...CLEAN, line: 'x', file: 7, function: ['auth'] }), true], // file, function and line with other values
        [py({ ...CLEAN, file: 'a\\b' }), true], // an escape: the string is read by the automaton (its backslash flags the line)
      ];
      const values: [string, boolean][] = [
        ['auth/login', true], ['https://u:hunter2secret@db.example/x', true], ['password=hunter2hunter2', true], ['mysql -phunter2', true],
        ['Tok.en', true], ['é', true], ['plain', false], ['a-b', false],
      ];
      // The light fields, and file, function and thread (read by the automaton, between them).
      for (const field of ['event_type', 'run_id', 'flow', 'flow_id', 'parent_flow_id', 'step', 'failure_class', 'file', 'function', 'thread']) {
        for (const [value, flagged] of values) {
          // Twice (the second time from the batch's remembered verdict), then a clean line, then once more.
          const line = py({ ...CLEAN, [field]: value });
          cases.push([line, flagged], [line, flagged], [py(CLEAN), false], [line, flagged]);
        }
      }
      const file = path.join(root, 'light.jsonl');
      const bytes = Buffer.concat(cases.flatMap(([l]) => [b(l), b('\n')]));
      fs.writeFileSync(file, bytes);
      // The scanner's hint as the model gives it: 0 when the prefilter clears the line or its pruned
      // form is empty, 2 with a pruned form, 1 (the caller prunes) for a line without a canonical form.
      const want = (s: number, e: number): number => {
        if (!lineMayHoldSecret(bytes, s, e)) return 0;
        if (canonicalLine(bytes.toString('latin1', s, e)) === undefined) return 1;
        return pruneLine(bytes, s, e, s) === '' ? 0 : 2;
      };
      for (const batchRecords of [5, 1000]) {
        const seen = [0, 0, 0];
        let read = 0;
        for (const batch of await hinted(file, WASM, batchRecords)) {
          const hint = batch.hint as Uint8Array;
          for (let i = 0; i < batch.n; i++) {
            assert.equal(batch.kind[i], KIND_LIGHT, `line ${batch.line[i]} is read by the scanner`);
            const [text, flagged] = cases[batch.line[i] - 1];
            const s = batch.offset[i];
            const e = s + batch.len[i];
            assert.equal(lineMayHoldSecret(bytes, s, e), flagged, `the prefilter on ${text}`);
            const w = want(s, e);
            assert.equal(hint[i], w, `batches of ${batchRecords}: the hint of ${text}`);
            if (w === 2) assert.equal(batch.strings[(batch.hintText as Int32Array)[i]], pruneLine(bytes, s, e, s), `its pruned text: ${text}`);
            seen[w]++;
            read++;
          }
        }
        assert.equal(read, cases.length);
        // Flagged light values of the fields the walk reads are pruned to a text (2); `é` has no
        // canonical form (1); the rest is clean, or pruned to nothing (type, run id: 0).
        assert.ok(seen[2] >= 5 * 5 * 3 + 2 && seen[1] >= 10 * 3 && seen[0] >= 7 * 8, `hints 0/1/2: ${seen.join('/')}`);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('property: light values spelled from the words\' letters, separators and odd bytes get the hint the prefilter and pruning give (lines of many shapes, batches of many sizes)', async () => {
    const root = tmpdir();
    try {
      const file = path.join(root, 'p.jsonl');
      // Strings likely to hold a word, a part of one, or one spread over separators (`p.a_s-s`), `-p`, `://`, `%3a`.
      const piece = fc.constantFrom('pass', 'pa', 'ss', 'word', 'tok', 'en', 'auth', 'key', '=', '-', 'p', 'P', '_', '.', ' ', ':', '/', '//', '%3', 'a', 'd', 'sig', 'curl', 'x', '1', 'é', 'api', 'pw');
      const wordy = fc.array(piece, { maxLength: 6 }).map((a) => a.join(''));
      const light = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 2 });
      // file and function: wordy, or as events usually carry them.
      const hintOnly = fc.oneof({ weight: 1, arbitrary: wordy }, { weight: 2, arbitrary: fc.constantFrom('trader/data/fetcher.py', 'fetch_minute_candles', 'MainThread') });
      const event = fc.record({
        v: fc.constant(1),
        event_type: fc.oneof(fc.constant('checkpoint'), wordy.filter((x) => x !== '' && !x.startsWith('session_'))),
        run_id: light(wordy), timestamp: light(fc.constantFrom('2026-11-16T14:00:00.036000Z', '2026-11-16 14:00:00+05:00')), flow: light(wordy), flow_id: light(wordy),
        parent_flow_id: light(wordy), step: light(wordy), failure_class: light(wordy), duration_ms: light(fc.constantFrom(47, -1.5e-3, 0)),
        tags: light(fc.array(wordy, { maxLength: 2 })), correlation: light(fc.dictionary(wordy, wordy, { maxKeys: 2 })), severity: light(wordy),
        note: light(wordy), thread: light(wordy), file: light(hintOnly), function: light(hintOnly), line: light(fc.constantFrom(7, 0, 12.5, 1e21, -3, 'x')),
      }, { requiredKeys: ['v', 'event_type'] });
      const order = fc.array(fc.nat(), { minLength: 15, maxLength: 15 });
      let flaggedLight = 0;
      let clean = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(event, order, fc.constantFrom('py', 'compact', 'odd')), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 9 }), async (evs, batchRecords) => {
          const lines = evs.map(([e, o, style]) => {
            // The members in a shuffled order (light ones between and after the others).
            const entries = Object.entries(e).filter(([, x]) => x !== undefined);
            const keyed = entries.map((x, k) => [o[k % o.length] + k / 100, x] as const).sort((a, c) => a[0] - c[0]).map(([, x]) => x);
            if (style === 'odd') {
              // Other whitespace around the colons and commas (a tab, between a key and its value
              // only: a byte the prefilter flags, in a light member or another).
              const seps = [': ', ':', ' : ', ':\t', '\t:', ':  ', ' :'];
              const members = keyed.map(([k, x], j) => JSON.stringify(k) + seps[(o[j % o.length] + j) % seps.length] + JSON.stringify(x));
              return b('{' + members.map((m, j) => (j === 0 ? '' : j % 2 ? ', ' : ' ,') + m).join('') + '}');
            }
            const obj = Object.fromEntries(keyed);
            return b(style === 'compact' ? JSON.stringify(obj) : py(obj));
          });
          const bytes = Buffer.concat(lines.flatMap((l) => [l, b('\n')]));
          fs.writeFileSync(file, bytes);
          for (const batch of await hinted(file, WASM, batchRecords)) {
            const hint = batch.hint as Uint8Array;
            for (let i = 0; i < batch.n; i++) {
              if (batch.kind[i] !== KIND_LIGHT) continue;
              const s = batch.offset[i];
              const e = s + batch.len[i];
              const may = lineMayHoldSecret(bytes, s, e);
              const canonical = may && canonicalLine(bytes.toString('latin1', s, e)) !== undefined;
              const pruned = canonical ? pruneLine(bytes, s, e, s) : undefined;
              const want = !may ? 0 : !canonical ? 1 : pruned === '' ? 0 : 2;
              const h: number = hint[i];
              // A line the scanner left to JSON.parse (a key like "1", an escape, ...) gets 1: the caller decides.
              if (h === 1 && want !== 1) continue;
              if (want === 2 && !/"(note|thread|file|function|tags|correlation|severity)"/.test(pruned as string)) flaggedLight++;
              if (want === 0) clean++;
              assert.equal(h, want, bytes.toString('utf8', s, e));
              if (h === 2) assert.equal(batch.strings[(batch.hintText as Int32Array)[i]], pruned);
            }
          }
        }),
        { numRuns: 300, seed: 1729 },
      );
      // Lines flagged by a light value only (pruned to a text without the other members) were met,
      // and clean lines the scanner cleared.
      assert.ok(flaggedLight > 100 && clean > 100, `${flaggedLight} lines flagged by a light value, ${clean} cleared`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('index: the WebAssembly scanner gives the model and rollups of the plain read (issue 15 digest)', function () {
  this.timeout(300000);

  const digest = workspaceDigest;

  async function load(root: string, index: WorkspaceOptions['index'], mode: string): Promise<{ ws: TraceWorkspace; read: number }> {
    return withScanner(mode, async () => {
      const before = scannerTotals.read;
      const ws = new TraceWorkspace(root, { now: () => LATER, index });
      await ws.load();
      return { ws, read: scannerTotals.read - before };
    });
  }

  it('the bench generator\'s workspace (20k lines): plain read = JS index = WASM index (same thread and worker)', async () => {
    const dir = tmpdir();
    try {
      const { root, meta } = ensureBenchData(dir, 20000, 1729);
      const plain = await load(root, false, 'js');
      const want = digest(plain.ws);
      const js = await load(root, { minBytes: 0, workers: 0 }, 'js');
      assert.equal(js.read, 0);
      assert.deepEqual(digest(js.ws), want, 'JS index');
      const wasm = await load(root, { minBytes: 0, workers: 0, batchRecords: 1000 }, WASM);
      // All but the session lines (raw records) were read by the scanner.
      assert.equal(wasm.read, meta.lines - meta.runs.length * 2 + 1, 'lines the scanner read');
      assert.deepEqual(digest(wasm.ws), want, 'WASM index, same thread');
      assert.ok(fs.existsSync(WORKER), `${WORKER} is missing: npm run build`);
      // The worker finds dist/scanner.wasm next to it.
      const worker = await load(root, { minBytes: 0, workers: 1, workerScript: WORKER }, '');
      assert.deepEqual(digest(worker.ws), want, 'WASM index, worker');
      assert.ok(plain.ws.runs().length === meta.runs.length);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
