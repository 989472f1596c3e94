/**
 * Redaction of trace-derived data before it leaves Flowlens (ask.md, summary.md, chat, LM tools).
 *
 * Rules (formats.md §1c `privacy`; docs/security.md):
 * - **Keys.** A value whose key matches a redact key is replaced by {@link REDACTED}, whatever its
 *   type, at any depth. Keys are compared after normalisation (lower case, `_`, `-`, `.` and
 *   spaces removed), so `api_key`, `apiKey`, `API-KEY` are the same key. A redact key of 4+
 *   normalised characters also matches any key that *contains* it (`x_api_key`, `Authorization`,
 *   `set-cookie`, `db_password_hash`, `bank_account_number`); shorter ones match exactly, so a
 *   custom key such as `id` does not swallow `flow_id`. Generous on purpose: a false positive
 *   costs a value in a prompt, a false negative leaks a secret.
 * - **Values.** Every string (including object keys, reasons, exception messages and Python
 *   reprs) is scrubbed of credential-looking text wherever it appears ({@link VALUE_PATTERNS}):
 *   private-key blocks, JWTs, `Bearer …`/`Basic …` tokens, `Cookie:` headers, vendor tokens
 *   (OpenAI/Anthropic/xAI, Stripe, AWS, GitHub, GitLab, Slack, Google, npm, PyPI, SendGrid,
 *   Shopify, Hugging Face, DigitalOcean, Square, Twilio), URL user-info passwords (also with an
 *   empty user), webhook URLs (Slack, Discord, Office 365, Zapier, any `/webhook/<token>`),
 *   presigned-URL signatures and credential query parameters (`X-Amz-Signature=`, `sig=`,
 *   `?key=`, `&access_token=`), IBAN-like account numbers, `mysql … -psecret` and argv lists
 *   (`['--password', 'x']`, `['-p', 'x']`, `--token x`), and `key=value` / `key: value` /
 *   `'key': 'value'` / `'key': b'value'` / `"key" => "value"` pairs whose key matches a redact key
 *   (also written with a space, `private key: …`, `secret key = …`; URL-encoded, `password%3D…`,
 *   `%22token%22%3A%22…`; a YAML block scalar, `secret: |` then the indented lines), `curl -u
 *   user:password`, Heroku `HRKU-` tokens.
 * - **Prose is out of scope, on purpose.** "The password is hunter2", "use hunter2 as password"
 *   have no key/separator shape; recognising them would need guessing which word is the secret
 *   and would eat ordinary sentences. Such a value is scrubbed only when it is also redacted
 *   somewhere in the run (run-scoped literals, egress/secrets.ts).
 * - **Known secrets.** `knownSecrets` (a run's values redacted elsewhere, egress/secrets.ts) are
 *   replaced as literals wherever they occur, by a hashed scan (no regex built from data).
 * - **Size.** Strings longer than `payloadLimit` characters are cut with a visible
 *   `… (truncated N chars)` marker (scrubbing runs before the cut so a secret can never be
 *   half-kept); arrays/objects longer than `maxItems` are cut with a `… N more` entry; nesting
 *   deeper than `maxDepth` becomes `[depth limit]`; a cycle becomes `[circular]`.
 * - **Raw payloads.** `allowRawPayloads` is carried here; ask.ts drops events' `data` /
 *   `payload` unless it is set.
 *
 * Everything here is pure: inputs are never mutated, no I/O, no clock. Every pattern is a module
 * constant or built once per {@link Redactor}; every quantifier is bounded or anchored on a
 * literal, so no input backtracks catastrophically.
 */
import { setOwn } from '../../model/bounded';
// ra.yaml `privacy` defaults are defined once, with the ra.yaml reader.
import { DEFAULT_PAYLOAD_LIMIT, DEFAULT_REDACT_KEYS } from '../../read/catalog';
import { CASED_TRIGGER, EXACT_SENSITIVE_KEYS, EXTRA_SENSITIVE_KEYS, TRIGGER_EXTRA_SOURCE } from '../../read/secretHint';

/** The fixed marker that replaces a redacted value. */
export const REDACTED = '[REDACTED]';


// The credential words beyond ra.yaml's defaults, the short keys matched only whole and the rest
// of the trigger are defined once, with the line prefilter of the cold index that relies on them.
export { EXACT_SENSITIVE_KEYS, EXTRA_SENSITIVE_KEYS } from '../../read/secretHint';


/** Options; every field has a safe default. */
export interface RedactOptions {
  /**
   * ra.yaml `privacy.redact_keys`; the defaults are always included as well. A string (a
   * misconfiguration) is split on commas and whitespace, never ignored.
   */
  redactKeys?: readonly string[];
  /** ra.yaml `privacy.payload_limit` — max characters per string (default 512; ≤0 = no cut). */
  payloadLimit?: number;
  /** ra.yaml `privacy.allow_raw_payloads` — keep events' `data`/`payload` (default false). */
  allowRawPayloads?: boolean;
  /** Max nesting kept (default 12). */
  maxDepth?: number;
  /** Max array items / object keys kept per container (default 50). */
  maxItems?: number;
  /**
   * Literal values known to be secret (values redacted elsewhere in the same run, see
   * egress/secrets.ts): every occurrence in any string is replaced by {@link REDACTED}.
   */
  knownSecrets?: Iterable<string>;
}

