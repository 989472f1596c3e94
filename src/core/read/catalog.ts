/**
 * The flow catalog: `ra.yaml` (flowscribe runtime config) and `flows.yaml` (declared flows),
 * formats.md §1c. Every problem is located (`file`, 1-based `line`/`col`) at the YAML node it
 * concerns; a missing file means defaults; a broken file never throws.
 *
 * Environment overrides (applied after the file, pass `process.env` in — this module reads no
 * globals):
 * - `RA_ENABLED` — `1|true|yes|on` / `0|false|no|off`
 * - `RA_PROFILE` — name of the active profile
 * - `RA_ASK_MD` — `always|on_failure|never`
 * - `RA_PAYLOAD_LIMIT` — non-negative integer (characters)
 * - `RA_TRACE_TAIL_EVENTS` — non-negative integer
 * - `RA_REDACT_KEYS` — comma-separated list, replaces `privacy.redact_keys`
 * - `RA_ALLOW_RAW_PAYLOADS` — boolean as for `RA_ENABLED`
 * - `RA_MIN_SEVERITY` — replaces `filters.min_severity`
 * A bad value is ignored and reported as a warning with `file: "env:RA_…"`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Yaml from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import { FAILURE_DOMAINS, type Run, type Severity } from '../model/types';
import { readText } from './ingress/safeFile';
import { record } from '../model/bounded';
import { forEachFlow } from '../model/flowFacts';
// The one severity reader: ra.yaml reads severities as trace events do.
import { parseSeverity } from './sources/normalize';

/**
 * `yaml`, loaded on the first config read: a workspace without ra.yaml or flows.yaml (and a CLI
 * command on a trace file) does not initialise it (~9 ms of a cold start otherwise).
 */
let yamlModule: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (see above); bundled by esbuild.
  return (yamlModule ??= require('yaml') as typeof Yaml);
}
const isAlias: typeof Yaml.isAlias = (n): n is Yaml.Alias => yaml().isAlias(n);
const isMap: typeof Yaml.isMap = <K, V>(n: unknown): n is Yaml.YAMLMap<K, V> => yaml().isMap<K, V>(n);
const isScalar: typeof Yaml.isScalar = <T>(n: unknown): n is Yaml.Scalar<T> => yaml().isScalar<T>(n);
const isSeq: typeof Yaml.isSeq = <T>(n: unknown): n is Yaml.YAMLSeq<T> => yaml().isSeq<T>(n);

/** A located problem in a config file. `line`/`col` are 1-based. */
export interface Problem {
  file: string;
  line?: number;
  col?: number;
  message: string;
  severity: 'error' | 'warning' | 'info';
}

/** A place in a YAML file (1-based line and column). */
export interface YamlLoc {
  file: string;
  line: number;
  col: number;
}

export type AskMdMode = 'always' | 'on_failure' | 'never';

/**
 * A flow/tag/severity filter: a `profiles.<name>` entry or the top-level `filters`. Read and
 * validated (located problems) because it configures the producer — what flowscribe writes —
 * not what Flowlens shows: Flowlens never filters traces by it (docs/decisions.md, issue 14).
 */
export interface FlowProfile {
  name: string;
  /** Globs (picomatch); empty = every flow. */
  includeFlows: string[];
  excludeFlows: string[];
  /** Empty = every tag. */
  includeTags: string[];
  excludeTags: string[];
  minSeverity?: Severity;
  loc?: YamlLoc;
}

/** `ra.yaml` with defaults applied. */
export interface RaConfig {
  /** The file read, when there was one. */
  file?: string;
  version?: number;
  enabled: boolean;
  /** Name of the active profile (`profile`, or `RA_PROFILE`). */
  profile?: string;
  profiles: Record<string, FlowProfile>;
  sinks: Record<string, unknown>[];
  summaryMd: boolean;
  askMd: AskMdMode;
  perRunDirs: boolean;
  traceTailEvents: number;
  redactKeys: string[];
  payloadLimit: number;
  allowRawPayloads: boolean;
  filters: FlowProfile;
  /** Strictly ascending upper bounds, ms. */
  latencyBucketsMs: number[];
  /** `performance.sla_overrides[flow].p95_ms`. */
  slaOverrides: Record<string, number>;
  slaOverrideLocs: Record<string, YamlLoc>;
  rotateTrace: boolean;
  maxTraceBytes?: number;
  keepRuns?: number;
}

/** One `flows.yaml` entry with `defaults` applied (a flow's own value replaces the default). */
export interface FlowSpec {
  id: string;
  enabled: boolean;
  description?: string;
  parent?: string;
  criteria: string[];
  failureClasses: string[];
  correlationKeys: string[];
  slaP95Ms?: number;
  /** Paths relative to the workspace root. */
  codeRefs: string[];
  /** Where each `code_refs` entry is written, parallel to `codeRefs`. */
  codeRefLocs: YamlLoc[];
  tags: string[];
  onFailure?: string;
  /** Where the flow's `id` is written (the list item when `id` is missing). */
  loc: YamlLoc;
}

/** `flows.yaml` parsed. */
export interface FlowsFile {
  file?: string;
  version?: number;
  flows: FlowSpec[];
  /** Location of the `flows:` key (or the top of the file), for catalog-wide problems. */
  loc?: YamlLoc;
}

/** Both files plus every problem found reading them. */
export interface Catalog {
  root: string;
  ra: RaConfig;
  flows: FlowSpec[];
  flowsById: Map<string, FlowSpec>;
  flowsFile?: string;
  flowsLoc?: YamlLoc;
  problems: Problem[];
}

/** ra.yaml defaults (formats.md §1c), defined once: `privacy.redact_keys` (egress/redact.ts uses them too). */
export const DEFAULT_REDACT_KEYS: readonly string[] = ['api_key', 'token', 'password', 'secret', 'auth', 'cookie'];
export const DEFAULT_LATENCY_BUCKETS_MS: readonly number[] = [50, 100, 250, 500, 1000, 2500, 5000];
export const DEFAULT_TRACE_TAIL_EVENTS = 50;
/** ra.yaml has no documented default for `payload_limit`; 512 characters is flowscribe's. */
export const DEFAULT_PAYLOAD_LIMIT = 512;

function emptyProfile(name: string): FlowProfile {
  return { name, includeFlows: [], excludeFlows: [], includeTags: [], excludeTags: [] };
}

