/**
 * The sql.js (WASM) engine: one lazily initialised instance per process (docs/style.md habit 13).
 *
 * sql.js is bundled; its `sql-wasm.wasm` is copied next to the bundles by the build and handed
 * to sql.js as `wasmBinary`, so sql.js never goes looking for files itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import type { Database, SqlJsStatic } from 'sql.js';

export type { Database, SqlJsStatic };

let override: string | undefined;
let engine: Promise<SqlJsStatic> | undefined;

/**
 * Use this `sql-wasm.wasm` instead of searching for one (e.g. the extension passes
 * `context.asAbsolutePath('dist/sql-wasm.wasm')`). Call before the first {@link getSqlJs}.
 */
export function setSqlWasmPath(file: string | undefined): void {
  override = file;
  engine = undefined;
}

/** Where the wasm is looked for, in order: override, next to the bundle, its parent, node_modules. */
export function wasmCandidates(): string[] {
  const out: string[] = [];
  if (override) out.push(override);
  out.push(path.join(__dirname, 'sql-wasm.wasm'), path.join(__dirname, '..', 'sql-wasm.wasm'));
  out.push(path.join(process.cwd(), 'dist', 'sql-wasm.wasm'));
  try {
    out.push(require.resolve('sql.js/dist/sql-wasm.wasm'));
  } catch {
    // not resolvable from a bundle: the copies above are what ships
  }
  return out;
}

/** Locate `sql-wasm.wasm`; undefined when none of {@link wasmCandidates} exists. */
export function locateWasm(): string | undefined {
  return wasmCandidates().find((p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/** The process-wide sql.js instance, initialised on first use. Rejects if the wasm is missing. */
export function getSqlJs(): Promise<SqlJsStatic> {
  if (!engine) {
    const wasm = locateWasm();
    if (!wasm) {
      return Promise.reject(
        new Error(`sql-wasm.wasm not found (looked in ${wasmCandidates().join(', ')})`),
      );
    }
    const wasmBinary = fs.readFileSync(wasm);
    const p = initSqlJs({ wasmBinary: wasmBinary as unknown as ArrayBuffer });
    engine = p;
    p.catch(() => {
      if (engine === p) engine = undefined;
    });
  }
  return engine;
}
