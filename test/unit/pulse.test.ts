import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TraceEvent } from '../../src/core/model/types';
import { pulseRollup, UNKNOWN_SOURCE, utcDay } from '../../src/core/model/pulse';
import { TraceWorkspace } from '../../src/core/read/workspace';

/** Data-keyed records are null-prototype objects (issue 13): compare their JSON shape. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const STORES = path.resolve('test/fixtures/stores');

/** A tiny envelope event (formats §3) without going through the normaliser. */
function env(type: string, payload: unknown, over: Partial<TraceEvent> = {}): TraceEvent {
  return { dialect: 'envelope', type, version: 1, payload, tags: [], extra: {}, src: { file: 'q.jsonl', line: 1 }, ...over };
}

/** Read a queue file the simplest possible way: one JSON.parse per line, skip what fails. */
function readQueue(rel: string, source: string): TraceEvent[] {
  const file = path.join(STORES, rel);
  const out: TraceEvent[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      let o: { event_type: string; version: number; timestamp: string; payload: unknown };
      try {
        o = JSON.parse(text) as typeof o;
      } catch {
        return; // blank line or the writer's cut-off last line
      }
      out.push(
        env(o.event_type, o.payload, { version: o.version, ts: Date.parse(o.timestamp), tsRaw: o.timestamp, source, src: { file, line: i + 1 } }),
      );
    });
  return out;
}

const T = (iso: string): number => Date.parse(iso);

describe('pulseRollup over the .grain and .assay queue fixtures', () => {
  const grain = readQueue('.grain/telemetry_queue.jsonl', 'grain');
  const assay = readQueue('.assay/telemetry_queue.jsonl', 'assay');
  const r = pulseRollup([...grain, ...assay]);

  it('counts every complete line, by type and by source (the cut-off last lines are not events)', () => {
    // grain: 193 lines, the last cut off mid-write; assay: 49 lines, the last cut off (grep -c).
    assert.equal(r.total, 192 + 48);
    assert.deepEqual(plain(r.bySource), { grain: 192, assay: 48 });
    // grep -o '"event_type": ...' | uniq -c, minus the cut-off task.close in each file.
    assert.deepEqual(plain(r.byType), {
      'phase.close': 8,
      'suggest.accept': 29,
      'task.close': 88,
      'workflow.next.stop_reason': 67,
      'verification.completed': 48,
    });
  });

  it('counts the version 2 task.close as unsupported and does not read it', () => {
    assert.deepEqual(r.unsupported, [{ type: 'task.close', version: 2, count: 1 }]);
    const blank = r.phases.find((p) => p.phase === '');
    assert.equal(blank?.taskCloses, 87); // 88 task.close lines, one of them version 2
  });

  it('rolls phase.close up per phase (grep phase.close, summed by hand)', () => {
    assert.deepEqual(r.phases, [
      { phase: '', closes: 0, tasksDone: 0, taskCloses: 87 },
      { phase: '30', closes: 1, tasksDone: 5, taskCloses: 0, firstClosedAt: T('2026-11-20T20:48:26Z'), lastClosedAt: T('2026-11-20T20:48:26Z') },
      { phase: '31', closes: 5, tasksDone: 8 + 4 + 5 + 12 + 9, taskCloses: 0, firstClosedAt: T('2026-11-20T13:02:46Z'), lastClosedAt: T('2026-11-20T21:58:01Z') },
      { phase: '32', closes: 2, tasksDone: 6 + 10, taskCloses: 0, firstClosedAt: T('2026-11-20T14:23:07Z'), lastClosedAt: T('2026-11-20T21:25:38Z') },
    ]);
  });

  it('counts stop reasons', () => {
    assert.deepEqual(plain(r.stopReasons), {
      clean_tree: 13,
      packet_required: 10,
      phase_boundary_review_close_required: 13,
      phase_has_no_tasks: 14,
      project_complete: 6,
      task_planning_required: 11,
    });
  });

  it('computes verification pass rates overall, per target and per UTC day', () => {
    assert.deepEqual(r.verification.overall, { total: 48, passed: 35, rate: 35 / 48 });
    assert.deepEqual(plain(r.verification.byTarget), {
      grain: { total: 20, passed: 14, rate: 14 / 20 },
      pulse: { total: 11, passed: 7, rate: 7 / 11 },
      assay: { total: 17, passed: 14, rate: 14 / 17 },
    });
    assert.deepEqual(r.verification.byDay, [{ day: '2026-11-20', total: 48, passed: 35, rate: 35 / 48 }]);
  });

  it('keeps the last 20 events by time, oldest first', () => {
    assert.equal(r.recent.length, 20);
    const last = r.recent[19];
    // Newest complete events (tail -2 of each file): assay verification 22:24:34, then grain
    // stop_reason 22:22:11.
    assert.equal(last.ts, T('2026-11-20T22:24:34Z'));
    assert.equal(last.type, 'verification.completed');
    assert.equal(r.recent[18].ts, T('2026-11-20T22:22:11Z'));
    for (let i = 1; i < r.recent.length; i++) assert.ok((r.recent[i - 1].ts ?? 0) <= (r.recent[i].ts ?? 0));
  });
});

