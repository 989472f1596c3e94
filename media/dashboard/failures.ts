/**
 * Failures section: charts by failure class and by domain, what changed against the previous run,
 * and the first and latest failure per flow. Changes are new, fixed and still failing; every
 * failure links to its code.
 */
import { baseOptions, chartIn } from './charts';
import { h, icon, slashBreaks, type Child } from './dom';
import { dialectName, fmtTime, utcTitle } from './format';
import { state } from './state';
import { seriesColors } from './theme';
import type { Model, Section } from './types';
import { locButton, section } from './widgets';

function failureCell(x: NonNullable<Model['failures']['firstLatest'][number]['first']>): HTMLElement {
  return h('span', { class: 'failure-cell' },
    h('span', { class: 'badge' }, x.failureClass ?? x.verdict), ' ', locButton(x),
    h('div', { class: 'muted small', title: utcTitle(x.ts) }, `${x.runId}${x.ts !== undefined ? ` · ${fmtTime(x.ts)}` : ''}`),
    x.reason ? h('div', { class: 'muted reason' }, x.reason) : '');
}

export function createFailures(): Section {
  const sec = section('failures', 'Failures', 'by class and domain, first vs latest, and what changed since the previous run');

  function render(m: Model): void {
    const f = m.failures;
    const body = sec.body;
    if (f.total === 0 && !f.changes?.fixed.length) {
      body.replaceChildren(h('p', { class: 'calm' }, icon('pass'), ' No failures or exceptions in the selected runs.'));
      return;
    }
    const classBox = h('div', { class: 'chart-box tall' });
    const domainBox = h('div', { class: 'chart-box tall' });
    const firstLatest = h('table', { class: 'grid', 'aria-label': 'First and latest failure per flow' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Flow'), h('th', { scope: 'col', class: 'num' }, 'Failures'), h('th', { scope: 'col' }, 'First'), h('th', { scope: 'col' }, 'Latest'))),
      h('tbody', {}, ...f.firstLatest.map((x) => h('tr', {},
        h('td', { class: 'flow-name' }, ...slashBreaks(x.flow)),
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
          items.length ? h('ul', {}, ...items.map((x) => h('li', {}, h('span', { class: 'flow-name' }, ...slashBreaks(x.flow)), ' ', x.failureClass ? h('span', { class: 'badge' }, x.failureClass) : '', ' ', locButton(x), x.reason ? h('div', { class: 'muted reason' }, x.reason) : ''))) : h('p', { class: 'muted' }, 'none'));
      parts.push(h('p', { class: 'muted' }, 'Run ', h('strong', {}, c.current), ' compared with ', h('strong', {}, c.base), `, the run before it of the same dialect (${dialectName(c.dialect)}):`));
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
        data: { labels: f.byClass.map((c) => c.failureClass), datasets: [{ label: 'failures', data: f.byClass.map((c) => c.count), backgroundColor: state.palette.red, borderRadius: 2 }] },
        options: baseOptions({ horizontal: true }),
      }));
      chartIn(domainBox, 'failures:domain', () => ({
        type: 'bar',
        data: { labels: f.byDomain.map((d) => d.domain), datasets: [{ label: 'failures', data: f.byDomain.map((d) => d.count), backgroundColor: f.byDomain.map((_, i) => seriesColors(state.palette)[i % 8]), borderRadius: 2 }] },
        options: baseOptions(),
      }));
    });
  }

  return { el: sec.el, render };
}
