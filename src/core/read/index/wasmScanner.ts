/**
 * The WebAssembly line scanner of the index (issue 15): loads dist/scanner.wasm (built from
 * wasm/scanner by scripts/build-wasm.mjs) and drives it for {@link scanRange} (scan.ts). The
 * module reads the lines of the input region it is sure about straight into the batch's columns
 * and interns their strings by bytes; every other line is handed back for the JS path
 * (`parseJsonLine`), so what is accepted, rejected and warned about is JSON.parse's.
 *
 * The module has no imports and owns one linear memory laid out once by `init` (input region,
 * the batch's columns, the string table and its arena); nothing grows after that, so the views
 * made here stay valid. `FLOWLENS_INDEX_SCANNER` = `js` turns the scanner off; a path to a
 * `.wasm` file makes it required (tests); unset, it is looked up next to the bundle and a missing
 * or broken module means the JS scanner, said once per thread.
 */
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { CANON_TABLES, HINT_DFA, pruneLine } from '../secretHint';

/** The file name of the module next to the bundles (dist/). */
export const SCANNER_WASM = 'scanner.wasm';

// lib ES2022 has no WebAssembly types: the little used here.
interface WasmModule {
  readonly __wasmModule?: never;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: object) => { exports: Record<string, unknown> };
};

interface Exports {
  memory: { buffer: ArrayBuffer };
  init(cap: number, inCap: number, arenaCap: number, seed: number): number;
  layout(k: number): number;
  scan(from: number, to: number, n: number, lineNo: number, base: number, maxLine: number, hints: number): number;
  hintAutomaton(dash: number, accept: number): void;
  resultN(): number;
  resultLine(): number;
  resultPos(): number;
  resultEnd(): number;
  stringCount(): number;
  arenaTop(): number;
  arenaFree(): number;
  reset(): void;
  internTop(len: number): number;
  reserveId(): number;
  canonSetup(depth: number, max: number): void;
  canonReset(): void;
  canonPtr(id: number): number;
  canonLen(id: number): number;
  canonOf(from: number, to: number): number;
}

/** scan() results. */
export const SCAN_DONE = 0;
export const SCAN_UNSURE = 1;
export const SCAN_FULL = 2;

/** Bytes of strings a batch may hold (the batch ends early when they would not fit). */
const ARENA_BYTES = 4 << 20;

/** The columns of a batch, as views of the module's memory. */
export interface ScannerColumns {
  offset: Float64Array;
  ts: Float64Array;
  dur: Float64Array;
  len: Uint32Array;
  line: Uint32Array;
  sub: Uint32Array;
  type: Int32Array;
  run: Int32Array;
  flow: Int32Array;
  flowId: Int32Array;
  parent: Int32Array;
  step: Int32Array;
  failureClass: Int32Array;
  tags: Int32Array;
  corr: Int32Array;
  kind: Uint8Array;
  sev: Uint8Array;
  /** Secret hints (src/core/read/secretHint.ts): 0 = the line gives the secret walk nothing, 1 = it may. */
  hint: Uint8Array;
  /** For a line with hint 1 the module read: the id of its canonical form (secretHint.ts canonLine), or -1. */
  canon: Int32Array;
}

/** Lines read by the module and lines it handed back, in this thread (tests and the bench read it). */
export const scannerTotals = { read: 0, handedBack: 0 };

const modules = new Map<string, WasmModule>();
let warned = false;
/** The scanner the thread's last scan released, for the next scan of the same shape (a pooled worker scans file after file). */
const kept: { spare?: WasmScanner } = {};

/** Where the module is: next to this bundle (dist/), or one folder up (dist/bench/ → dist/). */
export function findScannerWasm(): string | undefined {
  return [path.join(__dirname, SCANNER_WASM), path.join(__dirname, '..', SCANNER_WASM)].find((p) => fs.existsSync(p));
}

function compile(file: string): WasmModule {
  let m = modules.get(file);
  if (!m) {
    m = new WebAssembly.Module(fs.readFileSync(file));
    modules.set(file, m);
  }
  return m;
}

/**
 * A scanner for batches of `cap` records and an input region of `inCap` bytes, or `undefined`
 * for the JS path (turned off, or the module missing or broken: said once per thread). Throws
 * only when `FLOWLENS_INDEX_SCANNER` names a module that cannot be used.
 */
