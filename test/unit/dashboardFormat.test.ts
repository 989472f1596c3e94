// Issue 16 polish in the dashboard webview's pure helpers (media/dashboard/format.ts, colors.ts):
// human local times instead of raw ISO-µs, nice timeline ticks, names broken at `/`, and event
// colours where failure is red-ish and session_end neutral.
import { strict as assert } from 'node:assert';
import { cellText, fmtTime, niceTicks, slashParts, utcTitle } from '../../media/dashboard/format';
import { eventTypeColors, type Palette } from '../../media/dashboard/colors';

const palette: Palette = {
  fg: 'fg', muted: 'muted', grid: 'grid', green: 'green', red: 'red', orange: 'orange', yellow: 'yellow',
  blue: 'blue', purple: 'purple', bg: 'bg', selection: 'sel', hover: 'hover', font: 'sans',
};

describe('dashboard formats (issue 16)', () => {
  it('times read as local date and time, never raw ISO with microseconds', () => {
    const ms = Date.UTC(2026, 10, 19, 14, 0, 3, 123);
    const d = new Date(ms);
    const p = (n: number): string => String(n).padStart(2, '0');
    const local = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    assert.equal(fmtTime(ms), local);
    assert.equal(utcTitle(ms), '2026-11-19T14:00:03.123Z (UTC)');
    assert.deepEqual(cellText('2026-11-19T14:00:03.123456+00:00'), { text: local, title: '2026-11-19T14:00:03.123456+00:00' });
    assert.deepEqual(cellText('2026-11-19T14:00:03.123456Z'), { text: local, title: '2026-11-19T14:00:03.123456Z' });
    assert.deepEqual(cellText('data/fetch'), { text: 'data/fetch' });
    assert.deepEqual(cellText('2026-11-19'), { text: '2026-11-19' }, 'a date without a zone is left alone');
    assert.deepEqual(cellText(42), { text: '42' });
    assert.equal(fmtTime(Number.NaN), 'invalid time');
  });

  it('timeline ticks step by 1, 2 or 5 × 10^n (no 554.8 ms)', () => {
    assert.deepEqual(niceTicks(3329), [0, 1000, 2000, 3000]);
    assert.deepEqual(niceTicks(3329, 12), [0, 500, 1000, 1500, 2000, 2500, 3000]);
    assert.deepEqual(niceTicks(690), [0, 200, 400, 600]);
    assert.deepEqual(niceTicks(1.2), [0, 0.2, 0.4, 0.6, 0.8, 1, 1.2]);
    assert.deepEqual(niceTicks(0), [0]);
    for (const span of [1, 7, 554.8 * 6, 12345, 9_999_999]) {
      const t = niceTicks(span);
      const step = t[1] - t[0];
      const mant = step / 10 ** Math.floor(Math.log10(step));
      assert.ok([1, 2, 5].some((k) => Math.abs(mant - k) < 1e-9), `step ${step} for ${span}`);
      assert.ok(t.length - 1 <= 6 && t[t.length - 1] <= span, `${t} for ${span}`);
    }
  });

  it('flow names are cut after each slash (for <wbr>), never inside a word', () => {
    assert.deepEqual(slashParts('data/fetch/minute_candles'), ['data/', 'fetch/', 'minute_candles']);
    assert.deepEqual(slashParts('plain'), ['plain']);
    assert.deepEqual(slashParts('/a//b/'), ['/', 'a/', '/', 'b/']);
    assert.equal(slashParts('data/fetch/minute_candles').join(''), 'data/fetch/minute_candles');
  });

  it('event types keep their meaning: failure red-ish, session_end neutral, success green', () => {
    const types = ['checkpoint', 'exception', 'failure', 'flow_start', 'metric', 'session_end', 'session_start', 'success'];
    const c = new Map(types.map((t, i) => [t, eventTypeColors(palette, types)[i]]));
    assert.equal(c.get('failure'), 'red');
    assert.equal(c.get('exception'), 'orange');
    assert.equal(c.get('success'), 'green');
    assert.equal(c.get('session_end'), 'muted');
    assert.equal(c.get('session_start'), 'muted');
    for (const t of ['checkpoint', 'metric', 'flow_start']) assert.ok(!['red', 'orange', 'green'].includes(c.get(t)!), `${t} is ${c.get(t)}`);
    assert.notEqual(c.get('checkpoint'), c.get('metric'), 'other types get distinct colours');
  });
});
