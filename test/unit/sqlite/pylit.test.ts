import { strict as assert } from 'node:assert';
import { parsePythonLiteral } from '../../../src/core/read/sqlite/pylit';
import { py } from './helpers';

describe('sqlite/pylit: safe Python-literal parser', () => {
  it('parses what repr() writes, compared with json.dumps of the same values', () => {
    const cases = JSON.parse(
      py(String.raw`
import json
vals = [
  {'cls': 'DATA.MISSING', 'reason': "rows < 390", 'n': 3, 'ok': True, 'x': None, 'f': 1.5, 'e': 1e-07, 'neg': -42},
  ['a', "it's", 'say "hi"', 'tab\there', 'nl\nx', 'uni \u00e9\u2603 \U0001F600', 'bs \\ end'],
  (1, 2, ('nested', [3, {'k': (4,)}])),
  {'empty': {}, 'list': [], 'tuple': (), 'big': 12345678901234, 'f2': 0.1 + 0.2},
  {1: 'int key', 'z': False},
  'plain string', 7, -0.5, True, None, "\x00\x07\x7f",
]
print(json.dumps([[repr(v), json.dumps(v)] for v in vals]))
`),
    ) as [string, string][];
    assert.ok(cases.length > 5);
    for (const [repr, json] of cases) {
      const r = parsePythonLiteral(repr);
      assert.ok(r.ok, `${repr}: ${r.ok ? '' : r.error}`);
      assert.deepEqual(r.value, JSON.parse(json), repr);
    }
  });

  it('reads nan / inf and sets', () => {
    const r = parsePythonLiteral("{'a': nan, 'b': inf, 'c': -inf, 's': {1, 2}}");
    assert.ok(r.ok);
    const v = r.value as Record<string, unknown>;
    assert.ok(Number.isNaN(v.a));
    assert.equal(v.b, Infinity);
    assert.equal(v.c, -Infinity);
    assert.deepEqual(v.s, [1, 2]);
  });

  it('never evaluates: calls, names and expressions are rejected', () => {
    for (const s of ["datetime.datetime(2026, 11, 18, 9, 0)", "__import__('os').system('x')", '1 + 2', "{'a': Decimal('1.0')}", "{'a': 1", "'unterminated", "[1 2]"]) {
      const r = parsePythonLiteral(s);
      assert.equal(r.ok, false, s);
    }
  });

  it('keeps __proto__ as a plain key', () => {
    const r = parsePythonLiteral("{'__proto__': {'polluted': 1}}");
    assert.ok(r.ok);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(r.value as object), ['__proto__']);
  });
});
