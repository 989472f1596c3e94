// Issue 16: a run row's description leads with its status, so the part a narrow sidebar cuts off
// is the time/app/count tail, not "crashed" or "1 failed"; and counts are singular for one.
import { strict as assert } from 'node:assert';
import type { Run } from '../../../src/core/model/types';
import { runDescription } from '../../../src/host/format';

const NOW = Date.parse('2026-11-20T12:00:00Z');
function run(status: string, verdicts: string[]): Run {
  const flows = new Map(verdicts.map((v, i) => [`f-${i}`, { id: `f-${i}`, verdict: v }]));
  return { started: NOW - 3 * 3600_000, flows, status, app: 'trader', mode: 'dev' } as unknown as Run;
}

describe('run row description (issue 16)', () => {
  it('puts the status first', () => {
    assert.equal(runDescription(run('failed', ['succeeded', 'failed', 'exception']), NOW), '1 failed · 1 exception · 3 h ago · trader · dev · 3 flows');
    assert.equal(runDescription(run('crashed', ['succeeded', 'orphaned']), NOW), 'crashed · 1 orphaned · 3 h ago · trader · dev · 2 flows');
    assert.equal(runDescription(run('running', ['running']), NOW), 'running · 3 h ago · trader · dev · 1 flow');
    assert.equal(runDescription(run('ok', ['succeeded', 'succeeded']), NOW), '3 h ago · trader · dev · 2 flows');
  });
});
