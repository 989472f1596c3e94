import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { askFileNames, describeWritten } from '../../src/core/render/askFiles';

describe('ask hand-off files (issue 16: say exactly what is written where)', () => {
  it('writes ask.md, summary.md and copilot_init.md, or ask.md alone with writeOnlyAskMd', () => {
    assert.deepEqual(askFileNames(), ['ask.md', 'summary.md', 'copilot_init.md']);
    assert.deepEqual(askFileNames({ onlyAsk: true }), ['ask.md']);
    assert.deepEqual(askFileNames({ flowFile: 'data_fetch', onlyAsk: true }), ['ask-data_fetch.md']);
  });

  it('names every file and folder, relative to the workspace folder', () => {
    const root = path.join(path.sep, 'ws');
    const f = (...p: string[]): string => path.join(root, ...p);
    assert.equal(
      describeWritten([f('.autodev', 'ask.md'), f('.autodev', 'summary.md'), f('.autodev', 'copilot_init.md'), f('.autodev', 'runs', 'r1', 'ask.md'), f('.autodev', 'runs', 'r1', 'summary.md'), f('.autodev', 'runs', 'r1', 'copilot_init.md')], root),
      'wrote ask.md, summary.md and copilot_init.md to .autodev/ and .autodev/runs/r1/',
    );
    assert.equal(describeWritten([f('.autodev', 'ask.md')], root), 'wrote ask.md to .autodev/');
    assert.equal(
      describeWritten([f('.autodev', 'ask.md'), f('.autodev', 'flowlens-summary.md'), f('.autodev', 'runs', 'r1', 'ask.md')], root),
      'wrote ask.md and flowlens-summary.md to .autodev/; ask.md to .autodev/runs/r1/',
    );
    // Outside the folder (Restricted Mode: extension storage): the full path.
    const store = path.join(path.sep, 'storage', 'ask', 'r1');
    assert.equal(describeWritten([path.join(store, 'ask.md')], root), `wrote ask.md to ${store.split(path.sep).join('/')}/`);
  });
});
