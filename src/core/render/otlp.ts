/**
 * Runs as OpenTelemetry traces (OTLP/JSON `ExportTraceServiceRequest`): flows as spans with stable ids, verdicts as status, failures as attributes and events.
 * Pure.
 *
 * The mapping (docs/otel.md "Sending flows to a backend", docs/decisions.md "Issue 18"):
 * - one `resourceSpans` per run: resource `service.name` = the run's app (`unknown_service` when
 *   absent), `flowlens.run.*`; one scope `flowlens`;
 * - one span per flow: `traceId` = the first 16 bytes of sha256(`flowlens:trace:` + run id),
 *   `spanId` = the first 8 bytes of sha256(`flowlens:span:` + run id + NUL + flow id), lower-case
 *   hex (the OTLP/JSON encoding), so the same run exports the same ids every time and a re-export
 *   replaces rather than duplicates in a backend that deduplicates; `parentSpanId` from the parent
 *   flow (absent for a root or when the parent is not in the run); times in unix nanoseconds as
 *   decimal strings;
 * - status: failed/exception → 2 (ERROR) with the reason as message; succeeded → 1 (OK);
 *   running/orphaned → 0 (UNSET);
 * - attributes: `flowlens.run.id`, `flowlens.flow.id`, `flowlens.flow.name`, `flowlens.verdict`,
 *   `flowlens.failure.class`, `flowlens.reason`, `flowlens.evidence.<key>` (the verdict's
 *   evidence, one level), `flowlens.correlation.<key>`, `flowlens.tags`, and the verdict's place as
 *   `code.file.path` / `code.line.number` / `code.function.name`;
 * - events: every held event of the flow but its `flow_start` and verdict (checkpoints, metrics,
 *   notes: name = step, else event type), and for an exception verdict an `exception` event with
 *   `exception.type` / `exception.message` / `exception.stacktrace`.
 *
 * Egress: every string from the trace goes through the given {@link OtlpRedactor} (identifiers
 * through `identifier`, reasons/messages/evidence through `string`/`value`) and is capped; with no
 * redactor (`--no-redact`) text is kept as written, still capped. Ids are hashed from the raw ids.
 */
import { createHash } from 'node:crypto';
import type { FlowNode, Run, TraceEvent } from '../model/types';
import { boundedCopy } from '../model/bounded';
import { flowsDepthFirst, flowSpan } from './export';
import { cap } from './egress/surfaces';

/** An OTLP `AnyValue` in the OTLP/JSON encoding (int64 as a decimal string). */
export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpAnyValue[] } };

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpEvent {
  timeUnixNano: string;
  name: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1 = SPAN_KIND_INTERNAL. */
  kind: 1;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  events: OtlpEvent[];
  droppedEventsCount?: number;
  /** 0 UNSET, 1 OK, 2 ERROR. */
  status: { code: 0 | 1 | 2; message?: string };
}

export interface OtlpResourceSpans {
  resource: { attributes: OtlpKeyValue[] };
  scopeSpans: { scope: { name: string; version?: string }; spans: OtlpSpan[] }[];
}

/** `ExportTraceServiceRequest` (opentelemetry/proto/collector/trace/v1), OTLP/JSON. */
export interface OtlpTraceRequest {
  resourceSpans: OtlpResourceSpans[];
}

/** What the export needs of a redactor (egress/redact.ts `Redactor` fits). */
export interface OtlpRedactor {
  /** Names, ids, paths, classes: kept unless they hold credential-looking text. */
  identifier(s: string): string;
  /** Free text (reasons, messages, stack traces): scrubbed, control characters stripped, cut. */
  string(s: string): string;
  /** Evidence and other values: deep-redacted (sensitive keys → `[REDACTED]`), bounded. */
  value(v: unknown): unknown;
}

export interface OtlpOptions {
  /** The egress redactor; undefined = as written (the CLI's `--no-redact`), still size-bounded. */
  redactor?: OtlpRedactor;
  /** The scope version (Flowlens's version). */
  version?: string;
  /** Max characters of one string attribute (default 4096). */
  maxValueChars?: number;
  /** Max events per span (default 128); the rest are counted in `droppedEventsCount`. */
  maxEvents?: number;
  /** Max `flowlens.evidence.*` / `flowlens.correlation.*` keys each (default 32). */
  maxKeys?: number;
}

