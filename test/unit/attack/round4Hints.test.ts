// [attacker4] issue 15 round 4: the background hint pass's worker posts hints-only batches
// (index/worker.ts hintsOnly: the hint texts renumbered as the batch's string table). Many small
// batches, the same hint text in many records of one batch and across batches, a distinct text per
// record, texts that equal other strings of the batch (flow ids, names, run ids), several runs in
// one file, and OTLP export lines: the run-scoped redactors (secrets.ts runRedactor/runsRedactor)
// must know exactly the secrets they know without hints and from a plain read.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventList, FileEvents } from '../../../src/core/model/storage';
import type { Run } from '../../../src/core/model/types';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { runRedactor, runsRedactor } from '../../../src/core/render/egress/secrets';
import { LATER, tmpdir } from './round3Support';
import { useWasmScanner } from './round4Support';

// R4_WORKER: a copy of the worker (mutation checks of this test).
const WORKER = process.env.R4_WORKER ?? path.resolve('dist/indexWorker.js');
const J = JSON.stringify;
const T = (ms: number): string => new Date(Date.UTC(2026, 11, 1, 9) + ms).toISOString();

const known = (runs: readonly Run[]): string[] => [...((runsRedactor(runs).options.knownSecrets ?? []) as Iterable<string>)].sort();
const perRun = (runs: readonly Run[]): unknown => runs.map((r) => [r.id, [...((runRedactor(r).options.knownSecrets ?? []) as Iterable<string>)].sort()]);

/** Secrets in many spellings over 3 interleaved runs; some repeat (one hint text, many records), some are per line. */
function secretTrace(n: number): { text: string; secrets: string[] } {
  const L: string[] = [];
  const secrets = new Set<string>();
  const runs = ['r1', 'r2', 'r3'];
  for (const r of runs) L.push(J({ v: 1, event_type: 'session_start', run_id: r, timestamp: T(0), app: 'a' }));
  for (let i = 0; i < n; i++) {
    const run = runs[i % 3 === 0 ? 0 : i % 5 === 0 ? 2 : 1];
    const base = { v: 1, run_id: run, timestamp: T(i), flow: 'svc/op', flow_id: `f${i % 400}` };
    switch (i % 10) {
      case 0: {
        // A secret shared by many records (in this batch and the next ones).
        const s = `Zq7shared${Math.floor(i / 250)}Pw`;
        secrets.add(s);
        L.push(J({ ...base, event_type: 'checkpoint', evidence: { password: s } }));
        break;
      }
      case 1: {
        // A distinct secret per record.
        const s = `Zq7own${i}Tok`;
        secrets.add(s);
        L.push(J({ ...base, event_type: 'checkpoint', evidence: { api_key: s, n: i } }));
        break;
      }
      case 2: {
        // A secret spelled like another string of the batch (a flow id, a run id).
        const s = `f${(i + 1) % 400}`;
        L.push(J({ ...base, event_type: 'checkpoint', evidence: { token: `${s}Zq7` } }));
        secrets.add(`${s}Zq7`);
        break;
      }
      case 3:
        L.push(J({ ...base, event_type: 'checkpoint', reason: `connect postgres://admin:Zq7url${i % 7}Pw@db:5432/app failed` }));
        secrets.add(`Zq7url${i % 7}Pw`);
        break;
      case 4:
        L.push(J({ ...base, event_type: 'checkpoint', evidence: { password: '***REDACTED***', qty: i } }));
        break;
      case 5:
        L.push(J({ ...base, event_type: 'checkpoint', evidence: { argv: ['deploy', '--auth-token', `Zq7flag${i % 13}`] } }));
        secrets.add(`Zq7flag${i % 13}`);
        break;
      default:
        L.push(J({ ...base, event_type: i % 10 === 9 ? 'success' : 'checkpoint', step: `s${i % 4}` }));
    }
  }
  return { text: L.join('\n') + '\n', secrets: [...secrets] };
}

