/**
 * Streaming, incremental JSONL reader (docs/formats.md "Things every reader must survive").
 * One `JsonlTail` follows one file: the first `read()` reads it from the start, every later call
 * reads only what was appended. Memory is bounded by `chunkBytes` plus the longest accepted line.
 */
import * as fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { Malformed, SourceLoc } from '../../model/types';
import { jsonErrorReason } from './jsonError';
import { openRegular, openRegularAsync, type IngressProblem } from '../ingress/safeFile';

/** Longest line accepted by default; longer lines are skipped and reported (§6: objects up to 16 MB occur). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;
/** Default read size. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

export interface JsonlTailOptions {
  /** A line longer than this (bytes, without its newline) is skipped unbuffered and reported malformed. */
  maxLineBytes?: number;
  /** Bytes per `read` system call; also the initial buffer size. */
  chunkBytes?: number;
  /** The workspace folder the file's real path must lie in (ingress policy); omitted: not checked. */
  root?: string;
  /** The user picked this file (or a trusted setting named it): it may lie outside `root`. */
  allowOutside?: boolean;
}

export interface ReadOptions {
  /**
   * The file is complete (the writer is gone): a last line without a newline is read as a line
   * — accepted if it is a JSON object, else reported as cut off. Without `final` it is held back
   * (counted in `pendingBytes`) until its newline arrives.
   */
  final?: boolean;
  /**
   * Read at most up to this file size (a one-shot read passes the size seen when it started: a
   * file that keeps growing never keeps it reading). With `final`, a last line that is still
   * being written past this size is held back (`pendingBytes`), not reported as cut off, and
   * `grewBytes` tells how much was appended after it.
   */
  upTo?: number;
}

/** Called once per JSON-object line, in file order. */
export type OnRecord = (obj: Record<string, unknown>, loc: SourceLoc) => void;

export interface TailResult {
  /**
   * The file was truncated or replaced since the last call (size below the offset, another
   * inode/device, or the byte before the offset is no longer a newline): it was re-read from the
   * start, so the caller must drop everything it had from this file first.
   */
  reset: boolean;
  /** Object lines passed to `onRecord` by this call. */
  records: number;
  /** Lines rejected by this call, each located and with a human reason. */
  malformed: Malformed[];
  /**
   * Lines that were kept but are not clean: invalid UTF-8 (bytes replaced by U+FFFD, line still
   * parsed) or `NaN`/`Infinity` tokens accepted. Same shape as `Malformed`; not counted as rejected.
   */
  warnings: Malformed[];
  /** Bytes of the file consumed by this call (offset advance; after a reset, from 0). */
  bytesRead: number;
  /** Bytes after the last complete line that are held back (a partial line a writer is still writing). */
  pendingBytes: number;
  /** File size seen at the start of the call. */
  size: number;
  /** Set when the file could not be read at all (`file not found`, permission, a directory...). */
  error?: string;
  /** `final` reads only: bytes appended after the size this call read up to (the file grew while being read). */
  grewBytes?: number;
}

interface ReadReq {
  buf: Buffer;
  off: number;
  len: number;
  pos: number;
}

/** State of a line longer than `maxLineBytes` that is being skipped (may span calls). */
interface SkipState {
  line: number;
  offset: number;
  bytes: number;
}

interface StatLike {
  size: number;
  ino: number;
  dev: number;
}

const NL = 0x0a;
const CR = 0x0d;
const MAX_REASON = 240;
/** Placeholders for Python's non-standard tokens; the NUL makes a clash with real data implausible. */
const NAN_SENTINEL = '\u0000flowlens:NaN';
const POS_INF_SENTINEL = '\u0000flowlens:+Inf';
const NEG_INF_SENTINEL = '\u0000flowlens:-Inf';

