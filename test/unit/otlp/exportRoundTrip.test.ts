/**
 * Issue 18 item 4: the round trip holds. A flowscribe run exported to OTLP/JSON (src/core/render/
 * otlp.ts, as `flowlens export --format otlp` writes it) into a workspace file the OTLP reader
 * discovers (`*.otlp.json`, src/core/read/sources/otlp.ts) reads back with the same flows (ids,
 * names, parents), verdicts, durations, failure classes, reasons and locations.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toOtlp } from '../../../src/core/render/otlp';
import { runsRedactor } from '../../../src/core/render/egress/secrets';
import type { FlowNode, Run } from '../../../src/core/model/types';
import { TraceWorkspace } from '../../../src/core/read/workspace';

const repo = path.resolve(__dirname, '../../../..');
const DEMO = path.join(repo, 'test/fixtures/demo-app');
const NOW = () => Date.parse('2030-01-01T00:00:00Z');

/** What must survive the round trip, per flow. */
function shape(f: FlowNode): Record<string, unknown> {
  const v = f.verdictEvent;
  const failing = f.verdict === 'failed' || f.verdict === 'exception';
  return {
    id: f.id,
    name: f.name,
    parent: f.parentId ?? null,
    verdict: f.verdict,
    durationMs: f.durationMs ?? null,
    failureClass: v?.failureClass ?? null,
    reason: failing ? v?.reason ?? null : null,
    file: v?.file ?? null,
    line: v?.line ?? null,
    function: v?.function ?? null,
  };
}

async function load(root: string): Promise<TraceWorkspace> {
  const ws = new TraceWorkspace(root, { now: NOW, final: true });
  await ws.load({ final: true });
  return ws;
}

describe('OTLP round trip: flowscribe → OTLP/JSON → the OTLP reader', function () {
  this.timeout(60_000);
  let tmp: string;
  let demo: TraceWorkspace;
  before(async () => {
    demo = await load(DEMO);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-otlp-rt-'));
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const id of ['20261119T140000Z-b7d2', '20261119T190000Z-c4e8']) {
    it(`${id}: the same flows, verdicts, durations and locations`, async () => {
      const run = demo.getRun(id) as Run;
      assert.ok(run, id);
      const dir = path.join(tmp, id);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, `${id}.otlp.json`), JSON.stringify(toOtlp([run], { redactor: runsRedactor([run]) }), null, 2));
      const back = (await load(dir)).getRun(id) as Run | undefined;
      assert.ok(back, `the reader gives run ${id} back`);
      assert.equal(back.app, run.app);
      const want = [...run.flows.values()].map(shape).sort((a, b) => String(a.id).localeCompare(String(b.id)));
      const got = [...back.flows.values()].map(shape).sort((a, b) => String(a.id).localeCompare(String(b.id)));
      assert.deepEqual(got, want);
      assert.ok(want.some((f) => f.verdict === 'failed' || f.verdict === 'exception'), 'the run has a failing flow to carry');
    });
  }
});
