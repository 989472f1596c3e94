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
 * what its value patterns start from — a URL, `-p`, a signature, `key=`, a webhook, a
 * private-key block, curl, an encoded `=`/`:`.
 */
export const TRIGGER_EXTRAS: readonly string[] = ['://', '-p', 'sig', 'key=', 'code=', 'x-amz-', 'x-goog-', 'webhook', 'hooks.', 'BEGIN', 'curl', '%3a', '%3d'];

/** {@link TRIGGER_EXTRAS} as a regex source (an alternation of literals). */
export const TRIGGER_EXTRA_SOURCE = TRIGGER_EXTRAS.map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');

/** A key as the Redactor compares it, for ASCII: lower case, `_ . -` and white space removed. */
function squeeze(k: string): string {
  return k.toLowerCase().replace(/[\s_.-]+/g, '');
}

/** The words looked for in a line, squeezed (see the file comment). */
export const PREFILTER_WORDS: readonly string[] = [
  // `-p` squeezed is `p`: it is looked for as written instead (lineMayHoldSecret).
  ...new Set([...DEFAULT_REDACT_KEYS, ...EXTRA_SENSITIVE_KEYS, ...EXACT_SENSITIVE_KEYS, ...TRIGGER_EXTRAS.filter((w) => w !== '-p')].map(squeeze)),
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
// checked with the next byte (`-p`, any case).
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
 * byte is `p`/`P`, else go on; otherwise `s = next[(s << 6) | c]`, and `s === accept` makes it one.
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
      if (i + 1 < end && (b[i + 1] | 0x20) === 0x70) return true;
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
      if (i + 1 < n && (s.charCodeAt(i + 1) | 0x20) === 0x70) return true;
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

/** Bytes read at a time by {@link hintRecords}; a longer line is a candidate without being read. */
const WINDOW = 4 << 20;
let window: Buffer | undefined;

/** Secret hints of a batch: per record 0 (nothing), 1 (walk its event), 2 (walk `text` instead). */
export interface BatchHints {
  hint: Uint8Array;
  /** For a record with hint 2: the pruned event ({@link pruneForSecrets}), else undefined. */
  text: (string | undefined)[];
}

/**
 * The hints of every record of `batch`, read again from `file` (the page cache: the scan has just
 * read it): a line the prefilter passes is 0; a line it flags is parsed as FileEvents decodes it
 * and pruned (2, or 0 when nothing is left, or 1 when that fails). Raw records (kept as objects by
 * the merge) and every record of an OTLP file are 1; so is every record when the file cannot be
 * read. Never throws.
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
    if (fd === undefined) {
      const o = openRegular(file, { kind: 'trace' });
      if (!o.ok) return { hint, text };
      fd = o.file.fd;
    }
    const buf = (window ??= Buffer.allocUnsafe(WINDOW));
    let at = -1; // file offset of buf[0]
    let have = 0;
    for (let i = 0; i < n; i++) {
      if (batch.kind[i] !== 0) continue; // raw: the merge keeps the object
      if (pre !== undefined && pre[i] === 0) {
        hint[i] = 0;
        continue;
      }
      const off = batch.offset[i];
      const len = batch.len[i];
      if (len > WINDOW) continue;
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
      const pruned = pruneLine(buf, s, s + len, off);
      if (pruned === undefined) continue;
      if (pruned === '') hint[i] = 0;
      else {
        hint[i] = 2;
        text[i] = pruned;
      }
    }
  } catch {
    hint.fill(1);
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
  const ids = new Int32Array(batch.n).fill(-1);
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
