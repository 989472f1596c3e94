/**
 * Scans a byte range of a JSONL trace into compact records (the parallel index's unit of work).
 * Runs inside a worker thread (src/core/read/index/worker.ts) or, without workers, on the calling
 * thread in slices. Every line is read by {@link parseJsonLine}, so it accepts exactly the lines
 * {@link JsonlTail} accepts.
 *
 * A flowscribe v1 line that parsed cleanly becomes a *light* record: the handful of fields the
 * run/flow model needs (type, time, run, flow, parent, duration, severity, failure class,
 * interned tags and correlation) plus its byte offset and length, so the full event can be
 * parsed again on demand. Any other line (session events, other dialects, lines with warnings)
 * becomes a *raw* record carrying the parsed object; the main thread handles it exactly as the
 * sequential reader does.
 *
 * An OTLP JSON-Lines file (`otlp: true`; one export batch per line, docs/otel.md) gives one light
 * record per event of the line's batch (`otlpObjectToEvents`, the one the sequential reader uses),
 * with `sub` = the event's index among them; a batch's `session_start`/`session_end` is a
 * *session* record whose run fields are in `raws`. A batch's problems are malformed entries of its
 * line. A line's records are never split between two batches.
 */
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';
import type { Severity } from '../../model/types';
import { DEFAULT_MAX_LINE_BYTES, parseJsonLine } from '../sources/jsonl';
import { detectDialect, normalizeEvent, parseSeverity, parseTags } from '../sources/normalize';
import { parseTimestamp, timestampProblem, TimestampReader } from '../../model/time';
import { safeStringify } from '../../model/bounded';
import { openRegular } from '../ingress/safeFile';
import { otlpObjectToEvents } from '../sources/otlp';
import { openScanner, SCAN_DONE, SCAN_UNSURE, type ScannerColumns } from './wasmScanner';

/** Open a trace under the ingress policy (a regular file, non-blocking, no-follow); throws the located reason. */
function openTrace(file: string): number {
  const o = openRegular(file, { kind: 'trace' });
  if (!o.ok) throw new Error(o.problem.message);
  return o.file.fd;
}

/** Record kinds. */
export const KIND_LIGHT = 0;
export const KIND_RAW = 1;
/** A light record of a run's start or end (OTLP): `raws` holds its {@link SessionFields}. */
export const KIND_SESSION = 2;

/** The run fields of a session record (OTLP's `session_start`/`session_end`). */
export interface SessionFields {
  app?: string;
  mode?: string;
  gitSha?: string;
  host?: string;
  status?: string;
}

const SEVERITY_CODES: readonly (Severity | undefined)[] = [undefined, 'debug', 'info', 'warning', 'error', 'critical'];

export function severityCode(s: Severity | undefined): number {
  return s === undefined ? 0 : SEVERITY_CODES.indexOf(s);
}

export function severityOf(code: number): Severity | undefined {
  return SEVERITY_CODES[code];
}

/**
 * One batch of records, in file order. Typed arrays are transferred (not copied) from workers.
 * String fields are ids into the batch's own string table `strings` (each batch starts a new
 * table, so a worker holds only one batch's strings, not every flow id of its range). -1 = absent.
 */
