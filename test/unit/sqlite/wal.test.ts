import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyWal, isWalHeader } from '../../../src/core/read/sqlite/wal';
import { openStore } from '../../../src/core/read/sqlite/open';
import { cli, py, PyProc, snapshot, tmpDir } from './helpers';

/**
 * Python writer that keeps its connection open and snapshots (db, wal) pairs at known points:
 * a = 50 committed rows, b = 80 (one 30-row transaction after a). It also crafts, with its own
 * byte handling, the bad WALs: an uncommitted tail, bad salts and a bad checksum after a.
 */
const WAL_STATES = String.raw`
import sqlite3, shutil, struct, sys, os, json
d = sys.argv[1]
p = os.path.join(d, 'w.db')
c = sqlite3.connect(p, isolation_level=None)
c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')
c.execute('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)')
def snap(tag):
    shutil.copy(p, os.path.join(d, tag + '.db')); shutil.copy(p + '-wal', os.path.join(d, tag + '.db-wal'))
for k in range(5):
    c.execute('BEGIN')
    for i in range(10): c.execute('INSERT INTO t(v) VALUES (?)', ('row %d %s' % (k * 10 + i, 'x' * (i * 37)),))
    c.execute('COMMIT')
snap('a')
c.execute('BEGIN')
for i in range(30): c.execute('INSERT INTO t(v) VALUES (?)', ('big %d %s' % (i, 'y' * 900),))
c.execute('COMMIT')
snap('b')
wa = open(os.path.join(d, 'a.db-wal'), 'rb').read(); wb = open(os.path.join(d, 'b.db-wal'), 'rb').read()
assert wb[:len(wa)] == wa
psz = struct.unpack('>I', wa[8:12])[0]; fsz = 24 + psz
new = [wb[o:o + fsz] for o in range(len(wa), len(wb), fsz)]
commits = [struct.unpack('>I', f[4:8])[0] != 0 for f in new]
assert commits[-1] and not any(commits[:-1]), commits
def write(tag, wal):
    shutil.copy(os.path.join(d, 'b.db'), os.path.join(d, tag + '.db')); open(os.path.join(d, tag + '.db-wal'), 'wb').write(wal)
write('tail', wa + b''.join(new[:-1]))
flip = lambda f: f[:8] + struct.pack('>I', struct.unpack('>I', f[8:12])[0] ^ 0x5A5A5A5A) + f[12:]
write('salt', wa + b''.join(flip(f) for f in new))
bad = bytearray(new[0]); bad[24 + 100] ^= 0xFF
write('sum', wa + bytes(bad) + b''.join(new[1:]))
print(json.dumps({'newFrames': len(new), 'aFrames': (len(wa) - 32) // fsz}))
c.close()
`;

function readPair(dir: string, tag: string): { db: Buffer; wal: Buffer } {
  return { db: fs.readFileSync(path.join(dir, tag + '.db')), wal: fs.readFileSync(path.join(dir, tag + '.db-wal')) };
}

/** Expected rows of a (db, wal) pair, from the sqlite3 CLI on a private copy. */
function expectedRows(dir: string, tag: string): { n: number; sumlen: number } {
  const cp = fs.mkdtempSync(path.join(dir, `cli-${tag}-`));
  fs.copyFileSync(path.join(dir, tag + '.db'), path.join(cp, 'x.db'));
  fs.copyFileSync(path.join(dir, tag + '.db-wal'), path.join(cp, 'x.db-wal'));
  return cli<{ n: number; sumlen: number }>(path.join(cp, 'x.db'), 'SELECT count(*) AS n, total(length(v)) AS sumlen FROM t')[0];
}

