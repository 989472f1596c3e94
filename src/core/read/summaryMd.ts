/**
 * flowscribe 0.1 `summary.md` (formats.md §1a): the only place a 0.1 run names its flows.
 *
 * ```
 * Session: trader
 * ## Flows and Events
 * - **Flow:** data/fetch/minute_candles
 *     - [checkpoint] step: request, evidence: {'ticker': 'AAPL', ...}
 * ```
 * Evidence is a Python repr; matching uses only each event's `(type, step)`.
 */

/** One `(type, step)` pair; a Python `None` step is written `None` and matches a missing step. */
export interface SummaryEvent {
  type: string;
  step: string;
}

/** One `- **Flow:** <name>` block. */
export interface SummaryFlowBlock {
  name: string;
  events: SummaryEvent[];
  /** 1-based line of the `- **Flow:**` line. */
  line: number;
}

export interface ParsedSummary {
  /** `Session: <app>` — the app name flowscribe 0.1 was given. */
  app?: string;
  flows: SummaryFlowBlock[];
}

const FLOW_RE = /^\s*[-*]\s+\*\*Flow:\*\*\s*(.*?)\s*$/;
const EVENT_RE = /^\s+[-*]\s+\[([^\]]*)\]\s+step:\s*(.*?)(?:,\s*evidence:.*)?$/;
const SESSION_RE = /^Session:\s*(.+?)\s*$/;

/** Parse `summary.md` text. Never throws; unknown lines are ignored. */
export function parseSummaryMd(text: string): ParsedSummary {
  const out: ParsedSummary = { flows: [] };
  let current: SummaryFlowBlock | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (out.app === undefined) {
      const s = SESSION_RE.exec(line);
      if (s) {
        out.app = s[1];
        continue;
      }
    }
    if (/^#{1,6}\s/.test(line)) {
      current = undefined; // a new section (e.g. "## Failures") ends the flow list
      continue;
    }
    const f = FLOW_RE.exec(line);
    if (f) {
      current = { name: f[1], events: [], line: i + 1 };
      out.flows.push(current);
      continue;
    }
    const e = current && EVENT_RE.exec(line);
    if (e && current) current.events.push({ type: e[1].trim(), step: e[2].trim() });
  }
  return out;
}

/** The events of one 0.1 flow instance as read from the JSONL, in file order. */
export interface FlowEventSequence {
  id: string;
  events: { type: string; step?: string }[];
}

export interface NameRecovery {
  /** flow_id → recovered name. */
  names: Map<string, string>;
  /** flow_ids whose sequence matched no unused block. */
  unmatched: string[];
}

function key(events: { type: string; step?: string }[]): string {
  return JSON.stringify(events.map((e) => [e.type, e.step ?? 'None']));
}

/**
 * Match each flow (given in first-appearance order) to a summary block with the identical
 * `(type, step)` sequence. Blocks are used once each; the search starts after the previously
 * matched block (summary order is flow start order) and wraps around, so identical sequences
 * are assigned in order. Blocks without events (flows that wrote nothing) are never matched.
 */
export function recoverFlowNames(flows: FlowEventSequence[], blocks: SummaryFlowBlock[]): NameRecovery {
  const keys = blocks.map((b) => (b.events.length > 0 ? key(b.events) : undefined));
  const used = new Array<boolean>(blocks.length).fill(false);
  const names = new Map<string, string>();
  const unmatched: string[] = [];
  let cursor = 0;
  for (const flow of flows) {
    const k = key(flow.events);
    let found = -1;
    for (let n = 0; n < blocks.length; n++) {
      const i = (cursor + n) % blocks.length;
      if (!used[i] && keys[i] === k) {
        found = i;
        break;
      }
    }
    if (found < 0) {
      unmatched.push(flow.id);
      continue;
    }
    used[found] = true;
    names.set(flow.id, blocks[found].name);
    cursor = found + 1;
  }
  return { names, unmatched };
}
