/**
 * Maps source paths written in a trace onto the workspace (formats.md §1a: flowscribe 0.1 writes
 * absolute paths of the machine that ran the app, e.g. `/srv/trader-ci/trader/premarket.py`).
 * Pure Node `fs`; synchronous with caches, so tree views can call it while rendering.
 *
 * The ingress policy applies: a path resolves only to a regular file whose real path lies inside
 * the workspace root, or inside the target of a user path mapping (a trusted-only setting). A
 * failure at `/etc/passwd`, `../../../etc/passwd` or a link in the workspace leading out of it
 * resolves to nothing, so no view puts a diagnostic on it or opens it.
 */
import * as path from 'node:path';
import { checkRegular, isInside } from './ingress/safeFile';

/** One prefix rewrite that was used, with how many distinct trace paths it resolved. */
export interface PathMapping {
  /** Prefix as written in the trace (no trailing slash), e.g. `/srv/trader-ci`. */
  from: string;
  /** Absolute prefix on this machine it was mapped to. */
  to: string;
  count: number;
  /** `user` = from the `pathMappings` setting; `suffix` = learned by longest-suffix matching. */
  origin: 'user' | 'suffix';
}

/** The outcome of resolving one trace path. */
export interface ResolveResult {
  /** Absolute path of an existing file, when one was found. */
  path?: string;
  /** Every absolute candidate that was checked, in order (for "file not found" messages). */
  tried: string[];
}

export interface PathMapperOptions {
  /**
   * Existence check (tests may stub it; containment is then checked on the paths as written);
   * default: a regular file whose real path lies inside the allowed folder.
   */
  isFile?: (p: string) => boolean;
}

interface Rewrite {
  from: string; // normalised, no trailing slash
  to: string; // absolute
  origin: 'user' | 'suffix';
  count: number;
}

/** A regular file whose real path lies inside `within` (never opened: realpath + stat). */
function regularInside(p: string, within: string): boolean {
  return checkRegular(p, { root: within, maxBytes: Number.POSITIVE_INFINITY }).ok;
}

/** Forward slashes, no `file://`, no trailing slash (but keep `/` and `C:/`). */
function normalise(p: string): string {
  let s = p.trim();
  if (s.startsWith('file://')) s = s.slice('file://'.length);
  s = s.replace(/\\/g, '/').replace(/\/{2,}/g, '/');
  if (s.length > 1 && s.endsWith('/') && !/^[A-Za-z]:\/$/.test(s)) s = s.slice(0, -1);
  return s;
}

function isAbsoluteAnywhere(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:\//.test(p);
}

/** `true` when `p` equals `prefix` or continues it after a path separator. */
function hasPrefix(p: string, prefix: string): boolean {
  if (prefix === '' || prefix === '/') return p.startsWith('/');
  return p === prefix || p.startsWith(prefix + '/');
}

/**
 * Resolves trace file paths to files in the workspace.
 * Order: user mappings (longest `from` first) → the path as given (relative paths against the
 * root) → prefixes learned earlier → the longest path suffix that exists under the root.
 */
export class PathMapper {
  private readonly root: string;
  private readonly isFile: ((p: string) => boolean) | undefined;
  private readonly user: Rewrite[];
  private readonly learned: Rewrite[] = [];
  private readonly cache = new Map<string, ResolveResult>();

  constructor(root: string, userMappings: Record<string, string> = {}, opts: PathMapperOptions = {}) {
    this.root = path.resolve(root);
    this.isFile = opts.isFile;
    this.user = Object.entries(userMappings)
      .filter(([from]) => from.trim() !== '')
      .map(([from, to]) => ({
        from: normalise(from),
        to: path.resolve(this.root, normalise(to)),
        origin: 'user' as const,
        count: 0,
      }))
      .sort((a, b) => b.from.length - a.from.length);
  }

  /** Map one trace path; cached per path, so repeated calls are cheap and counted once. */
  resolve(file: string): ResolveResult {
    const hit = this.cache.get(file);
    if (hit) return hit;
    const result = this.compute(file);
    this.cache.set(file, result);
    return result;
  }

  /** Prefix rewrites that resolved at least one path (user mappings listed even if unused). */
  mappings(): PathMapping[] {
    return [...this.user, ...this.learned].map((r) => ({ from: r.from, to: r.to, count: r.count, origin: r.origin }));
  }

  /** Forget cached results (e.g. after files were created or the settings changed). */
  clearCache(): void {
    this.cache.clear();
  }

  private compute(file: string): ResolveResult {
    const tried: string[] = [];
    if (typeof file !== 'string' || file.trim() === '') return { tried };
    const p = normalise(file);
    /** `candidate` exists as a regular file inside `within` (the root, or a user mapping's target). */
    const check = (candidate: string, within: string = this.root): boolean => {
      tried.push(candidate);
      // Outside as written: never looked at (no stat of /etc/passwd).
      if (!isInside(within, path.resolve(candidate))) return false;
      if (this.isFile) return this.isFile(candidate);
      return regularInside(candidate, within);
    };

    for (const r of this.user) {
      if (!hasPrefix(p, r.from)) continue;
      const rest = p.slice(r.from.length).replace(/^\//, '');
      const candidate = path.join(r.to, rest);
      if (check(candidate, r.to)) {
        r.count++;
        return { path: candidate, tried };
      }
    }

    const asGiven = isAbsoluteAnywhere(p) ? path.resolve(p) : path.resolve(this.root, p);
    if (check(asGiven)) return { path: asGiven, tried };

    for (const r of this.learned) {
      if (!hasPrefix(p, r.from)) continue;
      const candidate = path.join(r.to, p.slice(r.from.length).replace(/^\//, ''));
      if (check(candidate)) {
        r.count++;
        return { path: candidate, tried };
      }
    }

    const segments = p.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.includes('..')) return { tried };
    // Longest suffix first: drop as few leading segments as possible.
    // `/srv/x/a.py` may live at `<root>/srv/x/a.py` (i = 0); a drive letter never does.
    const first = p.startsWith('/') ? 0 : 1;
    for (let i = first; i < segments.length; i++) {
      const candidate = path.join(this.root, ...segments.slice(i));
      if (check(candidate)) {
        const from = (p.startsWith('/') ? '/' : '') + segments.slice(0, i).join('/');
        this.learn(from, this.root);
        return { path: candidate, tried };
      }
    }
    return { tried };
  }

  private learn(from: string, to: string): void {
    const existing = this.learned.find((r) => r.from === from && r.to === to);
    if (existing) {
      existing.count++;
      return;
    }
    this.learned.push({ from, to, origin: 'suffix', count: 1 });
    // Longest prefix first so a more specific learned rewrite wins.
    this.learned.sort((a, b) => b.from.length - a.from.length);
  }
}
