// [attacker4] issue 15 round 4: runs the cold index keeps in columns answer failures, verdict
// counts, status, rollups and the catalog's flow names through model/flowFacts.ts forEachFlow
// (build.ts ColdCursor; Failure.flow is a FailingFlow copy for such runs). Hostile traces —
// several interleaved runs across the 4096-entry Chunked boundaries, ids that look like numbers or
// Object.prototype keys, duplicate ids across runs, unnamed and late-named flows, retried
// verdicts, flowless failures — must read the same as a plain read: with the flows in columns,
// after `run.flows` made them, with the real index worker, and after a refresh appended lines
// that change verdicts, names and times of flows whose failures were listed before.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { failures } from '../../../src/core/analyze/queries';
import { failuresText } from '../../../src/core/render/askArtifacts';
import { facts, LATER, tmpdir } from './round3Support';
import { failureFacts, flowId, hostile } from './round4Support';

const WORKER = path.resolve('dist/indexWorker.js');
const COLD0 = { minBytes: 0, workers: 0 } as const;
const COLD1 = { minBytes: 0, workers: 1, workerScript: WORKER, batchRecords: 700 } as const;

import { J, T } from './round4Support';

/** More lines for flows already listed: verdicts change, names arrive, new flows of all runs. */
function appended(n: number): string[] {
  const L: string[] = [];
  for (let i = 0; i < n; i += 3) {
    const run = i % 7 === 0 ? 'r2' : i % 13 === 0 ? 'r3' : 'r1';
    const base = { v: 1, run_id: run, flow_id: flowId(i) };
    // A failed flow succeeds; a succeeded one fails; an open one ends; an unnamed one gets a name.
    if (i % 8 === 0 || i % 8 === 1) L.push(J({ ...base, event_type: 'success', timestamp: T(900000 + i) }));
    else if (i % 8 === 6 || i % 8 === 2) L.push(J({ ...base, event_type: 'exception', flow: 'named/late', timestamp: T(900000 + i), failure_class: 'After' }));
    else if (i % 8 === 5) L.push(J({ ...base, event_type: 'failure', flow: 'named/late', timestamp: T(900000 + i), failure_class: 'Closed' }));
    else L.push(J({ ...base, event_type: 'checkpoint', flow: 'named/late', timestamp: T(900000 + i) }));
  }
  return [...L, ...hostile(300, n + 1, false)];
}

async function open(file: string, index: WorkspaceOptions['index']): Promise<TraceWorkspace> {
  const ws = TraceWorkspace.forFile(file, { now: () => LATER, index });
  await ws.load();
  return ws;
}

function write(lines: string[]): string {
  const file = path.join(tmpdir('r4f'), 'trace.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Compare plain vs each cold read, columns then objects; returns the cold workspaces (still in columns before the call). */
async function compareAll(file: string, label: string, indexes: readonly WorkspaceOptions['index'][], columns?: string[]): Promise<void> {
  const plain = await open(file, false);
  const want = failureFacts(plain);
  const wantFacts = facts(plain);
  const text = (w: TraceWorkspace): string => failuresText(w.runs(), {}, { limit: 1e6, capBytes: 1e9 });
  const wantText = text(plain);
  for (const index of indexes) {
    const tag = `${label} workers=${(index as { workers: number }).workers}`;
    const cold = await open(file, index);
    const inColumns = cold.runs().filter((r) => !cold.flowsMade(r.id)).map((r) => r.id).sort();
    if (columns) assert.deepEqual(inColumns, columns, `${tag}: runs in columns after load`);
    assert.deepEqual(failureFacts(cold), want, `${tag}: failures etc. from columns vs plain`);
    assert.equal(text(cold), wantText, `${tag}: failuresText (chat/MCP) from columns vs plain`);
    assert.deepEqual(cold.runs().filter((r) => !cold.flowsMade(r.id)).map((r) => r.id).sort(), inColumns, `${tag}: still in columns after the failures were read`);
    assert.deepEqual(facts(cold), wantFacts, `${tag}: rollups from columns vs plain`);
    // Now the flows are objects (facts() read run.flows.size only; make them for real).
    for (const r of cold.runs()) void r.roots;
    for (const r of cold.runs()) assert.equal(cold.flowsMade(r.id), true, `${tag}: ${r.id} made`);
    assert.deepEqual(failureFacts(cold), want, `${tag}: failures etc. from objects vs plain`);
  }
}

describe('[attacker4] round 4: failures, counts and status from columns vs a plain read', function () {
  this.timeout(120000);
  // The same-thread index reads with the WASM scanner too (as the extension does).
  const was = process.env.FLOWLENS_INDEX_SCANNER;
  before(() => {
    assert.ok(fs.existsSync(path.resolve('dist/scanner.wasm')), 'dist/scanner.wasm missing: npm run build');
    assert.ok(fs.existsSync(WORKER), `${WORKER} missing: npm run build`);
    process.env.FLOWLENS_INDEX_SCANNER = path.resolve('dist/scanner.wasm');
  });
  after(() => {
    if (was === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
    else process.env.FLOWLENS_INDEX_SCANNER = was;
  });

  it('small hostile trace (Object.prototype ids and names, numeric ids, late names, retried verdicts)', async () => {
    await compareAll(write(hostile(400)), 'small', [COLD0, COLD1], ['r1', 'r2', 'r3']);
  });

  it('across the 4096/8192 chunk boundaries: r1 holds most flows, r2/r3 less than half (interleaved)', async () => {
    await compareAll(write(hostile(9500)), 'chunks', [COLD0, COLD1], ['r1', 'r2', 'r3']);
  });

  it('and with children of another run\'s flow (those runs are made: the columns do not keep them)', async () => {
    await compareAll(write(hostile(4500, 0, true, true)), 'mixed', [COLD0, COLD1]);
  });

  it('a refresh appending lines after the failures were listed from columns: failures follow the new verdicts', async () => {
    const lines = hostile(5000);
    const file = write(lines);
    const cold = await open(file, COLD0);
    const coldW = await open(file, COLD1);
    const plain = await open(file, false);
    assert.deepEqual(failureFacts(cold), failureFacts(plain), 'before the append');
    assert.deepEqual(cold.runs().filter((r) => !cold.flowsMade(r.id)).map((r) => r.id).sort(), ['r1', 'r2', 'r3'], 'in columns before the append');
    assert.deepEqual(failureFacts(coldW), failureFacts(plain), 'before the append (worker)');
    // Keep the Failure objects listed before: the refreshed list must not be the stale copies.
    const before = failures(cold.runs()).length;
    fs.appendFileSync(file, appended(5000).join('\n') + '\n');
    await cold.refresh();
    await coldW.refresh();
    await plain.refresh();
    const fresh = await open(file, false);
    const want = failureFacts(fresh);
    assert.deepEqual(failureFacts(plain), want, 'plain refreshed vs plain fresh');
    assert.notEqual(failures(cold.runs()).length, before, 'the append changed the failures');
    assert.deepEqual(failureFacts(cold), want, 'cold refreshed (columns) vs plain');
    // (A refresh tracks flows: the first flow event appended to a run in columns makes its flow
    // objects — docs/decisions.md — so from here on the failures come from objects.)
    assert.deepEqual(failureFacts(coldW), want, 'cold refreshed (worker) vs plain');
    assert.deepEqual(facts(cold), facts(fresh), 'rollups after the refresh');
    for (const r of cold.runs()) void r.roots;
    assert.deepEqual(failureFacts(cold), want, 'cold refreshed, then made, vs plain');
  });
});
