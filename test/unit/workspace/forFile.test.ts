/**
 * TraceWorkspace.forFile: one file read through the workspace's own pipeline gives the runs it
 * gives when its folder is read — same ids, dialects, flow names, verdicts — and a large file goes
 * through the cold index.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Run } from '../../../src/core/model/types';
import { TraceWorkspace } from '../../../src/core/read/workspace';

const DEMO = path.resolve('test/fixtures/demo-app');
const LATER = Date.UTC(2030, 0, 1);
const B7D2 = '20261119T140000Z-b7d2';

function facts(r: Run | undefined): unknown {
  assert.ok(r);
  const flows = [...r.flows.values()].map((f) => [f.id, f.name, f.verdict, f.durationMs]);
  return { id: r.id, dialect: r.dialect, status: r.status, events: r.events.length, app: r.app, flows };
}

describe('TraceWorkspace.forFile', function () {
  this.timeout(20000);
  let folder: TraceWorkspace;
  before(async () => {
    folder = new TraceWorkspace(DEMO, { now: () => LATER, final: true });
    await folder.load();
  });

  it('a 0.1 run file gets the id it gets from its folder (runs/<id> beside the v1 run folder <id>), with flow names', async () => {
    const file = path.join(DEMO, 'runs', B7D2, 'trace.jsonl');
    const one = TraceWorkspace.forFile(file, { now: () => LATER, final: true });
    await one.load();
    assert.equal(one.root, DEMO, 'the root is the workspace the file belongs to');
    assert.deepEqual(one.runs().map((r) => r.id), [`runs/${B7D2}`]);
    assert.deepEqual(facts(one.getRun(`runs/${B7D2}`)), facts(folder.getRun(`runs/${B7D2}`)));
    assert.ok([...(one.getRun(`runs/${B7D2}`)?.flows.values() ?? [])].every((f) => f.name !== undefined && !/^f-/.test(f.name)));
    assert.deepEqual(one.sources().map((s) => [path.relative(DEMO, s.file), s.kind]), [
      [`runs/${B7D2}/summary.md`, 'summary-md'],
      [`runs/${B7D2}/trace.jsonl`, 'trace-run'],
    ]);
    assert.ok(one.catalog, 'the workspace catalog applies');
  });

  it('a v1 run folder file and the rolling file give the folder-read runs', async () => {
    const own = TraceWorkspace.forFile(path.join(DEMO, '.autodev', 'runs', B7D2, 'trace.jsonl'), { now: () => LATER, final: true });
    await own.load();
    assert.deepEqual(own.runs().map((r) => r.id), [B7D2]);
    assert.deepEqual(facts(own.getRun(B7D2)), facts(folder.getRun(B7D2)));
    const rolling = TraceWorkspace.forFile(path.join(DEMO, '.autodev', 'trace.jsonl'), { now: () => LATER, final: true });
    await rolling.load();
    // Only this file is read, so no run is skipped as a copy of its folder.
    assert.equal(rolling.runs().length, 6);
    for (const r of rolling.runs()) assert.deepEqual((facts(r) as { flows: unknown }).flows, (facts(folder.getRun(r.id)) as { flows: unknown }).flows, r.id);
  });

  it('a file outside any layout is read as generic JSONL with its dialect detected per line; a big one through the cold index', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-onefile-'));
    try {
      const file = path.join(dir, 'copy.jsonl');
      fs.copyFileSync(path.join(DEMO, '.autodev', 'runs', B7D2, 'trace.jsonl'), file);
      let indexed = 0;
      const one = TraceWorkspace.forFile(file, { now: () => LATER, final: true, index: { minBytes: 0, workers: 0, onProgress: () => indexed++ } });
      await one.load();
      assert.equal(one.root, dir);
      assert.deepEqual(one.sources().map((s) => [s.kind, s.dialect]), [['jsonl', 'flowscribe-v1']]);
      assert.ok(indexed > 0, 'read by the cold index');
      assert.deepEqual((facts(one.getRun(B7D2)) as { flows: unknown }).flows, (facts(folder.getRun(B7D2)) as { flows: unknown }).flows);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