/** `ra.yaml` defaults (also the result for a missing file). */
export function defaultRa(): RaConfig {
  return {
    enabled: true,
    // Null-prototype: profile and flow names are YAML data (`__proto__`, `constructor`).
    profiles: record(),
    sinks: [],
    summaryMd: true,
    askMd: 'on_failure',
    perRunDirs: true,
    traceTailEvents: DEFAULT_TRACE_TAIL_EVENTS,
    redactKeys: [...DEFAULT_REDACT_KEYS],
    payloadLimit: DEFAULT_PAYLOAD_LIMIT,
    allowRawPayloads: false,
    filters: emptyProfile('filters'),
    latencyBucketsMs: [...DEFAULT_LATENCY_BUCKETS_MS],
    slaOverrides: record(),
    slaOverrideLocs: record(),
    rotateTrace: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Located YAML reading

/** A mapping entry; `others` are earlier entries with the same key (a duplicate key, reported). */
type Entry = { key: Node; value: Node | null; others?: Entry[] };

/**
 * Budgets for a YAML config, checked on the raw text *before* `parseDocument` (docs/security.md,
 * "YAML under a budget"). The yaml library's parse time and memory grow with nesting and node
 * count (1 MB of `[` took 17 s / 1 GB; 80,000 `k: v` lines over 60 s), so a file over any of these
 * is refused with a located problem and not parsed. Hand-written configs are a few KB.
 */
export const YAML_LIMITS = {
  /** Characters (the ingress cap for configs is 4 MB; a catalog file is refused above this). */
  maxChars: 1024 * 1024,
  /** Nesting of block and flow collections together. */
  maxDepth: 64,
  /** Estimated nodes: lines, flow collections and entries, `-`/`?` items, quoted scalars, tags, anchors and aliases. */
  maxNodes: 10_000,
  /** Node visits of any walk that follows aliases (an alias bomb expands to 10^9 nodes). */
  maxVisits: 10_000,
} as const;

/**
 * A linear pre-scan of YAML text: the offset and reason where a {@link YAML_LIMITS} budget is
 * crossed, else undefined. Approximate by design (quotes, comments and block scalars are skipped;
 * a `[`/`{` opens a flow collection inside one or at the start of a token) and never slower than
 * one pass over the text.
 */
export function prescanYaml(text: string, limits: { maxChars: number; maxDepth: number; maxNodes: number } = YAML_LIMITS): { offset: number; message: string } | undefined {
  if (text.length > limits.maxChars) {
    return { offset: limits.maxChars, message: `${text.length} characters is over the ${limits.maxChars} limit for a Flowlens config; not read` };
  }
  const n = text.length;
  const block: number[] = [];
  let flow = 0;
  let nodes = 0;
  let i = 0;
  let scalarParent = -1; // > -1: inside a block scalar whose parent line is indented this much
  const tooDeep = (at: number): { offset: number; message: string } => ({ offset: at, message: `nesting deeper than ${limits.maxDepth} levels; not read` });
  const tooMany = (at: number): { offset: number; message: string } => ({ offset: at, message: `more than ${limits.maxNodes} lines or YAML nodes; not read` });
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n) {
    // Start of a line.
    let j = i;
    while (j < n && (text[j] === ' ' || (flow > 0 && text[j] === '\t'))) j++;
    const indent = j - i;
    const lineEnd = text.indexOf('\n', j) < 0 ? n : text.indexOf('\n', j);
    const blank = j >= lineEnd || text[j] === '\r' || text[j] === '#';
    // Every line counts (1 MB of blank lines took 2.4 s to parse).
    if (++nodes > limits.maxNodes) return tooMany(j);
    if (scalarParent >= 0) {
      if (blank || indent > scalarParent) {
        i = lineEnd + 1;
        continue;
      }
      scalarParent = -1;
    }
    if (blank && flow === 0) {
      i = lineEnd + 1;
      continue;
    }
    if (flow === 0) {
      while (block.length && block[block.length - 1] >= indent) block.pop();
      block.push(indent);
      while ((text[j] === '-' || text[j] === '?') && (j + 1 >= n || isSpace(text[j + 1]))) {
        j++;
        while (text[j] === ' ') j++;
        if (++nodes > limits.maxNodes) return tooMany(j);
        block.push(j - i);
      }
      if (block.length > limits.maxDepth) return tooDeep(j);
    }
    // The rest of the line (a flow collection or a quoted scalar may continue on later lines).
    let tokenStart = true;
    while (j < n && text[j] !== '\n') {
      const c = text[j];
      if (c === '#' && (j === i || isSpace(text[j - 1]))) {
        j = text.indexOf('\n', j) < 0 ? n : text.indexOf('\n', j);
        break;
      }
      if ((c === '"' || c === "'") && tokenStart) {
        if (++nodes > limits.maxNodes) return tooMany(j);
        for (j++; j < n; j++) {
          if (text[j] === '\n' && ++nodes > limits.maxNodes) return tooMany(j);
          if (c === '"' && text[j] === '\\') j++;
          else if (text[j] === c) {
            if (c === "'" && text[j + 1] === "'") j++;
            else break;
          }
        }
        j++;
        tokenStart = false;
        continue;
      }
      if ((c === '[' || c === '{') && (flow > 0 || tokenStart)) {
        flow++;
        if (++nodes > limits.maxNodes) return tooMany(j);
        if (block.length + flow > limits.maxDepth) return tooDeep(j);
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
      else if (c === ',' && flow > 0) {
        if (++nodes > limits.maxNodes) return tooMany(j);
      } else if ((c === '*' || c === '&' || c === '!') && tokenStart) {
        if (++nodes > limits.maxNodes) return tooMany(j);
      } else if ((c === '|' || c === '>') && tokenStart && flow === 0) {
        let k = j + 1;
        while (k < n && /[0-9+-]/.test(text[k])) k++;
        if (k >= n || isSpace(text[k])) scalarParent = indent;
      }
      tokenStart = isSpace(c) || (flow > 0 && (c === '[' || c === '{' || c === ',' || c === ':'));
      j++;
    }
    i = j + 1;
  }
  return undefined;
}

/**
 * Words of every `redact_keys` written in raw YAML text (the value on its line and the lines
 * indented under it): what a config meant when it cannot be parsed or was refused. Linear, bounded.
 */
export function salvageRedactKeysText(text: string, maxWords = 1000): string[] {
  const out: string[] = [];
  for (let at = text.indexOf('redact_keys'); at >= 0 && out.length < maxWords; at = text.indexOf('redact_keys', at + 1)) {
    const lineStart = text.lastIndexOf('\n', at) + 1;
    // Columns of leading white space, a tab counting as 8 (tab indentation is what broke the file).
    const width = (ws: string): number => [...ws].reduce((w, ch) => w + (ch === '\t' ? 8 : 1), 0);
    const indent = width(/^[ \t-]*/.exec(text.slice(lineStart, at))?.[0] ?? '');
    let end = text.indexOf('\n', at);
    let chunk = text.slice(at + 'redact_keys'.length, end < 0 ? text.length : end);
    // Lines indented under it (a block list), at most 64 KB of them.
    while (end >= 0 && end - at < 65536) {
      const next = text.indexOf('\n', end + 1);
      const line = text.slice(end + 1, next < 0 ? text.length : next);
      const ind = width(/^[ \t]*/.exec(line)?.[0] ?? '');
      if (line.trim() !== '' && (ind < indent || (ind === indent && !/^[ \t]*-/.test(line)))) break;
      chunk += '\n' + line;
      end = next;
    }
    for (const w of chunk.split(/[\s,;[\]{}'"]+/)) {
      const word = w.replace(/^[:\-*&!#]+/, '').replace(/:+$/, '');
      if (word && word !== 'redact_keys' && out.length < maxWords) out.push(word);
    }
  }
  return out;
}

/** Problems listed per config file (a generated file can have one per line; VS Code lists each). */
export const MAX_PROBLEMS = 500;

class Reader {
  readonly problems: Problem[] = [];
  readonly lc: Yaml.LineCounter = new (yaml().LineCounter)();
  /** True when the text was refused by the pre-scan or had YAML syntax errors. */
  broken = false;
  /** Node visits so far by walks that follow aliases, over the whole file ({@link YAML_LIMITS} `maxVisits`). */
  visits = 0;
  private doc: Document | undefined;
  private aliases: Map<Node, Node> | undefined;
  constructor(readonly file: string) {}

  /**
   * The node an alias points at (undefined when it does not resolve); any other node as it is.
   * Resolved from an index built once per document (the library's `Alias.resolve(doc)` walks the
   * whole document per call: quadratic over many aliases).
   */
  deref(node: Node | null): Node | null | undefined {
    if (!node || !isAlias(node)) return node;
    if (!this.aliases) this.aliases = this.indexAliases();
    return this.aliases.get(node);
  }

  /** Alias → anchored node, in document order (the last anchor of that name before the alias). */
  private indexAliases(): Map<Node, Node> {
    const out = new Map<Node, Node>();
    const anchors = new Map<string, Node>();
    const stack: unknown[] = [this.doc?.contents];
    // Bounded by the document itself (no alias is followed); depth is bounded by the pre-scan.
    while (stack.length) {
      const n = stack.pop();
      if (!n || typeof n !== 'object') continue;
      if (isAlias(n)) {
        const t = anchors.get(n.source);
        if (t) out.set(n, t);
        continue;
      }
      const anchor = (n as { anchor?: string }).anchor;
      if (anchor) anchors.set(anchor, n as Node);
      if (isSeq(n)) for (let k = n.items.length - 1; k >= 0; k--) stack.push(n.items[k]);
      else if (isMap(n)) {
        for (let k = n.items.length - 1; k >= 0; k--) {
          const pair = n.items[k] as Pair<unknown, unknown>;
          stack.push(pair.value, pair.key);
        }
      }
    }
    return out;
  }

  /** A node as plain data, aliases expanded under the library's `maxAliasCount`; undefined when over. */
  toJS(node: Node): unknown {
    try {
      return this.doc ? node.toJS(this.doc, { maxAliasCount: 100 }) : undefined;
    } catch {
      return undefined;
    }
  }

  loc(node: Node | null | undefined, fallback?: Node | null): YamlLoc {
    const n = node?.range ? node : fallback?.range ? fallback : undefined;
    const p = n?.range ? this.lc.linePos(n.range[0]) : { line: 1, col: 1 };
    return { file: this.file, line: p.line, col: p.col };
  }

  report(severity: Problem['severity'], node: Node | null | undefined, message: string, fallback?: Node | null): void {
    if (this.problems.length > MAX_PROBLEMS) return;
    const l = this.loc(node, fallback);
    this.push({ file: this.file, line: l.line, col: l.col, message, severity });
  }

  /** Add a problem; past {@link MAX_PROBLEMS} one last "not listed" problem, then nothing. */
  private push(p: Problem): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(p);
    else if (this.problems.length === MAX_PROBLEMS) {
      this.problems.push({ ...p, severity: 'warning', message: `more than ${MAX_PROBLEMS} problems in this file; the rest are not listed` });
    }
  }

  /** Problems in file order (stable). */
  sorted(): Problem[] {
    return this.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  }

  /**
   * Pre-scan ({@link prescanYaml}), then parse; syntax errors and warnings become located
   * problems. Returns the root node (null when refused or empty).
   */
  parse(text: string): Node | null {
    const over = prescanYaml(text);
    if (over) {
      this.broken = true;
      const before = text.slice(0, over.offset);
      const line = (before.match(/\n/g)?.length ?? 0) + 1;
      const col = over.offset - (before.lastIndexOf('\n') + 1) + 1;
      this.problems.push({ file: this.file, line, col, message: over.message, severity: 'error' });
      return null;
    }
    let doc;
    try {
      // uniqueKeys: false — the library's duplicate check is quadratic per mapping; map() reports duplicates.
      // prettyErrors: false — its context snippets cost a third of the parse on a file of warnings; lines come from the LineCounter.
      doc = yaml().parseDocument(text, { lineCounter: this.lc, prettyErrors: false, uniqueKeys: false });
      this.doc = doc;
    } catch (e) {
      this.broken = true;
      this.problems.push({ file: this.file, line: 1, col: 1, message: `cannot parse YAML: ${String(e)}`, severity: 'error' });
      return null;
    }
    if (doc.errors.length) this.broken = true;
    for (const [list, severity] of [
      [doc.errors, 'error'],
      [doc.warnings, 'warning'],
    ] as const) {
      for (const err of list) {
        const p = err.linePos?.[0] ?? this.lc.linePos(err.pos[0]);
        const message = err.message.split('\n', 1)[0].replace(/ at line \d+, column \d+:?$/, '');
        this.push({ file: this.file, line: p.line, col: p.col, message: `YAML: ${message}`, severity });
      }
    }
    return (doc.contents as Node | null) ?? null;
  }

  /** Entries of a mapping by key; a non-mapping is a type error. */
  map(node: Node | null, where: string, known: readonly string[] | undefined, at?: Node): Map<string, Entry> | undefined {
    if (node === null || (isScalar(node) && node.value === null)) return undefined;
    if (!isMap(node)) {
      this.report('error', node, `${where} must be a mapping`, at);
      return undefined;
    }
    const out = new Map<string, Entry>();
    for (const item of node.items as Pair<Node, Node | null>[]) {
      const key = item.key;
      const name = isScalar(key) ? String(key.value) : undefined;
      if (name === undefined) {
        this.report('error', key, `${where}: keys must be plain strings`);
        continue;
      }
      if (name === '<<') this.report('error', key, `${where}: YAML merge keys (<<) are not supported; write the keys out`);
      else if (known && !known.includes(name)) this.report('warning', key, `${where}: unknown key "${name}"`);
      const prev = out.get(name);
      const entry: Entry = { key, value: item.value ?? null };
      if (prev) {
        this.report('error', key, `${where}: duplicate key "${name}" (first at line ${this.loc(prev.others?.[0]?.key ?? prev.key).line}); the last one is used`);
        // One shared list (copying it per duplicate is quadratic over a file of 10,000 `<<:` lines).
        entry.others = prev.others ?? [];
        entry.others.push({ key: prev.key, value: prev.value });
      }
      out.set(name, entry);
    }
    return out;
  }

  private scalar(e: Entry): unknown {
    return e.value && isScalar(e.value) ? e.value.value : e.value === null ? null : undefined;
  }

  bool(e: Entry | undefined, where: string): boolean | undefined {
    if (!e) return undefined;
    const v = this.scalar(e);
    if (typeof v === 'boolean') return v;
    const hint = typeof v === 'string' && /^(yes|no|on|off)$/i.test(v) ? ' (YAML 1.2: yes/no/on/off are strings)' : '';
    this.report('error', e.value, `${where} must be true or false${hint}`, e.key);
    return undefined;
  }

  num(e: Entry | undefined, where: string, opts: { int?: boolean; min?: number } = {}): number | undefined {
    if (!e) return undefined;
    const v = this.scalar(e);
    const ok = typeof v === 'number' && Number.isFinite(v) && (!opts.int || Number.isInteger(v)) && (opts.min === undefined || v >= opts.min);
    if (ok) return v;
    const what = opts.int ? 'an integer' : 'a number';
    this.report('error', e.value, `${where} must be ${what}${opts.min !== undefined ? ` >= ${opts.min}` : ''}`, e.key);
    return undefined;
  }

  str(e: Entry | undefined, where: string): string | undefined {
    if (!e) return undefined;
    const v = this.scalar(e);
    if (typeof v === 'string') return v;
    this.report('error', e.value, `${where} must be a string`, e.key);
    return undefined;
  }

  /** A list of strings (a single string is accepted as a one-element list). */
  strList(e: Entry | undefined, where: string): { values: string[]; nodes: Node[] } | undefined {
    if (!e) return undefined;
    if (e.value && isScalar(e.value) && typeof e.value.value === 'string') return { values: [e.value.value], nodes: [e.value] };
    if (!e.value || !isSeq(e.value)) {
      if (e.value === null || (isScalar(e.value) && e.value.value === null)) return { values: [], nodes: [] };
      this.report('error', e.value, `${where} must be a list of strings`, e.key);
      return undefined;
    }
    const values: string[] = [];
    const nodes: Node[] = [];
    for (const item of e.value.items as (Node | null)[]) {
      if (item && isScalar(item) && typeof item.value === 'string') {
        values.push(item.value);
        nodes.push(item);
      } else {
        this.report('error', item, `${where}: every entry must be a string`, e.value);
      }
    }
    return { values, nodes };
  }
}

// ---------------------------------------------------------------------------------------------
// ra.yaml

const RA_KEYS = ['version', 'enabled', 'profile', 'profiles', 'sinks', 'artifacts', 'privacy', 'filters', 'performance', 'retention'] as const;
const PROFILE_KEYS = ['include_flows', 'exclude_flows', 'include_tags', 'exclude_tags', 'min_severity'] as const;
const ARTIFACT_KEYS = ['summary_md', 'ask_md', 'per_run_dirs', 'trace_tail_events'] as const;
const PRIVACY_KEYS = ['redact_keys', 'payload_limit', 'allow_raw_payloads'] as const;
const PERFORMANCE_KEYS = ['latency_buckets_ms', 'sla_overrides'] as const;
const RETENTION_KEYS = ['rotate_trace', 'max_trace_bytes', 'keep_runs'] as const;
const ASK_MD: readonly AskMdMode[] = ['always', 'on_failure', 'never'];

function readProfile(r: Reader, name: string, node: Node | null, where: string, at: Node): FlowProfile {
  const p = emptyProfile(name);
  p.loc = r.loc(at);
  const m = r.map(node, where, PROFILE_KEYS, at);
  if (!m) return p;
  p.includeFlows = r.strList(m.get('include_flows'), `${where}.include_flows`)?.values ?? [];
  p.excludeFlows = r.strList(m.get('exclude_flows'), `${where}.exclude_flows`)?.values ?? [];
  p.includeTags = r.strList(m.get('include_tags'), `${where}.include_tags`)?.values ?? [];
  p.excludeTags = r.strList(m.get('exclude_tags'), `${where}.exclude_tags`)?.values ?? [];
  const sev = m.get('min_severity');
  if (sev) {
    const s = r.str(sev, `${where}.min_severity`);
    if (s !== undefined) {
      p.minSeverity = parseSeverity(s);
      if (!p.minSeverity) r.report('error', sev.value, `${where}.min_severity must be one of debug, info, warning, error, critical`, sev.key);
    }
  }
  return p;
}

/** Parse `ra.yaml` text. Never throws. */
export function parseRa(text: string, file: string): { config: RaConfig; problems: Problem[] } {
  const r = new Reader(file);
  const c = defaultRa();
  c.file = file;
  const top = r.map(r.parse(text), 'ra.yaml', RA_KEYS);
  if (!top) {
    failClosed(r, undefined, text, c);
    return { config: c, problems: r.sorted() };
  }

  c.version = r.num(top.get('version'), 'version', { int: true, min: 1 });
  warnNewer(r, top.get('version'), c.version, 'ra.yaml');
  c.enabled = r.bool(top.get('enabled'), 'enabled') ?? c.enabled;
  c.profile = r.str(top.get('profile'), 'profile');

  const profiles = top.get('profiles');
  if (profiles) {
    const m = r.map(profiles.value, 'profiles', undefined, profiles.key);
    for (const [name, e] of m ?? []) c.profiles[name] = readProfile(r, name, e.value, `profiles.${name}`, e.key);
  }
  if (c.profile !== undefined && !(c.profile in c.profiles)) {
    r.report('warning', top.get('profile')?.value, `profile "${c.profile}" is not defined under profiles`);
  }

  const sinks = top.get('sinks');
  if (sinks?.value) {
    if (!isSeq(sinks.value)) r.report('error', sinks.value, 'sinks must be a list', sinks.key);
    else {
      for (const item of sinks.value.items as (Node | null)[]) {
        const v = item && isMap(item) ? r.toJS(item) : undefined;
        if (v && typeof v === 'object') c.sinks.push(v as Record<string, unknown>);
        else if (item && isMap(item)) r.report('error', item, 'sinks: this entry expands too many YAML aliases; ignored', sinks.value);
        else r.report('error', item, 'sinks: every entry must be a mapping (type: ...)', sinks.value);
      }
    }
  }

  const art = top.get('artifacts');
  const a = art && r.map(art.value, 'artifacts', ARTIFACT_KEYS, art.key);
  if (a) {
    c.summaryMd = r.bool(a.get('summary_md'), 'artifacts.summary_md') ?? c.summaryMd;
    c.perRunDirs = r.bool(a.get('per_run_dirs'), 'artifacts.per_run_dirs') ?? c.perRunDirs;
    c.traceTailEvents = r.num(a.get('trace_tail_events'), 'artifacts.trace_tail_events', { int: true, min: 0 }) ?? c.traceTailEvents;
    const ask = a.get('ask_md');
    const s = r.str(ask, 'artifacts.ask_md');
    if (s !== undefined) {
      if ((ASK_MD as readonly string[]).includes(s)) c.askMd = s as AskMdMode;
      else r.report('error', ask?.value, 'artifacts.ask_md must be always, on_failure or never', ask?.key);
    }
  }

  const priv = top.get('privacy');
  if (priv) readPrivacy(r, priv, c);
  failClosed(r, top, text, c);

  const filters = top.get('filters');
  if (filters) c.filters = readProfile(r, 'filters', filters.value, 'filters', filters.key);

  const perf = top.get('performance');
  const pm = perf && r.map(perf.value, 'performance', PERFORMANCE_KEYS, perf.key);
  if (pm) {
    const b = pm.get('latency_buckets_ms');
    if (b) readBuckets(r, b, c);
    const sla = pm.get('sla_overrides');
    const sm = sla && r.map(sla.value, 'performance.sla_overrides', undefined, sla.key);
    for (const [flow, e] of sm ?? []) {
      const fm = r.map(e.value, `performance.sla_overrides.${flow}`, ['p95_ms'], e.key);
      const v = r.num(fm?.get('p95_ms'), `performance.sla_overrides.${flow}.p95_ms`, { min: 0 });
      if (v !== undefined) {
        c.slaOverrides[flow] = v;
        c.slaOverrideLocs[flow] = r.loc(e.key);
      } else if (fm && !fm.has('p95_ms')) {
        r.report('warning', e.key, `performance.sla_overrides.${flow} has no p95_ms`);
      }
    }
  }

  const ret = top.get('retention');
  const rm = ret && r.map(ret.value, 'retention', RETENTION_KEYS, ret.key);
  if (rm) {
    c.rotateTrace = r.bool(rm.get('rotate_trace'), 'retention.rotate_trace') ?? c.rotateTrace;
    c.maxTraceBytes = r.num(rm.get('max_trace_bytes'), 'retention.max_trace_bytes', { int: true, min: 0 });
    c.keepRuns = r.num(rm.get('keep_runs'), 'retention.keep_runs', { int: true, min: 0 });
  }
  return { config: c, problems: r.sorted() };
}

/**
 * `privacy` fails closed (docs/security.md): an invalid value is a located error and redaction
 * gets *more* keys, never fewer — `redact_keys` that is not a list of strings gives the default
 * keys plus every word that can be salvaged (a string split on commas/whitespace, the string
 * entries of a list or a mapping, the target of a YAML alias when it resolves); an invalid
 * `payload_limit` gives the default; an `allow_raw_payloads` that is not a boolean gives false.
 * Aliases are resolved for the other two (YAML allows them), and reported for `redact_keys`,
 * which must be readable as written.
 */
function readPrivacy(r: Reader, priv: Entry, c: RaConfig): void {
  const p = r.map(r.deref(priv.value) ?? priv.value, 'privacy', PRIVACY_KEYS, priv.key);
  if (!p) return;
  const keys = p.get('redact_keys');
  if (keys) c.redactKeys = readRedactKeys(r, keys);
  const deref = (e: Entry | undefined): Entry | undefined => (e && e.value && isAlias(e.value) ? { key: e.key, value: r.deref(e.value) ?? e.value } : e);
  c.payloadLimit = r.num(deref(p.get('payload_limit')), 'privacy.payload_limit', { int: true, min: 0 }) ?? DEFAULT_PAYLOAD_LIMIT;
  c.allowRawPayloads = r.bool(deref(p.get('allow_raw_payloads')), 'privacy.allow_raw_payloads') ?? false;
}

/**
 * The rest of "privacy fails closed": words from every privacy mapping the reader did not use —
 * a duplicate `privacy:` or `redact_keys:` (the last one is read), a merge key `<<` (in `privacy`
 * or at the top, unsupported), a file with YAML syntax errors or refused by the pre-scan (the
 * `redact_keys` written in its text) — are added to the default keys and the keys read. Each of
 * those is already a located error.
 */
function failClosed(r: Reader, top: Map<string, Entry> | undefined, text: string, c: RaConfig): void {
  const extra: string[] = [];
  let failed = r.broken;
  const salvage = (n: Node | null): void => {
    failed = true;
    if (n) extra.push(...salvageWords(r, n));
  };
  const priv = top?.get('privacy');
  for (const other of priv?.others ?? []) salvage(other.value);
  const pv = priv && r.deref(priv.value);
  if (pv && isMap(pv)) {
    const items = pv.items as Pair<Node, Node | null>[];
    const name = (it: Pair<Node, Node | null>): string | undefined => (isScalar(it.key) ? String(it.key.value) : undefined);
    const twice = items.filter((it) => name(it) === 'redact_keys').length > 1;
    for (const it of items) if (name(it) === '<<' || (twice && name(it) === 'redact_keys')) salvage(it.value);
  }
  const merge = top?.get('<<');
  for (const e of merge ? [...(merge.others ?? []), merge] : []) salvage(e.value);
  if (r.broken) extra.push(...salvageRedactKeysText(text));
  if (!failed) return;
  c.redactKeys = [...new Set([...DEFAULT_REDACT_KEYS, ...c.redactKeys, ...extra])];
}

function readRedactKeys(r: Reader, e: Entry): string[] {
  const where = 'privacy.redact_keys';
  const closed = (words: readonly string[]): string[] => [...new Set([...DEFAULT_REDACT_KEYS, ...words])];
  const split = (s: string): string[] => s.split(/[\s,;]+/).filter(Boolean);
  const node = e.value;
  if (node && isAlias(node)) {
    const target = r.deref(node);
    const words = target ? salvageWords(r, target) : [];
    r.report('error', node, `${where} is a YAML alias; write the list out (using the default keys${words.length ? ` plus ${words.length} aliased key(s)` : ''})`, e.key);
    return closed(words);
  }
  if (node === null || (isScalar(node) && node.value === null)) {
    r.report('warning', node, `${where} is empty; the default keys still apply`, e.key);
    return closed([]);
  }
  if (isScalar(node) && typeof node.value === 'string') {
    const words = split(node.value);
    r.report('error', node, `${where} must be a list of strings, not a string; using the default keys plus ${words.length} word(s) of it`, e.key);
    return closed(words);
  }
  if (isSeq(node)) {
    const values: string[] = [];
    let bad = false;
    for (const item of node.items as (Node | null)[]) {
      const v = r.deref(item);
      if (v && isScalar(v) && typeof v.value === 'string') values.push(v.value);
      else {
        bad = true;
        if (item) values.push(...salvageWords(r, item));
        r.report('error', item, `${where}: every entry must be a string (using the default keys plus the valid entries)`, node);
      }
    }
    return bad ? closed(values) : values;
  }
  r.report('error', node, `${where} must be a list of strings; using the default keys${isMap(node) ? ' plus the words of this mapping' : ''}`, e.key);
  return closed(node ? salvageWords(r, node) : []);
}

/**
 * Every string in a YAML node, split into words: what a broken `redact_keys` meant. Follows
 * aliases, so it is bounded in words (1000), depth (8) *and* node visits ({@link YAML_LIMITS}
 * `maxVisits`, shared by every walk over the file): an alias bomb of 600 bytes names 10^10 nodes.
 */
function salvageWords(r: Reader, root: Node): string[] {
  const out: string[] = [];
  const stack: Array<[Node | null | undefined, number]> = [[root, 0]];
  while (stack.length && out.length < 1000 && r.visits++ < YAML_LIMITS.maxVisits) {
    const [raw, depth] = stack.pop()!;
    const n = r.deref(raw ?? null);
    if (!n || depth > 8) continue;
    if (isScalar(n)) {
      if (typeof n.value === 'string') out.push(...n.value.split(/[\s,;]+/).filter(Boolean).slice(0, 1000));
    } else if (isSeq(n)) {
      for (let k = n.items.length - 1; k >= 0; k--) stack.push([n.items[k] as Node | null, depth + 1]);
    } else if (isMap(n)) {
      for (let k = n.items.length - 1; k >= 0; k--) {
        const it = n.items[k] as Pair<Node, Node | null>;
        stack.push([it.value, depth + 1]);
        stack.push([it.key, depth + 1]);
      }
    }
  }
  return out.slice(0, 1000);
}

/** The newest config version this reader knows (§1c). */
export const CONFIG_VERSION = 1;

function warnNewer(r: Reader, e: Entry | undefined, v: number | undefined, name: string): void {
  if (e && v !== undefined && v > CONFIG_VERSION) {
    r.report('warning', e.value, `${name} version ${v} is newer than this reader (${CONFIG_VERSION}); known keys are read, others reported`, e.key);
  }
}

function readBuckets(r: Reader, e: Entry, c: RaConfig): void {
  const where = 'performance.latency_buckets_ms';
  if (!e.value || !isSeq(e.value)) {
    r.report('error', e.value, `${where} must be a list of numbers`, e.key);
    return;
  }
  const out: number[] = [];
  for (const item of e.value.items as (Node | null)[]) {
    const v = item && isScalar(item) ? item.value : undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      r.report('error', item, `${where}: every entry must be a non-negative number`, e.value);
      return;
    }
    if (out.length && v <= out[out.length - 1]) {
      r.report('error', item, `${where} must be strictly ascending (${v} after ${out[out.length - 1]}); using the defaults`, e.value);
      return;
    }
    out.push(v);
  }
  if (out.length === 0) {
    r.report('warning', e.value, `${where} is empty; using the defaults`, e.key);
    return;
  }
  c.latencyBucketsMs = out;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** Apply the `RA_*` environment overrides (see the module comment) to a parsed config. */
export function applyEnv(config: RaConfig, env: Record<string, string | undefined>): Problem[] {
  const problems: Problem[] = [];
  const bad = (name: string, why: string): void => {
    problems.push({ file: `env:${name}`, message: `${name}=${JSON.stringify(env[name])} ignored: ${why}`, severity: 'warning' });
  };
  const bool = (name: string, set: (v: boolean) => void): void => {
    const v = env[name]?.trim().toLowerCase();
    if (v === undefined || v === '') return;
    if (TRUE.has(v)) set(true);
    else if (FALSE.has(v)) set(false);
    else bad(name, 'expected true or false');
  };
  const int = (name: string, set: (v: number) => void): void => {
    const v = env[name]?.trim();
    if (v === undefined || v === '') return;
    if (/^\d+$/.test(v)) set(Number(v));
    else bad(name, 'expected a non-negative integer');
  };
  bool('RA_ENABLED', (v) => (config.enabled = v));
  bool('RA_ALLOW_RAW_PAYLOADS', (v) => (config.allowRawPayloads = v));
  int('RA_PAYLOAD_LIMIT', (v) => (config.payloadLimit = v));
  int('RA_TRACE_TAIL_EVENTS', (v) => (config.traceTailEvents = v));
  const profile = env.RA_PROFILE?.trim();
  if (profile) {
    config.profile = profile;
    if (!(profile in config.profiles)) bad('RA_PROFILE', `no profile "${profile}" in ra.yaml`);
  }
  const ask = env.RA_ASK_MD?.trim();
  if (ask) {
    if ((ASK_MD as readonly string[]).includes(ask)) config.askMd = ask as AskMdMode;
    else bad('RA_ASK_MD', 'expected always, on_failure or never');
  }
  const keys = env.RA_REDACT_KEYS;
  if (keys !== undefined && keys.trim() !== '') {
    config.redactKeys = keys
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
  }
  const sev = env.RA_MIN_SEVERITY?.trim();
  if (sev) {
    const s = parseSeverity(sev);
    if (s) config.filters = { ...config.filters, minSeverity: s };
    else bad('RA_MIN_SEVERITY', 'expected debug, info, warning, error or critical');
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// flows.yaml

const FLOWS_KEYS = ['version', 'defaults', 'flows'] as const;
const FLOW_KEYS = ['id', 'enabled', 'description', 'parent', 'success', 'failure_classes', 'correlation_keys', 'sla', 'code_refs', 'tags', 'on_failure'] as const;
const DEFAULT_KEYS = ['enabled', 'tags', 'correlation_keys', 'on_failure', 'failure_classes', 'sla'] as const;
const CLASS_RE = /^([A-Za-z]+)\.(\S+)$/;

interface FlowDefaults {
  enabled: boolean;
  tags: string[];
  correlationKeys: string[];
  onFailure?: string;
  failureClasses: string[];
  slaP95Ms?: number;
}

function readSla(r: Reader, e: Entry | undefined, where: string): number | undefined {
  if (!e) return undefined;
  const m = r.map(e.value, where, ['p95_ms'], e.key);
  return r.num(m?.get('p95_ms'), `${where}.p95_ms`, { min: 0 });
}

function readClasses(r: Reader, e: Entry | undefined, where: string): string[] | undefined {
  const list = r.strList(e, where);
  if (!list) return undefined;
  list.values.forEach((cls, i) => {
    const m = CLASS_RE.exec(cls);
    if (!m) r.report('warning', list.nodes[i], `${where}: "${cls}" is not DOMAIN.DETAIL`);
    else if (!(FAILURE_DOMAINS as readonly string[]).includes(m[1])) {
      r.report('warning', list.nodes[i], `${where}: "${cls}" has an unknown domain (expected ${FAILURE_DOMAINS.join(', ')})`);
    }
  });
  return list.values;
}

/** Parse `flows.yaml` text. Never throws. Flows without a usable `id` are dropped (and reported). */
export function parseFlows(text: string, file: string): FlowsFile & { problems: Problem[] } {
  const r = new Reader(file);
  const out: FlowsFile & { problems: Problem[] } = { file, flows: [], problems: r.problems };
  const top = r.map(r.parse(text), 'flows.yaml', FLOWS_KEYS);
  if (!top) return out;
  out.version = r.num(top.get('version'), 'version', { int: true, min: 1 });
  warnNewer(r, top.get('version'), out.version, 'flows.yaml');

  const d: FlowDefaults = { enabled: true, tags: [], correlationKeys: [], failureClasses: [] };
  const de = top.get('defaults');
  const dm = de && r.map(de.value, 'defaults', DEFAULT_KEYS, de.key);
  if (dm) {
    d.enabled = r.bool(dm.get('enabled'), 'defaults.enabled') ?? d.enabled;
    d.tags = r.strList(dm.get('tags'), 'defaults.tags')?.values ?? d.tags;
    d.correlationKeys = r.strList(dm.get('correlation_keys'), 'defaults.correlation_keys')?.values ?? d.correlationKeys;
    d.onFailure = r.str(dm.get('on_failure'), 'defaults.on_failure');
    d.failureClasses = readClasses(r, dm.get('failure_classes'), 'defaults.failure_classes') ?? d.failureClasses;
    d.slaP95Ms = readSla(r, dm.get('sla'), 'defaults.sla');
  }

  const fe = top.get('flows');
  if (!fe) return out;
  out.loc = r.loc(fe.key);
  if (fe.value === null || (isScalar(fe.value) && fe.value.value === null)) return out;
  if (!isSeq(fe.value)) {
    r.report('error', fe.value, 'flows must be a list', fe.key);
    return out;
  }
  const parents: { spec: FlowSpec; node: Node | null }[] = [];
  const seen = new Map<string, YamlLoc>();
  (fe.value.items as (Node | null)[]).forEach((item, i) => {
    const where = `flows[${i}]`;
    const m = r.map(item, where, FLOW_KEYS, fe.value ?? undefined);
    if (!m) {
      if (!item || (isScalar(item) && item.value === null)) r.report('error', item, `${where} is empty`, fe.value);
      return;
    }
    const idE = m.get('id');
    if (!idE) {
      r.report('error', item, `${where} has no id`);
      return;
    }
    const id = r.str(idE, `${where}.id`);
    if (id === undefined) return;
    if (id.trim() === '') {
      r.report('error', idE.value, `${where}.id is empty`, idE.key);
      return;
    }
    const w = `flow "${id}"`;
    const loc = r.loc(idE.value, idE.key);
    const dup = seen.get(id);
    if (dup) {
      r.report('error', idE.value, `duplicate flow id "${id}" (first declared at line ${dup.line})`, idE.key);
      return;
    }
    seen.set(id, loc);
    const refs = r.strList(m.get('code_refs'), `${w}: code_refs`);
    let criteria: string[] = [];
    const succ = m.get('success');
    if (succ) {
      const sm = r.map(succ.value, `${w}: success`, ['criteria'], succ.key);
      criteria = r.strList(sm?.get('criteria'), `${w}: success.criteria`)?.values ?? [];
    }
    const spec: FlowSpec = {
      id,
      enabled: r.bool(m.get('enabled'), `${w}: enabled`) ?? d.enabled,
      description: r.str(m.get('description'), `${w}: description`),
      parent: r.str(m.get('parent'), `${w}: parent`),
      criteria,
      failureClasses: readClasses(r, m.get('failure_classes'), `${w}: failure_classes`) ?? [...d.failureClasses],
      correlationKeys: r.strList(m.get('correlation_keys'), `${w}: correlation_keys`)?.values ?? [...d.correlationKeys],
      slaP95Ms: readSla(r, m.get('sla'), `${w}: sla`) ?? d.slaP95Ms,
      codeRefs: refs?.values ?? [],
      codeRefLocs: refs?.nodes.map((n) => r.loc(n)) ?? [],
      tags: r.strList(m.get('tags'), `${w}: tags`)?.values ?? [...d.tags],
      onFailure: r.str(m.get('on_failure'), `${w}: on_failure`) ?? d.onFailure,
      loc,
    };
    if (spec.parent !== undefined) parents.push({ spec, node: m.get('parent')?.value ?? null });
    out.flows.push(spec);
  });
  for (const { spec, node } of parents) {
    if (spec.parent === spec.id) r.report('error', node, `flow "${spec.id}": parent is the flow itself`);
    else if (!seen.has(spec.parent as string)) r.report('error', node, `flow "${spec.id}": parent "${spec.parent}" is not a flow in this catalog`);
  }
  r.sorted();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Loading, lookups, validation

/** Options for {@link loadCatalog}. */
export interface LoadCatalogOptions {
  /** Environment for `RA_*` overrides (pass `process.env`); none applied when absent. */
  env?: Record<string, string | undefined>;
  /** File reader (tests); defaults to the ingress policy's `readText` (kind `config`). Throw ENOENT for missing. */
  readFile?: (p: string) => string;
}

function readFirst(root: string, name: string, read: (p: string) => string, problems: Problem[]): { file: string; text: string } | undefined {
  for (const file of [path.join(root, '.autodev', name), path.join(root, name)]) {
    try {
      return { file, text: read(file) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      problems.push({ file, message: `cannot read ${name}: ${(e as Error).message}`, severity: 'error' });
      return undefined;
    }
  }
  return undefined;
}

/**
 * The default reader: the ingress policy for a YAML config (a regular file inside `root`, at most
 * 4 MB, opened non-blocking — a FIFO, a link to /dev/zero or a 100 MB file is refused, not read).
 * Throws ENOENT for a missing file and the policy's reason otherwise (located by `readFirst`).
 */
function readConfigFile(file: string, root: string): string {
  const r = readText(file, { root, kind: 'config' });
  if (r.ok) return r.text;
  const err: NodeJS.ErrnoException = new Error(r.problem.message.startsWith(`${file}: `) ? r.problem.message.slice(file.length + 2) : r.problem.message);
  if (r.problem.reason === 'missing') err.code = 'ENOENT';
  throw err;
}

/**
 * Read `<root>/.autodev/ra.yaml` and `<root>/.autodev/flows.yaml` (else the same names at
 * `root`). Missing files give defaults and no problem. Never throws.
 */
export function loadCatalog(root: string, opts: LoadCatalogOptions = {}): Catalog {
  const read = opts.readFile ?? ((p: string) => readConfigFile(p, root));
  const problems: Problem[] = [];
  const raSrc = readFirst(root, 'ra.yaml', read, problems);
  const flowsSrc = readFirst(root, 'flows.yaml', read, problems);
  let ra = defaultRa();
  if (raSrc) {
    const p = parseRa(raSrc.text, raSrc.file);
    ra = p.config;
    problems.push(...p.problems);
  }
  if (opts.env) problems.push(...applyEnv(ra, opts.env));
  let flows: FlowsFile = { flows: [] };
  if (flowsSrc) {
    const p = parseFlows(flowsSrc.text, flowsSrc.file);
    flows = p;
    problems.push(...p.problems);
  }
  return catalogOf(root, ra, flows, problems);
}

/** Assemble a {@link Catalog} from parsed parts (tests, or configs from elsewhere). */
export function catalogOf(root: string, ra: RaConfig, flows: FlowsFile, problems: Problem[] = []): Catalog {
  return {
    root,
    ra,
    flows: flows.flows,
    flowsById: new Map(flows.flows.map((f) => [f.id, f])),
    flowsFile: flows.file,
    flowsLoc: flows.loc ?? (flows.file ? { file: flows.file, line: 1, col: 1 } : undefined),
    problems,
  };
}

/** The flow's p95 SLA in ms: ra.yaml `performance.sla_overrides[flow].p95_ms`, else flows.yaml `sla.p95_ms`. */
export function slaFor(catalog: Catalog, flowName: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(catalog.ra.slaOverrides, flowName)
    ? catalog.ra.slaOverrides[flowName]
    : catalog.flowsById.get(flowName)?.slaP95Ms;
}

/**
 * Compare the catalog with what the traces show. Located at the YAML node:
 * - a declared flow never seen in traces: warning when enabled, info when disabled;
 * - a traced flow missing from the catalog (only when a flows.yaml exists): warning at `flows:`;
 * - a `code_refs` path that does not exist under `root`: warning.
 */
export function validateAgainstTraces(
  catalog: Catalog,
  seenFlowNames: ReadonlySet<string>,
  root: string = catalog.root,
  exists: (p: string) => boolean = fs.existsSync,
): Problem[] {
  const out: Problem[] = [];
  const at = (l: YamlLoc, severity: Problem['severity'], message: string): void => {
    out.push({ file: l.file, line: l.line, col: l.col, message, severity });
  };
  for (const f of catalog.flows) {
    if (!seenFlowNames.has(f.id)) {
      at(f.loc, f.enabled ? 'warning' : 'info', f.enabled ? `flow "${f.id}" is declared but never seen in the traces` : `flow "${f.id}" is disabled and not seen in the traces`);
    }
    f.codeRefs.forEach((ref, i) => {
      let ok = false;
      try {
        ok = exists(path.resolve(root, ref));
      } catch {
        ok = false;
      }
      if (!ok) at(f.codeRefLocs[i] ?? f.loc, 'warning', `flow "${f.id}": code_refs "${ref}" does not exist in the workspace`);
    });
  }
  if (catalog.flowsLoc) {
    for (const name of [...seenFlowNames].sort()) {
      if (!catalog.flowsById.has(name)) at(catalog.flowsLoc, 'warning', `flow "${name}" appears in the traces but is not declared in flows.yaml`);
    }
  }
  return out;
}

/** {@link validateAgainstTraces} with the flow names taken from runs (flows without a name are skipped). */
export function validateAgainstRuns(catalog: Catalog, runs: readonly Run[], root: string = catalog.root, exists?: (p: string) => boolean): Problem[] {
  const seen = new Set<string>();
  for (const run of runs) forEachFlow(run, (f) => {
    if (f.name) seen.add(f.name);
  });
  return validateAgainstTraces(catalog, seen, root, exists);
}
