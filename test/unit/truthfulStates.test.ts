// Issue 16 "truthful states" (round 2): liveness from the last event's own time as well as the
// file's mtime; an unknown duration is unknown (not 0); `diff previous latest` compares like with
// like and says why it cannot. Real fixtures (test/fixtures/demo-app) where the case has one.
import '../support/vscodeStub';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_LIVE_WINDOW_MS, RunBuilder, isLive } from '../../src/core/model/build';
import type { Run, TraceEvent } from '../../src/core/model/types';
import { TraceWorkspace } from '../../src/core/read/workspace';
import { flowRollups } from '../../src/core/analyze/rollup';
import { endedForAutoWrite } from '../../src/host/chat/autoWrite';
import { buildDashboardModel } from '../../src/core/render/dashboard';
import { lensTitle } from '../../src/host/editor/traceLocations';
import { flowDuration } from '../../src/host/format';

const repo = path.resolve(__dirname, '../../..');
const fixtures = path.join(repo, 'test', 'fixtures', 'demo-app');
const cli = path.join(repo, 'dist', 'cli.js');
const YEAR = 365 * 86_400_000;

function tmp(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `flowlens-truthful-${name}-`));
}

let line = 0;
function ev(type: string, ts: number | undefined, more: Partial<TraceEvent> = {}): TraceEvent {
  return { dialect: 'flowscribe-v1', type, ts, runId: 'r1', tags: [], extra: {}, src: { file: '/ws/t.jsonl', line: ++line }, ...more };
}

/** A v1 run without session_end (a crash) whose events happened at `at`. */
function crashedRunLines(runId: string, at: number): string {
  const t = (ms: number) => new Date(at + ms).toISOString();
  return [
    { v: 1, event_type: 'session_start', run_id: runId, timestamp: t(0), app: 'shop' },
    { v: 1, event_type: 'flow_start', run_id: runId, timestamp: t(10), flow: 'pay/charge', flow_id: 'f-1', file: 'shop/pay.py', line: 3 },
  ].map((o) => JSON.stringify(o)).join('\n') + '\n';
}

