/**
 * Flowlens dashboard webview. Draws the DashboardModel the host computes (src/core/render/dashboard.ts)
 * and adds no business logic: it sorts, filters by the selected flow (by asking the host), and
 * formats. DOM is built with createElement/textContent only — trace data is never parsed as
 * HTML. Colours come from --vscode-* variables, read at draw time and re-read on theme change.
 */
import Chart from 'chart.js/auto';
import type { ChartConfiguration, Plugin } from 'chart.js';
import { button, h, icon, type Child } from './dom';
import { fmtMs, fmtPct, fmtTime, locText, runLabel, toLocalInput } from './format';
import { persist, post, savedState } from './messaging';
import { readPalette, seriesColors, verdictColor, type Palette } from './theme';
import { isHostMessage, type DashboardQuery, type FlowRow, type HostMessage, type Loc, type Model, type SelectionMsg, type TimelineRow } from './types';

// ---------------------------------------------------------------- state (kept across reloads)

type SortKey = 'flow' | 'instances' | 'successRate' | 'p50Ms' | 'p95Ms' | 'maxMs' | 'slaP95Ms' | 'failures' | 'lastFailure';
interface ViewState {
  query?: DashboardQuery;
  sort: { key: SortKey; dir: 1 | -1 };
  scrollY: number;
  timelineScroll: number;
  timelineSelected?: string;
}

const saved = savedState() as Partial<ViewState> | undefined;
const state: ViewState = {
  query: saved?.query,
  sort: saved?.sort ?? { key: 'flow', dir: 1 },
  scrollY: saved?.scrollY ?? 0,
  timelineScroll: saved?.timelineScroll ?? 0,
  timelineSelected: saved?.timelineSelected,
};
let saveTimer: number | undefined;
function save(): void {
  if (saveTimer !== undefined) return;
  saveTimer = window.setTimeout(() => {
    saveTimer = undefined;
    persist(state);
  }, 100);
}

let model: Model | undefined;
let query: DashboardQuery = state.query ?? { selection: { kind: 'latest' } };
let loading = true;
let live = false;

// ---------------------------------------------------------------- links to code

function locButton(l: Loc, label?: string): HTMLElement | string {
  if (!l.file) return '';
  const text = label ?? locText(l);
  const title = `Open ${l.resolvedPath ?? l.file}${l.line ? `:${l.line}` : ''}`;
  return button([icon('go-to-file'), ' ', text], () => post({ type: 'openLocation', file: l.file as string, line: l.line }), { class: 'link', title, 'aria-label': title });
}

let palette: Palette;

// ---------------------------------------------------------------- skeleton

const root = document.getElementById('root') as HTMLElement;
const headerStatus = h('span', { class: 'status', role: 'status', 'aria-live': 'polite' });
const selectionLabel = h('span', { class: 'selection-label' });
const filterChip = h('span', { class: 'filter-chip-slot' });
const runSelect = h('select', { 'aria-label': 'Run', id: 'run-select' });
const fromInput = h('input', { type: 'datetime-local', 'aria-label': 'Window from' });
const toInput = h('input', { type: 'datetime-local', 'aria-label': 'Window to' });
const kindButtons: Record<string, HTMLButtonElement> = {};

function section(id: string, title: string, desc: string, ...extra: Child[]): { el: HTMLElement; body: HTMLElement; head: HTMLElement } {
  const head = h('div', { class: 'section-head' }, h('h2', { id: `${id}-title` }, title), h('span', { class: 'section-desc' }, desc), h('span', { class: 'spacer' }), ...extra);
  const body = h('div', { class: 'section-body' });
  const el = h('section', { id, 'aria-labelledby': `${id}-title` }, head, body);
  return { el, body, head };
}

const secFlows = section('flows', 'Flows', 'per flow name over the selected runs — click a row to focus the page on that flow');
const secLatency = section('latency', 'Latency', 'histogram on ra.yaml latency buckets with the SLA line, and p95 per run');
const secFailures = section('failures', 'Failures', 'by class and domain, first vs latest, and what changed since the previous run');
const secEvents = section('events', 'Events', 'event counts by type and severity per run');
const exportChrome = button([icon('export'), ' Chrome trace'], () => exportRun('chrome'), { title: 'Export the timeline run as Chrome trace-event JSON (opens in Perfetto)' });
const exportMermaid = button([icon('type-hierarchy'), ' Mermaid'], () => exportRun('mermaid'), { title: 'Export the timeline run’s flow tree as a Mermaid flowchart' });
const timelineRunSelect = h('select', { 'aria-label': 'Timeline run' });
const secTimeline = section('timeline', 'Run timeline', 'one row per flow, nested by parent — hover for evidence, click to open the code', timelineRunSelect, exportChrome, exportMermaid);
const diffA = h('select', { 'aria-label': 'Base run' });
const diffB = h('select', { 'aria-label': 'Compared run' });
const secDiff = section('diff', 'Run diff', '');
const diffControls = h('div', { class: 'controls' }, h('label', { class: 'inline' }, 'Base ', diffA), h('label', { class: 'inline' }, 'Compare ', diffB), button([icon('git-compare'), ' Compare'], () => {
  if (diffA.value && diffB.value) setQuery({ ...query, diff: { a: diffA.value, b: diffB.value } });
}, { id: 'diff-compare' }));
const diffResult = h('div', { class: 'diff-result' });
secDiff.body.append(diffControls, diffResult);
const secStores = section('stores', 'Stores', 'Pulse, sovereignty and brainstem SQLite stores in this workspace');
const emptyState = h('div', { class: 'empty-state', hidden: true });

