/**
 * Opening a SQLite store read-only, from bytes: read the main file, then its `-wal`, check
 * that neither changed meanwhile (a checkpoint in between means read again), replay the
 * committed WAL frames in memory and hand the image to sql.js. Nothing is ever written next
 * to the user's file: no `-shm`, no journal, no checkpoint.
 */
import * as fs from 'node:fs';
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
  | 'io';

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

function readBytes(p: string): ReadResult {
  try {
    return { ok: true, bytes: fs.readFileSync(p) };
  } catch (e) {
    return { ok: false, err: e as NodeJS.ErrnoException };
  }
}

/**
 * Read `file` (expected `size` bytes) into one Buffer of at least `minLength` bytes, zero-filled
 * past the file, so a WAL that grows the database is applied in place without a second copy.
 * Returns the bytes actually read as `length`.
 */
function readInto(file: string, size: number, minLength: number): ReadResult {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
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

function readHead(file: string): Buffer {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
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

function hotJournal(file: string): boolean {
  const fd = (() => {
    try {
      return fs.openSync(file + '-journal', 'r');
    } catch {
      return undefined;
    }
  })();
  if (fd === undefined) return false;
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
    const st1 = statOrUndef(file);
    if (!st1) {
      const e = readBytes(file);
      return { ok: false, error: ioError(file, e.ok ? ({ message: 'vanished' } as NodeJS.ErrnoException) : e.err) };
    }
    if (st1.isDirectory()) return { ok: false, error: { file, kind: 'io', message: `${file}: is a directory` } };
    const wst1 = statOrUndef(walPath);
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
    if (hotJournal(file)) {
      lastReason = 'a writer is mid-transaction (hot rollback journal)';
      continue;
    }
    // The -wal first (small), so the main file is read once into a buffer the WAL fits in.
    const head = readHead(file);
    const wantWal = wst1 !== undefined && wst1.size > 0 && (isWalHeader(head) || st1.size === 0);
    let walBytes: Buffer | undefined;
    if (wantWal) {
      const w = readBytes(walPath);
      if (w.ok) walBytes = w.bytes;
      else if (w.err.code !== 'ENOENT') return { ok: false, error: ioError(walPath, w.err) };
    }
    const read = readInto(file, st1.size, walBytes ? walCommittedBytes(walBytes) : 0);
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
    const st2 = statOrUndef(file);
    const wst2 = statOrUndef(walPath);
    if (sigOf(st1) !== sigOf(st2) || sigOf(wst1) !== sigOf(wst2) || hotJournal(file)) {
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
