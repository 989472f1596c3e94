/**
 * Hostile SQLite stores (issue 13, class 2 "hang / memory blow-up" and class 4 "prototype keys"):
 * real files made at test time by test/fixtures/hostile/sqlite/make.py (python3's sqlite3), FIFOs
 * by mkfifo, symlinks by fs.symlinkSync. Every read must end (mocha's timeout is the hang guard;
 * no wall-clock assertion) with a located problem, RSS growth is measured in the harness, and
 * data keys never reach Object.prototype.
 */
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { endIdleWorkers, findSqliteWorker, workerCount } from '../../../src/core/read/sqlite/pool';
import { sqliteReaders } from '../../../src/core/read/sqlite/readers';
import { formatStoreReports, queryStore, readFlowscribeDb, readStore, readStores, type StoreReport } from '../../../src/core/read/sqlite/stores';
import { rssGrowthMB } from '../reliability/helpers';
import { FIXTURES, REPO, tmpDir } from './helpers';

const MAKE = path.join(FIXTURES, 'hostile', 'sqlite', 'make.py');
const PROTO = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

const messages = (r: { problems: { message: string }[] }): string => r.problems.map((p) => p.message).join(' | ');
const protoNames = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();

describe('sqlite/hostile: SQL under a budget, off the calling thread (issue 13)', function () {
  this.timeout(120_000);
  let dir: string;
  let made: Record<string, string>;
  const at = (name: string): string => made[name];

  before(function () {
    dir = tmpDir('flowlens-hostile-sqlite-');
    made = JSON.parse(execFileSync('python3', [MAKE, dir, 'big'], { encoding: 'utf8' })) as Record<string, string>;
    // FIFO side files (git keeps no FIFOs): a -journal and a -wal that would block any plain open.
    execFileSync('mkfifo', [made['fifo-journal/trace.db'] + '-journal', made['fifo-wal/trace.db'] + '-wal']);
    assert.ok(findSqliteWorker(), 'dist/sqliteWorker.js: run `npm run build` first');
  });
  after(() => {
    endIdleWorkers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the worker script is found from the test bundle (repo dist/), never from the current folder', () => {
    assert.equal(findSqliteWorker(), path.join(REPO, 'dist', 'sqliteWorker.js'));
  });

  describe('views and virtual tables where a table is expected', () => {
    it('trace.db whose events is an infinite recursive VIEW: "table events is a view, not read", the rest read', async () => {
      const file = at('recursive-view/runs/r1/trace.db');
      const { value: r, growthMB } = await rssGrowthMB(() => readStore(file));
      assert.equal(r.kind, 'generic');
      assert.deepEqual(
        r.problems.map((p) => [p.kind, p.table, p.message]),
        [['not-a-table', 'events', `${file}: table events is a view, not read`]],
      );
      const notes = r.tables?.find((t) => t.name === 'notes');
      assert.equal(notes?.rows, 2, 'the real table is still counted');
      assert.equal(r.tables?.find((t) => t.name === 'events')?.type, 'view');
      assert.equal(r.tables?.find((t) => t.name === 'events')?.rows, undefined, 'the view is never counted');
      assert.ok(growthMB < 200, `RSS grew ${growthMB.toFixed(0)} MB`);
      assert.match(formatStoreReports([r]), /view events: not read/);

      const f = await readFlowscribeDb(file);
      assert.deepEqual(f.events, []);
      assert.equal(f.error?.kind, 'not-a-table');
      assert.equal(f.error?.message, `${file}: table events is a view, not read`);

      // The run folder through the workspace (the Runs view's path): load ends, the problem is kept.
      const root = path.join(dir, 'recursive-view');
      const ws = new TraceWorkspace(root, { final: true, readers: sqliteReaders({ root }) });
      await ws.load({ final: true });
      assert.deepEqual(ws.runs().flatMap((x) => [...x.events]), []);
    });

    it('views returning a 1e9-byte zeroblob / printf value are never read (bounded RSS)', async () => {
      for (const name of ['huge-view/trace.db', 'huge-view/pulse.db']) {
        const file = at(name);
        const { value: r, growthMB } = await rssGrowthMB(() => readStore(file, { includeEvents: true }));
        assert.equal(r.kind, 'generic', name);
        assert.equal(r.problems.length, 1, messages(r));
        assert.equal(r.problems[0].message, `${file}: table events is a view, not read`);
        assert.equal(r.events, undefined);
        assert.ok(growthMB < 200, `${name}: RSS grew ${growthMB.toFixed(0)} MB`);
        console.log(`      ${name}: RSS growth ${growthMB.toFixed(0)} MB`);
      }
    });

    it('brainstem whose canonical_events is a recursive view: still brainstem, its real tables read', async () => {
      const file = at('brainstem-view/memory.sqlite3');
      const r = await readStore(file);
      assert.equal(r.kind, 'brainstem');
      assert.equal(r.rollups?.brainstem?.envelopes, 2);
      assert.equal(r.rollups?.brainstem?.canonicalEvents, undefined);
      assert.deepEqual(r.rollups?.brainstem?.topSignatures.map((s) => [s.key, s.occurrences]), [['k1', 3]]);
      assert.deepEqual(r.problems.map((p) => p.message), [`${file}: table canonical_events is a view, not read`]);
    });

    it('a virtual table (fts4) named events: "is a virtual table, not read"; a mapping onto a view is refused', async () => {
      const file = at('virtual/trace.db');
      const r = await readStore(file);
      assert.equal(r.kind, 'generic');
      assert.deepEqual(r.problems.map((p) => [p.kind, p.message]), [['not-a-table', `${file}: table events is a virtual table, not read`]]);
      const m = await readStore(at('recursive-view/runs/r1/trace.db'), { mappings: [{ table: 'events', timestamp: 'created_at', type: 'event_type' }], includeEvents: true });
      assert.deepEqual(m.problems.map((p) => p.kind), ['not-a-table']);
      assert.equal(m.events, undefined);
    });
  });

  describe('row / byte / time budgets', () => {
    it('a real table with a 100 MB text value: that value becomes a marker, the other rows are read', async () => {
      const file = at('big-value/trace.db');
      const { value: r, growthMB } = await rssGrowthMB(() => readStore(file, { includeEvents: true }));
      assert.equal(r.kind, 'flowscribe');
      assert.deepEqual(r.events?.map((e) => e.type), ['session_start', 'session_end']);
      assert.deepEqual(r.malformed?.map((m) => m.line), [2]);
      assert.ok(!r.malformed?.[0].reason.includes('xxxxxxxx'), 'the value itself is not quoted');
      assert.deepEqual(r.problems.map((p) => p.kind), ['over-budget']);
      assert.match(r.problems[0].message, /big-value\/trace\.db: table events: a value of 95\.4 MB is over the 16 MB limit per value; replaced by a marker/);
      console.log(`      100 MB value: RSS growth ${growthMB.toFixed(0)} MB (file 95.5 MB)`);
      assert.ok(growthMB < 1024, `RSS grew ${growthMB.toFixed(0)} MB`);
    });

    it('a real table whose generated column computes a 900 MB value: SQLite\'s heap limit stops the query', async () => {
      const file = at('generated/trace.db');
      const { value: r, growthMB } = await rssGrowthMB(() => readStore(file, { includeEvents: true }));
      assert.equal(r.kind, 'flowscribe');
      assert.deepEqual(r.problems.map((p) => [p.kind, p.message]), [['over-budget', `${file} (table events): a query needed more memory than SQLite is given; stopped`]]);
      console.log(`      900 MB generated value: RSS growth ${growthMB.toFixed(0)} MB`);
      assert.ok(growthMB < 768, `RSS grew ${growthMB.toFixed(0)} MB`);
    });

    it('the total bytes and rows budgets stop a read with a located problem', async () => {
      const file = at('big-value/trace.db');
      const r = await readStore(file, { budget: { maxValueBytes: 512 * 1024 * 1024, maxBytes: 8 * 1024 * 1024 } });
      assert.deepEqual(r.problems.map((p) => p.kind), ['over-budget']);
      // The rows read before the stop are kept (budget = stop reading more, not drop what was read).
      assert.equal(r.problems[0].message, `${file}: table events: values add up to more than 8 MB; stopped; the 1 row read before that is kept`);
      const q = await queryStore(at('slow/slow.db'), 'SELECT x FROM t', { budget: { maxRows: 1000 } });
      assert.deepEqual(q.rows, []);
      assert.equal(q.problems[0].message, `${at('slow/slow.db')}: table t: more than 1,000 rows; stopped`);
      const ok = await queryStore(at('slow/slow.db'), 'SELECT count(*) FROM t');
      assert.deepEqual(ok, { rows: [[3000]], problems: [] });
    });

    it('the time budget terminates a query that never ends, while this thread keeps running', async () => {
      const file = at('slow/slow.db');
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      let r;
      try {
        // 3000³ rows counted: far beyond the budget; only terminating the worker ends it.
        r = await queryStore(file, 'SELECT count(*) FROM t a, t b, t c', { budget: { timeMs: 1500 } });
      } finally {
        clearInterval(timer);
      }
      assert.deepEqual(r.rows, []);
      assert.deepEqual(r.problems, [{ file, kind: 'over-budget', message: `${file}: reading took longer than 1.5 s; stopped` }]);
      assert.ok(ticks > 0, 'the calling thread ran timers while the worker was busy');
      assert.equal(workerCount().running, 0);
      // A read after a terminated one gets a fresh worker.
      const good = await readStore(at('good/trace.db'), { includeEvents: true });
      assert.deepEqual(good.problems, []);
      assert.deepEqual(good.events?.map((e) => e.type), ['session_start', 'session_end']);
    });
  });

  describe('ingress: db, -wal and -journal must be regular files inside the root', () => {
    const fifo = (p: string): void => {
      if (!fs.existsSync(p)) execFileSync('mkfifo', [p]);
      assert.ok(fs.statSync(p).isFIFO());
    };

    for (const side of ['-journal', '-wal'] as const) {
      it(`a FIFO ${side}: the store is not read (worker and in-process), nothing blocks`, async () => {
        const file = at(`fifo${side === '-wal' ? '-wal' : '-journal'}/trace.db`);
        fifo(file + side);
        for (const inProcess of [false, true]) {
          const r = await readStore(file, { inProcess });
          assert.equal(r.kind, undefined);
          assert.deepEqual(r.problems.map((p) => [p.file, p.kind]), [[file, 'not-regular']]);
          assert.equal(r.problems[0].message, `${file}${side}: not read — a FIFO, not a regular file; store ${file} not read`);
          const f = await readFlowscribeDb(file, { inProcess });
          assert.equal(f.error?.kind, 'not-regular');
        }
      });
    }

    it('a db that is a FIFO, or a symlink to /dev/zero: located problem, nothing blocks', async () => {
      const d = path.join(dir, 'devices');
      fs.mkdirSync(d, { recursive: true });
      const pipe = path.join(d, 'pipe.db');
      fifo(pipe);
      const zero = path.join(d, 'zero.db');
      fs.symlinkSync('/dev/zero', zero);
      for (const inProcess of [false, true]) {
        const a = await readStore(pipe, { inProcess });
        assert.deepEqual(a.problems.map((p) => [p.kind, p.message]), [['not-regular', `${pipe}: not read — a FIFO, not a regular file`]]);
        const b = await readStore(zero, { inProcess });
        assert.deepEqual(b.problems.map((p) => [p.kind, p.message]), [['not-regular', `${zero}: not read — a character device, not a regular file`]]);
        // With the workspace root known, /dev/zero is outside it.
        const c = await readStore(zero, { inProcess, root: d });
        assert.equal(c.problems[0].kind, 'outside');
        assert.match(c.problems[0].message, /zero\.db: not read — the store resolves to \/dev\/zero, outside the workspace folder/);
      }
    });

    it('with the workspace root known, a store symlinked to a file outside it is not read (readStore, readFlowscribeDb)', async () => {
      const inside = path.join(dir, 'inside');
      fs.mkdirSync(path.join(inside, 'runs', 'r9'), { recursive: true });
      const link = path.join(inside, 'runs', 'r9', 'trace.db');
      fs.symlinkSync(at('good/trace.db'), link);
      const r = await readStore(link, { root: inside });
      assert.equal(r.problems[0].kind, 'outside');
      const f = await readFlowscribeDb(link, { root: inside });
      assert.equal(f.error?.kind, 'outside');
      assert.deepEqual(f.events, []);
      // Without a root (the user named the file) it is read.
      assert.equal((await readFlowscribeDb(link)).events.length, 2);
    });
  });

  describe('prototype keys as store values', () => {
    for (const inProcess of [true, false]) {
      it(`__proto__ / constructor / toString / hasOwnProperty as types, sources, targets, statuses, columns (${inProcess ? 'in-process' : 'worker'})`, async () => {
        const before = protoNames();
        const mapping = { match: '**/mapped.db', table: 'logs', timestamp: 'ts', type: 'level' };
        const reports: StoreReport[] = await readStores(path.join(dir, 'proto'), { inProcess, includeEvents: true, mappings: [mapping] });
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.deepEqual(protoNames(), before, 'Object.prototype has no new keys');
        const by = (n: string): StoreReport => reports.find((r) => r.path.endsWith(n)) as StoreReport;
        for (const r of reports) assert.deepEqual(r.problems, [], `${r.path}: ${messages(r)}`);

        const p = by('pulse.db').rollups?.pulse;
        assert.ok(p);
        for (const name of PROTO) {
          assert.ok(Object.hasOwn(p.byType, name) && p.byType[name] === 1, `byType ${name}`);
          assert.equal(p.bySource[name], 4, `bySource ${name}`);
          assert.equal(p.stopReasons[name], 1, `stopReasons ${name}`);
          assert.deepEqual({ ...p.verification.byTarget[name] }, { total: 1, passed: 1, rate: 1 }, `byTarget ${name}`);
          assert.equal(p.phases.find((x) => x.phase === name)?.closes, 1, `phase ${name}`);
        }
        assert.equal(Object.getPrototypeOf(p.byType), null, 'rollup records are null-prototype');

        const b = by('memory.sqlite3').rollups?.brainstem;
        assert.ok(b);
        for (const name of PROTO) {
          assert.equal(b.bySource[name], 3, `brainstem bySource ${name}`);
          assert.deepEqual(Object.entries(b.bySourceStatus[name]).sort(), [['__proto__', 1], ['polluted', 1], ['toString', 1]]);
          assert.equal(b.candidatesByBand.find((x) => x.band === name)?.count, 1);
        }
        assert.deepEqual(Object.entries(b.byStatus).sort(), [['__proto__', 4], ['polluted', 4], ['toString', 4]]);

        const legacy = by('legacy/trace.db');
        assert.deepEqual(Object.entries(legacy.rollups?.flowscribe?.byType ?? {}).sort(), PROTO.map((n) => [n, 1]).sort());
        const mapped = by('mapped.db');
        assert.deepEqual(mapped.events?.map((e) => e.type), PROTO);
        for (const e of mapped.events ?? []) {
          assert.equal(Object.getOwnPropertyDescriptor(e.extra, '__proto__')?.value, '{"polluted": 1}');
          assert.equal(typeof e.extra.toString, 'string', 'a column named toString is an ordinary value');
        }

        const text = formatStoreReports(reports);
        for (const name of PROTO) {
          assert.ok(text.includes(`${name} 1`), `text output lists ${name} as an ordinary name`);
        }
        assert.ok(!/native code/.test(text));
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.deepEqual(protoNames(), before);
      });
    }
  });

  describe('CLI', () => {
  it('`stores --json` over every hostile store ends within a child timeout, under a measured memory peak', async function () {
    const cli = path.join(REPO, 'dist', 'cli.js');
    // A preload that prints the child's peak RSS (VmHWM, every thread) when it exits.
    const preload = path.join(dir, 'hwm.js');
    fs.writeFileSync(preload, "process.on('exit', () => { try { const m = /VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8')); process.stderr.write('HWM ' + (m ? m[1] : '?') + '\\n'); } catch {} });\n");
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, ['-r', preload, cli, 'stores', dir, '--json'], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 }, (err, so, se) => {
        // exit code 1 = problems were found; a kill by the timeout is the hang
        if (err && (err as { killed?: boolean }).killed) reject(new Error(`stores did not end: ${se}`));
        else resolve({ stdout: so, stderr: se });
      });
    });
    const hwmKb = Number(/HWM (\d+)/.exec(stderr)?.[1]);
    const rows = (JSON.parse(stdout) as { stores: { path: string; kind: string; problems: { message: string }[] }[] }).stores;
    const byPath = new Map(rows.map((r) => [path.relative(dir, r.path), r]));
    assert.match(byPath.get('recursive-view/runs/r1/trace.db')?.problems[0]?.message ?? '', /table events is a view, not read/);
    assert.match(byPath.get('big-value/trace.db')?.problems[0]?.message ?? '', /over the 16 MB limit per value/);
    assert.match(byPath.get('fifo-journal/trace.db')?.problems[0]?.message ?? '', /trace\.db-journal: not read — a FIFO/);
    assert.match(byPath.get('fifo-wal/trace.db')?.problems[0]?.message ?? '', /trace\.db-wal: not read — a FIFO/);
    console.log(`      CLI stores over ${rows.length} hostile stores: peak RSS ${(hwmKb / 1024).toFixed(0)} MB`);
    assert.ok(hwmKb > 0 && hwmKb < 1536 * 1024, `peak RSS ${hwmKb} kB`);
  });
});
});
