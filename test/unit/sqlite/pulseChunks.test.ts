// The Pulse rollup reads `events` in rowid chunks (bounded sort memory): every chunking must give
// the figures of one whole-table query, WAL frames included, odd payloads and odd rowids too.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listTables } from '../../../src/core/read/sqlite/detect';
import { openStore, type OpenedStore } from '../../../src/core/read/sqlite/open';
import { pulseQueries, pulseRollupChunks, pulseStoreRollup, rowidChunks, type RowidRange } from '../../../src/core/read/sqlite/pulseStore';
import { readStore } from '../../../src/core/read/sqlite/stores';
import { sqliteReaders } from '../../../src/core/read/sqlite/readers';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { FIXTURES, py, tmpDir } from './helpers';

const STORES = path.join(FIXTURES, 'stores');
const WHOLE = Number.MAX_SAFE_INTEGER;

async function open(file: string): Promise<OpenedStore> {
  const r = await openStore(file);
  if (!r.ok) throw new Error(r.error.message);
  return r.store;
}

/** The rollup at several chunk sizes; `recent` compared by rowid. */
function rollupAt(s: OpenedStore, chunkRows: number): unknown {
  const t = listTables(s.db, true).find((x) => x.name === 'events');
  const p = pulseStoreRollup(s.db, s.file, t, { chunkRows });
  return { ...p, recent: p.recent.map((e) => e.src.line) };
}

/** Which of `ids` each range selects (first open below, last open above). */
function cover(ranges: RowidRange[], ids: number[]): number[][] {
  return ranges.map(([a, b]) => ids.filter((i) => (a === undefined || i >= a) && (b === undefined || i < b)));
}

const MAKE = String.raw`
import sqlite3, sys, json
c = sqlite3.connect(sys.argv[1])
c.execute(sys.argv[2])
ids = json.loads(sys.argv[3])
kinds = ['phase.close', 'task.close', 'workflow.next.stop_reason', 'verification.completed', 'suggest.accept']
for n, i in enumerate(ids):
    k = kinds[n % 5]
    p = {'phase': str(n % 3), 'tasks_done': n % 7, 'stop_reason': 'r%d' % (n % 4), 'target': 't%d' % (n % 2), 'passed': n % 3 == 0}
    text = '{not json' if n == int(sys.argv[4]) else json.dumps(p)
    c.execute('INSERT INTO events(id, event_type, version, timestamp, payload, source) VALUES (?,?,?,?,?,?)',
              (i, k, 2 if n % 11 == 0 else 1, '2026-11-%02dT10:00:%02d+00:00' % (1 + n % 28, n % 60), text, 's%d' % (n % 3)))
c.commit()
`;

