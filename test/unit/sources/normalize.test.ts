import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectDialect, detectFileDialect, normalizeEvent, parseSeverity, parseTags } from '../../../src/core/read/sources/normalize';
import type { Dialect, SourceLoc, TraceEvent } from '../../../src/core/model/types';

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

const V1 = path.join(FIX, 'demo-app', '.autodev', 'trace.jsonl');
const V01 = path.join(FIX, 'demo-app', 'runs', '20261119T140000Z-b7d2', 'trace.jsonl');
const GRAIN = path.join(FIX, 'stores', '.grain', 'telemetry_queue.jsonl');
const ASSAY = path.join(FIX, 'stores', '.assay', 'telemetry_queue.jsonl');
const ESPER = path.join(FIX, 'stores', 'telemetry_2026-11-20_080000', 'events.jsonl');

/** The complete lines of a small fixture, parsed (a cut-off last line is left out). */
function objects(file: string): Record<string, unknown>[] {
  const parts = fs.readFileSync(file, 'utf8').split('\n');
  parts.pop(); // '' after the last newline, or the cut-off line
  return parts.map((l) => JSON.parse(l) as Record<string, unknown>);
}

const loc = (line = 1): SourceLoc => ({ file: 'x.jsonl', line, offset: 0 });
const norm = (o: Record<string, unknown>, d: Dialect = 'flowscribe-v1'): TraceEvent => normalizeEvent(o, d, loc());
const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number =>
  Date.UTC(y, mo - 1, d, h, mi, s) + ms;

describe('detectDialect', () => {
  it('recognises the first line of every fixture dialect', () => {
    assert.equal(detectDialect(objects(V1)[0]), 'flowscribe-v1');
    assert.equal(detectDialect(objects(V01)[0]), 'flowscribe-0.1');
    assert.equal(detectDialect(objects(GRAIN)[0]), 'envelope');
    assert.equal(detectDialect(objects(ASSAY)[0]), 'envelope');
    assert.equal(detectDialect(objects(ESPER)[0]), 'esper');
  });

  it('recognises every line of every fixture as its file dialect', () => {
    const cases: [string, Dialect, number][] = [
      [V1, 'flowscribe-v1', 194],
      [V01, 'flowscribe-0.1', 18],
      [GRAIN, 'envelope', 192],
      [ASSAY, 'envelope', 48],
      [ESPER, 'esper', 120],
    ];
    for (const [file, dialect, n] of cases) {
      const objs = objects(file);
      assert.equal(objs.length, n, file);
      assert.deepEqual(objs.filter((o) => detectDialect(o) !== dialect), [], file);
    }
  });

  it('v1 without "v": a run id with event_type or type', () => {
    assert.equal(detectDialect({ session_id: 's', type: 'flow_start' }), 'flowscribe-v1');
    assert.equal(detectDialect({ run_id: 'r', event_type: 'checkpoint', flow_id: 'f', step: 's', evidence: {} }), 'flowscribe-v1');
  });

  it('esper by message + severity when seed/slot/epoch are absent', () => {
    assert.equal(detectDialect({ event_id: 'e', event_type: 'X', message: 'm', severity: 'info' }), 'esper');
    assert.equal(detectDialect({ event_id: 'e', event_type: 'X' }), undefined);
  });

  it('returns undefined for other shapes and non-objects', () => {
    for (const v of [{}, { a: 1 }, { event_type: 'x' }, { v: 2, event_type: 'x' }, null, 5, 'x', [1], undefined]) {
      assert.equal(detectDialect(v), undefined, JSON.stringify(v));
    }
  });
});

describe('detectFileDialect', () => {
  it('picks the fixture dialect from the first 20 objects', () => {
    assert.equal(detectFileDialect(objects(V1).slice(0, 20)), 'flowscribe-v1');
    assert.equal(detectFileDialect(objects(V01).slice(0, 20)), 'flowscribe-0.1');
    assert.equal(detectFileDialect(objects(GRAIN).slice(0, 20)), 'envelope');
    assert.equal(detectFileDialect(objects(ESPER).slice(0, 20)), 'esper');
  });

  it('majority of the recognised objects; undefined when none is recognised', () => {
    const env = { event_type: 'a', version: 1, timestamp: 't', payload: {} };
    const v1 = { v: 1, event_type: 'a' };
    assert.equal(detectFileDialect([v1, env, env, { junk: 1 }, { junk: 2 }, { junk: 3 }]), 'envelope');
    assert.equal(detectFileDialect([env, v1]), 'flowscribe-v1'); // tie → v1 first
    assert.equal(detectFileDialect([{ a: 1 }, 'x', null]), undefined);
    assert.equal(detectFileDialect([]), undefined);
  });
});

