// Build: extension + CLI + worker bundles (Node, CJS), the webview bundle (browser IIFE),
// tests and benchmarks; copies sql.js's wasm and the index scanner's next to the bundles (docs/style.md habit 13).
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Recursively list files under dir whose names match re. */
function files(dir, re) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, re));
    else if (re.test(name)) out.push(p);
  }
  return out;
}

/**
 * One namespace per Node built-in per bundle: esbuild compiles each module's
 * `import * as fs from 'node:fs'` to a `__toESM(require('node:fs'))` of its own, which copies every
 * export of the built-in as a getter — 22 copies of node:fs in dist/cliMain.js, ~7 ms of the CLI's
 * start and ~8 ms of the index worker's — and 44 copies of the `vscode` API in the extension's
 * bundle, on its activation. Resolved to one module per built-in (and `vscode`) that re-exports
 * it, the copy is made once. Only ES imports (a `require()` in a dependency keeps the module's own
 * object).
 */
const BUILTIN = new RegExp(`^(node:)?(${builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[/]/g, '\\/')).join('|')})$|^vscode$`);
const builtinsOnce = {
  name: 'builtins-once',
  setup(b) {
    b.onResolve({ filter: BUILTIN }, (a) => {
      if (a.namespace === 'builtin-once') return { path: a.path, external: true };
      if (a.kind !== 'import-statement') return undefined;
      return { path: a.path.startsWith('node:') || a.path === 'vscode' ? a.path : `node:${a.path}`, namespace: 'builtin-once' };
    });
    // Its default export is the module itself, as Node gives it to `import x from 'node:process'`.
    b.onLoad({ filter: /.*/, namespace: 'builtin-once' }, (a) => ({ contents: `export * from ${JSON.stringify(a.path)};\nexport default require(${JSON.stringify(a.path)});`, loader: 'js' }));
  },
};

const node = {
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: !production,
  minify: production, external: ['vscode'], logLevel: 'warning', legalComments: 'none', plugins: [builtinsOnce],
};

/** The MCP server's `./sdk` (the MCP SDK and zod) is loaded at run time from dist/cliMcpSdk.js instead of bundled. */
const mcpSdkApart = {
  name: 'mcp-sdk-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/sdk$/ }, (a) => (a.importer.includes(join('src', 'cli', 'mcp')) ? { path: './cliMcpSdk.js', external: true } : undefined));
  },
};

const builds = [
  // The banner marks when the bundle starts loading, so activation can report code loading time.
  { ...node, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist', banner: { js: 'globalThis.__flowlensLoadStart = performance.now();' } },
  // The CLI (issue 15): dist/cli.js is a small bootstrap (src/cli/bin.ts) that starts the index
  // worker for a big trace before it loads the CLI proper (dist/cliMain.js); the MCP SDK and zod
  // (about 0.9 MB) are a bundle of their own, dist/cliMcpSdk.js, loaded by `flowlens mcp` only.
  { ...node, entryPoints: { cli: 'src/cli/bin.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { cliMain: 'src/cli/main.ts' }, outdir: 'dist', plugins: [builtinsOnce, mcpSdkApart] },
  { ...node, entryPoints: { cliMcpSdk: 'src/cli/mcp/sdk.ts' }, outdir: 'dist' },
];
const optional = [
  ['src/core/read/index/worker.ts', 'dist', 'indexWorker'],
  ['src/core/read/sqlite/worker.ts', 'dist', 'sqliteWorker'],
];
for (const [entry, outdir, name] of optional)
  if (existsSync(entry)) builds.push({ ...node, entryPoints: { [name]: entry }, outdir });

// The webview: one entry, one bundle dist/media/dashboard.js (the name src/host/dashboard/panel.ts
// loads); the other media/dashboard/*.ts files are its modules, not entries.
builds.push({
  bundle: true, platform: 'browser', format: 'iife', target: 'es2022', sourcemap: false,
  minify: production, entryPoints: { dashboard: 'media/dashboard/main.ts' }, outdir: 'dist/media', logLevel: 'warning',
});

if (!production) {
  const unit = files('test/unit', /\.test\.ts$/);
  if (unit.length) builds.push({ ...node, sourcemap: 'inline', entryPoints: unit, outdir: 'out/test/unit', outbase: 'test/unit' });
  const integ = files('test/integration', /\.ts$/);
  if (integ.length) builds.push({ ...node, sourcemap: 'inline', entryPoints: integ, outdir: 'out/test/integration', outbase: 'test/integration' });
  const bench = files('bench', /\.ts$/);
  if (bench.length) builds.push({ ...node, entryPoints: bench, outdir: 'dist/bench', outbase: 'bench' });
}

mkdirSync('dist', { recursive: true });
cpSync('node_modules/sql.js/dist/sql-wasm.wasm', 'dist/sql-wasm.wasm');
// The index's WebAssembly line scanner (built and checked by scripts/build-wasm.mjs; issue 15).
cpSync('wasm/scanner/scanner.wasm', 'dist/scanner.wasm');
if (existsSync('node_modules/@vscode/codicons/dist')) {
  mkdirSync('dist/media', { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) cpSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/media/${f}`);
}

if (watch) {
  const ctxs = await Promise.all(builds.map(b => esbuild.context(b)));
  await Promise.all(ctxs.map(c => c.watch()));
  console.log('watching…');
} else {
  await Promise.all(builds.map(b => esbuild.build(b)));
}