export function openScanner(cap: number, inCap: number, hints = false): WasmScanner | undefined {
  const env = process.env.FLOWLENS_INDEX_SCANNER;
  if (env === 'js') return undefined;
  const required = env !== undefined && env !== '';
  const file = required ? env : findScannerWasm();
  try {
    if (!file) throw new Error(`${SCANNER_WASM} not found next to ${__dirname}`);
    const s = kept.spare;
    if (s && s.file === file && s.cap === cap && s.input.length === inCap && s.hintsAsked === hints) {
      kept.spare = undefined;
      s.clear();
      return s;
    }
    return new WasmScanner(compile(file), cap, inCap, hints, file);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (required) throw new Error(`index scanner ${file}: ${why}`);
    if (!warned) {
      warned = true;
      process.emitWarning(`Flowlens: the index's WebAssembly scanner is unavailable (${why}); lines are read by the JS scanner`, 'FlowlensWarning');
    }
    return undefined;
  }
}

const hasIsWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** No lone surrogates (UTF-8 can hold the string). */
function wellFormed(s: string): boolean {
  return hasIsWellFormed ? (s as unknown as { isWellFormed(): boolean }).isWellFormed() : !LONE_SURROGATE.test(s);
}

/**
 * One instance of the module: its input region, the batch's columns and the batch's string
 * table, shared by the lines the module reads and the lines the JS path reads (`id`/`idAt`).
 */
export class WasmScanner {
  /** The input region: the caller reads the file into it. */
  readonly input: Buffer;
  readonly columns: ScannerColumns;
  readonly cap: number;
  /** The module writes each record's secret hint (the automaton fits its tables). */
  readonly hints: boolean;
  /** Whether hints were asked for, and the module's file (what a reused scanner must match). */
  readonly hintsAsked: boolean;
  readonly file: string;
  private readonly x: Exports;
  /** The whole memory (string bytes are decoded from it). */
  private readonly mem: Buffer;
  private readonly sOff: Uint32Array;
  private readonly sLen: Uint32Array;
  /** Where the string arena starts (the bytes of a batch's strings are in [arena, arenaTop())). */
  private readonly arena: number;
  /** Strings of this batch the JS path interned (no decoding needed), by id. */
  private known = new Map<number, string>();
  /** Ids of the strings the JS path asked for in this batch (those kept out of the module too: lone surrogates, no room). */
  private ids = new Map<string, number>();
  private readonly lastS: (string | undefined)[] = [];
  /** canonPruned's results by canonical id (the module's table lives as long as the scan: until clear). */
  private canonTexts: (string | null | undefined)[] = [];
  private readonly lastId: number[] = [];

  constructor(mod: WasmModule, cap: number, inCap: number, hints = false, file = '') {
    const x = new WebAssembly.Instance(mod, {}).exports as unknown as Exports;
    this.hintsAsked = hints;
    this.file = file;
    // A random hash seed: crafted strings cannot be made to collide in the string table.
    if (x.init(cap, inCap, ARENA_BYTES, (Math.random() * 0x100000000) >>> 0) !== 1) throw new Error('could not lay out its memory');
    this.x = x;
    this.cap = cap;
    const buf = x.memory.buffer;
    this.mem = Buffer.from(buf);
    this.input = Buffer.from(buf, x.layout(0), inCap);
    const f64 = (k: number): Float64Array => new Float64Array(buf, x.layout(k), cap);
    const u32 = (k: number): Uint32Array => new Uint32Array(buf, x.layout(k), cap);
    const i32 = (k: number): Int32Array => new Int32Array(buf, x.layout(k), cap);
    const u8 = (k: number): Uint8Array => new Uint8Array(buf, x.layout(k), cap);
    this.columns = {
      offset: f64(1),
      ts: f64(2),
      dur: f64(3),
      len: u32(4),
      line: u32(5),
      sub: u32(6),
      type: i32(7),
      run: i32(8),
      flow: i32(9),
      flowId: i32(10),
      parent: i32(11),
      step: i32(12),
      failureClass: i32(13),
      tags: i32(14),
      corr: i32(15),
      kind: u8(16),
      sev: u8(17),
      hint: u8(22),
      canon: i32(25),
    };
    // The secret-hint automaton of secretHint.ts, as it is (256 states at most).
    const { classOf, next, dash, accept } = HINT_DFA;
    this.hints = hints && classOf.length === 256 && next.length <= 256 << 6;
    if (this.hints) {
      new Uint8Array(buf, x.layout(23), 256).set(classOf);
      new Uint8Array(buf, x.layout(24), 256 << 6).set(next);
      x.hintAutomaton(dash, accept);
      // canonLine's tables (secretHint.ts), for the canonical forms of flagged lines.
      new Uint8Array(buf, x.layout(26), 256).set(CANON_TABLES.class2);
      new Uint8Array(buf, x.layout(27), CANON_TABLES.keys.length).set(CANON_TABLES.keys);
      x.canonSetup(CANON_TABLES.depth, CANON_TABLES.max);
    }
    const maxIds = cap * 9 + 16;
    this.sOff = new Uint32Array(buf, x.layout(18), maxIds);
    this.sLen = new Uint32Array(buf, x.layout(19), maxIds);
    this.arena = x.layout(20);
  }

