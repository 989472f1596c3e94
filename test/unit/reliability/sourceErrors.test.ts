// No silent drops (issue 13, classes 2 and 6): a deep row in a trace.db, a store over its row
// budget and a trace file that grows while it is read each keep what was read and surface a
// located problem naming the file, in the workspace (`problems()`, `sources()[].error`) and in
// the CLI's `runs` / `failures`. Stores are written with python3's sqlite3; the growing file by a
// real child process appending in a loop.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEPTH_MARK } from '../../../src/core/model/bounded';
import { JsonlTail } from '../../../src/core/read/sources/jsonl';
import { parseJsonLenient } from '../../../src/core/read/sqlite/flowscribe';
import { sqliteReaders } from '../../../src/core/read/sqlite/readers';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { REPO, tmpDir } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');
const LATER = () => Date.parse('2030-01-01T00:00:00Z');

/** A flowscribe sink trace.db at `<root>/.autodev/runs/<run>/trace.db`: `n` good rows, then `extra` raw event_data texts. */
function sinkDb(root: string, run: string, n: number, extra: string[] = []): string {
  const dir = path.join(root, '.autodev', 'runs', run);
  fs.mkdirSync(dir, { recursive: true });
  const db = path.join(dir, 'trace.db');
  const py = `
import json, sqlite3, sys
db, run, n, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.stdin.read())
c = sqlite3.connect(db)
c.execute("create table events(id integer primary key autoincrement, event_type text, event_data text, created_at timestamp default current_timestamp)")
for i in range(n):
    c.execute("insert into events(event_type,event_data,created_at) values ('failure',?,'2026-12-01 10:00:00')",
              (json.dumps({"v": 1, "event_type": "failure", "run_id": run, "flow": "f%d" % i, "flow_id": str(i), "reason": "good row %d" % i, "timestamp": "2026-12-01T10:00:%02d.000Z" % (i % 60)}),))
for t in extra:
    c.execute("insert into events(event_type,event_data,created_at) values ('failure',?,'2026-12-01 10:00:01')", (t,))
c.commit()
`;
  execFileSync('python3', ['-c', py, db, run, String(n)], { input: JSON.stringify(extra) });
  return db;
}

