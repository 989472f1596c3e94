// Flows in the Test Explorer (issue 16 "Beyond"), in the real extension host on the demo workspace:
// the Flowlens test controller's items are the demo's flow names as a tree on '/', the latest run
// is published as a test run (b7d2 v1: f-0008 data/fetch/minute_candles fails DATA.EMPTY at
// trader/data/fetcher.py:15; f-0007 indicators/ema/compute raises KeyError at trader/indicators.py:22),
// the setting turns the controller off and on, and a 10,000-flow run is published without blocking the host.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { until } from '../support/until';
import type { FlowlensApi } from '../../src/extension';
import type { FlowNode, Run, TraceEvent } from '../../src/core/model/types';
import { FlowTests, type PublishedRun } from '../../src/host/testing/flowTests';
import type { TraceServices } from '../../src/host/services';

const EXTENSION_ID = 'flowlens.flowlens';

describe('flows in the Test Explorer', function () {
  this.timeout(90000);
  let api: FlowlensApi;
  let RUN: string;
  let folderKey: string;
  let root: string;

  before(async () => {
    api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as FlowlensApi;
    await api.services.ready;
    const ref = api.services.allRuns().find((r) => r.run.id.includes('b7d2') && r.run.dialect === 'flowscribe-v1');
    assert.ok(ref, 'the v1 b7d2 run is loaded');
    RUN = ref.run.id;
    folderKey = ref.folderKey;
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  });

  it('has one test item per flow name, as a tree split on "/", located at the flow in the code', async () => {
    const tests = await until(() => api.testing.tests, { what: 'the Flowlens test controller' });
    await tests.idle();
    const ids = tests.itemIds();
    for (const id of ['data', 'data/fetch', 'data/fetch/minute_candles', 'indicators/ema/compute', 'orders/submit', 'premarket/prepare'])
      assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    const c = tests.controller;
    assert.strictEqual(c.id, 'flowlens');
    assert.strictEqual(c.label, 'Flowlens flows');
    const leaf = c.items.get('data')?.children.get('data/fetch')?.children.get('data/fetch/minute_candles');
    assert.ok(leaf, 'data › fetch › minute_candles');
    assert.strictEqual(leaf.label, 'minute_candles');
    assert.strictEqual(leaf.uri?.fsPath, path.join(root, 'trader', 'data', 'fetcher.py'));
    assert.strictEqual(leaf.range?.start.line, 6, 'the flow_start line (fetcher.py:7)');
  });

  describe('with the b7d2 run as the latest', () => {
    let latestFile: string;
    let saved: string | undefined;

    before(async () => {
      latestFile = path.join(root, '.autodev', 'latest');
      saved = fs.existsSync(latestFile) ? fs.readFileSync(latestFile, 'utf8') : undefined;
      fs.writeFileSync(latestFile, `runs/${RUN}`);
      await api.services.refresh(folderKey);
      await until(() => api.services.latestRun(folderKey)?.run.id === RUN || undefined, { what: 'b7d2 as the latest run' });
    });

    after(async () => {
      if (saved === undefined) fs.rmSync(latestFile, { force: true });
      else fs.writeFileSync(latestFile, saved);
      await api.services.refresh(folderKey);
    });

    const published = (): Promise<PublishedRun> => until(() => {
      const p = api.testing.tests?.lastPublished(folderKey);
      return p?.runId === RUN && p.ended ? p : undefined;
    }, { what: () => `a published test run of ${RUN} (last: ${api.testing.tests?.lastPublished(folderKey)?.runId})` });

    it('publishes the latest run as a test run: passes with durations, the failure located at fetcher.py:15 with a stack from the verdict', async () => {
      const p = await published();
      assert.strictEqual(p.name, RUN);
      const pass = p.results.get('premarket/prepare');
      assert.strictEqual(pass?.state, 'passed');
      assert.ok(typeof pass.durationMs === 'number' && pass.durationMs > 0, String(pass.durationMs));

      const failed = p.results.get('data/fetch/minute_candles');
      assert.strictEqual(failed?.state, 'failed', 'one of three instances failed: the flow name failed');
      assert.strictEqual(failed.messages.length, 1);
      const m = failed.messages[0];
      const fetcher = vscode.Uri.file(path.join(root, 'trader', 'data', 'fetcher.py')).toString();
      assert.deepStrictEqual(m.location, { uri: fetcher, line: 14 }, 'the failing event is at trader/data/fetcher.py:15');
      const lines = m.text.split('\n');
      assert.strictEqual(lines[0], 'DATA.EMPTY · vendor returned 0 rows for NVDA', 'the first line is the peek title: plain, no Markdown escapes');
      assert.strictEqual(lines[1], `flow data/fetch/minute_candles (f-0008) · run ${RUN} · step validate · 690 ms`);
      assert.match(lines[2], /^evidence: \{ "rows": 0, "ticker": "NVDA", "http_status": 200 \}$/);
      assert.deepStrictEqual(m.stack[0], { label: 'fetch_minute_candles (failure)', uri: fetcher, line: 14 });
    });

    it('an exception is an errored test whose stack is the verdict then the exception frames, innermost first', async () => {
      const p = await published();
      const r = p.results.get('indicators/ema/compute');
      assert.strictEqual(r?.state, 'errored');
      const m = r.messages[0];
      const indicators = vscode.Uri.file(path.join(root, 'trader', 'indicators.py')).toString();
      assert.deepStrictEqual(m.location, { uri: indicators, line: 21 });
      assert.strictEqual(m.text.split('\n')[0], "DATA.MISSING_COLUMN · KeyError: 'ema_21'");
      assert.deepStrictEqual(m.stack, [
        { label: '<dictcomp> (exception)', uri: indicators, line: 21 },
        { label: 'compute', uri: indicators, line: 21 },
      ]);
    });

    it('Run re-reads the latest run from disk and publishes it again', async () => {
      const tests = api.testing.tests!;
      const before = tests.lastPublished(folderKey);
      const next = new Promise<PublishedRun>((resolve) => { const d = tests.onDidPublish((p) => { if (p !== before && p.ended) { d.dispose(); resolve(p); } }); });
      await vscode.commands.executeCommand('testing.runAll');
      const p = await Promise.race([next, new Promise<undefined>((r) => setTimeout(() => r(undefined), 30000))]);
      assert.ok(p, 'a new test run after Run All');
      assert.strictEqual(p.runId, RUN);
      assert.strictEqual(p.results.get('data/fetch/minute_candles')?.state, 'failed');
    });
  });

  it('flowlens.testExplorer.enabled off removes the controller, on brings it back', async () => {
    const conf = vscode.workspace.getConfiguration('flowlens');
    await conf.update('testExplorer.enabled', false, vscode.ConfigurationTarget.Workspace);
    try {
      await until(() => api.testing.tests === undefined, { what: 'the controller gone' });
    } finally {
      await conf.update('testExplorer.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
    const tests = await until(() => api.testing.tests, { what: 'the controller back' });
    await tests.idle();
    assert.ok(tests.itemIds().includes('data/fetch/minute_candles'));
  });

  it('publishes a 10,000-flow run in chunks without blocking the extension host', async () => {
    const run = bigRun(10_000);
    const emitter = new vscode.EventEmitter<{ folderKey: string; runIds: string[]; structural: boolean }>();
    const fake = {
      workspaces: new Map([['big', { runs: () => [run], catalog: undefined }]]),
      onDidChange: emitter.event,
      latestRun: () => ({ folderKey: 'big', run }),
      folder: () => undefined,
      resolveFile: () => ({ tried: [] }),
      refresh: async () => {},
    } as unknown as TraceServices;
    let worst = 0;
    let last = performance.now();
    const timer = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now; }, 5);
    const tests = new FlowTests(fake, { id: 'flowlens-big-test', label: 'big' });
    try {
      const p = await new Promise<PublishedRun>((resolve) => tests.onDidPublish(resolve));
      assert.strictEqual(p.results.size, 10_000);
      assert.strictEqual([...p.results.values()].filter((r) => r.state === 'failed').length, 100);
      // The controller's own work is split into turns of the event loop, none long. (The longest
      // stall of a 5 ms timer is logged, not asserted: on the shared 2-core CI machine it also
      // measures other processes and VS Code's own flush of the item diff.)
      const st = tests.sliceStats;
      // Absolute times depend on the machine's load (a load average of 14 on 2 cores was seen), so the
      // check is relative: no one slice is a large part of the work.
      console.log(`      10,000 flows: ${st.slices} slices, longest ${st.longestMs.toFixed(0)} ms of ${st.totalMs.toFixed(0)} ms; longest timer stall ${worst.toFixed(0)} ms`);
      assert.ok(st.slices >= 40, `${st.slices} slices: items and results are published in chunks of 500`);
      assert.ok(st.longestMs < st.totalMs / 4, `a slice held the host for ${st.longestMs.toFixed(0)} of ${st.totalMs.toFixed(0)} ms`);
    } finally {
      clearInterval(timer);
      tests.dispose();
      emitter.dispose();
    }
  });
});

/** A synthetic run: `n` flows named big/gNN/flow-N, every 100th failing. */
function bigRun(n: number): Run {
  const flows = new Map<string, FlowNode>();
  for (let i = 0; i < n; i++) {
    const id = `f-${i}`;
    const fail = i % 100 === 0;
    const ev = { dialect: 'flowscribe-v1', type: fail ? 'failure' : 'success', tags: [], extra: {}, src: { file: 'big.jsonl', line: i + 1 }, reason: fail ? 'boom' : undefined, file: 'app.py', line: 3, flowId: id } as TraceEvent;
    flows.set(id, { id, name: `big/g${i % 50}/flow-${i}`, displayName: `flow-${i}`, runId: 'big', children: [], events: [ev], steps: [], verdict: fail ? 'failed' : 'succeeded', verdictEvent: ev, durationMs: 5, correlation: {}, tags: [] });
  }
  return { id: 'big', dialect: 'flowscribe-v1', sources: [], primarySource: '', tags: [], status: 'ok', flows, roots: [...flows.values()], events: [], malformed: [], notes: [], started: 1 } as unknown as Run;
}
