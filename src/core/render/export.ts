/**
 * Exports of one run for other tools: Chrome trace-event JSON (opens in Perfetto and
 * chrome://tracing) and a Mermaid flowchart of the flow tree. Pure; never throws.
 */
import type { FlowNode, Run, Verdict } from '../model/types';

/** Where a flow sits in time (epoch ms), from its first event, verdict and duration. */
export function flowSpan(flow: FlowNode): { start: number; end: number } | undefined {
  let start = flow.started;
  let end = flow.ended;
  const dur = flow.durationMs;
  if (start === undefined && end !== undefined && dur !== undefined) start = end - dur;
  if (start === undefined) return undefined;
  if (end === undefined && dur !== undefined) end = start + dur;
  if (end === undefined) {
    // Still running or orphaned: up to its last timed event.
    end = start;
    for (const e of flow.events) if (e.ts !== undefined && e.ts > end) end = e.ts;
  }
  return { start, end: Math.max(start, end) };
}

/** A Chrome trace event (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU). */
export interface ChromeTraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'M';
  /** Microseconds since the Unix epoch. */
  ts?: number;
  /** Microseconds. */
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
}

/** Depth-first, children in start order; the order timelines and exports share. */
export function flowsDepthFirst(run: Run): { flow: FlowNode; depth: number; root: FlowNode }[] {
  const out: { flow: FlowNode; depth: number; root: FlowNode }[] = [];
  const seen = new Set<string>();
  // An explicit stack, not recursion: a parent chain 100,000 flows deep must not overflow.
  const visit = (start: FlowNode, root: FlowNode): void => {
    const stack: [FlowNode, number][] = [[start, 0]];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const [f, depth] = top;
      if (seen.has(f.id)) continue; // a cycle in parent ids must not loop forever
      seen.add(f.id);
      out.push({ flow: f, depth, root });
      for (let i = f.children.length - 1; i >= 0; i--) stack.push([f.children[i], depth + 1]);
    }
  };
  for (const r of run.roots) visit(r, r);
  for (const f of run.flows.values()) if (!seen.has(f.id)) visit(f, f);
  return out;
}

/**
 * Chrome trace-event JSON of a run: one complete event (`ph: "X"`) per flow with `ts`/`dur` in
 * µs; the run is process 1 (named by `process_name` metadata = run id), and every root flow
 * and its descendants share one thread (`tid` = root index + 1, named by the root flow).
 * `args` carry the verdict, failure class, reason and source location.
 */
export function toChromeTrace(run: Run): ChromeTrace {
  const pid = 1;
  const events: ChromeTraceEvent[] = [{ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: run.id } }];
  const tids = new Map<string, number>();
  for (const { flow, root } of flowsDepthFirst(run)) {
    let tid = tids.get(root.id);
    if (tid === undefined) {
      tid = tids.size + 1;
      tids.set(root.id, tid);
      events.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: root.displayName } });
    }
    const span = flowSpan(flow);
    if (!span) continue;
    const e = flow.verdictEvent;
    const args: Record<string, unknown> = { flow_id: flow.id, verdict: flow.verdict };
    if (e?.failureClass) args.failure_class = e.failureClass;
    const reason = e?.reason ?? e?.exception?.message;
    if (reason) args.reason = reason;
    if (e?.file) args.location = e.line ? `${e.file}:${e.line}` : e.file;
    if (flow.parentId) args.parent_flow_id = flow.parentId;
    events.push({
      name: flow.displayName,
      cat: flow.verdict,
      ph: 'X',
      ts: Math.round(span.start * 1000),
      dur: Math.round((span.end - span.start) * 1000),
      pid,
      tid,
      args,
    });
  }
  return { traceEvents: events, displayTimeUnit: 'ms', otherData: { run_id: run.id, app: run.app, status: run.status } };
}

/**
 * Escapes text for a quoted Mermaid label: every character outside a plain safe set becomes a
 * numeric entity (`#60;`), so quotes, brackets, HTML and Mermaid syntax cannot break out.
 */
export function mermaidEscape(text: string): string {
  let out = '';
  for (const ch of text.replace(/[\r\n\t]+/g, ' ')) {
    out += /[A-Za-z0-9 _.,:/()+-]/.test(ch) ? ch : `#${ch.codePointAt(0)};`;
  }
  return out;
}

const VERDICT_STYLE: Record<Verdict, string> = {
  succeeded: 'fill:#e6f4ea,stroke:#2e7d32,color:#1b5e20',
  failed: 'fill:#fdecea,stroke:#c62828,color:#b71c1c',
  exception: 'fill:#fff3e0,stroke:#e65100,color:#bf360c',
  orphaned: 'fill:#f3e5f5,stroke:#6a1b9a,color:#4a148c',
  running: 'fill:#e3f2fd,stroke:#1565c0,color:#0d47a1',
};

/**
 * A Mermaid flowchart of the run's flow tree: one node per flow (name, verdict, duration,
 * failure class), an edge from each parent to its children, and one class per verdict.
 */
export function toMermaid(run: Run, opts: { label?: (text: string) => string } = {}): string {
  const label = opts.label ?? ((t: string) => t);
  const lines = ['flowchart TD'];
  const ids = new Map<string, string>();
  const used = new Set<Verdict>();
  const order = flowsDepthFirst(run);
  order.forEach(({ flow }, i) => ids.set(flow.id, `n${i}`));
  for (const { flow } of order) {
    const parts = [label(flow.displayName), flow.verdict];
    if (flow.durationMs !== undefined) parts.push(`${Math.round(flow.durationMs)} ms`);
    const cls = flow.verdictEvent?.failureClass;
    if (cls) parts.push(label(cls));
    lines.push(`  ${ids.get(flow.id)}["${mermaidEscape(parts.join(' - '))}"]`);
  }
  for (const { flow } of order) {
    for (const c of flow.children) if (ids.has(c.id)) lines.push(`  ${ids.get(flow.id)} --> ${ids.get(c.id)}`);
  }
  for (const { flow } of order) {
    lines.push(`  class ${ids.get(flow.id)} ${flow.verdict}`);
    used.add(flow.verdict);
  }
  for (const v of used) lines.push(`  classDef ${v} ${VERDICT_STYLE[v]}`);
  return lines.join('\n') + '\n';
}

/** What export redaction needs (src/core/redact.ts `Redactor` fits). */
export interface ExportRedactor {
  /** Keeps an identifier but replaces credential-looking text inside it. */
  identifier(s: string): string;
  /** Redacts free text (reasons): credential values, control characters, length cap. */
  string(s: string): string;
}

/**
 * A Chrome trace with trace-derived text made safe to share: names, ids, locations and classes
 * through `identifier`, reasons through `string`. Used by the CLI and the dashboard's export so
 * both write the same redacted file.
 */
export function redactChromeTrace(trace: ChromeTrace, red: ExportRedactor): ChromeTrace {
  const id = (v: unknown): unknown => (typeof v === 'string' ? red.identifier(v) : v);
  const traceEvents = trace.traceEvents.map((e) => {
    const out = { ...e, name: red.identifier(e.name) };
    if (e.args) {
      const a = { ...e.args };
      for (const k of ['name', 'flow_id', 'parent_flow_id', 'location', 'failure_class']) if (k in a) a[k] = id(a[k]);
      if (typeof a.reason === 'string') a.reason = red.string(a.reason);
      out.args = a;
    }
    return out;
  });
  const otherData = { ...trace.otherData };
  for (const k of ['run_id', 'app']) if (k in otherData) otherData[k] = id(otherData[k]);
  return { ...trace, traceEvents, otherData };
}
