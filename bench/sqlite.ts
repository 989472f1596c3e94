/**
 * SQLite bench (issue "SQLite stores"): open + the standard Pulse rollup queries on a 1M-row
 * (~200 MB) Pulse store in WAL mode, sql.js (through openStore + pulseStoreRollup) against the
 * native sqlite3 CLI running the same SQL on the same file in the same run, and the sql.js
 * process's peak RSS against the file size. The sql.js side runs in a child process so its
 * peak RSS is its own. Standalone: `node dist/bench/sqlite.js [--quick]`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getSqlJs } from '../src/core/read/sqlite/engine';
import { listTables } from '../src/core/read/sqlite/detect';
import { openStore, storeSignature } from '../src/core/read/sqlite/open';
import { PULSE_BOUNDS_SQL, pulseQueries, pulseRollupChunks, pulseStoreRollup, rowidChunks } from '../src/core/read/sqlite/pulseStore';

export interface SqliteBenchRow {
  name: string;
  measured: number;
  baseline: number;
  ratio: number;
  target: number;
  pass: boolean;
  unit?: string;
  note?: string;
}

const GEN = String.raw`
import json, os, random, shutil, sqlite3, sys, datetime as dt
path, total, tail = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
R = random.Random(20261122)
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
reasons = ['packet_required', 'clean_tree', 'phase_has_no_tasks', 'task_planning_required', 'project_complete']
def rows(a, b):
    t = T0 + dt.timedelta(seconds=a * 7)
    for i in range(a, b):
        t += dt.timedelta(seconds=7)
        phase = str(R.choice([29, 30, 31, 32]))
        k = R.choices(['task.close', 'suggest.accept', 'workflow.next.stop_reason', 'phase.close', 'verification.completed'], [40, 10, 25, 5, 20])[0]
        if k == 'task.close': p = {'task_id': 'T-%s-%07d' % (phase, i), 'quick': R.random() < 0.3}
        elif k == 'suggest.accept': p = {'proposal_id': 'SUG-%07d' % i, 'kind': R.choice(['refactor', 'test', 'doc'])}
        elif k == 'workflow.next.stop_reason': p = {'stop_reason': R.choice(reasons), 'phase': phase}
        elif k == 'phase.close': p = {'phase': phase, 'tasks_done': R.randint(3, 12)}
        else:
            n = R.randint(4, 9); ok = n if R.random() < 0.7 else R.randint(0, n - 1)
            p = {'run_id': 'AR-%07d' % i, 'target': R.choice(['grain', 'pulse', 'assay']), 'passed': ok == n, 'checks_total': n, 'checks_passed': ok}
        ts = t.isoformat(timespec='microseconds')
        yield (k, 2 if i % 5000 == 0 else 1, ts, json.dumps(p), 'drain:.grain/telemetry_queue.jsonl' if k != 'verification.completed' else 'http', ts)
tmp = '%s.%d.tmp' % (path, os.getpid())
c = sqlite3.connect(tmp, isolation_level=None)
c.execute('PRAGMA journal_mode=OFF'); c.execute('PRAGMA synchronous=OFF')
c.execute('CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, event_type TEXT NOT NULL, version INTEGER NOT NULL, timestamp TEXT NOT NULL, payload TEXT NOT NULL, source TEXT NOT NULL DEFAULT \'http\', received_at TEXT NOT NULL)')
c.execute('BEGIN')
c.executemany('INSERT INTO events(event_type, version, timestamp, payload, source, received_at) VALUES (?,?,?,?,?,?)', rows(0, total - tail))
c.execute('COMMIT')
c.execute('CREATE INDEX idx_events_type_ts ON events(event_type, timestamp)')
c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0'); c.execute('PRAGMA synchronous=NORMAL')
for a in range(total - tail, total, 1000):
    c.execute('BEGIN')
    c.executemany('INSERT INTO events(event_type, version, timestamp, payload, source, received_at) VALUES (?,?,?,?,?,?)', rows(a, min(total, a + 1000)))
    c.execute('COMMIT')
# copy while the writer still holds the database open: the last rows live only in the WAL
shutil.copy(tmp, tmp + '.db'); shutil.copy(tmp + '-wal', tmp + '.db-wal')
c.close()
for s in ('', '-wal', '-shm'):
    if os.path.exists(tmp + s): os.remove(tmp + s)
for s in ('-shm', '.ok'):
    if os.path.exists(path + s): os.remove(path + s)
os.replace(tmp + '.db-wal', path + '-wal'); os.replace(tmp + '.db', path)
open(path + '.ok', 'w').write(str(total))
`;

function repoRoot(): string {
  let d = __dirname;
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    d = path.dirname(d);
  }
  return process.cwd();
}

/**
 * Build (once, cached in bench/data/ with a `.ok` marker) a Pulse store with `rows` rows, the last
 * 10,000 only in its -wal. Generated under a per-process name and renamed into place, so two
 * bench runs at once do not clobber each other.
 */
