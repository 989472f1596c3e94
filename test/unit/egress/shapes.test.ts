/**
 * Credential shapes recognised by src/core/render/egress/redact.ts in any string, each with positive
 * cases (what must go) and negative ones (ordinary text that must survive), plus a property test:
 * generated credentials in every shape, embedded in random text, are never output.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { REDACTED, Redactor, redactString, redactValue } from '../../../src/core/render/egress/redact';

const R = REDACTED;
const red = new Redactor({ payloadLimit: 0 });

/** [shape, input, expected output] */
const POSITIVE: Array<[string, string, string]> = [
  // connection strings, also with an empty user or an `@` in the password
  ['url empty user', 'db postgres://:secret99@db.local/app', `db postgres://:${R}@db.local/app`],
  ['url empty user redis', 'redis://:pw123456@cache:6379/0', `redis://:${R}@cache:6379/0`],
  ['url @ in password', 'postgres://app:p@ss@db.local/x', `postgres://app:${R}@db.local/x`],
  // byte reprs after a sensitive key
  ['b-repr', "{'user': 'bob', 'password': b'hunter2'}", `{'user': 'bob', 'password': b'${R}'}`],
  ['b-repr double', '{"token": b"tok-9f8e7d"}', `{"token": "${R}"}`],
  // argv lists and flags
  ['argv list', "cmd=['deploy', '--password', 'xs3cretx']", `cmd=['deploy', '--password', ${R}]`],
  ['argv list json', '["--token","xs3cretx"]', `["--token",${R}]`],
  ['flag =', 'run --password=xs3cretx now', `run --password=${R} now`],
  ['flag space', 'run --api-key xs3cretx now', `run --api-key ${R} now`],
  // mysql-style -p
  ['mysql -pX', 'mysql -u root -pS3cr3tPw app', `mysql -u root -p${R} app`],
  ['mysql -p X', 'mysqldump -h db -p S3cr3tPw app', `mysqldump -h db -p ${R} app`],
  ['argv -pX', "['mysql', '-u', 'root', '-pS3cr3tPw']", `['mysql', '-u', 'root', '-p${R}']`],
  ['argv -p, X', "['mysql', '-p', 'S3cr3tPw']", `['mysql', '-p', ${R}]`],
  ['sshpass', 'sshpass -p xs3cretx ssh host', `sshpass -p ${R} ssh host`],
  // cloud account keys
  ['azure AccountKey', 'DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=abc+def/ghi==;EndpointSuffix=core.windows.net', `DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=${R};EndpointSuffix=core.windows.net`],
  ['azure SAS url', 'https://acc.blob.core.windows.net/c/b?sv=2020-08-04&ss=b&sig=abcDEF%2B123%3D&se=2026', `https://acc.blob.core.windows.net/c/b?sv=2020-08-04&ss=b&sig=${R}&se=2026`],
  ['azure SharedAccessSignature', 'SharedAccessSignature=sv=2020-08-04&sig=XyZ123abc', `SharedAccessSignature=${R}&sig=${R}`],
  ['gcp private_key', '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADAN\\n-----END PRIVATE KEY-----\\n", "client_email": "a@b.iam"}', `{"type": "service_account", "private_key": "${R}", "client_email": "a@b.iam"}`],
  ['aws secret', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `aws_secret_access_key = ${R}`],
  // webhook URLs
  ['slack webhook', 'POST https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX failed', `POST https://hooks.slack.com/services/${R} failed`],
  ['discord webhook', 'https://discord.com/api/webhooks/123456789/abcDEF-ghi', `https://discord.com/api/webhooks/${R}`],
  ['discordapp webhook', 'https://discordapp.com/api/webhooks/123456789/abcDEF-ghi', `https://discordapp.com/api/webhooks/${R}`],
  ['outlook webhook', 'https://outlook.office.com/webhook/a1b2@c3d4/IncomingWebhook/e5f6/g7h8', `https://outlook.office.com/webhook/${R}`],
  ['office webhookb2', 'https://contoso.webhook.office.com/webhookb2/a1b2@c3/IncomingWebhook/e5/f6', `https://contoso.webhook.office.com/webhookb2/${R}`],
  ['generic webhook', 'POST https://n8n.local/webhook/3f2a9c1e-7b4d-4e2a-9f1c-2d3e4f5a6b7c', `POST https://n8n.local/webhook/${R}`],
  // vendor token prefixes
  ...(
    [
      'npm_abcdefghijklmnopqrstuvwxyz0123456789',
      'pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAw',
      'glpat-abcdefghij0123456789',
      'xoxb-1234-5678-abcdefgh',
      'xoxp-1234-5678-abcdefgh',
      'xapp-1-A0123-abcdef',
      'SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz012345678901234',
      'sk_live_abcdef0123456789',
      'pk_live_abcdef0123456789',
      'rk_live_abcdef0123456789',
      'whsec_abcdef0123456789abcd',
      'shpat_0123456789abcdef0123456789abcdef',
      'shpss_0123456789abcdef0123456789abcdef',
      'hf_abcdefghijklmnopqrstuvwxyz01234567',
      'dop_v1_0123456789abcdef0123456789abcdef',
      'AKIAIOSFODNN7EXAMPLE',
      'ASIAIOSFODNN7EXAMPLE',
      'ghp_abcdefghijklmnopqrstuvwxyz0123',
      'gho_abcdefghijklmnopqrstuvwxyz0123',
      'ghs_abcdefghijklmnopqrstuvwxyz0123',
      'github_pat_11ABCDEFG0123456789_abcdefghijkl',
      'sq0atp-abcdefghijklmnop0123',
      'SK0123456789abcdef0123456789abcdef',
      'xai-abcdefghijklmnopqrstuvwxyz',
      'sk-ant-api03-abcdefghij0123',
      'sk-proj-abcdefghij0123',
    ] as const
  ).map((t): [string, string, string] => [`token ${t.slice(0, 8)}`, `using ${t} now`, `using ${R} now`]),
  // presigned-URL signatures and credential query parameters
  ['s3 presigned', 'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1&X-Amz-Signature=abcdef0123456789', `https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${R}&X-Amz-Signature=${R}`],
  ['gcs signed', 'https://storage.googleapis.com/b/o?X-Goog-Signature=abcdef0123456789&X-Goog-Credential=svc%40p.iam', `https://storage.googleapis.com/b/o?X-Goog-Signature=${R}&X-Goog-Credential=${R}`],
  ['cloudfront', 'https://d111.cloudfront.net/x.jpg?Expires=1&Signature=abcDEF~123&Key-Pair-Id=K2', `https://d111.cloudfront.net/x.jpg?Expires=1&Signature=${R}&Key-Pair-Id=K2`],
  ['sig and token params', 'GET /a?sig=abcdef12&token=tok12345', `GET /a?sig=${R}&token=${R}`],
  ['?key=', 'https://maps.googleapis.com/maps/api/geo?key=abcdef123456&x=1', `https://maps.googleapis.com/maps/api/geo?key=${R}&x=1`],
  ['&apikey=', 'https://x.example/api?a=1&apikey=abcdef123456', `https://x.example/api?a=1&apikey=${R}`],
  ['access_token=', 'callback?access_token=abcdef123456&state=1', `callback?access_token=${R}&state=1`],
  // Ruby / Perl hashes
  ['=> quoted', '{"password" => "xs3cretx", "user" => "bob"}', `{"password" => "${R}", "user" => "bob"}`],
  ['=> symbol', "{:password => 'xs3cretx'}", `{:password => '${R}'}`],
  // quoted passwords with spaces or @
  ['quoted spaces', 'password: "correct horse battery" ok', `password: "${R}" ok`],
  ['quoted @', "password='p@ss word' ok", `password='${R}' ok`],
  // headers and env assignments
  ['bearer header', 'Authorization: Bearer abc.def-ghi123 rejected', `Authorization: ${R} rejected`],
  ['digest header', 'Authorization: Digest username="bob", response="6629fae49393a05397450978507c4ef1"', `Authorization: ${R}`],
  ['cookie header', 'Cookie: sid=abc123; csrftoken=def456', `Cookie: ${R}`],
  ['PGPASSWORD', 'PGPASSWORD=xs3cretx psql -h db', `PGPASSWORD=${R} psql -h db`],
  ['MYSQL_PWD', 'export MYSQL_PWD=xs3cretx', `export MYSQL_PWD=${R}`],
  // red-team r4: curl user:password, URL-encoded pairs, Heroku tokens, keys with a space, YAML blocks
  ['curl -u', 'curl -u admin:Zq04curl https://api.example', `curl -u admin:${R} https://api.example`],
  ['curl --user', "curl -s --user 'admin:Zq04curl' https://x", `curl -s --user 'admin:${R}' https://x`],
  ['curl --user=', 'curl --user=admin:Zq04curl https://x', `curl --user=admin:${R} https://x`],
  ['curl -uX', 'curl -uadmin:Zq04curl https://x', `curl -uadmin:${R} https://x`],
  ['url-encoded pair', 'https://x/cb?next=%2Fa%3Fpassword%3DZq04enc&y=1', `https://x/cb?next=%2Fa%3Fpassword%3D${R}&y=1`],
  ['url-encoded pair, encoded &', 'next=%2Fa%3Ftoken%3DZq04enc%26y%3D1', `next=%2Fa%3Ftoken%3D${R}%26y%3D1`],
  ['url-encoded json', 'body=%7B%22password%22%3A%22Zq04enc%22%7D', `body=%7B%22password%22%3A%22${R}%22%7D`],
  ['heroku', 'heroku HRKU-Zq04aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', `heroku ${R}`],
  ['private key:', 'private key: Zq04pk', `private key: ${R}`],
  ['api key =', 'api key = Zq04ak', `api key = ${R}`],
  ['secret key:', 'secret key: Zq04sk', `secret key: ${R}`],
  ['yaml block |', 'config:\nsecret: |\n  Zq04block\n  Zq04line2\nother: 1', `config:\nsecret: |\n  ${R}\nother: 1`],
  ['yaml block >-', 'password: >-\n    Zq04folded', `password: >-\n    ${R}`],
];

