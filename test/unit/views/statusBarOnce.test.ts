// Live refresh: the status bar draws once per change. A refresh reports its problems to the log
// (a count event) and then announces the change, in one turn; both ask RunStatusBar to render.
import { vs } from './statusBarStub';
import { strict as assert } from 'node:assert';
import { RunStatusBar } from '../../../src/host/statusBar/statusBar';
import type { TraceServices } from '../../../src/host/services';

type Listener = () => void;
function emitter(): { event: (l: Listener) => { dispose(): void }; fire(): void } {
  const ls: Listener[] = [];
  return { event: (l) => (ls.push(l), { dispose: () => undefined }), fire: () => ls.forEach((l) => l()) };
}

describe('RunStatusBar: one render per change', () => {
  it('a log count change and the refresh event in one turn draw the item once', async () => {
    const window = vs.window as Record<string, unknown>;
    const prev = window.createStatusBarItem;
    window.createStatusBarItem = () => ({ show: () => undefined, hide: () => undefined, dispose: () => undefined });
    try {
      const changed = emitter();
      const count = emitter();
      const services = {
        workspaces: new Map(), onDidChange: changed.event, latestRun: () => undefined, allRuns: () => [],
        stopped: new Set(), loading: false, log: { count: () => 0, onDidChangeCount: count.event },
      } as unknown as TraceServices;
      const bar = new RunStatusBar(services);
      const before = bar.renders;
      count.fire();
      changed.fire();
      changed.fire();
      await Promise.resolve();
      assert.equal(bar.renders - before, 1);
      changed.fire();
      await Promise.resolve();
      assert.equal(bar.renders - before, 2, 'the next change draws again');
      bar.dispose();
      changed.fire();
      await Promise.resolve();
      assert.equal(bar.renders - before, 2, 'nothing after dispose');
    } finally {
      window.createStatusBarItem = prev;
    }
  });
});
