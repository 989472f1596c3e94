import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseSummaryMd, recoverFlowNames, type FlowEventSequence } from '../../src/core/read/summaryMd';

const RUNS = path.resolve('test/fixtures/demo-app/runs');

/** Flow sequences of a 0.1 trace, read straight from the JSONL (flows in first-appearance order). */
function sequences(runDir: string): FlowEventSequence[] {
  const byId = new Map<string, FlowEventSequence>();
  for (const line of fs.readFileSync(path.join(RUNS, runDir, 'trace.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as { event_type: string; flow_id: string; step: string | null };
    let seq = byId.get(o.flow_id);
    if (!seq) byId.set(o.flow_id, (seq = { id: o.flow_id, events: [] }));
    seq.events.push({ type: o.event_type, step: o.step ?? undefined });
  }
  return [...byId.values()];
}

describe('summaryMd', () => {
  it('parses the flow blocks of run2 (b7d2) summary.md', () => {
    const text = fs.readFileSync(path.join(RUNS, '20261119T140000Z-b7d2', 'summary.md'), 'utf8');
    const s = parseSummaryMd(text);
    assert.equal(s.app, 'trader');
    assert.deepEqual(
      s.flows.map((f) => f.name),
      [
        'premarket/prepare',
        'data/fetch/minute_candles',
        'indicators/ema/compute',
        'agent/decision/evaluate',
        'orders/submit',
        'data/fetch/minute_candles',
        'indicators/ema/compute',
        'data/fetch/minute_candles',
      ],
    );
    assert.equal(s.flows[0].line, 6);
    assert.deepEqual(s.flows[0].events, [
      { type: 'checkpoint', step: 'calendar' },
      { type: 'success', step: 'configs' },
    ]);
    assert.deepEqual(s.flows[6].events, [{ type: 'exception', step: 'columns' }]);
    assert.deepEqual(s.flows[7].events, [
      { type: 'checkpoint', step: 'request' },
      { type: 'metric', step: 'request' },
      { type: 'failure', step: 'validate' },
    ]);
  });

  it('recovers every flow name of run2 (b7d2) from its trace.jsonl', () => {
    const s = parseSummaryMd(fs.readFileSync(path.join(RUNS, '20261119T140000Z-b7d2', 'summary.md'), 'utf8'));
    const flows = sequences('20261119T140000Z-b7d2');
    const r = recoverFlowNames(flows, s.flows);
    assert.deepEqual(r.unmatched, []);
    assert.deepEqual(
      flows.map((f) => r.names.get(f.id)),
      [
        'premarket/prepare',
        'data/fetch/minute_candles',
        'indicators/ema/compute',
        'agent/decision/evaluate',
        'orders/submit',
        'data/fetch/minute_candles',
        'indicators/ema/compute',
        'data/fetch/minute_candles',
      ],
    );
    assert.equal(r.names.get('5ea46328-05a3-429b-a799-a4800858a104'), undefined); // that uuid is run1's
  });

  it('matches identical sequences in order, skips empty blocks, and reports what does not match', () => {
    const md = [
      '# Summary',
      '',
      'Session: demo',
      '',
      '## Flows and Events',
      '- **Flow:** never/emitted',
      '- **Flow:** first',
      '    - [success] step: go, evidence: {}',
      '- **Flow:** second',
      '    - [success] step: go, evidence: {"a, b": 1}',
      '- **Flow:** no-step',
      '    - [checkpoint] step: None, evidence: None',
      '',
      '## Failures',
      '- step: go, evidence: {}',
    ].join('\r\n');
    const s = parseSummaryMd(md);
    assert.equal(s.app, 'demo');
    assert.deepEqual(s.flows.map((f) => [f.name, f.events.length]), [['never/emitted', 0], ['first', 1], ['second', 1], ['no-step', 1]]);
    const r = recoverFlowNames(
      [
        { id: 'x', events: [{ type: 'success', step: 'go' }] },
        { id: 'y', events: [{ type: 'success', step: 'go' }] },
        { id: 'z', events: [{ type: 'checkpoint' }] },
        { id: 'w', events: [{ type: 'success', step: 'go' }] },
      ],
      s.flows,
    );
    assert.deepEqual([...r.names], [['x', 'first'], ['y', 'second'], ['z', 'no-step']]);
    assert.deepEqual(r.unmatched, ['w']);
  });

  it('survives text that is not a summary', () => {
    assert.deepEqual(parseSummaryMd(''), { flows: [] });
    assert.deepEqual(parseSummaryMd('    - [success] step: x').flows, []);
    assert.deepEqual(recoverFlowNames([{ id: 'a', events: [] }], []), { names: new Map(), unmatched: ['a'] });
  });
});
