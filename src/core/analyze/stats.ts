/**
 * Order statistics for durations: **the** percentile of Flowlens — exact nearest rank
 * ({@link nearestRank}; every p50/p95 the CLI, views, CodeLens, dashboard, chat and ask.md show
 * comes from it, through `rollup.ts`, `diff.ts` or directly) and a latency histogram on fixed bounds.
 * Pure; no I/O.
 */

/**
 * Nearest-rank percentile of an ascending-sorted array: the ⌈q·n⌉-th smallest value (1-based,
 * clamped to [1, n]); `q` in [0, 1]. Undefined for an empty array.
 */
export function nearestRankSorted(sorted: ArrayLike<number>, q: number): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sorted[rank - 1];
}

/**
 * Nearest-rank percentile of unsorted values (copies and sorts; see {@link nearestRankSorted}).
 * Non-finite values (an unknown duration) are left out.
 */
export function nearestRank(values: readonly number[], q: number): number | undefined {
  return nearestRankSorted(sortedCopy(values.filter((v) => Number.isFinite(v))), q);
}

/** Ascending numeric copy (never the default string sort). */
export function sortedCopy(values: readonly number[]): number[] {
  return Array.from(Float64Array.from(values).sort());
}

/** p50 / p95 / max of a set of durations (ms). Fields are undefined when there are none. */
export interface DurationSummary {
  count: number;
  p50Ms?: number;
  p95Ms?: number;
  maxMs?: number;
  minMs?: number;
}

/** Exact nearest-rank summary of durations; non-finite values are ignored. */
export function summarizeDurations(values: readonly number[]): DurationSummary {
  return summarizeSorted(sortedCopy(values.filter((v) => Number.isFinite(v))));
}

/** {@link summarizeDurations} of finite durations already in ascending order. */
export function summarizeSorted(s: ArrayLike<number>): DurationSummary {
  if (s.length === 0) return { count: 0 };
  return { count: s.length, p50Ms: nearestRankSorted(s, 0.5), p95Ms: nearestRankSorted(s, 0.95), maxMs: s[s.length - 1], minMs: s[0] };
}

/**
 * Finite durations collected into a growing `Float64Array` and sorted in place
 * ({@link summarizeSorted}, {@link latencyHistogram}): a big run's rollup makes no copies of its
 * ~300k durations (a filtered copy, a typed copy and an array copy per flow name before).
 */
export class DurationList {
  private a = new Float64Array(8);
  private n = 0;

  /** Add `v` when it is a finite number (an unknown duration is left out). */
  add(v: number | undefined): void {
    if (typeof v !== 'number' || !Number.isFinite(v)) return;
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }

  /** The durations in ascending order (sorted in place; a view of the list). */
  sorted(): Float64Array {
    return this.a.subarray(0, this.n).sort();
  }
}

/** One histogram bucket: values in (previous bound, `leMs`]; `leMs` null = above the last bound. */
export interface HistogramBucket {
  leMs: number | null;
  count: number;
}

/**
 * Histogram on ascending bounds `b`: bucket i holds values in (b[i-1], b[i]] (the first bucket
 * everything ≤ b[0]), plus a final overflow bucket (> the last bound, `leMs: null`).
 * Non-finite values are ignored.
 */
export function latencyHistogram(values: ArrayLike<number>, boundsMs: readonly number[]): HistogramBucket[] {
  const counts = new Array<number>(boundsMs.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[bucketIndex(boundsMs, v)]++;
  }
  return counts.map((count, i) => ({ leMs: i < boundsMs.length ? boundsMs[i] : null, count }));
}

/** Index of the first bound ≥ v (binary search), or `bounds.length` for the overflow bucket. */
export function bucketIndex(bounds: readonly number[], v: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid] >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
