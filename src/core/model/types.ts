/**
 * The one run/flow model every Flowlens surface reads (CLI, tree views, dashboard, prompts).
 * Pure data: no `vscode`, no I/O. Formats are described in docs/formats.md (copied from the
 * shared formats document); section numbers in comments refer to it.
 */

/** A place in a source file. `line` is 1-based (a JSONL line number, or a SQLite rowid). */
export interface SourceLoc {
  file: string;
  line: number;
  /** Byte offset of the line's first byte in `file` (JSONL only). */
  offset?: number;
}

/** Which producer wrote an event. Detected per file by shape (formats.md §1–§6). */
export type Dialect =
  | 'flowscribe-v1' // §1b: every line has "v": 1
  | 'flowscribe-0.1' // §1a: uuid flow_id, no run id, no flow name in the line
  | 'envelope' // §3: Grain / Assay / Pulse {event_type, version, timestamp, payload}
  | 'esper' // §6: esper-lite telemetry events
  | 'otlp' // OpenTelemetry: OTLP/JSON trace batches and ConsoleSpanExporter spans (docs/otel.md)
  | 'generic'; // a user-mapped JSONL or SQLite source

export type Severity = 'debug' | 'info' | 'warning' | 'error' | 'critical';

/** A flow instance's outcome (formats.md §1b "Semantics"). */
export type Verdict = 'succeeded' | 'failed' | 'exception' | 'orphaned' | 'running';

/** A run's outcome: `crashed` = no session_end and not live; `running` = no session_end, live. */
export type RunStatus = 'ok' | 'failed' | 'crashed' | 'running';

/** One frame of an exception's stack (`exception.stack[]`, §1b). */
export interface StackFrame {
  file?: string;
  line?: number;
  function?: string;
}

/**
 * One trace event in every dialect, after alias resolution (§1b aliases) and timestamp
 * normalisation. Keys the normaliser does not map are kept in `extra`, verbatim.
 */
export interface TraceEvent {
  dialect: Dialect;
  /** `event_type` as written (v1 alias `type`), e.g. `flow_start`, `failure`, `EPOCH_COMPLETED`. */
  type: string;
  /** Event time as epoch milliseconds UTC (naive timestamps are UTC); undefined if absent/unreadable. */
  ts?: number;
  /** The timestamp exactly as written, for display and for prompts. */
  tsRaw?: string | number;
  runId?: string;
  /** Flow name, path-like (`data/fetch/minute_candles`). Absent in 0.1 lines (§1a). */
  flow?: string;
  flowId?: string;
  parentFlowId?: string;
  causedBy?: string;
  correlation?: Record<string, unknown>;
  step?: string;
  /** Source file as written in the trace (may be an absolute path from another machine). */
  file?: string;
  /** 1-based source line as written in the trace. */
  line?: number;
  function?: string;
  thread?: string;
  tags: string[];
  severity?: Severity;
  /** `DOMAIN.DETAIL`; for 0.1 traces read from `evidence.cls` (§1a). */
  failureClass?: string;
  /** For 0.1 traces read from `evidence.reason` (§1a). */
  reason?: string;
  evidence?: unknown;
  data?: unknown;
  durationMs?: number;
  metric?: { name: string; value: unknown; unit?: string };
  exception?: { type?: string; message?: string; stack: StackFrame[] };
  // session_start / session_end (§1b)
  app?: string;
  mode?: string;
  gitSha?: string;
  host?: string;
  pid?: number;
  status?: string;
  flowsStarted?: number;
  flowsEnded?: number;
  // Grain / Assay envelope (§3)
  version?: number;
  payload?: unknown;
  /** Producer/source of an envelope event (`grain`, `assay`, or a Pulse row's `source`). */
  source?: string;
  // esper-lite (§6)
  message?: string;
  /** Unknown keys, preserved verbatim. */
  extra: Record<string, unknown>;
  /** Where this event was read from. */
  src: SourceLoc;
}

/** A line (or row) that could not be read; kept and counted, never silently dropped. */
export interface Malformed {
  file: string;
  /** 1-based line number (or rowid for SQLite). */
  line: number;
  reason: string;
}

