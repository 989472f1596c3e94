/**
 * Read-only WAL replay: applies the committed frames of a `-wal` file to an in-memory copy of
 * the main database, the way SQLite's own WAL recovery does, without a `-shm` and without ever
 * touching the user's files. https://www.sqlite.org/fileformat2.html#the_write_ahead_log
 */

/** SQLite database header magic ("SQLite format 3\0"). */
export const SQLITE_MAGIC = Buffer.from('SQLite format 3\u0000', 'latin1');
const WAL_MAGIC_LE = 0x377f0682;
const WAL_MAGIC_BE = 0x377f0683;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/** Result of {@link applyWal}. `bytes` may share memory with the input (applied in place). */
export interface WalResult {
  bytes: Buffer;
  /** Frames written into the image (up to and including the last valid commit frame). */
  framesApplied: number;
  /** Frames present in the file but not applied (uncommitted tail, bad salt or checksum). */
  framesIgnored: number;
  /** Commit frames applied (= transactions). */
  commits: number;
  /** Why frames were ignored or the WAL was not used at all. */
  reason?: string;
}

/** True when the main-file header says WAL mode (write/read version bytes 18/19 = 2). */
export function isWalHeader(db: Uint8Array): boolean {
  return db.length >= 100 && (db[18] === 2 || db[19] === 2);
}

/** Page size from the database header (bytes 16-17; 1 means 65536). */
export function dbPageSize(db: Uint8Array): number {
  if (db.length < 18) return 0;
  const v = (db[16] << 8) | db[17];
  return v === 1 ? 65536 : v;
}

/**
 * SQLite's WAL checksum over `data[start, end)` (a multiple of 8 bytes), continuing from s.
 * `bigEndian` comes from the WAL magic (0x377f0683).
 */
export function walChecksum(data: Uint8Array, start: number, end: number, bigEndian: boolean, s: [number, number]): [number, number] {
  let s0 = s[0] >>> 0;
  let s1 = s[1] >>> 0;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = !bigEndian;
  for (let i = start; i < end; i += 8) {
    s0 = (s0 + dv.getUint32(i, le) + s1) >>> 0;
    s1 = (s1 + dv.getUint32(i + 4, le) + s0) >>> 0;
  }
  return [s0, s1];
}

/**
 * Apply the committed frames of `walBytes` to `dbBytes`.
 *
 * Frames are valid while their salts equal the WAL header's and the cumulative checksum holds;
 * the image is the state after the last valid commit frame (frames after it are ignored), sized
 * to that frame's database size. The WAL flags (header bytes 18/19) are set back to 1 so sql.js
 * reads the image as a rollback-journal database. `dbBytes` is modified in place when the result
 * fits in it; never pass a buffer you still need unchanged.
 */
