// The CLI (the built dist/cli.js, as a child process) on each hostile workspace of ./hostile.ts:
// it must end (the `timeout` wrapper is the hang guard: a FIFO read blocking, or /dev/zero read
// whole, never ends) with exit 0 or 1, and its peak RSS — measured by /usr/bin/time -f %M, else
// VmHWM from /proc while it runs — must stay under a bound. Nothing here asserts speed.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OWN_MARK } from '../../../src/core/read/ingress/safeWrite';
import { GOOD_RUN, hostileWorkspace, mkfifo, rmrf, tmpDir, type Hostile, type Variant } from './hostile';

const CLI = path.resolve('dist', 'cli.js');
const GUARD_S = 60;
const MAX_RSS_KB = 400 * 1024;
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface Ran {
  code: number | null;
  out: string;
  err: string;
  peakKb: number;
}

/** Run the CLI under `timeout` and measure its peak RSS. */
function runCli(args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const cmd = GNU_TIME ?? 'timeout';
    const argv = GNU_TIME ? ['-f', 'PEAK_RSS_KB=%M', 'timeout', String(GUARD_S), process.execPath, CLI, ...args] : [String(GUARD_S), process.execPath, CLI, ...args];
    const child = spawn(cmd, argv, { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    let hwm = 0;
    // Without GNU time: the node child is the timeout's child; poll its VmHWM (kB).
    const poll = GNU_TIME
      ? undefined
      : setInterval(() => {
          try {
            for (const pid of fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
              const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
              if (m) hwm = Math.max(hwm, Number(m[1]));
            }
          } catch {
            /* ended */
          }
        }, 20);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      const m = /PEAK_RSS_KB=(\d+)/.exec(err);
      resolve({ code, out, err: err.replace(/PEAK_RSS_KB=\d+\n?/, ''), peakKb: m ? Number(m[1]) : hwm });
    });
  });
}

describe('ingress: the CLI on hostile workspaces ends, under a memory bound', function () {
  this.timeout((GUARD_S + 30) * 1000);
  const made: Hostile[] = [];
  const measured: string[] = [];
  before(() => assert.ok(fs.existsSync(CLI), 'dist/cli.js is built (npm run build)'));
  after(() => {
    for (const h of made) {
      rmrf(h.root);
      rmrf(h.outside);
    }
    if (measured.length) console.log(`      peak RSS (kB): ${measured.join(', ')}`);
  });

  for (const v of ['fifo', 'zero', 'big', 'socket', 'outside'] as Variant[]) {
    it(`${v}: runs, failures and validate end with exit 0/1, read the ordinary runs, and stay under ${MAX_RSS_KB / 1024} MB`, async () => {
      const h = hostileWorkspace(v);
      made.push(h);
      for (const cmd of ['runs', 'failures', 'validate']) {
        const r = await runCli([cmd, h.root]);
        assert.notEqual(r.code, 124, `${cmd} hung (killed by timeout after ${GUARD_S} s)`);
        assert.ok(r.code === 0 || r.code === 1, `${cmd} exit ${r.code}: ${r.err.slice(0, 500)}`);
        assert.ok(r.peakKb > 0, 'peak RSS was measured');
        assert.ok(r.peakKb < MAX_RSS_KB, `${cmd}: peak RSS ${r.peakKb} kB`);
        measured.push(`${v}/${cmd} ${r.peakKb}`);
        if (cmd === 'runs') assert.ok(r.out.includes(GOOD_RUN), `the ordinary run is listed:\n${r.out}`);
        if (cmd === 'validate') assert.match(r.out + r.err, /ra\.yaml/, 'validate names the refused ra.yaml');
      }
    });
  }

  it('a FIFO given as the single trace file argument ends at once with a message', async () => {
    const root = tmpDir('cli-fifo');
    try {
      const f = path.join(root, 'trace.jsonl');
      mkfifo(f);
      const r = await runCli(['runs', f]);
      assert.notEqual(r.code, 124, 'hung on the FIFO');
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.err}`);
      assert.ok(r.peakKb < MAX_RSS_KB);
    } finally {
      rmrf(root);
    }
  });

  it('ask --out never writes through a planted symlink; the outside file stays as it was', async () => {
    const h = hostileWorkspace('outside');
    made.push(h);
    const victim = path.join(h.outside as string, 'victim.txt');
    fs.writeFileSync(victim, 'keep me\n');
    const link = path.join(h.root, 'ask.md');
    fs.symlinkSync(victim, link);
    const r = await runCli(['ask', h.root, '--run', GOOD_RUN, '--out', link]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /cannot write .*ask\.md: not written — it is a symbolic link/);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'keep me\n');
    // A plain target is written, with the own-file mark.
    const plain = path.join(h.root, 'ask-plain.md');
    const ok = await runCli(['ask', h.root, '--run', GOOD_RUN, '--out', plain]);
    assert.equal(ok.code, 0, ok.err);
    assert.ok(fs.readFileSync(plain, 'utf8').startsWith(`${OWN_MARK}\n`));
  });
});
