/**
 * Fast path of the parallel index (scan.ts): reads the light fields of an ordinary flowscribe v1
 * line straight from the text, without building the object `JSON.parse` would build.
 *
 * {@link FastLine.scan} validates the whole line as strict JSON (the grammar `JSON.parse`
 * accepts) while it walks it, remembers where the handful of light-record keys sit, and skips
 * every other value. It answers `true` with exactly the fields
 * `lightFields(JSON.parse(line))` gives (and the checks of `record()` in scan.ts passed: `"v": 1`,
 * not a session event, no alias key), or `false` — "not sure" — for anything else: invalid JSON,
 * control characters or tabs/CR anywhere in the line, an escaped key, an escaped string in a field
 * it would have to decode, a duplicate light key, very deep nesting, and so on. The caller then
 * takes the `JSON.parse` path, so `false` is always safe.
 *
 * Works on a latin1 string of an all-ASCII region (one char per byte).
 */
import type { Severity } from '../model';
import { parseSeverity, parseTags } from '../sources/normalize';
import { parseTimestamp, timestampProblem } from '../time';
import { safeStringify } from '../bounded';

/** The light fields, in the form scan.ts stores them. Reused between lines: copy what you keep. */
export interface FastFields {
  type: string;
  runId: string | undefined;
  flow: string | undefined;
  flowId: string | undefined;
  parentFlowId: string | undefined;
  step: string | undefined;
  failureClass: string | undefined;
  /** Tags joined by U+0001; `undefined` when there are none. */
  tags: string | undefined;
  /** `JSON.stringify(correlation)`; `undefined` when there is none (or it is not an object). */
  corr: string | undefined;
  ts: number | undefined;
  durationMs: number | undefined;
  severity: Severity | undefined;
}

export function emptyFastFields(): FastFields {
  return {
    type: '', runId: undefined, flow: undefined, flowId: undefined, parentFlowId: undefined, step: undefined,
    failureClass: undefined, tags: undefined, corr: undefined, ts: undefined, durationMs: undefined, severity: undefined,
  };
}

// Light keys (field slots).
const F_V = 0;
const F_EVENT_TYPE = 1;
const F_RUN_ID = 2;
const F_TIMESTAMP = 3;
const F_FLOW = 4;
const F_FLOW_ID = 5;
const F_PARENT_FLOW_ID = 6;
const F_STEP = 7;
const F_FAILURE_CLASS = 8;
const F_TAGS = 9;
const F_CORRELATION = 10;
const F_DURATION_MS = 11;
const F_SEVERITY = 12;
const N_FIELDS = 13;
/** Another key: validate and skip its value. */
const K_SKIP = -1;
/** A §1b alias of a light key (`type`, `ts`, ...): the full normaliser decides. */
const K_ALIAS = -2;

// Value kinds.
const V_STRING = 1;
const V_NUMBER = 2;
const V_OBJECT = 3;
const V_ARRAY = 4;
const V_TRUE = 5;
const V_FALSE = 6;
const V_NULL = 7;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Nesting deeper than this is left to JSON.parse. */
const MAX_DEPTH = 64;
const CORR_CACHE_MAX = 8192;
/** Distinct keys learned for prediction. */
const MAX_KEYS = 256;

/** Control characters (but `\n`, the line end) and backslashes. */
const DIRTY = /[\x00-\x09\x0b-\x1f\\]/g;

const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

