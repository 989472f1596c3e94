/**
 * The CLI's code cache (docs/cli.md "Code cache", docs/decisions.md "The CLI's code cache"): the
 * bootstrap (bin.ts) loads the CLI proper (dist/cliMain.js, ~1.2 MB) through `vm.Script` with V8's
 * cached data — the bytecode of the bundle's top level *and of every function the command ran*,
 * made once at the end of a run and kept in the CLI's cache folder. A later process skips parsing
 * and compiling them: ~100 ms of CPU and ~50 ms of wall time per command on the 400k-line bench
 * file, ~20 ms for a small command.
 *
 * It holds compiled JavaScript of flowlens itself, never trace data. It is code, so it is read only
 * from a file and a folder this user owns that no one else can write (POSIX), and keyed by the
 * bundle's content (SHA-256), the Node version and the architecture: V8 itself checks only the
 * source's length and its own version and flags, and rejects what does not match (then the bundle
 * is compiled as usual and the cache rewritten). Anything unusable is ignored, never an error: the
 * cache only saves time.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** What the loader did (tests, `FLOWLENS_DEBUG_CODE_CACHE`). */
export interface CodeCacheState {
  /** The cache file for this bundle (absent: no usable cache folder). */
  file?: string;
  /** A cache was read and V8 accepted it. */
  accepted: boolean;
  /** A cache was read and V8 rejected it (a different V8, flags, or damaged data). */
  rejected: boolean;
  /** Why a cache file was not read (not this user's, writable by others, too big, not a file). */
  skipped?: string;
  /** The level of the cache read (see {@link requireWithCodeCache}). */
  level?: number;
  /** The cache will be (re)written when the process exits. */
  writes: boolean;
}

/** A cache file bigger than this is not read (the bundle's is ~0.6 MB). */
const MAX_CACHE_BYTES = 64 << 20;
const PREFIX = 'code-';
const SUFFIX = '.v8';

/** The parts of `node:module` this loader uses (some are not in its types). */
interface ModuleCtor {
  new (id: string, parent?: NodeModule): NodeModule & { paths: string[]; loaded: boolean };
  wrap(src: string): string;
  createRequire(file: string): NodeRequire;
  _nodeModulePaths(dir: string): string[];
  _cache: Record<string, NodeModule>;
}

/**
 * Why `st` (of a file or folder in the cache) must not be trusted with code, or undefined. On
 * POSIX: owned by this user and not writable by group or others. (Windows has no uid here: a
 * folder under the user's profile is the user's.)
 */
function untrusted(st: fs.Stats): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  if (st.uid !== uid) return 'not owned by this user';
  if ((st.mode & 0o022) !== 0) return 'writable by others';
  return undefined;
}

/** The cached data in `file` and its level, or why it was not read. */
function readCache(dir: string, file: string): { data?: Buffer; level?: number; skipped?: string } {
  let fd: number;
  try {
    const d = fs.statSync(dir);
    const bad = untrusted(d);
    if (bad) return { skipped: `cache folder ${bad}` };
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch {
    return {}; // no folder or no file yet
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { skipped: 'not a regular file' };
    const bad = untrusted(st);
    if (bad) return { skipped: `cache file ${bad}` };
    if (st.size < 2 || st.size > MAX_CACHE_BYTES) return { skipped: 'unexpected size' };
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < buf.length) {
      const n = fs.readSync(fd, buf, at, buf.length - at, at);
      if (n === 0) return { skipped: 'short read' };
      at += n;
    }
    return { level: buf[0], data: buf.subarray(1) };
  } catch {
    return {};
  } finally {
    fs.closeSync(fd);
  }
}

/** Write `data` (level `level`) as `file`, atomically, private; drop other bundles' caches. */
function writeCache(dir: string, file: string, level: number, data: Buffer): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, Buffer.of(level));
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  // One cache per bundle and Node: those of earlier builds are of no more use.
  const keep = path.basename(file);
  for (const name of fs.readdirSync(dir)) {
    if (name !== keep && name.startsWith(PREFIX) && name.endsWith(SUFFIX)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/**
 * `require(file)` (a CommonJS bundle), with V8's code cache kept in `dir` (undefined: a plain
 * `require`). `level` says how much of the bundle this command runs (0: a small command; 1: one
 * that indexes a big trace, which runs the index's merge too): a cache made by a lower-level run
 * is rewritten by a higher one, once, so the commands that gain most find their functions in it.
 * The cache is written when the process exits (it then holds what the command compiled), only
 * when none was accepted or its level was lower.
 */
export function requireWithCodeCache(file: string, dir: string | undefined, level: number, state?: CodeCacheState): unknown {
  const st: CodeCacheState = state ?? { accepted: false, rejected: false, writes: false };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (dir === undefined) return require(file);
  const Module = nodeModule.Module as unknown as ModuleCtor;
  const src = fs.readFileSync(file, 'utf8');
  const key = createHash('sha256').update(src).update(`\0${process.version}\0${process.arch}`).digest('hex').slice(0, 32);
  const cacheFile = path.join(dir, `${PREFIX}${key}${SUFFIX}`);
  st.file = cacheFile;
  const got = readCache(dir, cacheFile);
  st.skipped = got.skipped;
  st.level = got.level;
  const script = new vm.Script(Module.wrap(src), { filename: file, cachedData: got.data });
  st.accepted = got.data !== undefined && script.cachedDataRejected === false;
  st.rejected = got.data !== undefined && script.cachedDataRejected === true;
  // A skipped file (not trusted) is left alone: it is not ours to replace.
  st.writes = got.skipped === undefined && (!st.accepted || (got.level ?? 0) < level);
  const m = new Module(file, require.main);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  Module._cache[file] = m;
  if (st.writes) {
    process.once('exit', () => {
      try {
        writeCache(dir, cacheFile, level, script.createCachedData());
      } catch {
        // A folder that cannot be written: no cache, nothing else changes.
      }
    });
  }
  const fn = script.runInThisContext() as (exports: unknown, require: NodeRequire, module: NodeModule, filename: string, dirname: string) => void;
  try {
    fn.call(m.exports, m.exports, Module.createRequire(file), m, file, path.dirname(file));
  } catch (e) {
    delete Module._cache[file];
    throw e;
  }
  m.loaded = true;
  return m.exports;
}
