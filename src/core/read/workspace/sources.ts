/**
 * Source lifecycle: open a discovered source (a JSONL tail or a registered reader), read what it
 * appended since the last read, forget what it gave when it vanishes or is replaced.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Malformed, TraceEvent } from '../../model/types';
import type { DiscoveredSource, SourceKind } from '../discover';
import { JsonlTail } from '../sources/jsonl';
import { OtlpFileSource, sniffOtlpFile } from '../sources/otlpFile';
import { detectDialect, normalizeEvent } from '../sources/normalize';
import type { RunIdentity } from './identity';
import { indexSource } from './indexMerge';
import { planHintPass } from './hintPass';
import { captureIndex, hasIndexCache, restoreIndex } from '../index/persist';
import { IndexQueue, type MemoryStop, type PlannedIndex } from './indexQueue';
import { DEFAULT_INDEX_MIN_BYTES, type SourceInfo } from './options';
import { defaultDialect, posix, type ReadState, type SourceState } from './state';

const MAX_MALFORMED_PER_SOURCE = 1000;

/** A v1 run folder's own trace file (`.autodev/runs/<id>/trace.jsonl`). */
export const AUTODEV_RUN = /(^|\/)\.autodev\/runs\/[^/]+\/trace\.jsonl$/;
const KIND_ORDER: SourceKind[] = ['trace-rolling', 'trace-run', 'esper', 'jsonl', 'otlp', 'trace-db', 'sqlite', 'queue', 'summary-md'];

/**
 * Read order: v1 run folders first (so their rolling copies are recognised), then the rolling
 * file (so v1 ids are claimed before 0.1/esper folder names), then the rest.
 */
export function readOrder(src: DiscoveredSource): number {
  if (src.kind === 'trace-run' && AUTODEV_RUN.test(posix(src.file))) return -1;
  return KIND_ORDER.indexOf(src.kind);
}

/** Sources in read order (see {@link readOrder}), then by path. */
export function inReadOrder(states: Iterable<SourceState>): SourceState[] {
  return [...states].sort((a, b) => readOrder(a.src) - readOrder(b.src) || (a.src.file < b.src.file ? -1 : 1));
}

/**
 * Open one source. `all` is every discovered source (a `trace.db` beside its `trace.jsonl` is
 * skipped); `allowOutside` is for a file the user named (the CLI's one-file PATH).
 */
export function openSource(s: ReadState, src: DiscoveredSource, all: readonly DiscoveredSource[], allowOutside = false): SourceState {
  const st: SourceState = { src, events: 0, malformed: [], malformedCount: 0, warnings: 0, pending: 0, runIds: new Set() };
  const factory = s.opts.readers?.[src.kind];
  switch (src.kind) {
    case 'trace-rolling':
    case 'trace-run':
    case 'queue':
    case 'esper':
      st.tail = new JsonlTail(src.file, { root: s.root, allowOutside });
      break;
    case 'jsonl':
      // A file named by a glob or by the user may be OpenTelemetry output (docs/otel.md).
      if (sniffOtlpFile(src.file, { root: s.root, allowOutside }) === undefined) st.tail = new JsonlTail(src.file, { root: s.root, allowOutside });
      else {
        st.handle = new OtlpFileSource(src.file, { root: s.root, allowOutside });
        st.dialect = 'otlp';
      }
      break;
    case 'otlp':
      // JSON Lines (one export batch per line) big enough go through the cold index: see readSource.
      st.handle = new OtlpFileSource(src.file, { root: s.root, allowOutside });
      st.dialect = 'otlp';
      break;
    case 'summary-md':
      break; // read for 0.1 flow names, not events
    case 'trace-db': {
      const jsonl = path.join(path.dirname(src.file), 'trace.jsonl');
      if (all.some((x) => x.file === jsonl)) st.skipped = 'trace.jsonl in the same folder is read instead';
      else if (factory) st.handle = factory(src);
      else st.skipped = 'no SQLite reader registered';
      break;
    }
    case 'sqlite':
      if (factory) st.handle = factory(src);
      else st.skipped = 'no SQLite reader registered';
      break;
  }
  if (factory && !st.handle && !st.tail && !st.skipped) st.skipped = 'not recognised by its reader';
  return st;
}

