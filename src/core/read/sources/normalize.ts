/**
 * Dialect detection and normalisation of one parsed JSON object into a `TraceEvent`
 * (docs/formats.md §1a, §1b aliases, §3 envelopes, §6 esper). Never throws: a value of the
 * wrong type for a known key is kept verbatim in `extra` under its own key.
 */
import type { Dialect, Severity, SourceLoc, StackFrame, TraceEvent } from '../../model/types';
import { parseTimestamp } from '../../model/time';
import { safeStringify } from '../../model/bounded';

type Obj = Record<string, unknown>;

const has = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Detects the dialect of one object by its shape, or `undefined` when it matches none.
 * - `flowscribe-v1`: `"v": 1`, or a run id (`run_id`/`session_id`) with `event_type`/`type`.
 * - `envelope` (§3): `event_type`, `version`, `timestamp` and `payload`.
 * - `esper` (§6): `event_id` and `event_type`, with `seed_id`/`slot_id`/`epoch` or
 *   `message` + `severity`.
 * - `flowscribe-0.1` (§1a): `event_type` + `flow_id` and two of `step`/`evidence`/`data`, no
 *   `v` and no run id.
 */
export function detectDialect(obj: unknown): Dialect | undefined {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const o = obj as Obj;
  if (o.v === 1) return 'flowscribe-v1';
  const hasType = has(o, 'event_type');
  if (hasType && has(o, 'version') && has(o, 'timestamp') && has(o, 'payload')) return 'envelope';
  if (
    hasType &&
    has(o, 'event_id') &&
    (has(o, 'seed_id') || has(o, 'slot_id') || has(o, 'epoch') || (has(o, 'message') && has(o, 'severity')))
  ) {
    return 'esper';
  }
  const hasRun = has(o, 'run_id') || has(o, 'session_id');
  if (hasType && !hasRun && !has(o, 'v') && has(o, 'flow_id')) {
    const n = (has(o, 'step') ? 1 : 0) + (has(o, 'evidence') ? 1 : 0) + (has(o, 'data') ? 1 : 0);
    if (n >= 2) return 'flowscribe-0.1';
  }
  if (hasRun && (hasType || has(o, 'type'))) return 'flowscribe-v1';
  return undefined;
}

const DIALECT_ORDER: Dialect[] = ['flowscribe-v1', 'flowscribe-0.1', 'envelope', 'esper', 'generic'];

/**
 * The dialect of a file from its first objects (pass e.g. the first 20): the most frequent
 * detected dialect; ties go to the earlier of v1, 0.1, envelope, esper. `undefined` when none of
 * the objects is recognised.
 */
