/**
 * Order statistics for durations: **the** percentile of Flowlens — exact nearest rank
 * ({@link nearestRank}; every p50/p95 the CLI, views, CodeLens, dashboard, chat and ask.md show
 * comes from it, through `rollup.ts`, `diff.ts` or directly), a latency histogram on fixed bounds, and {@link FlowStatsAccumulator}, an
 * incremental log-bucketed sketch for the live path with a stated relative error bound.
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
  const s = sortedCopy(values.filter((v) => Number.isFinite(v)));
  if (s.length === 0) return { count: 0 };
  return { count: s.length, p50Ms: nearestRankSorted(s, 0.5), p95Ms: nearestRankSorted(s, 0.95), maxMs: s[s.length - 1], minMs: s[0] };
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
export function latencyHistogram(values: Iterable<number>, boundsMs: readonly number[]): HistogramBucket[] {
  const counts = new Array<number>(boundsMs.length + 1).fill(0);
  for (const v of values) {
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

/** Default relative accuracy of {@link FlowStatsAccumulator}: 1%. */
export const DEFAULT_RELATIVE_ERROR = 0.01;

/**
 * Values at or below this (ms) are counted as zero durations. They are reported as 0: an
 * absolute error below 1 µs, outside the relative bound (which holds for values above it).
 */
export const MIN_TRACKED_MS = 1e-3;

/**
 * Incremental duration statistics for the live path: `add` is O(1) (amortised), quantiles cost
 * O(number of buckets) — under 1,000 for durations between 1 ms and hours at α = 1% — with no
 * sorting.
 *
 * It is a log-bucketed histogram (the DDSketch scheme): with γ = (1+α)/(1−α), a value v > 0
 * goes to bucket i = ⌈log_γ v⌉, i.e. (γ^(i−1), γ^i], and a bucket is reported as
 * 2γ^i/(γ+1). **Bound:** for every q, `quantile(q)` is within a relative error α (default 1%)
 * of the exact nearest-rank value ({@link nearestRank}) of the values added (up to float
 * rounding at bucket edges, ~1e-12 relative), for values above
 * {@link MIN_TRACKED_MS}; estimates are clamped to the exact min/max, and `count`, `min`,
 * `max`, `sum` are exact. Negative and non-finite values are ignored.
 */
export class FlowStatsAccumulator {
  readonly alpha: number;
  private readonly gamma: number;
  private readonly lnGamma: number;
  /** counts[k] is bucket (offset + k). */
  private counts: number[] = [];
  private offset = 0;
  private zeros = 0;
  private n = 0;
  private total = 0;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(relativeError: number = DEFAULT_RELATIVE_ERROR) {
    const a = relativeError > 0 && relativeError < 1 ? relativeError : DEFAULT_RELATIVE_ERROR;
    this.alpha = a;
    this.gamma = (1 + a) / (1 - a);
    this.lnGamma = Math.log(this.gamma);
  }

  /** Add one duration (ms). */
  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.n++;
    this.total += ms;
    if (ms < this.lo) this.lo = ms;
    if (ms > this.hi) this.hi = ms;
    if (ms <= MIN_TRACKED_MS) {
      this.zeros++;
      return;
    }
    const i = Math.ceil(Math.log(ms) / this.lnGamma);
    if (this.counts.length === 0) {
      this.offset = i;
      this.counts.push(0);
    } else if (i < this.offset) {
      const grow = this.offset - i;
      this.counts = new Array<number>(grow).fill(0).concat(this.counts);
      this.offset = i;
    } else if (i >= this.offset + this.counts.length) {
      for (let k = this.offset + this.counts.length; k <= i; k++) this.counts.push(0);
    }
    this.counts[i - this.offset]++;
  }

  /** Add every value of another accumulator with the same α (e.g. merging runs). */
  merge(other: FlowStatsAccumulator): void {
    if (other.alpha !== this.alpha) throw new RangeError('cannot merge accumulators with different relative errors');
    if (other.n === 0) return;
    this.n += other.n;
    this.total += other.total;
    this.zeros += other.zeros;
    this.lo = Math.min(this.lo, other.lo);
    this.hi = Math.max(this.hi, other.hi);
    other.counts.forEach((c, k) => {
      if (c === 0) return;
      const i = other.offset + k;
      if (this.counts.length === 0) {
        this.offset = i;
        this.counts.push(0);
      } else if (i < this.offset) {
        this.counts = new Array<number>(this.offset - i).fill(0).concat(this.counts);
        this.offset = i;
      }
      while (i >= this.offset + this.counts.length) this.counts.push(0);
      this.counts[i - this.offset] += c;
    });
  }

  get count(): number {
    return this.n;
  }
  get sum(): number {
    return this.total;
  }
  get min(): number | undefined {
    return this.n ? this.lo : undefined;
  }
  get max(): number | undefined {
    return this.n ? this.hi : undefined;
  }

  /** Nearest-rank quantile estimate, within the stated relative error; undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.n === 0) return undefined;
    const rank = Math.min(this.n, Math.max(1, Math.ceil(q * this.n)));
    if (rank === this.n) return this.hi;
    if (rank === 1) return this.lo;
    if (rank <= this.zeros) return 0;
    let seen = this.zeros;
    for (let k = 0; k < this.counts.length; k++) {
      seen += this.counts[k];
      if (seen >= rank) {
        const est = (2 * Math.pow(this.gamma, this.offset + k)) / (this.gamma + 1);
        return Math.min(this.hi, Math.max(this.lo, est));
      }
    }
    return this.hi;
  }

  get p50(): number | undefined {
    return this.quantile(0.5);
  }
  get p95(): number | undefined {
    return this.quantile(0.95);
  }

  /** Same shape as {@link summarizeDurations}, from the sketch. */
  summary(): DurationSummary {
    if (this.n === 0) return { count: 0 };
    return { count: this.n, p50Ms: this.p50, p95Ms: this.p95, maxMs: this.hi, minMs: this.lo };
  }
}
