/**
 * The webview's one piece of mutable state, and the only functions that change it. Every other
 * module reads `state` (typed read-only) and calls a setter here; none keeps state of its own.
 *
 * - `view` is what VS Code keeps across reloads of the panel (query, sort, scroll positions, the
 *   selected timeline row); every setter of a view field saves it, debounced by 100 ms.
 * - `model`/`query`/`loading`/`live` are the host's latest answer; `palette` the theme colours;
 *   `charts` the Chart.js instances by key with the config each was drawn from (redrawn on a theme
 *   change); `timeline` the cursor of the virtualised timeline canvas.
 */
import type { Chart, ChartConfiguration } from 'chart.js';
import { persist, savedState } from './messaging';
import { readPalette, type Palette } from './theme';
import type { DashboardQuery, HostMessage, Model, TimelineRow } from './types';

export type SortKey = 'flow' | 'instances' | 'successRate' | 'p50Ms' | 'p95Ms' | 'maxMs' | 'slaP95Ms' | 'failures' | 'lastFailure';
export interface Sort {
  readonly key: SortKey;
  readonly dir: 1 | -1;
}

/** Kept by VS Code across reloads (vscode.setState); the shape is the same as before the split. */
export interface ViewState {
  readonly query?: DashboardQuery;
  readonly sort: Sort;
  readonly scrollY: number;
  readonly timelineScroll: number;
  readonly timelineSelected?: string;
}

export interface ChartEntry {
  readonly chart: Chart;
  readonly make: () => ChartConfiguration;
}

export interface TimelineCursor {
  readonly rows: readonly TimelineRow[];
  readonly spanMs: number;
  /** Row under the pointer, -1 for none. */
  readonly hover: number;
  /** Row selected with the keyboard or a click, -1 for none. */
  readonly selected: number;
  /** Pending requestAnimationFrame id, 0 for none. */
  readonly raf: number;
  /** The tooltip belongs to the keyboard-selected row (not the pointer). */
  readonly kbTip: boolean;
}

export interface State {
  readonly view: ViewState;
  readonly model: Model | undefined;
  readonly query: DashboardQuery;
  readonly loading: boolean;
  readonly live: boolean;
  readonly palette: Palette;
  readonly charts: ReadonlyMap<string, ChartEntry>;
  readonly timeline: TimelineCursor;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

const saved = savedState() as Partial<ViewState> | undefined;
const view: Writable<ViewState> = {
  query: saved?.query,
  sort: saved?.sort ?? { key: 'flow', dir: 1 },
  scrollY: saved?.scrollY ?? 0,
  timelineScroll: saved?.timelineScroll ?? 0,
  timelineSelected: saved?.timelineSelected,
};
const charts = new Map<string, ChartEntry>();
const timeline: Writable<TimelineCursor> = { rows: [], spanMs: 0, hover: -1, selected: -1, raf: 0, kbTip: false };
const app: Writable<State> & { saveTimer: number | undefined } = {
  view,
  model: undefined,
  query: view.query ?? { selection: { kind: 'latest' } },
  loading: true,
  live: false,
  palette: readPalette(),
  charts,
  timeline,
  saveTimer: undefined,
};

export const state: State = app;

/** Saves `view` at most every 100 ms. */
function save(): void {
  if (app.saveTimer !== undefined) return;
  app.saveTimer = window.setTimeout(() => {
    app.saveTimer = undefined;
    persist(view);
  }, 100);
}

// ---------------------------------------------------------------- host answers and queries

/** Takes the host's model message; returns true for the first model of this load. */
export function setModel(msg: Extract<HostMessage, { type: 'model' }>): boolean {
  const first = app.model === undefined;
  app.model = msg.model;
  app.query = msg.query;
  view.query = msg.query;
  app.loading = msg.loading;
  app.live = msg.live;
  save();
  return first;
}

export function setQuery(q: DashboardQuery): void {
  app.query = q;
  view.query = q;
  save();
}

// ---------------------------------------------------------------- view (saved)

export function setSort(sort: Sort): void {
  view.sort = sort;
  save();
}

export function setScrollY(y: number): void {
  view.scrollY = y;
  save();
}

export function setTimelineScroll(y: number): void {
  view.timelineScroll = y;
  save();
}

// ---------------------------------------------------------------- theme and charts

export function setPalette(p: Palette): void {
  app.palette = p;
}

export function setChart(key: string, entry: ChartEntry): void {
  charts.set(key, entry);
}

export function deleteChart(key: string): void {
  charts.delete(key);
}

// ---------------------------------------------------------------- timeline cursor

/** A new timeline model: its rows and span, the row to keep selected (-1 for none); no hover. */
export function setTimelineRows(rows: readonly TimelineRow[], spanMs: number, selected: number): void {
  timeline.rows = rows;
  timeline.spanMs = spanMs;
  timeline.selected = selected;
  timeline.hover = -1;
}

/** Selects row i (clamped to the rows) and saves its flow id for the next load. */
export function setTimelineSelected(i: number): void {
  timeline.selected = Math.max(0, Math.min(timeline.rows.length - 1, i));
  view.timelineSelected = timeline.rows[timeline.selected]?.id;
  save();
}

export function setTimelineHover(i: number): void {
  timeline.hover = i;
}

export function setTimelineRaf(id: number): void {
  timeline.raf = id;
}

export function setTimelineKbTip(keyboard: boolean): void {
  timeline.kbTip = keyboard;
}