export class FastLine {
  private text = '';
  /**
   * Position of the next control character or backslash at or after `dirtyFrom` (text.length when
   * none): a line before it is *clean*, so a string's end is simply its next quote.
   */
  private dirty = -1;
  private dirtyFrom = 0;
  /** The current line is clean. */
  private clean = false;
  /** Set by {@link string}: the string just scanned has escapes. */
  private esc = false;
  /** Set by {@link string} when a string has escapes; cleared before each top-level value. */
  private escAny = false;
  /** Set by {@link number}: the number just scanned is a plain integer of at most 15 digits. */
  private plainInt = false;
  /** Kind and span of each light key's value on the current line. */
  private readonly kind = new Uint8Array(N_FIELDS);
  private readonly va = new Int32Array(N_FIELDS);
  private readonly vb = new Int32Array(N_FIELDS);
  private readonly vesc = new Uint8Array(N_FIELDS);
  private readonly corrCache = new Map<string, string>();
  /**
   * Key prediction: keys seen (without escapes) get an id; `keySeg[id]` is `"key":` and
   * `keyField[id]` its slot. `next[prev + 1]` is the id of the key that followed key `prev` last
   * time (`next[0]`: the first key), so the usual key sequence is matched with one `startsWith`.
   */
  private readonly keyIds = new Map<string, number>();
  private readonly keySeg: string[] = [];
  private readonly keyField: number[] = [];
  private readonly next = new Int32Array(MAX_KEYS + 1).fill(-1);

  /** Starts a new region: `text` is the latin1 string the line spans index into. */
  reset(text: string): void {
    this.text = text;
    this.dirty = -1;
    this.dirtyFrom = 0;
  }

  /**
   * Reads the line `[s, e)` of the current text into `out`. `true`: `out` holds exactly the
   * light fields of the line; `false`: not sure (out is then unspecified).
   */
  scan(s: number, e: number, out: FastFields): boolean {
    const t = this.text;
    if (this.dirty < s || this.dirtyFrom > s) {
      DIRTY.lastIndex = s;
      const m = DIRTY.exec(t);
      this.dirty = m === null ? t.length : m.index;
      this.dirtyFrom = s;
    }
    this.clean = this.dirty >= e;
    const kind = this.kind;
    kind.fill(0);
    let i = this.ws(s, e);
    if (t.charCodeAt(i) !== LBRACE) return false;
    i = this.ws(i + 1, e);
    if (t.charCodeAt(i) === RBRACE) return false; // {} has no "v"
    let prev = 0;
    for (;;) {
      let f: number;
      const pk = this.next[prev];
      let seg: string;
      if (pk >= 0 && i + (seg = this.keySeg[pk]).length <= e && t.startsWith(seg, i)) {
        f = this.keyField[pk];
        prev = pk + 1;
        i = this.ws(i + seg.length, e);
      } else {
        if (t.charCodeAt(i) !== QUOTE) return false;
        const ke = this.string(i, e);
        if (ke < 0 || this.esc) return false;
        const key = t.slice(i + 1, ke - 1);
        let id = this.keyIds.get(key);
        if (id === undefined && this.keySeg.length < MAX_KEYS) {
          id = this.keySeg.length;
          this.keyIds.set(key, id);
          this.keySeg.push('"' + key + '":');
          this.keyField.push(keyOf(key, 0, key.length));
        }
        if (id === undefined) {
          f = keyOf(key, 0, key.length);
          prev = 0;
        } else {
          f = this.keyField[id];
          this.next[prev] = id;
          prev = id + 1;
        }
        i = this.ws(ke, e);
        if (t.charCodeAt(i) !== COLON) return false;
        i = this.ws(i + 1, e);
      }
      if (f === K_ALIAS) return false;
      const vs = i;
      this.escAny = false;
      i = this.value(i, e, 0);
      if (i < 0) return false;
      if (f >= 0) {
        if (kind[f] !== 0) return false; // duplicate light key
        kind[f] = this.lastKind;
        this.va[f] = vs;
        this.vb[f] = i;
        this.vesc[f] = this.escAny ? 1 : 0;
      }
      i = this.ws(i, e);
      const c = t.charCodeAt(i);
      if (c === COMMA) {
        i = this.ws(i + 1, e);
        continue;
      }
      if (c === RBRACE) break;
      return false;
    }
    if (this.ws(i + 1, e) !== e) return false;
    return this.fields(out);
  }

  /** Kind of the value scanned last by {@link value}. */
  private lastKind = 0;

  private ws(i: number, e: number): number {
    const t = this.text;
    while (i < e && t.charCodeAt(i) === SPACE) i++;
    return i;
  }