/**
 * Incremental reader of one JSONL file.
 *
 * - Reads with `fs.read` into one reusable buffer per call, scanning for `\n`; the file is
 *   never held as one string. A line longer than the buffer grows it, up to `maxLineBytes`;
 *   a longer line is streamed past and reported with its size.
 * - Remembers the byte offset after the last complete line and the line count; later calls read
 *   from there, up to the size seen when the call started.
 * - A last line without `\n` is held back (not reported) until it is completed, or until a call
 *   with `{final: true}`.
 * - CRLF endings, a UTF-8 BOM on the first line and blank lines (skipped, still numbered) are
 *   handled. Python's bare `NaN`, `Infinity`, `-Infinity` are read as JS numbers (§1a).
 * - Invalid UTF-8: the line is kept, decoded with U+FFFD replacement characters, and listed in
 *   `warnings` — dropping a whole event for one bad byte in a string would lose good data, and
 *   structural bytes are ASCII so the JSON still parses.
 * - Duplicate keys: the last one wins (`JSON.parse`).
 * - Never throws for bad input or a missing file; an exception thrown by `onRecord` propagates
 *   (the position stays after the last line handled).
 */
export class JsonlTail {
  readonly file: string;
  private readonly maxLineBytes: number;
  private readonly chunkBytes: number;
  private readonly root: string | undefined;
  private readonly allowOutside: boolean;
  private _offset = 0;
  private _lineNo = 0;
  private ident: { ino: number; dev: number } | undefined;
  /** The byte before `_offset` is a newline we consumed (lets a rewrite be detected). */
  private afterNewline = false;
  private skip: SkipState | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(file: string, opts: JsonlTailOptions = {}) {
    this.file = file;
    this.maxLineBytes = Math.max(1, Math.floor(opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES));
    this.chunkBytes = Math.max(16, Math.floor(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES));
    this.root = opts.root;
    this.allowOutside = opts.allowOutside === true;
  }

  /** Byte offset of the first byte not yet consumed (start of a held-back partial line). */
  get offset(): number {
    return this._offset;
  }

  /** Number of lines consumed so far (blank and malformed lines included). */
  get lineNo(): number {
    return this._lineNo;
  }

  /** Forget the position: the next read starts from the beginning (without `reset: true`). */
  restart(): void {
    this._offset = 0;
    this._lineNo = 0;
    this.ident = undefined;
    this.afterNewline = false;
    this.skip = undefined;
  }

  /**
   * Continue from a position another reader reached (the parallel index read the file up to
   * `offset`, which is just after a newline, and `lineNo` lines). The file identity is taken on
   * the next read; a shrink or rewrite below `offset` is still detected then.
   */
  resumeAt(offset: number, lineNo: number): void {
    this.restart();
    this._offset = offset;
    this._lineNo = lineNo;
    this.afterNewline = offset > 0;
  }