/** Lower-case hex of the first `bytes` bytes of sha256(`text`). */
function hashHex(text: string, bytes: number): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, bytes * 2);
}

/** The trace id of a run: 16 bytes, hex; the same for the same run id. */
export function otlpTraceId(runId: string): string {
  return hashHex(`flowlens:trace:${runId}`, 16);
}

/** The span id of a flow of a run: 8 bytes, hex; the same for the same run id and flow id. */
export function otlpSpanId(runId: string, flowId: string): string {
  return hashHex(`flowlens:span:${runId}\u0000${flowId}`, 8);
}

/** Epoch ms (may be fractional) → unix nanoseconds as a decimal string (exact for whole µs). */
export function unixNano(ms: number): string {
  // Total: a time before 1970 or not a number is 0 (OTLP's "unset"), never a negative or huge text.
  if (!Number.isFinite(ms) || ms < 0) return '0';
  if (ms > 8.64e15) ms = 8.64e15;
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  return (BigInt(whole) * 1_000_000n + BigInt(frac)).toString();
}

/** Plain characters only: no C0/C1 controls, bidi overrides or zero-width characters. */
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;


const DEFAULT_MAX_VALUE = 4096;
const DEFAULT_MAX_EVENTS = 128;
const DEFAULT_MAX_KEYS = 32;
/** Names, ids and paths are shorter than free text. */
const MAX_IDENT = 1024;

/** How trace text leaves in one export: the redactor's rules, then no invisible characters, then the cap. */
class Egress {
  constructor(readonly red: OtlpRedactor | undefined, readonly maxValue: number) {}
  ident(s: string): string {
    return cap((this.red ? this.red.identifier(s) : s).replace(INVISIBLE, ''), MAX_IDENT);
  }
  text(s: string): string {
    return cap((this.red ? this.red.string(s) : s).replace(INVISIBLE, ''), this.maxValue);
  }
  /** A value for an attribute: redacted (or bounded), then typed; structures as capped JSON text. */
  any(v: unknown): OtlpAnyValue | undefined {
    const safe = this.red ? this.red.value(v) : boundedCopy(v, { maxDepth: 12, maxItems: 50 });
    return typed(safe, this.maxValue);
  }
}

function typed(v: unknown, max: number): OtlpAnyValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return { stringValue: cap(v.replace(INVISIBLE, ''), max) };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { intValue: String(v) } : Number.isFinite(v) ? { doubleValue: v } : { stringValue: String(v) };
  if (typeof v === 'bigint') return { intValue: v.toString() };
  if (Array.isArray(v) && v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))) {
    const values = v.map((x) => typed(x, max) ?? { stringValue: '' });
    return { arrayValue: { values } };
  }
  let json: string;
  try {
    json = JSON.stringify(v) ?? '';
  } catch {
    json = '[unprintable]';
  }
  return { stringValue: cap(json.replace(INVISIBLE, ''), max) };
}

/** Attributes of one span or event, in insertion order, keys unique (a later key replaces). */
class Attrs {
  private readonly map = new Map<string, OtlpAnyValue>();
  dropped = 0;
  str(key: string, v: string | undefined): void {
    if (v !== undefined && v !== '') this.map.set(key, { stringValue: v });
  }
  int(key: string, v: number | undefined): void {
    if (v !== undefined && Number.isFinite(v)) this.map.set(key, Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v });
  }
  any(key: string, v: OtlpAnyValue | undefined): void {
    if (v !== undefined) this.map.set(key, v);
  }
  /** One attribute per top-level key of `obj` (already redacted by the caller's value()), at most `max`. */
  spread(prefix: string, obj: unknown, eg: Egress, max: number): void {
    if (obj === null || obj === undefined) return;
    if (typeof obj !== 'object' || Array.isArray(obj)) {
      this.any(prefix.replace(/\.$/, ''), eg.any(obj));
      return;
    }
    const safe = eg.red ? eg.red.value(obj) : boundedCopy(obj, { maxDepth: 12, maxItems: 50 });
    if (safe === null || typeof safe !== 'object') return;
    let n = 0;
    for (const [k, v] of Object.entries(safe as Record<string, unknown>)) {
      if (k === '…') continue; // the redactor's "N more keys" marker
      if (n >= max) {
        this.dropped++;
        continue;
      }
      const val = typed(v, eg.maxValue);
      if (val === undefined) continue;
      this.map.set(`${prefix}${cap(k.replace(INVISIBLE, ''), 256)}`, val);
      n++;
    }
  }
  list(): OtlpKeyValue[] {
    return [...this.map].map(([key, value]) => ({ key, value }));
  }
}

