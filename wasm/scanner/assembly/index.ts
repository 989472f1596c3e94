// The index's line scanner (issue 15), compiled to WebAssembly by AssemblyScript
// (scripts/build-wasm.mjs → wasm/scanner/scanner.wasm; glue: src/core/read/index/wasmScanner.ts).
//
// scan() reads the lines of a byte range of the input region and, for each line it is SURE about,
// writes the light record src/core/read/index/scan.ts would write for it (lightFields +
// TimestampReader + parseSeverity + parseTags + safeStringify(correlation)), interning the
// strings by their bytes. It stops at the first line it is not sure about (anything unusual:
// escapes in a field it reads, aliases, duplicate fields, number ids, odd timestamps, CR, deep
// nesting, invalid UTF-8, invalid JSON...), so the caller parses that line with JSON.parse: every
// rejection and warning still comes from there. Being sure means: the line is strict JSON with
// strict UTF-8 (so JSON.parse accepts it without a warning) and every field below is read
// byte-exactly as the JS path reads it.
//
// No allocation: init() lays out the memory once (input, the batch's output columns, the string
// table, the string arena); nothing grows after it, so the caller's views stay valid.

// ------------------------------------------------------------------------------------ layout
let IN: usize = 0; // input region (the caller reads the file into it); 64 bytes of slack after it
let CAP: u32 = 0; // records per batch
let O_OFF: usize = 0; // f64 offset
let O_TS: usize = 0; // f64
let O_DUR: usize = 0; // f64
let O_LEN: usize = 0; // u32
let O_LINE: usize = 0; // u32
let O_SUB: usize = 0; // u32
let O_TYPE: usize = 0; // i32 ...
let O_RUN: usize = 0;
let O_FLOW: usize = 0;
let O_FLOWID: usize = 0;
let O_PARENT: usize = 0;
let O_STEP: usize = 0;
let O_FC: usize = 0;
let O_TAGS: usize = 0;
let O_CORR: usize = 0;
let O_KIND: usize = 0; // u8
let O_SEV: usize = 0; // u8
let O_HINT: usize = 0; // u8: secret hint (src/core/read/secretHint.ts), when asked for
let ID_HINT: usize = 0; // u8 per string id of the batch: its bytes' secret hint, 0 = not known yet, 1 = clean, 2 = flagged
let SPANS: usize = 0; // the light members of the line being read whose hint is known without the automaton: (start u32, end u32, field i32) × MAX_SPANS
let H_CLASS: usize = 0; // the hint automaton: byte classes (256 bytes) ...
let H_NEXT: usize = 0; // ... and transitions (state << 6 | class), up to 256 states
let H_DASH: u32 = 3;
let H_ACCEPT: u32 = 255;
let S_OFF: usize = 0; // u32 per string id: its bytes' address in the arena
let S_LEN: usize = 0; // u32 per id: byte length; NO_BYTES for an id the caller keeps itself
let S_HASH: usize = 0; // u32 per id
let MAX_IDS: u32 = 0;
let TABLE: usize = 0; // open addressing, u32 slots: id + 1, 0 = empty
let MASK: u32 = 0;
let MAX_MASK: u32 = 0;
let ARENA: usize = 0;
let ARENA_END: usize = 0;
let KEYS: usize = 0; // correlation keys of the open objects: (ptr u32, len u32) × MAX_KEYS
let KEY_AT: usize = 0; // u32 per depth: first key of that object
let SEED: u32 = 0;
let QB: usize = 0; // the quote bitmap of the line being read (bit i: byte i of the line is '"'), QB_SPAN bits + 16 bytes

const INITIAL_MASK: u32 = (1 << 12) - 1;
const NO_BYTES: u32 = 0xffffffff;
const MAX_DEPTH: i32 = 60;
const MAX_KEYS: u32 = 64;
/** Light members a line can have (each key once: a duplicate is left to JSON.parse). */
const MAX_SPANS: u32 = 16;
/** Line bytes the quote bitmap covers: a longer line is read without it. */
const QB_SPAN: usize = 1 << 16;
/** The longest string interned from a line: a line with a longer light field is left to the caller. */
const MAX_STR: u32 = 1 << 16;

// string table state (per batch)
let count: u32 = 0;
let atop: usize = 0;
// per-field caches of ids, direct-mapped by length and end bytes (type, run, flow, flow id,
// parent, step, failure class, tags, correlation: their values repeat line after line)
let CACHE: usize = 0; // i32 id + 1 per slot (0 = empty), CACHE_FIELDS × CACHE_SLOTS
const CACHE_FIELDS: u32 = 9;
const CACHE_SLOTS: u32 = 32;

// results of scan()
let rN: u32 = 0;
let rLine: u32 = 0;
let rPos: u32 = 0;
let rEnd: usize = 0;

/** Lays out the memory for batches of `cap` records and an input region of `inCap` bytes. */
export function init(cap: u32, inCap: u32, arenaCap: u32, seed: u32): u32 {
  CAP = cap;
  SEED = seed;
  let p: usize = (__heap_base + 63) & ~63;
  IN = p;
  p += ((inCap + 64 + 63) & ~63);
  O_OFF = p; p += cap * 8;
  O_TS = p; p += cap * 8;
  O_DUR = p; p += cap * 8;
  O_LEN = p; p += cap * 4;
  O_LINE = p; p += cap * 4;
  O_SUB = p; p += cap * 4;
  O_TYPE = p; p += cap * 4;
  O_RUN = p; p += cap * 4;
  O_FLOW = p; p += cap * 4;
  O_FLOWID = p; p += cap * 4;
  O_PARENT = p; p += cap * 4;
  O_STEP = p; p += cap * 4;
  O_FC = p; p += cap * 4;
  O_TAGS = p; p += cap * 4;
  O_CORR = p; p += cap * 4;
  O_KIND = p; p += (cap + 7) & ~7;
  O_SEV = p; p += (cap + 7) & ~7;
  O_HINT = p; p += (cap + 7) & ~7;
  H_CLASS = p; p += 256;
  H_NEXT = p; p += 256 << 6;
  MAX_IDS = cap * 9 + 16;
  S_OFF = p; p += MAX_IDS * 4;
  S_LEN = p; p += MAX_IDS * 4;
  S_HASH = p; p += MAX_IDS * 4;
  ID_HINT = p; p += (MAX_IDS + 7) & ~7;
  SPANS = p; p += MAX_SPANS * 12;
  let t: u32 = INITIAL_MASK + 1;
  while (t < MAX_IDS * 2) t <<= 1;
  MAX_MASK = t - 1;
  TABLE = p; p += t * 4;
  KEYS = p; p += MAX_KEYS * 8;
  KEY_AT = p; p += (MAX_DEPTH + 2) * 4;
  CACHE = p; p += CACHE_FIELDS * CACHE_SLOTS * 4;
  QB = p; p += (QB_SPAN >> 3) + 16;
  ARENA = p; p += arenaCap;
  ARENA_END = p;
  p += 64;
  O_CANON = p; p += cap * 4;
  C_CLASS = p; p += 256;
  C_KEYS = p; p += C_KEY_SLOTS * C_KEY_BYTES;
  C_SCR = p; p += C_MAX_BYTES + 64;
  C_OFF = p; p += C_MAX_IDS * 4;
  C_LEN = p; p += C_MAX_IDS * 4;
  C_HASH = p; p += C_MAX_IDS * 4;
  C_TAB = p; p += C_SLOTS * 4;
  C_ARENA = p; p += C_ARENA_BYTES;
  C_ARENA_END = p;
  p += 64;
  const need = <i32>((p + 0xffff) >>> 16);
  const have = memory.size();
  if (need > have && memory.grow(need - have) < 0) return 0;
  MASK = INITIAL_MASK;
  memory.fill(TABLE, 0, (MASK + 1) * 4);
  memory.fill(ID_HINT, 0, MAX_IDS);
  reset();
  canonReset();
  return 1;
}

/** Addresses of the regions, for the caller's views (0 in, 1 offset, 2 ts, ...). */
export function layout(k: i32): usize {
  switch (k) {
    case 0: return IN;
    case 1: return O_OFF;
    case 2: return O_TS;
    case 3: return O_DUR;
    case 4: return O_LEN;
    case 5: return O_LINE;
    case 6: return O_SUB;
    case 7: return O_TYPE;
    case 8: return O_RUN;
    case 9: return O_FLOW;
    case 10: return O_FLOWID;
    case 11: return O_PARENT;
    case 12: return O_STEP;
    case 13: return O_FC;
    case 14: return O_TAGS;
    case 15: return O_CORR;
    case 16: return O_KIND;
    case 17: return O_SEV;
    case 18: return S_OFF;
    case 19: return S_LEN;
    case 20: return ARENA;
    case 21: return ARENA_END;
    case 22: return O_HINT;
    case 23: return H_CLASS;
    case 24: return H_NEXT;
    case 25: return O_CANON;
    case 26: return C_CLASS;
    case 27: return C_KEYS;
    case 28: return C_SCR;
    default: return 0;
  }
}

export function resultN(): u32 { return rN; }
export function resultLine(): u32 { return rLine; }
export function resultPos(): u32 { return rPos; }
export function resultEnd(): usize { return rEnd - IN; }
export function stringCount(): u32 { return count; }
export function arenaTop(): usize { return atop; }

