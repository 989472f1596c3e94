/**
 * Which lines of a trace may hold a secret: a conservative byte-level test, so the run-scoped
 * secret walk (src/core/render/egress/secrets.ts) decodes only the lines of an indexed file that
 * could give it something, instead of every event again.
 *
 * The words the Redactor treats as credentials are defined here, once (render/egress/redact.ts
 * imports them): the sensitive keys beside ra.yaml's defaults, the short keys matched only whole,
 * and the extra words of its "is this string worth scrubbing" trigger.
 *
 * Why a `false` is safe (the line gives the walk nothing): the walk adds a secret only for (a) a
 * value under a key whose normalised form (lower case, `_ . -` and white space removed) holds a
 * sensitive word, (b) a string on which the trigger matches, (c) an argv element after a flag
 * naming a sensitive word or `-p…` beside a mysql-like program, (d) a metric value whose name is
 * a sensitive key. Every string the walk sees in an event decoded from a line is a JSON string of
 * that line (or a part of one: a tag of a comma list), a key of it, or a number written as text
 * (normalize.ts). In a line of printable ASCII without a backslash, each such string is the bytes
 * between two quotes as written, so each of (a)–(d) leaves one of the {@link PREFILTER_WORDS} in
 * the line read in lower case with `_ . -` and spaces dropped (or `-p` as written). Any byte
 * outside printable ASCII (control, DEL, UTF-8) or a backslash (an escape could spell any word)
 * makes the line a candidate. Redact keys beyond the defaults are not known here: the walk
 * decodes every line when ra.yaml adds a word none of these covers ({@link hintsCoverWords}).
 * OTLP batch lines are always candidates (their events are built, not copied, from the line).
 */
import * as fs from 'node:fs';
import { record, setOwn } from '../model/bounded';
import type { TraceEvent } from '../model/types';
import { DEFAULT_REDACT_KEYS } from './catalog';
import { openRegular } from './ingress/safeFile';
import type { ScanBatch } from './index/scan';
import { parseJsonLine } from './sources/jsonl';
import { detectDialect, normalizeEvent } from './sources/normalize';

/**
 * Further credential words always redacted, like the defaults (a key *containing* one matches):
 * spellings of passwords and keys that the ra.yaml defaults miss. Not `session` (`session_id` is
 * the run id alias) and not `key` (far too common).
 */
export const EXTRA_SENSITIVE_KEYS: readonly string[] = [
  'passwd',
  'passphrase',
  'credential',
  'private_key',
  'access_key',
  'signing_key',
  'encryption_key',
  'account_key',
  'shared_access_key',
  'shared_access_signature',
  'mysql_pwd',
  'pgpass',
  'webhook_url',
];

/**
 * Short credential keys matched only as the whole key (`pass`, not `passed`/`bypass`/`compass`;
 * `pwd`, not `pwd_hash_algo`): common enough as password keys, too common as parts of words.
 */
export const EXACT_SENSITIVE_KEYS: readonly string[] = ['pass', 'pwd', 'pw', 'dsn'];

/**
 * The rest of the Redactor's trigger, beside the key words (matched as written, in any case):
 * what its value patterns start from — a URL, a signature, `key=`, a webhook, a private-key
 * block, curl, an encoded `=`/`:`. And {@link CASED_TRIGGER}.
 */
export const TRIGGER_EXTRAS: readonly string[] = ['://', 'sig', 'key=', 'code=', 'x-amz-', 'x-goog-', 'webhook', 'hooks.', 'BEGIN', 'curl', '%3a', '%3d'];

/**
 * The one trigger matched as written, in lower case only: `-p`, what the Redactor's password
 * flag patterns start from (`mysql -psecret`, `['-p', 'x']`). Every one of them is lower case —
 * `-P` is mysql's port, not its password — so an upper-case `-P` (`ord-PYPL-265`, `X-Powered-By`)
 * gives the walk nothing a pattern would take. (It was matched in any case until issue 15 round 9:
 * in the bench trace ~2,250 lines with an order id like `ord-PYPL-265` were walked for it.)
 */
export const CASED_TRIGGER = '-p';

/** {@link TRIGGER_EXTRAS} as a regex source (an alternation of literals). */
export const TRIGGER_EXTRA_SOURCE = TRIGGER_EXTRAS.map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');

/** A key as the Redactor compares it, for ASCII: lower case, `_ . -` and white space removed. */
function squeeze(k: string): string {
  return k.toLowerCase().replace(/[\s_.-]+/g, '');
}

/** The words looked for in a line, squeezed (see the file comment). */
export const PREFILTER_WORDS: readonly string[] = [
  // `-p` ({@link CASED_TRIGGER}) squeezed is `p`: it is looked for as written instead (lineMayHoldSecret).
  ...new Set([...DEFAULT_REDACT_KEYS, ...EXTRA_SENSITIVE_KEYS, ...EXACT_SENSITIVE_KEYS, ...TRIGGER_EXTRAS].map(squeeze)),
].filter(Boolean);