  /**
   * Reads lines of `[from, to)` of the input (`to` just after a newline) into the columns from
   * record `n` on; see wasm/scanner/assembly/index.ts `scan`. Then `n`, `line`, `pos`, `end`.
   */
  scan(from: number, to: number, n: number, lineNo: number, base: number, maxLine: number): number {
    const st = this.x.scan(from, to, n, lineNo, base, Math.min(maxLine, 0xffffffff), this.hints ? 1 : 0);
    scannerTotals.read += this.x.resultN() - n;
    if (st === SCAN_UNSURE) scannerTotals.handedBack++;
    return st;
  }
  get n(): number {
    return this.x.resultN();
  }
  get line(): number {
    return this.x.resultLine();
  }
  get pos(): number {
    return this.x.resultPos();
  }
  /** After SCAN_UNSURE: where that line's newline is. */
  get end(): number {
    return this.x.resultEnd();
  }

  /** `id` with a one-entry cache per field (`slot`), as the JS interner's. */
  idAt(slot: number, s: string | undefined): number {
    if (s === undefined) return -1;
    if (this.lastS[slot] === s) return this.lastId[slot];
    const id = this.id(s);
    this.lastS[slot] = s;
    this.lastId[slot] = id;
    return id;
  }

  /** The batch's id of a string the JS path read: the module's table decides (one id per string). */
  id(s: string | undefined): number {
    if (s === undefined) return -1;
    let id = this.ids.get(s);
    if (id !== undefined) return id;
    const x = this.x;
    const len = wellFormed(s) ? Buffer.byteLength(s, 'utf8') : -1;
    if (len >= 0 && len <= x.arenaFree()) {
      this.mem.write(s, x.arenaTop(), len, 'utf8');
      id = x.internTop(len);
    } else {
      // Never a string the module reads itself (those are valid UTF-8 and fit): one id each still.
      id = x.reserveId();
    }
    this.ids.set(s, id);
    this.known.set(id, s);
    return id;
  }

  /**
   * What the secret walk takes from a flagged line of canonical form `id` (secretHint.ts
   * pruneLineFast: pruneLine of the canonical form, memoised by it): the pruned text, '' for
   * nothing, null when it cannot be said here (the caller prunes the line itself).
   */
  canonPruned(id: number, offset: number): string | null {
    let t = this.canonTexts[id];
    if (t === undefined) {
      const at = this.x.canonPtr(id);
      t = pruneLine(this.mem, at, at + this.x.canonLen(id), offset === 0 ? 1 : offset) ?? null;
      this.canonTexts[id] = t;
    }
    return t;
  }

  /** The canonical form the module makes of `line` (its port of secretHint.ts canonLine), or undefined; for tests. */
  canonicalLine(line: string): string | undefined {
    const b = Buffer.from(line, 'utf8');
    if (b.length > this.input.length) return undefined;
    b.copy(this.input, 0);
    const n = this.x.canonOf(0, b.length);
    if (n < 0) return undefined;
    const at = this.x.layout(28);
    return this.mem.toString('latin1', at, at + n);
  }

  /** Done with it: the thread's next scan of the same shape may reuse it (its memory is not made again). */
  release(): void {
    kept.spare = this;
  }

  /** Forgets the batch in progress (a scan that stopped early may have left one). */
  clear(): void {
    this.x.reset();
    this.x.canonReset();
    if (this.canonTexts.length > 0) this.canonTexts = [];
    if (this.known.size > 0) this.known = new Map();
    if (this.ids.size > 0) this.ids = new Map();
    this.lastS.length = 0;
    this.lastId.length = 0;
  }

  /** The batch's string table; starts the next batch's. */
  take(): string[] {
    const x = this.x;
    const n = x.stringCount();
    const out = new Array<string>(n);
    const { mem, sOff, sLen, known, arena } = this;
    const top = x.arenaTop();
    if (!isMainThread && n > 0 && isAscii(mem.subarray(arena, top))) {
      // All ASCII (the usual case): one string for the arena, each string a slice of it. In a
      // worker only: the batch's strings are copied to the main thread when it is posted, so no
      // slice keeps the arena's string alive there.
      const text = mem.toString('latin1', arena, top);
      for (let id = 0; id < n; id++) {
        const k = known.get(id);
        out[id] = k !== undefined ? k : text.slice(sOff[id] - arena, sOff[id] - arena + sLen[id]);
      }
    } else {
      for (let id = 0; id < n; id++) {
        const k = known.get(id);
        out[id] = k !== undefined ? k : mem.toString('utf8', sOff[id], sOff[id] + sLen[id]);
      }
    }
    x.reset();
    if (known.size > 0) this.known = new Map();
    if (this.ids.size > 0) this.ids = new Map();
    this.lastS.length = 0;
    this.lastId.length = 0;
    return out;
  }
}