/** Shorter known secrets are not scrubbed as literals (they would eat ordinary words). */
export const MIN_KNOWN_SECRET = 4;
/** An all-digit known secret must be at least this long (not a count, a port, a line number). */
export const MIN_NUMERIC_SECRET = 6;

// Characters stripControl removes (see there); defined before the first Redactor is built.
const INVISIBLE_SRC =
  '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u00ad\\u034f\\u061c\\u115f\\u1160\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\u3164\\ufeff\\uffa0\\ufff9-\\ufffb]|\\udb40[\\udc00-\\udc7f]';
const INVISIBLE = new RegExp(INVISIBLE_SRC, 'g');
const UNSAFE_CHAR = new RegExp(`[\\x1b\\r\\u2028\\u2029]|${INVISIBLE_SRC}`);

const normKey = (k: string): string => stripControl(k).toLowerCase().replace(/[\s_.-]+/g, '');

/** The words of a `redact_keys` value, whatever its shape (a list, or a string by mistake). */
export function redactKeyWords(keys: unknown): string[] {
  if (typeof keys === 'string') return keys.split(/[\s,;]+/).filter(Boolean);
  if (keys === null || keys === undefined || typeof keys !== 'object') return [];
  const out: string[] = [];
  if (Symbol.iterator in keys) {
    for (const k of keys as Iterable<unknown>) {
      if (typeof k === 'string') out.push(k);
      else if (typeof k === 'number' && Number.isFinite(k)) out.push(String(k));
      if (out.length > 10000) break;
    }
  }
  return out;
}

// Authorization schemes kept in front of a redacted credential (`Authorization: Bearer [REDACTED]`).
const SCHEMES = 'Bearer|Basic|Token|Digest|Negotiate|NTLM|Bot|SSWS|ApiKey|Key|OAuth|JWT|AWS4-HMAC-SHA256';
const SCHEME_RE = new RegExp(`^(?:${SCHEMES})\\s+`, 'i');
const QUOTED_RE = /^(?:\\"([\s\S]*)\\"|[bBuUrR]{0,2}"([\s\S]*)"|[bBuUrR]{0,2}'([\s\S]*)')$/;
const STOPWORDS = new Set([
  'true', 'false', 'null', 'none', 'nil', 'undefined', 'empty', 'unset', 'redacted', 'hidden', 'masked', 'required', 'missing',
  'invalid', 'expired', 'present', 'provided', 'not set', 'n/a', 'yes', 'no', 'ok', 'set', 'nan', 'infinity',
]);
const MASK_RE = /^[*•]+$/;
const TRAILING_PUNCT = /[.,:;!?)\]}>]+$/;

/**
 * Add a found secret `raw` (and its useful variants: trimmed, without control characters, without
 * trailing punctuation, without an auth scheme) to `out`. Skips what would eat ordinary text:
 * shorter than {@link MIN_KNOWN_SECRET}, all digits and shorter than {@link MIN_NUMERIC_SECRET},
 * placeholders (`true`, `null`, `none`, `***`, `[REDACTED]`).
 */
export function addSecret(raw: string, out: Set<string>): void {
  const add = (v: string): void => {
    const t = v.trim();
    if (!isPlaceholderSecret(t)) out.add(t);
  };
  let t = raw.trim();
  add(t);
  if (hasControl(t)) {
    t = stripControl(t).trim();
    add(t);
  }
  const bare = t.replace(TRAILING_PUNCT, '');
  if (bare !== t) add(bare);
  const scheme = SCHEME_RE.exec(t);
  if (scheme) add(t.slice(scheme[0].length));
  // The same secret written URL-encoded (a query string) or JSON-escaped (a dump inside a string).
  if (!/^[A-Za-z0-9_.~-]*$/.test(t)) {
    try {
      add(encodeURIComponent(t));
    } catch {
      // a lone surrogate: no URL form
    }
    add(JSON.stringify(t).slice(1, -1));
  }
}

/**
 * True for a value that is not scrubbed as a literal elsewhere, because it would eat ordinary
 * text or is no secret: shorter than {@link MIN_KNOWN_SECRET} (or longer than 4096), all digits
 * and shorter than {@link MIN_NUMERIC_SECRET} (a count, a port), a placeholder (`true`, `null`,
 * `none`, `required`, `***`) or already holding `[REDACTED]`. (Where it sits under a key or in
 * a pattern, it is still redacted there.)
 */
export function isPlaceholderSecret(t: string): boolean {
  // No upper bound: a 5,000-character token is as secret as a short one (red-team r1); long
  // literals are matched by Literals without a quadratic compare.
  if (t.length < MIN_KNOWN_SECRET || t.includes(REDACTED)) return true;
  if (t.length < MIN_NUMERIC_SECRET && /^\d+$/.test(t)) return true;
  return MASK_RE.test(t) || STOPWORDS.has(t.toLowerCase());
}

/** The secret inside a matched value: quotes, a `b'…'` prefix and an auth scheme removed. */
function unwrapValue(v: string): string | undefined {
  const q = QUOTED_RE.exec(v);
  if (q) {
    const inner = q[1] ?? q[2] ?? q[3] ?? '';
    return inner.includes('\\') ? unescape(inner) : inner;
  }
  if (v.startsWith('{') || v.startsWith('[')) return undefined;
  return v;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c;
  });
}

