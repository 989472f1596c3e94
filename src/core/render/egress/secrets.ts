/**
 * Run-scoped redaction: a value redacted anywhere in a run is a secret everywhere in that run's
 * output — in a reason, a step, an exception message, a correlation value, a metric name, a flow
 * name, a sibling field or a key name.
 *
 * What counts as "redacted anywhere" ({@link collectSecrets}):
 * - every string (and long number) under a sensitive key, at any depth of any event field
 *   (evidence, data, payload, correlation, extra, a metric named like a key);
 * - every value a pattern of the {@link Redactor} removes from any string of the run — a
 *   `password=hunter2x` in a reason, `'token': b'…'` in a repr, `postgres://:pw@host` in a step,
 *   `mysql -psecret` in an exception, `['--password', 'x']` in evidence, a key name holding one.
 *
 * {@link runRedactor} walks the run's events once (iterative, any depth; strings without a
 * trigger word cost one regex test), then returns a {@link Redactor} that also scrubs those
 * literals. The walk is cached per run and redaction options; when the run gained events only the
 * new ones are walked.
 */
import type { Run, TraceEvent } from '../../model/types';
import { EventList } from '../../model/storage';
import { hintsCoverWords, SECRET_STRING_FIELDS, SECRET_STRUCTURES, stringMayHoldSecret } from '../../read/secretHint';
import { addSecret, MIN_KNOWN_SECRET, redactKeyWords, Redactor, type RedactOptions } from './redact';

/**
 * Values (containers and leaves) the secret walk visits in one {@link collectSecrets} call. No
 * depth cut: the walk is iterative, so a `password` 5,000 levels deep is found like one at the top
 * (red-team r2); the parsers bound nesting, and this bounds the work on any in-memory value (each
 * object is visited once, so a parsed value needs as many visits as it has nodes).
 */
export const MAX_VISITS = 5_000_000;
/** At most this many distinct secrets per run (beyond it, the key and shape rules still apply). */
export const MAX_SECRETS = 100_000;
/** Strings longer than this are searched in their first part only (a huge blob is no key pair). */
const MAX_SCAN = 64 * 1024;

/** The redaction options proper (an AskContext also carries functions and lookups). */
function pickOptions(o: RedactOptions): RedactOptions {
  const out: RedactOptions = {};
  if (o.redactKeys !== undefined) out.redactKeys = o.redactKeys;
  if (o.payloadLimit !== undefined) out.payloadLimit = o.payloadLimit;
  if (o.allowRawPayloads !== undefined) out.allowRawPayloads = o.allowRawPayloads;
  if (o.maxDepth !== undefined) out.maxDepth = o.maxDepth;
  if (o.maxItems !== undefined) out.maxItems = o.maxItems;
  return out;
}

function optionsKey(o: RedactOptions): string {
  const keys = o.redactKeys;
  return JSON.stringify([typeof keys === 'string' ? keys : keys ? [...keys] : [], o.payloadLimit ?? null, o.allowRawPayloads ?? false, o.maxDepth ?? null, o.maxItems ?? null]);
}

const bases = new Map<string, Redactor>();

/** One plain redactor per option set, for walking (its key cache is shared by every run). */
function baseFor(opts: RedactOptions, key: string): Redactor {
  let b = bases.get(key);
  if (!b) {
    if (bases.size >= 16) bases.clear();
    bases.set(key, (b = new Redactor(pickOptions(opts))));
  }
  return b;
}

/**
 * Add to `out` every secret in `root`: strings and numbers under a sensitive key (whole), and
 * what {@link Redactor.findSecrets} finds in every other string and key. Iterative (any depth),
 * cycle-safe; stops at {@link MAX_SECRETS} secrets or {@link MAX_VISITS} visited values.
 */
