import { strict as assert } from 'node:assert';
import { isDashboardQuery, isHostMessage, isWebviewMessage } from '../../../src/host/dashboard/protocol';

describe('dashboard protocol guards', () => {
  it('accepts every well-formed webview message', () => {
    for (const m of [
      { type: 'ready' },
      { type: 'refresh' },
      { type: 'query', query: { selection: { kind: 'latest' } } },
      { type: 'query', query: { selection: { kind: 'run', runId: 'r1' }, flowFilter: 'a/b', timelineRunId: 'r1', diff: { a: 'r0', b: 'r1' } } },
      { type: 'query', query: { selection: { kind: 'window', from: 0, to: 1 } } },
      { type: 'openLocation', file: 'trader/x.py', line: 3 },
      { type: 'openLocation', file: 'trader/x.py' },
      { type: 'export', format: 'chrome', runId: 'r1' },
      { type: 'export', format: 'mermaid', runId: 'r1' },
      { type: 'export', format: 'otlp', runId: 'r1' },
    ]) assert.ok(isWebviewMessage(m), JSON.stringify(m));
  });

  it('rejects malformed or unknown webview messages', () => {
    for (const m of [
      null, 'ready', [], {}, { type: 'eval', code: 'x' },
      { type: 'query' },
      { type: 'query', query: { selection: { kind: 'run' } } },
      { type: 'query', query: { selection: { kind: 'window', from: 0, to: Infinity } } },
      { type: 'query', query: { selection: { kind: 'latest' }, flowFilter: 3 } },
      { type: 'query', query: { selection: { kind: 'latest' }, diff: { a: 'x' } } },
      { type: 'openLocation', file: '' },
      { type: 'openLocation', file: 'a.py', line: 1.5 },
      { type: 'openLocation', file: 'a.py', line: '3' },
      { type: 'export', format: 'svg', runId: 'r' },
      { type: 'export', format: 'chrome' },
      { type: 'export', format: 'OTLP', runId: 'r' },
      { type: 'export', format: 'otlp', runId: 3 },
    ]) assert.ok(!isWebviewMessage(m), JSON.stringify(m));
  });

  it('checks host messages the webview receives', () => {
    const query = { selection: { kind: 'all' } };
    assert.ok(isHostMessage({ type: 'model', model: {}, query, loading: false, live: true }));
    assert.ok(!isHostMessage({ type: 'model', model: {}, query, loading: 'no', live: true }));
    assert.ok(!isHostMessage({ type: 'model', model: null, query, loading: false, live: false }));
    assert.ok(isHostMessage({ type: 'exported', format: 'mermaid', path: '/tmp/x.mmd' }));
    assert.ok(isHostMessage({ type: 'exported', format: 'otlp', path: 'http://127.0.0.1:4318/v1/traces' }));
    assert.ok(!isHostMessage({ type: 'exported', format: 'proto', path: '/tmp/x' }));
    assert.ok(isHostMessage({ type: 'error', message: 'gone' }));
    assert.ok(!isHostMessage({ type: 'error' }));
    assert.ok(!isDashboardQuery({ selection: { kind: 'nope' } }));
  });
});