/**
 * Literal secrets found by a hashed scan: the first four code units of each position are hashed,
 * a 64 K-entry filter rejects most positions, the rest compare the candidates (longest first).
 * Linear in the text, whatever the number of literals (a regex alternation of thousands of
 * literals is not). A candidate longer than {@link LONG_LITERAL} is not compared at every
 * position whose head matches (`aaaa…b` against `aaaa…` would cost text × literal): its next
 * occurrence is found once with `indexOf` and remembered for the rest of the scan, so each long
 * literal costs at most one search per occurrence.
 */
class Literals {
  private readonly byHead = new Map<number, string[]>();
  private readonly filter = new Uint8Array(65536);
  readonly size: number;

  constructor(lits: readonly string[]) {
    for (const l of lits) {
      const h = hash4(l, 0);
      const list = this.byHead.get(h);
      if (list) list.push(l);
      else this.byHead.set(h, [l]);
      this.filter[h & 0xffff] = 1;
    }
    for (const list of this.byHead.values()) list.sort((a, b) => b.length - a.length);
    this.size = lits.length;
  }

  replace(s: string): string {
    const n = s.length;
    if (n < MIN_KNOWN_SECRET) return s;
    let out: string | undefined;
    let last = 0;
    // Long literals: where each occurs next at or after the scan position (-1: nowhere).
    let next: Map<string, number> | undefined;
    const at = (c: string, i: number): boolean => {
      if (c.length <= LONG_LITERAL) return s.startsWith(c, i);
      next ??= new Map();
      let p = next.get(c);
      if (p === undefined || (p !== -1 && p < i)) next.set(c, (p = s.indexOf(c, i)));
      return p === i;
    };
    for (let i = 0; i + MIN_KNOWN_SECRET <= n; i++) {
      const h = hash4(s, i);
      if (this.filter[h & 0xffff] === 0) continue;
      const cands = this.byHead.get(h);
      if (cands === undefined) continue;
      for (const c of cands) {
        if (c.length <= n - i && at(c, i)) {
          out = (out ?? '') + s.slice(last, i) + REDACTED;
          last = i + c.length;
          i = last - 1;
          break;
        }
      }
    }
    return out === undefined ? s : out + s.slice(last);
  }
}

/** Literals longer than this are located with `indexOf` (see {@link Literals}). */
const LONG_LITERAL = 64;

function hash4(s: string, i: number): number {
  return (Math.imul(Math.imul(Math.imul(s.charCodeAt(i), 31) + s.charCodeAt(i + 1), 31) + s.charCodeAt(i + 2), 31) + s.charCodeAt(i + 3)) | 0;
}

// Quoted values, in a key pair or an argv list: `"…"`, `'…'`, `b'…'`, `\"…\"` (JSON in a string).
const QUOTED_VALUE = `\\\\"(?:[^"\\\\\\n]|\\\\[^"]){0,4000}\\\\"|[bBuUrR]{0,2}"(?:[^"\\\\\\n]|\\\\.){0,4000}"|[bBuUrR]{0,2}'(?:[^'\\\\\\n]|\\\\.){0,4000}'`;

// A program that takes its password after `-p` (or as `-pSECRET`), as argv[0] or a list element.
const P_FLAG_CMD = /(?:^|[\\/])(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlsh|mysqlpump|mariadb|mariadb-dump|mariadb-admin|mycli|psql|pg_dump|pg_dumpall|pg_restore|pgcli|sshpass)(?:\.exe)?$/;
const NOT_P_SECRET = /^-p(?:thread|edantic|ipe|ie|g|rint)?$/;
const FLAG_RE = /^-{1,2}([A-Za-z][A-Za-z0-9_.-]{0,80})$/;

/**
 * The secrets of an argv-like list (`['mysql', '-u', 'root', '-psecret']`, `['--token', 'x']`):
 * `[index, replacement, secret]` for the element after a sensitive flag, and the value of
 * `-p`/`-pSECRET` when a mysql/psql-like program is in the list. Lists without a `-` element
 * cost one pass.
 */
function argvSecrets(red: Redactor, arr: readonly unknown[]): Array<[number, string, string]> {
  const out: Array<[number, string, string]> = [];
  const n = Math.min(arr.length, 1000);
  let pCmd: boolean | undefined;
  for (let i = 0; i < n; i++) {
    // Elements are read without control and zero-width characters, as strings are scrubbed:
    // `['mysql', '-\u200bp', 'x']` or `--pass\u200bword` must not hide the flag (red-team, round 9).
    const s = cleanArg(arr[i]);
    if (typeof s !== 'string' || s.charCodeAt(0) !== 0x2d) continue;
    const next = arr[i + 1];
    const nextClean = cleanArg(next);
    const nextOk = typeof nextClean === 'string' && nextClean !== '' && nextClean.charCodeAt(0) !== 0x2d;
    const m = FLAG_RE.exec(s);
    if (m && nextOk && red.isSensitiveKey(m[1])) {
      out.push([i + 1, REDACTED, next as string]);
      i++;
      continue;
    }
    if (s.startsWith('-p') && !s.startsWith('--') && !NOT_P_SECRET.test(s.length > 2 ? s : '')) {
      pCmd ??= arr.slice(0, n).some((x) => {
        const c = cleanArg(x);
        return typeof c === 'string' && P_FLAG_CMD.test(c);
      });
      if (!pCmd) continue;
      if (s === '-p') {
        if (nextOk) {
          out.push([i + 1, REDACTED, next as string]);
          i++;
        }
      } else out.push([i, `-p${REDACTED}`, s.slice(2)]);
    }
  }
  return out;
}