/** Where a flow failed or finished: the verdict event's place, else the first event with a file. */
function placeOf(flow: FlowNode): TraceEvent | undefined {
  if (flow.verdictEvent?.file) return flow.verdictEvent;
  return flow.events.find((e) => !!e.file);
}

function codeAttrs(a: Attrs, e: TraceEvent | undefined, eg: Egress): void {
  if (!e) return;
  if (e.file) a.str('code.file.path', eg.ident(e.file));
  if (e.line !== undefined && Number.isFinite(e.line)) a.int('code.line.number', e.line);
  if (e.function) a.str('code.function.name', eg.ident(e.function));
}

/** A Python-style traceback of an exception event (the form flowscribe's producers print). */
function stacktrace(e: TraceEvent): string | undefined {
  const ex = e.exception;
  if (!ex || !ex.stack.length) return undefined;
  const lines = ['Traceback (most recent call last):'];
  for (const f of ex.stack) lines.push(`  File "${f.file ?? '?'}", line ${f.line ?? '?'}, in ${f.function ?? '?'}`);
  lines.push(`${ex.type ?? 'Exception'}: ${ex.message ?? ''}`);
  return lines.join('\n');
}

/** The words of a failing verdict: its reason, else the exception's `type: message`, else the class. */
function reasonOf(e: TraceEvent | undefined): string | undefined {
  if (!e) return undefined;
  if (e.reason) return e.reason;
  if (e.exception && (e.exception.type || e.exception.message)) return [e.exception.type, e.exception.message].filter(Boolean).join(': ');
  if (typeof e.message === 'string' && e.message) return e.message;
  return e.failureClass;
}

function eventOf(e: TraceEvent, fallbackMs: number, eg: Egress, maxKeys: number): OtlpEvent {
  const a = new Attrs();
  a.str('flowlens.event.type', eg.ident(e.type));
  if (e.step) a.str('flowlens.step', eg.ident(e.step));
  if (e.severity) a.str('flowlens.severity', e.severity);
  if (e.failureClass) a.str('flowlens.failure.class', eg.ident(e.failureClass));
  if (e.reason) a.str('flowlens.reason', eg.text(e.reason));
  if (e.metric) {
    a.str('flowlens.metric.name', eg.ident(e.metric.name));
    a.any('flowlens.metric.value', eg.any(e.metric.value));
    if (e.metric.unit) a.str('flowlens.metric.unit', eg.ident(e.metric.unit));
  }
  if (e.durationMs !== undefined) a.int('flowlens.duration_ms', e.durationMs);
  codeAttrs(a, e, eg);
  a.spread('flowlens.evidence.', e.evidence, eg, maxKeys);
  const attributes = a.list();
  const out: OtlpEvent = { timeUnixNano: unixNano(e.ts ?? fallbackMs), name: eg.ident(e.step || e.type) || 'event', attributes };
  if (a.dropped) out.droppedAttributesCount = a.dropped;
  return out;
}

