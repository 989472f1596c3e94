/**
 * Adversarial tests of the secret-hint fast paths (src/core/read/secretHint.ts): the byte prefilter
 * (lineMayHoldSecret), pruneLine and its memoised canonical-line fast path pruneLineFast. The
 * contract: what the index keeps of a flagged line gives the run-scoped secret walk
 * (src/core/render/egress/secrets.ts eventSecrets) EXACTLY the secrets the full event gives, and a
 * line the prefilter passes gives the walk nothing. The reference is the full event (parseJsonLine +
 * normalizeEvent, as FileEvents decodes it) walked by a Redactor whose redact words the prefilter
 * does not cover (so the walk does not trust the automaton), and by the default Redactor (as the
 * walk runs in production). The walk scans the run's own id once for records it skips (the decoded
 * event's runId is the run's id), so the pruned side is given the event's runId too.
 *
 * Regression: F1 (a `-` in a top-level key reset the automaton in canonLine's key loop, so
 * `{"v":1,"X-Api-Key":"hunter2hunter2"}` lost its secret in pruneLineFast).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { wasmCanonicalLine } from '../index/wasmCanon';
import { canonicalLine, lineMayHoldSecret, pruneLine, pruneLineFast } from '../../../src/core/read/secretHint';
import { parseJsonLine } from '../../../src/core/read/sources/jsonl';
import { detectDialect, normalizeEvent } from '../../../src/core/read/sources/normalize';
import { Redactor } from '../../../src/core/render/egress/redact';
import { eventSecrets, runsRedactor } from '../../../src/core/render/egress/secrets';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import type { Run, TraceEvent } from '../../../src/core/model/types';
import { EventList } from '../../../src/core/model/storage';

/** A walk that trusts no prefilter (its extra redact word is covered by none). */
const REF = new Redactor({ redactKeys: ['qzqzqz'] });
/** The walk as it runs by default. */
const DEF = new Redactor({});

function eventOf(b: Buffer): TraceEvent | undefined {
  const r = parseJsonLine(b, 0, b.length, 1, false, Infinity);
  return r?.value ? normalizeEvent(r.value, detectDialect(r.value) ?? 'flowscribe-v1', { file: 't.jsonl', line: 1, offset: 1 }) : undefined;
}

function sorted(s: Set<string>): string[] {
  return [...s].sort();
}

/** The secrets of the full event. */
function fullSecrets(e: TraceEvent, red: Redactor): string[] {
  const out = new Set<string>();
  eventSecrets(e, red, out);
  return sorted(out);
}

/** The secrets of a pruned text ('' = none), plus the run id scan the walk adds for a skipped record. */
function textSecrets(t: string, runId: string | undefined, red: Redactor): string[] {
  const out = new Set<string>();
  if (t !== '') eventSecrets(JSON.parse(t) as TraceEvent, red, out);
  if (runId !== undefined) eventSecrets({ runId } as TraceEvent, red, out);
  return sorted(out);
}

interface Check {
  /** The full event's secrets (REF). */
  want: string[];
  flagged: boolean;
  canonical: boolean;
}

/**
 * The contract on one line (placed mid-buffer, as hintRecords reads it from its window): the
 * prefilter flags every line with a secret; pruneLine and pruneLineFast (twice: memo) keep
 * exactly the event's secrets for both walks.
 */
