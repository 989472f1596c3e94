/** Test helpers: build databases on the fly with python3's sqlite3 module and query them with the sqlite3 CLI. */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../../../..');
export const FIXTURES = path.join(REPO, 'test', 'fixtures');

/** A fresh temp folder, removed by the returned cleanup. */
export function tmpDir(prefix = 'flowlens-sqlite-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Run a python3 script (argv after the script: `args`), return its stdout. */
export function py(code: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** Query with the sqlite3 CLI (JSON output). It may checkpoint a WAL: only ever run it on a copy. */
export function cli<T = Record<string, unknown>>(db: string, sql: string): T[] {
  const out = execFileSync('sqlite3', ['-json', db, sql], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.trim() ? (JSON.parse(out) as T[]) : [];
}

/** Copy `src` (and its -wal if present) into `dir`; returns the new path. */
export function copyStore(src: string, dir: string): string {
  const dst = path.join(dir, path.basename(src));
  fs.copyFileSync(src, dst);
  if (fs.existsSync(src + '-wal')) fs.copyFileSync(src + '-wal', dst + '-wal');
  return dst;
}

/** Fingerprint of every file in a folder: name → content hash. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, n);
    if (fs.statSync(p).isFile()) out[n] = crypto.createHash('sha1').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

/** A python process that prints lines; `until(re)` waits for a line matching re. */
export class PyProc {
  readonly proc: ChildProcessWithoutNullStreams;
  private buf = '';
  private waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  readonly exited: Promise<number | null>;
  constructor(code: string, ...args: string[]) {
    this.proc = spawn('python3', ['-u', '-c', code, ...args]);
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.waiters = this.waiters.filter((w) => (w.re.test(line) ? (w.resolve(line), false) : true));
      }
    });
    let err = '';
    this.proc.stderr.on('data', (d) => (err += String(d)));
    this.exited = new Promise((res) =>
      this.proc.on('exit', (c) => {
        if (c) process.stderr.write(err);
        res(c);
      }),
    );
  }
  until(re: RegExp): Promise<string> {
    return new Promise((resolve) => this.waiters.push({ re, resolve }));
  }
  send(line: string): void {
    this.proc.stdin.write(line + '\n');
  }
}
