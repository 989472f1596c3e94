// Fixture copies whose runs are not live: every file's mtime set to 2026-01-01, so the liveness
// window (recent writes) never makes a copied run look like it is still running.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Set the mtime (and atime) of every file and folder under `dir` to 2026-01-01; returns `dir`. */
export function age(dir: string): string {
  const old = new Date('2026-01-01T00:00:00Z');
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      if (!e.isSymbolicLink()) fs.utimesSync(p, old, old);
    }
  };
  walk(dir);
  return dir;
}

/** Copy `src` (links kept as links) into a new temp folder named after `prefix`, aged. */
export function copyAged(src: string, prefix: string): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.cpSync(src, dst, { recursive: true, verbatimSymlinks: true });
  return age(dst);
}
