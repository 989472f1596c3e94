/**
 * Totality helpers for values read from traces (docs/reliability.md, issue 13 classes 4 and 6).
 *
 * - Data-keyed records: {@link record} makes a null-prototype object, {@link bump}/{@link setOwn}/
 *   {@link getOwn} read and write a key as an own property, so `__proto__`, `constructor` or
 *   `toString` as a run id, flow name, class, tag or metric name is just a key (never
 *   `Object.prototype`, never a native function).
 * - Depth: {@link boundedCopy} is a depth-limited deep copy; the limit is checked BEFORE
 *   descending, so evidence nested 100,000 deep never overflows the stack. {@link safeStringify}
 *   is `JSON.stringify` of that copy (`JSON.stringify` itself overflows at ~10,000 levels).
 */

/** Depth kept in JSON surfaces (CLI `--json`, webview model, exports) before `[depth limit]`. */
export const MAX_VALUE_DEPTH = 64;
/** What a value deeper than the limit becomes. */
export const DEPTH_MARK = '[depth limit]';
/** What a value met again on its own path becomes. */
export const CIRCULAR_MARK = '[circular]';

/** A null-prototype record: no inherited keys, `__proto__` is an ordinary key. */
export function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Set `o[k] = v` as an own, enumerable data property, even for `__proto__` on a plain object. */
export function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** `o[k]` when it is an own property, else `undefined` (never an inherited `constructor`). */
export function getOwn<T>(o: Readonly<Record<string, T>>, k: string): T | undefined {
  return hasOwn(o, k) ? o[k] : undefined;
}

/** `o[k] += by` for a count record (own properties only). */
export function bump(o: Record<string, number>, k: string, by = 1): void {
  setOwn(o, k, (getOwn(o, k) ?? 0) + by);
}

/** A null-prototype copy of a record (own enumerable keys; `__proto__` kept as a key). */
export function recordOf<T>(from: Readonly<Record<string, T>> | Iterable<readonly [string, T]>): Record<string, T> {
  const out = record<T>();
  const entries = Symbol.iterator in (from as object) ? (from as Iterable<readonly [string, T]>) : Object.entries(from as Record<string, T>);
  for (const [k, v] of entries) out[k] = v;
  return out;
}

export interface BoundedCopyOptions {
  /** Levels of objects/arrays kept (default {@link MAX_VALUE_DEPTH}); deeper ones become {@link DEPTH_MARK}. */
  maxDepth?: number;
  /** Items kept per array / keys per object (default: all). */
  maxItems?: number;
  /** Sort object keys (stable JSON for prompts and comparisons). */
  sortKeys?: boolean;
}

/**
 * A JSON-shaped deep copy of `v` that is safe to stringify: at most `maxDepth` levels (checked
 * before recursing), cycles → {@link CIRCULAR_MARK}, `bigint` → string, `Map` → object, `Set` →
 * array, `Date` → ISO string (or `"invalid time"`). Objects are plain objects whose keys are
 * all own properties (`__proto__` included). Numbers are kept (JSON prints NaN as null).
 * Never throws on data (a throwing getter becomes `"[unreadable]"`).
 */
export function boundedCopy(v: unknown, opts: BoundedCopyOptions = {}): unknown {
  const maxDepth = opts.maxDepth ?? MAX_VALUE_DEPTH;
  const maxItems = opts.maxItems ?? Infinity;
  const sort = opts.sortKeys === true;
  const path = new Set<object>();
  const walk = (x: unknown, depth: number): unknown => {
    if (x === null || typeof x !== 'object') {
      if (typeof x === 'bigint') return x.toString();
      if (typeof x === 'function' || typeof x === 'symbol') return undefined;
      return x;
    }
    if (x instanceof Date) {
      const t = x.getTime();
      return Number.isFinite(t) ? x.toISOString() : 'invalid time';
    }
    if (path.has(x)) return CIRCULAR_MARK;
    if (depth >= maxDepth) return DEPTH_MARK;
    path.add(x);
    try {
      if (Array.isArray(x) || x instanceof Set) {
        const arr = Array.isArray(x) ? x : [...x];
        const n = Math.min(arr.length, maxItems);
        const out: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const r = walk(arr[i], depth + 1);
          out[i] = r === undefined ? null : r;
        }
        if (arr.length > n) out.push(`… ${arr.length - n} more items`);
        return out;
      }
      const entries: [string, unknown][] =
        x instanceof Map ? [...x].map(([k, y]) => [String(k), y]) : Object.keys(x).map((k) => [k, readProp(x, k)]);
      if (sort) entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const out = record<unknown>();
      const n = Math.min(entries.length, maxItems);
      for (let i = 0; i < n; i++) {
        const r = walk(entries[i][1], depth + 1);
        if (r !== undefined) setOwn(out, entries[i][0], r);
      }
      if (entries.length > n) setOwn(out, '…', `${entries.length - n} more keys`);
      return out;
    } finally {
      path.delete(x);
    }
  };
  return walk(v, 0);
}

function readProp(o: object, k: string): unknown {
  try {
    return (o as Record<string, unknown>)[k];
  } catch {
    return '[unreadable]';
  }
}

/**
 * `JSON.stringify(boundedCopy(v, opts), null, space)`; never throws, never overflows the stack.
 * `undefined` (or a function) at the top gives `fallback`.
 */
export function safeStringify(v: unknown, space?: number, opts: BoundedCopyOptions = {}, fallback = 'null'): string {
  try {
    return JSON.stringify(boundedCopy(v, opts), null, space) ?? fallback;
  } catch {
    return fallback;
  }
}