/** The hint automaton's class of `-` (checked with the next byte) and its accepting state; its tables are written at layout(23), layout(24). */
export function hintAutomaton(dash: u32, accept: u32): void {
  H_DASH = dash;
  H_ACCEPT = accept;
}

/** One step of the hint automaton at byte `i` of a line ending at `e`: the next state, or H_ACCEPT. */
@inline function hintStep(st: u32, i: usize, e: usize): u32 {
  const c = <u32>load<u8>(H_CLASS + <usize>load<u8>(i));
  if (c == H_DASH) return i + 1 < e && <u32>load<u8>(i + 1) == 0x70 ? H_ACCEPT : st;
  return <u32>load<u8>(H_NEXT + <usize>((st << 6) | c));
}

/**
 * secretHint.ts lineMayHoldSecret over [s, e): 1 when the line may give the secret walk
 * something, 0 when it provably gives nothing. The automaton is a chain of dependent loads, so a
 * long line is read as two chains at once: the second half from the start state (it finds every
 * word starting there), the first half continued past the middle until its state is the start
 * state again (no word it began is still open).
 */
function hintLine(s: usize, e: usize): u8 {
  let a: u32 = 0;
  let i = s;
  if (e - s >= 64) {
    const m = s + ((e - s) >> 1);
    let b: u32 = 0;
    let j = m;
    while (i < m) {
      a = hintStep(a, i, e);
      b = hintStep(b, j, e);
      if (a == H_ACCEPT || b == H_ACCEPT) return 1;
      i++;
      j++;
    }
    while (j < e) {
      b = hintStep(b, j, e);
      if (b == H_ACCEPT) return 1;
      j++;
    }
    while (a != 0 && i < e) {
      a = hintStep(a, i, e);
      if (a == H_ACCEPT) return 1;
      i++;
    }
    return 0;
  }
  while (i < e) {
    a = hintStep(a, i, e);
    if (a == H_ACCEPT) return 1;
    i++;
  }
  return 0;
}

/** The secret hint of string `id`'s bytes (hintLine over them), worked out once per batch. */
function idHint(id: i32): u32 {
  const at = ID_HINT + <usize>id;
  let h = <u32>load<u8>(at);
  if (h == 0) {
    const o = <usize>id << 2;
    const b = <usize>load<u32>(S_OFF + o);
    h = hintLine(b, b + <usize>load<u32>(S_LEN + o)) != 0 ? 2 : 1;
    store<u8>(at, <u8>h);
  }
  return h;
}

/** The interned id of light field `f` (0 type, 1 run, 2 flow, 3 flow id, 4 parent, 5 step, 6 failure class) of record `o` (its index × 4). */
function fieldId(f: i32, o: usize): i32 {
  switch (f) {
    case 0: return load<i32>(O_TYPE + o);
    case 1: return load<i32>(O_RUN + o);
    case 2: return load<i32>(O_FLOW + o);
    case 3: return load<i32>(O_FLOWID + o);
    case 4: return load<i32>(O_PARENT + o);
    case 5: return load<i32>(O_STEP + o);
    default: return load<i32>(O_FC + o);
  }
}

/**
 * hintLine over the line [s, e) that line() just read as record `o` (its index × 4), without
 * reading again the light members it recorded (spanN spans, in line order): a span is
 * `"key": value` from its key's quote to its value's end (a key that holds no word), or the value
 * alone when other whitespace than one space stands before it (a tab is a byte the automaton
 * flags). The value is a string interned for the record (its hint: idHint, once per string and
 * batch) or one with no word by its grammar (a number, a time isoTime read). The automaton is in
 * its start state where a span starts (after `{` or `,` and spaces, or a quote opening the value)
 * and again where one ends (after a quote or a digit, neither ending a prefix of a word, nor `-`),
 * and `-` is checked with the next byte (never `p` at a span's or gap's edge), so the verdict is
 * hintLine's over the whole line.
 */
function hintSpans(s: usize, e: usize, o: usize): u8 {
  let a = s;
  for (let k: u32 = 0; k < spanN; k++) {
    const at = SPANS + <usize>(k * 12);
    const f = load<i32>(at + 8);
    if (f >= 0 && idHint(fieldId(f, o)) == 2) return 1;
    const ss = <usize>load<u32>(at);
    if (ss > a && hintLine(a, ss) != 0) return 1;
    a = <usize>load<u32>(at + 4);
  }
  return a < e ? hintLine(a, e) : 0;
}

/** Empties the string table (a new batch). */
export function reset(): void {
  memory.fill(ID_HINT, 0, count);
  memory.fill(TABLE, 0, (MASK + 1) * 4);
  MASK = INITIAL_MASK;
  count = 0;
  atop = ARENA;
  memory.fill(CACHE, 0, CACHE_FIELDS * CACHE_SLOTS * 4);
}

// ------------------------------------------------------------------------------- interning
@inline function mix(h: u32, k: u32): u32 {
  k *= 0xcc9e2d51;
  k = rotl<u32>(k, 15);
  k *= 0x1b873593;
  h ^= k;
  h = rotl<u32>(h, 13);
  return h * 5 + 0xe6546b64;
}