/** A list element as {@link argvSecrets} reads it: a string without control and zero-width characters. */
function cleanArg(x: unknown): unknown {
  return typeof x === 'string' && hasControl(x) ? stripControl(x) : x;
}

const STRING_CACHE_MAX_LEN = 256;
const STRING_CACHE_ENTRIES = 8192;

/** A compiled redactor: build once per options and reuse (the patterns are not free to build). */
export class Redactor {
  private readonly exact = new Set<string>();
  private readonly contains: string[] = [];
  private readonly sensitiveCache = new Map<string, boolean>();
  /** {@link Redactor.string} of short strings: keys and values repeat across a run's events. */
  private readonly stringCache = new Map<string, string>();
  private readonly kvPattern: RegExp;
  private readonly kvEncodedPattern: RegExp;
  private readonly blockPattern: RegExp;
  private readonly flagPattern: RegExp;
  private readonly trigger: RegExp;
  readonly payloadLimit: number;
  readonly allowRawPayloads: boolean;
  private readonly maxDepth: number;
  private readonly maxItems: number;
  private readonly known: Literals | undefined;
  /** The options this redactor was built with (to derive a run-scoped one). */
  readonly options: RedactOptions;

  constructor(opts: RedactOptions = {}) {
    this.options = opts;
    const lits: string[] = [];
    const seen = new Set<string>();
    for (const v of opts.knownSecrets ?? []) {
      if (typeof v !== 'string' || v.length < MIN_KNOWN_SECRET || seen.has(v)) continue;
      seen.add(v);
      lits.push(v);
    }
    this.known = lits.length ? new Literals(lits) : undefined;
    const keys = [...DEFAULT_REDACT_KEYS, ...EXTRA_SENSITIVE_KEYS, ...redactKeyWords(opts.redactKeys)];
    const words: string[] = [];
    const exactWords: string[] = [];
    const add = (k: string, exactOnly: boolean): void => {
      const n = normKey(k);
      if (!n || n.length > 200) return;
      if (n.length >= 4 && !exactOnly) {
        this.contains.push(n);
        words.push(k);
      } else {
        this.exact.add(n);
        exactWords.push(k);
      }
    };
    for (const k of keys) add(k, false);
    for (const k of EXACT_SENSITIVE_KEYS) add(k, true);
    // In free text keys appear as written (`api_key`, `apiKey`, `API-KEY`, `api key`): let the
    // separator be `_`, `.`, `-`, one space or nothing.
    const alt = (ws: string[]): string =>
      [...new Set(ws.map((w) => stripControl(w).toLowerCase()))]
        .sort()
        .map((w) => w.split(/[\s_.-]+/).filter(Boolean).map(escapeRe).join('[_. -]?'))
        .filter(Boolean)
        .join('|');
    const longAlt = alt(words);
    const exactAlt = alt(exactWords);
    // A long key may sit inside a longer one (`db_password_hash=`); a short one must be the whole
    // key (`pwd=` but not `cwd=`/`bypass=`), as for object keys.
    // A long key may also be followed by one more word (`secret key: …`, `auth token = …`).
    const keyRe = [longAlt ? `[A-Za-z0-9_.-]{0,40}(?:${longAlt})[A-Za-z0-9_.-]{0,40}(?: (?:key|token|value|phrase|string|code))?` : '', exactAlt ? `(?<![A-Za-z0-9_.-])(?:${exactAlt})` : '']
      .filter(Boolean)
      .join('|');
    // key (optionally quoted) then `=`, `:`, `=>`, `:=`, `==` then a quoted value (also `b'…'`), a
    // one-level `{…}`/`[…]`, or a bare word with an optional auth scheme in front. Bounded,
    // non-nested quantifiers only (no catastrophic backtracking).
    this.kvPattern = new RegExp(
      `(\\\\?["']?)(${keyRe})\\1(\\s{0,3}(?:=>|:=|!={1,2}|={1,3}|:)\\s{0,3})` +
        // not a YAML block indicator (`secret: |`): its value is on the next lines (blockPattern)
        `(?![|>][-+]?[1-9]?[-+]?[ \\t]{0,40}(?:\\n|$))` +
        `(${QUOTED_VALUE}|\\{[^{}\\n]{0,2000}\\}|\\[[^\\[\\]\\n]{0,2000}\\]|(?:(?:${SCHEMES})\\s+)?(?:\\[REDACTED\\]|[^\\s"',;&})\\]]{1,2000}))`,
      'gi',
    );
    // The same pair URL-encoded (`?next=%2Fa%3Fpassword%3Dx`, `%22password%22%3A%22x%22`): the
    // separator is an encoded `=` or `:` (plain ones are kvPattern's), the value ends at an
    // encoded or plain `&`, quote, comma, brace, bracket, semicolon or space.
    this.kvEncodedPattern = new RegExp(
      `(${keyRe})((?:%2[27])?\\s{0,3}(?:%3[Dd]|%3[Aa])(?:%2[027]|\\+){0,3})(\\[REDACTED\\]|(?:(?!%(?:2[02627Cc]|7[Dd]|5[Dd]|3[Bb]))[^&\\s#"'<>,;}\\]]){1,2000})`,
      'gi',
    );
    // A YAML block scalar after a sensitive key: `secret: |` then the value on the indented lines
    // that follow (each line is part of the secret).
    this.blockPattern = new RegExp(`((?:${keyRe})["']?\\s{0,3}:[ \\t]{0,3}[|>][+-]?[1-9]?[+-]?[ \\t]{0,40}\\n)((?:[ \\t]+\\S[^\\n]*(?:\\n|$)){1,1000})`, 'gi');
    // A command-line flag then its value: `--password x`, `['--token', 'x']`, `"--api-key","x"`.
    const flagKey = [longAlt ? `[A-Za-z0-9_.-]{0,40}(?:${longAlt})[A-Za-z0-9_.-]{0,40}` : '', exactAlt ? `(?:${exactAlt})` : ''].filter(Boolean).join('|');
    this.flagPattern = new RegExp(
      `((?<![A-Za-z0-9_.])(["']?)-{1,2}(?:${flagKey})\\2(?:\\s{0,3},\\s{0,3}|\\s{1,3}))(${QUOTED_VALUE}|(?![-"'\\[])[^\\s"',\\]]{1,2000})`,
      'gi',
    );
    // Cheap test before looking for secrets in a string (egress/secrets.ts walks whole runs).
    // (read/secretHint.ts relies on this shape: the key words, then TRIGGER_EXTRA_SOURCE, in any
    // case; and CASED_TRIGGER, `-p`, as written — see hasTrigger.)
    this.trigger = new RegExp(`${[longAlt, exactAlt].filter(Boolean).join('|')}|${TRIGGER_EXTRA_SOURCE}`, 'i');
    this.payloadLimit = opts.payloadLimit === undefined || !Number.isFinite(opts.payloadLimit) ? DEFAULT_PAYLOAD_LIMIT : Math.floor(opts.payloadLimit);
    this.allowRawPayloads = opts.allowRawPayloads === true;
    this.maxDepth = opts.maxDepth ?? 12;
    this.maxItems = opts.maxItems ?? 50;
  }

