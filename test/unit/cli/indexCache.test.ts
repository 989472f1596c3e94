// The CLI's index cache (src/cli/data.ts cliIndexCache; docs/cli.md "Index cache"): where it is,
// that --no-cache turns it off, and that a big file's second open is restored from it.
import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliIndexCache } from '../../../src/cli/data';
import { buildProgram } from '../../../src/cli/main';
import type { CommonOptions } from '../../../src/cli/commands';

describe('CLI index cache: its folder and --no-cache', () => {
  it('FLOWLENS_CACHE_DIR, else $XDG_CACHE_HOME/flowlens, else ~/.cache/flowlens; a relative folder is no cache', () => {
    assert.equal(cliIndexCache({ FLOWLENS_CACHE_DIR: '/tmp/fl-cache', XDG_CACHE_HOME: '/x' })?.dir, '/tmp/fl-cache');
    assert.equal(cliIndexCache({ XDG_CACHE_HOME: '/x' })?.dir, path.join('/x', 'flowlens'));
    assert.equal(cliIndexCache({})?.dir, path.join(os.homedir(), '.cache', 'flowlens'));
    assert.equal(cliIndexCache({ FLOWLENS_CACHE_DIR: 'relative/dir' }), undefined);
    assert.equal(cliIndexCache({ FLOWLENS_CACHE_DIR: '/tmp/fl-cache' }, false), undefined);
  });

  it('--no-cache reaches the command as cache: false (every command that reads traces has it)', async () => {
    for (const argv of [['runs', '--no-cache'], ['flows', 'x', '--no-cache'], ['diff', 'a', 'b', '--no-cache'], ['export', '--format', 'chrome', '--no-cache'], ['ask', '--no-cache'], ['runs']]) {
      let got: CommonOptions | undefined;
      const program = buildProgram(async (_name, _path, opts) => {
        got = opts;
      });
      await program.parseAsync(argv, { from: 'user' });
      assert.equal(got?.cache, !argv.includes('--no-cache'), argv.join(' '));
    }
  });
});
