#!/usr/bin/env node
// Builds the index's WebAssembly line scanner (issue 15) from wasm/scanner/assembly/index.ts with
// the pinned AssemblyScript compiler (devDependency), into wasm/scanner/scanner.wasm — the
// committed module esbuild.mjs copies to dist/scanner.wasm. The build is deterministic (the same
// source and compiler give the same bytes), so CI rebuilds it and compares:
//   node scripts/build-wasm.mjs          rebuild wasm/scanner/scanner.wasm
//   node scripts/build-wasm.mjs --check  rebuild into a temporary file; exit 1 if it differs
//                                        from the committed module (or the compiler is missing)
//   node scripts/build-wasm.mjs --names FILE
//                                        build with the function names (asc --debug) into FILE, for
//                                        profiles: FLOWLENS_INDEX_SCANNER=FILE node --cpu-prof ...
//                                        shows line, str, intern... instead of wasm-function[15]
//                                        (never the committed module: the names change its bytes)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = join(ROOT, 'wasm', 'scanner', 'asconfig.json');
const COMMITTED = join(ROOT, 'wasm', 'scanner', 'scanner.wasm');
const ASC = join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
const check = process.argv.includes('--check');
const namesAt = process.argv.indexOf('--names');
const names = namesAt >= 0 ? process.argv[namesAt + 1] : undefined;
const say = (s) => console.log(`build-wasm: ${s}`);

if (!existsSync(ASC)) {
  say(`the AssemblyScript compiler is missing (${relative(ROOT, ASC)}): run npm ci`);
  process.exit(1);
}

function build(out, debug = false) {
  execFileSync(process.execPath, [ASC, '--config', CONFIG, '--target', 'release', '--outFile', out, ...(debug ? ['--debug'] : [])], { cwd: ROOT, stdio: 'inherit' });
  return readFileSync(out);
}

const size = (b) => `${b.length} bytes, ${gzipSync(b, { level: 9 }).length} gzipped`;

if (namesAt >= 0) {
  if (!names || names.startsWith('--') || resolve(names) === COMMITTED) {
    say('--names needs a file other than the committed module');
    process.exit(1);
  }
  const b = build(resolve(names), true);
  say(`wrote ${names} with function names (${size(b)}); not for committing`);
} else if (check) {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-wasm-'));
  try {
    const fresh = build(join(dir, 'scanner.wasm'));
    const committed = existsSync(COMMITTED) ? readFileSync(COMMITTED) : undefined;
    if (!committed || !committed.equals(fresh)) {
      say(`${relative(ROOT, COMMITTED)} ${committed ? 'differs from' : 'is missing; expected'} a fresh build of wasm/scanner (${size(fresh)}): run node scripts/build-wasm.mjs and commit it`);
      process.exit(1);
    }
    say(`${relative(ROOT, COMMITTED)} matches its source (${size(fresh)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  const b = build(COMMITTED);
  say(`wrote ${relative(ROOT, COMMITTED)} (${size(b)})`);
}
