/**
 * Chart.js for the dashboard: one chart per key, created or updated in place, pruned when its
 * canvas leaves the page, redrawn on a theme change. Charts go into fixed-height boxes (nothing
 * jumps); baseOptions gives the shared axes and legend in theme colours; slaLinePlugin draws the
 * dashed SLA line.
 */
import Chart from 'chart.js/auto';
import type { ChartConfiguration, Plugin } from 'chart.js';
import { h } from './dom';
import { deleteChart, setChart, state } from './state';

/** Creates or updates the chart in `holder` (a fixed-height box, so nothing jumps). */
export function chartIn(holder: HTMLElement, key: string, make: () => ChartConfiguration): void {
  const c = state.charts.get(key)?.chart;
  if (c && c.canvas.isConnected && holder.contains(c.canvas)) {
    setChart(key, { chart: c, make });
    const cfg = make();
    c.data = cfg.data;
    c.options = cfg.options ?? {};
    c.update('none');
    return;
  }
  c?.destroy();
  const canvas = h('canvas', { role: 'img', 'aria-label': key });
  holder.replaceChildren(canvas);
  setChart(key, { chart: new Chart(canvas, make()), make });
}

/** Destroys the charts whose canvas is no longer in the page. */
export function pruneCharts(): void {
  for (const [k, { chart }] of state.charts) {
    if (!chart.canvas.isConnected) {
      chart.destroy();
      deleteChart(k);
    }
  }
}

/** Redraws every chart from its config (the configs read the current palette). */
export function redrawCharts(): void {
  for (const { chart, make } of state.charts.values()) {
    const cfg = make();
    chart.data = cfg.data;
    chart.options = cfg.options ?? {};
    chart.update('none');
  }
}

export function baseOptions(extra: { stacked?: boolean; horizontal?: boolean; legend?: boolean; yTitle?: string } = {}): ChartConfiguration['options'] {
  const palette = state.palette;
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
export function slaLinePlugin(pos: number | undefined, label: string): Plugin {
  return {
    id: 'slaLine',
    afterDatasetsDraw(chart) {
      if (pos === undefined) return;
      const palette = state.palette;
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