function check(line: string | Buffer, what = ''): Check | undefined {
  const raw = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
  const e = eventOf(raw);
  if (!e) return undefined;
  const label = `${what} ${JSON.stringify(raw.toString('latin1'))}`;
  const want = fullSecrets(e, REF);
  const wantDef = fullSecrets(e, DEF);
  const buf = Buffer.concat([Buffer.from('{"x":1}\n'), raw, Buffer.from('\n{"y":2}')]);
  const s = 8;
  const end = s + raw.length;
  const flagged = lineMayHoldSecret(buf, s, end);
  if (!flagged) {
    assert.deepEqual(want, [], `prefilter passed a line with secrets: ${label}`);
    assert.deepEqual(wantDef, [], `prefilter passed a line with secrets (default walk): ${label}`);
  }
  const slow = pruneLine(buf, s, end, 100);
  for (const k of [0, 1]) {
    const fast = pruneLineFast(buf, s, end, 100);
    assert.equal(fast, slow, `pruneLineFast ≠ pruneLine (call ${k}): ${label}`);
  }
  if (slow !== undefined) {
    assert.deepEqual(textSecrets(slow, e.runId, REF), want, `pruned text ${slow} loses/adds secrets: ${label}`);
    assert.deepEqual(textSecrets(slow, e.runId, DEF), wantDef, `pruned text ${slow} loses/adds secrets (default walk): ${label}`);
  }
  const canonical = canonicalLine(raw.toString('latin1'));
  // The WASM scanner's port of canonLine makes the same form.
  assert.equal(wasmCanonicalLine(raw.toString('latin1')), canonical, `WASM canonical form ≠ canonicalLine: ${label}`);
  return { want, flagged, canonical: canonical !== undefined };
}

const SECRET = 'hunter2hunter2';

