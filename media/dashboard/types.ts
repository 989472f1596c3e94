/**
 * The webview's one import of the host protocol (src/host/dashboard/protocol.ts), plus the short
 * names the sections use for parts of the DashboardModel. Types and the message guard only.
 */
import type { DashboardModel, DashboardQuery } from '../../src/host/dashboard/protocol';

export { isHostMessage } from '../../src/host/dashboard/protocol';
export type { DashboardModel, DashboardQuery, HostMessage, SelectionMsg, WebviewMessage } from '../../src/host/dashboard/protocol';

export type Model = DashboardModel;
export type FlowRow = Model['flows'][number];
export type TimelineRow = NonNullable<Model['timeline']>['rows'][number];
/** Anything that points at code: a failure, a diff row, a timeline row. */
export type Loc = { file?: string; line?: number; resolvedPath?: string };

/** How a section asks for another query (main.ts shows "Updating…" and posts it to the host). */
export type OnQuery = (q: DashboardQuery) => void;

/** A section of the page: its element (built once) and how it draws a model. */
export interface Section {
  el: HTMLElement;
  render(m: Model): void;
}
