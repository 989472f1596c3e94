import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discover, readLatest } from '../../src/core/read/discover';

const DEMO = path.resolve('test/fixtures/demo-app');
const STORES = path.resolve('test/fixtures/stores');
const RUN_IDS = [
  '20261118T140000Z-a1c3',
  '20261119T140000Z-b7d2',
  '20261119T190000Z-c4e8',
  '20261120T140000Z-d9f1',
  '20261121T140000Z-e2a6',
  '20261122T140000Z-f5b0',
];

function rel(root: string, sources: { file: string; kind: string; runHint?: string; producer?: string }[]): string[] {
  return sources.map(
    (s) => `${s.kind} ${path.relative(root, s.file).split(path.sep).join('/')}${s.runHint ? ` #${s.runHint}` : ''}${s.producer ? ` @${s.producer}` : ''}`,
  );
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-discover-'));
}

function touch(file: string, text = '{}\n'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe('discover', () => {
  it('finds every source in test/fixtures/demo-app, and latest from the text file', () => {
    const d = discover(DEMO);
    const expected = [
      ...RUN_IDS.map((id) => `trace-run .autodev/runs/${id}/trace.jsonl #${id}`),
      'trace-rolling .autodev/trace.jsonl',
      // runs/<id>/ (flowscribe 0.1): e2a6 crashed, so it has no summary.md.
      ...RUN_IDS.flatMap((id) => [
        ...(id.endsWith('e2a6') ? [] : [`summary-md runs/${id}/summary.md #${id}`]),
        `trace-db runs/${id}/trace.db #${id}`,
        `trace-run runs/${id}/trace.jsonl #${id}`,
      ]),
    ];
    assert.deepEqual(rel(DEMO, d.sources), expected);
    assert.equal(d.latestRunId, '20261122T140000Z-f5b0'); // .autodev/latest holds "runs/20261122T140000Z-f5b0"
    assert.deepEqual(d.problems, []);
  });

  it('finds the queues, the esper telemetry folder and the SQLite stores in test/fixtures/stores', () => {
    const d = discover(STORES);
    assert.deepEqual(rel(STORES, d.sources), [
      'queue .assay/telemetry_queue.jsonl @assay',
      'queue .grain/telemetry_queue.jsonl @grain',
      'sqlite brainstem.sqlite3',
      'sqlite pulse.db',
      'sqlite sovereignty_metrics.db',
      'esper telemetry_2026-11-20_080000/events.jsonl #telemetry_2026-11-20_080000',
    ]);
    assert.equal(d.latestRunId, undefined);
  });

  it('reads latest as a symlink, as a bare id, and reports one pointing outside', () => {
    const root = tmpdir();
    try {
      fs.mkdirSync(path.join(root, '.autodev', 'runs', 'r-1'), { recursive: true });
      const latest = path.join(root, '.autodev', 'latest');
      fs.symlinkSync(path.join('runs', 'r-1'), latest);
      assert.equal(discover(root).latestRunId, 'r-1');

      fs.unlinkSync(latest);
      fs.writeFileSync(latest, 'r-2\n');
      assert.equal(readLatest(root), 'r-2');

      fs.unlinkSync(latest);
      fs.symlinkSync('/etc', latest);
      const d = discover(root);
      assert.equal(d.latestRunId, undefined);
      assert.deepEqual(d.problems, [`${latest}: points outside the workspace (/etc); not followed`]);

      fs.unlinkSync(latest);
      fs.writeFileSync(latest, '../../elsewhere/runs/x');
      const problems: string[] = [];
      assert.equal(readLatest(root, problems), undefined);
      assert.deepEqual(problems, [`${latest}: points outside the workspace (../../elsewhere/runs/x); not followed`]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('skips dependency folders, survives symlink loops, bounds depth, and matches extra globs', () => {
    const root = tmpdir();
    try {
      touch(path.join(root, 'node_modules', 'x', 'runs', 'r', 'trace.jsonl'));
      touch(path.join(root, '.venv', 'runs', 'r', 'trace.jsonl'));
      touch(path.join(root, 'app', 'runs', '20260101_120000', 'trace.jsonl'));
      touch(path.join(root, 'a', 'b', 'c', 'runs', 'deep', 'trace.jsonl')); // run folder at depth 5
      touch(path.join(root, 'logs', 'svc', 'out.jsonl'));
      touch(path.join(root, 'logs', 'notes.txt'));
      fs.symlinkSync(root, path.join(root, 'app', 'loop'));
      fs.symlinkSync(path.join(root, 'app'), path.join(root, 'again'));
      const d = discover(root, { extraGlobs: ['logs/**/*.jsonl'] });
      assert.deepEqual(rel(root, d.sources), [
        'trace-run app/runs/20260101_120000/trace.jsonl #20260101_120000',
        'jsonl logs/svc/out.jsonl',
      ]);
      assert.deepEqual(d.problems, []);

      assert.deepEqual(rel(root, discover(root, { maxDepth: 5 }).sources), [
        'trace-run a/b/c/runs/deep/trace.jsonl #deep',
        'trace-run app/runs/20260101_120000/trace.jsonl #20260101_120000',
      ]);

      const capped = discover(root, { maxEntries: 3 });
      assert.deepEqual(capped.problems, [`${root}: discovery stopped after 3 entries; some sources may be missing`]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads the standard locations whatever the entry budget: rolling file, trace.db, latest, newest run folders first', () => {
    const root = tmpdir();
    try {
      for (let i = 0; i < 30; i++) touch(path.join(root, 'aaa-noise', `f${String(i).padStart(2, '0')}.txt`));
      const runs = path.join(root, '.autodev', 'runs');
      const ids = Array.from({ length: 12 }, (_, i) => `20261122T${String(i).padStart(2, '0')}0000Z-r`);
      for (const id of ids) {
        touch(path.join(runs, id, 'trace.jsonl'));
        touch(path.join(runs, id, 'summary.md'), '# s\n');
      }
      touch(path.join(root, '.autodev', 'trace.jsonl'));
      touch(path.join(root, '.autodev', 'trace.db'), '');
      fs.writeFileSync(path.join(root, '.autodev', 'latest'), `runs/${ids[1]}`); // an old run
      const d = discover(root, { maxEntries: 5, maxRunFolders: 3 });
      assert.equal(d.latestRunId, ids[1]);
      assert.deepEqual(rel(root, d.sources), [
        ...[ids[1], ids[9], ids[10], ids[11]].flatMap((id) => [`summary-md .autodev/runs/${id}/summary.md #${id}`, `trace-run .autodev/runs/${id}/trace.jsonl #${id}`]),
        'trace-db .autodev/trace.db',
        'trace-rolling .autodev/trace.jsonl',
      ]);
      assert.deepEqual(d.problems, [
        `${runs}: 12 run folders; reading the newest 3 by name and the one .autodev/latest names, 8 older not read (run folder limit 3; raise flowlens.maxRunFolders)`,
        `${root}: discovery stopped after 5 entries; some sources may be missing`,
      ]);

      // Within the limit: every run folder, no message; each source once.
      const all = discover(root);
      assert.equal(all.sources.filter((s) => s.kind === 'trace-run').length, 12);
      assert.deepEqual(all.problems, []);
      assert.equal(new Set(all.sources.map((s) => s.file)).size, all.sources.length);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads 0.1 runs/ folders newest first within the run folder limit left by .autodev/runs/', () => {
    const root = tmpdir();
    try {
      touch(path.join(root, '.autodev', 'runs', 'r-1', 'trace.jsonl'));
      touch(path.join(root, '.autodev', 'runs', 'r-2', 'trace.jsonl'));
      for (const ts of ['20260101_120000', '20260102_120000', '20260103_120000']) touch(path.join(root, 'app', 'runs', ts, 'trace.jsonl'));
      const d = discover(root, { maxRunFolders: 3 });
      assert.deepEqual(rel(root, d.sources), [
        'trace-run .autodev/runs/r-1/trace.jsonl #r-1',
        'trace-run .autodev/runs/r-2/trace.jsonl #r-2',
        'trace-run app/runs/20260103_120000/trace.jsonl #20260103_120000',
      ]);
      assert.deepEqual(d.problems, [`${path.join(root, 'app', 'runs')}: 3 run folders; reading the newest 1 by name, 2 older not read (run folder limit 3; raise flowlens.maxRunFolders)`]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('reports a missing workspace folder instead of throwing', () => {
    const d = discover('/nonexistent/flowlens-ws');
    assert.deepEqual(d.sources, []);
    assert.equal(d.problems.length, 1);
  });
});