describe('sqlite/wal', function () {
  this.timeout(20000);
  let dir: string;
  let info: { newFrames: number; aFrames: number };
  before(() => {
    dir = tmpDir();
    info = JSON.parse(py(WAL_STATES, dir)) as { newFrames: number; aFrames: number };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function rowsOf(db: Buffer, wal: Buffer): Promise<{ n: number; sumlen: number; framesApplied: number; framesIgnored: number }> {
    const r = applyWal(db, wal);
    assert.equal(isWalHeader(r.bytes), false, 'WAL flags cleared');
    const f = path.join(dir, `img-${Math.random().toString(36).slice(2)}.db`);
    fs.writeFileSync(f, r.bytes);
    const [row] = cli<{ n: number; sumlen: number }>(f, 'SELECT count(*) AS n, total(length(v)) AS sumlen FROM t');
    return { ...row, framesApplied: r.framesApplied, framesIgnored: r.framesIgnored };
  }

  it('applies every committed frame (state a and b match the sqlite3 CLI)', async () => {
    for (const tag of ['a', 'b']) {
      const { db, wal } = readPair(dir, tag);
      const got = await rowsOf(db, wal);
      const want = expectedRows(dir, tag);
      assert.equal(got.n, want.n);
      assert.equal(got.sumlen, want.sumlen);
      assert.equal(got.framesIgnored, 0);
    }
    assert.equal(expectedRows(dir, 'b').n, 80);
  });

  it('ignores an uncommitted tail (frames after the last commit frame)', async () => {
    const { db, wal } = readPair(dir, 'tail');
    const got = await rowsOf(db, wal);
    assert.equal(got.n, 50);
    assert.equal(got.sumlen, expectedRows(dir, 'a').sumlen);
    assert.equal(got.framesApplied, info.aFrames);
    assert.equal(got.framesIgnored, info.newFrames - 1);
  });

  it('ignores frames whose salt does not match the header', async () => {
    const { db, wal } = readPair(dir, 'salt');
    const r = applyWal(Buffer.from(db), wal);
    assert.match(r.reason ?? '', /salt/);
    const got = await rowsOf(db, wal);
    assert.equal(got.n, 50);
    assert.equal(got.framesIgnored, info.newFrames);
  });

  it('stops at a frame whose checksum does not match', async () => {
    const { db, wal } = readPair(dir, 'sum');
    const r = applyWal(Buffer.from(db), wal);
    assert.match(r.reason ?? '', /checksum/);
    const got = await rowsOf(db, wal);
    assert.equal(got.n, 50);
  });

  it('ignores a WAL whose header checksum is wrong, and an empty WAL', () => {
    const { db, wal } = readPair(dir, 'b');
    const bad = Buffer.from(wal);
    bad[24] ^= 1;
    const r = applyWal(Buffer.from(db), bad);
    assert.equal(r.framesApplied, 0);
    assert.match(r.reason ?? '', /header checksum/);
    const e = applyWal(Buffer.from(db), Buffer.alloc(0));
    assert.equal(e.framesApplied, 0);
    assert.equal(isWalHeader(e.bytes), false);
  });

  it('openStore reads a WAL database whose writer keeps its connection open, writing nothing', async () => {
    const live = tmpDir();
    const file = path.join(live, 'live.db');
    const writer = new PyProc(
      String.raw`
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')
c.execute('CREATE TABLE events(id INTEGER PRIMARY KEY, event_type TEXT, version INTEGER, timestamp TEXT, payload TEXT)')
for i in range(150):
    c.execute("INSERT INTO events(event_type, version, timestamp, payload) VALUES ('task.close', 1, '2026-11-20T08:00:00+00:00', '{}')")
print('ready', flush=True)
sys.stdin.readline()
c.close()
print('closed', flush=True)
`,
      file,
    );
    try {
      await writer.until(/ready/);
      assert.ok(fs.existsSync(file + '-wal'));
      const before = snapshot(live);
      const r = await openStore(file);
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      assert.equal(r.store.walApplied, true);
      assert.equal(r.store.db.exec('SELECT count(*) FROM events')[0].values[0][0], 150);
      r.store.close();
      assert.deepEqual(snapshot(live), before, 'no file written, created or changed');
      writer.send('go');
      await writer.until(/closed/);
      assert.equal(await writer.exited, 0);
      const again = await openStore(file);
      assert.ok(again.ok);
      assert.equal(again.store.db.exec('SELECT count(*) FROM events')[0].values[0][0], 150);
      again.store.close();
    } finally {
      writer.proc.kill();
      fs.rmSync(live, { recursive: true, force: true });
    }
  });

  it('reads a consistent snapshot while a writer commits and checkpoints underneath', async () => {
    const live = tmpDir();
    const file = path.join(live, 'busy.db');
    const writer = new PyProc(
      String.raw`
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=8')
c.execute('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)')
c.execute("INSERT INTO t(v) VALUES ('first')")
print('ready', flush=True)
end = time.time() + 1.5
while time.time() < end:
    c.execute('BEGIN'); c.execute('INSERT INTO t(v) VALUES (?)', ('z' * 3000,)); c.execute('COMMIT')
    time.sleep(0.002)
c.close()
print('done', flush=True)
`,
      file,
    );
    try {
      await writer.until(/ready/);
      let reads = 0;
      let last = 0;
      const done = writer.until(/done/);
      let finished = false;
      void done.then(() => (finished = true));
      void writer.exited.then(() => (finished = true));
      const deadline = Date.now() + 10000;
      while (!finished && Date.now() < deadline) {
        await new Promise((r) => setImmediate(r)); // let the writer's output in
        const r = await openStore(file, { retries: 20, retryDelayMs: 5 });
        if (!r.ok) {
          assert.equal(r.error.kind, 'locked', r.error.message);
          continue;
        }
        const [[n, max]] = r.store.db.exec('SELECT count(*), max(id) FROM t')[0].values as number[][];
        const qc = r.store.db.exec('PRAGMA quick_check')[0].values[0][0];
        r.store.close();
        assert.equal(qc, 'ok');
        assert.equal(n, max, 'every committed row up to the newest one is there');
        assert.ok(n >= last, 'never goes back in time');
        last = n;
        reads++;
      }
      assert.equal(await writer.exited, 0);
      assert.ok(reads >= 3, `read ${reads} times`);
    } finally {
      writer.proc.kill();
      fs.rmSync(live, { recursive: true, force: true });
    }
  });
});
