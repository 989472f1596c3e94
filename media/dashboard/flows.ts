/**
 * Flows section: one row per flow name over the selected runs (instances, success, p50/p95/max against the
 * SLA, top failure classes, last failure). Columns sort by click or Enter/Space; a row click or
 * Enter/Space focuses the page on that flow (or clears the focus).
 */
import { h, slashBreaks } from './dom';
import { fmtMs, fmtPct } from './format';
import { setSort, state, type SortKey } from './state';
import type { FlowRow, Model, OnQuery, Section } from './types';
import { locButton, section } from './widgets';

const COLUMNS: readonly { key: SortKey; label: string; numeric: boolean; title?: string }[] = [
  { key: 'flow', label: 'Flow', numeric: false },
  // Named for what it counts (issue 16): flow instances — one run can hold several of one flow —
  // as the CodeLens says "N instances in M runs".
  { key: 'instances', label: 'Instances', numeric: true, title: 'Flow instances in the selected runs (one run can hold several), unfinished ones included' },
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
  const { key, dir } = state.view.sort;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === y) return a.flow < b.flow ? -1 : 1;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return (x < y ? -1 : 1) * dir;
  });
}

/**
 * The unfinished instances, already counted in the total: "incl. 1 running" under "17" — never
 * "17 (+1)", which reads like 18 (issue 16).
 */
function unfinished(r: FlowRow): HTMLElement | string {
  const parts = [r.running ? `${r.running} running` : '', r.orphaned ? `${r.orphaned} orphaned` : ''].filter(Boolean);
  if (!parts.length) return '';
  return h('span', { class: 'muted unfinished', title: `of the ${r.instances} instances, ${parts.join(' and ')} (no verdict)` }, h('br'), `incl. ${parts.join(', ')}`);
}

export function createFlows(onQuery: OnQuery): Section {
  const sec = section('flows', 'Flows', 'per flow name over the selected runs — click a row to focus the page on that flow');

  function render(m: Model): void {
    const body = sec.body;
    if (!m.flows.length) {
      body.replaceChildren(h('p', { class: 'calm' }, m.selection.kind === 'none' ? m.selection.label : 'No flows in the selected runs.'));
      return;
    }
    const sort = state.view.sort;
    const headRow = h('tr', {}, ...COLUMNS.map((c) => {
      const sorted = sort.key === c.key;
      const th = h('th', { scope: 'col', class: c.numeric ? 'num' : undefined, tabindex: 0, 'aria-sort': sorted ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none', title: c.title ? `${c.title} — sort` : `Sort by ${c.label}` },
        c.label, sorted ? h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, sort.dir === 1 ? ' ▴' : ' ▾') : '');
      const activate = (): void => {
        const now = state.view.sort;
        setSort({ key: c.key, dir: now.key === c.key ? (now.dir === 1 ? -1 : 1) : c.numeric ? -1 : 1 });
        render(m);
        (sec.body.querySelector(`th:nth-child(${COLUMNS.indexOf(c) + 1})`) as HTMLElement | null)?.focus();
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
        h('td', { class: 'flow-name' }, ...slashBreaks(r.flow)),
        h('td', { class: 'num' }, String(r.instances), unfinished(r)),
        h('td', { class: 'num' }, bar),
        h('td', { class: 'num' }, fmtMs(r.p50Ms)),
        h('td', { class: `num ${r.slaBreached ? 'breached' : ''}` }, fmtMs(r.p95Ms), r.slaBreached ? ' ' : '', breach),
        h('td', { class: 'num' }, fmtMs(r.maxMs)),
        h('td', { class: 'num' }, r.slaP95Ms === undefined ? '—' : fmtMs(r.slaP95Ms)),
        h('td', {}, classes),
        h('td', {}, last));
      const toggle = (): void => onQuery({ ...state.query, flowFilter: selected ? undefined : r.flow });
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

  return { el: sec.el, render };
}