  /** `i` at an opening quote: the index after the closing quote, or -1. Sets `esc`. */
  private string(i: number, e: number): number {
    const t = this.text;
    if (this.clean) {
      const q = t.indexOf('"', i + 1);
      if (q < 0 || q >= e) return -1;
      this.esc = false;
      return q + 1;
    }
    let j = i + 1;
    let c = 0;
    // Printable ASCII other than quote and backslash (the region is ASCII; control chars are invalid).
    while (j < e && (c = t.charCodeAt(j)) !== QUOTE && c !== BACKSLASH && c >= SPACE) j++;
    if (c === QUOTE && j < e) {
      this.esc = false;
      return j + 1;
    }
    this.esc = true;
    this.escAny = true;
    while (j < e) {
      c = t.charCodeAt(j);
      if (c === QUOTE) return j + 1;
      if (c === BACKSLASH) {
        const d = t.charCodeAt(j + 1);
        if (d === 0x75) {
          if (j + 5 >= e || !isHex(t.charCodeAt(j + 2)) || !isHex(t.charCodeAt(j + 3)) || !isHex(t.charCodeAt(j + 4)) || !isHex(t.charCodeAt(j + 5))) return -1;
          j += 6;
        } else if (d === QUOTE || d === BACKSLASH || d === 0x2f || d === 0x62 || d === 0x66 || d === 0x6e || d === 0x72 || d === 0x74) {
          j += 2;
        } else {
          return -1;
        }
      } else if (c < SPACE) {
        return -1;
      } else {
        j++;
      }
    }
    return -1;
  }

  /** `i` at a number's first char: the index after it, or -1. Sets `plainInt`. */
  private number(i: number, e: number): number {
    const t = this.text;
    let j = i;
    if (t.charCodeAt(j) === MINUS) j++;
    let c = t.charCodeAt(j);
    if (c === ZERO) j++;
    else if (c > ZERO && c <= NINE) {
      j++;
      while (j < e && (c = t.charCodeAt(j)) >= ZERO && c <= NINE) j++;
    } else return -1;
    let plain = true;
    if (j < e && t.charCodeAt(j) === 0x2e) {
      plain = false;
      j++;
      if (!(j < e && (c = t.charCodeAt(j)) >= ZERO && c <= NINE)) return -1;
      while (j < e && (c = t.charCodeAt(j)) >= ZERO && c <= NINE) j++;
    }
    if (j < e && (t.charCodeAt(j) | 0x20) === 0x65) {
      plain = false;
      j++;
      c = t.charCodeAt(j);
      if (c === 0x2b || c === MINUS) j++;
      if (!(j < e && (c = t.charCodeAt(j)) >= ZERO && c <= NINE)) return -1;
      while (j < e && (c = t.charCodeAt(j)) >= ZERO && c <= NINE) j++;
    }
    this.plainInt = plain && j - i <= 15;
    return j;
  }

  /** The value of the number `[a, b)` (valid JSON number text), as JSON.parse reads it. */
  private numberValue(a: number, b: number): number {
    const t = this.text;
    this.number(a, b);
    if (!this.plainInt) return Number(t.slice(a, b));
    const neg = t.charCodeAt(a) === MINUS;
    let n = 0;
    for (let j = neg ? a + 1 : a; j < b; j++) n = n * 10 + (t.charCodeAt(j) - ZERO);
    return neg ? -n : n;
  }

