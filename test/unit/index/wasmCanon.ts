// The WASM scanner's port of secretHint.ts canonLine, for the tests that hold it to the JS one
// (egress/secretHint.test.ts, attack/pruneLineFast.test.ts, index/wasmCanon.test.ts).
import * as path from 'node:path';
import { openScanner, type WasmScanner } from '../../../src/core/read/index/wasmScanner';

let scanner: WasmScanner | undefined;

/** The canonical form the module makes of `line` (as the JS canonicalLine takes it: a string, UTF-8). */
export function wasmCanonicalLine(line: string): string | undefined {
  if (!scanner) {
    const before = process.env.FLOWLENS_INDEX_SCANNER;
    // The module as it ships (npm run build copies it to dist/): required, so a missing one fails.
    process.env.FLOWLENS_INDEX_SCANNER = path.resolve('dist/scanner.wasm');
    try {
      scanner = openScanner(4, 1 << 20, true);
    } finally {
      if (before === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
      else process.env.FLOWLENS_INDEX_SCANNER = before;
    }
    if (!scanner?.hints) throw new Error('the WASM scanner did not take the hint tables');
  }
  return scanner.canonicalLine(line);
}
