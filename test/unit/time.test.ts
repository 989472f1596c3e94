import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parseTimestamp, TimestampReader } from '../../src/core/model/time';

/** 2026-11-18T09:00:00Z in epoch seconds (python: datetime(2026,11,18,9,tzinfo=utc).timestamp()). */
const T0_S = 1794992400;
const T0 = T0_S * 1000;

function near(actual: number | undefined, expected: number): void {
  assert.ok(actual !== undefined, `expected ${expected}, got undefined`);
  // a few ulps: 2026 timestamps (~1.8e12 ms) carry microseconds with ~2e-4 ms resolution
  const tolerance = Math.max(1e-6, Math.abs(expected) * 2 ** -50);
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

describe('parseTimestamp', () => {
  it('reads ISO with Z, and the v1 fixture form with 6 fraction digits', () => {
    assert.equal(parseTimestamp('2026-11-18T09:00:00Z'), T0);
    assert.equal(parseTimestamp('2026-11-18T09:00:00.000000Z'), T0);
    assert.equal(parseTimestamp('2026-11-18T09:00:00.035000Z'), T0 + 35);
    assert.equal(parseTimestamp('2026-11-18t09:00:00z'), T0);
  });

  it('reads naive ISO as UTC (flowscribe 0.1), with or without a fraction', () => {
    assert.equal(parseTimestamp('2026-11-18T09:00:00.035000'), T0 + 35);
    assert.equal(parseTimestamp('2026-11-18T09:00:00'), T0);
    assert.equal(parseTimestamp('2026-11-18T09:00'), T0);
  });

  it('applies offsets in every spelling', () => {
    assert.equal(parseTimestamp('2026-11-18T09:00:00.000000+00:00'), T0);
    assert.equal(parseTimestamp('2026-11-18T11:00:00+02:00'), T0);
    assert.equal(parseTimestamp('2026-11-18T11:00:00+0200'), T0);
    assert.equal(parseTimestamp('2026-11-18T11:00:00+02'), T0);
    assert.equal(parseTimestamp('2026-11-18T03:30:00-05:30'), T0);
    // crossing midnight backwards
    assert.equal(parseTimestamp('2026-11-19T00:30:00+15:30'), T0);
  });

  it('reads the SQLite created_at form (space separator)', () => {
    assert.equal(parseTimestamp('2026-11-18 09:00:00'), T0);
    assert.equal(parseTimestamp('2026-11-18 09:00:00.5'), T0 + 500);
  });

  it('keeps sub-millisecond precision to microseconds; up to 9 fraction digits', () => {
    near(parseTimestamp('2026-11-18T09:00:00.214999Z'), T0 + 214.999);
    near(parseTimestamp('2026-11-18T09:00:00.123456789Z'), T0 + 123.456);
    assert.equal(parseTimestamp('2026-11-18T09:00:00.1Z'), T0 + 100);
    assert.equal(parseTimestamp('2026-11-18T09:00:00,25Z'), T0 + 250);
    assert.equal(parseTimestamp('2026-11-18T09:00:00.1234567890Z'), undefined);
  });

  it('a bare date is midnight UTC', () => {
    assert.equal(parseTimestamp('2026-11-18'), T0 - 9 * 3600_000);
  });

  it('epoch numbers: seconds below 1e11, milliseconds above', () => {
    assert.equal(parseTimestamp(T0_S), T0);
    assert.equal(parseTimestamp(T0_S + 0.5), T0 + 500);
    assert.equal(parseTimestamp(T0), T0);
    assert.equal(parseTimestamp(T0 + 35), T0 + 35);
    assert.equal(parseTimestamp(0), 0);
  });

  it('epoch numeric strings', () => {
    assert.equal(parseTimestamp(String(T0_S)), T0);
    assert.equal(parseTimestamp(String(T0)), T0);
    assert.equal(parseTimestamp(' 1794992400.25 '), T0 + 250);
  });

  it('accepts a valid leap day and a Date', () => {
    assert.equal(parseTimestamp('2024-02-29T12:00:00Z'), 1709208000 * 1000);
    assert.equal(parseTimestamp(new Date(T0)), T0);
  });

  it('returns undefined for anything unreadable', () => {
    for (const v of [
      undefined,
      null,
      true,
      {},
      [],
      '',
      '   ',
      'yesterday',
      '2026-13-01T00:00:00Z',
      '2026-11-31T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-11-18T24:00:00Z',
      '2026-11-18T09:60:00Z',
      '2026-11-18T09:00:61Z',
      '2026-11-18T09:00:00+25:00',
      '2026-11-18T09:00:00 UTC',
      '18/11/2026',
      NaN,
      Infinity,
      new Date('nope'),
    ]) {
      assert.equal(parseTimestamp(v), undefined, String(v));
    }
  });

  it('property: every spelling of a random instant agrees with Date.UTC (fast path = regex path)', () => {
    const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
    fc.assert(
      fc.property(
        fc.record({
          y: fc.integer({ min: 1000, max: 9999 }),
          mo: fc.integer({ min: 1, max: 12 }),
          d: fc.integer({ min: 1, max: 28 }),
          h: fc.integer({ min: 0, max: 23 }),
          mi: fc.integer({ min: 0, max: 59 }),
          s: fc.integer({ min: 0, max: 59 }),
          micros: fc.integer({ min: 0, max: 999_999 }),
          offMin: fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
          sep: fc.constantFrom('T', ' ', 't'),
        }),
        (c) => {
          const base = `${pad(c.y, 4)}-${pad(c.mo)}-${pad(c.d)}${c.sep}${pad(c.h)}:${pad(c.mi)}:${pad(c.s)}.${pad(c.micros, 6)}`;
          const sign = c.offMin < 0 ? '-' : '+';
          const a = Math.abs(c.offMin);
          const off = `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
          const expected = Date.UTC(c.y, c.mo - 1, c.d, c.h, c.mi, c.s) + Math.floor(c.micros / 1000) + (c.micros % 1000) / 1000 - c.offMin * 60_000;
          for (const str of [base + off, ' ' + base + off, base + off.replace(':', '')]) near(parseTimestamp(str), expected);
          near(parseTimestamp(base + 'Z'), expected + c.offMin * 60_000);
          near(parseTimestamp(' ' + base), expected + c.offMin * 60_000);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('TimestampReader (the index reuses the epoch of a shared second)', () => {
  it('gives exactly what parseTimestamp gives, for a stream of neighbouring and odd timestamps', () => {
    const digits = fc.stringMatching(/^[0-9]{0,10}$/);
    const stamp = fc.record({
      second: fc.integer({ min: 0, max: 5 }),
      day: fc.constantFrom('2026-11-16', '2026-02-29', '2024-02-29', '2026-13-01', '2026-11-31'),
      sep: fc.constantFrom('T', ' ', 't', 'x'),
      frac: digits,
      zone: fc.constantFrom('Z', 'z', '', '+01:00', 'Zq'),
      dot: fc.constantFrom('.', ',', ''),
    }).map(({ second, day, sep, frac, zone, dot }) => `${day}${sep}14:00:0${second}${dot}${frac}${zone}`);
    fc.assert(
      fc.property(fc.array(fc.oneof(stamp, fc.string(), fc.double(), fc.constant(undefined)), { maxLength: 40 }), (vs) => {
        const r = new TimestampReader();
        for (const v of vs) assert.ok(Object.is(r.read(v), parseTimestamp(v)), `${JSON.stringify(v)}: ${r.read(v)} vs ${parseTimestamp(v)}`);
      }),
      { numRuns: 800 },
    );
  });

  it('reads the fraction of a shared second without re-reading the date', () => {
    const r = new TimestampReader();
    assert.equal(r.read('2026-11-16T14:00:00.036000Z'), Date.UTC(2026, 10, 16, 14, 0, 0, 36));
    assert.equal(r.read('2026-11-16T14:00:00.5Z'), Date.UTC(2026, 10, 16, 14, 0, 0, 500));
    assert.equal(r.read('2026-11-16T14:00:00.000001Z'), Date.UTC(2026, 10, 16, 14) + 0.001);
    assert.equal(r.read('2026-11-16T14:00:01.000000Z'), Date.UTC(2026, 10, 16, 14, 0, 1));
  });
});
