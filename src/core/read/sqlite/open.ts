/**
 * Opening a SQLite store read-only, from bytes: read the main file, then its `-wal`, check
 * that neither changed meanwhile (a checkpoint in between means read again), replay the
 * committed WAL frames in memory and hand the image to sql.js. Nothing is ever written next
 * to the user's file: no `-shm`, no journal, no checkpoint.
 */
import * as fs from 'node:fs';
import { checkRegular, openRegular, type IngressProblem } from '../ingress/safeFile';
import { getSqlJs, type Database } from './engine';
import { applyWal, clearWalFlags, dbPageSize, isWalHeader, SQLITE_MAGIC, walCommittedBytes, type WalResult } from './wal';

/** Default memory cap (setting `flowlens.sqlite.memoryCapMB`). */
export const DEFAULT_MEMORY_CAP_MB = 512;
export const MEMORY_CAP_SETTING = 'flowlens.sqlite.memoryCapMB';

export type StoreErrorKind =
  | 'not-sqlite'
  | 'encrypted-or-corrupt'
  | 'truncated'
  | 'empty'
  | 'locked'
  | 'unrecognised-schema'
  | 'too-large'
  | 'io'
  /** The db, its `-wal` or `-journal` is not a regular file (FIFO, device, socket): not read. */
  | 'not-regular'
  /** The db or a side file resolves outside the workspace folder: not read. */
  | 'outside'
  /** A view or virtual table where a table is expected: not read. */
  | 'not-a-table'
  /** Over the row / byte / time / memory budget of a read: stopped. */
  | 'over-budget';

/** A located, human-readable reason a store could not be read. Plain data, never thrown. */
export interface StoreError {
  file: string;
  table?: string;
  kind: StoreErrorKind;
  message: string;
}

export interface OpenOptions {
  /** Refuse files whose db + wal exceed this many bytes (default 512 MB). */
  memoryCapBytes?: number;
  /** The workspace folder: the db, its `-wal` and `-journal` must resolve inside it (ingress policy). */
  root?: string;
  /** The user picked this store (or a trusted setting names it): it may lie outside `root`. */
  allowOutside?: boolean;
  /** How many times to read again when the files change while being read (default 5). */
  retries?: number;
  /** Pause between attempts in ms (default 40). */
  retryDelayMs?: number;
}

/** An open in-memory copy of a store. Call `close()` when done (frees the WASM memory). */
export interface OpenedStore {
  file: string;
  db: Database;
  /** True when committed frames from `-wal` were applied. */
  walApplied: boolean;
  wal?: Omit<WalResult, 'bytes'>;
  /** Bytes on disk: main file + `-wal`. */
  sizeBytes: number;
  /** Size of the in-memory image handed to sql.js. */
  imageBytes: number;
  /** Reads needed to get a consistent pair of files (1 when nothing changed meanwhile). */
  attempts: number;
  close(): void;
}

export type OpenResult = { ok: true; store: OpenedStore } | { ok: false; error: StoreError };

const JOURNAL_MAGIC = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

