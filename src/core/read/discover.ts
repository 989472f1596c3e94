/**
 * Finds every trace source under a workspace folder: the v1 layout (formats.md §1b), flowscribe
 * 0.1 run folders (§1a), Grain/Assay queues (§3), esper-lite telemetry (§6), SQLite stores
 * (§2–§5) and user globs. Layout decides the *kind*; the dialect is detected later from content.
 *
 * The walk is bounded (depth and entries), skips dependency/VCS folders, and never follows a
 * directory symlink into a folder it has already visited (no loops). The standard locations do
 * not depend on that budget: `.autodev/trace.jsonl`, `.autodev/trace.db`, `.autodev/latest` and
 * the run folders of `.autodev/runs/` are looked up directly, and every `runs/` folder is read
 * newest first (by name: run ids start with a timestamp) up to `maxRunFolders` run folders in
 * all, with a message naming the folder and how many older run folders were not read.
 *
 * The ingress policy applies to what is found: a symbolic link (folder or file) whose real path
 * leaves the workspace folder is not followed, and a trace file that is not a regular file (a
 * FIFO, socket, device, or a link to one such as /dev/zero) is not listed — each with a note
 * naming the entry (and where a link points) in `problems`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { fileType, readBytes } from './ingress/safeFile';
import { sniffOtlpFile } from './sources/otlpFile';

/**
 * What a discovered file is, by its place in the layout:
 * - `trace-rolling`: `.autodev/trace.jsonl`, all v1 runs appended (§1b)
 * - `trace-run`: `…/runs/<id>/trace.jsonl`, one run (v1 under `.autodev/`, or flowscribe 0.1)
 * - `trace-db`: a flowscribe SQLite sink `trace.db` (§2), in a run folder or `.autodev/`
 * - `summary-md`: `…/runs/<id>/summary.md` (0.1 flow names; its presence means the run ended)
 * - `queue`: `.grain/telemetry_queue.jsonl`, `.assay/telemetry_queue.jsonl` (§3)
 * - `esper`: `telemetry_*\/events.jsonl` (§6), one run per folder
 * - `sqlite`: any other `*.db`, `*.db3`, `*.sqlite`, `*.sqlite3` (a store; §3–§5)
 * - `otlp`: OpenTelemetry trace output (docs/otel.md "Reading OTLP"): `*.otlp.json`, `*.otlp.jsonl`,
 *   `*.otlp.ndjson` anywhere, and `*.json`/`*.jsonl`/`*.ndjson` in a folder named `otel`, `otlp`,
 *   `.otel` or `opentelemetry` whose first bytes hold OTLP traces (`resourceSpans`) or
 *   ConsoleSpanExporter spans
 * - `jsonl`: a file matched only by a user glob (read as OTLP when its first bytes are)
 */
export type SourceKind = 'trace-rolling' | 'trace-run' | 'trace-db' | 'summary-md' | 'queue' | 'esper' | 'sqlite' | 'otlp' | 'jsonl';

export interface DiscoveredSource {
  /** Absolute path. */
  file: string;
  kind: SourceKind;
  /** Run id implied by the layout: the run folder (`runs/<id>/`) or the telemetry folder name. */
  runHint?: string;
  /** `queue` only: the producer named by the folder (`grain`, `assay`). */
  producer?: string;
}

export interface Discovery {
  /** Sorted by path. */
  sources: DiscoveredSource[];
  /**
   * v1 run folders (`.autodev/runs/<id>/`) not listed in `sources` that still stand for their id
   * ({@link discoverFile}: the one file read is named like one of them).
   */
  runFolders?: string[];
  /** From `.autodev/latest` (a symlink to `runs/<id>`, or a text file holding `<id>` or `runs/<id>`). */
  latestRunId?: string;
  /** Human-readable, each naming the file concerned. */
  problems: string[];
}

export interface DiscoverOptions {
  /** Extra files to read, as globs relative to the root (picomatch syntax, e.g. `logs/**\/*.jsonl`). */
  extraGlobs?: string[];
  /** Deepest folder visited (root = 0). Default 4: `.autodev/runs/<id>/` is 3, `a/b/runs/<ts>/` is 4. */
  maxDepth?: number;
  /** Entries (files + folders) examined before the walk stops. Default 20000. */
  maxEntries?: number;
  /**
   * Run folders (`…/runs/<id>/`) read in all, newest first by name; `.autodev/runs/` is served
   * first. Not part of `maxEntries`. Default {@link DEFAULT_MAX_RUN_FOLDERS}.
   */
  maxRunFolders?: number;
}