describe('normalizeEvent on the fixtures', () => {
  it('v1 session_start (line 1): every session field, nothing left in extra', () => {
    const ev = normalizeEvent(objects(V1)[0], 'flowscribe-v1', loc(1));
    assert.deepEqual(ev, {
      dialect: 'flowscribe-v1',
      type: 'session_start',
      runId: '20261118T140000Z-a1c3',
      ts: utc(2026, 11, 18, 9, 0, 0),
      tsRaw: '2026-11-18T09:00:00.000000Z',
      app: 'trader',
      mode: 'dev',
      tags: ['phase5', 'sim'],
      gitSha: '3f9c2ab',
      host: 'devbox',
      pid: 4242,
      file: 'run_day.py',
      line: 12,
      function: 'main',
      thread: 'MainThread',
      extra: {},
      src: loc(1),
    });
  });

  it('v1 metric (line 7): top-level name/value/unit become metric', () => {
    const ev = norm(objects(V1)[6]);
    assert.equal(ev.type, 'metric');
    assert.deepEqual(ev.metric, { name: 'latency_ms', value: 120, unit: 'ms' });
    assert.equal(ev.flow, 'data/fetch/minute_candles');
    assert.equal(ev.flowId, 'f-0002');
    assert.equal(ev.step, 'request');
    assert.deepEqual(ev.tags, ['AAPL']);
    assert.deepEqual(ev.extra, {});
  });

  it('v1 exception (line 67): exception with stack, class, severity, duration', () => {
    const ev = norm(objects(V1)[66]);
    assert.equal(ev.type, 'exception');
    assert.equal(ev.severity, 'critical');
    assert.equal(ev.failureClass, 'DATA.MISSING_COLUMN');
    assert.equal(ev.reason, "KeyError: 'ema_21'");
    assert.equal(ev.durationMs, 40);
    assert.deepEqual(ev.exception, {
      type: 'KeyError',
      message: "'ema_21'",
      stack: [
        { file: 'trader/indicators.py', line: 22, function: 'compute' },
        { file: 'trader/indicators.py', line: 22, function: '<dictcomp>' },
      ],
    });
    assert.equal(ev.ts, utc(2026, 11, 19, 9, 0, 0, 685));
  });

  it('v1 session_end (line 44)', () => {
    const ev = norm(objects(V1)[43]);
    assert.equal(ev.type, 'session_end');
    assert.equal(ev.status, 'ok');
    assert.equal(ev.flowsStarted, 13);
    assert.equal(ev.flowsEnded, 13);
    assert.ok(Math.abs((ev.ts as number) - utc(2026, 11, 18, 9, 0, 1, 520.999)) < 1e-6);
  });

  it('every v1 line maps every key: 194 events, empty extra, a time on each, 6 failure classes', () => {
    const evs = objects(V1).map((o) => norm(o));
    assert.equal(evs.length, 194);
    assert.deepEqual(evs.filter((e) => Object.keys(e.extra).length > 0), []);
    assert.deepEqual(evs.filter((e) => e.ts === undefined), []);
    assert.equal(evs.filter((e) => e.failureClass !== undefined).length, 6); // grep -c failure_class
    assert.equal(evs.filter((e) => e.metric !== undefined).length, 38); // grep -c '"event_type": "metric"'
  });

  it('0.1 failure (b7d2 line 18): class and reason from evidence, naive time as UTC', () => {
    const ev = normalizeEvent(objects(V01)[17], 'flowscribe-0.1', loc(18));
    assert.deepEqual(ev, {
      dialect: 'flowscribe-0.1',
      type: 'failure',
      flowId: '92be530d-80e5-4bb9-b0a4-3662e2512ed6',
      step: 'validate',
      evidence: { rows: 0, ticker: 'NVDA', http_status: 200, cls: 'DATA.EMPTY', reason: 'vendor returned 0 rows for NVDA' },
      data: {},
      ts: utc(2026, 11, 19, 9, 0, 1, 375),
      tsRaw: '2026-11-19T09:00:01.375000',
      file: '/srv/trader-ci/trader/data/fetcher.py',
      line: 15,
      function: 'fetch_minute_candles',
      failureClass: 'DATA.EMPTY',
      reason: 'vendor returned 0 rows for NVDA',
      tags: [],
      extra: {},
      src: loc(18),
    });
  });

  it('0.1 exception (b7d2 line 15): exception from evidence type/message', () => {
    const ev = norm(objects(V01)[14], 'flowscribe-0.1');
    assert.deepEqual(ev.exception, { type: 'KeyError', message: "'ema_21'", stack: [] });
    assert.equal(ev.failureClass, undefined);
  });

  it('0.1 metric: a one-key numeric evidence becomes the metric', () => {
    const ev = norm({ event_type: 'metric', flow_id: 'u', step: 'request', evidence: { latency_ms: 120 }, data: {} }, 'flowscribe-0.1');
    assert.deepEqual(ev.metric, { name: 'latency_ms', value: 120 });
    assert.deepEqual(ev.evidence, { latency_ms: 120 });
  });

  it('every 0.1 line of every recording: empty extra, 5 failure classes in all', () => {
    const dir = path.join(FIX, 'demo-app', 'runs');
    let n = 0;
    let classes = 0;
    for (const run of fs.readdirSync(dir)) {
      for (const o of objects(path.join(dir, run, 'trace.jsonl'))) {
        const ev = norm(o, 'flowscribe-0.1');
        n++;
        if (ev.failureClass) classes++;
        assert.deepEqual(ev.extra, {});
        assert.notEqual(ev.ts, undefined);
      }
    }
    assert.equal(n, 126); // 29 + 18 + 26 + 23 + 28 + 2
    assert.equal(classes, 5); // grep -c '"cls"'
  });

  it('envelope (Grain line 1): version, payload, +00:00 time', () => {
    const ev = normalizeEvent(objects(GRAIN)[0], 'envelope', loc(1));
    assert.deepEqual(ev, {
      dialect: 'envelope',
      type: 'workflow.next.stop_reason',
      version: 1,
      ts: utc(2026, 11, 20, 8, 6, 2),
      tsRaw: '2026-11-20T08:06:02.000000+00:00',
      payload: { stop_reason: 'packet_required', phase: '31' },
      tags: [],
      extra: {},
      src: loc(1),
    });
  });

  it('envelope with a Pulse source; other keys in extra', () => {
    const ev = norm({ event_type: 'task.close', version: 2, timestamp: 1794992400, payload: {}, source: 'grain', id: 7 }, 'envelope');
    assert.equal(ev.source, 'grain');
    assert.equal(ev.version, 2);
    assert.equal(ev.ts, 1794992400000);
    assert.deepEqual(ev.extra, { id: 7 });
  });

  it('esper (line 1): message, severity, data; ids kept in extra', () => {
    const ev = normalizeEvent(objects(ESPER)[0], 'esper', loc(1));
    assert.deepEqual(ev, {
      dialect: 'esper',
      type: 'SEED_GERMINATED',
      ts: utc(2026, 11, 20, 8, 0, 30),
      tsRaw: '2026-11-20T08:00:30.000000+00:00',
      message: 'seed germinated',
      severity: 'info',
      data: null,
      tags: [],
      extra: { event_id: 'f7ca72bbfb23c1452c36a1eb378be82b', seed_id: 'seed-0', slot_id: 'r0c0', epoch: 0, group_id: 'default' },
      src: loc(1),
    });
  });

  it('every esper line: severities 107 info, 10 warning, 3 error', () => {
    const evs = objects(ESPER).map((o) => norm(o, 'esper'));
    const count = (s: string): number => evs.filter((e) => e.severity === s).length;
    assert.deepEqual([count('info'), count('warning'), count('error')], [107, 10, 3]);
    assert.deepEqual(evs.filter((e) => Object.keys(e.extra).length !== 5), []);
  });
});

