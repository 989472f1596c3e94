// The one safe reader (src/core/read/ingress/safeFile.ts) on real files: a FIFO, a link to /dev/zero,
// a socket, a link leading out of the root, a 100 MB sparse flows.yaml, a normal file. Each hostile
// case must come back at once as a located problem (the mocha timeout is the hang guard: a FIFO
// opened without O_NONBLOCK would block this thread for ever).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CAPS, checkRegular, openRegular, openRegularAsync, readBytes, readText, realInside } from '../../../src/core/read/ingress/safeFile';
import { BIG, mkfifo, mksocket, rmrf, sparse, tmpDir } from './hostile';

describe('ingress: safeFile on real hostile files', () => {
  let root: string;
  let outside: string;
  before(() => {
    root = tmpDir('safefile');
    outside = tmpDir('safefile-out');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside secret\n');
    fs.writeFileSync(path.join(root, 'ok.yaml'), '\ufeffflows: []\n');
    mkfifo(path.join(root, 'fifo.yaml'));
    fs.symlinkSync('/dev/zero', path.join(root, 'zero.yaml'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'out.yaml'));
    fs.symlinkSync(outside, path.join(root, 'outdir'));
    fs.symlinkSync('ok.yaml', path.join(root, 'inside-link.yaml'));
    sparse(path.join(root, 'flows.yaml'), BIG);
  });
  after(() => {
    rmrf(root);
    rmrf(outside);
  });

  it('a file removed between its real path and its stat is missing, not an I/O error (a writer\'s journal ends so)', () => {
    const f = path.join(root, 'vanishing-journal');
    fs.writeFileSync(f, 'x');
    // The module object itself (an import binding cannot be assigned); the reader sees the change.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const raw = require('node:fs') as { realpathSync: typeof fs.realpathSync };
    const realpath = raw.realpathSync;
    // The race, made certain: the file goes away right after its real path is taken.
    raw.realpathSync = ((p: fs.PathLike) => {
      const r = realpath(p);
      fs.rmSync(f, { force: true });
      return r;
    }) as typeof fs.realpathSync;
    try {
      const c = checkRegular(f, { root });
      assert.equal(c.ok, false);
      if (!c.ok) assert.equal(c.problem.reason, 'missing', c.problem.message);
    } finally {
      raw.realpathSync = realpath;
    }
  });

  it('reads a normal file (BOM dropped) and a link that stays inside the root', () => {
    const r = readText(path.join(root, 'ok.yaml'), { root, kind: 'config' });
    assert.ok(r.ok);
    assert.equal(r.text, 'flows: []\n');
    const l = readText(path.join(root, 'inside-link.yaml'), { root, kind: 'config' });
    assert.ok(l.ok, 'a link to a file inside the root is read');
    assert.equal(l.real, path.join(root, 'ok.yaml'));
  });

  it('refuses a FIFO without blocking, before and after open (sync and async)', async () => {
    const f = path.join(root, 'fifo.yaml');
    for (const r of [checkRegular(f, { root }), openRegular(f, { root }), readText(f, { root, kind: 'config' })]) {
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.problem.reason, 'not-regular');
        assert.equal(r.problem.file, f);
        assert.match(r.problem.message, /fifo\.yaml: not read — a FIFO, not a regular file/);
      }
    }
    const a = await openRegularAsync(f, { root });
    assert.equal(a.ok, false);
    if (!a.ok) assert.equal(a.problem.reason, 'not-regular');
  });

  it('refuses a symlink to /dev/zero — outside the root, and a character device even when allowed outside', () => {
    const r = readBytes(path.join(root, 'zero.yaml'), { root, kind: 'config' });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.problem.reason, 'outside');
      assert.match(r.problem.message, /zero\.yaml: not read — the configuration file resolves to \/dev\/zero, outside the workspace folder/);
    }
    for (const opts of [{ root, allowOutside: true }, {}]) {
      const d = readBytes(path.join(root, 'zero.yaml'), { ...opts, kind: 'config' });
      assert.equal(d.ok, false);
      if (!d.ok) {
        assert.equal(d.problem.reason, 'not-regular');
        assert.match(d.problem.message, /a character device, not a regular file/);
      }
    }
  });

  it('refuses a Unix socket', () => {
    const s = path.join(root, 'sock.yaml');
    assert.ok(mksocket(s), 'python3 bound a Unix socket file');
    const r = readText(s, { root, kind: 'config' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problem.message, /a socket, not a regular file/);
  });

  it('refuses a link (file or folder) whose real path leaves the root, unless the user picked it', () => {
    const viaFile = readText(path.join(root, 'out.yaml'), { root, kind: 'config' });
    assert.equal(viaFile.ok, false);
    if (!viaFile.ok) {
      assert.equal(viaFile.problem.reason, 'outside');
      assert.ok(viaFile.problem.message.includes(path.join(outside, 'secret.txt')), 'names where the link points');
    }
    const viaDir = readText(path.join(root, 'outdir', 'secret.txt'), { root });
    assert.equal(viaDir.ok, false);
    if (!viaDir.ok) assert.equal(viaDir.problem.reason, 'outside');
    assert.equal(realInside(root, 'outdir/secret.txt'), undefined);
    assert.equal(realInside(root, '../../../etc/passwd'), undefined);
    // Picked by the user (Open Trace File…, the CLI's file argument): read.
    const picked = readText(path.join(root, 'out.yaml'), { root, allowOutside: true });
    assert.ok(picked.ok);
    assert.equal(picked.text, 'outside secret\n');
  });

  it('refuses a 100 MB sparse flows.yaml over the 4 MB config cap with a located problem, without reading it', () => {
    const f = path.join(root, 'flows.yaml');
    assert.equal(fs.statSync(f).size, BIG);
    const before = process.memoryUsage().arrayBuffers;
    const r = readText(f, { root, kind: 'config' });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.problem.reason, 'too-large');
      assert.equal(r.problem.file, f);
      assert.match(r.problem.message, /flows\.yaml: not read — 100\.0 MB is over the 4\.0 MB limit for a configuration file/);
    }
    assert.ok(process.memoryUsage().arrayBuffers - before < CAPS.config, 'no buffer of the file size was allocated');
    // The same file as a trace (streamed, no cap) opens: the cap is per kind.
    const t = openRegular(f, { root, kind: 'trace' });
    assert.ok(t.ok);
    if (t.ok) fs.closeSync(t.file.fd);
  });

  it('a pointer file over its cap is refused; a missing file is `missing`', () => {
    fs.writeFileSync(path.join(root, 'latest'), 'x'.repeat(CAPS.pointer + 1));
    const r = readText(path.join(root, 'latest'), { root, kind: 'pointer' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.problem.reason, 'too-large');
    const m = readText(path.join(root, 'nope.yaml'), { root });
    assert.equal(m.ok, false);
    if (!m.ok) assert.equal(m.problem.reason, 'missing');
  });
});
