// [attacker3] round 3: flow ids crafted (with the table's seed known) to crowd one probe sequence
// of a FlowIds table while it grows (build.ts: entries move 32 slots per add; lookups try the new
// table then the old; a crowded probe gives way to a Map — also in the middle of a move).
import { strict as assert } from 'node:assert';
import { FlowIds } from '../../../src/core/model/build';

const SEED = 0x5eed;

/** `n` ids whose hash lands on bucket `b` of a table of `size` buckets. */
function crowd(prefix: string, size: number, b: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if ((FlowIds.hashOf(SEED, `${prefix}${i}`) & (size - 1)) === b) out.push(`${prefix}${i}`);
  return out;
}

function checkAll(t: FlowIds, ids: readonly string[], label: string): void {
  assert.equal(t.size, ids.length, label);
  for (let o = 0; o < ids.length; o++) assert.equal(t.find(ids[o]), o, `${label}: ${ids[o]}`);
  for (const a of ['absent', 'x', '', 'c0', ...crowd('zz', 2048, 7, 5)]) if (!ids.includes(a)) assert.equal(t.find(a), -1, `${label}: absent ${a}`);
}

describe('[attacker3] round 3: FlowIds growth under crafted collisions', () => {
  it('a crowd in the NEW table while the old one is still moving: every id found, absent ones not', () => {
    const t = new FlowIds(0, SEED);
    const ids: string[] = [];
    const add = (id: string): void => {
      assert.equal(t.add(id), ids.length);
      ids.push(id);
    };
    for (let i = 0; i < 513; i++) add(`p${i}`);
    assert.ok(t.growing, 'growing after 513 adds');
    // 80 ids on one bucket of the new (2048) table, added while the 1024-slot table moves.
    for (const id of crowd('c', 2048, 7, 80)) {
      add(id);
      checkAll(t, ids, `after ${id}`);
    }
    assert.ok(t.crowded, 'gave way to a Map');
    for (let i = 0; i < 2000; i++) add(`q${i}`);
    checkAll(t, ids, 'end');
  });

  it('a crowd on neighbouring buckets of the new table while the crowd of the old table is still moving', () => {
    const t = new FlowIds(0, SEED);
    const ids: string[] = [];
    const add = (id: string): void => {
      assert.equal(t.add(id), ids.length);
      ids.push(id);
    };
    // 40 ids on one bucket of both the 1024 and the 2048 table (no Map yet: under the probe limit).
    const both = crowd('b', 2048, 9, 40);
    for (const id of both) add(id);
    for (let i = 0; ids.length < 511; i++) add(`p${i}`);
    assert.ok(!t.crowded, 'not crowded yet');
    assert.ok(!t.growing, 'not growing yet');
    add('grow');
    assert.ok(t.growing);
    // Then ids landing right after bucket 9 in the new table: the moved crowd must probe past them.
    for (const id of crowd('n', 2048, 10, 30)) {
      add(id);
      checkAll(t, ids, `after ${id}`);
    }
    while (t.growing) add(`m${ids.length}`);
    checkAll(t, ids, 'moved');
    t.settle();
    checkAll(t, ids, 'settled');
  });

  it('settle() in the middle of a growth, then more adds through further growths', () => {
    const t = new FlowIds(0, SEED);
    const ids: string[] = [];
    for (let i = 0; i < 520; i++) {
      ids.push(`s${i}`);
      t.add(`s${i}`);
    }
    assert.ok(t.growing);
    t.settle();
    assert.ok(!t.growing);
    checkAll(t, ids, 'settled');
    for (let i = 0; i < 5000; i++) {
      ids.push(`t${i}`);
      t.add(`t${i}`);
      if (i % 97 === 0) {
        t.settle();
        checkAll(t, ids, `at ${i}`);
      }
    }
    checkAll(t, ids, 'end');
  });
});