function buildSkeleton(): void {
  for (const [kind, label] of [['latest', 'Latest'], ['all', 'All runs']] as const) {
    kindButtons[kind] = button([label], () => setQuery({ selection: { kind }, flowFilter: query.flowFilter }), { class: 'seg', 'aria-pressed': 'false' });
  }
  runSelect.addEventListener('change', () => {
    if (runSelect.value) setQuery({ selection: { kind: 'run', runId: runSelect.value }, flowFilter: query.flowFilter });
  });
  timelineRunSelect.addEventListener('change', () => setQuery({ ...query, timelineRunId: timelineRunSelect.value || undefined }));
  const applyWindow = button(['Apply'], () => {
    const from = fromInput.value ? new Date(fromInput.value).getTime() : NaN;
    const to = toInput.value ? new Date(toInput.value).getTime() : NaN;
    if (Number.isFinite(from) && Number.isFinite(to)) setQuery({ selection: { kind: 'window', from, to }, flowFilter: query.flowFilter });
  }, { title: 'Show the runs that started inside this time window' });
  const windowBox = h('span', { class: 'window', id: 'window-box', hidden: true }, h('label', { class: 'inline' }, 'From ', fromInput), h('label', { class: 'inline' }, 'to ', toInput), applyWindow);
  kindButtons.window = button([icon('calendar'), ' Window…'], () => {
    windowBox.hidden = !windowBox.hidden;
    kindButtons.window.setAttribute('aria-expanded', String(!windowBox.hidden));
    if (!windowBox.hidden) fromInput.focus();
  }, { class: 'seg-solo', 'aria-expanded': 'false', 'aria-controls': 'window-box', title: 'Show the runs that started in a time window' });
  const header = h('header', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Run selection' },
    h('span', { class: 'brand' }, icon('graph'), ' Flowlens'),
    h('div', { class: 'seg-group' }, kindButtons.latest, kindButtons.all),
    h('label', { class: 'inline' }, 'Run ', runSelect),
    kindButtons.window,
    windowBox,
    h('span', { class: 'spacer' }),
    headerStatus,
    button([icon('refresh')], () => post({ type: 'refresh' }), { title: 'Refresh traces', 'aria-label': 'Refresh traces' }),
  );
  const sub = h('div', { class: 'subbar' }, selectionLabel, filterChip);
  root.append(header, sub, emptyState, h('main', {}, secFlows.el, secLatency.el, secFailures.el, secEvents.el, secTimeline.el, secDiff.el, secStores.el));
}

function setQuery(q: DashboardQuery): void {
  query = q;
  state.query = q;
  save();
  headerStatus.textContent = 'Updating…';
  post({ type: 'query', query: q });
}

function exportRun(format: 'chrome' | 'mermaid'): void {
  const runId = model?.timeline?.runId;
  if (runId) post({ type: 'export', format, runId });
}

// ---------------------------------------------------------------- header

function selectionKey(s: SelectionMsg): string {
  return s.kind;
}

function fillRunSelect(sel: HTMLSelectElement, m: Model, value: string | undefined, placeholder?: string): void {
  const opts: HTMLOptionElement[] = [];
  if (placeholder !== undefined) opts.push(h('option', { value: '' }, placeholder));
  for (const r of m.runs) {
    const label = `${r.id}${r.status !== 'ok' ? ` · ${r.status}` : ''}${r.failing ? ` · ${r.failing} failing` : ''}`;
    opts.push(h('option', { value: r.id }, label));
  }
  sel.replaceChildren(...opts);
  sel.value = value ?? '';
}

function renderHeader(m: Model): void {
  const kind = selectionKey(query.selection);
  for (const [k, b] of Object.entries(kindButtons)) {
    b.setAttribute('aria-pressed', String(k === kind));
    b.classList.toggle('active', k === kind);
  }
  fillRunSelect(runSelect, m, query.selection.kind === 'run' ? query.selection.runId : undefined, 'Pick a run…');
  if (query.selection.kind === 'window') {
    fromInput.value = toLocalInput(query.selection.from);
    toInput.value = toLocalInput(query.selection.to);
    (fromInput.closest('.window') as HTMLElement).hidden = false;
  }
  selectionLabel.textContent = m.selection.label;
  filterChip.replaceChildren();
  if (m.flowFilter) {
    filterChip.append(h('span', { class: 'chip' }, icon('filter'), ' ', m.flowFilter, ' ',
      button([icon('close')], () => setQuery({ ...query, flowFilter: undefined }), { class: 'icon', title: 'Show every flow', 'aria-label': 'Clear the flow filter' })));
  }
  headerStatus.replaceChildren(...(loading ? [icon('loading'), ' Reading traces…'] : live ? [h('span', { class: 'live-dot', 'aria-hidden': 'true' }), ' Live'] : []));
}

// ---------------------------------------------------------------- flows table

const COLUMNS: { key: SortKey; label: string; numeric: boolean; title?: string }[] = [
  { key: 'flow', label: 'Flow', numeric: false },
  { key: 'instances', label: 'Runs', numeric: true, title: 'Flow instances' },
  { key: 'successRate', label: 'Success', numeric: true },
  { key: 'p50Ms', label: 'p50', numeric: true },
  { key: 'p95Ms', label: 'p95', numeric: true },
  { key: 'maxMs', label: 'max', numeric: true },
  { key: 'slaP95Ms', label: 'SLA p95', numeric: true },
  { key: 'failures', label: 'Top failure classes', numeric: false },
  { key: 'lastFailure', label: 'Last failure', numeric: false },
];

function sortValue(r: FlowRow, k: SortKey): number | string | undefined {
  switch (k) {
    case 'flow':
      return r.flow;
    case 'failures':
      return r.failed + r.exceptions;
    case 'lastFailure':
      return r.lastFailure?.ts;
    default:
      return r[k];
  }
}

