// The persisted index (issue 15, docs/decisions.md "Issue 15: warm reopen") in the real extension
// host: a v1 trace of ≥ 33 MiB (over DEFAULT_INDEX_MIN_BYTES, so it is indexed cold in a worker)
// is written as a new run folder of the test workspace; a full reload indexes it and must leave a
// cache file in the extension's globalStorage `index-cache` folder (services.ts passes
// `indexCache`); lines are then appended and a second full reload must restore the index from
// that cache (the Flowlens log says so, with the appended bytes) and tail only the new lines —
// the run then equals a cold read of the file. Afterwards the run folder and the cache files this
// suite made are removed and every folder re-read, for the test files that follow.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { pyDumps, TraceWriter } from '../../bench/gen';
import type { Run } from '../../src/core/model/types';
import { cachePath } from '../../src/core/read/index/persist';
import { TraceWorkspace } from '../../src/core/read/workspace';
import type { ViewsApi } from '../../src/extension';
import type { LogSink } from '../../src/host/log';
import { until } from '../support/until';

const EXTENSION_ID = 'flowlens.flowlens';
const RUN = 'idxcache-20260105-big';
/** Lines of the generated run: ~36.8 MB (~350 bytes a line), over the 33 MiB the test needs. */
const LINES = 105_000;
const MIN_BYTES = 33 * 1024 * 1024;
/** Flows appended after the first load (flow_start + verdict each), then a session_end. */
const APPENDED_FLOWS = 40;

/** What a surface shows of a run: compared between the extension's (restored) run and a cold read. */
function digest(run: Run): Record<string, unknown> {
  const flows = [...run.flows.values()];
  return {
    id: run.id, dialect: run.dialect, status: run.status, started: run.started, ended: run.ended,
    total: run.counts?.total, byType: run.counts?.byType, byFailureClass: run.counts?.byFailureClass,
    events: run.events.length, flows: flows.length, roots: run.roots.length,
    verdicts: flows.reduce<Record<string, number>>((m, f) => ((m[f.verdict] = (m[f.verdict] ?? 0) + 1), m), {}),
    malformed: run.malformed.length,
  };
}

