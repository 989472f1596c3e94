// The persisted index (src/core/read/index/persist.ts, issue 15 item 2): a second open restores
// what the cold index made from the cache and equals a cold load — model, rollups, events read
// back, malformed lines, counts, and what later refreshes do to it; an append is restored and only
// its new bytes are read; a truncated, rewritten or replaced file and a damaged cache are indexed
// cold again, never a crash.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../src/core/read/workspace';
import { decode, FORMAT_VERSION, hash32 } from '../../src/core/read/index/persist';
import { ensureBenchData } from '../../bench/gen';
import { workspaceDigest } from '../support/plainModel';
import { rollupRuns } from '../../src/core/analyze/rollup';
import { runStatus, runVerdictCounts } from '../../src/core/analyze/queries';

const DEMO = path.resolve('test/fixtures/demo-app');
const OTLP = path.resolve('test/fixtures/otlp');
const LATER = Date.UTC(2030, 0, 1);
const tmp = (p: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `flowlens-persist-${p}-`));
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmpdir(p: string): string {
  const d = tmp(p);
  dirs.push(d);
  return d;
}

const model = workspaceDigest;

interface Opened {
  ws: TraceWorkspace;
  notes: string[];
  /** Bytes the cold index reached (its progress), 0 when nothing was indexed cold. */
  indexed: number;
  /** A cache file (written or being written) was in the cache folder as the load resolved. */
  writing: boolean;
}

/** Open `root` (a folder, or one file) with the cache folder `cache` (undefined = no cache). */
async function open(root: string, cache: string | undefined, opts: WorkspaceOptions = {}, file = false, makeFlows = true): Promise<Opened> {
  const notes: string[] = [];
  let indexed = 0;
  const o: WorkspaceOptions = {
    now: () => LATER,
    // makeFlows false (the CLI's): the cache is written from flows still in columns.
    index: { minBytes: 0, workers: 0, makeFlows, onProgress: (p) => (indexed = Math.max(indexed, p.bytesDone)) },
    // The CLI's mode (makeFlows false) writes eagerly, as the CLI does (IndexCacheOptions.eager).
    ...(cache ? { indexCache: { dir: cache, eager: !makeFlows, log: (m: string) => notes.push(m) } } : {}),
    ...opts,
  };
  const ws = file ? TraceWorkspace.forFile(root, o) : new TraceWorkspace(root, o);
  await ws.load();
  // Whether a cache file (written, or being written) is there as the load resolves.
  const writing = cache !== undefined && fs.existsSync(cache) && fs.readdirSync(cache).some((f) => f.includes('.flidx'));
  await ws.cacheWritten();
  return { ws, notes, indexed, writing };
}

const restored = (o: Opened): number => o.notes.filter((n) => n.includes(': restored ')).length;
const notUsed = (o: Opened): string[] => o.notes.filter((n) => n.includes('not used'));
const cacheFiles = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.flidx')).map((f) => path.join(dir, f)) : []);