describe('attack: pruneLineFast / pruneLine / the line prefilter vs the full event walk', function () {
  this.timeout(120000);

  it('F1 regression: a key with dashes (HTTP-header style, letter by letter) at the top level and nested', () => {
    const keys = ['tok-en', 'X-Api-Key', 'x-api-key', 'X-Auth-Token', 'Proxy-Authorization', 'Set-Cookie', 'p-a-s-s-w-o-r-d', 'Secret-Key', 'a-c-c-e-s-s-k-e-y', 'pass-wd', 'private-key', 'D-S-N', 'p-w', 'P-W-D', 'mysql-pwd', 'web-hook-url', 'pass--word', '-token-', 'x-amz-security-token', 'x-goog-api-key'];
    let withSecret = 0;
    for (const k of keys) {
      for (const [sep, col] of [[',', ':'], [', ', ': ']]) {
        const base = `{"v"${col}1${sep}"run_id"${col}"r1"${sep}"event_type"${col}"checkpoint"`;
        for (const v of [JSON.stringify(SECRET), '123456789', '[1234567, "abcdefgh"]', '{"a": "hunter2hunter2"}']) {
          for (const line of [`${base}${sep}${JSON.stringify(k)}${col}${v}}`, `${base}${sep}"evidence"${col}{${JSON.stringify(k)}${col}${v}}}`, `${base}${sep}"data"${col}[{${JSON.stringify(k)}${col}${v}}]}`]) {
            const c = check(line, k);
            assert.ok(c);
            assert.ok(c.want.length > 0, `the walk finds nothing in ${line}: the case tests nothing`);
            assert.ok(c.flagged, line);
            if (c.want.length) withSecret++;
          }
        }
      }
      // the canonical line keeps such a member as written
      const l = `{"v": 1, "event_type": "x", ${JSON.stringify(k)}: "${SECRET}"}`;
      assert.ok(canonicalLine(l)?.includes(SECRET), `${l} → ${canonicalLine(l)}`);
    }
    assert.ok(withSecret > 100);
  });

  it('spellings a secret hides behind, at the top level, nested, in argv, in metrics, after aliases and duplicates', () => {
    const base = '"v": 1, "run_id": "r1", "event_type": "checkpoint", "timestamp": "2026-12-01T09:00:00Z", "flow": "a/b", "flow_id": "f-1"';
    const squeezed = ['pass_word', 'PASS.WORD', 'p-a-s-s', 'p a s s', 'Pass Word', 'PaSsWoRd', 'pass', 'PASS', 'pwd', 'pw', 'Pw', 'dsn', 'DSN', 'api key', 'API.KEY', 'apiKey', 'APIKEY', 'api__key', 'a.p.i_k-e y', 'auth', 'AUTHORIZATION', 'cookie', 'my_cookie_jar', 'secret', 'client_secret', 'SECRET_KEY', 'passphrase', 'credential', 'Credentials', 'private_key', 'access_key', 'signing_key', 'encryption_key', 'account_key', 'shared_access_key', 'shared_access_signature', 'mysql_pwd', 'MYSQL.PWD', 'pgpass', 'webhook_url', 'WebHook.Url', 'token', 'id_token', 'tokens', 'passwd', 'db_password_hash', 'x-api-key', 'x_api_key'];
    const cases: string[] = [];
    for (const k of squeezed) {
      const kk = JSON.stringify(k);
      cases.push(
        `{${base}, ${kk}: "${SECRET}"}`,
        `{${base}, ${kk}: 12345678}`,
        `{${base}, ${kk}: -98765.4321}`,
        `{${base}, ${kk}: 1e21}`,
        `{${base}, ${kk}: 1e400}`,
        `{${base}, ${kk}: ["${SECRET}", 7654321]}`,
        `{${base}, "evidence": {${kk}: "${SECRET}"}}`,
        `{${base}, "evidence": {"nested": {"deeper": [{${kk}: {"x": "${SECRET}"}}]}}}`,
        `{${base}, "correlation": {${kk}: "${SECRET}"}}`,
        `{${base}, "data": {${kk}: true, "other": "${SECRET}"}}`,
        `{${base}, "event_type": "metric", "name": ${kk}, "value": 12345678}`,
        `{${base}, "event_type": "metric", "name": ${kk}, "value": "${SECRET}"}`,
        `{${base}, "type": "metric", "name": ${kk}, "value": 12345678}`,
        `{${base}, "event_type": "metric", "metric": {"name": ${kk}, "value": 12345678}}`,
        `{${base}, "evidence": ["deploy", "--${k.replace(/ /g, '-')}", "${SECRET}"]}`,
        `{${base}, "reason": "retry with ${k}=${SECRET}"}`,
        `{${base}, "reason": "${k}: ${SECRET}"}`,
        `{${base}, "message": "${k}=${SECRET}"}`,
        `{${base}, "reason": "ok", "message": "${k}=${SECRET}"}`,
        `{${base}, "reason": "", "message": "${k}=${SECRET}"}`,
        `{${base}, "tags": "prod, ${k}:${SECRET}"}`,
        `{${base}, "tags": ["prod", "${k}=${SECRET}"]}`,
        `{${base}, "exception": {"type": "E", "message": "${k}=${SECRET}"}}`,
        `{${base}, "step": "${k}=${SECRET}"}`,
        `{${base}, "evidence": "${k}=${SECRET}"}`,
        // duplicate keys: JSON.parse keeps the last value (and the first key's place)
        `{${base}, ${kk}: "${SECRET}", ${kk}: "zz"}`,
        `{${base}, ${kk}: "zz", ${kk}: "${SECRET}"}`,
        `{${base}, "evidence": {"a": 1}, "evidence": {${kk}: "${SECRET}"}}`,
        `{${base}, "evidence": {${kk}: "${SECRET}"}, "evidence": {"a": 1}}`,
        `{${base}, "flow": "x", "flow": "${k}=${SECRET}"}`,
        `{${base}, "flow": "${k}=${SECRET}", "flow": "x"}`,
        // __proto__ and other Object.prototype names
        `{${base}, "__proto__": {${kk}: "${SECRET}"}}`,
        `{${base}, "evidence": {"__proto__": {${kk}: "${SECRET}"}}}`,
        `{${base}, "constructor": {${kk}: "${SECRET}"}, "toString": "${k}=${SECRET}"}`,
      );
    }
    // argv and mysql -p forms, URL credentials, YAML-looking strings, curl, signatures
    const more = [
      `["mysql", "-u", "root", "-p${SECRET}"]`, `["mysql", "-p", "${SECRET}"]`, `["/usr/bin/mysqldump", "-p${SECRET}", "db"]`, `["psql", "-p", "${SECRET}"]`, `["sshpass", "-p", "${SECRET}", "ssh", "h"]`,
      `["MYSQL", "-p${SECRET}"]`, `["mysql", "-P${SECRET}"]`, `["mysql.exe", "-p${SECRET}"]`, `["deploy", "--password", "${SECRET}"]`, `["deploy", "--pw", "${SECRET}"]`, `["deploy", "-pwd", "${SECRET}"]`,
      `["x", "--api-key", "${SECRET}"]`, `["x", "--dsn", "${SECRET}"]`, `["--token", "${SECRET}", "--password", "abcdefgh2"]`, `[["mysql", "-p${SECRET}"]]`, `{"cmd": ["mysql", "-p", "${SECRET}"]}`,
    ];
    for (const a of more) cases.push(`{${base}, "evidence": ${a}}`, `{${base}, "argv": ${a}}`, `{${base}, "data": {"x": ${a}}}`, `{${base}, "correlation": {"argv": ${a}}}`);
    const strings = [
      `postgres://admin:${SECRET}@db:5432/x`, `postgres://:${SECRET}@db`, `redis://u:${SECRET}@h`, `https://user:${SECRET}@example.com/x`, `mysql -u root -p${SECRET} db`, `mysql --password=${SECRET}`,
      `curl -u user:${SECRET} https://x`, `https://h/x?sig=${SECRET}&a=1`, `https://h/x?X-Amz-Signature=${SECRET}`, `https://h/?key=${SECRET}`, `https://hooks.slack.com/services/T000/B000/${SECRET}`,
      `secret: ${SECRET}`, `password = '${SECRET}'`, `{'token': b'${SECRET}'}`, `api_key=${SECRET}&x=1`, `next=%2Fa%3Fpassword%3D${SECRET}`, `%22token%22%3A%22${SECRET}%22`, `Authorization: Bearer ${SECRET}`,
      `auth token = ${SECRET}`, `private key: ${SECRET}`, `-----BEGIN PRIVATE KEY-----${SECRET}`, `pwd=${SECRET}`, `PW: ${SECRET}`, `dsn=${SECRET}`, `pass=${SECRET}`,
    ];
    for (const s of strings) {
      const j = JSON.stringify(s);
      cases.push(`{${base}, "reason": ${j}}`, `{${base}, "step": ${j}}`, `{${base}, "evidence": {"note": ${j}}}`, `{${base}, "x": ${j}}`, `{${base}, "x": [${j}]}`, `{${base}, ${j}: 1}`, `{${base}, "evidence": {${j}: 1}}`, `{${base}, "tags": [${j}]}`);
      // a YAML block (needs a newline: an escape, so the slow path)
      cases.push(`{${base}, "reason": ${JSON.stringify(`config:\n${s.split(/[:=]/)[0]}: |\n  ${SECRET}\n`)}}`);
    }
    let secrets = 0;
    let canonical = 0;
    for (const l of cases) {
      // both separators, and no spaces
      for (const line of [l, l.replace(/": /g, '":').replace(/, "/g, ',"')]) {
        const c = check(line);
        assert.ok(c, `not an event: ${line}`);
        if (c.want.length) secrets++;
        if (c.canonical) canonical++;
      }
    }
    assert.ok(secrets > cases.length, `only ${secrets} lines held a secret`);
    assert.ok(canonical > cases.length, `only ${canonical} lines took the canonical path`);
  });

  it('escapes, non-ASCII, control bytes, CR, tabs, BOM, invalid UTF-8, long and deep lines (the slow path and its limits)', () => {
    const base = '"v": 1, "run_id": "r1", "event_type": "checkpoint"';
    const lines: (string | Buffer)[] = [
      `{${base}, "\\u0070assword": "${SECRET}"}`,
      `{${base}, "p\\u0061ss_word": "${SECRET}"}`,
      `{${base}, "evidence": {"\\u0074oken": "${SECRET}"}}`,
      `{${base}, "reason": "pass\\u0077ord=${SECRET}"}`,
      `{${base}, "reason": "pass\\u200bword=${SECRET}"}`,
      `{${base}, "reason": "pass\u200bword=${SECRET}"}`,
      `{${base}, "tök€n": 1, "tok\u200ben": "${SECRET}"}`,
      `{${base}, "pass\u007fword": "${SECRET}"}`,
      `{${base}, "pass\\u007fword": "${SECRET}"}`,
      `{${base}, "pass\\tword": "${SECRET}"}`,
      `{${base}, "pass\\nword": "${SECRET}"}`,
      `{${base}, "ＰＡＳＳＷＯＲＤ": "${SECRET}"}`,
      `{${base}, "\u212Aey": 1, "api_\u212Aey": "${SECRET}"}`,
      `{${base}, "token": "${SECRET}"}\r`,
      `{${base},\t"token": "${SECRET}"}`,
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{${base}, "token": "${SECRET}"}`)]),
      Buffer.concat([Buffer.from(`{${base}, "note": "a`), Buffer.from([0xff, 0xfe]), Buffer.from(`", "token": "${SECRET}"}`)]),
      `{${base}, "token": "${SECRET}", "pad": "${'x'.repeat(70_000)}"}`,
      `{${base}, "pad": "${'x'.repeat(65_500)}", "token": "${SECRET}"}`,
      `{${base}, "evidence": {"token": "${'y'.repeat(17_000)}"}}`,
      `{${base}, "evidence": ${'{"a": '.repeat(70)}{"password": "${SECRET}"}${'}'.repeat(70)}}`,
      `{${base}, "evidence": ${'['.repeat(62)}{"password": "${SECRET}"}${']'.repeat(62)}}`,
      `{${base}, "duration_ms": NaN, "token": "${SECRET}"}`,
      `{${base}, "token": -Infinity}`,
      `{${base}, "token": NaN, "secret": Infinity}`,
    ];
    for (const l of lines) {
      const c = check(l);
      if (c) assert.ok(c.flagged || c.want.length === 0);
    }
  });

  it('property: generated hostile lines — prefilter, pruneLine and pruneLineFast give the walk exactly the event\'s secrets', () => {
    const seps = ['', '_', '.', '-', ' ', '__', '-_', '. '];
    const word = fc
      .tuple(
        fc.constantFrom('password', 'token', 'apikey', 'secret', 'auth', 'cookie', 'passwd', 'passphrase', 'credential', 'privatekey', 'accesskey', 'mysqlpwd', 'pgpass', 'webhookurl', 'pass', 'pwd', 'pw', 'dsn'),
        fc.constantFrom(...seps),
        fc.constantFrom('lower', 'upper', 'mixed'),
        fc.constantFrom('', 'X-', 'db_', 'my.', 'Proxy-', '-'),
        fc.constantFrom('', '_hash', '-Header', 's', '-'),
      )
      .map(([w, s, c, pre, post]) => {
        const k = w.split('').join(s);
        const cased = c === 'lower' ? k : c === 'upper' ? k.toUpperCase() : k.replace(/./g, (x, i: number) => (i % 2 ? x.toUpperCase() : x));
        return pre + cased + post;
      });
    const known = fc.constantFrom('note', 'ticker', 'a-b', 'host-name', 'user', 'cmd', 'argv', 'url', '__proto__', 'constructor', 'toString', 'v', 'event_type', 'type', 'flow', 'flow_name', 'step', 'reason', 'message', 'name', 'value', 'unit', 'evidence', 'data', 'correlation', 'tags', 'exception', 'run_id', 'session_id', 'duration_ms', 'latency_ms', 'line', 'pid', 'timestamp', 'ts', 'status', 'payload', 'extra', 'metric', 'severity', 'failure_class', 'class', 'parent_flow_id', 'parent', 'function', 'func');
    const key = fc.oneof({ weight: 3, arbitrary: word }, { weight: 3, arbitrary: known }, { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'aptokenswrd-_. PAK'.split('')), maxLength: 10 }) });
    const secret = fc.constantFrom('hunter2hunter2', 'S3cr3tV4lue', 'xyzzy-4242', 'pa-ssw0rd99');
    const scalar = fc.oneof(
      secret,
      fc.constantFrom(12345678, 987654321012, -1234567.5, 0, 7, 1e21, true, false, null, 'ok', '', '-', '-p', 'pass', 'metric', '***REDACTED***', 'a/b', '2026-12-01T09:00:00Z'),
      secret.map((s) => `postgres://admin:${s}@db:5432/x`),
      secret.map((s) => `password=${s}`),
      secret.map((s) => `mysql -u root -p${s} db`),
      secret.map((s) => `token: '${s}'`),
      secret.map((s) => `curl -u user:${s} https://x`),
      secret.map((s) => `https://h/x?sig=${s}&a=1`),
      secret.map((s) => `a, b, dsn:${s}`),
    );
    const argv = fc.oneof(
      secret.map((s) => ['--password', s]),
      secret.map((s) => ['mysql', '-p', s]),
      secret.map((s) => ['mysql', `-p${s}`]),
      secret.map((s) => ['deploy', '--Auth-Token', s]),
      secret.map((s) => ['psql', '-h', 'db', '-P', s]),
      fc.array(fc.constantFrom('-', '--', '-x', 'mysql', 'ok', '-p'), { maxLength: 4 }),
    );
    const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small', maxDepth: 4 }, scalar, argv, fc.dictionary(key, tie('v'), { maxKeys: 3 }), fc.array(tie('v'), { maxLength: 3 })),
    })).v;
    const line = fc
      .record({
        members: fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 7 }),
        py: fc.boolean(),
        type: fc.constantFrom('checkpoint', 'metric', 'failure', 'exception'),
        dup: fc.constantFrom('none', 'none', 'first', 'last'),
        spaces: fc.constantFrom('', ' ', '  '),
      })
      .map(({ members, py, type, dup, spaces }) => {
        const sep = py ? ', ' : ',';
        const col = py ? ': ' : ':';
        const parts = ['"v"' + col + '1', `"run_id"${col}"r1"`, `"event_type"${col}${JSON.stringify(type)}`, ...members.map(([k, x]) => JSON.stringify(k) + col + JSON.stringify(x))];
        if (dup !== 'none' && members.length) parts.splice(dup === 'first' ? 3 : parts.length, 0, JSON.stringify(members[0][0]) + col + '"zz"');
        return `${spaces}{${parts.join(sep)}}${spaces}`;
      });
    let flaggedWithSecrets = 0;
    let canonical = 0;
    let passed = 0;
    fc.assert(
      fc.property(line, (l) => {
        const c = check(l);
        if (!c) return;
        if (c.canonical) canonical++;
        if (!c.flagged) passed++;
        else if (c.want.length) flaggedWithSecrets++;
      }),
      { numRuns: Number(process.env.ATTACK_RUNS ?? 3000), seed: Number(process.env.ATTACK_SEED ?? 20261207) },
    );
    assert.ok(flaggedWithSecrets > 1000 && canonical > 1500, `flagged with secrets ${flaggedWithSecrets}, canonical ${canonical}, passed ${passed}`);
  });

  it('property: keys and strings of any printable ASCII (JSON structure bytes, quotes, `-p`, URL and key=value pieces inside them)', () => {
    const printable = ' !#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"'.split('');
    const piece = fc.oneof(
      fc.string({ unit: fc.constantFrom(...printable), maxLength: 8 }),
      fc.constantFrom('password', 'Api-Key', 'tok-en', 'p-w', '-p', 'pass', '=', ': ', '://', 'u:pw@h', 'mysql', 'sig=', 'key=', '%3D', 'curl -u a:', 'hunter2x99', 'BEGIN', 'webhook', 'x-amz-', 'dsn', 'pw'),
    );
    const str = fc.array(piece, { maxLength: 4 }).map((a) => a.join(''));
    const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small', maxDepth: 3 }, str, fc.constantFrom(0, 12345678, -5, 1.5, true, null), fc.dictionary(str, tie('v'), { maxKeys: 3 }), fc.array(tie('v'), { maxLength: 3 })),
    })).v;
    const known = fc.constantFrom('evidence', 'data', 'reason', 'message', 'flow', 'step', 'tags', 'name', 'value', 'event_type', 'type', 'run_id', 'correlation', 'exception', 'metric', 'duration_ms', 'line');
    const line = fc
      .record({ m: fc.array(fc.tuple(fc.oneof(str, known), value), { minLength: 1, maxLength: 6 }), py: fc.boolean(), metric: fc.boolean() })
      .map(({ m, py, metric }) => {
        const sep = py ? ', ' : ',';
        const col = py ? ': ' : ':';
        const parts = ['"v"' + col + '1', '"event_type"' + col + (metric ? '"metric"' : '"x"'), ...m.map(([k, x]) => JSON.stringify(k) + col + JSON.stringify(x))];
        return '{' + parts.join(sep) + '}';
      });
    let withSecrets = 0;
    let canonical = 0;
    fc.assert(
      fc.property(line, (l) => {
        const c = check(l);
        if (!c) return;
        if (c.want.length) withSecrets++;
        if (c.canonical) canonical++;
      }),
      { numRuns: Number(process.env.ATTACK_RUNS ?? 3000), seed: Number(process.env.ATTACK_SEED ?? 1207) },
    );
    assert.ok(withSecrets > 600 && canonical > 1200, `with secrets ${withSecrets}, canonical ${canonical}`);
  });
});