  /** How many literal secrets this redactor scrubs (its `knownSecrets`). */
  get knownCount(): number {
    return this.known?.size ?? 0;
  }

  /** True when a value under this key must be redacted. */
  isSensitiveKey(key: string): boolean {
    if (typeof key !== 'string') return false;
    let r = this.sensitiveCache.get(key);
    if (r !== undefined) return r;
    const n = normKey(key);
    r = n !== '' && (this.exact.has(n) || this.contains.some((c) => n.includes(c)));
    if (this.sensitiveCache.size >= 4096) this.sensitiveCache.clear();
    this.sensitiveCache.set(key, r);
    return r;
  }

  /**
   * Scrub credential-looking text from a string (no truncation). With `found`, the text of every
   * redacted part (the secret, without its key, quotes or scheme) is added to it.
   */
  scrub(s: string, found?: Set<string>): string {
    let out = this.known ? this.known.replace(s) : s;
    const take =
      found === undefined
        ? (pre: string): string => pre + REDACTED
        : (pre: string, secret: string | undefined): string => {
            const v = secret === undefined ? undefined : unwrapValue(secret);
            if (v !== undefined) addSecret(v, found);
            return pre + REDACTED;
          };
    for (const re of VALUE_PATTERNS) out = out.replace(re, (_m, pre: string, secret: string) => take(pre, secret));
    out = out.replace(this.flagPattern, (_m, pre: string, _q: string, secret: string) => take(pre, secret));
    // The two rarer shapes only where they can be (a newline; an encoded `=`/`:`): cheaper.
    if (out.includes('\n')) out = out.replace(this.blockPattern, (_m, pre: string, block: string) => {
      const indent = /^[ \t]+/.exec(block)?.[0] ?? '  ';
      if (found !== undefined) {
        addSecret(block, found);
        for (const line of block.split('\n')) if (line.trim()) addSecret(line, found);
      }
      return `${pre}${indent}${REDACTED}${block.endsWith('\n') ? '\n' : ''}`;
    });
    if (/%3[ad]/i.test(out)) out = out.replace(this.kvEncodedPattern, (_m, key: string, sep: string, value: string) => {
      if (found !== undefined) {
        let plain = value;
        try {
          plain = decodeURIComponent(value.replace(/\+/g, ' '));
        } catch {
          // a malformed escape: the encoded form only
        }
        addSecret(value, found);
        if (plain !== value) addSecret(plain, found);
      }
      return `${key}${sep}${REDACTED}`;
    });
    out = out.replace(this.kvPattern, (_m, q: string, key: string, sep: string, value: string) => {
      const pre = `${q}${key}${q}${sep}`;
      return take(pre, value).slice(0, pre.length) + quotedLike(q, value);
    });
    return out;
  }

  /**
   * Add to `out` every secret this redactor would remove from `s` by a pattern (a value after a
   * sensitive key, a URL password, a flag's argument, …), for run-wide scrubbing. Cheap for
   * strings without any trigger word.
   */
  findSecrets(s: string, out: Set<string>): void {
    if (s.length < MIN_KNOWN_SECRET) return;
    const short = s.length <= STRING_CACHE_MAX_LEN;
    if (short && this.scanned.has(s)) return;
    // The trigger reads the text the patterns read: without control and zero-width characters
    // (`-\u200bp…`, `to\u200bken=…` would otherwise pass it; red-team, round 9).
    const clean = hasControl(s) ? stripControl(s) : s;
    if (this.hasTrigger(clean)) {
      const found = new Set<string>();
      this.scrub(clean, found);
      if (found.size === 0) {
        if (short) this.remember(s);
      } else for (const f of found) out.add(f);
    } else if (short) this.remember(s);
  }