describe('pulseRollup rules', () => {
  it('returns empty rollups for no events', () => {
    const r = pulseRollup([]);
    assert.equal(r.total, 0);
    assert.deepEqual(r.phases, []);
    assert.deepEqual(r.verification.overall, { total: 0, passed: 0 });
    assert.equal(r.verification.overall.rate, undefined);
    assert.deepEqual(r.recent, []);
  });

  it('treats phase "" as its own bucket and attributes task.close by payload.phase when given', () => {
    const r = pulseRollup([
      env('phase.close', { phase: '', tasks_done: 2 }, { ts: 1000 }),
      env('task.close', { task_id: 'a', phase: '7' }),
      env('task.close', { task_id: 'b' }),
    ]);
    assert.deepEqual(r.phases, [
      { phase: '', closes: 1, tasksDone: 2, taskCloses: 1, firstClosedAt: 1000, lastClosedAt: 1000 },
      { phase: '7', closes: 0, tasksDone: 0, taskCloses: 1 },
    ]);
  });

  it('never reads a future version, whatever its payload says', () => {
    const r = pulseRollup([
      env('phase.close', { phase: '1', tasks_done: 99 }, { version: 3 }),
      env('verification.completed', { target: 'x', passed: true }, { version: 2 }),
      env('verification.completed', { target: 'x', passed: true }, { version: 2 }),
    ]);
    assert.deepEqual(r.phases, []);
    assert.equal(r.verification.overall.total, 0);
    assert.deepEqual(r.unsupported, [
      { type: 'phase.close', version: 3, count: 1 },
      { type: 'verification.completed', version: 2, count: 2 },
    ]);
    assert.deepEqual(plain(r.byType), { 'phase.close': 1, 'verification.completed': 2 });
  });

  it('ignores payloads of the wrong shape without throwing, and buckets missing sources', () => {
    const r = pulseRollup([
      env('phase.close', null),
      env('phase.close', [1, 2]),
      env('phase.close', { phase: 5, tasks_done: 'x' }),
      env('phase.close', { phase: 'p', tasks_done: 'x' }),
      env('workflow.next.stop_reason', { stop_reason: 1 }),
      env('verification.completed', { passed: 'yes', target: 't' }),
      env('verification.completed', { passed: false }),
    ]);
    assert.deepEqual(r.phases, [{ phase: 'p', closes: 1, tasksDone: 0, taskCloses: 0 }]);
    assert.deepEqual(plain(r.stopReasons), {});
    assert.deepEqual(r.verification.overall, { total: 1, passed: 0, rate: 0 });
    assert.deepEqual(plain(r.verification.byTarget), {});
    assert.deepEqual(r.verification.byDay, []); // no time: left out of the daily series only
    assert.deepEqual(plain(r.bySource), { [UNKNOWN_SOURCE]: 7 });
  });

  it('sizes recent by option; events without a time sort first', () => {
    const r = pulseRollup([env('a', {}, { ts: 5 }), env('b', {}), env('c', {}, { ts: 1 })], { recent: 2 });
    assert.deepEqual(
      r.recent.map((e) => e.type),
      ['c', 'a'],
    );
    assert.deepEqual(pulseRollup([env('a', {})], { recent: 0 }).recent, []);
  });

  it('buckets days in UTC', () => {
    assert.equal(utcDay(T('2026-11-20T23:59:59.999Z')), '2026-11-20');
    assert.equal(utcDay(T('2026-11-21T00:00:00Z')), '2026-11-21');
  });
});

describe('pulseRollup end to end over test/fixtures/stores (TraceWorkspace envelopes)', () => {
  it('gives the same figures from the normalised queue events', async () => {
    const ws = new TraceWorkspace(STORES, { final: true });
    await ws.load({ final: true });
    const r = pulseRollup(ws.envelopes);
    assert.equal(r.total, 240);
    assert.deepEqual(plain(r.bySource), { grain: 192, assay: 48 });
    assert.deepEqual(r.unsupported, [{ type: 'task.close', version: 2, count: 1 }]);
    assert.deepEqual(r.verification.overall, { total: 48, passed: 35, rate: 35 / 48 });
    assert.equal(r.phases.find((p) => p.phase === '31')?.tasksDone, 38);
    assert.equal(r.stopReasons.phase_has_no_tasks, 14);
  });
});
