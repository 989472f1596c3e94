/** Live refresh by file: the plan for a watcher's events (src/core/read/workspace/refreshPlan.ts). */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planRefresh, TraceWorkspace, type FileChange } from '../../../src/core/read/workspace';

const ROOT = path.resolve('/ws');
const at = (rel: string): string => path.join(ROOT, rel);
const KNOWN: Record<string, string> = {
  [at('.autodev/trace.jsonl')]: 'trace-rolling',
  [at('.autodev/runs/r1/trace.jsonl')]: 'trace-run',
  [at('runs/r2/trace.jsonl')]: 'trace-run',
  [at('runs/r2/summary.md')]: 'summary-md',
  [at('data/pulse.db')]: 'sqlite',
};
const known = (f: string): string | undefined => KNOWN[f];
const plan = (...changes: [FileChange['kind'], string][]) => planRefresh(ROOT, changes.map(([kind, rel]) => ({ kind, file: at(rel) })), known);

describe('planRefresh', () => {
  it('a change to known files tails those files only', () => {
    assert.deepEqual(plan(['change', '.autodev/trace.jsonl'], ['change', 'runs/r2/trace.jsonl'], ['change', '.autodev/trace.jsonl']), {
      rediscover: false, catalog: false, read: [at('.autodev/trace.jsonl'), at('runs/r2/trace.jsonl')], summaries: [],
    });
  });
  it('a SQLite -wal / -journal change reads its database; a side file appearing does not rediscover', () => {
    assert.deepEqual(plan(['change', 'data/pulse.db-wal'], ['create', 'data/pulse.db-journal']).read, [at('data/pulse.db')]);
    assert.equal(plan(['create', 'data/pulse.db-wal']).rediscover, false);
  });
  it('ra.yaml / flows.yaml (root or .autodev) reload the catalog only', () => {
    for (const f of ['ra.yaml', 'flows.yaml', '.autodev/ra.yaml', '.autodev/flows.yaml']) {
      for (const kind of ['create', 'change', 'delete'] as const) {
        assert.deepEqual(plan([kind, f]), { rediscover: false, catalog: true, read: [], summaries: [] }, `${kind} ${f}`);
      }
    }
  });
  it('a 0.1 summary.md change re-names that run only', () => {
    assert.deepEqual(plan(['change', 'runs/r2/summary.md']), { rediscover: false, catalog: false, read: [], summaries: [at('runs/r2/summary.md')] });
  });
  it('structural paths rediscover: a new run folder or file, a deleted source, .autodev/latest', () => {
    assert.equal(plan(['create', 'runs/r3']).rediscover, true);
    assert.equal(plan(['create', 'runs/r3/trace.jsonl']).rediscover, true);
    assert.equal(plan(['create', 'runs/r2/summary.md'], ['change', 'runs/r2/trace.jsonl']).rediscover, false, 'a known summary.md re-created');
    assert.equal(plan(['create', 'runs/r4/summary.md']).rediscover, true);
    assert.equal(plan(['delete', 'runs/r2/trace.jsonl']).rediscover, true);
    assert.equal(plan(['delete', 'runs/r2']).rediscover, true);
    assert.equal(plan(['change', '.autodev/latest']).rediscover, true);
    assert.equal(plan(['create', '.autodev/latest']).rediscover, true);
  });
  it('a create of a known source (replaced in place) tails it; a change to a file that is no source does nothing', () => {
    assert.deepEqual(plan(['create', '.autodev/trace.jsonl']).read, [at('.autodev/trace.jsonl')]);
    assert.deepEqual(plan(['change', 'logs/app.jsonl'], ['change', 'runs']), { rediscover: false, catalog: false, read: [], summaries: [] });
  });
  it('no events: nothing to read (a tick only settles statuses)', () => {
    assert.deepEqual(plan(), { rediscover: false, catalog: false, read: [], summaries: [] });
  });
});

describe('TraceWorkspace.refresh({changed})', function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-plan-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const line = (run: string, type: string, flow?: string): string =>
    `${JSON.stringify({ ts: '2026-12-01T10:00:00Z', run_id: run, type, ...(flow ? { flow, flow_id: `${flow}-1` } : {}) })}\n`;

  it('tails a known file without walking the folder; a new file waits for its create event', async () => {
    const a = path.join(dir, '.autodev', 'runs', 'a', 'trace.jsonl');
    fs.mkdirSync(path.dirname(a), { recursive: true });
    fs.writeFileSync(a, line('a', 'session_start'));
    const ws = new TraceWorkspace(dir, { now: () => Date.UTC(2030, 0, 1) });
    await ws.load();
    fs.appendFileSync(a, line('a', 'flow_start', 'f'));
    const b = path.join(dir, '.autodev', 'runs', 'b', 'trace.jsonl');
    fs.mkdirSync(path.dirname(b), { recursive: true });
    fs.writeFileSync(b, line('b', 'session_start'));
    let c = await ws.refresh({ changed: [{ kind: 'change', file: a }] });
    assert.deepEqual([...c.runs], ['a']);
    assert.equal(c.sources, false);
    assert.equal(ws.getRun('a')?.events.length, 2);
    assert.equal(ws.getRun('b'), undefined, 'no walk for a change to a known file');
    c = await ws.refresh({ changed: [{ kind: 'create', file: path.dirname(b) }] });
    assert.deepEqual(c.added, ['b']);
    assert.equal(c.sources, true);
  });

  it('a moved .autodev/latest makes the run it named and the one it names now count as changed', async () => {
    for (const id of ['a', 'b']) {
      const f = path.join(dir, '.autodev', 'runs', id, 'trace.jsonl');
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, line(id, 'session_start'));
    }
    const latest = path.join(dir, '.autodev', 'latest');
    fs.writeFileSync(latest, 'runs/a');
    const ws = new TraceWorkspace(dir, { now: () => Date.UTC(2030, 0, 1) });
    await ws.load();
    assert.equal(ws.latestRun()?.id, 'a');
    fs.writeFileSync(latest, 'runs/b');
    const c = await ws.refresh({ changed: [{ kind: 'change', file: latest }] });
    assert.equal(ws.latestRun()?.id, 'b');
    assert.deepEqual([...c.runs].sort(), ['a', 'b']);
    assert.deepEqual([...(await ws.refresh({ changed: [{ kind: 'change', file: latest }] })).runs], [], 'unchanged pointer: nothing');
  });

  it('a catalog change reloads the catalog and reads no source', async () => {
    const a = path.join(dir, '.autodev', 'trace.jsonl');
    fs.mkdirSync(path.dirname(a), { recursive: true });
    fs.writeFileSync(a, line('a', 'session_start'));
    const ws = new TraceWorkspace(dir, { now: () => Date.UTC(2030, 0, 1) });
    await ws.load();
    fs.appendFileSync(a, line('a', 'flow_start', 'f'));
    fs.writeFileSync(path.join(dir, 'flows.yaml'), 'flows:\n  - id: f\n');
    const c = await ws.refresh({ changed: [{ kind: 'create', file: path.join(dir, 'flows.yaml') }] });
    assert.equal(c.catalog, true);
    assert.deepEqual([...c.runs], []);
    assert.equal(ws.getRun('a')?.events.length, 1, 'the appended line waits for its own change event');
  });
});
