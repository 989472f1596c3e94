/**
 * Run diff section: a base and a compared run, a summary by category, and one row per changed flow
 * (new, gone, newly failing, fixed, slower). The pickers default to the run before the latest and
 * the latest.
 */
import { button, h, icon, slashBreaks } from './dom';
import { dialectName } from './format';
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
    // The default pair is like with like (issue 16): the newest selected run and the previous run
    // of the same dialect — never the newest two runs whatever their kind (a 0.1 recording and its
    // v1 twin of the same day).
    const a = query.diff?.a ?? changes?.base;
    const b = query.diff?.b ?? changes?.current ?? m.runs[0]?.id;
    fillRunSelect(diffA, m, a);
    fillRunSelect(diffB, m, b);
    const d = m.diff;
    const desc = sec.head.querySelector('.section-desc') as HTMLElement;
    desc.textContent = d
      ? `${d.b} compared with ${d.a} (${d.aDialect === d.bDialect ? `same dialect, ${dialectName(d.aDialect)}` : `${dialectName(d.aDialect)} with ${dialectName(d.bDialect)}: flows matched by name across dialects`}) — slower means p95 up more than ${d.slowerThresholdPct}%`
      : 'pick two runs: new, gone, newly failing, fixed and slower flows';
    if (!d) {
      const newest = m.runs.find((r) => r.id === b);
      const why = m.runs.length < 2 ? 'A diff needs at least two runs.'
        : !changes && newest ? `${newest.id} (${dialectName(newest.dialect)}) has no earlier run of the same dialect to compare with by default. Pick a base run and a run to compare, then Compare.`
          : 'Pick a base run and a run to compare, then Compare.';
      result.replaceChildren(h('p', { class: 'calm' }, why));
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