/** Event types that decide a flow's verdict (§1b). */
export const VERDICT_TYPES: ReadonlySet<string> = new Set(['success', 'failure', 'exception']);

/** Failure-class domains (§1b). A class outside these is counted under `OTHER`. */
export const FAILURE_DOMAINS = ['SYSTEM', 'DATA', 'CONTRACT', 'EXTERNAL', 'BUSINESS'] as const;
export type FailureDomain = (typeof FAILURE_DOMAINS)[number] | 'OTHER';

/**
 * The events of a run or a flow, in file order, read-only. A plain array is one; the run builder
 * gives an {@link import('./storage').EventList} whose events are read from the run's event
 * storage when touched (a large indexed file is not held in memory). Index with `at(i)`.
 */
export interface EventSeq extends Iterable<TraceEvent> {
  readonly length: number;
  at(i: number): TraceEvent | undefined;
  slice(start?: number, end?: number): TraceEvent[];
  filter(pred: (e: TraceEvent, i: number) => unknown): TraceEvent[];
  find(pred: (e: TraceEvent, i: number) => unknown): TraceEvent | undefined;
  findIndex(pred: (e: TraceEvent, i: number) => unknown): number;
  some(pred: (e: TraceEvent, i: number) => unknown): boolean;
  every(pred: (e: TraceEvent, i: number) => unknown): boolean;
  map<U>(fn: (e: TraceEvent, i: number) => U): U[];
  forEach(fn: (e: TraceEvent, i: number) => void): void;
  indexOf(e: TraceEvent): number;
  includes(e: TraceEvent): boolean;
}

/** A named point inside a flow: consecutive events with the same `step`. */
export interface StepNode {
  name: string;
  events: readonly TraceEvent[];
}

/** One flow instance (one `flow_id`) inside a run. */
export interface FlowNode {
  id: string;
  /** Flow name; for 0.1 traces recovered from summary.md when possible (§1a). */
  name?: string;
  /** `name`, else a short form of the id (first 8 chars of a uuid). */
  displayName: string;
  runId: string;
  parentId?: string;
  children: readonly FlowNode[];
  /** The flow's held events (see {@link RunCap}: a capped run's flows hold their first and verdict events). */
  events: EventSeq;
  steps: readonly StepNode[];
  verdict: Verdict;
  verdictEvent?: TraceEvent;
  /** First event time (epoch ms). */
  started?: number;
  /** Verdict time (epoch ms). */
  ended?: number;
  /**
   * The verdict's `duration_ms`, else verdict time − the flow's first event time when that is
   * earlier; undefined (unknown, shown as "—", skipped by percentiles) when no earlier time exists.
   */
  durationMs?: number;
  correlation: Readonly<Record<string, unknown>>;
  tags: readonly string[];
}

/** One run: a session of the traced app. */
export interface Run {
  id: string;
  dialect: Dialect;
  /** Files this run was read from; `primarySource` is the one whose events are shown. */
  sources: string[];
  primarySource: string;
  app?: string;
  mode?: string;
  tags: string[];
  gitSha?: string;
  host?: string;
  started?: number;
  ended?: number;
  status: RunStatus;
  /**
   * How the run is known to have ended: its `session_end` was read, or (flowscribe 0.1) its
   * `summary.md` appeared. Absent while running and for a run that merely stopped writing (a
   * `crashed` run without `session_end`): no automatic write follows such a timeout.
   */
  endedBy?: 'session_end' | 'summary';
  /** All flows by flow_id. */
  flows: Map<string, FlowNode>;
  /** Flows without a known parent, in start order. */
  roots: FlowNode[];
  /** Events in file order (those held: see {@link cap}). */
  events: EventSeq;
  malformed: Malformed[];
  /**
   * Lines read and kept whose value could not be used, located (e.g. `timestamp out of range`:
   * the event is kept and counted, without a time). Absent when there are none.
   */
  warnings?: Malformed[];
  /**
   * Facts about how the run was read (dedup, name recovery, capping, …), typed; the words are
   * src/core/render/runNotes.ts `runNoteText`, used by every surface.
   */
  notes: RunNote[];
  /**
   * Set when not every event of the run is held in `events` (setting `flowlens.maxEventsPerSource`,
   * see {@link RunCap}); unset = `events` holds them all.
   */
  cap?: RunCap;
  /**
   * Counts of every event read for the run, held or not ({@link cap}), kept by the run builder as
   * events are added (model/counts.ts). Absent only on runs made by hand (tests): count `events`.
   */
  counts?: EventCounts;
}

