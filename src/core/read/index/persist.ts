/**
 * The persisted index (issue 15, docs/decisions.md "Issue 15: warm reopen"): what the cold index of
 * a large trace file made — the records of its FileEvents, its runs with their flows and builder
 * state, the identity bookkeeping, its malformed lines and counts — kept in a cache folder outside
 * the workspace, so a second open restores it in bulk from typed arrays instead of reading the
 * file again; an appended file is restored, then only its new bytes are tailed. A restored run's
 * flows are made when first used (RunBuilder.restoreRuns), so the runs show first.
 *
 * - Key: the file's real path, device and inode (the cache file's name is their hash).
 * - Valid while the file is at least as long as the indexed part; its first 64 KiB, the 64 KiB
 *   before the indexed end and 16 samples of 4 KiB between still hash the same; it is not the
 *   same size with another mtime (a rewrite in place; mtime alone says nothing: an append changes
 *   it too); and the options that change the result (`maxEventsPerSource`, the source's kind,
 *   place and OTLP mode), the Flowlens version and the format version are the same.
 * - Format: magic, format version, a JSON header (key, checks, section table with a 32-bit hash of
 *   every section), then the sections, 8-byte aligned: typed arrays as they are in memory (taken
 *   back as views, no copy), one string table, a JSON section for the few per-run fields.
 * - Captured when a cold index completed (never a cancelled one) in slices of ~8 ms; encoded and
 *   written atomically (temp file + rename) after the load resolved. At most `maxFiles` caches /
 *   `maxBytes` are kept (the least recently used go first).
 * - Hostile on read: every length, index, string, count and tree link is checked and the section
 *   hashes must match; anything wrong is a logged note and a cold index, never a crash.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import pkg from '../../../../package.json';
import { emptyFlowColumns, VERDICT_CODES, type EventFields, type FlowColumns, type RestoreRuns, type RunSnapshot, type RunsSnapshot } from '../../model/build';
import { emptyEventCounts, mergeCounts } from '../../model/counts';
import type { FileEventsSnapshot } from '../../model/storage';
import type { Dialect, EventCounts, Malformed, RunNote, RunStatus, TraceEvent } from '../../model/types';
import { openRegular } from '../ingress/safeFile';
import { parseJsonLine, type JsonlTail } from '../sources/jsonl';
import { normalizeEvent } from '../sources/normalize';
import type { IdentitySnapshot, RunIdentity } from '../workspace/identity';
import type { IndexResult } from '../workspace/indexMerge';
import type { ReadState, SourceState } from '../workspace/state';
import { restoreFileEvents } from './fileEvents';

/** Where the persisted indexes live and how many are kept (WorkspaceOptions.indexCache). */
export interface IndexCacheOptions {
  /** A folder outside the workspace (extension storage; the CLI's cache folder). */
  dir: string;
  /** Caches kept (oldest use removed first); default 20. */
  maxFiles?: number;
  /** Bytes kept over all caches; default 2 GiB. */
  maxBytes?: number;
  /** Largest cache written or read; default 1 GiB. */
  maxFileBytes?: number;
  /** Where notes go (a cache not used, not written). */
  log?: (message: string) => void;
  /**
   * Write as soon as the load is done, for a caller with no UI (the CLI): the encode is not cut
   * into slices, and the file is written by the thread pool while the caller goes on (its runs'
   * rollups and output), instead of after it. Default: after the load resolved, in slices.
   */
  eager?: boolean;
}

export const FORMAT_VERSION = 1;
const MAGIC = Buffer.from('FLWLNSIX', 'latin1');
const EXT = '.flidx';
const HEAD_BYTES = 24;
const CHECK_BYTES = 64 * 1024;
const SAMPLE_BYTES = 4096;
const SAMPLES = 16;
const MAX_MALFORMED = 1000;
const DIALECTS: readonly Dialect[] = ['flowscribe-v1', 'flowscribe-0.1', 'envelope', 'esper', 'otlp', 'generic'];
const STATUSES: readonly RunStatus[] = ['ok', 'failed', 'crashed', 'running'];

/** A read of a source the cold index completed, captured to be written after the load. */
interface Captured {
  file: string;
  kind: string;
  rel: string;
  runHint: string | null;
  otlp: boolean;
  /** `maxEventsPerSource` (null = none): it changes what the index keeps. */
  cap: number | null;
  /** Where the index stopped (just after a newline) and the lines it consumed. */
  end: number;
  lines: number;
  check: FileCheck;
  store: FileEventsSnapshot;
  runs: RunsSnapshot;
  identity: IdentitySnapshot;
  dialect: Dialect | null;
  count: number;
  warnings: number;
  malformed: Malformed[];
  malformedTotal: number;
  /** What the object records of the store are (lines the index passed on whole). */
  objects: ObjectRecord[];
}

/** An event the index filed as an object: decoded again from its line when restored. */
interface ObjectRecord {
  ref: number;
  line: number;
  offset: number;
  dialect: Dialect;
  runId: string | null;
}

/** The file a cache stands for and what must still hash the same. */
interface FileCheck {
  real: string;
  dev: number;
  ino: number;
  end: number;
  /** Size and mtime when captured: the same size with another mtime is a rewrite in place. */
  size: number;
  mtime: number;
  /** `[offset, length, sha1 hex]`. */
  parts: [number, number, string][];
}

/** A failed check of a cache: its message is the note. */
class CacheProblem extends Error {}

const pending = new WeakMap<ReadState, Captured[]>();

/** The cache file of a trace file (by real path, device and inode). */
export function cachePath(dir: string, real: string, dev: number, ino: number): string {
  return path.join(dir, hash64(Buffer.from(`${real}\0${dev}\0${ino}`, 'utf8')) + EXT);
}

