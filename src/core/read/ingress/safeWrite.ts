/**
 * The one way Flowlens writes a file into a workspace (ask.md, summary.md, copilot_init.md, CLI
 * `--out`): only inside the workspace (real path of the folder checked), never through a symbolic
 * link (a temp file in the same folder, then `rename` over the target — rename replaces a link,
 * it never follows it), and never over a file Flowlens did not write: a file it writes carries
 * {@link OWN_MARK} (an HTML comment, invisible when rendered) and an existing file without it is
 * left alone.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside, realRoot } from './safeFile';

/** First line of every Markdown file Flowlens writes (how it recognises its own files). */
export const OWN_MARK = '<!-- written by Flowlens; regenerated on demand -->';

export type WriteRefusal = 'outside' | 'symlink' | 'not-ours' | 'not-regular' | 'io';

export type WriteResult = { ok: true; file: string; /** Bytes written (the mark included). */ bytes?: number } | { ok: false; file: string; reason: WriteRefusal; message: string };

export interface WriteOptions {
  /** The workspace folder (or extension storage) the file must land in. */
  root: string;
  /** Prepend {@link OWN_MARK} and refuse to replace a file without it (default true). */
  owned?: boolean;
  /** The user chose this exact target (a save dialog, `--out`): may replace any regular file. */
  userChosen?: boolean;
  /** Create `root` when it does not exist (default true: extension storage may not exist yet). */
  createRoot?: boolean;
}

/** True when `text` starts with Flowlens's own mark. */
export function isOwnText(text: string): boolean {
  return text.replace(/^\ufeff/, '').startsWith(OWN_MARK);
}

function readHead(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
    const b = Buffer.alloc(OWN_MARK.length + 8);
    const n = fs.readSync(fd, b, 0, b.length, 0);
    return b.subarray(0, n).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Create the missing folders of `dir` below the root, one at a time, each checked: the nearest
 * existing ancestor must resolve inside the root (so a linked folder leading outside is refused
 * before anything is created), and every folder created must be a real folder, not a link.
 */
function makeDirs(dir: string, rootReal: string): { ok: true; real: string } | { ok: false; reason: WriteRefusal; message: string } {
  const missing: string[] = [];
  let cur = dir;
  let real: string | undefined;
  for (;;) {
    try {
      real = fs.realpathSync(cur);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return { ok: false, reason: 'io', message: `cannot resolve its folder (${code ?? 'error'})` };
      // A dangling link is not a missing folder: creating through it would follow it.
      try {
        if (fs.lstatSync(cur).isSymbolicLink()) return { ok: false, reason: 'symlink', message: `its folder ${cur} is a symbolic link to a missing place` };
      } catch {
        /* truly missing */
      }
      const up = path.dirname(cur);
      if (up === cur) return { ok: false, reason: 'io', message: 'no existing folder above it' };
      missing.unshift(path.basename(cur));
      cur = up;
    }
  }
  if (!isInside(rootReal, real)) return { ok: false, reason: 'outside', message: `its folder resolves to ${real}, outside the workspace folder` };
  for (const name of missing) {
    const next = path.join(real, name);
    try {
      fs.mkdirSync(next);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return { ok: false, reason: 'io', message: `cannot create its folder (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    try {
      const st = fs.lstatSync(next);
      if (!st.isDirectory()) return { ok: false, reason: st.isSymbolicLink() ? 'symlink' : 'not-regular', message: `${next} is not a folder` };
    } catch (e) {
      return { ok: false, reason: 'io', message: `cannot create its folder (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    real = next;
  }
  return { ok: true, real };
}

/**
 * Write `content` to `target` under the policy. Creates missing folders below the root (each
 * checked to stay inside it; the root itself is created when missing — it is Flowlens's to
 * choose: a workspace folder or extension storage). Returns a refusal instead of throwing.
 */
export function safeWriteFile(target: string, content: string, opts: WriteOptions): WriteResult {
  const owned = opts.owned !== false;
  const abs = path.resolve(opts.root, target);
  const refuse = (reason: WriteRefusal, why: string): WriteResult => ({ ok: false, file: abs, reason, message: `${abs}: not written — ${why}` });
  try {
    if (opts.createRoot !== false && !fs.existsSync(opts.root)) fs.mkdirSync(opts.root, { recursive: true });
  } catch (e) {
    return refuse('io', `cannot create ${opts.root} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!fs.existsSync(opts.root)) return refuse('io', `its folder ${opts.root} does not exist`);
  const rootReal = realRoot(opts.root);
  if (!isInside(path.resolve(opts.root), abs)) return refuse('outside', `it lies outside ${opts.root}`);
  const made = makeDirs(path.dirname(abs), rootReal);
  if (!made.ok) return refuse(made.reason, made.message);
  const dirReal = made.real;
  const real = path.join(dirReal, path.basename(abs));
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(real);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink()) return refuse('symlink', 'it is a symbolic link (Flowlens never writes through links)');
  if (st && !st.isFile()) return refuse('not-regular', 'it exists and is not a regular file');
  if (st && owned && !opts.userChosen) {
    const head = readHead(real);
    if (head === undefined || !isOwnText(head)) return refuse('not-ours', 'the file exists and was not written by Flowlens');
  }
  const body = owned && !isOwnText(content) ? `${OWN_MARK}\n${content}` : content;
  const tmp = path.join(dirReal, `.${path.basename(abs)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx': exclusive create — never opens an existing file or follows a link planted at tmp.
    fs.writeFileSync(tmp, body, { flag: 'wx', mode: 0o644 });
    fs.renameSync(tmp, real);
    return { ok: true, file: real, bytes: Buffer.byteLength(body) };
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    return refuse('io', `write failed (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The name Flowlens writes instead of `name` when a file it did not write holds that name. */
export function besideName(name: string): string {
  return `flowlens-${name}`;
}

/**
 * {@link safeWriteFile}, and when the target exists but is not Flowlens's (a producer's own
 * `summary.md` or `ask.md`), write `flowlens-<name>` in the same folder instead (under the same
 * policy). `instead` names the file that was left alone.
 */
export function safeWriteBeside(target: string, content: string, opts: WriteOptions): WriteResult & { instead?: string } {
  const r = safeWriteFile(target, content, opts);
  if (r.ok || r.reason !== 'not-ours') return r;
  const alt = path.join(path.dirname(r.file), besideName(path.basename(r.file)));
  const r2 = safeWriteFile(alt, content, opts);
  return { ...r2, instead: r.file };
}

/** Remove {@link OWN_MARK} (and its newline) from the start of a file's text, for comparisons. */
export function stripOwnMark(text: string): string {
  const t = text.replace(/^\ufeff/, '');
  return t.startsWith(OWN_MARK) ? t.slice(OWN_MARK.length).replace(/^\r?\n/, '') : text;
}
