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

export type WriteResult = { ok: true; file: string } | { ok: false; file: string; reason: WriteRefusal; message: string };

export interface WriteOptions {
  /** The workspace folder (or extension storage) the file must land in. */
  root: string;
  /** Prepend {@link OWN_MARK} and refuse to replace a file without it (default true). */
  owned?: boolean;
  /** The user chose this exact target (a save dialog, `--out`): may replace any regular file. */
  userChosen?: boolean;
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
 * Write `content` to `target` under the policy. Creates missing folders below the root (each
 * checked to stay inside it). Returns a refusal instead of throwing.
 */
export function safeWriteFile(target: string, content: string, opts: WriteOptions): WriteResult {
  const owned = opts.owned !== false;
  const abs = path.resolve(opts.root, target);
  const rootReal = realRoot(opts.root);
  const dir = path.dirname(abs);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    return { ok: false, file: abs, reason: 'io', message: `${abs}: cannot create its folder (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  let dirReal: string;
  try {
    dirReal = fs.realpathSync(dir);
  } catch (e) {
    return { ok: false, file: abs, reason: 'io', message: `${abs}: cannot resolve its folder (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (!isInside(rootReal, dirReal)) {
    return { ok: false, file: abs, reason: 'outside', message: `${abs}: not written — its folder resolves to ${dirReal}, outside ${opts.root}` };
  }
  const real = path.join(dirReal, path.basename(abs));
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(real);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink()) {
    return { ok: false, file: abs, reason: 'symlink', message: `${abs}: not written — it is a symbolic link (Flowlens never writes through links)` };
  }
  if (st && !st.isFile()) {
    return { ok: false, file: abs, reason: 'not-regular', message: `${abs}: not written — it exists and is not a regular file` };
  }
  if (st && owned && !opts.userChosen) {
    const head = readHead(real);
    if (head === undefined || !isOwnText(head)) {
      return { ok: false, file: abs, reason: 'not-ours', message: `${abs}: not written — the file exists and was not written by Flowlens` };
    }
  }
  const body = owned && !isOwnText(content) ? `${OWN_MARK}\n${content}` : content;
  const tmp = path.join(dirReal, `.${path.basename(abs)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx': exclusive create — never opens an existing file or follows a link planted at tmp.
    fs.writeFileSync(tmp, body, { flag: 'wx', mode: 0o644 });
    fs.renameSync(tmp, real);
    return { ok: true, file: real };
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    return { ok: false, file: abs, reason: 'io', message: `${abs}: not written (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}
