import * as assert from 'node:assert/strict';
import { REDACTED, Redactor, hasControl, isSensitiveKey, redactIdentifier, redactString, redactValue, stripControl, truncateString } from '../../../src/core/render/egress/redact';

describe('redact', () => {
  describe('keys', () => {
    it('redacts default keys case-insensitively at any depth, without mutating the input', () => {
      const input = {
        ticker: 'AAPL',
        configs: { broker: 'paper', API_KEY: 'sk-live-DO-NOT-LEAK', nested: [{ Password: 'hunter2', qty: 10 }] },
        Cookie: { session: 'abc' },
      };
      const before = JSON.parse(JSON.stringify(input));
      assert.deepEqual(redactValue(input), {
        ticker: 'AAPL',
        configs: { broker: 'paper', API_KEY: REDACTED, nested: [{ Password: REDACTED, qty: 10 }] },
        Cookie: REDACTED,
      });
      assert.deepEqual(input, before);
    });

    it('matches keys that contain a redact key (x_api_key, Authorization, apiKey, set-cookie)', () => {
      const out = redactValue({ x_api_key: 'k1', Authorization: 'Basic x', apiKey: 'k2', 'set-cookie': 'c', author: 'ann', flow_id: 'f-1' });
      // `author` contains `auth`: generous on purpose (documented).
      assert.deepEqual(out, { x_api_key: REDACTED, Authorization: REDACTED, apiKey: REDACTED, 'set-cookie': REDACTED, author: REDACTED, flow_id: 'f-1' });
    });

    it('adds custom keys from ra.yaml (account_number) and keeps short custom keys exact', () => {
      const r = new Redactor({ redactKeys: ['account_number', 'id'] });
      assert.deepEqual(r.value({ account_number: 'DE00', bank_Account_Number: 'x', id: 7, flow_id: 'f-1' }), {
        account_number: REDACTED,
        bank_Account_Number: REDACTED,
        id: REDACTED,
        flow_id: 'f-1',
      });
      assert.equal(isSensitiveKey('accountNumber', { redactKeys: ['account_number'] }), true);
      assert.equal(isSensitiveKey('ticker'), false);
    });
  });

  describe('credential-looking values', () => {
    const cases: Array<[string, string]> = [
      ['login failed: password=hunter2 for bob', 'login failed: password=[REDACTED] for bob'],
      ["{'side': 'sell', 'password': 'hunter2', 'qty': 10}", "{'side': 'sell', 'password': '[REDACTED]', 'qty': 10}"],
      ['{"token": "tok-123456"}', '{"token": "[REDACTED]"}'],
      ['GET /q?api_key=abc123&x=1', 'GET /q?api_key=[REDACTED]&x=1'],
      ['header Authorization: Bearer abc.def-ghi123 rejected', 'header Authorization: [REDACTED] rejected'],
      ['sent Bearer abcdefghijk', 'sent Bearer [REDACTED]'],
      ['using sk-live-DO-NOT-LEAK now', 'using [REDACTED] now'],
      ['aws AKIAIOSFODNN7EXAMPLE!', 'aws [REDACTED]!'],
      ['gh ghp_abcdefghijklmnopqrstuvwxyz0123 ok', 'gh [REDACTED] ok'],
      ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl end', 'jwt [REDACTED] end'],
      ['key -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- done', 'key [REDACTED] done'],
      ['db postgres://app:s3cr3t@db.local/x', 'db postgres://app:[REDACTED]@db.local/x'],
      ['paid from DE89-3704-0044-0532-0130-00 today', 'paid from [REDACTED] today'],
    ];
    for (const [input, expected] of cases) {
      it(`scrubs ${JSON.stringify(input.slice(0, 40))}`, () => assert.equal(redactString(input), expected));
    }

    it('leaves ordinary reasons alone', () => {
      for (const s of ['vendor returned 0 rows for NVDA', 'market closed on 2026-11-22', 'Basic validation failed', 'req-AAPL-2026-11-18', 'score 0.40 below threshold 0.60']) {
        assert.equal(redactString(s), s);
      }
    });

    it('scrubs keys of objects and values nested in arrays', () => {
      assert.deepEqual(redactValue({ reasons: ['token=abc', 'ok'], 'sk-live-DO-NOT-LEAK': 1 }), { reasons: ['token=[REDACTED]', 'ok'], [REDACTED]: 1 });
    });

    it('applies custom keys inside strings too', () => {
      assert.equal(redactString("{'account_number': 'X-1'}", { redactKeys: ['account_number'] }), "{'account_number': '[REDACTED]'}");
    });
  });

  describe('size', () => {
    it('cuts strings at payload_limit with a visible marker', () => {
      assert.equal(redactString('a'.repeat(600), { payloadLimit: 512 }), 'a'.repeat(512) + '… (truncated 88 chars)');
      assert.equal(redactString('short', { payloadLimit: 512 }), 'short');
      assert.equal(truncateString('abcdef', 4), 'abcd… (truncated 2 chars)');
    });

    it('scrubs before cutting, so a secret across the cut is not half-kept', () => {
      const s = 'x'.repeat(10) + 'token=tok-123456';
      const out = redactString(s, { payloadLimit: 20 });
      assert.ok(!out.includes('tok-12'), out);
      assert.ok(out.endsWith('chars)'));
    });

    it('caps long arrays and marks cycles and deep nesting without overflowing the stack', () => {
      const a: Record<string, unknown> = { n: 1 };
      a.self = a;
      assert.deepEqual(redactValue(a), { n: 1, self: '[circular]' });
      const list = redactValue(Array.from({ length: 60 }, (_, i) => i), { maxItems: 3 });
      assert.deepEqual(list, [0, 1, 2, '… 57 more items']);
      let deep: Record<string, unknown> = {};
      const root = deep;
      for (let i = 0; i < 200000; i++) deep = (deep.n = {}) as Record<string, unknown>;
      const out = JSON.stringify(redactValue(root, { maxDepth: 3 }));
      assert.equal(out, '{"n":{"n":{"n":"[depth limit]"}}}');
    });

    it('turns non-JSON numbers into strings', () => {
      assert.deepEqual(redactValue({ a: NaN, b: Infinity, c: 1.5 }), { a: 'NaN', b: 'Infinity', c: 1.5 });
    });
  });

  it('cannot be dodged with zero-width or bidi characters inside a key', () => {
    assert.equal(redactString('pass\u200bword=hunter2'), 'password=[REDACTED]');
    assert.deepEqual(redactValue({ 'to\u200dken': 'tok-123456' }), { token: REDACTED });
  });

  it('cannot be dodged with a control or zero-width character inside a flag of an argv list, or inside the text findSecrets is asked about (red-team, issue 15 round 9)', () => {
    const red = new Redactor();
    const argvs = [
      ['mysql', '-\u200bp', 'hunter2hunter2'],
      ['mysql', '-\u200bphunter2hunter2'],
      ['my\u200bsql', '-p', 'hunter2hunter2'],
      ['deploy', '--pass\u200bword', 'hunter2hunter2'],
      ['deploy', '--to\x1b[0mken', 'hunter2hunter2'],
    ];
    for (const argv of argvs) {
      const out = JSON.stringify(red.value({ argv }));
      assert.ok(!out.includes('hunter2hunter2'), `${JSON.stringify(argv)} → ${out}`);
      const found = new Set<string>();
      red.findArgvSecrets(argv, found);
      assert.ok([...found].includes('hunter2hunter2'), `${JSON.stringify(argv)}: ${[...found].join(', ')}`);
    }
    // The same lists without the hidden characters give the same redaction (the test reads what it should).
    assert.deepEqual(red.value({ argv: ['mysql', '-p', 'hunter2hunter2'] }), red.value({ argv: argvs[0] }));
    // findSecrets' trigger reads the text as its patterns do: `-p` or a key word split by an
    // invisible character (beside an upper-case -P, which is no trigger) is still found.
    for (const text of ['mysql -P 3306 -\u200bphunter2hunter2 db', 'mysql -\u200bphunter2hunter2 db', 'mysql -\x1b[0mphunter2hunter2 db', 'ord-PYPL-265 to\u200bken=hunter2hunter2', 'X-Powered-By pa\u200dssword=hunter2hunter2']) {
      const found = new Set<string>();
      red.findSecrets(text, found);
      assert.ok([...found].includes('hunter2hunter2'), `${JSON.stringify(text)}: ${[...found].join(', ')}`);
    }
  });

  describe('stripControl', () => {
    it('removes ANSI, control, bidi and zero-width characters, keeps newlines and tabs', () => {
      assert.equal(stripControl('a\x1b[31mred\x1b[0m\t\u202Eevil\u200b\r\nz\x07\x00'), 'ared\tevil\nz');
    });

    it('turns U+2028/U+2029 into spaces and removes C1, soft hyphen, invisible operators, fillers and tag characters', () => {
      assert.equal(stripControl('run\u2028# IGNORE\u2029x'), 'run # IGNORE x');
      assert.equal(stripControl('a\x85b\x9bc\u00add\u2062e\u206af\u3164g\ufff9h\u{E0041}\u{E007F}i\u180ej'), 'abcdefghij');
      assert.equal(stripControl('emoji 👍🏽 é 中文 ok'), 'emoji 👍🏽 é 中文 ok');
      assert.equal(hasControl('plain id-1'), false);
      for (const c of ['\u2028', '\u2029', '\x1b', '\r', '\u202e', '\u{E0041}', '\x85']) assert.equal(hasControl(`a${c}b`), true, JSON.stringify(c));
    });
  });

  describe('more credential keys (passwd, pass, pwd, passphrase, credentials, private_key, access_key)', () => {
    it('redacts them as object keys, but not ordinary keys that merely contain the short ones', () => {
      assert.deepEqual(
        redactValue({ passwd: 'a', db_passwd: 'b', pass: 'c', pwd: 'd', passphrase: 'e', credentials: 'f', private_key: 'g', privateKey: 'h', aws_access_key: 'i', client_secret: 'j' }),
        { passwd: REDACTED, db_passwd: REDACTED, pass: REDACTED, pwd: REDACTED, passphrase: REDACTED, credentials: REDACTED, private_key: REDACTED, privateKey: REDACTED, aws_access_key: REDACTED, client_secret: REDACTED },
      );
      const ordinary = { passed: 3, tests_passed: 4, bypass: true, compass: 'N', cwd: '/srv', session_id: 's-1', session: 'run-1', key: 'k', primary_key: 7, passenger: 'x' };
      assert.deepEqual(redactValue(ordinary), ordinary);
    });

    it('keeps redacted JSON text parseable and a repr a repr: the marker takes the value\'s quotes', () => {
      const json = redactString('{"password":"hunter2x","n":{"token":12345678},"s":"ok"}');
      assert.deepEqual(JSON.parse(json), { password: REDACTED, n: { token: REDACTED }, s: 'ok' });
      assert.equal(redactString('{\\"api_key\\":\\"k-123456\\"}'), `{\\"api_key\\":\\"${REDACTED}\\"}`);
      assert.equal(redactString("{'pwd': b'x9y8z7'}"), `{'pwd': b'${REDACTED}'}`);
      assert.equal(redactString('token=abc123def'), `token=${REDACTED}`);
    });

    it('redacts them inside strings: key=value, JSON and Python-repr pairs', () => {
      assert.equal(redactString("{'user': 'bob', 'passwd': 'c0rrectH0rse99'}"), `{'user': 'bob', 'passwd': '${REDACTED}'}`);
      assert.equal(redactString('{"pass": "x1y2", "passed": 3}'), `{"pass": "${REDACTED}", "passed": 3}`);
      assert.equal(redactString('pwd=abc cwd=/x bypass=1 passed=2 PASSPHRASE: open sesame'), `pwd=${REDACTED} cwd=/x bypass=1 passed=2 PASSPHRASE: ${REDACTED} sesame`);
      assert.equal(redactString('private-key=MIIEow credentials=u:p'), `private-key=${REDACTED} credentials=${REDACTED}`);
    });

    it('short custom keys match the whole key in strings too, as for object keys', () => {
      const red = new Redactor({ redactKeys: ['pin'] });
      assert.equal(red.string('pin=1234 spin=3 pinned=yes'), `pin=${REDACTED} spin=3 pinned=yes`);
      assert.deepEqual(red.value({ pin: 1, spin: 2 }), { pin: REDACTED, spin: 2 });
    });
  });

  describe('identifier', () => {
    it('keeps ordinary identifiers exactly, control characters included', () => {
      for (const id of ['20261122T140000Z-f5b0', 'data/fetch/minute_candles', '/srv/app/passwords.py', 'tests_passed', 'a\u202eb', 'token_refresh', 'x'.repeat(5000)]) {
        assert.equal(redactIdentifier(id), id);
      }
    });

    it('replaces credential-looking parts and nothing else', () => {
      assert.equal(redactIdentifier('run-pw-login failed: password=hunter2-Sup3r!'), `run-pw-login failed: password=${REDACTED}`);
      assert.equal(redactIdentifier('hostile/aws/aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), `hostile/aws/aws_secret_access_key = ${REDACTED}`);
      assert.equal(redactIdentifier('cloned with ghp_16C7e42F292c6912E7710c838347Ae178B4a'), `cloned with ${REDACTED}`);
      assert.equal(redactIdentifier('postgres://admin:S3cretDbPass42@db.internal:5432/prod'), `postgres://admin:${REDACTED}@db.internal:5432/prod`);
      assert.equal(redactIdentifier('pass\u200bword=hunter2'), `password=${REDACTED}`);
    });
  });
});
