// [attacker3] round 3: seeded hostile traces (many flows per run so the flow-id table grows while
// flows are added; verdict sequences; class aliases; children before parents; interleaved runs;
// session ends; an append read on a warm reopen) — the CLI's column path (makeFlows false), the
// cache written from the columns and its warm reopen must equal a plain read.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { workspaceDigest } from '../../support/plainModel';
import { prng } from '../reliability/helpers';
import { forEachFlow } from '../../../src/core/model/flowFacts';
import { facts, openFile, tmpdir } from './round3Support';

/** Runs whose flows forEachFlow walks through a cursor over the columns (nothing made yet). */
function inColumns(ws: TraceWorkspace): number {
  let n = 0;
  for (const run of ws.runs()) {
    let cursor = false;
    forEachFlow(run, (f) => {
      cursor = typeof f.keep === 'function';
      return true;
    });
    if (cursor) n++;
  }
  return n;
}

const COLD = { minBytes: 0, workers: 0, makeFlows: false } as const;
const WASM = path.resolve('dist/scanner.wasm');

function hostile(seed: number, n: number, friendly = false): string[] {
  const r = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const runs = ['r1', 'r2', 'r3'];
  const L: string[] = runs.map((id) => JSON.stringify({ v: 1, event_type: 'session_start', run_id: id, timestamp: '2026-11-20T10:00:00Z' }));
  const nFlows = 1500;
  const ts = (): unknown =>
    pick<unknown>([`2026-11-20T10:${String(Math.floor(r() * 60)).padStart(2, '0')}:00Z`, '2026-11-20T10:05:00Z', undefined, 'garbage', 1e16, 1795168800000 + Math.floor(r() * 1000)]);
  const classKey = (): Record<string, unknown> =>
    pick<Record<string, unknown>>([
      { failure_class: pick(['A', 'B', 'Ü', '']) }, { class: 'C' }, { error_class: 'D' }, {}, { failure_class: 7 },
      { failure_class: 'E', class: 'F' }, { failure_class: null },
    ]);
  // friendly: a parent only on a flow's first event and only one seen before in its run (the
  // columns stay the run's flows: no pending child, no late parent), and no session end.
  const seen = new Map<string, string[]>(runs.map((id) => [id, []]));
  const known = new Set<string>();
  for (let i = 0; i < n; i++) {
    const run = pick(runs);
    const f = Math.floor(r() * nFlows);
    // Ids crafted to be near one another (prefix/suffix variations of the same text).
    const fid = pick([`f${f}`, `f${f}`, `f${f}`, `${f}f`, String(f)]);
    const base: Record<string, unknown> = { v: 1, run_id: run, flow_id: fid };
    const t = ts();
    if (t !== undefined) base.timestamp = t;
    if (r() < 0.7) base.flow = `op${f % 7}`;
    const x = r();
    if (friendly && x >= 0.9 && x < 0.93) continue;
    // A session end or a broken line makes no flow.
    const makes = !(x >= 0.9 && x < 0.96);
    const isFirst = makes && !known.has(`${run}\u0000${fid}`);
    const before = seen.get(run) as string[];
    if (isFirst) {
      known.add(`${run}\u0000${fid}`);
      before.push(fid);
    }
    if (x < 0.3) {
      const parent = friendly ? (isFirst && before.length > 1 && r() < 0.5 ? { parent_flow_id: before[Math.floor(r() * (before.length - 1))] } : {}) : r() < 0.3 ? { parent_flow_id: `f${Math.floor(r() * nFlows)}` } : {};
      L.push(JSON.stringify({ ...base, event_type: 'flow_start', ...parent, ...(r() < 0.3 ? { correlation: { k: f % 3, [`q${f % 2}`]: 'v' } } : {}) }));
    } else if (x < 0.5) L.push(JSON.stringify({ ...base, event_type: 'checkpoint', step: 's', ...(r() < 0.2 ? { duration_ms: Math.floor(r() * 100) } : {}) }));
    else if (x < 0.65) L.push(JSON.stringify({ ...base, event_type: 'success', ...(r() < 0.5 ? { duration_ms: Math.floor(r() * 100) } : {}) }));
    else if (x < 0.8) L.push(JSON.stringify({ ...base, event_type: 'failure', reason: 'why', ...classKey() }));
    else if (x < 0.9) L.push(JSON.stringify({ ...base, event_type: 'exception', ...classKey(), ...(r() < 0.5 ? { exception: { type: 'T', message: 'm' } } : {}) }));
    else if (x < 0.93) L.push(JSON.stringify({ ...base, event_type: 'session_end', status: pick(['ok', 'failed']) }));
    else if (x < 0.96) L.push('{"v":1,"broken":');
    else L.push(JSON.stringify({ ...base, event_type: 'failure', flow_name: 'aliased', ...classKey() }));
  }
  return L;
}

