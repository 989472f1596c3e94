// The one safe writer (src/core/read/ingress/safeWrite.ts) on real files: a planted symlink at the
// target (the outside file must stay byte-identical), a file Flowlens did not write (a producer's
// summary.md), a folder symlink leading outside, and replacing its own file.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { besideName, isOwnText, OWN_MARK, safeWriteBeside, safeWriteFile, stripOwnMark } from '../../../src/core/read/ingress/safeWrite';
import { mkfifo, rmrf, tmpDir } from './hostile';

describe('ingress: safeWrite on real hostile targets', () => {
  let root: string;
  let outside: string;
  let victim: string;
  const VICTIM = 'export PATH=/usr/bin # the user\'s own file\n';
  beforeEach(() => {
    root = tmpDir('safewrite');
    outside = tmpDir('safewrite-out');
    victim = path.join(outside, 'bashrc');
    fs.writeFileSync(victim, VICTIM);
    fs.mkdirSync(path.join(root, '.autodev'));
  });
  afterEach(() => {
    rmrf(root);
    rmrf(outside);
  });

  const listOutside = (): string[] => fs.readdirSync(outside).sort();

  it('writes a new file with the own-file mark first, and replaces its own file', () => {
    const target = path.join(root, '.autodev', 'ask.md');
    const r1 = safeWriteFile(target, '# one\n', { root });
    assert.ok(r1.ok, JSON.stringify(r1));
    assert.equal(fs.readFileSync(target, 'utf8'), `${OWN_MARK}\n# one\n`);
    assert.ok(isOwnText(fs.readFileSync(target, 'utf8')));
    const r2 = safeWriteFile(target, '# two\n', { root });
    assert.ok(r2.ok, 'its own file is replaced');
    assert.equal(stripOwnMark(fs.readFileSync(target, 'utf8')), '# two\n');
    assert.deepEqual(fs.readdirSync(path.join(root, '.autodev')), ['ask.md'], 'no temp file left behind');
  });

  it('refuses a target that is a symlink to a file outside; the outside file is untouched', () => {
    const target = path.join(root, '.autodev', 'ask.md');
    fs.symlinkSync(victim, target);
    const r = safeWriteFile(target, '# pwned\n', { root });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.reason, 'symlink');
      assert.equal(r.file, target);
      assert.match(r.message, /ask\.md: not written — it is a symbolic link/);
    }
    assert.equal(fs.readFileSync(victim, 'utf8'), VICTIM);
    assert.ok(fs.lstatSync(target).isSymbolicLink(), 'the link itself is left as it was');
    // Even a user-chosen write (CLI --out) never goes through a link.
    const u = safeWriteFile(target, '# pwned\n', { root, userChosen: true, owned: false });
    assert.equal(u.ok, false);
    assert.equal(fs.readFileSync(victim, 'utf8'), VICTIM);
    // The beside-fallback is only for files that are not ours, never for links.
    const b = safeWriteBeside(target, '# pwned\n', { root });
    assert.equal(b.ok, false);
    assert.equal(fs.readFileSync(victim, 'utf8'), VICTIM);
  });

  it('refuses a dangling symlink at the target (it would create the file outside)', () => {
    const target = path.join(root, '.autodev', 'summary.md');
    fs.symlinkSync(path.join(outside, 'created-by-flowlens.md'), target);
    const r = safeWriteFile(target, 'x', { root });
    assert.equal(r.ok, false);
    assert.deepEqual(listOutside(), ['bashrc']);
  });

  it('refuses a folder symlink leading outside — nothing is created there, not even a folder', () => {
    fs.symlinkSync(outside, path.join(root, '.autodev', 'runs'));
    const r = safeWriteFile(path.join(root, '.autodev', 'runs', 'r1', 'ask.md'), '# x\n', { root });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.reason, 'outside');
      assert.ok(r.message.includes(outside), 'names where the folder resolves');
    }
    const direct = safeWriteFile(path.join(root, '.autodev', 'runs', 'ask.md'), '# x\n', { root });
    assert.equal(direct.ok, false);
    assert.deepEqual(listOutside(), ['bashrc'], 'no file or folder was created outside');
    assert.equal(fs.readFileSync(victim, 'utf8'), VICTIM);
  });

  it('refuses a path that leaves the root as written (../)', () => {
    const r = safeWriteFile(path.join(root, '..', path.basename(outside), 'x.md'), 'x', { root });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.reason, 'outside');
    assert.deepEqual(listOutside(), ['bashrc']);
  });

  it('never replaces a file it did not write (a producer\'s summary.md); writes flowlens-summary.md beside it', () => {
    const target = path.join(root, '.autodev', 'summary.md');
    const producer = '# Run summary (written by flowscribe)\n';
    fs.writeFileSync(target, producer);
    const r = safeWriteFile(target, '# flowlens\n', { root });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.reason, 'not-ours');
    assert.equal(fs.readFileSync(target, 'utf8'), producer);
    const b = safeWriteBeside(target, '# flowlens\n', { root });
    assert.ok(b.ok, JSON.stringify(b));
    assert.equal(b.instead, target);
    assert.equal(path.basename(b.file), besideName('summary.md'));
    assert.equal(fs.readFileSync(target, 'utf8'), producer, 'the producer\'s file is untouched');
    assert.equal(fs.readFileSync(path.join(root, '.autodev', 'flowlens-summary.md'), 'utf8'), `${OWN_MARK}\n# flowlens\n`);
    // The next write replaces Flowlens's own flowlens-summary.md again.
    const again = safeWriteBeside(target, '# flowlens 2\n', { root });
    assert.ok(again.ok);
    assert.equal(stripOwnMark(fs.readFileSync(path.join(root, '.autodev', 'flowlens-summary.md'), 'utf8')), '# flowlens 2\n');
  });

  it('refuses a FIFO at the target without blocking', () => {
    const target = path.join(root, '.autodev', 'copilot_init.md');
    mkfifo(target);
    const r = safeWriteFile(target, 'x', { root });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.reason, 'not-regular');
  });

  it('user-chosen (CLI --out): replaces any regular file, unmarked when not Markdown; no missing folder is created', () => {
    const target = path.join(root, 'out.json');
    fs.writeFileSync(target, 'old');
    const r = safeWriteFile(target, '{"a":1}', { root, userChosen: true, owned: false, createRoot: false });
    assert.ok(r.ok);
    assert.equal(fs.readFileSync(target, 'utf8'), '{"a":1}');
    const missing = path.join(root, 'no-dir');
    const m = safeWriteFile(path.join(missing, 'x.json'), '{}', { root: missing, userChosen: true, owned: false, createRoot: false });
    assert.equal(m.ok, false);
    assert.equal(fs.existsSync(missing), false);
  });
});