export function applyWal(dbBytes: Buffer, walBytes: Buffer): WalResult {
  const none = (reason: string, ignored = 0): WalResult => {
    clearWalFlags(dbBytes);
    return { bytes: dbBytes, framesApplied: 0, framesIgnored: ignored, commits: 0, reason };
  };
  if (walBytes.length < WAL_HEADER) return none(walBytes.length === 0 ? 'empty WAL' : 'WAL shorter than its header');
  const magic = walBytes.readUInt32BE(0);
  if (magic !== WAL_MAGIC_LE && magic !== WAL_MAGIC_BE) return none('not a WAL file (bad magic)');
  const bigEndian = magic === WAL_MAGIC_BE;
  const pageSize = walBytes.readUInt32BE(8);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return none(`WAL page size ${pageSize} is invalid`);
  const frameSize = FRAME_HEADER + pageSize;
  const frames = Math.floor((walBytes.length - WAL_HEADER) / frameSize);
  const hdrSum = walChecksum(walBytes, 0, 24, bigEndian, [0, 0]);
  if (hdrSum[0] !== walBytes.readUInt32BE(24) || hdrSum[1] !== walBytes.readUInt32BE(28)) {
    return none('WAL header checksum does not match (WAL ignored)', frames);
  }
  if (dbBytes.length >= 100 && dbBytes.subarray(0, 16).equals(SQLITE_MAGIC) && dbPageSize(dbBytes) !== pageSize) {
    return none(`WAL page size ${pageSize} differs from the database's ${dbPageSize(dbBytes)}`, frames);
  }
  const salt1 = walBytes.readUInt32BE(16);
  const salt2 = walBytes.readUInt32BE(20);

  // Pass 1: find the last valid commit frame.
  let sum = hdrSum;
  let lastCommit = -1;
  let commitPages = 0;
  let commits = 0;
  let stop: string | undefined;
  for (let i = 0; i < frames; i++) {
    const off = WAL_HEADER + i * frameSize;
    if (walBytes.readUInt32BE(off + 8) !== salt1 || walBytes.readUInt32BE(off + 12) !== salt2) {
      stop = `frame ${i + 1}: salt does not match the WAL header`;
      break;
    }
    sum = walChecksum(walBytes, off, off + 8, bigEndian, sum);
    sum = walChecksum(walBytes, off + FRAME_HEADER, off + frameSize, bigEndian, sum);
    if (sum[0] !== walBytes.readUInt32BE(off + 16) || sum[1] !== walBytes.readUInt32BE(off + 20)) {
      stop = `frame ${i + 1}: checksum does not match`;
      break;
    }
    if (walBytes.readUInt32BE(off) === 0) {
      stop = `frame ${i + 1}: page number 0`;
      break;
    }
    const dbSize = walBytes.readUInt32BE(off + 4);
    if (dbSize > 0) {
      lastCommit = i;
      commitPages = dbSize;
      commits++;
    }
  }
  const applied = lastCommit + 1;
  const ignored = frames - applied;
  const partial = (walBytes.length - WAL_HEADER) % frameSize !== 0;
  let reason = stop;
  if (!reason && ignored > 0) reason = `${ignored} frame(s) after the last commit (uncommitted transaction)`;
  if (partial) reason = (reason ? reason + '; ' : '') + 'partial frame at the end';
  if (applied === 0) return none(reason ?? 'no committed frames', ignored);

  // Pass 2: apply, in place when the final image fits.
  const finalLen = commitPages * pageSize;
  let out: Buffer;
  if (finalLen <= dbBytes.length) {
    out = dbBytes.subarray(0, finalLen);
  } else {
    out = Buffer.allocUnsafe(finalLen);
    dbBytes.copy(out, 0, 0, dbBytes.length);
    out.fill(0, dbBytes.length);
  }
  for (let i = 0; i < applied; i++) {
    const off = WAL_HEADER + i * frameSize;
    const pgno = walBytes.readUInt32BE(off);
    if (pgno > commitPages) continue; // truncated away by a later commit
    walBytes.copy(out, (pgno - 1) * pageSize, off + FRAME_HEADER, off + frameSize);
  }
  clearWalFlags(out);
  return { bytes: out, framesApplied: applied, framesIgnored: ignored, commits, reason };
}

/**
 * Size in bytes of the database after the last valid commit of `walBytes` (0 when none), so a
 * caller can allocate the image once and read the main file straight into it.
 */
export function walCommittedBytes(walBytes: Buffer): number {
  if (walBytes.length < WAL_HEADER) return 0;
  const magic = walBytes.readUInt32BE(0);
  if (magic !== WAL_MAGIC_LE && magic !== WAL_MAGIC_BE) return 0;
  const bigEndian = magic === WAL_MAGIC_BE;
  const pageSize = walBytes.readUInt32BE(8);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return 0;
  let sum = walChecksum(walBytes, 0, 24, bigEndian, [0, 0]);
  if (sum[0] !== walBytes.readUInt32BE(24) || sum[1] !== walBytes.readUInt32BE(28)) return 0;
  const frameSize = FRAME_HEADER + pageSize;
  const frames = Math.floor((walBytes.length - WAL_HEADER) / frameSize);
  const salt1 = walBytes.readUInt32BE(16);
  const salt2 = walBytes.readUInt32BE(20);
  let pages = 0;
  for (let i = 0; i < frames; i++) {
    const off = WAL_HEADER + i * frameSize;
    if (walBytes.readUInt32BE(off + 8) !== salt1 || walBytes.readUInt32BE(off + 12) !== salt2) break;
    sum = walChecksum(walBytes, off, off + 8, bigEndian, sum);
    sum = walChecksum(walBytes, off + FRAME_HEADER, off + frameSize, bigEndian, sum);
    if (sum[0] !== walBytes.readUInt32BE(off + 16) || sum[1] !== walBytes.readUInt32BE(off + 20)) break;
    if (walBytes.readUInt32BE(off) === 0) break;
    const dbSize = walBytes.readUInt32BE(off + 4);
    if (dbSize > 0) pages = dbSize;
  }
  return pages * pageSize;
}

/** Set header bytes 18/19 from 2 (WAL) to 1 (legacy), so an in-memory engine never wants a -shm. */
export function clearWalFlags(db: Uint8Array): void {
  if (db.length < 100) return;
  if (db[18] === 2) db[18] = 1;
  if (db[19] === 2) db[19] = 1;
}
