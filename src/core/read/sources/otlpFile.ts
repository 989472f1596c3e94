/**
 * OTLP trace files as a workspace source: JSON Lines batches through the JSONL tail, pretty-printed documents and console output as whole JSON values.
 *
 * The file's first bytes decide the mode once (see `sniffOtlp`): a first line that is a whole
 * batch is JSON Lines — every line is parsed by the JSONL tail (bounded line length, NaN tokens,
 * invalid UTF-8, a half-written last line held back) and expanded into many events, each located
 * at its batch's line. Otherwise the file holds JSON values one after another (a `.json`
 * document, or console spans printed as they end): the bytes after the last complete value are
 * read on each call, complete values are parsed, an unfinished one waits for more bytes.
 */
import * as fs from 'node:fs';
import type { Malformed, TraceEvent } from '../../model/types';
import type { SourceHandle, SourceReadResult } from '../workspace/seam';
import { openRegular, openRegularAsync } from '../ingress/safeFile';
import { JsonlTail, parseJsonLine } from './jsonl';
import { otlpObjectToEvents, sniffOtlp, splitJsonValues } from './otlp';

/** Bytes looked at to decide a file is OTLP and in which mode. */
export const OTLP_SNIFF_BYTES = 64 * 1024;
/** Largest pretty-printed document (or unfinished console span) read at once; JSON Lines files have no total limit. */
export const MAX_OTLP_DOCUMENT_BYTES = 256 * 1024 * 1024;

export interface OtlpFileOptions {
  /** The workspace folder the file's real path must lie in (ingress policy). */
  root?: string;
  /** The user named this file: it may lie outside `root`. */
  allowOutside?: boolean;
  /** Default {@link MAX_OTLP_DOCUMENT_BYTES}. */
  maxDocumentBytes?: number;
}

/**
 * `'lines'`/`'document'` when the first bytes of `file` look like OTLP traces (see `sniffOtlp`),
 * else undefined (not OTLP, unreadable, or empty so far). Reads at most {@link OTLP_SNIFF_BYTES}
 * through the ingress policy.
 */
export function sniffOtlpFile(file: string, opts: OtlpFileOptions = {}): 'lines' | 'document' | undefined {
  const o = openRegular(file, { root: opts.root, allowOutside: opts.allowOutside, kind: 'trace' });
  if (!o.ok) return undefined;
  try {
    const want = Math.min(o.file.size, OTLP_SNIFF_BYTES);
    const buf = Buffer.allocUnsafe(want);
    let off = 0;
    while (off < want) {
      const n = fs.readSync(o.file.fd, buf, off, want - off, off);
      if (n === 0) break;
      off += n;
    }
    return sniffOtlp(buf.toString('utf8', 0, off));
  } catch {
    return undefined;
  } finally {
    fs.closeSync(o.file.fd);
  }
}

/** One OTLP trace file as a workspace source (`SourceHandle`). */
export class OtlpFileSource implements SourceHandle {
  private mode: 'lines' | 'document' | undefined;
  private tail: JsonlTail | undefined;
  /** Document mode: bytes consumed (up to the end of the last complete value), its line, and the file's identity. */
  private offset = 0;
  private line = 1;
  private ident: { ino: number; dev: number } | undefined;
  private readonly maxDocumentBytes: number;

  constructor(
    readonly file: string,
    private readonly opts: OtlpFileOptions = {},
  ) {
    this.maxDocumentBytes = opts.maxDocumentBytes ?? MAX_OTLP_DOCUMENT_BYTES;
  }

  /**
   * JSON Lines, nothing read yet: the lines tail, for the cold index to read from the start
   * (readSource; it then resumes the tail where the index stopped). Else undefined.
   */
  indexableTail(): JsonlTail | undefined {
    this.mode ??= sniffOtlpFile(this.file, this.opts);
    if (this.mode !== 'lines') return undefined;
    this.tail ??= new JsonlTail(this.file, { root: this.opts.root, allowOutside: this.opts.allowOutside });
    return this.tail.offset === 0 && this.tail.lineNo === 0 ? this.tail : undefined;
  }

  /** Lines kept with a warning by the current read (NaN tokens, invalid UTF-8). */
  private warnings: Malformed[] = [];

