/**
 * The line prefilter of the run-scoped secret walk (src/core/read/secretHint.ts): a line it
 * passes (false) gives the walk no secret — checked against the walk itself (eventSecrets over
 * the event decoded from the line as the cold index decodes it) on generated hostile lines, and
 * on the spellings that must never slip through (an escaped key, non-ASCII, camelCase, a URL
 * password, a flag argument, `-p`, a metric named like a key).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { wasmCanonicalLine } from '../index/wasmCanon';
import { canonicalLine, CASED_TRIGGER, hintsCoverWords, lineMayHoldSecret, PREFILTER_WORDS, pruneForSecrets, pruneLine, pruneLineFast, stringMayHoldSecret, TRIGGER_EXTRAS } from '../../../src/core/read/secretHint';
import { parseJsonLine } from '../../../src/core/read/sources/jsonl';
import { detectDialect, normalizeEvent } from '../../../src/core/read/sources/normalize';
import { EXACT_SENSITIVE_KEYS, EXTRA_SENSITIVE_KEYS, Redactor } from '../../../src/core/render/egress/redact';
import { eventSecrets, runsRedactor } from '../../../src/core/render/egress/secrets';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import type { EventList } from '../../../src/core/model/storage';
import type { Run } from '../../../src/core/model/types';
import { hiddenSecretsTrace } from '../hiddenSecrets';
import { DEFAULT_REDACT_KEYS } from '../../../src/core/read/catalog';
import type { TraceEvent } from '../../../src/core/model/types';


/**
 * The reference walk: a redact key no prefilter word covers makes the walk scan every string with
 * the Redactor itself (no prefilter shortcut, render/egress/secrets.ts), so it does not trust what
 * is tested here. No generated line holds the extra word.
 */
const red = new Redactor({ redactKeys: ['qzqzqz'] });

function eventOf(line: string): TraceEvent | undefined {
  const b = Buffer.from(line, 'utf8');
  const r = parseJsonLine(b, 0, b.length, 1, false, Infinity);
  return r?.value ? normalizeEvent(r.value, detectDialect(r.value) ?? 'flowscribe-v1', { file: 't.jsonl', line: 1, offset: 1 }) : undefined;
}

/** The secrets the run-scoped walk takes from one line (decoded as FileEvents decodes it). */
function secretsOfLine(line: string): Set<string> | undefined {
  const e = eventOf(line);
  if (!e) return undefined;
  const out = new Set<string>();
  eventSecrets(e, red, out);
  return out;
}

/** The secrets the walk takes from what the index keeps of a flagged line (pruneLine). */
function lineTextSecrets(line: string): Set<string> | undefined {
  const b = Buffer.from(line, 'utf8');
  const text = pruneLine(b, 0, b.length, 1);
  if (text === undefined) return undefined;
  const out = new Set<string>();
  if (text !== '') eventSecrets(JSON.parse(text) as TraceEvent, red, out);
  return out;
}

/** The secrets the walk takes from the pruned event (what an indexed record with hint 2 keeps). */
function prunedSecretsOfLine(line: string): Set<string> | undefined {
  const e = eventOf(line);
  if (!e) return undefined;
  const text = pruneForSecrets(e);
  if (text === undefined) return undefined;
  const out = new Set<string>();
  if (text !== '') eventSecrets(JSON.parse(text) as TraceEvent, red, out);
  return out;
}

function hinted(line: string): boolean {
  const b = Buffer.from(`x${line}\ny`, 'utf8');
  return lineMayHoldSecret(b, 1, b.length - 2);
}