function hash(p: usize, len: u32): u32 {
  let h: u32 = SEED ^ len;
  let i: u32 = 0;
  while (i + 4 <= len) {
    h = mix(h, load<u32>(p + i));
    i += 4;
  }
  let k: u32 = 0;
  let sh: u32 = 0;
  while (i < len) {
    k |= (<u32>load<u8>(p + i)) << sh;
    sh += 8;
    i++;
  }
  h = mix(h, k);
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

function same(a: usize, b: usize, len: u32): bool {
  let i: u32 = 0;
  while (i + 8 <= len) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  // the last 1..7 bytes in one masked compare (every region has slack after it to read)
  if (i == len) return true;
  return ((load<u64>(a + i) ^ load<u64>(b + i)) & ((<u64>1 << (<u64>(len - i) << 3)) - 1)) == 0;
}

function insertSlot(id: u32, h: u32): void {
  let slot = h & MASK;
  while (load<u32>(TABLE + (<usize>slot << 2)) != 0) slot = (slot + 1) & MASK;
  store<u32>(TABLE + (<usize>slot << 2), id + 1);
}

function grow(): void {
  if (MASK == MAX_MASK) return;
  MASK = MASK * 2 + 1;
  memory.fill(TABLE, 0, (MASK + 1) * 4);
  for (let id: u32 = 0; id < count; id++) {
    if (load<u32>(S_LEN + (<usize>id << 2)) != NO_BYTES) insertSlot(id, load<u32>(S_HASH + (<usize>id << 2)));
  }
}

/**
 * The id of the string whose UTF-8 bytes are at [p, p + len): an existing one, or a new one whose
 * bytes are copied to the arena's top (`p` may be the top itself, or above it: the scratch).
 * The caller made sure the arena has room.
 */
function intern(p: usize, len: u32): i32 {
  const h = hash(p, len);
  let slot = h & MASK;
  for (;;) {
    const e = load<u32>(TABLE + (<usize>slot << 2));
    if (e == 0) break;
    const id = e - 1;
    const o = <usize>id << 2;
    if (load<u32>(S_HASH + o) == h && load<u32>(S_LEN + o) == len && same(load<u32>(S_OFF + o), p, len)) return <i32>id;
    slot = (slot + 1) & MASK;
  }
  if (p != atop) copyDown(atop, p, len);
  const id = count++;
  const o = <usize>id << 2;
  store<u32>(S_OFF + o, atop);
  store<u32>(S_LEN + o, len);
  store<u32>(S_HASH + o, h);
  atop += len;
  store<u32>(TABLE + (<usize>slot << 2), id + 1);
  if (count * 2 > MASK + 1) grow();
  return <i32>id;
}

/** `intern` through the cache of field `field` (its ids are the table's: one id per string). */
@inline function internCached(p: usize, len: u32, field: u32): i32 {
  const h = (len + (<u32>load<u8>(p + len - 1) << 1) + <u32>load<u8>(p)) & (CACHE_SLOTS - 1);
  const slot = CACHE + (<usize>(field * CACHE_SLOTS + h) << 2);
  const c = load<i32>(slot) - 1;
  if (c >= 0) {
    const o = <usize>c << 2;
    if (load<u32>(S_LEN + o) == len && same(load<u32>(S_OFF + o), p, len)) return c;
  }
  const id = intern(p, len);
  store<i32>(slot, id + 1);
  return id;
}

/** The caller wrote `len` bytes of a string at the arena's top: its id (new or existing). */
export function internTop(len: u32): i32 {
  return intern(atop, len);
}

/** A fresh id for a string the caller keeps itself (not representable or no room): no bytes. */
export function reserveId(): i32 {
  const id = count++;
  const o = <usize>id << 2;
  store<u32>(S_OFF + o, 0);
  store<u32>(S_LEN + o, NO_BYTES);
  store<u32>(S_HASH + o, 0);
  return <i32>id;
}

/** Room left for strings, in bytes (the caller checks before `internTop`). */
export function arenaFree(): usize {
  return ARENA_END - atop;
}

// ------------------------------------------------------------------- canonical hint lines
// secretHint.ts canonLine/canonInner, byte for byte: the canonical form of a flagged line (its
// members without a hit replaced by a placeholder of their kind), interned in a table that lives
// as long as the scan (not per batch), so the caller prunes each canonical form once
// (secretHint.ts pruneLine) and every flagged line of that form takes its result without being
// read again. secretHint.ts explains why the result is the same; the unit tests compare this port
// with canonLine on the same hostile corpora. The caller writes the tables (layout 26, 27) and
// the limits (canonSetup); a line without a canonical form, or a full table, gives -1 (the
// caller prunes that line itself).
let O_CANON: usize = 0; // i32 per record: the canonical id of a flagged line the module read, else -1
let C_CLASS: usize = 0; // 256 bytes: secretHint.ts CLASS2
let C_KEYS: usize = 0; // C_KEY_SLOTS × C_KEY_BYTES: [len u8, kind u8, key bytes]; len 0 = empty
let C_SCR: usize = 0; // the canonical form being written (C_MAX + 64)
let C_OFF: usize = 0; // u32 per canonical id: its bytes' address
let C_LEN: usize = 0; // u32 per id
let C_HASH: usize = 0; // u32 per id
let C_TAB: usize = 0; // u32 slots: id + 1, 0 = empty
let C_ARENA: usize = 0;
let C_ARENA_END: usize = 0;
let cCount: u32 = 0;
let cTop: usize = 0;
let cDepth: i32 = 60;
let cMax: u32 = 64 * 1024;
let cOn: bool = false;

const C_MAX_BYTES: u32 = 64 * 1024;
const C_MAX_IDS: u32 = 8192;
const C_SLOTS: u32 = 16384;
const C_ARENA_BYTES: u32 = 1 << 20;
const C_KEY_SLOTS: u32 = 256;
const C_KEY_BYTES: u32 = 48;

const S_STOP: u32 = 63;
const S_DASH: u32 = 62;
const S_QUOTE: u32 = 61;
const S_OPEN: u32 = 60;
const S_CLOSE: u32 = 59;
const S_MIN: u32 = 58;
const K_KEEP: u32 = 0;
const K_STR: u32 = 1;
const K_UINT: u32 = 2;
const K_ANY: u32 = 3;
const K_OBJ: u32 = 4;

/** The canonical forms' limits (secretHint.ts CANON_DEPTH, CANON_MAX); the tables are at layout(26), layout(27). Turns them on. */
export function canonSetup(depth: i32, max: u32): void {
  cDepth = depth;
  cMax = max < C_MAX_BYTES ? max : C_MAX_BYTES;
  cOn = true;
}

/** Forgets the canonical forms (a new scan). */
export function canonReset(): void {
  memory.fill(C_TAB, 0, C_SLOTS * 4);
  cCount = 0;
  cTop = C_ARENA;
}

/** Address and length of canonical form `id`'s bytes. */
export function canonPtr(id: u32): usize { return load<u32>(C_OFF + (<usize>id << 2)); }
export function canonLen(id: u32): u32 { return load<u32>(C_LEN + (<usize>id << 2)); }

@inline function cls2(i: usize): u32 { return <u32>load<u8>(C_CLASS + <usize>load<u8>(i)); }
@inline function step(st: u32, k: u32): u32 { return <u32>load<u8>(H_NEXT + <usize>((st << 6) | k)); }

/** The kind of the key [s, e) with hash `h` (secretHint.ts kindOf). */
function kindOf(s: usize, e: usize, h: u32): u32 {
  const len = <u32>(e - s);
  let at = h & (C_KEY_SLOTS - 1);
  for (;;) {
    const slot = C_KEYS + <usize>(at * C_KEY_BYTES);
    const kl = <u32>load<u8>(slot);
    if (kl == 0) return K_ANY;
    if (kl == len) {
      let i: u32 = 0;
      while (i < len && load<u8>(slot + 2 + i) == load<u8>(s + i)) i++;
      if (i == len) return <u32>load<u8>(slot + 1);
    }
    at = (at + 1) & (C_KEY_SLOTS - 1);
  }
  return K_ANY;
}

/** secretHint.ts canonInner: the object [vs, ve) rewritten at `o`; the new end, or 0. */
function canonInner(vs: usize, ve: usize, o: usize): usize {
  let i = vs + 1;
  store<u8>(o++, 0x7b);
  let first = true;
  for (;;) {
    while (i < ve && load<u8>(i) == 0x20) i++;
    if (i >= ve) return 0;
    if (load<u8>(i) == 0x7d && first) {
      i++;
      break;
    }
    if (load<u8>(i) != 0x22) return 0;
    const ks = i;
    let st: u32 = 0;
    let keyHit = false;
    for (i++; ; i++) {
      if (i >= ve) return 0;
      const k = cls2(i);
      if (k < S_MIN) {
        st = step(st, k);
        if (st == H_ACCEPT) {
          keyHit = true;
          st = 0;
        }
      } else if (k == S_QUOTE) break;
      else if (k == S_STOP) return 0;
      else if (k == S_DASH) {
        if (i + 1 < ve && <u32>load<u8>(i + 1) == 0x70) keyHit = true;
      } else st = 0;
    }
    const ke = i + 1;
    i = ke;
    while (i < ve && load<u8>(i) == 0x20) i++;
    if (load<u8>(i) != 0x3a) return 0;
    i++;
    while (i < ve && load<u8>(i) == 0x20) i++;
    const xs = i;
    let depth: i32 = 0;
    let inStr = false;
    let hit = false;
    st = 0;
    for (; ; i++) {
      if (i >= ve) return 0;
      const k = cls2(i);
      if (k < S_MIN) {
        st = step(st, k);
        if (st == H_ACCEPT) {
          hit = true;
          st = 0;
        }
        continue;
      }
      if (k == S_QUOTE) {
        inStr = !inStr;
        st = 0;
      } else if (k == S_DASH) {
        if (i + 1 < ve && <u32>load<u8>(i + 1) == 0x70) hit = true;
      } else if (k == S_STOP) return 0;
      else {
        st = 0;
        if (!inStr) {
          if (k == S_OPEN) depth++;
          else if (k == S_CLOSE) {
            if (depth == 0) break;
            depth--;
          } else if (depth == 0) break;
        }
      }
    }
    let xe = i;
    while (xe > xs && load<u8>(xe - 1) == 0x20) xe--;
    if (xe == xs || inStr) return 0;
    if (!first) store<u8>(o++, 0x2c);
    first = false;
    memory.copy(o, ks, ke - ks);
    o += ke - ks;
    store<u8>(o++, 0x3a);
    if (!keyHit && !hit) store<u8>(o++, 0x30);
    else if (!keyHit && load<u8>(xs) == 0x7b) {
      o = canonInner(xs, xe, o);
      if (o == 0) return 0;
    } else {
      memory.copy(o, xs, xe - xs);
      o += xe - xs;
    }
    const c = load<u8>(i);
    i++;
    if (c == 0x7d) break;
  }
  while (i < ve && load<u8>(i) == 0x20) i++;
  if (i != ve) return 0;
  store<u8>(o++, 0x7d);
  return o;
}

/** secretHint.ts canonLine: the canonical form of the line [start, end) written at C_SCR; its length, or -1. */
function canonLine(start: usize, end: usize): i32 {
  if (<u32>(end - start) > cMax) return -1;
  let i = start;
  while (i < end && load<u8>(i) == 0x20) i++;
  if (i >= end || load<u8>(i) != 0x7b) return -1;
  i++;
  let o = C_SCR;
  store<u8>(o++, 0x7b);
  let vMembers: u32 = 0;
  let vOne = false;
  for (;;) {
    while (i < end && load<u8>(i) == 0x20) i++;
    if (i >= end || load<u8>(i) != 0x22) return -1;
    const ks = i;
    let h: u32 = 0;
    let st: u32 = 0;
    let hit = false;
    for (i++; ; i++) {
      if (i >= end) return -1;
      const c = <u32>load<u8>(i);
      const k = <u32>load<u8>(C_CLASS + <usize>c);
      if (k < S_MIN) {
        h = h * 31 + c;
        st = step(st, k);
        if (st == H_ACCEPT) {
          hit = true;
          st = 0;
        }
      } else if (k == S_QUOTE) break;
      else if (k == S_STOP) return -1;
      else if (k == S_DASH) {
        h = h * 31 + c;
        if (i + 1 < end && <u32>load<u8>(i + 1) == 0x70) hit = true;
      } else {
        h = h * 31 + c;
        st = 0;
      }
    }
    const ke = i + 1;
    const keyHit = hit;
    i = ke;
    while (i < end && load<u8>(i) == 0x20) i++;
    if (i >= end || load<u8>(i) != 0x3a) return -1;
    i++;
    while (i < end && load<u8>(i) == 0x20) i++;
    const vs = i;
    let depth: i32 = 0;
    let inStr = false;
    st = 0;
    for (; ; i++) {
      if (i >= end) return -1;
      const k = cls2(i);
      if (k < S_MIN) {
        st = step(st, k);
        if (st == H_ACCEPT) {
          hit = true;
          st = 0;
        }
        continue;
      }
      if (k == S_QUOTE) {
        inStr = !inStr;
        st = 0;
      } else if (k == S_DASH) {
        if (i + 1 < end && <u32>load<u8>(i + 1) == 0x70) hit = true;
      } else if (k == S_STOP) return -1;
      else {
        st = 0;
        if (!inStr) {
          if (k == S_OPEN) {
            if (++depth > cDepth) return -1;
          } else if (k == S_CLOSE) {
            if (depth == 0) break;
            depth--;
          } else if (depth == 0) break;
        }
      }
    }
    let ve = i;
    while (ve > vs && load<u8>(ve - 1) == 0x20) ve--;
    if (ve == vs || inStr) return -1;
    if (o > C_SCR + 1) store<u8>(o++, 0x2c);
    memory.copy(o, ks, ke - ks);
    o += ke - ks;
    store<u8>(o++, 0x3a);
    const first = <u32>load<u8>(vs);
    if (ke - ks == 3 && load<u8>(ks + 1) == 0x76) {
      vMembers++;
      vOne = ve - vs == 1 && first == 0x31;
    }
    const kind = kindOf(ks + 1, ke - 1, h);
    let copy = hit;
    if (hit && !keyHit && (kind == K_ANY || kind == K_OBJ) && first == 0x7b) {
      o = canonInner(vs, ve, o);
      if (o == 0) return -1;
      copy = false;
    } else if (!hit) {
      if (kind == K_KEEP) copy = true;
      else if (kind == K_STR) {
        if (first == 0x22 && ve - vs > 2) {
          store<u8>(o++, 0x22);
          store<u8>(o++, 0x5f);
          store<u8>(o++, 0x22);
        } else copy = true;
      } else if (kind == K_UINT) {
        let ok = ve - vs <= 15 && (first != 0x30 || ve - vs == 1);
        for (let j = vs; ok && j < ve; j++) ok = load<u8>(j) >= 0x30 && load<u8>(j) <= 0x39;
        if (ok) store<u8>(o++, 0x30);
        else copy = true;
      } else if (kind == K_OBJ) {
        if (first == 0x7b) {
          store<u8>(o++, 0x7b);
          store<u8>(o++, 0x7d);
        } else copy = true;
      } else store<u8>(o++, 0x30);
    }
    if (copy) {
      memory.copy(o, vs, ve - vs);
      o += ve - vs;
    }
    const c = load<u8>(i);
    i++;
    if (c == 0x7d) break;
  }
  while (i < end && load<u8>(i) == 0x20) i++;
  if (i != end || vMembers != 1 || !vOne) return -1;
  store<u8>(o++, 0x7d);
  return <i32>(o - C_SCR);
}

/** The canonical id of the flagged line [s, e): an existing form's, a new one's, or -1 (none, or the table is full). */
function canonId(s: usize, e: usize): i32 {
  const n = canonLine(s, e);
  if (n < 0) return -1;
  const len = <u32>n;
  const h = hash(C_SCR, len);
  let slot = h & (C_SLOTS - 1);
  for (;;) {
    const v = load<u32>(C_TAB + (<usize>slot << 2));
    if (v == 0) break;
    const id = v - 1;
    const o = <usize>id << 2;
    if (load<u32>(C_HASH + o) == h && load<u32>(C_LEN + o) == len && same(load<u32>(C_OFF + o), C_SCR, len)) return <i32>id;
    slot = (slot + 1) & (C_SLOTS - 1);
  }
  if (cCount >= C_MAX_IDS || cTop + len > C_ARENA_END) return -1;
  memory.copy(cTop, C_SCR, len);
  const id = cCount++;
  const o = <usize>id << 2;
  store<u32>(C_OFF + o, <u32>cTop);
  store<u32>(C_LEN + o, len);
  store<u32>(C_HASH + o, h);
  store<u32>(C_TAB + (<usize>slot << 2), id + 1);
  cTop += len;
  return <i32>id;
}

/** For tests: the canonical form of the input's [from, to) at layout(28), its length or -1. */
export function canonOf(from: u32, to: u32): i32 {
  return canonLine(IN + from, IN + to);
}

// ------------------------------------------------------------------------------------ lexing
/** Flags of the last string scanned. */
let sFlags: u32 = 0;
const F_ESC: u32 = 1;
const F_HI: u32 = 2;

@inline function ws(p: usize): usize {
  // JSON whitespace but CR (left to JSON.parse) and LF (the line's end); every token byte is > 0x20
  if (<u32>load<u8>(p) > 0x20) return p;
  for (;;) {
    const c = load<u8>(p);
    if (c != 0x20 && c != 0x09) return p;
    p++;
  }
  return p;
}

/**
 * A string starting with the quote at `p`: the address of its closing quote, or 0 when it is
 * not a valid JSON string of strict UTF-8 within the line. Sets sFlags (escapes, non-ASCII).
 */
function str(p: usize): usize {
  p++;
  let flags: u32 = 0;
  const q = i8x16.splat(0x22);
  const bs = i8x16.splat(0x5c);
  const sp = i8x16.splat(0x20);
  for (;;) {
    const v = v128.load(p);
    // < 0x20 signed: control characters and every byte >= 0x80
    const mq = i8x16.bitmask(i8x16.eq(v, q));
    const m = mq | i8x16.bitmask(v128.or(i8x16.eq(v, bs), i8x16.lt_s(v, sp)));
    if (m == 0) {
      p += 16;
      continue;
    }
    // the first byte of interest is the closing quote: no need to load it again
    if ((mq & (m & -m)) != 0) {
      sFlags = flags;
      return p + <usize>ctz<i32>(m);
    }
    p += <usize>ctz<i32>(m);
    const c = <u32>load<u8>(p);
    if (c == 0x5c) {
      flags |= F_ESC;
      const e = <u32>load<u8>(p + 1);
      if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
        p += 2;
      } else if (e == 0x75) {
        if (!hex(load<u8>(p + 2)) || !hex(load<u8>(p + 3)) || !hex(load<u8>(p + 4)) || !hex(load<u8>(p + 5))) return 0;
        p += 6;
      } else return 0;
      continue;
    }
    if (c < 0x20) return 0;
    // strict UTF-8 (as Node's isUtf8: no overlongs, no surrogates, nothing above U+10FFFF)
    flags |= F_HI;
    const c1 = <u32>load<u8>(p + 1);
    if (c < 0xc2) return 0;
    if (c < 0xe0) {
      if ((c1 & 0xc0) != 0x80) return 0;
      p += 2;
    } else if (c < 0xf0) {
      const lo: u32 = c == 0xe0 ? 0xa0 : 0x80;
      const hi: u32 = c == 0xed ? 0x9f : 0xbf;
      if (c1 < lo || c1 > hi || (<u32>load<u8>(p + 2) & 0xc0) != 0x80) return 0;
      p += 3;
    } else if (c < 0xf5) {
      const lo: u32 = c == 0xf0 ? 0x90 : 0x80;
      const hi: u32 = c == 0xf4 ? 0x8f : 0xbf;
      if (c1 < lo || c1 > hi || (<u32>load<u8>(p + 2) & 0xc0) != 0x80 || (<u32>load<u8>(p + 3) & 0xc0) != 0x80) return 0;
      p += 4;
    } else return 0;
  }
  return 0;
}

