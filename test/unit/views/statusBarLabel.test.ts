// Issue 16: the status-bar item that reports a failing latest run says it is Flowlens's, and its
// tooltip counts read right ("1 exception", not "1 exceptions").
import { vs } from './statusBarStub';
import { strict as assert } from 'node:assert';
import { RunStatusBar } from '../../../src/host/statusBar/statusBar';
import type { TraceServices } from '../../../src/host/services';
import type { Run } from '../../../src/core/model/types';

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
