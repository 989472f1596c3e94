/**
 * Redaction of trace-derived data before it leaves Flowlens (ask.md, summary.md, chat, LM tools).
 *
 * Rules (formats.md §1c `privacy`):
 * - **Keys.** A value whose key matches a redact key is replaced by {@link REDACTED}, whatever its
 *   type, at any depth. Keys are compared after normalisation (lower case, `_`, `-`, `.` and
 *   spaces removed), so `api_key`, `apiKey`, `API-KEY` are the same key. A redact key of 4+
 *   normalised characters also matches any key that *contains* it (`x_api_key`, `Authorization`,
 *   `set-cookie`, `db_password_hash`, `bank_account_number`); shorter ones match exactly, so a
 *   custom key such as `id` does not swallow `flow_id`. Generous on purpose: a false positive
 *   costs a value in a prompt, a false negative leaks a secret.
 * - **Values.** Every string (including object keys, reasons, exception messages and Python
 *   reprs) is scrubbed of credential-looking text wherever it appears: private-key blocks, JWTs,
 *   `Bearer …`/`Basic …` tokens, `sk-…`/`rk_live_…` keys, AWS `AKIA…`/`ASIA…` ids, GitHub
 *   `ghp_…`/`github_pat_…`, Slack `xox?-…`, Google `AIza…`, URL user-info passwords, IBAN-like
 *   account numbers, and `key=value` / `key: value` / `'key': 'value'` pairs whose key matches
 *   a redact key.
 * - **Size.** Strings longer than `payloadLimit` characters are cut with a visible
 *   `… (truncated N chars)` marker (scrubbing runs before the cut so a secret can never be
 *   half-kept); arrays/objects longer than `maxItems` are cut with a `… N more` entry; nesting
 *   deeper than `maxDepth` becomes `[depth limit]`; a cycle becomes `[circular]`.
 * - **Raw payloads.** `allowRawPayloads` is carried here; ask.ts drops events' `data` /
 *   `payload` unless it is set.
 *
 * Everything here is pure: inputs are never mutated, no I/O, no clock.
 */
import { setOwn } from '../bounded';

/** The fixed marker that replaces a redacted value. */
export const REDACTED = '[REDACTED]';

/** ra.yaml `privacy.redact_keys` defaults (formats.md §1c). */
export const DEFAULT_REDACT_KEYS: readonly string[] = ['api_key', 'token', 'password', 'secret', 'auth', 'cookie'];

/**
 * Further credential words always redacted, like the defaults (a key *containing* one matches):
 * spellings of passwords and keys that the ra.yaml defaults miss. Not `session` (`session_id` is
 * the run id alias) and not `key` (far too common).
 */
export const EXTRA_SENSITIVE_KEYS: readonly string[] = ['passwd', 'passphrase', 'credential', 'private_key', 'access_key', 'signing_key', 'encryption_key'];

/**
 * Short credential keys matched only as the whole key (`pass`, not `passed`/`bypass`/`compass`;
 * `pwd`, not `pwd_hash_algo`): common enough as password keys, too common as parts of words.
 */
export const EXACT_SENSITIVE_KEYS: readonly string[] = ['pass', 'pwd', 'pw'];

/** ra.yaml has no documented default for `payload_limit`; 512 characters is flowscribe's. */
export const DEFAULT_PAYLOAD_LIMIT = 512;

/** Options; every field has a safe default. */
export interface RedactOptions {
  /** ra.yaml `privacy.redact_keys`; the defaults are always included as well. */
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

// Characters stripControl removes (see there); defined before the first Redactor is built.
const INVISIBLE_SRC =
  '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u00ad\\u034f\\u061c\\u115f\\u1160\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\u3164\\ufeff\\uffa0\\ufff9-\\ufffb]|\\udb40[\\udc00-\\udc7f]';
const INVISIBLE = new RegExp(INVISIBLE_SRC, 'g');
const UNSAFE_CHAR = new RegExp(`[\\x1b\\r\\u2028\\u2029]|${INVISIBLE_SRC}`);

const normKey = (k: string): string => stripControl(k).toLowerCase().replace(/[\s_.-]+/g, '');

/** A compiled redactor: build once per options and reuse (the patterns are not free to build). */
export class Redactor {
  private readonly exact = new Set<string>();
  private readonly contains: string[] = [];
  private readonly kvPattern: RegExp;
  readonly payloadLimit: number;
  readonly allowRawPayloads: boolean;
  private readonly maxDepth: number;
  private readonly maxItems: number;
  private readonly known: RegExp | undefined;
  /** The options this redactor was built with (to derive a run-scoped one). */
  readonly options: RedactOptions;