export function ensureSqliteStore(rows: number, log: (s: string) => void): string {
  const dir = path.join(repoRoot(), 'bench', 'data');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `pulse-${rows}.db`);
  const ok = file + '.ok';
  if (fs.existsSync(ok) && fs.readFileSync(ok, 'utf8') === String(rows) && fs.existsSync(file + '-wal')) return file;
  const t = Date.now();
  log(`sqlite: generating ${rows.toLocaleString('en-US')}-row Pulse store (WAL mode) in ${file} …`);
  execFileSync('python3', ['-c', GEN, file, String(rows), String(Math.min(10000, Math.floor(rows / 10)))], { stdio: 'inherit' });
  log(`sqlite: generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return file;
}

interface ChildOut {
  /** CPU (user + system) spent on open + queries. */
  cpuMs: number;
  initMs: number;
  openMs: number;
  queryMs: number;
  rows: number;
  framesApplied: number;
  /** Rowid chunks the rollup query ran in. */
  chunks: number;
  maxRssKb: number;
}

/** Child side: open + rollups once, report timings and peak RSS. */
async function child(file: string): Promise<void> {
  const t0 = performance.now();
  await getSqlJs();
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const r = await openStore(file, { memoryCapBytes: 4 * 1024 * 1024 * 1024 });
  if (!r.ok) throw new Error(r.error.message);
  const t2 = performance.now();
  const tables = listTables(r.store.db);
  const rollup = pulseStoreRollup(r.store.db, file, tables.find((t) => t.name === 'events'));
  const t3 = performance.now();
  const cpu = process.cpuUsage(c1);
  const framesApplied = r.store.wal?.framesApplied ?? 0;
  const chunks = pulseRollupChunks(r.store.db, tables.find((t) => t.name === 'events')).length;
  r.store.close();
  const out: ChildOut = {
    cpuMs: (cpu.user + cpu.system) / 1000,
    initMs: t1 - t0,
    openMs: t2 - t1,
    queryMs: t3 - t2,
    rows: rollup.total,
    framesApplied,
    chunks,
    maxRssKb: process.resourceUsage().maxRSS,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function runChild(file: string): ChildOut {
  const res = spawnSync(process.execPath, [__filename, '--child', file], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`sqlite bench child failed: ${res.stderr || res.stdout}`);
  return JSON.parse(res.stdout.trim().split('\n').pop() as string) as ChildOut;
}

/**
 * The statements pulseStoreRollup runs, in its order: the rowid bounds, the rollup once per rowid
 * chunk, then `recent`. The bounds are read from the file first (untimed) with the CLI itself.
 */
function cliStatements(file: string): string[] {
  const res = spawnSync('sqlite3', ['-readonly', file], { input: PULSE_BOUNDS_SQL.map((q) => q + ';').join('\n') + '\n', encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`sqlite3 failed: ${res.stderr}`);
  const [lo, hi, n] = res.stdout.trim().split('\n').map(Number);
  const ranges = rowidChunks(lo, hi, n);
  const q = pulseQueries(true);
  return [PULSE_BOUNDS_SQL[2], ...(ranges.length > 1 ? PULSE_BOUNDS_SQL.slice(0, 2) : []), ...ranges.map((r) => pulseQueries(true, undefined, false, true, r).rollup), q.recent];
}

/** The same rollup SQL on the native sqlite3 CLI (read-only: it must not checkpoint the bench file). */
function runCli(file: string, statements: string[]): { ms: number; cpuMs: number; rows: number } {
  const sql = statements.map((q) => q + ';').join('\n');
  const t = performance.now();
  const res = spawnSync('sqlite3', ['-readonly', file], {
    input: `SELECT count(*) FROM events;\n.timer on\n${sql}\n`,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - t;
  if (res.status !== 0) throw new Error(`sqlite3 failed: ${res.stderr}`);
  let cpuMs = 0;
  for (const m of res.stdout.matchAll(/Run Time: real [\d.]+ user ([\d.]+) sys ([\d.]+)/g)) cpuMs += (Number(m[1]) + Number(m[2])) * 1000;
  return { ms, cpuMs, rows: Number(res.stdout.split('\n')[0]) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Bench rows for bench/bench.ts (and standalone). `quick` uses a 100k-row store and one repetition. */
export async function benchSqlite(opts: { quick: boolean; log: (line: string) => void }): Promise<SqliteBenchRow[]> {
  const { log } = opts;
  const n = opts.quick ? 100_000 : 1_000_000;
  const reps = opts.quick ? 1 : 3;
  const file = ensureSqliteStore(n, log);
  const fileBytes = fs.statSync(file).size + fs.statSync(file + '-wal').size;
  const fileMb = fileBytes / 1024 / 1024;
  const sig = storeSignature(file);

  const cliRuns: { ms: number; cpuMs: number; rows: number }[] = [];
  const jsRuns: ChildOut[] = [];
  const statements = cliStatements(file);
  for (let i = 0; i < reps; i++) {
    cliRuns.push(runCli(file, statements));
    jsRuns.push(runChild(file));
  }
  if (storeSignature(file) !== sig) log('sqlite: warning: the bench store changed during the run');
  const cliMs = median(cliRuns.map((r) => r.ms));
  const cliCpu = median(cliRuns.map((r) => r.cpuMs));
  const jsCpu = median(jsRuns.map((r) => r.cpuMs));
  const load = os.loadavg()[0];
  const jsMs = median(jsRuns.map((r) => r.openMs + r.queryMs));
  const js = jsRuns[jsRuns.length - 1];
  const peakMb = Math.max(...jsRuns.map((r) => r.maxRssKb)) / 1024;
  log(`sqlite: ${n} rows, ${fileMb.toFixed(0)} MB: sql.js ${jsMs.toFixed(0)} ms (open ${js.openMs.toFixed(0)} + queries ${js.queryMs.toFixed(0)}), sqlite3 CLI ${cliMs.toFixed(0)} ms, peak RSS ${peakMb.toFixed(0)} MB`);
  const rowsOk = js.rows === n && cliRuns.every((r) => r.rows === n);
  const ratio = jsMs / cliMs;
  return [
    {
      name: `sqlite: open + Pulse rollups, ${n.toLocaleString('en-US')} rows (sql.js vs sqlite3 CLI)`,
      measured: jsMs,
      baseline: cliMs,
      ratio,
      target: 2.0,
      pass: ratio <= 2.0 && rowsOk,
      unit: 'ms',
      note: `median of ${reps}; ${fileMb.toFixed(0)} MB incl. -wal (${js.framesApplied} WAL frames applied); rollup query in ${js.chunks} rowid chunk(s), the CLI runs the same ${statements.length} statements; sql.js open ${js.openMs.toFixed(0)} ms + queries ${js.queryMs.toFixed(0)} ms, engine init ${js.initMs.toFixed(0)} ms (once per process, not counted); CLI time includes its process start; CPU: sql.js ${jsCpu.toFixed(0)} ms vs sqlite3 ${cliCpu.toFixed(0)} ms (queries only) = ${(jsCpu / cliCpu).toFixed(2)}×; load average ${load.toFixed(1)} on ${os.cpus().length} cores; rows seen ${js.rows}/${n}${rowsOk ? '' : ' MISMATCH'}`,
    },
    {
      name: 'sqlite: sql.js peak RSS vs store size (child process)',
      measured: peakMb,
      baseline: fileMb,
      ratio: peakMb / fileMb,
      target: (fileMb + 150) / fileMb,
      pass: peakMb <= fileMb + 150,
      unit: 'MB',
      note: `target: peak RSS ≤ file size + 150 MB (${(fileMb + 150).toFixed(0)} MB); includes Node's own baseline`,
    },
  ];
}

if (require.main === module) {
  if (process.argv[2] === '--child') {
    child(process.argv[3]).catch((e: unknown) => {
      process.stderr.write(String((e as Error)?.stack ?? e) + '\n');
      process.exitCode = 1;
    });
  } else {
    benchSqlite({ quick: process.argv.includes('--quick'), log: (l) => process.stdout.write(l + '\n') }).then(
      (rows) => {
        for (const r of rows) {
          process.stdout.write(`${r.pass ? 'PASS' : 'FAIL'}  ${r.name}: ${r.measured.toFixed(1)} ${r.unit ?? ''} vs ${r.baseline.toFixed(1)} (ratio ${r.ratio.toFixed(2)}, target ${r.target.toFixed(2)})\n      ${r.note ?? ''}\n`);
        }
      },
      (e: unknown) => {
        process.stderr.write(String((e as Error)?.stack ?? e) + '\n');
        process.exitCode = 1;
      },
    );
  }
}