function sortedRows(rows: FlowRow[]): FlowRow[] {
  const { key, dir } = state.sort;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === y) return a.flow < b.flow ? -1 : 1;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return (x < y ? -1 : 1) * dir;
  });
}

function renderFlows(m: Model): void {
  const body = secFlows.body;
  if (!m.flows.length) {
    body.replaceChildren(h('p', { class: 'calm' }, m.selection.kind === 'none' ? m.selection.label : 'No flows in the selected runs.'));
    return;
  }
  const headRow = h('tr', {}, ...COLUMNS.map((c) => {
    const sorted = state.sort.key === c.key;
    const th = h('th', { scope: 'col', class: c.numeric ? 'num' : undefined, tabindex: 0, 'aria-sort': sorted ? (state.sort.dir === 1 ? 'ascending' : 'descending') : 'none', title: c.title ? `${c.title} — sort` : `Sort by ${c.label}` },
      c.label, sorted ? h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, state.sort.dir === 1 ? ' ▴' : ' ▾') : '');
    const activate = (): void => {
      state.sort = { key: c.key, dir: state.sort.key === c.key ? (state.sort.dir === 1 ? -1 : 1) : c.numeric ? -1 : 1 };
      save();
      renderFlows(m);
      (secFlows.body.querySelector(`th:nth-child(${COLUMNS.indexOf(c) + 1})`) as HTMLElement | null)?.focus();
    };
    th.addEventListener('click', activate);
    th.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        activate();
      }
    });
    return th;
  }));
  const rows = sortedRows(m.flows).map((r) => {
    const selected = m.flowFilter === r.flow;
    const rate = r.successRate;
    const bar = h('span', { class: 'rate' },
      h('span', { class: 'rate-bar', 'aria-hidden': 'true' }, h('span', { class: `rate-fill ${rate !== undefined && rate < 1 ? 'partial' : ''}`, 'data-rate': rate ?? '' })),
      h('span', { class: 'rate-text' }, fmtPct(rate)));
    const fill = bar.querySelector('.rate-fill') as HTMLElement;
    fill.style.width = `${Math.round((rate ?? 0) * 100)}%`;
    const breach = r.slaBreached ? h('span', { class: 'breach', title: `p95 ${fmtMs(r.p95Ms)} is above the SLA ${fmtMs(r.slaP95Ms)}`, 'aria-label': 'SLA breached' }, '▲') : '';
    const classes = h('span', { class: 'classes' }, ...r.topFailureClasses.map((c) => h('span', { class: `badge dom-${c.failureClass.split('.')[0].toLowerCase()}`, title: `${c.count} × ${c.failureClass}` }, c.failureClass, h('span', { class: 'count' }, ` ${c.count}`))));
    const lf = r.lastFailure;
    const last = lf ? h('span', { class: 'last' }, locButton(lf), h('span', { class: 'muted', title: lf.reason ?? '' }, ` ${lf.failureClass ?? lf.verdict}`)) : h('span', { class: 'muted' }, '—');
    const tr = h('tr', { class: selected ? 'selected' : undefined, tabindex: 0, 'aria-selected': String(selected), 'data-flow': r.flow, title: selected ? 'Click to show every flow' : `Focus the page on ${r.flow}` },
      h('td', { class: 'flow-name' }, r.flow),
      h('td', { class: 'num' }, r.instances, r.orphaned + r.running ? h('span', { class: 'muted', title: `${r.orphaned} orphaned, ${r.running} running` }, ` (+${r.orphaned + r.running})`) : ''),
      h('td', { class: 'num' }, bar),
      h('td', { class: 'num' }, fmtMs(r.p50Ms)),
      h('td', { class: `num ${r.slaBreached ? 'breached' : ''}` }, fmtMs(r.p95Ms), r.slaBreached ? ' ' : '', breach),
      h('td', { class: 'num' }, fmtMs(r.maxMs)),
      h('td', { class: 'num' }, r.slaP95Ms === undefined ? '–' : fmtMs(r.slaP95Ms)),
      h('td', {}, classes),
      h('td', {}, last));
    const toggle = (): void => setQuery({ ...query, flowFilter: selected ? undefined : r.flow });
    tr.addEventListener('click', toggle);
    tr.addEventListener('keydown', (e) => {
      if ((e.key === 'Enter' || e.key === ' ') && e.target === tr) {
        e.preventDefault();
        toggle();
      }
    });
    return tr;
  });
  const table = h('table', { class: 'grid flows-table', 'aria-label': 'Flows' }, h('thead', {}, headRow), h('tbody', {}, ...rows));
  body.replaceChildren(h('div', { class: 'table-wrap' }, table));
}

// ---------------------------------------------------------------- charts

const charts = new Map<string, Chart>();
const chartConfigs = new Map<string, () => ChartConfiguration>();

/** Creates or updates the chart in `holder` (a fixed-height box, so nothing jumps). */
function chartIn(holder: HTMLElement, key: string, make: () => ChartConfiguration): void {
  chartConfigs.set(key, make);
  let c = charts.get(key);
  if (c && c.canvas.isConnected && holder.contains(c.canvas)) {
    const cfg = make();
    c.data = cfg.data;
    c.options = cfg.options ?? {};
    c.update('none');
    return;
  }
  c?.destroy();
  const canvas = h('canvas', { role: 'img', 'aria-label': key });
  holder.replaceChildren(canvas);
  c = new Chart(canvas, make());
  charts.set(key, c);
}

function pruneCharts(): void {
  for (const [k, c] of charts) {
    if (!c.canvas.isConnected) {
      c.destroy();
      charts.delete(k);
      chartConfigs.delete(k);
    }
  }
}

