/**
 * Latency section: a card per flow with its p95 against the SLA, a histogram on the ra.yaml
 * latency buckets with the SLA line, and the p95 per run. Points above the SLA are red.
 */
import type { ChartConfiguration } from 'chart.js';
import { baseOptions, chartIn, slaLinePlugin } from './charts';
import { h } from './dom';
import { fmtMs, runLabel } from './format';
import { state } from './state';
import type { Model, Section } from './types';
import { section } from './widgets';

export function createLatency(): Section {
  const sec = section('latency', 'Latency', 'histogram on ra.yaml latency buckets with the SLA line, and p95 per run');

  function render(m: Model): void {
    const body = sec.body;
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
          data: { labels: f.buckets.map((b) => b.label), datasets: [{ label: 'instances', data: f.buckets.map((b) => b.count), backgroundColor: state.palette.blue, borderRadius: 2 }] },
          options: baseOptions({ yTitle: 'instances' }),
          plugins: [slaLinePlugin(f.slaPosition, f.slaP95Ms !== undefined ? `SLA ${fmtMs(f.slaP95Ms)}` : '')],
        }));
        chartIn(trendBox, `trend:${f.flow}`, () => {
          const palette = state.palette;
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

  return { el: sec.el, render };
}