  /** Validates one value at `i`: the index after it, or -1. Sets `lastKind`. */
  private value(i: number, e: number, depth: number): number {
    const t = this.text;
    const c = t.charCodeAt(i);
    if (c === QUOTE) {
      this.lastKind = V_STRING;
      return this.string(i, e);
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) {
      this.lastKind = V_NUMBER;
      return this.number(i, e);
    }
    if (c === LBRACE) {
      if (depth >= MAX_DEPTH) return -1;
      let j = this.ws(i + 1, e);
      if (t.charCodeAt(j) !== RBRACE) {
        for (;;) {
          if (t.charCodeAt(j) !== QUOTE) return -1;
          j = this.string(j, e);
          if (j < 0) return -1;
          j = this.ws(j, e);
          if (t.charCodeAt(j) !== COLON) return -1;
          j = this.value(this.ws(j + 1, e), e, depth + 1);
          if (j < 0) return -1;
          j = this.ws(j, e);
          const d = t.charCodeAt(j);
          if (d === COMMA) j = this.ws(j + 1, e);
          else if (d === RBRACE) break;
          else return -1;
        }
      }
      this.lastKind = V_OBJECT;
      return j + 1;
    }
    if (c === LBRACKET) {
      if (depth >= MAX_DEPTH) return -1;
      let j = this.ws(i + 1, e);
      if (t.charCodeAt(j) !== RBRACKET) {
        for (;;) {
          j = this.value(j, e, depth + 1);
          if (j < 0) return -1;
          j = this.ws(j, e);
          const d = t.charCodeAt(j);
          if (d === COMMA) j = this.ws(j + 1, e);
          else if (d === RBRACKET) break;
          else return -1;
        }
      }
      this.lastKind = V_ARRAY;
      return j + 1;
    }
    if (c === 0x74) {
      this.lastKind = V_TRUE;
      return i + 4 <= e && t.startsWith('true', i) ? i + 4 : -1;
    }
    if (c === 0x66) {
      this.lastKind = V_FALSE;
      return i + 5 <= e && t.startsWith('false', i) ? i + 5 : -1;
    }
    if (c === 0x6e) {
      this.lastKind = V_NULL;
      return i + 4 <= e && t.startsWith('null', i) ? i + 4 : -1;
    }
    return -1;
  }

  /** A string field without escapes, as its text; `null` when it has escapes (not sure). */
  private str(f: number): string | null {
    return this.vesc[f] ? null : this.text.slice(this.va[f] + 1, this.vb[f] - 1);
  }

  /** `idStr` of normalize.ts: a string, or a finite number as `String(n)`. `null` = not sure. */
  private idStr(f: number): string | undefined | null {
    const k = this.kind[f];
    if (k === V_STRING) return this.str(f);
    if (k === V_NUMBER) {
      const n = this.numberValue(this.va[f], this.vb[f]);
      return Number.isFinite(n) ? String(n) : undefined;
    }
    return undefined;
  }

  /** Fills `out` from the spans of a validated line (the rules of `lightFields` and `record`). */
  private fields(out: FastFields): boolean {
    const kind = this.kind;
    if (kind[F_V] !== V_NUMBER || this.numberValue(this.va[F_V], this.vb[F_V]) !== 1) return false;
    let type = 'unknown';
    if (kind[F_EVENT_TYPE] === V_STRING) {
      const s = this.str(F_EVENT_TYPE);
      if (s === null || s === 'session_start' || s === 'session_end') return false;
      if (s !== '') type = s;
    }
    out.type = type;
    const runId = this.idStr(F_RUN_ID);
    const flowId = this.idStr(F_FLOW_ID);
    const parentFlowId = this.idStr(F_PARENT_FLOW_ID);
    const step = this.idStr(F_STEP);
    if (runId === null || flowId === null || parentFlowId === null || step === null) return false;
    out.runId = runId;
    out.flowId = flowId;
    out.parentFlowId = parentFlowId;
    out.step = step;
    let flow: string | undefined | null;
    if (kind[F_FLOW] === V_STRING && (flow = this.str(F_FLOW)) === null) return false;
    out.flow = flow ?? undefined;
    let fc: string | undefined | null;
    if (kind[F_FAILURE_CLASS] === V_STRING && (fc = this.str(F_FAILURE_CLASS)) === null) return false;
    out.failureClass = fc ?? undefined;
    let sev: Severity | undefined;
    if (kind[F_SEVERITY] === V_STRING) {
      const s = this.str(F_SEVERITY);
      if (s === null) return false;
      sev = parseSeverity(s);
    }
    out.severity = sev;
    let ts: number | undefined;
    const tk = kind[F_TIMESTAMP];
    if (tk === V_STRING) {
      if (this.vesc[F_TIMESTAMP]) return false;
      ts = this.timestamp(this.va[F_TIMESTAMP] + 1, this.vb[F_TIMESTAMP] - 1);
      // Out of the Date range: not light (scan.ts keeps it raw, the run gets a located warning).
      if (ts === undefined && timestampProblem(this.text.slice(this.va[F_TIMESTAMP] + 1, this.vb[F_TIMESTAMP] - 1)) !== undefined) return false;
    } else if (tk === V_NUMBER) {
      const n = this.numberValue(this.va[F_TIMESTAMP], this.vb[F_TIMESTAMP]);
      ts = parseTimestamp(n);
      if (ts === undefined && timestampProblem(n) !== undefined) return false;
    }
    out.ts = ts;
    let dur: number | undefined;
    if (kind[F_DURATION_MS] === V_NUMBER) {
      const d = this.numberValue(this.va[F_DURATION_MS], this.vb[F_DURATION_MS]);
      if (Number.isFinite(d)) dur = d;
    }
    out.durationMs = dur;
    const tags = this.tags();
    if (tags === null) return false;
    out.tags = tags;
    out.corr = kind[F_CORRELATION] === V_OBJECT ? this.correlation() : undefined;
    return true;
  }