describe('index cache: a large trace is indexed once, then restored from extension storage', function () {
  this.timeout(300000);
  let api: ViewsApi;
  let services: ViewsApi['services'] & { reload(): void; settled(): Promise<void>; indexCacheDir?: string };
  let folderKey: string;
  let runDir: string;
  let file: string;
  let cacheDir: string;
  let cacheBefore: Set<string> | undefined;
  let cacheFile: string;
  let sink: LogSink | undefined;
  const notes: string[] = [];
  let lines = 0;
  let size0 = 0;
  let appended = 0;

  const runOf = (): Run | undefined => services.workspaces.get(folderKey)?.getRun(RUN);
  const ourNotes = (): string[] => notes.filter((n) => n.startsWith('index cache:') && n.includes(RUN));

  /** A full re-read of every folder (new TraceWorkspaces, load() from scratch), waited for. */
  async function reload(what: string): Promise<void> {
    services.reload();
    await services.settled();
    await until(() => !services.loading, { timeout: 240000, what });
    // The cache is written after the load resolved (TraceWorkspace.cacheWritten never rejects).
    await services.workspaces.get(folderKey)?.cacheWritten();
  }

  before(async () => {
    api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as ViewsApi;
    services = api.services as typeof services;
    await api.services.ready;
    const dir = services.indexCacheDir;
    assert.ok(dir, 'the extension has a globalStorage folder for the index cache');
    cacheDir = dir;
    cacheBefore = fs.existsSync(cacheDir) ? new Set(fs.readdirSync(cacheDir)) : undefined;

    // Every line the Flowlens log gets (Output → Flowlens) is recorded too; the log's own sink still gets it.
    const log = api.log as unknown as { sink: LogSink };
    const orig = log.sink;
    sink = orig;
    log.sink = {
      info: (m) => { notes.push(m); orig.info(m); },
      warn: (m) => { notes.push(m); orig.warn(m); },
      error: (m) => { notes.push(m); orig.error(m); },
      show: (p) => orig.show(p),
      dispose: () => orig.dispose(),
    };

    const wsFolder = vscode.workspace.workspaceFolders![0];
    folderKey = wsFolder.uri.toString();
    runDir = path.join(wsFolder.uri.fsPath, '.autodev', 'runs', RUN);
    file = path.join(runDir, 'trace.jsonl');
    fs.rmSync(runDir, { recursive: true, force: true });
    fs.mkdirSync(runDir, { recursive: true });
    // A long run still being written (no session_end yet): the bench generator's lines, deterministic.
    const parts: string[] = [];
    lines = new TraceWriter(1515, (l) => parts.push(l)).run({ id: RUN, lines: LINES, start: Date.UTC(2026, 0, 5, 13, 30), crashed: true });
    fs.writeFileSync(file, parts.join(''));
    size0 = fs.statSync(file).size;
    assert.ok(size0 >= MIN_BYTES, `the trace is ${size0} bytes, under ${MIN_BYTES}`);
    const st = fs.statSync(file);
    cacheFile = cachePath(cacheDir, fs.realpathSync.native(file), st.dev, st.ino);
  });

  after(async () => {
    if (sink) (api.log as unknown as { sink: LogSink }).sink = sink;
    if (!runDir) return;
    fs.rmSync(runDir, { recursive: true, force: true });
    // The next test files count the demo runs: re-read every folder and wait for it.
    services.reload();
    await services.settled();
    await until(() => !services.loading && services.workspaces.get(folderKey) && !runOf(), { timeout: 120000, what: 'the folder to reload without the big run' });
    // The cache files this suite made (the folder as it was found).
    if (cacheDir && fs.existsSync(cacheDir)) {
      for (const n of fs.readdirSync(cacheDir)) if (!cacheBefore?.has(n)) fs.rmSync(path.join(cacheDir, n), { force: true });
      if (!cacheBefore && fs.readdirSync(cacheDir).length === 0) fs.rmdirSync(cacheDir);
    }
  });

  it('a full load indexes the big file cold, shows its run with every event and writes its cache to globalStorage/index-cache', async () => {
    assert.ok(!fs.existsSync(cacheFile), 'no cache of the new file yet');
    await reload('the first load of the big trace');
    const run = runOf();
    assert.ok(run, `run ${RUN} is read; notes: ${ourNotes().join(' | ')}`);
    assert.strictEqual(run.counts?.total, lines, 'every line is an event of the run');
    assert.strictEqual(run.events.length, lines);
    const node = api.runsProvider.getChildren(undefined).find((x) => x.kind === 'run' && x.runId === RUN);
    assert.ok(node, 'the run is shown in the Runs view');
    // What the views read at load (the Runs view's rows, the status bar, the Failures view, the
    // Test Explorer, diagnostics) reads the cold index's columns: the run's ~30k flow objects are
    // not made (core/read/workspace/options.ts `makeFlows`) ...
    const ws = services.workspaces.get(folderKey)!;
    assert.ok(api.failuresProvider.getChildren(undefined).length > 0, 'the Failures view lists failures');
    assert.ok(run.flows.size >= 20_000, `a run big enough to be made in slices (${run.flows.size} flows)`);
    assert.strictEqual(ws.flowsMade(RUN), false, 'no flow object made by the views at load');
    // ... until its tree is opened: made in slices meanwhile, with a row saying so, then shown.
    const first = api.runsProvider.getChildren(node);
    assert.strictEqual(first.length, 1);
    assert.match(first[0].kind === 'message' ? first[0].text : first[0].kind, /^Reading [\d,]+ flows…$/);
    await until(() => ws.flowsMade(RUN), { timeout: 60000, what: 'the run\'s flows to be made' });
    await until(() => api.runsProvider.getChildren(node).some((x) => x.kind === 'flow' || x.kind === 'group'), { timeout: 10000, what: 'the run\'s tree' });
    assert.ok(fs.existsSync(cacheFile), `a cache file ${path.basename(cacheFile)} in ${cacheDir}; in the folder: ${fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).join(', ') : '(none)'}; notes: ${ourNotes().join(' | ') || '(none)'}`);
    assert.ok(fs.statSync(cacheFile).size > 0);
    assert.deepStrictEqual(ourNotes().filter((n) => /not cached|not written|not used/.test(n)), []);
  });

  it('after lines are appended, a full reload restores the index from the cache, tails only the new lines and equals a cold read', async () => {
    assert.ok(fs.existsSync(cacheFile), 'the first test wrote the cache');
    const flowsBefore = runOf()!.flows.size;
    const t0 = Date.UTC(2026, 0, 6, 9);
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const out: string[] = [];
    for (let i = 0; i < APPENDED_FLOWS; i++) {
      const flow = 'orders/reconcile', flow_id = `tail-${String(i).padStart(3, '0')}`;
      out.push(pyDumps({ v: 1, event_type: 'flow_start', run_id: RUN, timestamp: at(i * 10), flow, flow_id, file: 'trader/orders.py', line: 40, function: 'reconcile', thread: 'MainThread' }));
      out.push(pyDumps(i % 10 === 3
        ? { v: 1, event_type: 'failure', run_id: RUN, timestamp: at(i * 10 + 5), flow, flow_id, step: 'match', failure_class: 'DATA.MISMATCH', severity: 'error', reason: `fill ${i} not found`, evidence: { i }, duration_ms: 5, file: 'trader/orders.py', line: 44, function: 'reconcile', thread: 'MainThread' }
        : { v: 1, event_type: 'success', run_id: RUN, timestamp: at(i * 10 + 5), flow, flow_id, step: 'match', reason: 'fill matched', evidence: { i }, duration_ms: 5, file: 'trader/orders.py', line: 48, function: 'reconcile', thread: 'MainThread' }));
    }
    out.push(pyDumps({ v: 1, event_type: 'session_end', run_id: RUN, timestamp: at(APPENDED_FLOWS * 10 + 10), status: 'failed', file: 'run_day.py', line: 36, function: 'main', thread: 'MainThread' }));
    const text = out.join('\n') + '\n';
    appended = Buffer.byteLength(text);
    fs.appendFileSync(file, text);
    notes.length = 0;

    await reload('the warm reload of the big trace');
    const restored = ourNotes().filter((n) => n.includes(': restored '));
    assert.strictEqual(restored.length, 1, `one restore note; notes: ${ourNotes().join(' | ') || '(none)'}`);
    assert.match(restored[0], new RegExp(`restored \\d+ records \\(${size0} bytes\\); ${appended} bytes after them are read now`));
    assert.deepStrictEqual(ourNotes().filter((n) => /not cached|not written|not used/.test(n)), []);

    const run = runOf();
    assert.ok(run, 'the run is read again');
    assert.strictEqual(run.counts?.total, lines + out.length, 'the restored events and the appended ones');
    assert.strictEqual(run.events.length, lines + out.length);
    assert.strictEqual(run.flows.size, flowsBefore + APPENDED_FLOWS);
    assert.strictEqual(run.status, 'failed', 'the appended session_end was read');
    assert.ok(api.runsProvider.getChildren(undefined).some((x) => x.kind === 'run' && x.runId === RUN), 'the run is shown in the Runs view');
    // What a cold read of the whole file gives (no index, no cache: the plain JSONL reader).
    const cold = TraceWorkspace.forFile(file, { index: false });
    await cold.load();
    const ref = cold.getRun(RUN);
    assert.ok(ref, 'the cold read has the run');
    assert.deepStrictEqual(digest(run), digest(ref));
  });
});
