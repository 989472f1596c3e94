/**
 * Issue 13 class 4 ("prototype keys"): run ids, flow names, flow ids, steps, failure classes,
 * tags, metric names, evidence and correlation keys named `__proto__`, `constructor`,
 * `toString`, `hasOwnProperty`, `valueOf` (test/fixtures/hostile/proto-keys, written by its
 * generate.js). Everything runs in this process, as in the extension host: TraceWorkspace,
 * rollups, diff, the dashboard model (and sanitizeModel), ask.md / summary.md, and every CLI
 * command's --json through runCommand. Object.prototype must gain nothing, a class named
 * `constructor` must print as its name, and the counts are worked out from generate.js.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildAskMd } from '../../../src/core/render/ask';
import { buildSummaryMd } from '../../../src/core/render/askArtifacts';
import { buildDashboardModel, sanitizeModel } from '../../../src/core/render/dashboard';
import { diffRuns } from '../../../src/core/analyze/diff';
import { toChromeTrace, toMermaid } from '../../../src/core/render/export';
import type { Run } from '../../../src/core/model/types';
import { eventCounts, flowRollups, pulseRollup, rollupRuns } from '../../../src/core/analyze/rollup';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { Redactor } from '../../../src/core/render/egress/redact';
import { bump, boundedCopy, getOwn, record, safeStringify } from '../../../src/core/model/bounded';
import { runCommand, type CommandName, type CommonOptions } from '../../../src/cli/commands';
import type { TraceEvent } from '../../../src/core/model/types';

const SOURCE = path.resolve(__dirname, '../../../../test/fixtures/hostile/proto-keys');
/** A temporary workspace whose .autodev/ holds the fixture's files (set in `before`). */
let FIXTURE = '';
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const NATIVE = /native code|function Object|\[object Object\]/;

const protoNames = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();

/** Object.prototype is untouched: same own names, nothing named `polluted` reachable from `{}`. */
function assertClean(before: string[], what: string): void {
  assert.deepEqual(protoNames(), before, `${what}: Object.prototype gained keys`);
  const o: Record<string, unknown> = {};
  assert.equal(o.polluted, undefined, `${what}: ({}).polluted`);
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  for (const n of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) assert.equal(typeof (o as Record<string, unknown>)[n], 'function', `${what}: Object.prototype.${n}`);
}

async function cli(name: CommandName, opts: CommonOptions): Promise<any> {
  let out = '';
  let err = '';
  await runCommand(name, FIXTURE, { json: true, ...opts }, { out: (s) => (out += s), err: (s) => (err += s) });
  assert.equal(err, '', `${name}: stderr`);
  return name === 'ask' || name === 'export' ? out : JSON.parse(out);
}