/**
 * True when every redact word (ra.yaml `privacy.redact_keys`) is found by the prefilter: its
 * squeezed form holds one of {@link PREFILTER_WORDS} (a key or string matching it then holds that
 * word too). Otherwise hints made with the default words say nothing and every line is walked.
 */
export function hintsCoverWords(words: readonly string[]): boolean {
  for (const w of words) {
    if (typeof w !== 'string') return false;
    if (/[^\x20-\x7e]/.test(w)) return false;
    const s = squeeze(w);
    if (s === '') continue; // matches nothing (the Redactor skips it)
    if (!PREFILTER_WORDS.some((p) => s.includes(p))) return false;
  }
  return true;
}

// The automaton: Aho–Corasick over the squeezed, lower-cased bytes. Bytes map to classes (the
// characters of the words, a separator, a byte that makes the line a candidate by itself, the
// rest); the transition table (state << 6 | class) is a few KB, so the byte loop, one dependent
// load per byte, runs from the L1 cache. A separator keeps the state; a candidate byte (control,
// DEL, non-ASCII, backslash) and the end of a word lead to ACCEPT. `-` is a separator and also
// checked with the next byte (`-p`, as written: {@link CASED_TRIGGER}).
const ACCEPT = 255;
const C_OTHER = 0;
const C_SEP = 1;
const C_STOP = 2;
const C_DASH = 3;
const CLASS = new Uint8Array(256);
const TABLE = ((): Uint8Array => {
  let classes = 4;
  for (const w of PREFILTER_WORDS) for (let k = 0; k < w.length; k++) if (CLASS[w.charCodeAt(k)] === 0) CLASS[w.charCodeAt(k)] = classes++;
  for (let x = 0x41; x <= 0x5a; x++) CLASS[x] = CLASS[x + 32]; // A-Z as a-z
  for (const x of [0x5f, 0x2e, 0x20]) CLASS[x] = C_SEP;
  CLASS[0x2d] = C_DASH;
  for (let x = 0; x < 256; x++) if (x < 0x20 || x >= 0x7f || x === 0x5c) CLASS[x] = C_STOP;
  if (classes > 64) throw new Error('secretHint: too many classes');
  const go: Map<number, number>[] = [new Map()];
  const out: boolean[] = [false];
  for (const w of PREFILTER_WORDS) {
    let st = 0;
    for (let k = 0; k < w.length; k++) {
      const c = CLASS[w.charCodeAt(k)];
      let t = go[st].get(c);
      if (t === undefined) {
        t = go.length;
        go.push(new Map());
        out.push(false);
        go[st].set(c, t);
      }
      st = t;
    }
    out[st] = true;
  }
  if (go.length >= ACCEPT) throw new Error('secretHint: too many states');
  const fail = new Int32Array(go.length);
  const order: number[] = [...go[0].values()];
  for (let q = 0; q < order.length; q++) {
    const r = order[q];
    for (const [c, st] of go[r]) {
      order.push(st);
      let f = fail[r];
      while (f !== 0 && !go[f].has(c)) f = fail[f];
      const g = go[f].get(c);
      fail[st] = g !== undefined && g !== st ? g : 0;
      if (out[fail[st]]) out[st] = true;
    }
  }
  const t = new Uint8Array(go.length << 6);
  for (let st = 0; st < go.length; st++) {
    for (let c = 0; c < 64; c++) {
      let next = 0;
      if (c === C_STOP) next = ACCEPT;
      else if (c === C_SEP || c === C_DASH) next = st;
      else if (c !== C_OTHER) {
        for (let f = st; ; f = fail[f]) {
          const g = go[f].get(c);
          if (g !== undefined) {
            next = out[g] ? ACCEPT : g;
            break;
          }
          if (f === 0) break;
        }
      }
      t[(st << 6) | c] = next;
    }
  }
  return t;
})();

/**
 * The automaton, for a port (the WASM line scanner may run it while it reads a line): per line,
 * `s = 0`; per byte `x`: `c = classOf[x]`; if `c === dash`, the line is a candidate when the next
 * byte is `p` (lower case only: {@link CASED_TRIGGER}), else go on; otherwise `s = next[(s << 6) | c]`, and `s === accept` makes it one.
 */
export const HINT_DFA = { classOf: CLASS, next: TABLE, accept: ACCEPT, dash: C_DASH } as const;


/**
 * True when the line `b[start, end)` may give the run-scoped secret walk a secret (see the file
 * comment); false only when it provably gives none.
 */
export function lineMayHoldSecret(b: Uint8Array, start: number, end: number): boolean {
  const t = TABLE;
  const cls = CLASS;
  let s = 0;
  for (let i = start; i < end; i++) {
    const c = cls[b[i]];
    if (c === C_DASH) {
      if (i + 1 < end && b[i + 1] === 0x70) return true;
      continue;
    }
    s = t[(s << 6) | c];
    if (s === ACCEPT) return true;
  }
  return false;
}

