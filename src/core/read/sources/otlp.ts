/**
 * OpenTelemetry spans as trace events (pure): OTLP/JSON batches and ConsoleSpanExporter spans become 'otlp'-dialect runs, flows and verdicts (docs/otel.md).
 *
 * One span becomes one flow: a `flow_start` at its start time, a `checkpoint` per span event,
 * and a verdict (`success`/`failure`/`exception`) at its end time carrying `duration_ms`. A trace
 * becomes a run (run id = trace id, or the `flowlens.run.id` attribute Flowlens' own exporter
 * writes); a batch that holds the trace's local root span adds a `session_start`/`session_end`
 * pair (app = resource `service.name`, status from the root spans). Never throws: a batch or span
 * that cannot be read becomes a located problem, the rest of the batch is still read.
 */
import { record, setOwn } from '../../model/bounded';
import { MAX_TIME_MS } from '../../model/time';
import type { Malformed, SourceLoc, StackFrame, TraceEvent } from '../../model/types';

type Obj = Record<string, unknown>;

/** What one batch (or one console span) gave. */
export interface OtlpResult {
  events: TraceEvent[];
  /** Located problems (the batch's line), e.g. a span without ids; the rest was read. */
  problems: Malformed[];
  /** Spans read. */
  spans: number;
}

/** Problems listed per batch (more are counted in one last problem). */
const MAX_PROBLEMS_PER_BATCH = 20;
/** Attributes kept per span / event. */
const MAX_ATTRIBUTES = 256;
/** AnyValue nesting kept (arrayValue / kvlistValue); deeper values become `[depth limit]`. */
const MAX_VALUE_DEPTH = 8;
/** Stack frames parsed from `exception.stacktrace`. */
const MAX_FRAMES = 64;
/** Characters of `exception.stacktrace` kept verbatim in the verdict's evidence. */
const MAX_STACKTRACE_CHARS = 16 * 1024;
/**
 * Characters of a name or id (span/event name, flow/run id, class, service, file…): every surface
 * redacts names with the identifier rules, linear in their length, on each render — a 50 MB span
 * name cost ~20 s a command (attacked, docs/security.md). Free text (reasons, messages) is cut by
 * the egress policy instead.
 */
export const MAX_NAME_CHARS = 4096;

