// Issue 16: the status-bar item that reports a failing latest run says it is Flowlens's, and its
// tooltip counts read right ("1 exception", not "1 exceptions").
import { vs } from './statusBarStub';
import { strict as assert } from 'node:assert';
import { RunStatusBar } from '../../../src/host/statusBar/statusBar';
import type { TraceServices } from '../../../src/host/services';
import type { Run } from '../../../src/core/model/types';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import * as path from 'node:path';

describe('RunStatusBar: the failure item is labelled (issue 16)', () => {
  it('shows "Flowlens: 2 failed" for a failing latest run, with singular counts in the tooltip', () => {
    const window = vs.window as Record<string, unknown>;
    const prev = window.createStatusBarItem;
    const item: Record<string, unknown> = { show: () => undefined, hide: () => undefined, dispose: () => undefined };
    window.createStatusBarItem = () => item;
    try {
      const flows = new Map(['succeeded', 'failed', 'exception'].map((v, i) => [`f-${i}`, { id: `f-${i}`, verdict: v, events: [] }]));
      const run = { id: 'r1', started: Date.now() - 60_000, flows, status: 'failed', app: 'trader', events: [] } as unknown as Run;
      const services = {
        workspaces: new Map(), onDidChange: () => ({ dispose: () => undefined }), latestRun: () => ({ run, folderKey: 'k' }), allRuns: () => [{ run, folderKey: 'k' }],
        stopped: new Set(), loading: false,
      } as unknown as TraceServices;
      const bar = new RunStatusBar(services);
      assert.equal(bar.text, '$(error) Flowlens: 2 failed');
      const tip = item.tooltip as { value: string };
      assert.match(tip.value, /1 exception,/);
      assert.doesNotMatch(tip.value, /1 exceptions/);
      bar.dispose();
    } finally {
      window.createStatusBarItem = prev;
    }
  });
});

describe('RunStatusBar: runs without flows and folders without runs (issue 16)', () => {
  const fixtures = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

  /** The status bar over the real workspace at `root` (read with the core), its text and tooltip. */
  async function barFor(root: string): Promise<{ text: string; tooltip: string; command: unknown }> {
    const ws = new TraceWorkspace(root, { now: () => Date.UTC(2030, 0, 1), final: true });
    await ws.load();
    const window = vs.window as Record<string, unknown>;
    const prev = window.createStatusBarItem;
    const item: Record<string, unknown> = { show: () => undefined, hide: () => undefined, dispose: () => undefined };
    window.createStatusBarItem = () => item;
    try {
      const runs = ws.runs();
      const esper = runs.filter(r => r.flows.size === 0 && r.status === 'failed');
      const latest = esper[0] ?? runs[0];
      const services = {
        workspaces: new Map([['k', ws]]), onDidChange: () => ({ dispose: () => undefined }),
        latestRun: () => (latest ? { run: latest, folderKey: 'k' } : undefined), allRuns: () => runs.map(run => ({ run, folderKey: 'k' })),
        stopped: new Set(), loading: false,
      } as unknown as TraceServices;
      const bar = new RunStatusBar(services);
      const tip = item.tooltip as string | { value: string };
      const out = { text: bar.text, tooltip: typeof tip === 'string' ? tip : tip.value, command: item.command };
      bar.dispose();
      return out;
    } finally {
      window.createStatusBarItem = prev;
    }
  }

  it('counts the error events of an esper-lite run (no flows) as failures: "Flowlens: 3 failures"', async () => {
    const { text } = await barFor(path.join(fixtures, 'stores'));
    assert.equal(text, '$(error) Flowlens: 3 failures');
  });

  it('says "telemetry" (not "no trace") in a folder with only Grain/Assay queues, and clicks to the Telemetry view', async () => {
    const { text, tooltip, command } = await barFor(path.join(fixtures, 'queue-only'));
    assert.equal(text, '$(pulse) Flowlens: telemetry');
    assert.match(tooltip, /Telemetry view/);
    assert.equal(command, 'flowlens.showTelemetry');
  });
});
