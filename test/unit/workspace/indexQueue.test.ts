import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceIndexProgress, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { plainEvent, plainRun } from '../../support/plainModel';

const LATER = Date.UTC(2030, 0, 1);
/** Built by `npm run build` (esbuild.mjs). */
const WORKER = path.resolve('dist/indexWorker.js');
const FOLDERS = ['20261120T100000Z-a', '20261120T110000Z-b', '20261120T120000Z-c', '20261120T130000Z-d', '20261120T140000Z-e'];

/**
 * One run folder's trace: flows with verdicts and failures, a malformed line, and (in the later
 * folders) a few events of the first folder's run, so run identity across folders depends on the
 * read order ("also in" notes, the primary source).
 */
function runTrace(k: number, lines: number): string {
  const id = FOLDERS[k];
  const out = [JSON.stringify({ v: 1, event_type: 'session_start', run_id: id, timestamp: '2026-11-20T10:00:00Z', app: 'a' })];
  for (let i = 0; i < lines; i++) {
    const ts = `2026-11-20T1${k}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`;
    const flow_id = `f-${Math.floor(i / 3)}`;
    const run_id = k > 0 && i % 997 === 5 ? FOLDERS[0] : id;
    if (i === 123) out.push('{"v": 1, "broken": ');
    else if (i % 3 === 0) out.push(JSON.stringify({ v: 1, event_type: 'flow_start', run_id, timestamp: ts, flow: `svc/op${i % 7}`, flow_id, tags: ['t', `k${k}`] }));
    else if (i % 3 === 1) out.push(JSON.stringify({ v: 1, event_type: 'checkpoint', run_id, timestamp: ts, flow: `svc/op${(i - 1) % 7}`, flow_id, step: 's', evidence: { i } }));
    else if (i % 31 === 2) out.push(JSON.stringify({ v: 1, event_type: 'failure', run_id, timestamp: ts, flow: `svc/op${(i - 2) % 7}`, flow_id, failure_class: 'DATA.EMPTY', severity: 'error', duration_ms: i % 50 }));
    else out.push(JSON.stringify({ v: 1, event_type: 'success', run_id, timestamp: ts, flow: `svc/op${(i - 2) % 7}`, flow_id, duration_ms: i % 50 }));
  }
  if (k !== 2) out.push(JSON.stringify({ v: 1, event_type: 'session_end', run_id: id, timestamp: '2026-11-20T18:00:00Z', status: 'ok' }));
  return out.join('\n') + '\n';
}

/** A workspace of five run folders (6,000 lines each) and a rolling file with copies of two runs. */
function workspace(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-queue-'));
  const traces = FOLDERS.map((_, k) => runTrace(k, 6000));
  FOLDERS.forEach((id, k) => {
    fs.mkdirSync(path.join(root, '.autodev', 'runs', id), { recursive: true });
    fs.writeFileSync(path.join(root, '.autodev', 'runs', id, 'trace.jsonl'), traces[k]);
  });
  fs.writeFileSync(path.join(root, '.autodev', 'trace.jsonl'), traces[1] + traces[3]);
  return root;
}

function snapshot(ws: TraceWorkspace): unknown {
  return { runs: ws.runs().map(plainRun), malformed: ws.malformed(), problems: ws.problems(), sources: ws.sources(), envelopes: ws.envelopes.map(plainEvent) };
}

const summary = (w: TraceWorkspace): unknown => w.runs().map((r) => ({ id: r.id, flows: r.flows.size, counts: r.counts, status: r.status, sources: r.sources, notes: r.notes }));