  /**
   * Whether a pattern may find a secret in `s`: a trigger word in any case, or `-p` as written
   * (every password-flag pattern is lower case; mysql's `-P` is its port: secretHint.ts CASED_TRIGGER).
   */
  private hasTrigger(s: string): boolean {
    return this.trigger.test(s) || s.includes(CASED_TRIGGER);
  }

  /** Strings known to hold no pattern-found secret (short ones; bounded). */
  private readonly scanned = new Set<string>();
  private remember(s: string): void {
    if (this.scanned.size >= STRING_CACHE_ENTRIES) this.scanned.clear();
    this.scanned.add(s);
  }

  /** Add to `out` the secrets of an argv-like list (see {@link Redactor.value}). */
  findArgvSecrets(arr: readonly unknown[], out: Set<string>): void {
    for (const [, , secret] of argvSecrets(this, arr)) addSecret(secret, out);
  }

  /**
   * An identifier shown as-is (run id, app, mode, flow name, step, file, function): returned
   * unchanged unless it holds credential-looking text, which is replaced by {@link REDACTED}
   * (`run-login failed: password=[REDACTED]`). Not truncated, and control characters are kept
   * when nothing is found, so an ordinary id still matches the trace; escaping for the terminal
   * or markdown stays the caller's job. Recognition runs on the text without control/zero-width
   * characters, so `pass\u200bword=…` cannot hide; when a credential is found the result is that
   * cleaned text.
   */
  identifier(raw: string): string {
    if (typeof raw !== 'string' || raw === '') return raw;
    const clean = hasControl(raw) ? stripControl(raw) : raw;
    const scrubbed = this.scrub(clean);
    return scrubbed === clean ? raw : scrubbed;
  }

  /**
   * Strip control/bidi/zero-width characters (so `pass\u200bword=…` cannot hide from the
   * patterns), scrub, then cut to `payloadLimit` with a visible marker.
   */
  string(raw: string): string {
    if (raw.length <= STRING_CACHE_MAX_LEN) {
      let r = this.stringCache.get(raw);
      if (r === undefined) {
        r = this.uncachedString(raw);
        if (this.stringCache.size >= STRING_CACHE_ENTRIES) this.stringCache.clear();
        this.stringCache.set(raw, r);
      }
      return r;
    }
    return this.uncachedString(raw);
  }

  private uncachedString(raw: string): string {
    let s = stripControl(raw);
    const limit = this.payloadLimit;
    if (limit <= 0 || s.length <= limit) return this.scrub(s);
    // Known secrets first, over the whole string: one longer than the window would otherwise be
    // cut before it could match, and its head would be kept (red-team r1). Linear (Literals).
    if (this.known) s = this.known.replace(s);
    // Scrub a window a little past the limit so a secret across the cut is still recognised.
    const head = this.scrub(s.slice(0, limit + 256));
    return truncateString(head, limit, s.length - head.length);
  }

  /**
   * Deep-redact any JSON-like value. Returns a fresh structure of plain objects/arrays/strings/
   * numbers/booleans/null; non-finite numbers become strings (`"NaN"`), functions/undefined are
   * dropped from objects. Never mutates `value`; depth is bounded so no stack overflow.
   */
  value(value: unknown): unknown {
    return this.walk(value, 0, new Set());
  }

  private walk(v: unknown, depth: number, path: Set<object>): unknown {
    if (v === null || v === undefined) return v ?? null;
    switch (typeof v) {
      case 'string':
        return this.string(v);
      case 'number':
        return Number.isFinite(v) ? v : String(v);
      case 'boolean':
        return v;
      case 'bigint':
        return v.toString();
      case 'object':
        break;
      default:
        return undefined;
    }
    const obj = v as object;
    if (path.has(obj)) return '[circular]';
    if (depth >= this.maxDepth) return '[depth limit]';
    path.add(obj);
    try {
      if (Array.isArray(obj)) {
        const out: unknown[] = [];
        const n = Math.min(obj.length, this.maxItems);
        // An argv list: the argument of a sensitive flag (`['--token', 'x']`, `['mysql', '-p', 'x']`).
        const argv = argvSecrets(this, obj);
        for (let i = 0; i < n; i++) {
          const hit = argv.length ? argv.find((a) => a[0] === i) : undefined;
          const r = hit ? hit[1] : this.walk(obj[i], depth + 1, path);
          out.push(r === undefined ? null : r);
        }
        if (obj.length > n) out.push(`… ${obj.length - n} more items`);
        return out;
      }
      if (obj instanceof Date) return Number.isFinite(obj.getTime()) ? obj.toISOString() : 'Invalid Date';
      if (obj instanceof Map) return this.walk(Object.fromEntries(obj), depth, path);
      // A plain object (callers compare it with literals); every key is set with setOwn, so
      // `__proto__` stays a key and nothing reaches Object.prototype (issue 13 class 4).
      // eslint-disable-next-line no-restricted-syntax
      const out: Record<string, unknown> = {};
      const keys = Object.keys(obj);
      const n = Math.min(keys.length, this.maxItems);
      for (let i = 0; i < n; i++) {
        const k = keys[i];
        const safeKey = this.string(k);
        if (this.isSensitiveKey(k)) {
          setOwn(out, safeKey, REDACTED);
          continue;
        }
        const r = this.walk((obj as Record<string, unknown>)[k], depth + 1, path);
        if (r !== undefined) setOwn(out, safeKey, r); // `__proto__` stays a key (issue 13 class 4)
      }
      if (keys.length > n) out['…'] = `${keys.length - n} more keys`;
      return out;
    } finally {
      path.delete(obj);
    }
  }
}