/** Forget everything a source contributed (it vanished or was replaced). */
export function dropSource(s: ReadState, identity: RunIdentity, st: SourceState): void {
  const file = st.src.file;
  for (const id of st.runIds) {
    const run = s.builder.getRun(id);
    if (!run) continue;
    if (run.primarySource === file) {
      s.builder.removeRun(id);
      const rolling = identity.release(id, st);
      if (rolling) restartSource(s, identity, rolling);
    } else if (run.sources.includes(file)) {
      run.sources = run.sources.filter((x) => x !== file);
      run.notes = run.notes.filter((n) => !(n.kind === 'also-in' && n.file === s.rel(file)));
      s.builder.touch(id);
    }
  }
  st.runIds.clear();
  if (st.src.kind === 'trace-rolling') identity.forgetRolling(file);
  const before = s.envelopes.length;
  s.envelopes = s.envelopes.filter((e) => e.src.file !== file);
  if (s.envelopes.length !== before) s.envelopesChanged = true;
}

/** Re-read a JSONL source from the start; runs it already owns are rebuilt identically. */
function restartSource(s: ReadState, identity: RunIdentity, st: SourceState): void {
  st.tail?.restart();
  dropSource(s, identity, st);
  st.events = 0;
  st.malformed = [];
  st.malformedCount = 0;
  st.size = undefined;
}

async function statOf(file: string): Promise<fs.Stats | undefined> {
  try {
    return await fs.promises.stat(file);
  } catch {
    return undefined;
  }
}

/** Nothing to read: size, mtime and inode as last read, nothing pending for a final read, not cancelled. */
function unchanged(st: SourceState, stat: fs.Stats, final: boolean): boolean {
  return st.size === stat.size && st.mtime === stat.mtimeMs && st.ino === stat.ino && !(final && st.pending > 0) && !st.cancelled;
}

/**
 * Whether {@link readSource} would read `st` through the cold index given `stat`: a JSONL source
 * (or an OTLP JSON-Lines file) of at least `index.minBytes`, changed, read from the start.
 */
function coldIndexOf(s: ReadState, st: SourceState, stat: fs.Stats, final: boolean): { otlp: boolean } | undefined {
  if ((!st.tail && !st.handle) || unchanged(st, stat, final)) return undefined;
  const idx = s.opts.index;
  if (idx === false || stat.size < (idx?.minBytes ?? DEFAULT_INDEX_MIN_BYTES)) return undefined;
  const otlpTail = st.handle instanceof OtlpFileSource ? st.handle.indexableTail() : undefined;
  const tail = st.tail ?? otlpTail;
  if (!tail || tail.offset !== 0 || tail.lineNo !== 0) return undefined;
  // A valid persisted index is restored, not scanned (index/persist.ts).
  if (hasIndexCache(s, st.src.file, stat)) return undefined;
  return { otlp: otlpTail !== undefined };
}

/**
 * Plan one pass over `sources` (in read order): which go through the cold index, so the scans of
 * the later ones start while the earlier ones are merged (indexQueue.ts). Always `close()` it.
 */
export async function planIndex(s: ReadState, sources: readonly SourceState[], final: boolean): Promise<IndexQueue> {
  const idx = s.opts.index;
  const stats = idx === false ? [] : await Promise.all(sources.map((st) => (st.tail || st.handle ? statOf(st.src.file) : undefined)));
  const plan: { st: SourceState; stat: fs.Stats; otlp: boolean }[] = [];
  stats.forEach((stat, k) => {
    const c = stat && coldIndexOf(s, sources[k], stat, final);
    if (stat && c) plan.push({ st: sources[k], stat, otlp: c.otlp });
  });
  return new IndexQueue(s, plan);
}

