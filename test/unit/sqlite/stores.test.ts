import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pulseRollup } from '../../../src/core/model/pulse';
import { findStores, readFlowscribeDb, readStore, readStores, formatStoreReports } from '../../../src/core/read/sqlite/stores';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { cli, copyStore, FIXTURES, py, snapshot, tmpDir } from './helpers';

const STORES = path.join(FIXTURES, 'stores');
/** Rollup records are null-prototype objects (keys are store data); compare their contents. */
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const RUNS = path.join(FIXTURES, 'demo-app', 'runs');

/** Pulse rollups recomputed in Python from the raw rows (formats.md §3 rules). */
const PULSE_EXPECTED = String.raw`
import sqlite3, sys, json, datetime as dt
c = sqlite3.connect(sys.argv[1])
rows = c.execute('SELECT event_type, version, timestamp, payload, source FROM events').fetchall()
ms = lambda ts: int(round(dt.datetime.fromisoformat(ts).timestamp() * 1000))
out = {'total': len(rows), 'byType': {}, 'bySource': {}, 'phases': {}, 'stopReasons': {}, 'unsupported': {},
       'overall': [0, 0], 'byTarget': {}, 'byDay': {}}
def bump(d, k, n=1): d[k] = d.get(k, 0) + n
def ph(name): return out['phases'].setdefault(name, {'phase': name, 'closes': 0, 'tasksDone': 0, 'taskCloses': 0})
for t, v, ts, p, src in rows:
    bump(out['byType'], t); bump(out['bySource'], src if src is not None else 'unknown')
    if isinstance(v, (int, float)) and v > 1:
        bump(out['unsupported'], '%s|%s' % (t, v)); continue
    p = json.loads(p)
    if not isinstance(p, dict): continue
    if t == 'phase.close' and isinstance(p.get('phase'), str):
        x = ph(p['phase']); x['closes'] += 1
        if isinstance(p.get('tasks_done'), (int, float)) and not isinstance(p.get('tasks_done'), bool): x['tasksDone'] += p['tasks_done']
        x['firstClosedAt'] = min(x.get('firstClosedAt', ms(ts)), ms(ts)); x['lastClosedAt'] = max(x.get('lastClosedAt', ms(ts)), ms(ts))
    elif t == 'task.close':
        ph(p['phase'] if isinstance(p.get('phase'), str) else '')['taskCloses'] += 1
    elif t == 'workflow.next.stop_reason' and isinstance(p.get('stop_reason'), str):
        bump(out['stopReasons'], p['stop_reason'])
    elif t == 'verification.completed' and isinstance(p.get('passed'), bool):
        ok = 1 if p['passed'] else 0
        out['overall'][0] += 1; out['overall'][1] += ok
        if isinstance(p.get('target'), str):
            a = out['byTarget'].setdefault(p['target'], [0, 0]); a[0] += 1; a[1] += ok
        day = dt.datetime.fromisoformat(ts).astimezone(dt.timezone.utc).date().isoformat()
        a = out['byDay'].setdefault(day, [0, 0]); a[0] += 1; a[1] += ok
print(json.dumps(out))
`;

/** Sovereignty figures recomputed in Python: layer from metadata_json.layer, window from parsed times. */
const SOV_EXPECTED = String.raw`
import sqlite3, sys, json, datetime as dt
c = sqlite3.connect(sys.argv[1])
lo = float(sys.argv[2]) if len(sys.argv) > 2 else None; hi = float(sys.argv[3]) if len(sys.argv) > 3 else None
ms = lambda ts: dt.datetime.fromisoformat(ts).timestamp() * 1000
rows = [(ms(ts), t, s, json.loads(m) if m else {}) for ts, t, s, m in c.execute('SELECT timestamp, event_type, session_id, metadata_json FROM events')]
if lo is not None: rows = [r for r in rows if lo <= r[0] <= hi]
sovereign = {'perception_cache_hit', 'decision_rule_hit', 'narration_template'}
layers = {}
for t, e, s, m in rows:
    if 'layer' in m and e.split('_')[0] == m['layer']:
        a = layers.setdefault(m['layer'], [0, 0]); a[1] += 1; a[0] += e in sovereign
usd = sum(m.get('usd', 0) for t, e, s, m in rows if e == 'api_cost')
t0 = lo if lo is not None else min(r[0] for r in rows); t1 = hi if hi is not None else max(r[0] for r in rows)
skills = {}
for s, in c.execute('SELECT session_id FROM sessions'): skills[s] = 0
for t, e, s, m in c.execute('SELECT timestamp, event_type, session_id, metadata_json FROM events'):
    if e == 'skill_crystallized': skills[s] = skills.get(s, 0) + 1
live = [s for s, in c.execute('SELECT session_id FROM sessions WHERE end_time IS NULL')]
calls = sum(1 for r in rows if r[1] == 'api_call')
print(json.dumps({'layers': layers, 'usd': usd, 'hours': (t1 - t0) / 3600000, 'skills': skills, 'live': live, 'calls': calls}))
`;