function redrawCharts(): void {
  for (const [k, c] of charts) {
    const make = chartConfigs.get(k);
    if (!make) continue;
    const cfg = make();
    c.data = cfg.data;
    c.options = cfg.options ?? {};
    c.update('none');
  }
}

function baseOptions(extra: { stacked?: boolean; horizontal?: boolean; legend?: boolean; yTitle?: string } = {}): ChartConfiguration['options'] {
  const tick = { color: palette.muted, font: { family: palette.font } };
  const grid = { color: palette.grid };
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    indexAxis: extra.horizontal ? 'y' : 'x',
    plugins: {
      legend: { display: !!extra.legend, labels: { color: palette.fg, boxWidth: 12, font: { family: palette.font } } },
      tooltip: { enabled: true },
    },
    scales: {
      x: { stacked: extra.stacked, ticks: extra.horizontal ? { ...tick, precision: 0 } : tick, grid, border: { color: palette.grid } },
      y: { stacked: extra.stacked, ticks: extra.horizontal ? tick : { ...tick, precision: extra.yTitle?.includes('ms') ? undefined : 0 }, grid, border: { color: palette.grid }, beginAtZero: true, title: extra.yTitle ? { display: true, text: extra.yTitle, color: palette.muted } : undefined },
    },
  } as ChartConfiguration['options'];
}

/** Draws the SLA as a dashed vertical line at a (fractional) category position. */
function slaLinePlugin(pos: number | undefined, label: string): Plugin {
  return {
    id: 'slaLine',
    afterDatasetsDraw(chart) {
      if (pos === undefined) return;
      const x = chart.scales.x.getPixelForValue(pos);
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = palette.red;
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = palette.red;
      ctx.font = `11px ${palette.font}`;
      ctx.textAlign = x > chart.chartArea.right - 60 ? 'right' : 'left';
      ctx.fillText(label, x + (ctx.textAlign === 'right' ? -4 : 4), top + 10);
      ctx.restore();
    },
  };
}

function renderLatency(m: Model): void {
  const body = secLatency.body;
  const flows = m.latency.flows;
  if (!flows.length) {
    body.replaceChildren(h('p', { class: 'calm' }, 'No flow durations in the selected runs.'));
    return;
  }
  const grid = h('div', { class: 'card-grid' });
  for (const f of flows) {
    const histBox = h('div', { class: 'chart-box' });
    const trendBox = h('div', { class: 'chart-box' });
    const stats = h('div', { class: 'card-stats' },
      h('span', {}, 'p95 ', h('strong', { class: f.slaBreached ? 'breached' : undefined }, fmtMs(f.p95Ms))),
      f.slaP95Ms !== undefined ? h('span', {}, 'SLA ', h('strong', {}, fmtMs(f.slaP95Ms)), f.slaBreached ? h('span', { class: 'breach', 'aria-label': 'SLA breached' }, ' ▲') : '') : h('span', { class: 'muted' }, 'no SLA'));
    grid.append(h('div', { class: 'card' }, h('h3', { title: f.flow }, f.flow), stats, h('div', { class: 'chart-pair' }, histBox, trendBox)));
    const key = `hist:${f.flow}`;
    // Boxes are new elements: charts are recreated into them after they are attached.
    queueMicrotask(() => {
      chartIn(histBox, key, () => ({
        type: 'bar',
        data: { labels: f.buckets.map((b) => b.label), datasets: [{ label: 'instances', data: f.buckets.map((b) => b.count), backgroundColor: palette.blue, borderRadius: 2 }] },
        options: baseOptions({ yTitle: 'instances' }),
        plugins: [slaLinePlugin(f.slaPosition, f.slaP95Ms !== undefined ? `SLA ${fmtMs(f.slaP95Ms)}` : '')],
      }));
      chartIn(trendBox, `trend:${f.flow}`, () => {
        const pts = f.trend;
        const datasets: NonNullable<ChartConfiguration<'line'>['data']>['datasets'] = [{
          label: 'p95',
          data: pts.map((p) => p.p95Ms ?? null),
          borderColor: palette.orange,
          backgroundColor: palette.orange,
          pointBackgroundColor: pts.map((p) => (p.slaBreached ? palette.red : palette.orange)),
          pointRadius: 3,
          spanGaps: true,
          tension: 0.2,
        }];
        if (f.slaP95Ms !== undefined) datasets.push({ label: 'SLA', data: pts.map(() => f.slaP95Ms as number), borderColor: palette.red, borderDash: [5, 4], pointRadius: 0, borderWidth: 1 });
        return {
          type: 'line',
          data: { labels: pts.map((p) => runLabel(p.runId)), datasets },
          options: { ...baseOptions({ legend: true, yTitle: 'p95 ms' }), plugins: { legend: { display: true, labels: { color: palette.fg, boxWidth: 12 } }, tooltip: { callbacks: { title: (items) => pts[items[0]?.dataIndex ?? 0]?.runId ?? '' } } } },
        } as ChartConfiguration;
      });
    });
  }
  body.replaceChildren(grid);
}

