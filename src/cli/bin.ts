/**
 * The `flowlens` executable (dist/cli.js), kept small on purpose. When the command will read a big
 * trace file, it first starts an index worker (src/core/read/index/workerPool.ts) — so the worker's
 * start-up (a thread, its bundle, WebAssembly) runs on another core while this thread compiles and
 * initialises the CLI itself (dist/cliMain.js, src/cli/main.ts), instead of after it. The worker is
 * unref'd (it never keeps the process alive) and left for data.ts `open()`, which puts it in the
 * pool the index takes its workers from; unused, it is terminated when the process exits.
 *
 * The CLI proper is loaded with V8's code cache, kept in the CLI's cache folder (codeCache.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acquireWorker, type PooledWorker } from '../core/read/index/workerPool';
import { DEFAULT_INDEX_MIN_BYTES } from '../core/read/workspace/options';
import { cliCacheDir } from './cacheDir';
import { requireWithCodeCache, type CodeCacheState } from './codeCache';

/** Where bin.ts leaves the worker it started for data.ts. */
export const PREWARMED_WORKER = Symbol.for('flowlens.cli.prewarmedIndexWorker');

/** Commands that read the traces of their path (the others never index). */
const READERS = new Set(['runs', 'flows', 'failures', 'metrics', 'validate', 'diff', 'export', 'ask']);

/** Whether `p` is a trace file the index reads cold: a regular file of `DEFAULT_INDEX_MIN_BYTES` or more. */
function big(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return st.isFile() && st.size >= DEFAULT_INDEX_MIN_BYTES;
  } catch {
    return false;
  }
}

/**
 * Whether the command line reads a big trace: a reading command whose path argument (any
 * argument not an option, checked by size only) is a big file or a folder whose
 * `.autodev/trace.jsonl` is. A wrong guess costs one idle worker, nothing else.
 */
export function wantsIndexWorker(argv: readonly string[]): boolean {
  if (!READERS.has(argv[0] ?? '')) return false;
  return argv.slice(1).some((a) => !a.startsWith('-') && (big(a) || big(path.join(a, '.autodev', 'trace.jsonl'))));
}

function start(): void {
  const argv = process.argv.slice(2);
  const indexes = wantsIndexWorker(argv);
  if (indexes) {
    const script = path.join(__dirname, 'indexWorker.js');
    if (fs.existsSync(script)) {
      try {
        // As the index makes it (not background: the CLI's scan keeps normal priority).
        const w: PooledWorker = acquireWorker(script, false);
        w.worker.unref();
        // An error before the index adopts it (it then is not used) must not crash the CLI.
        w.worker.on('error', () => undefined);
        (globalThis as Record<symbol, unknown>)[PREWARMED_WORKER] = w;
      } catch {
        // No worker: the index starts its own.
      }
    }
  }
  // The CLI proper, with its code cache (codeCache.ts): level 1 for a command that indexes.
  const state: CodeCacheState = { accepted: false, rejected: false, writes: false };
  if (process.env.FLOWLENS_DEBUG_CODE_CACHE) process.once('exit', () => process.stderr.write(`flowlens: code cache ${JSON.stringify(state)}\n`));
  const cli = requireWithCodeCache(path.join(__dirname, 'cliMain.js'), cliCacheDir(process.env), indexes ? 1 : 0, state) as { runCli: () => void };
  cli.runCli();
}

if (require.main === module) start();