function deepRow(run: string, depth: number): string {
  return `{"v":1,"event_type":"failure","run_id":"${run}","flow":"deep","flow_id":"d","reason":"deep row","evidence":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
}

function cli(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }).toString();
}

/** Depth of nested objects along the `a` chain. */
function chainDepth(v: unknown): { depth: number; leaf: unknown } {
  let depth = 0;
  let x = v;
  while (x !== null && typeof x === 'object' && 'a' in (x as object)) {
    x = (x as { a: unknown }).a;
    depth++;
  }
  return { depth, leaf: x };
}

describe('no silent drops from stores and growing files', function () {
  this.timeout(120_000);

  it('parseJsonLenient cuts values nested deeper than 64 to the depth mark (also on the NaN path)', () => {
    for (const text of [deepRow('x', 5000), deepRow('x', 5000).replace('"reason":"deep row"', '"reason":NaN')]) {
      const r = parseJsonLenient(text);
      assert.ok(r.ok);
      const obj = r.value as Record<string, unknown>;
      const { depth, leaf } = chainDepth(obj.evidence);
      assert.ok(depth < 64, `cut at ${depth}`);
      assert.equal(leaf, DEPTH_MARK);
      assert.equal(obj.flow, 'deep');
    }
    const nan = parseJsonLenient('{"a":NaN,"b":[Infinity,{"c":-Infinity}],"s":"NaN"}');
    assert.ok(nan.ok);
    assert.deepEqual(JSON.parse(JSON.stringify(nan.value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))), { a: 'NaN', b: ['Infinity', { c: '-Infinity' }], s: 'NaN' });
  });

  it('a trace.db with one row nested 2,000 deep keeps every row (read in the SQLite worker), evidence cut', async () => {
    const root = tmpDir();
    sinkDb(root, 's5', 3, [deepRow('s5', 2000), deepRow('s5', 20000)]);
    const ws = new TraceWorkspace(root, { final: true, now: LATER, readers: sqliteReaders({ root }) });
    await ws.load({ final: true });
    assert.deepEqual(ws.problems(), []);
    const runs = ws.runs();
    assert.equal(runs.length, 1);
    assert.equal(runs[0].events.length, 5);
    const deep = runs[0].events.filter((e) => e.flow === 'deep');
    assert.equal(deep.length, 2);
    for (const e of deep) assert.equal(chainDepth(e.evidence).leaf, DEPTH_MARK);
    // The CLI (a separate process, default stack): both commands list the good rows.
    const runsOut = cli(['runs', root]);
    assert.match(runsOut, /^s5\s+\S+.*\s5\s+0\s*$/m);
    const fails = cli(['failures', root]);
    for (let i = 0; i < 3; i++) assert.ok(fails.includes(`good row ${i}`), fails);
    // The two deep rows are two failure verdicts of one flow ('deep', id 'd'): one failing flow
    // (src/core/analyze/queries.ts `failures`), as the Failures view and the Runs view count it.
    assert.match(fails, /4 failure\(s\)/);
  });

  it('a trace.db over its row budget keeps the rows read and names the file and table as a problem', async () => {
    const root = tmpDir();
    const db = sinkDb(root, 'big', 12);
    const ws = new TraceWorkspace(root, { final: true, now: LATER, readers: sqliteReaders({ root, budget: { maxRows: 5 } }) });
    await ws.load({ final: true });
    const runs = ws.runs();
    assert.equal(runs.length, 1);
    assert.equal(runs[0].events.length, 5);
    assert.deepEqual(runs[0].events.map((e) => e.reason), [0, 1, 2, 3, 4].map((i) => `good row ${i}`));
    const problems = ws.problems();
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.ok(problems[0].startsWith(`${db}: `), problems[0]);
    assert.equal(problems[0].split(db).length, 2, `file named once: ${problems[0]}`);
    assert.match(problems[0], /table events: more than 5 rows; stopped; the 5 rows read before that are kept/);
    const src = ws.sources().find((s) => s.file === db);
    assert.match(src?.error ?? '', /more than 5 rows/);
  });

  it('the CLI prints a source read error in runs and failures (and --json lists it)', () => {
    const root = tmpDir();
    // A trace.db that is not a flowscribe sink: no events, a located problem (was silent).
    const dir = path.join(root, '.autodev', 'runs', 'odd');
    fs.mkdirSync(dir, { recursive: true });
    const db = path.join(dir, 'trace.db');
    execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("create table other(x)"); c.commit()', db]);
    const runsOut = cli(['runs', root]);
    assert.match(runsOut, /problem: .*trace\.db: not a flowscribe sink/);
    assert.ok(runsOut.includes(db), runsOut);
    // `failures` exits 1 ("no runs found"), after printing why.
    const f = spawnSync(process.execPath, [CLI, 'failures', root], { timeout: 60_000 });
    assert.equal(f.status, 1);
    assert.match(f.stdout.toString(), /problem: .*trace\.db: not a flowscribe sink/);
    assert.match(f.stderr.toString(), /no runs found/);
    const doc = JSON.parse(cli(['runs', '--json', root])) as { problems: string[] };
    assert.equal(doc.problems.length, 1);
    assert.match(doc.problems[0], /not a flowscribe sink/);
  });

  it('a final read stops at upTo: a last line still being written is held back, growth is reported; the live tail reads on', () => {
    const root = tmpDir();
    const file = path.join(root, 'trace.jsonl');
    const line = (i: number) => JSON.stringify({ v: 1, event_type: 'step', run_id: 'g', flow_id: String(i) }) + '\n';
    fs.writeFileSync(file, line(0) + line(1) + line(2).slice(0, 10));
    const upTo = fs.statSync(file).size;
    fs.appendFileSync(file, line(2).slice(10) + line(3));
    const tail = new JsonlTail(file, { root });
    const seen: string[] = [];
    const r = tail.readSync((o) => seen.push(String(o.flow_id)), { final: true, upTo });
    assert.deepEqual(seen, ['0', '1']);
    assert.deepEqual(r.malformed, [], 'a line still being written is not "cut off"');
    assert.equal(r.size, upTo);
    assert.equal(r.grewBytes, fs.statSync(file).size - upTo);
    assert.equal(r.pendingBytes, 10);
    const r2 = tail.readSync((o) => seen.push(String(o.flow_id)), {});
    assert.deepEqual(seen, ['0', '1', '2', '3']);
    assert.equal(r2.grewBytes, undefined);
    // Without growth, a final read still reports a truly cut-off last line.
    const cut = path.join(root, 'cut.jsonl');
    fs.writeFileSync(cut, line(0) + '{"v":1,"event');
    const r3 = new JsonlTail(cut, { root }).readSync(() => undefined, { final: true });
    assert.equal(r3.malformed.length, 1);
    assert.match(r3.malformed[0].reason, /cut off/);
    assert.equal(r3.grewBytes, undefined);
  });

  it('the CLI ends on a trace.jsonl a child process keeps appending to, and says the file grew', async () => {
    const root = tmpDir();
    const dir = path.join(root, '.autodev', 'runs', 'g');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'trace.jsonl');
    // The writer appends 1 MB chunks (lines split across chunk edges), 8 every 25 ms (~300 MB/s),
    // at most 4,000 (a 4 GB hard bound), and says "ready" after the first 8 MB.
    const writerSrc = `
const fs = require('fs');
// Stamped now: a run is running only while its last event is recent too (model/build.ts isLive).
const line = '{"v":1,"event_type":"flow_start","run_id":"g","flow":"f","flow_id":"1","timestamp":"' + new Date().toISOString() + '"}\\n';
const all = Buffer.from(line.repeat(Math.ceil((1 << 20) / line.length) + 1));
const fd = fs.openSync(process.argv[1], 'a');
let i = 0, off = 0;
const step = () => {
  for (let k = 0; k < 8 && i < 4000; k++, i++) {
    const n = 1 << 20;
    fs.writeSync(fd, all, off, n);
    off = (off + n) % line.length;
  }
  if (i === 8) process.stdout.write('ready\\n');
  if (i < 4000) setTimeout(step, 25); // ~300 MB/s
};
step();`;
    const writer = spawn(process.execPath, ['-e', writerSrc, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        writer.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) resolve();
        });
        writer.on('exit', () => reject(new Error('writer ended before it was ready')));
      });
      const out = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) => {
        // Hang guard only (the read must end): the timeout kills a CLI that chases the file.
        const child = spawn(process.execPath, [CLI, 'runs', root], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('exit', (code, signal) => resolve({ code, signal, stdout }));
      });
      const stillWriting = writer.exitCode === null;
      assert.equal(out.signal, null, `the CLI was killed by the hang guard: ${out.stdout}`);
      assert.equal(out.code, 0, out.stdout);
      const row = /^g\s+running\s.*?(\d+)\s+(\d+)\s*$/m.exec(out.stdout);
      assert.ok(row, out.stdout);
      assert.ok(Number(row[1]) >= 8 * 9000, `events read: ${row[1]}`);
      assert.equal(row[2], '0', 'no line reported malformed (the last one was still being written)');
      if (stillWriting) {
        assert.ok(out.stdout.includes(`problem: ${file}: file grew while being read;`), out.stdout);
        assert.match(out.stdout, /bytes appended after the read started \(at [\d,]+ bytes\) not read/);
      }
    } finally {
      writer.kill();
    }
  });
});