function renderFailures(m: Model): void {
  const f = m.failures;
  const body = secFailures.body;
  if (f.total === 0 && !f.changes?.fixed.length) {
    body.replaceChildren(h('p', { class: 'calm' }, icon('pass'), ' No failures or exceptions in the selected runs.'));
    return;
  }
  const classBox = h('div', { class: 'chart-box tall' });
  const domainBox = h('div', { class: 'chart-box tall' });
  const firstLatest = h('table', { class: 'grid', 'aria-label': 'First and latest failure per flow' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Flow'), h('th', { scope: 'col', class: 'num' }, 'Failures'), h('th', { scope: 'col' }, 'First'), h('th', { scope: 'col' }, 'Latest'))),
    h('tbody', {}, ...f.firstLatest.map((x) => h('tr', {},
      h('td', { class: 'flow-name' }, x.flow),
      h('td', { class: 'num' }, x.count),
      h('td', {}, x.first ? failureCell(x.first) : '—'),
      h('td', {}, x.latest ? failureCell(x.latest) : '—')))));
  const parts: Child[] = [
    h('div', { class: 'two-col' },
      h('div', { class: 'card' }, h('h3', {}, 'By failure class'), classBox),
      h('div', { class: 'card' }, h('h3', {}, 'By domain'), domainBox)),
  ];
  if (f.changes) {
    const c = f.changes;
    const list = (title: string, cls: string, items: typeof c.fixed, iconName: string): HTMLElement =>
      h('div', { class: `card change ${cls}` }, h('h3', {}, icon(iconName), ` ${title} `, h('span', { class: 'count-badge' }, items.length)),
        items.length ? h('ul', {}, ...items.map((x) => h('li', {}, h('span', { class: 'flow-name' }, x.flow), ' ', x.failureClass ? h('span', { class: 'badge' }, x.failureClass) : '', ' ', locButton(x), x.reason ? h('div', { class: 'muted reason' }, x.reason) : ''))) : h('p', { class: 'muted' }, 'none'));
    parts.push(h('p', { class: 'muted' }, 'Run ', h('strong', {}, c.current), ' against the run before it, ', h('strong', {}, c.base), ':'));
    parts.push(h('div', { class: 'three-col' },
      list('New failures', 'new', c.newlyFailing, 'error'),
      list('Fixed', 'fixed', c.fixed, 'pass'),
      list('Still failing', 'still', c.stillFailing, 'warning')));
  }
  if (f.firstLatest.length) parts.push(h('div', { class: 'table-wrap' }, firstLatest));
  body.replaceChildren(...parts.filter((p): p is HTMLElement => p instanceof HTMLElement));
  queueMicrotask(() => {
    chartIn(classBox, 'failures:class', () => ({
      type: 'bar',
      data: { labels: f.byClass.map((c) => c.failureClass), datasets: [{ label: 'failures', data: f.byClass.map((c) => c.count), backgroundColor: palette.red, borderRadius: 2 }] },
      options: baseOptions({ horizontal: true }),
    }));
    chartIn(domainBox, 'failures:domain', () => ({
      type: 'bar',
      data: { labels: f.byDomain.map((d) => d.domain), datasets: [{ label: 'failures', data: f.byDomain.map((d) => d.count), backgroundColor: f.byDomain.map((_, i) => seriesColors(palette)[i % 8]), borderRadius: 2 }] },
      options: baseOptions(),
    }));
  });
}

function failureCell(x: NonNullable<Model['failures']['firstLatest'][number]['first']>): HTMLElement {
  return h('span', { class: 'failure-cell' },
    h('span', { class: 'badge' }, x.failureClass ?? x.verdict), ' ', locButton(x),
    h('div', { class: 'muted small' }, `${x.runId}${x.ts !== undefined ? ` · ${fmtTime(x.ts)}` : ''}`),
    x.reason ? h('div', { class: 'muted reason' }, x.reason) : '');
}

function renderEvents(m: Model): void {
  const e = m.events;
  const body = secEvents.body;
  if (!e.runs.length || e.runs.every((r) => r.total === 0)) {
    body.replaceChildren(h('p', { class: 'calm' }, 'No events in the selected runs.'));
    return;
  }
  const typeBox = h('div', { class: 'chart-box tall' });
  const sevBox = h('div', { class: 'chart-box tall' });
  body.replaceChildren(h('div', { class: 'two-col' },
    h('div', { class: 'card' }, h('h3', {}, 'By type'), typeBox),
    h('div', { class: 'card' }, h('h3', {}, 'By severity'), sevBox)));
  const labels = e.runs.map((r) => runLabel(r.runId));
  const sevColor = (s: string): string => (s === 'critical' ? palette.purple : s === 'error' ? palette.red : s === 'warning' ? palette.yellow : s === 'info' ? palette.blue : palette.muted);
  queueMicrotask(() => {
    chartIn(typeBox, 'events:type', () => ({
      type: 'bar',
      data: { labels, datasets: e.types.map((t, i) => ({ label: t, data: e.runs.map((r) => r.byType[t] ?? 0), backgroundColor: seriesColors(palette)[i % 8] })) },
      options: baseOptions({ stacked: true, legend: true }),
    }));
    chartIn(sevBox, 'events:severity', () => ({
      type: 'bar',
      data: { labels, datasets: e.severities.length ? e.severities.map((s) => ({ label: s, data: e.runs.map((r) => r.bySeverity[s] ?? 0), backgroundColor: sevColor(s) })) : [{ label: 'no severities', data: e.runs.map(() => 0) }] },
      options: baseOptions({ stacked: true, legend: true }),
    }));
  });
}

// ---------------------------------------------------------------- timeline (own canvas, virtualised)

const ROW = 22;
const HEAD = 24;
const tl = {
  wrap: h('div', { class: 'timeline-wrap' }),
  scroll: h('div', { class: 'timeline-scroll', tabindex: 0, role: 'listbox', 'aria-label': 'Run timeline: arrow keys move, Enter opens the code' }),
  canvas: h('canvas', { class: 'timeline-canvas', 'aria-hidden': 'true' }),
  spacer: h('div', { class: 'timeline-spacer' }),
  tip: h('div', { class: 'tooltip', role: 'tooltip', hidden: true }),
  live: h('div', { class: 'sr-only', 'aria-live': 'polite' }),
  rows: [] as TimelineRow[],
  spanMs: 0,
  hover: -1,
  selected: -1,
  raf: 0,
  kbTip: false,
};
tl.scroll.append(tl.canvas, tl.spacer);
tl.wrap.append(tl.scroll, tl.tip, tl.live);

function tlLabelWidth(): number {
  return Math.min(320, Math.max(160, tl.scroll.clientWidth * 0.3));
}

function scheduleTimelineDraw(): void {
  if (tl.raf) return;
  tl.raf = requestAnimationFrame(() => {
    tl.raf = 0;
    drawTimeline();
  });
}

function drawTimeline(): void {
  const c = tl.canvas;
  const w = tl.scroll.clientWidth;
  const viewH = tl.scroll.clientHeight;
  if (!w || !viewH) return;
  const dpr = window.devicePixelRatio || 1;
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(viewH * dpr)) {
    c.width = Math.round(w * dpr);
    c.height = Math.round(viewH * dpr);
    c.style.width = `${w}px`;
    c.style.height = `${viewH}px`;
  }
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, viewH);
  const labelW = tlLabelWidth();
  const barX = labelW + 8;
  const barW = Math.max(40, w - barX - 12);
  const span = tl.spanMs || 1;
  const top = tl.scroll.scrollTop;
  const first = Math.max(0, Math.floor(top / ROW));
  const last = Math.min(tl.rows.length - 1, Math.ceil((top + viewH - HEAD) / ROW));
  ctx.font = `12px ${palette.font}`;
  ctx.textBaseline = 'middle';
  // Grid lines and time axis.
  const ticks = 6;
  for (let i = 0; i <= ticks; i++) {
    const x = barX + (barW * i) / ticks;
    ctx.strokeStyle = palette.grid;
    ctx.globalAlpha = 0.5;
    ctx.beginPath();
    ctx.moveTo(x + 0.5, HEAD);
    ctx.lineTo(x + 0.5, viewH);
    ctx.stroke();
    ctx.globalAlpha = 1;
  }
  for (let i = first; i <= last; i++) {
    const r = tl.rows[i];
    const y = HEAD + i * ROW - top;
    if (i === tl.selected || i === tl.hover) {
      ctx.fillStyle = i === tl.selected ? palette.selection : palette.hover;
      ctx.fillRect(0, y, w, ROW);
    }
    const indent = 8 + r.depth * 14;
    ctx.fillStyle = r.verdict === 'failed' || r.verdict === 'exception' ? palette.red : palette.fg;
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, y, labelW, ROW);
    ctx.clip();
    if (r.depth > 0) {
      ctx.fillStyle = palette.muted;
      ctx.fillText('└', indent - 12, y + ROW / 2);
      ctx.fillStyle = r.verdict === 'failed' || r.verdict === 'exception' ? palette.red : palette.fg;
    }
    ctx.fillText(r.name, indent, y + ROW / 2);
    ctx.restore();
    if (r.startMs !== undefined) {
      const x = barX + (r.startMs / span) * barW;
      const bw = Math.max(2, ((r.durMs ?? 0) / span) * barW);
      ctx.fillStyle = verdictColor(palette, r.verdict);
      ctx.globalAlpha = r.verdict === 'running' || r.verdict === 'orphaned' ? 0.6 : 0.9;
      ctx.fillRect(x, y + 5, bw, ROW - 10);
      ctx.globalAlpha = 1;
      const label = fmtMs(r.durMs);
      const tw = ctx.measureText(label).width;
      ctx.fillStyle = palette.muted;
      if (x + bw + 6 + tw < barX + barW) ctx.fillText(label, x + bw + 6, y + ROW / 2);
      else if (x - 6 - tw > barX) {
        ctx.textAlign = 'right';
        ctx.fillText(label, x - 6, y + ROW / 2);
        ctx.textAlign = 'left';
      }
    }
  }
  // Axis on top of the rows.
  ctx.fillStyle = palette.bg;
  ctx.fillRect(0, 0, w, HEAD);
  ctx.fillStyle = palette.muted;
  ctx.font = `11px ${palette.font}`;
  ctx.fillText(`${tl.rows.length} flows`, 8, HEAD / 2);
  for (let i = 0; i <= ticks; i++) {
    const x = barX + (barW * i) / ticks;
    ctx.textAlign = i === 0 ? 'left' : i === ticks ? 'right' : 'center';
    ctx.fillText(fmtMs((tl.spanMs * i) / ticks), x, HEAD / 2);
  }
  ctx.textAlign = 'left';
  ctx.strokeStyle = palette.grid;
  ctx.beginPath();
  ctx.moveTo(0, HEAD - 0.5);
  ctx.lineTo(w, HEAD - 0.5);
  ctx.stroke();
}