describe('sqlite/pulseStore: chunked rollup', function () {
  this.timeout(30000);
  let dir: string;
  before(() => (dir = tmpDir('flowlens-chunks-')));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('rowidChunks: equal-width ranges, open at both ends, one open range when small or unsafe', () => {
    const whole = [[undefined, undefined]];
    assert.deepEqual(rowidChunks(1, 100, 100, 100), whole);
    assert.deepEqual(rowidChunks(1, 100, 100, 1000), whole);
    assert.deepEqual(rowidChunks(null, null, 0, 10), whole);
    assert.deepEqual(rowidChunks(1, 2 ** 60, 1000, 10), whole, 'rowids past 2^53 are not exact in JS');
    assert.deepEqual(rowidChunks(1, 100, 100, 25), [[undefined, 26], [26, 51], [51, 76], [76, undefined]]);
    // every id in any range lands in exactly one chunk, including ids outside lo..hi
    const ids = [-50, 1, 2, 3, 26, 50, 51, 99, 100, 10_000];
    const got = cover(rowidChunks(1, 100, 100, 30), ids);
    assert.deepEqual(got.flat().sort((a, b) => a - b), ids);
    // sparse rowids: never more chunks than rowids, never an empty-only tail
    const sparse = rowidChunks(5, 7, 300, 100);
    assert.deepEqual(cover(sparse, [5, 6, 7]).flat(), [5, 6, 7]);
    assert.ok(sparse.length <= 3);
  });

  it('the WAL fixture (240 rows, 40 only in -wal) gives the same rollup at every chunk size', async () => {
    const s = await open(path.join(STORES, 'pulse.db'));
    try {
      assert.equal(s.walApplied, true);
      const t = listTables(s.db, true).find((x) => x.name === 'events');
      assert.equal(t?.rows, 240);
      assert.ok(pulseRollupChunks(s.db, t, 7).length > 30, 'chunking is exercised');
      const want = rollupAt(s, WHOLE);
      assert.equal((want as { total: number }).total, 240, 'rows from the WAL are counted');
      for (const n of [1, 7, 50, 239]) assert.deepEqual(rollupAt(s, n), want, `chunkRows ${n}`);
      assert.equal(s.db.exec('PRAGMA temp_store')[0].values[0][0], 0, 'temp_store set back after the rollup');
    } finally {
      s.close();
    }
  });

  it('odd rowids (negative, huge gaps) and a non-JSON payload in a later chunk: same as one query', async () => {
    const odd = [-7, -1, 1, 2, 3, 4, 5, 100, 101, 5000, 5001, 5002, 2 ** 40, 2 ** 40 + 1];
    for (let i = 0; i < 40; i++) odd.push(10_000 + i * 3);
    odd.push(2 ** 52); // alone in the last chunk, with the bad payload
    const dense = Array.from({ length: 200 }, (_, i) => i + 1);
    for (const [name, ids, bad, sizes] of [
      ['odd-ids.db', odd, odd.length - 1, [1, 4, 10, 54]],
      ['dense-ids.db', dense, 150, [1, 20, 64, 199]],
    ] as const) {
      const f = path.join(dir, name);
      py(MAKE, f, 'CREATE TABLE events (id INTEGER PRIMARY KEY, event_type TEXT, version INTEGER, timestamp TEXT, payload TEXT, source TEXT)', JSON.stringify(ids), String(bad));
      const s = await open(f);
      try {
        const t = listTables(s.db, true).find((x) => x.name === 'events');
        const first = pulseRollupChunks(s.db, t, sizes[1])[0];
        assert.ok(first[1] !== undefined && ids[bad] >= first[1], `${name}: the bad payload is not in the first chunk`);
        const want = rollupAt(s, WHOLE);
        assert.equal((want as { total: number }).total, ids.length);
        for (const n of sizes) assert.deepEqual(rollupAt(s, n), want, `${name}: chunkRows ${n}`);
      } finally {
        s.close();
      }
    }
  });

  it('a table without its own rowid is read whole (WITHOUT ROWID, a column named rowid)', async () => {
    const cases: [string, string][] = [
      ['without-rowid.db', 'CREATE TABLE events (id INTEGER PRIMARY KEY, event_type TEXT, version INTEGER, timestamp TEXT, payload TEXT, source TEXT) WITHOUT ROWID'],
      ['rowid-column.db', 'CREATE TABLE events (id INTEGER, rowid INTEGER, event_type TEXT, version INTEGER, timestamp TEXT, payload TEXT, source TEXT)'],
    ];
    for (const [name, ddl] of cases) {
      const f = path.join(dir, name);
      py(MAKE, f, ddl, JSON.stringify(Array.from({ length: 30 }, (_, i) => i + 1)), '-1');
      const s = await open(f);
      try {
        const t = listTables(s.db, true).find((x) => x.name === 'events');
        assert.deepEqual(pulseRollupChunks(s.db, t, 5), [[undefined, undefined]], name);
        assert.equal((rollupAt(s, 5) as { total: number }).total, 30, name);
      } finally {
        s.close();
      }
    }
  });

  it('pulseQueries: a range only narrows the rollup query', () => {
    const whole = pulseQueries(true);
    const part = pulseQueries(true, undefined, false, true, [10, 20]);
    assert.equal(part.recent, whole.recent);
    assert.match(part.rollup, /FROM events NOT INDEXED WHERE rowid >= 10 AND rowid < 20 LIMIT -1/);
    assert.match(pulseQueries(true, undefined, false, true, [undefined, 20]).rollup, /WHERE rowid < 20 LIMIT/);
    assert.equal(part.rollup.replace(' WHERE rowid >= 10 AND rowid < 20', ''), whole.rollup);
  });

  it('readStore includeEvents by kind; the workspace reader builds no events for a Pulse store', async () => {
    const f = path.join(STORES, 'pulse.db');
    const none = await readStore(f, { includeEvents: ['flowscribe', 'generic'] });
    assert.equal(none.kind, 'pulse');
    assert.equal(none.events, undefined);
    assert.equal(none.rollups?.pulse?.total, 240, 'rollups still computed');
    const some = await readStore(f, { includeEvents: ['pulse'] });
    assert.equal(some.events?.length, 240);
    const root = fs.mkdtempSync(path.join(dir, 'ws-'));
    for (const x of ['pulse.db', 'pulse.db-wal']) fs.copyFileSync(path.join(STORES, x), path.join(root, x));
    const ws = new TraceWorkspace(root, { final: true, readers: sqliteReaders() });
    await ws.load({ final: true });
    const src = ws.sources().find((x) => x.file.endsWith('pulse.db'));
    assert.ok(src && !src.error, JSON.stringify(src));
    assert.equal(ws.envelopes.length, 0);
  });
});
