// Loaded by VS Code's extension host as extensionTestsPath (code-server via test/e2e/run-ext-tests.js,
// or desktop VS Code via @vscode/test-electron): runs every out/test/integration/**/*.test.js (except in
// folders with their own index.js: separate suites such as restricted/) with
// mocha inside the real host and writes a JSON result file to $FLOWLENS_RESULTS.
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import type MochaType from 'mocha';

// Loaded at run time from node_modules rather than bundled: esbuild cannot bundle mocha's worker pool.
const Mocha = createRequire(__filename)('mocha') as typeof MochaType;

/** One failed test as written to the results file. */
interface FailureRecord { title: string; file?: string; err: string }

/** Shape of $FLOWLENS_RESULTS (read by test/e2e/run-ext-tests.js). */
interface Results { passes: string[]; failures: FailureRecord[]; pending: string[]; durationMs: number }

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    // A folder with its own index.js is a separate suite (e.g. restricted/: another host setup).
    if (fs.statSync(p).isDirectory()) { if (!fs.existsSync(path.join(p, 'index.js'))) out.push(...testFiles(p)); }
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

/** Entry point VS Code calls; rejects when any test fails (the host then exits non-zero). */
export function run(): Promise<void> {
  // FLOWLENS_GREP picks tests by title; FLOWLENS_GREP_INVERT=1 leaves those out instead.
  const grep = process.env.FLOWLENS_GREP;
  const invert = process.env.FLOWLENS_GREP_INVERT === '1';
  const mocha = new Mocha({ ui: 'bdd', timeout: 60000, color: false, reporter: 'spec', ...(grep ? { grep, invert } : {}) });
  const files = testFiles(__dirname);
  for (const f of files) mocha.addFile(f);
  const results: Results = { passes: [], failures: [], pending: [], durationMs: 0 };
  const started = Date.now();
  const write = (): void => {
    results.durationMs = Date.now() - started;
    const file = process.env.FLOWLENS_RESULTS;
    if (file) fs.writeFileSync(file, JSON.stringify(results, null, 1));
  };
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run(failures => {
        write();
        for (const f of results.failures) console.error(`FAIL ${f.title}\n  ${f.err}`);
        console.log(`integration: ${results.passes.length} passed, ${results.failures.length} failed`);
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else if (results.passes.length === 0) reject(new Error(`no integration tests ran (${files.length} files)`));
        else resolve();
      });
      runner.on('pass', t => results.passes.push(t.fullTitle()));
      runner.on('pending', t => results.pending.push(t.fullTitle()));
      runner.on('fail', (t, err: Error) => results.failures.push({
        title: t.fullTitle(), file: t.file ? path.basename(t.file) : undefined, err: String(err?.stack || err),
      }));
    } catch (e) {
      // A test file that throws while loading lands here: report it as a failure, not a hang.
      results.failures.push({ title: 'loading integration tests', err: String((e as Error)?.stack || e) });
      write();
      reject(e);
    }
  });
}
