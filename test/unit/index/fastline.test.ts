import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { FastLine, emptyFastFields, type FastFields } from '../../../src/trace/index/fastline';
import { lightFields, scanRange, setFastLine, type ScanBatch } from '../../../src/trace/index/scan';
import { detectDialect } from '../../../src/trace/sources/normalize';
import { timestampProblem } from '../../../src/trace/time';
import { safeStringify } from '../../../src/trace/bounded';

/** What scan.ts stores for a line, by the reference path (JSON.parse + record() + lightFields); undefined = not light. */
function reference(line: string): FastFields | undefined {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  const type = o.event_type ?? o.type;
  if ((o.v !== 1 && detectDialect(o) !== 'flowscribe-v1') || type === 'session_start' || type === 'session_end') return undefined;
  const l = lightFields(o);
  if (l === undefined || l.type === 'session_start' || l.type === 'session_end') return undefined;
  // A timestamp out of the Date range is kept raw (the run builder records its located warning).
  if (l.ts === undefined && timestampProblem(o.timestamp ?? o.ts ?? o.time) !== undefined) return undefined;
  return {
    type: l.type, runId: l.runId, flow: l.flow, flowId: l.flowId, parentFlowId: l.parentFlowId, step: l.step,
    failureClass: l.failureClass, tags: l.tags.length === 0 ? undefined : l.tags.join('\u0001'),
    corr: l.correlation ? safeStringify(l.correlation) : undefined, ts: l.ts, durationMs: l.durationMs, severity: l.severity,
  };
}

const fl = new FastLine();
const out = emptyFastFields();

/** Runs the fast path on `line` alone (as one region) and in the middle of a region. */
function fast(line: string): FastFields | false {
  fl.reset(line + '\n');
  const a = fl.scan(0, line.length, out) ? { ...out } : false;
  const region = '{"x": 1}\n' + line + '\n{"y": 2}\n';
  fl.reset(region);
  const b = fl.scan(9, 9 + line.length, out) ? { ...out } : false;
  assert.deepEqual(b, a, 'same answer at another offset');
  return a;
}

function same(a: FastFields, b: FastFields): void {
  for (const k of Object.keys(b) as (keyof FastFields)[]) {
    assert.ok(Object.is(a[k], b[k]), `${k}: fast ${String(a[k])} vs reference ${String(b[k])}`);
  }
}

/** The property: the fast path says "not sure" or agrees with the reference exactly. */
function check(line: string): boolean {
  const f = fast(line);
  if (f === false) return false;
  const r = reference(line);
  assert.ok(r !== undefined, `fast path accepted a line the reference does not make light: ${line}`);
  same(f, r);
  return true;
}

const asciiStr = fc.string({ maxLength: 12 });
const anyStr = fc.oneof(asciiStr, fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('', 'a,b', ' x , ,y', 'AAPL', 'é"\\\n\t\u2028'));
const num = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, 1, 1.5, 1e21, 1e-7, 123456789012345, 1234567890123456789),
);
const scalar = fc.oneof(anyStr, num, fc.boolean(), fc.constant(null));
const nested = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(anyStr, tie('v'), { maxKeys: 3 })),
})).v;
const ts = fc.oneof(
  fc.constantFrom('2026-11-16T14:00:00.049000Z', '2026-11-16T14:00:00Z', '2026-11-16 14:00:00', '2026-11-16T14:00:00.1+02:00', '2026-02-30T00:00:00Z', 'garbage', ''),
  fc.integer({ min: 0, max: 2e12 }),
  fc.double({ noNaN: true }),
  // Out of the Date range (±8.64e15 ms): unreadable, never a time (issue 13 class 6).
  fc.constantFrom(1e16, -1e17, 8.64e15, 8.64e15 + 1, -8.64e15, -8.64e15 - 1, 8.64e12, 8.64e12 + 1, 1e300, '1e16', '-1e17', '275760-09-14T00:00:00.001Z', '+275760-09-13T00:00:00Z'),
  fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .tuple(fc.constantFrom('2026-11-16T14:00:00', '2026-11-16T14:00:01', '2026-02-30T00:00:00', '2026-11-16T24:00:00', '2026-11-16 14:00:00', '0099-01-01T00:00:00', '2026-1x-16T14:00:00'), fc.stringMatching(/^[0-9]{0,10}$/), fc.constantFrom('Z', 'z', '', '+01:00'))
    .map(([p, f, z]) => p + '.' + f + z),
);
const idVal = fc.oneof(asciiStr, fc.constantFrom('f-0000001', 'r1'), num, fc.constant(null), fc.constant([1]));
const tags = fc.oneof(
  fc.array(fc.oneof(asciiStr, num, fc.boolean()), { maxLength: 4 }),
  fc.array(scalar, { maxLength: 3 }),
  anyStr,
  fc.constant(null),
  fc.constant({ a: 1 }),
);
const corr = fc.oneof(fc.dictionary(anyStr, nested, { maxKeys: 4 }), fc.constant({ '2': 1, b: 'x', '1': [1.0] }), scalar, fc.array(scalar, { maxLength: 2 }));
const eventType = fc.oneof(fc.constantFrom('flow_start', 'checkpoint', 'success', 'failure', 'metric', 'session_start', 'session_end', ''), anyStr, num);