/** True when string `s` may give the walk a secret (as {@link lineMayHoldSecret}, over its characters). */
export function stringMayHoldSecret(s: string): boolean {
  const t = TABLE;
  const cls = CLASS;
  let st = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const x = s.charCodeAt(i);
    if (x > 0x7e) return true;
    const c = cls[x];
    if (c === C_DASH) {
      if (i + 1 < n && s.charCodeAt(i + 1) === 0x70) return true;
      continue;
    }
    st = t[(st << 6) | c];
    if (st === ACCEPT) return true;
  }
  return false;
}

/**
 * The string fields of an event the secret walk scans (render/egress/secrets.ts eventSecrets reads
 * this list; {@link pruneForSecrets} keeps those that may hold a secret).
 */
export const SECRET_STRING_FIELDS = ['reason', 'step', 'flow', 'flowId', 'parentFlowId', 'causedBy', 'message', 'failureClass', 'function', 'file', 'thread', 'status', 'app', 'mode', 'host', 'source', 'runId', 'gitSha'] as const;

/** The structures of an event the secret walk walks, in its order. */
export const SECRET_STRUCTURES = ['evidence', 'data', 'payload', 'correlation', 'extra'] as const;

/** Nesting a pruned value may have; deeper, the line is left to the walk (hint 1). */
const PRUNE_DEPTH = 64;
/** The longest pruned text kept with a record; longer, the line is left to the walk (hint 1). */
const PRUNE_MAX_CHARS = 16 * 1024;

class TooDeep extends Error {}

/** `v` as JSON keeps it for the walk: a non-finite number as its text (JSON would write null). */
function copyValue(v: unknown, depth: number): unknown {
  if (depth > PRUNE_DEPTH) throw new TooDeep();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => copyValue(x, depth + 1));
  const out = record<unknown>();
  for (const k of Object.keys(v)) setOwn(out, k, copyValue((v as Record<string, unknown>)[k], depth + 1));
  return out;
}

/**
 * What of a structure (evidence, data, …) the walk can take a secret from, or undefined for
 * nothing: a key that may be sensitive keeps its whole value, an array with an element that may
 * be a flag (or hold a secret) is kept whole (a flag's argument is its neighbour), a string is
 * kept when it may hold a secret; other keys, numbers and containers are dropped. A key without
 * a hit is not sensitive, so what is under it is walked as under any other key.
 */
function pruneValue(v: unknown, depth: number): unknown {
  if (depth > PRUNE_DEPTH) throw new TooDeep();
  if (typeof v === 'string') return stringMayHoldSecret(v) ? v : undefined;
  if (v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    if (v.some((x) => typeof x === 'string' && stringMayHoldSecret(x))) return copyValue(v, depth);
    const kept: unknown[] = [];
    for (const x of v) {
      const p = typeof x === 'object' && x !== null ? pruneValue(x, depth + 1) : undefined;
      if (p !== undefined) kept.push(p);
    }
    return kept.length ? kept : undefined;
  }
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    const p = stringMayHoldSecret(k) ? copyValue(x, depth + 1) ?? null : pruneValue(x, depth + 1);
    if (p !== undefined) setOwn((out ??= record<unknown>()), k, p);
  }
  return out;
}

/**
 * The part of an event the run-scoped secret walk can take a secret from, as JSON, or '' when it
 * takes none; undefined when it cannot be said here (too deep, too long): walk the event itself.
 * Mirrors eventSecrets (render/egress/secrets.ts): the walk over the pruned event finds the same
 * secrets as over the event (a string, key or metric without a hit gives none; see the file
 * comment). The run id is left out: the walk scans the run's own id once.
 */
