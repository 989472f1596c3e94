import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getSqlJs, locateWasm, setSqlWasmPath, wasmCandidates } from '../../../src/core/read/sqlite/engine';
import { py, tmpDir } from './helpers';

describe('sqlite/engine', () => {
  it('finds sql-wasm.wasm and initialises one engine per process', async () => {
    const wasm = locateWasm();
    assert.ok(wasm && wasm.endsWith('sql-wasm.wasm'));
    const a = getSqlJs();
    const b = getSqlJs();
    assert.equal(a, b);
    const SQL = await a;
    const db = new SQL.Database();
    assert.deepEqual(db.exec('SELECT 1 + 1')[0].values, [[2]]);
    db.close();
  });

  it('an explicit override comes first', () => {
    const dir = tmpDir();
    try {
      const p = path.join(dir, 'sql-wasm.wasm');
      fs.copyFileSync(locateWasm() as string, p);
      setSqlWasmPath(p);
      assert.equal(wasmCandidates()[0], p);
      assert.equal(locateWasm(), p);
    } finally {
      setSqlWasmPath(undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens a database from a Node Buffer (the bytes a caller read)', async () => {
    const dir = tmpDir();
    try {
      const f = path.join(dir, 'x.db');
      py("import sqlite3, sys\nc = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE t(a)'); c.executemany('INSERT INTO t VALUES (?)', [(i,) for i in range(10)]); c.commit()", f);
      const SQL = await getSqlJs();
      const db = new SQL.Database(fs.readFileSync(f));
      try {
        assert.deepEqual(db.exec('SELECT count(*), sum(a) FROM t')[0].values, [[10, 45]]);
      } finally {
        db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
