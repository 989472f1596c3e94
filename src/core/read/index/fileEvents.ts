/**
 * The cold index's side of the event-storage seam (src/core/model/storage.ts): a
 * {@link FileEvents} for an indexed JSONL file, reading byte ranges through the one safe reader
 * (ingress/safeFile.ts) and decoding a line exactly as the tail reader does (sources/jsonl.ts
 * `parseJsonLine`, then sources/normalize.ts). The index adds one record per line; the events are
 * decoded only when a list is read.
 *
 * An OTLP JSON-Lines file has a record per event of each line's export batch: decoding one reads
 * the line through `otlpObjectToEvents` (as the sequential reader does) and takes event `sub`.
 */
import * as fs from 'node:fs';
import type { SourceLoc, TraceEvent } from '../../model/types';
import { FileEvents, type ByteRangeReader, type FileEventsSnapshot, type LineDecoder } from '../../model/storage';
import { parseJsonLine } from '../sources/jsonl';
import { detectDialect, normalizeEvent } from '../sources/normalize';
import { openRegular } from '../ingress/safeFile';
import { otlpObjectToEvents } from '../sources/otlp';

/** The event storage of an indexed file (`otlp`: OTLP JSON Lines, a record per event of a batch). */
export function openFileEvents(file: string, opts: { otlp?: boolean } = {}): FileEvents {
  return new FileEvents(file, new SafeRangeReader(file), opts.otlp ? otlpLineDecoder() : decodeLine);
}

/**
 * Events of OTLP batch lines. The events of the line decoded last are kept until each was handed
 * out once (the records of one line are read together: a run's list walked, a flow's events), so
 * a batch is converted once per walk, and every event handed out is a new object, as a line's is.
 */
function otlpLineDecoder(): LineDecoder {
  let at = -1;
  let bytes = -1;
  let events: (TraceEvent | undefined)[] = [];
  return (line, loc, sub) => {
    let ev = at === loc.offset && bytes === line.byteLength ? events[sub] : undefined;
    if (ev === undefined) {
      const b = Buffer.isBuffer(line) ? line : Buffer.from(line.buffer, line.byteOffset, line.byteLength);
      const r = parseJsonLine(b, 0, b.length, loc.offset, false, Infinity);
      if (!r?.value) return r?.error ?? 'blank line';
      events = otlpObjectToEvents(r.value, loc).events;
      at = loc.offset;
      bytes = line.byteLength;
      ev = events[sub];
      if (ev === undefined) return 'file changed since it was indexed';
    }
    events[sub] = undefined;
    return ev;
  };
}

/** One line's bytes → an event (the dialect detected per line; v1 when unknown), or why not. */
function decodeLine(line: Uint8Array, loc: Required<SourceLoc>): TraceEvent | string {
  const b = Buffer.isBuffer(line) ? line : Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  const r = parseJsonLine(b, 0, b.length, loc.offset, false, Infinity);
  if (r?.value) return normalizeEvent(r.value, detectDialect(r.value) ?? 'flowscribe-v1', loc);
  return r?.error ?? 'blank line';
}

/**
 * Byte ranges of one file, a block at a time: neighbouring events (a flow, a run's tail, an
 * iteration) share a read. The file is opened by the ingress policy (a regular file only,
 * non-blocking, never through a link) and kept open for a burst of reads, not for ever.
 */
class SafeRangeReader implements ByteRangeReader {
  private fd: number | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private buf = Buffer.allocUnsafe(64 * 1024);
  private bufPos = 0;
  private bufLen = 0;

  constructor(private readonly file: string) {}

  read(offset: number, len: number): Uint8Array {
    if (this.fd === undefined) {
      const o = openRegular(this.file, { kind: 'trace' });
      if (!o.ok) throw new Error(o.problem.message);
      this.fd = o.file.fd;
      this.closeTimer = setTimeout(() => this.close(), 2000);
      this.closeTimer.unref?.();
    }
    if (offset < this.bufPos || offset + len > this.bufPos + this.bufLen) {
      if (this.buf.length < len) this.buf = Buffer.allocUnsafe(len);
      this.bufPos = offset;
      this.bufLen = fs.readSync(this.fd, this.buf, 0, this.buf.length, offset);
    }
    const at = offset - this.bufPos;
    return this.buf.subarray(at, at + Math.max(0, Math.min(len, this.bufLen - at)));
  }

  close(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // a read-only descriptor
      }
    }
    this.fd = undefined;
    this.bufLen = 0;
  }
}

/** The event storage of an indexed file, restored from the persisted index (index/persist.ts). */
export function restoreFileEvents(file: string, opts: { otlp?: boolean }, snap: FileEventsSnapshot): FileEvents {
  return FileEvents.restore(file, new SafeRangeReader(file), opts.otlp ? otlpLineDecoder() : decodeLine, snap);
}