/** Default for {@link DiscoverOptions.maxRunFolders}. */
export const DEFAULT_MAX_RUN_FOLDERS = 5000;

/** Folders never entered. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  '.venv',
  'venv',
  '__pycache__',
  '.tox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
]);

const SQLITE_EXT = /\.(db|db3|sqlite|sqlite3)$/i;
/** OpenTelemetry output by name (docs/otel.md "Reading OTLP"). */
const OTLP_NAME = /\.otlp\.(json|jsonl|ndjson)$/i;
/** Folders whose JSON files are OpenTelemetry output when their first bytes say so. */
const OTLP_DIRS: ReadonlySet<string> = new Set(['otel', 'otlp', '.otel', 'opentelemetry']);
const JSON_EXT = /\.(json|jsonl|ndjson)$/i;

/** A JSON file in an OpenTelemetry folder: OTLP only when its first bytes are (sniffed when listed). */
function otlpByFolder(rel: string[], name: string): boolean {
  const parent = rel.length >= 2 ? rel[rel.length - 2] : '';
  return OTLP_DIRS.has(parent.toLowerCase()) && JSON_EXT.test(name) && !OTLP_NAME.test(name);
}
const LATEST_MAX_BYTES = 4096;

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** What a folder entry is, after following a link (never opened). */
type Entry = { t: 'dir' } | { t: 'file' } | { t: 'special'; what: string } | { t: 'outside'; real: string; dir: boolean };

