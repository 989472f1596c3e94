// The CLI's code cache (src/cli/codeCache.ts; docs/cli.md "Code cache"): V8's cached data for the
// CLI bundle, kept in the CLI's cache folder. Each case runs in a fresh node process (the cache is
// read when a module is loaded and written when the process exits): this file, in child mode,
// loads a small module through requireWithCodeCache; the last cases run the real dist/cli.js.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireWithCodeCache, type CodeCacheState } from '../../../src/cli/codeCache';

const CHILD = 'FLOWLENS_TEST_CODE_CACHE_CHILD';

if (process.env[CHILD]) {
  // Child mode: load the module named in the environment, call it, report at exit.
  const { file, dir, level } = JSON.parse(process.env[CHILD]) as { file: string; dir?: string; level: number };
  const state: CodeCacheState = { accepted: false, rejected: false, writes: false };
  let out: unknown;
  try {
    const m = requireWithCodeCache(file, dir, level, state) as { run: (n: number) => unknown };
    out = m.run(7);
  } catch (e) {
    out = { threw: String((e as Error).message) };
  }
  process.once('exit', () => process.stdout.write(JSON.stringify({ state, out })));
} else {
  describe('CLI code cache (codeCache.ts)', function () {
    this.timeout(60_000);
    let tmp: string;
    let dir: string;
    let mod: string;
    beforeEach(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-codecache-'));
      dir = path.join(tmp, 'cache');
      mod = path.join(tmp, 'lib', 'mod.js');
      fs.mkdirSync(path.dirname(mod));
      fs.writeFileSync(path.join(tmp, 'lib', 'dep.js'), 'module.exports = (n) => n + 1;\n');
      writeModule('');
    });
    afterEach(() => {
      for (const p of [dir, tmp]) if (fs.existsSync(p)) fs.chmodSync(p, 0o700);
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** The module under test: exports `run(n)`, which reports what the module saw of its loader. */
    function writeModule(extra: string): void {
      fs.writeFileSync(mod, `${extra}
const dep = require('./dep.js');
function twice(n) { return dep(n) * 2; }
exports.run = (n) => ({ value: twice(n), file: __filename, dirname: __dirname, isMain: require.main === module, loaded: module.loaded, cached: require.cache[__filename] === module });
`);
    }

    function child(level: number, cacheDir: string | null = dir): { state: CodeCacheState; out: Record<string, unknown> } {
      const r = spawnSync(process.execPath, [__filename], { env: { ...process.env, [CHILD]: JSON.stringify({ file: mod, dir: cacheDir ?? undefined, level }) }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { state: CodeCacheState; out: Record<string, unknown> };
    }

    const cacheFiles = (): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('code-')) : []);

    it('loads the module as require would, writes a private cache on the first run and uses it on the next', () => {
      const first = child(0);
      assert.deepEqual(first.out, { value: 16, file: mod, dirname: path.dirname(mod), isMain: false, loaded: true, cached: true });
      assert.equal(first.state.accepted, false);
      assert.equal(first.state.writes, true);
      const files = cacheFiles();
      assert.equal(files.length, 1);
      assert.equal(path.join(dir, files[0]), first.state.file);
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      assert.equal(fs.statSync(first.state.file as string).mode & 0o777, 0o600);
      const second = child(0);
      assert.deepEqual(second.out, first.out);
      assert.equal(second.state.accepted, true, JSON.stringify(second.state));
      assert.equal(second.state.writes, false);
      assert.equal(second.state.level, 0);
    });

    it('a run of a higher level rewrites a lower-level cache once; a lower level never rewrites a higher one', () => {
      child(0);
      const file = cacheFiles()[0];
      const up = child(1);
      assert.equal(up.state.accepted, true);
      assert.equal(up.state.writes, true);
      assert.equal(fs.readFileSync(path.join(dir, file))[0], 1);
      const again = child(1);
      assert.equal(again.state.writes, false);
      const low = child(0);
      assert.equal(low.state.accepted, true);
      assert.equal(low.state.level, 1);
      assert.equal(low.state.writes, false);
      assert.equal(fs.readFileSync(path.join(dir, file))[0], 1);
    });

    it('a damaged cache is rejected by V8, the module still runs, and the cache is rewritten', () => {
      child(0);
      const file = path.join(dir, cacheFiles()[0]);
      const good = fs.readFileSync(file);
      const bad = Buffer.from(good);
      for (let i = 1; i < bad.length; i += 7) bad[i] ^= 0x5a;
      fs.writeFileSync(file, bad, { mode: 0o600 });
      const r = child(0);
      assert.equal(r.out.value, 16);
      assert.equal(r.state.accepted, false);
      assert.equal(r.state.rejected, true);
      assert.equal(r.state.writes, true);
      assert.equal(child(0).state.accepted, true, 'rewritten after the rejected one');
      // Truncated to its level byte: nothing to read, written again.
      fs.writeFileSync(file, Buffer.of(0), { mode: 0o600 });
      const t = child(0);
      assert.equal(t.out.value, 16);
      assert.equal(t.state.accepted, false);
    });

    it('a cache file or folder others can write is not read and not replaced', () => {
      child(0);
      const file = path.join(dir, cacheFiles()[0]);
      const before = fs.readFileSync(file);
      fs.chmodSync(file, 0o666);
      const r = child(0);
      assert.equal(r.out.value, 16);
      assert.equal(r.state.accepted, false);
      assert.equal(r.state.skipped, 'cache file writable by others');
      assert.equal(r.state.writes, false);
      assert.deepEqual(fs.readFileSync(file), before);
      fs.chmodSync(file, 0o600);
      fs.chmodSync(dir, 0o777);
      const d = child(0);
      assert.equal(d.state.skipped, 'cache folder writable by others');
      assert.equal(d.state.accepted, false);
      assert.equal(d.state.writes, false);
      fs.chmodSync(dir, 0o700);
      assert.equal(child(0).state.accepted, true);
    });

    it('a symbolic link in place of the cache file is not followed', () => {
      child(0);
      const file = path.join(dir, cacheFiles()[0]);
      const elsewhere = path.join(tmp, 'elsewhere.v8');
      fs.renameSync(file, elsewhere);
      fs.symlinkSync(elsewhere, file);
      const r = child(0);
      assert.equal(r.out.value, 16);
      assert.equal(r.state.accepted, false);
    });

    it('a changed module gets a cache of its own; the cache of the old one is removed', () => {
      child(0);
      const old = cacheFiles()[0];
      fs.writeFileSync(path.join(dir, 'other.flidx'), 'an index cache: not ours');
      writeModule('// a new build\n');
      const r = child(0);
      assert.equal(r.state.accepted, false);
      assert.deepEqual(cacheFiles(), [path.basename(r.state.file as string)]);
      assert.notEqual(cacheFiles()[0], old);
      assert.ok(fs.existsSync(path.join(dir, 'other.flidx')), 'other files of the folder are left alone');
    });

    it('without a cache folder it is a plain require; a top-level error propagates', () => {
      const r = child(0, null);
      assert.equal(r.out.value, 16);
      assert.equal(r.state.file, undefined);
      assert.equal(fs.existsSync(dir), false);
      writeModule("throw new Error('top-level failure');");
      const e = child(0);
      assert.deepEqual(e.out, { threw: 'top-level failure' });
    });

    it('dist/cli.js: the second command uses the cache and prints the same', () => {
      const cli = path.resolve('dist/cli.js');
      assert.ok(fs.existsSync(cli), 'dist/cli.js: run `npm run build` first');
      const ws = path.resolve('test/fixtures/demo-app');
      const run = (): { out: string; state: CodeCacheState } => {
        const r = spawnSync(process.execPath, [cli, 'flows', ws, '--run', 'all', '--json'], { env: { ...process.env, FLOWLENS_CACHE_DIR: dir, FLOWLENS_DEBUG_CODE_CACHE: '1' }, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const m = /flowlens: code cache (\{.*\})/.exec(r.stderr);
        assert.ok(m, r.stderr);
        return { out: r.stdout, state: JSON.parse(m[1]) as CodeCacheState };
      };
      const a = run();
      assert.equal(a.state.accepted, false);
      assert.equal(cacheFiles().length, 1);
      const b = run();
      assert.equal(b.state.accepted, true);
      assert.equal(b.out, a.out);
      assert.ok(JSON.parse(b.out).flows.length > 0);
    });
  });
}
