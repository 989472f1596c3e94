// Ingress through the real readers: discovery, loadCatalog, TraceWorkspace, JsonlTail and the
// PathMapper on hostile workspaces generated at test time (./hostile.ts). Each load must end (the
// mocha timeout is the hang guard — a FIFO read without O_NONBLOCK blocks for ever, /dev/zero or a
// 100 MB flows.yaml read whole takes GBs), report a located problem naming the file, and still
// read everything else.
import '../../support/vscodeStub';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCatalog } from '../../../src/core/read/catalog';
import { discover } from '../../../src/core/read/discover';
import type { Run } from '../../../src/core/model/types';
import { PathMapper } from '../../../src/core/read/pathmap';
import { JsonlTail } from '../../../src/core/read/sources/jsonl';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { endedForAutoWrite } from '../../../src/host/chat/autoWrite';
import { DEMO_RUN, GOOD_RUN, hostileWorkspace, mkfifo, mksocket, OUTSIDE_RUN, rmrf, tmpDir, v1Run, type Hostile, type Variant } from './hostile';

const VARIANTS: Variant[] = ['fifo', 'zero', 'big', 'socket', 'outside'];

describe('ingress: hostile workspaces through the readers', function () {
  this.timeout(60_000); // the hang guard; nothing here is timed
  const made: Hostile[] = [];
  const make = (v: Variant): Hostile => {
    const h = hostileWorkspace(v);
    made.push(h);
    return h;
  };
  after(() => {
    for (const h of made) {
      rmrf(h.root);
      rmrf(h.outside);
    }
  });

  for (const v of VARIANTS) {
    it(`${v}: loadCatalog ends with a located error naming ra.yaml and flows.yaml, defaults kept`, () => {
      const h = make(v);
      const c = loadCatalog(h.root);
      for (const name of ['ra.yaml', 'flows.yaml']) {
        const file = path.join(h.root, '.autodev', name);
        const p = c.problems.find((x) => x.file === file);
        assert.ok(p, `no problem for ${name}: ${JSON.stringify(c.problems)}`);
        assert.equal(p.severity, 'error');
        const why = { fifo: /a FIFO/, zero: /resolves to \/dev\/zero, outside the workspace folder/, big: /100\.0 MB is over the 4\.0 MB limit/, socket: /a socket/, outside: /outside the workspace folder/ }[v];
        assert.match(p.message, why);
      }
      assert.equal(c.flows.length, 0, 'nothing from a hostile flows.yaml');
      assert.ok(!JSON.stringify(c.ra).includes('outside_marker'), 'ra.yaml outside the workspace was not read');
    });

    it(`${v}: TraceWorkspace loads, reads every ordinary run, and names the hostile trace`, async () => {
      const h = make(v);
      const ws = new TraceWorkspace(h.root, { now: () => Date.UTC(2031, 0, 1), final: true });
      await ws.load({ final: true });
      const ids = ws.runs().map((r) => r.id);
      assert.ok(ids.includes(DEMO_RUN), `the rolling trace was read: ${ids.join(', ')}`);
      assert.ok(ids.includes(GOOD_RUN), `the good run folder was read: ${ids.join(', ')}`);
      assert.ok(!ids.some((id) => id.startsWith(OUTSIDE_RUN)), 'nothing outside the workspace was read');
      const problems = ws.problems().join('\n');
      const traceFile = h.hostile[2];
      if (v === 'big') {
        // A regular file (streamed, no cap for traces): 100 MB of NULs is one over-long line, skipped and located.
        assert.ok(ws.malformed().some((m) => m.file === traceFile), `the over-long line is reported: ${JSON.stringify(ws.malformed().slice(0, 3))}`);
      } else assert.ok(problems.includes(traceFile), `the hostile trace is named:\n${problems}`);
      assert.ok(ws.catalog?.problems.some((p) => p.file === h.hostile[0]), 'the catalog problem is kept');
      assert.ok(!ws.sources().some((s) => s.file === traceFile && s.events > 0), 'nothing was read from the hostile trace');
    });
  }

  it('discovery skips run folders and folders that are symlinks leading outside, each with a note naming link and target', () => {
    const h = make('outside');
    const d = discover(h.root);
    const o = h.outside as string;
    const link = path.join(h.root, '.autodev', 'runs', OUTSIDE_RUN);
    const note = (p: string, target: string): string | undefined => d.problems.find((x) => x.startsWith(`${p}: symbolic link to ${target}`));
    assert.ok(note(link, path.join(o, 'run')), `run folder link:\n${d.problems.join('\n')}`);
    assert.ok(note(path.join(h.root, 'elsewhere'), o), 'generic walk folder link');
    assert.ok(note(path.join(h.root, 'logs', 'runs'), o), 'a runs/ folder link');
    assert.ok(note(h.hostile[2], path.join(o, 'trace.jsonl')), 'a trace.jsonl file link');
    assert.ok(d.problems.every((x) => !x.startsWith(o)), 'nothing under the outside folder was listed');
    assert.ok(d.sources.every((s) => !fs.realpathSync(s.file).startsWith(o)), `a source leads outside: ${d.sources.map((s) => s.file).join(', ')}`);
    assert.ok(d.sources.some((s) => s.runHint === GOOD_RUN));
  });

  it('discovery skips a FIFO, a socket and a link to /dev/zero named like trace files, with a note', () => {
    const root = tmpDir('disc-special');
    try {
      const runs = path.join(root, '.autodev', 'runs');
      fs.mkdirSync(path.join(runs, 'a'), { recursive: true });
      fs.mkdirSync(path.join(runs, 'b'), { recursive: true });
      fs.mkdirSync(path.join(root, 'telemetry_x'), { recursive: true });
      mkfifo(path.join(runs, 'a', 'trace.jsonl'));
      fs.symlinkSync('/dev/zero', path.join(runs, 'b', 'trace.jsonl'));
      mkfifo(path.join(root, '.autodev', 'trace.jsonl'));
      mkfifo(path.join(root, 'telemetry_x', 'events.jsonl'));
      fs.mkdirSync(path.join(root, '.grain'));
      assert.ok(mksocket(path.join(root, '.grain', 'telemetry_queue.jsonl')), 'python3 bound a Unix socket file');
      fs.writeFileSync(path.join(runs, 'b', 'summary.md'), '# ok\n');
      const d = discover(root);
      assert.deepEqual(d.sources.map((s) => path.relative(root, s.file)), [path.join('.autodev', 'runs', 'b', 'summary.md')]);
      for (const [f, what] of [
        [path.join(runs, 'a', 'trace.jsonl'), 'a FIFO'],
        [path.join(root, '.autodev', 'trace.jsonl'), 'a FIFO'],
        [path.join(root, 'telemetry_x', 'events.jsonl'), 'a FIFO'],
        [path.join(root, '.grain', 'telemetry_queue.jsonl'), 'a socket'],
      ]) {
        assert.ok(d.problems.includes(`${f}: ${what}, not a regular file; not read`), `${f}:\n${d.problems.join('\n')}`);
      }
      // A link to /dev/zero leaves the workspace: named with where it points.
      const zero = path.join(runs, 'b', 'trace.jsonl');
      assert.ok(d.problems.includes(`${zero}: symbolic link to /dev/zero, outside the workspace folder; not read`), d.problems.join('\n'));
    } finally {
      rmrf(root);
    }
  });

  it('JsonlTail refuses a FIFO named trace.jsonl at once (sync and async) and a file leaving its root', async () => {
    const root = tmpDir('tail');
    const out = tmpDir('tail-out');
    try {
      const fifo = path.join(root, 'trace.jsonl');
      mkfifo(fifo);
      const t = new JsonlTail(fifo, { root });
      assert.equal(t.readSync(() => assert.fail('no record from a FIFO'), { final: true }).error, 'not a regular file (a FIFO)');
      assert.equal((await t.read(() => assert.fail('no record'), { final: true })).error, 'not a regular file (a FIFO)');
      fs.writeFileSync(path.join(out, 'trace.jsonl'), v1Run('r-out'));
      fs.symlinkSync(path.join(out, 'trace.jsonl'), path.join(root, 'link.jsonl'));
      const o = new JsonlTail(path.join(root, 'link.jsonl'), { root });
      const r = o.readSync(() => assert.fail('no record from outside'), { final: true });
      assert.match(r.error ?? '', /outside the workspace folder/);
      let n = 0;
      const picked = new JsonlTail(path.join(root, 'link.jsonl'), { root, allowOutside: true });
      picked.readSync(() => n++, { final: true });
      assert.equal(n, 4, 'a file the user picked is read wherever it is');
    } finally {
      rmrf(root);
      rmrf(out);
    }
  });

  describe('PathMapper refuses paths that leave the workspace', () => {
    let root: string;
    let out: string;
    before(() => {
      root = tmpDir('pathmap');
      out = tmpDir('pathmap-out');
      fs.mkdirSync(path.join(root, 'app'));
      fs.writeFileSync(path.join(root, 'app', 'main.py'), 'print(1)\n');
      fs.writeFileSync(path.join(out, 'secret.py'), 'x\n');
      fs.symlinkSync(path.join(out, 'secret.py'), path.join(root, 'app', 'leak.py'));
      fs.symlinkSync(out, path.join(root, 'vendor'));
      mkfifo(path.join(root, 'app', 'fifo.py'));
      fs.symlinkSync('/dev/zero', path.join(root, 'app', 'zero.py'));
    });
    after(() => {
      rmrf(root);
      rmrf(out);
    });

    it('/etc/passwd, ../../../etc/passwd and relative escapes resolve to nothing', () => {
      const m = new PathMapper(root);
      assert.ok(fs.existsSync('/etc/passwd'), 'control: the file exists on this machine');
      for (const p of ['/etc/passwd', '../../../etc/passwd', '../../../../../../../../etc/passwd', 'app/../../../etc/passwd', 'file:///etc/passwd']) {
        assert.equal(m.resolve(p).path, undefined, p);
      }
      assert.ok(m.mappings().every((x) => x.to === root), 'nothing learned outside');
    });

    it('a link in the workspace leading out, a FIFO and /dev/zero resolve to nothing; a real file still resolves', () => {
      const m = new PathMapper(root);
      assert.equal(m.resolve('app/leak.py').path, undefined);
      assert.equal(m.resolve('/ci/build/vendor/secret.py').path, undefined);
      assert.equal(m.resolve(path.join(out, 'secret.py')).path, undefined);
      assert.equal(m.resolve('app/fifo.py').path, undefined);
      assert.equal(m.resolve('app/zero.py').path, undefined);
      assert.equal(m.resolve('/ci/build/app/main.py').path, path.join(root, 'app', 'main.py'));
    });

    it('a user path mapping (a trusted-only setting) may point outside the root, and only into its target', () => {
      const m = new PathMapper(root, { '/ci/src': out });
      assert.equal(m.resolve('/ci/src/secret.py').path, path.join(out, 'secret.py'));
      assert.equal(m.resolve('/ci/src/../../../etc/passwd').path, undefined);
    });

    it('a failure at /etc/passwd in a trace gets no path (so no diagnostic) through TraceWorkspace', async () => {
      fs.mkdirSync(path.join(root, '.autodev'), { recursive: true });
      fs.writeFileSync(path.join(root, '.autodev', 'trace.jsonl'), v1Run('r-passwd', '/etc/passwd') + v1Run('r-dots', '../../../etc/passwd'));
      const ws = new TraceWorkspace(root, { now: () => Date.UTC(2031, 0, 1), final: true });
      await ws.load({ final: true });
      assert.equal(ws.runs().length, 2);
      for (const run of ws.runs()) {
        const failed = [...run.flows.values()].find((f) => f.verdict === 'failed');
        const file = failed?.verdictEvent?.file;
        assert.ok(file, 'the failure names a file');
        assert.equal(ws.pathMap.resolve(file).path, undefined, `${file} must not resolve`);
      }
    });
  });

  describe('auto-write trigger: only a run that really ended', () => {
    const run = (status: Run['status'], endedBy?: Run['endedBy']): Pick<Run, 'status' | 'endedBy'> => ({ status, endedBy });
    it('a run that times out (crashed, no session_end) does not trigger; session_end or a 0.1 summary.md does', () => {
      assert.equal(endedForAutoWrite('running', run('crashed')), false, 'liveness window passed without session_end');
      assert.equal(endedForAutoWrite('running', run('failed', 'session_end')), true);
      assert.equal(endedForAutoWrite('running', run('crashed', 'session_end')), true, 'session_end with status crashed is a real end');
      assert.equal(endedForAutoWrite('running', run('ok', 'summary')), true, 'a 0.1 run whose summary.md appeared');
      assert.equal(endedForAutoWrite('running', run('running')), false);
      assert.equal(endedForAutoWrite('failed', run('failed', 'session_end')), false, 'already over when first seen');
      assert.equal(endedForAutoWrite(undefined, run('failed', 'session_end')), false);
    });

    it('the run builder sets endedBy from the data: session_end yes, a stale run without it no', async () => {
      const root = tmpDir('endedby');
      try {
        const dir = path.join(root, '.autodev');
        fs.mkdirSync(dir);
        const stale = v1Run('r-stale').split('\n').filter((l) => l && !l.includes('session_end')).join('\n') + '\n';
        fs.writeFileSync(path.join(dir, 'trace.jsonl'), v1Run('r-ended') + stale);
        const ws = new TraceWorkspace(root, { now: () => Date.UTC(2031, 0, 1), final: true });
        await ws.load({ final: true });
        const ended = ws.getRun('r-ended');
        const crashed = ws.getRun('r-stale');
        assert.equal(ended?.endedBy, 'session_end');
        assert.equal(crashed?.status, 'crashed');
        assert.equal(crashed?.endedBy, undefined);
        assert.equal(endedForAutoWrite('running', crashed as Run), false);
        assert.equal(endedForAutoWrite('running', ended as Run), true);
      } finally {
        rmrf(root);
      }
    });
  });
});
