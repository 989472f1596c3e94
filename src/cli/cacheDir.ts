/**
 * Where the CLI keeps its caches (docs/cli.md "Index cache", "Code cache"): `$FLOWLENS_CACHE_DIR`,
 * else `$XDG_CACHE_HOME/flowlens`, else `~/.cache/flowlens` — never inside a workspace. A relative
 * path is not used (no cache). Shared by the bootstrap (bin.ts, the code cache) and data.ts (the
 * index cache), so both agree.
 */
import * as os from 'node:os';
import * as path from 'node:path';

export function cliCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const dir = env.FLOWLENS_CACHE_DIR || (env.XDG_CACHE_HOME ? path.join(env.XDG_CACHE_HOME, 'flowlens') : path.join(os.homedir(), '.cache', 'flowlens'));
  return path.isAbsolute(dir) ? dir : undefined;
}