describe('secretHint: the line prefilter of the run-scoped secret walk', () => {
  it('flags every spelling a secret hides behind, and each of them does give the walk a secret', () => {
    const base = { v: 1, run_id: 'r1', event_type: 'checkpoint', timestamp: '2026-12-01T09:00:00Z', flow: 'a/b', flow_id: 'f-1' };
    const cases: Array<[string, string]> = [
      ['escaped key', JSON.stringify({ ...base, evidence: { pw_: 1, x: 'hunter2hunter2' } }).replace('"x"', '"\\u0070assword"')],
      ['escaped key letter by letter', JSON.stringify({ ...base, evidence: { x: 'hunter2hunter2' } }).replace('"x"', '"\\u0074\\u006f\\u006b\\u0065\\u006e"')],
      ['non-ASCII around a key', JSON.stringify({ ...base, evidence: { 'pass\u200bword': 'hunter2hunter2' } })],
      ['camelCase key', JSON.stringify({ ...base, evidence: { apiKey: 'hunter2hunter2' } })],
      ['upper case, dashes', JSON.stringify({ ...base, evidence: { 'X-API-KEY': 'hunter2hunter2' } })],
      ['key with a space', JSON.stringify({ ...base, evidence: { 'Api Key': 'hunter2hunter2' } })],
      ['key spelled with separators', JSON.stringify({ ...base, evidence: { 'p_a.s-s w_o_r_d': 'hunter2hunter2' } })],
      ['URL password', JSON.stringify({ ...base, reason: 'connect postgres://admin:hunter2hunter2@db:5432/x failed' })],
      ['flag argument', JSON.stringify({ ...base, evidence: { argv: ['deploy', '--Auth-Token', 'hunter2hunter2'] } })],
      ['-p of mysql', JSON.stringify({ ...base, evidence: { cmd: ['mysql', '-u', 'root', '-phunter2hunter2'] } })],
      ['-p in a string', JSON.stringify({ ...base, step: 'mysql -u root -phunter2hunter2 db' })],
      ['metric named like a key', JSON.stringify({ ...base, event_type: 'metric', name: 'Session-Token', value: 12345678 })],
      ['key=value in a reason', JSON.stringify({ ...base, reason: 'retry with SECRET=hunter2hunter2' })],
      ['tag', JSON.stringify({ ...base, tags: 'prod, dsn:hunter2hunter2' })],
      ['0.1 dialect', JSON.stringify({ event_type: 'failure', flow_id: 'f-1', step: 's', evidence: { cls: 'X', Passwd: 'hunter2hunter2' } })],
    ];
    for (const [what, line] of cases) {
      assert.ok(JSON.parse(line), what);
      assert.ok(hinted(line), `${what}: not flagged: ${line}`);
      assert.ok((secretsOfLine(line)?.size ?? 0) > 0, `${what}: the walk finds nothing, so the case tests nothing: ${line}`);
      assert.deepEqual([...(prunedSecretsOfLine(line) ?? [])].sort(), [...(secretsOfLine(line) ?? [])].sort(), `${what}: pruned`);
      assert.deepEqual([...(lineTextSecrets(line) ?? [])].sort(), [...(secretsOfLine(line) ?? [])].sort(), `${what}: kept`);
    }
  });

  it('passes ordinary lines (so it saves work)', () => {
    const lines = [
      '{"v": 1, "event_type": "checkpoint", "run_id": "20261116T140000Z-b0", "timestamp": "2026-11-16T14:00:00.036000Z", "flow": "premarket/prepare", "flow_id": "f-0000001", "step": "calendar", "tags": ["mode:bench"], "evidence": {"market_day": true, "date": "2026-11-16"}, "file": "trader/premarket.py", "line": 7, "function": "prepare", "thread": "MainThread"}',
      '{"v": 1, "event_type": "metric", "run_id": "20261116T140000Z-b0", "timestamp": "2026-11-16T14:00:00.154000Z", "flow": "data/fetch/minute_candles", "flow_id": "f-0000002", "step": "request", "tags": ["AAPL"], "name": "latency_ms", "value": 105, "unit": "ms", "file": "trader/data/fetcher.py", "line": 12, "function": "fetch_minute_candles", "thread": "MainThread"}',
    ];
    for (const l of lines) assert.equal(hinted(l), false, l);
    assert.equal(hinted('{"v": 1, "evidence": {"token": "***REDACTED***"}}'), true);
  });

  it('-p is a trigger as written only: an upper-case -P (mysql\'s port, an order id) gives no pattern anything, so neither the prefilter nor the Redactor flags it', () => {
    const base = { v: 1, run_id: 'r1', event_type: 'checkpoint', flow: 'orders/place', flow_id: 'f-1' };
    assert.equal(CASED_TRIGGER, '-p');
    // The bench trace's order ids, a header name, mysql's port flag: no hint, no secret.
    for (const text of ['ord-PYPL-265', 'req-PYPL-9 X-Powered-By: Express', 'mysql -P 3306 db', 'mysql -Phunter2hunter2 db']) {
      const line = JSON.stringify({ ...base, reason: text, evidence: { argv: ['mysql', '-P', 'hunter2hunter2'] } });
      assert.equal(hinted(line), false, line);
      assert.equal(stringMayHoldSecret(text), false, text);
      assert.deepEqual([...(secretsOfLine(line) ?? ['undecoded'])], [], line);
    }
    // The lower-case flag still is one, beside -P: flagged, and its argument is a secret.
    const line = JSON.stringify({ ...base, reason: 'mysql -P 3306 -u root -phunter2hunter2 db', evidence: { argv: ['mysql', '-P', '3306', '-p', 'hunter3hunter3'] } });
    assert.equal(hinted(line), true);
    assert.deepEqual([...(secretsOfLine(line) ?? [])].sort(), ['hunter2hunter2', 'hunter3hunter3']);
    // No pattern of the Redactor takes anything from a string whose only trigger-like text is an
    // upper-case -P (so the trigger lost nothing when it stopped matching it): generated
    // command lines, argv lists and ids, each left as it is by every pattern (identifier scrubs
    // regardless of the trigger) and giving findSecrets nothing.
    const plain = new Redactor();
    const piece = fc.constantFrom('mysql', 'psql', 'mysqldump', 'sshpass', 'mariadb', 'pg_dump', '-P', '-P ', '-Phunter2hunter2', "'-P'", '"-P"', '["', '", "', '"]', "['", "', '", "']", ' ', '  ', '3306', 'hunter2hunter2', 'root', '-u', 'db', 'ord-PYPL-265', 'X-Powered-By', '=', ':', ',', '-', 'P', '.exe', '\t');
    let checked = 0;
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), (parts) => {
        const s = parts.join('');
        fc.pre(s.includes('-P') && !stringMayHoldSecret(s));
        checked++;
        assert.equal(plain.identifier(s), s, s);
        const out = new Set<string>();
        plain.findSecrets(s, out);
        assert.deepEqual([...out], [], s);
        // The same text with the flag in lower case is one the patterns do read (the test can fail).
        if (/\b(?:mysql|psql|sshpass)(?![\w-])[^\n]*\s-Phunter2hunter2/.test(s)) assert.notEqual(plain.identifier(s.replace(/-Phunter2hunter2/g, '-phunter2hunter2')), s.replace(/-Phunter2hunter2/g, '-phunter2hunter2'), s);
      }),
      { numRuns: 1500, seed: 1729 },
    );
    assert.ok(checked > 500, `only ${checked} strings checked`);
  });

  it('a line it passes gives the walk no secret (generated hostile lines)', () => {
    const words = [...DEFAULT_REDACT_KEYS, ...EXTRA_SENSITIVE_KEYS, ...EXACT_SENSITIVE_KEYS, ...TRIGGER_EXTRAS, 'Bearer', 'Basic', 'mysql', 'psql', 'curl -u', 'sk-live-', 'AKIA', 'eyJ', 'hooks.slack.com/services/', '://u:p@h', '=', ': ', '%3D', '--', '-', '_', '.', ' ', 'mysql -phunter22', '-phunter22', '--token', 'psql', 'sig=abcd1234', 'ssap', 'pa', 'ss', 'word', 'tok', 'en', 'apiK', 'ey'];
    // Near misses (parts of words that may or may not meet) on quiet lines, every spelling on loud ones.
    const quiet = fc.constantFrom('flow', 'a/b', 'ticker', 'AAPL', '2026-12-01', 'rows', '0', 'ok', 'vendor', 'pa', 'ss', 'wo', 'rd', 'tok', 'en', 'ap', 'ik', 'ey', 'se', 'cr', '-', '_', '/', ' ', 'P', 'K', 'S', 'p', 'k');
    const loud = fc.oneof(
      { weight: 4, arbitrary: quiet },
      { weight: 3, arbitrary: fc.constantFrom(...words) },
      { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzAPKST0123456789_.- =:/%'.split('')), maxLength: 12 }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
    );
    const lineOf = (piece: fc.Arbitrary<string>) => {
      const text = fc.array(piece, { maxLength: 4 }).map((a) => a.join(''));
      const leaf = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 4 }));
      const value = fc.letrec((tie) => ({
        v: fc.oneof({ depthSize: 'small' }, leaf, fc.dictionary(text, tie('v'), { maxKeys: 4 }), fc.array(tie('v'), { maxLength: 4 })),
      })).v;
      const top = fc.record(
        {
          event_type: fc.oneof(fc.constantFrom('checkpoint', 'failure', 'metric', 'exception', 'flow_start'), text),
          flow: text, flow_id: text, step: text, reason: text, failure_class: text, tags: fc.oneof(fc.array(text, { maxLength: 3 }), text),
          evidence: value, data: value, payload: value, correlation: fc.dictionary(text, value, { maxKeys: 3 }),
          name: text, value: fc.oneof(text, fc.integer({ min: 100000, max: 1e9 })), unit: text,
          exception: fc.record({ type: text, message: text }),
        },
        { requiredKeys: [] },
      );
      return fc.record({ v1: fc.boolean(), obj: top, extraKey: text, extraVal: value, escape: fc.constantFrom('', '', '', 'p', 'a', 's', 'k', 't', 'o') });
    };
    // A quiet line with one loud word put somewhere (each spelling on its own, not drowned by others).
    const one = fc.record({
      line: lineOf(quiet),
      word: fc.constantFrom(...words),
      pre: quiet, post: fc.constantFrom('hunter2hunter2', ' hunter2hunter2', '=hunter2hunter2', ': hunter2hunter2', ''),
      where: fc.constantFrom('reason', 'step', 'key', 'value', 'argv', 'tags', 'metric', 'metricValue', 'exception'),
    }).map(({ line, word, pre, post, where }) => {
      const t = `${pre}${word}${post}`;
      const obj: Record<string, unknown> = { ...line.obj };
      if (where === 'reason' || where === 'step') obj[where] = t;
      else if (where === 'key') obj.evidence = { [t]: 'hunter2hunter2' };
      else if (where === 'value') obj.data = { note: t };
      else if (where === 'argv') obj.evidence = { cmd: ['mysql', pre, word, 'hunter2hunter2'] };
      else if (where === 'tags') obj.tags = [pre, t];
      else if (where === 'metricValue') Object.assign(obj, { event_type: 'metric', name: pre, value: t });
      else if (where === 'exception') obj.exception = { type: 'ValueError', message: t, stack: [{ file: t, line: 1, password: 'hunter2hunter2' }] };
      else Object.assign(obj, { event_type: 'metric', name: t, value: 12345678 });
      return { ...line, obj };
    });
    const shape = fc.oneof(lineOf(quiet), one, lineOf(loud));
    let flaggedWithSecrets = 0;
    let passed = 0;
    let unpruned = 0;
    fc.assert(
      fc.property(shape, ({ v1, obj, extraKey, extraVal, escape }) => {
        const o: Record<string, unknown> = v1 ? { v: 1, run_id: 'r1', ...obj } : { ...obj };
        o[extraKey] = extraVal;
        let line = JSON.stringify(o);
        // A letter written as a \u escape everywhere (JSON has letters only inside strings).
        if (escape) line = line.split(escape).join(`\\u00${escape.charCodeAt(0).toString(16)}`);
        const found = secretsOfLine(line);
        if (found === undefined) return;
        // The pruned event gives the walk exactly what the event gives it.
        const pruned = prunedSecretsOfLine(line);
        if (pruned !== undefined) assert.deepEqual([...pruned].sort(), [...found].sort(), `pruned: ${line}`);
        else unpruned++;
        // So does what the index keeps of the line.
        const kept = lineTextSecrets(line);
        if (kept !== undefined) assert.deepEqual([...kept].sort(), [...found].sort(), `kept: ${line}`);
        if (!hinted(line)) {
          passed++;
          assert.deepEqual([...found], [], `passed a line that gives ${[...found].join(', ')}: ${line}`);
        } else if (found.size > 0) flaggedWithSecrets++;
      }),
      { numRuns: 4000, seed: 1729 },
    );
    // Both sides were exercised: lines it passed, and lines it flagged that do hold a secret.
    assert.ok(passed > 300, `only ${passed} lines passed`);
    assert.ok(flaggedWithSecrets > 50, `only ${flaggedWithSecrets} flagged lines held a secret`);
    assert.ok(unpruned < 40, `${unpruned} lines could not be pruned`);
  });

  it('pruneLineFast (memoised by the canonical line) gives what pruneLine gives (generated hostile lines)', () => {
    // Keys: every key normalizeEvent reads in flowscribe v1 (canonical and aliases), the metric
    // parts, `v`, unknown ones; values of every kind, near misses and hits; Python's separators or
    // compact JSON; duplicate members; `v` missing, twice or not 1.
    const known = ['event_type', 'run_id', 'timestamp', 'flow', 'flow_id', 'parent_flow_id', 'caused_by', 'correlation', 'step', 'file', 'line', 'function', 'thread', 'tags', 'severity', 'failure_class', 'reason', 'evidence', 'data', 'duration_ms', 'metric', 'exception', 'app', 'mode', 'git_sha', 'host', 'pid', 'status', 'flows_started', 'flows_ended'];
    const aliases = ['type', 'session_id', 'ts', 'time', 'flow_name', 'parent', 'func', 'class', 'error_class', 'message', 'latency_ms', 'elapsed_ms'];
    const keys = [...known, ...aliases, 'name', 'value', 'unit', 'payload', 'extra', 'v', 'x', 'api_key', 'Token', 'X-Api-Key', 'tok-en', 'p-a.s_s w-o-r-d', '-p', 'source', '__proto__', 'constructor'];
    const text = fc.oneof(
      fc.constantFrom('', ' ', '_', 'a/b', 'metric', 'exception', 'failure', 'checkpoint', 'info', 'WARN', '2026-12-01T09:00:00Z', '2026-13-01', '12', '007', 'a,b', 'x, password', 'mode:bench', '***REDACTED***', 'hunter2hunter2'),
      fc.constantFrom('password', 'token=abc', 'mysql -phunter2', '-p', 'postgres://u:p@h/x', 'Api-Key', 'sig', 'BEGIN', 'tok', 'en'),
      fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzAPKST0123456789_.- =:/%,{}[]'.split('')), maxLength: 10 }),
    );
    const scalar = fc.oneof(text, fc.integer({ min: -5, max: 1e9 }), fc.constantFrom(0, -0, 1, 1.5, 1e21, 2e-7, 123456789012345, 1234567890123456, true, false, null));
    const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small', maxDepth: 3 }, scalar, fc.dictionary(text, tie('v'), { maxKeys: 3 }), fc.array(tie('v'), { maxLength: 3 })),
    })).v;
    // Keys that act together in normalizeEvent (an alias and its canonical key, a metric's parts
    // and the event type), so lines often hold several of one group.
    const metric = ['event_type', 'type', 'name', 'value', 'unit', 'metric'];
    const groups = [
      metric, metric, metric, ['event_type', 'name', 'value'], ['type', 'name', 'value'], ['flow', 'flow_name'], ['flow', 'flow_name'], ['timestamp', 'ts', 'time'], ['reason', 'message'],
      ['failure_class', 'class', 'error_class'], ['run_id', 'session_id'], ['function', 'func'], ['parent_flow_id', 'parent'],
      ['duration_ms', 'latency_ms', 'elapsed_ms'], ['step', 'evidence', 'data', 'flow_id', 'event_type'], keys,
    ];
    const small = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('', 'metric', 'x', 'password=hunter2', '-phunter2') },
      { weight: 2, arbitrary: fc.constantFrom('exception', 'hunter2hunter2', 12, 0, -3, 1.5, Infinity, null, true, { token: 'a' }, { a: 'b' }, { name: 'x', value: 5 }, { type: 'E', message: 'm' }, ['--token', 'x'], ['a']) },
      { weight: 1, arbitrary: value },
    );
    const line = fc.record({
      v: fc.constantFrom('1', '1', '1', '1', '1', '1', '', '2', '1.0', 'true'),
      vTwice: fc.boolean(),
      members: fc.constantFrom(...groups).chain((g) => fc.array(fc.tuple(fc.constantFrom(...g), small), { minLength: 1, maxLength: g.length + 2 })),
      dup: fc.boolean(),
      py: fc.boolean(),
      lead: fc.constantFrom('', ' ', '  '),
    }).map(({ v, vTwice, members, dup, py, lead }) => {
      const sep = py ? ', ' : ',';
      const col = py ? ': ' : ':';
      const enc = (x: unknown): string => (x === Infinity ? '1e400' : py ? JSON.stringify(x, null, 1).replace(/\n\s*/g, ' ').replace(/\[ /g, '[').replace(/ \]/g, ']').replace(/\{ /g, '{').replace(/ \}/g, '}') : JSON.stringify(x));
      const parts = members.map(([k, x]) => `${JSON.stringify(k)}${col}${enc(x)}`);
      if (dup && parts.length) parts.push(parts[0].replace(/:.*$/, `${col}${enc('hunter2hunter2')}`), parts[0]);
      if (v !== '') parts.unshift(`"v"${col}${v}`);
      if (vTwice) parts.push(`"v"${col}1`);
      return `${lead}{${parts.join(sep)}}${lead}`;
    });
    // Every combination of the members that act together: a metric's parts and the event type,
    // each alias with its canonical key (each value: absent, '', a plain string, a hit, a number,
    // an object), in both orders.
    const same = (l: string): void => {
      const b = Buffer.from(l, 'utf8');
      const want = pruneLine(b, 0, b.length, 1);
      assert.equal(pruneLineFast(b, 0, b.length, 1), want, l);
      assert.equal(pruneLineFast(b, 0, b.length, 1), want, l);
      // The WASM scanner's port makes the same canonical form.
      assert.equal(wasmCanonicalLine(l), canonicalLine(l), l);
    };
    const opt = (k: string, vs: unknown[]): string[] => ['', ...vs.map((v) => `"${k}": ${JSON.stringify(v)}`)];
    const combos = (lists: string[][]): string[][] => lists.reduce<string[][]>((acc, l) => acc.flatMap((a) => l.map((x) => [...a, x])), [[]]);
    for (const typeKey of ['event_type', 'type']) {
      for (const parts of combos([opt(typeKey, ['metric', 'x']), opt('metric', [{ name: 'x', value: 5 }, { name: 'password', value: 5 }, 'x']), opt('name', ['x', '', 'password=a', 3]), opt('value', [5, 'x', 'password=a']), opt('unit', ['ms', 'token=a'])])) {
        const members = parts.filter(Boolean);
        same(`{"v": 1, ${[...members, '"x": 1'].join(', ')}}`);
        same(`{"v": 1, ${['"x": 1', ...members.reverse()].join(', ')}}`);
      }
    }
    const pairs: [string, string][] = [['event_type', 'type'], ['run_id', 'session_id'], ['timestamp', 'ts'], ['timestamp', 'time'], ['flow', 'flow_name'], ['parent_flow_id', 'parent'], ['function', 'func'], ['failure_class', 'class'], ['failure_class', 'error_class'], ['reason', 'message'], ['duration_ms', 'latency_ms'], ['duration_ms', 'elapsed_ms']];
    const vals = ['', 'x', 'password=a', 5, -5, 1.5, { a: 'b' }, { token: 'a' }, null];
    for (const [k, alias] of pairs) {
      for (const [a, b] of combos([opt(k, vals), opt(alias, vals)])) {
        same(`{"v": 1, ${[a, b, '"x": 1'].filter(Boolean).join(', ')}}`);
        same(`{"v": 1, ${[b, a, '"x": 1'].filter(Boolean).join(', ')}}`);
      }
    }
    let canonical = 0;
    let kept = 0;
    fc.assert(
      fc.property(line, (l) => {
        const b = Buffer.from(`\n${l}\n`, 'utf8');
        const want = pruneLine(b, 1, b.length - 1, 1);
        assert.equal(pruneLineFast(b, 1, b.length - 1, 1), want, l);
        // Twice: the second answer comes from the memo.
        assert.equal(pruneLineFast(b, 1, b.length - 1, 1), want, l);
        const c = canonicalLine(l);
        assert.equal(wasmCanonicalLine(l), c, l);
        if (c !== undefined) {
          canonical++;
          if (want) kept++;
        }
      }),
      { numRuns: 6000, seed: 1729 },
    );
    assert.ok(canonical > 1200 && kept > 400, `canonical ${canonical}, with something kept ${kept}`);
  });

  it('the canonical line keeps what may hold a secret and rewrites the rest by kind', () => {
    const l = '{"v": 1, "event_type": "checkpoint", "run_id": "r1", "timestamp": "2026-11-16T14:00:00.048000Z", "flow": "", "line": 14, "duration_ms": 4.5, "tags": ["AAPL"], "correlation": {"order": "o-1"}, "evidence": {"ticker": "AAPL", "token": "***REDACTED***"}, "data": [1, 2], "other": "x", "reason": "bad token=abc"}';
    assert.equal(canonicalLine(l), '{"v":1,"event_type":"checkpoint","run_id":"_","timestamp":"_","flow":"","line":0,"duration_ms":4.5,"tags":0,"correlation":{},"evidence":{"ticker":0,"token":"***REDACTED***"},"data":0,"other":0,"reason":"bad token=abc"}');
    // Inside a structure pruneValue walks: members without a hit become 0 (a duplicate keeps its
    // place), an object under a key without a hit is rewritten the same way, a key with a hit keeps
    // its whole value, an array or a string with a hit is kept as written.
    const nested = [
      ['{"v": 1, "evidence": {"a": {"b": 1, "c": {"pw": "x", "d": [1, "e"]}}, "token": {"f": 1}, "g": ["--token", "h", 3], "i": "key=v", "a": 7}}',
        '{"v":1,"evidence":{"a":{"b":0,"c":{"pw":"x","d":0}},"token":{"f": 1},"g":["--token", "h", 3],"i":"key=v","a":0}}'],
      ['{"v": 1, "x": {"k": 1, "password": 2}, "Token": {"k": 1}}', '{"v":1,"x":{"k":0,"password":2},"Token":{"k": 1}}'],
      ['{"v": 1, "correlation": {"id": "o-1", "ctx": {"u": 1, "secret": "s"}, "auth": {"u": 1}}}', '{"v":1,"correlation":{"id":0,"ctx":{"u":0,"secret":"s"},"auth":{"u": 1}}}'],
      ['{"v": 1, "evidence": {"a": {"pw": "x"}, "a": {"b": 1}}}', '{"v":1,"evidence":{"a":{"pw":"x"},"a":0}}'],
      ['{"v": 1, "evidence": {"n": 1, "X-Api-Key": "hunter2hunter2", "o": {"tok-en": "k"}}}', '{"v":1,"evidence":{"n":0,"X-Api-Key":"hunter2hunter2","o":{"tok-en":"k"}}}'],
    ];
    for (const [line, canon] of nested) {
      assert.equal(canonicalLine(line), canon, line);
      assert.equal(wasmCanonicalLine(line), canon, line);
      const b = Buffer.from(line);
      assert.equal(pruneLineFast(b, 0, b.length, 1), pruneLine(b, 0, b.length, 1), line);
    }
    // Nesting pruneForSecrets gives up on (it says undefined: decode the event) is not rewritten away.
    const deep = `{"v": 1, "evidence": ${'['.repeat(70)}1${']'.repeat(70)}, "token": "hunter2hunter2"}`;
    const db = Buffer.from(deep);
    assert.equal(pruneLine(db, 0, db.length, 1), undefined);
    assert.equal(pruneLineFast(db, 0, db.length, 1), undefined);
    assert.equal(wasmCanonicalLine(deep), canonicalLine(deep));
    // A key spelled with separators is a key with a hit ([attacker] F1: `-` reset the automaton in keys).
    for (const k of ['X-Api-Key', 'tok-en', 'p-a-s-s-w-o-r-d', 'Auth-Token', 'Secret-Key']) {
      const line = `{"v": 1, "event_type": "x", ${JSON.stringify(k)}: "hunter2hunter2"}`;
      assert.equal(canonicalLine(line), `{"v":1,"event_type":"x",${JSON.stringify(k)}:"hunter2hunter2"}`, line);
      assert.equal(wasmCanonicalLine(line), canonicalLine(line), line);
      const b = Buffer.from(line);
      assert.equal(pruneLineFast(b, 0, b.length, 1), pruneLine(b, 0, b.length, 1), line);
      assert.ok(pruneLine(b, 0, b.length, 1)?.includes('hunter2hunter2'), line);
    }
    // Not rewritten: no v, v not 1 or twice, an escape, non-ASCII, a tab.
    for (const x of ['{"event_type": "x", "token": "a"}', '{"v": 2, "token": "a"}', '{"v": 1, "v": 1, "token": "a"}', '{"v": 1, "\\u0074oken": "a"}', '{"v": 1, "tök": "password"}', '{"v":\t1, "token": "a"}']) {
      assert.equal(canonicalLine(x), undefined, x);
      assert.equal(wasmCanonicalLine(x), undefined, x);
    }
  });

  it('says when ra.yaml redact keys are not covered by the words it looks for', () => {
    assert.equal(hintsCoverWords([...DEFAULT_REDACT_KEYS]), true);
    assert.equal(hintsCoverWords(['db_dsn', 'session_token', 'Stripe-Secret', 'x-auth']), true);
    assert.equal(hintsCoverWords(['ssn']), false);
    assert.equal(hintsCoverWords(['id']), false);
    assert.equal(hintsCoverWords(['päss']), false);
    assert.ok(PREFILTER_WORDS.includes('password') && PREFILTER_WORDS.includes('apikey') && PREFILTER_WORDS.includes('://'));
  });
});

