/** Shapes shared by bench.ts and its index child process. */

/** One printed row. `target` is the bound `measured` must not exceed; `pass` undefined = informational. */
export interface BenchRow {
  name: string;
  measured: number | string;
  baseline?: number | string;
  ratio?: number;
  target?: number | string;
  /** How to print the target when it is not in `unit` (e.g. a ratio). */
  targetLabel?: string;
  pass?: boolean;
  unit?: string;
  note?: string;
}

/** What every index child (indexChild.ts, full or load-only) measures of its load. */
export interface IndexFigures {
  indexMs: number;
  /** CPU time (user + system) of the index, ms: wall time is inflated on a loaded machine. */
  indexCpuMs: number;
  maxRssKb: number;
  /** Longest event-loop stall during `load()` (monitorEventLoopDelay), and its 99th percentile, ms. */
  blockMaxMs: number;
  blockP99Ms: number;
  heapUsedMb: number;
  runs: number;
  events: number;
  malformed: number;
}

/** What the index child (indexChild.ts) reports on stdout as JSON. */
export interface ChildReport extends IndexFigures {
  tail: { reps: number; medianMs: number; minMs: number; maxMs: number; note: string };
  views: BenchRow[];
}