export interface ScanBatch {
  n: number;
  /** Byte offset of each line's first byte, and its length without the newline. */
  offset: Float64Array;
  len: Uint32Array;
  /** 1-based line number within the scanned range. */
  line: Uint32Array;
  /** Index of the record's event among its line's events (0 but for OTLP batches). */
  sub: Uint32Array;
  kind: Uint8Array;
  type: Int32Array;
  run: Int32Array;
  flow: Int32Array;
  flowId: Int32Array;
  parent: Int32Array;
  step: Int32Array;
  failureClass: Int32Array;
  /** Tags joined by U+0001 (interned); -1 = no tags. */
  tags: Int32Array;
  /** JSON text of `correlation` (interned); -1 = none. */
  corr: Int32Array;
  ts: Float64Array;
  dur: Float64Array;
  sev: Uint8Array;
  /**
   * Per record, 0 when its line holds no secret and 1 when it may (src/core/read/secretHint.ts);
   * absent = every record may. Made when the index is asked for hints (ScanOptions `hints`). From
   * the WASM scanner also 2: pruned already, by the line's canonical form (`hintText`).
   */
  hint?: Uint8Array;
  /** For a record with hint 2: the id in `strings` of what its event gives the secret walk (secretHint.ts pruneForSecrets); else -1. */
  hintText?: Int32Array;
  /**
   * Set by a worker that left the secret hints of this batch to the thread it posts to (worker.ts:
   * a scan with `background: false` whose parent had nothing else to merge): `hint` holds only the
   * prefilter's 0/1 and the receiver makes the rest (parallel.ts, secretHint.ts hintRecords).
   */
  hintsPending?: boolean;
  /** Parsed objects of the raw records, and the fields of the session records, in order. */
  raws: Record<string, unknown>[];
  strings: string[];
  /** Rejected lines and kept-with-warning lines, `line` within the range. */
  malformed: { line: number; reason: string }[];
  warnings: { line: number; reason: string }[];
}

/**
 * `b` as an object of one shape (one hidden class for V8): a batch made by this thread's scanner
 * and one a worker posted (rebuilt by the structured-clone deserializer, its optional fields in
 * another order) otherwise reach the merge with different shapes, and its optimised code, made on
 * the first kind, was thrown away and compiled again on the second (docs/decisions.md "Issue 15
 * round 7"). The columns are shared, not copied.
 */
export function sameShape(b: ScanBatch): ScanBatch {
  return {
    n: b.n, offset: b.offset, len: b.len, line: b.line, sub: b.sub, kind: b.kind, type: b.type, run: b.run, flow: b.flow,
    flowId: b.flowId, parent: b.parent, step: b.step, failureClass: b.failureClass, tags: b.tags, corr: b.corr, ts: b.ts,
    dur: b.dur, sev: b.sev, hint: b.hint, hintText: b.hintText, hintsPending: b.hintsPending, raws: b.raws,
    strings: b.strings, malformed: b.malformed, warnings: b.warnings,
  };
}

/** What the scan of a range ends with. */
export interface ScanSummary {
  /** Lines consumed (blank and malformed ones included). */
  lines: number;
  /** Offset just after the last line consumed. */
  end: number;
}

export interface ScanOptions {
  file: string;
  /** Range to scan: `start` is the first byte of a line; `end` is just after a newline, or the file end. */
  start: number;
  end: number;
  /** The range ends at the file end without a newline and the file is complete: read the last line. */
  final: boolean;
  batchRecords?: number;
  chunkBytes?: number;
  maxLineBytes?: number;
  /** The file is OTLP JSON Lines (one export batch per line): a record per event of a line. */
  otlp?: boolean;
  /**
   * Secret hints are wanted (src/core/read/secretHint.ts): the WASM scanner runs the prefilter on
   * each line it reads and the batch carries `hint` (1 for the lines the JS path read); without
   * the scanner there is no `hint` here and the caller makes them all.
   */
  hints?: boolean;
}

