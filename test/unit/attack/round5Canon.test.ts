/**
 * Round 5 attack (issue 15 round 5, d0caa52): the WASM scanner's port of secretHint.ts canonLine /
 * canonInner (wasm/scanner/assembly/index.ts) must give byte for byte the JS canonical form of
 * every line, hostile ones included: a different form is pruned in place of the line's own, so a
 * secret could be lost (or a different text kept). Generated lines: a token soup of the bytes the
 * port branches on (structure, `-p`, spaces, controls, backslash, non-ASCII, words of the
 * automaton, known keys and keys that hash into their slots), and structured v1 objects with
 * nested values, hits at every depth and odd spacing, near the depth (60) and length (64 KiB)
 * limits.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalLine } from '../../../src/core/read/secretHint';
import { wasmCanonicalLine } from '../index/wasmCanon';
import { slotTwin } from './round5Support';

const KNOWN = ['run_id', 'timestamp', 'flow', 'flow_id', 'parent_flow_id', 'caused_by', 'step', 'file', 'function', 'failure_class', 'reason', 'status', 'line', 'duration_ms', 'pid', 'evidence', 'data', 'tags', 'correlation', 'v', 'event_type', 'severity', 'name', 'value', 'type', 'ts', 'message', 'latency_ms'];
const X = Number(process.env.ROUND5_X ?? 1);
const TWINS = ['run_id', 'duration_ms', 'correlation', 'evidence', 'v', 'event_type', 'status', 'tags'].map(slotTwin);

const TOKENS = [
  '{', '}', '[', ']', '"', '"', '"', ',', ',', ':', ' ', ' ', '  ', '-', '-p', '-P', 'p', 'v', '1', '0', '9', '12', '007', '1.5', '-1', 'e5',
  '"v":1', '"v": 1', '"v" :1', '"v":11', '"v":"1"', 'true', 'null', '{}', '[]', '""', '"_"',
  'token', 'tok', 'ken', 'pass', 'pw', 'pwd', 'auth', 'api', 'key', 'key=', 'code=', '://', ':/', 'sig', 'dsn', 'secret', 'cookie', 'hooks', 'begin', '%3a', '%3d', '%3',
  '_', '.', '=', '/', 'x', 'a', 'A', 'K', 'TOKEN', '\t', '\\', '\\"', 'é', '\u007f', '\r',
  ...KNOWN.map((k) => `"${k}"`), ...KNOWN.map((k) => `"${k}":`), ...TWINS.map((k) => `"${k}":`),
];

function soup(): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 40 }).map((a) => a.join(''));
}

/** A value: scalars, words with hits, nested objects/arrays (depth-bounded). */
const word = fc.constantFrom('x', 'hunter2', 'token', 'a-pb', 'pass', 'ok', 'key=1', 'sig', '', 'Bearer abc', 'p-P', 'tok en', 'au th');
const sp = fc.constantFrom('', '', '', ' ', '  ');
const keyArb = fc.constantFrom(...KNOWN, ...TWINS, 'api_key', 'X-Api-Key', 'x-p', 'note', 'a', 'secret_thing', 'pw', 'k-P', 'tok', 'ken');

function valueArb(depth: number): fc.Arbitrary<string> {
  const scal = fc.oneof(
    word.map((w) => JSON.stringify(w)),
    fc.constantFrom('0', '1', '12', '007', '-1', '1.5', '1e3', 'true', 'false', 'null', '123456789012345', '1234567890123456'),
  );
  if (depth <= 0) return scal;
  return fc.oneof(
    { weight: 3, arbitrary: scal },
    { weight: 2, arbitrary: fc.tuple(fc.array(fc.tuple(keyArb, valueArb(depth - 1), sp, sp), { maxLength: 4 }), sp).map(([ms, s]) => `{${s}${ms.map(([k, v, a, b]) => `${a}"${k}"${b}:${a}${v}${b}`).join(',')}${s}}`) },
    { weight: 1, arbitrary: fc.array(valueArb(depth - 1), { maxLength: 3 }).map((vs) => `[${vs.join(',')}]`) },
  );
}

function lineArb(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(fc.tuple(keyArb, valueArb(3), sp, sp), { maxLength: 7 }), fc.nat(8), sp, fc.boolean())
    .map(([ms, at, s, vTwice]) => {
      const parts = ms.map(([k, v, a, b]) => `${a}"${k}"${b}:${a}${v}${b}`);
      parts.splice(Math.min(at, parts.length), 0, `${s}"v"${s}:${s}1`);
      if (vTwice) parts.push('"v":1');
      return `${s}{${parts.join(',')}}${s}`;
    });
}

function same(line: string): void {
  assert.equal(wasmCanonicalLine(line), canonicalLine(line), `WASM canonical form ≠ JS canonicalLine for ${JSON.stringify(line)}`);
}

describe('attack round 5: the WASM canonical form equals canonicalLine', function () {
  this.timeout(60000);

  it('the key-table twins land in the slots of real keys (the generator is doing its job)', () => {
    assert.equal(TWINS.length, 8);
    // A twin is a K_ANY key: its value becomes 0 while the real key keeps its kind.
    const twin = slotTwin('run_id');
    assert.equal(canonicalLine(`{"v":1,"${twin}":"abc","pw":"x"}`), '{"v":1,"' + twin + '":0,"pw":"x"}');
    assert.equal(canonicalLine('{"v":1,"run_id":"abc","pw":"x"}'), '{"v":1,"run_id":"_","pw":"x"}');
    same(`{"v":1,"${twin}":"abc","pw":"x"}`);
  });

  it('token soup around v1 objects (seeded)', () => {
    fc.assert(
      fc.property(soup(), soup(), fc.boolean(), (a, b, wrap) => {
        const line = wrap ? `{"v":1,${a}"pw":"${b}"}` : `${a}${b}`;
        same(line);
        same(`{${a}}`);
      }),
      { seed: 515, numRuns: 6000 * X },
    );
  });

  it('structured v1 lines with nested hits, spacing, duplicate keys and twins (seeded)', () => {
    let canonical = 0;
    fc.assert(
      fc.property(lineArb(), (line) => {
        same(line);
        if (canonicalLine(line) !== undefined) canonical++;
      }),
      { seed: 5150, numRuns: 6000 * X },
    );
    assert.ok(canonical > 1000, `enough lines have a canonical form (${canonical})`);
  });

  it('the depth (60) and length (64 KiB) limits, byte by byte around them', () => {
    for (let d = 55; d <= 64; d++) {
      for (const hitAt of ['top', 'deep']) {
        const open = '{"a":'.repeat(d);
        const inner = hitAt === 'deep' ? '"pw-p"' : '1';
        const line = `{"v":1,"evidence":${open}${inner}${'}'.repeat(d)},"pw":"hunter2"}`;
        same(line);
        same(line.replace(/\{"a":/g, '[').replace(/\}(?=[},])/g, ']'));
      }
    }
    const head = '{"v":1,"pw":"hunter2","note":"';
    const tail = '"}';
    for (const len of [65535, 65536, 65537, 65538]) {
      for (const pad of [0, 1]) {
        const body = 'x'.repeat(len - head.length - tail.length - pad);
        same(head + body + tail + ' '.repeat(pad));
        same(' '.repeat(pad) + head + body + tail);
      }
    }
  });
});
