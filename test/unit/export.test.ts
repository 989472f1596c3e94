import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { mermaidEscape, redactChromeTrace, toChromeTrace, toMermaid } from '../../src/core/render/export';
import { Redactor } from '../../src/core/render/egress/redact';
import type { FlowNode, Run, Verdict } from '../../src/core/model/types';
import { TraceWorkspace } from '../../src/core/read/workspace';

const DEMO = path.resolve('test/fixtures/demo-app');
const HOSTILE = '<img src=x onerror=alert(1)>';

function node(id: string, name: string, verdict: Verdict, parent?: FlowNode): FlowNode {
  const f: FlowNode = { id, name, displayName: name, runId: 'r', parentId: parent?.id, children: [], events: [], steps: [], verdict, correlation: {}, tags: [], started: 1000, ended: 1010, durationMs: 10 };
  (parent?.children as FlowNode[] | undefined)?.push(f);
  return f;
}

function runOf(roots: FlowNode[], all: FlowNode[]): Run {
  return { id: 'r', dialect: 'flowscribe-v1', sources: [], primarySource: '', tags: [], status: 'failed', flows: new Map(all.map((f) => [f.id, f])), roots, events: [], malformed: [], notes: [] };
}

describe('export: Chrome trace of b7d2', () => {
  let run: Run;
  before(async () => {
    const ws = new TraceWorkspace(DEMO, { now: () => Date.parse('2030-01-01T00:00:00Z'), final: true });
    await ws.load({ final: true });
    run = ws.getRun('20261119T140000Z-b7d2') as Run;
    assert.ok(run);
  });

  it('has one X event per flow, one process and one thread per root flow', () => {
    const t = toChromeTrace(run);
    const x = t.traceEvents.filter((e) => e.ph === 'X');
    const m = t.traceEvents.filter((e) => e.ph === 'M');
    // 8 flow_start lines in the run; one root (premarket/prepare).
    assert.equal(x.length, 8);
    assert.deepEqual(m.map((e) => [e.name, e.tid, e.args?.name]), [['process_name', 0, '20261119T140000Z-b7d2'], ['thread_name', 1, 'premarket/prepare']]);
    assert.ok(x.every((e) => e.pid === 1 && e.tid === 1));
    // JSON round trip: what is written to the file.
    assert.deepEqual(JSON.parse(JSON.stringify(t)).traceEvents.length, 10);
  });

  it('times the NVDA fetch in µs from its flow_start to its failure, with verdict args', () => {
    const nvda = toChromeTrace(run).traceEvents.find((e) => e.args?.flow_id === 'f-0008');
    assert.ok(nvda);
    assert.equal(nvda.name, 'data/fetch/minute_candles');
    assert.equal(nvda.ts, Date.parse('2026-11-19T09:00:00.685Z') * 1000);
    assert.equal(nvda.dur, 690_000);
    assert.deepEqual(nvda.args, {
      flow_id: 'f-0008',
      verdict: 'failed',
      failure_class: 'DATA.EMPTY',
      reason: 'vendor returned 0 rows for NVDA',
      location: 'trader/data/fetcher.py:15',
      parent_flow_id: 'f-0001',
    });
  });

  it('renders the b7d2 tree as Mermaid with verdict classes', () => {
    const m = toMermaid(run);
    const lines = m.trim().split('\n');
    assert.equal(lines[0], 'flowchart TD');
    // Depth first: premarket n0; fetch AAPL n1, indicators n2, agent n3 → orders n4, fetch MSFT n5, indicators n6, fetch NVDA n7.
    assert.ok(lines.includes('  n0["premarket/prepare - succeeded - 47 ms"]'));
    assert.ok(lines.includes('  n7["data/fetch/minute_candles - failed - 690 ms - DATA.EMPTY"]'));
    assert.ok(lines.includes('  n3 --> n4'));
    assert.ok(lines.includes('  n0 --> n7'));
    assert.ok(lines.includes('  class n7 failed'));
    assert.ok(lines.includes('  class n6 exception'));
    assert.deepEqual(lines.filter((l) => l.startsWith('  classDef')).map((l) => l.split(' ')[3]), ['succeeded', 'exception', 'failed']);
  });
});

describe('export: Mermaid escaping of hostile names', () => {
  it('turns every syntax character into a numeric entity', () => {
    assert.equal(mermaidEscape(HOSTILE), '#60;img src#61;x onerror#61;alert(1)#62;');
    assert.equal(mermaidEscape('a"]; click n0 call x()%%'), 'a#34;#93;#59; click n0 call x()#37;#37;');
    assert.equal(mermaidEscape('line1\nline2'), 'line1 line2');
    assert.equal(mermaidEscape('`**md**`'), '#96;#42;#42;md#42;#42;#96;');
  });

  it('keeps a hostile flow name inside its quoted label', () => {
    const root = node('1', HOSTILE, 'failed');
    const child = node('2', 'x"] --> evil["pwn', 'succeeded', root);
    const m = toMermaid(runOf([root], [root, child]));
    for (const line of m.trim().split('\n').slice(1)) {
      // Every line is a node, an edge, a class or a classDef — nothing the names injected.
      assert.match(line, /^ {2}(n\d+\["[^"<>\]`]*"\]|n\d+ --> n\d+|class n\d+ \w+|classDef \w+ [\w:#,]+)$/, line);
    }
    assert.ok(!m.includes('<img'));
  });
});

describe('export: redaction before a file leaves the editor', () => {
  const SECRET = 'sk-live-0123456789abcdefABCDEF';
  function secretRun(): Run {
    const root = node('f-1', `orders/submit key=${SECRET}`, 'failed');
    root.verdictEvent = {
      dialect: 'flowscribe-v1', type: 'failure', tags: [], extra: {}, src: { file: 't', line: 1 },
      failureClass: 'EXTERNAL.REJECTED', reason: 'broker said: password=hunter2 is wrong', file: 'trader/orders.py', line: 12,
    };
    return runOf([root], [root]);
  }

  it('redactChromeTrace removes credentials from names and reasons and keeps the rest', () => {
    const red = new Redactor({});
    const t = redactChromeTrace(toChromeTrace(secretRun()), red);
    const text = JSON.stringify(t);
    assert.ok(!text.includes(SECRET), text);
    assert.ok(!text.includes('hunter2'), text);
    const x = t.traceEvents.find((e) => e.ph === 'X')!;
    assert.ok(x.name.startsWith('orders/submit'), x.name);
    assert.equal(x.args?.failure_class, 'EXTERNAL.REJECTED');
    assert.equal(x.args?.location, 'trader/orders.py:12');
  });

  it('toMermaid passes every trace-derived label through the given scrubber', () => {
    const red = new Redactor({});
    const plain = toMermaid(secretRun());
    assert.ok(plain.includes('sk-live'), 'without a scrubber names are as written (entity-escaped)');
    const safe = toMermaid(secretRun(), { label: (s) => red.identifier(s) });
    assert.ok(!safe.includes(SECRET) && !safe.includes('0123456789abcdef'), safe);
  });
});