/** A rolling file with caps to hit, malformed lines, children before their parents, two runs. */
function rolling(lines: number, runs = ['r1', 'r2'], seed = 0): string {
  const out: string[] = [];
  for (const r of runs) out.push(JSON.stringify({ v: 1, event_type: 'session_start', run_id: r, timestamp: '2026-11-20T10:00:00Z', app: 'a', tags: ['x'], host: 'h' }));
  for (let i = 0; i < lines; i++) {
    const run = runs[i % runs.length];
    const n = i + seed;
    const fid = `f-${n % 50}`;
    const ts = `2026-11-20T10:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}Z`;
    const base = { v: 1, run_id: run, timestamp: ts, flow: `svc/op${n % 5}`, flow_id: fid };
    switch (n % 9) {
      case 0:
        // The parent is a later flow (children before parents), correlation and tags merged.
        out.push(JSON.stringify({ ...base, event_type: 'flow_start', parent_flow_id: `f-${(n + 7) % 50}`, correlation: { k: n % 4 }, tags: ['t', `u${n % 3}`] }));
        break;
      case 1:
        out.push(JSON.stringify({ ...base, event_type: 'checkpoint', step: `s${n % 2}`, evidence: { n } }));
        break;
      case 2:
        out.push('{"v": 1, "broken": ');
        break;
      case 3:
        out.push(JSON.stringify({ ...base, event_type: 'failure', class: 'DATA.EMPTY', message: 'no rows', severity: 'ERROR' }));
        break;
      case 4:
        out.push(JSON.stringify({ ...base, event_type: 'success', duration_ms: 30 + n, correlation: { other: 'x' } }));
        break;
      case 5:
        out.push(JSON.stringify({ ...base, event_type: 'exception', exception: { type: 'E', message: 'm', stack: [{ file: 'x.py', line: 3 }] } }));
        break;
      case 6:
        // A line the light scanner passes on whole (an escape in an id).
        out.push(JSON.stringify({ ...base, flow_id: `f-\u00e9${n % 3}`, event_type: 'log', step: 'esc\\aped' }));
        break;
      case 7:
        out.push(JSON.stringify({ v: 1, run_id: run, event_type: 'log', timestamp: 1e16, flow_id: fid }));
        break;
      default:
        out.push(JSON.stringify({ ...base, event_type: 'log', severity: 'warn' }));
    }
  }
  out.push(JSON.stringify({ v: 1, event_type: 'session_end', run_id: runs[0], timestamp: '2026-11-20T11:00:00Z', status: 'weird' }));
  return out.join('\n') + '\n';
}

describe('persisted index: the section checksum', () => {
  it('hash32 gives the values caches were written with (a changed hash would reject every cache on disk)', () => {
    // [bytes, hash32, hash32 seeded as hash64's second half, hash32 of the same bytes at an odd offset]
    // — the values of the function as it was before its pair loop moved to pairLanes (issue 15 round 9).
    const cases: [Buffer, number, number, number][] = [
      [Buffer.alloc(0), 2363205882, 3173804442, 2363205882],
      [Buffer.from('a'), 191615946, 42208120, 191615946],
      [Buffer.from('flowlens'), 4093838755, 1792620892, 811979513],
      [Buffer.from('0123456789abcdef0123'), 232994924, 1195933715, 1657961011],
      [Buffer.from('x'.repeat(1001)), 3116209300, 2680526260, 836350822],
    ];
    for (const [b, h, seeded, odd] of cases) {
      const aligned = Buffer.alloc(b.length + 8).subarray(8, 8 + b.length);
      b.copy(aligned);
      assert.equal(hash32(aligned), h, `${b.length} bytes`);
      assert.equal(hash32(aligned, 0x5bd1e995), seeded, `${b.length} bytes, seeded`);
      const unaligned = Buffer.alloc(b.length + 9).subarray(9, 9 + b.length);
      b.copy(unaligned);
      assert.equal(hash32(unaligned), odd, `${b.length} bytes at an odd offset`);
    }
    // A changed word changes the hash, in the pair loop and in the byte tail.
    const big = Buffer.from('y'.repeat(1001));
    const at = (i: number): number => {
      const c = Buffer.from(big);
      c[i] ^= 1;
      return hash32(c);
    };
    for (const i of [0, 7, 8, 500, 999, 1000]) assert.notEqual(at(i), hash32(big), `byte ${i}`);
  });
});