const NEGATIVE = [
  'passed=3 tests',
  'bypass=1',
  'cwd=/x',
  'compass=N',
  'key_count=3',
  'monkey=banana',
  'design=flat',
  'data/fetch/minute_candles',
  'premarket/prepare',
  '2026-11-22T14:00:00.123Z',
  '20261122T140000Z-f5b0',
  '3f2a9c1e-7b4d-4e2a-9f1c-2d3e4f5a6b7c',
  '9fceb02d0ae598e95dc970b74767f19372d61af8',
  'risk-level high',
  'gcc -pthread -O2',
  "['gcc', '-pthread']",
  'https://example.com:8080/path?page=2',
  'git@github.com:org/repo.git',
  'the webhook/github handler',
  'psql -h db -U app',
  'pg_dump --schema-only',
  'task-runner --verbose',
  'npm install --save-dev',
  'sk-learn',
  'sig=ok',
  'Basic validation failed',
  'score 0.40 below threshold 0.60',
  'vendor returned 0 rows for NVDA',
  'https://hooks.slack.com/',
  'KeyError: \'ema_21\'',
  // red-team r4 negatives: ordinary curl, encoded non-secrets, YAML blocks under other keys, prose
  'curl -u admin https://api.example',
  'curl -sS https://x/a:b',
  'docker run -u 1000:1000 img',
  'next=%2Fa%3Fpage%3D2',
  'HRKU-short',
  'description: |\n  fetch the candles\n  for one day',
  'The password is rotated weekly',
  'primary key: id',
];