export function detectFileDialect(firstObjects: readonly unknown[]): Dialect | undefined {
  const counts = new Map<Dialect, number>();
  for (const o of firstObjects) {
    const d = detectDialect(o);
    if (d) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best: Dialect | undefined;
  let bestN = 0;
  for (const d of DIALECT_ORDER) {
    const n = counts.get(d) ?? 0;
    if (n > bestN) {
      best = d;
      bestN = n;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Field setters. Each returns false when the value has the wrong type (the key then goes to extra).

type Setter = (ev: TraceEvent, v: unknown) => boolean;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Ids and names: strings, or finite numbers written unquoted. */
function idStr(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A 1-based line number: a non-negative integer, or a string of digits. */
function lineNum(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'string' && /^\d{1,9}$/.test(v)) return Number(v);
  return undefined;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `tags`: an array of scalars, or a comma-separated string (§1b). */
export function parseTags(v: unknown): string[] | undefined {
  if (typeof v === 'string') {
    const out: string[] = [];
    for (const part of v.split(',')) {
      const t = part.trim();
      if (t) out.push(t);
    }
    return out;
  }
  if (!Array.isArray(v)) return undefined;
  const out: string[] = [];
  for (const t of v) {
    if (typeof t === 'string') out.push(t);
    else if ((typeof t === 'number' && Number.isFinite(t)) || typeof t === 'boolean') out.push(String(t));
    else return undefined;
  }
  return out;
}

const SEVERITIES = new Map<string, Severity>([
  ['debug', 'debug'],
  ['trace', 'debug'],
  ['info', 'info'],
  ['notice', 'info'],
  ['warn', 'warning'],
  ['warning', 'warning'],
  ['error', 'error'],
  ['err', 'error'],
  ['critical', 'critical'],
  ['crit', 'critical'],
  ['fatal', 'critical'],
]);

/**
 * The one severity reader (trace events, the cold index, ra.yaml `min_severity` and
 * `RA_MIN_SEVERITY`): any case, surrounding spaces ignored; `warn` → `warning`, `err` → `error`,
 * `fatal`/`crit` → `critical`, `trace` → `debug`, `notice` → `info`; anything else undefined.
 */
export function parseSeverity(v: unknown): Severity | undefined {
  return typeof v === 'string' ? SEVERITIES.get(v.trim().toLowerCase()) : undefined;
}

function parseFrame(f: unknown): StackFrame | undefined {
  if (!isObj(f)) return undefined;
  const frame: StackFrame = {};
  const file = str(f.file) ?? str(f.filename);
  const line = lineNum(f.line ?? f.lineno);
  const fn = str(f.function) ?? str(f.func) ?? str(f.name);
  if (file !== undefined) frame.file = file;
  if (line !== undefined) frame.line = line;
  if (fn !== undefined) frame.function = fn;
  return frame;
}

function parseException(v: unknown): TraceEvent['exception'] | undefined {
  if (!isObj(v)) return undefined;
  const ex: NonNullable<TraceEvent['exception']> = { stack: [] };
  const type = str(v.type);
  const message = str(v.message);
  if (type !== undefined) ex.type = type;
  if (message !== undefined) ex.message = message;
  if (Array.isArray(v.stack)) {
    for (const f of v.stack) {
      const frame = parseFrame(f);
      if (frame) ex.stack.push(frame);
    }
  } else if (v.stack !== undefined && v.stack !== null) {
    return undefined;
  }
  return ex;
}

function strSetter(field: 'flow' | 'file' | 'failureClass' | 'reason' | 'app' | 'mode' | 'gitSha' | 'host' | 'status' | 'source' | 'message'): Setter {
  return (ev, v) => {
    const s = str(v);
    if (s === undefined) return false;
    ev[field] = s;
    return true;
  };
}

function idSetter(field: 'runId' | 'flowId' | 'parentFlowId' | 'causedBy' | 'step' | 'function' | 'thread'): Setter {
  return (ev, v) => {
    const s = idStr(v);
    if (s === undefined) return false;
    ev[field] = s;
    return true;
  };
}

function numSetter(field: 'durationMs' | 'flowsStarted' | 'flowsEnded' | 'version'): Setter {
  return (ev, v) => {
    const n = num(v);
    if (n === undefined) return false;
    ev[field] = n;
    return true;
  };
}

const setType: Setter = (ev, v) => {
  const s = str(v);
  if (s === undefined || s === '') return false;
  ev.type = s;
  return true;
};

const setTimestamp: Setter = (ev, v) => {
  if (typeof v !== 'string' && typeof v !== 'number') return false;
  ev.tsRaw = v;
  const ts = parseTimestamp(v);
  if (ts !== undefined) ev.ts = ts;
  return true;
};

const setSeverity: Setter = (ev, v) => {
  const s = parseSeverity(v);
  if (s === undefined) return false;
  ev.severity = s;
  return true;
};

const setTags: Setter = (ev, v) => {
  const t = parseTags(v);
  if (t === undefined) return false;
  ev.tags = t;
  return true;
};

const setLine: Setter = (ev, v) => {
  const n = lineNum(v);
  if (n === undefined) return false;
  ev.line = n;
  return true;
};

const setPid: Setter = (ev, v) => {
  const n = num(v);
  if (n === undefined || !Number.isInteger(n)) return false;
  ev.pid = n;
  return true;
};

/**
 * Whether `v` holds a number JSON cannot write back: ±Infinity (a literal out of the double range,
 * `1e400`) or -0. Walked to the depth `boundedCopy` keeps (src/core/model/bounded.ts).
 */
function hasUnwritableNumber(v: unknown, depth: number): boolean {
  if (typeof v === 'number') return !Number.isFinite(v) || Object.is(v, -0);
  if (typeof v !== 'object' || v === null || depth > 64) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (hasUnwritableNumber(x, depth + 1)) return true;
    return false;
  }
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k) && hasUnwritableNumber((v as Obj)[k], depth + 1)) return true;
  return false;
}

/**
 * The correlation: a JSON object, kept as JSON writes it back — the cold index keeps it as that
 * text (index/scan.ts, the WASM scanner, the index cache), so a number JSON cannot write (1e400,
 * -0) reads as JSON writes it (null, 0) whichever way the trace is read (attacker F3).
 */
const setCorrelation: Setter = (ev, v) => {
  if (!isObj(v)) return false;
  ev.correlation = hasUnwritableNumber(v, 0) ? (JSON.parse(safeStringify(v)) as Record<string, unknown>) : v;
  return true;
};

const setException: Setter = (ev, v) => {
  const ex = parseException(v);
  if (!ex) return false;
  ev.exception = ex;
  return true;
};

const setMetric: Setter = (ev, v) => {
  if (!isObj(v) || typeof v.name !== 'string') return false;
  ev.metric = { name: v.name, value: v.value };
  if (typeof v.unit === 'string') ev.metric.unit = v.unit;
  return true;
};

const setEvidence: Setter = (ev, v) => {
  ev.evidence = v;
  return true;
};
const setData: Setter = (ev, v) => {
  ev.data = v;
  return true;
};
const setPayload: Setter = (ev, v) => {
  ev.payload = v;
  return true;
};

/** A lookup table that cannot hit `Object.prototype` (`constructor`, `__proto__` keys). */
function table<T>(o: Record<string, T>): Map<string, T> {
  return new Map(Object.entries(o));
}

/** Sets `extra[key]` as an own property even for `__proto__`. */
function putExtra(extra: Obj, key: string, v: unknown): void {
  if (key === '__proto__') Object.defineProperty(extra, key, { value: v, enumerable: true, writable: true, configurable: true });
  else extra[key] = v;
}

/** flowscribe v1 / 0.1 / generic keys (§1b), by canonical name. */
const FLOWSCRIBE_KEYS = table<Setter>({
  event_type: setType,
  run_id: idSetter('runId'),
  timestamp: setTimestamp,
  flow: strSetter('flow'),
  flow_id: idSetter('flowId'),
  parent_flow_id: idSetter('parentFlowId'),
  caused_by: idSetter('causedBy'),
  correlation: setCorrelation,
  step: idSetter('step'),
  file: strSetter('file'),
  line: setLine,
  function: idSetter('function'),
  thread: idSetter('thread'),
  tags: setTags,
  severity: setSeverity,
  failure_class: strSetter('failureClass'),
  reason: strSetter('reason'),
  evidence: setEvidence,
  data: setData,
  duration_ms: numSetter('durationMs'),
  metric: setMetric,
  exception: setException,
  app: strSetter('app'),
  mode: strSetter('mode'),
  git_sha: strSetter('gitSha'),
  host: strSetter('host'),
  pid: setPid,
  status: strSetter('status'),
  flows_started: numSetter('flowsStarted'),
  flows_ended: numSetter('flowsEnded'),
});

/** §1b aliases → canonical key. The canonical key wins when both are present. */
const FLOWSCRIBE_ALIASES = table<string>({
  type: 'event_type',
  session_id: 'run_id',
  ts: 'timestamp',
  time: 'timestamp',
  flow_name: 'flow',
  parent: 'parent_flow_id',
  func: 'function',
  class: 'failure_class',
  error_class: 'failure_class',
  message: 'reason',
  latency_ms: 'duration_ms',
  elapsed_ms: 'duration_ms',
});

/** §3 envelope keys (Grain/Assay queues; Pulse rows add `source`). */
const ENVELOPE_KEYS = table<Setter>({
  event_type: setType,
  version: numSetter('version'),
  timestamp: setTimestamp,
  payload: setPayload,
  source: strSetter('source'),
});

/** §6 esper keys; `event_id`, `seed_id`, `slot_id`, `epoch`, `group_id` stay in `extra`. */
const ESPER_KEYS = table<Setter>({
  event_type: setType,
  timestamp: setTimestamp,
  message: strSetter('message'),
  severity: setSeverity,
  data: setData,
});

const NO_ALIASES = new Map<string, string>();

/** The TraceEvent property a canonical key fills: used to let a canonical key beat its alias. */
const FIELD_OF = table<keyof TraceEvent>({
  event_type: 'type',
  run_id: 'runId',
  timestamp: 'tsRaw',
  flow: 'flow',
  parent_flow_id: 'parentFlowId',
  function: 'function',
  failure_class: 'failureClass',
  reason: 'reason',
  duration_ms: 'durationMs',
});

/**
 * Maps one parsed object onto the shared `TraceEvent`.
 *
 * - flowscribe v1 / generic: every §1b key and alias (a canonical key wins over its alias; the
 *   losing alias is kept in `extra`), top-level `name`/`value`/`unit` on `metric` events or a
 *   `metric` object, `exception {type, message, stack}`, session fields. `"v": 1` is implied by
 *   the dialect and not copied.
 * - flowscribe 0.1 (§1a): the same keys; failure class and reason come from `evidence.cls` and
 *   `evidence.reason` (a top-level one wins); an `exception` event's `evidence.type`/`message`
 *   fill `exception`; a `metric` event whose evidence is one numeric key (`{"latency_ms": 120}`)
 *   fills `metric` (no unit). `evidence` itself is kept unchanged.
 * - envelope (§3): `event_type`, `version`, `timestamp`, `payload`, `source`.
 * - esper (§6): `event_type`, `timestamp`, `message`, `severity`, `data`; its ids (`event_id`,
 *   `seed_id`, `slot_id`, `epoch`, `group_id`) are kept in `extra`.
 *
 * Unknown keys, and known keys whose value has the wrong type, are kept verbatim in `extra`.
 * A missing or unusable event type becomes `"unknown"`. Never throws.
 */
export function normalizeEvent(obj: Record<string, unknown>, dialect: Dialect, loc: SourceLoc): TraceEvent {
  const ev: TraceEvent = { dialect, type: '', tags: [], extra: {}, src: loc };
  const isFlowscribe = dialect === 'flowscribe-v1' || dialect === 'flowscribe-0.1' || dialect === 'generic';
  const keys = isFlowscribe ? FLOWSCRIBE_KEYS : dialect === 'envelope' ? ENVELOPE_KEYS : ESPER_KEYS;
  const aliases = isFlowscribe ? FLOWSCRIBE_ALIASES : NO_ALIASES;
  const extra = ev.extra;
  let deferred: string[] | undefined;
  let metricName: string | undefined;
  let hasMetricParts = false;

  if (!isObj(obj)) {
    ev.type = 'unknown';
    return ev;
  }
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    const set = keys.get(key);
    if (set !== undefined) {
      if (!set(ev, v)) putExtra(extra, key, v);
      continue;
    }
    if (aliases.has(key)) {
      (deferred ??= []).push(key);
      continue;
    }
    if (isFlowscribe) {
      if (key === 'v' && v === 1) continue;
      if (key === 'name' || key === 'value' || key === 'unit') {
        hasMetricParts = true;
        if (key === 'name' && typeof v === 'string') metricName = v;
      }
    }
    putExtra(extra, key, v);
  }

  if (deferred) {
    for (const alias of deferred) {
      const canonical = aliases.get(alias) as string;
      const v = obj[alias];
      const field = FIELD_OF.get(canonical);
      const taken = field !== undefined && ev[field] !== undefined && ev[field] !== '';
      const set = keys.get(canonical);
      if (taken || set === undefined || !set(ev, v)) putExtra(extra, alias, v);
    }
  }

  if (ev.type === '') ev.type = 'unknown';

  if (isFlowscribe) {
    // §1b: a metric event carries its measurement as top-level name/value/unit.
    if (hasMetricParts && ev.metric === undefined && metricName !== undefined && ev.type === 'metric' && has(extra, 'value')) {
      ev.metric = { name: metricName, value: extra.value };
      delete extra.name;
      delete extra.value;
      if (typeof extra.unit === 'string') {
        ev.metric.unit = extra.unit;
        delete extra.unit;
      }
    }
    if (dialect === 'flowscribe-0.1' && isObj(ev.evidence)) {
      const e = ev.evidence;
      if (ev.failureClass === undefined && typeof e.cls === 'string') ev.failureClass = e.cls;
      if (ev.reason === undefined && typeof e.reason === 'string') ev.reason = e.reason;
      // 0.1 metrics carry one measurement as evidence: {"latency_ms": 120}.
      if (ev.type === 'metric' && ev.metric === undefined) {
        const keys = Object.keys(e);
        if (keys.length === 1 && typeof e[keys[0]] === 'number') ev.metric = { name: keys[0], value: e[keys[0]] };
      }
      if (ev.type === 'exception' && ev.exception === undefined && (typeof e.type === 'string' || typeof e.message === 'string')) {
        ev.exception = { stack: [] };
        if (typeof e.type === 'string') ev.exception.type = e.type;
        if (typeof e.message === 'string') ev.exception.message = e.message;
      }
    }
  }
  return ev;
}