/** The columns of a batch being filled: its own arrays, or views of the WASM scanner's memory. */
class Growable {
  n = 0;
  readonly offset: Float64Array;
  readonly len: Uint32Array;
  readonly line: Uint32Array;
  readonly sub: Uint32Array;
  readonly kind: Uint8Array;
  readonly type: Int32Array;
  readonly run: Int32Array;
  readonly flow: Int32Array;
  readonly flowId: Int32Array;
  readonly parent: Int32Array;
  readonly step: Int32Array;
  readonly failureClass: Int32Array;
  readonly tags: Int32Array;
  readonly corr: Int32Array;
  readonly ts: Float64Array;
  readonly dur: Float64Array;
  readonly sev: Uint8Array;
  /** Secret hints (the WASM scanner's, when asked for): 0 = clean, 1 = may hold one. */
  readonly hint: Uint8Array | undefined;
  /** With `hint`: the canonical id of each flagged line the module read, else -1 (wasmScanner.ts `canon`). */
  readonly canon: Int32Array | undefined;
  raws: Record<string, unknown>[] = [];
  malformed: { line: number; reason: string }[] = [];
  warnings: { line: number; reason: string }[] = [];
  /** `views`: the WASM scanner's columns (reused by every batch, so `toBatch` copies them out). */
  constructor(
    readonly cap: number,
    private readonly views?: ScannerColumns,
    hints = false,
    /** The scanner's pruned text of a canonical id (wasmScanner.ts canonPruned), with `hints`. */
    private readonly pruned?: (id: number, offset: number) => string | null,
  ) {
    const v = views;
    this.offset = v ? v.offset : new Float64Array(cap);
    this.len = v ? v.len : new Uint32Array(cap);
    this.line = v ? v.line : new Uint32Array(cap);
    this.sub = v ? v.sub : new Uint32Array(cap);
    this.kind = v ? v.kind : new Uint8Array(cap);
    this.type = v ? v.type : new Int32Array(cap);
    this.run = v ? v.run : new Int32Array(cap);
    this.flow = v ? v.flow : new Int32Array(cap);
    this.flowId = v ? v.flowId : new Int32Array(cap);
    this.parent = v ? v.parent : new Int32Array(cap);
    this.step = v ? v.step : new Int32Array(cap);
    this.failureClass = v ? v.failureClass : new Int32Array(cap);
    this.tags = v ? v.tags : new Int32Array(cap);
    this.corr = v ? v.corr : new Int32Array(cap);
    this.ts = v ? v.ts : new Float64Array(cap);
    this.dur = v ? v.dur : new Float64Array(cap);
    this.sev = v ? v.sev : new Uint8Array(cap);
    this.hint = v && hints ? v.hint : undefined;
    this.canon = v && hints && pruned ? v.canon : undefined;
  }
  toBatch(strings: string[]): ScanBatch {
    const n = this.n;
    const v = this.views;
    const hintText = this.prune(strings);
    let cut = <T extends { subarray(a: number, b: number): T; slice(a: number, b: number): T }>(a: T): T => (n === this.cap ? a : a.slice(0, n));
    if (v) {
      // The scanner's columns lie together in its memory: one copy of them all (not zeroed
      // first), and each column a view of it. (The views share one buffer: the worker transfers it once.)
      const cols: ArrayBufferView[] = [this.offset, this.len, this.line, this.sub, this.kind, this.type, this.run, this.flow, this.flowId, this.parent, this.step, this.failureClass, this.tags, this.corr, this.ts, this.dur, this.sev];
      if (this.hint) cols.push(this.hint);
      let lo = Infinity;
      let hi = 0;
      for (const a of cols) {
        lo = Math.min(lo, a.byteOffset);
        hi = Math.max(hi, a.byteOffset + a.byteLength);
      }
      const mem = Buffer.from(this.offset.buffer, lo, hi - lo);
      const out = Buffer.allocUnsafeSlow(hi - lo);
      mem.copy(out);
      const buf = out.buffer;
      cut = <T>(a: T): T => {
        const c = a as unknown as { byteOffset: number; constructor: new (b: ArrayBufferLike, o: number, n: number) => T };
        return new c.constructor(buf, out.byteOffset + c.byteOffset - lo, n);
      };
    }
    const batch: ScanBatch = {
      n,
      offset: cut(this.offset),
      len: cut(this.len),
      line: cut(this.line),
      sub: cut(this.sub),
      kind: cut(this.kind),
      type: cut(this.type),
      run: cut(this.run),
      flow: cut(this.flow),
      flowId: cut(this.flowId),
      parent: cut(this.parent),
      step: cut(this.step),
      failureClass: cut(this.failureClass),
      tags: cut(this.tags),
      corr: cut(this.corr),
      ts: cut(this.ts),
      dur: cut(this.dur),
      sev: cut(this.sev),
      raws: this.raws,
      strings,
      malformed: this.malformed,
      warnings: this.warnings,
    };
    if (this.hint) batch.hint = cut(this.hint);
    if (hintText) batch.hintText = hintText;
    return batch;
  }