/** Whether a cache file exists for `file` (so a pass need not plan a cold index for it). */
export function hasIndexCache(s: ReadState, file: string, stat: fs.Stats): boolean {
  const o = s.opts.indexCache;
  if (!o) return false;
  try {
    return fs.statSync(cachePath(o.dir, fs.realpathSync.native(file), stat.dev, stat.ino)).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Capture (right after the cold index of a source completed; cheap: views and copies)
// ---------------------------------------------------------------------------------------------

/**
 * Capture what the cold index of `st` made, to be written by {@link writeIndexCaches} after the
 * load. Nothing is captured when the read cannot be restored on its own (its runs share a run with
 * another source, it made envelopes or folder-named runs, a run id was renamed) — then the next open
 * indexes it cold again, as today.
 */
export async function captureIndex(s: ReadState, identity: RunIdentity, st: SourceState, r: IndexResult, tail: JsonlTail, otlp: boolean): Promise<void> {
  const o = s.opts.indexCache;
  if (!o || r.aborted || !st.store) return;
  const why = captureProblem(s, st);
  if (why !== undefined) {
    o.log?.(`index cache: ${st.src.file} not cached (${why})`);
    return;
  }
  // Walking ~300k flows takes a while: in slices of ~8 ms, the event loop served in between.
  let deadline = performance.now() + 8;
  const pause = (): Promise<void> | undefined => {
    if (performance.now() < deadline) return undefined;
    return new Promise<void>((res) => setImmediate(res)).then(() => {
      deadline = performance.now() + 8;
    });
  };
  const store = st.store;
  const runs = await s.builder.snapshotRuns(st.runIds, store, pause);
  if (!runs) {
    o.log?.(`index cache: ${st.src.file} not cached (its runs hold events of other files)`);
    return;
  }
  const records = store.snapshot();
  const objects: ObjectRecord[] = [];
  for (const x of records.objects) {
    const ev = x.event;
    if (!ev || ev.src.offset === undefined || ev.src.file !== st.src.file) {
      o.log?.(`index cache: ${st.src.file} not cached (an event filed whole has no place in the file)`);
      return;
    }
    objects.push({ ref: x.ref, line: ev.src.line, offset: ev.src.offset, dialect: ev.dialect, runId: ev.runId ?? null });
  }
  let check: FileCheck;
  try {
    check = fileCheck(st.src.file, tail.offset);
  } catch (e) {
    o.log?.(`index cache: ${st.src.file} not cached (${e instanceof Error ? e.message : String(e)})`);
    return;
  }
  const list = pending.get(s) ?? [];
  pending.set(s, list);
  list.push({
    file: st.src.file, kind: st.src.kind, rel: s.rel(st.src.file), runHint: st.src.runHint ?? null, otlp, cap: capOf(s), end: tail.offset, lines: tail.lineNo, check,
    store: records, runs, identity: identity.persistState(st), dialect: st.dialect ?? null, count: r.count, warnings: r.warnings,
    malformed: r.malformed.slice(0, MAX_MALFORMED).map((m) => ({ file: m.file, line: m.line, reason: m.reason })), malformedTotal: r.malformed.length, objects,
  });
}

function capOf(s: ReadState): number | null {
  const cap = s.opts.maxEventsPerSource;
  return cap && cap > 0 ? cap : null;
}

function captureProblem(s: ReadState, st: SourceState): string | undefined {
  const file = st.src.file;
  if (st.folderRunId !== undefined) return 'its runs are named after its folder';
  if (s.envelopes.some((e) => e.src.file === file)) return 'it holds Grain/Assay envelopes';
  if (st.src.kind === 'trace-rolling' && [...s.states.values()].filter((x) => x.src.kind === 'trace-rolling').length > 1) return 'more than one rolling file';
  const renamed = `@${s.rel(file)}`;
  for (const id of st.runIds) {
    const run = s.builder.getRun(id);
    if (!run || run.primarySource !== file || run.sources.length !== 1 || run.sources[0] !== file) return 'a run is shared with another file';
    if (id.endsWith(renamed)) return 'a run id is also another producer\'s';
    if (s.builder.runStorage(id) !== st.store) return 'a run holds events of another file';
  }
  return undefined;
}

/** What must still hash the same for a cache of `file` indexed up to `end` to be valid. */
function fileCheck(file: string, end: number): FileCheck {
  const o = openRegular(file, { kind: 'trace', maxBytes: Number.MAX_SAFE_INTEGER });
  if (!o.ok) throw new Error(o.problem.message);
  try {
    const st = o.file.stat;
    if (st.size < end) throw new Error('the file shrank while it was indexed');
    return { real: o.file.real, dev: st.dev, ino: st.ino, end, size: st.size, mtime: st.mtimeMs, parts: checkParts(end).map(([at, len]) => [at, len, hashRange(o.file.fd, at, len)]) };
  } finally {
    fs.closeSync(o.file.fd);
  }
}

/** The byte ranges checked of a file indexed up to `end`: its head, the part before `end`, samples. */
function checkParts(end: number): [number, number][] {
  const out: [number, number][] = [[0, Math.min(CHECK_BYTES, end)]];
  if (end > CHECK_BYTES) out.push([Math.max(CHECK_BYTES, end - CHECK_BYTES), end - Math.max(CHECK_BYTES, end - CHECK_BYTES)]);
  if (end > 4 * CHECK_BYTES) for (let k = 1; k <= SAMPLES; k++) out.push([Math.floor(((end - SAMPLE_BYTES) * k) / (SAMPLES + 1)), SAMPLE_BYTES]);
  return out;
}

function hashRange(fd: number, at: number, len: number): string {
  const b = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, b, got, len - got, at + got);
    if (n === 0) break;
    got += n;
  }
  if (got < len) return 'short';
  return hash64(b);
}

// ---------------------------------------------------------------------------------------------
// Write (after the load resolved)
// ---------------------------------------------------------------------------------------------

/**
 * Write the caches captured by the last load (atomically: a temp file, then rename), then keep
 * at most `maxFiles` / `maxBytes` of them. Never throws: a failure is a logged note.
 */
