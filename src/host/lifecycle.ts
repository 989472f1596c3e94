/**
 * Lifetimes in the host, one way (after vscode-pull-request-github's src/common/lifecycle.ts):
 * an object that owns listeners, emitters or VS Code resources extends {@link Disposable} and
 * hands each one to {@link Disposable._register}; a list of disposables is released with
 * {@link disposeAll}. No hand-rolled `for (const d of …) d.dispose()` loops.
 *
 * Pure TypeScript (no `vscode` import): anything with a `dispose()` fits, so unit tests need no stub.
 */

/** Anything that can be released (`vscode.Disposable` and friends). */
export interface IDisposable {
  dispose(): unknown;
}

/**
 * Disposes every item, last registered first, and empties the array (so a second call is a
 * no-op). An item that throws does not stop the others; the first error is rethrown at the end.
 */
export function disposeAll(items: IDisposable[]): void {
  let first: { err: unknown } | undefined;
  while (items.length) {
    const d = items.pop();
    try {
      d?.dispose();
    } catch (err) {
      first ??= { err };
    }
  }
  if (first) throw first.err;
}

/** A disposable from a function (runs once). */
export function toDisposable(fn: () => void): IDisposable & { dispose(): void } {
  let done = false;
  return { dispose: () => { if (!done) { done = true; fn(); } } };
}

/**
 * Base class of every host object with a lifetime. `dispose()` is idempotent and releases what was
 * registered in reverse order; something registered after disposal is released at once.
 */
export abstract class Disposable implements IDisposable {
  private _isDisposed = false;
  private readonly _disposables: IDisposable[] = [];

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Takes ownership of `value` (and of `more`): released with this object. Returns `value`. */
  protected _register<T extends IDisposable>(value: T, ...more: IDisposable[]): T {
    for (const d of [value, ...more]) {
      if (this._isDisposed) d.dispose();
      else this._disposables.push(d);
    }
    return value;
  }

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    disposeAll(this._disposables);
  }
}

/**
 * What a feature's `register(ctx, services)` returns: the disposables the composition root pushes
 * onto `context.subscriptions`, carrying the feature's handles (tests and other features use
 * them) as named properties. Build one with {@link registered}.
 */
export type Registered<Api extends object = object, D extends IDisposable = IDisposable> = D[] & Readonly<Api>;

/** `disposables` with `api`'s properties attached, getters kept live (see {@link Registered}). */
export function registered<D extends IDisposable, Api extends object>(disposables: D[], api: Api): Registered<Api, D> {
  return Object.defineProperties(disposables, Object.getOwnPropertyDescriptors(api)) as Registered<Api, D>;
}
