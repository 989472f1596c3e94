/**
 * The rollup of one flow name over a set of runs — defined once, here: `rollup.ts` computes it,
 * the CLI (`flows`), the dashboard's flows table and trends, the LM rollups tool and the CodeLens
 * show it. Types only (the webview's DOM-only type check reads it through dashboardTypes.ts).
 */
import type { HistogramBucket } from './stats';

/** A failed or exception flow instance, for "first/last failure". */
export interface FailureRef {
  runId: string;
  flowId: string;
  flow: string;
  verdict: 'failed' | 'exception';
  failureClass?: string;
  reason?: string;
  /** Source file and 1-based line as written in the verdict event. */
  file?: string;
  line?: number;
  /** Verdict time, epoch ms. */
  ts?: number;
}

/** Everything known about one flow name over a set of runs. */
export interface FlowRollup {
  flow: string;
  instances: number;
  succeeded: number;
  failed: number;
  exceptions: number;
  orphaned: number;
  running: number;
  /** succeeded ÷ (succeeded + failed + exceptions); undefined when that is 0. */
  successRate?: number;
  /** Number of instances with a duration (the percentiles' n). */
  durationCount: number;
  /** Nearest-rank percentiles of the instances' `durationMs`. */
  p50Ms?: number;
  p95Ms?: number;
  maxMs?: number;
  /** catalog.ts `slaFor`: ra.yaml `sla_overrides`, else flows.yaml `sla.p95_ms`. */
  slaP95Ms?: number;
  /** p95Ms > slaP95Ms (false when either is unknown). */
  slaBreached: boolean;
  /** Failure class → count, over failed and exception instances that give one. */
  failureClasses: Record<string, number>;
  /** Failed/exception instances without a failure class. */
  unclassifiedFailures: number;
  firstFailure?: FailureRef;
  lastFailure?: FailureRef;
  /** Durations in the latency buckets. */
  histogram: HistogramBucket[];
}