/**
 * The line being read is plain (clean = true): no `\\`, no byte below 0x20 but its newline, no
 * byte >= 0x80, within QB_SPAN bytes; its quote bitmap is at QB, from its first byte LS.
 */
let clean: bool = false;
let LS: usize = 0;

/**
 * Looks at the line at `s` 16 bytes at a time up to its newline: clean, and the quote bitmap
 * (bits after the newline cleared, then 8 zero bytes) when it is.
 */
function prepass(s: usize): void {
  clean = false;
  const q = i8x16.splat(0x22);
  const bs = i8x16.splat(0x5c);
  const sp = i8x16.splat(0x20);
  let i: usize = 0;
  while (i < QB_SPAN) {
    // 32 bytes a step
    const v = v128.load(s + i);
    const u = v128.load(s + i + 16);
    const mq = <u32>i8x16.bitmask(i8x16.eq(v, q)) | (<u32>i8x16.bitmask(i8x16.eq(u, q)) << 16);
    const ms =
      <u32>i8x16.bitmask(v128.or(i8x16.eq(v, bs), i8x16.lt_s(v, sp))) |
      (<u32>i8x16.bitmask(v128.or(i8x16.eq(u, bs), i8x16.lt_s(u, sp))) << 16);
    const b = QB + (i >> 3);
    if (ms != 0) {
      const k = <u32>ctz<u32>(ms);
      // the first byte of interest must be the newline (the line's end): else not clean
      if (load<u8>(s + i + <usize>k) != 0x0a) return;
      store<u32>(b, mq & <u32>((<u64>1 << <u64>k) - 1));
      store<u64>(b + 4, 0);
      LS = s;
      clean = true;
      return;
    }
    store<u32>(b, mq);
    i += 32;
  }
}

/**
 * `str` for the line being read: in a clean line the closing quote is the next bit of the quote
 * bitmap (no escapes, no control or non-ASCII bytes to check); else, or past 56 bytes, `str`.
 */