  /**
   * `parseTimestamp` of the string `[a, b)` (no escapes). Lines of one second share
   * `YYYY-MM-DDTHH:MM:SS`: for `<that prefix>.<1-9 digits>Z` the epoch of the prefix is reused
   * and the fraction added exactly as time.ts's fastIso does; anything else goes to parseTimestamp.
   */
  private timestamp(a: number, b: number): number | undefined {
    const t = this.text;
    const n = b - a;
    if (n >= 22 && n <= 29 && t.charCodeAt(a + 19) === 0x2e && t.charCodeAt(b - 1) === 0x5a) {
      if (this.tsPrefix === '' || !t.startsWith(this.tsPrefix, a)) {
        const p = t.slice(a, a + 19);
        const base = isoPrefix(p) ? parseTimestamp(p + 'Z') : undefined;
        if (base === undefined) return parseTimestamp(t.slice(a, b));
        this.tsPrefix = p;
        this.tsBase = base;
      }
      let micros = 0;
      let k = 0;
      for (let j = a + 20; j < b - 1; j++) {
        const d = t.charCodeAt(j) - ZERO;
        if (d < 0 || d > 9) return parseTimestamp(t.slice(a, b));
        if (k < 6) micros = micros * 10 + d;
        k++;
      }
      for (let p = Math.min(k, 6); p < 6; p++) micros *= 10;
      const ms = this.tsBase;
      return micros === 0 ? ms : ms + Math.floor(micros / 1000) + (micros % 1000) / 1000;
    }
    return parseTimestamp(t.slice(a, b));
  }
  private tsPrefix = '';
  private tsBase = 0;

  /** `parseTags` of the tags value, joined by U+0001; `undefined` = no tags, `null` = not sure. */
  private tags(): string | undefined | null {
    const k = this.kind[F_TAGS];
    if (k === V_STRING) {
      const s = this.str(F_TAGS);
      if (s === null) return null;
      const list = parseTags(s) as string[];
      return list.length === 0 ? undefined : list.length === 1 ? list[0] : list.join('\u0001');
    }
    if (k !== V_ARRAY) return undefined;
    const t = this.text;
    const e = this.vb[F_TAGS] - 1; // the closing bracket
    let j = this.ws(this.va[F_TAGS] + 1, e);
    let joined: string | undefined;
    while (j < e) {
      const c = t.charCodeAt(j);
      let tag: string;
      let end: number;
      if (c === QUOTE) {
        end = this.string(j, e);
        if (this.esc) return null;
        tag = t.slice(j + 1, end - 1);
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        end = this.number(j, e);
        const n = this.numberValue(j, end);
        if (!Number.isFinite(n)) return undefined; // parseTags: not a tag list
        tag = String(n);
      } else if (c === 0x74) {
        tag = 'true';
        end = j + 4;
      } else if (c === 0x66) {
        tag = 'false';
        end = j + 5;
      } else {
        return undefined; // null, object or array element: parseTags gives undefined
      }
      joined = joined === undefined ? tag : joined + '\u0001' + tag;
      j = this.ws(end, e);
      if (t.charCodeAt(j) === COMMA) j = this.ws(j + 1, e);
    }
    return joined;
  }