describe('egress: credential shapes (redact.ts)', () => {
  for (const [shape, input, expected] of POSITIVE) {
    it(`redacts ${shape}`, () => assert.equal(red.string(input), expected));
  }

  it('leaves ordinary text alone (flow names, timestamps, uuids, git shas, passed=, bypass, cwd=)', () => {
    for (const s of NEGATIVE) assert.equal(redactString(s), s, s);
    const red2 = new Redactor();
    for (const s of NEGATIVE) assert.equal(red2.identifier(s), s, s);
  });

  it('finds the secrets of the r4 shapes for run-wide scrubbing (decoded too)', () => {
    const found = new Set<string>();
    red.findSecrets('curl -u admin:Zq04curl https://x', found);
    red.findSecrets('?next=%2Fa%3Fpassword%3DZq04%2Fenc', found);
    red.findSecrets('secret: |\n  Zq04block\n', found);
    for (const s of ['Zq04curl', 'Zq04%2Fenc', 'Zq04/enc', 'Zq04block']) assert.ok(found.has(s), `${s}: ${[...found].join(' | ')}`);
  });

  // Out of scope, on purpose (redact.ts): prose such as "The password is X" — no key/separator shape.
  it('leaves prose about secrets alone (a documented limit)', () => {
    assert.equal(red.string('The password is hunter2x'), 'The password is hunter2x');
  });

  it('redacts argv arrays in structured values (the argument of a sensitive flag, mysql -p)', () => {
    assert.deepEqual(redactValue({ argv: ['deploy', '--token', 'xs3cretx', '-v'] }), { argv: ['deploy', '--token', R, '-v'] });
    assert.deepEqual(redactValue({ argv: ['/usr/bin/mysql', '-u', 'root', '-pS3cr3tPw', 'app'] }), { argv: ['/usr/bin/mysql', '-u', 'root', `-p${R}`, 'app'] });
    assert.deepEqual(redactValue({ argv: ['mysql', '-p', 'S3cr3tPw'] }), { argv: ['mysql', '-p', R] });
    const ordinary = { argv: ['gcc', '-pthread', '-o', 'out', '--verbose', 'x'], ports: ['-p', '8080'] };
    assert.deepEqual(redactValue(ordinary), ordinary);
  });

  it('reports what it removed (for run-wide scrubbing), without keys, quotes or schemes', () => {
    const found = new Set<string>();
    red.findSecrets("login password='p@ss word' via postgres://:pgS3cret@db and Authorization: Bearer abcdef123456", found);
    for (const s of ['p@ss word', 'pgS3cret', 'abcdef123456']) assert.ok(found.has(s), `${s}: ${[...found].join(' | ')}`);
    const none = new Set<string>();
    red.findSecrets('vendor returned 0 rows for NVDA', none);
    assert.equal(none.size, 0);
  });

  it('stays linear on hostile inputs (no catastrophic backtracking)', () => {
    const t0 = process.cpuUsage();
    for (const s of [
      'password='.repeat(20000),
      "'--password', ".repeat(10000),
      'mysql '.repeat(5000) + ' -p',
      'postgres://:' + '@'.repeat(50000),
      '/webhook/' + 'a'.repeat(100000),
      'eyJ' + 'a'.repeat(100000),
      '-----BEGIN PRIVATE KEY-----' + 'x'.repeat(50000),
      '?key=' + '&key='.repeat(20000),
    ]) {
      red.string(s);
    }
    const used = process.cpuUsage(t0);
    // A hang guard, not a speed assertion: catastrophic backtracking would take minutes.
    assert.ok(used.user + used.system < 20e6, `${(used.user + used.system) / 1e6} s CPU`);
  });

  describe('property: a generated credential in any shape, in random text, is never output', () => {
    const alnum = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
    const tokenArb = fc
      .string({ unit: fc.constantFrom(...alnum), minLength: 12, maxLength: 40 })
      .filter((t) => /\d/.test(t) && /[a-z]/i.test(t));
    const pad = (t: string, n: number): string => (t + '0123456789abcdef'.repeat(4)).slice(0, Math.max(n, t.length));
    const hex = (t: string, n: number): string => pad(Buffer.from(t).toString('hex'), n).slice(0, n);
    /** shape → (secret) → [text, the part that must not be output] */
    const SHAPES: Record<string, (t: string) => [string, string]> = {
      urlEmptyUser: (t) => [`postgres://:${t}@db.internal/app`, t],
      urlUser: (t) => [`amqp://app:${t}@mq:5672`, t],
      bRepr: (t) => [`{'password': b'${t}'}`, t],
      argvList: (t) => [`['--password', '${t}']`, t],
      argvJson: (t) => [`["--token","${t}"]`, t],
      flagEq: (t) => [`--password=${t}`, t],
      flagSpace: (t) => [`--password ${t}`, t],
      mysqlAttached: (t) => [`mysql -u root -p${t} app`, t],
      mysqlSpaced: (t) => [`mysql -h db -p ${t}`, t],
      argvP: (t) => [`['mysql', '-p', '${t}']`, t],
      azureKey: (t) => [`AccountName=a;AccountKey=${t}==;EndpointSuffix=x`, t],
      sasSig: (t) => [`https://a.blob.core.windows.net/c?sv=2020&sig=${t}&se=1`, t],
      gcp: (t) => [`"private_key": "-----BEGIN PRIVATE KEY-----\\n${t}\\n-----END PRIVATE KEY-----\\n"`, t],
      aws: (t) => [`aws_secret_access_key=${t}`, t],
      slack: (t) => [`https://hooks.slack.com/services/T0/B0/${t}`, t],
      discord: (t) => [`https://discord.com/api/webhooks/1234/${t}`, t],
      webhook: (t) => [`https://ci.example/webhook/${t}`, t],
      npm: (t) => [`npm_${pad(t, 36)}`, pad(t, 36)],
      pypi: (t) => [`pypi-AgEIcHlwaS5vcmc${t}`, t],
      glpat: (t) => [`glpat-${pad(t, 20)}`, pad(t, 20)],
      slackTok: (t) => [`xoxb-${t}`, t],
      xapp: (t) => [`xapp-1-${t}`, t],
      sendgrid: (t) => [`SG.${pad(t, 22)}.${pad(t, 43)}`, pad(t, 22)],
      stripe: (t) => [`sk_live_${t}`, t],
      stripePk: (t) => [`pk_live_${t}`, t],
      stripeWh: (t) => [`whsec_${pad(t, 16)}`, pad(t, 16)],
      shopify: (t) => [`shpat_${pad(t, 32)}`, pad(t, 32)],
      hf: (t) => [`hf_${pad(t, 34)}`, pad(t, 34)],
      digitalocean: (t) => [`dop_v1_${pad(t, 64)}`, pad(t, 64)],
      aws_id: (t) => [`AKIA${pad(t.toUpperCase(), 16).slice(0, 16).toUpperCase()}`, pad(t.toUpperCase(), 16).slice(0, 16).toUpperCase()],
      github: (t) => [`ghp_${pad(t, 36)}`, pad(t, 36)],
      githubPat: (t) => [`github_pat_${pad(t, 30)}`, pad(t, 30)],
      square: (t) => [`sq0atp-${pad(t, 22)}`, pad(t, 22)],
      twilio: (t) => [`SK${hex(t, 32)}`, hex(t, 32)],
      xai: (t) => [`xai-${pad(t, 30)}`, pad(t, 30)],
      anthropic: (t) => [`sk-ant-api03-${t}`, t],
      openaiProj: (t) => [`sk-proj-${t}`, t],
      amzSig: (t) => [`?X-Amz-Date=1&X-Amz-Signature=${t}`, t],
      amzCred: (t) => [`&X-Amz-Credential=${t}%2F20260101`, t],
      googSig: (t) => [`?X-Goog-Signature=${t}`, t],
      signature: (t) => [`?Expires=1&Signature=${t}&Key-Pair-Id=K`, t],
      tokenParam: (t) => [`/cb?token=${t}`, t],
      keyParam: (t) => [`/maps?key=${t}&z=1`, t],
      apikeyParam: (t) => [`/x?a=1&apikey=${t}`, t],
      accessToken: (t) => [`access_token=${t}`, t],
      rubyQuoted: (t) => [`"password" => "${t}"`, t],
      rubySymbol: (t) => [`:password => '${t}'`, t],
      quotedSpaces: (t) => [`password: "${t} horse ${t}"`, t],
      quotedAt: (t) => [`password='p@${t} w'`, t],
      bearer: (t) => [`Authorization: Bearer ${t}`, t],
      pgpassword: (t) => [`PGPASSWORD=${t} psql`, t],
      curlUser: (t) => [`curl -u admin:${t} https://x`, t],
      curlLongUser: (t) => [`curl --user bob:${t}`, t],
      urlEncoded: (t) => [`?next=%2Fa%3Fpassword%3D${t}%26x%3D1`, t],
      urlEncodedJson: (t) => [`%22api_key%22%3A%22${t}%22`, t],
      heroku: (t) => [`HRKU-${pad(t, 30)}`, pad(t, 30)],
      spacedKey: (t) => [`private key: ${t}`, t],
      spacedKey2: (t) => [`api key = ${t}`, t],
      yamlBlock: (t) => [`secret: |\n  ${t}\n`, t],
    };
    const sep = fc.constantFrom(' ', '\n', '\t', ' | ', '; ', ' (', ') ', ': ');

    it('every shape', () => {
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(SHAPES)), tokenArb, fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), sep, sep, (shape, t, pre, post, s1, s2) => {
          const [cred, secret] = SHAPES[shape](t);
          fc.pre(!pre.includes(secret) && !post.includes(secret));
          const out = red.string(`${pre}${s1}${cred}${s2}${post}`);
          return !out.includes(secret);
        }),
        { numRuns: 3000, seed: 42 },
      );
    });
  });
});
