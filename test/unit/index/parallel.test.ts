import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openFileEvents } from '../../../src/core/read/index/fileEvents';
import { EventList, MemoryEvents } from '../../../src/core/model/storage';
import { isFileBacked } from '../../support/storage';
import { findWorkerScript, indexFileParallel } from '../../../src/core/read/index/parallel';
import { KIND_LIGHT, scanRange, splitRanges, type ScanBatch } from '../../../src/core/read/index/scan';
import type { Run, TraceEvent } from '../../../src/core/model/types';
import { countEvents } from '../../../src/core/model/counts';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { plainEvent, plainRun } from '../../support/plainModel';
import { runsRedactor } from '../../../src/core/render/egress/secrets';

const DEMO = path.resolve('test/fixtures/demo-app');
const LATER = Date.UTC(2030, 0, 1);
/** Built by `npm run build` (esbuild.mjs); the worker tests are skipped without it. */
const WORKER = path.resolve('dist/indexWorker.js');

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-index-'));
}

function snapshot(ws: TraceWorkspace): unknown {
  return {
    runs: ws.runs().map(plainRun),
    malformed: ws.malformed(),
    problems: ws.problems(),
    sources: ws.sources(),
    envelopes: ws.envelopes.map(plainEvent),
  };
}

async function loadBoth(root: string, index: WorkspaceOptions['index'], opts: WorkspaceOptions = {}): Promise<[TraceWorkspace, TraceWorkspace]> {
  const seq = new TraceWorkspace(root, { now: () => LATER, index: false, ...opts });
  await seq.load();
  const par = new TraceWorkspace(root, { now: () => LATER, index, ...opts });
  await par.load();
  return [seq, par];
}

/** A rolling file with what readers must survive: CRLF, blank and broken lines, NaN, aliases, a BOM. */
function hostileRolling(lines: number): string {
  const out: string[] = ['\uFEFF' + JSON.stringify({ v: 1, event_type: 'session_start', run_id: 'r1', timestamp: '2026-11-20T10:00:00Z', app: 'a', tags: ['x'] })];
  for (let i = 0; i < lines; i++) {
    const run = i % 3 === 0 ? 'r2' : 'r1';
    const fid = `f-${i % 40}`;
    const base = { v: 1, run_id: run, timestamp: `2026-11-20T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`, flow: `svc/op${i % 5}`, flow_id: fid };
    switch (i % 11) {
      case 0:
        out.push(JSON.stringify({ ...base, event_type: 'flow_start', parent_flow_id: i % 7 ? `f-${(i + 3) % 40}` : undefined, correlation: { k: i % 4 }, tags: ['t', `u${i % 3}`] }));
        break;
      case 1:
        out.push(JSON.stringify({ ...base, type: 'checkpoint', step: 's1', evidence: { n: i } }) + '\r');
        break;
      case 2:
        out.push('');
        break;
      case 3:
        out.push('{"v": 1, "broken": ');
        break;
      case 4:
        out.push(JSON.stringify({ ...base, event_type: 'metric', name: 'lat', value: 1 }).replace('"value":1', '"value":NaN'));
        break;
      case 5:
        out.push(JSON.stringify({ ...base, event_type: 'failure', class: 'DATA.EMPTY', message: 'no rows', latency_ms: 12, severity: 'ERROR' }));
        break;
      case 6:
        out.push(JSON.stringify({ ...base, event_type: 'success', duration_ms: 30 + i, tags: 'a, b' }));
        break;
      case 7:
        out.push(JSON.stringify({ ...base, event_type: 'exception', exception: { type: 'E', message: 'm', stack: [{ file: 'x.py', line: 3 }] } }));
        break;
      case 8:
        out.push('[1, 2]');
        break;
      case 9:
        // Odd values: numeric ids, unusable tags/duration/correlation/type, an alias.
        out.push(JSON.stringify({ v: 1, run_id: i % 2 ? 7 : 'r1', event_type: i % 4 === 1 ? '' : 'log', timestamp: 1763632800 + i, flow_id: 40 + (i % 3), tags: { no: 1 }, duration_ms: 'x', correlation: [1], ...(i % 4 === 3 ? { ts: 5 } : {}) }));
        break;
      default:
        out.push(JSON.stringify({ ...base, event_type: 'log', step: `s${i % 2}`, severity: 'warn', extra_key: 'é' }));
    }
  }
  out.push(JSON.stringify({ v: 1, event_type: 'session_end', run_id: 'r1', timestamp: '2026-11-20T11:00:00Z', status: 'ok' }));
  return out.join('\n') + '\n';
}