/** v1-like objects: every light field sometimes, aliases sometimes, other keys. */
const v1Object = fc
  .record(
    {
      v: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(2, '1', null, 1.5) }),
      event_type: eventType,
      run_id: idVal,
      timestamp: ts,
      flow: fc.oneof(fc.constantFrom('data/fetch/minute_candles', 'premarket/prepare'), anyStr, num),
      flow_id: idVal,
      parent_flow_id: idVal,
      step: idVal,
      failure_class: fc.oneof(fc.constantFrom('DATA.MISSING', 'SYSTEM.X'), anyStr, num),
      tags,
      correlation: corr,
      duration_ms: fc.oneof(num, anyStr, fc.constant(null)),
      severity: fc.oneof(fc.constantFrom('info', 'WARN', 'fatal', 'err', 'nope'), anyStr, num),
      evidence: nested,
      extra: nested,
      reason: anyStr,
      line: fc.integer({ min: 0, max: 2000 }),
      type: eventType,
      ts: ts,
      parent: idVal,
      error_class: anyStr,
      latency_ms: num,
      __proto__: scalar,
    },
    { requiredKeys: [] },
  )
  .map((o) => {
    // Aliases rarely, so most objects are light lines.
    const r: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (['type', 'ts', 'parent', 'error_class', 'latency_ms', '__proto__'].includes(k) && (JSON.stringify(v) ?? '').length % 5 !== 0) continue;
      Object.defineProperty(r, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return r;
  });

const plainStr = fc.string({ maxLength: 14 }).map((x) => x.replace(/[^\x20-\x7e]|["\\]/g, '_'));
/** Ordinary v1 lines: light strings are printable ASCII without escapes; the rest is anything. */
const plainV1 = fc
  .record(
    {
      event_type: fc.oneof(fc.constantFrom('flow_start', 'checkpoint', 'success', 'failure', 'metric'), plainStr),
      run_id: fc.oneof(plainStr, fc.integer()),
      timestamp: ts,
      flow: plainStr,
      flow_id: fc.oneof(plainStr, num),
      parent_flow_id: plainStr,
      step: plainStr,
      failure_class: plainStr,
      tags: fc.oneof(fc.array(fc.oneof(plainStr, num, fc.boolean()), { maxLength: 4 }), plainStr, fc.array(fc.oneof(plainStr, num), { maxLength: 2 }).map((a) => [...a, null, { x: '\u00e9' }])),
      correlation: fc.oneof(fc.dictionary(anyStr, nested, { maxKeys: 4 }), scalar),
      duration_ms: fc.oneof(num, anyStr),
      severity: fc.oneof(fc.constantFrom('info', 'WARN', 'fatal', 'nope'), plainStr),
      evidence: nested,
      data: nested,
      reason: anyStr,
    },
    { requiredKeys: [] },
  )
  .map((o) => ({ v: 1, ...o }));

/** Python json.dumps separators: ", " and ": " (outside strings). */
function pythonStyle(json: string): string {
  let out = '';
  let inStr = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    out += c;
    if (inStr) {
      if (c === '\\') out += json[++i];
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === ',' || c === ':') out += ' ';
  }
  return out;
}

/** Random JSON whitespace (space, tab, CR) around structural characters. */
function spaced(json: string, seed: number): string {
  const ws = [' ', '  ', '\t', '\r', ' \t '];
  let out = '';
  let inStr = false;
  let k = seed;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inStr) {
      out += c;
      if (c === '\\') out += json[++i];
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    k = (k * 1103515245 + 12345) & 0x7fffffff;
    const pre = k % 3 === 0 && '{}[],:"'.includes(c) ? ws[k % ws.length] : '';
    out += pre + c;
  }
  return out;
}

/** Escapes non-ASCII as \uXXXX (the files the fast path sees are ASCII). */
function asciiOnly(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

const plain = [
  '{"v": 1, "event_type": "checkpoint", "run_id": "r1", "timestamp": "2026-11-16T14:00:00.036000Z", "flow": "premarket/prepare", "flow_id": "f-0000001", "step": "calendar", "tags": ["mode:bench"], "evidence": {"market_day": true, "date": "2026-11-16"}, "file": "trader/premarket.py", "line": 7}',
  '{"v":1,"event_type":"success","run_id":"r1","timestamp":"2026-11-16T14:00:00.048000Z","flow":"a/b","flow_id":"f-2","parent_flow_id":"f-1","tags":"a, b,,c","correlation":{"ticker":"AAPL","date":"2026-11-16"},"duration_ms":47,"severity":"WARN","failure_class":"DATA.X"}',
  '{"v": 1, "event_type": "flow_start", "run_id": "r1", "timestamp": 1763301600.5, "flow": "data/fetch", "flow_id": 7, "correlation": {"ticker": "AAPL", "date": "2026-11-16", "source": "vendor-x"}, "reason": "a \\"quoted\\" \\u00e9 reason"}',
];

describe('index: fast line reader (fastline.ts)', () => {
  it('takes the fast path for ordinary v1 lines, with the reference fields', () => {
    for (const line of plain) assert.ok(check(line), `not taken: ${line}`);
    assert.equal((fast(plain[1]) as FastFields).tags, 'a\u0001b\u0001c');
    assert.equal((fast(plain[2]) as FastFields).corr, '{"ticker":"AAPL","date":"2026-11-16","source":"vendor-x"}');
  });

  it('says not sure for lines JSON.parse rejects, session events, aliases and escaped light strings', () => {
    const no = [
      '{"v": 1, "event_type": "checkpoint",}',
      '{"v": 1, "event_type": "checkpoint"} x',
      '{"v": 1, "event_type": "a\tb"}',
      '{"v": 1, "n": 01}',
      '{"v": 1, "n": 1.}',
      '{"v": 1, "n": -}',
      '{"v": 1, "n": .5}',
      '{"v": 1, "n": NaN}',
      '{"v": 1, "s": "\\x"}',
      '{"v": 1, "s": "\\u12g4"}',
      '{"v": 1, "a": [1,]}',
      '{"v": 1, "a": tru}',
      '{"v": 1 "b": 2}',
      '{"v": 1, "event_type": "session_start"}',
      '{"v": 1, "event_type": "session_end"}',
      '{"v": 1, "type": "checkpoint"}',
      '{"v": 1, "ts": 5}',
      '{"v": 1, "flow": "a\\/b"}',
      '{"v": 1, "ev\\u0065nt_type": "x"}',
      '{"v": 1, "flow": "a", "flow": "b"}',
      '{"v": 2, "event_type": "checkpoint"}',
      '{"event_type": "checkpoint", "run_id": "r"}',
      '{}',
      '{"v": 1',
    ];
    for (const line of no) {
      assert.equal(fast(line), false, line);
      check(line);
    }
  });

  it('equals JSON.parse + lightFields on generated v1 lines (JSON.stringify, Python separators, random whitespace)', () => {
    let taken = 0;
    let total = 0;
    fc.assert(
      fc.property(v1Object, fc.integer({ min: 0, max: 1e6 }), (o, seed) => {
        const json = asciiOnly(JSON.stringify(o));
        for (const line of [json, pythonStyle(json), spaced(json, seed), spaced(pythonStyle(json), seed + 1)]) {
          total++;
          if (check(line)) taken++;
        }
      }),
      { numRuns: 600 },
    );
    assert.ok(taken > total / 20, `fast path taken for ${taken} of ${total} lines`);
  });

  it('takes the fast path for every plain v1 line (light strings without escapes), any other values', () => {
    fc.assert(
      fc.property(plainV1, fc.integer({ min: 0, max: 1e6 }), (o, seed) => {
        const json = asciiOnly(JSON.stringify(o));
        // Every line, except one whose timestamp is out of the Date range (the full path reads it).
        const outOfRange = timestampProblem((o as { timestamp?: unknown }).timestamp) !== undefined;
        for (const line of [json, pythonStyle(json), spaced(json, seed).replace(/[\t\r]/g, ' ')]) assert.ok(check(line) || outOfRange, `not taken: ${line}`);
      }),
      { numRuns: 500 },
    );
  });

  it('never accepts a mutated or truncated line wrongly', () => {
    const chars = ['', '"', '\\', ',', ':', '{', '}', '[', ']', ' ', '\t', '0', '-', '.', 'e', 'x', '\u0001', 'n', 'u'];
    fc.assert(
      fc.property(v1Object, fc.nat(), fc.constantFrom(...chars), fc.integer({ min: 0, max: 2 }), (o, at, ch, op) => {
        const json = pythonStyle(asciiOnly(JSON.stringify(o)));
        const i = at % (json.length + 1);
        const line = op === 0 ? json.slice(0, i) : op === 1 ? json.slice(0, i) + ch + json.slice(i) : json.slice(0, i) + ch + json.slice(i + 1);
        if (line.length > 0 && !line.includes('\n')) check(line);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on every line of the *.jsonl fixtures and examples', () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      if (!fs.existsSync(d)) return;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.jsonl')) files.push(p);
      }
    };
    walk('test/fixtures');
    walk('examples');
    assert.ok(files.length > 5);
    let taken = 0;
    for (const f of files) {
      const text = fs.readFileSync(f, 'latin1');
      for (const line of text.split('\n')) {
        if (line.length === 0 || line.charCodeAt(0) !== 0x7b || line.endsWith('\r') || /[^\x00-\x7f]/.test(line)) continue;
        if (check(line)) taken++;
      }
    }
    assert.ok(taken > 50, `fast path taken for ${taken} fixture lines`);
  });
});

describe('index: scanRange gives the same batches with and without the fast line reader', () => {
  async function scanAll(file: string, fastOn: boolean, chunkBytes?: number): Promise<ScanBatch[]> {
    const was = setFastLine(fastOn);
    try {
      const out: ScanBatch[] = [];
      const size = fs.statSync(file).size;
      await scanRange({ file, start: 0, end: size, final: true, batchRecords: 257, chunkBytes }, (b) => out.push(b));
      return out;
    } finally {
      setFastLine(was);
    }
  }

  it('on a generated file of v1, odd and broken lines', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-fastline-'));
    const file = path.join(dir, 'trace.jsonl');
    const lines: string[] = [];
    fc.assert(
      fc.property(v1Object, fc.nat(), (o, k) => {
        const json = asciiOnly(JSON.stringify(o));
        const forms = [json, pythonStyle(json), spaced(json, k), json.slice(0, k % (json.length + 1)), '', '   ', json + '\r', JSON.stringify(o)];
        lines.push(forms[k % forms.length]);
      }),
      { numRuns: 2000, seed: 7 },
    );
    lines.push(...plain, '{"v": 1, "timestamp": NaN}', '[1]', '"x"');
    fs.writeFileSync(file, lines.join('\n') + '\n{"v": 1, "event_type": "checkpoint"}');
    try {
      for (const chunk of [undefined, 4096]) {
        const slow = await scanAll(file, false, chunk);
        const quick = await scanAll(file, true, chunk);
        assert.deepEqual(quick, slow);
        assert.ok(slow.reduce((n, b) => n + b.n, 0) > 1000);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