function tlRowAt(clientY: number): number {
  const rect = tl.scroll.getBoundingClientRect();
  const y = clientY - rect.top - HEAD + tl.scroll.scrollTop;
  if (clientY - rect.top < HEAD) return -1;
  const i = Math.floor(y / ROW);
  return i >= 0 && i < tl.rows.length ? i : -1;
}

function tipText(r: TimelineRow): string {
  const lines = [r.name, `${r.verdict}${r.failureClass ? ` · ${r.failureClass}` : ''} · ${fmtMs(r.durMs)}${r.startMs !== undefined ? ` at +${fmtMs(r.startMs)}` : ''}`];
  if (r.step) lines.push(`step: ${r.step}`);
  if (r.reason) lines.push(`reason: ${r.reason}`);
  if (r.evidence) lines.push(`evidence: ${r.evidence}`);
  if (r.file) lines.push(`${r.file}${r.line ? `:${r.line}` : ''}${r.file ? ' — click to open' : ''}`);
  lines.push(`flow id: ${r.id}`);
  return lines.join('\n');
}

function showTip(i: number, clientX?: number, clientY?: number): void {
  tl.kbTip = clientX === undefined;
  if (i < 0) {
    tl.tip.hidden = true;
    return;
  }
  tl.tip.textContent = tipText(tl.rows[i]);
  tl.tip.hidden = false;
  const wrapRect = tl.wrap.getBoundingClientRect();
  const scrollRect = tl.scroll.getBoundingClientRect();
  const x = clientX !== undefined ? clientX - wrapRect.left + 14 : tlLabelWidth();
  const y = clientY !== undefined ? clientY - wrapRect.top + 14 : HEAD + (i + 1) * ROW - tl.scroll.scrollTop + (scrollRect.top - wrapRect.top);
  const maxX = wrapRect.width - tl.tip.offsetWidth - 4;
  tl.tip.style.left = `${Math.max(4, Math.min(x, maxX))}px`;
  tl.tip.style.top = `${Math.max(4, y)}px`;
}