function direntType(d: fs.Dirent): string {
  if (d.isFIFO()) return 'a FIFO';
  if (d.isSocket()) return 'a socket';
  if (d.isCharacterDevice()) return 'a character device';
  if (d.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function classify(rel: string[], name: string): Omit<DiscoveredSource, 'file'> | undefined {
  const parent = rel.length >= 2 ? rel[rel.length - 2] : '';
  const grand = rel.length >= 3 ? rel[rel.length - 3] : '';
  if (name === 'trace.jsonl' && parent === '.autodev') return { kind: 'trace-rolling' };
  if (grand === 'runs' && parent !== '') {
    if (name === 'trace.jsonl') return { kind: 'trace-run', runHint: parent };
    if (name === 'trace.db') return { kind: 'trace-db', runHint: parent };
    if (name === 'summary.md') return { kind: 'summary-md', runHint: parent };
  }
  if (name === 'trace.db' && parent === '.autodev') return { kind: 'trace-db' };
  if (name === 'telemetry_queue.jsonl' && parent.startsWith('.') && parent.length > 1) {
    return { kind: 'queue', producer: parent.slice(1) };
  }
  if (name === 'events.jsonl' && parent.startsWith('telemetry_')) return { kind: 'esper', runHint: parent };
  if (OTLP_NAME.test(name) || otlpByFolder(rel, name)) return { kind: 'otlp' };
  if (SQLITE_EXT.test(name)) return { kind: 'sqlite' };
  return undefined;
}

/**
 * Discover trace sources under `root`. Synchronous and bounded; never throws (unreadable folders
 * and odd `latest` files become `problems`).
 */
export function discover(root: string, opts: DiscoverOptions = {}): Discovery {
  const absRoot = path.resolve(root);
  const maxDepth = opts.maxDepth ?? 4;
  const maxEntries = opts.maxEntries ?? 20000;
  let runBudget = Math.max(0, Math.floor(opts.maxRunFolders ?? DEFAULT_MAX_RUN_FOLDERS));
  const problems: string[] = [];
  const noted = new Set<string>();
  const note = (text: string): void => {
    if (noted.has(text)) return;
    noted.add(text);
    problems.push(text);
  };
  const sources: DiscoveredSource[] = [];
  const seenFiles = new Set<string>();
  const globs = (opts.extraGlobs ?? []).filter((g) => g.trim() !== '');
  const extra = globs.length > 0 ? picomatch(globs, { dot: true }) : undefined;

  type Dir = { dir: string; rel: string[]; runs?: boolean };
  const visited = new Set<string>();
  let entries = 0;
  let stopped = false;
  // Breadth-first so the entry bound cuts the deepest folders first. Symlinked folders wait until
  // every real folder was walked, so a file is reported under its real path when both exist.
  const queue: Dir[] = [];
  const linked: Dir[] = [];
  let rootReal: string;
  try {
    rootReal = fs.realpathSync(absRoot);
    visited.add(rootReal);
  } catch (e) {
    problems.push(`${absRoot}: cannot read workspace folder (${errorText(e)})`);
    return { sources, problems };
  }
  const latestRunId = readLatest(absRoot, problems);

  /** What `full` is once links are followed; a real path outside the root is `outside`. */
  const resolveEntry = (full: string): Entry | undefined => {
    const real = realpath(full);
    if (real === undefined) return undefined; // dangling link or gone
    let st: fs.Stats;
    try {
      st = fs.statSync(real);
    } catch {
      return undefined;
    }
    if (!isInside(rootReal, real)) return { t: 'outside', real, dir: st.isDirectory() };
    if (st.isDirectory()) return { t: 'dir' };
    if (st.isFile()) return { t: 'file' };
    return { t: 'special', what: fileType(st) };
  };
  const entryOf = (full: string, d: fs.Dirent): Entry | undefined => {
    if (d.isSymbolicLink()) return resolveEntry(full);
    if (d.isDirectory()) return { t: 'dir' };
    if (d.isFile()) return { t: 'file' };
    return { t: 'special', what: direntType(d) };
  };
  const wanted = (rel: string[], name: string): boolean => classify(rel, name) !== undefined || (extra !== undefined && extra(rel.join('/')));
  const noteOutside = (full: string, real: string): void => note(`${full}: symbolic link to ${real}, outside the workspace folder; not read`);
  /** A non-folder entry: listed when it is a regular file inside the root, else noted (if it would have been read). */
  const addEntry = (full: string, rel: string[], name: string, e: Entry): void => {
    if (e.t === 'file') return addFile(full, rel, name);
    if (e.t === 'dir' || !wanted(rel, name)) return;
    if (e.t === 'outside') noteOutside(full, e.real);
    else note(`${full}: ${e.what}, not a regular file; not read`);
  };
  const addFile = (full: string, rel: string[], name: string): void => {
    if (seenFiles.has(full)) return;
    let c = classify(rel, name);
    // A JSON file in an `otel/` folder is listed only when it holds OpenTelemetry traces.
    if (c?.kind === 'otlp' && otlpByFolder(rel, name) && sniffOtlpFile(full, { root: absRoot }) === undefined) c = undefined;
    if (c) sources.push({ file: full, ...c });
    else if (extra && extra(rel.join('/'))) sources.push({ file: full, kind: SQLITE_EXT.test(name) ? 'sqlite' : 'jsonl' });
    else return;
    seenFiles.add(full);
  };
  const list = (dir: string): fs.Dirent[] | undefined => {
    try {
      return fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      problems.push(`${dir}: cannot list folder (${errorText(e)})`);
      return undefined;
    }
  };

  /**
   * A `runs/` folder: its run folders newest first (ids start with a timestamp), within the
   * run-folder budget, outside the entry budget; the run `latest` names is always read. Files in
   * run folders are classified here; deeper folders go to the bounded walk.
   */
  const readRuns = (dir: string, rel: string[]): void => {
    const dirents = list(dir);
    if (!dirents) return;
    const folders: { name: string; full: string; link: boolean }[] = [];
    for (const d of dirents) {
      const full = path.join(dir, d.name);
      const e = entryOf(full, d);
      if (!e) continue;
      if (e.t === 'dir') folders.push({ name: d.name, full, link: d.isSymbolicLink() });
      else if (e.t === 'outside' && e.dir) noteOutside(full, e.real); // a run folder linked from elsewhere
      else addEntry(full, [...rel, d.name], d.name, e);
    }
    folders.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    const kept = folders.slice(0, runBudget);
    runBudget -= kept.length;
    if (kept.length < folders.length) {
      const isLatest = rel.length === 2 && rel[0] === '.autodev' && latestRunId !== undefined;
      const latest = isLatest ? folders.slice(kept.length).find((f) => f.name === latestRunId) : undefined;
      if (latest) kept.push(latest);
      const notRead = folders.length - kept.length;
      problems.push(
        kept.length > (latest ? 1 : 0)
          ? `${dir}: ${folders.length} run folders; reading the newest ${kept.length - (latest ? 1 : 0)} by name${latest ? ' and the one .autodev/latest names' : ''}, ${notRead} older not read (run folder limit ${opts.maxRunFolders ?? DEFAULT_MAX_RUN_FOLDERS}; raise flowlens.maxRunFolders)`
          : `${dir}: ${folders.length} run folders not read${latest ? ' (except the one .autodev/latest names)' : ''}: the run folder limit (${opts.maxRunFolders ?? DEFAULT_MAX_RUN_FOLDERS}) was used by other runs/ folders; raise flowlens.maxRunFolders`,
      );
    }
    // Real folders first, so a run reached through a link is reported under its real path.
    for (const f of [...kept.filter((x) => !x.link), ...kept.filter((x) => x.link)]) {
      const real = realpath(f.full);
      if (real === undefined || visited.has(real)) continue;
      visited.add(real);
      const runRel = [...rel, f.name];
      const inner = list(f.full);
      if (!inner) continue;
      for (const d of inner) {
        const full = path.join(f.full, d.name);
        const childRel = [...runRel, d.name];
        if (d.isDirectory() && !d.isSymbolicLink() && (runRel.length + 1 > maxDepth || SKIPPED_DIRS.has(d.name))) continue;
        const e = entryOf(full, d);
        if (!e) continue;
        if (e.t === 'dir') {
          // Deeper than a run folder: an ordinary folder for the bounded walk.
          if (runRel.length + 1 <= maxDepth && !SKIPPED_DIRS.has(d.name)) (d.isSymbolicLink() ? linked : queue).push({ dir: full, rel: childRel });
        } else if (e.t === 'outside' && e.dir) {
          if (runRel.length + 1 <= maxDepth && !SKIPPED_DIRS.has(d.name)) noteOutside(full, e.real);
        } else addEntry(full, childRel, d.name, e);
      }
    }
  };

  // The standard locations first, whatever the walk's budget (formats.md §1b).
  const autodev = path.join(absRoot, '.autodev');
  for (const name of ['trace.jsonl', 'trace.db']) {
    const full = path.join(autodev, name);
    const e = resolveEntry(full);
    if (e) addEntry(full, ['.autodev', name], name, e);
  }
  const autodevRuns = path.join(autodev, 'runs');
  if (maxDepth >= 3 && isDirectory(autodevRuns)) {
    const real = realpath(autodevRuns);
    if (real !== undefined && !isInside(rootReal, real)) noteOutside(autodevRuns, real);
    else if (real !== undefined && !visited.has(real)) {
      visited.add(real);
      readRuns(autodevRuns, ['.autodev', 'runs']);
    }
  }

  queue.unshift({ dir: absRoot, rel: [] });
  while ((queue.length > 0 || linked.length > 0) && !stopped) {
    const fromLink = queue.length === 0;
    const { dir, rel, runs } = (fromLink ? linked.shift() : queue.shift()) as Dir;
    if (fromLink) {
      const real = realpath(dir);
      if (real === undefined || visited.has(real)) continue;
      visited.add(real);
    }
    if (runs) {
      readRuns(dir, rel);
      continue;
    }
    const dirents = list(dir);
    if (!dirents) continue;
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      if (++entries > maxEntries) {
        problems.push(`${absRoot}: discovery stopped after ${maxEntries} entries; some sources may be missing`);
        stopped = true;
        break;
      }
      const full = path.join(dir, d.name);
      const childRel = [...rel, d.name];
      const isLink = d.isSymbolicLink();
      // `.autodev/latest` is read as a pointer above, never walked.
      if (isLink && d.name === 'latest' && rel[rel.length - 1] === '.autodev') continue;
      const k = entryOf(full, d);
      if (!k) continue;
      if (k.t === 'outside' && k.dir) {
        if (!SKIPPED_DIRS.has(d.name) && rel.length + 1 <= maxDepth) noteOutside(full, k.real);
        continue;
      }
      if (k.t === 'dir') {
        if (SKIPPED_DIRS.has(d.name) || rel.length + 1 > maxDepth) continue;
        // A `runs/` folder whose run folders are within the depth is read newest first.
        const runs = d.name === 'runs' && rel.length + 2 <= maxDepth;
        if (isLink) {
          linked.push({ dir: full, rel: childRel, runs });
          continue;
        }
        const real = realpath(full);
        if (real === undefined || visited.has(real)) continue;
        visited.add(real);
        queue.push({ dir: full, rel: childRel, runs });
      } else {
        addEntry(full, childRel, d.name, k);
      }
    }
  }
  // `runs/` folders already found are read even when the walk stopped (their own budget).
  for (const q of [...queue, ...linked]) {
    if (!q.runs) continue;
    const real = realpath(q.dir);
    if (linked.includes(q)) {
      if (real === undefined || visited.has(real)) continue;
      visited.add(real);
    }
    readRuns(q.dir, q.rel);
  }

  sources.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { sources, latestRunId, problems };
}

/**
 * One file the user named (the CLI's PATH), listed as {@link discover} lists it when it walks
 * `root`: its kind and run hint by its place in the layout (a file in no known place is `jsonl`,
 * or `sqlite` by its extension), the `summary.md` beside it (0.1 flow names, §1a), and in
 * `runFolders` the v1 run folder named like its run folder — so a 0.1 run gets the id it gets
 * when the whole folder is read (`runs/<id>` when `.autodev/runs/<id>/` exists). No walk.
 */
export function discoverFile(root: string, file: string): Discovery {
  const absRoot = path.resolve(root);
  const abs = path.resolve(file);
  const name = path.basename(abs);
  const relPath = path.relative(absRoot, abs);
  const rel = isInside(absRoot, abs) ? relPath.split(path.sep) : [name];
  const c = classify(rel, name) ?? { kind: SQLITE_EXT.test(name) ? 'sqlite' : 'jsonl' };
  const sources: DiscoveredSource[] = [{ file: abs, ...c }];
  const summary = path.join(path.dirname(abs), 'summary.md');
  if (c.kind !== 'summary-md' && isFile(summary)) sources.push({ file: summary, kind: 'summary-md', runHint: path.basename(path.dirname(abs)) });
  const runFolders: string[] = [];
  const hint = c.runHint;
  if (hint !== undefined && !(rel.length >= 3 && rel[0] === '.autodev' && rel[1] === 'runs')) {
    if (isDirectory(path.join(absRoot, '.autodev', 'runs', hint))) runFolders.push(hint);
  }
  sources.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { sources, runFolders, problems: [] };
}

/**
 * The workspace folder a trace file belongs to: the nearest ancestor (up to 6 levels) holding
 * `.autodev/`, else the file's folder. Its ra.yaml/flows.yaml and path mapping apply.
 */
export function workspaceOf(file: string): string {
  let dir = path.dirname(path.resolve(file));
  for (let i = 0; i < 6; i++) {
    if (isDirectory(path.join(dir, '.autodev'))) return dir;
    if (path.basename(dir) === '.autodev') return path.dirname(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.dirname(path.resolve(file));
}

function isFile(p: string): boolean {
  try {
    return fs.lstatSync(p).isFile();
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Read `.autodev/latest` (§1b): a symlink to `runs/<id>`, or a text file holding `<id>` or
 * `runs/<id>`. A target outside the workspace is reported and not followed.
 */
export function readLatest(root: string, problems: string[] = []): string | undefined {
  const autodev = path.join(root, '.autodev');
  const latest = path.join(autodev, 'latest');
  let st: fs.Stats;
  try {
    st = fs.lstatSync(latest);
  } catch {
    return undefined;
  }
  let target: string;
  if (st.isSymbolicLink()) {
    try {
      target = fs.readlinkSync(latest);
    } catch (e) {
      problems.push(`${latest}: cannot read symlink (${errorText(e)})`);
      return undefined;
    }
  } else if (st.isFile()) {
    // The ingress policy: a regular file inside the workspace, at most LATEST_MAX_BYTES.
    const r = readBytes(latest, { root, kind: 'pointer', maxBytes: LATEST_MAX_BYTES });
    if (!r.ok) {
      problems.push(r.problem.message);
      return undefined;
    }
    target = r.bytes.toString('utf8').replace(/^\uFEFF/, '').trim();
    if (target.includes('\n') || target === '') {
      problems.push(`${latest}: expected one run id or runs/<id>, found ${target === '' ? 'an empty file' : 'several lines'}`);
      return undefined;
    }
  } else {
    problems.push(`${latest}: neither a symlink nor a text file; ignored`);
    return undefined;
  }
  const resolved = path.resolve(autodev, target.replace(/\\/g, '/'));
  if (!isInside(root, resolved)) {
    problems.push(`${latest}: points outside the workspace (${target}); not followed`);
    return undefined;
  }
  if (st.isSymbolicLink()) {
    try {
      const real = fs.realpathSync(resolved);
      if (!isInside(fs.realpathSync(root), real)) {
        problems.push(`${latest}: points outside the workspace (${target} → ${real}); not followed`);
        return undefined;
      }
    } catch {
      problems.push(`${latest}: points to a missing run folder (${target})`);
    }
  }
  const id = path.basename(resolved);
  if (id === '' || id === '.autodev' || id === 'runs') {
    problems.push(`${latest}: does not name a run (${target})`);
    return undefined;
  }
  return id;
}

function realpath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ?? (e instanceof Error ? e.message : String(e));
}