describe('attack: an indexed file with hints knows exactly the secrets of one without (hostile lines, WASM scanner + worker pruning)', function () {
  this.timeout(120000);

  it('hostile lines among pre-redacted ones: the run-scoped redactor with hints = without', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-attack-hints-'));
    try {
      const run = '20261207T010000Z-a1';
      const ev = (o: Record<string, unknown>, k: number): Record<string, unknown> => ({ v: 1, event_type: 'checkpoint', run_id: run, timestamp: new Date(Date.parse('2026-12-07T01:00:00Z') + k).toISOString(), flow: 'orders/submit', flow_id: `f-${k}`, ...o });
      const hostile: string[] = [];
      const secrets: string[] = [];
      const put = (o: Record<string, unknown>, s: string, k: number, edit?: (l: string) => string): void => {
        const l = JSON.stringify(ev(o, k));
        hostile.push(edit ? edit(l) : l);
        secrets.push(s);
      };
      let k = 0;
      for (const hk of ['X-Api-Key', 'tok-en', 'p-a-s-s-w-o-r-d', 'Proxy-Authorization', 'pass_word', 'PASS.WORD', 'Pass Word', 'apiKey', 'dsn', 'PW']) {
        put({ [hk]: `Zq7top${k}Secret` }, `Zq7top${k}Secret`, k++);
        put({ evidence: { [hk]: `Zq7ev${k}Secret` } }, `Zq7ev${k}Secret`, k++);
        put({ [hk]: 987650000 + k }, String(987650000 + k), k++);
      }
      put({ evidence: ['mysql', '-u', 'root', `-pZq7mysqlP${k}`] }, `Zq7mysqlP${k}`, k++);
      put({ evidence: { argv: ['deploy', '--auth-token', `Zq7flag${k}`] } }, `Zq7flag${k}`, k++);
      put({ reason: `connect postgres://admin:Zq7url${k}@db:5432/app` }, `Zq7url${k}`, k++);
      put({ event_type: 'metric', name: 'Session-Token', value: 445566778 }, '445566778', k++);
      put({ flow: 'x', message: 'ok', reason: '', evidence: { 'Api-Key': `Zq7alias${k}` } }, `Zq7alias${k}`, k++);
      put({ evidence: { a: 1 }, data: { token: `Zq7dup${k}` } }, `Zq7dup${k}`, k++, (l) => l.replace('"data":', '"data":{"x":1},"data":'));
      put({ correlation: { 'X-Auth-Token': `Zq7corr${k}` } }, `Zq7corr${k}`, k++);
      put({ evidence: { 'p\u0061ss': 'x' } }, `Zq7esc${k}`, k++, (l) => l.replace('"pass":"x"', `"\\u0070ass":"Zq7esc${k - 1}"`));
      const lines: string[] = [JSON.stringify({ v: 1, event_type: 'session_start', run_id: run, timestamp: '2026-12-07T00:59:59Z', app: 'a' })];
      // Records the JS path reads or files as objects (raw: no "v", NaN, invalid UTF-8, other
      // dialects, session events), blank and malformed lines between them: a hint attached to the
      // wrong record would skip a hostile line.
      const others = [
        JSON.stringify({ event_type: 'checkpoint', run_id: run, timestamp: '2026-12-07T01:00:00Z', flow: 'o', flow_id: 'o-1' }),
        `{"v": 1, "event_type": "checkpoint", "run_id": "${run}", "duration_ms": NaN, "flow_id": "o-2"}`,
        `{"v": 1, "event_type": "checkpoint", "run_id": "${run}", "note": "caf\u00e9", "flow_id": "o-3"}`,
        `{"v": 1, "event_type": "checkpoint", "run_id": "${run}", "note": "café", "flow_id": "o-4"}`,
        '',
        '{"v": 1, "event_type": "checkpoint", broken',
        `{"v": 1, "event_type": "checkpoint", "run_id": "${run}", "timestamp": "2026-12-07T01:00:00Z"}\r`,
        JSON.stringify({ event_type: 'flow_start', flow_id: 'z', step: 's', evidence: { a: 1 } }),
      ];
      for (let i = 0; i < 2500; i++) {
        lines.push(JSON.stringify(ev({ evidence: { side: 'buy', qty: i % 50, password: '***REDACTED***' } }, 1000 + i)));
        lines.push(JSON.stringify(ev({ event_type: 'success', duration_ms: i % 7 }, 1000 + i)));
        if (i % 37 === 0) lines.push(others[(i / 37) % others.length]);
        if (i % 41 === 0 && hostile.length) lines.push(hostile.shift() as string);
      }
      lines.push(...hostile);
      const invalid = Buffer.from(`{"v": 1, "event_type": "checkpoint", "run_id": "${run}", "note": "\xff", "X-Api-Key": "Zq7invalidUtf8"}`, 'latin1');
      secrets.push('Zq7invalidUtf8');
      const file = path.join(dir, 'trace.jsonl');
      fs.writeFileSync(file, Buffer.concat([Buffer.from(lines.join('\n') + '\n'), invalid, Buffer.from('\n' + others.join('\n') + '\n')]));
      const load = async (hints: boolean, scanner: string): Promise<Run[]> => {
        const before = process.env.FLOWLENS_INDEX_SCANNER;
        // 'worker': the index worker as it ships (it finds dist/scanner.wasm next to it)
        const worker = scanner === 'worker';
        if (worker) delete process.env.FLOWLENS_INDEX_SCANNER;
        else process.env.FLOWLENS_INDEX_SCANNER = scanner;
        try {
          const index = worker ? { minBytes: 0, workers: 1, workerScript: path.resolve('dist/indexWorker.js'), hints, batchRecords: 333 } : { minBytes: 0, workers: 0, hints, batchRecords: 333 };
          const ws = TraceWorkspace.forFile(file, { final: true, index });
          await ws.load();
          return ws.runs();
        } finally {
          if (before === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
          else process.env.FLOWLENS_INDEX_SCANNER = before;
        }
      };
      const known = (runs: Run[]): string[] => [...((runsRedactor(runs).options.knownSecrets ?? []) as Iterable<string>)].sort();
      const without = known(await load(false, 'js'));
      for (const s of secrets) assert.ok(without.includes(s), `${s} is a run secret (the walk of the full events)`);
      // hints from the WASM scanner's prefilter (the module as it ships), and from the JS path's
      const wasm = path.resolve('dist/scanner.wasm');
      assert.ok(fs.existsSync(wasm), `${wasm} is missing: npm run build`);
      for (const scanner of [wasm, 'js', 'worker']) {
        const runs = await load(true, scanner);
        // The hints did their work: most records skipped, the pre-redacted ones walked as pruned text.
        const kinds = new Map<string, number>();
        for (const r of runs) {
          if (!(r.events instanceof EventList)) continue;
          for (let i = 0; i < r.events.length; i++) {
            const h = r.events.storage.secretHint(r.events.refAt(i));
            const kk = typeof h === 'string' ? 'text' : String(h);
            kinds.set(kk, (kinds.get(kk) ?? 0) + 1);
          }
        }
        assert.ok((kinds.get('0') ?? 0) > 2000 && (kinds.get('text') ?? 0) > 2000, `${scanner}: ${JSON.stringify([...kinds])}`);
        const withHints = known(runs);
        for (const s of secrets) assert.ok(withHints.includes(s), `${s} is lost with hints on (${scanner})`);
        assert.deepEqual(withHints, without, scanner);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