  async read(onEvent: (event: TraceEvent) => void, opts: { final: boolean }): Promise<SourceReadResult> {
    this.warnings = [];
    if (this.mode === undefined) {
      this.mode = sniffOtlpFile(this.file, this.opts);
      // Nothing recognisable written yet: decided on a later read (an empty file is no error).
      if (this.mode === undefined) return { malformed: [] };
    }
    const r = await (this.mode === 'lines' ? this.readLines(onEvent, opts.final) : this.readDocument(onEvent, opts.final));
    return this.warnings.length > 0 ? { ...r, warnings: this.warnings } : r;
  }

  private async readLines(onEvent: (event: TraceEvent) => void, final: boolean): Promise<SourceReadResult> {
    this.tail ??= new JsonlTail(this.file, { root: this.opts.root, allowOutside: this.opts.allowOutside });
    const malformed: Malformed[] = [];
    const r = await this.tail.read((obj, loc) => {
      const out = otlpObjectToEvents(obj, loc);
      for (const ev of out.events) onEvent(ev);
      malformed.push(...out.problems);
    }, { final });
    this.warnings = r.warnings;
    return { reset: r.reset, malformed: [...r.malformed, ...malformed].sort((a, b) => a.line - b.line), error: r.error };
  }

  private async readDocument(onEvent: (event: TraceEvent) => void, final: boolean): Promise<SourceReadResult> {
    const o = await openRegularAsync(this.file, { root: this.opts.root, allowOutside: this.opts.allowOutside, kind: 'trace' });
    if (!o.ok) return { malformed: [], error: o.problem.message.startsWith(this.file) ? o.problem.message.slice(this.file.length + 2) : o.problem.message };
    const fh = o.fh;
    try {
      const st = o.stat;
      let reset = false;
      if (this.ident !== undefined && (this.ident.ino !== st.ino || this.ident.dev !== st.dev || st.size < this.offset)) {
        // Replaced or truncated: read again from the start; the caller drops what it had.
        this.offset = 0;
        this.line = 1;
        reset = true;
      }
      this.ident = { ino: st.ino, dev: st.dev };
      const want = st.size - this.offset;
      if (want <= 0) return { reset, malformed: [] };
      if (want > this.maxDocumentBytes) {
        return { reset, malformed: [], error: `${want.toLocaleString('en-US')} bytes of pretty-printed OTLP/JSON after byte ${this.offset.toLocaleString('en-US')}: over the ${this.maxDocumentBytes.toLocaleString('en-US')}-byte limit for one document; write one batch per line (the Collector's file exporter, .jsonl) instead` };
      }
      const buf = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const n = (await fh.read(buf, got, want - got, this.offset + got)).bytesRead;
        if (n === 0) break;
        got += n;
      }
      const text = buf.toString('utf8', 0, got);
      const split = splitJsonValues(text, this.line);
      const malformed: Malformed[] = [];
      const loc = (line: number): { file: string; line: number } => ({ file: this.file, line });
      for (const v of split.values) {
        if (v.junk) {
          malformed.push({ file: this.file, line: v.line, reason: `not JSON: ${JSON.stringify(v.text.slice(0, 60))}${v.text.length > 60 ? '…' : ''}` });
          continue;
        }
        const b = Buffer.from(v.text, 'utf8');
        const p = parseJsonLine(b, 0, b.length, 1, false, this.maxDocumentBytes);
        if (p?.warnings) for (const w of p.warnings) this.warnings.push({ file: this.file, line: v.line, reason: w });
        if (!p || p.value === undefined) {
          malformed.push({ file: this.file, line: v.line, reason: p?.error ?? 'empty' });
          continue;
        }
        const out = otlpObjectToEvents(p.value, loc(v.line));
        for (const ev of out.events) onEvent(ev);
        malformed.push(...out.problems);
      }
      let consumedText = split.rest !== undefined ? text.slice(0, split.rest) : text;
      if (split.rest !== undefined && final) {
        malformed.push({ file: this.file, line: split.restLine ?? this.line, reason: 'JSON value cut off (the file ends inside it)' });
        consumedText = text;
      }
      this.offset += Buffer.byteLength(consumedText, 'utf8');
      this.line = (split.rest !== undefined && !final ? split.restLine : undefined) ?? this.line + countNewlines(consumedText);
      return { reset, malformed };
    } catch (e) {
      return { malformed: [], error: `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