async function check(lines: string[], label: string, columns = 0): Promise<void> {
  const root = tmpdir('t');
  const file = path.join(root, 'trace.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const plain = await openFile(file, false);
  const want = facts(plain.ws);
  const wantModel = workspaceDigest(plain.ws);
  const cache = tmpdir('c');
  const cold = await openFile(file, COLD, cache);
  assert.ok(inColumns(cold.ws) >= columns, `${label}: runs walked in columns ${inColumns(cold.ws)} < ${columns}`);
  assert.deepEqual(facts(cold.ws), want, `${label}: cold columns vs plain`);
  const warm = await openFile(file, COLD, cache);
  assert.ok(warm.notes.some((n) => n.includes(': restored ')), `${label}: restored: ${warm.notes.join('; ')}`);
  assert.deepEqual(facts(warm.ws), want, `${label}: warm vs plain`);
  assert.deepEqual(workspaceDigest(warm.ws), wantModel, `${label}: warm model vs plain`);
  assert.deepEqual(workspaceDigest(cold.ws), wantModel, `${label}: cold model vs plain`);
}

describe('[attacker3] round 3: seeded hostile traces, columns vs plain vs warm', () => {
  for (const scanner of ['js', 'wasm'] as const) {
    it(`seeded traces (${scanner} scanner)`, async function () {
      if (scanner === 'wasm') assert.ok(fs.existsSync(WASM), `${WASM} missing: run npm run build first`);
      const was = process.env.FLOWLENS_INDEX_SCANNER;
      process.env.FLOWLENS_INDEX_SCANNER = scanner === 'js' ? 'js' : WASM;
      try {
        for (const seed of [1, 2, 3]) await check(hostile(seed, 6000), `seed ${seed}`);
        for (const seed of [11, 12]) await check(hostile(seed, 9000, true), `friendly seed ${seed}`, 3);
      } finally {
        if (was === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
        else process.env.FLOWLENS_INDEX_SCANNER = was;
      }
    });
  }

  it('a warm reopen that reads an appended tail (new verdicts on restored flows) equals a plain read of the whole file', async () => {
    for (const seed of [4, 5]) {
      const all = hostile(seed, 6000);
      const head = all.slice(0, 4000);
      const root = tmpdir('a');
      const file = path.join(root, 'trace.jsonl');
      fs.writeFileSync(file, head.join('\n') + '\n');
      const cache = tmpdir('c');
      await openFile(file, COLD, cache);
      fs.appendFileSync(file, all.slice(4000).join('\n') + '\n');
      const warm = await openFile(file, COLD, cache);
      const plain = await openFile(file, false);
      assert.deepEqual(facts(warm.ws), facts(plain.ws), `seed ${seed}: appended, warm vs plain (${warm.notes.join('; ')})`);
      assert.deepEqual(workspaceDigest(warm.ws), workspaceDigest(plain.ws), `seed ${seed}: appended model`);
    }
  });
});