  /**
   * The secret hints of the flagged lines the module gave a canonical form, made here, in the
   * scanning thread: 0 when the form gives the walk nothing, 2 with its pruned text appended to
   * `strings` (the ids in the returned `hintText`); a line whose form says nothing stays 1 (the
   * caller prunes it: secretHint.ts hintRecords). Undefined when no line got a text.
   */
  private prune(strings: string[]): Int32Array | undefined {
    const { hint, canon, pruned } = this;
    if (!hint || !canon || !pruned) return undefined;
    let ids: Int32Array | undefined;
    let idOf: Map<number, number> | undefined;
    for (let i = 0; i < this.n; i++) {
      const c = canon[i];
      if (c < 0 || hint[i] !== 1 || this.kind[i] !== KIND_LIGHT) continue;
      const t = pruned(c, this.offset[i]);
      if (t === null) continue;
      if (t === '') {
        hint[i] = 0;
        continue;
      }
      hint[i] = 2;
      let sid = (idOf ??= new Map()).get(c);
      if (sid === undefined) {
        sid = strings.push(t) - 1;
        idOf.set(c, sid);
      }
      (ids ??= new Int32Array(this.n).fill(-1))[i] = sid;
    }
    return ids;
  }
}

/** A batch's string table: the JS {@link Interner} or the WASM scanner's (wasmScanner.ts). */
interface StringTable {
  idAt(slot: number, s: string | undefined): number;
  id(s: string | undefined): number;
  take(): string[];
}

/** Interns the strings of one batch; `take()` returns its table and starts the next batch's. */
class Interner implements StringTable {
  private ids = new Map<string, number>();
  private fresh: string[] = [];
  private readonly lastS: (string | undefined)[] = [];
  private readonly lastId: number[] = [];
  /** `id` with a one-entry cache per field (`slot`): types, runs, flow names repeat line after line. */
  idAt(slot: number, s: string | undefined): number {
    if (s === undefined) return -1;
    if (this.lastS[slot] === s) return this.lastId[slot];
    const id = this.id(s);
    this.lastS[slot] = s;
    this.lastId[slot] = id;
    return id;
  }
  id(s: string | undefined): number {
    if (s === undefined) return -1;
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.fresh.length;
      this.ids.set(s, id);
      this.fresh.push(s);
    }
    return id;
  }
  take(): string[] {
    const f = this.fresh;
    this.fresh = [];
    this.ids = new Map();
    this.lastS.length = 0;
    this.lastId.length = 0;
    return f;
  }
}

/** Chunks read by the JS path alone after the WASM scanner handed back most lines of one. */
const JS_CHUNKS = 4;

/** The fields of a light record, as `normalizeEvent(obj, 'flowscribe-v1')` would set them. */
interface Light {
  type: string;
  runId?: string;
  flow?: string;
  flowId?: string;
  parentFlowId?: string;
  step?: string;
  failureClass?: string;
  tags: string[];
  correlation?: Record<string, unknown>;
  ts?: number;
  durationMs?: number;
  severity?: Severity;
}

const idStr = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;

/**
 * The light fields of a v1 object without building the whole event (no `extra`): the same
 * values `normalizeEvent` gives for canonical keys. `undefined` when an alias is present.
 */
export function lightFields(o: Record<string, unknown>, times?: TimestampReader): Light | undefined {
  // A §1b alias of a light field is present: the full normaliser decides. Property loads, not
  // hasOwnProperty: `o` comes from JSON.parse (no undefined values, and no alias is an
  // Object.prototype member), and loads are cached per shape.
  if (
    o.type !== undefined || o.session_id !== undefined || o.ts !== undefined || o.time !== undefined || o.flow_name !== undefined ||
    o.parent !== undefined || o.class !== undefined || o.error_class !== undefined || o.latency_ms !== undefined || o.elapsed_ms !== undefined
  ) {
    return undefined;
  }
  const t = o.event_type;
  const ts = o.timestamp;
  const c = o.correlation;
  const d = o.duration_ms;
  return {
    type: typeof t === 'string' && t !== '' ? t : 'unknown',
    runId: idStr(o.run_id),
    flow: typeof o.flow === 'string' ? o.flow : undefined,
    flowId: idStr(o.flow_id),
    parentFlowId: idStr(o.parent_flow_id),
    step: idStr(o.step),
    failureClass: typeof o.failure_class === 'string' ? o.failure_class : undefined,
    tags: (o.tags === undefined ? undefined : parseTags(o.tags)) ?? [],
    correlation: typeof c === 'object' && c !== null && !Array.isArray(c) ? (c as Record<string, unknown>) : undefined,
    ts: typeof ts === 'string' || typeof ts === 'number' ? (times ? times.read(ts) : parseTimestamp(ts)) : undefined,
    durationMs: typeof d === 'number' && Number.isFinite(d) ? d : undefined,
    severity: parseSeverity(o.severity),
  };
}

