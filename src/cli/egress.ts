/**
 * The CLI's one way out (docs/security.md, surface "terminal" and "JSON"): every document a
 * command prints — `--json` or the rows its human output is drawn from — passes through
 * {@link scrubDoc} with the command's redactor, and every human-output cell through
 * {@link termText} (egress/surfaces.ts `forTerminal`). `--no-redact` passes `undefined`: values
 * stay as written, control characters are still never printed raw.
 *
 * Which redactor: for anything derived from runs, a run-scoped one (egress/secrets.ts
 * `runsRedactor` over every run loaded, with ra.yaml `privacy`), so a value redacted under a key
 * anywhere is scrubbed from every string; for store output (no run), the default + ra.yaml rules
 * made store-scoped by {@link storeScoped} (a value redacted in one row is scrubbed from every
 * string of that store's report).
 */
import { REDACTED, Redactor, stripControl } from '../core/render/egress/redact';
import { collectSecrets } from '../core/render/egress/secrets';
import { forTerminal } from '../core/render/egress/surfaces';
import { esc } from './output';

/** Deeper than this a document holds nothing the CLI prints (evidence is already depth-limited). */
const MAX_DEPTH = 64;

/**
 * A copy of a computed document (rows, rollups, problems) with every string and every object key
 * scrubbed by `red.identifier` (credential shapes, `key=value` pairs, values redacted elsewhere in
 * the run), and every string or structure under a sensitive key replaced by `[REDACTED]`. Numbers
 * and booleans under a sensitive key are kept: in a computed document they are counts and flags
 * (`by_failure_class: {"AUTH.DENIED": 3}`), never a credential (raw payloads such as evidence are
 * redacted with `Redactor.value` before they are put in a document). Maps become null-prototype
 * objects; depth is bounded. `red` undefined (`--no-redact`): returned as is.
 */
export function scrubDoc<T>(v: T, red: Redactor | undefined): T {
  if (!red) return v;
  const walk = (x: unknown, depth: number): unknown => {
    if (typeof x === 'string') return red.identifier(x);
    if (x === null || typeof x !== 'object') return x;
    if (depth >= MAX_DEPTH) return '[depth limit]';
    if (Array.isArray(x)) return x.map((y) => walk(y, depth + 1));
    const entries: [unknown, unknown][] = x instanceof Map ? [...x] : Object.keys(x).map((k) => [k, (x as Record<string, unknown>)[k]]);
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, y] of entries) {
      const key = red.identifier(String(k));
      const hide = red.isSensitiveKey(String(k)) && (typeof y === 'string' || (y !== null && typeof y === 'object'));
      out[key] = hide ? REDACTED : walk(y, depth + 1);
    }
    return out;
  };
  return walk(v, 0) as T;
}

/**
 * One human-output cell or line fragment: `forTerminal` (redacted, control/escape characters
 * stripped, one line) — or, for `--no-redact`, the text as written with control characters shown
 * escaped (`\e[31m`), never raw.
 */
export function termText(v: unknown, red: Redactor | undefined): string {
  if (!red) return esc(v);
  // Whitespace is collapsed BEFORE redaction: a secret `a b` must not print from a reason `a\nb`
  // (the document was already scrubbed with the text as written, for a secret `a\nb`).
  return forTerminal(stripControl(plain(v)).replace(/\s+/g, ' '), red);
}

function plain(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/**
 * A Mermaid label (export): redacted as an identifier (unless `--no-redact`) and stripped of
 * control, bidi and zero-width characters either way — export.ts would keep them as entities.
 */
export function mermaidLabel(t: string, red: Redactor | undefined): string {
  return stripControl(red ? red.identifier(stripControl(t)) : t).replace(/\s+/g, ' ');
}

/**
 * A store-scoped redactor (red-team r10): `red` plus every value a key or a pattern would redact
 * anywhere in `report` (a store report as read: rollups, recent rows with their payloads, events,
 * tables), so a `password` in one Pulse row's payload is scrubbed where it is printed as another
 * row's phase name. Only what the report holds is seen: rows the reader did not return (older
 * than its `recent` window) cannot lend their values.
 */
export function storeScoped(report: unknown, red: Redactor): Redactor {
  const found = new Set<string>(red.options.knownSecrets ?? []);
  const before = found.size;
  collectSecrets(report, red, found);
  return found.size === before ? red : new Redactor({ ...red.options, knownSecrets: found });
}
