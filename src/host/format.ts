/**
 * Label and description text for the views. No `vscode` import, so it reads the same in every
 * surface; the views turn these strings into TreeItems at the edge.
 */
import type { FlowNode, Run, TraceEvent, Verdict } from '../core/model/types';
import { stripControl } from '../core/render/egress/redact';
import { boundedCopy } from '../core/model/bounded';
import { isValidTime } from '../core/model/time';
import { runStatus, runVerdictCounts } from '../core/analyze/queries';

/** "just now", "5 min ago", "2 h ago", "3 d ago" (and "in 2 h" for clocks that disagree). */
export function relativeTime(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return 'unknown time';
  if (!isValidTime(ms) || !Number.isFinite(now)) return 'invalid time';
  const d = now - ms;
  const a = Math.abs(d);
  let s: string;
  if (a < 45_000) return 'just now';
  if (a < 3_600_000) s = `${Math.round(a / 60_000)} min`;
  else if (a < 86_400_000) s = `${Math.round(a / 3_600_000)} h`;
  else s = `${Math.round(a / 86_400_000)} d`;
  return d >= 0 ? `${s} ago` : `in ${s}`;
}

/** How every host surface shows a duration that is not known (a flow whose only event is its verdict). */
export const UNKNOWN_DURATION = '—';

