/**
 * The red-team corpus (test/fixtures/hostile/redteam/make.py, written into a temporary folder):
 * for the cases the egress modules fix — r1 (a 5,000-character token), r2 (a `password` 70 deep),
 * r4 (curl -u, URL-encoded pairs, HRKU- tokens, keys with a space, a YAML block scalar) and r10
 * (a store value redacted in one Pulse row, printed as another row's phase) — the CLI commands
 * that showed the leak print no secret (every planted secret holds `Zq`), human and `--json`.
 * With `--no-redact` (failures, stores) the secrets do appear, so the check can fail.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '../../../..');
const cli = path.join(repo, 'dist', 'cli.js');
const MAKE = path.join(repo, 'test', 'fixtures', 'hostile', 'redteam', 'make.py');

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return `${r.stdout}\n${r.stderr}`;
}

describe('cli: red-team corpus r1, r2, r4, r10 print no secret', function () {
  this.timeout(240_000);
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-redteam-'));
    execFileSync('python3', [MAKE, dir]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const CASES: Array<[string, string[]]> = [
    ['r1-long-secret', ['failures', 'ask']],
    ['r2-deep-secret', ['failures', 'ask']],
    ['r4-shapes', ['failures', 'ask']],
    ['r10-store-value', ['stores']],
  ];
  for (const [ws, cmds] of CASES) {
    for (const cmd of cmds) {
      it(`${ws}: ${cmd} (human and --json)`, () => {
        const w = path.join(dir, ws);
        for (const args of [[cmd, w], [cmd, '--json', w]]) {
          if (cmd === 'ask' && args.includes('--json')) continue;
          const out = run(args);
          assert.ok(!out.includes('Zq'), `${args.join(' ')}:\n${out.slice(Math.max(0, out.indexOf('Zq') - 200), out.indexOf('Zq') + 100)}`);
        }
        // ask always redacts; for the others --no-redact shows the planted secret
        if (cmd !== 'ask') assert.ok(run([cmd, '--no-redact', w]).includes('Zq'), 'the secret is in the data (--no-redact shows it)');
      });
    }
  }
});
