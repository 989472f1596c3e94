/**
 * Telemetry panels — defined once, here: one {@link StorePanel} per Grain/Assay queue (formats.md §3, its envelope events rolled up by pulse.ts) and per SQLite store read (Pulse, sovereignty, brainstem, flowscribe sink, generic), drawn as-is by the dashboard's Telemetry section and the sidebar's Telemetry view.
 */
import * as path from 'node:path';
import type { StorePanel } from './dashboardTypes';
import type { StoreReport } from '../read/sqlite/stores';
import type { TraceEvent } from '../model/types';
import { pulseRollup, type PulseRollup } from '../analyze/rollup';
import { Redactor } from './egress/redact';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function pct(n: number | undefined): string {
  return n === undefined ? '–' : `${Math.round(n * 10) / 10}%`;
}

function recordTable(title: string, head: [string, string], rec: Record<string, number>): StorePanel['tables'][number] {
  return { title, columns: [...head], rows: Object.entries(rec).sort((a, b) => b[1] - a[1] || cmp(a[0], b[0])).map(([k, v]) => [k === '' ? '""' : k, v]) };
}

/** The figures of one Pulse rollup (a queue's envelopes or a Pulse store), the same for both. */
function pulseContent(p: PulseRollup, out: StorePanel): void {
  const v = p.verification;
  out.stats.push(
    { label: 'Events', value: p.total },
    { label: 'Verification pass rate', value: v.overall.rate === undefined ? '–' : `${pct(v.overall.rate * 100)} (${v.overall.passed}/${v.overall.total})` },
    { label: 'Unsupported versions', value: p.unsupported.reduce((n, u) => n + u.count, 0) },
  );
  out.tables.push(recordTable('Events by type', ['type', 'count'], p.byType));
  out.tables.push(recordTable('Events by source', ['source', 'count'], p.bySource));
  out.tables.push({ title: 'Phases', columns: ['phase', 'closes', 'tasks done', 'task closes'], rows: p.phases.map((x) => [x.phase === '' ? '""' : x.phase, x.closes, x.tasksDone, x.taskCloses]) });
  out.tables.push(recordTable('Stop reasons', ['reason', 'count'], p.stopReasons));
  out.tables.push({ title: 'Verification by target', columns: ['target', 'passed', 'total', 'rate'], rows: Object.entries(v.byTarget).sort((a, b) => cmp(a[0], b[0])).map(([k, x]) => [k, x.passed, x.total, x.rate === undefined ? '–' : pct(x.rate * 100)]) });
  out.tables.push({ title: 'Unsupported versions', columns: ['type', 'version', 'count'], rows: p.unsupported.map((u) => [u.type, u.version, u.count]) });
}

/** `.grain/telemetry_queue.jsonl` → "Grain queue" (the producer is the folder, formats.md §3). */
function queueKind(file: string): string {
  const producer = path.basename(path.dirname(file)).replace(/^\./, '');
  return `${producer ? producer[0].toUpperCase() + producer.slice(1) : 'Telemetry'} queue`;
}

/** A discovered queue file and how its lines read (`TraceWorkspace.sources()`, kind `queue`). */
export interface QueueSource {
  file: string;
  malformed?: number;
  error?: string;
}

/**
 * One panel per queue file, in path order: every file the envelope events came from (`src.file`)
 * and every discovered `queues` entry (so a queue whose lines are all malformed still shows, with
 * its problem). `root` (the workspace folder) makes the shown name relative; `path` stays full.
 */
export function queuePanels(envelopes: readonly TraceEvent[], opts: { root?: string; queues?: readonly QueueSource[] } = {}): StorePanel[] {
  const byFile = new Map<string, TraceEvent[]>();
  for (const q of opts.queues ?? []) byFile.set(q.file, []);
  for (const e of envelopes) {
    const f = e.src?.file ?? '';
    let list = byFile.get(f);
    if (!list) byFile.set(f, (list = []));
    list.push(e);
  }
  const info = new Map((opts.queues ?? []).map((q) => [q.file, q]));
  const root = opts.root;
  return [...byFile.keys()].sort(cmp).map((file) => {
    const events = byFile.get(file)!;
    const rel = root && file ? path.relative(root, file) : '';
    const name = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : path.basename(file) || 'telemetry queue';
    const q = info.get(file);
    const problems = [...(q?.error ? [q.error] : []), ...(q?.malformed ? [`${q.malformed} malformed line(s)`] : [])];
    const p: StorePanel = { path: file, name, kind: queueKind(file), rows: events.length, problems, stats: [], tables: [] };
    pulseContent(pulseRollup(events), p);
    p.tables = p.tables.filter((t) => t.rows.length > 0);
    return p;
  });
}

