/**
 * Round 5 attack (issue 15 round 5, d0caa52 + e7ed6c9): the run-scoped redactor of a file indexed
 * with hints (the CLI's mode: the WASM scanner prunes flagged lines by canonical form, in the
 * worker and in this thread; the walk visits each distinct pruned text once, FileEvents.secretWalk)
 * must know exactly the secrets of a plain read — per run and over all runs — on a trace built to
 * stress the canonical forms: more forms than the table holds (so some are pruned by the scan and
 * some by the caller, mid-batch), secrets in forms shared by many lines and per line, top-level
 * dashed keys, `-p` flags, duplicate keys (JSON.parse keeps the last), a `"v": 1` twice, keys in
 * the key table's slots, nested hits, escapes and non-ASCII (handed back by the module). Then lines
 * are appended and the workspace refreshed: the incremental walk (from `walked`) must agree too,
 * and so must a per-record reference walk (the walk as it was before e7ed6c9: each record's hint,
 * every text walked once per record).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventList } from '../../../src/core/model/storage';
import { drainWorkerPool } from '../../../src/core/read/index/workerPool';
import type { Run, TraceEvent } from '../../../src/core/model/types';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { Redactor } from '../../../src/core/render/egress/redact';
import { eventSecrets, runRedactor, runsRedactor } from '../../../src/core/render/egress/secrets';
import { tmpdir } from './round3Support';
import { lines, openFile, withWasmScanner, WORKER } from './round5Support';


const known = (runs: readonly Run[]): string[] => [...((runsRedactor(runs).options.knownSecrets ?? []) as Iterable<string>)].sort();
const perRun = (runs: readonly Run[]): [string, string[]][] => runs.map((r) => [r.id, [...((runRedactor(r).options.knownSecrets ?? []) as Iterable<string>)].sort()]);

/** The walk before e7ed6c9: record by record, by each record's hint (0 skip, 1 decode, text walked per record). */
function referenceWalk(run: Run): string[] {
  const red = new Redactor({});
  const out = new Set<string>();
  const events = run.events;
  if (!(events instanceof EventList)) {
    for (const e of events) eventSecrets(e, red, out);
    return [...out].sort();
  }
  let skipped = false;
  for (let i = 0; i < events.length; i++) {
    const h = events.storage.secretHint(events.refAt(i));
    if (h === 1) {
      const e = events.at(i);
      if (e) eventSecrets(e, red, out);
      continue;
    }
    skipped = true;
    if (typeof h === 'string') eventSecrets(JSON.parse(h) as TraceEvent, red, out);
  }
  if (skipped) eventSecrets({ runId: run.id } as TraceEvent, red, out);
  return [...out].sort();
}


describe('attack round 5: the run-scoped redactor of a hinted index = a plain read', function () {
  this.timeout(120000);
  withWasmScanner(['FLOWLENS_INDEX_HINTS_ON_PARENT']);

  it('more forms than the table holds, hostile members; then appended lines and a refresh', async () => {
    const file = path.join(tmpdir('r5red'), 'trace.jsonl');
    const N = 24000; // 12,000 per-line forms + the rest: the table (8,192) fills mid-file
    fs.writeFileSync(file, lines(0, N).join('\n') + '\n');
    const configs: [string, WorkspaceOptions['index'], boolean][] = [
      ['this thread', { minBytes: 0, workers: 0, hints: true, background: false, batchRecords: 1000 }, false],
      ['worker', { minBytes: 0, workers: 1, workerScript: WORKER, hints: true, background: false, batchRecords: 777 }, false],
      // FLOWLENS_INDEX_HINTS_ON_PARENT=0: the worker makes every batch's hints itself (else an idle parent makes some).
      ['worker, hints in the worker', { minBytes: 0, workers: 1, workerScript: WORKER, hints: true, background: false, batchRecords: 777 }, true],
      ['background hint pass', { minBytes: 0, workers: 1, workerScript: WORKER, backgroundHints: true, batchRecords: 5000 }, false],
    ];
    const plain = await openFile(file, false);
    const want = known(plain.runs());
    const wantPer = perRun(plain.runs());
    for (const s of ['Zq5own0', `Zq5own${N - 4}`, 'Zq5shared0', 'Zq5dash3', 'Zq5flag2', 'Zq5dupB1', 'Zq5vv3', 'Zq5deep3', 'Zq5url3', 'Zq5corr6']) {
      assert.ok(want.includes(s), `${s} is a secret of the plain read`);
    }
    const hinted: [string, TraceWorkspace][] = [];
    for (const [label, index, inWorker] of configs) {
      // A pooled worker keeps the environment it was made with: a fresh one for each config.
      await drainWorkerPool();
      if (inWorker) process.env.FLOWLENS_INDEX_HINTS_ON_PARENT = '0';
      else delete process.env.FLOWLENS_INDEX_HINTS_ON_PARENT;
      const ws = await openFile(file, index);
      if (label === 'background hint pass') assert.ok((await ws.hintsSettled()) >= 1, `${label}: hints attached`);
      const ev = ws.runs()[0].events;
      assert.ok(ev instanceof EventList && ev.storage.secretHint(ev.refAt(0)) !== 1, `${label}: the records carry hints`);
      assert.deepEqual(perRun(ws.runs()), wantPer, `${label}: per-run secrets`);
      assert.deepEqual(known(ws.runs()), want, `${label}: all runs' secrets`);
      for (const r of ws.runs()) assert.deepEqual(referenceWalk(r), wantPer.find(([id]) => id === r.id)?.[1], `${label}: the per-record walk of ${r.id}`);
      hinted.push([label, ws]);
    }
    delete process.env.FLOWLENS_INDEX_HINTS_ON_PARENT;
    // Appended: lines of forms seen before, new forms, new secrets; the redactors were built (walked) already.
    fs.appendFileSync(file, lines(N, N + 3000).join('\n') + '\n');
    await plain.refresh({ final: true });
    const want2 = known(plain.runs());
    assert.ok(want2.includes(`Zq5own${N + 4}`) && want2.length > want.length, 'the appended secrets are the plain read\'s');
    for (const [label, ws] of hinted) {
      await ws.refresh({ final: true });
      await ws.hintsSettled();
      assert.deepEqual(perRun(ws.runs()), perRun(plain.runs()), `${label} after the append: per-run secrets`);
      assert.deepEqual(known(ws.runs()), want2, `${label} after the append: all runs' secrets`);
      ws.dispose();
    }
    plain.dispose();
  });
});
