/**
 * Run-scoped redaction: a value redacted under a key anywhere in a run (`"password": "hunter22"`
 * in one event's evidence) is a secret everywhere in that run's output — in a reason, a step, an
 * exception message, a correlation value, a metric name, a sibling field or a key name.
 *
 * {@link runRedactor} walks the run's events once (depth-limited, iterative), collects every
 * string value found under a sensitive key, and returns a {@link Redactor} that scrubs those
 * literals from every string as well. The result is cached per run and redaction options and
 * rebuilt when the run gained events.
 */
import type { Run, TraceEvent } from '../model';
import { Redactor, type RedactOptions } from './redact';

/** How deep the secret walk descends into one event's values. */
const MAX_DEPTH = 64;
/** At most this many distinct secrets per run (beyond it, the key rules still apply). */
const MAX_SECRETS = 5000;

function optionsKey(o: RedactOptions): string {
  return JSON.stringify([o.redactKeys ?? [], o.payloadLimit ?? null, o.allowRawPayloads ?? false, o.maxDepth ?? null, o.maxItems ?? null]);
}

/** Add every string (and number) value found under a sensitive key in `root` to `out`. */
export function collectSecrets(root: unknown, red: Redactor, out: Set<string>): void {
  // Iterative walk: [value, depth, underSensitiveKey]
  const stack: Array<[unknown, number, boolean]> = [[root, 0, false]];
  const seen = new Set<object>();
  while (stack.length && out.size < MAX_SECRETS) {
    const [v, depth, sensitive] = stack.pop()!;
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') {
      if (sensitive) addSecret(v, out);
      continue;
    }
    if (typeof v === 'number' || typeof v === 'bigint') {
      if (sensitive) addSecret(String(v), out);
      continue;
    }
    if (typeof v !== 'object' || depth >= MAX_DEPTH || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) stack.push([x, depth + 1, sensitive]);
      continue;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) stack.push([x, depth + 1, sensitive || (typeof k === 'string' && red.isSensitiveKey(k))]);
      continue;
    }
    for (const k of Object.keys(v)) stack.push([(v as Record<string, unknown>)[k], depth + 1, sensitive || red.isSensitiveKey(k)]);
  }
}

function addSecret(v: string, out: Set<string>): void {
  const t = v.trim();
  if (t.length < 4 || t === '[REDACTED]') return;
  out.add(t);
  // A secret written with surrounding quotes or a scheme (`Bearer x`) also appears bare.
  const m = /^(?:Bearer|Basic|Token)\s+(\S{4,})$/i.exec(t);
  if (m) out.add(m[1]);
}

/** The secrets of one event: values under sensitive keys in every field that holds structure. */
export function eventSecrets(e: TraceEvent, red: Redactor, out: Set<string>): void {
  collectSecrets(e.evidence, red, out);
  collectSecrets(e.data, red, out);
  collectSecrets(e.correlation, red, out);
  collectSecrets(e.extra, red, out);
  if (e.metric && red.isSensitiveKey(e.metric.name) && (typeof e.metric.value === "string" || typeof e.metric.value === "number")) addSecret(String(e.metric.value), out);
}

interface Cached {
  key: string;
  events: number;
  red: Redactor;
}
const cache = new WeakMap<Run, Cached>();

/**
 * A redactor for everything that leaves Flowlens about `run`: the key/value/shape rules of
 * `opts` plus every value that was redacted under a key anywhere in the run.
 */
export function runRedactor(run: Run, opts: RedactOptions = {}): Redactor {
  return runsRedactor([run], opts);
}

/** {@link runRedactor} over several runs (a diff, a rollup across runs, the dashboard). */
export function runsRedactor(runs: readonly Run[], opts: RedactOptions = {}): Redactor {
  const key = optionsKey(opts);
  if (runs.length === 1) {
    const c = cache.get(runs[0]);
    if (c && c.key === key && c.events === runs[0].events.length) return c.red;
  }
  const base = new Redactor(opts);
  const secrets = new Set<string>(opts.knownSecrets ?? []);
  for (const run of runs) {
    for (const e of run.events) {
      eventSecrets(e, base, secrets);
      if (secrets.size >= MAX_SECRETS) break;
    }
  }
  const red = secrets.size ? new Redactor({ ...opts, knownSecrets: secrets }) : base;
  if (runs.length === 1) cache.set(runs[0], { key, events: runs[0].events.length, red });
  return red;
}