  constructor(opts: RedactOptions = {}) {
    this.options = opts;
    const lits = [...new Set([...(opts.knownSecrets ?? [])].filter((v) => typeof v === 'string' && v.length >= MIN_KNOWN_SECRET))]
      .sort((a, b) => b.length - a.length)
      .slice(0, 5000);
    this.known = lits.length ? new RegExp(lits.map(escapeRe).join('|'), 'g') : undefined;
    const keys = [...DEFAULT_REDACT_KEYS, ...EXTRA_SENSITIVE_KEYS, ...(opts.redactKeys ?? [])];
    const words: string[] = [];
    const exactWords: string[] = [];
    const add = (k: unknown, exactOnly: boolean): void => {
      if (typeof k !== 'string') return;
      const n = normKey(k);
      if (!n) return;
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
    // In free text keys appear as written (`api_key`, `apiKey`, `API-KEY`): let `_`/`-` be optional.
    const alt = (ws: string[]): string =>
      [...new Set(ws.map((w) => w.toLowerCase()))]
        .sort()
        .map((w) => w.split(/[\s_.-]+/).map(escapeRe).join('[_.-]?'))
        .join('|');
    // A long key may sit inside a longer one (`db_password_hash=`); a short one must be the whole
    // key (`pwd=` but not `cwd=`/`bypass=`), as for object keys.
    const keyRe = [
      words.length ? `[A-Za-z0-9_.-]{0,40}(?:${alt(words)})[A-Za-z0-9_.-]{0,40}` : '',
      exactWords.length ? `(?<![A-Za-z0-9_.-])(?:${alt(exactWords)})` : '',
    ]
      .filter(Boolean)
      .join('|');
    // key (optionally quoted) then `=` or `:` then a quoted value or a bare word (with an optional
    // Bearer/Basic scheme in front). Bounded, non-nested quantifiers only (no catastrophic backtracking).
    this.kvPattern = new RegExp(
      `(\\\\?["']?)(${keyRe})\\1(\\s{0,3}[:=]\\s{0,3})` +
        `(?:\\\\"(?:[^"\\\\\\n]|\\\\[^"]){0,2000}\\\\"|"(?:[^"\\\\\\n]|\\\\.){0,2000}"|'(?:[^'\\\\\\n]|\\\\.){0,2000}'|(?:(?:Bearer|Basic|Token)\\s+)?(?:\\[REDACTED\\]|[^\\s"',;&})\\]]{1,2000}))`,
      'gi',
    );
    this.payloadLimit = opts.payloadLimit === undefined || !Number.isFinite(opts.payloadLimit) ? DEFAULT_PAYLOAD_LIMIT : Math.floor(opts.payloadLimit);
    this.allowRawPayloads = opts.allowRawPayloads === true;
    this.maxDepth = opts.maxDepth ?? 12;
    this.maxItems = opts.maxItems ?? 50;
  }

  /** True when a value under this key must be redacted. */
  isSensitiveKey(key: string): boolean {
    const n = normKey(key);
    if (!n) return false;
    if (this.exact.has(n)) return true;
    return this.contains.some((c) => n.includes(c));
  }

  /** Scrub credential-looking text from a string (no truncation). */
  scrub(s: string): string {
    let out = this.known ? s.replace(this.known, REDACTED) : s;
    for (const [re, rep] of VALUE_PATTERNS) out = out.replace(re, rep);
    out = out.replace(this.kvPattern, (_m, q: string, key: string, sep: string) => `${q}${key}${q}${sep}${REDACTED}`);
    return out;
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
    const s = stripControl(raw);
    const limit = this.payloadLimit;
    if (limit <= 0 || s.length <= limit) return this.scrub(s);
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
        for (let i = 0; i < n; i++) {
          const r = this.walk(obj[i], depth + 1, path);
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

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Credential shapes recognised anywhere in a string. Order matters: blocks first. */
const VALUE_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,20000}?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\b(Bearer)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi, `$1$2${REDACTED}`],
  [/\b(Basic)(\s+)(?=[A-Za-z0-9+/=]{0,200}(?:[0-9+/=]|[a-z][A-Z]))[A-Za-z0-9+/]{8,}={0,2}/g, `$1$2${REDACTED}`],
  [/\b(?:sk|rk)[-_](?:live|test|proj|ant)?[-_]?[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g, REDACTED],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,})/g, REDACTED],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{30,}/g, REDACTED],
  // user-info password in a URL: scheme://user:pass@host
  [/\b([a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@]{1,200}):[^\s@/]{1,200}@/gi, `$1:${REDACTED}@`],
  // IBAN-like account numbers (DE89 3704 0044 0532 0130 00, with spaces or dashes or none)
  [/\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){3,7}(?:[ -]?[A-Z0-9]{1,3})?\b/g, REDACTED],
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