describe('index: parallel index gives the same model as the sequential reader', function () {
  this.timeout(60000);

  it('the demo-app fixture (v1, 0.1, envelopes, esper), indexed on the calling thread', async () => {
    const [seq, par] = await loadBoth(DEMO, { minBytes: 0, workers: 0 }, { final: true });
    assert.ok(par.runs().some(isFileBacked));
    assert.deepEqual(snapshot(par), snapshot(seq));
  });

  it('a hostile rolling file, on the calling thread and with worker threads', async function () {
    const root = tmpdir();
    try {
      fs.mkdirSync(path.join(root, '.autodev'));
      fs.writeFileSync(path.join(root, '.autodev', 'trace.jsonl'), hostileRolling(3000) + '{"v": 1, "run_id": "r1", "event_type": "log"');
      for (const final of [false, true]) {
        const [seq, par] = await loadBoth(root, { minBytes: 0, workers: 0 }, { final });
        assert.ok(par.runs().every(isFileBacked));
        assert.deepEqual(snapshot(par), snapshot(seq), `same thread, final ${final}`);
        // The same thread with the WebAssembly line scanner (issue 15; a worker finds dist/scanner.wasm itself).
        process.env.FLOWLENS_INDEX_SCANNER = path.resolve('dist/scanner.wasm');
        try {
          const [, wasm] = await loadBoth(root, { minBytes: 0, workers: 0, batchRecords: 100 }, { final });
          assert.deepEqual(snapshot(wasm), snapshot(seq), `same thread, WASM scanner, final ${final}`);
        } finally {
          delete process.env.FLOWLENS_INDEX_SCANNER;
        }
        if (!fs.existsSync(WORKER)) continue;
        const [, w] = await loadBoth(root, { minBytes: 0, workers: 3, workerScript: WORKER }, { final });
        assert.deepEqual(snapshot(w), snapshot(seq), `workers, final ${final}`);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a caller with no UI (background: false) scans the first part itself while its worker scans the rest: the same model, hints included', async function () {
    if (!fs.existsSync(WORKER)) this.skip();
    this.timeout(120000);
    const root = tmpdir();
    try {
      fs.mkdirSync(path.join(root, '.autodev'));
      const file = path.join(root, '.autodev', 'trace.jsonl');
      // Over 16 MiB (parallel.ts LEAD_MIN_BYTES), with secret-bearing evidence on some lines.
      let text = hostileRolling(3000);
      const more: string[] = [];
      for (let i = 0, bytes = text.length; bytes < 17 * 2 ** 20; i++, bytes += more[more.length - 1].length + 1) {
        more.push(JSON.stringify({ v: 1, event_type: 'checkpoint', run_id: 'r1', flow_id: `g-${i % 5000}`, flow: 'svc/lead', step: 's', timestamp: '2026-11-20T11:00:00Z', evidence: i % 9 === 0 ? { api_key: `sv-${i % 7}-hunter2hunter2`, n: i } : { n: i } }));
      }
      text += '\n' + more.join('\n') + '\n';
      fs.writeFileSync(file, text);
      // The calling thread's part is read by the WebAssembly scanner too (canonical hints).
      process.env.FLOWLENS_INDEX_SCANNER = path.resolve('dist/scanner.wasm');
      try {
        const bases = new Set<number>();
        await indexFileParallel({ file, size: fs.statSync(file).size, final: true, workers: 1, workerScript: WORKER, background: false, hints: true, onBatch: (_b, _s, lineBase) => void bases.add(lineBase) });
        assert.ok(bases.has(0) && bases.size === 2, `two ranges (this thread's, then the worker's): line bases ${[...bases].join(', ')}`);
        const [seq, par] = await loadBoth(root, { minBytes: 0, workers: 1, workerScript: WORKER, background: false, hints: true }, { final: true });
        assert.deepEqual(snapshot(par), snapshot(seq));
        // The run-scoped redactor knows the same secrets (values under api_key, anywhere in the file).
        const probe = Array.from({ length: 7 }, (_, k) => `sv-${k}-hunter2hunter2`).join(' ');
        const out = (ws: TraceWorkspace): string => runsRedactor(ws.runs()).string(probe);
        assert.equal(out(par), out(seq), 'the run-scoped secrets');
        assert.ok(!out(par).includes('hunter2'), `every secret scrubbed: ${out(par)}`);
      } finally {
        delete process.env.FLOWLENS_INDEX_SCANNER;
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('appended lines after an index are tailed into the same runs and flows', async () => {
    const root = tmpdir();
    try {
      fs.mkdirSync(path.join(root, '.autodev'));
      const file = path.join(root, '.autodev', 'trace.jsonl');
      const text = hostileRolling(600);
      const cut = text.indexOf('\n', Math.floor(text.length / 2));
      fs.writeFileSync(file, text.slice(0, cut + 5)); // ends inside a line
      const seq = new TraceWorkspace(root, { now: () => LATER, index: false });
      const par = new TraceWorkspace(root, { now: () => LATER, index: { minBytes: 0, workers: 0 } });
      await seq.load();
      await par.load();
      fs.appendFileSync(file, text.slice(cut + 5));
      const a = await seq.refresh();
      const b = await par.refresh();
      assert.deepEqual([...b.runs].sort(), [...a.runs].sort());
      assert.deepEqual(snapshot(par), snapshot(seq));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('event counts of a run (indexed or not) are kept as it is built and equal countEvents(run.events)', async () => {
    const [seq, par] = await loadBoth(DEMO, { minBytes: 0, workers: 0 }, { final: true });
    for (const run of [...par.runs(), ...seq.runs()]) assert.deepEqual(run.counts, countEvents(run.events), run.id);
  });

  it('run.events reads only what it touches; an event read twice from a flow is the same object', async () => {
    const [, par] = await loadBoth(DEMO, { minBytes: 0, workers: 0 }, { final: true });
    const run = par.runs().find((r) => isFileBacked(r) && r.flows.size > 0) as Run;
    assert.ok(run);
    const n = run.events.length;
    const last = run.events.slice(-2);
    assert.equal(last.length, 2);
    assert.deepEqual(run.events.at(n - 1), last[1]);
    assert.deepEqual(run.events.at(-1), last[1]);
    const f = [...run.flows.values()][0];
    const e = f.events.at(0) as TraceEvent;
    assert.equal(f.events.at(0), e, 'the same object while held');
    assert.equal(f.events.indexOf(e), 0);
    assert.equal(f.steps[0].events[0], e);
    assert.equal(f.verdictEvent === undefined || f.events.includes(f.verdictEvent), true);
    assert.deepEqual([...run.events].length, n);
    assert.ok(run.events.some((x) => x.src.line === e.src.line));
    assert.deepEqual(JSON.parse(JSON.stringify(run.events)).length, n, 'serialises as an array');
  });
});

describe('event storage: one list over memory and file', () => {
  it('an EventList reads the same events from MemoryEvents and FileEvents', () => {
    const root = tmpdir();
    try {
      const file = path.join(root, 't.jsonl');
      const lines = ['{"v": 1, "run_id": "r", "event_type": "log", "step": "a"}', '{"v": 1, "run_id": "r", "event_type": "failure", "failure_class": "DATA.EMPTY"}'];
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const fileStore = openFileEvents(file);
      const mem = new MemoryEvents();
      const a = new EventList(fileStore, 'r', true);
      const b = new EventList(mem, 'r', true);
      let offset = 0;
      lines.forEach((l, i) => {
        a.push(fileStore.add(offset, Buffer.byteLength(l), i + 1));
        b.push(mem.keep(fileStore.event(i, 'r')));
        offset += Buffer.byteLength(l) + 1;
      });
      assert.deepEqual(a.map((e) => e.type), ['log', 'failure']);
      assert.deepEqual(b.slice(), a.slice());
      assert.deepEqual(countEvents(a), countEvents(b));
      assert.equal(a.at(5), undefined);
      assert.equal(b.find((e) => e.type === 'failure')?.failureClass, 'DATA.EMPTY');
      fileStore.close();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('index: progress and cancel', function () {
  this.timeout(60000);

  it('reports progress up to the file size, and a cancelled load rejects with AbortError', async () => {
    const root = tmpdir();
    try {
      fs.mkdirSync(path.join(root, '.autodev'));
      const file = path.join(root, '.autodev', 'trace.jsonl');
      fs.writeFileSync(file, hostileRolling(20000));
      const size = fs.statSync(file).size;
      const seen: number[] = [];
      const ws = new TraceWorkspace(root, { now: () => LATER, index: { minBytes: 0, workers: 0, onProgress: (p) => seen.push(p.bytesDone) } });
      await ws.load();
      assert.ok(seen.length > 0);
      assert.ok(seen.every((b, i) => b <= size && (i === 0 || b >= seen[i - 1])));
      const ac = new AbortController();
      const ws2 = new TraceWorkspace(root, { now: () => LATER, index: { minBytes: 0, workers: 0, onProgress: () => ac.abort() } });
      await assert.rejects(ws2.load({ signal: ac.signal }), (e: Error) => e.name === 'AbortError');
      // The workspace stays usable: a later load reads everything.
      await ws2.load();
      assert.equal(ws2.sources()[0].events, ws.sources()[0].events);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('index: a cancelled load keeps what it read', function () {
  this.timeout(60000);

  // The editor cancels from the progress notification while the status bar and views keep asking
  // for runs: what was merged before Cancel must show (issue 7), with statuses settled, and a later
  // refresh continues after it without reading anything twice.
  for (const workers of [0, 1]) {
    it(`shows the merged runs, settled, and a refresh reads the rest once (${workers ? 'worker' : 'in-thread'} scan)`, async () => {
      const root = tmpdir();
      try {
        fs.mkdirSync(path.join(root, '.autodev'));
        fs.writeFileSync(path.join(root, '.autodev', 'trace.jsonl'), hostileRolling(40000));
        const index = { minBytes: 0, workers, workerScript: WORKER };
        const whole = new TraceWorkspace(root, { now: () => LATER, index });
        await whole.load();
        const all = whole.sources()[0];

        const ac = new AbortController();
        let asked = 0;
        const ws = new TraceWorkspace(root, { now: () => LATER, index: { ...index, onProgress: () => ac.abort() } });
        const loading = ws.load({ signal: ac.signal });
        let settled = false;
        void loading.then(() => (settled = true), () => (settled = true));
        // Ask for runs while the load is under way, as the views and the status bar do.
        while (!settled) {
          ws.runs();
          asked++;
          await new Promise((r) => setImmediate(r));
        }
        await assert.rejects(loading, (e: Error) => e.name === 'AbortError');
        assert.ok(asked > 1, 'runs() was asked during the load');
        const part = ws.sources()[0];
        assert.ok(part.events > 0 && part.events < all.events, `read ${part.events} of ${all.events} events before Cancel`);
        assert.deepEqual(ws.runs().map((r) => r.id).sort(), ['7', 'r1', 'r2']);
        // Settled as of now: r1's session_end is the file's last line, so every run reads crashed.
        assert.deepEqual(ws.runs().map((r) => r.status), ['crashed', 'crashed', 'crashed']);

        await ws.refresh();
        assert.equal(ws.sources()[0].events, all.events);
        assert.equal(ws.sources()[0].malformed, all.malformed);
        const summary = (w: TraceWorkspace) => w.runs().map((r) => ({ id: r.id, flows: r.flows.size, counts: r.counts, status: r.status }));
        assert.deepEqual(summary(ws), summary(whole));
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  }
});

describe('index: the worker is background work', function () {
  this.timeout(60000);

  it('runs at lower CPU priority than the thread that merges (Linux: nice 10 on its own thread)', async function () {
    if (process.platform !== 'linux') this.skip();
    const script = findWorkerScript(WORKER);
    assert.ok(script, 'dist/indexWorker.js: run `npm run build` first');
    const root = tmpdir();
    try {
      const file = path.join(root, 't.jsonl');
      fs.writeFileSync(file, hostileRolling(20000));
      const niceOf = (task: string): number => {
        const stat = fs.readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      };
      let seen: number[] | undefined;
      await indexFileParallel({
        file, size: fs.statSync(file).size, final: true, workers: 1, workerScript: script, batchRecords: 1000,
        onBatch: () => {
          // While the worker is alive: the nice value of every thread of this process.
          seen ??= fs.readdirSync('/proc/self/task').map((t) => { try { return niceOf(t); } catch { return NaN; } });
        },
      });
      assert.ok(seen, 'no batch arrived');
      assert.equal(niceOf(String(process.pid)), 0, 'the merging thread keeps its priority');
      assert.ok(seen.includes(10), `a thread at nice 10 among ${JSON.stringify(seen)}`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('index: byte ranges', () => {
  it('each batch carries its own string table: ids index it, and a flow split across batches is named in both', async () => {
    const root = tmpdir();
    try {
      const file = path.join(root, 't.jsonl');
      fs.writeFileSync(file, hostileRolling(400));
      const size = fs.statSync(file).size;
      const batches: ScanBatch[] = [];
      await scanRange({ file, start: 0, end: size, final: true, batchRecords: 7 }, (b) => batches.push(b));
      assert.ok(batches.length > 10);
      // The flow id of every light record (raw ones carry their parsed object), from its own batch's
      // table, against the line itself.
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      let checked = 0;
      const batchesOf = new Map<string, Set<number>>();
      batches.forEach((b, k) => {
        for (const col of [b.type, b.run, b.flow, b.flowId, b.parent, b.step, b.failureClass, b.tags, b.corr]) {
          for (let i = 0; i < b.n; i++) if (b.kind[i] === KIND_LIGHT) assert.ok(col[i] >= -1 && col[i] < b.strings.length, `batch ${k}: id ${col[i]} of ${b.strings.length}`);
        }
        for (let i = 0; i < b.n; i++) {
          if (b.kind[i] !== KIND_LIGHT || b.flowId[i] < 0) continue;
          const id = b.strings[b.flowId[i]];
          const o = JSON.parse(lines[b.line[i] - 1].replace(/^\uFEFF/, '')) as { flow_id?: unknown };
          assert.equal(id, String(o.flow_id));
          checked++;
          const seen = batchesOf.get(id) ?? new Set<number>();
          seen.add(k);
          batchesOf.set(id, seen);
        }
      });
      assert.ok(checked > 100);
      assert.ok([...batchesOf.values()].some((s) => s.size > 1), 'some flow spans two batches');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('split on newlines, cover the file once, and index the same lines in any number of parts', async () => {
    const root = tmpdir();
    try {
      const file = path.join(root, 't.jsonl');
      fs.writeFileSync(file, hostileRolling(500));
      const size = fs.statSync(file).size;
      const text = fs.readFileSync(file);
      for (const parts of [1, 2, 3, 7, 50]) {
        const r = splitRanges(file, size, parts);
        assert.equal(r[0].start, 0);
        assert.equal(r[r.length - 1].end, size);
        for (let i = 1; i < r.length; i++) {
          assert.equal(r[i].start, r[i - 1].end);
          assert.equal(text[r[i].start - 1], 10);
        }
      }
      const script = findWorkerScript(WORKER);
      let batches = 0;
      const collect = async (workers: number, batchRecords?: number): Promise<string[]> => {
        const seen: string[] = [];
        await indexFileParallel({
          file, size, final: true, workers, workerScript: script, batchRecords,
          onBatch: async (b: ScanBatch, _s, base) => {
            batches++;
            // A slow consumer: workers must wait (back-pressure), not drop or reorder batches.
            if (batchRecords !== undefined && batches % 7 === 0) await new Promise((r) => setTimeout(r, 5));
            for (let i = 0; i < b.n; i++) seen.push(`${base + b.line[i]}@${b.offset[i]}+${b.len[i]}`);
            for (const m of b.malformed) seen.push(`bad ${base + m.line}`);
          },
        });
        return seen.sort();
      };
      const one = await collect(0);
      if (script) {
        assert.deepEqual(await collect(4), one);
        batches = 0;
        // Tiny batches: each worker posts far more than its in-flight window.
        assert.deepEqual(await collect(3, 5), one);
        assert.ok(batches > 3 * 8, `expected many batches, got ${batches}`);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a file-backed event storage reports an unreadable event instead of throwing when the file changed', () => {
    const root = tmpdir();
    try {
      const file = path.join(root, 't.jsonl');
      fs.writeFileSync(file, '{"v": 1, "run_id": "r", "event_type": "log"}\n');
      const store = openFileEvents(file);
      const ref = store.add(0, 44, 1);
      assert.equal(store.event(ref, 'r').type, 'log');
      const other = store.add(1000, 10, 2);
      assert.equal(store.event(other, 'r').type, 'unknown');
      store.close();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
