/**
 * Malformed-line reasons never quote the line (src/core/read/sources/jsonError.ts): V8's JSON.parse
 * messages contain the input (`Unexpected token 'p', "password=hunter2" is not valid JSON`), and
 * a reason is shown in the Problems view, the CLI and summaries. Every reader that turns a parse
 * error into a reason — the JSONL tail, the index scan, the lazy event store, the SQLite sink
 * reader — gives our own wording: the kind of error and its column.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { scanRange, type ScanBatch } from '../../../src/core/read/index/scan';
import { findJsonError, jsonErrorReason } from '../../../src/core/read/sources/jsonError';
import { JsonlTail } from '../../../src/core/read/sources/jsonl';
import { parseJsonLenient } from '../../../src/core/read/sqlite/flowscribe';

const SECRET = 'hunter2-Sup3r';
const BAD_LINES = [
  `password=${SECRET}`,
  `{"password": ${SECRET}}`,
  `{"password": "${SECRET}`,
  `{"password": "${SECRET}", }`,
  `{"password": "${SECRET}"} trailing ${SECRET}`,
  `{'password': '${SECRET}'}`,
  `{"password": "${SECRET}\u0001"}`,
  `{"password": "\\q${SECRET}"}`,
  `{"a": NaN, "password": ${SECRET}}`,
  `{"v": 1, "event_type": "failure", "reason": "login failed", "evidence": {"token": ${SECRET}}`,
  `[1, 2, "${SECRET}"`,
  `{"n": 01, "s": "${SECRET}"}`,
];
const REASON = /^(?:line cut off \(no newline at end of final file\): )?not valid JSON \((?:[a-z ':,{}\][\\]|u escape)+ at column \d+\)$/;

function tmpFile(lines: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-malformed-'));
  const file = path.join(dir, 'trace.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('egress: malformed-line reasons never quote the line', () => {
  it('JsonlTail: every reason is our wording, without the secret', () => {
    const file = tmpFile(['{"v": 1, "event_type": "checkpoint"}', ...BAD_LINES]);
    try {
      const res = new JsonlTail(file).readSync(() => undefined, { final: true });
      assert.equal(res.records, 1);
      assert.equal(res.malformed.length, BAD_LINES.length);
      for (const m of res.malformed) {
        assert.ok(!m.reason.includes(SECRET) && !m.reason.includes('hunter2'), m.reason);
        assert.match(m.reason, REASON);
      }
      assert.equal(res.malformed[0].reason, 'not valid JSON (unexpected character at column 1)');
      assert.equal(res.malformed[1].reason, 'not valid JSON (unexpected character at column 14)');
      assert.equal(res.malformed[2].reason, 'not valid JSON (unterminated string at column 14)');
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('the index scan (parallel index path) gives the same reasons', async () => {
    const file = tmpFile(BAD_LINES);
    try {
      const batches: ScanBatch[] = [];
      await scanRange({ file, start: 0, end: fs.statSync(file).size, final: true }, (b) => batches.push(b));
      const reasons = batches.flatMap((b) => b.malformed.map((m) => m.reason));
      assert.equal(reasons.length, BAD_LINES.length);
      for (const r of reasons) {
        assert.ok(!r.includes('hunter2'), r);
        assert.match(r, REASON);
      }
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('the SQLite sink reader (event_data that is not JSON) too', () => {
    for (const l of BAD_LINES) {
      const r = parseJsonLenient(l);
      assert.equal(r.ok, false, l);
      if (!r.ok) {
        assert.ok(!r.error.includes('hunter2'), r.error);
        assert.match(r.error, / at column \d+$/);
      }
    }
  });

  it('finds an error exactly when JSON.parse does (property), and never quotes the text', () => {
    const mutated = fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', '"', ',', '}', ']', '\\', '\u0001', 'x', ' ', '{', ':', 'NaN', '-', '.', 'e', '0')).map(([j, i, c]) => {
      const at = j.length ? i % (j.length + 1) : 0;
      return i % 3 === 0 ? j.slice(0, at) + c + j.slice(at) : i % 3 === 1 ? j.slice(0, at) + j.slice(at + 1) : j.slice(0, at);
    });
    fc.assert(
      fc.property(fc.oneof(fc.json(), mutated, fc.string()), (s) => {
        let ok = true;
        try {
          JSON.parse(s);
        } catch {
          ok = false;
        }
        const e = findJsonError(s);
        if (ok !== (e === undefined)) return false;
        // The reason is built from fixed words and a number only.
        return ok || /^not valid JSON \([a-z ':,{}\][\\u]+ at column \d+\)$/.test(jsonErrorReason(s));
      }),
      { numRuns: 5000, seed: 7 },
    );
  });

  it('is iterative: 100,000-deep nesting does not overflow the stack', () => {
    const deep = '['.repeat(100000) + ']'.repeat(99999);
    assert.equal(jsonErrorReason(deep), 'not valid JSON (unexpected end of line at column 200000)');
    assert.equal(findJsonError('['.repeat(100000) + ']'.repeat(100000)), undefined);
  });
});
