/**
 * Issue 13, class 3 (secrets) for the CLI: on the hostile workspace that
 * test/fixtures/hostile/secrets/make.py writes (into a temporary folder; ra.yaml with custom redact_keys `db_dsn`/`session_token`; each secret once under a
 * key and verbatim in a reason, step, exception, metric name, correlation, failure class, flow
 * name, app and a malformed line; a 450-char secret; a brainstem store and a store file named with
 * a secret), EVERY command the CLI lists (read from `flowlens --help`, so a new command is covered
 * without editing this test) prints none of the secrets — human and `--json`, stdout and stderr,
 * and files written with `--out`. With `--no-redact` the secrets do appear, so the check can fail.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { needles, type Secrets } from '../hostileSecrets';

const repo = path.resolve(__dirname, '../../../..');
const cli = path.join(repo, 'dist', 'cli.js');
const MAKE = path.join(repo, 'test', 'fixtures', 'hostile', 'secrets', 'make.py');

interface Res { code: number | null; out: string; err: string }

function run(args: string[]): Res {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' }, timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** {@link run} without blocking, so two CLI processes run at once (the CLI is CPU-bound at start-up). */
function runAsync(args: string[]): Promise<Res> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd: repo, env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' }, timeout: 60_000 });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Run every argument list, `width` at a time; results in order. */
async function runAll(jobs: string[][], width = 2): Promise<Res[]> {
  const res: Res[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      res[i] = await runAsync(jobs[i]);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return res;
}

function leaks(text: string, list: string[]): string[] {
  return list.filter((n) => text.includes(n));
}

/** Per command: the arguments it needs before PATH, and the variants it is run in. */
const REQUIRED: Record<string, string[][]> = {
  diff: [['r1', 'r2'], ['previous', 'latest']],
  export: [['--format', 'chrome'], ['--format', 'mermaid'], ['--format', 'otlp']],
  ask: [[], ['--summary'], ['--flow', 'sync/pull']],
};

interface CommandInfo { name: string; json: boolean; noRedact: boolean; out: boolean }

function commands(): CommandInfo[] {
  const help = run(['--help']);
  assert.equal(help.code, 0, help.err);
  const section = help.out.split(/\nCommands:\n/)[1] ?? '';
  // `mcp` is a stdio server, not a report: its secrets check is in mcp.test.ts (the SDK's client).
  const names = [...section.matchAll(/^ {2}([a-z][\w-]*)\b/gm)].map((m) => m[1]).filter((n) => n !== 'help' && n !== 'mcp');
  return names.map((name) => {
    const h = run([name, '--help']).out;
    return { name, json: /--json\b/.test(h), noRedact: /--no-redact\b/.test(h), out: /--out\b/.test(h) };
  });
}

/** The workspace make.py writes, every file aged so no run counts as live. */
function generateAged(): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-secrets-'));
  const r = spawnSync('python3', [MAKE, dst], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `make.py: ${r.stderr}`);
  const old = new Date('2026-01-01T00:00:00Z');
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      fs.utimesSync(p, old, old);
    }
  };
  walk(dst);
  return dst;
}