function statOrUndef(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function sigOf(st: fs.Stats | undefined): string {
  return st ? `${st.size}:${st.mtimeMs}:${st.ino}` : '-';
}

/**
 * Cheap change signature of a store: size + mtime of the main file and of its `-wal`.
 * Callers re-read (debounced) when it changes. Never opens the files.
 */
export function storeSignature(file: string): string {
  const db = statOrUndef(file);
  const wal = statOrUndef(file + '-wal');
  return `${db ? `${db.size}:${db.mtimeMs}` : '-'}|${wal ? `${wal.size}:${wal.mtimeMs}` : '-'}`;
}

/** Human size: `612.4 MB`, `48 KB`, `512 B`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type ReadResult = { ok: true; bytes: Buffer } | { ok: false; err: NodeJS.ErrnoException };

/** SQLite's heap limit inside the engine (`PRAGMA hard_heap_limit`): a query that wants more fails. */
export const SQLITE_HEAP_LIMIT_BYTES = 256 * 1024 * 1024;

/** A located StoreError from an ingress problem (`side` names the side file it was about). */
function ingressError(file: string, p: IngressProblem, side?: string): StoreError {
  if (p.reason === 'missing') return { file, kind: 'io', message: `${p.file}: cannot read (ENOENT)` };
  const kind: StoreErrorKind = p.reason === 'not-regular' ? 'not-regular' : p.reason === 'outside' ? 'outside' : p.reason === 'too-large' ? 'too-large' : 'io';
  return { file, kind, message: side ? `${p.message}; store ${file} not read` : p.message };
}

/**
 * A side file (`-wal`, `-journal`) under the ingress policy: absent is fine (no stat); present
 * must be a regular file inside the root, else a located error and the store is not read.
 */
function sideFile(file: string, side: string, opts: OpenOptions, cap: number): { ok: true; stat?: fs.Stats } | { ok: false; error: StoreError } {
  try {
    fs.lstatSync(side);
  } catch {
    return { ok: true };
  }
  const c = checkRegular(side, { root: opts.root, allowOutside: opts.allowOutside, kind: 'store-sidecar', maxBytes: cap });
  if (!c.ok) return c.problem.reason === 'missing' ? { ok: true } : { ok: false, error: ingressError(file, c.problem, side) };
  return { ok: true, stat: c.stat };
}

/** Read a whole side file (regular, non-blocking, at most `cap` bytes). */
function readSide(p: string, opts: OpenOptions, cap: number): ReadResult {
  const o = openRegular(p, { root: opts.root, allowOutside: opts.allowOutside, kind: 'store-sidecar', maxBytes: cap });
  if (!o.ok) return { ok: false, err: Object.assign(new Error(o.problem.message), { code: o.problem.reason === 'missing' ? 'ENOENT' : 'EINVAL' }) };
  const { fd, size } = o.file;
  try {
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return { ok: true, bytes: off === size ? buf : buf.subarray(0, off) };
  } catch (e) {
    return { ok: false, err: e as NodeJS.ErrnoException };
  } finally {
    fs.closeSync(fd);
  }
}

/** Open the main file under the ingress policy (regular, non-blocking, no-follow on the real path). */
function openMain(file: string, opts: OpenOptions): number {
  const o = openRegular(file, { root: opts.root, allowOutside: opts.allowOutside, kind: 'store', maxBytes: Number.POSITIVE_INFINITY });
  if (!o.ok) throw Object.assign(new Error(o.problem.message), { code: o.problem.reason === 'missing' ? 'ENOENT' : 'EINVAL' });
  return o.file.fd;
}

/**
 * Read `file` (expected `size` bytes) into one Buffer of at least `minLength` bytes, zero-filled
 * past the file, so a WAL that grows the database is applied in place without a second copy.
 * Returns the bytes actually read as `length`.
 */
function readInto(file: string, size: number, minLength: number, opts: OpenOptions): ReadResult {
  let fd: number | undefined;
  try {
    fd = openMain(file, opts);
    const buf = Buffer.allocUnsafe(Math.max(size, minLength));
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    buf.fill(0, off);
    return { ok: true, bytes: off === buf.length ? buf : off >= minLength ? buf.subarray(0, off) : buf };
  } catch (e) {
    return { ok: false, err: e as NodeJS.ErrnoException };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function readHead(file: string, opts: OpenOptions): Buffer {
  let fd: number | undefined;
  try {
    fd = openMain(file, opts);
    const b = Buffer.alloc(100);
    const n = fs.readSync(fd, b, 0, 100, 0);
    return b.subarray(0, n);
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function ioError(file: string, e: NodeJS.ErrnoException): StoreError {
  const code = e.code ?? '';
  if (code === 'EBUSY' || code === 'ELOCKED' || code === 'EAGAIN') {
    return { file, kind: 'locked', message: `${file}: locked by another process (${code}); will read again when it changes` };
  }
  return { file, kind: 'io', message: `${file}: cannot read (${code || e.message})` };
}

function hotJournal(file: string, opts: OpenOptions): boolean {
  const o = openRegular(file + '-journal', { root: opts.root, allowOutside: opts.allowOutside, kind: 'store-sidecar', maxBytes: Number.POSITIVE_INFINITY });
  if (!o.ok) return false; // absent; a non-regular journal was refused before reading
  const fd = o.file.fd;
  try {
    const b = Buffer.alloc(8);
    const n = fs.readSync(fd, b, 0, 8, 0);
    return n === 8 && b.equals(JOURNAL_MAGIC);
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/** Header checks that need no engine: magic, size, page count. Undefined when it looks fine. */
export function checkHeader(file: string, bytes: Buffer, walBytes?: Buffer): StoreError | undefined {
  if (bytes.length === 0) {
    return { file, kind: 'empty', message: `${file}: empty file (0 bytes, no committed WAL frames)` };
  }
  if (bytes.length < 100) {
    return SQLITE_MAGIC.subarray(0, Math.min(16, bytes.length)).equals(bytes.subarray(0, Math.min(16, bytes.length)))
      ? { file, kind: 'truncated', message: `${file}: truncated (${bytes.length} bytes, shorter than the 100-byte SQLite header)` }
      : { file, kind: 'not-sqlite', message: `${file}: not a SQLite database (${bytes.length} bytes, no SQLite header)` };
  }
  if (!bytes.subarray(0, 16).equals(SQLITE_MAGIC)) {
    const head = bytes.subarray(0, 64);
    const binary = head.some((c) => c < 9 || (c > 13 && c < 32));
    if (binary && bytes.length % 512 === 0) {
      return { file, kind: 'encrypted-or-corrupt', message: `${file}: no SQLite header but page-sized (${formatBytes(bytes.length)}): encrypted (e.g. SQLCipher) or corrupt` };
    }
    return { file, kind: 'not-sqlite', message: `${file}: not a SQLite database (no "SQLite format 3" header)` };
  }
  const pageSize = dbPageSize(bytes);
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
    return { file, kind: 'encrypted-or-corrupt', message: `${file}: corrupt header (page size ${pageSize})` };
  }
  const changeCounter = bytes.readUInt32BE(24);
  const validFor = bytes.readUInt32BE(92);
  const pages = bytes.readUInt32BE(28);
  const walCovers = walBytes !== undefined && walBytes.length > 0;
  if (changeCounter === validFor && pages > 0 && pages * pageSize > bytes.length && !walCovers) {
    return {
      file,
      kind: 'truncated',
      message: `${file}: truncated (${formatBytes(bytes.length)} on disk, header says ${pages} pages of ${pageSize} B = ${formatBytes(pages * pageSize)})`,
    };
  }
  if (bytes.length % pageSize !== 0 && !walCovers) {
    return { file, kind: 'truncated', message: `${file}: truncated (${bytes.length} bytes is not a whole number of ${pageSize}-byte pages)` };
  }
  return undefined;
}

/** Run `PRAGMA quick_check` and return its first lines ('ok' when fine), never throwing. */
export function quickCheck(db: Database): string {
  try {
    const r = db.exec('PRAGMA quick_check(5)');
    const lines = (r[0]?.values ?? []).map((v) => String(v[0]));
    return lines.join('; ') || 'no answer';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Describe an engine error on a store (runs quick_check when the engine could open it). */
export function engineError(file: string, e: unknown, db?: Database, table?: string): StoreError {
  const msg = (e as Error)?.message ?? String(e);
  if (/database is locked|busy/i.test(msg)) {
    return { file, table, kind: 'locked', message: `${file}: locked (${msg})` };
  }
  const qc = db ? quickCheck(db) : undefined;
  const where = table ? ` (table ${table})` : '';
  if (qc === 'ok' && !/malformed|not a database|corrupt/i.test(msg)) {
    return { file, table, kind: 'unrecognised-schema', message: `${file}${where}: query failed: ${msg} (quick_check: ok)` };
  }
  return {
    file,
    table,
    kind: 'encrypted-or-corrupt',
    message: `${file}${where}: encrypted or corrupt: ${msg}${qc !== undefined ? `; quick_check: ${qc}` : ''}`,
  };
}

/**
 * Open `file` read-only in memory with its committed WAL applied. Never throws; every failure
 * is a located {@link StoreError}. The caller must `close()` the returned store.
 */
export async function openStore(file: string, opts: OpenOptions = {}): Promise<OpenResult> {
  const cap = opts.memoryCapBytes ?? DEFAULT_MEMORY_CAP_MB * 1024 * 1024;
  const retries = opts.retries ?? 5;
  const delay = opts.retryDelayMs ?? 40;
  const walPath = file + '-wal';
  let lastReason = '';
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (attempt > 1) await sleep(delay * (attempt - 1));
    const st0 = statOrUndef(file);
    if (st0?.isDirectory()) return { ok: false, error: { file, kind: 'io', message: `${file}: is a directory` } };
    // The ingress policy first: the db, its -wal and its -journal must be regular files inside the
    // workspace (a FIFO would block the read, a symlink to /dev/zero would never end).
    const main = checkRegular(file, { root: opts.root, allowOutside: opts.allowOutside, kind: 'store', maxBytes: Number.POSITIVE_INFINITY });
    if (!main.ok) return { ok: false, error: ingressError(file, main.problem) };
    const st1 = main.stat;
    const walSide = sideFile(file, walPath, opts, Number.POSITIVE_INFINITY);
    if (!walSide.ok) return walSide;
    const journalSide = sideFile(file, file + '-journal', opts, Number.POSITIVE_INFINITY);
    if (!journalSide.ok) return journalSide;
    const wst1 = walSide.stat;
    const sizeBytes = st1.size + (wst1?.size ?? 0);
    if (sizeBytes > cap) {
      return {
        ok: false,
        error: {
          file,
          kind: 'too-large',
          message: `${file}: ${formatBytes(sizeBytes)} is larger than the ${formatBytes(cap)} memory cap; raise "${MEMORY_CAP_SETTING}" to read it`,
        },
      };
    }
    if (hotJournal(file, opts)) {
      lastReason = 'a writer is mid-transaction (hot rollback journal)';
      continue;
    }
    // The -wal first (small), so the main file is read once into a buffer the WAL fits in.
    const head = readHead(file, opts);
    const wantWal = wst1 !== undefined && wst1.size > 0 && (isWalHeader(head) || st1.size === 0);
    let walBytes: Buffer | undefined;
    if (wantWal) {
      const w = readSide(walPath, opts, cap);
      if (w.ok) walBytes = w.bytes;
      else if (w.err.code !== 'ENOENT') return { ok: false, error: ioError(walPath, w.err) };
    }
    const read = readInto(file, st1.size, walBytes ? walCommittedBytes(walBytes) : 0, opts);
    if (!read.ok) {
      const err = ioError(file, read.err);
      if (err.kind === 'locked' && attempt <= retries) {
        lastReason = err.message;
        continue;
      }
      return { ok: false, error: err };
    }
    let bytes = read.bytes;
    // A checkpoint (or any write) between the two reads gives an inconsistent pair: read again.
    const st2 = statOrUndef(main.real);
    const wst2 = statOrUndef(walPath);
    if (sigOf(st1) !== sigOf(st2) || sigOf(wst1) !== sigOf(wst2) || hotJournal(file, opts)) {
      lastReason = 'the files changed while being read';
      continue;
    }
    let wal: Omit<WalResult, 'bytes'> | undefined;
    if (walBytes) {
      const r = applyWal(bytes, walBytes);
      bytes = r.bytes;
      wal = { framesApplied: r.framesApplied, framesIgnored: r.framesIgnored, commits: r.commits, reason: r.reason };
      if (r.framesApplied === 0) bytes = bytes.subarray(0, st1.size);
    } else {
      bytes = bytes.subarray(0, st1.size);
      if (isWalHeader(bytes)) clearWalFlags(bytes); // no -wal: everything is checkpointed
    }
    const image = bytes;
    const bad = checkHeader(file, image);
    if (bad) return { ok: false, error: bad };
    let SQL;
    try {
      SQL = await getSqlJs();
    } catch (e) {
      return { ok: false, error: { file, kind: 'io', message: `${file}: SQLite engine unavailable: ${(e as Error).message}` } };
    }
    let db: Database | undefined;
    try {
      // A Node Buffer, not a copy: sql.js writes it into MEMFS with `data.slice()`, which for a
      // Buffer is a view, so the image exists once (measured: arrayBuffers = image size after
      // open). A plain Uint8Array here would be copied.
      db = new SQL.Database(image);
      db.exec('PRAGMA query_only = 1');
      // SQLite's own allocations (page cache, sorter, a computed value) stay under this; a query
      // that wants more fails with "out of memory" instead of growing the engine's heap.
      db.exec(`PRAGMA hard_heap_limit = ${SQLITE_HEAP_LIMIT_BYTES}`);
      db.exec('SELECT count(*) FROM sqlite_master');
    } catch (e) {
      const err = engineError(file, e, db);
      try {
        db?.close();
      } catch {
        // already unusable
      }
      return { ok: false, error: err };
    }
    const opened = db;
    let closed = false;
    return {
      ok: true,
      store: {
        file,
        db: opened,
        walApplied: (wal?.framesApplied ?? 0) > 0,
        wal,
        sizeBytes,
        imageBytes: image.length,
        attempts: attempt,
        close: () => {
          if (closed) return;
          closed = true;
          opened.close();
        },
      },
    };
  }
  return {
    ok: false,
    error: { file, kind: 'locked', message: `${file}: being written (${lastReason}) after ${retries + 1} reads; will read again when it changes` },
  };
}

/** Open, run `fn`, always close. Errors from `fn` become located StoreErrors. */
export async function withStore<T>(
  file: string,
  opts: OpenOptions,
  fn: (s: OpenedStore) => T,
): Promise<{ ok: true; value: T; store: Omit<OpenedStore, 'db' | 'close'> } | { ok: false; error: StoreError }> {
  const r = await openStore(file, opts);
  if (!r.ok) return r;
  const s = r.store;
  try {
    const value = fn(s);
    const { db: _db, close: _close, ...info } = s;
    return { ok: true, value, store: info };
  } catch (e) {
    return { ok: false, error: engineError(file, e, s.db) };
  } finally {
    s.close();
  }
}