/**
 * Read what a source appended since its last read (nothing when its size, mtime and inode are
 * unchanged). A large JSONL source read from the start goes through the parallel index; returns
 * `'cancelled'` when the read state's signal stopped that index part way (what it merged is kept).
 */
export async function readSource(
  s: ReadState, identity: RunIdentity, st: SourceState, final: boolean, planned?: PlannedIndex,
): Promise<'cancelled' | undefined> {
  if ((!st.tail && !st.handle) || st.stopped) return undefined;
  const stat = planned?.stat ?? (await statOf(st.src.file));
  if (stat && unchanged(st, stat, final)) return;
  st.cancelled = undefined;
  if (stat) {
    st.size = stat.size;
    st.mtime = stat.mtimeMs;
    st.ino = stat.ino;
  }
  const events: TraceEvent[] = [];
  let reset = false;
  let malformed: Malformed[] = [];
  const idx = s.opts.index;
  const big = stat !== undefined && idx !== false && stat.size >= (idx?.minBytes ?? DEFAULT_INDEX_MIN_BYTES);
  // An OTLP JSON-Lines file (one export batch per line) is indexed too, a record per event of a batch.
  const otlpTail = big && st.handle instanceof OtlpFileSource ? st.handle.indexableTail() : undefined;
  const tail = st.tail ?? otlpTail;
  if (tail && stat && big && tail.offset === 0 && tail.lineNo === 0) {
    // Never `final` here: a last line without a newline may still be being written (a file growing
    // while it is read); the final tail read below decides, up to the size seen at the start.
    // Normally planned by the pass over all sources (planIndex: the next file's scan runs ahead);
    // else a queue of this one file, for the same progress reports.
    // The persisted index (index/persist.ts) is restored instead when it is valid; the tail
    // below then reads what was appended since.
    const warm = await restoreIndex(s, identity, st, stat.size, tail, otlpTail !== undefined);
    const own = planned || warm ? undefined : new IndexQueue(s, [{ st, stat, otlp: otlpTail !== undefined }]);
    const plan = planned ?? own?.take(st);
    let r: Awaited<ReturnType<typeof indexSource>>;
    try {
      r = warm ?? (await indexSource(s, identity, st, stat.size, tail, otlpTail !== undefined, plan?.scan));
    } finally {
      own?.close();
    }
    if (!warm) await captureIndex(s, identity, st, r, tail, otlpTail !== undefined);
    st.error = undefined;
    st.warnings += r.warnings;
    st.events += r.count;
    keepMalformed(s, st, r.malformed, warm?.malformedTotal);
    const stop = r.aborted && !warm ? plan?.stopped() : undefined;
    if (stop) {
      // The memory bound: keep what was merged, read no further, and say what was not read.
      st.stopped = true;
      st.error = memoryStopMessage(stat.size, st.pending, tail.lineNo, stop);
      return undefined;
    }
    if (r.aborted) {
      st.cancelled = true;
      return 'cancelled';
    }
    // Records without secret hints get them from a background scan after the load (hintPass.ts).
    planHintPass(s, st, tail.offset, otlpTail !== undefined);
    if (!warm && !(final && st.pending > 0)) {
      if (final) await noteGrowth(st, stat.size);
      return;
    }
  }
  if (st.tail) {
    const r = await st.tail.read(
      (obj, loc) => {
        const dialect = detectDialect(obj) ?? st.dialect ?? defaultDialect(st.src.kind);
        if (st.dialect === undefined && detectDialect(obj) !== undefined) st.dialect = dialect;
        events.push(normalizeEvent(obj, dialect, loc));
      },
      // A one-shot (final) read stops at the size seen when it started; the live tail follows.
      final && stat ? { final, upTo: stat.size } : { final },
    );
    reset = r.reset;
    malformed = r.malformed;
    st.pending = r.pendingBytes;
    st.error = r.error;
    if (final && stat && r.error === undefined) await noteGrowth(st, stat.size);
    if (reset) st.warnings = 0;
    st.warnings += r.warnings.length;
  } else if (st.handle) {
    try {
      const r = await st.handle.read((ev) => events.push(ev), { final });
      reset = r.reset === true;
      malformed = r.malformed;
      st.error = r.error;
      if (reset) st.warnings = 0;
      st.warnings += r.warnings?.length ?? 0;
    } catch (e) {
      st.error = `cannot read: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  if (reset) {
    dropSource(s, identity, st);
    st.events = 0;
    st.malformed = [];
    st.malformedCount = 0;
    st.store?.close();
    st.store = undefined;
  }
  for (const ev of events) identity.route(st, ev);
  st.events += events.length;
  keepMalformed(s, st, malformed);
  return undefined;
}

const mb = (n: number): string => `${Math.round(n / 1024 / 1024).toLocaleString('en-US')} MB`;

/** What a source stopped at the memory bound did not read (its problem line). */
function memoryStopMessage(size: number, pending: number, lines: number, stop: MemoryStop): string {
  const read = size - pending;
  return `not read past line ${lines.toLocaleString('en-US')} (${mb(read)} of ${mb(size)}, ${Math.floor((read / size) * 100)}%): ` +
    `indexing stopped when memory grew by ${mb(stop.rss - stop.rssAtStart)} (to ${mb(stop.rss)}; the bound is ${mb(stop.bound)}); ` +
    `the last ${mb(pending)} were not read, so its runs and counts stop at that line (a reload tries again)`;
}

/** Keep up to MAX_MALFORMED_PER_SOURCE malformed lines of a source, attached to its run when it has one. */
function keepMalformed(s: ReadState, st: SourceState, malformed: Malformed[], total = malformed.length): void {
  if (total === 0) return;
  st.malformedCount += total;
  const room = MAX_MALFORMED_PER_SOURCE - st.malformed.length;
  const kept = room > 0 ? malformed.slice(0, room) : [];
  st.malformed.push(...kept);
  const owner = sourceRunId(st);
  if (owner !== undefined) for (const m of kept) s.builder.addMalformed(owner, m);
}

/** The run a per-run source stands for (to attach its malformed lines). */
function sourceRunId(st: SourceState): string | undefined {
  if (st.src.kind === 'trace-rolling' || st.src.kind === 'queue' || st.src.kind === 'sqlite') return undefined;
  if (st.runIds.size === 1) return [...st.runIds][0];
  return st.folderRunId ?? st.src.runHint;
}

/**
 * After a one-shot (final) read up to `size`: when the file is larger now, say so as the
 * source's located problem (the bytes after `size` were not read; a later refresh reads them).
 */
async function noteGrowth(st: SourceState, size: number): Promise<void> {
  let now: number | undefined;
  try {
    now = (await fs.promises.stat(st.src.file)).size;
  } catch {
    now = undefined;
  }
  if (now !== undefined && now > size) {
    const n = now - size;
    st.error = `file grew while being read; ${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'} appended after the read started (at ${size.toLocaleString('en-US')} bytes) not read`;
  }
}

/** A source as the public {@link SourceInfo}. */
export function sourceInfo(st: SourceState): SourceInfo {
  return {
    file: st.src.file,
    kind: st.src.kind,
    runHint: st.src.runHint,
    producer: st.src.producer,
    dialect: st.dialect,
    events: st.events,
    malformed: st.malformedCount,
    warnings: st.warnings,
    error: st.error,
    skipped: st.skipped,
  };
}

/** A source's read errors and malformed overflow, each naming its file. */
export function sourceProblems(st: SourceState): string[] {
  const out: string[] = [];
  if (st.error) out.push(`${st.src.file}: ${st.error}`);
  if (st.malformedCount > st.malformed.length) {
    out.push(`${st.src.file}: ${st.malformedCount} malformed lines; the first ${st.malformed.length} are listed`);
  }
  return out;
}