export function pruneForSecrets(e: TraceEvent): string | undefined {
  try {
    const out = record<unknown>();
    let any = false;
    for (const f of SECRET_STRING_FIELDS) {
      if (f === 'runId') continue;
      const v = e[f];
      if (typeof v === 'string' && stringMayHoldSecret(v)) {
        out[f] = v;
        any = true;
      }
    }
    if (Array.isArray(e.tags)) {
      const t = e.tags.filter((x) => typeof x === 'string' && stringMayHoldSecret(x));
      if (t.length) {
        out.tags = t;
        any = true;
      }
    }
    const ex = e.exception;
    if (ex) {
      const kept = record<unknown>();
      let has = false;
      if (typeof ex.type === 'string' && stringMayHoldSecret(ex.type)) {
        kept.type = ex.type;
        has = true;
      }
      if (typeof ex.message === 'string' && stringMayHoldSecret(ex.message)) {
        kept.message = ex.message;
        has = true;
      }
      if (has) {
        out.exception = kept;
        any = true;
      }
    }
    for (const f of SECRET_STRUCTURES) {
      const v = e[f];
      // A string structure is scanned whole; an object or array is walked.
      const p = typeof v === 'string' ? (stringMayHoldSecret(v) ? v : undefined) : pruneValue(v, 0);
      if (p !== undefined) {
        out[f] = p;
        any = true;
      }
    }
    const m = e.metric;
    if (m && typeof m.name === 'string') {
      const nameHit = stringMayHoldSecret(m.name);
      if (nameHit || (typeof m.value === 'string' && stringMayHoldSecret(m.value))) {
        out.metric = { name: nameHit ? m.name : '', value: copyValue(m.value, 0) };
        any = true;
      }
    }
    if (!any) return '';
    const text = JSON.stringify(out);
    return text.length > PRUNE_MAX_CHARS ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * What the secret walk can take from the flagged line `b[start, end)` (file offset `offset`),
 * parsed as FileEvents decodes it: the pruned event as JSON, '' for nothing, undefined when it
 * cannot be said (walk the decoded event).
 */
export function pruneLine(b: Buffer, start: number, end: number, offset: number): string | undefined {
  const r = parseJsonLine(b, start, end, offset, false, Infinity);
  if (!r?.value) return undefined;
  return pruneForSecrets(normalizeEvent(r.value, detectDialect(r.value) ?? 'flowscribe-v1', { file: '', line: 0, offset }));
}

// ---------------------------------------------------------------------------------------------
// The flagged lines of a trace are mostly alike: the same pre-redacted evidence
// (`"token": "***REDACTED***"`) on lines that differ in their ids, times and numbers. What
// pruneLine makes of a flowscribe v1 line depends only on its members that hold a hit of the
// automaton and on what normalizeEvent does with the others — which, for a member without a hit,
// depends only on its key and the kind of its value, never on its text (below). So such a line is
// rewritten to a canonical form (those members' values replaced by a placeholder of the same
// kind) and pruneLine's result is memoised by that form: the same result, without parsing and
// normalising every flagged line. The test checks pruneLineFast against pruneLine on generated
// hostile lines.
//
// Why the result is the same, for a line of printable ASCII without a backslash (anything else
// takes pruneLine itself) whose one `v` member is exactly `1` (so detectDialect says
// flowscribe-v1, and the 0.1-only rules of normalizeEvent do not apply):
// - a member with a hit (in its key or anywhere in its value) is kept as written;
// - a member without one holds no string, key or number text that pruneForSecrets keeps (each it
//   keeps has a hit, and a hit cannot span a quote), so only its effect on normalizeEvent matters:
//   whether the setter of its key takes the value (else the value goes to `extra`, where without
//   a hit it gives nothing), and for the keys an alias yields to, whether the field is then set
//   and not '' (FIELD_OF). Those depend on the value's kind only for the keys rewritten here:
//   a non-empty string for a string or id field stays a non-empty string (`"_"`); a plain
//   non-negative integer for a number field (duration, line, pid, counts) stays one (`0`); an
//   object for `correlation` stays an object (`{}`); evidence/data, tags and unknown keys take any
//   value (`0`). Every other member — `v`, the event type, aliases, `name`/`value`/`unit` and
//   `metric` (a metric event's parts), `severity`, `exception` — and any value of another kind is
//   kept as written. Duplicate keys rewrite alike (the rule depends on the member only), so
//   JSON.parse's last value keeps its kind and its hits;
// - an object that pruneValue walks (evidence, data, correlation, an unknown key's value) with a
//   hit inside, under a key without one, is rewritten member by member the same way (canonInner):
//   pruneValue keeps only members with a hit, so one without becomes `0`, an object under a key
//   without a hit is rewritten again, and the rest (a key with a hit: its whole value is kept; an
//   array with a hit: kept whole when a string in it hits) is kept as written.

const K_KEEP = 0;
const K_STR = 1;
const K_UINT = 2;
const K_ANY = 3;
const K_OBJ = 4;

/** Categories of the top-level keys of flowscribe v1 (normalize.ts FLOWSCRIBE_KEYS); unknown keys are K_ANY. */
const KEY_KINDS: readonly [string, number][] = [
  ...['run_id', 'timestamp', 'flow', 'flow_id', 'parent_flow_id', 'caused_by', 'step', 'file', 'function', 'thread', 'failure_class', 'reason', 'app', 'mode', 'git_sha', 'host', 'status'].map(
    (k) => [k, K_STR] as [string, number],
  ),
  ...['line', 'duration_ms', 'pid', 'flows_started', 'flows_ended'].map((k) => [k, K_UINT] as [string, number]),
  ['evidence', K_ANY],
  ['data', K_ANY],
  // tags: without a hit they give nothing, set or not (nothing else reads them).
  ['tags', K_ANY],
  ['correlation', K_OBJ],
  // Kept as written: their text matters to normalizeEvent (or to the dialect).
  ...['v', 'event_type', 'severity', 'metric', 'exception', 'name', 'value', 'unit'].map((k) => [k, K_KEEP] as [string, number]),
  // The aliases (normalize.ts FLOWSCRIBE_ALIASES): whether they apply depends on their canonical key.
  ...['type', 'session_id', 'ts', 'time', 'flow_name', 'parent', 'func', 'class', 'error_class', 'message', 'latency_ms', 'elapsed_ms'].map((k) => [k, K_KEEP] as [string, number]),
];

const KEY_SLOTS = 256;
const keySlot: (string | undefined)[] = new Array<string | undefined>(KEY_SLOTS);
const keyKind = new Uint8Array(KEY_SLOTS);
function keyHash(h: number, c: number): number {
  return (Math.imul(h, 31) + c) | 0;
}
for (const [k, kind] of KEY_KINDS) {
  let h = 0;
  for (let i = 0; i < k.length; i++) h = keyHash(h, k.charCodeAt(i));
  let at = h & (KEY_SLOTS - 1);
  while (keySlot[at] !== undefined) at = (at + 1) & (KEY_SLOTS - 1);
  keySlot[at] = k;
  keyKind[at] = kind;
}

/** Bytes per key of {@link CANON_TABLES}' `keys`: its length, its kind, then its bytes. */
const KEY_SLOT_BYTES = 48;

/** The kind of the key `b[s, e)` (without its quotes), by the hash `h` of its bytes. */
function kindOf(b: Uint8Array, s: number, e: number, h: number): number {
  for (let at = h & (KEY_SLOTS - 1); ; at = (at + 1) & (KEY_SLOTS - 1)) {
    const k = keySlot[at];
    if (k === undefined) return K_ANY;
    if (k.length !== e - s) continue;
    let i = 0;
    while (i < k.length && k.charCodeAt(i) === b[s + i]) i++;
    if (i === k.length) return keyKind[at];
  }
}

/** Deepest value rewritten (pruneForSecrets gives up past PRUNE_DEPTH); deeper lines take pruneLine. */
const CANON_DEPTH = PRUNE_DEPTH - 4;
/** Longest line rewritten; longer lines take pruneLine. */
const CANON_MAX = 64 * 1024;
const canonBuf = Buffer.allocUnsafe(CANON_MAX + 16);
const QUOTE = 0x22;

// The automaton's classes for canonLine, with the bytes it must look at itself marked (≥ S_MIN):
// a byte that makes a line a candidate (control, DEL, non-ASCII, backslash: not rewritten), `-`,
// and the JSON structure `" { } [ ] ,` (class other for the automaton: it restarts there).
const S_STOP = 63;
const S_DASH = 62;
const S_QUOTE = 61;
const S_OPEN = 60;
const S_CLOSE = 59;
const S_COMMA = 58;
const S_MIN = 58;
const CLASS2 = ((): Uint8Array => {
  const c2 = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    const k = CLASS[x];
    if (k >= S_MIN) throw new Error('secretHint: too many classes');
    c2[x] = k === C_STOP ? S_STOP : k === C_DASH ? S_DASH : k;
  }
  for (const [x, k] of [[0x22, S_QUOTE], [0x7b, S_OPEN], [0x5b, S_OPEN], [0x7d, S_CLOSE], [0x5d, S_CLOSE], [0x2c, S_COMMA]]) {
    if (CLASS[x] !== C_OTHER) throw new Error('secretHint: a JSON structure byte is in a word');
    c2[x] = k;
  }
  return c2;
})();

/**
 * The object `b[vs, ve)` (a value pruneValue walks, with a hit somewhere) rewritten into
 * `canonBuf` at `o`: the new length, or -1. pruneValue keeps of an object only its members with a
 * hit — a key with a hit with its whole value, else the pruned value (a string with a hit as it
 * is, an array with a hit as it is: a hit string in it makes it kept whole, an object pruned the
 * same way) — so a member without a hit becomes `"key":0` (nothing, as before; a duplicate key keeps
 * its place and JSON.parse's last value keeps its hits), an object with a hit under a key without
 * one is rewritten the same way, and every other member is kept as written.
 */
function canonInner(b: Uint8Array, vs: number, ve: number, o: number): number {
  const t = TABLE;
  const cls = CLASS2;
  const out = canonBuf;
  let i = vs + 1;
  out[o++] = 0x7b;
  let first = true;
  for (;;) {
    while (i < ve && b[i] === 0x20) i++;
    if (i >= ve) return -1;
    if (b[i] === 0x7d && first) {
      i++;
      break;
    }
    if (b[i] !== QUOTE) return -1;
    const ks = i;
    let st = 0;
    let keyHit = false;
    for (i++; ; i++) {
      if (i >= ve) return -1;
      const k = cls[b[i]];
      if (k < S_MIN) {
        st = t[(st << 6) | k];
        if (st === ACCEPT) {
          keyHit = true;
          st = 0;
        }
      } else if (k === S_QUOTE) break;
      else if (k === S_STOP) return -1;
      else if (k === S_DASH) {
        if (i + 1 < ve && b[i + 1] === 0x70) keyHit = true;
      } else st = 0;
    }
    const ke = i + 1;
    i = ke;
    while (i < ve && b[i] === 0x20) i++;
    if (b[i] !== 0x3a) return -1;
    i++;
    while (i < ve && b[i] === 0x20) i++;
    const xs = i;
    let depth = 0;
    let inStr = false;
    let hit = false;
    st = 0;
    for (; ; i++) {
      if (i >= ve) return -1;
      const k = cls[b[i]];
      if (k < S_MIN) {
        st = t[(st << 6) | k];
        if (st === ACCEPT) {
          hit = true;
          st = 0;
        }
        continue;
      }
      if (k === S_QUOTE) {
        inStr = !inStr;
        st = 0;
      } else if (k === S_DASH) {
        if (i + 1 < ve && b[i + 1] === 0x70) hit = true;
      } else if (k === S_STOP) return -1;
      else {
        st = 0;
        if (!inStr) {
          if (k === S_OPEN) depth++;
          else if (k === S_CLOSE) {
            if (depth === 0) break;
            depth--;
          } else if (depth === 0) break;
        }
      }
    }
    let xe = i;
    while (xe > xs && b[xe - 1] === 0x20) xe--;
    if (xe === xs || inStr) return -1;
    if (!first) out[o++] = 0x2c;
    first = false;
    for (let j = ks; j < ke; j++) out[o++] = b[j];
    out[o++] = 0x3a;
    if (!keyHit && !hit) out[o++] = 0x30;
    else if (!keyHit && b[xs] === 0x7b) {
      o = canonInner(b, xs, xe, o);
      if (o < 0) return -1;
    } else for (let j = xs; j < xe; j++) out[o++] = b[j];
    const c = b[i];
    i++;
    if (c === 0x7d) break;
  }
  // Only spaces between the object's end and ve.
  while (i < ve && b[i] === 0x20) i++;
  if (i !== ve) return -1;
  out[o++] = 0x7d;
  return o;
}

/**
 * The canonical form of the line `b[start, end)` written into `canonBuf` (see above): its length,
 * or -1 when the line is not one this applies to (not printable ASCII, a backslash, not a v1
 * object with one `v` member that is `1`, anything unexpected).
 */
function canonLine(b: Uint8Array, start: number, end: number): number {
  if (end - start > CANON_MAX) return -1;
  const t = TABLE;
  const cls = CLASS2;
  const out = canonBuf;
  let i = start;
  while (i < end && b[i] === 0x20) i++;
  if (b[i] !== 0x7b) return -1;
  i++;
  let o = 0;
  out[o++] = 0x7b;
  let vMembers = 0;
  let vOne = false;
  for (;;) {
    while (i < end && b[i] === 0x20) i++;
    if (i >= end || b[i] !== QUOTE) return -1;
    // The key (no quote or backslash inside): its bytes, hash and hits. A hit needs no quote,
    // so the automaton starts afresh at each string.
    const ks = i;
    let h = 0;
    let st = 0;
    let hit = false;
    for (i++; ; i++) {
      if (i >= end) return -1;
      const c = b[i];
      const k = cls[c];
      if (k < S_MIN) {
        h = keyHash(h, c);
        st = t[(st << 6) | k];
        if (st === ACCEPT) {
          hit = true;
          st = 0;
        }
      } else if (k === S_QUOTE) break;
      else if (k === S_STOP) return -1;
      else if (k === S_DASH) {
        // A separator for the words (the state stays); `-p` is a hit.
        h = keyHash(h, c);
        if (i + 1 < end && b[i + 1] === 0x70) hit = true;
      } else {
        h = keyHash(h, c);
        st = 0;
      }
    }
    const ke = i + 1; // after the closing quote
    const keyHit = hit;
    i = ke;
    while (i < end && b[i] === 0x20) i++;
    if (b[i] !== 0x3a) return -1;
    i++;
    while (i < end && b[i] === 0x20) i++;
    // The value: up to the comma or closing bracket that ends it at its depth.
    const vs = i;
    let depth = 0;
    let inStr = false;
    st = 0;
    for (; ; i++) {
      if (i >= end) return -1;
      const k = cls[b[i]];
      if (k < S_MIN) {
        st = t[(st << 6) | k];
        if (st === ACCEPT) {
          hit = true;
          st = 0;
        }
        continue;
      }
      if (k === S_QUOTE) {
        inStr = !inStr;
        st = 0;
      } else if (k === S_DASH) {
        // A separator for the words; `-p` is a hit (a dash before a quote is not).
        if (i + 1 < end && b[i + 1] === 0x70) hit = true;
      } else if (k === S_STOP) return -1;
      else {
        st = 0;
        if (!inStr) {
          if (k === S_OPEN) {
            // Deeper than pruneForSecrets goes (it gives up: hint 1): left to pruneLine.
            if (++depth > CANON_DEPTH) return -1;
          } else if (k === S_CLOSE) {
            if (depth === 0) break;
            depth--;
          } else if (depth === 0) break; // a comma
        }
      }
    }
    let ve = i;
    while (ve > vs && b[ve - 1] === 0x20) ve--;
    if (ve === vs || inStr) return -1;
    // The member: the key as written, then the value or its placeholder.
    if (o > 1) out[o++] = 0x2c;
    for (let j = ks; j < ke; j++) out[o++] = b[j];
    out[o++] = 0x3a;
    const first = b[vs];
    if (ke - ks === 3 && b[ks + 1] === 0x76) {
      vMembers++;
      vOne = ve - vs === 1 && first === 0x31;
    }
    const kind = kindOf(b, ks + 1, ke - 1, h);
    let copy = hit;
    if (hit && !keyHit && (kind === K_ANY || kind === K_OBJ) && first === 0x7b) {
      // A structure pruneValue walks, with a hit inside: its members without one are rewritten too.
      o = canonInner(b, vs, ve, o);
      if (o < 0) return -1;
      copy = false;
    } else if (!hit) {
      if (kind === K_KEEP) copy = true;
      else if (kind === K_STR) {
        if (first === QUOTE && ve - vs > 2) {
          out[o++] = QUOTE;
          out[o++] = 0x5f;
          out[o++] = QUOTE;
        } else copy = true;
      } else if (kind === K_UINT) {
        // A plain non-negative integer of up to 15 digits (no sign, fraction, exponent or leading 0).
        let ok = ve - vs <= 15 && (first !== 0x30 || ve - vs === 1);
        for (let j = vs; ok && j < ve; j++) ok = b[j] >= 0x30 && b[j] <= 0x39;
        if (ok) out[o++] = 0x30;
        else copy = true;
      } else if (kind === K_OBJ) {
        if (first === 0x7b) {
          out[o++] = 0x7b;
          out[o++] = 0x7d;
        } else copy = true;
      } else out[o++] = 0x30; // K_ANY
    }
    if (copy) for (let j = vs; j < ve; j++) out[o++] = b[j];
    const c = b[i];
    i++;
    if (c === 0x7d) break;
  }
  while (i < end && b[i] === 0x20) i++;
  if (i !== end || vMembers !== 1 || !vOne) return -1;
  out[o++] = 0x7d;
  return o;
}

/**
 * canonLine's tables and limits, for its port in the WASM line scanner (wasm/scanner, canonLine):
 * `class2` (CLASS2), `keys` (the key table as laid out here: slot after slot of
 * {@link KEY_SLOT_BYTES} bytes, length 0 = empty), the automaton is {@link HINT_DFA}'s.
 */
export const CANON_TABLES = {
  class2: CLASS2,
  keys: ((): Uint8Array => {
    const out = new Uint8Array(KEY_SLOTS * KEY_SLOT_BYTES);
    for (let at = 0; at < KEY_SLOTS; at++) {
      const k = keySlot[at];
      if (k === undefined) continue;
      if (k.length === 0 || k.length > KEY_SLOT_BYTES - 2) throw new Error('secretHint: a key does not fit the table');
      out[at * KEY_SLOT_BYTES] = k.length;
      out[at * KEY_SLOT_BYTES + 1] = keyKind[at];
      for (let i = 0; i < k.length; i++) out[at * KEY_SLOT_BYTES + 2 + i] = k.charCodeAt(i);
    }
    return out;
  })(),
  keySlots: KEY_SLOTS,
  keySlotBytes: KEY_SLOT_BYTES,
  depth: CANON_DEPTH,
  max: CANON_MAX,
} as const;

/** The canonical form of a line (see above), or undefined when it has none; for tests. */
export function canonicalLine(line: string): string | undefined {
  const b = Buffer.from(line, 'utf8');
  const n = canonLine(b, 0, b.length);
  return n < 0 ? undefined : canonBuf.toString('latin1', 0, n);
}

/** pruneLine's results by canonical line, bounded (cleared when full). `null` = undefined. */
const canonMemo = new Map<string, string | null>();
const CANON_MEMO_MAX = 8192;
const CANON_MEMO_CHARS = 4 << 20;
let canonMemoChars = 0;

/**
 * {@link pruneLine} of the flagged line `b[start, end)`, memoised by the line's canonical form
 * when it has one (see above; the same result), else pruneLine itself.
 */
export function pruneLineFast(b: Buffer, start: number, end: number, offset: number): string | undefined {
  const n = canonLine(b, start, end);
  if (n < 0) return pruneLine(b, start, end, offset);
  const key = canonBuf.toString('latin1', 0, n);
  const got = canonMemo.get(key);
  if (got !== undefined) return got ?? undefined;
  const r = pruneLine(canonBuf, 0, n, offset === 0 ? 1 : offset);
  canonMemoChars += n + (r?.length ?? 0);
  if (canonMemo.size >= CANON_MEMO_MAX || canonMemoChars > CANON_MEMO_CHARS) {
    canonMemo.clear();
    canonMemoChars = n + (r?.length ?? 0);
  }
  canonMemo.set(key, r ?? null);
  return r;
}

/** Bytes read at a time by {@link hintRecords}; a longer line is a candidate without being read. */
const WINDOW = 4 << 20;
let window: Buffer | undefined;

/** Secret hints of a batch: per record 0 (nothing), 1 (walk its event), 2 (walk `text` instead). */
export interface BatchHints {
  hint: Uint8Array;
  /**
   * For a record with hint 2 pruned here: the pruned event ({@link pruneForSecrets}), else
   * undefined (a record the scan pruned already keeps its text in the batch's `hintText`).
   */
  text: (string | undefined)[];
}

/**
 * The hints of every record of `batch`, read again from `file` (the page cache: the scan has just
 * read it): a line the prefilter passes is 0; a line the scan pruned already (hint 2: the WASM
 * scanner, by its canonical form) stays 2; a line it flags is parsed as FileEvents decodes it and
 * pruned (2, or 0 when nothing is left, or 1 when that fails). Raw records (kept as objects by the
 * merge) and every record of an OTLP file are 1; so is every flagged line when the file cannot be
 * read. The file is opened only when a line must be read. Never throws.
 */
export function hintRecords(file: string, batch: Pick<ScanBatch, 'n' | 'offset' | 'len' | 'kind' | 'hint'>, opts: { otlp?: boolean; fd?: number } = {}): BatchHints {
  const n = batch.n;
  const hint = new Uint8Array(n).fill(1);
  // The scan may have run the prefilter already (0 = clean, 1 = flagged): only flagged lines are read.
  const pre = batch.hint !== undefined && batch.hint.length === n ? batch.hint : undefined;
  const text: (string | undefined)[] = [];
  if (opts.otlp || n === 0) return { hint, text };
  let fd = opts.fd;
  const own = fd === undefined;
  try {
    const buf = (window ??= Buffer.allocUnsafe(WINDOW));
    let unreadable = false;
    let at = -1; // file offset of buf[0]
    let have = 0;
    for (let i = 0; i < n; i++) {
      if (batch.kind[i] !== 0) continue; // raw: the merge keeps the object
      if (pre !== undefined && pre[i] !== 1) {
        // 0: clean; 2: pruned already (by the WASM scanner, from the line's canonical form: its
        // text is in the batch's hintText).
        hint[i] = pre[i] === 2 ? 2 : 0;
        continue;
      }
      const off = batch.offset[i];
      const len = batch.len[i];
      if (len > WINDOW) continue;
      if (fd === undefined) {
        if (unreadable) continue;
        const o = openRegular(file, { kind: 'trace' });
        if (!o.ok) {
          unreadable = true;
          continue;
        }
        fd = o.file.fd;
      }
      if (at < 0 || off < at || off + len > at + have) {
        at = off;
        have = fs.readSync(fd, buf, 0, WINDOW, off);
        if (have < len) break; // the file shrank: leave the rest at 1
      }
      const s = off - at;
      if (pre === undefined && !lineMayHoldSecret(buf, s, s + len)) {
        hint[i] = 0;
        continue;
      }
      const pruned = pruneLineFast(buf, s, s + len, off);
      if (pruned === undefined) continue;
      if (pruned === '') hint[i] = 0;
      else {
        hint[i] = 2;
        text[i] = pruned;
      }
    }
  } catch {
    // Every record not pruned by the scan (its text is in the batch) is walked.
    for (let i = 0; i < n; i++) if (pre === undefined || pre[i] !== 2) hint[i] = 1;
    text.length = 0;
  } finally {
    if (own && fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
  return { hint, text };
}

/**
 * Put the hints of `batch` on it for the merge: `hint`, and `hintText` (ids of the pruned texts,
 * appended to the batch's string table; -1 = none).
 */
export function attachHints(batch: ScanBatch, h: BatchHints): void {
  batch.hint = h.hint;
  if (h.text.length === 0) return;
  // The texts the scan pruned already keep their ids.
  const ids = batch.hintText ?? new Int32Array(batch.n).fill(-1);
  const seen = new Map<string, number>();
  for (let i = 0; i < h.text.length; i++) {
    const t = h.text[i];
    if (t === undefined) continue;
    let id = seen.get(t);
    if (id === undefined) {
      id = batch.strings.push(t) - 1;
      seen.set(t, id);
    }
    ids[i] = id;
  }
  batch.hintText = ids;
}
