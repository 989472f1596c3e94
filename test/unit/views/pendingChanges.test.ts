// Live refresh by file: the watcher's events between two refreshes, one per file (src/host/watch.ts).
import './statusBarStub';
import { strict as assert } from 'node:assert';
import { PendingChanges } from '../../../src/host/watch';

describe('PendingChanges', () => {
  it('keeps one event per file; a create or delete outranks a change; take() empties it', () => {
    const p = new PendingChanges();
    p.add({ kind: 'change', file: '/w/a.jsonl' });
    p.add({ kind: 'change', file: '/w/a.jsonl' });
    p.add({ kind: 'create', file: '/w/runs/r2' });
    p.add({ kind: 'change', file: '/w/runs/r2' });
    p.add({ kind: 'create', file: '/w/b.jsonl' });
    p.add({ kind: 'delete', file: '/w/b.jsonl' });
    assert.deepEqual(p.take(), [
      { file: '/w/a.jsonl', kind: 'change' },
      { file: '/w/runs/r2', kind: 'create' },
      { file: '/w/b.jsonl', kind: 'delete' },
    ]);
    assert.deepEqual(p.take(), []);
  });
});
