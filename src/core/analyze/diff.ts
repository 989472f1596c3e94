/**
 * Run-to-run comparison per flow name: which flows appeared or went away, which started or
 * stopped failing, and which got slower beyond a threshold — with the verdict evidence that
 * changed, so a reader sees *why* without opening both runs. Pure; never throws.
 */
import type { FlowNode, Run, Verdict } from '../model/types';
import { flowRollupName } from './rollup';
import { summarizeDurations } from './stats';
import { isFailing } from './queries';
import { getOwn, record, safeStringify } from '../model/bounded';

/** Default "slower" threshold: p95 grew by more than this percentage. */
export const DEFAULT_SLOWER_THRESHOLD_PCT = 20;

export interface DiffOptions {
  /** A flow is slower when its p95 in `b` exceeds its p95 in `a` by more than this (%). Default 20. */
  slowerThresholdPct?: number;
}

/** The representative instance of a flow name in one run (see {@link diffRuns}). */
export interface FlowSide {
  instances: number;
  failing: number;
  /** Nearest-rank p95 of the instances' durations (ms). */
  p95Ms?: number;
  /** The representative instance: the last failing one, else the last one. */
  flowId: string;
  verdict: Verdict;
  failureClass?: string;
  reason?: string;
  file?: string;
  line?: number;
  evidence?: unknown;
}

/** One evidence key (or verdict field) whose value differs between the two runs. */
export interface EvidenceChange {
  /** `failure_class`, `reason`, `verdict`, or `evidence.<key>`. */
  key: string;
  before?: unknown;
  after?: unknown;
}

export interface FlowDiffEntry {
  flow: string;
  before?: FlowSide;
  after?: FlowSide;
  /** Verdict fields and evidence keys that differ (empty for new/gone flows). */
  changes: EvidenceChange[];
}

export interface SlowerEntry extends FlowDiffEntry {
  beforeP95Ms: number;
  afterP95Ms: number;
  /** (after − before) ÷ before × 100; Infinity when before is 0. */
  changePct: number;
}

/** `a` is the base (older) run, `b` the one compared with it. Lists are sorted by flow name. */
export interface RunDiff {
  a: string;
  b: string;
  slowerThresholdPct: number;
  /** Flow names in `b` only. */
  new: FlowDiffEntry[];
  /** Flow names in `a` only. */
  gone: FlowDiffEntry[];
  /** Failing in `b` (a failed/exception instance) and not failing in `a` — present in `a` or not. */
  newlyFailing: FlowDiffEntry[];
  /** Failing in `a`, present in `b` without a failing instance. */
  fixed: FlowDiffEntry[];
  /** Failing in both. */
  stillFailing: FlowDiffEntry[];
  /** In both, with p95 in `b` more than the threshold above p95 in `a`. */
  slower: SlowerEntry[];
}


function byName(run: Run): Map<string, FlowNode[]> {
  const m = new Map<string, FlowNode[]>();
  for (const f of run.flows.values()) {
    const n = flowRollupName(f);
    const list = m.get(n);
    if (list) list.push(f);
    else m.set(n, [f]);
  }
  return m;
}

function side(flows: FlowNode[]): FlowSide {
  const failing = flows.filter((f) => isFailing(f.verdict));
  const rep = (failing.length ? failing : flows)[(failing.length ? failing : flows).length - 1];
  const ds = flows.map((f) => f.durationMs).filter((d): d is number => typeof d === 'number' && Number.isFinite(d));
  const e = rep.verdictEvent;
  return {
    instances: flows.length,
    failing: failing.length,
    p95Ms: summarizeDurations(ds).p95Ms,
    flowId: rep.id,
    verdict: rep.verdict,
    failureClass: e?.failureClass,
    reason: e?.reason ?? e?.exception?.message,
    file: e?.file,
    line: e?.line,
    evidence: e?.evidence,
  };
}