/** "690 ms", "1.8 s", "2 min 5 s". */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms - m * 60_000) / 1000)} s`;
}

/** "crashed · 2 failed · 1 exception · 3 h ago · trader · dev · 12 flows": status first. */
export function runDescription(run: Run, now = Date.now()): string {
  const c = runVerdictCounts(run);
  const status = runStatus(run);
  // Status first (issue 16): at the default sidebar width the end of a row is cut off, and what
  // went wrong is what the row must still say.
  const parts: string[] = [];
  if (status === 'running') parts.push('running');
  else if (status === 'crashed') parts.push('crashed');
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.exceptions) parts.push(plural(c.exceptions, 'exception'));
  if (c.orphaned) parts.push(`${c.orphaned} orphaned`);
  parts.push(relativeTime(run.started, now));
  if (run.app) parts.push(run.app);
  if (run.mode) parts.push(run.mode);
  parts.push(plural(c.total, 'flow'));
  return parts.join(' · ');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * "690 ms ▲ SLA 800" when the flow breached its p95 SLA, else "690 ms"; "—" for a flow with a
 * verdict but no known duration (issue 16: unknown is unknown, not 0 ms); "" while it has none.
 */
export function flowDuration(flow: FlowNode, slaP95Ms?: number): string {
  if (flow.durationMs === undefined) return flow.verdict === 'running' || flow.verdict === 'orphaned' ? '' : UNKNOWN_DURATION;
  const d = duration(flow.durationMs);
  if (slaP95Ms !== undefined && flow.durationMs !== undefined && flow.durationMs > slaP95Ms)
    return `${d} ▲ SLA ${slaP95Ms}`;
  return d;
}

/** The one-line reason of a failed/exception verdict: "DATA.EMPTY · vendor returned 0 rows for NVDA". */
export function failureSummary(e: TraceEvent | undefined): string {
  if (!e) return '';
  const parts: string[] = [];
  if (e.failureClass) parts.push(e.failureClass);
  if (e.type === 'exception' && e.exception) {
    // The type once: an exception classed by its own type (OTLP's exception.type) reads "ValueError · row 17 …".
    const type = e.exception.type !== e.failureClass ? e.exception.type : undefined;
    const ex = [type, e.exception.message].filter(Boolean).join(': ');
    if (ex) parts.push(ex);
  } else if (e.reason) parts.push(e.reason);
  else if (e.message) parts.push(e.message);
  return oneLine(parts.join(' · ') || e.type);
}

/**
 * A Problems entry's message: what went wrong, then where it was seen — `vendor returned 0 rows
 * for NVDA — data/fetch/minute_candles (run b7d2)`. The failure class is left out: the diagnostic's
 * `code` shows it (`flowlens(DATA.EMPTY)`), and a hover that says it twice reads as noise (issue 16).
 */
export function diagnosticMessage(flowName: string, e: TraceEvent, runId: string): string {
  const what = e.type === 'exception' && e.exception
    ? [e.exception.type, e.exception.message].filter(Boolean).join(': ')
    : e.reason ?? e.message ?? '';
  return oneLine(`${what || (e.failureClass ?? e.type)} — ${flowName} (run ${runId})`, 1000);
}

/**
 * Trace text made safe for a label, description, CodeLens title or diagnostic: control, bidi,
 * zero-width and ANSI characters removed (src/core/redact.ts `stripControl`), whitespace
 * (incl. newlines) collapsed. Trace content is untrusted (issue "Reliability and security").
 */
export function plainText(s: string): string {
  return stripControl(s).replace(/\s+/g, ' ').trim();
}

/** Collapses whitespace and caps length so a label stays one readable line. */
export function oneLine(s: string, max = 160): string {
  const t = plainText(s);
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

/** Verdict words as shown to people. */
export const VERDICT_LABEL: Record<Verdict, string> = {
  succeeded: 'succeeded',
  failed: 'failed',
  exception: 'exception',
  orphaned: 'orphaned',
  running: 'running',
};

/** A short, human form of an event: "checkpoint · request", "failure · DATA.EMPTY". */
export function eventLabel(e: TraceEvent): string {
  if (e.type === 'failure' || e.type === 'exception') return `${e.type} · ${failureSummary(e)}`;
  if (e.type === 'metric' && e.metric) return `metric · ${e.metric.name} = ${String(e.metric.value)}${e.metric.unit ? ' ' + e.metric.unit : ''}`;
  return e.step ? `${e.type} · ${e.step}` : e.type;
}

/** Base name + line: "fetcher.py:15". */
export function shortLoc(file: string | undefined, line: number | undefined): string {
  if (!file) return '';
  const base = file.split(/[\\/]/).pop() ?? file;
  return line !== undefined ? `${base}:${line}` : base;
}

/** Levels of a value shown in a tooltip before `[depth limit]`. */
const TOOLTIP_DEPTH = 12;
/** Items per array / keys per object shown in a tooltip (the text is cut at `max` anyway). */
const TOOLTIP_ITEMS = 200;

/**
 * JSON for tooltips: pretty, bounded, never throws (NaN, cycles, BigInt, evidence nested
 * 100,000 deep: the depth limit is applied before descending, see src/core/model/bounded.ts).
 */
export function safeJson(v: unknown, max = 1200): string {
  let s: string;
  try {
    s = JSON.stringify(boundedCopy(v, { maxDepth: TOOLTIP_DEPTH, maxItems: TOOLTIP_ITEMS }), null, 2) ?? 'undefined';
  } catch {
    s = '[unprintable]';
  }
  return s.length > max ? s.slice(0, max) + '\n… (truncated)' : s;
}

/** Failed and exception verdicts: analyze/queries.ts `isFailing`, the one definition. */
export { isFailing as isFailure } from '../core/analyze/queries';

/**
 * The Runs view's description while a filter is on (issue 16: a visible sign, beside the view's
 * title, with Clear Filter in its toolbar): `filtered: "fetch" · failed · tag:NVDA`,
 * `failures only`, or undefined with no filter. The filter is what the user typed.
 */
export function filterDescription(filter: { text: string; statuses: readonly string[]; tag: string }, failuresOnly: boolean): string | undefined {
  const parts: string[] = [];
  if (filter.text) parts.push(`"${oneLine(filter.text, 40)}"`);
  if (filter.statuses.length) parts.push(filter.statuses.join(', '));
  if (filter.tag) parts.push(`tag:${oneLine(filter.tag, 30)}`);
  if (failuresOnly) parts.push('failures only');
  if (!parts.length) return undefined;
  return failuresOnly && parts.length === 1 ? 'failures only' : `filtered: ${parts.join(' · ')}`;
}