describe('totality: prototype-named keys (issue 13 class 4)', function () {
  this.timeout(60_000);
  let protoBefore: string[];
  let ws: TraceWorkspace;
  let runs: Run[];
  const byId = (id: string): Run => {
    const r = runs.find((x) => x.id === id);
    assert.ok(r, `run ${id}`);
    return r;
  };

  before(async () => {
    protoBefore = protoNames();
    FIXTURE = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-proto-ws-'));
    fs.mkdirSync(path.join(FIXTURE, '.autodev'));
    for (const f of ['trace.jsonl', 'flows.yaml', 'ra.yaml']) fs.copyFileSync(path.join(SOURCE, f), path.join(FIXTURE, '.autodev', f));
    ws = new TraceWorkspace(FIXTURE, { final: true, now: () => Date.parse('2030-01-01T00:00:00Z') });
    await ws.load({ final: true });
    runs = ws.runs();
  });

  after(() => fs.rmSync(FIXTURE, { recursive: true, force: true }));

  afterEach(function () {
    assertClean(protoBefore, this.currentTest?.title ?? '');
  });

  it('the committed fixture is what generate.js writes', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-proto-'));
    execFileSync(process.execPath, [path.join(SOURCE, 'generate.js'), tmp]);
    for (const f of ['trace.jsonl', 'flows.yaml', 'ra.yaml']) {
      assert.equal(fs.readFileSync(path.join(tmp, f), 'utf8'), fs.readFileSync(path.join(SOURCE, f), 'utf8'), f);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('TraceWorkspace: one run per name, each with its own flows, tags and correlation', () => {
    assert.deepEqual(runs.map((r) => r.id).sort(), [...NAMES].sort());
    for (const n of NAMES) {
      const r = byId(n);
      assert.equal(r.status, 'failed', n);
      assert.deepEqual(r.tags, [n]);
      assert.equal(r.flows.size, n === 'constructor' ? 3 : 2, n);
      const f = r.flows.get(n);
      assert.ok(f, `flow ${n} in run ${n}`);
      assert.equal(f.name, n);
      assert.equal(f.verdict, 'failed');
      assert.equal(f.verdictEvent?.failureClass, n);
      assert.ok(Object.prototype.hasOwnProperty.call(f.correlation, n), `correlation key ${n} kept`);
      assert.equal(getOwn(f.correlation, n), 'c-' + n);
      assert.equal(Object.keys(f.correlation).length, 1);
      const metric = r.events.find((e) => e.type === 'metric');
      assert.equal(metric?.metric?.name, n);
    }
  });

  it('rollups: failure classes and event counts keyed by the names, with the right numbers', () => {
    const flows = flowRollups(runs, { catalog: ws.catalog });
    assert.deepEqual(flows.map((f) => f.flow), ['__proto__', 'constructor', 'extra', 'hasOwnProperty', 'toString', 'valueOf']);
    for (const f of flows) {
      const entries = Object.entries(f.failureClasses);
      if (f.flow === 'extra') assert.deepEqual(entries, [['__proto__.polluted', 5]]);
      else assert.deepEqual(entries, [[f.flow, f.flow === 'constructor' ? 2 : 1]]);
      assert.equal(f.failed, f.flow === 'extra' ? 5 : f.flow === 'constructor' ? 2 : 1);
      for (const [k, v] of entries) assert.equal(typeof v, 'number', `${f.flow}.${k}`);
    }
    // SLA: ra.yaml sla_overrides "__proto__" 10, "constructor" 20; flows.yaml 50 for the others.
    assert.deepEqual(flows.map((f) => f.slaP95Ms), [10, 20, undefined, 50, 50, 50]);
    const { overall, byRun } = eventCounts(runs);
    assert.equal(overall.total, 42); // 8 lines per run, 2 more in run "constructor"
    assert.deepEqual(Object.entries(overall.byFailureClass).sort(), [['__proto__', 1], ['__proto__.polluted', 5], ['constructor', 2], ['hasOwnProperty', 1], ['toString', 1], ['valueOf', 1]]);
    assert.deepEqual(Object.keys(byRun).sort(), [...NAMES].sort());
    const run = (k: string) => byRun[k];
    const cls = (c: Record<string, number>, k: string) => c[k];
    assert.equal(run('__proto__').total, 8);
    assert.equal(run('constructor').total, 10);
    assert.equal(cls(run('constructor').byFailureClass, 'constructor'), 2);
    assert.equal(cls(run('toString').byType, 'failure'), 2); // its flow and "extra"
    assert.equal(cls(rollupRuns(runs, { catalog: ws.catalog }).counts.byFailureClass, 'toString'), 1);
  });

  it('pulse rollup: a target, source and type named __proto__ / constructor are counted, not written to Object.prototype', () => {
    const env = (type: string, payload: unknown, source: string): TraceEvent => ({ dialect: 'envelope', type, tags: [], extra: {}, src: { file: 'q', line: 1 }, version: 1, source, payload, ts: Date.parse('2026-11-20T00:00:00Z') });
    const p = pulseRollup([
      env('verification.completed', JSON.parse('{"target": "__proto__", "passed": true}'), '__proto__'),
      env('verification.completed', { target: 'constructor', passed: false }, 'constructor'),
      env('workflow.next.stop_reason', { stop_reason: 'toString' }, 'toString'),
      env('__proto__', {}, 'valueOf'),
    ]);
    assert.deepEqual(Object.entries(p.verification.byTarget), [['__proto__', { total: 1, passed: 1, rate: 1 }], ['constructor', { total: 1, passed: 0, rate: 0 }]]);
    assert.deepEqual(Object.entries(p.bySource), [['__proto__', 1], ['constructor', 1], ['toString', 1], ['valueOf', 1]]);
    assert.deepEqual(Object.entries(p.stopReasons), [['toString', 1]]);
    assert.equal(p.byType.__proto__, 1);
  });

  it('diff: evidence keys named like Object.prototype members compare as keys', () => {
    const d = diffRuns(byId('constructor'), byId('toString'));
    assert.deepEqual(d.gone.map((e) => e.flow), ['constructor']);
    assert.deepEqual(d.new.map((e) => e.flow), ['toString']);
    assert.deepEqual(d.stillFailing.map((e) => e.flow), ['extra']);
    const same = diffRuns(byId('valueOf'), byId('valueOf'));
    assert.equal(same.newlyFailing.length + same.fixed.length + same.new.length + same.gone.length, 0);
    // Evidence {valueOf: "e"} vs {}: one change, `before` the string (not Object.prototype.valueOf).
    const a = byId('valueOf');
    const b = { ...a, id: 'b', flows: new Map([...a.flows].map(([k, f]) => [k, { ...f, verdictEvent: f.verdictEvent && { ...f.verdictEvent, evidence: {} } }])) } as Run;
    const still = diffRuns(a, b).stillFailing.find((e) => e.flow === 'valueOf');
    assert.ok(still);
    assert.deepEqual(still.changes, [{ key: 'evidence.valueOf', before: 'e', after: undefined }]);
  });

  it('dashboard model (and sanitizeModel, as posted to the webview): names print as names, counts right', () => {
    const inputs = { runs, latestRunId: 'valueOf', catalog: ws.catalog };
    for (const sel of ['all', '__proto__', 'constructor', 'toString'] as const) {
      const m = buildDashboardModel(inputs, sel);
      const text = JSON.stringify(sanitizeModel(m, new Redactor(), new Map()));
      assert.doesNotMatch(text, NATIVE, sel);
    }
    const m = buildDashboardModel(inputs, 'all');
    const byClass = new Map(m.failures.byClass.map((c) => [c.failureClass, c.count]));
    assert.deepEqual([...byClass].sort(), [['__proto__', 1], ['__proto__.polluted', 5], ['constructor', 2], ['hasOwnProperty', 1], ['toString', 1], ['valueOf', 1]]);
    assert.equal(m.flows.find((f) => f.flow === 'constructor')?.topFailureClasses[0].failureClass, 'constructor');
    const one = buildDashboardModel(inputs, '__proto__');
    assert.deepEqual(one.selection.runIds, ['__proto__']);
    const sanitized = sanitizeModel({ k: JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 2}') }, new Redactor(), new Map());
    assert.deepEqual(Object.keys(sanitized.k), ['__proto__', 'constructor']);
  });

  it('ask.md, summary.md and exports of every run: names as names, no native code', () => {
    for (const n of NAMES) {
      const r = byId(n);
      const md = buildAskMd(r, {});
      assert.doesNotMatch(md, NATIVE, `ask.md ${n}`);
      assert.ok(md.includes(n.replace(/_/g, '\\_')) || md.includes(n), `ask.md names ${n}`);
      assert.doesNotMatch(buildSummaryMd(r, {}), NATIVE, `summary.md ${n}`);
      assert.doesNotMatch(JSON.stringify(toChromeTrace(r)), NATIVE);
      assert.doesNotMatch(toMermaid(r), NATIVE);
    }
  });

  it('every CLI command --json (in this process): names as names, counts right', async () => {
    const runsDoc = await cli('runs', {});
    assert.deepEqual(runsDoc.runs.map((r: { id: string }) => r.id), ['valueOf', 'hasOwnProperty', 'toString', 'constructor', '__proto__']);
    const flowsDoc = await cli('flows', { run: 'all' });
    const ctor = flowsDoc.flows.find((f: { name: string }) => f.name === 'constructor');
    assert.deepEqual(ctor.failure_classes, { constructor: 2 });
    const proto = flowsDoc.flows.find((f: { name: string }) => f.name === '__proto__');
    assert.deepEqual(Object.entries(proto.failure_classes), [['__proto__', 1]]);
    const fails = await cli('failures', { run: 'all' });
    assert.equal(fails.failures.length, 11);
    assert.deepEqual(fails.failures.filter((f: { failure_class: string }) => f.failure_class === 'constructor').length, 2);
    const ev = fails.failures.find((f: { run: string; flow: string }) => f.run === '__proto__' && f.flow === '__proto__');
    assert.deepEqual(Object.entries(ev.evidence), [['__proto__', 'e']]);
    const metrics = await cli('metrics', { run: 'all' });
    assert.deepEqual(Object.entries(metrics.counts.by_failure_class).sort(), [['__proto__', 1], ['__proto__.polluted', 5], ['constructor', 2], ['hasOwnProperty', 1], ['toString', 1], ['valueOf', 1]]);
    assert.equal(metrics.counts.by_type.failure, 11);
    const diff = await cli('diff', { compare: ['constructor', 'toString'] });
    assert.doesNotMatch(JSON.stringify(diff), NATIVE);
    for (const n of NAMES) {
      const ask = await cli('ask', { run: n, json: false });
      assert.doesNotMatch(ask, NATIVE, `ask ${n}`);
      const exp = await cli('export', { run: n, format: 'chrome' });
      assert.doesNotMatch(exp, NATIVE, `export ${n}`);
      assert.ok(JSON.parse(exp).traceEvents.length > 0);
    }
    const all = JSON.stringify([runsDoc, flowsDoc, fails, metrics, diff]);
    assert.doesNotMatch(all, NATIVE);
  });

  it('bounded.ts helpers: records without a prototype, own-key reads, __proto__ kept by copies', () => {
    const r = record<number>();
    for (const n of NAMES) bump(r, n);
    bump(r, 'constructor', 2);
    assert.deepEqual(Object.entries(r), [['__proto__', 1], ['constructor', 3], ['toString', 1], ['hasOwnProperty', 1], ['valueOf', 1]]);
    assert.equal(getOwn({}, 'constructor'), undefined);
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": [1, {"__proto__": 2}]}');
    const copy = boundedCopy(parsed) as Record<string, unknown>;
    assert.ok(Object.prototype.hasOwnProperty.call(copy, '__proto__'));
    assert.equal(safeStringify(parsed), '{"__proto__":{"polluted":true},"a":[1,{"__proto__":2}]}');
    assert.equal(safeStringify(new Map([['__proto__', 1]])), '{"__proto__":1}');
  });
});