describe('CLI: no secret leaves any command unless --no-redact (hostile/secrets)', function () {
  this.timeout(180_000);
  let ws: string;
  let tmp: string;
  let secrets: Secrets;
  let list: string[];
  let cmds: CommandInfo[];

  before(() => {
    assert.ok(fs.existsSync(cli), 'run `npm run build` first (dist/cli.js missing)');
    ws = generateAged();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-secrets-out-'));
    secrets = JSON.parse(fs.readFileSync(path.join(ws, 'secrets.json'), 'utf8')) as Secrets;
    list = needles(secrets);
    cmds = commands();
  });
  after(() => {
    for (const d of [ws, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('the fixture holds what it claims: a 450-char secret, custom ra.yaml keys, each run secret outside its key too', () => {
    assert.equal(secrets.run.long.length, 450);
    const ra = fs.readFileSync(path.join(ws, '.autodev', 'ra.yaml'), 'utf8');
    assert.match(ra, /redact_keys: \["db_dsn", "session_token"\]/);
    const trace = fs.readFileSync(path.join(ws, '.autodev', 'trace.jsonl'), 'utf8');
    for (const v of [secrets.run.password, secrets.run.db_dsn, secrets.run.session_token, secrets.run.long]) {
      assert.ok(trace.split(v).length - 1 >= 2, `${v.slice(0, 20)} appears under a key and elsewhere`);
    }
  });

  it('lists the commands it checks (read from --help; every one is run below)', () => {
    const names = cmds.map((c) => c.name);
    for (const n of ['runs', 'flows', 'failures', 'metrics', 'validate', 'stores', 'diff', 'export', 'ask']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
    // Every command offers --json or is a text/file producer (export, ask); all but ask offer --no-redact.
    for (const c of cmds) if (c.name !== 'ask') assert.ok(c.noRedact, `${c.name} has --no-redact`);
  });

  it('every command, human and --json: stdout and stderr hold no secret; --no-redact shows them', async () => {
    const jobs: { args: string[]; json: boolean; noRedact: boolean }[] = [];
    for (const c of cmds) {
      for (const pre of REQUIRED[c.name] ?? [[]]) {
        for (const form of c.json ? [[], ['--json']] : [[]]) {
          const args = c.name === 'diff' ? [c.name, ...pre, ws, ...form] : [c.name, ws, ...pre, ...form];
          jobs.push({ args, json: form.length > 0, noRedact: false });
          if (c.noRedact) jobs.push({ args: [...args, '--no-redact'], json: form.length > 0, noRedact: true });
        }
      }
    }
    assert.ok(jobs.filter((j) => !j.noRedact).length >= 18, jobs.map((j) => j.args.join(' ')).join('\n'));
    const results = await runAll(jobs.map((j) => j.args));
    jobs.forEach((j, i) => {
      const r = results[i];
      const what = j.args.join(' ');
      assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.err}`);
      assert.ok(r.out.length > 0, `${what} printed something`);
      const found = leaks(r.out + r.err, list);
      if (j.noRedact) {
        // --no-redact prints the trace as written: the secrets appear (so the check above can fail).
        assert.ok(found.length > 0, `${what} shows the secrets as written:\n${r.out.slice(0, 2000)}`);
      } else {
        assert.deepEqual(found, [], `${what} leaks ${found.join(' | ')}:\n${r.out.slice(0, 3000)}\n${r.err}`);
      }
      // Never a raw escape or bidi control, redacted or not (JSON escapes them; human output strips or shows them escaped).
      assert.doesNotMatch(r.out + r.err, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/, `${what}: no raw control characters`);
    });
  });

  it('files written with --out hold no secret either', () => {
    for (const c of cmds.filter((x) => x.out)) {
      for (const pre of REQUIRED[c.name] ?? [[]]) {
        const file = path.join(tmp, `${c.name}-${pre.join('_').replace(/\W+/g, '_')}.out`);
        const r = run([c.name, ws, ...pre, '--out', file]);
        assert.equal(r.code, 0, r.err);
        const text = fs.readFileSync(file, 'utf8');
        assert.ok(text.length > 0);
        assert.deepEqual(leaks(text + r.out + r.err, list), [], `${c.name} ${pre.join(' ')} --out`);
      }
    }
  });

  it('value-based: the password is [REDACTED] where it appears outside its key (reason, step, class, flow name, app)', () => {
    const f = JSON.parse(run(['failures', ws, '--json']).out);
    const pull = f.failures.find((x: { flow: string }) => x.flow === 'sync/pull');
    assert.equal(pull.reason, 'login rejected for [REDACTED] via [REDACTED] session [REDACTED]');
    assert.equal(pull.failure_class, 'AUTH.REJECTED_[REDACTED]');
    assert.deepEqual(pull.evidence, { db_dsn: '[REDACTED]', session_token: '[REDACTED]', rows: 0, note: 'seen [REDACTED] and [REDACTED]' });
    const runs = JSON.parse(run(['runs', ws, '--json']).out);
    assert.equal(runs.runs.find((r: { id: string }) => r.id === 'r2').app, 'inventory [REDACTED]');
    const flows = JSON.parse(run(['flows', ws, '--json']).out);
    assert.deepEqual(flows.flows.map((x: { name: string }) => x.name).sort(), ['auth/[REDACTED]', 'sync/pull', 'sync/push']);
    // the diff honours ra.yaml's own key db_dsn (both values hidden) and scrubs the note's token
    const d = JSON.parse(run(['diff', 'r1', 'r2', ws, '--json']).out);
    const changes = d.newly_failing.find((e: { flow: string }) => e.flow === 'sync/pull').changes;
    assert.deepEqual(changes.find((c: { key: string }) => c.key === 'evidence.db_dsn'), { key: 'evidence.db_dsn', before: '[REDACTED]', after: '[REDACTED]' });
  });

  it('human output collapses whitespace before redaction, and Mermaid labels carry no control characters', () => {
    const f = path.join(tmp, 'ws-order.jsonl');
    const ev = (o: object) => JSON.stringify({ v: 1, run_id: 'r-ws', timestamp: '2026-11-20T10:00:00Z', ...o });
    fs.writeFileSync(f, [
      ev({ event_type: 'session_start', app: 'x' }),
      ev({ event_type: 'flow_start', flow: 'x\u202eevil\u202c\u200b\u001b[2J', flow_id: 'f1' }),
      ev({ event_type: 'failure', flow: 'x\u202eevil\u202c\u200b\u001b[2J', flow_id: 'f1', failure_class: 'DATA.X', reason: 'pw was Zq03 two\nwords', evidence: { password: 'Zq03 two words' } }),
      ev({ event_type: 'session_end', status: 'failed' }),
    ].join('\n') + '\n');
    const human = run(['failures', f]);
    assert.equal(human.code, 0, human.err);
    assert.ok(!/Zq03/.test(human.out), human.out);
    assert.match(run(['failures', f, '--no-redact']).out, /Zq03 two\\nwords/);
    const mmd = run(['export', f, '--format', 'mermaid']);
    assert.equal(mmd.code, 0, mmd.err);
    assert.ok(mmd.out.includes('"xevil - failed'), mmd.out);
    assert.doesNotMatch(mmd.out, /#8238;|#8236;|#8203;|#27;/);
    assert.doesNotMatch(run(['export', f, '--format', 'mermaid', '--no-redact']).out, /#8238;|#8236;|#8203;|#27;/);
  });

  it('an error message quoting trace text is redacted too (a run id listed after an unknown --run)', () => {
    const r = run(['flows', ws, '--run', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^flowlens: no run 'nope'/);
    assert.deepEqual(leaks(r.err, list), []);
  });
});
