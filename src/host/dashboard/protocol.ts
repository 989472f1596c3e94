/**
 * The one message protocol between the dashboard host (panel.ts) and its webview
 * (media/dashboard/): a discriminated union on `type` per direction, with type guards used on
 * receipt (docs/style.md habit 7). The host posts nothing before the webview says `ready`.
 * Types only plus guards: no vscode, no DOM, no Node (the webview's type check reads this file).
 */
import type { DashboardModel } from '../../core/render/dashboardTypes';

export type { DashboardModel };

/** Which runs to summarise (the webview's run selector). Times are epoch ms UTC. */
export type SelectionMsg =
  | { kind: 'latest' }
  | { kind: 'all' }
  | { kind: 'run'; runId: string }
  | { kind: 'window'; from: number; to: number };

/** Everything that decides what the host computes; the webview keeps it in its state. */
export interface DashboardQuery {
  selection: SelectionMsg;
  /** A flow name: narrows every section but the flows table. */
  flowFilter?: string;
  /** Run drawn in the timeline (default: the newest selected run). */
  timelineRunId?: string;
  /** Runs compared in the diff section; `a` is the base. */
  diff?: { a: string; b: string };
}

/** What the timeline's export buttons ask for: Chrome trace JSON, a Mermaid flowchart, OpenTelemetry (OTLP, file or endpoint: the host's `flowlens.exportOtlp`). */
export type ExportFormat = 'chrome' | 'mermaid' | 'otlp';

const EXPORT_FORMATS: readonly unknown[] = ['chrome', 'mermaid', 'otlp'] satisfies ExportFormat[];

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'query'; query: DashboardQuery }
  | { type: 'openLocation'; file: string; line?: number }
  | { type: 'export'; format: ExportFormat; runId: string }
  | { type: 'refresh' };

/** Host → webview. */
export type HostMessage =
  | { type: 'model'; model: DashboardModel; query: DashboardQuery; folder?: string; loading: boolean; live: boolean }
  /** `path`: the file written, or for OTLP sent to an endpoint the endpoint (without credentials). */
  | { type: 'exported'; format: ExportFormat; path: string }
  | { type: 'error'; message: string };

/** What the serializer stores for a panel restored after a reload. */
export interface DashboardPanelState {
  query?: DashboardQuery;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';

export function isSelectionMsg(v: unknown): v is SelectionMsg {
  if (!isObj(v)) return false;
  switch (v.kind) {
    case 'latest':
    case 'all':
      return true;
    case 'run':
      return typeof v.runId === 'string';
    case 'window':
      return typeof v.from === 'number' && typeof v.to === 'number' && Number.isFinite(v.from) && Number.isFinite(v.to);
    default:
      return false;
  }
}

export function isDashboardQuery(v: unknown): v is DashboardQuery {
  if (!isObj(v) || !isSelectionMsg(v.selection) || !optStr(v.flowFilter) || !optStr(v.timelineRunId)) return false;
  return v.diff === undefined || (isObj(v.diff) && typeof v.diff.a === 'string' && typeof v.diff.b === 'string');
}

/** Guard for messages the host receives (the webview is not trusted to be well-formed). */
export function isWebviewMessage(v: unknown): v is WebviewMessage {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
    case 'refresh':
      return true;
    case 'query':
      return isDashboardQuery(v.query);
    case 'openLocation':
      return typeof v.file === 'string' && v.file.length > 0 && (v.line === undefined || (typeof v.line === 'number' && Number.isInteger(v.line)));
    case 'export':
      return EXPORT_FORMATS.includes(v.format) && typeof v.runId === 'string';
    default:
      return false;
  }
}

/** Guard for messages the webview receives. */
export function isHostMessage(v: unknown): v is HostMessage {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'model':
      return isObj(v.model) && isDashboardQuery(v.query) && typeof v.loading === 'boolean' && typeof v.live === 'boolean';
    case 'exported':
      return EXPORT_FORMATS.includes(v.format) && typeof v.path === 'string';
    case 'error':
      return typeof v.message === 'string';
    default:
      return false;
  }
}
