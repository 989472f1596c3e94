/** Terminal output helpers of the CLI: escaping untrusted text, colour decisions, tables, JSON. */
import * as assert from 'node:assert/strict';
import { esc, iso, painter, table, toJson, useColor } from '../../../src/cli/output';

describe('cli output', () => {
  it('escapes ANSI escapes, C0/C1 controls, bidi controls and newlines', () => {
    assert.equal(esc('a\u001b[31mred\u001b[0m'), 'a\\e[31mred\\e[0m');
    assert.equal(esc('x\u202ey\u2066z\u200f'), 'x\\u202ey\\u2066z\\u200f');
    assert.equal(esc('l1\nl2\r\tt\u0007\u009b'), 'l1\\nl2\\r\\tt\\x07\\x9b');
    assert.equal(esc('plain ünïcode ✓'), 'plain ünïcode ✓');
    assert.equal(esc(undefined), '');
    assert.equal(esc({ a: 1 }), '{"a":1}');
  });
  it('writes invisible characters in JSON as \\u escapes without changing the values', () => {
    const v = { s: 'a\u202eb\u001bc\u2028d' };
    const out = toJson(v);
    assert.doesNotMatch(out, /[\u202e\u001b\u2028]/);
    assert.deepEqual(JSON.parse(out), v);
  });
  it('colours a TTY unless NO_COLOR; FORCE_COLOR decides when set', () => {
    assert.equal(useColor({}, true), true);
    assert.equal(useColor({}, false), false);
    assert.equal(useColor({ NO_COLOR: '1' }, true), false);
    assert.equal(useColor({ FORCE_COLOR: '1' }, false), true);
    assert.equal(useColor({ FORCE_COLOR: '0' }, true), false);
    assert.equal(useColor({ NO_COLOR: '', FORCE_COLOR: '' }, true), true);
  });
  it('aligns columns, right-aligns numbers, escapes cells and colours only when asked', () => {
    const plain = table(['NAME', 'N'], [['a\u001bb', 5], ['long name', 12]], painter(false));
    assert.equal(plain, 'NAME        N\na\\eb        5\nlong name  12\n');
    const coloured = table(['NAME', 'N'], [[{ text: 'x', colour: 'red' }, 1]], painter(true));
    assert.match(coloured, /\u001b\[31mx\s*\u001b\[39m/);
  });
  it('prints times as ISO-8601 UTC, null when unknown', () => {
    assert.equal(iso(Date.UTC(2026, 10, 19, 9, 0, 1, 375)), '2026-11-19T09:00:01.375Z');
    assert.equal(iso(undefined), null);
    assert.equal(iso(NaN), null);
  });
});
