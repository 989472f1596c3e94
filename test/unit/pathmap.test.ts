import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { PathMapper } from '../../src/core/read/pathmap';

const ROOT = path.resolve('test/fixtures/demo-app');
const at = (...p: string[]): string => path.join(ROOT, ...p);

describe('pathmap: PathMapper', () => {
  it('maps /srv/trader-ci/... (0.1 trace paths) onto the fixture by the longest existing suffix', () => {
    const m = new PathMapper(ROOT);
    const r = m.resolve('/srv/trader-ci/trader/premarket.py');
    assert.equal(r.path, at('trader', 'premarket.py'));
    assert.deepEqual(r.tried, [
      '/srv/trader-ci/trader/premarket.py',
      at('srv', 'trader-ci', 'trader', 'premarket.py'),
      at('trader-ci', 'trader', 'premarket.py'),
      at('trader', 'premarket.py'),
    ]);
    // The learned prefix is tried first next time.
    const r2 = m.resolve('/srv/trader-ci/trader/data/fetcher.py');
    assert.equal(r2.path, at('trader', 'data', 'fetcher.py'));
    assert.deepEqual(r2.tried, ['/srv/trader-ci/trader/data/fetcher.py', at('trader', 'data', 'fetcher.py')]);
    assert.deepEqual(m.mappings(), [{ from: '/srv/trader-ci', to: ROOT, count: 2, origin: 'suffix' }]);
  });

  it('resolves relative paths against the root and keeps existing absolute paths', () => {
    const m = new PathMapper(ROOT);
    assert.equal(m.resolve('trader/agent.py').path, at('trader', 'agent.py'));
    assert.equal(m.resolve('./trader/orders.py').path, at('trader', 'orders.py'));
    assert.equal(m.resolve(at('tracer.py')).path, at('tracer.py'));
    assert.deepEqual(m.mappings(), []);
  });

  it('prefers user mappings (longest prefix first), then falls back', () => {
    const m = new PathMapper(ROOT, { '/srv': 'nowhere', '/srv/trader-ci/trader': 'trader' });
    const r = m.resolve('/srv/trader-ci/trader/indicators.py');
    assert.equal(r.path, at('trader', 'indicators.py'));
    assert.deepEqual(r.tried, [at('trader', 'indicators.py')]);
    // '/srv' → nowhere/... does not exist: falls through to the suffix search.
    assert.equal(m.resolve('/srv/other/trader/agent.py').path, at('trader', 'agent.py'));
    assert.deepEqual(m.mappings(), [
      { from: '/srv/trader-ci/trader', to: at('trader'), count: 1, origin: 'user' },
      { from: '/srv', to: at('nowhere'), count: 0, origin: 'user' },
      { from: '/srv/other', to: ROOT, count: 1, origin: 'suffix' },
    ]);
  });

  it('maps Windows paths by suffix', () => {
    const m = new PathMapper(ROOT);
    assert.equal(m.resolve('C:\\ci\\trader\\orders.py').path, at('trader', 'orders.py'));
    assert.deepEqual(m.mappings(), [{ from: 'C:/ci', to: ROOT, count: 1, origin: 'suffix' }]);
  });

  it('reports what it tried when nothing exists, and never throws', () => {
    const m = new PathMapper(ROOT);
    const r = m.resolve('/nope/zzz.py');
    assert.equal(r.path, undefined);
    assert.deepEqual(r.tried, ['/nope/zzz.py', at('nope', 'zzz.py'), at('zzz.py')]);
    assert.deepEqual(m.resolve(''), { tried: [] });
    assert.equal(m.resolve('../../etc/passwd').path, undefined);
  });

  it('caches per path', () => {
    let calls = 0;
    const m = new PathMapper('/ws', {}, { isFile: (p) => (calls++, p === '/ws/a/b.py') });
    assert.equal(m.resolve('/x/y/a/b.py').path, '/ws/a/b.py');
    const n = calls;
    assert.equal(m.resolve('/x/y/a/b.py').path, '/ws/a/b.py');
    assert.equal(calls, n);
    assert.deepEqual(m.mappings(), [{ from: '/x/y', to: '/ws', count: 1, origin: 'suffix' }]);
  });
});
