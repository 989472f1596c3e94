/**
 * Adversarial tests of c7d84c2 (src/core/read/secretHint.ts canonInner): pruneLineFast's canonical
 * form now rewrites inside evidence/data/correlation/unknown-key objects and tags, and the result
 * is memoised by that form. Contract: pruneLineFast(line) === pruneLine(line), and the pruned text
 * gives the run-scoped walk (eventSecrets) exactly the full event's secrets; lines that share a
 * canonical form are checked one after another so a memo collision shows as fast ≠ slow.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalLine, pruneLine, pruneLineFast } from '../../../src/core/read/secretHint';
import { parseJsonLine } from '../../../src/core/read/sources/jsonl';
import { detectDialect, normalizeEvent } from '../../../src/core/read/sources/normalize';
import { Redactor } from '../../../src/core/render/egress/redact';
import { eventSecrets } from '../../../src/core/render/egress/secrets';
import type { TraceEvent } from '../../../src/core/model/types';

const REF = new Redactor({ redactKeys: ['qzqzqz'] });
const DEF = new Redactor({});

function eventOf(b: Buffer): TraceEvent | undefined {
  const r = parseJsonLine(b, 0, b.length, 1, false, Infinity);
  return r?.value ? normalizeEvent(r.value, detectDialect(r.value) ?? 'flowscribe-v1', { file: 't.jsonl', line: 1, offset: 1 }) : undefined;
}
function secretsOfEvent(e: TraceEvent, red: Redactor): string[] {
  const out = new Set<string>();
  eventSecrets(e, red, out);
  return [...out].sort();
}
function secretsOfText(t: string | undefined, e: TraceEvent, red: Redactor): string[] {
  if (t === undefined) return secretsOfEvent(e, red); // undefined = walk the event itself
  const out = new Set<string>();
  if (t !== '') eventSecrets(JSON.parse(t) as TraceEvent, red, out);
  if (e.runId !== undefined) eventSecrets({ runId: e.runId } as TraceEvent, red, out);
  return [...out].sort();
}

/** Failures (empty = the contract holds) for one line. */
function problems(line: string): string[] {
  const raw = Buffer.from(line, 'utf8');
  const e = eventOf(raw);
  if (!e) return [];
  const buf = Buffer.concat([Buffer.from('{"x":1}\n'), raw, Buffer.from('\n{"y":2}')]);
  const s = 8;
  const end = s + raw.length;
  const slow = pruneLine(buf, s, end, 100);
  const bad: string[] = [];
  for (const k of [0, 1]) {
    const fast = pruneLineFast(buf, s, end, 100);
    if (fast !== slow) bad.push(`fast≠slow(${k}) ${line}\n  fast=${fast}\n  slow=${slow}\n  canon=${canonicalLine(line)}`);
    for (const red of [REF, DEF]) {
      const want = secretsOfEvent(e, red);
      const got = secretsOfText(fast, e, red);
      if (JSON.stringify(want) !== JSON.stringify(got)) bad.push(`secrets ${line}\n  want=${JSON.stringify(want)} got=${JSON.stringify(got)} fast=${fast}\n  canon=${canonicalLine(line)}`);
    }
  }
  return bad;
}

const S = 'hunter2hunter2';
const HEAD = '"v":1,"run_id":"r1","event_type":"checkpoint"';