/** `s` cut to {@link MAX_NAME_CHARS} (never inside a surrogate pair), marked with `…`. */
function cutName(s: string): string {
  if (s.length <= MAX_NAME_CHARS) return s;
  let cut = MAX_NAME_CHARS - 1;
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${s.slice(0, cut)}…`;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** An OTLP/JSON traces document (`ExportTraceServiceRequest` / `TracesData`). */
export function isOtlpBatch(v: unknown): boolean {
  return isObj(v) && has(v, 'resourceSpans');
}

/** A Python ConsoleSpanExporter span (`ReadableSpan.to_json()`): `name` and `context.trace_id`/`span_id`. */
export function isConsoleSpan(v: unknown): boolean {
  return isObj(v) && isObj(v.context) && has(v.context, 'trace_id') && has(v.context, 'span_id');
}

/** Why a top-level object of an OTLP file is not a trace batch, or undefined when it is one. */
export function notTraces(v: unknown): string | undefined {
  if (isOtlpBatch(v) || isConsoleSpan(v)) return undefined;
  if (isObj(v)) {
    if (has(v, 'resourceMetrics')) return 'an OTLP metrics batch, not traces; not read';
    if (has(v, 'resourceLogs')) return 'an OTLP logs batch, not traces; not read';
  }
  return 'not an OTLP traces batch (no resourceSpans) nor a ConsoleSpanExporter span';
}

// ---------------------------------------------------------------------------------------------
// Values

/** Hex id of `bytes` length: hex (any case) as is (lower-cased), base64 (protobuf's JSON mapping) converted; else undefined. */
export function otlpId(v: unknown, bytes: 8 | 16): string | undefined {
  if (typeof v !== 'string') return undefined;
  let s = v.trim();
  if (s.startsWith('0x') || s.startsWith('0X')) s = s.slice(2);
  if (s.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(s)) {
    s = s.toLowerCase();
    return /^0+$/.test(s) ? undefined : s;
  }
  if (s.length === Math.ceil(bytes / 3) * 4 && /^[A-Za-z0-9+/]+=*$/.test(s)) {
    const hex = Buffer.from(s, 'base64').toString('hex');
    return hex.length === bytes * 2 && !/^0+$/.test(hex) ? hex : undefined;
  }
  return undefined;
}

/**
 * Epoch ms of a `*UnixNano` value (a decimal string or a number); undefined when absent, 0
 * (unset in OTLP), not a non-negative integer, or outside the Date range.
 */
export function nanosToMs(v: unknown): number | undefined {
  let ms: number;
  if (typeof v === 'string') {
    const s = v.trim();
    if (!/^\d{1,30}$/.test(s)) return undefined;
    const n = BigInt(s);
    ms = Number(n / 1_000_000n) + Number(n % 1_000_000n) / 1e6;
  } else if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
    ms = v / 1e6;
  } else return undefined;
  return ms > 0 && ms <= MAX_TIME_MS ? ms : undefined;
}

/** Exact difference `end − start` in ms of two nanosecond values (decimal strings keep ns precision). */
function nanosDiffMs(start: unknown, end: unknown): number | undefined {
  const a = nanosToMs(start);
  const b = nanosToMs(end);
  if (a === undefined || b === undefined || b < a) return undefined;
  if (typeof start === 'string' && typeof end === 'string') {
    const d = BigInt(end.trim()) - BigInt(start.trim());
    return Number(d / 1_000_000n) + Number(d % 1_000_000n) / 1e6;
  }
  return b - a;
}

/** Epoch ms of an ISO time (ConsoleSpanExporter `start_time`), else undefined. */
function isoToMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(v)) return undefined;
  const m = /\.(\d+)Z$/.exec(v);
  const base = Date.parse(m ? v.slice(0, v.length - m[0].length) + 'Z' : v);
  if (!Number.isFinite(base)) return undefined;
  // Microseconds (Python writes %f) kept as a fraction of a millisecond.
  const ms = m ? base + Number(`0.${m[1]}`) * 1000 : base;
  return ms > 0 && ms <= MAX_TIME_MS ? ms : undefined;
}

/** An OTLP `AnyValue` as plain JSON: string, number (intValue within 2^53; else its text), boolean, array, record. */
export function anyValue(v: unknown, depth = 0): unknown {
  if (!isObj(v)) return null;
  if (depth >= MAX_VALUE_DEPTH) return '[depth limit]';
  if (has(v, 'stringValue')) return typeof v.stringValue === 'string' ? v.stringValue : null;
  if (has(v, 'boolValue')) return typeof v.boolValue === 'boolean' ? v.boolValue : v.boolValue === 'true';
  if (has(v, 'intValue')) {
    const i = v.intValue;
    if (typeof i === 'number') return Number.isFinite(i) ? i : null;
    if (typeof i === 'string' && /^-?\d{1,20}$/.test(i.trim())) {
      const n = Number(i);
      return Number.isSafeInteger(n) ? n : i.trim();
    }
    return null;
  }
  if (has(v, 'doubleValue')) {
    const d = v.doubleValue;
    // Protobuf's JSON mapping writes NaN/Infinity as strings: kept as text.
    return typeof d === 'number' ? (Number.isFinite(d) ? d : String(d)) : typeof d === 'string' ? (Number.isFinite(Number(d)) ? Number(d) : d) : null;
  }
  if (has(v, 'bytesValue')) return typeof v.bytesValue === 'string' ? v.bytesValue : null;
  if (has(v, 'arrayValue')) {
    const a = isObj(v.arrayValue) && Array.isArray(v.arrayValue.values) ? v.arrayValue.values : [];
    return a.slice(0, MAX_ATTRIBUTES).map((x) => anyValue(x, depth + 1));
  }
  if (has(v, 'kvlistValue')) return attributeList(isObj(v.kvlistValue) ? v.kvlistValue.values : undefined, depth + 1);
  return null;
}

/** `attributes[]` (`{key, value}`) as a null-prototype record; entries without a string key are skipped. */
export function attributeList(list: unknown, depth = 0): Record<string, unknown> {
  const out = record<unknown>();
  if (!Array.isArray(list)) return out;
  let n = 0;
  for (const kv of list) {
    if (!isObj(kv) || typeof kv.key !== 'string') continue;
    if (n++ >= MAX_ATTRIBUTES) break;
    setOwn(out, kv.key, anyValue(kv.value, depth));
  }
  return out;
}

/** A plain attributes object (ConsoleSpanExporter) copied into a null-prototype record. */
function attributeObject(o: unknown): Record<string, unknown> {
  const out = record<unknown>();
  if (!isObj(o)) return out;
  let n = 0;
  for (const k of Object.keys(o)) {
    if (n++ >= MAX_ATTRIBUTES) break;
    setOwn(out, k, o[k]);
  }
  return out;
}

const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
/** A free-text attribute (reason, message, stack trace), as written. */
const textAttr = (o: Record<string, unknown>, ...keys: string[]): string | undefined => {
  for (const k of keys) {
    const v = own(o, k);
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
};
/** A name or id attribute, cut to {@link MAX_NAME_CHARS}. */
const strAttr = (o: Record<string, unknown>, ...keys: string[]): string | undefined => {
  const v = textAttr(o, ...keys);
  return v === undefined ? undefined : cutName(v);
};
const lineAttr = (o: Record<string, unknown>, ...keys: string[]): number | undefined => {
  for (const k of keys) {
    const v = own(o, k);
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : undefined;
    if (n !== undefined && Number.isInteger(n) && n >= 0) return n;
  }
  return undefined;
};

/** Code location from semantic-convention attributes (current `code.file.path`… or older `code.filepath`…). */
export function codeLocation(attrs: Record<string, unknown>): { file?: string; line?: number; function?: string } {
  const loc: { file?: string; line?: number; function?: string } = {};
  const file = strAttr(attrs, 'code.file.path', 'code.filepath');
  const line = lineAttr(attrs, 'code.line.number', 'code.lineno');
  let fn = strAttr(attrs, 'code.function.name', 'code.function');
  const ns = strAttr(attrs, 'code.namespace');
  if (fn !== undefined && ns !== undefined && !fn.includes('.')) fn = `${ns}.${fn}`;
  if (file !== undefined) loc.file = file;
  if (line !== undefined) loc.line = line;
  if (fn !== undefined) loc.function = fn;
  return loc;
}

/**
 * Frames of an `exception.stacktrace` (Python `File "x.py", line 3, in f`; JavaScript
 * `at f (x.js:3:7)`; Java `at a.B.f(B.java:3)`), in the order written, and which one is the
 * innermost (where it was raised): the last for Python, the first otherwise.
 */
export function parseStacktrace(text: string): { stack: StackFrame[]; innermost?: StackFrame } {
  const stack: StackFrame[] = [];
  let python = false;
  for (const raw of text.slice(0, MAX_STACKTRACE_CHARS * 4).split('\n')) {
    if (stack.length >= MAX_FRAMES) break;
    const l = raw.trim();
    let m = /^File "(.+)", line (\d+)(?:, in (.+))?$/.exec(l);
    if (m) {
      python = true;
      stack.push({ file: m[1], line: Number(m[2]), ...(m[3] !== undefined ? { function: m[3] } : {}) });
      continue;
    }
    m = /^at (?:(.+?) \()?(.+?):(\d+)(?::\d+)?\)?$/.exec(l);
    if (m && !/^at [\w$.<>]+\([\w$.-]+:\d+\)$/.test(l)) {
      stack.push({ file: m[2], line: Number(m[3]), ...(m[1] !== undefined ? { function: m[1] } : {}) });
      continue;
    }
    m = /^at ([\w$.<>]+)\(([\w$.-]+):(\d+)\)$/.exec(l);
    if (m) stack.push({ file: m[2], line: Number(m[3]), function: m[1] });
  }
  return { stack, innermost: python ? stack[stack.length - 1] : stack[0] };
}

// ---------------------------------------------------------------------------------------------
// One span, whatever its producer, before it becomes events.

type StatusCode = 'unset' | 'ok' | 'error';

interface SpanIn {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** Parent is in another process (OTLP `flags` bits 8–9), or the span is a SERVER/CONSUMER entry. */
  remoteParent: boolean;
  entry: boolean;
  name: string;
  kind?: string;
  scope?: string;
  startMs?: number;
  endMs?: number;
  startRaw?: string | number;
  endRaw?: string | number;
  durationMs?: number;
  status: StatusCode;
  statusMessage?: string;
  attrs: Record<string, unknown>;
  events: { name: string; ms?: number; raw?: string | number; attrs: Record<string, unknown> }[];
  resource: Record<string, unknown>;
}

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

function kindName(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < KINDS.length) return KINDS[v];
  if (typeof v === 'string') {
    const s = v.replace(/^(SPAN_KIND_|SpanKind\.)/, '').toUpperCase();
    return KINDS.includes(s) ? s : undefined;
  }
  return undefined;
}

/** `status.code` 0/1/2, enum names (`STATUS_CODE_ERROR`) or the console's `status_code` (`ERROR`). */
function statusOf(v: unknown): StatusCode {
  if (v === 2) return 'error';
  if (v === 1) return 'ok';
  if (typeof v === 'string') {
    const s = v.replace(/^(STATUS_CODE_|StatusCode\.)/i, '').toUpperCase();
    if (s === 'ERROR' || s === '2') return 'error';
    if (s === 'OK' || s === '1') return 'ok';
  }
  return 'unset';
}

/** A span that ends before it starts (a clock step, a hostile file) ends at its start: its run's session_end never sorts before its session_start. */
function endNotBeforeStart(s: SpanIn, report: () => void): void {
  if (s.startMs === undefined || s.endMs === undefined || s.endMs >= s.startMs) return;
  report();
  [s.endMs, s.endRaw] = [s.startMs, s.startRaw];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// Spans → events

function baseEvent(type: string, runId: string, loc: SourceLoc): TraceEvent {
  return { dialect: 'otlp', type, runId, tags: [], extra: {}, src: loc };
}

function setTime(ev: TraceEvent, ms: number | undefined, raw: string | number | undefined): void {
  if (ms !== undefined) {
    ev.ts = ms;
    ev.tsRaw = raw ?? ms;
  }
}

function setLoc(ev: TraceEvent, l: { file?: string; line?: number; function?: string }): void {
  if (l.file !== undefined) ev.file = l.file;
  if (l.line !== undefined) ev.line = l.line;
  if (l.function !== undefined) ev.function = l.function;
}

const VERDICT_ATTRS: ReadonlyMap<string, 'success' | 'failure' | 'exception' | 'none'> = new Map([
  ['succeeded', 'success'],
  ['failed', 'failure'],
  ['exception', 'exception'],
  ['orphaned', 'none'],
  ['running', 'none'],
]);

/** `flowlens.evidence.<key>` attributes (Flowlens' exporter) as an evidence record; undefined when there are none. */
function flowlensEvidence(a: Record<string, unknown>): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(a)) if (k.startsWith('flowlens.evidence.')) setOwn((out ??= record<unknown>()), k.slice('flowlens.evidence.'.length), a[k]);
  return out;
}

/** Attributes other than Flowlens' own and the code location (shown as evidence). */
function withoutKnown(a: Record<string, unknown>): Record<string, unknown> {
  const out = record<unknown>();
  for (const k of Object.keys(a)) if (!k.startsWith('flowlens.') && !k.startsWith('code.')) setOwn(out, k, a[k]);
  return out;
}

/** The events of one span (flow id and parent already resolved). */
function spanEvents(s: SpanIn, runId: string, flowId: string, parentFlowId: string | undefined, loc: SourceLoc, out: TraceEvent[]): void {
  const a = s.attrs;
  const name = strAttr(a, 'flowlens.flow.name') ?? s.name;
  const where = codeLocation(a);
  const extra = (ev: TraceEvent): void => {
    ev.extra['otel.span_id'] = s.spanId;
    ev.extra['otel.trace_id'] = s.traceId;
    if (s.kind !== undefined) ev.extra['otel.kind'] = s.kind;
    if (s.scope !== undefined) ev.extra['otel.scope'] = s.scope;
  };
  const start = baseEvent('flow_start', runId, loc);
  start.flow = name;
  start.flowId = flowId;
  if (parentFlowId !== undefined) start.parentFlowId = parentFlowId;
  setTime(start, s.startMs, s.startRaw);
  setLoc(start, where);
  const data = record<unknown>();
  for (const k of Object.keys(a)) if (!k.startsWith('flowlens.')) setOwn(data, k, a[k]);
  if (Object.keys(data).length > 0) start.data = data;
  extra(start);
  out.push(start);

  let exceptionEv: SpanIn['events'][number] | undefined;
  for (const e of s.events) {
    if (e.name === 'exception' && exceptionEv === undefined && s.status !== 'ok') {
      exceptionEv = e;
      continue;
    }
    // Flowlens' own exporter says what the event was (`flowlens.event.type`, …); a verdict type is never taken from an event.
    const ea = e.attrs;
    const statedType = strAttr(ea, 'flowlens.event.type');
    const ev = baseEvent(statedType !== undefined && !VERDICT_ATTRS.has(statedType) && !['success', 'failure', 'exception', 'flow_start', 'session_start', 'session_end'].includes(statedType) ? statedType : 'checkpoint', runId, loc);
    ev.flow = name;
    ev.flowId = flowId;
    ev.step = strAttr(ea, 'flowlens.step') ?? e.name;
    setTime(ev, e.ms, e.raw);
    const eloc = codeLocation(ea);
    setLoc(ev, eloc.file !== undefined ? eloc : where);
    const reason = textAttr(ea, 'flowlens.reason');
    if (reason !== undefined) ev.reason = reason;
    const severity = strAttr(ea, 'flowlens.severity');
    if (severity === 'debug' || severity === 'info' || severity === 'warning' || severity === 'error' || severity === 'critical') ev.severity = severity;
    const metricName = strAttr(ea, 'flowlens.metric.name');
    if (metricName !== undefined) {
      ev.metric = { name: metricName, value: own(ea, 'flowlens.metric.value') };
      const unit = strAttr(ea, 'flowlens.metric.unit');
      if (unit !== undefined) ev.metric.unit = unit;
    }
    const dur = own(ea, 'flowlens.duration_ms');
    if (typeof dur === 'number' && Number.isFinite(dur)) ev.durationMs = dur;
    const evidence = flowlensEvidence(ea) ?? withoutKnown(ea);
    if (Object.keys(evidence).length > 0) ev.evidence = evidence;
    extra(ev);
    out.push(ev);
  }

  // The verdict: Flowlens' own attribute when present (a round trip), else the status.
  const stated = VERDICT_ATTRS.get(strAttr(a, 'flowlens.verdict') ?? '');
  if (stated === 'none' || (stated === undefined && s.endMs === undefined)) return;
  const type = stated ?? (s.status === 'error' || exceptionEv !== undefined ? (exceptionEv ? 'exception' : 'failure') : 'success');
  const v = baseEvent(type, runId, loc);
  v.flow = name;
  v.flowId = flowId;
  setTime(v, s.endMs, s.endRaw);
  if (s.durationMs !== undefined) v.durationMs = s.durationMs;
  setLoc(v, where);
  if (type !== 'success') {
    v.severity = 'error';
    const ex = exceptionEv?.attrs;
    const exType = ex ? strAttr(ex, 'exception.type') : undefined;
    const exMessage = ex ? textAttr(ex, 'exception.message') : undefined;
    v.failureClass = strAttr(a, 'flowlens.failure.class') ?? strAttr(a, 'error.type') ?? exType ?? 'OTEL.ERROR';
    const reason = textAttr(a, 'flowlens.reason') ?? exMessage ?? s.statusMessage;
    if (reason !== undefined) v.reason = reason;
    const evidence = flowlensEvidence(a) ?? withoutKnown(a);
    if (s.statusMessage !== undefined && reason !== s.statusMessage) setOwn(evidence, 'otel.status_message', s.statusMessage);
    if (ex) {
      const trace = textAttr(ex, 'exception.stacktrace');
      const parsed = trace !== undefined ? parseStacktrace(trace) : { stack: [] as StackFrame[] };
      v.exception = { stack: parsed.stack };
      if (exType !== undefined) v.exception.type = exType;
      if (exMessage !== undefined) v.exception.message = exMessage;
      if (trace !== undefined) setOwn(evidence, 'exception.stacktrace', trace.length > MAX_STACKTRACE_CHARS ? `${trace.slice(0, MAX_STACKTRACE_CHARS)}…` : trace);
      const eloc = codeLocation(ex);
      const at = eloc.file !== undefined ? eloc : where.file !== undefined ? where : (parsed.innermost ?? {});
      setLoc(v, at);
    }
    if (Object.keys(evidence).length > 0) v.evidence = evidence;
  }
  extra(v);
  out.push(v);
}

/**
 * The events of the spans of one batch, in time order: per trace, flows and their events; a
 * trace whose local root span is in the batch also gets `session_start` (root start, resource
 * `service.name` as app, `host.name` as host) and `session_end` (latest end; `failed` when a
 * root span failed, else `ok`).
 */
function spansToEvents(spans: SpanIn[], loc: SourceLoc): TraceEvent[] {
  // Flowlens' own exporter names the flow id; parents are mapped within the batch.
  const flowOf = new Map<string, string>();
  for (const s of spans) flowOf.set(`${s.traceId}/${s.spanId}`, strAttr(s.attrs, 'flowlens.flow.id') ?? s.spanId);
  const byTrace = new Map<string, SpanIn[]>();
  for (const s of spans) {
    const list = byTrace.get(s.traceId);
    if (list) list.push(s);
    else byTrace.set(s.traceId, [s]);
  }
  // Sorted by time; at equal times a session_start comes first and a session_end last.
  const out: { ev: TraceEvent; key: number; rank: number; i: number }[] = [];
  let i = 0;
  const push = (ev: TraceEvent, key: number, rank: number): void => {
    out.push({ ev, key: ev.ts ?? key, rank, i: i++ });
  };
  for (const [traceId, list] of byTrace) {
    const inBatch = new Set(list.map((s) => s.spanId));
    const runOf = (s: SpanIn): string => strAttr(s.attrs, 'flowlens.run.id') ?? strAttr(s.resource, 'flowlens.run.id') ?? traceId;
    const roots = list.filter((s) => s.parentSpanId === undefined || s.remoteParent || (s.entry && !inBatch.has(s.parentSpanId)));
    for (const s of list) {
      const evs: TraceEvent[] = [];
      const parent = s.parentSpanId !== undefined ? (flowOf.get(`${traceId}/${s.parentSpanId}`) ?? s.parentSpanId) : undefined;
      spanEvents(s, runOf(s), flowOf.get(`${traceId}/${s.spanId}`) as string, parent, loc, evs);
      // A span's events never sort before its start, whatever their own times say.
      const startKey = s.startMs;
      for (const ev of evs) out.push({ ev, key: Math.max(ev.ts ?? startKey ?? Number.MAX_VALUE, startKey ?? -Infinity), rank: 1, i: i++ });
    }
    if (roots.length === 0) continue;
    const runId = runOf(roots[0]);
    const resource = roots[0].resource;
    let startMs: number | undefined;
    let endMs: number | undefined;
    let startRaw: string | number | undefined;
    let endRaw: string | number | undefined;
    for (const s of list) {
      if (s.startMs !== undefined && (startMs === undefined || s.startMs < startMs)) [startMs, startRaw] = [s.startMs, s.startRaw];
      if (s.endMs !== undefined && (endMs === undefined || s.endMs > endMs)) [endMs, endRaw] = [s.endMs, s.endRaw];
    }
    const begin: TraceEvent = { dialect: 'otlp', type: 'session_start', runId, tags: [], extra: {}, src: loc };
    setTime(begin, startMs, startRaw);
    const app = strAttr(resource, 'service.name');
    if (app !== undefined) begin.app = app;
    const host = strAttr(resource, 'host.name');
    if (host !== undefined) begin.host = host;
    const sha = strAttr(resource, 'vcs.ref.head.revision', 'vcs.revision', 'git.commit.sha');
    if (sha !== undefined) begin.gitSha = sha;
    const env = strAttr(resource, 'deployment.environment.name', 'deployment.environment');
    if (env !== undefined) begin.mode = env;
    if (Object.keys(resource).length > 0) begin.data = resource;
    push(begin, -Infinity, 0);
    // Flowlens' exporter states the run's status: a crashed or running run gets no end.
    const statedRun = strAttr(resource, 'flowlens.run.status');
    if (statedRun === 'crashed' || statedRun === 'running') continue;
    if (roots.every((r) => r.endMs === undefined)) continue;
    const failed = statedRun !== undefined ? statedRun === 'failed' : roots.some((r) => {
      const stated = strAttr(r.attrs, 'flowlens.verdict');
      return stated !== undefined ? stated === 'failed' || stated === 'exception' : r.status === 'error' || (r.status === 'unset' && r.events.some((e) => e.name === 'exception'));
    });
    const end: TraceEvent = { dialect: 'otlp', type: 'session_end', runId, tags: [], extra: {}, src: loc, status: failed ? 'failed' : 'ok' };
    setTime(end, endMs, endRaw);
    end.flowsStarted = list.length;
    end.flowsEnded = list.filter((s) => s.endMs !== undefined).length;
    push(end, Number.MAX_VALUE, 2);
  }
  out.sort((a, b) => a.key - b.key || a.rank - b.rank || a.i - b.i);
  return out.map((x) => x.ev);
}

function problemAdder(loc: SourceLoc, problems: Malformed[]): (reason: string) => void {
  let n = 0;
  return (reason) => {
    n++;
    if (n <= MAX_PROBLEMS_PER_BATCH) problems.push({ file: loc.file, line: loc.line, reason });
    else if (n === MAX_PROBLEMS_PER_BATCH + 1) problems.push({ file: loc.file, line: loc.line, reason: 'more problems in this batch are not listed' });
  };
}

/**
 * One OTLP/JSON traces document (`{resourceSpans: [{resource, scopeSpans: [{scope, spans}]}]}`,
 * one line of the Collector's file exporter, or a whole `.json` file) as events located at `loc`.
 * A span without a valid `traceId`/`spanId` is skipped with a problem; never throws.
 */
export function otlpBatchToEvents(batch: unknown, loc: SourceLoc): OtlpResult {
  const problems: Malformed[] = [];
  const problem = problemAdder(loc, problems);
  if (!isObj(batch) || !Array.isArray(batch.resourceSpans)) {
    problem(notTraces(batch) ?? 'resourceSpans is not an array');
    return { events: [], problems, spans: 0 };
  }
  const spans: SpanIn[] = [];
  /** trace id + span id of the spans read from this batch: a repeat is reported (it merges into one flow). */
  const seen = new Set<string>();
  batch.resourceSpans.forEach((rs, ri) => {
    if (!isObj(rs)) return problem(`resourceSpans[${ri}] is not an object; skipped`);
    const resource = attributeList(isObj(rs.resource) ? rs.resource.attributes : undefined);
    // `instrumentationLibrarySpans` is the name before OTLP 0.15 (some old files still have it).
    const scopes = Array.isArray(rs.scopeSpans) ? rs.scopeSpans : Array.isArray(rs.instrumentationLibrarySpans) ? rs.instrumentationLibrarySpans : [];
    scopes.forEach((ss, si) => {
      if (!isObj(ss) || !Array.isArray(ss.spans)) return problem(`resourceSpans[${ri}].scopeSpans[${si}] has no spans array; skipped`);
      const scopeObj = isObj(ss.scope) ? ss.scope : isObj(ss.instrumentationLibrary) ? ss.instrumentationLibrary : undefined;
      const scope = scopeObj ? str(scopeObj.name) : undefined;
      ss.spans.forEach((sp, pi) => {
        const where = `resourceSpans[${ri}].scopeSpans[${si}].spans[${pi}]`;
        if (!isObj(sp)) return problem(`${where} is not an object; skipped`);
        const traceId = otlpId(sp.traceId, 16);
        const spanId = otlpId(sp.spanId, 8);
        if (traceId === undefined || spanId === undefined) {
          return problem(`${where}${typeof sp.name === 'string' ? ` (${sp.name.slice(0, 80)})` : ''}: no valid ${traceId === undefined ? 'traceId' : 'spanId'} (hex); skipped`);
        }
        const key = `${traceId}/${spanId}`;
        if (seen.has(key)) problem(`${where}: span ${spanId} of trace ${traceId} appears twice in this batch; read into the same flow`);
        seen.add(key);
        const parent = sp.parentSpanId === undefined || sp.parentSpanId === '' ? undefined : otlpId(sp.parentSpanId, 8);
        if (sp.parentSpanId !== undefined && sp.parentSpanId !== '' && parent === undefined) problem(`${where}: parentSpanId is not a valid span id; read as a root span`);
        const flags = typeof sp.flags === 'number' ? sp.flags : 0;
        const kind = kindName(sp.kind);
        const status = isObj(sp.status) ? sp.status : {};
        const startMs = nanosToMs(sp.startTimeUnixNano);
        const endMs = nanosToMs(sp.endTimeUnixNano);
        if (sp.startTimeUnixNano !== undefined && startMs === undefined) problem(`${where}: startTimeUnixNano ${String(sp.startTimeUnixNano).slice(0, 40)} is not a time; kept without it`);
        if (sp.endTimeUnixNano !== undefined && endMs === undefined) problem(`${where}: endTimeUnixNano ${String(sp.endTimeUnixNano).slice(0, 40)} is not a time; kept without it`);
        if (typeof sp.name === 'string' && sp.name.length > MAX_NAME_CHARS) problem(`${where}: span name of ${sp.name.length.toLocaleString('en-US')} characters cut to ${MAX_NAME_CHARS}`);
        const s: SpanIn = {
          traceId,
          spanId,
          remoteParent: (flags & 0x300) === 0x300,
          entry: kind === 'SERVER' || kind === 'CONSUMER',
          name: typeof sp.name === 'string' ? cutName(sp.name) : '(unnamed span)',
          status: statusOf(status.code),
          attrs: attributeList(sp.attributes),
          events: [],
          resource,
        };
        if (parent !== undefined && parent !== spanId) s.parentSpanId = parent;
        if (kind !== undefined) s.kind = kind;
        if (scope !== undefined && scope !== '') s.scope = scope;
        if (startMs !== undefined) [s.startMs, s.startRaw] = [startMs, sp.startTimeUnixNano as string | number];
        if (endMs !== undefined) [s.endMs, s.endRaw] = [endMs, sp.endTimeUnixNano as string | number];
        endNotBeforeStart(s, () => problem(`${where}: endTimeUnixNano is before startTimeUnixNano; read as ending at its start`));
        const d = nanosDiffMs(sp.startTimeUnixNano, sp.endTimeUnixNano);
        if (d !== undefined) s.durationMs = d;
        if (typeof status.message === 'string' && status.message !== '') s.statusMessage = status.message;
        if (Array.isArray(sp.events)) {
          for (const e of sp.events) {
            if (!isObj(e)) continue;
            const ms = nanosToMs(e.timeUnixNano);
            s.events.push({ name: typeof e.name === 'string' ? cutName(e.name) : '(unnamed event)', ms, raw: ms !== undefined ? (e.timeUnixNano as string | number) : undefined, attrs: attributeList(e.attributes) });
          }
        }
        spans.push(s);
      });
    });
  });
  return { events: spansToEvents(spans, loc), problems, spans: spans.length };
}

/**
 * One span as printed by Python's `ConsoleSpanExporter` (`ReadableSpan.to_json()`: `name`,
 * `context {trace_id, span_id}` as `0x…` hex, `kind` `SpanKind.X`, `parent_id`, ISO
 * `start_time`/`end_time`, `status {status_code, description}`, `attributes`, `events[]
 * {name, timestamp, attributes}`, `resource {attributes}`), located at `loc`. The console
 * prints spans as they end, one object each: a run gets its `session_start`/`session_end`
 * with its root span.
 */
export function consoleSpanToEvents(obj: unknown, loc: SourceLoc): OtlpResult {
  const problems: Malformed[] = [];
  const problem = problemAdder(loc, problems);
  if (!isObj(obj) || !isObj(obj.context)) {
    problem(notTraces(obj) ?? 'not a ConsoleSpanExporter span');
    return { events: [], problems, spans: 0 };
  }
  const traceId = otlpId(obj.context.trace_id, 16);
  const spanId = otlpId(obj.context.span_id, 8);
  const name = typeof obj.name === 'string' ? cutName(obj.name) : '(unnamed span)';
  if (traceId === undefined || spanId === undefined) {
    problem(`span ${name.slice(0, 80)}: no valid ${traceId === undefined ? 'trace_id' : 'span_id'}; skipped`);
    return { events: [], problems, spans: 0 };
  }
  const parent = typeof obj.parent_id === 'string' ? otlpId(obj.parent_id, 8) : undefined;
  const status = isObj(obj.status) ? obj.status : {};
  const kind = kindName(obj.kind);
  const startMs = isoToMs(obj.start_time);
  const endMs = isoToMs(obj.end_time);
  if (obj.start_time !== undefined && obj.start_time !== null && startMs === undefined) problem(`span ${name.slice(0, 80)}: start_time ${String(obj.start_time).slice(0, 40)} is not a time; kept without it`);
  if (obj.end_time !== undefined && obj.end_time !== null && endMs === undefined) problem(`span ${name.slice(0, 80)}: end_time ${String(obj.end_time).slice(0, 40)} is not a time; kept without it`);
  const s: SpanIn = {
    traceId,
    spanId,
    remoteParent: false,
    entry: kind === 'SERVER' || kind === 'CONSUMER',
    name,
    status: statusOf(status.status_code),
    attrs: attributeObject(obj.attributes),
    events: [],
    resource: attributeObject(isObj(obj.resource) ? obj.resource.attributes : undefined),
  };
  if (parent !== undefined && parent !== spanId) s.parentSpanId = parent;
  if (kind !== undefined) s.kind = kind;
  if (startMs !== undefined) [s.startMs, s.startRaw] = [startMs, obj.start_time as string];
  if (endMs !== undefined) [s.endMs, s.endRaw] = [endMs, obj.end_time as string];
  endNotBeforeStart(s, () => problem(`span ${name.slice(0, 80)}: end_time is before start_time; read as ending at its start`));
  if (startMs !== undefined && endMs !== undefined && endMs >= startMs) s.durationMs = Math.round((endMs - startMs) * 1000) / 1000;
  if (typeof status.description === 'string' && status.description !== '') s.statusMessage = status.description;
  if (Array.isArray(obj.events)) {
    for (const e of obj.events) {
      if (!isObj(e)) continue;
      const ms = isoToMs(e.timestamp);
      s.events.push({ name: typeof e.name === 'string' ? cutName(e.name) : '(unnamed event)', ms, raw: ms !== undefined ? (e.timestamp as string) : undefined, attrs: attributeObject(e.attributes) });
    }
  }
  // One span per object: its parent is never "in the batch"; only a span without a parent is the root.
  s.entry = false;
  return { events: spansToEvents([s], loc), problems, spans: 1 };
}

/** Events of any top-level object of an OTLP file: a traces batch or a console span. */
export function otlpObjectToEvents(obj: unknown, loc: SourceLoc): OtlpResult {
  return isConsoleSpan(obj) ? consoleSpanToEvents(obj, loc) : otlpBatchToEvents(obj, loc);
}

/**
 * How a file's first bytes look: `'lines'` (JSON Lines whose first line is a whole OTLP batch —
 * the Collector's file exporter), `'document'` (pretty-printed OTLP/JSON, or ConsoleSpanExporter
 * objects one after another), or undefined (not OTLP, or nothing written yet).
 */
export function sniffOtlp(head: string): 'lines' | 'document' | undefined {
  const text = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') return undefined;
  const nl = text.indexOf('\n', start);
  const first = (nl < 0 ? text.slice(start) : text.slice(start, nl)).trim();
  const otlp = /"resourceSpans"\s*:/.test(text);
  const consoleSpan = /"context"\s*:\s*\{/.test(text) && /"trace_id"\s*:/.test(text) && /"span_id"\s*:/.test(text);
  if (!otlp && !consoleSpan) return undefined;
  if (first.length > 1 && first.endsWith('}')) {
    try {
      JSON.parse(first);
      return otlp ? 'lines' : 'document';
    } catch {
      // A first line that is cut short: a document.
    }
  }
  return 'document';
}

/**
 * Splits text holding JSON values one after another (a pretty-printed document, or
 * ConsoleSpanExporter output) into the values' texts with their 1-based start lines. Strings and
 * escapes are respected; text between values that is not whitespace is returned as a `junk`
 * piece so it can be reported. A value still open at the end is returned as `rest` (its start
 * offset) for a later read.
 */
export function splitJsonValues(text: string, firstLine = 1): { values: { text: string; line: number; junk?: boolean }[]; rest?: number; restLine?: number } {
  const values: { text: string; line: number; junk?: boolean }[] = [];
  let line = firstLine;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
      i++;
      continue;
    }
    if (c !== 123 && c !== 91) {
      // Junk up to the end of the line.
      const nl = text.indexOf('\n', i);
      const end = nl < 0 ? n : nl;
      values.push({ text: text.slice(i, end), line, junk: true });
      i = end;
      continue;
    }
    const startLine = line;
    const start = i;
    let depth = 0;
    let inStr = false;
    let done = false;
    for (; i < n; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 10) line++;
      if (inStr) {
        if (ch === 92) i++;
        else if (ch === 34) inStr = false;
        continue;
      }
      if (ch === 34) inStr = true;
      else if (ch === 123 || ch === 91) depth++;
      else if (ch === 125 || ch === 93) {
        depth--;
        if (depth === 0) {
          i++;
          done = true;
          break;
        }
      }
    }
    if (!done) return { values, rest: start, restLine: startLine };
    values.push({ text: text.slice(start, i), line: startLine });
  }
  return { values };
}