describe('normalizeEvent aliases (§1b)', () => {
  it('maps every alias to its field', () => {
    const ev = norm({
      type: 'failure',
      session_id: 's1',
      ts: '2026-11-18T09:00:00Z',
      flow_name: 'a/b',
      flow_id: 'f2',
      parent: 'f1',
      func: 'go',
      class: 'DATA.EMPTY',
      message: 'no rows',
      latency_ms: 12.5,
      tags: 'x, y,,z ',
      severity: 'warn',
    });
    assert.equal(ev.type, 'failure');
    assert.equal(ev.runId, 's1');
    assert.equal(ev.ts, utc(2026, 11, 18, 9, 0, 0));
    assert.equal(ev.flow, 'a/b');
    assert.equal(ev.parentFlowId, 'f1');
    assert.equal(ev.function, 'go');
    assert.equal(ev.failureClass, 'DATA.EMPTY');
    assert.equal(ev.reason, 'no rows');
    assert.equal(ev.durationMs, 12.5);
    assert.deepEqual(ev.tags, ['x', 'y', 'z']);
    assert.equal(ev.severity, 'warning');
    assert.deepEqual(ev.extra, {});
  });

  it('time, error_class and elapsed_ms aliases; epoch-ms timestamp', () => {
    const ev = norm({ event_type: 'success', time: 1794992400035, error_class: 'SYSTEM.X', elapsed_ms: 3 });
    assert.equal(ev.ts, 1794992400035);
    assert.equal(ev.tsRaw, 1794992400035);
    assert.equal(ev.failureClass, 'SYSTEM.X');
    assert.equal(ev.durationMs, 3);
  });

  it('the canonical key wins over its alias, in either order; the alias is kept in extra', () => {
    const a = norm({ type: 'b', event_type: 'a', message: 'alias', reason: 'canonical' });
    assert.equal(a.type, 'a');
    assert.equal(a.reason, 'canonical');
    assert.deepEqual(a.extra, { type: 'b', message: 'alias' });
    const b = norm({ class: 'X.ONE', error_class: 'X.TWO' });
    assert.equal(b.failureClass, 'X.ONE');
    assert.deepEqual(b.extra, { error_class: 'X.TWO' });
  });

  it('an alias fills in when the canonical key has the wrong type', () => {
    const ev = norm({ event_type: 5, type: 'flow_start' });
    assert.equal(ev.type, 'flow_start');
    assert.deepEqual(ev.extra, { event_type: 5 });
  });

  it('a metric object form', () => {
    assert.deepEqual(norm({ event_type: 'metric', metric: { name: 'rows', value: 3, unit: 'rows' } }).metric, {
      name: 'rows',
      value: 3,
      unit: 'rows',
    });
  });

  it('name/value on a non-metric event stay in extra', () => {
    const ev = norm({ event_type: 'checkpoint', name: 'n', value: 1 });
    assert.equal(ev.metric, undefined);
    assert.deepEqual(ev.extra, { name: 'n', value: 1 });
  });
});