function exceptionEvent(e: TraceEvent, atMs: number, eg: Egress): OtlpEvent {
  const a = new Attrs();
  const ex = e.exception;
  a.str('exception.type', ex?.type ? eg.ident(ex.type) : e.failureClass ? eg.ident(e.failureClass) : undefined);
  const message = ex?.message ?? reasonOf(e);
  if (message !== undefined) a.str('exception.message', eg.text(message));
  const st = stacktrace(e);
  // A stack trace is longer than a reason: the redactor cuts each line, not the whole.
  if (st) a.str('exception.stacktrace', cap(st.split('\n').map((l) => eg.text(l)).join('\n'), eg.maxValue * 4));
  if (e.failureClass) a.str('flowlens.failure.class', eg.ident(e.failureClass));
  codeAttrs(a, e, eg);
  return { timeUnixNano: unixNano(e.ts ?? atMs), name: 'exception', attributes: a.list() };
}

/** Start and end (epoch ms) of a flow's span: the verdict time minus its duration when both are known. */
function spanTimes(flow: FlowNode, run: Run): { start: number; end: number } | undefined {
  const s = flowSpan(flow);
  // A trace's duration_ms is hostile: 1e300 or a negative value would give a negative (or
  // 300-digit) startTimeUnixNano, or a start after the end — a collector rejects the whole batch.
  if (s && flow.ended !== undefined && flow.durationMs !== undefined && Number.isFinite(flow.durationMs) && flow.durationMs >= 0 && flow.ended - flow.durationMs >= 0) {
    return { start: flow.ended - flow.durationMs, end: flow.ended };
  }
  if (s) return s;
  const at = run.started;
  return at === undefined ? undefined : { start: at, end: at };
}

function spanOf(run: Run, flow: FlowNode, traceId: string, eg: Egress, o: Required<Omit<OtlpOptions, 'redactor' | 'version'>>): OtlpSpan | undefined {
  const t = spanTimes(flow, run);
  if (!t) return undefined;
  const v = flow.verdictEvent;
  const a = new Attrs();
  a.str('flowlens.run.id', eg.ident(run.id));
  a.str('flowlens.flow.id', eg.ident(flow.id));
  if (flow.name) a.str('flowlens.flow.name', eg.ident(flow.name));
  a.str('flowlens.verdict', flow.verdict);
  if (flow.durationMs === undefined) a.str('flowlens.duration', 'unknown');
  if (v?.failureClass) a.str('flowlens.failure.class', eg.ident(v.failureClass));
  const failing = flow.verdict === 'failed' || flow.verdict === 'exception';
  const reason = failing ? reasonOf(v) : v?.reason;
  if (reason) a.str('flowlens.reason', eg.text(reason));
  if (v?.severity) a.str('flowlens.severity', v.severity);
  if (v?.step) a.str('flowlens.step', eg.ident(v.step));
  codeAttrs(a, placeOf(flow), eg);
  if (flow.tags.length) a.any('flowlens.tags', { arrayValue: { values: flow.tags.slice(0, o.maxKeys).map((t2) => ({ stringValue: eg.ident(t2) })) } });
  a.spread('flowlens.correlation.', Object.keys(flow.correlation).length ? flow.correlation : undefined, eg, o.maxKeys);
  a.spread('flowlens.evidence.', v?.evidence, eg, o.maxKeys);

  const events: OtlpEvent[] = [];
  let dropped = 0;
  for (const e of flow.events) {
    if (e === v || e.type === 'flow_start') continue;
    if (events.length >= o.maxEvents) {
      dropped++;
      continue;
    }
    events.push(eventOf(e, t.start, eg, o.maxKeys));
  }
  if (v && flow.verdict === 'exception') events.push(exceptionEvent(v, t.end, eg));

  const code: 0 | 1 | 2 = failing ? 2 : flow.verdict === 'succeeded' ? 1 : 0;
  const status: OtlpSpan['status'] = { code };
  if (failing) {
    const words = [v?.failureClass ? eg.ident(v.failureClass) : undefined, reason ? eg.text(reason) : undefined].filter((x) => !!x).join(': ');
    if (words) status.message = cap(words, o.maxValueChars);
  }
  const parent = flow.parentId !== undefined && run.flows.has(flow.parentId) ? otlpSpanId(run.id, flow.parentId) : undefined;
  const span: OtlpSpan = {
    traceId,
    spanId: otlpSpanId(run.id, flow.id),
    ...(parent ? { parentSpanId: parent } : {}),
    name: eg.ident(flow.displayName) || 'flow',
    kind: 1,
    startTimeUnixNano: unixNano(t.start),
    endTimeUnixNano: unixNano(Math.max(t.start, t.end)),
    attributes: a.list(),
    events,
    status,
  };
  if (a.dropped) span.droppedAttributesCount = a.dropped;
  if (dropped) span.droppedEventsCount = dropped;
  return span;
}