/** Cut `s` to `limit` characters (not splitting a surrogate pair) and append the marker. */
export function truncateString(s: string, limit: number, alreadyCut = 0): string {
  if (limit <= 0 || (s.length <= limit && alreadyCut === 0)) return s;
  let cut = Math.min(limit, s.length);
  const c = s.charCodeAt(cut - 1);
  if (cut > 0 && c >= 0xd800 && c <= 0xdbff) cut--;
  const dropped = s.length - cut + alreadyCut;
  return dropped > 0 ? `${s.slice(0, cut)}… (truncated ${dropped} chars)` : s;
}

/**
 * The marker in the quoting of the value it replaces, so redacted JSON stays JSON
 * (`{"password":"x"}` → `{"password":"[REDACTED]"}`) and a repr stays a repr (`'pw': 'x'` →
 * `'pw': '[REDACTED]'`). A JSON-quoted key (`"k":` / `\"k\":`) always gets a quoted marker, whatever
 * the value was (a number, an object), so the text still parses.
 */
function quotedLike(keyQuote: string, value: string): string {
  if (keyQuote === '"' || keyQuote === '\\"') return `${keyQuote}${REDACTED}${keyQuote}`;
  const m = /^(b?)(\\?["'])/.exec(value);
  if (m && value.length > m[0].length && value.endsWith(m[2])) return `${m[1]}${m[2]}${REDACTED}${m[2]}`;
  return REDACTED;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// Vendor token prefixes (each documented by its vendor as the token's fixed start).
const VENDOR_TOKENS = [
  '(?:sk|rk)[-_](?:live|test|proj|ant|svcacct|admin)?[-_]?[A-Za-z0-9_-]{8,}', // OpenAI sk-/sk-proj-, Anthropic sk-ant-, Stripe sk_live_/rk_live_
  '(?:pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}', // Stripe publishable / restricted
  'whsec_[A-Za-z0-9+/=]{16,}', // Stripe webhook signing secret
  '(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])[0-9A-Z]{16}\\b', // AWS access key ids
  'gh[pousr]_[A-Za-z0-9]{20,}',
  'github_pat_[A-Za-z0-9_]{20,}',
  'gl(?:pat|dt|ptt|rt|cbt|soat|ffct)-[A-Za-z0-9_-]{20,}', // GitLab
  'xox[abeoprs]-[A-Za-z0-9-]{10,}', // Slack
  'xapp-[A-Za-z0-9-]{10,}',
  'AIza[0-9A-Za-z_-]{30,}', // Google API key
  'ya29\\.[A-Za-z0-9_-]{20,}', // Google OAuth access token
  'GOCSPX-[A-Za-z0-9_-]{20,}', // Google OAuth client secret
  'npm_[A-Za-z0-9]{30,}',
  'pypi-AgE[A-Za-z0-9_-]{16,}',
  'SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}', // SendGrid
  'shp(?:at|ss|ca|pa)_[A-Za-z0-9]{20,}', // Shopify
  'hf_[A-Za-z0-9]{30,}', // Hugging Face
  'do[opr]_v1_[A-Za-z0-9]{20,}', // DigitalOcean
  'sq0(?:atp|csp|idp)-[A-Za-z0-9_-]{16,}', // Square
  'EAAA[A-Za-z0-9_-]{40,}', // Square access token
  'SK[0-9a-fA-F]{32}\\b', // Twilio API key
  'xai-[A-Za-z0-9]{20,}', // xAI
  'glsa_[A-Za-z0-9_]{20,}', // Grafana
  'dapi[a-f0-9]{32}\\b', // Databricks
  'HRKU-[A-Za-z0-9_-]{20,}', // Heroku API key
].join('|');

/**
 * Credential shapes recognised anywhere in a string. Each has exactly two groups: a prefix kept
 * as written, then the secret replaced by {@link REDACTED}. Order matters: blocks first.
 */
const VALUE_PATTERNS: readonly RegExp[] = [
  /()(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,20000}?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)|[\s\S]{0,20000}))/g,
  /()(\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*)/g,
  /(\bBearer\s+)([A-Za-z0-9._~+/=-]{6,})/gi,
  /(\bBasic\s+)((?=[A-Za-z0-9+/=]{0,200}(?:[0-9+/=]|[a-z][A-Z]))[A-Za-z0-9+/]{8,}={0,2})/g,
  // an Authorization header whose scheme carries its credentials as parameters (Digest, AWS4, OAuth 1)
  /(\b(?:proxy-)?authorization\s{0,3}:\s{0,3}(?:Digest|AWS4-HMAC-SHA256|OAuth|Signature)\s)([^\r\n]{1,4000})/gi,
  // a Cookie / Set-Cookie header line: every cookie in it
  /(\b(?:set-)?cookie\s{0,3}:\s{0,3})([^\r\n"'}\]]{1,4000})/gi,
  new RegExp(`()(\\b(?:${VENDOR_TOKENS}))`, 'g'),
  // user-info password in a URL: scheme://user:pass@host, also with an empty user and an `@` in it
  /(\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@]{0,200}:)([^\s/?#@][^\s/?#]{0,199})(?=@)/gi,
  // webhook URLs: the path after the fixed part is the credential
  /((?:hooks\.slack\.com\/(?:services|workflows|triggers)|discord(?:app)?\.com\/api\/webhooks|webhook\.office\.com\/webhookb2|outlook\.office(?:365)?\.com\/webhook|hooks\.zapier\.com\/hooks\/catch)\/)([^\s"'<>]{4,2000})/gi,
  /(\/webhooks?\/)((?=[A-Za-z0-9_-]{0,200}\d)[A-Za-z0-9_-]{12,2000})/gi,
  // presigned-URL signatures and credentials, anywhere (also `Signature=` in an AWS4 header)
  /(\b(?:x-amz-(?:signature|credential|security-token)|x-goog-(?:signature|credential)|signature|sig)\s{0,2}=\s{0,2})([^\s&;,"'<>#]{4,4000})/gi,
  // credential query parameters
  /([?&](?:key|api[_-]?key|apikey|access[_-]?token|id[_-]?token|refresh[_-]?token|auth[_-]?token|token|code|client[_-]?secret|secret|password|passwd|pwd|private[_-]?token|x-api-key|auth)=)([^&\s#"'<>]{1,4000})/gi,
  // curl's user:password: `curl -u admin:pw`, `--user admin:pw`, `-uadmin:pw`, `--proxy-user a:pw`
  /(\bcurl(?:\.exe)?(?![\w-])[^\n\r]{0,400}?\s(?:-u\s{0,3}|--(?:proxy-)?user(?:\s{1,3}|=))["']?[^\s:"']{0,200}:)([^\s"']{1,1000})/g,
  // mysql/psql-like command lines: `mysql -u root -psecret`, `mysql -p secret db`
  /(\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlsh|mysqlpump|mariadb|mariadb-dump|mariadb-admin|mycli|psql|pg_dump|pg_dumpall|pg_restore|pgcli|sshpass)(?:\.exe)?(?![\w-])[^\n\r]{0,400}?[\s'"]-p\s{0,3})([^\s'",\]\-][^\s'",\]]{0,1000})/g,
  // argv lists: `['-p', 'secret']`, `["-psecret"]`
  /((?:^|[[(,\s])["']-p["']\s{0,3},\s{0,3})("(?:[^"\\\n]|\\.){0,2000}"|'(?:[^'\\\n]|\\.){0,2000}')/g,
  /((?:^|[[(,\s])["']-p)((?!thread|edantic|ipe["']|ie["']|g["']|rint)[^"'\s]{1,1000})(?=["'])/g,
  // IBAN-like account numbers (DE89 3704 0044 0532 0130 00, with spaces or dashes or none)
  /()(\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){3,7}(?:[ -]?[A-Z0-9]{1,3})?\b)/g,
];

const defaultRedactor = new Redactor();

/** Deep-redact with default options (or the given ones). */
export function redactValue(value: unknown, opts?: RedactOptions): unknown {
  return (opts ? new Redactor(opts) : defaultRedactor).value(value);
}

/** Scrub + truncate one string with default options (or the given ones). */
export function redactString(s: string, opts?: RedactOptions): string {
  return (opts ? new Redactor(opts) : defaultRedactor).string(s);
}

/** {@link Redactor.identifier} with default options (or the given ones). */
export function redactIdentifier(s: string, opts?: RedactOptions): string {
  return (opts ? new Redactor(opts) : defaultRedactor).identifier(s);
}

/** True when `key` would be redacted with these options. */
export function isSensitiveKey(key: string, opts?: RedactOptions): boolean {
  return (opts ? new Redactor(opts) : defaultRedactor).isSensitiveKey(key);
}

/**
 * Strip what must never reach a prompt or a rendered view from untrusted text: ANSI escape
 * sequences (CSI/OSC), C0/C1 control characters except `\n` and `\t` (`\r\n` → `\n`), Unicode
 * bidi overrides/isolates/marks (U+202A–202E, U+2066–2069, U+200E/F, U+061C), zero-width and
 * other invisible format characters (U+200B–200D, U+2060–2064, U+206A–206F, U+FEFF, U+00AD,
 * U+034F, U+180E, U+115F/1160/3164/FFA0 fillers, U+FFF9–FFFB, tag characters U+E0000–E007F).
 * The Unicode line and paragraph separators U+2028/U+2029 become a space: they end a line in
 * editors and JavaScript but not in markdown, so they could split a heading out of a code span.
 */
export function stripControl(s: string): string {
  return s
    .replace(/\x1b\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)?/g, '')
    .replace(/\x1b\[[0-?]{0,32}[ -/]{0,8}[@-~]?/g, '')
    .replace(/\x1b[@-_]?/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u2028\u2029]/g, ' ')
    .replace(INVISIBLE, '');
}

/** True when `s` holds a character {@link stripControl} would remove or replace. */
export function hasControl(s: string): boolean {
  return UNSAFE_CHAR.test(s);
}