describe('sqlite/stores: shared fixtures and adapters', function () {
  this.timeout(30000);
  let dir: string;
  before(() => (dir = tmpDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('Pulse (fixtures/stores/pulse.db, WAL mode)', () => {
    it('shows 240 rows (WAL applied), never 200, and writes nothing next to the fixture', async () => {
      const before = snapshot(STORES);
      const r = await readStore(path.join(STORES, 'pulse.db'), { includeEvents: true });
      assert.deepEqual(snapshot(STORES), before);
      assert.deepEqual(r.problems, []);
      assert.equal(r.kind, 'pulse');
      assert.equal(r.walApplied, true);
      const copy = copyStore(path.join(STORES, 'pulse.db'), fs.mkdtempSync(path.join(dir, 'p-')));
      const [{ n }] = cli<{ n: number }>(copy, 'SELECT count(*) AS n FROM events');
      assert.equal(n, 240);
      assert.equal(r.rows, 240);
      assert.equal(r.events?.length, 240);
      assert.equal(r.sizeBytes, fs.statSync(path.join(STORES, 'pulse.db')).size + fs.statSync(path.join(STORES, 'pulse.db-wal')).size);
    });

    it('rollups match an independent Python computation and the reference pulseRollup', async () => {
      const copy = copyStore(path.join(STORES, 'pulse.db'), fs.mkdtempSync(path.join(dir, 'p-')));
      const want = JSON.parse(py(PULSE_EXPECTED, copy));
      const r = await readStore(path.join(STORES, 'pulse.db'), { includeEvents: true });
      const p = r.rollups?.pulse;
      assert.ok(p);
      assert.equal(p.total, want.total);
      assert.deepEqual(plain(p.byType), want.byType);
      assert.deepEqual(plain(p.bySource), want.bySource);
      assert.deepEqual(plain(p.stopReasons), want.stopReasons);
      assert.deepEqual(
        Object.fromEntries(p.unsupported.map((u) => [`${u.type}|${u.version}`, u.count])),
        want.unsupported,
      );
      assert.deepEqual(p.phases, Object.values(want.phases).sort((a: any, b: any) => (a.phase < b.phase ? -1 : 1)));
      assert.deepEqual([p.verification.overall.total, p.verification.overall.passed], want.overall);
      assert.deepEqual(
        Object.fromEntries(Object.entries(p.verification.byTarget).map(([k, v]) => [k, [v.total, v.passed]])),
        want.byTarget,
      );
      assert.deepEqual(Object.fromEntries(p.verification.byDay.map((d) => [d.day, [d.total, d.passed]])), want.byDay);
      // same figures as the in-memory reference implementation over the same rows
      const ref = pulseRollup(r.events ?? []);
      assert.deepEqual(plain({ ...p, recent: p.recent.map((e) => e.src.line) }), plain({ ...ref, recent: ref.recent.map((e) => e.src.line) }));
      const newest = cli<{ id: number }>(copy, 'SELECT id FROM events ORDER BY timestamp DESC, id DESC LIMIT 20').map((x) => x.id).reverse();
      assert.deepEqual(p.recent.map((e) => e.src.line), newest);
      assert.equal(p.recent[0].dialect, 'envelope');
    });
  });

  it('Pulse rollups survive odd payloads (not JSON, arrays, wrong types, no source) like the reference', async () => {
    const f = path.join(dir, 'odd-pulse.db');
    const want = JSON.parse(
      py(
        PULSE_EXPECTED.replace("p = json.loads(p)", "try:\n        p = json.loads(p)\n    except ValueError:\n        continue").replace(
          "c = sqlite3.connect(sys.argv[1])",
          String.raw`c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE events (id INTEGER PRIMARY KEY, event_type TEXT, version INTEGER, timestamp TEXT, payload TEXT, source TEXT)')
rows = [('phase.close', 1, '2026-11-20T08:00:00+00:00', '{"phase": "7", "tasks_done": 4}', 'a'),
        ('phase.close', 1, '2026-11-20T09:30:00+00:00', '{"phase": "7", "tasks_done": true}', None),
        ('phase.close', 1, '2026-11-20T10:00:00+00:00', '{"phase": 7, "tasks_done": 3}', 'a'),
        ('task.close', 1, '2026-11-20T10:00:01+00:00', '[1, 2]', 'a'),
        ('task.close', 1, '2026-11-20T10:00:02+00:00', '{"task_id": "x", "phase": "7"}', 'a'),
        ('task.close', 1, '2026-11-20T10:00:03+00:00', ' {"task_id": "y"}', 'a'),
        ('task.close', 3, '2026-11-20T10:00:04+00:00', '{"phase": "9"}', 'a'),
        ('workflow.next.stop_reason', 1, '2026-11-20T10:00:05+00:00', '{not json', 'b'),
        ('workflow.next.stop_reason', 1, '2026-11-20T10:00:06+00:00', '{"stop_reason": "clean_tree"}', 'b'),
        ('verification.completed', 1, '2026-11-20T23:59:59-01:00', '{"target": "grain", "passed": true}', 'http'),
        ('verification.completed', 1, '2026-11-21T00:00:00Z', '{"target": 5, "passed": false}', 'http'),
        ('verification.completed', 1, '2026-11-21T00:00:00Z', '{"target": "grain", "passed": 1}', 'http')]
c.executemany('INSERT INTO events(event_type, version, timestamp, payload, source) VALUES (?,?,?,?,?)', rows)
c.commit()`,
        ),
        f,
      ),
    );
    const r = await readStore(f, { includeEvents: true });
    assert.deepEqual(r.problems, []);
    assert.equal(r.kind, 'pulse');
    const p = r.rollups?.pulse;
    assert.ok(p);
    assert.deepEqual(plain(p.byType), want.byType);
    assert.deepEqual(plain(p.bySource), want.bySource);
    assert.deepEqual(plain(p.stopReasons), want.stopReasons);
    assert.deepEqual(p.phases, Object.values(want.phases).sort((a: any, b: any) => (a.phase < b.phase ? -1 : 1)));
    assert.deepEqual([p.verification.overall.total, p.verification.overall.passed], want.overall);
    assert.deepEqual(Object.fromEntries(p.verification.byDay.map((d) => [d.day, [d.total, d.passed]])), want.byDay);
    const ref = pulseRollup(r.events ?? []);
    assert.deepEqual(plain({ ...p, recent: p.recent.map((e) => e.src.line) }), plain({ ...ref, recent: ref.recent.map((e) => e.src.line) }));
  });

  it('sovereignty metrics match an independent Python computation (whole range and a window)', async () => {
    const file = path.join(STORES, 'sovereignty_metrics.db');
    const check = async (window?: { fromMs: number; toMs: number }): Promise<void> => {
      const want = JSON.parse(py(SOV_EXPECTED, file, ...(window ? [String(window.fromMs), String(window.toMs)] : [])));
      const r = await readStore(file, { window });
      assert.equal(r.kind, 'sovereignty');
      const s = r.rollups?.sovereignty;
      assert.ok(s);
      for (const l of s.layers) {
        const [sov, total] = want.layers[l.layer] ?? [0, 0];
        assert.equal(l.sovereign, sov, l.layer);
        assert.equal(l.total, total, l.layer);
        assert.ok(Math.abs((l.percent ?? 0) - (100 * sov) / total) < 1e-9);
      }
      assert.ok(Math.abs(s.costUsd - want.usd) < 1e-9);
      assert.ok(Math.abs(s.window.hours - want.hours) < 1e-6, `${s.window.hours} vs ${want.hours}`);
      assert.ok(Math.abs((s.costPerHour ?? 0) - want.usd / want.hours) < 1e-6);
      assert.equal(s.apiCalls, want.calls);
      assert.deepEqual(Object.fromEntries(s.sessions.map((x) => [x.sessionId, x.skillsCrystallized])), want.skills);
      assert.deepEqual(s.liveSessions, want.live);
    };
    await check();
    const [{ a, b }] = cli<{ a: string; b: string }>(file, "SELECT start_time AS a, end_time AS b FROM sessions WHERE session_id = 'sess-01'");
    await check({ fromMs: Date.parse(a), toMs: Date.parse(b) });
  });

  it('brainstem figures match the sqlite3 CLI', async () => {
    const file = path.join(STORES, 'brainstem.sqlite3');
    const r = await readStore(file);
    assert.equal(r.kind, 'brainstem');
    const b = r.rollups?.brainstem;
    assert.ok(b);
    const q = <T>(sql: string): T[] => cli<T>(file, sql);
    assert.deepEqual(plain(b.byStatus), Object.fromEntries(q<{ k: string; n: number }>('SELECT status AS k, count(*) AS n FROM raw_envelopes GROUP BY 1').map((x) => [x.k, x.n])));
    assert.deepEqual(plain(b.bySource), Object.fromEntries(q<{ k: string; n: number }>('SELECT source_type AS k, count(*) AS n FROM raw_envelopes GROUP BY 1').map((x) => [x.k, x.n])));
    const fails = q<{ status: string; reason: string; n: number }>(
      "SELECT status, failure_reason AS reason, count(*) AS n FROM raw_envelopes WHERE status IN ('parse_failed','unsupported') GROUP BY 1, 2",
    );
    assert.deepEqual(
      b.failureReasons.map((f) => [f.status, f.reason, f.count]).sort(),
      fails.map((f) => [f.status, f.reason, f.n]).sort(),
    );
    assert.equal(b.failuresTotal, fails.reduce((a, f) => a + f.n, 0));
    assert.equal(b.failures.length, Math.min(50, b.failuresTotal));
    const sigs = q<{ k: string; n: number }>('SELECT signature_key AS k, occurrence_count AS n FROM signatures ORDER BY n DESC, id LIMIT 10');
    assert.deepEqual(b.topSignatures.map((s) => [s.key, s.occurrences]), sigs.map((s) => [s.k, s.n]));
    const bands = q<{ k: string; n: number }>('SELECT decision_band AS k, count(*) AS n FROM candidates GROUP BY 1');
    assert.deepEqual(Object.fromEntries(b.candidatesByBand.map((x) => [x.band, x.count])), Object.fromEntries(bands.map((x) => [x.k, x.n])));
    assert.equal(b.canonicalEvents, q<{ n: number }>('SELECT count(*) AS n FROM canonical_events')[0].n);
  });

  it('flowscribe sink trace.db in every demo run folder gives the same events as its trace.jsonl', async () => {
    const runs = fs.readdirSync(RUNS).filter((d) => fs.existsSync(path.join(RUNS, d, 'trace.db')));
    assert.ok(runs.length >= 5);
    for (const run of runs) {
      const db = path.join(RUNS, run, 'trace.db');
      const r = await readFlowscribeDb(db);
      assert.equal(r.error, undefined);
      assert.deepEqual(r.malformed, []);
      const raw = cli<{ id: number; event_type: string; event_data: string }>(db, 'SELECT id, event_type, event_data FROM events ORDER BY id');
      assert.equal(r.events.length, raw.length, run);
      r.events.forEach((e, i) => {
        const obj = JSON.parse(raw[i].event_data);
        assert.equal(e.src.line, raw[i].id);
        assert.equal(e.src.file, db);
        assert.equal(e.type, raw[i].event_type);
        assert.equal(e.flowId, obj.flow_id);
        assert.equal(e.step, obj.step);
        assert.deepEqual(e.evidence, obj.evidence);
        assert.equal(e.tsRaw, obj.timestamp);
      });
      const jsonl = path.join(RUNS, run, 'trace.jsonl');
      if (fs.existsSync(jsonl)) {
        const lines = fs.readFileSync(jsonl, 'utf8').split('\n').filter((l) => l.trim());
        assert.deepEqual(
          r.events.map((e) => [e.type, e.flowId, e.line]),
          lines.map((l) => JSON.parse(l)).map((o) => [o.event_type, o.flow_id, o.line]).slice(0, r.events.length),
        );
      }
    }
  });

  it('older flowscribe layout: comma-joined tags, Python-repr evidence parsed, unparseable kept raw', async () => {
    const f = path.join(dir, 'legacy.db');
    const want = JSON.parse(
      py(
        String.raw`
import sqlite3, sys, json, datetime
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT, event_type TEXT, flow_id TEXT, step TEXT, tags TEXT, evidence TEXT, data TEXT)')
rows = [
  ('2026-11-18T09:00:00.035000', 'checkpoint', 'f-1', 'calendar', 'premarket,daily', {'market_day': True, 'date': '2026-11-18'}, {}),
  ('2026-11-18T09:00:01', 'failure', 'f-1', 'fetch', 'data', {'cls': 'DATA.MISSING', 'reason': "only 12 rows", 'n': 12, 'ratio': 0.25, 'x': None}, {'rows': [1, 2]}),
  ('2026-11-18T09:00:02', 'success', 'f-2', 'done', '', {'when': datetime.datetime(2026, 11, 18, 9, 0)}, None),
]
for ts, t, fid, step, tags, ev, data in rows:
    c.execute('INSERT INTO events(timestamp, event_type, flow_id, step, tags, evidence, data) VALUES (?,?,?,?,?,?,?)', (ts, t, fid, step, tags, repr(ev), repr(data) if data is not None else None))
c.commit()
print(json.dumps([{'type': t, 'flow': fid, 'tags': [x for x in tags.split(',') if x], 'evidence': json.loads(json.dumps(ev, default=str)) if t != 'success' else repr(ev), 'data': data} for ts, t, fid, step, tags, ev, data in rows]))
`,
        f,
      ),
    );
    const r = await readFlowscribeDb(f);
    assert.equal(r.error, undefined);
    assert.equal(r.events.length, 3);
    r.events.forEach((e, i) => {
      assert.equal(e.type, want[i].type);
      assert.equal(e.flowId, want[i].flow);
      assert.deepEqual(e.tags, want[i].tags);
      assert.deepEqual(e.evidence, want[i].evidence);
      if (want[i].data !== null) assert.deepEqual(e.data, want[i].data);
      assert.equal(e.src.line, i + 1);
    });
    assert.equal(r.events[1].failureClass, 'DATA.MISSING');
    assert.equal(r.events[1].reason, 'only 12 rows');
    const rep = await readStore(f);
    assert.equal(rep.kind, 'flowscribe-legacy');
  });

  it('malformed sink rows are kept as Malformed with their rowid', async () => {
    const f = path.join(dir, 'sink.db');
    py(
      String.raw`
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, event_type TEXT, event_data TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)')
for t, d in [('checkpoint', '{"event_type": "checkpoint", "flow_id": "a", "step": "s", "evidence": {"v": NaN}, "data": {}}'), ('x', '{not json'), ('y', '[1, 2]'), ('z', None)]:
    c.execute('INSERT INTO events(event_type, event_data) VALUES (?, ?)', (t, d))
c.commit()
`,
      f,
    );
    const r = await readFlowscribeDb(f);
    assert.equal(r.events.length, 1);
    assert.ok(Number.isNaN((r.events[0].evidence as { v: number }).v));
    assert.deepEqual(r.malformed.map((m) => m.line), [2, 3, 4]);
    assert.ok(r.malformed.every((m) => m.file === f && /events row \d/.test(m.reason)));
  });

  describe('generic stores', () => {
    let f: string;
    let want: { ts: string; kind: string; run: string; msg: string; file: string; line: number; body: unknown }[];
    before(() => {
      f = path.join(dir, 'app_telemetry.sqlite');
      want = JSON.parse(
        py(
          String.raw`
import sqlite3, sys, json
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE logs (ts TEXT, kind TEXT, run TEXT, msg TEXT, src_file TEXT, src_line INTEGER, body TEXT, extra_col TEXT)')
c.execute('CREATE TABLE other (a, b)')
c.executemany('INSERT INTO other VALUES (?, ?)', [(i, i) for i in range(7)])
rows = [('2026-11-20T08:00:0%dZ' % i, 'tick' if i % 2 else 'tock', 'r-%d' % (i // 3), 'message %d' % i, 'app/mod.py', 10 + i, json.dumps({'i': i}), 'e%d' % i) for i in range(6)]
c.executemany('INSERT INTO logs VALUES (?,?,?,?,?,?,?,?)', rows)
c.commit()
print(json.dumps([dict(ts=r[0], kind=r[1], run=r[2], msg=r[3], file=r[4], line=r[5], body=json.loads(r[6])) for r in rows]))
`,
          f,
        ),
      );
    });

    it('without a mapping: listed with its tables and row counts', async () => {
      const r = await readStore(f);
      assert.equal(r.kind, 'generic');
      const counts = Object.fromEntries(['logs', 'other'].map((t) => [t, cli<{ n: number }>(f, `SELECT count(*) AS n FROM ${t}`)[0].n]));
      assert.deepEqual(Object.fromEntries((r.tables ?? []).map((t) => [t.name, t.rows])), counts);
      assert.equal(r.rows, counts.logs + counts.other);
      assert.match(formatStoreReports([r]), /table logs: 6 rows/);
    });

    it('with a mapping: rows become generic TraceEvents', async () => {
      const mapping = { match: '**/*.sqlite', table: 'logs', timestamp: 'ts', type: 'kind', run: 'run', message: 'msg', file: 'src_file', line: 'src_line', payload: 'body' };
      const r = await readStore(f, { mappings: [mapping], includeEvents: true });
      assert.deepEqual(r.problems, []);
      assert.equal(r.rows, want.length);
      const ev = r.events ?? [];
      assert.equal(ev.length, want.length);
      ev.forEach((e, i) => {
        assert.equal(e.dialect, 'generic');
        assert.equal(e.type, want[i].kind);
        assert.equal(e.ts, Date.parse(want[i].ts));
        assert.equal(e.runId, want[i].run);
        assert.equal(e.message, want[i].msg);
        assert.equal(e.file, want[i].file);
        assert.equal(e.line, want[i].line);
        assert.deepEqual(e.payload, want[i].body);
        assert.equal(e.extra.extra_col, `e${i}`);
        assert.equal(e.src.line, i + 1);
      });
    });

    it('a mapping naming a missing column is a located unrecognised-schema problem', async () => {
      const r = await readStore(f, { mappings: [{ table: 'logs', timestamp: 'ts', type: 'level' }] });
      assert.equal(r.problems.length, 1);
      assert.equal(r.problems[0].kind, 'unrecognised-schema');
      assert.equal(r.problems[0].table, 'logs');
      assert.match(r.problems[0].message, /"level"/);
    });
  });

  it('readStores lists every store under a folder with kind, rows and WAL status', async () => {
    const reports = await readStores(STORES);
    const byName = Object.fromEntries(reports.map((r) => [path.basename(r.path), r]));
    assert.deepEqual(Object.keys(byName).sort(), ['brainstem.sqlite3', 'pulse.db', 'sovereignty_metrics.db']);
    assert.equal(byName['pulse.db'].rows, 240);
    assert.equal(byName['pulse.db'].walApplied, true);
    assert.equal(byName['brainstem.sqlite3'].walApplied, false);
    const text = formatStoreReports(reports);
    assert.match(text, /pulse\.db {2}pulse {2}240 rows {2}WAL applied/);
    JSON.parse(JSON.stringify(reports)); // --json must serialise
  });

  it('the CLI finds the stores the workspace discovers (one definition: a .db3 store too, node_modules skipped, by name not by header)', async () => {
    const dir = tmpDir();
    try {
      fs.mkdirSync(path.join(dir, 'data', 'deep'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'node_modules', 'x'), { recursive: true });
      copyStore(path.join(STORES, 'pulse.db'), path.join(dir, 'data'));
      fs.copyFileSync(path.join(STORES, 'brainstem.sqlite3'), path.join(dir, 'data', 'deep', 'brain.db3'));
      fs.copyFileSync(path.join(STORES, 'brainstem.sqlite3'), path.join(dir, 'node_modules', 'x', 'dep.db'));
      fs.copyFileSync(path.join(STORES, 'brainstem.sqlite3'), path.join(dir, 'data', 'noext'));
      const ws = new TraceWorkspace(dir);
      await ws.load();
      const discovered = ws.sources().filter((s) => s.kind === 'sqlite' || s.kind === 'trace-db').map((s) => s.file).sort();
      const rel = (f: string) => path.relative(dir, f).split(path.sep).join('/');
      assert.deepEqual(findStores(dir).map(rel), ['data/deep/brain.db3', 'data/pulse.db']);
      assert.deepEqual(findStores(dir), discovered);
      assert.deepEqual((await readStores(dir)).map((r) => r.kind), ['brainstem', 'pulse']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