function openRow(i: number): void {
  const r = tl.rows[i];
  if (r?.file) post({ type: 'openLocation', file: r.file, line: r.line });
}

function selectRow(i: number, announce = true): void {
  tl.selected = Math.max(0, Math.min(tl.rows.length - 1, i));
  state.timelineSelected = tl.rows[tl.selected]?.id;
  save();
  const y = tl.selected * ROW;
  const viewH = tl.scroll.clientHeight - HEAD;
  if (y < tl.scroll.scrollTop) tl.scroll.scrollTop = y;
  else if (y + ROW > tl.scroll.scrollTop + viewH) tl.scroll.scrollTop = y + ROW - viewH;
  if (announce && tl.rows[tl.selected]) {
    const r = tl.rows[tl.selected];
    tl.live.textContent = `${r.name}, ${r.verdict}, ${fmtMs(r.durMs)}${r.reason ? `, ${r.reason}` : ''}`;
    showTip(tl.selected);
  }
  scheduleTimelineDraw();
}

function wireTimeline(): void {
  tl.scroll.addEventListener('scroll', () => {
    state.timelineScroll = tl.scroll.scrollTop;
    save();
    // A keyboard-selected row keeps its tooltip (it scrolled into view); a mouse one follows the pointer.
    if (tl.kbTip && tl.selected >= 0) showTip(tl.selected);
    else tl.tip.hidden = true;
    scheduleTimelineDraw();
  }, { passive: true });
  tl.scroll.addEventListener('mousemove', (e) => {
    const i = tlRowAt(e.clientY);
    if (i !== tl.hover) {
      tl.hover = i;
      scheduleTimelineDraw();
    }
    showTip(i, e.clientX, e.clientY);
    tl.scroll.style.cursor = i >= 0 && tl.rows[i].file ? 'pointer' : 'default';
  });
  tl.scroll.addEventListener('mouseleave', () => {
    tl.hover = -1;
    tl.tip.hidden = true;
    scheduleTimelineDraw();
  });
  tl.scroll.addEventListener('click', (e) => {
    const i = tlRowAt(e.clientY);
    if (i < 0) return;
    selectRow(i, false);
    openRow(i);
  });
  tl.scroll.addEventListener('keydown', (e) => {
    const page = Math.max(1, Math.floor((tl.scroll.clientHeight - HEAD) / ROW) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (e.key in moves) {
      e.preventDefault();
      selectRow((tl.selected < 0 ? -1 : tl.selected) + moves[e.key]);
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      selectRow(e.key === 'Home' ? 0 : tl.rows.length - 1);
    } else if ((e.key === 'Enter' || e.key === ' ') && tl.selected >= 0) {
      e.preventDefault();
      openRow(tl.selected);
    } else if (e.key === 'Escape') {
      tl.tip.hidden = true;
    }
  });
  tl.scroll.addEventListener('blur', () => (tl.tip.hidden = true));
  new ResizeObserver(() => scheduleTimelineDraw()).observe(tl.scroll);
}

function renderTimeline(m: Model): void {
  const t = m.timeline;
  fillRunSelect(timelineRunSelect, m, t?.runId);
  exportChrome.disabled = !t;
  exportMermaid.disabled = !t;
  if (!t || !t.rows.length) {
    secTimeline.body.replaceChildren(h('p', { class: 'calm' }, t ? 'This run has no flows.' : 'No run selected.'));
    return;
  }
  const sameRun = tl.rows.length > 0 && tl.rows[0] && secTimeline.body.contains(tl.wrap) && (tl.scroll.dataset.run ?? '') === t.runId;
  const keepId = sameRun ? tl.rows[tl.selected]?.id ?? state.timelineSelected : state.timelineSelected;
  tl.rows = t.rows;
  tl.spanMs = t.spanMs;
  tl.selected = keepId ? t.rows.findIndex((r) => r.id === keepId) : -1;
  tl.hover = -1;
  // Height is reserved from the row count (capped): live updates never make the page jump.
  const viewH = Math.min(HEAD + t.rows.length * ROW, 520);
  tl.scroll.style.height = `${viewH}px`;
  tl.canvas.style.height = `${viewH}px`;
  tl.spacer.style.height = `${Math.max(0, HEAD + t.rows.length * ROW - viewH)}px`;
  if (!secTimeline.body.contains(tl.wrap)) {
    const legend = h('div', { class: 'legend' }, ...['succeeded', 'failed', 'exception', 'orphaned', 'running'].map((v) => h('span', { class: `legend-item v-${v}` }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), v)));
    secTimeline.body.replaceChildren(legend, tl.wrap);
  }
  if (!sameRun) tl.scroll.scrollTop = tl.scroll.dataset.run === undefined ? state.timelineScroll : 0;
  tl.scroll.dataset.run = t.runId;
  scheduleTimelineDraw();
}