/**
 * Scans `[start, end)` of a file, calling `emit` with batches in file order; returns the line
 * count. Synchronous; `shouldYield` lets a same-thread caller pause between batches (it is called
 * after each emitted batch and may return a promise to wait on).
 */
export async function scanRange(
  opts: ScanOptions,
  emit: (b: ScanBatch) => void,
  shouldYield?: () => Promise<void> | undefined,
): Promise<ScanSummary> {
  const batchRecords = opts.batchRecords ?? 16384;
  // Under V8's external-string threshold (~1 MiB): a region's latin1 string then lives in the
  // worker's young generation instead of as external memory, which forced a full GC every few
  // regions (measured: half the worker's mark-compacts, ~10 MB of peak RSS).
  const chunk = opts.chunkBytes ?? 1_000_000;
  const maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const inputBytes = Math.min(chunk, Math.max(16, opts.end - opts.start + 1));
  // The WASM scanner (v1 lines; OTLP batches are the JS path's): it reads the file into its own
  // memory and fills the batch's columns and string table itself, line after line, handing back
  // each line it is not sure about to `handle` (JSON.parse). Without it, the JS path below.
  const wasm = opts.otlp ? undefined : openScanner(batchRecords, inputBytes, opts.hints === true);
  const strings: StringTable = wasm ?? new Interner();
  const pruned = wasm?.hints ? (id: number, offset: number): string | null => wasm.canonPruned(id, offset) : undefined;
  const newBatch = (): Growable => new Growable(batchRecords, wasm?.columns, wasm?.hints, pruned);
  const times = new TimestampReader();
  const fd = openTrace(opts.file);
  let g = newBatch();
  let lineNo = 0;
  const flush = async (): Promise<void> => {
    await drainReady();
    emit(g.toBatch(strings.take()));
    g = newBatch();
    const p = shouldYield?.();
    if (p) await p;
  };
  const handle = (buf: Buffer, s: number, e: number, off: number, cutOff: boolean): void => {
    lineNo++;
    const r = parseJsonLine(buf, s, e, off, cutOff, maxLine);
    if (r === undefined) return;
    if (r.warnings) for (const reason of r.warnings) g.warnings.push({ line: lineNo, reason });
    if (r.value === undefined) {
      g.malformed.push({ line: lineNo, reason: r.error as string });
      return;
    }
    record(r.value, e - s, off, r.warnings !== undefined);
  };
  /**
   * Lines of an all-ASCII region: one string for the region (as a plain JSON.parse pass does),
   * no per-line decoding. Anything unusual (CR, blank, a parse error, not an object, too long)
   * goes through `handle`, so the result is the same.
   */
  const handleAscii = (buf: Buffer, from: number, to: number, pos: number): void => {
    const text = buf.toString('latin1', from, to);
    let ls = 0;
    for (;;) {
      const nl = text.indexOf('\n', ls);
      if (nl < 0) break;
      const len = nl - ls;
      const c0 = text.charCodeAt(ls);
      let v: unknown;
      if (len > 0 && len <= maxLine && c0 === 0x7b && text.charCodeAt(nl - 1) !== 0x0d) {
        try {
          v = JSON.parse(text.slice(ls, nl));
        } catch {
          v = undefined;
        }
      }
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        lineNo++;
        record(v as Record<string, unknown>, len, pos + from + ls, false);
      } else handle(buf, from + ls, from + nl, pos + from + ls, false);
      ls = nl + 1;
    }
  };
  /** After each record: a batch that reached `batchRecords` goes to `ready` (raw records too). */
  const full = (): void => {
    if (g.n >= batchRecords) {
      ready.push(g.toBatch(strings.take()));
      g = newBatch();
    }
  };
  /**
   * The complete lines of `[from, to)` of the WASM scanner's input (`pos` = file offset of its
   * first byte): the scanner reads what it is sure about, `handle` the lines it hands back; a
   * batch that is full (or whose strings would not fit) goes to `ready`.
   */
  const scanWasm = (buf: Buffer, from: number, to: number, pos: number): number => {
    const w = wasm as NonNullable<typeof wasm>;
    let p = from;
    let read = 0;
    let handedBack = 0;
    while (p < to) {
      const n0 = g.n;
      const st = w.scan(p, to, g.n, lineNo, pos, maxLine);
      read += w.n - n0;
      g.n = w.n;
      lineNo = w.line;
      p = w.pos;
      if (st === SCAN_DONE) break;
      if (st === SCAN_UNSURE) {
        const e = w.end;
        handedBack++;
        handle(buf, p, e, pos + p, false);
        p = e + 1;
        // A file of lines the scanner hands back (another dialect, CRLF, escapes everywhere) reads
        // faster on the JS path alone: the rest of this chunk and the next few go there, then the
        // scanner is tried again (a try costs at most a few dozen lines).
        if (handedBack >= 32 && handedBack > 4 * read) {
          full();
          jsChunks = JS_CHUNKS;
          return p;
        }
      } else {
        ready.push(g.toBatch(strings.take()));
        g = newBatch();
      }
    }
    // The scanner stops at a full batch only before its next line: hand it on as `record` does.
    full();
    if (handedBack > read) jsChunks = JS_CHUNKS;
    return p;
  };
  /** Chunks left for the JS path alone. */
  let jsChunks = 0;
  /** The index fields of record `i` of the current batch, from a normalised event. */
  const setFields = (i: number, ev: Light): void => {
    g.type[i] = strings.idAt(0, ev.type);
    g.run[i] = strings.idAt(1, ev.runId);
    g.flow[i] = strings.idAt(2, ev.flow);
    g.flowId[i] = strings.idAt(3, ev.flowId);
    g.parent[i] = strings.idAt(4, ev.parentFlowId);
    g.step[i] = strings.idAt(5, ev.step);
    g.failureClass[i] = strings.idAt(6, ev.failureClass);
    g.tags[i] = ev.tags.length === 0 ? -1 : strings.idAt(7, ev.tags.length === 1 ? ev.tags[0] : ev.tags.join('\u0001'));
    // Depth-limited (bounded.ts): a correlation nested 100,000 deep must not overflow the stack.
    g.corr[i] = ev.correlation ? strings.id(safeStringify(ev.correlation)) : -1;
    g.ts[i] = ev.ts ?? NaN;
    g.dur[i] = ev.durationMs ?? NaN;
    g.sev[i] = severityCode(ev.severity);
  };
  /** Record `i` is raw: its object goes to `raws`, its index fields are zero (as in fresh columns). */
  const rawAt = (i: number, obj: Record<string, unknown>): void => {
    g.kind[i] = KIND_RAW;
    if (g.hint) g.hint[i] = 1;
    if (g.canon) g.canon[i] = -1;
    if (wasm) {
      // The scanner's columns are reused batch after batch: no stale values under a raw record.
      g.type[i] = g.run[i] = g.flow[i] = g.flowId[i] = g.parent[i] = g.step[i] = g.failureClass[i] = g.tags[i] = g.corr[i] = 0;
      g.ts[i] = g.dur[i] = 0;
      g.sev[i] = 0;
    }
    g.raws.push(obj);
    full();
  };
  const record = (obj: Record<string, unknown>, byteLen: number, off: number, warned: boolean): void => {
    if (opts.otlp) return recordOtlp(obj, byteLen, off);
    const i = g.n++;
    g.offset[i] = off;
    g.len[i] = byteLen;
    g.line[i] = lineNo;
    const type = obj.event_type ?? obj.type;
    if (warned || (obj.v !== 1 && detectDialect(obj) !== 'flowscribe-v1') || type === 'session_start' || type === 'session_end') {
      rawAt(i, obj);
      return;
    }
    const ev = lightFields(obj, times) ?? normalizeEvent(obj, 'flowscribe-v1', { file: opts.file, line: lineNo, offset: off });
    // A timestamp out of the Date range: a raw record, so the run builder records its located warning.
    if (ev.type === 'session_start' || ev.type === 'session_end' || (ev.ts === undefined && timestampProblem(obj.timestamp ?? obj.ts ?? obj.time) !== undefined)) {
      rawAt(i, obj);
      return;
    }
    g.kind[i] = KIND_LIGHT;
    // A line the JS path read: the caller's prefilter decides.
    if (g.hint) g.hint[i] = 1;
    if (g.canon) g.canon[i] = -1;
    setFields(i, ev);
    full();
  };
  /**
   * An OTLP line: a light record per event of its batch, all in one batch (a cancelled merge
   * resumes after the last line of the batches merged, so a line must be merged whole).
   */
  const recordOtlp = (obj: Record<string, unknown>, byteLen: number, off: number): void => {
    const out = otlpObjectToEvents(obj, { file: opts.file, line: lineNo, offset: off });
    const evs = out.events;
    if (g.n + evs.length > g.cap) {
      const prev = g;
      g = new Growable(Math.max(batchRecords, evs.length));
      if (prev.n > 0) {
        // The batch ends at its last record: the lines after it (malformed, this line's warnings)
        // go with the next one, as a cancelled merge resumes after that record's line.
        const last = prev.line[prev.n - 1];
        const cut = <T extends { line: number }>(a: T[]): T[] => {
          let k = a.length;
          while (k > 0 && a[k - 1].line > last) k--;
          return a.splice(k);
        };
        g.malformed = cut(prev.malformed);
        g.warnings = cut(prev.warnings);
        ready.push(prev.toBatch(strings.take()));
      } else {
        // A line with more events than a batch holds, first of its batch.
        g.malformed = prev.malformed;
        g.warnings = prev.warnings;
      }
    }
    for (const p of out.problems) g.malformed.push({ line: lineNo, reason: p.reason });
    for (let k = 0; k < evs.length; k++) {
      const ev = evs[k];
      const i = g.n++;
      g.offset[i] = off;
      g.len[i] = byteLen;
      g.line[i] = lineNo;
      g.sub[i] = k;
      if (ev.type === 'session_start' || ev.type === 'session_end') {
        g.kind[i] = KIND_SESSION;
        const f: SessionFields = {};
        if (ev.app !== undefined) f.app = ev.app;
        if (ev.mode !== undefined) f.mode = ev.mode;
        if (ev.gitSha !== undefined) f.gitSha = ev.gitSha;
        if (ev.host !== undefined) f.host = ev.host;
        if (ev.status !== undefined) f.status = ev.status;
        g.raws.push(f as Record<string, unknown>);
      } else g.kind[i] = KIND_LIGHT;
      setFields(i, ev);
    }
    full();
  };
  const ready: ScanBatch[] = [];
  const drainReady = async (): Promise<void> => {
    while (ready.length > 0) {
      emit(ready.shift() as ScanBatch);
      const p = shouldYield?.();
      if (p) await p;
    }
  };
  try {
    let buf = wasm ? wasm.input : Buffer.allocUnsafe(inputBytes);
    let pos = opts.start; // file position of buf[0]
    let fill = 0;
    /** A line longer than maxLine being skipped without buffering (as JsonlTail does). */
    let skip: { line: number; bytes: number } | undefined;
    const tooLong = (bytes: number, cutOff: boolean): string =>
      `line too long: ${bytes} bytes (limit ${maxLine}); skipped` + (cutOff ? ', and cut off (no newline at end of final file)' : '');
    while (pos + fill < opts.end) {
      if (fill === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, maxLine + 1));
        buf.copy(bigger, 0, 0, fill);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, fill, Math.min(buf.length - fill, opts.end - pos - fill), pos + fill);
      if (n <= 0) break;
      const from = fill;
      fill += n;
      let ls = 0;
      if (skip) {
        const nl = buf.indexOf(10, from);
        if (nl === -1 || nl >= fill) {
          skip.bytes += fill;
          pos += fill;
          fill = 0;
          continue;
        }
        skip.bytes += nl;
        g.malformed.push({ line: skip.line, reason: tooLong(skip.bytes, false) });
        skip = undefined;
        ls = nl + 1;
      }
      const lastNl = buf.lastIndexOf(10, fill - 1);
      if (lastNl >= ls) {
        let scanner = wasm !== undefined && buf === wasm.input;
        if (scanner && jsChunks > 0) {
          jsChunks--;
          scanner = false;
        }
        // The WASM scanner reads what it can (all of it, or up to where it gave up on the chunk) ...
        if (scanner) ls = scanWasm(buf, ls, lastNl + 1, pos);
        // ... the JS path the rest: an all-ASCII stretch as one string, else line by line.
        if (ls <= lastNl && (pos > 0 || ls > 0 || buf[0] !== 0xef) && isAscii(buf.subarray(ls, lastNl + 1))) {
          handleAscii(buf, ls, lastNl + 1, pos);
          ls = lastNl + 1;
        }
        for (let nl = ls <= lastNl ? buf.indexOf(10, ls) : -1; nl !== -1 && nl <= lastNl; nl = buf.indexOf(10, ls)) {
          handle(buf, ls, nl, pos + ls, false);
          ls = nl + 1;
          await drainReady();
        }
        await drainReady();
      }
      if (ls > 0) {
        buf.copy(buf, 0, ls, fill);
        pos += ls;
        fill -= ls;
      }
      if (fill > maxLine) {
        lineNo++;
        skip = { line: lineNo, bytes: fill };
        pos += fill;
        fill = 0;
      }
      // Back to the scanner's input once a line longer than it is behind.
      if (wasm && buf !== wasm.input && fill <= wasm.input.length >> 1) {
        buf.copy(wasm.input, 0, 0, fill);
        buf = wasm.input;
      }
    }
    if (skip) {
      // Only the last range can end without a newline.
      if (opts.final) g.malformed.push({ line: skip.line, reason: tooLong(skip.bytes, true) });
      else {
        lineNo--;
        pos -= skip.bytes;
      }
    } else if (fill > 0 && opts.final) {
      handle(buf, 0, fill, pos, true);
      pos += fill;
      fill = 0;
    }
    await flush();
    return { lines: lineNo, end: pos };
  } finally {
    fs.closeSync(fd);
    wasm?.release();
  }
}