describe('secretHint: hints recorded by the cold index', () => {
  it('the run-scoped redactor of an indexed file with hints knows exactly the secrets of one without', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-hints-'));
    try {
      const run = '20261201T090000Z-h1';
      const { text, secrets } = hiddenSecretsTrace(run);
      const file = path.join(dir, 'trace.jsonl');
      fs.writeFileSync(file, text);
      const load = async (hints: boolean): Promise<Run[]> => {
        const ws = TraceWorkspace.forFile(file, { final: true, index: { minBytes: 0, workers: 0, hints } });
        await ws.load();
        return ws.runs();
      };
      const [withHints, without] = [await load(true), await load(false)];
      const known = (runs: Run[]): string[] => [...((runsRedactor(runs).options.knownSecrets ?? []) as Iterable<string>)].sort();
      const a = known(withHints);
      assert.deepEqual(a, known(without));
      for (const s of secrets) assert.ok(a.includes(s), `${s} is a run secret`);
      // The hints did their work: most records skipped, the pre-redacted ones walked as pruned text.
      const events = withHints[0].events as EventList;
      const kinds = new Map<string, number>();
      for (let i = 0; i < events.length; i++) {
        const h = events.storage.secretHint(events.refAt(i));
        const k = typeof h === 'string' ? 'text' : String(h);
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }
      assert.ok((kinds.get('0') ?? 0) > 5000, JSON.stringify([...kinds]));
      assert.ok((kinds.get('text') ?? 0) >= 3000, JSON.stringify([...kinds]));
      const red = runsRedactor(withHints);
      for (const s of secrets) assert.equal(red.identifier(`deploy/${s}/step`), 'deploy/[REDACTED]/step');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
