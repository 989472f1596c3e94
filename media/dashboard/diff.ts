/**
 * Run diff section: a base and a compared run, a summary by category, and one row per changed flow
 * (new, gone, newly failing, fixed, slower). The pickers default to the run before the latest and
 * the latest.
 */
import { button, h, icon, slashBreaks } from './dom';
import { state } from './state';
import type { Model, OnQuery, Section } from './types';
import { fillRunSelect, locButton, section } from './widgets';

export function createDiff(onQuery: OnQuery): Section {
  const diffA = h('select', { 'aria-label': 'Base run' });
  const diffB = h('select', { 'aria-label': 'Compared run' });
  const sec = section('diff', 'Run diff', '');
  const controls = h('div', { class: 'controls' }, h('label', { class: 'inline' }, 'Base ', diffA), h('label', { class: 'inline' }, 'Compare ', diffB), button([icon('git-compare'), ' Compare'], () => {
    if (diffA.value && diffB.value) onQuery({ ...state.query, diff: { a: diffA.value, b: diffB.value } });
  }, { id: 'diff-compare' }));
  const result = h('div', { class: 'diff-result' });
  sec.body.append(controls, result);

  function render(m: Model): void {
    const query = state.query;
    const changes = m.failures.changes;
    const a = query.diff?.a ?? changes?.base ?? m.runs[1]?.id;
    const b = query.diff?.b ?? changes?.current ?? m.runs[0]?.id;
    fillRunSelect(diffA, m, a);
    fillRunSelect(diffB, m, b);
    const d = m.diff;
    const desc = sec.head.querySelector('.section-desc') as HTMLElement;
    desc.textContent = d ? `${d.b} against ${d.a} — slower means p95 up more than ${d.slowerThresholdPct}%` : 'pick two runs: new, gone, newly failing, fixed and slower flows';
    if (!d) {
      result.replaceChildren(h('p', { class: 'calm' }, m.runs.length < 2 ? 'A diff needs at least two runs.' : 'Pick a base run and a run to compare, then Compare.'));
      return;
    }
    const summary = h('div', { class: 'diff-summary' }, ...Object.entries(d.counts).map(([k, n]) => h('span', { class: `pill cat-${k.replace(/ /g, '-')}` }, `${k} `, h('strong', {}, n))));
    if (!d.rows.length) {
      result.replaceChildren(summary, h('p', { class: 'calm' }, 'No differences.'));
      return;
    }
    const table = h('table', { class: 'grid', 'aria-label': 'Run diff' },
      h('thead', {}, h('tr', {}, ...['Change', 'Flow', 'Before', 'After', 'What changed', 'Code'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, ...d.rows.map((r) => h('tr', {},
        h('td', {}, h('span', { class: `pill cat-${r.category.replace(/ /g, '-')}` }, r.category)),
        h('td', { class: 'flow-name' }, ...slashBreaks(r.flow)),
        h('td', { class: 'muted' }, r.before ?? '—'),
        h('td', {}, r.after ?? '—'),
        h('td', {}, r.changes.length ? h('ul', { class: 'changes' }, ...r.changes.map((c) => h('li', {}, c))) : ''),
        h('td', {}, locButton(r))))));
    result.replaceChildren(summary, h('div', { class: 'table-wrap' }, table));
  }

  return { el: sec.el, render };
}