describe('normalizeEvent never throws on wrong types', () => {
  it('drops each wrongly typed key into extra, verbatim', () => {
    const bad = {
      v: 1,
      event_type: 'checkpoint',
      line: 'abc',
      tags: 5,
      timestamp: { when: 'now' },
      severity: 'loud',
      correlation: [1],
      exception: 'boom',
      pid: '12',
      duration_ms: '40',
      flows_started: null,
      flow: 7,
      run_id: { id: 1 },
      status: false,
    };
    const ev = norm(bad);
    assert.equal(ev.type, 'checkpoint');
    assert.deepEqual(ev.tags, []);
    const { v: _v, event_type: _t, ...rest } = bad;
    assert.deepEqual(ev.extra, rest);
    for (const k of ['line', 'ts', 'severity', 'correlation', 'exception', 'pid', 'durationMs', 'flowsStarted', 'flow', 'runId', 'status'] as const) {
      assert.equal(ev[k], undefined, k);
    }
  });

  it('an unreadable timestamp string is kept as tsRaw without ts', () => {
    const ev = norm({ event_type: 'x', timestamp: 'yesterday' });
    assert.equal(ev.tsRaw, 'yesterday');
    assert.equal(ev.ts, undefined);
    assert.deepEqual(ev.extra, {});
  });

  it('a missing or empty event type becomes "unknown"', () => {
    assert.equal(norm({}).type, 'unknown');
    assert.equal(norm({ event_type: '' }).type, 'unknown');
    assert.equal(norm({ event_type: null }, 'esper').type, 'unknown');
  });

  it('numeric ids and line strings of digits are accepted', () => {
    const ev = norm({ event_type: 'x', flow_id: 12, line: '34', step: 3 });
    assert.equal(ev.flowId, '12');
    assert.equal(ev.line, 34);
    assert.equal(ev.step, '3');
  });

  it('a bad stack keeps the exception out; a bad frame is skipped', () => {
    assert.deepEqual(norm({ exception: { type: 'E', stack: 'Traceback...' } }).extra, { exception: { type: 'E', stack: 'Traceback...' } });
    assert.deepEqual(norm({ exception: { type: 'E', stack: [5, { file: 'a.py', line: 'x' }] } }).exception, {
      type: 'E',
      stack: [{ file: 'a.py' }],
    });
  });

  it('__proto__ and constructor keys are plain extra data', () => {
    const obj = JSON.parse('{"event_type": "x", "__proto__": {"polluted": true}, "constructor": "c", "toString": 1}') as Record<string, unknown>;
    const ev = norm(obj);
    assert.equal(Object.getPrototypeOf(ev.extra), Object.prototype);
    assert.deepEqual(Object.keys(ev.extra), ['__proto__', 'constructor', 'toString']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(ev.extra, '__proto__')?.value, { polluted: true });
    assert.equal(norm({ severity: 'constructor' }).severity, undefined);
  });

  it('survives random objects (fuzz)', () => {
    const values: unknown[] = [null, 1, -1.5, NaN, Infinity, '', 'x', '2026-11-18', true, [], [1, 'a', {}], {}, { a: [null] }];
    const keys = ['v', 'event_type', 'type', 'timestamp', 'ts', 'tags', 'line', 'exception', 'metric', 'name', 'value', 'unit', 'evidence', 'severity', 'correlation', 'version', 'payload', 'message', 'cls'];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const o: Record<string, unknown> = {};
      for (let k = rnd(8); k > 0; k--) o[keys[rnd(keys.length)]] = values[rnd(values.length)];
      for (const d of ['flowscribe-v1', 'flowscribe-0.1', 'envelope', 'esper', 'generic'] as Dialect[]) {
        const ev = normalizeEvent(o, d, loc());
        assert.equal(typeof ev.type, 'string');
        assert.ok(Array.isArray(ev.tags));
      }
    }
  });
});

