// The merge's inputs keep one shape (hidden class) each (issue 15 round 7, docs/decisions.md): a
// batch this thread scanned and one a worker posted, the index's reused fields object and a fresh
// one, a run's state with and without columns. A new shape reaching the merge's optimised code had
// it thrown away and compiled again (`--trace-deopt`: "wrong map"). Checked with V8's own
// %HaveSameMap, which the natives syntax (turned on here, for this file's checks only) exposes.
// And the builder's copy of a whole event is a scratch object: what it keeps (a run's end) must be
// the event itself, not the copy the next event overwrites.
import { strict as assert } from 'node:assert';
import * as v8 from 'node:v8';
import { newEventFields, RunBuilder } from '../../../src/core/model/build';
import { sameShape, type ScanBatch } from '../../../src/core/read/index/scan';
import type { TraceEvent } from '../../../src/core/model/types';

v8.setFlagsFromString('--allow-natives-syntax');
// eslint-disable-next-line no-new-func, @typescript-eslint/no-implied-eval -- V8's %HaveSameMap can only be written in source compiled after the flag
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

/** A batch as this thread's scanner makes one (scan.ts toBatch: the hints added after the literal). */
function localBatch(n: number, withHints: boolean): ScanBatch {
  const i32 = (): Int32Array => new Int32Array(n).fill(-1);
  const b: ScanBatch = {
    n, offset: new Float64Array(n), len: new Uint32Array(n), line: new Uint32Array(n), sub: new Uint32Array(n), kind: new Uint8Array(n),
    type: i32(), run: i32(), flow: i32(), flowId: i32(), parent: i32(), step: i32(), failureClass: i32(), tags: i32(), corr: i32(),
    ts: new Float64Array(n), dur: new Float64Array(n), sev: new Uint8Array(n), raws: [], strings: ['a'], malformed: [], warnings: [],
  };
  if (withHints) {
    b.hint = new Uint8Array(n);
    b.hintText = i32();
  }
  return b;
}

describe('the merge sees one shape per input (issue 15 round 7)', () => {
  it('a batch from this thread and one a worker posted (structured clone, hints left to the parent) have one shape', () => {
    const here = localBatch(4, true);
    const posted = localBatch(4, true);
    posted.hintsPending = true;
    const cloned = structuredClone(posted);
    assert.equal(haveSameMap(here, cloned), false, 'the raw batches differ in shape (else this test shows nothing)');
    const a = sameShape(here);
    const b = sameShape(cloned);
    assert.ok(haveSameMap(a, b));
    assert.ok(haveSameMap(a, sameShape(localBatch(2, false))), 'a batch without hints too');
    // The columns are the batch's own, not copies.
    assert.equal(b.kind, cloned.kind);
    assert.equal(b.hintsPending, true);
    assert.deepEqual(Object.keys(a), Object.keys(b));
  });

  it("the index's fields object keeps its shape when its times and durations are filled", () => {
    const fresh = newEventFields('flowscribe-v1');
    const used = newEventFields('otlp');
    used.ts = Date.UTC(2026, 11, 7, 12, 0, 0, 125);
    used.durationMs = 12.5;
    used.tagsKey = 3;
    used.runId = 'r1';
    used.flowId = 'f1';
    used.tags = ['a'];
    used.correlation = { req: 1 };
    assert.ok(haveSameMap(fresh, used), 'a number field stored as a time must not change the shape');
    // And every field the builder reads is there from the start (no field added later).
    for (const k of ['dialect', 'type', 'ts', 'runId', 'flow', 'flowId', 'parentFlowId', 'correlation', 'correlationText', 'tags', 'tagsKey', 'severity', 'failureClass', 'durationMs', 'app', 'mode', 'gitSha', 'host', 'status', 'src'])
      assert.ok(Object.prototype.hasOwnProperty.call(fresh, k), k);
  });

  it("runs made with and without columns, and one given a session end, share their state's shape", () => {
    const b = new RunBuilder();
    const ev = (runId: string, type: TraceEvent['type'], line: number, extra: Partial<TraceEvent> = {}): TraceEvent =>
      ({ dialect: 'flowscribe-v1', type, runId, tags: [], extra: {}, src: { file: 't.jsonl', line }, ts: Date.UTC(2026, 11, 7) + line, ...extra }) as TraceEvent;
    b.add(ev('r1', 'flow_start', 1, { flowId: 'f1', flow: 'a' }));
    b.add(ev('r2', 'session_end', 2, { status: 'failed' }));
    const state = (b as unknown as { state: Map<unknown, object> }).state;
    const [s1, s2] = [...state.values()];
    assert.ok(haveSameMap(s1, s2));
  });

  it("a run's end is the event itself, not the builder's copy the next event overwrites", () => {
    const b = new RunBuilder();
    const at = (line: number): number => Date.UTC(2026, 11, 7, 9, 0, 0) + line * 1000;
    const ev = (runId: string, type: TraceEvent['type'], line: number, extra: Partial<TraceEvent> = {}): TraceEvent =>
      ({ dialect: 'flowscribe-v1', type, runId, tags: [], extra: {}, src: { file: 't.jsonl', line }, ts: at(line), ...extra }) as TraceEvent;
    b.add(ev('r1', 'session_start', 1, { app: 'one' }));
    const endOne = ev('r1', 'session_end', 2, { status: 'failed' });
    b.add(endOne);
    b.add(ev('r2', 'session_start', 3, { app: 'two' }));
    b.add(ev('r2', 'session_end', 4, { status: 'ok' }));
    b.add(ev('r2', 'checkpoint', 5));
    b.finish({ now: at(6) });
    const one = b.getRun('r1');
    const two = b.getRun('r2');
    assert.equal(one?.status, 'failed');
    assert.equal(two?.status, 'ok');
    assert.equal(one?.app, 'one');
    const kept = (b as unknown as { state: Map<unknown, { sessionEnd: unknown }> }).state;
    assert.equal([...kept.values()][0].sessionEnd, endOne);
  });
});
