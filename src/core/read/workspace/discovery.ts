/**
 * Discovery orchestration: which sources the workspace reads (a bounded walk of the folder, or one
 * file the user named), and bringing the open sources in line with them.
 */
import { discover, discoverFile, type Discovery } from '../discover';
import type { RunIdentity } from './identity';
import { AUTODEV_RUN, dropSource, openSource } from './sources';
import { posix, type ReadState } from './state';

/** Walk the root (or look at the one file) for sources. */
export function discoverSources(s: ReadState, only: string | undefined): Discovery {
  const o = s.opts;
  return only !== undefined
    ? discoverFile(s.root, only)
    : discover(s.root, { extraGlobs: o.extraGlobs, maxDepth: o.maxDepth, maxEntries: o.maxEntries, maxRunFolders: o.maxRunFolders });
}

/**
 * Open the sources that appeared, drop those that vanished, and claim the v1 run folders' ids
 * (so the rolling file's copies are skipped). True when the set of sources changed.
 */
export function syncSources(s: ReadState, identity: RunIdentity, d: Discovery, only?: string): boolean {
  const found = new Set(d.sources.map((x) => x.file));
  let changed = false;
  for (const [file, st] of [...s.states]) {
    if (found.has(file)) continue;
    changed = true;
    s.states.delete(file);
    dropSource(s, identity, st);
  }
  for (const src of d.sources) {
    if (s.states.has(src.file)) continue;
    changed = true;
    s.states.set(src.file, openSource(s, src, d.sources, src.file === only));
  }
  for (const src of d.sources) {
    if (src.kind === 'trace-run' && AUTODEV_RUN.test(posix(src.file)) && src.runHint) identity.claim(src.runHint);
  }
  for (const id of d.runFolders ?? []) identity.claim(id);
  return changed;
}