@inline function strq(p: usize): usize {
  if (clean) {
    const i = p + 1 - LS;
    const w = load<u64>(QB + (i >> 3)) >> <u64>(i & 7);
    if (w != 0) {
      sFlags = 0;
      return p + 1 + <usize>ctz<u64>(w);
    }
  }
  return str(p);
}

@inline function hex(c: u32): bool {
  return (c - 0x30 < 10) || ((c | 0x20) - 0x61 < 6);
}

@inline function isDigit(c: u32): bool {
  return c - 0x30 < 10;
}

/** A JSON number at `p`: the address after it, or 0. */
function num(p: usize): usize {
  if (load<u8>(p) == 0x2d) p++;
  let c = <u32>load<u8>(p);
  if (c == 0x30) p++;
  else if (c - 0x31 < 9) {
    p++;
    while (isDigit(load<u8>(p))) p++;
  } else return 0;
  if (load<u8>(p) == 0x2e) {
    p++;
    if (!isDigit(load<u8>(p))) return 0;
    while (isDigit(load<u8>(p))) p++;
  }
  c = load<u8>(p);
  if (c == 0x65 || c == 0x45) {
    p++;
    c = load<u8>(p);
    if (c == 0x2b || c == 0x2d) p++;
    if (!isDigit(load<u8>(p))) return 0;
    while (isDigit(load<u8>(p))) p++;
  }
  return p;
}

/** `true`, `false` or `null` at `p`: the address after it, or 0. */
function literal(p: usize): usize {
  const w = load<u32>(p);
  if (w == 0x65757274 || w == 0x6c6c756e) return p + 4; // "true", "null"
  if (w == 0x736c6166 && load<u8>(p + 4) == 0x65) return p + 5; // "false"
  return 0;
}

/** `"key" :` at `p` (after whitespace): the address after the colon and whitespace, or 0. */
@inline function memberKey(p: usize): usize {
  if (load<u8>(p) != 0x22) return 0;
  const e = strq(p);
  if (e == 0) return 0;
  p = ws(e + 1);
  if (load<u8>(p) != 0x3a) return 0;
  return ws(p + 1);
}

/** Any JSON value at `p` (whitespace skipped): the address after it, or 0. Depth-limited. */
function value(p: usize): usize {
  let stack: u64 = 0; // bit set: an object is open at that depth
  let depth: i32 = 0;
  for (;;) {
    p = ws(p);
    const c = <u32>load<u8>(p);
    if (c == 0x22) {
      p = strq(p);
      if (p == 0) return 0;
      p++;
    } else if (c == 0x7b) {
      p = ws(p + 1);
      if (load<u8>(p) == 0x7d) p++;
      else {
        if (depth >= MAX_DEPTH) return 0;
        stack = (stack << 1) | 1;
        depth++;
        p = memberKey(p);
        if (p == 0) return 0;
        continue;
      }
    } else if (c == 0x5b) {
      p = ws(p + 1);
      if (load<u8>(p) == 0x5d) p++;
      else {
        if (depth >= MAX_DEPTH) return 0;
        stack = stack << 1;
        depth++;
        continue;
      }
    } else if (c == 0x2d || isDigit(c)) {
      p = num(p);
      if (p == 0) return 0;
    } else {
      p = literal(p);
      if (p == 0) return 0;
    }
    // after a value: close what ends here, or go on after a comma
    for (;;) {
      if (depth == 0) return p;
      p = ws(p);
      const d = <u32>load<u8>(p);
      if (d == 0x2c) {
        p = ws(p + 1);
        if (stack & 1) {
          p = memberKey(p);
          if (p == 0) return 0;
        }
        break;
      }
      if (d == 0x7d && (stack & 1) != 0) {
        p++;
      } else if (d == 0x5d && (stack & 1) == 0) {
        p++;
      } else return 0;
      stack >>= 1;
      depth--;
    }
  }
  return 0;
}

// ------------------------------------------------------------------ correlation (canonical)
/** Scratch write position (above the arena's top) and whether it ran out of room. */
let scr: usize = 0;
let noRoom: bool = false;

@inline function put(src: usize, len: u32): bool {
  if (scr + len > ARENA_END) {
    noRoom = true;
    return false;
  }
  copyDown(scr, src, len);
  scr += len;
  return true;
}

/**
 * Copies `len` bytes from `src` to `dst`, where `dst` is below `src` or the two do not overlap
 * (the arena's top from the line, or from the scratch above it): short ones 8 bytes at a time in
 * increasing order, writing up to 7 bytes past `dst + len` (free scratch, or the slack after the
 * arena: the caller made sure `len` bytes fit); long ones with memory.copy (a call).
 */
@inline function copyDown(dst: usize, src: usize, len: u32): void {
  if (len <= 64) {
    for (let i: usize = 0; i < <usize>len; i += 8) store<u64>(dst + i, load<u64>(src + i));
  } else memory.copy(dst, src, len);
}

@inline function putByte(b: u32): bool {
  if (scr + 1 > ARENA_END) {
    noRoom = true;
    return false;
  }
  store<u8>(scr, b);
  scr++;
  return true;
}

let keyN: u32 = 0;

/**
 * A correlation key at `p` (its quote), written as `"key":`; the address after the colon and
 * whitespace, or 0 when JSON.stringify would not give its bytes back here: an escape, a key
 * that may be an array index (JSON.parse puts those first) or a duplicate in its object.
 */
function canonKey(p: usize, depth: i32): usize {
  if (load<u8>(p) != 0x22) return 0;
  const e = strq(p);
  if (e == 0 || (sFlags & F_ESC) != 0) return 0;
  const k = p + 1;
  const len = <u32>(e - k);
  if (len > 0 && isDigit(load<u8>(k))) return 0;
  const first = load<u32>(KEY_AT + (<usize>depth << 2));
  for (let i = first; i < keyN; i++) {
    const a = KEYS + (<usize>i << 3);
    if (load<u32>(a + 4) == len && same(load<u32>(a), k, len)) return 0;
  }
  if (keyN >= MAX_KEYS) return 0;
  const a = KEYS + (<usize>keyN << 3);
  store<u32>(a, k);
  store<u32>(a + 4, len);
  keyN++;
  if (!put(p, len + 2) || !putByte(0x3a)) return 0;
  p = ws(e + 1);
  if (load<u8>(p) != 0x3a) return 0;
  return ws(p + 1);
}

/**
 * The correlation object at `p`, written to the scratch as `safeStringify` gives it back after
 * JSON.parse (no whitespace), or 0 when that is not sure: floats, exponents, integers past 15
 * digits, -0, escapes, keys that may be reordered or repeated.
 */
function canon(p: usize): usize {
  let stack: u64 = 0;
  let depth: i32 = 0;
  keyN = 0;
  for (;;) {
    p = ws(p);
    const c = <u32>load<u8>(p);
    if (c == 0x22) {
      const e = strq(p);
      if (e == 0 || (sFlags & F_ESC) != 0) return 0;
      if (!put(p, <u32>(e + 1 - p))) return 0;
      p = e + 1;
    } else if (c == 0x7b) {
      if (!putByte(0x7b)) return 0;
      p = ws(p + 1);
      if (load<u8>(p) == 0x7d) {
        if (!putByte(0x7d)) return 0;
        p++;
      } else {
        if (depth >= MAX_DEPTH) return 0;
        stack = (stack << 1) | 1;
        depth++;
        store<u32>(KEY_AT + (<usize>depth << 2), keyN);
        p = canonKey(p, depth);
        if (p == 0) return 0;
        continue;
      }
    } else if (c == 0x5b) {
      if (!putByte(0x5b)) return 0;
      p = ws(p + 1);
      if (load<u8>(p) == 0x5d) {
        if (!putByte(0x5d)) return 0;
        p++;
      } else {
        if (depth >= MAX_DEPTH) return 0;
        stack = stack << 1;
        depth++;
        continue;
      }
    } else if (c == 0x2d || isDigit(c)) {
      // integers JSON.stringify prints back as they are: no fraction/exponent, <= 15 digits, not -0
      const e = num(p);
      if (e == 0) return 0;
      let d = p;
      if (load<u8>(d) == 0x2d) {
        d++;
        if (load<u8>(d) == 0x30) return 0;
      }
      for (let i = d; i < e; i++) if (!isDigit(load<u8>(i))) return 0;
      if (e - d > 15) return 0;
      if (!put(p, <u32>(e - p))) return 0;
      p = e;
    } else {
      const e = literal(p);
      if (e == 0) return 0;
      if (!put(p, <u32>(e - p))) return 0;
      p = e;
    }
    for (;;) {
      if (depth == 0) return p;
      p = ws(p);
      const d = <u32>load<u8>(p);
      if (d == 0x2c) {
        if (!putByte(0x2c)) return 0;
        p = ws(p + 1);
        if (stack & 1) {
          p = canonKey(p, depth);
          if (p == 0) return 0;
        }
        break;
      }
      if (d == 0x7d && (stack & 1) != 0) {
        keyN = load<u32>(KEY_AT + (<usize>depth << 2));
      } else if (d != 0x5d || (stack & 1) != 0) return 0;
      if (!putByte(d)) return 0;
      p++;
      stack >>= 1;
      depth--;
    }
  }
  return 0;
}