describe('persisted index: a second open restores the cold index', function () {
  this.timeout(120000);

  const cases: { name: string; root: () => string; opts?: WorkspaceOptions; file?: boolean; minRestored: number }[] = [
    { name: 'demo-app (v1 run folders, rolling copies skipped, 0.1, envelopes, esper)', root: () => DEMO, opts: { final: true }, minRestored: 2 },
    {
      name: 'a rolling file with caps, malformed lines, parents after children, timestamps out of range',
      root: () => {
        const root = tmpdir('roll');
        fs.mkdirSync(path.join(root, '.autodev'));
        fs.writeFileSync(path.join(root, '.autodev', 'trace.jsonl'), rolling(4000, ['r1', 'r2', 'r3']));
        return root;
      },
      opts: { maxEventsPerSource: 700 },
      minRestored: 1,
    },
    { name: 'the bench generator (20k lines, seed 1729)', root: () => ensureBenchData(tmpdir('gen'), 20000, 1729).root, minRestored: 1 },
    {
      name: 'OTLP JSON Lines (a record per span of a batch)',
      root: () => {
        const root = tmpdir('otlp');
        const f = path.join(root, 'spans.otlp.jsonl');
        fs.copyFileSync(path.join(OTLP, 'collector.otlp.jsonl'), f);
        return f;
      },
      file: true,
      opts: { final: true },
      minRestored: 1,
    },
  ];

  for (const c of cases) for (const makeFlows of [true, false]) {
    it(`${c.name}${makeFlows ? '' : ' — written from flows still in columns, eagerly (the CLI: no flow objects made, the file written during the load)'}`, async () => {
      const root = c.root();
      const cache = tmpdir('cache');
      const plain = await open(root, undefined, c.opts, c.file);
      const cold = await open(root, cache, c.opts, c.file, makeFlows);
      if (!makeFlows) {
        // The rollups read the columns (model/flowFacts.ts) and equal the plain read's, before the
        // flows are made (the model digest below makes them).
        assert.deepEqual(rollupRuns(cold.ws.runs()), rollupRuns(plain.ws.runs()));
        const facts = (ws: TraceWorkspace): unknown[] => ws.runs().map((r) => [r.id, runStatus(r), runVerdictCounts(r)]);
        assert.deepEqual(facts(cold.ws), facts(plain.ws));
      }
      assert.ok(cacheFiles(cache).length >= c.minRestored, `caches written: ${cold.notes.join('; ')}`);
      // Eager (makeFlows false, as the CLI): the file is being written when the load resolves;
      // otherwise it is written after.
      assert.equal(cold.writing, !makeFlows, 'the cache file exists as the load resolves');
      assert.deepEqual(model(cold.ws), model(plain.ws), 'a load that writes the cache is the same load');
      const warm = await open(root, cache, c.opts, c.file);
      assert.ok(restored(warm) >= c.minRestored, `restored: ${warm.notes.join('; ')}`);
      assert.deepEqual(notUsed(warm), []);
      assert.deepEqual(model(warm.ws), model(plain.ws));
      // Later refreshes see the same state: after the flows were read, and before (a restored
      // run's flows are made on first use; a refresh settles statuses before that).
      await plain.ws.refresh();
      await warm.ws.refresh();
      assert.deepEqual(model(warm.ws), model(plain.ws), 'after a refresh');
      const untouched = await open(root, cache, c.opts, c.file);
      // Flow counts are known before a restored run's flows are made (the Runs view asks them).
      assert.deepEqual(untouched.ws.runs().map((r) => [r.id, r.flows.size]), plain.ws.runs().map((r) => [r.id, r.flows.size]));
      await untouched.ws.refresh();
      assert.deepEqual(model(untouched.ws), model(plain.ws), 'refreshed before its flows were read');
    });
  }

  it('an appended file is restored and only its new bytes are read; the result equals a cold load of the whole file', async () => {
    const root = tmpdir('append');
    const file = path.join(root, '.autodev', 'trace.jsonl');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, rolling(3000));
    const cache = tmpdir('cache');
    await open(root, cache);
    const before = fs.statSync(file).size;
    fs.appendFileSync(file, rolling(800, ['r2', 'r9'], 3000));
    const warm = await open(root, cache);
    assert.equal(restored(warm), 1, warm.notes.join('; '));
    assert.equal(warm.indexed, 0, 'nothing indexed cold');
    assert.ok(warm.notes.some((n) => n.includes(`${fs.statSync(file).size - before} bytes after them are read now`)), warm.notes.join('; '));
    const plain = await open(root, undefined);
    assert.deepEqual(model(warm.ws), model(plain.ws));
    // And live: another append, refreshed on both.
    fs.appendFileSync(file, rolling(100, ['r9'], 5000));
    await warm.ws.refresh();
    await plain.ws.refresh();
    assert.deepEqual(model(warm.ws), model(plain.ws), 'after a live append');
  });

  for (const change of ['truncated', 'rewritten (same size)', 'replaced (new file)', 'rewritten in the middle'] as const) {
    it(`a ${change} file is indexed cold again`, async () => {
      const root = tmpdir('change');
      const file = path.join(root, '.autodev', 'trace.jsonl');
      fs.mkdirSync(path.dirname(file));
      const text = rolling(6000);
      fs.writeFileSync(file, text);
      const cache = tmpdir('cache');
      await open(root, cache);
      const size = Buffer.byteLength(text);
      if (change === 'truncated') fs.truncateSync(file, Math.floor(size / 2));
      else if (change === 'rewritten (same size)') fs.writeFileSync(file, text.replace(/"r1"/g, '"q1"'));
      else if (change === 'replaced (new file)') {
        fs.writeFileSync(file + '.new', text.replace(/"r2"/g, '"q2"'));
        fs.renameSync(file + '.new', file);
      } else {
        const b = Buffer.from(text);
        const mid = b.indexOf('"r1"', Math.floor(size / 2) + 100);
        b.write('"q1"', mid);
        const fd = fs.openSync(file, 'r+');
        fs.writeSync(fd, b, mid, 4, mid);
        fs.closeSync(fd);
      }
      const warm = await open(root, cache);
      assert.equal(restored(warm), 0, warm.notes.join('; '));
      assert.ok(warm.indexed > 0, 'indexed cold');
      const plain = await open(root, undefined);
      assert.deepEqual(model(warm.ws), model(plain.ws));
    });
  }

  it('a damaged cache (cut anywhere, any byte flipped) is a note and a cold index, never a crash', async () => {
    const root = tmpdir('damage');
    const file = path.join(root, '.autodev', 'trace.jsonl');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, rolling(2000));
    const cache = tmpdir('cache');
    await open(root, cache);
    const [cf] = cacheFiles(cache);
    const good = fs.readFileSync(cf);
    assert.equal(good.readUInt32LE(8), FORMAT_VERSION);
    await decode(good); // the intact cache decodes
    const plain = model((await open(root, undefined)).ws);
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let detected = 0;
    const trials = 60;
    for (let t = 0; t < trials; t++) {
      const bad = Buffer.from(good);
      let damaged: Buffer;
      if (t % 3 === 0) damaged = bad.subarray(0, rnd(bad.length));
      else {
        const at = t % 3 === 1 ? rnd(Math.min(bad.length, 4096)) : rnd(bad.length);
        bad[at] ^= 1 << rnd(8);
        damaged = bad;
      }
      fs.writeFileSync(cf, damaged);
      const o = await open(root, cache);
      if (restored(o) === 0) {
        detected++;
        assert.equal(notUsed(o).length, 1, o.notes.join('; '));
      }
      assert.deepEqual(model(o.ws), plain, `trial ${t}`);
      // The cold index wrote a good cache again; damage that one next.
    }
    // Only a flip in the padding between sections can go unnoticed (and changes nothing).
    assert.ok(detected >= trials - 3, `${detected} of ${trials} detected`);
  });

  it('keeps at most maxFiles caches, the most recently used', async () => {
    const cache = tmpdir('cache');
    const roots: string[] = [];
    for (let i = 0; i < 4; i++) {
      const root = tmpdir('lru');
      fs.mkdirSync(path.join(root, '.autodev'));
      fs.writeFileSync(path.join(root, '.autodev', 'trace.jsonl'), rolling(200 + i));
      roots.push(root);
      const ws = new TraceWorkspace(root, { now: () => LATER, index: { minBytes: 0, workers: 0 }, indexCache: { dir: cache, maxFiles: 2 } });
      await ws.load();
      await ws.cacheWritten();
      assert.ok(cacheFiles(cache).length <= 2);
    }
    assert.equal(cacheFiles(cache).length, 2);
  });
});