  /** `JSON.stringify` of the correlation object, depth-limited like scan.ts (cached by its raw text). */
  private correlation(): string {
    const raw = this.text.slice(this.va[F_CORRELATION], this.vb[F_CORRELATION]);
    let c = this.corrCache.get(raw);
    if (c === undefined) {
      c = safeStringify(JSON.parse(raw));
      if (this.corrCache.size >= CORR_CACHE_MAX) this.corrCache.clear();
      this.corrCache.set(raw, c);
    }
    return c;
  }
}

/** `p` is `DDDD-DD-DD(T| |t)DD:DD:DD` (19 chars): the form time.ts's fastIso reads itself. */
function isoPrefix(p: string): boolean {
  if (p.length !== 19) return false;
  for (let j = 0; j < 19; j++) {
    const c = p.charCodeAt(j);
    if (j === 4 || j === 7) {
      if (c !== MINUS) return false;
    } else if (j === 10) {
      if (c !== 0x54 && c !== SPACE && c !== 0x74) return false;
    } else if (j === 13 || j === 16) {
      if (c !== COLON) return false;
    } else if (c < ZERO || c > NINE) return false;
  }
  return true;
}

/** The key at `a` is `lit` (the caller checked the length). */
function is(t: string, a: number, lit: string): boolean {
  for (let k = 0; k < lit.length; k++) if (t.charCodeAt(a + k) !== lit.charCodeAt(k)) return false;
  return true;
}

/** The light slot of the key `[a, b)` (no escapes), {@link K_ALIAS} or {@link K_SKIP}. */
function keyOf(t: string, a: number, b: number): number {
  const c = t.charCodeAt(a);
  switch (b - a) {
    case 1:
      return c === 0x76 ? F_V : K_SKIP;
    case 2:
      return c === 0x74 && t.charCodeAt(a + 1) === 0x73 ? K_ALIAS : K_SKIP; // ts
    case 4:
      if (c === 0x66) return is(t, a, 'flow') ? F_FLOW : K_SKIP;
      if (c === 0x73) return is(t, a, 'step') ? F_STEP : K_SKIP;
      if (c === 0x74) return is(t, a, 'tags') ? F_TAGS : is(t, a, 'type') || is(t, a, 'time') ? K_ALIAS : K_SKIP;
      return K_SKIP;
    case 5:
      return c === 0x63 && is(t, a, 'class') ? K_ALIAS : K_SKIP;
    case 6:
      if (c === 0x72) return is(t, a, 'run_id') ? F_RUN_ID : K_SKIP;
      return c === 0x70 && is(t, a, 'parent') ? K_ALIAS : K_SKIP;
    case 7:
      return c === 0x66 && is(t, a, 'flow_id') ? F_FLOW_ID : K_SKIP;
    case 8:
      return c === 0x73 && is(t, a, 'severity') ? F_SEVERITY : K_SKIP;
    case 9:
      if (c === 0x74) return is(t, a, 'timestamp') ? F_TIMESTAMP : K_SKIP;
      return c === 0x66 && is(t, a, 'flow_name') ? K_ALIAS : K_SKIP;
    case 10:
      if (c === 0x65) return is(t, a, 'event_type') ? F_EVENT_TYPE : is(t, a, 'elapsed_ms') ? K_ALIAS : K_SKIP;
      return (c === 0x73 && is(t, a, 'session_id')) || (c === 0x6c && is(t, a, 'latency_ms')) ? K_ALIAS : K_SKIP;
    case 11:
      if (c === 0x63) return is(t, a, 'correlation') ? F_CORRELATION : K_SKIP;
      if (c === 0x64) return is(t, a, 'duration_ms') ? F_DURATION_MS : K_SKIP;
      return c === 0x65 && is(t, a, 'error_class') ? K_ALIAS : K_SKIP;
    case 13:
      return c === 0x66 && is(t, a, 'failure_class') ? F_FAILURE_CLASS : K_SKIP;
    case 14:
      return c === 0x70 && is(t, a, 'parent_flow_id') ? F_PARENT_FLOW_ID : K_SKIP;
    default:
      return K_SKIP;
  }
}
