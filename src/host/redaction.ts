/**
 * The redactors the editor surfaces use (tree labels and tooltips, diagnostics, decorations,
 * CodeLens, notifications, chat, LM tools): always the run-scoped one of
 * src/core/render/egress/secrets.ts with the folder's own ra.yaml `privacy` keys and payload limit, so
 * a value redacted under a key anywhere in a run is scrubbed from every other string of it.
 */
import type { Catalog } from '../core/read/catalog';
import { Redactor, stripControl, type RedactOptions } from '../core/render/egress/redact';
import { runRedactor } from '../core/render/egress/secrets';
import type { Run } from '../core/model/types';

/** ra.yaml `privacy.redact_keys` / `payload_limit` of a folder (defaults without a catalog). */
export function redactOptions(catalog: Catalog | undefined): RedactOptions {
  const keys = catalog?.ra.redactKeys;
  const limit = catalog?.ra.payloadLimit;
  return {
    redactKeys: Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : undefined,
    payloadLimit: typeof limit === 'number' && Number.isFinite(limit) ? limit : undefined,
  };
}

const plain = new Map<string, Redactor>();

/** The redactor for text about `run` (run-scoped), or about the folder when there is no run. */
export function redactorFor(catalog: Catalog | undefined, run?: Run): Redactor {
  const opts = redactOptions(catalog);
  if (run) return runRedactor(run, opts);
  const key = JSON.stringify(opts);
  let red = plain.get(key);
  if (!red) {
    if (plain.size > 32) plain.clear();
    plain.set(key, (red = new Redactor(opts)));
  }
  return red;
}

/**
 * One redactor over several runs (a rollup, a fold of failures from many runs, the CodeLens of a
 * file): every run's own secrets (from the cached per-run redactors) plus the keys of every
 * catalog given.
 */
export function redactorForRuns(catalogs: ReadonlyArray<Catalog | undefined>, runs: readonly Run[]): Redactor {
  const keys = new Set<string>();
  let limit: number | undefined;
  for (const c of catalogs) {
    const o = redactOptions(c);
    for (const k of o.redactKeys ?? []) keys.add(k);
    if (o.payloadLimit !== undefined) limit = limit === undefined ? o.payloadLimit : Math.min(limit, o.payloadLimit);
  }
  const opts: RedactOptions = { redactKeys: [...keys], payloadLimit: limit };
  const secrets = new Set<string>();
  for (const run of runs) for (const s of runRedactor(run, opts).options.knownSecrets ?? []) secrets.add(s);
  return new Redactor(secrets.size ? { ...opts, knownSecrets: secrets } : opts);
}

/**
 * "No redaction" for `flowlens.tooltips.showRawEvidence`: strings are only stripped of control,
 * bidi and invisible characters (the surface still escapes them), values pass unchanged (the
 * tooltip's bounded JSON printer limits them).
 */
export class RawText extends Redactor {
  constructor() {
    super({ payloadLimit: 0 });
  }
  override scrub(s: string): string {
    return s;
  }
  override identifier(raw: string): string {
    return typeof raw === 'string' ? stripControl(raw) : raw;
  }
  override string(raw: string): string {
    return stripControl(raw);
  }
  override value(v: unknown): unknown {
    return v;
  }
}

/** The shared {@link RawText} instance. */
export const RAW_TEXT: Redactor = new RawText();