// ------------------------------------------------------------------------------ timestamps
@inline function two(p: usize): i32 {
  const a = <u32>load<u8>(p) - 0x30;
  const b = <u32>load<u8>(p + 1) - 0x30;
  return a < 10 && b < 10 ? <i32>(a * 10 + b) : -1;
}

function daysInMonth(year: i32, month: i32): i32 {
  if (month == 2) return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28;
  return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
}

function daysFromCivil(y0: f64, m: f64, d: f64): f64 {
  const y = y0 - (m <= 2 ? 1 : 0);
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

let tsOk: bool = false;
// The last date-time prefix (bytes 0..18) read and its value: neighbouring lines share it.
let tsP0: u64 = 0;
let tsP1: u64 = 0;
let tsP2: u32 = 0;
let tsBase: f64 = NaN;

/**
 * src/core/model/time.ts fastIso for the string at [p, p + n) (what TimestampReader and
 * parseTimestamp give for it), with the same floating-point steps; tsOk = false when fastIso
 * would not give a number (another form, or out of range: the caller decides).
 */
function isoTime(p: usize, n: i32): f64 {
  tsOk = false;
  if (n < 19) return 0;
  const p0 = load<u64>(p);
  const p1 = load<u64>(p + 8);
  const p2 = load<u32>(p + 15);
  let base: f64;
  if (p0 == tsP0 && p1 == tsP1 && p2 == tsP2) base = tsBase;
  else {
    if (load<u8>(p + 4) != 0x2d || load<u8>(p + 7) != 0x2d || load<u8>(p + 13) != 0x3a || load<u8>(p + 16) != 0x3a) return 0;
    const sep = load<u8>(p + 10);
    if (sep != 0x54 && sep != 0x20 && sep != 0x74) return 0;
    const y1 = two(p);
    const y2 = two(p + 2);
    const month = two(p + 5);
    const day = two(p + 8);
    const hour = two(p + 11);
    const minute = two(p + 14);
    const second = two(p + 17);
    if (y1 < 0 || y2 < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return 0;
    const year = y1 * 100 + y2;
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return 0;
    if (hour > 23 || minute > 59 || second > 59) return 0;
    base = ((daysFromCivil(<f64>year, <f64>month, <f64>day) * 24 + <f64>hour) * 60 + <f64>minute) * 60000 + <f64>second * 1000;
    tsP0 = p0;
    tsP1 = p1;
    tsP2 = p2;
    tsBase = base;
  }
  // the usual form, `.ffffffZ` (6 digits, UTC): the digits 8 bytes at a time
  if (n == 27 && load<u8>(p + 26) == 0x5a && load<u8>(p + 19) == 0x2e) {
    const x = (load<u64>(p + 19) >> 8) & 0xffffffffffff;
    if ((x & 0xf0f0f0f0f0f0) == 0x303030303030 && ((x + 0x060606060606) & 0xf0f0f0f0f0f0) == 0x303030303030) {
      const t = ((x - 0x303030303030) * 10 + ((x - 0x303030303030) >> 8)) & 0xff00ff00ff;
      const us = <i32>(t & 0xff) * 10000 + <i32>((t >> 16) & 0xff) * 100 + <i32>((t >> 32) & 0xff);
      tsOk = true;
      return us == 0 ? base : base + <f64>(us / 1000) + <f64>(us % 1000) / 1000;
    }
  }
  let i: i32 = 19;
  let micros: i32 = 0;
  const f = load<u8>(p + i);
  if (i < n && (f == 0x2e || f == 0x2c)) {
    let k = 0;
    i++;
    while (i < n && isDigit(load<u8>(p + i))) {
      if (k < 6) micros = micros * 10 + <i32>(load<u8>(p + i) - 0x30);
      k++;
      i++;
    }
    if (k == 0 || k > 9) return 0;
    for (let q = min(k, 6); q < 6; q++) micros *= 10;
  }
  let offset: f64 = 0;
  if (i < n) {
    const z = load<u8>(p + i);
    if ((z == 0x5a || z == 0x7a) && i + 1 == n) {
      i++;
    } else if (z == 0x2b || z == 0x2d) {
      if (i + 3 > n) return 0;
      const oh = two(p + i + 1);
      if (oh < 0) return 0;
      let om = 0;
      let j = i + 3;
      if (j < n) {
        if (load<u8>(p + j) == 0x3a) j++;
        if (j + 2 != n) return 0;
        om = two(p + j);
        if (om < 0) return 0;
      }
      if (oh > 23 || om > 59) return 0;
      offset = <f64>((oh * 60 + om) * 60000) * (z == 0x2d ? -1.0 : 1.0);
      i = n;
    } else return 0;
  }
  if (i != n) return 0;
  const ms = base - offset;
  tsOk = true;
  return micros == 0 ? ms : ms + <f64>(micros / 1000) + <f64>(micros % 1000) / 1000;
}

// --------------------------------------------------------------------------------- numbers
let numOk: bool = false;

/**
 * The value JSON.parse gives the number at [p, e), when it is sure: at most 15 significant
 * digits and a decimal exponent within ±22, so one correctly rounded multiplication or division
 * of exact doubles gives it (Clinger's fast path). numOk = false otherwise.
 */
function numValue(p: usize, e: usize): f64 {
  numOk = false;
  let neg = false;
  if (load<u8>(p) == 0x2d) {
    neg = true;
    p++;
  }
  let m: f64 = 0;
  let digits = 0;
  let frac = 0;
  while (p < e && isDigit(load<u8>(p))) {
    m = m * 10 + <f64>(load<u8>(p) - 0x30);
    digits++;
    p++;
  }
  if (p < e && load<u8>(p) == 0x2e) {
    p++;
    while (p < e && isDigit(load<u8>(p))) {
      m = m * 10 + <f64>(load<u8>(p) - 0x30);
      digits++;
      frac++;
      p++;
    }
  }
  let exp = 0;
  if (p < e) {
    // e or E
    p++;
    let eneg = false;
    const s = load<u8>(p);
    if (s == 0x2b || s == 0x2d) {
      eneg = s == 0x2d;
      p++;
    }
    while (p < e) {
      exp = exp * 10 + <i32>(load<u8>(p) - 0x30);
      if (exp > 100) return 0;
      p++;
    }
    if (eneg) exp = -exp;
  }
  if (digits > 15) return 0;
  const x = exp - frac;
  if (x < -22 || x > 22) return 0;
  let v = m;
  if (x != 0) {
    let pw: f64 = 1;
    const a = x < 0 ? -x : x;
    for (let i = 0; i < a; i++) pw *= 10;
    v = x < 0 ? m / pw : m * pw;
  }
  numOk = true;
  return neg ? -v : v;
}

// ------------------------------------------------------------------------------- the lines
// keys, packed little-endian (first 8 bytes, next 8) with their length
const K_NONE = 0;
const K_V = 1;
const K_EVENT_TYPE = 2;
const K_RUN_ID = 3;
const K_TIMESTAMP = 4;
const K_FLOW = 5;
const K_FLOW_ID = 6;
const K_PARENT_FLOW_ID = 7;
const K_STEP = 8;
const K_FAILURE_CLASS = 9;
const K_TAGS = 10;
const K_CORRELATION = 11;
const K_DURATION_MS = 12;
const K_SEVERITY = 13;
const K_ALIAS = 14;

@inline function packed(p: usize, len: u32): u64 {
  // the first min(len, 8) bytes; the bytes after them are masked off
  const w = load<u64>(p);
  return len >= 8 ? w : w & ((<u64>1 << (<u64>len << 3)) - 1);
}

@inline function keyOf(p: usize, len: u32): i32 {
  if (len > 14) return K_NONE;
  const lo = packed(p, len);
  const hi = len > 8 ? packed(p + 8, len - 8) : 0;
  switch (len) {
    case 1:
      return lo == 0x76 ? K_V : K_NONE;
    case 2:
      return lo == 0x7374 ? K_ALIAS : K_NONE; // ts
    case 4:
      if (lo == 0x776f6c66) return K_FLOW;
      if (lo == 0x70657473) return K_STEP;
      if (lo == 0x73676174) return K_TAGS;
      if (lo == 0x656d6974 || lo == 0x65707974) return K_ALIAS; // time, type
      return K_NONE;
    case 5:
      return lo == 0x7373616c63 ? K_ALIAS : K_NONE; // class
    case 6:
      if (lo == 0x64695f6e7572) return K_RUN_ID;
      return lo == 0x746e65726170 ? K_ALIAS : K_NONE; // parent
    case 7:
      return lo == 0x64695f776f6c66 ? K_FLOW_ID : K_NONE;
    case 8:
      return lo == 0x7974697265766573 ? K_SEVERITY : K_NONE;
    case 9:
      if (lo == 0x6d617473656d6974 && hi == 0x70) return K_TIMESTAMP;
      return lo == 0x6d616e5f776f6c66 && hi == 0x65 ? K_ALIAS : K_NONE; // flow_name
    case 10:
      if (lo == 0x79745f746e657665 && hi == 0x6570) return K_EVENT_TYPE;
      if (lo == 0x5f6e6f6973736573 && hi == 0x6469) return K_ALIAS; // session_id
      if ((lo == 0x5f79636e6574616c || lo == 0x5f64657370616c65) && hi == 0x736d) return K_ALIAS; // latency_ms, elapsed_ms
      return K_NONE;
    case 11:
      if (lo == 0x74616c6572726f63 && hi == 0x6e6f69) return K_CORRELATION;
      if (lo == 0x6e6f697461727564 && hi == 0x736d5f) return K_DURATION_MS;
      return lo == 0x6c635f726f727265 && hi == 0x737361 ? K_ALIAS : K_NONE; // error_class
    case 13:
      return lo == 0x5f6572756c696166 && hi == 0x7373616c63 ? K_FAILURE_CLASS : K_NONE;
    case 14:
      return lo == 0x665f746e65726170 && hi == 0x64695f776f6c ? K_PARENT_FLOW_ID : K_NONE;
    default:
      return K_NONE;
  }
}

/** parseSeverity of an ASCII string at [p, p + len): its code (1 debug ... 5 critical), 0 none. */
function severity(p: usize, len: u32): u32 {
  // String.prototype.trim: in ASCII only spaces can be in a JSON string unescaped
  while (len > 0 && load<u8>(p) == 0x20) {
    p++;
    len--;
  }
  while (len > 0 && load<u8>(p + len - 1) == 0x20) len--;
  if (len == 0 || len > 8) return 0;
  let w: u64 = 0;
  for (let i: u32 = 0; i < len; i++) {
    let c = <u64>load<u8>(p + i);
    if (c - 0x41 < 26) c |= 0x20;
    w |= c << (<u64>i << 3);
  }
  switch (len) {
    case 3:
      return w == 0x727265 ? 4 : 0; // err
    case 4:
      if (w == 0x6f666e69) return 2; // info
      if (w == 0x6e726177) return 3; // warn
      return w == 0x74697263 ? 5 : 0; // crit
    case 5:
      if (w == 0x6775626564 || w == 0x6563617274) return 1; // debug, trace
      if (w == 0x726f727265) return 4; // error
      return w == 0x6c61746166 ? 5 : 0; // fatal
    case 6:
      return w == 0x656369746f6e ? 2 : 0; // notice
    case 7:
      return w == 0x676e696e726177 ? 3 : 0; // warning
    case 8:
      return w == 0x6c61636974697263 ? 5 : 0; // critical
    default:
      return 0;
  }
}

// the fields of the line being read: byte ranges of plain strings (len -1 = absent)
let fTypeP: usize = 0;
let fTypeL: i32 = -1;
let fRunP: usize = 0;
let fRunL: i32 = -1;
let fFlowP: usize = 0;
let fFlowL: i32 = -1;
let fFlowIdP: usize = 0;
let fFlowIdL: i32 = -1;
let fParentP: usize = 0;
let fParentL: i32 = -1;
let fStepP: usize = 0;
let fStepL: i32 = -1;
let fFcP: usize = 0;
let fFcL: i32 = -1;
// tags and correlation: built in the scratch
let fTagsP: usize = 0;
let fTagsL: i32 = -1;
let fCorrP: usize = 0;
let fCorrL: i32 = -1;
let fTs: f64 = NaN;
/** Light members of the line recorded at SPANS (hintSpans). */
let spanN: u32 = 0;
/** Record the member [st, en) for hintSpans: `f` its light field, -1 when its value has no word by its grammar. */
@inline function span(st: usize, en: usize, f: i32): void {
  const at = SPANS + <usize>(spanN * 12);
  store<u32>(at, <u32>st);
  store<u32>(at + 4, <u32>en);
  store<i32>(at + 8, f);
  spanN++;
}
let fDur: f64 = NaN;
let fSev: u32 = 0;

/** A plain string value (no escapes, not longer than MAX_STR) for a field: its closing quote, or 0. */
@inline function plain(p: usize): usize {
  const e = strq(p);
  if (e == 0 || (sFlags & F_ESC) != 0 || <u32>(e - p - 1) > MAX_STR) return 0;
  return e;
}

/** `tags` as an array: parseTags joined by U+0001 into the scratch. The address after it, or 0. */
function tagsArray(p: usize): usize {
  const start = scr;
  let n = 0;
  let bad = false;
  p = ws(p + 1);
  if (load<u8>(p) == 0x5d) {
    fTagsL = -1;
    return p + 1;
  }
  while (true) {
    const c = <u32>load<u8>(p);
    if (c == 0x22) {
      const e = plain(p);
      if (e == 0) return 0;
      if (!bad) {
        if (n > 0 && !putByte(1)) return 0;
        if (!put(p + 1, <u32>(e - p - 1))) return 0;
        n++;
      }
      p = e + 1;
    } else if (c == 0x74 || c == 0x66) {
      // String(true), String(false): the literal's own bytes
      const e = literal(p);
      if (e == 0) return 0;
      if (!bad) {
        if (n > 0 && !putByte(1)) return 0;
        if (!put(p, <u32>(e - p))) return 0;
        n++;
      }
      p = e;
    } else if (c == 0x2d || isDigit(c)) {
      return 0; // String(number): left to JSON.parse
    } else {
      bad = true; // null, an object or an array: parseTags gives undefined → no tags
      p = value(p);
      if (p == 0) return 0;
    }
    p = ws(p);
    const d = load<u8>(p);
    if (d == 0x2c) {
      p = ws(p + 1);
      continue;
    }
    if (d != 0x5d) return 0;
    p++;
    break;
  }
  if (<u32>(scr - start) > MAX_STR) return 0;
  if (bad || n == 0) {
    scr = start;
    fTagsL = -1;
  } else {
    fTagsP = start;
    fTagsL = <i32>(scr - start);
  }
  return p;
}

/** `tags` as a string (ASCII): split on commas, trimmed, empty parts dropped. */
function tagsString(s: usize, e: usize): bool {
  const start = scr;
  let n = 0;
  let a = s;
  while (a <= e) {
    let b = a;
    while (b < e && load<u8>(b) != 0x2c) b++;
    let x = a;
    let y = b;
    while (x < y && load<u8>(x) == 0x20) x++;
    while (y > x && load<u8>(y - 1) == 0x20) y--;
    if (y > x) {
      if (n > 0 && !putByte(1)) return false;
      if (!put(x, <u32>(y - x))) return false;
      n++;
    }
    a = b + 1;
  }
  if (n == 0) {
    scr = start;
    fTagsL = -1;
  } else {
    fTagsP = start;
    fTagsL = <i32>(scr - start);
  }
  return true;
}

/**
 * One line at `s` (its first byte; a newline comes before the range's end): 1 and rEnd = its
 * newline when it is a line this scanner is sure about, else 0.
 */
function line(s: usize): i32 {
  if (load<u8>(s) != 0x7b) return 0;
  fTypeL = -1; fRunL = -1; fFlowL = -1; fFlowIdL = -1; fParentL = -1; fStepL = -1; fFcL = -1;
  fTagsL = -1; fCorrL = -1;
  fTs = NaN; fDur = NaN; fSev = 0;
  scr = atop;
  noRoom = false;
  spanN = 0;
  let seen: u32 = 0;
  let p = ws(s + 1);
  while (true) {
    if (load<u8>(p) != 0x22) return 0;
    const ms0 = p;
    const ke = strq(p);
    if (ke == 0 || (sFlags & F_ESC) != 0) return 0;
    const k = keyOf(p + 1, <u32>(ke - p - 1));
    // `": ` (Python's separator) or `":` (compact) in one compare, else whitespace, a colon, whitespace
    const kw = load<u32>(ke);
    if ((kw & 0xffffff) == 0x203a22) p = ws(ke + 3);
    else if ((kw & 0xffff) == 0x3a22) p = ws(ke + 2);
    else {
      p = ws(ke + 1);
      if (load<u8>(p) != 0x3a) return 0;
      p = ws(p + 1);
    }
    // Where a light member's span (hintSpans) starts: its key's quote when a colon and at most one
    // space stand between key and value, else the value (other whitespace, a tab — a byte the
    // prefilter flags — is left to the automaton).
    const ms = p == ke + 2 || (p == ke + 3 && load<u8>(ke + 2) == 0x20) ? ms0 : p;
    if (k != K_NONE) {
      if (k == K_ALIAS) return 0;
      const bit: u32 = 1 << k;
      if (seen & bit) return 0; // a duplicate: JSON.parse keeps the last
      seen |= bit;
    }
    const c = <u32>load<u8>(p);
    switch (k) {
      case K_NONE: {
        // the common values here without a call: a string, a number
        if (c == 0x22) {
          p = strq(p);
          if (p != 0) p++;
        } else if (isDigit(c)) p = num(p);
        else p = value(p);
        break;
      }
      case K_V: {
        // exactly the number 1 (1.0, 1e0 ... are 1 too, but rare: JSON.parse decides)
        if (c != 0x31) return 0;
        p++;
        span(ms, p, -1);
        break;
      }
      case K_EVENT_TYPE: {
        if (c != 0x22) return 0; // 'unknown' and the rest: JSON.parse
        const e = plain(p);
        if (e == 0) return 0;
        const len = <u32>(e - p - 1);
        if (len == 0) return 0;
        if (len == 13 && load<u64>(p + 1) == 0x5f6e6f6973736573 && packed(p + 9, 5) == 0x7472617473) return 0; // session_start
        if (len == 11 && load<u64>(p + 1) == 0x5f6e6f6973736573 && packed(p + 9, 3) == 0x646e65) return 0; // session_end
        fTypeP = p + 1;
        fTypeL = <i32>len;
        p = e + 1;
        span(ms, p, 0);
        break;
      }
      case K_RUN_ID:
      case K_FLOW_ID:
      case K_PARENT_FLOW_ID:
      case K_STEP: {
        // idStr: a string, or String(number) (left to JSON.parse); anything else is absent
        if (c == 0x22) {
          const e = plain(p);
          if (e == 0) return 0;
          const q = p + 1;
          const len = <i32>(e - q);
          if (k == K_RUN_ID) { fRunP = q; fRunL = len; span(ms, e + 1, 1); }
          else if (k == K_FLOW_ID) { fFlowIdP = q; fFlowIdL = len; span(ms, e + 1, 3); }
          else if (k == K_PARENT_FLOW_ID) { fParentP = q; fParentL = len; span(ms, e + 1, 4); }
          else { fStepP = q; fStepL = len; span(ms, e + 1, 5); }
          p = e + 1;
        } else if (c == 0x2d || isDigit(c)) return 0;
        else p = value(p);
        break;
      }
      case K_FLOW:
      case K_FAILURE_CLASS: {
        if (c == 0x22) {
          const e = plain(p);
          if (e == 0) return 0;
          const q = p + 1;
          const len = <i32>(e - q);
          if (k == K_FLOW) { fFlowP = q; fFlowL = len; span(ms, e + 1, 2); }
          else { fFcP = q; fFcL = len; span(ms, e + 1, 6); }
          p = e + 1;
        } else p = value(p);
        break;
      }
      case K_TIMESTAMP: {
        if (c == 0x22) {
          const e = plain(p);
          if (e == 0) return 0;
          fTs = isoTime(p + 1, <i32>(e - p - 1));
          if (!tsOk) return 0;
          p = e + 1;
          span(ms, p, -1); // digits and -:.,+ T t Z z or a space: no word
        } else if (c == 0x2d || isDigit(c)) return 0; // epoch numbers: JSON.parse
        else p = value(p); // null, true, an object...: no time, and no timestamp problem
        break;
      }
      case K_DURATION_MS: {
        if (c == 0x2d || isDigit(c)) {
          const e = num(p);
          if (e == 0) return 0;
          fDur = numValue(p, e);
          if (!numOk) return 0;
          p = e;
          span(ms, p, -1); // digits and - + . e E: no word
        } else p = value(p);
        break;
      }
      case K_SEVERITY: {
        if (c == 0x22) {
          const e = plain(p);
          if (e == 0 || (sFlags & F_HI) != 0) return 0; // trim()/toLowerCase() beyond ASCII: JSON.parse
          fSev = severity(p + 1, <u32>(e - p - 1));
          p = e + 1;
        } else p = value(p);
        break;
      }
      case K_TAGS: {
        if (c == 0x5b) p = tagsArray(p);
        else if (c == 0x22) {
          const e = plain(p);
          if (e == 0 || (sFlags & F_HI) != 0) return 0;
          if (!tagsString(p + 1, e)) return 0;
          p = e + 1;
        } else if (c == 0x2d || isDigit(c)) return 0;
        else p = value(p);
        break;
      }
      case K_CORRELATION: {
        if (c == 0x7b) {
          const start = scr;
          p = canon(p);
          if (p != 0) {
            fCorrP = start;
            fCorrL = <i32>(scr - start);
            if (<u32>fCorrL > MAX_STR) return 0;
          }
        } else p = value(p);
        break;
      }
      default:
        return 0;
    }
    if (p == 0) return 0;
    // `, "` (Python's separator before the next key) or `,"` (compact) in one compare
    const vw = load<u32>(p);
    if ((vw & 0xffffff) == 0x22202c) {
      p += 2;
      continue;
    }
    if ((vw & 0xffff) == 0x222c) {
      p += 1;
      continue;
    }
    p = ws(p);
    const d = load<u8>(p);
    if (d == 0x2c) {
      p = ws(p + 1);
      continue;
    }
    if (d != 0x7d) return 0;
    p++;
    break;
  }
  p = ws(p);
  if (load<u8>(p) != 0x0a) return 0;
  if ((seen & (1 << K_V)) == 0 || (seen & (1 << K_EVENT_TYPE)) == 0) return 0;
  rEnd = p;
  return 1;
}

const DONE: i32 = 0;
const UNSURE: i32 = 1;
const FULL: i32 = 2;

/**
 * Scans the lines of [from, to) of the input region (`to` is just after a newline), `n` records
 * in the batch so far, `lineNo` lines before `from`, `base` = the file offset of the input's
 * first byte. Returns DONE (every line read; rPos = to), UNSURE (rPos = the first byte of a line
 * to parse with JSON.parse, rEnd = its newline; lineNo not counting it) or FULL (the batch is
 * full, or its strings would not fit: rPos = the line to scan again after a new batch).
 * `hints`: also the secret hint of each record it reads, and of each flagged one its canonical
 * id (canonId; -1 without one).
 * rN and rLine are the record and line counts after the lines read.
 */
export function scan(from: u32, to: u32, n: u32, lineNo: u32, base: f64, maxLine: u32, hints: i32): i32 {
  let p: usize = IN + from;
  const end: usize = IN + to;
  let status = DONE;
  while (p < end) {
    if (load<u8>(p) == 0x0a) {
      // a blank line: counted, nothing else
      lineNo++;
      p++;
      continue;
    }
    if (n >= CAP) {
      status = FULL;
      break;
    }
    if (count + 9 > MAX_IDS) {
      status = FULL;
      break;
    }
    prepass(p);
    if (line(p) == 0) {
      if (noRoom && count > 0) {
        status = FULL;
        break;
      }
      status = UNSURE;
      break;
    }
    const len = <u32>(rEnd - p);
    if (len > maxLine) {
      status = UNSURE;
      break;
    }
    // room for the plain strings: each is a part of the line
    if (scr + len > ARENA_END) {
      if (count > 0) {
        status = FULL;
      } else status = UNSURE;
      break;
    }
    // the scratch strings first (tags and correlation, in the order they were built), then the rest
    let tagsId: i32 = -1;
    let corrId: i32 = -1;
    if (fTagsL >= 0 && fCorrL >= 0 && fCorrP < fTagsP) {
      corrId = internCached(fCorrP, <u32>fCorrL, 8);
      tagsId = internCached(fTagsP, <u32>fTagsL, 7);
    } else {
      if (fTagsL >= 0) {
        tagsId = internCached(fTagsP, <u32>fTagsL, 7);
      }
      if (fCorrL >= 0) corrId = internCached(fCorrP, <u32>fCorrL, 8);
    }
    const o = <usize>n << 2;
    const o8 = <usize>n << 3;
    store<i32>(O_TYPE + o, internCached(fTypeP, <u32>fTypeL, 0));
    if (fRunL >= 0) {
      store<i32>(O_RUN + o, internCached(fRunP, <u32>fRunL, 1));
    } else store<i32>(O_RUN + o, -1);
    if (fFlowL >= 0) {
      store<i32>(O_FLOW + o, internCached(fFlowP, <u32>fFlowL, 2));
    } else store<i32>(O_FLOW + o, -1);
    if (fFlowIdL >= 0) {
      store<i32>(O_FLOWID + o, internCached(fFlowIdP, <u32>fFlowIdL, 3));
    } else store<i32>(O_FLOWID + o, -1);
    if (fParentL >= 0) {
      store<i32>(O_PARENT + o, internCached(fParentP, <u32>fParentL, 4));
    } else store<i32>(O_PARENT + o, -1);
    if (fStepL >= 0) {
      store<i32>(O_STEP + o, internCached(fStepP, <u32>fStepL, 5));
    } else store<i32>(O_STEP + o, -1);
    if (fFcL >= 0) {
      store<i32>(O_FC + o, internCached(fFcP, <u32>fFcL, 6));
    } else store<i32>(O_FC + o, -1);
    store<i32>(O_TAGS + o, tagsId);
    store<i32>(O_CORR + o, corrId);
    lineNo++;
    store<f64>(O_OFF + o8, base + <f64>(p - IN));
    store<u32>(O_LEN + o, len);
    store<u32>(O_LINE + o, lineNo);
    store<u32>(O_SUB + o, 0);
    store<f64>(O_TS + o8, fTs);
    store<f64>(O_DUR + o8, fDur);
    store<u8>(O_KIND + n, 0);
    store<u8>(O_SEV + n, fSev);
    if (hints) {
      const hv = hintSpans(p, rEnd, o);
      store<u8>(O_HINT + n, hv);
      store<i32>(O_CANON + o, hv != 0 && cOn ? canonId(p, rEnd) : -1);
    }
    n++;
    p = rEnd + 1;
  }
  if (status == UNSURE) {
    // the line's end for the caller
    let q = p;
    while (load<u8>(q) != 0x0a) q++;
    rEnd = q;
  }
  rN = n;
  rLine = lineNo;
  rPos = <u32>(p - IN);
  return status;
}