describe('issue 16: truthful states', function () {
  this.timeout(60_000);

  describe('liveness: the file was written AND the last event happened within the live window', () => {
    const now = Date.UTC(2026, 11, 6, 12, 0, 0);
    const W = DEFAULT_LIVE_WINDOW_MS;

    it('isLive: both clocks must be recent; a future event time counts as now; no event time = the mtime alone', () => {
      assert.equal(isLive(now, W, now, now - 1000), true);
      assert.equal(isLive(now, W, now, now - YEAR), false, 'a fresh copy of a year-old crash');
      assert.equal(isLive(now, W, now - W - 1, now), false, 'an old file');
      assert.equal(isLive(now, W, undefined, now), false, 'unknown mtime');
      assert.equal(isLive(now, W, now, now + 3_600_000), true, 'clock skew: a timestamp in the future counts as now');
      assert.equal(isLive(now, W, now, undefined), true, 'no event time: judged by the mtime');
      assert.equal(isLive(now, W, now, now - W), true, 'the window is inclusive');
      assert.equal(isLive(now, W, now, now - W - 1), false);
    });

    it('the builder: a run without session_end whose file is fresh but whose last event is a year old is crashed, not running', () => {
      const b = new RunBuilder();
      b.add(ev('session_start', now - YEAR));
      b.add(ev('flow_start', now - YEAR + 10, { flow: 'pay/charge', flowId: 'f-1' }));
      b.finish({ now, mtimeOf: () => now });
      const run = b.getRun('r1') as Run;
      assert.equal(run.status, 'crashed');
      assert.equal(run.ended, now - YEAR + 10);
      assert.equal(run.flows.get('f-1')?.verdict, 'orphaned');
      // The same run written a minute ago is running.
      const live = new RunBuilder();
      live.add(ev('session_start', now - 60_000));
      live.add(ev('flow_start', now - 59_000, { flow: 'pay/charge', flowId: 'f-1' }));
      live.finish({ now, mtimeOf: () => now });
      assert.equal(live.getRun('r1')?.status, 'running');
    });

    it('a copied workspace (every mtime fresh): the fixture crash e2a6 and a year-old crash read crashed from the first load, so no auto-write can follow', async () => {
      const root = tmp('copy');
      try {
        // As git clone / an artifact download / Open Demo leave it: files written just now.
        fs.cpSync(fixtures, root, { recursive: true });
        fs.mkdirSync(path.join(root, '.autodev', 'runs', 'r-old'), { recursive: true });
        fs.writeFileSync(path.join(root, '.autodev', 'runs', 'r-old', 'trace.jsonl'), crashedRunLines('r-old', Date.now() - YEAR));
        let clock = Date.now();
        const ws = new TraceWorkspace(root, { now: () => clock, final: true });
        await ws.load({ final: true });
        const running = ws.runs().filter((r) => r.status === 'running').map((r) => r.id);
        assert.deepEqual(running, [], 'nothing reads as running after a copy');
        const old = ws.getRun('r-old') as Run;
        const e2a6 = ws.runs().find((r) => r.id === '20261121T140000Z-e2a6' && r.dialect === 'flowscribe-v1') as Run;
        assert.equal(old.status, 'crashed');
        assert.equal(e2a6?.status, 'crashed', 'the demo fixture run without session_end');
        // The auto-write watcher snapshots statuses when the folder opens, then compares after each
        // refresh. A run first seen crashed never went running → crashed: no write, also once the
        // live window has passed.
        const before = new Map(ws.runs().map((r) => [r.id, r.status as string]));
        clock += DEFAULT_LIVE_WINDOW_MS + 60_000;
        await ws.refresh();
        for (const r of ws.runs()) assert.equal(endedForAutoWrite(before.get(r.id), r), false, `${r.id}: ${before.get(r.id)} → ${r.status}`);
        assert.equal(old.status, 'crashed');
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    it('a run appended now stays running (the live tail)', async () => {
      const root = tmp('live');
      try {
        fs.mkdirSync(path.join(root, '.autodev', 'runs', 'r-live'), { recursive: true });
        fs.writeFileSync(path.join(root, '.autodev', 'runs', 'r-live', 'trace.jsonl'), crashedRunLines('r-live', Date.now()));
        const ws = new TraceWorkspace(root, { final: true });
        await ws.load({ final: true });
        assert.equal(ws.getRun('r-live')?.status, 'running');
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('an unknown duration is unknown, not 0', () => {
    it('without duration_ms, a flow whose timed events all share the verdict\'s instant has no duration; a stated one is kept', () => {
      const t = Date.UTC(2026, 10, 19, 9);
      const b = new RunBuilder();
      const o = { dialect: 'flowscribe-0.1' as const, runId: undefined };
      b.add(ev('success', t, { ...o, flowId: 'single' }), 'r');
      b.add(ev('success', t, { ...o, flowId: 'stated', durationMs: 0 }), 'r');
      b.add(ev('checkpoint', t, { ...o, flowId: 'two' }), 'r');
      b.add(ev('success', t + 12, { ...o, flowId: 'two' }), 'r');
      b.add(ev('checkpoint', t, { ...o, flowId: 'same-ms' }), 'r');
      b.add(ev('success', t, { ...o, flowId: 'same-ms' }), 'r');
      b.finish({ now: t, hasEnded: () => true });
      const flows = b.getRun('r')?.flows;
      assert.equal(flows?.get('single')?.durationMs, undefined, 'one event: unknown');
      assert.equal(flows?.get('stated')?.durationMs, 0, 'a stated 0 is a measurement');
      assert.equal(flows?.get('two')?.durationMs, 12);
      assert.equal(flows?.get('same-ms')?.durationMs, undefined, 'a metric and its verdict in one millisecond (0.1 has no flow_start): no interval measured');
    });

    it('the 0.1 fixture recordings: single-event flows no longer pull p50 to 0', async () => {
      const root = tmp('durations');
      try {
        fs.cpSync(path.join(fixtures, 'runs'), path.join(root, 'runs'), { recursive: true });
        const ws = new TraceWorkspace(root, { now: () => Date.UTC(2031, 0, 1), final: true });
        await ws.load({ final: true });
        const runs = ws.runs();
        assert.ok(runs.length >= 6 && runs.every((r) => r.dialect === 'flowscribe-0.1'), runs.map((r) => `${r.id} ${r.dialect}`).join(', '));
        const flows = runs.flatMap((r) => [...r.flows.values()]);
        const single = flows.filter((f) => f.verdictEvent && f.verdictEvent.durationMs === undefined && f.events.every((e) => e.ts === f.verdictEvent?.ts));
        assert.ok(single.length > 0, 'the fixtures hold single-event flows');
        for (const f of single) assert.equal(f.durationMs, undefined, `${f.displayName}: ${f.durationMs}`);
        for (const r of flowRollups(runs)) {
          if (r.p50Ms === 0) assert.fail(`${r.flow}: p50 0 ms`);
          assert.ok(r.durationCount <= r.instances);
        }
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('surfaces: unknown durations are "—"; counts say what they count; comparisons say what they compared', () => {
    it('tree descriptions show "—" for an ended flow without a duration, nothing for an open one', () => {
      const b = new RunBuilder();
      b.add(ev('success', 1000, { flowId: 'single', flow: 'x/y' }));
      b.add(ev('flow_start', 1000, { flowId: 'open', flow: 'x/z' }));
      b.finish({ now: 1000, mtimeOf: () => 1000 });
      const run = b.getRun('r1') as Run;
      assert.equal(flowDuration(run.flows.get('single')!), '—');
      assert.equal(flowDuration(run.flows.get('open')!), '');
    });

    it('the CodeLens counts instances in runs ("17 instances in 4 runs"), never "4 runs" for 17 instances', () => {
      const latest = { folderKey: 'k', runId: 'r', flowId: 'f' };
      assert.equal(lensTitle({ name: 'orders/submit', runs: 4, instances: 17, failed: 1, latest, p95Ms: 1800, slaP95Ms: 1000 }), 'orders/submit · 17 instances in 4 runs · 1 failed · p95 1.8 s ▲ SLA 1000');
      assert.equal(lensTitle({ name: 'a', runs: 1, instances: 1, failed: 0, latest }), 'a · 1 instance in 1 run');
    });

    it('the dashboard on the demo (v1 + 0.1 runs of the same days): "changes" compares same-dialect runs and says which dialect; a picked cross-dialect diff says so', async () => {
      const root = tmp('dash');
      try {
        fs.cpSync(fixtures, root, { recursive: true });
        const ws = new TraceWorkspace(root, { now: () => Date.UTC(2031, 0, 1), final: true });
        await ws.load({ final: true });
        const runs = ws.runs();
        const inputs = { runs, latestRunId: ws.latestRunId, catalog: ws.catalog, resolvePath: (f: string) => ws.pathMap.resolve(f).path };
        for (const r of runs) {
          const m = buildDashboardModel(inputs, r.id);
          const c = m.failures.changes;
          if (!c) continue;
          const base = runs.find((x) => x.id === c.base) as Run;
          assert.equal(base.dialect, r.dialect, `${r.id} (${r.dialect}) compared with ${base.id} (${base.dialect})`);
          assert.equal(c.dialect, r.dialect);
        }
        assert.ok(buildDashboardModel(inputs, 'all').runs.every((o) => o.dialect === 'flowscribe-v1' || o.dialect === 'flowscribe-0.1'));
        const v1 = runs.find((r) => r.id === '20261119T140000Z-b7d2' && r.dialect === 'flowscribe-v1') as Run;
        const old = runs.find((r) => r.dialect === 'flowscribe-0.1' && r.id.endsWith('20261119T140000Z-b7d2')) as Run;
        const d = buildDashboardModel(inputs, 'all', undefined, { diff: { a: old.id, b: v1.id } }).diff;
        assert.deepEqual([d?.aDialect, d?.bDialect], ['flowscribe-0.1', 'flowscribe-v1']);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('flowlens diff: like with like, and say so', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });

    it('`diff previous latest` when the latest run has no earlier run of its kind: says which run, which kind, what else exists and how to compare it', () => {
      const root = tmp('diff');
      try {
        // The newest 0.1 recording alone, beside an older v1 run.
        fs.mkdirSync(path.join(root, 'runs'));
        fs.cpSync(path.join(fixtures, 'runs', '20261122T140000Z-f5b0'), path.join(root, 'runs', '20261122T140000Z-f5b0'), { recursive: true });
        fs.mkdirSync(path.join(root, '.autodev', 'runs', 'v1-old'), { recursive: true });
        fs.writeFileSync(path.join(root, '.autodev', 'runs', 'v1-old', 'trace.jsonl'), crashedRunLines('v1-old', Date.UTC(2026, 0, 1)));
        const r = run(['diff', 'previous', 'latest', root]);
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /^flowlens: the latest run \S*20261122T140000Z-f5b0 \(flowscribe 0\.1\) has no earlier run of the same kind, and runs are compared like with like; runs of another kind: v1-old \(flowscribe v1\) — to compare across kinds, name both: flowlens diff v1-old \S*20261122T140000Z-f5b0\n$/);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    it('says what it compared: same dialect, or a note when the two runs named are of different kinds (--json: a_dialect, b_dialect, same_dialect)', () => {
      const root = tmp('diff2');
      try {
        fs.cpSync(fixtures, root, { recursive: true });
        const old = new Date('2026-01-01T00:00:00Z');
        const age = (d: string): void => {
          for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) age(p);
            fs.utimesSync(p, old, old);
          }
        };
        age(root);
        const same = run(['diff', 'previous', 'latest', root]);
        assert.equal(same.status, 0, same.stderr);
        assert.match(same.stdout, /^compared \S+ with \S+ \(same dialect: flowscribe (v1|0\.1)\)$/m);
        const v1 = '20261119T140000Z-b7d2';
        const cross = run(['diff', `runs/${v1}`, v1, root, '--json']);
        assert.equal(cross.status, 0, cross.stderr);
        const d = JSON.parse(cross.stdout);
        assert.deepEqual([d.a_dialect, d.b_dialect, d.same_dialect], ['flowscribe-0.1', 'flowscribe-v1', false]);
        const text = run(['diff', `runs/${v1}`, v1, root]);
        assert.match(text.stdout, /^note: runs\/20261119T140000Z-b7d2 is flowscribe 0\.1 and 20261119T140000Z-b7d2 is flowscribe v1 — flows are matched by name across dialects$/m);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });
});
