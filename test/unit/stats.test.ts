import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  bucketIndex,
  DEFAULT_RELATIVE_ERROR,
  FlowStatsAccumulator,
  latencyHistogram,
  nearestRank,
  nearestRankSorted,
  sortedCopy,
  summarizeDurations,
} from '../../src/core/analyze/stats';

// data/fetch/minute_candles verdict duration_ms over the six v1 runs (grep '"success"\|"failure"').
const FETCH_MS = [120, 180, 210, 150, 160, 690, 950, 170, 200, 130, 140, 760, 110, 125, 175];

describe('stats: nearest-rank percentiles', () => {
  it('takes the ceil(q·n)-th smallest', () => {
    // sorted: 110 120 125 130 140 150 160 170 175 180 200 210 690 760 950 (n = 15)
    assert.equal(nearestRank(FETCH_MS, 0.5), 170); // rank ceil(7.5) = 8
    assert.equal(nearestRank(FETCH_MS, 0.95), 950); // rank ceil(14.25) = 15
    assert.equal(nearestRank(FETCH_MS, 0.9), 760); // rank ceil(13.5) = 14
    assert.equal(nearestRank([1, 2, 3, 4], 0.5), 2);
    assert.equal(nearestRank([4, 3, 2, 1], 0.95), 4);
    assert.equal(nearestRank([7], 0.5), 7);
    assert.equal(nearestRank([3, 1], 0), 1);
    assert.equal(nearestRank([3, 1], 1), 3);
    assert.equal(nearestRank([], 0.5), undefined);
    assert.equal(nearestRankSorted([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.95), 100); // ceil(9.5) = 10
  });

  it('sorts numerically, not as strings', () => {
    assert.deepEqual(sortedCopy([10, 9, 100, 1.5]), [1.5, 9, 10, 100]);
    const input = [3, 1, 2];
    sortedCopy(input);
    assert.deepEqual(input, [3, 1, 2]);
  });

  it('summarises durations and ignores non-finite ones', () => {
    assert.deepEqual(summarizeDurations(FETCH_MS), { count: 15, p50Ms: 170, p95Ms: 950, maxMs: 950, minMs: 110 });
    assert.deepEqual(summarizeDurations([NaN, Infinity]), { count: 0 });
    assert.deepEqual(summarizeDurations([5, NaN]), { count: 1, p50Ms: 5, p95Ms: 5, maxMs: 5, minMs: 5 });
  });
});

describe('stats: latency histogram', () => {
  it('puts v in (b[i-1], b[i]] with an overflow bucket', () => {
    const h = latencyHistogram([0, 50, 50.5, 200, 201, 1000, 1000.1, 6000, NaN], [50, 200, 1000]);
    assert.deepEqual(h, [
      { leMs: 50, count: 2 }, // 0, 50
      { leMs: 200, count: 2 }, // 50.5, 200
      { leMs: 1000, count: 2 }, // 201, 1000
      { leMs: null, count: 2 }, // 1000.1, 6000
    ]);
  });

  it('buckets the fetch durations on the demo ra.yaml bounds [50, 200, 1000]', () => {
    // ≤50: none; (50,200]: 110..200 = 11 values; (200,1000]: 210 690 760 950; >1000: none.
    assert.deepEqual(
      latencyHistogram(FETCH_MS, [50, 200, 1000]).map((b) => b.count),
      [0, 11, 4, 0],
    );
  });

  it('handles no bounds (everything overflows) and finds bucket indices', () => {
    assert.deepEqual(latencyHistogram([1, 2], []), [{ leMs: null, count: 2 }]);
    assert.equal(bucketIndex([10, 20], 10), 0);
    assert.equal(bucketIndex([10, 20], 10.5), 1);
    assert.equal(bucketIndex([10, 20], 21), 2);
  });
});

describe('stats: FlowStatsAccumulator', () => {
  const within = (est: number | undefined, exact: number | undefined, alpha: number): boolean =>
    est !== undefined && exact !== undefined && Math.abs(est - exact) <= alpha * exact + 1e-9 * Math.max(1, exact);

  it('is empty at first', () => {
    const a = new FlowStatsAccumulator();
    assert.equal(a.count, 0);
    assert.equal(a.p95, undefined);
    assert.deepEqual(a.summary(), { count: 0 });
  });

  it('keeps count, sum, min and max exact, and the fetch p50/p95 within 1%', () => {
    const a = new FlowStatsAccumulator();
    FETCH_MS.forEach((v) => a.add(v));
    assert.equal(a.count, 15);
    assert.equal(a.sum, FETCH_MS.reduce((s, v) => s + v, 0));
    assert.equal(a.min, 110);
    assert.equal(a.max, 950);
    assert.ok(within(a.p50, 170, 0.01), String(a.p50));
    assert.equal(a.p95, 950); // rank n is the exact max
  });

  it('ignores negative and non-finite values; reports tiny values as 0', () => {
    const a = new FlowStatsAccumulator();
    [-1, NaN, Infinity].forEach((v) => a.add(v));
    assert.equal(a.count, 0);
    [0, 0, 0, 5].forEach((v) => a.add(v));
    assert.equal(a.quantile(0.5), 0);
    assert.equal(a.quantile(1), 5);
  });

  it('stays within its stated relative error of exact nearest rank (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 1e7, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const a = new FlowStatsAccumulator();
          values.forEach((v) => a.add(v));
          const exact = nearestRank(values, q);
          return within(a.quantile(q), exact, DEFAULT_RELATIVE_ERROR) && within(a.p95, nearestRank(values, 0.95), DEFAULT_RELATIVE_ERROR);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('honours a custom bound, and merging equals adding everything', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100000 }), { maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 100000 }), { maxLength: 200 }),
        (xs, ys) => {
          const a = new FlowStatsAccumulator(0.05);
          const b = new FlowStatsAccumulator(0.05);
          const all = new FlowStatsAccumulator(0.05);
          xs.forEach((v) => (a.add(v), all.add(v)));
          ys.forEach((v) => (b.add(v), all.add(v)));
          a.merge(b);
          const both = [...xs, ...ys];
          return (
            a.count === both.length &&
            a.quantile(0.5) === all.quantile(0.5) &&
            a.p95 === all.p95 &&
            (both.length === 0 || within(a.p50, nearestRank(both, 0.5), 0.05))
          );
        },
      ),
      { numRuns: 100 },
    );
    assert.throws(() => new FlowStatsAccumulator(0.01).merge(new FlowStatsAccumulator(0.02)), RangeError);
  });

  it('keeps absorbing batches after 100,000 values and still answers p95 within its bound', () => {
    // Speed is measured by `npm run bench`, never asserted here (timed tests flake on shared machines).
    const a = new FlowStatsAccumulator();
    const all: number[] = [];
    let x = 12345;
    const next = (): number => ((x = (x * 1103515245 + 12345) % 2147483648), 1 + (x % 60000));
    for (let i = 0; i < 100000; i++) { const v = next(); a.add(v); all.push(v); }
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 1000; i++) { const v = next(); a.add(v); all.push(v); }
      const exact = nearestRank(all, 0.95)!;
      assert.ok(Math.abs(a.p95! - exact) <= exact * 0.01 + 1e-9, `p95 ${a.p95} vs exact ${exact}`);
    }
  });
});