export async function writeIndexCaches(s: ReadState): Promise<void> {
  const o = s.opts.indexCache;
  const list = pending.get(s);
  pending.delete(s);
  if (!o || !list || list.length === 0) return;
  const eager = o.eager === true;
  for (const c of list) {
    try {
      // Eager: nothing is awaited before the write starts (the caller's work runs after this).
      let chunks: Buffer[];
      if (eager) chunks = encodeNow(c);
      else {
        await new Promise<void>((r) => setImmediate(r));
        chunks = await encode(c);
      }
      const bytes = chunks.reduce((n, b) => n + b.length, 0);
      if (bytes > (o.maxFileBytes ?? 1024 ** 3)) {
        o.log?.(`index cache: ${c.file} not cached (${bytes} bytes is over the limit)`);
        continue;
      }
      const target = cachePath(o.dir, c.check.real, c.check.dev, c.check.ino);
      const tmp = `${target}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
      const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
      // Eager: the folder and the file are made now (two quick calls), so the write itself starts
      // in the thread pool before this thread goes back to the caller's work.
      if (eager) fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
      else await fs.promises.mkdir(o.dir, { recursive: true, mode: 0o700 });
      const fh = eager ? undefined : await fs.promises.open(tmp, flags, 0o600);
      const fd = fh ? fh.fd : fs.openSync(tmp, flags, 0o600);
      try {
        // No fsync: the cache is disposable, and a file a crash left torn or empty fails its
        // checksums on the next open (a logged note and a cold index), so durability buys nothing
        // here and the CLI's first run would wait for the disk.
        await writeAll(fd, chunks);
      } finally {
        if (fh) await fh.close();
        else await new Promise<void>((r) => fs.close(fd, () => r()));
      }
      await fs.promises.rename(tmp, target).catch(async (e: unknown) => {
        await fs.promises.rm(tmp, { force: true });
        throw e;
      });
    } catch (e) {
      o.log?.(`index cache: ${c.file} not written (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  await pruneCaches(o).catch((e: unknown) => o.log?.(`index cache: not pruned (${e instanceof Error ? e.message : String(e)})`));
}

/** Write `chunks` to `fd` (from its start) in the thread pool, all of them (writev may write part). */
async function writeAll(fd: number, chunks: Buffer[]): Promise<void> {
  let rest = chunks.filter((b) => b.length > 0);
  while (rest.length > 0) {
    const n = await new Promise<number>((res, rej) => fs.writev(fd, rest, (e, w) => (e ? rej(e) : res(w))));
    if (n <= 0) throw new Error('the cache file took no bytes');
    let left = n;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (left >= b.length) left -= b.length;
      else {
        next.push(left > 0 ? b.subarray(left) : b);
        left = 0;
      }
    }
    rest = next;
  }
}

/** Keep the newest-used `maxFiles` caches within `maxBytes`; remove temp files left by a crash. */
export async function pruneCaches(o: IndexCacheOptions): Promise<void> {
  let names: string[];
  try {
    names = await fs.promises.readdir(o.dir);
  } catch {
    return;
  }
  const files: { file: string; mtime: number; size: number }[] = [];
  for (const n of names) {
    const file = path.join(o.dir, n);
    const st = await fs.promises.lstat(file).catch(() => undefined);
    if (!st || !st.isFile()) continue;
    if (n.endsWith('.tmp') && n.includes(EXT) && Date.now() - st.mtimeMs > 3600_000) await fs.promises.rm(file, { force: true });
    else if (n.endsWith(EXT)) files.push({ file, mtime: st.mtimeMs, size: st.size });
  }
  files.sort((a, b) => b.mtime - a.mtime);
  const maxFiles = o.maxFiles ?? 20;
  const maxBytes = o.maxBytes ?? 2 * 1024 ** 3;
  let total = 0;
  for (let i = 0; i < files.length; i++) {
    total += files[i].size;
    if (i >= maxFiles || total > maxBytes) await fs.promises.rm(files[i].file, { force: true });
  }
}

/** One typed section of the file. */
type SectionType = 'f64' | 'i32' | 'u32' | 'u8';
interface SectionSpec {
  name: string;
  type: SectionType;
  count: number;
  offset: number;
  bytes: number;
  hash: number;
}

/** The JSON section: what is not a column. */
interface Meta {
  runs: MetaRun[];
  tags: string[][];
  objects: ObjectRecord[];
  malformed: Malformed[];
  identity: IdentitySnapshot;
  strings: 'latin1' | 'utf16le';
  /** Texts of the records' secret hints (FileEvents). */
  hintTexts: string[];
}

type MetaRun = Omit<RunSnapshot, 'refs' | 'roots' | 'pending' | 'limit' | 'run'> & {
  run: Omit<RunSnapshot['run'], 'counts'> & { counts: EventCounts };
  /** -1 = no cap. */
  limit: number;
  refs: number;
  roots: number;
  pending: [string, number[]][];
};

interface Header {
  format: number;
  flowlens: string;
  file: FileCheck;
  source: { kind: string; rel: string; runHint: string | null; otlp: boolean; maxEventsPerSource: number | null };
  lines: number;
  records: number;
  flows: number;
  dialect: Dialect | null;
  count: number;
  warnings: number;
  malformedTotal: number;
  sections: SectionSpec[];
  total: number;
}

/** The file's bytes of `c`, in slices (the event loop served between them). */
async function encode(c: Captured): Promise<Buffer[]> {
  const steps = encodeSteps(c);
  for (let r = steps.next(); ; r = steps.next()) {
    if (r.done) return r.value;
    await new Promise<void>((res) => setImmediate(res));
  }
}

/** The file's bytes of `c`, at once. */
function encodeNow(c: Captured): Buffer[] {
  const steps = encodeSteps(c);
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/** {@link encode}'s work; each `yield` is a place to serve the event loop. */
function* encodeSteps(c: Captured): Generator<void, Buffer[]> {
  // The flows come interned already (RunBuilder.snapshotRuns: one string table for ids, names,
  // display names and parent ids; correlations as JSON texts; tag lists).
  const f = c.runs.flows;
  const F = f.id.length;
  const strs = f.strings;
  const correlations = f.correlations;
  const tags = f.tagLists.map((t) => [...t]);
  yield;
  const runs: MetaRun[] = [];
  let refsTotal = 0;
  let rootsTotal = 0;
  for (const r of c.runs.runs) {
    refsTotal += r.refs.length;
    rootsTotal += r.roots.length;
  }
  const refs = new Int32Array(refsTotal);
  const roots = new Int32Array(rootsTotal);
  let ra = 0;
  let ro = 0;
  for (const r of c.runs.runs) {
    refs.set(r.refs, ra);
    ra += r.refs.length;
    roots.set(r.roots, ro);
    ro += r.roots.length;
    const { refs: _refs, roots: _roots, limit, ...rest } = r;
    runs.push({ ...rest, limit: limit === Infinity ? -1 : limit, refs: r.refs.length, roots: r.roots.length });
  }
  const joined = strs.join('');
  const latin1 = !/[^\u0000-\u00ff]/.test(joined);
  const strBytes = Buffer.from(joined, latin1 ? 'latin1' : 'utf16le');
  const strLens = new Uint32Array(strs.length);
  for (let i = 0; i < strs.length; i++) strLens[i] = strs[i].length;
  const meta: Meta = { runs, tags, objects: c.objects, malformed: c.malformed, identity: c.identity, strings: latin1 ? 'latin1' : 'utf16le', hintTexts: c.store.hintTexts ?? [] };
  // Correlations: one JSON array, parsed when the flows are first made.
  const corrBytes = Buffer.from(`[${correlations.join(',')}]`, 'utf8');
  const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
  const s = c.store;
  const typed: [string, SectionType, ArrayBufferView & { length: number }][] = [
    ['meta', 'u8', metaBytes], ['strings', 'u8', strBytes], ['strlen', 'u32', strLens],
    ['offsets', 'f64', s.offsets], ['lens', 'u32', s.lens], ['lines', 'u32', s.lines], ['nexts', 'i32', s.chains.nexts], ['times', 'f64', s.chains.times],
    ['flowRefs', 'i32', s.chains.flowRefs], ['corr', 'u8', corrBytes],
    ['f.run', 'i32', f.run], ['f.verdict', 'u8', f.verdict], ['f.open', 'u8', f.open], ['f.id', 'i32', f.id], ['f.name', 'i32', f.name],
    ['f.display', 'i32', f.display], ['f.parent', 'i32', f.parent], ['f.corr', 'i32', f.corr], ['f.tags', 'i32', f.tags],
    ['f.kidsStart', 'i32', f.kidsStart], ['f.kids', 'i32', f.kids], ['r.refs', 'i32', refs], ['r.roots', 'i32', roots],
  ];
  if (s.subs) typed.push(['subs', 'u32', s.subs]);
  // Secret hints of the records (the CLI's redaction): inside the same checksums as the rest.
  if (s.hints) typed.push(['hints', 'u8', s.hints]);
  if (s.hintIds) typed.push(['hintIds', 'i32', s.hintIds]);
  const sections: SectionSpec[] = [];
  const bodies: Buffer[] = [];
  let offset = 0;
  for (const [name, type, v] of typed) {
    yield;
    const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    const pad = (8 - (b.length % 8)) % 8;
    sections.push({ name, type, count: v.length, offset, bytes: b.length, hash: hash32(b) });
    bodies.push(b);
    if (pad) bodies.push(Buffer.alloc(pad));
    offset += b.length + pad;
  }
  yield;
  const header: Header = {
    format: FORMAT_VERSION, flowlens: pkg.version, file: c.check,
    source: { kind: c.kind, rel: c.rel, runHint: c.runHint, otlp: c.otlp, maxEventsPerSource: c.cap },
    lines: c.lines, records: s.n, flows: F, dialect: c.dialect, count: c.count, warnings: c.warnings, malformedTotal: c.malformedTotal, sections, total: offset,
  };
  return [headBytes(header), ...bodies];
}

function headBytes(h: Header): Buffer {
  const json = Buffer.from(JSON.stringify(h), 'utf8');
  const pad = (8 - ((HEAD_BYTES + json.length) % 8)) % 8;
  const b = Buffer.alloc(HEAD_BYTES + json.length + pad);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(FORMAT_VERSION, 8);
  b.writeUInt32LE(json.length, 12);
  b.writeUInt32LE(hash32(json), 16);
  b.writeUInt32LE(pad, 20);
  json.copy(b, HEAD_BYTES);
  return b;
}

/**
 * A 32-bit hash of bytes (two multiply-rotate lanes over 32-bit words; fast in plain JS). Every
 * step is a bijection of the lane given the word, so a changed word always changes the result.
 */
export function hash32(b: Uint8Array, seed = 0): number {
  let h1 = 0x9747b28c ^ b.length ^ seed;
  let h2 = 0x2545f491;
  // Words are read in pairs when the bytes are 4-aligned (pairLanes), the rest byte by byte. The
  // pair loop is a function of its own: compiled on stack replacement inside this one, the code
  // after the loop deoptimised on every section of odd length ("lost precision", ~26 times per
  // cache write).
  const aligned = (b.byteOffset & 3) === 0;
  const pairs = aligned ? b.length >>> 3 : 0;
  if (pairs > 0) {
    // Int32 words (a Uint32Array read above 2^31 gives doubles, ~4× slower here); same bits.
    const lanes = pairLanes(new Int32Array(b.buffer, b.byteOffset, pairs << 1), h1, h2);
    h1 = lanes[0];
    h2 = lanes[1];
  }
  for (let j = aligned ? b.length & ~7 : 0; j < b.length; j++) {
    h1 = Math.imul(h1 ^ b[j], 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
  }
  let h = h1 ^ Math.imul(h2, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** {@link hash32}'s two lanes after the word pairs of `u` (returned in one reused array). */
const LANES = new Int32Array(2);
function pairLanes(u: Int32Array, h1: number, h2: number): Int32Array {
  for (let i = 0; i < u.length; i += 2) {
    h1 = Math.imul(h1 ^ u[i], 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ u[i + 1], 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
  }
  LANES[0] = h1;
  LANES[1] = h2;
  return LANES;
}

/** 64 bits of two seeded {@link hash32}s, as hex (names and file checks; not a secret). */
function hash64(b: Uint8Array): string {
  return hash32(b).toString(16).padStart(8, '0') + hash32(b, 0x5bd1e995).toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------------------------------------
// Restore (instead of the cold index of a source read from the start)
// ---------------------------------------------------------------------------------------------

/** What a restore returns: as the cold index would (the caller keeps the malformed lines and counts). */
export type RestoredIndex = IndexResult & { malformedTotal: number };

/**
 * Restore the cold index of `st` (a JSONL source at offset 0, `size` bytes now) from its cache,
 * when there is one and it is valid for the file and the workspace as it is now. Sets the tail's
 * resume point (the caller tails what was appended since) and `st.pending`. Undefined = index
 * cold (a note says why, unless there was no cache).
 */
export async function restoreIndex(s: ReadState, identity: RunIdentity, st: SourceState, size: number, tail: JsonlTail, otlp: boolean): Promise<RestoredIndex | undefined> {
  const o = s.opts.indexCache;
  if (!o) return undefined;
  const file = st.src.file;
  let fd: number | undefined;
  try {
    const opened = openRegular(file, { kind: 'trace', maxBytes: Number.MAX_SAFE_INTEGER });
    if (!opened.ok) return undefined;
    fd = opened.file.fd;
    const fst = opened.file.stat;
    const target = cachePath(o.dir, opened.file.real, fst.dev, fst.ino);
    const cst = await fs.promises.lstat(target).catch(() => undefined);
    if (!cst) return undefined;
    if (!cst.isFile()) throw new CacheProblem('not a regular file');
    if (cst.size > (o.maxFileBytes ?? 1024 ** 3)) throw new CacheProblem(`${cst.size} bytes is over the limit`);
    const raw = await readWhole(target, cst.size);
    // The sections' checksums first, a section at a time (the event loop is served in between).
    const sums = await checkSections(raw);
    const d = await decode(raw, sums, yieldTurn);
    await yieldTurn();
    const h = d.header;
    // The file and the options it was made with.
    if (h.flowlens !== pkg.version) throw new CacheProblem(`made by Flowlens ${String(h.flowlens).slice(0, 20)}`);
    if (h.file.real !== opened.file.real || h.file.dev !== fst.dev || h.file.ino !== fst.ino) throw new CacheProblem('made for another file');
    const cap = capOf(s);
    const src = h.source;
    if (src.maxEventsPerSource !== cap) throw new CacheProblem('made with another maxEventsPerSource');
    if (src.kind !== st.src.kind || src.rel !== s.rel(file) || src.runHint !== (st.src.runHint ?? null) || src.otlp !== otlp) throw new CacheProblem('made for another place or kind of source');
    const end = h.file.end;
    if (Math.min(size, fst.size) < end) throw new CacheProblem('the file is shorter than when it was indexed');
    if (fst.size === h.file.size && fst.mtimeMs !== h.file.mtime) throw new CacheProblem('the file was rewritten (same size, modified since)');
    const parts = checkParts(end);
    if (parts.length !== h.file.parts.length) throw new CacheProblem('its checks do not match its length');
    for (let i = 0; i < parts.length; i++) {
      const [at, len] = parts[i];
      const p = h.file.parts[i];
      if (p[0] !== at || p[1] !== len || hashRange(fd, at, len) !== p[2]) throw new CacheProblem('the file changed since it was indexed');
    }
    // The workspace as it is now would read it the same way.
    const runIds = d.runs.runs.map((r) => r.run.id);
    if (!identity.canRestore(st, d.meta.identity, runIds)) throw new CacheProblem('another file of the workspace now has its runs');
    // Events filed whole: decoded again from their lines (before anything is changed).
    await yieldTurn();
    const objects = readObjects(fd, file, d.meta.objects, end);
    const store = restoreFileEvents(file, { otlp }, { ...d.store, objects });
    const restored = s.builder.restoreRuns(d.runs, store);
    st.store?.close();
    st.store = store;
    identity.restorePersisted(st, d.meta.identity);
    for (const run of restored) st.runIds.add(run.id);
    if (st.dialect === undefined && h.dialect !== null) st.dialect = h.dialect;
    for (const t of d.meta.tags) {
      const key = t.join('\u0001');
      if (!s.tagSets.has(key)) s.tagSets.set(key, { tags: t, id: s.tagSets.size });
    }
    tail.resumeAt(end, h.lines);
    st.pending = size - end;
    const now = new Date();
    void fs.promises.utimes(target, now, now).catch(() => undefined);
    o.log?.(`index cache: ${file}: restored ${h.records} records (${end} bytes)${size > end ? `; ${size - end} bytes after them are read now` : ''}`);
    return { count: h.count, warnings: h.warnings, malformed: d.meta.malformed, malformedTotal: h.malformedTotal };
  } catch (e) {
    const why = e instanceof CacheProblem ? e.message : `unreadable (${e instanceof Error ? e.message : String(e)})`;
    o.log?.(`index cache: ${file}: not used — ${why}; indexing it again`);
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The events the index filed whole, read again from their lines (as the index merge made them). */
function readObjects(fd: number, file: string, objs: ObjectRecord[], end: number): { ref: number; event: TraceEvent | undefined }[] {
  const out: { ref: number; event: TraceEvent | undefined }[] = [];
  for (const x of objs) {
    if (x.offset >= end) throw new CacheProblem('an event lies past the indexed end');
    const bytes = readLine(fd, x.offset, end);
    const r = parseJsonLine(bytes, 0, bytes.length, x.offset, false, Infinity);
    if (!r?.value) throw new CacheProblem('the file changed since it was indexed');
    const ev = normalizeEvent(r.value, x.dialect, { file, line: x.line, offset: x.offset });
    if (x.runId !== null) ev.runId = x.runId;
    out.push({ ref: x.ref, event: ev });
  }
  return out;
}

/** The bytes of the line at `offset` (without its newline), read up to `end`. */
function readLine(fd: number, offset: number, end: number): Buffer {
  const parts: Buffer[] = [];
  let at = offset;
  while (at < end) {
    const b = Buffer.allocUnsafe(Math.min(64 * 1024, end - at));
    const n = fs.readSync(fd, b, 0, b.length, at);
    if (n === 0) break;
    const nl = b.subarray(0, n).indexOf(10);
    if (nl >= 0) {
      parts.push(b.subarray(0, nl));
      break;
    }
    parts.push(b.subarray(0, n));
    at += n;
  }
  return Buffer.concat(parts);
}

interface Decoded {
  header: Header;
  meta: Meta;
  store: Omit<FileEventsSnapshot, 'objects'>;
  runs: RestoreRuns;
}

/** A cache file's bytes → validated structures; throws {@link CacheProblem} on anything wrong. */
/** Serve the event loop once (between the stages of a restore: each stays well under 50 ms). */
function yieldTurn(): Promise<void> {
  return new Promise<void>((r) => setImmediate(r));
}

/** A file read whole in one request (the promise reader takes a round trip per 512 KiB). */
async function readWhole(file: string, size: number): Promise<Buffer> {
  const fh = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  try {
    const b = Buffer.allocUnsafeSlow(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(b, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === size ? b : b.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/**
 * The section checksums of a cache, checked a section at a time with the event loop served in
 * between; returns the checked section names (decode then skips them). A problem is left to decode.
 */
async function checkSections(raw: Buffer): Promise<Set<string>> {
  const ok = new Set<string>();
  try {
    const hl = raw.readUInt32LE(12);
    const pad = raw.readUInt32LE(20);
    const h = JSON.parse(raw.subarray(HEAD_BYTES, HEAD_BYTES + hl).toString('utf8')) as Header;
    const base = HEAD_BYTES + hl + pad;
    for (const x of h.sections) {
      if (!isCount(x.offset) || !isCount(x.bytes) || base + x.offset + x.bytes > raw.length) return ok;
      if (hash32(raw.subarray(base + x.offset, base + x.offset + x.bytes)) !== x.hash) return ok;
      ok.add(`${x.name}:${x.offset}:${x.bytes}:${x.hash}`);
      await new Promise<void>((r) => setImmediate(r));
    }
  } catch {
    // decode says what is wrong
  }
  return ok;
}

export async function decode(raw: Buffer, checked: ReadonlySet<string> = new Set(), pause: () => Promise<void> = async () => undefined): Promise<Decoded> {
  const bad = (why: string): never => {
    throw new CacheProblem(why);
  };
  if (raw.length < HEAD_BYTES || !raw.subarray(0, 8).equals(MAGIC)) bad('not a Flowlens index cache');
  if (raw.readUInt32LE(8) !== FORMAT_VERSION) bad(`format ${raw.readUInt32LE(8)}, not ${FORMAT_VERSION}`);
  const hl = raw.readUInt32LE(12);
  const pad = raw.readUInt32LE(20);
  if (pad > 7 || HEAD_BYTES + hl + pad > raw.length) bad('truncated header');
  const hj = raw.subarray(HEAD_BYTES, HEAD_BYTES + hl);
  if (hash32(hj) !== raw.readUInt32LE(16)) bad('header checksum');
  let header: Header;
  try {
    header = JSON.parse(hj.toString('utf8')) as Header;
  } catch {
    return bad('header is not JSON');
  }
  checkHeader(header);
  const base = HEAD_BYTES + hl + pad;
  if (raw.length !== base + header.total) bad(`${raw.length} bytes, not ${base + header.total}`);
  // Sections: views when aligned (a whole-file Buffer is), else copies.
  const aligned = ((raw.byteOffset + base) & 7) === 0;
  const body = aligned ? raw.subarray(base) : Buffer.from(raw.subarray(base));
  const sec = new Map<string, SectionSpec>();
  for (const x of header.sections) {
    if (sec.has(x.name)) bad(`section ${x.name} twice`);
    sec.set(x.name, x);
  }
  const view = <T>(name: string, type: SectionType, count: number | undefined, make: (buf: ArrayBufferLike, off: number, n: number) => T): T => {
    const x = sec.get(name) ?? bad(`no section ${name}`);
    const size = type === 'f64' ? 8 : type === 'u8' ? 1 : 4;
    if (x.type !== type || !isCount(x.count) || x.bytes !== x.count * size || !isCount(x.offset) || x.offset % 8 !== 0 || x.offset + x.bytes > header.total) bad(`section ${name}`);
    if (count !== undefined && x.count !== count) bad(`section ${name}: ${x.count} entries, not ${count}`);
    const b = body.subarray(x.offset, x.offset + x.bytes);
    if (!checked.has(`${x.name}:${x.offset}:${x.bytes}:${x.hash}`) && hash32(b) !== x.hash) bad(`section ${name}: checksum`);
    return make(body.buffer, body.byteOffset + x.offset, x.count);
  };
  const bytes = (name: string): Buffer => view(name, 'u8', undefined, (b, o, n) => Buffer.from(b as ArrayBuffer, o, n));
  const i32 = (name: string, n?: number): Int32Array<ArrayBuffer> => view(name, 'i32', n, (b, o, k) => new Int32Array(b as ArrayBuffer, o, k));
  const u32 = (name: string, n?: number): Uint32Array<ArrayBuffer> => view(name, 'u32', n, (b, o, k) => new Uint32Array(b as ArrayBuffer, o, k));
  const u8 = (name: string, n?: number): Uint8Array => view(name, 'u8', n, (b, o, k) => new Uint8Array(b, o, k));
  const f64 = (name: string, n?: number): Float64Array<ArrayBuffer> => view(name, 'f64', n, (b, o, k) => new Float64Array(b as ArrayBuffer, o, k));

  let meta: Meta;
  try {
    meta = JSON.parse(bytes('meta').toString('utf8')) as Meta;
  } catch {
    return bad('meta is not JSON');
  }
  checkMeta(meta);
  await pause();
  // Strings: the table is checked now, cut into strings when the flows are first made.
  const lens = u32('strlen');
  const enc = meta.strings;
  const all = bytes('strings').toString(enc);
  if (sum(lens) !== all.length) bad('string table');
  const S = lens.length;

  // Records.
  const n = header.records;
  const end = header.file.end;
  const offsets = f64('offsets', n);
  const rlens = u32('lens', n);
  const lines = u32('lines', n);
  const subs = sec.has('subs') ? u32('subs', n) : undefined;
  const nexts = i32('nexts', n);
  const F = header.flows;
  const times = f64('times', F * 3);
  const flowRefs = i32('flowRefs', F * 4);
  const isObj = new Uint8Array(n);
  for (const x of meta.objects) {
    if (x.ref >= n || isObj[x.ref] === 1) bad('an event filed whole is not a record');
    isObj[x.ref] = 1;
  }
  if (!recordsInside(offsets, rlens, isObj, end)) bad('a record lies outside the indexed part');
  if (!int32sIn(nexts, -1, n - 1)) bad('record chain');
  if (!flowRefsInRange(flowRefs, n)) bad('flow records');
  if (!timesFinite(times)) bad('flow times');
  if (sec.has('hints') && !bytesIn(u8('hints', n), 2)) bad('secret hints');

  await pause();
  // Flows: every index in range now; the columns of strings and objects are made on demand.
  const R = meta.runs.length;
  const fRun = i32('f.run', F);
  const verdict = u8('f.verdict', F);
  const open = u8('f.open', F);
  const id = i32('f.id', F);
  const name = i32('f.name', F);
  const display = i32('f.display', F);
  const parent = i32('f.parent', F);
  const corr = i32('f.corr', F);
  const tagsCol = i32('f.tags', F);
  const kidsStart = i32('f.kidsStart', F + 1);
  const kids = i32('f.kids');
  const corrBytes = bytes('corr');
  const T = meta.tags.length;
  if (kidsStart[0] !== 0 || kidsStart[F] !== kids.length) bad('flow children');
  if (!bytesIn(verdict, VERDICT_CODES.length - 1) || !bytesIn(open, 1)) bad('flow verdicts');
  const maxCorr = flowIndicesIn(fRun, id, name, display, parent, corr, tagsCol, R, S, T);
  if (maxCorr < -1) bad('flow run, strings, correlation or tags');
  const indeg = childrenOnce(kidsStart, kids, fRun) ?? bad('flow children');
  await pause();
  // Runs: records, roots (exactly the flows no flow has as a child: a forest, no cycle).
  const refsAll = i32('r.refs');
  const rootsAll = i32('r.roots');
  const isRoot = new Uint8Array(F);
  const runs: RunSnapshot[] = [];
  let ra = 0;
  let ro = 0;
  for (const m of meta.runs) {
    if (ra + m.refs > refsAll.length || ro + m.roots > rootsAll.length) bad('run lists');
    const refs = refsAll.subarray(ra, ra + m.refs);
    ra += m.refs;
    if (!int32sIn(refs, 0, n - 1)) bad('run events');
    const roots = Array.from(rootsAll.subarray(ro, ro + m.roots));
    ro += m.roots;
    const ri = runs.length;
    for (const r of roots) {
      if (r < 0 || r >= F || fRun[r] !== ri || indeg[r] === 1 || isRoot[r] === 1) bad('run roots');
      isRoot[r] = 1;
    }
    for (const [, list] of m.pending) for (const k of list) if (k < 0 || k >= F || fRun[k] !== ri) bad('run pending children');
    const { limit, refs: _r, roots: _o, run, ...rest } = m;
    const counts = emptyEventCounts();
    mergeCounts(counts, run.counts);
    runs.push({ ...rest, run: { ...run, counts }, limit: limit === -1 ? Infinity : limit, refs, roots });
  }
  if (ra !== refsAll.length || ro !== rootsAll.length) bad('run lists');
  if (!forest(indeg, isRoot, kidsStart, kids)) bad('flow children: not a forest of the roots');
  const seenIds = new Set<string>();
  for (const r of runs) {
    if (seenIds.has(r.run.id)) bad('two runs have one id');
    seenIds.add(r.run.id);
  }
  // The correlations are checked when parsed (on demand): a list of objects, as many as the flows
  // use; anything else (only a forged cache gets past the checksums) drops them, never throws.
  const columns = (): FlowColumns => {
    const strings = new Array<string>(S);
    for (let i = 0, o = 0; i < S; i++) {
      strings[i] = all.slice(o, o + lens[i]);
      o += lens[i];
    }
    let corrObjs: unknown[] = [];
    try {
      const v: unknown = JSON.parse(corrBytes.toString('utf8'));
      if (Array.isArray(v) && v.length > maxCorr && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) corrObjs = v;
    } catch {
      corrObjs = [];
    }
    const cols = emptyFlowColumns(F);
    cols.run = fRun;
    cols.verdict = verdict;
    cols.open = open;
    for (let i = 0; i < F; i++) {
      cols.id[i] = strings[id[i]];
      if (name[i] >= 0) cols.name[i] = strings[name[i]];
      if (display[i] >= 0) cols.display[i] = strings[display[i]];
      if (parent[i] >= 0) cols.parent[i] = strings[parent[i]];
      if (corr[i] >= 0) cols.correlation[i] = corrObjs[corr[i]] as Readonly<Record<string, unknown>> | undefined;
      if (tagsCol[i] >= 0) cols.tags[i] = meta.tags[tagsCol[i]];
      const a = kidsStart[i];
      const b = kidsStart[i + 1];
      if (b > a) cols.kids[i] = Array.from(kids.subarray(a, b));
    }
    return cols;
  };
  return {
    header, meta,
    store: {
      n, offsets, lens: rlens, lines, subs, chains: { nexts, times, flowRefs, flowSlots: F },
      hints: sec.has('hints') ? u8('hints', n) : undefined, hintIds: sec.has('hintIds') ? i32('hintIds', n) : undefined, hintTexts: meta.hintTexts,
    },
    runs: { runs, run: fRun, open, verdict, columns },
  };
}

function sum(a: Uint32Array): number {
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i];
  return t;
}

/**
 * Every flow is a root or a child (never both), and every flow is reached from the roots (no
 * cycle among the children lists).
 */
function forest(indeg: Uint8Array, isRoot: Uint8Array, start: Int32Array, kids: Int32Array): boolean {
  const F = indeg.length;
  const stack = new Int32Array(F);
  let top = 0;
  for (let i = 0; i < F; i++) {
    if ((indeg[i] === 0) !== (isRoot[i] === 1)) return false;
    if (isRoot[i] === 1) stack[top++] = i;
  }
  let reached = 0;
  while (top > 0) {
    const i = stack[--top];
    reached++;
    for (let k = start[i]; k < start[i + 1]; k++) stack[top++] = kids[k];
  }
  return reached === F;
}

/** Every value of `a` in `[lo, hi]` (one element type per function: monomorphic loads). */
function int32sIn(a: Int32Array, lo: number, hi: number): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x < lo || x > hi) return false;
  }
  return true;
}

/** Every byte of `a` at most `hi`. */
function bytesIn(a: Uint8Array, hi: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] > hi) return false;
  return true;
}

/**
 * The flows' run, string, correlation and tag indices in range, in one pass; returns the largest
 * correlation index (-1: none), or -2 when one is out of range.
 */
function flowIndicesIn(run: Int32Array, id: Int32Array, name: Int32Array, display: Int32Array, parent: Int32Array, corr: Int32Array, tags: Int32Array, R: number, S: number, T: number): number {
  let maxCorr = -1;
  for (let i = 0; i < run.length; i++) {
    const r = run[i];
    const d = id[i];
    const nm = name[i];
    const ds = display[i];
    const p = parent[i];
    const c = corr[i];
    const t = tags[i];
    if (r < 0 || r >= R || d < 0 || d >= S || nm < -1 || nm >= S || ds < -1 || ds >= S || p < -1 || p >= S || c < -1 || t < -1 || t >= T) return -2;
    if (c > maxCorr) maxCorr = c;
  }
  return maxCorr;
}

/** Every line record (not an object record) lies within the indexed part. */
function recordsInside(offsets: Float64Array, lens: Uint32Array, isObj: Uint8Array, end: number): boolean {
  for (let i = 0; i < offsets.length; i++) {
    if (isObj[i] === 1) continue;
    const off = offsets[i];
    if (!(off >= 0) || off !== Math.floor(off) || off + lens[i] > end) return false;
  }
  return true;
}

/** First, last, count and verdict record of every flow slot are records (or -1). */
function flowRefsInRange(r: Int32Array, n: number): boolean {
  for (let i = 0; i < r.length; i += 4) {
    const h = r[i];
    const t = r[i + 1];
    const c = r[i + 2];
    const v = r[i + 3];
    if (h < -1 || h >= n || t < -1 || t >= n || c < 0 || c > n || v < -1 || v >= n) return false;
  }
  return true;
}

function timesFinite(t: Float64Array): boolean {
  for (let i = 0; i < t.length; i++) if (t[i] === Infinity || t[i] === -Infinity) return false;
  return true;
}

/**
 * The children lists (CSR: `start`, `kids`) name flows of the same run, each flow at most once;
 * returns which flows are a child (undefined = not so).
 */
function childrenOnce(start: Int32Array, kids: Int32Array, run: Int32Array): Uint8Array | undefined {
  const F = run.length;
  const indeg = new Uint8Array(F);
  for (let i = 0; i < F; i++) {
    const a = start[i];
    const b = start[i + 1];
    if (a < 0 || b < a || b > kids.length) return undefined;
    for (let k = a; k < b; k++) {
      const child = kids[k];
      if (child < 0 || child >= F || run[child] !== run[i] || indeg[child] === 1) return undefined;
      indeg[child] = 1;
    }
  }
  return indeg;
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isStr = (x: unknown): x is string => typeof x === 'string';
const isOptStr = (x: unknown): boolean => x === undefined || typeof x === 'string';
const isOptNum = (x: unknown): boolean => x === undefined || (typeof x === 'number' && Number.isFinite(x));
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function checkHeader(h: Header): void {
  const bad = (why: string): never => {
    throw new CacheProblem(`header: ${why}`);
  };
  if (!isObj(h) || h.format !== FORMAT_VERSION || !isStr(h.flowlens)) bad('version');
  const f = h.file;
  if (!isObj(f) || !isStr(f.real) || typeof f.dev !== 'number' || typeof f.ino !== 'number' || !isCount(f.end) || !isCount(f.size) || typeof f.mtime !== 'number' || !Array.isArray(f.parts)) bad('file');
  for (const p of f.parts) if (!Array.isArray(p) || p.length !== 3 || !isCount(p[0]) || !isCount(p[1]) || !isStr(p[2])) bad('file checks');
  const s = h.source;
  if (!isObj(s) || !isStr(s.kind) || !isStr(s.rel) || !(s.runHint === null || isStr(s.runHint)) || typeof s.otlp !== 'boolean') bad('source');
  if (!(s.maxEventsPerSource === null || isCount(s.maxEventsPerSource))) bad('source');
  for (const k of ['lines', 'records', 'flows', 'count', 'warnings', 'malformedTotal', 'total'] as const) if (!isCount(h[k])) bad(k);
  if (!(h.dialect === null || DIALECTS.includes(h.dialect))) bad('dialect');
  if (!Array.isArray(h.sections)) bad('sections');
  for (const x of h.sections) if (!isObj(x) || !isStr(x.name) || !isCount(x.count) || !isCount(x.offset) || !isCount(x.bytes) || !isCount(x.hash)) bad('sections');
}

function checkMalformed(m: unknown): m is Malformed {
  return isObj(m) && isStr(m.file) && isCount(m.line) && isStr(m.reason);
}

function checkMeta(m: Meta): void {
  const bad = (why: string): never => {
    throw new CacheProblem(`meta: ${why}`);
  };
  if (!isObj(m) || !Array.isArray(m.runs) || !Array.isArray(m.tags) || !Array.isArray(m.objects) || !Array.isArray(m.malformed)) bad('shape');
  if (m.strings !== 'latin1' && m.strings !== 'utf16le') bad('strings');
  if (!Array.isArray(m.hintTexts) || !m.hintTexts.every(isStr)) bad('hint texts');
  if (!m.tags.every((t) => Array.isArray(t) && t.length > 0 && t.every(isStr))) bad('tags');
  if (!m.malformed.every(checkMalformed) || m.malformed.length > MAX_MALFORMED) bad('malformed');
  for (const x of m.objects) {
    if (!isObj(x) || !isCount(x.ref) || !isCount(x.line) || !isCount(x.offset) || !DIALECTS.includes(x.dialect) || !(x.runId === null || isStr(x.runId))) bad('objects');
  }
  const id = m.identity;
  if (!isObj(id) || !Array.isArray(id.rolling) || !Array.isArray(id.claimed) || !(id.last === null || isStr(id.last))) bad('identity');
  if (!id.rolling.every((e) => Array.isArray(e) && e.length === 2 && isStr(e[0]) && isCount(e[1])) || !id.claimed.every(isStr)) bad('identity');
  for (const r of m.runs) {
    if (!isObj(r) || !isCount(r.failures) || !isCount(r.errors) || !isCount(r.total) || !isCount(r.notKept) || !isCount(r.refs) || !isCount(r.roots)) bad('run counts');
    if (!(r.limit === -1 || isCount(r.limit)) || typeof r.capped !== 'boolean' || !(r.warningCount === undefined || isCount(r.warningCount)) || !isOptNum(r.lastTs)) bad('run state');
    if (!Array.isArray(r.pending) || !r.pending.every((p) => Array.isArray(p) && p.length === 2 && isStr(p[0]) && Array.isArray(p[1]) && p[1].every(isCount))) bad('run pending');
    if (r.sessionEnd !== undefined && !checkFields(r.sessionEnd)) bad('run session end');
    const run = r.run;
    if (!isObj(run) || !isStr(run.id) || !DIALECTS.includes(run.dialect) || !STATUSES.includes(run.status) || !isStr(run.primarySource)) bad('run');
    if (!Array.isArray(run.sources) || !run.sources.every(isStr) || !Array.isArray(run.tags) || !run.tags.every(isStr)) bad('run lists');
    if (!isOptStr(run.app) || !isOptStr(run.mode) || !isOptStr(run.gitSha) || !isOptStr(run.host) || !isOptNum(run.started) || !isOptNum(run.ended)) bad('run fields');
    if (!(run.endedBy === undefined || run.endedBy === 'session_end' || run.endedBy === 'summary')) bad('run end');
    if (!Array.isArray(run.malformed) || !run.malformed.every(checkMalformed)) bad('run malformed');
    if (!(run.warnings === undefined || (Array.isArray(run.warnings) && run.warnings.every(checkMalformed)))) bad('run warnings');
    if (!Array.isArray(run.notes) || !run.notes.every(checkNote)) bad('run notes');
    if (run.cap !== undefined) {
      const c = run.cap;
      if (!isObj(c) || (c.mode !== 'summarised' && c.mode !== 'capped') || !isCount(c.total) || !isCount(c.kept) || !isCount(c.notKept) || !isCount(c.limit)) bad('run cap');
    }
    const counts = run.counts as unknown;
    if (!isObj(counts) || !isCount(counts.total)) bad('run counts');
    for (const k of ['byType', 'bySeverity', 'byFailureClass', 'byDomain'] as const) {
      const rec = (counts as Record<string, unknown>)[k];
      if (!isObj(rec) || !Object.values(rec).every(isCount)) bad('run counts');
    }
  }
}

/** The notes a run can have right after its file was indexed (the others come later in a load). */
function checkNote(n: unknown): n is RunNote {
  if (!isObj(n)) return false;
  switch (n.kind) {
    case 'timestamp':
      return isStr(n.problem) && isCount(n.lines) && isObj(n.first) && isStr(n.first.file) && isCount(n.first.line);
    case 'session-status':
      return (n.raw === null || ['string', 'number', 'boolean'].includes(typeof n.raw)) && STATUSES.includes(n.shownAs as RunStatus);
    default:
      return false;
  }
}

function checkFields(e: unknown): e is EventFields {
  if (!isObj(e) || !DIALECTS.includes(e.dialect as Dialect) || !isStr(e.type) || !Array.isArray(e.tags) || !e.tags.every(isStr)) return false;
  for (const k of ['runId', 'flow', 'flowId', 'parentFlowId', 'severity', 'failureClass', 'app', 'mode', 'gitSha', 'host', 'status']) if (!isOptStr(e[k])) return false;
  if (!isOptNum(e.ts) || !isOptNum(e.durationMs)) return false;
  return e.correlation === undefined || isObj(e.correlation);
}