  /**
   * Reads what was appended since the last call. Calls on one tail are queued, so overlapping
   * calls (e.g. from a watcher) never interleave; do not mix with a concurrent `readSync`.
   */
  read(onRecord: OnRecord, opts: ReadOptions = {}): Promise<TailResult> {
    const run = this.queue.then(() => this.readNow(onRecord, opts));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async readNow(onRecord: OnRecord, opts: ReadOptions): Promise<TailResult> {
    // The ingress policy: a regular file only (a FIFO named trace.jsonl never blocks: it is
    // refused before and after a non-blocking, no-follow open), inside the root.
    const o = await openRegularAsync(this.file, { root: this.root, allowOutside: this.allowOutside, kind: 'trace' });
    if (!o.ok) return this.refused(o.problem);
    const fh = o.fh;
    try {
      const st = o.stat;
      const result = emptyResult(bounded(st.size, opts.upTo));
      const gen = this.scan(st, onRecord, opts.final === true, result);
      let step = gen.next(0);
      while (!step.done) {
        const r = step.value;
        let n: number;
        try {
          n = (await fh.read(r.buf, r.off, r.len, r.pos)).bytesRead;
        } catch (e) {
          return { ...result, error: this.failed(e).error };
        }
        step = gen.next(n);
      }
      if (opts.final === true) noteGrowth(step.value, await fh.stat().then((s) => s.size, () => undefined));
      return step.value;
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** Synchronous `read` (same semantics), for the CLI and tests. */
  readSync(onRecord: OnRecord, opts: ReadOptions = {}): TailResult {
    const o = openRegular(this.file, { root: this.root, allowOutside: this.allowOutside, kind: 'trace' });
    if (!o.ok) return this.refused(o.problem);
    const fd = o.file.fd;
    try {
      const st = o.file.stat;
      const result = emptyResult(bounded(st.size, opts.upTo));
      const gen = this.scan(st, onRecord, opts.final === true, result);
      let step = gen.next(0);
      while (!step.done) {
        const r = step.value;
        let n: number;
        try {
          n = fs.readSync(fd, r.buf, r.off, r.len, r.pos);
        } catch (e) {
          return { ...result, error: this.failed(e).error };
        }
        step = gen.next(n);
      }
      if (opts.final === true) {
        let now: number | undefined;
        try {
          now = fs.fstatSync(fd).size;
        } catch {
          now = undefined;
        }
        noteGrowth(step.value, now);
      }
      return step.value;
    } finally {
      try {
        fs.closeSync(fd);
      } catch {
        // closing a read-only descriptor cannot lose data
      }
    }
  }

  /** A file the ingress policy did not open: the usual short texts, else the policy's own message. */
  private refused(p: IngressProblem): TailResult {
    const error =
      p.reason === 'missing' ? 'file not found'
      : p.reason === 'not-regular' ? (p.type && p.type !== 'a directory' ? `not a regular file (${p.type})` : 'not a regular file')
      : p.reason === 'io' ? (/\((EACCES|EPERM)\)/.test(p.message) ? 'permission denied' : p.message)
      : p.message;
    return { ...emptyResult(0), error };
  }

  private failed(e: unknown, message?: string): TailResult {
    let error = message ?? 'cannot read file';
    if (isFsError(e)) {
      error =
        e.code === 'ENOENT' ? 'file not found'
        : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied'
        : e.code === 'EISDIR' ? 'not a regular file'
        : `cannot read file (${e.code ?? e.message})`;
    }
    return { ...emptyResult(0), error };
  }

  /**
   * The reading state machine, shared by `read` and `readSync`: yields read requests and
   * receives the byte counts, so the sync and async drivers cannot drift apart.
   */
  private *scan(st: StatLike, onRecord: OnRecord, final: boolean, result: TailResult): Generator<ReadReq, TailResult, number> {
    const file = this.file;
    // Up to the size the caller's read started with (result.size): never chase a growing file.
    const size = Math.min(st.size, result.size);

    let replaced = this.ident !== undefined && (this.ident.ino !== st.ino || this.ident.dev !== st.dev);
    if (!replaced && st.size < this._offset) replaced = true;
    if (!replaced && this.afterNewline && this._offset > 0) {
      // Same inode and long enough, but rewritten in place (copytruncate + new writes)?
      const probe = Buffer.allocUnsafe(1);
      const n = yield { buf: probe, off: 0, len: 1, pos: this._offset - 1 };
      if (n !== 1 || probe[0] !== NL) replaced = true;
    }
    if (replaced) {
      this.restart();
      result.reset = true;
    }
    this.ident = { ino: st.ino, dev: st.dev };
    const startOffset = this._offset;

    const remaining = size - this._offset;
    let buf = Buffer.allocUnsafe(Math.max(16, Math.min(this.chunkBytes, remaining + 1)));
    /** File position of buf[0]. */
    let pos = this._offset;
    let fill = 0;
    let lineNo = this._lineNo;
    let skip = this.skip;
    const maxLine = this.maxLineBytes;

    const tooLong = (s: SkipState, cutOff: boolean): Malformed => ({
      file,
      line: s.line,
      reason:
        `line too long: ${s.bytes} bytes (limit ${maxLine}); skipped` +
        (cutOff ? ', and cut off (no newline at end of final file)' : ''),
    });

    const handleLine = (b: Buffer, start: number, end: number, lineOffset: number, cutOff: boolean): void => {
      lineNo++;
      const r = parseJsonLine(b, start, end, lineOffset, cutOff, maxLine);
      if (r === undefined) return;
      if (r.warnings !== undefined) for (const reason of r.warnings) result.warnings.push({ file, line: lineNo, reason });
      if (r.value === undefined) {
        result.malformed.push({ file, line: lineNo, reason: r.error as string });
        return;
      }
      result.records++;
      onRecord(r.value, { file, line: lineNo, offset: lineOffset });
    };

    const commit = (offset: number, afterNewline: boolean): void => {
      result.bytesRead = offset - startOffset;
      this._offset = offset;
      this._lineNo = lineNo;
      this.afterNewline = afterNewline;
      this.skip = skip;
    };

    while (pos + fill < size) {
      if (fill === buf.length) {
        // The partial line fills the buffer (and is at most maxLine, see below): grow it.
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, maxLine + 1));
        buf.copy(bigger, 0, 0, fill);
        buf = bigger;
      }
      const want = Math.min(buf.length - fill, size - pos - fill);
      const n: number = yield { buf, off: fill, len: want, pos: pos + fill };
      if (n <= 0) break; // the file shrank while we read; the next call will notice
      let scanFrom = fill;
      fill += n;
      let lineStart = 0;
      if (skip) {
        const nl = buf.indexOf(NL, scanFrom);
        if (nl === -1 || nl >= fill) {
          skip.bytes += fill;
          pos += fill;
          fill = 0;
          commit(pos, false);
          continue;
        }
        skip.bytes += nl;
        lineNo++;
        result.malformed.push(tooLong(skip, false));
        skip = undefined;
        lineStart = nl + 1;
        scanFrom = lineStart;
        commit(pos + lineStart, true);
      }
      for (;;) {
        const nl = buf.indexOf(NL, scanFrom);
        if (nl === -1 || nl >= fill) break;
        handleLine(buf, lineStart, nl, pos + lineStart, false);
        lineStart = nl + 1;
        scanFrom = lineStart;
        commit(pos + lineStart, true);
      }
      if (lineStart > 0) {
        buf.copy(buf, 0, lineStart, fill);
        pos += lineStart;
        fill -= lineStart;
      }
      if (fill > maxLine) {
        skip = { line: lineNo + 1, offset: pos, bytes: fill };
        pos += fill;
        fill = 0;
        commit(pos, false);
      }
    }

    // End of the data seen at the start of the call. A final read whose last line has no newline
    // yet: if the file has grown past `size`, that line is still being written, not cut off.
    let last = final;
    if (final && (skip || fill > 0)) {
      const probe = Buffer.allocUnsafe(1);
      if ((yield { buf: probe, off: 0, len: 1, pos: size }) === 1) last = false;
    }
    if (skip) {
      if (last) {
        lineNo++;
        result.malformed.push(tooLong(skip, true));
        skip = undefined;
        commit(pos, false);
      } else {
        result.pendingBytes = skip.bytes;
        commit(pos, false);
      }
    } else if (fill > 0) {
      if (last) {
        handleLine(buf, 0, fill, pos, true);
        commit(pos + fill, false);
      } else {
        result.pendingBytes = fill;
        commit(pos, this.afterNewline);
      }
    }
    return result;
  }
}

/** What {@link parseJsonLine} made of one line: an object, or an error, maybe with a warning. */
export interface LineParse {
  value?: Record<string, unknown>;
  /** Why the line was rejected (set when `value` is undefined). */
  error?: string;
  /** Why the line is not clean (invalid UTF-8, NaN/Infinity tokens), in the order found. */
  warnings?: string[];
}

/**
 * Parse one line `b[start, end)` (without its `\n`) exactly as {@link JsonlTail} does: CRLF, a
 * BOM at file offset 0, blank lines (`undefined`), invalid UTF-8 (kept with a warning), Python
 * NaN/Infinity tokens, non-object values and lines over `maxLineBytes` (rejected). Shared with
 * the parallel index (src/core/index) so both readers accept the same lines.
 */
export function parseJsonLine(
  b: Buffer,
  start: number,
  end: number,
  lineOffset: number,
  cutOff: boolean,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): LineParse | undefined {
  if (end - start > maxLineBytes) {
    return {
      error: `line too long: ${end - start} bytes (limit ${maxLineBytes}); skipped` + (cutOff ? ', and cut off (no newline at end of final file)' : ''),
    };
  }
  if (end > start && b[end - 1] === CR) end--;
  if (lineOffset === 0 && end - start >= 3 && b[start] === 0xef && b[start + 1] === 0xbb && b[start + 2] === 0xbf) {
    start += 3;
  }
  if (start === end) return undefined;
  const c0 = b[start];
  if (c0 === 0x20 || c0 === 0x09 || c0 === CR) {
    let i = start + 1;
    while (i < end && (b[i] === 0x20 || b[i] === 0x09 || b[i] === CR)) i++;
    if (i === end) return undefined;
  }
  const text = b.toString('utf8', start, end);
  let warnings: string[] | undefined;
  if (text.indexOf('\uFFFD') !== -1 && !isUtf8(b.subarray(start, end))) {
    warnings = ['invalid UTF-8 bytes replaced with U+FFFD (line kept)'];
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const parsed = parseLenient(text, e);
    if (parsed.error !== undefined) {
      return { error: cutOff ? `line cut off (no newline at end of final file): ${parsed.error}` : parsed.error, warnings };
    }
    v = parsed.value;
    (warnings ??= []).push('NaN/Infinity tokens read as numbers');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: `not a JSON object (${jsonKind(v)})`, warnings };
  return { value: v as Record<string, unknown>, warnings };
}

/** `size`, or `upTo` when that is smaller. */
function bounded(size: number, upTo: number | undefined): number {
  return upTo !== undefined && upTo >= 0 && upTo < size ? upTo : size;
}

/** Sets `grewBytes` when the file is now larger than the size the read went up to. */
function noteGrowth(r: TailResult, now: number | undefined): void {
  if (r.error === undefined && now !== undefined && now > r.size) r.grewBytes = now - r.size;
}

function emptyResult(size: number): TailResult {
  return { reset: false, records: 0, malformed: [], warnings: [], bytesRead: 0, pendingBytes: 0, size };
}

interface Parsed {
  value?: unknown;
  error?: string;
}

/** The slow path after `JSON.parse` failed: retry with Python's NaN/Infinity tokens allowed. */
function parseLenient(text: string, parseError: unknown): Parsed {
  if (text.indexOf('NaN') !== -1 || text.indexOf('Infinity') !== -1) {
    const replaced = replacePythonTokens(text);
    if (replaced !== undefined) {
      try {
        return { value: JSON.parse(replaced, reviveSentinels) };
      } catch {
        // fall through to the original error, which points at the real problem
      }
    }
  }
  // Never V8's message: it quotes the line (`"password=hunter2" is not valid JSON`).
  void parseError;
  const message = jsonErrorReason(text);
  return { error: message.length > MAX_REASON ? message.slice(0, MAX_REASON) + '…' : message };
}

function reviveSentinels(_key: string, v: unknown): unknown {
  if (typeof v === 'string' && v.charCodeAt(0) === 0) {
    if (v === NAN_SENTINEL) return NaN;
    if (v === POS_INF_SENTINEL) return Infinity;
    if (v === NEG_INF_SENTINEL) return -Infinity;
  }
  return v;
}

/**
 * Replaces bare `NaN`, `Infinity`, `-Infinity` outside strings with sentinel strings; returns
 * undefined when there were none (so the original error stands).
 */
function replacePythonTokens(text: string): string | undefined {
  let out = '';
  let last = 0;
  let inString = false;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    let token: string | undefined;
    let sentinel = '';
    if (c === 0x4e && text.startsWith('NaN', i)) {
      token = 'NaN';
      sentinel = NAN_SENTINEL;
    } else if (c === 0x49 && text.startsWith('Infinity', i)) {
      token = 'Infinity';
      sentinel = POS_INF_SENTINEL;
    } else if (c === 0x2d && text.startsWith('-Infinity', i)) {
      token = '-Infinity';
      sentinel = NEG_INF_SENTINEL;
    }
    if (token === undefined) continue;
    if (isIdentChar(text.charCodeAt(i - 1)) || isIdentChar(text.charCodeAt(i + token.length))) continue;
    out += text.slice(last, i) + JSON.stringify(sentinel);
    i += token.length - 1;
    last = i + 1;
    found = true;
  }
  return found ? out + text.slice(last) : undefined;
}

function isIdentChar(c: number): boolean {
  // NaN for out-of-range indexes compares false everywhere.
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e;
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}
