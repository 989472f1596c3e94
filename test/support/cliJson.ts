// The CLI as the in-host suites run it: `node dist/cli.js <args> <dir> --json`, parsed.
import { spawnSync } from 'child_process';

/**
 * `flowlens <args> <dir> --json` with the CLI bundle `cliJs`, parsed. A run that prints nothing
 * is tried once more (in a shared working tree a concurrent `npm run build` can replace
 * dist/cli.js under it); anything else that is not JSON fails with the CLI's stderr.
 */
export function cliJson<T>(cliJs: string, args: string[], dir: string): T {
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync(process.execPath, [cliJs, ...args, dir, '--json'], {
      encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024,
    });
    if (r.stdout.trim() === '' && attempt < 2) continue;
    try {
      return JSON.parse(r.stdout) as T;
    } catch (e) {
      throw new Error(`flowlens ${args.join(' ')} --json (exit ${r.status}): ${String(e)}; stderr: ${r.stderr.slice(0, 2000)}`);
    }
  }
}
