/**
 * The background hint pass (src/core/read/workspace/hintPass.ts, issue 15): a file the cold index
 * read without secret hints gets them from a second scan after the load, so the run-scoped secret
 * walk decodes only flagged lines — and knows exactly the secrets it knows without hints (the
 * hidden spellings of test/unit/hiddenSecrets.ts). A new load during the pass leaves the old store
 * without hints.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventList, FileEvents } from '../../../src/core/model/storage';
import type { Run } from '../../../src/core/model/types';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { runsRedactor } from '../../../src/core/render/egress/secrets';
import { hiddenSecretsTrace } from '../hiddenSecrets';

const WORKER = path.resolve('dist/indexWorker.js');

/** Calls of FileEvents.event (a record decoded, or found in its cache) during `fn`. */
function decodes<T>(fn: () => T): { value: T; n: number } {
  const proto = FileEvents.prototype;
  const orig = proto.event;
  let n = 0;
  proto.event = function (this: FileEvents, ...a: Parameters<FileEvents['event']>) {
    n++;
    return orig.apply(this, a);
  };
  try {
    return { value: fn(), n };
  } finally {
    proto.event = orig;
  }
}

const known = (runs: Run[]): string[] => [...((runsRedactor(runs).options.knownSecrets ?? []) as Iterable<string>)].sort();

describe('background hint pass (extension: index.backgroundHints)', () => {
  let dir = '';
  let file = '';
  let secrets: string[] = [];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-bghints-'));
    const run = '20261201T090000Z-bg1';
    const hidden = hiddenSecretsTrace(run);
    secrets = hidden.secrets;
    file = path.join(dir, 'trace.jsonl');
    fs.writeFileSync(file, hidden.text);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const storeOf = (ws: TraceWorkspace): FileEvents => (ws.runs()[0].events as EventList).storage as FileEvents;
  const open = (index: NonNullable<WorkspaceOptions['index']>): TraceWorkspace => TraceWorkspace.forFile(file, { final: true, index });

  for (const [label, index] of [
    ['same thread', { minBytes: 0, workers: 0, batchRecords: 700 }],
    ['index worker', { minBytes: 0, workers: 1, workerScript: WORKER, batchRecords: 700 }],
  ] as const) {
    it(`attaches hints after the load (${label}); the redactor knows exactly the secrets of a store without, decoding far fewer events`, async function () {
      this.timeout(60_000);
      const plain = open({ ...index });
      await plain.load();
      assert.equal(await plain.hintsSettled(), 0, 'off by default');
      assert.equal(storeOf(plain).hinted, false);
      const cold = decodes(() => known(plain.runs()));

      const ws = open({ ...index, backgroundHints: true });
      await ws.load();
      assert.equal(await ws.hintsSettled(), 1);
      assert.equal(storeOf(ws).hinted, true);
      const warm = decodes(() => known(ws.runs()));
      assert.deepEqual(warm.value, cold.value);
      for (const s of secrets) assert.ok(warm.value.includes(s), `${s} is a run secret`);
      const total = ws.runs()[0].events.length;
      assert.ok(cold.n >= total, `without hints every event is decoded (${cold.n} of ${total})`);
      assert.ok(warm.n * 20 < cold.n, `with hints few are decoded (${warm.n} vs ${cold.n})`);
      // The model is the same.
      assert.equal(ws.runs()[0].events.length, plain.runs()[0].events.length);
      const red = runsRedactor(ws.runs());
      for (const s of secrets) assert.equal(red.identifier(`deploy/${s}/step`), 'deploy/[REDACTED]/step');
    });
  }

  it('a new load during the pass: the old store gets no hints, the new one does', async function () {
    this.timeout(60_000);
    const ws = open({ minBytes: 0, workers: 0, batchRecords: 500, backgroundHints: true });
    await ws.load();
    const first = storeOf(ws);
    const again = ws.load();
    await again;
    assert.equal(await ws.hintsSettled(), 1, 'only the second load\'s store');
    assert.equal(first.hinted, false);
    assert.notEqual(storeOf(ws), first);
    assert.equal(storeOf(ws).hinted, true);
  });

  it('dispose() stops the pass: no hints', async function () {
    this.timeout(60_000);
    const ws = open({ minBytes: 0, workers: 0, batchRecords: 500, backgroundHints: true });
    await ws.load();
    ws.dispose();
    assert.equal(await ws.hintsSettled(), 0);
    assert.equal(storeOf(ws).hinted, false);
  });

  it('a file changed under the pass (offsets shifted): no hints (exact matching)', async function () {
    this.timeout(60_000);
    const copy = path.join(dir, 'changed.jsonl');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(copy, text);
    const ws = TraceWorkspace.forFile(copy, { final: true, index: { minBytes: 0, workers: 0, batchRecords: 500, backgroundHints: true } });
    await ws.load();
    // Before the pass scans: every line now starts 3 bytes later.
    fs.writeFileSync(copy, text.replace('\n', '   \n'));
    assert.equal(await ws.hintsSettled(), 0);
    assert.equal(storeOf(ws).hinted, false);
  });

  it('setHints takes hints only for every record of a store without them', () => {
    const ws = open({ minBytes: 0, workers: 0 });
    return ws.load().then(() => {
      const store = storeOf(ws);
      const n = store.size;
      assert.equal(store.setHints(n - 1, new Uint8Array(n), new Int32Array(n), []), false, 'a count that is not the store\'s');
      assert.equal(store.hinted, false);
      assert.equal(store.setHints(n, new Uint8Array(n).fill(1), new Int32Array(n), []), true);
      assert.equal(store.setHints(n, new Uint8Array(n), new Int32Array(n), []), false, 'not twice');
      assert.equal(store.secretHint(0), 1);
    });
  });
});
