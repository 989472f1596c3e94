/**
 * The ingress policy: the one way a workspace file is opened for reading. Traces, stores, YAML,
 * summaries and pointer files come from other people's machines (a clone, an artifact, a zip),
 * so every open here:
 *
 * 1. resolves the real path and refuses it when it lies outside the workspace root (unless the
 *    caller says the user picked the file, or a trusted setting named it: `allowOutside`);
 * 2. refuses anything but a regular file — checked with `stat` before opening and `fstat` after,
 *    opened `O_NONBLOCK | O_NOFOLLOW` on the resolved path, so a FIFO, device, socket or a symlink
 *    swapped in between can neither block the thread nor redirect the read;
 * 3. refuses files over the size cap of their kind ({@link CAPS}) with a located problem.
 *
 * Problems are plain data naming the file ({@link IngressProblem}), never thrown.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What a file is for; each kind has its own size cap. */
export type FileKind = 'config' | 'summary' | 'pointer' | 'trace' | 'store' | 'store-sidecar' | 'other';

/** Size caps in bytes per kind. Traces are streamed and capped per line elsewhere (Infinity here). */
export const CAPS: Readonly<Record<FileKind, number>> = Object.freeze({
  config: 4 * 1024 * 1024, // ra.yaml, flows.yaml: hand-written, a few KB in practice
  summary: 8 * 1024 * 1024, // summary.md of a 0.1 run
  pointer: 4096, // `.autodev/latest` as a text file
  trace: Number.POSITIVE_INFINITY,
  store: 512 * 1024 * 1024, // the sql.js memory cap default; callers pass the setting
  'store-sidecar': 512 * 1024 * 1024,
  other: 64 * 1024 * 1024,
});

export type IngressReason = 'missing' | 'not-regular' | 'outside' | 'too-large' | 'io';

/** Why a file was not read: plain data with the file, never thrown. */
export interface IngressProblem {
  file: string;
  reason: IngressReason;
  message: string;
  /** `not-regular` only: what the file is instead (`a FIFO`, `a directory`, …). */
  type?: string;
}

export interface IngressOptions {
  /** The workspace folder the file must lie in (real path). Omitted: no containment check. */
  root?: string;
  /** The user picked this file, or a trusted setting names it: it may lie outside `root`. */
  allowOutside?: boolean;
  /** What the file is for (size cap and wording). Default `other`. */
  kind?: FileKind;
  /** Override the kind's cap (bytes). */
  maxBytes?: number;
}

export interface OpenedFile {
  fd: number;
  /** The resolved real path that was opened. */
  real: string;
  size: number;
  stat: fs.Stats;
}

export type OpenResult = { ok: true; file: OpenedFile } | { ok: false; problem: IngressProblem };

const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;
/** Flags for every read-only open of workspace data. */
export const READ_FLAGS = fs.constants.O_RDONLY | O_NONBLOCK | O_NOFOLLOW;

const realRoots = new Map<string, string>();

/** The real path of a root, cached (roots do not move while a workspace is open). */
export function realRoot(root: string): string {
  const r = realRoots.get(root);
  if (r !== undefined) return r;
  try {
    const real = fs.realpathSync(root);
    realRoots.set(root, real); // only a root that exists is cached
    return real;
  } catch {
    return path.resolve(root);
  }
}

/** True when `p` is `root` or lies below it (both absolute, already resolved). */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The real path of `p` when it lies inside `root` (real paths compared), else undefined.
 * A missing file resolves through its nearest existing parent, so a path to be written can be
 * checked too.
 */
export function realInside(root: string, p: string): string | undefined {
  const rr = realRoot(root);
  const abs = path.resolve(root, p);
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch {
    try {
      real = path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
    } catch {
      return undefined;
    }
  }
  return isInside(rr, real) ? real : undefined;
}

function kindName(kind: FileKind): string {
  switch (kind) {
    case 'config': return 'configuration file';
    case 'summary': return 'summary';
    case 'pointer': return 'pointer file';
    case 'trace': return 'trace';
    case 'store': return 'store';
    case 'store-sidecar': return 'store side file';
    default: return 'file';
  }
}