/** Panels for stores that were read (Pulse, sovereignty, brainstem, flowscribe sinks, others). */
export function storePanels(stores: readonly StoreReport[], red: Redactor = new Redactor()): StorePanel[] {
  const out: StorePanel[] = [];
  for (const s of stores) {
    const name = s.path.split(/[\\/]/).pop() ?? s.path;
    const p: StorePanel = { path: s.path, name, kind: s.kind ?? 'unreadable', rows: s.rows, problems: s.problems.map((e) => red.string(`${e.table ? `table ${e.table}: ` : ''}${e.message}`)), stats: [], tables: [] };
    const r = s.rollups;
    if (r?.pulse) pulseContent(r.pulse, p);
    if (r?.sovereignty) {
      const x = r.sovereignty;
      p.stats.push({ label: 'Events', value: x.events }, { label: 'API calls', value: x.apiCalls }, { label: 'Cost (USD)', value: x.costUsd.toFixed(2) }, { label: 'Cost per hour', value: x.costPerHour === undefined ? '–' : x.costPerHour.toFixed(2) }, { label: 'Live sessions', value: x.liveSessions.length });
      p.tables.push({ title: 'Sovereignty by layer', columns: ['layer', 'sovereign', 'total', 'sovereign %'], rows: x.layers.map((l) => [l.layer, l.sovereign, l.total, pct(l.percent)]) });
      p.tables.push({ title: 'Sessions', columns: ['session', 'game', 'start', 'end', 'skills'], rows: x.sessions.map((z) => [z.sessionId, z.game ?? '', z.startTime ?? '', z.live ? 'live' : z.endTime ?? '', z.skillsCrystallized]) });
    }
    if (r?.brainstem) {
      const x = r.brainstem;
      p.stats.push({ label: 'Envelopes', value: x.envelopes }, { label: 'Failures', value: x.failuresTotal });
      if (x.canonicalEvents !== undefined) p.stats.push({ label: 'Canonical events', value: x.canonicalEvents });
      p.tables.push(recordTable('Envelopes by status', ['status', 'count'], x.byStatus));
      p.tables.push(recordTable('Envelopes by source', ['source', 'count'], x.bySource));
      p.tables.push({ title: 'Failure reasons', columns: ['status', 'reason', 'count'], rows: x.failureReasons.map((f) => [f.status, f.reason ?? '', f.count]) });
      p.tables.push({ title: 'Top signatures', columns: ['signature', 'family', 'service', 'occurrences'], rows: x.topSignatures.map((g) => [g.key ?? String(g.id), g.family ?? '', g.service ?? '', g.occurrences]) });
    }
    if (r?.flowscribe) {
      const x = r.flowscribe;
      p.stats.push({ label: 'Events', value: x.events }, { label: 'Malformed', value: x.malformed }, { label: 'Runs', value: x.runs.length });
      p.tables.push(recordTable('Events by type', ['type', 'count'], x.byType));
    }
    if (!r) p.stats.push({ label: 'Rows', value: s.rows });
    const tables = (s.tables ?? []).filter((t) => (t.type ?? 'table') === 'table');
    if (tables.length) p.tables.push({ title: 'Tables', columns: ['table', 'columns'], rows: tables.map((t) => [t.name, t.columns.length]) });
    p.tables = p.tables.filter((t) => t.rows.length > 0);
    out.push(p);
  }
  return out;
}

/** Every telemetry panel of a workspace: its queues first, then its stores. */
export function telemetryPanels(envelopes: readonly TraceEvent[], stores: readonly StoreReport[], opts: { root?: string; queues?: readonly QueueSource[]; redactor?: Redactor } = {}): StorePanel[] {
  return [...queuePanels(envelopes, opts), ...storePanels(stores, opts.redactor)];
}