// ---------------------------------------------------------------- diff

function renderDiff(m: Model): void {
  const changes = m.failures.changes;
  const a = query.diff?.a ?? changes?.base ?? m.runs[1]?.id;
  const b = query.diff?.b ?? changes?.current ?? m.runs[0]?.id;
  fillRunSelect(diffA, m, a);
  fillRunSelect(diffB, m, b);
  const d = m.diff;
  const desc = secDiff.head.querySelector('.section-desc') as HTMLElement;
  desc.textContent = d ? `${d.b} against ${d.a} — slower means p95 up more than ${d.slowerThresholdPct}%` : 'pick two runs: new, gone, newly failing, fixed and slower flows';
  if (!d) {
    diffResult.replaceChildren(h('p', { class: 'calm' }, m.runs.length < 2 ? 'A diff needs at least two runs.' : 'Pick a base run and a run to compare, then Compare.'));
    return;
  }
  const summary = h('div', { class: 'diff-summary' }, ...Object.entries(d.counts).map(([k, n]) => h('span', { class: `pill cat-${k.replace(/ /g, '-')}` }, `${k} `, h('strong', {}, n))));
  if (!d.rows.length) {
    diffResult.replaceChildren(summary, h('p', { class: 'calm' }, 'No differences.'));
    return;
  }
  const table = h('table', { class: 'grid', 'aria-label': 'Run diff' },
    h('thead', {}, h('tr', {}, ...['Change', 'Flow', 'Before', 'After', 'What changed', 'Code'].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, ...d.rows.map((r) => h('tr', {},
      h('td', {}, h('span', { class: `pill cat-${r.category.replace(/ /g, '-')}` }, r.category)),
      h('td', { class: 'flow-name' }, r.flow),
      h('td', { class: 'muted' }, r.before ?? '—'),
      h('td', {}, r.after ?? '—'),
      h('td', {}, r.changes.length ? h('ul', { class: 'changes' }, ...r.changes.map((c) => h('li', {}, c))) : ''),
      h('td', {}, locButton(r))))));
  diffResult.replaceChildren(summary, h('div', { class: 'table-wrap' }, table));
}

// ---------------------------------------------------------------- stores

function renderStores(m: Model): void {
  if (!m.stores.length) {
    secStores.body.replaceChildren(h('p', { class: 'calm' }, icon('database'), ' No Pulse, sovereignty or brainstem stores in this workspace. Add one with the flowlens.extraStores setting.'));
    return;
  }
  secStores.body.replaceChildren(h('div', { class: 'card-grid wide' }, ...m.stores.map((s) => h('div', { class: 'card store' },
    h('h3', { title: s.path }, icon('database'), ` ${s.name} `, h('span', { class: 'badge' }, s.kind)),
    s.problems.length ? h('ul', { class: 'problems' }, ...s.problems.map((p) => h('li', {}, icon('warning'), ' ', p))) : '',
    h('dl', { class: 'stats' }, ...s.stats.flatMap((x) => [h('dt', {}, x.label), h('dd', {}, x.value)])),
    ...s.tables.map((t) => h('details', { open: s.tables.indexOf(t) < 2 },
      h('summary', {}, t.title),
      h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact' },
        h('thead', {}, h('tr', {}, ...t.columns.map((c, i) => h('th', { scope: 'col', class: i > 0 && typeof t.rows[0]?.[i] === 'number' ? 'num' : undefined }, c)))),
        h('tbody', {}, ...t.rows.slice(0, 50).map((row) => h('tr', {}, ...row.map((v) => h('td', { class: typeof v === 'number' ? 'num' : undefined }, v)))))))))))));
}

// ---------------------------------------------------------------- render + messages

function render(): void {
  const m = model;
  if (!m) return;
  renderHeader(m);
  const empty = m.runs.length === 0;
  emptyState.hidden = !empty;
  if (empty) {
    emptyState.replaceChildren(icon(loading ? 'loading' : 'graph'), h('h2', {}, loading ? 'Reading traces…' : 'No runs yet'),
      h('p', {}, loading ? 'Flowlens is reading the traces of this workspace.' : 'The dashboard fills in as soon as your app writes a flow trace (for example .autodev/trace.jsonl).'));
  }
  (root.querySelector('main') as HTMLElement).hidden = empty;
  if (empty) return;
  renderFlows(m);
  renderLatency(m);
  renderFailures(m);
  renderEvents(m);
  renderTimeline(m);
  renderDiff(m);
  renderStores(m);
  queueMicrotask(pruneCharts);
}

function onHostMessage(msg: HostMessage): void {
  switch (msg.type) {
    case 'model': {
      const first = model === undefined;
      model = msg.model;
      query = msg.query;
      state.query = msg.query;
      loading = msg.loading;
      live = msg.live;
      save();
      render();
      if (first && state.scrollY) window.scrollTo(0, state.scrollY);
      break;
    }
    case 'exported':
      headerStatus.textContent = `Exported ${msg.path}`;
      break;
    case 'error':
      headerStatus.textContent = msg.message;
      break;
  }
}

function main(): void {
  palette = readPalette();
  buildSkeleton();
  wireTimeline();
  window.addEventListener('message', (e: MessageEvent) => {
    if (isHostMessage(e.data)) onHostMessage(e.data);
  });
  window.addEventListener('scroll', () => {
    state.scrollY = window.scrollY;
    save();
  }, { passive: true });
  // VS Code swaps vscode-light / vscode-dark / vscode-high-contrast on <body> when the theme changes.
  new MutationObserver(() => {
    palette = readPalette();
    redrawCharts();
    scheduleTimelineDraw();
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  post({ type: 'ready' });
}

main();
