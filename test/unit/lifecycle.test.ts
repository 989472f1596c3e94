// src/host/lifecycle.ts: the one way host objects release what they own (issue 14).
import { strict as assert } from 'node:assert';
import { Disposable, disposeAll, registered, toDisposable } from '../../src/host/lifecycle';

class Owner extends Disposable {
  add<T extends { dispose(): unknown }>(d: T): T { return this._register(d); }
  get gone(): boolean { return this.isDisposed; }
}

describe('lifecycle', () => {
  it('disposeAll releases last first, empties the list, and keeps going past a throw', () => {
    const order: string[] = [];
    const list = [toDisposable(() => order.push('a')), { dispose: () => { order.push('b'); throw new Error('b'); } }, toDisposable(() => order.push('c'))];
    assert.throws(() => disposeAll(list), /b/);
    assert.deepStrictEqual(order, ['c', 'b', 'a']);
    assert.strictEqual(list.length, 0);
  });

  it('a Disposable releases what it registered once, and at once what comes after', () => {
    const o = new Owner();
    let n = 0;
    o.add(toDisposable(() => n++));
    o.dispose();
    o.dispose();
    assert.strictEqual(n, 1);
    assert.ok(o.gone);
    o.add(toDisposable(() => n++));
    assert.strictEqual(n, 2);
  });

  it('registered() keeps the disposables an array and the api getters live', () => {
    let current = 1;
    const r = registered([toDisposable(() => undefined)], { get current() { return current; }, name: 'x' });
    assert.ok(Array.isArray(r));
    assert.strictEqual(r.length, 1);
    current = 2;
    assert.strictEqual(r.current, 2);
    assert.strictEqual(r.name, 'x');
  });
});
