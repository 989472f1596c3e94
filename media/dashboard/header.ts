/**
 * The toolbar (which runs: latest, all, one run, a time window; status; refresh) and the bar
 * under it (what is selected, the flow filter chip).
 */
import { button, h, icon } from './dom';
import { toLocalInput } from './format';
import { post } from './messaging';
import { state } from './state';
import type { Model, OnQuery } from './types';
import { fillRunSelect } from './widgets';

export interface Header {
  /** The toolbar and the selection bar, in page order. */
  els: HTMLElement[];
  /** Replaces the status text at the right of the toolbar ("Updating…", an export path, an error). */
  setStatus(text: string): void;
  render(m: Model): void;
}

export function createHeader(onQuery: OnQuery): Header {
  const headerStatus = h('span', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const selectionLabel = h('span', { class: 'selection-label' });
  const filterChip = h('span', { class: 'filter-chip-slot' });
  const runSelect = h('select', { 'aria-label': 'Run', id: 'run-select' });
  const fromInput = h('input', { type: 'datetime-local', 'aria-label': 'Window from' });
  const toInput = h('input', { type: 'datetime-local', 'aria-label': 'Window to' });

  const kindButton = (kind: 'latest' | 'all', label: string): HTMLButtonElement =>
    button([label], () => onQuery({ selection: { kind }, flowFilter: state.query.flowFilter }), { class: 'seg', 'aria-pressed': 'false' });
  const latest = kindButton('latest', 'Latest');
  const all = kindButton('all', 'All runs');
  runSelect.addEventListener('change', () => {
    if (runSelect.value) onQuery({ selection: { kind: 'run', runId: runSelect.value }, flowFilter: state.query.flowFilter });
  });
  const applyWindow = button(['Apply'], () => {
    const from = fromInput.value ? new Date(fromInput.value).getTime() : NaN;
    const to = toInput.value ? new Date(toInput.value).getTime() : NaN;
    if (Number.isFinite(from) && Number.isFinite(to)) onQuery({ selection: { kind: 'window', from, to }, flowFilter: state.query.flowFilter });
  }, { title: 'Show the runs that started inside this time window' });
  const windowBox = h('span', { class: 'window', id: 'window-box', hidden: true }, h('label', { class: 'inline' }, 'From ', fromInput), h('label', { class: 'inline' }, 'to ', toInput), applyWindow);
  const windowButton = button([icon('calendar'), ' Window…'], () => {
    windowBox.hidden = !windowBox.hidden;
    windowButton.setAttribute('aria-expanded', String(!windowBox.hidden));
    if (!windowBox.hidden) fromInput.focus();
  }, { class: 'seg-solo', 'aria-expanded': 'false', 'aria-controls': 'window-box', title: 'Show the runs that started in a time window' });
  const kindButtons = { latest, all, window: windowButton };

  const toolbar = h('header', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Run selection' },
    h('span', { class: 'brand' }, icon('graph'), ' Flowlens'),
    h('div', { class: 'seg-group' }, latest, all),
    h('label', { class: 'inline' }, 'Run ', runSelect),
    windowButton,
    windowBox,
    h('span', { class: 'spacer' }),
    headerStatus,
    button([icon('refresh')], () => post({ type: 'refresh' }), { title: 'Refresh traces', 'aria-label': 'Refresh traces' }),
  );
  const sub = h('div', { class: 'subbar' }, selectionLabel, filterChip);

  function render(m: Model): void {
    const query = state.query;
    const kind = query.selection.kind;
    for (const [k, b] of Object.entries(kindButtons)) {
      b.setAttribute('aria-pressed', String(k === kind));
      b.classList.toggle('active', k === kind);
    }
    fillRunSelect(runSelect, m, query.selection.kind === 'run' ? query.selection.runId : undefined, 'Pick a run…');
    if (query.selection.kind === 'window') {
      fromInput.value = toLocalInput(query.selection.from);
      toInput.value = toLocalInput(query.selection.to);
      windowBox.hidden = false;
    }
    selectionLabel.textContent = m.selection.label;
    filterChip.replaceChildren();
    if (m.flowFilter) {
      filterChip.append(h('span', { class: 'chip' }, icon('filter'), ' ', m.flowFilter, ' ',
        button([icon('close')], () => onQuery({ ...state.query, flowFilter: undefined }), { class: 'icon', title: 'Show every flow', 'aria-label': 'Clear the flow filter' })));
    }
    headerStatus.replaceChildren(...(state.loading ? [icon('loading'), ' Reading traces…'] : state.live ? [h('span', { class: 'live-dot', 'aria-hidden': 'true' }), ' Live'] : []));
  }

  return {
    els: [toolbar, sub],
    setStatus: (text) => {
      headerStatus.textContent = text;
    },
    render,
  };
}
