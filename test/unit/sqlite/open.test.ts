import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openStore, storeSignature, type StoreErrorKind } from '../../../src/core/read/sqlite/open';
import { readFlowscribeDb, readStore } from '../../../src/core/read/sqlite/stores';
import { py, PyProc, snapshot, tmpDir } from './helpers';

const MAKE_DB = String.raw`
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)')
c.executemany('INSERT INTO notes(body) VALUES (?)', [('n%d %s' % (i, 'q' * 400),) for i in range(int(sys.argv[2]))])
c.commit(); c.close()
`;

describe('sqlite/open: bad files give calm, located errors', function () {
  this.timeout(20000);
  let dir: string;
  let good: string;
  before(() => {
    dir = tmpDir();
    good = path.join(dir, 'good.db');
    py(MAKE_DB, good, '200');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function kindOf(file: string, opts = {}): Promise<{ kind: StoreErrorKind; message: string; file: string }> {
    const r = await openStore(file, { retries: 1, retryDelayMs: 1, ...opts });
    assert.equal(r.ok, false, 'expected an error');
    if (r.ok) throw new Error('unreachable');
    return r.error;
  }

  it('opens a good file and counts its rows', async () => {
    const r = await openStore(good);
    assert.ok(r.ok);
    assert.equal(r.store.db.exec('SELECT count(*) FROM notes')[0].values[0][0], 200);
    assert.equal(r.store.walApplied, false);
    r.store.close();
  });

  it('not a SQLite file', async () => {
    const f = path.join(dir, 'notes.db');
    fs.writeFileSync(f, 'hello, this is a text file and not a database\n'.repeat(20));
    const e = await kindOf(f);
    assert.equal(e.kind, 'not-sqlite');
    assert.equal(e.file, f);
    assert.ok(e.message.startsWith(f));
  });

  it('empty file', async () => {
    const f = path.join(dir, 'empty.db');
    fs.writeFileSync(f, '');
    assert.equal((await kindOf(f)).kind, 'empty');
  });

  it('encrypted (random page-sized bytes)', async () => {
    const f = path.join(dir, 'cipher.db');
    fs.writeFileSync(f, crypto.randomBytes(4096 * 4));
    const e = await kindOf(f);
    assert.equal(e.kind, 'encrypted-or-corrupt');
    assert.match(e.message, /encrypted/);
  });

  it('corrupt pages: quick_check is run and reported', async () => {
    const f = path.join(dir, 'corrupt.db');
    const b = fs.readFileSync(good);
    const ps = b.readUInt16BE(16);
    for (let p = 1; p * ps < b.length; p++) b.fill(0xa5, p * ps, p * ps + 64); // every b-tree page header past page 1
    fs.writeFileSync(f, b);
    const r = await readStore(f);
    assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
    assert.equal(r.problems[0].kind, 'encrypted-or-corrupt');
    assert.match(r.problems[0].message, /quick_check/);
  });

  it('truncated: cut mid-file, and shorter than the header', async () => {
    const b = fs.readFileSync(good);
    const f = path.join(dir, 'cut.db');
    fs.writeFileSync(f, b.subarray(0, Math.floor(b.length / 2) + 100));
    assert.equal((await kindOf(f)).kind, 'truncated');
    const g = path.join(dir, 'stub.db');
    fs.writeFileSync(g, b.subarray(0, 40));
    assert.equal((await kindOf(g)).kind, 'truncated');
  });

  it('too large for the memory cap: says how large and how to raise it', async () => {
    const e = await kindOf(good, { memoryCapBytes: 10 * 1024 });
    assert.equal(e.kind, 'too-large');
    assert.match(e.message, /flowlens\.sqlite\.memoryCapMB/);
    assert.match(e.message, /KB|MB/);
  });

  it('missing file is an io error', async () => {
    assert.equal((await kindOf(path.join(dir, 'nope.db'))).kind, 'io');
  });

  it('being written: a rollback-journal writer mid-transaction → locked, then readable after commit', async () => {
    const f = path.join(dir, 'busy.db');
    py(MAKE_DB, f, '10');
    const w = new PyProc(
      String.raw`
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('PRAGMA cache_size=2'); c.execute('BEGIN IMMEDIATE')
for i in range(300): c.execute('INSERT INTO notes(body) VALUES (?)', ('w' * 500,))
print('spilled', flush=True)
sys.stdin.readline()
c.execute('COMMIT'); c.close()
print('committed', flush=True)
`,
      f,
    );
    try {
      await w.until(/spilled/);
      const before = snapshot(dir);
      const e = await kindOf(f, { retries: 2, retryDelayMs: 5 });
      assert.equal(e.kind, 'locked');
      assert.match(e.message, /being written/);
      assert.deepEqual(snapshot(dir), before, 'nothing written');
      w.send('go');
      await w.until(/committed/);
      const r = await openStore(f);
      assert.ok(r.ok);
      assert.equal(r.store.db.exec('SELECT count(*) FROM notes')[0].values[0][0], 310);
      r.store.close();
    } finally {
      w.proc.kill();
    }
  });

  it('unrecognised schema for a run folder trace.db', async () => {
    const r = await readFlowscribeDb(good);
    assert.equal(r.events.length, 0);
    assert.equal(r.error?.kind, 'unrecognised-schema');
    assert.match(r.error?.message ?? '', /notes\(id, body\)/);
  });

  it('storeSignature changes when the db or its -wal changes', () => {
    const f = path.join(dir, 'sig.db');
    py(MAKE_DB, f, '1');
    const a = storeSignature(f);
    assert.equal(storeSignature(f), a);
    fs.writeFileSync(f + '-wal', Buffer.alloc(10));
    assert.notEqual(storeSignature(f), a);
  });

  it('one bad store does not stop the others (readStore never throws)', async () => {
    const files = ['notes.db', 'empty.db', 'cipher.db', 'good.db'].map((n) => path.join(dir, n));
    const reports = await Promise.all(files.map((f) => readStore(f)));
    assert.deepEqual(
      reports.map((r) => r.problems.length),
      [1, 1, 1, 0],
    );
    assert.equal(reports[3].rows, 200);
  });
});