/**
 * Splits `[0, size)` into up to `parts` ranges whose boundaries sit just after a newline.
 * Ranges may be fewer than `parts` (a line longer than 1 MiB at a boundary drops it).
 */
export function splitRanges(file: string, size: number, parts: number): { start: number; end: number }[] {
  const bounds = [0];
  const fd = openTrace(file);
  try {
    const probe = Buffer.allocUnsafe(64 * 1024);
    for (let k = 1; k < parts; k++) {
      let at = Math.max(bounds[bounds.length - 1], Math.floor((size * k) / parts));
      let found = -1;
      // Look for the next newline within 1 MiB; past that, drop the boundary (fewer ranges).
      const limit = Math.min(size, at + (1 << 20));
      while (at < limit && found < 0) {
        const n = fs.readSync(fd, probe, 0, probe.length, at);
        if (n <= 0) break;
        const i = probe.indexOf(10);
        if (i >= 0 && i < n) found = at + i + 1;
        else at += n;
      }
      if (found < 0 || found >= size) break;
      if (found > bounds[bounds.length - 1]) bounds.push(found);
    }
  } finally {
    fs.closeSync(fd);
  }
  bounds.push(size);
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) if (bounds[i + 1] > bounds[i]) out.push({ start: bounds[i], end: bounds[i + 1] });
  return out;
}
