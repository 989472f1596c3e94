/** Telemetry section (id `stores`): a card per Grain/Assay queue and per Pulse, sovereignty, brainstem or generic SQLite store (problems, stats, first 50 rows of each table) — the panels of src/core/render/telemetry.ts. */
import { h, icon } from './dom';
import { cellText } from './format';
import type { Model, Section } from './types';
import { section } from './widgets';

export function createStores(): Section {
  const sec = section('stores', 'Telemetry', 'Grain/Assay telemetry queues and SQLite stores in this workspace');

  function render(m: Model): void {
    if (!m.stores.length) {
      sec.body.replaceChildren(h('p', { class: 'calm' }, icon('database'), ' No Grain/Assay queues or SQLite stores in this workspace. Add a store with the flowlens.extraStores setting.'));
      return;
    }
    sec.body.replaceChildren(h('div', { class: 'card-grid wide' }, ...m.stores.map((s) => h('div', { class: 'card store' },
      h('h3', { title: s.path }, icon(s.kind.endsWith(' queue') ? 'pulse' : 'database'), ` ${s.name} `, h('span', { class: 'badge' }, s.kind)),
      s.problems.length ? h('ul', { class: 'problems' }, ...s.problems.map((p) => h('li', {}, icon('warning'), ' ', p))) : '',
      h('dl', { class: 'stats' }, ...s.stats.flatMap((x) => [h('dt', {}, x.label), h('dd', {}, x.value)])),
      ...s.tables.map((t) => h('details', { open: s.tables.indexOf(t) < 2 },
        h('summary', {}, t.title),
        h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact' },
          h('thead', {}, h('tr', {}, ...t.columns.map((c, i) => h('th', { scope: 'col', class: i > 0 && typeof t.rows[0]?.[i] === 'number' ? 'num' : undefined }, c)))),
          h('tbody', {}, ...t.rows.slice(0, 50).map((row) => h('tr', {}, ...row.map((v) => { const c = cellText(v); return h('td', { class: typeof v === 'number' ? 'num' : undefined, title: c.title }, c.text); }))))))))))));
  }

  return { el: sec.el, render };
}