describe('workspace: several large sources indexed in parallel (indexQueue)', function () {
  this.timeout(60000);
  let root: string;
  before(() => {
    assert.ok(fs.existsSync(WORKER), 'dist/indexWorker.js: run `npm run build` first');
    root = workspace();
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('gives the same model as reading the sources one after another without the index', async () => {
    const seq = new TraceWorkspace(root, { now: () => LATER, index: false });
    await seq.load();
    assert.equal(seq.runs().length, 5);
    // Small batches: more than the queue holds ahead of the merge, so the scans ahead wait.
    for (const index of [{ minBytes: 0, workers: 0, batchRecords: 500 }, { minBytes: 0, workers: 1, workerScript: WORKER, batchRecords: 500 }, { minBytes: 0, workers: 2, workerScript: WORKER, batchRecords: 700 }]) {
      const par = new TraceWorkspace(root, { now: () => LATER, index });
      await par.load();
      assert.deepEqual(snapshot(par), snapshot(seq), `index ${JSON.stringify(index)}`);
    }
  });

  it('reports progress over all the files of the pass, up to their total', async () => {
    const seen: WorkspaceIndexProgress[] = [];
    const ws = new TraceWorkspace(root, { now: () => LATER, index: { minBytes: 0, workers: 1, workerScript: WORKER, batchRecords: 500, onProgress: (p) => seen.push(p) } });
    await ws.load();
    const files = [...FOLDERS.map((id) => path.join(root, '.autodev', 'runs', id, 'trace.jsonl')), path.join(root, '.autodev', 'trace.jsonl')];
    const total = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    assert.ok(seen.length > files.length * 2, `${seen.length} reports`);
    assert.ok(seen.every((p) => p.files === files.length && p.allBytesTotal === total && p.bytesDone <= p.bytesTotal && p.allBytesDone <= total));
    assert.ok(seen.every((p, i) => i === 0 || (p.allBytesDone >= seen[i - 1].allBytesDone && p.filesDone >= seen[i - 1].filesDone)), 'monotonic');
    const last = seen[seen.length - 1];
    assert.equal(last.allBytesDone, total);
    assert.equal(last.filesDone, files.length);
    // Every file is reported, in read order (run folders first, then the rolling file).
    const order = [...new Set(seen.map((p) => p.file))];
    assert.deepEqual(order, files);
  });

  it('a cancelled load keeps the files merged before Cancel; a refresh reads the rest once', async () => {
    const index: WorkspaceOptions['index'] = { minBytes: 0, workers: 1, workerScript: WORKER, batchRecords: 500 };
    const whole = new TraceWorkspace(root, { now: () => LATER, index });
    await whole.load();
    const ac = new AbortController();
    const ws = new TraceWorkspace(root, { now: () => LATER, index: { ...index, onProgress: (p) => { if (p.filesDone >= 2) ac.abort(); } } });
    await assert.rejects(ws.load({ signal: ac.signal }), (e: Error) => e.name === 'AbortError');
    const read = ws.sources().filter((s) => s.events > 0).length;
    assert.ok(read >= 2 && read < 6, `${read} sources read before Cancel`);
    assert.ok(ws.sources().reduce((n, s) => n + s.events, 0) < whole.sources().reduce((n, s) => n + s.events, 0));
    await ws.refresh();
    assert.deepEqual(ws.sources().map((s) => [s.file, s.events, s.malformed]), whole.sources().map((s) => [s.file, s.events, s.malformed]));
    assert.deepEqual(summary(ws), summary(whole));
  });

  it('stops indexing at the memory bound, keeps what it read, says what it did not read, and reads no further', async () => {
    const whole = new TraceWorkspace(root, { now: () => LATER, index: false });
    await whole.load();
    for (const workers of [0, 1]) {
      // A bound no process stays within: every file stops after its first merged batch.
      const ws = new TraceWorkspace(root, { now: () => LATER, index: { minBytes: 0, workers, workerScript: WORKER, batchRecords: 500, maxMemoryBytes: -(2 ** 53) } });
      await ws.load();
      const srcs = ws.sources();
      assert.equal(srcs.length, 6);
      for (const [k, src] of srcs.entries()) {
        const all = whole.sources()[k];
        assert.equal(src.file, all.file);
        assert.ok(src.events > 0 && src.events < all.events, `${src.file}: ${src.events} of ${all.events}`);
        assert.match(src.error ?? '', /^not read past line \d[\d,]* \(\d+ MB of \d+ MB, \d+%\): indexing stopped when memory grew by .* the last \d+ MB were not read/);
      }
      assert.ok(ws.problems().some((p) => p.startsWith(`${srcs[0].file}: not read past line`)));
      // The runs shown hold the events before the stop.
      assert.ok(ws.runs().length > 0);
      const before = ws.sources().map((x) => x.events);
      await ws.refresh();
      assert.deepEqual(ws.sources().map((x) => x.events), before, 'a stopped source is not read further until the next load');
    }
  });
});