/** OTLP export lines: spans with a secret attribute (repeated and distinct), a few spans a line. */
function otlpTrace(lines: number): { text: string; secrets: string[] } {
  const secrets = new Set<string>();
  const out: string[] = [];
  for (let l = 0; l < lines; l++) {
    const spans: unknown[] = [];
    for (let k = 0; k < 4; k++) {
      const i = l * 4 + k;
      const s = k % 2 === 0 ? `Zq7otlpShared${l % 3}` : `Zq7otlpOwn${i}`;
      secrets.add(s);
      spans.push({
        traceId: (l + 1).toString(16).padStart(32, '0'), spanId: (i + 1).toString(16).padStart(16, '0'), name: `op${k}`, kind: 1,
        startTimeUnixNano: String(1765046400000000000 + i * 1000000), endTimeUnixNano: String(1765046400000500000 + i * 1000000),
        attributes: [{ key: 'db.password', value: { stringValue: s } }, { key: 'n', value: { intValue: String(i) } }],
        status: k === 3 ? { code: 2, message: 'boom' } : {},
      });
    }
    out.push(J({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ scope: { name: 's' }, spans }] }] }));
  }
  return { text: out.join('\n') + '\n', secrets: [...secrets] };
}

const storesOf = (ws: TraceWorkspace): FileEvents[] => [...new Set(ws.runs().map((r) => (r.events as EventList).storage))].filter((s): s is FileEvents => s instanceof FileEvents);

async function open(file: string, index: WorkspaceOptions['index']): Promise<TraceWorkspace> {
  const ws = TraceWorkspace.forFile(file, { now: () => LATER, final: true, index });
  await ws.load();
  return ws;
}

async function compare(text: string, secrets: string[], name: string, expectSecrets: boolean): Promise<void> {
  const file = path.join(tmpdir('r4h'), name);
  fs.writeFileSync(file, text);
  const plain = await open(file, false);
  const want = known(plain.runs());
  const wantPer = perRun(plain.runs());
  if (expectSecrets) for (const s of secrets) assert.ok(want.includes(s), `${s} is a secret of the plain read`);
  assert.ok(want.length >= 10, `${name}: the plain read knows secrets (${want.length})`);
  for (const base of [
    { minBytes: 0, workers: 0, batchRecords: 37 },
    { minBytes: 0, workers: 1, workerScript: WORKER, batchRecords: 37 },
    { minBytes: 0, workers: 1, workerScript: WORKER, batchRecords: 1000 },
  ]) {
    const label = `${name} workers=${base.workers} batch=${base.batchRecords}`;
    const without = await open(file, { ...base });
    assert.deepEqual(known(without.runs()), want, `${label}: cold without hints vs plain`);
    const ws = await open(file, { ...base, backgroundHints: true });
    assert.ok((await ws.hintsSettled()) >= 1, `${label}: the hint pass attached hints`);
    assert.ok(storesOf(ws).every((s) => s.hinted), `${label}: stores hinted`);
    assert.deepEqual(perRun(ws.runs()), wantPer, `${label}: per-run secrets with background hints vs plain`);
    assert.deepEqual(known(ws.runs()), want, `${label}: all runs' secrets with background hints vs plain`);
  }
}

describe('[attacker4] round 4: hints-only batches of the background hint pass', function () {
  this.timeout(120000);
  useWasmScanner();
  before(() => assert.ok(fs.existsSync(WORKER), `${WORKER} missing: npm run build`));

  it('3 runs, shared/distinct/colliding hint texts, many small batches', async () => {
    const { text, secrets } = secretTrace(3000);
    await compare(text, secrets, 'trace.jsonl', true);
  });

  it('OTLP export lines with secret attributes', async () => {
    const { text, secrets } = otlpTrace(300);
    await compare(text, secrets, 'spans.otlp.jsonl', false);
  });
});
