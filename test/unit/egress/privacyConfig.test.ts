/**
 * ra.yaml `privacy` fails closed (src/core/read/catalog.ts readPrivacy): an invalid `redact_keys`,
 * `payload_limit` or `allow_raw_payloads` is a located problem (file:line:col) and redaction gets
 * the defaults plus whatever words could be salvaged — never fewer keys, never raw payloads.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildAskMd } from '../../../src/core/render/ask';
import { askContextFor } from '../../../src/core/render/askArtifacts';
import { RunBuilder } from '../../../src/core/model/build';
import { DEFAULT_REDACT_KEYS, loadCatalog, parseRa } from '../../../src/core/read/catalog';
import { Redactor, REDACTED } from '../../../src/core/render/egress/redact';
import { normalizeEvent } from '../../../src/core/read/sources/normalize';

const at = (problems: { line?: number; col?: number; severity: string; message: string }[]): string[] =>
  problems.filter((p) => /privacy/.test(p.message)).map((p) => `${p.line}:${p.col} ${p.severity}`);

describe('egress: privacy config fails closed (catalog.ts)', () => {
  it('redact_keys written as a string: located error, defaults plus its words', () => {
    const { config, problems } = parseRa('privacy:\n  redact_keys: pin, iban  account_number\n', 'ra.yaml');
    assert.deepEqual(at(problems), ['2:16 error']);
    assert.match(problems[0].message, /privacy\.redact_keys must be a list of strings, not a string/);
    assert.deepEqual(config.redactKeys, [...DEFAULT_REDACT_KEYS, 'pin', 'iban', 'account_number']);
  });

  it('redact_keys through a YAML alias: located error, the alias resolved on top of the defaults', () => {
    const { config, problems } = parseRa('keys: &keys [pin, iban]\nprivacy:\n  redact_keys: *keys\n', 'ra.yaml');
    assert.deepEqual(at(problems), ['3:16 error']);
    assert.match(problems.find((p) => /alias/.test(p.message))!.message, /YAML alias/);
    assert.deepEqual(new Set(config.redactKeys), new Set([...DEFAULT_REDACT_KEYS, 'pin', 'iban']));
  });

  it('an alias that does not resolve, a number, a mapping, bad entries, an empty value: never fewer keys', () => {
    const cases: Array<[string, string[], string]> = [
      ['privacy:\n  redact_keys: *nothing\n', [], '2:16 error'],
      ['privacy:\n  redact_keys: 5\n', [], '2:16 error'],
      ['privacy:\n  redact_keys: {pin: iban}\n', ['pin', 'iban'], '2:16 error'],
      ['privacy:\n  redact_keys: [pin, 3, {a: b}]\n', ['pin', 'a', 'b'], '2:22 error'],
      ['privacy:\n  redact_keys:\n', [], '2:15 warning'],
    ];
    for (const [text, extra, first] of cases) {
      const { config, problems } = parseRa(text, 'ra.yaml');
      assert.equal(at(problems)[0], first, text);
      assert.deepEqual(new Set(config.redactKeys), new Set([...DEFAULT_REDACT_KEYS, ...extra]), text);
    }
    // A valid list is taken as written (the redactor adds the defaults itself) and reports nothing.
    const ok = parseRa('privacy:\n  redact_keys: [pin]\n  payload_limit: 64\n  allow_raw_payloads: false\n', 'ra.yaml');
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(ok.config.redactKeys, ['pin']);
  });

  it('invalid payload_limit uses the default; allow_raw_payloads that is not a boolean is false', () => {
    for (const [text, where] of [
      ['privacy:\n  payload_limit: -4\n  allow_raw_payloads: "yes"\n', ['2:18 error', '3:23 error']],
      ['privacy:\n  payload_limit: big\n  allow_raw_payloads: 1\n', ['2:18 error', '3:23 error']],
      ['privacy:\n  payload_limit: *x\n  allow_raw_payloads: *y\n', ['2:18 error', '3:23 error']],
    ] as const) {
      const { config, problems } = parseRa(text, 'ra.yaml');
      assert.deepEqual(at(problems), where, text);
      assert.equal(config.payloadLimit, 512);
      assert.equal(config.allowRawPayloads, false);
    }
    // Aliases YAML allows are followed for these two.
    const { config } = parseRa('lim: &l 64\nprivacy:\n  payload_limit: *l\n', 'ra.yaml');
    assert.equal(config.payloadLimit, 64);
  });

  it('a Redactor given a string instead of a list still redacts its words and the defaults', () => {
    const red = new Redactor({ redactKeys: 'pin, iban' as unknown as string[] });
    assert.deepEqual(red.value({ pin: 1234, iban: 'x', password: 'y', p: 1 }), { pin: REDACTED, iban: REDACTED, password: REDACTED, p: 1 });
  });

  it('end to end: ra.yaml with `redact_keys: pin` (a string) still redacts pin in ask.md, and reports the file position', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-privacy-'));
    try {
      fs.mkdirSync(path.join(root, '.autodev'));
      fs.writeFileSync(path.join(root, '.autodev', 'ra.yaml'), 'version: 1\nprivacy:\n  redact_keys: pin\n');
      const catalog = loadCatalog(root);
      const p = catalog.problems.find((x) => /redact_keys/.test(x.message));
      assert.ok(p, 'a located problem');
      assert.equal(p.file, path.join(root, '.autodev', 'ra.yaml'));
      assert.deepEqual([p.line, p.col, p.severity], [3, 16, 'error']);
      const b = new RunBuilder();
      const lines = [
        { v: 1, event_type: 'session_start', run_id: 'r-pin', timestamp: '2026-12-01T09:00:00Z', app: 'bank' },
        { v: 1, event_type: 'flow_start', run_id: 'r-pin', timestamp: '2026-12-01T09:00:01Z', flow: 'atm/withdraw', flow_id: 'f-1' },
        { v: 1, event_type: 'failure', run_id: 'r-pin', timestamp: '2026-12-01T09:00:02Z', flow: 'atm/withdraw', flow_id: 'f-1', failure_class: 'AUTH.DENIED', reason: 'wrong pin', evidence: { pin: '918273', password: 'pw-918273x' } },
      ];
      lines.forEach((o, i) => b.add(normalizeEvent(o, 'flowscribe-v1', { file: 't.jsonl', line: i + 1 })));
      b.finish({ now: Date.parse('2027-01-01T00:00:00Z'), hasEnded: () => true });
      const md = buildAskMd(b.runs()[0], askContextFor(catalog));
      assert.ok(!md.includes('918273'), md);
      assert.match(md, /"pin":"\[REDACTED\]"/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  describe('config that used to fail open: merge key, duplicate privacy, tab indentation', () => {
    const RUN = (root: string): string => {
      const b = new RunBuilder();
      const lines = [
        { v: 1, event_type: 'session_start', run_id: 'r-zq', timestamp: '2026-12-01T09:00:00Z', app: 'bank' },
        { v: 1, event_type: 'flow_start', run_id: 'r-zq', timestamp: '2026-12-01T09:00:01Z', flow: 'atm/withdraw', flow_id: 'f-1' },
        { v: 1, event_type: 'failure', run_id: 'r-zq', timestamp: '2026-12-01T09:00:02Z', flow: 'atm/withdraw', flow_id: 'f-1', failure_class: 'AUTH.DENIED', reason: 'denied', evidence: { zq_pin: 'Zq-918273', other_zq: 'Zq-554433', token: 'Zq-tok' } },
      ];
      lines.forEach((o, i) => b.add(normalizeEvent(o, 'flowscribe-v1', { file: 't.jsonl', line: i + 1 })));
      b.finish({ now: Date.parse('2027-01-01T00:00:00Z'), hasEnded: () => true });
      return buildAskMd(b.runs()[0], askContextFor(loadCatalog(root)));
    };
    // [name, ra.yaml, the located error (line:col and message), custom keys that must be redacted]
    const cases: Array<[string, string, RegExp, string[]]> = [
      ['a merge key in privacy', 'base: &b {redact_keys: [zq_pin, other_zq]}\nprivacy: {<<: *b}\n', /^2:\d+ error privacy: YAML merge keys \(<<\) are not supported/, ['zq_pin', 'other_zq']],
      ['a merge key next to a valid list', 'base: &b {redact_keys: [zq_pin]}\nprivacy:\n  <<: *b\n  redact_keys: [other_zq]\n', /^3:3 error privacy: YAML merge keys/, ['zq_pin', 'other_zq']],
      ['a merge key at the top', 'base: &b {privacy: {redact_keys: [zq_pin, other_zq]}}\n<<: *b\n', /^2:1 error ra\.yaml: YAML merge keys/, ['zq_pin', 'other_zq']],
      ['a duplicate privacy mapping', 'privacy:\n  redact_keys: [zq_pin]\nprivacy:\n  redact_keys: [other_zq]\n', /^3:1 error ra\.yaml: duplicate key "privacy" \(first at line 1\)/, ['zq_pin', 'other_zq']],
      ['a duplicate redact_keys', 'privacy:\n  redact_keys: [other_zq]\n  redact_keys: [zq_pin]\n', /^3:3 error privacy: duplicate key "redact_keys" \(first at line 2\)/, ['zq_pin', 'other_zq']],
      ['tab indentation', 'privacy:\n\tredact_keys: [zq_pin, other_zq]\n', /^2:1 error YAML: Tabs are not allowed as indentation/, ['zq_pin', 'other_zq']],
      ['tab indentation in a block list', 'privacy:\n  redact_keys:\n\t- zq_pin\n\t- other_zq\n', /^3:1 error YAML: Tabs are not allowed/, ['zq_pin', 'other_zq']],
    ];
    for (const [name, text, error, custom] of cases) {
      it(`${name}: a located error, the defaults plus every salvaged key, and ask.md still redacts them`, () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-privacy-open-'));
        try {
          fs.mkdirSync(path.join(root, '.autodev'));
          const file = path.join(root, '.autodev', 'ra.yaml');
          fs.writeFileSync(file, text);
          const catalog = loadCatalog(root);
          const errors = catalog.problems.filter((p) => p.file === file && p.severity === 'error').map((p) => `${p.line}:${p.col} ${p.severity} ${p.message}`);
          assert.ok(errors.some((e) => error.test(e)), `${name}: ${JSON.stringify(errors)}`);
          for (const k of [...DEFAULT_REDACT_KEYS, ...custom]) assert.ok(catalog.ra.redactKeys.includes(k), `${name}: ${k} in ${JSON.stringify(catalog.ra.redactKeys)}`);
          const md = RUN(root);
          assert.ok(!/Zq-/.test(md), `${name}: a value leaked into ask.md:\n${md}`);
          assert.match(md, /"zq_pin":"\[REDACTED\]"/);
        } finally {
          fs.rmSync(root, { recursive: true, force: true });
        }
      });
    }
  });
});
