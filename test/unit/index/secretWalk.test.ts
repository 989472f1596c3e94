// The run-scoped secret walk over a run's records by their secret hints (src/core/model/storage.ts
// secretWalk): every record that must be decoded, in order, and each pruned text once — a
// 400k-record run holds a few thousand texts, so the walk no longer visits a text per record.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openFileEvents } from '../../../src/core/read/index/fileEvents';
import { EventList, MemoryEvents } from '../../../src/core/model/storage';

describe('secretWalk: a run\'s records by their secret hints', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-secretwalk-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Hints per record: 0 nothing, 1 decode, or a pruned text (2).
  const plan: (0 | 1 | string)[] = [0, 'A', 1, 'B', 'A', 0, 1, 'C', 'B', 'A', 1, 'C'];
  function list(): EventList {
    const store = openFileEvents(path.join(dir, 'trace.jsonl'));
    const l = new EventList(store, 'r', false);
    plan.forEach((h, k) => l.push(store.add(k * 10, 9, k + 1, 0, typeof h === 'string' ? 2 : h, typeof h === 'string' ? h : undefined)));
    return l;
  }

  it('decodes each record with hint 1, in order, and gives each pruned text once, in order of first use', () => {
    const walked: number[] = [];
    const texts: string[] = [];
    const skipped = list().secretWalk(0, plan.length, (i) => (walked.push(i), true), (t) => (texts.push(t), true));
    assert.deepEqual(walked, [2, 6, 10]);
    assert.deepEqual(texts, ['A', 'B', 'C']);
    assert.equal(skipped, true, 'records were not decoded');
  });

  it('walks a part of the list (the events added since the last walk), and stops when a callback says so', () => {
    const walked: number[] = [];
    const texts: string[] = [];
    list().secretWalk(5, plan.length, (i) => (walked.push(i), true), (t) => (texts.push(t), true));
    assert.deepEqual(walked, [6, 10]);
    assert.deepEqual(texts, ['C', 'B', 'A']);
    const stopped: string[] = [];
    list().secretWalk(0, plan.length, () => true, (t) => (stopped.push(t), t !== 'B'));
    assert.deepEqual(stopped, ['A', 'B'], 'no text after the one that stopped the walk');
  });

  it('a storage without hints decodes every record (nothing skipped)', () => {
    const store = new MemoryEvents();
    const l = new EventList(store, 'r', false);
    for (let k = 0; k < 4; k++) l.push(store.keep({ type: 'log', runId: 'r', src: { file: 'f', line: k + 1 } } as never));
    const walked: number[] = [];
    assert.equal(l.secretWalk(0, 4, (i) => (walked.push(i), true), () => true), false);
    assert.deepEqual(walked, [0, 1, 2, 3]);
  });
});
