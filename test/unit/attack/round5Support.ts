// What the round-5 attack tests share (test/unit/attack/round5*.test.ts).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { LATER } from './round3Support';

/** A key that falls in the same slot of the 256-slot key table as `k` (hash h*31+c, low 8 bits), but is not `k`. */
export function slotTwin(k: string): string {
  const h = (s: string): number => {
    let x = 0;
    for (let i = 0; i < s.length; i++) x = (Math.imul(x, 31) + s.charCodeAt(i)) | 0;
    return x & 255;
  };
  const want = h(k);
  // Same length first (the kindOf loop compares lengths), then any.
  for (const len of [k.length, k.length + 1, k.length - 1]) {
    for (let t = 0; t < 200000; t++) {
      let s = '';
      let x = t;
      for (let i = 0; i < len; i++) {
        s += String.fromCharCode(0x61 + (x % 26));
        x = Math.floor(x / 26);
      }
      if (s !== k && h(s) === want) return s;
    }
  }
  throw new Error(`no twin for ${k}`);
}

const T = (i: number): string => new Date(Date.UTC(2026, 11, 1, 9) + i * 1000).toISOString();

/**
 * Lines `from..to` of a hostile trace (runs r1, r2; secrets are `Zq5…` values). Of every 4 lines,
 * `own` carry a canonical form of their own (`Zq5own<i>`: the secret is kept in the form, so the
 * table of forms fills); the others cycle (by j = ⌊i/4⌋ % 16) through one form for many lines
 * (`Zq5shared`), a dashed top-level key, `-p` flags, duplicate keys, `"v": 1` twice, a key in
 * run_id's slot of the key table and a deep hit, escapes and non-ASCII, a URL password, spaces
 * around separators, and plain lines.
 */
export function lines(from: number, to: number, own = 2): string[] {
  const L: string[] = [];
  const twin = slotTwin('run_id');
  for (let i = from; i < to; i++) {
    const run = i % 5 === 0 ? 'r2' : 'r1';
    const head = `"v":1,"event_type":"checkpoint","run_id":"${run}","flow":"svc/op","flow_id":"f${i % 300}","timestamp":"${T(i)}"`;
    if (i % 4 < own) {
      L.push(`{${head},"evidence":{"api_key":"Zq5own${i}","n":${i}}}`);
      continue;
    }
    const j = Math.floor(i / 4);
    switch (j % 16) {
      case 0:
      case 1:
        // One form for many lines (only ids, times and numbers differ).
        L.push(`{${head},"evidence":{"password":"Zq5shared${Math.floor(i / 4000)}","n":${i}},"duration_ms":${i}}`);
        break;
      case 2:
        L.push(`{${head},"X-Api-Key":"Zq5dash${(j >> 4) % 11}","note":"n${i}"}`);
        break;
      case 3:
        L.push(`{${head},"evidence":{"argv":["mysql","-pZq5flag${(j >> 4) % 5}","-h","db"]},"n":${i}}`);
        break;
      case 4:
        // Duplicate keys: JSON.parse keeps the last.
        L.push(`{${head},"evidence":{"token":"Zq5dupA${(j >> 4) % 3}"},"evidence":{"token":"Zq5dupB${(j >> 4) % 3}"}}`);
        break;
      case 5:
        // `"v": 1` twice: no canonical form (pruneLine itself).
        L.push(`{${head},"v": 1,"data":{"secret":"Zq5vv${(j >> 4) % 7}"}}`);
        break;
      case 6:
        // A key in run_id's slot of the key table (not run_id: K_ANY), and a deep hit.
        L.push(`{${head},"${twin}":"Zq5twin${(j >> 4) % 9}x","data":{"a":{"b":{"c":{"password":"Zq5deep${(j >> 4) % 4}"}}},"k":"v${i}"}}`);
        break;
      case 7:
        // Escapes and non-ASCII: handed back by the module, pruned by the caller.
        L.push(`{${head},"evidence":{"secret":"Zq5esc\\"${(j >> 4) % 3}","who":"Zoë${i}"}}`);
        break;
      case 8:
        L.push(`{${head},"reason":"connect postgres://admin:Zq5url${(j >> 4) % 6}@db/app failed","step":"s${i % 3}"}`);
        break;
      case 9:
        // Spaces around separators.
        L.push(`{ ${head.replace(/,/g, ' , ')} , "correlation" : { "auth" : "Zq5corr${(j >> 4) % 8}" , "n" : ${i} } }`);
        break;
      case 10:
        // A duration that is no plain integer, a pre-redacted value.
        L.push(`{${head},"duration_ms":${i}.5,"evidence":{"token":"***REDACTED***","n":${i}}}`);
        break;
      default:
        L.push(`{${head},"step":"s${i % 4}","evidence":{"n":${i}}}`);
    }
  }
  return L;
}

/** The index worker and the WASM module as `npm run build` leaves them. */
export const WORKER = path.resolve('dist/indexWorker.js');
export const WASM = path.resolve('dist/scanner.wasm');

/** One trace file through TraceWorkspace.forFile with `index`, loaded (final). */
export async function openFile(file: string, index: WorkspaceOptions['index']): Promise<TraceWorkspace> {
  const ws = TraceWorkspace.forFile(file, { now: () => LATER, final: true, index });
  await ws.load();
  return ws;
}

/** Mocha hooks: the suite runs with the WASM scanner required (FLOWLENS_INDEX_SCANNER), and the env variables `restore` names put back after it. */
export function withWasmScanner(restore: string[] = []): void {
  const was = new Map<string, string | undefined>([['FLOWLENS_INDEX_SCANNER', process.env.FLOWLENS_INDEX_SCANNER], ...restore.map((k): [string, string | undefined] => [k, process.env[k]])]);
  before(() => {
    assert.ok(fs.existsSync(WORKER) && fs.existsSync(WASM), 'npm run build first');
    process.env.FLOWLENS_INDEX_SCANNER = WASM;
  });
  after(() => {
    for (const [k, v] of was) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}
