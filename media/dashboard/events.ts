/** Events section: stacked counts per run by event type and by severity. */
import { baseOptions, chartIn } from './charts';
import { h } from './dom';
import { runLabel } from './format';
import { state } from './state';
import { eventTypeColors } from './theme';
import type { Model, Section } from './types';
import { section } from './widgets';

export function createEvents(): Section {
  const sec = section('events', 'Events', 'event counts by type and severity per run');

  function render(m: Model): void {
    const e = m.events;
    const body = sec.body;
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
    const sevColor = (s: string): string => {
      const palette = state.palette;
      return s === 'critical' ? palette.purple : s === 'error' ? palette.red : s === 'warning' ? palette.yellow : s === 'info' ? palette.blue : palette.muted;
    };
    queueMicrotask(() => {
      chartIn(typeBox, 'events:type', () => ({
        type: 'bar',
        data: { labels, datasets: e.types.map((t, i) => ({ label: t, data: e.runs.map((r) => r.byType[t] ?? 0), backgroundColor: eventTypeColors(state.palette, e.types)[i] })) },
        options: baseOptions({ stacked: true, legend: true }),
      }));
      chartIn(sevBox, 'events:severity', () => ({
        type: 'bar',
        data: { labels, datasets: e.severities.length ? e.severities.map((s) => ({ label: s, data: e.runs.map((r) => r.bySeverity[s] ?? 0), backgroundColor: sevColor(s) })) : [{ label: 'no severities', data: e.runs.map(() => 0) }] },
        options: baseOptions({ stacked: true, legend: true }),
      }));
    });
  }

  return { el: sec.el, render };
}