export function collectSecrets(root: unknown, red: Redactor, out: Set<string>): void {
  if (root === null || root === undefined) return;
  if (typeof root === 'string') {
    scan(root, red, out);
    return;
  }
  if (typeof root !== 'object') return;
  const quick = prefilterCovers(red);
  // Iterative walk, any depth: values and their "under a sensitive key" bit on two stacks.
  const stack: unknown[] = [root];
  const under: boolean[] = [false];
  // Containers walked (cycles); the root alone needs no set (most structures are one flat object).
  let seen: Set<object> | undefined;
  let rootSeen = false;
  let visits = 0;
  while (stack.length && out.size < MAX_SECRETS && visits++ < MAX_VISITS) {
    const v = stack.pop();
    const sensitive = under.pop() as boolean;
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') {
      // A sensitive value is a secret whole, and so are the parts a pattern finds in it (the
      // password of a `dsn: postgres://:pw@db` reused alone elsewhere).
      if (sensitive) addSecretOnce(v, out);
      scan(v, red, out);
      continue;
    }
    if (typeof v === 'number' || typeof v === 'bigint') {
      if (sensitive) addSecretOnce(String(v), out);
      continue;
    }
    if (typeof v !== 'object') continue;
    if (v === root) {
      if (rootSeen) continue;
      rootSeen = true;
    } else {
      seen ??= new Set();
      if (seen.has(v)) continue;
      seen.add(v);
    }
    if (Array.isArray(v)) {
      if (!sensitive) red.findArgvSecrets(v, out);
      for (let i = 0; i < v.length; i++) {
        stack.push(v[i]);
        under.push(sensitive);
      }
      continue;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) {
        const hit = typeof k === 'string' && (!quick || stringMayHoldSecret(k));
        if (hit && !sensitive) scan(k, red, out);
        stack.push(x);
        under.push(sensitive || (hit && red.isSensitiveKey(k as string)));
      }
      continue;
    }
    for (const k of Object.keys(v)) {
      // A key without a hit is not sensitive and holds no pattern (read/secretHint.ts).
      const hit = !quick || stringMayHoldSecret(k);
      if (hit && !sensitive) scan(k, red, out);
      stack.push((v as Record<string, unknown>)[k]);
      under.push(sensitive || (hit && red.isSensitiveKey(k)));
    }
  }
}

/** What {@link addSecret} adds for a short value (values under sensitive keys repeat line after line). */
const addedFor = new Map<string, readonly string[]>();

/** {@link addSecret}, remembering its result for short values (bounded). */
function addSecretOnce(raw: string, out: Set<string>): void {
  if (raw.length > 256) return addSecret(raw, out);
  let vs = addedFor.get(raw);
  if (vs === undefined) {
    const found = new Set<string>();
    addSecret(raw, found);
    vs = [...found];
    if (addedFor.size >= 4096) addedFor.clear();
    addedFor.set(raw, vs);
  }
  for (const x of vs) out.add(x);
}

function scan(s: string, red: Redactor, out: Set<string>): void {
  const t = s.length > MAX_SCAN ? s.slice(0, MAX_SCAN) : s;
  // The line prefilter's automaton over the string: without a hit the trigger cannot match, so
  // findSecrets would find nothing (cheaper than its cache lookup and trigger regex).
  if (t.length < MIN_KNOWN_SECRET || (prefilterCovers(red) && !stringMayHoldSecret(t))) return;
  red.findSecrets(t, out);
}

/** Per walking redactor: whether the prefilter's words cover its redact keys (read/secretHint.ts). */
const covers = new WeakMap<Redactor, boolean>();

function prefilterCovers(red: Redactor): boolean {
  let c = covers.get(red);
  if (c === undefined) {
    const keys = red.options.redactKeys;
    c = keys === undefined || hintsCoverWords(redactKeyWords(keys));
    covers.set(red, c);
  }
  return c;
}


/**
 * The secrets of one event: values under sensitive keys in every field that holds structure, and
 * pattern-found secrets in every string (reason, step, exception, tags, metric name, …).
 */
export function eventSecrets(e: TraceEvent, red: Redactor, out: Set<string>): void {
  for (const f of SECRET_STRING_FIELDS) {
    const v = e[f];
    if (typeof v === 'string') scan(v, red, out);
  }
  if (Array.isArray(e.tags)) for (const t of e.tags) if (typeof t === 'string') scan(t, red, out);
  if (e.exception) {
    if (typeof e.exception.type === 'string') scan(e.exception.type, red, out);
    if (typeof e.exception.message === 'string') scan(e.exception.message, red, out);
  }
  // SECRET_STRUCTURES (read/secretHint.ts prunes an event by the same list): payload only when it
  // is not data itself.
  for (const f of SECRET_STRUCTURES) if (f !== 'payload' || e.payload !== e.data) collectSecrets(e[f], red, out);
  const m = e.metric;
  if (m && typeof m.name === 'string') {
    scan(m.name, red, out);
    const named = (!prefilterCovers(red) || stringMayHoldSecret(m.name)) && red.isSensitiveKey(m.name);
    if (named && (typeof m.value === 'string' || typeof m.value === 'number')) addSecretOnce(String(m.value), out);
    else if (typeof m.value === 'string') scan(m.value, red, out);
  }
}

interface RunSecrets {
  /** Events walked so far (the run's events are appended, never reordered). */
  walked: number;
  secrets: Set<string>;
  /** The redactor for `secrets` as of `walked` events. */
  red: Redactor;
}
const cache = new WeakMap<Run, Map<string, RunSecrets>>();

