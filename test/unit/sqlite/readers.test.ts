// The SQLite seam of TraceWorkspace: trace.db run folders and stores read through sql.js.
// Expected counts come from the sqlite3 CLI / python over the same files, not from the reader.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sqliteReaders } from '../../../src/core/read/sqlite/readers';
import { readStore } from '../../../src/core/read/sqlite/stores';
import { TraceWorkspace } from '../../../src/core/read/workspace';

const FIX = path.resolve(__dirname, '../../../../test/fixtures');
const LATER = () => Date.parse('2030-01-01T00:00:00Z');

function sqliteCount(db: string, sql: string): number {
  const out = execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True); print(c.execute(sys.argv[2]).fetchone()[0])', db, sql]);
  return Number(out.toString().trim());
}

function tmpWs(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-readers-'));
}

describe('sqlite readers in TraceWorkspace', () => {
  it('reads a run folder that only has trace.db as one run with every row as an event', async () => {
    const root = tmpWs();
    const id = '20261119T140000Z-b7d2';
    const dir = path.join(root, 'runs', id);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(FIX, 'demo-app/runs', id, 'trace.db'), path.join(dir, 'trace.db'));
    fs.copyFileSync(path.join(FIX, 'demo-app/runs', id, 'summary.md'), path.join(dir, 'summary.md'));
    const rows = sqliteCount(path.join(dir, 'trace.db'), 'select count(*) from events');
    const ws = new TraceWorkspace(root, { final: true, now: LATER, readers: sqliteReaders() });
    await ws.load({ final: true });
    const runs = ws.runs();
    assert.equal(runs.length, 1);
    assert.equal(runs[0].events.length, rows);
    // b7d2: NVDA fetch failed with DATA.EMPTY (scenario run2), the class sits in evidence.cls.
    const failures = runs[0].events.filter((e) => e.type === 'failure');
    assert.deepEqual(failures.map((e) => e.failureClass), ['DATA.EMPTY']);
  });

  it('does not read trace.db when trace.jsonl is in the same folder (one run, not two)', async () => {
    const root = tmpWs();
    const id = '20261118T140000Z-a1c3';
    const dir = path.join(root, 'runs', id);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ['trace.db', 'trace.jsonl', 'summary.md']) fs.copyFileSync(path.join(FIX, 'demo-app/runs', id, f), path.join(dir, f));
    const lines = fs.readFileSync(path.join(dir, 'trace.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    const ws = new TraceWorkspace(root, { final: true, now: LATER, readers: sqliteReaders() });
    await ws.load({ final: true });
    assert.equal(ws.runs().length, 1);
    assert.equal(ws.runs()[0].events.length, lines);
  });

  it('keeps a Pulse store out of the queue envelopes (it drained the same events) but reads it whole', async () => {
    const root = tmpWs();
    for (const f of ['pulse.db', 'pulse.db-wal']) fs.copyFileSync(path.join(FIX, 'stores', f), path.join(root, f));
    fs.mkdirSync(path.join(root, '.grain'));
    fs.copyFileSync(path.join(FIX, 'stores/.grain/telemetry_queue.jsonl'), path.join(root, '.grain/telemetry_queue.jsonl'));
    const queued = fs.readFileSync(path.join(root, '.grain/telemetry_queue.jsonl'), 'utf8').split('\n').filter((l) => l.endsWith('}')).length;
    const ws = new TraceWorkspace(root, { final: true, now: LATER, readers: sqliteReaders() });
    await ws.load({ final: true });
    assert.equal(ws.envelopes.length, queued, 'only the queue file gives envelope events');
    const pulse = ws.sources().find((s) => s.file.endsWith('pulse.db'));
    assert.ok(pulse && !pulse.error, JSON.stringify(pulse));
    const rep = await readStore(path.join(root, 'pulse.db'));
    assert.equal(rep.rows, 240, 'WAL applied: 240 rows, not the 200 of the main file');
    assert.equal(fs.existsSync(path.join(root, 'pulse.db-shm')), false, 'nothing written beside the store');
  });

  it('re-reads a changed trace.db without counting its rows twice', async () => {
    const root = tmpWs();
    const id = '20261120T140000Z-d9f1';
    const dir = path.join(root, 'runs', id);
    fs.mkdirSync(dir, { recursive: true });
    const db = path.join(dir, 'trace.db');
    fs.copyFileSync(path.join(FIX, 'demo-app/runs', id, 'trace.db'), db);
    const ws = new TraceWorkspace(root, { final: true, now: LATER, readers: sqliteReaders() });
    await ws.load({ final: true });
    const before = sqliteCount(db, 'select count(*) from events');
    assert.equal(ws.runs()[0].events.length, before);
    execFileSync('python3', ['-c', `import sqlite3,json; c=sqlite3.connect(${JSON.stringify(db)}); c.execute("insert into events(event_type, event_data) values ('checkpoint', ?)", (json.dumps({"event_type":"checkpoint","flow_id":"x-1","step":"late","evidence":{},"data":{},"timestamp":"2026-11-20T09:00:09","file":"a.py","line":1,"function":"f"}),)); c.commit()`]);
    await ws.refresh({ final: true });
    assert.equal(ws.runs()[0].events.length, before + 1);
  });
});