function nest(depth: number, inner: string, key = 'a'): string {
  return `${`{"${key}":`.repeat(depth)}${inner}${'}'.repeat(depth)}`;
}

export function targetedLines(): string[] {
  const L: string[] = [];
  const structs = ['evidence', 'data', 'correlation', 'payload', 'extra', 'zz_unknown', 'tags', 'metric', 'exception', '__proto__', 'constructor'];
  const inner = [
    // sibling-dependent values: the flag has the hit, the value none
    `{"argv":["mysql","-u","root","-p","${S}"]}`,
    `{"argv":["psql","--password","${S}"]}`,
    `{"cmd":{"args":["--password","${S}"],"env":{"A":1}}}`,
    `{"x":{"y":["--token",${12345678}]}}`,
    `{"h":[{"name":"Authorization","value":"Bearer ${S}"}]}`,
    `{"h":[{"name":"password","value":"${S}"}]}`,
    `{"name":"password","value":"${S}"}`,
    `{"metric":{"name":"password","value":"${S}"}}`,
    `{"url":"https://user:${S}@db.example/x","n":1}`,
    `{"dsn":{"a":"x"},"z":"postgres://u:${S}@h/db"}`,
    `{"kv":"password=${S}","n":{"m":1}}`,
    // duplicates: last wins
    `{"a":{"password":"${S}"},"a":{"b":1}}`,
    `{"a":{"b":1},"a":{"password":"${S}"}}`,
    `{"a":{"b":{"password":"${S}"}},"a":[1]}`,
    `{"a":[1],"a":{"b":{"password":"${S}"}}}`,
    `{"password":"${S}","password":{"b":1}}`,
    `{"password":{"b":1},"password":"${S}"}`,
    `{"a":{"password":1,"password":"${S}"}}`,
    `{"b":"x","b":"pw=${S}"}`,
    // kinds that change
    `{"a":{},"b":{"token":"${S}"}}`,
    `{"a":[],"b":[{"token":"${S}"}]}`,
    `{"a":"","b":null,"c":true,"d":-1.5e3,"e":{"secret":12345678901}}`,
    `{"a":{"b":[{"c":{"apikey":["${S}",{"d":1}]}}]}}`,
    `{"a":[{"x":1},{"auth":"${S}"}],"b":{"c":1}}`,
    `{"token-x":{"a":1,"b":"${S}"}}`,
    `{"x-token":{"a":{"b":"${S}"}}}`,
    `{"a-pb":{"c":"${S}"}}`,
    `{"a":{"b-p":"${S}","c":1}}`,
    `{"a":{"x":"y-p","c":"${S}"}}`,
    `{"a":{"x":"-","y":"p","c":"${S}"}}`,
    `{"pa":{"ss":"${S}"}}`,
    `{"pa ss":{"a":"${S}"}}`,
    `{"p.w":{"a":"${S}"},"p_w":1}`,
    `{"a":{"":"password=${S}","":{"b":1}}}`,
    `{"__proto__":{"password":"${S}"},"a":1}`,
    `{"constructor":{"prototype":{"token":"${S}"}}}`,
    `{ "a" : { "b" : 1 , "token" : "${S}" } , "c" : 2 }`,
    `{"a":{"b":1,"token":"${S}"}   }`,
    // keys repeated at different depths
    `{"token":{"token":{"token":"${S}"}}}`,
    `{"a":{"token":1},"token":{"a":"${S}"}}`,
    `{"a":{"a":{"a":"pw=${S}"},"b":{"a":1}}}`,
  ];
  for (const st of structs) {
    for (const v of inner) {
      L.push(`{${HEAD},"${st}":${v}}`);
      L.push(`{${HEAD},"${st}": ${v}, "step": "s"}`);
      // the same member twice, last wins
      L.push(`{${HEAD},"${st}":${v},"${st}":{"n":1}}`);
      L.push(`{${HEAD},"${st}":{"n":1},"${st}":${v}}`);
    }
  }
  // tags
  for (const t of [`["password=${S}"]`, `["a","token:${S}"]`, `["--password","${S}"]`, `["mysql","-p${S}"]`, `["https://u:${S}@h"]`, `[{"password":"${S}"}]`, `{"password":"${S}"}`, `"password=${S}"`, `[["pw","${S}"]]`]) {
    L.push(`{${HEAD},"tags":${t}}`);
    L.push(`{${HEAD},"tags":${t},"tags":["a"]}`);
    L.push(`{${HEAD},"tags":["a"],"tags":${t}}`);
    L.push(`{${HEAD},"tags":[],"evidence":{"a":1,"b":${t}}}`);
  }
  // metric events: name/value at the top level beside nested structures
  for (const v of [`"${S}"`, '123456789', `{"a":"${S}"}`]) {
    L.push(`{${HEAD.replace('checkpoint', 'metric')},"name":"password","value":${v},"evidence":{"a":1,"token":"x"}}`);
    L.push(`{${HEAD.replace('checkpoint', 'metric')},"metric":{"name":"db_password","value":${v}},"data":{"a":{"b":1},"auth":"y"}}`);
    L.push(`{${HEAD.replace('checkpoint', 'metric')},"metric":{"name":"latency","value":${v}},"data":{"a":{"b":1},"auth":"y"}}`);
  }
  // depth right at and around the limit (CANON_DEPTH = 60, PRUNE_DEPTH = 64)
  for (let d = 54; d <= 68; d++) {
    for (const leaf of [`{"password":"${S}"}`, `{"x":"pw=${S}","y":{"z":1}}`, `["--password","${S}"]`, `{"a":{"b":{"c":1}},"t":"token=${S}"}`]) {
      L.push(`{${HEAD},"evidence":${nest(d, leaf)}}`);
      L.push(`{${HEAD},"evidence":{"side":${nest(d, '{"q":1}')},"k":${nest(3, leaf)}}}`);
      L.push(`{${HEAD},"correlation":{"deep":${nest(d, '{"q":1}')},"token":"${S}"}}`);
      L.push(`{${HEAD},"data":[${nest(d, leaf)}]}`);
    }
  }
  return L;
}

describe('attack: canonInner (c7d84c2) — nested canonical forms vs the full event walk', function () {
  this.timeout(60000);

  it('targeted nested/duplicate/sibling/depth/tags/correlation lines keep exactly the walk\'s secrets', () => {
    const lines = targetedLines();
    const bad: string[] = [];
    let walked = 0;
    let rewritten = 0;
    for (const l of lines) {
      const e = eventOf(Buffer.from(l));
      if (e && secretsOfEvent(e, REF).length) walked++;
      const c = canonicalLine(l);
      // canonInner rewrote a member inside a structure (a placeholder after a nested key)
      if (c !== undefined && /[{,]"[^"]*":0[,}]/.test(c.slice(c.indexOf('"event_type"')))) rewritten++;
      bad.push(...problems(l));
    }
    assert.ok(walked > lines.length / 2, `cases test something: ${walked}/${lines.length}`);
    assert.ok(rewritten > lines.length / 4, `lines the nested rewrite applies to: ${rewritten}/${lines.length}`);
    assert.deepEqual(bad.slice(0, 10), []);
  });

  it('lines sharing one canonical form (memo) with different secrets: each gets its own', () => {
    // Same shape, different secret-bearing content: distinct forms, or same result.
    const bad: string[] = [];
    const shapes = [
      (x: string) => `{${HEAD},"evidence":{"a":{"b":"${x}"},"token":"t"}}`,
      (x: string) => `{${HEAD},"evidence":{"a":"${x}","token":"t"}}`,
      (x: string) => `{${HEAD},"data":{"argv":["mysql","-p","${x}"]}}`,
      (x: string) => `{${HEAD},"correlation":{"u":"https://u:${x}@h","n":1}}`,
      (x: string) => `{${HEAD},"tags":["pw=${x}"]}`,
      (x: string) => `{${HEAD},"evidence":{"password":{"a":"${x}"}}}`,
      (x: string) => `{${HEAD},"evidence":{"a":{"password":"${x}"}}}`,
      (x: string) => `{${HEAD},"evidence":{"a":{"pass":1,"word":"${x}"}}}`,
      (x: string) => `{${HEAD},"zz":{"a":{"b":[1,"${x}"]},"secret":"s"}}`,
    ];
    for (const sh of shapes) for (const x of ['aaaaaaaa', 'bbbbbbbb', 'password=cccccccc', '-pdddddddd', '12345678', 'token eeeeeeee']) bad.push(...problems(sh(x)));
    assert.deepEqual(bad.slice(0, 10), []);
  });

  it('property: nested objects/arrays/duplicates under structure keys', () => {
    const word = fc.constantFrom('password', 'token', 'pass', 'pw', 'p-w', 'x-api-key', 'auth', 'secret', 'dsn', 'cookie', 'a', 'b', 'name', 'value', 'argv', 'url', 'cls', 'reason', 'type', 'message', '__proto__', '-p', 'pa', 'ss', '');
    const scalar = fc.oneof(
      fc.constantFrom('"hunter2hunter2"', '"pw=xyzzy42"', '"--password"', '"-p"', '"mysql"', '"https://u:pq9r@h"', '"ok"', '""', '0', '12345678', '-1.5', 'true', 'null', '1e21', '"token xyz1234"'),
    );
    const val: fc.Arbitrary<string> = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small', maxDepth: 5 }, scalar,
        fc.array(fc.tuple(word, tie('v')), { maxLength: 4 }).map((m) => `{${m.map(([k, x]) => `"${k}":${x}`).join(',')}}`),
        fc.array(tie('v'), { maxLength: 4 }).map((a) => `[${a.join(',')}]`)),
    })).v;
    const top = fc.constantFrom('evidence', 'data', 'correlation', 'tags', 'payload', 'zz', 'extra', 'metric', 'step', 'reason');
    fc.assert(
      fc.property(fc.array(fc.tuple(top, val), { minLength: 1, maxLength: 4 }), fc.constantFrom('', ' '), (members, sp) => {
        const line = `{${HEAD}${members.map(([k, x]) => `,${sp}"${k}":${sp}${x}`).join('')}}`;
        const bad = problems(line);
        assert.deepEqual(bad, []);
      }),
      { numRuns: Number(process.env.ATTACK_RUNS ?? 2500), seed: Number(process.env.ATTACK_SEED ?? 42) },
    );
  });

  it('property: JSON.stringify of random nested values with structure bytes, separators and dashes in keys and strings', () => {
    const chars = fc.constantFrom(...'pasword tkenPW-_.:{}[], =@/'.split(''), 'pass', 'word', 'token', '-p', 'pw', 'key', 'api', 'mysql', 'https://u:', 'x');
    const str = fc.array(chars, { maxLength: 6 }).map((a) => a.join(''));
    const leaf = fc.oneof(str, fc.constantFrom(0, 7, 12345678, -2.5, true, null, 1e21));
    const val: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small', maxDepth: 5 }, leaf, fc.array(tie('v'), { maxLength: 4 }),
        fc.array(fc.tuple(str, tie('v')), { maxLength: 4 }).map((m) => Object.fromEntries(m))),
    })).v;
    const top = fc.constantFrom('evidence', 'data', 'correlation', 'tags', 'payload', 'zz', 'step');
    fc.assert(
      fc.property(fc.array(fc.tuple(top, val), { minLength: 1, maxLength: 3 }), (members) => {
        const line = `{${HEAD}${members.map(([k, x]) => `,"${k}":${JSON.stringify(x)}`).join('')}}`;
        assert.deepEqual(problems(line), []);
      }),
      { numRuns: Number(process.env.ATTACK_RUNS ?? 2500), seed: Number(process.env.ATTACK_SEED ?? 43) },
    );
  });
});