/** Equal as (depth-limited) JSON: evidence nested 100,000 deep compares without overflowing the stack. */
const same = (x: unknown, y: unknown): boolean => x === y || safeStringify(x, undefined, {}, 'undefined') === safeStringify(y, undefined, {}, 'undefined');

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Verdict fields and top-level evidence keys that differ between two sides. */
export function evidenceChanges(a: FlowSide, b: FlowSide): EvidenceChange[] {
  const out: EvidenceChange[] = [];
  if (a.verdict !== b.verdict) out.push({ key: 'verdict', before: a.verdict, after: b.verdict });
  if (a.failureClass !== b.failureClass) out.push({ key: 'failure_class', before: a.failureClass, after: b.failureClass });
  if (a.reason !== b.reason) out.push({ key: 'reason', before: a.reason, after: b.reason });
  if (isRecord(a.evidence) || isRecord(b.evidence)) {
    const ea = isRecord(a.evidence) ? a.evidence : record<unknown>();
    const eb = isRecord(b.evidence) ? b.evidence : record<unknown>();
    // Own keys only: an evidence key `constructor` on one side is not Object on the other.
    for (const k of [...new Set([...Object.keys(ea), ...Object.keys(eb)])].sort()) {
      const x = getOwn(ea, k);
      const y = getOwn(eb, k);
      if (!same(x, y)) out.push({ key: `evidence.${k}`, before: x, after: y });
    }
  } else if (!same(a.evidence, b.evidence)) {
    out.push({ key: 'evidence', before: a.evidence, after: b.evidence });
  }
  return out;
}

/** What {@link redactChange} needs of a redactor (egress/redact.ts `Redactor` fits). */
export interface ChangeRedactor {
  isSensitiveKey(key: string): boolean;
  identifier(s: string): string;
  value(v: unknown): unknown;
}

/**
 * One change made safe to show: the key scrubbed, both values deep-redacted, and both values
 * `[REDACTED]` when the evidence key is sensitive (ra.yaml `redact_keys` included — pass the
 * run-scoped redactor of egress/secrets.ts). `undefined` (absent on one side) stays undefined.
 * Used by the CLI's `diff` and the dashboard's diff, so both hide the same values.
 */
export function redactChange(c: EvidenceChange, red: ChangeRedactor): EvidenceChange {
  const sensitive = c.key.startsWith('evidence.') && red.isSensitiveKey(c.key.slice('evidence.'.length));
  const val = (v: unknown): unknown => (v === undefined ? undefined : sensitive ? '[REDACTED]' : red.value(v));
  return { key: red.identifier(c.key), before: val(c.before), after: val(c.after) };
}

/**
 * Compares run `b` with the base run `a`, per flow name. A flow name's representative instance
 * (whose evidence is compared) is its last failing instance, else its last instance.
 */
export function diffRuns(a: Run, b: Run, opts: DiffOptions = {}): RunDiff {
  const threshold = opts.slowerThresholdPct ?? DEFAULT_SLOWER_THRESHOLD_PCT;
  const ma = byName(a);
  const mb = byName(b);
  const out: RunDiff = { a: a.id, b: b.id, slowerThresholdPct: threshold, new: [], gone: [], newlyFailing: [], fixed: [], stillFailing: [], slower: [] };
  const names = [...new Set([...ma.keys(), ...mb.keys()])].sort();
  for (const flow of names) {
    const fa = ma.get(flow);
    const fb = mb.get(flow);
    const before = fa ? side(fa) : undefined;
    const after = fb ? side(fb) : undefined;
    const entry: FlowDiffEntry = { flow, before, after, changes: before && after ? evidenceChanges(before, after) : [] };
    if (!before) out.new.push(entry);
    if (!after) out.gone.push(entry);
    const failA = (before?.failing ?? 0) > 0;
    const failB = (after?.failing ?? 0) > 0;
    if (failB && !failA) out.newlyFailing.push(entry);
    if (failA && after && !failB) out.fixed.push(entry);
    if (failA && failB) out.stillFailing.push(entry);
    if (before?.p95Ms !== undefined && after?.p95Ms !== undefined && after.p95Ms > before.p95Ms * (1 + threshold / 100)) {
      const changePct = before.p95Ms === 0 ? Infinity : ((after.p95Ms - before.p95Ms) / before.p95Ms) * 100;
      out.slower.push({ ...entry, beforeP95Ms: before.p95Ms, afterP95Ms: after.p95Ms, changePct });
    }
  }
  return out;
}
