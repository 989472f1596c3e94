/**
 * Resource bounds (docs/reliability.md): a 50 MB single line, a 5 GB sparse trace file and a
 * 5 GB sparse store (no real disk use), a directory symlink loop under `.autodev/`, 20,000 run
 * folders (100,000 with `npm run stress`), and a `latest` link pointing outside the workspace.
 * Each must finish with bounded memory (RSS growth) and CPU time, and say what happened in a
 * located message.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_MAX_RUN_FOLDERS } from '../../../src/core/read/discover';
import { JsonlTail } from '../../../src/core/read/sources/jsonl';
import { readStore } from '../../../src/core/read/sqlite/stores';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { noHang, rssGrowthMB, size, startClock, tmpDir } from './helpers';

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;
const RUN_FOLDERS = size(20_000, 100_000);
const NOW = Date.parse('2026-11-22T12:00:00Z');

const v1 = (run: string, type: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ v: 1, event_type: type, run_id: run, timestamp: '2026-11-22T09:00:00Z', ...extra }) + '\n';

function workspace(): { root: string; autodev: string } {
  const root = tmpDir('flowlens-rel-bounds-');
  const autodev = path.join(root, '.autodev');
  fs.mkdirSync(autodev);
  return { root, autodev };
}

describe('reliability: resource bounds', function () {
  this.timeout(600_000);
  const cleanup: string[] = [];
  afterEach(() => {
    for (const d of cleanup.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('a 50 MB single line between two good lines: all three read, memory bounded; with a lower limit it is skipped with its size', async () => {
    const { root, autodev } = workspace();
    cleanup.push(root);
    const file = path.join(autodev, 'trace.jsonl');
    const big = 'B'.repeat(50 * MB);
    fs.writeFileSync(file, v1('r1', 'session_start') + v1('r1', 'checkpoint', { flow: 'big/one', flow_id: 'f1', evidence: { blob: big } }) + v1('r1', 'session_end', { status: 'ok' }));
    const t = startClock();
    const { value: records, growthMB } = await rssGrowthMB(() => {
      let n = 0;
      let longest = 0;
      const r = new JsonlTail(file).readSync((o) => {
        n++;
        const ev = o.evidence as { blob?: string } | undefined;
        longest = Math.max(longest, ev?.blob?.length ?? 0);
      });
      assert.deepEqual(r.malformed, []);
      assert.equal(longest, 50 * MB);
      return n;
    });
    noHang(t, '50 MB line', 10_000);
    assert.equal(records, 3);
    assert.ok(growthMB < 600, `RSS grew ${growthMB.toFixed(0)} MB for a 50 MB line`);

    const { value: skipped, growthMB: g2 } = await rssGrowthMB(() => {
      let n = 0;
      const r = new JsonlTail(file, { maxLineBytes: MB }).readSync(() => n++);
      return { n, malformed: r.malformed };
    });
    assert.equal(skipped.n, 2, 'the lines around it are read');
    assert.equal(skipped.malformed.length, 1);
    assert.equal(skipped.malformed[0].line, 2);
    assert.match(skipped.malformed[0].reason, /line too long: \d{8} bytes \(limit 1048576\); skipped/);
    assert.ok(g2 < 64, `RSS grew ${g2.toFixed(0)} MB while skipping (limit 1 MB)`);
  });

  it('a 5 GB sparse .autodev/trace.jsonl: streamed, not loaded; the good lines around the hole are read; a clear message', async () => {
    const { root, autodev } = workspace();
    cleanup.push(root);
    const file = path.join(autodev, 'trace.jsonl');
    const head = v1('sparse-run', 'session_start') + v1('sparse-run', 'flow_start', { flow: 'a/b', flow_id: 'f1' });
    const tail = '\n' + v1('sparse-run', 'success', { flow: 'a/b', flow_id: 'f1' }) + v1('sparse-run', 'session_end', { status: 'ok' });
    fs.writeFileSync(file, head);
    fs.truncateSync(file, 5 * GB);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, tail, 5 * GB);
    fs.closeSync(fd);
    const onDisk = fs.statSync(file).blocks * 512;
    assert.ok(onDisk < 64 * MB, `the file is sparse (${onDisk} bytes on disk)`);

    const ws = new TraceWorkspace(root, { final: true, now: () => NOW });
    const t = startClock();
    const { growthMB } = await rssGrowthMB(() => ws.load());
    noHang(t, '5 GB sparse trace', 120_000, 600_000);
    assert.ok(growthMB < 256, `RSS grew ${growthMB.toFixed(0)} MB reading a 5 GB file`);
    const run = ws.getRun('sparse-run');
    assert.ok(run, 'the run is read');
    assert.deepEqual(
      run.events.map((e) => e.type),
      ['session_start', 'flow_start', 'success', 'session_end'],
    );
    const mal = ws.malformed();
    assert.equal(mal.length, 1);
    assert.equal(mal[0].file, file);
    assert.equal(mal[0].line, 3);
    assert.match(mal[0].reason, /line too long: 5\d{9} bytes \(limit \d+\); skipped/);
  });

  it('a 5 GB sparse SQLite store is refused by size before reading, with the setting to raise', async () => {
    const dir = tmpDir('flowlens-rel-bounds-');
    cleanup.push(dir);
    const file = path.join(dir, 'huge.db');
    fs.writeFileSync(file, Buffer.from('SQLite format 3\u0000', 'latin1'));
    fs.truncateSync(file, 5 * GB);
    const t = startClock();
    const { value: report, growthMB } = await rssGrowthMB(() => readStore(file));
    noHang(t, '5 GB store');
    assert.ok(growthMB < 64, `RSS grew ${growthMB.toFixed(0)} MB`);
    assert.equal(report.problems.length, 1);
    assert.equal(report.problems[0].kind, 'too-large');
    assert.match(report.problems[0].message, /huge\.db: 5120\.0 MB is larger than the 512\.0 MB memory cap; raise "flowlens\.sqlite\.memoryCapMB"/);
  });

  it('directory symlink loops under .autodev/ (self, parent, mutual): load terminates and every run is read once', async () => {
    const { root, autodev } = workspace();
    cleanup.push(root);
    const runs = path.join(autodev, 'runs');
    fs.mkdirSync(path.join(runs, 'r-1'), { recursive: true });
    fs.writeFileSync(path.join(runs, 'r-1', 'trace.jsonl'), v1('r-1', 'session_start') + v1('r-1', 'session_end', { status: 'ok' }));
    fs.symlinkSync(autodev, path.join(autodev, 'self'));
    fs.symlinkSync(root, path.join(runs, 'up'));
    fs.symlinkSync('.', path.join(runs, 'r-1', 'dot'));
    fs.mkdirSync(path.join(autodev, 'a'));
    fs.mkdirSync(path.join(autodev, 'b'));
    fs.symlinkSync(path.join(autodev, 'b'), path.join(autodev, 'a', 'to-b'));
    fs.symlinkSync(path.join(autodev, 'a'), path.join(autodev, 'b', 'to-a'));
    const ws = new TraceWorkspace(root, { final: true, now: () => NOW });
    const t = startClock();
    await ws.load();
    noHang(t, 'symlink loops', 5000);
    assert.deepEqual(
      ws.runs().map((r) => r.id),
      ['r-1'],
    );
    assert.equal(ws.runs()[0].events.length, 2, 'read once, not once per path');
    assert.deepEqual(
      ws.sources().map((s) => path.relative(root, s.file)),
      ['.autodev/runs/r-1/trace.jsonl'],
    );
  });

  it(`${RUN_FOLDERS} run folders: bounded time and memory, a clear message, the latest run still shown`, async () => {
    const { root, autodev } = workspace();
    cleanup.push(root);
    const runs = path.join(autodev, 'runs');
    fs.mkdirSync(runs);
    const id = (i: number): string => `20261122T${String(i).padStart(6, '0')}Z-run`;
    const line = (i: number): string => v1(id(i), 'session_start', { timestamp: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString() }) + v1(id(i), 'session_end', { status: 'ok', timestamp: new Date(Date.UTC(2026, 10, 1) + i * 1000 + 500).toISOString() });
    for (let i = 0; i < RUN_FOLDERS; i++) {
      const d = path.join(runs, id(i));
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'trace.jsonl'), line(i));
    }
    const last = id(RUN_FOLDERS - 1);
    // As flowscribe writes it: the rolling file holds the latest run too, and `latest` names it.
    fs.writeFileSync(path.join(autodev, 'trace.jsonl'), line(RUN_FOLDERS - 1));
    fs.symlinkSync(path.join('runs', last), path.join(autodev, 'latest'));

    const ws = new TraceWorkspace(root, { final: true, now: () => NOW });
    const t = startClock();
    const { growthMB } = await rssGrowthMB(() => ws.load());
    noHang(t, `${RUN_FOLDERS} run folders`, 60_000, 600_000);
    assert.ok(growthMB < 512, `RSS grew ${growthMB.toFixed(0)} MB`);
    const problems = ws.problems();
    const kept = Math.min(RUN_FOLDERS, DEFAULT_MAX_RUN_FOLDERS);
    assert.ok(
      ws.runs().length === RUN_FOLDERS ||
        problems.some((p) => p.startsWith(runs) && p.includes(`${RUN_FOLDERS} run folders; reading the newest ${kept} by name, ${RUN_FOLDERS - kept} older not read`)),
      `either every run is read or the cut is reported, naming the folder and the counts: ${problems.join(' | ')}`,
    );
    assert.equal(ws.runs().length, kept, 'the newest run folders are read (the latest one is also in the rolling file)');
    assert.equal(ws.latestRun()?.id, last, 'the run `latest` names is shown');
    console.log(`      ${RUN_FOLDERS} folders: ${ws.runs().length} runs shown, ${ws.sources().length} sources; problems: ${problems.join(' | ').slice(0, 200)}`);

    // Without the rolling file, the run folders are all there is (was: the entry bound was hit
    // while listing `.autodev/runs/` itself and no folder run was shown at all).
    fs.rmSync(path.join(autodev, 'trace.jsonl'));
    const ws2 = new TraceWorkspace(root, { final: true, now: () => NOW });
    await ws2.load();
    assert.equal(ws2.runs().length, kept, `the newest ${kept} of ${RUN_FOLDERS} run folders are read`);
    assert.equal(ws2.latestRun()?.id, last, 'the newest run folder (named by latest) is read');
    assert.ok(ws2.runs().some((r) => r.id === id(RUN_FOLDERS - kept)) && !ws2.runs().some((r) => r.id === id(RUN_FOLDERS - kept - 1)), 'newest by name');
  });

  it('a `latest` link (symlink or text) pointing outside the workspace is reported and not followed', async () => {
    const { root, autodev } = workspace();
    const outside = tmpDir('flowlens-rel-outside-');
    cleanup.push(root, outside);
    fs.mkdirSync(path.join(outside, 'runs', 'evil'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'runs', 'evil', 'trace.jsonl'), v1('evil', 'session_start'));
    fs.mkdirSync(path.join(autodev, 'runs', 'good'), { recursive: true });
    fs.writeFileSync(path.join(autodev, 'runs', 'good', 'trace.jsonl'), v1('good', 'session_start') + v1('good', 'session_end', { status: 'ok' }));
    const latest = path.join(autodev, 'latest');
    for (const make of [
      () => fs.symlinkSync(path.join(outside, 'runs', 'evil'), latest),
      () => fs.symlinkSync(path.relative(autodev, path.join(outside, 'runs', 'evil')), latest),
      () => fs.writeFileSync(latest, path.relative(autodev, path.join(outside, 'runs', 'evil'))),
      () => fs.writeFileSync(latest, '../../../../../../etc'),
    ]) {
      fs.rmSync(latest, { force: true });
      make();
      const ws = new TraceWorkspace(root, { final: true, now: () => NOW });
      await ws.load();
      assert.equal(ws.latestRunId, undefined);
      assert.deepEqual(
        ws.runs().map((r) => r.id),
        ['good'],
        'nothing is read from outside',
      );
      assert.equal(ws.latestRun()?.id, 'good', 'falls back to the newest run');
      assert.ok(
        ws.problems().some((p) => p.includes(latest) && /points outside the workspace/.test(p)),
        ws.problems().join(' | '),
      );
    }
  });
});