/** The resource of a run: `service.name` from its app, and the run's identity. */
function resourceOf(run: Run, eg: Egress): OtlpKeyValue[] {
  const a = new Attrs();
  a.str('service.name', run.app ? eg.ident(run.app) : 'unknown_service');
  a.str('flowlens.run.id', eg.ident(run.id));
  a.str('flowlens.run.status', run.status);
  a.str('flowlens.dialect', run.dialect);
  if (run.mode) a.str('flowlens.run.mode', eg.ident(run.mode));
  if (run.gitSha) a.str('vcs.ref.head.revision', eg.ident(run.gitSha));
  if (run.host) a.str('host.name', eg.ident(run.host));
  if (run.tags.length) a.any('flowlens.run.tags', { arrayValue: { values: run.tags.slice(0, DEFAULT_MAX_KEYS).map((t) => ({ stringValue: eg.ident(t) })) } });
  return a.list();
}

/** One run's spans and resource; flows without any known time (and a run without a start) are left out. */
export function runToResourceSpans(run: Run, opts: OtlpOptions = {}): OtlpResourceSpans {
  const eg = new Egress(opts.redactor, opts.maxValueChars ?? DEFAULT_MAX_VALUE);
  const o = { maxValueChars: eg.maxValue, maxEvents: opts.maxEvents ?? DEFAULT_MAX_EVENTS, maxKeys: opts.maxKeys ?? DEFAULT_MAX_KEYS };
  const traceId = otlpTraceId(run.id);
  const spans: OtlpSpan[] = [];
  for (const { flow } of flowsDepthFirst(run)) {
    const s = spanOf(run, flow, traceId, eg, o);
    if (s) spans.push(s);
  }
  const scope = opts.version ? { name: 'flowlens', version: opts.version } : { name: 'flowlens' };
  return { resource: { attributes: resourceOf(run, eg) }, scopeSpans: [{ scope, spans }] };
}

/** Runs as one OTLP/JSON `ExportTraceServiceRequest` (one resourceSpans per run). */
export function toOtlp(runs: readonly Run[], opts: OtlpOptions = {}): OtlpTraceRequest {
  return { resourceSpans: runs.map((r) => runToResourceSpans(r, opts)) };
}

/** The number of spans in a request. */
export function otlpSpanCount(req: OtlpTraceRequest): number {
  let n = 0;
  for (const rs of req.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}

/**
 * A request split into requests of at most `maxSpans` spans each (a receiver bounds its body:
 * the Collector's default is 4 MiB, Autotel's 10 MB), keeping each span with its resource and
 * scope; an empty request stays one request.
 */
export function chunkOtlp(req: OtlpTraceRequest, maxSpans: number): OtlpTraceRequest[] {
  const size = Math.max(1, Math.floor(maxSpans));
  const out: OtlpTraceRequest[] = [];
  let cur: OtlpTraceRequest = { resourceSpans: [] };
  let n = 0;
  for (const rs of req.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (let i = 0; i < ss.spans.length || (i === 0 && ss.spans.length === 0); ) {
        const take = ss.spans.slice(i, i + (size - n));
        cur.resourceSpans.push({ resource: rs.resource, scopeSpans: [{ scope: ss.scope, spans: take }] });
        n += take.length;
        i += Math.max(1, take.length);
        if (n >= size) {
          out.push(cur);
          cur = { resourceSpans: [] };
          n = 0;
        }
      }
    }
  }
  if (cur.resourceSpans.length || !out.length) out.push(cur);
  return out;
}