/** What a non-regular file is, for messages (`a FIFO`, `a character device`, …). */
export function fileType(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(n < 1024 * 1024 ? 2 : 1)} MB`;

/** Check a path without opening it: the real path, inside the root, a regular file, under the cap. */
export function checkRegular(file: string, opts: IngressOptions = {}): { ok: true; real: string; stat: fs.Stats } | { ok: false; problem: IngressProblem } {
  const kind = opts.kind ?? 'other';
  const what = kindName(kind);
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, problem: { file, reason: 'missing', message: `${file}: not found` } };
    return { ok: false, problem: { file, reason: 'io', message: `${file}: cannot read (${code ?? 'error'})` } };
  }
  if (opts.root !== undefined && !opts.allowOutside && !isInside(realRoot(opts.root), real)) {
    return { ok: false, problem: { file, reason: 'outside', message: `${file}: not read — the ${what} resolves to ${real}, outside the workspace folder` } };
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(real);
  } catch (e) {
    // Gone since its real path was taken (a writer's rollback journal ends that way): missing.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, problem: { file, reason: 'missing', message: `${file}: not found` } };
    return { ok: false, problem: { file, reason: 'io', message: `${file}: cannot read (${code ?? 'error'})` } };
  }
  if (!st.isFile()) return { ok: false, problem: { file, reason: 'not-regular', message: `${file}: not read — ${fileType(st)}, not a regular file`, type: fileType(st) } };
  const max = opts.maxBytes ?? CAPS[kind];
  if (st.size > max) {
    return { ok: false, problem: { file, reason: 'too-large', message: `${file}: not read — ${mb(st.size)} is over the ${mb(max)} limit for a ${what}` } };
  }
  return { ok: true, real, stat: st };
}

/**
 * Open a workspace file for reading under the policy. The caller owns `fd` and must close it.
 * The fstat after open is what counts (the file may have been swapped since the check).
 */
export function openRegular(file: string, opts: IngressOptions = {}): OpenResult {
  const c = checkRegular(file, opts);
  if (!c.ok) return c;
  let fd: number;
  try {
    fd = fs.openSync(c.real, READ_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { ok: false, problem: { file, reason: 'not-regular', message: `${file}: not read — replaced by a symbolic link while opening` } };
    if (code === 'ENOENT') return { ok: false, problem: { file, reason: 'missing', message: `${file}: not found` } };
    return { ok: false, problem: { file, reason: 'io', message: `${file}: cannot read (${code ?? 'error'})` } };
  }
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    return { ok: false, problem: { file, reason: 'io', message: `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})` } };
  }
  const max = opts.maxBytes ?? CAPS[opts.kind ?? 'other'];
  if (!st.isFile() || st.size > max) {
    fs.closeSync(fd);
    return {
      ok: false,
      problem: st.isFile()
        ? { file, reason: 'too-large', message: `${file}: not read — ${mb(st.size)} is over the ${mb(max)} limit for a ${kindName(opts.kind ?? 'other')}` }
        : { file, reason: 'not-regular', message: `${file}: not read — ${fileType(st)}, not a regular file`, type: fileType(st) },
    };
  }
  return { ok: true, file: { fd, real: c.real, size: st.size, stat: st } };
}

/**
 * Read a whole file under the policy (at most the cap, even if it grows while being read).
 * For small files: configs, summaries, pointer files, SQLite images.
 */
export function readBytes(file: string, opts: IngressOptions = {}): { ok: true; bytes: Buffer; real: string; stat: fs.Stats } | { ok: false; problem: IngressProblem } {
  const o = openRegular(file, opts);
  if (!o.ok) return o;
  const { fd, size, real, stat } = o.file;
  try {
    const max = opts.maxBytes ?? CAPS[opts.kind ?? 'other'];
    const want = Math.min(size, max);
    const buf = Buffer.allocUnsafe(want);
    let off = 0;
    while (off < want) {
      const n = fs.readSync(fd, buf, off, want - off, off);
      if (n === 0) break;
      off += n;
    }
    return { ok: true, bytes: off === want ? buf : buf.subarray(0, off), real, stat };
  } catch (e) {
    return { ok: false, problem: { file, reason: 'io', message: `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})` } };
  } finally {
    fs.closeSync(fd);
  }
}

/** {@link readBytes} decoded as UTF-8 (a leading BOM dropped). */
export function readText(file: string, opts: IngressOptions = {}): { ok: true; text: string; real: string; stat: fs.Stats } | { ok: false; problem: IngressProblem } {
  const r = readBytes(file, opts);
  if (!r.ok) return r;
  let text = r.bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ok: true, text, real: r.real, stat: r.stat };
}

/** Async open for streaming readers (JSONL tail): same checks, a `FileHandle`. */
export async function openRegularAsync(file: string, opts: IngressOptions = {}): Promise<{ ok: true; fh: fs.promises.FileHandle; real: string; stat: fs.Stats } | { ok: false; problem: IngressProblem }> {
  const c = checkRegular(file, { ...opts, maxBytes: opts.maxBytes ?? CAPS[opts.kind ?? 'trace'] });
  if (!c.ok) return c;
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(c.real, READ_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, problem: { file, reason: code === 'ENOENT' ? 'missing' : code === 'ELOOP' ? 'not-regular' : 'io', message: `${file}: cannot read (${code ?? 'error'})` } };
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    return { ok: false, problem: { file, reason: 'not-regular', message: `${file}: not read — ${fileType(st)}, not a regular file`, type: fileType(st) } };
  }
  return { ok: true, fh, real: c.real, stat: st };
}
