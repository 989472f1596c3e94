import { strict as assert } from 'node:assert';
import {
  bucketIndex,
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
