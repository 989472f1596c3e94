// Issue 16: a Flowlens diagnostic's hover says each thing once — the reason and where it was seen
// in the message, the failure class as the code (`flowlens(DATA.EMPTY)`), not both.
import { strict as assert } from 'node:assert';
import type { TraceEvent } from '../../../src/core/model/types';
import { diagnosticMessage } from '../../../src/host/format';

const ev = (o: Partial<TraceEvent>): TraceEvent => ({ type: 'failure', ...o }) as TraceEvent;

describe('diagnostic message (issue 16)', () => {
  it('gives the reason and the flow, not the class the code already shows', () => {
    const m = diagnosticMessage('data/fetch/minute_candles', ev({ failureClass: 'DATA.EMPTY', reason: 'vendor returned 0 rows for NVDA' }), 'r-b7d2');
    assert.equal(m, 'vendor returned 0 rows for NVDA — data/fetch/minute_candles (run r-b7d2)');
    assert.ok(!m.includes('DATA.EMPTY'));
  });
  it('an exception says its type and message; a bare failure falls back to its class', () => {
    assert.equal(diagnosticMessage('ind', ev({ type: 'exception', failureClass: 'DATA.MISSING_COLUMN', exception: { type: 'KeyError', message: "'ema_21'" } as TraceEvent['exception'] }), 'r'), "KeyError: 'ema_21' — ind (run r)");
    assert.equal(diagnosticMessage('f', ev({ failureClass: 'X.Y' }), 'r'), 'X.Y — f (run r)');
  });
});