/**
 * The run's event list when its records carry secret hints that hold for `opts` (the cold index
 * of a file: read/secretHint.ts, made with the default words; a redact key they do not cover makes
 * every record walked again), else undefined (walk every event).
 */
function hintsOf(events: Run['events'], opts: RedactOptions): EventList | undefined {
  if (!(events instanceof EventList)) return undefined;
  if (opts.redactKeys !== undefined && !hintsCoverWords(redactKeyWords(opts.redactKeys))) return undefined;
  return events;
}

/** What pruned events (read/secretHint.ts pruneForSecrets) give, per walking redactor (they repeat). */
const prunedCache = new WeakMap<Redactor, Map<string, readonly string[]>>();

/** Add the secrets of a pruned event (its JSON) to `out`: eventSecrets over it, remembered. */
function prunedSecrets(text: string, red: Redactor, out: Set<string>): void {
  let byText = prunedCache.get(red);
  if (!byText) prunedCache.set(red, (byText = new Map()));
  let found = byText.get(text);
  if (found === undefined) {
    const set = new Set<string>();
    let e: unknown;
    try {
      e = JSON.parse(text);
    } catch {
      e = undefined;
    }
    if (e !== null && typeof e === 'object') eventSecrets(e as TraceEvent, red, set);
    found = [...set];
    if (byText.size >= 4096) byText.clear();
    byText.set(text, found);
  }
  for (const x of found) {
    if (out.size >= MAX_SECRETS) break;
    out.add(x);
  }
}

/** The secrets of `run` under `opts` (cached; only events added since the last call are walked). */
function secretsOf(run: Run, opts: RedactOptions, key: string): RunSecrets {
  let byOpts = cache.get(run);
  if (!byOpts) cache.set(run, (byOpts = new Map()));
  let rs = byOpts.get(key);
  const events = run.events;
  const n = events.length;
  if (rs && rs.walked === n) return rs;
  const base = baseFor(opts, key);
  if (!rs || n < rs.walked) {
    // New, or the run's events were released/replaced: walk from the start (keep what was found).
    rs = { walked: 0, secrets: rs?.secrets ?? new Set(), red: base };
    if (byOpts.size >= 4) byOpts.clear();
    byOpts.set(key, rs);
  }
  const hinted = hintsOf(events, opts);
  let skipped = false;
  const secrets = rs.secrets;
  if (hinted) {
    // By the records' hints: an event decoded only when it may hold a secret, each pruned text once.
    if (secrets.size < MAX_SECRETS) {
      skipped = hinted.secretWalk(
        rs.walked,
        n,
        (i) => {
          const e = events.at(i);
          if (e) eventSecrets(e, base, secrets);
          return secrets.size < MAX_SECRETS;
        },
        (t) => {
          prunedSecrets(t, base, secrets);
          return secrets.size < MAX_SECRETS;
        },
      );
    }
  } else {
    for (let i = rs.walked; i < n && secrets.size < MAX_SECRETS; i++) {
      const e = events.at(i);
      if (e) eventSecrets(e, base, secrets);
    }
  }
  // A record not decoded: its event would carry the run's id (indexed events are given it when read).
  if (skipped) scan(run.id, base, rs.secrets);
  rs.walked = n;
  rs.red = rs.secrets.size ? new Redactor({ ...pickOptions(opts), knownSecrets: rs.secrets }) : base;
  return rs;
}

/**
 * A redactor for everything that leaves Flowlens about `run`: the key/value/shape rules of
 * `opts` plus every value that was redacted anywhere in the run (and `opts.knownSecrets`).
 */
export function runRedactor(run: Run, opts: RedactOptions = {}): Redactor {
  const key = optionsKey(opts);
  const rs = secretsOf(run, opts, key);
  if (opts.knownSecrets === undefined) return rs.red;
  const all = new Set(rs.secrets);
  for (const s of opts.knownSecrets) if (typeof s === 'string') addSecret(s, all);
  return new Redactor({ ...pickOptions(opts), knownSecrets: all });
}

/** {@link runRedactor} over several runs (a diff, a rollup across runs, the dashboard, the CLI). */
export function runsRedactor(runs: readonly Run[], opts: RedactOptions = {}): Redactor {
  if (runs.length === 1) return runRedactor(runs[0], opts);
  const key = optionsKey(opts);
  const all = new Set<string>();
  if (opts.knownSecrets !== undefined) for (const s of opts.knownSecrets) if (typeof s === 'string') addSecret(s, all);
  for (const run of runs) {
    for (const s of secretsOf(run, opts, key).secrets) {
      if (all.size >= MAX_SECRETS) break;
      all.add(s);
    }
  }
  return all.size ? new Redactor({ ...pickOptions(opts), knownSecrets: all }) : baseFor(opts, key);
}