describe('parseTags / parseSeverity', () => {
  it('tags: arrays of scalars or comma strings', () => {
    assert.deepEqual(parseTags(['a', 1, true]), ['a', '1', 'true']);
    assert.deepEqual(parseTags('a,b'), ['a', 'b']);
    assert.deepEqual(parseTags(''), []);
    assert.equal(parseTags([{}]), undefined);
    assert.equal(parseTags(5), undefined);
  });

  it('severity: case-insensitive, warn → warning, fatal → critical', () => {
    assert.equal(parseSeverity('WARN'), 'warning');
    assert.equal(parseSeverity('Fatal'), 'critical');
    assert.equal(parseSeverity('debug'), 'debug');
    assert.equal(parseSeverity('loud'), undefined);
    assert.equal(parseSeverity(3), undefined);
    // One reader for traces and ra.yaml (catalog.ts uses it): spaces and aliases alike.
    assert.equal(parseSeverity(' Warn '), 'warning');
    assert.equal(parseSeverity('ERR'), 'error');
    assert.equal(parseSeverity('notice'), 'info');
  });
});

describe('normalizeEvent: correlation', () => {
  it('keeps a correlation as JSON writes it back: 1e400 and -0 (anywhere inside) read as null and 0, as the cold index reads them', () => {
    const c = JSON.parse('{"n":1e400,"z":-0,"k":1,"deep":{"list":[-1e999,2]}}') as Record<string, unknown>;
    const e = norm({ v: 1, event_type: 'log', run_id: 'r', correlation: c });
    assert.deepEqual(e.correlation, { n: null, z: 0, k: 1, deep: { list: [null, 2] } });
    assert.ok(Object.is((e.correlation as Record<string, unknown>).z, 0));
  });

  it('keeps a writable correlation as the very object parsed (no copy per event)', () => {
    const c = { k: 1, s: 'x', nested: { a: [1, 2.5, -3] } };
    assert.equal(norm({ v: 1, event_type: 'log', run_id: 'r', correlation: c }).correlation, c);
  });
});