/**
 * How a run is held when its source is over `flowlens.maxEventsPerSource` (docs/decisions.md).
 * `summarised`: an older run of a source over the cap — its events are released (`events` is
 * empty); flows keep their verdict, verdict event, timings, correlation, tags and tree, and
 * `counts` keeps the event counts. `capped`: the run alone is over the cap — its first `kept`
 * events are held; flows also keep their first and verdict events.
 */
export interface RunCap {
  mode: 'summarised' | 'capped';
  /** Events read for the run. */
  total: number;
  /** Of them, held in `run.events`. */
  kept: number;
  /** `total - kept`: read and counted, not held in memory. */
  notKept: number;
  /** The cap, events per source. */
  limit: number;
}

/**
 * One fact about how a run was read. Written by the reader and the run builder, rendered to
 * words by src/core/render/runNotes.ts `runNoteText` only. A run holds one note per
 * {@link runNoteKey} (a newer one replaces it: {@link putRunNote}).
 */
export type RunNote =
  /** The run is also in another file (the rolling `.autodev/trace.jsonl`); paths relative to the root. */
  | { kind: 'also-in'; file: string; lines: number; shown: string }
  /** flowscribe 0.1 flow names (§1a): `named` of `total` recovered from summary.md; `summary: false` = no summary.md. */
  | { kind: 'flow-names'; summary: boolean; named: number; total: number }
  /** The run's summary.md could not be read (the ingress reason, e.g. over the size cap). */
  | { kind: 'summary-unreadable'; reason: string }
  /** Lines whose timestamp was written but not read (`problem`, e.g. `timestamp out of range`), kept without a time. */
  | { kind: 'timestamp'; problem: string; lines: number; first: { file: string; line: number } }
  /** A `session_end` status that is not recognised (`raw` as written), shown as `shownAs`. */
  | { kind: 'session-status'; raw: unknown; shownAs: RunStatus }
  /** The run is summarised or capped ({@link RunCap}). */
  | { kind: 'cap'; cap: RunCap };

/** What a note stands for: a run holds one note per key. */
export function runNoteKey(n: RunNote): string {
  switch (n.kind) {
    case 'also-in':
      return `also-in\u0000${n.file}`;
    case 'timestamp':
      return `timestamp\u0000${n.problem}`;
    default:
      return n.kind;
  }
}

/** Put `note` in `run.notes`, replacing the one with its key; false when it was there already. */
export function putRunNote(run: Pick<Run, 'notes'>, note: RunNote): boolean {
  const key = runNoteKey(note);
  const i = run.notes.findIndex((n) => runNoteKey(n) === key);
  if (i < 0) {
    run.notes.push(note);
    return true;
  }
  if (JSON.stringify(run.notes[i]) === JSON.stringify(note)) return false;
  run.notes[i] = note;
  return true;
}

/** Split `DOMAIN.DETAIL` into its domain (§1b). */
export function failureDomain(cls: string | undefined): FailureDomain {
  if (!cls) return 'OTHER';
  const d = cls.split('.', 1)[0].toUpperCase();
  return (FAILURE_DOMAINS as readonly string[]).includes(d) ? (d as FailureDomain) : 'OTHER';
}

/** Event counts. Records hold only keys that occur. */
export interface EventCounts {
  total: number;
  byType: Record<string, number>;
  /** Events with a severity, by severity. */
  bySeverity: Record<string, number>;
  /** Events with a failure class, by class. */
  byFailureClass: Record<string, number>;
  /** Events with a failure class, by its domain ({@link failureDomain}; unknown → `OTHER`). */
  byDomain: Partial<Record<FailureDomain, number>>;
}
